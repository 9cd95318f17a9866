//! Status lines, as `initctl status` and `list` print them (control.md
//! §3.5).

use crate::types::*;
use crate::{Machine, Spawner};

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
    /// is gone (the instance name is then not shown, as initctl prints it).
    pub(crate) fn status_of(&self, job: &str, instance: &str) -> String {
        let iid = self
            .find_class(job)
            .and_then(|c| self.classes.get(&c))
            .and_then(|c| c.instances.get(instance));
        match iid {
            Some(&iid) => self.status_line(iid),
            None => format!("{job} stop/waiting"),
        }
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
                lines.push(format!("{name} stop/waiting"));
            }
            lines.extend(c.instances.values().map(|&iid| self.status_line(iid)));
        }
        lines
    }
}
