// SPDX-License-Identifier: GPL-2.0-only
//! A host model of Xen 4.17's page lists for one domain, with the awkward
//! parts kept (xen/include/xen/mm.h, xen/common/page_alloc.c):
//! - lists are intrusive and doubly linked through the pages themselves;
//!   `page_list_del()` fixes the neighbours and leaves the removed page's
//!   own links stale;
//! - `free_domheap_pages()` unlinks under `page_alloc_lock` and the owner is
//!   cleared later, in `free_heap_pages()` (here: [`Model::clear_owner`]);
//! - `relinquish_memory()` parks pages on `relmem_list` with the owner
//!   unchanged, once `is_dying` is set;
//! - the counters are updated at the hooks the patch series adds, as Xen
//!   does, so a walk sees the removal count move.
//!
//! `next()` asserts that the page it is asked about is linked on that list:
//! following a stale link fails the test, as it would corrupt a count or
//! fault in Xen. `intrusive-collections` does not fit here: its unlink
//! clears a node's links, which is exactly the behaviour of Xen it would
//! hide.

use crate::counters::DomainCounters;
use crate::errno::Errno;
use crate::platform::{DomainPlatform, HeapPlatform};
use std::cell::{Cell, RefCell};
use xen_numastat_abi::{
    NumaList, XenNumaNodePages, XenSysctlNumaAvailheap, XenSysctlNumaGetdomnodestat, MAX_NUMNODES,
};

/// Something another CPU does to the model.
pub type Mutation = Box<dyn Fn(&Model)>;

/// Where a page is linked, truly (the code under test never sees this).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum On {
    Nowhere,
    List(NumaList),
    Relmem,
}

#[derive(Clone, Debug)]
pub struct Page {
    pub node: usize,
    pub owner: Option<u32>,
    /// The list kind its flags map to (`page_to_list()`: PGC_extra, Xen heap).
    pub kind: NumaList,
    pub prev: Option<usize>,
    pub next: Option<usize>,
    pub on: On,
}

/// List heads: page_list, extra_page_list, xenpage_list, relmem_list.
#[derive(Clone, Copy, Debug, Default)]
struct Head {
    first: Option<usize>,
    last: Option<usize>,
}

/// One domain (id [`Model::DOMID`]) over a frame table of pages; MFN = index
/// + [`Model::BASE`].
pub struct Model {
    pub online: Vec<usize>,
    pub pages: RefCell<Vec<Page>>,
    heads: RefCell<[Head; 4]>,
    pub counters: DomainCounters,
    pub dying: Cell<bool>,
    pub exists: Cell<bool>,
    /// XSM refuses the caller this domain's info (FLASK policy).
    pub xsm_denies: Cell<bool>,
    pub locked: Cell<bool>,
    pub holds: Cell<u32>,
    pub visits: Cell<u32>,
    pub max_visits_per_hold: Cell<u32>,
    pub preempt: Cell<bool>,
    pub refs: Cell<i32>,
    pub guest: RefCell<Vec<XenNumaNodePages>>,
    /// Run before the given hold of `page_alloc_lock` (1-based), e.g. what
    /// another CPU does between two pieces.
    pub before_hold: RefCell<Vec<(u32, Mutation)>>,
}

impl Model {
    pub const DOMID: u32 = 5;
    pub const BASE: u64 = 0x1000;

    pub fn new(online: &[usize]) -> Model {
        Model {
            online: online.to_vec(),
            pages: RefCell::new(Vec::new()),
            heads: RefCell::new([Head::default(); 4]),
            counters: DomainCounters::new(),
            dying: Cell::new(false),
            exists: Cell::new(true),
            xsm_denies: Cell::new(false),
            locked: Cell::new(false),
            holds: Cell::new(0),
            visits: Cell::new(0),
            max_visits_per_hold: Cell::new(0),
            preempt: Cell::new(false),
            refs: Cell::new(0),
            guest: RefCell::new(vec![XenNumaNodePages::default(); MAX_NUMNODES]),
            before_hold: RefCell::new(Vec::new()),
        }
    }

