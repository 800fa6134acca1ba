// SPDX-License-Identifier: GPL-2.0-only
//! A xenstore client in Rust, no C library: just enough of the wire protocol
//! (Xen's xen/include/public/io/xs_wire.h) to read a domain's name the way
//! `xl list` shows it, from `/local/domain/<domid>/name`.
//!
//! A request is a [`struct xsd_sockmsg`](SockMsg) header, four native-endian
//! `u32`s `{ type, req_id, tx_id, len }`, then `len` payload bytes (for
//! `XS_READ` and `XS_DIRECTORY`: the path, NUL-terminated). The daemon
//! answers with a header of the same type (or `XS_ERROR`) that echoes
//! `req_id` and `tx_id`. An error reply's payload is an errno *name*,
//! NUL-terminated (`"ENOENT\0"`: xsd_errors[] in xs_wire.h, written by
//! xenstored's `send_error()`); an `XS_READ` reply is the value itself,
//! without a NUL; an `XS_DIRECTORY` reply is the children's names, each
//! NUL-terminated.
//!
//! Where the daemon is, in the order [`Xenstore::open`] tries:
//! 1. xenstored's Unix socket, [`XENSTORED_SOCKET`]. Both daemons Debian
//!    ships (C xenstored and oxenstored) listen there in dom0, and Xen 4.17's
//!    libxenstore `xs_open()` tries it first as well: one hop to the daemon,
//!    and a read timeout can be set on it.
//! 2. Outside dom0 only, Linux's xenbus device, [`XENBUS_DEVICE`]
//!    (drivers/xen/xenbus/xenbus_dev_frontend.c): write one whole request,
//!    read the reply. The kernel forwards it over its own ring to the
//!    daemon and gives the reply the caller's `req_id` back. That is the
//!    only path a guest has. It is opened `O_NONBLOCK` (the driver's read
//!    then answers `EAGAIN` instead of sleeping), so [`REPLY_TIMEOUT`]
//!    holds there too.
//!
//! In dom0 (the one domain with [`XENBUS_BACKEND_DEVICE`]) the device is
//! not tried: dom0's kernel queues a request there until a xenstored
//! connects, which in a dom0 without one (the busybox dom0 of the QEMU
//! tests) is never, so every lookup would cost the whole timeout, and
//! libxenstore's tools hang there. The price: a dom0 whose xenstored runs
//! in a stub domain (no socket in dom0) shows no names.
//!
//! No socket (and, in a guest, no device) means no xenstored is reachable:
//! [`Error::Unavailable`], whose message starts "names unavailable:
//! xenstored is not running", at once, so a caller shows numbers without
//! names.
//!
//! A path that does not exist reads as `None`, not as an error: a domain
//! destroyed between the hypercall that listed it and the name lookup has
//! gone, and the caller treats it like a domain that vanished mid-sample.
#![forbid(unsafe_code)]

use core::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// xenstored's socket in dom0 (Xen 4.17 tools/libs/store/xs.c:
/// `xs_daemon_socket()`, `XEN_RUN_STORED "/socket"`; Debian's rundir is
/// `/run/xenstored`).
pub const XENSTORED_SOCKET: &str = "/run/xenstored/socket";
/// Linux's xenbus character device (`xs_domain_dev()` in the same file).
pub const XENBUS_DEVICE: &str = "/dev/xen/xenbus";
/// What xenstored in dom0 uses to find its ring: Linux registers it only in
/// the initial domain (drivers/xen/xenbus/xenbus_dev_backend.c answers
/// `-ENODEV` elsewhere), so its presence says "this is dom0".
pub const XENBUS_BACKEND_DEVICE: &str = "/dev/xen/xenbus_backend";

/// How long a reply may take before [`Error::Timeout`]. xenstored answers
/// a read in well under a millisecond; this only turns a stuck daemon into
/// an error instead of a hung tool.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// `enum xsd_sockmsg_type` in xs_wire.h: `XS_CONTROL, XS_DIRECTORY, ...`
/// (the second member).
pub const XS_DIRECTORY: u32 = 1;
/// `enum xsd_sockmsg_type`: `XS_READ` (the third member).
pub const XS_READ: u32 = 2;
/// `enum xsd_sockmsg_type`: `XS_WATCH_EVENT` (the sixteenth member). Only
/// sent to a connection that set a watch; skipped if one arrives anyway.
pub const XS_WATCH_EVENT: u32 = 15;
/// `enum xsd_sockmsg_type`: `XS_ERROR` (the seventeenth member).
pub const XS_ERROR: u32 = 16;

