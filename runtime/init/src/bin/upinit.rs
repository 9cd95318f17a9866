//! `upinit`: the IO shell around `upc-machine`.
//!
//! Not built yet (see the runtime issues). Until it is, it refuses to run
//! rather than pretend to be an init: it prints what it is and exits 2.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

fn main() {
    eprintln!(
        "upinit {}: the runtime is not implemented yet (bundle format {}); use `upc check`",
        env!("CARGO_PKG_VERSION"),
        upc_machine::BUNDLE_FORMAT
    );
    std::process::exit(2);
}
