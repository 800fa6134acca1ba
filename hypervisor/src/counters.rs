// SPDX-License-Identifier: GPL-2.0-only
//! A domain's pages per node and list, kept as Xen assigns and frees them,
//! so that getdomnodestat answers in O(nodes) without visiting a page.
//!
//! One [`DomainCounters`] per domain (`d->numastat`, 832 bytes inside C's
//! `struct domain`, zeroed with it by `alloc_domain_struct()`). Every
//! update happens at a hook in Xen's C where a page joins or leaves one of
//! the domain's lists, with `d->page_alloc_lock` held (docs/counters.md
//! lists the hook sites). The lock serialises writers; atomics with relaxed
//! ordering compile to plain moves and only make the block shareable.
//!
//! What a count means: pages owned by the domain from `assign_pages()` (or
//! `share_xen_page_with_guest()`) until `free_domheap_pages()` /
//! `steal_page()` (or `page_make_sharable()`) takes them back, per list
//! kind. Moving a page between the domain's own lists without changing its
//! owner (`relinquish_memory()`'s relmem_list, the PoD cache) does not
//! change a count. Invariants, checked at every update in a debug build:
//! Σ extra == `d->extra_pages`, Σ xenpage == `d->xenheap_pages`,
//! Σ page <= `domain_tot_pages(d)`, with equality unless a
//! `memory_exchange()` or `gnttab_transfer()` has pages in flight.
//!
//! Never silent: an update that would under- or overflow, or names a bad
//! node or list, changes nothing, marks the domain inconsistent and tells
//! the caller whether this is the first time (Xen logs it once, ASSERTs in
//! a debug build, and getdomnodestat reports it in `status`).

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use xen_numastat_abi::{NumaList, XenNumaNodePages, MAX_NUMNODES};

/// The paused walk of this domain (hypervisor/src/walk.rs): Xen's own copy
/// of where it stopped, named by a token the caller carries.
#[repr(C)]
#[derive(Debug, Default)]
pub struct WalkSlot {
    /// The token handed out with this position; 0: none.
    pub token: AtomicU64,
    /// The last token handed out for this domain.
    pub last_token: AtomicU64,
    /// [`NumaList`] of the position.
    pub list: AtomicU32,
    /// `removals` when the walk paused.
    pub removals: AtomicU64,
    /// MFN of the last page counted (`!0`: at the head of `list`).
    pub last_mfn: AtomicU64,
    /// MFN of the next page to count.
    pub next_mfn: AtomicU64,
}

/// Per-node, per-list page counts of one domain, and its walk slot.
#[repr(C)]
#[derive(Debug)]
pub struct DomainCounters {
    /// `pages[list][node]`: list-major, so that C's inline update
    /// addresses a counter with one scaled index (`pages[list - 1][node]`,
    /// the list a constant at each hook).
    /// 32 bits each: Xen 4.17 counts a domain's pages in `unsigned int`.
    pages: [[AtomicU32; MAX_NUMNODES]; 3],
    /// Pages taken off the domain's lists so far (wrapping): a walk paused
    /// at a removal count resumes only if it is unchanged.
    removals: AtomicU64,
    /// Nonzero once an update was refused.
    inconsistent: AtomicU32,
    pub walk: WalkSlot,
}

// numastat.c updates `pages` and `removals` inline (patch 0008): their
// offsets are pinned here and against C by numastat-abi-check.h.
static_assertions::const_assert_eq!(core::mem::offset_of!(DomainCounters, pages), 0);
static_assertions::const_assert_eq!(
    core::mem::offset_of!(DomainCounters, removals),
    xen_numastat_abi::NUMASTAT_DOMAIN_PAGES_SIZE
);

/// Bytes of each domain's block in C's `struct domain`.
pub const SIZE: usize = core::mem::size_of::<DomainCounters>();
static_assertions::const_assert_eq!(SIZE, xen_numastat_abi::NUMASTAT_DOMAIN_SIZE);
static_assertions::const_assert_eq!(core::mem::align_of::<DomainCounters>(), 8);

/// How an update went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adjusted {
    Applied,
    /// Refused (bad node or list, under- or overflow); the domain was
    /// consistent until now: log it.
    FirstRefusal,
    /// Refused, and the domain was already marked.
    Refused,
}

impl Adjusted {
    /// `numastat_domain_adjust()`'s return value: 0, or bit 0 (refused)
    /// with bit 1 (first time) (xen/include/xen/numastat.h).
    pub const fn to_c(self) -> i32 {
        match self {
            Adjusted::Applied => 0,
            Adjusted::FirstRefusal => 3,
            Adjusted::Refused => 1,
        }
    }
}

impl Default for DomainCounters {
    fn default() -> Self {
        Self::new()
    }
}

impl DomainCounters {
    /// All zero: the same state as C's zeroed allocation.
    pub const fn new() -> Self {
        Self {
            pages: [const { [const { AtomicU32::new(0) }; MAX_NUMNODES] }; 3],
            removals: AtomicU64::new(0),
            inconsistent: AtomicU32::new(0),
            walk: WalkSlot {
                token: AtomicU64::new(0),
                last_token: AtomicU64::new(0),
                list: AtomicU32::new(0),
                removals: AtomicU64::new(0),
                last_mfn: AtomicU64::new(0),
                next_mfn: AtomicU64::new(0),
            },
        }
    }

