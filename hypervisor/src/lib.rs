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
//! Rules for code in this crate (checked by clippy and by the linked-image
//! test `make codegen-check`):
//! - no panics: no indexing, no unwrap, no unchecked arithmetic on inputs;
//!   anything from core that is not inlined fails the Xen link, because only
//!   this crate's own code is linked (docs/hypervisor.md);
//! - no indirect calls: generics only, no `dyn`, no function pointers;
//! - every input is validated before a lock is taken; nothing is copied to a
//!   guest while a lock is held;
//! - `unsafe` lives in `xen` and [`nospec`] only.
#![cfg_attr(not(test), no_std)]
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
pub mod domnodestat;
pub mod errno;
pub mod heap;
pub mod nospec;

#[cfg(not(test))]
mod ffi;
#[cfg(not(test))]
mod xen;

/// Never reached: the image links none of core's panic machinery, so no path
/// can get here (docs/hypervisor.md). Spinning is the only thing that is safe
/// without Xen's help.
#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
