// SPDX-License-Identifier: GPL-2.0-only
//! `XEN_SYSCTL_numa_availheap`: free pages by zone and node (the 2006
//! patch's `availheap(zone, node)`, on Xen 4.17's one-zone-per-address-bit
//! heap). The public struct is documented in
//! `xen/include/public/sysctl.h` (patch 0002) and abi/src/numastat.rs;
//! lock and error rules are in docs/abi.md.
//!
//! Order of work, so that nothing is left locked on any path:
//! 1. validate every input (`-EINVAL`, `-ENOBUFS`), no lock held;
//! 2. take `heap_lock`, read the counters into the caller's scratch buffer,
//!    drop `heap_lock`: the lock is held for at most
//!    `MAX_NUMNODES * NR_ZONES` counter reads and `node_online()` tests;
//! 3. copy the snapshot to the caller (`-EFAULT`).
//!
//! The scratch buffer is static (see `ffi.rs`), not allocated per call: an
//! allocation would take pages from the very heap being measured, so a
//! caller comparing our numbers with Xen's `u` key or numainfo right after
//! would see them differ by the buffer's pages.

use crate::errno::Errno;
use crate::heap::HeapCounters;
use crate::nospec::index_nospec;
use crate::platform::{node_rows, parse_node as parse_node_id, HeapPlatform};
use xen_numastat_abi::{
    XenSysctlNumaAvailheap, MAX_NUMNODES, NR_ZONES, XEN_NUMA_ANY, XEN_NUMA_NODE_OFFLINE,
};

/// Entries of the largest snapshot: every zone of every possible node.
pub const SNAPSHOT_ENTRIES: usize = MAX_NUMNODES * NR_ZONES;

/// The validated request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Request {
    /// First node id and number of node rows.
    node_lo: usize,
    rows: usize,
    /// First zone and number of zone columns.
    zone_lo: usize,
    cols: usize,
}

fn parse_zone(zone: i32) -> Result<(usize, usize), Errno> {
    if zone == XEN_NUMA_ANY {
        return Ok((0, NR_ZONES));
    }
    match usize::try_from(zone) {
        Ok(z) if z < NR_ZONES => Ok((index_nospec(z, NR_ZONES), 1)),
        _ => Err(Errno::EINVAL),
    }
}

fn parse_node<P: HeapPlatform>(p: &P, node: i32) -> Result<(usize, usize), Errno> {
    Ok(match parse_node_id(p, node)? {
        Some(n) => (n, 1),
        None => (0, node_rows(p)),
    })
}

fn validate<P: HeapPlatform>(p: &P, op: &XenSysctlNumaAvailheap) -> Result<Request, Errno> {
    if op.pad != 0 {
        return Err(Errno::EINVAL);
    }
    let (zone_lo, cols) = parse_zone(op.zone)?;
    let (node_lo, rows) = parse_node(p, op.node)?;
    Ok(Request {
        node_lo,
        rows,
        zone_lo,
        cols,
    })
}

