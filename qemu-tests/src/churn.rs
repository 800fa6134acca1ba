// SPDX-License-Identifier: GPL-2.0-only
//! `dom0-testkit churn SEED OPS`: a seeded random sequence of the memory
//! operations that move a domain's pages between nodes, run against the
//! real Xen, with getdomnodestat's counters and its walk checked against
//! the placement the test itself requested after every operation.
//!
//! Operations (on a fresh paused PV domain, on every online node):
//! `populate_physmap` of 1 to 64 order-0 pages or of one order-9 extent
//! with `XENMEMF_exact_node`; `decrease_reservation` of 1 to 64 random
//! pages of a node (so also parts of order-9 extents); `XENMEM_exchange` of
//! 1 to 32 random pages of one node for pages on another
//! (`XENMEMF_exact_node` on the output). The expected count per node is
//! kept here from what each call asked and got; it is independent of the
//! counters (Xen's hooks) and of the walk (Xen's lists).

use std::fmt::Write as _;

use crate::domain_build::BuildDomains;
use xen_numastat_abi::{xenmemf_exact_node, DomId};
use xen_numastat_tools::{DomNodeStat, DomainSel, Error, Result, Xen};

/// xorshift64: the same sequence for the same seed on any machine.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    /// Uniform-ish in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// One step of the sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Populate {
        node: usize,
        order: u32,
        extents: u64,
    },
    Release {
        node: usize,
        pages: u64,
    },
    Exchange {
        from: usize,
        to: usize,
        pages: u64,
    },
}

/// Picks the next step for a domain holding `held[n]` pages on node `n`,
/// staying under `cap` pages in all.
pub fn next_step(rng: &mut Rng, held: &[usize], cap: usize) -> Step {
    let nodes = held.len();
    let total: usize = held.iter().sum();
    let node = rng.below(nodes as u64) as usize;
    loop {
        match rng.below(10) {
            0..=3 => {
                let (order, extents) = if rng.below(5) == 0 {
                    (9, 1)
                } else {
                    (0, 1 + rng.below(64))
                };
                if total + (extents << order) as usize <= cap {
                    return Step::Populate {
                        node,
                        order,
                        extents,
                    };
                }
            }
            4..=6 if held[node] > 0 => {
                return Step::Release {
                    node,
                    pages: 1 + rng.below(64.min(held[node] as u64)),
                };
            }
            7..=9 if nodes > 1 && held[node] > 0 => {
                let to = (node + 1 + rng.below(nodes as u64 - 1) as usize) % nodes;
                return Step::Exchange {
                    from: node,
                    to,
                    pages: 1 + rng.below(32.min(held[node] as u64)),
                };
            }
            _ if total == 0 => {
                return Step::Populate {
                    node,
                    order: 0,
                    extents: 1,
                }
            }
            _ => {}
        }
    }
}

