//! What the graph checks need to know about event-argument patterns.
//!
//! Whether a pattern matches a value is the runtime's question, answered by
//! the runtime's own `fnmatch` ([`upc_bundle::glob`], byte for byte as
//! glibc in PID 1's C locale): [`fnmatch`] only adapts it to `&str`. What
//! lives here is analysis the runtime never needs: the one string a literal
//! pattern matches ([`literal_text`]), and whether some value can satisfy
//! several patterns at once ([`can_overlap`]).

use upc_bundle::glob;

/// `fnmatch(pattern, text, 0) == 0`, as upinit evaluates it.
pub fn fnmatch(pattern: &str, text: &str) -> bool {
    glob::fnmatch(pattern.as_bytes(), text.as_bytes())
}

/// The text a literal pattern matches (backslashes removed), if the pattern
/// has no wildcard and so matches exactly one string. A pattern ending in
/// a lone backslash matches nothing and has none.
pub fn literal_text(pattern: &str) -> Option<String> {
    if pattern.contains(['*', '?', '[']) {
        return None;
    }
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push(chars.next()?);
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// One constraint on a value: it must (or, negated, must not) match a pattern.
#[derive(Debug, Clone, Copy)]
pub struct Constraint<'a> {
    pub pattern: &'a str,
    pub negated: bool,
}

/// Whether some value is likely to satisfy every constraint at once. Exact
/// when a positive constraint is literal; otherwise it tries a few witness
/// strings (every printable ASCII character, the simplest string each
/// pattern matches, a string no pattern names) and answers `false` only
/// when none fits, which is what `[2345]` against `[!2345]` needs. Used to
/// keep warnings quiet, so an unsure answer is `false` ("disjoint").
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
    witnesses.extend(constraints.iter().filter_map(|c| skeleton(c.pattern)));
    witnesses.push("upc-witness-0".to_owned());
    witnesses.push(String::new());
    witnesses.iter().any(|w| fits(w))
}

/// Bytes in the order a witness prefers them: letters and digits, the
/// rest of printable ASCII, then everything else.
fn preferred_bytes() -> impl Iterator<Item = u8> {
    (b'a'..=b'z')
        .chain(b'A'..=b'Z')
        .chain(b'0'..=b'9')
        .chain((0x20u8..0x7f).filter(|b| !b.is_ascii_alphanumeric()))
        .chain((0x00u8..0x20).chain(0x7f..=0xff))
}

/// A string the pattern matches when its wildcards take their simplest
/// value: `*` empty, every other element the first byte (in
/// [`preferred_bytes`] order) the runtime's matcher admits there. `None`
/// when some element admits no byte or the result is not UTF-8.
fn skeleton(pattern: &str) -> Option<String> {
    let p = pattern.as_bytes();
    let mut out = Vec::with_capacity(p.len());
    let mut i = 0;
    while let Some(&c) = p.get(i) {
        if c == b'*' {
            i += 1;
            continue;
        }
        let (byte, next) = preferred_bytes().find_map(|b| glob::step(p, i, b).map(|n| (b, n)))?;
        out.push(byte);
        i = next;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_patterns_have_their_text() {
        assert_eq!(literal_text("eth0").as_deref(), Some("eth0"));
        assert_eq!(literal_text("a\\-b").as_deref(), Some("a-b"));
        assert_eq!(literal_text("eth*"), None);
        assert_eq!(literal_text("[2345]"), None);
        // A trailing backslash never matches, so there is no text.
        assert_eq!(literal_text("x\\"), None);
        assert!(!fnmatch("x\\", "x\\"));
    }

    #[test]
    fn skeletons_are_strings_the_pattern_matches() {
        for p in [
            "eth*",
            "[2345]",
            "[!2345]",
            "a?c",
            "[[:digit:]]x",
            "\\*",
            "[abc",
            "[x[:foo:]]",
            "é?",
        ] {
            let s = skeleton(p);
            assert!(s.as_deref().is_some_and(|s| fnmatch(p, s)), "{p}: {s:?}");
        }
        // An unknown class reached first matches nothing.
        assert_eq!(skeleton("[[:foo:]x]"), None);
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
