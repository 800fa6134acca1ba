// SPDX-License-Identifier: GPL-2.0-only
//! `--prometheus`: the Prometheus text exposition format (version 0.0.4),
//! for node_exporter's textfile collector. Names follow node_exporter's
//! NUMA metrics (`node_memory_numa_*`) with a `xen_numa_` prefix and the
//! unit in the name (`_bytes`, `_ratio`); docs/cli.md lists them. Every
//! family has HELP and TYPE lines and its samples together.

use super::model::{zone_range_label, HeapSource, Snapshot, ZoneHeap};
use std::fmt::Write as _;
use xen_numastat_abi::{zone_end_maddr, zone_start_maddr, PAGE_SIZE, XEN_INVALID_NODE_DIST};

/// One metric family being written.
struct Family<'a> {
    out: &'a mut String,
}

/// A label value, escaped as the format wants (`\\`, `\"`, `\n`).
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Family<'_> {
    fn sample(&mut self, name: &str, labels: &[(&str, String)], value: impl std::fmt::Display) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape(v));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }
}

fn family<'a>(out: &'a mut String, name: &str, help: &str) -> Family<'a> {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
    Family { out }
}

fn bytes(pages: u64) -> u64 {
    pages.saturating_mul(PAGE_SIZE as u64)
}

