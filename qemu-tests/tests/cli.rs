// SPDX-License-Identifier: GPL-2.0-only
//! `xen-numastat` for real, in QEMU: every mode of the dom0 CLI on the
//! patched Xen, debug and release images alike (three unequal nodes, dom0 on node 1, two test domains with
//! placement the test requests), each compared with the hypercalls' own
//! answers (dom0-testkit matrix, domnodestat, numainfo, affinity) and with
//! the other formats: the JSON and Prometheus outputs are parsed back and
//! their numbers compared with the tables'. Then one stock Xen boot: heap
//! and topology fall back to upstream sysctls and say so, checked against
//! Xen's debug key 'H'; `-d` exits 8. See docs/cli.md.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use serde_json::Value;
use xen_numastat_abi::errno;
use xen_numastat_qemu_tests::parse::parse_heap_dump;
use xen_numastat_qemu_tests::{
    boot, ensure_artifacts, BootResult, CommandResult, Topology, XenImage,
};

const DEADLINE: Duration = Duration::from_secs(300);
const MB: f64 = 1048576.0;
const PAGE: u64 = 4096;

/// dom1's pages on nodes 0, 1, 2; dom2's on node 2.
const DOM1: [u64; 3] = [1000, 2000, 3000];
const DOM2_NODE2: u64 = 2560;

fn ok<'a>(r: &BootResult, c: &'a CommandResult) -> &'a CommandResult {
    r.check(
        c.ok(),
        format!("`{}` exited {:?}:\n{}", c.command, c.rc, c.text()),
    );
    c
}

/// The cells after the `skip` label cells of the first line whose first
/// word is `label`, in `text` after the line containing `after`.
fn row(r: &BootResult, text: &str, after: &str, label: &str, skip: usize) -> Vec<String> {
    text.split(after)
        .nth(1)
        .and_then(|t| {
            t.lines()
                .find(|l| l.split_whitespace().next() == Some(label))
        })
        .unwrap_or_else(|| r.fail(format!("no row {label:?} after {after:?} in:\n{text}")))
        .split_whitespace()
        .skip(1 + skip)
        .map(String::from)
        .collect()
}

fn f(r: &BootResult, s: &str) -> f64 {
    s.parse()
        .unwrap_or_else(|_| r.fail(format!("{s:?} is not a number")))
}

/// A table's MB figure equals `bytes` (two decimals, rounded).
fn same_mb(r: &BootResult, what: &str, cell: &str, bytes: u64) {
    let got = f(r, cell);
    let want = bytes as f64 / MB;
    r.check(
        (got - want).abs() <= 0.005 + 1e-9,
        format!("{what}: table {cell} MB, expected {want:.4} MB ({bytes} bytes)"),
    );
}

/// A successful `--json` command's document, validated against the JSON
/// Schema.
fn json(r: &BootResult, c: &CommandResult) -> Value {
    schema_json(r, ok(r, c))
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

type Series = BTreeMap<(String, BTreeMap<String, String>), f64>;

/// Parses an exposition; every sample must follow its family's TYPE line.
fn prometheus(r: &BootResult, c: &CommandResult) -> Series {
    let mut out = Series::new();
    let mut family = String::new();
    for line in &ok(r, c).output {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            family = rest.split(' ').next().unwrap_or("").to_string();
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| r.fail(format!("bad sample line {line:?}")));
        let (name, labels) = match series.split_once('{') {
            Some((n, l)) => (n, l.trim_end_matches('}')),
            None => (series, ""),
        };
        r.check(
            name == family,
            format!("{line:?} is not under its TYPE line"),
        );
        let labels = labels
            .split(',')
            .filter(|l| !l.is_empty())
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
            .collect();
        out.insert((name.to_string(), labels), f(r, value));
    }
    out
}

fn metric(r: &BootResult, m: &Series, name: &str, kv: &[(&str, &str)]) -> f64 {
    let want: BTreeMap<String, String> = kv
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    m.iter()
        .find(|((n, l), _)| n == name && want.iter().all(|(k, v)| l.get(k) == Some(v)))
        .map(|(_, v)| *v)
        .unwrap_or_else(|| r.fail(format!("no {name} {kv:?}")))
}

