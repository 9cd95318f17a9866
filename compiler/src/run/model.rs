//! What `upc run` knows of the boot it watches, rebuilt from upinit's
//! `--trace` (JSON Lines, the schema of `upc simulate --format json`).
//!
//! Why the trace and not `upctl list`: a list is a snapshot, and most of
//! a boot happens between two snapshots. A task such as `hostname` starts
//! and finishes within milliseconds; polled, it would never be seen, and
//! a task that failed would look like any other `stop/waiting`. The trace
//! has every goal, state, process, exit and event in the machine's order,
//! so the view shows every change and the summary counts every job that
//! ran and every failure, with Upstart's own `RESULT=failed` (the
//! `stopped` event's `PROCESS`, `EXIT_STATUS`, `EXIT_SIGNAL`) as the
//! definition of a failure.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

/// One trace record: the fields `upc run` reads (the schema has more;
/// they are ignored, as a newer init may add some).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Record {
    pub t_ms: u64,
    pub kind: String,
    pub job: String,
    pub instance: String,
    pub to: String,
    pub process: String,
    pub pid: u64,
    /// `kill`: the signal's name.
    pub signal: Option<String>,
    pub event: String,
    pub env: Env,
}

/// An event's environment in the order init wrote it (a JSON object, read
/// entry by entry: a map type would sort the keys).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env(pub Vec<(String, String)>);

impl Env {
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl<'de> Deserialize<'de> for Env {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Env, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = Env;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Env, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, String>()? {
                    entries.push(entry);
                }
                Ok(Env(entries))
            }
        }
        d.deserialize_map(Entries)
    }
}

/// Reads the trace file as init appends to it: complete lines only.
pub struct TraceReader {
    file: File,
    partial: Vec<u8>,
}

impl TraceReader {
    pub fn new(file: File) -> TraceReader {
        TraceReader {
            file,
            partial: Vec::new(),
        }
    }

    /// The records written since the last call (a line init has not
    /// finished writing waits for the next call). A line that is not a
    /// record is skipped.
    pub fn read(&mut self) -> io::Result<Vec<Record>> {
        let mut buf = [0u8; 64 * 1024];
        loop {
            match self.file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => self
                    .partial
                    .extend_from_slice(buf.get(..n).unwrap_or_default()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let Some(end) = self.partial.iter().rposition(|&b| b == b'\n') else {
            return Ok(Vec::new());
        };
        let rest = self.partial.split_off(end + 1);
        let complete = std::mem::replace(&mut self.partial, rest);
        Ok(complete
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .filter_map(|l| serde_json::from_slice::<Record>(l).ok())
            .collect())
    }
}

/// One job instance as the trace last described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub job: String,
    pub instance: String,
    pub goal: String,
    pub state: String,
    /// Processes running now, in slot order as they were spawned:
    /// (process kind, pid).
    pub processes: Vec<(String, u32)>,
    /// Why it failed, if it did (the last failure).
    pub failure: Option<String>,
    /// It was running when the stop began ([`Model::mark_running`]).
    pub running_at_stop: bool,
}

impl Instance {
    /// `job` or `job (instance)`, as initctl names an instance.
    pub fn name(&self) -> String {
        if self.instance.is_empty() {
            self.job.clone()
        } else {
            format!("{} ({})", self.job, self.instance)
        }
    }

    /// The instance's status as initctl words it on one line:
    /// `job (instance) goal/state, process PID` (the main process, else
    /// the one running now as `pre-start process PID`).
    pub fn status(&self) -> String {
        let mut line = format!("{} {}/{}", self.name(), self.goal, self.state);
        if let Some((_, pid)) = self.processes.iter().find(|(kind, _)| kind == "main") {
            line.push_str(&format!(", process {pid}"));
        } else if let Some((kind, pid)) = self.processes.first() {
            line.push_str(&format!(", {kind} process {pid}"));
        }
        line
    }

    /// At rest: a service running, or stopped. A task that is running
    /// counts too (its main process runs; nothing else will move until it
    /// ends).
    pub fn at_rest(&self) -> bool {
        matches!(
            (self.goal.as_str(), self.state.as_str()),
            ("start", "running") | ("stop", "waiting")
        )
    }

    pub fn running(&self) -> bool {
        self.goal == "start" && self.state == "running"
    }

    pub fn stopped(&self) -> bool {
        self.goal == "stop" && self.state == "waiting"
    }
}

/// A failure as the `stopped` event reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `job` or `job (instance)`.
    pub name: String,
    pub job: String,
    pub instance: String,
    /// `main process exited with status 1`, `respawning too fast`.
    pub reason: String,
    /// Init's clock.
    pub t_ms: u64,
}

/// What a record changed, for the line-per-change view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// An instance's state changed; its status line now.
    State { t_ms: u64, status: String },
    /// An event other than a job's own (those repeat the state lines).
    Event { t_ms: u64, text: String },
    /// A job failed.
    Failed {
        t_ms: u64,
        name: String,
        reason: String,
    },
}

