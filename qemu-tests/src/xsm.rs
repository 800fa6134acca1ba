// SPDX-License-Identifier: GPL-2.0-only
//! `dom0-testkit flask`: getdomnodestat's per-target XSM check under a
//! FLASK policy (the `flask` image: Xen's example policy plus
//! hypervisor/flask/numastat.te).
//!
//! dom0 makes a `domU_t` domain, checks that both ops work as `dom0_t`,
//! then relabels itself to `numastat_reader_t`, a type the policy allows
//! `xen:heap` (both numastat sysctls) and `getdomaininfo` of `domU_t`
//! domains, and nothing else. As that type: availheap and the free pages
//! answer; getdomnodestat of the `domU_t` domain answers (counters and
//! walk); of dom0 itself, whose label the policy grants no getdomaininfo,
//! FLASK refuses (`-EACCES`). Relabelling is one way: this is the last
//! thing a boot does.
#![allow(unsafe_code)]
// Xen writes only into hypercall buffers here, reached through their
// methods: no Rust reference points at bytes Xen may write.

use std::fmt::Write as _;

use crate::domain_build::BuildDomains;
use xen_numastat_abi::flask::{
    XenFlaskOp, XenFlaskRelabel, XenFlaskSidContext, FLASK_CONTEXT_TO_SID, FLASK_RELABEL_DOMAIN,
    XEN_FLASK_INTERFACE_VERSION,
};
use xen_numastat_abi::{xenmemf_exact_node, DomId, DOMID_FIRST_RESERVED, PAGE_SIZE};
use xen_numastat_tools::{DomainSel, Error, Result, Xen};
use zerocopy::{FromBytes, IntoBytes};

/// `DOMID_SELF`.
const DOMID_SELF: u32 = DOMID_FIRST_RESERVED;

/// One FLASK op whose arguments hold no guest handle.
fn flask_op(xen: &Xen, cmd: u32, arg: &[u8]) -> Result<i64> {
    let pc = xen.privcmd();
    let mut b = pc.alloc(PAGE_SIZE)?;
    let mut op = XenFlaskOp {
        cmd,
        interface_version: XEN_FLASK_INTERFACE_VERSION,
        u: [0; 4],
    };
    op.u.as_mut_bytes()[..arg.len()].copy_from_slice(arg);
    b.write(0, core::slice::from_ref(&op))?;
    // SAFETY: Xen reads and writes only the op, in `b`.
    Ok(match unsafe { pc.raw_xsm_op(b.handle()) } {
        Ok(v) => v,
        Err(e) => -i64::from(e.get()),
    })
}

/// The SID of a security context (`FLASK_CONTEXT_TO_SID`).
fn sid_of(xen: &Xen, context: &str) -> Result<u32> {
    // The op and the context string (at offset 256) share one buffer.
    let pc = xen.privcmd();
    let mut b = pc.alloc(PAGE_SIZE)?;
    let ctx = XenFlaskSidContext {
        sid: 0,
        size: context.len() as u32,
        context: b.handle() + 256,
    };
    let mut op = XenFlaskOp {
        cmd: FLASK_CONTEXT_TO_SID,
        interface_version: XEN_FLASK_INTERFACE_VERSION,
        u: [0; 4],
    };
    op.u.as_mut_bytes()[..16].copy_from_slice(ctx.as_bytes());
    b.write(0, core::slice::from_ref(&op))?;
    b.write(256, context.as_bytes())?;
    // SAFETY: as in flask_op: everything Xen touches is in `b`.
    let rc = unsafe { pc.raw_xsm_op(b.handle()) };
    if let Err(e) = rc {
        return Err(Error::Internal(format!(
            "FLASK_CONTEXT_TO_SID {context}: {e}"
        )));
    }
    let back = b.read::<XenFlaskOp>(0, 1)?;
    let u = back.first().map_or([0; 4], |o| o.u);
    let got = XenFlaskSidContext::read_from_bytes(&u.as_bytes()[..16])
        .map_err(|_| Error::Internal("sid_context".into()))?;
    Ok(got.sid)
}

fn rc_of<T>(r: Result<T>) -> i64 {
    match r {
        Ok(_) => 0,
        Err(Error::NoSuchDomain { .. }) => -i64::from(libc::ESRCH),
        Err(Error::Xen { errno, .. }) => -i64::from(errno.get()),
        Err(Error::InterfaceVersion { .. }) => -i64::from(libc::EACCES),
        Err(_) => -1,
    }
}

/// Runs the sequence; one `key=value` line per step.
pub fn run(xen: &Xen, out: &mut String) -> Result<()> {
    let dom_u = sid_of(xen, "system_u:system_r:domU_t")?;
    let reader = sid_of(xen, "system_u:system_r:numastat_reader_t")?;
    let _ = writeln!(out, "sids domU_t={dom_u} numastat_reader_t={reader}");

    let mut config = crate::domain_build::pv_domain_config();
    config.ssidref = dom_u;
    let domid: DomId = xen.create_domain(&config)?;
    xen.set_max_mem(domid, 256 * (PAGE_SIZE as u64 / 1024))?;
    let gpfns: Vec<u64> = (0..256u64).map(|i| (1 << 32) + i).collect();
    xen.populate_physmap(domid, xenmemf_exact_node(0), &gpfns)?;
    let _ = writeln!(out, "domid={domid}");

    let stat = |d: DomId, walk: bool| {
        rc_of(xen.numa_getdomnodestat(DomainSel::Domain(d), None, true, walk))
    };
    let line = |out: &mut String, who: &str| {
        let _ = writeln!(
            out,
            "as={who} availheap={} free={} domu={} domu_walk={} dom0={} dom0_walk={}",
            rc_of(xen.numa_availheap(None, None, true)),
            rc_of(xen.numa_getdomnodestat(DomainSel::Free, None, true, false)),
            stat(domid, false),
            stat(domid, true),
            stat(0, false),
            stat(0, true),
        );
    };
    line(out, "dom0_t");

    let relabel = XenFlaskRelabel {
        domid: DOMID_SELF,
        sid: reader,
    };
    let rc = flask_op(xen, FLASK_RELABEL_DOMAIN, relabel.as_bytes())?;
    let _ = writeln!(out, "relabel rc={rc}");
    if rc == 0 {
        line(out, "numastat_reader_t");
    }
    Ok(())
}
