// SPDX-License-Identifier: GPL-2.0-only
//! Text output of `xen-numastat`: the 2006 tool's seed lines (exactly as
//! before: QEMU tests and scripts parse them) and the numastat-style
//! tables. Pure functions of a [`Snapshot`], tested with recorded answers.

use super::args::{TableOptions, Unit};
use super::model::{
    node_list, zone_range_label, FreeSource, HeapSource, Names, Snapshot, Topology, ZoneHeap,
};
use super::table::{mem, unit_words, Cell, Column, NoSuchColumn, Row, Table};
use std::fmt::Write as _;
use xen_numastat_abi::{XenNumaNodePages, XenSysctlPhysinfo};
use xen_numastat_tools::{Availheap, DmaWidth, DomNodeStat, DomainSel};

/// The seed lines of every view in `s`: physinfo, heap, free pages,
/// domains.
pub fn seed(s: &Snapshot) -> String {
    let mut out = String::new();
    if let Some(t) = &s.topology {
        out.push_str(&physinfo_seed(&t.physinfo));
    }
    if let Some(h) = &s.heap {
        out.push_str(&heap_seed(&h.availheap));
    }
    if let Some(f) = &s.free {
        out.push_str(&domains_seed(core::slice::from_ref(&f.stat)));
    }
    if let Some(d) = &s.domains {
        let stats: Vec<DomNodeStat> = d.iter().map(|d| d.stat.clone()).collect();
        out.push_str(&domains_seed(&stats));
    }
    out
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

/// The tables of every view in `s`, separated by blank lines.
pub fn tables(
    s: &Snapshot,
    o: &TableOptions,
    width: Option<usize>,
) -> Result<String, NoSuchColumn> {
    if let Some(Some(n)) = o.sort {
        if !s.nodes().contains(&n) {
            return Err(NoSuchColumn(n));
        }
    }
    let mut blocks = Vec::new();
    if let Some(t) = &s.topology {
        blocks.push(topology_table(t, o, width)?);
    }
    if let Some(h) = &s.heap {
        blocks.push(heap_table(&h.availheap, h.source, h.dma, o, width)?);
    }
    if let Some(f) = &s.free {
        blocks.push(free_table(&f.stat, f.source, o, width)?);
    }
    if let Some(d) = &s.domains {
        let names = s.names == Names::Read;
        blocks.push(domains_table(d, names, o, width)?);
        if d.iter().any(|d| d.verify.is_some()) {
            blocks.push(verify_lines(d));
        }
    }
    Ok(blocks.join("\n"))
}

/// The per-node, per-list differences between a domain's counters and a
/// walk of its lists, `(node, list, counters, walk)`; empty when they agree.
pub fn verify_diffs(
    counters: &DomNodeStat,
    walk: &DomNodeStat,
) -> Vec<(u32, &'static str, u64, u64)> {
    let mut out = Vec::new();
    let nodes: std::collections::BTreeSet<u32> =
        counters.online_nodes().chain(walk.online_nodes()).collect();
    for n in nodes {
        let (c, w) = (
            counters.pages(n).unwrap_or_default(),
            walk.pages(n).unwrap_or_default(),
        );
        for (list, a, b) in [
            ("page_list", c.page_list, w.page_list),
            ("extra_page_list", c.extra_page_list, w.extra_page_list),
            ("xenpage_list", c.xenpage_list, w.xenpage_list),
        ] {
            if a != b {
                out.push((n, list, a, b));
            }
        }
    }
    out
}

/// `--verify`: per domain, whether its counters and a walk agree, and
/// where not.
fn verify_lines(domains: &[super::model::Domain]) -> String {
    let mut s = String::from(
        "Counters against a walk of each domain's page lists (--verify, XEN_NUMA_GDNS_walk; in pages)\n",
    );
    for d in domains {
        let Some((c, w)) = &d.verify else { continue };
        let diffs = verify_diffs(c, w);
        let how = format!("walk: {} pieces, {} restarts", w.pieces, w.restarts);
        if diffs.is_empty() {
            s.push_str(&format!(
                "  Domain {}: counters == walk on every node ({how})\n",
                d.domid()
            ));
        } else {
            s.push_str(&format!(
                "  Domain {}: counters and walk DIFFER ({how})\n",
                d.domid()
            ));
            for (n, list, a, b) in diffs {
                let delta = i128::from(a) - i128::from(b);
                s.push_str(&format!(
                    "    node {n} {list}: counters {a}, walk {b} ({delta:+})\n"
                ));
            }
        }
    }
    s.push_str(
        "  A difference is legitimate only while pages are in flight (a memory exchange\n  \
         or grant transfer of that domain) or for PoD cache pages; see docs/counters.md.\n",
    );
    s
}

/// `unit`'s name after an amount: "MB", "pages", ...
pub fn unit_suffix(unit: Unit) -> &'static str {
    match unit {
        Unit::Mb => "MB",
        Unit::Gb => "GB",
        Unit::Kb => "KB",
        Unit::Pages => "pages",
        Unit::Bytes => "bytes",
    }
}

