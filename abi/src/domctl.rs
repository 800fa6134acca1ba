// SPDX-License-Identifier: GPL-2.0-only
//! Upstream Xen 4.17 ABI to make and inspect domains with known NUMA
//! placement: the domctl envelope and the domctls the tests use
//! (xen/include/public/domctl.h), `XEN_SYSCTL_getdomaininfolist`
//! (public/sysctl.h), and the `memory_op` reservation calls
//! (public/memory.h). Every number and layout here is checked against Xen's
//! C headers at Xen build time ([`crate::c_checks`]).
//!
//! Layouts are those of x86-64: `uint64_aligned_t` is 8-byte aligned,
//! `XEN_GUEST_HANDLE(_64)` is one 64-bit guest virtual address (0 = NULL),
//! `xen_ulong_t` is 64 bits. Implicit C padding is spelled out as `_pad`
//! fields, so no struct has padding bytes (the `IntoBytes` derive fails to
//! compile one that has).

use core::mem::{offset_of, size_of};
use static_assertions::{const_assert, const_assert_eq};
use zerocopy::{FromBytes, Immutable, IntoBytes};

/// `typedef uint16_t domid_t;` (public/xen.h)
pub type DomId = u16;

/// `#define XEN_DOMCTL_INTERFACE_VERSION 0x00000015`: `do_domctl()` answers
/// any other value with `-EACCES` (xen/common/domctl.c).
pub const XEN_DOMCTL_INTERFACE_VERSION: u32 = 0x0000_0015;

/// `#define XEN_DOMCTL_createdomain 1`
pub const XEN_DOMCTL_CREATEDOMAIN: u32 = 1;
/// `#define XEN_DOMCTL_destroydomain 2`
pub const XEN_DOMCTL_DESTROYDOMAIN: u32 = 2;
/// `#define XEN_DOMCTL_getdomaininfo 5`
pub const XEN_DOMCTL_GETDOMAININFO: u32 = 5;
/// `#define XEN_DOMCTL_max_mem 11`
pub const XEN_DOMCTL_MAX_MEM: u32 = 11;
/// `#define XEN_DOMCTL_getnodeaffinity 69`
pub const XEN_DOMCTL_GETNODEAFFINITY: u32 = 69;

/// `#define XEN_DOMCTL_CDF_hvm (1U<<_XEN_DOMCTL_CDF_hvm)`: an HVM guest;
/// without it the domain is PV.
pub const XEN_DOMCTL_CDF_HVM: u32 = 1 << 0;
/// `#define XEN_DOMCTL_CDF_oos_off (1U<<_XEN_DOMCTL_CDF_oos_off)`:
/// `arch_sanitise_domain_config()` (xen/arch/x86/domain.c) sets it for
/// every PV domain.
pub const XEN_DOMCTL_CDF_OOS_OFF: u32 = 1 << 3;

/// `#define XEN_DOMCTL_GRANT_version_mask 0xf`
pub const XEN_DOMCTL_GRANT_VERSION_MASK: u32 = 0xf;

/// `#define XEN_DOMCTL_GRANT_version(v) ((v) & XEN_DOMCTL_GRANT_version_mask)`:
/// the highest grant table version the domain may use, in `grant_opts`.
/// `grant_table_init()` (xen/common/grant_table.c) refuses 0 and anything
/// above `gnttab=max-ver:` (default 2) with `-EINVAL`.
pub const fn xen_domctl_grant_version(v: u32) -> u32 {
    v & XEN_DOMCTL_GRANT_VERSION_MASK
}

/// `#define XEN_DOMINF_dying (1U<<_XEN_DOMINF_dying)`: the domain is being
/// destroyed (`d->is_dying`).
pub const XEN_DOMINF_DYING: u32 = 1 << 0;
/// `#define XEN_DOMINF_hvm_guest (1U<<_XEN_DOMINF_hvm_guest)`
pub const XEN_DOMINF_HVM_GUEST: u32 = 1 << 1;
/// `#define XEN_DOMINF_shutdown (1U<<_XEN_DOMINF_shutdown)`
pub const XEN_DOMINF_SHUTDOWN: u32 = 1 << 2;
/// `#define XEN_DOMINF_paused (1U<<_XEN_DOMINF_paused)`
pub const XEN_DOMINF_PAUSED: u32 = 1 << 3;

