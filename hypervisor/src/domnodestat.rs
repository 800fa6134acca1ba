// SPDX-License-Identifier: GPL-2.0-only
//! `XEN_SYSCTL_numa_getdomnodestat`: how many of a domain's pages sit on each
//! NUMA node (the 2006 patch's getdomnodestat), found by walking the
//! domain's `page_list`, `extra_page_list` and `xenpage_list` under
//! `d->page_alloc_lock`. One walk answers every node.
//!
//! Bounded: the lock is held for at most [`WALK_PIECE`] page visits. Between
//! pieces the walk keeps a cursor (the MFNs of the last page counted and of
//! the next one); when Xen wants the CPU back (`hypercall_preempt_check()`)
//! the partial counts go to the caller's buffers and the hypercall is
//! continued, with the cursor in the caller's struct. Locking, order of
//! checks and the consistency guarantee: docs/abi.md.

use crate::errno::Errno;
use crate::heap::HeapCounters;
use crate::nospec::index_nospec;
use xen_numastat_abi::{
    XenNumaNodePages, XenNumaWalkCursor, XenSysctlNumaGetdomnodestat, DOMID_FIRST_RESERVED,
    MAX_NUMNODES, XEN_NUMA_ANY, XEN_NUMA_DOMAIN_FREE, XEN_NUMA_NODE_OFFLINE,
};

/// Page visits per hold of `d->page_alloc_lock` (16 MiB of guest memory).
pub const WALK_PIECE: u32 = 4096;

/// Walks restarted within one hypercall before giving up with `-EBUSY`: a
/// domain whose lists change at the cursor this often is being built,
/// ballooned or destroyed right now; the caller may ask again.
pub const MAX_RESTARTS: u32 = 16;

/// The three lists, in walk order; the values are `XenNumaWalkCursor::list`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum List {
    Page = 1,
    Extra = 2,
    XenPage = 3,
}

impl List {
    fn from_u32(v: u32) -> Option<List> {
        match v {
            1 => Some(List::Page),
            2 => Some(List::Extra),
            3 => Some(List::XenPage),
            _ => None,
        }
    }
    fn next(self) -> Option<List> {
        match self {
            List::Page => Some(List::Extra),
            List::Extra => Some(List::XenPage),
            List::XenPage => None,
        }
    }
}

/// `last_mfn` of a cursor at the head of its list.
const AT_HEAD: u64 = !0;
/// `XenNumaWalkCursor::flags`: earlier pieces' counts are in the caller's
/// `nodes` buffer and `total`, and this call adds to them.
const PARTIAL_IN_GUEST: u32 = 1;

/// What the walk needs from Xen; host tests stand in for it. Generic on
/// purpose: no indirect calls reach the linked code.
pub trait DomainPlatform {
    /// A domain reference (`rcu_lock_domain_by_id()`).
    type Domain;
    /// A `struct page_info *`.
    type Page: Copy + PartialEq;

