//! The whole-set checks, one minimal job set per finding and a near miss
//! that must stay quiet. Jobs are written as text and go through the real
//! parser and sema, so the tests describe behaviour, not the IR.

use upc::diag::{Code, Diagnostic};
use upc::graph::{self, EventGraph, Focus, GraphOptions};
use upc::sema::{self, JobClass};
use upc::source::FileId;

/// Parses and lowers `(name, text)` pairs; file ids follow the order.
fn jobs(files: &[(&str, &str)]) -> Vec<JobClass> {
    files
        .iter()
        .enumerate()
        .map(|(i, (name, text))| {
            let file = FileId(i as u32);
            let lowered = sema::lower_texts(name, (file, text), None);
            assert!(
                !lowered.parse_failed(),
                "{name} does not parse: {:?}",
                lowered.parse
            );
            lowered.class
        })
        .collect()
}

fn run_with(files: &[(&str, &str)], opts: &GraphOptions) -> Vec<Diagnostic> {
    graph::check(&jobs(files), opts)
}

fn run(files: &[(&str, &str)]) -> Vec<Diagnostic> {
    run_with(files, &GraphOptions::default())
}

/// `CODE message` lines, for readable assertions.
fn summary(diags: &[Diagnostic]) -> Vec<String> {
    diags
        .iter()
        .map(|d| format!("{} {}", d.code.as_str(), d.message))
        .collect()
}

/// Runs the checks on `files` and asserts their `CODE message` lines are
/// `expect`, in order; returns the diagnostics for closer looks.
fn check(files: &[(&str, &str)], expect: &[&str]) -> Vec<Diagnostic> {
    let d = run(files);
    assert_eq!(summary(&d), expect);
    d
}

fn with_code(diags: &[Diagnostic], code: Code) -> Vec<&Diagnostic> {
    diags.iter().filter(|d| d.code == code).collect()
}

/// The text a label points at.
fn at<'t>(files: &[(&str, &'t str)], file: FileId, span: upc::source::Span) -> &'t str {
    files
        .get(file.0 as usize)
        .and_then(|(_, t)| t.get(span.range()))
        .unwrap_or("<bad span>")
}

// ---- W0022: unknown events ------------------------------------------------

#[test]
fn unknown_job_in_job_event_suggests_the_closest_job() {
    let files = [
        ("web", "start on started dbsu\nexec /bin/web\n"),
        ("dbus", "start on startup\nexec /bin/dbus-daemon\n"),
    ];
    let d = run(&files);
    let w = with_code(&d, Code::UnknownEvent);
    assert_eq!(w.len(), 1, "{:?}", summary(&d));
    assert_eq!(
        w[0].message,
        "nothing emits `started dbsu`: there is no job `dbsu`"
    );
    assert_eq!(at(&files, w[0].primary.file, w[0].primary.span), "dbsu");
    assert_eq!(w[0].help.as_deref(), Some("did you mean `dbus`?"));
    assert!(w[0].notes.iter().any(|n| n == "so `web` can never start"));
    // No second finding for the same cause.
    assert!(
        with_code(&d, Code::NeverStarts).is_empty(),
        "{:?}",
        summary(&d)
    );
}

#[test]
fn near_miss_existing_job_and_well_known_system_job() {
    check(
        &[
            ("web", "start on started dbus2\nexec /bin/web\n"),
            ("dbus2", "start on startup\nexec /bin/dbus-daemon\n"),
            // `udev` is a standard system job installed by another package.
            (
                "bridge",
                "start on starting udev\nstop on stopped udev\nexec /bin/bridge\n",
            ),
        ],
        &[],
    );
}

#[test]
fn unknown_plain_event_suggests_a_known_event() {
    let files = [("a", "start on filesystems\nexec /bin/a\n")];
    let d = run(&files);
    let w = with_code(&d, Code::UnknownEvent);
    assert_eq!(w.len(), 1, "{:?}", summary(&d));
    assert_eq!(w[0].message, "nothing emits `filesystems`");
    assert_eq!(
        at(&files, w[0].primary.file, w[0].primary.span),
        "filesystems"
    );
    assert_eq!(w[0].help.as_deref(), Some("did you mean `filesystem`?"));
}

