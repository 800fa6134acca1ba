// SPDX-License-Identifier: GPL-2.0-only
//! The C entry points Xen calls, declared in xen/include/xen/numastat.h
//! (patch 0001). Each turns its arguments into checked Rust values, never
//! panics, and maps a `Result` to Xen's `-errno` convention.
//!
//! Locking contract (docs/abi.md): the `numastat_heap_{init_node,add,sub}`
//! writers are called with `heap_lock` held; readers may be called with or
//! without it; `numastat_sysctl_availheap` must be called without it.

use crate::availheap::{availheap, SNAPSHOT_ENTRIES};
use crate::domnodestat::{getdomnodestat, Counts, Outcome};
use crate::errno::{to_ret, Errno};
use crate::heap::HEAP;
use crate::xen::Xen;
use core::ffi::{c_long, c_uint, c_ulong};
use xen_numastat_abi::{
    XenNumaNodePages, XenSysctlNumaAvailheap, XenSysctlNumaGetdomnodestat, MAX_NUMNODES,
};

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
    use crate::availheap::Platform;
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
#[no_mangle]
pub extern "C" fn numastat_sysctl_availheap(op: Option<&mut XenSysctlNumaAvailheap>) -> c_long {
    let Some(op) = op else {
        return Errno::EFAULT.to_ret();
    };
    match SNAPSHOT.try_lock() {
        Some(mut scratch) => to_ret(availheap(&Xen, &HEAP, &mut scratch, op)),
        None => Errno::EBUSY.to_ret(),
    }
}

/// `XEN_SYSCTL_numa_getdomnodestat`, called by do_sysctl() with no lock of
/// ours held. `-ERESTART` asks do_sysctl() for a hypercall continuation.
#[no_mangle]
pub extern "C" fn numastat_sysctl_getdomnodestat(
    op: Option<&mut XenSysctlNumaGetdomnodestat>,
) -> c_long {
    let Some(op) = op else {
        return Errno::EFAULT.to_ret();
    };
    let mut acc: Counts = [XenNumaNodePages::default(); MAX_NUMNODES];
    match getdomnodestat(&Xen, &HEAP, op, &mut acc) {
        Ok(Outcome::Done) => 0,
        Ok(Outcome::Continue) => Errno::ERESTART.to_ret(),
        Err(e) => e.to_ret(),
    }
}
