//! Processes as upinit starts them (runtime-semantics §9–§14), observed
//! from inside the job: every `console` mode, every process setting, the
//! environment, spawn failures and the kill timeout. Real binaries, each
//! test in its own PID namespace (see harness/mod.rs).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod harness;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use harness::{field, Scenario};

/// A task that runs `body` on `startup` with `stanzas`, writing what it
/// sees to `out` (console none: only the file tells).
fn task(s: &Scenario, stanzas: &str, body: &str) {
    s.job(
        "probe",
        &format!("start on startup\ntask\nconsole none\n{stanzas}\nscript\n{body}\nend script\n"),
    );
}

fn probe(stanzas: &str, body: &str) -> String {
    let s = Scenario::new();
    let out = s.p("out");
    task(&s, stanzas, &body.replace("OUT", &out));
    let init = s.boot(&[]);
    init.wait_state("probe", "waiting");
    fs::read_to_string(&out).unwrap_or_else(|e| panic!("{out}: {e}\n{}", init.messages()))
}

// ---------------------------------------------------------------------------
// console

#[test]
fn console_output_lines_reach_the_console() {
    let s = Scenario::new();
    s.job(
        "talk",
        "start on startup\ntask\nconsole output\nexec echo hello from the job\n",
    );
    let init = s.boot(&[]);
    init.wait_console("hello from the job");
    let output = init
        .trace()
        .into_iter()
        .find(|r| r["kind"] == "output")
        .expect("an output record");
    assert_eq!(output["text"], "hello from the job");
}

#[test]
fn console_none_gives_the_job_dev_null() {
    let out = probe(
        "",
        "fds=$(readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2)\necho \"$fds\" > OUT\necho lost",
    );
    assert_eq!(out, "/dev/null\n/dev/null\n/dev/null\n");
}

