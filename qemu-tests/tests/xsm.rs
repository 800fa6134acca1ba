// SPDX-License-Identifier: GPL-2.0-only
//! getdomnodestat's XSM check per target domain, under FLASK: the `flask`
//! image (debug + XSM/FLASK, Xen's example policy built in with
//! hypervisor/flask/numastat.te added). dom0 first works as `dom0_t`, then
//! relabels itself to `numastat_reader_t`, which the policy allows
//! `xen:heap` (both numastat sysctls) and `getdomaininfo` of `domU_t`
//! domains only. The refusal must come from the per-target check: FLASK
//! logs the denied `getdomaininfo` on the domain class, not `xen:heap`.

mod common;

use std::time::Duration;

use common::*;
use xen_numastat_qemu_tests::{boot, ensure_artifacts, Topology, XenImage};

#[test]
fn flask_grants_getdomnodestat_per_target_domain() {
    ensure_artifacts().unwrap_or_else(|e| panic!("{e}"));
    let t = Topology::nodes(&[(1024, 1), (1024, 1)])
        .label("xsm-flask")
        .xen_image(XenImage::Flask)
        .run_named("flask", "dom0-testkit flask");
    let r = boot(&t, Duration::from_secs(300)).unwrap_or_else(|e| panic!("{e}"));
    println!("{}", r.summary());
    r.expect_all_ok();
    let out = &r.command("flask").output;
    let line = |prefix: &str| {
        out.iter()
            .find(|l| l.starts_with(prefix))
            .cloned()
            .unwrap_or_else(|| r.fail(format!("no `{prefix}` line: {out:?}")))
    };
    let before = line("as=dom0_t ");
    let after = line("as=numastat_reader_t ");
    println!("{before}\n{after}");
    for k in [
        "availheap",
        "free",
        "domu",
        "domu_walk",
        "dom0",
        "dom0_walk",
    ] {
        r.check(num(&r, &before, k) == 0, format!("as dom0_t: {before}"));
    }
    r.check(num(&r, &line("relabel "), "rc") == 0, "relabel refused");
    // Allowed: xen:heap (both ops) and the domU_t domain's info.
    for k in ["availheap", "free", "domu", "domu_walk"] {
        r.check(num(&r, &after, k) == 0, format!("{k} as reader: {after}"));
    }
    // Refused: dom0's own info, in both modes, by FLASK (-EACCES).
    let eacces = -i64::from(libc::EACCES);
    r.check(
        num(&r, &after, "dom0") == eacces && num(&r, &after, "dom0_walk") == eacces,
        format!("dom0 as reader: {after}"),
    );
    r.check(
        r.serial_log.iter().any(|l| {
            l.contains("avc:  denied  { getdomaininfo }")
                && l.contains("scontext=system_u:system_r:numastat_reader_t")
                && l.contains("tclass=domain")
        }),
        "FLASK logged no denied getdomaininfo: the refusal came from elsewhere",
    );
    r.check(
        !r.serial_log
            .iter()
            .any(|l| l.contains("avc:  denied  { heap }")),
        "xen:heap was denied",
    );
}
