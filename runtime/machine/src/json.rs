//! The trace as JSON Lines: the one renderer of [`TraceRecord`]s that
//! `upc simulate --format json` and `upinit --trace` share, so a trace of
//! the real runtime and a simulated one can be compared line by line (and
//! with `../shared/oracle/*/trace.jsonl`).
//!
//! Hand-formatted: the machine takes no dependency for it. Every object
//! starts with `t_ms` and `kind`; the other fields follow in a fixed order,
//! optional ones left out when they have no value. Strings are escaped as
//! serde_json escapes them (`"`, `\`, control characters; nothing else), so
//! the output is the same as the serde DTOs it replaced, byte for byte.
//!
//! Records that the machine does not make (a control command, console
//! output, a followed fork, a summary) are written by the drivers with the
//! same [`Object`] builder.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::types::*;

/// One JSON object being written into a string.
pub struct Object<'a> {
    out: &'a mut String,
}

impl<'a> Object<'a> {
    /// Starts `{"t_ms":T,"kind":"KIND"`.
    pub fn record(out: &'a mut String, t: Millis, kind: &str) -> Object<'a> {
        let _ = write!(out, "{{\"t_ms\":{t}");
        let mut o = Object { out };
        o.str("kind", kind);
        o
    }

    /// Starts an empty object.
    pub fn new(out: &'a mut String) -> Object<'a> {
        out.push('{');
        Object { out }
    }

    fn key(&mut self, key: &str) {
        if !self.out.ends_with('{') {
            self.out.push(',');
        }
        string(self.out, key);
        self.out.push(':');
    }

    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        string(self.out, value);
        self
    }

    pub fn opt_str(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.str(key, v);
        }
        self
    }

    pub fn num(&mut self, key: &str, value: impl Into<i128>) -> &mut Self {
        self.key(key);
        let _ = write!(self.out, "{}", value.into());
        self
    }

    pub fn bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.key(key);
        self.out.push_str(if value { "true" } else { "false" });
        self
    }

    /// An array of strings.
    pub fn strs<S: AsRef<str>>(&mut self, key: &str, values: &[S]) -> &mut Self {
        self.key(key);
        self.out.push('[');
        for (n, v) in values.iter().enumerate() {
            if n > 0 {
                self.out.push(',');
            }
            string(self.out, v.as_ref());
        }
        self.out.push(']');
        self
    }

    /// `KEY=VALUE` entries as an object, in their own order (a value-less
    /// entry gets `""`).
    pub fn env<S: AsRef<str>>(&mut self, key: &str, entries: &[S]) -> &mut Self {
        self.key(key);
        self.out.push('{');
        for (n, entry) in entries.iter().enumerate() {
            let entry = entry.as_ref();
            let (k, v) = entry.split_once('=').unwrap_or((entry, ""));
            if n > 0 {
                self.out.push(',');
            }
            string(self.out, k);
            self.out.push(':');
            string(self.out, v);
        }
        self.out.push('}');
        self
    }

    /// A nested value written by `f` (an object or an array).
    pub fn raw(&mut self, key: &str, f: impl FnOnce(&mut String)) -> &mut Self {
        self.key(key);
        f(self.out);
        self
    }

    /// Closes the object.
    pub fn end(&mut self) {
        self.out.push('}');
    }
}

/// `value` as a JSON string literal.
pub fn string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A signal as the trace names it (`TERM`), or its number.
pub fn signal_name(s: i32) -> String {
    upc_bundle::signals::signal_name(s).map_or_else(|| s.to_string(), str::to_owned)
}

pub fn level_name(l: LogLevel) -> &'static str {
    match l {
        LogLevel::Debug => "debug",
        LogLevel::Info => "info",
        LogLevel::Warn => "warn",
        LogLevel::Error => "error",
    }
}

/// A reply's lines as `initctl` prints them (the error's message for an
/// error).
pub fn reply_lines(reply: &Reply) -> Vec<String> {
    match reply {
        Ok(Output::Done) => Vec::new(),
        Ok(Output::Status(lines) | Output::Env(lines)) => lines.clone(),
        Ok(Output::Value(v)) => vec![v.clone()],
        Err(e) => vec![e.message.clone()],
    }
}

/// Renders a stream of trace records. It remembers the names of the live
/// events, which hold records and goal causes name, until they finish.
#[derive(Debug, Default)]
pub struct TraceWriter {
    events: BTreeMap<EventId, String>,
}

