//! The writer: a [`BundleSpec`] becomes the bytes of a bundle.
//!
//! Reproducible by construction: jobs are sorted by name; strings, settings
//! records and programs are deduplicated in order of first use while the
//! sorted jobs are walked in a fixed order; the event index is sorted by
//! name. Hash maps are used for lookups only, never iterated. Nothing
//! depends on time, the machine or the order of the input.
//!
//! The writer checks what the reader will check (orders, ranges, limits,
//! well-formed programs) and refuses, rather than produce a bundle the
//! runtime would refuse.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use crate::checksum::xxh64;
use crate::layout::*;
use crate::limits;
use crate::lz4;
use crate::model::*;
use crate::{FORMAT_VERSION, MAGIC};

/// How to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// Store the string data as one LZ4 block (the default). Without it the
    /// whole bundle, strings included, can be read in place from a mapping.
    pub compress_strings: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            compress_strings: true,
        }
    }
}

/// Why a job set cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// Two jobs with one name.
    DuplicateJob(String),
    /// A job's value the format cannot hold (or the reader would refuse).
    Invalid { job: String, what: String },
    /// A hard limit of `limits.rs`.
    LimitExceeded {
        what: &'static str,
        limit: usize,
        found: usize,
    },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::DuplicateJob(name) => write!(f, "two jobs are named `{name}`"),
            WriteError::Invalid { job, what } => write!(f, "job `{job}`: {what}"),
            WriteError::LimitExceeded { what, limit, found } => write!(
                f,
                "{what} is {found}, more than a bundle can hold ({limit})"
            ),
        }
    }
}

impl std::error::Error for WriteError {}

/// Writes `spec` with the default options.
pub fn write(spec: &BundleSpec) -> Result<Vec<u8>, WriteError> {
    write_with(spec, WriteOptions::default())
}

/// Writes `spec`.
pub fn write_with(spec: &BundleSpec, options: WriteOptions) -> Result<Vec<u8>, WriteError> {
    let mut jobs: Vec<&JobSpec> = spec.jobs.iter().collect();
    jobs.sort_by(|a, b| a.name.cmp(&b.name));
    for pair in jobs.windows(2) {
        if let [a, b] = pair {
            if a.name == b.name {
                return Err(WriteError::DuplicateJob(a.name.clone()));
            }
        }
    }
    limit("the number of jobs", limits::MAX_JOBS, jobs.len())?;
    let mut w = Tables::default();
    let compiler_version = w.strings.intern(&spec.compiler_version);
    // Job names first, in order: the reader's sortedness check then walks
    // the string data sequentially instead of all over it.
    for job in &jobs {
        w.strings.intern(&job.name);
    }
    for (index, job) in jobs.iter().enumerate() {
        w.job(index as u32, job)?;
    }
    w.finish(compiler_version, &spec.source_digest, options)
}

fn limit(what: &'static str, limit: usize, found: usize) -> Result<(), WriteError> {
    if found > limit {
        Err(WriteError::LimitExceeded { what, limit, found })
    } else {
        Ok(())
    }
}

fn invalid(job: &JobSpec, what: impl Into<String>) -> WriteError {
    WriteError::Invalid {
        job: job.name.clone(),
        what: what.into(),
    }
}

fn put_u32(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_le_bytes());
}

fn put_u64(buf: &mut Vec<u8>, v: u64) {
    buf.extend_from_slice(&v.to_le_bytes());
}

/// Counts and indices are bounded by the limits, which all fit in a u32.
fn idx(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[derive(Default)]
struct Strings {
    data: Vec<u8>,
    ends: Vec<u8>,
    count: usize,
    index: HashMap<String, u32>,
}

impl Strings {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = idx(self.count);
        self.count += 1;
        self.data.extend_from_slice(s.as_bytes());
        put_u32(&mut self.ends, idx(self.data.len()));
        self.index.insert(s.to_owned(), i);
        i
    }

    fn opt(&mut self, s: &Option<String>) -> u32 {
        s.as_deref().map_or(NONE, |s| self.intern(s))
    }
}

