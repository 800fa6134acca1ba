// SPDX-License-Identifier: GPL-2.0-only
//! XEN_SYSCTL_numa_getdomnodestat end to end, in QEMU, on the real patched
//! Xen: domains whose placement the test itself requests (dom0-testkit
//! creates them with raw domctls and XENMEM_populate_physmap with
//! XENMEMF_exact_node), dom0 placed with dom0_nodes=, and a 1 GiB domain
//! walked in pieces. Independent sources: the placement requested, debug
//! key 'u', availheap's free pages, the C free-list walk. docs/testing.md.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use xen_numastat_abi::errno;
use xen_numastat_qemu_tests::parse::parse_numa_dump;
use xen_numastat_qemu_tests::{boot, ensure_artifacts, BootResult, CommandResult, Topology};

const DEADLINE: Duration = Duration::from_secs(300);
const EINVAL: i64 = -(errno::EINVAL as i64);
const ESRCH: i64 = -(errno::ESRCH as i64);
const ENOBUFS: i64 = -(errno::ENOBUFS as i64);

/// One `dom0-testkit domnodestat` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DomStat {
    rc: i64,
    tot_pages: u64,
    xenheap_pages: u64,
    extra_pages: u64,
    pieces: u64,
    restarts: u64,
    nr_nodes: u64,
    /// XEN_NUMA_SRC_*: 1 counters, 2 walk, 3 free.
    source: u64,
    status: u64,
    /// Summed over the requested node(s): (page_list, extra, xenpage_list).
    total: (u64, u64, u64),
    /// node -> (page_list, extra_page_list, xenpage_list)
    nodes: BTreeMap<u32, (u64, u64, u64)>,
}

impl DomStat {
    fn page_list(&self, node: u32) -> u64 {
        self.nodes.get(&node).map_or(0, |c| c.0)
    }
    fn sums(&self) -> (u64, u64, u64) {
        self.nodes
            .values()
            .fold((0, 0, 0), |a, c| (a.0 + c.0, a.1 + c.1, a.2 + c.2))
    }
}

fn parse_domstat(r: &BootResult, lines: &[String]) -> DomStat {
    let head = lines
        .first()
        .unwrap_or_else(|| r.fail("no domnodestat output"));
    let n = |k| num(r, head, k) as u64;
    let mut s = DomStat {
        rc: num(r, head, "rc"),
        tot_pages: n("tot_pages"),
        xenheap_pages: n("xenheap_pages"),
        extra_pages: n("extra_pages"),
        pieces: n("pieces"),
        restarts: n("restarts"),
        nr_nodes: n("nr_nodes"),
        source: n("source"),
        status: n("status"),
        total: (n("page_list"), n("extra_page_list"), n("xenpage_list")),
        nodes: BTreeMap::new(),
    };
    for l in lines.iter().skip(1).filter(|l| l.starts_with("count ")) {
        let v = |k| num(r, l, k) as u64;
        s.nodes.insert(
            v("node") as u32,
            (v("page_list"), v("extra_page_list"), v("xenpage_list")),
        );
    }
    s
}

fn domstat(r: &BootResult, c: &CommandResult) -> DomStat {
    r.check(c.ok(), format!("`{}` failed: {:?}", c.command, c.output));
    let s = parse_domstat(r, &c.output);
    r.check(s.rc == 0, format!("`{}`: rc {}", c.command, s.rc));
    s
}

const SRC_COUNTERS: u64 = xen_numastat_abi::XEN_NUMA_SRC_COUNTERS as u64;
const SRC_WALK: u64 = xen_numastat_abi::XEN_NUMA_SRC_WALK as u64;

/// The counters' answer (`counters`) and the walk's (`walk`) of the same
/// quiet domain: each says where it came from, and they agree in every
/// field but `pieces`. Returns the counters' answer.
fn both(r: &BootResult, counters: &str, walk: &str) -> (DomStat, DomStat) {
    let c = domstat(r, r.command(counters));
    let w = domstat(r, r.command(walk));
    r.check(
        c.source == SRC_COUNTERS && c.pieces == 1 && c.restarts == 0,
        format!("`{counters}` is not a counters answer: {c:?}"),
    );
    r.check(
        w.source == SRC_WALK,
        format!("`{walk}` is not a walk: {w:?}"),
    );
    r.check(
        c.status == 0 && w.status == 0,
        format!("inconsistent counters: {c:?}"),
    );
    r.check(
        (
            c.nodes == w.nodes,
            c.total,
            c.tot_pages,
            c.xenheap_pages,
            c.extra_pages,
        ) == (true, w.total, w.tot_pages, w.xenheap_pages, w.extra_pages),
        format!("counters and walk differ:\n counters {c:?}\n walk     {w:?}"),
    );
    (c, w)
}

