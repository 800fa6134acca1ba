//! Boots the stock Xen on two nodes and checks that the harness works end to
//! end: dom0 runs its commands, privcmd is there, Xen's boot facts and a
//! serial debug key parse. Then the same for the patched release image, what
//! a user installs, with its availheap against key 'u' and no heap walk.
//! About 15-40 s a boot under TCG.

mod common;

use std::time::Duration;

use common::{key_text, parse_matrix};
use xen_numastat_abi::errno;
use xen_numastat_qemu_tests::parse::parse_numa_dump;
use xen_numastat_qemu_tests::{boot, ensure_artifacts, BootResult, Error, Topology, XenImage};

const DEADLINE: Duration = Duration::from_secs(120);
const EOPNOTSUPP: i64 = -(errno::EOPNOTSUPP as i64);

/// Two 1 GiB nodes with dom0's basic commands and debug key 'u' pressed on
/// the serial console after them.
fn two_nodes(image: XenImage, label: &str) -> Topology {
    Topology::two_nodes()
        .xen_image(image)
        .label(label)
        .run_named("ls", "ls /dev/xen")
        .run_named("meminfo", "cat /proc/meminfo | head -3")
        .press_keys("u")
}

/// What every image must show on two nodes: dom0 ran its commands with
/// privcmd, dom0's memory, Xen's SRAT and DMA width, key 'u'.
fn check_reaches_dom0(r: &BootResult) {
    r.expect_all_ok();
    r.check(r.privcmd_loaded, "insmod xen-privcmd.ko failed");

    let ls = &r.command("ls").output;
    for dev in ["privcmd", "hypercall"] {
        r.check(
            ls.iter().any(|l| l == dev),
            format!("/dev/xen/{dev} missing: {ls:?}"),
        );
    }
    let mem_total_kib: u64 = r.command("meminfo").output[0]
        .strip_prefix("MemTotal:")
        .and_then(|s| s.trim().strip_suffix("kB"))
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| r.fail("no MemTotal in /proc/meminfo"));
    // dom0_mem=512M; the kernel keeps some for itself.
    r.check(
        mem_total_kib > 256 * 1024 && mem_total_kib <= 512 * 1024,
        format!("dom0 MemTotal {mem_total_kib} kB is not within 256M..512M"),
    );

    // QEMU node 1 starts at 1 GiB; the legacy hole splits node 0 in two.
    let srat: Vec<_> = r
        .srat_ranges()
        .iter()
        .map(|s| (s.node, s.pxm, s.start))
        .collect();
    r.check(
        srat == [(0, 0, 0), (0, 0, 0x100000), (1, 1, 0x4000_0000)],
        format!("SRAT lines {srat:?}"),
    );
    r.check(
        r.dma_width_bits() == Some(28),
        format!("DMA width {:?}", r.dma_width_bits()),
    );

    let u = r
        .key_output('u')
        .unwrap_or_else(|| r.fail("no output for key u"));
    let u = parse_numa_dump(&u.text()).unwrap_or_else(|e| r.fail(e));
    r.check(u.nodes.len() == 2, format!("nodes {:?}", u.nodes));
    let dom0 = u
        .domain(0)
        .unwrap_or_else(|| r.fail("no Domain 0 in key u"));
    r.check(
        dom0.total_pages == 512 * 256 && dom0.listed_pages() == dom0.total_pages,
        format!("dom0 pages {dom0:?}"),
    );
}

#[test]
fn stock_two_nodes_reach_dom0() {
    ensure_artifacts().unwrap_or_else(|e| panic!("{e}"));
    let r = boot(&two_nodes(XenImage::Stock, "smoke-stock-2node"), DEADLINE)
        .unwrap_or_else(|e| panic!("{e}"));
    println!("{}", r.summary());
    check_reaches_dom0(&r);
}

/// The image a user installs (build/xen-release/xen/xen): it boots, its
/// availheap answers and agrees with Xen's key 'u' per node, and the
/// test-only heap walk is not in it (`-EOPNOTSUPP`), while availheap.rs
/// walks the free lists of the debug image in every case.
#[test]
fn release_two_nodes_reach_dom0() {
    ensure_artifacts().unwrap_or_else(|e| panic!("{e}"));
    let t = two_nodes(XenImage::Release, "smoke-release-2node")
        .run_named("matrix", "dom0-testkit matrix")
        .run_named("key-u", "dom0-testkit keys u")
        .run_named("matrix-again", "dom0-testkit matrix")
        .run_named("heapwalk", "dom0-testkit heapwalk 0 0")
        .run_named("seed", "xen-numastat -p --format=seed");
    let r = boot(&t, DEADLINE).unwrap_or_else(|e| panic!("{e}"));
    println!("{}", r.summary());
    check_reaches_dom0(&r);

    let m = parse_matrix(&r, r.command("matrix"));
    r.check(
        parse_matrix(&r, r.command("matrix-again")) == m,
        "the heap changed while dom0 was reading it",
    );
    r.check(
        m.pages > 0 && m.nodes() == [0, 1],
        format!("availheap: {} pages on nodes {:?}", m.pages, m.nodes()),
    );
    let per_node: Vec<u64> = m.nodes().iter().map(|&n| m.node_total(n)).collect();
    let u = parse_numa_dump(&key_text(&r, r.command("key-u"))).unwrap_or_else(|e| r.fail(e));
    for (node, &ours) in per_node.iter().enumerate() {
        let theirs = u
            .node(node as u32)
            .unwrap_or_else(|| r.fail(format!("key u lacks NODE{node}")))
            .free_pages;
        r.check(
            ours == theirs,
            format!("node {node}: availheap {ours} pages, key u free->{theirs}"),
        );
    }
    println!("release: free pages per node {per_node:?} (key u agrees)");
    let walk = &r.command("heapwalk").output;
    r.check(
        walk.len() == 1 && walk[0].ends_with(&format!(" rc={EOPNOTSUPP}")),
        format!("the release image answered the heap walk: {walk:?}, want rc={EOPNOTSUPP}"),
    );
    r.check(
        r.command("seed").output == ["PHYSINFO: NR_NODES: 2"],
        format!("{:?}", r.command("seed").output),
    );
}

#[test]
fn a_boot_that_times_out_reports_its_log() {
    ensure_artifacts().unwrap_or_else(|e| panic!("{e}"));
    let topo = Topology::two_nodes().stock().label("smoke-timeout");
    match boot(&topo, Duration::from_secs(3)) {
        Err(Error::Boot {
            what,
            log_path,
            tail,
        }) => {
            assert!(what.contains("within 3s"), "{what}");
            let path = log_path.expect("the full log is written");
            let log = std::fs::read_to_string(&path).unwrap();
            assert!(log.starts_with("# qemu-system-x86_64 "), "{log}");
            assert!(tail.contains("serial log"), "{tail}");
            std::fs::remove_file(path).unwrap();
        }
        Ok(_) => panic!("dom0 finished within 3 s"),
        Err(e) => panic!("unexpected error: {e}"),
    }
}
