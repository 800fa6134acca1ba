// SPDX-License-Identifier: GPL-2.0-only
//! Safe wrappers, one method per read call (sysctls, the domctls that read
//! a domain; domain building is the test kit's, qemu-tests/src/
//! domain_build.rs, on [`Xen::domctl`] and [`Privcmd::memory_op`]). Buffers
//! a call points to are hypercall buffers sized here; the answers come back
//! as plain structs.
#![forbid(unsafe_code)]

use crate::console::DmaWidth;
use crate::domain::{DomNodeStat, DomainSel};
use crate::error::{Error, Op, Result};
use crate::heap::HeapCounts;
use crate::privcmd::{DomctlArgs, HypercallBuf, Privcmd, SysctlArgs};
use core::mem::size_of;
use xen_numastat_abi::{
    DomId, XenDomctlGetdomaininfo, XenDomctlNodeaffinity, XenNumaNodePages, XenSysctlAvailheap,
    XenSysctlCputopo, XenSysctlCputopoinfo, XenSysctlDebugKeys, XenSysctlGetdomaininfolist,
    XenSysctlMeminfo, XenSysctlNumaAvailheap, XenSysctlNumaGetdomnodestat, XenSysctlNumaHeapwalk,
    XenSysctlNumainfo, XenSysctlPhysinfo, XenSysctlReadconsole, XenctlBitmap, DOMID_FIRST_RESERVED,
    MAX_NUMNODES, NR_ZONES, PAGE_SHIFT, XEN_DOMCTL_GETDOMAININFO, XEN_INVALID_MEM_SZ,
    XEN_INVALID_NODE_ID, XEN_NUMA_ANY, XEN_NUMA_GDNS_WALK, XEN_NUMA_NODE_OFFLINE,
    XEN_SYSCTL_CPUTOPOINFO, XEN_SYSCTL_GETDOMAININFOLIST, XEN_SYSCTL_NUMAINFO,
    XEN_SYSCTL_NUMA_AVAILHEAP, XEN_SYSCTL_NUMA_GETDOMNODESTAT,
};

/// Bytes asked of the console ring per `readconsole` call.
pub const READCONSOLE_CHUNK: usize = 64 * 1024;

/// Calls [`Xen::read_console_all`] makes at most, so a hypervisor that logs
/// as fast as it is read cannot keep it looping (1 GiB of log).
const READCONSOLE_MAX_CALLS: usize = 16 * 1024;

/// Largest node count accepted from numainfo (Xen 4.17 x86 has 64).
const NUMAINFO_MAX_NODES: u32 = 1024;

/// Largest CPU count accepted from cputopoinfo (well above x86's
/// `NR_CPUS` in Xen 4.17's Kconfig).
const CPUTOPOINFO_MAX_CPUS: u32 = 16384;

/// Calls [`Xen::read_console_ring`] makes at most (64 MiB of ring).
const CONSOLE_RING_MAX_CALLS: usize = 1024;

/// Largest `nr_counts` accepted from availheap's `-ENOBUFS` answer.
const AVAILHEAP_MAX_COUNTS: u32 = 1 << 20;

/// Domains asked for per `getdomaininfolist` call (112 bytes each: two
/// pages of buffer).
const DOMAININFO_BATCH: u32 = 64;

/// Whether a numainfo entry is an offline node id: sysctl.c stores
/// `XEN_INVALID_MEM_SZ` (`~0U`) in the u64 `memsize`, i.e. `0xffffffff`;
/// `~0` is accepted too in case a later Xen widens the constant.
pub fn meminfo_is_offline(m: &XenSysctlMeminfo) -> bool {
    m.memsize == XEN_INVALID_MEM_SZ || m.memsize == u64::MAX
}

/// `XEN_SYSCTL_numainfo`: per node id `0..num_nodes`, memory and distances.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NumaInfo {
    /// Indexed by node id; see [`meminfo_is_offline`].
    pub meminfo: Vec<XenSysctlMeminfo>,
    /// `num_nodes * num_nodes` distances, row-major: `[from * n + to]`.
    pub distance: Vec<u32>,
}

impl NumaInfo {
    /// Number of node ids covered (highest online node id + 1).
    pub fn num_nodes(&self) -> usize {
        self.meminfo.len()
    }

