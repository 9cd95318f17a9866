//! `upc-bundle`: the on-disk format of a compiled job set (FORMAT.md).
//!
//! The compiler writes a bundle with [`write::write`] from a plain
//! [`BundleSpec`]; the runtime loads it with [`read::validate`], which checks
//! every byte once and returns a [`ValidatedBundle`] whose accessors read the
//! bytes in place and cannot fail; [`program`] evaluates `start on`/`stop
//! on` bytecode against per-job operator state.
//!
//! This crate is read by PID 1: it depends on `std` only, never panics on
//! any byte string, never loops without a bound and never allocates more
//! than a small multiple of the input's size ([`limits`]).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod checksum;
pub mod error;
pub mod expand;
pub mod glob;
pub mod layout;
pub mod limits;
pub mod lz4;
pub mod model;
pub mod program;
pub mod read;
pub mod signals;
#[doc(hidden)]
mod tables;
#[doc(hidden)]
pub mod testing;
mod view;
pub mod write;

pub use error::{BundleError, ErrorKind, ProgramError};
pub use model::*;
pub use program::{EventRef, Handled, OperatorState, Program};
pub use read::{load, validate, validate_owned, ValidatedBundle};
pub use view::{Condition, IndexedEvent, Job, ProcessView, Which};
pub use write::{write, write_with, WriteError, WriteOptions};

/// The four bytes every bundle starts with.
pub const MAGIC: [u8; 4] = *b"UPCB";

/// The bundle format version this crate writes and reads. A reader refuses
/// every other version (FORMAT.md, "Versioning").
pub const FORMAT_VERSION: u32 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_is_ascii() {
        assert!(MAGIC.is_ascii());
    }
}
