// SPDX-License-Identifier: GPL-2.0-only
//! The seam between the component's logic and Xen: what the ops need from
//! the running hypervisor, as traits that the real Xen (`xen.rs`, through
//! the C shims) and the host tests' models of Xen implement. Generic on
//! purpose: the linked code is monomorphised for `Xen` only, so no indirect
//! call reaches it.
//!
//! Also the node rules both ops share: which node ids a request may name
//! and how many rows a wildcard answer has.

use crate::counters::DomainCounters;
use crate::errno::Errno;
use crate::nospec::index_nospec;
use xen_numastat_abi::{
    NumaList, XenNumaNodePages, XenSysctlNumaAvailheap, XenSysctlNumaGetdomnodestat, MAX_NUMNODES,
    XEN_NUMA_ANY,
};

/// The heap: node map, `heap_lock`, and the availheap guest copy.
pub trait HeapPlatform {
    /// `node_online(node)`.
    fn node_online(&self, node: usize) -> bool;
    /// Runs `f` with `heap_lock` held.
    fn with_heap_lock<R>(&self, f: impl FnOnce() -> R) -> R;
    /// `copy_to_guest(op->counts, src, src.len())`.
    fn copy_counts(&self, op: &XenSysctlNumaAvailheap, src: &[u64]) -> Result<(), Errno>;
}

/// Domains and their page lists, for getdomnodestat.
pub trait DomainPlatform: HeapPlatform {
    /// A domain reference (`rcu_lock_domain_by_id()`).
    type Domain;
    /// A `struct page_info *`.
    type Page: Copy + PartialEq;

    /// The live domain with this id, referenced: `-ESRCH` if there is none
    /// or it is dying, XSM's error (`-EPERM`) if the caller may not get its
    /// info (the check of `XEN_DOMCTL_getdomaininfo`).
    fn get_domain(&self, domid: u32) -> Result<Self::Domain, Errno>;
    /// Drops the reference `get_domain()` took.
    fn put_domain(&self, d: Self::Domain);
    /// Runs `f` with `d->page_alloc_lock` held.
    fn with_page_alloc_lock<R>(&self, d: &Self::Domain, f: impl FnOnce() -> R) -> R;
    /// `d->is_dying != DOMDYING_alive`. Read with the lock held, once per
    /// hold: `relinquish_memory()` moves pages off the lists only after it
    /// is set (docs/counters.md).
    fn domain_dying(&self, d: &Self::Domain) -> bool;
    /// The domain's counters (`d->numastat`), which live as long as `d`.
    fn counters<'a>(&'a self, d: &'a Self::Domain) -> Option<&'a DomainCounters>;
    /// `page_list_first()` of a list. Lock held.
    fn first(&self, d: &Self::Domain, list: NumaList) -> Option<Self::Page>;
    /// `page_list_next()`. Lock held, `pg` on `list`.
    fn next(&self, d: &Self::Domain, list: NumaList, pg: Self::Page) -> Option<Self::Page>;
    /// `phys_to_nid(page_to_maddr(pg))`.
    fn node_of(&self, pg: Self::Page) -> usize;
    /// `mfn_x(page_to_mfn())`.
    fn mfn_of(&self, pg: Self::Page) -> u64;
    /// The page at `mfn` if it is valid, owned by `d` and of `list`'s kind.
    /// Lock held. Not proof that the page is linked on the list: Xen unlinks
    /// before it clears the owner (docs/counters.md), which is why a walk
    /// resumes only where nothing was unlinked since it paused.
    fn page_on_list(&self, d: &Self::Domain, list: NumaList, mfn: u64) -> Option<Self::Page>;
    /// `(domain_tot_pages(d), d->xenheap_pages, d->extra_pages)`. Lock held.
    fn domain_pages(&self, d: &Self::Domain) -> (u64, u64, u64);
    /// `hypercall_preempt_check()`.
    fn preempt_check(&self) -> bool;
    /// Reads `nodes[first..first + out.len()]` from the caller.
    fn read_nodes(
        &self,
        op: &XenSysctlNumaGetdomnodestat,
        first: usize,
        out: &mut [XenNumaNodePages],
    ) -> Result<(), Errno>;
    /// Writes `src` to the caller's `nodes[first..]`.
    fn write_nodes(
        &self,
        op: &XenSysctlNumaGetdomnodestat,
        first: usize,
        src: &[XenNumaNodePages],
    ) -> Result<(), Errno>;
}

/// Node ids `0..=` the highest online one: the rows of a wildcard answer.
pub fn node_rows<P: HeapPlatform>(p: &P) -> usize {
    (0..MAX_NUMNODES)
        .rev()
        .find(|&n| p.node_online(n))
        .map_or(0, |n| n.saturating_add(1))
}

/// A request's `node`: `None` for [`XEN_NUMA_ANY`], else an online node id
/// (clamped against speculation after the bounds check); `-EINVAL` for
/// anything else.
pub fn parse_node<P: HeapPlatform>(p: &P, node: i32) -> Result<Option<usize>, Errno> {
    if node == XEN_NUMA_ANY {
        return Ok(None);
    }
    match usize::try_from(node) {
        Ok(n) if n < MAX_NUMNODES => {
            let n = index_nospec(n, MAX_NUMNODES);
            if p.node_online(n) {
                Ok(Some(n))
            } else {
                Err(Errno::EINVAL)
            }
        }
        _ => Err(Errno::EINVAL),
    }
}
