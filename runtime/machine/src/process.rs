//! Process stimuli: exits (runtime-semantics.md §8), spawn failures
//! (§8.4), `expect` milestones (§12), the readiness notices of upc's
//! extensions (`expect notify`, `ready fd`), the kill timer (§14) and the
//! spawn timeout.
//!
//! A traced process the machine does not follow (its job left `spawned`,
//! or it is not the main process) is always let go (`PtraceDetach`), so
//! no process is ever left stopped in a trace.
//!
//! Every stimulus names a pid; one the machine does not know, or one that
//! does not fit the instance's state, is ignored with a trace record.

use upc_bundle::signals::{SIGCONT, SIGKILL};
use upc_bundle::Expect;

use crate::types::*;
use crate::{Machine, Spawner};

/// The state that waits for a process of this kind.
fn waiting_state(kind: ProcessKind) -> State {
    match kind {
        ProcessKind::Security => State::Security,
        ProcessKind::PreStart => State::PreStart,
        ProcessKind::Main => State::Spawned,
        ProcessKind::PostStart => State::PostStart,
        ProcessKind::PreStop => State::PreStop,
        ProcessKind::PostStop => State::PostStop,
    }
}

pub(crate) fn describe(status: ExitStatus) -> String {
    match status {
        ExitStatus::Exited(0) => "exited normally".into(),
        ExitStatus::Exited(n) => format!("terminated with status {n}"),
        ExitStatus::Signaled(s) => match upc_bundle::signals::signal_name(s) {
            Some(name) => format!("killed by {name} signal"),
            None => format!("killed by signal {s}"),
        },
    }
}

impl<S: Spawner> Machine<S> {
    fn ignore(&mut self, what: String) {
        self.log(LogLevel::Debug, |_| format!("ignored: {what}"));
    }

    fn state_of(&self, iid: InstanceId) -> Option<State> {
        self.instances.get(&iid).map(|i| i.state)
    }

    /// Looks a pid up as the process it is; `None` (and a trace record)
    /// for a pid the machine does not know.
    fn process_of(&mut self, pid: u32, what: &str) -> Option<ProcRef> {
        let found = self.pids.get(&pid).copied().filter(|p| {
            self.instances
                .get(&p.instance)
                .is_some_and(|i| i.pid(p.process) == Some(pid))
        });
        if found.is_none() {
            self.ignore(format!("{what} of unknown pid {pid}"));
        }
        found
    }

    /// Forgets the pid of a process that has ended.
    fn clear_process(&mut self, proc: ProcRef, pid: u32) {
        self.pids.remove(&pid);
        if let Some(inst) = self.instances.get_mut(&proc.instance) {
            inst.set_pid(proc.process, None);
            if let Some(t) = inst.kill_deadline.take() {
                self.deadlines.remove(&(t, proc.instance));
            }
        }
    }

    pub(crate) fn exited(&mut self, pid: u32, status: ExitStatus) {
        let Some(proc) = self.process_of(pid, "exit") else {
            return;
        };
        // Any exit cancels a pending kill timer (§14).
        self.clear_process(proc, pid);
        let iid = proc.instance;
        self.record(|m| {
            let (job, instance) = m.names_of(iid);
            TraceKind::Exit {
                job,
                instance,
                process: proc.process,
                pid,
                status,
            }
        });
        let level = if status.is_success() {
            LogLevel::Info
        } else {
            LogLevel::Warn
        };
        self.log(level, |m| {
            format!(
                "{} {} process ({pid}) {}",
                m.label(iid),
                proc.process.name(),
                describe(status)
            )
        });
        let cause = Cause::Process(proc.process);
        match proc.process {
            ProcessKind::Main => self.main_exited(iid, status),
            ProcessKind::PreStart | ProcessKind::PostStop if !status.is_success() => {
                self.job_failed(iid, Some(proc.process), FailureCause::Ended(status));
                self.change_goal(iid, Goal::Stop, cause);
                self.advance_if(iid, waiting_state(proc.process));
            }
            kind => self.advance_if(iid, waiting_state(kind)),
        }
    }

    fn advance_if(&mut self, iid: InstanceId, state: State) {
        if self.state_of(iid) == Some(state) {
            self.advance(iid);
        }
    }

