//! upc's readiness extensions, the IO side: `expect notify` (systemd's
//! sd_notify protocol) and `ready fd N` (s6's notification-fd). The
//! machine treats both like the other `expect` modes: the job stays in
//! `spawned` until [`Notice::Ready`] arrives.
//!
//! `expect notify`: each main process gets a datagram socket of its own,
//! bound in a directory only init writes to (0711: others may pass, not
//! list) under an unguessable name, given to the process as
//! `NOTIFY_SOCKET`. Knowing the name is the right to use it (the socket
//! itself is 0666, so a `setuid` job can send to it). Each datagram is
//! `KEY=VALUE` lines: `READY=1`, `STATUS=TEXT`, `MAINPID=N`, `STOPPING=1`
//! are understood, anything else (`WATCHDOG=1`, ...) is ignored. A
//! `MAINPID` is believed only for a live process other than init, owned
//! by the sender's user (or sent by root): the main process is what
//! `stop` signals, so a job must not be able to name another user's
//! process. The socket lives as long as the main process it was made
//! for (or the one `MAINPID` named).
//!
//! `ready fd N`: a pipe whose write end becomes the main process's
//! descriptor N; the first newline read makes the job ready, and the
//! pipe is closed then (or at end of file, without a newline: not ready).

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::io::IoSliceMut;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::epoll::{Epoll, EpollEvent, EpollFlags};
use nix::sys::socket::{
    bind, recvmsg, setsockopt, socket, sockopt, AddressFamily, ControlMessageOwned, MsgFlags,
    SockFlag, SockType, UnixAddr, UnixCredentials,
};
use nix::unistd::pipe2;
use upc_machine::Notice;

use super::sys::{set_nonblocking, Token};

/// The largest datagram read whole; a longer one is dropped (sd_notify
/// messages are a few short lines).
const MAX_DATAGRAM: usize = 4096;
/// `STATUS=` text kept, in characters.
const MAX_STATUS: usize = 200;
/// Datagrams read per wake-up, so one chatty job cannot hold the loop.
const MAX_DATAGRAMS_PER_READ: usize = 64;

enum Kind {
    Notify { path: PathBuf },
    Fd,
}

struct Channel {
    fd: OwnedFd,
    kind: Kind,
    /// The main process it speaks for (0 until the fork).
    main: u32,
}

/// What the child gets of a channel.
pub enum ForChild {
    /// `NOTIFY_SOCKET=PATH`, for its environment.
    Env(String),
    /// The pipe's write end, for descriptor N.
    Fd(OwnedFd),
}

/// The open readiness channels, by id.
pub struct Readiness {
    epoll: Rc<Epoll>,
    dir: PathBuf,
    channels: HashMap<u64, Channel>,
    next: u64,
    random: RandomState,
}

/// What a channel said: notices for its main process, and lines for
/// init's log.
#[derive(Default)]
pub struct Heard {
    pub main: u32,
    pub notices: Vec<Notice>,
    pub notes: Vec<String>,
}

impl Readiness {
    /// Sockets go in `dir` (made when the first one is).
    pub fn new(epoll: Rc<Epoll>, dir: PathBuf) -> Readiness {
        Readiness {
            epoll,
            dir,
            channels: HashMap::new(),
            next: 1,
            random: RandomState::new(),
        }
    }

    /// The directory of the notify sockets: made 0711 if missing; refused
    /// unless it is a directory of init's own user that nobody else can
    /// write to (a socket bound in it must not be replaceable).
    fn ensure_dir(&self) -> Result<(), Errno> {
        let errno = |e: std::io::Error| Errno::from_raw(e.raw_os_error().unwrap_or(0));
        match std::fs::DirBuilder::new().mode(0o711).create(&self.dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(errno(e)),
        }
        let meta = std::fs::symlink_metadata(&self.dir).map_err(errno)?;
        let ours = meta.uid() == nix::unistd::geteuid().as_raw();
        if !meta.is_dir() || !ours || meta.permissions().mode() & 0o022 != 0 {
            return Err(Errno::EPERM);
        }
        Ok(())
    }

    fn unguessable_name(&mut self) -> String {
        let mut h = self.random.build_hasher();
        h.write_u64(self.next);
        h.write_u32(std::process::id());
        let a = h.finish();
        h.write_u64(a);
        format!("{a:016x}{:016x}", h.finish())
    }

