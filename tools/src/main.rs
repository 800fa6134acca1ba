// SPDX-License-Identifier: GPL-2.0-only
//! `xen-numastat`: free memory of a Xen host by NUMA node and allocator
//! zone, for dom0. Flags follow the 2006 tool (`-H`, `-p`, seed output);
//! see `xen-numastat --help` and [`cli::usage::USAGE`].
#![forbid(unsafe_code)]

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let code = cli::run(args, &mut std::io::stdout().lock(), &mut std::io::stderr());
    ExitCode::from(code)
}
