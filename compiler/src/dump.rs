//! `upc dump`: a readable listing of a validated bundle (header, every job
//! with its fields, the event index, each program disassembled under the
//! `start on`/`stop on` text it came from), and the same as JSON for tools.
//!
//! The condition text is rebuilt from the bytecode (`Program::canonical`):
//! it is Upstart's canonical rendering, identical to what the compiler's
//! `Expr::canonical` gives for the source tree (a test holds the two
//! together), so the bundle need not store it twice.

use std::fmt::Write as _;

use serde_json::{json, Value};
use upc_bundle::{BodyKind, Condition, Job, LimitSpec, Location, Origin, ValidatedBundle, Which};

use crate::build::hex;
use crate::sema::signal_name;

fn location(job: &Job<'_>, loc: Location) -> String {
    format!("{}:{}", job.file_of(loc.origin), loc.line)
}

fn opt_num<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "unlimited".to_owned(), |n| n.to_string())
}

fn limit_text(l: &LimitSpec) -> String {
    format!(
        "{} {} {}",
        l.resource.name(),
        opt_num(l.soft),
        opt_num(l.hard)
    )
}

/// A signal by its name (`TERM`), or its number if it has none.
fn signal(n: i32) -> String {
    signal_name(n).map_or_else(|| n.to_string(), str::to_owned)
}

/// A `normal exit` status as written: `n`, or a signal name for `SIG << 8`.
fn exit_status(status: i64) -> String {
    let named = (status >= 256 && status & 0xff == 0)
        .then(|| i32::try_from(status >> 8).ok().and_then(signal_name))
        .flatten();
    named.map_or_else(|| status.to_string(), str::to_owned)
}

fn which_name(w: Which) -> &'static str {
    match w {
        Which::StartOn => "start on",
        Which::StopOn => "stop on",
    }
}

/// The human listing.
pub fn dump_text(bundle: &ValidatedBundle<'_>) -> String {
    let mut out = String::new();
    let (n_strings, string_bytes) = bundle.string_stats();
    let _ = writeln!(out, "format version  {}", bundle.format_version());
    let _ = writeln!(out, "size            {} bytes", bundle.len());
    let _ = writeln!(
        out,
        "strings         {n_strings} distinct, {string_bytes} bytes{}",
        if bundle.strings_compressed() {
            " (stored LZ4-compressed)"
        } else {
            ""
        }
    );
    let _ = writeln!(out, "checksum        xxh64 {:016x}", bundle.checksum());
    let _ = writeln!(
        out,
        "source digest   sha256 {}",
        hex(&bundle.source_digest())
    );
    let _ = writeln!(out, "compiler        {}", bundle.compiler_version());
    let _ = writeln!(
        out,
        "jobs {}, shared settings {}, shared programs {}, events {}",
        bundle.job_count(),
        bundle.settings_count(),
        bundle.program_count(),
        bundle.event_count()
    );
    for job in bundle.jobs() {
        out.push('\n');
        job_text(&mut out, &job);
    }
    out.push_str("\nevent index\n");
    for e in bundle.events() {
        let users: Vec<String> = e
            .jobs()
            .map(|(j, w)| {
                let name = bundle.job(j).map_or("?", |j| j.name());
                format!("{name} ({})", which_name(w))
            })
            .collect();
        let _ = writeln!(out, "  {:<24} {}", e.name(), users.join(", "));
    }
    out
}

fn field(out: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "  {name:<15} {value}");
}

fn opt_field(out: &mut String, name: &str, value: Option<&str>) {
    if let Some(v) = value {
        field(out, name, format!("{v:?}"));
    }
}

fn job_text(out: &mut String, job: &Job<'_>) {
    let _ = writeln!(out, "job {}", job.name());
    field(out, "file", job.file());
    if let Some(o) = job.override_file() {
        field(out, "override", o);
    }
    opt_field(out, "description", job.description());
    opt_field(out, "author", job.author());
    opt_field(out, "version", job.version());
    opt_field(out, "usage", job.usage());
    if !job.instance().is_empty() {
        field(out, "instance", format!("{:?}", job.instance()));
    }
    for (name, cond) in [("start on", job.start_on()), ("stop on", job.stop_on())] {
        if let Some(c) = cond {
            condition_text(out, job, name, &c);
        }
    }
    for p in job.processes() {
        let body = match p.body() {
            BodyKind::Exec => "exec",
            BodyKind::Script => "script",
        };
        let where_ = location(job, p.location());
        match p.body() {
            BodyKind::Exec => field(
                out,
                p.kind().name(),
                format!("{body} {}    [{where_}]", p.text()),
            ),
            BodyKind::Script => {
                field(out, p.kind().name(), format!("{body}    [{where_}]"));
                for line in p.text().lines() {
                    let _ = writeln!(out, "  {:<15} | {line}", "");
                }
            }
        }
    }
    let mut flags = Vec::new();
    if job.task() {
        flags.push("task");
    }
    if job.respawn() {
        flags.push("respawn");
    }
    if job.debug() {
        flags.push("debug");
    }
    if !flags.is_empty() {
        field(out, "flags", flags.join(" "));
    }
    field(
        out,
        "respawn limit",
        format!(
            "{} {}",
            opt_num(job.respawn_count()),
            opt_num(job.respawn_interval())
        ),
    );
    let exits: Vec<String> = job.normal_exit().map(exit_status).collect();
    if !exits.is_empty() {
        field(out, "normal exit", exits.join(" "));
    }
    field(out, "expect", job.expect().name());
    field(
        out,
        "kill",
        format!(
            "timeout {}s, signal {}, reload signal {}",
            job.kill_timeout(),
            signal(job.kill_signal()),
            signal(job.reload_signal())
        ),
    );
    field(
        out,
        "console",
        job.console().map_or("(default)", |c| c.name()),
    );
    field(out, "umask", format!("{:04o}", job.umask()));
    if let Some(n) = job.nice() {
        field(out, "nice", n);
    }
    if let Some(n) = job.oom_score() {
        field(out, "oom score", n);
    }
    for l in job.limits() {
        field(out, "limit", limit_text(&l));
    }
    opt_field(out, "chroot", job.chroot());
    opt_field(out, "chdir", job.chdir());
    opt_field(out, "setuid", job.setuid());
    opt_field(out, "setgid", job.setgid());
    opt_field(out, "apparmor switch", job.apparmor_switch());
    for e in job.env() {
        field(out, "env", e);
    }
    for e in job.export() {
        field(out, "export", e);
    }
    for e in job.emits() {
        field(out, "emits", e);
    }
    for cg in job.cgroups() {
        for (name, settings) in &cg.names {
            let mut line = format!("{} {name}", cg.controller);
            for (k, v) in settings {
                let _ = write!(line, " {k} {v}");
            }
            field(out, "cgroup", line);
        }
    }
}

