//! `upinit`: the upc runtime as PID 1, a session init or a container init.
//! Everything is in `upinit::daemon`.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

fn main() {
    std::process::exit(upinit::daemon::main());
}
