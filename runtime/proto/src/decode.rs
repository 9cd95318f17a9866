//! Reading lines: JSON syntax first (serde_json, with its recursion limit),
//! then each field by hand, so every error names its column or its field.

use serde_json::{Map, Value};
use upc_machine::{EnvScope, Goal, ProcessKind, State, Target};

use super::*;

/// A JSON object's fields, taken one by one; what is left at the end was
/// not expected.
struct Fields {
    map: Map<String, Value>,
}

fn parse_object(line: &[u8]) -> Result<Map<String, Value>, DecodeError> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Err(DecodeError::whole("empty line"));
    }
    let value: Value = serde_json::from_slice(line).map_err(|e| {
        let text = e.to_string();
        // serde_json appends " at line L column C"; the column is kept apart.
        let message = match text.rsplit_once(" at line ") {
            Some((m, _)) => m.to_owned(),
            None => text,
        };
        DecodeError {
            column: Some(e.column()).filter(|&c| c > 0),
            field: None,
            message,
        }
    })?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(DecodeError::whole(format!(
            "expected a JSON object, found {}",
            kind_of(&other)
        ))),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Fields {
    /// A field's value; `null` counts as absent.
    fn take(&mut self, key: &str) -> Option<Value> {
        self.map.remove(key).filter(|v| !v.is_null())
    }

    fn string(&mut self, key: &str) -> Result<String, DecodeError> {
        self.opt_string(key)?
            .ok_or_else(|| DecodeError::field(key, "missing"))
    }

    fn opt_string(&mut self, key: &str) -> Result<Option<String>, DecodeError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(DecodeError::field(
                key,
                format!("expected a string, found {}", kind_of(&v)),
            )),
        }
    }

    fn strings(&mut self, key: &str) -> Result<Vec<String>, DecodeError> {
        match self.take(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(n, v)| match v {
                    Value::String(s) => Ok(s),
                    v => Err(DecodeError::field(
                        format!("{key}[{n}]"),
                        format!("expected a string, found {}", kind_of(&v)),
                    )),
                })
                .collect(),
            Some(v) => Err(DecodeError::field(
                key,
                format!("expected an array of strings, found {}", kind_of(&v)),
            )),
        }
    }

    fn flag(&mut self, key: &str, default: bool) -> Result<bool, DecodeError> {
        match self.take(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(b),
            Some(v) => Err(DecodeError::field(
                key,
                format!("expected a boolean, found {}", kind_of(&v)),
            )),
        }
    }

    fn number(&mut self, key: &str) -> Result<Option<u64>, DecodeError> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                DecodeError::field(
                    key,
                    format!("expected a whole number from 0 to 2^64-1, found {v}"),
                )
            }),
        }
    }

    fn target(&mut self) -> Result<Target, DecodeError> {
        let job = self.string("job")?;
        Ok(match self.opt_string("instance")? {
            None => Target::Job(job),
            Some(instance) => Target::Instance { job, instance },
        })
    }

    fn scope(&mut self) -> Result<EnvScope, DecodeError> {
        match (self.opt_string("job")?, self.opt_string("instance")?) {
            (None, None) => Ok(EnvScope::Global),
            (Some(job), Some(instance)) => Ok(EnvScope::Instance { job, instance }),
            (Some(_), None) => Err(DecodeError::field(
                "instance",
                "missing (`job` and `instance` go together)",
            )),
            (None, Some(_)) => Err(DecodeError::field(
                "job",
                "missing (`job` and `instance` go together)",
            )),
        }
    }

    /// Refuses the fields nobody took (requests only).
    fn finish(self, op: &str) -> Result<(), DecodeError> {
        match self.map.keys().next() {
            None => Ok(()),
            Some(key) => Err(DecodeError::field(
                key.as_str(),
                format!("unknown field for op `{op}`"),
            )),
        }
    }
}

// ---------------------------------------------------------------------
// Requests

/// Decodes one request line (a trailing newline is allowed).
pub fn decode_request(line: &[u8]) -> Result<(u64, Request), RequestError> {
    let map = parse_object(line).map_err(|error| RequestError { id: None, error })?;
    let mut f = Fields { map };
    let id = f
        .number("id")
        .map_err(|error| RequestError { id: None, error })?;
    let Some(id) = id else {
        return Err(RequestError {
            id: None,
            error: DecodeError::field("id", "missing"),
        });
    };
    let at = |error| RequestError {
        id: Some(id),
        error,
    };
    let op = f.string("op").map_err(at)?;
    let request = request_body(&op, &mut f).map_err(at)?;
    f.finish(&op).map_err(at)?;
    Ok((id, request))
}