#[test]
fn console_log_writes_the_jobs_log_file_through_a_pty() {
    let s = Scenario::new();
    s.job(
        "logger",
        "start on startup\ntask\nconsole log\nscript\n  [ -t 1 ] && echo \"stdout is a tty\"\n  echo to stderr >&2\n  readlink /proc/self/fd/0\nend script\n",
    );
    let init = s.boot(&[]);
    init.wait_state("logger", "waiting");
    init.wait_until("the log file", |i| {
        i.log("logger.log").contains("/dev/null")
    });
    let log = init.log("logger.log");
    assert_eq!(log, "stdout is a tty\r\nto stderr\r\n/dev/null\r\n");
    let mode = fs::metadata(init.logs.join("logger.log"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
}

#[test]
fn console_log_is_the_default_and_names_instances_job_dash_instance() {
    let s = Scenario::new();
    s.job(
        "inst",
        "instance $N\nscript\n  echo \"instance $N\"\nend script\n",
    );
    let init = s.boot(&[]);
    init.wait_ready();
    let r = init.ctl(&["start", "inst", "N=a/b"]);
    assert_eq!(r.code, 0, "{r:?}");
    init.wait_until("the instance log", |i| {
        i.log("inst-a_b.log").contains("instance a/b")
    });
}

#[test]
fn a_job_that_writes_nothing_creates_no_log_file() {
    let s = Scenario::new();
    s.job("quiet", "start on startup\ntask\nexec true\n");
    let init = s.boot(&[]);
    init.wait_state("quiet", "waiting");
    assert!(!init.logs.join("quiet.log").exists());
}

#[test]
fn log_output_waits_in_memory_until_the_disk_is_writable() {
    let s = Scenario::new();
    s.job("early", "start on startup\ntask\nexec echo written early\n");
    // The log directory is on a read-only mount until it is made writable.
    let logs = s.p("logs");
    fs::create_dir_all(&logs).unwrap();
    let setup = format!("mount -t tmpfs -o ro tmpfs {logs}");
    let bundle = s.bundle();
    let args: Vec<String> = [
        "--bundle",
        &bundle.display().to_string(),
        "--socket",
        &s.p("upinit.sock"),
        "--logdir",
        &logs,
        "--capture-console",
        "--verbose",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    let init = s.start(&[], Some(&setup), &args);
    init.wait_ready();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let r = init.ctl(&["log", "early"]);
    assert!(
        r.stdout.contains("written early"),
        "the buffer is readable: {r:?}"
    );
    // The test cannot reach into the namespace's mount: remount through a
    // job of init's.
    fs::write(
        s.path("jobs/remount.conf"),
        format!("task\nexec mount -o remount,rw {logs}\n"),
    )
    .unwrap();
    s.bundle();
    init.signal(nix::sys::signal::Signal::SIGHUP);
    init.wait_message("reloaded");
    let r = init.ctl(&["start", "remount"]);
    assert_eq!(r.code, 0, "{r:?}");
    let r = init.ctl(&["notify-disk-writeable"]);
    assert_eq!(r.code, 0, "{r:?}");
    // The file is inside the namespace's tmpfs: read it through a job.
    fs::write(
        s.path("jobs/show.conf"),
        format!("task\nconsole output\nexec cat {logs}/early.log\n"),
    )
    .unwrap();
    s.bundle();
    init.signal(nix::sys::signal::Signal::SIGHUP);
    init.wait_until("the second reload", |i| {
        i.messages().matches("reloaded").count() >= 2
    });
    let r = init.ctl(&["start", "show"]);
    assert_eq!(r.code, 0, "{r:?}");
    init.wait_console("written early");
}

#[test]
fn console_owner_makes_the_console_the_controlling_terminal_and_output_does_not() {
    use nix::pty::openpty;
    let pty = openpty(None, None).unwrap();
    let name = fs::read_link(format!(
        "/proc/self/fd/{}",
        std::os::fd::AsRawFd::as_raw_fd(&pty.slave)
    ))
    .unwrap()
    .display()
    .to_string();
    let s = Scenario::new();
    let out = s.p("out");
    for (job, mode) in [("owner", "owner"), ("output", "output")] {
        s.job(
            job,
            &format!(
                "start on startup\ntask\nconsole {mode}\nscript\n  echo \"{job} tty_nr=$(cut -d' ' -f7 /proc/self/stat) fd0=$(readlink /proc/self/fd/0)\" >> {out}\nend script\n"
            ),
        );
    }
    let bundle = s.bundle();
    let args: Vec<String> = vec![
        "--bundle".into(),
        bundle.display().to_string(),
        "--socket".into(),
        s.p("upinit.sock"),
        "--console".into(),
        name.clone(),
        "--trace".into(),
        s.p("trace.jsonl"),
    ];
    let init = s.start(&[], None, &args);
    init.wait_until("both jobs", |_| {
        fs::read_to_string(&out).is_ok_and(|t| t.lines().count() == 2)
    });
    let text = fs::read_to_string(&out).unwrap();
    let line = |job: &str| {
        text.lines()
            .find(|l| l.starts_with(job))
            .unwrap()
            .to_owned()
    };
    assert!(line("owner").ends_with(&format!("fd0={name}")), "{text}");
    assert!(
        !line("owner").contains("tty_nr=0 "),
        "owner has a controlling tty: {text}"
    );
    assert!(
        line("output").contains("tty_nr=0 "),
        "output has none: {text}"
    );
    drop(pty);
}

// ---------------------------------------------------------------------------
// process settings

#[test]
fn umask_is_the_jobs() {
    assert_eq!(probe("umask 027", "umask > OUT"), "0027\n");
    assert_eq!(probe("", "umask > OUT"), "0022\n");
}

#[test]
fn nice_is_the_jobs() {
    assert_eq!(
        probe("nice 7", "cut -d' ' -f19 /proc/self/stat > OUT"),
        "7\n"
    );
}

#[test]
fn oom_score_adj_is_the_jobs() {
    assert_eq!(
        probe("oom score 345", "cat /proc/self/oom_score_adj > OUT"),
        "345\n"
    );
    // Lower scores (and `never`) need CAP_SYS_RESOURCE, which the test
    // machines' root lacks.
}

#[test]
fn every_resource_limit_is_the_jobs() {
    let stanzas = "\
limit as 900000000 unlimited
limit core 0 unlimited
limit cpu 1000 2000
limit data unlimited unlimited
limit fsize 100000000 200000000
limit memlock 65536 131072
limit msgqueue 8192 16384
limit nice 0 0
limit nofile 123 456
limit nproc 1000 2000
limit rss 300000000 unlimited
limit rtprio 0 0
limit sigpending 500 600
limit stack 4194304 8388608";
    let limits = probe(stanzas, "cat /proc/self/limits > OUT");
    let with_unit = |name: &str| {
        // Rows with a unit column: "Max cpu time  1000  2000  seconds".
        let l = limits.lines().find(|l| l.starts_with(name)).unwrap();
        let words: Vec<&str> = l.split_whitespace().collect();
        let n = words.len();
        format!("{} {}", words[n - 3], words[n - 2])
    };
    assert_eq!(with_unit("Max address space"), "900000000 unlimited");
    assert_eq!(with_unit("Max core file size"), "0 unlimited");
    assert_eq!(with_unit("Max cpu time"), "1000 2000");
    assert_eq!(with_unit("Max data size"), "unlimited unlimited");
    assert_eq!(with_unit("Max file size"), "100000000 200000000");
    assert_eq!(with_unit("Max locked memory"), "65536 131072");
    assert_eq!(with_unit("Max msgqueue size"), "8192 16384");
    assert_eq!(with_unit("Max open files"), "123 456");
    assert_eq!(with_unit("Max processes"), "1000 2000");
    assert_eq!(with_unit("Max resident set"), "300000000 unlimited");
    assert_eq!(with_unit("Max pending signals"), "500 600");
    assert_eq!(with_unit("Max stack size"), "4194304 8388608");
    // No unit column for these two.
    let plain = |name: &str| {
        let l = limits.lines().find(|l| l.starts_with(name)).unwrap();
        let words: Vec<&str> = l.split_whitespace().collect();
        let n = words.len();
        format!("{} {}", words[n - 2], words[n - 1])
    };
    assert_eq!(plain("Max nice priority"), "0 0");
    assert_eq!(plain("Max realtime priority"), "0 0");
}

#[test]
fn a_job_gets_inits_original_open_file_limit_back() {
    // upinit raises its own soft `nofile`; jobs see what init started
    // with (here the test's own limit).
    let (soft, hard) =
        nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).unwrap();
    let fmt = |v: u64| {
        if v == nix::libc::RLIM_INFINITY {
            "unlimited".to_owned()
        } else {
            v.to_string()
        }
    };
    assert_eq!(
        probe("", "ulimit -Sn > OUT; ulimit -Hn >> OUT"),
        format!("{}\n{}\n", fmt(soft), fmt(hard))
    );
}

#[test]
fn chdir_is_the_jobs_and_slash_otherwise() {
    let s = Scenario::new();
    let dir = s.p("");
    let out = s.p("out");
    task(&s, &format!("chdir {dir}"), &format!("pwd > {out}"));
    let init = s.boot(&[]);
    init.wait_state("probe", "waiting");
    assert_eq!(
        fs::read_to_string(&out).unwrap().trim_end(),
        dir.trim_end_matches('/')
    );
    assert_eq!(probe("", "pwd > OUT"), "/\n");
}

#[test]
fn chroot_runs_the_job_inside_its_root() {
    let s = Scenario::new();
    let root = s.path("root");
    for d in ["usr", "etc", "tmp"] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    for l in ["bin", "lib", "lib64", "sbin"] {
        if std::path::Path::new(&format!("/{l}")).exists() {
            std::os::unix::fs::symlink(format!("usr/{l}"), root.join(l)).unwrap();
        }
    }
    fs::write(root.join("etc/inside"), "").unwrap();
    s.job(
        "jail",
        &format!(
            "start on startup\ntask\nconsole none\nchroot {}\nexec /bin/sh -c 'ls /etc > /tmp/out; pwd >> /tmp/out'\n",
            root.display()
        ),
    );
    let bundle = s.bundle();
    let setup = format!("mount --bind /usr {}/usr", root.display());
    let args: Vec<String> = vec![
        "--bundle".into(),
        bundle.display().to_string(),
        "--socket".into(),
        s.p("upinit.sock"),
        "--trace".into(),
        s.p("trace.jsonl"),
        "--capture-console".into(),
    ];
    let init = s.start(&[], Some(&setup), &args);
    init.wait_state("jail", "waiting");
    assert_eq!(
        fs::read_to_string(root.join("tmp/out")).unwrap(),
        "inside\n/\n"
    );
}

/// A passwd and group of the test's own, bind-mounted over /etc's inside
/// the namespace only.
fn with_users(s: &Scenario) -> String {
    let out = s.path("out");
    fs::write(&out, "").unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o666)).unwrap();
    fs::write(
        s.path("passwd"),
        "root:x:0:0:root:/root:/bin/sh\nupitest:x:4242:4343:t:/:/bin/sh\nnobody:x:65534:65534:n:/:/bin/sh\n",
    )
    .unwrap();
    fs::write(
        s.path("group"),
        "root:x:0:\nupiprim:x:4343:\nupiextra:x:4444:upitest\nupimore:x:4545:upitest\nupiother:x:4646:\nnogroup:x:65534:\n",
    )
    .unwrap();
    format!(
        "mount --bind {} /etc/passwd\nmount --bind {} /etc/group",
        s.p("passwd"),
        s.p("group")
    )
}

