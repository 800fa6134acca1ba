// SPDX-License-Identifier: GPL-2.0-only
//! Command line of `xen-numastat`, parsed by hand (no parser crate, to keep
//! the static binary small). Everything is checked before any hypercall.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fmt;
use xen_numastat_abi::{DomId, DOMID_FIRST_RESERVED};

/// Output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// For people: totals and a zone x node table.
    #[default]
    Table,
    /// The 2006 tool's line format, for scripts.
    Seed,
}

/// What the `-d` options ask for, merged: every domain, the free pages,
/// and domain ids named one by one (ascending, each once).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DomainQuery {
    /// `-d all`: every domain `XEN_SYSCTL_getdomaininfolist` lists.
    pub all: bool,
    /// `-d free`: the free pages of each node.
    pub free: bool,
    /// `-d <domid>`.
    pub ids: BTreeSet<DomId>,
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

/// What to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `-h`/`--help`: print the usage text.
    Help,
    /// Print the chosen views.
    Show {
        physinfo: bool,
        heap: bool,
        domains: DomainQuery,
        format: Format,
    },
}

/// A command line that cannot be run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError(String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn usage(what: String) -> UsageError {
    UsageError(what)
}

fn parse_format(value: &str) -> Result<Format, UsageError> {
    match value {
        "table" => Ok(Format::Table),
        "seed" => Ok(Format::Seed),
        _ => Err(usage(format!(
            "unknown format '{value}' (expected table or seed)"
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
fn next_value(
    args: &mut std::vec::IntoIter<OsString>,
    flag: &str,
    what: &str,
) -> Result<String, UsageError> {
    args.next()
        .ok_or_else(|| usage(format!("{flag} needs a value ({what})")))?
        .into_string()
        .map_err(|a| usage(format!("{flag} value {a:?} is not valid UTF-8")))
}

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

/// Parses the arguments after the program name. With no view flag, `-p`
/// and `-H` are shown; `-d` alone shows only the domains.
pub fn parse(args: Vec<OsString>) -> Result<Command, UsageError> {
    let mut help = false;
    let mut physinfo = false;
    let mut heap = false;
    let mut domains = DomainQuery::default();
    let mut format = Format::default();
    let mut args = args.into_iter();
    const DOMAIN_VALUE: &str = "a domain id, `all` or `free`";
    while let Some(arg) = args.next() {
        let arg = arg
            .into_string()
            .map_err(|a| usage(format!("argument {a:?} is not valid UTF-8")))?;
        match arg.as_str() {
            "--help" => help = true,
            "--physinfo" => physinfo = true,
            "--heap" => heap = true,
            "--format" => {
                format = parse_format(&next_value(&mut args, "--format", "table or seed")?)?
            }
            "--domain" => {
                let value = next_value(&mut args, "--domain", DOMAIN_VALUE)?;
                add_domain(&mut domains, &value)?;
            }
            long if long.starts_with("--") => {
                if let Some(value) = long.strip_prefix("--format=") {
                    format = parse_format(value)?;
                } else if let Some(value) = long.strip_prefix("--domain=") {
                    add_domain(&mut domains, value)?;
                } else {
                    return Err(usage(format!("unknown flag '{long}'")));
                }
            }
            short if short.starts_with('-') && short.len() > 1 => {
                // Bundled short flags, as getopt allows: -pH, -pd 3, -d3.
                for (i, c) in short.char_indices().skip(1) {
                    match c {
                        'h' => help = true,
                        'p' => physinfo = true,
                        'H' => heap = true,
                        'd' => {
                            let rest = &short[i + 1..];
                            let value = if rest.is_empty() {
                                next_value(&mut args, "-d", DOMAIN_VALUE)?
                            } else {
                                rest.to_string()
                            };
                            add_domain(&mut domains, &value)?;
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
    if !physinfo && !heap && domains.is_empty() {
        physinfo = true;
        heap = true;
    }
    Ok(Command::Show {
        physinfo,
        heap,
        domains,
        format,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Command, UsageError> {
        parse(args.iter().map(OsString::from).collect())
    }

    fn show(physinfo: bool, heap: bool, format: Format) -> Result<Command, UsageError> {
        Ok(Command::Show {
            physinfo,
            heap,
            domains: DomainQuery::default(),
            format,
        })
    }

    fn domains(args: &[&str]) -> DomainQuery {
        match p(args) {
            Ok(Command::Show { domains, .. }) => domains,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    fn ids(ids: &[DomId]) -> BTreeSet<DomId> {
        ids.iter().copied().collect()
    }

    #[test]
    fn views_and_formats() {
        assert_eq!(p(&[]), show(true, true, Format::Table));
        assert_eq!(p(&["-H"]), show(false, true, Format::Table));
        assert_eq!(p(&["-p"]), show(true, false, Format::Table));
        assert_eq!(p(&["-p", "-H"]), show(true, true, Format::Table));
        assert_eq!(p(&["-Hp"]), show(true, true, Format::Table));
        assert_eq!(
            p(&["--heap", "--format=seed"]),
            show(false, true, Format::Seed)
        );
        assert_eq!(
            p(&["--format", "seed", "-p"]),
            show(true, false, Format::Seed)
        );
        assert_eq!(
            p(&["--format=seed", "--format=table"]),
            show(true, true, Format::Table)
        );
    }

    #[test]
    fn domain_views_combine_with_the_others() {
        // -d alone: only the domains.
        assert_eq!(
            p(&["-d", "all"]),
            Ok(Command::Show {
                physinfo: false,
                heap: false,
                domains: DomainQuery {
                    all: true,
                    ..Default::default()
                },
                format: Format::Table
            })
        );
        // All three views.
        match p(&["-p", "-H", "-d", "all"]) {
            Ok(Command::Show {
                physinfo: true,
                heap: true,
                domains,
                ..
            }) => assert!(domains.all),
            other => panic!("{other:?}"),
        }
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
        assert!(p(&["-h", "-x"]).is_err());
        assert!(p(&["-h", "-d", "x"]).is_err());
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
            err(&["--format=json"]),
            "unknown format 'json' (expected table or seed)"
        );
        assert_eq!(
            err(&["--format="]),
            "unknown format '' (expected table or seed)"
        );
        assert_eq!(err(&["--format"]), "--format needs a value (table or seed)");
    }
}
