//! The control socket under attack and in ordinary use (PROTOCOL.md):
//! permissions by SO_PEERCRED, malformed, oversized and half-sent lines,
//! a client that never reads, too many clients, pipelined requests and
//! `--json` records. Init must answer everyone else throughout.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod harness;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use harness::{Init, Scenario};
use serde_json::Value;

fn booted() -> (Scenario, Init) {
    let s = Scenario::new();
    s.job("svc", "start on startup\nconsole none\nexec sleep 1000\n");
    s.job("other", "console none\nexec sleep 1000\n");
    let init = s.boot(&[]);
    init.wait_state("svc", "running");
    (s, init)
}

/// A raw connection past the greeting.
struct Raw {
    reader: BufReader<UnixStream>,
    stream: UnixStream,
}

impl Raw {
    fn open(init: &Init) -> Raw {
        let stream = UnixStream::connect(&init.socket).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut raw = Raw {
            reader: BufReader::new(stream.try_clone().unwrap()),
            stream,
        };
        let hello = raw.line();
        assert_eq!(hello["hello"], "upinit", "{hello}");
        assert_eq!(hello["protocol"][0], 1);
        assert_eq!(hello["mode"], "system");
        raw
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    fn line(&mut self) -> Value {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"))
    }

    /// Whether the server closed the connection.
    fn closed(&mut self) -> bool {
        let mut buf = [0u8; 4096];
        loop {
            match self.reader.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => panic!("reading from init: {e}"),
            }
        }
    }
}

/// Init still serves an ordinary client.
fn still_serves(init: &Init) {
    let r = init.ctl(&["status", "svc"]);
    assert!(r.stdout.starts_with("svc start/running, process "), "{r:?}");
}

