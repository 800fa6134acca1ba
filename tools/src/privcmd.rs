// SPDX-License-Identifier: GPL-2.0-only
//! The Linux privcmd driver, the way Xen's libxencall uses it
//! (tools/libs/call/linux.c in Xen 4.17): hypercalls are issued with
//! `IOCTL_PRIVCMD_HYPERCALL` on `/dev/xen/privcmd`, and every byte Xen reads
//! or writes for a call lives in a buffer mmap'd from `/dev/xen/hypercall`
//! (Linux drivers/xen/privcmd-buf.c: pages that stay present and are not
//! shared with a child after fork, so Xen's `copy_{to,from}_guest` finds
//! them). A guest handle is the virtual address of such a buffer.
//!
//! Apart from `term` (one TIOCGWINSZ ioctl), this is the only module of the
//! crate with `unsafe` code. Its invariant:
//! Xen writes only into [`HypercallBuf`]s, and no Rust reference ever points
//! into a [`HypercallBuf`] (its bytes are only copied in and out through raw
//! pointers), so a write by Xen cannot break Rust's aliasing rules.
//! [`Privcmd::sysctl`] upholds it by checking every guest handle of the
//! payload ([`SysctlArgs`]) against the buffers lent to the call.

use crate::error::{Errno, Error, Result};
use core::mem::{offset_of, size_of};
use core::ptr::{self, NonNull};
use std::fs::OpenOptions;
use std::os::fd::{AsRawFd, OwnedFd};
use xen_numastat_abi::{
    DomId, DomctlPayload, SysctlPayload, XenDomctl, XenDomctlCreatedomain, XenDomctlDestroydomain,
    XenDomctlGetdomaininfo, XenDomctlMaxMem, XenDomctlNodeaffinity, XenMemoryReservation,
    XenNumaNodePages, XenSysctl, XenSysctlAvailheap, XenSysctlCputopo, XenSysctlCputopoinfo,
    XenSysctlDebugKeys, XenSysctlGetdomaininfolist, XenSysctlMeminfo, XenSysctlNumaAvailheap,
    XenSysctlNumaGetdomnodestat, XenSysctlNumaHeapwalk, XenSysctlNumainfo, XenSysctlPhysinfo,
    XenSysctlReadconsole, HYPERVISOR_DOMCTL, HYPERVISOR_MEMORY_OP, HYPERVISOR_SYSCTL,
    HYPERVISOR_XEN_VERSION, PAGE_SIZE, XENVER_VERSION, XEN_DOMCTL_INTERFACE_VERSION,
    XEN_DOMCTL_PAYLOAD_SIZE, XEN_SYSCTL_INTERFACE_VERSION, XEN_SYSCTL_PAYLOAD_SIZE,
};
use zerocopy::{FromBytes, Immutable, IntoBytes};

/// The privcmd device: hypercalls.
pub const PRIVCMD_PATH: &str = "/dev/xen/privcmd";
/// The hypercall buffer device (Linux 4.18 and later).
pub const HYPERCALL_PATH: &str = "/dev/xen/hypercall";

/// `struct privcmd_hypercall` (Linux include/uapi/xen/privcmd.h):
/// `{ __u64 op; __u64 arg[5]; }`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct PrivcmdHypercall {
    op: u64,
    arg: [u64; 5],
}
const _: () = assert!(size_of::<PrivcmdHypercall>() == 48);

/// ```c
/// #define IOCTL_PRIVCMD_HYPERCALL \
///     _IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))
/// ```
/// (Linux include/uapi/xen/privcmd.h). Returns the hypercall's return value;
/// a negative Xen errno comes back as -1 with `errno` set.
pub const IOCTL_PRIVCMD_HYPERCALL: libc::Ioctl = 0x0030_5000;

/// A range of guest memory Xen may access for a call: `len` bytes at the
/// guest handle `addr` (0: a NULL handle, not accessed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GuestRange {
    pub addr: u64,
    pub len: u64,
}

impl GuestRange {
    const NONE: Self = Self { addr: 0, len: 0 };

    fn new(addr: u64, len: u64) -> Self {
        Self { addr, len }
    }
}

/// A sysctl payload whose guest handles [`Privcmd::sysctl`] can check.
///
/// # Safety
///
/// [`SysctlArgs::guest_ranges`] must name every guest memory range that Xen
/// reads or writes for this payload, as the op is defined in
/// public/sysctl.h, at least as large as Xen's access. Soundness of
/// [`Privcmd::sysctl`] rests on it.
pub unsafe trait SysctlArgs: SysctlPayload {
    /// The ranges behind the payload's guest handles (unused slots: NULL).
    fn guest_ranges(&self) -> [GuestRange; 2];
}

// SAFETY: physinfo has no guest handle.
unsafe impl SysctlArgs for XenSysctlPhysinfo {
    fn guest_ranges(&self) -> [GuestRange; 2] {
        [GuestRange::NONE; 2]
    }
}

// SAFETY: upstream availheap has no guest handle.
unsafe impl SysctlArgs for XenSysctlAvailheap {
    fn guest_ranges(&self) -> [GuestRange; 2] {
        [GuestRange::NONE; 2]
    }
}