fn request_body(op: &str, f: &mut Fields) -> Result<Request, DecodeError> {
    Ok(match op {
        "start" | "stop" | "restart" => {
            let target = f.target()?;
            let env = f.strings("env")?;
            let wait = f.flag("wait", true)?;
            match op {
                "start" => Request::Start { target, env, wait },
                "stop" => Request::Stop { target, env, wait },
                _ => Request::Restart { target, env, wait },
            }
        }
        "reload" => Request::Reload {
            target: f.target()?,
            env: f.strings("env")?,
        },
        "status" => Request::Status {
            target: f.target()?,
            env: f.strings("env")?,
            records: f.flag("records", false)?,
        },
        "list" => Request::List {
            records: f.flag("records", false)?,
        },
        "emit" => Request::Emit {
            name: f.string("name")?,
            env: f.strings("env")?,
            wait: f.flag("wait", true)?,
        },
        "get-env" => Request::GetEnv {
            scope: f.scope()?,
            name: f.string("name")?,
        },
        "list-env" => Request::ListEnv { scope: f.scope()? },
        "set-env" => Request::SetEnv {
            scope: f.scope()?,
            vars: f.strings("vars")?,
            replace: f.flag("replace", true)?,
        },
        "unset-env" => Request::UnsetEnv {
            scope: f.scope()?,
            names: f.strings("names")?,
        },
        "reset-env" => Request::ResetEnv { scope: f.scope()? },
        "reload-configuration" => Request::ReloadConfiguration,
        "version" => Request::Version,
        "log-priority" => Request::LogPriority {
            set: f.opt_string("priority")?,
        },
        "notify-disk-writeable" => Request::NotifyDiskWriteable,
        "runlevel" => Request::Runlevel,
        "telinit" => Request::Telinit {
            runlevel: f.string("runlevel")?,
            prevlevel: f.opt_string("prevlevel")?,
            env: f.strings("env")?,
        },
        "log" => Request::Log {
            job: f.string("job")?,
            instance: f.opt_string("instance")?.unwrap_or_default(),
        },
        "usage" => Request::Usage {
            job: f.string("job")?,
        },
        other => match Power::ALL.into_iter().find(|p| p.name() == other) {
            Some(action) => Request::Power {
                action,
                force: f.flag("force", false)?,
            },
            None => return Err(DecodeError::field("op", format!("unknown op `{other}`"))),
        },
    })
}

// ---------------------------------------------------------------------
// The greeting and replies

/// Decodes the greeting (unknown fields are ignored).
pub fn decode_hello(line: &[u8]) -> Result<Hello, DecodeError> {
    let mut f = Fields {
        map: parse_object(line)?,
    };
    if f.string("hello")? != "upinit" {
        return Err(DecodeError::field("hello", "expected \"upinit\""));
    }
    let version = match f.take("protocol") {
        Some(Value::Array(v)) => v,
        _ => {
            return Err(DecodeError::field(
                "protocol",
                "expected [major, minor] (whole numbers)",
            ))
        }
    };
    let (major, minor) = match version.as_slice() {
        [a, b] => (a.as_u64(), b.as_u64()),
        _ => (None, None),
    };
    let (Some(major), Some(minor)) = (major, minor) else {
        return Err(DecodeError::field(
            "protocol",
            "expected [major, minor] (whole numbers)",
        ));
    };
    Ok(Hello {
        major,
        minor,
        server: f.string("server")?,
        mode: f.opt_string("mode")?.unwrap_or_default(),
    })
}

fn goal_named(name: &str) -> Option<Goal> {
    [Goal::Stop, Goal::Start, Goal::Respawn]
        .into_iter()
        .find(|g| g.name() == name)
}

