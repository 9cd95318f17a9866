//! What `upc run` prints while it watches a boot.
//!
//! On a terminal (`live`): the console's lines scroll as they come, and
//! below them a block of one line per job instance, redrawn in place with
//! ANSI sequences whenever a state changes. The block sits at the bottom
//! rather than the top: lines printed above it scroll away the way a
//! terminal scrolls anyway, and the whole console stays in the terminal's
//! history after `upc run` ends (a block at the top would need the
//! alternate screen, which takes the console lines with it when it
//! closes). It is cut to the terminal's height and width.
//!
//! Anywhere else (a pipe, a log file, CI): one appended line per state
//! change and per event, with init's clock, and the console's lines.
//!
//! With `--quiet`, neither: only the summary.

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use super::model::{Change, Instance, Model};

/// How often the live block is redrawn at most.
const REDRAW: Duration = Duration::from_millis(40);
/// How often it is redrawn anyway (the headline shows the time).
const TICK: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Live,
    Plain,
    Quiet,
}

impl Style {
    /// Live on a terminal, plain elsewhere (or when asked), quiet when asked.
    pub fn choose(quiet: bool, plain: bool) -> Style {
        if quiet {
            Style::Quiet
        } else if plain || !io::stdout().is_terminal() {
            Style::Plain
        } else {
            Style::Live
        }
    }
}

pub struct View {
    pub style: Style,
    color: bool,
    /// Lines of the live block on screen now.
    drawn: usize,
    last_draw: Option<Instant>,
    dirty: bool,
    /// Lines to print above the block at the next redraw.
    pending: Vec<String>,
    /// The part of a console line not ended yet.
    partial: Vec<u8>,
}

fn color_wanted() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

impl View {
    pub fn new(style: Style) -> View {
        View {
            style,
            color: style == Style::Live && color_wanted(),
            drawn: 0,
            last_draw: None,
            dirty: true,
            pending: Vec::new(),
            partial: Vec::new(),
        }
    }

    /// A line of `upc run`'s own (plain and live).
    pub fn note(&mut self, text: &str) {
        match self.style {
            Style::Quiet => {}
            Style::Plain => println_out(text),
            Style::Live => {
                self.pending.push(text.to_owned());
                self.dirty = true;
            }
        }
    }

