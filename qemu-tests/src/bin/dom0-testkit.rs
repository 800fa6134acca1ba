// SPDX-License-Identifier: GPL-2.0-only
//! `dom0-testkit`: the dom0 half of the QEMU tests. Each subcommand makes
//! raw hypercalls through the tools library and prints `key=value` lines
//! the host parses; see [`USAGE`].
//!
//! `availheap`, `heapwalk` and `domnodestat` pass their arguments to the
//! hypervisor as given (invalid ones included: that is the point) and
//! report Xen's answer as `rc=`; they exit 0 once the hypercall was made.
//! Everything else exits 1 on any failure, 2 on a bad command line.
//!
//! `mkdom`, `release` and `destroy` build test domains with known
//! placement from raw domctls and memory_ops, as libxl would but without
//! a kernel: a paused PV domain that owns pages on chosen nodes and nothing
//! else (plus the Xen heap pages Xen gives every domain: shared info and
//! the first grant table frame).
#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Instant;
use xen_numastat_abi::{
    xenmemf_exact_node, DomId, XenNumaNodePages, XenSysctlNumaAvailheap,
    XenSysctlNumaGetdomnodestat, XenSysctlNumaHeapwalk, MAX_NUMNODES, NR_ZONES, PAGE_SIZE,
    XEN_NUMA_ANY, XEN_NUMA_DOMAIN_FREE,
};
use xen_numastat_qemu_tests::domain_build::{pv_domain_config, BuildDomains};
use xen_numastat_tools::{DomainSel, Error, HypercallBuf, Result, Xen};

const PROG: &str = "dom0-testkit";

