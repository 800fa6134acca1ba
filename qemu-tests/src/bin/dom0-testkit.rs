// SPDX-License-Identifier: GPL-2.0-only
//! `dom0-testkit`: the dom0 half of the QEMU tests. Each subcommand makes
//! raw hypercalls through the tools library and prints `key=value` lines
//! the host parses; see [`USAGE`].
//!
//! `availheap` and `heapwalk` pass their arguments to the hypervisor as
//! given (invalid ones included: that is the point) and report Xen's answer
//! as `rc=`; they exit 0 once the hypercall was made. Everything else exits
//! 1 on any failure, 2 on a bad command line.
#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;
use xen_numastat_abi::{XenSysctlNumaAvailheap, XenSysctlNumaHeapwalk, NR_ZONES};
use xen_numastat_tools::{Error, Result, Xen};

const PROG: &str = "dom0-testkit";

const USAGE: &str = "\
Usage: dom0-testkit <command>
  keys <KEYS>            drain Xen's console ring, press the debug keys KEYS,
                         print what they logged as 'xen| <line>' lines
  availheap <zone> <node> [pad]
                         raw XEN_SYSCTL_numa_availheap, no counts buffer:
                         rc= zone= node= nr_zones= nr_nodes= pages=
  matrix                 availheap(-1, -1) with counts: nr_zones=, nr_nodes=,
                         pages=, then 'count node= zone= pages=' per online
                         node and zone ('offline node=' per offline node id)
  heapwalk <node> <zone> 'walk node= zone= pages= chunks= counter= rc='
  heapwalk-all           the same for every online node (numainfo) and zone
  numainfo               'node= memsize= memfree=' per online node (bytes)
  physinfo               nr_nodes= max_node_id= nr_cpus= total_pages= free_pages=
Numbers are decimal, may be negative, and are sent as their 32-bit pattern.
";

/// Exit codes.
const EXIT_FAILURE: u8 = 1;
const EXIT_USAGE: u8 = 2;

enum Failure {
    Usage(String),
    Xen(Error),
    /// The output is already printed; some rc was not 0.
    Reported,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self::Xen(e)
    }
}

/// Parses a decimal in `i32::MIN..=u32::MAX` into its 32-bit pattern, so
/// both `-1` and `4294967295` reach Xen as 0xffffffff.
fn parse_u32_bits(what: &str, s: &str) -> core::result::Result<u32, Failure> {
    match s.parse::<i64>() {
        Ok(v) if (i64::from(i32::MIN)..=i64::from(u32::MAX)).contains(&v) => Ok(v as u32),
        _ => Err(Failure::Usage(format!(
            "{what} '{s}' is not a 32-bit decimal number"
        ))),
    }
}

/// `rc=0` or `rc=-<errno>`; an error that is not the hypervisor's fails.
fn rc_of(result: Result<()>) -> core::result::Result<i32, Failure> {
    match result {
        Ok(()) => Ok(0),
        Err(e) => match e.xen_errno() {
            Some(errno) => Ok(-errno.get()),
            None => Err(Failure::Xen(e)),
        },
    }
}

fn keys(xen: &Xen, keys: &str, out: &mut String) -> Result<()> {
    xen.read_console_all()?;
    xen.debug_keys(keys)?;
    let log = xen.read_console_all()?;
    for line in String::from_utf8_lossy(&log).lines() {
        let _ = writeln!(out, "xen| {line}");
    }
    Ok(())
}

fn availheap_raw(
    xen: &Xen,
    zone: u32,
    node: u32,
    pad: u32,
    out: &mut String,
) -> core::result::Result<(), Failure> {
    let mut ah = XenSysctlNumaAvailheap {
        zone: zone as i32,
        node: node as i32,
        pad,
        ..Default::default()
    };
    let rc = rc_of(xen.sysctl_in_place(&mut ah))?;
    let _ = writeln!(
        out,
        "rc={rc} zone={} node={} nr_zones={} nr_nodes={} pages={}",
        zone as i32, node as i32, ah.nr_zones, ah.nr_nodes, ah.pages
    );
    Ok(())
}

fn matrix(xen: &Xen, out: &mut String) -> Result<()> {
    let ah = xen.numa_availheap(None, None, true)?;
    let _ = writeln!(out, "nr_zones={}", ah.nr_zones);
    let _ = writeln!(out, "nr_nodes={}", ah.nr_nodes);
    let _ = writeln!(out, "pages={}", ah.pages);
    if let Some(c) = &ah.counts {
        for row in c.rows() {
            match &row.pages {
                None => {
                    let _ = writeln!(out, "offline node={}", row.node);
                }
                Some(pages) => {
                    for (zone, p) in c.zones().iter().zip(pages) {
                        let _ = writeln!(out, "count node={} zone={zone} pages={p}", row.node);
                    }
                }
            }
        }
    }
    Ok(())
}

/// One heapwalk line; returns its rc.
fn heapwalk(
    xen: &Xen,
    node: u32,
    zone: u32,
    out: &mut String,
) -> core::result::Result<i32, Failure> {
    let mut hw = XenSysctlNumaHeapwalk {
        node,
        zone,
        ..Default::default()
    };
    let rc = rc_of(xen.sysctl_in_place(&mut hw))?;
    let _ = writeln!(
        out,
        "walk node={} zone={} pages={} chunks={} counter={} rc={rc}",
        node as i32, zone as i32, hw.pages, hw.chunks, hw.counter
    );
    Ok(rc)
}

