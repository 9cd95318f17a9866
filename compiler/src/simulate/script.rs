//! What a job's own `script` or `exec` line asks of init, as far as a
//! simulation can tell without running it: `initctl emit`, `start`, `stop`,
//! `restart` (bare or as `initctl` subcommands), `telinit N` and the
//! `sleep`s between them.
//!
//! Only commands at the top level of the script count. What is inside an
//! `if`, `case`, loop or function depends on the machine the script runs
//! on, so it is skipped; so is a command whose words need a command
//! substitution or a positional parameter. `$NAME`, `${NAME}` and
//! `${NAME:-default}` are expanded against the process's environment, an
//! unset name to nothing, as the shell does. A top-level `exit` ends the
//! scan. Everything else (assignments, `echo`, `mount`, ...) takes no
//! simulated time.
//!
//! The words and operators come from [`crate::shell`]'s lexer, the one the
//! checks read scripts with; this module only decides what they do. It is
//! not a shell interpreter and never claims to be one. It must never panic,
//! whatever the text.

use upc_machine::Millis;

use super::model::{Step, Verb, Whom};
use crate::shell::{self, Part, RefOp, Token};

/// One word after quote removal and expansion; `opaque` when part of it
/// cannot be known without running the script.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Word {
    text: String,
    opaque: bool,
}

/// The steps the text performs, in order.
pub fn effects(text: &str, env: &[String]) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut depth = 0usize;
    for command in commands(text, env) {
        let mut words: &[Word] = &command;
        while let Some((first, rest)) = words.split_first() {
            if matches!(
                first.text.as_str(),
                "then" | "do" | "else" | "!" | "exec" | "time"
            ) {
                words = rest;
            } else {
                break;
            }
        }
        let Some(first) = words.first() else {
            continue;
        };
        match first.text.as_str() {
            "if" | "case" | "for" | "while" | "until" | "select" | "{" => depth += 1,
            "fi" | "esac" | "done" | "}" => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            _ if words.iter().any(|w| w.opaque) => {}
            "exit" => break,
            _ => steps.extend(effect(words)),
        }
        // `name() {` opens a function body on the same line.
        if first.text.ends_with("()") && words.get(1).is_some_and(|w| w.text == "{") {
            depth += 1;
        }
    }
    // A sleep with nothing after it only delays the process's end, which
    // its behaviour decides.
    while matches!(steps.last(), Some(Step::Sleep(_))) {
        steps.pop();
    }
    steps
}

/// The step of one top-level simple command, if it is one that matters.
fn effect(words: &[Word]) -> Option<Step> {
    let words: Vec<&str> = words
        .iter()
        .map(|w| w.text.as_str())
        .filter(|w| !is_redirection(w))
        .collect();
    let (command, args) = words.split_first()?;
    match *command {
        "initctl" => {
            let mut args = args.iter().skip_while(|a| a.starts_with('-'));
            let sub = *args.next()?;
            let rest: Vec<&str> = args.copied().collect();
            match sub {
                "emit" => emit(&rest),
                _ => job_request(sub, &rest),
            }
        }
        "start" | "stop" | "restart" => job_request(command, args),
        "telinit" => {
            let level = args.iter().find(|a| !a.starts_with('-'))?;
            Some(Step::Telinit((*level).to_owned()))
        }
        "sleep" => sleep_ms(args.first()?).map(Step::Sleep),
        _ => None,
    }
}

fn is_redirection(word: &str) -> bool {
    let bare = word.trim_start_matches(|c: char| c.is_ascii_digit());
    bare.starts_with('>') || bare.starts_with('<')
}

/// Splits `--no-wait`/`-n` and other options from the words.
fn options<'a>(args: &[&'a str]) -> (bool, Vec<&'a str>) {
    let wait = !args.iter().any(|a| matches!(*a, "--no-wait" | "-n"));
    let words = args
        .iter()
        .copied()
        .filter(|a| !a.starts_with('-'))
        .collect();
    (wait, words)
}

fn key_values(words: &[&str]) -> Vec<String> {
    words
        .iter()
        .filter(|w| w.split_once('=').is_some_and(|(k, _)| !k.is_empty()))
        .map(|w| (*w).to_owned())
        .collect()
}

fn emit(args: &[&str]) -> Option<Step> {
    let (wait, words) = options(args);
    let (name, rest) = words.split_first()?;
    Some(Step::Emit {
        name: (*name).to_owned(),
        env: key_values(rest),
        wait,
    })
}

fn job_request(verb: &str, args: &[&str]) -> Option<Step> {
    let verb = match verb {
        "start" => Verb::Start,
        "stop" => Verb::Stop,
        "restart" => Verb::Restart,
        _ => return None,
    };
    let (wait, words) = options(args);
    match words.split_first() {
        Some((job, rest)) if !job.contains('=') => Some(Step::Job {
            verb,
            whom: Whom::Job((*job).to_owned()),
            env: key_values(rest),
            wait,
        }),
        // No job named: the script's own instance (initctl reads
        // UPSTART_JOB and UPSTART_INSTANCE), which never waits.
        _ => Some(Step::Job {
            verb,
            whom: Whom::Own,
            env: Vec::new(),
            wait: false,
        }),
    }
}

