// SPDX-License-Identifier: GPL-2.0-only
//! `--json`: one document per sample, described in docs/cli.md and by the
//! JSON Schema tools/xen-numastat.schema.json (`schema_version`
//! [`SCHEMA_VERSION`]; make formats-check validates every output of the
//! host tests against it). Every memory amount is an integer
//! number of bytes in a field named `*_bytes`; Xen's own counters keep
//! their names and are in pages (`tot_pages`). Written by hand (a small
//! value type and its serializer) to keep the static binary free of
//! dependencies; the tests parse the output back with serde_json.

use super::model::{zone_range_label, HeapSource, Names, Snapshot, Topology, ZoneHeap};
use std::fmt::Write as _;
use xen_numastat_abi::{zone_end_maddr, zone_start_maddr, PAGE_SIZE, XEN_INVALID_NODE_DIST};
use xen_numastat_tools::DmaWidth;

/// The schema's version: bumped when a field changes meaning or goes
/// away; new fields may appear without a bump.
pub const SCHEMA_VERSION: u32 = 1;

/// A JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Uint(u64),
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    /// Keys in the order given.
    Object(Vec<(&'static str, Json)>),
}

fn escape(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Json {
    /// Serializes; `indent` spaces per level, or one line with `None`.
    pub fn write(&self, indent: Option<usize>, out: &mut String) {
        self.write_at(indent, 0, out);
    }

    fn newline(indent: Option<usize>, level: usize, out: &mut String) {
        if let Some(i) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(i * level));
        }
    }

    fn write_at(&self, indent: Option<usize>, level: usize, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Uint(n) => {
                let _ = write!(out, "{n}");
            }
            // JSON has no NaN or infinity.
            Json::Float(f) if !f.is_finite() => out.push_str("null"),
            Json::Float(f) => {
                let _ = write!(out, "{f}");
            }
            Json::Str(s) => escape(s, out),
            Json::Array(items) => {
                // Arrays of numbers stay on one line: matrices read better.
                let flat = items
                    .iter()
                    .all(|i| matches!(i, Json::Uint(_) | Json::Float(_) | Json::Null));
                out.push('[');
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        out.push(',');
                        if flat && indent.is_some() {
                            out.push(' ');
                        }
                    }
                    if !flat {
                        Self::newline(indent, level + 1, out);
                    }
                    item.write_at(indent, level + 1, out);
                }
                if !flat && !items.is_empty() {
                    Self::newline(indent, level, out);
                }
                out.push(']');
            }
            Json::Object(fields) => {
                out.push('{');
                for (n, (k, v)) in fields.iter().enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    Self::newline(indent, level + 1, out);
                    escape(k, out);
                    out.push(':');
                    if indent.is_some() {
                        out.push(' ');
                    }
                    v.write_at(indent, level + 1, out);
                }
                if !fields.is_empty() {
                    Self::newline(indent, level, out);
                }
                out.push('}');
            }
        }
    }
}

fn bytes(pages: u64) -> Json {
    Json::Uint(pages.saturating_mul(PAGE_SIZE as u64))
}

fn uints(v: impl IntoIterator<Item = u32>) -> Json {
    Json::Array(v.into_iter().map(|n| Json::Uint(u64::from(n))).collect())
}

fn opt_ratio(r: Option<f64>) -> Json {
    r.map_or(Json::Null, Json::Float)
}

fn topology(t: &Topology) -> Json {
    let p = &t.physinfo;
    let nodes = t.online_nodes();
    let node_objs = nodes
        .iter()
        .map(|&n| {
            let (size, free) = t.node_memory(n).unwrap_or((0, 0));
            let distances = nodes
                .iter()
                .map(|&to| {
                    match t
                        .numainfo
                        .as_ref()
                        .and_then(|ni| ni.distance(n as usize, to as usize))
                    {
                        Some(d) if d != XEN_INVALID_NODE_DIST => Json::Uint(u64::from(d)),
                        _ => Json::Null,
                    }
                })
                .collect();
            Json::Object(vec![
                ("node", Json::Uint(u64::from(n))),
                ("memory_total_bytes", bytes(size)),
                ("memory_free_bytes", bytes(free)),
                ("cpus", uints(t.cpus_of(n).iter().copied())),
                ("distances", Json::Array(distances)),
            ])
        })
        .collect();
    Json::Object(vec![
        ("nr_nodes", Json::Uint(u64::from(p.nr_nodes))),
        ("nr_cpus", Json::Uint(u64::from(p.nr_cpus))),
        ("memory_total_bytes", bytes(p.total_pages)),
        ("memory_free_bytes", bytes(p.free_pages)),
        ("nodes", Json::Array(node_objs)),
    ])
}

