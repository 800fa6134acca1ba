// SPDX-License-Identifier: GPL-2.0-only
//! The function calls between Xen's C and the numastat component: one
//! definition of every prototype on the boundary.
//!
//! Two lists, each a macro that hands its entries to a callback macro:
//! - [`numastat_entry_points!`]: functions the component defines
//!   (`#[no_mangle] extern "C"` in hypervisor/src/ffi.rs) and Xen calls;
//! - [`numastat_shims!`]: functions Xen defines (patch series:
//!   xen/common/page_alloc.c, xen/common/numastat.c) and the component calls.
//!
//! Both are declared for C by hand, in Xen's style, in
//! `xen/include/xen/numastat.h` (patch series). The Rust side is generated
//! from these lists: the component's `extern "C"` block is expanded from
//! [`numastat_shims!`], and every entry point is pinned to its listed type
//! by a `const` that fails to compile on any difference. The C side is
//! checked: [`SIGNATURES`] becomes one `_Static_assert` per function in
//! `numastat-abi-check.h`, comparing `__typeof__(fn)` with the listed C type,
//! so a changed argument fails the Xen build (docs/abi.md).

use core::ffi::{c_int, c_long, c_uint, c_ulong};

/// A C type as the generated checks spell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CTy {
    /// A type by name (`unsigned int`, `struct domain`, `void`).
    Named(&'static str),
    /// `T *`.
    Ptr(&'static CTy),
    /// `const T *`.
    ConstPtr(&'static CTy),
}

impl CTy {
    /// The C spelling, e.g. `const struct domain *`.
    pub fn render(&self, out: &mut impl core::fmt::Write) -> core::fmt::Result {
        match self {
            CTy::Named(n) => out.write_str(n),
            CTy::Ptr(t) => {
                t.render(out)?;
                out.write_str(" *")
            }
            CTy::ConstPtr(t) => {
                out.write_str("const ")?;
                t.render(out)?;
                out.write_str(" *")
            }
        }
    }
}

/// The C type a Rust type stands for at the boundary.
pub trait CType {
    const C: CTy;
}

macro_rules! c_type {
    ($($t:ty => $c:literal),* $(,)?) => {
        $(impl CType for $t { const C: CTy = CTy::Named($c); })*
    };
}
c_type! {
    () => "void",
    bool => "bool",
    c_int => "int",
    c_uint => "unsigned int",
    c_long => "long",
    c_ulong => "unsigned long",
    crate::XenSysctlNumaAvailheap => "struct xen_sysctl_numa_availheap",
    crate::XenSysctlNumaGetdomnodestat => "struct xen_sysctl_numa_getdomnodestat",
    crate::XenNumaNodePages => "struct xen_numa_node_pages",
    Domain => "struct domain",
    PageInfo => "struct page_info",
    NumastatDomain => "struct numastat_domain",
}
// `unsigned long` and `uint64_t` are the same Rust type (u64) and the same
// C type on x86-64 (`typedef unsigned long uint64_t`), so one impl serves.

impl<T: CType> CType for *mut T {
    const C: CTy = CTy::Ptr(&T::C);
}
impl<T: CType> CType for *const T {
    const C: CTy = CTy::ConstPtr(&T::C);
}

/// `struct domain` (xen/include/xen/sched.h): only ever behind a pointer.
#[repr(C)]
#[derive(Debug)]
pub struct Domain {
    _opaque: [u8; 0],
}

/// `struct page_info` (xen/arch/x86/include/asm/mm.h): only behind a pointer.
#[repr(C)]
#[derive(Debug)]
pub struct PageInfo {
    _opaque: [u8; 0],
}

/// `struct numastat_domain`: a domain's per-node page counters, owned by the
/// component (hypervisor/src/counters.rs), `d->numastat` inside C's
/// `struct domain` (zeroed with it, [`crate::NUMASTAT_DOMAIN_SIZE`] bytes;
/// C updates only its `pages` and `removals` inline).
#[repr(C)]
#[derive(Debug)]
pub struct NumastatDomain {
    _opaque: [u8; 0],
}

/// A prototype: name, return type, argument types.
#[derive(Clone, Copy, Debug)]
pub struct FnSig {
    pub name: &'static str,
    pub ret: CTy,
    pub args: &'static [CTy],
}

impl FnSig {
    /// The C function type, e.g. `bool (unsigned int, unsigned long)`.
    pub fn c_type(&self, out: &mut impl core::fmt::Write) -> core::fmt::Result {
        self.ret.render(out)?;
        out.write_str(" (")?;
        if self.args.is_empty() {
            out.write_str("void")?;
        }
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                out.write_str(", ")?;
            }
            a.render(out)?;
        }
        out.write_str(")")
    }
}

