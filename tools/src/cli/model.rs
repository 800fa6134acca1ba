// SPDX-License-Identifier: GPL-2.0-only
//! What one sample fetched from the hypervisor, and the figures derived
//! from it (locality, address ranges). Every output format (table, seed,
//! JSON, Prometheus, watch) is a pure function of a [`Snapshot`], so all of
//! them are tested from recorded answers.

use std::collections::BTreeMap;
use xen_numastat_abi::{
    zone_end_maddr, zone_start_maddr, SysctlPayload, XenSysctlAvailheap, XenSysctlNumaAvailheap,
    XenSysctlNumaGetdomnodestat, XenSysctlNumainfo, XenSysctlPhysinfo, MEMZONE_XEN, PAGE_SHIFT,
};
use xen_numastat_tools::{Availheap, DmaWidth, DomNodeStat, DomainSel, NumaInfo};

/// `-p`: the host, its nodes and CPUs.
#[derive(Clone, Debug, Default)]
pub struct Topology {
    /// `XEN_SYSCTL_physinfo`.
    pub physinfo: XenSysctlPhysinfo,
    /// `XEN_SYSCTL_numainfo` (not fetched for `--format=seed`).
    pub numainfo: Option<NumaInfo>,
    /// `XEN_SYSCTL_cputopoinfo`, grouped: node -> CPU ids (not fetched for
    /// `--format=seed`).
    pub cpus: Option<BTreeMap<u32, Vec<u32>>>,
}

impl Topology {
    /// Online node ids: numainfo's, else none known.
    pub fn online_nodes(&self) -> Vec<u32> {
        self.numainfo
            .as_ref()
            .map(|n| n.online_nodes().collect())
            .unwrap_or_default()
    }

    /// numainfo's (memsize, memfree) of `node`, in pages.
    pub fn node_memory(&self, node: u32) -> Option<(u64, u64)> {
        let m = self.numainfo.as_ref()?.meminfo.get(node as usize)?;
        Some((m.memsize >> PAGE_SHIFT, m.memfree >> PAGE_SHIFT))
    }

    /// CPUs Xen places on `node`.
    pub fn cpus_of(&self, node: u32) -> &[u32] {
        self.cpus
            .as_ref()
            .and_then(|c| c.get(&node))
            .map_or(&[], Vec::as_slice)
    }
}

/// Where the heap figures come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeapSource {
    /// `XEN_SYSCTL_numa_availheap`: one call, one snapshot.
    NumaAvailheap,
    /// Upstream `XEN_SYSCTL_availheap` by address width, one call per node
    /// and zone: a Xen without the numastat ops.
    Availheap,
}

impl HeapSource {
    /// The sysctl's name in Xen's headers.
    pub fn sysctl(self) -> &'static str {
        match self {
            Self::NumaAvailheap => XenSysctlNumaAvailheap::NAME,
            Self::Availheap => XenSysctlAvailheap::NAME,
        }
    }
}

/// `-H`.
#[derive(Clone, Debug)]
pub struct Heap {
    pub availheap: Availheap,
    pub source: HeapSource,
    /// Not read for `--format=seed`.
    pub dma: DmaWidth,
}

/// Which kind of memory a zone holds, in the words of Xen's debug key `m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneHeap {
    /// Zone 0, `MEMZONE_XEN`.
    Xen,
    /// Below the DMA boundary.
    Dma,
    /// Above it (or there is no DMA zone).
    Dom,
    /// The boundary is not known.
    Unknown,
}

impl ZoneHeap {
    pub fn of(zone: u32, dma: DmaWidth) -> Self {
        if zone as usize == MEMZONE_XEN {
            Self::Xen
        } else if dma.zone_is_dma(zone) {
            Self::Dma
        } else if dma == DmaWidth::Unknown {
            Self::Unknown
        } else {
            Self::Dom
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Xen => "xen",
            Self::Dma => "dma",
            Self::Dom => "dom",
            Self::Unknown => "unknown",
        }
    }
}

/// A size as people write it: 0, 8K, 256M, 4G, 2T (sizes here are powers
/// of two, so exact).
pub fn size_label(bytes: u64) -> String {
    const UNITS: [(u32, &str); 5] = [(50, "P"), (40, "T"), (30, "G"), (20, "M"), (10, "K")];
    if bytes == 0 {
        return "0".into();
    }
    for (shift, unit) in UNITS {
        if bytes >= 1 << shift && bytes % (1 << shift) == 0 {
            return format!("{}{unit}", bytes >> shift);
        }
    }
    bytes.to_string()
}

