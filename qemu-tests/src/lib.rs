//! Boots Xen in QEMU with a NUMA topology described as data, runs commands in
//! a busybox dom0 and hands back what happened, parsed.
//!
//! The pieces, in the order a boot uses them:
//! - [`Topology`] (`topology.rs`): the VM as data (nodes, CPUs, Xen command
//!   line, dom0 commands) and the QEMU command line generated from it;
//! - [`initramfs`]: the dom0 root file system, a newc cpio written in-process,
//!   with an `/init` that frames each command's output (`@@XNS ...` lines);
//! - [`boot()`] (`boot.rs`): spawns QEMU, reads the serial console with a
//!   deadline, always kills QEMU, and returns a [`BootResult`];
//! - [`boot_toolstack`] (`boot/toolstack.rs`): the same for a
//!   [`toolstack::ToolstackHost`], dom0 being Debian with Debian's xl;
//! - [`parse`]: pure parsers for Xen's own numbers (debug keys `u`, `m`, `H`,
//!   the SRAT lines and the DMA width printed at boot).
//!
//! [`ensure_artifacts`] builds what a boot needs (`make artifacts`) once per
//! process unless `XEN_NUMASTAT_SKIP_MAKE=1`.
//!
//! `unsafe` only in [`hostile`], which hands Xen unmapped and read-only
//! addresses on purpose (raw hypercalls and anonymous mappings), and in
//! [`tsc`] (RDTSC, the benchmarks' clock).
#![deny(unsafe_code)]

pub mod artifacts;
pub mod boot;
pub mod churn;
pub mod domain_build;
mod error;
pub mod hammer;
pub mod hostile;
pub mod initramfs;
pub mod parse;
pub mod races;
pub mod stats;
pub mod toolstack;
pub mod topology;
#[cfg(target_arch = "x86_64")]
pub mod tsc;
pub mod unpriv;
pub mod xl;
pub mod xsm;

pub use artifacts::{ensure_artifacts, repo_root, Artifacts, DOM0_BINARIES};
pub use boot::{boot, boot_toolstack, boot_with, BootOptions, BootResult, CommandResult, KeyPress};
pub use error::Error;
pub use topology::{NodeSpec, Topology, XenImage, DEFAULT_DOM0_MEM};
