//! Goal and state changes of an instance, its job events, and releasing
//! what waits for it (runtime-semantics.md §3–§5, §7, §9.3).

use std::rc::Rc;

use crate::events::Waiter;
use crate::instance::{next_state, Blocked, Failure, Instance};
use crate::types::*;
use crate::{env, Machine, PendingReply, Spawner};

impl<S: Spawner> Machine<S> {
    /// The instance of `class` named `name`, created (goal stop, state
    /// waiting) if there is none.
    pub(crate) fn find_or_create(&mut self, class: ClassId, name: &str) -> InstanceId {
        let Some(c) = self.classes.get_mut(&class) else {
            return InstanceId(0);
        };
        if let Some(&iid) = c.instances.get(name) {
            return iid;
        }
        let iid = InstanceId(self.next_instance);
        self.next_instance += 1;
        c.instances.insert(name.to_owned(), iid);
        let stop_on = c.new_stop_state();
        self.instances.insert(
            iid,
            Box::new(Instance::new(iid, class, name.to_owned(), stop_on)),
        );
        iid
    }

    pub(crate) fn names_of(&self, iid: InstanceId) -> (String, String) {
        self.instances.get(&iid).map_or_else(Default::default, |i| {
            (self.class_name(i.class).to_owned(), i.name.clone())
        })
    }

    /// Upstart's `job_change_goal` (§3.4): only `waiting` and `running`
    /// need a push; otherwise the step in progress finishes first.
    pub(crate) fn change_goal(&mut self, iid: InstanceId, goal: Goal, cause: Cause) {
        let Some(inst) = self.instances.get_mut(&iid) else {
            return;
        };
        if inst.goal == goal {
            return;
        }
        let from = inst.goal;
        inst.goal = goal;
        let state = inst.state;
        self.record(|m| {
            let (job, instance) = m.names_of(iid);
            TraceKind::Goal {
                job,
                instance,
                from,
                to: goal,
                cause,
            }
        });
        match (goal, state) {
            (Goal::Start, State::Waiting) | (Goal::Stop, State::Running) => self.advance(iid),
            _ => {}
        }
    }

    /// Leaves the current state for the next one the goal asks for.
    pub(crate) fn advance(&mut self, iid: InstanceId) {
        let Some(inst) = self.instances.get(&iid) else {
            return;
        };
        let main_alive = inst.pid(ProcessKind::Main).is_some();
        let (state, goal) = (inst.state, inst.goal);
        match next_state(state, goal, main_alive) {
            Some((to, new_goal)) => {
                if new_goal != goal {
                    self.change_goal(iid, new_goal, Cause::Internal);
                }
                self.enter(iid, to);
            }
            None => {
                self.log(LogLevel::Error, |m| {
                    format!(
                        "{}: no transition from {state} with goal {goal}",
                        m.label(iid)
                    )
                });
            }
        }
    }

    /// Enters `to` and every state after it that has nothing to wait for
    /// (§3.3).
    fn enter(&mut self, iid: InstanceId, mut to: State) {
        loop {
            let Some(inst) = self.instances.get_mut(&iid) else {
                return;
            };
            let from = inst.state;
            inst.state = to;
            let class = inst.class;
            if from == State::Spawned {
                if let Some(t) = inst.ready_deadline.take() {
                    self.ready_deadlines.remove(&(t, iid));
                }
            }
            let blocked_by =
                matches!(to, State::Starting | State::Stopping).then_some(EventId(self.next_event));
            self.record(|m| {
                let (job, instance) = m.names_of(iid);
                TraceKind::State {
                    job,
                    instance,
                    from,
                    to,
                    blocked_by,
                }
            });
            let wait = match to {
                State::Starting => {
                    if let Some(inst) = self.instances.get_mut(&iid) {
                        if let Some(env) = inst.start_env.take() {
                            inst.env = env;
                        }
                        inst.stop_env.clear();
                        inst.failure = None;
                    }
                    self.emit_job_event(iid, "starting", true);
                    true
                }
                State::SecuritySpawning => {
                    self.config.apparmor && self.spawn_if_defined(iid, ProcessKind::Security)
                }
                State::PreStarting => self.spawn_if_defined(iid, ProcessKind::PreStart),
                State::Spawning => self.spawn_if_defined(iid, ProcessKind::Main),
                State::PostStarting => self.spawn_if_defined(iid, ProcessKind::PostStart),
                State::PreStopping => self.spawn_if_defined(iid, ProcessKind::PreStop),
                State::PostStopping => self.spawn_if_defined(iid, ProcessKind::PostStop),
                State::Security => self.has_pid(iid, ProcessKind::Security),
                State::PreStart => self.has_pid(iid, ProcessKind::PreStart),
                State::Spawned => self.await_ready(iid),
                State::PostStart => self.has_pid(iid, ProcessKind::PostStart),
                State::PreStop => self.has_pid(iid, ProcessKind::PreStop),
                State::PostStop => self.has_pid(iid, ProcessKind::PostStop),
                State::Running => {
                    if from == State::PostStart {
                        // A clean start: the class's last failure is over.
                        if let Some(c) = self.classes.get_mut(&class) {
                            c.last_failure = None;
                        }
                        self.emit_job_event(iid, "started", false);
                        if !self.classes.get(&class).is_some_and(|c| c.task) {
                            self.job_finished(iid, false);
                        }
                    } else {
                        if let Some(inst) = self.instances.get_mut(&iid) {
                            inst.stop_env.clear();
                        }
                        self.job_finished(iid, false);
                    }
                    true
                }
                State::Stopping => {
                    self.emit_job_event(iid, "stopping", true);
                    true
                }
                State::Killed => self.kill_main(iid),
                State::Waiting => {
                    self.emit_job_event(iid, "stopped", false);
                    self.job_finished(iid, false);
                    self.destroy(iid);
                    return;
                }
            };
            if wait {
                return;
            }
            let Some(inst) = self.instances.get(&iid) else {
                return;
            };
            let main_alive = inst.pid(ProcessKind::Main).is_some();
            match next_state(inst.state, inst.goal, main_alive) {
                Some((next, goal)) => {
                    if goal != inst.goal {
                        self.change_goal(iid, goal, Cause::Internal);
                    }
                    to = next;
                }
                None => return,
            }
        }
    }

