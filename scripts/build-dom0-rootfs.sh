#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds the toolstack host's dom0 root file system and the guest kit, once
# (docs/toolstack.md says what is in them and why):
#   build/dom0-rootfs/dom0.cpio          uncompressed newc initramfs: Debian 12
#                                        minbase, Debian's Xen 4.17.5 userspace
#                                        (xl, oxenstored, xenconsoled), kmod,
#                                        procps, static busybox, the Xen kernel
#                                        modules, an /init, and the guest kit
#   build/dom0-rootfs/guest/vmlinux      Debian's kernel as an ELF, for PV guests
#   build/dom0-rootfs/guest/initrd.cpio  uncompressed busybox guest initramfs
#   build/dom0-rootfs/manifest.txt       package versions and sizes
# Re-made only when the stamp (a hash of this script and of its inputs:
# the mirror, Debian's kernel, busybox) changes. Needs root (mmdebstrap
# --mode=root), scripts/install-deps.sh and scripts/fetch-sources.sh first.
set -euo pipefail

# Pinned: the hypervisor is 4.17.5 (scripts/fetch-sources.sh), so are the
# tools. Only bookworm main is used: bookworm-security would bring 4.17.7
# libraries (docs/platform.md).
XEN_DEB_VERSION=4.17.5+72-g01140da4e8-1
SUITE=bookworm
PACKAGES=(
    "xen-utils-4.17=$XEN_DEB_VERSION"
    "xen-utils-common=$XEN_DEB_VERSION"
    kmod
    procps
)
# The five modules Debian's /etc/init.d/xen and xl need (privcmd: hypercalls,
# evtchn/gntdev/gntalloc: xenstored, xenconsoled and libxl's devices, xenfs:
# /proc/xen/capabilities and xsd_kva).
MODULES=(xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd)

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
out=$build/dom0-rootfs
dom0=$build/dom0
busybox=/bin/busybox

die() { echo "build-dom0-rootfs: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap --mode=root): run it as root"
command -v mmdebstrap >/dev/null || die "mmdebstrap missing: run scripts/install-deps.sh"
for f in "$dom0/vmlinuz" "$dom0/kernel-release"; do
    [ -f "$f" ] || die "$f missing: run scripts/fetch-sources.sh"
done
rel=$(cat "$dom0/kernel-release")
mods=$dom0/modules/lib/modules/$rel
[ -d "$mods" ] || die "$mods missing: run scripts/fetch-sources.sh"
file -L "$busybox" | grep -q 'statically linked' ||
    die "$busybox is not static: install busybox-static (scripts/install-deps.sh)"

# The deb stanza of the image's sources for $SUITE itself (not -security,
# not -updates); DEBIAN_MIRROR overrides.
mirror_uri() {
    awk -v suite="$SUITE" '
        function flush() {
            if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uri == "")
                uri = uris
            types = suites = uris = ""
        }
        /^[ \t]*$/ { flush(); next }
        /^Types:/  { sub(/^Types:[ \t]*/, ""); types = $0 }
        /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
        /^URIs:/   { sub(/^URIs:[ \t]*/, ""); split($0, u, /[ \t]+/); uris = u[1] }
        END { flush(); print uri }
    ' /etc/apt/sources.list.d/*.sources 2>/dev/null
}
mirror=${DEBIAN_MIRROR:-$(mirror_uri)}
[ -n "$mirror" ] || die "no 'Types: deb' stanza for $SUITE in /etc/apt/sources.list.d: set DEBIAN_MIRROR"

stamp=$( {
    sha256sum "$0"
    echo "mirror $mirror"
    sha256sum "$dom0/vmlinuz"
    find "$mods" -type f -print0 | sort -z | xargs -0 sha256sum
    sha256sum "$busybox"
} | sha256sum | cut -d' ' -f1)
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] &&
   [ -f "$out/dom0.cpio" ] && [ -f "$out/guest/vmlinux" ] && [ -f "$out/guest/initrd.cpio" ]; then
    echo "dom0 rootfs up to date in $out"
    exit 0
fi

