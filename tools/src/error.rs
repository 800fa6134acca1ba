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
    XENMEM_DECREASE_RESERVATION, XENMEM_POPULATE_PHYSMAP, XEN_DOMCTL_CREATEDOMAIN,
    XEN_DOMCTL_INTERFACE_VERSION, XEN_SYSCTL_INTERFACE_VERSION, XEN_SYSCTL_NUMA_AVAILHEAP,
    XEN_SYSCTL_NUMA_GETDOMNODESTAT, XEN_SYSCTL_NUMA_HEAPWALK,
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

/// The name Xen's public/sysctl.h gives a sysctl command (each payload's
/// `SysctlPayload::NAME` in abi).
pub fn sysctl_name(cmd: u32) -> &'static str {
    xen_numastat_abi::sysctl_name(cmd).unwrap_or("an unknown sysctl")
}

/// The name Xen's public/domctl.h gives a domctl command (each payload's
/// `DomctlPayload::NAME` in abi).
pub fn domctl_name(cmd: u32) -> &'static str {
    xen_numastat_abi::domctl_name(cmd).unwrap_or("an unknown domctl")
}

/// The name Xen's public/memory.h gives a memory_op command.
pub fn memory_op_name(cmd: u32) -> &'static str {
    match cmd {
        XENMEM_DECREASE_RESERVATION => "XENMEM_decrease_reservation",
        XENMEM_POPULATE_PHYSMAP => "XENMEM_populate_physmap",
        _ => "an unknown memory_op",
    }
}

/// A hypercall and its command: what failed, in Xen's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `__HYPERVISOR_sysctl` with this `XEN_SYSCTL_*` command.
    Sysctl(u32),
    /// `__HYPERVISOR_domctl` with this `XEN_DOMCTL_*` command.
    Domctl(u32),
    /// `__HYPERVISOR_memory_op` with this `XENMEM_*` command.
    MemoryOp(u32),
}

impl Op {
    /// The command's name in Xen's public headers.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sysctl(cmd) => sysctl_name(cmd),
            Self::Domctl(cmd) => domctl_name(cmd),
            Self::MemoryOp(cmd) => memory_op_name(cmd),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
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
    /// Xen refused a sysctl or domctl with `-EACCES` before looking at the
    /// command: `do_sysctl()` and `do_domctl()` do that when
    /// `interface_version` is not their own (xen/common/sysctl.c, domctl.c);
    /// FLASK answers a denied permission with `-EACCES` too.
    InterfaceVersion { op: Op },
    /// Xen refused the call with `-EPERM` (XSM: the caller is not the
    /// control domain).
    NotPrivileged { op: Op },
    /// Linux's privcmd refused the call with `EPERM` before it reached Xen:
    /// in a domU, xen-privcmd passes no hypercall of its own unless loaded
    /// with `unrestricted=1`. Told apart from
    /// [`Error::NotPrivileged`] by `XENVER_version` failing the same way
    /// (`Privcmd::who_refused`).
    PrivcmdRestricted { op: Op },
    /// The hypervisor does not have a numastat op: `-ENOSYS` (stock Xen,
    /// unknown sysctl) or, for heapwalk, `-EOPNOTSUPP` (patched Xen built
    /// without `CONFIG_NUMASTAT_HEAPWALK`, patch 0002's header).
    NumastatMissing { cmd: u32, errno: Errno },
    /// The domain asked about does not exist, or is being destroyed:
    /// `-ESRCH` from a call on one domain.
    NoSuchDomain { op: Op, domid: u32 },
    /// A `memory_op` reservation call did `done` of `wanted` extents. Xen
    /// gives no errno for this (xen/common/memory.c): the node may be out of
    /// free pages, the domain at its `max_pages`, or gone.
    Incomplete { op: Op, done: u64, wanted: u64 },
    /// Any other error the hypervisor returned.
    Xen { op: Op, errno: Errno },
    /// The caller passed an argument the wrapper cannot express on the wire.
    InvalidArgument(String),
    /// The hypervisor's answer contradicts the op's definition.
    Protocol { op: Op, what: String },
    /// A bug in this crate (e.g. a guest handle outside the call's buffers).
    Internal(String),
}

