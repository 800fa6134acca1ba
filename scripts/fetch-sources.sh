#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Fetches what the build needs into build/ (ignored by git), once:
#   build/src/xen-4.17.5.orig/   pristine Xen 4.17.5 from Debian's source package
#   build/dom0/vmlinuz           Debian's 6.1 kernel (PV dom0 capable)
#   build/dom0/xen-privcmd.ko    the privcmd module matching it
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

if [ ! -f "$build/dom0/vmlinuz" ] || [ ! -f "$build/dom0/xen-privcmd.ko" ]; then
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
        basename root/lib/modules/* > ../kernel-release
        cd .. && rm -rf dl
    )
fi
echo "sources ready in $build"
