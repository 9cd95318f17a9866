//! Which files are jobs: the paths a user gives become [`Unit`]s of work.
//!
//! A directory is walked the way Upstart walks a configuration source
//! (job-language.md section 8): recursively, `*.conf` are job files named by
//! their path relative to the directory without the extension, `*.override`
//! is paired with the `.conf` of the same relative name (section 9), and
//! hidden entries, editor backups and swap files, version-control and
//! packaging leftovers and symbolic links are skipped. A file named on the
//! command line is a job file whatever its name.
//!
//! This module only decides *what* to read; it reads no file contents, so
//! the reading can happen in parallel afterwards. The only system calls are
//! `stat` on the given paths, `readdir` on directories (the entry type comes
//! with the listing) and one `stat` per explicitly given override.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Where a file's bytes come from.
#[derive(Debug)]
pub(crate) enum Input {
    /// Read from the file system when the unit runs.
    File(PathBuf),
    /// Standard input, shown as `<stdin>`.
    Stdin,
    /// Bytes the caller already has (the language server, tests).
    Bytes(PathBuf, Vec<u8>),
}

/// One piece of independent work: it yields the source files it names, in
/// order, and their diagnostics.
#[derive(Debug)]
pub(crate) enum Unit {
    /// A job file and, if there is one, its override.
    Job {
        name: String,
        conf: Input,
        override_: Option<Input>,
    },
    /// An override file whose job file does not exist.
    LoneOverride { name: String, file: Input },
    /// A path that could not be listed or does not exist.
    Unreadable {
        path: PathBuf,
        directory: bool,
        error: io::Error,
    },
}

impl Unit {
    /// How many source files this unit adds to the source map.
    pub(crate) fn file_count(&self) -> u32 {
        match self {
            Unit::Job {
                override_: Some(_), ..
            } => 2,
            Unit::Job {
                override_: None, ..
            }
            | Unit::LoneOverride { .. }
            | Unit::Unreadable { .. } => 1,
        }
    }
}

/// The display path of standard input.
pub(crate) const STDIN_PATH: &str = "<stdin>";

/// Turns command-line paths into units, in the order given; within a
/// directory, in byte order of the names. A file reached twice (named
/// twice, or named and inside a named directory) is checked once.
pub(crate) fn discover(paths: &[PathBuf]) -> Vec<Unit> {
    // One path cannot reach a file twice (the walk skips symbolic links),
    // so only several paths need the record of what was already taken.
    let mut found = Discovery {
        units: Vec::new(),
        claimed: None,
    };
    if paths.len() > 1 {
        found.claimed = Some(HashSet::new());
    }
    for path in paths {
        if path.as_os_str() == "-" {
            if found.claim(Path::new(STDIN_PATH)) {
                found.units.push(Unit::Job {
                    name: "stdin".to_owned(),
                    conf: Input::Stdin,
                    override_: None,
                });
            }
            continue;
        }
        match fs::metadata(path) {
            Err(error) => found.units.push(Unit::Unreadable {
                path: path.clone(),
                directory: false,
                error,
            }),
            Ok(meta) if meta.is_dir() => found.walk(path, ""),
            Ok(_) => found.explicit_file(path),
        }
    }
    found.units
}

struct Discovery {
    units: Vec<Unit>,
    /// Every job or override file already part of a unit, when more than
    /// one path was given.
    claimed: Option<HashSet<PathBuf>>,
}

enum Kind {
    Conf,
    Override,
}

impl Discovery {
    /// Records `path` as taken; false if it already was.
    fn claim(&mut self, path: &Path) -> bool {
        self.claimed
            .as_mut()
            .is_none_or(|claimed| claimed.insert(path.to_path_buf()))
    }

    /// A file named on the command line: a job file whatever its name
    /// (`debian/upstart`, `foo.upstart`), except that `X.override` means the
    /// override of `X.conf` beside it, and `X.conf` brings its `X.override`.
    fn explicit_file(&mut self, path: &Path) {
        let name = job_name_of_file(path);
        match job_kind(path.file_name().unwrap_or_default()) {
            Some(Kind::Override) => {
                let conf = path.with_extension("conf");
                if is_file(&conf) {
                    self.job(name, conf, Some(path.to_path_buf()));
                } else if self.claim(path) {
                    self.units.push(Unit::LoneOverride {
                        name,
                        file: Input::File(path.to_path_buf()),
                    });
                }
            }
            Some(Kind::Conf) => {
                let over = path.with_extension("override");
                let over = is_file(&over).then_some(over);
                self.job(name, path.to_path_buf(), over);
            }
            None => self.job(name, path.to_path_buf(), None),
        }
    }

    fn job(&mut self, name: String, conf: PathBuf, override_: Option<PathBuf>) {
        if !self.claim(&conf) {
            return;
        }
        let override_ = override_.filter(|o| self.claim(o)).map(Input::File);
        self.units.push(Unit::Job {
            name,
            conf: Input::File(conf),
            override_,
        });
    }