fn boot_with(s: &Scenario, setup: &str) -> harness::Init {
    let bundle = s.bundle();
    let args: Vec<String> = vec![
        "--bundle".into(),
        bundle.display().to_string(),
        "--socket".into(),
        s.p("upinit.sock"),
        "--logdir".into(),
        s.p("logs"),
        "--trace".into(),
        s.p("trace.jsonl"),
        "--capture-console".into(),
    ];
    s.start(&[], Some(setup), &args)
}

#[test]
fn setuid_runs_as_the_user_with_their_group_and_supplementary_groups() {
    let s = Scenario::new();
    let out = s.p("out");
    task(
        &s,
        "setuid upitest",
        &format!("id -u > {out}; id -g >> {out}; id -G >> {out}"),
    );
    let setup = with_users(&s);
    let init = boot_with(&s, &setup);
    init.wait_state("probe", "waiting");
    assert_eq!(
        fs::read_to_string(&out).unwrap(),
        "4242\n4343\n4343 4444 4545\n"
    );
}

#[test]
fn setgid_overrides_the_group() {
    let s = Scenario::new();
    let out = s.p("out");
    task(
        &s,
        "setuid upitest\nsetgid upiother",
        &format!("id -u > {out}; id -g >> {out}"),
    );
    let setup = with_users(&s);
    let init = boot_with(&s, &setup);
    init.wait_state("probe", "waiting");
    assert_eq!(fs::read_to_string(&out).unwrap(), "4242\n4646\n");
}

