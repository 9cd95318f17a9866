//! The language server's state machine, sans I/O.
//!
//! [`Server::handle`] takes one incoming message; [`Server::poll_output`]
//! yields what to send and what to run; [`Server::poll_timeout`] says when
//! [`Server::handle_timeout`] is due (the debounced workspace check). A
//! workspace check is an [`Output::Check`] the driver runs wherever it
//! likes (the stdio loop: on a worker thread) and hands back with
//! [`Server::workspace_checked`]. Nothing here blocks, reads a clock or
//! spawns a thread, so tests and the fuzz target drive it directly.
//!
//! Protocol rules kept here: requests before `initialize` get
//! `ServerNotInitialized`, after `shutdown` `InvalidRequest`; unknown
//! requests `MethodNotFound`; bad parameters `InvalidParams`; requests
//! about a document that is neither open nor in a workspace folder
//! `InvalidParams`; unknown notifications are ignored.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response, ResponseError};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    DidChangeTextDocumentParams, DidChangeWorkspaceFoldersParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, PublishDiagnosticsParams, Uri,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::diag::Diagnostic;
use crate::source::FileId;

use super::analysis::{CheckRequest, DocAnalysis, Snapshot};
use super::diagnostics::{self, Held};
use super::document::{Document, Encoding};
use super::uri;
use super::world::World;

mod requests;

/// How long the workspace check waits after the last change.
pub const DEBOUNCE: Duration = Duration::from_millis(250);

/// Something the server wants done.
#[derive(Debug)]
pub enum Output {
    /// Send this to the client.
    Send(Message),
    /// Send this JSON-RPC error, which answers no known request (`id`
    /// null: the message it answers could not be read).
    SendError(ResponseError),
    /// Check these workspace folders, then call `workspace_checked`.
    Check(CheckBatch),
    /// The client said `exit`: stop with this status.
    Exit(i32),
}

/// One workspace check: every folder, one generation.
#[derive(Debug, Clone)]
pub struct CheckBatch {
    pub generation: u64,
    pub requests: Vec<CheckRequest>,
}

impl CheckBatch {
    /// Runs the check (the slow part).
    pub fn run(self) -> (u64, Vec<Snapshot>) {
        let snapshots = self.requests.into_iter().map(Snapshot::make).collect();
        (self.generation, snapshots)
    }
}

/// A message as read from the client.
#[derive(Debug)]
pub enum Incoming {
    Message(Message),
    /// A message that could not be read: its id when it had one.
    Malformed {
        id: Option<RequestId>,
        code: ErrorCode,
        message: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Uninitialized,
    Running,
    ShutDown,
}

#[derive(Debug)]
struct OpenDoc {
    uri: Uri,
    path: Option<PathBuf>,
    doc: Document,
    analysis: DocAnalysis,
    held: Vec<Held>,
}

pub struct Server {
    state: State,
    encoding: Encoding,
    snippets: bool,
    roots: Vec<PathBuf>,
    assume_events: Vec<String>,
    docs: HashMap<String, OpenDoc>,
    snapshots: Vec<Snapshot>,
    generation: u64,
    accepted: u64,
    check_due: Option<Instant>,
    /// What was last published, per URI.
    published: HashMap<String, Vec<lsp_types::Diagnostic>>,
    outbox: VecDeque<Output>,
}

impl Default for Server {
    fn default() -> Self {
        Server::new()
    }
}

type Reply = Result<Value, ResponseError>;

fn error(code: ErrorCode, message: impl Into<String>) -> ResponseError {
    ResponseError {
        code: code as i32,
        message: message.into(),
        data: None,
    }
}

fn params<P: DeserializeOwned>(value: Value) -> Result<P, ResponseError> {
    serde_json::from_value(value)
        .map_err(|e| error(ErrorCode::InvalidParams, format!("invalid parameters: {e}")))
}

fn to_value<T: serde::Serialize>(value: T) -> Reply {
    serde_json::to_value(value).map_err(|e| {
        error(
            ErrorCode::InternalError,
            format!("cannot serialise the result: {e}"),
        )
    })
}

impl Server {
    pub fn new() -> Server {
        Server {
            state: State::Uninitialized,
            encoding: Encoding::Utf16,
            snippets: false,
            roots: Vec::new(),
            assume_events: Vec::new(),
            docs: HashMap::new(),
            snapshots: Vec::new(),
            generation: 0,
            accepted: 0,
            check_due: None,
            published: HashMap::new(),
            outbox: VecDeque::new(),
        }
    }