    fn head_index(on: On) -> usize {
        match on {
            On::List(l) => l.index(),
            On::Relmem => 3,
            On::Nowhere => usize::MAX,
        }
    }

    fn link_tail(&self, i: usize, on: On) {
        let h = Self::head_index(on);
        let mut heads = self.heads.borrow_mut();
        let mut pages = self.pages.borrow_mut();
        let old_last = heads[h].last;
        pages[i].prev = old_last;
        pages[i].next = None;
        pages[i].on = on;
        match old_last {
            Some(l) => pages[l].next = Some(i),
            None => heads[h].first = Some(i),
        }
        heads[h].last = Some(i);
    }

    /// `page_list_del()`: neighbours fixed, the page's own links left stale.
    fn unlink(&self, i: usize) {
        let mut pages = self.pages.borrow_mut();
        let on = pages[i].on;
        assert_ne!(on, On::Nowhere, "unlink of an unlinked page");
        let h = Self::head_index(on);
        let mut heads = self.heads.borrow_mut();
        let (prev, next) = (pages[i].prev, pages[i].next);
        match prev {
            Some(p) => pages[p].next = next,
            None => heads[h].first = next,
        }
        match next {
            Some(n) => pages[n].prev = prev,
            None => heads[h].last = prev,
        }
        pages[i].on = On::Nowhere;
    }

    /// `alloc_domheap_pages()` + `assign_pages()`: `nr` new pages of one
    /// chunk on `node`, appended; the hook counts them once per chunk.
    pub fn assign(&self, node: usize, kind: NumaList, nr: usize) -> Vec<u64> {
        let mut mfns = Vec::new();
        for _ in 0..nr {
            let i = {
                let mut pages = self.pages.borrow_mut();
                pages.push(Page {
                    node,
                    owner: Some(Self::DOMID),
                    kind,
                    prev: None,
                    next: None,
                    on: On::Nowhere,
                });
                pages.len() - 1
            };
            self.link_tail(i, On::List(kind));
            mfns.push(i as u64 + Self::BASE);
        }
        let a = self.counters.adjust(node, kind as u32, nr as i64);
        assert_eq!(a, crate::counters::Adjusted::Applied);
        mfns
    }

    /// `free_domheap_pages()` of one page, first half: unlinked and counted
    /// out under the lock; the owner stays until [`Model::clear_owner`].
    pub fn free(&self, mfn: u64) {
        let i = (mfn - Self::BASE) as usize;
        let (node, kind) = {
            let p = &self.pages.borrow()[i];
            (p.node, p.kind)
        };
        self.unlink(i);
        let a = self.counters.adjust(node, kind as u32, -1);
        assert_eq!(a, crate::counters::Adjusted::Applied);
    }

    /// `free_heap_pages()`: the owner goes, later.
    pub fn clear_owner(&self, mfn: u64) {
        self.pages.borrow_mut()[(mfn - Self::BASE) as usize].owner = None;
    }

    /// `domain_kill()` + a step of `relinquish_memory()`: `is_dying` set,
    /// then the first `nr` pages of page_list parked on relmem_list, owner
    /// unchanged, no counter change.
    pub fn relinquish(&self, nr: usize) {
        self.dying.set(true);
        for _ in 0..nr {
            let Some(i) = self.heads.borrow()[0].first else {
                break;
            };
            self.unlink(i);
            self.link_tail(i, On::Relmem);
        }
    }

    /// MFNs of a list in order, following the links (the truth).
    pub fn list(&self, l: NumaList) -> Vec<u64> {
        let pages = self.pages.borrow();
        let mut out = Vec::new();
        let mut cur = self.heads.borrow()[l.index()].first;
        while let Some(i) = cur {
            out.push(i as u64 + Self::BASE);
            cur = pages[i].next;
        }
        out
    }

    /// What a correct answer is: linked pages per node and list.
    pub fn truth(&self, node: usize) -> XenNumaNodePages {
        let mut t = XenNumaNodePages::default();
        for l in NumaList::ALL {
            let pages = self.pages.borrow();
            let n = self
                .list(l)
                .iter()
                .filter(|&&m| pages[(m - Self::BASE) as usize].node == node)
                .count() as u64;
            *l.field(&mut t) = n;
        }
        t
    }