fn record_from(at: &str, v: Value) -> Result<InstanceRecord, DecodeError> {
    let Value::Object(map) = v else {
        return Err(DecodeError::field(at, "expected an object"));
    };
    let mut f = Fields { map };
    let named =
        |field: &str, e: DecodeError| DecodeError::field(format!("{at}.{field}"), e.message);
    let job = f.string("job").map_err(|e| named("job", e))?;
    let instance = f.string("instance").map_err(|e| named("instance", e))?;
    let goal = f.string("goal").map_err(|e| named("goal", e))?;
    let goal =
        goal_named(&goal).ok_or_else(|| named("goal", DecodeError::whole("unknown goal")))?;
    let state = f.string("state").map_err(|e| named("state", e))?;
    let state = State::from_name(&state)
        .ok_or_else(|| named("state", DecodeError::whole("unknown state")))?;
    let procs = match f.take("processes") {
        None => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(named("processes", DecodeError::whole("expected an array"))),
    };
    let mut processes = Vec::with_capacity(procs.len());
    for (n, p) in procs.into_iter().enumerate() {
        let at = format!("{at}.processes[{n}]");
        let Value::Object(map) = p else {
            return Err(DecodeError::field(at, "expected an object"));
        };
        let mut pf = Fields { map };
        let kind = pf
            .string("kind")
            .map_err(|e| DecodeError::field(format!("{at}.kind"), e.message))?;
        let kind = ProcessKind::ALL
            .into_iter()
            .find(|k| k.name() == kind)
            .ok_or_else(|| DecodeError::field(format!("{at}.kind"), "unknown process kind"))?;
        let pid = pf
            .number("pid")
            .map_err(|e| DecodeError::field(format!("{at}.pid"), e.message))?
            .and_then(|p| u32::try_from(p).ok())
            .ok_or_else(|| DecodeError::field(format!("{at}.pid"), "expected a pid"))?;
        processes.push((kind, pid));
    }
    let failure = match f.take("failure") {
        None | Some(Value::Null) => None,
        Some(v) => Some(failure_from(&format!("{at}.failure"), v)?),
    };
    Ok(InstanceRecord {
        job,
        instance,
        goal,
        state,
        processes,
        failure,
    })
}

/// A record's `failure` (protocol 1.1).
fn failure_from(at: &str, v: Value) -> Result<RecordFailure, DecodeError> {
    let Value::Object(map) = v else {
        return Err(DecodeError::field(at, "expected an object"));
    };
    let mut f = Fields { map };
    let named =
        |field: &str, e: DecodeError| DecodeError::field(format!("{at}.{field}"), e.message);
    let instance = f.string("instance").map_err(|e| named("instance", e))?;
    let process = match f.opt_string("process").map_err(|e| named("process", e))? {
        None => None,
        Some(name) => Some(
            ProcessKind::ALL
                .into_iter()
                .find(|k| k.name() == name)
                .ok_or_else(|| {
                    DecodeError::field(format!("{at}.process"), "unknown process kind")
                })?,
        ),
    };
    let message = f.string("message").map_err(|e| named("message", e))?;
    Ok(RecordFailure {
        instance,
        process,
        message,
    })
}

/// Decodes one reply line (unknown fields are ignored).
pub fn decode_reply(line: &[u8]) -> Result<Reply, DecodeError> {
    let mut f = Fields {
        map: parse_object(line)?,
    };
    let id = f.number("id")?;
    if let Some(kind) = f.opt_string("error")? {
        let message = f.string("message")?;
        return Ok(Reply {
            id,
            result: Err(Failure::new(ErrorKind::from_name(&kind), message)),
        });
    }
    let ok = f.string("ok")?;
    let output = match ok.as_str() {
        "done" => Output::Done,
        "status" => {
            let lines = f.strings("lines")?;
            let records = match f.take("records") {
                None => None,
                Some(Value::Array(items)) => Some(
                    items
                        .into_iter()
                        .enumerate()
                        .map(|(n, v)| record_from(&format!("records[{n}]"), v))
                        .collect::<Result<Vec<_>, _>>()?,
                ),
                Some(v) => {
                    return Err(DecodeError::field(
                        "records",
                        format!("expected an array, found {}", kind_of(&v)),
                    ))
                }
            };
            Output::Status { lines, records }
        }
        "value" => Output::Value(f.string("value")?),
        "env" => Output::Env(f.strings("env")?),
        "runlevel" => Output::Runlevel {
            previous: f.opt_string("previous")?,
            current: f.opt_string("current")?,
        },
        "log" => Output::Log {
            text: f.string("text")?,
            path: f.opt_string("path")?,
            truncated: f.flag("truncated", false)?,
        },
        other => {
            return Err(DecodeError::field(
                "ok",
                format!("unknown reply kind `{other}`"),
            ))
        }
    };
    Ok(Reply {
        id,
        result: Ok(output),
    })
}
