//! Bad input gets protocol errors, and the server goes on answering.

use serde_json::{json, Value};

use crate::client::Client;

/// A hover request that must still be answered (proof the server lives).
fn still_answers(client: &mut Client) {
    let reply = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": "untitled:alive.conf"}, "position": {"line": 0, "character": 0}}),
    );
    assert!(
        reply.get("result").is_some() || reply.get("error").is_some(),
        "{reply}"
    );
}

#[test]
fn requests_before_initialize_are_refused_with_server_not_initialized() {
    let mut client = Client::spawn();
    let reply = client.request("textDocument/hover", json!({}));
    assert_eq!(reply["error"]["code"], -32002, "{reply}");
    let init = client.request("initialize", json!({"capabilities": {}}));
    assert!(init.get("result").is_some());
}

#[test]
fn broken_frames_and_bad_json_get_parse_errors_with_a_null_id() {
    let mut client = Client::start(None);
    client.open("untitled:alive.conf", "task\n");
    client.send_raw(b"Content-Length: 9\r\n\r\n{\"id\": 1,");
    let reply = client.wait(|m| m.get("error").is_some());
    assert_eq!(reply["error"]["code"], -32700);
    assert_eq!(reply["id"], Value::Null);
    client.send_raw(b"Content-Type: nothing\r\n\r\n");
    let reply = client.wait(|m| m.get("error").is_some());
    assert_eq!(reply["error"]["code"], -32700, "{reply}");
    still_answers(&mut client);
    assert_eq!(client.finish().code(), Some(0));
}

#[test]
fn json_that_is_not_a_message_is_an_invalid_request_answered_by_id() {
    let mut client = Client::start(None);
    client.send(&json!({"jsonrpc": "2.0", "id": 41, "params": {}}));
    let reply = client.wait(|m| m["id"] == 41);
    assert_eq!(reply["error"]["code"], -32600, "{reply}");
    client.send(&json!([1, 2, 3]));
    let reply = client.wait(|m| m.get("error").is_some());
    assert_eq!(reply["error"]["code"], -32600, "{reply}");
    still_answers(&mut client);
    assert_eq!(client.finish().code(), Some(0));
}

#[test]
fn unknown_methods_and_bad_parameters_get_their_error_codes() {
    let mut client = Client::start(None);
    let unknown = client.request("textDocument/teleport", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    let bad = client.request("textDocument/hover", json!({"textDocument": 7}));
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    let bad_uri = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": "not a uri"}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(bad_uri["error"]["code"], -32602, "{bad_uri}");
    // An unknown notification is ignored; a bad known one is logged.
    client.notify("$/somethingElse", json!({}));
    client.notify("textDocument/didOpen", json!({"nonsense": true}));
    let log = client.wait(|m| m["method"] == "window/logMessage");
    assert!(log["params"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("didOpen")));
    assert_eq!(client.finish().code(), Some(0));
}

#[test]
fn requests_for_files_outside_the_workspace_get_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut client = Client::start(Some(dir.path()));
    let reply = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": "file:///etc/not-in-the-workspace.conf"},
               "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(reply["error"]["code"], -32602, "{reply}");
    assert!(reply["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("neither open nor in a workspace folder")));
    assert_eq!(client.finish().code(), Some(0));
}

#[test]
fn a_document_with_invalid_utf8_is_a_parse_error_and_changes_nothing() {
    let mut client = Client::start(None);
    let uri = "untitled:bytes.conf";
    client.open(uri, "task\n");
    client.diagnostics(uri, |_| true);
    let mut body = br#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"untitled:bytes.conf","version":2},"contentChanges":[{"text":"nice 99"#.to_vec();
    body.extend_from_slice(b"\xff\xfe\"}]}}");
    let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    frame.extend(body);
    client.send_raw(&frame);
    let reply = client.wait(|m| m.get("error").is_some());
    assert_eq!(reply["error"]["code"], -32700, "{reply}");
    // The document is still `task`: a symbol request shows it.
    let symbols = client.call(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(symbols[0]["name"], "task");
    assert_eq!(client.finish().code(), Some(0));
}

#[test]
fn requests_after_shutdown_are_invalid_and_closing_stdin_ends_the_server() {
    let mut client = Client::start(None);
    let reply = client.request("shutdown", Value::Null);
    assert_eq!(reply["result"], Value::Null);
    let after = client.request("textDocument/hover", json!({}));
    assert_eq!(after["error"]["code"], -32600, "{after}");
    client.close_stdin();
    assert_eq!(client.exit_status().code(), Some(1));
}

#[test]
fn edits_with_positions_past_the_end_are_clamped_not_fatal() {
    let mut client = Client::start(None);
    let uri = "untitled:clamp.conf";
    client.open(uri, "task\n");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 99, "character": 0}, "end": {"line": 99, "character": 9}}, "text": "respawn\n"},
            {"range": {"start": {"line": 0, "character": 999}, "end": {"line": 0, "character": 2}}, "text": "!"}
        ]}),
    );
    let symbols = client.call(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(names.contains(&"respawn"), "{symbols}");
    still_answers(&mut client);
    assert_eq!(client.finish().code(), Some(0));
}
