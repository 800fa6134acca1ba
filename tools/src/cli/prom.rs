// SPDX-License-Identifier: GPL-2.0-only
//! `--prometheus`: the Prometheus text exposition format (version 0.0.4),
//! for node_exporter's textfile collector. Every name has the prefix
//! `xen_numa_` and its unit (`_bytes`, `_ratio`); docs/cli.md lists them.
//! Every family has HELP and TYPE lines and its samples together.
//!
//! A series' labels are its identity, so they hold only what cannot
//! change while Xen runs: node, zone, page list, and a domain's domid and
//! name. Xen keeps a domid for the domain's life; the toolstack writes
//! the name (xenstore `/local/domain/<domid>/name`) at create and changes
//! it only when an administrator renames the domain (`xl rename`), which
//! then starts series under the new name, as a reboot does under a new
//! domid. Without xenstored the label is `name=""`, which Prometheus
//! stores as no label, and `xen_numa_domain_names_available` is 0.
//! Attributes go into `_info` families (value 1) to join on: a zone's
//! address range, a domain's UUID. What can change at run time is a
//! value, never a label: whether a zone is DMA is known only while Xen's
//! boot message is in the console ring, so it is the value of
//! `xen_numa_heap_zone_dma`, absent when unknown, not a label that would
//! rename every zone series when the ring wraps.

use super::model::{HeapSource, Names, Snapshot, ZoneHeap};
use std::fmt::Write as _;
use xen_numastat_abi::{
    zone_end_maddr, zone_start_maddr, MEMZONE_XEN, PAGE_SHIFT, PAGE_SIZE, XEN_INVALID_NODE_DIST,
};
use xen_numastat_tools::HeapCounts;

/// One metric family being written.
struct Family<'a> {
    out: &'a mut String,
    name: &'static str,
}