/// Bytes of the payload union in `struct xen_domctl` (`uint8_t pad[128]`).
pub const XEN_DOMCTL_PAYLOAD_SIZE: usize = 128;

/// `struct xen_domctl`: the envelope of every domctl. The payload union is
/// kept as raw 64-bit words; [`DomctlPayload`] types are copied in and out.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable)]
pub struct XenDomctl {
    pub cmd: u32,
    /// `XEN_DOMCTL_INTERFACE_VERSION`.
    pub interface_version: u32,
    /// IN: the domain the command acts on. createdomain: the id wanted, or 0
    /// (or an id `>= DOMID_FIRST_RESERVED`) for the next free one; OUT: the
    /// id given.
    pub domain: DomId,
    pub _pad: [u16; 3],
    pub u: [u64; XEN_DOMCTL_PAYLOAD_SIZE / 8],
}
const_assert_eq!(size_of::<XenDomctl>(), 144);
const_assert_eq!(offset_of!(XenDomctl, domain), 8);
const_assert_eq!(offset_of!(XenDomctl, u), 16);

/// A domctl payload: a `#[repr(C)]` struct that sits in `xen_domctl.u`,
/// plain bytes as a [`crate::SysctlPayload`] is.
pub trait DomctlPayload: Copy + Default + FromBytes + IntoBytes + Immutable {
    /// The `XEN_DOMCTL_*` command that carries this payload.
    const CMD: u32;
    /// The command's name in public/domctl.h (`XEN_DOMCTL_max_mem`).
    const NAME: &'static str;
}

/// `struct xen_arch_domainconfig` (public/arch-x86/xen.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenArchDomainconfig {
    /// `XEN_X86_EMU_*`: emulated devices. A PV domain takes 0 (or only
    /// `XEN_X86_EMU_PIT`); anything else is `-EOPNOTSUPP`
    /// (`emulation_flags_ok()`, xen/arch/x86/domain.c).
    pub emulation_flags: u32,
    /// `XEN_X86_MSR_RELAXED` or 0.
    pub misc_flags: u32,
}
const_assert_eq!(size_of::<XenArchDomainconfig>(), 8);

/// `struct xen_domctl_createdomain` (IN, except that Xen may update
/// `flags`). Checked by `sanitise_domain_config()` (xen/common/domain.c) and
/// `arch_sanitise_domain_config()` (xen/arch/x86/domain.c).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenDomctlCreatedomain {
    /// XSM security id; 0 without XSM.
    pub ssidref: u32,
    /// `xen_domain_handle_t`: an opaque 16-byte tag (a UUID for the tools).
    pub handle: [u8; 16],
    /// `XEN_DOMCTL_CDF_*`; no `XEN_DOMCTL_CDF_hvm` = PV.
    pub flags: u32,
    /// `XEN_DOMCTL_IOMMU_*`: must be 0 without `XEN_DOMCTL_CDF_iommu`.
    pub iommu_opts: u32,
    /// At least 1; at most `MAX_VIRT_CPUS` for PV.
    pub max_vcpus: u32,
    /// Highest event channel port the domain may use.
    pub max_evtchn_port: u32,
    /// Grant table frames, `INITIAL_NR_GRANT_FRAMES` (1) up to
    /// `gnttab_max_frames` (default 64); `< 0`: that default.
    pub max_grant_frames: i32,
    /// Maptrack frames, up to `gnttab_max_maptrack_frames` (default 1024);
    /// `< 0`: that default.
    pub max_maptrack_frames: i32,
    /// [`xen_domctl_grant_version`]`(v)`, `v >= 1`.
    pub grant_opts: u32,
    /// Per-vCPU trace buffer bytes; must be 0 for PV.
    pub vmtrace_size: u32,
    /// CPU pool; 0 is the pool of dom0.
    pub cpupool_id: u32,
    pub arch: XenArchDomainconfig,
}
const_assert_eq!(size_of::<XenDomctlCreatedomain>(), 64);
const_assert_eq!(offset_of!(XenDomctlCreatedomain, flags), 20);
const_assert_eq!(offset_of!(XenDomctlCreatedomain, grant_opts), 44);
const_assert_eq!(offset_of!(XenDomctlCreatedomain, arch), 56);

