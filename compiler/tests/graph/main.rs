//! The whole-set checks: minimal job sets per finding (`checks`), the real
//! corpus (`corpus`), and the fixture sets under `tests/fixtures/graph/`
//! rendered for people (`fixtures`, insta snapshots).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod checks;
mod corpus;
mod fixtures;