#[test]
fn common_real_world_mistakes_get_specific_help() {
    let d = run(&[
        // Seen in the corpus: the `or` turns the argument into an event.
        (
            "ttyS0",
            "start on stopped rc or RUNLEVEL=[2345]\nexec /sbin/getty ttyS0\n",
        ),
        // Seen in the corpus: there is no `shutdown` event.
        (
            "app",
            "start on filesystem\nstop on shutdown\nexec /bin/app\n",
        ),
        // Seen in the corpus: a typo of `local-filesystems`.
        ("raid", "start on local-filesystem\ntask\nexec /bin/raid\n"),
    ]);
    let help: Vec<&str> = d.iter().filter_map(|x| x.help.as_deref()).collect();
    assert_eq!(help.len(), 3, "{:?}", summary(&d));
    assert!(help[0].contains("read as an event name"), "{}", help[0]);
    assert!(help[1].contains("runlevel [016]"), "{}", help[1]);
    assert_eq!(help[2], "did you mean `local-filesystems`?");
}

#[test]
fn a_job_name_used_as_an_event_says_so() {
    let d = run(&[
        ("web", "start on mysql\nexec /bin/web\n"),
        ("mysql", "start on startup\nexec /bin/mysqld\n"),
    ]);
    let w = with_code(&d, Code::UnknownEvent);
    assert_eq!(w.len(), 1, "{:?}", summary(&d));
    assert!(w[0]
        .help
        .as_deref()
        .is_some_and(|h| h.contains("`started mysql`")));
}

#[test]
fn near_miss_declared_assumed_and_globbed_events() {
    let files = [
        ("a", "start on port-up\nexec /bin/a\n"),
        ("b", "emits port-up\nemits *-ready\nstart on startup\nexec /bin/b\n"),
        ("c", "start on db-ready\nexec /bin/c\n"),
        ("d", "start on from-outside\nexec /bin/d\n"),
        ("e", "start on net-device-added INTERFACE=eth0 or :sys:restarted or foo/failed\nexec /bin/e\n"),
        ("f", "emits foo\nexec /bin/f\n"),
    ];
    let opts = GraphOptions {
        assume_events: vec!["from-*".to_owned()],
        ..GraphOptions::default()
    };
    let d = run_with(&files, &opts);
    assert!(d.is_empty(), "{:?}", summary(&d));
    // Without the assumption, `from-outside` is unknown.
    check(&files, &["W0022 nothing emits `from-outside`"]);
}

#[test]
fn events_of_excluded_jobs_are_not_reported() {
    let files = [("a", "start on started broken\nexec /bin/a\n")];
    let opts = GraphOptions {
        excluded_jobs: vec!["broken".to_owned()],
        ..GraphOptions::default()
    };
    assert!(run_with(&files, &opts).is_empty());
}

// ---- W0021: jobs that can never start -------------------------------------

#[test]
fn a_ring_through_started_is_two_jobs_that_never_start() {
    let files = [
        ("a", "start on started b\nexec /bin/a\n"),
        ("b", "start on started a\nexec /bin/b\n"),
    ];
    // A ring through `started` never blocks, so it is no deadlock.
    let d = check(
        &files,
        &["W0021 `a` can never start", "W0021 `b` can never start"],
    );
    assert_eq!(
        at(&files, d[0].primary.file, d[0].primary.span),
        "started b"
    );
    assert_eq!(d[0].primary.message, "`b` can never start");
    // The cause is shown where it is written.
    assert!(d[0]
        .secondary
        .iter()
        .any(|l| l.file == FileId(1) && l.message.contains("`b` can never start")));
}

