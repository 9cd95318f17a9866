//! The real runtime against real Upstart 1.13.2: every scenario of
//! `../shared/oracle` (see its README.md) run under the real `upinit` as
//! PID 1 of a fresh PID namespace, its `jobs/` built by the real `upc
//! build`, its commands issued through the real `upctl` (called `initctl`,
//! as the oracle's harness called Upstart's), and upinit's `--trace`
//! compared with `trace.jsonl`.
//!
//! - The steps are those of `replay.txt` with the `status` and `list`
//!   queries of `commands` put back (`upc_oracle::replay`): the harness's
//!   `emit --no-wait startup` (upinit runs with `--no-startup-event`), then
//!   each command waiting as initctl waits, and the pauses. The run ends
//!   after the last step, as the oracle's did.
//! - Processes are real: the jobs' `sh`, `sleep` and `echo` (and, for
//!   `e-expect-daemon`, `ddaemon.c` compiled by the test with the system's
//!   C compiler and bound over /usr/local/bin in the namespace).
//! - The order in which classes react to one event is Upstart's hash order;
//!   it is read off the oracle trace into `--class-order`, as the
//!   simulator's test does.
//! - The comparison is the simulator's (`upc_oracle::compare`, shared with
//!   compiler/tests/simulate/oracle.rs): the answers to the commands (exit status
//!   and lines; `list` sorted; pids renamed as in the trace) exactly; the
//!   core records exactly, or for the scenarios racy inside Upstart (`b`,
//!   `y`) per instance with the events in any order; and what the jobs
//!   printed on the console (`output`, captured by `--capture-console`),
//!   in order, or as a multiset where the scenario is racy.
//! - `PENDING` lists scenarios that need what upinit does not do yet, with
//!   the reason; they still run, and one that starts to match fails the
//!   test until it is taken off the list.
//!
//! Needs root (CI is root), util-linux's `unshare` and a C compiler (`cc`;
//! apt-get install gcc).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod harness;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use harness::{Init, Scenario};
use upc_oracle::{compare, replay, trace};

/// Scenarios that need what upinit does not do yet, and why. Remove an
/// entry once upinit does it.
const PENDING: &[(&str, &str)] = &[];

/// The longest a command may take before it counts as not answered (the
/// scenarios' longest wait is about a second).
const COMMAND_PATIENCE: Duration = Duration::from_secs(10);

/// The longest the test waits for main processes between fork and exec
/// before a command ([`exec_settled`]).
const EXEC_PATIENCE: Duration = Duration::from_secs(2);

use upc_oracle::Mode;

fn read(path: &Path) -> String {
    upc_oracle::read(path).unwrap_or_else(|e| panic!("{e}"))
}

/// Copies the scenario's job files into the test's `jobs/`.
fn copy_jobs(from: &Path, s: &Scenario) {
    for entry in fs::read_dir(from).expect("the scenario's jobs") {
        let path = entry.expect("a job file").path();
        let name = path.file_name().expect("a file name");
        fs::copy(&path, s.path("jobs").join(name)).expect("copy a job file");
    }
}

/// Compiles the scenario's `ddaemon.c` into `bin/ddaemon` and returns the
/// shell that puts it at /usr/local/bin/ddaemon inside the namespace.
fn ddaemon_setup(source: &Path, s: &Scenario) -> String {
    let bin = s.path("bin");
    fs::create_dir_all(&bin).expect("bin dir");
    let built = Command::new("cc")
        .arg("-O2")
        .arg("-o")
        .arg(bin.join("ddaemon"))
        .arg(source)
        .output()
        .expect("`cc` is missing: apt-get install gcc");
    assert!(
        built.status.success(),
        "cc {}: {}",
        source.display(),
        String::from_utf8_lossy(&built.stderr)
    );
    format!(
        "mount --make-rprivate /\nmount --bind {} /usr/local/bin",
        bin.display()
    )
}

/// Boots the scenario's jobs under upinit (Upstart's class order, no
/// startup event: the harness emits it).
fn boot(dir: &Path, s: &Scenario, class_order: &[String]) -> Init {
    copy_jobs(&dir.join("jobs"), s);
    let order = class_order.join(",");
    let mut args: Vec<String> = vec![
        "--bundle".into(),
        s.bundle().display().to_string(),
        "--socket".into(),
        s.p("upinit.sock"),
        "--logdir".into(),
        s.p("logs"),
        "--trace".into(),
        s.p("trace.jsonl"),
        "--capture-console".into(),
        "--no-startup-event".into(),
    ];
    if !order.is_empty() {
        args.extend(["--class-order".into(), order]);
    }
    let daemon = dir.join("ddaemon.c");
    let setup = daemon.is_file().then(|| ddaemon_setup(&daemon, s));
    let init = s.start(&[], setup.as_deref(), &args);
    init.wait_ready();
    init
}