    /// Opens a channel before the fork: `expect notify`'s socket, or
    /// `ready fd`'s pipe. The id is for [`Readiness::attach`] (or
    /// [`Readiness::abandon`] if there is no child after all).
    pub fn open(&mut self, notify: bool) -> Result<(u64, ForChild), Errno> {
        let id = self.next;
        let (fd, kind, for_child) = if notify {
            self.ensure_dir()?;
            let name = self.unguessable_name();
            let path = self.dir.join(name);
            let sock = socket(
                AddressFamily::Unix,
                SockType::Datagram,
                SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
                None,
            )?;
            bind(sock.as_raw_fd(), &UnixAddr::new(&path)?)?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666))
                .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(0)))?;
            setsockopt(&sock, sockopt::PassCred, &true)?;
            let env = format!("NOTIFY_SOCKET={}", path.display());
            (sock, Kind::Notify { path }, ForChild::Env(env))
        } else {
            let (r, w) = pipe2(OFlag::O_CLOEXEC)?;
            set_nonblocking(&r)?;
            (r, Kind::Fd, ForChild::Fd(w))
        };
        self.next += 1;
        self.channels.insert(id, Channel { fd, kind, main: 0 });
        Ok((id, for_child))
    }

    /// The child is `main`: start listening.
    pub fn attach(&mut self, id: u64, main: u32) -> Result<(), Errno> {
        let Some(c) = self.channels.get_mut(&id) else {
            return Ok(());
        };
        c.main = main;
        let event = EpollEvent::new(EpollFlags::EPOLLIN, Token::Ready(id).encode());
        if let Err(e) = self.epoll.add(c.fd.as_fd(), event) {
            self.close(id);
            return Err(e);
        }
        Ok(())
    }

    /// There is no child for the channel (the fork failed).
    pub fn abandon(&mut self, id: u64) {
        self.close(id);
    }

    fn close(&mut self, id: u64) {
        if let Some(c) = self.channels.remove(&id) {
            // Dropping the descriptor takes it out of epoll.
            if let Kind::Notify { path } = &c.kind {
                let _ = std::fs::remove_file(path);
            }
        }
    }

    /// The job's main process `old` is now `new` (`MAINPID`): its
    /// channels speak for `new`.
    pub fn main_moved(&mut self, old: u32, new: u32) {
        for c in self.channels.values_mut().filter(|c| c.main == old) {
            c.main = new;
        }
    }

    /// `pid` ended: the channels that spoke for it close.
    pub fn exited(&mut self, pid: u32) {
        let ids: Vec<u64> = self
            .channels
            .iter()
            .filter(|(_, c)| c.main == pid)
            .map(|(&id, _)| id)
            .collect();
        for id in ids {
            self.close(id);
        }
    }

    /// The open channels (read them all before reaping: a notice sent
    /// before a process exited must be heard before its exit).
    pub fn ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.channels.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// A channel is readable: what it said.
    pub fn read(&mut self, id: u64) -> Heard {
        let Some(c) = self.channels.get(&id) else {
            return Heard::default();
        };
        let mut heard = Heard {
            main: c.main,
            ..Heard::default()
        };
        let done = match c.kind {
            Kind::Fd => read_pipe(&c.fd, &mut heard),
            Kind::Notify { .. } => {
                read_datagrams(&c.fd, &mut heard);
                false
            }
        };
        if done {
            self.close(id);
        }
        heard
    }
}

/// Reads the ready fd's pipe; true when it is of no more use (a newline
/// was read, or the writers are gone).
fn read_pipe(fd: &OwnedFd, heard: &mut Heard) -> bool {
    let mut buf = [0u8; 256];
    loop {
        match nix::unistd::read(fd.as_fd(), &mut buf) {
            Ok(0) => return true,
            Ok(n) => {
                if buf.get(..n).is_some_and(|b| b.contains(&b'\n')) {
                    heard.notices.push(Notice::Ready);
                    return true;
                }
            }
            Err(Errno::EINTR) => {}
            Err(Errno::EAGAIN) => return false,
            Err(_) => return true,
        }
    }
}

fn read_datagrams(fd: &OwnedFd, heard: &mut Heard) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    for _ in 0..MAX_DATAGRAMS_PER_READ {
        let mut cmsg = nix::cmsg_space!(UnixCredentials);
        let mut iov = [IoSliceMut::new(&mut buf)];
        let (len, truncated, sender) = match recvmsg::<()>(
            fd.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_DONTWAIT,
        ) {
            Ok(msg) => {
                let sender = msg.cmsgs().ok().and_then(|mut cmsgs| {
                    cmsgs.find_map(|c| match c {
                        ControlMessageOwned::ScmCredentials(cred) => Some((cred.pid(), cred.uid())),
                        _ => None,
                    })
                });
                (msg.bytes, msg.flags.contains(MsgFlags::MSG_TRUNC), sender)
            }
            Err(Errno::EINTR) => continue,
            Err(_) => return,
        };
        if truncated {
            heard.notes.push(format!(
                "a notify message over {MAX_DATAGRAM} bytes was dropped"
            ));
            continue;
        }
        let text = String::from_utf8_lossy(buf.get(..len).unwrap_or_default()).into_owned();
        parse_message(&text, sender, heard);
    }
}