/// A zone's machine addresses, `256M-512M`; zone 0 (the Xen heap, by page
/// type not address) is `Xen heap`.
pub fn zone_range_label(zone: u32) -> String {
    if zone as usize == MEMZONE_XEN {
        return "Xen heap".into();
    }
    match (
        zone_start_maddr(zone as usize),
        zone_end_maddr(zone as usize),
    ) {
        (Some(s), Some(e)) => format!("{}-{}", size_label(s), size_label(e)),
        _ => "?".into(),
    }
}

/// Where `-d free` comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeSource {
    /// `XEN_SYSCTL_numa_getdomnodestat` of the free lists.
    Getdomnodestat,
    /// `XEN_SYSCTL_numainfo` memfree: a Xen without the numastat ops.
    Numainfo,
}

impl FreeSource {
    /// The sysctl's name in Xen's headers.
    pub fn sysctl(self) -> &'static str {
        match self {
            Self::Getdomnodestat => XenSysctlNumaGetdomnodestat::NAME,
            Self::Numainfo => XenSysctlNumainfo::NAME,
        }
    }
}

/// `-d free`.
#[derive(Clone, Debug)]
pub struct Free {
    pub stat: DomNodeStat,
    pub source: FreeSource,
}

/// One domain of `-d`.
#[derive(Clone, Debug)]
pub struct Domain {
    /// From the counters, or from a walk when Xen marked them inconsistent.
    pub stat: DomNodeStat,
    /// `--verify`: the counters' answer and a walk's, both taken.
    pub verify: Option<(DomNodeStat, DomNodeStat)>,
    /// `xen_domain_handle_t` from getdomaininfo (a UUID for the toolstack).
    pub handle: [u8; 16],
    /// `XEN_DOMCTL_getnodeaffinity`, ascending node ids.
    pub affinity: Vec<u32>,
    /// Its name in xenstore (`/local/domain/<domid>/name`, as `xl list`
    /// shows it); `None` when it has none or names were not read
    /// ([`Snapshot::names`] says which).
    pub name: Option<String>,
}

impl Domain {
    pub fn domid(&self) -> u32 {
        match self.stat.domain {
            DomainSel::Domain(d) => u32::from(d),
            DomainSel::Free => u32::MAX,
        }
    }

    /// Its pages on `node`'s `page_list`.
    pub fn pages_on(&self, node: u32) -> u64 {
        self.stat.pages(node).map_or(0, |p| p.page_list)
    }

    /// Its pages on `page_list`, all nodes.
    pub fn total_pages(&self) -> u64 {
        self.stat.total.page_list
    }

    /// How many nodes hold any of its `page_list` pages.
    pub fn nodes_used(&self) -> u32 {
        self.stat
            .online_nodes()
            .filter(|&n| self.pages_on(n) > 0)
            .count() as u32
    }

    /// Its pages on the nodes of its node affinity.
    pub fn local_pages(&self) -> u64 {
        self.affinity
            .iter()
            .map(|&n| self.pages_on(n))
            .fold(0, u64::saturating_add)
    }

    /// The share of its memory on its affinity nodes; `None` without
    /// memory.
    pub fn local_ratio(&self) -> Option<f64> {
        let total = self.total_pages();
        (total > 0).then(|| self.local_pages() as f64 / total as f64)
    }

    /// The handle as a UUID, `xl list -v` style.
    pub fn uuid(&self) -> String {
        uuid(&self.handle)
    }
}

/// 16 bytes as `8-4-4-4-12` lowercase hex.
pub fn uuid(h: &[u8; 16]) -> String {
    let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A node list as ranges: `0-3,8,10-11`.
pub fn node_list(ids: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < ids.len() {
        let mut j = i;
        while j + 1 < ids.len() && ids[j + 1] == ids[j] + 1 {
            j += 1;
        }
        parts.push(if j > i {
            format!("{}-{}", ids[i], ids[j])
        } else {
            ids[i].to_string()
        });
        i = j + 1;
    }
    parts.join(",")
}

/// When and where a sample was taken (JSON `timestamp`, `hostname`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taken {
    /// Milliseconds since the Unix epoch, UTC.
    pub unix_ms: u64,
    /// The kernel's host name (`/proc/sys/kernel/hostname`, as
    /// `hostname(1)` prints it); `None` if it cannot be read.
    pub hostname: Option<String>,
}