    /// Ids of the online nodes, ascending.
    pub fn online_nodes(&self) -> impl Iterator<Item = u32> + '_ {
        (0u32..)
            .zip(&self.meminfo)
            .filter(|(_, m)| !meminfo_is_offline(m))
            .map(|(n, _)| n)
    }

    /// Distance from node `from` to node `to`.
    pub fn distance(&self, from: usize, to: usize) -> Option<u32> {
        let n = self.num_nodes();
        if from >= n || to >= n {
            return None;
        }
        self.distance.get(from * n + to).copied()
    }
}

/// The CPUs Xen places on each node, from `XEN_SYSCTL_cputopoinfo`
/// entries indexed by CPU id: node id -> CPU ids, ascending. CPUs that are
/// not present or on no node (`XEN_INVALID_NODE_ID`) are left out.
pub fn cpus_by_node(cputopo: &[XenSysctlCputopo]) -> std::collections::BTreeMap<u32, Vec<u32>> {
    let mut map = std::collections::BTreeMap::<u32, Vec<u32>>::new();
    for (cpu, t) in (0u32..).zip(cputopo) {
        if t.node != XEN_INVALID_NODE_ID {
            map.entry(t.node).or_default().push(cpu);
        }
    }
    map
}

/// One `XEN_SYSCTL_readconsole` answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsoleRead {
    /// The bytes read (`count` OUT).
    pub data: Vec<u8>,
    /// Ring index after the last byte read (`index` OUT).
    pub index: u32,
}

/// One `XEN_SYSCTL_numa_availheap` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Availheap {
    /// The zone asked for (`None`: every zone).
    pub zone: Option<u32>,
    /// The node asked for (`None`: every online node).
    pub node: Option<u32>,
    /// Zones covered.
    pub nr_zones: u32,
    /// Online nodes covered.
    pub nr_nodes: u32,
    /// Free pages in the covered zones of the covered nodes.
    pub pages: u64,
    /// The per-node, per-zone counts, when asked for.
    pub counts: Option<HeapCounts>,
}

impl Availheap {
    /// Checks the answer is self-consistent: the matrix has `nr_nodes`
    /// online rows and adds up to `pages` (they come from one hold of
    /// `heap_lock`, so they must agree exactly).
    pub fn check(&self) -> Result<()> {
        let Some(counts) = &self.counts else {
            return Ok(());
        };
        let fail = |what| {
            Err(Error::Protocol {
                op: Op::Sysctl(XEN_SYSCTL_NUMA_AVAILHEAP),
                what,
            })
        };
        let online = counts.online_nodes().count();
        if online != self.nr_nodes as usize {
            return fail(format!(
                "nr_nodes is {} but the counts have {online} online nodes",
                self.nr_nodes
            ));
        }
        if counts.total() != self.pages {
            return fail(format!(
                "the counts add up to {} pages but pages is {}",
                counts.total(),
                self.pages
            ));
        }
        Ok(())
    }
}

fn wire_index(what: &str, value: Option<u32>) -> Result<i32> {
    match value {
        None => Ok(XEN_NUMA_ANY),
        Some(v) => i32::try_from(v)
            .map_err(|_| Error::InvalidArgument(format!("{what} {v} does not fit an int"))),
    }
}

/// A connection to the hypervisor through privcmd.
#[derive(Debug)]
pub struct Xen {
    privcmd: Privcmd,
}

impl Xen {
    /// Opens the privcmd devices.
    pub fn open() -> Result<Self> {
        Ok(Self {
            privcmd: Privcmd::open()?,
        })
    }

    /// The underlying devices (buffers, sysctls with guest handles).
    pub fn privcmd(&self) -> &Privcmd {
        &self.privcmd
    }

    /// A sysctl whose payload has no guest handle (or only NULL ones):
    /// returns the payload as Xen left it.
    pub fn sysctl<P: SysctlArgs>(&self, payload: &P) -> Result<P> {
        let mut p = *payload;
        self.privcmd.sysctl(&mut p, &mut [])?;
        Ok(p)
    }

    /// Like [`Xen::sysctl`], but updates `payload` in place even when Xen
    /// fails, for callers that want to see the OUT fields of a failure.
    pub fn sysctl_in_place<P: SysctlArgs>(&self, payload: &mut P) -> Result<()> {
        self.privcmd.sysctl(payload, &mut [])
    }

