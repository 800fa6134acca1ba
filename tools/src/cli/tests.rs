// SPDX-License-Identifier: GPL-2.0-only
//! The command end to end on recorded hypercall answers: a patched and a
//! stock Xen, a wide host (8 nodes, 200 domains), every format parsed back
//! and compared with the table; and the flag lists of `--help`, the man
//! page and the shell completions against each other.

use super::args::{DomainQuery, TableOptions};
use super::exit::{self, EXIT_CODES, EXIT_NEEDS_PATCHED, EXIT_NO_DOMAIN};
use super::model::Domain;
use super::sample::fetch_domains;
use super::*;
use std::cell::RefCell;
use std::collections::BTreeMap;
use xen_numastat_abi::{
    DomId, XenDomctlGetdomaininfo, XenNumaNodePages, XenSysctlCputopo, XenSysctlMeminfo,
    XenSysctlNumaGetdomnodestat, XenSysctlPhysinfo, MAX_NUMNODES, NR_ZONES, XEN_DOMINF_DYING,
    XEN_SYSCTL_NUMA_AVAILHEAP, XEN_SYSCTL_NUMA_GETDOMNODESTAT,
};
use xen_numastat_tools::{
    xenstore, Availheap, DmaWidth, DomNodeStat, DomainSel, Errno, Error, HeapCounts, NumaInfo, Op,
    Result,
};

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

/// A recorded host: nodes (all online, ids 0..), CPUs, domains.
struct Host {
    stock: bool,
    /// Per node: memsize pages, and free pages per zone.
    nodes: Vec<(u64, Vec<(usize, u64)>)>,
    /// Node of each CPU.
    cpus: Vec<u32>,
    /// (domid, page_list per node, dying, affinity).
    domains: Vec<(DomId, Vec<u64>, bool, Vec<u32>)>,
    /// Ids that vanish between list and stat.
    vanishing: Vec<DomId>,
    /// Ids whose counters Xen marked inconsistent: their counters answer is
    /// 7 pages high on the domain's biggest node and says so; a walk gives
    /// the truth.
    inconsistent: Vec<DomId>,
    /// Ids whose counters are 3 pages low on their biggest node without a
    /// mark, as while pages are in flight: only a walk shows it.
    drifting: Vec<DomId>,
    dma: DmaWidth,
    /// xenstored, as the toolstack runs it.
    xenstored: Xenstored,
    /// Ids Xen has but xenstore has no name for: `xl create` before it
    /// writes the name, or a domain built with raw domctls.
    unnamed: Vec<DomId>,
    /// Ids `xl destroy` takes away after their getdomnodestat: the
    /// toolstack removes `/local/domain/<id>` first (libxl's
    /// devices_destroy_cb), so the name lookup finds none, and Xen has
    /// freed the domain by the time it is asked again.
    destroyed_at_names: Vec<DomId>,
    /// The same, but Xen still holds the domain, dying (relinquishing
    /// its memory) when asked again.
    dying_at_names: Vec<DomId>,
    /// The names were read (the moment the two lists above take effect).
    names_read: std::cell::Cell<bool>,
    calls: RefCell<Vec<String>>,
}

/// The xenstored of a [`Host`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Xenstored {
    /// Names as `xl list` shows them: `Domain-0`, `guest<domid>`.
    Running,
    /// A dom0 without a toolstack (the busybox dom0 of the QEMU tests):
    /// no socket, and in dom0 the xenbus device is not tried.
    NotRunning,
    /// Accepted the connection and never answered.
    Hung,
}

impl Host {
    fn new(nodes: usize, domains: usize) -> Self {
        // Node n: 1 GiB at [n GiB, n+1 GiB): zone 19 + n for n < 22.
        let nodes = (0..nodes)
            .map(|n| {
                let zone = (19 + n).min(NR_ZONES - 1);
                (262_144, vec![(zone, 100_000 + 1000 * n as u64)])
            })
            .collect::<Vec<_>>();
        let nr = nodes.len();
        Self {
            stock: false,
            cpus: (0..nr as u32 * 2).map(|c| c / 2).collect(),
            domains: (0..domains as DomId)
                .map(|d| {
                    let pages = (0..nr)
                        .map(|n| {
                            if (d as usize + n) % 3 == 0 {
                                256 * (d as u64 + 1)
                            } else {
                                0
                            }
                        })
                        .collect();
                    (d, pages, false, vec![d as u32 % nr as u32])
                })
                .collect(),
            nodes,
            vanishing: vec![],
            inconsistent: vec![],
            drifting: vec![],
            dma: DmaWidth::Bits(28),
            xenstored: Xenstored::Running,
            unnamed: vec![],
            destroyed_at_names: vec![],
            dying_at_names: vec![],
            names_read: std::cell::Cell::new(false),
            calls: RefCell::new(vec![]),
        }
    }

    /// The toolstack destroyed `d` during the name lookup.
    fn destroyed(&self, d: DomId) -> bool {
        self.names_read.get() && self.destroyed_at_names.contains(&d)
    }

    fn free(&self, n: usize) -> u64 {
        self.nodes[n].1.iter().map(|z| z.1).sum()
    }

    fn missing(&self, cmd: u32) -> Error {
        Error::NumastatMissing {
            cmd,
            errno: Errno::new(libc::ENOSYS),
        }
    }

    fn matrix(&self) -> Availheap {
        let mut raw = vec![0u64; self.nodes.len() * NR_ZONES];
        for (n, (_, zones)) in self.nodes.iter().enumerate() {
            for &(z, p) in zones {
                raw[n * NR_ZONES + z] = p;
            }
        }
        let counts = HeapCounts::from_raw(None, None, NR_ZONES as u32, &raw).unwrap();
        Availheap {
            zone: None,
            node: None,
            nr_zones: NR_ZONES as u32,
            nr_nodes: self.nodes.len() as u32,
            pages: counts.total(),
            counts: Some(counts),
        }
    }
}

