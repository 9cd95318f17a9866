//! upctl against the real upinit: every state-changing and reading command
//! driven through the real upctl (under its own name and as `start`,
//! `status`, `runlevel`, `telinit`, ...) at a real upinit, PID 1 of a fresh
//! PID namespace, and the transcript kept as an insta snapshot. The
//! goldens of tests/upctl.rs pin upctl's formats against a fake init; these
//! show that the real daemon's answers come out the same way.
//!
//! A transcript holds each command line (`$ PROG ARGS`; every command also
//! gets `--socket`) and the environment it adds (`with K=V`), its stdout
//! (`1|`) and stderr (`2|`) and its exit status, as tests/upctl.rs writes
//! them. Pids are shown as `<pid>`, the test's directory as `$TMP`.
//!
//! Needs root (CI is root) and util-linux's `unshare`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod harness;

use std::fs;
use std::time::Duration;

use harness::{Init, Scenario};

/// The most any command here may take.
const PATIENCE: Duration = Duration::from_secs(20);

/// The environment both inits start with, so that `list-env` is the same
/// on every machine.
const INIT_ENV: &[(&str, &str)] = &[
    (
        "PATH",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ),
    ("TERM", "linux"),
];

struct Transcript<'a> {
    init: &'a Init,
    text: String,
}

/// `process 1234` -> `process <pid>`, `"pid":1234` -> `"pid":<pid>`.
fn redact_pids(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = ["process ", "\"pid\":"]
        .iter()
        .filter_map(|k| rest.find(k).map(|i| (i, k.len())))
        .min()
    {
        let (start, len) = at;
        let digits_from = start + len;
        out.push_str(&rest[..digits_from]);
        let tail = &rest[digits_from..];
        let digits = tail.len() - tail.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            out.push_str("<pid>");
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

impl Transcript<'_> {
    fn new(init: &Init) -> Transcript<'_> {
        Transcript {
            init,
            text: String::new(),
        }
    }

    /// Runs `prog ARGS` (upctl under that name) with `env`, and writes it
    /// down.
    fn run_env(&mut self, prog: &str, args: &[&str], env: &[(&str, &str)]) -> i32 {
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        let r = self.init.run_as(prog, &args, env, PATIENCE);
        let line = format!("$ {prog} {}", args.join(" "));
        self.text.push_str(line.trim_end());
        self.text.push('\n');
        for (k, v) in env {
            self.text.push_str(&format!("  with {k}={v}\n"));
        }
        for (fd, out) in [(1, &r.stdout), (2, &r.stderr)] {
            for line in out.lines() {
                self.text
                    .push_str(&format!("{fd}| {}\n", redact_pids(line)));
            }
        }
        self.text.push_str(&format!("exit {}\n\n", r.code));
        r.code
    }

    fn run(&mut self, prog: &str, args: &[&str]) -> i32 {
        self.run_env(prog, args, &[])
    }

    fn note(&mut self, text: &str) {
        self.text.push_str(&format!("# {text}\n"));
    }

    fn finish(self, dir: &std::path::Path) -> String {
        self.text.replace(&dir.display().to_string(), "$TMP")
    }
}

fn jobs(s: &Scenario) {
    s.job(
        "web",
        "description \"a service with a log\"\nconsole log\nscript\n  trap 'echo \"web reloaded\"' HUP\n  echo \"web up\"\n  while :; do sleep 0.05; done\nend script\n",
    );
    s.job(
        "tty",
        "instance $TTY\nusage \"tty TTY=ttyN\"\nconsole none\nexec sleep 1000\n",
    );
    s.job("once", "task\nconsole none\nexec true\n");
    s.job(
        "greet",
        "start on hello\ntask\nconsole output\nexec echo \"hello, ${WHO:-nobody}\"\n",
    );
    s.job(
        "level",
        "start on runlevel [2345]\ntask\nconsole output\nexec echo \"runlevel $RUNLEVEL from $PREVLEVEL\"\n",
    );
    s.job("bad", "console none\nexec /no/such/binary\n");
}

fn boot(s: &Scenario, mode: &[&str]) -> Init {
    let bundle = s.bundle();
    let mut args: Vec<String> = mode.iter().map(|a| (*a).to_owned()).collect();
    args.extend([
        "--bundle".into(),
        bundle.display().to_string(),
        "--socket".into(),
        s.p("upinit.sock"),
        "--logdir".into(),
        s.p("logs"),
        "--trace".into(),
        s.p("trace.jsonl"),
        "--capture-console".into(),
        "--no-startup-event".into(),
    ]);
    let init = s.start_with(&[], None, &args, Some(INIT_ENV));
    init.wait_ready();
    init
}

