//! How fast `upc lsp` answers, measured over its real stdin/stdout.
//!
//! A workspace folder holds a 500-line job file (generated: every stanza,
//! 200 `env` lines, a 250-line script) beside the standard system job set
//! (stdlib-jobs/system), so the folder's graph check runs in the
//! background as it would in an editor. The bench opens the big file, then
//! times, over many rounds:
//!
//! - change -> diagnostics: an incremental edit (a digit of `nice` flipped
//!   between valid and out of range) until the `publishDiagnostics` of
//!   that version arrives;
//! - completion: a request in `start on` (all known events) until its
//!   reply;
//! - hover: on an event name.
//!
//! It prints median, 95th percentile and maximum. Run from the repository
//! root after a release build:
//!
//!   cargo build --release -p upc && cargo run --release -p upc --example lsp_bench
//!
//! `lsp_bench PATH-TO-UPC [ROUNDS]` picks another binary or round count.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let upc = args
        .first()
        .map_or_else(|| root.join("target/release/upc"), PathBuf::from);
    let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(300);

    let dir = tempfile::tempdir()?;
    for entry in std::fs::read_dir(root.join("stdlib-jobs/system"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "conf") {
            if let Some(name) = path.file_name() {
                std::fs::copy(&path, dir.path().join(name))?;
            }
        }
    }
    let text = big_job();
    let lines = text.lines().count();
    let job = dir.path().join("big.conf");
    std::fs::write(&job, &text)?;
    let uri = format!("file://{}", job.display());

    let mut server = Server::start(&upc)?;
    server.request(
        "initialize",
        json!({"rootUri": format!("file://{}", dir.path().display()), "capabilities": {}}),
    )?;
    server.notify("initialized", json!({}))?;
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "upstart", "version": 1, "text": text}}),
    )?;
    server.wait_diagnostics(&uri, 1)?;
    let nice_line = text
        .lines()
        .position(|l| l.starts_with("nice "))
        .unwrap_or(0);
    let start_line = text
        .lines()
        .position(|l| l.starts_with("start on "))
        .unwrap_or(0);

    let mut change = Vec::with_capacity(rounds);
    let mut completion = Vec::with_capacity(rounds);
    let mut hover = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let version = i32::try_from(round + 2)?;
        if round % 50 == 25 {
            // Let the debounced folder check start, so the next rounds run
            // while it works on its own thread.
            std::thread::sleep(Duration::from_millis(300));
        }
        // `nice 5` <-> `nice 50` (out of range): the diagnostics change
        // every round, so every round publishes.
        let (range, new) = if round % 2 == 0 {
            ((nice_line, 6, nice_line, 6), "0")
        } else {
            ((nice_line, 6, nice_line, 7), "")
        };
        let started = Instant::now();
        server.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{
                "range": {"start": {"line": range.0, "character": range.1},
                          "end": {"line": range.2, "character": range.3}},
                "text": new}]}),
        )?;
        server.wait_diagnostics(&uri, version)?;
        change.push(started.elapsed());

        let started = Instant::now();
        let items = server.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri}, "position": {"line": start_line, "character": 9}}),
        )?;
        completion.push(started.elapsed());
        if round == 0 {
            let n = items.as_array().map_or(0, Vec::len);
            println!("completion offers {n} events at `start on `");
        }

        let started = Instant::now();
        server.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": start_line, "character": 12}}),
        )?;
        hover.push(started.elapsed());
    }
    server.request("shutdown", Value::Null)?;
    server.notify("exit", Value::Null)?;

    println!(
        "upc lsp: {} ({lines}-line job file, {} bytes; {rounds} rounds; workspace of {} jobs)",
        upc.display(),
        text.len(),
        std::fs::read_dir(dir.path())?.count()
    );
    report("change -> diagnostics", &mut change);
    report("completion", &mut completion);
    report("hover", &mut hover);
    Ok(())
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{what:<24} median {:7.3} ms   p95 {:7.3} ms   max {:7.3} ms",
        at(0.5),
        at(0.95),
        at(1.0)
    );
}

/// A 500-line job using every kind of stanza.
fn big_job() -> String {
    let mut text = String::from(
        "# A large job for the language server benchmark\n\
         description \"a big job\"\n\
         author \"bench\"\n\
         start on (local-filesystems and net-device-up IFACE!=lo\n\
         \x20         and started rsyslog) or runlevel [2345]\n\
         stop on runlevel [!2345]\n\
         emits big-ready big-gone\n\
         expect fork\n\
         respawn\n\
         respawn limit 10 5\n\
         normal exit 0 TERM\n\
         kill timeout 30\n\
         console log\n\
         nice 5\n\
         limit nofile 1024 4096\n\
         umask 022\n",
    );
    for i in 0..200 {
        text.push_str(&format!("env VAR_{i}=\"value {i}\"\n"));
    }
    text.push_str("export VAR_1 VAR_2\npre-start script\n");
    for i in 0..250 {
        text.push_str(&format!("    echo \"step {i}\" >> /var/log/big.log\n"));
    }
    text.push_str("end script\n");
    while text.lines().count() < 499 {
        text.push_str("# padding\n");
    }
    text.push_str("exec /usr/sbin/big-daemon --fork\n");
    text
}

struct Server {
    stdin: std::process::ChildStdin,
    incoming: mpsc::Receiver<Value>,
    child: std::process::Child,
    next_id: i64,
}

impl Server {
    fn start(upc: &Path) -> std::io::Result<Server> {
        let mut child = Command::new(upc)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| std::io::Error::other("no stdin"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("no stdout"))?;
        let (tx, incoming) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(v) = read_frame(&mut reader) {
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Ok(Server {
            stdin,
            incoming,
            child,
            next_id: 1,
        })
    }

    fn send(&mut self, value: &Value) -> std::io::Result<()> {
        let body = serde_json::to_vec(value)?;
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len())?;
        self.stdin.write_all(&body)?;
        self.stdin.flush()
    }

    fn notify(&mut self, method: &str, params: Value) -> std::io::Result<()> {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
    }

    fn request(&mut self, method: &str, params: Value) -> std::io::Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        let reply = self.wait(|m| m["id"] == id && m.get("method").is_none())?;
        Ok(reply["result"].clone())
    }

    fn wait_diagnostics(&mut self, uri: &str, version: i32) -> std::io::Result<Value> {
        self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        })
    }

    fn wait(&mut self, pred: impl Fn(&Value) -> bool) -> std::io::Result<Value> {
        loop {
            match self.incoming.recv_timeout(Duration::from_secs(30)) {
                Ok(m) if pred(&m) => return Ok(m),
                Ok(_) => {}
                Err(e) => return Err(std::io::Error::other(format!("no reply: {e}"))),
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.wait();
    }
}

fn read_frame(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            length = v.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}
