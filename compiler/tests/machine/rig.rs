//! A test rig for `upc-machine`: job files in, a machine with a fake
//! process table on a virtual clock, and the trace rendered as short lines
//! so tests read like the worked timelines of runtime-semantics.md §20.

use std::path::Path;

use upc_machine::*;

/// Hands out pids 1, 2, ... and remembers every spawn.
#[derive(Default)]
pub struct FakeSpawner {
    pub spawned: Vec<(u32, Spawn)>,
}

impl Spawner for FakeSpawner {
    fn spawn(&mut self, spawn: &Spawn, _: Job<'_>) -> u32 {
        let pid = self.spawned.len() as u32 + 1;
        self.spawned.push((pid, spawn.clone()));
        pid
    }
}

pub struct Rig {
    pub m: Machine<FakeSpawner>,
    pub now: Millis,
    next_request: u64,
    /// Every action polled so far.
    pub actions: Vec<Action>,
    lines: Vec<String>,
}

/// Compiles `jobs` (name, text) into a bundle.
pub fn bundle(jobs: &[(&str, &str)]) -> ValidatedBundle<'static> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in jobs {
        let path = dir.path().join(format!("{name}.conf"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    bundle_of(dir.path())
}

pub fn bundle_of(dir: &Path) -> ValidatedBundle<'static> {
    let report = upc::check::check_paths_with(
        &[dir.to_path_buf()],
        &upc::check::CheckOptions {
            graph: false,
            ..Default::default()
        },
    );
    assert_eq!(report.errors(), 0, "{:?}", report.diagnostics);
    let bytes = upc::build::build(&report.jobs, &report.sources).unwrap();
    upc_bundle::validate_owned(bytes).unwrap()
}

pub fn rig(jobs: &[(&str, &str)]) -> Rig {
    rig_with(jobs, Config::default())
}

pub fn rig_with(jobs: &[(&str, &str)], config: Config) -> Rig {
    let config = Config {
        trace: true,
        global_env: vec!["PATH=/bin".into(), "TERM=linux".into()],
        ..config
    };
    Rig {
        m: Machine::new(bundle(jobs), config, FakeSpawner::default()),
        now: 0,
        next_request: 1,
        actions: Vec::new(),
        lines: Vec::new(),
    }
}

fn env_text(env: &[String]) -> String {
    env.iter()
        .map(|e| format!(" {e}"))
        .collect::<Vec<_>>()
        .concat()
}

fn label(job: &str, instance: &str) -> String {
    if instance.is_empty() {
        job.to_owned()
    } else {
        format!("{job} ({instance})")
    }
}

/// One short line per trace record (holds and replies left out).
fn line(r: &TraceRecord) -> Option<String> {
    Some(match &r.kind {
        TraceKind::Goal {
            job,
            instance,
            from,
            to,
            ..
        } => format!("{} goal {from} -> {to}", label(job, instance)),
        TraceKind::State {
            job,
            instance,
            from,
            to,
            ..
        } => format!("{} {from} -> {to}", label(job, instance)),
        TraceKind::Event { name, env, .. } => format!("event {name}{}", env_text(env)),
        TraceKind::EventFinished { name, failed, .. } => {
            format!("finished {name}{}", if *failed { " (failed)" } else { "" })
        }
        TraceKind::Process {
            job,
            instance,
            process,
            pid,
        } => format!("{} {} ({pid})", label(job, instance), process.name()),
        TraceKind::Exit {
            job,
            instance,
            process,
            pid,
            status,
        } => format!(
            "{} {} ({pid}) {}",
            label(job, instance),
            process.name(),
            match status {
                ExitStatus::Exited(n) => format!("exit {n}"),
                ExitStatus::Signaled(s) => format!("signal {s}"),
            }
        ),
        TraceKind::Kill {
            job,
            instance,
            pid,
            signal,
            ..
        } => format!("{} kill {signal} ({pid})", label(job, instance)),
        TraceKind::Log { level, text } if *level >= LogLevel::Warn => format!("log {text}"),
        TraceKind::Hold { .. } | TraceKind::Reply { .. } | TraceKind::Log { .. } => return None,
    })
}

impl Rig {
    fn collect(&mut self) {
        for r in self.m.take_trace() {
            if let Some(l) = line(&r) {
                self.lines.push(l);
            }
        }
        while let Some(a) = self.m.poll_action() {
            self.actions.push(a);
        }
    }

    /// The trace lines since the last call.
    pub fn take(&mut self) -> Vec<String> {
        self.collect();
        std::mem::take(&mut self.lines)
    }

