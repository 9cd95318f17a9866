//! Writing lines: objects field by field in a fixed order, strings escaped
//! as JSON requires (by `upc_machine::json::string`, the escaper the trace
//! uses too), one line per message.

use upc_machine::json;
use upc_machine::{EnvScope, Target};

use super::*;

/// A JSON object written field by field in the order given (the wire
/// shows `id` and `op` first, for people reading a trace of it).
struct Obj(String);

impl Obj {
    fn new() -> Obj {
        Obj(String::from("{"))
    }

    fn key(&mut self, key: &str) -> &mut String {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        json::string(&mut self.0, key);
        self.0.push(':');
        &mut self.0
    }

    fn str(mut self, key: &str, value: &str) -> Obj {
        json::string(self.key(key), value);
        self
    }

    fn opt_str(self, key: &str, value: Option<&str>) -> Obj {
        match value {
            Some(v) => self.str(key, v),
            None => self.raw(key, "null"),
        }
    }

    fn num(mut self, key: &str, value: u64) -> Obj {
        self.key(key).push_str(&value.to_string());
        self
    }

    fn bool(self, key: &str, value: bool) -> Obj {
        self.raw(key, if value { "true" } else { "false" })
    }

    fn strs(mut self, key: &str, items: &[String]) -> Obj {
        let out = self.key(key);
        out.push('[');
        for (n, item) in items.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            json::string(out, item);
        }
        out.push(']');
        self
    }

    fn raw(mut self, key: &str, json: &str) -> Obj {
        self.key(key).push_str(json);
        self
    }

    fn target(self, target: &Target) -> Obj {
        match target {
            Target::Job(job) => self.str("job", job),
            Target::Instance { job, instance } => self.str("job", job).str("instance", instance),
        }
    }

    fn scope(self, scope: &EnvScope) -> Obj {
        match scope {
            EnvScope::Global => self,
            EnvScope::Instance { job, instance } => self.str("job", job).str("instance", instance),
        }
    }

    fn done(mut self) -> String {
        self.0.push('}');
        self.0
    }

    /// The object as a line.
    fn line(self) -> String {
        let mut s = self.done();
        s.push('\n');
        s
    }
}

/// One request as a line (ending in `\n`).
pub fn encode_request(id: u64, request: &Request) -> String {
    let o = Obj::new().num("id", id).str("op", request.op());
    match request {
        Request::Start { target, env, wait }
        | Request::Stop { target, env, wait }
        | Request::Restart { target, env, wait } => {
            o.target(target).strs("env", env).bool("wait", *wait)
        }
        Request::Reload { target, env } => o.target(target).strs("env", env),
        Request::Status {
            target,
            env,
            records,
        } => o.target(target).strs("env", env).bool("records", *records),
        Request::List { records } => o.bool("records", *records),
        Request::Emit { name, env, wait } => {
            o.str("name", name).strs("env", env).bool("wait", *wait)
        }
        Request::GetEnv { scope, name } => o.scope(scope).str("name", name),
        Request::ListEnv { scope } | Request::ResetEnv { scope } => o.scope(scope),
        Request::SetEnv {
            scope,
            vars,
            replace,
        } => o.scope(scope).strs("vars", vars).bool("replace", *replace),
        Request::UnsetEnv { scope, names } => o.scope(scope).strs("names", names),
        Request::ReloadConfiguration
        | Request::Version
        | Request::NotifyDiskWriteable
        | Request::Runlevel => o,
        Request::LogPriority { set: None } => o,
        Request::LogPriority { set: Some(p) } => o.str("priority", p),
        Request::Telinit {
            runlevel,
            prevlevel,
            env,
        } => {
            let o = o.str("runlevel", runlevel);
            match prevlevel {
                Some(p) => o.str("prevlevel", p),
                None => o,
            }
            .strs("env", env)
        }
        Request::Power { force, .. } => o.bool("force", *force),
        Request::Log { job, instance } => o.str("job", job).str("instance", instance),
        Request::Usage { job } => o.str("job", job),
    }
    .line()
}

/// The greeting as a line.
pub fn encode_hello(hello: &Hello) -> String {
    let version = format!("[{},{}]", hello.major, hello.minor);
    Obj::new()
        .str("hello", "upinit")
        .raw("protocol", &version)
        .str("server", &hello.server)
        .str("mode", &hello.mode)
        .line()
}

/// One instance's record as a JSON object (no newline).
pub(super) fn encode_record(r: &InstanceRecord) -> String {
    let mut procs = String::from("[");
    for (n, (kind, pid)) in r.processes.iter().enumerate() {
        if n > 0 {
            procs.push(',');
        }
        procs.push_str(
            &Obj::new()
                .str("kind", kind.name())
                .num("pid", u64::from(*pid))
                .done(),
        );
    }
    procs.push(']');
    let o = Obj::new()
        .str("job", &r.job)
        .str("instance", &r.instance)
        .str("goal", r.goal.name())
        .str("state", r.state.name())
        .raw("processes", &procs);
    match &r.failure {
        None => o,
        Some(f) => {
            let failure = Obj::new()
                .str("instance", &f.instance)
                .opt_str("process", f.process.map(|p| p.name()))
                .str("message", &f.message)
                .done();
            o.raw("failure", &failure)
        }
    }
    .done()
}

/// One reply as a line (ending in `\n`).
pub fn encode_reply(reply: &Reply) -> String {
    let o = match reply.id {
        Some(id) => Obj::new().num("id", id),
        None => Obj::new().raw("id", "null"),
    };
    match &reply.result {
        Err(failure) => o
            .str("error", failure.kind.name())
            .str("message", &failure.message),
        Ok(Output::Done) => o.str("ok", "done"),
        Ok(Output::Status { lines, records }) => {
            let o = o.str("ok", "status").strs("lines", lines);
            match records {
                None => o,
                Some(records) => {
                    let list: Vec<String> = records.iter().map(encode_record).collect();
                    o.raw("records", &format!("[{}]", list.join(",")))
                }
            }
        }
        Ok(Output::Value(v)) => o.str("ok", "value").str("value", v),
        Ok(Output::Env(e)) => o.str("ok", "env").strs("env", e),
        Ok(Output::Runlevel { previous, current }) => o
            .str("ok", "runlevel")
            .opt_str("previous", previous.as_deref())
            .opt_str("current", current.as_deref()),
        Ok(Output::Log {
            text,
            path,
            truncated,
        }) => o
            .str("ok", "log")
            .str("text", text)
            .opt_str("path", path.as_deref())
            .bool("truncated", *truncated),
    }
    .line()
}
