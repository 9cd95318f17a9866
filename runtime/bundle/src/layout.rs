//! Byte layout of format version 2: header fields, the section directory,
//! record sizes and field offsets, opcodes and enum codes.
//!
//! The single source of truth shared by the writer and the reader; FORMAT.md
//! describes the same numbers in prose. Everything is little-endian.

/// "No string" / "no program" in a reference field.
pub const NONE: u32 = u32::MAX;

// ---- header -------------------------------------------------------------

pub const H_MAGIC: usize = 0;
pub const H_VERSION: usize = 4;
pub const H_FLAGS: usize = 8;
pub const H_TOTAL_LEN: usize = 12;
pub const H_CHECKSUM: usize = 16;
/// The checksum covers every byte from here to the end of the bundle.
pub const CHECKSUM_START: usize = 24;
pub const H_SOURCE_DIGEST: usize = 24;
pub const H_COMPILER_VERSION: usize = 56;
pub const H_SECTION_COUNT: usize = 60;
pub const H_DIRECTORY: usize = 64;
/// Each directory entry: offset u32, byte length u32.
pub const DIRECTORY_ENTRY: usize = 8;
pub const HEADER_SIZE: usize = H_DIRECTORY + SECTION_COUNT * DIRECTORY_ENTRY;

/// Header flag: the string data section is one LZ4 block.
pub const FLAG_STRINGS_LZ4: u32 = 1;
pub const KNOWN_FLAGS: u32 = FLAG_STRINGS_LZ4;

/// Sections start at multiples of this; the gap before one is zero bytes.
pub const SECTION_ALIGN: usize = 8;

// ---- sections -----------------------------------------------------------

/// The sections, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    StringEnds = 0,
    StringData,
    Jobs,
    Settings,
    Processes,
    Env,
    Exports,
    Emits,
    NormalExits,
    Limits,
    Cgroups,
    CgroupNames,
    CgroupSettings,
    Programs,
    Code,
    Matches,
    Args,
    Events,
    EventRefs,
}

pub const SECTION_COUNT: usize = 19;

impl Section {
    pub const ALL: [Section; SECTION_COUNT] = [
        Section::StringEnds,
        Section::StringData,
        Section::Jobs,
        Section::Settings,
        Section::Processes,
        Section::Env,
        Section::Exports,
        Section::Emits,
        Section::NormalExits,
        Section::Limits,
        Section::Cgroups,
        Section::CgroupNames,
        Section::CgroupSettings,
        Section::Programs,
        Section::Code,
        Section::Matches,
        Section::Args,
        Section::Events,
        Section::EventRefs,
    ];

    /// Size of one record (1 for the byte sections).
    pub const fn record_size(self) -> usize {
        match self {
            Section::StringEnds => 4,
            Section::StringData => 1,
            Section::Jobs => JOB_SIZE,
            Section::Settings => SETTINGS_SIZE,
            Section::Processes => PROCESS_SIZE,
            Section::Env | Section::Exports | Section::Emits => 4,
            Section::NormalExits => 8,
            Section::Limits => LIMIT_SIZE,
            Section::Cgroups | Section::CgroupNames | Section::CgroupSettings => 8,
            Section::Programs => 8,
            Section::Code => 1,
            Section::Matches => 8,
            Section::Args => ARG_SIZE,
            Section::Events => 8,
            Section::EventRefs => 4,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Section::StringEnds => "string ends",
            Section::StringData => "string data",
            Section::Jobs => "jobs",
            Section::Settings => "settings",
            Section::Processes => "processes",
            Section::Env => "env",
            Section::Exports => "exports",
            Section::Emits => "emits",
            Section::NormalExits => "normal exits",
            Section::Limits => "limits",
            Section::Cgroups => "cgroups",
            Section::CgroupNames => "cgroup names",
            Section::CgroupSettings => "cgroup settings",
            Section::Programs => "programs",
            Section::Code => "code",
            Section::Matches => "matches",
            Section::Args => "args",
            Section::Events => "events",
            Section::EventRefs => "event refs",
        }
    }

    pub const fn index(self) -> usize {
        self as usize
    }
}

// ---- job record (56 bytes) ----------------------------------------------

pub const JOB_SIZE: usize = 56;
pub const J_NAME: usize = 0;
pub const J_FILE: usize = 4;
pub const J_OVERRIDE_FILE: usize = 8;
pub const J_DESCRIPTION: usize = 12;
pub const J_SETTINGS: usize = 16;
pub const J_START_ON: usize = 20;
pub const J_STOP_ON: usize = 24;
pub const J_START_ON_LINE: usize = 28;
pub const J_STOP_ON_LINE: usize = 32;
pub const J_FLAGS: usize = 36;
pub const J_PROCESSES: usize = 40;
pub const J_ENV: usize = 44;
pub const J_EXPORTS: usize = 48;
pub const J_EMITS: usize = 52;