#[test]
fn a_long_script_is_read_from_fd_9_as_the_setuid_user() {
    let s = Scenario::new();
    let out = s.p("out");
    // Longer than a pipe's buffer: the rest is written as the shell reads.
    let filler: String = (0..4000)
        .map(|n| format!(": filler line {n:08} xxxxxxxxxxxxxxxx\n"))
        .collect();
    s.job(
        "long",
        &format!(
            "start on startup\ntask\nconsole none\nsetuid upitest\nscript\n{filler}id -u > {out}\necho done >> {out}\nend script\n"
        ),
    );
    let setup = with_users(&s);
    let init = boot_with(&s, &setup);
    init.wait_state("long", "waiting");
    assert_eq!(fs::read_to_string(&out).unwrap(), "4242\ndone\n");
}

// ---------------------------------------------------------------------------
// environment

#[test]
fn the_environment_is_global_then_env_stanzas_then_the_start_request() {
    let s = Scenario::new();
    let out = s.p("out");
    s.job(
        "envy",
        &format!(
            "env FOO=stanza\nenv KEEP=kept\ninstance $FOO\nconsole none\ntask\nscript\n  env | sort > {out}\nend script\n"
        ),
    );
    let init = s.boot(&[]);
    init.wait_ready();
    let r = init.ctl(&["start", "envy", "FOO=request", "EXTRA=1"]);
    assert_eq!(r.code, 0, "{r:?}");
    let env = fs::read_to_string(&out).unwrap();
    assert_eq!(field(&env, "FOO").as_deref(), Some("request"));
    assert_eq!(field(&env, "KEEP").as_deref(), Some("kept"));
    assert_eq!(field(&env, "EXTRA").as_deref(), Some("1"));
    assert_eq!(field(&env, "UPSTART_JOB").as_deref(), Some("envy"));
    assert_eq!(field(&env, "UPSTART_INSTANCE").as_deref(), Some("request"));
    assert_eq!(
        field(&env, "PATH").as_deref(),
        Some("/usr/local/sbin:/usr/local/bin:/usr/bin:/usr/sbin:/sbin:/bin")
    );
    assert_eq!(
        field(&env, "UPSTART_EVENTS"),
        None,
        "a start request names no events"
    );
}