fn dma(d: DmaWidth) -> Json {
    match d {
        DmaWidth::Bits(b) => Json::Object(vec![
            ("known", Json::Bool(true)),
            ("bits", Json::Uint(u64::from(b))),
            (
                "boundary_bytes",
                d.boundary().map_or(Json::Null, Json::Uint),
            ),
        ]),
        DmaWidth::None => Json::Object(vec![
            ("known", Json::Bool(true)),
            ("bits", Json::Null),
            ("boundary_bytes", Json::Null),
        ]),
        DmaWidth::Unknown => Json::Object(vec![
            ("known", Json::Bool(false)),
            ("bits", Json::Null),
            ("boundary_bytes", Json::Null),
        ]),
    }
}

/// The document of one sample: the sections of the views asked for.
pub fn document(s: &Snapshot) -> Json {
    let mut doc = vec![
        ("schema_version", Json::Uint(u64::from(SCHEMA_VERSION))),
        (
            "tool",
            Json::Str(format!("xen-numastat {}", env!("CARGO_PKG_VERSION"))),
        ),
        ("timestamp", Json::Str(s.taken.rfc3339())),
        (
            "hostname",
            s.taken.hostname.clone().map_or(Json::Null, Json::Str),
        ),
        ("page_size", Json::Uint(PAGE_SIZE as u64)),
        ("nodes", uints(s.nodes())),
    ];
    if let Some(t) = &s.topology {
        doc.push(("topology", topology(t)));
    }
    if let Some(h) = &s.heap {
        let mut heap = vec![
            ("source", Json::Str(h.source.sysctl().into())),
            (
                "snapshot",
                Json::Bool(h.source == HeapSource::NumaAvailheap),
            ),
            ("nr_zones", Json::Uint(u64::from(h.availheap.nr_zones))),
            ("free_bytes", bytes(h.availheap.pages)),
            ("dma", dma(h.dma)),
        ];
        if let Some(c) = &h.availheap.counts {
            let nodes: Vec<u32> = c.online_nodes().collect();
            heap.push(("nodes", uints(nodes.iter().copied())));
            heap.push((
                "node_free_bytes",
                Json::Array(nodes.iter().map(|&n| bytes(c.node_total(n))).collect()),
            ));
            let zones = c
                .zones()
                .iter()
                .map(|&z| {
                    let start = zone_start_maddr(z as usize).filter(|_| z > 0);
                    let end = zone_end_maddr(z as usize).filter(|_| z > 0);
                    Json::Object(vec![
                        ("zone", Json::Uint(u64::from(z))),
                        ("start", start.map_or(Json::Null, Json::Uint)),
                        ("end", end.map_or(Json::Null, Json::Uint)),
                        ("range", Json::Str(zone_range_label(z))),
                        ("heap", Json::Str(ZoneHeap::of(z, h.dma).name().into())),
                        (
                            "free_bytes",
                            Json::Array(
                                nodes
                                    .iter()
                                    .map(|&n| bytes(c.pages(n, z).unwrap_or(0)))
                                    .collect(),
                            ),
                        ),
                        ("total_free_bytes", bytes(c.zone_total(z))),
                    ])
                })
                .collect();
            heap.push(("zones", Json::Array(zones)));
        }
        doc.push(("heap", Json::Object(heap)));
    }
    if let Some(f) = &s.free {
        let source = f.source.sysctl();
        let nodes = f
            .stat
            .online_nodes()
            .map(|n| {
                Json::Object(vec![
                    ("node", Json::Uint(u64::from(n))),
                    (
                        "free_bytes",
                        bytes(f.stat.pages(n).map_or(0, |p| p.page_list)),
                    ),
                ])
            })
            .collect();
        doc.push((
            "free",
            Json::Object(vec![
                ("source", Json::Str(source.into())),
                ("free_bytes", bytes(f.stat.total.page_list)),
                ("nodes", Json::Array(nodes)),
            ]),
        ));
    }
    if let Some(ds) = &s.domains {
        let list = ds
            .iter()
            .map(|d| {
                let nodes = d
                    .stat
                    .online_nodes()
                    .map(|n| {
                        let p = d.stat.pages(n).unwrap_or_default();
                        Json::Object(vec![
                            ("node", Json::Uint(u64::from(n))),
                            ("page_list_bytes", bytes(p.page_list)),
                            ("xenpage_list_bytes", bytes(p.xenpage_list)),
                            ("extra_page_list_bytes", bytes(p.extra_page_list)),
                        ])
                    })
                    .collect();
                let mut fields = vec![
                    ("domid", Json::Uint(u64::from(d.domid()))),
                    ("name", d.name.clone().map_or(Json::Null, Json::Str)),
                    ("handle", Json::Str(d.uuid())),
                    ("page_list_bytes", bytes(d.total_pages())),
                    ("xenpage_list_bytes", bytes(d.stat.total.xenpage_list)),
                    ("extra_page_list_bytes", bytes(d.stat.total.extra_page_list)),
                    ("nodes", Json::Array(nodes)),
                    ("nodes_used", Json::Uint(u64::from(d.nodes_used()))),
                    ("node_affinity", uints(d.affinity.iter().copied())),
                    ("local_bytes", bytes(d.local_pages())),
                    ("local_ratio", opt_ratio(d.local_ratio())),
                    (
                        "xen",
                        Json::Object(vec![
                            ("tot_pages", Json::Uint(d.stat.tot_pages)),
                            ("xenheap_pages", Json::Uint(d.stat.xenheap_pages)),
                            ("extra_pages", Json::Uint(d.stat.extra_pages)),
                            ("pieces", Json::Uint(u64::from(d.stat.pieces))),
                            ("restarts", Json::Uint(u64::from(d.stat.restarts))),
                            ("source", Json::Str(d.stat.source.name().into())),
                            ("counters_inconsistent", Json::Bool(d.stat.inconsistent)),
                        ]),
                    ),
                ];
                if let Some((c, w)) = &d.verify {
                    let diffs = super::render::verify_diffs(c, w)
                        .into_iter()
                        .map(|(node, list, counters, walk)| {
                            Json::Object(vec![
                                ("node", Json::Uint(u64::from(node))),
                                ("list", Json::Str(list.into())),
                                ("counters_pages", Json::Uint(counters)),
                                ("walk_pages", Json::Uint(walk)),
                            ])
                        })
                        .collect();
                    fields.push(("walk_differences", Json::Array(diffs)));
                }
                Json::Object(fields)
            })
            .collect();
        doc.push(("domains", Json::Array(list)));
        let (available, why) = match &s.names {
            Names::Unavailable { why, .. } => (false, Json::Str(why.clone())),
            Names::Read | Names::NotRead => (true, Json::Null),
        };
        doc.push((
            "domain_names",
            Json::Object(vec![
                ("available", Json::Bool(available)),
                ("unavailable_reason", why),
            ]),
        ));
    } else if s.domains_unsupported {
        doc.push(("domains", Json::Null));
    }
    Json::Object(doc)
}

