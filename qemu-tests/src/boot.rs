//! One boot: spawn QEMU, read the serial console until dom0's `/init` says
//! `@@XNS DONE` (or a deadline passes, or something crashes), always kill
//! QEMU, and parse what came out.

use std::fmt::Display;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::initramfs::{self, FRAME};
use crate::parse::{self, SratRange};
use crate::{Artifacts, Error, Topology, XenImage};

/// The QEMU program.
pub const QEMU: &str = "qemu-system-x86_64";

/// Lines of serial log shown in errors and failed assertions.
const TAIL_LINES: usize = 80;

/// After a crash message, how long to keep reading (the backtrace follows).
const CRASH_GRACE: Duration = Duration::from_secs(2);

/// A debug key's output has ended when Xen has printed nothing for this long.
const KEY_QUIET: Duration = Duration::from_millis(1500);

/// How long a debug key may take to print its first line.
const KEY_FIRST_LINE: Duration = Duration::from_secs(20);

/// Console lines that mean the boot cannot reach `@@XNS DONE`.
const CRASH_MARKERS: &[&str] = &[
    "Panic on CPU",
    "Kernel panic - not syncing",
    "Hardware Dom0 crashed",
    "Hardware Dom0 halted",
    "Hardware Dom0 shutdown",
    "Attempted to kill init",
];

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

/// One dom0 command's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandResult {
    /// Its position in [`Topology::commands`].
    pub index: usize,
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
    xen_lines: Vec<String>,
    logs_dir: PathBuf,
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

    /// Command `i`'s result.
    pub fn command(&self, i: usize) -> &CommandResult {
        &self.commands[i]
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

    /// Xen's `NUMA turned off` / `No NUMA configuration found` line, if any.
    pub fn numa_fallback(&self) -> Option<String> {
        parse::numa_fallback(&self.xen_text())
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
                    "dom0 command {} {:?} exited {:?} (framing intact: {}); output:\n{}",
                    c.index,
                    c.command,
                    c.rc,
                    c.framing_intact,
                    c.text()
                ));
            }
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
    let a = &opts.artifacts;
    let xen = a.xen(&topo.xen);
    let what = match topo.xen {
        XenImage::Patched => "patched Xen image (debug)",
        XenImage::Release => "patched Xen image (release)",
        XenImage::Stock => "stock Xen image",
        XenImage::Path(_) => "Xen image",
    };
    Artifacts::require(&xen, what)?;
    Artifacts::require(&a.dom0_kernel, "dom0 kernel")?;
    let tmp = TempDir::new()?;
    let initramfs = initramfs::build(topo, a, tmp.path())?;
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
        .map(|(i, c)| d.command(i, c))
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

/// A running QEMU; killed when dropped.
struct Qemu {
    child: Child,
    lines: Option<Receiver<Option<String>>>,
    stderr: Option<JoinHandle<String>>,
}

impl Qemu {
    fn spawn(args: &[String]) -> Result<Self, Error> {
        let mut child = Command::new(QEMU)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::Io(format!("cannot start {QEMU} (Debian: qemu-system-x86)"), e))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let (tx, rx) = mpsc::channel();
        // Serial lines; `None` at end of file.
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match r.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let s = String::from_utf8_lossy(&buf);
                        let s = s.trim_end_matches(['\n', '\r']).to_string();
                        if tx.send(Some(s)).is_err() {
                            return;
                        }
                    }
                }
            }
            let _ = tx.send(None);
        });
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        Ok(Qemu {
            child,
            lines: Some(rx),
            stderr: Some(stderr),
        })
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn kill_and_stderr(&mut self) -> String {
        self.kill();
        self.stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        self.kill();
    }
}

enum Next {
    Line,
    Timeout,
    Eof,
}

/// The serial console of a running boot.
struct Console {
    rx: Receiver<Option<String>>,
    stdin: Option<ChildStdin>,
    log: Vec<String>,
    echo: bool,
    started: Instant,
    time_to_init: Option<Duration>,
    crash: Option<String>,
    last_milestone: &'static str,
}

