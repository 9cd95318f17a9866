//! Accessors of a [`ValidatedBundle`]: typed, zero-copy views of its
//! records. None can fail: validation proved every offset, index and enum
//! code they read, so the fallbacks (`0`, `""`, empty ranges) are never
//! taken on a validated bundle.

use crate::cursor::{proven, rd32, rd64, rd8};
use crate::layout::*;
use crate::model::*;
use crate::program::Program;
use crate::validated::ValidatedBundle;

impl<'a> ValidatedBundle<'a> {
    // ---- header ----------------------------------------------------------

    /// The bundle's size in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Never true: a validated bundle has at least a header.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The raw bytes that were validated.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn format_version(&self) -> u32 {
        rd32(&self.bytes, H_VERSION)
    }

    pub fn flags(&self) -> u32 {
        rd32(&self.bytes, H_FLAGS)
    }

    /// Whether the string data is stored LZ4-compressed.
    pub fn strings_compressed(&self) -> bool {
        self.flags() & FLAG_STRINGS_LZ4 != 0
    }

    pub fn checksum(&self) -> u64 {
        rd64(&self.bytes, H_CHECKSUM)
    }

    pub fn source_digest(&self) -> [u8; 32] {
        let mut d = [0u8; 32];
        if let Some(s) = proven(self.bytes.get(H_SOURCE_DIGEST..H_SOURCE_DIGEST + 32)) {
            d.copy_from_slice(s);
        }
        d
    }

    pub fn compiler_version(&self) -> &str {
        self.string(rd32(&self.bytes, H_COMPILER_VERSION))
    }

    /// Number of distinct strings, and their total size (uncompressed).
    pub fn string_stats(&self) -> (usize, usize) {
        (
            self.sec(Section::StringEnds).count(),
            self.string_data_len(),
        )
    }

    /// `(name, offset, length)` of every section, in file order.
    pub fn sections(&self) -> impl Iterator<Item = (&'static str, usize, usize)> + '_ {
        Section::ALL.iter().map(|&s| {
            let sec = self.sec(s);
            (s.name(), sec.off, sec.len)
        })
    }

    /// The deepest evaluation stack any program needs.
    pub fn max_stack_depth(&self) -> usize {
        self.max_stack_depth
    }

    // ---- jobs --------------------------------------------------------------

    pub fn job_count(&self) -> usize {
        self.sec(Section::Jobs).count()
    }

    pub fn job(&self, index: usize) -> Option<Job<'_>> {
        (index < self.job_count()).then_some(Job { b: self, index })
    }

    /// Every job, in name order.
    pub fn jobs(&self) -> impl ExactSizeIterator<Item = Job<'_>> + '_ {
        (0..self.job_count()).map(move |index| Job { b: self, index })
    }

    /// The job named `name` (binary search: jobs are sorted by name).
    pub fn find_job(&self, name: &str) -> Option<Job<'_>> {
        let (mut lo, mut hi) = (0, self.job_count());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self
                .string(self.field(Section::Jobs, mid, J_NAME))
                .cmp(name)
            {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return self.job(mid),
            }
        }
        None
    }

    /// Program number `index` (programs are shared by jobs with the same
    /// condition).
    pub fn program(&self, index: usize) -> Option<Program<'_>> {
        (index < self.program_count()).then(|| Program::new(self, index))
    }

    pub fn program_count(&self) -> usize {
        self.sec(Section::Programs).count()
    }

    pub fn settings_count(&self) -> usize {
        self.sec(Section::Settings).count()
    }

    // ---- event index ---------------------------------------------------------

    pub fn event_count(&self) -> usize {
        self.sec(Section::Events).count()
    }

    /// Every event some `start on`/`stop on` mentions, in name order.
    pub fn events(&self) -> impl ExactSizeIterator<Item = IndexedEvent<'_>> + '_ {
        (0..self.event_count()).map(move |index| IndexedEvent { b: self, index })
    }

    pub fn event(&self, index: usize) -> Option<IndexedEvent<'_>> {
        (index < self.event_count()).then_some(IndexedEvent { b: self, index })
    }

    /// The index entry of an event name (binary search), if any job waits
    /// for it.
    pub fn find_event(&self, name: &str) -> Option<IndexedEvent<'_>> {
        let (mut lo, mut hi) = (0, self.event_count());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.string(self.field(Section::Events, mid, F0)).cmp(name) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return self.event(mid),
            }
        }
        None
    }

    /// Decodes the whole bundle back into the writer's input (jobs in name
    /// order). Allocates; for tools and tests, not for the boot path.
    pub fn to_spec(&self) -> BundleSpec {
        BundleSpec {
            compiler_version: self.compiler_version().to_owned(),
            source_digest: self.source_digest(),
            jobs: self.jobs().map(|j| j.to_spec()).collect(),
        }
    }
}