    fn refuse(&self) -> Adjusted {
        if self.inconsistent.swap(1, Relaxed) == 0 {
            Adjusted::FirstRefusal
        } else {
            Adjusted::Refused
        }
    }

    /// `pages` joined (> 0) or left (< 0) `list` on `node`. Caller holds
    /// `d->page_alloc_lock`.
    pub fn adjust(&self, node: usize, list: u32, pages: i64) -> Adjusted {
        let Some(list) = NumaList::from_u32(list) else {
            return self.refuse();
        };
        let Some(c) = self.pages.get(list.index()).and_then(|row| row.get(node)) else {
            return self.refuse();
        };
        let Ok(n) = u32::try_from(pages.unsigned_abs()) else {
            return self.refuse();
        };
        let old = c.load(Relaxed);
        let new = if pages < 0 {
            old.checked_sub(n)
        } else {
            old.checked_add(n)
        };
        match new {
            Some(v) => {
                c.store(v, Relaxed);
                if pages < 0 {
                    self.removals
                        .store(self.removals.load(Relaxed).wrapping_add(1), Relaxed);
                }
                Adjusted::Applied
            }
            None => self.refuse(),
        }
    }

    /// Pages left a list without a counted change of owner (the PoD cache
    /// takes pages off `page_list`): paused walks must not resume.
    pub fn list_changed(&self) {
        self.removals
            .store(self.removals.load(Relaxed).wrapping_add(1), Relaxed);
    }

    /// The removal count (for a walk's resume check).
    pub fn removals(&self) -> u64 {
        self.removals.load(Relaxed)
    }

    /// Has an update been refused?
    pub fn is_inconsistent(&self) -> bool {
        self.inconsistent.load(Relaxed) != 0
    }

    /// One node's counts; `None` for an id out of range.
    pub fn node(&self, node: usize) -> Option<XenNumaNodePages> {
        let [p, e, x] = &self.pages;
        let (p, e, x) = (p.get(node)?, e.get(node)?, x.get(node)?);
        Some(XenNumaNodePages {
            page_list: p.load(Relaxed).into(),
            extra_page_list: e.load(Relaxed).into(),
            xenpage_list: x.load(Relaxed).into(),
        })
    }

    /// Σ over nodes, per list.
    pub fn sums(&self) -> XenNumaNodePages {
        let mut t = XenNumaNodePages::default();
        for n in 0..MAX_NUMNODES {
            if let Some(c) = self.node(n) {
                t = t.saturating_add(&c);
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: u32 = NumaList::Page as u32;
    const EXTRA: u32 = NumaList::Extra as u32;
    const XEN: u32 = NumaList::XenPage as u32;

    #[test]
    fn counts_per_node_and_list() {
        let c = DomainCounters::new();
        assert_eq!(c.adjust(0, PAGE, 512), Adjusted::Applied);
        assert_eq!(c.adjust(2, PAGE, 3), Adjusted::Applied);
        assert_eq!(c.adjust(2, EXTRA, 1), Adjusted::Applied);
        assert_eq!(c.adjust(1, XEN, 2), Adjusted::Applied);
        assert_eq!(c.adjust(0, PAGE, -12), Adjusted::Applied);
        assert_eq!(c.node(0).unwrap().page_list, 500);
        assert_eq!(c.node(2).unwrap().extra_page_list, 1);
        let s = c.sums();
        assert_eq!(
            (s.page_list, s.extra_page_list, s.xenpage_list),
            (503, 1, 2)
        );
        assert_eq!(c.removals(), 1, "one removal");
        assert!(!c.is_inconsistent());
    }

    #[test]
    fn refused_updates_change_nothing_and_mark_once() {
        let c = DomainCounters::new();
        assert_eq!(c.adjust(0, PAGE, 1), Adjusted::Applied);
        assert_eq!(c.adjust(0, PAGE, -2), Adjusted::FirstRefusal);
        assert_eq!(c.node(0).unwrap().page_list, 1, "underflow changed nothing");
        assert_eq!(c.adjust(MAX_NUMNODES, PAGE, 1), Adjusted::Refused);
        assert_eq!(c.adjust(0, 0, 1), Adjusted::Refused);
        assert_eq!(c.adjust(0, 4, 1), Adjusted::Refused);
        assert!(c.is_inconsistent());
        assert_eq!(c.adjust(0, PAGE, i64::MIN), Adjusted::Refused);
        assert_eq!(
            c.adjust(0, PAGE, 1),
            Adjusted::Applied,
            "valid updates go on"
        );
        let big = DomainCounters::new();
        assert_eq!(
            big.adjust(0, XEN, i64::from(u32::MAX) + 1),
            Adjusted::FirstRefusal,
            "wider than a count"
        );
        assert_eq!(
            big.adjust(0, XEN, i64::from(u32::MAX) - 1),
            Adjusted::Applied
        );
        assert_eq!(big.adjust(0, XEN, 2), Adjusted::Refused, "overflow");
        assert_eq!(big.adjust(0, XEN, 1), Adjusted::Applied);
        assert_eq!(big.node(0).unwrap().xenpage_list, u64::from(u32::MAX));
        assert_eq!(
            big.adjust(0, XEN, 1),
            Adjusted::Refused,
            "overflow at the top"
        );
    }

    #[test]
    fn c_return_values() {
        assert_eq!(Adjusted::Applied.to_c(), 0);
        assert_eq!(Adjusted::Refused.to_c() & 1, 1);
        assert_eq!(Adjusted::FirstRefusal.to_c(), 3);
    }
}
