#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds Xen 4.17.5 from the pristine Debian tree (scripts/fetch-sources.sh).
#
#   scripts/build-xen.sh stock     -> build/xen-stock/xen/{xen,xen-syms}
#   scripts/build-xen.sh patched   -> build/xen-patched/xen/{xen,xen-syms}
#
# "patched" applies hypervisor/patches/series, generates the ABI check header
# from the Rust abi crate, builds the Rust component (hypervisor/
# build-xen-lib.sh) and enables CONFIG_NUMASTAT_HEAPWALK (the tests' free-list
# walk). Both use Xen's defconfig otherwise, so the two images differ only by
# the series. Reuses what is built: the tree is re-made only when the series
# changes; make does the rest.
set -euo pipefail

kind=${1:?usage: build-xen.sh stock|patched}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
pristine=$build/src/xen-pristine
tree=$build/xen-$kind
jobs=${JOBS:-$(nproc)}

[ -f "$pristine/xen/Makefile" ] || { echo "build-xen: no Xen source; run scripts/fetch-sources.sh" >&2; exit 1; }

case $kind in
stock)   stamp=stock ;;
patched) stamp=$(cd "$top/hypervisor/patches" && cat series $(cat series) | sha256sum | cut -c1-16) ;;
*) echo "build-xen: unknown kind '$kind'" >&2; exit 2 ;;
esac

if [ "$(cat "$tree/.numastat-stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "build-xen: preparing $tree"
    rm -rf "$tree"
    cp -a "$pristine" "$tree"
    if [ "$kind" = patched ]; then
        while read -r p; do
            [ -n "$p" ] || continue
            patch -d "$tree" -p1 -s --forward < "$top/hypervisor/patches/$p"
        done < "$top/hypervisor/patches/series"
    fi
    make -s -C "$tree/xen" defconfig >/dev/null
    if [ "$kind" = patched ]; then
        echo CONFIG_NUMASTAT_HEAPWALK=y >> "$tree/xen/.config"
        make -s -C "$tree/xen" olddefconfig >/dev/null 2>&1
    fi
    echo "$stamp" > "$tree/.numastat-stamp"
fi

if [ "$kind" = patched ]; then
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
