//! The stanza documentation: one table read by hover, completion and
//! `upc explain STANZA`, so the three never disagree.
//!
//! The text is upc's own summary of job-language.md section 6 (Upstart
//! 1.13's behaviour); every keyword the lexer accepts at the start of a
//! stanza has an entry (a unit test checks it).

/// One stanza (or stanza family: `pre-start` covers its `exec` and
/// `script` forms).
#[derive(Debug)]
pub struct StanzaDoc {
    /// As written, with its second keyword (`start on`, `kill timeout`).
    pub name: &'static str,
    /// The argument syntax.
    pub syntax: &'static str,
    /// One line, for completion lists.
    pub summary: &'static str,
    /// What it does, in a few sentences.
    pub details: &'static str,
    /// What a job without it gets.
    pub default: &'static str,
    /// The completion snippet (LSP snippet syntax).
    pub snippet: &'static str,
}

impl StanzaDoc {
    /// The entry as Markdown (hover, `upc explain`).
    pub fn markdown(&self) -> String {
        format!(
            "```upstart\n{}\n```\n{}\n\n{}\n\n*Default:* {}",
            self.syntax, self.summary, self.details, self.default
        )
    }
}

/// One value of a closed set (`expect fork`, `console log`).
#[derive(Debug)]
pub struct ValueDoc {
    pub value: &'static str,
    pub summary: &'static str,
}

/// Every stanza, in the order completion lists them (the common first).
pub fn stanzas() -> &'static [StanzaDoc] {
    STANZAS
}

/// The entry for a stanza name (`start on`, `start`, `pre-start exec`,
/// `kill`), if there is one. A hook's `exec`/`script` form finds the hook.
pub fn stanza(name: &str) -> Option<&'static StanzaDoc> {
    let name = name.trim();
    let words: Vec<&str> = name.split_whitespace().collect();
    let joined = words.join(" ");
    STANZAS.iter().find(|s| s.name == joined).or_else(|| {
        let first = words.first()?;
        STANZAS
            .iter()
            .find(|s| s.name == *first || s.name.split(' ').next() == Some(*first))
    })
}

/// The values `expect` takes.
pub const EXPECT_VALUES: &[ValueDoc] = &[
    ValueDoc {
        value: "fork",
        summary: "the main process forks once; the child is the daemon",
    },
    ValueDoc {
        value: "daemon",
        summary: "the main process forks twice (a classic daemon); the grandchild is tracked",
    },
    ValueDoc {
        value: "stop",
        summary: "the main process raises SIGSTOP when it is ready; init then continues it",
    },
    ValueDoc {
        value: "none",
        summary: "the process init starts is the main process (the default)",
    },
    ValueDoc {
        value: "notify",
        summary: "upc extension: the main process sends READY=1 to $NOTIFY_SOCKET (sd_notify)",
    },
];

/// The values `console` takes.
pub const CONSOLE_VALUES: &[ValueDoc] = &[
    ValueDoc {
        value: "log",
        summary: "output goes to /var/log/upstart/JOB.log (the default)",
    },
    ValueDoc {
        value: "none",
        summary: "standard input, output and error are /dev/null",
    },
    ValueDoc {
        value: "output",
        summary: "the processes write to the system console",
    },
    ValueDoc {
        value: "owner",
        summary: "like `output`, and the job owns the console (it gets Ctrl-C)",
    },
];

/// The values of a stanza with a closed set of values.
pub fn values(stanza: &str) -> &'static [ValueDoc] {
    match stanza {
        "expect" => EXPECT_VALUES,
        "console" => CONSOLE_VALUES,
        _ => &[],
    }
}

const PROCESS_DEFAULT: &str = "none: without it the job has no such process";

