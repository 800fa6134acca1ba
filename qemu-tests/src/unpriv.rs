// SPDX-License-Identifier: GPL-2.0-only
//! The unprivileged caller (issue 9): what a guest's calls of the numastat
//! sysctls get, and what they cost dom0 meanwhile. `dom0-testkit
//! unpriv-probe`, `unpriv-hammer` and `latency` (docs/testing.md, "An
//! unprivileged caller").
//!
//! A domU's xen-privcmd refuses every hypercall itself unless it was
//! loaded with `unrestricted=1`; both refusals are `EPERM`. The probe says
//! which layer answered each call: `XENVER_version`, which Xen answers for
//! every domain, succeeds when the calls reach Xen
//! (`Privcmd::who_refused`).
//!
//! Why dom0's latency cannot depend on the guest: `do_sysctl()` checks the
//! interface version and XSM (`xsm_sysctl`) before it takes `sysctl_lock`
//! (xen/common/sysctl.c, 4.17), so a refused call holds no lock dom0's
//! calls take. The `latency` figures, while a guest hammers them and
//! while it hammers `XENVER_version` at the same rate (the control: under
//! TCG any hypercall traffic of another vCPU slows dom0 by itself), show
//! it (docs/testing.md).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use xen_numastat_tools::{DomainSel, Error, Xen};

use crate::stats::Summary;
use crate::tsc::{rdtsc, Tsc};

/// One timed call.
type Call<'a> = dyn Fn() -> Result<(), Error> + 'a;

/// `rc=` and `layer=` of one call's outcome: `xen` for Xen's errno,
/// `privcmd` for the driver's refusal, `none` for success or a failure of
/// neither.
fn outcome(r: &Result<(), Error>) -> (i32, &'static str) {
    match r {
        Ok(()) => (0, "none"),
        Err(Error::PrivcmdRestricted { .. }) => (-libc::EPERM, "privcmd"),
        Err(e) => match e.xen_errno() {
            Some(errno) => (-errno.get(), "xen"),
            // Not an answer of Xen's (a buffer that would not map, ...).
            None => (-1, "none"),
        },
    }
}

/// The calls an unprivileged domain must be refused: both numastat
/// sysctls (getdomnodestat in both modes, on dom0 and on the free lists)
/// and, for comparison, an upstream sysctl behind the same XSM check.
fn calls(xen: &Xen) -> Vec<(&'static str, Result<(), Error>)> {
    let gdns = |sel, walk| xen.numa_getdomnodestat(sel, None, true, walk).map(drop);
    vec![
        ("availheap", xen.numa_availheap(None, None, true).map(drop)),
        ("getdomnodestat-dom0", gdns(DomainSel::Domain(0), false)),
        ("getdomnodestat-dom0-walk", gdns(DomainSel::Domain(0), true)),
        ("getdomnodestat-free", gdns(DomainSel::Free, false)),
        ("physinfo", xen.physinfo().map(drop)),
    ]
}

/// `xen_version rc= major= minor=`, then `case NAME rc= layer=` per call.
pub fn probe(xen: &Xen, out: &mut String) {
    match xen.privcmd().xen_version() {
        Ok((major, minor)) => {
            let _ = writeln!(out, "xen_version rc=0 major={major} minor={minor}");
        }
        Err(e) => {
            let _ = writeln!(out, "xen_version rc=-{} ({e})", e.get());
        }
    }
    for (name, r) in calls(xen) {
        let (rc, layer) = outcome(&r);
        let _ = writeln!(out, "case {name} rc={rc} layer={layer}");
    }
}

/// What [`hammer`] calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HammerCalls {
    /// Both numastat sysctls (each refused call followed by the
    /// `XENVER_version` of `Privcmd::who_refused`).
    Numastat,
    /// `XENVER_version` four times a round, as many hypercalls as a
    /// numastat round makes (two sysctls, each followed by the probe), none
    /// a sysctl (the control).
    XenVersion,
}

