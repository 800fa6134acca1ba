// SPDX-License-Identifier: GPL-2.0-only
//! What a boot hands back: each dom0 command's result, the debug keys'
//! output, Xen's lines, and the serial log for failed assertions.

use std::fmt::Display;
use std::path::PathBuf;
use std::time::Duration;

use super::log::{save_log, tail};
use super::TAIL_LINES;
use crate::parse::{self, FakeNode, SratRange};
use crate::Topology;

/// One dom0 command's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandResult {
    /// Its position in [`Topology::commands`].
    pub index: usize,
    /// Its name, if it was added with [`Topology::run_named`].
    pub name: Option<String>,
    /// The shell command.
    pub command: String,
    /// Its stdout and stderr lines, in order, without the framing.
    pub output: Vec<String>,
    /// Its exit status; `None` if the `@@XNS END` line was lost.
    pub rc: Option<i32>,
    /// Every output line arrived whole (lengths and count match what dom0
    /// sent, after repairing lines Xen printed into).
    pub framing_intact: bool,
}

impl CommandResult {
    /// Exited with 0.
    pub fn ok(&self) -> bool {
        self.rc == Some(0)
    }

    /// The output as one string, a newline after each line.
    pub fn text(&self) -> String {
        self.output.iter().map(|l| format!("{l}\n")).collect()
    }
}

/// The output of one debug key pressed on the serial console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPress {
    /// The key.
    pub key: char,
    /// Xen's lines after the key was pressed, `(XEN) ` removed.
    pub xen_lines: Vec<String>,
}

impl KeyPress {
    /// The lines joined with newlines, for the [`crate::parse`] functions.
    pub fn text(&self) -> String {
        self.xen_lines.iter().map(|l| format!("{l}\n")).collect()
    }
}

/// What a boot that reached `@@XNS DONE` produced.
#[derive(Debug, Clone)]
pub struct BootResult {
    /// The VM that ran.
    pub topology: Topology,
    /// QEMU's arguments.
    pub qemu_args: Vec<String>,
    /// Every serial line as received (`\r` removed).
    pub serial_log: Vec<String>,
    /// One per [`Topology::commands`], in order.
    pub commands: Vec<CommandResult>,
    /// One per [`Topology::serial_keys`] character.
    pub key_presses: Vec<KeyPress>,
    /// `insmod xen-privcmd.ko` succeeded.
    pub privcmd_loaded: bool,
    /// From QEMU's start to dom0's `/init` running.
    pub time_to_init: Option<Duration>,
    /// From QEMU's start to `@@XNS DONE`.
    pub elapsed: Duration,
    /// QEMU's stderr.
    pub qemu_stderr: String,
    pub(super) xen_lines: Vec<String>,
    pub(super) logs_dir: PathBuf,
}

impl BootResult {
    /// Xen's own console lines (those that began `(XEN) `), prefix removed,
    /// including lines Xen printed into the middle of a dom0 line.
    pub fn xen_lines(&self) -> &[String] {
        &self.xen_lines
    }

    /// Xen's lines joined with newlines, for the [`crate::parse`] functions.
    pub fn xen_text(&self) -> String {
        self.xen_lines.iter().map(|l| format!("{l}\n")).collect()
    }

    /// The result of the command named `name` ([`Topology::run_named`]).
    /// Fails the test, with the serial log, if no command has that name.
    #[track_caller]
    pub fn command(&self, name: &str) -> &CommandResult {
        match self
            .topology
            .command_index(name)
            .and_then(|i| self.commands.get(i))
        {
            Some(c) => c,
            None => self.fail(format!(
                "no dom0 command named {name:?} (named: {:?})",
                self.topology
                    .command_names
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
            )),
        }
    }

    /// The first command whose string is `command`.
    pub fn output_of(&self, command: &str) -> Option<&CommandResult> {
        self.commands.iter().find(|c| c.command == command)
    }