/// ```c
/// #define XENSTORE_PAYLOAD_MAX 4096
/// ```
/// A longer message violates the protocol (xs_wire.h).
pub const XENSTORE_PAYLOAD_MAX: usize = 4096;
/// ```c
/// #define XENSTORE_ABS_PATH_MAX 3072
/// ```
pub const XENSTORE_ABS_PATH_MAX: usize = 3072;

/// `struct xsd_sockmsg { uint32_t type, req_id, tx_id, len; }` (xs_wire.h),
/// followed on the wire by `len` payload bytes. Native byte order: both ends
/// run on the same machine (xenstored reads the struct as is).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SockMsg {
    /// `XS_*`.
    pub msg_type: u32,
    /// Request identifier, echoed in the daemon's response.
    pub req_id: u32,
    /// Transaction id (0: no transaction).
    pub tx_id: u32,
    /// Length of the payload that follows.
    pub len: u32,
}

/// `sizeof(struct xsd_sockmsg)`.
pub const SOCKMSG_SIZE: usize = 16;

impl SockMsg {
    /// The header's 16 bytes as xenstored reads them.
    pub fn to_bytes(self) -> [u8; SOCKMSG_SIZE] {
        let mut b = [0u8; SOCKMSG_SIZE];
        for (i, v) in [self.msg_type, self.req_id, self.tx_id, self.len]
            .into_iter()
            .enumerate()
        {
            b[i * 4..i * 4 + 4].copy_from_slice(&v.to_ne_bytes());
        }
        b
    }

    /// Parses the header's 16 bytes.
    pub fn from_bytes(b: &[u8; SOCKMSG_SIZE]) -> Self {
        let word = |i: usize| u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        Self {
            msg_type: word(0),
            req_id: word(4),
            tx_id: word(8),
            len: word(12),
        }
    }
}

/// The name xs_wire.h gives a message type, for messages.
pub fn msg_type_name(msg_type: u32) -> &'static str {
    match msg_type {
        XS_DIRECTORY => "XS_DIRECTORY",
        XS_READ => "XS_READ",
        XS_WATCH_EVENT => "XS_WATCH_EVENT",
        XS_ERROR => "XS_ERROR",
        _ => "an unknown xenstore message",
    }
}

/// What can go wrong talking to xenstored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// No xenstored to talk to: its socket is not there and, outside dom0,
    /// neither is the xenbus device.
    Unavailable {
        /// Why connecting to [`XENSTORED_SOCKET`] failed.
        socket: io::ErrorKind,
        /// Why opening [`XENBUS_DEVICE`] failed; `None` in dom0, where it is
        /// not tried (the module documentation says why).
        device: Option<io::ErrorKind>,
    },
    /// The socket or the device exists but opening it was refused.
    PermissionDenied { path: &'static str },
    /// Reading or writing the connection failed, or it was closed.
    Io {
        path: &'static str,
        kind: io::ErrorKind,
        what: String,
    },
    /// No reply within [`REPLY_TIMEOUT`].
    Timeout { path: &'static str },
    /// xenstored answered with `XS_ERROR` and an errno name other than
    /// `ENOENT` (which [`Xenstore::read`] turns into `None`), e.g. `EACCES`.
    Daemon {
        msg_type: u32,
        path: String,
        errno: String,
    },
    /// The reply does not follow the protocol.
    Protocol(String),
    /// A path the protocol cannot carry (a NUL inside, or too long).
    InvalidPath(String),
}

/// `Result` with this module's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

impl Error {
    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Unavailable { .. } => {
                "start the toolstack's daemons (Debian: `/etc/init.d/xen start`) \
                 to see domain names"
            }
            Self::PermissionDenied { .. } => "run it as root",
            Self::Io { .. } | Self::Timeout { .. } => {
                "check that xenstored is running (`xenstore-ls /local/domain`)"
            }
            Self::Daemon { .. } => "check the path's permissions (`xenstore-ls -p`)",
            Self::Protocol(_) => "report this as a bug in xen-numastat",
            Self::InvalidPath(_) => "pass a path without NUL bytes, shorter than 3072 bytes",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable {
                socket,
                device: Some(device),
            } => write!(
                f,
                "names unavailable: xenstored is not running \
                 ({XENSTORED_SOCKET}: {socket}; {XENBUS_DEVICE}: {device})"
            ),
            Self::Unavailable {
                socket,
                device: None,
            } => write!(
                f,
                "names unavailable: xenstored is not running \
                 ({XENSTORED_SOCKET}: {socket})"
            ),
            Self::PermissionDenied { path } => {
                write!(f, "cannot open {path}: permission denied")
            }
            Self::Io { path, what, .. } => write!(f, "xenstore connection {path}: {what}"),
            Self::Timeout { path } => {
                write!(f, "xenstored did not answer on {path} in time")
            }
            Self::Daemon {
                msg_type,
                path,
                errno,
            } => write!(
                f,
                "xenstored refused {} {path} with {errno}",
                msg_type_name(*msg_type)
            ),
            Self::Protocol(what) => write!(f, "xenstored's reply is malformed: {what}"),
            Self::InvalidPath(what) => write!(f, "invalid xenstore path: {what}"),
        }
    }
}

