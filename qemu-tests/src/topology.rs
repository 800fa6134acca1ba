//! The VM as data: NUMA nodes, Xen's command line, dom0's commands, and the
//! QEMU command line generated from them.
//!
//! QEMU 7.2 facts this relies on (tried, see the crate's report):
//! - a node with memory is `-object memory-backend-ram,id=mN,size=SM` plus
//!   `-numa node,nodeid=N,...,memdev=mN`; QEMU puts the backends in the guest
//!   physical map in node order, so node 0 holds the low memory;
//! - a memoryless node is a `-numa node` without `memdev=` (QEMU accepts it
//!   beside nodes that have one; Xen then prints `SRAT: node N has no memory`);
//! - a CPU-less node is a `-numa node` without `cpus=`;
//! - without any `-numa` option QEMU builds no SRAT at all, and Xen fakes one
//!   node over all memory (`No NUMA configuration found`,
//!   xen/arch/x86/numa.c): [`Topology::without_numa`].

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::Error;

/// dom0's memory unless a topology says otherwise (Xen's `dom0_mem=`).
pub const DEFAULT_DOM0_MEM: &str = "512M";

/// Bytes Xen's serial driver may buffer before it drops console output
/// (`serial_tx_buffer=`, default 16 KiB in `xen/drivers/char/serial.c`).
/// Debug key dumps of a few nodes fit in 16 KiB, but boot logs with
/// `loglvl=all` and several key presses in a row need more.
pub const SERIAL_TX_BUFFER: &str = "1M";

/// One QEMU NUMA node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeSpec {
    /// Memory in MiB; 0 makes a memoryless node.
    pub mem_mib: u64,
    /// CPUs on this node; 0 makes a CPU-less node.
    pub cpus: u32,
}

/// Which hypervisor image QEMU boots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XenImage {
    /// The project's patched Xen, debug build (`build/xen-debug/xen/xen`).
    Patched,
    /// The patched Xen as shipped (`build/xen-release/xen/xen`).
    Release,
    /// The debug image with FLASK and a built-in policy
    /// (`build/xen-flask/xen/xen`).
    Flask,
    /// Unpatched Xen 4.17.5 (`build/xen-stock/xen/xen`).
    Stock,
    /// Any other multiboot image.
    Path(PathBuf),
}

/// A VM described as data. Build one with [`Topology::nodes`] and the
/// builder methods; [`crate::boot`] runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// The NUMA nodes, in QEMU node id order. CPUs are numbered across nodes
    /// in this order: node 0 gets CPUs `0..cpus0`, node 1 the next ones, ...
    pub nodes: Vec<NodeSpec>,
    /// Extra words for Xen's command line (`dom0_nodes=1`, `numa=off`, ...).
    pub xen_args: Vec<String>,
    /// Xen's `dom0_mem=` value.
    pub dom0_mem: String,
    /// Which Xen to boot.
    pub xen: XenImage,
    /// Shell commands run one by one in dom0 (each by `sh`, stdout and stderr
    /// captured together).
    pub commands: Vec<String>,
    /// Names given with [`Topology::run_named`]: (name, index in
    /// `commands`). Tests find a result by its name, never by position.
    pub command_names: Vec<(String, usize)>,
    /// Xen debug keys pressed on the serial console after the last command
    /// (switching input to Xen with three CTRL-a and back). Empty: none.
    pub serial_keys: String,
    /// A name for logs; derived from the nodes if unset.
    pub label: Option<String>,
    /// Describe the nodes to QEMU (`-object memory-backend-ram`, `-numa
    /// node`), so that its ACPI tables carry an SRAT. `false`: only the
    /// sums go to QEMU (`-m`, `-smp`), there is no SRAT, and the nodes are
    /// a way of saying how much memory and how many CPUs.
    pub qemu_numa: bool,
    /// Extra words for QEMU's command line, after the generated ones
    /// (`-icount shift=0,sleep=off` for the allocator benchmark).
    pub qemu_extra_args: Vec<String>,
}

impl Topology {
    /// Nodes as `(memory MiB, CPUs)` pairs, the patched Xen, 512M for dom0,
    /// no commands. `Topology::nodes(&[(1024, 1), (1024, 1)])` is the two-node
    /// VM of docs/platform.md.
    pub fn nodes(nodes: &[(u64, u32)]) -> Self {
        Topology {
            nodes: nodes
                .iter()
                .map(|&(mem_mib, cpus)| NodeSpec { mem_mib, cpus })
                .collect(),
            xen_args: Vec::new(),
            dom0_mem: DEFAULT_DOM0_MEM.to_string(),
            xen: XenImage::Patched,
            commands: Vec::new(),
            command_names: Vec::new(),
            serial_keys: String::new(),
            label: None,
            qemu_numa: true,
            qemu_extra_args: Vec::new(),
        }
    }

