// SPDX-License-Identifier: GPL-2.0-only
//! `xenstore-read-rs`: Debian's `xenstore-read` redone with this crate's
//! xenstore client, to check the client against it in a toolstack dom0
//! (docs/toolstack.md). Reads each PATH (with `-n DOMID`: that domain's name)
//! and prints one line per argument, `PATH=VALUE` or `PATH: none` (ENOENT).
//! `--xenbus` first skips xenstored's socket and talks through Linux's
//! `/dev/xen/xenbus`, the path a guest has (even in dom0, where
//! `Xenstore::open()` does not try it):
//!
//! ```sh
//! xenstore-read-rs /local/domain/1/name -n 0 -n 1 -n 99
//! xenstore-read-rs --xenbus -n 0
//! ```
use std::os::unix::fs::OpenOptionsExt;
use std::process::ExitCode;
use xen_numastat_tools::xenstore::{Xenstore, XENBUS_DEVICE};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1).peekable();
    let opened = if args.peek().map(String::as_str) == Some("--xenbus") {
        args.next();
        // O_NONBLOCK, as Xenstore::open() does, so the reply timeout holds.
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(XENBUS_DEVICE)
            .map(|f| Xenstore::from_device(f, XENBUS_DEVICE))
            .map_err(|e| format!("cannot open {XENBUS_DEVICE}: {e}"))
    } else {
        Xenstore::open().map_err(|e| format!("{e}; {}", e.hint()))
    };
    let mut xs = match opened {
        Ok(xs) => xs,
        Err(e) => {
            eprintln!("xenstore-read-rs: {e}");
            return ExitCode::from(4);
        }
    };
    eprintln!("xenstore-read-rs: connected to {}", xs.path());
    while let Some(arg) = args.next() {
        let (label, value) = if arg == "-n" {
            let Some(domid) = args.next().and_then(|d| d.parse::<u32>().ok()) else {
                eprintln!("xenstore-read-rs: -n needs a domid");
                return ExitCode::from(2);
            };
            (format!("name of {domid}"), xs.domain_name(domid))
        } else {
            (arg.clone(), xs.read(&arg))
        };
        match value {
            Ok(Some(v)) => println!("{label}={v}"),
            Ok(None) => println!("{label}: none"),
            Err(e) => {
                eprintln!("xenstore-read-rs: {label}: {e}; {}", e.hint());
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
