//! The analysis the server answers from, all of it from `check`:
//!
//! - a [`DocAnalysis`] per open document, redone on every change: the
//!   document checked as a job of its own (with its `.conf` or `.override`
//!   partner), its tokens and the names in it;
//! - a [`Snapshot`] per workspace folder, made off the main loop: the
//!   folder checked as one job set (open documents' unsaved text in place
//!   of the files), which brings the whole-set diagnostics and the
//!   cross-file facts (who emits an event, who waits for it, what a job
//!   is).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::check::{self, CheckOptions, Report};
use crate::diag::Diagnostic;
use crate::sema::JobClass;
use crate::source::FileId;
use crate::syntax::lexer::{self, Spanned};

use super::document::LineIndex;
use super::tokens::{occurrences, Occurrence};

/// One open document, analysed.
#[derive(Debug, Default)]
pub struct DocAnalysis {
    pub report: Report,
    /// The document's own file in `report`.
    pub file: Option<FileId>,
    pub tokens: Vec<Spanned>,
    pub occurrences: Vec<Occurrence>,
}

impl DocAnalysis {
    /// Analyses a document's text. `path` is its file (`None` for an
    /// editor-only document, checked under `name`); `overlay` holds the
    /// unsaved text of every open document by path.
    pub fn new(
        path: Option<&Path>,
        name: &str,
        text: &str,
        overlay: &HashMap<PathBuf, Vec<u8>>,
    ) -> DocAnalysis {
        let report = match path {
            // A file that exists is checked as `upc check FILE` would,
            // which pairs a `.conf` with its `.override`.
            Some(path) if path.is_file() => {
                let options = CheckOptions {
                    graph: false,
                    ..CheckOptions::default()
                };
                check::check_paths_overlaid(&[path.to_path_buf()], &options, overlay)
            }
            Some(path) => check::check_bytes(path, text.as_bytes().to_vec()),
            None => check::check_bytes(Path::new(name), text.as_bytes().to_vec()),
        };
        let own = path.map_or_else(|| PathBuf::from(name), Path::to_path_buf);
        let file = report
            .sources
            .iter()
            .find(|(_, f)| f.path == own)
            .map(|(id, _)| id);
        let (tokens, _) = lexer::lex(FileId(0), text);
        let occurrences = occurrences(&tokens, text);
        DocAnalysis {
            report,
            file,
            tokens,
            occurrences,
        }
    }

    /// The document's own diagnostics.
    pub fn diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        let file = self.file;
        self.report
            .diagnostics
            .iter()
            .filter(move |d| Some(d.primary.file) == file)
    }

    /// The job this document belongs to.
    pub fn job(&self) -> Option<&JobClass> {
        let file = self.file?;
        self.report
            .jobs
            .iter()
            .find(|j| j.file == file || j.override_file == Some(file))
    }
}

/// What a workspace check needs: the folder, the open documents' text, and
/// which version of each it is.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    pub generation: u64,
    pub root: PathBuf,
    pub overlay: HashMap<PathBuf, Vec<u8>>,
    pub versions: HashMap<PathBuf, i32>,
    pub assume_events: Vec<String>,
}

/// One file of a snapshot, indexed.
#[derive(Debug, Clone)]
pub struct FileIndex {
    pub lines: LineIndex,
    pub occurrences: Vec<Occurrence>,
}

/// A workspace folder checked as one job set.
#[derive(Debug)]
pub struct Snapshot {
    pub generation: u64,
    pub root: PathBuf,
    pub report: Report,
    /// Per file of `report.sources`, by id.
    pub files: Vec<FileIndex>,
    /// The version of each open document the check read.
    pub versions: HashMap<PathBuf, i32>,
    by_path: HashMap<PathBuf, FileId>,
    job_of_file: HashMap<FileId, usize>,
}

impl Snapshot {
    /// Checks a folder (the slow part: run it off the main loop).
    pub fn make(request: CheckRequest) -> Snapshot {
        let options = CheckOptions {
            graph: true,
            assume_events: request.assume_events,
            whole_set: true,
            strict_upstart: false,
        };
        let report = check::check_paths_overlaid(
            std::slice::from_ref(&request.root),
            &options,
            &request.overlay,
        );
        let files = report
            .sources
            .iter()
            .map(|(_, f)| {
                let (tokens, _) = lexer::lex(FileId(0), &f.text);
                FileIndex {
                    lines: LineIndex::new(&f.text),
                    occurrences: occurrences(&tokens, &f.text),
                }
            })
            .collect();
        let by_path = report
            .sources
            .iter()
            .map(|(id, f)| (f.path.clone(), id))
            .collect();
        let mut job_of_file = HashMap::new();
        for (i, job) in report.jobs.iter().enumerate() {
            job_of_file.insert(job.file, i);
            if let Some(o) = job.override_file {
                job_of_file.insert(o, i);
            }
        }
        Snapshot {
            generation: request.generation,
            root: request.root,
            report,
            files,
            versions: request.versions,
            by_path,
            job_of_file,
        }
    }

    pub fn file_of(&self, path: &Path) -> Option<FileId> {
        self.by_path.get(path).copied()
    }

    /// The job a file belongs to.
    pub fn job_of(&self, file: FileId) -> Option<&JobClass> {
        self.report.jobs.get(*self.job_of_file.get(&file)?)
    }

    pub fn job(&self, name: &str) -> Option<&JobClass> {
        self.report.jobs.iter().find(|j| j.name == name)
    }

    pub fn text(&self, file: FileId) -> &str {
        self.report
            .sources
            .get(file)
            .map_or("", |f| f.text.as_str())
    }

    pub fn path(&self, file: FileId) -> &Path {
        self.report.sources.path(file)
    }
}
