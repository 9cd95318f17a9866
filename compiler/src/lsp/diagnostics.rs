//! Diagnostics as the client sees them: an open document's own (from its
//! fresh check) and the whole-set ones the last folder check found in it,
//! which are held and moved along with the edits until the next check.

use std::collections::HashMap;

use lsp_types::{Location, Uri};

use crate::diag::{Diagnostic, Label};
use crate::source::FileId;

use super::analysis::{DocAnalysis, Snapshot};
use super::convert;
use super::document::{Document, Edit, Encoding, LineIndex};
use super::uri;

/// A whole-set diagnostic held for an open document: its labels in the
/// document follow the edits; labels elsewhere were placed when it came.
#[derive(Debug, Clone)]
pub struct Held {
    diag: Diagnostic,
    /// The document's file in the snapshot the diagnostic came from.
    own: FileId,
    /// Per secondary label in another file, its place.
    elsewhere: Vec<Option<Location>>,
}

impl Held {
    /// A snapshot's whole-set diagnostics for one of its files.
    pub fn from_snapshot(snapshot: &Snapshot, own: FileId, encoding: Encoding) -> Vec<Held> {
        snapshot
            .report
            .diagnostics
            .iter()
            .filter(|d| d.primary.file == own && d.code.is_whole_set())
            .map(|d| Held {
                diag: d.clone(),
                own,
                elsewhere: d
                    .secondary
                    .iter()
                    .map(|label| place(snapshot, label, encoding))
                    .collect(),
            })
            .collect()
    }

    /// Moves the labels in the document over an edit; false when the edit
    /// touched one of them (the diagnostic is dropped until the next check).
    pub fn shift(&mut self, edit: &Edit) -> bool {
        let own = self.own;
        let labels = std::iter::once(&mut self.diag.primary).chain(self.diag.secondary.iter_mut());
        for label in labels.filter(|l| l.file == own) {
            match edit.shift(label.span) {
                Some(span) => label.span = span,
                None => return false,
            }
        }
        if let Some(fix) = &mut self.diag.fix {
            match edit.shift(fix.span) {
                Some(span) => fix.span = span,
                None => self.diag.fix = None,
            }
        }
        true
    }
}

/// Where a label of a snapshot's diagnostic is.
pub fn place(snapshot: &Snapshot, label: &Label, encoding: Encoding) -> Option<Location> {
    let index = snapshot.files.get(label.file.0 as usize)?;
    let uri = uri::from_path(snapshot.path(label.file))?;
    let range = index
        .lines
        .range(snapshot.text(label.file), label.span, encoding);
    Some(Location::new(uri, range))
}

/// An open document's diagnostics, each with its LSP form.
pub fn for_document<'a>(
    uri: &Uri,
    doc: &Document,
    analysis: &'a DocAnalysis,
    held: &'a [Held],
    encoding: Encoding,
) -> Vec<(&'a Diagnostic, lsp_types::Diagnostic)> {
    let here = |span| Location::new(uri.clone(), doc.range(span, encoding));
    let mut out = Vec::new();
    let report = &analysis.report;
    for d in analysis.diagnostics() {
        let locate = |label: &Label| {
            if Some(label.file) == analysis.file {
                return Some(here(label.span));
            }
            let file = report.sources.get(label.file)?;
            let lines = LineIndex::new(&file.text);
            let range = lines.range(&file.text, label.span, encoding);
            Some(Location::new(uri::from_path(&file.path)?, range))
        };
        let range = doc.range(d.primary.span, encoding);
        out.push((d, convert::diagnostic(d, range, &locate)));
    }
    for h in held {
        let locate = |label: &Label| {
            if label.file == h.own {
                return Some(here(label.span));
            }
            let i = h
                .diag
                .secondary
                .iter()
                .position(|l| std::ptr::eq(l, label))?;
            h.elsewhere.get(i).cloned().flatten()
        };
        let range = doc.range(h.diag.primary.span, encoding);
        out.push((&h.diag, convert::diagnostic(&h.diag, range, &locate)));
    }
    out
}

/// Every diagnostic of a snapshot, by the file it is in.
pub fn for_snapshot(
    snapshot: &Snapshot,
    encoding: Encoding,
) -> HashMap<FileId, Vec<lsp_types::Diagnostic>> {
    let mut by_file: HashMap<FileId, Vec<lsp_types::Diagnostic>> = HashMap::new();
    for d in &snapshot.report.diagnostics {
        let file = d.primary.file;
        let Some(index) = snapshot.files.get(file.0 as usize) else {
            continue;
        };
        let range = index
            .lines
            .range(snapshot.text(file), d.primary.span, encoding);
        let locate = |label: &Label| place(snapshot, label, encoding);
        by_file
            .entry(file)
            .or_default()
            .push(convert::diagnostic(d, range, &locate));
    }
    by_file
}