/// Which condition of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Which {
    StartOn,
    StopOn,
}

/// One entry of the event index.
#[derive(Clone, Copy)]
pub struct IndexedEvent<'b> {
    b: &'b ValidatedBundle<'b>,
    index: usize,
}

impl<'b> IndexedEvent<'b> {
    pub fn index(&self) -> usize {
        self.index
    }

    pub fn name(&self) -> &'b str {
        self.b.string(self.b.field(Section::Events, self.index, F0))
    }

    /// The jobs whose `start on` or `stop on` mention the event, in
    /// increasing job order (a job's `start on` before its `stop on`).
    pub fn jobs(&self) -> impl ExactSizeIterator<Item = (usize, Which)> + 'b {
        let b = self.b;
        let refs = b.sec(Section::EventRefs);
        b.range(Section::Events, self.index, F1, Section::EventRefs)
            .map(move |k| {
                let r = rd32(&b.bytes, refs.at(k, 0));
                let which = if r & REF_STOP_ON != 0 {
                    Which::StopOn
                } else {
                    Which::StartOn
                };
                ((r >> 1) as usize, which)
            })
    }
}

/// One job class.
#[derive(Clone, Copy)]
pub struct Job<'b> {
    b: &'b ValidatedBundle<'b>,
    index: usize,
}

impl<'b> Job<'b> {
    fn u32(&self, f: usize) -> u32 {
        self.b.field(Section::Jobs, self.index, f)
    }

    fn s(&self, f: usize) -> u32 {
        self.b.field(Section::Settings, self.settings_index(), f)
    }