#[test]
fn near_miss_an_alternative_from_startup_breaks_the_ring() {
    check(
        &[
            ("a", "start on started b or startup\nexec /bin/a\n"),
            ("b", "start on started a\nexec /bin/b\n"),
        ],
        &[],
    );
}

#[test]
fn never_starting_propagates_through_and() {
    let files = [
        ("orphan", "start on nobody-emits-this\nexec /bin/o\n"),
        (
            "child",
            "start on filesystem and stopped orphan\ntask\nexec /bin/true\n",
        ),
    ];
    let d = check(
        &files,
        &[
            "W0022 nothing emits `nobody-emits-this`",
            "W0021 `child` can never start",
        ],
    );
    let w = with_code(&d, Code::NeverStarts);
    assert_eq!(
        at(&files, w[0].primary.file, w[0].primary.span),
        "stopped orphan"
    );
}

#[test]
fn argument_matches_that_can_never_match() {
    let files = [
        ("foo", "start on startup\nexec /bin/foo\n"),
        ("a", "start on started foo RESULT=ok\nexec /bin/a\n"),
        ("b", "start on started foo INSTANCE=eth0\nexec /bin/b\n"),
        ("c", "start on startup FOO=bar\nexec /bin/c\n"),
    ];
    let d = check(
        &files,
        &[
            "W0021 `a` can never start",
            "W0021 `b` can never start",
            "W0021 `c` can never start",
        ],
    );
    assert_eq!(
        at(&files, d[0].primary.file, d[0].primary.span),
        "RESULT=ok"
    );
    assert_eq!(d[0].primary.message, "`started foo` carries no `RESULT`");
    assert_eq!(
        at(&files, d[1].primary.file, d[1].primary.span),
        "INSTANCE=eth0"
    );
    assert_eq!(d[2].primary.message, "`startup` carries no variables");
}

#[test]
fn near_miss_argument_matches_that_can_match() {
    let d = run(&[
        (
            "foo",
            "start on startup\ninstance $X\nexport RUNLEVEL\nenv RUNLEVEL=2\nexec /bin/foo\n",
        ),
        ("a", "start on stopped foo RESULT=ok\nexec /bin/a\n"),
        ("b", "start on started foo INSTANCE=eth0\nexec /bin/b\n"),
        (
            "c",
            "start on stopped foo RUNLEVEL=[2345] or started JOB=f*\nexec /bin/c\n",
        ),
        ("d", "start on stopped foo failed\nexec /bin/d\n"),
        (
            "e",
            "start on net-device-up IFACE!=lo and runlevel [2345]\nexec /bin/e\n",
        ),
    ]);
    assert!(
        with_code(&d, Code::NeverStarts).is_empty(),
        "{:?}",
        summary(&d)
    );
}

/// Patterns are matched by the runtime's fnmatch, so the checks see what
/// upinit (and glibc's fnmatch in Upstart) will do: an unknown class name
/// met before any member matches fails the whole pattern, one met after a
/// match is skipped; `?` is one byte, not one character.
#[test]
fn argument_patterns_match_as_the_runtime_matches_them() {
    let files = [
        ("foo", "start on startup\nexec /bin/foo\n"),
        ("é", "start on startup\nexec /bin/e\n"),
        (
            "ja",
            "start on stopped foo RESULT=[[:foo:]o]k\nexec /bin/a\n",
        ),
        (
            "jb",
            "start on stopped foo RESULT=[o[:foo:]]k\nexec /bin/b\n",
        ),
        ("jc", "start on started ?\nexec /bin/c\n"),
        ("jd", "start on started ?? JOB!=j?\nexec /bin/d\n"),
    ];
    check(
        &files,
        &[
            "W0021 `ja` can never start",
            "W0022 nothing emits `started ?`: there is no job `?`",
        ],
    );
}

#[test]
fn manual_jobs_and_jobs_without_start_on_are_not_reported() {
    check(
        &[
            ("m", "start on nobody\nmanual\nexec /bin/m\n"),
            ("n", "exec /bin/n\n"),
            // Waiting on a job with no `start on` is fine: it can be started by hand.
            ("w", "start on started n\nexec /bin/w\n"),
        ],
        &[],
    );
}