impl Source for Host {
    fn physinfo(&self) -> Result<XenSysctlPhysinfo> {
        Ok(XenSysctlPhysinfo {
            nr_nodes: self.nodes.len() as u32,
            nr_cpus: self.cpus.len() as u32,
            total_pages: self.nodes.iter().map(|n| n.0).sum(),
            // The top of the highest node's zone (node n's memory is in
            // zone 19 + n).
            max_mfn: (1u64 << (19 + self.nodes.len() - 1).min(NR_ZONES - 1)) - 1,
            free_pages: (0..self.nodes.len()).map(|n| self.free(n)).sum(),
            ..Default::default()
        })
    }
    fn numainfo(&self) -> Result<NumaInfo> {
        let n = self.nodes.len();
        Ok(NumaInfo {
            meminfo: (0..n)
                .map(|i| XenSysctlMeminfo {
                    memsize: self.nodes[i].0 << 12,
                    memfree: self.free(i) << 12,
                })
                .collect(),
            distance: (0..n * n)
                .map(|i| if i / n == i % n { 10 } else { 20 })
                .collect(),
        })
    }
    fn cputopoinfo(&self) -> Result<Vec<XenSysctlCputopo>> {
        Ok(self
            .cpus
            .iter()
            .map(|&node| XenSysctlCputopo {
                core: 0,
                socket: 0,
                node,
            })
            .collect())
    }
    fn numa_availheap(&self) -> Result<Availheap> {
        self.calls.borrow_mut().push("numa_availheap".into());
        if self.stock {
            return Err(self.missing(XEN_SYSCTL_NUMA_AVAILHEAP));
        }
        Ok(self.matrix())
    }
    fn heap_by_width(&self, online: &[u32]) -> Result<Availheap> {
        self.calls.borrow_mut().push("availheap".into());
        assert_eq!(online.len(), self.nodes.len());
        Ok(self.matrix())
    }
    fn dma_width(&self) -> Result<DmaWidth> {
        Ok(self.dma)
    }
    fn list(&self) -> Result<Vec<XenDomctlGetdomaininfo>> {
        Ok(self
            .domains
            .iter()
            .filter(|(d, ..)| !self.destroyed(*d))
            .map(|(d, _, dying, _)| XenDomctlGetdomaininfo {
                domain: *d,
                flags: if *dying || (self.names_read.get() && self.dying_at_names.contains(d)) {
                    XEN_DOMINF_DYING
                } else {
                    0
                },
                handle: [*d as u8; 16],
                ..Default::default()
            })
            .collect())
    }
    fn info(&self, domid: DomId) -> Result<XenDomctlGetdomaininfo> {
        self.list()?
            .into_iter()
            .find(|i| i.domain == domid)
            .ok_or(Error::NoSuchDomain {
                op: Op::Domctl(xen_numastat_abi::XEN_DOMCTL_GETDOMAININFO),
                domid: u32::from(domid),
            })
    }
    fn affinity(&self, domid: DomId) -> Result<Vec<u32>> {
        // Xen answers every possible node for an automatic affinity.
        let d = self.domains.iter().find(|d| d.0 == domid).unwrap();
        Ok(if d.3.is_empty() {
            (0..MAX_NUMNODES as u32).collect()
        } else {
            d.3.clone()
        })
    }
    fn stat(&self, sel: DomainSel, walk: bool) -> Result<DomNodeStat> {
        self.calls
            .borrow_mut()
            .push(format!("{} {sel}", if walk { "walk" } else { "stat" }));
        if self.stock {
            return Err(self.missing(XEN_SYSCTL_NUMA_GETDOMNODESTAT));
        }
        let per_node: Vec<u64> = match sel {
            DomainSel::Free => (0..self.nodes.len()).map(|n| self.free(n)).collect(),
            DomainSel::Domain(d) => match self.domains.iter().find(|x| x.0 == d) {
                Some(x) if !self.vanishing.contains(&d) && !self.destroyed(d) => x.1.clone(),
                _ => {
                    return Err(Error::NoSuchDomain {
                        op: Op::Sysctl(XEN_SYSCTL_NUMA_GETDOMNODESTAT),
                        domid: u32::from(d),
                    })
                }
            },
        };
        let (mut status, mut skew) = (0, 0i64);
        if let (DomainSel::Domain(d), false) = (sel, walk) {
            if self.inconsistent.contains(&d) {
                (status, skew) = (xen_numastat_abi::XEN_NUMA_STATUS_INCONSISTENT, 7);
            } else if self.drifting.contains(&d) {
                skew = -3;
            }
        }
        let biggest = (0..per_node.len())
            .max_by_key(|&n| per_node[n])
            .unwrap_or(0);
        let raw: Vec<XenNumaNodePages> = per_node
            .iter()
            .enumerate()
            .map(|(n, &p)| XenNumaNodePages {
                page_list: if n == biggest {
                    p.saturating_add_signed(skew)
                } else {
                    p
                },
                // Two Xen heap pages on node 0, as Xen gives a PV domain.
                xenpage_list: u64::from(n == 0 && sel != DomainSel::Free) * 2,
                extra_page_list: 0,
            })
            .collect();
        let total = raw.iter().fold(
            XenNumaNodePages::default(),
            XenNumaNodePages::saturating_add,
        );
        let out = XenSysctlNumaGetdomnodestat {
            total,
            tot_pages: total.page_list,
            xenheap_pages: total.xenpage_list,
            nr_nodes: raw.len() as u32,
            pieces: if walk {
                1 + total.page_list as u32 / 4096
            } else {
                1
            },
            source: match (sel, walk) {
                (DomainSel::Free, _) => xen_numastat_abi::XEN_NUMA_SRC_FREE,
                (_, true) => xen_numastat_abi::XEN_NUMA_SRC_WALK,
                (_, false) => xen_numastat_abi::XEN_NUMA_SRC_COUNTERS,
            },
            status,
            ..Default::default()
        };
        DomNodeStat::from_raw(sel, None, &out, Some(&raw))
    }
    fn names(&self, domids: &[DomId]) -> xenstore::Result<Vec<Option<String>>> {
        let ids: Vec<String> = domids.iter().map(DomId::to_string).collect();
        self.calls
            .borrow_mut()
            .push(format!("names {}", ids.join(",")));
        self.names_read.set(true);
        match self.xenstored {
            Xenstored::NotRunning => {
                return Err(xenstore::Error::Unavailable {
                    socket: std::io::ErrorKind::NotFound,
                    device: None,
                })
            }
            Xenstored::Hung => {
                return Err(xenstore::Error::Timeout {
                    path: xenstore::XENSTORED_SOCKET,
                })
            }
            Xenstored::Running => {}
        }
        Ok(domids
            .iter()
            .map(|&d| {
                let known = self.domains.iter().any(|x| x.0 == d)
                    && !self.unnamed.contains(&d)
                    && !self.destroyed(d)
                    && !self.dying_at_names.contains(&d);
                known.then(|| match d {
                    0 => "Domain-0".to_string(),
                    d => format!("guest{d}"),
                })
            })
            .collect())
    }
}

fn options(args: &[&str]) -> Options {
    match args::parse(args.iter().map(OsString::from).collect()) {
        Ok(Command::Show(o)) => o,
        other => panic!("{other:?}"),
    }
}

