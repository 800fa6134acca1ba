// SPDX-License-Identifier: GPL-2.0-only
//! Command line of `xen-numastat`, parsed by hand (no parser crate, to keep
//! the static binary small). Everything is checked before any hypercall.

use std::ffi::OsString;
use std::fmt;

/// Output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// For people: totals and a zone x node table.
    #[default]
    Table,
    /// The 2006 tool's line format, for scripts.
    Seed,
}

/// What to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// `-h`/`--help`: print the usage text.
    Help,
    /// Print the chosen views.
    Show {
        physinfo: bool,
        heap: bool,
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

/// Parses the arguments after the program name. With neither `-p` nor
/// `-H`, both views are shown.
pub fn parse(args: Vec<OsString>) -> Result<Command, UsageError> {
    let mut help = false;
    let mut physinfo = false;
    let mut heap = false;
    let mut format = Format::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let arg = arg
            .into_string()
            .map_err(|a| usage(format!("argument {a:?} is not valid UTF-8")))?;
        match arg.as_str() {
            "--help" => help = true,
            "--physinfo" => physinfo = true,
            "--heap" => heap = true,
            "--format" => {
                let value = args
                    .next()
                    .ok_or_else(|| usage("--format needs a value (table or seed)".into()))?;
                let value = value
                    .into_string()
                    .map_err(|a| usage(format!("format {a:?} is not valid UTF-8")))?;
                format = parse_format(&value)?;
            }
            long if long.starts_with("--") => match long.strip_prefix("--format=") {
                Some(value) => format = parse_format(value)?,
                None => return Err(usage(format!("unknown flag '{long}'"))),
            },
            short if short.starts_with('-') && short.len() > 1 => {
                // Bundled short flags, as getopt allows: -pH.
                for c in short.chars().skip(1) {
                    match c {
                        'h' => help = true,
                        'p' => physinfo = true,
                        'H' => heap = true,
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
    if !physinfo && !heap {
        physinfo = true;
        heap = true;
    }
    Ok(Command::Show {
        physinfo,
        heap,
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
            format,
        })
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
    fn help_wins_over_views_but_not_over_errors() {
        assert_eq!(p(&["-h"]), Ok(Command::Help));
        assert_eq!(p(&["-p", "--help"]), Ok(Command::Help));
        assert_eq!(p(&["-ph"]), Ok(Command::Help));
        assert!(p(&["-h", "-x"]).is_err());
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
