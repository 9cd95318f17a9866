//! `--trace FILE`: the machine's trace and init's own records as JSON
//! Lines, in the schema of `upc simulate --format json` (written by
//! `upc_machine::json`, the one renderer both use), so a run of the real
//! runtime can be compared with a simulation and with Upstart's traces.
//! Init adds `command` (a control request arrived), `output` (a line a job
//! wrote to the captured console), `follow` (a job's main process became
//! another one) and the replies' output lines.
//!
//! `--debug` also says the goal, state and event records on the console
//! in Upstart's own words (`tty1 state changed from waiting to starting`,
//! `Handling started event`).

use std::fs::File;
use std::io::{BufWriter, Write};

use upc_machine::json::{command_line, follow_line, output_line, TraceWriter};
use upc_machine::{LogLevel, Millis, Reply, RequestId, TraceKind, TraceRecord};

use super::say::Say;

pub struct Trace {
    file: Option<BufWriter<File>>,
    writer: TraceWriter,
    /// Say goal, state and event records on the console.
    debug: bool,
    line: String,
}

fn label(job: &str, instance: &str) -> String {
    if instance.is_empty() {
        job.to_owned()
    } else {
        format!("{job} ({instance})")
    }
}

impl Trace {
    pub fn new(file: Option<File>, debug: bool) -> Trace {
        Trace {
            file: file.map(BufWriter::new),
            writer: TraceWriter::new(),
            debug,
            line: String::new(),
        }
    }

    /// Whether anything reads the machine's trace.
    pub fn wanted(&self) -> bool {
        self.file.is_some() || self.debug
    }

    /// Whether a file takes init's own records too.
    pub fn to_file(&self) -> bool {
        self.file.is_some()
    }

    fn write_line(&mut self) {
        if let Some(f) = &mut self.file {
            // A trace that cannot be written is lost; init goes on.
            let _ = f.write_all(self.line.as_bytes());
        }
        self.line.clear();
    }

    pub fn record(&mut self, record: &TraceRecord, reply: Option<&Reply>, say: &Say) {
        if self.debug {
            let text = match &record.kind {
                TraceKind::State {
                    job,
                    instance,
                    from,
                    to,
                    ..
                } => Some(format!(
                    "{} state changed from {from} to {to}",
                    label(job, instance)
                )),
                TraceKind::Goal {
                    job,
                    instance,
                    from,
                    to,
                    ..
                } => Some(format!(
                    "{} goal changed from {from} to {to}",
                    label(job, instance)
                )),
                TraceKind::Event { name, .. } => Some(format!("Handling {name} event")),
                _ => None,
            };
            if let Some(text) = text {
                say.line(LogLevel::Debug, &text);
            }
        }
        if self.file.is_some() {
            self.writer.line(&mut self.line, record, reply);
            self.write_line();
        }
    }

    pub fn command(&mut self, t: Millis, request: RequestId, text: &str) {
        if self.file.is_some() {
            command_line(&mut self.line, t, request, text, None);
            self.write_line();
        }
    }

    /// The main process of a job became another process (a followed
    /// fork's child, a `MAINPID`).
    pub fn follow(&mut self, t: Millis, job: &str, instance: &str, pid: u32, new_pid: u32) {
        if self.file.is_some() {
            follow_line(&mut self.line, t, job, instance, pid, new_pid);
            self.write_line();
        }
    }

    pub fn output(&mut self, t: Millis, text: &str) {
        if self.file.is_some() {
            output_line(&mut self.line, t, text);
            self.write_line();
        }
    }

    pub fn flush(&mut self) {
        if let Some(f) = &mut self.file {
            let _ = f.flush();
        }
    }
}

/// A request in initctl's words, for `command` records: `start J A=b`,
/// `emit --no-wait startup`, `status J`.
pub fn command_text(request: &crate::proto::Request) -> String {
    use crate::proto::Request as R;
    use upc_machine::{EnvScope, Target};
    let mut words: Vec<String> = vec![request.op().to_owned()];
    let target = |words: &mut Vec<String>, t: &Target| match t {
        Target::Job(job) => words.push(job.clone()),
        Target::Instance { job, instance } => {
            words.push(job.clone());
            words.push(format!("UPSTART_INSTANCE={instance}"));
        }
    };
    let scope = |words: &mut Vec<String>, s: &EnvScope| {
        if let EnvScope::Instance { job, instance } = s {
            words.push(format!("--job={job}"));
            words.push(format!("--instance={instance}"));
        }
    };
    match request {
        R::Start {
            target: t,
            env,
            wait,
        }
        | R::Stop {
            target: t,
            env,
            wait,
        }
        | R::Restart {
            target: t,
            env,
            wait,
        } => {
            if !wait {
                words.push("--no-wait".into());
            }
            target(&mut words, t);
            words.extend(env.iter().cloned());
        }
        R::Reload { target: t, env } | R::Status { target: t, env, .. } => {
            target(&mut words, t);
            words.extend(env.iter().cloned());
        }
        R::Emit { name, env, wait } => {
            if !wait {
                words.push("--no-wait".into());
            }
            words.push(name.clone());
            words.extend(env.iter().cloned());
        }
        R::GetEnv { scope: s, name } => {
            scope(&mut words, s);
            words.push(name.clone());
        }
        R::ListEnv { scope: s } | R::ResetEnv { scope: s } => scope(&mut words, s),
        R::SetEnv {
            scope: s,
            vars,
            replace,
        } => {
            scope(&mut words, s);
            if !replace {
                words.push("--retain".into());
            }
            words.extend(vars.iter().cloned());
        }
        R::UnsetEnv { scope: s, names } => {
            scope(&mut words, s);
            words.extend(names.iter().cloned());
        }
        R::LogPriority { set } => words.extend(set.iter().cloned()),
        R::Telinit { runlevel, env, .. } => {
            words.push(runlevel.clone());
            words.extend(env.iter().cloned());
        }
        R::Power { force, .. } => {
            if *force {
                words.push("--force".into());
            }
        }
        R::Log { job, instance } => {
            words.push(job.clone());
            if !instance.is_empty() {
                words.push(instance.clone());
            }
        }
        R::Usage { job } => words.push(job.clone()),
        R::List { .. }
        | R::ReloadConfiguration
        | R::Version
        | R::NotifyDiskWriteable
        | R::Runlevel => {}
    }
    words.join(" ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::proto::Request;
    use upc_machine::Target;

    #[test]
    fn commands_read_as_initctl_was_called() {
        let start = Request::Start {
            target: Target::Job("tty".into()),
            env: vec!["TTY=tty1".into()],
            wait: true,
        };
        assert_eq!(command_text(&start), "start tty TTY=tty1");
        let emit = Request::Emit {
            name: "startup".into(),
            env: vec![],
            wait: false,
        };
        assert_eq!(command_text(&emit), "emit --no-wait startup");
        assert_eq!(command_text(&Request::List { records: false }), "list");
    }
}
