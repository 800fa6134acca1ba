// SPDX-License-Identifier: GPL-2.0-only
//! The width of the terminal standard output goes to, so wide tables can
//! be folded: `$COLUMNS` if set, else `TIOCGWINSZ` on stdout. Besides
//! [`crate::privcmd`], the only module with `unsafe` code (one ioctl).

/// Columns of the terminal: `$COLUMNS` when it is a positive number (the
/// shell's idea, and how tests pin it), else the window size of stdout when
/// it is a terminal, else `None` (a pipe or a file: do not fold).
pub fn width() -> Option<usize> {
    if let Some(cols) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
    {
        return Some(cols);
    }
    stdout_winsize()
}

fn stdout_winsize() -> Option<usize> {
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one `struct winsize` through the pointer,
    // which points to a live, writable `libc::winsize`; on a descriptor
    // that is not a terminal it fails with ENOTTY and writes nothing.
    let rc = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) };
    (rc == 0 && ws.ws_col > 0).then_some(usize::from(ws.ws_col))
}