#[test]
fn an_event_start_sees_the_events_environment_and_names() {
    let s = Scenario::new();
    let out = s.p("out");
    s.job(
        "ev",
        &format!(
            "start on go and also\nconsole none\ntask\nscript\n  env | sort > {out}\nend script\n"
        ),
    );
    let init = s.boot(&[]);
    init.wait_ready();
    assert_eq!(
        init.ctl(&["emit", "--no-wait", "go", "A=1", "B=x y"]).code,
        0
    );
    assert_eq!(init.ctl(&["emit", "also", "B=2"]).code, 0);
    init.wait_state("ev", "waiting");
    let env = fs::read_to_string(&out).unwrap();
    assert_eq!(field(&env, "A").as_deref(), Some("1"));
    assert_eq!(field(&env, "B").as_deref(), Some("2"));
    assert_eq!(field(&env, "UPSTART_EVENTS").as_deref(), Some("go also"));
}

#[test]
fn an_exec_line_with_shell_characters_expands_through_sh_and_a_plain_one_runs_directly() {
    let s = Scenario::new();
    let out = s.p("out");
    s.job(
        "expand",
        &format!(
            "env WHO=world\nconsole none\ntask\nexec /bin/sh -c \"echo hello $WHO > {out}\"\n"
        ),
    );
    s.job("direct", "console none\ntask\nexec /bin/sleep 0\n");
    let init = s.boot(&[]);
    init.wait_ready();
    assert_eq!(init.ctl(&["start", "expand"]).code, 0);
    assert_eq!(fs::read_to_string(&out).unwrap(), "hello world\n");
    assert_eq!(init.ctl(&["start", "direct"]).code, 0);
}

// ---------------------------------------------------------------------------
// failures: one job fails, nothing else does