/// Job flag: the `start on` was written in the override file.
pub const JF_START_ON_IN_OVERRIDE: u32 = 1;
/// Job flag: the `stop on` was written in the override file.
pub const JF_STOP_ON_IN_OVERRIDE: u32 = 2;
pub const JF_KNOWN: u32 = JF_START_ON_IN_OVERRIDE | JF_STOP_ON_IN_OVERRIDE;

// ---- settings record (96 bytes, shared by jobs) --------------------------

pub const SETTINGS_SIZE: usize = 96;
pub const S_AUTHOR: usize = 0;
pub const S_VERSION: usize = 4;
pub const S_USAGE: usize = 8;
pub const S_INSTANCE: usize = 12;
pub const S_CHROOT: usize = 16;
pub const S_CHDIR: usize = 20;
pub const S_SETUID: usize = 24;
pub const S_SETGID: usize = 28;
pub const S_APPARMOR_SWITCH: usize = 32;
pub const S_NORMAL_EXITS: usize = 36;
pub const S_LIMITS: usize = 40;
pub const S_CGROUPS: usize = 44;
pub const S_FLAGS: usize = 48;
pub const S_RESPAWN_COUNT: usize = 52;
pub const S_RESPAWN_INTERVAL: usize = 56;
pub const S_KILL_SIGNAL: usize = 60;
pub const S_RELOAD_SIGNAL: usize = 64;
pub const S_NICE: usize = 68;
pub const S_OOM_SCORE: usize = 72;
pub const S_UMASK: usize = 76;
pub const S_KILL_TIMEOUT: usize = 80;
pub const S_EXPECT: usize = 88;
pub const S_CONSOLE: usize = 89;
/// `ready fd N`: N (3..=255) with expect `fd`, else 0.
pub const S_READY_FD: usize = 90;
/// Bytes 91..96 are zero.
pub const S_PAD: usize = 91;
pub use crate::model::READY_FD_MIN;

pub const SF_TASK: u32 = 1;
pub const SF_RESPAWN: u32 = 1 << 1;
pub const SF_DEBUG: u32 = 1 << 2;
pub const SF_NICE: u32 = 1 << 3;
pub const SF_OOM_SCORE: u32 = 1 << 4;
pub const SF_RESPAWN_COUNT: u32 = 1 << 5;
pub const SF_RESPAWN_INTERVAL: u32 = 1 << 6;
pub const SF_KNOWN: u32 = (1 << 7) - 1;

// ---- process record (12 bytes) -------------------------------------------

pub const PROCESS_SIZE: usize = 12;
pub const P_KIND: usize = 0;
pub const P_BODY: usize = 1;
pub const P_ORIGIN: usize = 2;
pub const P_PAD: usize = 3;
pub const P_TEXT: usize = 4;
pub const P_LINE: usize = 8;

// ---- limit record (24 bytes) ----------------------------------------------

pub const LIMIT_SIZE: usize = 24;
pub const L_RESOURCE: usize = 0;
pub const L_FLAGS: usize = 1;
/// Bytes 2..8 are zero.
pub const L_PAD: usize = 2;
pub const L_SOFT: usize = 8;
pub const L_HARD: usize = 16;
pub const LF_SOFT_UNLIMITED: u8 = 1;
pub const LF_HARD_UNLIMITED: u8 = 2;

// ---- argument record (12 bytes) -------------------------------------------

pub const ARG_SIZE: usize = 12;
pub const A_KIND: usize = 0;
/// Bytes 1..4 are zero.
pub const A_PAD: usize = 1;
pub const A_KEY: usize = 4;
pub const A_PATTERN: usize = 8;

// ---- two-field records (8 bytes): offsets of the fields -----------------

/// First field of an 8-byte record (a string, or a program's code start).
pub const F0: usize = 0;
/// Second field of an 8-byte record (usually the first child, CSR).
pub const F1: usize = 4;

// ---- bytecode --------------------------------------------------------------

/// Push the value of the program's next match (matches are taken in order).
pub const OP_MATCH: u8 = 1;
/// Pop two values, push their conjunction.
pub const OP_AND: u8 = 2;
/// Pop two values, push their disjunction.
pub const OP_OR: u8 = 3;

/// Bit 0 of an event reference: the job's `stop on` (else its `start on`).
pub const REF_STOP_ON: u32 = 1;