    /// `XEN_SYSCTL_physinfo`.
    pub fn physinfo(&self) -> Result<XenSysctlPhysinfo> {
        self.sysctl(&XenSysctlPhysinfo::default())
    }

    /// `XEN_SYSCTL_numainfo`: a first call with NULL handles returns the
    /// number of node ids, a second fills arrays of that size.
    pub fn numainfo(&self) -> Result<NumaInfo> {
        let n = self.sysctl(&XenSysctlNumainfo::default())?.num_nodes;
        if n == 0 || n > NUMAINFO_MAX_NODES {
            return Err(Error::Protocol {
                op: Op::Sysctl(XEN_SYSCTL_NUMAINFO),
                what: format!("num_nodes is {n}"),
            });
        }
        let nodes = n as usize;
        let mut meminfo = self.privcmd.alloc(nodes * size_of::<XenSysctlMeminfo>())?;
        let mut distance = self.privcmd.alloc(nodes * nodes * size_of::<u32>())?;
        let mut ni = XenSysctlNumainfo {
            num_nodes: n,
            _pad: 0,
            meminfo: meminfo.handle(),
            distance: distance.handle(),
        };
        self.privcmd
            .sysctl(&mut ni, &mut [&mut meminfo, &mut distance])?;
        // OUT num_nodes is the number of rows written; their stride is the
        // same number (sysctl.c uses min(online, IN) for both).
        let got = ni.num_nodes.min(n) as usize;
        Ok(NumaInfo {
            meminfo: meminfo.read(0, got)?,
            distance: distance.read(0, got * got)?,
        })
    }

    /// `XEN_SYSCTL_cputopoinfo`: core, socket and node of each CPU id
    /// `0..=highest present CPU` (a first call with a NULL handle asks for
    /// the count).
    pub fn cputopoinfo(&self) -> Result<Vec<XenSysctlCputopo>> {
        let n = self.sysctl(&XenSysctlCputopoinfo::default())?.num_cpus;
        if n == 0 || n > CPUTOPOINFO_MAX_CPUS {
            return Err(Error::Protocol {
                op: Op::Sysctl(XEN_SYSCTL_CPUTOPOINFO),
                what: format!("num_cpus is {n}"),
            });
        }
        let mut buf = self
            .privcmd
            .alloc(n as usize * size_of::<XenSysctlCputopo>())?;
        let mut ti = XenSysctlCputopoinfo {
            num_cpus: n,
            _pad: 0,
            cputopo: buf.handle(),
        };
        self.privcmd.sysctl(&mut ti, &mut [&mut buf])?;
        buf.read(0, ti.num_cpus.min(n) as usize)
    }

    /// Upstream `XEN_SYSCTL_availheap`: free bytes of the domain heap on
    /// `node` (`None`: all) in the zones of address widths `min_bits` to
    /// `max_bits` (0: no bound). Works on a stock Xen.
    pub fn availheap_by_width(
        &self,
        node: Option<u32>,
        min_bits: u32,
        max_bits: u32,
    ) -> Result<u64> {
        let ah = self.sysctl(&XenSysctlAvailheap {
            min_bitwidth: min_bits,
            max_bitwidth: max_bits,
            node: wire_index("node", node)?,
            ..Default::default()
        })?;
        Ok(ah.avail_bytes)
    }

    /// The availheap matrix rebuilt from upstream `XEN_SYSCTL_availheap`,
    /// for a Xen without `XEN_SYSCTL_numa_availheap`: one call per online
    /// node and zone `1..NR_ZONES` (width `zone + PAGE_SHIFT` names exactly
    /// that zone). Zone 0 (the Xen heap) cannot be asked and reads 0; on
    /// x86 it holds no free page. Rows follow `online` (node ids from
    /// numainfo); other ids up to the highest are offline rows. The calls
    /// are separate sums, not one snapshot.
    pub fn heap_by_width(&self, online: &[u32]) -> Result<Availheap> {
        let rows = online.iter().max().map_or(0, |&m| m as usize + 1);
        let mut raw = vec![XEN_NUMA_NODE_OFFLINE; rows * NR_ZONES];
        for &node in online {
            let row = &mut raw[node as usize * NR_ZONES..(node as usize + 1) * NR_ZONES];
            row[0] = 0;
            for zone in 1..NR_ZONES as u32 {
                let width = zone + PAGE_SHIFT;
                let bytes = self.availheap_by_width(Some(node), width, width)?;
                row[zone as usize] = bytes >> PAGE_SHIFT;
            }
        }
        let counts = HeapCounts::from_raw(None, None, NR_ZONES as u32, &raw)?;
        Ok(Availheap {
            zone: None,
            node: None,
            nr_zones: NR_ZONES as u32,
            nr_nodes: online.len() as u32,
            pages: counts.total(),
            counts: Some(counts),
        })
    }