    fn node_online(&self, node: usize) -> bool;
    /// Runs `f` with `heap_lock` held.
    fn with_heap_lock<R>(&self, f: impl FnOnce() -> R) -> R;
    /// The live domain with this id, referenced; `None` if there is none or
    /// it is dying.
    fn get_domain(&self, domid: u32) -> Option<Self::Domain>;
    /// Drops the reference `get_domain()` took.
    fn put_domain(&self, d: Self::Domain);
    /// Runs `f` with `d->page_alloc_lock` held.
    fn with_page_alloc_lock<R>(&self, d: &Self::Domain, f: impl FnOnce() -> R) -> R;
    /// `page_list_first()` of a list. Lock held.
    fn first(&self, d: &Self::Domain, list: List) -> Option<Self::Page>;
    /// `page_list_next()`. Lock held.
    fn next(&self, d: &Self::Domain, list: List, pg: Self::Page) -> Option<Self::Page>;
    /// `page_to_nid()`.
    fn node_of(&self, pg: Self::Page) -> usize;
    /// `mfn_x(page_to_mfn())`.
    fn mfn_of(&self, pg: Self::Page) -> u64;
    /// The page at `mfn` if it is valid, owned by `d` and on `list`. Lock held.
    fn page_on_list(&self, d: &Self::Domain, list: List, mfn: u64) -> Option<Self::Page>;
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

#[derive(Clone, Copy, Debug)]
struct Req {
    /// `Some(n)` for one node.
    node: Option<usize>,
    /// Entries of `nodes` we write (0 when the caller passed none).
    rows: usize,
}

fn validate<P: DomainPlatform>(p: &P, op: &mut XenSysctlNumaGetdomnodestat) -> Result<Req, Errno> {
    if op.pad != 0 || List::from_u32(op.cursor.list).is_none() && op.cursor.list != 0 {
        return Err(Errno::EINVAL);
    }
    let node = if op.node == XEN_NUMA_ANY {
        None
    } else {
        match usize::try_from(op.node) {
            Ok(n) if n < MAX_NUMNODES && p.node_online(index_nospec(n, MAX_NUMNODES)) => {
                Some(index_nospec(n, MAX_NUMNODES))
            }
            _ => return Err(Errno::EINVAL),
        }
    };
    let rows = match (op.nodes, node) {
        (0, _) => 0,
        (_, Some(_)) => 1,
        // Entries run up to the highest online node id.
        (_, None) => (0..MAX_NUMNODES)
            .rev()
            .find(|&n| p.node_online(n))
            .map_or(0, |n| n.saturating_add(1)),
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
    Ok(Req { node, rows })
}

fn field(c: &mut XenNumaNodePages, list: List) -> &mut u64 {
    match list {
        List::Page => &mut c.page_list,
        List::Extra => &mut c.extra_page_list,
        List::XenPage => &mut c.xenpage_list,
    }
}

fn add(a: &mut XenNumaNodePages, b: &XenNumaNodePages) {
    a.page_list = a.page_list.wrapping_add(b.page_list);
    a.extra_page_list = a.extra_page_list.wrapping_add(b.extra_page_list);
    a.xenpage_list = a.xenpage_list.wrapping_add(b.xenpage_list);
}

const OFFLINE: XenNumaNodePages = XenNumaNodePages {
    page_list: XEN_NUMA_NODE_OFFLINE,
    extra_page_list: XEN_NUMA_NODE_OFFLINE,
    xenpage_list: XEN_NUMA_NODE_OFFLINE,
};

/// Writes this invocation's counts out: into `op.total` (the requested
/// node(s)) and, when the caller passed one, its `nodes` buffer, adding to
/// what earlier pieces left there if `op.cursor.flags` says so.
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
            add(&mut op.total, c);
        }
    }
    let first = req.node.unwrap_or(0);
    let mut row = [XenNumaNodePages::default(); 1];
    for r in 0..req.rows {
        let n = first.saturating_add(r);
        let Some(slot) = row.first_mut() else { break };
        if !p.node_online(n) {
            *slot = OFFLINE;
        } else {
            if partial {
                p.read_nodes(op, r, &mut row)?;
            } else {
                *slot = XenNumaNodePages::default();
            }
            if let (Some(slot), Some(c)) = (row.first_mut(), acc.get(n)) {
                add(slot, c);
            }
        }
        p.write_nodes(op, r, &row)?;
    }
    op.cursor.flags |= PARTIAL_IN_GUEST;
    Ok(())
}

