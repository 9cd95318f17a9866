//! libnih's option grammar, as initctl reads its command line: `-x`
//! (bundled `-xy`), `-xVALUE` or `-x VALUE`, `--long`, `--long=VALUE` or
//! `--long VALUE`, `--` ending the options, and `-` alone an argument.
//! Options and arguments may be mixed; which options are known depends on
//! where the scanner is (before the command only the global ones).

use std::collections::VecDeque;

/// Every option any program of upctl's knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opt {
    Quiet,
    Verbose,
    Help,
    Version,
    System,
    User,
    Socket,
    /// initctl's D-Bus options, refused as unsupported.
    Session,
    Dest,
    NoWait,
    Json,
    Global,
    Retain,
    /// telinit's `-e KEY=VALUE`.
    Env,
    Force,
    Poweroff,
}

pub struct OptSpec {
    pub short: Option<char>,
    pub long: &'static str,
    pub takes_value: bool,
    pub opt: Opt,
}

const fn spec(short: Option<char>, long: &'static str, takes_value: bool, opt: Opt) -> OptSpec {
    OptSpec {
        short,
        long,
        takes_value,
        opt,
    }
}

/// The options every program takes, anywhere on the line.
pub const GLOBAL: &[OptSpec] = &[
    spec(Some('q'), "quiet", false, Opt::Quiet),
    spec(Some('v'), "verbose", false, Opt::Verbose),
    spec(None, "help", false, Opt::Help),
    spec(None, "version", false, Opt::Version),
    spec(None, "system", false, Opt::System),
    spec(None, "user", false, Opt::User),
    spec(None, "socket", true, Opt::Socket),
    spec(None, "session", false, Opt::Session),
    spec(None, "dest", true, Opt::Dest),
];

pub const NO_WAIT: &[OptSpec] = &[spec(Some('n'), "no-wait", false, Opt::NoWait)];
pub const JSON: &[OptSpec] = &[spec(None, "json", false, Opt::Json)];
pub const GLOBAL_ENV: &[OptSpec] = &[spec(Some('g'), "global", false, Opt::Global)];
pub const SET_ENV: &[OptSpec] = &[
    spec(Some('g'), "global", false, Opt::Global),
    spec(Some('r'), "retain", false, Opt::Retain),
];
pub const TELINIT: &[OptSpec] = &[spec(Some('e'), "env", true, Opt::Env)];
pub const FORCE: &[OptSpec] = &[spec(Some('f'), "force", false, Opt::Force)];
pub const HALT: &[OptSpec] = &[
    spec(Some('f'), "force", false, Opt::Force),
    spec(Some('p'), "poweroff", false, Opt::Poweroff),
];
pub const NONE: &[OptSpec] = &[];

/// One item of the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Opt(Opt, Option<String>),
    Arg(String),
}

/// Reads the command line item by item with the option tables in force.
pub struct Scanner {
    args: VecDeque<String>,
    /// The rest of a bundle of short options (`-nq` after `-n`).
    bundle: Option<(String, usize)>,
    options_done: bool,
}

impl Scanner {
    pub fn new(args: Vec<String>) -> Scanner {
        Scanner {
            args: args.into(),
            bundle: None,
            options_done: false,
        }
    }

