// SPDX-License-Identifier: GPL-2.0-only
//! The numastat operations our patch series adds to Xen 4.17's public
//! interface (`xen/include/public/sysctl.h`, patch 0002). The C text of the
//! header is hand-written in Xen's style; these definitions are checked
//! against it at Xen build time (see [`crate::c_checks`], docs/abi.md).

use core::mem::{offset_of, size_of};
use static_assertions::const_assert_eq;
use zerocopy::{FromBytes, Immutable, IntoBytes};

/// `#define XEN_SYSCTL_numa_availheap 64`
///
/// Op numbers are chosen far above upstream's highest sysctl (29 in 4.17) so
/// a later upstream op cannot collide with them (docs/abi.md).
pub const XEN_SYSCTL_NUMA_AVAILHEAP: u32 = 64;
/// `#define XEN_SYSCTL_numa_heapwalk 65`
pub const XEN_SYSCTL_NUMA_HEAPWALK: u32 = 65;

/// `#define XEN_NUMA_ANY (-1)`: the wildcard for `zone` and `node`.
pub const XEN_NUMA_ANY: i32 = -1;

/// `#define XEN_NUMA_NODE_OFFLINE (~0ULL)`: the value of every entry of an
/// offline node's row in `xen_sysctl_numa_availheap.counts`.
pub const XEN_NUMA_NODE_OFFLINE: u64 = !0;

/// Zones of Xen's buddy allocator on x86-64:
/// `NR_ZONES = PADDR_BITS - PAGE_SHIFT + 1` (xen/common/page_alloc.c).
/// Zone 0 is `MEMZONE_XEN`; zone `z > 0` holds MFNs whose highest set bit is
/// bit `z - 1`, i.e. machine addresses in `[2^(z+11), 2^(z+12))`.
pub const NR_ZONES: usize = 41;
/// `#define MEMZONE_XEN 0`
pub const MEMZONE_XEN: usize = 0;
/// `MAX_NUMNODES` on x86 (`1 << NODES_SHIFT`, NODES_SHIFT = 6).
pub const MAX_NUMNODES: usize = 64;
/// `PAGE_SHIFT` on x86.
pub const PAGE_SHIFT: u32 = 12;
/// Bytes from the start of the component's heap counters
/// (`struct numastat_heap`, hypervisor/src/heap.rs) to their `ready`
/// flags: the `avail[MAX_NUMNODES][NR_ZONES]` words. page_alloc.c reads and
/// updates that storage inline (patch 0008).
pub const NUMASTAT_HEAP_READY_OFFSET: usize = MAX_NUMNODES * NR_ZONES * 8;
/// `sizeof(struct numastat_heap)`: the counters and one flag per node.
pub const NUMASTAT_HEAP_SIZE: usize = NUMASTAT_HEAP_READY_OFFSET + MAX_NUMNODES;
/// Bytes of one of the per-domain block's page counts: 32 bits, as Xen
/// 4.17's own `tot_pages`, `extra_pages` and `xenheap_pages` (a domain
/// cannot hold more on one node than in all).
pub const NUMASTAT_DOMAIN_COUNT_SIZE: usize = 4;
/// Bytes of the per-domain block's `pages[3][MAX_NUMNODES]` (list-major),
/// at its start (`struct numastat_domain`, hypervisor/src/counters.rs),
/// followed by the removal count; xen/numastat-domain.h updates both
/// inline (patches 0008, 0009).
pub const NUMASTAT_DOMAIN_PAGES_SIZE: usize = MAX_NUMNODES * 3 * NUMASTAT_DOMAIN_COUNT_SIZE;
/// Bytes of one list's row of `pages`: one counter per node.
pub const NUMASTAT_DOMAIN_LIST_ROW_SIZE: usize = MAX_NUMNODES * NUMASTAT_DOMAIN_COUNT_SIZE;
/// `sizeof(struct numastat_domain)`: the counters, the removal count, the
/// consistency mark and the paused walk's slot. It is part of C's
/// `struct domain` (patch 0009), whose page it fits in.
pub const NUMASTAT_DOMAIN_SIZE: usize = 832;

