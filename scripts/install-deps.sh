#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Installs the Debian packages the project needs (idempotent) and enables the
# bookworm deb-src entry that `apt-get source` needs for Xen. See
# docs/build.md for why each package is here.
set -euo pipefail

pkgs=(qemu-system-x86 busybox-static cpio flex bison dpkg-dev xz-utils patch
      python3 binutils make gcc bc
      # The FLASK test image's built-in policy (scripts/build-xen.sh flask).
      checkpolicy
      # Packaging and its checks (make deb, make package-test).
      debhelper fakeroot lintian systemd python3-jsonschema
      # The shells whose completions are tested, and Prometheus's promtool
      # and node_exporter for the metrics checks.
      bash zsh fish prometheus prometheus-node-exporter
      # The toolstack host's dom0 tree and guest kernel (docs/toolstack.md).
      mmdebstrap zstd)

src_list=/etc/apt/sources.list.d/xen-numastat-src.sources
need_update=0
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ /etc/apt/sources.list 2>/dev/null; then
    cat >"$src_list" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    need_update=1
fi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ] || [ $need_update = 1 ]; then
    apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
