#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Fetches what the build needs into build/ (ignored by git), once:
#   build/src/xen-4.17.5.orig/   pristine Xen 4.17.5 from Debian's source package
#   build/dom0/vmlinuz           Debian's 6.1 kernel (PV dom0 capable)
#   build/dom0/xen-privcmd.ko    the privcmd module matching it
#   build/dom0/modules/lib/modules/<release>/
#                                the same kernel's xenfs, xen-evtchn,
#                                xen-gntdev, xen-gntalloc, xen-privcmd and
#                                modules.* lists, for the toolstack dom0
# Versions are pinned here; docs/build.md says why.
set -euo pipefail

XEN_DEB_VERSION=4.17.5+72-g01140da4e8-1
XEN_DIR=xen-4.17.5+72-g01140da4e8

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
mkdir -p "$build/src" "$build/dom0"

if [ ! -f "$build/src/xen-pristine/xen/Makefile" ]; then
    (
        cd "$build/src"
        rm -rf dl && mkdir dl && cd dl
        apt-get source --download-only "xen=$XEN_DEB_VERSION"
        tar xf xen_*.orig.tar.*
        [ -d "$XEN_DIR" ]
        rm -rf ../xen-pristine
        mv "$XEN_DIR" ../xen-pristine
        cd .. && rm -rf dl
    )
fi

if [ ! -f "$build/dom0/vmlinuz" ] || [ ! -f "$build/dom0/xen-privcmd.ko" ] ||
   [ ! -d "$build/dom0/modules/lib/modules" ]; then
    (
        cd "$build/dom0"
        rm -rf dl && mkdir dl && cd dl
        # linux-image-amd64 is a metapackage: resolve the real image package.
        img=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
        [ -n "$img" ]
        apt-get download "$img"
        dpkg-deb -x ./*.deb root
        cp root/boot/vmlinuz-* ../vmlinuz
        find root -name xen-privcmd.ko -exec cp {} ../xen-privcmd.ko \;
        rel=$(basename root/lib/modules/*)
        echo "$rel" > ../kernel-release
        # The toolstack dom0 (scripts/build-dom0-rootfs.sh) modprobes these
        # five; their only dependency is xenfs -> xen-privcmd (modinfo), so
        # the rest of the tree stays behind. depmod reads the modules.* lists.
        mods="xenfs/xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd"
        rm -rf ../modules
        for m in $mods; do
            install -D -m 0644 "root/lib/modules/$rel/kernel/drivers/xen/$m.ko" \
                "../modules/lib/modules/$rel/kernel/drivers/xen/$m.ko"
        done
        cp -a "root/lib/modules/$rel"/modules.{order,builtin,builtin.modinfo} "../modules/lib/modules/$rel/"
        cd .. && rm -rf dl
    )
fi
echo "sources ready in $build"