fn amount(pages: u64, o: &TableOptions) -> String {
    format!("{} {}", mem(pages, o.unit, o.compact), unit_suffix(o.unit))
}

fn node_columns(nodes: &[u32]) -> Vec<Column> {
    nodes.iter().map(|&n| Column::node(n)).collect()
}

/// `-p`: the host line (physinfo), memory and CPUs per node (numainfo,
/// cputopoinfo), and the distance matrix (numainfo), as `numactl
/// --hardware` shows it.
pub fn topology_table(
    t: &Topology,
    o: &TableOptions,
    width: Option<usize>,
) -> Result<String, NoSuchColumn> {
    let p = &t.physinfo;
    let mut s = String::from(
        "NUMA topology (XEN_SYSCTL_physinfo, XEN_SYSCTL_numainfo, XEN_SYSCTL_cputopoinfo)\n",
    );
    let _ = writeln!(
        s,
        "  {} nodes online, {} CPUs online; memory {}, free {}",
        p.nr_nodes,
        p.nr_cpus,
        amount(p.total_pages, o),
        amount(p.free_pages, o)
    );
    let nodes = t.online_nodes();
    if nodes.is_empty() {
        return Ok(s);
    }
    let _ = writeln!(s, "\nPer-node memory and CPUs ({})", unit_words(o.unit));
    let mut columns = node_columns(&nodes);
    columns.push(Column::total());
    let mem_row = |label: &str, f: &dyn Fn(u64, u64) -> u64| {
        let mut cells: Vec<Cell> = nodes
            .iter()
            .map(|&n| {
                let (size, free) = t.node_memory(n).unwrap_or((0, 0));
                Cell::Mem(f(size, free))
            })
            .collect();
        let total = nodes
            .iter()
            .map(|&n| {
                let (size, free) = t.node_memory(n).unwrap_or((0, 0));
                f(size, free)
            })
            .fold(0, u64::saturating_add);
        cells.push(Cell::Mem(total));
        Row {
            labels: vec![label.into()],
            cells,
        }
    };
    let mut rows = vec![
        mem_row("MemTotal", &|size, _| size),
        mem_row("MemFree", &|_, free| free),
        mem_row("MemUsed", &|size, free| size.saturating_sub(free)),
    ];
    if t.cpus.is_some() {
        let mut counts: Vec<Cell> = nodes
            .iter()
            .map(|&n| Cell::Int(t.cpus_of(n).len() as u64))
            .collect();
        counts.push(Cell::Int(
            nodes.iter().map(|&n| t.cpus_of(n).len() as u64).sum(),
        ));
        rows.push(Row {
            labels: vec!["CPUs".into()],
            cells: counts,
        });
        let mut lists: Vec<Cell> = nodes
            .iter()
            .map(|&n| Cell::Text(node_list(t.cpus_of(n))))
            .collect();
        lists.push(Cell::Empty);
        rows.push(Row {
            labels: vec!["CPU list".into()],
            cells: lists,
        });
    }
    let no_sort = TableOptions { sort: None, ..*o };
    let table = Table {
        label_headers: vec![String::new()],
        columns,
        rows,
        total: None,
        underline: true,
    };
    s.push_str(&table.render(&no_sort, width)?);
    if let Some(ni) = &t.numainfo {
        s.push_str("\nNode distances (XEN_SYSCTL_numainfo)\n");
        let rows = nodes
            .iter()
            .map(|&from| Row {
                labels: vec![format!("{from}:")],
                cells: nodes
                    .iter()
                    .map(|&to| match ni.distance(from as usize, to as usize) {
                        Some(d) if d != xen_numastat_abi::XEN_INVALID_NODE_DIST => {
                            Cell::Int(u64::from(d))
                        }
                        _ => Cell::Text("-".into()),
                    })
                    .collect(),
            })
            .collect();
        let matrix = Table {
            label_headers: vec!["node".into()],
            columns: nodes
                .iter()
                .map(|n| Column::other(&n.to_string()))
                .collect(),
            rows,
            total: None,
            underline: false,
        };
        let plain = TableOptions {
            sort: None,
            skip_zeros: false,
            ..*o
        };
        s.push_str(&matrix.render(&plain, width)?);
    }
    Ok(s)
}