// SAFETY: sysctl.c writes at most `num_cpus` (IN) entries at `cputopo`
// (`copy_to_guest_offset(ti->cputopo, i, ...)` for `i < min(present,
// num_cpus)`).
unsafe impl SysctlArgs for XenSysctlCputopoinfo {
    fn guest_ranges(&self) -> [GuestRange; 2] {
        let len = u64::from(self.num_cpus) * size_of::<XenSysctlCputopo>() as u64;
        [GuestRange::new(self.cputopo, len), GuestRange::NONE]
    }
}

// SAFETY: heapwalk has no guest handle.
unsafe impl SysctlArgs for XenSysctlNumaHeapwalk {
    fn guest_ranges(&self) -> [GuestRange; 2] {
        [GuestRange::NONE; 2]
    }
}

// SAFETY: sysctl.c writes at most `num_nodes` (IN) meminfo entries and
// `n * n <= num_nodes * num_nodes` distances, n = min(online, num_nodes).
unsafe impl SysctlArgs for XenSysctlNumainfo {
    fn guest_ranges(&self) -> [GuestRange; 2] {
        let n = u64::from(self.num_nodes);
        let meminfo = n.saturating_mul(size_of::<XenSysctlMeminfo>() as u64);
        let distance = n.saturating_mul(n).saturating_mul(4);
        [
            GuestRange::new(self.meminfo, meminfo),
            GuestRange::new(self.distance, distance),
        ]
    }
}

// SAFETY: sysctl.c reads `nr_keys` bytes at `keys`.
unsafe impl SysctlArgs for XenSysctlDebugKeys {
    fn guest_ranges(&self) -> [GuestRange; 2] {
        [
            GuestRange::new(self.keys, u64::from(self.nr_keys)),
            GuestRange::NONE,
        ]
    }
}

// SAFETY: read_console_ring() (drivers/char/console.c) writes at most
// `count` bytes at `buffer`.
unsafe impl SysctlArgs for XenSysctlReadconsole {
    fn guest_ranges(&self) -> [GuestRange; 2] {
        [
            GuestRange::new(self.buffer, u64::from(self.count)),
            GuestRange::NONE,
        ]
    }
}

// SAFETY: availheap writes at most `nr_counts` (IN) u64 entries at `counts`
// and fails with -ENOBUFS when they do not fit (abi/src/numastat.rs).
unsafe impl SysctlArgs for XenSysctlNumaAvailheap {
    fn guest_ranges(&self) -> [GuestRange; 2] {
        [
            GuestRange::new(self.counts, u64::from(self.nr_counts) * 8),
            GuestRange::NONE,
        ]
    }
}

// SAFETY: getdomnodestat writes at most `nr_nodes` (IN) entries at `nodes`
// and fails with -ENOBUFS when they do not fit (abi/src/numastat.rs).
unsafe impl SysctlArgs for XenSysctlNumaGetdomnodestat {
    fn guest_ranges(&self) -> [GuestRange; 2] {
        let len = u64::from(self.nr_nodes) * size_of::<XenNumaNodePages>() as u64;
        [GuestRange::new(self.nodes, len), GuestRange::NONE]
    }
}

// SAFETY: sysctl.c writes at most `max_domains` entries at `buffer`.
unsafe impl SysctlArgs for XenSysctlGetdomaininfolist {
    fn guest_ranges(&self) -> [GuestRange; 2] {
        let len = u64::from(self.max_domains) * size_of::<XenDomctlGetdomaininfo>() as u64;
        [GuestRange::new(self.buffer, len), GuestRange::NONE]
    }
}

/// A domctl payload whose guest handles [`Privcmd::domctl`] can check.
///
/// # Safety
///
/// As for [`SysctlArgs`]: [`DomctlArgs::guest_ranges`] must name every
/// guest memory range Xen reads or writes for this payload
/// (public/domctl.h), at least as large as Xen's access.
pub unsafe trait DomctlArgs: DomctlPayload {
    /// The ranges behind the payload's guest handles (unused slots: NULL).
    fn guest_ranges(&self) -> [GuestRange; 2] {
        [GuestRange::NONE; 2]
    }
}

// SAFETY: createdomain, getdomaininfo, max_mem and destroydomain have no
// guest handle.
unsafe impl DomctlArgs for XenDomctlCreatedomain {}
// SAFETY: as above.
unsafe impl DomctlArgs for XenDomctlGetdomaininfo {}
// SAFETY: as above.
unsafe impl DomctlArgs for XenDomctlMaxMem {}
// SAFETY: as above.
unsafe impl DomctlArgs for XenDomctlDestroydomain {}

// SAFETY: bitmap_to_xenctl_bitmap() (xen/common/bitmap.c) writes
// `(nr_bits + 7) / 8` bytes at `bitmap`.
unsafe impl DomctlArgs for XenDomctlNodeaffinity {
    fn guest_ranges(&self) -> [GuestRange; 2] {
        let len = u64::from(self.nodemap.nr_bits).div_ceil(8);
        [GuestRange::new(self.nodemap.bitmap, len), GuestRange::NONE]
    }
}

