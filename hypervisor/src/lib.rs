// SPDX-License-Identifier: GPL-2.0-only
//! The numastat component that runs inside Xen 4.17.
//!
//! It keeps the buddy allocator's per-node, per-zone free page counters
//! (formerly `avail[node][zone]` in xen/common/page_alloc.c) and answers
//! `XEN_SYSCTL_numa_availheap` and `XEN_SYSCTL_numa_getdomnodestat`. Xen reaches it through the C entry points in
//! [`ffi`], declared in `xen/include/xen/numastat.h` by the patch series
//! (hypervisor/patches/). How it is compiled and linked, and the code
//! generation contract it honours, are in docs/hypervisor.md.
//!
//! Rules for code in this crate (checked by the compiler, clippy and by
//! the linked-image test `make codegen-check`):
//! - `unsafe` only in `ffi` (the entry points), `xen` (the shims) and
//!   [`nospec`] (inline assembly): `#![deny(unsafe_code)]` here, a narrow
//!   `#![allow(unsafe_code)]` in each of those three;
//! - no panics: no indexing, no unwrap, no unchecked arithmetic on inputs;
//!   anything from core that is not inlined fails the Xen link, because only
//!   this crate's own code is linked (docs/hypervisor.md);
//! - no indirect calls: generics only, no `dyn`, no function pointers;
//! - every input is validated before a lock is taken; nothing is copied to a
//!   guest while a lock is held.
//!
//! Map: `platform` (the traits Xen and the host tests' models implement),
//! `heap` + `availheap` (free pages), `counters` (per-domain pages per
//! node) + `domnodestat` (the op) + `walk` (its verification walk).
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::panic,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

pub mod availheap;
pub mod counters;
pub mod domnodestat;
pub mod errno;
pub mod heap;
pub mod nospec;
pub mod platform;
pub mod walk;

#[cfg(not(test))]
mod ffi;
#[cfg(test)]
mod model;
#[cfg(not(test))]
mod xen;

/// Never reached: the image links none of core's panic machinery, so no path
/// can get here (docs/hypervisor.md). If it ever were, stop Xen loudly:
/// `ud2` is an invalid-opcode trap, which Xen reports as a fatal trap with
/// this CPU's registers and stack, instead of a CPU spinning silently
/// (perhaps holding a lock).
#[cfg(not(test))]
#[panic_handler]
#[allow(unsafe_code)]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: ud2 raises #UD and does not return; nothing is clobbered.
    unsafe { core::arch::asm!("ud2", options(noreturn, nomem, nostack)) }
}
