// SPDX-License-Identifier: GPL-2.0-only
//! Wire types and constants shared by the numastat component inside Xen
//! (`hypervisor`) and the dom0 tools (`tools`).
//!
//! Every item here mirrors a C definition in Xen's public headers, either
//! upstream Xen 4.17 (`xen/include/public/*.h`) or the lines our patch series
//! adds to them. [`c_checks`] lists every number and layout fact that C and
//! Rust share; the root `build.rs` turns that list into C `_Static_assert`s
//! that the Xen build compiles, so any drift fails the Xen build
//! (docs/abi.md).
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

pub mod c_checks;
pub mod domctl;
pub mod ffi;
pub mod flask;
pub mod numastat;
pub mod xen;

pub use domctl::*;
pub use numastat::*;
pub use xen::*;