/// Arguments that must be refused before any hypercall, exit 2.
const BAD: &[&str] = &[
    "-d abc",
    "-d -1",
    "-d 65536",
    "-d 4294967296",
    "-d 32752",
    "-x",
    "--bogus",
    "-w 0",
    "-w 1 0",
    "-sx",
    "--unit=furlongs",
    "--prometheus -w 1",
];

#[test]
fn every_mode_on_the_patched_xen() {
    every_mode(XenImage::Patched, "cli-512M-1G-768M");
}

/// The same on the image a user installs: no test-only op is in it, and
/// the CLI needs none.
#[test]
fn every_mode_on_the_release_xen() {
    every_mode(XenImage::Release, "cli-512M-1G-768M-release");
}

/// Every mode on a patched image (debug or release): the same commands and
/// the same assertions; only the test-only heap walk differs, there in the
/// debug image and `-EOPNOTSUPP` in the release one.
fn every_mode(image: XenImage, label: &str) {
    ensure_artifacts().unwrap_or_else(|e| panic!("{e}"));
    let bad: Vec<String> = BAD
        .iter()
        .map(|a| format!("xen-numastat {a}; echo \"rc=$?\""))
        .collect();
    let t = Topology::nodes(&[(512, 1), (1024, 1), (768, 1)])
        .xen_image(image.clone())
        .label(label)
        .xen_arg("dom0_nodes=1")
        .run_named("mkdom1", &format!("dom0-testkit mkdom {} {} {}", DOM1[0], DOM1[1], DOM1[2]))
        .run_named("mkdom2", &format!("dom0-testkit mkdom 0 0 {DOM2_NODE2}"))
        .run_named("topo", "xen-numastat -p")
        .run_named("numainfo", "dom0-testkit numainfo")
        .run_named("heap", "xen-numastat -H")
        .run_named("json-all", "xen-numastat --json -p -H -d all -d free")
        .run_named("matrix", "dom0-testkit matrix")
        .run_named("doms", "xen-numastat -d all")
        .run_named("domstat1", "dom0-testkit domnodestat 1 -1")
        .run_named("aff0", "dom0-testkit affinity 0")
        .run_named("prom", "xen-numastat --prometheus")
        .run_named("compact", "xen-numastat -d all -d free -c -z -s")
        .run_named("sort-pages", "xen-numastat -d all --pages -s2")
        .run_named("folded", "COLUMNS=60 xen-numastat -d all")
        .run_named("seed", "xen-numastat -H --format=seed")
        .run_named("version", "xen-numastat --version")
        .run_named("bad-args", &bad.join("; "))
        .run_named("not-online", "xen-numastat -d all -s5; echo \"rc=$?\"")
        .run_named("watch", "(sleep 1.5; dom0-testkit mkdom 0 1000 >/dev/null) & xen-numastat -w 1 4 -H -d all --pages; wait")
        .run_named("heapwalk", "dom0-testkit heapwalk 1 19");
    let r = boot(&t, DEADLINE).unwrap_or_else(|e| panic!("{e}"));
    println!("{}", r.summary());
    r.check(
        r.commands.len() == t.commands.len(),
        "not every dom0 command ran",
    );
    for name in ["mkdom1", "mkdom2"] {
        ok(&r, r.command(name));
    }

    // -p against numainfo (bytes) and the JSON's topology.
    let topo = ok(&r, r.command("topo")).text();
    println!("xen-numastat -p:\n{topo}");
    let ni = parse_numainfo(&r, r.command("numainfo"));
    r.check(ni.len() == 3, format!("numainfo {ni:?}"));
    let total = row(&r, &topo, "Per-node memory", "MemTotal", 0);
    let free = row(&r, &topo, "Per-node memory", "MemFree", 0);
    for (n, (size, memfree)) in &ni {
        same_mb(
            &r,
            &format!("node {n} MemTotal"),
            &total[*n as usize],
            *size,
        );
        same_mb(
            &r,
            &format!("node {n} MemFree"),
            &free[*n as usize],
            *memfree,
        );
    }
    r.check(
        row(&r, &topo, "Per-node memory", "CPUs", 0) == ["1", "1", "1", "3"],
        format!("CPUs per node:\n{topo}"),
    );
    r.check(
        row(&r, &topo, "Node distances", "1:", 0) == ["20", "10", "20"],
        format!("distances:\n{topo}"),
    );

    // The JSON: every heap cell equals the matrix taken right after it.
    let v = json(&r, r.command("json-all"));
    r.check(v["schema_version"] == 1, "schema_version");
    let m = parse_matrix(&r, r.command("matrix"));
    let zones = v["heap"]["zones"].as_array().cloned().unwrap_or_default();
    r.check(
        zones.len() == 41,
        format!("{} zones in the JSON", zones.len()),
    );
    for z in &zones {
        let zone = u(&z["zone"]) as u32;
        for (i, b) in z["free_bytes"].as_array().into_iter().flatten().enumerate() {
            r.check(
                u(b) == m.get(i as u32, zone) * PAGE,
                format!(
                    "JSON node {i} zone {zone}: {b} bytes, matrix {} pages",
                    m.get(i as u32, zone)
                ),
            );
        }
    }
    r.check(
        u(&v["heap"]["free_bytes"]) == m.pages * PAGE,
        "JSON heap total vs matrix",
    );
    // The DMA width is the one Xen printed at boot.
    let bits = r
        .dma_width_bits()
        .unwrap_or_else(|| r.fail("no DMA width at boot"));
    r.check(
        v["heap"]["dma"]["bits"] == u64::from(bits),
        format!("JSON dma {} vs boot {bits}", v["heap"]["dma"]),
    );
    // Topology in the JSON equals numainfo.
    for (n, (size, memfree)) in &ni {
        let node = &v["topology"]["nodes"][*n as usize];
        r.check(
            u(&node["memory_total_bytes"]) == *size && u(&node["memory_free_bytes"]) == *memfree,
            format!("JSON node {n} {node} vs numainfo {size} {memfree}"),
        );
    }
    // -d free equals the matrix's node totals (free lists of each node).
    for (i, n) in v["free"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        r.check(
            u(&n["free_bytes"]) == m.node_total(i as u32) * PAGE,
            format!("free node {i}: {n}"),
        );
    }

    // -H table: the Total row is the matrix's per-node free memory.
    let heap = ok(&r, r.command("heap")).text();
    println!("xen-numastat -H:\n{heap}");
    r.check(
        heap.contains(&format!("DMA width {bits} bits")),
        format!("-H does not show the DMA width {bits}:\n{heap}"),
    );
    let totals = row(&r, &heap, "Free heap memory", "Total", 0);
    for n in 0..3u32 {
        same_mb(
            &r,
            &format!("-H node {n} total"),
            &totals[n as usize],
            m.node_total(n) * PAGE,
        );
    }

    // Domains: the placement requested, in the JSON, the table and getdomnodestat.
    let doms = v["domains"].as_array().cloned().unwrap_or_default();
    let dom = |id: u64| {
        doms.iter()
            .find(|d| d["domid"] == id)
            .unwrap_or_else(|| r.fail(format!("no domain {id} in the JSON")))
    };
    let pages_on = |d: &Value, n: usize| u(&d["nodes"][n]["page_list_bytes"]) / PAGE;
    for (n, want) in DOM1.iter().enumerate() {
        r.check(
            pages_on(dom(1), n) == *want,
            format!("dom1 node {n}: {}", dom(1)),
        );
    }
    r.check(
        pages_on(dom(2), 2) == DOM2_NODE2,
        format!("dom2: {}", dom(2)),
    );
    r.check(
        dom(2)["nodes_used"] == 1 && dom(1)["nodes_used"] == 3,
        "nodes_used",
    );
    let raw1 = ok(&r, r.command("domstat1"));
    for l in raw1.output.iter().filter(|l| l.starts_with("count ")) {
        let n = num(&r, l, "node") as usize;
        r.check(
            pages_on(dom(1), n) == num(&r, l, "page_list") as u64,
            format!("dom1 node {n}: JSON vs {l}"),
        );
    }
    // dom0's affinity is dom0_nodes=1, as XEN_DOMCTL_getnodeaffinity says.
    let aff = ok(&r, r.command("aff0")).text();
    r.check(
        aff.trim().ends_with("nodes=1"),
        format!("affinity 0: {aff}"),
    );
    r.check(
        dom(0)["node_affinity"] == serde_json::json!([1]),
        format!("{}", dom(0)),
    );
    let d0_local = dom(0)["local_ratio"].as_f64().unwrap_or(-1.0);
    let want_local = pages_on(dom(0), 1) as f64 / (u(&dom(0)["page_list_bytes"]) / PAGE) as f64;
    r.check(
        (d0_local - want_local).abs() < 1e-9 && d0_local > 0.5,
        format!("dom0 local_ratio {d0_local}, want {want_local}"),
    );
    // The table's rows carry the same numbers.
    let table = ok(&r, r.command("doms")).text();
    println!("xen-numastat -d all:\n{table}");
    for d in &doms {
        let id = u(&d["domid"]).to_string();
        let cells = row(&r, &table, "Per-domain", &id, 0);
        for (n, cell) in cells.iter().enumerate().take(3) {
            same_mb(
                &r,
                &format!("dom{id} node {n}"),
                cell,
                pages_on(d, n) * PAGE,
            );
        }
        same_mb(
            &r,
            &format!("dom{id} total"),
            &cells[3],
            u(&d["page_list_bytes"]),
        );
        let local = d["local_ratio"]
            .as_f64()
            .map_or("-".to_string(), |x| format!("{:.1}%", x * 100.0));
        r.check(
            cells[7] == local,
            format!("dom{id} Local {} vs {local}", cells[7]),
        );
        r.check(
            cells.last().map(String::as_str) == d["handle"].as_str(),
            format!("dom{id} handle"),
        );
    }

    // Prometheus: the same numbers again.
    let p = prometheus(&r, r.command("prom"));
    for (n, (size, memfree)) in &ni {
        let node = n.to_string();
        r.check(
            metric(
                &r,
                &p,
                "xen_numa_node_memory_free_bytes",
                &[("node", &node)],
            ) == *memfree as f64
                && metric(
                    &r,
                    &p,
                    "xen_numa_node_memory_total_bytes",
                    &[("node", &node)],
                ) == *size as f64,
            format!("prometheus node {n}"),
        );
    }
    for (n, want) in DOM1.iter().enumerate() {
        let got = metric(
            &r,
            &p,
            "xen_numa_domain_memory_bytes",
            &[
                ("domid", "1"),
                ("node", &n.to_string()),
                ("list", "page_list"),
            ],
        );
        r.check(
            got == (want * PAGE) as f64,
            format!("prometheus dom1 node {n}: {got}"),
        );
    }
    for n in 0..3u32 {
        let sum: f64 = p
            .iter()
            .filter(|((name, l), _)| {
                name == "xen_numa_heap_zone_free_bytes" && l.get("node") == Some(&n.to_string())
            })
            .map(|(_, v)| v)
            .sum();
        r.check(
            sum == (m.node_total(n) * PAGE) as f64,
            format!("prometheus heap node {n}: {sum}"),
        );
    }
    r.check(
        metric(&r, &p, "xen_numa_domain_placement_supported", &[]) == 1.0
            && metric(
                &r,
                &p,
                "xen_numa_node_distance",
                &[("from", "2"), ("to", "0")],
            ) == 20.0,
        "prometheus placement and distance",
    );

    // -c -z -s: whole MBs, no all-zero Extra column, biggest Total first.
    let compact = ok(&r, r.command("compact")).text();
    let header = compact
        .lines()
        .find(|l| l.starts_with("Domain"))
        .unwrap_or_else(|| r.fail(&compact));
    r.check(
        !header.contains("Extra"),
        format!("-z kept Extra:\n{compact}"),
    );
    let first = compact
        .lines()
        .skip_while(|l| !l.starts_with("Domain"))
        .nth(2)
        .unwrap_or("");
    r.check(
        first.starts_with("0 "),
        format!("-s: dom0 first:\n{compact}"),
    );
    r.check(
        !first.contains('.'),
        format!("-c: whole numbers:\n{compact}"),
    );
    // --pages -s2: exact pages, sorted by node 2.
    let sorted = ok(&r, r.command("sort-pages")).text();
    let ids: Vec<&str> = sorted
        .lines()
        .skip_while(|l| !l.starts_with("Domain"))
        .skip(2)
        .take(3)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    r.check(
        ids == ["1", "2", "0"],
        format!("-s2 order {ids:?}:\n{sorted}"),
    );
    let cells = row(&r, &sorted, "Per-domain", "1", 0);
    r.check(
        cells[..4] == ["1000", "2000", "3000", "6000"],
        format!("--pages dom1: {cells:?}"),
    );
    // Folded to 60 columns: several blocks, each header fits.
    let folded = ok(&r, r.command("folded")).text();
    let headers: Vec<&str> = folded.lines().filter(|l| l.starts_with("Domain")).collect();
    r.check(
        headers.len() >= 2 && headers.iter().all(|h| h.len() <= 60),
        format!("COLUMNS=60:\n{folded}"),
    );

    // Seed lines: unchanged format, same numbers as the matrix.
    let (total, nr_zones, nr_nodes, cells) = parse_seed_heap(&r, r.command("seed"));
    r.check(
        nr_zones == 41 && nr_nodes == 3 && cells.len() == 41 * 3 && total > 0,
        "seed shape",
    );

    // --version, argument errors (exit 2, one line, no hypercall), a sort
    // node that is not online (exit 2 after asking).
    let version = ok(&r, r.command("version")).text();
    r.check(version.starts_with("xen-numastat 0."), version);
    let bad = &r.command("bad-args").output;
    let rcs: Vec<&String> = bad.iter().filter(|l| l.starts_with("rc=")).collect();
    r.check(
        rcs.len() == BAD.len() && rcs.iter().all(|l| *l == "rc=2"),
        format!("argument errors: {bad:?}"),
    );
    r.check(
        bad.iter()
            .filter(|l| !l.starts_with("rc="))
            .all(|l| l.starts_with("xen-numastat: ") && l.contains("--help")),
        format!("argument errors: {bad:?}"),
    );
    let c = r.command("not-online");
    r.check(
        c.output.last().map(String::as_str) == Some("rc=2")
            && c.text()
                .contains("node 5 is not online (online nodes: 0-2)"),
        format!("{c:?}"),
    );

    // Watch: four samples; a domain made meanwhile shows up as a change.
    let w = ok(&r, r.command("watch")).text();
    println!("xen-numastat -w 1 4:\n{w}");
    r.check(
        w.matches("Free heap memory by zone").count() == 1
            && (2..=4).all(|n| w.contains(&format!("\nSample {n} ("))),
        format!("watch samples:\n{w}"),
    );
    r.check(
        w.contains("  domain 3 node 1: new, 1000\n"),
        format!("watch did not show domain 3:\n{w}"),
    );
    let taken: i64 = w
        .lines()
        .filter(|l| l.starts_with("  heap node 1 zone "))
        .filter_map(|l| l.split(": ").nth(1)?.split(' ').next()?.parse::<i64>().ok())
        .sum();
    r.check(
        taken <= -1000,
        format!("watch: node 1's heap should lose at least 1000 pages, saw {taken}:\n{w}"),
    );

    // The free-list walk (CONFIG_NUMASTAT_HEAPWALK): in the debug image only.
    let walk = ok(&r, r.command("heapwalk")).output.join("\n");
    let rc = num(&r, &walk, "rc");
    match image {
        XenImage::Release => r.check(
            rc == -(errno::EOPNOTSUPP as i64),
            format!("the release image answered the heap walk: {walk}"),
        ),
        _ => r.check(
            rc == 0 && num(&r, &walk, "pages") == num(&r, &walk, "counter"),
            format!("the debug image's heap walk: {walk}"),
        ),
    }
    println!("{label}: heapwalk 1 19: {walk}");
}

