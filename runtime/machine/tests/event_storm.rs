//! A storm of a million emitted events — most matching nothing, some
//! starting, stopping and partially matching jobs — is handled without a
//! panic and in bounded memory (runtime-semantics.md §6.1: an event no job
//! cares about is handled and destroyed in the same iteration).
//!
//! Alone in its own test binary so that the counting allocator below sees
//! this test's allocations only.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// The counting allocator is the one unsafe item: `GlobalAlloc` is an
// unsafe trait, and it only forwards to the system allocator.
#![allow(unsafe_code)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use common::*;
use upc_machine::{Action, Config, ExitStatus, Goal, Machine, State, Stimulus};

/// Bytes currently allocated.
static LIVE: AtomicIsize = AtomicIsize::new(0);

struct Counting;

// SAFETY: every call is forwarded unchanged to `System`; the counter is
// only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const EVENTS: u32 = 1_000_000;

#[test]
fn a_million_emitted_events_are_handled_in_bounded_memory() {
    let jobs = [
        // A service without processes: comes up on `tick`, goes on `tock`.
        job("svc").start_on(on("tick")).stop_on(on("tock")),
        // A task with a main process that the storm reaps.
        job("t").task().main().start_on(on("ping")),
        // An instance per value of N, stopped by a matching `tock`.
        job("inst")
            .instance("$N")
            .start_on(on("tick").eq("N", "*"))
            .stop_on(on("tock").eq("N", "$N")),
        // A partial match that holds one `left` until a `right` comes.
        job("pair")
            .start_on(on("left").and(on("right")))
            .stop_on(on("tock")),
    ];
    let mut m = Machine::new(bundle(&jobs), Config::default(), FakeSpawner::default());
    let mut live_pids: Vec<u32> = Vec::new();
    let mut baseline = 0;
    let mut peak_growth = 0;
    for k in 0..EVENTS {
        let now = u64::from(k);
        match k % 16 {
            0 => m.emit(now, "tick", vec![]),
            1 => m.emit(now, "tick", vec![format!("N={}", k % 7)]),
            2 => m.emit(now, "ping", vec![]),
            3 => m.emit(now, "left", vec![]),
            5 => m.emit(now, "right", vec![]),
            9 => m.emit(now, "tock", vec![format!("N={}", (k / 16) % 7)]),
            // Matches nothing: a name no job mentions, some with an
            // environment.
            n => m.emit(now, &format!("noise-{}", k % 1000), vec![format!("K={n}")]),
        }
        live_pids.extend(m.spawner.take_pids());
        for pid in std::mem::take(&mut live_pids) {
            m.handle(now, Stimulus::ExecConfirmed { pid });
            m.handle(
                now,
                Stimulus::Exited {
                    pid,
                    status: ExitStatus::Exited(0),
                },
            );
        }
        live_pids.extend(m.spawner.take_pids());
        while let Some(a) = m.poll_action() {
            assert!(
                !matches!(a, Action::Log { ref text, .. } if text.contains("did not settle")),
                "{a:?}"
            );
        }
        if k == EVENTS / 10 {
            baseline = LIVE.load(Ordering::Relaxed);
        } else if k > EVENTS / 10 {
            peak_growth = peak_growth.max(LIVE.load(Ordering::Relaxed) - baseline);
        }
    }
    eprintln!("baseline {baseline} bytes, peak growth {peak_growth} bytes");
    // At most the `left` held by `pair` (if `right` has not come since).
    assert!(m.pending_events() <= 1, "{:?}", m.live_events());
    // At most svc, pair and the seven instances of inst.
    assert!(m.instances().len() <= 9, "{:?}", m.instances());
    assert!(m
        .instances()
        .iter()
        .all(|i| i.goal == Goal::Start && i.state == State::Running));
    assert!(
        peak_growth < 64 * 1024,
        "memory grew by {peak_growth} bytes over the last 900,000 events"
    );
}