/// Where Xen's DMA zone ends, in words.
pub fn dma_words(dma: DmaWidth) -> String {
    match dma {
        DmaWidth::Bits(b) => match dma.boundary() {
            Some(end) => format!(
                "DMA zone: below {} (DMA width {b} bits, from Xen's boot message)",
                super::model::size_label(end)
            ),
            None => format!("DMA width {b} bits"),
        },
        DmaWidth::None => "no DMA zone (Xen's boot message gives no DMA width)".into(),
        DmaWidth::Unknown => {
            "DMA boundary unknown: Xen's boot message has left its console ring\n  \
             (on x86 the DMA zone ends at or below 4G)"
                .into()
        }
    }
}

/// `-H`: free memory by zone (rows: the address range, from the lowest to
/// the highest zone with free memory) and node (columns), a Total row,
/// and where the DMA zone ends.
pub fn heap_table(
    h: &Availheap,
    source: HeapSource,
    dma: DmaWidth,
    o: &TableOptions,
    width: Option<usize>,
) -> Result<String, NoSuchColumn> {
    let how = match source {
        HeapSource::NumaAvailheap => "XEN_SYSCTL_numa_availheap, one snapshot".to_string(),
        HeapSource::Availheap => "XEN_SYSCTL_availheap by address width, one call per node and \
             zone, not one snapshot: this Xen lacks XEN_SYSCTL_numa_availheap"
            .to_string(),
    };
    let mut s = format!("Free heap memory by zone ({how}; {})\n", unit_words(o.unit));
    let _ = writeln!(s, "  {}", dma_words(dma));
    let Some(c) = &h.counts else {
        let _ = writeln!(s, "  Total free: {}", amount(h.pages, o));
        return Ok(s);
    };
    let nodes: Vec<u32> = c.online_nodes().collect();
    let used: Vec<u32> = c
        .zones()
        .iter()
        .copied()
        .filter(|&z| c.zone_total(z) > 0)
        .collect();
    let mut rows = Vec::new();
    if let (Some(&lo), Some(&hi)) = (used.first(), used.last()) {
        for zone in lo..=hi {
            let mut cells: Vec<Cell> = nodes
                .iter()
                .map(|&n| Cell::Mem(c.pages(n, zone).unwrap_or(0)))
                .collect();
            cells.push(Cell::Mem(c.zone_total(zone)));
            rows.push(Row {
                labels: vec![
                    zone.to_string(),
                    zone_range_label(zone),
                    ZoneHeap::of(zone, dma).name().to_uppercase(),
                ],
                cells,
            });
        }
    }
    let mut totals: Vec<Cell> = nodes.iter().map(|&n| Cell::Mem(c.node_total(n))).collect();
    totals.push(Cell::Mem(c.total()));
    let mut columns = node_columns(&nodes);
    columns.push(Column::total());
    let table = Table {
        label_headers: vec!["Zone".into(), "Addresses".into(), "Heap".into()],
        columns,
        rows,
        total: Some(Row {
            labels: vec!["Total".into(), String::new(), String::new()],
            cells: totals,
        }),
        underline: true,
    };
    s.push_str(&table.render(o, width)?);
    if let DmaWidth::Bits(_) = dma {
        let below: u64 = c
            .zones()
            .iter()
            .filter(|&&z| dma.zone_is_dma(z))
            .map(|&z| c.zone_total(z))
            .sum();
        let _ = writeln!(
            s,
            "  Free in the DMA zone: {}; above it: {}",
            amount(below, o),
            amount(c.total().saturating_sub(below), o)
        );
    }
    Ok(s)
}