// ---- E0019: blocking cycles -----------------------------------------------

#[test]
fn a_stop_on_that_fires_while_the_job_is_starting_deadlocks() {
    // b starts; `starting b` starts a; `starting a` stops b, which is still
    // in `starting` waiting for a to run: neither can move.
    let files = [
        ("a", "start on starting b\nexec /bin/a\n"),
        ("b", "start on startup\nstop on starting a\nexec /bin/b\n"),
    ];
    let d = run(&files);
    let e = with_code(&d, Code::BlockingCycle);
    assert_eq!(e.len(), 1, "{:?}", summary(&d));
    assert!(e[0].is_error());
    assert_eq!(
        e[0].message,
        "blocking cycle: `a` (starting) -> `b` (starting) -> `a`"
    );
    // Labels walk the ring across both files, in order.
    assert_eq!(
        at(&files, e[0].primary.file, e[0].primary.span),
        "starting a"
    );
    assert_eq!(e[0].primary.file, FileId(1));
    assert_eq!(e[0].secondary.len(), 1);
    assert_eq!(e[0].secondary[0].file, FileId(0));
    assert_eq!(
        at(&files, e[0].secondary[0].file, e[0].secondary[0].span),
        "starting b"
    );
}

#[test]
fn near_miss_a_ring_of_plain_starts_does_not_deadlock() {
    // Upstart leaves a job whose goal is already `start` alone, so the event
    // coming back round the ring blocks nothing (runtime-semantics.md 6.2).
    check(
        &[
            ("a", "start on starting b or startup\nexec /bin/a\n"),
            ("b", "start on starting a or startup\nexec /bin/b\n"),
        ],
        &[],
    );
    // Without another way in, they are just two jobs that never start.
    check(
        &[
            ("a", "start on starting b\nexec /bin/a\n"),
            ("b", "start on starting a\nexec /bin/b\n"),
        ],
        &["W0021 `a` can never start", "W0021 `b` can never start"],
    );
}

#[test]
fn the_e0019_explanation_examples_behave_as_documented() {
    let wrong = run(&[
        (
            "web",
            "start on filesystem\nstop on starting migrate\nexec /usr/sbin/web\n",
        ),
        (
            "migrate",
            "start on starting web\ntask\nexec /usr/bin/migrate\n",
        ),
    ]);
    assert_eq!(
        with_code(&wrong, Code::BlockingCycle).len(),
        1,
        "{:?}",
        summary(&wrong)
    );
    let right = run(&[
        (
            "web",
            "start on filesystem\nstop on runlevel [016]\nexec /usr/sbin/web\n",
        ),
        (
            "migrate",
            "start on starting web\ntask\nexec /usr/bin/migrate\n",
        ),
    ]);
    assert!(right.is_empty(), "{:?}", summary(&right));
    let wrong = run(&[
        ("db", "start on filesystem\nexec /usr/sbin/db\n"),
        ("a", "start on starting db and started db\nexec /bin/a\n"),
    ]);
    assert_eq!(
        with_code(&wrong, Code::BlockingCycle).len(),
        1,
        "{:?}",
        summary(&wrong)
    );
}

#[test]
fn a_job_that_stops_on_its_own_starting_deadlocks() {
    check(
        &[("a", "start on startup\nstop on starting a\nexec /bin/a\n")],
        &["E0019 blocking cycle: `a` (starting) -> `a`"],
    );
}

