// SPDX-License-Identifier: GPL-2.0-only
//! The answer of `XEN_SYSCTL_numa_getdomnodestat`, parsed and checked
//! against the op's definition (abi/src/numastat.rs): a domain's pages (or,
//! for [`DomainSel::Free`], the free pages) on each node, per list, from one
//! walk. Pure code, so it is tested with recorded answers.
#![forbid(unsafe_code)]

use crate::error::{Error, Op, Result};
use crate::rows::node_rows;
use core::fmt;
use xen_numastat_abi::{
    DomId, NumaStatus, XenNumaNodePages, XenSysctlNumaGetdomnodestat, DOMID_FIRST_RESERVED,
    XEN_NUMA_DOMAIN_FREE, XEN_NUMA_SRC_COUNTERS, XEN_NUMA_SRC_FREE, XEN_NUMA_SRC_WALK,
    XEN_SYSCTL_NUMA_GETDOMNODESTAT,
};

/// What getdomnodestat counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DomainSel {
    /// A domain's pages.
    Domain(DomId),
    /// The free pages of each node ([`XEN_NUMA_DOMAIN_FREE`], the 2006
    /// op's `domain = -1`); they come back in `page_list`.
    Free,
}

impl DomainSel {
    /// The op's `domain` field.
    pub fn wire(self) -> u32 {
        match self {
            Self::Domain(d) => u32::from(d),
            Self::Free => XEN_NUMA_DOMAIN_FREE,
        }
    }

    /// Whether Xen can know the domain: ids from `DOMID_FIRST_RESERVED` up
    /// are Xen's own (DOMID_SELF, DOMID_IO, ...) and answer `-ESRCH`.
    pub fn is_valid(self) -> bool {
        match self {
            Self::Domain(d) => u32::from(d) < DOMID_FIRST_RESERVED,
            Self::Free => true,
        }
    }
}

impl fmt::Display for DomainSel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Domain(d) => write!(f, "domain {d}"),
            Self::Free => f.write_str("the free pages"),
        }
    }
}

/// Where a getdomnodestat answer came from (`source`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatSource {
    /// The per-domain counters: one lock hold, no page visited.
    Counters,
    /// A walk of the domain's page lists (`XEN_NUMA_GDNS_walk`).
    Walk,
    /// The heap's free counters ([`DomainSel::Free`]).
    Free,
}

impl StatSource {
    fn from_wire(v: u32) -> Option<Self> {
        match v {
            XEN_NUMA_SRC_COUNTERS => Some(Self::Counters),
            XEN_NUMA_SRC_WALK => Some(Self::Walk),
            XEN_NUMA_SRC_FREE => Some(Self::Free),
            _ => None,
        }
    }

    /// The word the outputs use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Counters => "counters",
            Self::Walk => "walk",
            Self::Free => "free",
        }
    }
}

/// One node id's counts, or `None` for an offline node id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodePagesRow {
    pub node: u32,
    pub pages: Option<XenNumaNodePages>,
}

/// One getdomnodestat answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomNodeStat {
    /// What was asked about.
    pub domain: DomainSel,
    /// The node asked for (`None`: every online node).
    pub node: Option<u32>,
    /// Pages on the requested node(s), per list.
    pub total: XenNumaNodePages,
    /// `domain_tot_pages(d)`, `d->xenheap_pages`, `d->extra_pages`, read
    /// under `d->page_alloc_lock` at the end of the walk.
    pub tot_pages: u64,
    pub xenheap_pages: u64,
    pub extra_pages: u64,
    /// Holds of `page_alloc_lock` the walk took.
    pub pieces: u32,
    /// Times the walk started over because the lists changed under it.
    pub restarts: u32,
    /// Counters or walk.
    pub source: StatSource,
    /// Xen marked this domain's counters inconsistent (a counter would
    /// have under- or overflowed): only a walk is to be trusted.
    pub inconsistent: bool,
    /// Per node id, when asked for: `0..=highest online` with the wildcard,
    /// the requested node alone without it.
    pub nodes: Option<Vec<NodePagesRow>>,
}

