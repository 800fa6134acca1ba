// SPDX-License-Identifier: GPL-2.0-only
//! `make bench`: what getdomnodestat costs, and what the component costs
//! Xen's allocator. Prints figures; checks nothing but that they came.
//!
//! Part `domnodestat`: the patched release Xen (what a user runs: no
//! ASSERTs, no UBSAN), four NUMA nodes, one CPU,
//! domains of 2^12 to 2^19 pages spread evenly (dom0-testkit mkdom); for
//! each, `dom0-testkit bench` times the counters, the walk and the 2006
//! method (one walk call per node), interleaved. Booted twice: under
//! `-icount` (instructions: the same figures whatever the host does) and
//! plain TCG (wall time of the shared host, noisy). The microseconds are of
//! an emulated CPU either way: the ratios are the point.
//!
//! Part `alloc`: boots of the stock and of the patched release image,
//! alternated, under QEMU's `-icount shift=0,sleep=off`: guest time then
//! advances one nanosecond per emulated instruction and does not depend on
//! the host, so two boots compare without host noise (the 2-core host is
//! shared). In each, `dom0-testkit allocbench` times rounds of
//! populate_physmap and decrease_reservation at order 0 and 9. Prints
//! patched/stock per case with the round-to-round and boot-to-boot spread.
//!
//! Usage: `xen-numastat-bench [domnodestat] [alloc] [--boots=N]` (both parts
//! and 2 boots of each image by default).

use std::process::ExitCode;
use std::time::Duration;

use xen_numastat_qemu_tests::stats::{field, word, Summary};
use xen_numastat_qemu_tests::{boot, BootResult, Topology, XenImage};

const NODES: usize = 4;
/// Samples of each method per domain size.
const REPS: u32 = 21;
/// Domain sizes: 2^12 to 2^19 pages.
const SIZES: std::ops::RangeInclusive<u32> = 12..=19;
/// The size whose walk/counters ratio is the goal (2^18 pages = 1 GiB).
const GOAL_SIZE: u64 = 1 << 18;
const GOAL_RATIO: f64 = 1000.0;

/// Rounds of populate + decrease per allocbench run.
const ROUNDS: u32 = 20;
/// The QEMU arguments of the allocator boots.
const ICOUNT: &str = "-icount shift=0,sleep=off";
/// (name, order, address bits or 0): the cases of allocbench. The last,
/// populate below 2^30 (XENMEMF_address_bits(30)), starts get_free_buddy()'s
/// zone scan at zone 17 instead of 40 (node 0's highest zone is 18, so 22
/// empty zones are skipped, each an out-of-line numastat_heap_avail() call
/// in the patched image): it shows how much of the cost lies in that scan.
const CASES: [(&str, u32, u32); 3] = [("o0", 0, 0), ("o9", 9, 0), ("o0 b30", 0, 30)];
const OPS: [&str; 2] = ["populate", "decrease"];

fn fail(what: String) -> ExitCode {
    eprintln!("xen-numastat-bench: {what}");
    ExitCode::FAILURE
}

/// Set to `1` to print every dom0 command's raw output to stderr.
const RAW_ENV: &str = "XEN_NUMASTAT_BENCH_RAW";

fn boot_ok(t: &Topology, timeout: Duration) -> Result<BootResult, String> {
    let r = boot(t, timeout).map_err(|e| e.to_string())?;
    if std::env::var(RAW_ENV).is_ok_and(|v| v == "1") {
        for c in &r.commands {
            eprintln!("[{}] $ {}\n{}", t.name(), c.command, c.text());
        }
    }
    if let Some(c) = r.failed_commands().first() {
        return Err(format!(
            "{}: `{}` failed: {}",
            t.name(),
            c.command,
            c.text()
        ));
    }
    Ok(r)
}

fn line_with<'a>(
    r: &'a BootResult,
    name: &str,
    prefix: &str,
    key: &str,
    val: &str,
) -> Option<&'a str> {
    r.command(name)
        .output
        .iter()
        .find(|l| l.starts_with(prefix) && word(l, key) == Some(val))
        .map(String::as_str)
}