impl TraceWriter {
    pub fn new() -> TraceWriter {
        TraceWriter::default()
    }

    /// The name of a live event.
    pub fn event_name(&self, id: EventId) -> Option<&str> {
        self.events.get(&id).map(String::as_str)
    }

    /// A goal change's cause as the trace words it (`event startup`,
    /// `request 3`, `main process`); `None` for the machine's own.
    pub fn cause(&self, cause: &Cause) -> Option<String> {
        match cause {
            Cause::Event(id) => Some(format!("event {}", self.event_name(*id).unwrap_or("?"))),
            Cause::Request(id) => Some(format!("request {}", id.0)),
            Cause::Process(kind) => Some(format!("{} process", kind.name())),
            Cause::Internal => None,
        }
    }

    /// Appends `record` as one line (with its newline). `reply` is the
    /// answer a [`TraceKind::Reply`] record stands for, if the driver has
    /// it. Names of events are kept for the records that refer to them.
    pub fn line(&mut self, out: &mut String, record: &TraceRecord, reply: Option<&Reply>) {
        let t = record.t;
        match &record.kind {
            TraceKind::State {
                job,
                instance,
                from,
                to,
                ..
            } => {
                Object::record(out, t, "state")
                    .str("job", job)
                    .str("instance", instance)
                    .str("from", from.name())
                    .str("to", to.name())
                    .end();
            }
            TraceKind::Event { id, name, env, .. } => {
                self.events.insert(*id, name.clone());
                Object::record(out, t, "event")
                    .str("event", name)
                    .env("env", env)
                    .end();
            }
            TraceKind::EventFinished { id, name, failed } => {
                // Nothing refers to a finished event: forget it, so a
                // long-running init's trace does not grow a table.
                self.events.remove(id);
                Object::record(out, t, "event-finished")
                    .str("event", name)
                    .bool("failed", *failed)
                    .end();
            }
            TraceKind::Goal {
                job,
                instance,
                from,
                to,
                cause,
            } => {
                Object::record(out, t, "goal")
                    .str("job", job)
                    .str("instance", instance)
                    .str("from", from.name())
                    .str("to", to.name())
                    .opt_str("cause", self.cause(cause).as_deref())
                    .end();
            }
            TraceKind::Hold {
                event,
                job,
                instance,
                start_on,
            } => {
                Object::record(out, t, "hold")
                    .str("job", job)
                    .str("instance", instance)
                    .str("event", self.event_name(*event).unwrap_or("?"))
                    .bool("start_on", *start_on)
                    .end();
            }
            TraceKind::Process {
                job,
                instance,
                process,
                pid,
            } => {
                Object::record(out, t, "process")
                    .str("job", job)
                    .str("instance", instance)
                    .str("process", process.name())
                    .num("pid", *pid)
                    .end();
            }
            TraceKind::Exit {
                job,
                instance,
                process,
                pid,
                status,
            } => {
                let mut o = Object::record(out, t, "exit");
                o.str("job", job)
                    .str("instance", instance)
                    .str("process", process.name())
                    .num("pid", *pid);
                match *status {
                    ExitStatus::Exited(n) => o.num("status", n),
                    ExitStatus::Signaled(s) => o.str("signal", &signal_name(s)),
                };
                o.end();
            }
            TraceKind::Kill {
                job,
                instance,
                process,
                pid,
                signal,
            } => {
                Object::record(out, t, "kill")
                    .str("job", job)
                    .str("instance", instance)
                    .str("process", process.name())
                    .num("pid", *pid)
                    .str("signal", &signal_name(*signal))
                    .end();
            }
            TraceKind::Reply { id, ok } => {
                let lines = reply.map(reply_lines).unwrap_or_default();
                Object::record(out, t, "reply")
                    .num("request", id.0)
                    .bool("ok", *ok)
                    .strs("output", &lines)
                    .end();
            }
            TraceKind::Log { level, text } => {
                Object::record(out, t, "log")
                    .str("level", level_name(*level))
                    .str("text", text)
                    .end();
            }
        }
        out.push('\n');
    }
}