impl DomctlPayload for XenDomctlCreatedomain {
    const CMD: u32 = XEN_DOMCTL_CREATEDOMAIN;
    const NAME: &'static str = "XEN_DOMCTL_createdomain";
}

/// `struct xen_domctl_getdomaininfo`: OUT only. Also the element type of
/// `XEN_SYSCTL_getdomaininfolist`'s buffer.
///
/// It has no `xenheap_pages`: Xen 4.17 reports a domain's Xen heap pages
/// only through our `XEN_SYSCTL_numa_getdomnodestat`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenDomctlGetdomaininfo {
    /// The domain (also echoed in `xen_domctl.domain`).
    pub domain: DomId,
    pub pad1: u16,
    /// `XEN_DOMINF_*`, and the shutdown code in bits 16..24.
    pub flags: u32,
    /// `domain_tot_pages(d)`: pages on `d->page_list`.
    pub tot_pages: u64,
    pub max_pages: u64,
    pub outstanding_pages: u64,
    pub shr_pages: u64,
    pub paged_pages: u64,
    /// GMFN of the shared_info page.
    pub shared_info_frame: u64,
    /// ns of CPU time used.
    pub cpu_time: u64,
    pub nr_online_vcpus: u32,
    /// `XEN_INVALID_MAX_VCPU_ID` (`~0U`) for a domain without vCPUs.
    pub max_vcpu_id: u32,
    pub ssidref: u32,
    pub handle: [u8; 16],
    pub cpupool: u32,
    /// Guest physical address bits.
    pub gpaddr_bits: u8,
    pub pad2: [u8; 7],
    pub arch_config: XenArchDomainconfig,
}
const_assert_eq!(size_of::<XenDomctlGetdomaininfo>(), 112);
const_assert_eq!(offset_of!(XenDomctlGetdomaininfo, tot_pages), 8);
const_assert_eq!(offset_of!(XenDomctlGetdomaininfo, handle), 76);
const_assert_eq!(offset_of!(XenDomctlGetdomaininfo, arch_config), 104);

impl XenDomctlGetdomaininfo {
    /// Whether the domain is being destroyed.
    pub const fn is_dying(&self) -> bool {
        self.flags & XEN_DOMINF_DYING != 0
    }
}

impl DomctlPayload for XenDomctlGetdomaininfo {
    const CMD: u32 = XEN_DOMCTL_GETDOMAININFO;
    const NAME: &'static str = "XEN_DOMCTL_getdomaininfo";
}

/// `struct xen_domctl_max_mem`: IN `max_memkb`, the most memory (KiB) the
/// domain may own on `d->page_list` (`d->max_pages = max_memkb >> 2`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenDomctlMaxMem {
    pub max_memkb: u64,
}
const_assert_eq!(size_of::<XenDomctlMaxMem>(), 8);

impl DomctlPayload for XenDomctlMaxMem {
    const CMD: u32 = XEN_DOMCTL_MAX_MEM;
    const NAME: &'static str = "XEN_DOMCTL_max_mem";
}

/// `struct xen_domctl_destroydomain` does not exist: the command has no
/// payload. This empty stand-in carries its number.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenDomctlDestroydomain {}

impl DomctlPayload for XenDomctlDestroydomain {
    const CMD: u32 = XEN_DOMCTL_DESTROYDOMAIN;
    const NAME: &'static str = "XEN_DOMCTL_destroydomain";
}

/// `struct xenctl_bitmap` (public/xen.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenctlBitmap {
    /// IN: guest address of the bitmap bytes (bit `n` is byte `n / 8`, bit
    /// `n % 8`).
    pub bitmap: u64,
    /// IN: bits the buffer holds.
    pub nr_bits: u32,
    pub _pad: u32,
}
const_assert_eq!(size_of::<XenctlBitmap>(), 16);

/// `struct xen_domctl_nodeaffinity`: `XEN_DOMCTL_getnodeaffinity` writes
/// the domain's node affinity into `nodemap` (`nodemask_to_xenctl_bitmap()`:
/// at most `(nr_bits + 7) / 8` bytes; the bits above `MAX_NUMNODES` zero).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenDomctlNodeaffinity {
    pub nodemap: XenctlBitmap,
}
const_assert_eq!(size_of::<XenDomctlNodeaffinity>(), 16);

