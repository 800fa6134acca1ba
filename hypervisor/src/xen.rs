// SPDX-License-Identifier: GPL-2.0-only
//! The C shims this component calls, defined by the patch series in
//! xen/common/page_alloc.c and declared in xen/include/xen/numastat.h.
//! Xen's locks, allocator and guest copies are reached only through them
//! (PLATFORM.md: `spin_lock()` is an inline wrapper with a speculation
//! barrier; binding Xen's internals directly would skip it).
//!
//! This and `nospec` are the only modules with `unsafe`.

use crate::availheap::Platform;
use crate::errno::Errno;
use core::ffi::{c_int, c_uint, c_ulong, c_void};
use core::ptr::NonNull;
use xen_numastat_abi::XenSysctlNumaAvailheap;

extern "C" {
    fn numastat_shim_heap_lock();
    fn numastat_shim_heap_unlock();
    fn numastat_shim_node_online(node: c_uint) -> bool;
    fn numastat_shim_alloc_u64(nr: c_ulong) -> *mut c_void;
    fn numastat_shim_free(ptr: *mut c_void);
    fn numastat_shim_copy_counts(
        op: *const XenSysctlNumaAvailheap,
        src: *const u64,
        nr: c_ulong,
    ) -> c_int;
}

/// The running Xen.
#[derive(Debug)]
pub struct Xen;

/// An array of `u64` from `xmalloc_array()`, `xfree()`d on drop.
#[derive(Debug)]
pub struct XenBuf {
    ptr: NonNull<u64>,
    len: usize,
}

impl AsRef<[u64]> for XenBuf {
    fn as_ref(&self) -> &[u64] {
        // SAFETY: `ptr` came from numastat_shim_alloc_u64(len), is aligned
        // for u64, owned by this value and initialised in alloc().
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl AsMut<[u64]> for XenBuf {
    fn as_mut(&mut self) -> &mut [u64] {
        // SAFETY: as in as_ref(); `&mut self` makes the borrow unique.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for XenBuf {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from numastat_shim_alloc_u64() and is freed once.
        unsafe { numastat_shim_free(self.ptr.as_ptr().cast()) }
    }
}

impl Platform for Xen {
    type Buf = XenBuf;

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

    fn alloc(&self, n: usize) -> Option<XenBuf> {
        let nr = c_ulong::try_from(n).ok()?;
        // SAFETY: the shim is xmalloc_array(uint64_t, nr); NULL on failure.
        let ptr = NonNull::new(unsafe { numastat_shim_alloc_u64(nr) }.cast::<u64>())?;
        let mut buf = XenBuf { ptr, len: n };
        // xmalloc does not zero: initialise before any slice is formed.
        for i in 0..n {
            // SAFETY: i < n elements were allocated.
            unsafe { buf.ptr.as_ptr().add(i).write(0) };
        }
        let _ = &mut buf;
        Some(buf)
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