    /// The whole console ring from its consumer index to its producer,
    /// without consuming it (readconsole with `clear = 0`, continued with
    /// `incremental` from the index each answer returns).
    pub fn read_console_ring(&self) -> Result<Vec<u8>> {
        let mut all = Vec::new();
        let mut index = None;
        for _ in 0..CONSOLE_RING_MAX_CALLS {
            let chunk = self.readconsole(false, index)?;
            if chunk.data.is_empty() || Some(chunk.index) == index {
                break;
            }
            all.extend_from_slice(&chunk.data);
            index = Some(chunk.index);
        }
        Ok(all)
    }

    /// Xen's DMA width from its boot line in the console ring.
    pub fn dma_width(&self) -> Result<DmaWidth> {
        let ring = self.read_console_ring()?;
        Ok(DmaWidth::from_console(&String::from_utf8_lossy(&ring)))
    }

    /// `XEN_SYSCTL_debug_keys`: presses `keys` as if typed on Xen's console.
    /// Handlers run synchronously and print into the console ring.
    pub fn debug_keys(&self, keys: &str) -> Result<()> {
        let nr_keys = u32::try_from(keys.len())
            .map_err(|_| Error::InvalidArgument(format!("{} keys", keys.len())))?;
        let mut buf = self.privcmd.alloc(keys.len())?;
        buf.write(0, keys.as_bytes())?;
        let mut dk = XenSysctlDebugKeys {
            keys: buf.handle(),
            nr_keys,
            _pad: 0,
        };
        self.privcmd.sysctl(&mut dk, &mut [&mut buf])
    }

    /// `XEN_SYSCTL_readconsole`: up to [`READCONSOLE_CHUNK`] bytes of the
    /// console ring, from its consumer index or from `index` (incremental).
    /// With `clear`, what was read is consumed (read_console_ring() moves
    /// the ring's consumer index).
    pub fn readconsole(&self, clear: bool, index: Option<u32>) -> Result<ConsoleRead> {
        let mut buf = self.privcmd.alloc(READCONSOLE_CHUNK)?;
        let mut rc = XenSysctlReadconsole {
            clear: u8::from(clear),
            incremental: u8::from(index.is_some()),
            index: index.unwrap_or(0),
            buffer: buf.handle(),
            count: READCONSOLE_CHUNK as u32,
            ..Default::default()
        };
        self.privcmd.sysctl(&mut rc, &mut [&mut buf])?;
        let count = (rc.count as usize).min(READCONSOLE_CHUNK);
        Ok(ConsoleRead {
            data: buf.read(0, count)?,
            index: rc.index,
        })
    }

    /// Reads and consumes the whole console ring (readconsole with clear=1
    /// until a call returns no byte).
    pub fn read_console_all(&self) -> Result<Vec<u8>> {
        let mut all = Vec::new();
        for _ in 0..READCONSOLE_MAX_CALLS {
            let chunk = self.readconsole(true, None)?;
            if chunk.data.is_empty() {
                break;
            }
            all.extend_from_slice(&chunk.data);
        }
        Ok(all)
    }

