//! Just enough of `/bin/sh` to know whether a main process forks before the
//! daemon runs, which decides whether `expect fork`/`expect daemon` follow
//! the right process (W0014).
//!
//! This is a heuristic reading of shell text, not a shell parser: it knows
//! quotes, comments, `;`/`&&`/`||`, pipelines, `&`, command substitutions,
//! the compound-command keywords, assignments, case labels and dash's
//! builtins. When unsure it says "forks" only for a command word it does not
//! know, so the common, correct pattern (`. /etc/default/x` and `[ ... ]`
//! tests, then `exec DAEMON`) is never flagged.

/// The characters that make Upstart run an `exec` line through a shell
/// (job-language.md 6.1, runtime-semantics.md 11.1).
const SHELL_CHARS: &[u8] = b"~`!$^&*()=|\\{}[];\"'<>?";

/// Whether Upstart runs this `exec` command line through `/bin/sh -e -c`.
pub fn needs_shell(cmd: &str) -> bool {
    cmd.bytes().any(|b| SHELL_CHARS.contains(&b))
}

/// What makes `/bin/sh -c "exec CMD"` fork before (or instead of) replacing
/// itself with the command, if anything: a pipeline, a background `&`, or a
/// command substitution. `;`, `&&` and `||` do not fork: `exec` has already
/// replaced the shell by then.
pub fn exec_forks(cmd: &str) -> Option<&'static str> {
    if !needs_shell(cmd) {
        return None;
    }
    match scan_line(cmd) {
        Line::Forks(what) => Some(what),
        Line::Commands(_) => None,
    }
}

/// Whether `exec_forks` finds a fork (kept for callers that only need yes/no).
pub fn shell_forks(cmd: &str) -> bool {
    exec_forks(cmd).is_some()
}

/// What in a `script` body makes its shell fork, if anything: a fork
/// construct, or the first command that is not a builtin (named in
/// backquotes). Lines are read one by one after joining `\` continuations.
pub fn script_forks(text: &str) -> Option<String> {
    let joined = text.replace("\\\n", " ");
    for line in joined.lines() {
        match scan_line(line) {
            Line::Forks(what) => return Some(what.to_string()),
            Line::Commands(commands) => {
                if let Some(cmd) = commands.iter().find_map(|words| external_command(words)) {
                    return Some(format!("`{cmd}`"));
                }
            }
        }
    }
    None
}

/// dash's builtins and the commands that never leave the shell.
const BUILTINS: &[&str] = &[
    ".", ":", "[", "alias", "break", "cd", "command", "continue", "echo", "eval", "exec", "exit",
    "export", "false", "getopts", "hash", "local", "printf", "pwd", "read", "readonly", "return",
    "set", "shift", "test", "times", "trap", "true", "type", "ulimit", "umask", "unalias", "unset",
    "wait",
];

/// Words that introduce or end compound commands; the command proper
/// follows them.
const KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "esac", "!", "{", "}",
];

/// The first word of a simple command that runs as a separate program.
fn external_command(words: &[String]) -> Option<&str> {
    let mut rest = words.iter().map(String::as_str).peekable();
    while let Some(&w) = rest.peek() {
        // `for x in ...` and `case x in` run nothing themselves.
        if w == "for" || w == "case" {
            return None;
        }
        if KEYWORDS.contains(&w) || is_assignment(w) || w.ends_with(')') {
            rest.next();
            continue;
        }
        break;
    }
    let first = rest.next()?;
    // `name () {` defines a function.
    if rest.peek() == Some(&"()") || BUILTINS.contains(&first) || first.starts_with(['<', '>']) {
        return None;
    }
    Some(first)
}

/// `NAME=value` before a command (or alone).
fn is_assignment(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, _)) => upc_bundle::expand::is_variable_name(name),
        None => false,
    }
}