fn heapwalk_all(xen: &Xen, out: &mut String) -> core::result::Result<(), Failure> {
    let nodes: Vec<u32> = xen.numainfo()?.online_nodes().collect();
    let mut failed = false;
    for node in nodes {
        for zone in 0..NR_ZONES as u32 {
            failed |= heapwalk(xen, node, zone, out)? != 0;
        }
    }
    if failed {
        return Err(Failure::Reported);
    }
    Ok(())
}

fn numainfo(xen: &Xen, out: &mut String) -> Result<()> {
    let ni = xen.numainfo()?;
    for node in ni.online_nodes() {
        if let Some(m) = ni.meminfo.get(node as usize) {
            let _ = writeln!(
                out,
                "node={node} memsize={} memfree={}",
                m.memsize, m.memfree
            );
        }
    }
    Ok(())
}

fn physinfo(xen: &Xen, out: &mut String) -> Result<()> {
    let p = xen.physinfo()?;
    let _ = writeln!(
        out,
        "nr_nodes={} max_node_id={} nr_cpus={} total_pages={} free_pages={}",
        p.nr_nodes, p.max_node_id, p.nr_cpus, p.total_pages, p.free_pages
    );
    Ok(())
}

fn run(args: &[String], out: &mut String) -> core::result::Result<(), Failure> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    // Check the command line completely before opening anything.
    enum Cmd<'a> {
        Keys(&'a str),
        Availheap(u32, u32, u32),
        Matrix,
        Heapwalk(u32, u32),
        HeapwalkAll,
        Numainfo,
        Physinfo,
    }
    let cmd = match words[..] {
        ["keys", k] => Cmd::Keys(k),
        ["availheap", z, n] => {
            Cmd::Availheap(parse_u32_bits("zone", z)?, parse_u32_bits("node", n)?, 0)
        }
        ["availheap", z, n, pad] => Cmd::Availheap(
            parse_u32_bits("zone", z)?,
            parse_u32_bits("node", n)?,
            parse_u32_bits("pad", pad)?,
        ),
        ["matrix"] => Cmd::Matrix,
        ["heapwalk", n, z] => Cmd::Heapwalk(parse_u32_bits("node", n)?, parse_u32_bits("zone", z)?),
        ["heapwalk-all"] => Cmd::HeapwalkAll,
        ["numainfo"] => Cmd::Numainfo,
        ["physinfo"] => Cmd::Physinfo,
        _ => {
            return Err(Failure::Usage(format!(
                "bad command line '{}'",
                words.join(" ")
            )))
        }
    };
    let xen = Xen::open()?;
    match cmd {
        Cmd::Keys(k) => keys(&xen, k, out)?,
        Cmd::Availheap(z, n, pad) => availheap_raw(&xen, z, n, pad, out)?,
        Cmd::Matrix => matrix(&xen, out)?,
        Cmd::Heapwalk(n, z) => {
            heapwalk(&xen, n, z, out)?;
        }
        Cmd::HeapwalkAll => heapwalk_all(&xen, out)?,
        Cmd::Numainfo => numainfo(&xen, out)?,
        Cmd::Physinfo => physinfo(&xen, out)?,
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut args = Vec::new();
    for arg in std::env::args_os().skip(1) {
        match arg.into_string() {
            Ok(a) => args.push(a),
            Err(a) => {
                eprintln!("{PROG}: argument {a:?} is not UTF-8; see the usage below\n{USAGE}");
                return ExitCode::from(EXIT_USAGE);
            }
        }
    }
    let mut out = String::new();
    let result = run(&args, &mut out);
    // Print what was gathered even when a later step failed.
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush());
    let code = match result {
        Ok(()) => 0,
        Err(Failure::Usage(what)) => {
            eprintln!("{PROG}: {what}; see the usage below\n{USAGE}");
            EXIT_USAGE
        }
        Err(Failure::Xen(e)) => {
            eprintln!("{PROG}: {e}; {}", e.hint());
            EXIT_FAILURE
        }
        Err(Failure::Reported) => {
            eprintln!("{PROG}: some calls failed (rc != 0 above); see their lines");
            EXIT_FAILURE
        }
    };
    if let Err(e) = written {
        eprintln!("{PROG}: cannot write the output ({e}); check standard output");
        return ExitCode::from(EXIT_FAILURE);
    }
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_reach_xen_as_32_bit_patterns() {
        assert_eq!(parse_u32_bits("zone", "-1").ok(), Some(u32::MAX));
        assert_eq!(parse_u32_bits("zone", "4294967295").ok(), Some(u32::MAX));
        assert_eq!(
            parse_u32_bits("zone", "-2147483648").ok(),
            Some(0x8000_0000)
        );
        assert_eq!(parse_u32_bits("zone", "41").ok(), Some(41));
        assert!(parse_u32_bits("zone", "4294967296").is_err());
        assert!(parse_u32_bits("zone", "0x10").is_err());
    }

    #[test]
    fn bad_command_lines_are_refused_before_opening_privcmd() {
        for args in [
            &["availheap", "1"][..],
            &["availheap", "1", "2", "3", "4"],
            &["heapwalk", "x", "0"],
            &["keys"],
            &["nope"],
        ] {
            let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            let mut out = String::new();
            assert!(matches!(run(&args, &mut out), Err(Failure::Usage(_))));
            assert!(out.is_empty());
        }
    }
}