/// A control request as it reached init: `command` is the request in
/// initctl's words (`start J FOO=bar`); `by` the job process that sent it
/// (job, instance, process), if known.
pub fn command_line(
    out: &mut String,
    t: Millis,
    request: RequestId,
    command: &str,
    by: Option<(&str, &str, ProcessKind)>,
) {
    Object::record(out, t, "command")
        .num("request", request.0)
        .str("command", command)
        .opt_str("job", by.map(|b| b.0))
        .opt_str("instance", by.map(|b| b.1))
        .opt_str("process", by.map(|b| b.2.name()))
        .end();
    out.push('\n');
}

/// A traced main process forked and its child is followed from now on.
pub fn follow_line(out: &mut String, t: Millis, job: &str, instance: &str, pid: u32, new_pid: u32) {
    Object::record(out, t, "follow")
        .str("job", job)
        .str("instance", instance)
        .str("process", "main")
        .num("pid", pid)
        .num("new_pid", new_pid)
        .end();
    out.push('\n');
}

/// A line a job wrote to the console.
pub fn output_line(out: &mut String, t: Millis, text: &str) {
    Object::record(out, t, "output").str("text", text).end();
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(kind: TraceKind) -> String {
        let mut out = String::new();
        TraceWriter::new().line(&mut out, &TraceRecord { t: 7, kind }, None);
        out
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut out = String::new();
        string(&mut out, "a\"b\\c\nd\te\u{1}f\u{7f}é/");
        assert_eq!(out, r#""a\"b\\c\nd\te\u0001f"#.to_owned() + "\u{7f}é/\"");
    }

    #[test]
    fn an_exit_has_a_status_or_a_signal() {
        let exit = |status| TraceKind::Exit {
            job: "j".into(),
            instance: String::new(),
            process: ProcessKind::Main,
            pid: 5,
            status,
        };
        assert_eq!(
            rendered(exit(ExitStatus::Exited(3))),
            "{\"t_ms\":7,\"kind\":\"exit\",\"job\":\"j\",\"instance\":\"\",\"process\":\"main\",\"pid\":5,\"status\":3}\n"
        );
        assert_eq!(
            rendered(exit(ExitStatus::Signaled(15))),
            "{\"t_ms\":7,\"kind\":\"exit\",\"job\":\"j\",\"instance\":\"\",\"process\":\"main\",\"pid\":5,\"signal\":\"TERM\"}\n"
        );
    }

    #[test]
    fn an_event_env_keeps_its_order_and_a_hold_names_its_event() {
        let mut w = TraceWriter::new();
        let mut out = String::new();
        let event = TraceKind::Event {
            id: EventId(4),
            name: "net".into(),
            env: vec!["Z=1".into(), "A".into()],
            emitter: None,
        };
        w.line(&mut out, &TraceRecord { t: 0, kind: event }, None);
        let hold = TraceKind::Hold {
            event: EventId(4),
            job: "j".into(),
            instance: "i".into(),
            start_on: true,
        };
        w.line(&mut out, &TraceRecord { t: 1, kind: hold }, None);
        assert_eq!(
            out,
            "{\"t_ms\":0,\"kind\":\"event\",\"event\":\"net\",\"env\":{\"Z\":\"1\",\"A\":\"\"}}\n\
             {\"t_ms\":1,\"kind\":\"hold\",\"job\":\"j\",\"instance\":\"i\",\"event\":\"net\",\"start_on\":true}\n"
        );
    }

    #[test]
    fn a_reply_carries_its_lines_and_a_command_who_sent_it() {
        let mut out = String::new();
        let reply: Reply = Err(ControlError::new(
            ControlErrorKind::UnknownJob,
            "Unknown job: x",
        ));
        let record = TraceRecord {
            t: 2,
            kind: TraceKind::Reply {
                id: RequestId(9),
                ok: false,
            },
        };
        TraceWriter::new().line(&mut out, &record, Some(&reply));
        command_line(
            &mut out,
            3,
            RequestId(10),
            "start x",
            Some(("a", "", ProcessKind::PreStart)),
        );
        command_line(&mut out, 3, RequestId(11), "list", None);
        assert_eq!(
            out,
            "{\"t_ms\":2,\"kind\":\"reply\",\"request\":9,\"ok\":false,\"output\":[\"Unknown job: x\"]}\n\
             {\"t_ms\":3,\"kind\":\"command\",\"request\":10,\"command\":\"start x\",\"job\":\"a\",\"instance\":\"\",\"process\":\"pre-start\"}\n\
             {\"t_ms\":3,\"kind\":\"command\",\"request\":11,\"command\":\"list\"}\n"
        );
    }
}