/// `PAGE_SIZE` on x86.
pub const PAGE_SIZE: usize = 1 << PAGE_SHIFT;

/// `struct xen_sysctl_numa_availheap`: free pages of the buddy allocator by
/// zone and node, all read in one hold of `heap_lock` (one snapshot).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenSysctlNumaAvailheap {
    /// IN: zone, `0 <= zone < NR_ZONES`, or [`XEN_NUMA_ANY`].
    pub zone: i32,
    /// IN: online node id, or [`XEN_NUMA_ANY`].
    pub node: i32,
    /// OUT: number of zones covered.
    pub nr_zones: u32,
    /// OUT: number of online nodes covered.
    pub nr_nodes: u32,
    /// OUT: free pages in the covered zones of the covered nodes.
    pub pages: u64,
    /// IN: guest address of a `uint64_t` array, or 0. OUT (when non-zero):
    /// entry `[r * cols + c]` holds the free pages of row `r`, column `c`,
    /// where rows are node ids `0..=highest online node id` (one row, the
    /// requested node, without the wildcard) and columns are zones
    /// `0..NR_ZONES` (one column, the requested zone, without the wildcard).
    /// Rows of offline node ids hold [`XEN_NUMA_NODE_OFFLINE`].
    pub counts: u64,
    /// IN: entries `counts` can hold. OUT (only when `counts` is non-zero):
    /// entries needed (rows * cols); too small: `-ENOBUFS`, with this field
    /// set. Left as it was when `counts` is zero.
    pub nr_counts: u32,
    /// IN: must be zero.
    pub pad: u32,
}
const_assert_eq!(size_of::<XenSysctlNumaAvailheap>(), 40);
const_assert_eq!(offset_of!(XenSysctlNumaAvailheap, pages), 16);
const_assert_eq!(offset_of!(XenSysctlNumaAvailheap, counts), 24);
const_assert_eq!(offset_of!(XenSysctlNumaAvailheap, pad), 36);

impl crate::SysctlPayload for XenSysctlNumaAvailheap {
    const CMD: u32 = XEN_SYSCTL_NUMA_AVAILHEAP;
    const NAME: &'static str = "XEN_SYSCTL_numa_availheap";
}

/// `struct xen_sysctl_numa_heapwalk`: test and diagnostic op (patch 0005,
/// `CONFIG_NUMASTAT_HEAPWALK`; without it Xen answers `-EOPNOTSUPP`). Walks the free lists `_heap[node][zone][*]`
/// and reads the numastat counter for the same (node, zone) in the same hold
/// of `heap_lock`, so the two can be compared without a race.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenSysctlNumaHeapwalk {
    /// IN: online node id.
    pub node: u32,
    /// IN: zone, `0 <= zone < NR_ZONES`.
    pub zone: u32,
    /// OUT: pages found on the free lists.
    pub pages: u64,
    /// OUT: free-list entries (buddy chunks) walked.
    pub chunks: u64,
    /// OUT: the counter availheap reports for (node, zone).
    pub counter: u64,
}
const_assert_eq!(size_of::<XenSysctlNumaHeapwalk>(), 32);
const_assert_eq!(offset_of!(XenSysctlNumaHeapwalk, counter), 24);

impl crate::SysctlPayload for XenSysctlNumaHeapwalk {
    const CMD: u32 = XEN_SYSCTL_NUMA_HEAPWALK;
    const NAME: &'static str = "XEN_SYSCTL_numa_heapwalk";
}

/// `#define XEN_SYSCTL_numa_getdomnodestat 66`
pub const XEN_SYSCTL_NUMA_GETDOMNODESTAT: u32 = 66;

/// `#define XEN_NUMA_DOMAIN_FREE (~0U)`: as `domain`, asks for the free pages
/// of each node instead of a domain's (the 2006 header's `domain = -1`,
/// "per-node free list"). They come back in `page_list`.
pub const XEN_NUMA_DOMAIN_FREE: u32 = !0;

