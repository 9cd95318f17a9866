//! `upctl`: the initctl-compatible control client of upinit (also
//! `initctl`, `start`, `stop`, `status`, `telinit`, `reboot`, ... when
//! invoked under those names). Everything is in `upinit::ctl`.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

fn main() -> std::process::ExitCode {
    upinit::ctl::main()
}