    /// The main process ended by itself or was killed (§8.3).
    fn main_exited(&mut self, iid: InstanceId, status: ExitStatus) {
        let Some(inst) = self.instances.get(&iid) else {
            return;
        };
        let Some(class) = self.classes.get(&inst.class) else {
            return;
        };
        let (state, goal) = (inst.state, inst.goal);
        match state {
            // We stopped it: expected, never a failure.
            State::Killed => return self.advance(iid),
            // The stopping event is still being handled; `killed` will see
            // no pid and move on.
            State::Stopping => return,
            _ => {}
        }
        // Another process of the state still runs: decide now, move when
        // it ends.
        let other_runs = (state == State::PostStart && inst.pid(ProcessKind::PostStart).is_some())
            || (state == State::PreStop && inst.pid(ProcessKind::PreStop).is_some());
        let (respawn, task) = (class.respawn, class.task);
        let failed = !class.normal_exit.contains(&status.code());
        let cause = Cause::Process(ProcessKind::Main);
        let mut stop = true;
        if goal == Goal::Start && (!status.is_success() || (respawn && !task)) {
            if failed && respawn {
                if self.runaway(iid) {
                    self.log(LogLevel::Warn, |m| {
                        format!("{} respawning too fast, stopped", m.label(iid))
                    });
                    self.job_failed(iid, None, FailureCause::RespawnLimit);
                } else {
                    self.log(LogLevel::Warn, |m| {
                        format!("{} main process ended, respawning", m.label(iid))
                    });
                    if other_runs {
                        self.change_goal(iid, Goal::Respawn, cause.clone());
                    }
                    stop = false;
                }
            } else if failed {
                self.job_failed(iid, Some(ProcessKind::Main), FailureCause::Ended(status));
            }
        }
        if stop {
            // In `running` this itself moves the instance on.
            self.change_goal(iid, Goal::Stop, cause);
        }
        if !other_runs && self.state_of(iid) == Some(state) {
            self.advance(iid);
        }
    }

    /// Runaway detection (§8.5): a fixed window opened by the first
    /// respawn, `limit` respawns allowed inside it.
    fn runaway(&mut self, iid: InstanceId) -> bool {
        let now = self.now / 1000;
        let Some(inst) = self.instances.get_mut(&iid) else {
            return false;
        };
        let Some(class) = self.classes.get(&inst.class) else {
            return false;
        };
        let (limit, interval) = (class.respawn_limit, u64::from(class.respawn_interval));
        if limit == 0 || interval == 0 {
            return false;
        }
        if now.saturating_sub(inst.respawn_time) < interval {
            inst.respawn_count = inst.respawn_count.saturating_add(1);
            inst.respawn_count > limit
        } else {
            inst.respawn_time = now;
            inst.respawn_count = 1;
            false
        }
    }

    pub(crate) fn spawn_failed(&mut self, pid: u32, reason: &str) {
        let Some(proc) = self.process_of(pid, "spawn failure") else {
            return;
        };
        self.clear_process(proc, pid);
        let iid = proc.instance;
        self.log(LogLevel::Warn, |m| {
            format!(
                "Failed to spawn {} {} process: {reason}",
                m.label(iid),
                proc.process.name()
            )
        });
        match proc.process {
            // Their failure to start is ignored (§8.4).
            ProcessKind::PostStart | ProcessKind::PreStop => {}
            kind => {
                self.job_failed(iid, Some(kind), FailureCause::Spawn(reason.to_owned()));
                self.change_goal(iid, Goal::Stop, Cause::Process(kind));
            }
        }
        if proc.process == ProcessKind::Main && self.state_of(iid) == Some(State::Killed) {
            // It was being killed anyway: as good as an exit.
            self.advance(iid);
        }
        self.advance_if(iid, waiting_state(proc.process));
    }

    /// The main process of an `expect none` job is running its program.
    pub(crate) fn exec_confirmed(&mut self, pid: u32) {
        let Some(proc) = self.process_of(pid, "exec confirmation") else {
            return;
        };
        let expect = self.expect_of(proc.instance);
        if proc.process == ProcessKind::Main
            && expect == Some(Expect::None)
            && self.state_of(proc.instance) == Some(State::Spawned)
        {
            self.advance(proc.instance);
        }
    }

    fn expect_of(&self, iid: InstanceId) -> Option<Expect> {
        let inst = self.instances.get(&iid)?;
        Some(self.classes.get(&inst.class)?.expect)
    }