#[test]
fn a_task_waiting_on_an_event_its_own_start_blocks() {
    // `starting web` runs the task; web stays in `starting` until it has
    // finished; the task's own `stopping` stops web, which cannot stop
    // before its `starting` is over: deadlock.
    let files = [
        (
            "migrate",
            "start on starting web\ntask\nexec /bin/migrate\n",
        ),
        (
            "web",
            "start on startup\nstop on stopping migrate\nexec /bin/web\n",
        ),
    ];
    let d = run(&files);
    let e = with_code(&d, Code::BlockingCycle);
    assert_eq!(e.len(), 1, "{:?}", summary(&d));
    assert!(
        e[0].message.contains("`migrate` (stopping)"),
        "{}",
        e[0].message
    );
    // Near miss: stopping on the non-blocking `stopped` is fine.
    let d = run(&[
        (
            "migrate",
            "start on starting web\ntask\nexec /bin/migrate\n",
        ),
        (
            "web",
            "start on startup\nstop on stopped migrate\nexec /bin/web\n",
        ),
    ]);
    assert!(
        with_code(&d, Code::BlockingCycle).is_empty(),
        "{:?}",
        summary(&d)
    );
}

#[test]
fn a_partial_match_waiting_for_the_event_it_holds_deadlocks() {
    let files = [
        ("b", "start on runlevel [2345]\nexec /bin/b\n"),
        ("a", "start on starting b and started c\nexec /bin/a\n"),
        ("c", "start on started b\nexec /bin/c\n"),
    ];
    let d = run(&files);
    let e = with_code(&d, Code::BlockingCycle);
    assert_eq!(e.len(), 1, "{:?}", summary(&d));
    assert_eq!(
        at(&files, e[0].primary.file, e[0].primary.span),
        "starting b"
    );
    let walked: Vec<&str> = e[0]
        .secondary
        .iter()
        .map(|l| at(&files, l.file, l.span))
        .collect();
    assert_eq!(walked, ["started c", "started b"]);
    // Near miss: the rest comes from outside, so the hold ends.
    check(
        &[
            ("b", "start on runlevel [2345]\nexec /bin/b\n"),
            ("a", "start on starting b and filesystem\nexec /bin/a\n"),
        ],
        &[],
    );
}

#[test]
fn a_partial_stop_match_that_hangs_shutdown() {
    let d = run(&[
        (
            "y",
            "start on runlevel [2345]\nstop on runlevel [!2345]\nexec /bin/y\n",
        ),
        (
            "x",
            "start on runlevel [2345]\nstop on stopping y and stopped z\nexec /bin/x\n",
        ),
        (
            "z",
            "start on runlevel [2345]\nstop on stopped y\nexec /bin/z\n",
        ),
    ]);
    assert_eq!(
        with_code(&d, Code::BlockingCycle).len(),
        1,
        "{:?}",
        summary(&d)
    );
}

#[test]
fn instances_do_not_make_false_flip_cycles() {
    // A different instance may be the one the event addresses: no error.
    let d = run(&[
        ("a", "start on starting b\ninstance $JOB\nexec /bin/a\n"),
        ("b", "start on startup\nstop on starting a\nexec /bin/b\n"),
    ]);
    let e = with_code(&d, Code::BlockingCycle);
    // b is a singleton, a is not: the ring a -> b flips b, which is a singleton,
    // so this one is real.
    assert_eq!(e.len(), 1, "{:?}", summary(&d));
    let d = run(&[
        ("a", "start on starting b\nexec /bin/a\n"),
        (
            "b",
            "start on startup\nstop on starting a\ninstance $X\nexec /bin/b\n",
        ),
    ]);
    assert!(
        with_code(&d, Code::BlockingCycle).is_empty(),
        "{:?}",
        summary(&d)
    );
}

// ---- W0023, W0024 ----------------------------------------------------------

#[test]
fn a_stop_on_that_can_never_fire() {
    let files = [
        (
            "a",
            "start on startup\nstop on started never\nexec /bin/a\n",
        ),
        ("never", "start on started never\nexec /bin/n\n"),
    ];
    check(
        &files,
        &[
            "W0023 `a`'s `stop on` can never fire",
            "W0021 `never` can never start",
        ],
    );
    check(
        &[(
            "a",
            "start on startup\nstop on runlevel [016]\nexec /bin/a\n",
        )],
        &[],
    );
}

