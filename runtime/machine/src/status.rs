//! Status lines, as `initctl status` and `list` print them (control.md
//! §3.5), and upc's one addition: a class whose last run failed shows why
//! under its `stop/waiting` line, as a continuation line the way initctl
//! shows a second process (indented by a tab):
//!
//! ```text
//! bad stop/waiting
//!     last run failed: main process: unable to execute: No such file or directory
//! ```

use crate::process::describe;
use crate::types::*;
use crate::{Machine, Spawner};

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
        line
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
