//! The command line, rule by rule: personalities, option placement,
//! job selection from inside a job, scopes, sockets, telinit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::*;

fn parse_with(prog: &str, args: &[&str], vars: &[(&str, &str)]) -> Result<Invocation, UsageError> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let env = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    parse(prog, args.iter().map(|a| (*a).to_owned()).collect(), &env)
}

fn request(prog: &str, args: &[&str], vars: &[(&str, &str)]) -> (Request, Render) {
    match parse_with(prog, args, vars).unwrap().action {
        Action::Call { request, render } => (request, render),
        other => panic!("{prog} {args:?}: {other:?}"),
    }
}

fn usage_error(prog: &str, args: &[&str], vars: &[(&str, &str)]) -> String {
    parse_with(prog, args, vars).unwrap_err().0
}

fn s(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn job(name: &str) -> Target {
    Target::Job(name.to_owned())
}

#[test]
fn the_program_name_is_argv0s_basename() {
    assert_eq!(program_name("/sbin/initctl"), "initctl");
    assert_eq!(program_name("start"), "start");
    assert_eq!(program_name("/usr/bin/"), "upctl");
}

#[test]
fn start_waits_by_default_and_no_wait_may_come_anywhere_after_the_command() {
    let wanted = Request::Start {
        target: job("getty"),
        env: s(&["TTY=tty1"]),
        wait: true,
    };
    assert_eq!(
        request("upctl", &["start", "getty", "TTY=tty1"], &[]),
        (wanted, Render::Status)
    );
    for args in [
        ["start", "-n", "getty", "TTY=tty1"],
        ["start", "getty", "TTY=tty1", "--no-wait"],
        ["start", "getty", "-n", "TTY=tty1"],
    ] {
        assert_eq!(
            request("initctl", &args, &[]).0,
            Request::Start {
                target: job("getty"),
                env: s(&["TTY=tty1"]),
                wait: false
            },
            "{args:?}"
        );
    }
}

#[test]
fn command_options_before_the_command_are_invalid() {
    assert_eq!(
        usage_error("initctl", &["-n", "start", "x"], &[]),
        "invalid option: -n"
    );
    assert_eq!(
        usage_error("initctl", &["--json", "list"], &[]),
        "invalid option: --json"
    );
    // Global ones are fine on either side.
    assert!(parse_with("initctl", &["-q", "start", "x", "--system"], &[]).is_ok());
}

#[test]
fn invoked_as_a_command_name_the_arguments_are_that_commands() {
    let wanted = |wait| Request::Stop {
        target: job("x"),
        env: vec![],
        wait,
    };
    assert_eq!(request("stop", &["x"], &[]).0, wanted(true));
    assert_eq!(request("stop", &["-n", "x"], &[]).0, wanted(false));
    assert_eq!(
        request("emit", &["boot", "A=1"], &[]).0,
        Request::Emit {
            name: "boot".into(),
            env: s(&["A=1"]),
            wait: true
        }
    );
    assert_eq!(
        request("list", &[], &[]).0,
        Request::List { records: false }
    );
    assert_eq!(request("runlevel", &[], &[]).0, Request::Runlevel);
    // "help" is not a personality: it is upctl itself.
    assert_eq!(usage_error("help", &[], &[]), "missing command");
}

#[test]
fn missing_and_unknown_commands_are_usage_errors() {
    assert_eq!(usage_error("initctl", &[], &[]), "missing command");
    assert_eq!(
        usage_error("initctl", &["frobnicate"], &[]),
        "invalid command: frobnicate"
    );
    assert_eq!(usage_error("initctl", &["start"], &[]), "missing job name");
    assert_eq!(usage_error("emit", &[], &[]), "missing event name");
    assert_eq!(
        usage_error("initctl", &["get-env"], &[]),
        "missing variable name"
    );
    assert_eq!(
        usage_error("initctl", &["set-env"], &[]),
        "missing variable value"
    );
    assert_eq!(
        usage_error("initctl", &["unset-env"], &[]),
        "missing variable name"
    );
}

#[test]
fn without_a_job_a_command_addresses_the_instance_it_runs_in_and_never_waits() {
    let inside = [("UPSTART_JOB", "web"), ("UPSTART_INSTANCE", "")];
    let me = Target::Instance {
        job: "web".into(),
        instance: "".into(),
    };
    assert_eq!(
        request("start", &[], &inside).0,
        Request::Start {
            target: me.clone(),
            env: vec![],
            wait: false
        }
    );
    assert_eq!(
        request("status", &[], &inside).0,
        Request::Status {
            target: me.clone(),
            env: vec![],
            records: false
        }
    );
    assert_eq!(
        request("reload", &[], &inside).0,
        Request::Reload {
            target: me,
            env: vec![]
        }
    );
    // Both variables are needed.
    assert_eq!(
        usage_error("stop", &[], &[("UPSTART_JOB", "web")]),
        "missing job name"
    );
    // A job named on the line wins, and waits.
    assert_eq!(
        request("stop", &["db"], &inside).0,
        Request::Stop {
            target: job("db"),
            env: vec![],
            wait: true
        }
    );
}

#[test]
fn env_commands_use_the_jobs_table_inside_a_job_unless_global() {
    let inside = [("UPSTART_JOB", "web"), ("UPSTART_INSTANCE", "i")];
    let mine = EnvScope::Instance {
        job: "web".into(),
        instance: "i".into(),
    };
    assert_eq!(
        request("initctl", &["list-env"], &inside).0,
        Request::ListEnv {
            scope: mine.clone()
        }
    );
    assert_eq!(
        request("initctl", &["list-env", "-g"], &inside).0,
        Request::ListEnv {
            scope: EnvScope::Global
        }
    );
    assert_eq!(
        request("initctl", &["get-env", "A"], &[]).0,
        Request::GetEnv {
            scope: EnvScope::Global,
            name: "A".into()
        }
    );
    assert_eq!(
        request("initctl", &["set-env", "--retain", "A=1", "B"], &inside).0,
        Request::SetEnv {
            scope: mine.clone(),
            vars: s(&["A=1", "B"]),
            replace: false
        }
    );
    assert_eq!(
        request("initctl", &["unset-env", "A", "B"], &inside).0,
        Request::UnsetEnv {
            scope: mine.clone(),
            names: s(&["A", "B"])
        }
    );
    assert_eq!(
        request("initctl", &["reset-env"], &inside).0,
        Request::ResetEnv { scope: mine }
    );
    assert_eq!(
        usage_error("initctl", &["list-env"], &[("UPSTART_JOB", "web")]),
        "missing job name"
    );
}

#[test]
fn json_asks_for_records() {
    assert_eq!(
        request("upctl", &["status", "--json", "x"], &[]),
        (
            Request::Status {
                target: job("x"),
                env: vec![],
                records: true
            },
            Render::Json
        )
    );
    assert_eq!(
        request("upctl", &["list", "--json"], &[]),
        (Request::List { records: true }, Render::Json)
    );
}

#[test]
fn the_socket_is_the_option_then_system_or_user_then_the_environment() {
    let socket =
        |args: &[&str], vars: &[(&str, &str)]| parse_with("upctl", args, vars).unwrap().socket;
    let env = [
        ("UPINIT_SOCKET", "/tmp/s.sock"),
        ("XDG_RUNTIME_DIR", "/run/user/1000"),
    ];
    assert_eq!(socket(&["list"], &[]), PathBuf::from("/run/upinit.sock"));
    assert_eq!(socket(&["list"], &env), PathBuf::from("/tmp/s.sock"));
    assert_eq!(
        socket(&["--system", "list"], &env),
        PathBuf::from("/run/upinit.sock")
    );
    assert_eq!(
        socket(&["list", "--user"], &env),
        PathBuf::from("/run/user/1000/upinit.sock")
    );
    assert_eq!(
        socket(&["--user", "list", "--socket=/x"], &env),
        PathBuf::from("/x")
    );
    assert_eq!(
        usage_error("upctl", &["--user", "list"], &[]),
        "XDG_RUNTIME_DIR isn't set in the environment. Unable to locate the upinit instance."
    );
}

#[test]
fn telinit_emits_runlevel_reloads_on_q_and_refuses_the_rest() {
    assert_eq!(
        request("telinit", &["2"], &[]).0,
        Request::Telinit {
            runlevel: "2".into(),
            prevlevel: None,
            env: vec![]
        }
    );
    assert_eq!(
        request(
            "telinit",
            &["-e", "A=1", "s", "-eB=2"],
            &[("RUNLEVEL", "2")]
        )
        .0,
        Request::Telinit {
            runlevel: "S".into(),
            prevlevel: Some("2".into()),
            env: s(&["A=1", "B=2"])
        }
    );
    assert_eq!(
        request("telinit", &["Q"], &[]).0,
        Request::ReloadConfiguration
    );
    assert!(matches!(
        parse_with("telinit", &["u"], &[]).unwrap().action,
        Action::Unsupported(_)
    ));
    assert_eq!(usage_error("telinit", &[], &[]), "missing runlevel");
    assert_eq!(usage_error("telinit", &["7"], &[]), "illegal runlevel: 7");
    assert_eq!(usage_error("telinit", &["23"], &[]), "illegal runlevel: 23");
    assert_eq!(
        usage_error("telinit", &["2", "3"], &[]),
        "too many arguments"
    );
}

#[test]
fn power_commands_take_force_and_halt_takes_poweroff() {
    assert_eq!(
        request("reboot", &["-f"], &[]).0,
        Request::Power {
            action: Power::Reboot,
            force: true
        }
    );
    assert_eq!(
        request("halt", &["-p"], &[]).0,
        Request::Power {
            action: Power::Poweroff,
            force: false
        }
    );
    assert_eq!(
        request("upctl", &["poweroff", "--force"], &[]).0,
        Request::Power {
            action: Power::Poweroff,
            force: true
        }
    );
    assert_eq!(usage_error("reboot", &["-p"], &[]), "invalid option: -p");
    assert_eq!(
        usage_error("reboot", &["now"], &[]),
        "unexpected argument: now"
    );
}

#[test]
fn log_takes_a_job_and_an_instance_name() {
    assert_eq!(
        request("upctl", &["log", "getty", "tty1"], &[]),
        (
            Request::Log {
                job: "getty".into(),
                instance: "tty1".into()
            },
            Render::Log
        )
    );
    assert_eq!(
        request("upctl", &["log", "web"], &[]).0,
        Request::Log {
            job: "web".into(),
            instance: "".into()
        }
    );
    assert_eq!(
        usage_error("upctl", &["log", "a", "b", "c"], &[]),
        "unexpected argument: c"
    );
}

#[test]
fn initctl_commands_upc_lacks_are_unsupported_with_a_pointer() {
    for (command, hint) in [
        ("show-config", "upc graph"),
        ("check-config", "upc check"),
        ("notify-dbus-address", "D-Bus"),
        ("notify-cgroup-manager-address", "cgroup"),
        ("list-sessions", "--user"),
    ] {
        match parse_with("initctl", &[command, "--whatever"], &[])
            .unwrap()
            .action
        {
            Action::Unsupported(message) => assert!(message.contains(hint), "{message}"),
            other => panic!("{command}: {other:?}"),
        }
    }
    match parse_with("initctl", &["--session", "list"], &[])
        .unwrap()
        .action
    {
        Action::Unsupported(message) => assert!(message.starts_with("--session is not supported")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn help_and_version_print_and_stop() {
    for (prog, args, starts) in [
        ("upctl", &["--help"][..], "Usage: upctl [OPTION]... COMMAND"),
        ("upctl", &["help"][..], "Job commands:"),
        (
            "upctl",
            &["start", "--help"][..],
            "Usage: upctl start [OPTION]... JOB",
        ),
        ("start", &["--help"][..], "Usage: start [OPTION]... JOB"),
        ("upctl", &["--version", "start"][..], "upctl (upc "),
        ("status", &["--version"][..], "status (upc "),
    ] {
        match parse_with(prog, args, &[]).unwrap().action {
            Action::Print(text) => assert!(text.starts_with(starts), "{prog} {args:?}: {text}"),
            other => panic!("{prog} {args:?}: {other:?}"),
        }
    }
}
