//! From a process body to what exec(2) gets (runtime-semantics.md §11.1),
//! so the driver runs exactly what Upstart would.

use crate::types::{BodyKind, Spawn};

/// Characters that make Upstart hand an `exec` line to the shell.
const SHELL_CHARS: &str = "~`!$^&*()=|\\{}[];\"'<>?";

/// What to execute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// `argv[0]` is the program (looked up in the job's `PATH` when it has
    /// no slash).
    pub argv: Vec<String>,
    /// A multi-line script: write this into a pipe whose read end is the
    /// child's fd 9 (`/bin/sh -e /proc/self/fd/9` reads it), after the exec
    /// succeeded, then close the pipe.
    pub fd9_script: Option<String>,
}

impl Spawn {
    /// The command line or shell invocation for this process.
    pub fn command(&self) -> Command {
        command(self.body, &self.text)
    }
}

/// Whether an `exec` line goes through `/bin/sh -e -c` (it holds one of
/// Upstart's shell characters) rather than being split on blanks.
pub fn needs_shell(exec_line: &str) -> bool {
    exec_line.contains(|c| SHELL_CHARS.contains(c))
}

pub fn command(body: BodyKind, text: &str) -> Command {
    if body == BodyKind::Exec && !needs_shell(text) {
        return Command {
            argv: text
                .split([' ', '\t', '\r', '\n'])
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect(),
            fd9_script: None,
        };
    }
    let script = match body {
        BodyKind::Exec => format!("exec {text}"),
        BodyKind::Script => text.to_owned(),
    };
    let script = script.trim_end_matches('\n');
    let sh = |rest: &[&str]| {
        ["/bin/sh", "-e"]
            .iter()
            .chain(rest)
            .map(|s| s.to_string())
            .collect()
    };
    if !script.contains('\n') {
        Command {
            argv: sh(&["-c", script, "/bin/sh"]),
            fd9_script: None,
        }
    } else {
        Command {
            argv: sh(&["/proc/self/fd/9"]),
            fd9_script: Some(format!("exec 9<&-\n{script}\n")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(body: BodyKind, text: &str) -> Vec<String> {
        command(body, text).argv
    }

    #[test]
    fn a_plain_exec_line_is_split_and_run_directly() {
        assert_eq!(
            argv(BodyKind::Exec, "/sbin/getty  -8 38400\ttty1"),
            ["/sbin/getty", "-8", "38400", "tty1"]
        );
    }

    #[test]
    fn shell_characters_hand_an_exec_line_to_sh() {
        assert_eq!(
            argv(BodyKind::Exec, "/bin/daemon --pid=$PIDFILE"),
            [
                "/bin/sh",
                "-e",
                "-c",
                "exec /bin/daemon --pid=$PIDFILE",
                "/bin/sh"
            ]
        );
        for c in SHELL_CHARS.chars() {
            let a = argv(BodyKind::Exec, &format!("prog a{c}b"));
            assert_eq!(a.first().map(String::as_str), Some("/bin/sh"), "{c}");
        }
    }

    #[test]
    fn a_one_line_script_runs_with_c_and_loses_trailing_newlines() {
        assert_eq!(
            argv(BodyKind::Script, "echo hi\n\n"),
            ["/bin/sh", "-e", "-c", "echo hi", "/bin/sh"]
        );
    }

    #[test]
    fn a_longer_script_is_read_from_fd_9() {
        let c = command(BodyKind::Script, "a\nb\n");
        assert_eq!(c.argv, ["/bin/sh", "-e", "/proc/self/fd/9"]);
        assert_eq!(c.fd9_script.as_deref(), Some("exec 9<&-\na\nb\n"));
    }
}
