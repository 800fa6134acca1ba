// SPDX-License-Identifier: GPL-2.0-only
//! `dom0-testkit hostile`: the numastat sysctls called the way a careless
//! or hostile control domain could, bypassing every check of the tools
//! (tools/src/privcmd.rs): a wrong interface version, a `struct
//! xen_sysctl` or a guest handle that is unmapped, read-only or straddles
//! into an unmapped page, a struct prefilled with 0xAA, out-of-range nodes
//! and domain ids. Each case prints `case NAME rc=R want=W` and is followed
//! by valid calls of both ops that must succeed (`after NAME rc=0`): Xen
//! left nothing locked and nothing half-done.
#![allow(unsafe_code)]
// The memory Xen writes here is either a HypercallBuf (only copied in and
// out through its methods) or an anonymous mapping reached only through
// raw pointers: no Rust reference ever points at bytes Xen may write.

use core::mem::{offset_of, size_of};
use std::fmt::Write as _;

use xen_numastat_abi::{
    XenNumaNodePages, XenSysctl, XenSysctlNumaAvailheap, XenSysctlNumaGetdomnodestat, PAGE_SIZE,
    XEN_NUMA_ANY, XEN_SYSCTL_INTERFACE_VERSION, XEN_SYSCTL_NUMA_AVAILHEAP,
    XEN_SYSCTL_NUMA_GETDOMNODESTAT,
};
use xen_numastat_tools::{DomainSel, Error, Result, Xen};

const SYSCTL_BYTES: usize = size_of::<XenSysctl>();
const PAYLOAD: usize = offset_of!(XenSysctl, u);

/// An anonymous mapping of `pages` pages, the last `unmapped` of them
/// unmapped again, the rest written once (present) and optionally made
/// read-only.
struct Anon {
    ptr: *mut u8,
    len: usize,
}

impl Anon {
    fn new(pages: usize, unmapped: usize, read_only: bool) -> Result<Anon> {
        let len = pages * PAGE_SIZE;
        // SAFETY: a fresh private anonymous mapping chosen by the kernel.
        let p = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(Error::Internal("mmap of a test page failed".into()));
        }
        let ptr = p.cast::<u8>();
        let keep = (pages - unmapped) * PAGE_SIZE;
        // SAFETY: the first `keep` bytes are ours and mapped; the rest is
        // unmapped and never touched again through this struct.
        unsafe {
            core::ptr::write_bytes(ptr, 0, keep);
            if unmapped > 0 {
                libc::munmap(ptr.add(keep).cast(), unmapped * PAGE_SIZE);
            }
            if read_only {
                libc::mprotect(ptr.cast(), keep, libc::PROT_READ);
            }
        }
        Ok(Anon { ptr, len: keep })
    }

    fn addr(&self, offset: usize) -> u64 {
        self.ptr as u64 + offset as u64
    }

    /// Copies `bytes` in at `offset` (within the mapped, writable part).
    fn write(&self, offset: usize, bytes: &[u8]) {
        assert!(offset + bytes.len() <= self.len);
        // SAFETY: in bounds of the mapped part (asserted); raw copy.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr.add(offset), bytes.len()) }
    }
}

impl Drop for Anon {
    fn drop(&mut self) {
        // SAFETY: our mapping (the mapped part; the rest is gone already).
        unsafe { libc::munmap(self.ptr.cast(), self.len.max(PAGE_SIZE)) };
    }
}

fn sysctl_bytes<P: zerocopy::IntoBytes + zerocopy::Immutable>(
    cmd: u32,
    version: u32,
    payload: &P,
    fill: u8,
) -> Vec<u8> {
    let mut b = vec![fill; SYSCTL_BYTES];
    b[0..4].copy_from_slice(&cmd.to_ne_bytes());
    b[4..8].copy_from_slice(&version.to_ne_bytes());
    let p = payload.as_bytes();
    b[PAYLOAD..PAYLOAD + p.len()].copy_from_slice(p);
    b
}

fn errno_rc(r: core::result::Result<i64, xen_numastat_tools::Errno>) -> i64 {
    match r {
        Ok(v) => v,
        Err(e) => -i64::from(e.get()),
    }
}

/// A getdomnodestat of dom0 over every node from the counters: IN fields.
fn gdns(nodes: u64, nr_nodes: u32) -> XenSysctlNumaGetdomnodestat {
    XenSysctlNumaGetdomnodestat {
        domain: 0,
        node: XEN_NUMA_ANY,
        nodes,
        nr_nodes,
        ..Default::default()
    }
}

