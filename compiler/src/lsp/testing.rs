//! The fuzz target's body, in the library so `cargo test` replays its
//! saved inputs too: random bytes become an edit session on one document
//! (incremental and full changes with arbitrary, often out-of-range,
//! positions; hover, completion, definition, references, symbols, code
//! actions and formatting at arbitrary places; malformed messages). The
//! server must not panic, must answer every request once, must publish
//! only ranges inside the document, and must hold exactly the text a
//! simple reference model of the client holds.

use std::time::Instant;

use lsp_server::{Message, Notification, Request, RequestId};
use lsp_types::{Position, Range};
use serde_json::{json, Value};

use super::server::{Incoming, Output, Server};
use super::transport;

/// A realistic job to start from, so edits land in every kind of stanza.
const SEED: &str = "description \"a job\"\nstart on (started dbus and net-device-up IFACE!=lo)\nstop on runlevel [!2345]\nemits my-event\nexpect fork\nrespawn\nnormal exit 0 TERM\nenv A=\"x y\"\npre-start script\n  test -x /bin/true || { stop; exit 0; }\nend script\nexec /usr/sbin/daemon -f\n";

const URI: &str = "untitled:fuzz.conf";

/// How the client counts characters.
#[derive(Clone, Copy)]
enum Units {
    Utf8,
    Utf16,
}

struct Session {
    server: Server,
    units: Units,
    /// The text as the client holds it.
    model: String,
    version: i32,
    next_id: i32,
    pending: Vec<RequestId>,
    /// The result of the last request answered without an error.
    last_result: Option<Value>,
}

/// Runs one fuzz input. Panics when an invariant is broken.
pub fn edit_session(data: &[u8]) {
    let mut bytes = data.iter().copied();
    let units = if bytes.next().unwrap_or(0) % 2 == 0 {
        Units::Utf16
    } else {
        Units::Utf8
    };
    let mut s = Session {
        server: Server::new(),
        units,
        model: SEED.to_owned(),
        version: 1,
        next_id: 1,
        pending: Vec::new(),
        last_result: None,
    };
    let encodings = match units {
        Units::Utf8 => json!(["utf-8"]),
        Units::Utf16 => json!(["utf-16"]),
    };
    s.request(
        "initialize",
        json!({"capabilities": {"general": {"positionEncodings": encodings},
               "textDocument": {"completion": {"completionItem": {"snippetSupport": true}}}}}),
    );
    s.notify("initialized", json!({}));
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": URI, "languageId": "upstart", "version": 1, "text": SEED}}),
    );
    let mut take = |n: usize| -> Vec<u8> { bytes.by_ref().take(n).collect() };
    loop {
        let op = take(1);
        let Some(&op) = op.first() else { break };
        match op % 8 {
            0 => {
                let r = take(4);
                let len = take(1).first().copied().unwrap_or(0) as usize % 24;
                let text = String::from_utf8_lossy(&take(len)).into_owned();
                s.change(Some(range_of(&r)), &text);
            }
            1 => {
                let len = take(1).first().copied().unwrap_or(0) as usize;
                let text = String::from_utf8_lossy(&take(len)).into_owned();
                s.change(None, &text);
            }
            2..=4 => {
                let p = position_of(&take(2));
                let method = match op % 8 {
                    2 => "textDocument/hover",
                    3 => "textDocument/completion",
                    _ if op & 0x80 == 0 => "textDocument/definition",
                    _ => "textDocument/references",
                };
                s.request(
                    method,
                    json!({"textDocument": {"uri": URI}, "position": p,
                           "context": {"includeDeclaration": true}}),
                );
            }
            5 => s.format(),
            6 => {
                let r = range_of(&take(4));
                s.request(
                    "textDocument/codeAction",
                    json!({"textDocument": {"uri": URI}, "range": r,
                           "context": {"diagnostics": []}}),
                );
                s.request(
                    "textDocument/documentSymbol",
                    json!({"textDocument": {"uri": URI}}),
                );
            }
            _ => {
                let len = take(1).first().copied().unwrap_or(0) as usize % 48;
                let body = take(len);
                s.feed(transport::parse(&body));
            }
        }
    }
    s.request("shutdown", Value::Null);
    s.notify("exit", Value::Null);
    assert!(
        s.pending.is_empty(),
        "requests left unanswered: {:?}",
        s.pending
    );
}

