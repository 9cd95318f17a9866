//! The wire format pinned: every request and reply round-trips, the exact
//! lines PROTOCOL.md shows, and the errors a malformed line gets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::*;

fn job(name: &str) -> Target {
    Target::Job(name.to_owned())
}

fn inst(job: &str, instance: &str) -> Target {
    Target::Instance {
        job: job.to_owned(),
        instance: instance.to_owned(),
    }
}

fn s(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn scope_of(job: &str, instance: &str) -> EnvScope {
    EnvScope::Instance {
        job: job.to_owned(),
        instance: instance.to_owned(),
    }
}

/// One of every request shape.
fn every_request() -> Vec<Request> {
    vec![
        Request::Start {
            target: job("getty"),
            env: s(&["TTY=tty1"]),
            wait: true,
        },
        Request::Start {
            target: inst("getty", "tty1"),
            env: vec![],
            wait: false,
        },
        Request::Stop {
            target: job("x"),
            env: s(&["A=1", "B="]),
            wait: false,
        },
        Request::Restart {
            target: job("x"),
            env: vec![],
            wait: true,
        },
        Request::Reload {
            target: inst("x", ""),
            env: vec![],
        },
        Request::Status {
            target: job("x"),
            env: s(&["N=2"]),
            records: true,
        },
        Request::Status {
            target: inst("x", "a b"),
            env: vec![],
            records: false,
        },
        Request::List { records: false },
        Request::List { records: true },
        Request::Emit {
            name: "runlevel".into(),
            env: s(&["RUNLEVEL=2", "PREVLEVEL=N"]),
            wait: true,
        },
        Request::GetEnv {
            scope: EnvScope::Global,
            name: "PATH".into(),
        },
        Request::ListEnv {
            scope: scope_of("j", "i"),
        },
        Request::SetEnv {
            scope: EnvScope::Global,
            vars: s(&["A=1", "B"]),
            replace: false,
        },
        Request::UnsetEnv {
            scope: scope_of("j", ""),
            names: s(&["A"]),
        },
        Request::ResetEnv {
            scope: EnvScope::Global,
        },
        Request::ReloadConfiguration,
        Request::Version,
        Request::LogPriority { set: None },
        Request::LogPriority {
            set: Some("debug".into()),
        },
        Request::NotifyDiskWriteable,
        Request::Runlevel,
        Request::Telinit {
            runlevel: "2".into(),
            prevlevel: None,
            env: vec![],
        },
        Request::Telinit {
            runlevel: "S".into(),
            prevlevel: Some("2".into()),
            env: s(&["X=y"]),
        },
        Request::Power {
            action: Power::Poweroff,
            force: false,
        },
        Request::Power {
            action: Power::Reboot,
            force: true,
        },
        Request::Power {
            action: Power::Halt,
            force: false,
        },
        Request::Log {
            job: "web".into(),
            instance: "".into(),
        },
        Request::Usage {
            job: "getty".into(),
        },
        // Every character class the escaper treats differently.
        Request::Emit {
            name: "\u{0}\u{1f}\"\\/\u{7f}\u{e9}\u{1f600}\r\n\t\u{8}\u{c}".into(),
            env: s(&["K=\u{2028}"]),
            wait: false,
        },
    ]
}

#[test]
fn every_request_round_trips_through_one_line() {
    for (n, request) in every_request().into_iter().enumerate() {
        let line = encode_request(n as u64, &request);
        assert!(line.ends_with('\n'));
        assert_eq!(line.matches('\n').count(), 1, "{line}");
        let back = decode_request(line.as_bytes()).unwrap();
        assert_eq!(back, (n as u64, request), "{line}");
    }
}

#[test]
fn requests_read_as_protocol_md_shows_them() {
    let cases: &[(Request, &str)] = &[
        (
            Request::Start {
                target: job("getty"),
                env: s(&["TTY=tty1"]),
                wait: true,
            },
            r#"{"id":7,"op":"start","job":"getty","env":["TTY=tty1"],"wait":true}"#,
        ),
        (
            Request::Stop {
                target: inst("getty", "tty1"),
                env: vec![],
                wait: false,
            },
            r#"{"id":7,"op":"stop","job":"getty","instance":"tty1","env":[],"wait":false}"#,
        ),
        (
            Request::Status {
                target: job("getty"),
                env: vec![],
                records: true,
            },
            r#"{"id":7,"op":"status","job":"getty","env":[],"records":true}"#,
        ),
        (
            Request::SetEnv {
                scope: scope_of("web", ""),
                vars: s(&["A=1"]),
                replace: true,
            },
            r#"{"id":7,"op":"set-env","job":"web","instance":"","vars":["A=1"],"replace":true}"#,
        ),
        (
            Request::Power {
                action: Power::Reboot,
                force: true,
            },
            r#"{"id":7,"op":"reboot","force":true}"#,
        ),
    ];
    for (request, expected) in cases {
        assert_eq!(encode_request(7, request), format!("{expected}\n"));
    }
}

#[test]
fn optional_request_fields_take_their_defaults() {
    let (id, r) = decode_request(br#"{"op":"start","job":"a","id":3}"#).unwrap();
    assert_eq!(id, 3);
    assert_eq!(
        r,
        Request::Start {
            target: job("a"),
            env: vec![],
            wait: true
        }
    );
    let (_, r) = decode_request(br#"{"id":1,"op":"set-env","vars":["A"]}"#).unwrap();
    assert_eq!(
        r,
        Request::SetEnv {
            scope: EnvScope::Global,
            vars: s(&["A"]),
            replace: true
        }
    );
    // null is absent.
    let (_, r) = decode_request(br#"{"id":1,"op":"status","job":"a","instance":null}"#).unwrap();
    assert_eq!(
        r,
        Request::Status {
            target: job("a"),
            env: vec![],
            records: false
        }
    );
    // A trailing newline (and CR-free whitespace) is allowed.
    assert!(decode_request(b"{\"id\":1,\"op\":\"list\"} \n").is_ok());
}

fn request_error(line: &str) -> (Option<u64>, String) {
    let e = decode_request(line.as_bytes()).unwrap_err();
    (e.id, e.error.to_string())
}

#[test]
fn malformed_requests_say_where_and_what() {
    let cases: &[(&str, Option<u64>, &str)] = &[
        ("", None, "empty line"),
        (" \r", None, "empty line"),
        ("{\"id\":1,", None, "column 8: EOF while parsing a value"),
        ("{\"id\":1 \"op\"}", None, "column 9: expected `,` or `}`"),
        ("[1,2]", None, "expected a JSON object, found an array"),
        ("\"start\"", None, "expected a JSON object, found a string"),
        ("{\"op\":\"list\"}", None, "field `id`: missing"),
        (
            "{\"id\":-1,\"op\":\"list\"}",
            None,
            "field `id`: expected a whole number from 0 to 2^64-1, found -1",
        ),
        (
            "{\"id\":1.5,\"op\":\"list\"}",
            None,
            "field `id`: expected a whole number from 0 to 2^64-1, found 1.5",
        ),
        ("{\"id\":4}", Some(4), "field `op`: missing"),
        (
            "{\"id\":4,\"op\":\"frobnicate\"}",
            Some(4),
            "field `op`: unknown op `frobnicate`",
        ),
        (
            "{\"id\":4,\"op\":\"start\"}",
            Some(4),
            "field `job`: missing",
        ),
        (
            "{\"id\":4,\"op\":\"start\",\"job\":3}",
            Some(4),
            "field `job`: expected a string, found a number",
        ),
        (
            "{\"id\":4,\"op\":\"start\",\"job\":\"a\",\"env\":[\"A=1\",2]}",
            Some(4),
            "field `env[1]`: expected a string, found a number",
        ),
        (
            "{\"id\":4,\"op\":\"start\",\"job\":\"a\",\"env\":\"A=1\"}",
            Some(4),
            "field `env`: expected an array of strings, found a string",
        ),
        (
            "{\"id\":4,\"op\":\"start\",\"job\":\"a\",\"wait\":\"yes\"}",
            Some(4),
            "field `wait`: expected a boolean, found a string",
        ),
        (
            "{\"id\":4,\"op\":\"status\",\"job\":\"a\",\"wait\":true}",
            Some(4),
            "field `wait`: unknown field for op `status`",
        ),
        (
            "{\"id\":4,\"op\":\"get-env\",\"job\":\"a\",\"name\":\"X\"}",
            Some(4),
            "field `instance`: missing (`job` and `instance` go together)",
        ),
        (
            "{\"id\":4,\"op\":\"list-env\",\"instance\":\"a\"}",
            Some(4),
            "field `job`: missing (`job` and `instance` go together)",
        ),
    ];
    for (line, id, message) in cases {
        assert_eq!(
            request_error(line),
            (*id, (*message).to_owned()),
            "line {line:?}"
        );
    }
}

#[test]
fn invalid_utf8_and_control_bytes_are_refused_with_their_column() {
    let e = decode_request(b"{\"id\":1,\"op\":\"st\xffart\"}").unwrap_err();
    assert_eq!(e.error.column, Some(17));
    assert!(e.error.message.contains("unicode"), "{}", e.error);
    let e = decode_request(b"{\"id\":1,\"op\":\"a\x01\"}").unwrap_err();
    assert_eq!(e.error.column, Some(16));
    let e = decode_request(b"\xef\xbb\xbf{}").unwrap_err();
    assert_eq!(e.error.column, Some(1));
}

#[test]
fn deep_nesting_is_refused_without_exhausting_the_stack() {
    let deep = format!(
        "{{\"id\":1,\"op\":\"list\",\"x\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let e = decode_request(deep.as_bytes()).unwrap_err();
    assert!(e.error.message.contains("recursion limit"), "{}", e.error);
}

#[test]
fn a_bad_request_reply_carries_the_id_and_the_problem() {
    let e = decode_request(br#"{"id":9,"op":"start","job":"a","bogus":1}"#).unwrap_err();
    assert_eq!(
        encode_reply(&e.reply()),
        "{\"id\":9,\"error\":\"BadRequest\",\"message\":\"bad request: field `bogus`: unknown field for op `start`\"}\n"
    );
    assert_eq!(
        encode_reply(&too_large_reply()),
        "{\"id\":null,\"error\":\"TooLarge\",\"message\":\"bad request: line longer than 65536 bytes\"}\n"
    );
}

fn record() -> InstanceRecord {
    InstanceRecord {
        job: "getty".into(),
        instance: "tty1".into(),
        goal: Goal::Start,
        state: State::PostStart,
        processes: vec![(ProcessKind::Main, 1234), (ProcessKind::PostStart, 1357)],
        failure: None,
    }
}

/// A class whose last run failed (protocol 1.1's `failure`).
fn failed() -> InstanceRecord {
    let mut r = InstanceRecord::waiting("bad", None);
    r.failure = Some(RecordFailure {
        instance: "tty1".into(),
        process: Some(ProcessKind::Main),
        message: "main process: unable to execute: No such file or directory".into(),
    });
    r
}

fn every_reply() -> Vec<Reply> {
    let ok = |o| Reply {
        id: Some(5),
        result: Ok(o),
    };
    let mut replies = vec![
        ok(Output::Done),
        ok(Output::Status {
            lines: s(&["getty (tty1) start/post-start, process 1234\n\tpost-start process 1357"]),
            records: None,
        }),
        ok(Output::Status {
            lines: s(&["getty (tty1) start/post-start, process 1234\n\tpost-start process 1357"]),
            records: Some(vec![record(), InstanceRecord::waiting("x", None), failed()]),
        }),
        ok(Output::Value("".into())),
        ok(Output::Env(s(&["A=1", "PATH=/bin"]))),
        ok(Output::Runlevel {
            previous: Some("N".into()),
            current: Some("2".into()),
        }),
        ok(Output::Runlevel {
            previous: None,
            current: None,
        }),
        ok(Output::Log {
            text: "hello\n\u{fffd}\n".into(),
            path: Some("/var/log/upstart/web.log".into()),
            truncated: true,
        }),
        ok(Output::Log {
            text: "".into(),
            path: None,
            truncated: false,
        }),
    ];
    for kind in ErrorKind::KNOWN
        .into_iter()
        .chain([ErrorKind::Other("SomethingNew".into())])
    {
        replies.push(Reply {
            id: None,
            result: Err(Failure::new(kind, "Unknown job: x")),
        });
    }
    replies
}

#[test]
fn every_reply_round_trips_through_one_line() {
    for reply in every_reply() {
        let line = encode_reply(&reply);
        assert_eq!(line.matches('\n').count(), 1, "{line}");
        assert_eq!(decode_reply(line.as_bytes()).unwrap(), reply, "{line}");
    }
}

#[test]
fn replies_read_as_protocol_md_shows_them() {
    let reply = Reply {
        id: Some(7),
        result: Ok(Output::Status {
            lines: s(&["getty (tty1) start/post-start, process 1234\n\tpost-start process 1357"]),
            records: Some(vec![record()]),
        }),
    };
    assert_eq!(
        encode_reply(&reply),
        concat!(
            r#"{"id":7,"ok":"status","lines":["getty (tty1) start/post-start, process 1234\n\tpost-start process 1357"],"#,
            r#""records":[{"job":"getty","instance":"tty1","goal":"start","state":"post-start","#,
            r#""processes":[{"kind":"main","pid":1234},{"kind":"post-start","pid":1357}]}]}"#,
            "\n"
        )
    );
    let failure = Reply {
        id: Some(7),
        result: Err(Failure::new(
            ErrorKind::AlreadyStarted,
            "Job is already running: getty (tty1)",
        )),
    };
    assert_eq!(
        encode_reply(&failure),
        "{\"id\":7,\"error\":\"AlreadyStarted\",\"message\":\"Job is already running: getty (tty1)\"}\n"
    );
}

#[test]
fn a_record_of_a_failed_class_carries_the_failure_and_a_1_0_record_none() {
    let reply = Reply {
        id: Some(3),
        result: Ok(Output::Status {
            lines: s(&["bad stop/waiting\n\tlast run (tty1) failed: main process: unable to execute: No such file or directory"]),
            records: Some(vec![failed()]),
        }),
    };
    assert_eq!(
        failed().to_json(),
        concat!(
            r#"{"job":"bad","instance":"","goal":"stop","state":"waiting","processes":[],"#,
            r#""failure":{"instance":"tty1","process":"main","message":"main process: unable to execute: No such file or directory"}}"#
        )
    );
    assert_eq!(
        decode_reply(encode_reply(&reply).as_bytes()).unwrap(),
        reply
    );
    let respawn = br#"{"id":1,"ok":"status","lines":[],"records":[{"job":"r","instance":"","goal":"stop","state":"waiting","processes":[],"failure":{"instance":"","process":null,"message":"respawning too fast"}}]}"#;
    let Ok(Output::Status {
        records: Some(r), ..
    }) = decode_reply(respawn).unwrap().result
    else {
        panic!("a status reply");
    };
    assert_eq!(r[0].failure.as_ref().unwrap().process, None);
    let old = br#"{"id":1,"ok":"status","lines":[],"records":[{"job":"r","instance":"","goal":"stop","state":"waiting","processes":[]}]}"#;
    let Ok(Output::Status {
        records: Some(r), ..
    }) = decode_reply(old).unwrap().result
    else {
        panic!("a status reply");
    };
    assert_eq!(r[0].failure, None);
}

#[test]
fn replies_ignore_fields_a_later_minor_version_adds() {
    let r = decode_reply(br#"{"id":1,"ok":"done","took_ms":3}"#).unwrap();
    assert_eq!(r.result, Ok(Output::Done));
    let r = decode_reply(br#"{"id":1,"error":"Busy","message":"m","retry":true}"#).unwrap();
    assert_eq!(
        r.result,
        Err(Failure::new(ErrorKind::Other("Busy".into()), "m"))
    );
}

#[test]
fn malformed_replies_say_what() {
    let cases: &[(&str, &str)] = &[
        (r#"{"id":1}"#, "field `ok`: missing"),
        (
            r#"{"id":1,"ok":"maybe"}"#,
            "field `ok`: unknown reply kind `maybe`",
        ),
        (
            r#"{"id":1,"error":"UnknownJob"}"#,
            "field `message`: missing",
        ),
        (
            r#"{"id":1,"ok":"status","lines":[],"records":[{"job":"a","instance":"","goal":"go","state":"running"}]}"#,
            "field `records[0].goal`: unknown goal",
        ),
        (
            r#"{"id":1,"ok":"status","lines":[],"records":[{"job":"a","instance":"","goal":"stop","state":"waiting","processes":[{"kind":"main","pid":4294967296}]}]}"#,
            "field `records[0].processes[0].pid`: expected a pid",
        ),
        (
            r#"{"id":1,"ok":"status","lines":[],"records":[{"job":"a","instance":"","goal":"stop","state":"waiting","processes":[{"kind":"other","pid":1}]}]}"#,
            "field `records[0].processes[0].kind`: unknown process kind",
        ),
        (
            r#"{"id":1,"ok":"status","lines":[],"records":[{"job":"a","instance":"","goal":"stop","state":"waiting","failure":{"instance":"","process":"main"}}]}"#,
            "field `records[0].failure.message`: missing",
        ),
        (
            r#"{"id":1,"ok":"status","lines":[],"records":[{"job":"a","instance":"","goal":"stop","state":"waiting","failure":"oops"}]}"#,
            "field `records[0].failure`: expected an object",
        ),
    ];
    for (line, message) in cases {
        assert_eq!(
            decode_reply(line.as_bytes()).unwrap_err().to_string(),
            *message,
            "{line}"
        );
    }
}

#[test]
fn the_greeting_round_trips_and_tolerates_additions() {
    let hello = Hello {
        major: MAJOR,
        minor: MINOR,
        server: "upinit 0.1.0".into(),
        mode: "system".into(),
    };
    let line = encode_hello(&hello);
    assert_eq!(
        line,
        "{\"hello\":\"upinit\",\"protocol\":[1,1],\"server\":\"upinit 0.1.0\",\"mode\":\"system\"}\n"
    );
    assert_eq!(decode_hello(line.as_bytes()).unwrap(), hello);
    assert!(hello.compatible());
    let later = decode_hello(
        br#"{"hello":"upinit","protocol":[2,3],"server":"upinit 9","mode":"user","pid":1}"#,
    )
    .unwrap();
    assert_eq!((later.major, later.minor), (2, 3));
    assert!(!later.compatible());
    assert_eq!(
        decode_hello(br#"{"hello":"upinit","protocol":[1],"server":"x"}"#)
            .unwrap_err()
            .to_string(),
        "field `protocol`: expected [major, minor] (whole numbers)"
    );
    assert_eq!(
        decode_hello(br#"{"hello":"systemd","protocol":[1,0],"server":"x"}"#)
            .unwrap_err()
            .to_string(),
        "field `hello`: expected \"upinit\""
    );
}

#[test]
fn machine_replies_and_errors_keep_upstarts_text() {
    let out = from_machine(Ok(upc_machine::Output::Status(s(&["x stop/waiting"]))));
    assert_eq!(
        out,
        Ok(Output::Status {
            lines: s(&["x stop/waiting"]),
            records: None
        })
    );
    let err = from_machine(Err(upc_machine::ControlError::new(
        upc_machine::ControlErrorKind::AlreadyStopped,
        "Job has already been stopped: x",
    )));
    assert_eq!(
        err,
        Err(Failure::new(
            ErrorKind::AlreadyStopped,
            "Job has already been stopped: x"
        ))
    );
}

#[test]
fn machine_requests_are_the_machines_own() {
    for request in every_request() {
        let m = request.machine_request();
        match &request {
            Request::Status {
                target: Target::Instance { .. },
                ..
            }
            | Request::ReloadConfiguration
            | Request::Version
            | Request::LogPriority { .. }
            | Request::NotifyDiskWriteable
            | Request::Runlevel
            | Request::Telinit { .. }
            | Request::Power { .. }
            | Request::Log { .. }
            | Request::Usage { .. } => assert_eq!(m, None, "{request:?}"),
            _ => assert!(m.is_some(), "{request:?}"),
        }
    }
    assert_eq!(
        Request::Status {
            target: job("a"),
            env: s(&["X=1"]),
            records: true
        }
        .machine_request(),
        Some(upc_machine::Request::Status {
            job: "a".into(),
            env: s(&["X=1"])
        })
    );
}

#[test]
fn queries_need_no_privilege_and_changes_do() {
    let readers: Vec<&str> = every_request()
        .iter()
        .filter(|r| !r.modifies())
        .map(|r| r.op())
        .collect();
    assert_eq!(
        readers,
        [
            "status",
            "status",
            "list",
            "list",
            "get-env",
            "list-env",
            "version",
            "log-priority",
            "runlevel",
            "usage"
        ]
    );
}

#[test]
fn lines_are_split_at_newlines_and_bounded() {
    let mut b = LineBuffer::new(8);
    b.extend(b"ab");
    assert_eq!(b.next_line(), None);
    b.extend(b"c\nde\n\nf");
    assert_eq!(b.next_line(), Some(Ok(b"abc".to_vec())));
    assert_eq!(b.next_line(), Some(Ok(b"de".to_vec())));
    assert_eq!(b.next_line(), Some(Ok(b"".to_vec())));
    assert_eq!(b.next_line(), None);
    assert_eq!(b.pending(), 1);
    b.extend(b"1234567\n");
    assert_eq!(b.next_line(), Some(Ok(b"f1234567".to_vec())));
    // Exactly the limit is fine; one byte more is not, with or without
    // the newline yet.
    b.extend(b"123456789");
    assert_eq!(b.next_line(), Some(Err(TooLong)));
    let mut b = LineBuffer::new(8);
    b.extend(b"123456789\n");
    assert_eq!(b.next_line(), Some(Err(TooLong)));
}

#[test]
fn a_line_arriving_a_byte_at_a_time_is_scanned_once() {
    let mut b = LineBuffer::new(MAX_REQUEST_LINE);
    let line = encode_request(1, &Request::List { records: false });
    let mut got = Vec::new();
    for byte in line.as_bytes() {
        b.extend(std::slice::from_ref(byte));
        if let Some(l) = b.next_line() {
            got.push(l.unwrap());
        }
    }
    assert_eq!(got.len(), 1);
    assert_eq!(
        decode_request(&got[0]).unwrap(),
        (1, Request::List { records: false })
    );
    assert_eq!(b.pending(), 0);
}
