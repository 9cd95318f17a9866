//! `console log` (runtime-semantics §13): each process gets the slave side
//! of a fresh pseudo-terminal as stdout and stderr, and init appends what
//! it reads from the master side to the job's log file.
//!
//! A pty rather than a pipe, as Upstart: programs see a terminal, so they
//! line-buffer and print as they would for a person, and the log has the
//! terminal's CR LF line ends that Upstart's logs have.
//!
//! The file (`<logdir>/<job>.log`, `<job>-<instance>.log`, every `/` made
//! `_`) is opened on the first output, 0640, append-only, never following a
//! symlink, and opened again if it was deleted (logrotate). While it cannot
//! be opened (the disk is still read-only early in boot) the output waits
//! in memory; when the process is gone its unwritten output is parked until
//! `notify-disk-writeable` says the disk is writable. Memory is bounded:
//! 1 MiB per log and 16 MiB in all; past that the oldest bytes go.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt, PtyMaster};
use nix::sys::stat::{fstat, Mode};

use super::sys::above_nine;

/// Output kept in memory per log, at most.
const MAX_LOG_BUFFER: usize = 1024 * 1024;
/// Output kept in memory for all logs together, at most.
const MAX_TOTAL_BUFFER: usize = 16 * 1024 * 1024;
/// How much one read takes from a pty.
const READ_CHUNK: usize = 16 * 1024;

/// A fresh pseudo-terminal for one process.
pub struct Pty {
    pub master: PtyMaster,
    /// For the child's stdout and stderr; the parent closes its copy after
    /// fork.
    pub slave: OwnedFd,
}

