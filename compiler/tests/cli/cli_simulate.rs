//! `upc simulate` through the real binary: the boot of the standard system
//! job set, both output formats, the process options (--duration, --fail),
//! injected events, bounds, and every way of getting the arguments wrong.
//!
//! Snapshots (insta, `snapshots/cli__cli_simulate__*.snap`) hold the trace part
//! of the text output and the JSON Lines of small job sets; regenerate them
//! with `INSTA_UPDATE=always cargo test -p upc --test cli -- cli_simulate` and read
//! every changed line. The critical chain (another module's output) is not
//! snapshotted here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const SYSTEM: &str = "../stdlib-jobs/system";

/// Runs `upc` in the crate directory.
fn upc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_upc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .output()
        .expect("run upc")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

/// A job set in a temporary directory.
fn jobs(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write job");
    }
    dir
}

fn path(dir: &tempfile::TempDir) -> &str {
    dir.path().to_str().expect("UTF-8 path")
}

/// `upc simulate --format json` on a job set, parsed.
fn json(args: &[&str]) -> (i32, Vec<Value>) {
    let mut all = vec!["simulate", "--format", "json"];
    all.extend_from_slice(args);
    let out = upc(&all);
    let records = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (code(&out), records)
}

fn kind<'a>(records: &'a [Value], k: &str) -> impl Iterator<Item = &'a Value> + 'a {
    let k = k.to_owned();
    records.iter().filter(move |r| r["kind"] == k.as_str())
}

