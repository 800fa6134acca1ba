#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Where the allocator's instructions go, per function of Xen:
#
#   scripts/insncount/profile-alloc.sh stock|release [ORDER [ADDRESS_BITS]]
#
# Boots the image twice under -icount with the insncount TCG plugin
# (every executed instruction of Xen's text counted at its address), once
# running `dom0-testkit allocbench ORDER 20` and once `... 40`, and
# prints, per function, the difference of the two boots divided by
# 20 x 4096: Xen's instructions per page of one populate_physmap plus one
# decrease_reservation, boot and domain set-up cancelled out. The counts
# are dumped when Xen runs its 'u' key handler (dump_numa), which dom0
# presses after the benchmark. Needs gcc, the built images and
# `make dom0-bins`; one QEMU at a time. Output: build/insncount/.
# Functions that spin on time (get_s_time_fixed, get_cmos_time) vary
# with the timing of the boot; compare the allocator's own functions.
set -euo pipefail
img=${1:?usage: profile-alloc.sh stock|release [order [address_bits]]}
order=${2:-0}
bits=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$top/build/insncount
syms=$top/build/xen-$img/xen/xen-syms
[ -f "$syms" ] || { echo "profile-alloc: no $syms" >&2; exit 1; }
mkdir -p "$out/bin"
gcc -O2 -Wall -shared -fPIC -fvisibility=hidden -o "$out/insncount.so" "$here/insncount.c"
qemu=$(command -v qemu-system-x86_64)
trig=$(nm "$syms" | awk '$3 == "dump_numa" { print $1 }')
cat > "$out/bin/qemu-system-x86_64" <<EOW
#!/bin/sh
exec $qemu "\$@" -icount shift=0,sleep=off -plugin $out/insncount.so,out=\$INSNCOUNT_OUT,trigger=$trig
EOW
chmod +x "$out/bin/qemu-system-x86_64"
flag=--stock
[ "$img" = release ] && flag=--release
for rounds in 20 40; do
    rm -f "$out/$img-$rounds.txt"
    PATH=$out/bin:$PATH INSNCOUNT_OUT=$out/$img-$rounds.txt XEN_NUMASTAT_SKIP_MAKE=1 \
        "$top/target/release/xen-qemu-boot" --nodes 1024M,1024M --cpus 1,0 \
        --xen-args bootscrub=off $flag --quiet --timeout 900 \
        --run "dom0-testkit allocbench $order $rounds $bits" --run 'dom0-testkit keys u' \
        > "$out/$img-$rounds.log" 2>&1
    [ -s "$out/$img-$rounds.txt" ] || { echo "profile-alloc: no counts from the $rounds-round boot" >&2; exit 1; }
done
python3 "$here/perfn.py" "$syms" "$out/$img-20.txt" "$out/$img-40.txt" 81920