impl Console {
    /// Waits until `until` for the next line and appends it to the log.
    fn next(&mut self, until: Instant) -> Next {
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

    fn last(&self) -> &str {
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

    fn drain(&mut self, until: Instant) {
        while let Next::Line = self.next(until) {}
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        let stdin = self.stdin.as_mut().ok_or("QEMU's stdin is closed")?;
        stdin
            .write_all(bytes)
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("cannot write to QEMU's serial input: {e}"))
    }

    /// Reads lines until one satisfies `pred`.
    fn wait_for(
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

    fn crashed(&self) -> String {
        format!(
            "crashed after `{}`: {}",
            self.last_milestone,
            self.crash.as_deref().unwrap_or("")
        )
    }

    /// Runs the boot to `@@XNS DONE`; returns the key presses and the time.
    fn drive(
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
                Some("DONE") => return Ok((keys, self.started.elapsed())),
                Some("KEYS") => keys = self.press_keys(&topo.serial_keys, deadline)?,
                _ => {}
            }
        }
    }

    /// Presses each debug key on the serial console (dom0 waits in `read`).
    fn press_keys(&mut self, keys: &str, deadline: Instant) -> Result<Vec<KeyPress>, String> {
        // Three CTRL-a switch serial input between dom0 and Xen
        // (xen/drivers/char/console.c, switch_serial_input()).
        const SWITCH: &[u8] = b"\x01\x01\x01";
        self.send(SWITCH)?;
        self.wait_for(
            |l| l.contains("*** Serial input to Xen"),
            deadline,
            "Xen to take serial input",
        )?;
        let mut out = Vec::new();
        for key in keys.chars() {
            let start = self.log.len();
            self.send(key.to_string().as_bytes())?;
            let first = deadline.min(Instant::now() + KEY_FIRST_LINE);
            self.wait_for(
                |l| l.starts_with("(XEN) "),
                first,
                &format!("output of debug key '{key}'"),
            )?;
            // Keys run in a tasklet, one at a time (common/keyhandler.c keeps
            // one pending key): wait for the output to end before the next.
            loop {
                let quiet = deadline.min(Instant::now() + KEY_QUIET);
                match self.next(quiet) {
                    Next::Line if self.crash.is_some() => return Err(self.crashed()),
                    Next::Line => {}
                    Next::Timeout if Instant::now() >= deadline => {
                        return Err(format!("timed out reading debug key '{key}'"))
                    }
                    Next::Timeout => break,
                    Next::Eof => return Err(format!("QEMU exited after debug key '{key}'")),
                }
            }
            let xen_lines = self.log[start..]
                .iter()
                .filter_map(|l| l.strip_prefix("(XEN) "))
                .map(str::to_string)
                .collect();
            out.push(KeyPress { key, xen_lines });
        }
        self.send(SWITCH)?;
        self.wait_for(
            |l| l.contains("*** Serial input to DOM0"),
            deadline,
            "dom0 to take serial input back",
        )?;
        self.send(b"\n")?;
        Ok(out)
    }
}

/// A per-boot directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<Self, Error> {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!(
            "xen-numastat-qemu-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p).map_err(|e| Error::Io(format!("create {}", p.display()), e))?;
        Ok(TempDir(p))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tail(log: &[String], n: usize, qemu_stderr: &str) -> String {
    let from = log.len().saturating_sub(n);
    let mut s = format!(
        "--- serial log, last {} of {} lines ---\n",
        log.len() - from,
        log.len()
    );
    for l in &log[from..] {
        s.push_str(l);
        s.push('\n');
    }
    s.push_str("--- end of serial log ---\n");
    let err = qemu_stderr.trim();
    if !err.is_empty() {
        s.push_str(&format!("--- QEMU stderr ---\n{err}\n"));
    }
    s
}