fn condition_text(out: &mut String, job: &Job<'_>, name: &str, c: &Condition<'_>) {
    field(
        out,
        name,
        format!(
            "{}    [{}, program {}]",
            c.program.canonical(),
            location(job, c.location),
            c.program_index
        ),
    );
    for (i, line) in c.program.disassemble().iter().enumerate() {
        let _ = writeln!(out, "  {:<15} {i:>4}  {line}", "");
    }
}

fn origin_name(o: Origin) -> &'static str {
    match o {
        Origin::Conf => "conf",
        Origin::Override => "override",
    }
}

fn condition_json(job: &Job<'_>, c: Option<Condition<'_>>) -> Value {
    let Some(c) = c else {
        return Value::Null;
    };
    let matches: Vec<Value> = c
        .program
        .matches()
        .map(|m| {
            json!({
                "event": m.event(),
                "args": m.args().map(|a| json!({
                    "key": a.key,
                    "negated": a.negated,
                    "pattern": a.pattern,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "text": c.program.canonical(),
        "file": job.file_of(c.location.origin),
        "line": c.location.line,
        "program": c.program_index,
        "code": c.program.disassemble(),
        "matches": matches,
    })
}

/// The listing as JSON: one object with the header, `jobs` and `events`.
pub fn dump_json(bundle: &ValidatedBundle<'_>) -> Value {
    let (n_strings, string_bytes) = bundle.string_stats();
    let jobs: Vec<Value> = bundle.jobs().map(|j| job_json(&j)).collect();
    let events: Vec<Value> = bundle
        .events()
        .map(|e| {
            json!({
                "name": e.name(),
                "jobs": e.jobs().map(|(j, w)| json!({
                    "job": bundle.job(j).map(|j| j.name()),
                    "condition": which_name(w),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let sections: Vec<Value> = bundle
        .sections()
        .map(|(name, offset, length)| json!({"name": name, "offset": offset, "length": length}))
        .collect();
    json!({
        "format_version": bundle.format_version(),
        "size": bundle.len(),
        "strings": {
            "count": n_strings,
            "bytes": string_bytes,
            "compressed": bundle.strings_compressed(),
        },
        "checksum": format!("{:016x}", bundle.checksum()),
        "source_digest": hex(&bundle.source_digest()),
        "compiler_version": bundle.compiler_version(),
        "sections": sections,
        "jobs": jobs,
        "events": events,
    })
}

fn job_json(job: &Job<'_>) -> Value {
    let processes: Vec<Value> = job
        .processes()
        .map(|p| {
            json!({
                "kind": p.kind().name(),
                "body": match p.body() { BodyKind::Exec => "exec", BodyKind::Script => "script" },
                "text": p.text(),
                "file": job.file_of(p.location().origin),
                "origin": origin_name(p.location().origin),
                "line": p.location().line,
            })
        })
        .collect();
    let limits: Vec<Value> = job
        .limits()
        .map(|l| json!({"resource": l.resource.name(), "soft": l.soft, "hard": l.hard}))
        .collect();
    let cgroups: Vec<Value> = job
        .cgroups()
        .into_iter()
        .map(|c| {
            json!({
                "controller": c.controller,
                "names": c.names.iter().map(|(n, s)| json!({
                    "name": n,
                    "settings": s.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "name": job.name(),
        "file": job.file(),
        "override_file": job.override_file(),
        "description": job.description(),
        "author": job.author(),
        "version": job.version(),
        "usage": job.usage(),
        "instance": job.instance(),
        "start_on": condition_json(job, job.start_on()),
        "stop_on": condition_json(job, job.stop_on()),
        "processes": processes,
        "task": job.task(),
        "respawn": job.respawn(),
        "respawn_limit": {"count": job.respawn_count(), "interval": job.respawn_interval()},
        "normal_exit": job.normal_exit().collect::<Vec<_>>(),
        "expect": job.expect().name(),
        "kill_timeout": job.kill_timeout(),
        "kill_signal": job.kill_signal(),
        "reload_signal": job.reload_signal(),
        "console": job.console().map(|c| c.name()),
        "umask": format!("{:04o}", job.umask()),
        "nice": job.nice(),
        "oom_score": job.oom_score(),
        "limits": limits,
        "chroot": job.chroot(),
        "chdir": job.chdir(),
        "setuid": job.setuid(),
        "setgid": job.setgid(),
        "apparmor_switch": job.apparmor_switch(),
        "env": job.env().collect::<Vec<_>>(),
        "export": job.export().collect::<Vec<_>>(),
        "emits": job.emits().collect::<Vec<_>>(),
        "cgroups": cgroups,
        "debug": job.debug(),
    })
}