fn protocol(what: String) -> Error {
    Error::Protocol {
        op: Op::Sysctl(XEN_SYSCTL_NUMA_GETDOMNODESTAT),
        what,
    }
}

impl DomNodeStat {
    /// Parses the OUT fields of a successful call made with `domain` and
    /// `node` (`None`: `XEN_NUMA_ANY`), and the first `out.nr_nodes` entries
    /// of its `nodes` buffer if one was passed. Checks that offline entries
    /// are wholly `XEN_NUMA_NODE_OFFLINE` and that the entries add up to
    /// `total` (they come from the same walk).
    pub fn from_raw(
        domain: DomainSel,
        node: Option<u32>,
        out: &XenSysctlNumaGetdomnodestat,
        raw_nodes: Option<&[XenNumaNodePages]>,
    ) -> Result<Self> {
        let nodes = match raw_nodes {
            None => None,
            Some(raw) => Some(Self::rows(node, raw, &out.total)?),
        };
        let source = StatSource::from_wire(out.source)
            .ok_or_else(|| protocol(format!("unknown source {}", out.source)))?;
        let status = NumaStatus::from_bits(out.status)
            .ok_or_else(|| protocol(format!("unknown status bits {:#x}", out.status)))?;
        Ok(Self {
            domain,
            node,
            total: out.total,
            tot_pages: out.tot_pages,
            xenheap_pages: out.xenheap_pages,
            extra_pages: out.extra_pages,
            pieces: out.pieces,
            restarts: out.restarts,
            source,
            inconsistent: status.contains(NumaStatus::INCONSISTENT),
            nodes,
        })
    }

    fn rows(
        node: Option<u32>,
        raw: &[XenNumaNodePages],
        total: &XenNumaNodePages,
    ) -> Result<Vec<NodePagesRow>> {
        if raw.is_empty() {
            return Err(protocol("no node entries".into()));
        }
        let fields = |p: &&XenNumaNodePages| [p.page_list, p.extra_page_list, p.xenpage_list];
        let rows: Vec<NodePagesRow> =
            node_rows(node, raw.iter(), fields, ("entry", "node entries"))
                .map_err(protocol)?
                .into_iter()
                .map(|(id, pages)| NodePagesRow {
                    node: id,
                    pages: pages.copied(),
                })
                .collect();
        let sum = rows.iter().filter_map(|r| r.pages.as_ref()).fold(
            XenNumaNodePages::default(),
            XenNumaNodePages::saturating_add,
        );
        if rows.iter().all(|r| r.pages.is_none()) {
            return Err(protocol("every node entry is offline".into()));
        }
        if sum != *total {
            return Err(protocol(format!(
                "the node entries add up to {sum:?} but total is {total:?}"
            )));
        }
        Ok(rows)
    }