fn position_of(b: &[u8]) -> Position {
    let at = |i: usize| u32::from(b.get(i).copied().unwrap_or(0));
    Position::new(at(0) % 20, at(1) % 70)
}

fn range_of(b: &[u8]) -> Range {
    Range::new(
        position_of(b.get(..2).unwrap_or(&[])),
        position_of(b.get(2..).unwrap_or(&[])),
    )
}

impl Session {
    fn request(&mut self, method: &str, params: Value) {
        let id = RequestId::from(self.next_id);
        self.next_id += 1;
        self.pending.push(id.clone());
        let request = Request {
            id,
            method: method.to_owned(),
            params,
        };
        self.feed(Incoming::Message(Message::Request(request)));
    }

    fn notify(&mut self, method: &str, params: Value) {
        let n = Notification {
            method: method.to_owned(),
            params,
        };
        self.feed(Incoming::Message(Message::Notification(n)));
    }

    fn change(&mut self, range: Option<Range>, text: &str) {
        self.version += 1;
        let change = match range {
            Some(r) => json!({"range": r, "text": text}),
            None => json!({"text": text}),
        };
        let (start, end) = match range {
            Some(r) => {
                let a = model_offset(&self.model, r.start, self.units);
                let b = model_offset(&self.model, r.end, self.units);
                (a.min(b), a.max(b))
            }
            None => (0, self.model.len()),
        };
        self.model.replace_range(start..end, text);
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": URI, "version": self.version},
                   "contentChanges": [change]}),
        );
    }

    /// Asks for formatting and applies the edits as a client would.
    fn format(&mut self) {
        self.last_result = None;
        self.request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": URI}, "options": {"tabSize": 4, "insertSpaces": true}}),
        );
        if let Some(edits) = self.last_result.take() {
            if let Some(list) = edits.as_array() {
                for edit in list {
                    let range: Option<Range> = serde_json::from_value(edit["range"].clone()).ok();
                    let text = edit["newText"].as_str().unwrap_or("").to_owned();
                    if let Some(range) = range {
                        self.change(Some(range), &text);
                    }
                }
            }
        }
    }

    fn feed(&mut self, incoming: Incoming) {
        self.server.handle(incoming, Instant::now());
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(output) = self.server.poll_output() {
            match output {
                Output::Send(Message::Response(r)) => {
                    let at = self.pending.iter().position(|id| *id == r.id);
                    match at {
                        Some(i) => {
                            self.pending.remove(i);
                        }
                        None => panic!("a response to no pending request: {r:?}"),
                    }
                    self.last_result = r.response_result.ok();
                }
                Output::Send(Message::Notification(n)) => self.check_notification(&n),
                Output::Send(Message::Request(r)) => panic!("the server sent a request: {r:?}"),
                Output::SendError(_) | Output::Exit(_) => {}
                Output::Check(batch) => {
                    let (generation, snapshots) = batch.run();
                    self.server.workspace_checked(generation, snapshots);
                }
            }
        }
    }

    fn check_notification(&self, n: &Notification) {
        if n.method != "textDocument/publishDiagnostics" {
            return;
        }
        let lines = self.model.split('\n').count() as u64;
        for d in n.params["diagnostics"].as_array().into_iter().flatten() {
            for end in ["start", "end"] {
                let line = d["range"][end]["line"].as_u64().unwrap_or(u64::MAX);
                assert!(line < lines, "diagnostic past the end: {d} ({lines} lines)");
            }
        }
        if n.params["version"].as_i64() == Some(i64::from(self.version)) {
            let text = self.server.document_text(URI);
            assert_eq!(
                text.as_deref(),
                Some(self.model.as_str()),
                "server and client texts differ"
            );
        }
    }
}

/// The reference model of a client: a position's byte offset, computed
/// the plain way (walk every character, count lines and units).
fn model_offset(text: &str, p: Position, units: Units) -> usize {
    let (mut line, mut col) = (0u32, 0u32);
    for (i, c) in text.char_indices() {
        if line == p.line && (col >= p.character || c == '\n') {
            return i;
        }
        if line == p.line {
            let width = match units {
                Units::Utf8 => c.len_utf8(),
                Units::Utf16 => c.len_utf16(),
            };
            let width = u32::try_from(width).unwrap_or(1);
            if col + width > p.character {
                return i;
            }
            col += width;
        }
        if c == '\n' {
            line += 1;
            col = 0;
        }
    }
    text.len()
}