    /// Entering `spawned`: waits if there is a main process, with the
    /// spawn timeout armed if one is configured.
    fn await_ready(&mut self, iid: InstanceId) -> bool {
        if !self.has_pid(iid, ProcessKind::Main) {
            return false;
        }
        if let Some(after) = self.config.spawn_timeout {
            let deadline = self.now.saturating_add(after);
            if let Some(inst) = self.instances.get_mut(&iid) {
                if let Some(old) = inst.ready_deadline.replace(deadline) {
                    self.ready_deadlines.remove(&(old, iid));
                }
            }
            self.ready_deadlines.insert((deadline, iid));
        }
        true
    }

    /// Whether the instance has a pid in that slot (the state then waits
    /// for it).
    fn has_pid(&self, iid: InstanceId, kind: ProcessKind) -> bool {
        self.instances
            .get(&iid)
            .is_some_and(|i| i.pid(kind).is_some())
    }

    /// Spawns the process if the class defines it. Never waits: the state
    /// after a `…-ing` state does.
    fn spawn_if_defined(&mut self, iid: InstanceId, kind: ProcessKind) -> bool {
        let Some(inst) = self.instances.get(&iid) else {
            return false;
        };
        let Some(class) = self.classes.get(&inst.class) else {
            return false;
        };
        if !class.defines(kind) {
            return false;
        }
        let bundle = Rc::clone(&class.bundle);
        let Some(job) = bundle.job(class.index) else {
            return false;
        };
        let Some(process) = job.process(kind) else {
            return false;
        };
        let mut process_env = inst.env.clone();
        if matches!(kind, ProcessKind::PreStop | ProcessKind::PostStop) {
            for entry in &inst.stop_env {
                env::set(&mut process_env, entry.clone());
            }
        }
        env::set(&mut process_env, format!("UPSTART_JOB={}", class.name));
        env::set(&mut process_env, format!("UPSTART_INSTANCE={}", inst.name));
        let spawn = Spawn {
            proc: ProcRef {
                instance: iid,
                process: kind,
            },
            class: inst.class,
            job: class.name.clone(),
            instance: inst.name.clone(),
            body: process.body(),
            text: process.text().to_owned(),
            env: process_env,
            trace: kind == ProcessKind::Main && class.expect.traces(),
        };
        let pid = self.spawner.spawn(&spawn, job);
        if let Some(inst) = self.instances.get_mut(&iid) {
            inst.set_pid(kind, Some(pid));
            if kind == ProcessKind::Main {
                inst.forks = 0;
                inst.spawned_at = self.now;
                inst.notify_status = None;
                inst.notify_stopping = false;
            }
        }
        self.pids.insert(pid, spawn.proc);
        self.log(LogLevel::Info, |m| {
            format!("{} {} process ({pid})", m.label(iid), kind.name())
        });
        let (job, instance) = (spawn.job, spawn.instance);
        self.record(|_| TraceKind::Process {
            job,
            instance,
            process: kind,
            pid,
        });
        false
    }