    /// The server's text of an open document (for tests).
    pub fn document_text(&self, uri: &str) -> Option<String> {
        self.docs.get(uri).map(|d| d.doc.text.clone())
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.outbox.pop_front()
    }

    /// When `handle_timeout` is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.check_due
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if self.check_due.is_some_and(|due| due <= now) {
            self.check_due = None;
            self.start_check();
        }
    }

    pub fn handle(&mut self, incoming: Incoming, now: Instant) {
        match incoming {
            Incoming::Message(Message::Request(request)) => self.request(request),
            Incoming::Message(Message::Notification(n)) => self.notification(n, now),
            // We send no requests, so no response is expected.
            Incoming::Message(Message::Response(_)) => {}
            Incoming::Malformed { id, code, message } => {
                let e = error(code, message);
                match id {
                    Some(id) => self.respond(id, Err(e)),
                    None => self.outbox.push_back(Output::SendError(e)),
                }
            }
        }
    }

    fn respond(&mut self, id: RequestId, reply: Reply) {
        let response = Response {
            id,
            response_result: reply,
        };
        self.outbox
            .push_back(Output::Send(Message::Response(response)));
    }

    fn notify(&mut self, method: &str, params: impl serde::Serialize) {
        if let Ok(params) = serde_json::to_value(params) {
            self.outbox
                .push_back(Output::Send(Message::Notification(Notification {
                    method: method.to_owned(),
                    params,
                })));
        }
    }

    fn request(&mut self, request: Request) {
        let Request { id, method, params } = request;
        let reply = match (self.state, method.as_str()) {
            (State::Uninitialized, req::Initialize::METHOD) => self.initialize(params),
            (State::Uninitialized, _) => Err(error(
                ErrorCode::ServerNotInitialized,
                "the server is not initialized: send `initialize` first",
            )),
            (State::ShutDown, _) => Err(error(
                ErrorCode::InvalidRequest,
                "the server is shut down: only `exit` is accepted",
            )),
            (State::Running, req::Initialize::METHOD) => Err(error(
                ErrorCode::InvalidRequest,
                "`initialize` was already received",
            )),
            (State::Running, req::Shutdown::METHOD) => {
                self.state = State::ShutDown;
                Ok(Value::Null)
            }
            (State::Running, method) => self.dispatch(method, params),
        };
        self.respond(id, reply);
    }

    fn notification(&mut self, n: Notification, now: Instant) {
        if n.method == note::Exit::METHOD {
            let status = if self.state == State::ShutDown { 0 } else { 1 };
            self.outbox.push_back(Output::Exit(status));
            return;
        }
        if self.state != State::Running {
            return;
        }
        // A notification gets no reply, not even an error; a bad one is
        // logged back to the client.
        let result = match n.method.as_str() {
            note::Initialized::METHOD => {
                self.schedule(now, Duration::ZERO);
                Ok(())
            }
            note::DidOpenTextDocument::METHOD => params(n.params).map(|p| self.did_open(p, now)),
            note::DidChangeTextDocument::METHOD => {
                params(n.params).map(|p| self.did_change(p, now))
            }
            note::DidCloseTextDocument::METHOD => params(n.params).map(|p| self.did_close(p, now)),
            note::DidSaveTextDocument::METHOD | note::DidChangeWatchedFiles::METHOD => {
                self.schedule(now, Duration::ZERO);
                Ok(())
            }
            note::DidChangeWorkspaceFolders::METHOD => {
                params(n.params).map(|p| self.did_change_folders(p, now))
            }
            _ => Ok(()),
        };
        if let Err(e) = result {
            self.notify(
                note::LogMessage::METHOD,
                lsp_types::LogMessageParams {
                    typ: lsp_types::MessageType::ERROR,
                    message: format!("upc: `{}` ignored: {}", n.method, e.message),
                },
            );
        }
    }

