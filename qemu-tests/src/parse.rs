//! Pure parsers for the numbers Xen prints itself: the oracles the tests
//! compare xen-numastat against.
//!
//! Every parser takes text (several lines) and accepts on each line an
//! optional `xen| ` prefix (how `dom0-testkit keys` prints Xen's console ring)
//! followed by an optional `(XEN) ` prefix (Xen's serial console). Lines that
//! are not part of a dump are skipped, so the whole serial log can be given:
//! the dump parsers read the last dump in the text.

use crate::Error;

/// Removes an optional `xen| ` and then an optional `(XEN) ` prefix.
pub fn strip_console_prefix(line: &str) -> &str {
    let line = line.trim_end_matches('\r');
    let line = line.strip_prefix("xen| ").unwrap_or(line);
    line.strip_prefix("(XEN) ")
        .or_else(|| line.strip_prefix("(XEN)").filter(|r| r.is_empty()))
        .unwrap_or(line)
}

fn clean_lines(text: &str) -> Vec<&str> {
    text.lines().map(strip_console_prefix).collect()
}

/// The lines after the last one that contains `header`, up to the next
/// debug key header; all lines if `header` is absent.
fn last_section<'a>(lines: &[&'a str], header: &str) -> Vec<&'a str> {
    match lines.iter().rposition(|l| l.contains(header)) {
        Some(h) => lines[h + 1..]
            .iter()
            .take_while(|l| !l.contains("' pressed -> "))
            .copied()
            .collect(),
        None => lines.to_vec(),
    }
}

fn num<T: std::str::FromStr>(s: &str) -> Option<T> {
    s.trim().parse().ok()
}

// ---------------------------------------------------------------------------
// Debug key 'u': xen/arch/x86/numa.c, dump_numa().

/// `NODE%u start->%lu size->%lu free->%lu` (all in pages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumaNode {
    /// Xen's node id.
    pub node: u32,
    /// `node_start_pfn()`.
    pub start_pfn: u64,
    /// `node_spanned_pages()`.
    pub size_pages: u64,
    /// `avail_node_heap_pages()`: free pages in the node's heap.
    pub free_pages: u64,
}

/// `CPU%u -> NODE%d` or `CPU%u...%u -> NODE%d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuNodes {
    /// First CPU of the run.
    pub first_cpu: u32,
    /// Last CPU of the run (equal to `first_cpu` for one CPU).
    pub last_cpu: u32,
    /// `cpu_to_node[]` (`NUMA_NO_NODE` prints as 255).
    pub node: u32,
}

/// `Domain %u (total: %u):` and its `    Node %u: %u` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainNodes {
    /// The domid.
    pub domid: u32,
    /// `domain_tot_pages(d)`.
    pub total_pages: u64,
    /// Pages of `d->page_list` on each node, as `(node, pages)`.
    pub node_pages: Vec<(u32, u64)>,
}

impl DomainNodes {
    /// Pages on `node`, if the dump listed it.
    pub fn pages_on(&self, node: u32) -> Option<u64> {
        self.node_pages
            .iter()
            .find(|(n, _)| *n == node)
            .map(|(_, p)| *p)
    }

    /// Sum over nodes (Xen counts `d->page_list` only, so this can be less
    /// than `total_pages`).
    pub fn listed_pages(&self) -> u64 {
        self.node_pages.iter().map(|(_, p)| p).sum()
    }
}

/// The output of debug key `u`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumaDump {
    /// One per online node.
    pub nodes: Vec<NumaNode>,
    /// `phys_to_nid(...) -> a should be b` sanity warnings, verbatim.
    pub warnings: Vec<String>,
    /// CPU to node runs.
    pub cpus: Vec<CpuNodes>,
    /// One per domain.
    pub domains: Vec<DomainNodes>,
}

impl NumaDump {
    /// The node with this id.
    pub fn node(&self, node: u32) -> Option<&NumaNode> {
        self.nodes.iter().find(|n| n.node == node)
    }

    /// The domain with this domid.
    pub fn domain(&self, domid: u32) -> Option<&DomainNodes> {
        self.domains.iter().find(|d| d.domid == domid)
    }

    /// The node of a CPU.
    pub fn cpu_node(&self, cpu: u32) -> Option<u32> {
        self.cpus
            .iter()
            .find(|c| (c.first_cpu..=c.last_cpu).contains(&cpu))
            .map(|c| c.node)
    }
}

