//! The `check` driver: files and directories in, parsed and lowered jobs and
//! their diagnostics out.
//!
//! The command line, the tests and the language server all go through
//! here. [`discover`] decides which files are jobs (job-language.md sections
//! 8 and 9) without reading them; then every job (its `.conf` and
//! `.override`) is read, parsed and lowered on the rayon pool, and the
//! results are merged in discovery order, so the output never depends on
//! thread scheduling. File ids are handed out before the parallel phase, so
//! each job knows its ids up front and nothing is renumbered afterwards.
//!
//! Nothing here prints, and no input makes it fail: a path that cannot be
//! read is an `E0018` diagnostic located in that path, and the other paths
//! are still checked.

mod discover;

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diag::render::Summary;
use crate::diag::{Code, Diagnostic, Severity};
use crate::graph::{self, GraphOptions};
use crate::sema::{self, JobClass};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use crate::syntax;

use discover::{Input, Unit, STDIN_PATH};

/// What a check run does besides parsing and lowering each job.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Run the whole-set event graph checks when a directory is checked
    /// (a job set). Files named one by one are checked on their own.
    pub graph: bool,
    /// Events that come from outside the job set (`--assume-event`).
    pub assume_events: Vec<String>,
    /// The paths are one job set even when they are files (`upc build`),
    /// so the graph checks run whatever they are.
    pub whole_set: bool,
    /// Warn where a job uses one of upc's extensions, which Upstart 1.13
    /// refuses (`--strict-upstart`: W0028).
    pub strict_upstart: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            graph: true,
            assume_events: Vec::new(),
            whole_set: false,
            strict_upstart: false,
        }
    }
}

/// Everything one check run found.
#[derive(Debug, Default)]
pub struct Report {
    /// Every file read, plus an empty entry for each path that could not be.
    pub sources: SourceMap,
    /// Sorted by file path, then position in the file.
    pub diagnostics: Vec<Diagnostic>,
    /// One class per job whose `.conf` could be read, with or without errors
    /// (a class with error diagnostics must not be built).
    pub jobs: Vec<JobClass>,
    /// Job and override files read (paths that could not be read excluded).
    pub files: usize,
    /// Jobs whose files have errors (left out of the graph checks), with
    /// their `.conf` file.
    pub broken: Vec<(String, FileId)>,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity() == severity)
            .count()
    }

    /// Whether the run fails: any error, or any warning when warnings are denied.
    pub fn fails(&self, deny_warnings: bool) -> bool {
        self.errors() > 0 || (deny_warnings && self.warnings() > 0)
    }

    /// Keeps only what makes the run fail (errors, and warnings when they
    /// are denied): what `--quiet` shows.
    pub fn retain_failing(&mut self, deny_warnings: bool) {
        self.diagnostics.retain(|d| match d.severity() {
            Severity::Error => true,
            Severity::Warning => deny_warnings,
            Severity::Note => false,
        });
    }

    /// The counts the renderers print.
    pub fn summary(&self) -> Summary {
        Summary {
            files: self.files,
            errors: self.errors(),
            warnings: self.warnings(),
        }
    }
}

/// Checks files and directories as `upc check PATH...` does; `-` is
/// standard input.
pub fn check_paths(paths: &[PathBuf]) -> Report {
    check_paths_with(paths, &CheckOptions::default())
}

/// [`check_paths`] with options.
pub fn check_paths_with(paths: &[PathBuf], options: &CheckOptions) -> Report {
    check_units(discover::discover(paths), paths, options)
}

/// [`check_paths_with`], with the contents of some files given rather than
/// read: an editor's unsaved buffers. A discovered file whose path is a key
/// of `overlay` is checked with those bytes, and a `.conf` key inside a
/// given directory that is not on disk yet is a job of that directory too.
/// The keys must be spelt as discovery spells paths (a given path joined
/// with the names below it).
pub fn check_paths_overlaid(
    paths: &[PathBuf],
    options: &CheckOptions,
    overlay: &std::collections::HashMap<PathBuf, Vec<u8>>,
) -> Report {
    let swap = |input: Input| match input {
        Input::File(path) => match overlay.get(&path) {
            Some(bytes) => Input::Bytes(path, bytes.clone()),
            None => Input::File(path),
        },
        other => other,
    };
    let mut units: Vec<Unit> = discover::discover(paths)
        .into_iter()
        .map(|unit| match unit {
            Unit::Job {
                name,
                conf,
                override_,
            } => Unit::Job {
                name,
                conf: swap(conf),
                override_: override_.map(swap),
            },
            Unit::LoneOverride { name, file } => Unit::LoneOverride {
                name,
                file: swap(file),
            },
            unreadable @ Unit::Unreadable { .. } => unreadable,
        })
        .collect();
    units.extend(unsaved_jobs(paths, overlay, &units));
    check_units(units, paths, options)
}

