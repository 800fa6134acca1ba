//! Boots Xen in QEMU with a NUMA topology given on the command line, prints
//! the serial log as it arrives, then each dom0 command's exit status.

use std::process::ExitCode;
use std::time::Duration;

use xen_numastat_qemu_tests::{boot_with, BootOptions, Error, Topology, XenImage};

const HELP: &str = "\
xen-qemu-boot: boot Xen in QEMU with NUMA nodes and run commands in dom0

USAGE:
    xen-qemu-boot [OPTIONS]

OPTIONS:
    --nodes LIST       Memory per node, comma-separated: 512M, 1G, 1024 (MiB),
                       or 0 for a memoryless node. Default: 1G,1G
    --cpus LIST        CPUs per node, comma-separated (0 for a CPU-less node).
                       Default: 1 per node
    --no-numa          Give QEMU no -numa option: one machine of the nodes'
                       total memory and CPUs, no SRAT
    --xen-args ARGS    Extra words for Xen's command line, e.g. 'dom0_nodes=1'
                       or 'numa=off' (repeatable)
    --dom0-mem SIZE    Xen's dom0_mem= (default 512M)
    --stock            Boot unpatched Xen 4.17.5 (build/xen-stock/xen/xen)
    --release          Boot the patched release Xen (build/xen-release/xen/xen)
    --xen PATH         Boot this Xen image instead
    --run CMD          Run CMD in dom0 with sh (repeatable, in order); static
                       xen-numastat and dom0-testkit are in /bin when built
    --keys KEYS        After the commands, press these Xen debug keys on the
                       serial console, one at a time (e.g. umH)
    --timeout SECS     Give up after SECS seconds (default 120)
    --quiet            Do not print the serial log as it arrives; print each
                       command's output in the summary instead
    -h, --help         Print this help

The default image is the patched debug Xen (build/xen-debug/xen/xen). Logs of
failed boots are written under build/logs/. Build everything first with
`make artifacts` at the repository root.

EXAMPLE:
    xen-qemu-boot --nodes 512M,1G,768M --cpus 1,1,1 --xen-args 'dom0_nodes=2' \\
        --run 'xen-numastat -H' --run 'dom0-testkit keys u'

EXIT STATUS:
    0  the boot reached the end and every command exited 0
    1  a dom0 command exited non-zero (or its output arrived damaged)
    2  bad arguments
    3  the boot failed (missing image, QEMU error, crash or timeout)
";

struct Args {
    topo: Topology,
    timeout: Duration,
    echo: bool,
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
    let mut timeout = 120u64;
    let mut echo = true;
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
                timeout = v
                    .parse()
                    .ok()
                    .filter(|t| *t > 0)
                    .ok_or_else(|| format!("bad --timeout {v:?}: give whole seconds"))?;
            }
            "--quiet" => echo = false,
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    let sizes = sizes.unwrap_or_else(|| vec![1024, 1024]);
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
        timeout: Duration::from_secs(timeout),
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
    let result = match boot_with(&args.topo, &opts) {
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
