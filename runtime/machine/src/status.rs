//! Status lines, as `initctl status` and `list` print them (control.md
//! §3.5), and upc's additions, continuation lines the way initctl shows a
//! second process: a class whose last run failed shows why under its
//! `stop/waiting` line (continuation lines are indented by a tab),
//!
//! ```text
//! bad stop/waiting
//!     last run failed: main process: unable to execute: No such file or directory
//! ```
//!
//! a job waiting in `spawned` says what for (a wrong `expect` is the
//! classic hang, so it says so), and an `expect notify` daemon's
//! `STATUS=` is shown.

use upc_bundle::Expect;

use crate::process::describe;
use crate::types::*;
use crate::{Machine, Spawner};

/// `12 s`, `0.5 s`: a duration in whole seconds, or tenths below ten.
pub(crate) fn seconds(ms: Millis) -> String {
    if ms >= 10_000 || ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{}.{} s", ms / 1000, ms % 1000 / 100)
    }
}

impl RunFailure {
    /// What failed, in init's log words: `main process terminated with
    /// status 3`, `pre-start process: unable to find setuid user`,
    /// `respawning too fast`.
    pub fn message(&self) -> String {
        let process = self.process.map_or("", |p| p.name());
        match &self.cause {
            FailureCause::Ended(status) => format!("{process} process {}", describe(*status)),
            FailureCause::Spawn(reason) => format!("{process} process: {reason}"),
            FailureCause::RespawnLimit => "respawning too fast".to_owned(),
        }
    }

    /// The continuation line under `JOB stop/waiting` (without the
    /// newline): `\tlast run failed: ...`, with the instance's name for an
    /// instance job (`\tlast run (tty1) failed: ...`).
    pub fn status_line(&self) -> String {
        if self.instance.is_empty() {
            format!("\tlast run failed: {}", self.message())
        } else {
            format!("\tlast run ({}) failed: {}", self.instance, self.message())
        }
    }
}

impl<S: Spawner> Machine<S> {
    /// `job (instance) goal/state, process pid` with continuation lines
    /// for further processes.
    pub(crate) fn status_line(&self, iid: InstanceId) -> String {
        let Some(inst) = self.instances.get(&iid) else {
            return String::new();
        };
        let mut line = self.class_name(inst.class).to_owned();
        if !inst.name.is_empty() {
            line.push_str(&format!(" ({})", inst.name));
        }
        line.push_str(&format!(" {}/{}", inst.goal, inst.state));
        for (n, (kind, pid)) in inst.processes().into_iter().enumerate() {
            if n > 0 {
                line.push_str(&format!("\n\t{} process {pid}", kind.name()));
            } else if matches!(
                kind,
                ProcessKind::Main | ProcessKind::PreStart | ProcessKind::PostStop
            ) {
                line.push_str(&format!(", process {pid}"));
            } else {
                line.push_str(&format!(", ({}) process {pid}", kind.name()));
            }
        }
        if inst.state == State::Spawned {
            if let Some(what) = self.waiting_for(iid) {
                let waited = seconds(self.now.saturating_sub(inst.spawned_at));
                line.push_str(&format!("\n\twaiting {waited} for {what}; "));
                match self.config.spawn_timeout {
                    Some(t) => {
                        line.push_str(&format!("fails after {} (--spawn-timeout)", seconds(t)))
                    }
                    None => line.push_str(
                        "warning: no --spawn-timeout, so a wrong `expect` waits for ever",
                    ),
                }
            }
        }
        if let Some(text) = &inst.notify_status {
            line.push_str(&format!("\n\tstatus: {text}"));
        }
        if inst.notify_stopping {
            line.push_str("\n\tthe main process said it is stopping (STOPPING=1)");
        }
        line
    }

    /// What the main process of an instance in `spawned` must do before
    /// the job moves on, in words (`None` without a main process, or for
    /// `expect none`, which only waits for the exec).
    pub(crate) fn waiting_for(&self, iid: InstanceId) -> Option<String> {
        let inst = self.instances.get(&iid)?;
        let class = self.classes.get(&inst.class)?;
        inst.pid(ProcessKind::Main)?;
        Some(match class.expect {
            Expect::None => return None,
            Expect::Fork => "the main process to fork (expect fork)".to_owned(),
            Expect::Daemon => format!(
                "the main process to fork twice (expect daemon; {} of 2 forks seen)",
                inst.forks
            ),
            Expect::Stop => "the main process to stop itself with SIGSTOP (expect stop)".to_owned(),
            Expect::Notify => "READY=1 on NOTIFY_SOCKET (expect notify)".to_owned(),
            Expect::Fd => {
                let fd = class
                    .bundle
                    .job(class.index)
                    .and_then(|j| j.ready_fd())
                    .unwrap_or(0);
                format!("a newline on descriptor {fd} (ready fd {fd})")
            }
        })
    }

    /// The status line of an instance by names; `JOB stop/waiting` once it
    /// is gone (the instance name is then not shown, as initctl prints it),
    /// with the reason when that instance's run was the class's last
    /// failure.
    pub(crate) fn status_of(&self, job: &str, instance: &str) -> String {
        let class = self.find_class(job).and_then(|c| self.classes.get(&c));
        match class.and_then(|c| c.instances.get(instance)) {
            Some(&iid) => self.status_line(iid),
            None => self.waiting_line(job, self.failure_of(job, Some(instance))),
        }
    }

    /// `JOB stop/waiting`, and the failure's continuation line if any.
    pub(crate) fn waiting_line(&self, job: &str, failure: Option<&RunFailure>) -> String {
        match failure {
            Some(f) => format!("{job} stop/waiting\n{}", f.status_line()),
            None => format!("{job} stop/waiting"),
        }
    }

    /// The last failure of the class registered as `job`; with `instance`,
    /// only if that instance failed.
    pub(crate) fn failure_of(&self, job: &str, instance: Option<&str>) -> Option<&RunFailure> {
        let class = self.classes.get(&self.find_class(job)?)?;
        let failure = class.last_failure.as_deref()?;
        instance
            .is_none_or(|name| failure.instance == name)
            .then_some(failure)
    }

    /// One line per instance of every class, `NAME stop/waiting` for a
    /// class without any.
    pub(crate) fn list(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (name, class) in &self.registered {
            let Some(c) = self.classes.get(class) else {
                continue;
            };
            if c.instances.is_empty() {
                lines.push(self.waiting_line(name, c.last_failure.as_deref()));
            }
            lines.extend(c.instances.values().map(|&iid| self.status_line(iid)));
        }
        lines
    }
}