impl Error {
    /// Maps the errno of a failed sysctl `cmd` at once.
    pub fn from_sysctl(cmd: u32, errno: Errno) -> Self {
        let op = Op::Sysctl(cmd);
        match errno.get() {
            libc::EACCES => Self::InterfaceVersion { op },
            libc::EPERM => Self::NotPrivileged { op },
            libc::ENOSYS if is_numastat_op(cmd) => Self::NumastatMissing { cmd, errno },
            libc::EOPNOTSUPP if cmd == XEN_SYSCTL_NUMA_HEAPWALK => {
                Self::NumastatMissing { cmd, errno }
            }
            _ => Self::Xen { op, errno },
        }
    }

    /// Maps the errno of a failed domctl `cmd` on `domid` at once.
    /// `do_domctl()` answers `-ESRCH` when `domid` names no domain
    /// (xen/common/domctl.c); createdomain looks up none.
    pub fn from_domctl(cmd: u32, domid: u32, errno: Errno) -> Self {
        let op = Op::Domctl(cmd);
        match errno.get() {
            libc::EACCES => Self::InterfaceVersion { op },
            libc::EPERM => Self::NotPrivileged { op },
            libc::ESRCH if cmd != XEN_DOMCTL_CREATEDOMAIN => Self::NoSuchDomain { op, domid },
            _ => Self::Xen { op, errno },
        }
    }

    /// Maps the errno of a failed memory_op `cmd` (the reservation calls
    /// report most failures as a short count instead: [`Error::Incomplete`]).
    pub fn from_memory_op(cmd: u32, errno: Errno) -> Self {
        let op = Op::MemoryOp(cmd);
        match errno.get() {
            libc::EPERM => Self::NotPrivileged { op },
            _ => Self::Xen { op, errno },
        }
    }

