//! The language server's features, over the protocol.

use std::path::Path;

use serde_json::{json, Value};
use tempfile::TempDir;

use crate::client::{file_uri, Client};

/// A workspace folder with a small job set.
fn workspace(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    for (name, text) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, text).expect("write a job file");
    }
    dir
}

fn uri_of(dir: &Path, name: &str) -> String {
    file_uri(&dir.join(name))
}

fn at(uri: &str, line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn markdown(hover: &Value) -> String {
    hover["contents"]["value"].as_str().unwrap_or("").to_owned()
}

const DAEMON: &str = "description \"the daemon\"\nstart on started dbus\nstop on stopping dbus\nemits daemon-ready\nexec /usr/sbin/daemon\n";
const DBUS: &str =
    "description \"message bus\"\nstart on local-filesystems\nexec /usr/bin/dbus-daemon --system\n";
const WATCHER: &str = "start on daemon-ready\ntask\nexec /bin/true\n";

#[test]
fn initialize_announces_the_features_and_shutdown_then_exit_ends_with_status_0() {
    let mut client = Client::spawn();
    let result = client.call("initialize", json!({"capabilities": {}}));
    let caps = &result["capabilities"];
    for feature in [
        "hoverProvider",
        "completionProvider",
        "definitionProvider",
        "referencesProvider",
        "documentSymbolProvider",
        "documentFormattingProvider",
        "codeActionProvider",
    ] {
        assert!(!caps[feature].is_null(), "{feature} missing: {caps}");
    }
    assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental sync");
    assert_eq!(caps["positionEncoding"], "utf-16");
    assert_eq!(result["serverInfo"]["name"], "upc");
    client.notify("initialized", json!({}));
    assert_eq!(client.finish().code(), Some(0));
}

#[test]
fn exit_without_shutdown_ends_with_status_1() {
    let mut client = Client::start(None);
    client.notify("exit", Value::Null);
    assert_eq!(client.exit_status().code(), Some(1));
}

#[test]
fn diagnostics_follow_open_and_incremental_and_full_changes() {
    let mut client = Client::start(None);
    let uri = "untitled:job.conf";
    client.open(uri, "exec /bin/daemon\nrespawn\nnice 99\n");
    let first = client.diagnostics(uri, |d| !d.is_empty());
    assert_eq!(codes(&first), vec!["E0011"]);
    assert_eq!(
        first[0]["range"]["start"],
        json!({"line": 2, "character": 5})
    );
    assert_eq!(first[0]["source"], "upc");
    assert!(first[0]["codeDescription"]["href"]
        .as_str()
        .is_some_and(|h| h.ends_with("E0011.md")));
    // Replace `99` with `5`.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 2, "character": 5}, "end": {"line": 2, "character": 7}}, "text": "5"}
        ]}),
    );
    let fixed = client.diagnostics(uri, |d| d.is_empty());
    assert!(fixed.is_empty());
    // A whole-text change.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": "wibble\n"}]}),
    );
    assert_eq!(
        codes(&client.diagnostics(uri, |d| !d.is_empty())),
        vec!["E0006"]
    );
    assert_eq!(client.finish().code(), Some(0));
}

#[test]
fn the_folder_check_reports_whole_set_problems_in_open_and_unopened_files() {
    let dir = workspace(&[
        ("a.conf", "start on started nosuchjob\nexec /bin/a\n"),
        ("b.conf", "start on nosuchevent\nexec /bin/b\n"),
    ]);
    let mut client = Client::start(Some(dir.path()));
    let a = uri_of(dir.path(), "a.conf");
    let b = uri_of(dir.path(), "b.conf");
    client.open(&a, "start on started nosuchjob\nexec /bin/a\n");
    let in_a = client.diagnostics(&a, |d| codes(d).contains(&"W0022".to_owned()));
    assert!(codes(&in_a).contains(&"W0022".to_owned()));
    // b.conf is not open: its diagnostics come from the folder check.
    let in_b = client.diagnostics(&b, |d| !d.is_empty());
    assert!(codes(&in_b).contains(&"W0022".to_owned()), "{in_b:?}");
    // Editing a.conf so the waited-for job exists clears it after the
    // debounced check, which reads the unsaved text.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": a, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 0, "character": 17}, "end": {"line": 0, "character": 26}}, "text": "b"}
        ]}),
    );
    // `b` exists but never starts (nothing emits `nosuchevent`), so now
    // `a` never starts either: only the folder check can know that.
    let after = client.diagnostics(&a, |d| codes(d).contains(&"W0021".to_owned()));
    assert!(!codes(&after).contains(&"W0022".to_owned()), "{after:?}");
    assert_eq!(client.finish().code(), Some(0));
}

