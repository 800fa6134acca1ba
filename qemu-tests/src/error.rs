//! The crate's one error type.

use std::fmt;
use std::path::PathBuf;

/// What can go wrong before, during or after a boot.
#[derive(Debug)]
pub enum Error {
    /// The topology or an argument cannot describe a VM (nothing was started).
    Topology(String),
    /// A file the boot needs is missing or unusable; the message says what to
    /// build.
    Artifact(String),
    /// Starting or talking to a process (QEMU, make) failed.
    Io(String, std::io::Error),
    /// The VM started but did not reach the end of the dom0 script.
    Boot {
        /// What went wrong, in one sentence.
        what: String,
        /// Where the full serial log was written (if writing it worked).
        log_path: Option<PathBuf>,
        /// The last lines of the serial log, and QEMU's stderr if it said anything.
        tail: String,
    },
    /// Text that should hold a Xen dump does not parse.
    Parse(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Topology(m) => write!(f, "bad topology: {m}"),
            Error::Artifact(m) => write!(f, "{m}"),
            Error::Io(m, e) => write!(f, "{m}: {e}"),
            Error::Boot {
                what,
                log_path,
                tail,
            } => {
                write!(f, "boot failed: {what}")?;
                match log_path {
                    Some(p) => write!(f, "\nfull serial log: {}", p.display())?,
                    None => write!(f, "\n(the full serial log could not be written)")?,
                }
                write!(f, "\n{tail}")
            }
            Error::Parse(m) => write!(f, "parse error: {m}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(_, e) => Some(e),
            _ => None,
        }
    }
}