t0=$SECONDS
rm -rf "$out" && mkdir -p "$out/guest"
work=$out/work
tree=$work/tree
mkdir -p "$work"

# --- Guest kit -----------------------------------------------------------

# The kernel, decompressed here once instead of by libxc in dom0 at every
# `xl create` (docs/platform.md: 18-38 s of TCG time for the xz bzImage, 2-4 s
# for the ELF). Linux's scripts/extract-vmlinux: find the payload's magic
# in the bzImage, decompress from there, keep what is an ELF.
extract_vmlinux() {
    local img=$1 dst=$2 magic tool pos
    for pair in 'fd377a585a00:xz -dc --single-stream' '28b52ffd:zstd -dcq' '1f8b08:gzip -dcq'; do
        magic=${pair%%:*} tool=${pair#*:}
        for pos in $(od -An -v -tx1 "$img" | tr -d ' \n' |
                     grep -bo "$magic" | cut -d: -f1); do
            [ $((pos % 2)) = 0 ] || continue # a match across two bytes
            tail -c +$((pos / 2 + 1)) "$img" | $tool >"$dst" 2>/dev/null || true
            if [ "$(head -c 4 "$dst" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
                return 0
            fi
        done
    done
    return 1
}
extract_vmlinux "$dom0/vmlinuz" "$out/guest/vmlinux" ||
    die "no xz, zstd or gzip ELF payload found in $dom0/vmlinuz"

# A busybox guest: /init mounts the usual, prints the ready line on hvc0
# (xenconsoled logs it to /var/log/xen/console/guest-<name>.log), runs the
# `xns_guest_run` command from the kernel command line (xl's `extra=`) if
# any, and idles. The kernel's orderly poweroff (`xl shutdown`) runs
# /sbin/poweroff, which must not wait for an init that ignores signals.
g=$work/guest
mkdir -p "$g"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,dev,proc,sys,tmp,lib/modules}
cp "$busybox" "$g/bin/busybox"
ln -s busybox "$g/bin/sh"
mknod -m 600 "$g/dev/console" c 5 1
# For the unprivileged-caller checks: privcmd inside a guest.
cp "$mods/kernel/drivers/xen/xen-privcmd.ko" "$g/lib/modules/"
cat >"$g/sbin/poweroff" <<'EOF'
#!/bin/busybox sh
exec /bin/busybox poweroff -f
EOF
cat >"$g/init" <<'EOF'
#!/bin/busybox sh
# Guest /init, from scripts/build-dom0-rootfs.sh.
/bin/busybox --install -s
# /usr/local/bin: the test programs, when the harness appends them
# (qemu-tests/src/boot/toolstack.rs, the guest kit).
export PATH=/usr/local/bin:/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
dmesg -n 1
echo "@@XNS GUEST READY $(cat /proc/uptime)"
if [ -n "${xns_guest_run:-}" ]; then
    echo "@@XNS GUEST RUN $xns_guest_run"
    sh -c "$xns_guest_run"
    echo "@@XNS GUEST RUN-END rc=$?"
fi
while :; do sleep 3600; done
EOF
chmod 755 "$g/init" "$g/sbin/poweroff"
(cd "$g" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
    cpio --null -o -H newc --owner=0:0 --quiet) >"$out/guest/initrd.cpio"

# --- dom0 tree -----------------------------------------------------------

# minbase, no recommends; dpkg skips docs, man pages and locales as it
# unpacks (the rm below catches what the essential stage extracted).
mmdebstrap --variant=minbase --mode=root --quiet \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --include="$(IFS=,; echo "${PACKAGES[*]}")" \
    "$SUITE" "$tree" "$mirror"

# What went in, before trimming removes dpkg's view of it.
{
    echo "# dom0 rootfs: Debian $SUITE from $mirror, kernel $rel"
    dpkg-query --admindir="$tree/var/lib/dpkg" -W -f='${Package} ${Version}\n' | sort
} >"$out/manifest.txt"
# Every package built from Xen's source (xen-utils-*, xenstore-utils,
# libxen*) must be the hypervisor's version.
bad=$(awk -v v="$XEN_DEB_VERSION" '$1 ~ /^(lib)?xen/ && $2 != v' "$out/manifest.txt")
[ -z "$bad" ] || die "Xen packages not at $XEN_DEB_VERSION: $bad"

# Trim what neither xl, /etc/init.d/xen nor dpkg uses: python3 (only pygrub,
# xen-init-list and xen-init-name, which xendomains uses), perl's modules
# beyond perl-base,
# udev's hardware database (no udev runs), apt's caches, docs, man pages,
# locales, time zones. docs/toolstack.md lists what was checked.
# perl-base stays (/usr/bin/perl and its core modules): the packages'
# maintainer scripts run deb-systemd-helper, a perl script, when the boot
# installs them with dpkg; the rest of perl goes.
rm -rf "$tree"/usr/lib/python3* "$tree"/usr/bin/python3* "$tree"/usr/share/python3 \
       "$tree"/usr/share/perl "$tree"/usr/lib/x86_64-linux-gnu/perl \
       "$tree"/usr/lib/x86_64-linux-gnu/libperl.so* \
       "$tree"/usr/lib/udev/hwdb.bin "$tree"/usr/lib/udev/hwdb.d \
       "$tree"/var/cache/apt/* "$tree"/var/lib/apt/lists/* "$tree"/var/cache/debconf/*-old \
       "$tree"/usr/share/man "$tree"/usr/share/info "$tree"/usr/share/locale \
       "$tree"/usr/share/zoneinfo "$tree"/usr/share/bash-completion "$tree"/usr/share/lintian
find "$tree/usr/share/doc" -type f ! -name copyright -delete 2>/dev/null || true
# What deb-systemd-helper loads must still be there.
chroot "$tree" perl -e 'use strict; use warnings; use File::Path; use File::Basename;
    use File::Temp; use Getopt::Long; use constant;' ||
    die "perl-base lacks a module deb-systemd-helper needs"

# busybox for poweroff -f (minbase has no init system) and a few applets
# minbase lacks; installed under its own name so Debian's tools stay first.
cp "$busybox" "$tree/usr/bin/busybox"

# The kernel modules, from Debian's kernel package (fetch-sources.sh).
mkdir -p "$tree/lib/modules"
cp -a "$mods" "$tree/lib/modules/"
# The tree's own depmod (kmod), so the host needs no kmod.
chroot "$tree" depmod -a "$rel"
for m in "${MODULES[@]}"; do
    grep -q "/${m}.ko:" "$tree/lib/modules/$rel/modules.dep" ||
        die "module $m missing from $mods"
done

# Guest consoles go to files, so the host can read a guest's ready line.
cat >>"$tree/etc/default/xen" <<'EOF'

# xen-numastat (scripts/build-dom0-rootfs.sh): log guest consoles to files.
XENCONSOLED_ARGS="--log=guest --log-dir=/var/log/xen/console"
EOF
mkdir -p "$tree/var/log/xen/console" "$tree/var/lib/xen" "$tree/run" "$tree/tmp" "$tree/xns"
echo xns-dom0 >"$tree/etc/hostname"

# The guest kit, where xl configs find it.
mkdir -p "$tree/var/lib/xns-guest"
cp "$out/guest/vmlinux" "$out/guest/initrd.cpio" "$tree/var/lib/xns-guest/"

cat >"$tree/init" <<'EOF'
#!/bin/sh
# dom0 /init, from scripts/build-dom0-rootfs.sh (docs/toolstack.md).
# Frames its output with @@XNS lines like qemu-tests/src/initramfs.rs:
#   @@XNS INIT UPTIME                  file systems mounted
#   @@XNS PACKAGES ok | failed rc=N | none UPTIME
#                                      dpkg -i of /xns/debs/*.deb (the
#                                      project's packages, appended by the
#                                      harness), before anything else runs
#   @@XNS MODULES ok | failed rc=N     modprobe of the five Xen modules
#   @@XNS TOOLSTACK ok | failed rc=N UPTIME   /etc/init.d/xen start
#                   | skipped UPTIME          xns_toolstack=0 given
#   @@XNS BEGIN i / OUT i LEN TEXT / END i rc=N lines=M
#   @@XNS DONE UPTIME                  last line before poweroff -f
# Commands: /xns/cmd-0.sh, cmd-1.sh, ... (a cpio appended to this one, or
# baked in), then `xns_run` from the kernel command line, if given
# (xns_run="xl info -n; xl list": the kernel hands unknown name=value
# words to init as environment variables).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=0755,size=64M tmpfs /run
exec </dev/console >/dev/console 2>&1
# Keep the kernel's messages off the console (dmesg has them): they would
# land inside framed lines.
dmesg -n 1
up() { cut -d' ' -f1 /proc/uptime; }
echo "@@XNS INIT $(up)"
# The packages, installed as an administrator would (docs/toolstack.md):
# the CLI is then /usr/sbin/xen-numastat from xen-numastat's .deb.
if ls /xns/debs/*.deb >/dev/null 2>&1; then
    dpkg -i /xns/debs/*.deb >/tmp/xns-dpkg 2>&1
    rc=$?
    if [ $rc = 0 ]; then
        echo "@@XNS PACKAGES ok $(up)"
    else
        echo "@@XNS PACKAGES failed rc=$rc $(up)"
    fi
    sed 's/^/dpkg| /' /tmp/xns-dpkg
else
    echo "@@XNS PACKAGES none $(up)"
fi
rc=0
for m in xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd; do
    modprobe "$m" || rc=$?
done
[ -e /proc/xen/capabilities ] || mount -t xenfs xenfs /proc/xen || rc=$?
if [ $rc = 0 ]; then echo "@@XNS MODULES ok"; else echo "@@XNS MODULES failed rc=$rc"; fi
if [ "${xns_toolstack:-1}" = 0 ]; then
    # xns_toolstack=0 on the kernel command line: a dom0 without xenstored
    # (what the busybox dom0 is), to check what works without it.
    echo "@@XNS TOOLSTACK skipped $(up)"
else
    /etc/init.d/xen start >/tmp/xns-toolstack 2>&1
    rc=$?
    if [ $rc = 0 ] && [ -S /run/xenstored/socket ]; then
        echo "@@XNS TOOLSTACK ok rc=0 $(up)"
    else
        echo "@@XNS TOOLSTACK failed rc=$rc $(up)"
        sed 's/^/toolstack| /' /tmp/xns-toolstack
    fi
fi
xns_frame() {
    echo "@@XNS BEGIN $1"
    sh "$2" >/tmp/xns-out 2>&1 </dev/null
    rc=$?
    awk -v i="$1" '{ printf "@@XNS OUT %s %d %s\n", i, length($0), $0 }' /tmp/xns-out
    echo "@@XNS END $1 rc=$rc lines=$(awk 'END { print NR }' /tmp/xns-out)"
}
i=0
while [ -f "/xns/cmd-$i.sh" ]; do
    xns_frame "$i" "/xns/cmd-$i.sh"
    i=$((i + 1))
done
if [ -n "${xns_run:-}" ]; then
    printf '%s\n' "$xns_run" >/tmp/xns-cmdline.sh
    xns_frame "$i" /tmp/xns-cmdline.sh
fi
echo "@@XNS DONE $(up)"
busybox poweroff -f
EOF
chmod 755 "$tree/init"

(cd "$tree" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
    cpio --null -o -H newc --owner=0:0 --quiet) >"$out/dom0.cpio"
{
    echo "# sizes (bytes)"
    echo "tree $(du -sb "$tree" | cut -f1)"
    for f in dom0.cpio guest/vmlinux guest/initrd.cpio; do
        echo "$f $(stat -c %s "$out/$f")"
    done
} >>"$out/manifest.txt"
rm -rf "$work"
echo "$stamp" >"$out/stamp"
echo "dom0 rootfs built in $out in $((SECONDS - t0)) s: dom0.cpio $(($(stat -c %s "$out/dom0.cpio") >> 20)) MB"
