// SPDX-License-Identifier: GPL-2.0-only
//! numastat-style tables: label columns, then one column per node and a
//! Total, a line of dashes under the header and above a Total row; memory
//! in the chosen unit (MB with two decimals by default). `-z` leaves out
//! rows and columns of only zeros, `-s[NODE]` sorts rows, `-c` narrows,
//! and a table wider than the terminal is folded into blocks of columns,
//! each repeating the label columns.

use super::args::{TableOptions, Unit};
use std::fmt::Write as _;
use xen_numastat_abi::PAGE_SIZE;

/// One cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Memory, in 4 KiB pages; shown in the table's unit.
    Mem(u64),
    /// A plain count.
    Int(u64),
    /// A share, 0.0 to 1.0, shown as a percentage; `None`: not defined.
    Ratio(Option<f64>),
    /// Text, shown as is.
    Text(String),
    /// Nothing.
    Empty,
}

impl Cell {
    fn number(&self) -> Option<f64> {
        match self {
            Cell::Mem(p) | Cell::Int(p) => Some(*p as f64),
            Cell::Ratio(r) => *r,
            _ => None,
        }
    }

    fn is_zero(&self) -> bool {
        match self {
            Cell::Mem(0) | Cell::Int(0) | Cell::Empty => true,
            Cell::Text(t) => t.is_empty(),
            _ => false,
        }
    }
}

/// What a column holds: `-s NODE` finds its node's column, `-s` the
/// Total column; `-z` may drop a data column of zeros.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColKind {
    /// A node's column.
    Node(u32),
    /// The Total column (the sort key of `-s`).
    Total,
    /// Any other data column.
    Other,
}

/// A data column.
#[derive(Clone, Debug)]
pub struct Column {
    pub header: String,
    pub kind: ColKind,
    /// Left-aligned (text) instead of right-aligned.
    pub left: bool,
}

impl Column {
    pub fn node(node: u32) -> Self {
        Self {
            header: format!("Node {node}"),
            kind: ColKind::Node(node),
            left: false,
        }
    }

    pub fn total() -> Self {
        Self {
            header: "Total".into(),
            kind: ColKind::Total,
            left: false,
        }
    }

    pub fn other(header: &str) -> Self {
        Self {
            header: header.into(),
            kind: ColKind::Other,
            left: false,
        }
    }

    pub fn text(header: &str) -> Self {
        Self {
            left: true,
            ..Self::other(header)
        }
    }
}

/// One row: its label cells, then one cell per data column.
#[derive(Clone, Debug)]
pub struct Row {
    pub labels: Vec<String>,
    pub cells: Vec<Cell>,
}

/// A table before layout.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// Headers of the label columns (left-aligned).
    pub label_headers: Vec<String>,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    /// The Total row, after a line of dashes.
    pub total: Option<Row>,
    /// Dashes under the header (numastat's look); off for matrices.
    pub underline: bool,
}

/// A node asked for with `-s NODE` has no column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoSuchColumn(pub u32);

/// Divides with rounding half up, in integers.
fn div_round(n: u128, d: u128) -> u128 {
    (n + d / 2) / d
}

/// `bytes / unit` with `decimals` decimals, rounded half up.
fn fixed(bytes: u128, unit: u128, decimals: u32) -> String {
    let scale = 10u128.pow(decimals);
    let v = div_round(bytes * scale, unit);
    if decimals == 0 {
        v.to_string()
    } else {
        format!("{}.{:0w$}", v / scale, v % scale, w = decimals as usize)
    }
}

/// Memory of `pages` pages in `unit`; `compact` rounds MB and GB to whole
/// units, as numastat -c does.
pub fn mem(pages: u64, unit: Unit, compact: bool) -> String {
    let bytes = u128::from(pages) * PAGE_SIZE as u128;
    let decimals = if compact { 0 } else { 2 };
    match unit {
        Unit::Mb => fixed(bytes, 1 << 20, decimals),
        Unit::Gb => fixed(bytes, 1 << 30, decimals),
        Unit::Kb => (bytes >> 10).to_string(),
        Unit::Pages => pages.to_string(),
        Unit::Bytes => bytes.to_string(),
    }
}

/// The title words for `unit`: "in MBs" (numastat's words: 1 MB = 2^20
/// bytes here), ...
pub fn unit_words(unit: Unit) -> &'static str {
    match unit {
        Unit::Mb => "in MBs",
        Unit::Gb => "in GBs",
        Unit::Kb => "in KBs",
        Unit::Pages => "in 4 KiB pages",
        Unit::Bytes => "in bytes",
    }
}

/// A percentage with one decimal (none with `compact`).
pub fn percent(r: f64, compact: bool) -> String {
    if compact {
        format!("{:.0}%", r * 100.0)
    } else {
        format!("{:.1}%", r * 100.0)
    }
}