fn parse_numa_node(l: &str) -> Option<NumaNode> {
    let rest = l.strip_prefix("NODE")?;
    let (node, rest) = rest.split_once(" start->")?;
    let (start, rest) = rest.split_once(" size->")?;
    let (size, free) = rest.split_once(" free->")?;
    Some(NumaNode {
        node: num(node)?,
        start_pfn: num(start)?,
        size_pages: num(size)?,
        free_pages: num(free)?,
    })
}

fn parse_cpu_nodes(l: &str) -> Option<CpuNodes> {
    let rest = l.strip_prefix("CPU")?;
    let (cpus, node) = rest.split_once(" -> NODE")?;
    let (first, last) = match cpus.split_once("...") {
        Some((a, b)) => (num(a)?, num(b)?),
        None => (num(cpus)?, num(cpus)?),
    };
    Some(CpuNodes {
        first_cpu: first,
        last_cpu: last,
        node: num(node)?,
    })
}

fn parse_domain_header(l: &str) -> Option<(u32, u64)> {
    let rest = l.strip_prefix("Domain ")?;
    let (domid, rest) = rest.split_once(" (total: ")?;
    let total = rest.strip_suffix("):")?;
    Some((num(domid)?, num(total)?))
}

fn parse_domain_node(l: &str) -> Option<(u32, u64)> {
    // Exactly four spaces: deeper indentation is the vNUMA layout.
    let rest = l.strip_prefix("    Node ")?;
    let (node, pages) = rest.split_once(": ")?;
    Some((num(node)?, num(pages)?))
}

/// Parses the last debug key `u` dump in `text`.
pub fn parse_numa_dump(text: &str) -> Result<NumaDump, Error> {
    let lines = clean_lines(text);
    let mut d = NumaDump::default();
    for l in last_section(&lines, "' pressed -> dumping numa info") {
        if let Some(n) = parse_numa_node(l) {
            d.nodes.push(n);
        } else if l.starts_with("phys_to_nid(") {
            d.warnings.push(l.to_string());
        } else if let Some(c) = parse_cpu_nodes(l) {
            d.cpus.push(c);
        } else if let Some((domid, total_pages)) = parse_domain_header(l) {
            d.domains.push(DomainNodes {
                domid,
                total_pages,
                node_pages: Vec::new(),
            });
        } else if let Some(np) = parse_domain_node(l) {
            if let Some(dom) = d.domains.last_mut() {
                dom.node_pages.push(np);
            }
        }
    }
    if d.nodes.is_empty() {
        return Err(Error::Parse(
            "no `NODEn start->S size->N free->F` line: not debug key 'u' output".into(),
        ));
    }
    Ok(d)
}

// ---------------------------------------------------------------------------
// Debug key 'm': xen/common/page_alloc.c, pagealloc_info().

/// `heap[%02u]: %lukB free`: free memory of one zone, summed over nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneFree {
    /// The zone (pages of zone `z` have `z + PAGE_SHIFT` address bits).
    pub zone: u32,
    /// Free KiB.
    pub free_kb: u64,
}

/// The output of debug key `m`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageAllocInfo {
    /// `Xen heap: %lukB free` (zone 0, MEMZONE_XEN).
    pub xen_heap_kb: u64,
    /// The zones with free pages, in order (Xen skips empty ones).
    pub zones: Vec<ZoneFree>,
    /// `DMA heap: %lukB free`, printed only when a DMA zone is configured:
    /// the zones below `dma_bitsize`.
    pub dma_heap_kb: Option<u64>,
    /// `Dom heap: %lukB free`: the zones from `dma_bitsize` up (all zones if
    /// there is no DMA heap line).
    pub dom_heap_kb: u64,
}

impl PageAllocInfo {
    /// Sum of the `heap[NN]` lines.
    pub fn zones_total_kb(&self) -> u64 {
        self.zones.iter().map(|z| z.free_kb).sum()
    }
}

fn kb_free(s: &str) -> Option<u64> {
    num(s.strip_suffix("kB free")?)
}

