//! Upstart's variable expansion (`environ_expand`, runtime-semantics.md
//! §10) of event-match patterns, for `stop on ... KEY=$VAR`.
//!
//! `$NAME`, `${}` (a literal `$`), `${NAME}`, `${NAME-x}`, `${NAME:-x}`,
//! `${NAME+x}`, `${NAME:+x}`; the name part and the argument are expanded
//! before use (so nested references work and an unknown reference inside an
//! unused default is still an error); substituted text is not rescanned; a
//! `$` followed by anything else stays literal. Any error yields `None`,
//! which the matcher treats as "no match", as Upstart does. Nesting of
//! `${` deeper than [`MAX_EXPANSION_DEPTH`](crate::limits::MAX_EXPANSION_DEPTH)
//! is an error too, so the recursion is bounded whatever the pattern.

use crate::entry::split_entry;
use crate::limits::MAX_EXPANSION_DEPTH;

/// Why an expansion failed; `Display` gives Upstart's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpandError {
    /// `Unknown parameter: NAME`.
    UnknownParameter(String),
    /// `Expected operator`.
    ExpectedOperator,
    /// `Mismatched braces`.
    MismatchedBraces,
    /// A name part that is not a variable name (`${a b}`), or nesting
    /// deeper than the limit.
    IllegalParameter,
}

impl std::fmt::Display for ExpandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExpandError::UnknownParameter(name) => write!(f, "Unknown parameter: {name}"),
            ExpandError::ExpectedOperator => f.write_str("Expected operator"),
            ExpandError::MismatchedBraces => f.write_str("Mismatched braces"),
            ExpandError::IllegalParameter => f.write_str("Illegal parameter"),
        }
    }
}

impl std::error::Error for ExpandError {}

/// Expands `text` against `env` (`KEY=VALUE` entries; the first entry with
/// a key wins); `None` on any error.
pub fn expand<V: AsRef<str>>(text: &str, env: &[V]) -> Option<String> {
    try_expand(text, env).ok()
}

/// [`expand`] with the reason for a failure.
pub fn try_expand<V: AsRef<str>>(text: &str, env: &[V]) -> Result<String, ExpandError> {
    let lookup = |name: &[u8]| {
        env.iter()
            .map(|e| split_entry(e.as_ref()))
            .find(|(k, _)| k.as_bytes() == name)
            .map(|(_, v)| v.as_bytes())
    };
    let mut s = Scanner {
        src: text.as_bytes(),
        pos: 0,
        lookup: &lookup,
    };
    let out = s.until(b"", 0)?;
    // Only whole UTF-8 sequences are copied or substituted.
    String::from_utf8(out).map_err(|_| ExpandError::IllegalParameter)
}

struct Scanner<'a> {
    src: &'a [u8],
    pos: usize,
    lookup: &'a dyn Fn(&[u8]) -> Option<&'a [u8]>,
}

