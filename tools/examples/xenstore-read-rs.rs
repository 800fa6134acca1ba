// SPDX-License-Identifier: GPL-2.0-only
//! `xenstore-read-rs`: Debian's `xenstore-read` redone with this crate's
//! xenstore client, to check the client against it in a toolstack dom0
//! (docs/toolstack.md). Reads each PATH (with `-n DOMID`: that domain's name)
//! and prints one line per argument, `PATH=VALUE` or `PATH: none` (ENOENT):
//!
//! ```sh
//! xenstore-read-rs /local/domain/1/name -n 0 -n 1 -n 99
//! ```
use std::process::ExitCode;
use xen_numastat_tools::xenstore::Xenstore;

fn main() -> ExitCode {
    let mut xs = match Xenstore::open() {
        Ok(xs) => xs,
        Err(e) => {
            eprintln!("xenstore-read-rs: {e}; {}", e.hint());
            return ExitCode::from(4);
        }
    };
    eprintln!("xenstore-read-rs: connected to {}", xs.path());
    let mut args = std::env::args().skip(1);
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
