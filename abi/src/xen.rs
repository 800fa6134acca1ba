// SPDX-License-Identifier: GPL-2.0-only
//! Upstream Xen 4.17 ABI used by the tools: hypercall numbers, the sysctl
//! envelope and the sysctl payloads we call. Source: xen/include/public/xen.h
//! and xen/include/public/sysctl.h of Xen 4.17.5.

use core::mem::{offset_of, size_of};
use static_assertions::const_assert_eq;
use zerocopy::{FromBytes, Immutable, IntoBytes};

/// `#define __HYPERVISOR_sysctl 35` (public/xen.h)
pub const HYPERVISOR_SYSCTL: u64 = 35;
/// `#define __HYPERVISOR_domctl 36` (public/xen.h)
pub const HYPERVISOR_DOMCTL: u64 = 36;
/// `#define __HYPERVISOR_memory_op 12` (public/xen.h)
pub const HYPERVISOR_MEMORY_OP: u64 = 12;
/// `#define __HYPERVISOR_xen_version 17` (public/xen.h): every domain may
/// make it (the tools' probe of who refused an EPERM: docs/cli.md).
pub const HYPERVISOR_XEN_VERSION: u64 = 17;
/// `#define XENVER_version 0` (public/version.h): `major << 16 | minor`,
/// no argument buffer.
pub const XENVER_VERSION: u64 = 0;

/// `#define XEN_SYSCTL_INTERFACE_VERSION 0x00000015` (public/sysctl.h)
pub const XEN_SYSCTL_INTERFACE_VERSION: u32 = 0x0000_0015;

/// `#define XEN_SYSCTL_readconsole 1`
pub const XEN_SYSCTL_READCONSOLE: u32 = 1;
/// `#define XEN_SYSCTL_physinfo 3`
pub const XEN_SYSCTL_PHYSINFO: u32 = 3;
/// `#define XEN_SYSCTL_getdomaininfolist 6`
pub const XEN_SYSCTL_GETDOMAININFOLIST: u32 = 6;
/// `#define XEN_SYSCTL_debug_keys 7`
pub const XEN_SYSCTL_DEBUG_KEYS: u32 = 7;
/// `#define XEN_SYSCTL_availheap 9`: upstream's free memory by node and
/// address width (what a stock Xen answers instead of our availheap).
pub const XEN_SYSCTL_AVAILHEAP: u32 = 9;
/// `#define XEN_SYSCTL_cputopoinfo 16`
pub const XEN_SYSCTL_CPUTOPOINFO: u32 = 16;
/// `#define XEN_SYSCTL_numainfo 17`
pub const XEN_SYSCTL_NUMAINFO: u32 = 17;

/// `#define XEN_INVALID_CORE_ID (~0U)`: cputopoinfo's `core` of a CPU that
/// is not present.
pub const XEN_INVALID_CORE_ID: u32 = !0;
/// `#define XEN_INVALID_SOCKET_ID (~0U)`
pub const XEN_INVALID_SOCKET_ID: u32 = !0;
/// `#define XEN_INVALID_NODE_ID (~0U)`: cputopoinfo's `node` of a CPU that
/// is not present, or that Xen places on no node (`NUMA_NO_NODE`).
pub const XEN_INVALID_NODE_ID: u32 = !0;

/// `#define XEN_INVALID_MEM_SZ (~0U)`: numainfo's memsize (and memfree) of an
/// offline node id. sysctl.c stores the 32-bit `~0U` in the u64 field, so the
/// value seen is `0x0000_0000_ffff_ffff`.
pub const XEN_INVALID_MEM_SZ: u64 = 0xffff_ffff;
/// `#define XEN_INVALID_NODE_DIST (~0U)`
pub const XEN_INVALID_NODE_DIST: u32 = !0;

/// Bytes of the payload union in `struct xen_sysctl` (`uint8_t pad[128]`).
pub const XEN_SYSCTL_PAYLOAD_SIZE: usize = 128;

