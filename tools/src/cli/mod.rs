// SPDX-License-Identifier: GPL-2.0-only
//! The `xen-numastat` command: arguments (args.rs), the hypercalls of a
//! sample and its domain names (source.rs, names.rs) with the fallbacks a
//! stock Xen needs (sample.rs), output (output.rs and the format
//! modules), exit code (exit.rs); here, the run loop.

pub mod args;
pub mod exit;
#[cfg(test)]
pub mod flags;
pub mod json;
pub mod model;
mod names;
mod output;
pub mod prom;
pub mod render;
mod sample;
mod source;
pub mod table;
pub mod usage;
pub mod watch;

use args::{Command, Format, Options};
use exit::{EXIT_OK, EXIT_USAGE};
use output::{render, Out};
use sample::sample;
use source::Source;
use std::ffi::OsString;
use std::io::Write;
use std::time::Instant;
use xen_numastat_tools::Xen;

use usage::{help, version, PROG};

fn run_sampling(src: &impl Source, o: &Options, io: &mut Out<'_>) -> u8 {
    let width = match o.table.width {
        Some(0) => None,
        Some(w) => Some(w),
        None => xen_numastat_tools::term::width(),
    };
    let count = o.watch.map_or(Some(1), |w| w.count);
    let start = Instant::now();
    let mut before: Option<watch::Figures> = None;
    let mut names_said: Option<String> = None;
    let mut n: u64 = 0;
    loop {
        n += 1;
        let mut notes = Vec::new();
        let fetched = sample(src, o, &mut notes);
        // Names unavailable: one note for a table, in watch mode again
        // only after they were back or for another reason. JSON and
        // Prometheus say it in the document (their readers are programs,
        // and the timer would log it every minute).
        match fetched.as_ref().map(|(snap, _)| &snap.names) {
            Ok(model::Names::Unavailable { why, hint })
                if o.format == Format::Table && names_said.as_ref() != Some(why) =>
            {
                notes.push(format!("{why}; {hint}"));
                names_said = Some(why.clone());
            }
            Ok(model::Names::Read) => names_said = None,
            _ => {}
        }
        io.notes(&mut notes);
        let (snap, deferred) = match fetched {
            Ok(x) => x,
            Err(e) => return io.error(&e),
        };
        let text = if o.format == Format::Table && before.is_some() {
            let after = watch::figures(&snap);
            let lines = watch::changes(before.as_ref().unwrap_or(&after), &after, &o.table);
            let t = watch::block(n, start.elapsed().as_secs_f64(), &lines, &o.table);
            before = Some(after);
            t
        } else {
            if o.watch.is_some() && o.format == Format::Table {
                before = Some(watch::figures(&snap));
            }
            let mut t = match render(&snap, o, width, o.watch.is_some()) {
                Ok(t) => t,
                Err(msg) => {
                    let _ = writeln!(io.err, "{PROG}: {msg}");
                    return EXIT_USAGE;
                }
            };
            if o.watch.is_some() && o.format == Format::Seed && n > 1 {
                t.insert(0, '\n');
            }
            t
        };
        if let Err(code) = io.emit(&text) {
            return code;
        }
        if let Some(e) = deferred {
            return io.error(&e);
        }
        let mismatched: Vec<u32> = snap
            .domains
            .iter()
            .flatten()
            .filter(|d| {
                d.verify
                    .as_ref()
                    .is_some_and(|(c, w)| !render::verify_diffs(c, w).is_empty())
            })
            .map(|d| d.domid())
            .collect();
        if !mismatched.is_empty() {
            let _ = writeln!(
                io.err,
                "{PROG}: counters and walk differ for domain(s) {mismatched:?}; run again on a \
                 quiet domain, and if they still differ, report it with Xen's log (xl dmesg)"
            );
            return exit::EXIT_MISMATCH;
        }
        if count.is_some_and(|c| n >= c) {
            return EXIT_OK;
        }
        if let Some(w) = o.watch {
            std::thread::sleep(w.interval);
        }
    }
}

/// Runs the command line `args` (without the program name); returns the
/// exit code.
pub fn run(args: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let mut io = Out { out, err };
    let o = match args::parse(args) {
        Ok(Command::Help) => return io.emit(&help()).map_or_else(|c| c, |()| EXIT_OK),
        Ok(Command::Version) => return io.emit(&version()).map_or_else(|c| c, |()| EXIT_OK),
        Ok(Command::Show(o)) => o,
        Err(e) => {
            let _ = writeln!(io.err, "{PROG}: {e}; run '{PROG} --help' for usage");
            return EXIT_USAGE;
        }
    };
    let xen = match Xen::open() {
        Ok(x) => x,
        Err(e) => return io.error(&e),
    };
    run_sampling(&xen, &o, &mut io)
}

#[cfg(test)]
mod tests;