    /// The errno the hypervisor returned, for errors that come from it.
    pub fn xen_errno(&self) -> Option<Errno> {
        match self {
            Self::InterfaceVersion { .. } => Some(Errno(libc::EACCES)),
            Self::NotPrivileged { .. } => Some(Errno(libc::EPERM)),
            Self::NumastatMissing { errno, .. } => Some(*errno),
            Self::NoSuchDomain { .. } => Some(Errno(libc::ESRCH)),
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
            Self::NotPrivileged { .. } | Self::PrivcmdRestricted { .. } => {
                "run it in dom0 (the control domain)"
            }
            Self::NumastatMissing {
                cmd: XEN_SYSCTL_NUMA_HEAPWALK,
                ..
            } => "boot a Xen built with the numastat patches and CONFIG_NUMASTAT_HEAPWALK=y",
            Self::NumastatMissing { .. } => {
                "boot a Xen 4.17 built with the xen-numastat patch series"
            }
            Self::NoSuchDomain { .. } => "list domains with `xen-numastat -d all`",
            Self::Incomplete { .. } => {
                "check the node's free pages (`xen-numastat -H`), the domain's \
                 max_mem, and the hypervisor log (xl dmesg)"
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
    matches!(
        cmd,
        XEN_SYSCTL_NUMA_AVAILHEAP | XEN_SYSCTL_NUMA_HEAPWALK | XEN_SYSCTL_NUMA_GETDOMNODESTAT
    )
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
            Self::InterfaceVersion { op } => {
                let (kind, version) = match op {
                    Op::Domctl(_) => ("domctl", XEN_DOMCTL_INTERFACE_VERSION),
                    _ => ("sysctl", XEN_SYSCTL_INTERFACE_VERSION),
                };
                write!(
                    f,
                    "the hypervisor refused {op} (EACCES): it does not speak \
                     {kind} interface version {version:#x}, or an XSM (FLASK) \
                     policy denies this domain the call (an 'avc: denied' line \
                     in xl dmesg says which)"
                )
            }
            Self::NotPrivileged { op } => write!(
                f,
                "the hypervisor refused {op} (EPERM): this domain is not privileged \
                 (Xen's XSM check; Linux's privcmd passed the call on)"
            ),
            Self::PrivcmdRestricted { op } => write!(
                f,
                "Linux's privcmd driver refused {op} (EPERM) before it reached Xen: \
                 in a domU it passes no hypercall of its own (only device-model \
                 calls for a target domain)"
            ),
            Self::NumastatMissing { cmd, errno } => write!(
                f,
                "the hypervisor does not have {} ({})",
                sysctl_name(*cmd),
                errno.name().unwrap_or("?")
            ),
            Self::NoSuchDomain { domid, .. } => write!(f, "no domain {domid}"),
            Self::Incomplete { op, done, wanted } => {
                write!(f, "{op} did {done} of {wanted} extents")
            }
            Self::Xen { op, errno } if is_argument_errno(*errno) => write!(
                f,
                "the hypervisor rejected the arguments of {op} with {errno}"
            ),
            Self::Xen { op, errno } => write!(f, "{op} failed in the hypervisor with {errno}"),
            Self::InvalidArgument(what) => write!(f, "invalid argument: {what}"),
            Self::Protocol { op, what } => {
                write!(f, "the hypervisor's answer to {op} is inconsistent: {what}")
            }
            Self::Internal(what) => write!(f, "internal error: {what}"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;
    use xen_numastat_abi::{XEN_DOMCTL_GETDOMAININFO, XEN_SYSCTL_PHYSINFO};

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
                op: Op::Sysctl(XEN_SYSCTL_PHYSINFO),
                errno: Errno::new(libc::ENOSYS)
            }
        );
        assert_eq!(
            Error::from_sysctl(avail, Errno::new(libc::EACCES)),
            Error::InterfaceVersion {
                op: Op::Sysctl(avail)
            }
        );
        assert_eq!(
            Error::from_sysctl(avail, Errno::new(libc::EPERM)),
            Error::NotPrivileged {
                op: Op::Sysctl(avail)
            }
        );
        // getdomnodestat is a numastat op too: stock Xen's ENOSYS.
        assert!(matches!(
            Error::from_sysctl(XEN_SYSCTL_NUMA_GETDOMNODESTAT, enosys),
            Error::NumastatMissing { .. }
        ));
        let e = Error::from_sysctl(avail, Errno::new(libc::EINVAL));
        assert_eq!(e.xen_errno(), Some(Errno::new(22)));
        assert_eq!(
            e.to_string(),
            "the hypervisor rejected the arguments of XEN_SYSCTL_numa_availheap \
             with EINVAL (Invalid argument)"
        );
    }

    #[test]
    fn the_two_eperms_name_their_layer() {
        let op = Op::Sysctl(XEN_SYSCTL_NUMA_AVAILHEAP);
        let xen = Error::NotPrivileged { op }.to_string();
        let linux = Error::PrivcmdRestricted { op }.to_string();
        assert!(xen.starts_with("the hypervisor refused XEN_SYSCTL_numa_availheap (EPERM)"));
        assert!(xen.contains("Xen's XSM check"), "{xen}");
        assert!(linux.starts_with("Linux's privcmd driver refused XEN_SYSCTL_numa_availheap"));
        assert!(linux.contains("before it reached Xen"), "{linux}");
        // Xen's errno is only Xen's: the driver's EPERM is not reported as
        // an answer of the hypervisor.
        assert_eq!(
            Error::NotPrivileged { op }.xen_errno(),
            Some(Errno::new(libc::EPERM))
        );
        assert_eq!(Error::PrivcmdRestricted { op }.xen_errno(), None);
    }

    #[test]
    fn domctl_and_memory_op_errnos() {
        let info = XEN_DOMCTL_GETDOMAININFO;
        let gone = Error::from_domctl(info, 7, Errno::new(libc::ESRCH));
        assert_eq!(
            gone,
            Error::NoSuchDomain {
                op: Op::Domctl(info),
                domid: 7
            }
        );
        assert_eq!(gone.xen_errno(), Some(Errno::new(libc::ESRCH)));
        assert_eq!(gone.to_string(), "no domain 7");
        assert_eq!(gone.hint(), "list domains with `xen-numastat -d all`");
        // createdomain looks up no domain: ESRCH is just an error there.
        assert!(matches!(
            Error::from_domctl(XEN_DOMCTL_CREATEDOMAIN, 0, Errno::new(libc::ESRCH)),
            Error::Xen { .. }
        ));
        let v = Error::from_domctl(info, 0, Errno::new(libc::EACCES));
        assert_eq!(
            v.to_string(),
            "the hypervisor refused XEN_DOMCTL_getdomaininfo (EACCES): it does \
             not speak domctl interface version 0x15, or an XSM (FLASK) policy \
             denies this domain the call (an 'avc: denied' line in xl dmesg says \
             which)"
        );
        let short = Error::Incomplete {
            op: Op::MemoryOp(XENMEM_POPULATE_PHYSMAP),
            done: 3,
            wanted: 4096,
        };
        assert_eq!(
            short.to_string(),
            "XENMEM_populate_physmap did 3 of 4096 extents"
        );
        assert_eq!(short.xen_errno(), None);
        assert_eq!(
            Error::from_memory_op(XENMEM_DECREASE_RESERVATION, Errno::new(libc::EFAULT))
                .to_string(),
            "XENMEM_decrease_reservation failed in the hypervisor with EFAULT (Bad address)"
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