/// Keeps a machine-format output for the checks of make formats-check
/// (promtool, the JSON Schema), if `XEN_NUMASTAT_SAMPLES` names a
/// directory: one file per command line, `.prom`, `.json`, or `.jsonl`
/// for watch mode's document per line.
fn keep_sample(o: &Options, args: &[&str], out: &str) {
    let Some(dir) = std::env::var_os("XEN_NUMASTAT_SAMPLES") else {
        return;
    };
    let ext = match (o.format, o.watch.is_some()) {
        (Format::Prometheus, _) => "prom",
        (Format::Json, false) => "json",
        (Format::Json, true) => "jsonl",
        _ => return,
    };
    let name: String = args
        .join("_")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    // The same command line on two hosts, or from two test threads: keep
    // each (create_new picks the first free number atomically).
    let dir = std::path::PathBuf::from(dir);
    for n in 0.. {
        let path = dir.join(format!("{name}.{n}.{ext}"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                std::io::Write::write_all(&mut f, out.as_bytes()).unwrap();
                return;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
}

/// Runs `args` against `host`: (exit code, stdout, stderr).
fn run_on(host: &Host, args: &[&str]) -> (u8, String, String) {
    let o = options(args);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_sampling(
        host,
        &o,
        &mut Out {
            out: &mut out,
            err: &mut err,
        },
    );
    let out = String::from_utf8(out).unwrap();
    keep_sample(&o, args, &out);
    (code, out, String::from_utf8(err).unwrap())
}

// ---- flags, help, man page, completions ---------------------------------

const MAN: &str = include_str!("../../xen-numastat.8");
const BASH: &str = include_str!("../../completions/xen-numastat.bash");
const ZSH: &str = include_str!("../../completions/_xen-numastat");
const FISH: &str = include_str!("../../completions/xen-numastat.fish");

/// The flags of fish's `complete` lines: `-s X` is `-X`, `-l NAME` is
/// `--NAME`.
fn fish_flags(text: &str) -> std::collections::BTreeSet<String> {
    let mut found = std::collections::BTreeSet::new();
    for line in text.lines().filter(|l| l.starts_with("complete ")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        for w in words.windows(2) {
            match w[0] {
                "-s" => found.insert(format!("-{}", w[1])),
                "-l" => found.insert(format!("--{}", w[1])),
                _ => false,
            };
        }
    }
    found
}

#[test]
fn help_man_page_and_completions_name_the_same_flags() {
    let want = flags::all();
    assert_eq!(flags::named_in(&help()), want, "--help");
    assert_eq!(flags::named_in(MAN), want, "tools/xen-numastat.8");
    let bash_list = BASH
        .split("local flags=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap();
    assert_eq!(flags::named_in(bash_list), want, "bash completion");
    let zsh_specs: String = ZSH
        .lines()
        .filter(|l| l.trim_start().starts_with('\''))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(flags::named_in(&zsh_specs), want, "zsh completion");
    assert_eq!(fish_flags(FISH), want, "fish completion");
    // Each completes --format's values: the spec, and the values near it.
    for (shell, text, spec) in [
        ("bash", BASH, "--format)"),
        ("zsh", ZSH, "--format=["),
        ("fish", FISH, "-l format"),
    ] {
        let at = text
            .find(spec)
            .unwrap_or_else(|| panic!("{shell}: no {spec}"));
        let near: String = text[at..].chars().take(120).collect();
        for f in ["table", "seed", "json", "prometheus"] {
            assert!(near.contains(f), "{shell}: --format lacks {f}: {near}");
        }
    }
    // Every flag of the list parses (with a value where it needs one).
    for &(short, long) in flags::FLAGS {
        for f in [short, long].into_iter().filter(|f| !f.is_empty()) {
            let args: Vec<&str> = match f {
                "-d" | "--domain" => vec![f, "0"],
                "--verify" => vec![f, "-d", "0"],
                "-w" | "--interval" => vec![f, "1"],
                "--unit" => vec![f, "kb"],
                "--width" => vec![f, "80"],
                "--format" => vec![f, "json"],
                _ => vec![f],
            };
            assert!(
                args::parse(args.iter().map(OsString::from).collect()).is_ok(),
                "{args:?}"
            );
        }
    }
}

#[test]
fn help_fits_80_columns() {
    for line in help().lines() {
        assert!(
            line.chars().count() <= 80,
            "{} columns: {line}",
            line.chars().count()
        );
    }
}

#[test]
fn man_page_lists_every_exit_code() {
    for (code, _) in EXIT_CODES {
        assert!(MAN.contains(&format!(".B {code}\n")), "exit {code}");
    }
}

#[test]
fn help_and_version() {
    let (code, out, err) = run_args(&["--help"]);
    assert_eq!(code, EXIT_OK);
    assert!(err.is_empty());
    for needle in [
        "-d, --domain DOMID",
        "DOM<domid>: NODE<node>: PAGES: <pages>",
        "--format=seed",
        "schema_version 1",
    ] {
        assert!(out.contains(needle), "{needle}");
    }
    for (code, what) in EXIT_CODES {
        assert!(out.contains(&format!("\n  {code}  {what}\n")), "{code}");
    }
    let (code, out, _) = run_args(&["-V"]);
    assert_eq!(code, EXIT_OK);
    assert_eq!(
        out,
        format!(
            "xen-numastat {} (Xen 4.17 sysctl interface 0x15, JSON schema_version 1)\n",
            env!("CARGO_PKG_VERSION")
        )
    );
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
        &["-d", "65536"],
        &["-d", "all", "-d"],
        &["-w", "-1"],
        &["-w", "1", "0"],
        &["--unit=parsecs"],
        &["--bogus"],
        &["-s99"],
        &["--json", "--prometheus"],
        &["-H", "--", "-p"],
    ] {
        let (code, out, err) = run_args(args);
        assert_eq!(code, EXIT_USAGE, "{args:?}");
        assert!(out.is_empty());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("xen-numastat: "), "{err}");
        assert!(err.contains("; run 'xen-numastat --help'"), "{err}");
    }
}

// ---- domains ---------------------------------------------------------------

fn query(all: bool, ids: &[DomId]) -> DomainQuery {
    DomainQuery {
        all,
        free: false,
        ids: ids.iter().copied().collect(),
        verify: false,
    }
}

#[test]
fn dash_d_all_skips_domains_that_went_away() {
    // 2 is dying when listed; 3 is destroyed between list and stat.
    let mut h = Host::new(2, 4);
    h.domains[2].2 = true;
    h.vanishing = vec![3];
    let mut notes = Vec::new();
    let got: Vec<u32> = fetch_domains(&h, &query(true, &[]), &mut notes)
        .unwrap()
        .iter()
        .map(Domain::domid)
        .collect();
    assert_eq!(got, [0, 1]);
    assert_eq!(
        notes,
        [
            "domain 2 is being destroyed; left out",
            "domain 3 went away after it was listed; left out"
        ]
    );
    assert_eq!(
        *h.calls.borrow(),
        ["stat domain 0", "stat domain 1", "stat domain 3"]
    );
}

#[test]
fn a_named_domain_that_is_gone_is_an_error() {
    let mut h = Host::new(2, 4);
    h.vanishing = vec![3];
    let mut notes = Vec::new();
    let err = fetch_domains(&h, &query(true, &[3]), &mut notes).unwrap_err();
    assert_eq!(exit::exit_code(&err), EXIT_NO_DOMAIN);
    assert!(notes.is_empty());
    // Duplicates asked once, ascending; the handle comes from getdomaininfo.
    let h = Host::new(2, 6);
    let d = fetch_domains(&h, &query(false, &[5, 0, 5]), &mut notes).unwrap();
    assert_eq!(d.iter().map(Domain::domid).collect::<Vec<_>>(), [0, 5]);
    assert_eq!(d[1].handle, [5; 16]);
}

#[test]
fn automatic_affinity_is_cut_to_the_online_nodes_and_locality_follows() {
    let mut h = Host::new(3, 2);
    h.domains[0].1 = vec![300, 100, 0];
    h.domains[0].3 = vec![0];
    h.domains[1].1 = vec![0, 0, 0];
    h.domains[1].3 = vec![];
    let d = fetch_domains(&h, &query(true, &[]), &mut Vec::new()).unwrap();
    assert_eq!(d[0].affinity, [0]);
    assert_eq!(d[0].nodes_used(), 2);
    assert_eq!(d[0].local_ratio(), Some(0.75));
    assert_eq!(d[1].affinity, [0, 1, 2]);
    assert_eq!(d[1].local_ratio(), None);
}

// ---- names ------------------------------------------------------------------

#[test]
fn names_are_read_once_per_sample_after_the_stats() {
    let h = Host::new(2, 3);
    let (code, out, err) = run_on(&h, &["-d", "all"]);
    assert_eq!(code, EXIT_OK, "{err}");
    assert!(err.is_empty(), "{err}");
    assert_eq!(
        *h.calls.borrow(),
        [
            "stat domain 0",
            "stat domain 1",
            "stat domain 2",
            "names 0,1,2"
        ]
    );
    assert_eq!(table_row(&out, "1", 0)[0], "guest1");
    // Two samples: two lookups, one each.
    let h = Host::new(2, 2);
    let (code, _, _) = run_on(&h, &["-w", "0.01", "2", "-d", "all"]);
    assert_eq!(code, EXIT_OK);
    let lookups = h
        .calls
        .borrow()
        .iter()
        .filter(|c| c.starts_with("names"))
        .count();
    assert_eq!(lookups, 2);
    // No domains asked for, no lookup.
    let h = Host::new(2, 2);
    run_on(&h, &["-H", "-d", "free", "--json"]);
    assert!(h.calls.borrow().iter().all(|c| !c.starts_with("names")));
}

#[test]
fn without_xenstored_everything_works_and_says_names_are_unavailable() {
    let mut h = Host::new(2, 3);
    h.xenstored = Xenstored::NotRunning;
    let named = Host::new(2, 3);
    // Table: no Name column (the table of a host without names), one note.
    let (code, out, err) = run_on(&h, &["-d", "all"]);
    assert_eq!(code, EXIT_OK, "{err}");
    assert_eq!(
        err,
        "xen-numastat: note: names unavailable: xenstored is not running \
         (/run/xenstored/socket: entity not found); start the toolstack's daemons \
         (Debian: `/etc/init.d/xen start`) to see domain names\n"
    );
    let header = out.lines().find(|l| l.starts_with("Domain ")).unwrap();
    assert!(header.starts_with("Domain  Node 0"), "{out}");
    assert_eq!(
        table_row(&out, "2", 0)[..4],
        ["0.00", "3.00", "3.00", "0.01"]
    );
    let (_, with_names, _) = run_on(&named, &["-d", "all"]);
    assert_ne!(out, with_names);
    // Watch mode: the note once, not every sample.
    let (code, _, err) = run_on(&h, &["-w", "0.01", "3", "-d", "all"]);
    assert_eq!(code, EXIT_OK);
    assert_eq!(err.matches("names unavailable").count(), 1, "{err}");
    // JSON: null names, and the document says why; no note.
    let (code, out, err) = run_on(&h, &["--json", "-d", "all"]);
    assert_eq!((code, err.as_str()), (EXIT_OK, ""));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["domains"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["name"].is_null()));
    assert_eq!(v["domain_names"]["available"], false);
    assert!(v["domain_names"]["unavailable_reason"]
        .as_str()
        .unwrap()
        .starts_with("names unavailable: xenstored is not running"));
    // Prometheus: name="" on every domain series (Prometheus stores it as
    // no label), names_available 0, the same values; no note.
    let (code, out, err) = run_on(&h, &["--prometheus"]);
    assert_eq!((code, err.as_str()), (EXIT_OK, ""));
    let m = parse_prom(&out);
    assert_eq!(
        m[&("xen_numa_domain_names_available".into(), labels(&[]))],
        0.0
    );
    for (name, l) in m.keys() {
        if l.contains_key("domid") {
            assert_eq!(l["name"], "", "{name} {l:?}");
        }
    }
    let values = |m: &BTreeMap<(String, BTreeMap<String, String>), f64>| -> Vec<f64> {
        m.iter()
            .filter(|((n, _), _)| n != "xen_numa_domain_names_available")
            .map(|(_, v)| *v)
            .collect()
    };
    let named_m = parse_prom(&run_on(&named, &["--prometheus"]).1);
    assert_eq!(values(&m), values(&named_m));
}

#[test]
fn seed_lines_have_no_names_and_never_ask_xenstore() {
    let named = Host::new(2, 3);
    let mut none = Host::new(2, 3);
    none.xenstored = Xenstored::NotRunning;
    let (code, a, err) = run_on(&named, &["-d", "all", "--format=seed"]);
    assert_eq!((code, err.as_str()), (EXIT_OK, ""));
    let (_, b, err) = run_on(&none, &["-d", "all", "--format=seed"]);
    assert_eq!(err, "");
    assert_eq!(a, b);
    assert_eq!(
        a,
        "DOM0: NODE0: PAGES: 258\nDOM0: NODE1: PAGES: 0\n\
         DOM1: NODE0: PAGES: 2\nDOM1: NODE1: PAGES: 0\n\
         DOM2: NODE0: PAGES: 2\nDOM2: NODE1: PAGES: 768\n"
    );
    for h in [&named, &none] {
        assert!(h.calls.borrow().iter().all(|c| !c.starts_with("names")));
    }
}

#[test]
fn a_hung_xenstored_makes_names_unavailable_not_the_tool_fail() {
    let mut h = Host::new(2, 2);
    h.xenstored = Xenstored::Hung;
    let (code, out, err) = run_on(&h, &["-d", "all"]);
    assert_eq!(code, EXIT_OK, "{err}");
    assert!(
        err.starts_with(
            "xen-numastat: note: names unavailable: xenstored did not answer on \
             /run/xenstored/socket in time; check that xenstored is running"
        ),
        "{err}"
    );
    assert!(out.contains("Per-domain memory by node"));
}

#[test]
fn a_domain_without_a_name_is_kept_unnamed() {
    // Domain 1 exists in Xen, xenstore has no name for it (xl create has
    // not written it yet, or dom0-testkit mkdom built it).
    let mut h = Host::new(2, 3);
    h.unnamed = vec![1];
    let (code, out, err) = run_on(&h, &["-d", "all"]);
    assert_eq!((code, err.as_str()), (EXIT_OK, ""), "{out}");
    assert_eq!(table_row(&out, "1", 0)[0], "-");
    assert_eq!(table_row(&out, "2", 0)[0], "guest2");
    let (_, out, _) = run_on(&h, &["--json", "-d", "all"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["domains"][1]["name"].is_null());
    assert_eq!(v["domains"][2]["name"], "guest2");
    assert_eq!(v["domain_names"]["available"], true);
    let (_, out, _) = run_on(&h, &["--prometheus", "-d", "all"]);
    assert!(
        out.contains("xen_numa_domain_nodes{domid=\"1\",name=\"\"} 0\n"),
        "{out}"
    );
    assert!(out.contains("xen_numa_domain_nodes{domid=\"2\",name=\"guest2\"} 1\n"));
}

#[test]
fn a_domain_destroyed_during_the_name_lookup_is_left_out() {
    // 1: xl destroy removed its xenstore directory, then Xen freed it.
    // 2: the same, Xen still relinquishing its memory (dying).
    let mut h = Host::new(2, 4);
    h.destroyed_at_names = vec![1];
    h.dying_at_names = vec![2];
    let (code, out, err) = run_on(&h, &["-d", "all"]);
    assert_eq!(code, EXIT_OK, "{err}");
    assert_eq!(
        err,
        "xen-numastat: note: domain 1 went away after it was listed; left out\n\
         xen-numastat: note: domain 2 is being destroyed; left out\n"
    );
    let ids: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("Domain "))
        .skip(2)
        .take_while(|l| !l.starts_with('-'))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(ids, ["0", "3"], "{out}");
    assert_eq!(table_row(&out, "3", 0)[0], "guest3");
    // Asked for by id: gone is exit 7, as when the stat finds it gone;
    // dying, it is still shown (as -d DOMID shows a dying domain).
    let mut h = Host::new(2, 4);
    h.destroyed_at_names = vec![1];
    h.dying_at_names = vec![2];
    let (code, _, err) = run_on(&h, &["-d", "1"]);
    assert_eq!(code, EXIT_NO_DOMAIN, "{err}");
    let (code, out, err) = run_on(&h, &["-d", "2"]);
    assert_eq!((code, err.as_str()), (EXIT_OK, ""));
    assert_eq!(table_row(&out, "2", 0)[0], "-");
}

// ---- a patched host, every format ----------------------------------------

/// The numbers of a table row: label -> cells after the label columns.
fn table_row(out: &str, label: &str, skip: usize) -> Vec<String> {
    out.lines()
        .find(|l| l.split_whitespace().next() == Some(label))
        .unwrap_or_else(|| panic!("no row {label} in\n{out}"))
        .split_whitespace()
        .skip(1 + skip)
        .map(String::from)
        .collect()
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

#[test]
fn table_views_of_a_three_node_host() {
    let h = Host::new(3, 3);
    let (code, out, err) = run_on(&h, &["-p", "-H", "-d", "all", "-d", "free"]);
    assert_eq!(code, EXIT_OK, "{err}");
    for title in [
        "XEN_SYSCTL_physinfo",
        "XEN_SYSCTL_numa_availheap",
        "XEN_SYSCTL_numa_getdomnodestat",
        "Node 0",
        "Node 2",
    ] {
        assert!(out.contains(title), "{title}:\n{out}");
    }
    // Topology: 1 GiB per node, 2 CPUs each.
    assert_eq!(
        table_row(&out, "MemTotal", 0),
        ["1024.00", "1024.00", "1024.00", "3072.00"]
    );
    assert_eq!(table_row(&out, "CPUs", 0), ["2", "2", "2", "6"]);
    assert_eq!(table_row(&out, "CPU", 1), ["0-1", "2-3", "4-5"]);
    assert_eq!(table_row(&out, "1:", 0), ["20", "10", "20"]);
    // Heap: zone 19 is node 0's, 1G-2G; the DMA line.
    assert_eq!(
        table_row(&out, "19", 2),
        ["390.63", "0.00", "0.00", "390.63"]
    );
    assert!(out.contains("19     1G-2G      DOM"), "{out}");
    assert!(
        out.contains("DMA zone: below 256M (DMA width 28 bits"),
        "{out}"
    );
    // Domains: domain 2, named guest2 in xenstore, has 768 pages (3.00 MB)
    // on node 1, none elsewhere.
    assert!(out.contains("\nDomain  Name      Node 0"), "{out}");
    assert_eq!(table_row(&out, "0", 0)[0], "Domain-0");
    assert_eq!(table_row(&out, "2", 0)[0], "guest2");
    let d2 = table_row(&out, "2", 1);
    assert_eq!(d2[..4], ["0.00", "3.00", "0.00", "3.00"]);
    assert_eq!(
        d2[5..],
        [
            "0.00",
            "1",
            "0.0%",
            "2",
            "02020202-0202-0202-0202-020202020202"
        ]
    );
}

#[test]
fn units_compact_zeros_and_sort() {
    let h = Host::new(3, 3);
    let (_, out, _) = run_on(&h, &["-d", "all", "--pages", "-z", "-s"]);
    let rows: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("Domain "))
        .skip(2)
        .take(3)
        .collect();
    // Sorted by Total, biggest first: domain 2 (768), 1 (512), 0 (256).
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| r.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(ids, ["2", "1", "0"], "{out}");
    // -z drops the all-zero Extra column.
    let header = out.lines().find(|l| l.starts_with("Domain ")).unwrap();
    assert!(
        !header.contains("Extra") && header.contains("Xenheap"),
        "{out}"
    );
    assert_eq!(
        table_row(&out, "Total", 0)[..4],
        ["256", "768", "512", "1536"]
    );
    let (_, out, _) = run_on(&h, &["-d", "all", "-s1", "-c", "--bytes"]);
    assert_eq!(table_row(&out, "1", 1)[0], "0");
    let first = out
        .lines()
        .skip_while(|l| !l.starts_with("Domain "))
        .nth(2)
        .unwrap();
    assert!(first.starts_with("2 "), "sorted by node 1: {out}");
    // An offline node to sort by: exit 2, after the hypercalls.
    let (code, out, err) = run_on(&h, &["-d", "all", "-s7"]);
    assert_eq!((code, out.as_str()), (EXIT_USAGE, ""));
    assert!(
        err.contains("node 7 is not online (online nodes: 0-2)"),
        "{err}"
    );
}

#[test]
fn json_parses_back_and_matches_the_table() {
    let h = Host::new(3, 4);
    let args = ["-p", "-H", "-d", "all", "-d", "free"];
    let (_, table, _) = run_on(&h, &args);
    let mut jargs = args.to_vec();
    jargs.push("--json");
    let (code, out, err) = run_on(&h, &jargs);
    assert_eq!(code, EXIT_OK, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["nodes"], serde_json::json!([0, 1, 2]));
    let ts = v["timestamp"].as_str().unwrap();
    assert!(ts.len() == 24 && ts.ends_with('Z'), "{ts}");
    assert_eq!(
        v["hostname"].as_str(),
        model::Taken::now().hostname.as_deref()
    );
    // Heap: node totals equal the table's Total row.
    let totals = table_row(table.split("Free heap memory").nth(1).unwrap(), "Total", 0);
    let node_free = v["heap"]["node_free_bytes"].as_array().unwrap();
    for (cell, b) in totals.iter().zip(node_free) {
        let got: f64 = cell.parse().unwrap();
        assert!(
            (got - mb(b.as_u64().unwrap())).abs() <= 0.005,
            "{cell} vs {b}"
        );
    }
    assert_eq!(v["heap"]["zones"].as_array().unwrap().len(), NR_ZONES);
    assert_eq!(v["heap"]["zones"][19]["range"], "1G-2G");
    assert_eq!(v["heap"]["zones"][16]["heap"], "dma");
    assert_eq!(v["heap"]["dma"]["boundary_bytes"], 1u64 << 28);
    // Topology and free.
    assert_eq!(v["topology"]["nodes"][1]["cpus"], serde_json::json!([2, 3]));
    assert_eq!(
        v["topology"]["nodes"][1]["distances"],
        serde_json::json!([20, 10, 20])
    );
    assert_eq!(v["free"]["nodes"][2]["free_bytes"], 102_000u64 * 4096);
    // Domains: each row of the table.
    for d in v["domains"].as_array().unwrap() {
        let id = d["domid"].as_u64().unwrap().to_string();
        let row = table_row(table.split("Per-domain").nth(1).unwrap(), &id, 0);
        assert_eq!(Some(row[0].as_str()), d["name"].as_str(), "{d}");
        let total: f64 = row[4].parse().unwrap();
        assert!((total - mb(d["page_list_bytes"].as_u64().unwrap())).abs() <= 0.005);
        assert_eq!(d["nodes_used"], 1);
        assert_eq!(d["xen"]["xenheap_pages"], 2);
        assert_eq!(d["handle"].as_str().unwrap().len(), 36);
    }
    assert_eq!(v["domains"][0]["name"], "Domain-0");
    assert_eq!(v["domains"][3]["name"], "guest3");
    assert_eq!(
        v["domain_names"],
        serde_json::json!({"available": true, "unavailable_reason": null})
    );
    assert_eq!(v["domains"][3]["node_affinity"], serde_json::json!([0]));
    assert_eq!(v["domains"][3]["local_ratio"], 1.0);
    // Only the views asked for.
    let (_, out, _) = run_on(&h, &["--json", "-H"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v.get("topology").is_none() && v.get("domains").is_none() && v.get("heap").is_some());
}

/// Parses an exposition: (name, labels) -> value; checks HELP and TYPE
/// come first and each family's samples are together.
fn parse_prom(text: &str) -> BTreeMap<(String, BTreeMap<String, String>), f64> {
    let mut typed = std::collections::BTreeSet::new();
    let mut done = std::collections::BTreeSet::<String>::new();
    let mut current = String::new();
    let mut samples = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let name = rest.split(' ').next().unwrap().to_string();
            assert!(rest.ends_with(" gauge"), "{line}");
            assert!(!done.contains(&name), "{name} twice");
            done.insert(current.clone());
            typed.insert(name.clone());
            current = name;
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        let (name, labels) = match series.split_once('{') {
            Some((n, l)) => (n, l.strip_suffix('}').unwrap()),
            None => (series, ""),
        };
        assert_eq!(name, current, "{line}: not under its TYPE");
        assert!(name.starts_with("xen_numa_"), "one prefix: {name}");
        let labels: BTreeMap<String, String> = labels
            .split(',')
            .filter(|l| !l.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_string(), v.trim_matches('"').to_string())
            })
            .collect();
        samples.insert((name.to_string(), labels), value.parse().unwrap());
    }
    assert!(!typed.is_empty());
    samples
}

