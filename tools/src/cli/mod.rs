// SPDX-License-Identifier: GPL-2.0-only
//! The `xen-numastat` command: arguments, hypercalls, output, exit code.

pub mod args;
pub mod exit;
pub mod render;

use args::{Command, DomainQuery, Format};
use exit::{exit_code, EXIT_CODES, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE};
use render::Report;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{ErrorKind, Write};
use xen_numastat_abi::{DomId, XenDomctlGetdomaininfo};
use xen_numastat_tools::{DomNodeStat, DomainSel, Error, Result, Xen};

/// Program name in messages.
pub const PROG: &str = "xen-numastat";

/// `--help` text before the exit code table.
pub const USAGE: &str = "\
Usage: xen-numastat [-p] [-H] [-d DOMID|all|free]... [--format=table|seed]
       xen-numastat -h | --help

Free memory of a Xen host by NUMA node and buddy allocator zone, and where
each domain's memory is, read from the hypervisor through /dev/xen/privcmd.
Run it as root in dom0 of a Xen 4.17 with the xen-numastat patches (-p also
works on a stock Xen 4.17).

Views (combine them; with none, -p and -H are shown; order: -p, -H, free
pages, domains):
  -p, --physinfo     nodes online, CPUs, total and free memory of the host
                     (XEN_SYSCTL_physinfo)
  -H, --heap         free pages of Xen's heap by zone and node, all from one
                     XEN_SYSCTL_numa_availheap call (one snapshot)
  -d, --domain DOMID the pages of domain DOMID (0 to 32751) on each node,
                     from one XEN_SYSCTL_numa_getdomnodestat call (one walk of
                     the domain's page lists); repeat -d for more domains
  -d all             the same for every domain (XEN_SYSCTL_getdomaininfolist);
                     a domain destroyed meanwhile is left out, with a note on
                     stderr
  -d free            the free pages of each node, counted the same way (the
                     2006 tool's domain -1)

Output:
  --format=table     for people (default): totals in pages and MiB, then a
                     table of free pages, one row per zone that has free
                     pages (zone number and machine address range; zone 0 is
                     the Xen heap), one column per online node, with totals;
                     for -d, one row per domain: domid, tot_pages, its pages
                     on page_list per online node and in total, then its Xen
                     heap pages (xenpage_list) and extra pages
                     (extra_page_list), and a Total row
  --format=seed      the 2006 xen_numastat lines, for scripts:
                       PHYSINFO: NR_NODES: <n>
                       HEAPINFO: TOTAL_FREE_PAGES: <pages>
                       HEAPINFO: NR_ZONES: <n>
                       HEAPINFO: NR_NODES: <n>
                       HEAPINFO: ZONE_<zone>: NODE<node>: FREE_PAGES: <pages>
                       DOM<domid>: NODE<node>: PAGES: <pages>
                     (ZONE_ lines for every zone and online node; DOM lines
                     for every domain and online node, pages = page_list +
                     xenpage_list on that node; -d free prints DOM-1 lines)
  -h, --help         print this text

Short flags can be bundled (-pH, -pd 0, -d0). Errors are one line on stderr,
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

/// The views of one command line.
#[derive(Clone, Debug)]
struct Views {
    physinfo: bool,
    heap: bool,
    domains: DomainQuery,
}

/// Where `-d` gets its answers: the hypervisor, or recorded ones in tests.
trait DomainSource {
    /// `XEN_SYSCTL_getdomaininfolist`: every domain.
    fn list(&self) -> Result<Vec<XenDomctlGetdomaininfo>>;
    /// `XEN_SYSCTL_numa_getdomnodestat` of `domid`, every node, one call.
    fn stat(&self, domid: DomId) -> Result<DomNodeStat>;
}

impl DomainSource for Xen {
    fn list(&self) -> Result<Vec<XenDomctlGetdomaininfo>> {
        self.getdomaininfolist()
    }

    fn stat(&self, domid: DomId) -> Result<DomNodeStat> {
        self.numa_getdomnodestat(DomainSel::Domain(domid), None, true)
    }
}

/// getdomnodestat of every domain asked for, one call each, ascending ids.
/// Domains that `-d all` listed but that are dying, or gone by the time
/// they are asked about, are left out with a line in `notes`; a domain
/// named on the command line that does not exist is an error.
fn fetch_domains(
    src: &impl DomainSource,
    q: &DomainQuery,
    notes: &mut Vec<String>,
) -> Result<Vec<DomNodeStat>> {
    // Domain id -> whether only `-d all` asked for it.
    let mut ids: BTreeMap<DomId, bool> = q.ids.iter().map(|&d| (d, false)).collect();
    if q.all {
        for info in src.list()? {
            if info.is_dying() && !q.ids.contains(&info.domain) {
                notes.push(format!(
                    "domain {} is being destroyed; left out",
                    info.domain
                ));
                continue;
            }
            ids.entry(info.domain).or_insert(true);
        }
    }
    let mut stats = Vec::with_capacity(ids.len());
    for (domid, listed) in ids {
        match src.stat(domid) {
            Ok(st) => stats.push(st),
            Err(Error::NoSuchDomain { .. }) if listed => notes.push(format!(
                "domain {domid} went away after it was listed; left out"
            )),
            Err(e) => return Err(e),
        }
    }
    Ok(stats)
}

fn fetch(views: &Views, notes: &mut Vec<String>) -> Result<Report> {
    let xen = Xen::open()?;
    let physinfo = if views.physinfo {
        Some(xen.physinfo()?)
    } else {
        None
    };
    let heap = if views.heap {
        let h = xen.numa_availheap(None, None, true)?;
        h.check()?;
        Some(h)
    } else {
        None
    };
    let free = if views.domains.free {
        Some(xen.numa_getdomnodestat(DomainSel::Free, None, true)?)
    } else {
        None
    };
    let domains = if views.domains.wants_domains() {
        Some(fetch_domains(&xen, &views.domains, notes)?)
    } else {
        None
    };
    Ok(Report {
        physinfo,
        heap,
        free,
        domains,
    })
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
    let (views, format): (Views, Format) = match args::parse(args) {
        Ok(Command::Help) => return emit(out, err, &help()),
        Ok(Command::Show {
            physinfo,
            heap,
            domains,
            format,
        }) => (
            Views {
                physinfo,
                heap,
                domains,
            },
            format,
        ),
        Err(e) => {
            let _ = writeln!(err, "{PROG}: {e}; run '{PROG} --help' for usage");
            return EXIT_USAGE;
        }
    };
    let mut notes = Vec::new();
    let fetched = fetch(&views, &mut notes);
    for note in &notes {
        let _ = writeln!(err, "{PROG}: note: {note}");
    }
    match fetched {
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
            "-d, --domain DOMID",
            "-d all",
            "-d free",
            "DOM<domid>: NODE<node>: PAGES: <pages>",
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
        for args in [
            &["-x"][..],
            &["-H", "now"],
            &["--format=xml"],
            &["-d", "abc"],
            &["-d", "-1"],
            &["-p", "-d", "32752"],
            &["-d", "4294967296"],
            &["-d", "all", "-d"],
        ] {
            let (code, out, err) = run_args(args);
            assert_eq!(code, EXIT_USAGE, "{args:?}");
            assert!(out.is_empty());
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.starts_with("xen-numastat: "), "{err}");
            assert!(err.contains("; run 'xen-numastat --help'"), "{err}");
        }
    }

    /// Recorded domains: ids listed by getdomaininfolist (`true`: dying),
    /// and those getdomnodestat answers for; counts the stat calls.
    struct Recorded {
        listed: Vec<(DomId, bool)>,
        present: Vec<DomId>,
        calls: std::cell::RefCell<Vec<DomId>>,
    }

    impl DomainSource for Recorded {
        fn list(&self) -> Result<Vec<XenDomctlGetdomaininfo>> {
            Ok(self
                .listed
                .iter()
                .map(|&(domain, dying)| XenDomctlGetdomaininfo {
                    domain,
                    flags: if dying {
                        xen_numastat_abi::XEN_DOMINF_DYING
                    } else {
                        0
                    },
                    ..Default::default()
                })
                .collect())
        }

        fn stat(&self, domid: DomId) -> Result<DomNodeStat> {
            self.calls.borrow_mut().push(domid);
            if !self.present.contains(&domid) {
                return Err(Error::NoSuchDomain {
                    op: xen_numastat_tools::Op::Sysctl(
                        xen_numastat_abi::XEN_SYSCTL_NUMA_GETDOMNODESTAT,
                    ),
                    domid: u32::from(domid),
                });
            }
            let out = xen_numastat_abi::XenSysctlNumaGetdomnodestat {
                tot_pages: u64::from(domid),
                ..Default::default()
            };
            DomNodeStat::from_raw(DomainSel::Domain(domid), None, &out, None)
        }
    }

    fn query(all: bool, ids: &[DomId]) -> DomainQuery {
        DomainQuery {
            all,
            free: false,
            ids: ids.iter().copied().collect(),
        }
    }

    #[test]
    fn dash_d_all_skips_domains_that_went_away() {
        // 2 is dying when listed; 3 is destroyed between list and stat.
        let src = Recorded {
            listed: vec![(0, false), (1, false), (2, true), (3, false)],
            present: vec![0, 1],
            calls: Default::default(),
        };
        let mut notes = Vec::new();
        let stats = fetch_domains(&src, &query(true, &[]), &mut notes).unwrap();
        let got: Vec<_> = stats.iter().map(|s| s.domain).collect();
        assert_eq!(got, [DomainSel::Domain(0), DomainSel::Domain(1)]);
        assert_eq!(
            notes,
            [
                "domain 2 is being destroyed; left out",
                "domain 3 went away after it was listed; left out"
            ]
        );
        // One getdomnodestat per domain asked about, none for the dying one.
        assert_eq!(*src.calls.borrow(), [0, 1, 3]);
    }

    #[test]
    fn a_named_domain_that_is_gone_is_an_error() {
        let src = Recorded {
            listed: vec![(0, false), (3, true)],
            present: vec![0],
            calls: Default::default(),
        };
        let mut notes = Vec::new();
        // Named with -d 3, even together with -d all: exit 7, not a note.
        let err = fetch_domains(&src, &query(true, &[3]), &mut notes).unwrap_err();
        assert_eq!(exit::exit_code(&err), exit::EXIT_NO_DOMAIN);
        assert_eq!(err.to_string(), "no domain 3");
        assert!(notes.is_empty());
        // Duplicates are asked once; ascending order.
        let src = Recorded {
            listed: vec![(0, false), (5, false)],
            present: vec![0, 5],
            calls: Default::default(),
        };
        fetch_domains(&src, &query(true, &[5, 0]), &mut notes).unwrap();
        assert_eq!(*src.calls.borrow(), [0, 5]);
    }

    #[test]
    fn exit_code_7_is_in_help() {
        let (_, out, _) = run_args(&["--help"]);
        assert!(out.contains(
            "\n  7  no such domain (-d DOMID): list domains with `xen-numastat -d all`\n"
        ));
    }

    #[test]
    fn format_is_not_a_view() {
        // --format alone still shows both views.
        assert_eq!(
            args::parse(vec!["--format=seed".into()]),
            Ok(Command::Show {
                physinfo: true,
                heap: true,
                domains: DomainQuery::default(),
                format: args::Format::Seed
            })
        );
    }
}
