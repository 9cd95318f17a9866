//! Just enough shell reading to find the variables a script or `exec` line
//! takes from its environment: `$NAME` and `${NAME}` (and `${NAME%...}` and
//! the like) outside single quotes, comments and quoted here-documents,
//! minus every name the text sets itself (`NAME=`, `read NAME`, `for NAME`,
//! `local`/`export`/`declare`/`readonly`/`getopts NAME`, `${NAME:=x}`) or
//! treats as optional (`${NAME:-x}` and friends, any use inside `[ ]`,
//! `[[ ]]`, `test` or `case`). A text that sources another file or uses
//! `eval` can set anything, so it is [`Scan::opaque`].
//!
//! This is deliberately conservative: the goal is to never claim a variable
//! is missing when the script might well set it.

use std::collections::HashSet;

/// What a shell text uses and sets.
#[derive(Debug, Default)]
pub struct Scan {
    /// Plain uses, in order: name, byte offset of the `$`.
    pub uses: Vec<(String, usize)>,
    /// Names set (or declared) somewhere in the text.
    pub assigned: HashSet<String>,
    /// Names the text treats as possibly unset.
    pub optional: HashSet<String>,
    /// Sources a file or uses `eval`: anything may be set.
    pub opaque: bool,
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_name(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn name_at(s: &[u8], i: usize) -> Option<(String, usize)> {
    if !s.get(i).copied().is_some_and(is_name_start) {
        return None;
    }
    let mut end = i;
    while s.get(end).copied().is_some_and(is_name) {
        end += 1;
    }
    Some((String::from_utf8_lossy(s.get(i..end)?).into_owned(), end))
}

const DECLARERS: &[&str] = &[
    "read", "local", "export", "declare", "typeset", "readonly", "getopts", "for", "select",
    "unset",
];

pub fn scan(text: &str) -> Scan {
    let mut out = Scan::default();
    let s = text.as_bytes();
    let mut i = 0;
    let mut single = false;
    let mut double = false;
    // Here-documents announced on the current line: (delimiter, expands, strip tabs).
    let mut pending: Vec<(String, bool, bool)> = Vec::new();
    // Start of the current simple command (for test/case detection).
    let mut cmd_start = 0;
    let mut word_start = true;
    while let Some(&c) = s.get(i) {
        if single {
            if c == b'\'' {
                single = false;
            }
            i += 1;
            continue;
        }
        match c {
            b'\\' => {
                i += 2;
                word_start = false;
                continue;
            }
            b'\'' if !double => {
                single = true;
                i += 1;
                word_start = false;
                continue;
            }
            b'"' => {
                double = !double;
                i += 1;
                word_start = false;
                continue;
            }
            b'#' if !double && word_start => {
                while s.get(i).is_some_and(|&b| b != b'\n') {
                    i += 1;
                }
                continue;
            }
            b'$' => {
                i = dollar(s, i, cmd_start, &mut out);
                word_start = false;
                continue;
            }
            b'<' if !double && s.get(i + 1) == Some(&b'<') && s.get(i + 2) != Some(&b'<') => {
                i += 2;
                let strip = s.get(i) == Some(&b'-');
                if strip {
                    i += 1;
                }
                while s.get(i).is_some_and(|&b| b == b' ' || b == b'\t') {
                    i += 1;
                }
                let (delim, quoted, next) = heredoc_word(s, i);
                if !delim.is_empty() {
                    pending.push((delim, !quoted, strip));
                }
                i = next;
                continue;
            }
            b'\n' => {
                i += 1;
                if !double {
                    word_start = true;
                    for (delim, expands, strip) in std::mem::take(&mut pending) {
                        i = heredoc_body(s, i, &delim, expands, strip, &mut out);
                    }
                    cmd_start = i;
                }
                continue;
            }
            b';' | b'&' | b'|' | b'(' | b')' | b'`' | b'{' | b'}' if !double => {
                cmd_start = i + 1;
                word_start = true;
            }
            b'.' if word_start
                && !double
                && s.get(i + 1).is_some_and(|b| *b == b' ' || *b == b'\t')
                && command_position(s, cmd_start, i) =>
            {
                out.opaque = true;
            }
            b' ' | b'\t' => word_start = true,
            _ if word_start && !double && is_name_start(c) => {
                word_start = false;
                if let Some((name, end)) = name_at(s, i) {
                    word(s, i, &name, end, &mut out);
                    i = end;
                    continue;
                }
            }
            _ => word_start = false,
        }
        i += 1;
    }
    out
}

/// A word that starts with a name: an assignment, a declaring builtin, or
/// something that makes the text opaque.
fn word(s: &[u8], start: usize, name: &str, end: usize, out: &mut Scan) {
    if s.get(end) == Some(&b'=') || (s.get(end) == Some(&b'+') && s.get(end + 1) == Some(&b'=')) {
        out.assigned.insert(name.to_owned());
        return;
    }
    let at_end = s
        .get(end)
        .is_none_or(|b| b.is_ascii_whitespace() || *b == b';');
    if !at_end {
        return;
    }
    match name {
        "eval" | "source" => out.opaque = true,
        _ if DECLARERS.contains(&name) => {
            // Every name-like word up to the end of the command.
            let mut j = end;
            while let Some(&b) = s.get(j) {
                if matches!(b, b'\n' | b';' | b'|' | b'&' | b'<' | b'>' | b')') {
                    break;
                }
                if (j == end || s.get(j - 1).is_some_and(u8::is_ascii_whitespace))
                    && is_name_start(b)
                {
                    if let Some((n, e)) = name_at(s, j) {
                        if n == "in" || n == "do" {
                            break;
                        }
                        out.assigned.insert(n);
                        j = e;
                        continue;
                    }
                }
                j += 1;
            }
        }
        _ => {}
    }
    let _ = start;
}

/// The delimiter word of a here-document: text, whether it was quoted, and
/// the index after it.
fn heredoc_word(s: &[u8], mut i: usize) -> (String, bool, usize) {
    let mut out = Vec::new();
    let mut quoted = false;
    while let Some(&b) = s.get(i) {
        match b {
            b'\'' | b'"' => {
                quoted = true;
                i += 1;
            }
            b'\\' => {
                quoted = true;
                i += 1;
            }
            _ if b.is_ascii_whitespace()
                || matches!(b, b';' | b'|' | b'&' | b'<' | b'>' | b')') =>
            {
                break
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), quoted, i)
}

/// Skips a here-document body starting at `i` (a line start), scanning it
/// for references when it expands; returns the index after its delimiter line.
fn heredoc_body(
    s: &[u8],
    mut i: usize,
    delim: &str,
    expands: bool,
    strip: bool,
    out: &mut Scan,
) -> usize {
    while i < s.len() {
        let end = s
            .get(i..)
            .and_then(|r| r.iter().position(|&b| b == b'\n'))
            .map_or(s.len(), |p| i + p);
        let line = s.get(i..end).unwrap_or_default();
        let trimmed: &[u8] = if strip {
            let k = line.iter().position(|&b| b != b'\t').unwrap_or(line.len());
            line.get(k..).unwrap_or_default()
        } else {
            line
        };
        if trimmed == delim.as_bytes() {
            return end + 1;
        }
        if expands {
            let mut k = i;
            while k < end {
                if s.get(k) == Some(&b'\\') {
                    k += 2;
                } else if s.get(k) == Some(&b'$') {
                    k = dollar(s, k, i, out);
                } else {
                    k += 1;
                }
            }
        }
        i = end + 1;
    }
    s.len()
}

/// A `$` at `i`; returns the index after the reference.
fn dollar(s: &[u8], i: usize, cmd_start: usize, out: &mut Scan) -> usize {
    let optional_context = || in_test(s, cmd_start, i);
    match s.get(i + 1) {
        Some(b'\'') => {
            // $'...': an ANSI-C string, like single quotes.
            let mut j = i + 2;
            while let Some(&b) = s.get(j) {
                if b == b'\\' {
                    j += 2;
                    continue;
                }
                if b == b'\'' {
                    return j + 1;
                }
                j += 1;
            }
            s.len()
        }
        Some(b'{') => {
            let j = i + 2;
            if let Some(b'#' | b'!') = s.get(j) {
                return j + 1;
            }
            let Some((name, end)) = name_at(s, j) else {
                return j;
            };
            match s.get(end) {
                Some(b'}') => {
                    if optional_context() {
                        out.optional.insert(name.clone());
                    }
                    out.uses.push((name, i));
                }
                Some(b':') => match s.get(end + 1) {
                    Some(b'-' | b'+' | b'?') => {
                        out.optional.insert(name);
                    }
                    Some(b'=') => {
                        out.assigned.insert(name);
                    }
                    // `${NAME:offset}`: a use.
                    _ => out.uses.push((name, i)),
                },
                Some(b'-' | b'+' | b'?') => {
                    out.optional.insert(name);
                }
                Some(b'=') => {
                    out.assigned.insert(name);
                }
                Some(b'%' | b'#' | b'/' | b'^' | b',') => out.uses.push((name, i)),
                // `${NAME[...]}` and anything unusual: not a plain use.
                _ => {}
            }
            end
        }
        Some(&b) if is_name_start(b) => {
            let Some((name, end)) = name_at(s, i + 1) else {
                return i + 1;
            };
            if optional_context() {
                out.optional.insert(name.clone());
            }
            out.uses.push((name, i));
            end
        }
        _ => i + 1,
    }
}

/// Whether `at` is where a command name goes: only keywords before it.
fn command_position(s: &[u8], cmd_start: usize, at: usize) -> bool {
    let head = String::from_utf8_lossy(s.get(cmd_start..at).unwrap_or_default()).into_owned();
    head.split_whitespace().all(|w| {
        matches!(
            w,
            "if" | "elif" | "while" | "until" | "!" | "then" | "else" | "do"
        )
    })
}

/// Whether the command around `at` is a test (`[`, `[[`, `test`) or a
/// `case`, where a variable is examined rather than relied on.
fn in_test(s: &[u8], cmd_start: usize, at: usize) -> bool {
    let head = String::from_utf8_lossy(s.get(cmd_start..at).unwrap_or_default()).into_owned();
    let mut words = head.split_whitespace();
    let mut first = words.next();
    while matches!(
        first,
        Some("if" | "elif" | "while" | "until" | "!" | "then" | "else" | "do")
    ) {
        first = words.next();
    }
    matches!(first, Some("[" | "[[" | "test" | "case"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uses(text: &str) -> Vec<String> {
        let s = scan(text);
        s.uses
            .into_iter()
            .map(|(n, _)| n)
            .filter(|n| !s.assigned.contains(n) && !s.optional.contains(n))
            .collect()
    }

    #[test]
    fn finds_plain_references() {
        assert_eq!(uses("exec /usr/bin/foo $OPTS ${MORE}"), ["OPTS", "MORE"]);
        assert_eq!(uses("echo \"$A and ${B%.*}\""), ["A", "B"]);
    }

    #[test]
    fn skips_quotes_comments_and_quoted_heredocs() {
        assert!(uses("echo '$A'\n# $B\ncat <<'EOF'\n$C\nEOF\n").is_empty());
        assert_eq!(uses("cat <<EOF\n$C\nEOF\necho $D\n"), ["C", "D"]);
        assert!(uses("awk '{print $1}' \\$X").is_empty());
    }

    #[test]
    fn skips_what_the_script_sets_or_tests() {
        assert!(uses("A=1\necho $A").is_empty());
        assert!(uses("read -r X Y < f\necho $X $Y").is_empty());
        assert!(uses("for F in a b; do echo $F; done").is_empty());
        assert!(uses("export P=1; local Q; echo $P $Q").is_empty());
        assert!(uses("[ -z \"$W\" ] && exit 1\necho $W").is_empty());
        assert!(uses("echo ${V:-default} $V").is_empty());
        assert!(uses(": ${V:=x}\necho $V").is_empty());
        assert!(uses("case \"$T\" in a) ;; esac").is_empty());
    }

    #[test]
    fn sourcing_makes_the_text_opaque() {
        assert!(scan(". /etc/default/foo\nexec foo $OPTS").opaque);
        assert!(scan("source /etc/x").opaque);
        assert!(scan("eval $(cat f)").opaque);
        assert!(!scan("exec foo . bar").opaque);
    }
}
