// SPDX-License-Identifier: GPL-2.0-only
//! The buddy allocator's free page counters, by node and zone.
//!
//! Mirrors what xen/common/page_alloc.c kept in `avail[node][zone]` before
//! patch 0003: `alloc_heap_pages()`, `free_heap_pages()` and
//! `reserve_offlined_page()` change a counter with `heap_lock` held; readers
//! (`avail_heap_pages()`, the sysctl) may read without it and then see each
//! counter's latest value, or, holding it, a consistent snapshot.
//!
//! Writers are serialised by `heap_lock`, so an update is a relaxed load and
//! store (plain `mov`s, as the C code compiled to): atomics only make the
//! lock-free reads well defined, they add no locked instruction.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use xen_numastat_abi::{MAX_NUMNODES, NR_ZONES};

/// Per-node, per-zone free page counters and "node heap initialised" flags.
/// `repr(C)`: xen/common/page_alloc.c reads and updates this storage inline
/// on its hot paths as `struct numastat_heap` (patch 0008; the layout is
/// pinned below and against C by numastat-abi-check.h).
#[repr(C)]
#[derive(Debug)]
pub struct HeapCounters {
    avail: [[AtomicU64; NR_ZONES]; MAX_NUMNODES],
    ready: [AtomicBool; MAX_NUMNODES],
}

static_assertions::const_assert_eq!(
    core::mem::offset_of!(HeapCounters, ready),
    xen_numastat_abi::NUMASTAT_HEAP_READY_OFFSET
);
static_assertions::const_assert_eq!(
    core::mem::size_of::<HeapCounters>(),
    xen_numastat_abi::NUMASTAT_HEAP_SIZE
);

impl Default for HeapCounters {
    fn default() -> Self {
        Self::new()
    }
}

impl HeapCounters {
    pub const fn new() -> Self {
        Self {
            avail: [const { [const { AtomicU64::new(0) }; NR_ZONES] }; MAX_NUMNODES],
            ready: [const { AtomicBool::new(false) }; MAX_NUMNODES],
        }
    }

    fn counter(&self, node: usize, zone: usize) -> Option<&AtomicU64> {
        self.avail.get(node)?.get(zone)
    }

    /// `init_node_heap()`: zero the node's counters and mark its heap as
    /// set up. Returns false for a node id out of range.
    pub fn init_node(&self, node: usize) -> bool {
        let (Some(row), Some(ready)) = (self.avail.get(node), self.ready.get(node)) else {
            return false;
        };
        for c in row {
            c.store(0, Relaxed);
        }
        ready.store(true, Relaxed);
        true
    }

    /// Has `init_node_heap()` run for this node (`avail[node] != NULL`)?
    pub fn node_ready(&self, node: usize) -> bool {
        self.ready.get(node).is_some_and(|r| r.load(Relaxed))
    }

    /// Free pages of (node, zone); 0 for an id out of range or a node whose
    /// heap is not set up.
    pub fn avail(&self, node: usize, zone: usize) -> u64 {
        self.counter(node, zone).map_or(0, |c| c.load(Relaxed))
    }

    /// Adds freed pages. Caller holds `heap_lock`. Returns false, changing
    /// nothing, for a bad id, a node not set up, or an overflow.
    pub fn add(&self, node: usize, zone: usize, pages: u64) -> bool {
        if !self.node_ready(node) {
            return false;
        }
        let Some(c) = self.counter(node, zone) else {
            return false;
        };
        match c.load(Relaxed).checked_add(pages) {
            Some(v) => {
                c.store(v, Relaxed);
                true
            }
            None => false,
        }
    }

    /// Removes allocated pages. Caller holds `heap_lock`. Returns false,
    /// changing nothing, for a bad id or if the counter would go negative
    /// (the C code had `ASSERT(avail[node][zone] >= request)`).
    pub fn sub(&self, node: usize, zone: usize, pages: u64) -> bool {
        let Some(c) = self.counter(node, zone) else {
            return false;
        };
        match c.load(Relaxed).checked_sub(pages) {
            Some(v) => {
                c.store(v, Relaxed);
                true
            }
            None => false,
        }
    }

