// SPDX-License-Identifier: GPL-2.0-only
//! Splitting the serial stream into Xen's lines and dom0's frames.

use super::CommandResult;
use crate::initramfs::FRAME;

/// One `@@XNS` line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Frame {
    Privcmd(bool),
    Out {
        i: usize,
        text: String,
        intact: bool,
    },
    End {
        i: usize,
        rc: i32,
        lines: usize,
    },
    Other,
}

/// The serial log taken apart.
#[derive(Debug, Default)]
pub(super) struct Demuxed {
    pub(super) xen: Vec<String>,
    frames: Vec<Frame>,
    pub(super) privcmd_loaded: bool,
}

impl Demuxed {
    pub(super) fn command(&self, i: usize, command: &str) -> CommandResult {
        let mut output = Vec::new();
        let mut intact = true;
        let mut end = None;
        for f in &self.frames {
            match f {
                Frame::Out {
                    i: j,
                    text,
                    intact: ok,
                } if *j == i => {
                    output.push(text.clone());
                    intact &= ok;
                }
                Frame::End { i: j, rc, lines } if *j == i => end = Some((*rc, *lines)),
                _ => {}
            }
        }
        if let Some((_, lines)) = end {
            intact &= lines == output.len();
        }
        CommandResult {
            index: i,
            name: None,
            command: command.to_string(),
            output,
            rc: end.map(|(rc, _)| rc),
            framing_intact: intact && end.is_some(),
        }
    }
}

const XEN_PREFIX: &str = "(XEN) ";

/// Most splices one dom0 line is repaired across.
const MAX_SPLICES: usize = 8;

/// Takes the serial log apart. dom0's hvc console writes at most 16 bytes at
/// a time (N_OUTBUF in drivers/tty/hvc/hvc_console.c) and Xen prints its own
/// lines between two writes, so a dom0 line can arrive as
/// `@@XNS OUT 0 40 first par(XEN) some Xen line` + `t of the line`. OUT lines
/// carry their length: when it does not match, try to cut Xen's text out.
pub(super) fn demux(log: &[String]) -> Demuxed {
    let mut d = Demuxed::default();
    let mut i = 0;
    while i < log.len() {
        let line = &log[i];
        let Some(p) = line.find(FRAME) else {
            if let Some(q) = line.find(XEN_PREFIX) {
                d.xen.push(line[q + XEN_PREFIX.len()..].to_string());
            }
            i += 1;
            continue;
        };
        let body = &line[p + FRAME.len()..];
        if let Some(rest) = body.strip_prefix("OUT ") {
            let mut parts = rest.splitn(3, ' ');
            let idx = parts.next().and_then(|s| s.parse::<usize>().ok());
            let len = parts.next().and_then(|s| s.parse::<usize>().ok());
            let text = parts.next().unwrap_or("");
            if let (Some(idx), Some(len)) = (idx, len) {
                if text.len() == len {
                    d.frames.push(Frame::Out {
                        i: idx,
                        text: text.to_string(),
                        intact: true,
                    });
                } else if let Some((whole, xen, next)) =
                    repair(log, i, String::new(), text, len, Vec::new(), 0)
                {
                    d.xen.extend(xen);
                    d.frames.push(Frame::Out {
                        i: idx,
                        text: whole,
                        intact: true,
                    });
                    i = next;
                    continue;
                } else {
                    d.frames.push(Frame::Out {
                        i: idx,
                        text: text.to_string(),
                        intact: false,
                    });
                }
            }
            i += 1;
            continue;
        }
        // Control frames never contain "(XEN) ": if one does, Xen printed
        // into it, and it goes on at the next line that is not Xen's.
        let mut body = body.to_string();
        i += 1;
        if let Some(q) = body.find(XEN_PREFIX) {
            d.xen.push(body[q + XEN_PREFIX.len()..].to_string());
            body.truncate(q);
            while i < log.len() && log[i].starts_with(XEN_PREFIX) {
                d.xen.push(log[i][XEN_PREFIX.len()..].to_string());
                i += 1;
            }
            if i < log.len() {
                body.push_str(&log[i]);
                i += 1;
            }
        }
        let f = control_frame(body.trim_end());
        if f == Frame::Privcmd(true) {
            d.privcmd_loaded = true;
        }
        d.frames.push(f);
    }
    d
}

