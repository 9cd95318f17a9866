//! The server's scheduling, driven without I/O: the folder check is
//! debounced, runs outside `handle`, and a stale result is dropped.

use std::time::{Duration, Instant};

use lsp_server::{Message, Notification, Request, RequestId};
use serde_json::{json, Value};

use super::{CheckBatch, Incoming, Output, Server, DEBOUNCE};

struct Driver {
    server: Server,
    now: Instant,
    published: Vec<Value>,
    checks: Vec<CheckBatch>,
}

impl Driver {
    fn new(root: &std::path::Path) -> Driver {
        let mut d = Driver {
            server: Server::new(),
            now: Instant::now(),
            published: Vec::new(),
            checks: Vec::new(),
        };
        let root = format!("file://{}", root.display());
        d.request("initialize", json!({"rootUri": root, "capabilities": {}}));
        d.notify("initialized", json!({}));
        d
    }

    fn request(&mut self, method: &str, params: Value) {
        let r = Request {
            id: RequestId::from(1),
            method: method.to_owned(),
            params,
        };
        self.feed(Incoming::Message(Message::Request(r)));
    }

    fn notify(&mut self, method: &str, params: Value) {
        let n = Notification {
            method: method.to_owned(),
            params,
        };
        self.feed(Incoming::Message(Message::Notification(n)));
    }

    fn feed(&mut self, incoming: Incoming) {
        self.server.handle(incoming, self.now);
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(output) = self.server.poll_output() {
            match output {
                Output::Send(Message::Notification(n))
                    if n.method == "textDocument/publishDiagnostics" =>
                {
                    self.published.push(n.params)
                }
                Output::Check(batch) => self.checks.push(batch),
                _ => {}
            }
        }
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        if self.server.poll_timeout().is_some_and(|t| t <= self.now) {
            self.server.handle_timeout(self.now);
        }
        self.drain();
    }

    fn codes_of_last(&self, uri: &str) -> Vec<String> {
        self.published
            .iter()
            .rev()
            .find(|p| p["uri"] == uri)
            .and_then(|p| p["diagnostics"].as_array())
            .into_iter()
            .flatten()
            .filter_map(|d| d["code"].as_str().map(str::to_owned))
            .collect()
    }
}

fn change(d: &mut Driver, uri: &str, version: i32, text: &str) {
    d.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
    );
}

#[test]
fn the_folder_check_waits_for_typing_to_pause() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut d = Driver::new(dir.path());
    d.advance(Duration::ZERO);
    assert_eq!(d.checks.len(), 1, "a first check right after `initialized`");
    let uri = format!("file://{}/a.conf", dir.path().display());
    d.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "upstart", "version": 1, "text": "task\n"}}),
    );
    for version in 2..6 {
        d.advance(DEBOUNCE / 2);
        change(&mut d, &uri, version, "task\n");
    }
    assert_eq!(d.checks.len(), 1, "no check while changes keep coming");
    d.advance(DEBOUNCE);
    assert_eq!(d.checks.len(), 2);
    let batch = d
        .checks
        .last()
        .cloned()
        .unwrap_or_else(|| panic!("a batch"));
    let request = batch
        .requests
        .first()
        .unwrap_or_else(|| panic!("one folder"));
    assert_eq!(
        request.versions.values().copied().collect::<Vec<_>>(),
        vec![5]
    );
    assert_eq!(
        request.overlay.values().cloned().collect::<Vec<_>>(),
        vec![b"task\n".to_vec()],
        "the check reads the unsaved text"
    );
}

#[test]
fn a_stale_or_outdated_folder_check_changes_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("a.conf");
    std::fs::write(&path, "start on nothing-emits-this\nexec /bin/a\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut d = Driver::new(dir.path());
    let uri = format!("file://{}", path.display());
    d.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "upstart", "version": 1,
               "text": "start on nothing-emits-this\nexec /bin/a\n"}}),
    );
    d.advance(DEBOUNCE);
    let old = d.checks.pop().unwrap_or_else(|| panic!("a check"));
    // The document changes before the check comes back...
    change(&mut d, &uri, 2, "start on startup\nexec /bin/a\n");
    d.advance(DEBOUNCE);
    let new = d.checks.pop().unwrap_or_else(|| panic!("a second check"));
    // ...the newer check lands first: nothing emits nothing; all clean.
    let (generation, snapshots) = new.run();
    d.server.workspace_checked(generation, snapshots);
    d.drain();
    assert!(d.codes_of_last(&uri).is_empty());
    // The older one, arriving late, is dropped: its W0022 never shows.
    let published = d.published.len();
    let (generation, snapshots) = old.run();
    d.server.workspace_checked(generation, snapshots);
    d.drain();
    assert_eq!(d.published.len(), published, "nothing published");
    assert!(d.codes_of_last(&uri).is_empty());
}

#[test]
fn a_check_of_an_older_version_keeps_the_documents_own_diagnostics() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut d = Driver::new(dir.path());
    let uri = format!("file://{}/a.conf", dir.path().display());
    let text = "start on nothing-emits-this\nexec /bin/a\n";
    d.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "upstart", "version": 1, "text": text}}),
    );
    d.advance(DEBOUNCE);
    let first = d.checks.pop().unwrap_or_else(|| panic!("a check"));
    let (generation, snapshots) = first.run();
    d.server.workspace_checked(generation, snapshots);
    d.drain();
    assert_eq!(d.codes_of_last(&uri), vec!["W0022"]);
    // Typing above the event moves the held warning along with it.
    d.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
             "text": "task\n"}]}),
    );
    let last = d
        .published
        .iter()
        .rev()
        .find(|p| p["uri"] == uri.as_str())
        .cloned()
        .unwrap_or_default();
    assert_eq!(last["version"], 2);
    assert_eq!(last["diagnostics"][0]["code"], "W0022");
    assert_eq!(last["diagnostics"][0]["range"]["start"]["line"], 1);
}
