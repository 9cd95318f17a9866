//! Upstart's variable expansion (`environ_expand`, runtime-semantics.md
//! §10): of event-match patterns (`stop on ... KEY=$VAR`) and instance
//! names at run time, and, through [`expand_with`], of the compiler's
//! checks that predict them (`start on` values expand in an empty
//! environment, missing variables). There is no second copy.
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

/// Why an expansion failed, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandError {
    /// Byte offset in the text of the `$` that starts the reference that
    /// failed (the innermost one, for nested references).
    pub at: usize,
    pub reason: Reason,
}

/// What went wrong in an expansion; [`ExpandError`]'s `Display` gives
/// Upstart's message for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// `Unknown parameter: NAME`: `$NAME` or `${NAME}` with `NAME` unset.
    UnknownParameter(String),
    /// `Expected operator`: `${NAME` followed by something other than
    /// `}`, `-`, `+`, `:-` or `:+`.
    ExpectedOperator,
    /// `Mismatched braces`: a `${` never closed.
    MismatchedBraces,
    /// `Illegal parameter`: a name part that does not expand to a variable
    /// name (`${a b}`); the expanded name part.
    IllegalParameter(String),
    /// `${` nested deeper than
    /// [`MAX_EXPANSION_DEPTH`](crate::limits::MAX_EXPANSION_DEPTH): a limit
    /// of this runtime (Upstart recurses without one), reported with
    /// Upstart's `Illegal parameter`.
    TooDeep,
}

impl std::fmt::Display for ExpandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.reason {
            Reason::UnknownParameter(name) => write!(f, "Unknown parameter: {name}"),
            Reason::ExpectedOperator => f.write_str("Expected operator"),
            Reason::MismatchedBraces => f.write_str("Mismatched braces"),
            Reason::IllegalParameter(_) | Reason::TooDeep => f.write_str("Illegal parameter"),
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
    expand_with(text, |name| {
        env.iter()
            .map(|e| split_entry(e.as_ref()))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    })
}