/// The walk of one invocation: returns whether it finished.
fn walk<P: DomainPlatform>(
    p: &P,
    d: &P::Domain,
    op: &mut XenSysctlNumaGetdomnodestat,
    acc: &mut Counts,
) -> Result<bool, Errno> {
    let mut restarts_here = 0u32;
    loop {
        // One piece: at most WALK_PIECE visits under the lock.
        let step = p.with_page_alloc_lock(d, || {
            let c = op.cursor;
            // Where to start: the head of page_list, or the cursor if the
            // page it names still follows the last page counted.
            let resume = match List::from_u32(c.list) {
                None => Some((List::Page, p.first(d, List::Page))),
                Some(list) => {
                    let next = p.page_on_list(d, list, c.next_mfn);
                    let follows = if c.last_mfn == AT_HEAD {
                        next.is_some() && next == p.first(d, list)
                    } else {
                        p.page_on_list(d, list, c.last_mfn)
                            .is_some_and(|last| next.is_some() && p.next(d, list, last) == next)
                    };
                    follows.then_some((list, next))
                }
            };
            let Some((mut list, mut pg)) = resume else {
                return Step::Restart;
            };
            let mut last: Option<P::Page> = None;
            let mut budget = WALK_PIECE;
            loop {
                match pg {
                    Some(page) if budget > 0 => {
                        if let Some(cnt) = acc.get_mut(p.node_of(page)) {
                            let f = field(cnt, list);
                            *f = f.wrapping_add(1);
                        }
                        budget = budget.saturating_sub(1);
                        last = Some(page);
                        pg = p.next(d, list, page);
                    }
                    Some(page) => {
                        // Out of budget: remember where we are.
                        op.cursor.list = list as u32;
                        op.cursor.last_mfn = last.map_or(AT_HEAD, |l| p.mfn_of(l));
                        op.cursor.next_mfn = p.mfn_of(page);
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
                            return Step::Finished;
                        }
                    },
                }
            }
        });
        op.pieces = op.pieces.saturating_add(1);
        match step {
            Step::Finished => return Ok(true),
            Step::Paused => {
                if p.preempt_check() {
                    return Ok(false);
                }
            }
            Step::Restart => {
                // The lists changed where we had stopped: count again from
                // the start, dropping what this and earlier invocations had.
                restarts_here = restarts_here.saturating_add(1);
                op.restarts = op.restarts.saturating_add(1);
                if restarts_here > MAX_RESTARTS {
                    return Err(Errno::EBUSY);
                }
                *acc = [XenNumaNodePages::default(); MAX_NUMNODES];
                op.cursor = XenNumaWalkCursor::default();
                op.total = XenNumaNodePages::default();
            }
        }
    }
}