/// One datagram's notices, in the order they take effect: the new main
/// process first, then its status, then readiness, then stopping.
fn parse_message(text: &str, sender: Option<(i32, u32)>, heard: &mut Heard) {
    let (mut main, mut status, mut ready, mut stopping) = (None, None, false, false);
    for line in text.lines() {
        match line.split_once('=') {
            Some(("READY", "1")) => ready = true,
            Some(("STOPPING", "1")) => stopping = true,
            Some(("STATUS", s)) => {
                status = Some(
                    s.chars()
                        .map(|c| if c.is_control() { ' ' } else { c })
                        .take(MAX_STATUS)
                        .collect::<String>(),
                )
            }
            Some(("MAINPID", n)) => match n.parse::<u32>() {
                Ok(pid) => match main_pid_refusal(pid, sender) {
                    None => main = Some(pid),
                    Some(why) => heard.notes.push(format!("MAINPID={pid} refused: {why}")),
                },
                Err(_) => heard.notes.push(format!("MAINPID={n} is not a pid")),
            },
            _ => {}
        }
    }
    heard.notices.extend(main.map(Notice::MainPid));
    heard.notices.extend(status.map(Notice::Status));
    if ready {
        heard.notices.push(Notice::Ready);
    }
    if stopping {
        heard.notices.push(Notice::Stopping);
    }
}

/// Why `MAINPID=pid` is not believed, if it is not.
fn main_pid_refusal(pid: u32, sender: Option<(i32, u32)>) -> Option<&'static str> {
    if pid <= 1 || pid == std::process::id() {
        return Some("that is init");
    }
    let Some((_, sender_uid)) = sender else {
        return Some("the sender is unknown");
    };
    let Some(owner) = process_uid(pid) else {
        return Some("no such process");
    };
    if sender_uid != 0 && owner != sender_uid {
        return Some("the process belongs to another user");
    }
    None
}

/// The real uid of a process, from /proc.
fn process_uid(pid: u32) -> Option<u32> {
    let status =
        std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn heard(text: &str, sender: Option<(i32, u32)>) -> Heard {
        let mut h = Heard::default();
        parse_message(text, sender, &mut h);
        h
    }

    /// A live process of this test's user that is not the caller (the
    /// caller stands for init, whose own pid is refused).
    struct Sleeper(std::process::Child);

    impl Sleeper {
        fn start() -> Self {
            Self(
                std::process::Command::new("sleep")
                    .arg("60")
                    .spawn()
                    .unwrap(),
            )
        }

        fn pid(&self) -> u32 {
            self.0.id()
        }
    }

    impl Drop for Sleeper {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    #[test]
    fn a_message_takes_effect_main_pid_first_then_status_then_ready() {
        let sleeper = Sleeper::start();
        let me = sleeper.pid();
        let uid = nix::unistd::getuid().as_raw();
        let h = heard(
            &format!("READY=1\nSTATUS=up and\tserving\nMAINPID={me}\nWATCHDOG=1\n"),
            Some((1, uid)),
        );
        assert_eq!(
            h.notices,
            [
                Notice::MainPid(me),
                Notice::Status("up and serving".into()),
                Notice::Ready
            ]
        );
        assert_eq!(heard("STOPPING=1", None).notices, [Notice::Stopping]);
        assert!(heard("READY=0\nX=1", None).notices.is_empty());
    }

    #[test]
    fn a_main_pid_must_be_a_live_process_of_the_senders_user() {
        let sleeper = Sleeper::start();
        let me = sleeper.pid();
        let h = heard(&format!("MAINPID={me}"), Some((1, 4242)));
        assert!(h.notices.is_empty());
        assert_eq!(
            h.notes,
            [format!(
                "MAINPID={me} refused: the process belongs to another user"
            )]
        );
        let caller = std::process::id();
        let h = heard(&format!("MAINPID={caller}"), Some((1, 0)));
        assert_eq!(h.notes, [format!("MAINPID={caller} refused: that is init")]);
        let h = heard("MAINPID=1", Some((1, 0)));
        assert_eq!(h.notes, ["MAINPID=1 refused: that is init"]);
        let h = heard("MAINPID=x1", Some((1, 0)));
        assert_eq!(h.notes, ["MAINPID=x1 is not a pid"]);
        let h = heard(&format!("MAINPID={me}"), None);
        assert_eq!(
            h.notes,
            [format!("MAINPID={me} refused: the sender is unknown")]
        );
    }
}
