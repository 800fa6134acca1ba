//! The toolstack host as data (issue 9): the NUMA VM, a Debian dom0 running
//! Debian's own Xen 4.17.5 userspace (`scripts/build-dom0-rootfs.sh`), its
//! PV guests and dom0's commands; and what a boot needs from that
//! description: each guest's `xl` config and the files appended to
//! `build/dom0-rootfs/dom0.cpio`.
//!
//! The dom0 image's `/init` runs `/xns/cmd-0.sh`, `/xns/cmd-1.sh`, ... with
//! the same `@@XNS` framing as the busybox dom0 (`initramfs.rs`), after
//! `/etc/init.d/xen start`. A second newc archive concatenated after
//! `dom0.cpio` adds those scripts and the guests' configs: the kernel
//! unpacks every archive of an initramfs in turn, so the 157 MB image is
//! never rewritten per boot.
//!
//! Placement is written the way an administrator writes it in xl, in the
//! two forms that steer memory in xl 4.17 (docs/platform.md): `cpus_soft =
//! "node:N"` (soft affinity; libxl's automatic NUMA placement then keeps
//! the memory on N) and `cpus = ["N", ...]` (the list form turns automatic
//! placement off). `cpus = "node:N"` does not steer memory, so it has no
//! variant here.

use crate::initramfs::CpioWriter;
use crate::{Error, Topology};

/// dom0's memory on the toolstack host: fixed, so ballooning never moves it
/// (docs/platform.md: with the ~160 MB initramfs dom0 needs at least 768 MB).
pub const TOOLSTACK_DOM0_MEM: &str = "1024M,max:1024M";
/// The guest kernel in dom0's tree: Debian's kernel as an ELF, so libxc does
/// not decompress it at every `xl create`.
pub const GUEST_KERNEL: &str = "/var/lib/xns-guest/vmlinux";
/// The guest initramfs in dom0's tree (uncompressed busybox).
pub const GUEST_RAMDISK: &str = "/var/lib/xns-guest/initrd.cpio";
/// The guest initramfs with the test programs appended (the guest kit:
/// `dom0-testkit` and `xen-numastat` in the guest's `/usr/local/bin`), for
/// a guest that runs them ([`Guest::with_kit`]).
pub const GUEST_KIT_RAMDISK: &str = "/var/lib/xns-guest/initrd-kit.cpio";
/// Where dom0's /init finds the packages it installs with dpkg.
pub const DEB_DIR: &str = "/xns/debs";
/// Where xenconsoled writes each guest's console (`XENCONSOLED_ARGS` in
/// dom0's /etc/default/xen): `guest-<name>.log`.
pub const CONSOLE_LOG_DIR: &str = "/var/log/xen/console";
/// The line the guest's /init prints on hvc0 once it runs.
pub const GUEST_READY: &str = "@@XNS GUEST READY";
/// The smallest guest Debian's kernel and the busybox initramfs boot in
/// (docs/platform.md: 64 MB fails at `xl create`, 160 MB works).
pub const MIN_GUEST_MEM_MIB: u64 = 160;

/// Where a guest's memory goes, in xl's own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// No affinity: libxl's automatic NUMA placement picks the node with
    /// the most free memory.
    Auto,
    /// `cpus_soft = "node:N"`: soft affinity to node N's CPUs; the memory
    /// follows to node N.
    SoftNode(u32),
    /// `cpus = ["c", ...]`: hard affinity to these CPUs, automatic
    /// placement off; the memory goes to their nodes.
    HardCpus(Vec<u32>),
}

/// One PV guest, created in dom0 with `xl create`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guest {
    /// xl's `name`: also the xenstore `/local/domain/<id>/name`.
    pub name: String,
    /// `memory`, in MiB.
    pub memory_mib: u64,
    /// `maxmem`, in MiB, when above `memory` (room to balloon up).
    pub maxmem_mib: Option<u64>,
    /// `vcpus`.
    pub vcpus: u32,
    /// Where its memory and vCPUs go.
    pub placement: Placement,
    /// A shell command the guest's /init runs after its ready line (passed
    /// on the guest's kernel command line as `xns_guest_run`).
    pub guest_command: Option<String>,
    /// Boots from [`GUEST_KIT_RAMDISK`]: the test programs are in its PATH.
    pub kit: bool,
}

impl Guest {
    /// A one-vCPU guest with `memory_mib` MiB and automatic placement.
    pub fn new(name: &str, memory_mib: u64) -> Self {
        Guest {
            name: name.to_string(),
            memory_mib,
            maxmem_mib: None,
            vcpus: 1,
            placement: Placement::Auto,
            guest_command: None,
            kit: false,
        }
    }