/// Takes `k` random entries out of `v`.
fn take_random(rng: &mut Rng, v: &mut Vec<u64>, k: usize) -> Vec<u64> {
    (0..k.min(v.len()))
        .map(|_| {
            let i = rng.below(v.len() as u64) as usize;
            v.swap_remove(i)
        })
        .collect()
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Summary {
    pub populate: u64,
    pub populate_order9: u64,
    pub release: u64,
    pub exchange: u64,
    pub pages_moved: u64,
    pub checks: u64,
    pub max_pages: usize,
}

fn stat(xen: &Xen, domid: DomId, walk: bool) -> Result<DomNodeStat> {
    xen.numa_getdomnodestat(DomainSel::Domain(domid), None, true, walk)
}

/// Counters == walk == `held`, per node; a sentence if not.
fn check(xen: &Xen, domid: DomId, nodes: &[u32], held: &[Vec<u64>]) -> Result<Option<String>> {
    let c = stat(xen, domid, false)?;
    let w = stat(xen, domid, true)?;
    for (i, &n) in nodes.iter().enumerate() {
        let want = held[i].len() as u64;
        let (cp, wp) = (c.pages(n), w.pages(n));
        let (cn, wn) = (cp.map_or(0, |p| p.page_list), wp.map_or(0, |p| p.page_list));
        if cn != want || wn != want || cp.map(|p| p.xenpage_list) != wp.map(|p| p.xenpage_list) {
            return Ok(Some(format!(
                "node {n}: requested {want}, counters {cp:?}, walk {wp:?}"
            )));
        }
    }
    let sum: u64 = held.iter().map(|v| v.len() as u64).sum();
    if c.tot_pages != sum || c.total.page_list != sum || c.inconsistent || w.restarts != 0 {
        return Ok(Some(format!(
            "tot_pages {} / counters Σ {} / requested {sum} / inconsistent {} / walk restarts {}",
            c.tot_pages, c.total.page_list, c.inconsistent, w.restarts
        )));
    }
    Ok(None)
}

/// Runs `ops` steps from `seed` on domain `domid` (paused, PV, max_mem at
/// least `cap` pages) over the online `nodes`. Stops at the first
/// disagreement with an error that says where.
pub fn run(
    xen: &Xen,
    domid: DomId,
    nodes: &[u32],
    seed: u64,
    ops: u64,
    cap: usize,
    log: &mut String,
) -> Result<Summary> {
    let mut rng = Rng::new(seed);
    let mut held: Vec<Vec<u64>> = vec![Vec::new(); nodes.len()];
    let mut s = Summary::default();
    let mut next_gpfn: u64 = 1 << 32;
    for i in 0..ops {
        let counts: Vec<usize> = held.iter().map(Vec::len).collect();
        let step = next_step(&mut rng, &counts, cap);
        match step {
            Step::Populate {
                node,
                order,
                extents,
            } => {
                let gpfns: Vec<u64> = (0..extents).map(|e| next_gpfn + (e << order)).collect();
                next_gpfn += extents << order;
                let firsts = xen.populate_physmap_order(
                    domid,
                    xenmemf_exact_node(nodes[node]),
                    order,
                    &gpfns,
                )?;
                for f in firsts {
                    held[node].extend(f..f + (1 << order));
                }
                s.populate += 1;
                s.populate_order9 += u64::from(order == 9);
            }
            Step::Release { node, pages } => {
                let mfns = take_random(&mut rng, &mut held[node], pages as usize);
                xen.decrease_reservation(domid, &mfns)?;
                s.release += 1;
            }
            Step::Exchange { from, to, pages } => {
                let mfns = take_random(&mut rng, &mut held[from], pages as usize);
                let gpfns: Vec<u64> = (0..pages).map(|e| next_gpfn + e).collect();
                next_gpfn += pages;
                let new = xen.exchange(domid, &mfns, xenmemf_exact_node(nodes[to]), &gpfns)?;
                held[to].extend(new);
                s.exchange += 1;
                s.pages_moved += pages;
            }
        }
        s.max_pages = s.max_pages.max(held.iter().map(Vec::len).sum());
        if let Some(why) = check(xen, domid, nodes, &held)? {
            let _ = writeln!(log, "MISMATCH after op {i} ({step:?}): {why}");
            return Err(Error::Internal(format!(
                "churn seed {seed:#x}: op {i} ({step:?}): {why}"
            )));
        }
        s.checks += 1;
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_steps() {
        let held = [10, 0, 600];
        let a: Vec<Step> = {
            let mut r = Rng::new(42);
            (0..50).map(|_| next_step(&mut r, &held, 4096)).collect()
        };
        let mut r = Rng::new(42);
        let b: Vec<Step> = (0..50).map(|_| next_step(&mut r, &held, 4096)).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn steps_respect_what_a_node_holds_and_the_cap() {
        let mut r = Rng::new(7);
        let mut kinds = [0u32; 4];
        for _ in 0..10_000 {
            let held = [3, 0, 700];
            match next_step(&mut r, &held, 1300) {
                Step::Populate { order, extents, .. } => {
                    assert!(703 + (extents << order) as usize <= 1300);
                    kinds[if order == 9 { 1 } else { 0 }] += 1;
                }
                Step::Release { node, pages } => {
                    assert!(pages >= 1 && pages as usize <= held[node]);
                    kinds[2] += 1;
                }
                Step::Exchange { from, to, pages } => {
                    assert_ne!(from, to);
                    assert!(pages >= 1 && pages as usize <= held[from]);
                    kinds[3] += 1;
                }
            }
        }
        assert!(
            kinds.iter().all(|&k| k > 100),
            "every kind of step: {kinds:?}"
        );
    }

    #[test]
    fn an_empty_domain_is_populated_first() {
        let mut r = Rng::new(3);
        for _ in 0..100 {
            assert!(matches!(
                next_step(&mut r, &[0, 0], 100),
                Step::Populate { .. }
            ));
        }
    }
}