/// The `.conf` files of `overlay` that lie in a directory of `paths` but
/// are not on disk (a new file not saved yet), as jobs named the way
/// discovery names them. Ignored names (hidden files, backups) stay out.
fn unsaved_jobs(
    paths: &[PathBuf],
    overlay: &std::collections::HashMap<PathBuf, Vec<u8>>,
    units: &[Unit],
) -> Vec<Unit> {
    let mut new: Vec<(&PathBuf, String)> = overlay
        .keys()
        .filter(|path| !path.exists() && path.extension().is_some_and(|e| e == "conf"))
        .filter_map(|path| {
            let dir = paths.iter().find(|d| d.is_dir() && path.starts_with(d))?;
            let relative = path.strip_prefix(dir).ok()?;
            let ignored = relative
                .iter()
                .any(|part| discover::is_ignored(part.as_encoded_bytes()));
            let name = relative.with_extension("");
            (!ignored).then(|| (path, name.to_string_lossy().into_owned()))
        })
        .filter(|(path, _)| {
            !units.iter().any(|u| {
                matches!(u, Unit::Job { conf: Input::Bytes(p, _) | Input::File(p), .. } if p == *path)
            })
        })
        .collect();
    new.sort();
    new.into_iter()
        .filter_map(|(path, name)| {
            let bytes = overlay.get(path)?.clone();
            Some(Unit::Job {
                name,
                conf: Input::Bytes(path.clone(), bytes),
                override_: None,
            })
        })
        .collect()
}

fn check_units(units: Vec<Unit>, paths: &[PathBuf], options: &CheckOptions) -> Report {
    let outcomes = process(units);
    let graph = options.graph && (options.whole_set || paths.iter().any(|p| p.is_dir()));
    if !graph {
        let mut report = merge(outcomes);
        if !options.strict_upstart {
            drop_extension_warnings(&mut report);
        }
        return report;
    }
    // The whole-set checks need only the classes: take them out of the
    // outcomes (moves, no copies) and analyse them on one side of the pool
    // while the other merges the files and diagnostics and sorts them.
    // A job whose files have errors is left out, and so is any other job
    // of the same name.
    let mut outcomes = outcomes;
    let broken: Vec<(String, FileId)> = outcomes
        .iter()
        .filter(|o| has_errors(&o.diagnostics))
        .filter_map(|o| o.job.as_ref().map(|j| (j.name.clone(), j.file)))
        .collect();
    let broken_names: std::collections::HashSet<&str> =
        broken.iter().map(|(n, _)| n.as_str()).collect();
    let mut jobs = Vec::new();
    let mut left_out = Vec::new();
    for job in outcomes.iter_mut().filter_map(|o| o.job.take()) {
        if broken_names.contains(job.name.as_str()) {
            left_out.push(job);
        } else {
            jobs.push(job);
        }
    }
    drop(broken_names);
    let graph_options = GraphOptions {
        assume_events: options.assume_events.clone(),
        excluded_jobs: broken.iter().map(|(n, _)| n.clone()).collect(),
    };
    let (mut report, found) = rayon::join(
        || {
            let mut report = merge(outcomes);
            if !options.strict_upstart {
                drop_extension_warnings(&mut report);
            }
            report
        },
        || graph::check(&jobs, &graph_options),
    );
    // A job left out says so in a note on its first error.
    for (_, file) in &broken {
        let first_error = report
            .diagnostics
            .iter_mut()
            .find(|d| d.primary.file == *file && d.is_error());
        if let Some(d) = first_error {
            d.notes.push(
                "because of this error the job is left out of the graph checks \
                 (jobs that wait on its events are not reported)"
                    .to_owned(),
            );
        }
    }
    report.broken = broken;
    report.diagnostics.extend(found);
    report.jobs = jobs;
    report.jobs.extend(left_out);
    sort_diagnostics(&report.sources, &mut report.diagnostics);
    report
}