    /// Soft affinity to `node` (`cpus_soft = "node:N"`).
    pub fn on_node(mut self, node: u32) -> Self {
        self.placement = Placement::SoftNode(node);
        self
    }

    /// Hard affinity to these CPUs (`cpus = [...]`).
    pub fn pinned(mut self, cpus: &[u32]) -> Self {
        self.placement = Placement::HardCpus(cpus.to_vec());
        self
    }

    /// `maxmem`, in MiB.
    pub fn maxmem(mut self, maxmem_mib: u64) -> Self {
        self.maxmem_mib = Some(maxmem_mib);
        self
    }

    /// `vcpus`.
    pub fn vcpus(mut self, vcpus: u32) -> Self {
        self.vcpus = vcpus;
        self
    }

    /// Run this shell command in the guest after its ready line.
    pub fn run_in_guest(mut self, command: &str) -> Self {
        self.guest_command = Some(command.to_string());
        self
    }

    /// Boot from the guest kit ([`GUEST_KIT_RAMDISK`]): `dom0-testkit` and
    /// `xen-numastat` run in the guest.
    pub fn with_kit(mut self) -> Self {
        self.kit = true;
        self
    }

    /// The config's path in dom0.
    pub fn config_path(&self) -> String {
        format!("/etc/xen/{}.cfg", self.name)
    }

    /// The guest's console log in dom0 (xenconsoled's `--log-dir`).
    pub fn console_log(&self) -> String {
        format!("{CONSOLE_LOG_DIR}/guest-{}.log", self.name)
    }

    /// The guest's xl config (xl.cfg(5)).
    pub fn xl_config(&self) -> String {
        // Single quotes around xl's string, double quotes around the
        // kernel parameter's value (Linux keeps spaces inside them and hands
        // `xns_guest_run` to init as an environment variable).
        let mut extra = String::from("console=hvc0");
        if let Some(c) = &self.guest_command {
            extra.push_str(&format!(" xns_guest_run=\"{c}\""));
        }
        let mut s = format!(
            "# Generated by qemu-tests/src/toolstack.rs\n\
             name = \"{name}\"\n\
             type = \"pv\"\n\
             kernel = \"{GUEST_KERNEL}\"\n\
             ramdisk = \"{ramdisk}\"\n\
             extra = '{extra}'\n\
             memory = {mem}\n",
            name = self.name,
            mem = self.memory_mib,
            ramdisk = if self.kit {
                GUEST_KIT_RAMDISK
            } else {
                GUEST_RAMDISK
            },
        );
        if let Some(max) = self.maxmem_mib {
            s.push_str(&format!("maxmem = {max}\n"));
        }
        s.push_str(&format!("vcpus = {}\n", self.vcpus));
        match &self.placement {
            Placement::Auto => {}
            Placement::SoftNode(n) => s.push_str(&format!("cpus_soft = \"node:{n}\"\n")),
            Placement::HardCpus(cpus) => {
                let list: Vec<String> = cpus.iter().map(|c| format!("\"{c}\"")).collect();
                s.push_str(&format!("cpus = [{}]\n", list.join(", ")));
            }
        }
        // An orderly poweroff (`xl shutdown`) ends the domain.
        s.push_str("on_poweroff = \"destroy\"\non_reboot = \"destroy\"\non_crash = \"destroy\"\n");
        s
    }

    /// The dom0 command that creates the guest and waits, up to
    /// `timeout_s`, for its ready line in the console log
    /// ([`Guest::wait_command`]).
    pub fn create_command(&self, timeout_s: u32) -> String {
        format!(
            "xl create {cfg} || exit $?; {wait}; echo 'guest {name} ready'",
            cfg = self.config_path(),
            wait = self.wait_command(GUEST_READY, timeout_s),
            name = self.name,
        )
    }

    /// A dom0 command that waits, up to `timeout_s`, until the guest's
    /// console log has a line containing `text` (no single quote), then
    /// prints how many polls it took; on timeout it prints the log
    /// ([`Guest::console_command`]) and exits 1. It polls every 0.5 s: under
    /// TCG one `grep` + `sleep` round costs ~0.13 s of forks besides the
    /// sleep (measured), which a 0.1 s poll would spend mostly on itself, on
    /// the CPU the guest needs.
    pub fn wait_command(&self, text: &str, timeout_s: u32) -> String {
        format!(
            "t=0; while ! grep -q '{text}' {log} 2>/dev/null; do t=$((t + 1)); \
             if [ $t -gt {ticks} ]; then echo 'no \"{text}\" from guest {name} after \
             {timeout_s} s'; {console}; exit 1; fi; sleep 0.5; done; \
             echo 'seen after '$t' polls'",
            log = self.console_log(),
            ticks = u64::from(timeout_s) * 2,
            name = self.name,
            console = self.console_command(),
        )
    }