/// Waits until no instance is in `spawned` (a main process forked and not
/// yet known to have exec'd), for at most [`EXEC_PATIENCE`].
///
/// Upstart 1.13 and upinit both learn of an exec asynchronously (the
/// error pipe's EOF), so a request that arrives while a process is still
/// on its way to exec sees `spawned` where a slower one sees `running`. The
/// oracle's initctl went through D-Bus and always arrived after the exec
/// (g-and-holds-starting's races.txt: `K start/running` in every run);
/// upctl's request can arrive within a millisecond of the previous reply.
/// Waiting here gives each command the moment the oracle's had. An
/// instance that stays in `spawned` (`expect` waiting for a fork or a
/// stop) is left as it is after the wait.
fn exec_settled(init: &Init) {
    let start = std::time::Instant::now();
    loop {
        let text = fs::read_to_string(&init.trace).unwrap_or_default();
        let records = trace::parse_run_trace(&text, "upinit's trace").unwrap_or_default();
        let mut spawned: Vec<(Option<String>, Option<String>)> = Vec::new();
        for r in records.iter().filter(|r| r.kind == "state") {
            let who = (r.job.clone(), r.instance.clone());
            spawned.retain(|w| *w != who);
            if r.to.as_deref() == Some("spawned") {
                spawned.push(who);
            }
        }
        if spawned.is_empty() || start.elapsed() > EXEC_PATIENCE {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Runs the scenario and returns the comparison's verdict.
fn run_scenario(name: &str, mode: Mode) -> Result<(), String> {
    let dir = upc_oracle::oracle_dir().join(name);
    let oracle = trace::parse_trace(&read(&dir.join("trace.jsonl")), "trace.jsonl")
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let replay = replay::parse_replay(&read(&dir.join("replay.txt")))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let steps = replay::with_queries(replay.steps, &read(&dir.join("commands")))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let s = Scenario::new();
    let init = boot(&dir, &s, &trace::class_order(&oracle));

    // (command, exit status, output lines) of each command, in order.
    let mut answers: Vec<(String, i64, Vec<String>)> = Vec::new();
    for step in &steps {
        match step.args() {
            None => {
                if let replay::Step::Sleep(ms) = step {
                    std::thread::sleep(Duration::from_millis(*ms));
                }
            }
            Some(args) => {
                exec_settled(&init);
                let r = init.initctl(&args, COMMAND_PATIENCE);
                let mut lines: Vec<String> = r.stdout.lines().map(str::to_owned).collect();
                lines.extend(r.stderr.lines().map(str::to_owned));
                if r.code == -1 {
                    lines.push(format!("(no answer within {COMMAND_PATIENCE:?})"));
                }
                answers.push((step.to_string(), i64::from(r.code), lines));
            }
        }
    }
    let text = fs::read_to_string(&init.trace).unwrap_or_default();
    drop(init);

    let mut run =
        trace::parse_run_trace(&text, "upinit's trace").unwrap_or_else(|e| panic!("{name}: {e}"));
    let pids = trace::name_pids(&mut run);
    let got_answers: Vec<String> = answers
        .iter()
        .map(|(command, rc, lines)| {
            let lines: Vec<String> = lines.iter().map(|l| pids.rename_in(l)).collect();
            compare::answer(command, *rc, &lines)
        })
        .collect();
    let mut report = String::new();
    if let Err(diff) = compare::exact_text(&compare::oracle_answers(&oracle), &got_answers) {
        report.push_str(&format!("the answers to the commands differ:\n{diff}"));
    }
    let (expected, got) = (compare::core_lines(&oracle), compare::core_lines(&run));
    assert!(
        !expected.is_empty(),
        "{name}: no core records in trace.jsonl"
    );
    let core = match mode {
        Mode::Exact => compare::exact(&expected, &got),
        Mode::Tolerant => compare::exact(&expected, &got)
            .map(|()| eprintln!("{name}: matches the stored trace exactly"))
            .or_else(|_| compare::tolerant(&expected, &got)),
    };
    if let Err(diff) = core {
        report.push_str(&format!("the trace differs:\n{diff}"));
    }
    let (expected, got) = (compare::output_lines(&oracle), compare::output_lines(&run));
    let output = match mode {
        Mode::Exact => compare::exact_text(&expected, &got),
        Mode::Tolerant => compare::same_multiset(&expected, &got),
    };
    if let Err(diff) = output {
        report.push_str(&format!("the console output differs:\n{diff}"));
    }
    if report.is_empty() {
        Ok(())
    } else {
        Err(report)
    }
}

fn scenario(name: &str, mode: Mode) {
    let runner = upc_oracle::Runner {
        what: "upinit",
        exceptions: PENDING,
        list: "runtime/init/tests/oracle.rs (PENDING)",
    };
    upc_oracle::judge(name, mode, run_scenario(name, mode), &runner);
}

upc_oracle::scenario_tests!(scenario);
