#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds libxen_numastat.a, the numastat component as Xen links it.
#
#   hypervisor/build-xen-lib.sh OUT.a [RETURN_THUNK=y|n]
#
# Why not the staticlib cargo makes: Xen 4.17 is built with return thunks
# (CONFIG_RETURN_THUNK: every `ret` becomes `jmp __x86_return_thunk`), and
# stable rustc cannot emit them. So rustc compiles the crate with Xen's code
# generation contract to assembly, this script turns each `ret` into the
# thunk jump, refuses anything outside the contract, and assembles one
# object. core is not linked at all: a reference to anything of core that
# was not inlined (a panic path, say) is an undefined symbol and fails the
# Xen link. docs/hypervisor.md has the details; the linked xen-syms is
# checked independently by hypervisor/tests/check-codegen.py.
set -euo pipefail

out=${1:?usage: build-xen-lib.sh OUT.a [RETURN_THUNK=y|n]}
thunk=${2:-RETURN_THUNK=y}
top=$(cd "$(dirname "$0")/.." && pwd)
tdir=${CARGO_TARGET_DIR_XEN:-$top/build/rust-xen}

# Xen's contract (xen/arch/x86/arch.mk), in rustc's words:
#  -mno-red-zone                 -> -C no-redzone=y
#  -fpic, linked at 0xffff82d0... -> -C relocation-model=pie (RIP-relative)
#  direct calls, no GOT          -> -C relro-level=off (calls via @PLT, which
#                                   a static link resolves to direct calls;
#                                   full RELRO makes rustc call via the GOT)
#  -mno-mmx -mno-sse             -> -C target-feature=-sse,-sse2 (rustc warns)
#  -fno-jump-tables              -> -C jump-tables=no
#  no .eh_frame                  -> -C force-unwind-tables=no, panic=abort
export RUSTFLAGS="-C panic=abort -C no-redzone=y -C relocation-model=pie \
-C relro-level=off -C code-model=small -C target-feature=-sse,-sse2 \
-C jump-tables=no -C force-unwind-tables=no -C codegen-units=1 \
-C opt-level=2 -C debuginfo=0 -C overflow-checks=off"

asm=$tdir/numastat.s
build() {
    # The sse2 warning is expected: it is what keeps vector registers out.
    cargo rustc --quiet --manifest-path "$top/Cargo.toml" -p xen-numastat-hypervisor \
        --release --target x86_64-unknown-linux-gnu --target-dir "$tdir" \
        --lib --crate-type staticlib -- --emit="asm=$asm" \
        2> >(grep -v -e 'sse2' -e '^ *=' -e '^ *|' -e '^$' -e 'issue #116344' >&2 || true)
}
build
if [ ! -f "$asm" ]; then
    # cargo thought the crate fresh but the assembly is gone: rebuild it.
    cargo clean --quiet --manifest-path "$top/Cargo.toml" -p xen-numastat-hypervisor \
        --release --target x86_64-unknown-linux-gnu --target-dir "$tdir"
    build
fi
[ -f "$asm" ] || { echo "build-xen-lib: rustc wrote no assembly" >&2; exit 1; }

work=$(dirname "$out")/numastat-obj
mkdir -p "$work"
s=$work/numastat.s

# Refuse what the contract forbids, before any rewriting.
bad=$(grep -nE '\*%|\*[A-Za-z_.0-9]+@GOTPCREL|@GOTPCREL|@GOT\b|%[xyz]mm[0-9]|%mm[0-7]\b|-[0-9]+\(%rsp\)|^\s+(sysenter|syscall)\b' "$asm" || true)
if [ -n "$bad" ]; then
    echo "build-xen-lib: code outside Xen's contract in $asm:" >&2
    echo "$bad" >&2
    exit 1
fi

if [ "$thunk" = RETURN_THUNK=y ]; then
    ret_rewrite='s/^(\s+)retq?\s*$/\1jmp\t__x86_return_thunk/'
else
    ret_rewrite=''
fi
sed -E -e '/^\s*\.cfi_/d' ${ret_rewrite:+-e "$ret_rewrite"} "$asm" > "$s"

if [ "$thunk" = RETURN_THUNK=y ] && grep -qE '^\s+retq?\b' "$s"; then
    echo "build-xen-lib: a ret survived the return-thunk rewrite" >&2
    exit 1
fi

as --64 -o "$work/numastat.o" "$s"
rm -f "$out"
ar rcsD "$out" "$work/numastat.o"
echo "build-xen-lib: $out ($(grep -cE 'jmp\s+__x86_return_thunk' "$s") return thunks)"