impl DomctlPayload for XenDomctlNodeaffinity {
    const CMD: u32 = XEN_DOMCTL_GETNODEAFFINITY;
    const NAME: &'static str = "XEN_DOMCTL_getnodeaffinity";
}

const_assert!(size_of::<XenDomctlCreatedomain>() <= XEN_DOMCTL_PAYLOAD_SIZE);
const_assert!(size_of::<XenDomctlGetdomaininfo>() <= XEN_DOMCTL_PAYLOAD_SIZE);
const_assert!(size_of::<XenDomctlMaxMem>() <= XEN_DOMCTL_PAYLOAD_SIZE);
const_assert!(size_of::<XenDomctlNodeaffinity>() <= XEN_DOMCTL_PAYLOAD_SIZE);

/// `struct xen_sysctl_getdomaininfolist`: the domains with id
/// `>= first_domain`, in id order, at most `max_domains` of them
/// (xen/common/sysctl.c walks `for_each_domain`). A full buffer means there
/// may be more: ask again from the last id + 1.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenSysctlGetdomaininfolist {
    /// IN: the lowest domain id wanted.
    pub first_domain: DomId,
    pub _pad0: u16,
    /// IN: entries `buffer` holds.
    pub max_domains: u32,
    /// IN: guest address of a `xen_domctl_getdomaininfo_t[max_domains]`.
    pub buffer: u64,
    /// OUT: entries written.
    pub num_domains: u32,
    pub _pad1: u32,
}
const_assert_eq!(size_of::<XenSysctlGetdomaininfolist>(), 24);
const_assert_eq!(offset_of!(XenSysctlGetdomaininfolist, max_domains), 4);
const_assert_eq!(offset_of!(XenSysctlGetdomaininfolist, num_domains), 16);

impl crate::SysctlPayload for XenSysctlGetdomaininfolist {
    const CMD: u32 = crate::XEN_SYSCTL_GETDOMAININFOLIST;
    const NAME: &'static str = "XEN_SYSCTL_getdomaininfolist";
}
const_assert!(size_of::<XenSysctlGetdomaininfolist>() <= crate::XEN_SYSCTL_PAYLOAD_SIZE);

/// `(CMD, NAME)` of every [`DomctlPayload`], to name a command number.
const DOMCTL_NAMES: [(u32, &str); 5] = {
    const fn of<P: DomctlPayload>() -> (u32, &'static str) {
        (P::CMD, P::NAME)
    }
    [
        of::<XenDomctlCreatedomain>(),
        of::<XenDomctlDestroydomain>(),
        of::<XenDomctlGetdomaininfo>(),
        of::<XenDomctlMaxMem>(),
        of::<XenDomctlNodeaffinity>(),
    ]
};

/// The name public/domctl.h gives domctl `cmd`, for those defined here.
pub fn domctl_name(cmd: u32) -> Option<&'static str> {
    DOMCTL_NAMES
        .iter()
        .find(|(c, _)| *c == cmd)
        .map(|&(_, n)| n)
}

/// `#define XENMEM_decrease_reservation 1`: frees the extents whose first
/// GMFN is in `extent_start` (for a PV domain a GMFN is an MFN).
pub const XENMEM_DECREASE_RESERVATION: u32 = 1;
/// `#define XENMEM_populate_physmap 6`: allocates extents and maps them at
/// the GPFNs in `extent_start`; for a PV domain (not `paging_mode_translate`)
/// Xen writes each extent's MFN back into `extent_start`
/// (`populate_physmap()`, xen/common/memory.c).
pub const XENMEM_POPULATE_PHYSMAP: u32 = 6;

/// `#define XENMEMF_node(x) (((x) + 1) << 8)`: prefer node `x`.
pub const fn xenmemf_node(node: u32) -> u32 {
    (node + 1) << 8
}
/// `#define XENMEMF_exact_node_request (1<<17)`: fail rather than fall back
/// to another node (only the hardware or control domain may ask).
pub const XENMEMF_EXACT_NODE_REQUEST: u32 = 1 << 17;
/// `#define XENMEMF_exact_node(n) (XENMEMF_node(n) | XENMEMF_exact_node_request)`
pub const fn xenmemf_exact_node(node: u32) -> u32 {
    xenmemf_node(node) | XENMEMF_EXACT_NODE_REQUEST
}