/// Page-aligned memory mmap'd from `/dev/xen/hypercall`, unmapped on drop.
/// Its bytes are only copied in and out ([`HypercallBuf::write`],
/// [`HypercallBuf::read`]): Xen may write them during a call.
#[derive(Debug)]
pub struct HypercallBuf {
    ptr: NonNull<u8>,
    len: usize,
}

impl HypercallBuf {
    /// Size in bytes (whole pages).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Never true: a buffer has at least one page.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The guest handle of the buffer's first byte (its virtual address).
    pub fn handle(&self) -> u64 {
        self.ptr.as_ptr() as u64
    }

    fn check(&self, offset: usize, bytes: usize) -> Result<()> {
        match offset.checked_add(bytes) {
            Some(end) if end <= self.len => Ok(()),
            _ => Err(Error::Internal(format!(
                "{bytes} bytes at offset {offset} overflow a {}-byte hypercall buffer",
                self.len
            ))),
        }
    }

    fn covers(&self, range: GuestRange) -> bool {
        let start = self.handle();
        let end = start.saturating_add(self.len as u64);
        range.addr >= start && range.addr.checked_add(range.len).is_some_and(|e| e <= end)
    }

    /// Copies `values` into the buffer at byte `offset`.
    pub fn write<T: IntoBytes + Immutable>(&mut self, offset: usize, values: &[T]) -> Result<()> {
        let src = values.as_bytes();
        self.check(offset, src.len())?;
        // SAFETY: `offset + src.len() <= self.len` (checked), so the
        // destination is inside the live mapping; `src` is initialised
        // bytes (IntoBytes: no padding); Rust memory and the mapping are
        // disjoint.
        unsafe {
            ptr::copy_nonoverlapping(src.as_ptr(), self.ptr.as_ptr().add(offset), src.len());
        }
        Ok(())
    }

    /// Copies `count` values of type `T` out of the buffer at byte `offset`.
    pub fn read<T: FromBytes + IntoBytes + Copy>(
        &self,
        offset: usize,
        count: usize,
    ) -> Result<Vec<T>> {
        count
            .checked_mul(size_of::<T>())
            .ok_or_else(|| Error::Internal(format!("reading {count} values overflows")))
            .and_then(|bytes| self.check(offset, bytes))?;
        let mut values = vec![T::new_zeroed(); count];
        let dst = values.as_mut_bytes();
        // SAFETY: the source, `dst.len()` = `count * size_of::<T>()` bytes
        // at `offset`, is inside the live mapping (checked); `dst` is a
        // distinct Rust allocation of that size, and any bytes written
        // into it form valid values (FromBytes).
        unsafe {
            ptr::copy_nonoverlapping(self.ptr.as_ptr().add(offset), dst.as_mut_ptr(), dst.len());
        }
        Ok(values)
    }

    /// Copies one value of type `T` out of the buffer at byte `offset`.
    pub fn read_one<T: FromBytes + IntoBytes + Copy>(&self, offset: usize) -> Result<T> {
        self.read::<T>(offset, 1)?
            .pop()
            .ok_or_else(|| Error::Internal("read of one value returned none".into()))
    }
}

impl Drop for HypercallBuf {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly one mapping made by
        // Privcmd::alloc and not unmapped before; no reference into it
        // exists (the bytes are only ever copied). munmap cannot fail for
        // such a range, and there is nothing to do if it did.
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.len);
        }
    }
}

/// `struct privcmd_mmapbatch_v2` (Linux include/uapi/xen/privcmd.h):
/// `{ unsigned int num; domid_t dom; __u64 addr; const xen_pfn_t *arr;
/// int *err; }`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct PrivcmdMmapbatchV2 {
    num: u32,
    dom: u16,
    _pad: u16,
    addr: u64,
    arr: u64,
    err: u64,
}
const _: () = assert!(size_of::<PrivcmdMmapbatchV2>() == 32);

/// ```c
/// #define IOCTL_PRIVCMD_MMAPBATCH_V2 \
///     _IOC(_IOC_NONE, 'P', 4, sizeof(privcmd_mmapbatch_v2_t))
/// ```
/// (Linux include/uapi/xen/privcmd.h).
pub const IOCTL_PRIVCMD_MMAPBATCH_V2: libc::Ioctl = 0x0020_5004;

/// Another domain's pages mapped into this process (privcmd's foreign
/// mapping): while it lives, each page holds a reference Xen must wait
/// for, so a domain destroyed meanwhile cannot free them. Unmapped on drop.
#[derive(Debug)]
pub struct ForeignMap {
    ptr: NonNull<u8>,
    len: usize,
}

