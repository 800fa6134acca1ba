// SPDX-License-Identifier: GPL-2.0-only
//! The C entry points Xen calls, declared for C in xen/include/xen/numastat.h
//! (patch series) and listed once in abi/src/ffi.rs, whose
//! `numastat_entry_points!` pins each definition here to its listed type
//! (a mismatch does not compile) and renders the C checks. Each turns its
//! arguments into checked Rust values, never panics, and maps a `Result` to
//! Xen's `-errno` convention.
//!
//! Locking contract (docs/abi.md): the `numastat_heap_{init_node,add,sub}`
//! writers are called with `heap_lock` held; readers may be called with or
//! without it; the sysctls must be called with no lock held;
//! `numastat_domain_*` with `d->page_alloc_lock` held.
#![allow(unsafe_code)]

use crate::availheap::{availheap, SNAPSHOT_ENTRIES};
use crate::counters::DomainCounters;
use crate::domnodestat::{getdomnodestat, Counts, Outcome};
use crate::errno::{to_ret, Errno};
use crate::heap::HeapCounters;
use crate::platform::HeapPlatform;
use crate::xen::Xen;
use core::ffi::{c_int, c_long, c_uint, c_ulong};
use xen_numastat_abi::ffi::NumastatDomain;
use xen_numastat_abi::{
    XenNumaNodePages, XenSysctlNumaAvailheap, XenSysctlNumaGetdomnodestat, MAX_NUMNODES,
};

/// Xen's free page counters: the only instance. page_alloc.c reads and
/// updates this storage inline on its hot paths as `numastat_heap` (patch
/// 0008; layout pinned in heap.rs). The C name is an assembler alias, not
/// `#[no_mangle]`: an exported Rust static is reached through the GOT,
/// which Xen's link forbids, while this one stays RIP-relative.
static HEAP: HeapCounters = HeapCounters::new();
core::arch::global_asm!(
    ".globl numastat_heap",
    ".set numastat_heap, {heap}",
    heap = sym HEAP,
);

/// Each entry point has exactly the type abi/src/ffi.rs lists.
macro_rules! pin_entry_points {
    ($(fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty;)*) => {
        $(const _: unsafe extern "C" fn($($ty),*) -> $ret = $name;)*
    };
}
xen_numastat_abi::numastat_entry_points!(pin_entry_points);

/// `init_node_heap()`: a node's heap is being set up.
#[no_mangle]
pub extern "C" fn numastat_heap_init_node(node: c_uint) -> bool {
    HEAP.init_node(node as usize)
}

/// `avail[node] != NULL` of old.
#[no_mangle]
pub extern "C" fn numastat_heap_node_ready(node: c_uint) -> bool {
    HEAP.node_ready(node as usize)
}

/// `avail[node][zone]` of old; 0 for an unknown node or zone.
#[no_mangle]
pub extern "C" fn numastat_heap_avail(node: c_uint, zone: c_uint) -> c_ulong {
    HEAP.avail(node as usize, zone as usize)
}

/// `avail[node][zone] += pages`; false (nothing changed) on a bad id or
/// overflow.
#[no_mangle]
pub extern "C" fn numastat_heap_add(node: c_uint, zone: c_uint, pages: c_ulong) -> bool {
    HEAP.add(node as usize, zone as usize, pages)
}

/// `avail[node][zone] -= pages`; false (nothing changed) on a bad id or
/// underflow.
#[no_mangle]
pub extern "C" fn numastat_heap_sub(node: c_uint, zone: c_uint, pages: c_ulong) -> bool {
    HEAP.sub(node as usize, zone as usize, pages)
}

/// `avail_heap_pages(zone_lo, zone_hi, node)`; `node == -1` for all online
/// nodes.
#[no_mangle]
pub extern "C" fn numastat_heap_avail_range(
    zone_lo: c_uint,
    zone_hi: c_uint,
    node: c_uint,
) -> c_ulong {
    HEAP.avail_range(zone_lo as usize, zone_hi as usize, node, |n| {
        Xen.node_online(n)
    })
}

/// The availheap snapshot, between `heap_lock` and the copy to the caller
/// (21 KiB of .bss; see availheap.rs for why it is not allocated per call).
/// do_sysctl() already serialises sysctls under `sysctl_lock`, so this lock
/// is never contended: it is taken with `try_lock` and a contended call
/// would get `-EBUSY` rather than spin. Lock order: `sysctl_lock` ->
/// `SNAPSHOT` -> `heap_lock` (docs/abi.md).
static SNAPSHOT: spin::Mutex<[u64; SNAPSHOT_ENTRIES]> = spin::Mutex::new([0; SNAPSHOT_ENTRIES]);

