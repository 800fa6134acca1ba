// SPDX-License-Identifier: GPL-2.0-only
//! Building domains with known NUMA placement, for the test kit only
//! (dom0-testkit's `mkdom`, `shrink`, `rmdom`): createdomain, max_mem,
//! destroydomain and the `memory_op` reservation calls, over the tools'
//! generic [`Xen::domctl`] and [`xen_numastat_tools::Privcmd::memory_op`].
//! The CLI never makes a domain, so these live here and not in the tools.

use xen_numastat_abi::{
    xen_domctl_grant_version, DomId, XenArchDomainconfig, XenDomctlCreatedomain,
    XenDomctlDestroydomain, XenDomctlMaxMem, XenMemoryExchange, XenMemoryReservation,
    XENMEM_DECREASE_RESERVATION, XENMEM_EXCHANGE, XENMEM_POPULATE_PHYSMAP,
    XEN_DOMCTL_DESTROYDOMAIN,
};
use xen_numastat_tools::{Error, Op, Result, Xen};

/// Extents per `memory_op` reservation call (a 32 KiB extent list). Xen
/// preempts long calls itself; chunks keep the buffer small.
pub const MEMORY_OP_CHUNK: usize = 4096;

/// destroydomain calls [`BuildDomains::destroy_domain`] makes at most while Xen says
/// "again".
const DESTROY_MAX_CALLS: u32 = 1000;

/// The domain-building calls, one method per call, on [`Xen`].
pub trait BuildDomains {
    /// `XEN_DOMCTL_createdomain`: a new domain with the next free id, paused
    /// and without memory. Returns its id.
    fn create_domain(&self, config: &XenDomctlCreatedomain) -> Result<DomId>;

    /// `XEN_DOMCTL_max_mem`: the most memory `domid` may own, in KiB.
    fn set_max_mem(&self, domid: DomId, max_memkb: u64) -> Result<()>;

    /// `XEN_DOMCTL_destroydomain`: kills `domid` and frees its memory. Xen
    /// continues a long teardown itself (`-ERESTART` becomes a hypercall
    /// continuation in do_domctl()); should the driver still report
    /// `EAGAIN` or `ERESTART`, the call is repeated.
    fn destroy_domain(&self, domid: DomId) -> Result<()>;

    /// `XENMEM_populate_physmap` for `domid`: one page (extent order 0) at
    /// each GPFN of `gpfns`, with `mem_flags` (`XENMEMF_exact_node(n)` to
    /// insist on node `n`), [`MEMORY_OP_CHUNK`] pages per call. Returns what
    /// Xen left in the extent list: for a PV domain the MFN of each page
    /// (Xen writes it back), for a translated one the GPFNs as given.
    ///
    /// Fewer pages than asked is [`Error::Incomplete`]; the pages already
    /// placed stay with the domain.
    fn populate_physmap(&self, domid: DomId, mem_flags: u32, gpfns: &[u64]) -> Result<Vec<u64>>;

    /// `XENMEM_decrease_reservation` for `domid`: frees the pages whose
    /// GMFNs are `gmfns` (for a PV domain, MFNs), [`MEMORY_OP_CHUNK`] per
    /// call. Fewer than asked is [`Error::Incomplete`] (`done` says how
    /// many of the first were freed).
    fn decrease_reservation(&self, domid: DomId, gmfns: &[u64]) -> Result<()>;

    /// `XENMEM_populate_physmap` of `gpfns.len()` extents of `2^order`
    /// pages each. Returns the first MFN of each extent (PV).
    fn populate_physmap_order(
        &self,
        domid: DomId,
        mem_flags: u32,
        order: u32,
        gpfns: &[u64],
    ) -> Result<Vec<u64>>;

    /// `XENMEM_exchange` of the order-0 pages `mfns` (PV: GMFN = MFN) for as
    /// many new order-0 pages allocated with `out_flags`
    /// (`XENMEMF_exact_node(n)`), labelled with `gpfns`. Returns the new
    /// MFNs; a partial exchange is [`Error::Incomplete`].
    fn exchange(
        &self,
        domid: DomId,
        mfns: &[u64],
        out_flags: u32,
        gpfns: &[u64],
    ) -> Result<Vec<u64>>;
}

impl BuildDomains for Xen {
    fn create_domain(&self, config: &XenDomctlCreatedomain) -> Result<DomId> {
        let mut c = *config;
        self.domctl(0, &mut c)
    }

    fn set_max_mem(&self, domid: DomId, max_memkb: u64) -> Result<()> {
        self.domctl(domid, &mut XenDomctlMaxMem { max_memkb })
            .map(drop)
    }

    fn destroy_domain(&self, domid: DomId) -> Result<()> {
        for _ in 0..DESTROY_MAX_CALLS {
            match self.domctl(domid, &mut XenDomctlDestroydomain {}) {
                Err(Error::Xen { errno, .. })
                    if errno.get() == libc::EAGAIN || errno.get() == libc::ERESTART => {}
                other => return other.map(drop),
            }
        }
        Err(Error::Protocol {
            op: Op::Domctl(XEN_DOMCTL_DESTROYDOMAIN),
            what: format!("still busy after {DESTROY_MAX_CALLS} calls"),
        })
    }