#[test]
fn a_non_root_client_may_read_but_not_change_state() {
    let (_s, init) = booted();
    let r = init.ctl_as_nobody(&["start", "other"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.stderr, "upctl: You do not have permission to start\n");
    let r = init.ctl_as_nobody(&["emit", "boom"]);
    assert_eq!(
        r.stderr,
        "upctl: You do not have permission to emit an event\n"
    );
    let r = init.ctl_as_nobody(&["status", "svc"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.starts_with("svc start/running, process "));
    let r = init.ctl_as_nobody(&["list"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        init.ctl(&["status", "other"]).stdout,
        "other stop/waiting\n"
    );
    still_serves(&init);
}

#[test]
fn malformed_lines_get_bad_request_and_the_connection_stays() {
    let (_s, init) = booted();
    let mut raw = Raw::open(&init);
    raw.send(b"this is not json\n");
    let r = raw.line();
    assert_eq!(r["error"], "BadRequest", "{r}");
    assert_eq!(r["id"], Value::Null);
    raw.send(b"{\"id\":5,\"op\":\"no-such-op\"}\n");
    let r = raw.line();
    assert_eq!(
        (r["id"].as_u64(), r["error"].as_str()),
        (Some(5), Some("BadRequest"))
    );
    raw.send(b"\xff\xfe\n\n");
    assert_eq!(raw.line()["error"], "BadRequest");
    assert_eq!(raw.line()["error"], "BadRequest");
    raw.send(b"{\"id\":6,\"op\":\"status\",\"job\":\"svc\"}\n");
    let r = raw.line();
    assert_eq!(r["id"], 6);
    assert_eq!(r["ok"], "status");
    still_serves(&init);
}

#[test]
fn an_oversized_line_gets_too_large_and_is_closed() {
    let (_s, init) = booted();
    let mut raw = Raw::open(&init);
    let mut big = vec![b'x'; 70 * 1024];
    big.push(b'\n');
    // The server may close before it has read everything.
    let _ = raw.stream.write_all(&big);
    let r = raw.line();
    assert_eq!(r["error"], "TooLarge", "{r}");
    assert!(raw.closed());
    still_serves(&init);
}

#[test]
fn a_half_sent_line_does_not_block_others_and_is_closed_after_a_while() {
    let (_s, init) = booted();
    let mut raw = Raw::open(&init);
    raw.send(b"{\"id\":1,\"op\":\"sta");
    let started = Instant::now();
    still_serves(&init);
    assert!(raw.closed(), "a stalled client is closed");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(9), "{waited:?}");
    still_serves(&init);
}

#[test]
fn a_client_that_never_reads_is_closed_and_init_keeps_serving() {
    let (_s, init) = booted();
    let stream = UnixStream::connect(&init.socket).unwrap();
    let writer = stream.try_clone().unwrap();
    // Pipelined requests, never reading a reply: past the pending limit
    // they are answered at once, and the answers pile up unread.
    let flood = std::thread::spawn(move || {
        let mut w = writer;
        let line = b"{\"id\":1,\"op\":\"list\"}\n".repeat(1000);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if w.write_all(&line).is_err() {
                return true;
            }
        }
        false
    });
    std::thread::sleep(Duration::from_millis(300));
    still_serves(&init);
    assert!(flood.join().unwrap(), "the flooding client was closed");
    still_serves(&init);
    drop(stream);
}

#[test]
fn too_many_connections_are_refused_and_the_others_served() {
    let (_s, init) = booted();
    let held: Vec<UnixStream> = (0..128)
        .map(|_| UnixStream::connect(&init.socket).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut extra = BufReader::new(UnixStream::connect(&init.socket).unwrap());
    let mut line = String::new();
    extra.read_line(&mut line).unwrap();
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["error"], "Unavailable", "{line}");
    drop(held);
    std::thread::sleep(Duration::from_millis(200));
    still_serves(&init);
}

#[test]
fn pipelined_requests_are_answered_by_id_and_a_waiting_start_does_not_block_a_status() {
    let s = Scenario::new();
    s.job(
        "slow",
        "console none\npre-start exec sleep 0.5\nexec sleep 1000\n",
    );
    let init = s.boot(&[]);
    init.wait_ready();
    let mut raw = Raw::open(&init);
    raw.send(
        b"{\"id\":1,\"op\":\"start\",\"job\":\"slow\"}\n{\"id\":2,\"op\":\"status\",\"job\":\"slow\",\"records\":true}\n",
    );
    let first = raw.line();
    assert_eq!(first["id"], 2, "the status is answered first: {first}");
    let record = &first["records"][0];
    assert_eq!(record["job"], "slow");
    assert_eq!(record["goal"], "start");
    assert_eq!(record["state"], "pre-start");
    assert_eq!(record["processes"][0]["kind"], "pre-start");
    let second = raw.line();
    assert_eq!(second["id"], 1);
    assert!(second["lines"][0]
        .as_str()
        .unwrap()
        .starts_with("slow start/running, process "));
}

#[test]
fn list_records_follow_the_lines() {
    let (_s, init) = booted();
    let mut raw = Raw::open(&init);
    raw.send(b"{\"id\":3,\"op\":\"list\",\"records\":true}\n");
    let r = raw.line();
    let lines: Vec<&str> = r["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(lines[0], "other stop/waiting");
    assert!(lines[1].starts_with("svc start/running, process "));
    let records = r["records"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(
        (records[0]["job"].as_str(), records[0]["state"].as_str()),
        (Some("other"), Some("waiting"))
    );
    assert_eq!(
        (records[1]["job"].as_str(), records[1]["state"].as_str()),
        (Some("svc"), Some("running"))
    );
}

#[test]
fn inits_own_requests_answer() {
    let (_s, init) = booted();
    let r = init.ctl(&["version"]);
    assert!(r.stdout.starts_with("init (upinit "), "{r:?}");
    assert_eq!(init.ctl(&["log-priority"]).stdout, "message\n");
    assert_eq!(init.ctl(&["log-priority", "info"]).code, 0);
    assert_eq!(init.ctl(&["log-priority"]).stdout, "info\n");
    let r = init.ctl(&["log-priority", "loud"]);
    assert_eq!(
        r.stderr, "upctl: The log priority given was not recognised\n",
        "{r:?}"
    );
    assert_eq!(init.ctl(&["runlevel"]).stdout, "unknown\n");
    assert_eq!(init.ctl(&["telinit", "2"]).code, 0);
    assert_eq!(init.ctl(&["runlevel"]).stdout, "N 2\n");
    let event = init.wait_record(&[("kind", "event"), ("event", "runlevel")]);
    assert_eq!(event["env"]["RUNLEVEL"], "2");
    assert_eq!(event["env"]["PREVLEVEL"], "N");
}