    fn opt(&self, f: usize) -> Option<&'b str> {
        self.b.opt_string(self.u32(f))
    }

    fn sopt(&self, f: usize) -> Option<&'b str> {
        self.b.opt_string(self.s(f))
    }

    fn list(&self, f: usize, child: Section) -> impl ExactSizeIterator<Item = &'b str> + 'b {
        let b = self.b;
        let sec = b.sec(child);
        b.range(Section::Jobs, self.index, f, child)
            .map(move |k| b.string(rd32(&b.bytes, sec.at(k, 0))))
    }

    /// Position in name order.
    pub fn index(&self) -> usize {
        self.index
    }

    pub fn name(&self) -> &'b str {
        self.b.string(self.u32(J_NAME))
    }

    /// The `.conf` file, relative to its configuration directory.
    pub fn file(&self) -> &'b str {
        self.b.string(self.u32(J_FILE))
    }

    pub fn override_file(&self) -> Option<&'b str> {
        self.opt(J_OVERRIDE_FILE)
    }

    /// The file a location refers to.
    pub fn file_of(&self, origin: Origin) -> &'b str {
        match origin {
            Origin::Conf => self.file(),
            Origin::Override => self.override_file().unwrap_or_else(|| self.file()),
        }
    }

    pub fn description(&self) -> Option<&'b str> {
        self.opt(J_DESCRIPTION)
    }

    /// Index of the (shared) settings record.
    pub fn settings_index(&self) -> usize {
        self.u32(J_SETTINGS) as usize
    }

    pub fn author(&self) -> Option<&'b str> {
        self.sopt(S_AUTHOR)
    }

    pub fn version(&self) -> Option<&'b str> {
        self.sopt(S_VERSION)
    }

    pub fn usage(&self) -> Option<&'b str> {
        self.sopt(S_USAGE)
    }

    pub fn instance(&self) -> &'b str {
        self.b.string(self.s(S_INSTANCE))
    }

    pub fn chroot(&self) -> Option<&'b str> {
        self.sopt(S_CHROOT)
    }

    pub fn chdir(&self) -> Option<&'b str> {
        self.sopt(S_CHDIR)
    }

    pub fn setuid(&self) -> Option<&'b str> {
        self.sopt(S_SETUID)
    }

    pub fn setgid(&self) -> Option<&'b str> {
        self.sopt(S_SETGID)
    }

    pub fn apparmor_switch(&self) -> Option<&'b str> {
        self.sopt(S_APPARMOR_SWITCH)
    }

    fn flag(&self, bit: u32) -> bool {
        self.s(S_FLAGS) & bit != 0
    }

    pub fn task(&self) -> bool {
        self.flag(SF_TASK)
    }

    pub fn respawn(&self) -> bool {
        self.flag(SF_RESPAWN)
    }

    pub fn debug(&self) -> bool {
        self.flag(SF_DEBUG)
    }

    /// `None`: unlimited.
    pub fn respawn_count(&self) -> Option<u32> {
        self.flag(SF_RESPAWN_COUNT).then(|| self.s(S_RESPAWN_COUNT))
    }

    /// `None`: unlimited.
    pub fn respawn_interval(&self) -> Option<u32> {
        self.flag(SF_RESPAWN_INTERVAL)
            .then(|| self.s(S_RESPAWN_INTERVAL))
    }

    pub fn kill_signal(&self) -> i32 {
        self.s(S_KILL_SIGNAL) as i32
    }

    pub fn reload_signal(&self) -> i32 {
        self.s(S_RELOAD_SIGNAL) as i32
    }

    pub fn nice(&self) -> Option<i8> {
        self.flag(SF_NICE)
            .then(|| proven(i8::try_from(self.s(S_NICE) as i32).ok()).unwrap_or(0))
    }

    pub fn oom_score(&self) -> Option<i16> {
        self.flag(SF_OOM_SCORE)
            .then(|| proven(i16::try_from(self.s(S_OOM_SCORE) as i32).ok()).unwrap_or(0))
    }

    pub fn umask(&self) -> u16 {
        proven(u16::try_from(self.s(S_UMASK)).ok()).unwrap_or(crate::defaults::UMASK)
    }

    pub fn kill_timeout(&self) -> u64 {
        rd64(
            &self.b.bytes,
            self.b
                .sec(Section::Settings)
                .at(self.settings_index(), S_KILL_TIMEOUT),
        )
    }

    pub fn expect(&self) -> Expect {
        proven(Expect::from_code(self.b.byte(
            Section::Settings,
            self.settings_index(),
            S_EXPECT,
        )))
        .unwrap_or_default()
    }

    /// `ready fd N`: the descriptor the main process writes a newline to
    /// when it is ready (with [`Expect::Fd`] only).
    pub fn ready_fd(&self) -> Option<u8> {
        let fd = self
            .b
            .byte(Section::Settings, self.settings_index(), S_READY_FD);
        (fd >= READY_FD_MIN).then_some(fd)
    }

    /// `None`: init's default.
    pub fn console(&self) -> Option<Console> {
        proven(Console::from_code(self.b.byte(
            Section::Settings,
            self.settings_index(),
            S_CONSOLE,
        )))
        .flatten()
    }

    pub fn normal_exit(&self) -> impl ExactSizeIterator<Item = i64> + 'b {
        let b = self.b;
        let sec = b.sec(Section::NormalExits);
        b.range(
            Section::Settings,
            self.settings_index(),
            S_NORMAL_EXITS,
            Section::NormalExits,
        )
        .map(move |k| rd64(&b.bytes, sec.at(k, 0)) as i64)
    }

    pub fn limits(&self) -> impl ExactSizeIterator<Item = LimitSpec> + 'b {
        let b = self.b;
        let sec = b.sec(Section::Limits);
        b.range(
            Section::Settings,
            self.settings_index(),
            S_LIMITS,
            Section::Limits,
        )
        .map(move |k| {
            let flags = rd8(&b.bytes, sec.at(k, L_FLAGS));
            let value =
                |f: usize, bit: u8| (flags & bit == 0).then(|| rd64(&b.bytes, sec.at(k, f)));
            LimitSpec {
                resource: proven(Resource::from_code(rd8(&b.bytes, sec.at(k, L_RESOURCE))))
                    .unwrap_or(Resource::As),
                soft: value(L_SOFT, LF_SOFT_UNLIMITED),
                hard: value(L_HARD, LF_HARD_UNLIMITED),
            }
        })
    }

    pub fn cgroups(&self) -> Vec<CgroupSpec> {
        let b = self.b;
        b.range(
            Section::Settings,
            self.settings_index(),
            S_CGROUPS,
            Section::Cgroups,
        )
        .map(|c| CgroupSpec {
            controller: b.string(b.field(Section::Cgroups, c, F0)).to_owned(),
            names: b
                .range(Section::Cgroups, c, F1, Section::CgroupNames)
                .map(|n| {
                    let name = b.string(b.field(Section::CgroupNames, n, F0)).to_owned();
                    let settings = b
                        .range(Section::CgroupNames, n, F1, Section::CgroupSettings)
                        .map(|s| {
                            (
                                b.string(b.field(Section::CgroupSettings, s, F0)).to_owned(),
                                b.string(b.field(Section::CgroupSettings, s, F1)).to_owned(),
                            )
                        })
                        .collect();
                    (name, settings)
                })
                .collect(),
        })
        .collect()
    }

    /// `env` entries in stanza order (`NAME` or `NAME=VALUE`).
    pub fn env(&self) -> impl ExactSizeIterator<Item = &'b str> + 'b {
        self.list(J_ENV, Section::Env)
    }

    pub fn export(&self) -> impl ExactSizeIterator<Item = &'b str> + 'b {
        self.list(J_EXPORTS, Section::Exports)
    }

    pub fn emits(&self) -> impl ExactSizeIterator<Item = &'b str> + 'b {
        self.list(J_EMITS, Section::Emits)
    }

    /// The processes the job defines, in kind order.
    pub fn processes(&self) -> impl ExactSizeIterator<Item = ProcessView<'b>> + 'b {
        let b = self.b;
        b.range(Section::Jobs, self.index, J_PROCESSES, Section::Processes)
            .map(move |k| ProcessView { b, index: k })
    }

    pub fn process(&self, kind: ProcessKind) -> Option<ProcessView<'b>> {
        self.processes().find(|p| p.kind() == kind)
    }

    fn condition(&self, f: usize, line_f: usize, bit: u32) -> Option<Condition<'b>> {
        let p = self.u32(f);
        (p != NONE).then(|| Condition {
            program: Program::new(self.b, p as usize),
            program_index: p as usize,
            location: Location {
                origin: if self.u32(J_FLAGS) & bit != 0 {
                    Origin::Override
                } else {
                    Origin::Conf
                },
                line: self.u32(line_f),
            },
        })
    }

    pub fn start_on(&self) -> Option<Condition<'b>> {
        self.condition(J_START_ON, J_START_ON_LINE, JF_START_ON_IN_OVERRIDE)
    }

    pub fn stop_on(&self) -> Option<Condition<'b>> {
        self.condition(J_STOP_ON, J_STOP_ON_LINE, JF_STOP_ON_IN_OVERRIDE)
    }

    /// This job as the writer's input.
    pub fn to_spec(&self) -> JobSpec {
        let own = |s: Option<&str>| s.map(str::to_owned);
        let cond = |c: Option<Condition<'_>>| {
            c.map(|c| ConditionSpec {
                code: c.program.instructions().collect(),
                matches: c.program.matches().map(|m| m.to_spec()).collect(),
                location: c.location,
            })
        };
        JobSpec {
            name: self.name().to_owned(),
            file: self.file().to_owned(),
            override_file: own(self.override_file()),
            description: own(self.description()),
            author: own(self.author()),
            version: own(self.version()),
            usage: own(self.usage()),
            processes: self
                .processes()
                .map(|p| ProcessSpec {
                    kind: p.kind(),
                    body: p.body(),
                    text: p.text().to_owned(),
                    location: p.location(),
                })
                .collect(),
            start_on: cond(self.start_on()),
            stop_on: cond(self.stop_on()),
            emits: self.emits().map(str::to_owned).collect(),
            task: self.task(),
            respawn: self.respawn(),
            respawn_count: self.respawn_count(),
            respawn_interval: self.respawn_interval(),
            normal_exit: self.normal_exit().collect(),
            instance: self.instance().to_owned(),
            expect: self.expect(),
            ready_fd: self.ready_fd(),
            kill_timeout: self.kill_timeout(),
            kill_signal: self.kill_signal(),
            reload_signal: self.reload_signal(),
            console: self.console(),
            umask: self.umask(),
            nice: self.nice(),
            oom_score: self.oom_score(),
            limits: self.limits().collect(),
            chroot: own(self.chroot()),
            chdir: own(self.chdir()),
            setuid: own(self.setuid()),
            setgid: own(self.setgid()),
            apparmor_switch: own(self.apparmor_switch()),
            env: self.env().map(str::to_owned).collect(),
            export: self.export().map(str::to_owned).collect(),
            cgroups: self.cgroups(),
            debug: self.debug(),
        }
    }
}

