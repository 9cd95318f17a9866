//! Whether a main process's shell forks before the daemon runs, which
//! decides whether `expect fork`/`expect daemon` follow the right process
//! (W0014).
//!
//! A fork is a pipeline, a background `&`, a command substitution, a
//! subshell, or (in a script) a command that is not one of dash's builtins.
//! `;`, `&&` and `||` do not fork: after `exec` the shell is gone. When
//! unsure it says "forks" only for a command word it does not know, so the
//! common, correct pattern (`. /etc/default/x` and `[ ... ]` tests, then
//! `exec DAEMON`) is never flagged.

use super::{assignment, tokens, Nest, Op, Part, Token, Word, KEYWORDS};

/// Whether Upstart runs this `exec` command line through `/bin/sh -e -c`
/// (upinit's own rule, runtime-semantics.md 11.1).
pub fn needs_shell(cmd: &str) -> bool {
    upc_machine::command::needs_shell(cmd)
}

/// What makes `/bin/sh -c "exec CMD"` fork before (or instead of) replacing
/// itself with the command, if anything: a pipeline, a background `&`, a
/// command substitution or a subshell.
pub fn exec_forks(cmd: &str) -> Option<&'static str> {
    if !needs_shell(cmd) {
        return None;
    }
    match first_fork(cmd, false) {
        Some(Fork::Construct(what)) => Some(what),
        Some(Fork::Command(_)) | None => None,
    }
}

/// What in a `script` body makes its shell fork first, if anything: a fork
/// construct, or the first command that is not a builtin (named in
/// backquotes).
pub fn script_forks(text: &str) -> Option<String> {
    match first_fork(text, true)? {
        Fork::Construct(what) => Some(what.to_owned()),
        Fork::Command(name) => Some(format!("`{name}`")),
    }
}

/// The one program a `script` body runs, when it is also the script's
/// last command and runs in the foreground without `exec` (W0027): the
/// shell forks for it and waits, so that fork is the first one `expect
/// fork`/`daemon` counts. `None` when something else forks first (that is
/// W0014's), when more than one program runs, or when the program is not
/// the last command.
pub fn foreground_command(text: &str) -> Option<String> {
    if !matches!(first_fork(text, true), Some(Fork::Command(_))) {
        return None;
    }
    let mut commands: Vec<Vec<Word>> = Vec::new();
    let mut words: Vec<Word> = Vec::new();
    let mut depth = 0usize;
    for token in tokens(text) {
        match token {
            Token::Open(..) => depth += 1,
            Token::Close(_) => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            // A here-document may feed a shell: leave it to W0014.
            Token::HereDoc { .. } => return None,
            Token::Word(w) => words.push(w),
            Token::Op(..) => {
                if !words.is_empty() {
                    commands.push(std::mem::take(&mut words));
                }
            }
        }
    }
    if !words.is_empty() {
        commands.push(words);
    }
    let mut programs = commands
        .iter()
        .enumerate()
        .filter_map(|(i, c)| external_command(c, text).map(|name| (i, name)));
    let (at, name) = programs.next()?;
    (programs.next().is_none() && at + 1 == commands.len()).then_some(name)
}

enum Fork {
    Construct(&'static str),
    Command(String),
}

const SUBSTITUTION: &str = "a command substitution";

/// How many shells-in-here-documents deep [`first_fork`] follows a script
/// (each level reads the rest of the text again, so an unbounded chain of
/// unterminated `exec sh <<E` lines would cost its square).
const NESTED_SHELLS: usize = 4;

/// The first fork of the text, in reading order; commands count only when
/// `commands` is set (an `exec` line's command replaces the shell). A
/// script that ends in `exec /bin/bash <<EOF` goes on in the here-document,
/// which bash reads as its script: that is read next, up to
/// [`NESTED_SHELLS`] deep.
fn first_fork(text: &str, commands: bool) -> Option<Fork> {
    let mut text = text;
    let mut nested = 0;
    'texts: loop {
        let mut words: Vec<Word> = Vec::new();
        // Inside a substitution nothing counts again: it forks as a whole.
        let mut depth = 0usize;
        // The last command was `exec SHELL`, which reads a here-document.
        let mut shell_next = false;
        for token in tokens(text) {
            match token {
                Token::Open(Nest::Command, _) if depth == 0 => {
                    return Some(Fork::Construct(SUBSTITUTION));
                }
                Token::Open(..) => depth += 1,
                Token::Close(_) => depth = depth.saturating_sub(1),
                _ if depth > 0 => {}
                Token::HereDoc {
                    body, substitution, ..
                } => {
                    if let (true, Some(script)) = (shell_next, text.get(body.0..body.1)) {
                        if nested < NESTED_SHELLS {
                            nested += 1;
                            text = script;
                            continue 'texts;
                        }
                    }
                    if substitution {
                        return Some(Fork::Construct(SUBSTITUTION));
                    }
                }
                Token::Word(w) => {
                    // A substitution the word holds with no tokens of its
                    // own (in a `${X:-$(cmd)}` default).
                    if w.has_substitution() {
                        return Some(Fork::Construct(SUBSTITUTION));
                    }
                    words.push(w);
                }
                Token::Op(op, _) => {
                    let fork = match op {
                        Op::Pipe => Some("a pipeline"),
                        Op::Amp => Some("a background job (`&`)"),
                        Op::LParen if words.is_empty() => Some("a subshell"),
                        _ => None,
                    };
                    if let Some(what) = fork {
                        return Some(Fork::Construct(what));
                    }
                    if matches!(op, Op::LParen | Op::PatternEnd) {
                        // `name() {` defines a function, `a|b)` labels a
                        // `case` item: neither runs anything.
                        words.clear();
                        continue;
                    }
                    if commands {
                        if let Some(name) = external_command(&words, text) {
                            return Some(Fork::Command(name));
                        }
                        shell_next = execs_a_shell(&words);
                    }
                    words.clear();
                }
            }
        }
        return if commands {
            external_command(&words, text).map(Fork::Command)
        } else {
            None
        };
    }
}