    /// Free pages of `node` over all zones (0 for an id out of range or a
    /// node not set up): one row, without scanning the others.
    pub fn node_total(&self, node: usize) -> u64 {
        self.avail.get(node).map_or(0, |row| {
            row.iter()
                .fold(0u64, |t, c| t.wrapping_add(c.load(Relaxed)))
        })
    }

    /// `avail_heap_pages(zone_lo, zone_hi, node)`: free pages in zones
    /// `zone_lo..=zone_hi` (zone_hi clamped to `NR_ZONES - 1`) of `node`, or
    /// of every online node when `node` is `u32::MAX` (C's `-1`).
    pub fn avail_range(
        &self,
        zone_lo: usize,
        zone_hi: usize,
        node: u32,
        node_online: impl Fn(usize) -> bool,
    ) -> u64 {
        let zone_hi = zone_hi.min(NR_ZONES - 1);
        let mut total: u64 = 0;
        for (n, row) in self.avail.iter().enumerate() {
            if !(node == u32::MAX || node as usize == n) || !node_online(n) || !self.node_ready(n) {
                continue;
            }
            for c in row.iter().take(zone_hi.saturating_add(1)).skip(zone_lo) {
                total = total.wrapping_add(c.load(Relaxed));
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_and_sub_track_pages() {
        let h = HeapCounters::new();
        assert!(!h.add(1, 5, 8), "node not set up yet");
        assert!(h.init_node(1));
        assert!(h.add(1, 5, 8));
        assert!(h.add(1, 5, 4));
        assert_eq!(h.avail(1, 5), 12);
        assert!(h.sub(1, 5, 12));
        assert_eq!(h.avail(1, 5), 0);
    }

    #[test]
    fn rejects_bad_ids_and_underflow_without_change() {
        let h = HeapCounters::new();
        assert!(h.init_node(0));
        assert!(h.add(0, 3, 2));
        assert!(!h.sub(0, 3, 3));
        assert_eq!(h.avail(0, 3), 2);
        assert!(!h.add(0, NR_ZONES, 1));
        assert!(!h.add(MAX_NUMNODES, 0, 1));
        assert!(!h.init_node(MAX_NUMNODES));
        assert_eq!(h.avail(MAX_NUMNODES, 0), 0);
        assert!(h.add(0, 3, u64::MAX - 2));
        assert!(!h.add(0, 3, 1), "overflow is refused");
    }

    #[test]
    fn avail_range_matches_the_c_semantics() {
        let h = HeapCounters::new();
        for n in [0, 2] {
            assert!(h.init_node(n));
            for z in 0..NR_ZONES {
                assert!(h.add(n, z, (n * 100 + z) as u64));
            }
        }
        let online = |n: usize| n == 0 || n == 2;
        // One zone, one node.
        assert_eq!(h.avail_range(7, 7, 2, online), 207);
        // All zones of node 0: sum of 0..41.
        assert_eq!(h.avail_range(0, 99, 0, online), (0..41).sum::<u64>());
        // All nodes, zones 1..=2.
        assert_eq!(h.avail_range(1, 2, u32::MAX, online), 1 + 2 + 201 + 202);
        // One node's row, directly.
        assert_eq!(h.node_total(2), (0..41).map(|z| 200 + z).sum::<u64>());
        assert_eq!(h.node_total(1), 0);
        assert_eq!(h.node_total(MAX_NUMNODES), 0);
        // An offline node counts for nothing even with counters.
        assert_eq!(
            h.avail_range(0, 40, u32::MAX, |n| n == 0),
            (0..41).sum::<u64>()
        );
        // Empty range.
        assert_eq!(h.avail_range(5, 4, u32::MAX, online), 0);
    }
}