    fn page(&self, i: usize) -> Page {
        self.pages.borrow()[i].clone()
    }
}

impl HeapPlatform for Model {
    fn node_online(&self, node: usize) -> bool {
        self.online.contains(&node)
    }
    fn with_heap_lock<R>(&self, f: impl FnOnce() -> R) -> R {
        f()
    }
    fn copy_counts(&self, _op: &XenSysctlNumaAvailheap, _src: &[u64]) -> Result<(), Errno> {
        unreachable!("not an availheap model")
    }
}

impl DomainPlatform for Model {
    type Domain = u32;
    type Page = usize;

    fn get_domain(&self, domid: u32) -> Result<u32, Errno> {
        assert!(!self.locked.get());
        if domid != Self::DOMID || !self.exists.get() || self.dying.get() {
            return Err(Errno::ESRCH);
        }
        if self.xsm_denies.get() {
            return Err(Errno::EPERM);
        }
        self.refs.set(self.refs.get() + 1);
        Ok(domid)
    }
    fn put_domain(&self, _d: u32) {
        self.refs.set(self.refs.get() - 1);
    }
    fn with_page_alloc_lock<R>(&self, _d: &u32, f: impl FnOnce() -> R) -> R {
        assert!(!self.locked.get(), "page_alloc_lock taken twice");
        let hold = self.holds.get() + 1;
        self.holds.set(hold);
        for (at, m) in self.before_hold.borrow().iter() {
            if *at == hold {
                m(self);
            }
        }
        self.locked.set(true);
        self.visits.set(0);
        let r = f();
        self.locked.set(false);
        self.max_visits_per_hold
            .set(self.max_visits_per_hold.get().max(self.visits.get()));
        r
    }
    fn domain_dying(&self, _d: &u32) -> bool {
        assert!(self.locked.get());
        self.dying.get()
    }
    fn counters<'a>(&'a self, _d: &'a u32) -> Option<&'a DomainCounters> {
        Some(&self.counters)
    }
    fn first(&self, _d: &u32, list: NumaList) -> Option<usize> {
        assert!(self.locked.get());
        self.heads.borrow()[list.index()].first
    }
    fn next(&self, _d: &u32, list: NumaList, pg: usize) -> Option<usize> {
        assert!(self.locked.get());
        let p = self.page(pg);
        assert_eq!(
            p.on,
            On::List(list),
            "followed the links of MFN {:#x}, which is not on {list:?}",
            pg as u64 + Self::BASE
        );
        p.next
    }
    fn node_of(&self, pg: usize) -> usize {
        self.visits.set(self.visits.get() + 1);
        self.page(pg).node
    }
    fn mfn_of(&self, pg: usize) -> u64 {
        pg as u64 + Self::BASE
    }
    fn page_on_list(&self, _d: &u32, list: NumaList, mfn: u64) -> Option<usize> {
        // Xen's check: a valid MFN, owned by d, flags of this list's kind.
        // It does not (cannot cheaply) prove the page is linked.
        assert!(self.locked.get());
        let i = usize::try_from(mfn.checked_sub(Self::BASE)?).ok()?;
        let p = self.pages.borrow().get(i)?.clone();
        (p.owner == Some(Self::DOMID) && p.kind == list).then_some(i)
    }
    fn domain_pages(&self, _d: &u32) -> (u64, u64, u64) {
        let s = self.counters.sums();
        (s.page_list, s.xenpage_list, s.extra_page_list)
    }
    fn preempt_check(&self) -> bool {
        assert!(!self.locked.get());
        self.preempt.get()
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

impl Model {
    /// A model that lives for the rest of the test (tests hand out
    /// `&'static` models so closures run between pieces can borrow them).
    pub fn leak(online: &[usize]) -> &'static Model {
        Box::leak(Box::new(Model::new(online)))
    }
}
