// SPDX-License-Identifier: GPL-2.0-only
//! Xen debug keys pressed on the serial console, each after the last
//! one's output ended.

use std::time::{Duration, Instant};

use super::console::{Console, Next};
use super::KeyPress;

/// A debug key's output has ended when Xen has printed nothing for this long.
const KEY_QUIET: Duration = Duration::from_millis(1500);

/// How long a debug key may take to print its first line.
const KEY_FIRST_LINE: Duration = Duration::from_secs(20);

impl Console {
    /// Presses each debug key on the serial console (dom0 waits in `read`).
    pub(super) fn press_keys(
        &mut self,
        keys: &str,
        deadline: Instant,
    ) -> Result<Vec<KeyPress>, String> {
        // Three CTRL-a switch serial input between dom0 and Xen
        // (xen/drivers/char/console.c, switch_serial_input()).
        const SWITCH: &[u8] = b"\x01\x01\x01";
        self.send(SWITCH)?;
        self.wait_for(
            |l| l.contains("*** Serial input to Xen"),
            deadline,
            "Xen to take serial input",
        )?;
        let mut out = Vec::new();
        for key in keys.chars() {
            let start = self.log.len();
            self.send(key.to_string().as_bytes())?;
            let first = deadline.min(Instant::now() + KEY_FIRST_LINE);
            self.wait_for(
                |l| l.starts_with("(XEN) "),
                first,
                &format!("output of debug key '{key}'"),
            )?;
            // Keys run in a tasklet, one at a time (common/keyhandler.c keeps
            // one pending key): wait for the output to end before the next.
            loop {
                let quiet = deadline.min(Instant::now() + KEY_QUIET);
                match self.next(quiet) {
                    Next::Line if self.crash.is_some() => return Err(self.crashed()),
                    Next::Line => {}
                    Next::Timeout if Instant::now() >= deadline => {
                        return Err(format!("timed out reading debug key '{key}'"))
                    }
                    Next::Timeout => break,
                    Next::Eof => return Err(format!("QEMU exited after debug key '{key}'")),
                }
            }
            let xen_lines = self.log[start..]
                .iter()
                .filter_map(|l| l.strip_prefix("(XEN) "))
                .map(str::to_string)
                .collect();
            out.push(KeyPress { key, xen_lines });
        }
        self.send(SWITCH)?;
        self.wait_for(
            |l| l.contains("*** Serial input to DOM0"),
            deadline,
            "dom0 to take serial input back",
        )?;
        self.send(b"\n")?;
        Ok(out)
    }
}
