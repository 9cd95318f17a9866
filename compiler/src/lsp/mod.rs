//! `upc lsp`: the language server, a thin layer over `check`.
//!
//! It never analyses job files itself: diagnostics are `check`'s
//! [`Diagnostic`](crate::diag::Diagnostic)s converted ([`convert`]),
//! positions come from the lexer's tokens ([`tokens`]), cross-file facts
//! from the workspace folder's [`Report`](crate::check::Report) and job
//! classes ([`analysis`]), stanza documentation from one table
//! ([`docs`]) shared with completion and `upc explain`, and formatting is
//! [`crate::fmt`]. Only this module knows about LSP types.
//!
//! Shape: [`server::Server`] is the protocol state machine, sans I/O;
//! [`run_stdio`] drives it with three threads around one main loop: a
//! reader (stdin, framed by [`transport`]), a writer (stdout) and a
//! checker that runs the debounced whole-folder checks, so a slow check
//! never delays a reply. Every event reaches the main loop through one
//! channel as an [`Event`].

mod analysis;
mod capabilities;
mod completion;
mod convert;
mod diagnostics;
pub mod docs;
mod document;
mod hover;
mod navigate;
pub mod server;
mod symbols;
pub mod testing;
mod tokens;
pub mod transport;
mod uri;
mod world;

use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use lsp_server::{ErrorCode, Message, Response, ResponseError};
use serde_json::Value;

use analysis::Snapshot;
use server::{CheckBatch, Incoming, Output, Server};

/// Everything the main loop waits for.
enum Event {
    /// A message from the client.
    Client(Incoming),
    /// The client closed its end.
    ClientGone,
    /// A workspace check finished.
    Checked(u64, Vec<Snapshot>),
}

/// Runs the server on stdin/stdout until the client says `exit` or goes
/// away. The status is 0 after `shutdown` then `exit`, 1 otherwise (as the
/// protocol asks).
pub fn run_stdio() -> io::Result<ExitCode> {
    let (events, inbox) = mpsc::channel::<Event>();

    let to_main = events.clone();
    thread::Builder::new()
        .name("upc-lsp-reader".to_owned())
        .spawn(move || {
            let stdin = io::stdin();
            let mut input = stdin.lock();
            loop {
                let event = match transport::read(&mut input) {
                    Ok(Some(incoming)) => Event::Client(incoming),
                    Ok(None) | Err(_) => Event::ClientGone,
                };
                let gone = matches!(event, Event::ClientGone);
                if to_main.send(event).is_err() || gone {
                    break;
                }
            }
        })?;

    let (outgoing, to_write) = mpsc::channel::<Value>();
    let writer = thread::Builder::new()
        .name("upc-lsp-writer".to_owned())
        .spawn(move || {
            let stdout = io::stdout();
            let mut output = stdout.lock();
            for value in to_write {
                if transport::write(&mut output, value).is_err() {
                    break;
                }
            }
        })?;

    let (checks, to_check) = mpsc::channel::<CheckBatch>();
    let to_main = events;
    thread::Builder::new()
        .name("upc-lsp-checker".to_owned())
        .spawn(move || {
            while let Ok(mut batch) = to_check.recv() {
                // Only the newest batch is worth checking.
                while let Ok(newer) = to_check.try_recv() {
                    batch = newer;
                }
                let generation = batch.generation;
                let snapshots = catch_unwind(AssertUnwindSafe(|| batch.run()))
                    .map(|(_, s)| s)
                    .unwrap_or_default();
                if to_main.send(Event::Checked(generation, snapshots)).is_err() {
                    break;
                }
            }
        })?;

    let mut server = Server::new();
    let status = 'main: loop {
        while let Some(output) = server.poll_output() {
            match output {
                Output::Send(message) => send(&outgoing, &message),
                Output::SendError(e) => {
                    let _ = outgoing.send(serde_json::json!({"id": null, "error": e}));
                }
                Output::Check(batch) => {
                    let _ = checks.send(batch);
                }
                Output::Exit(status) => break 'main status,
            }
        }
        let event = match server.poll_timeout() {
            Some(due) => match inbox.recv_timeout(due.saturating_duration_since(Instant::now())) {
                Ok(event) => Some(event),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => break 1,
            },
            None => match inbox.recv() {
                Ok(event) => Some(event),
                Err(_) => break 1,
            },
        };
        let now = Instant::now();
        match event {
            None => server.handle_timeout(now),
            Some(Event::Client(incoming)) => handle(&mut server, incoming, now, &outgoing),
            Some(Event::ClientGone) => break 1,
            Some(Event::Checked(generation, snapshots)) => {
                server.workspace_checked(generation, snapshots)
            }
        }
    };
    drop(outgoing);
    let _ = writer.join();
    Ok(ExitCode::from(u8::try_from(status).unwrap_or(1)))
}

fn send(outgoing: &mpsc::Sender<Value>, message: &Message) {
    if let Ok(value) = serde_json::to_value(message) {
        let _ = outgoing.send(value);
    }
}

/// Hands one message to the server. A panic (a bug) answers the request
/// with an internal error instead of taking the editor's server down.
fn handle(server: &mut Server, incoming: Incoming, now: Instant, outgoing: &mpsc::Sender<Value>) {
    let id = match &incoming {
        Incoming::Message(Message::Request(r)) => Some(r.id.clone()),
        _ => None,
    };
    let result = catch_unwind(AssertUnwindSafe(|| server.handle(incoming, now)));
    if result.is_err() {
        if let Some(id) = id {
            let response = Response {
                id,
                response_result: Err(ResponseError {
                    code: ErrorCode::InternalError as i32,
                    message: "upc: internal error while answering; please report it".to_owned(),
                    data: None,
                }),
            };
            send(outgoing, &Message::Response(response));
        }
    }
}