const USAGE: &str = "\
Usage: dom0-testkit <command>
       dom0-testkit --help
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
  domnodestat <domain|free> <node> [flags [capacity]]
                         raw XEN_SYSCTL_numa_getdomnodestat (free = domain
                         ~0U); with node -1 a nodes buffer of 'capacity'
                         entries (default 64): rc= domain= node= page_list=
                         extra_page_list= xenpage_list= tot_pages=
                         xenheap_pages= extra_pages= pieces= restarts=
                         nr_nodes= source= status= (flags 1: the walk,
                         0: the counters), then on success 'count node=
                         page_list= extra_page_list= xenpage_list=' per
                         online node ('offline node=' per offline node id)
  domains                XEN_SYSCTL_getdomaininfolist: 'domain domid=
                         tot_pages= max_pages= nr_online_vcpus= dying=0|1'
  mkdom <pages on node0> [<pages on node1> ...]
                         a paused PV domain (createdomain: no flags, 1 vCPU;
                         max_mem = the pages asked) with exactly that many
                         pages on each node (XENMEM_populate_physmap, order
                         0, XENMEMF_exact_node): 'domid=', then 'placed
                         node= pages=' per node with pages; the MFNs go to
                         /tmp/dom<D>.node<N>.mfns, one per line
  populate <domid> <node> <pages>
                         <pages> more pages on <node> for an existing domain
                         (max_mem grows by as much; nothing else is
                         allocated): 'placed node= pages='
  populate-order <domid> <node> <order> <extents>
                         <extents> extents of 2^<order> pages on <node>
                         (max_mem grows by as much); every page's MFN is
                         appended to the node's file: 'placed node= pages='
  exchange <domid> <from> <to> <pages>
                         XENMEM_exchange of the last <pages> MFNs of node
                         <from>'s file for as many new pages with
                         XENMEMF_exact_node(<to>); files rewritten:
                         'exchanged from= to= pages='
  churn <seed> <ops>     a new paused PV domain, <ops> random populate
                         (order 0 or 9), release and exchange steps over
                         every online node, each followed by counters ==
                         walk == the placement asked for; then destroyed:
                         'churn seed= ops= populate= populate_order9=
                         release= exchange= pages_moved= checks= max_pages='
  held-destroy <domid> <node> <pages>
                         maps the first <pages> MFNs of node <node>'s file
                         into dom0 (privcmd foreign mapping: Xen must keep
                         them), destroys the domain, reports it while held
                         ('held domid= dying= tot_pages= stat_rc= walk_rc='),
                         unmaps, and waits for it to go ('released
                         domid= gone=0|1 after_ms=')
  hammer <secs>           two threads call availheap and getdomnodestat
                         (counters and walk) on a new domain and dom0 while
                         a third populates and releases its pages, for
                         <secs> seconds; then counters == walk == asked:
                         'hammer secs= calls= ebusy= other_errors=
                         walk_restarts= populated= released= exact=0|1'
  flask                  (the FLASK image only) a domU_t domain, both ops as
                         dom0_t, then dom0 relabelled to numastat_reader_t
                         and both ops again: 'sids ...', 'domid=', 'as=TYPE
                         availheap= free= domu= domu_walk= dom0= dom0_walk='
                         (rc per call), 'relabel rc='; last in a boot
  hostile                the numastat sysctls with raw, hostile arguments
                         (wrong interface version; struct or handles
                         unmapped, read-only or straddling a page; 0xAA
                         prefill; out-of-range ids): 'case NAME rc= want='
                         per case, 'after NAME rc=0' for the valid calls
                         that follow, then 'hostile cases= bad='
  as-user <uid> <command> [args...]
                         run a command with uid and gid <uid>, print its
                         output, then 'as-user rc=<exit status>'
  release <domid> <node> <pages>
                         XENMEM_decrease_reservation of the last <pages>
                         MFNs of /tmp/dom<D>.node<N>.mfns (rewritten):
                         'released node= pages='
  destroy <domid>        XEN_DOMCTL_destroydomain; removes the .mfns files:
                         'destroyed domid='
  affinity <domid>       XEN_DOMCTL_getnodeaffinity: 'affinity domid= nodes='
  bench <domid> <reps>   getdomnodestat(domid) timed with the TSC,
                         <reps> samples each, interleaved: the counters
                         (node -1, flags 0), the walk (node -1, flags 1) and
                         the 2006 method (one walk call per online node):
                         'bench domid= pages= reps= nodes= pieces=',
                         'clock reads= zero_steps= n= min_ns= ...
                         tsc_per_ns=' (1000 back-to-back CLOCK_MONOTONIC
                         reads; TSC ticks per ns over 0.5 s), 'time method=counters|walk|
                         per_node|null batch= n= min_ns= p10_ns= median_ns=
                         p90_ns= max_ns= spread_pct=' (ns per call, per
                         round for per_node; a sample times 'batch' calls
                         lasting >= 2 ms; null: an unknown flag, refused
                         with -EINVAL: the path's own cost) and 'ratio
                         name=walk_over_counters|per_node_over_walk|
                         per_node_over_counters n= min= ... spread_pct='
                         (of the ratios within each rep)
  allocbench <order> <rounds> [address_bits]
                         a new paused PV domain, one warm-up and <rounds>
                         timed rounds of populate_physmap (node 0; with
                         XENMEMF_address_bits if given) then
                         decrease_reservation of 4096 pages in extents of
                         2^<order> (0 or 9), then destroyed: 'allocbench
                         order= extents= pages= rounds= address_bits=
                         domid= tsc_per_ns=', then 'time
                         op=populate|decrease order= n= min_ns= ...
                         spread_pct= pages_per_s=' (ns per round)
  unpriv-probe           (in a guest) XENVER_version, then both numastat
                         sysctls and physinfo: 'xen_version rc= major=
                         minor=', 'case NAME rc= layer=xen|privcmd|none'
                         (who refused: Xen, or Linux's restricted privcmd)
  unpriv-hammer numastat|xen_version <secs>
                         (in a guest) both numastat sysctls, or (the
                         control) XENVER_version, back to back for <secs>
                         seconds ('unpriv-hammer NAME start' on stderr
                         first): 'unpriv-hammer calls=NAME secs= calls=
                         eperm_xen= ok= other='; fails if other > 0
  spin <secs>            a CPU-bound loop in user space, no system or
                         hypercall ('spin start'/'spin end' on stderr):
                         what a busy guest costs dom0 without calling Xen
                         (the control for unpriv-hammer): 'spin secs= loops='
  latency <reps>         dom0's latency of availheap(-1, -1) and
                         getdomnodestat(0, counters), <reps> each,
                         interleaved, TSC-timed: 'latency
                         op=availheap|getdomnodestat n= min_ns= ...'
Numbers are decimal, may be negative, and are sent as their 32-bit pattern
(domain ids of mkdom/release/destroy/affinity/bench: 0 to 32751).
";

/// Exit codes.
const EXIT_FAILURE: u8 = 1;
const EXIT_USAGE: u8 = 2;

enum Failure {
    Usage(String),
    Xen(Error),
    /// Anything else (a file of `mkdom`), with its sentence.
    Other(String),
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

/// A domain id for the domain-building commands: decimal, 0..0x7ff0.
fn parse_domid(s: &str) -> core::result::Result<DomId, Failure> {
    match s.parse::<u16>() {
        Ok(d) if s.bytes().all(|b| b.is_ascii_digit()) && DomainSel::Domain(d).is_valid() => Ok(d),
        _ => Err(Failure::Usage(format!(
            "domain id '{s}' is not a decimal number from 0 to 32751"
        ))),
    }
}

/// A count: decimal, no sign.
fn parse_count(what: &str, s: &str) -> core::result::Result<u64, Failure> {
    match s.parse::<u64>() {
        Ok(n) if s.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(Failure::Usage(format!(
            "{what} '{s}' is not a decimal count"
        ))),
    }
}

/// Where `mkdom` keeps the MFNs of a domain's pages on a node.
fn mfns_path(domid: DomId, node: u32) -> String {
    format!("/tmp/dom{domid}.node{node}.mfns")
}

fn io_failure(what: String, e: std::io::Error) -> Failure {
    Failure::Other(format!("{what}: {e}"))
}

fn read_mfns(path: &str) -> core::result::Result<Vec<u64>, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| io_failure(format!("cannot read {path} (made by mkdom)"), e))?;
    text.lines()
        .map(|l| {
            l.trim()
                .parse::<u64>()
                .map_err(|_| Failure::Other(format!("{path}: bad line '{l}'")))
        })
        .collect()
}

fn write_mfns(path: &str, mfns: &[u64]) -> core::result::Result<(), Failure> {
    let mut text = String::with_capacity(mfns.len() * 8);
    for m in mfns {
        let _ = writeln!(text, "{m}");
    }
    std::fs::write(path, text).map_err(|e| io_failure(format!("cannot write {path}"), e))
}

/// Sets max_mem and places `pages[n]` pages on node `n` of `domid`.
fn populate(
    xen: &Xen,
    domid: DomId,
    pages: &[u64],
    out: &mut String,
) -> core::result::Result<(), Failure> {
    let total: u64 = pages.iter().sum();
    let kib = total
        .checked_mul(PAGE_SIZE as u64 / 1024)
        .ok_or_else(|| Failure::Usage(format!("{total} pages overflow max_mem")))?;
    xen.set_max_mem(domid, kib)?;
    let mut next_gpfn = 0u64;
    for (node, &k) in (0u32..).zip(pages) {
        if k == 0 {
            continue;
        }
        let gpfns: Vec<u64> = (next_gpfn..next_gpfn + k).collect();
        next_gpfn += k;
        let mfns = xen.populate_physmap(domid, xenmemf_exact_node(node), &gpfns)?;
        write_mfns(&mfns_path(domid, node), &mfns)?;
        let _ = writeln!(out, "placed node={node} pages={k}");
    }
    Ok(())
}

