//! Writer -> reader round trips, accessors, and the evaluator on the
//! sample job set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use upc_bundle::testing::sample_spec;
use upc_bundle::*;

fn sorted(mut spec: BundleSpec) -> BundleSpec {
    spec.jobs.sort_by(|a, b| a.name.cmp(&b.name));
    spec
}

#[test]
fn sample_round_trips_compressed_and_not() {
    let spec = sample_spec();
    for compress_strings in [true, false] {
        let bytes = write_with(&spec, WriteOptions { compress_strings }).unwrap();
        let b = validate(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(b.strings_compressed(), compress_strings);
        assert_eq!(b.to_spec(), sorted(spec.clone()));
        assert_eq!(b.format_version(), FORMAT_VERSION);
        assert_eq!(b.compiler_version(), "upc 0.1.0");
        assert_eq!(b.source_digest(), [0xab; 32]);
    }
}

#[test]
fn an_owned_bundle_reads_the_same_as_a_borrowed_one_compressed_and_not() {
    let spec = sample_spec();
    for compress_strings in [true, false] {
        let bytes = write_with(&spec, WriteOptions { compress_strings }).unwrap();
        let borrowed = validate(&bytes).unwrap();
        let owned = validate_owned(bytes.clone()).unwrap();
        assert_eq!(owned.to_spec(), borrowed.to_spec());
        assert_eq!(owned.string_stats(), borrowed.string_stats());
        // Raw strings are read where they are: the owned bundle holds the
        // file's bytes and nothing more.
        assert_eq!(owned.bytes(), &bytes[..]);
        let again = borrowed.into_owned();
        assert_eq!(again.to_spec(), owned.to_spec());
    }
}

#[test]
fn test_builds_panic_on_a_read_past_the_end_release_or_not() {
    // The `testing` feature, which every test build enables, turns the
    // reader's quiet fallbacks into panics so offset bugs surface here.
    assert!(upc_bundle::testing::missed_reads_panic());
}

#[test]
fn writing_is_independent_of_input_order() {
    let spec = sample_spec();
    let mut reversed = spec.clone();
    reversed.jobs.reverse();
    assert_eq!(write(&spec).unwrap(), write(&reversed).unwrap());
}

#[test]
fn duplicate_job_names_are_refused() {
    let mut spec = sample_spec();
    let first = spec.jobs[0].clone();
    spec.jobs.push(first);
    assert!(matches!(write(&spec), Err(WriteError::DuplicateJob(_))));
}

#[test]
fn accessors_find_jobs_and_events() {
    let bytes = write(&sample_spec()).unwrap();
    let b = validate(&bytes).unwrap();
    let names: Vec<&str> = b.jobs().map(|j| j.name()).collect();
    assert_eq!(names, ["bare", "cleanup", "net/apache", "ready"]);
    let apache = b.find_job("net/apache").unwrap();
    assert_eq!(apache.index(), 2);
    assert!(b.find_job("nope").is_none());
    assert_eq!(
        apache.start_on().unwrap().program.canonical(),
        "(filesystem and (net-device-up IFACE!=lo or started network* RUNLEVEL=[2345]))"
    );
    assert_eq!(
        apache.stop_on().unwrap().program.canonical(),
        "(runlevel [!$RUNLEVEL] or deconfiguring-networking)"
    );
    assert_eq!(
        b.find_job("cleanup")
            .unwrap()
            .start_on()
            .unwrap()
            .program
            .canonical(),
        "filesystem"
    );
    let fs = b.find_event("filesystem").unwrap();
    assert_eq!(
        fs.jobs().collect::<Vec<_>>(),
        [(1, Which::StartOn), (2, Which::StartOn)]
    );
    let rl = b.find_event("runlevel").unwrap();
    assert_eq!(rl.jobs().collect::<Vec<_>>(), [(2, Which::StopOn)]);
    assert!(b.find_event("startup").is_none());
    assert_eq!(b.max_stack_depth(), 3);
    let ready = b.find_job("ready").unwrap();
    assert_eq!((ready.expect(), ready.ready_fd()), (Expect::Fd, Some(5)));
    assert_eq!((apache.expect(), apache.ready_fd()), (Expect::Daemon, None));
}

#[test]
fn a_ready_fd_goes_with_expect_fd_and_only_with_it() {
    for (expect, fd) in [
        (Expect::Fd, None),
        (Expect::Fd, Some(2)),
        (Expect::Notify, Some(5)),
        (Expect::None, Some(3)),
    ] {
        let mut spec = sample_spec();
        spec.jobs[3].expect = expect;
        spec.jobs[3].ready_fd = fd;
        assert!(
            matches!(write(&spec), Err(WriteError::Invalid { .. })),
            "{expect:?} {fd:?}"
        );
    }
    let mut spec = sample_spec();
    spec.jobs[3].expect = Expect::Notify;
    spec.jobs[3].ready_fd = None;
    let bytes = write(&spec).unwrap();
    let b = validate(&bytes).unwrap();
    assert_eq!(b.find_job("ready").unwrap().expect(), Expect::Notify);
}

#[test]
fn evaluator_follows_upstart_operator_semantics() {
    let bytes = write(&sample_spec()).unwrap();
    let b = validate(&bytes).unwrap();
    let apache = b.find_job("net/apache").unwrap();
    let p = apache.start_on().unwrap().program;
    let mut st = p.new_state();
    let none: [&str; 0] = [];
    let ev = |name: &'static str, env: &'static [&'static str]| EventRef { name, env };

    // IFACE=lo is refused by IFACE!=lo; a missing IFACE is no match either.
    let h = p.handle(&mut st, ev("net-device-up", &["IFACE=lo"]), &none);
    assert!(h.newly_true.is_empty());
    let h = p.handle(&mut st, ev("net-device-up", &["OTHER=x"]), &none);
    assert!(h.newly_true.is_empty());
    let h = p.handle(
        &mut st,
        ev("started", &["JOB=networking", "RUNLEVEL=2"]),
        &none,
    );
    assert_eq!(h.newly_true, [2]);
    assert!(!h.satisfied);
    let h = p.handle(&mut st, ev("filesystem", &[]), &none);
    assert_eq!(h.newly_true, [0]);
    assert!(h.satisfied);
    assert_eq!(p.contributing(&st), [0, 2]);
    // A true match ignores further events.
    let h = p.handle(&mut st, ev("filesystem", &[]), &none);
    assert!(h.newly_true.is_empty());
    p.reset(&mut st);
    assert!(!p.is_satisfied(&st));
    assert_eq!(st.values(), [false, false, false]);

    // stop on runlevel [!$RUNLEVEL] expands against the instance env.
    let stop = apache.stop_on().unwrap().program;
    let mut st = stop.new_state();
    let h = stop.handle(&mut st, ev("runlevel", &["RUNLEVEL=2"]), &["RUNLEVEL=2"]);
    assert!(!h.satisfied);
    let h = stop.handle(&mut st, ev("runlevel", &["RUNLEVEL=2"]), &none);
    assert!(!h.satisfied, "unknown $RUNLEVEL: expansion error, no match");
    let h = stop.handle(&mut st, ev("runlevel", &["RUNLEVEL=6"]), &["RUNLEVEL=2"]);
    assert!(h.satisfied);
}

#[test]
fn contributing_skips_false_subtrees() {
    // (a and b) or c, events a then c: only c contributes (6.5).
    use Instr::{And, Match, Or};
    let mut spec = BundleSpec::default();
    let mut j = JobSpec::new("j", "j.conf");
    let mk = |e: &str| MatchSpec {
        event: e.into(),
        args: vec![],
    };
    j.start_on = Some(ConditionSpec {
        code: vec![Match, Match, And, Match, Or],
        matches: vec![mk("a"), mk("b"), mk("c")],
        location: Location::default(),
    });
    spec.jobs.push(j);
    let bytes = write(&spec).unwrap();
    let b = validate(&bytes).unwrap();
    let p = b.job(0).unwrap().start_on().unwrap().program;
    assert_eq!(p.canonical(), "((a and b) or c)");
    let mut st = p.new_state();
    let none: [&str; 0] = [];
    p.handle(
        &mut st,
        EventRef {
            name: "a",
            env: &none,
        },
        &none,
    );
    let h = p.handle(
        &mut st,
        EventRef {
            name: "c",
            env: &none,
        },
        &none,
    );
    assert!(h.satisfied);
    assert_eq!(p.contributing(&st), [2]);
    assert_eq!(
        p.disassemble(),
        ["MATCH #0 a", "MATCH #1 b", "AND", "MATCH #2 c", "OR"]
    );
}

#[test]
fn a_100k_instruction_chain_round_trips_without_recursion() {
    use Instr::{Match, Or};
    let n = 50_000;
    let mut code = vec![Match];
    let mut matches = vec![MatchSpec {
        event: "e0".into(),
        args: vec![],
    }];
    for i in 1..n {
        code.push(Match);
        code.push(Or);
        matches.push(MatchSpec {
            event: format!("e{i}"),
            args: vec![],
        });
    }
    let mut j = JobSpec::new("chain", "chain.conf");
    j.start_on = Some(ConditionSpec {
        code,
        matches,
        location: Location::default(),
    });
    let spec = BundleSpec {
        jobs: vec![j],
        ..BundleSpec::default()
    };
    let bytes = write(&spec).unwrap();
    let b = validate(&bytes).unwrap();
    let p = b.job(0).unwrap().start_on().unwrap().program;
    assert_eq!(p.len(), 2 * n - 1);
    assert!(p.canonical().starts_with(&"(".repeat(n - 1)));
    let mut st = p.new_state();
    let none: [&str; 0] = [];
    let h = p.handle(
        &mut st,
        EventRef {
            name: "e49999",
            env: &none,
        },
        &none,
    );
    assert!(h.satisfied);
    assert_eq!(p.contributing(&st), [n - 1]);
    assert_eq!(b.event_count(), n);
}