/// Everything of a job that is usually shared with other jobs.
#[derive(Clone, PartialEq, Eq, Hash)]
struct SettingsKey {
    author: Option<String>,
    version: Option<String>,
    usage: Option<String>,
    instance: String,
    chroot: Option<String>,
    chdir: Option<String>,
    setuid: Option<String>,
    setgid: Option<String>,
    apparmor_switch: Option<String>,
    normal_exit: Vec<i64>,
    limits: Vec<LimitSpec>,
    cgroups: Vec<CgroupSpec>,
    task: bool,
    respawn: bool,
    debug: bool,
    respawn_count: Option<u32>,
    respawn_interval: Option<u32>,
    kill_signal: i32,
    reload_signal: i32,
    nice: Option<i8>,
    oom_score: Option<i16>,
    umask: u16,
    kill_timeout: u64,
    expect: Expect,
    ready_fd: Option<u8>,
    console: Option<Console>,
}

impl SettingsKey {
    fn of(job: &JobSpec) -> SettingsKey {
        SettingsKey {
            author: job.author.clone(),
            version: job.version.clone(),
            usage: job.usage.clone(),
            instance: job.instance.clone(),
            chroot: job.chroot.clone(),
            chdir: job.chdir.clone(),
            setuid: job.setuid.clone(),
            setgid: job.setgid.clone(),
            apparmor_switch: job.apparmor_switch.clone(),
            normal_exit: job.normal_exit.clone(),
            limits: job.limits.clone(),
            cgroups: job.cgroups.clone(),
            task: job.task,
            respawn: job.respawn,
            debug: job.debug,
            respawn_count: job.respawn_count,
            respawn_interval: job.respawn_interval,
            kill_signal: job.kill_signal,
            reload_signal: job.reload_signal,
            nice: job.nice,
            oom_score: job.oom_score,
            umask: job.umask,
            kill_timeout: job.kill_timeout,
            expect: job.expect,
            ready_fd: job.ready_fd,
            console: job.console,
        }
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct ProgramKey {
    code: Vec<Instr>,
    matches: Vec<MatchSpec>,
}

#[derive(Default)]
struct Tables {
    strings: Strings,
    jobs: Vec<u8>,
    settings: Vec<u8>,
    settings_index: HashMap<SettingsKey, u32>,
    settings_count: usize,
    processes: Vec<u8>,
    process_count: usize,
    env: Vec<u8>,
    exports: Vec<u8>,
    emits: Vec<u8>,
    normal_exits: Vec<u8>,
    normal_exit_count: usize,
    limits: Vec<u8>,
    limit_count: usize,
    cgroups: Vec<u8>,
    cgroup_count: usize,
    cgroup_names: Vec<u8>,
    cgroup_name_count: usize,
    cgroup_settings: Vec<u8>,
    cgroup_setting_count: usize,
    programs: Vec<u8>,
    program_index: HashMap<ProgramKey, u32>,
    program_count: usize,
    /// Per program, its distinct event names (for the event index).
    program_events: Vec<Vec<String>>,
    code: Vec<u8>,
    /// Match records with the event *name*; resolved to indices at the end.
    matches: Vec<(String, u32)>,
    args: Vec<u8>,
    arg_count: usize,
    /// Event name -> sorted references (job << 1 | stop bit).
    events: BTreeMap<String, Vec<u32>>,
}

impl Tables {
    fn job(&mut self, index: u32, job: &JobSpec) -> Result<(), WriteError> {
        let name = self.strings.intern(&job.name);
        let file = self.strings.intern(&job.file);
        let override_file = self.strings.opt(&job.override_file);
        let description = self.strings.opt(&job.description);
        let settings = self.settings(job)?;
        let (start_on, start_line, start_flag) =
            self.condition(job, index, &job.start_on, 0, JF_START_ON_IN_OVERRIDE)?;
        let (stop_on, stop_line, stop_flag) = self.condition(
            job,
            index,
            &job.stop_on,
            REF_STOP_ON,
            JF_STOP_ON_IN_OVERRIDE,
        )?;
        let processes = idx(self.process_count);
        let mut last: Option<ProcessKind> = None;
        for p in &job.processes {
            if last.is_some_and(|l| l >= p.kind) {
                return Err(invalid(job, "processes are not in kind order, or repeated"));
            }
            last = Some(p.kind);
            let text = self.strings.intern(&p.text);
            self.processes.extend_from_slice(&[
                p.kind.code(),
                match p.body {
                    BodyKind::Exec => 0,
                    BodyKind::Script => 1,
                },
                origin_code(p.location.origin),
                0,
            ]);
            put_u32(&mut self.processes, text);
            put_u32(&mut self.processes, p.location.line);
            self.process_count += 1;
        }
        let env = idx(self.env.len() / 4);
        for e in &job.env {
            let s = self.strings.intern(e);
            put_u32(&mut self.env, s);
        }
        let exports = idx(self.exports.len() / 4);
        for e in &job.export {
            let s = self.strings.intern(e);
            put_u32(&mut self.exports, s);
        }
        let emits = idx(self.emits.len() / 4);
        for e in &job.emits {
            let s = self.strings.intern(e);
            put_u32(&mut self.emits, s);
        }
        for v in [
            name,
            file,
            override_file,
            description,
            settings,
            start_on,
            stop_on,
            start_line,
            stop_line,
            start_flag | stop_flag,
            processes,
            env,
            exports,
            emits,
        ] {
            put_u32(&mut self.jobs, v);
        }
        Ok(())
    }

    fn settings(&mut self, job: &JobSpec) -> Result<u32, WriteError> {
        let key = SettingsKey::of(job);
        if let Some(&i) = self.settings_index.get(&key) {
            return Ok(i);
        }
        if let Some(n) = job.nice.filter(|n| !(-20..=19).contains(n)) {
            return Err(invalid(job, format!("nice {n} is outside -20..19")));
        }
        if let Some(n) = job.oom_score.filter(|n| !(-1000..=1000).contains(n)) {
            return Err(invalid(
                job,
                format!("oom score {n} is outside -1000..1000"),
            ));
        }
        if job.umask > 0o777 {
            return Err(invalid(job, format!("umask {:o} is over 0777", job.umask)));
        }
        match (job.expect, job.ready_fd) {
            (Expect::Fd, Some(fd)) if fd >= READY_FD_MIN => {}
            (Expect::Fd, fd) => {
                return Err(invalid(
                    job,
                    format!("expect fd needs a ready fd of 3..=255, not {fd:?}"),
                ))
            }
            (_, Some(_)) => return Err(invalid(job, "a ready fd without expect fd")),
            (_, None) => {}
        }
        let i = idx(self.settings_count);
        self.settings_count += 1;
        let s = &mut self.strings;
        let strs = [
            s.opt(&job.author),
            s.opt(&job.version),
            s.opt(&job.usage),
            s.intern(&job.instance),
            s.opt(&job.chroot),
            s.opt(&job.chdir),
            s.opt(&job.setuid),
            s.opt(&job.setgid),
            s.opt(&job.apparmor_switch),
        ];
        let normal_exits = idx(self.normal_exit_count);
        for &status in &job.normal_exit {
            put_u64(&mut self.normal_exits, status as u64);
            self.normal_exit_count += 1;
        }
        let limits_first = idx(self.limit_count);
        let mut last: Option<Resource> = None;
        for l in &job.limits {
            if last.is_some_and(|r| r >= l.resource) {
                return Err(invalid(
                    job,
                    "limits are not in resource order, or repeated",
                ));
            }
            last = Some(l.resource);
            let flags = if l.soft.is_none() {
                LF_SOFT_UNLIMITED
            } else {
                0
            } | if l.hard.is_none() {
                LF_HARD_UNLIMITED
            } else {
                0
            };
            self.limits
                .extend_from_slice(&[l.resource.code(), flags, 0, 0, 0, 0, 0, 0]);
            put_u64(&mut self.limits, l.soft.unwrap_or(0));
            put_u64(&mut self.limits, l.hard.unwrap_or(0));
            self.limit_count += 1;
        }
        let cgroups_first = idx(self.cgroup_count);
        for cg in &job.cgroups {
            let controller = self.strings.intern(&cg.controller);
            put_u32(&mut self.cgroups, controller);
            put_u32(&mut self.cgroups, idx(self.cgroup_name_count));
            self.cgroup_count += 1;
            for (name, settings) in &cg.names {
                let name = self.strings.intern(name);
                put_u32(&mut self.cgroup_names, name);
                put_u32(&mut self.cgroup_names, idx(self.cgroup_setting_count));
                self.cgroup_name_count += 1;
                for (k, v) in settings {
                    let k = self.strings.intern(k);
                    let v = self.strings.intern(v);
                    put_u32(&mut self.cgroup_settings, k);
                    put_u32(&mut self.cgroup_settings, v);
                    self.cgroup_setting_count += 1;
                }
            }
        }
        let flags = [
            (job.task, SF_TASK),
            (job.respawn, SF_RESPAWN),
            (job.debug, SF_DEBUG),
            (job.nice.is_some(), SF_NICE),
            (job.oom_score.is_some(), SF_OOM_SCORE),
            (job.respawn_count.is_some(), SF_RESPAWN_COUNT),
            (job.respawn_interval.is_some(), SF_RESPAWN_INTERVAL),
        ]
        .iter()
        .filter(|(set, _)| *set)
        .fold(0, |acc, (_, bit)| acc | bit);
        let out = &mut self.settings;
        for v in strs {
            put_u32(out, v);
        }
        for v in [
            normal_exits,
            limits_first,
            cgroups_first,
            flags,
            job.respawn_count.unwrap_or(0),
            job.respawn_interval.unwrap_or(0),
            job.kill_signal as u32,
            job.reload_signal as u32,
            i32::from(job.nice.unwrap_or(0)) as u32,
            i32::from(job.oom_score.unwrap_or(0)) as u32,
            u32::from(job.umask),
        ] {
            put_u32(out, v);
        }
        put_u64(out, job.kill_timeout);
        out.extend_from_slice(&[
            job.expect.code(),
            Console::code(job.console),
            job.ready_fd.unwrap_or(0),
            0,
            0,
            0,
            0,
            0,
        ]);
        self.settings_index.insert(key, i);
        Ok(i)
    }

    /// Returns (program index or NONE, line, job flag).
    fn condition(
        &mut self,
        job: &JobSpec,
        index: u32,
        cond: &Option<ConditionSpec>,
        which: u32,
        override_flag: u32,
    ) -> Result<(u32, u32, u32), WriteError> {
        let Some(cond) = cond else {
            return Ok((NONE, 0, 0));
        };
        let program = self.program(job, cond)?;
        let reference = index << 1 | which;
        if let Some(events) = usize::try_from(program)
            .ok()
            .and_then(|p| self.program_events.get(p))
        {
            for event in events {
                let refs = self.events.entry(event.clone()).or_default();
                if refs.last() != Some(&reference) {
                    refs.push(reference);
                }
            }
        }
        let flag = match cond.location.origin {
            Origin::Conf => 0,
            Origin::Override => override_flag,
        };
        Ok((program, cond.location.line, flag))
    }

    fn program(&mut self, job: &JobSpec, cond: &ConditionSpec) -> Result<u32, WriteError> {
        let key = ProgramKey {
            code: cond.code.clone(),
            matches: cond.matches.clone(),
        };
        if let Some(&i) = self.program_index.get(&key) {
            return Ok(i);
        }
        check_program(&cond.code, cond.matches.len()).map_err(|what| invalid(job, what))?;
        limit(
            "a program's length",
            limits::MAX_PROGRAM_LEN,
            cond.code.len(),
        )?;
        let i = idx(self.program_count);
        self.program_count += 1;
        put_u32(&mut self.programs, idx(self.code.len()));
        put_u32(&mut self.programs, idx(self.matches.len()));
        self.code.extend(cond.code.iter().map(|op| match op {
            Instr::Match => OP_MATCH,
            Instr::And => OP_AND,
            Instr::Or => OP_OR,
        }));
        let mut events: Vec<String> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for m in &cond.matches {
            if seen.insert(&m.event) {
                events.push(m.event.clone());
            }
            self.strings.intern(&m.event);
            self.matches.push((m.event.clone(), idx(self.arg_count)));
            for a in &m.args {
                let (kind, key) = match &a.kind {
                    ArgKind::Positional => (0u8, NONE),
                    ArgKind::Equals(k) => (1, self.strings.intern(k)),
                    ArgKind::NotEquals(k) => (2, self.strings.intern(k)),
                };
                let pattern = self.strings.intern(&a.pattern);
                self.args.extend_from_slice(&[kind, 0, 0, 0]);
                put_u32(&mut self.args, key);
                put_u32(&mut self.args, pattern);
                self.arg_count += 1;
            }
        }
        self.program_events.push(events);
        self.program_index.insert(key, i);
        Ok(i)
    }

    fn finish(
        mut self,
        compiler_version: u32,
        digest: &[u8; 32],
        options: WriteOptions,
    ) -> Result<Vec<u8>, WriteError> {
        limit(
            "the number of strings",
            limits::MAX_STRINGS,
            self.strings.count,
        )?;
        limit(
            "the string data",
            limits::MAX_STRING_DATA,
            self.strings.data.len(),
        )?;
        limit(
            "the number of events",
            limits::MAX_EVENTS,
            self.events.len(),
        )?;
        let mut events = Vec::new();
        let mut event_refs = Vec::new();
        let mut event_index: HashMap<&str, u32> = HashMap::new();
        for (i, (name, refs)) in self.events.iter().enumerate() {
            let s = self.strings.intern(name);
            put_u32(&mut events, s);
            put_u32(&mut events, idx(event_refs.len() / 4));
            for &r in refs {
                put_u32(&mut event_refs, r);
            }
            event_index.insert(name.as_str(), idx(i));
        }
        let mut matches = Vec::with_capacity(self.matches.len() * 8);
        for (event, args) in &self.matches {
            put_u32(
                &mut matches,
                event_index.get(event.as_str()).copied().unwrap_or(NONE),
            );
            put_u32(&mut matches, *args);
        }
        let (flags, string_data) = if options.compress_strings {
            (FLAG_STRINGS_LZ4, lz4::compress(&self.strings.data))
        } else {
            (0, std::mem::take(&mut self.strings.data))
        };
        let sections: [&[u8]; SECTION_COUNT] = [
            &self.strings.ends,
            &string_data,
            &self.jobs,
            &self.settings,
            &self.processes,
            &self.env,
            &self.exports,
            &self.emits,
            &self.normal_exits,
            &self.limits,
            &self.cgroups,
            &self.cgroup_names,
            &self.cgroup_settings,
            &self.programs,
            &self.code,
            &matches,
            &self.args,
            &events,
            &event_refs,
        ];
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC);
        put_u32(&mut out, FORMAT_VERSION);
        put_u32(&mut out, flags);
        put_u32(&mut out, 0); // total length, patched below
        put_u64(&mut out, 0); // checksum, patched below
        out.extend_from_slice(digest);
        put_u32(&mut out, compiler_version);
        put_u32(&mut out, idx(SECTION_COUNT));
        let mut offset = HEADER_SIZE;
        for s in sections {
            offset = offset.next_multiple_of(SECTION_ALIGN);
            put_u32(&mut out, idx(offset));
            put_u32(&mut out, idx(s.len()));
            offset += s.len();
        }
        limit("the bundle size", limits::MAX_BUNDLE_SIZE, offset)?;
        for s in sections {
            out.resize(out.len().next_multiple_of(SECTION_ALIGN), 0);
            out.extend_from_slice(s);
        }
        let total = idx(out.len()).to_le_bytes();
        if let Some(slot) = out.get_mut(H_TOTAL_LEN..H_TOTAL_LEN + 4) {
            slot.copy_from_slice(&total);
        }
        let sum = xxh64(out.get(CHECKSUM_START..).unwrap_or_default()).to_le_bytes();
        if let Some(slot) = out.get_mut(H_CHECKSUM..H_CHECKSUM + 8) {
            slot.copy_from_slice(&sum);
        }
        Ok(out)
    }
}

fn origin_code(origin: Origin) -> u8 {
    match origin {
        Origin::Conf => 0,
        Origin::Override => 1,
    }
}

/// The stack discipline the reader enforces.
fn check_program(code: &[Instr], matches: usize) -> Result<(), String> {
    if code.is_empty() {
        return Err("a condition has no instructions".into());
    }
    let mut depth = 0usize;
    let mut seen = 0usize;
    for (i, op) in code.iter().enumerate() {
        match op {
            Instr::Match => {
                depth += 1;
                seen += 1;
            }
            Instr::And | Instr::Or => {
                if depth < 2 {
                    return Err(format!("operator at instruction {i} lacks operands"));
                }
                depth -= 1;
            }
        }
    }
    if depth != 1 {
        return Err(format!("a condition leaves {depth} values"));
    }
    if seen != matches {
        return Err(format!("{seen} MATCH instructions for {matches} matches"));
    }
    Ok(())
}