    /// `XEN_SYSCTL_numa_availheap`: free pages of `zone` (`None`: all) on
    /// `node` (`None`: all online), and with `want_counts` the per-node,
    /// per-zone matrix, all from one call (one snapshot).
    ///
    /// The buffer is sized for the largest matrix (`MAX_NUMNODES` rows);
    /// should Xen still answer `-ENOBUFS`, the call is repeated with the
    /// size it asked for.
    pub fn numa_availheap(
        &self,
        zone: Option<u32>,
        node: Option<u32>,
        want_counts: bool,
    ) -> Result<Availheap> {
        let zone_in = wire_index("zone", zone)?;
        let node_in = wire_index("node", node)?;
        let rows = if node.is_some() { 1 } else { MAX_NUMNODES };
        let cols = if zone.is_some() { 1 } else { NR_ZONES };
        let mut capacity = if want_counts { (rows * cols) as u32 } else { 0 };
        for _ in 0..3 {
            let mut buf: Option<HypercallBuf> = if want_counts {
                Some(self.privcmd.alloc(capacity as usize * 8)?)
            } else {
                None
            };
            let mut ah = XenSysctlNumaAvailheap {
                zone: zone_in,
                node: node_in,
                counts: buf.as_ref().map_or(0, HypercallBuf::handle),
                nr_counts: capacity,
                ..Default::default()
            };
            let mut bufs: Vec<&mut HypercallBuf> = buf.iter_mut().collect();
            match self.privcmd.sysctl(&mut ah, &mut bufs) {
                Ok(()) => {}
                Err(e)
                    if want_counts
                        && e.xen_errno().map(|e| e.get()) == Some(libc::ENOBUFS)
                        && ah.nr_counts > capacity
                        && ah.nr_counts <= AVAILHEAP_MAX_COUNTS =>
                {
                    capacity = ah.nr_counts;
                    continue;
                }
                Err(e) => return Err(e),
            }
            let counts = match &buf {
                None => None,
                Some(_) if ah.nr_counts > capacity => {
                    return Err(Error::Protocol {
                        op: Op::Sysctl(XEN_SYSCTL_NUMA_AVAILHEAP),
                        what: format!(
                            "success with nr_counts {} > capacity {capacity}",
                            ah.nr_counts
                        ),
                    })
                }
                Some(b) => Some(HeapCounts::from_raw(
                    zone,
                    node,
                    ah.nr_zones,
                    &b.read::<u64>(0, ah.nr_counts as usize)?,
                )?),
            };
            return Ok(Availheap {
                zone,
                node,
                nr_zones: ah.nr_zones,
                nr_nodes: ah.nr_nodes,
                pages: ah.pages,
                counts,
            });
        }
        Err(Error::Protocol {
            op: Op::Sysctl(XEN_SYSCTL_NUMA_AVAILHEAP),
            what: "-ENOBUFS after growing the buffer three times".into(),
        })
    }

    /// `XEN_SYSCTL_numa_heapwalk`: walks the free lists of (`node`, `zone`)
    /// and reads the numastat counter of the same pair under one hold of
    /// `heap_lock`. A Xen without the op answers [`Error::NumastatMissing`]
    /// (`-ENOSYS`, or `-EOPNOTSUPP` without `CONFIG_NUMASTAT_HEAPWALK`).
    pub fn numa_heapwalk(&self, node: u32, zone: u32) -> Result<XenSysctlNumaHeapwalk> {
        self.sysctl(&XenSysctlNumaHeapwalk {
            node,
            zone,
            ..Default::default()
        })
    }

