// SPDX-License-Identifier: GPL-2.0-only
//! Errors of the dom0 tools. An errno is turned into an [`Error`] where it
//! happens (opening a device, mapping a buffer, the hypercall itself), so the
//! rest of the code and the user see what failed, not a bare number.
//!
//! Each error has two halves: `Display` says what happened, [`Error::hint`]
//! what to do. The tools print them as `<tool>: <what happened>; <hint>`.
#![forbid(unsafe_code)]

use core::fmt;
use xen_numastat_abi::{
    XEN_SYSCTL_DEBUG_KEYS, XEN_SYSCTL_GETDOMAININFOLIST, XEN_SYSCTL_INTERFACE_VERSION,
    XEN_SYSCTL_NUMAINFO, XEN_SYSCTL_NUMA_AVAILHEAP, XEN_SYSCTL_NUMA_HEAPWALK, XEN_SYSCTL_PHYSINFO,
    XEN_SYSCTL_READCONSOLE,
};

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// A positive errno value, from Linux or from Xen (Xen's public
/// `errno.h` uses Linux's numbers on x86).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Errno(i32);

impl Errno {
    /// Wraps a positive errno value.
    pub const fn new(errno: i32) -> Self {
        Self(errno)
    }

    /// The calling thread's `errno`, right after a failed libc call.
    pub fn last() -> Self {
        Self(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }

    /// The positive errno value.
    pub const fn get(self) -> i32 {
        self.0
    }

    /// The symbolic name (`"EINVAL"`) of the errnos the tools can meet.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            libc::EPERM => "EPERM",
            libc::ENOENT => "ENOENT",
            libc::ESRCH => "ESRCH",
            libc::EINTR => "EINTR",
            libc::EIO => "EIO",
            libc::ENXIO => "ENXIO",
            libc::E2BIG => "E2BIG",
            libc::EAGAIN => "EAGAIN",
            libc::ENOMEM => "ENOMEM",
            libc::EACCES => "EACCES",
            libc::EFAULT => "EFAULT",
            libc::EBUSY => "EBUSY",
            libc::EEXIST => "EEXIST",
            libc::ENODEV => "ENODEV",
            libc::EINVAL => "EINVAL",
            libc::ENOTTY => "ENOTTY",
            libc::ENOSPC => "ENOSPC",
            libc::EDOM => "EDOM",
            libc::ERANGE => "ERANGE",
            libc::ENOSYS => "ENOSYS",
            libc::ENOBUFS => "ENOBUFS",
            libc::EOPNOTSUPP => "EOPNOTSUPP",
            _ => return None,
        })
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // std's text is "Invalid argument (os error 22)": keep the words.
        let text = std::io::Error::from_raw_os_error(self.0).to_string();
        let text = text.split(" (os error").next().unwrap_or("");
        match self.name() {
            Some(name) => write!(f, "{name} ({text})"),
            None => write!(f, "errno {} ({text})", self.0),
        }
    }
}

/// The name Xen's public/sysctl.h gives a sysctl command.
pub fn sysctl_name(cmd: u32) -> &'static str {
    match cmd {
        XEN_SYSCTL_READCONSOLE => "XEN_SYSCTL_readconsole",
        XEN_SYSCTL_PHYSINFO => "XEN_SYSCTL_physinfo",
        XEN_SYSCTL_GETDOMAININFOLIST => "XEN_SYSCTL_getdomaininfolist",
        XEN_SYSCTL_DEBUG_KEYS => "XEN_SYSCTL_debug_keys",
        XEN_SYSCTL_NUMAINFO => "XEN_SYSCTL_numainfo",
        XEN_SYSCTL_NUMA_AVAILHEAP => "XEN_SYSCTL_numa_availheap",
        XEN_SYSCTL_NUMA_HEAPWALK => "XEN_SYSCTL_numa_heapwalk",
        _ => "an unknown sysctl",
    }
}