/// Expands `$cb! { fn name(arg: Type, ...) -> Ret; ... }` with every
/// function the component defines for Xen. `-> ()` is spelled out so one
/// pattern matches every entry.
#[macro_export]
macro_rules! numastat_entry_points {
    ($cb:ident) => {
        $cb! {
            // Free page counters (hypervisor/src/heap.rs); called with
            // heap_lock held for the writers.
            fn numastat_heap_init_node(node: ::core::ffi::c_uint) -> bool;
            fn numastat_heap_node_ready(node: ::core::ffi::c_uint) -> bool;
            fn numastat_heap_avail(
                node: ::core::ffi::c_uint,
                zone: ::core::ffi::c_uint
            ) -> ::core::ffi::c_ulong;
            fn numastat_heap_add(
                node: ::core::ffi::c_uint,
                zone: ::core::ffi::c_uint,
                pages: ::core::ffi::c_ulong
            ) -> bool;
            fn numastat_heap_sub(
                node: ::core::ffi::c_uint,
                zone: ::core::ffi::c_uint,
                pages: ::core::ffi::c_ulong
            ) -> bool;
            fn numastat_heap_avail_range(
                zone_lo: ::core::ffi::c_uint,
                zone_hi: ::core::ffi::c_uint,
                node: ::core::ffi::c_uint
            ) -> ::core::ffi::c_ulong;
            // The sysctls, called by do_sysctl() with no lock held.
            fn numastat_sysctl_availheap(
                op: *mut $crate::XenSysctlNumaAvailheap
            ) -> ::core::ffi::c_long;
            fn numastat_sysctl_getdomnodestat(
                op: *mut $crate::XenSysctlNumaGetdomnodestat
            ) -> ::core::ffi::c_long;
            // Per-domain counters (hypervisor/src/counters.rs, docs/counters.md).
            fn numastat_domain_adjust(
                nd: *mut $crate::ffi::NumastatDomain,
                node: ::core::ffi::c_uint,
                list: ::core::ffi::c_uint,
                pages: ::core::ffi::c_long
            ) -> ::core::ffi::c_int;
            fn numastat_domain_sums(
                nd: *const $crate::ffi::NumastatDomain,
                out: *mut u64
            ) -> bool;
            fn numastat_domain_list_changed(
                nd: *mut $crate::ffi::NumastatDomain
            ) -> ();
        }
    };
}