impl Drop for ForeignMap {
    fn drop(&mut self) {
        // SAFETY: our mapping of `len` bytes; nothing borrows it (it is
        // never read or written through Rust).
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// The open privcmd devices of this process.
#[derive(Debug)]
pub struct Privcmd {
    privcmd: OwnedFd,
    hypercall: OwnedFd,
    /// The sysctl envelope's buffer, kept between calls: a mapping of
    /// `/dev/xen/hypercall` and its unmapping cost more than a counters
    /// answer of getdomnodestat itself (docs/testing.md, benchmark).
    envelope: std::cell::RefCell<Option<HypercallBuf>>,
}

/// Opens `path` read-write. std opens with `O_CLOEXEC`, as libxencall
/// does, so a child the tools start does not inherit the devices.
fn open_device(path: &'static str) -> Result<OwnedFd> {
    match OpenOptions::new().read(true).write(true).open(path) {
        Ok(file) => Ok(OwnedFd::from(file)),
        Err(e) => {
            let errno = Errno::new(e.raw_os_error().unwrap_or(0));
            Err(match errno.get() {
                libc::ENOENT | libc::ENODEV | libc::ENXIO => Error::NoDevice { path, errno },
                libc::EACCES | libc::EPERM => Error::PermissionDenied { path, errno },
                _ => Error::Open { path, errno },
            })
        }
    }
}

impl Privcmd {
    /// Opens `/dev/xen/privcmd` and `/dev/xen/hypercall` (`O_RDWR |
    /// O_CLOEXEC`, as libxencall does).
    pub fn open() -> Result<Self> {
        let privcmd = open_device(PRIVCMD_PATH)?;
        let hypercall = open_device(HYPERCALL_PATH)?;
        Ok(Self {
            privcmd,
            hypercall,
            envelope: std::cell::RefCell::new(None),
        })
    }

    /// Maps the frames `gfns` of domain `dom` (for a PV domain, MFNs) into
    /// this process with `IOCTL_PRIVCMD_MMAPBATCH_V2`, as libxenforeignmemory
    /// does; every frame must map.
    pub fn map_foreign(&self, dom: u16, gfns: &[u64]) -> Result<ForeignMap> {
        let op = "IOCTL_PRIVCMD_MMAPBATCH_V2";
        let len = gfns.len().max(1) * PAGE_SIZE;
        // SAFETY: a fresh shared mapping of the privcmd device chosen by the
        // kernel; it overlaps no Rust memory and is only given to Xen.
        let p = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_SHARED,
                self.privcmd.as_raw_fd(),
                0,
            )
        };
        let Some(ptr) = NonNull::new(p.cast::<u8>()).filter(|_| p != libc::MAP_FAILED) else {
            return Err(Error::Internal(format!("mmap for {op}: {}", Errno::last())));
        };
        let map = ForeignMap { ptr, len };
        let mut errs = vec![0i32; gfns.len()];
        let mut batch = PrivcmdMmapbatchV2 {
            num: gfns.len() as u32,
            dom,
            addr: ptr.as_ptr() as u64,
            arr: gfns.as_ptr() as u64,
            err: errs.as_mut_ptr() as u64,
            ..Default::default()
        };
        // SAFETY: the driver reads `batch` and `gfns` and writes `errs`
        // (num entries each), all alive for the call; it fills our fresh
        // mapping, which no Rust reference points into.
        let rc = unsafe {
            libc::ioctl(
                self.privcmd.as_raw_fd(),
                IOCTL_PRIVCMD_MMAPBATCH_V2,
                &mut batch as *mut PrivcmdMmapbatchV2,
            )
        };
        if rc < 0 || errs.iter().any(|&e| e != 0) {
            return Err(Error::Internal(format!(
                "{op} of {} frames of domain {dom}: rc {rc} ({}), first frame error {:?}",
                gfns.len(),
                Errno::last(),
                errs.iter().find(|&&e| e != 0)
            )));
        }
        Ok(map)
    }

