// SPDX-License-Identifier: GPL-2.0-only
//! dom0 side of xen-numastat: typed, safe access to the hypercalls the tools
//! need, the way Xen's own libxencall reaches the hypervisor from a Linux
//! dom0: upstream sysctls (`physinfo`, `numainfo`, `debug_keys`,
//! `readconsole`, `getdomaininfolist`), our `numa_availheap`,
//! `numa_heapwalk` and `numa_getdomnodestat`, the domctls that read a
//! domain, and the generic domctl and `memory_op` calls on which the test
//! kit builds domains with known placement (qemu-tests/src/domain_build.rs).
//!
//! Layers, bottom up:
//! - [`privcmd`]: the Linux privcmd driver (`/dev/xen/privcmd`,
//!   `/dev/xen/hypercall`), hypercall buffers and the generic sysctl,
//!   domctl and memory_op calls. With [`term`] (one ioctl) the only module
//!   with `unsafe` code.
//! - [`error`]: [`Error`], every failure typed at the point it happens, with
//!   a sentence saying what to do about it.
//! - `rows`: the rule of node-indexed answers, shared by the two below.
//! - [`heap`]: the availheap counts matrix, parsed and checked (pure code).
//! - [`domain`]: the getdomnodestat answer, parsed and checked (pure code).
//! - [`console`]: what is read out of Xen's console text (the DMA width).
//! - [`xen`]: [`Xen`], one safe method per call.
//! - [`term`]: the terminal's width (one ioctl, the other `unsafe` spot).
#![deny(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod console;
pub mod domain;
pub mod error;
pub mod heap;
// unsafe: mmap/munmap of hypercall buffers, copies in and out of them, the
// hypercall ioctl, and the `SysctlArgs`/`DomctlArgs` promises. Invariant:
// Xen writes only into `HypercallBuf`s, no Rust reference points into one,
// and every guest handle of a call lies in a buffer lent to it (privcmd.rs).
#[allow(unsafe_code)]
pub mod privcmd;
mod rows;
// unsafe: one TIOCGWINSZ ioctl into a live `libc::winsize` (term.rs).
#[allow(unsafe_code)]
pub mod term;
pub mod xen;
pub mod xenstore;

pub use console::DmaWidth;
pub use domain::{DomNodeStat, DomainSel, NodePagesRow, StatSource};
pub use error::{Errno, Error, Op, Result};
pub use heap::{HeapCounts, HeapRow};
pub use privcmd::{ForeignMap, HypercallBuf, Privcmd};
pub use xen::{cpus_by_node, Availheap, ConsoleRead, NumaInfo, Xen};
