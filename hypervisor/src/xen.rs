// SPDX-License-Identifier: GPL-2.0-only
//! The C shims this component calls, defined by the patch series in
//! xen/common/page_alloc.c and xen/common/numastat.c, declared for C in
//! xen/include/xen/numastat.h. The `extern "C"` block below is generated
//! from the one list of them in abi/src/ffi.rs, which also renders the C
//! checks of their prototypes. Xen's heap lock, node map, locks, RCU and
//! guest copies are reached only through them: `spin_lock()` is an inline
//! wrapper that adds a speculation barrier, so binding Xen's internals
//! directly would skip it (docs/platform.md).
#![allow(unsafe_code)]

use crate::counters::DomainCounters;
use crate::errno::Errno;
use crate::platform::{DomainPlatform, HeapPlatform};
use core::ffi::{c_uint, c_ulong};
use core::ptr::NonNull;
use xen_numastat_abi::ffi::{Domain, PageInfo};
use xen_numastat_abi::{
    NumaList, XenNumaNodePages, XenSysctlNumaAvailheap, XenSysctlNumaGetdomnodestat,
};

macro_rules! declare_shims {
    ($(fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty;)*) => {
        extern "C" {
            $(fn $name($($arg: $ty),*) -> $ret;)*
        }
    };
}
xen_numastat_abi::numastat_shims!(declare_shims);

/// A `struct domain *` from `rcu_lock_domain_by_id()`; only
/// `DomainPlatform::put_domain()` lets go of it.
#[derive(Debug)]
pub struct XenDomain(NonNull<Domain>);

/// A `struct page_info *` of a page on one of a domain's lists, used only
/// while that domain's `page_alloc_lock` is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XenPage(NonNull<PageInfo>);

/// The running Xen.
#[derive(Debug)]
pub struct Xen;

impl HeapPlatform for Xen {
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

    fn get_domain(&self, domid: u32) -> Result<XenDomain, Errno> {
        let mut d: *mut Domain = core::ptr::null_mut();
        // SAFETY: `d` is a valid place for the shim's result; the shim does
        // rcu_lock_domain_by_id() and the XSM check, and on 0 stores a
        // referenced, live (not dying) domain there.
        match unsafe { numastat_shim_get_domain(domid, &mut d) } {
            0 => NonNull::new(d).map(XenDomain).ok_or(Errno::ESRCH),
            rc => Err(Errno::from_ret(rc)),
        }
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

    fn domain_dying(&self, d: &XenDomain) -> bool {
        // SAFETY: `d` is referenced; the shim reads d->is_dying.
        unsafe { numastat_shim_domain_dying(d.0.as_ptr()) }
    }

    fn counters<'a>(&'a self, d: &'a XenDomain) -> Option<&'a DomainCounters> {
        // SAFETY: `d` is referenced, so d->numastat (part of struct domain,
        // zeroed with it, freed with it after _domain_destroy()) outlives
        // the borrow of `d`; it is only accessed through shared references
        // to atomics.
        unsafe {
            numastat_shim_domain_counters(d.0.as_ptr())
                .cast::<DomainCounters>()
                .as_ref()
        }
    }

    fn first(&self, d: &XenDomain, list: NumaList) -> Option<XenPage> {
        // SAFETY: `d` is referenced and its page_alloc_lock held (trait
        // contract); the shim returns page_list_first() of that list.
        NonNull::new(unsafe { numastat_shim_list_first(d.0.as_ptr(), list as c_uint) }).map(XenPage)
    }

    fn next(&self, d: &XenDomain, list: NumaList, pg: XenPage) -> Option<XenPage> {
        // SAFETY: as in first(); `pg` is on that list (it came from it under
        // the same hold of the lock, or from a resume check that nothing was
        // unlinked since).
        NonNull::new(unsafe {
            numastat_shim_list_next(d.0.as_ptr(), list as c_uint, pg.0.as_ptr())
        })
        .map(XenPage)
    }

    fn node_of(&self, pg: XenPage) -> usize {
        // SAFETY: `pg` is a valid page_info; phys_to_nid() reads no guest data.
        unsafe { numastat_shim_page_node(pg.0.as_ptr()) as usize }
    }

    fn mfn_of(&self, pg: XenPage) -> u64 {
        // SAFETY: `pg` is a valid page_info.
        unsafe { numastat_shim_page_mfn(pg.0.as_ptr()) }
    }

    fn page_on_list(&self, d: &XenDomain, list: NumaList, mfn: u64) -> Option<XenPage> {
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
