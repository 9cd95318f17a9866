//! `upc fmt`: a formatter for job files.
//!
//! It changes layout only. Stanzas stay in the order written; every token
//! (keyword, argument, `exec` command line, expression operand) is copied
//! byte for byte, and so is every `script` body; only the blanks between
//! tokens are rewritten: stanzas start in column 0, one space separates
//! words, none follows `(` or precedes `)`, a comment after a stanza is
//! separated by one space, runs of blank lines become one, and the file
//! ends with exactly one newline. Line breaks inside parentheses and line
//! continuations are kept, re-indented: under the innermost open `(`, or
//! four spaces for a continuation outside parentheses. Formatting its own
//! output changes nothing.
//!
//! The formatter works on the lexer's tokens, not on the syntax tree,
//! because the tree keeps neither comments nor the text between tokens.
//! It refuses a file with syntax errors (the tokens of a broken stanza are
//! not worth trusting) and, as a last line of defence, any result whose
//! meaning differs from the input's: both are lowered and their job
//! classes compared, with every diagnostic code. A refusal leaves the file
//! as it was.

mod files;
#[cfg(test)]
mod tests;

pub use files::{format_paths, FileOutcome, Mode};

use logos::Logos;

use crate::diag::{Code, Diagnostic};
use crate::sema::ir::{JobClass, Origin};
use crate::sema::{self, Part};
use crate::source::{FileId, Span};
use crate::syntax::lexer::{self, Kw, Spanned, Tok};
use crate::syntax::scan::Atom;
use crate::syntax::{self, Parsed};

/// Why a text was not formatted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FmtError {
    /// The file does not parse; the diagnostics say where.
    #[error("the file has syntax errors")]
    Syntax(Vec<Diagnostic>),
    /// Text between two tokens that is neither blank nor a comment (a
    /// case the formatter does not know how to lay out).
    #[error("unexpected text between tokens at byte {0}")]
    Layout(usize),
    /// The formatted text would mean something else (a formatter bug,
    /// caught before any harm).
    #[error("formatting would change the job's meaning; left unchanged")]
    ChangesMeaning,
}

/// Formats one job file's text.
pub fn format(text: &str) -> Result<String, FmtError> {
    let parsed = syntax::parse(FileId(0), text);
    if parsed.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(FmtError::Syntax(
            parsed
                .diagnostics
                .into_iter()
                .filter(Diagnostic::is_error)
                .collect(),
        ));
    }
    let (tokens, _) = lexer::lex(FileId(0), text);
    let out = Layout::new(text).run(&tokens)?;
    if out != text && !same_meaning(text, &parsed, &out) {
        return Err(FmtError::ChangesMeaning);
    }
    Ok(out)
}

/// Whether two texts of one job file mean the same: equal job classes
/// (positions aside) and the same diagnostic codes.
fn same_meaning(before: &str, before_parsed: &Parsed, after: &str) -> bool {
    let after_parsed = syntax::parse(FileId(0), after);
    let lower = |text: &str, parsed: &Parsed| {
        let part = Part {
            file: FileId(0),
            text,
            ast: &parsed.ast,
        };
        let (class, diagnostics) = sema::lower("job", &[part]);
        let mut codes: Vec<Code> = diagnostics
            .iter()
            .chain(&parsed.diagnostics)
            .map(|d| d.code)
            .collect();
        codes.sort();
        (class, codes)
    };
    let (a, a_codes) = lower(before, before_parsed);
    let (b, b_codes) = lower(after, &after_parsed);
    a_codes == b_codes && same_class(&a, &b)
}

/// Two classes equal but for where their values were written.
pub fn same_class(a: &JobClass, b: &JobClass) -> bool {
    let condition = |c: &Option<sema::ir::Condition>| c.as_ref().map(|c| c.expr.canonical());
    condition(&a.start_on) == condition(&b.start_on)
        && condition(&a.stop_on) == condition(&b.stop_on)
        && without_positions(a) == without_positions(b)
}

fn without_positions(class: &JobClass) -> JobClass {
    let nowhere = Origin {
        file: FileId(0),
        span: Span::default(),
    };
    let mut c = class.clone();
    c.start_on = None;
    c.stop_on = None;
    let p = &mut c.processes;
    for process in [
        &mut p.main,
        &mut p.pre_start,
        &mut p.post_start,
        &mut p.pre_stop,
        &mut p.post_stop,
        &mut p.security,
    ]
    .into_iter()
    .flatten()
    {
        process.origin = nowhere;
    }
    for value in c.emits.iter_mut().chain(&mut c.env).chain(&mut c.export) {
        value.origin = nowhere;
    }
    c
}