/// `sleep 20`, `sleep 0.5`, `sleep 2m` (GNU suffixes s, m, h, d).
fn sleep_ms(arg: &str) -> Option<Millis> {
    let (number, unit) = match arg.char_indices().last()? {
        (i, 's') => (arg.get(..i)?, 1_000.0),
        (i, 'm') => (arg.get(..i)?, 60_000.0),
        (i, 'h') => (arg.get(..i)?, 3_600_000.0),
        (i, 'd') => (arg.get(..i)?, 86_400_000.0),
        _ => (arg, 1_000.0),
    };
    let value: f64 = number.parse().ok()?;
    let ms = (value * unit).round();
    // Bounded well inside u64 and never negative or NaN.
    (ms.is_finite() && (0.0..1e15).contains(&ms)).then_some(ms as Millis)
}

/// The text as simple commands (lists of words), separators removed;
/// what runs inside a command substitution is not the script's own.
fn commands(text: &str, env: &[String]) -> Vec<Vec<Word>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    let mut depth = 0usize;
    for token in shell::tokens(text) {
        match token {
            Token::Open(..) => depth += 1,
            Token::Close(_) => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            Token::Word(w) => current.push(expand(&w, env)),
            Token::Op(..) => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            Token::HereDoc { .. } => {}
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A word with `$NAME`, `${NAME}` and `${NAME:-default}` (`-`, `=`, `:=`
/// too; the default as written) expanded against `env`, an unset name to
/// nothing, as the shell does; opaque when it needs a command
/// substitution, a positional parameter or another operator.
fn expand(w: &shell::Word, env: &[String]) -> Word {
    let lookup = |name: &str| {
        env.iter().find_map(|e| {
            e.split_once('=')
                .filter(|(k, _)| *k == name)
                .map(|(_, v)| v)
        })
    };
    let mut out = Word {
        text: String::new(),
        opaque: false,
    };
    for part in &w.parts {
        match part {
            Part::Text(t) => out.text.push_str(t),
            Part::Ref(r) => match &r.op {
                RefOp::Value => out.text.push_str(lookup(&r.name).unwrap_or("")),
                RefOp::Default { colon, arg } | RefOp::Assign { colon, arg } => {
                    let value = lookup(&r.name);
                    let unset = value.is_none() || (*colon && value == Some(""));
                    out.text
                        .push_str(if unset { arg } else { value.unwrap_or("") });
                    out.opaque |= w.has_substitution();
                }
                RefOp::Test | RefOp::Transform | RefOp::Other => out.opaque = true,
            },
            Part::Param | Part::Nested(_) => out.opaque = true,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, env: &[&str], expect: &[&str]) {
        let env: Vec<String> = env.iter().map(|e| (*e).to_owned()).collect();
        let got: Vec<String> = effects(text, &env).iter().map(Step::to_string).collect();
        assert_eq!(got, expect, "effects of:\n{text}");
    }

    #[test]
    fn top_level_emits_and_requests_in_order() {
        check(
            "mount -a\ninitctl emit --no-wait local-filesystems\n\
             initctl emit mounted MOUNTPOINT=/run TYPE=tmpfs\nexec initctl emit --no-wait filesystem\n",
            &[],
            &[
                "emit --no-wait local-filesystems",
                "emit mounted MOUNTPOINT=/run TYPE=tmpfs",
                "emit --no-wait filesystem",
            ],
        );
        check(
            "start --no-wait rc-sysinit FROM_SINGLE_USER_MODE=y\nstop\ninitctl restart web",
            &[],
            &[
                "start --no-wait rc-sysinit FROM_SINGLE_USER_MODE=y",
                "stop --no-wait",
                "restart web",
            ],
        );
    }

    #[test]
    fn branches_loops_and_functions_are_skipped() {
        check(
            "say() {\n  initctl emit a\n}\nif [ -n \"$x\" ]; then\n  initctl emit b\n  exit 0\nfi\n\
             for I in $(ls); do initctl emit c; done\ncase \"$R\" in\n 0|1) start w ;;\nesac\n\
             initctl emit d || true\n",
            &[],
            &["emit d"],
        );
    }

    #[test]
    fn variables_come_from_the_environment() {
        check(
            "telinit \"${DEFAULT_RUNLEVEL}\"\ninitctl emit x A=$A B=${B:-b} C=\"$C\"",
            &["DEFAULT_RUNLEVEL=2", "A=1"],
            &["telinit 2", "emit x A=1 B=b C="],
        );
        check(
            "initctl emit $(cat /etc/x)\ninitctl emit y",
            &[],
            &["emit y"],
        );
    }

    #[test]
    fn sleeps_comments_heredocs_and_exit() {
        check(
            "sleep 20 # wait\ncat <<EOF\ninitctl emit no\nEOF\nsleep 0.5\nsleep 2m\nstop\nsleep 1\nexit 0\ninitctl emit never",
            &[],
            &["sleep 20", "sleep 0.5", "sleep 120", "stop --no-wait"],
        );
        check(
            "cat << 'EOF' > /x\ninitctl emit no\nEOF\ncat <<- END\n\tstart no\n\tEND\ninitctl emit yes",
            &[],
            &["emit yes"],
        );
    }

    #[test]
    fn nonsense_is_harmless() {
        for text in [
            "${",
            "$(",
            "'",
            "\"",
            "<<",
            "\\",
            "}}}} fi done",
            "sleep -1",
            "sleep 1e400",
        ] {
            let _ = effects(text, &[]);
        }
    }
}