    /// A dom0 command that prints the guest's console log so that it
    /// survives dom0's framing: the guest's own `@@XNS` lines become
    /// `[xns]` (they would read as dom0's frames), and the log's CRs go
    /// (the framed lengths would count them, the serial lines lose them).
    pub fn console_command(&self) -> String {
        format!("sed 's/@@XNS/[xns]/g; s/\\r$//' {}", self.console_log())
    }
}

/// A toolstack host: the VM ([`Topology`]: nodes, Xen image and command line,
/// dom0 commands) and the guests dom0 may create. Guests are not created by
/// themselves: a command does it ([`Guest::create_command`]), so a test
/// decides when, and what it measures around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolstackHost {
    /// The VM. Its `commands` run in dom0 after the toolstack started.
    pub topology: Topology,
    /// The guests whose configs dom0 gets in /etc/xen.
    pub guests: Vec<Guest>,
}

impl ToolstackHost {
    /// A host on this VM, with [`TOOLSTACK_DOM0_MEM`] for dom0.
    pub fn new(topology: Topology) -> Self {
        ToolstackHost {
            topology: topology.dom0_mem(TOOLSTACK_DOM0_MEM),
            guests: Vec::new(),
        }
    }

    /// Adds a guest config.
    pub fn guest(mut self, guest: Guest) -> Self {
        self.guests.push(guest);
        self
    }

    /// Runs this shell command in dom0, after the ones added before.
    pub fn run(mut self, command: &str) -> Self {
        self.topology = self.topology.run(command);
        self
    }

    /// Runs this shell command in dom0 under `name`
    /// ([`crate::BootResult::command`] finds its result by it).
    pub fn run_named(mut self, name: &str, command: &str) -> Self {
        self.topology = self.topology.run_named(name, command);
        self
    }

    /// Runs each `(name, command)` in dom0, in order.
    pub fn run_named_all(self, commands: Vec<(String, String)>) -> Self {
        commands
            .into_iter()
            .fold(self, |h, (name, c)| h.run_named(&name, &c))
    }

    /// The guest called `name`.
    pub fn find_guest(&self, name: &str) -> Option<&Guest> {
        self.guests.iter().find(|g| g.name == name)
    }

    /// Checks what QEMU, Xen and xl would refuse, before anything starts.
    pub fn validate(&self) -> Result<(), Error> {
        self.topology.validate()?;
        let bad = |m: String| Err(Error::Topology(m));
        let nodes = self.topology.nodes.len();
        let cpus = self.topology.total_cpus();
        let mut total = 0u64;
        for (i, g) in self.guests.iter().enumerate() {
            // xl accepts more, but these names are also file names and go
            // unquoted into shell commands.
            let name_ok = !g.name.is_empty()
                && g.name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !name_ok {
                return bad(format!(
                    "guest name {:?}: use letters, digits, '-' and '_'",
                    g.name
                ));
            }
            if self.guests[..i].iter().any(|o| o.name == g.name) {
                return bad(format!("two guests are called {:?}", g.name));
            }
            if g.guest_command
                .as_ref()
                .is_some_and(|c| c.contains(['\'', '"', '\n']))
            {
                return bad(format!(
                    "guest {}: the guest command goes on a kernel command line \
                     inside xl's quotes: no quotes or newlines",
                    g.name
                ));
            }
            if g.memory_mib < MIN_GUEST_MEM_MIB {
                return bad(format!(
                    "guest {}: {} MiB cannot hold Debian's kernel and initramfs \
                     (at least {MIN_GUEST_MEM_MIB})",
                    g.name, g.memory_mib
                ));
            }
            if g.maxmem_mib.is_some_and(|m| m < g.memory_mib) {
                return bad(format!("guest {}: maxmem below memory", g.name));
            }
            if g.vcpus == 0 || g.vcpus > cpus {
                return bad(format!(
                    "guest {}: {} vCPUs on a host with {cpus} CPUs",
                    g.name, g.vcpus
                ));
            }
            match &g.placement {
                Placement::Auto => {}
                Placement::SoftNode(n) if (*n as usize) < nodes => {}
                Placement::SoftNode(n) => {
                    return bad(format!(
                        "guest {}: node {n}, but the host has {nodes} nodes",
                        g.name
                    ))
                }
                Placement::HardCpus(list) if !list.is_empty() && list.iter().all(|&c| c < cpus) => {
                }
                Placement::HardCpus(list) => {
                    return bad(format!(
                        "guest {}: CPUs {list:?}, but the host has CPUs 0-{}",
                        g.name,
                        cpus.saturating_sub(1)
                    ))
                }
            }
            total += g.maxmem_mib.unwrap_or(g.memory_mib);
        }
        let dom0 = parse_mib(&self.topology.dom0_mem).unwrap_or(0);
        if dom0 + total > self.topology.total_mem_mib() {
            return bad(format!(
                "dom0 ({dom0} MiB) and the guests ({total} MiB) need more than the \
                 host's {} MiB",
                self.topology.total_mem_mib()
            ));
        }
        Ok(())
    }

