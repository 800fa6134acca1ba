// SPDX-License-Identifier: GPL-2.0-only
//! The `xen-numastat` command: arguments, hypercalls (with the fallbacks a
//! stock Xen needs), output, exit code.

pub mod args;
pub mod exit;
#[cfg(test)]
pub mod flags;
pub mod json;
pub mod model;
pub mod prom;
pub mod render;
pub mod table;
pub mod watch;

use args::{Command, DomainQuery, Format, Options, Views};
use exit::{exit_code, EXIT_CODES, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE};
use model::{Domain, Free, FreeSource, Heap, HeapSource, Snapshot, Topology};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{ErrorKind, Write};
use std::time::Instant;
use xen_numastat_abi::{
    DomId, XenDomctlGetdomaininfo, XenNumaNodePages, XenSysctlCputopo, XenSysctlNumaGetdomnodestat,
    XenSysctlPhysinfo, PAGE_SHIFT, XEN_SYSCTL_NUMA_AVAILHEAP, XEN_SYSCTL_NUMA_GETDOMNODESTAT,
};
use xen_numastat_tools::xen::meminfo_is_offline;
use xen_numastat_tools::{
    cpus_by_node, Availheap, DmaWidth, DomNodeStat, DomainSel, Error, NumaInfo, Result, Xen,
};

/// Program name in messages.
pub const PROG: &str = "xen-numastat";

/// `--help` text before the exit code table.
pub const USAGE: &str = "\
Usage: xen-numastat [-p] [-H] [-d DOMID|all|free]... [-c] [-z] [-s[NODE]]
                    [--unit UNIT | --pages | --bytes] [--width COLS]
                    [--json | --prometheus | --format FORMAT]
                    [-w SECONDS [COUNT]]
       xen-numastat -h | --help | -V | --version

NUMA memory of a Xen host, asked of the hypervisor from dom0 through
/dev/xen/privcmd: the memory, CPUs and distances of each node, the free
memory of Xen's heap by node and address range, and where each domain's
memory is. Run it as root in dom0 of a Xen 4.17 with the xen-numastat
patches. On a stock Xen 4.17, -p and -H fall back to upstream sysctls and
say so, and -d exits with status 8 (-d free falls back too).