/// Sema marks every use of upc's extensions (W0028); only
/// `--strict-upstart` wants to see them.
fn drop_extension_warnings(report: &mut Report) {
    report
        .diagnostics
        .retain(|d| d.code != crate::diag::Code::UpstartExtension);
}

/// Checks one job file given as bytes (standard input uses the path
/// `<stdin>`). The job is named after the file without its extension.
pub fn check_bytes(path: &Path, bytes: Vec<u8>) -> Report {
    let mut report = run(vec![Unit::Job {
        name: job_name(path),
        conf: Input::Bytes(path.to_path_buf(), bytes),
        override_: None,
    }]);
    drop_extension_warnings(&mut report);
    report
}

/// Checks one job file and its override, both given as bytes.
pub fn check_job(conf: (&Path, Vec<u8>), override_: Option<(&Path, Vec<u8>)>) -> Report {
    let name = job_name(conf.0);
    let conf = Input::Bytes(conf.0.to_path_buf(), conf.1);
    let override_ = override_.map(|(p, b)| Input::Bytes(p.to_path_buf(), b));
    let mut report = run(vec![Unit::Job {
        name,
        conf,
        override_,
    }]);
    drop_extension_warnings(&mut report);
    report
}

fn job_name(path: &Path) -> String {
    if path == Path::new(STDIN_PATH) {
        return "stdin".to_owned();
    }
    path.file_stem()
        .unwrap_or(path.as_os_str())
        .to_string_lossy()
        .into_owned()
}

/// What one unit produced: its source files in id order, how many of them
/// were actually read, its diagnostics and its class.
struct Outcome {
    files: Vec<SourceFile>,
    read: usize,
    diagnostics: Vec<Diagnostic>,
    job: Option<JobClass>,
}

fn run(units: Vec<Unit>) -> Report {
    merge(process(units))
}

/// Reads, parses and lowers every unit on the rayon pool; the outcomes come
/// back in discovery order.
fn process(units: Vec<Unit>) -> Vec<Outcome> {
    // Hand out file ids in discovery order before going parallel.
    let mut next = 0u32;
    let work: Vec<(u32, Unit)> = units
        .into_iter()
        .map(|unit| {
            let base = next;
            next = next.saturating_add(unit.file_count());
            (base, unit)
        })
        .collect();
    // `collect` on an indexed parallel iterator keeps the input order.
    work.into_par_iter()
        .map(|(base, unit)| check_unit(base, unit))
        .collect()
}

/// The outcomes, in order, as one report: sources, jobs (those still in
/// the outcomes), diagnostics sorted.
fn merge(outcomes: Vec<Outcome>) -> Report {
    let mut report = Report::default();
    for outcome in outcomes {
        for file in outcome.files {
            report.sources.add(file);
        }
        report.files += outcome.read;
        if let Some(job) = &outcome.job {
            if has_errors(&outcome.diagnostics) {
                report.broken.push((job.name.clone(), job.file));
            }
        }
        report.diagnostics.extend(outcome.diagnostics);
        report.jobs.extend(outcome.job);
    }
    sort_diagnostics(&report.sources, &mut report.diagnostics);
    report
}

/// Sorts by file path, then span, then code: stable output whatever order
/// the passes reported in. Ties keep their order.
///
/// Only the files some diagnostic points into are ranked (a clean job set
/// of ten thousand files has few), and a file's rank is its path's place
/// among those: the same order as ranking every file.
fn sort_diagnostics(sources: &SourceMap, diagnostics: &mut [Diagnostic]) {
    if diagnostics.len() < 2 {
        return;
    }
    let mut ids: Vec<FileId> = diagnostics.iter().map(|d| d.primary.file).collect();
    ids.sort_unstable();
    ids.dedup();
    // Files not in the map sort last, as before.
    let mut by_path: Vec<(&Path, FileId)> = ids
        .iter()
        .filter_map(|&id| sources.get(id).map(|f| (f.path.as_path(), id)))
        .collect();
    by_path.sort();
    let rank: std::collections::HashMap<FileId, usize> = by_path
        .iter()
        .enumerate()
        .map(|(r, &(_, id))| (id, r))
        .collect();
    let rank_of = |id: FileId| rank.get(&id).copied().unwrap_or(usize::MAX);
    diagnostics.sort_by(|a, b| {
        let key = |d: &Diagnostic| {
            (
                rank_of(d.primary.file),
                d.primary.span.start,
                d.primary.span.end,
                d.code,
            )
        };
        key(a).cmp(&key(b))
    });
}

