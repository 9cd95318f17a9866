//! The `check` driver: files and directories in, parsed and lowered jobs
//! and their diagnostics out. (Filled in by the CLI work.)