/// `struct xen_sysctl`: the envelope of every sysctl. The payload union is
/// kept as raw 64-bit words; [`SysctlPayload`] types are copied in and out.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable)]
pub struct XenSysctl {
    pub cmd: u32,
    pub interface_version: u32,
    pub u: [u64; XEN_SYSCTL_PAYLOAD_SIZE / 8],
}
const_assert_eq!(size_of::<XenSysctl>(), 136);
const_assert_eq!(offset_of!(XenSysctl, u), 8);

/// A sysctl payload: a `#[repr(C)]` struct that sits in `xen_sysctl.u`.
/// The zerocopy bounds make it plain bytes: no padding (so every byte
/// copied to Xen is initialised) and no invalid bit pattern (so whatever
/// Xen writes back is a value), both proven by the derives.
pub trait SysctlPayload: Copy + Default + FromBytes + IntoBytes + Immutable {
    /// The `XEN_SYSCTL_*` command that carries this payload.
    const CMD: u32;
    /// The command's name in public/sysctl.h (`XEN_SYSCTL_physinfo`).
    const NAME: &'static str;
}

/// `struct xen_sysctl_physinfo`
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable)]
pub struct XenSysctlPhysinfo {
    pub threads_per_core: u32,
    pub cores_per_socket: u32,
    pub nr_cpus: u32,
    pub max_cpu_id: u32,
    /// Number of online nodes.
    pub nr_nodes: u32,
    /// Largest *possible* node id (`MAX_NUMNODES - 1`), not the highest
    /// online one.
    pub max_node_id: u32,
    pub cpu_khz: u32,
    pub capabilities: u32,
    pub arch_capabilities: u32,
    pub pad: u32,
    pub total_pages: u64,
    pub free_pages: u64,
    pub scrub_pages: u64,
    pub outstanding_pages: u64,
    pub max_mfn: u64,
    pub hw_cap: [u32; 8],
}
const_assert_eq!(size_of::<XenSysctlPhysinfo>(), 112);
impl SysctlPayload for XenSysctlPhysinfo {
    const CMD: u32 = XEN_SYSCTL_PHYSINFO;
    const NAME: &'static str = "XEN_SYSCTL_physinfo";
}

/// `struct xen_sysctl_meminfo`: one element of numainfo's `meminfo` array.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenSysctlMeminfo {
    pub memsize: u64,
    pub memfree: u64,
}
const_assert_eq!(size_of::<XenSysctlMeminfo>(), 16);

/// `struct xen_sysctl_numainfo`. Handles are guest virtual addresses
/// (`XEN_GUEST_HANDLE_64`), 0 for NULL.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable)]
pub struct XenSysctlNumainfo {
    /// IN: entries the arrays hold. OUT: with NULL arrays, the highest online
    /// node id + 1; with arrays, the entries written, min(that, IN), which is
    /// also the row length of the distance table.
    pub num_nodes: u32,
    pub _pad: u32,
    /// IN: `xen_sysctl_meminfo_t[num_nodes]`, or 0.
    pub meminfo: u64,
    /// IN: `uint32_t[num_nodes * num_nodes]`, or 0.
    pub distance: u64,
}
const_assert_eq!(size_of::<XenSysctlNumainfo>(), 24);
impl SysctlPayload for XenSysctlNumainfo {
    const CMD: u32 = XEN_SYSCTL_NUMAINFO;
    const NAME: &'static str = "XEN_SYSCTL_numainfo";
}

/// `struct xen_sysctl_debug_keys`
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable)]
pub struct XenSysctlDebugKeys {
    /// IN: guest address of the key characters.
    pub keys: u64,
    /// IN: number of keys.
    pub nr_keys: u32,
    pub _pad: u32,
}
const_assert_eq!(size_of::<XenSysctlDebugKeys>(), 16);
impl SysctlPayload for XenSysctlDebugKeys {
    const CMD: u32 = XEN_SYSCTL_DEBUG_KEYS;
    const NAME: &'static str = "XEN_SYSCTL_debug_keys";
}