Views (combine them; with none: -p and -H; --prometheus alone: all three):
  -p, --physinfo      nodes, their memory (total, free, used), their CPUs,
                      and the node distance matrix (XEN_SYSCTL_physinfo,
                      XEN_SYSCTL_numainfo, XEN_SYSCTL_cputopoinfo)
  -H, --heap          free memory of Xen's heap by node and zone, each zone
                      shown as its machine address range and as DMA or
                      domain heap (the DMA width is read from Xen's boot
                      message in its console ring), from one
                      XEN_SYSCTL_numa_availheap call: one snapshot
  -d, --domain DOMID  the memory of domain DOMID (0 to 32751) on each node
                      (its page_list, xenpage_list and extra_page_list),
                      from one XEN_SYSCTL_numa_getdomnodestat call, with its
                      handle, its node affinity (XEN_DOMCTL_getnodeaffinity),
                      how many nodes hold its memory and the share on its
                      affinity nodes (Local); repeat -d for more domains
  -d all              the same for every domain (XEN_SYSCTL_getdomaininfolist);
                      a domain destroyed meanwhile is left out, with a note
                      on stderr
  -d free             the free memory of each node (the 2006 tool's domain -1)

Tables, like numastat's (Node 0 ... Node N and Total columns, a Total row):
  -c, --compact       narrow columns; MB and GB rounded to whole numbers
  -z, --skip-zeros    leave out rows and columns of only zeros
  -s, --sort[=NODE]   sort rows biggest first, by Total or by NODE's column
                      (short form -s or -sNODE, as numastat)
  --unit UNIT         mb (default: MiB with two decimals), gb, kb, pages or
                      bytes
  --pages, --bytes    the same as --unit pages, --unit bytes
  --width COLS        fold tables wider than COLS into blocks of columns
                      (default: $COLUMNS, else the terminal's width; 0:
                      never fold)

Output:
  --format FORMAT     table (default), seed, json or prometheus
  --json              one JSON document, schema_version 1 (docs/cli.md);
                      combines with the views (--json -H -d all)
  --prometheus        Prometheus text format (xen_numa_* metrics, units in
                      the names) for node_exporter's textfile collector;
                      alone it prints every view
  --format=seed       the 2006 xen_numastat lines, for scripts:
                        PHYSINFO: NR_NODES: <n>
                        HEAPINFO: TOTAL_FREE_PAGES: <pages>
                        HEAPINFO: NR_ZONES: <n>
                        HEAPINFO: NR_NODES: <n>
                        HEAPINFO: ZONE_<zone>: NODE<node>: FREE_PAGES: <pages>
                        DOM<domid>: NODE<node>: PAGES: <pages>
                      (ZONE_ lines for every zone and online node; DOM lines
                      for every domain and online node, pages = page_list +
                      xenpage_list on that node; -d free prints DOM-1 lines)
  -w, --interval SECONDS [COUNT]
                      a sample every SECONDS, COUNT samples (default: until
                      interrupted); tables show the first sample, then what
                      changed since the sample before; --json prints one
                      document per line per sample
  -V, --version       print the version
  -h, --help          print this text

Short flags can be bundled (-pH, -pd 0, -d0, -zs1). Arguments are checked
before any hypercall. Errors are one line on stderr,
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

/// `--version`.
pub fn version() -> String {
    format!(
        "{PROG} {} (Xen 4.17 sysctl interface {:#x}, JSON schema_version {})\n",
        env!("CARGO_PKG_VERSION"),
        xen_numastat_abi::XEN_SYSCTL_INTERFACE_VERSION,
        json::SCHEMA_VERSION
    )
}

/// The hypercalls a sample makes: the hypervisor, or recorded answers in
/// tests.
trait Source {
    fn physinfo(&self) -> Result<XenSysctlPhysinfo>;
    fn numainfo(&self) -> Result<NumaInfo>;
    fn cputopoinfo(&self) -> Result<Vec<XenSysctlCputopo>>;
    /// `XEN_SYSCTL_numa_availheap`, every zone and node, with counts.
    fn numa_availheap(&self) -> Result<Availheap>;
    /// The same matrix from upstream `XEN_SYSCTL_availheap`.
    fn heap_by_width(&self, online: &[u32]) -> Result<Availheap>;
    fn dma_width(&self) -> Result<DmaWidth>;
    /// `XEN_SYSCTL_getdomaininfolist`: every domain.
    fn list(&self) -> Result<Vec<XenDomctlGetdomaininfo>>;
    /// `XEN_DOMCTL_getdomaininfo` of one domain.
    fn info(&self, domid: DomId) -> Result<XenDomctlGetdomaininfo>;
    /// `XEN_DOMCTL_getnodeaffinity`.
    fn affinity(&self, domid: DomId) -> Result<Vec<u32>>;
    /// `XEN_SYSCTL_numa_getdomnodestat`, every node, one call.
    fn stat(&self, sel: DomainSel) -> Result<DomNodeStat>;
}

impl Source for Xen {
    fn physinfo(&self) -> Result<XenSysctlPhysinfo> {
        Xen::physinfo(self)
    }
    fn numainfo(&self) -> Result<NumaInfo> {
        Xen::numainfo(self)
    }
    fn cputopoinfo(&self) -> Result<Vec<XenSysctlCputopo>> {
        Xen::cputopoinfo(self)
    }
    fn numa_availheap(&self) -> Result<Availheap> {
        let h = Xen::numa_availheap(self, None, None, true)?;
        h.check()?;
        Ok(h)
    }
    fn heap_by_width(&self, online: &[u32]) -> Result<Availheap> {
        Xen::heap_by_width(self, online)
    }
    fn dma_width(&self) -> Result<DmaWidth> {
        Xen::dma_width(self)
    }
    fn list(&self) -> Result<Vec<XenDomctlGetdomaininfo>> {
        self.getdomaininfolist()
    }
    fn info(&self, domid: DomId) -> Result<XenDomctlGetdomaininfo> {
        self.getdomaininfo(domid)
    }
    fn affinity(&self, domid: DomId) -> Result<Vec<u32>> {
        self.getnodeaffinity(domid)
    }
    fn stat(&self, sel: DomainSel) -> Result<DomNodeStat> {
        self.numa_getdomnodestat(sel, None, true)
    }
}

/// Whether `e` says this Xen lacks the numastat op `cmd` (stock Xen).
fn lacks(e: &Error, cmd: u32) -> bool {
    matches!(e, Error::NumastatMissing { cmd: c, .. } if *c == cmd)
}

/// getdomnodestat of every domain asked for, one call each, ascending ids,
/// with its handle and node affinity. Domains that `-d all` listed but
/// that are dying, or gone by the time they are asked about, are left out
/// with a line in `notes`; a domain named on the command line that does
/// not exist is an error.
fn fetch_domains(
    src: &impl Source,
    q: &DomainQuery,
    notes: &mut Vec<String>,
) -> Result<Vec<Domain>> {
    // Domain id -> (its info if listed, whether only `-d all` asked).
    let mut ids: BTreeMap<DomId, (Option<XenDomctlGetdomaininfo>, bool)> =
        q.ids.iter().map(|&d| (d, (None, false))).collect();
    if q.all {
        for info in src.list()? {
            if info.is_dying() && !q.ids.contains(&info.domain) {
                notes.push(format!(
                    "domain {} is being destroyed; left out",
                    info.domain
                ));
                continue;
            }
            ids.entry(info.domain).or_insert((None, true)).0 = Some(info);
        }
    }
    let mut out = Vec::with_capacity(ids.len());
    for (domid, (info, listed)) in ids {
        let one = || -> Result<Domain> {
            let stat = src.stat(DomainSel::Domain(domid))?;
            let handle = match info {
                Some(i) => i.handle,
                None => src.info(domid)?.handle,
            };
            // Xen's affinity of a domain without vCPU placement is every
            // possible node (0-63): keep the online ones.
            let mut affinity = src.affinity(domid)?;
            let online: Vec<u32> = stat.online_nodes().collect();
            affinity.retain(|n| online.contains(n));
            Ok(Domain {
                stat,
                handle,
                affinity,
            })
        };
        match one() {
            Ok(d) => out.push(d),
            Err(Error::NoSuchDomain { .. }) if listed => notes.push(format!(
                "domain {domid} went away after it was listed; left out"
            )),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The free pages per node from numainfo's memfree, shaped as a
/// getdomnodestat answer of [`DomainSel::Free`] (a Xen without the op).
fn free_from_numainfo(ni: &NumaInfo) -> Result<DomNodeStat> {
    let raw: Vec<XenNumaNodePages> = ni
        .meminfo
        .iter()
        .map(|m| {
            if meminfo_is_offline(m) {
                XenNumaNodePages::OFFLINE
            } else {
                XenNumaNodePages {
                    page_list: m.memfree >> PAGE_SHIFT,
                    ..Default::default()
                }
            }
        })
        .collect();
    let total = raw.iter().filter(|p| !p.is_offline()).fold(
        XenNumaNodePages::default(),
        XenNumaNodePages::saturating_add,
    );
    let out = XenSysctlNumaGetdomnodestat {
        total,
        nr_nodes: raw.len() as u32,
        ..Default::default()
    };
    DomNodeStat::from_raw(DomainSel::Free, None, &out, Some(&raw))
}

/// One sample of the views in `o`. A Xen without getdomnodestat makes an
/// explicit `-d` fail after the other views were fetched: the error comes
/// back beside the snapshot, so what could be shown still is.
fn sample(
    src: &impl Source,
    o: &Options,
    notes: &mut Vec<String>,
) -> Result<(Snapshot, Option<Error>)> {
    let views: &Views = &o.views;
    let full = o.format != Format::Seed;
    let mut snap = Snapshot::default();
    let mut numainfo: Option<NumaInfo> = None;
    let get_numainfo = |numainfo: &mut Option<NumaInfo>| -> Result<NumaInfo> {
        if let Some(n) = numainfo {
            return Ok(n.clone());
        }
        let n = src.numainfo()?;
        *numainfo = Some(n.clone());
        Ok(n)
    };
    if views.physinfo {
        let physinfo = src.physinfo()?;
        let (ni, cpus) = if full {
            (
                Some(get_numainfo(&mut numainfo)?),
                Some(cpus_by_node(&src.cputopoinfo()?)),
            )
        } else {
            (None, None)
        };
        snap.topology = Some(Topology {
            physinfo,
            numainfo: ni,
            cpus,
        });
    }
    if views.heap {
        let (availheap, source) = match src.numa_availheap() {
            Ok(h) => (h, HeapSource::NumaAvailheap),
            Err(e) if lacks(&e, XEN_SYSCTL_NUMA_AVAILHEAP) => {
                let online: Vec<u32> = get_numainfo(&mut numainfo)?.online_nodes().collect();
                (src.heap_by_width(&online)?, HeapSource::Availheap)
            }
            Err(e) => return Err(e),
        };
        let dma = if full {
            src.dma_width()?
        } else {
            DmaWidth::Unknown
        };
        snap.heap = Some(Heap {
            availheap,
            source,
            dma,
        });
    }
    if views.domains.free {
        snap.free = Some(match src.stat(DomainSel::Free) {
            Ok(stat) => Free {
                stat,
                source: FreeSource::Getdomnodestat,
            },
            Err(e) if lacks(&e, XEN_SYSCTL_NUMA_GETDOMNODESTAT) => Free {
                stat: free_from_numainfo(&get_numainfo(&mut numainfo)?)?,
                source: FreeSource::Numainfo,
            },
            Err(e) => return Err(e),
        });
    }
    let mut deferred = None;
    if views.domains.wants_domains() {
        match fetch_domains(src, &views.domains, notes) {
            Ok(d) => snap.domains = Some(d),
            Err(e) if lacks(&e, XEN_SYSCTL_NUMA_GETDOMNODESTAT) => {
                if views.implicit {
                    snap.domains_unsupported = true;
                } else {
                    deferred = Some(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok((snap, deferred))
}

/// Where output goes, and whether it still can.
struct Out<'a> {
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
}

impl Out<'_> {
    /// Writes `text`; `Err(code)` if stdout is gone.
    fn emit(&mut self, text: &str) -> core::result::Result<(), u8> {
        match self
            .out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush())
        {
            Ok(()) => Ok(()),
            // The reader went away (| head): nothing left to tell anyone.
            Err(e) if e.kind() == ErrorKind::BrokenPipe => Err(EXIT_INTERNAL),
            Err(e) => {
                let _ = writeln!(
                    self.err,
                    "{PROG}: cannot write the output ({e}); check where standard output goes"
                );
                Err(EXIT_INTERNAL)
            }
        }
    }

    fn notes(&mut self, notes: &mut Vec<String>) {
        for note in notes.drain(..) {
            let _ = writeln!(self.err, "{PROG}: note: {note}");
        }
    }

    fn error(&mut self, e: &Error) -> u8 {
        let _ = writeln!(self.err, "{PROG}: {e}; {}", hint(e));
        exit_code(e)
    }
}

/// What to do about `e`, for this command.
fn hint(e: &Error) -> &'static str {
    if lacks(e, XEN_SYSCTL_NUMA_GETDOMNODESTAT) {
        "per-domain placement (-d) needs the patched hypervisor: boot a Xen 4.17 built \
         with the xen-numastat patch series (-p, -H and -d free work on this one)"
    } else {
        e.hint()
    }
}

/// Renders one sample in `o`'s format.
fn render(
    snap: &Snapshot,
    o: &Options,
    width: Option<usize>,
    line_json: bool,
) -> core::result::Result<String, String> {
    Ok(match o.format {
        Format::Seed => render::seed(snap),
        Format::Json => json::render(snap, !line_json),
        Format::Prometheus => prom::render(snap),
        Format::Table => render::tables(snap, &o.table, width).map_err(|table::NoSuchColumn(n)| {
            let nodes = model::node_list(&snap.nodes());
            format!("-s {n}: node {n} is not online (online nodes: {nodes}); sort by one of them, or by Total with -s")
        })?,
    })
}

fn run_sampling(src: &impl Source, o: &Options, io: &mut Out<'_>) -> u8 {
    let width = match o.table.width {
        Some(0) => None,
        Some(w) => Some(w),
        None => xen_numastat_tools::term::width(),
    };
    let count = o.watch.map_or(Some(1), |w| w.count);
    let start = Instant::now();
    let mut before: Option<watch::Figures> = None;
    let mut n: u64 = 0;
    loop {
        n += 1;
        let mut notes = Vec::new();
        let fetched = sample(src, o, &mut notes);
        io.notes(&mut notes);
        let (snap, deferred) = match fetched {
            Ok(x) => x,
            Err(e) => return io.error(&e),
        };
        let text = if o.format == Format::Table && before.is_some() {
            let after = watch::figures(&snap);
            let lines = watch::changes(before.as_ref().unwrap_or(&after), &after, &o.table);
            let t = watch::block(n, start.elapsed().as_secs_f64(), &lines, &o.table);
            before = Some(after);
            t
        } else {
            if o.watch.is_some() && o.format == Format::Table {
                before = Some(watch::figures(&snap));
            }
            let mut t = match render(&snap, o, width, o.watch.is_some()) {
                Ok(t) => t,
                Err(msg) => {
                    let _ = writeln!(io.err, "{PROG}: {msg}");
                    return EXIT_USAGE;
                }
            };
            if o.watch.is_some() && o.format == Format::Seed && n > 1 {
                t.insert(0, '\n');
            }
            t
        };
        if let Err(code) = io.emit(&text) {
            return code;
        }
        if let Some(e) = deferred {
            return io.error(&e);
        }
        if count.is_some_and(|c| n >= c) {
            return EXIT_OK;
        }
        if let Some(w) = o.watch {
            std::thread::sleep(w.interval);
        }
    }
}

/// Runs the command line `args` (without the program name); returns the
/// exit code.
pub fn run(args: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let mut io = Out { out, err };
    let o = match args::parse(args) {
        Ok(Command::Help) => return io.emit(&help()).map_or_else(|c| c, |()| EXIT_OK),
        Ok(Command::Version) => return io.emit(&version()).map_or_else(|c| c, |()| EXIT_OK),
        Ok(Command::Show(o)) => o,
        Err(e) => {
            let _ = writeln!(io.err, "{PROG}: {e}; run '{PROG} --help' for usage");
            return EXIT_USAGE;
        }
    };
    let xen = match Xen::open() {
        Ok(x) => x,
        Err(e) => return io.error(&e),
    };
    run_sampling(&xen, &o, &mut io)
}

#[cfg(test)]
mod tests;