    /// Ids of the online nodes in the answer, ascending.
    pub fn online_nodes(&self) -> impl Iterator<Item = u32> + '_ {
        self.nodes
            .iter()
            .flatten()
            .filter(|r| r.pages.is_some())
            .map(|r| r.node)
    }

    /// The counts of `node`, if it is in the answer and online.
    pub fn pages(&self, node: u32) -> Option<XenNumaNodePages> {
        self.nodes.as_ref()?.iter().find(|r| r.node == node)?.pages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use xen_numastat_abi::{XEN_NUMA_NODE_OFFLINE, XEN_NUMA_STATUS_INCONSISTENT};

    const OFF: XenNumaNodePages = XenNumaNodePages::OFFLINE;

    fn np(page_list: u64, extra_page_list: u64, xenpage_list: u64) -> XenNumaNodePages {
        XenNumaNodePages {
            page_list,
            extra_page_list,
            xenpage_list,
        }
    }

    fn out(total: XenNumaNodePages) -> XenSysctlNumaGetdomnodestat {
        XenSysctlNumaGetdomnodestat {
            total,
            tot_pages: total.page_list,
            pieces: 1,
            source: XEN_NUMA_SRC_COUNTERS,
            ..Default::default()
        }
    }

    #[test]
    fn wildcard_with_an_offline_id() {
        let raw = [np(1000, 0, 2), OFF, np(2000, 0, 0)];
        let s = DomNodeStat::from_raw(DomainSel::Domain(1), None, &out(np(3000, 0, 2)), Some(&raw))
            .unwrap();
        assert_eq!(s.online_nodes().collect::<Vec<_>>(), vec![0, 2]);
        assert_eq!(s.pages(0), Some(np(1000, 0, 2)));
        assert_eq!(s.pages(1), None);
        assert_eq!(s.pages(2), Some(np(2000, 0, 0)));
        assert_eq!(s.tot_pages, 3000);
    }

    #[test]
    fn one_node_and_no_buffer() {
        let s = DomNodeStat::from_raw(
            DomainSel::Free,
            Some(1),
            &out(np(7, 0, 0)),
            Some(&[np(7, 0, 0)]),
        )
        .unwrap();
        assert_eq!(s.online_nodes().collect::<Vec<_>>(), vec![1]);
        let s = DomNodeStat::from_raw(DomainSel::Free, None, &out(np(7, 0, 0)), None).unwrap();
        assert_eq!(s.online_nodes().count(), 0);
        assert_eq!(s.total.page_list, 7);
    }

    #[test]
    fn source_and_status_are_read_and_checked() {
        let raw = [np(5, 0, 0)];
        let mut o = out(np(5, 0, 0));
        let s = DomNodeStat::from_raw(DomainSel::Domain(1), None, &o, Some(&raw)).unwrap();
        assert_eq!((s.source, s.inconsistent), (StatSource::Counters, false));
        o.source = XEN_NUMA_SRC_WALK;
        o.status = XEN_NUMA_STATUS_INCONSISTENT;
        let s = DomNodeStat::from_raw(DomainSel::Domain(1), None, &o, Some(&raw)).unwrap();
        assert_eq!((s.source, s.inconsistent), (StatSource::Walk, true));
        o.source = 0;
        assert!(DomNodeStat::from_raw(DomainSel::Domain(1), None, &o, Some(&raw)).is_err());
        o.source = XEN_NUMA_SRC_COUNTERS;
        o.status = 2;
        assert!(DomNodeStat::from_raw(DomainSel::Domain(1), None, &o, Some(&raw)).is_err());
    }

    #[test]
    fn inconsistent_answers_are_protocol_errors() {
        let bad = |node, total, raw: &[XenNumaNodePages]| {
            matches!(
                DomNodeStat::from_raw(DomainSel::Domain(0), node, &out(total), Some(raw)),
                Err(Error::Protocol { .. })
            )
        };
        // Entries that do not add up to total.
        assert!(bad(None, np(3, 0, 0), &[np(1, 0, 0), np(1, 0, 0)]));
        assert!(bad(None, np(2, 0, 1), &[np(1, 0, 0), np(1, 0, 0)]));
        // Half offline.
        let mixed = np(XEN_NUMA_NODE_OFFLINE, 0, XEN_NUMA_NODE_OFFLINE);
        assert!(bad(None, np(0, 0, 0), &[mixed]));
        // Two entries for one node; none at all; all offline.
        assert!(bad(Some(0), np(2, 0, 0), &[np(1, 0, 0), np(1, 0, 0)]));
        assert!(bad(None, np(0, 0, 0), &[]));
        assert!(bad(None, np(0, 0, 0), &[OFF, OFF]));
    }

    #[test]
    fn selections_on_the_wire() {
        assert_eq!(DomainSel::Domain(0).wire(), 0);
        assert_eq!(DomainSel::Free.wire(), 0xffff_ffff);
        assert!(DomainSel::Domain(0x7fef).is_valid());
        assert!(!DomainSel::Domain(0x7ff0).is_valid());
        assert_eq!(DomainSel::Domain(3).to_string(), "domain 3");
    }
}