#[test]
fn start_and_stop_on_the_same_event() {
    let files = [(
        "a",
        "start on net-device-up\nstop on net-device-up IFACE=eth0 or runlevel [016]\nexec /bin/a\n",
    )];
    let d = run(&files);
    let w = with_code(&d, Code::StartStopSameEvent);
    assert_eq!(w.len(), 1, "{:?}", summary(&d));
    assert_eq!(
        at(&files, w[0].primary.file, w[0].primary.span),
        "net-device-up IFACE=eth0"
    );
}

#[test]
fn near_miss_exclusive_arguments_and_instance_variables() {
    check(&[
        ("a", "start on runlevel [2345]\nstop on runlevel [!2345]\nexec /bin/a\n"),
        ("rc", "start on runlevel [0123456]\nstop on runlevel [!$RUNLEVEL]\ntask\nexec /etc/init.d/rc\n"),
        ("b", "start on net-device-up IFACE=eth0\nstop on net-device-up IFACE=eth1\nexec /bin/b\n"),
        // Each side narrows a different argument: deliberately different.
        ("c", "start on dbus ARG1='' ARG2='*'\nstop on dbus ARG1='*' ARG2=''\nexec /bin/c\n"),
        // Needs two events to start: one event cannot both start and stop it.
        ("d", "start on foo-up and filesystem\nstop on foo-up\nemits foo-up\nexec /bin/d\n"),
    ], &[]);
}

// ---- W0025, W0026: variable flow --------------------------------------------

#[test]
fn instance_variable_no_starting_event_carries() {
    let files = [("a", "start on startup\ninstance $PORT\nexec /bin/a\n")];
    let d = check(&files, &["W0025 `$PORT` is never set for `a`"]);
    assert_eq!(
        at(&files, d[0].primary.file, d[0].primary.span),
        "start on startup"
    );
}

#[test]
fn near_miss_variables_that_are_there() {
    check(
        &[
            // An outside event may carry anything.
            (
                "a",
                "start on port-up\nemits port-up\ninstance $PORT\nexec /bin/a\n",
            ),
            // A default from `env`, and defaulted references.
            (
                "b",
                "start on startup\nenv PORT=80\ninstance $PORT${X:-}\nexec /bin/b\n",
            ),
            // Job events carry JOB and INSTANCE, stop events RESULT.
            (
                "c",
                "start on stopped b\ninstance $JOB-$INSTANCE-$RESULT\nexec /bin/c\n",
            ),
            // Exported variables travel with the emitting job's events.
            (
                "d",
                "start on startup\nenv MODE=fast\nexport MODE\nexec /bin/d\n",
            ),
            (
                "e",
                "start on started d\nscript\n  echo $MODE $UPSTART_JOB $PATH\nend script\n",
            ),
            // No `start on`: `start f VAR=...` can pass anything.
            ("f", "instance $WHO\nexec /bin/f\n"),
        ],
        &[],
    );
}

#[test]
fn stop_on_variable_and_script_variable() {
    let files = [
        ("a", "start on startup\nstop on stopped $WAIT_FOR\nexec /bin/a\n"),
        ("b", "start on started a\nscript\n  echo starting\n  exec /bin/b --iface $IFACE\nend script\n"),
    ];
    let d = check(
        &files,
        &[
            "W0025 `$WAIT_FOR` is never set for `a`",
            "W0025 `$IFACE` is never set for `b`",
        ],
    );
    assert_eq!(
        at(&files, d[0].primary.file, d[0].primary.span),
        "$WAIT_FOR"
    );
    assert_eq!(at(&files, d[1].primary.file, d[1].primary.span), "script");
    assert!(
        d[1].primary.message.contains("line 2"),
        "{}",
        d[1].primary.message
    );
}

