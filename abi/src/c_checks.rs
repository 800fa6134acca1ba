// SPDX-License-Identifier: GPL-2.0-only
//! The list of ABI facts C and Rust share. The root `build.rs` renders it as
//! C `_Static_assert`s (`numastat-abi-check.h`); patch 0003 includes that
//! file in `xen/common/page_alloc.c`, where the public headers and the
//! allocator's private `NR_ZONES`/`MEMZONE_XEN` are all in scope. A value
//! that differs on either side fails the Xen build (docs/abi.md).

use crate::domctl::*;
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
    c("XEN_SYSCTL_availheap", XEN_SYSCTL_AVAILHEAP as u64),
    c("XEN_SYSCTL_cputopoinfo", XEN_SYSCTL_CPUTOPOINFO as u64),
    c("XEN_INVALID_CORE_ID", XEN_INVALID_CORE_ID as u64),
    c("XEN_INVALID_SOCKET_ID", XEN_INVALID_SOCKET_ID as u64),
    c("XEN_INVALID_NODE_ID", XEN_INVALID_NODE_ID as u64),
    c("XEN_INVALID_MEM_SZ", XEN_INVALID_MEM_SZ),
    c("XEN_INVALID_NODE_DIST", XEN_INVALID_NODE_DIST as u64),
    c(
        "XEN_SYSCTL_numa_availheap",
        XEN_SYSCTL_NUMA_AVAILHEAP as u64,
    ),
    c("XEN_SYSCTL_numa_heapwalk", XEN_SYSCTL_NUMA_HEAPWALK as u64),
    c(
        "XEN_SYSCTL_numa_getdomnodestat",
        XEN_SYSCTL_NUMA_GETDOMNODESTAT as u64,
    ),
    c("XEN_NUMA_DOMAIN_FREE", XEN_NUMA_DOMAIN_FREE as u64),
    c("XEN_NUMA_LIST_page", NumaList::Page as u64),
    c("XEN_NUMA_LIST_extra", NumaList::Extra as u64),
    c("XEN_NUMA_LIST_xenpage", NumaList::XenPage as u64),
    c("XEN_NUMA_GDNS_walk", XEN_NUMA_GDNS_WALK as u64),
    c("XEN_NUMA_SRC_counters", XEN_NUMA_SRC_COUNTERS as u64),
    c("XEN_NUMA_SRC_walk", XEN_NUMA_SRC_WALK as u64),
    c("XEN_NUMA_SRC_free", XEN_NUMA_SRC_FREE as u64),
    c(
        "XEN_NUMA_STATUS_inconsistent",
        XEN_NUMA_STATUS_INCONSISTENT as u64,
    ),
    c("DOMID_FIRST_RESERVED", DOMID_FIRST_RESERVED as u64),
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
    c("EPERM", errno::EPERM as u64),
    c("ESRCH", errno::ESRCH as u64),
    c("ENOMEM", errno::ENOMEM as u64),
    c("EFAULT", errno::EFAULT as u64),
    c("EBUSY", errno::EBUSY as u64),
    c("EINVAL", errno::EINVAL as u64),
    c("ENOSYS", errno::ENOSYS as u64),
    c("EOPNOTSUPP", errno::EOPNOTSUPP as u64),
    c("ENOBUFS", errno::ENOBUFS as u64),
    c("ERESTART", errno::ERESTART as u64),
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
const UPSTREAM_AVAILHEAP: &[Check] = &layout!(
    "struct xen_sysctl_availheap",
    XenSysctlAvailheap,
    [min_bitwidth, max_bitwidth, node, avail_bytes]
);
const CPUTOPO: &[Check] = &layout!(
    "struct xen_sysctl_cputopo",
    XenSysctlCputopo,
    [core, socket, node]
);
const CPUTOPOINFO: &[Check] = &layout!(
    "struct xen_sysctl_cputopoinfo",
    XenSysctlCputopoinfo,
    [num_cpus, cputopo]
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

const NODE_PAGES: &[Check] = &layout!(
    "struct xen_numa_node_pages",
    XenNumaNodePages,
    [page_list, extra_page_list, xenpage_list]
);
const CURSOR: &[Check] = &layout!(
    "struct xen_numa_walk_cursor",
    XenNumaWalkCursor,
    [list, flags, token, reserved]
);
const GETDOMNODESTAT: &[Check] = &layout!(
    "struct xen_sysctl_numa_getdomnodestat",
    XenSysctlNumaGetdomnodestat,
    [
        domain,
        node,
        nodes,
        nr_nodes,
        flags,
        total,
        tot_pages,
        xenheap_pages,
        extra_pages,
        pieces,
        restarts,
        source,
        status,
        cursor
    ]
);

/// Struct layouts: sizes and field offsets.
pub const LAYOUTS: &[&[Check]] = &[
    SYSCTL,
    PHYSINFO,
    MEMINFO,
    NUMAINFO,
    DEBUG_KEYS,
    READCONSOLE,
    UPSTREAM_AVAILHEAP,
    CPUTOPO,
    CPUTOPOINFO,
    AVAILHEAP,
    HEAPWALK,
    NODE_PAGES,
    CURSOR,
    GETDOMNODESTAT,
];

/// Constants of the upstream calls that create, populate, inspect and
/// destroy domains (abi/src/domctl.rs): what the tests use to place a
/// domain's memory on known nodes.
pub const DOMAIN_CONSTANTS: &[Check] = &[
    c("__HYPERVISOR_memory_op", HYPERVISOR_MEMORY_OP),
    c("__HYPERVISOR_xen_version", HYPERVISOR_XEN_VERSION),
    c("XENVER_version", XENVER_VERSION),
    c(
        "XEN_DOMCTL_INTERFACE_VERSION",
        XEN_DOMCTL_INTERFACE_VERSION as u64,
    ),
    c("XEN_DOMCTL_createdomain", XEN_DOMCTL_CREATEDOMAIN as u64),
    c("XEN_DOMCTL_destroydomain", XEN_DOMCTL_DESTROYDOMAIN as u64),
    c("XEN_DOMCTL_getdomaininfo", XEN_DOMCTL_GETDOMAININFO as u64),
    c("XEN_DOMCTL_max_mem", XEN_DOMCTL_MAX_MEM as u64),
    c(
        "XEN_DOMCTL_getnodeaffinity",
        XEN_DOMCTL_GETNODEAFFINITY as u64,
    ),
    c("XEN_DOMCTL_CDF_hvm", XEN_DOMCTL_CDF_HVM as u64),
    c("XEN_DOMCTL_CDF_oos_off", XEN_DOMCTL_CDF_OOS_OFF as u64),
    c(
        "XEN_DOMCTL_GRANT_version_mask",
        XEN_DOMCTL_GRANT_VERSION_MASK as u64,
    ),
    c(
        "XEN_DOMCTL_GRANT_version(0x12)",
        xen_domctl_grant_version(0x12) as u64,
    ),
    c("XEN_DOMINF_dying", XEN_DOMINF_DYING as u64),
    c("XEN_DOMINF_hvm_guest", XEN_DOMINF_HVM_GUEST as u64),
    c("XEN_DOMINF_shutdown", XEN_DOMINF_SHUTDOWN as u64),
    c("XEN_DOMINF_paused", XEN_DOMINF_PAUSED as u64),
    c(
        "sizeof(((struct xen_domctl *)0)->u)",
        XEN_DOMCTL_PAYLOAD_SIZE as u64,
    ),
    c(
        "XENMEM_decrease_reservation",
        XENMEM_DECREASE_RESERVATION as u64,
    ),
    c("XENMEM_populate_physmap", XENMEM_POPULATE_PHYSMAP as u64),
    c("XENMEM_exchange", XENMEM_EXCHANGE as u64),
    c(
        "sizeof(struct xen_memory_exchange)",
        size_of::<XenMemoryExchange>() as u64,
    ),
    c(
        "offsetof(struct xen_memory_exchange, in)",
        offset_of!(XenMemoryExchange, input) as u64,
    ),
    c(
        "offsetof(struct xen_memory_exchange, out)",
        offset_of!(XenMemoryExchange, out) as u64,
    ),
    c(
        "offsetof(struct xen_memory_exchange, nr_exchanged)",
        offset_of!(XenMemoryExchange, nr_exchanged) as u64,
    ),
    c(
        "XENMEMF_exact_node_request",
        XENMEMF_EXACT_NODE_REQUEST as u64,
    ),
    c("XENMEMF_node(0)", xenmemf_node(0) as u64),
    c("XENMEMF_exact_node(0)", xenmemf_exact_node(0) as u64),
    c("XENMEMF_exact_node(63)", xenmemf_exact_node(63) as u64),
    c("sizeof(domid_t)", size_of::<DomId>() as u64),
    c("sizeof(xen_pfn_t)", size_of::<u64>() as u64),
];

const DOMCTL: &[Check] = &layout!(
    "struct xen_domctl",
    XenDomctl,
    [cmd, interface_version, domain, u]
);
const ARCH_DOMAINCONFIG: &[Check] = &layout!(
    "struct xen_arch_domainconfig",
    XenArchDomainconfig,
    [emulation_flags, misc_flags]
);
const CREATEDOMAIN: &[Check] = &layout!(
    "struct xen_domctl_createdomain",
    XenDomctlCreatedomain,
    [
        ssidref,
        handle,
        flags,
        iommu_opts,
        max_vcpus,
        max_evtchn_port,
        max_grant_frames,
        max_maptrack_frames,
        grant_opts,
        vmtrace_size,
        cpupool_id,
        arch
    ]
);
const GETDOMAININFO: &[Check] = &layout!(
    "struct xen_domctl_getdomaininfo",
    XenDomctlGetdomaininfo,
    [
        domain,
        flags,
        tot_pages,
        max_pages,
        outstanding_pages,
        shr_pages,
        paged_pages,
        shared_info_frame,
        cpu_time,
        nr_online_vcpus,
        max_vcpu_id,
        ssidref,
        handle,
        cpupool,
        gpaddr_bits,
        pad2,
        arch_config
    ]
);
const MAX_MEM: &[Check] = &layout!("struct xen_domctl_max_mem", XenDomctlMaxMem, [max_memkb]);
const XENCTL_BITMAP: &[Check] = &layout!("struct xenctl_bitmap", XenctlBitmap, [bitmap, nr_bits]);
const NODEAFFINITY: &[Check] = &layout!(
    "struct xen_domctl_nodeaffinity",
    XenDomctlNodeaffinity,
    [nodemap]
);
const GETDOMAININFOLIST: &[Check] = &layout!(
    "struct xen_sysctl_getdomaininfolist",
    XenSysctlGetdomaininfolist,
    [first_domain, max_domains, buffer, num_domains]
);
const MEMORY_RESERVATION: &[Check] = &layout!(
    "struct xen_memory_reservation",
    XenMemoryReservation,
    [extent_start, nr_extents, extent_order, mem_flags, domid]
);

/// Layouts of the domain calls' structs (abi/src/domctl.rs).
pub const DOMAIN_LAYOUTS: &[&[Check]] = &[
    DOMCTL,
    ARCH_DOMAINCONFIG,
    CREATEDOMAIN,
    GETDOMAININFO,
    MAX_MEM,
    XENCTL_BITMAP,
    NODEAFFINITY,
    GETDOMAININFOLIST,
    MEMORY_RESERVATION,
];

/// The component's storage that Xen's C updates inline (patch 0008).
pub const INLINE_STORAGE: &[Check] = &[
    c(
        "offsetof(struct numastat_heap, ready)",
        NUMASTAT_HEAP_READY_OFFSET as u64,
    ),
    c("sizeof(struct numastat_heap)", NUMASTAT_HEAP_SIZE as u64),
    c(
        "sizeof(((struct numastat_domain *)0)->pages)",
        NUMASTAT_DOMAIN_PAGES_SIZE as u64,
    ),
    c(
        "sizeof(((struct numastat_domain *)0)->pages[0][0])",
        NUMASTAT_DOMAIN_COUNT_SIZE as u64,
    ),
    c(
        "sizeof(((struct numastat_domain *)0)->pages[0])",
        NUMASTAT_DOMAIN_LIST_ROW_SIZE as u64,
    ),
    c(
        "offsetof(struct numastat_domain, removals)",
        NUMASTAT_DOMAIN_PAGES_SIZE as u64,
    ),
    c(
        "sizeof(struct numastat_domain)",
        NUMASTAT_DOMAIN_SIZE as u64,
    ),
    c("__alignof__(struct numastat_domain)", 8),
];

/// The FLASK operations of the XSM test (abi/src/flask.rs).
pub const FLASK: &[Check] = &[
    c("__HYPERVISOR_xsm_op", crate::flask::HYPERVISOR_XSM_OP),
    c(
        "XEN_FLASK_INTERFACE_VERSION",
        crate::flask::XEN_FLASK_INTERFACE_VERSION as u64,
    ),
    c(
        "FLASK_CONTEXT_TO_SID",
        crate::flask::FLASK_CONTEXT_TO_SID as u64,
    ),
    c(
        "FLASK_RELABEL_DOMAIN",
        crate::flask::FLASK_RELABEL_DOMAIN as u64,
    ),
    c(
        "sizeof(struct xen_flask_op)",
        size_of::<crate::flask::XenFlaskOp>() as u64,
    ),
    c(
        "offsetof(struct xen_flask_op, u)",
        offset_of!(crate::flask::XenFlaskOp, u) as u64,
    ),
    c(
        "sizeof(struct xen_flask_sid_context)",
        size_of::<crate::flask::XenFlaskSidContext>() as u64,
    ),
    c(
        "offsetof(struct xen_flask_sid_context, context)",
        offset_of!(crate::flask::XenFlaskSidContext, context) as u64,
    ),
    c(
        "sizeof(struct xen_flask_relabel)",
        size_of::<crate::flask::XenFlaskRelabel>() as u64,
    ),
    c(
        "offsetof(struct xen_flask_relabel, sid)",
        offset_of!(crate::flask::XenFlaskRelabel, sid) as u64,
    ),
];

/// Every check, constants first.
pub fn all() -> impl Iterator<Item = &'static Check> {
    CONSTANTS
        .iter()
        .chain(DOMAIN_CONSTANTS)
        .chain(FLASK)
        .chain(INLINE_STORAGE)
        .chain(LAYOUTS.iter().flat_map(|l| l.iter()))
        .chain(DOMAIN_LAYOUTS.iter().flat_map(|l| l.iter()))
}
