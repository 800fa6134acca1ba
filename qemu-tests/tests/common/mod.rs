// SPDX-License-Identifier: GPL-2.0-only
//! Parsers for what dom0-testkit and xen-numastat print in dom0, shared by
//! the QEMU tests. Each turns `key=value` lines into numbers, so tests assert
//! on parsed values, never on text.
#![allow(dead_code)]

use std::collections::BTreeMap;

use xen_numastat_qemu_tests::{BootResult, CommandResult};

/// `key=value` pairs of one line.
pub fn kv(line: &str) -> BTreeMap<&str, &str> {
    line.split_whitespace()
        .filter_map(|w| w.split_once('='))
        .collect()
}

/// A numeric field of a `key=value` line.
pub fn num(r: &BootResult, line: &str, key: &str) -> i64 {
    kv(line)
        .get(key)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| r.fail(format!("no numeric {key}= in {line:?}")))
}

/// `dom0-testkit matrix`: the whole availheap answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    pub nr_zones: u32,
    pub nr_nodes: u32,
    pub pages: u64,
    /// (node, zone) -> free pages, online nodes only.
    pub counts: BTreeMap<(u32, u32), u64>,
    pub offline: Vec<u32>,
}

impl Matrix {
    pub fn nodes(&self) -> Vec<u32> {
        let mut n: Vec<u32> = self.counts.keys().map(|&(n, _)| n).collect();
        n.dedup();
        n
    }
    pub fn node_total(&self, node: u32) -> u64 {
        self.counts
            .iter()
            .filter(|((n, _), _)| *n == node)
            .map(|(_, p)| p)
            .sum()
    }
    pub fn zone_total(&self, zone: u32) -> u64 {
        self.counts
            .iter()
            .filter(|((_, z), _)| *z == zone)
            .map(|(_, p)| p)
            .sum()
    }
    pub fn get(&self, node: u32, zone: u32) -> u64 {
        self.counts.get(&(node, zone)).copied().unwrap_or(0)
    }
}

pub fn parse_matrix(r: &BootResult, c: &CommandResult) -> Matrix {
    r.check(c.ok(), format!("`{}` failed: {:?}", c.command, c.output));
    let mut m = Matrix {
        nr_zones: 0,
        nr_nodes: 0,
        pages: 0,
        counts: BTreeMap::new(),
        offline: vec![],
    };
    for line in &c.output {
        if let Some(v) = line.strip_prefix("nr_zones=") {
            m.nr_zones = v.parse().unwrap_or_else(|_| r.fail(line));
        } else if let Some(v) = line.strip_prefix("nr_nodes=") {
            m.nr_nodes = v.parse().unwrap_or_else(|_| r.fail(line));
        } else if let Some(v) = line.strip_prefix("pages=") {
            m.pages = v.parse().unwrap_or_else(|_| r.fail(line));
        } else if line.starts_with("count ") {
            let key = (num(r, line, "node") as u32, num(r, line, "zone") as u32);
            m.counts.insert(key, num(r, line, "pages") as u64);
        } else if line.starts_with("offline ") {
            m.offline.push(num(r, line, "node") as u32);
        }
    }
    r.check(
        !m.counts.is_empty(),
        format!("no counts in `{}`", c.command),
    );
    m
}

/// `dom0-testkit numainfo`: node -> (memsize bytes, memfree bytes).
pub fn parse_numainfo(r: &BootResult, c: &CommandResult) -> BTreeMap<u32, (u64, u64)> {
    r.check(c.ok(), format!("`{}` failed: {:?}", c.command, c.output));
    c.output
        .iter()
        .filter(|l| l.starts_with("node="))
        .map(|l| {
            (
                num(r, l, "node") as u32,
                (num(r, l, "memsize") as u64, num(r, l, "memfree") as u64),
            )
        })
        .collect()
}

/// `dom0-testkit availheap Z N [pad]`: (rc, nr_zones, nr_nodes, pages).
pub fn parse_availheap_line(r: &BootResult, line: &str) -> (i64, u32, u32, u64) {
    (
        num(r, line, "rc"),
        num(r, line, "nr_zones") as u32,
        num(r, line, "nr_nodes") as u32,
        num(r, line, "pages") as u64,
    )
}

/// `dom0-testkit heapwalk-all`: (node, zone) -> (pages, chunks, counter).
pub fn parse_heapwalk(r: &BootResult, c: &CommandResult) -> BTreeMap<(u32, u32), (u64, u64, u64)> {
    r.check(c.ok(), format!("`{}` failed: {:?}", c.command, c.output));
    c.output
        .iter()
        .filter(|l| l.starts_with("walk "))
        .map(|l| {
            r.check(num(r, l, "rc") == 0, format!("heapwalk failed: {l}"));
            (
                (num(r, l, "node") as u32, num(r, l, "zone") as u32),
                (
                    num(r, l, "pages") as u64,
                    num(r, l, "chunks") as u64,
                    num(r, l, "counter") as u64,
                ),
            )
        })
        .collect()
}

