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
    /// The value's name in `--help` (`PATH`), `None` for a flag.
    pub value: Option<&'static str>,
    pub opt: Opt,
    /// What it does, for `--help`.
    pub help: &'static str,
}

const fn spec(
    short: Option<char>,
    long: &'static str,
    value: Option<&'static str>,
    opt: Opt,
    help: &'static str,
) -> OptSpec {
    OptSpec {
        short,
        long,
        value,
        opt,
        help,
    }
}

/// The options every program takes, anywhere on the line.
pub const GLOBAL: &[OptSpec] = &[
    spec(
        Some('q'),
        "quiet",
        None,
        Opt::Quiet,
        "reduce output to errors only",
    ),
    spec(
        Some('v'),
        "verbose",
        None,
        Opt::Verbose,
        "accepted for compatibility",
    ),
    spec(
        None,
        "socket",
        Some("PATH"),
        Opt::Socket,
        "the init's control socket",
    ),
    spec(
        None,
        "system",
        None,
        Opt::System,
        "talk to the system init (/run/upinit.sock)",
    ),
    spec(
        None,
        "user",
        None,
        Opt::User,
        "talk to the session init ($XDG_RUNTIME_DIR/upinit.sock)",
    ),
    spec(None, "help", None, Opt::Help, "display this help and exit"),
    spec(
        None,
        "version",
        None,
        Opt::Version,
        "output version information and exit",
    ),
    spec(None, "session", None, Opt::Session, ""),
    spec(None, "dest", Some("NAME"), Opt::Dest, ""),
];

pub const NO_WAIT: &[OptSpec] = &[spec(
    Some('n'),
    "no-wait",
    None,
    Opt::NoWait,
    "do not wait for the job or event to finish",
)];
pub const JSON: &[OptSpec] = &[spec(
    None,
    "json",
    None,
    Opt::Json,
    "print one JSON object per instance",
)];
const GLOBAL_TABLE: OptSpec = spec(
    Some('g'),
    "global",
    None,
    Opt::Global,
    "use the global job environment, even inside a job",
);
pub const GLOBAL_ENV: &[OptSpec] = &[GLOBAL_TABLE];
pub const SET_ENV: &[OptSpec] = &[
    GLOBAL_TABLE,
    spec(
        Some('r'),
        "retain",
        None,
        Opt::Retain,
        "keep a variable's value if it is already set",
    ),
];
pub const TELINIT: &[OptSpec] = &[spec(
    Some('e'),
    "env",
    Some("KEY=VALUE"),
    Opt::Env,
    "add a variable to the runlevel event",
)];
const FORCE_SPEC: OptSpec = spec(
    Some('f'),
    "force",
    None,
    Opt::Force,
    "do not stop the jobs first",
);
pub const FORCE: &[OptSpec] = &[FORCE_SPEC];
pub const HALT: &[OptSpec] = &[
    FORCE_SPEC,
    spec(
        Some('p'),
        "poweroff",
        None,
        Opt::Poweroff,
        "power off instead of halting",
    ),
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
            if spec.value.is_some() {
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
            return Some(match (spec.value.is_some(), inline) {
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
