// SPDX-License-Identifier: GPL-2.0-only
//! Command line of `xen-numastat`, parsed by hand (no parser crate, to keep
//! the static binary small). Everything is checked before any hypercall.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fmt;
use std::time::Duration;
use xen_numastat_abi::{DomId, DOMID_FIRST_RESERVED, MAX_NUMNODES};

/// Output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// For people: numastat-style tables.
    #[default]
    Table,
    /// The 2006 tool's line format, for scripts.
    Seed,
    /// One JSON document (docs/cli.md, `schema_version`).
    Json,
    /// Prometheus text exposition format, every metric.
    Prometheus,
}

/// The unit of memory amounts in tables.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Unit {
    /// MiB with two decimals (numastat's "MBs").
    #[default]
    Mb,
    /// GiB with two decimals.
    Gb,
    /// KiB, whole numbers.
    Kb,
    /// 4 KiB pages, whole numbers.
    Pages,
    /// Bytes, whole numbers.
    Bytes,
}

/// What `-d` options ask for, merged: every domain, the free pages,
/// and domain ids named one by one (ascending, each once).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DomainQuery {
    /// `-d all`: every domain `XEN_SYSCTL_getdomaininfolist` lists.
    pub all: bool,
    /// `-d free`: the free pages of each node.
    pub free: bool,
    /// `-d <domid>`.
    pub ids: BTreeSet<DomId>,
    /// `--verify`: each domain from its counters and from a walk.
    pub verify: bool,
}

impl DomainQuery {
    /// No `-d` given.
    pub fn is_empty(&self) -> bool {
        !self.all && !self.free && self.ids.is_empty()
    }

    /// Whether any domain (not only the free pages) is asked for.
    pub fn wants_domains(&self) -> bool {
        self.all || !self.ids.is_empty()
    }
}

/// Which views to show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Views {
    /// `-p`: nodes, memory, CPUs, distances.
    pub physinfo: bool,
    /// `-H`: free heap memory by zone and node.
    pub heap: bool,
    /// `-d ...`.
    pub domains: DomainQuery,
    /// No view flag was given: the defaults are shown (for `--prometheus`
    /// every view, and a Xen without per-domain placement is not an error).
    pub implicit: bool,
}

/// How tables look (ignored by the machine formats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableOptions {
    pub unit: Unit,
    /// `-c`: narrow columns, whole units.
    pub compact: bool,
    /// `-z`: rows and columns of only zeros left out.
    pub skip_zeros: bool,
    /// `-s[NODE]`: rows sorted by descending Total (`Some(None)`) or by
    /// the column of a node (`Some(Some(node))`).
    pub sort: Option<Option<u32>>,
    /// `--width`: fold tables wider than this; `Some(0)`: never fold;
    /// `None`: the terminal's width, if stdout is one.
    pub width: Option<usize>,
}

/// `-w SECONDS [COUNT]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Watch {
    pub interval: Duration,
    /// Samples to print; `None`: until interrupted.
    pub count: Option<u64>,
}

/// Everything a run shows, and how.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Options {
    pub views: Views,
    pub format: Format,
    pub table: TableOptions,
    pub watch: Option<Watch>,
}

/// What to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// `-h`/`--help`: print the usage text.
    Help,
    /// `-V`/`--version`.
    Version,
    /// Print the chosen views.
    Show(Options),
}

/// A command line that cannot be run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError(String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub(crate) fn usage(what: String) -> UsageError {
    UsageError(what)
}

const FORMATS: &str = "table, seed, json or prometheus";
const UNITS: &str = "mb, gb, kb, pages or bytes";

fn parse_format(value: &str) -> Result<Format, UsageError> {
    match value {
        "table" => Ok(Format::Table),
        "seed" => Ok(Format::Seed),
        "json" => Ok(Format::Json),
        "prometheus" => Ok(Format::Prometheus),
        _ => Err(usage(format!(
            "unknown format '{value}' (expected {FORMATS})"
        ))),
    }
}

fn parse_unit(value: &str) -> Result<Unit, UsageError> {
    match value.to_ascii_lowercase().as_str() {
        "mb" | "mib" => Ok(Unit::Mb),
        "gb" | "gib" => Ok(Unit::Gb),
        "kb" | "kib" => Ok(Unit::Kb),
        "pages" => Ok(Unit::Pages),
        "bytes" => Ok(Unit::Bytes),
        _ => Err(usage(format!("unknown unit '{value}' (expected {UNITS})"))),
    }
}