    /// The files dom0 gets on top of `dom0.cpio`, as `(path, mode, bytes)`:
    /// `/etc/xen/<guest>.cfg` and `/xns/cmd-<i>.sh`.
    pub fn dom0_files(&self) -> Vec<(String, u32, Vec<u8>)> {
        let mut files: Vec<(String, u32, Vec<u8>)> = self
            .guests
            .iter()
            .map(|g| (g.config_path(), 0o644, g.xl_config().into_bytes()))
            .collect();
        for (i, c) in self.topology.commands.iter().enumerate() {
            files.push((
                format!("/xns/cmd-{i}.sh"),
                0o644,
                format!("{c}\n").into_bytes(),
            ));
        }
        files
    }

    /// The newc archive to concatenate after `dom0.cpio`, with nothing
    /// but the configs and commands.
    pub fn overlay_cpio(&self) -> Vec<u8> {
        self.overlay_cpio_with(&Extras::default())
    }

    /// [`ToolstackHost::overlay_cpio`] plus `extras`: programs in
    /// `/usr/local/bin` (first in the dom0 image's `PATH`), packages in
    /// [`DEB_DIR`] (dom0's /init installs them with dpkg before anything
    /// else), the guest kit at [`GUEST_KIT_RAMDISK`].
    pub fn overlay_cpio_with(&self, extras: &Extras) -> Vec<u8> {
        let mut cpio = CpioWriter::new();
        // These directories exist in dom0.cpio; naming them again is
        // harmless (the kernel keeps an existing directory).
        cpio.dir("etc/xen");
        cpio.dir("xns");
        cpio.dir("usr/local/bin");
        for (path, mode, data) in self.dom0_files() {
            cpio.file(path.trim_start_matches('/'), mode, &data);
        }
        for (name, data) in &extras.programs {
            cpio.file(&format!("usr/local/bin/{name}"), 0o755, data);
        }
        if !extras.debs.is_empty() {
            cpio.dir(DEB_DIR.trim_start_matches('/'));
        }
        for (name, data) in &extras.debs {
            cpio.file(
                &format!("{}/{name}", DEB_DIR.trim_start_matches('/')),
                0o644,
                data,
            );
        }
        if let Some(kit) = &extras.guest_kit {
            cpio.file(GUEST_KIT_RAMDISK.trim_start_matches('/'), 0o644, kit);
        }
        cpio.finish()
    }

    /// Whether a guest boots from the guest kit.
    pub fn needs_guest_kit(&self) -> bool {
        self.guests.iter().any(|g| g.kit)
    }
}

/// What a boot adds to dom0 besides the configs and commands
/// ([`ToolstackHost::overlay_cpio_with`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extras {
    /// `(name, bytes)` of programs for dom0's `/usr/local/bin`.
    pub programs: Vec<(String, Vec<u8>)>,
    /// `(file name, bytes)` of packages for [`DEB_DIR`].
    pub debs: Vec<(String, Vec<u8>)>,
    /// The guest kit initramfs, when a guest boots from it.
    pub guest_kit: Option<Vec<u8>>,
}