    /// Bytes read from the console pty (lines may be split anywhere).
    pub fn console(&mut self, bytes: &[u8]) {
        self.partial.extend_from_slice(bytes);
        while let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            self.console_line(&line);
        }
    }

    /// A console line not ended by a newline when the console closed.
    pub fn console_end(&mut self) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.console_line(&line);
        }
    }

    fn console_line(&mut self, raw: &[u8]) {
        let text = String::from_utf8_lossy(raw);
        // The pty turns "\n" into "\r\n"; control characters other than
        // tabs would move the cursor under the live block.
        let text: String = text
            .trim_end_matches(['\n', '\r'])
            .chars()
            .map(|c| {
                if c.is_control() && c != '\t' {
                    '�'
                } else {
                    c
                }
            })
            .collect();
        match self.style {
            Style::Quiet => {}
            Style::Plain => println_out(&format!("           | {text}")),
            Style::Live => {
                self.pending.push(text);
                self.dirty = true;
            }
        }
    }

    /// A change the trace reported.
    pub fn change(&mut self, change: &Change) {
        match (self.style, change) {
            (Style::Quiet, _) => {}
            (Style::Plain, Change::State { t_ms, status }) => {
                println_out(&format!("{t_ms:>6} ms  {status}"));
            }
            (Style::Plain, Change::Event { t_ms, text }) => {
                println_out(&format!("{t_ms:>6} ms  {text}"));
            }
            (Style::Plain, Change::Failed { t_ms, name, reason }) => {
                println_out(&format!("{t_ms:>6} ms  {name} failed: {reason}"));
            }
            (Style::Live, Change::Failed { name, reason, .. }) => {
                let line = self.paint(&format!("{name} failed: {reason}"), RED);
                self.pending.push(line);
                self.dirty = true;
            }
            (Style::Live, _) => self.dirty = true,
        }
    }

    fn paint(&self, text: &str, color: &str) -> String {
        if self.color {
            format!("{color}{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// Redraws the live block if something changed (at most every 40 ms
    /// unless `now`). `headline` is the block's first line.
    pub fn draw(&mut self, model: &Model, headline: &str, now: bool) {
        // The headline's clock moves even when nothing else does.
        if self.last_draw.is_some_and(|t| t.elapsed() >= TICK) {
            self.dirty = true;
        }
        if self.style != Style::Live || !self.dirty {
            return;
        }
        if !now && self.last_draw.is_some_and(|t| t.elapsed() < REDRAW) {
            return;
        }
        let (rows, cols) = terminal_size();
        let mut out = String::new();
        self.erase(&mut out);
        for line in self.pending.drain(..) {
            out.push_str(&line);
            out.push('\n');
        }
        let block = self.block(model, headline, rows.saturating_sub(1).max(2), cols);
        for line in &block {
            out.push_str(line);
            out.push('\n');
        }
        self.drawn = block.len();
        print_out(&out);
        self.dirty = false;
        self.last_draw = Some(Instant::now());
    }

    /// Removes the live block (before the summary), printing what was
    /// still pending above it.
    pub fn finish(&mut self) {
        if self.style != Style::Live {
            return;
        }
        let mut out = String::new();
        self.erase(&mut out);
        for line in self.pending.drain(..) {
            out.push_str(&line);
            out.push('\n');
        }
        self.drawn = 0;
        print_out(&out);
    }

    fn erase(&self, out: &mut String) {
        if self.drawn > 0 {
            out.push_str(&format!("\x1b[{}A\r\x1b[J", self.drawn));
        }
    }

    /// The block: the headline, then one line per instance. When they do
    /// not fit, the ones on their way (not at rest) come first, then the
    /// failed, the running, the stopped.
    fn block(&self, model: &Model, headline: &str, rows: usize, cols: usize) -> Vec<String> {
        let width = cols.saturating_sub(1).max(10);
        let fit = |s: &str| -> String {
            if s.chars().count() <= width {
                return s.to_owned();
            }
            let mut t: String = s.chars().take(width - 1).collect();
            t.push('…');
            t
        };
        let mut lines = vec![self.paint(&fit(headline), BOLD)];
        let instances = model.instances();
        let room = rows.saturating_sub(1);
        let shown: Vec<&Instance> = if instances.len() <= room {
            instances.iter().collect()
        } else {
            let rank = |i: &Instance| {
                if !i.at_rest() {
                    0
                } else if i.failure.is_some() {
                    1
                } else if i.running() {
                    2
                } else {
                    3
                }
            };
            let mut order: Vec<(usize, &Instance)> = instances.iter().enumerate().collect();
            order.sort_by_key(|(n, i)| (rank(i), *n));
            order.truncate(room.saturating_sub(1));
            order.sort_by_key(|(n, _)| *n);
            order.into_iter().map(|(_, i)| i).collect()
        };
        for i in &shown {
            let mut text = format!("  {}", i.status());
            if let Some(f) = &i.failure {
                text.push_str(&format!("  (failed: {f})"));
            }
            let text = fit(&text);
            let color = if i.failure.is_some() {
                RED
            } else if i.running() {
                GREEN
            } else if i.stopped() {
                DIM
            } else {
                YELLOW
            };
            lines.push(self.paint(&text, color));
        }
        if shown.len() < instances.len() {
            lines.push(fit(&format!(
                "  … {} more at rest",
                instances.len() - shown.len()
            )));
        }
        lines
    }
}

const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const DIM: &str = "\x1b[2m";

/// Rows and columns of the terminal on stdout (24×80 when unknown).
fn terminal_size() -> (usize, usize) {
    match rustix::termios::tcgetwinsize(io::stdout()) {
        Ok(w) if w.ws_row > 0 && w.ws_col > 0 => (usize::from(w.ws_row), usize::from(w.ws_col)),
        _ => (24, 80),
    }
}

/// Writes to stdout; a reader that went away is not `upc run`'s failure
/// (the boot goes on and is stopped cleanly).
fn print_out(text: &str) {
    let mut out = io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn println_out(text: &str) {
    print_out(&format!("{text}\n"));
}
