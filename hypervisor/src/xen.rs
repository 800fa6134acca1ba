// SPDX-License-Identifier: GPL-2.0-only
//! The C shims this component calls, defined by the patch series in
//! xen/common/page_alloc.c and declared in xen/include/xen/numastat.h.
//! Xen's heap lock, node map and guest copies are reached only through them
//! (docs/platform.md: `spin_lock()` is an inline wrapper with a speculation
//! barrier; binding Xen's internals directly would skip it).
//!
//! This and `nospec` are the only modules with `unsafe`.

use crate::availheap::Platform;
use crate::domnodestat::{DomainPlatform, List};
use crate::errno::Errno;
use core::ffi::{c_int, c_uint, c_ulong, c_void};
use core::ptr::NonNull;
use xen_numastat_abi::{XenNumaNodePages, XenSysctlNumaAvailheap, XenSysctlNumaGetdomnodestat};

extern "C" {
    fn numastat_shim_heap_lock();
    fn numastat_shim_heap_unlock();
    fn numastat_shim_node_online(node: c_uint) -> bool;
    fn numastat_shim_copy_counts(
        op: *const XenSysctlNumaAvailheap,
        src: *const u64,
        nr: c_ulong,
    ) -> c_int;

    // xen/common/numastat.c (patch 0006).
    fn numastat_shim_get_domain(domid: c_uint) -> *mut c_void;
    fn numastat_shim_put_domain(d: *mut c_void);
    fn numastat_shim_domain_lock(d: *mut c_void);
    fn numastat_shim_domain_unlock(d: *mut c_void);
    fn numastat_shim_list_first(d: *mut c_void, list: c_uint) -> *mut c_void;
    fn numastat_shim_list_next(d: *mut c_void, list: c_uint, pg: *mut c_void) -> *mut c_void;
    fn numastat_shim_page_node(pg: *const c_void) -> c_uint;
    fn numastat_shim_page_mfn(pg: *const c_void) -> c_ulong;
    fn numastat_shim_page_on_list(d: *mut c_void, list: c_uint, mfn: c_ulong) -> *mut c_void;
    fn numastat_shim_domain_pages(d: *const c_void, out: *mut u64);
    fn numastat_shim_preempt_check() -> bool;
    fn numastat_shim_copy_node_pages(
        op: *const XenSysctlNumaGetdomnodestat,
        to_guest: bool,
        first: c_ulong,
        buf: *mut XenNumaNodePages,
        nr: c_ulong,
    ) -> c_int;
}

/// A `struct domain *` from `rcu_lock_domain_by_id()`; only
/// `DomainPlatform::put_domain()` lets go of it.
#[derive(Debug)]
pub struct XenDomain(NonNull<c_void>);

/// A `struct page_info *` of a page on one of a domain's lists, used only
/// while that domain's `page_alloc_lock` is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XenPage(NonNull<c_void>);

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
        copy_counts(op, src)
    }
}

fn copy_counts(op: &XenSysctlNumaAvailheap, src: &[u64]) -> Result<(), Errno> {
    let nr = c_ulong::try_from(src.len()).map_err(|_| Errno::EINVAL)?;
    // SAFETY: `op` and `src` are valid for the call; the shim does
    // copy_to_guest(op->counts, src, nr), which checks the guest range.
    match unsafe { numastat_shim_copy_counts(op, src.as_ptr(), nr) } {
        0 => Ok(()),
        _ => Err(Errno::EFAULT),
    }
}

fn copy_nodes(
    op: &XenSysctlNumaGetdomnodestat,
    to_guest: bool,
    first: usize,
    buf: *mut XenNumaNodePages,
    nr: usize,
) -> Result<(), Errno> {
    let (Ok(first), Ok(nr)) = (c_ulong::try_from(first), c_ulong::try_from(nr)) else {
        return Err(Errno::EINVAL);
    };
    // SAFETY: `op` is valid for the call and `buf` holds `nr` entries; the
    // shim does copy_{to,from}_guest_offset(op->nodes, first, buf, nr), which
    // checks the guest range.
    match unsafe { numastat_shim_copy_node_pages(op, to_guest, first, buf, nr) } {
        0 => Ok(()),
        _ => Err(Errno::EFAULT),
    }
}