#[test]
fn hover_documents_stanzas_events_jobs_and_diagnostics() {
    let dir = workspace(&[
        ("daemon.conf", DAEMON),
        ("dbus.conf", DBUS),
        ("watcher.conf", WATCHER),
    ]);
    let mut client = Client::start(Some(dir.path()));
    let daemon = uri_of(dir.path(), "daemon.conf");
    let watcher = uri_of(dir.path(), "watcher.conf");
    client.open(&daemon, DAEMON);
    client.open(&watcher, WATCHER);
    // Wait for the folder check, which brings the cross-file facts.
    client.diagnostics(&uri_of(dir.path(), "dbus.conf"), |_| true);

    let stanza = client.call("textDocument/hover", at(&daemon, 1, 2));
    assert!(markdown(&stanza).contains("start on EVENT"), "{stanza}");
    assert_eq!(stanza["range"]["end"], json!({"line": 1, "character": 8}));

    let job = client.call("textDocument/hover", at(&daemon, 1, 18));
    let text = markdown(&job);
    assert!(
        text.contains("**job** `dbus`") && text.contains("message bus"),
        "{text}"
    );
    assert!(text.contains("`local-filesystems`"), "{text}");

    let event = client.call("textDocument/hover", at(&watcher, 0, 12));
    let text = markdown(&event);
    assert!(text.contains("job `daemon` (`emits`)"), "{text}");
    assert!(text.contains("`watcher` in `start on`"), "{text}");

    let nothing = client.call("textDocument/hover", at(&daemon, 4, 12));
    assert_eq!(nothing, Value::Null);
    assert_eq!(client.finish().code(), Some(0));
}

#[test]
fn hover_on_a_diagnostic_shows_its_explanation() {
    let mut client = Client::start(None);
    let uri = "untitled:x.conf";
    client.open(uri, "nice 99\n");
    client.diagnostics(uri, |d| !d.is_empty());
    let hover = client.call("textDocument/hover", at(uri, 0, 6));
    assert!(markdown(&hover).contains("E0011"), "{hover}");
    assert_eq!(client.finish().code(), Some(0));
}