fn save_log(
    dir: &Path,
    name: &str,
    args: &[String],
    log: &[String],
    qemu_stderr: &str,
) -> std::io::Result<PathBuf> {
    static N: AtomicU32 = AtomicU32::new(0);
    std::fs::create_dir_all(dir)?;
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(format!(
        "{safe}-{secs}-{}-{}.log",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let mut text = format!("# {QEMU} {}\n", shell_words(args));
    for l in log {
        text.push_str(l);
        text.push('\n');
    }
    if !qemu_stderr.trim().is_empty() {
        text.push_str(&format!("# QEMU stderr:\n{qemu_stderr}"));
    }
    std::fs::write(&path, text)?;
    Ok(path)
}

/// Arguments quoted for a shell, for messages a person can paste.
pub fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_=,.:/+@%".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------
// Splitting the serial stream into Xen's lines and dom0's frames.

/// One `@@XNS` line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Frame {
    Privcmd(bool),
    Out {
        i: usize,
        text: String,
        intact: bool,
    },
    End {
        i: usize,
        rc: i32,
        lines: usize,
    },
    Other,
}

/// The serial log taken apart.
#[derive(Debug, Default)]
struct Demuxed {
    xen: Vec<String>,
    frames: Vec<Frame>,
    privcmd_loaded: bool,
}

impl Demuxed {
    fn command(&self, i: usize, command: &str) -> CommandResult {
        let mut output = Vec::new();
        let mut intact = true;
        let mut end = None;
        for f in &self.frames {
            match f {
                Frame::Out {
                    i: j,
                    text,
                    intact: ok,
                } if *j == i => {
                    output.push(text.clone());
                    intact &= ok;
                }
                Frame::End { i: j, rc, lines } if *j == i => end = Some((*rc, *lines)),
                _ => {}
            }
        }
        if let Some((_, lines)) = end {
            intact &= lines == output.len();
        }
        CommandResult {
            index: i,
            command: command.to_string(),
            output,
            rc: end.map(|(rc, _)| rc),
            framing_intact: intact && end.is_some(),
        }
    }
}

const XEN_PREFIX: &str = "(XEN) ";

/// Most splices one dom0 line is repaired across.
const MAX_SPLICES: usize = 8;

/// Takes the serial log apart. dom0's hvc console writes at most 16 bytes at
/// a time (N_OUTBUF in drivers/tty/hvc/hvc_console.c) and Xen prints its own
/// lines between two writes, so a dom0 line can arrive as
/// `@@XNS OUT 0 40 first par(XEN) some Xen line` + `t of the line`. OUT lines
/// carry their length: when it does not match, try to cut Xen's text out.
fn demux(log: &[String]) -> Demuxed {
    let mut d = Demuxed::default();
    let mut i = 0;
    while i < log.len() {
        let line = &log[i];
        let Some(p) = line.find(FRAME) else {
            if let Some(q) = line.find(XEN_PREFIX) {
                d.xen.push(line[q + XEN_PREFIX.len()..].to_string());
            }
            i += 1;
            continue;
        };
        let body = &line[p + FRAME.len()..];
        if let Some(rest) = body.strip_prefix("OUT ") {
            let mut parts = rest.splitn(3, ' ');
            let idx = parts.next().and_then(|s| s.parse::<usize>().ok());
            let len = parts.next().and_then(|s| s.parse::<usize>().ok());
            let text = parts.next().unwrap_or("");
            if let (Some(idx), Some(len)) = (idx, len) {
                if text.len() == len {
                    d.frames.push(Frame::Out {
                        i: idx,
                        text: text.to_string(),
                        intact: true,
                    });
                } else if let Some((whole, xen, next)) =
                    repair(log, i, String::new(), text, len, Vec::new(), 0)
                {
                    d.xen.extend(xen);
                    d.frames.push(Frame::Out {
                        i: idx,
                        text: whole,
                        intact: true,
                    });
                    i = next;
                    continue;
                } else {
                    d.frames.push(Frame::Out {
                        i: idx,
                        text: text.to_string(),
                        intact: false,
                    });
                }
            }
            i += 1;
            continue;
        }
        // Control frames never contain "(XEN) ": if one does, Xen printed
        // into it, and it goes on at the next line that is not Xen's.
        let mut body = body.to_string();
        i += 1;
        if let Some(q) = body.find(XEN_PREFIX) {
            d.xen.push(body[q + XEN_PREFIX.len()..].to_string());
            body.truncate(q);
            while i < log.len() && log[i].starts_with(XEN_PREFIX) {
                d.xen.push(log[i][XEN_PREFIX.len()..].to_string());
                i += 1;
            }
            if i < log.len() {
                body.push_str(&log[i]);
                i += 1;
            }
        }
        let f = control_frame(body.trim_end());
        if f == Frame::Privcmd(true) {
            d.privcmd_loaded = true;
        }
        d.frames.push(f);
    }
    d
}

/// Rebuilds a dom0 line of `want` bytes that starts with `acc` + `cur`
/// (`cur` being log line `j` or its tail) by cutting out Xen lines printed
/// into it. Returns the line, the Xen lines cut out, and the next log index.
fn repair(
    log: &[String],
    j: usize,
    acc: String,
    cur: &str,
    want: usize,
    xen: Vec<String>,
    depth: usize,
) -> Option<(String, Vec<String>, usize)> {
    if acc.len() + cur.len() == want {
        return Some((acc + cur, xen, j + 1));
    }
    if depth >= MAX_SPLICES {
        return None;
    }
    for (p, _) in cur.match_indices(XEN_PREFIX) {
        if acc.len() + p > want {
            break;
        }
        let mut xs = xen.clone();
        xs.push(cur[p + XEN_PREFIX.len()..].to_string());
        let mut k = j + 1;
        while k < log.len() && log[k].starts_with(XEN_PREFIX) {
            xs.push(log[k][XEN_PREFIX.len()..].to_string());
            k += 1;
        }
        let next = log.get(k)?;
        if let Some(r) = repair(log, k, acc.clone() + &cur[..p], next, want, xs, depth + 1) {
            return Some(r);
        }
    }
    None
}

fn control_frame(body: &str) -> Frame {
    let mut w = body.split(' ');
    match w.next() {
        Some("PRIVCMD") => Frame::Privcmd(w.next() == Some("ok")),
        Some("END") => {
            let i = w.next().and_then(|s| s.parse().ok());
            let rc = w
                .next()
                .and_then(|s| s.strip_prefix("rc="))
                .and_then(|s| s.parse().ok());
            let lines = w
                .next()
                .and_then(|s| s.strip_prefix("lines="))
                .and_then(|s| s.parse().ok());
            match (i, rc, lines) {
                (Some(i), Some(rc), Some(lines)) => Frame::End { i, rc, lines },
                _ => Frame::Other,
            }
        }
        _ => Frame::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(str::to_string).collect()
    }

    #[test]
    fn clean_frames() {
        let d = demux(&lines(
            "(XEN) Xen version 4.17.5\n\
             [    0.1] Linux version 6.1\n\
             @@XNS INIT\n\
             @@XNS PRIVCMD ok\n\
             @@XNS BEGIN 0\n\
             @@XNS OUT 0 8 hypercall\n\
             @@XNS OUT 0 0 \n\
             @@XNS OUT 0 8 privcmd\n\
             @@XNS END 0 rc=0 lines=3\n\
             @@XNS BEGIN 1\n\
             @@XNS END 1 rc=127 lines=0\n\
             @@XNS DONE",
        ));
        assert!(d.privcmd_loaded);
        assert_eq!(d.xen, ["Xen version 4.17.5"]);
        let c = d.command(0, "ls /dev/xen");
        // "hypercall" is 9 bytes, not 8: the first line is flagged.
        assert_eq!(c.output, ["hypercall", "", "privcmd"]);
        assert!(!c.framing_intact);
        assert_eq!(c.rc, Some(0));
        let c = d.command(1, "false");
        assert_eq!(
            (c.rc, c.output.len(), c.framing_intact),
            (Some(127), 0, true)
        );
        assert_eq!(d.command(2, "missing").rc, None);
    }

    #[test]
    fn xen_line_printed_into_a_dom0_line() {
        let d = demux(&lines(
            "@@XNS BEGIN 0\n\
             @@XNS OUT 0 25 xen| (XEN) NODE0 s(XEN) Domain 0 crashed\n\
             (XEN) second xen line\n\
             tart->0\n\
             @@XNS END 0 rc=0 l(XEN) tail\n\
             ines=1\n\
             @@XNS DONE",
        ));
        let c = d.command(0, "dom0-testkit keys u");
        assert_eq!(c.output, ["xen| (XEN) NODE0 start->0"]);
        assert!(c.framing_intact, "{c:?}");
        assert_eq!(d.xen, ["Domain 0 crashed", "second xen line", "tail"]);
    }

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

    #[test]
    fn shell_quoting() {
        assert_eq!(
            shell_words(&["-m".into(), "2048M".into(), "a b".into(), "it's".into()]),
            r"-m 2048M 'a b' 'it'\''s'"
        );
    }
}