/// Boots `bad` (with `stanzas`) beside a healthy `good` service and checks
/// that only `bad` failed, with `reason` on the console, in its log, in the
/// trace and in `upctl status` and `list` (and their `--json`), and that
/// init still answers.
fn fails_alone(stanzas: &str, exec: &str, reason: &str, extra: &[&str]) {
    let s = Scenario::new();
    fs::write(s.path("file"), "").unwrap();
    s.job("good", "start on startup\nconsole none\nexec sleep 1000\n");
    s.job(
        "bad",
        &format!("start on startup\n{stanzas}\nexec {exec}\n"),
    );
    let extra: Vec<String> = extra.iter().map(|a| a.replace("DIR", &s.p(""))).collect();
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let init = s.boot(&extra);
    let text = format!("Failed to spawn bad main process: {reason}");
    init.wait_message(&text);
    init.wait_state("good", "running");
    init.wait_state("bad", "waiting");
    let stopped = init.wait_record(&[("kind", "event"), ("event", "stopped")]);
    assert_eq!(stopped["env"]["JOB"], "bad");
    assert_eq!(stopped["env"]["RESULT"], "failed");
    let why = format!("main process: {reason}");
    let shown = format!("bad stop/waiting\n\tlast run failed: {why}\n");
    let status = init.ctl(&["status", "bad"]);
    assert_eq!((status.code, status.stdout.as_str()), (0, shown.as_str()));
    let list = init.ctl(&["list"]);
    assert!(list.stdout.starts_with(&shown), "{list:?}");
    let good = init.ctl(&["status", "good"]);
    assert!(
        good.stdout.starts_with("good start/running, process "),
        "{good:?}"
    );
    let failure = serde_json::json!({"instance": "", "process": "main", "message": why});
    for args in [&["status", "--json", "bad"][..], &["list", "--json"]] {
        let json = init.ctl(args);
        let first = json.stdout.lines().next().unwrap_or_default();
        let record: serde_json::Value = serde_json::from_str(first).unwrap();
        assert_eq!(record["job"], "bad", "{json:?}");
        assert_eq!(record["failure"], failure, "{json:?}");
    }
    if !extra.iter().any(|a| a.starts_with("--logdir")) {
        init.wait_until("the failure in the job's log", |i| {
            i.log("bad.log").contains(&text)
        });
    }
}

#[test]
fn a_missing_binary_fails_only_that_job() {
    fails_alone(
        "",
        "/no/such/binary",
        "unable to execute: No such file or directory",
        &[],
    );
}

#[test]
fn an_unknown_setuid_user_fails_only_that_job() {
    fails_alone(
        "setuid no-such-user-here",
        "sleep 1",
        "unable to find setuid user",
        &[],
    );
}

#[test]
fn an_unknown_setgid_group_fails_only_that_job() {
    fails_alone(
        "setgid no-such-group-here",
        "sleep 1",
        "unable to find setgid group",
        &[],
    );
}

#[test]
fn a_limit_the_kernel_refuses_fails_only_that_job() {
    fails_alone(
        "limit nofile 99999999 99999999",
        "sleep 1",
        "unable to set \"nofile\" resource limit: Operation not permitted",
        &[],
    );
}

#[test]
fn a_missing_chroot_fails_only_that_job() {
    fails_alone(
        "chroot /no/such/root",
        "sleep 1",
        "unable to change root directory: No such file or directory",
        &[],
    );
}

#[test]
fn a_missing_chdir_fails_only_that_job() {
    fails_alone(
        "chdir /no/such/dir",
        "sleep 1",
        "unable to change working directory: No such file or directory",
        &[],
    );
}

#[test]
fn a_log_directory_that_cannot_be_created_fails_only_that_job() {
    fails_alone(
        "console log",
        "sleep 1",
        "unable to create log directory: Not a directory",
        &["--logdir", "DIR/file/logs"],
    );
}