    /// Whether `pid` is the main process of a job that follows it with
    /// `expect` and is still waiting in `spawning`/`spawned`.
    fn traced_main(&mut self, pid: u32, what: &str, wanted: &[Expect]) -> Option<InstanceId> {
        let proc = self.process_of(pid, what)?;
        let fits = proc.process == ProcessKind::Main
            && self
                .expect_of(proc.instance)
                .is_some_and(|e| wanted.contains(&e))
            && matches!(
                self.state_of(proc.instance),
                Some(State::Spawning | State::Spawned)
            );
        if !fits {
            self.ignore(format!("{what} of pid {pid} outside spawned"));
        }
        fits.then_some(proc.instance)
    }

    /// `expect stop`: the main process raised SIGSTOP.
    pub(crate) fn stopped(&mut self, pid: u32) {
        let Some(iid) = self.traced_main(pid, "stop", &[Expect::Stop]) else {
            return;
        };
        self.actions.push_back(Action::Signal {
            pid,
            signal: SIGCONT,
            group: false,
        });
        self.advance_if(iid, State::Spawned);
    }

    /// `expect fork`/`daemon`: the followed process forked; the child is
    /// the main process from now on.
    pub(crate) fn forked(&mut self, pid: u32, child: u32) {
        let Some(iid) = self.traced_main(pid, "fork", &[Expect::Fork, Expect::Daemon]) else {
            // Nobody follows them: let both go rather than leave them
            // stopped for ever.
            self.actions.push_back(Action::PtraceDetach { pid });
            self.actions.push_back(Action::PtraceDetach { pid: child });
            return;
        };
        let Some(proc) = self.pids.remove(&pid) else {
            return;
        };
        self.pids.insert(child, proc);
        let expect = self.expect_of(iid);
        let Some(inst) = self.instances.get_mut(&iid) else {
            return;
        };
        inst.set_pid(ProcessKind::Main, Some(child));
        inst.forks += 1;
        let done = inst.forks > 1 || expect == Some(Expect::Fork);
        self.log(LogLevel::Info, |m| {
            format!(
                "{} main process ({pid}) became new process ({child})",
                m.label(iid)
            )
        });
        self.actions.push_back(Action::PtraceDetach { pid });
        if done {
            self.actions.push_back(Action::PtraceDetach { pid: child });
            self.advance_if(iid, State::Spawned);
        } else {
            self.actions
                .push_back(Action::PtraceContinue { pid: child });
        }
    }

    /// `expect fork`/`daemon`: the followed process called exec. After a
    /// fork that ends the trace; before one it is a helper being run.
    pub(crate) fn execed(&mut self, pid: u32) {
        let Some(iid) = self.traced_main(pid, "exec", &[Expect::Fork, Expect::Daemon]) else {
            self.actions.push_back(Action::PtraceDetach { pid });
            return;
        };
        let forks = self.instances.get(&iid).map_or(0, |i| i.forks);
        if forks >= 1 {
            self.actions.push_back(Action::PtraceDetach { pid });
            self.advance_if(iid, State::Spawned);
        } else {
            self.actions.push_back(Action::PtraceContinue { pid });
        }
    }

    /// `expect notify` / `ready fd`: the main process said something.
    /// `READY=1` (or the ready fd's newline) ends `spawned`; `MAINPID`
    /// moves the main process, in any state; `STATUS` and `STOPPING` are
    /// kept for `status`.
    pub(crate) fn notified(&mut self, pid: u32, notice: Notice) {
        let Some(proc) = self.process_of(pid, "readiness notice") else {
            return;
        };
        let iid = proc.instance;
        let expect = self.expect_of(iid);
        let fits = proc.process == ProcessKind::Main
            && match notice {
                Notice::Ready => matches!(expect, Some(Expect::Notify | Expect::Fd)),
                Notice::MainPid(_) | Notice::Status(_) | Notice::Stopping => {
                    expect == Some(Expect::Notify)
                }
            };
        if !fits {
            return self.ignore(format!("readiness notice {notice:?} of pid {pid}"));
        }
        match notice {
            Notice::Ready => {
                if self.state_of(iid) == Some(State::Spawned) {
                    self.advance(iid);
                } else {
                    self.ignore(format!("READY of pid {pid} outside spawned"));
                }
            }
            Notice::MainPid(new) => {
                if new == 0 || new == pid || self.pids.contains_key(&new) {
                    return self.ignore(format!("MAINPID={new} of pid {pid}"));
                }
                self.pids.remove(&pid);
                self.pids.insert(new, proc);
                if let Some(inst) = self.instances.get_mut(&iid) {
                    inst.set_pid(ProcessKind::Main, Some(new));
                }
                self.log(LogLevel::Info, |m| {
                    format!(
                        "{} main process ({pid}) became new process ({new})",
                        m.label(iid)
                    )
                });
            }
            Notice::Status(text) => {
                if let Some(inst) = self.instances.get_mut(&iid) {
                    inst.notify_status = (!text.is_empty()).then_some(text);
                }
            }
            Notice::Stopping => {
                if let Some(inst) = self.instances.get_mut(&iid) {
                    inst.notify_stopping = true;
                }
            }
        }
    }