enum Line {
    /// The simple commands of the line, as words (quotes removed).
    Commands(Vec<Vec<String>>),
    /// A construct that always forks.
    Forks(&'static str),
}

/// Splits one line into simple commands, or finds a fork construct.
fn scan_line(line: &str) -> Line {
    let b = line.as_bytes();
    let at = |i: usize| b.get(i).copied();
    let mut commands: Vec<Vec<String>> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word: Vec<u8> = Vec::new();
    let mut in_word = false;
    let mut quote: Option<u8> = None;
    let mut i = 0;
    let end_word = |words: &mut Vec<String>, word: &mut Vec<u8>, in_word: &mut bool| {
        if *in_word {
            words.push(String::from_utf8_lossy(word).into_owned());
            word.clear();
            *in_word = false;
        }
    };
    while let Some(c) = at(i) {
        match (quote, c) {
            (Some(b'\''), b'\'') | (Some(b'"'), b'"') => quote = None,
            (Some(b'\''), _) => word.push(c),
            (_, b'`') => return Line::Forks("a command substitution"),
            (_, b'$') if at(i + 1) == Some(b'(') && at(i + 2) != Some(b'(') => {
                return Line::Forks("a command substitution");
            }
            (_, b'\\') => {
                i += 1;
                if let Some(n) = at(i) {
                    word.push(n);
                }
                in_word = true;
            }
            (Some(_), _) => word.push(c),
            (None, b'\'' | b'"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, b'#') if !in_word => break,
            (None, b' ' | b'\t' | b'\r') => end_word(&mut words, &mut word, &mut in_word),
            (None, b';') => {
                end_word(&mut words, &mut word, &mut in_word);
                commands.push(std::mem::take(&mut words));
            }
            (None, b'&') if at(i + 1) == Some(b'&') => {
                end_word(&mut words, &mut word, &mut in_word);
                commands.push(std::mem::take(&mut words));
                i += 1;
            }
            // `>&2`, `2<&0`: a redirection, part of the word.
            (None, b'&') if i > 0 && matches!(at(i - 1), Some(b'>' | b'<')) => word.push(c),
            (None, b'&') => return Line::Forks("a background job (`&`)"),
            (None, b'|') if at(i + 1) == Some(b'|') => {
                end_word(&mut words, &mut word, &mut in_word);
                commands.push(std::mem::take(&mut words));
                i += 1;
            }
            // `>|` (clobber) and `a|b)` case patterns are not pipelines.
            (None, b'|') if (i > 0 && at(i - 1) == Some(b'>')) || case_pattern(b, i) => {
                word.push(c);
                in_word = true;
            }
            (None, b'|') => return Line::Forks("a pipeline"),
            (None, b'(') if !in_word && words.is_empty() => {
                return Line::Forks("a subshell");
            }
            (None, _) => {
                word.push(c);
                in_word = true;
            }
        }
        i += 1;
    }
    end_word(&mut words, &mut word, &mut in_word);
    commands.push(words);
    Line::Commands(commands)
}

/// Whether the `|` at `i` is inside a case pattern (`start|restart)`): the
/// word it is in ends with `)` before any blank.
fn case_pattern(b: &[u8], i: usize) -> bool {
    let rest = b.get(i..).unwrap_or_default();
    let word_end = rest
        .iter()
        .position(|c| matches!(c, b' ' | b'\t' | b';'))
        .unwrap_or(rest.len());
    rest.get(..word_end).is_some_and(|w| w.contains(&b')'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_commands_and_redirections_do_not_fork_the_shell() {
        assert!(!shell_forks("/usr/sbin/sshd -D"));
        assert!(!shell_forks("/usr/bin/foo --config=/etc/foo.conf"));
        assert!(!shell_forks("\"$DAEMON\" -p \"$PREFIX\" $ARGS"));
        assert!(!shell_forks(
            "/usr/bin/jacc --cmd push > /var/log/x.log 2>&1"
        ));
        assert!(!shell_forks("foo >| /tmp/out"));
        assert!(!shell_forks("foo || bar"));
        assert!(!shell_forks("foo && bar"));
        assert!(!shell_forks("foo; bar"));
        assert!(!shell_forks("su -c \"a | b & c\" user"));
        assert!(!shell_forks("foo '$(bar)' 'x|y'"));
        assert!(!shell_forks("foo \\| bar"));
        assert!(!shell_forks("foo $((1 + 2))"));
    }

    #[test]
    fn pipelines_background_jobs_and_substitutions_fork_the_shell() {
        assert_eq!(exec_forks("foo | logger"), Some("a pipeline"));
        assert_eq!(exec_forks("foo &"), Some("a background job (`&`)"));
        assert_eq!(
            exec_forks("foo --pid=$(cat /run/x)"),
            Some("a command substitution")
        );
        assert!(shell_forks("foo \"$(hostname)\""));
        assert!(shell_forks("foo `hostname`"));
        assert!(shell_forks("foo &> /dev/null"));
    }

    #[test]
    fn shell_characters_are_upstarts_list() {
        assert!(!needs_shell("/sbin/daemon -d --flag"));
        assert!(needs_shell("/sbin/daemon -d \"foo\""));
        assert!(needs_shell("a=b"));
        assert!(needs_shell("~/bin/x"));
        assert!(!needs_shell("/bin/x -a +b %c @d ,e .f"));
    }

    #[test]
    fn scripts_with_only_builtins_before_exec_do_not_fork() {
        let cookbook = "test -f /etc/default/x && . /etc/default/x\n\
                        [ \"$ENABLED\" != \"0\" ] || exit 0\n\
                        if [ -r /etc/default/locale ]; then\n    . /etc/default/locale\n    export LANG\nfi\n\
                        opts=\"-D\"\n# a comment | with & things\n\
                        exec avahi-daemon ${opts} 2>&1\n";
        assert_eq!(script_forks(cookbook), None);
        let case = "case \"$1\" in\n  start|restart) exec foo ;;\n  *) exit 1 ;;\nesac\n";
        assert_eq!(script_forks(case), None);
        assert_eq!(
            script_forks("for i in a b; do echo $i; done\nexec d\n"),
            None
        );
        assert_eq!(script_forks("f() {\n  echo x\n}\nexec d\n"), None);
        assert_eq!(
            script_forks("exec foo \\\n  --bar | baz\n"),
            Some("a pipeline".into())
        );
    }

    #[test]
    fn scripts_that_run_programs_fork() {
        assert_eq!(
            script_forks("mkdir -p /run/x\nexec d\n"),
            Some("`mkdir`".into())
        );
        assert_eq!(
            script_forks("[ -d /run/x ] || mkdir /run/x\nexec d\n"),
            Some("`mkdir`".into())
        );
        assert_eq!(
            script_forks("[ -s x ] || { stop; exit 0; }\n"),
            Some("`stop`".into())
        );
        assert_eq!(
            script_forks("/usr/sbin/daemon --fork\n"),
            Some("`/usr/sbin/daemon`".into())
        );
        assert_eq!(
            script_forks("PID=$(cat /run/x)\nexec d\n"),
            Some("a command substitution".into())
        );
        assert_eq!(
            script_forks("(cd /x && exec d)\n"),
            Some("a subshell".into())
        );
    }
}