/// `DOMID_FIRST_RESERVED` (public/xen.h): ids from here up (DOMID_SELF,
/// DOMID_IO, DOMID_XEN, DOMID_COW, DOMID_IDLE, ...) are not domains one can
/// ask about: `-ESRCH`.
pub const DOMID_FIRST_RESERVED: u32 = 0x7ff0;

/// `struct xen_numa_node_pages`: a domain's pages on one node, per list.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenNumaNodePages {
    /// Pages on `d->page_list` (what `domain_tot_pages()` counts, and what
    /// debug key `u` walks).
    pub page_list: u64,
    /// Pages on `d->extra_page_list` (`d->extra_pages`).
    pub extra_page_list: u64,
    /// Pages on `d->xenpage_list` (`d->xenheap_pages`).
    pub xenpage_list: u64,
}
const_assert_eq!(size_of::<XenNumaNodePages>(), 24);

impl XenNumaNodePages {
    /// The entry of an offline node id: every field
    /// [`XEN_NUMA_NODE_OFFLINE`].
    pub const OFFLINE: Self = Self {
        page_list: XEN_NUMA_NODE_OFFLINE,
        extra_page_list: XEN_NUMA_NODE_OFFLINE,
        xenpage_list: XEN_NUMA_NODE_OFFLINE,
    };

    /// All three lists.
    pub const fn sum(&self) -> u64 {
        self.page_list
            .wrapping_add(self.extra_page_list)
            .wrapping_add(self.xenpage_list)
    }

    /// Whether this is [`XenNumaNodePages::OFFLINE`], an offline node id's
    /// entry.
    pub const fn is_offline(&self) -> bool {
        self.page_list == XEN_NUMA_NODE_OFFLINE
            && self.extra_page_list == XEN_NUMA_NODE_OFFLINE
            && self.xenpage_list == XEN_NUMA_NODE_OFFLINE
    }

    /// The per-list sum of two counts, saturating: a count cannot reach
    /// 2^64 pages, and a bad answer must not wrap to a plausible figure.
    #[inline]
    pub const fn saturating_add(self, other: &Self) -> Self {
        Self {
            page_list: self.page_list.saturating_add(other.page_list),
            extra_page_list: self.extra_page_list.saturating_add(other.extra_page_list),
            xenpage_list: self.xenpage_list.saturating_add(other.xenpage_list),
        }
    }
}

/// `#define XEN_NUMA_LIST_page 1` (and `_extra 2`, `_xenpage 3`): a
/// domain's page lists as the walk cursor and the per-domain counters name
/// them (public/sysctl.h, patch 0006; xen/common/numastat.c maps them to
/// `d->page_list`, `d->extra_page_list`, `d->xenpage_list`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum NumaList {
    /// `d->page_list`: what `domain_tot_pages(d)` counts.
    Page = 1,
    /// `d->extra_page_list`: `PGC_extra` pages (`d->extra_pages`).
    Extra = 2,
    /// `d->xenpage_list`: Xen heap pages shared with the domain
    /// (`d->xenheap_pages`).
    XenPage = 3,
}

impl NumaList {
    /// The three lists, in walk order.
    pub const ALL: [NumaList; 3] = [NumaList::Page, NumaList::Extra, NumaList::XenPage];

    /// The list with this wire value.
    pub const fn from_u32(v: u32) -> Option<NumaList> {
        match v {
            1 => Some(NumaList::Page),
            2 => Some(NumaList::Extra),
            3 => Some(NumaList::XenPage),
            _ => None,
        }
    }

    /// The next list of a walk.
    pub const fn next(self) -> Option<NumaList> {
        match self {
            NumaList::Page => Some(NumaList::Extra),
            NumaList::Extra => Some(NumaList::XenPage),
            NumaList::XenPage => None,
        }
    }

    /// 0, 1, 2: the index of this list in per-list arrays.
    pub const fn index(self) -> usize {
        self as usize - 1
    }

