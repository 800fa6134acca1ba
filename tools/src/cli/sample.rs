// SPDX-License-Identifier: GPL-2.0-only
//! One sample of the views asked for, with the fallbacks a stock Xen
//! needs (upstream availheap by width, numainfo's memfree), and the
//! domains' names, as a [`Snapshot`].

use super::args::{DomainQuery, Format, Options, Views};
use super::model::{Domain, Free, FreeSource, Heap, HeapSource, Names, Snapshot, Topology};
use super::source::Source;
use std::collections::BTreeMap;
use xen_numastat_abi::{
    DomId, XenDomctlGetdomaininfo, XenNumaNodePages, XenSysctlNumaGetdomnodestat, PAGE_SHIFT,
    XEN_SYSCTL_NUMA_AVAILHEAP, XEN_SYSCTL_NUMA_GETDOMNODESTAT,
};
use xen_numastat_tools::xen::meminfo_is_offline;
use xen_numastat_tools::{cpus_by_node, DmaWidth, DomNodeStat, DomainSel, Error, NumaInfo, Result};

/// Whether `e` says this Xen lacks the numastat op `cmd` (stock Xen).
pub(super) fn lacks(e: &Error, cmd: u32) -> bool {
    matches!(e, Error::NumastatMissing { cmd: c, .. } if *c == cmd)
}

/// getdomnodestat of every domain asked for, one call each, ascending ids,
/// with its handle and node affinity. Domains that `-d all` listed but
/// that are dying, or gone by the time they are asked about, are left out
/// with a line in `notes`; a domain named on the command line that does
/// not exist is an error.
pub(super) fn fetch_domains(
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
        let one = |notes: &mut Vec<String>| -> Result<Domain> {
            let sel = DomainSel::Domain(domid);
            let counters = src.stat(sel, false)?;
            let walked = if q.verify || counters.inconsistent {
                Some(src.stat(sel, true)?)
            } else {
                None
            };
            if counters.inconsistent {
                notes.push(format!(
                    "domain {domid}: Xen marked its page counters inconsistent (see Xen's \
                     log); its figures come from a walk of its page lists"
                ));
            }
            let stat = match (&walked, counters.inconsistent) {
                (Some(w), true) => w.clone(),
                _ => counters.clone(),
            };
            let verify = match walked {
                Some(w) if q.verify => Some((counters, w)),
                _ => None,
            };
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
                verify,
                handle,
                affinity,
                name: None,
            })
        };
        match one(notes) {
            Ok(d) => out.push(d),
            Err(Error::NoSuchDomain { .. }) if listed => notes.push(format!(
                "domain {domid} went away after it was listed; left out"
            )),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Each domain's name, from one xenstore lookup after the domains were
/// asked about (the list and their getdomnodestat calls). A domain
/// xenstore has no name for is asked about again (getdomaininfo): if Xen
/// no longer has it, or it is dying and only `-d all` listed it, the
/// toolstack destroyed it mid-sample and it is left out with a note, as
/// in [`fetch_domains`]; otherwise it is kept without a name (being
/// created, or not made by a toolstack). Without xenstored every domain
/// is kept, unnamed, and the [`Names`] says why.
pub(super) fn name_domains(
    src: &impl Source,
    q: &DomainQuery,
    domains: Vec<Domain>,
    notes: &mut Vec<String>,
) -> Result<(Vec<Domain>, Names)> {
    if domains.is_empty() {
        return Ok((domains, Names::Read));
    }
    let ids: Vec<DomId> = domains
        .iter()
        .map(|d| match d.stat.domain {
            DomainSel::Domain(id) => id,
            DomainSel::Free => DomId::MAX,
        })
        .collect();
    let names = match src.names(&ids) {
        Ok(n) if n.len() == ids.len() => n,
        Ok(n) => {
            return Err(Error::Internal(format!(
                "xenstore gave {} names for {} domains",
                n.len(),
                ids.len()
            )))
        }
        Err(e) => {
            let why = e.to_string();
            let why = if why.starts_with("names unavailable") {
                why
            } else {
                format!("names unavailable: {why}")
            };
            let hint = e.hint();
            return Ok((domains, Names::Unavailable { why, hint }));
        }
    };
    let mut out = Vec::with_capacity(domains.len());
    for ((mut d, domid), name) in domains.into_iter().zip(ids).zip(names) {
        let listed = !q.ids.contains(&domid);
        if name.is_none() {
            match src.info(domid) {
                Ok(i) if i.is_dying() && listed => {
                    notes.push(format!("domain {domid} is being destroyed; left out"));
                    continue;
                }
                Ok(_) => {}
                Err(Error::NoSuchDomain { .. }) if listed => {
                    notes.push(format!(
                        "domain {domid} went away after it was listed; left out"
                    ));
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        d.name = name;
        out.push(d);
    }
    Ok((out, Names::Read))
}

/// The free pages per node from numainfo's memfree, shaped as a
/// getdomnodestat answer of [`DomainSel::Free`] (a Xen without the op).
pub(super) fn free_from_numainfo(ni: &NumaInfo) -> Result<DomNodeStat> {
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
        source: xen_numastat_abi::XEN_NUMA_SRC_FREE,
        ..Default::default()
    };
    DomNodeStat::from_raw(DomainSel::Free, None, &out, Some(&raw))
}

/// One sample of the views in `o`. A Xen without getdomnodestat makes an
/// explicit `-d` fail after the other views were fetched: the error comes
/// back beside the snapshot, so what could be shown still is.
pub(super) fn sample(
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
        snap.free = Some(match src.stat(DomainSel::Free, false) {
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
            // The 2006 lines have no names: not even asked for.
            Ok(d) if !full => snap.domains = Some(d),
            Ok(d) => {
                let (d, names) = name_domains(src, &views.domains, d, notes)?;
                snap.domains = Some(d);
                snap.names = names;
            }
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