    fn populate_physmap(&self, domid: DomId, mem_flags: u32, gpfns: &[u64]) -> Result<Vec<u64>> {
        self.populate_physmap_order(domid, mem_flags, 0, gpfns)
    }

    fn decrease_reservation(&self, domid: DomId, gmfns: &[u64]) -> Result<()> {
        reservation(self, XENMEM_DECREASE_RESERVATION, domid, 0, gmfns, None)
    }

    fn populate_physmap_order(
        &self,
        domid: DomId,
        mem_flags: u32,
        order: u32,
        gpfns: &[u64],
    ) -> Result<Vec<u64>> {
        let mut frames = Vec::with_capacity(gpfns.len());
        reservation_order(
            self,
            XENMEM_POPULATE_PHYSMAP,
            domid,
            mem_flags,
            order,
            gpfns,
            Some(&mut frames),
        )?;
        Ok(frames)
    }

    fn exchange(
        &self,
        domid: DomId,
        mfns: &[u64],
        out_flags: u32,
        gpfns: &[u64],
    ) -> Result<Vec<u64>> {
        assert_eq!(mfns.len(), gpfns.len(), "one new page per page given up");
        let n = mfns.len();
        let mut buf = self.privcmd().alloc(2 * n.max(1) * 8)?;
        buf.write(0, mfns)?;
        buf.write(n * 8, gpfns)?;
        let half = |start: u64, flags: u32| XenMemoryReservation {
            extent_start: start,
            nr_extents: n as u64,
            extent_order: 0,
            mem_flags: flags,
            domid,
            _pad: [0; 3],
        };
        let exch = XenMemoryExchange {
            input: half(buf.handle(), 0),
            out: half(buf.handle() + (n * 8) as u64, out_flags),
            nr_exchanged: 0,
        };
        let (done, rc) = self.privcmd().memory_exchange(&exch, &mut buf);
        rc?;
        if done != n as u64 {
            return Err(Error::Incomplete {
                op: Op::MemoryOp(XENMEM_EXCHANGE),
                done,
                wanted: n as u64,
            });
        }
        buf.read::<u64>(n * 8, n)
    }
}

fn reservation(
    xen: &Xen,
    cmd: u32,
    domid: DomId,
    mem_flags: u32,
    list: &[u64],
    out: Option<&mut Vec<u64>>,
) -> Result<()> {
    reservation_order(xen, cmd, domid, mem_flags, 0, list, out)
}

fn reservation_order(
    xen: &Xen,
    cmd: u32,
    domid: DomId,
    mem_flags: u32,
    extent_order: u32,
    list: &[u64],
    mut out: Option<&mut Vec<u64>>,
) -> Result<()> {
    let mut buf = xen
        .privcmd()
        .alloc(MEMORY_OP_CHUNK.min(list.len().max(1)) * 8)?;
    let mut done_total: u64 = 0;
    for chunk in list.chunks(MEMORY_OP_CHUNK) {
        buf.write(0, chunk)?;
        let r = XenMemoryReservation {
            extent_start: buf.handle(),
            nr_extents: chunk.len() as u64,
            extent_order,
            mem_flags,
            domid,
            _pad: [0; 3],
        };
        let done = xen.privcmd().memory_op(cmd, &r, &mut buf)?;
        if let Some(out) = out.as_deref_mut() {
            let n = (done as usize).min(chunk.len());
            out.extend(buf.read::<u64>(0, n)?);
        }
        done_total += done.min(chunk.len() as u64);
        if done != chunk.len() as u64 {
            return Err(Error::Incomplete {
                op: Op::MemoryOp(cmd),
                done: done_total,
                wanted: list.len() as u64,
            });
        }
    }
    Ok(())
}

/// The createdomain of `mkdom`: a PV domain (no `XEN_DOMCTL_CDF_hvm`) with
/// one vCPU and limits that `sanitise_domain_config()`
/// (xen/common/domain.c), `arch_sanitise_domain_config()` and
/// `emulation_flags_ok()` (xen/arch/x86/domain.c), `evtchn_init()` and
/// `grant_table_init()` accept on Xen 4.17: no IOMMU, no vmtrace, no
/// emulated devices (PV: 0 or PIT only), grant table version 1 (0 is
/// refused), 32 grant frames (1..=64 by default), 1024 maptrack frames
/// (the default limit), 1023 event channels (libxl's default).
pub fn pv_domain_config() -> XenDomctlCreatedomain {
    XenDomctlCreatedomain {
        ssidref: 0,
        handle: *b"dom0-testkit\0\0\0\0",
        flags: 0,
        iommu_opts: 0,
        max_vcpus: 1,
        max_evtchn_port: 1023,
        max_grant_frames: 32,
        max_maptrack_frames: 1024,
        grant_opts: xen_domctl_grant_version(1),
        vmtrace_size: 0,
        cpupool_id: 0,
        arch: XenArchDomainconfig {
            emulation_flags: 0,
            misc_flags: 0,
        },
    }
}