static STANZAS: &[StanzaDoc] = &[
    StanzaDoc {
        name: "description",
        syntax: "description \"TEXT\"",
        summary: "what the job is, in one line",
        details: "Informational: `initctl show-config` and `upc graph` show it. Quote text that contains spaces; a repeated `description` replaces the earlier one.",
        default: "none",
        snippet: "description \"${1:what this job does}\"",
    },
    StanzaDoc {
        name: "start on",
        syntax: "start on EVENT [ARG...] [KEY=VALUE...] [and|or EVENT ...]",
        summary: "the events that start the job",
        details: "An event expression: event matches joined by `and` and `or` (equal precedence, left to right; use parentheses), each with optional positional or `KEY=VALUE`/`KEY!=VALUE` glob matches on the event's environment. Job events (`starting`, `started`, `stopping`, `stopped`) take the job name as first argument. While a `(` is open the expression goes on over the next lines. A later `start on` replaces this one; `manual` discards it.",
        default: "none: the job only starts when asked (`start JOB`)",
        snippet: "start on ${1:runlevel [2345]}",
    },
    StanzaDoc {
        name: "stop on",
        syntax: "stop on EVENT [ARG...] [KEY=VALUE...] [and|or EVENT ...]",
        summary: "the events that stop the job",
        details: "Same syntax as `start on`. Values may refer to the running instance's environment with `$VAR` (`stop on stopped $PARENT`). A later `stop on` replaces this one.",
        default: "none: the job only stops when asked, or when its main process ends",
        snippet: "stop on ${1:runlevel [!2345]}",
    },
    StanzaDoc {
        name: "exec",
        syntax: "exec COMMAND [ARG...]",
        summary: "the main process, as a command line",
        details: "The rest of the line, as written (quotes kept). A command with shell characters (`$`, `|`, quotes, ...) runs as `/bin/sh -e -c \"exec COMMAND\"`, any other is split on blanks and executed directly. Replaces an earlier `exec` or `script`.",
        default: PROCESS_DEFAULT,
        snippet: "exec ${1:/usr/sbin/daemon}",
    },
    StanzaDoc {
        name: "script",
        syntax: "script\n  SHELL LINES\nend script",
        summary: "the main process, as a shell script",
        details: "The lines up to `end script` run with `/bin/sh -e`, byte for byte: no comment or quote processing; the indentation every line shares is removed. Replaces an earlier `exec` or `script`.",
        default: PROCESS_DEFAULT,
        snippet: "script\n\t$0\nend script",
    },
    StanzaDoc {
        name: "pre-start",
        syntax: "pre-start exec COMMAND | pre-start script ... end script",
        summary: "runs before the main process; can cancel the start",
        details: "Runs in the `pre-start` state, before the main process is spawned. If it fails the job stops; calling `stop` in it cancels the start.",
        default: PROCESS_DEFAULT,
        snippet: "pre-start script\n\t$0\nend script",
    },
    StanzaDoc {
        name: "post-start",
        syntax: "post-start exec COMMAND | post-start script ... end script",
        summary: "runs after the main process is spawned; delays `started`",
        details: "Runs beside the main process once it is spawned; the job is only `running` (and `started` only emitted) when it has finished. Use it to wait until a service is ready.",
        default: PROCESS_DEFAULT,
        snippet: "post-start script\n\t$0\nend script",
    },
    StanzaDoc {
        name: "pre-stop",
        syntax: "pre-stop exec COMMAND | pre-stop script ... end script",
        summary: "runs before the job is stopped; can cancel the stop",
        details: "Runs when a job whose main process is alive is asked to stop, before `stopping` is emitted. Calling `start` in it cancels the stop.",
        default: PROCESS_DEFAULT,
        snippet: "pre-stop script\n\t$0\nend script",
    },
    StanzaDoc {
        name: "post-stop",
        syntax: "post-stop exec COMMAND | post-stop script ... end script",
        summary: "runs after the main process has ended",
        details: "Runs every time the job passes through its stopping sequence, after the main process is gone: the place to clean up.",
        default: PROCESS_DEFAULT,
        snippet: "post-stop script\n\t$0\nend script",
    },
    StanzaDoc {
        name: "task",
        syntax: "task",
        summary: "the job runs once to completion instead of staying up",
        details: "A task's start (by event or command) completes only when the task has run and stopped again; `start on` events wait for it. Exit status 0 is success and is never respawned.",
        default: "a service: it is `running` while its main process lives",
        snippet: "task",
    },
    StanzaDoc {
        name: "respawn",
        syntax: "respawn",
        summary: "restart the main process when it ends unexpectedly",
        details: "When the main process exits with a status not listed in `normal exit`, or is killed, init starts it again, up to the `respawn limit`.",
        default: "no respawning",
        snippet: "respawn",
    },
    StanzaDoc {
        name: "respawn limit",
        syntax: "respawn limit COUNT INTERVAL | respawn limit unlimited",
        summary: "how often respawning may happen before init gives up",
        details: "If the job respawns more than COUNT times within INTERVAL seconds it is stopped instead. `unlimited` (or a 0) removes the limit. Does not turn respawning on by itself.",
        default: "10 respawns in 5 seconds",
        snippet: "respawn limit ${1:10} ${2:5}",
    },
    StanzaDoc {
        name: "normal exit",
        syntax: "normal exit STATUS|SIGNAL...",
        summary: "exit statuses and signals that count as a normal end",
        details: "A main process ending with one of these is neither respawned nor a failure. Values are exit codes (0-255) or signal names (`TERM`, `SIGHUP`). Repeated stanzas add to the list.",
        default: "only exit status 0 (for a task; a service's main process is expected to keep running)",
        snippet: "normal exit ${1:0}",
    },
    StanzaDoc {
        name: "instance",
        syntax: "instance NAME",
        summary: "allow several instances, named by this template",
        details: "The name is expanded against each start's environment (`instance $TTY`): a start with a new name creates a new instance, one with an existing name reaches that instance.",
        default: "a single instance",
        snippet: "instance \\$${1:NAME}",
    },
    StanzaDoc {
        name: "expect",
        syntax: "expect fork|daemon|stop|none|notify",
        summary: "how the main process tells init it is ready",
        details: "`fork` and `daemon` make init follow the process through one or two forks to find the daemon's pid; `stop` waits for the process to stop itself with SIGSTOP. `notify` (upc's extension, refused by Upstart) waits for READY=1 on the datagram socket named in $NOTIFY_SOCKET, systemd's sd_notify protocol; MAINPID= names the daemon's pid. Getting it wrong leaves the job hanging in `spawned` (upinit --spawn-timeout ends the wait).",
        default: "none: the process init starts is the main process",
        snippet: "expect ${1|fork,daemon,stop,none,notify|}",
    },
    StanzaDoc {
        name: "ready fd",
        syntax: "ready fd N",
        summary: "upc extension: the main process writes a newline to descriptor N when it is ready",
        details: "As s6's notification-fd: upinit opens a pipe on descriptor N (3 to 255; not 9 with a `script`, which is read from fd 9) of the main process and keeps the job in `spawned` until a newline arrives on it. It replaces `expect` (the later of the two wins). Upstart refuses it; `upc check --strict-upstart` says so.",
        default: "none",
        snippet: "ready fd ${1:3}",
    },
    StanzaDoc {
        name: "kill timeout",
        syntax: "kill timeout SECONDS",
        summary: "how long a stopping process gets before SIGKILL",
        details: "After the kill signal, init waits this many seconds for the process to end, then sends SIGKILL.",
        default: "5 seconds",
        snippet: "kill timeout ${1:5}",
    },
    StanzaDoc {
        name: "kill signal",
        syntax: "kill signal SIGNAL",
        summary: "the signal that asks the main process to end",
        details: "A signal name (`TERM`, `SIGINT`, `QUIT`) or number.",
        default: "SIGTERM",
        snippet: "kill signal ${1:TERM}",
    },
    StanzaDoc {
        name: "reload signal",
        syntax: "reload signal SIGNAL",
        summary: "the signal `reload JOB` sends to the main process",
        details: "A signal name or number.",
        default: "SIGHUP",
        snippet: "reload signal ${1:HUP}",
    },
    StanzaDoc {
        name: "console",
        syntax: "console log|none|output|owner",
        summary: "where the job's standard input and output go",
        details: "`log` writes the output to /var/log/upstart/JOB.log, `none` connects everything to /dev/null, `output` to the console, `owner` to the console with the job owning it.",
        default: "log",
        snippet: "console ${1|log,none,output,owner|}",
    },
    StanzaDoc {
        name: "env",
        syntax: "env NAME[=VALUE]",
        summary: "a default environment variable for the job",
        details: "Taken literally: no expansion (`env P=$PATH` sets the text `$PATH`). `env NAME` copies init's own value, or removes NAME if init has none. Values from the start command or the starting events override it. Quote values with spaces.",
        default: "none besides init's base environment",
        snippet: "env ${1:NAME}=${2:value}",
    },
    StanzaDoc {
        name: "export",
        syntax: "export NAME...",
        summary: "add these variables to the job's own events",
        details: "Each named variable the instance has is added to its `starting`, `started`, `stopping` and `stopped` events, so jobs waiting on them can match it.",
        default: "none",
        snippet: "export ${1:NAME}",
    },
    StanzaDoc {
        name: "emits",
        syntax: "emits EVENT...",
        summary: "declare the events this job emits",
        details: "Documentation for tools: upc's graph checks take a declared event as existing, and go to definition leads from an event to the jobs that emit it. Globs declare families (`emits *-device-added`).",
        default: "none",
        snippet: "emits ${1:event-name}",
    },
    StanzaDoc {
        name: "manual",
        syntax: "manual",
        summary: "ignore the `start on` seen so far",
        details: "Discards any `start on` read before it (in the job file, when it is in the override), so the job only starts when asked. A later `start on` applies again. The usual way to disable a job: `echo manual > JOB.override`.",
        default: "off",
        snippet: "manual",
    },
    StanzaDoc {
        name: "umask",
        syntax: "umask MASK",
        summary: "the file creation mask of the job's processes (octal)",
        details: "An octal mask such as `022` or `0077`.",
        default: "022",
        snippet: "umask ${1:022}",
    },
    StanzaDoc {
        name: "nice",
        syntax: "nice N",
        summary: "the scheduling priority of the job's processes (-20..19)",
        details: "Lower is more favourable.",
        default: "inherited from init",
        snippet: "nice ${1:10}",
    },
    StanzaDoc {
        name: "oom score",
        syntax: "oom score SCORE|never",
        summary: "the OOM killer adjustment (-1000..1000)",
        details: "Written to /proc/PID/oom_score_adj; `never` is -1000, which exempts the processes from the OOM killer.",
        default: "inherited from init",
        snippet: "oom score ${1:never}",
    },
    StanzaDoc {
        name: "oom",
        syntax: "oom ADJ|never",
        summary: "the deprecated OOM adjustment (-17..15); use `oom score`",
        details: "Converted to an `oom score`. `never` is -1000.",
        default: "inherited from init",
        snippet: "oom score ${1:never}",
    },
    StanzaDoc {
        name: "limit",
        syntax: "limit RESOURCE SOFT|unlimited HARD|unlimited",
        summary: "a resource limit (setrlimit) of the job's processes",
        details: "RESOURCE is one of `as core cpu data fsize memlock msgqueue nice nofile nproc rss rtprio sigpending stack`. A later `limit` of the same resource replaces this one.",
        default: "inherited from init",
        snippet: "limit ${1:nofile} ${2:1024} ${3:4096}",
    },
    StanzaDoc {
        name: "chroot",
        syntax: "chroot DIR",
        summary: "run the processes with DIR as their root directory",
        details: "Applied before `chdir`, so `chdir` is inside the new root.",
        default: "none",
        snippet: "chroot ${1:/srv/root}",
    },
    StanzaDoc {
        name: "chdir",
        syntax: "chdir DIR",
        summary: "the working directory of the processes",
        details: "Relative to `chroot` when both are set.",
        default: "/ for system jobs",
        snippet: "chdir ${1:/var/lib/job}",
    },
    StanzaDoc {
        name: "setuid",
        syntax: "setuid USER",
        summary: "run the processes as this user",
        details: "The name is looked up when the process starts; the group becomes the user's primary group unless `setgid` is given.",
        default: "root (system jobs)",
        snippet: "setuid ${1:user}",
    },
    StanzaDoc {
        name: "setgid",
        syntax: "setgid GROUP",
        summary: "run the processes with this group",
        details: "The name is looked up when the process starts.",
        default: "root, or the `setuid` user's primary group",
        snippet: "setgid ${1:group}",
    },
    StanzaDoc {
        name: "apparmor load",
        syntax: "apparmor load PROFILE",
        summary: "load an AppArmor profile before the job starts",
        details: "Runs `/sbin/apparmor_parser -r -W PROFILE` as a hidden process before `pre-start`. Inert without AppArmor.",
        default: "none",
        snippet: "apparmor load ${1:/etc/apparmor.d/profile}",
    },
    StanzaDoc {
        name: "apparmor switch",
        syntax: "apparmor switch PROFILE",
        summary: "run the main process confined by this AppArmor profile",
        details: "The name is expanded against the job's environment when the process starts. Inert without AppArmor.",
        default: "none",
        snippet: "apparmor switch ${1:profile}",
    },
    StanzaDoc {
        name: "cgroup",
        syntax: "cgroup CONTROLLER [NAME] [KEY VALUE]",
        summary: "put the processes in a control group",
        details: "One to four arguments: controller; controller and name; controller, key and value; or all four. Without a name the group is `$UPSTART_CGROUP`. Needs a cgroup manager, which upinit does not provide (W0017).",
        default: "none",
        snippet: "cgroup ${1:cpu}",
    },
    StanzaDoc {
        name: "author",
        syntax: "author \"NAME <EMAIL>\"",
        summary: "who wrote the job (informational)",
        details: "Quote text with spaces.",
        default: "none",
        snippet: "author \"${1:Name <email>}\"",
    },
    StanzaDoc {
        name: "version",
        syntax: "version \"TEXT\"",
        summary: "the job's version (informational)",
        details: "Quote text with spaces.",
        default: "none",
        snippet: "version \"${1:1.0}\"",
    },
    StanzaDoc {
        name: "usage",
        syntax: "usage \"TEXT\"",
        summary: "how to start the job by hand; `initctl usage` prints it",
        details: "Also shown when a `start` lacks a variable the instance name needs. Quote text with spaces.",
        default: "none",
        snippet: "usage \"${1:start JOB VAR=value}\"",
    },
    StanzaDoc {
        name: "debug",
        syntax: "debug",
        summary: "stop each process just before exec, for a debugger",
        details: "Only has an effect when init runs with debug logging.",
        default: "off",
        snippet: "debug",
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::lexer::{second_keywords, STANZAS as KEYWORDS};

    #[test]
    fn every_stanza_keyword_has_an_entry() {
        for (keyword, kw) in KEYWORDS {
            assert!(
                stanza(keyword).is_some(),
                "no documentation for `{keyword}`"
            );
            for (second, _) in second_keywords(*kw) {
                if !second.is_empty() && !matches!(*second, "exec" | "script") {
                    let name = format!("{keyword} {second}");
                    assert!(stanza(&name).is_some(), "no documentation for `{name}`");
                }
            }
        }
    }

    #[test]
    fn names_are_unique_and_every_entry_is_filled_in() {
        let mut names: Vec<&str> = stanzas().iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), stanzas().len());
        for s in stanzas() {
            assert!(
                !s.summary.is_empty() && !s.details.is_empty() && !s.default.is_empty(),
                "{}",
                s.name
            );
            assert!(s.syntax.starts_with(s.name.split(' ').next().unwrap_or("")));
        }
    }

    #[test]
    fn lookup_finds_the_family_of_a_hook_and_the_two_word_forms() {
        assert_eq!(stanza("pre-start exec").map(|s| s.name), Some("pre-start"));
        assert_eq!(stanza("start  on").map(|s| s.name), Some("start on"));
        assert_eq!(stanza("kill timeout").map(|s| s.name), Some("kill timeout"));
        assert_eq!(stanza("oom").map(|s| s.name), Some("oom"));
        assert!(stanza("wibble").is_none());
    }

    #[test]
    fn the_value_tables_are_the_ones_sema_accepts() {
        let expect: Vec<&str> = EXPECT_VALUES.iter().map(|v| v.value).collect();
        // `Expect::Fd` is written `ready fd N`, not as an `expect` value.
        for e in upc_bundle::model::Expect::ALL
            .into_iter()
            .filter(|e| *e != upc_bundle::model::Expect::Fd)
        {
            assert!(expect.contains(&e.name()), "{}", e.name());
        }
        let console: Vec<&str> = CONSOLE_VALUES.iter().map(|v| v.value).collect();
        for c in upc_bundle::model::Console::ALL {
            assert!(console.contains(&c.name()), "{}", c.name());
        }
    }
}