fn check_unit(base: u32, unit: Unit) -> Outcome {
    let mut diagnostics = Vec::new();
    match unit {
        Unit::Unreadable {
            path,
            directory,
            error,
        } => {
            let id = FileId(base);
            diagnostics.push(unreadable(id, &path, directory, &error));
            Outcome {
                files: vec![SourceFile::new(path, Vec::new())],
                read: 0,
                diagnostics,
                job: None,
            }
        }
        Unit::LoneOverride { name, file } => {
            let id = FileId(base);
            let (source, ok) = load(id, file, &mut diagnostics);
            let mut outcome = Outcome {
                files: Vec::new(),
                read: usize::from(ok),
                diagnostics,
                job: None,
            };
            if ok {
                outcome.diagnostics.push(lone_override(id, &source.path));
                let lowered = sema::lower_texts(&name, (id, &source.text), None);
                // Alone, the override is not a job: sema's warnings about the
                // job as a whole (no process, ...) would be wrong, but its
                // value errors (`nice 99`) are not.
                if !lowered.parse_failed() {
                    outcome
                        .diagnostics
                        .extend(lowered.sema.into_iter().filter(Diagnostic::is_error));
                }
                outcome.diagnostics.extend(lowered.parse);
            }
            outcome.files.push(source);
            outcome
        }
        Unit::Job {
            name,
            conf,
            override_,
        } => check_job_unit(base, name, conf, override_),
    }
}

fn check_job_unit(base: u32, name: String, conf: Input, override_: Option<Input>) -> Outcome {
    let mut diagnostics = Vec::new();
    let conf_id = FileId(base);
    let (conf_src, conf_ok) = load(conf_id, conf, &mut diagnostics);
    let over = override_.map(|input| {
        let id = FileId(base.saturating_add(1));
        let (src, ok) = load(id, input, &mut diagnostics);
        (id, src, ok)
    });
    let mut job = None;
    let over_text = over
        .as_ref()
        .and_then(|(id, src, ok)| ok.then_some((*id, src.text.as_str())));
    if conf_ok {
        let (class, reported) =
            sema::lower_texts(&name, (conf_id, &conf_src.text), over_text).reported();
        job = Some(class);
        diagnostics.extend(reported);
    } else if let Some((id, text)) = over_text {
        // No job without its `.conf`, but the override's own syntax errors
        // are still worth reporting.
        diagnostics.extend(syntax::parse(id, text).diagnostics);
    }
    let read = usize::from(conf_ok) + over.as_ref().map_or(0, |(_, _, ok)| usize::from(*ok));
    let mut files = vec![conf_src];
    files.extend(over.map(|(_, src, _)| src));
    Outcome {
        files,
        read,
        diagnostics,
        job,
    }
}

fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

/// Reads one input into a source file. A failure is an `E0018` diagnostic
/// and an empty file (so the diagnostic has somewhere to point); invalid
/// UTF-8 is a `W0012` at the first bad byte.
fn load(id: FileId, input: Input, diagnostics: &mut Vec<Diagnostic>) -> (SourceFile, bool) {
    let (path, bytes) = match input {
        Input::Bytes(path, bytes) => (path, Ok(bytes)),
        Input::File(path) => {
            let bytes = read_file(&path);
            (path, bytes)
        }
        Input::Stdin => {
            let mut bytes = Vec::new();
            let read = io::stdin().lock().read_to_end(&mut bytes).map(|_| bytes);
            (PathBuf::from(STDIN_PATH), read)
        }
    };
    match bytes {
        Ok(bytes) => {
            let file = SourceFile::new(path, bytes);
            if let Some(at) = file.invalid_utf8_at {
                diagnostics.push(invalid_utf8(id, at));
            }
            (file, true)
        }
        Err(error) => {
            diagnostics.push(unreadable(id, &path, false, &error));
            (SourceFile::new(path, Vec::new()), false)
        }
    }
}

