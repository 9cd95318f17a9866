//! Upstart's variable expansion (`environ_expand`, runtime-semantics.md §10),
//! for checks that need to know whether a reference can ever resolve.
//!
//! It follows the C scanner step by step: `$NAME`, `${}` (a literal `$`),
//! `${NAME}`, `${NAME-x}`, `${NAME:-x}`, `${NAME+x}`, `${NAME:+x}`, with the
//! name part and the argument expanded first (so nested references and an
//! unknown reference inside an unused default are errors, as in Upstart).
//! Substituted text is never rescanned. Pure: the environment is a lookup
//! function.

/// Why an expansion fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpandError {
    /// `$NAME` or `${NAME}` with `NAME` not in the environment.
    UnknownParameter(String),
    /// `${...}` whose name part does not expand to a variable name.
    IllegalParameter(String),
    /// `${NAME` followed by something other than `}`, `-`, `+`, `:-`, `:+`.
    ExpectedOperator,
    /// `${...` never closed.
    MismatchedBraces,
}

/// Expands `text` with `lookup` as the environment.
pub fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, ExpandError> {
    let mut scanner = Scanner {
        src: text.as_bytes(),
        pos: 0,
        lookup,
    };
    let out = scanner.until(b"")?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Whether `text` expands without error in an empty environment: the
/// situation of every `start on` value (job-language.md 7.4).
pub fn expand_empty(text: &str) -> Result<String, ExpandError> {
    expand(text, &|_| None)
}

/// The C rule for a variable name: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_variable_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b'A'..=b'Z' | b'a'..=b'z' | b'_'))
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

struct Scanner<'a> {
    src: &'a [u8],
    pos: usize,
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

enum Op {
    Value,
    Default { ignore_empty: bool },
    Alternate { ignore_empty: bool },
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.pos + ahead).copied()
    }

    /// Expands from `pos` up to the first byte in `stop` (left unconsumed)
    /// or the end of the text.
    fn until(&mut self, stop: &[u8]) -> Result<Vec<u8>, ExpandError> {
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            if stop.contains(&c) {
                break;
            }
            if c != b'$' {
                out.push(c);
                self.pos += 1;
                continue;
            }
            self.pos += 1;
            match self.peek() {
                Some(b'A'..=b'Z' | b'a'..=b'z' | b'_') => {
                    let start = self.pos;
                    while matches!(self.peek(), Some(b) if b.is_ascii_alphanumeric() || b == b'_') {
                        self.pos += 1;
                    }
                    let name =
                        String::from_utf8_lossy(self.src.get(start..self.pos).unwrap_or_default());
                    match (self.lookup)(&name) {
                        Some(v) => out.extend_from_slice(v.as_bytes()),
                        None => return Err(ExpandError::UnknownParameter(name.into_owned())),
                    }
                }
                Some(b'{') if self.peek_at(1) == Some(b'}') => {
                    self.pos += 2;
                    out.push(b'$');
                }
                Some(b'{') => {
                    self.pos += 1;
                    let value = self.braced()?;
                    out.extend_from_slice(value.as_bytes());
                }
                // A lone `$` stays literal.
                _ => out.push(b'$'),
            }
        }
        Ok(out)
    }

    /// The rest of a `${...}` reference after the `{`.
    fn braced(&mut self) -> Result<String, ExpandError> {
        let name_bytes = self.until(b"}:-+")?;
        let name = String::from_utf8_lossy(&name_bytes).into_owned();
        if !is_variable_name(&name) {
            return Err(ExpandError::IllegalParameter(name));
        }
        let op = match (self.peek(), self.peek_at(1)) {
            (Some(b':'), Some(b'-')) => {
                self.pos += 2;
                Op::Default { ignore_empty: true }
            }
            (Some(b':'), Some(b'+')) => {
                self.pos += 2;
                Op::Alternate { ignore_empty: true }
            }
            (Some(b'-'), _) => {
                self.pos += 1;
                Op::Default {
                    ignore_empty: false,
                }
            }
            (Some(b'+'), _) => {
                self.pos += 1;
                Op::Alternate {
                    ignore_empty: false,
                }
            }
            (Some(b'}') | None, _) => Op::Value,
            _ => return Err(ExpandError::ExpectedOperator),
        };
        let arg = self.until(b"}")?;
        if self.peek() != Some(b'}') {
            return Err(ExpandError::MismatchedBraces);
        }
        self.pos += 1;
        let arg = String::from_utf8_lossy(&arg).into_owned();
        let value = (self.lookup)(&name);
        let usable = |ignore_empty: bool| {
            value
                .as_ref()
                .filter(|v| !(ignore_empty && v.is_empty()))
                .cloned()
        };
        Ok(match op {
            Op::Value => match value {
                Some(v) => v,
                None => return Err(ExpandError::UnknownParameter(name)),
            },
            Op::Default { ignore_empty } => usable(ignore_empty).unwrap_or(arg),
            Op::Alternate { ignore_empty } => usable(ignore_empty).map(|_| arg).unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The checks' expansion must agree with the runtime's (upc-bundle,
        /// used for `stop on` patterns): same text when both succeed, and
        /// failing on the same inputs.
        #[test]
        fn agrees_with_the_runtime_expansion(text in "[$a-cA-C{}:+_ -]{0,12}") {
            let env = ["A=1", "B=", "C=x y"];
            let lookup = |name: &str| {
                env.iter().find_map(|e| e.split_once('=').filter(|(k, _)| *k == name).map(|(_, v)| v.to_owned()))
            };
            let ours = expand(&text, &lookup).ok();
            let runtime = upc_bundle::expand::expand(&text, &env);
            prop_assert_eq!(ours, runtime, "text {:?}", text);
        }
    }

    use super::*;

    /// The environment of Upstart's own expansion tests.
    fn env(name: &str) -> Option<String> {
        let table = [
            ("FOO", "frodo"),
            ("BAR", "bilbo"),
            ("BAZ", "xx"),
            ("HOBBIT", "FOO"),
            ("NULL", ""),
            ("DOH", "oops"),
        ];
        table
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_string())
    }

    fn ok(input: &str) -> String {
        match expand(input, &env) {
            Ok(s) => s,
            Err(e) => panic!("{input}: {e:?}"),
        }
    }

    #[test]
    fn upstart_expansion_vectors_expand_as_upstart_does() {
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
        assert_eq!(ok("$"), "$");
        assert_eq!(ok("[!$1]"), "[!$1]");
    }

    #[test]
    fn upstart_expansion_errors_are_reported() {
        let err = |s: &str| expand(s, &env).err();
        assert_eq!(
            err("this is a $WIBBLE test"),
            Some(ExpandError::UnknownParameter("WIBBLE".into()))
        );
        assert_eq!(
            err("${WIBBLE}"),
            Some(ExpandError::UnknownParameter("WIBBLE".into()))
        );
        assert_eq!(
            err("${$WIBBLE:-$FOO}"),
            Some(ExpandError::UnknownParameter("WIBBLE".into()))
        );
        assert_eq!(
            err("${$FOO:-$WIBBLE}"),
            Some(ExpandError::UnknownParameter("WIBBLE".into()))
        );
        assert_eq!(
            err("${$FOO:!$BAR test"),
            Some(ExpandError::ExpectedOperator)
        );
        assert_eq!(
            err("${$FOO:-$BAR test"),
            Some(ExpandError::MismatchedBraces)
        );
        assert_eq!(
            err("${:-x}"),
            Some(ExpandError::IllegalParameter(String::new()))
        );
        assert_eq!(err("${FOO"), Some(ExpandError::MismatchedBraces));
    }

    #[test]
    fn empty_environment_accepts_only_defaulted_references() {
        assert!(expand_empty("$RUNLEVEL").is_err());
        assert!(expand_empty("[!$RUNLEVEL]").is_err());
        assert!(expand_empty("${X}").is_err());
        assert_eq!(expand_empty("${X:-eth0}"), Ok("eth0".into()));
        assert_eq!(expand_empty("${X-eth0}"), Ok("eth0".into()));
        assert_eq!(expand_empty("${X+y}"), Ok(String::new()));
        assert_eq!(expand_empty("${}5"), Ok("$5".into()));
        assert!(expand_empty("${X:-$Y}").is_err());
    }

    #[test]
    fn variable_names_follow_the_c_rule() {
        assert!(is_variable_name("FOO"));
        assert!(is_variable_name("_x1"));
        assert!(!is_variable_name(""));
        assert!(!is_variable_name("1X"));
        assert!(!is_variable_name("A-B"));
        assert!(!is_variable_name("A.B"));
    }
}
