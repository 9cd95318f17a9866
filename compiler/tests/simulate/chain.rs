//! The critical chain: hand-written traces in the order `upc-machine`
//! writes them, odd traces that must not trip it, and real simulated
//! boots.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::support::*;
use proptest::prelude::*;
use upc::simulate::chain::{self, CriticalChain, End, LinkKind};
use upc_machine::*;

/// The chain of the instance reached last, as text.
fn check_last(trace: &[TraceRecord], expect: &str) {
    let chains = CriticalChain::new(trace);
    let got = chains.last().map(|c| c.to_string()).unwrap_or_default();
    assert_eq!(
        got, expect,
        "\n--- got ---\n{got}\n--- expected ---\n{expect}"
    );
}

/// The chain of one job's latest run, as text.
fn check_job(trace: &[TraceRecord], job: &str, expect: &str) {
    let got = chain::render_jobs(trace, &[job]);
    assert_eq!(
        got, expect,
        "\n--- got ---\n{got}\n--- expected ---\n{expect}"
    );
}

/// a `start on startup`, b `start on started a`, c `start on started b`.
fn three_in_a_row() -> Tr {
    let mut tr = Tr::new();
    let startup = tr.init_event("startup");
    let sa = tr.start("a", startup);
    let started_a = tr.up("a", sa, 100);
    tr.finish(startup, "startup");
    let sb = tr.start("b", started_a);
    tr.at(120);
    let started_b = tr.up("b", sb, 250);
    tr.finish(started_a, "started");
    let sc = tr.start("c", started_b);
    tr.at(260);
    let started_c = tr.up("c", sc, 300);
    tr.finish(started_b, "started").finish(started_c, "started");
    tr
}

#[test]
fn a_chain_of_three_jobs_started_one_by_another() {
    check_last(
        &three_in_a_row().recs,
        "\
c @300ms +50ms
└─started b @250ms +150ms
  └─started a @100ms +100ms
    └─startup @0ms
",
    );
}

#[test]
fn every_run_is_listed_latest_first_with_its_first_link() {
    let tr = three_in_a_row();
    let reached = CriticalChain::new(&tr.recs).reached();
    let lines: Vec<String> = reached
        .iter()
        .map(|r| format!("{} <- {}", r.link, r.waited.as_ref().unwrap()))
        .collect();
    assert_eq!(
        lines,
        [
            "c @300ms +50ms <- started b @250ms +150ms",
            "b @250ms +150ms <- started a @100ms +100ms",
            "a @100ms +100ms <- startup @0ms",
        ]
    );
    let text = chain::render(&tr.recs);
    assert!(
        text.contains("c @300ms +50ms\n└─started b @250ms"),
        "{text}"
    );
    assert!(
        text.contains("  a @100ms +100ms  <- startup @0ms\n"),
        "{text}"
    );
}

/// x `start on startup`; y `start on starting x` holds x's `starting`
/// until y is running.
#[test]
fn a_job_whose_starting_is_held_by_another() {
    let mut tr = Tr::new();
    let startup = tr.init_event("startup");
    let sx = tr.start("x", startup);
    let sy = tr.start("y", sx);
    let started_y = tr.up("y", sy, 200);
    tr.finish(started_y, "started");
    tr.up("x", sx, 260);
    tr.finish(startup, "startup");
    check_last(
        &tr.recs,
        "\
x @260ms +260ms
└─y @200ms +200ms (held starting x until running)
  └─starting x @0ms
    └─startup @0ms
",
    );
}

/// The holder that lets go last is the one followed.
#[test]
fn of_two_holders_the_later_one_is_followed() {
    let mut tr = Tr::new();
    let startup = tr.init_event("startup");
    let sx = tr.start("x", startup);
    // z holds first and lets go last.
    let sz = tr.start("z", sx);
    let sy = tr.start("y", sx);
    tr.up("y", sy, 100);
    tr.up("z", sz, 300);
    tr.up("x", sx, 310);
    check_job(
        &tr.recs,
        "x",
        "\
x @310ms +310ms
└─z @300ms +300ms (held starting x until running)
  └─starting x @0ms
    └─startup @0ms
",
    );
}

/// A task counts when it has finished; `stopped` leads back into it.
#[test]
fn a_task_counts_when_it_finished() {
    let mut tr = Tr::new();
    let startup = tr.init_event("startup");
    let st = tr.start("t", startup);
    tr.up("t", st, 10);
    tr.at(110);
    tr.push(TraceKind::Exit {
        job: "t".into(),
        instance: String::new(),
        process: ProcessKind::Main,
        pid: 100,
        status: ExitStatus::Exited(0),
    });
    tr.goal(
        "t",
        Goal::Start,
        Goal::Stop,
        Cause::Process(ProcessKind::Main),
    );
    let stopped = tr.down("t");
    let su = tr.start("u", stopped);
    tr.up("u", su, 115);
    check_job(
        &tr.recs,
        "t",
        "\
t @110ms +110ms (finished)
└─startup @0ms
",
    );
    check_last(
        &tr.recs,
        "\
u @115ms +5ms
└─stopped t @110ms +110ms
  └─startup @0ms
",
    );
}

