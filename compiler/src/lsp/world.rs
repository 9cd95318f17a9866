//! What a request can know: the open document (fresh) and, when it lies in
//! a workspace folder, the last snapshot of that folder (with the
//! document's own entry replaced by the fresh one).

use lsp_types::{Location, Uri};

use crate::sema::JobClass;
use crate::source::{FileId, Span};

use super::analysis::{DocAnalysis, Snapshot};
use super::document::{Document, Encoding};
use super::tokens::{Kind, Occurrence, Which, JOB_EVENTS};
use super::uri;

/// A file a name was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The document the request is about.
    Here,
    /// Another file of the snapshot.
    There(FileId),
}

pub struct World<'a> {
    pub uri: &'a Uri,
    pub doc: &'a Document,
    pub analysis: &'a DocAnalysis,
    pub encoding: Encoding,
    pub snapshot: Option<&'a Snapshot>,
    /// The document's own file in the snapshot.
    pub own: Option<FileId>,
}

/// Where an event comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// init, for every job (`started JOB`).
    JobEvent,
    /// init or a well-known outside source, with who.
    WellKnown(&'static str),
    /// A job's `emits`.
    Declared {
        job: String,
        place: Place,
        span: Span,
    },
}

impl World<'_> {
    /// Every name in every file: the document's fresh ones, then the
    /// snapshot's other files.
    pub fn occurrences(&self) -> Vec<(Place, &Occurrence)> {
        let mut out: Vec<(Place, &Occurrence)> = self
            .analysis
            .occurrences
            .iter()
            .map(|o| (Place::Here, o))
            .collect();
        if let Some(snapshot) = self.snapshot {
            for (i, file) in snapshot.files.iter().enumerate() {
                let id = FileId(u32::try_from(i).unwrap_or(u32::MAX));
                if Some(id) == self.own {
                    continue;
                }
                out.extend(file.occurrences.iter().map(|o| (Place::There(id), o)));
            }
        }
        out
    }

    /// The name of the job a place belongs to.
    pub fn job_name(&self, place: Place) -> String {
        match place {
            Place::Here => self
                .own
                .and_then(|id| self.snapshot?.job_of(id))
                .or_else(|| self.analysis.job())
                .map_or_else(|| "this job".to_owned(), |j| j.name.clone()),
            Place::There(id) => self
                .snapshot
                .and_then(|s| s.job_of(id))
                .map_or_else(|| "?".to_owned(), |j| j.name.clone()),
        }
    }

    pub fn location(&self, place: Place, span: Span) -> Option<Location> {
        match place {
            Place::Here => Some(Location::new(
                self.uri.clone(),
                self.doc.range(span, self.encoding),
            )),
            Place::There(id) => {
                let snapshot = self.snapshot?;
                let index = snapshot.files.get(id.0 as usize)?;
                let uri = uri::from_path(snapshot.path(id))?;
                let range = index.lines.range(snapshot.text(id), span, self.encoding);
                Some(Location::new(uri, range))
            }
        }
    }

    /// Where `event` comes from.
    pub fn sources(&self, event: &str) -> Vec<Source> {
        let mut out = Vec::new();
        if JOB_EVENTS.contains(&event) {
            out.push(Source::JobEvent);
        }
        for (name, who) in crate::graph::well_known_events() {
            if glob(name, event) {
                out.push(Source::WellKnown(who));
            }
        }
        for (place, o) in self.occurrences() {
            if o.kind == Kind::Emits && glob(&o.name, event) {
                out.push(Source::Declared {
                    job: self.job_name(place),
                    place,
                    span: o.span,
                });
            }
        }
        out
    }

    /// The jobs that wait for `event`, with the condition they wait in
    /// (each job and condition once, in file order).
    pub fn waiters(&self, event: &str) -> Vec<(String, Which)> {
        let mut out: Vec<(String, Which)> = Vec::new();
        for (place, o) in self.occurrences() {
            if let Kind::Use(which) = o.kind {
                if o.name == event {
                    let entry = (self.job_name(place), which);
                    if !out.contains(&entry) {
                        out.push(entry);
                    }
                }
            }
        }
        out
    }

    /// The job called `name`: the snapshot's, or the document's own.
    pub fn job(&self, name: &str) -> Option<(&JobClass, Place)> {
        if let Some(snapshot) = self.snapshot {
            if let Some(job) = snapshot.job(name) {
                let place = if Some(job.file) == self.own {
                    Place::Here
                } else {
                    Place::There(job.file)
                };
                return Some((job, place));
            }
        }
        self.analysis
            .job()
            .filter(|j| j.name == name)
            .map(|j| (j, Place::Here))
    }

    /// The names of every job known.
    pub fn job_names(&self) -> Vec<String> {
        let mut names: Vec<String> = match self.snapshot {
            Some(s) => s.report.jobs.iter().map(|j| j.name.clone()).collect(),
            None => Vec::new(),
        };
        if let Some(j) = self.analysis.job() {
            if self.snapshot.is_none() {
                names.push(j.name.clone());
            }
        }
        names.extend(crate::graph::well_known_jobs().map(|(n, _)| n.to_owned()));
        names.sort();
        names.dedup();
        names
    }

    /// The names of every event known: job events, well-known ones,
    /// declared ones and the ones waited for, without globs.
    pub fn event_names(&self) -> Vec<(String, &'static str)> {
        let mut out: Vec<(String, &'static str)> = JOB_EVENTS
            .iter()
            .map(|e| ((*e).to_owned(), "job event"))
            .collect();
        for (name, _) in crate::graph::well_known_events() {
            if super::tokens::is_literal(name) {
                out.push(((*name).to_owned(), "well-known event"));
            }
        }
        for (_, o) in self.occurrences() {
            let what = match o.kind {
                Kind::Emits => "declared with emits",
                Kind::Use(_) => "waited for in this workspace",
                Kind::JobRef(_) => continue,
            };
            if super::tokens::is_literal(&o.name) {
                out.push((o.name.clone(), what));
            }
        }
        // One entry per name, the first reason winning.
        let mut seen = std::collections::HashSet::new();
        out.retain(|(n, _)| seen.insert(n.clone()));
        out
    }
}

/// Whether an event name matches a pattern (`emits` and the well-known
/// table allow globs), as Upstart's fnmatch does.
pub fn glob(pattern: &str, event: &str) -> bool {
    upc_bundle::glob::fnmatch(pattern.as_bytes(), event.as_bytes())
}