/// `struct xen_sysctl_readconsole`
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable)]
pub struct XenSysctlReadconsole {
    /// IN: non-zero: clear the ring after reading.
    pub clear: u8,
    /// IN: non-zero: start at `index`.
    pub incremental: u8,
    pub pad0: u8,
    pub pad1: u8,
    /// IN: start index (with `incremental`); OUT: index after the last byte.
    pub index: u32,
    /// IN: guest address of the buffer.
    pub buffer: u64,
    /// IN: buffer size; OUT: bytes written.
    pub count: u32,
    pub _pad: u32,
}
const_assert_eq!(size_of::<XenSysctlReadconsole>(), 24);
impl SysctlPayload for XenSysctlReadconsole {
    const CMD: u32 = XEN_SYSCTL_READCONSOLE;
    const NAME: &'static str = "XEN_SYSCTL_readconsole";
}

/// `struct xen_sysctl_availheap` (upstream, `XEN_SYSCTL_availheap`): free
/// bytes of the domain heap on `node` (-1: all online nodes) in the zones
/// from `bits_to_zone(min_bitwidth)` to `bits_to_zone(max_bitwidth)`
/// (`avail_domheap_pages_region()`, xen/common/page_alloc.c: a width `b`
/// names zone `b - PAGE_SHIFT`, clamped to `1..NR_ZONES`; 0 means no
/// bound). Zone 0 (`MEMZONE_XEN`) cannot be asked for. Each call is one
/// sum; several calls are not one snapshot.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenSysctlAvailheap {
    /// IN: smallest address width, 0 for no bound.
    pub min_bitwidth: u32,
    /// IN: largest address width, 0 for no bound.
    pub max_bitwidth: u32,
    /// IN: node id, or -1 for all nodes.
    pub node: i32,
    pub _pad: u32,
    /// OUT: free bytes in the region.
    pub avail_bytes: u64,
}
const_assert_eq!(size_of::<XenSysctlAvailheap>(), 24);
const_assert_eq!(offset_of!(XenSysctlAvailheap, node), 8);
const_assert_eq!(offset_of!(XenSysctlAvailheap, avail_bytes), 16);
impl SysctlPayload for XenSysctlAvailheap {
    const CMD: u32 = XEN_SYSCTL_AVAILHEAP;
    const NAME: &'static str = "XEN_SYSCTL_availheap";
}

/// `struct xen_sysctl_cputopo`: one element of cputopoinfo's array.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenSysctlCputopo {
    pub core: u32,
    pub socket: u32,
    /// Xen's node id of the CPU, or [`XEN_INVALID_NODE_ID`].
    pub node: u32,
}
const_assert_eq!(size_of::<XenSysctlCputopo>(), 12);

/// `struct xen_sysctl_cputopoinfo`. With a NULL `cputopo` handle Xen
/// answers in `num_cpus` the entries needed (highest present CPU + 1);
/// otherwise it fills `min(that, num_cpus)` entries and sets `num_cpus` to
/// the number written (xen/common/sysctl.c).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenSysctlCputopoinfo {
    /// IN: entries `cputopo` holds. OUT: see above.
    pub num_cpus: u32,
    pub _pad: u32,
    /// IN: guest address of a `xen_sysctl_cputopo_t[num_cpus]`, or 0.
    pub cputopo: u64,
}
const_assert_eq!(size_of::<XenSysctlCputopoinfo>(), 16);
const_assert_eq!(offset_of!(XenSysctlCputopoinfo, cputopo), 8);
impl SysctlPayload for XenSysctlCputopoinfo {
    const CMD: u32 = XEN_SYSCTL_CPUTOPOINFO;
    const NAME: &'static str = "XEN_SYSCTL_cputopoinfo";
}