    /// The commands that did not exit with 0.
    pub fn failed_commands(&self) -> Vec<&CommandResult> {
        self.commands.iter().filter(|c| !c.ok()).collect()
    }

    /// The output of the first press of `key`.
    pub fn key_output(&self, key: char) -> Option<&KeyPress> {
        self.key_presses.iter().find(|k| k.key == key)
    }

    /// `N` from Xen's `Domain heap initialised DMA width N bits`.
    pub fn dma_width_bits(&self) -> Option<u32> {
        parse::dma_width_bits(&self.xen_text())
    }

    /// Xen's `SRAT: Node N PXM P [start, end]` lines.
    pub fn srat_ranges(&self) -> Vec<SratRange> {
        parse::srat_ranges(&self.xen_text())
    }

    /// Nodes of Xen's `SRAT: node N has no memory` lines.
    pub fn srat_memoryless_nodes(&self) -> Vec<u32> {
        parse::srat_memoryless_nodes(&self.xen_text())
    }

    /// Nodes Xen set up without SRAT: `Faking node N at S-E` (`numa=fake=`)
    /// or `Faking a node at S-E` (one node, as node 0).
    pub fn fake_nodes(&self) -> Vec<FakeNode> {
        parse::fake_nodes(&self.xen_text())
    }

    /// Xen's `NUMA turned off` / `No NUMA configuration found` line, if any.
    pub fn numa_fallback(&self) -> Option<String> {
        parse::numa_fallback(&self.xen_text())
    }

    /// One line saying what was booted and how long it took: the VM, the
    /// Xen image QEMU loaded (`-kernel`), and the times to dom0's `/init`
    /// and to the end. Tests print it so a run's log names every boot.
    pub fn summary(&self) -> String {
        let image = self
            .qemu_args
            .windows(2)
            .find(|w| w[0] == "-kernel")
            .map_or("?", |w| w[1].as_str());
        let init = self
            .time_to_init
            .map_or("-".to_string(), |t| format!("{:.1} s", t.as_secs_f64()));
        format!(
            "booted {} ({:?}, {image}): dom0 /init at {init}, done at {:.1} s",
            self.topology.name(),
            self.topology.xen,
            self.elapsed.as_secs_f64()
        )
    }

    /// The last `n` serial lines.
    pub fn log_tail(&self, n: usize) -> String {
        tail(&self.serial_log, n, &self.qemu_stderr)
    }

    /// Writes the full serial log under the logs directory and returns its path.
    pub fn save_log(&self) -> std::io::Result<PathBuf> {
        save_log(
            &self.logs_dir,
            &self.topology.name(),
            &self.qemu_args,
            &self.serial_log,
            &self.qemu_stderr,
        )
    }

    /// Panics with `msg`, the tail of the serial log and the path of the full
    /// log (written now). For assertions in tests.
    #[track_caller]
    pub fn fail(&self, msg: impl Display) -> ! {
        let path = match self.save_log() {
            Ok(p) => p.display().to_string(),
            Err(e) => format!("(could not be written: {e})"),
        };
        panic!(
            "{msg}\nVM: {}\nfull serial log: {path}\n{}",
            self.topology.name(),
            self.log_tail(TAIL_LINES)
        )
    }

    /// [`BootResult::fail`] unless `cond`.
    #[track_caller]
    pub fn check(&self, cond: bool, msg: impl Display) {
        if !cond {
            self.fail(msg)
        }
    }

    /// [`BootResult::fail`] unless every command exited 0 with intact output.
    #[track_caller]
    pub fn expect_all_ok(&self) {
        for c in &self.commands {
            if !c.ok() || !c.framing_intact {
                self.fail(format!(
                    "dom0 command {} ({}) {:?} exited {:?} (framing intact: {}); output:\n{}",
                    c.index,
                    c.name.as_deref().unwrap_or("unnamed"),
                    c.command,
                    c.rc,
                    c.framing_intact,
                    c.text()
                ));
            }
        }
    }
}
