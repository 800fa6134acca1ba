//! Writes the overlay cpio of a sample toolstack host (three guests, one per
//! placement form) to the path given, for a hand boot after `dom0.cpio`
//! (docs/toolstack.md):
//!
//! ```sh
//! cargo run -q -p xen-numastat-qemu-tests --example toolstack-overlay -- build/overlay.cpio
//! cat build/dom0-rootfs/dom0.cpio build/overlay.cpio > build/initrd.cpio
//! ```
use std::process::ExitCode;
use xen_numastat_qemu_tests::toolstack::{Guest, ToolstackHost};
use xen_numastat_qemu_tests::Topology;

fn main() -> ExitCode {
    let Some(out) = std::env::args().nth(1) else {
        eprintln!("usage: toolstack-overlay OUT.cpio");
        return ExitCode::from(2);
    };
    let soft = Guest::new("g-soft1", 256).on_node(1);
    let hard = Guest::new("g-pin0", 256).maxmem(384).pinned(&[0]);
    let cmd = Guest::new("g-auto", 192).run_in_guest(
        "insmod /lib/modules/xen-privcmd.ko unrestricted=1 && ls /dev/xen && echo privcmd-loaded",
    );
    let host = ToolstackHost::new(Topology::nodes(&[(1536, 1), (1536, 1)]))
        .run(&soft.create_command(120))
        .run(&hard.create_command(120))
        .run(&cmd.create_command(120))
        .run("sleep 3; xl list -n")
        .run("xl debug-keys u; xl dmesg | tail -n 18")
        .run("xl mem-set g-pin0 192 && sleep 5 && xl list g-pin0 && xl debug-keys u && xl dmesg | tail -n 4")
        .run("cat /var/log/xen/console/guest-g-auto.log")
        .run("xenstore-read-rs -n 1 -n 2 -n 3 -n 4")
        .run("xl destroy g-soft1; xl shutdown -w g-pin0; xl destroy g-auto; xl list")
        .guest(soft)
        .guest(hard)
        .guest(cmd);
    if let Err(e) = host.validate() {
        eprintln!("toolstack-overlay: {e}");
        return ExitCode::FAILURE;
    }
    if let Err(e) = std::fs::write(&out, host.overlay_cpio()) {
        eprintln!("toolstack-overlay: write {out}: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