/// `icount`: under [`ICOUNT`] (guest time counts instructions) rather than
/// plain TCG (guest time follows the host's clock).
fn domnodestat(icount: bool) -> Result<(), String> {
    let sizes: Vec<u64> = SIZES.map(|b| 1u64 << b).collect();
    // 2^19 pages = 2 GiB, 512 MiB a node, beside dom0's 512 MiB (placed by
    // Xen, possibly most of it on one node) and Xen itself: 1.5 GiB a node.
    // One CPU: with two, dom0's vCPUs read the pvclock records of two
    // physical CPUs, and Linux holds CLOCK_MONOTONIC at the other's last
    // value until its own catches up (seen: 4 ms standstills).
    let mut t = Topology::nodes(&[(1536, 1), (1536, 0), (1536, 0), (1536, 0)])
        .xen_image(XenImage::Release)
        .xen_arg("bootscrub=off")
        .label(if icount {
            "bench-domnodestat-icount"
        } else {
            "bench-domnodestat"
        });
    if icount {
        t = t.qemu_arg(ICOUNT);
    }
    for (i, &pages) in sizes.iter().enumerate() {
        let domid = i + 1;
        let spread = vec![(pages / NODES as u64).to_string(); NODES].join(" ");
        t = t
            .run(&format!("dom0-testkit mkdom {spread}"))
            .run_named(
                &format!("bench {domid}"),
                &format!("dom0-testkit bench {domid} {REPS}"),
            )
            .run(&format!("dom0-testkit destroy {domid}"));
    }
    eprintln!(
        "domnodestat: booting the patched release Xen with {NODES} NUMA nodes{}; {} domains to build \
         and time...",
        if icount { ", -icount" } else { "" },
        sizes.len()
    );
    let r = boot_ok(&t, Duration::from_secs(1500))?;

    println!("getdomnodestat: the counters, the walk and the 2006 method (one walk call per node)");
    println!(
        "patched Xen (release image, as shipped), {NODES} NUMA nodes, 1 CPU, {REPS} samples of each, interleaved; \
         dom0 TSC (ticks per ns from 0.5 s of CLOCK_MONOTONIC)"
    );
    if icount {
        println!(
            "QEMU TCG with {ICOUNT}: 1 us = 1000 emulated instructions, whatever the host does; \
             instructions, not a real machine's time: only the ratios mean something"
        );
    } else {
        println!(
            "QEMU TCG (emulated CPU, wall time of a shared host): the microseconds are not a real \
             machine's, only the ratios mean something"
        );
    }
    println!(
        "median us per call [spread = (p90-p10)/median], each sample a batch of calls lasting \
         >= 2 ms; null: the same call refused at once (-EINVAL, unknown flag), the path's own \
         cost; ratios: median of the per-rep ratios [p10..p90]\n"
    );
    println!(
        "{:>7} {:>5} {:>6} {:>15} {:>15} {:>17} {:>19} {:>24} {:>18}",
        "pages",
        "MiB",
        "pieces",
        "null (us)",
        "counters (us)",
        "walk (us)",
        "2006, 4 calls (us)",
        "walk/counters",
        "2006/walk"
    );
    let mut goal = None;
    let mut clock = Vec::new();
    for (i, &pages) in sizes.iter().enumerate() {
        let name = format!("bench {}", i + 1);
        let head = r
            .command(&name)
            .output
            .iter()
            .find(|l| l.starts_with("bench "))
            .ok_or_else(|| format!("no bench line for {pages} pages"))?;
        let time = |m: &str| {
            line_with(&r, &name, "time ", "method", m)
                .and_then(|l| Summary::parse(l, "_ns"))
                .ok_or_else(|| format!("no {m} time for {pages} pages"))
        };
        let ratio = |m: &str| {
            line_with(&r, &name, "ratio ", "name", m)
                .and_then(|l| Summary::parse(l, ""))
                .ok_or_else(|| {
                    format!(
                        "no {m} ratio for {pages} pages in:\n{}",
                        r.command(&name).text()
                    )
                })
        };
        let (c, w, p) = (time("counters")?, time("walk")?, time("per_node")?);
        let null = time("null")?;
        if let Some(l) = r
            .command(&name)
            .output
            .iter()
            .find(|l| l.starts_with("clock "))
        {
            clock.push(l.clone());
        }
        let (wc, pw) = (ratio("walk_over_counters")?, ratio("per_node_over_walk")?);
        let us = |s: &Summary| format!("{:.1} [{:.0}%]", s.median / 1e3, s.spread_pct());
        let rr = |s: &Summary| format!("{:.1} [{:.1}..{:.1}]", s.median, s.p10, s.p90);
        println!(
            "{:>7} {:>5} {:>6} {:>15} {:>15} {:>17} {:>19} {:>24} {:>18}",
            pages,
            pages / 256,
            field(head, "pieces").unwrap_or(f64::NAN),
            us(&null),
            us(&c),
            us(&w),
            us(&p),
            rr(&wc),
            rr(&pw)
        );
        if pages == GOAL_SIZE {
            goal = Some(wc);
        }
    }
    let zero = clock
        .iter()
        .filter_map(|l| field(l, "zero_steps"))
        .fold(0.0, f64::max);
    let step = clock
        .iter()
        .filter_map(|l| field(l, "median_ns"))
        .fold(0.0, f64::max);
    let jump = clock
        .iter()
        .filter_map(|l| field(l, "max_ns"))
        .fold(0.0, f64::max);
    println!(
        "\ndom0's CLOCK_MONOTONIC (not used for the times above), 1000 back-to-back reads \
         before each size: up to {zero:.0} reads equal to the one before, median step up to \
         {step:.0} ns, largest step {:.1} us",
        jump / 1e3
    );
    let g = goal.ok_or("no figures for 1 GiB")?;
    println!(
        "walk/counters at 1 GiB (2^18 pages): {:.0}x (per-rep ratios: min {:.0}, p10 {:.0}, \
         p90 {:.0}, max {:.0}; spread {:.0}%); goal >= {GOAL_RATIO:.0}x: {}",
        g.median,
        g.min,
        g.p10,
        g.p90,
        g.max,
        g.spread_pct(),
        if g.p10 >= GOAL_RATIO {
            "met"
        } else if g.median >= GOAL_RATIO {
            "met at the median, not at p10"
        } else {
            "NOT met"
        }
    );
    Ok(())
}