#[test]
fn stock_xen_falls_back_and_says_so() {
    ensure_artifacts().unwrap_or_else(|e| panic!("{e}"));
    let t = Topology::nodes(&[(512, 1), (1024, 1), (768, 1)])
        .label("cli-stock-512M-1G-768M")
        .stock()
        .run_named("tables", "xen-numastat -p -H")
        .run_named("json", "xen-numastat --json -p -H -d free")
        .run_named("seed", "xen-numastat -H --format=seed")
        .run_named("domains", "xen-numastat -d all")
        .run_named("physinfo-domain0", "xen-numastat -p -d 0")
        .run_named("prometheus", "xen-numastat --prometheus")
        .run_named("numainfo", "dom0-testkit numainfo")
        .run_named("key-h", "dom0-testkit keys H");
    let r = boot(&t, DEADLINE).unwrap_or_else(|e| panic!("{e}"));
    println!("{}", r.summary());
    r.check(
        r.commands.len() == t.commands.len(),
        "not every dom0 command ran",
    );

    let text = ok(&r, r.command("tables")).text();
    println!("stock xen-numastat -p -H:\n{text}");
    r.check(
        text.contains("XEN_SYSCTL_availheap by address width")
            && text.contains("this Xen lacks XEN_SYSCTL_numa_availheap"),
        format!("the fallback is not said:\n{text}"),
    );
    let bits = r
        .dma_width_bits()
        .unwrap_or_else(|| r.fail("no DMA width at boot"));
    r.check(
        text.contains(&format!("DMA width {bits} bits")),
        format!("DMA:\n{text}"),
    );

    // The fallback's cells equal Xen's own per node and zone ('H').
    let v = json(&r, r.command("json"));
    r.check(
        v["heap"]["source"] == "XEN_SYSCTL_availheap" && v["heap"]["snapshot"] == false,
        format!("{}", v["heap"]["source"]),
    );
    r.check(v["free"]["source"] == "XEN_SYSCTL_numainfo", "free source");
    let h = parse_heap_dump(&key_text(&r, r.command("key-h"))).unwrap_or_else(|e| r.fail(e));
    let mut from_h: BTreeMap<(u32, u32), u64> = BTreeMap::new();
    for z in &h.zones {
        from_h.insert((z.node, z.zone), z.pages);
    }
    for z in v["heap"]["zones"].as_array().into_iter().flatten() {
        let zone = u(&z["zone"]) as u32;
        for (n, b) in z["free_bytes"].as_array().into_iter().flatten().enumerate() {
            let theirs = from_h.get(&(n as u32, zone)).copied().unwrap_or(0);
            r.check(
                u(b) / PAGE == theirs,
                format!(
                    "stock node {n} zone {zone}: fallback {} pages, key H {theirs}",
                    u(b) / PAGE
                ),
            );
        }
    }
    // Node free from numainfo equals the fallback's node sums.
    let ni = parse_numainfo(&r, r.command("numainfo"));
    for (i, (n, (_, memfree))) in ni.iter().enumerate() {
        r.check(
            u(&v["heap"]["node_free_bytes"][i]) == *memfree
                && u(&v["free"]["nodes"][i]["free_bytes"]) == *memfree,
            format!("stock node {n}: numainfo {memfree}"),
        );
    }
    let (_, nr_zones, nr_nodes, _) = parse_seed_heap(&r, r.command("seed"));
    r.check(nr_zones == 41 && nr_nodes == 3, "stock seed");

    // -d: exit 8 with one plain sentence; other views printed first.
    let c = r.command("domains");
    r.check(
        c.rc == Some(8)
            && c.output.len() == 1
            && c.output[0].contains("needs the patched hypervisor"),
        format!("{c:?}"),
    );
    let c = r.command("physinfo-domain0");
    r.check(
        c.rc == Some(8)
            && c.text().contains("NUMA topology (XEN_SYSCTL_physinfo")
            && c.output
                .last()
                .is_some_and(|l| l.contains("needs the patched hypervisor")),
        format!("{c:?}"),
    );
    // --prometheus alone: heap and topology, no domains, exit 0.
    let p = prometheus(&r, r.command("prometheus"));
    r.check(
        metric(&r, &p, "xen_numa_domain_placement_supported", &[]) == 0.0
            && metric(&r, &p, "xen_numa_heap_snapshot", &[]) == 0.0
            && metric(&r, &p, "xen_numa_nodes_online", &[]) == 3.0,
        "stock prometheus",
    );
}
