//! `fnmatch(pattern, string, 0)` as glibc does it in the C locale (PID 1's):
//! `*` (any bytes, `/` and leading dots included), `?` (one byte),
//! `[...]`, `[!...]`/`[^...]` with ranges, `[:class:]` and `]` first,
//! backslash escapes inside and outside brackets; an unterminated `[` is a
//! literal `[`; a trailing backslash never matches; an unknown `[:class:]`
//! never matches.
//!
//! Matching is iterative, with the classic two-pointer backtracking to the
//! last `*` only: O(pattern x string) in the worst case, never exponential.

/// Whether `string` matches `pattern`, whole.
pub fn fnmatch(pattern: &[u8], string: &[u8]) -> bool {
    let (mut p, mut s) = (0usize, 0usize);
    // After the last `*`: where the pattern resumes, and where in the
    // string that attempt started.
    let mut star: Option<(usize, usize)> = None;
    loop {
        let step = match pattern.get(p) {
            None => {
                if s == string.len() {
                    return true;
                }
                None
            }
            Some(b'*') => {
                while pattern.get(p) == Some(&b'*') {
                    p += 1;
                }
                star = Some((p, s));
                continue;
            }
            Some(&pc) => {
                let Some(&sc) = string.get(s) else {
                    // The string is used up and the pattern still wants a
                    // byte: backtracking to a `*` only consumes more.
                    return false;
                };
                match pc {
                    b'?' => Some(p + 1),
                    b'[' => match bracket(pattern, p, sc) {
                        Bracket::Match(next) => Some(next),
                        Bracket::NoMatch => None,
                        Bracket::Invalid => return false,
                        Bracket::Literal => (sc == b'[').then_some(p + 1),
                    },
                    b'\\' => match pattern.get(p + 1) {
                        None => return false,
                        Some(&lit) => (sc == lit).then_some(p + 2),
                    },
                    c => (sc == c).then_some(p + 1),
                }
            }
        };
        match step {
            Some(next) => {
                p = next;
                s += 1;
            }
            None => match star {
                Some((sp, ss)) if ss < string.len() => {
                    star = Some((sp, ss + 1));
                    p = sp;
                    s = ss + 1;
                }
                _ => return false,
            },
        }
    }
}

enum Bracket {
    /// Matches; the pattern resumes at this index.
    Match(usize),
    NoMatch,
    /// No closing `]`: the `[` is an ordinary character.
    Literal,
    /// An unknown character class: the whole pattern fails.
    Invalid,
}

fn class(name: &[u8], c: u8) -> Option<bool> {
    Some(match name {
        b"alpha" => c.is_ascii_alphabetic(),
        b"digit" => c.is_ascii_digit(),
        b"alnum" => c.is_ascii_alphanumeric(),
        b"upper" => c.is_ascii_uppercase(),
        b"lower" => c.is_ascii_lowercase(),
        b"space" => matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c),
        b"blank" => matches!(c, b' ' | b'\t'),
        b"punct" => c.is_ascii_punctuation(),
        b"xdigit" => c.is_ascii_hexdigit(),
        b"cntrl" => c.is_ascii_control(),
        b"print" => (0x20..0x7f).contains(&c),
        b"graph" => c.is_ascii_graphic(),
        _ => return None,
    })
}

/// Evaluates the bracket expression at `pattern[start] == b'['` for `c`.
fn bracket(pattern: &[u8], start: usize, c: u8) -> Bracket {
    let mut i = start + 1;
    let negate = matches!(pattern.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let Some(&pc) = pattern.get(i) else {
            return Bracket::Literal;
        };
        if pc == b']' && !first {
            i += 1;
            break;
        }
        first = false;
        // `[:class:]`
        if pc == b'[' && pattern.get(i + 1) == Some(&b':') {
            let name_start = i + 2;
            let close = pattern
                .get(name_start..)
                .and_then(|rest| rest.windows(2).position(|w| w == b":]"));
            if let Some(len) = close {
                let name = pattern
                    .get(name_start..name_start + len)
                    .unwrap_or_default();
                match class(name, c) {
                    Some(m) => matched |= m,
                    None => return Bracket::Invalid,
                }
                i = name_start + len + 2;
                continue;
            }
        }
        let (lo, after) = match pc {
            b'\\' => match pattern.get(i + 1) {
                Some(&e) => (e, i + 2),
                None => return Bracket::Literal,
            },
            _ => (pc, i + 1),
        };
        // A range `lo-hi`, unless the `-` is last (`[a-]`).
        if pattern.get(after) == Some(&b'-') && !matches!(pattern.get(after + 1), Some(b']') | None)
        {
            let (hi, next) = match pattern.get(after + 1) {
                Some(b'\\') => match pattern.get(after + 2) {
                    Some(&e) => (e, after + 3),
                    None => return Bracket::Literal,
                },
                Some(&h) => (h, after + 2),
                None => return Bracket::Literal,
            };
            matched |= lo <= c && c <= hi;
            i = next;
        } else {
            matched |= lo == c;
            i = after;
        }
    }
    if matched != negate {
        Bracket::Match(i)
    } else {
        Bracket::NoMatch
    }
}

#[cfg(test)]
mod tests {
    use super::fnmatch;

    fn m(p: &str, s: &str) -> bool {
        fnmatch(p.as_bytes(), s.as_bytes())
    }

    #[test]
    fn globs_as_fnmatch_does() {
        let yes = [
            ("", ""),
            ("foo", "foo"),
            ("f?o", "foo"),
            ("*", ""),
            ("*", "/a/.b"),
            ("*.conf", ".x.conf"),
            ("a*b*c", "aXbYbZc"),
            ("[2345]", "3"),
            ("[!2345]", "1"),
            ("[^2345]", "6"),
            ("[a-c]x", "bx"),
            ("[]]", "]"),
            ("[!]]", "a"),
            ("[a-]", "-"),
            ("\\*", "*"),
            ("[\\]]", "]"),
            ("[", "["),
            ("a[", "a["),
            ("[[:digit:]]*", "7up"),
            ("[![:space:]]", "x"),
            ("eth*", "eth0"),
            ("**a", "bba"),
            ("*?", "x"),
        ];
        for (p, s) in yes {
            assert!(m(p, s), "{p:?} should match {s:?}");
        }
        let no = [
            ("foo", "fo"),
            ("fo", "foo"),
            ("?", ""),
            ("[2345]", "1"),
            ("[!2345]", "2"),
            ("[!016]", "0"),
            ("a*b", "acd"),
            ("\\", "\\"),
            ("x\\", "x\\"),
            ("[[:nope:]]", "a"),
            ("*?", ""),
            ("[a-c]", "d"),
        ];
        for (p, s) in no {
            assert!(!m(p, s), "{p:?} should not match {s:?}");
        }
    }

    #[test]
    fn many_stars_are_not_exponential() {
        let p = "*a".repeat(64) + "b";
        let s = "a".repeat(10_000);
        assert!(!m(&p, &s));
    }
}
