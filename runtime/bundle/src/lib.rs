//! `upc-bundle`: the on-disk format of a compiled job set (FORMAT.md).
//!
//! The compiler writes a bundle with [`write()`] from a plain
//! [`BundleSpec`]; the runtime loads it with [`validate`] (or
//! [`validate_owned`]), which checks every byte once and returns a
//! [`ValidatedBundle`] whose accessors read the bytes in place and cannot
//! fail; a [`Program`] evaluates `start on`/`stop on` bytecode against
//! per-job [`OperatorState`]. [`defaults`] holds Upstart's defaults for
//! what a job file leaves out, for every crate that builds a job.
//!
//! This crate is read by PID 1: it depends on `std` only, never panics on
//! any byte string, never loops without a bound and never allocates more
//! than a small multiple of the input's size ([`limits`]).
//!
//! The byte layout, the checksum and the LZ4 codec are private: callers
//! see jobs, programs and errors, never offsets. Test support (`testing`,
//! which also opens those internals to the format's own tests) exists only
//! with the `testing` feature, which only dev-dependencies and the fuzz
//! crates enable.
//!
//! Modules, each depending only on those listed before it:
//! `layout`, `limits`, `model`, `defaults`, `signals`, `checksum`, `lz4`,
//! `entry`, `error` (leaves) -> `cursor` (byte reads, checked lookups)
//! -> `validated` (the bundle type, raw record reads) -> `tables` (the
//! table checks) -> `read` (header, strings, `validate`); `expand`, `glob`
//! -> `program` (evaluation) -> `view` (typed accessors); `write` uses
//! only the leaves; `testing` uses them all.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod checksum;
mod cursor;
pub mod defaults;
mod entry;
mod error;
pub mod expand;
pub mod glob;
mod layout;
pub mod limits;
mod lz4;
pub mod model;
mod program;
mod read;
pub mod signals;
mod tables;
#[cfg(feature = "testing")]
pub mod testing;
mod validated;
mod view;
mod write;

pub use error::{BundleError, BundleErrorKind, ProgramError};
pub use model::*;
pub use program::{ArgView, EventRef, Handled, MatchView, OperatorState, Program};
pub use read::{load, validate, validate_owned};
pub use validated::ValidatedBundle;
pub use view::{Condition, IndexedEvent, Job, ProcessView, Which};
pub use write::{write, write_with, WriteError, WriteOptions};

/// The four bytes every bundle starts with.
pub const MAGIC: [u8; 4] = *b"UPCB";

/// The bundle format version this crate writes and reads. A reader refuses
/// every other version (FORMAT.md, "Versioning").
pub const FORMAT_VERSION: u32 = 2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_is_ascii() {
        assert!(MAGIC.is_ascii());
    }
}