/// The document of `s`, indented (`pretty`) or on one line, with a final
/// newline.
pub fn render(s: &Snapshot, pretty: bool) -> String {
    let mut out = String::new();
    document(s).write(pretty.then_some(2), &mut out);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializer_escapes_and_indents() {
        let v = Json::Object(vec![
            ("a", Json::Str("q\"\\\n\u{1}é".into())),
            (
                "b",
                Json::Array(vec![Json::Uint(1), Json::Null, Json::Float(0.5)]),
            ),
            ("c", Json::Array(vec![])),
            ("d", Json::Object(vec![])),
            ("e", Json::Float(f64::NAN)),
            (
                "f",
                Json::Array(vec![Json::Object(vec![("x", Json::Bool(true))])]),
            ),
        ]);
        let mut one = String::new();
        v.write(None, &mut one);
        assert_eq!(
            one,
            r#"{"a":"q\"\\\n\u0001é","b":[1,null,0.5],"c":[],"d":{},"e":null,"f":[{"x":true}]}"#
        );
        let mut pretty = String::new();
        v.write(Some(2), &mut pretty);
        let back: serde_json::Value = serde_json::from_str(&pretty).unwrap();
        let again: serde_json::Value = serde_json::from_str(&one).unwrap();
        assert_eq!(back, again);
        assert!(pretty.contains("\n  \"b\": [1, null, 0.5],\n"), "{pretty}");
    }
}