/// `struct xen_memory_reservation`. `__HYPERVISOR_memory_op` with one of
/// the reservation commands returns the number of extents done; fewer than
/// `nr_extents` is a failure (Xen reports no errno for it: an unknown
/// domain, a full node or `max_pages` reached all look alike).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenMemoryReservation {
    /// Guest address of a `xen_pfn_t` (u64) array of `nr_extents` entries.
    pub extent_start: u64,
    /// Number of extents; at most `UINT_MAX >> MEMOP_EXTENT_SHIFT` (2^26 - 1).
    pub nr_extents: u64,
    /// Each extent is `2^extent_order` pages.
    pub extent_order: u32,
    /// `XENMEMF_*`.
    pub mem_flags: u32,
    /// The domain whose memory changes.
    pub domid: DomId,
    pub _pad: [u16; 3],
}
const_assert_eq!(size_of::<XenMemoryReservation>(), 32);
const_assert_eq!(offset_of!(XenMemoryReservation, extent_order), 16);
const_assert_eq!(offset_of!(XenMemoryReservation, domid), 24);

/// `#define XENMEM_exchange 11` (public/memory.h): trade a domain's pages
/// for new ones, e.g. on another node (`XENMEMF_exact_node` in `out`).
pub const XENMEM_EXCHANGE: u32 = 11;

/// `struct xen_memory_exchange` (public/memory.h). The C fields are `in`,
/// `out` and `nr_exchanged`; `in` is a Rust keyword, hence `input`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenMemoryExchange {
    /// IN: the pages given up (`extent_start`: their GMFNs; for a PV
    /// domain, MFNs).
    pub input: XenMemoryReservation,
    /// IN: what to get instead; OUT: `extent_start` filled with the new
    /// frames (MFNs for a PV domain).
    pub out: XenMemoryReservation,
    /// IN: 0. OUT: input extents exchanged so far (also on error).
    pub nr_exchanged: u64,
}
const_assert_eq!(size_of::<XenMemoryExchange>(), 72);
const_assert_eq!(offset_of!(XenMemoryExchange, out), 32);
const_assert_eq!(offset_of!(XenMemoryExchange, nr_exchanged), 64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_node_flags() {
        // XENMEMF_get_node(x) == ((x >> 8) - 1) & 0xff
        assert_eq!(xenmemf_exact_node(0), 0x2_0100);
        assert_eq!(xenmemf_exact_node(1), 0x2_0200);
        assert_eq!((xenmemf_node(63) >> 8) - 1, 63);
    }

    #[test]
    fn command_names_are_unique_and_found() {
        for (i, (cmd, name)) in DOMCTL_NAMES.iter().enumerate() {
            assert!(name.starts_with("XEN_DOMCTL_"), "{name}");
            assert_eq!(domctl_name(*cmd), Some(*name));
            assert!(DOMCTL_NAMES[..i].iter().all(|(c, _)| c != cmd), "{name}");
        }
        for (i, (cmd, name)) in crate::xen::SYSCTL_NAMES.iter().enumerate() {
            assert!(name.starts_with("XEN_SYSCTL_"), "{name}");
            assert_eq!(crate::sysctl_name(*cmd), Some(*name));
            assert!(crate::xen::SYSCTL_NAMES[..i].iter().all(|(c, _)| c != cmd));
        }
        assert_eq!(crate::sysctl_name(XEN_DOMCTL_MAX_MEM + 1000), None);
        assert_eq!(
            crate::sysctl_name(crate::XEN_SYSCTL_NUMA_GETDOMNODESTAT),
            Some("XEN_SYSCTL_numa_getdomnodestat")
        );
        assert_eq!(domctl_name(XEN_DOMCTL_MAX_MEM), Some("XEN_DOMCTL_max_mem"));
    }

    #[test]
    fn grant_version_is_masked() {
        assert_eq!(xen_domctl_grant_version(1), 1);
        assert_eq!(xen_domctl_grant_version(0x12), 2);
    }
}
