// SPDX-License-Identifier: GPL-2.0-only
//! `XEN_SYSCTL_numa_getdomnodestat`: how many of a domain's pages sit on each
//! NUMA node (the 2006 patch's getdomnodestat), per list (`page_list`,
//! `extra_page_list`, `xenpage_list`).
//!
//! By default the answer comes from the domain's counters
//! (hypervisor/src/counters.rs): one hold of `d->page_alloc_lock` for
//! `MAX_NUMNODES * 3` reads, no page visited, no continuation. With
//! `XEN_NUMA_GDNS_walk` it comes from a bounded walk of the lists
//! (hypervisor/src/walk.rs), for verification. Order of checks, locks and
//! what each answer guarantees: docs/abi.md.

use crate::errno::Errno;
use crate::heap::HeapCounters;
use crate::platform::{node_rows, parse_node, DomainPlatform};
use crate::walk::{walk, Walked};
use xen_numastat_abi::{
    GdnsFlags, XenNumaNodePages, XenNumaWalkCursor, XenSysctlNumaGetdomnodestat,
    DOMID_FIRST_RESERVED, MAX_NUMNODES, XEN_NUMA_DOMAIN_FREE, XEN_NUMA_SRC_COUNTERS,
    XEN_NUMA_SRC_FREE, XEN_NUMA_SRC_WALK, XEN_NUMA_STATUS_INCONSISTENT,
};

/// What the caller may see happen: done, or continue the hypercall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Partial results and the cursor are in `op`: return `-ERESTART` so
    /// that do_sysctl() creates a continuation.
    Continue,
}

/// Per-node counts of this invocation (1.5 KiB, on the stack).
pub type Counts = [XenNumaNodePages; MAX_NUMNODES];

/// `XenNumaWalkCursor::flags`: earlier pieces' counts are in the caller's
/// `nodes` buffer and `total`, and this call adds to them.
pub const PARTIAL_IN_GUEST: u32 = 1;

#[derive(Clone, Copy, Debug)]
struct Req {
    /// `Some(n)` for one node.
    node: Option<usize>,
    /// Entries of `nodes` we write (0 when the caller passed none).
    rows: usize,
    walk: bool,
}

fn validate<P: DomainPlatform>(p: &P, op: &mut XenSysctlNumaGetdomnodestat) -> Result<Req, Errno> {
    let c = op.cursor;
    let Some(flags) = GdnsFlags::from_bits(op.flags) else {
        return Err(Errno::EINVAL);
    };
    if c.reserved != 0
        || c.flags & !PARTIAL_IN_GUEST != 0
        || (c.list != 0 && xen_numastat_abi::NumaList::from_u32(c.list).is_none())
    {
        return Err(Errno::EINVAL);
    }
    let walk = flags.contains(GdnsFlags::WALK);
    // A cursor only means something to a walk.
    if !walk && c != XenNumaWalkCursor::default() {
        return Err(Errno::EINVAL);
    }
    let node = parse_node(p, op.node)?;
    let rows = match (op.nodes, node) {
        (0, _) => 0,
        (_, Some(_)) => 1,
        (_, None) => node_rows(p),
    };
    if rows > 0 {
        let have = op.nr_nodes as usize;
        op.nr_nodes = rows as u32;
        if have < rows {
            return Err(Errno::ENOBUFS);
        }
    }
    // Reserved ids (DOMID_SELF, DOMID_IO, DOMID_XEN, DOMID_COW, DOMID_IDLE,
    // ...) name no domain one can ask about.
    if op.domain != XEN_NUMA_DOMAIN_FREE && op.domain >= DOMID_FIRST_RESERVED {
        return Err(Errno::ESRCH);
    }
    Ok(Req { node, rows, walk })
}