/// `XEN_SYSCTL_numa_availheap`, called by do_sysctl() without `heap_lock`.
///
/// # Safety
///
/// `op` is NULL or points to do_sysctl()'s copy of the caller's struct,
/// valid and not otherwise accessed for the duration of the call. Guest
/// addresses inside it are only used through copy_to_guest().
#[no_mangle]
pub unsafe extern "C" fn numastat_sysctl_availheap(op: *mut XenSysctlNumaAvailheap) -> c_long {
    // SAFETY: per this function's contract, a non-NULL `op` is valid and
    // exclusively ours for the call.
    let Some(op) = (unsafe { op.as_mut() }) else {
        return Errno::EFAULT.to_ret();
    };
    match SNAPSHOT.try_lock() {
        Some(mut scratch) => to_ret(availheap(&Xen, &HEAP, &mut scratch, op)),
        None => Errno::EBUSY.to_ret(),
    }
}

/// `XEN_SYSCTL_numa_getdomnodestat`, called by do_sysctl() with no lock of
/// ours held. `-ERESTART` asks do_sysctl() for a hypercall continuation.
///
/// # Safety
///
/// As [`numastat_sysctl_availheap`]: `op` is NULL or do_sysctl()'s own
/// valid, exclusive copy of the caller's struct.
#[no_mangle]
pub unsafe extern "C" fn numastat_sysctl_getdomnodestat(
    op: *mut XenSysctlNumaGetdomnodestat,
) -> c_long {
    // SAFETY: per this function's contract.
    let Some(op) = (unsafe { op.as_mut() }) else {
        return Errno::EFAULT.to_ret();
    };
    let mut acc: Counts = [XenNumaNodePages::default(); MAX_NUMNODES];
    match getdomnodestat(&Xen, &HEAP, op, &mut acc) {
        Ok(Outcome::Done) => 0,
        Ok(Outcome::Continue) => Errno::ERESTART.to_ret(),
        Err(e) => e.to_ret(),
    }
}

/// # Safety
///
/// `nd` is NULL or a block of `counters::SIZE` bytes (`d->numastat` in C's
/// `struct domain`, whose size and alignment numastat-abi-check.h pins),
/// that was zeroed when allocated and is only ever accessed
/// through these functions, and lives while the returned reference is used
/// (the call).
unsafe fn counters<'a>(nd: *const NumastatDomain) -> Option<&'a DomainCounters> {
    // SAFETY: per the contract, the block is a DomainCounters (all-zero is
    // a valid value of it: atomics of 0); it is only shared, never `&mut`.
    unsafe { nd.cast::<DomainCounters>().as_ref() }
}

/// `pages` of `list` joined (> 0) or left (< 0) the domain on `node`.
/// Returns 0, or bit 0 when the update was refused, with bit 1 the first
/// time for this domain (docs/counters.md).
///
/// # Safety
///
/// As for [`counters`]; the caller holds the domain's `page_alloc_lock`.
#[no_mangle]
pub unsafe extern "C" fn numastat_domain_adjust(
    nd: *mut NumastatDomain,
    node: c_uint,
    list: c_uint,
    pages: c_long,
) -> c_int {
    // SAFETY: per this function's contract.
    match unsafe { counters(nd) } {
        Some(c) => c.adjust(node as usize, list, pages).to_c(),
        None => 1,
    }
}

/// Writes Σ over nodes of page, extra and xenpage counts to `out[0..3]`;
/// returns false if the domain's counters are marked inconsistent (or `nd`
/// is NULL, when `out` is left alone).
///
/// # Safety
///
/// As for [`counters`]; `out` points to 3 writable `uint64_t`s. Caller
/// holds the domain's `page_alloc_lock` or the domain is being destroyed.
#[no_mangle]
pub unsafe extern "C" fn numastat_domain_sums(nd: *const NumastatDomain, out: *mut u64) -> bool {
    // SAFETY: per this function's contract.
    let Some(c) = (unsafe { counters(nd) }) else {
        return false;
    };
    let s = c.sums();
    for (i, v) in [s.page_list, s.extra_page_list, s.xenpage_list]
        .into_iter()
        .enumerate()
    {
        // SAFETY: `out` has 3 entries; i < 3.
        unsafe { out.add(i).write(v) };
    }
    !c.is_inconsistent()
}

/// Pages left one of the domain's lists without a change of owner (PoD):
/// no paused walk may resume.
///
/// # Safety
///
/// As for [`numastat_domain_adjust`].
#[no_mangle]
pub unsafe extern "C" fn numastat_domain_list_changed(nd: *mut NumastatDomain) {
    // SAFETY: per this function's contract.
    if let Some(c) = unsafe { counters(nd) } {
        c.list_changed();
    }
}