/// Opens a pty: master non-blocking and close-on-exec, slave not a
/// controlling terminal.
pub fn open_pty() -> nix::Result<Pty> {
    let master =
        posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let name = ptsname_r(&master)?;
    let slave = open(
        name.as_str(),
        OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    Ok(Pty {
        master,
        slave: above_nine(slave)?,
    })
}

/// The log file of an instance.
pub fn log_path(dir: &Path, job: &str, instance: &str) -> PathBuf {
    let name = if instance.is_empty() {
        format!("{}.log", job.replace('/', "_"))
    } else {
        format!(
            "{}-{}.log",
            job.replace('/', "_"),
            instance.replace('/', "_")
        )
    };
    dir.join(name)
}

/// Whether an open failure means "not writable yet" (early boot), so the
/// output waits for `notify-disk-writeable`.
fn not_writable_yet(e: Errno) -> bool {
    matches!(e, Errno::EROFS | Errno::EPERM | Errno::EACCES)
}

/// One process's log.
struct Log {
    path: PathBuf,
    master: Option<PtyMaster>,
    file: Option<File>,
    buf: Vec<u8>,
    /// Why the file could not be opened last time.
    open_error: Option<Errno>,
}

/// Every live `console log` pty and the output waiting to be written.
pub struct JobLogs {
    dir: PathBuf,
    logs: BTreeMap<u64, Log>,
    next: u64,
    /// Output of ended processes waiting for a writable disk.
    parked: Vec<(PathBuf, Vec<u8>)>,
    disk_writable: bool,
    buffered: usize,
}

/// The end of a log, for `upctl log`.
pub struct Tail {
    pub text: String,
    pub path: Option<String>,
    pub truncated: bool,
}

impl JobLogs {
    pub fn new(dir: PathBuf) -> JobLogs {
        JobLogs {
            dir,
            logs: BTreeMap::new(),
            next: 1,
            parked: Vec::new(),
            disk_writable: false,
            buffered: 0,
        }
    }

    /// Makes sure the log directory exists. A disk that is not writable yet
    /// is no error (the output waits in memory); a directory that can
    /// never exist (a file in the way, a name too long) is.
    pub fn prepare_dir(&self) -> Result<(), Errno> {
        match std::fs::create_dir_all(&self.dir) {
            Ok(()) => Ok(()),
            Err(e) => {
                let errno = Errno::from_raw(e.raw_os_error().unwrap_or(Errno::EIO as i32));
                if not_writable_yet(errno) {
                    Ok(())
                } else {
                    Err(errno)
                }
            }
        }
    }

    /// Takes the master side of a process's pty; the returned id is its
    /// epoll token.
    pub fn add(&mut self, master: PtyMaster, job: &str, instance: &str) -> u64 {
        let id = self.next;
        self.next += 1;
        self.logs.insert(
            id,
            Log {
                path: log_path(&self.dir, job, instance),
                master: Some(master),
                file: None,
                buf: Vec::new(),
                open_error: None,
            },
        );
        id
    }

    /// The master of a log, to register it with epoll.
    pub fn master(&self, id: u64) -> Option<&PtyMaster> {
        self.logs.get(&id)?.master.as_ref()
    }

    /// The pty has something to read (or was closed): copy it to the file.
    /// Returns true once every writer has gone and the log is finished.
    pub fn readable(&mut self, id: u64) -> bool {
        let mut chunk = [0u8; READ_CHUNK];
        let mut finished = false;
        // Bounded work per wakeup: epoll calls again if more is left.
        for _ in 0..16 {
            let Some(master) = self.logs.get(&id).and_then(|l| l.master.as_ref()) else {
                return true;
            };
            match nix::unistd::read(master.as_fd(), &mut chunk) {
                Ok(0) => {
                    finished = true;
                    break;
                }
                Ok(n) => {
                    let data = chunk.get(..n).unwrap_or_default().to_vec();
                    self.append(id, &data);
                }
                Err(Errno::EAGAIN) => break,
                Err(Errno::EINTR) => continue,
                // EIO: the last slave descriptor closed.
                Err(_) => {
                    finished = true;
                    break;
                }
            }
        }
        if finished {
            self.finish(id);
        }
        finished
    }

    /// A line of init's own in a process's log (why it failed to spawn).
    pub fn note(&mut self, id: u64, text: &str) {
        let line = format!("upinit: {text}\r\n");
        self.append(id, line.as_bytes());
    }

    /// Writes `data` (after what already waits) or keeps it in memory.
    fn append(&mut self, id: u64, data: &[u8]) {
        let Some(log) = self.logs.get_mut(&id) else {
            return;
        };
        let before = log.buf.len();
        log.buf.extend_from_slice(data);
        flush(log);
        if log.buf.len() > MAX_LOG_BUFFER {
            let cut = log.buf.len() - MAX_LOG_BUFFER;
            log.buf.drain(..cut);
        }
        let after = log.buf.len();
        self.buffered = (self.buffered + after).saturating_sub(before);
        if self.buffered > MAX_TOTAL_BUFFER {
            self.shed();
        }
    }

    /// Past the global bound, drops the oldest half of the largest buffer.
    fn shed(&mut self) {
        while self.buffered > MAX_TOTAL_BUFFER {
            let largest = self
                .logs
                .values_mut()
                .map(|l| &mut l.buf)
                .chain(self.parked.iter_mut().map(|p| &mut p.1))
                .max_by_key(|b| b.len());
            let Some(buf) = largest else { return };
            let cut = buf.len().div_ceil(2);
            if cut == 0 {
                return;
            }
            buf.drain(..cut);
            self.buffered = self.buffered.saturating_sub(cut);
        }
    }

    /// The process and everyone sharing its pty have gone.
    fn finish(&mut self, id: u64) {
        let Some(mut log) = self.logs.remove(&id) else {
            return;
        };
        log.master = None;
        let had = log.buf.len();
        if !log.buf.is_empty() {
            let waiting = !self.disk_writable && log.open_error.is_some_and(not_writable_yet);
            if waiting {
                self.parked
                    .push((log.path.clone(), std::mem::take(&mut log.buf)));
                return;
            }
            flush(&mut log);
        }
        self.buffered = self.buffered.saturating_sub(had);
    }

    /// `notify-disk-writeable`: write everything that waited, and never park
    /// again.
    pub fn disk_writable(&mut self) {
        self.disk_writable = true;
        for (path, data) in std::mem::take(&mut self.parked) {
            self.buffered = self.buffered.saturating_sub(data.len());
            let mut log = Log {
                path,
                master: None,
                file: None,
                buf: data,
                open_error: None,
            };
            flush(&mut log);
        }
        let ids: Vec<u64> = self.logs.keys().copied().collect();
        for id in ids {
            self.append(id, &[]);
        }
    }

    /// The end of an instance's log: the file's last bytes and what waits
    /// in memory, at most `max` bytes.
    pub fn tail(&self, job: &str, instance: &str, max: usize) -> Option<Tail> {
        let path = log_path(&self.dir, job, instance);
        let mut data = Vec::new();
        let mut on_disk = false;
        let mut total = 0u64;
        if let Ok(mut f) = File::open(&path) {
            on_disk = true;
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            total = len;
            let start = len.saturating_sub(max as u64);
            if f.seek(SeekFrom::Start(start)).is_ok() {
                let _ = f.take(max as u64).read_to_end(&mut data);
            }
        }
        let waiting = self
            .parked
            .iter()
            .filter(|(p, _)| *p == path)
            .map(|(_, d)| d)
            .chain(
                self.logs
                    .values()
                    .filter(|l| l.path == path)
                    .map(|l| &l.buf),
            );
        let mut any_waiting = false;
        for d in waiting {
            any_waiting = true;
            total += d.len() as u64;
            data.extend_from_slice(d);
        }
        if !on_disk && !any_waiting {
            return None;
        }
        let truncated = total > max as u64;
        if data.len() > max {
            data.drain(..data.len() - max);
        }
        Some(Tail {
            text: String::from_utf8_lossy(&data).into_owned(),
            path: on_disk.then(|| path.display().to_string()),
            truncated,
        })
    }
}

/// Writes a log's buffer to its file, opening (or reopening) the file as
/// needed; what cannot be written stays in the buffer, except on a full
/// disk, where it is dropped.
fn flush(log: &mut Log) {
    if log.buf.is_empty() {
        return;
    }
    if let Some(f) = &log.file {
        // Deleted under us (logrotate): start a new file.
        if fstat(f.as_fd()).map(|s| s.st_nlink == 0).unwrap_or(true) {
            log.file = None;
        }
    }
    if log.file.is_none() {
        match open_log(&log.path) {
            Ok(f) => {
                log.file = Some(f);
                log.open_error = None;
            }
            Err(e) => {
                log.open_error = Some(e);
                if e == Errno::ENOSPC {
                    log.buf.clear();
                }
                return;
            }
        }
    }
    let Some(f) = log.file.as_mut() else {
        return;
    };
    match f.write_all(&log.buf) {
        Ok(()) => log.buf.clear(),
        Err(e) if e.raw_os_error() == Some(Errno::ENOSPC as i32) => log.buf.clear(),
        Err(_) => log.file = None,
    }
}

fn open_log(path: &Path) -> Result<File, Errno> {
    let open = || {
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o640)
            .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC).bits())
            .open(path)
    };
    let errno = |e: std::io::Error| Errno::from_raw(e.raw_os_error().unwrap_or(Errno::EIO as i32));
    match open() {
        Ok(f) => Ok(f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(errno)?;
            }
            open().map_err(errno)
        }
        Err(e) => Err(errno(e)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn log_files_are_named_after_the_job_and_instance_with_slashes_made_underscores() {
        let dir = Path::new("/var/log/upstart");
        assert_eq!(log_path(dir, "tty", ""), dir.join("tty.log"));
        assert_eq!(log_path(dir, "foo/bar", "a/b"), dir.join("foo_bar-a_b.log"));
    }
}
