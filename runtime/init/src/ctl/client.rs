//! The connection to upinit: connect, read the greeting, check the major
//! version, send one request, read lines until its reply.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use crate::proto::{
    decode_hello, decode_reply, encode_request, Failure, Hello, LineBuffer, Output, Request, MAJOR,
    MAX_REPLY_LINE,
};

/// Why no reply came: the text upctl prints after its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError(pub String);

/// Sends requests to an init and returns its replies.
pub trait Transport {
    fn call(
        &mut self,
        socket: &Path,
        request: &Request,
    ) -> Result<Result<Output, Failure>, ClientError>;
}

/// The real transport: one Unix stream connection per call.
pub struct UnixTransport;

impl Transport for UnixTransport {
    fn call(
        &mut self,
        socket: &Path,
        request: &Request,
    ) -> Result<Result<Output, Failure>, ClientError> {
        Connection::open(socket)?.call(request)
    }
}

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
    pub fn open(path: &Path) -> Result<Connection, ClientError> {
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
                "upinit at {} speaks control protocol {}.{}; this upctl speaks {MAJOR}.x",
                path.display(),
                c.hello.major,
                c.hello.minor
            )));
        }
        Ok(c)
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