/// Writes this invocation's counts out: into `op.total` (the requested
/// node(s)) and, when the caller passed one, its `nodes` buffer, adding to
/// what earlier pieces left there if `op.cursor.flags` says so. Called with
/// no lock held.
fn flush<P: DomainPlatform>(
    p: &P,
    op: &mut XenSysctlNumaGetdomnodestat,
    req: Req,
    acc: &Counts,
) -> Result<(), Errno> {
    let partial = op.cursor.flags & PARTIAL_IN_GUEST != 0;
    if !partial {
        op.total = XenNumaNodePages::default();
    }
    for (n, c) in acc.iter().enumerate() {
        if req.node.is_none_or(|want| want == n) && p.node_online(n) {
            op.total = op.total.saturating_add(c);
        }
    }
    let first = req.node.unwrap_or(0);
    let mut row = [XenNumaNodePages::default(); 1];
    for r in 0..req.rows {
        let n = first.saturating_add(r);
        let Some(slot) = row.first_mut() else { break };
        if !p.node_online(n) {
            *slot = XenNumaNodePages::OFFLINE;
        } else {
            if partial {
                p.read_nodes(op, r, &mut row)?;
            } else {
                *slot = XenNumaNodePages::default();
            }
            if let (Some(slot), Some(c)) = (row.first_mut(), acc.get(n)) {
                *slot = slot.saturating_add(c);
            }
        }
        p.write_nodes(op, r, &row)?;
    }
    op.cursor.flags |= PARTIAL_IN_GUEST;
    Ok(())
}

/// The answer from the counters: one hold of `d->page_alloc_lock`.
fn from_counters<P: DomainPlatform>(
    p: &P,
    d: &P::Domain,
    op: &mut XenSysctlNumaGetdomnodestat,
    acc: &mut Counts,
) -> Result<(), Errno> {
    let counters = p.counters(d).ok_or(Errno::EOPNOTSUPP)?;
    let res = p.with_page_alloc_lock(d, || {
        if p.domain_dying(d) {
            return Err(Errno::ESRCH);
        }
        for (n, slot) in acc.iter_mut().enumerate() {
            if let Some(c) = counters.node(n) {
                *slot = c;
            }
        }
        Ok((p.domain_pages(d), counters.is_inconsistent()))
    });
    let ((tot, xenheap, extra), inconsistent) = res?;
    (op.tot_pages, op.xenheap_pages, op.extra_pages) = (tot, xenheap, extra);
    op.pieces = 1;
    op.source = XEN_NUMA_SRC_COUNTERS;
    if inconsistent {
        op.status |= XEN_NUMA_STATUS_INCONSISTENT;
    }
    Ok(())
}