fn mkdom(xen: &Xen, pages: &[u64], out: &mut String) -> core::result::Result<(), Failure> {
    let domid = xen.create_domain(&pv_domain_config())?;
    let _ = writeln!(out, "domid={domid}");
    if let Err(e) = populate(xen, domid, pages, out) {
        // Leave no half-built domain behind.
        let gone = xen.destroy_domain(domid);
        remove_mfns(domid, pages.len() as u32);
        let _ = writeln!(
            out,
            "destroyed domid={domid} (mkdom failed{})",
            if gone.is_ok() {
                ""
            } else {
                "; destroy failed too"
            }
        );
        return Err(e);
    }
    Ok(())
}

/// Adds `pages` pages on `node` to an existing domain: max_mem grows by
/// exactly that, the new MFNs are appended to the node's file. Nothing else
/// is allocated, so availheap's free pages of `node` drop by exactly `pages`.
fn populate_more(
    xen: &Xen,
    domid: DomId,
    node: u32,
    pages: u64,
    out: &mut String,
) -> core::result::Result<(), Failure> {
    populate_order(xen, domid, node, 0, pages, out)
}

/// Grows max_mem of `domid` by `pages` (PV gpfns are labels: the new ones
/// start above every page the domain had).
fn grow(xen: &Xen, domid: DomId, pages: u64) -> core::result::Result<u64, Failure> {
    let info = xen.getdomaininfo(domid)?;
    let total = info.tot_pages.saturating_add(pages);
    let kib = total
        .checked_mul(PAGE_SIZE as u64 / 1024)
        .ok_or_else(|| Failure::Usage(format!("{total} pages overflow max_mem")))?;
    xen.set_max_mem(domid, kib)?;
    Ok((1u64 << 33) + info.tot_pages)
}

fn populate_order(
    xen: &Xen,
    domid: DomId,
    node: u32,
    order: u32,
    extents: u64,
    out: &mut String,
) -> core::result::Result<(), Failure> {
    let pages = extents << order;
    let base = grow(xen, domid, pages)?;
    let gpfns: Vec<u64> = (0..extents).map(|e| base + (e << order)).collect();
    let firsts = xen.populate_physmap_order(domid, xenmemf_exact_node(node), order, &gpfns)?;
    let path = mfns_path(domid, node);
    let mut all = read_mfns(&path).unwrap_or_default();
    for f in firsts {
        all.extend(f..f + (1 << order));
    }
    write_mfns(&path, &all)?;
    let _ = writeln!(out, "placed node={node} pages={pages}");
    Ok(())
}

fn exchange(
    xen: &Xen,
    domid: DomId,
    from: u32,
    to: u32,
    pages: u64,
    out: &mut String,
) -> core::result::Result<(), Failure> {
    let (src, dst) = (mfns_path(domid, from), mfns_path(domid, to));
    let mut have = read_mfns(&src)?;
    let keep = tail_start(&src, &have, pages)?;
    let gpfns: Vec<u64> = (0..pages).map(|i| (1u64 << 34) + i).collect();
    let new = xen.exchange(domid, &have[keep..], xenmemf_exact_node(to), &gpfns)?;
    have.truncate(keep);
    write_mfns(&src, &have)?;
    let mut there = read_mfns(&dst).unwrap_or_default();
    there.extend(new);
    write_mfns(&dst, &there)?;
    let _ = writeln!(out, "exchanged from={from} to={to} pages={pages}");
    Ok(())
}

