// SPDX-License-Identifier: GPL-2.0-only
//! The list of ABI facts C and Rust share. The root `build.rs` renders it as
//! C `_Static_assert`s (`numastat-abi-check.h`); patch 0003 includes that
//! file in `xen/common/page_alloc.c`, where the public headers and the
//! allocator's private `NR_ZONES`/`MEMZONE_XEN` are all in scope. A value
//! that differs on either side fails the Xen build (docs/abi.md).

use crate::numastat::*;
use crate::xen::*;
use core::mem::{offset_of, size_of};

/// One fact: a C expression and the value the Rust side relies on.
#[derive(Clone, Copy, Debug)]
pub struct Check {
    /// A C integer constant expression.
    pub c_expr: &'static str,
    /// Its value as Rust sees it.
    pub value: u64,
}

const fn c(c_expr: &'static str, value: u64) -> Check {
    Check { c_expr, value }
}

macro_rules! layout {
    ($cty:literal, $rty:ty, [$($field:ident),*]) => {
        [
            c(concat!("sizeof(", $cty, ")"), size_of::<$rty>() as u64),
            $(c(concat!("offsetof(", $cty, ", ", stringify!($field), ")"),
                offset_of!($rty, $field) as u64),)*
        ]
    };
}

/// Constants: op numbers, interface versions, limits.
pub const CONSTANTS: &[Check] = &[
    c("__HYPERVISOR_sysctl", HYPERVISOR_SYSCTL),
    c("__HYPERVISOR_domctl", HYPERVISOR_DOMCTL),
    c(
        "XEN_SYSCTL_INTERFACE_VERSION",
        XEN_SYSCTL_INTERFACE_VERSION as u64,
    ),
    c("XEN_SYSCTL_readconsole", XEN_SYSCTL_READCONSOLE as u64),
    c("XEN_SYSCTL_physinfo", XEN_SYSCTL_PHYSINFO as u64),
    c(
        "XEN_SYSCTL_getdomaininfolist",
        XEN_SYSCTL_GETDOMAININFOLIST as u64,
    ),
    c("XEN_SYSCTL_debug_keys", XEN_SYSCTL_DEBUG_KEYS as u64),
    c("XEN_SYSCTL_numainfo", XEN_SYSCTL_NUMAINFO as u64),
    c("XEN_INVALID_MEM_SZ", XEN_INVALID_MEM_SZ),
    c("XEN_INVALID_NODE_DIST", XEN_INVALID_NODE_DIST as u64),
    c(
        "XEN_SYSCTL_numa_availheap",
        XEN_SYSCTL_NUMA_AVAILHEAP as u64,
    ),
    c("XEN_SYSCTL_numa_heapwalk", XEN_SYSCTL_NUMA_HEAPWALK as u64),
    // Compared as the two's complement bit pattern of the C int.
    c("(uint32_t)XEN_NUMA_ANY", XEN_NUMA_ANY as u32 as u64),
    c("XEN_NUMA_NODE_OFFLINE", XEN_NUMA_NODE_OFFLINE),
    c("NR_ZONES", NR_ZONES as u64),
    c("MEMZONE_XEN", MEMZONE_XEN as u64),
    c("MAX_NUMNODES", MAX_NUMNODES as u64),
    c("PAGE_SHIFT", PAGE_SHIFT as u64),
    c(
        "sizeof(((struct xen_sysctl *)0)->u)",
        XEN_SYSCTL_PAYLOAD_SIZE as u64,
    ),
    c("ESRCH", errno::ESRCH as u64),
    c("ENOMEM", errno::ENOMEM as u64),
    c("EFAULT", errno::EFAULT as u64),
    c("EBUSY", errno::EBUSY as u64),
    c("EINVAL", errno::EINVAL as u64),
    c("ENOSYS", errno::ENOSYS as u64),
    c("EOPNOTSUPP", errno::EOPNOTSUPP as u64),
    c("ENOBUFS", errno::ENOBUFS as u64),
];

const SYSCTL: &[Check] = &layout!("struct xen_sysctl", XenSysctl, [cmd, interface_version, u]);
const PHYSINFO: &[Check] = &layout!(
    "struct xen_sysctl_physinfo",
    XenSysctlPhysinfo,
    [
        nr_nodes,
        max_node_id,
        arch_capabilities,
        total_pages,
        free_pages,
        max_mfn,
        hw_cap
    ]
);
const MEMINFO: &[Check] = &layout!(
    "struct xen_sysctl_meminfo",
    XenSysctlMeminfo,
    [memsize, memfree]
);
const NUMAINFO: &[Check] = &layout!(
    "struct xen_sysctl_numainfo",
    XenSysctlNumainfo,
    [num_nodes, meminfo, distance]
);
const DEBUG_KEYS: &[Check] = &layout!(
    "struct xen_sysctl_debug_keys",
    XenSysctlDebugKeys,
    [keys, nr_keys]
);
const READCONSOLE: &[Check] = &layout!(
    "struct xen_sysctl_readconsole",
    XenSysctlReadconsole,
    [clear, incremental, index, buffer, count]
);
const AVAILHEAP: &[Check] = &layout!(
    "struct xen_sysctl_numa_availheap",
    XenSysctlNumaAvailheap,
    [zone, node, nr_zones, nr_nodes, pages, counts, nr_counts, pad]
);
const HEAPWALK: &[Check] = &layout!(
    "struct xen_sysctl_numa_heapwalk",
    XenSysctlNumaHeapwalk,
    [node, zone, pages, chunks, counter]
);

/// Struct layouts: sizes and field offsets.
pub const LAYOUTS: &[&[Check]] = &[
    SYSCTL,
    PHYSINFO,
    MEMINFO,
    NUMAINFO,
    DEBUG_KEYS,
    READCONSOLE,
    AVAILHEAP,
    HEAPWALK,
];

/// Every check, constants first.
pub fn all() -> impl Iterator<Item = &'static Check> {
    CONSTANTS
        .iter()
        .chain(LAYOUTS.iter().flat_map(|l| l.iter()))
}
