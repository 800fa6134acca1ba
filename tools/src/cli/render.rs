// SPDX-License-Identifier: GPL-2.0-only
//! Output of `xen-numastat`: pure functions from the hypercall results to
//! text, so they are tested on any host with recorded answers.

use super::args::Format;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use xen_numastat_abi::{
    zone_end_maddr, zone_start_maddr, XenNumaNodePages, XenSysctlPhysinfo, MEMZONE_XEN,
};
use xen_numastat_tools::{Availheap, DomNodeStat, DomainSel};

/// What one run fetched from the hypervisor.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub physinfo: Option<XenSysctlPhysinfo>,
    pub heap: Option<Availheap>,
    /// `-d free`: getdomnodestat of [`DomainSel::Free`], all nodes.
    pub free: Option<DomNodeStat>,
    /// `-d all` / `-d DOMID`: one getdomnodestat answer per domain, by id.
    pub domains: Option<Vec<DomNodeStat>>,
}

/// Renders `report` in `format`: physinfo, the heap, the free pages by
/// node, then the domains.
pub fn render(report: &Report, format: Format) -> String {
    let blocks: Vec<String> = match format {
        Format::Seed => [
            report.physinfo.as_ref().map(physinfo_seed),
            report.heap.as_ref().map(heap_seed),
            report
                .free
                .as_ref()
                .map(|f| domains_seed(core::slice::from_ref(f))),
            report.domains.as_deref().map(domains_seed),
        ]
        .into_iter()
        .flatten()
        .collect(),
        Format::Table => [
            report.physinfo.as_ref().map(physinfo_table),
            report.heap.as_ref().map(heap_table),
            report.free.as_ref().map(free_table),
            report.domains.as_deref().map(domains_table),
        ]
        .into_iter()
        .flatten()
        .collect(),
    };
    // Seed lines run on; table blocks are separated by a blank line.
    let sep = if format == Format::Seed { "" } else { "\n" };
    blocks.join(sep)
}

/// Pages (4 KiB) in MiB with one decimal, rounded down.
pub fn mib(pages: u64) -> String {
    let tenths = u128::from(pages) * 10 / 256;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// `PHYSINFO: NR_NODES: <n>`
pub fn physinfo_seed(p: &XenSysctlPhysinfo) -> String {
    format!("PHYSINFO: NR_NODES: {}\n", p.nr_nodes)
}

/// The 2006 tool's heap lines: totals, then per zone and online node.
pub fn heap_seed(h: &Availheap) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "HEAPINFO: TOTAL_FREE_PAGES: {}", h.pages);
    let _ = writeln!(s, "HEAPINFO: NR_ZONES: {}", h.nr_zones);
    let _ = writeln!(s, "HEAPINFO: NR_NODES: {}", h.nr_nodes);
    if let Some(c) = &h.counts {
        for &zone in c.zones() {
            for node in c.online_nodes() {
                let pages = c.pages(node, zone).unwrap_or(0);
                let _ = writeln!(s, "HEAPINFO: ZONE_{zone}: NODE{node}: FREE_PAGES: {pages}");
            }
        }
    }
    s
}

/// Host summary: nodes, CPUs, memory in pages and MiB.
pub fn physinfo_table(p: &XenSysctlPhysinfo) -> String {
    let w = p.total_pages.max(p.free_pages).to_string().len();
    let mut s = String::from("Host (XEN_SYSCTL_physinfo)\n");
    let _ = writeln!(s, "  NUMA nodes online:  {}", p.nr_nodes);
    let _ = writeln!(s, "  CPUs online:        {}", p.nr_cpus);
    for (label, pages) in [
        ("Total memory:", p.total_pages),
        ("Free memory:", p.free_pages),
    ] {
        let _ = writeln!(s, "  {label:<18}  {pages:>w$} pages ({} MiB)", mib(pages));
    }
    s
}

/// What a zone's row calls it: zone 0 is the Xen heap (defined by page
/// type, not address), the others their machine address range.
pub fn zone_label(zone: u32) -> String {
    match (
        zone_start_maddr(zone as usize),
        zone_end_maddr(zone as usize),
    ) {
        _ if zone as usize == MEMZONE_XEN => "Xen heap".to_string(),
        (Some(start), Some(end)) => format!("[{start:#018x}, {end:#018x})"),
        _ => "?".to_string(),
    }
}

