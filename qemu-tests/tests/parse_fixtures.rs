//! The parsers on serial output recorded from stock Xen 4.17.5 under QEMU
//! (tests/fixtures/README.md says how each file was made).

use xen_numastat_qemu_tests::parse::{
    dma_width_bits, numa_fallback, parse_heap_dump, parse_numa_dump, parse_pagealloc_info,
    srat_memoryless_nodes, srat_ranges, HeapDump, NumaDump, PageAllocInfo,
};

const TWO_NODE: &str = include_str!("fixtures/stock-2node.serial.txt");
const THREE_NODE: &str = include_str!("fixtures/stock-3node-unequal.serial.txt");
const MEMORYLESS: &str = include_str!("fixtures/stock-memoryless.serial.txt");
const NUMA_OFF: &str = include_str!("fixtures/stock-numa-off.serial.txt");

const KIB_PER_PAGE: u64 = 4;

fn dumps(text: &str) -> (NumaDump, PageAllocInfo, HeapDump) {
    (
        parse_numa_dump(text).unwrap(),
        parse_pagealloc_info(text).unwrap(),
        parse_heap_dump(text).unwrap(),
    )
}

/// How `dom0-testkit keys` prints the same lines.
fn as_testkit(text: &str) -> String {
    text.lines().map(|l| format!("xen| {l}\n")).collect()
}

/// The three dumps were taken on an idle host a second apart: Xen's own
/// numbers agree with each other.
fn check_consistent(text: &str) {
    let (u, m, h) = dumps(text);
    for n in &u.nodes {
        // `u` free = avail_heap_pages(all zones, node) = sum of `H` zones.
        assert_eq!(n.free_pages, h.node_pages(n.node), "node {}", n.node);
    }
    let h_total: u64 = h.zones.iter().map(|z| z.pages).sum();
    assert_eq!(m.zones_total_kb(), h_total * KIB_PER_PAGE);
    for z in &m.zones {
        assert_eq!(
            z.free_kb,
            h.zone_pages(z.zone) * KIB_PER_PAGE,
            "zone {}",
            z.zone
        );
    }
    assert_eq!(
        m.dma_heap_kb.unwrap_or(0) + m.dom_heap_kb,
        m.zones_total_kb()
    );
    // The DMA heap is the zones below dma_bitsize (zone + PAGE_SHIFT bits).
    if let Some(bits) = dma_width_bits(text) {
        let below: u64 = m
            .zones
            .iter()
            .filter(|z| z.zone + 12 < bits)
            .map(|z| z.free_kb)
            .sum();
        assert_eq!(m.dma_heap_kb, Some(below));
    } else {
        assert_eq!(m.dma_heap_kb, None);
    }
    let dom0 = u.domain(0).unwrap();
    assert_eq!(dom0.listed_pages(), dom0.total_pages);
    // 512M of dom0_mem.
    assert_eq!(dom0.total_pages, 131072);
    // The same text as dom0-testkit prints it parses the same.
    let t = as_testkit(text);
    assert_eq!(parse_numa_dump(&t).unwrap(), u);
    assert_eq!(parse_pagealloc_info(&t).unwrap(), m);
    assert_eq!(parse_heap_dump(&t).unwrap(), h);
    assert_eq!(srat_ranges(&t), srat_ranges(text));
}

