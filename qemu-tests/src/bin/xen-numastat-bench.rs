// SPDX-License-Identifier: GPL-2.0-only
//! Benchmark of XEN_SYSCTL_numa_getdomnodestat against the 2006 method.
//!
//! Boots the patched Xen in QEMU with four NUMA nodes, builds domains of 2^12
//! to 2^18 pages spread evenly over the nodes (dom0-testkit mkdom), and for
//! each times, in dom0, calls of the one-walk form (node = -1: one walk of
//! the domain's lists answers every node) against rounds of the 2006 method
//! (one call per node, each walking the whole list). Prints a table. The
//! times are of an emulated CPU (QEMU TCG): read the ratio, not the
//! microseconds. `make bench` runs it.

use std::process::ExitCode;
use std::time::Duration;

use xen_numastat_qemu_tests::{boot, Topology};

const NODES: usize = 4;
const REPS: u32 = 10;

fn field(line: &str, key: &str) -> Option<f64> {
    line.split_whitespace()
        .filter_map(|w| w.split_once('='))
        .find(|(k, _)| *k == key)
        .and_then(|(_, v)| v.parse().ok())
}

fn main() -> ExitCode {
    let sizes: Vec<u64> = (12..=18).map(|b| 1u64 << b).collect();
    let mut t =
        Topology::nodes(&[(1024, 1), (1024, 1), (1024, 0), (1024, 0)]).label("bench-domnodestat");
    for (i, &pages) in sizes.iter().enumerate() {
        let domid = i + 1;
        let per_node = pages / NODES as u64;
        let spread = vec![per_node.to_string(); NODES].join(" ");
        t = t
            .run(&format!("dom0-testkit mkdom {spread}"))
            .run_named(
                &format!("bench {domid}"),
                &format!("dom0-testkit bench {domid} {REPS}"),
            )
            .run_named(
                &format!("stat {domid}"),
                &format!("dom0-testkit domnodestat {domid} -1"),
            )
            .run(&format!("dom0-testkit destroy {domid}"));
    }
    eprintln!(
        "booting Xen with {NODES} NUMA nodes; {} domains to build and time...",
        sizes.len()
    );
    let r = match boot(&t, Duration::from_secs(900)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("xen-numastat-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !r.failed_commands().is_empty() {
        for c in r.failed_commands() {
            eprintln!("xen-numastat-bench: `{}` failed: {:?}", c.command, c.output);
        }
        return ExitCode::FAILURE;
    }

    println!("getdomnodestat: one walk for all nodes vs the 2006 method (one walk per node)");
    println!("QEMU TCG, {NODES} NUMA nodes, {REPS} calls/rounds each; times from CLOCK_MONOTONIC in dom0\n");
    println!(
        "{:>8} {:>8} {:>7} {:>15} {:>20} {:>7}",
        "pages", "MiB", "pieces", "one walk (us)", "2006, 4 calls (us)", "ratio"
    );
    for (i, &pages) in sizes.iter().enumerate() {
        let domid = i + 1;
        let bench = r
            .command(&format!("bench {domid}"))
            .output
            .iter()
            .find(|l| l.starts_with("bench "));
        let stat = r.command(&format!("stat {domid}")).output.first();
        let (Some(b), Some(s)) = (bench, stat) else {
            eprintln!("xen-numastat-bench: no figures for {pages} pages");
            return ExitCode::FAILURE;
        };
        let (Some(one), Some(per), Some(ratio), Some(pieces)) = (
            field(b, "one_walk_ns"),
            field(b, "per_node_ns"),
            field(b, "ratio"),
            field(s, "pieces"),
        ) else {
            eprintln!("xen-numastat-bench: cannot read {b:?} / {s:?}");
            return ExitCode::FAILURE;
        };
        println!(
            "{:>8} {:>8} {:>7} {:>15.0} {:>20.0} {:>7.2}",
            pages,
            pages / 256,
            pieces,
            one / 1000.0,
            per / 1000.0,
            ratio
        );
    }
    ExitCode::SUCCESS
}