    /// Two nodes of 1 GiB and one CPU each.
    pub fn two_nodes() -> Self {
        Self::nodes(&[(1024, 1), (1024, 1)])
    }

    /// Give QEMU no `-numa` option at all: one machine of the nodes' total
    /// memory and CPUs, no SRAT.
    pub fn without_numa(mut self) -> Self {
        self.qemu_numa = false;
        self
    }

    /// Boot unpatched Xen 4.17.5.
    pub fn stock(mut self) -> Self {
        self.xen = XenImage::Stock;
        self
    }

    /// Boot the patched Xen (the default).
    pub fn patched(mut self) -> Self {
        self.xen = XenImage::Patched;
        self
    }

    /// Boot this Xen image.
    pub fn xen_image(mut self, xen: XenImage) -> Self {
        self.xen = xen;
        self
    }

    /// Append words to Xen's command line (split on whitespace).
    pub fn xen_arg(mut self, arg: &str) -> Self {
        self.xen_args
            .extend(arg.split_whitespace().map(str::to_string));
        self
    }

    /// Append words to QEMU's command line (split on whitespace), e.g.
    /// `"-icount shift=0,sleep=off"`: guest time then counts instructions.
    pub fn qemu_arg(mut self, arg: &str) -> Self {
        self.qemu_extra_args
            .extend(arg.split_whitespace().map(str::to_string));
        self
    }

    /// Set Xen's `dom0_mem=` (e.g. `"512M"`, `"1G,max:1G"`).
    pub fn dom0_mem(mut self, dom0_mem: &str) -> Self {
        self.dom0_mem = dom0_mem.to_string();
        self
    }

    /// Run this shell command in dom0, after the ones added before.
    pub fn run(mut self, command: &str) -> Self {
        self.commands.push(command.to_string());
        self
    }

    /// Run this shell command in dom0, after the ones added before, under
    /// `name`: [`crate::BootResult::command`] finds its result by it.
    pub fn run_named(mut self, name: &str, command: &str) -> Self {
        self.command_names
            .push((name.to_string(), self.commands.len()));
        self.commands.push(command.to_string());
        self
    }