/// A walk of an unchanging domain adds up to what Xen says it holds.
fn check_sums(r: &BootResult, what: &str, s: &DomStat) {
    let (pl, extra, xen) = s.sums();
    r.check(
        s.total == (pl, extra, xen),
        format!(
            "{what}: total {:?} != Σ nodes {:?}",
            s.total,
            (pl, extra, xen)
        ),
    );
    r.check(
        pl == s.tot_pages,
        format!("{what}: Σ page_list {pl} != tot_pages {}", s.tot_pages),
    );
    r.check(
        xen == s.xenheap_pages,
        format!(
            "{what}: Σ xenpage_list {xen} != xenheap_pages {}",
            s.xenheap_pages
        ),
    );
    r.check(
        extra == s.extra_pages,
        format!(
            "{what}: Σ extra_page_list {extra} != extra_pages {}",
            s.extra_pages
        ),
    );
    r.check(
        s.restarts == 0,
        format!("{what}: {} restarts on a quiet domain", s.restarts),
    );
}

/// getdomnodestat's page_list per node equals debug key 'u' for `domid`.
fn check_against_u(r: &BootResult, key_u: &CommandResult, domid: u32, s: &DomStat) {
    let u = parse_numa_dump(&key_text(r, key_u)).unwrap_or_else(|e| r.fail(e));
    let d = u
        .domain(domid)
        .unwrap_or_else(|| r.fail(format!("key u lists no Domain {domid}")));
    r.check(
        d.total_pages == s.tot_pages,
        format!(
            "dom{domid}: key u total {} vs tot_pages {}",
            d.total_pages, s.tot_pages
        ),
    );
    for &node in s.nodes.keys() {
        let theirs = d.pages_on(node).unwrap_or(0);
        r.check(
            s.page_list(node) == theirs,
            format!(
                "dom{domid} node {node}: getdomnodestat {} vs key u {theirs}",
                s.page_list(node)
            ),
        );
    }
    r.check(
        d.listed_pages() == s.sums().0,
        format!("dom{domid}: key u lists {} pages", d.listed_pages()),
    );
}

fn node_totals(m: &Matrix) -> BTreeMap<u32, u64> {
    m.nodes()
        .into_iter()
        .map(|n| (n, m.node_total(n)))
        .collect()
}

/// Free pages moved by exactly `delta[node]` (negative: pages taken).
fn check_free_moved(
    r: &BootResult,
    what: &str,
    before: &Matrix,
    after: &Matrix,
    delta: &[(u32, i64)],
) {
    for (node, b) in node_totals(before) {
        let want = b as i64
            + delta
                .iter()
                .find(|(n, _)| *n == node)
                .map_or(0, |(_, d)| *d);
        let got = after.node_total(node) as i64;
        r.check(
            got == want,
            format!("{what}: node {node} free {got}, want {want} (was {b})"),
        );
    }
}

fn check_walk_matches(r: &BootResult, c: &CommandResult, m: &Matrix) {
    for ((node, zone), (pages, _chunks, counter)) in parse_heapwalk(r, c) {
        r.check(
            pages == counter && pages == m.get(node, zone),
            format!(
                "node {node} zone {zone}: free lists {pages}, counter {counter}, availheap {}",
                m.get(node, zone)
            ),
        );
    }
}

/// `DOM<d>: NODE<n>: PAGES: <p>` lines -> (d, n) -> p.
fn parse_seed_dom(r: &BootResult, c: &CommandResult) -> BTreeMap<(u32, u32), u64> {
    r.check(c.ok(), format!("`{}` failed: {:?}", c.command, c.output));
    c.output
        .iter()
        .map(|l| {
            let f: Vec<&str> = l.split(": ").collect();
            match f.as_slice() {
                [d, n, "PAGES", p] => {
                    let d = d.strip_prefix("DOM").and_then(|d| d.parse().ok());
                    let n = n.strip_prefix("NODE").and_then(|n| n.parse().ok());
                    match (d, n, p.parse().ok()) {
                        (Some(d), Some(n), Some(p)) => ((d, n), p),
                        _ => r.fail(format!("bad seed line {l:?}")),
                    }
                }
                _ => r.fail(format!("unexpected seed line {l:?}")),
            }
        })
        .collect()
}

fn check_seed(r: &BootResult, seed: &BTreeMap<(u32, u32), u64>, domid: u32, s: &DomStat) {
    for (&node, &(pl, _extra, xen)) in &s.nodes {
        let got = seed.get(&(domid, node)).copied();
        r.check(
            got == Some(pl + xen),
            format!("seed DOM{domid} NODE{node}: {got:?}, want {}", pl + xen),
        );
    }
}

