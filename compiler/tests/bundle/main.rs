//! The bundle `upc build` writes: built from job files, the corpus, the
//! dump, its size figures, and property tests of the round trip.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod build;
mod corpus;
mod dump;
mod figures;
mod props;