fn labels(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn prometheus_alone_has_every_view_and_parses_back() {
    let h = Host::new(3, 3);
    let (code, out, err) = run_on(&h, &["--prometheus"]);
    assert_eq!(code, EXIT_OK, "{err}");
    let m = parse_prom(&out);
    let get = |name: &str, kv: &[(&str, &str)]| {
        *m.get(&(name.to_string(), labels(kv)))
            .unwrap_or_else(|| panic!("{name} {kv:?}"))
    };
    assert_eq!(get("xen_numa_nodes_online", &[]), 3.0);
    assert_eq!(
        get("xen_numa_node_memory_free_bytes", &[("node", "1")]),
        (101_000u64 * 4096) as f64
    );
    assert_eq!(
        get("xen_numa_node_distance", &[("from", "0"), ("to", "2")]),
        20.0
    );
    assert_eq!(get("xen_numa_node_cpus", &[("node", "2")]), 2.0);
    assert_eq!(
        get(
            "xen_numa_heap_zone_free_bytes",
            &[("node", "0"), ("zone", "19")]
        ),
        (100_000u64 * 4096) as f64
    );
    assert_eq!(
        get(
            "xen_numa_heap_zone_info",
            &[
                ("zone", "19"),
                ("start", "0x40000000"),
                ("end", "0x80000000")
            ]
        ),
        1.0
    );
    assert_eq!(get("xen_numa_heap_zone_dma", &[("zone", "16")]), 1.0);
    assert_eq!(get("xen_numa_heap_zone_dma", &[("zone", "17")]), 0.0);
    assert_eq!(
        get("xen_numa_node_memory_total_bytes", &[("node", "2")]),
        (1u64 << 30) as f64
    );
    let handle = "01010101-0101-0101-0101-010101010101";
    assert_eq!(
        get(
            "xen_numa_domain_info",
            &[("domid", "1"), ("name", "guest1"), ("uuid", handle)]
        ),
        1.0
    );
    assert_eq!(
        get(
            "xen_numa_domain_memory_bytes",
            &[
                ("domid", "1"),
                ("name", "guest1"),
                ("node", "2"),
                ("list", "page_list")
            ]
        ),
        (512u64 * 4096) as f64
    );
    assert_eq!(
        get(
            "xen_numa_domain_local_ratio",
            &[("domid", "1"), ("name", "guest1")]
        ),
        0.0
    );
    assert_eq!(get("xen_numa_domain_names_available", &[]), 1.0);
    assert_eq!(
        get(
            "xen_numa_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
    assert_eq!(get("xen_numa_domain_placement_supported", &[]), 1.0);
    assert_eq!(
        get("xen_numa_heap_dma_boundary_bytes", &[]),
        (1u64 << 28) as f64
    );
    // Sum of zones = the node's free memory, in one snapshot.
    let zone_sum: f64 = m
        .iter()
        .filter(|((n, l), _)| n == "xen_numa_heap_zone_free_bytes" && l["node"] == "1")
        .map(|(_, v)| v)
        .sum();
    assert_eq!(
        zone_sum,
        get("xen_numa_node_memory_free_bytes", &[("node", "1")])
    );
}

/// The (name, labels) of every series of an exposition.
fn series(text: &str) -> std::collections::BTreeSet<(String, BTreeMap<String, String>)> {
    parse_prom(text).into_keys().collect()
}

#[test]
fn prometheus_series_keep_their_identity_when_the_dma_line_is_gone() {
    // The same host before and after its console ring wrapped: the DMA
    // width is no longer known. Only the DMA gauges may go; no zone series
    // is renamed (the heap label of 0.1.0 renamed 120 of 123).
    let mut h = Host::new(3, 3);
    let (_, before, _) = run_on(&h, &["--prometheus"]);
    h.dma = DmaWidth::Unknown;
    let (_, after, _) = run_on(&h, &["--prometheus"]);
    let (before, after) = (series(&before), series(&after));
    let gone: Vec<&str> = before
        .difference(&after)
        .map(|(n, _)| n.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        gone,
        ["xen_numa_heap_dma_boundary_bytes", "xen_numa_heap_zone_dma"]
    );
    assert!(after.is_subset(&before), "new series appeared");
    // Free memory moving between zones and domains changes values only.
    let mut h2 = Host::new(3, 3);
    h2.nodes[1].1[0].1 = 0;
    h2.domains[2].1 = vec![1, 1, 1];
    let (_, moved, _) = run_on(&h2, &["--prometheus"]);
    assert_eq!(series(&moved), before);
}

#[test]
fn prometheus_has_no_series_for_zones_without_memory() {
    // Three nodes: the highest is in zone 21 (4G-8G), max_mfn 8G - 1.
    let h = Host::new(3, 1);
    let (_, out, _) = run_on(&h, &["--prometheus", "-p", "-H"]);
    let zones: std::collections::BTreeSet<u32> = parse_prom(&out)
        .into_keys()
        .filter(|(n, _)| n == "xen_numa_heap_zone_free_bytes")
        .map(|(_, l)| l["zone"].parse().unwrap())
        .collect();
    assert_eq!(zones, (1..=21).collect());
    // No label holds a value that repeats another: every zone_free series
    // is {node, zone}, every domain series has its domid and name, only
    // the info series the UUID.
    for ((name, labels), _) in parse_prom(&run_on(&h, &["--prometheus"]).1) {
        let keys: Vec<&str> = labels.keys().map(String::as_str).collect();
        match name.as_str() {
            "xen_numa_heap_zone_free_bytes" => assert_eq!(keys, ["node", "zone"]),
            "xen_numa_domain_info" => assert_eq!(keys, ["domid", "name", "uuid"]),
            "xen_numa_domain_placement_supported" | "xen_numa_domain_names_available" => {
                assert!(keys.is_empty(), "{name}")
            }
            n if n.starts_with("xen_numa_domain_") => assert!(
                keys.contains(&"domid") && keys.contains(&"name") && !keys.contains(&"uuid"),
                "{n}"
            ),
            _ => {}
        }
    }
}

/// Hosts of every shape the JSON can take, for the schema check of make
/// formats-check (the outputs are kept by `run_on`).
#[test]
fn json_of_every_host_shape_parses() {
    let mut no_dma = Host::new(1, 1);
    no_dma.dma = DmaWidth::None;
    let mut unknown = Host::new(2, 2);
    unknown.dma = DmaWidth::Unknown;
    unknown.domains[1].1 = vec![0, 0];
    let mut stock = Host::new(2, 1);
    stock.stock = true;
    let wide = Host::new(8, 200);
    let mut no_xenstored = Host::new(2, 2);
    no_xenstored.xenstored = Xenstored::NotRunning;
    let mut unnamed = Host::new(2, 3);
    unnamed.unnamed = vec![2];
    for (host, args) in [
        (&no_xenstored, &["--json", "-d", "all"][..]),
        (&unnamed, &["--json", "-d", "all"]),
        (&no_dma, &["--json", "-p", "-H", "-d", "all"][..]),
        (&unknown, &["--json", "-H", "-d", "all", "-d", "free"]),
        (&stock, &["--json", "-p", "-H", "-d", "free"]),
        (&wide, &["--format=json", "-p", "-H", "-d", "all"]),
    ] {
        let (code, out, err) = run_on(host, args);
        assert_eq!(code, EXIT_OK, "{args:?}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["schema_version"], 1, "{args:?}");
    }
}

// ---- a stock Xen ------------------------------------------------------------

#[test]
fn stock_xen_heap_and_topology_fall_back_and_domains_exit_8() {
    let mut h = Host::new(2, 2);
    h.stock = true;
    h.dma = DmaWidth::Unknown;
    let (code, out, err) = run_on(&h, &["-p", "-H", "-d", "free"]);
    assert_eq!(code, EXIT_OK, "{err}");
    assert!(
        out.contains("XEN_SYSCTL_availheap by address width"),
        "{out}"
    );
    assert!(out.contains("not one snapshot: this Xen lacks XEN_SYSCTL_numa_availheap"));
    assert!(out.contains("DMA boundary unknown"), "{out}");
    assert!(
        out.contains("XEN_SYSCTL_numainfo memfree: this Xen lacks"),
        "{out}"
    );
    let free = out.split("Free memory by node").nth(1).unwrap();
    assert_eq!(table_row(free, "Free", 0), ["390.63", "394.53", "785.16"]);
    assert_eq!(
        *h.calls.borrow(),
        ["numa_availheap", "availheap", "stat the free pages"]
    );
    // Seed lines too, from the fallback.
    let (code, out, _) = run_on(&h, &["-H", "--format=seed"]);
    assert_eq!(code, EXIT_OK);
    assert!(out.contains("HEAPINFO: ZONE_19: NODE0: FREE_PAGES: 100000\n"));

    // -d: the other views are printed, then exit 8 with a plain sentence.
    let (code, out, err) = run_on(&h, &["-H", "-d", "all"]);
    assert_eq!(code, EXIT_NEEDS_PATCHED);
    assert!(out.contains("Free heap memory by zone"));
    assert!(!out.contains("Per-domain"));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("does not have XEN_SYSCTL_numa_getdomnodestat")
            && err.contains("per-domain placement (-d) needs the patched hypervisor"),
        "{err}"
    );
    let (code, out, _) = run_on(&h, &["--json", "-d", "0"]);
    assert_eq!(code, EXIT_NEEDS_PATCHED);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v.get("domains").is_none());

    // --prometheus alone: heap and topology, and a gauge saying why there
    // are no domains; exit 0 so a textfile collector job keeps working.
    let (code, out, err) = run_on(&h, &["--prometheus"]);
    assert_eq!(code, EXIT_OK, "{err}");
    let m = parse_prom(&out);
    assert_eq!(
        m[&("xen_numa_domain_placement_supported".into(), labels(&[]))],
        0.0
    );
    assert_eq!(m[&("xen_numa_heap_snapshot".into(), labels(&[]))], 0.0);
    assert!(m
        .keys()
        .all(|(n, _)| !n.starts_with("xen_numa_domain_memory")));
    let (code, out, _) = run_on(&h, &["--prometheus", "-p"]);
    assert_eq!(code, EXIT_OK);
    assert!(out.contains("xen_numa_node_memory_total_bytes{node=\"1\"} 1073741824"));
}

// ---- wide hosts ---------------------------------------------------------------

#[test]
fn eight_nodes_and_200_domains_fold_to_the_terminal_width() {
    let h = Host::new(8, 200);
    let (code, out, err) = run_on(&h, &["-p", "-H", "-d", "all", "--width=80"]);
    assert_eq!(code, EXIT_OK, "{err}");
    // Titles are prose; every other line fits.
    for l in out.lines() {
        let title = !l.starts_with(' ') && l.contains(" (");
        assert!(title || l.len() <= 80, "{} columns: {l}", l.len());
    }
    let domains = out.split("Per-domain memory").nth(1).unwrap();
    let blocks: Vec<&str> = domains.split("\n\n").collect();
    assert!(blocks.len() >= 2, "not folded:\n{domains}");
    for b in &blocks {
        let header = b.lines().find(|l| l.starts_with("Domain")).unwrap();
        assert!(header.len() <= 80, "{header}");
        // Every block has all 200 domains and the Total row.
        assert_eq!(
            b.lines()
                .filter(|l| l
                    .split_whitespace()
                    .next()
                    .is_some_and(|w| w.parse::<u32>().is_ok()))
                .count(),
            200
        );
        assert!(b.lines().last().unwrap().starts_with("Total"));
    }
    // Every node column appears once over the blocks.
    for n in 0..8 {
        assert_eq!(
            domains.matches(&format!("Node {n}")).count(),
            1,
            "Node {n}:\n{domains}"
        );
    }
    // Not folded with --width=0.
    let (_, wide, _) = run_on(&h, &["-d", "all", "--width=0"]);
    assert_eq!(wide.lines().filter(|l| l.starts_with("Domain ")).count(), 1);
    assert!(wide.lines().any(|l| l.len() > 80));
}

// ---- watch ------------------------------------------------------------------

#[test]
fn watch_prints_what_changed() {
    let o = TableOptions::default();
    let h = Host::new(2, 2);
    let mut notes = Vec::new();
    let opts = options(&["-H", "-d", "all"]);
    let (a, _) = sample(&h, &opts, &mut notes).unwrap();
    let mut h2 = Host::new(2, 3);
    h2.nodes[1].1[0].1 -= 256;
    h2.domains[1].1[1] += 256;
    let (b, _) = sample(&h2, &opts, &mut notes).unwrap();
    let lines = watch::changes(&watch::figures(&a), &watch::figures(&b), &o);
    assert_eq!(
        lines,
        [
            "  heap node 1 zone 20 (2G-4G): -1.00 (394.53 -> 393.53)",
            "  domain 1 (guest1) node 1: +1.00 (0.00 -> 1.00)",
            "  domain 2 (guest2) node 0: new, 0.00",
            "  domain 2 (guest2) node 1: new, 3.00",
            "  domain 2 (guest2) xenheap: new, 0.01",
            "  domain 2 (guest2) extra: new, 0.00",
        ]
    );
    assert!(watch::block(2, 1.0, &[], &o).contains("Sample 2 (+1.0 s): no change since sample 1"));
    assert!(watch::block(3, 2.0, &lines, &o).contains("6 changes since sample 2 (in MB)"));
    // Three samples, one second apart would be slow: 10 ms.
    let (code, out, _) = run_on(&h, &["-w", "0.01", "3", "-H"]);
    assert_eq!(code, EXIT_OK);
    assert_eq!(out.matches("Free heap memory by zone").count(), 1);
    assert!(
        out.contains("Sample 2 (") && out.contains("Sample 3 ("),
        "{out}"
    );
    // --json: one document per line per sample.
    let (_, out, _) = run_on(&h, &["-w", "0.01", "2", "--json", "-p"]);
    let docs: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[1]["topology"]["nr_nodes"], 2);
    // Each its own time (RFC 3339 strings sort as time does), same host.
    let time = |d: &serde_json::Value| d["timestamp"].as_str().unwrap().to_string();
    assert!(time(&docs[0]) < time(&docs[1]), "{docs:?}");
    assert_eq!(docs[0]["hostname"], docs[1]["hostname"]);
}

// ---- counters, walk, --verify ---------------------------------------------

#[test]
fn inconsistent_counters_fall_back_to_the_walk_with_a_note() {
    let mut h = Host::new(2, 3);
    h.inconsistent = vec![1];
    let mut notes = Vec::new();
    let d = fetch_domains(&h, &query(false, &[0, 1]), &mut notes).unwrap();
    assert_eq!(
        *h.calls.borrow(),
        ["stat domain 0", "stat domain 1", "walk domain 1"]
    );
    assert_eq!(d[1].stat.source, xen_numastat_tools::StatSource::Walk);
    // The walk's figures, not the counters' 7 extra pages.
    for n in 0..2 {
        assert_eq!(d[1].pages_on(n), h.domains[1].1[n as usize]);
    }
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0].starts_with("domain 1: Xen marked its page counters inconsistent"),
        "{notes:?}"
    );
    assert_eq!(d[0].stat.source, xen_numastat_tools::StatSource::Counters);
}