/// A node id for `-s`: decimal, below `MAX_NUMNODES`.
fn parse_sort_node(value: &str) -> Result<u32, UsageError> {
    match value.parse::<u32>() {
        Ok(n) if value.bytes().all(|b| b.is_ascii_digit()) && (n as usize) < MAX_NUMNODES => Ok(n),
        _ => Err(usage(format!(
            "sort node '{value}' is not a node id (0 to {})",
            MAX_NUMNODES - 1
        ))),
    }
}

/// Longest interval accepted: a day.
const MAX_INTERVAL_SECS: f64 = 86_400.0;

fn parse_interval(value: &str) -> Result<Duration, UsageError> {
    let ok = !value.is_empty()
        && value.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && value.bytes().filter(|&b| b == b'.').count() <= 1;
    match value.parse::<f64>() {
        Ok(s) if ok && s > 0.0 && s <= MAX_INTERVAL_SECS => Ok(Duration::from_secs_f64(s)),
        _ => Err(usage(format!(
            "interval '{value}' is not a number of seconds above 0 and at most 86400"
        ))),
    }
}

fn parse_count(value: &str) -> Result<u64, UsageError> {
    match value.parse::<u64>() {
        Ok(n) if n >= 1 && n <= u64::from(u32::MAX) => Ok(n),
        _ => Err(usage(format!(
            "sample count '{value}' is not a whole number from 1 to {}",
            u32::MAX
        ))),
    }
}

fn parse_width(value: &str) -> Result<usize, UsageError> {
    match value.parse::<usize>() {
        Ok(w)
            if value.bytes().all(|b| b.is_ascii_digit())
                && (w == 0 || (20..=100_000).contains(&w)) =>
        {
            Ok(w)
        }
        _ => Err(usage(format!(
            "width '{value}' is not 0 (never fold) or a column count from 20 to 100000"
        ))),
    }
}

/// One `-d` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DomainArg {
    All,
    Free,
    Id(DomId),
}

/// Parses a `-d` value: `all`, `free`, or a decimal domain id below
/// `DOMID_FIRST_RESERVED` (0x7ff0). Values that would wrap in a C
/// `strtoul` (4294967296) or name Xen's own ids are refused, not guessed.
fn parse_domain(value: &str) -> Result<DomainArg, UsageError> {
    let last = DOMID_FIRST_RESERVED - 1;
    match value {
        "all" => return Ok(DomainArg::All),
        "free" => return Ok(DomainArg::Free),
        _ => {}
    }
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(abs) = value.strip_prefix('-') {
        if digits(abs) {
            return Err(usage(format!(
                "domain id '{value}' is negative; domain ids are 0 to {last}, \
                 and the free pages of each node (the 2006 tool's domain -1) \
                 are `-d free`"
            )));
        }
    }
    if !digits(value) {
        return Err(usage(format!(
            "domain '{value}' is not a decimal domain id, `all` or `free`"
        )));
    }
    match value.parse::<u32>() {
        Ok(id) if id < DOMID_FIRST_RESERVED => Ok(DomainArg::Id(id as DomId)),
        Ok(id) if id <= u32::from(DomId::MAX) => Err(usage(format!(
            "domain id {id} ({id:#x}) is reserved for Xen itself (DOMID_SELF, \
             DOMID_IO, DOMID_XEN, ... from {DOMID_FIRST_RESERVED:#x}); domain \
             ids are 0 to {last}"
        ))),
        _ => Err(usage(format!(
            "domain id {value} is out of range; domain ids are 0 to {last}"
        ))),
    }
}

/// The value of `flag`: the next argument, whatever it looks like (as
/// getopt does, so `-d -1` reaches [`parse_domain`] and is explained).
fn next_value(args: &mut Args, flag: &str, what: &str) -> Result<String, UsageError> {
    args.next()
        .ok_or_else(|| usage(format!("{flag} needs a value ({what})")))?
        .into_string()
        .map_err(|a| usage(format!("{flag} value {a:?} is not valid UTF-8")))
}

type Args = std::iter::Peekable<std::vec::IntoIter<OsString>>;

fn add_domain(domains: &mut DomainQuery, value: &str) -> Result<(), UsageError> {
    match parse_domain(value)? {
        DomainArg::All => domains.all = true,
        DomainArg::Free => domains.free = true,
        DomainArg::Id(id) => {
            domains.ids.insert(id);
        }
    }
    Ok(())
}