// Payloads must fit the union. Every payload struct spells out its padding
// as named fields (`pad`, `_pad`): the `IntoBytes` derive refuses to
// compile a struct with implicit padding, so the tools can copy them as
// plain bytes.
static_assertions::const_assert!(size_of::<XenSysctlPhysinfo>() <= XEN_SYSCTL_PAYLOAD_SIZE);
static_assertions::const_assert!(size_of::<XenSysctlNumainfo>() <= XEN_SYSCTL_PAYLOAD_SIZE);
static_assertions::const_assert!(size_of::<XenSysctlDebugKeys>() <= XEN_SYSCTL_PAYLOAD_SIZE);
static_assertions::const_assert!(size_of::<XenSysctlReadconsole>() <= XEN_SYSCTL_PAYLOAD_SIZE);
static_assertions::const_assert!(size_of::<XenSysctlAvailheap>() <= XEN_SYSCTL_PAYLOAD_SIZE);
static_assertions::const_assert!(size_of::<XenSysctlCputopoinfo>() <= XEN_SYSCTL_PAYLOAD_SIZE);
static_assertions::const_assert!(
    size_of::<crate::XenSysctlNumaAvailheap>() <= XEN_SYSCTL_PAYLOAD_SIZE
);
static_assertions::const_assert!(
    size_of::<crate::XenSysctlNumaHeapwalk>() <= XEN_SYSCTL_PAYLOAD_SIZE
);
static_assertions::const_assert!(
    size_of::<crate::XenSysctlNumaGetdomnodestat>() <= XEN_SYSCTL_PAYLOAD_SIZE
);

/// `(CMD, NAME)` of every [`SysctlPayload`], to name a command number.
pub(crate) const SYSCTL_NAMES: [(u32, &str); 10] = {
    const fn of<P: SysctlPayload>() -> (u32, &'static str) {
        (P::CMD, P::NAME)
    }
    [
        of::<XenSysctlReadconsole>(),
        of::<XenSysctlPhysinfo>(),
        of::<crate::XenSysctlGetdomaininfolist>(),
        of::<XenSysctlDebugKeys>(),
        of::<XenSysctlAvailheap>(),
        of::<XenSysctlCputopoinfo>(),
        of::<XenSysctlNumainfo>(),
        of::<crate::XenSysctlNumaAvailheap>(),
        of::<crate::XenSysctlNumaHeapwalk>(),
        of::<crate::XenSysctlNumaGetdomnodestat>(),
    ]
};

/// The name public/sysctl.h gives sysctl `cmd`, for those defined here.
pub fn sysctl_name(cmd: u32) -> Option<&'static str> {
    SYSCTL_NAMES
        .iter()
        .find(|(c, _)| *c == cmd)
        .map(|&(_, n)| n)
}

/// Xen's errno values (xen/include/public/errno.h), as returned negated by
/// hypercalls.
pub mod errno {
    /// `XEN_ERRNO(EPERM, 1)`
    pub const EPERM: i32 = 1;
    /// `XEN_ERRNO(ESRCH, 3)`
    pub const ESRCH: i32 = 3;
    /// `XEN_ERRNO(ENOMEM, 12)`
    pub const ENOMEM: i32 = 12;
    /// `XEN_ERRNO(EBUSY, 16)`
    pub const EBUSY: i32 = 16;
    /// `XEN_ERRNO(EFAULT, 14)`
    pub const EFAULT: i32 = 14;
    /// `XEN_ERRNO(EINVAL, 22)`
    pub const EINVAL: i32 = 22;
    /// `XEN_ERRNO(ENOSYS, 38)`
    pub const ENOSYS: i32 = 38;
    /// `XEN_ERRNO(ERESTART, 85)`
    pub const ERESTART: i32 = 85;
    /// `XEN_ERRNO(EOPNOTSUPP, 95)`
    pub const EOPNOTSUPP: i32 = 95;
    /// `XEN_ERRNO(ENOBUFS, 105)`
    pub const ENOBUFS: i32 = 105;
}
