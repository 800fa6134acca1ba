#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""perfn.py XEN_SYMS A B [DIV]: per-function (B - A) / DIV of two insncount
dumps ("vaddr count" lines), largest first; functions by `nm -n XEN_SYMS`."""
import bisect
import collections
import subprocess
import sys

syms, a, b = sys.argv[1:4]
div = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
tab = []
for line in subprocess.run(['nm', '-n', syms], capture_output=True, text=True,
                           check=True).stdout.splitlines():
    p = line.split()
    if len(p) == 3 and p[1] in 'tTwW':
        tab.append((int(p[0], 16), p[2]))
addrs = [x[0] for x in tab]


def load(path):
    d = collections.Counter()
    with open(path) as f:
        for line in f:
            va, c = line.split()
            d[int(va, 16)] += int(c)
    return d


A, B = load(a), load(b)
fn = collections.Counter()
for va in set(A) | set(B):
    i = bisect.bisect_right(addrs, va) - 1
    fn[tab[i][1] if i >= 0 else '?'] += B[va] - A[va]
print(f"{sum(fn.values()) / div:10.2f} (all of Xen)")
for k, v in sorted(fn.items(), key=lambda kv: -abs(kv[1])):
    if abs(v / div) >= 0.05:
        print(f"{v / div:10.2f} {k}")
