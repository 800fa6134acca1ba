// SPDX-License-Identifier: GPL-2.0-only
//! The few FLASK operations (`xen/include/public/xsm/flask_op.h`) the XSM
//! test needs: turning a security context into a SID, and relabelling a
//! domain. Checked against C like every other layout (c_checks.rs).

use core::mem::{offset_of, size_of};
use static_assertions::const_assert_eq;
use zerocopy::{FromBytes, Immutable, IntoBytes};

/// `#define __HYPERVISOR_xsm_op 27` (public/xen.h).
pub const HYPERVISOR_XSM_OP: u64 = 27;
/// `#define XEN_FLASK_INTERFACE_VERSION 1`
pub const XEN_FLASK_INTERFACE_VERSION: u32 = 1;
/// `#define FLASK_CONTEXT_TO_SID 4`
pub const FLASK_CONTEXT_TO_SID: u32 = 4;
/// `#define FLASK_RELABEL_DOMAIN 24`
pub const FLASK_RELABEL_DOMAIN: u32 = 24;

/// `struct xen_flask_op`: a command, the interface version and the union
/// of every command's arguments, kept as raw words (the largest member,
/// `xen_flask_access`, is eight `uint32_t`s).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenFlaskOp {
    pub cmd: u32,
    pub interface_version: u32,
    pub u: [u64; 4],
}
const_assert_eq!(size_of::<XenFlaskOp>(), 40);
const_assert_eq!(offset_of!(XenFlaskOp, u), 8);

/// `struct xen_flask_sid_context` (`FLASK_CONTEXT_TO_SID`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenFlaskSidContext {
    /// OUT: the SID of the context.
    pub sid: u32,
    /// IN: bytes of `context` (no NUL needed).
    pub size: u32,
    /// IN: guest address of the context string.
    pub context: u64,
}
const_assert_eq!(size_of::<XenFlaskSidContext>(), 16);

/// `struct xen_flask_relabel` (`FLASK_RELABEL_DOMAIN`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable)]
pub struct XenFlaskRelabel {
    /// IN: the domain, or `DOMID_SELF` (0x7ff0).
    pub domid: u32,
    /// IN: its new SID.
    pub sid: u32,
}
const_assert_eq!(size_of::<XenFlaskRelabel>(), 8);