/// Handles `XEN_SYSCTL_numa_availheap`. `op` is the caller's struct, already
/// copied in by do_sysctl(); the OUT fields are written here and do_sysctl()
/// copies the struct back (also on `-ENOBUFS`, for `nr_counts`). `scratch`
/// holds the snapshot between the lock and the copy to the caller.
pub fn availheap<P: HeapPlatform>(
    p: &P,
    heap: &HeapCounters,
    scratch: &mut [u64; SNAPSHOT_ENTRIES],
    op: &mut XenSysctlNumaAvailheap,
) -> Result<(), Errno> {
    let req = validate(p, op)?;
    // At most MAX_NUMNODES * NR_ZONES = 2624: cannot overflow.
    let needed = req.rows.saturating_mul(req.cols);
    let want_counts = op.counts != 0;
    if want_counts {
        let have = op.nr_counts;
        op.nr_counts = u32::try_from(needed).map_err(|_| Errno::EINVAL)?;
        if (have as usize) < needed {
            return Err(Errno::ENOBUFS);
        }
    }
    // needed <= SNAPSHOT_ENTRIES by construction of rows and cols.
    let mut buf = if want_counts {
        scratch.get_mut(..needed)
    } else {
        None
    };

    let (pages, nr_nodes) = p.with_heap_lock(|| {
        let mut pages: u64 = 0;
        let mut nr_nodes: u32 = 0;
        let mut out = buf.as_mut().map(|b| b.iter_mut());
        for node in req.node_lo..req.node_lo.saturating_add(req.rows) {
            let online = p.node_online(node);
            if online {
                nr_nodes = nr_nodes.saturating_add(1);
            }
            for zone in req.zone_lo..req.zone_lo.saturating_add(req.cols) {
                let v = if online {
                    heap.avail(node, zone)
                } else {
                    XEN_NUMA_NODE_OFFLINE
                };
                if online {
                    pages = pages.wrapping_add(v);
                }
                if let Some(slot) = out.as_mut().and_then(|it| it.next()) {
                    *slot = v;
                }
            }
        }
        (pages, nr_nodes)
    });

    op.pages = pages;
    op.nr_nodes = nr_nodes;
    op.nr_zones = req.cols as u32;
    match buf {
        Some(b) => p.copy_counts(op, b),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};

    /// A stand-in for Xen: online map, lock bookkeeping, a guest buffer.
    struct FakeXen {
        online: Vec<usize>,
        locked: Cell<bool>,
        lock_count: Cell<u32>,
        guest: RefCell<Vec<u64>>,
        copy_fails: bool,
    }

    impl FakeXen {
        fn new(online: &[usize]) -> Self {
            FakeXen {
                online: online.to_vec(),
                locked: Cell::new(false),
                lock_count: Cell::new(0),
                guest: RefCell::new(Vec::new()),
                copy_fails: false,
            }
        }
    }

    impl HeapPlatform for FakeXen {
        fn node_online(&self, node: usize) -> bool {
            self.online.contains(&node)
        }
        fn with_heap_lock<R>(&self, f: impl FnOnce() -> R) -> R {
            assert!(!self.locked.get(), "heap_lock taken twice");
            self.locked.set(true);
            self.lock_count.set(self.lock_count.get() + 1);
            let r = f();
            self.locked.set(false);
            r
        }
        fn copy_counts(&self, _op: &XenSysctlNumaAvailheap, src: &[u64]) -> Result<(), Errno> {
            assert!(!self.locked.get(), "copy to guest under heap_lock");
            if self.copy_fails {
                return Err(Errno::EFAULT);
            }
            *self.guest.borrow_mut() = src.to_vec();
            Ok(())
        }
    }

    /// Nodes 0 and 2 online (sparse ids), node 2 memoryless.
    fn setup() -> (FakeXen, HeapCounters) {
        let h = HeapCounters::new();
        assert!(h.init_node(0));
        assert!(h.add(0, 0, 100));
        assert!(h.add(0, 18, 5000));
        assert!(h.add(0, 19, 7));
        (FakeXen::new(&[0, 2]), h)
    }

    fn scratch() -> Box<[u64; SNAPSHOT_ENTRIES]> {
        Box::new([0xdead; SNAPSHOT_ENTRIES])
    }

    fn op(zone: i32, node: i32) -> XenSysctlNumaAvailheap {
        XenSysctlNumaAvailheap {
            zone,
            node,
            ..Default::default()
        }
    }

    #[test]
    fn wildcards_cover_every_zone_and_online_node() {
        let (x, h) = setup();
        let mut o = op(-1, -1);
        assert_eq!(availheap(&x, &h, &mut scratch(), &mut o), Ok(()));
        assert_eq!((o.pages, o.nr_zones, o.nr_nodes), (5107, 41, 2));
        assert_eq!(x.lock_count.get(), 1);
        assert!(x.guest.borrow().is_empty(), "nothing copied without counts");
    }

    #[test]
    fn single_zone_and_node() {
        let (x, h) = setup();
        let mut o = op(18, 0);
        assert_eq!(availheap(&x, &h, &mut scratch(), &mut o), Ok(()));
        assert_eq!((o.pages, o.nr_zones, o.nr_nodes), (5000, 1, 1));
        let mut o = op(18, 2);
        assert_eq!(availheap(&x, &h, &mut scratch(), &mut o), Ok(()));
        assert_eq!(
            (o.pages, o.nr_zones, o.nr_nodes),
            (0, 1, 1),
            "memoryless node"
        );
        let mut o = op(-1, 0);
        assert_eq!(availheap(&x, &h, &mut scratch(), &mut o), Ok(()));
        assert_eq!((o.pages, o.nr_zones), (5107, 41));
    }

    #[test]
    fn counts_matrix_rows_by_node_id_with_offline_rows_marked() {
        let (x, h) = setup();
        let mut o = op(-1, -1);
        o.counts = 0x1000;
        o.nr_counts = 3 * 41;
        assert_eq!(availheap(&x, &h, &mut scratch(), &mut o), Ok(()));
        assert_eq!(o.nr_counts, 3 * 41);
        let g = x.guest.borrow();
        assert_eq!(g.len(), 3 * 41);
        assert_eq!((g[0], g[18], g[19], g[20]), (100, 5000, 7, 0));
        assert!(
            g[41..82].iter().all(|&v| v == XEN_NUMA_NODE_OFFLINE),
            "node 1 offline"
        );
        assert!(g[82..].iter().all(|&v| v == 0), "node 2 memoryless");
        let row_sums: u64 = g[0..41].iter().sum::<u64>() + g[82..].iter().sum::<u64>();
        assert_eq!(row_sums, o.pages);
    }

    #[test]
    fn too_small_buffer_reports_needed_size_before_locking() {
        let (x, h) = setup();
        let mut o = op(5, -1);
        o.counts = 0x1000;
        o.nr_counts = 2;
        assert_eq!(
            availheap(&x, &h, &mut scratch(), &mut o),
            Err(Errno::ENOBUFS)
        );
        assert_eq!(o.nr_counts, 3);
        assert_eq!(x.lock_count.get(), 0);
        assert!(x.guest.borrow().is_empty());
    }

    #[test]
    fn rejects_bad_input_without_locking() {
        let (x, h) = setup();
        for (zone, node) in [
            (41, 0),
            (-2, 0),
            (i32::MIN, 0),
            (0, 1),
            (0, 64),
            (0, -2),
            (0, i32::MAX),
        ] {
            let mut o = op(zone, node);
            assert_eq!(
                availheap(&x, &h, &mut scratch(), &mut o),
                Err(Errno::EINVAL),
                "zone {zone} node {node}"
            );
        }
        let mut o = op(-1, -1);
        o.pad = 1;
        assert_eq!(
            availheap(&x, &h, &mut scratch(), &mut o),
            Err(Errno::EINVAL)
        );
        assert_eq!(x.lock_count.get(), 0);
    }

    #[test]
    fn largest_request_fits_the_scratch_buffer() {
        let h = HeapCounters::new();
        let all: Vec<usize> = (0..MAX_NUMNODES).collect();
        for &n in &all {
            assert!(h.init_node(n));
            assert!(h.add(n, NR_ZONES - 1, 1));
        }
        let x = FakeXen::new(&all);
        let mut o = op(-1, -1);
        o.counts = 0x1000;
        o.nr_counts = u32::MAX;
        assert_eq!(availheap(&x, &h, &mut scratch(), &mut o), Ok(()));
        assert_eq!(o.nr_counts as usize, SNAPSHOT_ENTRIES);
        assert_eq!(
            (o.pages, o.nr_nodes),
            (MAX_NUMNODES as u64, MAX_NUMNODES as u32)
        );
        assert_eq!(x.guest.borrow().len(), SNAPSHOT_ENTRIES);
    }

    #[test]
    fn copy_failure_is_reported_after_unlocking() {
        let (mut x, h) = setup();
        let mut o = op(-1, -1);
        o.counts = 0x1000;
        o.nr_counts = 200;
        x.copy_fails = true;
        assert_eq!(
            availheap(&x, &h, &mut scratch(), &mut o),
            Err(Errno::EFAULT)
        );
        assert!(!x.locked.get());
    }
}