/// `-d free`: each node's free memory.
pub fn free_table(
    st: &DomNodeStat,
    source: FreeSource,
    o: &TableOptions,
    width: Option<usize>,
) -> Result<String, NoSuchColumn> {
    let how = match source {
        FreeSource::Getdomnodestat => "XEN_SYSCTL_numa_getdomnodestat of the free lists",
        FreeSource::Numainfo => {
            "XEN_SYSCTL_numainfo memfree: this Xen lacks XEN_SYSCTL_numa_getdomnodestat"
        }
    };
    let nodes: Vec<u32> = st.online_nodes().collect();
    let mut s = format!("Free memory by node ({how}; {})\n", unit_words(o.unit));
    let mut cells: Vec<Cell> = nodes
        .iter()
        .map(|&n| Cell::Mem(st.pages(n).map_or(0, |p| p.page_list)))
        .collect();
    cells.push(Cell::Mem(st.total.page_list));
    let mut columns = node_columns(&nodes);
    columns.push(Column::total());
    let table = Table {
        label_headers: vec![String::new()],
        columns,
        rows: vec![Row {
            labels: vec!["Free".into()],
            cells,
        }],
        total: None,
        underline: true,
    };
    let no_zero_rows = TableOptions {
        skip_zeros: false,
        sort: None,
        ..*o
    };
    s.push_str(&table.render(&no_zero_rows, width)?);
    Ok(s)
}

/// `-d`: one row per domain: its id and, with `names` (xenstore was
/// read), its name (`-` if it has none), then its memory (`page_list`) on
/// each node and in all, its Xen heap and extra pages, how many nodes hold
/// it, the share on its node affinity, the affinity and the handle; a
/// Total row. Without names the table is the one of a host without
/// xenstored, no Name column of dashes.
pub fn domains_table(
    domains: &[super::model::Domain],
    names: bool,
    o: &TableOptions,
    width: Option<usize>,
) -> Result<String, NoSuchColumn> {
    let mut set = std::collections::BTreeSet::new();
    for d in domains {
        set.extend(d.stat.online_nodes());
    }
    let nodes: Vec<u32> = set.into_iter().collect();
    let mut s = format!(
        "Per-domain memory by node (XEN_SYSCTL_numa_getdomnodestat, Xen's counters; {})\n",
        unit_words(o.unit)
    );
    if !o.compact {
        s.push_str(
            "  Node columns and Total: page_list; Xenheap: xenpage_list; Extra:\n\
             \x20 extra_page_list; Nodes: nodes holding its memory; Local: share on the\n\
             \x20 nodes of its node affinity (XEN_DOMCTL_getnodeaffinity)\n",
        );
    }
    let mut columns = node_columns(&nodes);
    columns.push(Column::total());
    for h in ["Xenheap", "Extra", "Nodes", "Local"] {
        columns.push(Column::other(h));
    }
    columns.push(Column::text("Affinity"));
    columns.push(Column::text("Handle"));
    let mut rows = Vec::new();
    let mut sums = vec![0u64; nodes.len()];
    let mut all = XenNumaNodePages::default();
    let mut local = 0u64;
    for d in domains {
        let mut cells = Vec::new();
        for (sum, &n) in sums.iter_mut().zip(&nodes) {
            let p = d.pages_on(n);
            *sum = sum.saturating_add(p);
            cells.push(match d.stat.pages(n) {
                Some(_) => Cell::Mem(p),
                None => Cell::Text("-".into()),
            });
        }
        all = all.saturating_add(&d.stat.total);
        local = local.saturating_add(d.local_pages());
        let uuid = d.uuid();
        cells.extend([
            Cell::Mem(d.total_pages()),
            Cell::Mem(d.stat.total.xenpage_list),
            Cell::Mem(d.stat.total.extra_page_list),
            Cell::Int(u64::from(d.nodes_used())),
            Cell::Ratio(d.local_ratio()),
            Cell::Text(node_list(&d.affinity)),
            Cell::Text(if o.compact {
                uuid[..8].to_string()
            } else {
                uuid
            }),
        ]);
        let mut labels = vec![d.domid().to_string()];
        if names {
            labels.push(d.name.clone().unwrap_or_else(|| "-".into()));
        }
        rows.push(Row { labels, cells });
    }
    let mut totals: Vec<Cell> = sums.into_iter().map(Cell::Mem).collect();
    totals.extend([
        Cell::Mem(all.page_list),
        Cell::Mem(all.xenpage_list),
        Cell::Mem(all.extra_page_list),
        Cell::Empty,
        Cell::Ratio((all.page_list > 0).then(|| local as f64 / all.page_list as f64)),
        Cell::Empty,
        Cell::Empty,
    ]);
    let (label_headers, total_labels) = if names {
        (
            vec!["Domain".into(), "Name".into()],
            vec!["Total".into(), String::new()],
        )
    } else {
        (vec!["Domain".into()], vec!["Total".into()])
    };
    let table = Table {
        label_headers,
        columns,
        rows,
        total: Some(Row {
            labels: total_labels,
            cells: totals,
        }),
        underline: true,
    };
    s.push_str(&table.render(o, width)?);
    Ok(s)
}
