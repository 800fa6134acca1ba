// SPDX-License-Identifier: GPL-2.0-only
//! Booting a toolstack host ([`crate::toolstack`]): dom0 is Debian 12 with
//! Debian's own xl (`build/dom0-rootfs/dom0.cpio`, `make dom0-rootfs`),
//! with a small archive appended to it that holds the guests' xl configs,
//! the commands and the static dom0 programs. The rest is the busybox
//! boot's machinery: the same QEMU command line from the topology, the
//! same `@@XNS` framing, deadlines, crash detection and saved logs.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{boot_initramfs, BootOptions, BootResult, TAIL_LINES};
use crate::initramfs::{check_static, mentions_program, CpioWriter, FRAME};
use crate::toolstack::{Extras, ToolstackHost};
use crate::{Artifacts, Error, DOM0_BINARIES};

/// Writes `dir/initrd.cpio`: `dom0.cpio` with the host's overlay appended
/// (the kernel unpacks each archive of a concatenated initramfs in turn,
/// docs/toolstack.md), and returns its path. The overlay carries the
/// project's packages (`make deb`), which dom0's /init installs with dpkg,
/// so `xen-numastat` in dom0 is the package's `/usr/sbin/xen-numastat`;
/// `dom0-testkit` goes to `/usr/local/bin`; a guest that runs the programs
/// gets the guest kit (both programs appended to the guest initramfs).
/// Fails before QEMU starts if the rootfs or the packages are not built,
/// or a command names a program that is not.
pub fn toolstack_initramfs(
    host: &ToolstackHost,
    artifacts: &Artifacts,
    dir: &Path,
) -> Result<PathBuf, Error> {
    let rootfs = &artifacts.dom0_rootfs;
    let root = crate::repo_root();
    if !rootfs.is_file() {
        return Err(Error::Artifact(format!(
            "the toolstack dom0 {} is not built: run `make -C {} dom0-rootfs`",
            rootfs.display(),
            root.display()
        )));
    }
    let read =
        |p: &Path| std::fs::read(p).map_err(|e| Error::Io(format!("read {}", p.display()), e));
    let mut extras = Extras::default();
    for (name, path) in artifacts.debs()? {
        extras.debs.push((name, read(&path)?));
    }
    let kit = host.needs_guest_kit();
    let mut kit_programs = Vec::new();
    for name in DOM0_BINARIES {
        // The package brings the CLI; the test kit is no package's.
        let in_dom0 = *name != PACKAGED_CLI;
        let path = artifacts.dom0_binary(name);
        if path.is_file() {
            check_static(&path)?;
            let data = read(&path)?;
            if kit {
                kit_programs.push((*name, data.clone()));
            }
            if in_dom0 {
                extras.programs.push((name.to_string(), data));
            }
        } else if kit
            || in_dom0
                && host
                    .topology
                    .commands
                    .iter()
                    .any(|c| mentions_program(c, name))
        {
            return Err(Error::Artifact(format!(
                "the toolstack host needs {name} (a dom0 command or the guest kit), \
                 which is not built at {}: run `make -C {} dom0-bins`",
                path.display(),
                root.display()
            )));
        }
    }
    if kit {
        let mut guest = read(&artifacts.guest_initrd)?;
        let mut cpio = CpioWriter::new();
        cpio.dir("usr/local/bin");
        for (name, data) in &kit_programs {
            cpio.file(&format!("usr/local/bin/{name}"), 0o755, data);
        }
        guest.extend_from_slice(&cpio.finish());
        extras.guest_kit = Some(guest);
    }
    let overlay = host.overlay_cpio_with(&extras);
    let out = dir.join("initrd.cpio");
    let io = |e| Error::Io(format!("write {}", out.display()), e);
    std::fs::copy(rootfs, &out).map_err(io)?;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&out)
        .map_err(io)?;
    f.write_all(&overlay).map_err(io)?;
    Ok(out)
}

/// The program dom0 gets from the xen-numastat package, not from the
/// overlay.
const PACKAGED_CLI: &str = "xen-numastat";

