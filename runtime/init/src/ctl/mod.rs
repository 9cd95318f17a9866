//! `upctl`, the initctl-compatible client (spec/control.md): the command
//! line ([`args`], [`options`]), the connection ([`client`]) and what is
//! printed. Output lines and error texts are Upstart's; status lines come
//! from the machine as they are, never re-rendered here.
//!
//! Exit status: 0 on success, 1 on any error (initctl's convention, also
//! `runlevel` before any runlevel was set), [`EXIT_UNSUPPORTED`] for
//! initctl commands and options upc does not have.

pub mod args;
pub mod client;
pub mod commands;
pub mod options;

use std::ffi::OsString;
use std::io::Write;

use args::{Action, Invocation, Render, UsageError};
use client::{ClientError, Transport};

use crate::proto::{Failure, Output};

/// A command or option of initctl's that upc does not have (LSB's
/// "unimplemented feature" status).
pub const EXIT_UNSUPPORTED: u8 = 3;

/// upctl's `main`: argv and the process environment in, the exit status
/// out.
pub fn main() -> std::process::ExitCode {
    let mut argv = std::env::args_os();
    let argv0 = argv.next().unwrap_or_else(|| OsString::from("upctl"));
    let prog = args::program_name(&argv0.to_string_lossy());
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let mut args = Vec::new();
    for a in argv {
        match a.into_string() {
            Ok(a) => args.push(a),
            Err(a) => {
                let _ = writeln!(
                    err,
                    "{}",
                    error_line(
                        &prog,
                        &format!("argument is not valid UTF-8: {}", a.to_string_lossy())
                    )
                );
                return std::process::ExitCode::from(1);
            }
        }
    }
    let env = |name: &str| std::env::var(name).ok();
    let code = run(
        &prog,
        args,
        &env,
        &mut client::UnixTransport,
        &mut out,
        &mut err,
    );
    let _ = out.flush();
    std::process::ExitCode::from(code)
}

/// `PROG: MESSAGE`, without the space when the message starts with a
/// `word:` (libnih's rule: the first space-or-colon is a colon).
pub fn error_line(prog: &str, message: &str) -> String {
    let colon_first = message.find([' ', ':']).map(|i| message.get(i..i + 1)) == Some(Some(":"));
    if colon_first {
        format!("{prog}:{message}")
    } else {
        format!("{prog}: {message}")
    }
}

/// One run of upctl. Write errors on stdout/stderr are ignored (a closed
/// pipe must not turn a done request into a failure).
pub fn run(
    prog: &str,
    argv: Vec<String>,
    env: args::Env<'_>,
    transport: &mut dyn Transport,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let invocation = match args::parse(prog, argv, env) {
        Ok(i) => i,
        Err(UsageError(message)) => {
            let _ = writeln!(err, "{}", error_line(prog, &message));
            let _ = writeln!(err, "Try `{prog} --help' for more information.");
            return 1;
        }
    };
    let Invocation {
        socket,
        quiet,
        action,
    } = invocation;
    let (request, render) = match action {
        Action::Print(text) => {
            let _ = out.write_all(text.as_bytes());
            return 0;
        }
        Action::Unsupported(message) => {
            let _ = writeln!(err, "{}", error_line(prog, &message));
            return EXIT_UNSUPPORTED;
        }
        Action::Call { request, render } => (request, render),
    };
    match transport.call(&socket, &request) {
        Err(ClientError(message)) | Ok(Err(Failure { message, .. })) => {
            let _ = writeln!(err, "{}", error_line(prog, &message));
            1
        }
        Ok(Ok(output)) => {
            let mut text = String::new();
            if let Output::Log {
                truncated: true,
                path,
                ..
            } = &output
            {
                let from = path
                    .as_deref()
                    .map_or(String::new(), |p| format!(" of {p}"));
                let _ = writeln!(
                    err,
                    "{}",
                    error_line(prog, &format!("showing only the end{from}"))
                );
            }
            let code = match render_output(render, output, &mut text) {
                Ok(code) => code,
                Err(message) => {
                    let _ = writeln!(err, "{}", error_line(prog, &message));
                    return 1;
                }
            };
            if !quiet {
                let _ = out.write_all(text.as_bytes());
            }
            code
        }
    }
}

/// What a successful reply prints, and the exit status.
fn render_output(render: Render, output: Output, text: &mut String) -> Result<u8, String> {
    let unexpected = || Err("upinit sent an unexpected reply".to_owned());
    match (render, output) {
        (Render::Nothing, _) => {}
        (Render::Status, Output::Status { lines, .. }) => {
            for line in lines {
                text.push_str(&line);
                text.push('\n');
            }
        }
        (Render::Json, Output::Status { records, .. }) => {
            let Some(records) = records else {
                return Err("upinit sent no records for --json".to_owned());
            };
            for r in records {
                text.push_str(&r.to_json());
                text.push('\n');
            }
        }
        (Render::Value, Output::Value(v)) => {
            text.push_str(&v);
            text.push('\n');
        }
        (Render::Usage, Output::Value(v)) => {
            text.push_str(&format!("Usage: {v}\n"));
        }
        (Render::Env, Output::Env(mut vars)) => {
            // initctl sorts with strcoll; byte order is the C locale's.
            vars.sort();
            for v in vars {
                text.push_str(&v);
                text.push('\n');
            }
        }
        (Render::Runlevel, Output::Runlevel { previous, current }) => {
            let Some(current) = current else {
                text.push_str("unknown\n");
                return Ok(1);
            };
            let previous = previous.unwrap_or_else(|| "N".to_owned());
            text.push_str(&format!("{previous} {current}\n"));
        }
        (Render::Log, Output::Log { text: log, .. }) => text.push_str(&log),
        (
            Render::Status
            | Render::Json
            | Render::Value
            | Render::Usage
            | Render::Env
            | Render::Runlevel
            | Render::Log,
            _,
        ) => return unexpected(),
    }
    Ok(0)
}