#[test]
fn every_command_against_a_system_init() {
    let s = Scenario::new();
    jobs(&s);
    let init = boot(&s, &[]);
    let mut t = Transcript::new(&init);

    t.note("reading");
    t.run("upctl", &["version"]);
    t.run("initctl", &["version"]);
    t.run("upctl", &["list"]);
    t.run("upctl", &["usage", "tty"]);
    t.run("upctl", &["log-priority"]);
    t.run("runlevel", &[]);

    t.note("start, stop, restart, reload");
    t.run("start", &["web"]);
    t.run("upctl", &["start", "web"]);
    t.run("status", &["web"]);
    t.run("upctl", &["status", "--json", "web"]);
    init.wait_until("web's first log line", |i| {
        i.log("web.log").contains("web up")
    });
    t.run("upctl", &["reload", "web"]);
    init.wait_until("web's reload in its log", |i| {
        i.log("web.log").contains("web reloaded")
    });
    t.run("upctl", &["log", "web"]);
    t.run("restart", &["web"]);
    t.run("upctl", &["start", "tty", "TTY=tty1"]);
    t.run("upctl", &["start", "--no-wait", "tty", "TTY=tty2"]);
    init.wait_until("tty2 running", |i| {
        i.trace()
            .iter()
            .any(|r| r["kind"] == "state" && r["instance"] == "tty2" && r["to"] == "running")
    });
    t.run("upctl", &["status", "tty", "TTY=tty2"]);
    t.run("upctl", &["status", "tty", "TTY=tty9"]);
    t.run("upctl", &["start", "tty"]);
    t.run("upctl", &["list"]);
    t.run("upctl", &["list", "--json"]);
    t.run("stop", &["tty", "TTY=tty2"]);
    t.run("upctl", &["stop", "tty", "TTY=tty2"]);
    t.run("upctl", &["start", "once"]);
    t.run("upctl", &["stop", "once"]);
    t.run("upctl", &["start", "nosuchjob"]);

    t.note("a job that fails");
    t.run("upctl", &["start", "bad"]);
    t.run("upctl", &["status", "bad"]);
    t.run("upctl", &["status", "--json", "bad"]);

    t.note("events and runlevels");
    t.run("upctl", &["emit", "hello", "WHO=world"]);
    init.wait_console("hello, world");
    t.run("upctl", &["emit", "--no-wait", "hello"]);
    init.wait_console("hello, nobody");
    t.run("telinit", &["2"]);
    init.wait_console("runlevel 2 from N");
    t.run("runlevel", &[]);
    t.run("upctl", &["telinit", "3"]);
    init.wait_console("runlevel 3 from 2");
    t.run("upctl", &["runlevel"]);

    t.note("the job environment (PID 1 refuses changes)");
    t.run("upctl", &["list-env"]);
    t.run("upctl", &["get-env", "TERM"]);
    t.run("upctl", &["set-env", "FOO=bar"]);
    t.run("upctl", &["unset-env", "TERM"]);
    t.run("upctl", &["reset-env"]);

    t.note("init's own");
    t.run("upctl", &["log-priority", "info"]);
    t.run("upctl", &["log-priority"]);
    t.run("upctl", &["notify-disk-writeable"]);
    s.job("extra", "console none\nexec sleep 1000\n");
    s.bundle();
    t.run("upctl", &["reload-configuration"]);
    t.run("upctl", &["status", "extra"]);
    fs::write(s.path("init.bundle"), "not a bundle").unwrap();
    t.run("upctl", &["reload-configuration"]);
    t.run("upctl", &["status", "extra"]);
    t.run("status", &["web"]);

    let mut text = t.finish(s.dir.path());
    text.push_str("--- the console\n");
    text.push_str(&init.console());
    insta::assert_snapshot!(text);
}

#[test]
fn the_environment_commands_against_a_session_init() {
    let s = Scenario::new();
    jobs(&s);
    let init = boot(&s, &["--user"]);
    let mut t = Transcript::new(&init);
    t.run("upctl", &["list-env"]);
    t.run("upctl", &["set-env", "FOO=bar", "EMPTY"]);
    t.run("upctl", &["get-env", "FOO"]);
    t.run("upctl", &["get-env", "EMPTY"]);
    t.run("upctl", &["set-env", "--retain", "FOO=baz"]);
    t.run("upctl", &["get-env", "FOO"]);
    t.run("upctl", &["unset-env", "FOO"]);
    t.run("upctl", &["get-env", "FOO"]);
    t.run("upctl", &["list-env"]);
    t.run("upctl", &["reset-env"]);
    t.run("upctl", &["list-env"]);

    t.note("an instance's own table, as a job's process addresses it");
    t.run("upctl", &["start", "tty", "TTY=tty1"]);
    let inside = [("UPSTART_JOB", "tty"), ("UPSTART_INSTANCE", "tty1")];
    t.run_env("upctl", &["set-env", "COLOUR=blue"], &inside);
    t.run_env("upctl", &["get-env", "COLOUR"], &inside);
    t.run_env("upctl", &["list-env"], &inside);
    t.run("upctl", &["get-env", "COLOUR"]);
    t.run_env("upctl", &["reset-env"], &inside);
    t.run_env("upctl", &["get-env", "COLOUR"], &inside);
    t.run("upctl", &["poweroff"]);
    insta::assert_snapshot!(t.finish(s.dir.path()));
}
