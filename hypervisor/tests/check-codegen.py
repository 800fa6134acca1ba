#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Checks that the numastat code linked into xen-syms keeps Xen's x86-64
code generation contract (docs/hypervisor.md, docs/platform.md):

  - no SSE/MMX/AVX register (guest vector state is not saved around Xen);
  - no red zone: no access below %rsp (interrupts arrive on this stack);
  - no indirect call or jump (that also rules out jump tables): stable Rust
    has no retpoline or CET flags, so there must be nothing to harden;
  - returns go through __x86_return_thunk when Xen was built with
    CONFIG_RETURN_THUNK (no bare `ret`);
  - calls only to the component itself, its C shims, memset/memcpy and the
    return thunk: in particular no panic path of core;
  - no GOT/PLT in the image and no unwind tables in the object.

Usage: check-codegen.py XEN_SYMS NUMASTAT_O [XEN_CONFIG]
       check-codegen.py --self-test

The functions checked are the text symbols the component's object defines,
found by name in xen-syms; the report lists each with its size.
"""
import os
import re
import subprocess
import sys
import tempfile

ALLOWED_EXTERNAL = re.compile(r"^(numastat_shim_\w+|memset|memcpy|memmove|__x86_return_thunk)$")
VECTOR_REG = re.compile(r"%(x|y|z)mm\d+|%mm[0-7]\b")
RED_ZONE = re.compile(r"-0x[0-9a-f]+\(%rsp\)")
INDIRECT = re.compile(r"^(call|jmp)[a-z]*\s+\*")
BRANCH = re.compile(r"^(call|jmp)[a-z]*\s+([0-9a-f]+)\s+<([^>+]+)(\+0x[0-9a-f]+)?>")
RET = re.compile(r"^(ret|repz ret|rep ret)[a-z]*\b")


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def object_text_symbols(obj):
    syms = set()
    for line in run("nm", "--defined-only", obj).splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "Tt":
            syms.add(parts[2])
    return syms


def image_symbols(image):
    """name -> (address, size) for sized symbols of the image."""
    out = {}
    for line in run("nm", "-S", "--defined-only", image).splitlines():
        parts = line.split()
        if len(parts) == 4:
            addr, size, _kind, name = parts
            out.setdefault(name, (int(addr, 16), int(size, 16)))
    return out


def disassemble(image, start, size):
    text = run("objdump", "-d", "--no-show-raw-insn", "-M", "att",
               f"--start-address={start:#x}", f"--stop-address={start + size:#x}", image)
    insns = []
    for line in text.splitlines():
        m = re.match(r"^\s*([0-9a-f]+):\s+(.*)$", line)
        if m:
            insns.append((int(m.group(1), 16), m.group(2).strip()))
    return insns


def check_function(name, insns, own, thunk):
    problems = []
    for addr, ins in insns:
        where = f"{name} @ {addr:#x}: {ins}"
        if VECTOR_REG.search(ins):
            problems.append(f"vector register: {where}")
        if RED_ZONE.search(ins):
            problems.append(f"red zone access: {where}")
        if INDIRECT.match(ins):
            problems.append(f"indirect branch: {where}")
        if thunk and RET.match(ins):
            problems.append(f"bare ret with CONFIG_RETURN_THUNK: {where}")
        m = BRANCH.match(ins)
        if m and m.group(3) != name:  # branches inside the function are fine
            target = m.group(3)
            if "rust_begin_unwind" in target or "panic" in target:
                problems.append(f"reaches a panic path: {where}")
            elif target not in own and not ALLOWED_EXTERNAL.match(target):
                problems.append(f"branch out of the component to {target}: {where}")
    return problems


def sections(path):
    out = {}
    for line in run("readelf", "-SW", path).splitlines():
        m = re.match(r"^\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)", line)
        if m:
            out[m.group(1)] = int(m.group(2), 16)
    return out


def check(image, obj, config=None):
    thunk = True
    if config and os.path.exists(config):
        thunk = any(l.strip() == "CONFIG_RETURN_THUNK=y" for l in open(config))
    own = object_text_symbols(obj)
    syms = image_symbols(image)
    problems = []
    checked = []
    for name in sorted(own):
        if name not in syms:
            # The linker keeps every symbol of an object it pulled in.
            problems.append(f"{name}: defined by the component but not in {image}")
            continue
        addr, size = syms[name]
        insns = disassemble(image, addr, size)
        if not insns:
            problems.append(f"{name}: no instructions found at {addr:#x}")
        problems += check_function(name, insns, own, thunk)
        checked.append((name, addr, size, len(insns)))

    img_secs = sections(image)
    for sec in (".got", ".got.plt", ".plt", ".iplt", ".igot.plt"):
        if img_secs.get(sec, 0):
            problems.append(f"{image} has a non-empty {sec}")
    for sec in (".eh_frame", ".rela.eh_frame"):
        if sec in sections(obj) or sec in img_secs:
            problems.append(f"unwind tables: {sec} present")

    print(f"check-codegen: {image} (return thunks {'required' if thunk else 'not required'})")
    for name, addr, size, n in checked:
        print(f"  checked {name} at {addr:#x}, {size} bytes, {n} instructions")
    return checked, problems


SELF_TEST_ASM = """
    .text
    .globl good, bad_sse, bad_redzone, bad_indirect, bad_ret, bad_panic