    /// This list's field of a [`XenNumaNodePages`].
    pub fn field(self, c: &mut XenNumaNodePages) -> &mut u64 {
        match self {
            NumaList::Page => &mut c.page_list,
            NumaList::Extra => &mut c.extra_page_list,
            NumaList::XenPage => &mut c.xenpage_list,
        }
    }
}

/// `struct xen_numa_walk_cursor`: where a walk stopped, across hypercall
/// continuations. Zero on the first call. The position itself stays inside
/// Xen (the domain's counters block, hypervisor/src/walk.rs): the caller only
/// carries a token that names it, so nothing the caller writes here can make
/// Xen follow a page (docs/abi.md).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenNumaWalkCursor {
    /// 0: not started; otherwise the [`NumaList`] being walked.
    pub list: u32,
    /// Nonzero once results were copied to `nodes` by an earlier piece.
    pub flags: u32,
    /// Xen's name for the paused walk; matched against the domain's.
    pub token: u64,
    /// Zero.
    pub reserved: u64,
}
const_assert_eq!(size_of::<XenNumaWalkCursor>(), 24);

/// `#define XEN_NUMA_GDNS_walk (1U << 0)`: IN `flags` of getdomnodestat:
/// answer from a walk of the domain's lists instead of its counters.
pub const XEN_NUMA_GDNS_WALK: u32 = 1;
/// `#define XEN_NUMA_SRC_counters 1`: OUT `source`: the per-domain counters.
pub const XEN_NUMA_SRC_COUNTERS: u32 = 1;
/// `#define XEN_NUMA_SRC_walk 2`: OUT `source`: a walk of the lists.
pub const XEN_NUMA_SRC_WALK: u32 = 2;
/// `#define XEN_NUMA_SRC_free 3`: OUT `source`: the heap's free counters
/// (`domain` = [`XEN_NUMA_DOMAIN_FREE`]).
pub const XEN_NUMA_SRC_FREE: u32 = 3;
/// `#define XEN_NUMA_STATUS_inconsistent (1U << 0)`: OUT `status`: a counter
/// of this domain would have under- or overflowed once; its counters are not
/// to be trusted (Xen logged it; use the walk).
pub const XEN_NUMA_STATUS_INCONSISTENT: u32 = 1;

bitflags::bitflags! {
    /// The bits of getdomnodestat's IN `flags`: an unknown one is `-EINVAL`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct GdnsFlags: u32 {
        /// [`XEN_NUMA_GDNS_WALK`]: answer from a walk.
        const WALK = XEN_NUMA_GDNS_WALK;
    }

    /// The bits of getdomnodestat's OUT `status`: an unknown one is a
    /// protocol error for the tools.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct NumaStatus: u32 {
        /// [`XEN_NUMA_STATUS_INCONSISTENT`].
        const INCONSISTENT = XEN_NUMA_STATUS_INCONSISTENT;
    }
}