fn cell_text(c: &Cell, o: &TableOptions) -> String {
    match c {
        Cell::Mem(p) => mem(*p, o.unit, o.compact),
        Cell::Int(n) => n.to_string(),
        Cell::Ratio(Some(r)) => percent(*r, o.compact),
        Cell::Ratio(None) => "-".into(),
        Cell::Text(t) => t.clone(),
        Cell::Empty => String::new(),
    }
}

impl Table {
    /// Applies `-z` and `-s` (in place).
    fn arrange(&mut self, o: &TableOptions) -> Result<(), NoSuchColumn> {
        if o.skip_zeros {
            // A row goes if it has numbers and all of them are zero.
            self.rows.retain(|r| {
                let mut numbers = r
                    .cells
                    .iter()
                    .filter(|c| matches!(c, Cell::Mem(_) | Cell::Int(_) | Cell::Ratio(_)))
                    .peekable();
                numbers.peek().is_none()
                    || numbers.any(|c| !c.is_zero() && !matches!(c, Cell::Ratio(None)))
            });
            let keep: Vec<bool> = (0..self.columns.len())
                .map(|i| {
                    matches!(self.columns[i].kind, ColKind::Total)
                        || self.rows.iter().any(|r| !r.cells[i].is_zero())
                })
                .collect();
            let filter = |cells: &mut Vec<Cell>| {
                let mut k = keep.iter();
                cells.retain(|_| *k.next().unwrap_or(&true));
            };
            for r in &mut self.rows {
                filter(&mut r.cells);
            }
            if let Some(t) = &mut self.total {
                filter(&mut t.cells);
            }
            let mut k = keep.iter();
            self.columns.retain(|_| *k.next().unwrap_or(&true));
        }
        if let Some(key) = o.sort {
            let want = match key {
                None => ColKind::Total,
                Some(n) => ColKind::Node(n),
            };
            let Some(col) = self.columns.iter().position(|c| c.kind == want) else {
                return match key {
                    Some(n) => Err(NoSuchColumn(n)),
                    // No Total column: nothing to sort by, leave as is.
                    None => Ok(()),
                };
            };
            // Descending, stable: equal rows keep their order.
            self.rows.sort_by(|a, b| {
                let (x, y) = (a.cells[col].number(), b.cells[col].number());
                y.partial_cmp(&x).unwrap_or(std::cmp::Ordering::Equal)
            });
        }
        Ok(())
    }