/// Parses the last debug key `m` dump in `text`.
pub fn parse_pagealloc_info(text: &str) -> Result<PageAllocInfo, Error> {
    let lines = clean_lines(text);
    let Some(h) = lines
        .iter()
        .rposition(|l| l.trim() == "Physical memory information:")
    else {
        return Err(Error::Parse(
            "no `Physical memory information:` line: not debug key 'm' output".into(),
        ));
    };
    let mut m = PageAllocInfo::default();
    let (mut xen, mut dom) = (None, None);
    for l in &lines[h + 1..] {
        let l = l.trim();
        if let Some(r) = l.strip_prefix("Xen heap: ") {
            xen = kb_free(r);
        } else if let Some(r) = l.strip_prefix("DMA heap: ") {
            m.dma_heap_kb = kb_free(r);
        } else if let Some(r) = l.strip_prefix("heap[") {
            let (zone, rest) = r.split_once("]: ").unzip();
            if let (Some(zone), Some(free_kb)) = (zone.and_then(num), rest.and_then(kb_free)) {
                m.zones.push(ZoneFree { zone, free_kb });
            }
        } else if let Some(r) = l.strip_prefix("Dom heap: ") {
            dom = kb_free(r);
            break;
        }
    }
    match (xen, dom) {
        (Some(x), Some(d)) => {
            m.xen_heap_kb = x;
            m.dom_heap_kb = d;
            Ok(m)
        }
        _ => Err(Error::Parse(
            "debug key 'm' output lacks its `Xen heap:` or `Dom heap:` line".into(),
        )),
    }
}

// ---------------------------------------------------------------------------
// Debug key 'H': xen/common/page_alloc.c, dump_heap().

/// `heap[node=%d][zone=%d] -> %lu pages`: `avail[node][zone]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeapZone {
    /// Xen's node id.
    pub node: u32,
    /// The zone.
    pub zone: u32,
    /// Free pages.
    pub pages: u64,
}

/// The output of debug key `H`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeapDump {
    /// Every `(node, zone)` Xen printed: all `NR_ZONES` zones of each node
    /// that has a heap, zeros included.
    pub zones: Vec<HeapZone>,
    /// `Node %d has %lu unscrubbed pages`, as `(node, pages)`.
    pub unscrubbed: Vec<(u32, u64)>,
}

impl HeapDump {
    /// The nodes that have a heap, in order.
    pub fn nodes(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self.zones.iter().map(|z| z.node).collect();
        v.dedup();
        v
    }

    /// Free pages of `node`, summed over zones.
    pub fn node_pages(&self, node: u32) -> u64 {
        self.zones
            .iter()
            .filter(|z| z.node == node)
            .map(|z| z.pages)
            .sum()
    }

    /// Free pages of `zone`, summed over nodes.
    pub fn zone_pages(&self, zone: u32) -> u64 {
        self.zones
            .iter()
            .filter(|z| z.zone == zone)
            .map(|z| z.pages)
            .sum()
    }
}

fn parse_heap_zone(l: &str) -> Option<HeapZone> {
    let rest = l.strip_prefix("heap[node=")?;
    let (node, rest) = rest.split_once("][zone=")?;
    let (zone, rest) = rest.split_once("] -> ")?;
    let pages = rest.strip_suffix(" pages")?;
    Some(HeapZone {
        node: num(node)?,
        zone: num(zone)?,
        pages: num(pages)?,
    })
}

fn parse_unscrubbed(l: &str) -> Option<(u32, u64)> {
    let rest = l.strip_prefix("Node ")?;
    let (node, rest) = rest.split_once(" has ")?;
    Some((num(node)?, num(rest.strip_suffix(" unscrubbed pages")?)?))
}

/// Parses the last debug key `H` dump in `text`.
pub fn parse_heap_dump(text: &str) -> Result<HeapDump, Error> {
    let lines = clean_lines(text);
    let mut h = HeapDump::default();
    for l in last_section(&lines, "' pressed -> dumping heap info") {
        if let Some(z) = parse_heap_zone(l) {
            h.zones.push(z);
        } else if let Some(u) = parse_unscrubbed(l) {
            h.unscrubbed.push(u);
        }
    }
    if h.zones.is_empty() {
        return Err(Error::Parse(
            "no `heap[node=N][zone=Z] -> P pages` line: not debug key 'H' output".into(),
        ));
    }
    Ok(h)
}

// ---------------------------------------------------------------------------
// Boot log facts.

/// `N` of `Domain heap initialised DMA width N bits` (common/page_alloc.c,
/// end_boot_allocator()); `None` if Xen printed no width (no DMA zone).
pub fn dma_width_bits(text: &str) -> Option<u32> {
    clean_lines(text).iter().find_map(|l| {
        let r = l.strip_prefix("Domain heap initialised DMA width ")?;
        num(r.strip_suffix(" bits")?)
    })
}

/// `SRAT: Node %u PXM %u [%016lx, %016lx]%s` (arch/x86/srat.c,
/// acpi_numa_memory_affinity_init()): one memory range of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SratRange {
    /// Xen's node id (discovery order, not the PXM).
    pub node: u32,
    /// The ACPI proximity domain (QEMU's node id).
    pub pxm: u32,
    /// First byte.
    pub start: u64,
    /// Last byte (inclusive, as Xen prints it).
    pub end: u64,
    /// Marked ` (hotplug)`.
    pub hotplug: bool,
}

