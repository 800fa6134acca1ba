//! Boots the stock Xen on two nodes and checks that the harness works end to
//! end: dom0 runs its commands, privcmd is there, Xen's boot facts and a
//! serial debug key parse. About 15-20 s under TCG.

use std::time::Duration;

use xen_numastat_qemu_tests::parse::parse_numa_dump;
use xen_numastat_qemu_tests::{boot, ensure_artifacts, Error, Topology};

const DEADLINE: Duration = Duration::from_secs(120);

#[test]
fn stock_two_nodes_reach_dom0() {
    ensure_artifacts().unwrap_or_else(|e| panic!("{e}"));
    let topo = Topology::two_nodes()
        .stock()
        .label("smoke-stock-2node")
        .run_named("ls", "ls /dev/xen")
        .run_named("meminfo", "cat /proc/meminfo | head -3")
        .press_keys("u");
    let r = boot(&topo, DEADLINE).unwrap_or_else(|e| panic!("{e}"));
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