/// Every instance the trace has shown, in the order they first appeared
/// (the boot order).
#[derive(Debug, Default)]
pub struct Model {
    instances: Vec<Instance>,
    index: HashMap<(String, String), usize>,
    failures: Vec<Failure>,
    /// Instances that needed SIGKILL (their kill timeout ran out).
    killed: Vec<String>,
    /// Init's clock at the last goal, state, process or exit record.
    pub last_change_ms: u64,
    /// How many such records have arrived.
    pub changes: u64,
}

const JOB_EVENTS: [&str; 4] = ["starting", "started", "stopping", "stopped"];

impl Model {
    pub fn instances(&self) -> &[Instance] {
        &self.instances
    }

    pub fn failures(&self) -> &[Failure] {
        &self.failures
    }

    pub fn killed(&self) -> &[String] {
        &self.killed
    }

    /// Every instance is at rest.
    pub fn at_rest(&self) -> bool {
        self.instances.iter().all(Instance::at_rest)
    }

    fn entry(&mut self, job: &str, instance: &str) -> &mut Instance {
        let key = (job.to_owned(), instance.to_owned());
        let instances = &mut self.instances;
        let n = *self.index.entry(key).or_insert_with(|| {
            instances.push(Instance {
                job: job.to_owned(),
                instance: instance.to_owned(),
                goal: "stop".into(),
                state: "waiting".into(),
                processes: Vec::new(),
                failure: None,
                running_at_stop: false,
            });
            instances.len() - 1
        });
        // The index holds only positions pushed here.
        &mut self.instances[n]
    }

    fn changed(&mut self, t_ms: u64) {
        self.last_change_ms = self.last_change_ms.max(t_ms);
        self.changes += 1;
    }

    /// Takes one trace record; returns what a line-per-change view shows.
    pub fn apply(&mut self, r: &Record) -> Option<Change> {
        let t_ms = r.t_ms;
        let (job, instance) = (r.job.as_str(), r.instance.as_str());
        match r.kind.as_str() {
            "goal" => {
                self.entry(job, instance).goal = r.to.clone();
                self.changed(t_ms);
                None
            }
            "state" => {
                let i = self.entry(job, instance);
                i.state = r.to.clone();
                if i.state == "waiting" {
                    i.processes.clear();
                }
                let status = i.status();
                self.changed(t_ms);
                Some(Change::State { t_ms, status })
            }
            "process" => {
                let pid = u32::try_from(r.pid).unwrap_or(0);
                let i = self.entry(job, instance);
                i.processes.retain(|(k, _)| *k != r.process);
                i.processes.push((r.process.clone(), pid));
                self.changed(t_ms);
                None
            }
            "exit" => {
                let i = self.entry(job, instance);
                i.processes.retain(|(k, _)| *k != r.process);
                self.changed(t_ms);
                None
            }
            "kill" if r.signal.as_deref() == Some("KILL") => {
                let name = self.entry(job, instance).name();
                if !self.killed.contains(&name) {
                    self.killed.push(name);
                }
                None
            }
            "event" => self.event(t_ms, &r.event, &r.env),
            _ => None,
        }
    }

    fn event(&mut self, t_ms: u64, name: &str, env: &Env) -> Option<Change> {
        if !JOB_EVENTS.contains(&name) {
            let mut text = format!("event {name}");
            for (k, v) in &env.0 {
                text.push_str(&format!(" {k}={v}"));
            }
            return Some(Change::Event { t_ms, text });
        }
        if name != "stopped" || env.get("RESULT") != Some("failed") {
            return None;
        }
        let job = env.get("JOB").unwrap_or("");
        let instance = env.get("INSTANCE").unwrap_or("");
        let process = env.get("PROCESS").unwrap_or("main");
        let reason = match (process, env.get("EXIT_STATUS"), env.get("EXIT_SIGNAL")) {
            ("respawn", _, _) => "respawning too fast, stopped".to_owned(),
            (p, Some(n), _) => format!("{p} process exited with status {n}"),
            (p, None, Some(s)) => format!("{p} process killed by {s}"),
            (p, None, None) => format!("{p} process failed"),
        };
        let i = self.entry(job, instance);
        i.failure = Some(reason.clone());
        let name = i.name();
        self.failures.push(Failure {
            name: name.clone(),
            job: job.to_owned(),
            instance: instance.to_owned(),
            reason: reason.clone(),
            t_ms,
        });
        Some(Change::Failed { t_ms, name, reason })
    }

    /// Notes which instances run now (when the stop begins).
    pub fn mark_running(&mut self) {
        for i in &mut self.instances {
            i.running_at_stop = i.running();
        }
    }

