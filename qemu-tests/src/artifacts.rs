//! Where the files a boot needs live, and building them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::{Error, XenImage};

/// The static dom0 programs copied into the initramfs's `/bin` when built.
pub const DOM0_BINARIES: &[&str] = &["xen-numastat", "dom0-testkit"];

/// The binary packages of `make deb` (debian/control), installed in the
/// toolstack dom0.
pub const DEB_PACKAGES: &[&str] = &["xen-numastat", "xen-hypervisor-numastat"];

/// Set to `1` to skip `make artifacts` in [`ensure_artifacts`].
pub const SKIP_MAKE_ENV: &str = "XEN_NUMASTAT_SKIP_MAKE";

/// The repository root: `XEN_NUMASTAT_ROOT` if set, else the parent of this
/// crate's directory.
pub fn repo_root() -> PathBuf {
    if let Some(r) = std::env::var_os("XEN_NUMASTAT_ROOT") {
        return PathBuf::from(r);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Paths of everything a boot reads, and where logs go. Fields are public so
/// a caller can point one elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifacts {
    /// The patched hypervisor, debug build (multiboot image): ASSERTs live,
    /// the test-only heap walk in. What the QEMU suite boots.
    pub xen_patched: PathBuf,
    /// The patched hypervisor as a user installs it (no test-only ops).
    pub xen_release: PathBuf,
    /// The debug image with XSM/FLASK and a built-in policy.
    pub xen_flask: PathBuf,
    /// Unpatched Xen 4.17.5.
    pub xen_stock: PathBuf,
    /// dom0's Linux kernel.
    pub dom0_kernel: PathBuf,
    /// The toolstack host's dom0 root file system, Debian 12 with Debian's
    /// xl (`make dom0-rootfs`, docs/toolstack.md).
    pub dom0_rootfs: PathBuf,
    /// The PV guests' busybox initramfs (`make dom0-rootfs`); the harness
    /// appends the test programs to it for a guest that runs them.
    pub guest_initrd: PathBuf,
    /// Where `make deb` leaves the project's packages, which the toolstack
    /// dom0 installs with dpkg at every boot.
    pub deb_dir: PathBuf,
    /// The privcmd module matching `dom0_kernel`.
    pub privcmd_ko: PathBuf,
    /// A static busybox.
    pub busybox: PathBuf,
    /// Where the static dom0 programs ([`DOM0_BINARIES`]) are built.
    pub dom0_bin_dir: PathBuf,
    /// Where serial logs of failed boots are written.
    pub logs_dir: PathBuf,
}

impl Default for Artifacts {
    fn default() -> Self {
        Self::from_root(&repo_root())
    }
}

impl Artifacts {
    /// The layout the Makefile and `scripts/fetch-sources.sh` produce.
    pub fn from_root(root: &Path) -> Self {
        let build = root.join("build");
        Artifacts {
            xen_patched: build.join("xen-debug/xen/xen"),
            xen_release: build.join("xen-release/xen/xen"),
            xen_flask: build.join("xen-flask/xen/xen"),
            xen_stock: build.join("xen-stock/xen/xen"),
            dom0_kernel: build.join("dom0/vmlinuz"),
            dom0_rootfs: build.join("dom0-rootfs/dom0.cpio"),
            guest_initrd: build.join("dom0-rootfs/guest/initrd.cpio"),
            deb_dir: build.join("deb"),
            privcmd_ko: build.join("dom0/xen-privcmd.ko"),
            busybox: PathBuf::from("/bin/busybox"),
            dom0_bin_dir: root.join("target/x86_64-unknown-linux-gnu/release"),
            logs_dir: build.join("logs"),
        }
    }

    /// The image file of a [`XenImage`].
    pub fn xen(&self, image: &XenImage) -> PathBuf {
        match image {
            XenImage::Patched => self.xen_patched.clone(),
            XenImage::Release => self.xen_release.clone(),
            XenImage::Flask => self.xen_flask.clone(),
            XenImage::Stock => self.xen_stock.clone(),
            XenImage::Path(p) => p.clone(),
        }
    }

    /// Where a dom0 program would be.
    pub fn dom0_binary(&self, name: &str) -> PathBuf {
        self.dom0_bin_dir.join(name)
    }

    /// The dom0 programs that exist, as `(name, path)`.
    pub fn present_dom0_binaries(&self) -> Vec<(&'static str, PathBuf)> {
        DOM0_BINARIES
            .iter()
            .map(|n| (*n, self.dom0_binary(n)))
            .filter(|(_, p)| p.is_file())
            .collect()
    }

    /// The packages `make deb` builds, `(file name, path)`, one of each of
    /// [`DEB_PACKAGES`]; fails saying to run `make deb` if one is missing
    /// or there are two of a package.
    pub fn debs(&self) -> Result<Vec<(String, PathBuf)>, Error> {
        let names: Vec<String> = std::fs::read_dir(&self.deb_dir)
            .map(|d| {
                d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default();
        let mut out = Vec::new();
        for pkg in DEB_PACKAGES {
            let prefix = format!("{pkg}_");
            let found: Vec<&String> = names
                .iter()
                .filter(|n| n.starts_with(&prefix) && n.ends_with("_amd64.deb"))
                .collect();
            match found[..] {
                [one] => out.push((one.clone(), self.deb_dir.join(one))),
                _ => {
                    return Err(Error::Artifact(format!(
                        "{} {pkg}_*_amd64.deb in {}, want one: run `make -C {} deb`",
                        found.len(),
                        self.deb_dir.display(),
                        repo_root().display()
                    )))
                }
            }
        }
        Ok(out)
    }

    /// Fails with a sentence saying what to build if `path` is not a file.
    pub fn require(path: &Path, what: &str) -> Result<(), Error> {
        if path.is_file() {
            Ok(())
        } else {
            Err(Error::Artifact(format!(
                "{what} not found at {}: run `make -C {} artifacts` \
                 (scripts/fetch-sources.sh for the dom0 kernel)",
                path.display(),
                repo_root().display()
            )))
        }
    }
}

/// Runs `make -C <repo root> artifacts` once per process, unless
/// `XEN_NUMASTAT_SKIP_MAKE=1`. Later calls return the first call's outcome.
pub fn ensure_artifacts() -> Result<(), Error> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    if std::env::var(SKIP_MAKE_ENV).is_ok_and(|v| v == "1") {
        return Ok(());
    }
    DONE.get_or_init(|| {
        let root = repo_root();
        let status = Command::new("make")
            .arg("-C")
            .arg(&root)
            .arg("artifacts")
            // The toolstack dom0's CLI comes from the package.
            .arg("debs")
            .status()
            .map_err(|e| format!("cannot run make: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!(
                "`make -C {} artifacts` failed ({status}); fix the build, or set \
                 {SKIP_MAKE_ENV}=1 to boot what is already built",
                root.display()
            ))
        }
    })
    .clone()
    .map_err(Error::Artifact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debs_are_one_of_each_package() {
        let tmp = std::env::temp_dir().join(format!("xns-debs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).unwrap();
        let mut a = Artifacts::from_root(Path::new("/r"));
        a.deb_dir = tmp.clone();
        assert!(a.debs().unwrap_err().to_string().contains("make -C"));
        for f in [
            "xen-numastat_0.1.0_amd64.deb",
            "xen-hypervisor-numastat_0.1.0_amd64.deb",
            "xen-numastat_0.1.0_amd64.buildinfo",
        ] {
            std::fs::write(tmp.join(f), b"!<arch>").unwrap();
        }
        let names: Vec<String> = a.debs().unwrap().into_iter().map(|d| d.0).collect();
        assert_eq!(
            names,
            [
                "xen-numastat_0.1.0_amd64.deb",
                "xen-hypervisor-numastat_0.1.0_amd64.deb"
            ]
        );
        std::fs::write(tmp.join("xen-numastat_0.0.9_amd64.deb"), b"").unwrap();
        assert!(a
            .debs()
            .unwrap_err()
            .to_string()
            .starts_with("2 xen-numastat_"));
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    #[test]
    fn layout() {
        let a = Artifacts::from_root(Path::new("/r"));
        assert_eq!(
            a.xen(&XenImage::Stock),
            Path::new("/r/build/xen-stock/xen/xen")
        );
        assert_eq!(
            a.dom0_binary("xen-numastat"),
            Path::new("/r/target/x86_64-unknown-linux-gnu/release/xen-numastat")
        );
        assert!(Artifacts::require(Path::new("/nonexistent/xen"), "Xen")
            .unwrap_err()
            .to_string()
            .contains("make -C"));
    }
}