/// A respawn: the new run waited for the old one to stop.
#[test]
fn a_restart_leads_to_the_previous_run() {
    let mut tr = Tr::new();
    let startup = tr.init_event("startup");
    let ss = tr.start("s", startup);
    tr.up("s", ss, 10);
    tr.at(100);
    tr.push(TraceKind::Exit {
        job: "s".into(),
        instance: String::new(),
        process: ProcessKind::Main,
        pid: 100,
        status: ExitStatus::Exited(1),
    });
    let stopping = tr.state("s", State::Running, State::Stopping).unwrap();
    tr.event(stopping, "stopping", Some("s"))
        .finish(stopping, "stopping");
    tr.states(
        "s",
        State::Stopping,
        &[State::Killed, State::PostStopping, State::PostStop],
    );
    let again = tr.state("s", State::PostStop, State::Starting).unwrap();
    tr.event(again, "starting", Some("s"));
    tr.up("s", again, 150);
    let chains = CriticalChain::new(&tr.recs);
    assert_eq!(chains.reached().len(), 2);
    check_last(
        &tr.recs,
        "\
s @150ms +50ms
└─s @100ms +100ms (previous run, restarted after it stopped)
  └─startup @0ms
",
    );
}

/// `start on starting x and foo`: y's class holds x's `starting` until
/// `foo` completes the match; y was already running, so only the class
/// held it.
#[test]
fn a_partial_match_holds_until_the_event_that_completes_it() {
    let mut tr = Tr::new();
    let startup = tr.init_event("startup");
    let sy = tr.start("y", startup);
    tr.up("y", sy, 5);
    let sx = tr.start("x", startup);
    tr.hold(sx, "y");
    tr.at(400);
    let foo = tr.init_event("foo");
    tr.hold(foo, "y");
    tr.up("x", sx, 450);
    check_job(
        &tr.recs,
        "x",
        "\
x @450ms +445ms
└─y start on @400ms (held starting x until the event below completed it)
  └─foo @400ms
",
    );
}

#[test]
fn a_start_request_ends_the_chain() {
    let mut tr = Tr::new();
    tr.goal("r", Goal::Stop, Goal::Start, Cause::Request(RequestId(7)));
    let sr = tr.state("r", State::Waiting, State::Starting).unwrap();
    tr.event(sr, "starting", Some("r"));
    tr.up("r", sr, 20);
    check_last(
        &tr.recs,
        "\
r @20ms +20ms
└─control request 7 @0ms
",
    );
}

#[test]
fn missing_records_end_the_chain_honestly() {
    // Only state records: nothing says why it started.
    let mut tr = Tr::new();
    tr.state("m", State::Waiting, State::Starting);
    tr.at(5);
    tr.states("m", State::Starting, &[State::PreStart, State::Running]);
    check_last(
        &tr.recs,
        "\
m @5ms +5ms
└─(no record of what it waited for)
",
    );

    // The goal names an event the trace never shows.
    let mut tr = Tr::new();
    tr.goal("n", Goal::Stop, Goal::Start, Cause::Event(EventId(42)));
    tr.state("n", State::Waiting, State::Starting);
    tr.state("n", State::Starting, State::Running);
    check_last(
        &tr.recs,
        "\
n @0ms +0ms
└─event 42 @0ms
",
    );

    // A trace that begins mid-run, and an event that never finished.
    let mut tr = Tr::new();
    tr.state("o", State::PreStart, State::Running);
    let stuck = tr.state("p", State::Waiting, State::Starting).unwrap();
    tr.hold(stuck, "ghost");
    check_last(
        &tr.recs,
        "\
o @0ms +0ms
└─(no record of what it waited for)
",
    );
    assert!(CriticalChain::new(&tr.recs).chain_of("p", "").is_none());
}

#[test]
fn a_cause_recorded_after_its_effect_cuts_the_chain() {
    let mut tr = Tr::new();
    tr.goal("x", Goal::Stop, Goal::Start, Cause::Event(EventId(9)));
    tr.state("x", State::Waiting, State::Starting);
    tr.state("x", State::Starting, State::Running);
    tr.event(EventId(9), "started", Some("x"));
    check_last(
        &tr.recs,
        "\
x @0ms +0ms
└─(the trace contradicts itself here; cut)
",
    );
}

#[test]
fn nothing_running_says_so() {
    assert_eq!(chain::render(&[]), "No job instance became running.\n");
    let mut tr = Tr::new();
    tr.init_event("startup");
    assert_eq!(chain::render(&tr.recs), "No job instance became running.\n");
}