    // Documents.

    fn did_open(&mut self, p: DidOpenTextDocumentParams, now: Instant) {
        let item = p.text_document;
        let path = uri::to_path(&item.uri);
        let key = item.uri.as_str().to_owned();
        let open = OpenDoc {
            uri: item.uri,
            path,
            doc: Document::new(item.text, item.version),
            analysis: DocAnalysis::default(),
            held: Vec::new(),
        };
        self.docs.insert(key.clone(), open);
        self.reanalyse(&key);
        self.publish_doc(&key);
        self.schedule(now, DEBOUNCE);
    }

    fn did_change(&mut self, p: DidChangeTextDocumentParams, now: Instant) {
        let key = p.text_document.uri.as_str().to_owned();
        let encoding = self.encoding;
        let Some(open) = self.docs.get_mut(&key) else {
            return;
        };
        for change in p.content_changes {
            let edit = open.doc.apply(change.range, &change.text, encoding);
            open.held.retain_mut(|h| h.shift(&edit));
        }
        open.doc.version = p.text_document.version;
        self.reanalyse(&key);
        self.publish_doc(&key);
        if self.in_workspace(self.docs.get(&key).and_then(|d| d.path.as_deref())) {
            self.schedule(now, DEBOUNCE);
        }
    }

    fn did_close(&mut self, p: DidCloseTextDocumentParams, now: Instant) {
        let key = p.text_document.uri.as_str().to_owned();
        let Some(open) = self.docs.remove(&key) else {
            return;
        };
        if self.in_workspace(open.path.as_deref()) {
            // The folder's check reports the file as it is on disk.
            self.schedule(now, Duration::ZERO);
        } else {
            self.publish(&open.uri, Vec::new(), None);
        }
    }

    fn did_change_folders(&mut self, p: DidChangeWorkspaceFoldersParams, now: Instant) {
        let removed: Vec<PathBuf> = p
            .event
            .removed
            .iter()
            .filter_map(|f| uri::to_path(&f.uri))
            .collect();
        self.roots.retain(|r| !removed.contains(r));
        self.roots
            .extend(p.event.added.iter().filter_map(|f| uri::to_path(&f.uri)));
        self.schedule(now, Duration::ZERO);
    }

    fn in_workspace(&self, path: Option<&Path>) -> bool {
        path.is_some_and(|p| self.roots.iter().any(|r| p.starts_with(r)))
    }

    /// Re-checks one open document as a job of its own.
    fn reanalyse(&mut self, key: &str) {
        let Some(open) = self.docs.get(key) else {
            return;
        };
        // The document, and its `.conf`/`.override` partner if open too.
        let mut overlay = HashMap::new();
        if let Some(path) = &open.path {
            overlay.insert(path.clone(), open.doc.text.as_bytes().to_vec());
            let partner = match path.extension().and_then(|e| e.to_str()) {
                Some("override") => Some(path.with_extension("conf")),
                Some("conf") => Some(path.with_extension("override")),
                _ => None,
            };
            if let Some(partner) = partner {
                if let Some(other) = self
                    .docs
                    .values()
                    .find(|d| d.path.as_ref() == Some(&partner))
                {
                    overlay.insert(partner, other.doc.text.as_bytes().to_vec());
                }
            }
        }
        let name = editor_name(&open.uri);
        let analysis = DocAnalysis::new(open.path.as_deref(), &name, &open.doc.text, &overlay);
        if let Some(open) = self.docs.get_mut(key) {
            open.analysis = analysis;
        }
    }