impl SratRange {
    /// Bytes in the range.
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start).saturating_add(1)
    }

    /// Whether the range holds no byte (never, for a line Xen printed).
    pub fn is_empty(&self) -> bool {
        self.end < self.start
    }
}

fn parse_srat_range(l: &str) -> Option<SratRange> {
    let rest = l.strip_prefix("SRAT: Node ")?;
    let (node, rest) = rest.split_once(" PXM ")?;
    let (pxm, rest) = rest.split_once(" [")?;
    let (start, rest) = rest.split_once(", ")?;
    let (end, flags) = rest.split_once(']')?;
    Some(SratRange {
        node: num(node)?,
        pxm: num(pxm)?,
        start: u64::from_str_radix(start, 16).ok()?,
        end: u64::from_str_radix(end, 16).ok()?,
        hotplug: flags.contains("hotplug"),
    })
}

/// Every SRAT memory range line, in order.
pub fn srat_ranges(text: &str) -> Vec<SratRange> {
    clean_lines(text)
        .iter()
        .filter_map(|l| parse_srat_range(l))
        .collect()
}

/// Nodes of `SRAT: node %u has no memory` (arch/x86/srat.c): nodes that
/// have CPUs but no memory.
pub fn srat_memoryless_nodes(text: &str) -> Vec<u32> {
    clean_lines(text)
        .iter()
        .filter_map(|l| {
            let r = l.strip_prefix("SRAT: node ")?;
            num(r.strip_suffix(" has no memory")?)
        })
        .collect()
}

/// Xen's `NUMA turned off` (`numa=off`) or `No NUMA configuration found`
/// line (arch/x86/numa.c, numa_initmem_init()), if it printed one: then it
/// faked a single node covering all memory.
pub fn numa_fallback(text: &str) -> Option<String> {
    clean_lines(text)
        .iter()
        .find(|l| **l == "NUMA turned off" || **l == "No NUMA configuration found")
        .map(|l| l.to_string())
}

/// A node's memory as Xen set it up without SRAT (arch/x86/numa.c):
/// `Faking node %d at %PRIx64-%PRIx64 (%PRIu64MB)` for each node of
/// `numa=fake=N` (numa_emulation()), or `Faking a node at
/// %PRIpaddr-%PRIpaddr` for the one node of a machine without NUMA
/// information or with `numa=off` (numa_initmem_init()), as node 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FakeNode {
    /// Xen's node id.
    pub node: u32,
    /// First byte.
    pub start: u64,
    /// First byte past the node (Xen prints `end`, exclusive).
    pub end: u64,
}

fn parse_fake_node(l: &str) -> Option<FakeNode> {
    let (node, range) = if let Some(r) = l.strip_prefix("Faking a node at ") {
        (0, r)
    } else {
        let r = l.strip_prefix("Faking node ")?;
        let (node, r) = r.split_once(" at ")?;
        let (range, _mb) = r.split_once(' ')?;
        (num(node)?, range)
    };
    let (start, end) = range.trim().split_once('-')?;
    Some(FakeNode {
        node,
        start: u64::from_str_radix(start, 16).ok()?,
        end: u64::from_str_radix(end, 16).ok()?,
    })
}