/// Handles `XEN_SYSCTL_numa_getdomnodestat`. `op` was copied in by
/// do_sysctl(), which copies it back on every outcome (the cursor and
/// partial counts must reach the caller for a continuation, `nr_nodes` with
/// `-ENOBUFS`).
pub fn getdomnodestat<P: DomainPlatform>(
    p: &P,
    heap: &HeapCounters,
    op: &mut XenSysctlNumaGetdomnodestat,
    acc: &mut Counts,
) -> Result<Outcome, Errno> {
    let req = validate(p, op)?;
    *acc = [XenNumaNodePages::default(); MAX_NUMNODES];
    if op.cursor.list == 0 {
        // A fresh call: nothing of an earlier one counts.
        op.cursor = XenNumaWalkCursor::default();
        (op.pieces, op.restarts, op.status) = (0, 0, 0);
    }
    op.source = 0;

    if op.domain == XEN_NUMA_DOMAIN_FREE {
        // The seed's "per-node free list": free pages of each node, in
        // page_list, read in one hold of heap_lock.
        p.with_heap_lock(|| {
            for (n, c) in acc.iter_mut().enumerate() {
                if p.node_online(n) {
                    c.page_list = heap.node_total(n);
                }
            }
        });
        op.cursor = XenNumaWalkCursor::default();
        (op.pieces, op.restarts) = (0, 0);
        (op.tot_pages, op.xenheap_pages, op.extra_pages) = (0, 0, 0);
        op.source = XEN_NUMA_SRC_FREE;
        flush(p, op, req, acc)?;
        op.cursor = XenNumaWalkCursor::default();
        return Ok(Outcome::Done);
    }

    let d = p.get_domain(op.domain)?;
    let res = if req.walk {
        walk(p, &d, op, acc)
    } else {
        from_counters(p, &d, op, acc).map(|()| Walked::Finished)
    };
    p.put_domain(d);
    let walked = res?;
    // Results go out after every lock is dropped.
    flush(p, op, req, acc)?;
    match walked {
        Walked::Finished => {
            op.cursor = XenNumaWalkCursor::default();
            if req.walk {
                op.source = XEN_NUMA_SRC_WALK;
            }
            Ok(Outcome::Done)
        }
        Walked::Paused => Ok(Outcome::Continue),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;
    use crate::walk::{MAX_RESTARTS, MAX_TOTAL_RESTARTS, WALK_PIECE};
    use xen_numastat_abi::{NumaList, XEN_NUMA_GDNS_WALK};

    const D: u32 = Model::DOMID;

    fn op(domain: u32, node: i32, nodes: bool, walk: bool) -> XenSysctlNumaGetdomnodestat {
        XenSysctlNumaGetdomnodestat {
            domain,
            node,
            nodes: if nodes { 0x1000 } else { 0 },
            nr_nodes: if nodes { 64 } else { 0 },
            flags: if walk { XEN_NUMA_GDNS_WALK } else { 0 },
            ..Default::default()
        }
    }

    /// Calls the op the way the guest kernel does: again, with the struct
    /// as copied back, while it asks for a continuation. `between` runs
    /// before each continuation (another vCPU's work, or a hostile caller
    /// editing the struct).
    fn call_with(
        m: &Model,
        o: &mut XenSysctlNumaGetdomnodestat,
        mut between: impl FnMut(u32, &mut XenSysctlNumaGetdomnodestat),
    ) -> (Result<Outcome, Errno>, u32) {
        let heap = HeapCounters::new();
        let mut acc = [XenNumaNodePages::default(); MAX_NUMNODES];
        let mut continuations = 0;
        loop {
            match getdomnodestat(m, &heap, o, &mut acc) {
                Ok(Outcome::Continue) => {
                    continuations += 1;
                    between(continuations, o);
                }
                r => return (r, continuations),
            }
        }
    }

    fn call(m: &Model, o: &mut XenSysctlNumaGetdomnodestat) -> (Result<Outcome, Errno>, u32) {
        call_with(m, o, |_, _| {})
    }

    /// 3 pieces and a bit of page_list over nodes 0 and 2, extra and
    /// xenheap pages.
    fn big_domain() -> &'static Model {
        let m = Model::leak(&[0, 2]);
        for i in 0..(3 * WALK_PIECE as usize + 17) {
            m.assign([0, 2, 2][i % 3], NumaList::Page, 1);
        }
        m.assign(2, NumaList::Extra, 3);
        m.assign(0, NumaList::XenPage, 5);
        m
    }

    fn assert_exact(m: &Model, o: &XenSysctlNumaGetdomnodestat) {
        let g = m.guest.borrow();
        for n in [0, 2] {
            assert_eq!(g[n], m.truth(n), "node {n}");
        }
        assert_eq!(g[1], XenNumaNodePages::OFFLINE, "node 1 is offline");
        assert_eq!(o.total.page_list, m.list(NumaList::Page).len() as u64);
    }

    #[test]
    fn counters_answer_in_one_hold_without_visiting_a_page() {
        let m = big_domain();
        let mut o = op(D, -1, true, false);
        assert_eq!(call(m, &mut o), (Ok(Outcome::Done), 0));
        assert_exact(m, &o);
        assert_eq!((o.pieces, m.holds.get()), (1, 1));
        assert_eq!(m.max_visits_per_hold.get(), 0, "no page visited");
        assert_eq!(o.source, XEN_NUMA_SRC_COUNTERS);
        assert_eq!(o.status, 0);
        assert_eq!(o.nr_nodes, 3);
        assert_eq!((o.total.extra_page_list, o.total.xenpage_list), (3, 5));
        assert_eq!(m.refs.get(), 0);
    }

    #[test]
    fn walk_counts_every_list_per_node_in_bounded_pieces() {
        let m = big_domain();
        let mut o = op(D, -1, true, true);
        assert_eq!(call(m, &mut o), (Ok(Outcome::Done), 0));
        assert_exact(m, &o);
        assert_eq!(o.source, XEN_NUMA_SRC_WALK);
        assert_eq!(o.pieces, 4);
        assert!(m.max_visits_per_hold.get() <= WALK_PIECE);
        assert_eq!((o.restarts, m.refs.get()), (0, 0));
        assert_eq!(o.cursor, XenNumaWalkCursor::default());
    }

    #[test]
    fn walk_continuations_give_the_same_answer_as_an_unbroken_walk() {
        let m = big_domain();
        m.preempt.set(true);
        let mut o = op(D, -1, true, true);
        let (r, continuations) = call(m, &mut o);
        assert_eq!((r, continuations), (Ok(Outcome::Done), 3));
        assert_exact(m, &o);
        assert_eq!(o.restarts, 0);
    }

    #[test]
    fn single_node_form_filters_the_total() {
        let m = big_domain();
        for walk in [false, true] {
            let mut o = op(D, 2, false, walk);
            assert_eq!(call(m, &mut o).0, Ok(Outcome::Done));
            assert_eq!(o.total, m.truth(2));
        }
    }

    /// Review finding 1: a page freed by another vCPU between two pieces is
    /// unlinked, but still owned by the domain and of the list's kind, and
    /// its links are stale. A walk paused on it must not resume there.
    #[test]
    fn a_page_freed_at_the_cursor_is_never_followed() {
        let m = big_domain();
        m.preempt.set(true);
        let mut o = op(D, -1, true, true);
        let (r, _) = call_with(m, &mut o, |n, _| {
            if n == 1 {
                // The first piece stopped after WALK_PIECE pages: free the
                // last page counted and the next one, and a neighbour, with
                // owners not yet cleared (free_heap_pages() runs later).
                let l = m.list(NumaList::Page);
                let i = WALK_PIECE as usize;
                for mfn in [l[i - 1], l[i], l[i + 1]] {
                    m.free(mfn);
                }
            }
        });
        assert_eq!(r, Ok(Outcome::Done));
        assert_eq!(o.restarts, 1);
        assert_exact(m, &o);
    }

    #[test]
    fn a_page_freed_anywhere_between_pieces_restarts_the_walk() {
        let m = big_domain();
        m.preempt.set(true);
        let mut o = op(D, -1, true, true);
        let (r, _) = call_with(m, &mut o, |n, _| {
            if n == 2 {
                let first = m.list(NumaList::Page)[0];
                m.free(first);
                m.clear_owner(first);
            }
        });
        assert_eq!(r, Ok(Outcome::Done));
        assert_eq!(o.restarts, 1);
        assert_exact(m, &o);
    }

    /// Review finding 2: relinquish_memory() moves pages to relmem_list
    /// with the owner unchanged; `is_dying` is set first and checked in
    /// every piece, so the walk stops with -ESRCH instead of following.
    #[test]
    fn a_domain_dying_between_pieces_ends_the_walk_with_esrch() {
        let m = big_domain();
        m.preempt.set(true);
        let mut o = op(D, -1, true, true);
        let (r, _) = call_with(m, &mut o, |n, _| {
            if n == 1 {
                m.relinquish(2 * WALK_PIECE as usize);
            }
        });
        assert_eq!(r, Err(Errno::ESRCH));
        assert_eq!(m.refs.get(), 0);
        assert!(!m.locked.get());
    }

    #[test]
    fn a_domain_dying_between_two_pieces_of_one_invocation_is_seen() {
        let m = big_domain();
        // Before the second hold of the lock, within one hypercall.
        m.before_hold
            .borrow_mut()
            .push((2, Box::new(|m: &Model| m.relinquish(10))));
        let mut o = op(D, -1, false, true);
        assert_eq!(call(m, &mut o).0, Err(Errno::ESRCH));
        assert_eq!(m.refs.get(), 0);
    }

    /// A caller that writes the cursor itself gets a fresh walk, never a
    /// resume at a position it chose.
    #[test]
    fn a_forged_or_replayed_cursor_is_never_followed() {
        let m = big_domain();
        m.preempt.set(true);
        let mut o = op(D, -1, true, true);
        let mut saved = None;
        let (r, _) = call_with(m, &mut o, |n, o| match n {
            1 => saved = Some(o.cursor),
            2 => {
                // Replay the first token after it was used, with pages
                // freed (and still owned) at its position.
                let l = m.list(NumaList::Page);
                m.free(l[WALK_PIECE as usize]);
                o.cursor = saved.take().unwrap_or_default();
            }
            3 => o.cursor.token ^= 0x5a5a, // forged
            _ => {}
        });
        assert_eq!(r, Ok(Outcome::Done));
        assert!(o.restarts >= 2, "{}", o.restarts);
        assert_exact(m, &o);
    }

    #[test]
    fn pages_added_at_the_tail_between_pieces_need_no_restart() {
        let m = big_domain();
        m.preempt.set(true);
        let mut o = op(D, -1, false, true);
        let (r, _) = call_with(m, &mut o, |n, _| {
            if n == 1 {
                m.assign(0, NumaList::Page, 512);
            }
        });
        assert_eq!(r, Ok(Outcome::Done));
        assert_eq!(o.restarts, 0);
        assert_eq!(o.total.page_list, o.tot_pages);
    }

    #[test]
    fn a_domain_that_keeps_losing_pages_gets_ebusy_and_is_released() {
        let m = big_domain();
        // Before every hold from the second on, free a page.
        for h in 2..(4 * MAX_RESTARTS + 8) {
            m.before_hold.borrow_mut().push((
                h,
                Box::new(|m: &Model| {
                    let l = m.list(NumaList::Page);
                    m.free(l[l.len() / 2]);
                }),
            ));
        }
        let mut o = op(D, -1, false, true);
        assert_eq!(call(m, &mut o).0, Err(Errno::EBUSY));
        assert_eq!(o.restarts, MAX_RESTARTS + 1);
        assert_eq!(m.refs.get(), 0, "domain reference dropped");
        assert!(!m.locked.get());
        // The counters answer all the same.
        let mut o = op(D, -1, true, false);
        assert_eq!(call(m, &mut o).0, Ok(Outcome::Done));
        assert_exact(m, &o);
    }

    /// Each continuation starts its own count of restarts; the call's total
    /// is bounded too, so a walk that keeps losing pages to a balloon
    /// driver ends with -EBUSY instead of being continued without end.
    #[test]
    fn restarts_across_continuations_are_bounded_in_all() {
        let m = big_domain();
        m.preempt.set(true);
        let mut o = op(D, -1, false, true);
        let mut rounds = 0u32;
        let (r, _) = call_with(m, &mut o, |_, _| {
            // Between continuations, another vCPU frees a page: the next
            // piece restarts, and the walk is preempted again after it.
            rounds += 1;
            let l = m.list(NumaList::Page);
            m.free(l[l.len() / 2]);
        });
        assert_eq!(r, Err(Errno::EBUSY));
        assert_eq!(o.restarts, MAX_TOTAL_RESTARTS + 1);
        assert!(
            rounds > MAX_RESTARTS,
            "the per-invocation limit alone never fired"
        );
        assert_eq!(m.refs.get(), 0);
        assert!(!m.locked.get());
    }

    #[test]
    fn inconsistent_counters_are_reported_and_the_walk_still_works() {
        let m = big_domain();
        assert_ne!(
            m.counters.adjust(0, NumaList::Page as u32, -1_000_000),
            crate::counters::Adjusted::Applied
        );
        let mut o = op(D, -1, true, false);
        assert_eq!(call(m, &mut o).0, Ok(Outcome::Done));
        assert_eq!(o.status, XEN_NUMA_STATUS_INCONSISTENT);
        let mut o = op(D, -1, true, true);
        assert_eq!(call(m, &mut o).0, Ok(Outcome::Done));
        assert_exact(m, &o);
    }

    #[test]
    fn rejects_bad_input_before_any_lookup_or_lock() {
        let m = big_domain();
        let holds = m.holds.get();
        let cases = [
            (op(D, 1, false, false), Errno::EINVAL),  // offline node
            (op(D, 64, false, false), Errno::EINVAL), // out of range
            (op(D, 255, false, false), Errno::EINVAL),
            (op(D, -2, false, false), Errno::EINVAL), // negative
            (op(D, i32::MIN, false, false), Errno::EINVAL),
            (op(0x7ff0, 0, false, false), Errno::ESRCH), // DOMID_SELF
            (op(0x7ff2, 0, false, false), Errno::ESRCH), // DOMID_XEN
            (op(0x7fff, 0, false, false), Errno::ESRCH), // DOMID_IDLE
            (op(0xffff, 0, false, false), Errno::ESRCH),
            (op(6, -1, false, false), Errno::ESRCH), // no such domain
        ];
        for (mut o, want) in cases {
            assert_eq!(call(m, &mut o).0, Err(want), "{o:?}");
        }
        let mut o = op(D, -1, false, false);
        o.flags = 2;
        assert_eq!(call(m, &mut o).0, Err(Errno::EINVAL));
        let mut o = op(D, -1, false, true);
        o.cursor.list = 4;
        assert_eq!(call(m, &mut o).0, Err(Errno::EINVAL));
        let mut o = op(D, -1, false, true);
        o.cursor.reserved = 1;
        assert_eq!(call(m, &mut o).0, Err(Errno::EINVAL));
        let mut o = op(D, -1, false, false);
        o.cursor.token = 1;
        assert_eq!(call(m, &mut o).0, Err(Errno::EINVAL), "cursor without walk");
        let mut o = op(D, -1, true, false);
        o.nr_nodes = 2;
        assert_eq!(call(m, &mut o).0, Err(Errno::ENOBUFS));
        assert_eq!(o.nr_nodes, 3);
        assert_eq!(m.holds.get(), holds, "no lock taken");
        assert_eq!(m.refs.get(), 0);
        let mut o = op(D, -1, false, false);
        assert_eq!(call(m, &mut o).0, Ok(Outcome::Done));
    }

    #[test]
    fn a_domain_xsm_hides_gets_eperm_in_both_modes_after_the_checks() {
        let m = big_domain();
        m.xsm_denies.set(true);
        for walk in [false, true] {
            let mut o = op(D, -1, true, walk);
            assert_eq!(call(m, &mut o).0, Err(Errno::EPERM));
            assert_eq!(o.nr_nodes, 3, "argument checks ran first");
            let mut o = op(D, 64, true, walk);
            assert_eq!(call(m, &mut o).0, Err(Errno::EINVAL), "bad input first");
        }
        assert_eq!(m.refs.get(), 0);
        assert!(!m.locked.get());
        // The free pages need no domain: XSM's xen:heap (do_sysctl) only.
        let mut o = op(XEN_NUMA_DOMAIN_FREE, -1, true, false);
        assert_eq!(call(m, &mut o).0, Ok(Outcome::Done));
    }

    #[test]
    fn free_pages_per_node_for_the_seed_wildcard_domain() {
        let m = big_domain();
        let heap = HeapCounters::new();
        for n in [0, 2] {
            assert!(heap.init_node(n));
            assert!(heap.add(n, 19, 100 + n as u64));
            assert!(heap.add(n, 0, 1));
        }
        let holds = m.holds.get();
        let mut o = op(XEN_NUMA_DOMAIN_FREE, -1, true, false);
        let mut acc = [XenNumaNodePages::default(); MAX_NUMNODES];
        assert_eq!(
            getdomnodestat(m, &heap, &mut o, &mut acc),
            Ok(Outcome::Done)
        );
        let g = m.guest.borrow();
        assert_eq!((g[0].page_list, g[2].page_list), (101, 103));
        assert_eq!(o.total.page_list, 204);
        assert_eq!(o.source, XEN_NUMA_SRC_FREE);
        assert_eq!(m.holds.get(), holds, "no domain lock");
    }

    /// A seeded random sequence of assign / free / relinquish-free moves,
    /// with walks interleaved piece by piece: counters == walk == the
    /// model's truth after every step.
    #[test]
    fn random_sequences_keep_counters_equal_to_the_walk() {
        let seed: u64 = std::env::var("NUMASTAT_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x2006_0606);
        println!("seed {seed:#x}");
        let mut x = seed | 1;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let m = Model::leak(&[0, 1, 3]);
        let nodes = [0usize, 1, 3];
        for step in 0..3000 {
            let live = m.list(NumaList::Page);
            match rnd() % 4 {
                0 | 1 => {
                    let order = [0u32, 0, 1, 9][(rnd() % 4) as usize];
                    m.assign(nodes[(rnd() % 3) as usize], NumaList::Page, 1 << order);
                }
                2 if !live.is_empty() => {
                    let mfn = live[(rnd() % live.len() as u64) as usize];
                    m.free(mfn);
                    if rnd() % 2 == 0 {
                        m.clear_owner(mfn);
                    }
                }
                _ => {
                    m.assign(nodes[(rnd() % 3) as usize], NumaList::XenPage, 1);
                }
            }
            if step % 100 == 0 {
                let mut w = op(D, -1, true, true);
                m.preempt.set(step % 200 == 0);
                assert_eq!(call(m, &mut w).0, Ok(Outcome::Done), "step {step}");
                let walked: Vec<_> = m.guest.borrow().clone();
                let mut c = op(D, -1, true, false);
                assert_eq!(call(m, &mut c).0, Ok(Outcome::Done));
                let counted = m.guest.borrow().clone();
                for &n in &nodes {
                    assert_eq!(walked[n], m.truth(n), "walk, step {step} node {n}");
                    assert_eq!(counted[n], m.truth(n), "counters, step {step} node {n}");
                }
            }
        }
    }
}
