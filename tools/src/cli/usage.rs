// SPDX-License-Identifier: GPL-2.0-only
//! What `--help` and `--version` print.

use super::exit::EXIT_CODES;
use super::json;

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
                      from Xen's per-domain counters (one
                      XEN_SYSCTL_numa_getdomnodestat call, no page walked;
                      if Xen marked them inconsistent, a walk), with its
                      handle, its node affinity (XEN_DOMCTL_getnodeaffinity),
                      how many nodes hold its memory and the share on its
                      affinity nodes (Local); repeat -d for more domains
  -d all              the same for every domain (XEN_SYSCTL_getdomaininfolist);
                      a domain destroyed meanwhile is left out, with a note
                      on stderr
  -d free             the free memory of each node (the 2006 tool's domain -1)
  --verify            with -d: also walk each domain's page lists and print
                      how the walk differs from the counters; exit 9 if a
                      domain's counters and walk differ

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
