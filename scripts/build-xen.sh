#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds Xen 4.17.5 from the pristine Debian tree (scripts/fetch-sources.sh).
#
#   scripts/build-xen.sh stock     -> build/xen-stock/xen/{xen,xen-syms}
#   scripts/build-xen.sh release   -> build/xen-release/xen/{xen,xen.gz,xen-syms}
#   scripts/build-xen.sh debug     -> build/xen-debug/xen/{xen,xen-syms}
#   scripts/build-xen.sh flask     -> build/xen-flask/xen/{xen,xen-syms}
#
# One tree, three images (docs/build.md):
# - stock: Xen's defconfig, no patch;
# - release: the series on defconfig, test-only ops compiled out
#   (CONFIG_NUMASTAT_HEAPWALK=n): what a user installs;
# - debug: the series with CONFIG_DEBUG=y, so every ASSERT runs (the
#   per-domain counter checks among them), CONFIG_UBSAN=y and
#   CONFIG_NUMASTAT_HEAPWALK=y (the tests' free-list walk): what the QEMU
#   suite runs;
# - flask: debug plus XSM/FLASK with Xen's example policy built in and the
#   test module hypervisor/flask/numastat.te added (checkpolicy): the XSM
#   tests' image.
# "patched" kinds apply hypervisor/patches/series, generate the ABI check
# header from the Rust abi crate and build the Rust component
# (hypervisor/build-xen-lib.sh). Reuses what is built: a tree is re-made
# only when the series or this script changes; make does the rest.
set -euo pipefail

kind=${1:?usage: build-xen.sh stock|release|debug|flask}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
pristine=$build/src/xen-pristine
tree=$build/xen-$kind
jobs=${JOBS:-$(nproc)}

[ -f "$pristine/xen/Makefile" ] || { echo "build-xen: no Xen source; run scripts/fetch-sources.sh" >&2; exit 1; }

self=$(sha256sum < "$0" | cut -c1-8)
case $kind in
stock)   stamp=stock-$self ;;
release|debug|flask)
    stamp=$kind-$self-$(cd "$top/hypervisor/patches" && cat series $(cat series) "$top/hypervisor/flask/numastat.te" | sha256sum | cut -c1-16) ;;
*) echo "build-xen: unknown kind '$kind'" >&2; exit 2 ;;
esac

if [ "$(cat "$tree/.numastat-stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "build-xen: preparing $tree"
    rm -rf "$tree"
    cp -a "$pristine" "$tree"
    if [ "$kind" != stock ]; then
        while read -r p; do
            [ -n "$p" ] || continue
            patch -d "$tree" -p1 -s --forward < "$top/hypervisor/patches/$p"
        done < "$top/hypervisor/patches/series"
    fi
    make -s -C "$tree/xen" defconfig >/dev/null
    case $kind in
    release) echo '# CONFIG_NUMASTAT_HEAPWALK is not set' >> "$tree/xen/.config" ;;
    debug) printf '%s\n' CONFIG_DEBUG=y CONFIG_UBSAN=y CONFIG_NUMASTAT_HEAPWALK=y >> "$tree/xen/.config" ;;
    flask)
        printf '%s\n' CONFIG_DEBUG=y CONFIG_NUMASTAT_HEAPWALK=y CONFIG_XSM=y \
            CONFIG_XSM_FLASK=y CONFIG_XSM_FLASK_POLICY=y >> "$tree/xen/.config"
        mods=$tree/tools/flask/policy/modules
        cp "$top/hypervisor/flask/numastat.te" "$mods/numastat.te"
        echo 'numastat = on' >> "$mods/modules.conf"
        ;;
    esac
    make -s -C "$tree/xen" olddefconfig >/dev/null 2>&1
    case $kind in
    debug) wants="CONFIG_DEBUG=y CONFIG_UBSAN=y CONFIG_NUMASTAT_HEAPWALK=y" ;;
    flask) wants="CONFIG_XSM_FLASK=y CONFIG_XSM_FLASK_POLICY=y CONFIG_NUMASTAT_HEAPWALK=y" ;;
    *) wants= ;;
    esac
    for want in $wants; do
        grep -qx "$want" "$tree/xen/.config" || { echo "build-xen: $want did not stick" >&2; exit 1; }
    done
    if [ "$kind" = release ] && grep -q '^CONFIG_NUMASTAT_HEAPWALK=y' "$tree/xen/.config"; then
        echo "build-xen: the release image must not have the heap walk" >&2; exit 1
    fi
    echo "$stamp" > "$tree/.numastat-stamp"
fi

if [ "$kind" != stock ]; then
    # Generated ABI checks: replaced only when they change, so make's
    # timestamps stay meaningful.
    gen=$(mktemp)
    cargo run --quiet --manifest-path "$top/Cargo.toml" --bin gen-abi-check -- "$gen"
    dst=$tree/xen/include/xen/numastat-abi-check.h
    cmp -s "$gen" "$dst" || cp "$gen" "$dst"
    rm -f "$gen"

    thunk=RETURN_THUNK=n
    grep -q '^CONFIG_RETURN_THUNK=y' "$tree/xen/.config" && thunk=RETURN_THUNK=y
    mkdir -p "$tree/xen/numastat"
    lib=$tree/xen/numastat/libxen_numastat.a
    "$top/hypervisor/build-xen-lib.sh" "$lib.new" "$thunk"
    if cmp -s "$lib.new" "$lib"; then rm -f "$lib.new"; else mv "$lib.new" "$lib"; fi
fi

log=$build/logs/xen-$kind-build.log
mkdir -p "$build/logs"
if ! make -C "$tree/xen" -j"$jobs" >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "build-xen: Xen ($kind) failed to build; full log in $log" >&2
    exit 1
fi
echo "build-xen: $tree/xen/xen"