#[test]
fn exec_variable_points_at_the_reference() {
    let files = [
        ("a", "start on started b\nexec /bin/a --if $IFACE\n"),
        ("b", "start on startup\nexec /bin/b\n"),
    ];
    let d = check(&files, &["W0025 `$IFACE` is never set for `a`"]);
    assert_eq!(at(&files, d[0].primary.file, d[0].primary.span), "$IFACE");
}

#[test]
fn near_miss_scripts_that_set_source_or_test_their_variables() {
    check(&[
        ("b", "start on startup\nexec /bin/b\n"),
        ("s1", "start on started b\nscript\n  . /etc/default/s1\n  exec /bin/s1 $IFACE\nend script\n"),
        ("s2", "start on started b\nscript\n  IFACE=eth0\n  exec /bin/s2 $IFACE\nend script\n"),
        ("s3", "start on started b\nscript\n  [ -n \"$IFACE\" ] || exit 0\n  exec /bin/s3 $IFACE\nend script\n"),
        ("s4", "start on started b\nexec /bin/s4 ${IFACE:-eth0} '$IFACE' $HOME $DAEMON_OPTS\n"),
        ("s5", "start on net-device-up\nexec /bin/s5 $IFACE\n"),
    ], &[]);
}

#[test]
fn export_of_a_variable_the_job_never_has() {
    let files = [("a", "start on startup\nexport MODE\nexec /bin/a\n")];
    let d = check(&files, &["W0026 `a` exports `MODE`, which it never has"]);
    assert_eq!(at(&files, d[0].primary.file, d[0].primary.span), "MODE");
    check(
        &[(
            "a",
            "start on startup\nenv MODE=x\nexport MODE\nexec /bin/a\n",
        )],
        &[],
    );
}

// ---- the event graph ------------------------------------------------------

fn sample() -> Vec<JobClass> {
    jobs(&[
        ("mountall", "start on startup\nemits filesystem\ntask\nexec /sbin/mountall\n"),
        ("rc-sysinit", "start on filesystem\nemits runlevel\ntask\nexec /sbin/telinit 2\n"),
        ("rc", "start on runlevel [0123456]\nstop on runlevel [!$RUNLEVEL]\nexport RUNLEVEL\ntask\nexec /etc/init.d/rc $RUNLEVEL\n"),
        ("tty1", "start on stopped rc RUNLEVEL=[2345] and (not-container or container CONTAINER=lxc)\nstop on runlevel [!2345]\nrespawn\nexec /sbin/getty tty1\n"),
        ("single", "start on runlevel S\nexec /sbin/sulogin\n"),
        ("pre", "start on starting rc\ntask\nexec /bin/pre\n"),
    ])
}

#[test]
fn boot_order_in_waves() {
    let g = EventGraph::build(&sample(), &GraphOptions::default());
    assert_eq!(
        g.boot_order(),
        vec![
            vec!["mountall".to_owned()],
            vec!["rc-sysinit".to_owned()],
            vec!["rc".to_owned()],
            vec!["pre".to_owned(), "tty1".to_owned()],
        ]
    );
    assert_eq!(g.not_started_at_boot(), ["single".to_owned()]);
    assert!(g.boot_order_text().starts_with("wave 1: mountall\n"));
    assert_eq!(g.boot_order_json()["waves"][0][0], "mountall");
}

