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
//! This reads the shell the way `upstart-job`-style scripts are written; it
//! is not a shell parser and never claims to be one. It must never panic,
//! whatever the text.

use upc_machine::Millis;

use super::model::{Step, Verb, Whom};

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

/// The text as simple commands (lists of words), separators removed.
fn commands(text: &str, env: &[String]) -> Vec<Vec<Word>> {
    let mut lexer = Lexer {
        chars: text.chars().collect(),
        i: 0,
        env,
        heredocs: Vec::new(),
        delimiter_next: None,
    };
    let mut out = Vec::new();
    let mut current = Vec::new();
    while let Some(token) = lexer.next_token() {
        match token {
            Token::Word(w) => current.push(w),
            Token::Separator => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

enum Token {
    Word(Word),
    /// Newline, `;`, `&`, `|` and their doubles.
    Separator,
}

struct Lexer<'a> {
    chars: Vec<char>,
    i: usize,
    env: &'a [String],
    /// Here-document delimiters announced on the current line, and
    /// whether leading tabs are stripped (`<<-`).
    heredocs: Vec<(String, bool)>,
    /// A bare `<<` or `<<-` was read: the next word is a delimiter.
    delimiter_next: Option<bool>,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    /// The characters from here on while `keep` holds (none consumed past
    /// them).
    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek().filter(|&c| keep(c)) {
            out.push(c);
            self.i += 1;
        }
        out
    }

    fn next_token(&mut self) -> Option<Token> {
        loop {
            let c = self.peek()?;
            match c {
                ' ' | '\t' | '\r' => self.i += 1,
                '\\' if self.chars.get(self.i + 1) == Some(&'\n') => self.i += 2,
                '#' => {
                    self.take_while(|c| c != '\n');
                }
                '\n' => {
                    self.i += 1;
                    self.skip_heredocs();
                    return Some(Token::Separator);
                }
                ';' | '&' | '|' => {
                    while self.peek().is_some_and(|c| matches!(c, ';' | '&' | '|')) {
                        self.i += 1;
                    }
                    return Some(Token::Separator);
                }
                _ => return Some(Token::Word(self.word())),
            }
        }
    }

    /// Skips the bodies of the here-documents announced on the line just
    /// ended.
    fn skip_heredocs(&mut self) {
        for (delimiter, strip_tabs) in std::mem::take(&mut self.heredocs) {
            while self.i < self.chars.len() {
                let line = self.take_while(|c| c != '\n');
                self.i += 1;
                let line = if strip_tabs {
                    line.trim_start_matches('\t')
                } else {
                    &line
                };
                if line == delimiter {
                    break;
                }
            }
        }
    }

    fn word(&mut self) -> Word {
        let mut w = Word {
            text: String::new(),
            opaque: false,
        };
        let mut double = false;
        while let Some(c) = self.peek() {
            if !double && matches!(c, ' ' | '\t' | '\r' | '\n' | ';' | '&' | '|') {
                break;
            }
            self.i += 1;
            match c {
                '"' => double = !double,
                '\'' if !double => {
                    while let Some(c) = self.peek() {
                        self.i += 1;
                        if c == '\'' {
                            break;
                        }
                        w.text.push(c);
                    }
                }
                '\\' => {
                    if let Some(next) = self.peek() {
                        self.i += 1;
                        if next != '\n' {
                            w.text.push(next);
                        }
                    }
                }
                '`' => {
                    w.opaque = true;
                    self.take_while(|c| c != '`');
                    self.i += 1;
                }
                '$' => self.dollar(&mut w),
                _ => w.text.push(c),
            }
        }
        if let Some(strip) = self.delimiter_next.take() {
            self.heredocs.push((w.text.clone(), strip));
        } else if let Some(rest) = w.text.strip_prefix("<<") {
            let (strip, delimiter) = match rest.strip_prefix('-') {
                Some(d) => (true, d),
                None => (false, rest),
            };
            if delimiter.is_empty() {
                // `<< EOF`: the delimiter is the next word.
                self.delimiter_next = Some(strip);
            } else {
                self.heredocs.push((delimiter.to_owned(), strip));
            }
        }
        w
    }

    /// `$NAME`, `${NAME}`, `${NAME:-default}`, `$(...)`, `$1`, ...
    fn dollar(&mut self, w: &mut Word) {
        match self.peek() {
            Some('(') => {
                w.opaque = true;
                let mut depth = 0usize;
                while let Some(c) = self.peek() {
                    self.i += 1;
                    match c {
                        '(' => depth += 1,
                        ')' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            }
            Some('{') => {
                self.i += 1;
                let inner = self.take_while(|c| c != '}');
                self.i += 1;
                self.braced(&inner, w);
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let name = self.take_while(|c| c.is_ascii_alphanumeric() || c == '_');
                w.text.push_str(self.lookup(&name).unwrap_or(""));
            }
            Some(c) if c.is_ascii_digit() || "@*#?$!-".contains(c) => {
                self.i += 1;
                w.opaque = true;
            }
            _ => w.text.push('$'),
        }
    }

    /// The inside of `${...}`: a name, optionally with `-`, `:-`, `=`,
    /// `:=` and a default; any other operator makes the word opaque.
    fn braced(&self, inner: &str, w: &mut Word) {
        let end = inner
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(inner.len());
        let (name, op) = inner.split_at(end);
        let value = self.lookup(name);
        let default = op
            .strip_prefix(":-")
            .or_else(|| op.strip_prefix(":="))
            .map(|d| (d, true))
            .or_else(|| {
                op.strip_prefix('-')
                    .or_else(|| op.strip_prefix('='))
                    .map(|d| (d, false))
            });
        match (op.is_empty(), default) {
            (true, _) => w.text.push_str(value.unwrap_or("")),
            (false, Some((d, colon))) => {
                let unset = value.is_none() || (colon && value == Some(""));
                w.text.push_str(if unset { d } else { value.unwrap_or("") });
            }
            (false, None) => w.opaque = true,
        }
    }

    fn lookup(&self, name: &str) -> Option<&str> {
        self.env.iter().find_map(|e| {
            e.split_once('=')
                .filter(|(k, _)| *k == name)
                .map(|(_, v)| v)
        })
    }
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
