// SPDX-License-Identifier: GPL-2.0-only
//! Domain names for `-d`, read from xenstore the way `xl list` shows them
//! (`/local/domain/<domid>/name`) with the crate's wire-protocol client
//! (xenstore.rs): once per sample, after the domain list, over one
//! connection, and all of it within [`NAMES_TIMEOUT`].
//!
//! The client's own timeout covers a xenstored that accepted the
//! connection and does not answer. It does not cover `connect()` itself,
//! which blocks while a stuck daemon's listen backlog is full, so the
//! lookup runs on a thread and the sample waits for it at most
//! [`NAMES_TIMEOUT`]. A thread still stuck in `connect()` is left behind
//! (the process exit ends it) and, in watch mode, no second one is
//! started while it is: the next samples say the names are unavailable
//! at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};
use xen_numastat_abi::DomId;
use xen_numastat_tools::xenstore::{self, Xenstore, XENSTORED_SOCKET};

/// How long one sample's name lookup may take in all: connecting, and
/// every reply. xenstored answers a read in well under a millisecond
/// (docs/toolstack.md); this only keeps a hung daemon from hanging the
/// tool or its Prometheus timer.
pub const NAMES_TIMEOUT: Duration = Duration::from_secs(2);

/// A lookup thread is running (the live one: [`read`]).
static IN_FLIGHT: AtomicBool = AtomicBool::new(false);

/// Each domain's name, in `domids`' order, `None` where xenstore has
/// none; from xenstored, within [`NAMES_TIMEOUT`].
pub(super) fn read(domids: &[DomId]) -> xenstore::Result<Vec<Option<String>>> {
    read_within(domids, NAMES_TIMEOUT, &IN_FLIGHT, Xenstore::open)
}

/// [`read`] with its parts given: the time budget, the flag that says a
/// lookup thread is still running, and how to connect.
fn read_within<F>(
    domids: &[DomId],
    budget: Duration,
    in_flight: &'static AtomicBool,
    open: F,
) -> xenstore::Result<Vec<Option<String>>>
where
    F: FnOnce() -> xenstore::Result<Xenstore> + Send + 'static,
{
    let timeout = xenstore::Error::Timeout {
        path: XENSTORED_SOCKET,
    };
    if in_flight.swap(true, Ordering::AcqRel) {
        // The previous sample's lookup is still stuck connecting.
        return Err(timeout);
    }
    let deadline = Instant::now() + budget;
    let ids = domids.to_vec();
    let (tx, rx) = mpsc::channel();
    let spawned = thread::Builder::new()
        .name("xenstore".into())
        .spawn(move || {
            let got = lookup(&ids, deadline, open);
            in_flight.store(false, Ordering::Release);
            // The sample may have stopped waiting: nobody to tell.
            let _ = tx.send(got);
        });
    if let Err(e) = spawned {
        in_flight.store(false, Ordering::Release);
        return Err(xenstore::Error::Io {
            path: XENSTORED_SOCKET,
            kind: e.kind(),
            what: format!("cannot start the lookup thread: {e}"),
        });
    }
    // A little past the deadline, so a reply timeout inside the thread
    // (which says where) wins over this one.
    match rx.recv_timeout(budget + Duration::from_millis(100)) {
        Ok(got) => got,
        Err(_) => Err(timeout),
    }
}

