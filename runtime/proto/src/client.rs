//! A connection to upinit: connect, read the greeting, check the major
//! version, send one request, read lines until its reply. upctl makes one
//! per command; `upc run` keeps one open while it watches a boot.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::{
    decode_hello, decode_reply, encode_request, Failure, Hello, LineBuffer, Output, Request, MAJOR,
    MAX_REPLY_LINE,
};

/// Why no reply came: the text a client prints after its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError(pub String);

/// An io::Error as C's strerror words it, without Rust's "(os error N)".
fn reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rsplit_once(" (os error ") {
        Some((words, _)) => words.to_owned(),
        None => text,
    }
}

/// One connection to an init, past its greeting.
pub struct Connection {
    stream: UnixStream,
    path: PathBuf,
    lines: LineBuffer,
    next_id: u64,
    pub hello: Hello,
}

impl Connection {
    /// Connects to the init at `path` and reads its greeting; `client`
    /// names this program in the version mismatch message (`this upctl
    /// speaks 1.x`).
    pub fn open(path: &Path, client: &str) -> Result<Connection, ClientError> {
        let stream = UnixStream::connect(path).map_err(|e| {
            ClientError(format!(
                "Unable to connect to upinit at {}: {}",
                path.display(),
                reason(&e)
            ))
        })?;
        let mut c = Connection {
            stream,
            path: path.to_owned(),
            lines: LineBuffer::new(MAX_REPLY_LINE),
            next_id: 1,
            hello: Hello {
                major: 0,
                minor: 0,
                server: String::new(),
                mode: String::new(),
            },
        };
        let line = c.read_line()?;
        c.hello = decode_hello(&line).map_err(|e| {
            ClientError(format!(
                "upinit at {} sent a bad greeting: {e}",
                path.display()
            ))
        })?;
        if !c.hello.compatible() {
            return Err(ClientError(format!(
                "upinit at {} speaks control protocol {}.{}; this {client} speaks {MAJOR}.x",
                path.display(),
                c.hello.major,
                c.hello.minor
            )));
        }
        Ok(c)
    }

    /// How long a read may wait for the server (`None`, the default:
    /// forever, as initctl waits for a `start` to finish). A read that
    /// times out is an error, which leaves the connection unusable.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<(), ClientError> {
        self.stream.set_read_timeout(timeout).map_err(|e| {
            ClientError(format!(
                "Unable to set a timeout on the connection to upinit at {}: {}",
                self.path.display(),
                reason(&e)
            ))
        })
    }

    fn read_line(&mut self) -> Result<Vec<u8>, ClientError> {
        let mut buf = [0u8; 64 * 1024];
        loop {
            match self.lines.next_line() {
                Some(Ok(line)) => return Ok(line),
                Some(Err(_)) => {
                    return Err(ClientError(format!(
                        "upinit at {} sent a line longer than {MAX_REPLY_LINE} bytes",
                        self.path.display()
                    )))
                }
                None => {}
            }
            let n = match self.stream.read(&mut buf) {
                Ok(0) => {
                    return Err(ClientError(format!(
                        "upinit at {} closed the connection before replying",
                        self.path.display()
                    )))
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(ClientError(format!(
                        "upinit at {} did not reply in time",
                        self.path.display()
                    )))
                }
                Err(e) => {
                    return Err(ClientError(format!(
                        "Unable to read from upinit at {}: {}",
                        self.path.display(),
                        reason(&e)
                    )))
                }
            };
            self.lines.extend(buf.get(..n).unwrap_or_default());
        }
    }

    /// Sends `request` and waits for its reply (however long a waiting
    /// `start` takes, as initctl does).
    pub fn call(&mut self, request: &Request) -> Result<Result<Output, Failure>, ClientError> {
        let id = self.next_id;
        self.next_id += 1;
        self.stream
            .write_all(encode_request(id, request).as_bytes())
            .map_err(|e| {
                ClientError(format!(
                    "Unable to send the request to upinit at {}: {}",
                    self.path.display(),
                    reason(&e)
                ))
            })?;
        loop {
            let line = self.read_line()?;
            let reply = decode_reply(&line).map_err(|e| {
                ClientError(format!(
                    "upinit at {} sent a bad reply: {e}",
                    self.path.display()
                ))
            })?;
            // `null`: the server could not read our request's id; on this
            // connection that is our request.
            if reply.id.is_none_or(|r| r == id) {
                return Ok(reply.result);
            }
        }
    }
}
