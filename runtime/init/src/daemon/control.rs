//! The control socket, server side (runtime/init/PROTOCOL.md): accept,
//! greet, cut requests into lines, decode them with [`crate::proto`], and
//! write the replies back, without ever letting a client block init.
//!
//! Every socket is non-blocking and every buffer bounded:
//! - at most [`MAX_CLIENTS`] connections; one more is told `Unavailable`
//!   and closed;
//! - a request line of at most `proto::MAX_REQUEST_LINE` bytes (a longer
//!   one gets `TooLarge` and the connection is closed);
//! - at most [`MAX_PENDING`] requests per connection waiting for the
//!   machine; more are answered `Unavailable` at once;
//! - at most [`MAX_UNSENT`] bytes of replies the client has not read; past
//!   that, or when it has read nothing for [`STALL_MS`], it is closed;
//! - a half-sent line older than [`STALL_MS`] closes the connection;
//! - one wakeup reads at most [`READ_BUDGET`] bytes from one client.
//!
//! Who the peer is comes from SO_PEERCRED, never from a message.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use nix::sys::epoll::{Epoll, EpollEvent, EpollFlags};
use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
use upc_machine::Millis;

use super::sys::Token;
use crate::proto::{
    self, decode_request, encode_hello, encode_reply, ErrorKind, Failure, Hello, LineBuffer, Reply,
    Request, MAX_REQUEST_LINE,
};

pub const MAX_CLIENTS: usize = 128;
pub const MAX_PENDING: usize = 32;
pub const MAX_UNSENT: usize = 4 * 1024 * 1024;
pub const STALL_MS: Millis = 10_000;
pub const READ_BUDGET: usize = 64 * 1024;

/// A decoded request and who sent it.
#[derive(Debug)]
pub struct Incoming {
    pub client: u64,
    pub id: u64,
    pub request: Request,
    /// The peer may change init's state (root, or the session's user).
    pub privileged: bool,
}

struct Client {
    id: u64,
    stream: UnixStream,
    uid: Option<u32>,
    input: LineBuffer,
    out: Vec<u8>,
    sent: usize,
    pending: usize,
    /// Since when a line has been half-sent.
    partial_since: Option<Millis>,
    /// Since when replies have waited for the client to read.
    stalled_since: Option<Millis>,
    /// The client closed its side: no more requests, replies still go.
    eof: bool,
    /// Close once the output is sent (after `TooLarge`).
    closing: bool,
    writing: bool,
}

impl Client {
    fn unsent(&self) -> usize {
        self.out.len().saturating_sub(self.sent)
    }
}

/// The listening socket and its clients.
pub struct Server {
    listener: UnixListener,
    path: PathBuf,
    epoll: Rc<Epoll>,
    clients: BTreeMap<u64, Client>,
    next: u64,
    /// `--user`: the session's uid, which may change state as root may.
    session_uid: Option<u32>,
    hello: String,
}

/// Whether something answers on `path` (another init is running there).
fn in_use(path: &Path) -> bool {
    UnixStream::connect(path).is_ok()
}