/// The word after `@@XNS <what> ` in dom0's log (`ok`, `failed`, ...).
fn init_status<'a>(r: &'a BootResult, what: &str) -> Option<&'a str> {
    let key = format!("{FRAME}{what} ");
    r.serial_log.iter().find_map(|l| {
        let p = l.find(&key)?;
        l[p + key.len()..].split_whitespace().next()
    })
}

/// Boots `host`: returns once dom0 printed `@@XNS DONE`, like
/// [`crate::boot_with`], and fails (with the serial log) if that did not
/// happen, or if dom0's modules or Debian's `/etc/init.d/xen start` failed.
/// QEMU is killed in every case.
pub fn boot_toolstack(host: &ToolstackHost, opts: &BootOptions) -> Result<BootResult, Error> {
    host.validate()?;
    let mut r = boot_initramfs(&host.topology, opts, |dir| {
        toolstack_initramfs(host, &opts.artifacts, dir)
    })?;
    for what in ["PACKAGES", "MODULES", "TOOLSTACK"] {
        let status = init_status(&r, what);
        if status != Some("ok") {
            return Err(Error::Boot {
                what: format!(
                    "{}: dom0's {what} line says {:?}, not ok (dpkg| and toolstack| \
                     lines show dpkg's and /etc/init.d/xen's output)",
                    host.topology.name(),
                    status.unwrap_or("nothing")
                ),
                log_path: r.save_log().ok(),
                tail: r.log_tail(TAIL_LINES),
            });
        }
    }
    // The toolstack dom0 modprobes xen-privcmd among its five modules.
    r.privcmd_loaded = true;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::toolstack::Guest;
    use crate::Topology;

    #[test]
    fn overlay_follows_the_rootfs() {
        let tmp = super::super::qemu::TempDir::new().unwrap();
        let rootfs = tmp.path().join("dom0.cpio");
        std::fs::write(&rootfs, b"ROOTFS").unwrap();
        let mut a = Artifacts::from_root(tmp.path());
        a.dom0_rootfs = rootfs;
        a.dom0_bin_dir = tmp.path().join("no-bins");
        a.deb_dir = tmp.path().join("deb");
        let host = ToolstackHost::new(Topology::nodes(&[(1536, 1), (1536, 1)]))
            .guest(Guest::new("g1", 256).on_node(1))
            .run("xl list; xen-numastat -d all");
        // No packages: the dom0 image cannot be what an administrator has.
        let e = toolstack_initramfs(&host, &a, tmp.path()).unwrap_err();
        assert!(e.to_string().contains("deb`"), "{e}");
        std::fs::create_dir_all(&a.deb_dir).unwrap();
        for d in [
            "xen-numastat_0.1.0_amd64.deb",
            "xen-hypervisor-numastat_0.1.0_amd64.deb",
        ] {
            std::fs::write(a.deb_dir.join(d), b"DEB").unwrap();
        }
        // The CLI comes from the package: no built binary needed for it.
        let out = toolstack_initramfs(&host, &a, tmp.path()).unwrap();
        let data = std::fs::read(out).unwrap();
        assert!(data.starts_with(b"ROOTFS070701"));
        let text = String::from_utf8_lossy(&data);
        assert!(text.contains("etc/xen/g1.cfg\0"));
        assert!(text.contains("xns/debs/xen-numastat_0.1.0_amd64.deb\0"));
        assert!(text.contains("xns/debs/xen-hypervisor-numastat_0.1.0_amd64.deb\0"));
        assert!(!text.contains("usr/local/bin/xen-numastat"));
        assert!(!text.contains("initrd-kit.cpio"));

        let needs = host.clone().run("dom0-testkit domains");
        let e = toolstack_initramfs(&needs, &a, tmp.path()).unwrap_err();
        assert!(e.to_string().contains("needs dom0-testkit"), "{e}");
        let kit = ToolstackHost::new(Topology::nodes(&[(1536, 1), (1536, 1)]))
            .guest(Guest::new("u1", 256).with_kit());
        let e = toolstack_initramfs(&kit, &a, tmp.path()).unwrap_err();
        assert!(e.to_string().contains("guest kit"), "{e}");

        a.dom0_rootfs = tmp.path().join("missing.cpio");
        let e = toolstack_initramfs(&host, &a, tmp.path()).unwrap_err();
        assert!(e.to_string().contains("make -C"), "{e}");
    }
}