const PLACE: [u64; 3] = [3000, 5000, 7000];
const RELEASE: u64 = 1234;

/// (domain, node, flags, capacity) and the error each must get.
const BAD_CALLS: &[(&str, &str, u32, u32, i64)] = &[
    ("1", "3", 0, 64, EINVAL),     // node 3 not online
    ("1", "64", 0, 64, EINVAL),    // node id out of range
    ("1", "-2", 0, 64, EINVAL),    // negative node, not the wildcard
    ("1", "-1", 2, 64, EINVAL),    // unknown flag
    ("1", "-1", 3, 64, EINVAL),    // walk and an unknown flag
    ("1", "255", 1, 64, EINVAL),   // walk of node 255
    ("32752", "-1", 0, 64, ESRCH), // DOMID_SELF
    ("32753", "-1", 0, 64, ESRCH), // DOMID_IO
    ("32754", "-1", 0, 64, ESRCH), // DOMID_XEN
    ("32755", "-1", 0, 64, ESRCH), // DOMID_COW
    ("32756", "-1", 0, 64, ESRCH), // DOMID_INVALID
    ("32767", "-1", 0, 64, ESRCH), // DOMID_IDLE
    ("77", "-1", 0, 64, ESRCH),    // no such domain
    ("1", "-1", 0, 2, ENOBUFS),    // 3 nodes, room for 2
];