    /// Instances that were started at least once (left `stop/waiting`).
    pub fn started(&self) -> usize {
        self.instances.len()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn apply_all(model: &mut Model, lines: &[&str]) -> Vec<Change> {
        lines
            .iter()
            .filter_map(|l| model.apply(&serde_json::from_str::<Record>(l).unwrap()))
            .collect()
    }

    #[test]
    fn states_processes_and_exits_make_initctl_status_lines() {
        let mut m = Model::default();
        let changes = apply_all(
            &mut m,
            &[
                r#"{"t_ms":0,"kind":"goal","job":"web","instance":"","from":"stop","to":"start"}"#,
                r#"{"t_ms":0,"kind":"state","job":"web","instance":"","from":"waiting","to":"starting"}"#,
                r#"{"t_ms":1,"kind":"state","job":"web","instance":"","from":"starting","to":"pre-start"}"#,
                r#"{"t_ms":1,"kind":"process","job":"web","instance":"","process":"pre-start","pid":40}"#,
                r#"{"t_ms":3,"kind":"exit","job":"web","instance":"","process":"pre-start","pid":40,"status":0}"#,
                r#"{"t_ms":3,"kind":"state","job":"web","instance":"","from":"pre-start","to":"spawned"}"#,
                r#"{"t_ms":3,"kind":"process","job":"web","instance":"","process":"main","pid":41}"#,
                r#"{"t_ms":3,"kind":"state","job":"web","instance":"","from":"spawned","to":"running"}"#,
            ],
        );
        let lines: Vec<String> = changes
            .into_iter()
            .map(|c| match c {
                Change::State { status, .. } => status,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            lines,
            [
                "web start/starting",
                // The line is made as the state is entered, before its
                // process is spawned; the terminal block shows the pid.
                "web start/pre-start",
                "web start/spawned",
                "web start/running, process 41",
            ]
        );
        assert!(m.at_rest());
        assert_eq!(m.last_change_ms, 3);
    }

    #[test]
    fn a_stopped_event_with_result_failed_is_a_failure_with_its_reason() {
        let mut m = Model::default();
        let changes = apply_all(
            &mut m,
            &[
                r#"{"t_ms":5,"kind":"event","event":"stopped","env":{"JOB":"getty","INSTANCE":"tty1","RESULT":"failed","PROCESS":"main","EXIT_STATUS":"127"}}"#,
                r#"{"t_ms":6,"kind":"event","event":"stopped","env":{"JOB":"syslog","INSTANCE":"","RESULT":"failed","PROCESS":"respawn"}}"#,
                r#"{"t_ms":7,"kind":"event","event":"stopped","env":{"JOB":"ok","INSTANCE":"","RESULT":"ok"}}"#,
                r#"{"t_ms":8,"kind":"event","event":"stopped","env":{"JOB":"seg","INSTANCE":"","RESULT":"failed","PROCESS":"post-start","EXIT_SIGNAL":"SEGV"}}"#,
            ],
        );
        assert_eq!(changes.len(), 3);
        let reasons: Vec<(String, String)> = m
            .failures()
            .iter()
            .map(|f| (f.name.clone(), f.reason.clone()))
            .collect();
        assert_eq!(
            reasons,
            [
                (
                    "getty (tty1)".to_owned(),
                    "main process exited with status 127".to_owned()
                ),
                (
                    "syslog".to_owned(),
                    "respawning too fast, stopped".to_owned()
                ),
                (
                    "seg".to_owned(),
                    "post-start process killed by SEGV".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn other_events_are_shown_with_their_environment_and_job_events_are_not() {
        let mut m = Model::default();
        let changes = apply_all(
            &mut m,
            &[
                r#"{"t_ms":2,"kind":"event","event":"mounted","env":{"MOUNTPOINT":"/run","TYPE":"tmpfs"}}"#,
                r#"{"t_ms":2,"kind":"event","event":"started","env":{"JOB":"web","INSTANCE":""}}"#,
            ],
        );
        assert_eq!(
            changes,
            [Change::Event {
                t_ms: 2,
                text: "event mounted MOUNTPOINT=/run TYPE=tmpfs".into()
            }]
        );
    }

    #[test]
    fn a_task_on_its_way_is_not_at_rest_and_a_sigkill_is_remembered() {
        let mut m = Model::default();
        apply_all(
            &mut m,
            &[
                r#"{"t_ms":0,"kind":"goal","job":"t","instance":"","from":"stop","to":"start"}"#,
                r#"{"t_ms":0,"kind":"state","job":"t","instance":"","from":"waiting","to":"starting"}"#,
                r#"{"t_ms":9,"kind":"kill","job":"t","instance":"","process":"main","pid":7,"signal":"KILL"}"#,
            ],
        );
        assert!(!m.at_rest());
        assert_eq!(m.killed(), ["t"]);
    }

    #[test]
    fn the_reader_returns_complete_lines_only() {
        use std::io::Write;
        let mut writer = tempfile::NamedTempFile::new().unwrap();
        let mut reader = TraceReader::new(File::open(writer.path()).unwrap());
        writer
            .write_all(b"{\"t_ms\":1,\"kind\":\"log\"}\n{\"t_ms\":2,")
            .unwrap();
        assert_eq!(reader.read().unwrap().len(), 1);
        assert!(reader.read().unwrap().is_empty());
        writer.write_all(b"\"kind\":\"log\"}\nnot json\n").unwrap();
        let second = reader.read().unwrap();
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].t_ms, 2);
    }
}
