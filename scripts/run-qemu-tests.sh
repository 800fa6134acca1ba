#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs every QEMU test suite (qemu-tests/tests/*.rs), one after the other,
# two tests of a suite at a time (two QEMUs: the machine has 2 cores), and
# prints each suite's wall time. Runs them all even if one fails, then
# fails if any did. Used by `make qemu-test`; artifacts must be built.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
suites=${QEMU_SUITES:-$(cd qemu-tests/tests && ls *.rs | sed 's/\.rs$//' | sort)}
cargo build --quiet --release -p xen-numastat-qemu-tests --tests || exit 1
failed=()
times=()
total0=$(date +%s)
for s in $suites; do
    t0=$(date +%s)
    echo "=== qemu suite $s ==="
    if XEN_NUMASTAT_SKIP_MAKE=1 cargo test --quiet --release -p xen-numastat-qemu-tests \
            --test "$s" -- --test-threads=2; then
        res=ok
    else
        res=FAILED
        failed+=("$s")
    fi
    dt=$(( $(date +%s) - t0 ))
    times+=("$(printf '%-16s %5d s  %s' "$s" "$dt" "$res")")
    echo "=== qemu suite $s: $res in $dt s ==="
done
echo "=== qemu suites (wall time) ==="
printf '%s\n' "${times[@]}"
echo "total $(( $(date +%s) - total0 )) s"
if [ ${#failed[@]} -gt 0 ]; then
    echo "failed suites: ${failed[*]}" >&2
    exit 1
fi
