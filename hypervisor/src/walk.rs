// SPDX-License-Identifier: GPL-2.0-only
//! The verification walk of getdomnodestat (`XEN_NUMA_GDNS_walk`): every
//! page of a domain's `page_list`, `extra_page_list` and `xenpage_list`,
//! counted by node, in pieces of at most [`WALK_PIECE`] page visits per
//! hold of `d->page_alloc_lock`.
//!
//! Between pieces (and across hypercall continuations) the position lives
//! in Xen, in the domain's [`WalkSlot`](crate::counters::WalkSlot): the
//! MFNs of the last page counted and of the next one, the list, and the
//! domain's removal count at the pause. The caller's cursor carries only a
//! token naming that slot. A piece resumes only if
//! - the token is the slot's (a token is used once),
//! - no page left any of the domain's lists since the pause (the removal
//!   count is unchanged): Xen's `page_list_del()` leaves a removed page's
//!   own links stale, and `free_domheap_pages()` clears the owner only
//!   later, so "still owned and of this list's kind" does not prove a page
//!   is still linked (docs/counters.md);
//! - the domain is not dying (checked in every piece, under the lock:
//!   `relinquish_memory()` parks pages on `relmem_list` with their owner
//!   unchanged, and it runs only once `is_dying` is set);
//! - the next page still follows the last one.
//!
//! Otherwise the walk starts over from the head of `page_list`.

use crate::counters::DomainCounters;
use crate::domnodestat::Counts;
use crate::errno::Errno;
use crate::platform::DomainPlatform;
use core::sync::atomic::Ordering::Relaxed;
use xen_numastat_abi::{
    NumaList, XenNumaNodePages, XenNumaWalkCursor, XenSysctlNumaGetdomnodestat, MAX_NUMNODES,
};

/// Page visits per hold of `d->page_alloc_lock` (16 MiB of guest memory).
pub const WALK_PIECE: u32 = 4096;

/// Walks restarted within one hypercall before giving up with `-EBUSY`: a
/// domain whose lists lose pages between pieces this often is being
/// ballooned or torn down right now; the caller may ask again.
pub const MAX_RESTARTS: u32 = 16;

/// Restarts of one call in all, across its hypercall continuations: a
/// walk racing a balloon driver could otherwise be continued and
/// restarted without end (seen: 2452 restarts before a walk finished).
/// Then `-EBUSY` too; the counters answer at once all the same.
pub const MAX_TOTAL_RESTARTS: u32 = 256;

/// `last_mfn` of a position at the head of its list.
const AT_HEAD: u64 = !0;

/// How this invocation's walk ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Walked {
    Finished,
    /// Preempted: the position is in the slot, its token in `op.cursor`.
    Paused,
}

enum Step {
    Finished,
    Paused,
    Restart,
    Dying,
}

/// Where a piece starts: the head of `page_list` for a fresh walk, the
/// slot's position if it may be trusted, `None` to start over.
fn resume<P: DomainPlatform>(
    p: &P,
    d: &P::Domain,
    counters: &DomainCounters,
    c: XenNumaWalkCursor,
) -> Option<(NumaList, Option<P::Page>)> {
    let Some(list) = NumaList::from_u32(c.list) else {
        return Some((NumaList::Page, p.first(d, NumaList::Page)));
    };
    let s = &counters.walk;
    let token = s.token.load(Relaxed);
    if c.token == 0
        || token != c.token
        || s.list.load(Relaxed) != list as u32
        || s.removals.load(Relaxed) != counters.removals()
    {
        return None;
    }
    // Used once: a replayed token finds nothing.
    s.token.store(0, Relaxed);
    let next = p.page_on_list(d, list, s.next_mfn.load(Relaxed))?;
    let last_mfn = s.last_mfn.load(Relaxed);
    let follows = if last_mfn == AT_HEAD {
        p.first(d, list) == Some(next)
    } else {
        p.page_on_list(d, list, last_mfn)
            .is_some_and(|last| p.next(d, list, last) == Some(next))
    };
    follows.then_some((list, Some(next)))
}