#[test]
fn two_nodes() {
    let (u, m, h) = dumps(TWO_NODE);
    let nodes: Vec<_> = u
        .nodes
        .iter()
        .map(|n| (n.node, n.start_pfn, n.size_pages, n.free_pages))
        .collect();
    assert_eq!(nodes, [(0, 0, 262144, 235255), (1, 262144, 262111, 151615)]);
    assert!(u.warnings.is_empty());
    assert_eq!((u.cpu_node(0), u.cpu_node(1)), (Some(0), Some(1)));
    assert_eq!(u.domains.len(), 1);
    assert_eq!(u.domain(0).unwrap().node_pages, [(0, 25752), (1, 105320)]);

    assert_eq!(m.xen_heap_kb, 0);
    assert_eq!(m.dma_heap_kb, Some(64512));
    assert_eq!(m.dom_heap_kb, 1482968);
    let zones: Vec<_> = m.zones.iter().map(|z| z.zone).collect();
    assert_eq!(zones, [15, 16, 17, 18, 19]);

    // Xen prints every zone (0..=40 on x86-64) of every node with a heap.
    assert_eq!(h.nodes(), [0, 1]);
    assert_eq!(h.zones.len(), 2 * 41);
    assert!(h.unscrubbed.is_empty());

    assert_eq!(dma_width_bits(TWO_NODE), Some(28));
    let r = srat_ranges(TWO_NODE);
    let r: Vec<_> = r.iter().map(|r| (r.node, r.pxm, r.start, r.end)).collect();
    assert_eq!(
        r,
        [
            (0, 0, 0, 0x9ffff),
            (0, 0, 0x100000, 0x3fffffff),
            (1, 1, 0x40000000, 0x7fffffff)
        ]
    );
    assert!(srat_memoryless_nodes(TWO_NODE).is_empty());
    check_consistent(TWO_NODE);
}

#[test]
fn three_unequal_nodes() {
    let (u, m, _) = dumps(THREE_NODE);
    let sizes: Vec<_> = u.nodes.iter().map(|n| n.size_pages).collect();
    // 512M, 1G, 768M less what the firmware keeps at the top of RAM.
    assert_eq!(sizes, [131072, 262144, 196575]);
    assert_eq!(
        u.domain(0).unwrap().node_pages,
        [(0, 53099), (1, 7502), (2, 70471)]
    );
    // DMA width 27 = zone 15: nothing lies below it, so `DMA heap: 0kB`
    // comes before heap[15].
    assert_eq!(dma_width_bits(THREE_NODE), Some(27));
    assert_eq!(m.dma_heap_kb, Some(0));
    let mib: Vec<_> = [0, 1, 2]
        .iter()
        .map(|&n| {
            srat_ranges(THREE_NODE)
                .iter()
                .filter(|r| r.node == n)
                .map(|r| r.len())
                .sum::<u64>()
                >> 20
        })
        .collect();
    // Node 0 misses the legacy hole 0xa0000-0xfffff.
    assert_eq!(mib, [511, 1024, 768]);
    check_consistent(THREE_NODE);
}

#[test]
fn memoryless_node() {
    let (u, _, h) = dumps(MEMORYLESS);
    let n1 = u.node(1).unwrap();
    assert_eq!((n1.start_pfn, n1.size_pages, n1.free_pages), (0, 0, 0));
    // Xen 4.17's own sanity check trips on a memoryless node.
    assert_eq!(
        u.warnings,
        ["phys_to_nid(0000000000001000) -> 0 should be 1"]
    );
    assert_eq!(u.cpu_node(1), Some(1));
    assert_eq!(u.domain(0).unwrap().pages_on(1), Some(0));
    // `H` skips nodes without a heap.
    assert_eq!(h.nodes(), [0, 2]);
    assert_eq!(srat_memoryless_nodes(MEMORYLESS), [1]);
    let nodes: Vec<_> = srat_ranges(MEMORYLESS).iter().map(|r| r.node).collect();
    assert_eq!(nodes, [0, 0, 2]);
    check_consistent(MEMORYLESS);
}

#[test]
fn numa_off() {
    let (u, m, h) = dumps(NUMA_OFF);
    assert_eq!(u.nodes.len(), 1);
    assert_eq!(u.cpus.len(), 1);
    assert_eq!((u.cpus[0].first_cpu, u.cpus[0].last_cpu), (0, 1));
    assert_eq!(u.domain(0).unwrap().node_pages, [(0, 131072)]);
    // One node: no DMA zone, so neither a width nor a `DMA heap:` line.
    assert_eq!(dma_width_bits(NUMA_OFF), None);
    assert_eq!(m.dma_heap_kb, None);
    assert_eq!(h.nodes(), [0]);
    assert!(srat_ranges(NUMA_OFF).is_empty());
    assert_eq!(numa_fallback(NUMA_OFF).as_deref(), Some("NUMA turned off"));
    check_consistent(NUMA_OFF);
}