fn labels(list: &Value) -> Vec<String> {
    let items = list.as_array().or_else(|| list["items"].as_array());
    items
        .into_iter()
        .flatten()
        .map(|i| i["label"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn completion_offers_stanzas_values_events_and_jobs() {
    let dir = workspace(&[("daemon.conf", DAEMON), ("dbus.conf", DBUS)]);
    let mut client = Client::start_with(
        Some(dir.path()),
        json!({"textDocument": {"completion": {"completionItem": {"snippetSupport": true}}}}),
    );
    let uri = uri_of(dir.path(), "new.conf");
    let text = "expect \nstart on \nstart on started \n\n";
    client.open(&uri, text);
    client.diagnostics(&uri_of(dir.path(), "dbus.conf"), |_| true);

    let expect = labels(&client.call("textDocument/completion", at(&uri, 0, 7)));
    assert_eq!(expect, vec!["fork", "daemon", "stop", "none", "notify"]);

    let events = labels(&client.call("textDocument/completion", at(&uri, 1, 9)));
    for e in ["startup", "started", "daemon-ready", "local-filesystems"] {
        assert!(events.contains(&e.to_owned()), "{e} not in {events:?}");
    }

    let jobs = labels(&client.call("textDocument/completion", at(&uri, 2, 17)));
    assert!(jobs.contains(&"dbus".to_owned()) && jobs.contains(&"daemon".to_owned()));

    let list = client.call("textDocument/completion", at(&uri, 3, 0));
    let stanzas = labels(&list);
    assert!(stanzas.contains(&"respawn limit".to_owned()));
    let items = list.as_array().cloned().unwrap_or_default();
    let script = items
        .iter()
        .find(|i| i["label"] == "script")
        .expect("script");
    assert_eq!(script["insertTextFormat"], 2, "a snippet");
    assert!(script["documentation"]["value"]
        .as_str()
        .is_some_and(|d| d.contains("end script")));
    assert_eq!(client.finish().code(), Some(0));
}

#[test]
fn definition_leads_from_a_job_to_its_file_and_from_an_event_to_its_emits() {
    let dir = workspace(&[
        ("daemon.conf", DAEMON),
        ("dbus.conf", DBUS),
        ("watcher.conf", WATCHER),
    ]);
    let mut client = Client::start(Some(dir.path()));
    let daemon = uri_of(dir.path(), "daemon.conf");
    let watcher = uri_of(dir.path(), "watcher.conf");
    client.open(&daemon, DAEMON);
    client.open(&watcher, WATCHER);
    client.diagnostics(&uri_of(dir.path(), "dbus.conf"), |_| true);

    let job = client.call("textDocument/definition", at(&daemon, 1, 19));
    assert_eq!(job[0]["uri"], uri_of(dir.path(), "dbus.conf"));

    let event = client.call("textDocument/definition", at(&watcher, 0, 12));
    assert_eq!(event[0]["uri"], daemon);
    assert_eq!(
        event[0]["range"]["start"],
        json!({"line": 3, "character": 6})
    );

    let none = client.call("textDocument/definition", at(&watcher, 2, 7));
    assert_eq!(none, Value::Null);
    assert_eq!(client.finish().code(), Some(0));
}

#[test]
fn references_find_every_wait_for_an_event_and_every_mention_of_a_job() {
    let dir = workspace(&[
        ("daemon.conf", DAEMON),
        ("dbus.conf", DBUS),
        ("watcher.conf", WATCHER),
    ]);
    let mut client = Client::start(Some(dir.path()));
    let daemon = uri_of(dir.path(), "daemon.conf");
    client.open(&daemon, DAEMON);
    client.diagnostics(&uri_of(dir.path(), "dbus.conf"), |_| true);

    let mut params = at(&daemon, 3, 8);
    params["context"] = json!({"includeDeclaration": true});
    let refs = client.call("textDocument/references", params);
    let places: Vec<(String, u64)> = refs
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            let uri = l["uri"].as_str().unwrap_or("");
            let name = uri.rsplit('/').next().unwrap_or("").to_owned();
            (name, l["range"]["start"]["line"].as_u64().unwrap_or(99))
        })
        .collect();
    assert!(
        places.contains(&("watcher.conf".to_owned(), 0)),
        "{places:?}"
    );
    assert!(
        places.contains(&("daemon.conf".to_owned(), 3)),
        "{places:?}"
    );

    let mut params = at(&daemon, 1, 19);
    params["context"] = json!({"includeDeclaration": false});
    let refs = client.call("textDocument/references", params);
    let lines: Vec<u64> = refs
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| l["range"]["start"]["line"].as_u64().unwrap_or(99))
        .collect();
    assert_eq!(lines, vec![1, 2], "`started dbus` and `stopping dbus`");
    assert_eq!(client.finish().code(), Some(0));
}