#[test]
fn three_nodes_requested_placement_release_and_destroy() {
    ensure_artifacts().unwrap_or_else(|e| panic!("{e}"));
    let bad: Vec<String> = BAD_CALLS
        .iter()
        .map(|(d, n, flags, cap, _)| {
            format!("dom0-testkit domnodestat {d} {n} {flags} {cap}; dom0-testkit domnodestat 0 -1")
        })
        .collect();
    let t = Topology::nodes(&[(1024, 1), (1024, 1), (1024, 1)])
        .label("domnodestat-3x1G")
        .xen_arg("dom0_nodes=1")
        .run_named("pre", "dom0-testkit matrix")
        .run_named("mkdom", "dom0-testkit mkdom 0")
        .run_named("m0", "dom0-testkit matrix")
        .run_named("c-mk", "dom0-testkit domnodestat 1 -1 0")
        .run_named("w-mk", "dom0-testkit domnodestat 1 -1 1")
        .run_named("u-mk", "dom0-testkit keys u")
        .run_named("pop0", &format!("dom0-testkit populate 1 0 {}", PLACE[0]))
        .run_named("m1", "dom0-testkit matrix")
        .run_named("c-p0", "dom0-testkit domnodestat 1 -1 0")
        .run_named("w-p0", "dom0-testkit domnodestat 1 -1 1")
        .run_named("u-p0", "dom0-testkit keys u")
        .run_named("pop1", &format!("dom0-testkit populate 1 1 {}", PLACE[1]))
        .run_named("m2", "dom0-testkit matrix")
        .run_named("c-p1", "dom0-testkit domnodestat 1 -1 0")
        .run_named("w-p1", "dom0-testkit domnodestat 1 -1 1")
        .run_named("u-p1", "dom0-testkit keys u")
        .run_named("pop2", &format!("dom0-testkit populate 1 2 {}", PLACE[2]))
        .run_named("m3", "dom0-testkit matrix")
        .run_named("s1", "dom0-testkit domnodestat 1 -1")
        .run_named("s1w", "dom0-testkit domnodestat 1 -1 1")
        .run_named("key-u", "dom0-testkit keys u")
        .run_named("s0", "dom0-testkit domnodestat 0 -1")
        .run_named("s0w", "dom0-testkit domnodestat 0 -1 1")
        .run_named("release", &format!("dom0-testkit release 1 1 {RELEASE}"))
        .run_named("m4", "dom0-testkit matrix")
        .run_named("s2", "dom0-testkit domnodestat 1 -1")
        .run_named("s2w", "dom0-testkit domnodestat 1 -1 1")
        .run_named("u-rel", "dom0-testkit keys u")
        .run_named("walk1", "dom0-testkit heapwalk-all")
        .run_named("seed1", "xen-numastat -d 1 --format=seed")
        .run_named("seed-all", "xen-numastat -d all --format=seed")
        .run_named("all-views", "xen-numastat -p -H -d all")
        .run_named("destroy", "dom0-testkit destroy 1")
        .run_named("gone", "sleep 1; dom0-testkit domnodestat 1 -1")
        .run_named("gone-walk", "dom0-testkit domnodestat 1 -1 1")
        .run_named("m5", "dom0-testkit matrix")
        .run_named("walk2", "dom0-testkit heapwalk-all")
        .run_named("bad", &bad.join("; "))
        .run_named("cli-no-domain", "xen-numastat -d 77")
        .run_named("cli-reserved", "xen-numastat -d 32752")
        .run_named("cli-not-root", "dom0-testkit as-user 65534 xen-numastat -H");
    let r = boot(&t, DEADLINE).unwrap_or_else(|e| panic!("{e}"));
    r.check(
        r.commands.len() == t.commands.len(),
        "not every dom0 command ran",
    );
    // Every command up to walk2 succeeds, but for the stat of the domain
    // just destroyed.
    let upto = t
        .command_index("walk2")
        .unwrap_or_else(|| r.fail("no walk2"));
    for (name, _) in t
        .command_names
        .iter()
        .filter(|&(n, i)| *i <= upto && n != "gone" && n != "gone-walk")
    {
        let c = r.command(name);
        r.check(c.ok(), format!("`{}` failed: {:?}", c.command, c.output));
    }
    r.check(
        r.command("mkdom").output.iter().any(|l| l == "domid=1"),
        format!("{:?}", r.command("mkdom").output),
    );

    // Each placement takes exactly its pages from its node, nothing else.
    let m = |name| parse_matrix(&r, r.command(name));
    let (pre, m0, m1, m2, m3) = (m("pre"), m("m0"), m("m1"), m("m2"), m("m3"));
    check_free_moved(&r, "populate node 0", &m0, &m1, &[(0, -(PLACE[0] as i64))]);
    check_free_moved(&r, "populate node 1", &m1, &m2, &[(1, -(PLACE[1] as i64))]);
    check_free_moved(&r, "populate node 2", &m2, &m3, &[(2, -(PLACE[2] as i64))]);
    r.check(
        r.command("pop0").output == ["placed node=0 pages=3000"],
        format!("{:?}", r.command("pop0").output),
    );

    // At every step, counters == walk == key 'u', and the placement the
    // test asked for, to the page.
    for (step, placed) in [("mk", 0), ("p0", 1), ("p1", 2)] {
        let (c, _) = both(&r, &format!("c-{step}"), &format!("w-{step}"));
        check_sums(&r, step, &c);
        check_against_u(&r, r.command(&format!("u-{step}")), 1, &c);
        for (node, &want) in PLACE.iter().enumerate() {
            let want = if node < placed { want } else { 0 };
            r.check(
                c.page_list(node as u32) == want,
                format!(
                    "{step}: dom1 node {node}: {}, want {want}",
                    c.page_list(node as u32)
                ),
            );
        }
    }

    // getdomnodestat sees exactly the placement, and agrees with key 'u'.
    let (s1, _) = both(&r, "s1", "s1w");
    for (node, &want) in PLACE.iter().enumerate() {
        r.check(
            s1.page_list(node as u32) == want,
            format!(
                "dom1 node {node}: {} pages, placed {want}",
                s1.page_list(node as u32)
            ),
        );
    }
    r.check(s1.nr_nodes == 3 && s1.nodes.len() == 3, format!("{s1:?}"));
    r.check(
        s1.tot_pages == PLACE.iter().sum::<u64>(),
        format!("tot_pages {}", s1.tot_pages),
    );
    r.check(
        s1.xenheap_pages > 0,
        "a PV domain has its shared info page on xenpage_list",
    );
    check_sums(&r, "dom1", &s1);
    check_against_u(&r, r.command("key-u"), 1, &s1);

    // dom0, placed by dom0_nodes=1, in the same boot.
    let (s0, s0w) = both(&r, "s0", "s0w");
    check_sums(&r, "dom0", &s0);
    check_against_u(&r, r.command("key-u"), 0, &s0);
    r.check(
        s0w.pieces > 1,
        format!(
            "dom0 ({} pages) walked in {} piece(s)",
            s0.tot_pages, s0w.pieces
        ),
    );
    r.check(
        s0.page_list(1) > s0.tot_pages / 2,
        format!(
            "dom0_nodes=1 but dom0 has {} of {} pages on node 1",
            s0.page_list(1),
            s0.tot_pages
        ),
    );

    // Releasing pages on node 1 gives exactly those back.
    let m4 = m("m4");
    check_free_moved(&r, "release node 1", &m3, &m4, &[(1, RELEASE as i64)]);
    let (s2, _) = both(&r, "s2", "s2w");
    check_against_u(&r, r.command("u-rel"), 1, &s2);
    let want = [PLACE[0], PLACE[1] - RELEASE, PLACE[2]];
    for (node, &w) in want.iter().enumerate() {
        r.check(
            s2.page_list(node as u32) == w,
            format!(
                "after release, dom1 node {node}: {}, want {w}",
                s2.page_list(node as u32)
            ),
        );
    }
    check_sums(&r, "dom1 after release", &s2);
    check_walk_matches(&r, r.command("walk1"), &m4);

    // The CLI: the 2006 lines, one domain and all; all three views at once.
    let seed1 = parse_seed_dom(&r, r.command("seed1"));
    r.check(seed1.len() == 3, format!("{seed1:?}"));
    check_seed(&r, &seed1, 1, &s2);
    let seed_all = parse_seed_dom(&r, r.command("seed-all"));
    check_seed(&r, &seed_all, 1, &s2);
    check_seed(&r, &seed_all, 0, &s0);
    r.check(
        seed_all.len() == 6,
        format!("-d all should list dom0 and dom1: {seed_all:?}"),
    );
    let views = r.command("all-views").text();
    for header in [
        "XEN_SYSCTL_physinfo",
        "XEN_SYSCTL_numa_availheap",
        "XEN_SYSCTL_numa_getdomnodestat",
    ] {
        r.check(
            views.contains(header),
            format!("-p -H -d all lacks the {header} view:\n{views}"),
        );
    }

    // Destroyed: -ESRCH, and every node's free memory back where it was.
    r.check(
        r.command("destroy").output == ["destroyed domid=1"],
        format!("{:?}", r.command("destroy").output),
    );
    let gone = parse_domstat(&r, &r.command("gone").output);
    let gone_walk = parse_domstat(&r, &r.command("gone-walk").output);
    r.check(
        gone.rc == ESRCH && gone_walk.rc == ESRCH,
        format!("destroyed domain: rc {} (walk {})", gone.rc, gone_walk.rc),
    );
    let m5 = m("m5");
    check_free_moved(&r, "create, populate, release, destroy", &pre, &m5, &[]);
    check_walk_matches(&r, r.command("walk2"), &m5);

    // Rejected input, each followed by a valid call that succeeds.
    let lines = &r.command("bad").output;
    let heads: Vec<&String> = lines.iter().filter(|l| l.starts_with("rc=")).collect();
    r.check(
        heads.len() == 2 * BAD_CALLS.len(),
        format!("{} answers for {} bad calls", heads.len(), BAD_CALLS.len()),
    );
    for (i, (d, n, flags, cap, want)) in BAD_CALLS.iter().enumerate() {
        let got = num(&r, heads[2 * i], "rc");
        r.check(
            got == *want,
            format!("domnodestat {d} {n} flags={flags} cap={cap}: rc {got}, want {want}"),
        );
        if *want == ENOBUFS {
            r.check(
                num(&r, heads[2 * i], "nr_nodes") == 3,
                format!("ENOBUFS must say 3 entries: {}", heads[2 * i]),
            );
        }
        r.check(
            num(&r, heads[2 * i + 1], "rc") == 0,
            format!("valid call after {d} {n}: {}", heads[2 * i + 1]),
        );
    }

    // CLI errors: unknown domain (7), reserved id rejected before any
    // hypercall (2), not root (3). Each one line saying what to do.
    let c = r.command("cli-no-domain");
    r.check(
        c.rc == Some(7) && c.output.len() == 1 && c.output[0].contains("-d all"),
        format!("{c:?}"),
    );
    let c = r.command("cli-reserved");
    r.check(c.rc == Some(2) && c.output.len() == 1, format!("{c:?}"));
    let c = r.command("cli-not-root");
    r.check(
        c.output.last().map(String::as_str) == Some("as-user rc=3"),
        format!("{c:?}"),
    );
}