/// Expands `text` with `lookup` as the environment: it is asked for the
/// value of each variable the expansion needs (always a valid name), and
/// `None` means unset.
pub fn expand_with<V: AsRef<str>>(
    text: &str,
    lookup: impl Fn(&str) -> Option<V>,
) -> Result<String, ExpandError> {
    let mut s = Scanner {
        src: text.as_bytes(),
        pos: 0,
        lookup,
    };
    let out = s.until(b"", 0)?;
    // Every cut is at an ASCII byte and every value is a whole string, so
    // the result is UTF-8; if it somehow were not, keep what can be kept.
    Ok(String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// The C rule for a variable name, `[A-Za-z_][A-Za-z0-9_]*`: what Upstart
/// expands, and requires of `env`, `export` and `KEY=` names.
pub fn is_variable_name(name: &str) -> bool {
    !name.is_empty() && name_len(name.as_bytes()) == name.len()
}

/// The length of the variable name `text` starts with (0 if none).
pub fn name_len(text: &[u8]) -> usize {
    match text.first() {
        Some(b'A'..=b'Z' | b'a'..=b'z' | b'_') => text
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
            .unwrap_or(text.len()),
        _ => 0,
    }
}

struct Scanner<'a, L> {
    src: &'a [u8],
    pos: usize,
    lookup: L,
}

impl<L, V> Scanner<'_, L>
where
    L: Fn(&str) -> Option<V>,
    V: AsRef<str>,
{
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.pos + ahead).copied()
    }

    /// The value of a variable (named by valid-name bytes, so UTF-8).
    fn value(&self, name: &[u8]) -> Option<V> {
        std::str::from_utf8(name).ok().and_then(&self.lookup)
    }

    fn set(&self, name: &[u8], at: usize) -> Result<V, ExpandError> {
        self.value(name).ok_or_else(|| ExpandError {
            at,
            reason: Reason::UnknownParameter(String::from_utf8_lossy(name).into_owned()),
        })
    }

    /// Expands up to the first byte in `stop` (not consumed) or the end.
    fn until(&mut self, stop: &[u8], depth: usize) -> Result<Vec<u8>, ExpandError> {
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            if stop.contains(&c) {
                break;
            }
            let dollar = self.pos;
            self.pos += 1;
            if c != b'$' {
                out.push(c);
                continue;
            }
            match self.peek() {
                Some(b'A'..=b'Z' | b'a'..=b'z' | b'_') => {
                    let start = self.pos;
                    self.pos += name_len(self.src.get(start..).unwrap_or_default());
                    let name = self.src.get(start..self.pos).unwrap_or_default();
                    out.extend_from_slice(self.set(name, dollar)?.as_ref().as_bytes());
                }
                Some(b'{') if self.peek_at(1) == Some(b'}') => {
                    self.pos += 2;
                    out.push(b'$');
                }
                Some(b'{') => {
                    if depth >= MAX_EXPANSION_DEPTH {
                        return Err(ExpandError {
                            at: dollar,
                            reason: Reason::TooDeep,
                        });
                    }
                    self.pos += 1;
                    let value = self.braced(dollar, depth + 1)?;
                    out.extend_from_slice(&value);
                }
                _ => out.push(b'$'),
            }
        }
        Ok(out)
    }

    /// The rest of `${...}` (whose `$` is at `dollar`) after the `{`.
    fn braced(&mut self, dollar: usize, depth: usize) -> Result<Vec<u8>, ExpandError> {
        let fail = |reason| Err(ExpandError { at: dollar, reason });
        let name = self.until(b"}:-+", depth)?;
        if self.peek().is_none() {
            return fail(Reason::MismatchedBraces);
        }
        if name_len(&name) != name.len() || name.is_empty() {
            return fail(Reason::IllegalParameter(
                String::from_utf8_lossy(&name).into_owned(),
            ));
        }
        // (ignore_empty, is_default); None = plain reference.
        let op = match (self.peek(), self.peek_at(1)) {
            (Some(b':'), Some(b'-')) => Some((true, true)),
            (Some(b':'), Some(b'+')) => Some((true, false)),
            (Some(b'-'), _) => Some((false, true)),
            (Some(b'+'), _) => Some((false, false)),
            (Some(b'}') | None, _) => None,
            _ => return fail(Reason::ExpectedOperator),
        };
        if let Some((ignore_empty, _)) = op {
            self.pos += if ignore_empty { 2 } else { 1 };
        }
        let arg = self.until(b"}", depth)?;
        if self.peek() != Some(b'}') {
            return fail(Reason::MismatchedBraces);
        }
        self.pos += 1;
        Ok(match op {
            None => self.set(&name, dollar)?.as_ref().as_bytes().to_vec(),
            Some((ignore_empty, is_default)) => {
                let value = self.value(&name);
                let usable = value.filter(|v| !(ignore_empty && v.as_ref().is_empty()));
                match (usable, is_default) {
                    (Some(v), true) => v.as_ref().as_bytes().to_vec(),
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
    fn errors_say_why_and_where() {
        let err = |t: &str| try_expand(t, &ENV).err().map(|e| (e.at, e.reason));
        let unknown = |n: &str| Reason::UnknownParameter(n.to_owned());
        assert_eq!(err("this is a $WIBBLE test"), Some((10, unknown("WIBBLE"))));
        assert_eq!(err("x${WIBBLE}"), Some((1, unknown("WIBBLE"))));
        assert_eq!(err("${$WIBBLE:-$FOO}"), Some((2, unknown("WIBBLE"))));
        assert_eq!(err("${$FOO:-$WIBBLE}"), Some((8, unknown("WIBBLE"))));
        assert_eq!(
            err("${$FOO:!$BAR test"),
            Some((0, Reason::ExpectedOperator))
        );
        assert_eq!(
            err("${$FOO:-$BAR test"),
            Some((0, Reason::MismatchedBraces))
        );
        assert_eq!(err("a ${FOO"), Some((2, Reason::MismatchedBraces)));
        assert_eq!(
            err("${:-x}"),
            Some((0, Reason::IllegalParameter(String::new())))
        );
        assert_eq!(
            err("${a b}"),
            Some((0, Reason::IllegalParameter("a b".into())))
        );
    }

    #[test]
    fn a_lookup_function_is_the_environment() {
        let lookup = |name: &str| (name == "X").then(|| "eth0".to_owned());
        assert_eq!(
            expand_with("${X}:${Y:-lo}", lookup).as_deref(),
            Ok("eth0:lo")
        );
        let empty = |_: &str| None::<&str>;
        assert_eq!(expand_with("${}5", empty).as_deref(), Ok("$5"));
        assert_eq!(expand_with("${X+y}", empty).as_deref(), Ok(""));
        assert!(expand_with("[!$RUNLEVEL]", empty).is_err());
        assert!(expand_with("${X:-$Y}", empty).is_err());
    }

    #[test]
    fn variable_names_follow_the_c_rule() {
        assert!(is_variable_name("FOO") && is_variable_name("_x1"));
        assert!(!is_variable_name("") && !is_variable_name("1X"));
        assert!(!is_variable_name("A-B") && !is_variable_name("A.B"));
        assert!(!is_variable_name("É"));
        assert_eq!(name_len(b"FOO-x"), 3);
        assert_eq!(name_len(b"9a"), 0);
    }

    #[test]
    fn nesting_past_the_limit_fails_where_it_passes_the_limit() {
        let nested = |n: usize| format!("{}FOO{}", "${".repeat(n), "}".repeat(n));
        // `${${FOO}}` with FOO=frodo looks up `frodo`: unknown, but not
        // too deep.
        let at_limit = try_expand(&nested(MAX_EXPANSION_DEPTH), &ENV);
        assert!(matches!(
            at_limit.map_err(|e| e.reason),
            Err(Reason::UnknownParameter(_))
        ));
        let past = try_expand(&nested(MAX_EXPANSION_DEPTH + 1), &ENV);
        assert_eq!(
            past.map_err(|e| (e.at, e.reason)),
            Err((2 * MAX_EXPANSION_DEPTH, Reason::TooDeep))
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = "${".repeat(100_000);
        assert_eq!(expand(&deep, &ENV), None);
        let ok_depth = "${FOO}";
        assert_eq!(expand(ok_depth, &ENV).as_deref(), Some("frodo"));
    }
}