    /// Lays the table out: `-z`, `-s`, then columns as wide as their
    /// widest cell, folded into blocks no wider than `width` (0 or `None`:
    /// one block).
    pub fn render(
        mut self,
        o: &TableOptions,
        width: Option<usize>,
    ) -> Result<String, NoSuchColumn> {
        self.arrange(o)?;
        let gap = if o.compact { 1 } else { 2 };
        let nl = self.label_headers.len();
        let all_rows: Vec<&Row> = self.rows.iter().chain(self.total.as_ref()).collect();
        let label_w: Vec<usize> = (0..nl)
            .map(|i| {
                all_rows
                    .iter()
                    .map(|r| r.labels.get(i).map_or(0, String::len))
                    .chain([self.label_headers[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let texts: Vec<Vec<String>> = all_rows
            .iter()
            .map(|r| r.cells.iter().map(|c| cell_text(c, o)).collect())
            .collect();
        let col_w: Vec<usize> = (0..self.columns.len())
            .map(|i| {
                texts
                    .iter()
                    .map(|t| t.get(i).map_or(0, String::len))
                    .chain([self.columns[i].header.len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let labels_width: usize = label_w.iter().map(|w| w + gap).sum();
        // Fold: greedy blocks of data columns.
        let mut blocks: Vec<std::ops::Range<usize>> = Vec::new();
        let limit = width.filter(|&w| w > 0);
        let mut start = 0;
        let mut used = labels_width;
        for (i, w) in col_w.iter().enumerate() {
            let need = w + gap;
            if let Some(lim) = limit {
                if i > start && used + need > lim {
                    blocks.push(start..i);
                    start = i;
                    used = labels_width;
                }
            }
            used += need;
        }
        blocks.push(start..col_w.len());

        let mut s = String::new();
        for (b, cols) in blocks.iter().enumerate() {
            if b > 0 {
                s.push('\n');
            }
            let line = |labels: &[String], cells: &[String], s: &mut String| {
                let mut l = String::new();
                for (i, w) in label_w.iter().enumerate() {
                    let t = labels.get(i).map_or("", String::as_str);
                    if i > 0 {
                        l.push_str(&" ".repeat(gap));
                    }
                    let _ = write!(l, "{t:<w$}");
                }
                for i in cols.clone() {
                    let t = cells.get(i).map_or("", String::as_str);
                    let w = col_w[i];
                    l.push_str(&" ".repeat(gap));
                    if self.columns[i].left {
                        let _ = write!(l, "{t:<w$}");
                    } else {
                        let _ = write!(l, "{t:>w$}");
                    }
                }
                s.push_str(l.trim_end());
                s.push('\n');
            };
            let headers: Vec<String> = self.columns.iter().map(|c| c.header.clone()).collect();
            line(&self.label_headers, &headers, &mut s);
            let dashes = |with_labels: bool| -> (Vec<String>, Vec<String>) {
                let labels = label_w
                    .iter()
                    .map(|&w| {
                        if with_labels {
                            "-".repeat(w)
                        } else {
                            String::new()
                        }
                    })
                    .collect();
                let cells = col_w.iter().map(|&w| "-".repeat(w)).collect();
                (labels, cells)
            };
            if self.underline {
                let (l, c) = dashes(false);
                line(&l, &c, &mut s);
            }
            for (r, t) in self.rows.iter().zip(&texts) {
                line(&r.labels, t, &mut s);
            }
            if let Some(total) = &self.total {
                let (l, c) = dashes(true);
                line(&l, &c, &mut s);
                line(&total.labels, &texts[texts.len() - 1], &mut s);
            }
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> TableOptions {
        TableOptions::default()
    }

    fn sample() -> Table {
        let row = |l: &str, a, b| Row {
            labels: vec![l.into()],
            cells: vec![Cell::Mem(a), Cell::Mem(b), Cell::Mem(a + b)],
        };
        Table {
            label_headers: vec![String::new()],
            columns: vec![Column::node(0), Column::node(1), Column::total()],
            rows: vec![row("small", 256, 0), row("big", 1024, 0), row("none", 0, 0)],
            total: Some(row("Total", 1280, 0)),
            underline: true,
        }
    }

    #[test]
    fn numastat_layout_in_mb() {
        let out = sample().render(&opts(), None).unwrap();
        assert_eq!(
            out,
            "       Node 0  Node 1  Total\n\
             \x20      ------  ------  -----\n\
             small    1.00    0.00   1.00\n\
             big      4.00    0.00   4.00\n\
             none     0.00    0.00   0.00\n\
             -----  ------  ------  -----\n\
             Total    5.00    0.00   5.00\n"
        );
    }

    #[test]
    fn skip_zeros_sort_and_compact() {
        let o = TableOptions {
            skip_zeros: true,
            sort: Some(None),
            compact: true,
            ..opts()
        };
        let out = sample().render(&o, None).unwrap();
        assert_eq!(
            out,
            "      Node 0 Total\n\
             \x20     ------ -----\n\
             big        4     4\n\
             small      1     1\n\
             ----- ------ -----\n\
             Total      5     5\n"
        );
        let by_node = TableOptions {
            sort: Some(Some(1)),
            ..opts()
        };
        assert!(sample().render(&by_node, None).is_ok());
        let missing = TableOptions {
            sort: Some(Some(7)),
            ..opts()
        };
        assert_eq!(sample().render(&missing, None), Err(NoSuchColumn(7)));
    }

    #[test]
    fn units_and_rounding() {
        assert_eq!(mem(1, Unit::Mb, false), "0.00");
        assert_eq!(mem(2, Unit::Mb, false), "0.01"); // 0.0078 rounds up
        assert_eq!(mem(256, Unit::Mb, false), "1.00");
        assert_eq!(mem(384, Unit::Mb, true), "2"); // 1.5 rounds half up
        assert_eq!(mem(262_144, Unit::Gb, false), "1.00");
        assert_eq!(mem(3, Unit::Kb, false), "12");
        assert_eq!(mem(3, Unit::Pages, false), "3");
        assert_eq!(mem(3, Unit::Bytes, false), "12288");
        assert_eq!(mem(u64::MAX, Unit::Bytes, false), "75557863725914323415040");
        assert_eq!(percent(0.5, false), "50.0%");
        assert_eq!(percent(0.996, true), "100%");
    }

    #[test]
    fn wide_tables_fold_and_repeat_labels() {
        let mut t = sample();
        t.label_headers = vec!["Name".into()];
        let out = t.render(&opts(), Some(20)).unwrap();
        let blocks: Vec<&str> = out.split("\n\n").collect();
        assert_eq!(blocks.len(), 3, "{out}");
        for b in &blocks {
            assert!(b.lines().all(|l| l.len() <= 20), "{b}");
            assert!(b.starts_with("Name"), "{b}");
            assert!(b.contains("Total"), "{b}");
        }
        assert!(blocks[0].contains("Node 0") && !blocks[0].contains("Node 1"));
    }
}
