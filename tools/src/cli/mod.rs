// SPDX-License-Identifier: GPL-2.0-only
//! The `xen-numastat` command: arguments, hypercalls, output, exit code.

pub mod args;
pub mod exit;
pub mod render;

use args::Command;
use exit::{exit_code, EXIT_CODES, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE};
use render::Report;
use std::ffi::OsString;
use std::io::{ErrorKind, Write};
use xen_numastat_tools::{Result, Xen};

/// Program name in messages.
pub const PROG: &str = "xen-numastat";

/// `--help` text before the exit code table.
pub const USAGE: &str = "\
Usage: xen-numastat [-p] [-H] [--format=table|seed]
       xen-numastat -h | --help

Free memory of a Xen host by NUMA node and buddy allocator zone, read from
the hypervisor through /dev/xen/privcmd. Run it as root in dom0 of a Xen
4.17 with the xen-numastat patches (-p also works on a stock Xen 4.17).

Views (combine them; with neither, both are shown, -p first):
  -p, --physinfo     nodes online, CPUs, total and free memory of the host
                     (XEN_SYSCTL_physinfo)
  -H, --heap         free pages of Xen's heap by zone and node, all from one
                     XEN_SYSCTL_numa_availheap call (one snapshot)

Output:
  --format=table     for people (default): totals in pages and MiB, then a
                     table of free pages, one row per zone that has free
                     pages (zone number and machine address range; zone 0 is
                     the Xen heap), one column per online node, with totals
  --format=seed      the 2006 xen_numastat lines, for scripts:
                       PHYSINFO: NR_NODES: <n>
                       HEAPINFO: TOTAL_FREE_PAGES: <pages>
                       HEAPINFO: NR_ZONES: <n>
                       HEAPINFO: NR_NODES: <n>
                       HEAPINFO: ZONE_<zone>: NODE<node>: FREE_PAGES: <pages>
                     (the last line for every zone and every online node)
  -h, --help         print this text

Short flags can be bundled (-pH). Errors are one line on stderr,
\"xen-numastat: <what happened>; <what to do>\".
";

/// The full `--help` text, exit codes included.
pub fn help() -> String {
    let mut s = String::from(USAGE);
    s.push_str("\nExit status:\n");
    for (code, what) in EXIT_CODES {
        s.push_str(&format!("  {code}  {what}\n"));
    }
    s
}

fn fetch(physinfo: bool, heap: bool) -> Result<Report> {
    let xen = Xen::open()?;
    let physinfo = if physinfo {
        Some(xen.physinfo()?)
    } else {
        None
    };
    let heap = if heap {
        let h = xen.numa_availheap(None, None, true)?;
        h.check()?;
        Some(h)
    } else {
        None
    };
    Ok(Report { physinfo, heap })
}

fn emit(out: &mut dyn Write, err: &mut dyn Write, text: &str) -> u8 {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => EXIT_OK,
        // The reader went away (| head): nothing left to tell anyone.
        Err(e) if e.kind() == ErrorKind::BrokenPipe => EXIT_INTERNAL,
        Err(e) => {
            let _ = writeln!(
                err,
                "{PROG}: cannot write the output ({e}); check where standard output goes"
            );
            EXIT_INTERNAL
        }
    }
}

/// Runs the command line `args` (without the program name); returns the
/// exit code.
pub fn run(args: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let (physinfo, heap, format) = match args::parse(args) {
        Ok(Command::Help) => return emit(out, err, &help()),
        Ok(Command::Show {
            physinfo,
            heap,
            format,
        }) => (physinfo, heap, format),
        Err(e) => {
            let _ = writeln!(err, "{PROG}: {e}; run '{PROG} --help' for usage");
            return EXIT_USAGE;
        }
    };
    match fetch(physinfo, heap) {
        Ok(report) => emit(out, err, &render::render(&report, format)),
        Err(e) => {
            let _ = writeln!(err, "{PROG}: {e}; {}", e.hint());
            exit_code(&e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_args(args: &[&str]) -> (u8, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(
            args.iter().map(OsString::from).collect(),
            &mut out,
            &mut err,
        );
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn help_lists_flags_and_every_exit_code() {
        let (code, out, err) = run_args(&["--help"]);
        assert_eq!(code, EXIT_OK);
        assert!(err.is_empty());
        for flag in [
            "-p,",
            "-H,",
            "--format=table",
            "--format=seed",
            "-h, --help",
        ] {
            assert!(out.contains(flag), "{flag}");
        }
        for (code, what) in EXIT_CODES {
            assert!(out.contains(&format!("\n  {code}  {what}\n")), "{code}");
        }
    }

    #[test]
    fn usage_errors_exit_2_with_one_line_before_any_hypercall() {
        for args in [&["-x"][..], &["-H", "now"], &["--format=xml"]] {
            let (code, out, err) = run_args(args);
            assert_eq!(code, EXIT_USAGE, "{args:?}");
            assert!(out.is_empty());
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.starts_with("xen-numastat: "), "{err}");
            assert!(err.contains("; run 'xen-numastat --help'"), "{err}");
        }
    }

    #[test]
    fn format_is_not_a_view() {
        // --format alone still shows both views.
        assert_eq!(
            args::parse(vec!["--format=seed".into()]),
            Ok(Command::Show {
                physinfo: true,
                heap: true,
                format: args::Format::Seed
            })
        );
    }
}