/// Runs every case; appends one line per case and per check to `out`.
/// Returns the number of cases whose result was not the one wanted.
pub fn run(xen: &Xen, out: &mut String) -> Result<u32> {
    let pc = xen.privcmd();
    let nodes = xen.numainfo()?.online_nodes().count() as u32;
    let efault = -i64::from(libc::EFAULT);
    let einval = -i64::from(libc::EINVAL);
    let esrch = -i64::from(libc::ESRCH);
    let eacces = -i64::from(libc::EACCES);
    let mut bad = 0;
    let after = |name: &str, out: &mut String| -> Result<()> {
        // Nothing left locked or half-done: both ops answer at once.
        let a = xen.numa_availheap(None, None, true).map(|_| 0);
        let d = xen
            .numa_getdomnodestat(DomainSel::Domain(0), None, true, false)
            .map(|_| 0);
        let rc = match (a, d) {
            (Ok(_), Ok(_)) => 0,
            (Err(e), _) | (_, Err(e)) => {
                let _ = writeln!(out, "after {name} failed: {e}");
                1
            }
        };
        let _ = writeln!(out, "after {name} rc={rc}");
        Ok(())
    };
    let mut case = |name: &str, rc: i64, want: i64, out: &mut String| {
        let _ = writeln!(out, "case {name} rc={rc} want={want}");
        if rc != want {
            bad += 1;
        }
    };

    // The sysctl struct in a hypercall buffer, with a payload.
    let call = |bytes: &[u8]| -> Result<(i64, Vec<u8>)> {
        let mut b = pc.alloc(SYSCTL_BYTES)?;
        b.write(0, bytes)?;
        // SAFETY: Xen writes the struct (in `b`, a hypercall buffer
        // reached only through its methods) and the payload's handles,
        // which the callers point at hypercall buffers or Anon mappings.
        let rc = errno_rc(unsafe { pc.raw_sysctl(b.handle()) });
        Ok((rc, b.read::<u8>(0, SYSCTL_BYTES)?))
    };

    // 1. A wrong interface version: -EACCES before anything else.
    let ah = XenSysctlNumaAvailheap {
        zone: XEN_NUMA_ANY,
        node: XEN_NUMA_ANY,
        ..Default::default()
    };
    for v in [
        XEN_SYSCTL_INTERFACE_VERSION - 1,
        XEN_SYSCTL_INTERFACE_VERSION + 1,
        0,
    ] {
        let (rc, _) = call(&sysctl_bytes(XEN_SYSCTL_NUMA_AVAILHEAP, v, &ah, 0))?;
        case(&format!("version-{v:#x}"), rc, eacces, out);
        let (rc, _) = call(&sysctl_bytes(
            XEN_SYSCTL_NUMA_GETDOMNODESTAT,
            v,
            &gdns(0, 0),
            0,
        ))?;
        case(&format!("gdns-version-{v:#x}"), rc, eacces, out);
    }
    after("version", out)?;

    // 2. The struct itself unmapped, or straddling into an unmapped page.
    let gone = Anon::new(1, 1, false)?;
    // SAFETY: an unmapped address: Xen's copy_from_guest faults.
    let rc = errno_rc(unsafe { pc.raw_sysctl(gone.addr(0)) });
    case("struct-unmapped", rc, efault, out);
    let edge = Anon::new(2, 1, false)?;
    let at = PAGE_SIZE - 64;
    let whole = sysctl_bytes(
        XEN_SYSCTL_NUMA_GETDOMNODESTAT,
        XEN_SYSCTL_INTERFACE_VERSION,
        &gdns(0, 0),
        0,
    );
    edge.write(at, &whole[..64]);
    // SAFETY: 64 mapped bytes, then an unmapped page: Xen faults.
    let rc = errno_rc(unsafe { pc.raw_sysctl(edge.addr(at)) });
    case("struct-straddles", rc, efault, out);
    after("struct", out)?;

    // 3. Guest handles: unmapped, read-only, straddling.
    let v = XEN_SYSCTL_INTERFACE_VERSION;
    let ro = Anon::new(1, 0, true)?;
    let entries = size_of::<XenNumaNodePages>();
    for (name, addr) in [
        ("nodes-unmapped", gone.addr(0)),
        ("nodes-readonly", ro.addr(0)),
        ("nodes-straddle", edge.addr(PAGE_SIZE - entries)),
    ] {
        if name == "nodes-straddle" && nodes < 2 {
            continue; // one entry fits; the second would be unmapped
        }
        let (rc, _) = call(&sysctl_bytes(
            XEN_SYSCTL_NUMA_GETDOMNODESTAT,
            v,
            &gdns(addr, 64),
            0,
        ))?;
        case(name, rc, efault, out);
        after(name, out)?;
        let walk = XenSysctlNumaGetdomnodestat {
            flags: xen_numastat_abi::XEN_NUMA_GDNS_WALK,
            ..gdns(addr, 64)
        };
        let (rc, _) = call(&sysctl_bytes(XEN_SYSCTL_NUMA_GETDOMNODESTAT, v, &walk, 0))?;
        case(&format!("{name}-walk"), rc, efault, out);
        after(&format!("{name}-walk"), out)?;
    }
    for (name, addr) in [
        ("counts-unmapped", gone.addr(0)),
        ("counts-readonly", ro.addr(0)),
    ] {
        let p = XenSysctlNumaAvailheap {
            counts: addr,
            nr_counts: 64 * 41,
            ..ah
        };
        let (rc, _) = call(&sysctl_bytes(XEN_SYSCTL_NUMA_AVAILHEAP, v, &p, 0))?;
        case(name, rc, efault, out);
        after(name, out)?;
    }

    // 4. Prefilled with 0xAA: every byte outside the OUT fields is as the
    // caller left it.
    let out_gdns = offset_of!(XenSysctlNumaGetdomnodestat, total)
        ..offset_of!(XenSysctlNumaGetdomnodestat, cursor);
    let out_ah =
        offset_of!(XenSysctlNumaAvailheap, nr_zones)..offset_of!(XenSysctlNumaAvailheap, counts);
    for (name, bytes, outs) in [
        (
            "prefill-gdns",
            sysctl_bytes(XEN_SYSCTL_NUMA_GETDOMNODESTAT, v, &gdns(0, 0), 0xAA),
            out_gdns,
        ),
        (
            "prefill-availheap",
            sysctl_bytes(XEN_SYSCTL_NUMA_AVAILHEAP, v, &ah, 0xAA),
            out_ah,
        ),
    ] {
        let (rc, back) = call(&bytes)?;
        case(name, rc, 0, out);
        let changed: Vec<usize> = (0..SYSCTL_BYTES)
            .filter(|&i| back[i] != bytes[i])
            .filter(|&i| !(PAYLOAD + outs.start..PAYLOAD + outs.end).contains(&i))
            .collect();
        case(&format!("{name}-untouched"), changed.len() as i64, 0, out);
        if !changed.is_empty() {
            let _ = writeln!(out, "{name}: bytes changed outside OUT fields: {changed:?}");
        }
    }
    after("prefill", out)?;

    // 5. Out-of-range ids, raw.
    for (name, node) in [
        ("node-255", 255),
        ("node-int-min", i32::MIN),
        ("node-64", 64),
    ] {
        let (rc, _) = call(&sysctl_bytes(
            XEN_SYSCTL_NUMA_GETDOMNODESTAT,
            v,
            &XenSysctlNumaGetdomnodestat { node, ..gdns(0, 0) },
            0,
        ))?;
        case(&format!("gdns-{name}"), rc, einval, out);
        let (rc, _) = call(&sysctl_bytes(
            XEN_SYSCTL_NUMA_AVAILHEAP,
            v,
            &XenSysctlNumaAvailheap { node, ..ah },
            0,
        ))?;
        case(&format!("availheap-{name}"), rc, einval, out);
    }
    for zone in [41, 255, i32::MIN] {
        let (rc, _) = call(&sysctl_bytes(
            XEN_SYSCTL_NUMA_AVAILHEAP,
            v,
            &XenSysctlNumaAvailheap { zone, ..ah },
            0,
        ))?;
        case(&format!("availheap-zone-{zone}"), rc, einval, out);
    }
    for domain in [0xffff, 0x7ff0, 0x7fff_ffff] {
        let (rc, _) = call(&sysctl_bytes(
            XEN_SYSCTL_NUMA_GETDOMNODESTAT,
            v,
            &XenSysctlNumaGetdomnodestat {
                domain,
                ..gdns(0, 0)
            },
            0,
        ))?;
        case(&format!("gdns-domain-{domain:#x}"), rc, esrch, out);
    }
    after("ids", out)?;
    drop((gone, edge, ro));
    Ok(bad)
}
