// SPDX-License-Identifier: GPL-2.0-only
//! dom0 side of xen-numastat: typed, safe access to the sysctls the tools
//! need (upstream `physinfo`, `numainfo`, `debug_keys`, `readconsole` and our
//! `numa_availheap`, `numa_heapwalk`), the way Xen's own libxencall reaches
//! the hypervisor from a Linux dom0.
//!
//! Layers, bottom up:
//! - [`privcmd`]: the Linux privcmd driver (`/dev/xen/privcmd`,
//!   `/dev/xen/hypercall`), hypercall buffers and the one generic sysctl
//!   call. It is the only module with `unsafe` code.
//! - [`error`]: [`Error`], every failure typed at the point it happens, with
//!   a sentence saying what to do about it.
//! - [`heap`]: the availheap counts matrix, parsed and checked (pure code).
//! - [`xen`]: [`Xen`], one safe method per sysctl.
#![deny(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod error;
pub mod heap;
#[allow(unsafe_code)]
pub mod privcmd;
pub mod xen;

pub use error::{Errno, Error, Result};
pub use heap::{HeapCounts, HeapRow};
pub use privcmd::{HypercallBuf, Privcmd};
pub use xen::{Availheap, ConsoleRead, NumaInfo, Xen};
