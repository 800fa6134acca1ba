// SPDX-License-Identifier: GPL-2.0-only
//! The hypercalls one sample makes, and its xenstore lookup of the
//! domains' names, behind a trait so the tests answer them from recorded
//! hosts (tests.rs).

use xen_numastat_abi::{DomId, XenDomctlGetdomaininfo, XenSysctlCputopo, XenSysctlPhysinfo};
use xen_numastat_tools::{
    xenstore, Availheap, DmaWidth, DomNodeStat, DomainSel, NumaInfo, Result, Xen,
};

/// The hypercalls a sample makes and the names it reads: the hypervisor
/// and xenstored, or recorded answers in tests.
pub(super) trait Source {
    fn physinfo(&self) -> Result<XenSysctlPhysinfo>;
    fn numainfo(&self) -> Result<NumaInfo>;
    fn cputopoinfo(&self) -> Result<Vec<XenSysctlCputopo>>;
    /// `XEN_SYSCTL_numa_availheap`, every zone and node, with counts.
    fn numa_availheap(&self) -> Result<Availheap>;
    /// The same matrix from upstream `XEN_SYSCTL_availheap`.
    fn heap_by_width(&self, online: &[u32]) -> Result<Availheap>;
    fn dma_width(&self) -> Result<DmaWidth>;
    /// `XEN_SYSCTL_getdomaininfolist`: every domain.
    fn list(&self) -> Result<Vec<XenDomctlGetdomaininfo>>;
    /// `XEN_DOMCTL_getdomaininfo` of one domain.
    fn info(&self, domid: DomId) -> Result<XenDomctlGetdomaininfo>;
    /// `XEN_DOMCTL_getnodeaffinity`.
    fn affinity(&self, domid: DomId) -> Result<Vec<u32>>;
    /// `XEN_SYSCTL_numa_getdomnodestat`, every node, one call: from the
    /// counters, or with `walk` from a walk of the domain's lists.
    fn stat(&self, sel: DomainSel, walk: bool) -> Result<DomNodeStat>;
    /// Each domain's name (`/local/domain/<domid>/name`) in `domids`'
    /// order, `None` where xenstore has none: one xenstore connection, all
    /// of it within `names::NAMES_TIMEOUT`.
    fn names(&self, domids: &[DomId]) -> xenstore::Result<Vec<Option<String>>>;
}

impl Source for Xen {
    fn physinfo(&self) -> Result<XenSysctlPhysinfo> {
        Xen::physinfo(self)
    }
    fn numainfo(&self) -> Result<NumaInfo> {
        Xen::numainfo(self)
    }
    fn cputopoinfo(&self) -> Result<Vec<XenSysctlCputopo>> {
        Xen::cputopoinfo(self)
    }
    fn numa_availheap(&self) -> Result<Availheap> {
        let h = Xen::numa_availheap(self, None, None, true)?;
        h.check()?;
        Ok(h)
    }
    fn heap_by_width(&self, online: &[u32]) -> Result<Availheap> {
        Xen::heap_by_width(self, online)
    }
    fn dma_width(&self) -> Result<DmaWidth> {
        Xen::dma_width(self)
    }
    fn list(&self) -> Result<Vec<XenDomctlGetdomaininfo>> {
        self.getdomaininfolist()
    }
    fn info(&self, domid: DomId) -> Result<XenDomctlGetdomaininfo> {
        self.getdomaininfo(domid)
    }
    fn affinity(&self, domid: DomId) -> Result<Vec<u32>> {
        self.getnodeaffinity(domid)
    }
    fn stat(&self, sel: DomainSel, walk: bool) -> Result<DomNodeStat> {
        self.numa_getdomnodestat(sel, None, true, walk)
    }
    fn names(&self, domids: &[DomId]) -> xenstore::Result<Vec<Option<String>>> {
        super::names::read(domids)
    }
}