    /// The next item, an error text (libnih's) for an unknown option or a
    /// missing or unexpected value; `None` at the end.
    pub fn next(&mut self, tables: &[&[OptSpec]]) -> Option<Result<Item, String>> {
        let find_short = |c: char| {
            tables
                .iter()
                .flat_map(|t| t.iter())
                .find(|s| s.short == Some(c))
        };
        if let Some((text, at)) = self.bundle.take() {
            let rest = text.get(at..).unwrap_or_default();
            let Some(c) = rest.chars().next() else {
                return self.next(tables);
            };
            let after = at + c.len_utf8();
            let Some(spec) = find_short(c) else {
                return Some(Err(format!("invalid option: -{c}")));
            };
            if spec.takes_value {
                let inline = text.get(after..).unwrap_or_default();
                let value = if inline.is_empty() {
                    match self.args.pop_front() {
                        Some(v) => v,
                        None => return Some(Err(format!("missing argument: -{c}"))),
                    }
                } else {
                    inline.to_owned()
                };
                return Some(Ok(Item::Opt(spec.opt, Some(value))));
            }
            if after < text.len() {
                self.bundle = Some((text, after));
            }
            return Some(Ok(Item::Opt(spec.opt, None)));
        }
        let arg = self.args.pop_front()?;
        if self.options_done || arg == "-" || !arg.starts_with('-') {
            return Some(Ok(Item::Arg(arg)));
        }
        if arg == "--" {
            self.options_done = true;
            return self.next(tables);
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (long, None),
            };
            let Some(spec) = tables
                .iter()
                .flat_map(|t| t.iter())
                .find(|s| s.long == name)
            else {
                return Some(Err(format!("invalid option: --{name}")));
            };
            return Some(match (spec.takes_value, inline) {
                (true, Some(v)) => Ok(Item::Opt(spec.opt, Some(v))),
                (true, None) => match self.args.pop_front() {
                    Some(v) => Ok(Item::Opt(spec.opt, Some(v))),
                    None => Err(format!("missing argument: --{name}")),
                },
                (false, Some(_)) => Err(format!("unexpected argument: {arg}")),
                (false, None) => Ok(Item::Opt(spec.opt, None)),
            });
        }
        self.bundle = Some((arg, 1));
        self.next(tables)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn scan(args: &[&str], tables: &[&[OptSpec]]) -> Vec<Result<Item, String>> {
        let mut s = Scanner::new(args.iter().map(|a| (*a).to_owned()).collect());
        let mut out = Vec::new();
        while let Some(item) = s.next(tables) {
            let stop = item.is_err();
            out.push(item);
            if stop {
                break;
            }
        }
        out
    }

    fn arg(a: &str) -> Result<Item, String> {
        Ok(Item::Arg(a.to_owned()))
    }

    #[test]
    fn options_and_arguments_mix_and_double_dash_ends_options() {
        assert_eq!(
            scan(&["foo", "-nq", "A=1", "--", "-n", "-"], &[GLOBAL, NO_WAIT]),
            [
                arg("foo"),
                Ok(Item::Opt(Opt::NoWait, None)),
                Ok(Item::Opt(Opt::Quiet, None)),
                arg("A=1"),
                arg("-n"),
                arg("-"),
            ]
        );
    }

    #[test]
    fn values_come_inline_or_from_the_next_argument() {
        assert_eq!(
            scan(
                &["--socket=/a", "--socket", "/b", "-eX=1", "-e", "Y=2"],
                &[GLOBAL, TELINIT]
            ),
            [
                Ok(Item::Opt(Opt::Socket, Some("/a".into()))),
                Ok(Item::Opt(Opt::Socket, Some("/b".into()))),
                Ok(Item::Opt(Opt::Env, Some("X=1".into()))),
                Ok(Item::Opt(Opt::Env, Some("Y=2".into()))),
            ]
        );
    }

    #[test]
    fn unknown_options_and_bad_values_get_libnihs_words() {
        assert_eq!(scan(&["-x"], &[GLOBAL]), [Err("invalid option: -x".into())]);
        assert_eq!(
            scan(&["-qx"], &[GLOBAL]),
            [
                Ok(Item::Opt(Opt::Quiet, None)),
                Err("invalid option: -x".into())
            ]
        );
        assert_eq!(
            scan(&["--frob=1"], &[GLOBAL]),
            [Err("invalid option: --frob".into())]
        );
        assert_eq!(
            scan(&["--socket"], &[GLOBAL]),
            [Err("missing argument: --socket".into())]
        );
        assert_eq!(
            scan(&["--quiet=yes"], &[GLOBAL]),
            [Err("unexpected argument: --quiet=yes".into())]
        );
        // A command's option is unknown where only the global ones apply.
        assert_eq!(scan(&["-n"], &[GLOBAL]), [Err("invalid option: -n".into())]);
    }
}