impl Taken {
    /// Now, on this host.
    pub fn now() -> Self {
        let unix_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim_end().to_string())
            .filter(|h| !h.is_empty());
        Self { unix_ms, hostname }
    }

    /// RFC 3339 in UTC with milliseconds: `2026-12-01T14:05:03.123Z`.
    pub fn rfc3339(&self) -> String {
        let secs = self.unix_ms / 1000;
        let (days, rem) = (secs / 86_400, secs % 86_400);
        // Days since 1970-01-01 to a civil date: Howard Hinnant's
        // days_from_civil inverted (proleptic Gregorian calendar).
        let z = days as i64 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
            rem / 3600,
            rem / 60 % 60,
            rem % 60,
            self.unix_ms % 1000
        )
    }
}

/// A snapshot starts when its sample does (`Snapshot::default()` in
/// cli/mod.rs's `sample`), so its default is now, here.
impl Default for Taken {
    fn default() -> Self {
        Self::now()
    }
}

/// Whether the domains' names were read, for `-d` (cli/names.rs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Names {
    /// Not asked: no domains in the sample, or `--format=seed` (the 2006
    /// lines have no names).
    #[default]
    NotRead,
    /// Read from xenstore; a domain without a name there has `None`.
    Read,
    /// xenstored could not be asked: why, as a sentence starting "names
    /// unavailable", and what to do about it.
    Unavailable { why: String, hint: &'static str },
}

/// One sample: what was asked for and fetched.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// When it was taken, and on which host.
    pub taken: Taken,
    pub topology: Option<Topology>,
    pub heap: Option<Heap>,
    pub free: Option<Free>,
    /// Ascending domain ids.
    pub domains: Option<Vec<Domain>>,
    /// Domains were asked for implicitly (`--prometheus`) but this Xen has
    /// no `XEN_SYSCTL_numa_getdomnodestat`.
    pub domains_unsupported: bool,
    /// Whether [`Domain::name`] was read.
    pub names: Names,
}

impl Snapshot {
    /// Online node ids for the columns: the heap's, else numainfo's, else
    /// those of the domain answers.
    pub fn nodes(&self) -> Vec<u32> {
        if let Some(c) = self.heap.as_ref().and_then(|h| h.availheap.counts.as_ref()) {
            return c.online_nodes().collect();
        }
        if let Some(t) = &self.topology {
            let n = t.online_nodes();
            if !n.is_empty() {
                return n;
            }
        }
        let mut set = std::collections::BTreeSet::new();
        if let Some(f) = &self.free {
            set.extend(f.stat.online_nodes());
        }
        for d in self.domains.iter().flatten() {
            set.extend(d.stat.online_nodes());
        }
        set.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(zone_range_label(0), "Xen heap");
        assert_eq!(zone_range_label(1), "0-8K");
        assert_eq!(zone_range_label(17), "256M-512M");
        assert_eq!(zone_range_label(20), "2G-4G");
        assert_eq!(zone_range_label(21), "4G-8G");
        assert_eq!(zone_range_label(40), "2P-4P");
        assert_eq!(zone_range_label(41), "?");
        assert_eq!(node_list(&[0, 1, 2, 3, 8, 10, 11]), "0-3,8,10-11");
        assert_eq!(node_list(&[]), "");
        assert_eq!(
            uuid(b"dom0-testkit\0\0\0\0"),
            "646f6d30-2d74-6573-746b-697400000000"
        );
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let t = |unix_ms| {
            Taken {
                unix_ms,
                hostname: None,
            }
            .rfc3339()
        };
        assert_eq!(t(0), "1970-01-01T00:00:00.000Z");
        // date -u -d @951782400 (a leap day), @1764597903.
        assert_eq!(t(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(t(1_764_597_903_123), "2025-12-01T14:05:03.123Z");
        assert_eq!(t(4_102_444_799_999), "2099-12-31T23:59:59.999Z");
        let now = Taken::now();
        assert!(now.unix_ms > 1_700_000_000_000);
        assert_eq!(
            now.hostname.is_some(),
            std::path::Path::new("/proc/sys/kernel/hostname").exists()
        );
    }

    #[test]
    fn zone_heaps_follow_the_dma_width() {
        let w = DmaWidth::Bits(28);
        assert_eq!(ZoneHeap::of(0, w), ZoneHeap::Xen);
        assert_eq!(ZoneHeap::of(16, w), ZoneHeap::Dma);
        assert_eq!(ZoneHeap::of(17, w), ZoneHeap::Dom);
        assert_eq!(ZoneHeap::of(17, DmaWidth::None), ZoneHeap::Dom);
        assert_eq!(ZoneHeap::of(3, DmaWidth::Unknown), ZoneHeap::Unknown);
    }
}