/// Saves a position in the slot and returns its new token.
fn pause(counters: &DomainCounters, list: NumaList, last_mfn: u64, next_mfn: u64) -> u64 {
    let s = &counters.walk;
    let token = match s.last_token.load(Relaxed).wrapping_add(1) {
        0 => 1,
        t => t,
    };
    s.last_token.store(token, Relaxed);
    s.list.store(list as u32, Relaxed);
    s.last_mfn.store(last_mfn, Relaxed);
    s.next_mfn.store(next_mfn, Relaxed);
    s.removals.store(counters.removals(), Relaxed);
    s.token.store(token, Relaxed);
    token
}

/// One piece: at most [`WALK_PIECE`] visits. Lock held.
fn piece<P: DomainPlatform>(
    p: &P,
    d: &P::Domain,
    counters: &DomainCounters,
    op: &mut XenSysctlNumaGetdomnodestat,
    acc: &mut Counts,
) -> Step {
    if p.domain_dying(d) {
        return Step::Dying;
    }
    let Some((mut list, mut pg)) = resume(p, d, counters, op.cursor) else {
        return Step::Restart;
    };
    let mut last: Option<P::Page> = None;
    let mut budget = WALK_PIECE;
    loop {
        match pg {
            Some(page) if budget > 0 => {
                if let Some(cnt) = acc.get_mut(p.node_of(page)) {
                    let f = list.field(cnt);
                    *f = f.wrapping_add(1);
                }
                budget = budget.saturating_sub(1);
                last = Some(page);
                pg = p.next(d, list, page);
            }
            Some(page) => {
                // Out of budget: remember where we are, inside Xen.
                let last_mfn = match last {
                    Some(l) => p.mfn_of(l),
                    None => AT_HEAD,
                };
                op.cursor.token = pause(counters, list, last_mfn, p.mfn_of(page));
                op.cursor.list = list as u32;
                return Step::Paused;
            }
            None => match list.next() {
                Some(l) => {
                    list = l;
                    last = None;
                    pg = p.first(d, l);
                }
                None => {
                    let (tot, xenheap, extra) = p.domain_pages(d);
                    op.tot_pages = tot;
                    op.xenheap_pages = xenheap;
                    op.extra_pages = extra;
                    if counters.is_inconsistent() {
                        op.status |= xen_numastat_abi::XEN_NUMA_STATUS_INCONSISTENT;
                    }
                    return Step::Finished;
                }
            },
        }
    }
}

/// The walk of one invocation.
pub fn walk<P: DomainPlatform>(
    p: &P,
    d: &P::Domain,
    op: &mut XenSysctlNumaGetdomnodestat,
    acc: &mut Counts,
) -> Result<Walked, Errno> {
    let counters = p.counters(d).ok_or(Errno::EOPNOTSUPP)?;
    let mut restarts_here = 0u32;
    loop {
        let step = p.with_page_alloc_lock(d, || piece(p, d, counters, op, acc));
        op.pieces = op.pieces.saturating_add(1);
        match step {
            Step::Finished => return Ok(Walked::Finished),
            Step::Dying => return Err(Errno::ESRCH),
            Step::Paused => {
                if p.preempt_check() {
                    return Ok(Walked::Paused);
                }
            }
            Step::Restart => {
                // Count again from the start, dropping what this and earlier
                // invocations had.
                restarts_here = restarts_here.saturating_add(1);
                op.restarts = op.restarts.saturating_add(1);
                if restarts_here > MAX_RESTARTS || op.restarts > MAX_TOTAL_RESTARTS {
                    return Err(Errno::EBUSY);
                }
                *acc = [XenNumaNodePages::default(); MAX_NUMNODES];
                op.cursor = XenNumaWalkCursor::default();
                op.total = XenNumaNodePages::default();
            }
        }
    }
}