#[test]
fn dot_and_json_show_structure_and_styles() {
    let g = EventGraph::build(&sample(), &GraphOptions::default());
    let dot = g.to_dot(None);
    assert!(dot.starts_with("digraph upstart {"));
    assert!(
        dot.contains("label=\"and\""),
        "the and/or structure is kept"
    );
    assert!(
        dot.contains("label=\"starting\", style=solid, color=\"#c0392b\""),
        "blocking edges stand out"
    );
    assert!(dot.contains("style=dashed"), "stop edges are dashed");
    let json = g.to_json(None);
    assert_eq!(json["version"], 1);
    let nodes = json["nodes"].as_array().map_or(0, Vec::len);
    assert!(nodes >= 6);
    let edge = json["edges"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["event"] == "stopped"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(edge["args"][0], "RUNLEVEL=[2345]");
    assert_eq!(edge["kind"], "start");
}

#[test]
fn focus_restricts_to_a_neighbourhood() {
    let g = EventGraph::build(&sample(), &GraphOptions::default());
    let focus = Focus {
        job: Some("tty1".to_owned()),
        event: None,
        depth: 1,
    };
    let dot = g.to_dot(Some(&focus));
    assert!(dot.contains("label=\"tty1\""));
    assert!(dot.contains("label=\"rc\\n(task)\""));
    assert!(!dot.contains("label=\"mountall"), "two steps away");
    let json = g.to_json(Some(&Focus {
        job: None,
        event: Some("startup".to_owned()),
        depth: 1,
    }));
    let names: Vec<&str> = json["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["name"].as_str())
        .collect();
    assert_eq!(names, ["mountall", "startup"]);
}

#[test]
fn unreachable_and_cycle_members_are_marked() {
    let g = EventGraph::build(
        &jobs(&[
            ("a", "start on starting b\nexec /bin/a\n"),
            ("b", "start on startup\nstop on starting a\nexec /bin/b\n"),
            ("lost", "start on nothing-emits-it\nexec /bin/l\n"),
        ]),
        &GraphOptions::default(),
    );
    let json = g.to_json(None);
    let node = |name: &str| {
        json["nodes"]
            .as_array()
            .and_then(|n| n.iter().find(|n| n["name"] == name))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(node("a")["in_cycle"], true);
    assert_eq!(node("lost")["startable"], false);
    assert_eq!(node("nothing-emits-it")["source"], "unknown");
}

#[test]
fn well_known_events_are_listed() {
    let list = graph::well_known_events();
    for name in [
        "startup",
        "runlevel",
        "filesystem",
        "net-device-up",
        "control-alt-delete",
        "socket",
    ] {
        assert!(list.iter().any(|(n, _)| *n == name), "{name}");
    }
}

// ---- pathological inputs --------------------------------------------------

#[test]
fn a_long_chain_finishes_without_recursion() {
    let n = 20_000;
    let mut texts = vec![(
        "j0".to_owned(),
        "start on startup\nexec /bin/x\n".to_owned(),
    )];
    for i in 1..n {
        let ev = if i % 2 == 0 { "started" } else { "starting" };
        texts.push((
            format!("j{i}"),
            format!("start on {ev} j{}\nexec /bin/x\n", i - 1),
        ));
    }
    let files: Vec<(&str, &str)> = texts
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let set = jobs(&files);
    assert!(graph::check(&set, &GraphOptions::default()).is_empty());
    let g = EventGraph::build(&set, &GraphOptions::default());
    assert_eq!(g.boot_order().len(), n);
}

#[test]
fn a_dense_clique_finishes() {
    // Every job starts on every other job's `starting` and stops on every
    // other job's `stopping`: a million edges in the wait-for graph.
    let n = 1000;
    let texts: Vec<(String, String)> = (0..n)
        .map(|i| {
            (
                format!("j{i}"),
                "start on starting JOB=j* or startup\nstop on stopping JOB=j*\nexec /bin/x\n"
                    .to_owned(),
            )
        })
        .collect();
    let files: Vec<(&str, &str)> = texts
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let d = graph::check(&jobs(&files), &GraphOptions::default());
    // One report for the one strongly connected component.
    assert_eq!(
        with_code(&d, Code::BlockingCycle).len(),
        1,
        "{:?}",
        summary(&d)
    );
}

#[test]
fn a_huge_expression_is_walked_iteratively() {
    let mut text = String::from("start on e0");
    for i in 1..50_000 {
        text.push_str(&format!(" or e{i}"));
    }
    text.push_str("\nexec /bin/x\n");
    let d = graph::check(&jobs(&[("big", &text)]), &GraphOptions::default());
    assert_eq!(with_code(&d, Code::UnknownEvent).len(), 50_000);
}