/// What lies between two tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    Newline,
    /// Backslash-newline.
    Continuation,
    /// From `#` to the end of its line (a comment continues over a
    /// backslash-newline, as the tokenizer reads it).
    Comment(&'a str),
}

/// The pieces of the text between two tokens; blanks are dropped.
fn pieces(text: &str, at: usize) -> Result<Vec<Piece<'_>>, FmtError> {
    let mut out = Vec::new();
    let mut atoms = Atom::lexer(text).spanned().peekable();
    while let Some((atom, span)) = atoms.next() {
        match atom {
            Ok(Atom::Blank) => {}
            Ok(Atom::Newline) => out.push(Piece::Newline),
            Ok(Atom::Continuation) => out.push(Piece::Continuation),
            Ok(Atom::Hash) => {
                let mut end = span.end;
                while let Some((next, s)) = atoms.peek() {
                    if *next == Ok(Atom::Newline) {
                        break;
                    }
                    end = s.end;
                    atoms.next();
                }
                out.push(Piece::Comment(text.get(span.start..end).unwrap_or("#")));
            }
            _ => return Err(FmtError::Layout(at + span.start)),
        }
    }
    Ok(out)
}

/// A comment without trailing blanks, unless dropping them would put a
/// backslash before the newline (which would continue the comment).
fn trim_comment(comment: &str) -> &str {
    let trimmed = comment.trim_end_matches([' ', '\t', '\r']);
    if trimmed.ends_with('\\') {
        comment
    } else {
        trimmed
    }
}

/// How the text before the next token is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gap {
    /// Before the first token.
    Head,
    /// Between two tokens of one stanza.
    Inline,
    /// After a stanza's end of line: its comment, then the lines between.
    AfterLine,
    /// After `manual`/`debug`, which do not end their line.
    AfterFlag,
    /// After a script's `end script` line (already written).
    AfterBlock,
}

/// Spaces for a continuation line outside parentheses.
const HANGING_INDENT: usize = 4;

struct Layout<'a> {
    text: &'a str,
    out: String,
    /// The columns just after each `(` open in the current stanza.
    parens: Vec<usize>,
    /// A blank line is due before the next line that has content.
    blank_due: bool,
}

impl<'a> Layout<'a> {
    fn new(text: &'a str) -> Layout<'a> {
        Layout {
            text,
            out: String::with_capacity(text.len()),
            parens: Vec::new(),
            blank_due: false,
        }
    }

    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or("")
    }

    fn run(mut self, tokens: &[Spanned]) -> Result<String, FmtError> {
        let mut gap = Gap::Head;
        let mut prev_end = 0usize;
        let mut prev: Option<&Tok> = None;
        for (start, tok, end) in tokens {
            let (start, end) = (*start, *end);
            let between = self.slice(prev_end.min(start), start);
            match tok {
                Tok::Eol => {
                    // Blanks and a comment before the end of the line.
                    self.trailing(between, prev_end)?;
                    self.parens.clear();
                    gap = Gap::AfterLine;
                    prev_end = start;
                    prev = Some(tok);
                    continue;
                }
                Tok::Body(_) => {
                    prev_end = self.block(start, end);
                    gap = Gap::AfterBlock;
                    prev = Some(tok);
                    continue;
                }
                _ => {}
            }
            match gap {
                Gap::Head | Gap::AfterBlock => self.lines(between, prev_end, true)?,
                Gap::AfterLine => self.lines(between, prev_end, false)?,
                Gap::AfterFlag => {
                    let items = pieces(between, prev_end)?;
                    if items.iter().any(|p| *p != Piece::Continuation) {
                        self.lines(between, prev_end, false)?;
                        self.parens.clear();
                    } else {
                        self.inline(between, prev_end, prev, tok)?;
                    }
                }
                Gap::Inline => self.inline(between, prev_end, prev, tok)?,
            }
            self.blank_line_if_due();
            self.out.push_str(self.slice(start, end));
            match tok {
                Tok::LParen => {
                    let column = self.column();
                    self.parens.push(column);
                }
                Tok::RParen => {
                    self.parens.pop();
                }
                _ => {}
            }
            gap = match tok {
                Tok::Kw(Kw::Manual | Kw::Debug) => Gap::AfterFlag,
                _ => Gap::Inline,
            };
            prev_end = end;
            prev = Some(tok);
        }
        let rest = self.slice(prev_end.min(self.text.len()), self.text.len());
        match gap {
            Gap::Inline | Gap::AfterFlag | Gap::AfterLine => self.lines(rest, prev_end, false)?,
            Gap::Head | Gap::AfterBlock => self.lines(rest, prev_end, true)?,
        }
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        Ok(self.out)
    }

