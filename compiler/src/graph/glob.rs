//! `fnmatch(3)` with flags 0, the comparison Upstart uses for every event
//! argument (runtime-semantics.md 6.3): `*` and `?` match any character
//! (`/` and a leading `.` included), `[...]` is a bracket expression (`!` or
//! `^` negates, `a-z` ranges, `[:alpha:]` classes, `]` first is literal),
//! and `\` quotes the next character. An unclosed `[` is an ordinary
//! character.
//!
//! Matching is iterative with single-star backtracking, so a pattern of any
//! length costs O(pattern x text) at worst and never recurses.

/// The text a literal pattern matches (backslashes removed), if the pattern
/// matches exactly one string.
pub fn literal_text(pattern: &str) -> Option<String> {
    if pattern.contains(['*', '?', '[']) {
        return None;
    }
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push(chars.next().unwrap_or('\\'));
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// `fnmatch(pattern, text, 0) == 0`.
pub fn fnmatch(pattern: &str, text: &str) -> bool {
    if !pattern.contains(['*', '?', '[', '\\']) {
        return pattern == text;
    }
    if pattern.is_ascii() && text.is_ascii() {
        // No allocation: bytes are characters.
        return matches(pattern.as_bytes(), text.as_bytes());
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    matches(&p, &t)
}

/// A pattern or text element: a byte of ASCII text or a `char`.
trait Elem: Copy + Eq + Ord {
    fn of(c: char) -> Self;
    fn is(self, c: char) -> bool {
        self == Self::of(c)
    }
    fn to_char(self) -> char;
}

impl Elem for u8 {
    fn of(c: char) -> u8 {
        u8::try_from(c).unwrap_or(0)
    }
    fn to_char(self) -> char {
        char::from(self)
    }
}

impl Elem for char {
    fn of(c: char) -> char {
        c
    }
    fn to_char(self) -> char {
        self
    }
}

fn matches<E: Elem>(p: &[E], t: &[E]) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    // Where to resume after the last `*`: (pattern index after it, text index).
    let mut resume: Option<(usize, usize)> = None;
    loop {
        if ti == t.len() {
            // Only stars may remain.
            return p
                .get(pi..)
                .is_some_and(|rest| rest.iter().all(|c| c.is('*')));
        }
        let step = match p.get(pi) {
            Some(c) if c.is('*') => {
                resume = Some((pi + 1, ti));
                pi += 1;
                continue;
            }
            Some(_) => single(p, pi, t.get(ti).copied()),
            None => None,
        };
        match step {
            Some(next_pi) => {
                pi = next_pi;
                ti += 1;
            }
            None => match resume {
                Some((after_star, from)) => {
                    // Let the star swallow one more character.
                    resume = Some((after_star, from + 1));
                    pi = after_star;
                    ti = from + 1;
                }
                None => return false,
            },
        }
    }
}

/// Matches the pattern element at `pi` (not a star) against one character;
/// the index of the next element on success.
fn single<E: Elem>(p: &[E], pi: usize, c: Option<E>) -> Option<usize> {
    let c = c?;
    let q = *p.get(pi)?;
    match q.to_char() {
        '?' => Some(pi + 1),
        // A trailing backslash never matches (glibc: "trailing \\ loses").
        '\\' => p.get(pi + 1).and_then(|&q| (q == c).then_some(pi + 2)),
        '[' => match bracket(p, pi + 1, c) {
            Some((matched, next)) => matched.then_some(next),
            // No closing `]`: the `[` is literal.
            None => c.is('[').then_some(pi + 1),
        },
        _ => (q == c).then_some(pi + 1),
    }
}

/// A bracket expression starting after its `[`: whether `c` is in it, and
/// the index after its `]`. `None` when it is not closed.
fn bracket<E: Elem>(p: &[E], start: usize, c: E) -> Option<(bool, usize)> {
    let mut i = start;
    let negate = p.get(i).is_some_and(|x| x.is('!') || x.is('^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let here = *p.get(i)?;
        if here.is(']') && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if here.is('[') && p.get(i + 1).is_some_and(|x| x.is(':')) {
            if let Some(end) = class_end(p, i + 2) {
                let name: String = p.get(i + 2..end)?.iter().map(|x| x.to_char()).collect();
                matched |= in_class(&name, c.to_char());
                i = end + 2;
                continue;
            }
        }
        let (lo, next) = if here.is('\\') {
            (*p.get(i + 1)?, i + 2)
        } else {
            (here, i + 1)
        };
        if p.get(next).is_some_and(|x| x.is('-')) && p.get(next + 1).is_some_and(|h| !h.is(']')) {
            let (hi, after) = match p.get(next + 1) {
                Some(h) if h.is('\\') => (*p.get(next + 2)?, next + 3),
                Some(&h) => (h, next + 2),
                None => return None,
            };
            matched |= lo <= c && c <= hi;
            i = after;
        } else {
            matched |= lo == c;
            i = next;
        }
    }
}

/// The index of the `:` of the `:]` closing a `[:class:]` whose name starts at `from`.
fn class_end<E: Elem>(p: &[E], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        let c = p.get(i)?.to_char();
        if c == ':' && p.get(i + 1).is_some_and(|x| x.is(']')) {
            return Some(i);
        }
        if !c.is_ascii_alphabetic() {
            return None;
        }
        i += 1;
    }
}

fn in_class(name: &str, c: char) -> bool {
    match name {
        "alpha" => c.is_ascii_alphabetic(),
        "digit" => c.is_ascii_digit(),
        "alnum" => c.is_ascii_alphanumeric(),
        "upper" => c.is_ascii_uppercase(),
        "lower" => c.is_ascii_lowercase(),
        "space" => c.is_ascii_whitespace() || c == '\x0b',
        "blank" => c == ' ' || c == '\t',
        "punct" => c.is_ascii_punctuation(),
        "xdigit" => c.is_ascii_hexdigit(),
        "cntrl" => c.is_ascii_control(),
        "print" => (' '..='~').contains(&c),
        "graph" => ('!'..='~').contains(&c),
        _ => false,
    }
}

/// One constraint on a value: it must (or, negated, must not) match a pattern.
#[derive(Debug, Clone, Copy)]
pub struct Constraint<'a> {
    pub pattern: &'a str,
    pub negated: bool,
}