enum Step {
    Finished,
    Paused,
    Restart,
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
        flush(p, op, req, acc)?;
        op.cursor = XenNumaWalkCursor::default();
        return Ok(Outcome::Done);
    }

    if op.cursor.list == 0 {
        // A fresh call: nothing of an earlier one counts.
        op.cursor = XenNumaWalkCursor::default();
        (op.pieces, op.restarts) = (0, 0);
    }
    let Some(d) = p.get_domain(op.domain) else {
        return Err(Errno::ESRCH);
    };
    let res = walk(p, &d, op, acc);
    p.put_domain(d);
    let finished = res?;
    // Results go out after every lock is dropped.
    flush(p, op, req, acc)?;
    if finished {
        op.cursor = XenNumaWalkCursor::default();
        Ok(Outcome::Done)
    } else {
        Ok(Outcome::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};

    type Lists = [Vec<(u64, usize)>; 3];
    type Mutation = (u32, u32, fn(&mut Lists));

    /// A domain's three lists as (mfn, node) pairs, and a hook that may
    /// change them before a given hold of the lock.
    struct FakeXen {
        online: Vec<usize>,
        lists: RefCell<[Vec<(u64, usize)>; 3]>,
        domid: u32,
        locked: Cell<bool>,
        holds: Cell<u32>,
        max_visits_per_hold: Cell<u32>,
        visits: Cell<u32>,
        preempt: bool,
        refs: Cell<i32>,
        guest: RefCell<Vec<XenNumaNodePages>>,
        /// Before holds `from..=until`, change the lists.
        mutate_before_hold: Cell<Option<Mutation>>,
    }

    impl FakeXen {
        fn new(online: &[usize], lists: [Vec<(u64, usize)>; 3]) -> Self {
            FakeXen {
                online: online.to_vec(),
                lists: RefCell::new(lists),
                domid: 5,
                locked: Cell::new(false),
                holds: Cell::new(0),
                max_visits_per_hold: Cell::new(0),
                visits: Cell::new(0),
                preempt: false,
                refs: Cell::new(0),
                guest: RefCell::new(vec![XenNumaNodePages::default(); MAX_NUMNODES]),
                mutate_before_hold: Cell::new(None),
            }
        }
        fn idx(l: List) -> usize {
            l as usize - 1
        }
    }

    impl DomainPlatform for FakeXen {
        type Domain = u32;
        type Page = (usize, u64); // (list index, mfn)

        fn node_online(&self, node: usize) -> bool {
            self.online.contains(&node)
        }
        fn with_heap_lock<R>(&self, f: impl FnOnce() -> R) -> R {
            f()
        }
        fn get_domain(&self, domid: u32) -> Option<u32> {
            assert!(!self.locked.get());
            (domid == self.domid).then(|| {
                self.refs.set(self.refs.get() + 1);
                domid
            })
        }
        fn put_domain(&self, _d: u32) {
            self.refs.set(self.refs.get() - 1);
        }
        fn with_page_alloc_lock<R>(&self, _d: &u32, f: impl FnOnce() -> R) -> R {
            assert!(!self.locked.get(), "page_alloc_lock taken twice");
            self.holds.set(self.holds.get() + 1);
            if let Some((from, until, m)) = self.mutate_before_hold.get() {
                if (from..=until).contains(&self.holds.get()) {
                    m(&mut self.lists.borrow_mut());
                }
            }
            self.locked.set(true);
            self.visits.set(0);
            let r = f();
            self.locked.set(false);
            let v = self.visits.get();
            self.max_visits_per_hold
                .set(self.max_visits_per_hold.get().max(v));
            r
        }
        fn first(&self, _d: &u32, list: List) -> Option<(usize, u64)> {
            assert!(self.locked.get());
            let l = Self::idx(list);
            self.lists.borrow()[l].first().map(|&(m, _)| (l, m))
        }
        fn next(&self, _d: &u32, list: List, pg: (usize, u64)) -> Option<(usize, u64)> {
            assert!(self.locked.get());
            let l = Self::idx(list);
            let v = &self.lists.borrow()[l];
            let i = v.iter().position(|&(m, _)| m == pg.1)?;
            v.get(i + 1).map(|&(m, _)| (l, m))
        }
        fn node_of(&self, pg: (usize, u64)) -> usize {
            // One call per page counted.
            self.visits.set(self.visits.get() + 1);
            self.lists.borrow()[pg.0]
                .iter()
                .find(|&&(m, _)| m == pg.1)
                .map_or(999, |&(_, n)| n)
        }
        fn mfn_of(&self, pg: (usize, u64)) -> u64 {
            pg.1
        }
        fn page_on_list(&self, _d: &u32, list: List, mfn: u64) -> Option<(usize, u64)> {
            assert!(self.locked.get());
            let l = Self::idx(list);
            self.lists.borrow()[l]
                .iter()
                .any(|&(m, _)| m == mfn)
                .then_some((l, mfn))
        }
        fn domain_pages(&self, _d: &u32) -> (u64, u64, u64) {
            let l = self.lists.borrow();
            (l[0].len() as u64, l[2].len() as u64, l[1].len() as u64)
        }
        fn preempt_check(&self) -> bool {
            assert!(!self.locked.get());
            self.preempt
        }
        fn read_nodes(
            &self,
            _op: &XenSysctlNumaGetdomnodestat,
            first: usize,
            out: &mut [XenNumaNodePages],
        ) -> Result<(), Errno> {
            assert!(!self.locked.get(), "guest copy under page_alloc_lock");
            out.copy_from_slice(&self.guest.borrow()[first..first + out.len()]);
            Ok(())
        }
        fn write_nodes(
            &self,
            _op: &XenSysctlNumaGetdomnodestat,
            first: usize,
            src: &[XenNumaNodePages],
        ) -> Result<(), Errno> {
            assert!(!self.locked.get(), "guest copy under page_alloc_lock");
            self.guest.borrow_mut()[first..first + src.len()].copy_from_slice(src);
            Ok(())
        }
    }

    /// `n` pages spread over nodes by the pattern, MFNs from `base`.
    fn pages(base: u64, nodes: &[usize], n: usize) -> Vec<(u64, usize)> {
        (0..n)
            .map(|i| (base + i as u64, nodes[i % nodes.len()]))
            .collect()
    }

    fn expected(lists: &[Vec<(u64, usize)>; 3], node: usize) -> XenNumaNodePages {
        let c = |l: &Vec<(u64, usize)>| l.iter().filter(|&&(_, n)| n == node).count() as u64;
        XenNumaNodePages {
            page_list: c(&lists[0]),
            extra_page_list: c(&lists[1]),
            xenpage_list: c(&lists[2]),
        }
    }

    fn op(domain: u32, node: i32, nodes: bool) -> XenSysctlNumaGetdomnodestat {
        XenSysctlNumaGetdomnodestat {
            domain,
            node,
            nodes: if nodes { 0x1000 } else { 0 },
            nr_nodes: if nodes { 64 } else { 0 },
            ..Default::default()
        }
    }

    /// Calls the op the way the guest kernel does: again, with the struct
    /// as copied back, while it asks for a continuation.
    fn call(x: &FakeXen, o: &mut XenSysctlNumaGetdomnodestat) -> (Result<Outcome, Errno>, u32) {
        let heap = HeapCounters::new();
        let mut acc = [XenNumaNodePages::default(); MAX_NUMNODES];
        let mut continuations = 0;
        loop {
            match getdomnodestat(x, &heap, o, &mut acc) {
                Ok(Outcome::Continue) => continuations += 1,
                r => return (r, continuations),
            }
        }
    }

    fn big_domain() -> [Vec<(u64, usize)>; 3] {
        [
            pages(1000, &[0, 2, 2], 3 * WALK_PIECE as usize + 17),
            pages(900_000, &[2], 3),
            pages(50, &[0], 5),
        ]
    }

    #[test]
    fn one_walk_counts_every_list_per_node_in_bounded_pieces() {
        let lists = big_domain();
        let x = FakeXen::new(&[0, 2], lists.clone());
        let mut o = op(5, -1, true);
        assert_eq!(call(&x, &mut o), (Ok(Outcome::Done), 0));
        let g = x.guest.borrow();
        assert_eq!(g[0], expected(&lists, 0));
        assert_eq!(g[2], expected(&lists, 2));
        assert_eq!(g[1], OFFLINE, "node 1 is offline");
        assert_eq!(o.nr_nodes, 3);
        assert_eq!(o.total.page_list, lists[0].len() as u64);
        assert_eq!((o.total.extra_page_list, o.total.xenpage_list), (3, 5));
        assert_eq!(
            (o.tot_pages, o.xenheap_pages, o.extra_pages),
            (lists[0].len() as u64, 5, 3)
        );
        assert_eq!(o.pieces, 4);
        assert_eq!(x.holds.get(), 4);
        assert!(
            x.max_visits_per_hold.get() <= WALK_PIECE,
            "{}",
            x.max_visits_per_hold.get()
        );
        assert_eq!(o.restarts, 0);
        assert_eq!(x.refs.get(), 0, "domain reference dropped");
        assert_eq!(o.cursor, XenNumaWalkCursor::default());
    }

    #[test]
    fn continuations_give_the_same_answer_as_an_unbroken_walk() {
        let lists = big_domain();
        let mut x = FakeXen::new(&[0, 2], lists.clone());
        x.preempt = true;
        let mut o = op(5, -1, true);
        let (r, continuations) = call(&x, &mut o);
        assert_eq!(r, Ok(Outcome::Done));
        assert_eq!(continuations, 3, "one per extra piece");
        assert_eq!(o.pieces, 4);
        let g = x.guest.borrow();
        assert_eq!((g[0], g[2]), (expected(&lists, 0), expected(&lists, 2)));
        assert_eq!(o.total.page_list, lists[0].len() as u64);
        assert_eq!(x.refs.get(), 0);
    }

    #[test]
    fn single_node_form_filters_the_total() {
        let lists = big_domain();
        let x = FakeXen::new(&[0, 2], lists.clone());
        let mut o = op(5, 2, false);
        assert_eq!(call(&x, &mut o).0, Ok(Outcome::Done));
        assert_eq!(o.total, expected(&lists, 2));
        let mut o = op(5, 0, true);
        o.nr_nodes = 1;
        assert_eq!(call(&x, &mut o).0, Ok(Outcome::Done));
        assert_eq!(x.guest.borrow()[0], expected(&lists, 0));
    }

    #[test]
    fn a_change_at_the_cursor_restarts_the_walk_and_still_counts_exactly() {
        let mut lists = big_domain();
        let x = FakeXen::new(&[0, 2], lists.clone());
        // Before the second hold: free the page the cursor points at.
        fn free_cursor_page(l: &mut [Vec<(u64, usize)>; 3]) {
            l[0].remove(WALK_PIECE as usize);
        }
        x.mutate_before_hold.set(Some((2, 2, free_cursor_page)));
        let mut o = op(5, -1, true);
        assert_eq!(call(&x, &mut o).0, Ok(Outcome::Done));
        free_cursor_page(&mut lists);
        assert_eq!(o.restarts, 1);
        let g = x.guest.borrow();
        assert_eq!(
            (g[0], g[2]),
            (expected(&lists, 0), expected(&lists, 2)),
            "counts the list as it is now"
        );
        assert_eq!(o.tot_pages, lists[0].len() as u64);
    }

    #[test]
    fn a_change_behind_the_cursor_keeps_going() {
        let x = FakeXen::new(&[0, 2], big_domain());
        // Pages added at the tail (where assign_pages() puts them) are met
        // later in the walk; no restart is needed.
        fn grow(l: &mut [Vec<(u64, usize)>; 3]) {
            l[0].push((5_000_000, 0));
        }
        x.mutate_before_hold.set(Some((2, 2, grow)));
        let mut o = op(5, -1, false);
        assert_eq!(call(&x, &mut o).0, Ok(Outcome::Done));
        assert_eq!(o.restarts, 0);
        assert_eq!(o.total.page_list, o.tot_pages);
    }

    #[test]
    fn rejects_bad_input_before_any_lookup_or_lock() {
        let x = FakeXen::new(&[0, 2], big_domain());
        let cases = [
            (op(5, 1, false), Errno::EINVAL),     // offline node
            (op(5, 64, false), Errno::EINVAL),    // out of range
            (op(5, -2, false), Errno::EINVAL),    // negative
            (op(0x7ff0, 0, false), Errno::ESRCH), // DOMID_SELF
            (op(0x7ff2, 0, false), Errno::ESRCH), // DOMID_XEN
            (op(0x7fff, 0, false), Errno::ESRCH), // DOMID_IDLE
            (op(6, -1, false), Errno::ESRCH),     // no such domain
        ];
        for (mut o, want) in cases {
            assert_eq!(call(&x, &mut o).0, Err(want), "{o:?}");
        }
        let mut o = op(5, -1, false);
        o.pad = 1;
        assert_eq!(call(&x, &mut o).0, Err(Errno::EINVAL));
        let mut o = op(5, -1, false);
        o.cursor.list = 4;
        assert_eq!(call(&x, &mut o).0, Err(Errno::EINVAL));
        let mut o = op(5, -1, true);
        o.nr_nodes = 2;
        assert_eq!(call(&x, &mut o).0, Err(Errno::ENOBUFS));
        assert_eq!(o.nr_nodes, 3);
        assert_eq!(x.holds.get(), 0, "no lock taken");
        assert_eq!(x.refs.get(), 0);
        // And the next valid call works.
        let mut o = op(5, -1, false);
        assert_eq!(call(&x, &mut o).0, Ok(Outcome::Done));
    }

    #[test]
    fn a_domain_that_keeps_changing_gets_ebusy_and_is_released() {
        let x = FakeXen::new(
            &[0],
            [pages(1, &[0], 2 * WALK_PIECE as usize), vec![], vec![]],
        );
        // Before every hold from the second on, free the page after the
        // first piece: the cursor's page is gone each time it resumes.
        fn churn(l: &mut [Vec<(u64, usize)>; 3]) {
            if l[0].len() > WALK_PIECE as usize {
                l[0].remove(WALK_PIECE as usize);
            }
        }
        x.mutate_before_hold.set(Some((2, u32::MAX, churn)));
        let mut o = op(5, -1, false);
        assert_eq!(call(&x, &mut o).0, Err(Errno::EBUSY));
        assert_eq!(o.restarts, MAX_RESTARTS + 1);
        assert_eq!(
            x.refs.get(),
            0,
            "domain reference dropped on the error path"
        );
        assert!(!x.locked.get());
    }

    #[test]
    fn free_pages_per_node_for_the_seed_wildcard_domain() {
        let x = FakeXen::new(&[0, 2], big_domain());
        let heap = HeapCounters::new();
        for n in [0, 2] {
            assert!(heap.init_node(n));
            assert!(heap.add(n, 19, 100 + n as u64));
            assert!(heap.add(n, 0, 1));
        }
        let mut o = op(XEN_NUMA_DOMAIN_FREE, -1, true);
        let mut acc = [XenNumaNodePages::default(); MAX_NUMNODES];
        assert_eq!(
            getdomnodestat(&x, &heap, &mut o, &mut acc),
            Ok(Outcome::Done)
        );
        let g = x.guest.borrow();
        assert_eq!((g[0].page_list, g[2].page_list), (101, 103));
        assert_eq!(o.total.page_list, 204);
        assert_eq!(x.holds.get(), 0, "no domain lock");
    }
}