    /// Characters since the start of the output's last line.
    fn column(&self) -> usize {
        let line_start = self.out.rfind('\n').map_or(0, |i| i + 1);
        self.out.get(line_start..).map_or(0, |l| l.chars().count())
    }

    fn indent(&mut self) {
        let width = self.parens.last().copied().unwrap_or(HANGING_INDENT);
        self.out.extend(std::iter::repeat_n(' ', width));
    }

    /// The text between two tokens of a stanza: one space (none inside
    /// parentheses), or the line breaks and comments it has.
    fn inline(
        &mut self,
        between: &str,
        at: usize,
        prev: Option<&Tok>,
        next: &Tok,
    ) -> Result<(), FmtError> {
        let mut broke = false;
        for piece in pieces(between, at)? {
            match piece {
                Piece::Comment(c) => {
                    self.out.push(' ');
                    self.out.push_str(trim_comment(c));
                    broke = false;
                }
                Piece::Newline => {
                    self.out.push('\n');
                    self.indent();
                    broke = true;
                }
                Piece::Continuation => {
                    self.out.push_str(" \\\n");
                    self.indent();
                    broke = true;
                }
            }
        }
        let tight = matches!(prev, Some(Tok::LParen)) || matches!(next, Tok::RParen);
        if !broke && !tight {
            self.out.push(' ');
        }
        Ok(())
    }

    /// Blanks and an optional comment at the end of a stanza's line.
    fn trailing(&mut self, between: &str, at: usize) -> Result<(), FmtError> {
        for piece in pieces(between, at)? {
            match piece {
                Piece::Comment(c) => {
                    self.out.push(' ');
                    self.out.push_str(trim_comment(c));
                }
                Piece::Newline | Piece::Continuation => return Err(FmtError::Layout(at)),
            }
        }
        Ok(())
    }

    /// The lines between two stanzas: the newline that ends the first
    /// (unless `at_line_start`), then comment lines as written without
    /// their indentation and at most one blank line in a row. A comment
    /// still on the stanza's line stays there.
    fn lines(&mut self, between: &str, at: usize, at_line_start: bool) -> Result<(), FmtError> {
        let mut at_line_start = at_line_start;
        for piece in pieces(between, at)? {
            match piece {
                Piece::Comment(c) => {
                    if at_line_start {
                        self.blank_line_if_due();
                    } else {
                        self.out.push(' ');
                    }
                    self.out.push_str(trim_comment(c));
                    at_line_start = false;
                }
                Piece::Newline | Piece::Continuation => {
                    if at_line_start {
                        // No blank lines at the top of the file.
                        self.blank_due = !self.out.is_empty();
                    } else {
                        self.out.push('\n');
                        at_line_start = true;
                    }
                }
            }
        }
        if !at_line_start {
            self.out.push('\n');
        }
        Ok(())
    }

    fn blank_line_if_due(&mut self) {
        if std::mem::take(&mut self.blank_due) {
            self.out.push('\n');
        }
    }

    /// A script body, byte for byte, and its `end script` line with a
    /// comment if it has one. Returns where the terminator line ends.
    fn block(&mut self, start: usize, end: usize) -> usize {
        // The script line's newline (the `Eol` sits on it).
        if !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        self.out.push_str(self.slice(start, end));
        let rest = self.slice(end, self.text.len());
        let (line, after) = match rest.find('\n') {
            Some(i) => (rest.get(..i).unwrap_or(""), end + i + 1),
            None => (rest, self.text.len()),
        };
        self.out.push_str("end script");
        if let Some(hash) = line.find('#') {
            self.out.push(' ');
            self.out
                .push_str(trim_comment(line.get(hash..).unwrap_or("")));
        }
        self.out.push('\n');
        self.blank_due = false;
        after
    }
}
