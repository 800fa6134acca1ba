// SPDX-License-Identifier: GPL-2.0-only
//! The rule both node-indexed answers follow, availheap's counts matrix
//! and getdomnodestat's `nodes` array (abi/src/numastat.rs): with the
//! wildcard the rows are node ids `0..=highest online node`, for one node
//! there is exactly one row, and an offline node id's row holds
//! `XEN_NUMA_NODE_OFFLINE` in every cell, an online one's in none. Pure
//! code.
#![forbid(unsafe_code)]

use xen_numastat_abi::XEN_NUMA_NODE_OFFLINE;

/// How an answer calls its rows in messages: one and several (`"row"`,
/// `"rows"`; `"entry"`, `"node entries"`).
pub(crate) type RowWords = (&'static str, &'static str);

/// Gives each of `rows`, answered to a call made with `node` (`None`:
/// `XEN_NUMA_ANY`), its node id, and keeps it only if that node is online.
/// `cells` are the row's counts. The error is what is wrong, for the
/// caller's protocol error.
pub(crate) fn node_rows<T, C: AsRef<[u64]>>(
    node: Option<u32>,
    rows: impl ExactSizeIterator<Item = T>,
    cells: impl Fn(&T) -> C,
    (one, many): RowWords,
) -> Result<Vec<(u32, Option<T>)>, String> {
    let nr_rows = rows.len();
    if node.is_some() && nr_rows != 1 {
        return Err(format!("{nr_rows} {many} for one requested node"));
    }
    let mut out = Vec::with_capacity(nr_rows);
    for (i, row) in rows.enumerate() {
        let id = match node {
            Some(n) => n,
            None => u32::try_from(i).map_err(|_| format!("{nr_rows} {many}"))?,
        };
        let c = cells(&row);
        let c = c.as_ref();
        let offline = c.iter().filter(|&&v| v == XEN_NUMA_NODE_OFFLINE).count();
        let row = if offline == c.len() {
            None
        } else if offline == 0 {
            Some(row)
        } else {
            return Err(format!(
                "the {one} of node {id} mixes XEN_NUMA_NODE_OFFLINE and counts"
            ));
        };
        out.push((id, row));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFF: u64 = XEN_NUMA_NODE_OFFLINE;
    const WORDS: RowWords = ("row", "rows");

    fn ids(node: Option<u32>, rows: &[&[u64]]) -> Result<Vec<(u32, bool)>, String> {
        node_rows(node, rows.iter(), |r| **r, WORDS)
            .map(|v| v.into_iter().map(|(n, r)| (n, r.is_some())).collect())
    }

    #[test]
    fn ids_and_offline_rows() {
        assert_eq!(
            ids(None, &[&[1, 2], &[OFF, OFF], &[0, 0]]),
            Ok(vec![(0, true), (1, false), (2, true)])
        );
        assert_eq!(ids(Some(5), &[&[OFF, OFF]]), Ok(vec![(5, false)]));
        assert_eq!(
            ids(Some(0), &[&[1], &[2]]),
            Err("2 rows for one requested node".into())
        );
        assert_eq!(
            ids(None, &[&[1, OFF]]),
            Err("the row of node 0 mixes XEN_NUMA_NODE_OFFLINE and counts".into())
        );
    }
}
