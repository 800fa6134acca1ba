// SPDX-License-Identifier: GPL-2.0-only
//! Where the output goes (stdout, notes and errors on stderr) and how one
//! sample is rendered in the format asked for.

use super::args::{Format, Options};
use super::exit::{exit_code, EXIT_INTERNAL};
use super::model::{self, Snapshot};
use super::sample::lacks;
use super::usage::PROG;
use super::{json, prom, table};
use std::io::{ErrorKind, Write};
use xen_numastat_abi::XEN_SYSCTL_NUMA_GETDOMNODESTAT;
use xen_numastat_tools::Error;

/// Where output goes, and whether it still can.
pub(super) struct Out<'a> {
    pub(super) out: &'a mut dyn Write,
    pub(super) err: &'a mut dyn Write,
}

impl Out<'_> {
    /// Writes `text`; `Err(code)` if stdout is gone.
    pub(super) fn emit(&mut self, text: &str) -> core::result::Result<(), u8> {
        match self
            .out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush())
        {
            Ok(()) => Ok(()),
            // The reader went away (| head): nothing left to tell anyone.
            Err(e) if e.kind() == ErrorKind::BrokenPipe => Err(EXIT_INTERNAL),
            Err(e) => {
                let _ = writeln!(
                    self.err,
                    "{PROG}: cannot write the output ({e}); check where standard output goes"
                );
                Err(EXIT_INTERNAL)
            }
        }
    }

    pub(super) fn notes(&mut self, notes: &mut Vec<String>) {
        for note in notes.drain(..) {
            let _ = writeln!(self.err, "{PROG}: note: {note}");
        }
    }

    pub(super) fn error(&mut self, e: &Error) -> u8 {
        let _ = writeln!(self.err, "{PROG}: {e}; {}", hint(e));
        exit_code(e)
    }
}

/// What to do about `e`, for this command.
pub(super) fn hint(e: &Error) -> &'static str {
    if lacks(e, XEN_SYSCTL_NUMA_GETDOMNODESTAT) {
        "per-domain placement (-d) needs the patched hypervisor: boot a Xen 4.17 built \
         with the xen-numastat patch series (-p, -H and -d free work on this one)"
    } else {
        e.hint()
    }
}

/// Renders one sample in `o`'s format.
pub(super) fn render(
    snap: &Snapshot,
    o: &Options,
    width: Option<usize>,
    line_json: bool,
) -> core::result::Result<String, String> {
    Ok(match o.format {
        Format::Seed => super::render::seed(snap),
        Format::Json => json::render(snap, !line_json),
        Format::Prometheus => prom::render(snap),
        Format::Table => super::render::tables(snap, &o.table, width).map_err(|table::NoSuchColumn(n)| {
            let nodes = model::node_list(&snap.nodes());
            format!("-s {n}: node {n} is not online (online nodes: {nodes}); sort by one of them, or by Total with -s")
        })?,
    })
}