/// A label value, escaped as the format wants (`\\`, `\"`, `\n`).
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Family<'_> {
    fn sample(&mut self, labels: &[(&str, String)], value: impl std::fmt::Display) {
        self.out.push_str(self.name);
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

fn family<'a>(out: &'a mut String, name: &'static str, help: &str) -> Family<'a> {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
    Family { out, name }
}

fn bytes(pages: u64) -> u64 {
    pages.saturating_mul(PAGE_SIZE as u64)
}

/// The zones that get series: those that start below the host's top of
/// memory (physinfo's `max_mfn`, fixed at boot), or that hold free pages
/// (never hide memory). Without `-p` the top is not known and every zone
/// is kept: the set must not depend on what is free at the moment. Zone 0
/// (`MEMZONE_XEN`) holds pages only with CONFIG_SEPARATE_XENHEAP, which
/// x86 has not (xen/common/page_alloc.c); it is kept only if it has some.
fn zones_with_memory(c: &HeapCounts, max_mfn: Option<u64>) -> Vec<u32> {
    let top = max_mfn.map(|m| m.saturating_add(1) << PAGE_SHIFT);
    c.zones()
        .iter()
        .copied()
        .filter(|&z| {
            let in_ram = z as usize != MEMZONE_XEN
                && match (zone_start_maddr(z as usize), top) {
                    (Some(start), Some(top)) => start < top,
                    (Some(_), None) => true,
                    (None, _) => false,
                };
            in_ram || c.zone_total(z) > 0
        })
        .collect()
}

/// The exposition of `s`.
pub fn render(s: &Snapshot) -> String {
    let mut out = String::new();
    let o = &mut out;
    family(
        o,
        "xen_numa_build_info",
        "The xen-numastat that wrote these metrics (always 1).",
    )
    .sample(&[("version", env!("CARGO_PKG_VERSION").into())], 1);
    if let Some(t) = &s.topology {
        let p = &t.physinfo;
        family(
            o,
            "xen_numa_nodes_online",
            "NUMA nodes online (XEN_SYSCTL_physinfo nr_nodes).",
        )
        .sample(&[], p.nr_nodes);
        family(
            o,
            "xen_numa_cpus_online",
            "CPUs online (XEN_SYSCTL_physinfo nr_cpus).",
        )
        .sample(&[], p.nr_cpus);
        family(
            o,
            "xen_numa_memory_total_bytes",
            "RAM of the host, holes left out (XEN_SYSCTL_physinfo total_pages).",
        )
        .sample(&[], bytes(p.total_pages));
        family(
            o,
            "xen_numa_memory_free_bytes",
            "Free memory of the host: Xen's free heap pages (XEN_SYSCTL_physinfo free_pages).",
        )
        .sample(&[], bytes(p.free_pages));
        let nodes = t.online_nodes();
        let node = |n: u32| vec![("node", n.to_string())];
        let mut f = family(
            o,
            "xen_numa_node_memory_total_bytes",
            "Address span of the node's memory, holes included, not its RAM \
             (XEN_SYSCTL_numainfo memsize, node_spanned_pages): the nodes can add up to \
             more than xen_numa_memory_total_bytes.",
        );
        for &n in &nodes {
            let (size, _) = t.node_memory(n).unwrap_or((0, 0));
            f.sample(&node(n), bytes(size));
        }
        let mut f = family(
            o,
            "xen_numa_node_memory_free_bytes",
            "Free memory of the node: Xen's free heap pages on it (XEN_SYSCTL_numainfo memfree).",
        );
        for &n in &nodes {
            let (_, free) = t.node_memory(n).unwrap_or((0, 0));
            f.sample(&node(n), bytes(free));
        }
        if t.cpus.is_some() {
            let mut f = family(
                o,
                "xen_numa_node_cpus",
                "CPUs on the node (XEN_SYSCTL_cputopoinfo).",
            );
            for &n in &nodes {
                f.sample(&node(n), t.cpus_of(n).len());
            }
        }
        if let Some(ni) = &t.numainfo {
            let mut f = family(
                o,
                "xen_numa_node_distance",
                "ACPI SLIT distance from node to node, 10 for a node to itself \
                 (XEN_SYSCTL_numainfo).",
            );
            for &from in &nodes {
                for &to in &nodes {
                    if let Some(d) = ni
                        .distance(from as usize, to as usize)
                        .filter(|&d| d != XEN_INVALID_NODE_DIST)
                    {
                        f.sample(&[("from", from.to_string()), ("to", to.to_string())], d);
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
             from one XEN_SYSCTL_availheap call per node and zone (a Xen without the patch).",
        )
        .sample(&[], u8::from(h.source == HeapSource::NumaAvailheap));
        if let Some(end) = h.dma.boundary() {
            family(
                o,
                "xen_numa_heap_dma_boundary_bytes",
                "First machine address above Xen's DMA zones (from its boot message in the \
                 console ring; absent once the ring no longer holds it).",
            )
            .sample(&[], end);
        }
        if let Some(c) = &h.availheap.counts {
            let max_mfn = s.topology.as_ref().map(|t| t.physinfo.max_mfn);
            let zones = zones_with_memory(c, max_mfn);
            let hex = |a: Option<u64>| a.map_or(String::new(), |a| format!("{a:#x}"));
            let mut f = family(
                o,
                "xen_numa_heap_zone_info",
                "A zone of Xen's buddy allocator: machine addresses start (inclusive) to end \
                 (exclusive), in hex (always 1).",
            );
            for &z in &zones {
                f.sample(
                    &[
                        ("zone", z.to_string()),
                        ("start", hex(zone_start_maddr(z as usize))),
                        ("end", hex(zone_end_maddr(z as usize))),
                    ],
                    1,
                );
            }
            if zones
                .iter()
                .any(|&z| ZoneHeap::of(z, h.dma) != ZoneHeap::Unknown)
            {
                let mut f = family(
                    o,
                    "xen_numa_heap_zone_dma",
                    "1 if Xen keeps the zone for DMA allocations (below the DMA boundary), 0 if \
                     not; absent while the DMA boundary is unknown.",
                );
                for &z in &zones {
                    match ZoneHeap::of(z, h.dma) {
                        ZoneHeap::Dma => f.sample(&[("zone", z.to_string())], 1),
                        ZoneHeap::Dom | ZoneHeap::Xen => f.sample(&[("zone", z.to_string())], 0),
                        ZoneHeap::Unknown => {}
                    }
                }
            }
            let mut f = family(
                o,
                "xen_numa_heap_zone_free_bytes",
                "Free memory of Xen's heap on the node in the buddy allocator zone \
                 (XEN_SYSCTL_numa_availheap; xen_numa_heap_zone_info has the zone's addresses).",
            );
            for n in c.online_nodes() {
                for &z in &zones {
                    f.sample(
                        &[("node", n.to_string()), ("zone", z.to_string())],
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
            "Free memory on the node's free lists, counted by walking them \
             (XEN_SYSCTL_numa_getdomnodestat of the free pages; -d free).",
        );
        for n in free.stat.online_nodes() {
            f.sample(
                &[("node", n.to_string())],
                bytes(free.stat.pages(n).map_or(0, |p| p.page_list)),
            );
        }
    }
    if s.domains.is_some() || s.domains_unsupported {
        family(
            o,
            "xen_numa_domain_placement_supported",
            "1 if this Xen reports per-domain placement (XEN_SYSCTL_numa_getdomnodestat), 0 if \
             not (a stock Xen: no xen_numa_domain_* series).",
        )
        .sample(&[], u8::from(s.domains.is_some()));
    }
    if let Some(ds) = &s.domains {
        family(
            o,
            "xen_numa_domain_names_available",
            "1 if the domains' name labels come from xenstore (/local/domain/<domid>/name, \
             as xl list shows them; name=\"\" for a domain without one), 0 if xenstored \
             could not be asked (every name=\"\").",
        )
        .sample(&[], u8::from(s.names == Names::Read));
        // Every domain series: its domid, and its name ("" if unknown).
        let id = |d: &super::model::Domain| {
            vec![
                ("domid", d.domid().to_string()),
                ("name", d.name.clone().unwrap_or_default()),
            ]
        };
        let mut f = family(
            o,
            "xen_numa_domain_info",
            "A domain: its handle, the UUID the toolstack gave it, by domid and name \
             (always 1).",
        );
        for d in ds {
            let mut l = id(d);
            l.push(("uuid", d.uuid()));
            f.sample(&l, 1);
        }
        let mut f = family(
            o,
            "xen_numa_domain_memory_bytes",
            "Memory of the domain on the node, by page list: page_list (its memory), \
             xenpage_list (Xen heap pages it owns), extra_page_list \
             (XEN_SYSCTL_numa_getdomnodestat).",
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
                    f.sample(&l, bytes(v));
                }
            }
        }
        let mut f = family(
            o,
            "xen_numa_domain_nodes",
            "Nodes that hold any of the domain's page_list memory.",
        );
        for d in ds {
            f.sample(&id(d), d.nodes_used());
        }
        let mut f = family(
            o,
            "xen_numa_domain_local_ratio",
            "Share (0 to 1) of the domain's page_list memory on the nodes of its node \
             affinity (XEN_DOMCTL_getnodeaffinity); absent for a domain without memory.",
        );
        for d in ds {
            if let Some(r) = d.local_ratio() {
                f.sample(&id(d), r);
            }
        }
        let mut f = family(
            o,
            "xen_numa_domain_node_affinity",
            "1 for each online node in the domain's node affinity (XEN_DOMCTL_getnodeaffinity).",
        );
        for d in ds {
            for &n in &d.affinity {
                let mut l = id(d);
                l.push(("node", n.to_string()));
                f.sample(&l, 1);
            }
        }
    }
    out
}
