#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Unpacks the packages that make deb built (dpkg -x, into a scratch root)
# and checks that each file is where Debian's tools look for it, that the
# binary runs, and that the units and man page pass their checkers there.
# Usage: package-test.sh DEB_DIR (make package-test).
set -euo pipefail
debs=$(cd "${1:?usage: $0 DEB_DIR}" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

tool=$(ls "$debs"/xen-numastat_*_amd64.deb)
hv=$(ls "$debs"/xen-hypervisor-numastat_*_amd64.deb)
dpkg -x "$tool" "$root/tool"
dpkg -x "$hv" "$root/hv"

# xen-numastat: every file where its user (shell, man, systemd) looks.
for f in usr/sbin/xen-numastat \
    usr/share/man/man8/xen-numastat.8.gz \
    usr/share/bash-completion/completions/xen-numastat \
    usr/share/zsh/vendor-completions/_xen-numastat \
    usr/share/fish/vendor_completions.d/xen-numastat.fish \
    lib/systemd/system/xen-numastat-prometheus.service \
    lib/systemd/system/xen-numastat-prometheus.timer \
    usr/share/xen-numastat/xen-numastat.schema.json \
    usr/share/doc/xen-numastat/copyright \
    usr/share/doc/xen-numastat/changelog.gz \
    usr/share/doc/xen-numastat/changelog.Debian.gz; do
    if [ -f "$root/tool/$f" ]; then ok "/$f"; else bad "/$f missing"; fi
done
bin=$root/tool/usr/sbin/xen-numastat
version=$(dpkg-deb -f "$tool" Version)
out=$("$bin" --version) && [[ $out == "xen-numastat ${version%%-*} "* ]] &&
    ok "--version: $out" || bad "--version: $out"
"$bin" --help >/dev/null && ok "--help exits 0" || bad "--help"
file "$bin" | grep -q 'static' && ok "static binary" || bad "not static: $(file "$bin")"
grep -q 'GPL-2' "$root/tool/usr/share/doc/xen-numastat/copyright" &&
    ok "copyright names GPL-2" || bad "copyright"
# The service runs the binary the package installs.
grep -q "^ExecStart=.*/usr/sbin/xen-numastat --prometheus" \
    "$root/tool/lib/systemd/system/xen-numastat-prometheus.service" &&
    ok "service runs /usr/sbin/xen-numastat" || bad "service ExecStart"
msg=$(MANPATH=$root/tool/usr/share/man systemd-analyze verify \
    "$root/tool/lib/systemd/system/xen-numastat-prometheus.service" \
    "$root/tool/lib/systemd/system/xen-numastat-prometheus.timer" 2>&1) && [ -z "$msg" ] &&
    ok "systemd-analyze verify" || bad "systemd-analyze verify: $msg"
msg=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$root/tool/usr/share/man/man8/xen-numastat.8.gz" 2>&1 >/dev/null) &&
    [ -z "$msg" ] && ok "man page renders without warnings" || bad "man: $msg"
bash -n "$root/tool/usr/share/bash-completion/completions/xen-numastat" && ok "bash completion parses"
zsh -n "$root/tool/usr/share/zsh/vendor-completions/_xen-numastat" && ok "zsh completion parses"
fish -n "$root/tool/usr/share/fish/vendor_completions.d/xen-numastat.fish" && ok "fish completion parses"

# xen-hypervisor-numastat: /boot/xen-4.17-numastat.gz, which grub's
# /etc/grub.d/20_linux_xen lists (its loop over /boot/xen*, minus what its
# file_is_not_xen_garbage drops) as Xen version "4.17-numastat", beside
# Debian's /boot/xen-4.17-amd64.gz ("4.17-amd64").
img=$root/hv/boot/xen-4.17-numastat.gz
[ -f "$img" ] && gzip -t "$img" && ok "/boot/xen-4.17-numastat.gz is gzip" || bad "hypervisor image"
gzip -dc "$img" >"$root/xen" && [ "$(head -c 4 "$root/xen" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] &&
    ok "image holds an ELF (multiboot Xen)" || bad "image is not an ELF"
[ -f "$root/hv/boot/xen-4.17-numastat.config" ] && ok "/boot/xen-4.17-numastat.config" || bad "no .config"
# The release build (scripts/build-xen.sh release): no test-only ops, no
# debug build.
cfg=$root/hv/boot/xen-4.17-numastat.config
grep -qx '# CONFIG_NUMASTAT_HEAPWALK is not set' "$cfg" && ! grep -qx 'CONFIG_DEBUG=y' "$cfg" &&
    ok "the release build: heapwalk compiled out, CONFIG_DEBUG off" || bad "not the release build's .config"
listed=()
for i in "$root"/hv/boot/xen*; do
    case "$i" in # 20_linux_xen's file_is_not_xen_garbage
    */xen-syms-* | */xenpolicy-* | */*.config) ;;
    *) listed+=("$(basename "$i" | sed -e 's,.gz$,,g;s,^xen-,,g')") ;;
    esac
done
[ "${listed[*]}" = "4.17-numastat" ] && ok "grub lists Xen 4.17-numastat" || bad "grub would list: ${listed[*]}"
dpkg-deb -c "$hv" | grep -q 'boot/xen-4.17-amd64' && bad "would overwrite Debian's hypervisor" ||
    ok "no file of xen-hypervisor-4.17-amd64"
dpkg-deb -I "$hv" postinst | grep -q update-grub && ok "postinst runs update-grub" || bad "postinst"
exit $fail