/// `xen-numastat -H --format=seed`: (total, nr_zones, nr_nodes, (zone, node) -> pages).
pub type SeedHeap = (u64, u32, u32, BTreeMap<(u32, u32), u64>);

pub fn parse_seed_heap(r: &BootResult, c: &CommandResult) -> SeedHeap {
    r.check(c.ok(), format!("`{}` failed: {:?}", c.command, c.output));
    let mut total = None;
    let mut nr_zones = None;
    let mut nr_nodes = None;
    let mut cells = BTreeMap::new();
    for line in &c.output {
        let f: Vec<&str> = line.split(": ").collect();
        match f.as_slice() {
            ["HEAPINFO", "TOTAL_FREE_PAGES", v] => total = v.parse().ok(),
            ["HEAPINFO", "NR_ZONES", v] => nr_zones = v.parse().ok(),
            ["HEAPINFO", "NR_NODES", v] => nr_nodes = v.parse().ok(),
            ["HEAPINFO", zone, node, "FREE_PAGES", v] => {
                let z = zone.strip_prefix("ZONE_").and_then(|z| z.parse().ok());
                let n = node.strip_prefix("NODE").and_then(|n| n.parse().ok());
                let p = v.parse().ok();
                match (z, n, p) {
                    (Some(z), Some(n), Some(p)) => {
                        cells.insert((z, n), p);
                    }
                    _ => r.fail(format!("bad seed line {line:?}")),
                }
            }
            _ => r.fail(format!("unexpected seed line {line:?}")),
        }
    }
    match (total, nr_zones, nr_nodes) {
        (Some(t), Some(z), Some(n)) => (t, z, n, cells),
        _ => r.fail(format!("seed header lines missing: {:?}", c.output)),
    }
}

/// The Xen console text a `dom0-testkit keys K` command printed.
pub fn key_text(r: &BootResult, c: &CommandResult) -> String {
    r.check(c.ok(), format!("`{}` failed: {:?}", c.command, c.output));
    let text = c.text();
    r.check(
        text.contains("xen| "),
        format!("`{}` printed no Xen lines", c.command),
    );
    text
}

/// Pages the hypervisor image keeps after boot: the image as linked,
/// `_start..__2M_rwdata_end` (xen/arch/x86/xen.lds.S), less its init
/// sections `__init_begin..__init_end`, which free_init_memory() gives to
/// the heap at the end of boot. Read from xen-syms with nm.
pub fn resident_image_pages(xen_syms: &std::path::Path) -> u64 {
    let out = std::process::Command::new("nm")
        .arg(xen_syms)
        .output()
        .unwrap_or_else(|e| panic!("nm {}: {e}", xen_syms.display()));
    let text = String::from_utf8_lossy(&out.stdout);
    let addr = |sym: &str| {
        text.lines()
            .find_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() == 3 && f[2] == sym)
                    .then(|| u64::from_str_radix(f[0], 16).ok())
                    .flatten()
            })
            .unwrap_or_else(|| panic!("no {sym} in {}", xen_syms.display()))
    };
    let image = addr("__2M_rwdata_end") - addr("_start");
    let init = addr("__init_end") - addr("__init_begin");
    (image - init).div_ceil(4096)
}

/// Parses a `--json` document a command printed in dom0 and validates it
/// against `tools/xen-numastat.schema.json` with `tools/tests/check-json.py`
/// (Debian's python3-jsonschema, as `make formats-check` does for the host
/// tests' samples): every JSON document the QEMU tests read is checked.
pub fn schema_json(r: &BootResult, c: &CommandResult) -> serde_json::Value {
    let text = c.text();
    let v: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| r.fail(format!("`{}` is not JSON ({e}):\n{text}", c.command)));
    let root = xen_numastat_qemu_tests::repo_root();
    // Unique per call: the tests of one process validate at the same time.
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let f = std::env::temp_dir().join(format!("xns-json-{}-{seq}.json", std::process::id()));
    std::fs::write(&f, &text).unwrap_or_else(|e| r.fail(format!("{}: {e}", f.display())));
    let out = std::process::Command::new("python3")
        .arg(root.join("tools/tests/check-json.py"))
        .arg(root.join("tools/xen-numastat.schema.json"))
        .arg(&f)
        .output()
        .unwrap_or_else(|e| r.fail(format!("check-json.py: {e}")));
    let _ = std::fs::remove_file(&f);
    r.check(
        out.status.success(),
        format!(
            "`{}` fails the JSON Schema:\n{}{}",
            c.command,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    );
    v
}