/// Rebuilds a dom0 line of `want` bytes that starts with `acc` + `cur`
/// (`cur` being log line `j` or its tail) by cutting out Xen lines printed
/// into it. Returns the line, the Xen lines cut out, and the next log index.
fn repair(
    log: &[String],
    j: usize,
    acc: String,
    cur: &str,
    want: usize,
    xen: Vec<String>,
    depth: usize,
) -> Option<(String, Vec<String>, usize)> {
    if acc.len() + cur.len() == want {
        return Some((acc + cur, xen, j + 1));
    }
    if depth >= MAX_SPLICES {
        return None;
    }
    for (p, _) in cur.match_indices(XEN_PREFIX) {
        if acc.len() + p > want {
            break;
        }
        let mut xs = xen.clone();
        xs.push(cur[p + XEN_PREFIX.len()..].to_string());
        let mut k = j + 1;
        while k < log.len() && log[k].starts_with(XEN_PREFIX) {
            xs.push(log[k][XEN_PREFIX.len()..].to_string());
            k += 1;
        }
        let next = log.get(k)?;
        if let Some(r) = repair(log, k, acc.clone() + &cur[..p], next, want, xs, depth + 1) {
            return Some(r);
        }
    }
    None
}

fn control_frame(body: &str) -> Frame {
    let mut w = body.split(' ');
    match w.next() {
        Some("PRIVCMD") => Frame::Privcmd(w.next() == Some("ok")),
        Some("END") => {
            let i = w.next().and_then(|s| s.parse().ok());
            let rc = w
                .next()
                .and_then(|s| s.strip_prefix("rc="))
                .and_then(|s| s.parse().ok());
            let lines = w
                .next()
                .and_then(|s| s.strip_prefix("lines="))
                .and_then(|s| s.parse().ok());
            match (i, rc, lines) {
                (Some(i), Some(rc), Some(lines)) => Frame::End { i, rc, lines },
                _ => Frame::Other,
            }
        }
        _ => Frame::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(str::to_string).collect()
    }

    #[test]
    fn clean_frames() {
        let d = demux(&lines(
            "(XEN) Xen version 4.17.5\n\
             [    0.1] Linux version 6.1\n\
             @@XNS INIT\n\
             @@XNS PRIVCMD ok\n\
             @@XNS BEGIN 0\n\
             @@XNS OUT 0 8 hypercall\n\
             @@XNS OUT 0 0 \n\
             @@XNS OUT 0 8 privcmd\n\
             @@XNS END 0 rc=0 lines=3\n\
             @@XNS BEGIN 1\n\
             @@XNS END 1 rc=127 lines=0\n\
             @@XNS DONE",
        ));
        assert!(d.privcmd_loaded);
        assert_eq!(d.xen, ["Xen version 4.17.5"]);
        let c = d.command(0, "ls /dev/xen");
        // "hypercall" is 9 bytes, not 8: the first line is flagged.
        assert_eq!(c.output, ["hypercall", "", "privcmd"]);
        assert!(!c.framing_intact);
        assert_eq!(c.rc, Some(0));
        let c = d.command(1, "false");
        assert_eq!(
            (c.rc, c.output.len(), c.framing_intact),
            (Some(127), 0, true)
        );
        assert_eq!(d.command(2, "missing").rc, None);
    }

    #[test]
    fn xen_line_printed_into_a_dom0_line() {
        let d = demux(&lines(
            "@@XNS BEGIN 0\n\
             @@XNS OUT 0 25 xen| (XEN) NODE0 s(XEN) Domain 0 crashed\n\
             (XEN) second xen line\n\
             tart->0\n\
             @@XNS END 0 rc=0 l(XEN) tail\n\
             ines=1\n\
             @@XNS DONE",
        ));
        let c = d.command(0, "dom0-testkit keys u");
        assert_eq!(c.output, ["xen| (XEN) NODE0 start->0"]);
        assert!(c.framing_intact, "{c:?}");
        assert_eq!(d.xen, ["Domain 0 crashed", "second xen line", "tail"]);
    }
}
