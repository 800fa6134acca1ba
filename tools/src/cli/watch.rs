// SPDX-License-Identifier: GPL-2.0-only
//! `-w SECONDS [COUNT]` in table format: after the first sample's tables,
//! each sample prints what changed since the one before, one line per
//! figure (node free memory, heap zone, free list, domain on a node; a
//! domain by id and, when known, name).

use super::args::TableOptions;
use super::model::{zone_range_label, Snapshot};
use super::render::unit_suffix;
use super::table::mem;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Figure key (sorts in output order) -> (what it is, pages).
pub type Figures = BTreeMap<(u8, u32, u32, u32), (String, u64)>;

/// Every figure of a sample that watch mode compares.
pub fn figures(s: &Snapshot) -> Figures {
    let mut f = Figures::new();
    if let Some(t) = &s.topology {
        for n in t.online_nodes() {
            if let Some((_, free)) = t.node_memory(n) {
                f.insert((0, n, 0, 0), (format!("node {n} free (numainfo)"), free));
            }
        }
    }
    if let Some(c) = s.heap.as_ref().and_then(|h| h.availheap.counts.as_ref()) {
        for n in c.online_nodes() {
            for &z in c.zones() {
                let p = c.pages(n, z).unwrap_or(0);
                f.insert(
                    (1, n, z, 0),
                    (
                        format!("heap node {n} zone {z} ({})", zone_range_label(z)),
                        p,
                    ),
                );
            }
        }
    }
    if let Some(free) = &s.free {
        for n in free.stat.online_nodes() {
            let p = free.stat.pages(n).map_or(0, |p| p.page_list);
            f.insert((2, n, 0, 0), (format!("free lists node {n}"), p));
        }
    }
    for d in s.domains.iter().flatten() {
        let id = d.domid();
        let dom = match &d.name {
            Some(name) => format!("domain {id} ({name})"),
            None => format!("domain {id}"),
        };
        for n in d.stat.online_nodes() {
            f.insert((3, id, 0, n), (format!("{dom} node {n}"), d.pages_on(n)));
        }
        f.insert(
            (3, id, 1, 0),
            (format!("{dom} xenheap"), d.stat.total.xenpage_list),
        );
        f.insert(
            (3, id, 2, 0),
            (format!("{dom} extra"), d.stat.total.extra_page_list),
        );
    }
    f
}

fn signed(delta: i128, o: &TableOptions) -> String {
    let m = mem(
        delta.unsigned_abs().min(u128::from(u64::MAX)) as u64,
        o.unit,
        o.compact,
    );
    if delta < 0 {
        format!("-{m}")
    } else {
        format!("+{m}")
    }
}

/// The lines of what changed from `before` to `after` (empty: nothing).
pub fn changes(before: &Figures, after: &Figures, o: &TableOptions) -> Vec<String> {
    let mut lines = Vec::new();
    let keys: std::collections::BTreeSet<_> = before.keys().chain(after.keys()).collect();
    for k in keys {
        let m = |p| mem(p, o.unit, o.compact);
        match (before.get(k), after.get(k)) {
            (Some((what, b)), Some((_, a))) if a != b => lines.push(format!(
                "  {what}: {} ({} -> {})",
                signed(i128::from(*a) - i128::from(*b), o),
                m(*b),
                m(*a)
            )),
            (None, Some((what, a))) => lines.push(format!("  {what}: new, {}", m(*a))),
            (Some((what, b)), None) => lines.push(format!("  {what}: gone (was {})", m(*b))),
            _ => {}
        }
    }
    lines
}

/// The block watch mode prints for sample `n` (from 2), taken `secs`
/// after the first.
pub fn block(n: u64, secs: f64, lines: &[String], o: &TableOptions) -> String {
    let mut s = String::new();
    let _ = write!(s, "\nSample {n} (+{secs:.1} s): ");
    if lines.is_empty() {
        let _ = writeln!(s, "no change since sample {}", n - 1);
    } else {
        let _ = writeln!(
            s,
            "{} change{} since sample {} (in {})",
            lines.len(),
            if lines.len() == 1 { "" } else { "s" },
            n - 1,
            unit_suffix(o.unit)
        );
        for l in lines {
            s.push_str(l);
            s.push('\n');
        }
    }
    s
}