fn held_destroy(
    xen: &Xen,
    domid: DomId,
    node: u32,
    pages: u64,
    out: &mut String,
) -> core::result::Result<(), Failure> {
    let mfns = read_mfns(&mfns_path(domid, node))?;
    let k = (pages as usize).min(mfns.len());
    let map = xen.privcmd().map_foreign(domid, &mfns[..k])?;
    xen.destroy_domain(domid)?;
    remove_mfns(domid, MAX_NUMNODES as u32);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let info = xen
        .getdomaininfolist()?
        .into_iter()
        .find(|i| i.domain == domid);
    let rc = |walk: bool| match xen.numa_getdomnodestat(DomainSel::Domain(domid), None, true, walk)
    {
        Ok(_) => 0,
        Err(Error::NoSuchDomain { .. }) => -i64::from(libc::ESRCH),
        Err(Error::Xen { errno, .. }) => -i64::from(errno.get()),
        Err(_) => -1,
    };
    let _ = writeln!(
        out,
        "held domid={domid} listed={} dying={} tot_pages={} stat_rc={} walk_rc={}",
        u8::from(info.is_some()),
        u8::from(info.is_some_and(|i| i.is_dying())),
        info.map_or(0, |i| i.tot_pages),
        rc(false),
        rc(true)
    );
    let t0 = std::time::Instant::now();
    drop(map);
    let mut gone = false;
    while t0.elapsed() < std::time::Duration::from_secs(10) {
        if !xen.getdomaininfolist()?.iter().any(|i| i.domain == domid) {
            gone = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = writeln!(
        out,
        "released domid={domid} gone={} after_ms={}",
        u8::from(gone),
        t0.elapsed().as_millis()
    );
    Ok(())
}

/// Pages a churn domain may hold at most (128 MiB).
const CHURN_CAP: usize = 32768;

fn churn(xen: &Xen, seed: u64, ops: u64, out: &mut String) -> core::result::Result<(), Failure> {
    let nodes: Vec<u32> = xen.numainfo()?.online_nodes().collect();
    let domid = xen.create_domain(&pv_domain_config())?;
    xen.set_max_mem(domid, CHURN_CAP as u64 * (PAGE_SIZE as u64 / 1024))?;
    let res = xen_numastat_qemu_tests::churn::run(xen, domid, &nodes, seed, ops, CHURN_CAP, out);
    let gone = xen.destroy_domain(domid);
    let s = res?;
    gone?;
    let _ = writeln!(
        out,
        "churn seed={seed} ops={ops} populate={} populate_order9={} release={} exchange={} \
         pages_moved={} checks={} max_pages={} domid={domid}",
        s.populate, s.populate_order9, s.release, s.exchange, s.pages_moved, s.checks, s.max_pages
    );
    Ok(())
}

/// Runs a command as another user (for the "not root" error path).
fn as_user(uid: u32, argv: &[&str], out: &mut String) -> core::result::Result<(), Failure> {
    use std::os::unix::process::CommandExt;
    let Some((cmd, args)) = argv.split_first() else {
        return Err(Failure::Usage("as-user needs a command".into()));
    };
    let o = std::process::Command::new(cmd)
        .args(args)
        .uid(uid)
        .gid(uid)
        .output()
        .map_err(|e| io_failure(format!("cannot run {cmd} as uid {uid}"), e))?;
    out.push_str(&String::from_utf8_lossy(&o.stdout));
    out.push_str(&String::from_utf8_lossy(&o.stderr));
    let _ = writeln!(out, "as-user rc={}", o.status.code().unwrap_or(-1));
    Ok(())
}

/// Where the last `pages` MFNs of a node's file start.
fn tail_start(path: &str, mfns: &[u64], pages: u64) -> core::result::Result<usize, Failure> {
    match usize::try_from(pages) {
        Ok(k) if k <= mfns.len() => Ok(mfns.len() - k),
        _ => Err(Failure::Other(format!(
            "{path} has {} MFNs, fewer than {pages}",
            mfns.len()
        ))),
    }
}

fn remove_mfns(domid: DomId, nodes: u32) {
    for node in 0..nodes {
        let _ = std::fs::remove_file(mfns_path(domid, node));
    }
}

fn release(
    xen: &Xen,
    domid: DomId,
    node: u32,
    pages: u64,
    out: &mut String,
) -> core::result::Result<(), Failure> {
    let path = mfns_path(domid, node);
    let mut mfns = read_mfns(&path)?;
    let keep = tail_start(&path, &mfns, pages)?;
    let k = mfns.len() - keep;
    let result = xen.decrease_reservation(domid, &mfns[keep..]);
    let done = match &result {
        Ok(()) => k,
        Err(Error::Incomplete { done, .. }) => usize::try_from(*done).unwrap_or(0).min(k),
        Err(_) => 0,
    };
    // The first `done` of the released tail are gone from the domain.
    mfns.drain(keep..keep + done);
    write_mfns(&path, &mfns)?;
    result?;
    let _ = writeln!(out, "released node={node} pages={pages}");
    Ok(())
}

fn destroy(xen: &Xen, domid: DomId, out: &mut String) -> Result<()> {
    xen.destroy_domain(domid)?;
    remove_mfns(domid, MAX_NUMNODES as u32);
    let _ = writeln!(out, "destroyed domid={domid}");
    Ok(())
}

fn domains(xen: &Xen, out: &mut String) -> Result<()> {
    for d in xen.getdomaininfolist()? {
        let _ = writeln!(
            out,
            "domain domid={} tot_pages={} max_pages={} nr_online_vcpus={} dying={}",
            d.domain,
            d.tot_pages,
            d.max_pages,
            d.nr_online_vcpus,
            u8::from(d.is_dying())
        );
    }
    Ok(())
}

fn affinity(xen: &Xen, domid: DomId, out: &mut String) -> Result<()> {
    let nodes: Vec<String> = xen
        .getnodeaffinity(domid)?
        .iter()
        .map(u32::to_string)
        .collect();
    let _ = writeln!(out, "affinity domid={domid} nodes={}", nodes.join(","));
    Ok(())
}

/// One raw getdomnodestat; `capacity` entries of nodes buffer with the
/// node wildcard.
fn domnodestat_raw(
    xen: &Xen,
    domain: u32,
    node: u32,
    pad: u32,
    capacity: u32,
    out: &mut String,
) -> core::result::Result<(), Failure> {
    let mut buf = if node as i32 == XEN_NUMA_ANY {
        Some(
            xen.privcmd()
                .alloc(capacity as usize * core::mem::size_of::<XenNumaNodePages>())?,
        )
    } else {
        None
    };
    let mut ds = XenSysctlNumaGetdomnodestat {
        domain,
        node: node as i32,
        nodes: buf.as_ref().map_or(0, HypercallBuf::handle),
        nr_nodes: if buf.is_some() { capacity } else { 0 },
        flags: pad,
        ..Default::default()
    };
    let mut bufs: Vec<&mut HypercallBuf> = buf.iter_mut().collect();
    let rc = rc_of(xen.privcmd().sysctl(&mut ds, &mut bufs))?;
    let t = &ds.total;
    let _ = writeln!(
        out,
        "rc={rc} domain={} node={} page_list={} extra_page_list={} xenpage_list={} \
         tot_pages={} xenheap_pages={} extra_pages={} pieces={} restarts={} nr_nodes={} \
         source={} status={}",
        domain as i32,
        node as i32,
        t.page_list,
        t.extra_page_list,
        t.xenpage_list,
        ds.tot_pages,
        ds.xenheap_pages,
        ds.extra_pages,
        ds.pieces,
        ds.restarts,
        ds.nr_nodes,
        ds.source,
        ds.status
    );
    if let (0, Some(b)) = (rc, &buf) {
        let n = ds.nr_nodes.min(capacity) as usize;
        for (id, p) in b.read::<XenNumaNodePages>(0, n)?.iter().enumerate() {
            if p.is_offline() {
                let _ = writeln!(out, "offline node={id}");
            } else {
                let _ = writeln!(
                    out,
                    "count node={id} page_list={} extra_page_list={} xenpage_list={}",
                    p.page_list, p.extra_page_list, p.xenpage_list
                );
            }
        }
    }
    Ok(())
}

/// Time of one `bench` sample at least (TSC time, qemu_tests::tsc): batches of calls below it.
const BENCH_SAMPLE_NS: f64 = 2e6;

/// Times getdomnodestat three ways, `reps` samples each, interleaved (the
/// order rotates every rep) so that host noise hits all three alike: the
/// counters (node -1, flags 0: no page visited), the walk (node -1,
/// `XEN_NUMA_GDNS_WALK`: one walk answers every node) and the 2006 method
/// (one walk call per online node; a sample is the whole round). Each call
/// is checked to answer from the source asked for. Prints one `time` line
/// per method (ns per call or round) and one `ratio` line per pair, from
/// the ratios of the samples of one rep.
fn bench(
    xen: &Xen,
    domid: DomId,
    reps: u32,
    out: &mut String,
) -> core::result::Result<(), Failure> {
    use xen_numastat_abi::{XEN_NUMA_GDNS_WALK, XEN_NUMA_SRC_COUNTERS, XEN_NUMA_SRC_WALK};
    use xen_numastat_qemu_tests::stats::Summary;
    use xen_numastat_qemu_tests::tsc::{rdtsc, Tsc};
    let tsc = Tsc::calibrate(std::time::Duration::from_millis(500));
    let nodes: Vec<u32> = xen.numainfo()?.online_nodes().collect();
    let mut buf = xen
        .privcmd()
        .alloc(MAX_NUMNODES * core::mem::size_of::<XenNumaNodePages>())?;
    let all_nodes = |flags: u32| XenSysctlNumaGetdomnodestat {
        domain: u32::from(domid),
        node: XEN_NUMA_ANY,
        nodes: buf.handle(),
        nr_nodes: MAX_NUMNODES as u32,
        flags,
        ..Default::default()
    };
    // The same path with nothing for Xen to do: an unknown flag is refused
    // (-EINVAL) before any lock or domain lookup. What the ioctl, the
    // hypercall buffers and the sysctl envelope cost by themselves.
    let (counters, walk, null) = (
        all_nodes(0),
        all_nodes(XEN_NUMA_GDNS_WALK),
        all_nodes(1 << 31),
    );
    let wrong_source = |what: &str, want: u32, got: u32| {
        Failure::Other(format!(
            "bench: the {what} call answered from source {got}, not {want}: \
             this Xen does not take XEN_NUMA_GDNS_walk as the benchmark expects"
        ))
    };
    // One call of each outside the clock: the answer, and the domain exists.
    let mut first = walk;
    xen.privcmd().sysctl(&mut first, &mut [&mut buf])?;
    // `batch` calls (rounds for kind 2) of one method; the source checked.
    let time =
        |kind: usize, batch: u32, buf: &mut HypercallBuf| -> core::result::Result<f64, Failure> {
            let start = rdtsc();
            for _ in 0..batch {
                match kind {
                    0 | 1 => {
                        let (mut ds, want) = if kind == 0 {
                            (counters, XEN_NUMA_SRC_COUNTERS)
                        } else {
                            (walk, XEN_NUMA_SRC_WALK)
                        };
                        xen.privcmd().sysctl(&mut ds, &mut [&mut *buf])?;
                        if ds.source != want {
                            return Err(wrong_source(["counters", "walk"][kind], want, ds.source));
                        }
                    }
                    2 => {
                        let mut sources = 0u32;
                        for &n in &nodes {
                            let mut ds = XenSysctlNumaGetdomnodestat {
                                domain: u32::from(domid),
                                node: n as i32,
                                flags: XEN_NUMA_GDNS_WALK,
                                ..Default::default()
                            };
                            xen.privcmd().sysctl(&mut ds, &mut [])?;
                            sources |= 1 << ds.source.min(31);
                        }
                        if sources != 1 << XEN_NUMA_SRC_WALK {
                            return Err(wrong_source("per-node", XEN_NUMA_SRC_WALK, sources));
                        }
                    }
                    _ => {
                        let mut ds = null;
                        match xen.privcmd().sysctl(&mut ds, &mut [&mut *buf]) {
                            Err(e) if e.xen_errno().is_some_and(|n| n.get() == libc::EINVAL) => {}
                            other => {
                                return Err(Failure::Other(format!(
                                "bench: an unknown flag was not refused with -EINVAL: {other:?}"
                            )))
                            }
                        }
                    }
                }
            }
            Ok(tsc.ns(rdtsc().wrapping_sub(start)) / f64::from(batch))
        };
    // The clock is the TSC (see qemu_tests::tsc: dom0's CLOCK_MONOTONIC can
    // stand still for milliseconds under QEMU); say how CLOCK_MONOTONIC
    // behaved, for the record. Batches last at least BENCH_SAMPLE_NS,
    // sized from one call of each method.
    let mut steps: Vec<f64> = Vec::with_capacity(1000);
    let mut last = Instant::now();
    for _ in 0..1000 {
        let now = Instant::now();
        steps.push(now.duration_since(last).as_nanos() as f64);
        last = now;
    }
    let zero_steps = steps.iter().filter(|&&d| d == 0.0).count();
    let mut batches = [1u32; 4];
    for (kind, b) in batches.iter_mut().enumerate() {
        let once = time(kind, 1, &mut buf)?.max(time(kind, 1, &mut buf)?);
        *b = (BENCH_SAMPLE_NS / once.max(1.0)).ceil().clamp(1.0, 256.0) as u32;
    }
    let mut samples = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    for rep in 0..reps as usize {
        for k in 0..4 {
            let kind = (rep + k) % 4;
            samples[kind].push(time(kind, batches[kind], &mut buf)?);
        }
    }
    let _ = writeln!(
        out,
        "bench domid={domid} pages={} reps={reps} nodes={} pieces={}",
        first.tot_pages,
        nodes.len(),
        first.pieces
    );
    if let Some(c) = Summary::of(&steps) {
        let _ = writeln!(
            out,
            "clock reads=1000 zero_steps={zero_steps} {} tsc_per_ns={:.6}",
            c.words("_ns"),
            tsc.per_ns
        );
    }
    for ((name, s), batch) in ["counters", "walk", "per_node", "null"]
        .iter()
        .zip(&samples)
        .zip(batches)
    {
        if let Some(sum) = Summary::of(s) {
            let _ = writeln!(out, "time method={name} batch={batch} {}", sum.words("_ns"));
        }
    }
    let paired =
        |a: &[f64], b: &[f64]| -> Vec<f64> { a.iter().zip(b).map(|(x, y)| x / y).collect() };
    for (name, a, b) in [
        ("walk_over_counters", 1, 0),
        ("per_node_over_walk", 2, 1),
        ("per_node_over_counters", 2, 0),
    ] {
        if let Some(sum) = Summary::of(&paired(&samples[a], &samples[b])) {
            let _ = writeln!(out, "ratio name={name} {}", sum.words(""));
        }
    }
    Ok(())
}

/// Pages populated and released per `allocbench` round (16 MiB).
const ALLOCBENCH_PAGES: u64 = 4096;

/// Times `rounds` rounds of `XENMEM_populate_physmap` of
/// [`ALLOCBENCH_PAGES`] pages in extents of 2^`order` on node 0
/// (`XENMEMF_exact_node`, and `XENMEMF_address_bits(bits)` when `bits` is
/// not 0: the zones the allocator scans end lower) and
/// `XENMEM_decrease_reservation` of the same extents, on a fresh paused PV domain that is destroyed afterwards. One
/// round before the clock starts (first touch of the buffers, the m2p).
/// Timed with the TSC (qemu_tests::tsc).
/// The extent list lives in one hypercall buffer for all rounds: what the
/// clock sees beside Xen's work is the ioctl. Prints one `time` line per
/// operation (ns per round) and the median throughput.
fn allocbench(
    xen: &Xen,
    order: u32,
    rounds: u32,
    bits: u32,
    out: &mut String,
) -> core::result::Result<(), Failure> {
    use xen_numastat_abi::{
        XenMemoryReservation, XENMEM_DECREASE_RESERVATION, XENMEM_POPULATE_PHYSMAP,
    };
    use xen_numastat_qemu_tests::stats::Summary;
    use xen_numastat_qemu_tests::tsc::{rdtsc, Tsc};
    let tsc = Tsc::calibrate(std::time::Duration::from_millis(500));
    let extents = ALLOCBENCH_PAGES >> order;
    let domid = xen.create_domain(&pv_domain_config())?;
    let run = || -> core::result::Result<[Vec<f64>; 2], Failure> {
        xen.set_max_mem(domid, ALLOCBENCH_PAGES * (PAGE_SIZE as u64 / 1024))?;
        let mut buf = xen.privcmd().alloc(extents as usize * 8)?;
        let gpfns: Vec<u64> = (0..extents).map(|e| e << order).collect();
        let op = |cmd: u32, flags: u32, buf: &mut HypercallBuf| {
            let r = XenMemoryReservation {
                extent_start: buf.handle(),
                nr_extents: extents,
                extent_order: order,
                mem_flags: flags,
                domid,
                _pad: [0; 3],
            };
            let start = rdtsc();
            let done = xen.privcmd().memory_op(cmd, &r, buf)?;
            let t = tsc.ns(rdtsc().wrapping_sub(start));
            if done != extents {
                return Err(Failure::Other(format!(
                    "allocbench: memory_op {cmd} did {done} of {extents} extents of order {order}"
                )));
            }
            Ok(t)
        };
        let mut times = [Vec::new(), Vec::new()];
        for round in 0..=rounds {
            buf.write(0, &gpfns)?;
            // PV: Xen writes each extent's first MFN back, which is what
            // decrease_reservation takes.
            let p = op(
                XENMEM_POPULATE_PHYSMAP,
                xenmemf_exact_node(0) | bits,
                &mut buf,
            )?;
            let d = op(XENMEM_DECREASE_RESERVATION, 0, &mut buf)?;
            if round > 0 {
                times[0].push(p);
                times[1].push(d);
            }
        }
        Ok(times)
    };
    let res = run();
    let gone = xen.destroy_domain(domid);
    let times = res?;
    gone?;
    let _ = writeln!(
        out,
        "allocbench order={order} extents={extents} pages={ALLOCBENCH_PAGES} rounds={rounds} \
         address_bits={bits} domid={domid} tsc_per_ns={:.6}",
        tsc.per_ns
    );
    for (name, t) in ["populate", "decrease"].iter().zip(&times) {
        if let Some(s) = Summary::of(t) {
            let _ = writeln!(
                out,
                "time op={name} order={order} {} pages_per_s={:.0}",
                s.words("_ns"),
                ALLOCBENCH_PAGES as f64 * 1e9 / s.median
            );
        }
    }
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
        Domnodestat(u32, u32, u32, u32),
        Domains,
        Mkdom(Vec<u64>),
        Release(DomId, u32, u64),
        Destroy(DomId),
        Affinity(DomId),
        Bench(DomId, u32),
        Allocbench(u32, u32, u32),
        Populate(DomId, u32, u64),
        PopulateOrder(DomId, u32, u32, u64),
        Exchange(DomId, u32, u32, u64),
        Churn(u64, u64),
        Hostile,
        Hammer(u64),
        HeldDestroy(DomId, u32, u64),
        Flask,
        AsUser(u32, Vec<&'a str>),
        UnprivProbe,
        UnprivHammer(xen_numastat_qemu_tests::unpriv::HammerCalls, u64),
        Latency(u32),
        Spin(u64),
    }
    let node_arg = |n: &str| -> core::result::Result<u32, Failure> {
        match parse_count("node", n)? {
            v if v < MAX_NUMNODES as u64 => Ok(v as u32),
            _ => Err(Failure::Usage(format!(
                "node '{n}' is not below {MAX_NUMNODES}"
            ))),
        }
    };
    let domain_bits = |s: &str| {
        if s == "free" {
            Ok(XEN_NUMA_DOMAIN_FREE)
        } else {
            parse_u32_bits("domain", s)
        }
    };
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
        ["domnodestat", d, n] => Cmd::Domnodestat(
            domain_bits(d)?,
            parse_u32_bits("node", n)?,
            0,
            MAX_NUMNODES as u32,
        ),
        ["domnodestat", d, n, pad] => Cmd::Domnodestat(
            domain_bits(d)?,
            parse_u32_bits("node", n)?,
            parse_u32_bits("pad", pad)?,
            MAX_NUMNODES as u32,
        ),
        ["domnodestat", d, n, pad, cap] => Cmd::Domnodestat(
            domain_bits(d)?,
            parse_u32_bits("node", n)?,
            parse_u32_bits("pad", pad)?,
            match parse_count("capacity", cap)? {
                c if c <= 4096 => c as u32,
                _ => return Err(Failure::Usage(format!("capacity '{cap}' is above 4096"))),
            },
        ),
        ["domains"] => Cmd::Domains,
        ["mkdom", ref pages @ ..] if !pages.is_empty() => {
            if pages.len() > MAX_NUMNODES {
                return Err(Failure::Usage(format!(
                    "{} nodes given; Xen has at most {MAX_NUMNODES}",
                    pages.len()
                )));
            }
            let pages = pages
                .iter()
                .map(|p| parse_count("pages", p))
                .collect::<core::result::Result<Vec<u64>, Failure>>()?;
            Cmd::Mkdom(pages)
        }
        ["release", d, n, k] => {
            let node = parse_count("node", n)?;
            if node >= MAX_NUMNODES as u64 {
                return Err(Failure::Usage(format!(
                    "node '{n}' is not below {MAX_NUMNODES}"
                )));
            }
            Cmd::Release(parse_domid(d)?, node as u32, parse_count("pages", k)?)
        }
        ["populate", d, n, k] => {
            let node = parse_count("node", n)?;
            if node >= MAX_NUMNODES as u64 {
                return Err(Failure::Usage(format!(
                    "node '{n}' is not below {MAX_NUMNODES}"
                )));
            }
            Cmd::Populate(parse_domid(d)?, node as u32, parse_count("pages", k)?)
        }
        ["populate-order", d, n, o, k] => match parse_count("order", o)? {
            order @ 0..=18 => Cmd::PopulateOrder(
                parse_domid(d)?,
                node_arg(n)?,
                order as u32,
                parse_count("extents", k)?,
            ),
            _ => return Err(Failure::Usage(format!("order '{o}' is not 0 to 18"))),
        },
        ["exchange", d, a, b, k] => Cmd::Exchange(
            parse_domid(d)?,
            node_arg(a)?,
            node_arg(b)?,
            parse_count("pages", k)?,
        ),
        ["hostile"] => Cmd::Hostile,
        ["flask"] => Cmd::Flask,
        ["held-destroy", d, n, k] => {
            Cmd::HeldDestroy(parse_domid(d)?, node_arg(n)?, parse_count("pages", k)?)
        }
        ["hammer", s] => match parse_count("secs", s)? {
            secs @ 1..=3600 => Cmd::Hammer(secs),
            _ => return Err(Failure::Usage(format!("secs '{s}' is not 1 to 3600"))),
        },
        ["churn", seed, ops] => Cmd::Churn(parse_count("seed", seed)?, parse_count("ops", ops)?),
        ["unpriv-probe"] => Cmd::UnprivProbe,
        ["unpriv-hammer", what, s] => {
            use xen_numastat_qemu_tests::unpriv::HammerCalls;
            let what = match what {
                "numastat" => HammerCalls::Numastat,
                "xen_version" => HammerCalls::XenVersion,
                _ => {
                    return Err(Failure::Usage(format!(
                        "'{what}' is not numastat or xen_version"
                    )))
                }
            };
            match parse_count("secs", s)? {
                secs @ 1..=3600 => Cmd::UnprivHammer(what, secs),
                _ => return Err(Failure::Usage(format!("secs '{s}' is not 1 to 3600"))),
            }
        }
        ["spin", s] => match parse_count("secs", s)? {
            secs @ 1..=3600 => Cmd::Spin(secs),
            _ => return Err(Failure::Usage(format!("secs '{s}' is not 1 to 3600"))),
        },
        ["latency", r] => match parse_count("reps", r)? {
            reps @ 1..=1_000_000 => Cmd::Latency(reps as u32),
            _ => return Err(Failure::Usage(format!("reps '{r}' is not 1 to 1000000"))),
        },
        ["as-user", uid, ref argv @ ..] if !argv.is_empty() => {
            let uid = parse_count("uid", uid)?;
            Cmd::AsUser(
                u32::try_from(uid)
                    .map_err(|_| Failure::Usage(format!("uid {uid} is not 32-bit")))?,
                argv.to_vec(),
            )
        }
        ["destroy", d] => Cmd::Destroy(parse_domid(d)?),
        ["affinity", d] => Cmd::Affinity(parse_domid(d)?),
        ["bench", d, r] => match parse_count("reps", r)? {
            reps @ 1..=1_000_000 => Cmd::Bench(parse_domid(d)?, reps as u32),
            _ => return Err(Failure::Usage(format!("reps '{r}' is not 1 to 1000000"))),
        },
        ["allocbench", o, r] | ["allocbench", o, r, _] => {
            let bits = match words.get(3) {
                None => 0,
                Some(b) => match parse_count("address_bits", b)? {
                    v @ 13..=63 => v as u32,
                    _ => {
                        return Err(Failure::Usage(format!(
                            "address_bits '{b}' is not 13 to 63"
                        )))
                    }
                },
            };
            match (parse_count("order", o)?, parse_count("rounds", r)?) {
                (order @ (0 | 9), rounds @ 1..=100_000) => {
                    Cmd::Allocbench(order as u32, rounds as u32, bits)
                }
                (0 | 9, _) => {
                    return Err(Failure::Usage(format!("rounds '{r}' is not 1 to 100000")))
                }
                _ => return Err(Failure::Usage(format!("order '{o}' is not 0 or 9"))),
            }
        }
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
        Cmd::Domnodestat(d, n, pad, cap) => domnodestat_raw(&xen, d, n, pad, cap, out)?,
        Cmd::Domains => domains(&xen, out)?,
        Cmd::Mkdom(pages) => mkdom(&xen, &pages, out)?,
        Cmd::Release(d, n, k) => release(&xen, d, n, k, out)?,
        Cmd::Destroy(d) => destroy(&xen, d, out)?,
        Cmd::Affinity(d) => affinity(&xen, d, out)?,
        Cmd::Bench(d, reps) => bench(&xen, d, reps, out)?,
        Cmd::Allocbench(o, r, b) => allocbench(&xen, o, r, b, out)?,
        Cmd::Populate(d, n, k) => populate_more(&xen, d, n, k, out)?,
        Cmd::PopulateOrder(d, n, o, k) => populate_order(&xen, d, n, o, k, out)?,
        Cmd::Exchange(d, a, b, k) => exchange(&xen, d, a, b, k, out)?,
        Cmd::Churn(seed, ops) => churn(&xen, seed, ops, out)?,
        Cmd::HeldDestroy(d, n, k) => held_destroy(&xen, d, n, k, out)?,
        Cmd::Flask => xen_numastat_qemu_tests::xsm::run(&xen, out)?,
        Cmd::Hammer(secs) => {
            let nodes: Vec<u32> = xen.numainfo()?.online_nodes().collect();
            let domid = xen.create_domain(&pv_domain_config())?;
            let res = xen_numastat_qemu_tests::hammer::run(&xen, domid, &nodes, secs, out);
            let gone = xen.destroy_domain(domid);
            let ok = res?;
            gone?;
            if !ok {
                return Err(Failure::Reported);
            }
        }
        Cmd::Hostile => {
            let bad = xen_numastat_qemu_tests::hostile::run(&xen, out)?;
            let cases = out.lines().filter(|l| l.starts_with("case ")).count();
            let _ = writeln!(out, "hostile cases={cases} bad={bad}");
            if bad > 0 {
                return Err(Failure::Reported);
            }
        }
        Cmd::AsUser(uid, argv) => as_user(uid, &argv, out)?,
        Cmd::UnprivProbe => xen_numastat_qemu_tests::unpriv::probe(&xen, out),
        Cmd::UnprivHammer(what, secs) => {
            if !xen_numastat_qemu_tests::unpriv::hammer(&xen, what, secs, out) {
                return Err(Failure::Reported);
            }
        }
        Cmd::Spin(secs) => xen_numastat_qemu_tests::unpriv::spin(secs, out),
        Cmd::Latency(reps) => xen_numastat_qemu_tests::unpriv::latency(&xen, reps, out)?,
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
    if let [flag] = &args[..] {
        if matches!(flag.as_str(), "-h" | "--help" | "help") {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
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
        Err(Failure::Other(what)) => {
            eprintln!("{PROG}: {what}");
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
    fn domain_ids_and_counts() {
        assert_eq!(parse_domid("0").ok(), Some(0));
        assert_eq!(parse_domid("32751").ok(), Some(0x7fef));
        for bad in ["32752", "65535", "65536", "-1", "+1", "", "x"] {
            assert!(parse_domid(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_count("pages", "4096").ok(), Some(4096));
        assert!(parse_count("pages", "-1").is_err());
        assert!(parse_count("pages", "+1").is_err());
    }

    #[test]
    fn mkdom_config_is_a_plain_pv_domain() {
        let c = pv_domain_config();
        assert_eq!(c.flags & xen_numastat_abi::XEN_DOMCTL_CDF_HVM, 0);
        assert_eq!(c.max_vcpus, 1);
        assert_eq!(c.grant_opts, 1);
        assert_eq!(c.arch, xen_numastat_abi::XenArchDomainconfig::default());
        assert_eq!(mfns_path(3, 1), "/tmp/dom3.node1.mfns");
    }

    #[test]
    fn bad_command_lines_are_refused_before_opening_privcmd() {
        for args in [
            &["availheap", "1"][..],
            &["availheap", "1", "2", "3", "4"],
            &["heapwalk", "x", "0"],
            &["keys"],
            &["nope"],
            &["domnodestat", "x", "0"],
            &["domnodestat", "1"],
            &["domnodestat", "1", "-1", "0", "4097"],
            &["mkdom"],
            &["mkdom", "10", "x"],
            &["populate", "1", "64", "1"],
            &["populate", "1", "0"],
            &["as-user", "x", "ls"],
            &["as-user", "0"],
            &["mkdom", "-1"],
            &["release", "1", "0"],
            &["release", "1", "64", "1"],
            &["destroy", "-1"],
            &["destroy", "32752"],
            &["destroy", "65536"],
            &["bench", "1", "0"],
            &["allocbench", "1", "10"],
            &["allocbench", "9", "0"],
            &["allocbench", "0"],
            &["allocbench", "0", "10", "12"],
            &["affinity"],
            &["unpriv-hammer", "numastat", "0"],
            &["unpriv-hammer", "5"],
            &["unpriv-hammer", "sysctl", "5"],
            &["unpriv-probe", "x"],
            &["latency", "0"],
            &["spin", "0"],
        ] {
            let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            let mut out = String::new();
            assert!(matches!(run(&args, &mut out), Err(Failure::Usage(_))));
            assert!(out.is_empty());
        }
    }
}
