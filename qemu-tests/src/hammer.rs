// SPDX-License-Identifier: GPL-2.0-only
//! `dom0-testkit hammer SECS`: two threads (dom0 has a vCPU per CPU of the
//! VM) call both numastat ops as fast as they can, availheap with its
//! matrix and getdomnodestat from the counters and by walking, while a
//! third populates and releases pages of the domain they ask about. Every
//! call must return numbers or a documented error (only `-EBUSY`, a walk
//! restarted too often, is expected); afterwards the domain's counters
//! must equal a walk and the placement the third thread asked for.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use crate::churn::Rng;
use crate::domain_build::BuildDomains;
use xen_numastat_abi::{xenmemf_exact_node, DomId, PAGE_SIZE};
use xen_numastat_tools::{DomainSel, Error, Result, Xen};

/// What the querying threads saw.
#[derive(Debug, Default)]
struct Tally {
    calls: AtomicU64,
    ebusy: AtomicU64,
    other_errors: AtomicU64,
    walk_restarts: AtomicU64,
}

fn query_loop(stop: &AtomicBool, domid: DomId, t: &Tally, first_error: &std::sync::Mutex<String>) {
    let xen = match Xen::open() {
        Ok(x) => x,
        Err(e) => {
            t.other_errors.fetch_add(1, Relaxed);
            *first_error.lock().unwrap_or_else(|p| p.into_inner()) = e.to_string();
            return;
        }
    };
    while !stop.load(Relaxed) {
        let results = [
            xen.numa_availheap(None, None, true).map(|_| 0),
            xen.numa_getdomnodestat(DomainSel::Domain(domid), None, true, false)
                .map(|_| 0),
            xen.numa_getdomnodestat(DomainSel::Domain(domid), None, true, true)
                .map(|s| s.restarts),
            xen.numa_getdomnodestat(DomainSel::Domain(0), None, true, false)
                .map(|_| 0),
        ];
        for r in results {
            t.calls.fetch_add(1, Relaxed);
            match r {
                Ok(restarts) => {
                    t.walk_restarts.fetch_add(u64::from(restarts), Relaxed);
                }
                Err(Error::Xen { errno, .. }) if errno.get() == libc::EBUSY => {
                    t.ebusy.fetch_add(1, Relaxed);
                }
                Err(e) => {
                    if t.other_errors.fetch_add(1, Relaxed) == 0 {
                        *first_error.lock().unwrap_or_else(|p| p.into_inner()) = e.to_string();
                    }
                }
            }
        }
    }
}

/// Runs for `secs` seconds on a new domain over the online `nodes`.
pub fn run(xen: &Xen, domid: DomId, nodes: &[u32], secs: u64, out: &mut String) -> Result<bool> {
    const CAP: u64 = 16384;
    xen.set_max_mem(domid, CAP * (PAGE_SIZE as u64 / 1024))?;
    let stop = AtomicBool::new(false);
    let tally = Tally::default();
    let first_error = std::sync::Mutex::new(String::new());
    let mut held: Vec<Vec<u64>> = vec![Vec::new(); nodes.len()];
    let (mut populated, mut released) = (0u64, 0u64);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let writer: Result<()> = std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| query_loop(&stop, domid, &tally, &first_error));
        }
        let mut rng = Rng::new(secs ^ 0x6a6d);
        let mut gpfn = 1u64 << 32;
        let res = (|| -> Result<()> {
            while Instant::now() < deadline {
                let n = rng.below(nodes.len() as u64) as usize;
                let total: usize = held.iter().map(Vec::len).sum();
                if rng.below(2) == 0 && (total as u64) + 64 <= CAP {
                    let gpfns: Vec<u64> = (gpfn..gpfn + 64).collect();
                    gpfn += 64;
                    let mfns = xen.populate_physmap(domid, xenmemf_exact_node(nodes[n]), &gpfns)?;
                    held[n].extend(mfns);
                    populated += 64;
                } else if held[n].len() >= 64 {
                    let keep = held[n].len() - 64;
                    xen.decrease_reservation(domid, &held[n][keep..])?;
                    held[n].truncate(keep);
                    released += 64;
                }
            }
            Ok(())
        })();
        stop.store(true, Relaxed);
        res
    });
    writer?;
    let c = xen.numa_getdomnodestat(DomainSel::Domain(domid), None, true, false)?;
    let w = xen.numa_getdomnodestat(DomainSel::Domain(domid), None, true, true)?;
    let mut exact = true;
    for (i, &n) in nodes.iter().enumerate() {
        let want = held[i].len() as u64;
        let (cp, wp) = (
            c.pages(n).map_or(0, |p| p.page_list),
            w.pages(n).map_or(0, |p| p.page_list),
        );
        if cp != want || wp != want {
            exact = false;
            let _ = writeln!(out, "node {n}: asked {want}, counters {cp}, walk {wp}");
        }
    }
    let err = first_error.into_inner().unwrap_or_else(|p| p.into_inner());
    let _ = writeln!(
        out,
        "hammer secs={secs} calls={} ebusy={} other_errors={} walk_restarts={} populated={populated} released={released} exact={}{}",
        tally.calls.load(Relaxed),
        tally.ebusy.load(Relaxed),
        tally.other_errors.load(Relaxed),
        tally.walk_restarts.load(Relaxed),
        u8::from(exact),
        if err.is_empty() { String::new() } else { format!(" first_error={err:?}") }
    );
    Ok(exact && tally.other_errors.load(Relaxed) == 0)
}
