//! `upinit`: the upc runtime as PID 1, a session init or a container init.
//! Everything is in `upinit::daemon`.
//!
//! `no_main`: std's runtime start-up (`lang_start`) is replaced by the two
//! of its steps init needs, done here. The third, the main thread's stack
//! overflow guard, reads the stack's bounds with pthread_getattr_np(3),
//! which in a static glibc parses /proc/self/maps with sscanf(3) and so
//! links all of scanf and strtod (tens of KiB of the PID-1 binary); a stack
//! overflow still kills init at the guard page, only without std's message.
//! The arguments still reach `std::env::args_os` (glibc hands them to std's
//! `.init_array` hook).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
// Under `cargo test` the harness brings a main of its own.
#![cfg_attr(not(test), no_main)]

/// The C entry point.
#[cfg(not(test))]
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    use nix::libc;
    // As std does before `main`: descriptors 0, 1 and 2 that are closed
    // become /dev/null, so no file init opens lands on them; SIGPIPE is
    // ignored (init blocks it for good in `boot`; children get every
    // signal's default back).
    for fd in 0..=2 {
        // SAFETY: fcntl and open on plain integers and a C string literal.
        unsafe {
            if libc::fcntl(fd, libc::F_GETFD) == -1
                && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF)
            {
                let flags = if fd == 0 {
                    libc::O_RDONLY
                } else {
                    libc::O_RDWR
                };
                libc::open(c"/dev/null".as_ptr(), flags);
            }
        }
    }
    // SAFETY: setting a signal's disposition to SIG_IGN.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    // As std's start-up: a panic out of main is exit status 101 (the hook
    // has printed it); std::process::exit flushes stdout.
    let status = std::panic::catch_unwind(upinit::daemon::main).unwrap_or(101);
    std::process::exit(status)
}
