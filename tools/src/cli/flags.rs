// SPDX-License-Identifier: GPL-2.0-only
//! Every flag of `xen-numastat`, once. The tests check that `--help`, the
//! man page (tools/xen-numastat.8) and the shell completions
//! (tools/completions/) name exactly these, so none of them drifts from
//! the parser (args.rs, whose own tests parse each of them).

/// (short form or "", long form).
pub const FLAGS: &[(&str, &str)] = &[
    ("-p", "--physinfo"),
    ("-H", "--heap"),
    ("-d", "--domain"),
    ("", "--verify"),
    ("-c", "--compact"),
    ("-z", "--skip-zeros"),
    ("-s", "--sort"),
    ("", "--unit"),
    ("", "--pages"),
    ("", "--bytes"),
    ("", "--width"),
    ("", "--format"),
    ("", "--json"),
    ("", "--prometheus"),
    ("-w", "--interval"),
    ("-V", "--version"),
    ("-h", "--help"),
];

/// The flags a text names: `--long` words, and `-x` short ones standing
/// alone (after a space, a bracket, `|`, `,`, a quote, zsh's `*` or a line
/// start). Roff's `\-`
/// is read as `-` and its font escapes (`\fB`) are dropped first.
pub fn named_in(text: &str) -> std::collections::BTreeSet<String> {
    let text = text
        .replace("\\-", "-")
        .replace("\\fB", "")
        .replace("\\fI", "")
        .replace("\\fR", "")
        .replace("\\fP", "");
    let b = text.as_bytes();
    let mut found = std::collections::BTreeSet::new();
    for i in 0..b.len() {
        let starts = b[i] == b'-'
            && (i == 0
                || matches!(
                    b[i - 1],
                    b' ' | b'['
                        | b'('
                        | b')'
                        | b'*'
                        | b'{'
                        | b'|'
                        | b','
                        | b'\n'
                        | b'\''
                        | b'"'
                        | b'\t'
                ));
        if !starts {
            continue;
        }
        let alpha = |j: usize| b.get(j).is_some_and(u8::is_ascii_alphabetic);
        if b.get(i + 1) == Some(&b'-') && alpha(i + 2) {
            let mut j = i + 2;
            while alpha(j) || (b.get(j) == Some(&b'-') && alpha(j + 1)) {
                j += 1;
            }
            found.insert(text[i..j].to_string());
        } else if alpha(i + 1) && !alpha(i + 2) {
            found.insert(text[i..i + 2].to_string());
        }
    }
    found
}

/// Every flag spelling of [`FLAGS`].
pub fn all() -> std::collections::BTreeSet<String> {
    FLAGS
        .iter()
        .flat_map(|&(s, l)| [s, l])
        .filter(|f| !f.is_empty())
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_found_in_text() {
        let got = named_in(
            "  -p, --physinfo x\n[-s[NODE]] (-z) xen-numastat -sNODE \\fB\\-\\-json\\fR --unit=mb",
        );
        let want: std::collections::BTreeSet<String> =
            ["-p", "--physinfo", "-s", "-z", "--json", "--unit"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        assert_eq!(got, want);
    }
}
