/* SPDX-License-Identifier: GPL-2.0-only */
/* Counts executions of each instruction in Xen's text; writes "vaddr count"
 * at exit or when the instruction at trigger= first executes. */
#include "qemu-plugin-min.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
__attribute__((visibility("default"))) int qemu_plugin_version = 1;
#define LO 0xffff82d040000000ULL
#define HI 0xffff82d040800000ULL
#define NSLOT (1u << 22)
static uint64_t *keys, *counts;
static const char *out = "insncount.txt";
static uint64_t trigger;
static int dumped;
static uint64_t *slot(uint64_t va) {
    uint64_t h = (va * 0x9E3779B97F4A7C15ULL) >> 42;
    for (;; h = (h + 1) & (NSLOT - 1)) {
        if (keys[h] == va) return &counts[h];
        if (!keys[h]) { keys[h] = va; return &counts[h]; }
    }
}
static void dump(void) {
    FILE *f = fopen(out, "w");
    if (!f) return;
    for (uint64_t i = 0; i < NSLOT; i++)
        if (keys[i] && counts[i]) fprintf(f, "%llx %llu\n", (unsigned long long)keys[i], (unsigned long long)counts[i]);
    fclose(f);
}
static void ontrig(unsigned int vcpu, void *p) { if (!dumped) { dumped = 1; dump(); } }
static void trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *in = qemu_plugin_tb_get_insn(tb, i);
        uint64_t va = qemu_plugin_insn_vaddr(in);
        if (va == trigger)
            qemu_plugin_register_vcpu_insn_exec_cb(in, ontrig, 0, NULL);
        if (va >= LO && va < HI)
            qemu_plugin_register_vcpu_insn_exec_inline(in, QEMU_PLUGIN_INLINE_ADD_U64, slot(va), 1);
    }
}
static void fin(qemu_plugin_id_t id, void *p) { if (!dumped) dump(); }
__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (!strncmp(argv[i], "out=", 4)) out = argv[i] + 4;
        if (!strncmp(argv[i], "trigger=", 8)) trigger = strtoull(argv[i] + 8, NULL, 16);
    }
    keys = calloc(NSLOT, 8); counts = calloc(NSLOT, 8);
    qemu_plugin_register_vcpu_tb_trans_cb(id, trans);
    qemu_plugin_register_atexit_cb(id, fin, NULL);
    return 0;
}