/// The (job, to) pairs of every state record.
fn transitions(records: &[Value]) -> Vec<(String, String, u64)> {
    kind(records, "state")
        .map(|r| {
            (
                r["job"].as_str().unwrap_or_default().to_owned(),
                r["to"].as_str().unwrap_or_default().to_owned(),
                r["t_ms"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

/// The first time `job` entered `state`.
fn entered(records: &[Value], job: &str, state: &str) -> Option<u64> {
    transitions(records)
        .into_iter()
        .find(|(j, s, _)| j == job && s == state)
        .map(|(_, _, t)| t)
}

/// The trace part of the text output: the lines before the first blank one.
fn trace_part(text: &str) -> String {
    text.split("\n\n").next().unwrap_or_default().to_owned() + "\n"
}

/// The summary: the last paragraph.
fn summary_part(text: &str) -> String {
    text.trim_end()
        .rsplit("\n\n")
        .next()
        .unwrap_or_default()
        .to_owned()
}

const CHAIN: &[(&str, &str)] = &[
    (
        "db.conf",
        "start on startup\npre-start exec /bin/prepare\nexec /usr/sbin/db\n",
    ),
    (
        "web.conf",
        "start on started db\nstop on stopping db\nexec /usr/sbin/web\n",
    ),
    (
        "migrate.conf",
        "start on started db\ntask\nexec /usr/bin/migrate\n",
    ),
];

// ------------------------------------------------------------ the system set

#[test]
fn the_system_job_set_boots_its_services_and_finishes_its_tasks() {
    let (status, records) = json(&[SYSTEM]);
    assert_eq!(status, 0);
    let summary = records.last().expect("a summary");
    assert_eq!(summary["kind"], "summary");
    assert_eq!(summary["end"], "settled");
    assert_eq!(summary["failed"], serde_json::json!([]));
    let running: Vec<&str> = summary["running"]
        .as_array()
        .expect("running")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for service in ["networking", "syslog", "cron"] {
        assert!(
            running.contains(&service),
            "{service} is not running: {running:?}"
        );
    }
    // Every task ran its main process and came back to rest with RESULT=ok.
    for task in [
        "mountall",
        "hostname",
        "flush-early-job-log",
        "rc-sysinit",
        "rc",
        "start-ttys",
    ] {
        assert!(
            entered(&records, task, "running").is_some(),
            "{task} never ran"
        );
        let stopped = kind(&records, "event").any(|r| {
            r["event"] == "stopped" && r["env"]["JOB"] == task && r["env"]["RESULT"] == "ok"
        });
        assert!(stopped, "{task} did not finish");
    }
    // The boot order the README describes.
    let at = |job: &str| entered(&records, job, "running").expect(job);
    assert!(at("mountall") < at("networking"));
    assert!(at("mountall") < at("rc-sysinit"));
    assert!(at("rc-sysinit") < at("rc"));
    assert!(at("rc") <= at("cron"));
    assert!(
        at("rc") < at("start-ttys"),
        "start-ttys waits for rc to finish"
    );
}

#[test]
fn the_text_trace_of_the_system_set() {
    let out = upc(&["simulate", SYSTEM]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    insta::assert_snapshot!("system_trace", trace_part(&text));
    insta::assert_snapshot!("system_summary", summary_part(&text));
}

#[test]
fn the_same_input_gives_the_same_output() {
    let a = upc(&["simulate", "--format", "json", SYSTEM]);
    let b = upc(&["simulate", "--format", "json", SYSTEM]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn quiet_prints_no_trace() {
    let out = upc(&["simulate", "-q", SYSTEM]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(!text.contains(" ms  event startup"), "{text}");
    assert!(text.contains("settled at "), "{text}");
}

// ------------------------------------------------------------ formats

#[test]
fn text_and_json_of_a_small_set() {
    let dir = jobs(CHAIN);
    let text = stdout(&upc(&["simulate", path(&dir)]));
    insta::assert_snapshot!("chain_trace", trace_part(&text));
    insta::assert_snapshot!("chain_summary", summary_part(&text));
    let json = stdout(&upc(&["simulate", "--format", "json", path(&dir)]));
    insta::assert_snapshot!("chain_json", json);
}

#[test]
fn json_records_have_the_documented_shape() {
    let dir = jobs(&[("a.conf", "start on startup\nexec /bin/a\n")]);
    let out = stdout(&upc(&["simulate", "--format", "json", path(&dir)]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        r#"{"t_ms":0,"kind":"event","event":"startup","env":{}}"#
    );
    assert!(lines.contains(
        &r#"{"t_ms":0,"kind":"state","job":"a","instance":"","from":"waiting","to":"starting"}"#
    ));
    assert!(lines.contains(
        &r#"{"t_ms":0,"kind":"event","event":"started","env":{"JOB":"a","INSTANCE":""}}"#
    ));
    assert!(
        lines.contains(&r#"{"t_ms":0,"kind":"event-finished","event":"startup","failed":false}"#)
    );
    for line in &lines {
        let v: Value = serde_json::from_str(line).expect("JSON");
        assert!(v["t_ms"].is_u64() && v["kind"].is_string(), "{line}");
    }
}

// ------------------------------------------------------------ process options

#[test]
fn fail_makes_that_process_fail() {
    let dir = jobs(CHAIN);
    let (status, records) = json(&["--fail", "migrate", path(&dir)]);
    assert_eq!(status, 1, "a failed job fails the run");
    let failed: Vec<&Value> = kind(&records, "event")
        .filter(|r| r["env"]["RESULT"] == "failed")
        .collect();
    assert_eq!(failed.len(), 2, "stopping and stopped: {failed:?}");
    for r in &failed {
        assert_eq!(r["env"]["JOB"], "migrate");
        assert_eq!(r["env"]["PROCESS"], "main");
        assert_eq!(r["env"]["EXIT_STATUS"], "1");
    }
    // The event that started it fails too.
    assert!(kind(&records, "event").any(|r| r["event"] == "started/failed"));
    assert_eq!(
        records.last().unwrap()["failed"],
        serde_json::json!(["migrate"])
    );

    let (status, records) = json(&["--fail", "db:pre-start", path(&dir)]);
    assert_eq!(status, 1);
    let stopping = kind(&records, "event")
        .find(|r| r["event"] == "stopping")
        .expect("db stops");
    assert_eq!(
        stopping["env"],
        serde_json::json!({"JOB": "db", "INSTANCE": "", "RESULT": "failed", "PROCESS": "pre-start", "EXIT_STATUS": "1"})
    );
    assert!(entered(&records, "web", "starting").is_none());
    let summary = summary_part(&stdout(&upc(&[
        "simulate",
        "--fail",
        "db:pre-start",
        path(&dir),
    ])));
    assert!(summary.contains("1 failed (db)"), "{summary}");
}

#[test]
fn duration_changes_when_processes_end() {
    let dir = jobs(CHAIN);
    let (_, records) = json(&[path(&dir)]);
    assert_eq!(entered(&records, "db", "spawning"), Some(50));
    assert_eq!(entered(&records, "migrate", "stopping"), Some(150));
    let (_, records) = json(&[
        "--duration",
        "db:pre-start=20",
        "--duration",
        "migrate=300",
        path(&dir),
    ]);
    assert_eq!(entered(&records, "db", "spawning"), Some(20));
    assert_eq!(entered(&records, "migrate", "stopping"), Some(320));
    // A service whose main process ends by itself stops (no respawn).
    let (status, records) = json(&["--duration", "db=1000", path(&dir)]);
    assert_eq!(status, 0);
    assert_eq!(entered(&records, "db", "stopping"), Some(1050));
    assert_eq!(entered(&records, "web", "stopping"), Some(1050));
}

#[test]
fn emit_injects_events_at_their_time() {
    let dir = jobs(&[(
        "ifup.conf",
        "start on net-up IFACE!=lo\ninstance $IFACE\ntask\nexec /sbin/ifup $IFACE\n",
    )]);
    let (status, records) = json(&[
        "--emit",
        "net-up IFACE=eth0@250",
        "--emit",
        "net-up IFACE=lo@300",
        "--no-startup-event",
        path(&dir),
    ]);
    assert_eq!(status, 0);
    let events: Vec<(u64, &str)> = kind(&records, "event")
        .map(|r| (r["t_ms"].as_u64().unwrap(), r["event"].as_str().unwrap()))
        .collect();
    assert_eq!(events[0], (250, "net-up"), "no startup event: {events:?}");
    let started: Vec<&Value> = kind(&records, "state")
        .filter(|r| r["to"] == "starting")
        .collect();
    assert_eq!(started.len(), 1, "lo does not match IFACE!=lo");
    assert_eq!(started[0]["instance"], "eth0");
    assert_eq!(started[0]["t_ms"], 250);
    assert!(kind(&records, "command").any(|r| r["command"] == "emit --no-wait net-up IFACE=eth0"));
}

#[test]
fn startup_event_can_be_renamed() {
    let dir = jobs(&[("a.conf", "start on boot\nexec /bin/a\n")]);
    let (_, records) = json(&["--startup-event", "boot", path(&dir)]);
    assert_eq!(entered(&records, "a", "running"), Some(0));
}

#[test]
fn scripts_emit_what_their_top_level_says() {
    let dir = jobs(&[
        (
            "emitter.conf",
            "start on startup\ntask\nscript\n  initctl emit --no-wait one\n  sleep 1\n  \
             initctl emit two X=1\n  if false; then initctl emit three; fi\nend script\n",
        ),
        ("two.conf", "start on two\nexec /bin/two\n"),
    ]);
    let (_, records) = json(&[path(&dir)]);
    let events: Vec<(u64, String)> = kind(&records, "event")
        .map(|r| {
            (
                r["t_ms"].as_u64().unwrap(),
                r["event"].as_str().unwrap().to_owned(),
            )
        })
        .filter(|(_, e)| e != "starting" && e != "started" && !e.starts_with("stop"))
        .collect();
    assert_eq!(
        events,
        [
            (0, "startup".into()),
            (1, "one".into()),
            (1002, "two".into())
        ],
    );
    // The task cannot end before its script is done.
    assert_eq!(entered(&records, "emitter", "stopping"), Some(1003));
    let (_, records) = json(&["--no-script-effects", path(&dir)]);
    assert!(entered(&records, "two", "starting").is_none());
    assert_eq!(entered(&records, "emitter", "stopping"), Some(100));
}

#[test]
fn expect_fork_daemon_and_stop_are_followed() {
    let dir = jobs(&[
        (
            "d.conf",
            "start on startup\nexpect daemon\nexec /usr/sbin/d\n",
        ),
        (
            "f.conf",
            "start on startup\nexpect fork\nexec /usr/sbin/f\n",
        ),
        (
            "s.conf",
            "start on startup\nexpect stop\nexec /usr/sbin/s\n",
        ),
    ]);
    let (status, records) = json(&[path(&dir)]);
    assert_eq!(status, 0);
    let follows: Vec<(String, u64, u64)> = kind(&records, "follow")
        .map(|r| {
            (
                r["job"].as_str().unwrap().to_owned(),
                r["pid"].as_u64().unwrap(),
                r["new_pid"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(follows.iter().filter(|f| f.0 == "d").count(), 2);
    assert_eq!(follows.iter().filter(|f| f.0 == "f").count(), 1);
    let summary = records.last().unwrap();
    assert_eq!(summary["running"], serde_json::json!(["d", "f", "s"]));
}

#[test]
fn a_process_that_ignores_term_is_killed_after_the_kill_timeout() {
    let dir = jobs(&[(
        "k.conf",
        "start on startup\nstop on halt\nkill timeout 2\nexec /bin/k\n",
    )]);
    let kills = |records: &[Value]| -> Vec<(u64, String)> {
        kind(records, "kill")
            .map(|r| {
                (
                    r["t_ms"].as_u64().unwrap(),
                    r["signal"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let (status, records) = json(&["--emit", "halt@100", path(&dir)]);
    assert_eq!(status, 0);
    assert_eq!(
        kills(&records),
        [(100, "TERM".into())],
        "a plain process dies of TERM"
    );
    assert_eq!(entered(&records, "k", "waiting"), Some(100));
    let (status, records) = json(&["--emit", "halt@100", "--ignore-term", "k", path(&dir)]);
    assert_eq!(status, 0);
    assert_eq!(
        kills(&records),
        [(100, "TERM".into()), (2100, "KILL".into())]
    );
    assert_eq!(entered(&records, "k", "waiting"), Some(2100));
    let exit = kind(&records, "exit").next().expect("an exit");
    assert_eq!(exit["signal"], "KILL");
}

// ------------------------------------------------------------ bounds

#[test]
fn until_stops_a_job_set_that_never_rests() {
    let dir = jobs(&[(
        "r.conf",
        "start on startup\nrespawn\nrespawn limit unlimited\nexec /bin/r\n",
    )]);
    let out = upc(&[
        "simulate",
        "-q",
        "--duration",
        "r=1000",
        "--until",
        "5500",
        path(&dir),
    ]);
    assert_eq!(code(&out), 0);
    let summary = summary_part(&stdout(&out));
    assert!(
        summary.starts_with("stopped at the time limit, 5500.000 ms"),
        "{summary}"
    );
}

#[test]
fn a_job_set_that_keeps_itself_busy_is_given_up_on() {
    let dir = jobs(&[(
        "r.conf",
        "start on startup\nrespawn\nrespawn limit unlimited\nexec /bin/r\n",
    )]);
    let out = upc(&["simulate", "-q", "--duration", "r=0", path(&dir)]);
    assert_eq!(code(&out), 1);
    assert!(
        stdout(&out).contains("the job set keeps itself busy"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn svg_writes_the_timeline() {
    let dir = jobs(CHAIN);
    let file = dir.path().join("boot.svg");
    let out = upc(&[
        "simulate",
        "-q",
        "--svg",
        file.to_str().unwrap(),
        path(&dir),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(file.is_file());
}

/// Every real job set of the corpus that checks clean runs to an end
/// (settled, time limit or step limit) without a panic, with the scripts'
/// effects on: the driver and the script reader never fail on real input.
#[test]
fn every_corpus_job_set_simulates_to_an_end() {
    use upc::simulate::{Options, Simulation};
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/upstart-real");
    let mut dirs: Vec<_> = std::fs::read_dir(&corpus)
        .expect("../shared/corpus/upstart-real")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut simulated = 0;
    for dir in dirs {
        let report = upc::check::check_paths(std::slice::from_ref(&dir));
        if report.errors() > 0 || report.jobs.is_empty() {
            continue;
        }
        let bytes = upc::build::build(&report.jobs, &report.sources).expect("build");
        let bundle = upc_bundle::validate_owned(bytes).expect("bundle");
        let options = Options {
            max_steps: 5_000,
            ..Options::default()
        };
        let mut sim = Simulation::new(bundle, options).expect("simulation");
        let outcome = sim.run();
        assert!(outcome.steps <= 5_000, "{}: {outcome:?}", dir.display());
        simulated += 1;
    }
    assert!(simulated > 50, "only {simulated} job sets simulated");
}

// ------------------------------------------------------------ errors

#[test]
fn a_broken_job_set_is_refused() {
    let dir = jobs(&[("a.conf", "start on startup\nnice 99\nexec /bin/a\n")]);
    let out = upc(&["simulate", path(&dir)]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("E0011"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("nothing simulated"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bad_arguments_are_usage_errors() {
    let cases: &[(&[&str], &str)] = &[
        (&["--duration", "tty1"], "expected JOB=MS or JOB:PROCESS=MS"),
        (
            &["--duration", "tty1=soon"],
            "`soon` is not a number of milliseconds",
        ),
        (&["--fail", "tty:pre-begin"], "unknown process `pre-begin`"),
        (
            &["--fail", "syslg"],
            "no job named `syslg` in the job set (did you mean `syslog`?)",
        ),
        (&["--duration", "nosuchjob=5"], "no job named `nosuchjob`"),
        (&["--emit", "net-up eth0"], "`eth0` is not KEY=VALUE"),
        (&["--format", "xml"], "invalid value 'xml'"),
        (&["--until", "-5"], "-5"),
        (
            &["--no-startup-event", "--startup-event", "x"],
            "cannot be used with",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["simulate", SYSTEM];
        all.extend_from_slice(args);
        let out = upc(&all);
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{args:?}");
    }
    let out = upc(&["simulate"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("<PATH>"));
}

#[test]
fn help_documents_the_exit_status() {
    let out = upc(&["simulate", "--help"]);
    let help = stdout(&out);
    assert!(
        help.contains("Exit status: 0 when the simulation came to rest"),
        "{help}"
    );
    for option in [
        "--duration",
        "--fail",
        "--emit",
        "--until",
        "--svg",
        "--format",
    ] {
        assert!(help.contains(option), "{option}");
    }
    assert!(Path::new(SYSTEM).is_relative());
}

#[test]
fn a_job_set_that_keeps_itself_busy_gives_up_quickly_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("flip.conf"),
        "start on startup or stopped flip\nstop on started flip\n",
    )
    .unwrap();
    let started = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_upc"))
        .args(["simulate", "-q"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("keeps itself busy"), "{text}");
    assert!(text.contains("events not finished: stopped ×"), "{text}");
    assert!(
        started.elapsed().as_secs() < 60,
        "took {:?}",
        started.elapsed()
    );
}