/// `struct xen_sysctl_numa_getdomnodestat`: how many of a domain's pages sit
/// on each node (the 2006 patch's getdomnodestat). By default from the
/// domain's per-node counters (one hold of `d->page_alloc_lock`, no page
/// visited); with [`XEN_NUMA_GDNS_WALK`] by walking the domain's
/// `page_list`, `extra_page_list` and `xenpage_list`, at most 4096 pages
/// per hold of the lock (docs/abi.md).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenSysctlNumaGetdomnodestat {
    /// IN: domain id (`< DOMID_FIRST_RESERVED`), or [`XEN_NUMA_DOMAIN_FREE`].
    pub domain: u32,
    /// IN: online node id, or [`XEN_NUMA_ANY`] for all nodes.
    pub node: i32,
    /// IN: guest address of a `xen_numa_node_pages_t` array, or 0. OUT (when
    /// non-zero): entry `n` holds node id `n`'s counts, for node ids
    /// `0..=highest online` (one entry, the requested node, without the
    /// wildcard); every field of an offline id's entry is
    /// [`XEN_NUMA_NODE_OFFLINE`].
    pub nodes: u64,
    /// IN: entries `nodes` can hold. OUT (when `nodes` is non-zero and the
    /// node and flags checks passed, so also with `-ESRCH`): entries needed;
    /// too small: `-ENOBUFS`.
    pub nr_nodes: u32,
    /// IN: [`XEN_NUMA_GDNS_WALK`] or 0; any other bit: `-EINVAL`.
    pub flags: u32,
    /// OUT: counts summed over the requested node(s).
    pub total: XenNumaNodePages,
    /// OUT: `domain_tot_pages(d)`, `d->xenheap_pages`, `d->extra_pages`,
    /// read in the same hold of the lock as the counters, or at the end of
    /// the walk (0 for [`XEN_NUMA_DOMAIN_FREE`]; so are `pieces` and
    /// `restarts`).
    pub tot_pages: u64,
    pub xenheap_pages: u64,
    pub extra_pages: u64,
    /// OUT: holds of `page_alloc_lock` taken (all continuations).
    pub pieces: u32,
    /// OUT: times the walk started over because the lists changed between
    /// two pieces.
    pub restarts: u32,
    /// OUT: where the numbers came from: `XEN_NUMA_SRC_*`.
    pub source: u32,
    /// OUT: `XEN_NUMA_STATUS_*` bits.
    pub status: u32,
    /// IN: zero. Xen's state across continuations.
    pub cursor: XenNumaWalkCursor,
}
const_assert_eq!(size_of::<XenSysctlNumaGetdomnodestat>(), 112);
const_assert_eq!(offset_of!(XenSysctlNumaGetdomnodestat, total), 24);
const_assert_eq!(offset_of!(XenSysctlNumaGetdomnodestat, source), 80);
const_assert_eq!(offset_of!(XenSysctlNumaGetdomnodestat, cursor), 88);

impl crate::SysctlPayload for XenSysctlNumaGetdomnodestat {
    const CMD: u32 = XEN_SYSCTL_NUMA_GETDOMNODESTAT;
    const NAME: &'static str = "XEN_SYSCTL_numa_getdomnodestat";
}

/// First machine address of `zone` (zone 0, the Xen heap, has none: it is
/// defined by page type, not address).
pub const fn zone_start_maddr(zone: usize) -> Option<u64> {
    match zone {
        0 => None,
        1 => Some(0),
        z if z < NR_ZONES => Some(1u64 << (z as u32 - 1 + PAGE_SHIFT)),
        _ => None,
    }
}

/// First machine address past `zone`.
pub const fn zone_end_maddr(zone: usize) -> Option<u64> {
    match zone {
        z if z >= 1 && z < NR_ZONES => Some(1u64 << (z as u32 + PAGE_SHIFT)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_pages_offline_and_sums() {
        assert!(XenNumaNodePages::OFFLINE.is_offline());
        let half = XenNumaNodePages {
            page_list: XEN_NUMA_NODE_OFFLINE,
            ..Default::default()
        };
        assert!(!half.is_offline());
        let a = XenNumaNodePages {
            page_list: 1,
            extra_page_list: 2,
            xenpage_list: u64::MAX - 1,
        };
        let s = a.saturating_add(&a);
        assert_eq!((s.page_list, s.extra_page_list), (2, 4));
        assert_eq!(s.xenpage_list, u64::MAX);
    }

    #[test]
    fn zones_tile_the_address_space() {
        assert_eq!(zone_start_maddr(1), Some(0));
        assert_eq!(zone_end_maddr(1), Some(0x2000));
        for z in 2..NR_ZONES {
            assert_eq!(zone_start_maddr(z), zone_end_maddr(z - 1));
        }
        // 52 physical address bits on x86-64.
        assert_eq!(zone_end_maddr(NR_ZONES - 1), Some(1 << 52));
        assert_eq!(zone_start_maddr(0), None);
        assert_eq!(zone_start_maddr(NR_ZONES), None);
    }
}