/// Expands `$cb! { fn name(arg: Type, ...) -> Ret; ... }` with every
/// function Xen defines for the component.
#[macro_export]
macro_rules! numastat_shims {
    ($cb:ident) => {
        $cb! {
            // xen/common/page_alloc.c (patch 0003).
            fn numastat_shim_heap_lock() -> ();
            fn numastat_shim_heap_unlock() -> ();
            fn numastat_shim_node_online(node: ::core::ffi::c_uint) -> bool;
            fn numastat_shim_copy_counts(
                op: *const $crate::XenSysctlNumaAvailheap,
                src: *const u64,
                nr: ::core::ffi::c_ulong
            ) -> ::core::ffi::c_int;
            // xen/common/numastat.c (patch 0006).
            fn numastat_shim_get_domain(
                domid: ::core::ffi::c_uint,
                d: *mut *mut $crate::ffi::Domain
            ) -> ::core::ffi::c_int;
            fn numastat_shim_put_domain(d: *mut $crate::ffi::Domain) -> ();
            fn numastat_shim_domain_lock(d: *mut $crate::ffi::Domain) -> ();
            fn numastat_shim_domain_unlock(d: *mut $crate::ffi::Domain) -> ();
            fn numastat_shim_domain_dying(d: *const $crate::ffi::Domain) -> bool;
            fn numastat_shim_domain_counters(
                d: *mut $crate::ffi::Domain
            ) -> *mut $crate::ffi::NumastatDomain;
            fn numastat_shim_list_first(
                d: *mut $crate::ffi::Domain,
                list: ::core::ffi::c_uint
            ) -> *mut $crate::ffi::PageInfo;
            fn numastat_shim_list_next(
                d: *mut $crate::ffi::Domain,
                list: ::core::ffi::c_uint,
                pg: *mut $crate::ffi::PageInfo
            ) -> *mut $crate::ffi::PageInfo;
            fn numastat_shim_page_node(
                pg: *const $crate::ffi::PageInfo
            ) -> ::core::ffi::c_uint;
            fn numastat_shim_page_mfn(
                pg: *const $crate::ffi::PageInfo
            ) -> ::core::ffi::c_ulong;
            fn numastat_shim_page_on_list(
                d: *mut $crate::ffi::Domain,
                list: ::core::ffi::c_uint,
                mfn: ::core::ffi::c_ulong
            ) -> *mut $crate::ffi::PageInfo;
            fn numastat_shim_domain_pages(
                d: *const $crate::ffi::Domain,
                out: *mut u64
            ) -> ();
            fn numastat_shim_preempt_check() -> bool;
            fn numastat_shim_copy_node_pages(
                op: *const $crate::XenSysctlNumaGetdomnodestat,
                to_guest: bool,
                first: ::core::ffi::c_ulong,
                buf: *mut $crate::XenNumaNodePages,
                nr: ::core::ffi::c_ulong
            ) -> ::core::ffi::c_int;
        }
    };
}

macro_rules! signatures {
    ($(fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty;)*) => {
        &[$(FnSig {
            name: stringify!($name),
            ret: <$ret as CType>::C,
            args: &[$(<$ty as CType>::C),*],
        }),*]
    };
}

/// Every prototype on the boundary, entry points first: what the generated
/// C checks compare `xen/include/xen/numastat.h` against.
pub const SIGNATURES: &[&[FnSig]] = &[
    crate::numastat_entry_points!(signatures),
    crate::numastat_shims!(signatures),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn c(sig: &FnSig) -> String {
        let mut s = String::new();
        sig.c_type(&mut s).unwrap();
        s
    }

    fn find(name: &str) -> FnSig {
        *SIGNATURES
            .iter()
            .flat_map(|l| l.iter())
            .find(|s| s.name == name)
            .unwrap()
    }

    #[test]
    fn renders_c_function_types() {
        assert_eq!(
            c(&find("numastat_heap_add")),
            "bool (unsigned int, unsigned int, unsigned long)"
        );
        assert_eq!(c(&find("numastat_shim_heap_lock")), "void (void)");
        assert_eq!(
            c(&find("numastat_shim_copy_counts")),
            "int (const struct xen_sysctl_numa_availheap *, const unsigned long *, unsigned long)"
        );
        assert_eq!(
            c(&find("numastat_shim_get_domain")),
            "int (unsigned int, struct domain * *)"
        );
        assert_eq!(
            c(&find("numastat_shim_domain_counters")),
            "struct numastat_domain * (struct domain *)"
        );
    }

    #[test]
    fn names_are_unique() {
        let names: Vec<_> = SIGNATURES
            .iter()
            .flat_map(|l| l.iter())
            .map(|s| s.name)
            .collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
    }
}