good:   call numastat_shim_heap_lock
        jmp __x86_return_thunk
        .size good, .-good
bad_sse: movaps %xmm0, (%rdi)
        jmp __x86_return_thunk
        .size bad_sse, .-bad_sse
bad_redzone: movq %rax, -8(%rsp)
        jmp __x86_return_thunk
        .size bad_redzone, .-bad_redzone
bad_indirect: call *%rax
        jmp __x86_return_thunk
        .size bad_indirect, .-bad_indirect
bad_ret: ret
        .size bad_ret, .-bad_ret
bad_panic: call core_panicking_panic
        jmp __x86_return_thunk
        .size bad_panic, .-bad_panic
"""
SELF_TEST_STUBS = """
    .text
    .globl numastat_shim_heap_lock, __x86_return_thunk, core_panicking_panic, _start
_start: nop
numastat_shim_heap_lock: ret
__x86_return_thunk: ret
core_panicking_panic: ret
"""


def self_test():
    """The checker must flag each kind of violation and pass clean code."""
    with tempfile.TemporaryDirectory() as d:
        for name, src in (("obj", SELF_TEST_ASM), ("stubs", SELF_TEST_STUBS)):
            with open(f"{d}/{name}.s", "w") as f:
                f.write(src)
            run("as", "--64", "-o", f"{d}/{name}.o", f"{d}/{name}.s")
        run("ld", "-o", f"{d}/image", f"{d}/obj.o", f"{d}/stubs.o")
        _checked, problems = check(f"{d}/image", f"{d}/obj.o")
    expect = {
        "bad_sse": "vector register",
        "bad_redzone": "red zone",
        "bad_indirect": "indirect branch",
        "bad_ret": "bare ret",
        "bad_panic": "reaches a panic path",
    }
    failed = False
    for fn, what in expect.items():
        hit = [p for p in problems if what in p and fn in p]
        print(f"self-test: {fn}: {'flagged' if hit else 'NOT flagged'} ({what})")
        failed |= not hit
    clean = [p for p in problems if " good " in p or p.startswith("good")]
    if clean:
        print(f"self-test: clean function flagged: {clean}")
        failed = True
    return 1 if failed else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    checked, problems = check(*argv[1:])
    # Every C entry point of the component (xen/numastat.h) must have been
    # found and checked: a check of nothing passes nothing.
    entry = {n for n, *_ in checked if n.startswith("numastat_")}
    declared = {n for n in object_text_symbols(argv[2]) if n.startswith("numastat_")}
    if len(entry) < 8 or entry != declared:
        problems.append(f"entry points checked {sorted(entry)}, defined {sorted(declared)}")
    for p in problems:
        print(f"  VIOLATION {p}")
    print(f"check-codegen: {len(checked)} functions, {len(problems)} violations")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