    /// The workspace snapshot a document belongs to, and its file in it.
    fn snapshot_of(&self, path: Option<&Path>) -> (Option<&Snapshot>, Option<FileId>) {
        let Some(path) = path else {
            return (None, None);
        };
        let snapshot = self
            .snapshots
            .iter()
            .filter(|s| path.starts_with(&s.root))
            .max_by_key(|s| s.root.components().count());
        let own = snapshot.and_then(|s| s.file_of(path));
        (snapshot, own)
    }

    /// Runs `f` on the world of a document: an open one, or a file of a
    /// workspace folder read from disk.
    fn with_world<R>(
        &self,
        uri: &Uri,
        f: impl FnOnce(&World<'_>) -> R,
    ) -> Result<R, ResponseError> {
        let key = uri.as_str();
        let loaded;
        let open = match self.docs.get(key) {
            Some(open) => open,
            None => {
                let path = uri::to_path(uri).filter(|p| self.in_workspace(Some(p)));
                let Some(path) = path else {
                    return Err(error(
                        ErrorCode::InvalidParams,
                        format!("`{key}` is neither open nor in a workspace folder"),
                    ));
                };
                let bytes = std::fs::read(&path).map_err(|e| {
                    error(
                        ErrorCode::InvalidParams,
                        format!("`{key}` is not open and cannot be read: {e}"),
                    )
                })?;
                let text = String::from_utf8(bytes).map_err(|e| {
                    error(
                        ErrorCode::InvalidParams,
                        format!(
                            "`{key}` is not valid UTF-8 (first invalid byte at offset {})",
                            e.utf8_error().valid_up_to()
                        ),
                    )
                })?;
                let analysis = DocAnalysis::new(Some(&path), key, &text, &HashMap::new());
                loaded = OpenDoc {
                    uri: uri.clone(),
                    path: Some(path),
                    doc: Document::new(text, 0),
                    analysis,
                    held: Vec::new(),
                };
                &loaded
            }
        };
        let (snapshot, own) = self.snapshot_of(open.path.as_deref());
        let world = World {
            uri: &open.uri,
            doc: &open.doc,
            analysis: &open.analysis,
            encoding: self.encoding,
            snapshot,
            own,
        };
        Ok(f(&world))
    }

    // Diagnostics.

    /// An open document's diagnostics, with their LSP form.
    fn converted(
        &self,
        key: &str,
        encoding: Encoding,
    ) -> Vec<(&Diagnostic, lsp_types::Diagnostic)> {
        match self.docs.get(key) {
            Some(open) => diagnostics::for_document(
                &open.uri,
                &open.doc,
                &open.analysis,
                &open.held,
                encoding,
            ),
            // A file read from disk for one request has no diagnostics here.
            None => Vec::new(),
        }
    }

    fn publish_doc(&mut self, key: &str) {
        let Some(open) = self.docs.get(key) else {
            return;
        };
        let diagnostics: Vec<lsp_types::Diagnostic> = self
            .converted(key, self.encoding)
            .into_iter()
            .map(|(_, lsp)| lsp)
            .collect();
        let (uri, version) = (open.uri.clone(), open.doc.version);
        self.publish(&uri, diagnostics, Some(version));
    }

    fn publish(
        &mut self,
        uri: &Uri,
        diagnostics: Vec<lsp_types::Diagnostic>,
        version: Option<i32>,
    ) {
        let key = uri.as_str();
        if self.published.get(key) == Some(&diagnostics) {
            return;
        }
        if diagnostics.is_empty() {
            self.published.remove(key);
        } else {
            self.published.insert(key.to_owned(), diagnostics.clone());
        }
        self.notify(
            note::PublishDiagnostics::METHOD,
            PublishDiagnosticsParams {
                uri: uri.clone(),
                diagnostics,
                version,
            },
        );
    }

    // The workspace check.

    fn schedule(&mut self, now: Instant, delay: Duration) {
        if self.roots.is_empty() {
            return;
        }
        self.check_due = Some(now + delay);
    }

    fn start_check(&mut self) {
        self.generation += 1;
        let requests = self
            .roots
            .iter()
            .map(|root| {
                let mut overlay = HashMap::new();
                let mut versions = HashMap::new();
                for open in self.docs.values() {
                    if let Some(path) = open.path.as_ref().filter(|p| p.starts_with(root)) {
                        overlay.insert(path.clone(), open.doc.text.as_bytes().to_vec());
                        versions.insert(path.clone(), open.doc.version);
                    }
                }
                CheckRequest {
                    generation: self.generation,
                    root: root.clone(),
                    overlay,
                    versions,
                    assume_events: self.assume_events.clone(),
                }
            })
            .collect();
        self.outbox.push_back(Output::Check(CheckBatch {
            generation: self.generation,
            requests,
        }));
    }

    /// Takes a finished workspace check. One older than what the server
    /// already has is dropped; in a newer one, the whole-set diagnostics of
    /// an open document are taken only if the check read the document's
    /// current version (else the document keeps the ones it has, moved
    /// along with its edits, until the next check).
    pub fn workspace_checked(&mut self, generation: u64, snapshots: Vec<Snapshot>) {
        if generation <= self.accepted || self.state != State::Running {
            return;
        }
        self.accepted = generation;
        self.snapshots = snapshots
            .into_iter()
            .filter(|s| self.roots.contains(&s.root))
            .collect();
        let encoding = self.encoding;
        let keys: Vec<String> = self.docs.keys().cloned().collect();
        for key in &keys {
            let fresh = {
                let Some(open) = self.docs.get(key) else {
                    continue;
                };
                let (snapshot, own) = self.snapshot_of(open.path.as_deref());
                match (snapshot, own, open.path.as_ref()) {
                    (Some(s), Some(own), Some(path))
                        if s.versions.get(path) == Some(&open.doc.version) =>
                    {
                        Some(Held::from_snapshot(s, own, encoding))
                    }
                    _ => None,
                }
            };
            if let (Some(held), Some(open)) = (fresh, self.docs.get_mut(key)) {
                open.held = held;
            }
            self.publish_doc(key);
        }
        self.publish_workspace();
    }

    /// Publishes the diagnostics of every file of the folders that is not
    /// open, and clears those of files that have none any more.
    fn publish_workspace(&mut self) {
        let encoding = self.encoding;
        let mut batch: Vec<(Uri, Vec<lsp_types::Diagnostic>)> = Vec::new();
        for snapshot in &self.snapshots {
            let mut by_file = diagnostics::for_snapshot(snapshot, encoding);
            for (id, source) in snapshot.report.sources.iter() {
                let Some(uri) = uri::from_path(&source.path) else {
                    continue;
                };
                if self.docs.contains_key(uri.as_str()) {
                    continue;
                }
                batch.push((uri, by_file.remove(&id).unwrap_or_default()));
            }
        }
        let listed: HashSet<String> = batch.iter().map(|(u, _)| u.as_str().to_owned()).collect();
        let stale: Vec<String> = self
            .published
            .keys()
            .filter(|k| !listed.contains(*k) && !self.docs.contains_key(*k))
            .cloned()
            .collect();
        for (uri, diagnostics) in batch {
            self.publish(&uri, diagnostics, None);
        }
        for key in stale {
            if let Ok(uri) = key.parse::<Uri>() {
                self.publish(&uri, Vec::new(), None);
            }
        }
    }
}

/// The name an editor-only document is checked under.
fn editor_name(uri: &Uri) -> String {
    let text = uri.as_str();
    let last = text.rsplit(['/', ':']).next().unwrap_or(text);
    if last.is_empty() {
        "untitled".to_owned()
    } else {
        last.to_owned()
    }
}

#[cfg(test)]
mod tests;
