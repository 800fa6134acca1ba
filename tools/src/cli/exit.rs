// SPDX-License-Identifier: GPL-2.0-only
//! Exit codes of `xen-numastat`: one per kind of failure, so scripts can
//! tell "not on Xen" from "hypervisor without numastat" without parsing
//! messages. The table in `--help` is generated from [`EXIT_CODES`].

use xen_numastat_abi::XEN_SYSCTL_NUMA_GETDOMNODESTAT;
use xen_numastat_tools::error::is_argument_errno;
use xen_numastat_tools::Error;

/// Success.
pub const EXIT_OK: u8 = 0;
/// Internal or other error.
pub const EXIT_INTERNAL: u8 = 1;
/// Usage error: unknown flag, bad or extra argument.
pub const EXIT_USAGE: u8 = 2;
/// Not root, or the hypervisor says this is not the control domain.
pub const EXIT_PERMISSION: u8 = 3;
/// Not running on Xen, or no /dev/xen/privcmd (xen-privcmd not loaded).
pub const EXIT_NOT_XEN: u8 = 4;
/// The hypervisor speaks another sysctl interface version (EACCES: not
/// Xen 4.17), or lacks a numastat op that has no fallback (ENOSYS). -p and
/// -H fall back on a stock Xen 4.17; -d exits with [`EXIT_NEEDS_PATCHED`].
pub const EXIT_NO_NUMASTAT: u8 = 5;
/// The hypervisor rejected an argument (EINVAL and the like).
pub const EXIT_REJECTED: u8 = 6;
/// A domain named with `-d` does not exist (ESRCH).
pub const EXIT_NO_DOMAIN: u8 = 7;
/// `-d` (per-domain placement) on a Xen without
/// `XEN_SYSCTL_numa_getdomnodestat`: a stock Xen. The other views asked for
/// are printed first (they fall back to upstream sysctls).
pub const EXIT_NEEDS_PATCHED: u8 = 8;
/// `--verify`: a domain's counters and walk differ (docs/counters.md says
/// when that is legitimate: pages in flight, the PoD cache).
pub const EXIT_MISMATCH: u8 = 9;

/// Every exit code with the line `--help` shows for it (after `  N  `,
/// so each fits 80 columns).
pub const EXIT_CODES: &[(u8, &str)] = &[
    (EXIT_OK, "success"),
    (EXIT_INTERNAL, "internal or other error"),
    (
        EXIT_USAGE,
        "usage error: unknown flag, bad or extra argument",
    ),
    (
        EXIT_PERMISSION,
        "permission denied: not root, or not the control domain",
    ),
    (
        EXIT_NOT_XEN,
        "not running on Xen, or /dev/xen/privcmd missing (xen-privcmd not loaded)",
    ),
    (
        EXIT_NO_NUMASTAT,
        "not Xen 4.17 (EACCES), or a numastat op without a fallback is missing",
    ),
    (
        EXIT_REJECTED,
        "the hypervisor rejected an argument (EINVAL and the like)",
    ),
    (
        EXIT_NO_DOMAIN,
        "no such domain (-d DOMID): list domains with `xen-numastat -d all`",
    ),
    (
        EXIT_NEEDS_PATCHED,
        "-d needs the patched hypervisor; the other views were printed",
    ),
    (
        EXIT_MISMATCH,
        "--verify: a domain's counters and walk differ (printed)",
    ),
];

/// The exit code for a failure of the library.
pub fn exit_code(err: &Error) -> u8 {
    match err {
        Error::NoDevice { .. } => EXIT_NOT_XEN,
        Error::PermissionDenied { .. }
        | Error::NotPrivileged { .. }
        | Error::PrivcmdRestricted { .. } => EXIT_PERMISSION,
        Error::NumastatMissing {
            cmd: XEN_SYSCTL_NUMA_GETDOMNODESTAT,
            ..
        } => EXIT_NEEDS_PATCHED,
        Error::NumastatMissing { .. } | Error::InterfaceVersion { .. } => EXIT_NO_NUMASTAT,
        Error::NoSuchDomain { .. } => EXIT_NO_DOMAIN,
        Error::Xen { errno, .. } if is_argument_errno(*errno) => EXIT_REJECTED,
        Error::InvalidArgument(_) => EXIT_REJECTED,
        Error::Open { .. }
        | Error::Mmap { .. }
        | Error::Xen { .. }
        | Error::Incomplete { .. }
        | Error::Protocol { .. }
        | Error::Internal(_) => EXIT_INTERNAL,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xen_numastat_abi::{
        XENMEM_POPULATE_PHYSMAP, XEN_SYSCTL_NUMA_AVAILHEAP, XEN_SYSCTL_NUMA_HEAPWALK,
        XEN_SYSCTL_PHYSINFO,
    };
    use xen_numastat_tools::{Errno, Op};

    #[test]
    fn each_failure_kind_has_its_code() {
        let avail = XEN_SYSCTL_NUMA_AVAILHEAP;
        let xen = |e| Error::from_sysctl(avail, Errno::new(e));
        let cases = [
            (
                Error::NoDevice {
                    path: "/dev/xen/privcmd",
                    errno: Errno::new(libc::ENOENT),
                },
                EXIT_NOT_XEN,
            ),
            (
                Error::PermissionDenied {
                    path: "/dev/xen/privcmd",
                    errno: Errno::new(libc::EACCES),
                },
                EXIT_PERMISSION,
            ),
            (xen(libc::EPERM), EXIT_PERMISSION),
            (
                Error::PrivcmdRestricted {
                    op: Op::Sysctl(avail),
                },
                EXIT_PERMISSION,
            ),
            (xen(libc::ENOSYS), EXIT_NO_NUMASTAT),
            (xen(libc::EACCES), EXIT_NO_NUMASTAT),
            (xen(libc::EINVAL), EXIT_REJECTED),
            (xen(libc::ENOBUFS), EXIT_REJECTED),
            (xen(libc::EFAULT), EXIT_INTERNAL),
            (
                Error::from_sysctl(XEN_SYSCTL_NUMA_HEAPWALK, Errno::new(libc::EOPNOTSUPP)),
                EXIT_NO_NUMASTAT,
            ),
            (
                Error::from_sysctl(XEN_SYSCTL_PHYSINFO, Errno::new(libc::ENOSYS)),
                EXIT_INTERNAL,
            ),
            // Stock Xen and -d: per-domain placement needs the patch.
            (
                Error::from_sysctl(XEN_SYSCTL_NUMA_GETDOMNODESTAT, Errno::new(libc::ENOSYS)),
                EXIT_NEEDS_PATCHED,
            ),
            (
                Error::NoSuchDomain {
                    op: Op::Sysctl(XEN_SYSCTL_NUMA_GETDOMNODESTAT),
                    domid: 9,
                },
                EXIT_NO_DOMAIN,
            ),
            (
                Error::Incomplete {
                    op: Op::MemoryOp(XENMEM_POPULATE_PHYSMAP),
                    done: 1,
                    wanted: 2,
                },
                EXIT_INTERNAL,
            ),
        ];
        for (err, code) in cases {
            assert_eq!(exit_code(&err), code, "{err:?}");
        }
    }

    #[test]
    fn exit_code_table_is_complete_and_distinct() {
        let codes: Vec<u8> = EXIT_CODES.iter().map(|&(c, _)| c).collect();
        assert_eq!(codes, (0..=9).collect::<Vec<u8>>());
    }
}