/// The exposition of `s`.
pub fn render(s: &Snapshot) -> String {
    let mut out = String::new();
    let o = &mut out;
    let heap_source = s.heap.as_ref().map_or("", |h| h.source.sysctl());
    family(
        o,
        "xen_numastat_info",
        "xen-numastat version and data sources (always 1).",
    )
    .sample(
        "xen_numastat_info",
        &[
            ("version", env!("CARGO_PKG_VERSION").into()),
            ("heap_source", heap_source.into()),
        ],
        1,
    );
    if let Some(t) = &s.topology {
        let p = &t.physinfo;
        family(
            o,
            "xen_numa_nodes_online",
            "NUMA nodes online (XEN_SYSCTL_physinfo).",
        )
        .sample("xen_numa_nodes_online", &[], p.nr_nodes);
        family(
            o,
            "xen_numa_cpus_online",
            "CPUs online (XEN_SYSCTL_physinfo).",
        )
        .sample("xen_numa_cpus_online", &[], p.nr_cpus);
        family(
            o,
            "xen_numa_memory_total_bytes",
            "Memory of the host (XEN_SYSCTL_physinfo).",
        )
        .sample("xen_numa_memory_total_bytes", &[], bytes(p.total_pages));
        family(
            o,
            "xen_numa_memory_free_bytes",
            "Free memory of the host (XEN_SYSCTL_physinfo).",
        )
        .sample("xen_numa_memory_free_bytes", &[], bytes(p.free_pages));
        let nodes = t.online_nodes();
        let node = |n: u32| vec![("node", n.to_string())];
        let mut f = family(
            o,
            "xen_numa_node_memory_total_bytes",
            "Memory of the node (XEN_SYSCTL_numainfo memsize).",
        );
        for &n in &nodes {
            let (size, _) = t.node_memory(n).unwrap_or((0, 0));
            f.sample("xen_numa_node_memory_total_bytes", &node(n), bytes(size));
        }
        let mut f = family(
            o,
            "xen_numa_node_memory_free_bytes",
            "Free memory of the node (XEN_SYSCTL_numainfo memfree).",
        );
        for &n in &nodes {
            let (_, free) = t.node_memory(n).unwrap_or((0, 0));
            f.sample("xen_numa_node_memory_free_bytes", &node(n), bytes(free));
        }
        if t.cpus.is_some() {
            let mut f = family(
                o,
                "xen_numa_node_cpus",
                "CPUs on the node (XEN_SYSCTL_cputopoinfo).",
            );
            for &n in &nodes {
                f.sample("xen_numa_node_cpus", &node(n), t.cpus_of(n).len());
            }
        }
        if let Some(ni) = &t.numainfo {
            let mut f = family(
                o,
                "xen_numa_node_distance",
                "ACPI SLIT distance between two nodes (XEN_SYSCTL_numainfo).",
            );
            for &from in &nodes {
                for &to in &nodes {
                    if let Some(d) = ni
                        .distance(from as usize, to as usize)
                        .filter(|&d| d != XEN_INVALID_NODE_DIST)
                    {
                        f.sample(
                            "xen_numa_node_distance",
                            &[("from", from.to_string()), ("to", to.to_string())],
                            d,
                        );
                    }
                }
            }
        }
    }
    if let Some(h) = &s.heap {
        family(
            o,
            "xen_numa_heap_snapshot",
            "1 if the heap figures are one snapshot (XEN_SYSCTL_numa_availheap), 0 if summed \
             from one XEN_SYSCTL_availheap call per node and zone.",
        )
        .sample(
            "xen_numa_heap_snapshot",
            &[],
            u8::from(h.source == HeapSource::NumaAvailheap),
        );
        if let Some(end) = h.dma.boundary() {
            family(
                o,
                "xen_numa_heap_dma_boundary_bytes",
                "First machine address above Xen's DMA zone (boot message in the console ring).",
            )
            .sample("xen_numa_heap_dma_boundary_bytes", &[], end);
        }
        if let Some(c) = &h.availheap.counts {
            let mut f = family(
                o,
                "xen_numa_heap_zone_free_bytes",
                "Free memory of Xen's heap by node and buddy allocator zone (machine addresses \
                 start to end; heap dma, dom or xen).",
            );
            for n in c.online_nodes() {
                for &z in c.zones() {
                    let hex = |a: Option<u64>| {
                        a.filter(|_| z > 0)
                            .map_or(String::new(), |a| format!("{a:#x}"))
                    };
                    f.sample(
                        "xen_numa_heap_zone_free_bytes",
                        &[
                            ("node", n.to_string()),
                            ("zone", z.to_string()),
                            ("start", hex(zone_start_maddr(z as usize))),
                            ("end", hex(zone_end_maddr(z as usize))),
                            ("range", zone_range_label(z)),
                            ("heap", ZoneHeap::of(z, h.dma).name().into()),
                        ],
                        bytes(c.pages(n, z).unwrap_or(0)),
                    );
                }
            }
        }
    }
    if let Some(free) = &s.free {
        let mut f = family(
            o,
            "xen_numa_free_memory_bytes",
            "Free memory on the node's free lists (-d free).",
        );
        for n in free.stat.online_nodes() {
            f.sample(
                "xen_numa_free_memory_bytes",
                &[("node", n.to_string())],
                bytes(free.stat.pages(n).map_or(0, |p| p.page_list)),
            );
        }
    }
    if s.domains.is_some() || s.domains_unsupported {
        family(
            o,
            "xen_numa_domain_placement_supported",
            "1 if this Xen reports per-domain placement (XEN_SYSCTL_numa_getdomnodestat).",
        )
        .sample(
            "xen_numa_domain_placement_supported",
            &[],
            u8::from(s.domains.is_some()),
        );
    }
    if let Some(ds) = &s.domains {
        let id =
            |d: &super::model::Domain| vec![("domid", d.domid().to_string()), ("handle", d.uuid())];
        let mut f = family(
            o,
            "xen_numa_domain_memory_bytes",
            "Memory of the domain on the node, per page list (page_list, xenpage_list, \
             extra_page_list; XEN_SYSCTL_numa_getdomnodestat).",
        );
        for d in ds {
            for n in d.stat.online_nodes() {
                let p = d.stat.pages(n).unwrap_or_default();
                for (list, v) in [
                    ("page_list", p.page_list),
                    ("xenpage_list", p.xenpage_list),
                    ("extra_page_list", p.extra_page_list),
                ] {
                    let mut l = id(d);
                    l.push(("node", n.to_string()));
                    l.push(("list", list.into()));
                    f.sample("xen_numa_domain_memory_bytes", &l, bytes(v));
                }
            }
        }
        let mut f = family(
            o,
            "xen_numa_domain_nodes",
            "Nodes that hold any of the domain's page_list memory.",
        );
        for d in ds {
            f.sample("xen_numa_domain_nodes", &id(d), d.nodes_used());
        }
        let mut f = family(
            o,
            "xen_numa_domain_local_ratio",
            "Share of the domain's page_list memory on the nodes of its node affinity \
             (XEN_DOMCTL_getnodeaffinity); absent for a domain without memory.",
        );
        for d in ds {
            if let Some(r) = d.local_ratio() {
                f.sample("xen_numa_domain_local_ratio", &id(d), r);
            }
        }
        let mut f = family(
            o,
            "xen_numa_domain_node_affinity",
            "1 for each node in the domain's node affinity (XEN_DOMCTL_getnodeaffinity).",
        );
        for d in ds {
            for &n in &d.affinity {
                let mut l = id(d);
                l.push(("node", n.to_string()));
                f.sample("xen_numa_domain_node_affinity", &l, 1);
            }
        }
    }
    out
}