/// `exec sh`, `exec /bin/bash -e` and the like.
fn execs_a_shell(words: &[Word]) -> bool {
    let mut rest = words.iter().filter_map(Word::literal);
    if rest.next().as_deref() != Some("exec") {
        return false;
    }
    let Some(program) = rest.next() else {
        return false;
    };
    let name = program.rsplit('/').next().unwrap_or("");
    matches!(
        name,
        "sh" | "bash" | "dash" | "ash" | "ksh" | "mksh" | "zsh"
    ) && rest.all(|w| w.starts_with('-'))
}

/// dash's builtins and the commands that never leave the shell.
const BUILTINS: &[&str] = &[
    ".", ":", "[", "alias", "break", "cd", "command", "continue", "echo", "eval", "exec", "exit",
    "export", "false", "getopts", "hash", "local", "printf", "pwd", "read", "readonly", "return",
    "set", "shift", "test", "times", "trap", "true", "type", "ulimit", "umask", "unalias", "unset",
    "wait",
];

/// The first word of a simple command that runs as a separate program.
fn external_command(words: &[Word], text: &str) -> Option<String> {
    let mut rest = words.iter().peekable();
    while let Some(w) = rest.peek() {
        // `for x in ...` and `case x in` run nothing themselves.
        if w.is("for") || w.is("case") {
            return None;
        }
        let raw = text.get(w.start..w.end).unwrap_or("");
        if KEYWORDS.iter().any(|k| w.is(k)) || assignment(raw).is_some() {
            rest.next();
            continue;
        }
        break;
    }
    let first = rest.next()?;
    // A substitution already counted; a command named by a variable
    // (`$DAEMON -t`) is taken to be a program, named as written.
    if first.parts.iter().any(|p| matches!(p, Part::Nested(_))) {
        return None;
    }
    let name = first
        .literal()
        .unwrap_or_else(|| text.get(first.start..first.end).unwrap_or("").to_owned());
    if BUILTINS.contains(&name.as_str()) || name.starts_with(['<', '>']) || name.is_empty() {
        return None;
    }
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell_forks(cmd: &str) -> bool {
        exec_forks(cmd).is_some()
    }

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
        assert!(shell_forks("foo -i \"${id:-$(hostname)}\""));
        assert!(!shell_forks("foo -i \"${id:-$((1 + 2))}\""));
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
        // A here-document's body is data, not commands.
        assert_eq!(
            script_forks("cat <<EOF > /dev/null\na | b & c\nEOF\n"),
            Some("`cat`".into())
        );
        assert_eq!(script_forks(": <<EOF\na | b\nEOF\nexec d\n"), None);
        // ...unless a shell reads it as its script.
        assert_eq!(
            script_forks("exec /bin/bash <<'EOT'\n  cd /x\n  logger hi\n  exec d\nEOT\n"),
            Some("`logger`".into())
        );
        assert_eq!(
            script_forks("exec sh -e <<EOT\nexec sh <<EOU\n. /etc/x\nexec d\nEOU\nEOT\n"),
            None
        );
    }

    #[test]
    fn a_last_program_run_without_exec_is_a_foreground_command() {
        assert_eq!(
            foreground_command("/usr/sbin/daemon -n\n"),
            Some("/usr/sbin/daemon".into())
        );
        assert_eq!(
            foreground_command(". /etc/default/d\n[ -x /usr/sbin/d ] && /usr/sbin/d $OPTS\n"),
            Some("/usr/sbin/d".into())
        );
        // `exec` replaces the shell: nothing to count.
        assert_eq!(
            foreground_command(". /etc/default/d\nexec /usr/sbin/d\n"),
            None
        );
        // Not the last command, more than one program, a fork before it,
        // a background job: W0014's (or nobody's) business.
        assert_eq!(foreground_command("/usr/sbin/d\necho done\n"), None);
        assert_eq!(foreground_command("mkdir -p /run/d\n/usr/sbin/d\n"), None);
        assert_eq!(foreground_command("x=$(cat /f)\n/usr/sbin/d\n"), None);
        assert_eq!(foreground_command("/usr/sbin/d &\n"), None);
        assert_eq!(foreground_command("/usr/sbin/d | logger\n"), None);
        assert_eq!(
            foreground_command("if true; then\n  /usr/sbin/d\nfi\n"),
            None
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
            script_forks("$DAEMON -t\nexec $DAEMON\n"),
            Some("`$DAEMON`".into())
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