/// Everything that can go wrong between a dom0 process and the hypervisor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// A privcmd device node is missing or has no driver behind it: this is
    /// not a Xen dom0, or the `xen-privcmd` module is not loaded.
    NoDevice { path: &'static str, errno: Errno },
    /// Opening a privcmd device was refused: not root.
    PermissionDenied { path: &'static str, errno: Errno },
    /// Opening a privcmd device failed otherwise.
    Open { path: &'static str, errno: Errno },
    /// mmap of a hypercall buffer from `/dev/xen/hypercall` failed.
    Mmap { len: usize, errno: Errno },
    /// Xen refused the sysctl with `-EACCES` before looking at the command:
    /// `do_sysctl()` does that when `interface_version` is not its own
    /// `XEN_SYSCTL_INTERFACE_VERSION` (xen/common/sysctl.c).
    InterfaceVersion { cmd: u32 },
    /// Xen refused the sysctl with `-EPERM` (XSM: the caller is not the
    /// control domain).
    NotPrivileged { cmd: u32 },
    /// The hypervisor does not have a numastat op: `-ENOSYS` (stock Xen,
    /// unknown sysctl) or, for heapwalk, `-EOPNOTSUPP` (patched Xen built
    /// without `CONFIG_NUMASTAT_HEAPWALK`, patch 0002's header).
    NumastatMissing { cmd: u32, errno: Errno },
    /// Any other error the hypervisor returned.
    Xen { cmd: u32, errno: Errno },
    /// The caller passed an argument the wrapper cannot express on the wire.
    InvalidArgument(String),
    /// The hypervisor's answer contradicts the op's definition.
    Protocol { cmd: u32, what: String },
    /// A bug in this crate (e.g. a guest handle outside the call's buffers).
    Internal(String),
}

impl Error {
    /// Maps the errno of a failed sysctl `cmd` at once.
    pub fn from_sysctl(cmd: u32, errno: Errno) -> Self {
        match errno.get() {
            libc::EACCES => Self::InterfaceVersion { cmd },
            libc::EPERM => Self::NotPrivileged { cmd },
            libc::ENOSYS if is_numastat_op(cmd) => Self::NumastatMissing { cmd, errno },
            libc::EOPNOTSUPP if cmd == XEN_SYSCTL_NUMA_HEAPWALK => {
                Self::NumastatMissing { cmd, errno }
            }
            _ => Self::Xen { cmd, errno },
        }
    }

    /// The errno the hypervisor returned, for errors that come from it.
    pub fn xen_errno(&self) -> Option<Errno> {
        match self {
            Self::InterfaceVersion { .. } => Some(Errno(libc::EACCES)),
            Self::NotPrivileged { .. } => Some(Errno(libc::EPERM)),
            Self::NumastatMissing { errno, .. } => Some(*errno),
            Self::Xen { errno, .. } => Some(*errno),
            _ => None,
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::NoDevice { .. } => "run this in dom0 of a Xen host, after `modprobe xen-privcmd`",
            Self::PermissionDenied { .. } => "run it as root",
            Self::Open { .. } => "check the device node and the kernel log (dmesg)",
            Self::Mmap { .. } => {
                "check dom0's free memory and the kernel log (dmesg); \
                 /dev/xen/hypercall needs Linux 4.18 or later"
            }
            Self::InterfaceVersion { .. } => {
                "this hypervisor is not Xen 4.17; boot the patched Xen 4.17 \
                 these tools were built for"
            }
            Self::NotPrivileged { .. } => "run it in dom0 (the control domain)",
            Self::NumastatMissing {
                cmd: XEN_SYSCTL_NUMA_HEAPWALK,
                ..
            } => "boot a Xen built with the numastat patches and CONFIG_NUMASTAT_HEAPWALK=y",
            Self::NumastatMissing { .. } => {
                "boot a Xen 4.17 built with the xen-numastat patch series"
            }
            Self::Xen { errno, .. } if is_argument_errno(*errno) => {
                "check that the hypervisor and these tools come from the same \
                 xen-numastat version"
            }
            Self::Xen { .. } => "look for the reason in the hypervisor log (xl dmesg)",
            Self::InvalidArgument(_) => "pass a value the hypervisor interface can carry",
            Self::Protocol { .. } => {
                "report this as a bug in the xen-numastat patch series, \
                 with the output of the Xen debug keys `u` and `m`"
            }
            Self::Internal(_) => "report this as a bug in xen-numastat",
        }
    }
}

/// Errnos by which Xen rejects a sysctl's arguments.
pub fn is_argument_errno(errno: Errno) -> bool {
    matches!(
        errno.get(),
        libc::EINVAL
            | libc::ERANGE
            | libc::EDOM
            | libc::E2BIG
            | libc::ENOBUFS
            | libc::ESRCH
            | libc::ENOENT
    )
}

fn is_numastat_op(cmd: u32) -> bool {
    cmd == XEN_SYSCTL_NUMA_AVAILHEAP || cmd == XEN_SYSCTL_NUMA_HEAPWALK
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoDevice { path, errno } => write!(
                f,
                "cannot open {path}, {errno}: not running on Xen, or the \
                 xen-privcmd module is not loaded"
            ),
            Self::PermissionDenied { path, errno } => {
                write!(f, "cannot open {path}, {errno}: permission denied")
            }
            Self::Open { path, errno } => write!(f, "cannot open {path}, {errno}"),
            Self::Mmap { len, errno } => write!(
                f,
                "cannot map a {len}-byte hypercall buffer from /dev/xen/hypercall, {errno}"
            ),
            Self::InterfaceVersion { cmd } => write!(
                f,
                "the hypervisor refused {} (EACCES): it does not speak sysctl \
                 interface version {XEN_SYSCTL_INTERFACE_VERSION:#x}",
                sysctl_name(*cmd)
            ),
            Self::NotPrivileged { cmd } => write!(
                f,
                "the hypervisor refused {} (EPERM): this domain is not privileged",
                sysctl_name(*cmd)
            ),
            Self::NumastatMissing { cmd, errno } => write!(
                f,
                "the hypervisor does not have {} ({})",
                sysctl_name(*cmd),
                errno.name().unwrap_or("?")
            ),
            Self::Xen { cmd, errno } if is_argument_errno(*errno) => write!(
                f,
                "the hypervisor rejected the arguments of {} with {errno}",
                sysctl_name(*cmd)
            ),
            Self::Xen { cmd, errno } => {
                write!(
                    f,
                    "{} failed in the hypervisor with {errno}",
                    sysctl_name(*cmd)
                )
            }
            Self::InvalidArgument(what) => write!(f, "invalid argument: {what}"),
            Self::Protocol { cmd, what } => write!(
                f,
                "the hypervisor's answer to {} is inconsistent: {what}",
                sysctl_name(*cmd)
            ),
            Self::Internal(what) => write!(f, "internal error: {what}"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysctl_errnos_are_mapped_by_meaning() {
        let avail = XEN_SYSCTL_NUMA_AVAILHEAP;
        let enosys = Errno::new(libc::ENOSYS);
        let missing = Error::from_sysctl(avail, enosys);
        assert_eq!(
            missing,
            Error::NumastatMissing {
                cmd: avail,
                errno: enosys
            }
        );
        assert_eq!(missing.xen_errno(), Some(enosys));
        assert_eq!(
            missing.to_string(),
            "the hypervisor does not have XEN_SYSCTL_numa_availheap (ENOSYS)"
        );
        // Heapwalk compiled out answers EOPNOTSUPP; the errno is kept.
        let walk = XEN_SYSCTL_NUMA_HEAPWALK;
        let eopnotsupp = Errno::new(libc::EOPNOTSUPP);
        let off = Error::from_sysctl(walk, eopnotsupp);
        assert_eq!(
            off,
            Error::NumastatMissing {
                cmd: walk,
                errno: eopnotsupp
            }
        );
        assert_eq!(off.xen_errno(), Some(eopnotsupp));
        assert!(off.hint().contains("CONFIG_NUMASTAT_HEAPWALK=y"));
        // For availheap, EOPNOTSUPP is just an error.
        assert!(matches!(
            Error::from_sysctl(avail, eopnotsupp),
            Error::Xen { .. }
        ));
        // ENOSYS from an upstream op is not "numastat missing".
        assert_eq!(
            Error::from_sysctl(XEN_SYSCTL_PHYSINFO, Errno::new(libc::ENOSYS)),
            Error::Xen {
                cmd: XEN_SYSCTL_PHYSINFO,
                errno: Errno::new(libc::ENOSYS)
            }
        );
        assert_eq!(
            Error::from_sysctl(avail, Errno::new(libc::EACCES)),
            Error::InterfaceVersion { cmd: avail }
        );
        assert_eq!(
            Error::from_sysctl(avail, Errno::new(libc::EPERM)),
            Error::NotPrivileged { cmd: avail }
        );
        let e = Error::from_sysctl(avail, Errno::new(libc::EINVAL));
        assert_eq!(e.xen_errno(), Some(Errno::new(22)));
        assert_eq!(
            e.to_string(),
            "the hypervisor rejected the arguments of XEN_SYSCTL_numa_availheap \
             with EINVAL (Invalid argument)"
        );
    }

    #[test]
    fn errno_display_has_name_and_text() {
        assert_eq!(
            Errno::new(libc::ENOENT).to_string(),
            "ENOENT (No such file or directory)"
        );
        assert!(Errno::new(4095).to_string().starts_with("errno 4095 ("));
    }

    #[test]
    fn no_device_message_says_not_on_xen() {
        let e = Error::NoDevice {
            path: "/dev/xen/privcmd",
            errno: Errno::new(libc::ENOENT),
        };
        assert!(e.to_string().contains("not running on Xen"));
        assert!(e.hint().contains("modprobe xen-privcmd"));
        assert_eq!(e.xen_errno(), None);
    }
}
