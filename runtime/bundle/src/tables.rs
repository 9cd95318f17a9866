//! The table checks of the validating reader: every reference, enum,
//! range, sort order and CSR column of every table, every program's stack
//! discipline, and the event index against the programs. They run on a
//! bundle whose header, section directory and strings `read.rs` has
//! already validated, and read only inside validated sections.

use crate::cursor::{check_zero, err, proven, rd32, rd8, Sec};
use crate::error::{BundleError, BundleErrorKind, ProgramError};
use crate::layout::*;
use crate::limits;
use crate::model::{Console, Expect, ProcessKind, Resource};

/// Field `f` (a little-endian u32) of a record read as an array: with a
/// constant `f` the compiler proves the read in bounds, so a check costs a
/// load, not a bounds test.
#[inline(always)]
fn f32<const N: usize>(rec: &[u8; N], f: usize) -> u32 {
    match rec.get(f..f + 4) {
        Some(&[x0, x1, x2, x3]) => u32::from_le_bytes([x0, x1, x2, x3]),
        _ => 0,
    }
}

/// Byte `f` of a record read as an array.
#[inline(always)]
fn f8<const N: usize>(rec: &[u8; N], f: usize) -> u8 {
    rec.get(f).copied().unwrap_or(0)
}

/// The table checks, run on a bundle whose header and strings are valid.
/// It keeps what every check reads (the bytes, the section directory, the
/// string data) at hand rather than going through the bundle each time:
/// validation reads every field of every record once.
pub(crate) struct Checker<'v> {
    bytes: &'v [u8],
    secs: [Sec; SECTION_COUNT],
    /// The string data, already checked (UTF-8, every end on a boundary).
    text: &'v str,
    n_strings: usize,
}

