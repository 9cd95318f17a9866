//! Emit (DESIGN.md step 5): the checked job set becomes a bundle, through
//! `upc-bundle`'s writer.
//!
//! [`to_spec`] maps each [`JobClass`] to the writer's plain description:
//! file names relative to their configuration directory (so the bytes do
//! not depend on where the sources were), lines instead of spans, and
//! `start on`/`stop on` trees compiled to postfix code by an explicit-stack
//! walk (trees can be 50,000 deep). [`build`] writes it and validates the
//! result with the runtime's own reader before handing it back, so the
//! compiler never produces a bundle the runtime would refuse.
//! [`write_atomically`] puts it on disk without ever leaving a partial file.
//!
//! Reproducible: the writer sorts jobs by name and interns in a fixed walk;
//! the source digest hashes the sources sorted by relative name; nothing
//! here reads the clock or iterates a hash map.

mod sha256;

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use upc_bundle::model as b;
use upc_bundle::{BundleError, WriteError, WriteOptions};

use crate::sema::ir::{self, JobClass, LimitValue, Origin, ProcessBody};
use crate::source::{FileId, SourceMap};
use crate::syntax::ast::{ArgKind, Expr, Operator};

pub use sha256::{hex, Sha256};

/// The compiler version a bundle records.
pub const COMPILER_VERSION: &str = concat!("upc ", env!("CARGO_PKG_VERSION"));

/// Why no bundle was built.
#[derive(Debug)]
pub enum BuildError {
    /// A value of the IR the format cannot hold.
    Value { job: String, what: String },
    /// The writer refused (duplicate job names, a limit).
    Write(WriteError),
    /// The written bundle failed validation: a bug in the writer.
    SelfCheck(BundleError),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Value { job, what } => write!(f, "job `{job}`: {what}"),
            BuildError::Write(e) => write!(f, "{e}"),
            BuildError::SelfCheck(e) => {
                write!(f, "internal error: the bundle just written is invalid: {e}")
            }
        }
    }
}

impl std::error::Error for BuildError {}

/// How to build.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildOptions {
    /// Store the strings uncompressed (bigger, but the whole bundle can be
    /// read in place from a mapping).
    pub uncompressed_strings: bool,
}

/// Builds the bundle of `jobs` (which must have passed every check).
pub fn build(jobs: &[JobClass], sources: &SourceMap) -> Result<Vec<u8>, BuildError> {
    build_with(jobs, sources, BuildOptions::default())
}

/// [`build`] with options.
pub fn build_with(
    jobs: &[JobClass],
    sources: &SourceMap,
    options: BuildOptions,
) -> Result<Vec<u8>, BuildError> {
    let spec = to_spec(jobs, sources)?;
    let bytes = upc_bundle::write_with(
        &spec,
        WriteOptions {
            compress_strings: !options.uncompressed_strings,
        },
    )
    .map_err(BuildError::Write)?;
    upc_bundle::validate(&bytes).map_err(BuildError::SelfCheck)?;
    Ok(bytes)
}

/// The writer's input for `jobs`.
pub fn to_spec(jobs: &[JobClass], sources: &SourceMap) -> Result<b::BundleSpec, BuildError> {
    Ok(b::BundleSpec {
        compiler_version: COMPILER_VERSION.to_owned(),
        source_digest: source_digest(jobs, sources),
        jobs: jobs
            .iter()
            .map(|j| job_spec(j, sources))
            .collect::<Result<_, _>>()?,
    })
}

/// The path of `file` relative to its configuration directory: as many
/// trailing components as the job name has (`net/apache` ->
/// `net/apache.conf`), so the same tree gives the same names wherever it is.
pub fn relative_name(job_name: &str, sources: &SourceMap, file: FileId) -> String {
    let depth = job_name.split('/').count().max(1);
    let path = sources.path(file);
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let skip = parts.len().saturating_sub(depth);
    match parts.get(skip..) {
        Some(tail) if !tail.is_empty() => tail.join("/"),
        _ => path.to_string_lossy().into_owned(),
    }
}

