// SPDX-License-Identifier: GPL-2.0-only
//! The C shims this component calls, defined by the patch series in
//! xen/common/page_alloc.c and declared in xen/include/xen/numastat.h.
//! Xen's heap lock, node map and guest copies are reached only through them
//! (PLATFORM.md: `spin_lock()` is an inline wrapper with a speculation
//! barrier; binding Xen's internals directly would skip it).
//!
//! This and `nospec` are the only modules with `unsafe`.

use crate::availheap::Platform;
use crate::errno::Errno;
use core::ffi::{c_int, c_uint, c_ulong};
use xen_numastat_abi::XenSysctlNumaAvailheap;

extern "C" {
    fn numastat_shim_heap_lock();
    fn numastat_shim_heap_unlock();
    fn numastat_shim_node_online(node: c_uint) -> bool;
    fn numastat_shim_copy_counts(
        op: *const XenSysctlNumaAvailheap,
        src: *const u64,
        nr: c_ulong,
    ) -> c_int;
}

/// The running Xen.
#[derive(Debug)]
pub struct Xen;

impl Platform for Xen {
    fn node_online(&self, node: usize) -> bool {
        match c_uint::try_from(node) {
            // SAFETY: the shim only tests a bit of node_online_map and
            // rejects ids >= MAX_NUMNODES itself.
            Ok(n) => unsafe { numastat_shim_node_online(n) },
            Err(_) => false,
        }
    }

    fn with_heap_lock<R>(&self, f: impl FnOnce() -> R) -> R {
        // SAFETY: lock and unlock pair up on every path: `f` cannot unwind
        // (panic = abort, and no panic is linked).
        unsafe { numastat_shim_heap_lock() };
        let r = f();
        // SAFETY: we took heap_lock just above.
        unsafe { numastat_shim_heap_unlock() };
        r
    }

    fn copy_counts(&self, op: &XenSysctlNumaAvailheap, src: &[u64]) -> Result<(), Errno> {
        let nr = c_ulong::try_from(src.len()).map_err(|_| Errno::EINVAL)?;
        // SAFETY: `op` and `src` are valid for the call; the shim does
        // copy_to_guest(op->counts, src, nr), which checks the guest range.
        match unsafe { numastat_shim_copy_counts(op, src.as_ptr(), nr) } {
            0 => Ok(()),
            _ => Err(Errno::EFAULT),
        }
    }
}
