//! Boots Xen in QEMU with a NUMA topology given on the command line, prints
//! the serial log as it arrives, then each dom0 command's exit status. With
//! `--toolstack`, dom0 is the Debian one with Debian's xl and the guests
//! given with `--guest` (docs/toolstack.md).

use std::process::ExitCode;
use std::time::Duration;

use xen_numastat_qemu_tests::toolstack::{Guest, ToolstackHost, TOOLSTACK_DOM0_MEM};
use xen_numastat_qemu_tests::{
    boot_toolstack, boot_with, BootOptions, BootResult, Error, Topology, XenImage,
};

const HELP: &str = "\
xen-qemu-boot: boot Xen in QEMU with NUMA nodes and run commands in dom0

USAGE:
    xen-qemu-boot [OPTIONS]

OPTIONS:
    --nodes LIST       Memory per node, comma-separated: 512M, 1G, 1024 (MiB),
                       or 0 for a memoryless node. Default: 1G,1G
                       (1536M,1536M with --toolstack)
    --cpus LIST        CPUs per node, comma-separated (0 for a CPU-less node).
                       Default: 1 per node
    --no-numa          Give QEMU no -numa option: one machine of the nodes'
                       total memory and CPUs, no SRAT
    --xen-args ARGS    Extra words for Xen's command line, e.g. 'dom0_nodes=1'
                       or 'numa=off' (repeatable)
    --dom0-mem SIZE    Xen's dom0_mem= (default 512M; 1024M,max:1024M with
                       --toolstack)
    --stock            Boot unpatched Xen 4.17.5 (build/xen-stock/xen/xen)
    --release          Boot the patched release Xen (build/xen-release/xen/xen)
    --xen PATH         Boot this Xen image instead
    --run CMD          Run CMD in dom0 with sh (repeatable, in order); static
                       xen-numastat and dom0-testkit are in /bin when built
    --keys KEYS        After the commands, press these Xen debug keys on the
                       serial console, one at a time (e.g. umH)
    --toolstack        dom0 is Debian 12 with Debian's Xen 4.17.5 userspace
                       (build/dom0-rootfs/dom0.cpio, `make dom0-rootfs`):
                       xenstored and xenconsoled run, xl is in PATH, the
                       packages of build/deb (`make deb`) installed with
                       dpkg (xen-numastat), dom0-testkit in /usr/local/bin
    --guest NAME,MEM[,PLACE[,maxmem:MAX]]
                       (with --toolstack, repeatable) a PV guest of MEM MiB
                       (at least 160) running Debian's kernel and a busybox
                       initramfs, config /etc/xen/NAME.cfg. PLACE: auto
                       (default: libxl's automatic NUMA placement), node:N
                       (cpus_soft=\"node:N\") or cpus:C[+C...] (cpus=[\"C\"]).
                       Each guest is created with `xl create` and waited
                       for (its console's ready line) before the --run
                       commands, unless --no-create
    --no-create        Only write the guests' configs; create them yourself
                       (`xl create /etc/xen/NAME.cfg`)
    --timeout SECS     Give up after SECS seconds (default 120; 900 with
                       --toolstack)
    --quiet            Do not print the serial log as it arrives; print each
                       command's output in the summary instead
    -h, --help         Print this help

The default image is the patched debug Xen (build/xen-debug/xen/xen). Logs of
failed boots are written under build/logs/. Build everything first with
`make artifacts` at the repository root.

EXAMPLES:
    xen-qemu-boot --nodes 512M,1G,768M --cpus 1,1,1 --xen-args 'dom0_nodes=2' \\
        --run 'xen-numastat -H' --run 'dom0-testkit keys u'
    xen-qemu-boot --toolstack --quiet --guest web,256,node:1 --guest db,192,cpus:0 \\
        --run 'xl list -n' --run 'xen-numastat -d all' --run 'xl debug-keys u; xl dmesg | tail -n 12'

EXIT STATUS:
    0  the boot reached the end and every command exited 0
    1  a dom0 command exited non-zero (or its output arrived damaged)
    2  bad arguments
    3  the boot failed (missing image, QEMU error, crash or timeout)
";

#[derive(Debug)]
struct Args {
    topo: Topology,
    /// `--toolstack`: the host, whose topology is `topo`.
    host: Option<ToolstackHost>,
    timeout: Duration,
    echo: bool,
}

/// `NAME,MEM[,PLACE[,maxmem:MAX]]` of `--guest`.
fn parse_guest(spec: &str) -> Result<Guest, String> {
    let bad = |why: &str| format!("bad --guest {spec:?}: {why} (NAME,MEM[,PLACE[,maxmem:MAX]])");
    let mut f = spec.split(',');
    let name = f
        .next()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| bad("no name"))?;
    let mem = f
        .next()
        .and_then(|m| m.trim().parse::<u64>().ok())
        .ok_or_else(|| bad("MEM is MiB, a whole number"))?;
    let mut g = Guest::new(name, mem);
    for word in f {
        if let Some(n) = word.strip_prefix("node:") {
            g = g.on_node(n.parse().map_err(|_| bad("node:N takes a node number"))?);
        } else if let Some(c) = word.strip_prefix("cpus:") {
            let cpus = c
                .split('+')
                .map(|c| c.parse::<u32>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| bad("cpus:C[+C...] takes CPU numbers"))?;
            g = g.pinned(&cpus);
        } else if let Some(m) = word.strip_prefix("maxmem:") {
            g = g.maxmem(m.parse().map_err(|_| bad("maxmem:MAX is MiB"))?);
        } else if word != "auto" {
            return Err(bad(&format!("unknown placement {word:?}")));
        }
    }
    Ok(g)
}

fn parse_size_mib(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, mult) = match t.as_bytes().last() {
        Some(b'G' | b'g') => (&t[..t.len() - 1], 1024),
        Some(b'M' | b'm') => (&t[..t.len() - 1], 1),
        _ => (t, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("bad node size {s:?}: use e.g. 512M, 1G, 1024 or 0"))
}

fn parse_args(argv: &[String]) -> Result<Option<Args>, String> {
    let mut sizes: Option<Vec<u64>> = None;
    let mut cpus: Option<Vec<u32>> = None;
    let mut xen_args = Vec::new();
    let mut dom0_mem = None;
    let mut image = XenImage::Patched;
    let mut qemu_numa = true;
    let mut runs = Vec::new();
    let mut keys = String::new();
    let mut timeout = None;
    let mut echo = true;
    let mut toolstack = false;
    let mut guests = Vec::new();
    let mut create = true;
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value (see --help)"))
        };
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "--nodes" => {
                sizes = Some(
                    value("--nodes")?
                        .split(',')
                        .map(parse_size_mib)
                        .collect::<Result<_, _>>()?,
                )
            }
            "--cpus" => {
                let v = value("--cpus")?;
                cpus = Some(
                    v.split(',')
                        .map(|c| {
                            c.trim()
                                .parse()
                                .map_err(|_| format!("bad CPU count {c:?} in --cpus {v:?}"))
                        })
                        .collect::<Result<_, _>>()?,
                )
            }
            "--no-numa" => qemu_numa = false,
            "--xen-args" => xen_args.push(value("--xen-args")?),
            "--dom0-mem" => dom0_mem = Some(value("--dom0-mem")?),
            "--stock" => image = XenImage::Stock,
            "--release" => image = XenImage::Release,
            "--xen" => image = XenImage::Path(value("--xen")?.into()),
            "--run" => runs.push(value("--run")?),
            "--keys" => keys.push_str(&value("--keys")?),
            "--timeout" => {
                let v = value("--timeout")?;
                timeout = Some(
                    v.parse()
                        .ok()
                        .filter(|t| *t > 0)
                        .ok_or_else(|| format!("bad --timeout {v:?}: give whole seconds"))?,
                );
            }
            "--quiet" => echo = false,
            "--toolstack" => toolstack = true,
            "--guest" => guests.push(parse_guest(&value("--guest")?)?),
            "--no-create" => create = false,
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    if !toolstack && (!guests.is_empty() || !create) {
        return Err("--guest and --no-create need --toolstack".into());
    }
    let sizes = sizes.unwrap_or_else(|| {
        if toolstack {
            vec![1536, 1536]
        } else {
            vec![1024, 1024]
        }
    });
    let cpus = cpus.unwrap_or_else(|| vec![1; sizes.len()]);
    if cpus.len() != sizes.len() {
        return Err(format!(
            "--nodes gives {} nodes but --cpus gives {} counts",
            sizes.len(),
            cpus.len()
        ));
    }
    let pairs: Vec<(u64, u32)> = sizes.into_iter().zip(cpus).collect();
    let mut topo = Topology::nodes(&pairs).xen_image(image);
    if !qemu_numa {
        topo = topo.without_numa();
    }
    for a in &xen_args {
        topo = topo.xen_arg(a);
    }
    let timeout = Duration::from_secs(timeout.unwrap_or(if toolstack { 900 } else { 120 }));
    if toolstack {
        if !keys.is_empty() {
            return Err("--keys: the toolstack dom0 does not wait for serial keys; \
                        run `xl debug-keys KEYS; xl dmesg` instead"
                .into());
        }
        let mut host =
            ToolstackHost::new(topo.dom0_mem(dom0_mem.as_deref().unwrap_or(TOOLSTACK_DOM0_MEM)));
        if create {
            for g in &guests {
                host = host.run(&g.create_command(300));
            }
        }
        for r in &runs {
            host = host.run(r);
        }
        for g in guests {
            host = host.guest(g);
        }
        host.validate().map_err(|e| e.to_string())?;
        return Ok(Some(Args {
            topo: host.topology.clone(),
            host: Some(host),
            timeout,
            echo,
        }));
    }
    if let Some(m) = dom0_mem {
        topo = topo.dom0_mem(&m);
    }
    for r in &runs {
        topo = topo.run(r);
    }
    topo = topo.press_keys(&keys);
    topo.validate().map_err(|e| e.to_string())?;
    Ok(Some(Args {
        topo,
        host: None,
        timeout,
        echo,
    }))
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_args(&argv) {
        Ok(Some(a)) => a,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("xen-qemu-boot: {e}");
            return ExitCode::from(2);
        }
    };
    let opts = BootOptions {
        timeout: args.timeout,
        echo: args.echo,
        ..BootOptions::default()
    };
    let booted: Result<BootResult, Error> = match &args.host {
        Some(h) => boot_toolstack(h, &opts),
        None => boot_with(&args.topo, &opts),
    };
    let result = match booted {
        Ok(r) => r,
        Err(e @ Error::Topology(_)) => {
            eprintln!("xen-qemu-boot: {e}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("xen-qemu-boot: {e}");
            return ExitCode::from(3);
        }
    };
    eprintln!("=== summary: {} ===", result.topology.name());
    match result.time_to_init {
        Some(t) => eprintln!(
            "dom0 /init after {:.1}s, done after {:.1}s; privcmd {}",
            t.as_secs_f64(),
            result.elapsed.as_secs_f64(),
            if result.privcmd_loaded {
                "loaded"
            } else {
                "NOT loaded"
            }
        ),
        None => eprintln!("done after {:.1}s", result.elapsed.as_secs_f64()),
    }
    let mut failed = false;
    for c in &result.commands {
        let status = match c.rc {
            Some(rc) => format!("rc={rc}"),
            None => "rc=? (END line lost)".into(),
        };
        let damaged = if c.framing_intact {
            ""
        } else {
            " [output damaged]"
        };
        eprintln!("[{}] {status}{damaged}  {}", c.index, c.command);
        if !args.echo {
            for l in &c.output {
                eprintln!("    {l}");
            }
        }
        failed |= !c.ok() || !c.framing_intact;
    }
    for k in &result.key_presses {
        eprintln!("key '{}': {} Xen lines", k.key, k.xen_lines.len());
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xen_numastat_qemu_tests::toolstack::Placement;

    fn args(a: &[&str]) -> Result<Option<Args>, String> {
        parse_args(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn guests_in_xl_words() {
        assert_eq!(parse_guest("g1,256").unwrap().placement, Placement::Auto);
        assert_eq!(
            parse_guest("g1,256,node:1").unwrap().placement,
            Placement::SoftNode(1)
        );
        let g = parse_guest("db,192,cpus:0+1,maxmem:384").unwrap();
        assert_eq!(g.placement, Placement::HardCpus(vec![0, 1]));
        assert_eq!(g.maxmem_mib, Some(384));
        for bad in [
            "",
            "g1",
            "g1,x",
            "g1,256,node:x",
            "g1,256,cpus:",
            "g1,256,far",
        ] {
            assert!(parse_guest(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn toolstack_host_from_flags() {
        let a = args(&[
            "--toolstack",
            "--guest",
            "web,256,node:1",
            "--run",
            "xl list",
        ])
        .unwrap()
        .unwrap();
        let h = a.host.unwrap();
        assert_eq!(h.topology.total_mem_mib(), 3072);
        assert_eq!(h.topology.dom0_mem, TOOLSTACK_DOM0_MEM);
        assert_eq!(h.topology.commands.len(), 2);
        assert!(h.topology.commands[0].starts_with("xl create /etc/xen/web.cfg"));
        assert_eq!(a.timeout, Duration::from_secs(900));
        let n = args(&["--toolstack", "--no-create", "--guest", "web,256"])
            .unwrap()
            .unwrap();
        assert!(n.host.unwrap().topology.commands.is_empty());
        assert!(args(&["--guest", "web,256"]).is_err());
        assert!(args(&["--toolstack", "--keys", "u"]).is_err());
        assert!(args(&["--toolstack", "--guest", "web,64"])
            .unwrap_err()
            .contains("at least 160"));
    }
}
