// SPDX-License-Identifier: GPL-2.0-only
//! The serial console of a running boot: lines with deadlines, milestones
//! and crash messages, until dom0's `/init` says `@@XNS DONE`.

use std::io::Write;
use std::process::ChildStdin;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::KeyPress;
use crate::initramfs::FRAME;
use crate::Topology;

/// Console lines that mean the boot cannot reach `@@XNS DONE`.
const CRASH_MARKERS: &[&str] = &[
    "Panic on CPU",
    "Kernel panic - not syncing",
    "Hardware Dom0 crashed",
    "Hardware Dom0 halted",
    "Hardware Dom0 shutdown",
    "Attempted to kill init",
];

pub(super) enum Next {
    Line,
    Timeout,
    Eof,
}

/// The serial console of a running boot.
pub(super) struct Console {
    pub(super) rx: Receiver<Option<String>>,
    pub(super) stdin: Option<ChildStdin>,
    pub(super) log: Vec<String>,
    pub(super) echo: bool,
    pub(super) started: Instant,
    pub(super) time_to_init: Option<Duration>,
    pub(super) crash: Option<String>,
    pub(super) last_milestone: &'static str,
}

impl Console {
    /// Waits until `until` for the next line and appends it to the log.
    pub(super) fn next(&mut self, until: Instant) -> Next {
        let wait = until.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(wait) {
            Ok(Some(line)) => {
                if self.echo {
                    println!("{line}");
                }
                self.note(&line);
                self.log.push(line);
                Next::Line
            }
            Ok(None) | Err(RecvTimeoutError::Disconnected) => Next::Eof,
            Err(RecvTimeoutError::Timeout) => Next::Timeout,
        }
    }

    pub(super) fn last(&self) -> &str {
        self.log.last().map(String::as_str).unwrap_or("")
    }

    /// Tracks milestones and crashes.
    fn note(&mut self, line: &str) {
        if self.crash.is_none() && CRASH_MARKERS.iter().any(|m| line.contains(m)) {
            self.crash = Some(line.to_string());
        }
        if line.starts_with("(XEN) ") && self.last_milestone == "QEMU started" {
            self.last_milestone = "Xen started";
        } else if line.contains("*** Building a PV Dom0") {
            self.last_milestone = "Xen building dom0";
        } else if line.contains("Linux version") {
            self.last_milestone = "dom0 kernel started";
        } else if line.contains("@@XNS INIT") {
            self.last_milestone = "dom0 /init running";
            self.time_to_init = Some(self.started.elapsed());
        } else if line.contains("@@XNS BEGIN") {
            self.last_milestone = "dom0 running a command";
        } else if line.contains("@@XNS KEYS") {
            self.last_milestone = "pressing debug keys";
        }
    }

    pub(super) fn drain(&mut self, until: Instant) {
        while let Next::Line = self.next(until) {}
    }

    pub(super) fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        let stdin = self.stdin.as_mut().ok_or("QEMU's stdin is closed")?;
        stdin
            .write_all(bytes)
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("cannot write to QEMU's serial input: {e}"))
    }

    /// Reads lines until one satisfies `pred`.
    pub(super) fn wait_for(
        &mut self,
        pred: impl Fn(&str) -> bool,
        until: Instant,
        what: &str,
    ) -> Result<(), String> {
        loop {
            match self.next(until) {
                Next::Line if self.crash.is_some() => return Err(self.crashed()),
                Next::Line if pred(self.last()) => return Ok(()),
                Next::Line => {}
                Next::Timeout => return Err(format!("timed out waiting for {what}")),
                Next::Eof => return Err(format!("QEMU exited while waiting for {what}")),
            }
        }
    }

    pub(super) fn crashed(&self) -> String {
        format!(
            "crashed after `{}`: {}",
            self.last_milestone,
            self.crash.as_deref().unwrap_or("")
        )
    }

    /// Runs the boot to `@@XNS DONE`; returns the key presses and the time.
    pub(super) fn drive(
        &mut self,
        topo: &Topology,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<(Vec<KeyPress>, Duration), String> {
        let mut keys = Vec::new();
        loop {
            match self.next(deadline) {
                Next::Timeout => {
                    return Err(format!(
                        "no `@@XNS DONE` within {}s; last milestone: {}",
                        timeout.as_secs(),
                        self.last_milestone
                    ))
                }
                Next::Eof => {
                    return Err(format!(
                        "QEMU exited before dom0 printed `@@XNS DONE`; last milestone: {}",
                        self.last_milestone
                    ))
                }
                Next::Line => {}
            }
            if self.crash.is_some() {
                return Err(self.crashed());
            }
            let frame = self
                .last()
                .find(FRAME)
                .map(|p| self.last()[p + FRAME.len()..].trim_end());
            match frame {
                // The toolstack dom0 adds its uptime: `@@XNS DONE 52.31`.
                // Xen's console can finish the line before dom0's newline
                // arrives (`@@XNS DONE(XEN) avc: denied ...`, seen in the
                // XSM test on a loaded host).
                Some(f) if f == "DONE" || f.starts_with("DONE ") || f.starts_with("DONE(XEN)") => {
                    return Ok((keys, self.started.elapsed()))
                }
                Some("KEYS") => keys = self.press_keys(&topo.serial_keys, deadline)?,
                _ => {}
            }
        }
    }
}