#[test]
fn verify_prints_agreement_and_exits_0() {
    let h = Host::new(2, 3);
    let (code, out, err) = run_on(&h, &["-d", "all", "--verify", "--pages"]);
    assert_eq!(code, 0, "{err}");
    for d in 0..3 {
        assert!(
            out.contains(&format!("Domain {d}: counters == walk on every node")),
            "{out}"
        );
    }
    assert!(h.calls.borrow().iter().any(|c| c == "walk domain 2"));
    let (code, out, _) = run_on(&h, &["--json", "-d", "all", "--verify"]);
    assert_eq!(code, 0);
    assert!(out.contains("\"walk_differences\": []"), "{out}");
    assert!(out.contains("\"source\": \"counters\""), "{out}");
}

#[test]
fn verify_shows_each_difference_and_exits_9() {
    let mut h = Host::new(2, 3);
    h.drifting = vec![2];
    let (code, out, err) = run_on(&h, &["-d", "all", "--verify"]);
    assert_eq!(code, exit::EXIT_MISMATCH);
    // Domain 2 has 768 pages, all on node 1.
    assert_eq!(h.domains[2].1, [0, 768]);
    assert!(
        out.contains("    node 1 page_list: counters 765, walk 768 (-3)"),
        "{out}"
    );
    assert!(out.contains("Domain 2: counters and walk DIFFER"), "{out}");
    assert!(out.contains("Domain 1: counters == walk"), "{out}");
    assert!(err.contains("differ for domain(s) [2]"), "{err}");
    // Without --verify the drift is invisible: no walk at all.
    let h2 = {
        let mut h = Host::new(2, 3);
        h.drifting = vec![2];
        h
    };
    let (code, _, _) = run_on(&h2, &["-d", "all"]);
    assert_eq!(code, 0);
    assert!(h2.calls.borrow().iter().all(|c| !c.starts_with("walk")));
}

#[test]
fn verify_without_domains_is_a_usage_error() {
    let parse = |a: &[&str]| args::parse(a.iter().map(OsString::from).collect());
    let err = parse(&["-H", "--verify"]).unwrap_err();
    assert!(format!("{err:?}").contains("--verify compares"), "{err:?}");
    assert!(parse(&["-d", "free", "--verify"]).is_err());
    assert!(parse(&["-d", "3", "--verify"]).is_ok());
}