impl std::error::Error for Error {}

/// The connection: a stream to xenstored, one request in flight at a time.
#[derive(Debug)]
enum Conn {
    Socket(UnixStream),
    Device(File),
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Socket(s) => s.read(buf),
            Self::Device(d) => d.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Socket(s) => s.write(buf),
            Self::Device(d) => d.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Socket(s) => s.flush(),
            Self::Device(d) => d.flush(),
        }
    }
}

/// A connection to xenstored. Owns the socket or device fd (opened once,
/// close-on-exec, as std opens every fd); one method per request, one
/// request in flight.
#[derive(Debug)]
pub struct Xenstore {
    conn: Conn,
    path: &'static str,
    next_req_id: u32,
    reply_timeout: Duration,
    /// A request timed out before any of its reply arrived: the reply may
    /// still come, before the next one's, and is then skipped.
    abandoned: bool,
    /// A reply timed out half-read: where the next message starts is lost,
    /// so every later request fails (open a new connection).
    lost: bool,
}

impl Xenstore {
    /// Connects to xenstored: its socket first, then the xenbus device (the
    /// module documentation says why).
    pub fn open() -> Result<Self> {
        let socket = match UnixStream::connect(XENSTORED_SOCKET) {
            Ok(s) => return Self::from_socket(s, XENSTORED_SOCKET),
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                return Err(Error::PermissionDenied {
                    path: XENSTORED_SOCKET,
                })
            }
            Err(e) => e.kind(),
        };
        if Path::new(XENBUS_BACKEND_DEVICE).exists() {
            return Err(Error::Unavailable {
                socket,
                device: None,
            });
        }
        let device = match OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(XENBUS_DEVICE)
        {
            Ok(d) => return Ok(Self::from_device(d, XENBUS_DEVICE)),
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                return Err(Error::PermissionDenied {
                    path: XENBUS_DEVICE,
                })
            }
            // ENXIO/ENODEV: the node exists, no xenbus behind it (not on Xen).
            Err(e) => e.kind(),
        };
        Err(Error::Unavailable {
            socket,
            device: Some(device),
        })
    }

    /// A client on an already connected stream (xenstored's socket, or one
    /// end of a socketpair in tests), with [`REPLY_TIMEOUT`].
    pub fn from_socket(stream: UnixStream, path: &'static str) -> Result<Self> {
        let mut xs = Self {
            conn: Conn::Socket(stream),
            path,
            next_req_id: 0,
            reply_timeout: REPLY_TIMEOUT,
            abandoned: false,
            lost: false,
        };
        xs.set_reply_timeout(REPLY_TIMEOUT)?;
        Ok(xs)
    }

    /// A client on an open xenbus device. Open it `O_NONBLOCK`, as
    /// [`Xenstore::open`] does, or a missing reply blocks past the timeout.
    pub fn from_device(file: File, path: &'static str) -> Self {
        Self {
            conn: Conn::Device(file),
            path,
            next_req_id: 0,
            reply_timeout: REPLY_TIMEOUT,
            abandoned: false,
            lost: false,
        }
    }

    /// How long a reply may take (default [`REPLY_TIMEOUT`]).
    pub fn set_reply_timeout(&mut self, timeout: Duration) -> Result<()> {
        if let Conn::Socket(s) = &self.conn {
            s.set_read_timeout(Some(timeout))
                .map_err(|e| io_error(self.path, &e))?;
        }
        self.reply_timeout = timeout;
        Ok(())
    }

    /// Where this client is connected ([`XENSTORED_SOCKET`] or
    /// [`XENBUS_DEVICE`]).
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// The value at `path`, or `None` when xenstored answers `ENOENT`. A
    /// value that is not UTF-8 is converted lossily (names are shown, not
    /// parsed).
    pub fn read(&mut self, path: &str) -> Result<Option<String>> {
        Ok(self
            .read_bytes(path)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// The raw value at `path`, or `None` when xenstored answers `ENOENT`.
    pub fn read_bytes(&mut self, path: &str) -> Result<Option<Vec<u8>>> {
        self.request(XS_READ, path)
    }

    /// The names of `path`'s children, or `None` when xenstored answers
    /// `ENOENT`.
    pub fn directory(&mut self, path: &str) -> Result<Option<Vec<String>>> {
        let Some(payload) = self.request(XS_DIRECTORY, path)? else {
            return Ok(None);
        };
        // Each name is NUL-terminated; an empty directory is an empty reply.
        let body = match payload.split_last() {
            None => return Ok(Some(Vec::new())),
            Some((0, body)) => body,
            Some(_) => {
                return Err(Error::Protocol(format!(
                    "XS_DIRECTORY {path}: the last name is not NUL-terminated"
                )))
            }
        };
        Ok(Some(
            body.split(|&b| b == 0)
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect(),
        ))
    }

    /// Domain `domid`'s name (`/local/domain/<domid>/name`, which `xl`
    /// writes at create and `xen-init-dom0` for dom0), or `None` when the
    /// domain has no name in xenstore, typically because it has gone.
    pub fn domain_name(&mut self, domid: u32) -> Result<Option<String>> {
        self.read(&format!("/local/domain/{domid}/name"))
    }

    /// Sends one request whose payload is `path` NUL-terminated, and returns
    /// the reply's payload; `None` for an `ENOENT` error reply.
    fn request(&mut self, msg_type: u32, path: &str) -> Result<Option<Vec<u8>>> {
        if path.as_bytes().contains(&0) {
            return Err(Error::InvalidPath(format!("{path:?} contains a NUL byte")));
        }
        if path.len() > XENSTORE_ABS_PATH_MAX {
            return Err(Error::InvalidPath(format!(
                "{} bytes, more than XENSTORE_ABS_PATH_MAX ({XENSTORE_ABS_PATH_MAX})",
                path.len()
            )));
        }
        if self.lost {
            return Err(Error::Io {
                path: self.path,
                kind: io::ErrorKind::TimedOut,
                what: "a reply timed out half-read, the stream is out of step; \
                       open a new connection"
                    .into(),
            });
        }
        let req_id = self.next_req_id;
        self.next_req_id = self.next_req_id.wrapping_add(1);
        let len = path.len() + 1;
        let header = SockMsg {
            msg_type,
            req_id,
            tx_id: 0,
            len: u32::try_from(len).map_err(|_| Error::InvalidPath(path.into()))?,
        };
        // One write of the whole message: the xenbus device forwards a
        // request once it has all of it, and a socket peer sees no gap.
        let mut msg = Vec::with_capacity(SOCKMSG_SIZE + len);
        msg.extend_from_slice(&header.to_bytes());
        msg.extend_from_slice(path.as_bytes());
        msg.push(0);
        self.conn
            .write_all(&msg)
            .map_err(|e| io_error(self.path, &e))?;

        let deadline = Instant::now() + self.reply_timeout;
        loop {
            let (reply, payload) = self.read_reply(deadline)?;
            if reply.msg_type == XS_WATCH_EVENT {
                continue; // Not ours: this client sets no watches.
            }
            if reply.req_id != req_id && self.abandoned {
                continue; // The late reply to a request that timed out.
            }
            self.abandoned = false;
            if reply.req_id != req_id || reply.tx_id != 0 {
                return Err(Error::Protocol(format!(
                    "reply to {} {path} has req_id {} tx_id {}, expected {req_id} and 0",
                    msg_type_name(msg_type),
                    reply.req_id,
                    reply.tx_id
                )));
            }
            if reply.msg_type == XS_ERROR {
                let errno = payload.split(|&b| b == 0).next().unwrap_or_default();
                let errno = String::from_utf8_lossy(errno).into_owned();
                if errno == "ENOENT" {
                    return Ok(None);
                }
                return Err(Error::Daemon {
                    msg_type,
                    path: path.into(),
                    errno,
                });
            }
            if reply.msg_type != msg_type {
                return Err(Error::Protocol(format!(
                    "{} {path} answered with {} ({})",
                    msg_type_name(msg_type),
                    msg_type_name(reply.msg_type),
                    reply.msg_type
                )));
            }
            return Ok(Some(payload));
        }
    }

    /// Reads one whole message, however the stream splits it.
    fn read_reply(&mut self, deadline: Instant) -> Result<(SockMsg, Vec<u8>)> {
        let mut header = [0u8; SOCKMSG_SIZE];
        self.read_full(&mut header, deadline, true)?;
        let reply = SockMsg::from_bytes(&header);
        let len = reply.len as usize;
        if len > XENSTORE_PAYLOAD_MAX {
            return Err(Error::Protocol(format!(
                "{len}-byte payload, more than XENSTORE_PAYLOAD_MAX ({XENSTORE_PAYLOAD_MAX})"
            )));
        }
        let mut payload = vec![0u8; len];
        self.read_full(&mut payload, deadline, false)?;
        Ok((reply, payload))
    }

    /// Fills `buf` by `deadline`. A non-blocking fd (the xenbus device)
    /// answers `EAGAIN` until the reply is queued: wait a little, doubling
    /// up to 10 ms; the socket's read timeout makes its reads return by
    /// then. `read_exact` would drop bytes already read on `EAGAIN`.
    /// `first`: `buf` is the start of a message (so a timeout with nothing
    /// read leaves the stream in step).
    fn read_full(&mut self, buf: &mut [u8], deadline: Instant, first: bool) -> Result<()> {
        let mut done = 0;
        let mut nap = Duration::from_micros(100);
        while done < buf.len() {
            match self.conn.read(&mut buf[done..]) {
                Ok(0) => {
                    let eof = io::Error::from(io::ErrorKind::UnexpectedEof);
                    return Err(io_error(self.path, &eof));
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    let now = Instant::now();
                    if now >= deadline {
                        if first && done == 0 {
                            self.abandoned = true;
                        } else {
                            self.lost = true;
                        }
                        return Err(Error::Timeout { path: self.path });
                    }
                    std::thread::sleep(nap.min(deadline - now));
                    nap = (nap * 2).min(Duration::from_millis(10));
                }
                Err(e) => return Err(io_error(self.path, &e)),
            }
        }
        Ok(())
    }
}

fn io_error(path: &'static str, e: &io::Error) -> Error {
    let what = match e.kind() {
        io::ErrorKind::UnexpectedEof => "xenstored closed the connection".to_string(),
        _ => e.to_string(),
    };
    Error::Io {
        path,
        kind: e.kind(),
        what,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::thread::{self, JoinHandle};

    /// The numbers quoted from xs_wire.h.
    #[test]
    fn wire_constants_match_xs_wire_h() {
        assert_eq!(XS_DIRECTORY, 1);
        assert_eq!(XS_READ, 2);
        assert_eq!(XS_WATCH_EVENT, 15);
        assert_eq!(XS_ERROR, 16);
        assert_eq!(XENSTORE_PAYLOAD_MAX, 4096);
        assert_eq!(XENSTORE_ABS_PATH_MAX, 3072);
        assert_eq!(SOCKMSG_SIZE, 4 * size_of::<u32>());
    }

    #[test]
    fn header_round_trips_in_native_order() {
        let h = SockMsg {
            msg_type: XS_READ,
            req_id: 0x0102_0304,
            tx_id: 0,
            len: 27,
        };
        let b = h.to_bytes();
        assert_eq!(&b[0..4], &XS_READ.to_ne_bytes());
        assert_eq!(&b[12..16], &27u32.to_ne_bytes());
        assert_eq!(SockMsg::from_bytes(&b), h);
    }

    /// A fake xenstored on the other end of a socketpair, modelled on the C
    /// daemon (tools/xenstore/xenstored_core.c): it reads a whole message
    /// however it arrives, answers with the request's req_id and tx_id, sends
    /// `XS_ERROR "ENOENT\0"` for a missing node and `"EACCES\0"` for one it
    /// may not read, `"EINVAL\0"` for types it does not know, values without
    /// a NUL, directories as NUL-terminated names. Its replies go out in
    /// `chunk`-byte writes, so the client sees them split across reads.
    struct FakeXenstored {
        nodes: BTreeMap<String, Vec<u8>>,
        forbidden: Vec<String>,
        chunk: usize,
        /// Sent before each reply: what a daemon that (wrongly) queued an
        /// unrelated message would send.
        watch_event_first: bool,
        /// Answers with this req_id instead of the request's.
        wrong_req_id: Option<u32>,
        /// Pause between two pieces of a reply.
        pause: Duration,
        /// Before answering the first request, send this many bytes of the
        /// reply, then wait this long.
        stall_first: Option<(usize, Duration)>,
    }

    impl FakeXenstored {
        fn new(nodes: &[(&str, &str)]) -> Self {
            Self {
                nodes: nodes
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
                    .collect(),
                forbidden: Vec::new(),
                chunk: 3,
                watch_event_first: false,
                wrong_req_id: None,
                pause: Duration::ZERO,
                stall_first: None,
            }
        }

        fn answer(&self, req: SockMsg, payload: &[u8]) -> (u32, Vec<u8>) {
            let error = |e: &str| (XS_ERROR, format!("{e}\0").into_bytes());
            // The C daemon rejects a payload without its terminating NUL.
            let Some((0, path)) = payload.split_last() else {
                return error("EINVAL");
            };
            let path = String::from_utf8_lossy(path).into_owned();
            if self.forbidden.contains(&path) {
                return error("EACCES");
            }
            match req.msg_type {
                XS_READ => match self.nodes.get(&path) {
                    Some(v) => (XS_READ, v.clone()),
                    None => error("ENOENT"),
                },
                XS_DIRECTORY => {
                    let prefix = format!("{path}/");
                    let mut children: Vec<&str> = self
                        .nodes
                        .keys()
                        .filter_map(|k| k.strip_prefix(&prefix))
                        .map(|rest| rest.split('/').next().unwrap_or(rest))
                        .collect();
                    children.dedup();
                    if children.is_empty() && !self.nodes.contains_key(&path) {
                        return error("ENOENT");
                    }
                    let mut out = Vec::new();
                    for c in children {
                        out.extend_from_slice(c.as_bytes());
                        out.push(0);
                    }
                    (XS_DIRECTORY, out)
                }
                _ => error("EINVAL"),
            }
        }

        fn send(&self, s: &mut UnixStream, msg: SockMsg, payload: &[u8], stall: bool) {
            let mut bytes = msg.to_bytes().to_vec();
            bytes.extend_from_slice(payload);
            let mut rest = &bytes[..];
            if let (true, Some((n, wait))) = (stall, self.stall_first) {
                s.write_all(&rest[..n]).unwrap();
                rest = &rest[n..];
                thread::sleep(wait);
            }
            for piece in rest.chunks(self.chunk) {
                // The client may have given up and hung up: stop quietly.
                if s.write_all(piece).is_err() {
                    return;
                }
                thread::sleep(self.pause);
            }
        }

        /// Serves until the client hangs up; returns the requests it saw.
        fn spawn(self) -> (Xenstore, JoinHandle<Vec<SockMsg>>) {
            let (client, mut server) = UnixStream::pair().unwrap();
            let handle = thread::spawn(move || {
                let mut seen = Vec::new();
                loop {
                    let mut h = [0u8; SOCKMSG_SIZE];
                    if server.read_exact(&mut h).is_err() {
                        return seen;
                    }
                    let req = SockMsg::from_bytes(&h);
                    let mut payload = vec![0u8; req.len as usize];
                    server.read_exact(&mut payload).unwrap();
                    seen.push(req);
                    if self.watch_event_first {
                        let ev = b"/local/domain\0token\0";
                        let msg = SockMsg {
                            msg_type: XS_WATCH_EVENT,
                            req_id: 0,
                            tx_id: 0,
                            len: ev.len() as u32,
                        };
                        self.send(&mut server, msg, ev, false);
                    }
                    let (msg_type, body) = self.answer(req, &payload);
                    let reply = SockMsg {
                        msg_type,
                        req_id: self.wrong_req_id.unwrap_or(req.req_id),
                        tx_id: req.tx_id,
                        len: body.len() as u32,
                    };
                    self.send(&mut server, reply, &body, seen.len() == 1);
                }
            });
            let xs = Xenstore::from_socket(client, "fake xenstored").unwrap();
            (xs, handle)
        }
    }

    const HOST: &[(&str, &str)] = &[
        ("/local/domain/0/name", "Domain-0"),
        ("/local/domain/0/domid", "0"),
        ("/local/domain/3/name", "guest-node1"),
        ("/local/domain/3/memory/target", "262144"),
    ];

    #[test]
    fn reads_names_and_missing_paths_read_as_none() {
        let (mut xs, server) = FakeXenstored::new(HOST).spawn();
        assert_eq!(xs.domain_name(0).unwrap().as_deref(), Some("Domain-0"));
        assert_eq!(xs.domain_name(3).unwrap().as_deref(), Some("guest-node1"));
        // Destroyed between the domain list and the lookup: gone, no error.
        assert_eq!(xs.domain_name(7).unwrap(), None);
        assert_eq!(
            xs.read("/local/domain/3/memory/target").unwrap().as_deref(),
            Some("262144")
        );
        drop(xs);
        let seen = server.join().unwrap();
        // One request each, ids counting up, no transaction, len counts
        // the terminating NUL.
        let ids: Vec<u32> = seen.iter().map(|r| r.req_id).collect();
        assert_eq!(ids, [0, 1, 2, 3]);
        assert!(seen.iter().all(|r| r.tx_id == 0 && r.msg_type == XS_READ));
        assert_eq!(seen[0].len as usize, "/local/domain/0/name".len() + 1);
    }

    #[test]
    fn replies_split_one_byte_per_read_are_reassembled() {
        let mut fake = FakeXenstored::new(HOST);
        fake.chunk = 1;
        let (mut xs, _server) = fake.spawn();
        assert_eq!(xs.domain_name(3).unwrap().as_deref(), Some("guest-node1"));
        assert_eq!(xs.domain_name(9).unwrap(), None);
    }

    #[test]
    fn directory_lists_children() {
        let (mut xs, _server) = FakeXenstored::new(HOST).spawn();
        assert_eq!(
            xs.directory("/local/domain").unwrap(),
            Some(vec!["0".to_string(), "3".to_string()])
        );
        assert_eq!(
            xs.directory("/local/domain/3").unwrap(),
            Some(vec!["memory".to_string(), "name".to_string()])
        );
        assert_eq!(xs.directory("/local/domain/5").unwrap(), None);
    }

    #[test]
    fn other_daemon_errors_are_errors_with_their_name() {
        let mut fake = FakeXenstored::new(HOST);
        fake.forbidden.push("/local/domain/3/name".into());
        let (mut xs, _server) = fake.spawn();
        let e = xs.domain_name(3).unwrap_err();
        assert_eq!(
            e,
            Error::Daemon {
                msg_type: XS_READ,
                path: "/local/domain/3/name".into(),
                errno: "EACCES".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "xenstored refused XS_READ /local/domain/3/name with EACCES"
        );
        // The connection is still in step after an error reply.
        assert_eq!(xs.domain_name(0).unwrap().as_deref(), Some("Domain-0"));
    }

    #[test]
    fn an_unrelated_watch_event_is_skipped() {
        let mut fake = FakeXenstored::new(HOST);
        fake.watch_event_first = true;
        let (mut xs, _server) = fake.spawn();
        assert_eq!(xs.domain_name(0).unwrap().as_deref(), Some("Domain-0"));
        assert_eq!(xs.domain_name(4).unwrap(), None);
    }

    #[test]
    fn a_reply_to_another_request_is_a_protocol_error() {
        let mut fake = FakeXenstored::new(HOST);
        fake.wrong_req_id = Some(41);
        let (mut xs, _server) = fake.spawn();
        let e = xs.domain_name(0).unwrap_err();
        assert!(
            matches!(e, Error::Protocol(ref w) if w.contains("req_id 41")),
            "{e}"
        );
    }

    #[test]
    fn a_closed_connection_is_an_io_error() {
        let (client, server) = UnixStream::pair().unwrap();
        drop(server);
        let mut xs = Xenstore::from_socket(client, "fake xenstored").unwrap();
        let e = xs.domain_name(0).unwrap_err();
        assert!(matches!(e, Error::Io { .. }), "{e}");
    }

    #[test]
    fn a_silent_daemon_times_out() {
        let (client, _server) = UnixStream::pair().unwrap();
        let mut xs = Xenstore::from_socket(client, "fake xenstored").unwrap();
        // Shorter than REPLY_TIMEOUT, so the test stays fast.
        xs.set_reply_timeout(Duration::from_millis(50)).unwrap();
        let e = xs.domain_name(0).unwrap_err();
        assert_eq!(
            e,
            Error::Timeout {
                path: "fake xenstored"
            }
        );
    }

    /// The xenbus device is opened O_NONBLOCK: reads answer EAGAIN until
    /// the reply is there. A non-blocking socket behaves the same.
    #[test]
    fn a_non_blocking_fd_waits_for_a_slow_reply() {
        let mut fake = FakeXenstored::new(HOST);
        fake.chunk = 5;
        fake.pause = Duration::from_millis(5);
        let (mut xs, _server) = fake.spawn();
        if let Conn::Socket(s) = &xs.conn {
            s.set_nonblocking(true).unwrap();
        }
        assert_eq!(xs.domain_name(3).unwrap().as_deref(), Some("guest-node1"));
        assert_eq!(xs.domain_name(8).unwrap(), None);

        let (client, _silent) = UnixStream::pair().unwrap();
        client.set_nonblocking(true).unwrap();
        let mut xs = Xenstore::from_socket(client, "fake xenstored").unwrap();
        xs.set_reply_timeout(Duration::from_millis(50)).unwrap();
        let t = Instant::now();
        assert!(matches!(xs.domain_name(0), Err(Error::Timeout { .. })));
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    }

    #[test]
    fn a_late_reply_to_a_timed_out_request_is_skipped() {
        let mut fake = FakeXenstored::new(HOST);
        fake.stall_first = Some((0, Duration::from_millis(300)));
        let (mut xs, _server) = fake.spawn();
        xs.set_reply_timeout(Duration::from_millis(50)).unwrap();
        assert!(matches!(xs.domain_name(0), Err(Error::Timeout { .. })));
        xs.set_reply_timeout(REPLY_TIMEOUT).unwrap();
        // The reply to request 0 ("Domain-0") comes first and is skipped.
        assert_eq!(xs.domain_name(3).unwrap().as_deref(), Some("guest-node1"));
    }

    #[test]
    fn a_reply_timed_out_half_read_loses_the_connection() {
        let mut fake = FakeXenstored::new(HOST);
        fake.stall_first = Some((6, Duration::from_millis(300)));
        let (mut xs, _server) = fake.spawn();
        xs.set_reply_timeout(Duration::from_millis(50)).unwrap();
        assert!(matches!(xs.domain_name(0), Err(Error::Timeout { .. })));
        let e = xs.domain_name(3).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Io {
                    kind: io::ErrorKind::TimedOut,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("open a new connection"), "{e}");
    }

    #[test]
    fn paths_the_wire_cannot_carry_are_refused_before_sending() {
        let (client, _server) = UnixStream::pair().unwrap();
        let mut xs = Xenstore::from_socket(client, "fake xenstored").unwrap();
        assert!(matches!(
            xs.read("/local\0/domain"),
            Err(Error::InvalidPath(_))
        ));
        let long = format!("/{}", "a".repeat(XENSTORE_ABS_PATH_MAX));
        assert!(matches!(xs.read(&long), Err(Error::InvalidPath(_))));
    }

    #[test]
    fn unavailable_says_names_are_unavailable() {
        for device in [Some(io::ErrorKind::NotFound), None] {
            let e = Error::Unavailable {
                socket: io::ErrorKind::NotFound,
                device,
            };
            assert!(e
                .to_string()
                .starts_with("names unavailable: xenstored is not running"));
            assert_eq!(e.to_string().contains(XENBUS_DEVICE), device.is_some());
            assert!(e.hint().contains("/etc/init.d/xen start"));
        }
    }

    #[test]
    fn open_on_a_host_without_xen_is_unavailable() {
        // This test host runs no xenstored; if it ever does, skip.
        if std::path::Path::new(XENSTORED_SOCKET).exists()
            || std::path::Path::new(XENBUS_DEVICE).exists()
        {
            return;
        }
        assert!(matches!(Xenstore::open(), Err(Error::Unavailable { .. })));
    }
}
