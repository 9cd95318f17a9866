//! upctl end to end: the real binary (under its own name and as the
//! programs it can be: `initctl`, `start`, `telinit`, ...) against a fake
//! init on a Unix socket in a tempdir that answers one canned reply. Each
//! snapshot is a transcript: the command line, the request line upctl
//! sent, the reply line, upctl's stdout (`1|`) and stderr (`2|`), and its
//! exit status, against spec/control.md's formats.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use upc_machine::{Goal, ProcessKind, State};
use upinit::proto::{
    decode_request, encode_hello, encode_reply, ErrorKind, Failure, Hello, InstanceRecord, Output,
    Reply, MAJOR, MINOR,
};

/// What the fake init does with the connection.
enum Answer {
    /// Greet, read one request, answer it with this.
    Reply(Result<Output, Failure>),
    /// Greet, read one request, answer with this exact line.
    Raw(&'static str),
    /// Send this greeting line and nothing more.
    Greeting(&'static str),
    /// upctl must not connect (usage errors, unsupported commands).
    NoConnection,
}

struct Case {
    prog: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    answer: Answer,
}

fn case(prog: &'static str, args: &'static [&'static str], answer: Answer) -> Case {
    Case {
        prog,
        args,
        env: &[],
        answer,
    }
}

fn inside(
    prog: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    answer: Answer,
) -> Case {
    Case {
        prog,
        args,
        env,
        answer,
    }
}

fn status(lines: &[&str]) -> Answer {
    Answer::Reply(Ok(Output::Status {
        lines: lines.iter().map(|l| (*l).to_owned()).collect(),
        records: None,
    }))
}

fn fail(kind: ErrorKind, message: &str) -> Answer {
    Answer::Reply(Err(Failure::new(kind, message)))
}

fn done() -> Answer {
    Answer::Reply(Ok(Output::Done))
}

fn value(v: &str) -> Answer {
    Answer::Reply(Ok(Output::Value(v.to_owned())))
}

/// The upctl binary under the name `prog` (a symlink in `dir`).
fn program(dir: &Path, prog: &str) -> PathBuf {
    let path = dir.join(prog);
    if !path.exists() {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_upctl"), &path).unwrap();
    }
    path
}

/// Accepts one connection (until `done`), plays `answer`, returns the
/// request line it received.
fn serve(listener: UnixListener, answer: Answer, done: Arc<AtomicBool>) -> Option<String> {
    listener.set_nonblocking(true).unwrap();
    let mut stream = loop {
        match listener.accept() {
            Ok((s, _)) => break s,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if done.load(Ordering::SeqCst) {
                    return None;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(e) => panic!("accept: {e}"),
        }
    };
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let hello = Hello {
        major: MAJOR,
        minor: MINOR,
        server: "upinit 0.1.0".into(),
        mode: "system".into(),
    };
    match &answer {
        Answer::Greeting(line) => {
            stream.write_all(line.as_bytes()).unwrap();
            return Some(String::new());
        }
        _ => stream.write_all(encode_hello(&hello).as_bytes()).unwrap(),
    }
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line).unwrap();
    let reply = match answer {
        Answer::Reply(result) => {
            let (id, _) = decode_request(line.as_bytes()).unwrap();
            encode_reply(&Reply {
                id: Some(id),
                result,
            })
        }
        Answer::Raw(raw) => format!("{raw}\n"),
        Answer::Greeting(_) | Answer::NoConnection => unreachable!(),
    };
    // upctl may have gone (a test of an early exit); that is fine.
    let _ = stream.write_all(reply.as_bytes());
    Some(format!("{}< {}", line, reply.trim_end()))
}

/// Runs every case and writes the transcript.
fn transcript(cases: Vec<Case>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut out = String::new();
    for (n, c) in cases.into_iter().enumerate() {
        let socket = dir.path().join(format!("init{n}.sock"));
        let listener = UnixListener::bind(&socket).unwrap();
        let expect_connection = !matches!(c.answer, Answer::NoConnection);
        let done = Arc::new(AtomicBool::new(false));
        let server = {
            let done = done.clone();
            let answer = c.answer;
            std::thread::spawn(move || serve(listener, answer, done))
        };
        let mut cmd = Command::new(program(dir.path(), c.prog));
        cmd.args(c.args)
            .env_clear()
            .env("UPINIT_SOCKET", &socket)
            .envs(c.env.iter().copied());
        let output = cmd.output().unwrap();
        done.store(true, Ordering::SeqCst);
        let seen = server.join().unwrap();
        assert_eq!(
            seen.is_some(),
            expect_connection,
            "{} {:?}: connection expected: {expect_connection}",
            c.prog,
            c.args
        );
        out.push_str(&format!("$ {} {}\n", c.prog, c.args.join(" ")).replace(" \n", "\n"));
        for (k, v) in c.env {
            out.push_str(&format!("  with {k}={v}\n"));
        }
        if let Some(wire) = seen.filter(|w| !w.is_empty()) {
            out.push_str(&format!("> {wire}\n"));
        }
        for (fd, bytes) in [(1, &output.stdout), (2, &output.stderr)] {
            for line in String::from_utf8_lossy(bytes).lines() {
                out.push_str(&format!("{fd}| {line}\n"));
            }
        }
        out.push_str(&format!("exit {}\n\n", output.status.code().unwrap_or(-1)));
    }
    out.replace(&dir.path().display().to_string(), "$TMP")
}

#[test]
fn start() {
    let t = transcript(vec![
        case(
            "start",
            &["getty", "TTY=tty1"],
            status(&["getty (tty1) start/running, process 1234"]),
        ),
        case(
            "initctl",
            &["start", "foo"],
            status(&["foo start/post-start, process 1234\n\tpost-start process 1357"]),
        ),
        case("start", &["mytask"], status(&["mytask stop/waiting"])),
        case(
            "start",
            &["foo", "--no-wait"],
            status(&["foo start/starting"]),
        ),
        case(
            "start",
            &["-q", "foo"],
            status(&["foo start/running, process 99"]),
        ),
        case(
            "start",
            &["getty", "TTY=tty1"],
            fail(
                ErrorKind::AlreadyStarted,
                "Job is already running: getty (tty1)",
            ),
        ),
        case(
            "start",
            &["foo"],
            fail(ErrorKind::JobFailed, "Job failed to start"),
        ),
        case(
            "start",
            &["nosuch"],
            fail(ErrorKind::UnknownJob, "Unknown job: nosuch"),
        ),
        case(
            "start",
            &["getty"],
            fail(
                ErrorKind::InvalidArgs,
                "Unknown parameter: TTY\nUsage: getty TTY=ttyN",
            ),
        ),
        case(
            "start",
            &["foo", "BAR"],
            fail(ErrorKind::InvalidArgs, "Env must be KEY=VALUE pairs"),
        ),
        inside(
            "start",
            &[],
            &[("UPSTART_JOB", "foo"), ("UPSTART_INSTANCE", "")],
            status(&["foo start/pre-stop, process 1234\n\tpre-stop process 1240"]),
        ),
        case("start", &[], Answer::NoConnection),
    ]);
    insta::assert_snapshot!(t);
}

#[test]
fn stop_restart_reload() {
    let t = transcript(vec![
        case("stop", &["foo"], status(&["foo stop/waiting"])),
        case(
            "stop",
            &["-n", "drogo", "X=foo"],
            status(&["drogo (foo) stop/pre-stop, process 6312\n\tpre-stop process 8609"]),
        ),
        case(
            "stop",
            &["foo"],
            fail(ErrorKind::UnknownInstance, "Unknown instance: "),
        ),
        case(
            "stop",
            &["foo"],
            fail(
                ErrorKind::AlreadyStopped,
                "Job has already been stopped: foo",
            ),
        ),
        case(
            "stop",
            &["foo"],
            fail(ErrorKind::JobFailed, "Job failed while stopping"),
        ),
        case(
            "restart",
            &["foo"],
            status(&["foo start/running, process 2001"]),
        ),
        case(
            "restart",
            &["foo"],
            fail(
                ErrorKind::AlreadyStopped,
                "Job has already been stopped: foo",
            ),
        ),
        case("reload", &["foo"], done()),
        case(
            "reload",
            &["foo"],
            fail(ErrorKind::NotRunning, "Job is not running: foo"),
        ),
        case(
            "initctl",
            &["reload", "getty", "TTY=tty9"],
            fail(ErrorKind::UnknownInstance, "Unknown instance: tty9"),
        ),
    ]);
    insta::assert_snapshot!(t);
}

#[test]
fn an_unknown_singleton_instance_message_keeps_its_trailing_space() {
    let t = transcript(vec![case(
        "stop",
        &["foo"],
        fail(ErrorKind::UnknownInstance, "Unknown instance: "),
    )]);
    assert!(t.contains("2| stop: Unknown instance: \n"), "{t}");
}

fn record(
    job: &str,
    instance: &str,
    goal: Goal,
    state: State,
    processes: &[(ProcessKind, u32)],
) -> InstanceRecord {
    InstanceRecord {
        job: job.into(),
        instance: instance.into(),
        goal,
        state,
        processes: processes.to_vec(),
        failure: None,
    }
}

#[test]
fn status_and_list() {
    let listing = [
        "drogo (foo) stop/pre-stop, process 6312\n\tpre-stop process 8609",
        "drogo (bar) start/post-stop, process 7465",
        "tty1 start/running, process 1234",
        "rc stop/waiting",
    ];
    let records = vec![
        record(
            "drogo",
            "foo",
            Goal::Stop,
            State::PreStop,
            &[(ProcessKind::Main, 6312), (ProcessKind::PreStop, 8609)],
        ),
        record(
            "drogo",
            "bar",
            Goal::Start,
            State::PostStop,
            &[(ProcessKind::PostStop, 7465)],
        ),
        record(
            "tty1",
            "",
            Goal::Start,
            State::Running,
            &[(ProcessKind::Main, 1234)],
        ),
        InstanceRecord::waiting("rc", None),
    ];
    let t = transcript(vec![
        case(
            "status",
            &["tty1"],
            status(&["tty1 start/running, process 1234"]),
        ),
        case(
            "status",
            &["getty", "TTY=tty1"],
            status(&["getty (tty1) start/running, process 1234"]),
        ),
        case(
            "status",
            &["foo"],
            status(&["foo start/post-start, (post-start) process 1357"]),
        ),
        case("status", &["foo"], status(&["foo stop/waiting"])),
        case(
            "status",
            &["nosuch"],
            fail(ErrorKind::UnknownJob, "Unknown job: nosuch"),
        ),
        case(
            "status",
            &["getty", "TTY=tty9"],
            fail(ErrorKind::UnknownInstance, "Unknown instance: tty9"),
        ),
        inside(
            "status",
            &[],
            &[("UPSTART_JOB", "getty"), ("UPSTART_INSTANCE", "tty1")],
            status(&["getty (tty1) start/running, process 1234"]),
        ),
        case(
            "status",
            &["--json", "tty1"],
            Answer::Reply(Ok(Output::Status {
                lines: vec!["tty1 start/running, process 1234".into()],
                records: Some(vec![records[2].clone()]),
            })),
        ),
        case("initctl", &["list"], status(&listing)),
        case(
            "upctl",
            &["list", "--json"],
            Answer::Reply(Ok(Output::Status {
                lines: listing.iter().map(|l| (*l).to_owned()).collect(),
                records: Some(records),
            })),
        ),
        case("upctl", &["list", "--json"], status(&listing)),
    ]);
    insta::assert_snapshot!(t);
}

#[test]
fn emit() {
    let t = transcript(vec![
        case("initctl", &["emit", "net-device-up", "IFACE=eth0"], done()),
        case("emit", &["-n", "boot"], done()),
        case(
            "emit",
            &["boot"],
            fail(ErrorKind::EventFailed, "Event failed"),
        ),
        case(
            "emit",
            &["boot", "X"],
            fail(ErrorKind::InvalidArgs, "Env must be KEY=VALUE pairs"),
        ),
        case("emit", &[], Answer::NoConnection),
    ]);
    insta::assert_snapshot!(t);
}

#[test]
fn environment() {
    let t = transcript(vec![
        case(
            "initctl",
            &["list-env"],
            Answer::Reply(Ok(Output::Env(vec![
                "TERM=linux".into(),
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin".into(),
                "LANG=C".into(),
            ]))),
        ),
        inside(
            "initctl",
            &["list-env"],
            &[("UPSTART_JOB", "web"), ("UPSTART_INSTANCE", "")],
            Answer::Reply(Ok(Output::Env(vec!["B=2".into(), "A=1".into()]))),
        ),
        case("initctl", &["get-env", "TERM"], value("linux")),
        case("initctl", &["get-env", "EMPTY"], value("")),
        case(
            "initctl",
            &["get-env", "NOPE"],
            fail(ErrorKind::InvalidArgs, "No such variable: NOPE"),
        ),
        case("initctl", &["set-env", "A=1", "B"], done()),
        case(
            "initctl",
            &["set-env", "-r", "A=1"],
            fail(
                ErrorKind::PermissionDenied,
                "Not permissible to modify PID 1 job environment",
            ),
        ),
        case("initctl", &["unset-env", "A"], done()),
        case("initctl", &["reset-env", "--global"], done()),
        case("initctl", &["get-env"], Answer::NoConnection),
        case("initctl", &["set-env"], Answer::NoConnection),
    ]);
    insta::assert_snapshot!(t);
}

#[test]
fn init_commands() {
    let t = transcript(vec![
        case("initctl", &["reload-configuration"], done()),
        case("initctl", &["reload-configuration"], fail(ErrorKind::ConfigInvalid, "Invalid bundle /etc/init.bundle: bad checksum; still running the one loaded before")),
        case("initctl", &["version"], value("upinit (upc) 0.1.0")),
        case("initctl", &["log-priority"], value("message")),
        case("initctl", &["log-priority", "debug"], done()),
        case("initctl", &["log-priority", "loud"], fail(ErrorKind::InvalidArgs, "The log priority given was not recognised")),
        case("initctl", &["usage", "getty"], value("getty TTY=ttyN")),
        case("initctl", &["usage", "foo"], value("")),
        case("initctl", &["notify-disk-writeable"], done()),
        case("upctl", &["log", "web"], Answer::Reply(Ok(Output::Log {
            text: "listening on :80\nGET /\n".into(),
            path: Some("/var/log/upstart/web.log".into()),
            truncated: false,
        }))),
        case("upctl", &["log", "big"], Answer::Reply(Ok(Output::Log {
            text: "...the last line\n".into(),
            path: Some("/var/log/upstart/big.log".into()),
            truncated: true,
        }))),
        case("upctl", &["log", "getty", "tty1"], fail(ErrorKind::NoLog, "Job has no log: getty (tty1)")),
    ]);
    insta::assert_snapshot!(t);
}

#[test]
fn runlevels_and_power() {
    let t = transcript(vec![
        case("telinit", &["2"], done()),
        inside(
            "telinit",
            &["-e", "INIT_HALT=POWEROFF", "0"],
            &[("RUNLEVEL", "2")],
            done(),
        ),
        case("telinit", &["s"], done()),
        case("telinit", &["q"], done()),
        case("telinit", &["u"], Answer::NoConnection),
        case("telinit", &["9"], Answer::NoConnection),
        case("telinit", &[], Answer::NoConnection),
        case(
            "runlevel",
            &[],
            Answer::Reply(Ok(Output::Runlevel {
                previous: Some("N".into()),
                current: Some("2".into()),
            })),
        ),
        case(
            "runlevel",
            &[],
            Answer::Reply(Ok(Output::Runlevel {
                previous: None,
                current: None,
            })),
        ),
        case("poweroff", &[], done()),
        case("reboot", &["-f"], done()),
        case("halt", &["--poweroff"], done()),
        case(
            "upctl",
            &["halt"],
            fail(
                ErrorKind::Unsupported,
                "halt is not available in --user mode",
            ),
        ),
        case("reboot", &["-w"], Answer::NoConnection),
    ]);
    insta::assert_snapshot!(t);
}

#[test]
fn usage_errors_and_unsupported_commands() {
    let t = transcript(vec![
        case("initctl", &[], Answer::NoConnection),
        case("initctl", &["frobnicate"], Answer::NoConnection),
        case("initctl", &["-n", "start", "foo"], Answer::NoConnection),
        case(
            "initctl",
            &["start", "foo", "--bogus"],
            Answer::NoConnection,
        ),
        case("upctl", &["--socket"], Answer::NoConnection),
        case("initctl", &["show-config"], Answer::NoConnection),
        case(
            "initctl",
            &["check-config", "-w", "foo"],
            Answer::NoConnection,
        ),
        case(
            "initctl",
            &["notify-dbus-address", "unix:x"],
            Answer::NoConnection,
        ),
        case(
            "initctl",
            &["notify-cgroup-manager-address", "x"],
            Answer::NoConnection,
        ),
        case("initctl", &["list-sessions"], Answer::NoConnection),
        case("initctl", &["--session", "list"], Answer::NoConnection),
    ]);
    insta::assert_snapshot!(t);
}

#[test]
fn connection_problems() {
    let t = transcript(vec![
        case("status", &["foo"], Answer::Greeting("{\"hello\":\"upinit\",\"protocol\":[2,0],\"server\":\"upinit 9.0\"}\n")),
        case("status", &["foo"], Answer::Greeting("hello\n")),
        case("status", &["foo"], Answer::Greeting("")),
        case("status", &["foo"], Answer::Raw("{\"id\":null,\"error\":\"BadRequest\",\"message\":\"bad request: column 3: expected value\"}")),
        case("status", &["foo"], Answer::Raw("{\"id\":1,\"ok\":\"value\",\"value\":\"surprise\"}")),
        case("status", &["foo"], Answer::Raw("{\"id\":1,\"error\":\"Overheated\",\"message\":\"something:went wrong\"}")),
        case("status", &["foo"], Answer::Raw("{\"id\":1,\"ok\":\"status\",\"lines\":[\"foo stop/waiting\"],\"since\":12}")),
    ]);
    insta::assert_snapshot!(t);
}

#[test]
fn no_init_listening_is_a_connection_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(program(dir.path(), "initctl"))
        .args(["--socket", "/nonexistent/upinit.sock", "list"])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "initctl: Unable to connect to upinit at /nonexistent/upinit.sock: No such file or directory\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn help_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let run = |prog: &str, args: &[&str]| {
        let out = Command::new(program(dir.path(), prog))
            .args(args)
            .env_clear()
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{prog} {args:?}");
        assert!(out.stderr.is_empty());
        String::from_utf8(out.stdout).unwrap()
    };
    insta::assert_snapshot!("help", run("initctl", &["--help"]));
    insta::assert_snapshot!("help_start", run("start", &["--help"]));
    insta::assert_snapshot!("help_set_env", run("upctl", &["set-env", "--help"]));
    assert_eq!(
        run("upctl", &["--version"]),
        format!("upctl (upc {})\n", env!("CARGO_PKG_VERSION"))
    );
}