enum Align {
    Left,
    Right,
}

/// Lays out `rows` in columns two spaces apart, each as wide as its widest
/// cell, indented by two spaces.
fn grid(rows: &[Vec<String>], align: &[Align]) -> String {
    let mut widths = vec![0; align.len()];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let mut s = String::new();
    for row in rows {
        let mut line = String::new();
        for ((cell, w), a) in row.iter().zip(&widths).zip(align) {
            let _ = match a {
                Align::Left => write!(line, "  {cell:<w$}"),
                Align::Right => write!(line, "  {cell:>w$}"),
            };
        }
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

/// Free heap: the total, then free pages by zone (rows with any free page)
/// and online node (columns), with totals.
pub fn heap_table(h: &Availheap) -> String {
    let mut s = String::from("Free heap memory (XEN_SYSCTL_numa_availheap, one snapshot)\n");
    let _ = writeln!(
        s,
        "  Total free:         {} pages ({} MiB)",
        h.pages,
        mib(h.pages)
    );
    let _ = writeln!(s, "  NUMA nodes online:  {}", h.nr_nodes);
    let _ = writeln!(s, "  Heap zones:         {}", h.nr_zones);
    let Some(c) = &h.counts else {
        return s;
    };
    let nodes: Vec<u32> = c.online_nodes().collect();
    s.push_str("\n  Free pages by zone and node (zones without free pages left out):\n");

    let mut rows = Vec::new();
    let mut header = vec!["zone".to_string(), "machine addresses".to_string()];
    header.extend(nodes.iter().map(|n| format!("node{n}")));
    header.push("Total".to_string());
    rows.push(header);
    for &zone in c.zones() {
        let total = c.zone_total(zone);
        if total == 0 {
            continue;
        }
        let mut row = vec![zone.to_string(), zone_label(zone)];
        row.extend(
            nodes
                .iter()
                .map(|&n| c.pages(n, zone).unwrap_or(0).to_string()),
        );
        row.push(total.to_string());
        rows.push(row);
    }
    let mut totals = vec!["Total".to_string(), String::new()];
    totals.extend(nodes.iter().map(|&n| c.node_total(n).to_string()));
    totals.push(c.total().to_string());
    rows.push(totals);

    let mut align = vec![Align::Right, Align::Left];
    align.extend(nodes.iter().map(|_| Align::Right));
    align.push(Align::Right);
    s.push_str(&grid(&rows, &align));
    s
}

/// What the 2006 tool counted as a domain's pages on a node: its
/// `page_list` and its Xen heap pages (`xenpage_list`).
pub fn seed_pages(p: &XenNumaNodePages) -> u64 {
    p.page_list.saturating_add(p.xenpage_list)
}

/// The 2006 tool's per-domain lines, `DOM<d>: NODE<n>: PAGES: <p>` for
/// every online node, `p` = [`seed_pages`]. The free pages (the seed's
/// domain -1) are `DOM-1: ...`.
pub fn domains_seed(stats: &[DomNodeStat]) -> String {
    let mut s = String::new();
    for st in stats {
        let dom = match st.domain {
            DomainSel::Domain(d) => i64::from(d),
            DomainSel::Free => -1,
        };
        for node in st.online_nodes() {
            let pages = st.pages(node).map_or(0, |p| seed_pages(&p));
            let _ = writeln!(s, "DOM{dom}: NODE{node}: PAGES: {pages}");
        }
    }
    s
}

/// Online node ids of all the answers, ascending.
fn node_columns(stats: &[DomNodeStat]) -> Vec<u32> {
    let set: BTreeSet<u32> = stats.iter().flat_map(|s| s.online_nodes()).collect();
    set.into_iter().collect()
}

fn node_cell(st: &DomNodeStat, node: u32) -> String {
    st.pages(node)
        .map_or_else(|| "-".to_string(), |p| p.page_list.to_string())
}

/// Free pages by node, from getdomnodestat of [`DomainSel::Free`].
pub fn free_table(st: &DomNodeStat) -> String {
    let nodes = node_columns(core::slice::from_ref(st));
    let mut s =
        String::from("Free pages by node (XEN_SYSCTL_numa_getdomnodestat of the free lists)\n");
    let mut header = vec![String::new()];
    header.extend(nodes.iter().map(|n| format!("node{n}")));
    header.push("Total".to_string());
    let mut row = vec!["free".to_string()];
    row.extend(nodes.iter().map(|&n| node_cell(st, n)));
    row.push(st.total.page_list.to_string());
    let mut align = vec![Align::Left];
    align.extend(nodes.iter().map(|_| Align::Right));
    align.push(Align::Right);
    s.push_str(&grid(&[header, row], &align));
    s
}

/// One row per domain: its id, `tot_pages`, its `page_list` pages on each
/// online node and in all, then its Xen heap pages (`xenpage_list`) and
/// extra pages (`extra_page_list`) over all nodes; a Total row.
pub fn domains_table(stats: &[DomNodeStat]) -> String {
    let nodes = node_columns(stats);
    let mut s = String::from(
        "Domain memory by node (XEN_SYSCTL_numa_getdomnodestat, one walk per domain)\n\
         \x20 Pages on page_list by node; xenheap: pages on xenpage_list, extra:\n\
         \x20 pages on extra_page_list (all nodes)\n",
    );
    let mut header = vec!["domid".to_string(), "tot_pages".to_string()];
    header.extend(nodes.iter().map(|n| format!("node{n}")));
    header.extend(["Total", "xenheap", "extra"].map(String::from));
    let mut rows = vec![header];
    let mut tot_pages = 0u64;
    let mut node_sums = vec![0u64; nodes.len()];
    let mut total = XenNumaNodePages::default();
    for st in stats {
        let id = match st.domain {
            DomainSel::Domain(d) => d.to_string(),
            DomainSel::Free => "free".to_string(),
        };
        let mut row = vec![id, st.tot_pages.to_string()];
        for (sum, &n) in node_sums.iter_mut().zip(&nodes) {
            row.push(node_cell(st, n));
            *sum = sum.saturating_add(st.pages(n).map_or(0, |p| p.page_list));
        }
        row.extend(
            [
                st.total.page_list,
                st.total.xenpage_list,
                st.total.extra_page_list,
            ]
            .map(|v| v.to_string()),
        );
        rows.push(row);
        tot_pages = tot_pages.saturating_add(st.tot_pages);
        total.page_list = total.page_list.saturating_add(st.total.page_list);
        total.xenpage_list = total.xenpage_list.saturating_add(st.total.xenpage_list);
        total.extra_page_list = total
            .extra_page_list
            .saturating_add(st.total.extra_page_list);
    }
    let mut totals = vec!["Total".to_string(), tot_pages.to_string()];
    totals.extend(node_sums.iter().map(u64::to_string));
    totals.extend(
        [total.page_list, total.xenpage_list, total.extra_page_list].map(|v| v.to_string()),
    );
    rows.push(totals);
    let align: Vec<Align> = (0..nodes.len() + 5).map(|_| Align::Right).collect();
    s.push_str(&grid(&rows, &align));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use xen_numastat_abi::{NR_ZONES, XEN_NUMA_NODE_OFFLINE};
    use xen_numastat_tools::HeapCounts;

    /// Builds an availheap(-1, -1) answer from per-node rows of
    /// `(zone, pages)`; `None` is an offline node id.
    fn heap(rows: &[Option<&[(usize, u64)]>]) -> Availheap {
        let mut raw = Vec::new();
        for row in rows {
            match row {
                None => raw.extend([XEN_NUMA_NODE_OFFLINE; NR_ZONES]),
                Some(cells) => {
                    let mut r = [0u64; NR_ZONES];
                    for &(z, p) in *cells {
                        r[z] = p;
                    }
                    raw.extend(r);
                }
            }
        }
        let counts = HeapCounts::from_raw(None, None, NR_ZONES as u32, &raw).unwrap();
        let h = Availheap {
            zone: None,
            node: None,
            nr_zones: NR_ZONES as u32,
            nr_nodes: counts.online_nodes().count() as u32,
            pages: counts.total(),
            counts: Some(counts),
        };
        h.check().unwrap();
        h
    }

    fn physinfo(nr_nodes: u32) -> XenSysctlPhysinfo {
        XenSysctlPhysinfo {
            nr_nodes,
            nr_cpus: 2,
            total_pages: 524_288,
            free_pages: 261_234,
            ..Default::default()
        }
    }

    /// Two nodes of 1 GiB each, as in the QEMU test machine: node 0 below
    /// 1 GiB (zones 1..=18), node 1 at [1 GiB, 2 GiB) (zone 19).
    fn two_nodes() -> Availheap {
        heap(&[
            Some(&[(1, 1), (12, 100), (18, 60_000)]),
            Some(&[(19, 200_000)]),
        ])
    }

    #[test]
    fn seed_lines_are_exact() {
        let out = render(
            &Report {
                physinfo: Some(physinfo(2)),
                heap: Some(two_nodes()),
                ..Default::default()
            },
            Format::Seed,
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[..4],
            [
                "PHYSINFO: NR_NODES: 2",
                "HEAPINFO: TOTAL_FREE_PAGES: 260101",
                "HEAPINFO: NR_ZONES: 41",
                "HEAPINFO: NR_NODES: 2",
            ]
        );
        // Every zone, zone-major, every online node: 41 * 2 lines.
        assert_eq!(lines.len(), 4 + NR_ZONES * 2);
        assert_eq!(lines[4], "HEAPINFO: ZONE_0: NODE0: FREE_PAGES: 0");
        assert_eq!(lines[5], "HEAPINFO: ZONE_0: NODE1: FREE_PAGES: 0");
        assert_eq!(
            lines[4 + 2 * 18],
            "HEAPINFO: ZONE_18: NODE0: FREE_PAGES: 60000"
        );
        assert_eq!(
            lines[4 + 2 * 19 + 1],
            "HEAPINFO: ZONE_19: NODE1: FREE_PAGES: 200000"
        );
        assert_eq!(
            *lines.last().unwrap(),
            "HEAPINFO: ZONE_40: NODE1: FREE_PAGES: 0"
        );
        assert!(out.ends_with('\n'));
    }

    #[test]
    fn seed_skips_offline_node_ids() {
        // Sparse ids: node 1 offline, 0 and 2 online.
        let out = heap_seed(&heap(&[Some(&[(5, 3)]), None, Some(&[(20, 9)])]));
        assert!(out.contains("HEAPINFO: NR_NODES: 2\n"));
        assert!(out.contains("HEAPINFO: ZONE_20: NODE2: FREE_PAGES: 9\n"));
        assert!(!out.contains("NODE1"));
        assert_eq!(
            out.lines().filter(|l| l.contains("ZONE_")).count(),
            NR_ZONES * 2
        );
    }

    #[test]
    fn table_for_two_nodes() {
        let out = heap_table(&two_nodes());
        let expected = "\
Free heap memory (XEN_SYSCTL_numa_availheap, one snapshot)
  Total free:         260101 pages (1016.0 MiB)
  NUMA nodes online:  2
  Heap zones:         41

  Free pages by zone and node (zones without free pages left out):
   zone  machine addresses                         node0   node1   Total
      1  [0x0000000000000000, 0x0000000000002000)      1       0       1
     12  [0x0000000000800000, 0x0000000001000000)    100       0     100
     18  [0x0000000020000000, 0x0000000040000000)  60000       0   60000
     19  [0x0000000040000000, 0x0000000080000000)      0  200000  200000
  Total                                            60101  200000  260101
";
        assert_eq!(out, expected);
    }

    #[test]
    fn table_hides_all_zero_zones_and_keeps_a_memoryless_node() {
        // Node 1 has CPUs but no memory: online, all zero.
        let out = heap_table(&heap(&[Some(&[(20, 7)]), Some(&[])]));
        let body: Vec<&str> = out
            .lines()
            .skip_while(|l| !l.trim_start().starts_with("zone"))
            .collect();
        assert!(body[0].ends_with("node0  node1  Total"), "{}", body[0]);
        assert_eq!(body.len(), 3, "{out}");
        assert!(body[1]
            .trim_start()
            .starts_with("20  [0x0000000080000000, 0x0000000100000000)"));
        assert!(body[1].ends_with("7      0      7"), "{}", body[1]);
        assert!(body[2].trim_start().starts_with("Total"));
        assert!(body[2].ends_with("7      0      7"), "{}", body[2]);
    }

    #[test]
    fn table_columns_follow_sparse_node_ids() {
        let out = heap_table(&heap(&[None, Some(&[(0, 4)]), None, Some(&[(21, 1)])]));
        assert!(out.contains("zone  machine addresses"));
        assert!(out.contains("node1  node3  Total"));
        assert!(!out.contains("node0") && !out.contains("node2"));
        // Zone 0 is the Xen heap, not an address range.
        assert!(out
            .lines()
            .any(|l| l.trim_start().starts_with("0  Xen heap")));
    }

    #[test]
    fn physinfo_table_in_pages_and_mib() {
        let out = physinfo_table(&physinfo(2));
        assert_eq!(
            out,
            "Host (XEN_SYSCTL_physinfo)\n\
             \x20 NUMA nodes online:  2\n\
             \x20 CPUs online:        2\n\
             \x20 Total memory:       524288 pages (2048.0 MiB)\n\
             \x20 Free memory:        261234 pages (1020.4 MiB)\n"
        );
    }

    #[test]
    fn table_blocks_are_separated_and_ordered() {
        let report = Report {
            physinfo: Some(physinfo(2)),
            heap: Some(two_nodes()),
            ..Default::default()
        };
        let out = render(&report, Format::Table);
        let host = out.find("Host (").unwrap();
        let heap_at = out.find("\n\nFree heap memory").unwrap();
        assert!(host < heap_at);
        let only_heap = render(
            &Report {
                physinfo: None,
                heap: Some(two_nodes()),
                ..Default::default()
            },
            Format::Table,
        );
        assert!(only_heap.starts_with("Free heap memory"));
    }

    #[test]
    fn mib_rounds_down_to_tenths() {
        assert_eq!(mib(0), "0.0");
        assert_eq!(mib(256), "1.0");
        assert_eq!(mib(281), "1.0");
        assert_eq!(mib(282), "1.1");
        assert_eq!(mib(u64::MAX), "72057594037927935.9");
    }

    #[test]
    fn zone_labels() {
        assert_eq!(zone_label(0), "Xen heap");
        assert_eq!(zone_label(1), "[0x0000000000000000, 0x0000000000002000)");
        assert_eq!(zone_label(21), "[0x0000000100000000, 0x0000000200000000)");
        assert_eq!(zone_label(41), "?");
    }

    /// A recorded getdomnodestat(-1 node) answer: per node id
    /// `(page_list, extra_page_list, xenpage_list)`, `None` offline.
    fn domstat(
        domain: DomainSel,
        tot_pages: u64,
        nodes: &[Option<(u64, u64, u64)>],
    ) -> DomNodeStat {
        use xen_numastat_abi::{XenSysctlNumaGetdomnodestat, XEN_NUMA_NODE_OFFLINE};
        let off = XenNumaNodePages {
            page_list: XEN_NUMA_NODE_OFFLINE,
            extra_page_list: XEN_NUMA_NODE_OFFLINE,
            xenpage_list: XEN_NUMA_NODE_OFFLINE,
        };
        let raw: Vec<XenNumaNodePages> = nodes
            .iter()
            .map(|n| match n {
                None => off,
                Some((p, e, x)) => XenNumaNodePages {
                    page_list: *p,
                    extra_page_list: *e,
                    xenpage_list: *x,
                },
            })
            .collect();
        let mut total = XenNumaNodePages::default();
        for (p, e, x) in nodes.iter().flatten() {
            total.page_list += p;
            total.extra_page_list += e;
            total.xenpage_list += x;
        }
        let out = XenSysctlNumaGetdomnodestat {
            total,
            tot_pages,
            xenheap_pages: total.xenpage_list,
            extra_pages: total.extra_page_list,
            nr_nodes: raw.len() as u32,
            pieces: 1,
            ..Default::default()
        };
        DomNodeStat::from_raw(domain, None, &out, Some(&raw)).unwrap()
    }

    /// Three nodes: dom0 spread over them, domain 1 made with pages on
    /// nodes 0 and 2 and two Xen heap pages (shared info and grant table)
    /// on node 1, domain 5 with extra pages.
    fn three_node_domains() -> Vec<DomNodeStat> {
        vec![
            domstat(
                DomainSel::Domain(0),
                131_072,
                &[Some((114_688, 0, 3)), Some((16_384, 0, 0)), Some((0, 0, 0))],
            ),
            domstat(
                DomainSel::Domain(1),
                3000,
                &[Some((1000, 0, 0)), Some((0, 0, 2)), Some((2000, 0, 0))],
            ),
            domstat(
                DomainSel::Domain(5),
                10,
                &[Some((10, 4, 1)), Some((0, 0, 0)), Some((0, 0, 0))],
            ),
        ]
    }

    #[test]
    fn domain_seed_lines_are_exact() {
        let out = domains_seed(&three_node_domains());
        assert_eq!(
            out,
            "DOM0: NODE0: PAGES: 114691\n\
             DOM0: NODE1: PAGES: 16384\n\
             DOM0: NODE2: PAGES: 0\n\
             DOM1: NODE0: PAGES: 1000\n\
             DOM1: NODE1: PAGES: 2\n\
             DOM1: NODE2: PAGES: 2000\n\
             DOM5: NODE0: PAGES: 11\n\
             DOM5: NODE1: PAGES: 0\n\
             DOM5: NODE2: PAGES: 0\n"
        );
    }

    #[test]
    fn free_seed_is_dom_minus_one_and_skips_offline_ids() {
        let free = domstat(
            DomainSel::Free,
            0,
            &[Some((236_481, 0, 0)), None, Some((150_379, 0, 0))],
        );
        assert_eq!(
            domains_seed(core::slice::from_ref(&free)),
            "DOM-1: NODE0: PAGES: 236481\nDOM-1: NODE2: PAGES: 150379\n"
        );
        assert_eq!(
            free_table(&free),
            "Free pages by node (XEN_SYSCTL_numa_getdomnodestat of the free lists)\n\
             \x20        node0   node2   Total\n\
             \x20 free  236481  150379  386860\n"
        );
    }

    #[test]
    fn domain_table_for_three_nodes() {
        let out = domains_table(&three_node_domains());
        let expected = "\
Domain memory by node (XEN_SYSCTL_numa_getdomnodestat, one walk per domain)
  Pages on page_list by node; xenheap: pages on xenpage_list, extra:
  pages on extra_page_list (all nodes)
  domid  tot_pages   node0  node1  node2   Total  xenheap  extra
      0     131072  114688  16384      0  131072        3      0
      1       3000    1000      0   2000    3000        2      0
      5         10      10      0      0      10        1      4
  Total     134082  115698  16384   2000  134082        6      4
";
        assert_eq!(out, expected);
    }

    #[test]
    fn all_views_in_order() {
        let report = Report {
            physinfo: Some(physinfo(3)),
            heap: Some(two_nodes()),
            free: Some(domstat(DomainSel::Free, 0, &[Some((5, 0, 0))])),
            domains: Some(three_node_domains()),
        };
        let out = render(&report, Format::Table);
        let at = |needle: &str| out.find(needle).unwrap();
        assert!(at("Host (") < at("\n\nFree heap memory"));
        assert!(at("Free heap memory") < at("\n\nFree pages by node"));
        assert!(at("Free pages by node") < at("\n\nDomain memory by node"));
        let seed = render(&report, Format::Seed);
        let lines: Vec<&str> = seed.lines().collect();
        assert_eq!(lines[0], "PHYSINFO: NR_NODES: 3");
        let free_at = lines.iter().position(|l| l.starts_with("DOM-1:")).unwrap();
        assert!(lines[..free_at].iter().all(|l| !l.starts_with("DOM")));
        assert_eq!(lines[free_at], "DOM-1: NODE0: PAGES: 5");
        assert_eq!(lines[free_at + 1], "DOM0: NODE0: PAGES: 114691");
        assert_eq!(*lines.last().unwrap(), "DOM5: NODE2: PAGES: 0");
    }

    #[test]
    fn a_domain_view_without_domains_still_has_its_header() {
        let out = domains_table(&[]);
        assert!(
            out.contains("domid  tot_pages  Total  xenheap  extra"),
            "{out}"
        );
        assert!(
            out.ends_with("Total          0      0        0      0\n"),
            "{out}"
        );
    }
}