/// SHA-256 over the jobs' source files (`.conf` and `.override`) sorted by
/// relative name: for each, the name's length (u64 LE), the name, the
/// text's length (u64 LE), the text.
pub fn source_digest(jobs: &[JobClass], sources: &SourceMap) -> [u8; 32] {
    let mut files: Vec<(String, &str)> = Vec::new();
    for job in jobs {
        for id in std::iter::once(job.file).chain(job.override_file) {
            let text = sources.get(id).map_or("", |f| f.text.as_str());
            files.push((relative_name(&job.name, sources, id), text));
        }
    }
    files.sort();
    let mut h = Sha256::new();
    for (name, text) in files {
        h.update(&(name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update(&(text.len() as u64).to_le_bytes());
        h.update(text.as_bytes());
    }
    h.finish()
}

fn location(job: &JobClass, sources: &SourceMap, origin: Origin) -> b::Location {
    let line = sources
        .get(origin.file)
        .map_or(0, |f| f.line_col(origin.span.start as usize).0);
    b::Location {
        origin: if Some(origin.file) == job.override_file {
            b::Origin::Override
        } else {
            b::Origin::Conf
        },
        line: u32::try_from(line).unwrap_or(u32::MAX),
    }
}

fn value_error(job: &JobClass, what: String) -> BuildError {
    BuildError::Value {
        job: job.name.clone(),
        what,
    }
}

/// One job's description.
pub fn job_spec(job: &JobClass, sources: &SourceMap) -> Result<b::JobSpec, BuildError> {
    let mut processes = Vec::new();
    let kinds = [
        (b::ProcessKind::Main, &job.processes.main),
        (b::ProcessKind::PreStart, &job.processes.pre_start),
        (b::ProcessKind::PostStart, &job.processes.post_start),
        (b::ProcessKind::PreStop, &job.processes.pre_stop),
        (b::ProcessKind::PostStop, &job.processes.post_stop),
        (b::ProcessKind::Security, &job.processes.security),
    ];
    for (kind, process) in kinds {
        if let Some(p) = process {
            let (body, text) = match &p.body {
                ProcessBody::Exec(t) => (b::BodyKind::Exec, t),
                ProcessBody::Script(t) => (b::BodyKind::Script, t),
            };
            processes.push(b::ProcessSpec {
                kind,
                body,
                text: text.clone(),
                location: location(job, sources, p.origin),
            });
        }
    }
    let condition = |c: &Option<ir::Condition>| {
        c.as_ref().map(|c| {
            let (code, matches) = compile(&c.expr);
            b::ConditionSpec {
                code,
                matches,
                location: location(job, sources, c.origin),
            }
        })
    };
    let nice = job
        .nice
        .map(|n| i8::try_from(n).map_err(|_| value_error(job, format!("nice {n}"))))
        .transpose()?;
    let oom_score = job
        .oom_score
        .map(|n| i16::try_from(n).map_err(|_| value_error(job, format!("oom score {n}"))))
        .transpose()?;
    let umask =
        u16::try_from(job.umask).map_err(|_| value_error(job, format!("umask {:o}", job.umask)))?;
    let limits = job
        .limits
        .iter()
        .map(|(resource, (soft, hard))| {
            let resource = *resource;
            let value = |v: &LimitValue| match v {
                LimitValue::Unlimited => None,
                LimitValue::Value(n) => Some(*n),
            };
            Ok(b::LimitSpec {
                resource,
                soft: value(soft),
                hard: value(hard),
            })
        })
        .collect::<Result<Vec<_>, BuildError>>()?;
    let strings = |v: &[ir::Spanned<String>]| v.iter().map(|s| s.value.clone()).collect();
    Ok(b::JobSpec {
        name: job.name.clone(),
        file: relative_name(&job.name, sources, job.file),
        override_file: job
            .override_file
            .map(|id| relative_name(&job.name, sources, id)),
        description: job.description.clone(),
        author: job.author.clone(),
        version: job.version.clone(),
        usage: job.usage.clone(),
        processes,
        start_on: condition(&job.start_on),
        stop_on: condition(&job.stop_on),
        emits: strings(&job.emits),
        task: job.task,
        respawn: job.respawn,
        respawn_count: job.respawn_limit.count,
        respawn_interval: job.respawn_limit.interval_secs,
        normal_exit: job.normal_exit.clone(),
        instance: job.instance.clone(),
        expect: job.expect,
        ready_fd: job.ready_fd,
        kill_timeout: job.kill_timeout_secs,
        kill_signal: job.kill_signal,
        reload_signal: job.reload_signal,
        console: job.console,
        umask,
        nice,
        oom_score,
        limits,
        chroot: job.chroot.clone(),
        chdir: job.chdir.clone(),
        setuid: job.setuid.clone(),
        setgid: job.setgid.clone(),
        apparmor_switch: job.apparmor_switch.clone(),
        env: strings(&job.env),
        export: strings(&job.export),
        cgroups: job
            .cgroups
            .iter()
            .map(|c| b::CgroupSpec {
                controller: c.controller.clone(),
                names: c.names.clone(),
            })
            .collect(),
        debug: job.debug,
    })
}

/// Compiles an operator tree to postfix code and its matches, left to
/// right, with an explicit stack (post-order: left, right, operator).
pub fn compile(expr: &Expr) -> (Vec<b::Instr>, Vec<b::MatchSpec>) {
    enum Step<'a> {
        Visit(&'a Expr),
        Op(Operator),
    }
    let mut code = Vec::new();
    let mut matches = Vec::new();
    let mut stack = vec![Step::Visit(expr)];
    while let Some(step) = stack.pop() {
        match step {
            Step::Visit(Expr::Match(m)) => {
                code.push(b::Instr::Match);
                matches.push(b::MatchSpec {
                    event: m.event.value.clone(),
                    args: m
                        .args
                        .iter()
                        .map(|a| b::ArgSpec {
                            kind: match &a.kind {
                                ArgKind::Positional => b::ArgKind::Positional,
                                ArgKind::Equals(k) => b::ArgKind::Equals(k.clone()),
                                ArgKind::NotEquals(k) => b::ArgKind::NotEquals(k.clone()),
                            },
                            pattern: a.value.clone(),
                        })
                        .collect(),
                });
            }
            Step::Visit(Expr::Binary(bin)) => {
                stack.push(Step::Op(bin.op));
                stack.push(Step::Visit(&bin.right));
                stack.push(Step::Visit(&bin.left));
            }
            Step::Op(op) => code.push(match op {
                Operator::And => b::Instr::And,
                Operator::Or => b::Instr::Or,
            }),
        }
    }
    (code, matches)
}

/// Writes `bytes` to `path` so that `path` is, at every moment, either
/// what it was before or the complete new content: a temporary file in the
/// same directory is written and fsynced, renamed over `path`, and the
/// directory fsynced. On failure the temporary file is removed and `path`
/// is untouched.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: not a file name", path.display()),
        )
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // Unique per process and call, so concurrent builds never share one.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp-{}-{n}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = write_then_rename(&tmp, path, bytes);
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    File::open(&dir)?.sync_all()
}

fn write_then_rename(tmp: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o644);
    }
    let mut file = options.open(tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(tmp, path)
}