    /// `name` or `name (instance)`, as Upstart's log names a job.
    pub(crate) fn label(&self, iid: InstanceId) -> String {
        let (job, instance) = self.names_of(iid);
        if instance.is_empty() {
            job
        } else {
            format!("{job} ({instance})")
        }
    }

    /// Emits one of the instance's four job events (§5); a blocking one
    /// holds the instance in its state until the event finishes.
    fn emit_job_event(&mut self, iid: InstanceId, name: &str, blocking: bool) {
        let Some(inst) = self.instances.get(&iid) else {
            return;
        };
        let Some(class) = self.classes.get(&inst.class) else {
            return;
        };
        let mut event_env = vec![
            format!("JOB={}", class.name),
            format!("INSTANCE={}", inst.name),
        ];
        if matches!(name, "stopping" | "stopped") {
            result_env(&mut event_env, inst.failure);
        }
        for var in &class.export {
            if let Some(value) = env::get(&inst.env, var) {
                env::set_if_absent(&mut event_env, format!("{var}={value}"));
            }
        }
        let emitter = self
            .config
            .trace
            .then(|| (class.name.clone(), inst.name.clone()));
        let id = self.new_event(name.to_owned(), event_env, emitter);
        if blocking {
            if let Some(e) = self.events.get_mut(&id) {
                e.waiters.push(Waiter::Job(iid));
            }
            if let Some(inst) = self.instances.get_mut(&iid) {
                inst.blocker = Some(id);
            }
        }
    }

    /// Releases everything waiting for the instance (§7): events (marked
    /// failed if `failed`) and requests.
    pub(crate) fn job_finished(&mut self, iid: InstanceId, failed: bool) {
        let Some(inst) = self.instances.get_mut(&iid) else {
            return;
        };
        let blocking = std::mem::take(&mut inst.blocking);
        if blocking.is_empty() {
            return;
        }
        let (job, instance) = self.names_of(iid);
        for b in blocking {
            match b {
                Blocked::Event(e) => self.unblock_event(e, failed),
                Blocked::Request(rid, kind) => {
                    let reply = if failed {
                        PendingReply::Ready(Err(ControlError::new(
                            ControlErrorKind::JobFailed,
                            kind.failure(),
                        )))
                    } else {
                        PendingReply::Status {
                            job: job.clone(),
                            instance: instance.clone(),
                        }
                    };
                    self.replies.push((rid, reply));
                }
            }
        }
    }

    /// Records the run's first failure (also as the class's last failure,
    /// which `status` shows) and releases the waiters with it (§8.5);
    /// later failures of the run are ignored.
    pub(crate) fn job_failed(
        &mut self,
        iid: InstanceId,
        process: Option<ProcessKind>,
        cause: FailureCause,
    ) {
        let Some(inst) = self.instances.get_mut(&iid) else {
            return;
        };
        if inst.failure.is_some() {
            return;
        }
        let status = match cause {
            FailureCause::Ended(status) => Some(status),
            FailureCause::Spawn(_) | FailureCause::RespawnLimit => None,
        };
        inst.failure = Some(Failure { process, status });
        let failure = RunFailure {
            instance: inst.name.clone(),
            process,
            cause,
        };
        if let Some(c) = self.classes.get_mut(&inst.class) {
            c.last_failure = Some(Box::new(failure));
        }
        self.job_finished(iid, true);
    }

    /// The instance is back in `waiting`: it goes, and its class may be
    /// replaced or removed (§15).
    fn destroy(&mut self, iid: InstanceId) {
        self.release_stop_holds(iid);
        let Some(inst) = self.instances.remove(&iid) else {
            return;
        };
        for (_, pid) in inst.processes() {
            self.pids.remove(&pid);
        }
        if let Some(t) = inst.kill_deadline {
            self.deadlines.remove(&(t, iid));
        }
        if let Some(c) = self.classes.get_mut(&inst.class) {
            if c.instances.get(&inst.name) == Some(&iid) {
                c.instances.remove(&inst.name);
            }
        }
        self.reconsider(inst.class);
    }
}

/// `RESULT=` and the failure details of `stopping`/`stopped` (§5).
fn result_env(event_env: &mut Vec<String>, failure: Option<Failure>) {
    let Some(f) = failure else {
        event_env.push("RESULT=ok".into());
        return;
    };
    event_env.push("RESULT=failed".into());
    event_env.push(format!(
        "PROCESS={}",
        f.process.map_or("respawn", ProcessKind::name)
    ));
    match f.status {
        Some(ExitStatus::Exited(n)) => event_env.push(format!("EXIT_STATUS={n}")),
        Some(ExitStatus::Signaled(s)) => event_env.push(format!(
            "EXIT_SIGNAL={}",
            upc_bundle::signals::signal_name(s).map_or_else(|| s.to_string(), str::to_owned)
        )),
        None => {}
    }
}