/// Calls `what` back to back for `secs` seconds. Prints `unpriv-hammer
/// start` to stderr at once (the guest's console shows it while the loop
/// runs; stdout is printed at the end), then `unpriv-hammer calls=NAME
/// secs= calls= eperm_xen= ok= other=`. Returns false if a numastat call
/// got anything but Xen's EPERM, or an XENVER_version call failed.
pub fn hammer(xen: &Xen, what: HammerCalls, secs: u64, out: &mut String) -> bool {
    let name = match what {
        HammerCalls::Numastat => "numastat",
        HammerCalls::XenVersion => "xen_version",
    };
    eprintln!("unpriv-hammer {name} start");
    let t0 = Instant::now();
    let (mut calls, mut eperm, mut ok, mut other) = (0u64, 0u64, 0u64, 0u64);
    while t0.elapsed() < Duration::from_secs(secs) {
        match what {
            HammerCalls::Numastat => {
                for r in [
                    xen.numa_availheap(None, None, false).map(drop),
                    xen.numa_getdomnodestat(DomainSel::Domain(0), None, false, false)
                        .map(drop),
                ] {
                    calls += 1;
                    match outcome(&r) {
                        (rc, "xen") if rc == -libc::EPERM => eperm += 1,
                        _ => other += 1,
                    }
                }
            }
            HammerCalls::XenVersion => {
                for _ in 0..4 {
                    calls += 1;
                    match xen.privcmd().xen_version() {
                        Ok(_) => ok += 1,
                        Err(_) => other += 1,
                    }
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "unpriv-hammer calls={name} secs={secs} calls={calls} eperm_xen={eperm} ok={ok} \
         other={other}"
    );
    eprintln!("unpriv-hammer {name} end");
    other == 0 && calls > 0
}

/// Keeps a CPU busy in user space for `secs` seconds, with no system call
/// or hypercall in the loop (the clock is read every 2^20 rounds): the
/// control for [`hammer`], so that what a busy guest vCPU costs dom0 under
/// TCG is told apart from what its hypercalls cost. `spin start` / `spin
/// end` on stderr; `spin secs= loops=`.
pub fn spin(secs: u64, out: &mut String) {
    eprintln!("spin start");
    let t0 = Instant::now();
    let mut x: u64 = 1;
    let mut loops = 0u64;
    while t0.elapsed() < Duration::from_secs(secs) {
        for _ in 0..1 << 20 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        loops += 1;
    }
    eprintln!("spin end");
    let _ = writeln!(out, "spin secs={secs} loops={loops} x={}", x & 1);
}

/// dom0's latency of both numastat sysctls: `reps` samples of each,
/// interleaved, timed with the TSC (qemu_tests::tsc: dom0's monotonic
/// clock stands still under TCG with two vCPUs). Prints `latency
/// op=availheap|getdomnodestat n= min_ns= ... spread_pct=`.
pub fn latency(xen: &Xen, reps: u32, out: &mut String) -> Result<(), Error> {
    let tsc = Tsc::calibrate(Duration::from_millis(200));
    let ops: [(&str, &Call); 2] = [
        ("availheap", &|| {
            xen.numa_availheap(None, None, true).map(drop)
        }),
        ("getdomnodestat", &|| {
            xen.numa_getdomnodestat(DomainSel::Domain(0), None, true, false)
                .map(drop)
        }),
    ];
    let mut samples = [Vec::new(), Vec::new()];
    // One untimed call of each first (buffers, caches).
    for (_, f) in &ops {
        f()?;
    }
    for _ in 0..reps {
        for (i, (_, f)) in ops.iter().enumerate() {
            let c0 = rdtsc();
            f()?;
            samples[i].push(tsc.ns(rdtsc().wrapping_sub(c0)));
        }
    }
    for ((name, _), s) in ops.iter().zip(&samples) {
        if let Some(sum) = Summary::of(s) {
            let _ = writeln!(out, "latency op={name} {}", sum.words("_ns"));
        }
    }
    Ok(())
}
