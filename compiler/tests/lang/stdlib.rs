//! The standard job sets (`stdlib-jobs/system`, `container`, `session`)
//! and the boot test's jobs (`tests/boot/jobs`), through the real binary:
//! each checks clean with `--deny warnings` and builds a bundle that `upc
//! dump` reads back, and each behaves in `upc simulate` as its README
//! says: what runs after boot, what finishes, and the way down.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    root.join(path).to_str().expect("UTF-8 path").to_owned()
}

fn upc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_upc"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("run upc")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The job names of a set: its `*.conf` files.
fn job_names(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "conf"))
        .map(|p| p.file_stem().unwrap().to_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// `upc check --deny warnings` passes, and `upc build --deny warnings`
/// writes a bundle holding every job, which `upc dump` reads back.
fn checks_and_builds(dirs: &[&str]) {
    let mut check = vec!["check", "--deny", "warnings"];
    check.extend_from_slice(dirs);
    let out = upc(&check);
    assert_eq!(
        out.status.code(),
        Some(0),
        "upc check --deny warnings {dirs:?}:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    let tmp = tempfile::tempdir().expect("tempdir");
    let bundle: PathBuf = tmp.path().join("init.bundle");
    let bundle = bundle.to_str().expect("UTF-8 path");
    let mut build = vec!["build", "--deny", "warnings"];
    build.extend_from_slice(dirs);
    build.extend_from_slice(&["-o", bundle]);
    let out = upc(&build);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let jobs: usize = dirs.iter().map(|d| job_names(d).len()).sum();
    assert!(
        text(&out.stderr).contains(&format!("({jobs} jobs,"))
            || text(&out.stdout).contains(&format!("({jobs} jobs,")),
        "upc build did not write {jobs} jobs: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    let out = upc(&["dump", bundle]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let dump = text(&out.stdout);
    for dir in dirs {
        for job in job_names(dir) {
            assert!(
                dump.contains(&format!("\njob {job}\n")),
                "{job} is not in the bundle"
            );
        }
    }
}

/// `upc simulate --format json` on the given arguments.
fn simulate(args: &[&str]) -> (i32, Vec<Value>) {
    let mut all = vec!["simulate", "--format", "json"];
    all.extend_from_slice(args);
    let out = upc(&all);
    let records = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (out.status.code().expect("exit code"), records)
}

fn summary(records: &[Value]) -> &Value {
    let last = records.last().expect("a summary");
    assert_eq!(last["kind"], "summary");
    last
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .expect("a list")
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

/// The first time `job` entered `state` (at or after `from` ms).
fn entered_after(records: &[Value], job: &str, state: &str, from: u64) -> Option<u64> {
    records
        .iter()
        .filter(|r| r["kind"] == "state" && r["job"] == job && r["to"] == state)
        .filter_map(|r| r["t_ms"].as_u64())
        .find(|t| *t >= from)
}

fn entered(records: &[Value], job: &str, state: &str) -> Option<u64> {
    entered_after(records, job, state, 0)
}

/// The events named `name`, as (time, environment).
fn events<'a>(records: &'a [Value], name: &'a str) -> impl Iterator<Item = (u64, &'a Value)> + 'a {
    records
        .iter()
        .filter(move |r| r["kind"] == "event" && r["event"] == name)
        .map(|r| (r["t_ms"].as_u64().unwrap_or_default(), &r["env"]))
}

/// `stopped JOB` came with RESULT=ok.
fn finished_ok(records: &[Value], job: &str) -> bool {
    events(records, "stopped").any(|(_, env)| env["JOB"] == job && env["RESULT"] == "ok")
}

// ------------------------------------------------------------ every set

#[test]
fn the_system_set_checks_clean_and_builds() {
    checks_and_builds(&[&repo("stdlib-jobs/system")]);
}

#[test]
fn the_container_set_checks_clean_and_builds() {
    checks_and_builds(&[&repo("stdlib-jobs/container")]);
}

#[test]
fn the_session_set_checks_clean_and_builds() {
    checks_and_builds(&[&repo("stdlib-jobs/session")]);
}

#[test]
fn the_boot_test_jobs_check_clean_and_build_with_the_system_set() {
    checks_and_builds(&[&repo("stdlib-jobs/system"), &repo("tests/boot/jobs")]);
}

// ------------------------------------------------------------ system

#[test]
fn the_system_set_boots_to_its_services_with_every_boot_task_done() {
    let (status, records) = simulate(&[&repo("stdlib-jobs/system")]);
    assert_eq!(status, 0);
    let summary = summary(&records);
    assert_eq!(summary["end"], "settled");
    assert_eq!(summary["failed"], serde_json::json!([]));
    let running = names(&summary["running"]);
    for service in ["networking", "syslog", "cron"] {
        assert!(running.contains(&service), "{service}: {running:?}");
    }
    for task in [
        "mountall",
        "hostname",
        "flush-early-job-log",
        "rc-sysinit",
        "rc",
        "start-ttys",
    ] {
        assert!(finished_ok(&records, task), "{task} did not finish");
    }
    // The boot order the README draws.
    let at = |job: &str| entered(&records, job, "running").expect(job);
    assert!(at("mountall") < at("networking"));
    assert!(at("rc-sysinit") < at("rc"));
    assert!(at("rc") < at("start-ttys"), "the gettys wait for rc 2");
    assert!(at("rc-sysinit") <= at("cron"));
    // The network came up in time: the failsafe never fired, and only
    // the runlevel for the default level was entered.
    assert_eq!(events(&records, "failsafe-boot").count(), 0);
    let levels: Vec<&Value> = events(&records, "runlevel").map(|(_, env)| env).collect();
    assert_eq!(levels.len(), 1, "{levels:?}");
    assert_eq!(levels[0]["RUNLEVEL"], "2");
    // Not a container: container-detect says so, and nothing from the
    // way down ran.
    assert_eq!(events(&records, "not-container").count(), 1);
    for job in ["power-off", "control-alt-delete", "shutdown", "rcS"] {
        assert_eq!(
            entered(&records, job, "starting"),
            None,
            "{job} started at boot"
        );
    }
}

/// The way down the README describes: runlevel N stops the services,
/// rc N runs, and power-off starts only once rc N has finished.
fn goes_down(records: &[Value], level: &str, from: u64) {
    let runlevel = events(records, "runlevel")
        .find(|(t, env)| *t >= from && env["RUNLEVEL"] == level)
        .unwrap_or_else(|| panic!("no runlevel {level}"))
        .0;
    for service in ["syslog", "cron", "networking"] {
        let stopped = entered_after(records, service, "waiting", runlevel)
            .unwrap_or_else(|| panic!("{service} did not stop on runlevel {level}"));
        assert!(stopped >= runlevel);
    }
    let rc_done = events(records, "stopped")
        .find(|(t, env)| *t >= runlevel && env["JOB"] == "rc" && env["RUNLEVEL"] == level)
        .unwrap_or_else(|| panic!("rc {level} did not finish"))
        .0;
    let power_off = entered_after(records, "power-off", "starting", runlevel)
        .unwrap_or_else(|| panic!("power-off did not start on runlevel {level}"));
    assert!(
        power_off >= rc_done,
        "power-off at {power_off} before rc ended at {rc_done}"
    );
}

#[test]
fn control_alt_delete_reboots_through_runlevel_6_and_power_off() {
    let (status, records) = simulate(&[
        &repo("stdlib-jobs/system"),
        "--emit",
        "control-alt-delete@1000",
    ]);
    assert_eq!(status, 0);
    assert!(finished_ok(&records, "control-alt-delete"));
    goes_down(&records, "6", 1000);
}

#[test]
fn sigpwr_powers_off_through_runlevel_0_and_power_off() {
    let (status, records) = simulate(&[
        &repo("stdlib-jobs/system"),
        "--emit",
        "power-status-changed@1000",
    ]);
    assert_eq!(status, 0);
    assert!(finished_ok(&records, "shutdown"));
    goes_down(&records, "0", 1000);
}

#[test]
fn the_ttys_stop_when_the_system_leaves_the_multi_user_runlevels() {
    let (status, records) = simulate(&[
        &repo("stdlib-jobs/system"),
        "--emit",
        "runlevel RUNLEVEL=1 PREVLEVEL=2@1000",
    ]);
    assert_eq!(status, 0);
    // cron is a multi-user service; syslog and the network stay in 1.
    assert!(entered_after(&records, "cron", "waiting", 1000).is_some());
    let running = names(&summary(&records)["running"]);
    assert!(
        running.contains(&"syslog") && running.contains(&"networking"),
        "{running:?}"
    );
    assert_eq!(entered_after(&records, "power-off", "starting", 1000), None);
}

#[test]
fn the_boot_test_report_starts_once_every_test_job_has_settled() {
    let (_, records) = simulate(&[
        &repo("stdlib-jobs/system"),
        &repo("tests/boot/jobs"),
        "--fail",
        "crasher",
        "--fail",
        "broken-exec",
        "--fail",
        "broken-pre-start:pre-start",
    ]);
    let report = entered(&records, "boot-report", "running").expect("boot-report ran");
    let failed = names(&summary(&records)["failed"]);
    for job in ["crasher", "broken-exec", "broken-pre-start"] {
        assert!(failed.contains(&job), "{job}: {failed:?}");
        let stopped = events(&records, "stopped")
            .find(|(_, env)| env["JOB"] == job && env["RESULT"] == "failed")
            .unwrap_or_else(|| panic!("{job} never failed"))
            .0;
        assert!(
            stopped <= report,
            "{job} failed at {stopped}, after the report at {report}"
        );
    }
    for job in ["start-ttys", "syslog", "cron", "forker"] {
        let t = entered(&records, job, "running").expect(job);
        assert!(t <= report, "{job} at {t}, after the report at {report}");
    }
    // The crasher was respawned until its limit: 3 respawns in 5 s, the
    // fourth stops it.
    let respawn_limit = events(&records, "stopped")
        .find(|(_, env)| env["JOB"] == "crasher")
        .map(|(_, env)| env["PROCESS"].clone());
    assert_eq!(respawn_limit, Some(Value::from("respawn")));
}

// ------------------------------------------------------------ container

#[test]
fn the_container_set_starts_the_log_forwarder_before_the_app_and_the_check_after_it() {
    let (status, records) = simulate(&[&repo("stdlib-jobs/container")]);
    assert_eq!(status, 0);
    let running = names(&summary(&records)["running"]);
    for job in ["app", "log-forwarder", "healthcheck"] {
        assert!(running.contains(&job), "{job}: {running:?}");
    }
    let at = |job: &str, state: &str| entered(&records, job, state).expect(job);
    assert!(at("log-forwarder", "running") <= at("app", "pre-start"));
    assert!(at("app", "running") <= at("healthcheck", "starting"));
}

#[test]
fn the_container_app_that_cannot_start_takes_nothing_else_down_with_it() {
    let (status, records) = simulate(&[&repo("stdlib-jobs/container"), "--fail", "app:pre-start"]);
    assert_eq!(status, 1);
    let summary = summary(&records);
    assert_eq!(names(&summary["failed"]), ["app"]);
    // The forwarder follows the app down; the check never starts.
    assert!(!names(&summary["running"]).contains(&"log-forwarder"));
    assert_eq!(entered(&records, "healthcheck", "starting"), None);
}

// ------------------------------------------------------------ session

#[test]
fn the_session_set_runs_its_agents_until_the_session_ends() {
    let (status, records) = simulate(&[
        &repo("stdlib-jobs/session"),
        "--emit",
        "session-end TYPE=logout@1000",
    ]);
    assert_eq!(status, 0);
    for job in ["dbus", "ssh-agent"] {
        let up = entered(&records, job, "running").expect(job);
        let down = entered_after(&records, job, "waiting", up).expect(job);
        assert!(down >= 1000, "{job} stopped at {down}, before session-end");
    }
    assert!(finished_ok(&records, "logrotate"));
}

#[test]
fn logrotate_runs_again_on_rotate_logs() {
    let (status, records) = simulate(&[&repo("stdlib-jobs/session"), "--emit", "rotate-logs@1000"]);
    assert_eq!(status, 0);
    assert!(entered_after(&records, "logrotate", "running", 1000).is_some());
}

// ------------------------------------------------------------ pictures

/// The timelines the sets' READMEs show are what `upc simulate` draws
/// now. Regenerate them from the repository root with the commands in
/// stdlib-jobs/*/README.md (`upc simulate -q ... --svg docs/...`).
#[test]
fn the_readme_timelines_are_up_to_date() {
    let pictures: &[(&str, &[&str])] = &[
        ("docs/timeline-stdlib-system.svg", &["stdlib-jobs/system"]),
        (
            "docs/timeline-stdlib-system-reboot.svg",
            &["stdlib-jobs/system", "--emit", "control-alt-delete@1000"],
        ),
        (
            "docs/timeline-stdlib-container.svg",
            &["stdlib-jobs/container"],
        ),
        (
            "docs/timeline-stdlib-session.svg",
            &[
                "stdlib-jobs/session",
                "--emit",
                "session-end TYPE=logout@1000",
            ],
        ),
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let tmp = tempfile::tempdir().expect("tempdir");
    for (picture, args) in pictures {
        let fresh = tmp.path().join("fresh.svg");
        let mut all = vec!["simulate", "-q"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--svg", fresh.to_str().expect("UTF-8 path")]);
        let out = Command::new(env!("CARGO_BIN_EXE_upc"))
            .args(&all)
            .current_dir(&root)
            .output()
            .expect("run upc");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let now = std::fs::read_to_string(&fresh).expect("the picture");
        let committed = std::fs::read_to_string(root.join(picture))
            .unwrap_or_else(|e| panic!("{picture}: {e}"));
        assert!(
            now == committed,
            "{picture} is stale: regenerate it with `upc {}` (from the repository root)",
            all.join(" ").replace(fresh.to_str().unwrap(), picture)
        );
    }
}