    /// Walks `dir`; `prefix` is `dir` relative to the directory the user
    /// named, with a trailing `/` unless empty, so job names come out as
    /// `net/apache`.
    fn walk(&mut self, dir: &Path, prefix: &str) {
        let mut entries = match list(dir) {
            Ok(entries) => entries,
            Err(error) => {
                self.units.push(Unit::Unreadable {
                    path: dir.to_path_buf(),
                    directory: true,
                    error,
                });
                return;
            }
        };
        entries.sort_unstable_by(|a, b| a.name.as_encoded_bytes().cmp(b.name.as_encoded_bytes()));
        // Overrides of this directory, by stem, to pair with the job files.
        let overrides: HashSet<&OsStr> = entries
            .iter()
            .filter(|e| {
                e.kind == EntryKind::File && matches!(job_kind(&e.name), Some(Kind::Override))
            })
            .filter_map(|e| Path::new(&e.name).file_stem())
            .collect();
        let confs: HashSet<&OsStr> = entries
            .iter()
            .filter(|e| e.kind == EntryKind::File && matches!(job_kind(&e.name), Some(Kind::Conf)))
            .filter_map(|e| Path::new(&e.name).file_stem())
            .collect();
        let mut units = Vec::new();
        let mut subdirs = Vec::new();
        for entry in &entries {
            let path = dir.join(&entry.name);
            let stem = Path::new(&entry.name).file_stem().unwrap_or_default();
            let name = format!("{prefix}{}", stem.to_string_lossy());
            match (entry.kind, job_kind(&entry.name)) {
                (EntryKind::Dir, _) => {
                    subdirs.push((path, format!("{prefix}{}/", entry.name.to_string_lossy())))
                }
                (EntryKind::File, Some(Kind::Conf)) => {
                    let over = overrides
                        .contains(stem)
                        .then(|| path.with_extension("override"));
                    units.push((name, path, over, true));
                }
                (EntryKind::File, Some(Kind::Override)) if !confs.contains(stem) => {
                    units.push((name, path, None, false));
                }
                _ => {}
            }
        }
        for (name, path, over, is_conf) in units {
            if is_conf {
                self.job(name, path, over);
            } else if self.claim(&path) {
                self.units.push(Unit::LoneOverride {
                    name,
                    file: Input::File(path),
                });
            }
        }
        for (path, prefix) in subdirs {
            self.walk(&path, &prefix);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryKind {
    File,
    Dir,
    /// Symbolic links, devices, sockets, FIFOs: Upstart loads none of them.
    Other,
}

struct Entry {
    name: std::ffi::OsString,
    kind: EntryKind,
}

/// The entries of a directory that a walk may use: not ignored by name.
fn list(dir: &Path) -> io::Result<Vec<Entry>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if is_ignored(name.as_encoded_bytes()) {
            continue;
        }
        // `file_type` comes from the directory listing and does not follow
        // symbolic links, so a link is `Other` and skipped, as Upstart does.
        let kind = match entry.file_type() {
            Ok(t) if t.is_file() => EntryKind::File,
            Ok(t) if t.is_dir() => EntryKind::Dir,
            _ => EntryKind::Other,
        };
        if kind != EntryKind::Other {
            out.push(Entry { name, kind });
        }
    }
    Ok(out)
}

fn is_file(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| !m.is_dir())
}

/// `X.conf` or `X.override` with a non-empty `X` (`.conf` alone is not a job).
fn job_kind(name: &OsStr) -> Option<Kind> {
    let name = name.as_encoded_bytes();
    if name.len() > ".conf".len() && name.ends_with(b".conf") {
        Some(Kind::Conf)
    } else if name.len() > ".override".len() && name.ends_with(b".override") {
        Some(Kind::Override)
    } else {
        None
    }
}

/// The job name of a file named on the command line: its name without the
/// extension (`net/apache.conf` -> `apache`, `debian/foo.upstart` -> `foo`).
fn job_name_of_file(path: &Path) -> String {
    path.file_stem().map_or_else(
        || path.to_string_lossy().into_owned(),
        |s| s.to_string_lossy().into_owned(),
    )
}

/// The names libnih's directory walk ignores (hidden, backup, swap,
/// version-control and packaging files), plus rpm and ucf leftovers.
pub(crate) fn is_ignored(name: &[u8]) -> bool {
    const SUFFIXES: &[&[u8]] = &[b"~", b".bak", b".BAK", b".swp", b".swo", b".swn", b",v"];
    const NAMES: &[&[u8]] = &[
        b"RCS",
        b"CVS",
        b"CVS.adm",
        b"SCCS",
        b"BitKeeper",
        b"{arch}",
        b"_darcs",
    ];
    const LAST_EXTENSION_PREFIXES: &[&[u8]] = &[b".dpkg-", b".rpm", b".ucf-"];
    if name.first() == Some(&b'.') || NAMES.contains(&name) {
        return true;
    }
    if SUFFIXES.iter().any(|s| name.ends_with(s)) {
        return true;
    }
    // Emacs autosave files: `#name#`.
    if name.len() >= 2 && name.starts_with(b"#") && name.ends_with(b"#") {
        return true;
    }
    match name.iter().rposition(|&b| b == b'.') {
        Some(dot) => {
            let ext = name.get(dot..).unwrap_or_default();
            LAST_EXTENSION_PREFIXES.iter().any(|p| ext.starts_with(p))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_what_libnih_ignores() {
        for name in [
            ".hidden.conf",
            ".git",
            "foo.conf~",
            "foo.bak",
            "#foo.conf#",
            "foo.conf.swp",
            "foo.conf.dpkg-old",
            "foo.conf.dpkg-new",
            "foo.conf.rpmnew",
            "foo.conf.rpmsave",
            "foo.conf.ucf-dist",
            "RCS",
            "CVS",
            "foo,v",
        ] {
            assert!(is_ignored(name.as_bytes()), "{name}");
        }
        for name in ["foo.conf", "net", "foo.override", "foo.dpkg.conf", "rpm"] {
            assert!(!is_ignored(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn job_files_need_a_name_before_the_extension() {
        assert!(matches!(job_kind(OsStr::new("a.conf")), Some(Kind::Conf)));
        assert!(matches!(
            job_kind(OsStr::new("a.override")),
            Some(Kind::Override)
        ));
        assert!(job_kind(OsStr::new(".conf")).is_none());
        assert!(job_kind(OsStr::new("conf")).is_none());
        assert!(job_kind(OsStr::new("a.conf.old")).is_none());
    }
}