#[test]
fn a_failing_pre_start_shows_in_status_until_the_job_starts_cleanly() {
    let s = Scenario::new();
    let flag = s.p("fail");
    fs::write(&flag, "").unwrap();
    s.job(
        "flaky",
        &format!("console none\npre-start exec test ! -e {flag}\nexec sleep 1000\n"),
    );
    let init = s.boot(&[]);
    init.wait_ready();
    let start = init.ctl(&["start", "flaky"]);
    assert_eq!(
        (start.code, start.stderr.as_str()),
        (1, "upctl: Job failed to start\n"),
        "{start:?}"
    );
    let failed =
        "flaky stop/waiting\n\tlast run failed: pre-start process terminated with status 1\n";
    assert_eq!(init.ctl(&["status", "flaky"]).stdout, failed);
    assert_eq!(init.ctl(&["list"]).stdout, failed);
    fs::remove_file(&flag).unwrap();
    let start = init.ctl(&["start", "flaky"]);
    assert_eq!(start.code, 0, "{start:?}");
    let stop = init.ctl(&["stop", "flaky"]);
    assert_eq!(stop.stdout, "flaky stop/waiting\n", "{stop:?}");
    let json = init.ctl(&["status", "--json", "flaky"]);
    let record: serde_json::Value = serde_json::from_str(json.stdout.trim()).unwrap();
    assert_eq!(record["state"], "waiting");
    assert!(record.get("failure").is_none(), "{json:?}");
}

// ---------------------------------------------------------------------------
// stopping

#[test]
fn kill_timeout_escalates_to_sigkill_for_a_process_that_ignores_sigterm() {
    let s = Scenario::new();
    s.job(
        "stubborn",
        "start on startup\nkill timeout 1\nconsole none\nscript\n  trap '' TERM\n  exec sleep 1000\nend script\n",
    );
    let init = s.boot(&[]);
    init.wait_state("stubborn", "running");
    let started = std::time::Instant::now();
    let r = init.ctl(&["stop", "stubborn"]);
    assert_eq!(r.stdout, "stubborn stop/waiting\n", "{r:?}");
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_millis(900),
        "{waited:?}"
    );
    let trace = init.trace();
    let kills: Vec<(&str, u64)> = trace
        .iter()
        .filter(|r| r["kind"] == "kill")
        .map(|r| (r["signal"].as_str().unwrap(), r["t_ms"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        kills.iter().map(|k| k.0).collect::<Vec<_>>(),
        ["TERM", "KILL"]
    );
    assert!(kills[1].1 - kills[0].1 >= 1000, "{kills:?}");
    let exit = trace.iter().find(|r| r["kind"] == "exit").unwrap();
    assert_eq!(exit["signal"], "KILL");
}

#[test]
fn stop_sends_the_kill_signal_to_the_whole_process_group() {
    let s = Scenario::new();
    let out = s.p("out");
    s.job(
        "family",
        &format!(
            "start on startup\nkill signal USR1\nconsole none\nscript\n  sh -c 'trap \"echo child got USR1 >> {out}; exit 0\" USR1; while :; do sleep 0.05; done' &\n  trap 'echo parent got USR1 >> {out}; wait; exit 0' USR1\n  while :; do sleep 0.05; done\nend script\n"
        ),
    );
    let init = s.boot(&[]);
    init.wait_state("family", "running");
    std::thread::sleep(std::time::Duration::from_millis(200));
    let r = init.ctl(&["stop", "family"]);
    assert_eq!(r.code, 0, "{r:?}");
    let text = fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("parent got USR1") && text.contains("child got USR1"),
        "{text}"
    );
}

#[test]
fn expect_stop_waits_for_sigstop_then_continues_the_process() {
    let s = Scenario::new();
    s.job(
        "stopper",
        "start on startup\nexpect stop\nconsole output\nscript\n  echo about to stop\n  kill -STOP $$\n  echo resumed\n  exec sleep 1000\nend script\n",
    );
    let init = s.boot(&[]);
    init.wait_state("stopper", "running");
    init.wait_console("resumed");
    let trace = init.trace();
    let spawned = trace
        .iter()
        .position(|r| r["kind"] == "state" && r["to"] == "spawned")
        .unwrap();
    let running = trace
        .iter()
        .position(|r| r["kind"] == "state" && r["to"] == "post-starting")
        .unwrap();
    assert!(spawned < running);
}