    /// The index in [`Topology::commands`] of the command named `name`.
    pub fn command_index(&self, name: &str) -> Option<usize> {
        self.command_names
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, i)| i)
    }

    /// The name of command `index`, if it has one.
    pub fn command_name(&self, index: usize) -> Option<&str> {
        self.command_names
            .iter()
            .find(|&&(_, i)| i == index)
            .map(|(n, _)| n.as_str())
    }

    /// Press these Xen debug keys on the serial console after the last
    /// command, one at a time, each after the previous one's output ended.
    pub fn press_keys(mut self, keys: &str) -> Self {
        self.serial_keys.push_str(keys);
        self
    }

    /// Name the VM in log file names and messages.
    pub fn label(mut self, label: &str) -> Self {
        self.label = Some(label.to_string());
        self
    }

    /// The label, or one made of the nodes: `1024Mx1-0Mx1-1024Mx1`.
    pub fn name(&self) -> String {
        if let Some(l) = &self.label {
            return l.clone();
        }
        let nodes: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("{}Mx{}", n.mem_mib, n.cpus))
            .collect();
        let mut name = nodes.join("-");
        if !self.qemu_numa {
            name.push_str("-nonuma");
        }
        if self.xen == XenImage::Stock {
            name.push_str("-stock");
        }
        name
    }

    /// Sum of the nodes' memory, in MiB (QEMU's `-m`).
    pub fn total_mem_mib(&self) -> u64 {
        self.nodes.iter().map(|n| n.mem_mib).sum()
    }

    /// Sum of the nodes' CPUs (QEMU's `-smp`).
    pub fn total_cpus(&self) -> u32 {
        self.nodes.iter().map(|n| n.cpus).sum()
    }

    /// The CPU numbers of a node (empty for a CPU-less node).
    pub fn cpu_range(&self, node: usize) -> Option<Range<u32>> {
        let first: u32 = self.nodes.get(..node)?.iter().map(|n| n.cpus).sum();
        let n = self.nodes.get(node)?;
        Some(first..first + n.cpus)
    }

    /// Checks that QEMU and Xen can make sense of this VM.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |m: String| Err(Error::Topology(m));
        if self.nodes.is_empty() {
            return bad("no nodes: give at least one (memory MiB, CPUs) pair".into());
        }
        for (i, n) in self.nodes.iter().enumerate() {
            if n.mem_mib == 0 && n.cpus == 0 {
                return bad(format!(
                    "node {i} has neither memory nor CPUs: QEMU would describe nothing"
                ));
            }
        }
        if !self.qemu_numa && self.nodes.iter().any(|n| n.mem_mib == 0) {
            return bad(
                "a memoryless node needs QEMU's -numa: without it there are no nodes to leave empty"
                    .into(),
            );
        }
        if self.total_cpus() == 0 {
            return bad("no CPUs on any node: give at least one node a CPU".into());
        }
        if self.total_cpus() > 64 {
            return bad(format!(
                "{} CPUs: more than this harness boots in a bounded time (64)",
                self.total_cpus()
            ));
        }
        if self.total_mem_mib() < 256 {
            return bad(format!(
                "{} MiB in total: Xen and dom0 need at least 256 MiB",
                self.total_mem_mib()
            ));
        }
        if self.dom0_mem.is_empty() || self.dom0_mem.contains(char::is_whitespace) {
            return bad(format!(
                "dom0_mem {:?} must be one word like 512M",
                self.dom0_mem
            ));
        }
        if let Some(a) = self
            .xen_args
            .iter()
            .find(|a| a.is_empty() || a.contains(char::is_whitespace))
        {
            return bad(format!("Xen argument {a:?} must be one non-empty word"));
        }
        for (k, (name, i)) in self.command_names.iter().enumerate() {
            if self.command_names[..k].iter().any(|(n, _)| n == name) {
                return bad(format!("two dom0 commands are named {name:?}"));
            }
            if *i >= self.commands.len() {
                return bad(format!("command name {name:?} points past the commands"));
            }
        }
        if let Some(c) = self.serial_keys.chars().find(|c| !c.is_ascii_graphic()) {
            return bad(format!(
                "debug key {c:?} is not a printable ASCII character"
            ));
        }
        Ok(())
    }

    /// Xen's command line.
    pub fn xen_cmdline(&self) -> String {
        let mut words = vec![
            "console=com1".to_string(),
            "com1=115200".to_string(),
            format!("dom0_mem={}", self.dom0_mem),
            "loglvl=all".to_string(),
            "guest_loglvl=all".to_string(),
            "noreboot".to_string(),
            format!("serial_tx_buffer={SERIAL_TX_BUFFER}"),
        ];
        words.extend(self.xen_args.iter().cloned());
        words.join(" ")
    }

    /// The arguments of `qemu-system-x86_64` (without the program name).
    /// The serial console is stdio: [`crate::boot`] reads QEMU's stdout and
    /// writes debug keys to its stdin.
    pub fn qemu_args(
        &self,
        xen: &Path,
        dom0_kernel: &Path,
        initramfs: &Path,
    ) -> Result<Vec<String>, Error> {
        self.validate()?;
        // QEMU's -initrd is a comma-separated multiboot module list.
        for p in [dom0_kernel, initramfs] {
            if p.to_string_lossy().contains(',') {
                return Err(Error::Topology(format!(
                    "{} contains a comma, which QEMU's -initrd module list cannot hold",
                    p.display()
                )));
            }
        }
        let mut a: Vec<String> = [
            "-machine",
            "q35,accel=tcg",
            "-cpu",
            "qemu64,+x2apic",
            "-smp",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.push(self.total_cpus().to_string());
        a.push("-m".into());
        a.push(format!("{}M", self.total_mem_mib()));
        let numa_nodes = if self.qemu_numa { &self.nodes[..] } else { &[] };
        for (i, n) in numa_nodes.iter().enumerate() {
            if n.mem_mib > 0 {
                a.push("-object".into());
                a.push(format!("memory-backend-ram,id=m{i},size={}M", n.mem_mib));
            }
        }
        for (i, n) in numa_nodes.iter().enumerate() {
            let mut spec = format!("node,nodeid={i}");
            if let Some(r) = self.cpu_range(i).filter(|r| !r.is_empty()) {
                if r.len() == 1 {
                    spec.push_str(&format!(",cpus={}", r.start));
                } else {
                    spec.push_str(&format!(",cpus={}-{}", r.start, r.end - 1));
                }
            }
            if n.mem_mib > 0 {
                spec.push_str(&format!(",memdev=m{i}"));
            }
            a.push("-numa".into());
            a.push(spec);
        }
        for s in [
            "-display",
            "none",
            "-monitor",
            "none",
            "-serial",
            "stdio",
            "-no-reboot",
        ] {
            a.push(s.into());
        }
        a.push("-kernel".into());
        a.push(xen.display().to_string());
        a.push("-append".into());
        a.push(self.xen_cmdline());
        a.push("-initrd".into());
        a.push(format!(
            "{} console=hvc0 earlyprintk=xen,{}",
            dom0_kernel.display(),
            initramfs.display()
        ));
        a.extend(self.qemu_extra_args.iter().cloned());
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(t: &Topology) -> Vec<String> {
        t.qemu_args(
            Path::new("/x/xen"),
            Path::new("/k/vmlinuz"),
            Path::new("/t/initramfs.cpio"),
        )
        .unwrap()
    }

    fn after<'a>(a: &'a [String], flag: &str) -> Vec<&'a str> {
        a.windows(2)
            .filter(|w| w[0] == flag)
            .map(|w| w[1].as_str())
            .collect()
    }

    #[test]
    fn two_nodes_match_platform_line() {
        let a = args(&Topology::two_nodes());
        assert_eq!(after(&a, "-smp"), ["2"]);
        assert_eq!(after(&a, "-m"), ["2048M"]);
        assert_eq!(
            after(&a, "-object"),
            [
                "memory-backend-ram,id=m0,size=1024M",
                "memory-backend-ram,id=m1,size=1024M"
            ]
        );
        assert_eq!(
            after(&a, "-numa"),
            [
                "node,nodeid=0,cpus=0,memdev=m0",
                "node,nodeid=1,cpus=1,memdev=m1"
            ]
        );
        assert_eq!(
            after(&a, "-initrd"),
            ["/k/vmlinuz console=hvc0 earlyprintk=xen,/t/initramfs.cpio"]
        );
        assert!(after(&a, "-append")[0].contains("dom0_mem=512M"));
        assert!(!a.iter().any(|w| w == "-icount"));
    }

    #[test]
    fn extra_qemu_args_come_last() {
        let a = args(&Topology::two_nodes().qemu_arg("-icount  shift=0,sleep=off"));
        assert_eq!(a[a.len() - 2..], ["-icount", "shift=0,sleep=off"]);
    }

    #[test]
    fn memoryless_and_cpuless_nodes() {
        let t = Topology::nodes(&[(1024, 2), (0, 1), (512, 0)]).xen_arg("numa=off");
        let a = args(&t);
        assert_eq!(after(&a, "-smp"), ["3"]);
        assert_eq!(after(&a, "-m"), ["1536M"]);
        assert_eq!(
            after(&a, "-numa"),
            [
                "node,nodeid=0,cpus=0-1,memdev=m0",
                "node,nodeid=1,cpus=2",
                "node,nodeid=2,memdev=m2"
            ]
        );
        assert!(after(&a, "-append")[0].ends_with(" numa=off"));
        assert_eq!(t.cpu_range(2), Some(3..3));
    }

    #[test]
    fn without_numa_only_the_sums() {
        let t = Topology::nodes(&[(1024, 1), (1024, 1)]).without_numa();
        let a = args(&t);
        assert_eq!(after(&a, "-smp"), ["2"]);
        assert_eq!(after(&a, "-m"), ["2048M"]);
        assert!(after(&a, "-object").is_empty(), "{a:?}");
        assert!(after(&a, "-numa").is_empty(), "{a:?}");
        assert_eq!(t.name(), "1024Mx1-1024Mx1-nonuma");
        assert!(Topology::nodes(&[(1024, 1), (0, 1)])
            .without_numa()
            .validate()
            .is_err());
    }

    #[test]
    fn rejects_what_qemu_or_xen_cannot_boot() {
        for t in [
            Topology::nodes(&[]),
            Topology::nodes(&[(1024, 0), (1024, 0)]),
            Topology::nodes(&[(1024, 1), (0, 0)]),
            Topology::nodes(&[(128, 1)]),
            Topology::two_nodes().dom0_mem("512 M"),
            Topology::two_nodes().press_keys("\u{1}"),
            Topology::two_nodes()
                .run_named("a", "true")
                .run_named("a", "false"),
        ] {
            assert!(t.validate().is_err(), "{t:?}");
        }
        assert!(Topology::two_nodes()
            .qemu_args(Path::new("/x"), Path::new("/a,b"), Path::new("/c"))
            .is_err());
    }

    #[test]
    fn commands_by_name() {
        let t = Topology::two_nodes()
            .run("ls")
            .run_named("matrix", "dom0-testkit matrix")
            .run_named("keys", "dom0-testkit keys u");
        assert_eq!(t.command_index("matrix"), Some(1));
        assert_eq!(t.command_index("keys"), Some(2));
        assert_eq!(t.command_index("ls"), None);
        assert_eq!(t.command_name(1), Some("matrix"));
        assert_eq!(t.command_name(0), None);
        assert!(t.validate().is_ok());
    }

    #[test]
    fn names() {
        assert_eq!(
            Topology::two_nodes().stock().name(),
            "1024Mx1-1024Mx1-stock"
        );
        assert_eq!(Topology::two_nodes().label("smoke").name(), "smoke");
    }
}