    /// `XEN_SYSCTL_numa_getdomnodestat`: how many pages of `domain` (or,
    /// with [`DomainSel::Free`], how many free pages) sit on `node` (`None`:
    /// every online node), per list, and with `want_nodes` per node id: from
    /// the domain's counters, or with `walk` from one walk of its lists in
    /// one hypercall (Xen continues it internally).
    ///
    /// Exactly one hypercall: the nodes buffer holds `MAX_NUMNODES` entries,
    /// more than any node id Xen can report, so `-ENOBUFS` is a protocol
    /// error here rather than a reason to call again. `-ESRCH` (no such
    /// domain, or it is dying) is [`Error::NoSuchDomain`]; a Xen without the
    /// op answers [`Error::NumastatMissing`].
    pub fn numa_getdomnodestat(
        &self,
        domain: DomainSel,
        node: Option<u32>,
        want_nodes: bool,
        walk: bool,
    ) -> Result<DomNodeStat> {
        let node_in = wire_index("node", node)?;
        let capacity: u32 = match (want_nodes, node) {
            (false, _) => 0,
            (true, Some(_)) => 1,
            (true, None) => MAX_NUMNODES as u32,
        };
        let mut buf = if want_nodes {
            Some(
                self.privcmd
                    .alloc(capacity as usize * size_of::<XenNumaNodePages>())?,
            )
        } else {
            None
        };
        let mut ds = XenSysctlNumaGetdomnodestat {
            domain: domain.wire(),
            node: node_in,
            nodes: buf.as_ref().map_or(0, HypercallBuf::handle),
            nr_nodes: capacity,
            flags: if walk { XEN_NUMA_GDNS_WALK } else { 0 },
            ..Default::default()
        };
        let mut bufs: Vec<&mut HypercallBuf> = buf.iter_mut().collect();
        match self.privcmd.sysctl(&mut ds, &mut bufs) {
            Ok(()) => {}
            Err(Error::Xen { op, errno }) if errno.get() == libc::ESRCH => {
                return Err(match domain {
                    DomainSel::Domain(d) => Error::NoSuchDomain {
                        op,
                        domid: u32::from(d),
                    },
                    DomainSel::Free => Error::Xen { op, errno },
                });
            }
            Err(Error::Xen { errno, .. }) if want_nodes && errno.get() == libc::ENOBUFS => {
                return Err(Error::Protocol {
                    op: Op::Sysctl(XEN_SYSCTL_NUMA_GETDOMNODESTAT),
                    what: format!(
                        "-ENOBUFS for {capacity} node entries (asked for {})",
                        ds.nr_nodes
                    ),
                });
            }
            Err(e) => return Err(e),
        }
        let raw = match &buf {
            None => None,
            Some(_) if ds.nr_nodes > capacity => {
                return Err(Error::Protocol {
                    op: Op::Sysctl(XEN_SYSCTL_NUMA_GETDOMNODESTAT),
                    what: format!(
                        "success with nr_nodes {} > capacity {capacity}",
                        ds.nr_nodes
                    ),
                })
            }
            Some(b) => Some(b.read::<XenNumaNodePages>(0, ds.nr_nodes as usize)?),
        };
        DomNodeStat::from_raw(domain, node, &ds, raw.as_deref())
    }

    /// A domctl whose payload has no guest handle (or only NULL ones), on
    /// `domain` (hypercall 36, `XEN_DOMCTL_INTERFACE_VERSION`). Updates
    /// `payload` in place, even when Xen fails, and returns the envelope's
    /// `domain` as Xen left it (createdomain: the new domain's id).
    pub fn domctl<P: DomctlArgs>(&self, domain: DomId, payload: &mut P) -> Result<DomId> {
        self.privcmd.domctl(domain, payload, &mut [])
    }

    /// `XEN_DOMCTL_getdomaininfo` of `domid`. Xen answers with the first
    /// domain whose id is `>= domid` (xen/common/domctl.c); another id than
    /// `domid` means there is no such domain.
    pub fn getdomaininfo(&self, domid: DomId) -> Result<XenDomctlGetdomaininfo> {
        let mut info = XenDomctlGetdomaininfo::default();
        self.domctl(domid, &mut info)?;
        if info.domain != domid {
            return Err(Error::NoSuchDomain {
                op: Op::Domctl(XEN_DOMCTL_GETDOMAININFO),
                domid: u32::from(domid),
            });
        }
        Ok(info)
    }

    /// `XEN_DOMCTL_getnodeaffinity`: the nodes `domid`'s memory is meant to
    /// come from (`d->node_affinity`), ascending.
    pub fn getnodeaffinity(&self, domid: DomId) -> Result<Vec<u32>> {
        let bytes = MAX_NUMNODES.div_ceil(8);
        let mut buf = self.privcmd.alloc(bytes)?;
        let mut na = XenDomctlNodeaffinity {
            nodemap: XenctlBitmap {
                bitmap: buf.handle(),
                nr_bits: MAX_NUMNODES as u32,
                _pad: 0,
            },
        };
        self.privcmd.domctl(domid, &mut na, &mut [&mut buf])?;
        let map = buf.read::<u8>(0, bytes)?;
        Ok((0..MAX_NUMNODES as u32)
            .filter(|&n| {
                map.get((n / 8) as usize)
                    .is_some_and(|b| b & (1 << (n % 8)) != 0)
            })
            .collect())
    }