/// `1024M`, `1G`, `1024M,max:1024M` -> MiB (the first size).
fn parse_mib(s: &str) -> Option<u64> {
    let first = s.split(',').next()?.trim();
    let (num, mult) = match first.as_bytes().last()? {
        b'G' | b'g' => (&first[..first.len() - 1], 1024),
        b'M' | b'm' => (&first[..first.len() - 1], 1),
        _ => (first, 1),
    };
    num.parse::<u64>().ok()?.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> ToolstackHost {
        ToolstackHost::new(Topology::nodes(&[(1536, 1), (1536, 1)]))
            .guest(Guest::new("g-node1", 256).on_node(1))
            .guest(Guest::new("g-pinned", 256).maxmem(512).pinned(&[0]))
            .run("xl info -n")
    }

    #[test]
    fn xl_configs_say_placement_in_xl_words() {
        let h = host();
        h.validate().unwrap();
        let soft = h.find_guest("g-node1").unwrap().xl_config();
        assert!(soft.contains("name = \"g-node1\"\n"));
        assert!(soft.contains("type = \"pv\"\n"));
        assert!(soft.contains("kernel = \"/var/lib/xns-guest/vmlinux\"\n"));
        assert!(soft.contains("ramdisk = \"/var/lib/xns-guest/initrd.cpio\"\n"));
        assert!(soft.contains("memory = 256\n"));
        assert!(soft.contains("cpus_soft = \"node:1\"\n"));
        assert!(!soft.contains("maxmem"));
        // xl 4.17's cpus="node:N" does not steer memory: never written.
        assert!(!soft.contains("cpus = \"node:"));
        let hard = h.find_guest("g-pinned").unwrap().xl_config();
        assert!(hard.contains("cpus = [\"0\"]\n"));
        assert!(hard.contains("maxmem = 512\n"));
        assert!(hard.contains("on_poweroff = \"destroy\"\n"));
    }

    #[test]
    fn dom0_gets_configs_and_numbered_commands() {
        let h = host().run("xl list -n");
        assert_eq!(h.topology.dom0_mem, TOOLSTACK_DOM0_MEM);
        let files = h.dom0_files();
        let paths: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/etc/xen/g-node1.cfg",
                "/etc/xen/g-pinned.cfg",
                "/xns/cmd-0.sh",
                "/xns/cmd-1.sh"
            ]
        );
        let cmd1 = files.iter().find(|f| f.0 == "/xns/cmd-1.sh").unwrap();
        assert_eq!(cmd1.2, b"xl list -n\n");
        let cpio = h.overlay_cpio();
        assert!(cpio.starts_with(b"070701"));
        let text = String::from_utf8_lossy(&cpio);
        assert!(text.contains("etc/xen/g-node1.cfg\0"));
        assert!(text.contains("TRAILER!!!\0"));
    }

    #[test]
    fn create_waits_for_the_ready_line() {
        let g = Guest::new("g1", 256).run_in_guest("insmod /lib/modules/xen-privcmd.ko");
        let c = g.create_command(60);
        assert!(c.starts_with("xl create /etc/xen/g1.cfg || exit $?; "));
        assert!(c.contains("grep -q '@@XNS GUEST READY' /var/log/xen/console/guest-g1.log"));
        assert!(c.contains("-gt 120 ]"));
        assert!(g.xl_config().contains(
            "extra = 'console=hvc0 xns_guest_run=\"insmod /lib/modules/xen-privcmd.ko\"'\n"
        ));
    }

    #[test]
    fn what_xl_or_the_host_would_refuse_is_refused_first() {
        let two = || ToolstackHost::new(Topology::nodes(&[(1536, 1), (1536, 1)]));
        let refused = |h: ToolstackHost| h.validate().unwrap_err().to_string();
        assert!(refused(two().guest(Guest::new("tiny", 64))).contains("at least 160"));
        assert!(refused(two().guest(Guest::new("g", 256).on_node(2))).contains("2 nodes"));
        assert!(refused(two().guest(Guest::new("g", 256).pinned(&[2]))).contains("CPUs 0-1"));
        assert!(refused(two().guest(Guest::new("a b", 256))).contains("letters"));
        assert!(refused(
            two()
                .guest(Guest::new("g", 256))
                .guest(Guest::new("g", 256))
        )
        .contains("two guests"));
        assert!(refused(two().guest(Guest::new("g", 256).maxmem(200))).contains("maxmem"));
        assert!(refused(two().guest(Guest::new("big", 1024).maxmem(2100))).contains("3072 MiB"));
        assert!(refused(two().guest(Guest::new("g", 256).vcpus(3))).contains("3 vCPUs"));
        assert!(
            refused(two().guest(Guest::new("g", 256).run_in_guest("echo 'x'"))).contains("quotes")
        );
    }

    #[test]
    fn dom0_mem_sizes() {
        assert_eq!(parse_mib("1024M,max:1024M"), Some(1024));
        assert_eq!(parse_mib("1G"), Some(1024));
        assert_eq!(parse_mib("512"), Some(512));
        assert_eq!(parse_mib("x"), None);
    }
}