/// A job's `start on` or `stop on`: its (shared) program and where it was
/// written.
#[derive(Clone, Copy)]
pub struct Condition<'b> {
    pub program: Program<'b>,
    pub program_index: usize,
    pub location: Location,
}

/// One process of a job.
#[derive(Clone, Copy)]
pub struct ProcessView<'b> {
    b: &'b ValidatedBundle<'b>,
    index: usize,
}

impl<'b> ProcessView<'b> {
    pub fn kind(&self) -> ProcessKind {
        proven(ProcessKind::from_code(self.b.byte(
            Section::Processes,
            self.index,
            P_KIND,
        )))
        .unwrap_or(ProcessKind::Main)
    }

    pub fn body(&self) -> BodyKind {
        match self.b.byte(Section::Processes, self.index, P_BODY) {
            1 => BodyKind::Script,
            _ => BodyKind::Exec,
        }
    }

    /// The command line (`exec`) or the de-indented script.
    pub fn text(&self) -> &'b str {
        self.b
            .string(self.b.field(Section::Processes, self.index, P_TEXT))
    }

    pub fn location(&self) -> Location {
        Location {
            origin: match self.b.byte(Section::Processes, self.index, P_ORIGIN) {
                1 => Origin::Override,
                _ => Origin::Conf,
            },
            line: self.b.field(Section::Processes, self.index, P_LINE),
        }
    }
}