/// `-w SECONDS [COUNT]`: the count is the next argument if it is a plain
/// decimal number.
fn watch(args: &mut Args, seconds: &str) -> Result<Watch, UsageError> {
    let interval = parse_interval(seconds)?;
    let count = match args.peek().and_then(|a| a.to_str()) {
        Some(c) if !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()) => {
            let c = parse_count(c)?;
            args.next();
            Some(c)
        }
        _ => None,
    };
    Ok(Watch { interval, count })
}

const DOMAIN_VALUE: &str = "a domain id, `all` or `free`";

/// Parses the arguments after the program name. With no view flag, `-p`
/// and `-H` are shown (`--prometheus`: every view); `-d` alone shows only
/// the domains. Every argument is checked here, before any hypercall.
pub fn parse(args: Vec<OsString>) -> Result<Command, UsageError> {
    let mut help = false;
    let mut version = false;
    let mut o = Options::default();
    // The first option that chose a format, and which: a second one that
    // chooses another is an error, not last-wins (`--json --prometheus`
    // is a mistake, not a preference).
    let mut format_from: Option<(String, Format)> = None;
    let mut set_format = |o: &mut Options, flag: &str, f: Format| match &format_from {
        Some((first, g)) if *g != f => Err(usage(format!(
            "{first} and {flag} ask for two output formats; give one"
        ))),
        _ => {
            format_from.get_or_insert_with(|| (flag.to_string(), f));
            o.format = f;
            Ok(())
        }
    };
    let mut args: Args = args.into_iter().peekable();
    while let Some(arg) = args.next() {
        let arg = arg
            .into_string()
            .map_err(|a| usage(format!("argument {a:?} is not valid UTF-8")))?;
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v)),
            _ => (arg.as_str(), None),
        };
        // The value of a long flag: `--flag=VALUE` or `--flag VALUE`.
        let mut value = |what: &str| match inline {
            Some(v) => Ok(v.to_string()),
            None => next_value(&mut args, name, what),
        };
        let no_value = || match inline {
            Some(_) => Err(usage(format!("{name} takes no value"))),
            None => Ok(()),
        };
        match name {
            "--help" => {
                no_value()?;
                help = true
            }
            "--version" => {
                no_value()?;
                version = true
            }
            "--physinfo" => {
                no_value()?;
                o.views.physinfo = true
            }
            "--heap" => {
                no_value()?;
                o.views.heap = true
            }
            "--compact" => {
                no_value()?;
                o.table.compact = true
            }
            "--skip-zeros" => {
                no_value()?;
                o.table.skip_zeros = true
            }
            "--verify" => {
                no_value()?;
                o.views.domains.verify = true
            }
            "--json" => {
                no_value()?;
                set_format(&mut o, name, Format::Json)?
            }
            "--prometheus" => {
                no_value()?;
                set_format(&mut o, name, Format::Prometheus)?
            }
            "--pages" => {
                no_value()?;
                o.table.unit = Unit::Pages
            }
            "--bytes" => {
                no_value()?;
                o.table.unit = Unit::Bytes
            }
            "--sort" => {
                // Optional value, only as --sort=NODE.
                o.table.sort = Some(inline.map(parse_sort_node).transpose()?);
            }
            "--format" => {
                let v = value(FORMATS)?;
                set_format(&mut o, &format!("--format={v}"), parse_format(&v)?)?
            }
            "--" => {
                // The end of the options; the command takes no operands.
                no_value()?;
                if let Some(a) = args.next() {
                    return Err(usage(format!(
                        "unexpected argument {:?} after --; xen-numastat takes no operands",
                        a.to_string_lossy()
                    )));
                }
            }
            "--unit" => o.table.unit = parse_unit(&value(UNITS)?)?,
            "--width" => {
                o.table.width = Some(parse_width(&value("a column count, 0: never fold")?)?)
            }
            "--domain" => {
                let v = value(DOMAIN_VALUE)?;
                add_domain(&mut o.views.domains, &v)?;
            }
            "--interval" => {
                let v = value("seconds between samples")?;
                o.watch = Some(watch(&mut args, &v)?);
            }
            long if long.starts_with("--") => {
                return Err(usage(format!("unknown flag '{long}'")));
            }
            short if short.starts_with('-') && short.len() > 1 => {
                // Bundled short flags, as getopt allows: -pH, -pd 3, -d3,
                // -zs1 (-s takes an optional value only when attached).
                for (i, c) in short.char_indices().skip(1) {
                    let rest = &short[i + c.len_utf8()..];
                    match c {
                        'h' => help = true,
                        'V' => version = true,
                        'p' => o.views.physinfo = true,
                        'H' => o.views.heap = true,
                        'c' => o.table.compact = true,
                        'z' => o.table.skip_zeros = true,
                        's' => {
                            o.table.sort = Some(
                                (!rest.is_empty())
                                    .then(|| parse_sort_node(rest))
                                    .transpose()?,
                            );
                            break;
                        }
                        'd' | 'w' => {
                            let flag = format!("-{c}");
                            let v = if rest.is_empty() {
                                let what = if c == 'd' {
                                    DOMAIN_VALUE
                                } else {
                                    "seconds between samples"
                                };
                                next_value(&mut args, &flag, what)?
                            } else {
                                rest.to_string()
                            };
                            if c == 'd' {
                                add_domain(&mut o.views.domains, &v)?;
                            } else {
                                o.watch = Some(watch(&mut args, &v)?);
                            }
                            break;
                        }
                        _ => return Err(usage(format!("unknown flag '-{c}'"))),
                    }
                }
            }
            other => return Err(usage(format!("unexpected argument '{other}'"))),
        }
    }
    if help {
        return Ok(Command::Help);
    }
    if version {
        return Ok(Command::Version);
    }
    let v = &mut o.views;
    if v.domains.verify && !v.domains.wants_domains() {
        return Err(usage(
            "--verify compares Xen's counters with a walk for -d: give -d DOMID or -d all".into(),
        ));
    }
    if !v.physinfo && !v.heap && v.domains.is_empty() {
        v.implicit = true;
        v.physinfo = true;
        v.heap = true;
        if o.format == Format::Prometheus {
            v.domains.all = true;
        }
    }
    if o.format == Format::Prometheus && o.watch.is_some() {
        return Err(usage(
            "--prometheus prints one exposition and takes no -w; let node_exporter's \
             textfile collector read a file that a timer rewrites"
                .into(),
        ));
    }
    Ok(Command::Show(o))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Command, UsageError> {
        parse(args.iter().map(OsString::from).collect())
    }

    fn opts(args: &[&str]) -> Options {
        match p(args) {
            Ok(Command::Show(o)) => o,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    /// (physinfo, heap, format) of a command line.
    fn show(args: &[&str]) -> (bool, bool, Format) {
        let o = opts(args);
        (o.views.physinfo, o.views.heap, o.format)
    }

    fn domains(args: &[&str]) -> DomainQuery {
        opts(args).views.domains
    }

    fn ids(ids: &[DomId]) -> BTreeSet<DomId> {
        ids.iter().copied().collect()
    }

    #[test]
    fn views_and_formats() {
        use Format::*;
        assert_eq!(show(&[]), (true, true, Table));
        assert!(opts(&[]).views.implicit && !opts(&["-H"]).views.implicit);
        assert_eq!(show(&["-H"]), (false, true, Table));
        assert_eq!(show(&["-p"]), (true, false, Table));
        assert_eq!(show(&["-p", "-H"]), (true, true, Table));
        assert_eq!(show(&["-Hp"]), (true, true, Table));
        assert_eq!(show(&["--heap", "--format=seed"]), (false, true, Seed));
        assert_eq!(show(&["--format", "seed", "-p"]), (true, false, Seed));
        assert_eq!(
            show(&["--format=seed", "--format=seed"]),
            (true, true, Seed)
        );
        assert_eq!(show(&["--json", "--format=json"]), (true, true, Json));
        assert_eq!(show(&["--json", "-H"]), (false, true, Json));
        assert_eq!(show(&["--format=json"]), (true, true, Json));
        // --prometheus alone: every view, domains included.
        let o = opts(&["--prometheus"]);
        assert!(o.views.physinfo && o.views.heap && o.views.domains.all && o.views.implicit);
        assert_eq!(o.format, Prometheus);
        // With a view, only that view.
        let o = opts(&["--prometheus", "-H"]);
        assert!(!o.views.physinfo && o.views.heap && o.views.domains.is_empty());
    }

    #[test]
    fn table_options() {
        let t = |args: &[&str]| opts(args).table;
        assert_eq!(t(&[]), TableOptions::default());
        assert!(t(&["-c", "-z"]).compact);
        assert!(t(&["-cz"]).skip_zeros);
        assert!(t(&["--skip-zeros"]).skip_zeros && t(&["--compact"]).compact);
        assert_eq!(t(&["-s"]).sort, Some(None));
        assert_eq!(t(&["-s2"]).sort, Some(Some(2)));
        assert_eq!(t(&["-zs1"]).sort, Some(Some(1)));
        assert_eq!(t(&["--sort"]).sort, Some(None));
        assert_eq!(t(&["--sort=3"]).sort, Some(Some(3)));
        // -s takes its node only attached: "-s 1" is -s and a stray 1.
        assert!(p(&["-s", "1"]).is_err());
        assert_eq!(t(&["--pages"]).unit, Unit::Pages);
        assert_eq!(t(&["--bytes"]).unit, Unit::Bytes);
        assert_eq!(t(&["--unit", "GB"]).unit, Unit::Gb);
        assert_eq!(t(&["--unit=kb"]).unit, Unit::Kb);
        assert_eq!(t(&["--unit=mb"]).unit, Unit::Mb);
        assert_eq!(t(&["--width=0"]).width, Some(0));
        assert_eq!(t(&["--width", "132"]).width, Some(132));
    }

    #[test]
    fn watch_takes_seconds_and_an_optional_count() {
        let w = |args: &[&str]| opts(args).watch;
        assert_eq!(w(&[]), None);
        assert_eq!(
            w(&["-w", "1", "3"]),
            Some(Watch {
                interval: Duration::from_secs(1),
                count: Some(3)
            })
        );
        assert_eq!(
            w(&["-w2", "-H"]),
            Some(Watch {
                interval: Duration::from_secs(2),
                count: None
            })
        );
        assert_eq!(
            w(&["--interval=0.5", "2", "-d", "all"]),
            Some(Watch {
                interval: Duration::from_millis(500),
                count: Some(2)
            })
        );
        assert_eq!(w(&["--interval", "1", "-p"]).map(|w| w.count), Some(None));
        let err = |args: &[&str]| p(args).unwrap_err().to_string();
        for bad in ["0", "-1", "x", "1e3", "86401", "", "nan"] {
            assert!(err(&["-w", bad]).contains("interval"), "{bad}");
        }
        assert!(err(&["-w", "1", "0"]).contains("sample count '0'"));
        assert!(err(&["-w", "1", "99999999999"]).contains("sample count"));
        assert!(err(&["-w"]).contains("-w needs a value"));
        assert!(err(&["--prometheus", "-w", "1"]).contains("takes no -w"));
    }

    #[test]
    fn domain_views_combine_with_the_others() {
        // -d alone: only the domains.
        let o = opts(&["-d", "all"]);
        assert!(!o.views.physinfo && !o.views.heap && o.views.domains.all);
        // All three views.
        let o = opts(&["-p", "-H", "-d", "all"]);
        assert!(o.views.physinfo && o.views.heap && o.views.domains.all);
        // Every spelling; repeated and duplicate ids merge, ascending.
        let q = domains(&[
            "-d",
            "3",
            "-d0",
            "--domain",
            "3",
            "--domain=12",
            "-pd",
            "free",
        ]);
        assert_eq!(q.ids, ids(&[0, 3, 12]));
        assert!(q.free && !q.all);
        assert!(q.wants_domains());
        let q = domains(&["-d", "free"]);
        assert!(q.free && !q.wants_domains());
        assert_eq!(domains(&["-d", "32751"]).ids, ids(&[0x7fef]));
    }

    #[test]
    fn bad_domain_ids_are_refused_with_a_reason() {
        let err = |args: &[&str]| p(args).unwrap_err().to_string();
        assert_eq!(
            err(&["-d", "-1"]),
            "domain id '-1' is negative; domain ids are 0 to 32751, and the free \
             pages of each node (the 2006 tool's domain -1) are `-d free`"
        );
        assert_eq!(
            err(&["-d", "abc"]),
            "domain 'abc' is not a decimal domain id, `all` or `free`"
        );
        for v in ["", "0x10", "+3", "3 ", "1e3", "ALL"] {
            assert!(
                err(&["-d", v]).contains("is not a decimal domain id"),
                "{v:?}"
            );
        }
        assert_eq!(
            err(&["-d", "32752"]),
            "domain id 32752 (0x7ff0) is reserved for Xen itself (DOMID_SELF, \
             DOMID_IO, DOMID_XEN, ... from 0x7ff0); domain ids are 0 to 32751"
        );
        assert!(err(&["-d", "65535"]).contains("reserved for Xen itself"));
        // Values that a C strtoul-and-cast would wrap to a small id.
        for v in [
            "65536",
            "65537",
            "4294967296",
            "4294967297",
            "18446744073709551616",
        ] {
            assert_eq!(
                err(&["-d", v]),
                format!("domain id {v} is out of range; domain ids are 0 to 32751")
            );
        }
        assert_eq!(
            err(&["-d"]),
            "-d needs a value (a domain id, `all` or `free`)"
        );
        assert_eq!(
            err(&["--domain"]),
            "--domain needs a value (a domain id, `all` or `free`)"
        );
        assert!(err(&["--domain=-5"]).contains("is negative"));
        assert!(err(&["-d-5"]).contains("is negative"));
    }

    #[test]
    fn help_wins_over_views_but_not_over_errors() {
        assert_eq!(p(&["-h"]), Ok(Command::Help));
        assert_eq!(p(&["-p", "--help"]), Ok(Command::Help));
        assert_eq!(p(&["-ph"]), Ok(Command::Help));
        assert_eq!(p(&["-d", "all", "-h"]), Ok(Command::Help));
        assert_eq!(p(&["-V"]), Ok(Command::Version));
        assert_eq!(p(&["-p", "--version"]), Ok(Command::Version));
        assert_eq!(p(&["-hV"]), Ok(Command::Help));
        assert!(p(&["-h", "-x"]).is_err());
        assert!(p(&["-h", "-d", "x"]).is_err());
    }

    #[test]
    fn two_formats_are_an_error_not_last_wins() {
        let err = |args: &[&str]| p(args).unwrap_err().to_string();
        assert_eq!(
            err(&["--json", "--prometheus"]),
            "--json and --prometheus ask for two output formats; give one"
        );
        assert_eq!(
            err(&["--prometheus", "-H", "--json"]),
            "--prometheus and --json ask for two output formats; give one"
        );
        assert_eq!(
            err(&["--format", "seed", "--format=table"]),
            "--format=seed and --format=table ask for two output formats; give one"
        );
        assert!(err(&["--json", "--format=prometheus"]).contains("two output formats"));
    }

    #[test]
    fn double_dash_ends_the_options() {
        assert_eq!(show(&["-H", "--"]), (false, true, Format::Table));
        assert_eq!(show(&["--"]), (true, true, Format::Table));
        let err = |args: &[&str]| p(args).unwrap_err().to_string();
        assert_eq!(
            err(&["-H", "--", "-p"]),
            "unexpected argument \"-p\" after --; xen-numastat takes no operands"
        );
        assert!(err(&["--", "3"]).contains("after --"));
        // `-d --` is a domain named "--", refused as such.
        assert!(err(&["-d", "--"]).contains("domain '--' is not a decimal domain id"));
    }

    #[test]
    fn bad_command_lines_are_refused() {
        let err = |args: &[&str]| p(args).unwrap_err().to_string();
        assert_eq!(err(&["-x"]), "unknown flag '-x'");
        assert_eq!(err(&["-pq"]), "unknown flag '-q'");
        assert_eq!(err(&["--heapinfo"]), "unknown flag '--heapinfo'");
        assert_eq!(err(&["-H", "extra"]), "unexpected argument 'extra'");
        assert_eq!(err(&["-"]), "unexpected argument '-'");
        assert_eq!(
            err(&["--format=xml"]),
            "unknown format 'xml' (expected table, seed, json or prometheus)"
        );
        assert_eq!(
            err(&["--format="]),
            "unknown format '' (expected table, seed, json or prometheus)"
        );
        assert_eq!(
            err(&["--format"]),
            "--format needs a value (table, seed, json or prometheus)"
        );
        assert_eq!(err(&["--json=1"]), "--json takes no value");
        assert!(err(&["--unit=tb"]).starts_with("unknown unit 'tb'"));
        assert!(err(&["--width=5"]).contains("width '5'"));
        assert!(err(&["-s64"]).contains("sort node '64'"));
        assert!(err(&["-sx"]).contains("sort node 'x'"));
        assert!(err(&["--sort=-1"]).contains("sort node '-1'"));
    }
}