#[test]
fn formatting_returns_the_edit_upc_fmt_makes() {
    let mut client = Client::start(None);
    let uri = "untitled:f.conf";
    let text = "  start   on   (a\n and b)\nexec   /bin/x  'y  z'   \n\n\n\nscript\n  echo  hi\nend   script\n";
    client.open(uri, text);
    let edits = client.call(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    let edits = edits.as_array().cloned().unwrap_or_default();
    assert_eq!(edits.len(), 1);
    let expected = upc::fmt::format(text).expect("formats");
    // Apply the one edit on the client side.
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap_or(0) as usize;
        let ch = p["character"].as_u64().unwrap_or(0) as usize;
        lines.iter().take(line).map(|l| l.len()).sum::<usize>() + ch
    };
    let (s, e) = (
        offset(&edits[0]["range"]["start"]),
        offset(&edits[0]["range"]["end"]),
    );
    let mut applied = text.to_owned();
    applied.replace_range(s..e, edits[0]["newText"].as_str().unwrap_or(""));
    assert_eq!(applied, expected);

    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "start on (a\n"}]}),
    );
    let refused = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    assert_eq!(refused["error"]["code"], -32803, "{refused}");
    assert_eq!(client.finish().code(), Some(0));
}

#[test]
fn code_actions_apply_the_fixes_diagnostics_suggest() {
    let dir = workspace(&[("a.conf", "start on startp\nexec /bin/a\n")]);
    let mut client = Client::start(Some(dir.path()));
    let uri = uri_of(dir.path(), "a.conf");
    client.open(&uri, "start on startp\nexec /bin/a\n");
    client.diagnostics(&uri, |d| codes(d).contains(&"W0022".to_owned()));
    let actions = |client: &mut Client, uri: &str, line: u32| {
        let range = json!({"start": {"line": line, "character": 0}, "end": {"line": line, "character": 40}});
        client.call(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": range, "context": {"diagnostics": []}}),
        )
    };
    let event = actions(&mut client, &uri, 0);
    assert_eq!(
        event[0]["title"], "Replace `startp` with `startup`",
        "{event}"
    );
    assert_eq!(event[0]["kind"], "quickfix");
    let edit = &event[0]["edit"]["changes"][&uri][0];
    assert_eq!(edit["newText"], "startup");
    assert_eq!(edit["range"]["start"], json!({"line": 0, "character": 9}));

    let other = "untitled:fixes.conf";
    client.open(other, "kill signal term\nsart on startup\n");
    client.diagnostics(other, |d| codes(d).contains(&"E0006".to_owned()));
    let signal = actions(&mut client, other, 0);
    assert_eq!(
        signal[0]["edit"]["changes"][other][0]["newText"], "TERM",
        "{signal}"
    );
    let stanza = actions(&mut client, other, 1);
    assert_eq!(
        stanza[0]["edit"]["changes"][other][0]["newText"], "start",
        "{stanza}"
    );
    // No fix where there is no diagnostic.
    let none = actions(&mut client, &uri, 1);
    assert_eq!(none, json!([]));
    assert_eq!(client.finish().code(), Some(0));
}

#[test]
fn document_symbols_list_the_stanzas_with_their_arguments() {
    let mut client = Client::start(None);
    let uri = "untitled:s.conf";
    client.open(uri, DAEMON);
    let symbols = client.call(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    let shown: Vec<(String, String)> = symbols
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["name"].as_str().unwrap_or("").to_owned(),
                s["detail"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expected = [
        ("description", "\"the daemon\""),
        ("start on", "started dbus"),
        ("stop on", "stopping dbus"),
        ("emits", "daemon-ready"),
        ("exec", "/usr/sbin/daemon"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    assert_eq!(shown, expected);
    assert_eq!(client.finish().code(), Some(0));
}

#[test]
fn utf8_positions_are_used_when_the_client_offers_them() {
    let mut client = Client::start_with(
        None,
        json!({"general": {"positionEncodings": ["utf-8", "utf-16"]}}),
    );
    let uri = "untitled:u.conf";
    client.open(uri, "env A=\"é\" B\n");
    let d = client.diagnostics(uri, |d| !d.is_empty());
    assert_eq!(codes(&d), vec!["E0002"]);
    // `é` is two bytes (one UTF-16 unit): `B` is at byte 11.
    assert_eq!(d[0]["range"]["start"], json!({"line": 0, "character": 11}));
    assert_eq!(client.finish().code(), Some(0));
}