/// Every `Faking ... node` line, in order.
pub fn fake_nodes(text: &str) -> Vec<FakeNode> {
    clean_lines(text)
        .iter()
        .filter_map(|l| parse_fake_node(l))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(strip_console_prefix("xen| (XEN) NODE0 x"), "NODE0 x");
        assert_eq!(strip_console_prefix("(XEN)     Node 0: 5"), "    Node 0: 5");
        assert_eq!(strip_console_prefix("xen| heap[14]"), "heap[14]");
        assert_eq!(strip_console_prefix("(XEN)"), "");
        assert_eq!(strip_console_prefix("plain\r"), "plain");
    }

    #[test]
    fn numa_dump_lines() {
        let d = parse_numa_dump(
            "(XEN) 'u' pressed -> dumping numa info (now = 1)\n\
             (XEN) NODE0 start->0 size->262144 free->100\n\
             (XEN) NODE1 start->262144 size->0 free->0\n\
             (XEN) phys_to_nid(0000000040001000) -> 0 should be 1\n\
             (XEN) CPU0...1 -> NODE0\n\
             (XEN) CPU2 -> NODE1\n\
             (XEN) Memory location of each domain:\n\
             (XEN) Domain 0 (total: 10):\n\
             (XEN)     Node 0: 7\n\
             (XEN)     Node 1: 3\n\
             (XEN)      1 vnodes, 2 vcpus, guest physical layout:\n\
             (XEN)            0: pnode   0, vcpus 0-1\n\
             (XEN)                0000000000000000 - 0000000040000000\n\
             (XEN) Domain 32767 (total: 0):\n\
             (XEN)     Node 0: 0\n\
             (XEN)     Node 1: 0\n\
             (XEN) 'm' pressed -> something else\n\
             (XEN)     Node 0: 99\n",
        )
        .unwrap();
        assert_eq!(d.nodes.len(), 2);
        assert_eq!(d.node(1).unwrap().start_pfn, 262144);
        assert_eq!(d.warnings.len(), 1);
        assert_eq!(d.cpu_node(1), Some(0));
        assert_eq!(d.cpu_node(2), Some(1));
        assert_eq!(d.domain(0).unwrap().node_pages, [(0, 7), (1, 3)]);
        assert_eq!(d.domain(0).unwrap().listed_pages(), 10);
        assert_eq!(d.domain(32767).unwrap().pages_on(1), Some(0));
        assert!(parse_numa_dump("nothing").is_err());
    }

    #[test]
    fn pagealloc_lines() {
        let m = parse_pagealloc_info(
            "xen| (XEN) Physical memory information:\n\
             xen| (XEN)     Xen heap: 0kB free\n\
             xen| (XEN)     heap[14]: 64kB free\n\
             xen| (XEN)     DMA heap: 64kB free\n\
             xen| (XEN)     heap[18]: 1024kB free\n\
             xen| (XEN)     Dom heap: 1024kB free\n",
        )
        .unwrap();
        assert_eq!(m.xen_heap_kb, 0);
        assert_eq!(m.dma_heap_kb, Some(64));
        assert_eq!(m.dom_heap_kb, 1024);
        assert_eq!(m.zones_total_kb(), 1088);
        assert!(parse_pagealloc_info("Physical memory information:\n").is_err());
    }

    #[test]
    fn heap_lines() {
        let h = parse_heap_dump(
            "heap[node=0][zone=0] -> 0 pages\n\
             heap[node=0][zone=1] -> 5 pages\n\
             heap[node=2][zone=1] -> 7 pages\n\
             Node 2 has 3 unscrubbed pages\n",
        )
        .unwrap();
        assert_eq!(h.nodes(), [0, 2]);
        assert_eq!(h.node_pages(0), 5);
        assert_eq!(h.zone_pages(1), 12);
        assert_eq!(h.unscrubbed, [(2, 3)]);
    }

    #[test]
    fn boot_facts() {
        let t = "(XEN) SRAT: Node 0 PXM 0 [0000000000000000, 000000000009ffff]\n\
                 (XEN) SRAT: Node 2 PXM 2 [0000000040000000, 000000007fffffff] (hotplug)\n\
                 (XEN) SRAT: node 1 has no memory\n\
                 (XEN) Domain heap initialised DMA width 28 bits\n";
        let r = srat_ranges(t);
        assert_eq!(r.len(), 2);
        assert_eq!((r[1].node, r[1].pxm, r[1].hotplug), (2, 2, true));
        assert_eq!(r[1].len(), 1 << 30);
        assert_eq!(srat_memoryless_nodes(t), [1]);
        assert_eq!(dma_width_bits(t), Some(28));
        assert_eq!(dma_width_bits("(XEN) Domain heap initialised\n"), None);
        assert_eq!(numa_fallback(t), None);
        assert_eq!(
            numa_fallback("(XEN) NUMA turned off\n").as_deref(),
            Some("NUMA turned off")
        );
    }

    #[test]
    fn fake_node_lines() {
        let t = "(XEN) Faking node 0 at 0-10000000 (256MB)\n\
                 (XEN) Faking node 3 at 30000000-7ffdf000 (1279MB)\n\
                 (XEN) Faking a node at 0000000000000000-000000007ffdf000\n";
        let f = fake_nodes(t);
        assert_eq!(
            f,
            [
                FakeNode {
                    node: 0,
                    start: 0,
                    end: 0x1000_0000
                },
                FakeNode {
                    node: 3,
                    start: 0x3000_0000,
                    end: 0x7ffd_f000
                },
                FakeNode {
                    node: 0,
                    start: 0,
                    end: 0x7ffd_f000
                },
            ]
        );
        assert!(fake_nodes("(XEN) Faking node x at 0-1 (0MB)\n").is_empty());
    }
}
