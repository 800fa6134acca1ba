// SPDX-License-Identifier: GPL-2.0-only
//! The counts matrix of `XEN_SYSCTL_numa_availheap`, parsed and checked
//! against the op's definition (abi/src/numastat.rs): rows are node ids
//! (`0..=highest online node`, or the one requested node), columns are zones
//! (`0..NR_ZONES`, or the one requested zone), and every entry of an
//! offline node's row is `XEN_NUMA_NODE_OFFLINE`.
#![forbid(unsafe_code)]

use crate::error::{Error, Op, Result};
use crate::rows::node_rows;
use xen_numastat_abi::{NR_ZONES, XEN_SYSCTL_NUMA_AVAILHEAP};

/// One row of the matrix: a node id and its free pages per column, or
/// `None` for an offline node id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeapRow {
    pub node: u32,
    pub pages: Option<Vec<u64>>,
}

/// Free pages by node (rows) and zone (columns), from one availheap call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeapCounts {
    zones: Vec<u32>,
    rows: Vec<HeapRow>,
}

fn protocol(what: String) -> Error {
    Error::Protocol {
        op: Op::Sysctl(XEN_SYSCTL_NUMA_AVAILHEAP),
        what,
    }
}

impl HeapCounts {
    /// Parses the first `nr_counts` (OUT) entries of the counts buffer of a
    /// call made with `zone` and `node` (`None`: `XEN_NUMA_ANY`), whose OUT
    /// `nr_zones` was `nr_zones`.
    pub fn from_raw(
        zone: Option<u32>,
        node: Option<u32>,
        nr_zones: u32,
        raw: &[u64],
    ) -> Result<Self> {
        let zones: Vec<u32> = match zone {
            Some(z) => vec![z],
            None => (0..NR_ZONES as u32).collect(),
        };
        if nr_zones as usize != zones.len() {
            return Err(protocol(format!(
                "nr_zones is {nr_zones}, expected {}",
                zones.len()
            )));
        }
        let cols = zones.len();
        if raw.is_empty() || !raw.chunks_exact(cols).remainder().is_empty() {
            return Err(protocol(format!(
                "nr_counts {} is not a positive multiple of {cols} zones",
                raw.len()
            )));
        }
        let rows = node_rows(node, raw.chunks_exact(cols), |c| *c, ("row", "rows"))
            .map_err(protocol)?
            .into_iter()
            .map(|(id, pages)| HeapRow {
                node: id,
                pages: pages.map(<[u64]>::to_vec),
            })
            .collect();
        Ok(Self { zones, rows })
    }

    /// The zone of each column.
    pub fn zones(&self) -> &[u32] {
        &self.zones
    }

    /// All rows, offline node ids included.
    pub fn rows(&self) -> &[HeapRow] {
        &self.rows
    }

    /// Ids of the online nodes (rows with counts), ascending.
    pub fn online_nodes(&self) -> impl Iterator<Item = u32> + '_ {
        self.rows
            .iter()
            .filter(|r| r.pages.is_some())
            .map(|r| r.node)
    }

    /// Free pages of `zone` on `node`; `None` if either is not in the
    /// matrix or the node is offline.
    pub fn pages(&self, node: u32, zone: u32) -> Option<u64> {
        let col = self.zones.iter().position(|&z| z == zone)?;
        let row = self.rows.iter().find(|r| r.node == node)?;
        row.pages.as_ref()?.get(col).copied()
    }

    /// Free pages of `node` over all columns.
    pub fn node_total(&self, node: u32) -> u64 {
        self.rows
            .iter()
            .filter(|r| r.node == node)
            .filter_map(|r| r.pages.as_ref())
            .flatten()
            .fold(0, |a, &p| a.saturating_add(p))
    }

    /// Free pages of `zone` over all online nodes.
    pub fn zone_total(&self, zone: u32) -> u64 {
        self.online_nodes()
            .filter_map(|n| self.pages(n, zone))
            .fold(0, |a, p| a.saturating_add(p))
    }

    /// Free pages of the whole matrix.
    pub fn total(&self) -> u64 {
        self.rows
            .iter()
            .filter_map(|r| r.pages.as_ref())
            .flatten()
            .fold(0, |a, &p| a.saturating_add(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xen_numastat_abi::XEN_NUMA_NODE_OFFLINE;

    const OFF: u64 = XEN_NUMA_NODE_OFFLINE;

    fn row(cells: &[(usize, u64)]) -> Vec<u64> {
        let mut r = vec![0; NR_ZONES];
        for &(z, p) in cells {
            r[z] = p;
        }
        r
    }

    #[test]
    fn wildcard_matrix_with_an_offline_node_id() {
        let mut raw = row(&[(20, 100), (21, 5)]);
        raw.extend(vec![OFF; NR_ZONES]);
        raw.extend(row(&[(22, 7)]));
        let m = HeapCounts::from_raw(None, None, NR_ZONES as u32, &raw).unwrap();
        assert_eq!(m.online_nodes().collect::<Vec<_>>(), vec![0, 2]);
        assert_eq!(
            m.rows()[1],
            HeapRow {
                node: 1,
                pages: None
            }
        );
        assert_eq!(m.pages(0, 20), Some(100));
        assert_eq!(m.pages(1, 20), None);
        assert_eq!(m.pages(2, 22), Some(7));
        assert_eq!(m.node_total(0), 105);
        assert_eq!(m.zone_total(22), 7);
        assert_eq!(m.total(), 112);
    }

    #[test]
    fn one_zone_one_node() {
        let m = HeapCounts::from_raw(Some(21), Some(3), 1, &[42]).unwrap();
        assert_eq!(m.zones(), &[21]);
        assert_eq!(m.pages(3, 21), Some(42));
        assert_eq!(m.pages(0, 21), None);
    }

    #[test]
    fn malformed_matrices_are_protocol_errors() {
        let bad = |zone, node, nr_zones, raw: &[u64]| {
            matches!(
                HeapCounts::from_raw(zone, node, nr_zones, raw),
                Err(Error::Protocol { .. })
            )
        };
        assert!(bad(None, None, NR_ZONES as u32, &[]));
        assert!(bad(None, None, NR_ZONES as u32, &[0; NR_ZONES + 1]));
        assert!(bad(None, None, 40, &[0; 40]));
        assert!(bad(None, Some(0), NR_ZONES as u32, &[0; 2 * NR_ZONES]));
        let mut mixed = vec![OFF; NR_ZONES];
        mixed[3] = 0;
        assert!(bad(None, None, NR_ZONES as u32, &mixed));
    }
}