fn is_name(name: &[u8]) -> bool {
    matches!(name.first(), Some(b'A'..=b'Z' | b'a'..=b'z' | b'_'))
        && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.pos + ahead).copied()
    }

    /// Expands up to the first byte in `stop` (not consumed) or the end.
    fn lookup(&self, name: &[u8]) -> Result<&'a [u8], ExpandError> {
        (self.lookup)(name).ok_or_else(|| {
            ExpandError::UnknownParameter(String::from_utf8_lossy(name).into_owned())
        })
    }

    fn until(&mut self, stop: &[u8], depth: usize) -> Result<Vec<u8>, ExpandError> {
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            if stop.contains(&c) {
                break;
            }
            self.pos += 1;
            if c != b'$' {
                out.push(c);
                continue;
            }
            match self.peek() {
                Some(b'A'..=b'Z' | b'a'..=b'z' | b'_') => {
                    let start = self.pos;
                    while matches!(self.peek(), Some(b) if b.is_ascii_alphanumeric() || b == b'_') {
                        self.pos += 1;
                    }
                    let name = self.src.get(start..self.pos).unwrap_or_default();
                    out.extend_from_slice(self.lookup(name)?);
                }
                Some(b'{') if self.peek_at(1) == Some(b'}') => {
                    self.pos += 2;
                    out.push(b'$');
                }
                Some(b'{') => {
                    if depth >= MAX_EXPANSION_DEPTH {
                        return Err(ExpandError::IllegalParameter);
                    }
                    self.pos += 1;
                    let value = self.braced(depth + 1)?;
                    out.extend_from_slice(&value);
                }
                _ => out.push(b'$'),
            }
        }
        Ok(out)
    }

    /// The rest of `${...}` after the `{`.
    fn braced(&mut self, depth: usize) -> Result<Vec<u8>, ExpandError> {
        let name = self.until(b"}:-+", depth)?;
        if self.peek().is_none() {
            return Err(ExpandError::MismatchedBraces);
        }
        if !is_name(&name) {
            return Err(ExpandError::IllegalParameter);
        }
        // (ignore_empty, is_default); None = plain reference.
        let op = match (self.peek(), self.peek_at(1)) {
            (Some(b':'), Some(b'-')) => Some((true, true)),
            (Some(b':'), Some(b'+')) => Some((true, false)),
            (Some(b'-'), _) => Some((false, true)),
            (Some(b'+'), _) => Some((false, false)),
            (Some(b'}') | None, _) => None,
            _ => return Err(ExpandError::ExpectedOperator),
        };
        if let Some((ignore_empty, _)) = op {
            self.pos += if ignore_empty { 2 } else { 1 };
        }
        let arg = self.until(b"}", depth)?;
        if self.peek() != Some(b'}') {
            return Err(ExpandError::MismatchedBraces);
        }
        self.pos += 1;
        let value = (self.lookup)(&name);
        Ok(match op {
            None => self.lookup(&name)?.to_vec(),
            Some((ignore_empty, is_default)) => {
                let usable = value.filter(|v| !(ignore_empty && v.is_empty()));
                match (usable, is_default) {
                    (Some(v), true) => v.to_vec(),
                    (None, true) => arg,
                    (Some(_), false) => arg,
                    (None, false) => Vec::new(),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENV: [&str; 6] = [
        "FOO=frodo",
        "BAR=bilbo",
        "BAZ=xx",
        "HOBBIT=FOO",
        "NULL=",
        "DOH=oops",
    ];

    fn ok(input: &str) -> String {
        expand(input, &ENV).unwrap_or_else(|| format!("<error: {input}>"))
    }

    #[test]
    fn upstart_vectors() {
        assert_eq!(ok("this is a $FOO test"), "this is a frodo test");
        assert_eq!(ok("test $FOO $BAR$BAZ"), "test frodo bilboxx");
        assert_eq!(ok("${BAR}${FOO}test${BAZ}"), "bilbofrodotestxx");
        assert_eq!(ok("${$HOBBIT} baggins"), "frodo baggins");
        assert_eq!(ok("${${HOBBIT}} baggins"), "frodo baggins");
        assert_eq!(ok("${MEEP-a }test"), "a test");
        assert_eq!(ok("${BAZ-a }test"), "xxtest");
        assert_eq!(ok("${NULL-a }test"), "test");
        assert_eq!(ok("${MEEP:-a }test"), "a test");
        assert_eq!(ok("${BAZ:-a }test"), "xxtest");
        assert_eq!(ok("${NULL:-a }test"), "a test");
        assert_eq!(ok("${MEEP+good }test"), "test");
        assert_eq!(ok("${BAZ+good }test"), "good test");
        assert_eq!(ok("${NULL+good }test"), "good test");
        assert_eq!(ok("${MEEP:+good }test"), "test");
        assert_eq!(ok("${BAZ:+good }test"), "good test");
        assert_eq!(ok("${NULL:+good }test"), "test");
        assert_eq!(ok("${$BAZ:-${$HOBBIT}}test"), "frodotest");
        assert_eq!(ok("this is a $ test"), "this is a $ test");
        assert_eq!(ok("${}test"), "$test");
        assert_eq!(ok("[!$1]"), "[!$1]");
        for bad in [
            "this is a $WIBBLE test",
            "${WIBBLE}",
            "${$WIBBLE:-$FOO}",
            "${$FOO:-$WIBBLE}",
            "${$FOO:!$BAR test",
            "${$FOO:-$BAR test",
        ] {
            assert_eq!(expand(bad, &ENV), None, "{bad}");
        }
    }

    #[test]
    fn errors_carry_upstarts_messages() {
        let msg = |t: &str| try_expand(t, &ENV).map_err(|e| e.to_string());
        assert_eq!(msg("$TIPPLE"), Err("Unknown parameter: TIPPLE".into()));
        assert_eq!(msg("${$FOO:!$BAR test"), Err("Expected operator".into()));
        assert_eq!(msg("${$FOO:-$BAR test"), Err("Mismatched braces".into()));
        assert_eq!(msg("${FOO"), Err("Mismatched braces".into()));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = "${".repeat(100_000);
        assert_eq!(expand(&deep, &ENV), None);
        let ok_depth = "${FOO}";
        assert_eq!(expand(ok_depth, &ENV).as_deref(), Some("frodo"));
    }
}