impl<'v> Checker<'v> {
    pub fn new(bytes: &'v [u8], secs: [Sec; SECTION_COUNT], text: &'v str) -> Checker<'v> {
        let n_strings = proven(secs.get(Section::StringEnds.index())).map_or(0, |s| s.count());
        Checker {
            bytes,
            secs,
            text,
            n_strings,
        }
    }

    #[inline]
    fn sec(&self, s: Section) -> Sec {
        proven(self.secs.get(s.index()).copied()).unwrap_or_default()
    }

    #[inline]
    #[track_caller]
    fn u32(&self, at: usize) -> u32 {
        rd32(self.bytes, at)
    }

    #[inline]
    #[track_caller]
    fn u8(&self, at: usize) -> u8 {
        rd8(self.bytes, at)
    }

    /// The children of record `i` of `parent` in `child` (CSR column `f`),
    /// once the column is checked.
    fn children(&self, parent: Section, i: usize, f: usize, child: Section) -> (usize, usize) {
        let p = self.sec(parent);
        let first = self.u32(p.at(i, f)) as usize;
        let end = if i + 1 < p.count() {
            self.u32(p.at(i + 1, f)) as usize
        } else {
            self.sec(child).count()
        };
        (first, end.max(first))
    }

    /// The records of section `s`, `N` bytes each, in order (the directory
    /// check proved the section in bounds and a whole number of records).
    fn records<const N: usize>(&self, s: Section) -> impl Iterator<Item = &'v [u8; N]> + 'v {
        let sec = self.sec(s);
        debug_assert_eq!(sec.rec, N);
        proven(self.bytes.get(sec.off..sec.off + sec.len))
            .unwrap_or_default()
            .chunks_exact(N)
            .filter_map(|r| <&[u8; N]>::try_from(r).ok())
    }

    /// String number `i`, once string references are checked.
    fn string(&self, i: u32) -> &'v str {
        let ends = self.sec(Section::StringEnds);
        let i = i as usize;
        let end = self.u32(ends.at(i, 0)) as usize;
        let start = match i {
            0 => 0,
            _ => self.u32(ends.at(i - 1, 0)) as usize,
        };
        proven(self.text.get(start..end)).unwrap_or("")
    }

    pub fn string_ref(
        &self,
        at: usize,
        value: u32,
        optional: bool,
        what: &'static str,
    ) -> Result<(), BundleError> {
        if value == NONE {
            return if optional {
                Ok(())
            } else {
                Err(err(at, BundleErrorKind::MissingReference { what }))
            };
        }
        self.index(at, value, self.n_strings, what)
    }

    fn index(
        &self,
        at: usize,
        value: u32,
        count: usize,
        what: &'static str,
    ) -> Result<(), BundleError> {
        if value as usize >= count {
            return Err(err(
                at,
                BundleErrorKind::IndexOutOfRange {
                    what,
                    index: u64::from(value),
                    count: count as u64,
                },
            ));
        }
        Ok(())
    }

    fn string_fields<const N: usize>(
        &self,
        s: Section,
        fields: &[(usize, bool, &'static str)],
    ) -> Result<(), BundleError> {
        let sec = self.sec(s);
        for (i, rec) in self.records::<N>(s).enumerate() {
            for &(f, optional, what) in fields {
                self.string_ref(sec.at(i, f), f32(rec, f), optional, what)?;
            }
        }
        Ok(())
    }

    /// Checks CSR columns of `parent`: field `f` of every record is the
    /// index of its first child in `child`; the firsts start at 0 and never
    /// decrease, and the last record's children run to the end of `child`.
    /// So the children of consecutive records tile `child` exactly. All the
    /// columns of a table are checked in one pass over it.
    fn csr<const N: usize>(
        &self,
        parent: Section,
        columns: &[(usize, Section, &'static str)],
    ) -> Result<(), BundleError> {
        let p = self.sec(parent);
        // Per column: the least first child the next record may name, and
        // the size of the child table.
        let mut state: Vec<(usize, usize)> = columns
            .iter()
            .map(|&(_, child, _)| (0, self.sec(child).count()))
            .collect();
        for (i, rec) in self.records::<N>(parent).enumerate() {
            for (&(f, _, what), (expected, total)) in columns.iter().zip(state.iter_mut()) {
                let first = f32(rec, f) as usize;
                if (i == 0 && first != 0) || first < *expected {
                    return Err(err(
                        p.at(i, f),
                        BundleErrorKind::RangeNotTiling {
                            what,
                            expected: *expected as u64,
                            found: first as u64,
                        },
                    ));
                }
                if first > *total {
                    return Err(err(
                        p.at(i, f),
                        BundleErrorKind::OffsetOutOfRange {
                            what,
                            offset: first as u64,
                            len: *total as u64,
                        },
                    ));
                }
                *expected = first;
            }
        }
        for &(_, child, what) in columns {
            let c = self.sec(child);
            if p.count() == 0 && c.count() != 0 {
                return Err(err(
                    c.off,
                    BundleErrorKind::RangeNotTiling {
                        what,
                        expected: 0,
                        found: c.count() as u64,
                    },
                ));
            }
        }
        Ok(())
    }

    fn enum_field(&self, at: usize, ok: bool, what: &'static str) -> Result<(), BundleError> {
        if ok {
            Ok(())
        } else {
            Err(err(
                at,
                BundleErrorKind::BadEnum {
                    what,
                    value: u64::from(self.u8(at)),
                },
            ))
        }
    }

    fn zero(&self, from: usize, len: usize) -> Result<(), BundleError> {
        check_zero(self.bytes, from, from + len)
    }

    pub fn args(&self) -> Result<(), BundleError> {
        let s = self.sec(Section::Args);
        for i in 0..s.count() {
            let kind_at = s.at(i, A_KIND);
            let kind = self.u8(kind_at);
            self.enum_field(kind_at, kind <= 2, "argument kind")?;
            self.zero(s.at(i, A_PAD), 3)?;
            let key_at = s.at(i, A_KEY);
            let key = self.u32(key_at);
            if kind == 0 {
                if key != NONE {
                    return Err(err(
                        key_at,
                        BundleErrorKind::ValueOutOfRange {
                            what: "key of a positional argument",
                            value: i64::from(key),
                        },
                    ));
                }
            } else {
                self.string_ref(key_at, key, false, "argument key")?;
            }
            let at = s.at(i, A_PATTERN);
            self.string_ref(at, self.u32(at), false, "argument pattern")?;
        }
        Ok(())
    }

    pub fn matches(&self) -> Result<(), BundleError> {
        self.csr::<8>(
            Section::Matches,
            &[(F1, Section::Args, "first argument of a match")],
        )?;
        let s = self.sec(Section::Matches);
        let events = self.sec(Section::Events).count();
        for i in 0..s.count() {
            let at = s.at(i, F0);
            self.index(at, self.u32(at), events, "event of a match")?;
        }
        Ok(())
    }

    /// Checks every program's stack discipline; returns the deepest stack.
    pub fn programs(&self) -> Result<usize, BundleError> {
        self.csr::<8>(
            Section::Programs,
            &[
                (F0, Section::Code, "first instruction of a program"),
                (F1, Section::Matches, "first match of a program"),
            ],
        )?;
        let p = self.sec(Section::Programs);
        let code = self.sec(Section::Code);
        let mut max_depth = 0usize;
        for i in 0..p.count() {
            let (c0, c1) = self.children(Section::Programs, i, F0, Section::Code);
            let (m0, m1) = self.children(Section::Programs, i, F1, Section::Matches);
            let program_err = |reason| {
                err(
                    p.at(i, F0),
                    BundleErrorKind::BadProgram {
                        program: i as u64,
                        reason,
                    },
                )
            };
            if c1 - c0 > limits::MAX_PROGRAM_LEN {
                return Err(err(
                    p.at(i, F0),
                    BundleErrorKind::LimitExceeded {
                        what: "a program's length",
                        limit: limits::MAX_PROGRAM_LEN as u64,
                        found: (c1 - c0) as u64,
                    },
                ));
            }
            if c1 == c0 {
                return Err(program_err(ProgramError::Empty));
            }
            let ops = proven(self.bytes.get(code.off + c0..code.off + c1)).unwrap_or_default();
            let mut depth = 0usize;
            let mut seen = 0usize;
            for (k, &op) in ops.iter().enumerate() {
                match op {
                    OP_MATCH => {
                        depth += 1;
                        seen += 1;
                        max_depth = max_depth.max(depth);
                    }
                    OP_AND | OP_OR => {
                        if depth < 2 {
                            return Err(err(
                                code.off + c0 + k,
                                BundleErrorKind::BadProgram {
                                    program: i as u64,
                                    reason: ProgramError::StackUnderflow { at: k as u64 },
                                },
                            ));
                        }
                        depth -= 1;
                    }
                    opcode => {
                        return Err(err(
                            code.off + c0 + k,
                            BundleErrorKind::BadProgram {
                                program: i as u64,
                                reason: ProgramError::BadOpcode {
                                    at: k as u64,
                                    opcode,
                                },
                            },
                        ))
                    }
                }
            }
            if depth != 1 {
                return Err(program_err(ProgramError::FinalDepth {
                    depth: depth as u64,
                }));
            }
            if seen != m1 - m0 {
                return Err(program_err(ProgramError::MatchCount {
                    instructions: seen as u64,
                    matches: (m1 - m0) as u64,
                }));
            }
        }
        Ok(max_depth)
    }

    pub fn cgroups(&self) -> Result<(), BundleError> {
        self.csr::<8>(
            Section::Cgroups,
            &[(F1, Section::CgroupNames, "first name of a cgroup")],
        )?;
        self.csr::<8>(
            Section::CgroupNames,
            &[(
                F1,
                Section::CgroupSettings,
                "first setting of a cgroup name",
            )],
        )?;
        self.string_fields::<8>(Section::Cgroups, &[(F0, false, "cgroup controller")])?;
        self.string_fields::<8>(Section::CgroupNames, &[(F0, false, "cgroup name")])?;
        self.string_fields::<8>(
            Section::CgroupSettings,
            &[
                (F0, false, "cgroup setting key"),
                (F1, false, "cgroup setting value"),
            ],
        )
    }

    pub fn limits(&self) -> Result<(), BundleError> {
        let s = self.sec(Section::Limits);
        for i in 0..s.count() {
            let r_at = s.at(i, L_RESOURCE);
            self.enum_field(
                r_at,
                Resource::from_code(self.u8(r_at)).is_some(),
                "limit resource",
            )?;
            let f_at = s.at(i, L_FLAGS);
            let flags = self.u8(f_at);
            self.enum_field(
                f_at,
                flags <= (LF_SOFT_UNLIMITED | LF_HARD_UNLIMITED),
                "limit flags",
            )?;
            self.zero(s.at(i, L_PAD), 6)?;
            if flags & LF_SOFT_UNLIMITED != 0 {
                self.zero(s.at(i, L_SOFT), 8)?;
            }
            if flags & LF_HARD_UNLIMITED != 0 {
                self.zero(s.at(i, L_HARD), 8)?;
            }
        }
        Ok(())
    }

    pub fn settings(&self) -> Result<(), BundleError> {
        let s = self.sec(Section::Settings);
        self.csr::<SETTINGS_SIZE>(
            Section::Settings,
            &[
                (S_NORMAL_EXITS, Section::NormalExits, "first normal exit"),
                (S_LIMITS, Section::Limits, "first limit"),
                (S_CGROUPS, Section::Cgroups, "first cgroup"),
            ],
        )?;
        self.string_fields::<SETTINGS_SIZE>(
            Section::Settings,
            &[
                (S_AUTHOR, true, "author"),
                (S_VERSION, true, "version"),
                (S_USAGE, true, "usage"),
                (S_INSTANCE, false, "instance"),
                (S_CHROOT, true, "chroot"),
                (S_CHDIR, true, "chdir"),
                (S_SETUID, true, "setuid"),
                (S_SETGID, true, "setgid"),
                (S_APPARMOR_SWITCH, true, "apparmor switch"),
            ],
        )?;
        let limits = self.sec(Section::Limits);
        let mut records = self
            .records::<SETTINGS_SIZE>(Section::Settings)
            .enumerate()
            .peekable();
        while let Some((i, rec)) = records.next() {
            let flags = f32(rec, S_FLAGS);
            if flags & !SF_KNOWN != 0 {
                return Err(err(
                    s.at(i, S_FLAGS),
                    BundleErrorKind::BadEnum {
                        what: "settings flags",
                        value: u64::from(flags),
                    },
                ));
            }
            let ranged = |f: usize, bit: u32, lo: i64, hi: i64, what: &'static str| {
                let value = i64::from(f32(rec, f) as i32);
                let ok = if flags & bit != 0 {
                    (lo..=hi).contains(&value)
                } else {
                    value == 0
                };
                if ok {
                    Ok(())
                } else {
                    Err(err(
                        s.at(i, f),
                        BundleErrorKind::ValueOutOfRange { what, value },
                    ))
                }
            };
            ranged(S_NICE, SF_NICE, -20, 19, "nice")?;
            ranged(S_OOM_SCORE, SF_OOM_SCORE, -1000, 1000, "oom score")?;
            let count_bits = [
                (S_RESPAWN_COUNT, SF_RESPAWN_COUNT, "respawn limit count"),
                (
                    S_RESPAWN_INTERVAL,
                    SF_RESPAWN_INTERVAL,
                    "respawn limit interval",
                ),
            ];
            for (f, bit, what) in count_bits {
                let value = f32(rec, f);
                if flags & bit == 0 && value != 0 {
                    return Err(err(
                        s.at(i, f),
                        BundleErrorKind::ValueOutOfRange {
                            what,
                            value: i64::from(value),
                        },
                    ));
                }
            }
            let umask = f32(rec, S_UMASK);
            if umask > 0o777 {
                return Err(err(
                    s.at(i, S_UMASK),
                    BundleErrorKind::ValueOutOfRange {
                        what: "umask",
                        value: i64::from(umask),
                    },
                ));
            }
            self.enum_field(
                s.at(i, S_EXPECT),
                Expect::from_code(f8(rec, S_EXPECT)).is_some(),
                "expect",
            )?;
            // `ready fd N` goes with expect `fd` and only with it.
            let ready_fd = f8(rec, S_READY_FD);
            let with_fd = Expect::from_code(f8(rec, S_EXPECT)) == Some(Expect::Fd);
            if with_fd != (ready_fd >= READY_FD_MIN) {
                return Err(err(
                    s.at(i, S_READY_FD),
                    BundleErrorKind::ValueOutOfRange {
                        what: if with_fd {
                            "ready fd (expect fd needs 3..=255)"
                        } else {
                            "ready fd (only with expect fd)"
                        },
                        value: i64::from(ready_fd),
                    },
                ));
            }
            self.enum_field(
                s.at(i, S_CONSOLE),
                Console::from_code(f8(rec, S_CONSOLE)).is_some(),
                "console",
            )?;
            if let Some(k) = rec
                .get(S_PAD..)
                .and_then(|pad| pad.iter().position(|&b| b != 0))
            {
                return Err(err(s.at(i, S_PAD) + k, BundleErrorKind::NonZeroPadding));
            }
            // Limits of one settings record: resources strictly increasing.
            let l0 = f32(rec, S_LIMITS) as usize;
            let l1 = records
                .peek()
                .map_or(limits.count(), |(_, next)| f32(next, S_LIMITS) as usize)
                .max(l0);
            for k in l0 + 1..l1 {
                let prev = self.u8(limits.at(k - 1, L_RESOURCE));
                if self.u8(limits.at(k, L_RESOURCE)) <= prev {
                    return Err(err(
                        limits.at(k, L_RESOURCE),
                        BundleErrorKind::NotSorted {
                            what: "the limits of a job",
                        },
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn processes(&self) -> Result<(), BundleError> {
        let s = self.sec(Section::Processes);
        for i in 0..s.count() {
            let k_at = s.at(i, P_KIND);
            self.enum_field(
                k_at,
                ProcessKind::from_code(self.u8(k_at)).is_some(),
                "process kind",
            )?;
            let b_at = s.at(i, P_BODY);
            self.enum_field(b_at, self.u8(b_at) <= 1, "process body kind")?;
            let o_at = s.at(i, P_ORIGIN);
            self.enum_field(o_at, self.u8(o_at) <= 1, "process origin")?;
            self.zero(s.at(i, P_PAD), 1)?;
            let t_at = s.at(i, P_TEXT);
            self.string_ref(t_at, self.u32(t_at), false, "process text")?;
        }
        Ok(())
    }

    pub fn string_lists(&self) -> Result<(), BundleError> {
        for (s, what) in [
            (Section::Env, "env entry"),
            (Section::Exports, "export entry"),
            (Section::Emits, "emits entry"),
        ] {
            self.string_fields::<4>(s, &[(0, false, what)])?;
        }
        Ok(())
    }

    pub fn jobs(&self) -> Result<(), BundleError> {
        let s = self.sec(Section::Jobs);
        let n = s.count();
        if n > limits::MAX_JOBS {
            return Err(err(
                H_DIRECTORY + Section::Jobs.index() * DIRECTORY_ENTRY + 4,
                BundleErrorKind::LimitExceeded {
                    what: "the number of jobs",
                    limit: limits::MAX_JOBS as u64,
                    found: n as u64,
                },
            ));
        }
        self.csr::<JOB_SIZE>(
            Section::Jobs,
            &[
                (J_PROCESSES, Section::Processes, "first process of a job"),
                (J_ENV, Section::Env, "first env entry of a job"),
                (J_EXPORTS, Section::Exports, "first export of a job"),
                (J_EMITS, Section::Emits, "first emits entry of a job"),
            ],
        )?;
        self.string_fields::<JOB_SIZE>(
            Section::Jobs,
            &[
                (J_NAME, false, "job name"),
                (J_FILE, false, "job file"),
                (J_OVERRIDE_FILE, true, "override file"),
                (J_DESCRIPTION, true, "description"),
            ],
        )?;
        let settings = self.sec(Section::Settings).count();
        let programs = self.sec(Section::Programs).count();
        let procs = self.sec(Section::Processes);
        let mut prev_name = "";
        let mut jobs = self
            .records::<JOB_SIZE>(Section::Jobs)
            .enumerate()
            .peekable();
        while let Some((i, rec)) = jobs.next() {
            self.index(
                s.at(i, J_SETTINGS),
                f32(rec, J_SETTINGS),
                settings,
                "settings of a job",
            )?;
            let flags = f32(rec, J_FLAGS);
            let has_override = f32(rec, J_OVERRIDE_FILE) != NONE;
            let bad_flags = flags & !JF_KNOWN != 0 || (flags != 0 && !has_override);
            if bad_flags {
                return Err(err(
                    s.at(i, J_FLAGS),
                    BundleErrorKind::BadEnum {
                        what: "job flags",
                        value: u64::from(flags),
                    },
                ));
            }
            for (f, line_f, bit) in [
                (J_START_ON, J_START_ON_LINE, JF_START_ON_IN_OVERRIDE),
                (J_STOP_ON, J_STOP_ON_LINE, JF_STOP_ON_IN_OVERRIDE),
            ] {
                let p = f32(rec, f);
                if p == NONE {
                    if f32(rec, line_f) != 0 || flags & bit != 0 {
                        return Err(err(s.at(i, line_f), BundleErrorKind::NonZeroPadding));
                    }
                } else {
                    self.index(s.at(i, f), p, programs, "program of a job")?;
                }
            }
            // This job's processes: from its first to the next job's (the
            // column is checked), each kind after the one before.
            let p0 = f32(rec, J_PROCESSES) as usize;
            let p1 = jobs
                .peek()
                .map_or(procs.count(), |(_, next)| f32(next, J_PROCESSES) as usize)
                .max(p0);
            let mut prev_kind = None;
            for k in p0..p1 {
                let o_at = procs.at(k, P_ORIGIN);
                if self.u8(o_at) == 1 && !has_override {
                    return Err(err(
                        o_at,
                        BundleErrorKind::BadEnum {
                            what: "process origin (the job has no override file)",
                            value: 1,
                        },
                    ));
                }
                let kind = self.u8(procs.at(k, P_KIND));
                if prev_kind.is_some_and(|prev| kind <= prev) {
                    return Err(err(
                        procs.at(k, P_KIND),
                        BundleErrorKind::NotSorted {
                            what: "the processes of a job",
                        },
                    ));
                }
                prev_kind = Some(kind);
            }
            let here = self.string(f32(rec, J_NAME));
            if i > 0 && prev_name >= here {
                return Err(err(
                    s.at(i, J_NAME),
                    BundleErrorKind::NotSorted { what: "job names" },
                ));
            }
            prev_name = here;
        }
        Ok(())
    }

    pub fn events(&self) -> Result<(), BundleError> {
        let s = self.sec(Section::Events);
        let n = s.count();
        if n > limits::MAX_EVENTS {
            return Err(err(
                H_DIRECTORY + Section::Events.index() * DIRECTORY_ENTRY + 4,
                BundleErrorKind::LimitExceeded {
                    what: "the number of events",
                    limit: limits::MAX_EVENTS as u64,
                    found: n as u64,
                },
            ));
        }
        self.csr::<8>(
            Section::Events,
            &[(F1, Section::EventRefs, "first reference of an event")],
        )?;
        self.string_fields::<8>(Section::Events, &[(F0, false, "event name")])?;
        let mut prev_name = "";
        for i in 0..n {
            let (r0, r1) = self.children(Section::Events, i, F1, Section::EventRefs);
            if r0 == r1 {
                return Err(err(
                    s.at(i, F1),
                    BundleErrorKind::MissingReference {
                        what: "a job waiting for the event",
                    },
                ));
            }
            let here = self.string(self.u32(s.at(i, F0)));
            if i > 0 && prev_name >= here {
                return Err(err(
                    s.at(i, F0),
                    BundleErrorKind::NotSorted {
                        what: "event names",
                    },
                ));
            }
            prev_name = here;
        }
        Ok(())
    }

    /// The event index must list, for each event, exactly the (job, start
    /// on / stop on) pairs whose program mentions the event, in increasing
    /// order. Walks the jobs in order and consumes each event's list with a
    /// cursor: linear in the size of the programs and the index.
    pub fn event_index(&self) -> Result<(), BundleError> {
        let events = self.sec(Section::Events);
        let refs = self.sec(Section::EventRefs);

        let matches = self.sec(Section::Matches);
        let n_events = events.count();
        // Distinct events per program, as CSR (`seen` holds program + 1).
        let n_programs = self.sec(Section::Programs).count();
        let mut seen = vec![0u32; n_events];
        let mut program_events: Vec<u32> = Vec::with_capacity(matches.count());
        let mut program_first: Vec<usize> = Vec::with_capacity(n_programs + 1);
        // The programs' matches tile the match table in order (checked):
        // walk both tables once, side by side.
        let mut programs = self.records::<8>(Section::Programs).peekable();
        let mut match_records = self.records::<8>(Section::Matches);
        let mut p = 0u32;
        while let Some(program) = programs.next() {
            p += 1;
            program_first.push(program_events.len());
            let m0 = f32(program, F1) as usize;
            let m1 = programs
                .peek()
                .map_or(matches.count(), |next| f32(next, F1) as usize);
            for m in match_records.by_ref().take(m1.saturating_sub(m0)) {
                let e = f32(m, F0);
                if let Some(mark) = proven(seen.get_mut(e as usize)) {
                    if *mark != p {
                        *mark = p;
                        program_events.push(e);
                    }
                }
            }
        }
        program_first.push(program_events.len());
        // Per event: (next reference to consume, end of its references).
        let mut cursor: Vec<(usize, usize)> = Vec::with_capacity(n_events);
        let mut event_records = self.records::<8>(Section::Events).peekable();
        while let Some(event) = event_records.next() {
            let r0 = f32(event, F1) as usize;
            let r1 = event_records
                .peek()
                .map_or(refs.count(), |next| f32(next, F1) as usize);
            cursor.push((r0, r1.max(r0)));
        }
        for (j, job) in self.records::<JOB_SIZE>(Section::Jobs).enumerate() {
            for (f, which) in [(J_START_ON, 0), (J_STOP_ON, REF_STOP_ON)] {
                let p = f32(job, f);
                if p == NONE {
                    continue;
                }
                let expected = (j as u32) << 1 | which;
                let p = p as usize;
                let (e0, e1) = (
                    proven(program_first.get(p).copied()).unwrap_or(0),
                    proven(program_first.get(p + 1).copied()).unwrap_or(0),
                );
                for &e in proven(program_events.get(e0..e1)).unwrap_or_default() {
                    let e = e as usize;
                    let Some((c, end)) = proven(cursor.get_mut(e)) else {
                        continue;
                    };
                    let end = *end;
                    let found = (*c < end).then(|| self.u32(refs.at(*c, 0)));
                    if found != Some(expected) {
                        let at = if *c < end {
                            refs.at(*c, 0)
                        } else {
                            events.at(e, F1)
                        };
                        return Err(err(
                            at,
                            BundleErrorKind::EventIndexMismatch {
                                event: e as u64,
                                expected: Some(u64::from(expected)),
                                found: found.map(u64::from),
                            },
                        ));
                    }
                    *c += 1;
                }
            }
        }
        for (e, &(c, end)) in cursor.iter().enumerate() {
            if c != end {
                return Err(err(
                    refs.at(c, 0),
                    BundleErrorKind::EventIndexMismatch {
                        event: e as u64,
                        expected: None,
                        found: Some(u64::from(self.u32(refs.at(c, 0)))),
                    },
                ));
            }
        }
        Ok(())
    }
}