impl Server {
    /// Binds the socket (replacing a stale one nobody answers on) and lets
    /// everyone connect: permissions are checked per request.
    pub fn bind(
        path: &Path,
        epoll: Rc<Epoll>,
        session_uid: Option<u32>,
        mode: &str,
    ) -> io::Result<Server> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        if path.exists() {
            if in_use(path) {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("another init answers on {}", path.display()),
                ));
            }
            std::fs::remove_file(path)?;
        }
        let listener = UnixListener::bind(path)?;
        listener.set_nonblocking(true)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))?;
        epoll
            .add(
                listener.as_fd(),
                EpollEvent::new(EpollFlags::EPOLLIN, Token::Listener.encode()),
            )
            .map_err(io::Error::from)?;
        let hello = encode_hello(&Hello {
            major: proto::MAJOR,
            minor: proto::MINOR,
            server: format!("upinit {}", env!("CARGO_PKG_VERSION")),
            mode: mode.to_owned(),
        });
        Ok(Server {
            listener,
            path: path.to_owned(),
            epoll,
            clients: BTreeMap::new(),
            next: 1,
            session_uid,
            hello,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes every waiting connection.
    pub fn accept(&mut self, now: Millis) {
        loop {
            let stream = match self.listener.accept() {
                Ok((s, _)) => s,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // EAGAIN, or out of descriptors: what waits stays in the
                // backlog (and is taken at the next wakeup).
                Err(_) => return,
            };
            if stream.set_nonblocking(true).is_err() {
                continue;
            }
            if self.clients.len() >= MAX_CLIENTS {
                let busy = Reply {
                    id: None,
                    result: Err(Failure::new(
                        ErrorKind::Unavailable,
                        "too many connections to upinit; try again",
                    )),
                };
                let _ = (&stream).write(encode_reply(&busy).as_bytes());
                continue;
            }
            let cred = getsockopt(&stream, PeerCredentials).ok();
            let id = self.next;
            self.next += 1;
            let event = EpollEvent::new(EpollFlags::EPOLLIN, Token::Client(id).encode());
            if self.epoll.add(stream.as_fd(), event).is_err() {
                continue;
            }
            let mut client = Client {
                id,
                stream,
                uid: cred.map(|c| c.uid()),
                input: LineBuffer::new(MAX_REQUEST_LINE),
                out: self.hello.clone().into_bytes(),
                sent: 0,
                pending: 0,
                partial_since: None,
                stalled_since: None,
                eof: false,
                closing: false,
                writing: false,
            };
            if self.flush(&mut client, now) {
                self.clients.insert(id, client);
            }
        }
    }

    fn privileged(&self, uid: Option<u32>) -> bool {
        match uid {
            Some(0) => true,
            Some(uid) => self.session_uid == Some(uid),
            None => false,
        }
    }

    /// A client has bytes (or hung up): read them and return the requests
    /// of every complete line. Bad lines are answered here.
    pub fn readable(&mut self, id: u64, now: Millis, out: &mut Vec<Incoming>) {
        let Some(mut client) = self.clients.remove(&id) else {
            return;
        };
        let mut buf = [0u8; 16 * 1024];
        let mut budget = READ_BUDGET;
        while budget > 0 && !client.eof && !client.closing {
            match client.stream.read(&mut buf) {
                Ok(0) => {
                    client.eof = true;
                    self.watch(&client);
                }
                Ok(n) => {
                    budget = budget.saturating_sub(n);
                    client.input.extend(buf.get(..n).unwrap_or_default());
                    self.lines(id, &mut client, out);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    // Reset by the peer: nothing more will be delivered.
                    return;
                }
            }
        }
        if client.closing {
            self.watch(&client);
        }
        client.partial_since = if client.input.pending() > 0 {
            client.partial_since.or(Some(now))
        } else {
            None
        };
        if self.flush(&mut client, now) && !self.finished(&client) {
            self.clients.insert(id, client);
        }
    }

    /// Whether the connection has nothing left to do.
    fn finished(&self, c: &Client) -> bool {
        c.unsent() == 0 && (c.closing || (c.eof && c.pending == 0))
    }

    fn lines(&mut self, id: u64, client: &mut Client, out: &mut Vec<Incoming>) {
        while let Some(line) = client.input.next_line() {
            match line {
                Err(proto::TooLong) => {
                    queue(client, &proto::too_large_reply());
                    client.closing = true;
                    return;
                }
                Ok(bytes) => match decode_request(&bytes) {
                    Ok((rid, request)) => {
                        if client.pending >= MAX_PENDING {
                            queue(
                                client,
                                &Reply {
                                    id: Some(rid),
                                    result: Err(Failure::new(
                                        ErrorKind::Unavailable,
                                        format!(
                                            "more than {MAX_PENDING} requests of this connection are waiting; try again"
                                        ),
                                    )),
                                },
                            );
                            continue;
                        }
                        client.pending += 1;
                        out.push(Incoming {
                            client: id,
                            id: rid,
                            request,
                            privileged: self.privileged(client.uid),
                        });
                    }
                    Err(e) => queue(client, &e.reply()),
                },
            }
            if client.unsent() > MAX_UNSENT {
                // It sends and does not read: flush closes it.
                return;
            }
        }
    }

    /// Sends the reply to one of a client's requests (dropped if the
    /// client has gone).
    pub fn reply(&mut self, id: u64, reply: &Reply, now: Millis) {
        let Some(mut client) = self.clients.remove(&id) else {
            return;
        };
        client.pending = client.pending.saturating_sub(1);
        queue(&mut client, reply);
        if self.flush(&mut client, now) && !self.finished(&client) {
            self.clients.insert(id, client);
        }
    }

    /// The client can take more output.
    pub fn writable(&mut self, id: u64, now: Millis) {
        let Some(mut client) = self.clients.remove(&id) else {
            return;
        };
        if self.flush(&mut client, now) && !self.finished(&client) {
            self.clients.insert(id, client);
        }
    }

    /// Writes what the client will take; false when it must be closed (it
    /// went away, or left too much unread).
    fn flush(&self, c: &mut Client, now: Millis) -> bool {
        while c.unsent() > 0 {
            let data = c.out.get(c.sent..).unwrap_or_default();
            match c.stream.write(data) {
                Ok(0) => return false,
                Ok(n) => {
                    c.sent += n;
                    c.stalled_since = None;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => return false,
            }
        }
        if c.unsent() == 0 {
            c.out.clear();
            c.sent = 0;
            c.stalled_since = None;
        } else {
            if c.unsent() > MAX_UNSENT {
                return false;
            }
            c.stalled_since = c.stalled_since.or(Some(now));
            if c.sent > c.out.len() / 2 {
                c.out.drain(..c.sent);
                c.sent = 0;
            }
        }
        let want = c.unsent() > 0;
        if want != c.writing {
            c.writing = want;
            self.watch(c);
        }
        true
    }

    /// Tells epoll what the client waits for: input until it hung up or
    /// must be closed, output while replies wait.
    fn watch(&self, c: &Client) {
        let mut flags = EpollFlags::empty();
        if !c.eof && !c.closing {
            flags |= EpollFlags::EPOLLIN;
        }
        if c.writing {
            flags |= EpollFlags::EPOLLOUT;
        }
        let mut event = EpollEvent::new(flags, Token::Client(c.id).encode());
        let _ = self.epoll.modify(c.stream.as_fd(), &mut event);
    }

    /// Closes clients that stalled: a half-sent line or unread replies
    /// older than [`STALL_MS`]. Returns when to look again.
    pub fn sweep(&mut self, now: Millis) -> Option<Millis> {
        let stale: Vec<u64> = self
            .clients
            .iter()
            .filter(|(_, c)| {
                let old = |since: Option<Millis>| since.is_some_and(|t| now >= t + STALL_MS);
                old(c.partial_since) || old(c.stalled_since)
            })
            .map(|(id, _)| *id)
            .collect();
        for id in stale {
            self.clients.remove(&id);
        }
        self.clients
            .values()
            .filter_map(|c| c.partial_since.or(c.stalled_since))
            .min()
            .map(|t| t + STALL_MS)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn queue(c: &mut Client, reply: &Reply) {
    c.out.extend_from_slice(encode_reply(reply).as_bytes());
}