/// Reads a whole file. `std::fs::read` (and `read_to_end`) first ask the
/// file for its size (`statx`, `lseek`); job files are small, so this reads
/// straight into a buffer kept by the thread and copies out the exact bytes:
/// two system calls fewer per file, a tenth of the time of checking ten
/// thousand files.
fn read_file(path: &Path) -> io::Result<Vec<u8>> {
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let mut file = std::fs::File::open(path)?;
    BUFFER.with(|buffer| {
        let mut buffer = buffer.try_borrow_mut().map_err(io::Error::other)?;
        if buffer.len() < READ_BUFFER {
            buffer.resize(READ_BUFFER, 0);
        }
        let mut len = 0;
        loop {
            if len == buffer.len() {
                let bigger = buffer.len().saturating_mul(2);
                buffer.resize(bigger, 0);
            }
            let Some(free) = buffer.get_mut(len..) else {
                break;
            };
            match file.read(free) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let bytes = buffer.get(..len).map(<[u8]>::to_vec).unwrap_or_default();
        // Do not keep a huge buffer around after an unusually big file.
        if buffer.len() > 16 * READ_BUFFER {
            *buffer = Vec::new();
        }
        Ok(bytes)
    })
}

const READ_BUFFER: usize = 64 * 1024;

fn unreadable(id: FileId, path: &Path, directory: bool, error: &io::Error) -> Diagnostic {
    // A path that does not exist may have been meant as either; only say
    // "directory" when it is known to be one.
    let what = if directory { "directory " } else { "" };
    Diagnostic::new(
        Code::Unreadable,
        id,
        Span::point(0),
        format!(
            "cannot read {what}`{}`: {}",
            path.display(),
            os_error_text(error)
        ),
    )
}

/// The OS's description of an error, without Rust's `(os error N)` suffix.
fn os_error_text(error: &io::Error) -> String {
    let text = error.to_string();
    match error.raw_os_error() {
        Some(code) => text
            .strip_suffix(&format!(" (os error {code})"))
            .unwrap_or(&text)
            .to_owned(),
        None => text,
    }
}

fn invalid_utf8(id: FileId, at: usize) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidUtf8,
        id,
        Span::point(at),
        format!("the file is not valid UTF-8 (first invalid byte at offset {at})"),
    )
    .with_label("invalid byte here")
    .with_note(
        "upc shows each invalid sequence as U+FFFD; Upstart passes the bytes through unchanged",
    )
    .with_help("save the file as UTF-8")
}

fn lone_override(id: FileId, path: &Path) -> Diagnostic {
    let conf = path.with_extension("conf");
    let conf = conf.file_name().unwrap_or_default().to_string_lossy();
    Diagnostic::new(
        Code::LoneOverride,
        id,
        Span::point(0),
        format!("override file without a job file: there is no `{conf}` beside it"),
    )
    .with_label("Upstart ignores this file")
    .with_help(format!(
        "add `{conf}`, or remove the override if the job is gone"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdin_job_is_named_stdin() {
        assert_eq!(job_name(Path::new(STDIN_PATH)), "stdin");
        assert_eq!(job_name(Path::new("debian/foo.upstart")), "foo");
        assert_eq!(job_name(Path::new("/etc/init/tty1.conf")), "tty1");
    }

    #[test]
    fn os_error_suffix_is_dropped() {
        let e = io::Error::from_raw_os_error(2);
        assert_eq!(os_error_text(&e), "No such file or directory");
    }

    #[test]
    fn invalid_utf8_is_a_located_warning() {
        let report = check_bytes(Path::new("x.conf"), b"description \"a\xffb\"\n".to_vec());
        let w: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::InvalidUtf8)
            .collect();
        assert_eq!(w.len(), 1);
        assert_eq!(w.first().map(|d| d.primary.span), Some(Span::point(14)));
    }

    #[test]
    fn override_is_a_second_file_of_the_same_job() {
        let report = check_job(
            (Path::new("a.conf"), b"".to_vec()),
            Some((Path::new("a.override"), b"".to_vec())),
        );
        assert_eq!(report.sources.len(), 2);
        assert_eq!(report.files, 2);
        assert_eq!(report.jobs.len(), 1);
        assert_eq!(report.jobs.first().map(|j| j.name.as_str()), Some("a"));
    }
}