#[test]
fn two_nodes_dom0_nodes_every_domain_matches_key_u() {
    ensure_artifacts().unwrap_or_else(|e| panic!("{e}"));
    let t = Topology::nodes(&[(1024, 1), (1024, 1)])
        .label("domnodestat-2x1G-dom0_nodes")
        .xen_arg("dom0_nodes=1")
        .run_named("mkdom", "dom0-testkit mkdom 2000 1000")
        .run_named("s0", "dom0-testkit domnodestat 0 -1")
        .run_named("s0w", "dom0-testkit domnodestat 0 -1 1")
        .run_named("s1", "dom0-testkit domnodestat 1 -1")
        .run_named("s1w", "dom0-testkit domnodestat 1 -1 1")
        .run_named("key-u", "dom0-testkit keys u")
        .run_named("s0-again", "dom0-testkit domnodestat 0 -1")
        .run_named("s1-node0", "dom0-testkit domnodestat 1 0")
        .run_named("free", "dom0-testkit domnodestat free -1")
        .run_named("matrix", "dom0-testkit matrix");
    let r = boot(&t, DEADLINE).unwrap_or_else(|e| panic!("{e}"));
    r.expect_all_ok();
    let ((s0, _), (s1, _)) = (both(&r, "s0", "s0w"), both(&r, "s1", "s1w"));
    check_sums(&r, "dom0", &s0);
    check_sums(&r, "dom1", &s1);
    check_against_u(&r, r.command("key-u"), 0, &s0);
    check_against_u(&r, r.command("key-u"), 1, &s1);
    r.check(
        (s1.page_list(0), s1.page_list(1)) == (2000, 1000),
        format!("dom1 {s1:?}"),
    );
    // dom0 did not change around key 'u'.
    let again = domstat(&r, r.command("s0-again"));
    r.check(
        again.nodes == s0.nodes,
        format!("dom0 changed: {s0:?} then {again:?}"),
    );
    // The seed's single-node form: one node's counts, in the total.
    let one = domstat(&r, r.command("s1-node0"));
    r.check(
        one.total == s1.nodes[&0] && one.total.0 == 2000,
        format!(
            "node 0 alone {one:?}, from the full walk {:?}",
            s1.nodes[&0]
        ),
    );
    // domain = free: each node's free pages, as availheap says.
    let free = domstat(&r, r.command("free"));
    let m = parse_matrix(&r, r.command("matrix"));
    for n in m.nodes() {
        r.check(
            free.page_list(n) == m.node_total(n),
            format!(
                "node {n}: free {} vs availheap {}",
                free.page_list(n),
                m.node_total(n)
            ),
        );
    }
}