/// Whether some value is likely to satisfy every constraint at once. Exact
/// when a positive constraint is literal; otherwise it tries a few witness
/// strings (every printable ASCII character, the literal skeleton of each
/// pattern, a string no pattern names) and answers `false` only when none
/// fits, which is what `[2345]` against `[!2345]` needs. Used to keep
/// warnings quiet, so an unsure answer is `false` ("disjoint").
pub fn can_overlap(constraints: &[Constraint<'_>]) -> bool {
    let fits = |w: &str| {
        constraints
            .iter()
            .all(|c| fnmatch(c.pattern, w) != c.negated)
    };
    let positives: Vec<&str> = constraints
        .iter()
        .filter(|c| !c.negated)
        .map(|c| c.pattern)
        .collect();
    if let Some(lit) = positives.iter().find_map(|p| literal_text(p)) {
        return fits(&lit);
    }
    let mut witnesses: Vec<String> = (0x20u8..0x7f).map(|b| char::from(b).to_string()).collect();
    witnesses.extend(constraints.iter().map(|c| skeleton(c.pattern)));
    witnesses.push("upc-witness-0".to_owned());
    witnesses.push(String::new());
    witnesses.iter().any(|w| fits(w))
}

/// A string the pattern matches when its wildcards take their simplest
/// value: `*` empty, `?` and brackets their first allowed printable character.
fn skeleton(pattern: &str) -> String {
    let p: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while let Some(&c) = p.get(i) {
        match c {
            '*' => i += 1,
            '?' => {
                out.push('a');
                i += 1;
            }
            '\\' => {
                out.push(p.get(i + 1).copied().unwrap_or('\\'));
                i += 2;
            }
            '[' => {
                let pick = (0x20u8..0x7f).map(char::from).find_map(|ch| {
                    bracket(&p, i + 1, ch)
                        .filter(|(m, _)| *m)
                        .map(|(_, next)| (ch, next))
                });
                match pick {
                    Some((ch, next)) => {
                        out.push(ch);
                        i = next;
                    }
                    None => {
                        out.push('[');
                        i += 1;
                    }
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The compiler's matcher must answer exactly as the runtime's
        /// (upc-bundle's, byte-wise as PID 1 in the C locale) on ASCII,
        /// or upc would judge events the runtime matches differently.
        #[test]
        fn agrees_with_the_runtime_matcher(
            pattern in "[a-c*?\\\\\\[\\]!^:-]{0,8}",
            text in "[a-c*?\\\\\\[\\]!^:-]{0,8}",
        ) {
            prop_assert_eq!(
                fnmatch(&pattern, &text),
                upc_bundle::glob::fnmatch(pattern.as_bytes(), text.as_bytes()),
                "pattern {:?} text {:?}", pattern, text
            );
        }
    }

    use super::*;

    #[test]
    fn fnmatch_basics() {
        assert!(fnmatch("foo", "foo"));
        assert!(!fnmatch("foo", "foobar"));
        assert!(fnmatch("foo*", "foobar"));
        assert!(fnmatch("*", ""));
        assert!(fnmatch("*-device-added", "net-device-added"));
        assert!(!fnmatch("*-device-added", "net-device-removed"));
        assert!(fnmatch("a?c", "abc"));
        assert!(fnmatch("[2345]", "3"));
        assert!(!fnmatch("[2345]", "1"));
        assert!(fnmatch("[!2345]", "1"));
        assert!(fnmatch("[^2345]", "S"));
        assert!(!fnmatch("[!2345]", "23"));
        assert!(fnmatch("[a-c]x", "bx"));
        assert!(fnmatch("[]]", "]"));
        assert!(fnmatch("[[:digit:]]*", "2a"));
        assert!(fnmatch("\\*", "*"));
        assert!(!fnmatch("\\*", "a"));
        assert!(fnmatch("[abc", "[abc"));
        assert!(fnmatch("/dev/*", "/dev/sda/1"));
        assert!(fnmatch("*a*b*c*", "xxaxxbxxcxx"));
        assert!(!fnmatch("*a*b*c*", "xxaxxcxxbxx"));
    }

    #[test]
    fn fnmatch_is_not_exponential() {
        let text = "a".repeat(5000);
        let pattern = format!("{}b", "*a".repeat(50));
        assert!(!fnmatch(&pattern, &text));
    }

    #[test]
    fn overlap_of_runlevel_classes() {
        let c = |pattern, negated| Constraint { pattern, negated };
        assert!(!can_overlap(&[c("[2345]", false), c("[2345]", true)]));
        assert!(!can_overlap(&[c("[2345]", false), c("[016]", false)]));
        assert!(can_overlap(&[c("[2345]", false), c("[016]", true)]));
        assert!(!can_overlap(&[c("[2345]", false), c("[!016]", true)]));
        assert!(can_overlap(&[c("eth0", false), c("eth*", false)]));
        assert!(!can_overlap(&[c("eth0", false), c("eth1", false)]));
        assert!(can_overlap(&[c("lo", true)]));
        assert!(!can_overlap(&[c("lo", false), c("lo", true)]));
    }
}