    /// Maps a zeroed hypercall buffer of at least `len` bytes (whole pages,
    /// one at least): `mmap(NULL, n * 4096, PROT_READ | PROT_WRITE,
    /// MAP_SHARED, hypercall_fd, 0)` as in libxencall.
    pub fn alloc(&self, len: usize) -> Result<HypercallBuf> {
        let pages = len.div_ceil(PAGE_SIZE).max(1);
        let len = pages
            .checked_mul(PAGE_SIZE)
            .ok_or_else(|| Error::InvalidArgument(format!("a {pages}-page buffer")))?;
        // SAFETY: a fresh shared mapping of the hypercall device chosen by
        // the kernel (addr NULL); it overlaps no Rust memory.
        let ptr = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                self.hypercall.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(Error::Mmap {
                len,
                errno: Errno::last(),
            });
        }
        let ptr = NonNull::new(ptr.cast::<u8>()).ok_or(Error::Mmap {
            len,
            errno: Errno::new(libc::EFAULT),
        })?;
        Ok(HypercallBuf { ptr, len })
    }

    /// Issues hypercall `op` with `arg`; returns its non-negative result or
    /// the errno (Xen's, or the driver's).
    ///
    /// # Safety
    ///
    /// Every address Xen reads or writes for this call must lie in a live
    /// [`HypercallBuf`] that is not otherwise accessed during the call.
    unsafe fn hypercall(&self, op: u64, arg: [u64; 5]) -> core::result::Result<i64, Errno> {
        let mut call = PrivcmdHypercall { op, arg };
        // SAFETY: the driver reads the 48 bytes of `call`, which lives for
        // the whole ioctl; the memory Xen touches is the caller's promise.
        let rc = unsafe {
            libc::ioctl(
                self.privcmd.as_raw_fd(),
                IOCTL_PRIVCMD_HYPERCALL,
                &mut call as *mut PrivcmdHypercall,
            )
        };
        if rc < 0 {
            Err(Errno::last())
        } else {
            Ok(i64::from(rc))
        }
    }

    /// `__HYPERVISOR_xen_version(XENVER_version, NULL)`: Xen's `(major,
    /// minor)`. Xen answers it for every domain, so it tells who refused a
    /// call with `EPERM` ([`Privcmd::who_refused`]).
    pub fn xen_version(&self) -> core::result::Result<(u32, u32), Errno> {
        // SAFETY: XENVER_version has no argument buffer (the NULL handle
        // is not read): Xen touches no memory of this process.
        let v = unsafe { self.hypercall(HYPERVISOR_XEN_VERSION, [XENVER_VERSION, 0, 0, 0, 0]) }?;
        Ok(((v >> 16) as u32 & 0xffff, v as u32 & 0xffff))
    }

    /// An `EPERM` has two possible authors (docs/cli.md, "Who refused"):
    /// Xen's XSM check (this domain is not privileged), or, in a domU,
    /// Linux's privcmd itself, which then passes no hypercall to Xen at all
    /// unless loaded with `unrestricted=1`. `XENVER_version` tells them
    /// apart: Xen answers it for any domain, so if it fails with `EPERM`
    /// too, the driver refused. Other errors are returned unchanged.
    pub fn who_refused(&self, err: Error) -> Error {
        match err {
            Error::NotPrivileged { op } if self.xen_version() == Err(Errno::new(libc::EPERM)) => {
                Error::PrivcmdRestricted { op }
            }
            e => e,
        }
    }

    /// `__HYPERVISOR_sysctl` with `sysctl` as the guest address of its
    /// `struct xen_sysctl`, unchecked: the test kit's hostile-caller cases
    /// (unmapped, read-only or page-straddling handles) go through here,
    /// bypassing [`Privcmd::sysctl`]'s checks on purpose. Returns Xen's
    /// return value or its errno.
    ///
    /// # Safety
    ///
    /// Xen may write the 136 bytes at `sysctl` and wherever the payload's
    /// guest handles point, within this process: no Rust reference may
    /// point into any of those bytes during the call (use hypercall
    /// buffers or memory only reached through raw pointers).
    pub unsafe fn raw_sysctl(&self, sysctl: u64) -> core::result::Result<i64, Errno> {
        // SAFETY: forwarded to the caller (this function's contract).
        unsafe { self.hypercall(HYPERVISOR_SYSCTL, [sysctl, 0, 0, 0, 0]) }
    }

    /// `__HYPERVISOR_xsm_op` with `op` as the guest address of its
    /// `struct xen_flask_op` (the XSM test's FLASK calls), unchecked.
    ///
    /// # Safety
    ///
    /// As for [`Privcmd::raw_sysctl`]: Xen may write the op and wherever
    /// its guest handles point.
    pub unsafe fn raw_xsm_op(&self, op: u64) -> core::result::Result<i64, Errno> {
        // SAFETY: forwarded to the caller (this function's contract).
        unsafe { self.hypercall(xen_numastat_abi::flask::HYPERVISOR_XSM_OP, [op, 0, 0, 0, 0]) }
    }

    /// Fails with [`Error::Internal`] unless each non-NULL range lies in
    /// one of `bufs`.
    fn check_ranges(
        what: crate::Op,
        ranges: [GuestRange; 2],
        bufs: &[&mut HypercallBuf],
    ) -> Result<()> {
        for range in ranges {
            if range.addr != 0 && !bufs.iter().any(|b| b.covers(range)) {
                return Err(Error::Internal(format!(
                    "a guest handle of {what} ({} bytes at {:#x}) is outside the \
                     call's hypercall buffers",
                    range.len, range.addr
                )));
            }
        }
        Ok(())
    }

    /// `XEN_SYSCTL_*`: wraps `payload` in a `struct xen_sysctl` (cmd,
    /// interface version 0x15) in a hypercall buffer, issues
    /// `__HYPERVISOR_sysctl`, and copies the payload back into `payload`
    /// whatever the outcome (some ops report through it on failure, e.g.
    /// availheap's `nr_counts` with `-ENOBUFS`).
    ///
    /// Every non-NULL guest handle of `payload` must point into one of
    /// `bufs`, which Xen may write during the call; otherwise the call is
    /// not made and [`Error::Internal`] is returned.
    pub fn sysctl<P: SysctlArgs>(
        &self,
        payload: &mut P,
        bufs: &mut [&mut HypercallBuf],
    ) -> Result<()> {
        const { assert!(size_of::<P>() <= XEN_SYSCTL_PAYLOAD_SIZE) };
        Self::check_ranges(crate::Op::Sysctl(P::CMD), payload.guest_ranges(), bufs)?;
        // The envelope buffer is taken out of the cache for the call (a
        // nested call, which cannot happen, would just map its own).
        let cached = self.envelope.borrow_mut().take();
        let mut envelope = match cached {
            Some(b) => b,
            None => self.alloc(size_of::<XenSysctl>())?,
        };
        let head = XenSysctl {
            cmd: P::CMD,
            interface_version: XEN_SYSCTL_INTERFACE_VERSION,
            u: [0; XEN_SYSCTL_PAYLOAD_SIZE / 8],
        };
        envelope.write(0, &[head])?;
        envelope.write(offset_of!(XenSysctl, u), core::slice::from_ref(payload))?;
        // SAFETY: Xen reads and writes the envelope (a HypercallBuf owned
        // here) and, through the payload's guest handles, only the ranges
        // SysctlArgs names, which were checked to lie in `bufs`; those are
        // borrowed mutably for the call, so nothing else accesses them.
        let rc = unsafe { self.hypercall(HYPERVISOR_SYSCTL, [envelope.handle(), 0, 0, 0, 0]) };
        *payload = envelope.read_one(offset_of!(XenSysctl, u))?;
        *self.envelope.borrow_mut() = Some(envelope);
        rc.map(drop)
            .map_err(|e| self.who_refused(Error::from_sysctl(P::CMD, e)))
    }

    /// `XEN_DOMCTL_*` on `domain`: wraps `payload` in a `struct xen_domctl`
    /// (cmd, interface version 0x15, domain) in a hypercall buffer, issues
    /// `__HYPERVISOR_domctl`, copies the payload back into `payload`
    /// whatever the outcome, and returns the envelope's `domain` as Xen
    /// left it (createdomain: the new domain's id).
    ///
    /// Guest handles are checked against `bufs` as in [`Privcmd::sysctl`].
    pub fn domctl<P: DomctlArgs>(
        &self,
        domain: DomId,
        payload: &mut P,
        bufs: &mut [&mut HypercallBuf],
    ) -> Result<DomId> {
        const { assert!(size_of::<P>() <= XEN_DOMCTL_PAYLOAD_SIZE) };
        Self::check_ranges(crate::Op::Domctl(P::CMD), payload.guest_ranges(), bufs)?;
        let mut envelope = self.alloc(size_of::<XenDomctl>())?;
        let head = XenDomctl {
            cmd: P::CMD,
            interface_version: XEN_DOMCTL_INTERFACE_VERSION,
            domain,
            _pad: [0; 3],
            u: [0; XEN_DOMCTL_PAYLOAD_SIZE / 8],
        };
        envelope.write(0, &[head])?;
        envelope.write(offset_of!(XenDomctl, u), core::slice::from_ref(payload))?;
        // SAFETY: as in sysctl: Xen touches the envelope and the ranges
        // DomctlArgs names, checked to lie in `bufs`, borrowed for the call.
        let rc = unsafe { self.hypercall(HYPERVISOR_DOMCTL, [envelope.handle(), 0, 0, 0, 0]) };
        *payload = envelope.read_one(offset_of!(XenDomctl, u))?;
        let out: XenDomctl = envelope.read_one(0)?;
        rc.map(|_| out.domain)
            .map_err(|e| self.who_refused(Error::from_domctl(P::CMD, u32::from(domain), e)))
    }

    /// `__HYPERVISOR_memory_op` with a reservation command
    /// (`XENMEM_populate_physmap`, `XENMEM_decrease_reservation`): copies
    /// `reservation` into a hypercall buffer and returns the number of
    /// extents Xen did (it reads, and for populate_physmap of a PV domain
    /// writes, `nr_extents` `xen_pfn_t`s at `extent_start`, which must lie
    /// in `extents`).
    pub fn memory_op(
        &self,
        cmd: u32,
        reservation: &XenMemoryReservation,
        extents: &mut HypercallBuf,
    ) -> Result<u64> {
        let op = crate::Op::MemoryOp(cmd);
        let list = GuestRange::new(
            reservation.extent_start,
            reservation.nr_extents.saturating_mul(8),
        );
        if reservation.nr_extents > 0 && (list.addr == 0 || !extents.covers(list)) {
            return Err(Error::Internal(format!(
                "the extent list of {op} ({} bytes at {:#x}) is outside its \
                 hypercall buffer",
                list.len, list.addr
            )));
        }
        let mut arg = self.alloc(size_of::<XenMemoryReservation>())?;
        arg.write(0, core::slice::from_ref(reservation))?;
        // SAFETY: Xen reads the reservation (in `arg`, owned here) and reads
        // or writes the `nr_extents` entries at `extent_start`, checked to
        // lie in `extents`, which is borrowed mutably for the call.
        let rc = unsafe {
            self.hypercall(
                HYPERVISOR_MEMORY_OP,
                [u64::from(cmd), arg.handle(), 0, 0, 0],
            )
        };
        match rc {
            Ok(done) => {
                u64::try_from(done).map_err(|_| Error::Internal(format!("{op} returned {done}")))
            }
            Err(e) => Err(self.who_refused(Error::from_memory_op(cmd, e))),
        }
    }

    /// `XENMEM_exchange`: copies `exch` into a hypercall buffer, lets Xen
    /// read the input list and write the output list (both must lie in
    /// `lists`), and returns `nr_exchanged` as Xen left it, with the
    /// hypercall's own result (an error still reports how many input
    /// extents were exchanged before it).
    pub fn memory_exchange(
        &self,
        exch: &xen_numastat_abi::XenMemoryExchange,
        lists: &mut HypercallBuf,
    ) -> (u64, Result<()>) {
        let cmd = xen_numastat_abi::XENMEM_EXCHANGE;
        let op = crate::Op::MemoryOp(cmd);
        for (what, r) in [("input", &exch.input), ("output", &exch.out)] {
            // Xen reads or writes one xen_pfn_t per extent.
            let len = r.nr_extents.saturating_mul(8);
            let list = GuestRange::new(r.extent_start, len);
            if r.nr_extents > 0 && (list.addr == 0 || !lists.covers(list)) {
                return (
                    0,
                    Err(Error::Internal(format!(
                        "the {what} list of {op} is outside its hypercall buffer"
                    ))),
                );
            }
        }
        let mut arg = match self.alloc(size_of::<xen_numastat_abi::XenMemoryExchange>()) {
            Ok(a) => a,
            Err(e) => return (0, Err(e)),
        };
        if let Err(e) = arg.write(0, core::slice::from_ref(exch)) {
            return (0, Err(e));
        }
        // SAFETY: Xen reads and writes the exchange struct (in `arg`, owned
        // here) and the two extent lists, checked above to lie in `lists`,
        // which is borrowed mutably for the call.
        let rc = unsafe {
            self.hypercall(
                HYPERVISOR_MEMORY_OP,
                [u64::from(cmd), arg.handle(), 0, 0, 0],
            )
        };
        let done = arg
            .read::<xen_numastat_abi::XenMemoryExchange>(0, 1)
            .ok()
            .and_then(|v| v.first().map(|e| e.nr_exchanged))
            .unwrap_or(0);
        (
            done,
            rc.map(drop).map_err(|e| Error::from_memory_op(cmd, e)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // include/uapi/asm-generic/ioctl.h
    const IOC_NRSHIFT: u32 = 0;
    const IOC_TYPESHIFT: u32 = 8;
    const IOC_SIZESHIFT: u32 = 16;
    const IOC_DIRSHIFT: u32 = 30;
    const IOC_NONE: u64 = 0;

    const fn ioc(dir: u64, ty: u8, nr: u8, size: usize) -> u64 {
        (dir << IOC_DIRSHIFT)
            | ((size as u64) << IOC_SIZESHIFT)
            | ((ty as u64) << IOC_TYPESHIFT)
            | ((nr as u64) << IOC_NRSHIFT)
    }

    #[test]
    fn ioctl_number_matches_the_ioc_formula() {
        // libc::Ioctl is c_ulong on glibc, c_int on musl: both hold it.
        assert_eq!(
            IOCTL_PRIVCMD_HYPERCALL,
            ioc(IOC_NONE, b'P', 0, size_of::<PrivcmdHypercall>()) as libc::Ioctl
        );
        assert_eq!(IOCTL_PRIVCMD_HYPERCALL, 0x0030_5000);
        assert_eq!(
            IOCTL_PRIVCMD_MMAPBATCH_V2,
            ioc(IOC_NONE, b'P', 4, size_of::<PrivcmdMmapbatchV2>()) as libc::Ioctl
        );
        assert_eq!(IOCTL_PRIVCMD_MMAPBATCH_V2, 0x0020_5004);
    }

    #[test]
    fn privcmd_hypercall_layout() {
        assert_eq!(size_of::<PrivcmdHypercall>(), 48);
        assert_eq!(offset_of!(PrivcmdHypercall, arg), 8);
    }

    #[test]
    fn guest_ranges_cover_what_xen_touches() {
        let ni = XenSysctlNumainfo {
            num_nodes: 3,
            _pad: 0,
            meminfo: 0x1000,
            distance: 0x2000,
        };
        assert_eq!(
            ni.guest_ranges(),
            [GuestRange::new(0x1000, 48), GuestRange::new(0x2000, 36)]
        );
        let huge = XenSysctlNumainfo {
            num_nodes: u32::MAX,
            ..ni
        };
        // Saturates instead of wrapping to a small length.
        assert_eq!(huge.guest_ranges()[1].len, u64::MAX);
        let ah = XenSysctlNumaAvailheap {
            counts: 0x3000,
            nr_counts: 82,
            ..Default::default()
        };
        assert_eq!(ah.guest_ranges()[0], GuestRange::new(0x3000, 656));
    }

    /// A Privcmd whose "privcmd" is /dev/null (every ioctl fails with
    /// ENOTTY) and whose buffers are shared mappings of /dev/zero.
    fn stand_in() -> Privcmd {
        Privcmd {
            privcmd: open_device("/dev/null").unwrap(),
            hypercall: open_device("/dev/zero").unwrap(),
            envelope: std::cell::RefCell::new(None),
        }
    }

    #[test]
    fn buffers_are_whole_zeroed_pages_and_bounds_checked() {
        let p = stand_in();
        let mut b = p.alloc(1).unwrap();
        assert_eq!(b.len(), PAGE_SIZE);
        assert_eq!(b.handle() % PAGE_SIZE as u64, 0);
        assert_eq!(p.alloc(PAGE_SIZE + 1).unwrap().len(), 2 * PAGE_SIZE);
        assert_eq!(
            b.read::<u64>(0, PAGE_SIZE / 8).unwrap(),
            vec![0; PAGE_SIZE / 8]
        );
        // Unaligned round trip.
        b.write(3, &[0x1122_3344_5566_7788u64, 9]).unwrap();
        assert_eq!(b.read::<u64>(3, 2).unwrap(), vec![0x1122_3344_5566_7788, 9]);
        assert_eq!(b.read_one::<u8>(3).unwrap(), 0x88);
        assert!(matches!(
            b.write(PAGE_SIZE - 7, &[0u64]),
            Err(Error::Internal(_))
        ));
        assert!(matches!(
            b.read::<u32>(PAGE_SIZE, 1),
            Err(Error::Internal(_))
        ));
        assert!(matches!(
            b.read::<u64>(0, usize::MAX),
            Err(Error::Internal(_))
        ));
    }

    #[test]
    fn sysctl_refuses_handles_outside_its_buffers() {
        let p = stand_in();
        let mut counts = p.alloc(8 * 41).unwrap();
        let inside = XenSysctlNumaAvailheap {
            zone: -1,
            node: -1,
            counts: counts.handle(),
            nr_counts: 41,
            ..Default::default()
        };
        // Not lent to the call: refused before any ioctl.
        let mut ah = inside;
        assert!(matches!(
            p.sysctl(&mut ah, &mut []),
            Err(Error::Internal(_))
        ));
        // Longer than the buffer: refused.
        let mut ah = XenSysctlNumaAvailheap {
            nr_counts: 513,
            ..inside
        };
        assert!(matches!(
            p.sysctl(&mut ah, &mut [&mut counts]),
            Err(Error::Internal(_))
        ));
        // Inside: the call is made, and /dev/null answers ENOTTY; the
        // payload comes back as it went.
        let mut ah = inside;
        assert_eq!(
            p.sysctl(&mut ah, &mut [&mut counts]),
            Err(Error::Xen {
                op: crate::Op::Sysctl(xen_numastat_abi::XEN_SYSCTL_NUMA_AVAILHEAP),
                errno: Errno::new(libc::ENOTTY)
            })
        );
        assert_eq!(ah, inside);
    }

    #[test]
    fn domain_call_ranges_cover_what_xen_touches() {
        let ds = XenSysctlNumaGetdomnodestat {
            nodes: 0x4000,
            nr_nodes: 3,
            ..Default::default()
        };
        assert_eq!(ds.guest_ranges()[0], GuestRange::new(0x4000, 72));
        let dl = XenSysctlGetdomaininfolist {
            buffer: 0x5000,
            max_domains: 2,
            ..Default::default()
        };
        assert_eq!(dl.guest_ranges()[0], GuestRange::new(0x5000, 224));
        let na = XenDomctlNodeaffinity {
            nodemap: xen_numastat_abi::XenctlBitmap {
                bitmap: 0x6000,
                nr_bits: 65,
                _pad: 0,
            },
        };
        assert_eq!(na.guest_ranges()[0], GuestRange::new(0x6000, 9));
        assert_eq!(
            XenDomctlMaxMem::default().guest_ranges(),
            [GuestRange::NONE; 2]
        );
    }

    #[test]
    fn domctl_and_memory_op_refuse_handles_outside_their_buffers() {
        let p = stand_in();
        let mut map = p.alloc(8).unwrap();
        let mut na = XenDomctlNodeaffinity {
            nodemap: xen_numastat_abi::XenctlBitmap {
                bitmap: map.handle(),
                nr_bits: 64,
                _pad: 0,
            },
        };
        assert!(matches!(
            p.domctl(1, &mut na, &mut []),
            Err(Error::Internal(_))
        ));
        // Lent: the ioctl is made (ENOTTY from /dev/null), as domctl 69.
        assert_eq!(
            p.domctl(1, &mut na, &mut [&mut map]),
            Err(Error::Xen {
                op: crate::Op::Domctl(xen_numastat_abi::XEN_DOMCTL_GETNODEAFFINITY),
                errno: Errno::new(libc::ENOTTY)
            })
        );
        let mut extents = p.alloc(PAGE_SIZE).unwrap();
        let r = XenMemoryReservation {
            extent_start: extents.handle(),
            nr_extents: 512,
            ..Default::default()
        };
        let cmd = xen_numastat_abi::XENMEM_POPULATE_PHYSMAP;
        assert_eq!(
            p.memory_op(cmd, &r, &mut extents),
            Err(Error::Xen {
                op: crate::Op::MemoryOp(cmd),
                errno: Errno::new(libc::ENOTTY)
            })
        );
        // One extent past the buffer, or a NULL list: refused before the call.
        for bad in [
            XenMemoryReservation {
                nr_extents: 513,
                ..r
            },
            XenMemoryReservation {
                extent_start: 0,
                ..r
            },
            XenMemoryReservation {
                nr_extents: u64::MAX,
                ..r
            },
        ] {
            assert!(matches!(
                p.memory_op(cmd, &bad, &mut extents),
                Err(Error::Internal(_))
            ));
        }
    }

    #[test]
    fn opening_without_the_device_is_typed() {
        // On a host that is not a Xen dom0 the node is missing; in a dom0
        // this test has nothing to check.
        if std::path::Path::new(PRIVCMD_PATH).exists() {
            return;
        }
        match Privcmd::open() {
            Err(Error::NoDevice { path, errno }) => {
                assert_eq!(path, PRIVCMD_PATH);
                assert_eq!(errno.get(), libc::ENOENT);
            }
            other => panic!("expected NoDevice, got {other:?}"),
        }
    }
}