/// A 4 GiB domain (2^20 pages) under `watchdog=1`: the counters answer in
/// one lock hold, the walk takes at least 256 pieces, both equal key 'u',
/// and the longest hold of the domain's page_alloc_lock, as the debug
/// image measures and logs it, stays far below the watchdog's 5 s
/// (docs/testing.md says why the bound is what it is).
#[test]
fn four_gib_domain_walked_in_pieces_under_the_watchdog() {
    ensure_artifacts().unwrap_or_else(|e| panic!("{e}"));
    let half = 1u64 << 19; // pages: 2 x 2 GiB = 4 GiB
    let t = Topology::nodes(&[(3072, 1), (3072, 1)])
        .label("domnodestat-4GiB-domain")
        .xen_arg("watchdog=1")
        .run_named("mkdom", &format!("dom0-testkit mkdom {half} {half}"))
        .run_named("s1", "dom0-testkit domnodestat 1 -1")
        .run_named("s1w", "dom0-testkit domnodestat 1 -1 1")
        .run_named("key-u", "dom0-testkit keys u")
        .run_named("cli", "xen-numastat -d 1 --verify");
    let r = boot(&t, DEADLINE).unwrap_or_else(|e| panic!("{e}"));
    r.expect_all_ok();
    let (s, w) = both(&r, "s1", "s1w");
    r.check(
        s.tot_pages == 2 * half,
        format!("tot_pages {}", s.tot_pages),
    );
    r.check(
        (s.page_list(0), s.page_list(1)) == (half, half),
        format!("{s:?}"),
    );
    // 4096 page visits per hold of page_alloc_lock: at least 256 pieces.
    r.check(
        w.pieces >= 2 * half / 4096,
        format!("4 GiB walked in {} pieces", w.pieces),
    );
    check_sums(&r, "4 GiB dom1", &s);
    check_against_u(&r, r.command("key-u"), 1, &s);
    let cli = r.command("cli").text();
    r.check(
        cli.contains("Domain 1: counters == walk on every node"),
        format!("--verify:\n{cli}"),
    );

    // The longest hold, from the debug image's own log lines.
    let holds: Vec<u64> = r
        .serial_log
        .iter()
        .filter_map(|l| {
            let rest = l.split("page_alloc_lock for ").nth(1)?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .collect();
    let longest = holds.iter().copied().max().unwrap_or(0);
    let watchdog = r
        .serial_log
        .iter()
        .find(|l| l.contains("Testing NMI watchdog"))
        .cloned()
        .unwrap_or_default();
    println!(
        "4 GiB domain: walk {} pieces; longest page_alloc_lock hold {} us ({} holds logged); {}",
        w.pieces,
        longest / 1000,
        holds.len(),
        watchdog.trim()
    );
    r.check(!holds.is_empty(), "the debug image logged no lock hold");
    const HOLD_BOUND_NS: u64 = 1_000_000_000;
    r.check(
        longest < HOLD_BOUND_NS,
        format!("page_alloc_lock held {longest} ns, over {HOLD_BOUND_NS}"),
    );
    r.check(
        !r.serial_log
            .iter()
            .any(|l| l.contains("Watchdog timer detects")),
        "the watchdog fired",
    );
}

/// The paths that move pages between nodes or in big chunks, each with the
/// result the test decides: XENMEM_exchange of N pages from node 0 to node
/// 1 (exact-node output), populate of order-9 extents, decrease_reservation
/// of part of one, and a seeded random sequence of thousands of them.
/// After each: counters == walk == key 'u' == the placement asked for, and
/// availheap's free pages moved by exactly the pages moved.
#[test]
fn exchange_superpages_and_a_random_sequence_keep_counters_exact() {
    ensure_artifacts().unwrap_or_else(|e| panic!("{e}"));
    const SEED: u64 = 0x2006_0606;
    const OPS: u64 = 3000;
    const MOVE: u64 = 300;
    const CUT: u64 = 100;
    let step = |t: Topology, name: &str, cmd: &str| {
        t.run_named(name, cmd)
            .run_named(&format!("m-{name}"), "dom0-testkit matrix")
            .run_named(&format!("c-{name}"), "dom0-testkit domnodestat 1 -1 0")
            .run_named(&format!("w-{name}"), "dom0-testkit domnodestat 1 -1 1")
            .run_named(&format!("u-{name}"), "dom0-testkit keys u")
    };
    const HELD: u64 = 64;
    let mut t = Topology::nodes(&[(1024, 1), (1024, 1)])
        .label("domnodestat-memops")
        .run_named("m-pre", "dom0-testkit matrix");
    t = step(t, "mkdom", "dom0-testkit mkdom 1000 1000");
    t = step(
        t,
        "exchange",
        &format!("dom0-testkit exchange 1 0 1 {MOVE}"),
    );
    t = step(t, "order9", "dom0-testkit populate-order 1 1 9 2");
    t = step(t, "cut", &format!("dom0-testkit release 1 1 {CUT}"));
    // Destroyed while dom0 still maps HELD of its pages: Xen must keep
    // them (and the domain) until the mapping goes.
    let t = t
        .run_named("destroy", &format!("dom0-testkit held-destroy 1 1 {HELD}"))
        .run_named("m-destroyed", "sleep 1; dom0-testkit matrix")
        .run_named("churn", &format!("dom0-testkit churn {SEED} {OPS}"))
        .run_named("m-churned", "sleep 1; dom0-testkit matrix");
    let r = boot(&t, DEADLINE).unwrap_or_else(|e| panic!("{e}"));
    r.expect_all_ok();

    let want: [(&str, [u64; 2]); 4] = [
        ("mkdom", [1000, 1000]),
        ("exchange", [1000 - MOVE, 1000 + MOVE]),
        ("order9", [1000 - MOVE, 1000 + MOVE + 1024]),
        ("cut", [1000 - MOVE, 1000 + MOVE + 1024 - CUT]),
    ];
    let m = |name: &str| parse_matrix(&r, r.command(&format!("m-{name}")));
    for (name, placed) in want {
        let (c, w) = both(&r, &format!("c-{name}"), &format!("w-{name}"));
        check_sums(&r, name, &c);
        check_against_u(&r, r.command(&format!("u-{name}")), 1, &c);
        r.check(
            (c.page_list(0), c.page_list(1)) == (placed[0], placed[1]),
            format!("{name}: counters {:?}, asked for {placed:?}", c.nodes),
        );
        println!("{name}: counters {:?} walk pieces {}", c.nodes, w.pieces);
    }
    // Free pages follow each move exactly: the exchange freed MOVE pages on
    // node 0 and took MOVE on node 1; the superpages took 1024 on node 1,
    // the cut gave CUT back.
    check_free_moved(
        &r,
        "exchange",
        &m("mkdom"),
        &m("exchange"),
        &[(0, MOVE as i64), (1, -(MOVE as i64))],
    );
    check_free_moved(&r, "order 9", &m("exchange"), &m("order9"), &[(1, -1024)]);
    check_free_moved(&r, "cut", &m("order9"), &m("cut"), &[(1, CUT as i64)]);

    // Destroyed while referenced: dying, holding exactly the mapped pages,
    // refused by both modes; gone once unmapped, every page back.
    let d = &r.command("destroy").output;
    let held = d
        .iter()
        .find(|l| l.starts_with("held "))
        .unwrap_or_else(|| r.fail(format!("{d:?}")));
    r.check(
        num(&r, held, "listed") == 1
            && num(&r, held, "dying") == 1
            && num(&r, held, "tot_pages") == HELD as i64
            && num(&r, held, "stat_rc") == ESRCH
            && num(&r, held, "walk_rc") == ESRCH,
        format!("while held: {held}"),
    );
    let released = d
        .iter()
        .find(|l| l.starts_with("released "))
        .unwrap_or_else(|| r.fail(format!("{d:?}")));
    r.check(num(&r, released, "gone") == 1, released.clone());
    println!("{held}; {released}");
    check_free_moved(
        &r,
        "create, move, destroy while held",
        &m("pre"),
        &m("destroyed"),
        &[],
    );
    r.check(
        r.command("exchange").output == [format!("exchanged from=0 to=1 pages={MOVE}")],
        format!("{:?}", r.command("exchange").output),
    );

    // The random sequence: every step checked inside dom0-testkit against
    // what it asked for (a mismatch fails the command with the step).
    let churn = r.command("churn");
    let line = churn
        .output
        .iter()
        .find(|l| l.starts_with("churn "))
        .unwrap_or_else(|| r.fail(format!("no churn summary: {:?}", churn.output)));
    println!("{line}");
    r.check(
        num(&r, line, "checks") == OPS as i64 && num(&r, line, "ops") == OPS as i64,
        format!("not every step was checked: {line}"),
    );
    for kind in ["populate", "populate_order9", "release", "exchange"] {
        r.check(
            num(&r, line, kind) > 50,
            format!("too few {kind} steps to matter: {line}"),
        );
    }
    // Both domains destroyed: every node's free pages back where they were.
    check_free_moved(
        &r,
        "churn domain destroyed",
        &m("destroyed"),
        &m("churned"),
        &[],
    );
}

/// Hostile and concurrent callers, from dom0 (the only domain the XSM
/// default lets make these sysctls): raw calls that bypass every check of
/// the tools (wrong interface version, unmapped / read-only / straddling
/// struct and handles, 0xAA prefill, out-of-range ids) each get their
/// error and leave nothing locked; then both dom0 vCPUs hammer both ops
/// while a third thread populates and releases, and the counters still
/// equal a walk and what was asked for.
#[test]
fn hostile_and_concurrent_callers_get_errors_and_exact_counts() {
    ensure_artifacts().unwrap_or_else(|e| panic!("{e}"));
    const HAMMER_SECS: u64 = 20;
    let t = Topology::nodes(&[(1024, 1), (1024, 1)])
        .label("domnodestat-hostile")
        .run_named("hostile", "dom0-testkit hostile")
        .run_named("hammer", &format!("dom0-testkit hammer {HAMMER_SECS}"))
        .run_named("after", "dom0-testkit domnodestat 0 -1 1")
        .run_named("walk", "dom0-testkit heapwalk-all")
        .run_named("matrix", "dom0-testkit matrix");
    let r = boot(&t, DEADLINE).unwrap_or_else(|e| panic!("{e}"));
    r.expect_all_ok();

    let h = &r.command("hostile").output;
    let cases: Vec<&String> = h.iter().filter(|l| l.starts_with("case ")).collect();
    r.check(
        cases.len() >= 25,
        format!("only {} hostile cases: {h:?}", cases.len()),
    );
    for c in &cases {
        r.check(
            num(&r, c, "rc") == num(&r, c, "want"),
            format!("hostile {c}"),
        );
    }
    for name in [
        "case version-0x14 ",
        "case struct-unmapped ",
        "case struct-straddles ",
        "case nodes-readonly ",
        "case nodes-straddle ",
        "case nodes-unmapped-walk ",
        "case counts-readonly ",
        "case prefill-gdns-untouched ",
        "case prefill-availheap-untouched ",
        "case gdns-node-int-min ",
        "case gdns-domain-0xffff ",
    ] {
        r.check(
            cases.iter().any(|c| c.starts_with(name)),
            format!("no `{name}` case: {h:?}"),
        );
    }
    let afters: Vec<&String> = h.iter().filter(|l| l.starts_with("after ")).collect();
    r.check(afters.len() >= 8, format!("{afters:?}"));
    for a in afters {
        r.check(
            a.ends_with(" rc=0"),
            format!("valid call after a bad one: {a}"),
        );
    }

    let line = r
        .command("hammer")
        .output
        .iter()
        .find(|l| l.starts_with("hammer "))
        .cloned()
        .unwrap_or_else(|| r.fail("no hammer summary"));
    println!("{line}");
    r.check(
        num(&r, &line, "exact") == 1 && num(&r, &line, "other_errors") == 0,
        format!("hammer: {line}"),
    );
    r.check(
        num(&r, &line, "calls") > 1000
            && num(&r, &line, "populated") > 0
            && num(&r, &line, "released") > 0,
        format!("hammer did too little to matter: {line}"),
    );
    // Afterwards: dom0's walk agrees with its own sums, and the heap's free
    // lists with the counters.
    let s = domstat(&r, r.command("after"));
    check_sums(&r, "dom0 after the hammer", &s);
    check_walk_matches(
        &r,
        r.command("walk"),
        &parse_matrix(&r, r.command("matrix")),
    );
}
