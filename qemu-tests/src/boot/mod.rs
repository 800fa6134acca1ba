// SPDX-License-Identifier: GPL-2.0-only
//! One boot: spawn QEMU, read the serial console until dom0's `/init` says
//! `@@XNS DONE` (or a deadline passes, or something crashes), always kill
//! QEMU, and parse what came out.
//!
//! The pieces: `qemu` (the QEMU process and the boot's temp dir),
//! `console` (reading the serial console with deadlines), `keys` (debug
//! keys pressed on it), `demux` (the serial log taken apart into Xen's
//! lines and dom0's framed command output), `log` (tails and saved logs),
//! `result` (what a boot hands back).

mod console;
mod demux;
mod keys;
mod log;
mod qemu;
mod result;
mod toolstack;

use std::time::{Duration, Instant};

use crate::initramfs;
use crate::{Artifacts, Error, Topology, XenImage};
use console::Console;
use demux::demux;
use log::{save_log, tail};
use qemu::{Qemu, TempDir};

pub use log::shell_words;
pub use qemu::QEMU;
pub use result::{BootResult, CommandResult, KeyPress};
pub use toolstack::{boot_toolstack, toolstack_initramfs};

/// Lines of serial log shown in errors and failed assertions.
pub(crate) const TAIL_LINES: usize = 80;

/// After a crash message, how long to keep reading (the backtrace follows).
const CRASH_GRACE: Duration = Duration::from_secs(2);

/// How to run a boot.
#[derive(Debug, Clone)]
pub struct BootOptions {
    /// From QEMU's start to `@@XNS DONE`.
    pub timeout: Duration,
    /// Print the QEMU command line to stderr and each serial line to stdout
    /// as it arrives.
    pub echo: bool,
    /// Where the inputs are and where logs go.
    pub artifacts: Artifacts,
}

impl Default for BootOptions {
    fn default() -> Self {
        BootOptions {
            timeout: Duration::from_secs(120),
            echo: false,
            artifacts: Artifacts::default(),
        }
    }
}

/// Boots `topo` with default options and this timeout.
pub fn boot(topo: &Topology, timeout: Duration) -> Result<BootResult, Error> {
    boot_with(
        topo,
        &BootOptions {
            timeout,
            ..BootOptions::default()
        },
    )
}

/// Boots `topo`. Returns once dom0 printed `@@XNS DONE`; fails (with the tail
/// of the serial log, and the full log written under `build/logs/`) if QEMU
/// exits first, something crashes, or `opts.timeout` passes. QEMU is killed
/// in every case.
pub fn boot_with(topo: &Topology, opts: &BootOptions) -> Result<BootResult, Error> {
    topo.validate()?;
    boot_initramfs(topo, opts, |dir| {
        initramfs::build(topo, &opts.artifacts, dir)
    })
}

/// [`boot_with`] with dom0's initramfs made by `make_initramfs` in the
/// boot's temp directory (the busybox one, or the toolstack host's).
pub(crate) fn boot_initramfs(
    topo: &Topology,
    opts: &BootOptions,
    make_initramfs: impl FnOnce(&std::path::Path) -> Result<std::path::PathBuf, Error>,
) -> Result<BootResult, Error> {
    let a = &opts.artifacts;
    let xen = a.xen(&topo.xen);
    let what = match topo.xen {
        XenImage::Patched => "patched Xen image (debug)",
        XenImage::Release => "patched Xen image (release)",
        XenImage::Flask => "patched Xen image (FLASK)",
        XenImage::Stock => "stock Xen image",
        XenImage::Path(_) => "Xen image",
    };
    Artifacts::require(&xen, what)?;
    Artifacts::require(&a.dom0_kernel, "dom0 kernel")?;
    let tmp = TempDir::new()?;
    let initramfs = make_initramfs(tmp.path())?;
    let args = topo.qemu_args(&xen, &a.dom0_kernel, &initramfs)?;
    if opts.echo {
        eprintln!("+ {QEMU} {}", shell_words(&args));
    }

    let started = Instant::now();
    let mut qemu = Qemu::spawn(&args)?;
    let mut con = Console {
        rx: qemu.lines.take().expect("spawn sets lines"),
        stdin: qemu.child.stdin.take(),
        log: Vec::new(),
        echo: opts.echo,
        started,
        time_to_init: None,
        crash: None,
        last_milestone: "QEMU started",
    };
    let outcome = con.drive(topo, started + opts.timeout, opts.timeout);
    let outcome = match outcome {
        Err(what) if con.crash.is_some() => {
            con.drain(Instant::now() + CRASH_GRACE);
            Err(what)
        }
        o => o,
    };
    let qemu_stderr = qemu.kill_and_stderr();
    drop(tmp);

    let (key_presses, elapsed) = match outcome {
        Ok(k) => k,
        Err(what) => {
            let log_path = save_log(&a.logs_dir, &topo.name(), &args, &con.log, &qemu_stderr).ok();
            return Err(Error::Boot {
                what: if topo.xen_args.is_empty() {
                    format!("{}: {what}", topo.name())
                } else {
                    format!("{} ({}): {what}", topo.name(), shell_words(&topo.xen_args))
                },
                log_path,
                tail: tail(&con.log, TAIL_LINES, &qemu_stderr),
            });
        }
    };

    let d = demux(&con.log);
    let commands = topo
        .commands
        .iter()
        .enumerate()
        .map(|(i, c)| CommandResult {
            name: topo.command_name(i).map(str::to_string),
            ..d.command(i, c)
        })
        .collect();
    Ok(BootResult {
        topology: topo.clone(),
        qemu_args: args,
        commands,
        key_presses,
        privcmd_loaded: d.privcmd_loaded,
        time_to_init: con.time_to_init,
        elapsed,
        qemu_stderr,
        xen_lines: d.xen,
        serial_log: con.log,
        logs_dir: a.logs_dir.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_dom0_program_fails_before_qemu_starts() {
        let tmp = TempDir::new().unwrap();
        let dummy = tmp.path().join("dummy");
        std::fs::write(&dummy, b"x").unwrap();
        let mut a = Artifacts::from_root(tmp.path());
        a.xen_stock = dummy.clone();
        a.dom0_kernel = dummy.clone();
        a.privcmd_ko = dummy;
        a.busybox = "/bin/busybox".into();
        if !a.busybox.is_file() {
            return;
        }
        let topo = Topology::two_nodes().stock().run("xen-numastat -H");
        let opts = BootOptions {
            artifacts: a,
            ..BootOptions::default()
        };
        match boot_with(&topo, &opts) {
            Err(Error::Artifact(m)) => assert!(m.contains("needs xen-numastat"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