    /// `XEN_SYSCTL_getdomaininfolist`: every domain, in id order, asked for
    /// [`DOMAININFO_BATCH`] at a time from the id after the last one seen.
    /// Domains can come and go between two batches; each entry is as Xen
    /// saw it when it was read.
    pub fn getdomaininfolist(&self) -> Result<Vec<XenDomctlGetdomaininfo>> {
        let protocol = |what| Error::Protocol {
            op: Op::Sysctl(XEN_SYSCTL_GETDOMAININFOLIST),
            what,
        };
        let batch = DOMAININFO_BATCH as usize;
        let mut buf = self
            .privcmd
            .alloc(batch * size_of::<XenDomctlGetdomaininfo>())?;
        let mut all: Vec<XenDomctlGetdomaininfo> = Vec::new();
        let mut first: u32 = 0;
        while first < DOMID_FIRST_RESERVED {
            let mut dl = XenSysctlGetdomaininfolist {
                first_domain: first as DomId,
                max_domains: DOMAININFO_BATCH,
                buffer: buf.handle(),
                ..Default::default()
            };
            self.privcmd.sysctl(&mut dl, &mut [&mut buf])?;
            let n = dl.num_domains as usize;
            if n > batch {
                return Err(protocol(format!("num_domains {n} > max_domains {batch}")));
            }
            let got = buf.read::<XenDomctlGetdomaininfo>(0, n)?;
            for info in &got {
                if u32::from(info.domain) < first {
                    return Err(protocol(format!(
                        "domain {} when asked for ids from {first}",
                        info.domain
                    )));
                }
                first = u32::from(info.domain) + 1;
            }
            all.extend(got);
            if n < batch {
                break;
            }
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_meminfo_is_xen_invalid_mem_sz_widened() {
        let off = |memsize| XenSysctlMeminfo {
            memsize,
            memfree: memsize,
        };
        assert!(meminfo_is_offline(&off(0xffff_ffff)));
        assert!(meminfo_is_offline(&off(u64::MAX)));
        assert!(!meminfo_is_offline(&off(1 << 30)));
        let ni = NumaInfo {
            meminfo: vec![off(1 << 30), off(0xffff_ffff), off(0)],
            distance: vec![10, 255, 20, 255, 255, 255, 20, 255, 10],
        };
        // A memoryless node (memsize 0) is online.
        assert_eq!(ni.online_nodes().collect::<Vec<_>>(), vec![0, 2]);
        assert_eq!(ni.distance(0, 2), Some(20));
        assert_eq!(ni.distance(2, 2), Some(10));
        assert_eq!(ni.distance(3, 0), None);
    }

    #[test]
    fn cpus_are_grouped_by_node() {
        let t = |node| XenSysctlCputopo {
            core: 0,
            socket: 0,
            node,
        };
        let map = cpus_by_node(&[t(0), t(1), t(XEN_INVALID_NODE_ID), t(0)]);
        assert_eq!(map.get(&0), Some(&vec![0, 3]));
        assert_eq!(map.get(&1), Some(&vec![1]));
        assert_eq!(map.len(), 2);
    }

    #[test]
    fn availheap_check_catches_disagreement() {
        let raw: Vec<u64> = (0..NR_ZONES as u64).collect();
        let counts = HeapCounts::from_raw(None, None, NR_ZONES as u32, &raw).unwrap();
        let total = counts.total();
        let mut ah = Availheap {
            zone: None,
            node: None,
            nr_zones: NR_ZONES as u32,
            nr_nodes: 1,
            pages: total,
            counts: Some(counts),
        };
        assert_eq!(ah.check(), Ok(()));
        ah.pages += 1;
        assert!(matches!(ah.check(), Err(Error::Protocol { .. })));
        ah.pages -= 1;
        ah.nr_nodes = 2;
        assert!(matches!(ah.check(), Err(Error::Protocol { .. })));
    }

    #[test]
    fn wire_index_uses_the_wildcard_and_rejects_overflow() {
        assert_eq!(wire_index("zone", None), Ok(-1));
        assert_eq!(wire_index("zone", Some(40)), Ok(40));
        assert!(matches!(
            wire_index("node", Some(u32::MAX)),
            Err(Error::InvalidArgument(_))
        ));
    }
}
