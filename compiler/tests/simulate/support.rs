//! Shared by `simulate_chain` and `simulate_svg`: a builder for hand-written
//! traces, in the order `upc-machine` records them, and a run of the real
//! simulator over a job directory.

#![allow(dead_code)]

use std::path::Path;

use upc::simulate::{Options, Record, Simulation};
use upc_machine::*;

/// Builds a trace record by record; `start`, `up`, ... write the records
/// the machine writes for the common steps of a singleton job.
#[derive(Default)]
pub struct Tr {
    pub recs: Vec<TraceRecord>,
    pub t: Millis,
    next_event: u64,
}

impl Tr {
    pub fn new() -> Tr {
        Tr {
            next_event: 1,
            ..Tr::default()
        }
    }

    pub fn at(&mut self, t: Millis) -> &mut Tr {
        self.t = t;
        self
    }

    pub fn push(&mut self, kind: TraceKind) -> &mut Tr {
        self.recs.push(TraceRecord { t: self.t, kind });
        self
    }

    pub fn new_event(&mut self) -> EventId {
        let id = EventId(self.next_event);
        self.next_event += 1;
        id
    }

    pub fn goal(&mut self, job: &str, from: Goal, to: Goal, cause: Cause) -> &mut Tr {
        self.push(TraceKind::Goal {
            job: job.into(),
            instance: String::new(),
            from,
            to,
            cause,
        })
    }

    pub fn state(&mut self, job: &str, from: State, to: State) -> Option<EventId> {
        let blocked_by = matches!(to, State::Starting | State::Stopping).then(|| self.new_event());
        self.push(TraceKind::State {
            job: job.into(),
            instance: String::new(),
            from,
            to,
            blocked_by,
        });
        blocked_by
    }

    /// Walks `job` through `states`, from `from`.
    pub fn states(&mut self, job: &str, from: State, states: &[State]) {
        let mut prev = from;
        for &s in states {
            self.state(job, prev, s);
            prev = s;
        }
    }

    pub fn event(&mut self, id: EventId, name: &str, emitter: Option<&str>) -> &mut Tr {
        self.push(TraceKind::Event {
            id,
            name: name.into(),
            env: Vec::new(),
            emitter: emitter.map(|j| (j.to_owned(), String::new())),
        })
    }

    /// An event of init's own, handled now.
    pub fn init_event(&mut self, name: &str) -> EventId {
        let id = self.new_event();
        self.event(id, name, None);
        id
    }

    /// `job`'s `start on` match holds `event`.
    pub fn hold(&mut self, event: EventId, job: &str) -> &mut Tr {
        self.push(TraceKind::Hold {
            event,
            job: job.into(),
            instance: String::new(),
            start_on: true,
        })
    }

    /// `job`'s singleton instance holds `event` until it reaches its goal.
    pub fn instance_hold(&mut self, event: EventId, job: &str) -> &mut Tr {
        self.push(TraceKind::Hold {
            event,
            job: job.into(),
            instance: String::new(),
            start_on: false,
        })
    }

    pub fn finish(&mut self, id: EventId, name: &str) -> &mut Tr {
        self.push(TraceKind::EventFinished {
            id,
            name: name.into(),
            failed: false,
        })
    }

    /// `job`'s `start on` is satisfied by `event`: the class's hold, the
    /// instance's, the goal, `starting` and its event handled. Returns the
    /// `starting` event.
    pub fn start(&mut self, job: &str, event: EventId) -> EventId {
        self.hold(event, job).instance_hold(event, job);
        self.goal(job, Goal::Stop, Goal::Start, Cause::Event(event));
        let starting = self.state(job, State::Waiting, State::Starting);
        let starting = starting.unwrap_or(EventId(0));
        self.event(starting, "starting", Some(job));
        starting
    }

    /// `job`'s `starting` event finishes now; it runs through pre-start
    /// until `running_at`, then becomes running. Returns its `started`
    /// event, handled.
    pub fn up(&mut self, job: &str, starting: EventId, running_at: Millis) -> EventId {
        self.finish(starting, "starting");
        self.states(
            job,
            State::Starting,
            &[
                State::SecuritySpawning,
                State::Security,
                State::PreStarting,
                State::PreStart,
            ],
        );
        self.at(running_at);
        self.states(
            job,
            State::PreStart,
            &[
                State::Spawning,
                State::Spawned,
                State::PostStarting,
                State::PostStart,
                State::Running,
            ],
        );
        let started = self.new_event();
        self.event(started, "started", Some(job));
        started
    }

    /// `job` goes from `running` to `waiting` now, its `stopping` event
    /// finishing at once; returns its `stopped` event, handled.
    pub fn down(&mut self, job: &str) -> EventId {
        let stopping = self
            .state(job, State::Running, State::Stopping)
            .unwrap_or(EventId(0));
        self.event(stopping, "stopping", Some(job));
        self.finish(stopping, "stopping");
        self.states(
            job,
            State::Stopping,
            &[
                State::Killed,
                State::PostStopping,
                State::PostStop,
                State::Waiting,
            ],
        );
        let stopped = self.new_event();
        self.event(stopped, "stopped", Some(job));
        stopped
    }
}

/// Runs the simulator over a job directory with its defaults and returns
/// the machine's trace.
pub fn simulate(dir: &Path) -> Vec<TraceRecord> {
    upc::simulate::chain::split(&simulate_records(dir)).0
}

/// Runs the simulator over a job directory with its defaults and returns
/// its records (the machine's trace and the driver's notes).
pub fn simulate_records(dir: &Path) -> Vec<Record> {
    simulate_with(dir, Options::default())
}

/// The job directory of the repository (`stdlib-jobs/system`, ...).
pub fn repo_path(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// Runs the simulator over a job directory with `options` and returns its
/// records.
pub fn simulate_with(dir: &Path, options: Options) -> Vec<Record> {
    let report = upc::check::check_paths_with(
        &[dir.to_path_buf()],
        &upc::check::CheckOptions {
            graph: false,
            ..Default::default()
        },
    );
    let bytes = upc::build::build(&report.jobs, &report.sources).unwrap();
    let bundle = upc_bundle::validate_owned(bytes).unwrap();
    let mut sim = Simulation::new(bundle, options).unwrap();
    sim.run();
    sim.records().to_vec()
}

/// `initctl emit --no-wait NAME ENV...` by the operator at `at`.
pub fn emit_at(at: Millis, name: &str, env: &[&str]) -> upc::simulate::Script {
    upc::simulate::Script {
        at,
        steps: vec![upc::simulate::Step::Emit {
            name: name.into(),
            env: env.iter().map(|e| e.to_string()).collect(),
            wait: false,
        }],
    }
}
