// SPDX-License-Identifier: GPL-2.0-only
//! A Xen errno at the C boundary, after Rust-for-Linux's `kernel::error`.

use xen_numastat_abi::errno;

/// A positive Xen errno value (`XEN_ERRNO(...)`); C sees it negated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(i32);

impl Errno {
    pub const EINVAL: Errno = Errno(errno::EINVAL);
    pub const EFAULT: Errno = Errno(errno::EFAULT);
    pub const ENOBUFS: Errno = Errno(errno::ENOBUFS);
    pub const EBUSY: Errno = Errno(errno::EBUSY);
    pub const ESRCH: Errno = Errno(errno::ESRCH);
    pub const EPERM: Errno = Errno(errno::EPERM);
    pub const EOPNOTSUPP: Errno = Errno(errno::EOPNOTSUPP);
    /// Not an error: do_sysctl() turns it into a hypercall continuation.
    pub const ERESTART: Errno = Errno(errno::ERESTART);

    /// The error of a shim's negative return value (`-EPERM` from XSM,
    /// ...). Anything else is not an errno: never returned, but mapped to
    /// `EFAULT` rather than trusted.
    pub const fn from_ret(rc: i32) -> Errno {
        match rc {
            r if r < 0 && r > -4096 => Errno(r.wrapping_neg()),
            _ => Errno::EFAULT,
        }
    }

    /// The value a hypercall handler returns: `-errno`.
    pub const fn to_ret(self) -> i64 {
        (self.0 as i64).wrapping_neg()
    }
}

/// Turns a handler's result into the `long` Xen's sysctl code expects.
pub fn to_ret(res: Result<(), Errno>) -> i64 {
    match res {
        Ok(()) => 0,
        Err(e) => e.to_ret(),
    }
}
