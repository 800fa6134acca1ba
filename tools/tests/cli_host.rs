// SPDX-License-Identifier: GPL-2.0-only
//! The CLI binary on the build host, which is not a Xen dom0: argument
//! errors are caught before any hypercall (exit 2), and a host without
//! /dev/xen/privcmd gets the "not on Xen" message (exit 4). The same binary's
//! behaviour on stock and patched Xen is tested in QEMU (qemu-tests).

use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xen-numastat"))
        .args(args)
        .output()
        .expect("run xen-numastat");
    (
        out.status.code().expect("exited, not killed"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn usage_errors_exit_2_with_one_line_before_any_hypercall() {
    for args in [
        &["-x"][..],
        &["-H", "extra"],
        &["--format=bogus"],
        &["--format"],
        &["-Hq"],
        &["-s", "x"],
        &["-w", "0"],
        &["--prometheus", "-w", "1", "2"],
        &["--json=yes"],
        &["--json", "--prometheus"],
        &["--prometheus", "--format=json"],
        &["-p", "--", "-H"],
        // Domain ids: not a number, negative, reserved, wrapping, missing.
        &["-d", "dom1"],
        &["-d", "-1"],
        &["-p", "-d", "32752"],
        &["-d", "4294967296"],
        &["-d"],
    ] {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?} printed {stdout}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("xen-numastat: "), "{stderr}");
        // A usage error never reached /dev/xen: it does not mention it.
        assert!(!stderr.contains("/dev/xen"), "{args:?}: {stderr}");
    }
}

#[test]
fn help_exits_0_and_lists_the_exit_codes() {
    let (code, stdout, _) = run(&["--help"]);
    assert_eq!(code, 0);
    for needle in [
        "-H",
        "-p",
        "-d all",
        "-d free",
        "--format=seed",
        "Exit status",
        "\n  7  ",
    ] {
        assert!(stdout.contains(needle), "--help lacks {needle}");
    }
}

#[test]
fn version_exits_0_without_touching_xen() {
    let (code, stdout, stderr) = run(&["--version"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("xen-numastat "), "{stdout}");
    assert!(stdout.contains("schema_version 1"));
}

#[test]
fn off_xen_the_tool_says_so_with_exit_4() {
    // The build host and CI are not Xen dom0s (no privcmd device node).
    assert!(
        !std::path::Path::new("/dev/xen/privcmd").exists(),
        "this test expects a host that is not a Xen dom0"
    );
    for args in [
        &["-H"][..],
        &["-p"],
        &["-p", "-H", "--format=seed"],
        &["-d", "0"],
        &["-p", "-H", "-d", "all"],
        &["--json", "-H"],
        &["--prometheus"],
        &["-w", "1", "2", "-H"],
    ] {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, 4, "{args:?}: {stderr}");
        assert!(stdout.is_empty());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("/dev/xen/privcmd"), "{stderr}");
        assert!(stderr.contains("xen-privcmd"), "says what to do: {stderr}");
    }
}