    pub fn advance(&mut self, ms: Millis) {
        self.now += ms;
        if self.m.poll_timeout().is_some_and(|t| t <= self.now) {
            self.m.handle(self.now, Stimulus::Timeout);
        }
        self.collect();
    }

    pub fn emit(&mut self, name: &str, env: &[&str]) {
        self.m
            .emit(self.now, name, env.iter().map(|s| s.to_string()).collect());
        self.collect();
    }

    pub fn handle(&mut self, s: Stimulus) {
        self.m.handle(self.now, s);
        self.collect();
    }

    pub fn exit(&mut self, pid: u32, status: i32) {
        self.handle(Stimulus::Exited {
            pid,
            status: ExitStatus::Exited(status),
        });
    }

    pub fn killed(&mut self, pid: u32, signal: i32) {
        self.handle(Stimulus::Exited {
            pid,
            status: ExitStatus::Signaled(signal),
        });
    }

    pub fn confirm(&mut self, pid: u32) {
        self.handle(Stimulus::ExecConfirmed { pid });
    }

    /// Sends a request and returns its id.
    pub fn request(&mut self, request: Request) -> RequestId {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        self.handle(Stimulus::Request { id, request });
        id
    }

    pub fn start(&mut self, job: &str, env: &[&str], wait: bool) -> RequestId {
        self.request(Request::Start {
            target: Target::Job(job.into()),
            env: env.iter().map(|s| s.to_string()).collect(),
            wait,
        })
    }

    pub fn stop(&mut self, job: &str, env: &[&str], wait: bool) -> RequestId {
        self.request(Request::Stop {
            target: Target::Job(job.into()),
            env: env.iter().map(|s| s.to_string()).collect(),
            wait,
        })
    }

    /// The reply to a request, if it was sent.
    pub fn reply(&self, id: RequestId) -> Option<&Reply> {
        self.actions.iter().find_map(|a| match a {
            Action::Reply { id: r, reply } if *r == id => Some(reply),
            _ => None,
        })
    }

    /// The reply as initctl would print it: status lines or the error.
    pub fn reply_text(&self, id: RequestId) -> Option<String> {
        self.reply(id).map(|r| match r {
            Ok(Output::Status(lines)) | Ok(Output::Env(lines)) => lines.join("\n"),
            Ok(Output::Value(v)) => v.clone(),
            Ok(Output::Done) => "ok".into(),
            Err(e) => format!("error: {}", e.message),
        })
    }

    /// The spawn with this pid.
    pub fn spawn(&self, pid: u32) -> &Spawn {
        &self.m.spawner.spawned[pid as usize - 1].1
    }

    /// The environment a spawned process got.
    pub fn env_of(&self, pid: u32) -> Vec<String> {
        self.spawn(pid).env.clone()
    }

    /// The pid of the latest spawn of `job`'s `process`.
    pub fn pid_of(&self, job: &str, process: ProcessKind) -> u32 {
        self.m
            .spawner
            .spawned
            .iter()
            .rev()
            .find(|(_, s)| s.job == job && s.proc.process == process)
            .map(|(p, _)| *p)
            .unwrap_or_else(|| panic!("no {} process of {job} was spawned", process.name()))
    }

    /// `goal/state` of an instance, or `gone`.
    pub fn status(&self, job: &str, instance: &str) -> String {
        self.m
            .instances()
            .into_iter()
            .find(|i| i.job == job && i.name == instance)
            .map_or("gone".into(), |i| format!("{}/{}", i.goal, i.state))
    }

    pub fn signals(&self) -> Vec<(u32, i32)> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Signal { pid, signal, .. } => Some((*pid, *signal)),
                _ => None,
            })
            .collect()
    }
}

/// The full state walk of a start without processes, as lines.
pub fn start_walk(job: &str) -> Vec<String> {
    [
        "starting -> security-spawning",
        "security-spawning -> security",
        "security -> pre-starting",
        "pre-starting -> pre-start",
        "pre-start -> spawning",
        "spawning -> spawned",
        "spawned -> post-starting",
        "post-starting -> post-start",
        "post-start -> running",
    ]
    .iter()
    .map(|s| format!("{job} {s}"))
    .collect()
}

/// Whether `lines` contains `wanted` in order (other lines may come
/// between).
pub fn in_order(lines: &[String], wanted: &[&str]) -> bool {
    let mut it = lines.iter();
    wanted.iter().all(|w| it.any(|l| l == w))
}
