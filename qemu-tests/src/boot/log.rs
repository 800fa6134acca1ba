// SPDX-License-Identifier: GPL-2.0-only
//! Serial log tails for messages, and full logs saved under the logs
//! directory.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::QEMU;

pub(super) fn tail(log: &[String], n: usize, qemu_stderr: &str) -> String {
    let from = log.len().saturating_sub(n);
    let mut s = format!(
        "--- serial log, last {} of {} lines ---\n",
        log.len() - from,
        log.len()
    );
    for l in &log[from..] {
        s.push_str(l);
        s.push('\n');
    }
    s.push_str("--- end of serial log ---\n");
    let err = qemu_stderr.trim();
    if !err.is_empty() {
        s.push_str(&format!("--- QEMU stderr ---\n{err}\n"));
    }
    s
}

pub(super) fn save_log(
    dir: &Path,
    name: &str,
    args: &[String],
    log: &[String],
    qemu_stderr: &str,
) -> std::io::Result<PathBuf> {
    static N: AtomicU32 = AtomicU32::new(0);
    std::fs::create_dir_all(dir)?;
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(format!(
        "{safe}-{secs}-{}-{}.log",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let mut text = format!("# {QEMU} {}\n", shell_words(args));
    for l in log {
        text.push_str(l);
        text.push('\n');
    }
    if !qemu_stderr.trim().is_empty() {
        text.push_str(&format!("# QEMU stderr:\n{qemu_stderr}"));
    }
    std::fs::write(&path, text)?;
    Ok(path)
}

/// Arguments quoted for a shell, for messages a person can paste.
pub fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_=,.:/+@%".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting() {
        assert_eq!(
            shell_words(&["-m".into(), "2048M".into(), "a b".into(), "it's".into()]),
            r"-m 2048M 'a b' 'it'\''s'"
        );
    }
}