/// 10,000 jobs, each `start on started` the one before: one pass, no
/// recursion, output that grows linearly.
#[test]
fn ten_thousand_jobs_in_a_row() {
    const N: usize = 10_000;
    let mut tr = Tr::new();
    let mut event = tr.init_event("startup");
    for n in 0..N {
        let job = format!("j{n}");
        let s = tr.start(&job, event);
        event = tr.up(&job, s, n as Millis + 1);
    }
    let started = std::time::Instant::now();
    let text = chain::render(&tr.recs);
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    let chains = CriticalChain::new(&tr.recs);
    let last = chains.last().unwrap();
    assert_eq!(last.links.len(), N + 1);
    assert!(matches!(
        last.links.last().map(|l| &l.kind),
        Some(LinkKind::Event { name, emitter: None }) if name == "startup"
    ));
    // Indentation stops growing, so the text stays linear in the chain.
    assert!(text.len() < 200 * N, "{} bytes", text.len());
}

#[test]
fn a_simulated_boot_follows_script_emitted_events() {
    let records = simulate_records(&repo_path("stdlib-jobs/system"));
    let (trace, senders) = chain::split(&records);
    let chains = CriticalChain::with_senders(&trace, senders);
    let ttys = chains.chain_of("start-ttys", "").unwrap().to_string();
    assert!(ttys.starts_with("start-ttys @"), "{ttys}");
    assert!(ttys.contains("└─stopped rc @"), "{ttys}");
    assert!(
        ttys.contains("runlevel RUNLEVEL=2 PREVLEVEL=N @")
            && ttys.contains("(emitted by rc-sysinit main process)"),
        "{ttys}"
    );
    assert!(ttys.trim_end().ends_with("startup @0ms"), "{ttys}");
    // Without the driver's notes the chain stops at the script's event.
    let bare = CriticalChain::new(&trace)
        .chain_of("start-ttys", "")
        .unwrap();
    assert!(
        bare.to_string().trim_end().ends_with("PREVLEVEL=N @9ms"),
        "{bare}"
    );
    // Every run that became running is listed once.
    let text = chain::render_records(&records);
    for job in [
        "mountall",
        "rc-sysinit",
        "rc",
        "start-ttys",
        "syslog",
        "networking",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("  {job} @"))),
            "{job} missing:\n{text}"
        );
    }
}

fn arb_state() -> impl Strategy<Value = State> {
    prop::sample::select(State::ALL.to_vec())
}

fn arb_kind() -> impl Strategy<Value = TraceKind> {
    let job = prop::sample::select(vec!["a", "b", "c", ""]).prop_map(str::to_owned);
    let inst = prop::sample::select(vec!["", "1"]).prop_map(str::to_owned);
    let event = (0u64..6).prop_map(EventId);
    let goal = prop::sample::select(vec![Goal::Stop, Goal::Start, Goal::Respawn]);
    let cause = prop_oneof![
        event.clone().prop_map(Cause::Event),
        (0u64..3).prop_map(|r| Cause::Request(RequestId(r))),
        Just(Cause::Process(ProcessKind::Main)),
        Just(Cause::Internal),
    ];
    let name = prop::sample::select(vec!["starting", "started", "stopped", "foo"]);
    prop_oneof![
        (job.clone(), inst.clone(), goal.clone(), goal, cause).prop_map(
            |(job, instance, from, to, cause)| TraceKind::Goal {
                job,
                instance,
                from,
                to,
                cause
            }
        ),
        (
            job.clone(),
            inst.clone(),
            arb_state(),
            arb_state(),
            prop::option::of(event.clone())
        )
            .prop_map(|(job, instance, from, to, blocked_by)| TraceKind::State {
                job,
                instance,
                from,
                to,
                blocked_by
            }),
        (
            event.clone(),
            name,
            prop::option::of((job.clone(), inst.clone()))
        )
            .prop_map(|(id, name, emitter)| TraceKind::Event {
                id,
                name: name.into(),
                env: vec!["JOB=a".into()],
                emitter
            }),
        (event.clone(), job.clone(), inst.clone(), any::<bool>()).prop_map(
            |(event, job, instance, start_on)| TraceKind::Hold {
                event,
                job,
                instance,
                start_on,
            }
        ),
        event.prop_map(|id| TraceKind::EventFinished {
            id,
            name: "foo".into(),
            failed: false
        }),
    ]
}

proptest! {
    /// Any trace at all: no panic, and every chain ends.
    #[test]
    fn any_trace_renders(kinds in prop::collection::vec((0u64..50, arb_kind()), 0..60)) {
        let mut trace: Vec<TraceRecord> =
            kinds.into_iter().map(|(t, kind)| TraceRecord { t, kind }).collect();
        let text = chain::render(&trace);
        prop_assert!(!text.is_empty());
        let chains = CriticalChain::new(&trace);
        for r in chains.reached() {
            let chain = chains.chain(&r);
            prop_assert!(chain.links.len() <= trace.len() + 2);
        }
        // And the same records in time order.
        trace.sort_by_key(|r| r.t);
        let _ = chain::render(&trace);
    }
}

#[test]
fn end_points_name_themselves() {
    // The public End is what a Reached line counts from.
    let tr = three_in_a_row();
    let chains = CriticalChain::new(&tr.recs);
    let first = chains.reached().into_iter().next().unwrap();
    assert!(matches!(
        first.link.kind,
        LinkKind::Reached {
            end: End::Running,
            ..
        }
    ));
    assert_eq!(first.who().map(|w| w.to_string()).as_deref(), Some("c"));
}