    /// Entering `killed`: signal the main process's group and arm the kill
    /// timer. Returns whether the state must wait.
    pub(crate) fn kill_main(&mut self, iid: InstanceId) -> bool {
        let Some(inst) = self.instances.get(&iid) else {
            return false;
        };
        let Some(pid) = inst.pid(ProcessKind::Main) else {
            return false;
        };
        let Some(class) = self.classes.get(&inst.class) else {
            return false;
        };
        let (signal, timeout) = (class.kill_signal, class.kill_timeout_ms);
        self.send_kill(iid, pid, signal);
        let deadline = self.now.saturating_add(timeout);
        if let Some(inst) = self.instances.get_mut(&iid) {
            if let Some(old) = inst.kill_deadline.replace(deadline) {
                self.deadlines.remove(&(old, iid));
            }
        }
        self.deadlines.insert((deadline, iid));
        true
    }

    fn send_kill(&mut self, iid: InstanceId, pid: u32, signal: i32) {
        self.log(LogLevel::Info, |m| {
            let name = upc_bundle::signals::signal_name(signal)
                .map_or_else(|| signal.to_string(), str::to_owned);
            format!(
                "Sending {name} signal to {} main process ({pid})",
                m.label(iid)
            )
        });
        self.record(|m| {
            let (job, instance) = m.names_of(iid);
            TraceKind::Kill {
                job,
                instance,
                process: ProcessKind::Main,
                pid,
                signal,
            }
        });
        self.actions.push_back(Action::Signal {
            pid,
            signal,
            group: true,
        });
    }

    /// Kill timers that expired: SIGKILL to the group. Spawn timeouts that
    /// expired: the job fails.
    pub(crate) fn timeout(&mut self) {
        self.spawn_timeouts();
        self.kill_timeouts();
    }

    /// A main process that waited in `spawned` longer than
    /// [`crate::Config::spawn_timeout`] fails its job, as a spawn failure
    /// does (`PROCESS=main`, no exit status); stopping the job then kills
    /// it.
    fn spawn_timeouts(&mut self) {
        while let Some(&(t, iid)) = self.ready_deadlines.first() {
            if t > self.now {
                break;
            }
            self.ready_deadlines.remove(&(t, iid));
            let Some(inst) = self.instances.get_mut(&iid) else {
                continue;
            };
            if inst.ready_deadline != Some(t) || inst.state != State::Spawned {
                continue;
            }
            inst.ready_deadline = None;
            let pid = inst.pid(ProcessKind::Main).unwrap_or(0);
            let reason = format!(
                "not ready after {} (it was waiting for {})",
                crate::status::seconds(self.config.spawn_timeout.unwrap_or(0)),
                self.waiting_for(iid).unwrap_or_default()
            );
            self.log(LogLevel::Warn, |m| {
                format!("{} main process ({pid}) {reason}; giving up", m.label(iid))
            });
            self.job_failed(iid, Some(ProcessKind::Main), FailureCause::Spawn(reason));
            self.change_goal(iid, Goal::Stop, Cause::Process(ProcessKind::Main));
            self.advance_if(iid, State::Spawned);
        }
    }

    fn kill_timeouts(&mut self) {
        while let Some(&(t, iid)) = self.deadlines.first() {
            if t > self.now {
                break;
            }
            self.deadlines.remove(&(t, iid));
            let Some(inst) = self.instances.get_mut(&iid) else {
                continue;
            };
            inst.kill_deadline = None;
            if let Some(pid) = inst.pid(ProcessKind::Main) {
                self.send_kill(iid, pid, SIGKILL);
            }
        }
    }
}