/// Median ns per round of one (op, order) in one boot, and its summary.
fn alloc_figure(r: &BootResult, case: &str, op: &str) -> Result<Summary, String> {
    r.command(case)
        .output
        .iter()
        .find(|l| l.starts_with("time ") && word(l, "op") == Some(op))
        .and_then(|l| Summary::parse(l, "_ns"))
        .ok_or_else(|| format!("{}: no {op} figure for {case}", r.topology.name()))
}

fn alloc(boots: usize) -> Result<(), String> {
    let images = [("stock", XenImage::Stock), ("patched", XenImage::Release)];
    // figures[image][boot][order][op]
    let mut figures: Vec<Vec<Vec<[Summary; 2]>>> = vec![Vec::new(), Vec::new()];
    for b in 0..boots {
        for (i, (name, image)) in images.iter().enumerate() {
            let mut t = Topology::nodes(&[(1024, 1), (1024, 0)])
                .xen_image(image.clone())
                .xen_arg("bootscrub=off")
                .qemu_arg(ICOUNT)
                .label(&format!("bench-alloc-{name}-{}", b + 1));
            for (c, o, bits) in CASES {
                let extra = if bits == 0 {
                    String::new()
                } else {
                    format!(" {bits}")
                };
                t = t.run_named(c, &format!("dom0-testkit allocbench {o} {ROUNDS}{extra}"));
            }
            eprintln!("alloc: boot {} of {boots}, {name} Xen ({ICOUNT})...", b + 1);
            let r = boot_ok(&t, Duration::from_secs(900))?;
            let mut per_order = Vec::new();
            for (c, _, _) in CASES {
                per_order.push([alloc_figure(&r, c, OPS[0])?, alloc_figure(&r, c, OPS[1])?]);
            }
            figures[i].push(per_order);
        }
    }

    println!(
        "allocator: XENMEM_populate_physmap then XENMEM_decrease_reservation, 4096 pages a round"
    );
    println!(
        "(o0: 4096 extents of order 0; o9: 8 of order 9; b30: o0 with XENMEMF_address_bits(30), \
         so the allocator's zone scan starts at zone 17, not 40), node 0, a fresh paused PV domain, {ROUNDS} \
         timed rounds a boot"
    );
    println!(
        "stock Xen 4.17.5 and the patched release image, same config, {boots} boots each, \
         alternated; Xen bootscrub=off; 1 CPU; dom0 TSC"
    );
    println!(
        "QEMU TCG with {ICOUNT}: guest time counts emulated instructions (1 ns each), not host \
         time, so boots compare without host noise; it counts instructions, not cycles (cache \
         and memory effects are not seen)\n"
    );
    println!(
        "{:<16} {:<8} {:>5} {:>14} {:>14} {:>14} {:>8} {:>12}",
        "case", "image", "boot", "min us/round", "median", "max", "spread", "pages/s"
    );
    for (oi, (c, _, _)) in CASES.iter().enumerate() {
        for (pi, op) in OPS.iter().enumerate() {
            for (ii, (name, _)) in images.iter().enumerate() {
                for (b, f) in figures[ii].iter().enumerate() {
                    let s = &f[oi][pi];
                    println!(
                        "{:<16} {:<8} {:>5} {:>14.3} {:>14.3} {:>14.3} {:>7.3}% {:>12.0}",
                        format!("{op} {c}"),
                        name,
                        b + 1,
                        s.min / 1e3,
                        s.median / 1e3,
                        s.max / 1e3,
                        s.spread_pct(),
                        4096.0 * 1e9 / s.median
                    );
                }
            }
        }
    }
    println!(
        "\npatched/stock: ratio of the means of each image's boot medians; \
         range: over every (patched boot, stock boot) pair of boot medians; boot-to-boot: \
         largest (max-min)/min of one image's boot medians"
    );
    println!(
        "{:<16} {:>14} {:>22} {:>14} {:>14}",
        "case", "patched/stock", "range over pairs", "boot-to-boot", "cost <= 1%"
    );
    // The goal (docs/testing.md): what the component costs the allocator,
    // at most 1 % over stock in every (patched, stock) pair of boots, with
    // the measurement's own noise under that. Cheaper than stock meets it.
    // The b30 rows are diagnostic: they isolate the allocation's own cost,
    // where the zone scan the component makes cheaper is short.
    let (mut worst_goal, mut worst_all): (f64, f64) = (f64::MIN, f64::MIN);
    let mut goal_met = true;
    for (oi, (c, _, _)) in CASES.iter().enumerate() {
        for (pi, op) in OPS.iter().enumerate() {
            let medians =
                |ii: usize| -> Vec<f64> { figures[ii].iter().map(|f| f[oi][pi].median).collect() };
            let (sm, pm) = (medians(0), medians(1));
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
            let ratio = mean(&pm) / mean(&sm);
            let pairs: Vec<f64> = pm
                .iter()
                .flat_map(|p| sm.iter().map(move |s| p / s))
                .collect();
            let pr = Summary::of(&pairs).ok_or("no boot pairs")?;
            let b2b = |v: &[f64]| {
                let s = Summary::of(v).map_or((0.0, 0.0), |s| (s.min, s.max));
                (s.1 - s.0) / s.0 * 100.0
            };
            let noise = b2b(&sm).max(b2b(&pm));
            let diagnostic = c.contains("b30");
            let met = pr.max <= 1.01 && noise < 1.0;
            worst_all = worst_all.max(pr.max - 1.0);
            if !diagnostic {
                worst_goal = worst_goal.max(pr.max - 1.0);
                goal_met &= met;
            }
            let verdict = match (met, noise >= 1.0) {
                (_, true) => "noisy",
                (true, _) if pr.max < 1.0 => "met (cheaper)",
                (true, _) => "met",
                (false, _) => "NOT met",
            };
            println!(
                "{:<16} {:>14.5} {:>22} {:>13.4}% {:>14}{}",
                format!("{op} {c}"),
                ratio,
                format!("{:.5}..{:.5}", pr.min, pr.max),
                noise,
                verdict,
                if diagnostic { "  (diagnostic)" } else { "" }
            );
        }
    }
    println!(
        "\nlargest cost over stock in any pair of boots: populate and decrease at orders 0 and 9 \
         {:+.3}% (goal <= 1%: {}); with the b30 rows {:+.3}%",
        worst_goal * 100.0,
        if goal_met { "met" } else { "NOT met" },
        worst_all * 100.0
    );
    Ok(())
}

fn main() -> ExitCode {
    let mut parts = Vec::new();
    let mut boots = 2usize;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "domnodestat" | "alloc" => parts.push(a),
            _ => match a.strip_prefix("--boots=").and_then(|n| n.parse().ok()) {
                Some(n) if n >= 1 => boots = n,
                _ => {
                    eprintln!("usage: xen-numastat-bench [domnodestat] [alloc] [--boots=N (>= 1)]");
                    return ExitCode::from(2);
                }
            },
        }
    }
    if parts.is_empty() {
        parts = vec!["domnodestat".into(), "alloc".into()];
    }
    for p in &parts {
        let res = if p == "domnodestat" {
            domnodestat(true).and_then(|()| {
                println!();
                domnodestat(false)
            })
        } else {
            alloc(boots)
        };
        if let Err(e) = res {
            return fail(e);
        }
        println!();
    }
    ExitCode::SUCCESS
}