/// One connection, one `XS_READ` per domain, each reply waited for only
/// until `deadline`.
fn lookup<F>(ids: &[DomId], deadline: Instant, open: F) -> xenstore::Result<Vec<Option<String>>>
where
    F: FnOnce() -> xenstore::Result<Xenstore>,
{
    let mut xs = open()?;
    let mut names = Vec::with_capacity(ids.len());
    for &domid in ids {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(xenstore::Error::Timeout { path: xs.path() });
        }
        xs.set_reply_timeout(left)?;
        names.push(xs.domain_name(u32::from(domid))?);
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;

    /// A xenstored on a socketpair that answers `XS_READ` of
    /// `/local/domain/<id>/name` from `names` (`ENOENT` otherwise), or, with
    /// `silent`, reads requests and never answers.
    fn daemon(names: &'static [(u16, &'static str)], silent: bool) -> Xenstore {
        let (client, mut server) = UnixStream::pair().unwrap();
        thread::spawn(move || loop {
            let mut h = [0u8; xenstore::SOCKMSG_SIZE];
            if server.read_exact(&mut h).is_err() {
                return;
            }
            let req = xenstore::SockMsg::from_bytes(&h);
            let mut path = vec![0u8; req.len as usize];
            server.read_exact(&mut path).unwrap();
            if silent {
                continue;
            }
            let path = String::from_utf8_lossy(&path[..path.len() - 1]).into_owned();
            let (msg_type, body) = match names
                .iter()
                .find(|(d, _)| path == format!("/local/domain/{d}/name"))
            {
                Some((_, n)) => (xenstore::XS_READ, n.as_bytes().to_vec()),
                None => (xenstore::XS_ERROR, b"ENOENT\0".to_vec()),
            };
            let reply = xenstore::SockMsg {
                msg_type,
                req_id: req.req_id,
                tx_id: 0,
                len: body.len() as u32,
            };
            let _ = server.write_all(&reply.to_bytes());
            let _ = server.write_all(&body);
        });
        Xenstore::from_socket(client, "fake xenstored").unwrap()
    }

    fn flag() -> &'static AtomicBool {
        Box::leak(Box::new(AtomicBool::new(false)))
    }

    #[test]
    fn names_in_order_and_missing_ones_none() {
        let xs = daemon(&[(0, "Domain-0"), (3, "g1")], false);
        let got = read_within(&[0, 3, 7], NAMES_TIMEOUT, flag(), move || Ok(xs)).unwrap();
        assert_eq!(got, [Some("Domain-0".into()), Some("g1".into()), None]);
    }

    #[test]
    fn no_xenstored_is_unavailable_at_once() {
        let t = Instant::now();
        let e = read_within(&[0], NAMES_TIMEOUT, flag(), || {
            Err(xenstore::Error::Unavailable {
                socket: std::io::ErrorKind::NotFound,
                device: None,
            })
        })
        .unwrap_err();
        assert!(matches!(e, xenstore::Error::Unavailable { .. }), "{e}");
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    }

    /// A daemon that accepted and never answers: the whole lookup, not
    /// each reply, is bounded by the budget.
    #[test]
    fn a_silent_daemon_costs_the_budget_once() {
        let xs = daemon(&[], true);
        let budget = Duration::from_millis(200);
        let t = Instant::now();
        let ids: Vec<DomId> = (0..50).collect();
        let e = read_within(&ids, budget, flag(), move || Ok(xs)).unwrap_err();
        assert!(matches!(e, xenstore::Error::Timeout { .. }), "{e}");
        let took = t.elapsed();
        assert!(took >= budget && took < budget * 3, "{took:?}");
    }

    /// `connect()` blocked (a stuck daemon's full backlog): the sample
    /// gives up after the budget, and the next one does not start a
    /// second lookup while the first is stuck.
    #[test]
    fn a_blocked_connect_is_abandoned_and_not_repeated() {
        let in_flight = flag();
        let (release, blocked) = mpsc::channel::<()>();
        let budget = Duration::from_millis(100);
        let t = Instant::now();
        let e = read_within(&[0], budget, in_flight, move || {
            let _ = blocked.recv();
            Err(xenstore::Error::Timeout { path: "test" })
        })
        .unwrap_err();
        assert_eq!(
            e,
            xenstore::Error::Timeout {
                path: XENSTORED_SOCKET
            }
        );
        assert!(t.elapsed() < budget * 5, "{:?}", t.elapsed());
        let t = Instant::now();
        let again = read_within(&[0], budget, in_flight, || -> xenstore::Result<Xenstore> {
            panic!("a second lookup started while the first is stuck")
        });
        assert!(matches!(again, Err(xenstore::Error::Timeout { .. })));
        assert!(t.elapsed() < budget, "{:?}", t.elapsed());
        // Unblocked, the first thread finishes and clears the flag.
        drop(release);
        let t = Instant::now();
        while in_flight.load(Ordering::Acquire) {
            assert!(t.elapsed() < Duration::from_secs(5));
            thread::sleep(Duration::from_millis(1));
        }
        let xs = daemon(&[(0, "Domain-0")], false);
        let got = read_within(&[0], budget, in_flight, move || Ok(xs)).unwrap();
        assert_eq!(got, [Some("Domain-0".into())]);
    }
}