impl DomainPlatform for Xen {
    type Domain = XenDomain;
    type Page = XenPage;

    fn node_online(&self, node: usize) -> bool {
        Platform::node_online(self, node)
    }

    fn with_heap_lock<R>(&self, f: impl FnOnce() -> R) -> R {
        Platform::with_heap_lock(self, f)
    }

    fn get_domain(&self, domid: u32) -> Option<XenDomain> {
        // SAFETY: the shim does rcu_lock_domain_by_id() and hands back a
        // referenced, live (not dying) domain or NULL.
        NonNull::new(unsafe { numastat_shim_get_domain(domid) }).map(XenDomain)
    }

    fn put_domain(&self, d: XenDomain) {
        // SAFETY: `d` came from get_domain() and is released once (moved).
        unsafe { numastat_shim_put_domain(d.0.as_ptr()) }
    }

    fn with_page_alloc_lock<R>(&self, d: &XenDomain, f: impl FnOnce() -> R) -> R {
        // SAFETY: `d` is referenced; lock and unlock pair up on every path
        // (`f` cannot unwind: panic = abort and no panic is linked).
        unsafe { numastat_shim_domain_lock(d.0.as_ptr()) };
        let r = f();
        // SAFETY: taken just above.
        unsafe { numastat_shim_domain_unlock(d.0.as_ptr()) };
        r
    }

    fn first(&self, d: &XenDomain, list: List) -> Option<XenPage> {
        // SAFETY: `d` is referenced and its page_alloc_lock held (trait
        // contract); the shim returns page_list_first() of that list.
        NonNull::new(unsafe { numastat_shim_list_first(d.0.as_ptr(), list as c_uint) }).map(XenPage)
    }

    fn next(&self, d: &XenDomain, list: List, pg: XenPage) -> Option<XenPage> {
        // SAFETY: as in first(); `pg` is on that list (it came from it under
        // the same hold of the lock).
        NonNull::new(unsafe {
            numastat_shim_list_next(d.0.as_ptr(), list as c_uint, pg.0.as_ptr())
        })
        .map(XenPage)
    }

    fn node_of(&self, pg: XenPage) -> usize {
        // SAFETY: `pg` is a valid page_info; page_to_nid() reads no guest data.
        unsafe { numastat_shim_page_node(pg.0.as_ptr()) as usize }
    }

    fn mfn_of(&self, pg: XenPage) -> u64 {
        // SAFETY: `pg` is a valid page_info.
        unsafe { numastat_shim_page_mfn(pg.0.as_ptr()) }
    }

    fn page_on_list(&self, d: &XenDomain, list: List, mfn: u64) -> Option<XenPage> {
        // SAFETY: the shim checks mfn_valid(), the owner and the list before
        // it forms a page_info pointer; `d` is referenced and locked.
        NonNull::new(unsafe { numastat_shim_page_on_list(d.0.as_ptr(), list as c_uint, mfn) })
            .map(XenPage)
    }

    fn domain_pages(&self, d: &XenDomain) -> (u64, u64, u64) {
        let mut out = [0u64; 3];
        // SAFETY: `out` has the three entries the shim writes.
        unsafe { numastat_shim_domain_pages(d.0.as_ptr(), out.as_mut_ptr()) };
        let [tot, xenheap, extra] = out;
        (tot, xenheap, extra)
    }

    fn preempt_check(&self) -> bool {
        // SAFETY: no arguments; hypercall_preempt_check() only reads state.
        unsafe { numastat_shim_preempt_check() }
    }

    fn read_nodes(
        &self,
        op: &XenSysctlNumaGetdomnodestat,
        first: usize,
        out: &mut [XenNumaNodePages],
    ) -> Result<(), Errno> {
        copy_nodes(op, false, first, out.as_mut_ptr(), out.len())
    }

    fn write_nodes(
        &self,
        op: &XenSysctlNumaGetdomnodestat,
        first: usize,
        src: &[XenNumaNodePages],
    ) -> Result<(), Errno> {
        // The shim only reads `buf` when copying to the guest.
        copy_nodes(op, true, first, src.as_ptr().cast_mut(), src.len())
    }
}
