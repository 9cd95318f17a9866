//! The modal lexer: from atoms to the tokens the grammar reads.
//!
//! The job language is line-oriented and its reading rules change with the
//! stanza: the first word of a line is a keyword read raw; the rest of an
//! `exec` line is one raw command; a `script` line is followed by a body
//! that is taken byte for byte up to `end script`; inside `start on`/`stop
//! on` parentheses delimit words, `and`/`or` are operators only when
//! unquoted, and a newline does not end the expression while a parenthesis
//! is open. A context-free token set cannot express that, so the lexer is
//! modal, driven by the keyword it has just seen, exactly as Upstart's
//! parser drives its tokenizer. The grammar then only sees well-formed
//! token kinds.
//!
//! The lexer never fails. Tokenizer errors (unterminated quote, trailing
//! backslash, unterminated block, blank line inside parentheses) become a
//! diagnostic plus an [`Tok::Invalid`] token, which the grammar rejects and
//! recovers from without reporting it again.

use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use crate::syntax::scan::{self, Atom, Mode, ScanError, Scanner};

/// Stanza and second-level keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kw {
    Instance,
    Description,
    Author,
    Version,
    Usage,
    Env,
    Export,
    Start,
    Stop,
    Emits,
    Exec,
    Script,
    PreStart,
    PostStart,
    PreStop,
    PostStop,
    Expect,
    Task,
    Kill,
    Reload,
    Respawn,
    Normal,
    Console,
    Umask,
    Nice,
    Oom,
    Limit,
    Chroot,
    Chdir,
    Setuid,
    Setgid,
    Debug,
    Manual,
    Apparmor,
    Cgroup,
    /// `ready fd N`: upc's readiness extension.
    Ready,
    // Second-level keywords.
    On,
    Timeout,
    Signal,
    Exit,
    Load,
    Switch,
    Score,
    Fd,
}

/// The words that can start a stanza, with their keyword.
pub const STANZAS: &[(&str, Kw)] = &[
    ("instance", Kw::Instance),
    ("description", Kw::Description),
    ("author", Kw::Author),
    ("version", Kw::Version),
    ("env", Kw::Env),
    ("export", Kw::Export),
    ("start", Kw::Start),
    ("stop", Kw::Stop),
    ("emits", Kw::Emits),
    ("exec", Kw::Exec),
    ("script", Kw::Script),
    ("pre-start", Kw::PreStart),
    ("post-start", Kw::PostStart),
    ("pre-stop", Kw::PreStop),
    ("post-stop", Kw::PostStop),
    ("expect", Kw::Expect),
    ("task", Kw::Task),
    ("kill", Kw::Kill),
    ("reload", Kw::Reload),
    ("respawn", Kw::Respawn),
    ("normal", Kw::Normal),
    ("console", Kw::Console),
    ("umask", Kw::Umask),
    ("nice", Kw::Nice),
    ("oom", Kw::Oom),
    ("limit", Kw::Limit),
    ("chroot", Kw::Chroot),
    ("chdir", Kw::Chdir),
    ("setuid", Kw::Setuid),
    ("setgid", Kw::Setgid),
    ("debug", Kw::Debug),
    ("manual", Kw::Manual),
    ("usage", Kw::Usage),
    ("apparmor", Kw::Apparmor),
    ("cgroup", Kw::Cgroup),
    ("ready", Kw::Ready),
];

/// The second keywords a stanza keyword takes, if any.
pub fn second_keywords(kw: Kw) -> &'static [(&'static str, Kw)] {
    match kw {
        Kw::Start | Kw::Stop => &[("on", Kw::On)],
        Kw::PreStart | Kw::PostStart | Kw::PreStop | Kw::PostStop => {
            &[("exec", Kw::Exec), ("script", Kw::Script)]
        }
        Kw::Kill => &[("timeout", Kw::Timeout), ("signal", Kw::Signal)],
        Kw::Reload => &[("signal", Kw::Signal)],
        Kw::Respawn => &[("limit", Kw::Limit)],
        Kw::Normal => &[("exit", Kw::Exit)],
        Kw::Apparmor => &[("load", Kw::Load), ("switch", Kw::Switch)],
        Kw::Oom => &[("score", Kw::Score)],
        Kw::Ready => &[("fd", Kw::Fd)],
        Kw::Limit => &[("", Kw::Limit)],
        _ => &[],
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    Kw(Kw),
    /// A stanza argument (argument mode).
    Word(String),
    /// An operand in an event expression (argument mode).
    Operand(String),
    And,
    Or,
    LParen,
    RParen,
    /// The raw command line of `exec`.
    Command(String),
    /// A script body: its de-indented text.
    Body(String),
    /// The resource name after `limit` (argument mode).
    Resource(String),
    /// End of a stanza's line (or of the file).
    Eol,
    /// Something the tokenizer already reported.
    Invalid,
}

pub type Spanned = (usize, Tok, usize);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Looking for the next stanza keyword.
    LineStart,
    /// After a keyword that may take a second keyword.
    Second(Kw),
    /// Reading argument words up to the end of the line.
    Args,
    /// Reading the rest of the line as a command.
    Command,
    /// Reading the `script` line, then the body.
    ScriptLine,
    /// Inside a `start on`/`stop on` expression.
    Expr { depth: u32, first: bool },
}

pub struct Lexer<'s> {
    scan: Scanner<'s>,
    file: FileId,
    state: State,
    out: Vec<Spanned>,
    pub diagnostics: Vec<Diagnostic>,
    /// Where the stanza that ended with `manual`/`debug` ended, to warn
    /// about text after it on the same line.
    after_flag: Option<(usize, usize)>,
    /// Words seen on the current `script` line (an error; body still eaten).
    script_line_words: bool,
}

/// Lexes a whole file.
pub fn lex(file: FileId, src: &str) -> (Vec<Spanned>, Vec<Diagnostic>) {
    let mut lx = Lexer {
        scan: Scanner::new(src),
        file,
        state: State::LineStart,
        out: Vec::with_capacity(src.len() / 6),
        diagnostics: Vec::new(),
        after_flag: None,
        script_line_words: false,
    };
    lx.run();
    (lx.out, lx.diagnostics)
}

impl Lexer<'_> {
    fn push(&mut self, start: usize, tok: Tok, end: usize) {
        self.out.push((start, tok, end));
    }

    fn error(&mut self, code: Code, at: usize, message: impl Into<String>) {
        let d = Diagnostic::new(code, self.file, Span::point(at), message);
        self.diagnostics.push(d);
    }

    fn scan_error(&mut self, e: ScanError, at: usize) {
        let d = match e {
            ScanError::UnterminatedQuote { opened_at } => Diagnostic::new(
                Code::UnterminatedQuote,
                self.file,
                Span::point(at),
                "unterminated quoted string",
            )
            .with_label("the file ends here, inside quotes")
            .with_secondary(
                self.file,
                Span::new(opened_at, opened_at + 1),
                "this quote is never closed",
            )
            .with_help(
                "close the quote; a quote may span lines, so it runs to the end of the file",
            ),
            ScanError::TrailingSlash => Diagnostic::new(
                Code::TrailingSlash,
                self.file,
                Span::point(at),
                "trailing backslash in file",
            )
            .with_label("nothing follows this backslash")
            .with_help("remove the backslash or add a line after it"),
        };
        self.diagnostics.push(d);
        self.push(at, Tok::Invalid, at);
        // Everything up to the end of the file was consumed.
        self.scan.seek_to(usize::MAX);
        self.push(at, Tok::Eol, at);
        self.state = State::LineStart;
    }

    fn run(&mut self) {
        loop {
            let done = match self.state {
                State::LineStart => self.line_start(),
                State::Second(kw) => {
                    self.second(kw);
                    false
                }
                State::Args => {
                    self.args();
                    false
                }
                State::Command => {
                    self.command();
                    false
                }
                State::ScriptLine => {
                    self.script_line();
                    false
                }
                State::Expr { depth, first } => {
                    self.expr(depth, first);
                    false
                }
            };
            if done {
                break;
            }
        }
    }

    /// Ends the current line: consumes blanks, a comment and the newline,
    /// and emits `Eol`.
    fn end_line(&mut self) {
        self.scan.skip_blanks();
        self.scan.skip_comment();
        let at = self.scan.offset();
        if self.scan.peek() == Some(Atom::Newline) {
            self.scan.bump();
        }
        self.push(at, Tok::Eol, at);
        self.state = State::LineStart;
    }

    fn line_start(&mut self) -> bool {
        loop {
            // Blanks, not continuations: a backslash-LF is no whitespace
            // before a stanza, it is the start of its keyword.
            self.scan.skip_blank_atoms();
            match self.scan.peek() {
                None => return true,
                Some(Atom::Hash) => self.scan.skip_comment(),
                Some(Atom::Newline) => {
                    self.after_flag = None;
                    self.scan.bump();
                }
                Some(Atom::Continuation) => {
                    self.continuation_starts_stanza();
                    return false;
                }
                Some(_) => break,
            }
        }
        let word = match self.scan.word(Mode::Raw, false) {
            Ok(Some(w)) => w,
            Ok(None) => {
                // Unreachable in practice (blanks, comments and newlines are
                // handled above); never loop forever on it.
                self.scan.bump();
                return false;
            }
            Err((e, at)) => {
                self.scan_error(e, at);
                return false;
            }
        };
        if let Some((flag_start, flag_end)) = self.after_flag.take() {
            let d = Diagnostic::new(
                Code::TextAfterFlag,
                self.file,
                Span::new(word.start, word.end),
                format!("`{}` is read as a new stanza", word.value),
            )
            .with_label("this starts another stanza")
            .with_secondary(
                self.file,
                Span::new(flag_start, flag_end),
                "this takes no arguments",
            )
            .with_help("put each stanza on its own line");
            self.diagnostics.push(d);
        }
        let kw = STANZAS
            .iter()
            .find(|(name, _)| *name == word.value)
            .map(|(_, kw)| *kw);
        match kw {
            None => {
                self.push(word.start, Tok::Word(word.value), word.end);
                self.state = State::Args;
            }
            Some(kw) => {
                self.push(word.start, Tok::Kw(kw), word.end);
                self.state = match kw {
                    Kw::Exec => State::Command,
                    Kw::Script => State::ScriptLine,
                    Kw::Manual | Kw::Debug => {
                        if !self.scan.at_line_end() {
                            self.after_flag = Some((word.start, word.end));
                        }
                        // The whitespace after a keyword, continuations
                        // included, goes with it: the next word (on this
                        // line or a continued one) starts a stanza.
                        self.scan.skip_blanks();
                        State::LineStart
                    }
                    _ if second_keywords(kw).is_empty() => State::Args,
                    _ => State::Second(kw),
                };
            }
        }
        false
    }

    /// A line whose stanza starts with a backslash-LF (`\` alone, or
    /// before the next line's stanza). Upstart reads the continuation as
    /// part of the keyword (a space before the next word, or nothing), which
    /// is then no stanza: "Unknown stanza", on the line the keyword ends on.
    fn continuation_starts_stanza(&mut self) {
        let continued = self.scan.offset();
        while matches!(self.scan.peek(), Some(Atom::Continuation | Atom::Blank)) {
            self.scan.bump();
        }
        let at = self.scan.offset();
        let (span, label) = match self.scan.word(Mode::Raw, false) {
            Ok(Some(w)) => (
                Span::new(w.start, w.end),
                format!("Upstart reads this as ` {}`, which is no stanza", w.value),
            ),
            Ok(None) => (
                Span::point(at),
                "Upstart reads an empty stanza name here".to_string(),
            ),
            Err((e, at)) => return self.scan_error(e, at),
        };
        let d = Diagnostic::new(
            Code::UnknownStanza,
            self.file,
            span,
            "a stanza cannot start with a line continuation",
        )
        .with_label(label)
        .with_secondary(
            self.file,
            Span::new(continued, continued + 1),
            "this backslash joins the line to the next",
        )
        .with_help("remove the backslash; a continuation only joins the arguments of a stanza");
        self.diagnostics.push(d);
        self.push(span.start as usize, Tok::Invalid, span.end as usize);
        self.state = State::Args;
    }

    fn second(&mut self, kw: Kw) {
        self.scan.skip_blanks();
        self.state = State::Args;
        if self.scan.at_line_end() {
            if matches!(
                kw,
                Kw::PreStart | Kw::PostStart | Kw::PreStop | Kw::PostStop
            ) {
                self.missing_script_keyword();
            }
            return;
        }
        // `oom score` and `limit RESOURCE` read their second word as a
        // value (argument mode); the others read theirs raw, so a quoted
        // keyword is not a keyword.
        let mode = if matches!(kw, Kw::Oom | Kw::Limit) {
            Mode::Arg
        } else {
            Mode::Raw
        };
        let word = match self.scan.word(mode, false) {
            Ok(Some(w)) => w,
            Ok(None) => return,
            Err((e, at)) => return self.scan_error(e, at),
        };
        if kw == Kw::Limit {
            if word.value.is_empty() {
                let span = Span::new(word.start, word.end);
                let d = super::empty_argument(self.file, self.scan.src, span);
                self.diagnostics.push(d);
                return self.push(word.start, Tok::Invalid, word.end);
            }
            // The resource is checked here, before the values, as Upstart
            // does: `limit foo` is an unknown stanza, not a missing value.
            let tok = if upc_bundle::model::Resource::from_name(&word.value).is_some() {
                Tok::Resource(word.value)
            } else {
                Tok::Word(word.value)
            };
            return self.push(word.start, tok, word.end);
        }
        let second = second_keywords(kw)
            .iter()
            .find(|(n, _)| *n == word.value)
            .map(|(_, k)| *k);
        match second {
            Some(k2) => {
                self.push(word.start, Tok::Kw(k2), word.end);
                self.state = match k2 {
                    Kw::On => State::Expr {
                        depth: 0,
                        first: true,
                    },
                    Kw::Exec => State::Command,
                    Kw::Script => State::ScriptLine,
                    _ => State::Args,
                };
            }
            None => self.push(word.start, Tok::Word(word.value), word.end),
        }
    }

    /// A hook alone on its line followed by an indented block that ends in
    /// `end script` almost always lacks its `script` keyword. The error is
    /// the grammar's (a missing keyword); here the block is consumed so that
    /// its shell lines are not reported as unknown stanzas one by one.
    fn missing_script_keyword(&mut self) {
        let src = self.scan.src;
        let rest_at = src
            .get(self.scan.offset()..)
            .and_then(|r| r.find('\n'))
            .map(|i| self.scan.offset() + i + 1);
        let Some(body_at) = rest_at else { return };
        let block = scan::block(src, body_at);
        let Some(body) = src.get(block.start..block.end) else {
            return;
        };
        let opens_another = body.lines().any(|l| {
            let first = l.split_whitespace().next().unwrap_or("");
            first == "script"
                || l.split_whitespace().nth(1) == Some("script")
                || STANZAS
                    .iter()
                    .any(|(n, _)| *n == first && *n != "exec" && l.starts_with(n))
        });
        if block.terminator.is_some() && !opens_another {
            self.end_line();
            self.script_line_words = true;
            self.body();
        }
    }

    fn args(&mut self) {
        self.scan.skip_blanks();
        if self.scan.at_line_end() {
            return self.end_line();
        }
        match self.scan.word(Mode::Arg, false) {
            Ok(Some(w)) => {
                self.warn_mangled(&w);
                self.push(w.start, Tok::Word(w.value), w.end);
            }
            Ok(None) => self.end_line(),
            Err((e, at)) => self.scan_error(e, at),
        }
    }

    fn command(&mut self) {
        self.scan.skip_blanks();
        match self.scan.command() {
            Ok(Some(w)) => {
                self.warn_mangled(&w);
                self.push(w.start, Tok::Command(w.value), w.end);
                self.end_line();
            }
            Ok(None) => self.end_line(),
            Err((e, at)) => self.scan_error(e, at),
        }
    }

    fn script_line(&mut self) {
        self.scan.skip_blanks();
        if !self.scan.at_line_end() {
            self.script_line_words = true;
            return self.args_until_body();
        }
        self.end_line();
        self.body();
    }

    /// Words after `script` on its line: an error the grammar reports; the
    /// body is still consumed so it is not read as stanzas.
    fn args_until_body(&mut self) {
        loop {
            self.scan.skip_blanks();
            if self.scan.at_line_end() {
                self.end_line();
                return self.body();
            }
            match self.scan.word(Mode::Arg, false) {
                Ok(Some(w)) => self.push(w.start, Tok::Word(w.value), w.end),
                Ok(None) => {
                    self.end_line();
                    return self.body();
                }
                Err((e, at)) => return self.scan_error(e, at),
            }
        }
    }

    fn body(&mut self) {
        let start = self.scan.offset();
        let block = scan::block(self.scan.src, start);
        // The `script` keyword this body belongs to, for messages.
        let script_line = self
            .out
            .iter()
            .rev()
            .find(|(_, t, _)| *t == Tok::Kw(Kw::Script))
            .map_or(Span::point(start), |(s, _, e)| Span::new(*s, *e));
        let emit = !std::mem::take(&mut self.script_line_words);
        match block.terminator {
            Some((_, after)) => {
                self.scan.seek_to(after);
                // Indentation only changes what a script does inside a
                // here-document, so only warn where it matters.
                if block.dedent_disabled && block.text.contains("<<") {
                    self.warn_not_dedented(&block);
                }
                if emit {
                    self.push(block.start, Tok::Body(block.text), block.end);
                }
            }
            None => {
                let end = self.scan.src.len();
                let d = Diagnostic::new(
                    Code::UnterminatedBlock,
                    self.file,
                    Span::point(end),
                    "unterminated script block",
                )
                .with_label("the file ends here")
                .with_secondary(self.file, script_line, "the block starts here")
                .with_help("end the block with a line reading `end script`");
                self.diagnostics.push(d);
                self.scan.seek_to(usize::MAX);
                self.push(end, Tok::Invalid, end);
                self.push(end, Tok::Eol, end);
            }
        }
        self.state = State::LineStart;
    }

    fn expr(&mut self, depth: u32, first: bool) {
        self.scan.skip_blanks();
        let at = self.scan.offset();
        match self.scan.peek() {
            None => {
                self.push(at, Tok::Eol, at);
                self.state = State::LineStart;
            }
            Some(Atom::Hash | Atom::Newline) => {
                if first {
                    // `start on` with nothing after it.
                    self.error(Code::ExpectedToken, at, "expected an event expression");
                    self.push(at, Tok::Invalid, at);
                    return self.end_line();
                }
                if depth == 0 {
                    return self.end_line();
                }
                // Inside parentheses the expression goes on on the next
                // line, which must not be empty or only a comment.
                self.scan.skip_comment();
                self.scan.bump();
                self.scan.skip_blanks();
                if matches!(self.scan.peek(), Some(Atom::Hash | Atom::Newline)) {
                    let at = self.scan.offset();
                    let d = Diagnostic::new(
                        Code::ExpectedToken,
                        self.file,
                        Span::point(at),
                        "expected the event expression to go on",
                    )
                    .with_label("an empty or comment-only line inside parentheses is not allowed")
                    .with_help("remove the empty line or close the parentheses first");
                    self.diagnostics.push(d);
                    self.push(at, Tok::Invalid, at);
                    self.scan.skip_comment();
                    self.scan.bump();
                }
            }
            Some(Atom::LParen) => {
                self.scan.bump();
                self.push(at, Tok::LParen, at + 1);
                self.state = State::Expr {
                    depth: depth + 1,
                    first: false,
                };
            }
            Some(Atom::RParen) => {
                self.scan.bump();
                self.push(at, Tok::RParen, at + 1);
                self.state = State::Expr {
                    depth: depth.saturating_sub(1),
                    first: false,
                };
            }
            Some(_) => {
                self.state = State::Expr {
                    depth,
                    first: false,
                };
                // Operators are recognised raw: a quoted `"and"` is an operand.
                let save = self.scan.offset();
                match self.scan.word(Mode::Raw, true) {
                    Ok(Some(w)) if w.value == "and" || w.value == "or" => {
                        let tok = if w.value == "and" { Tok::And } else { Tok::Or };
                        self.push(w.start, tok, w.end);
                        return;
                    }
                    Ok(_) => self.scan.seek_to(save),
                    Err((e, at)) => return self.scan_error(e, at),
                }
                match self.scan.word(Mode::Arg, true) {
                    Ok(Some(w)) => {
                        self.warn_mangled(&w);
                        self.push(w.start, Tok::Operand(w.value), w.end);
                    }
                    Ok(None) => {
                        self.scan.bump();
                    }
                    Err((e, at)) => self.scan_error(e, at),
                }
            }
        }
    }

    fn warn_mangled(&mut self, w: &scan::Scanned) {
        if let Some(at) = w.mangled_escape_at {
            let d = Diagnostic::new(
                Code::EscapeAfterSpace,
                self.file,
                Span::new(at, ceil_char_boundary(self.scan.src, (at + 3).min(w.end))),
                "a blank before a backslash escape is mangled by the tokenizer",
            )
            .with_label(format!("Upstart reads this as `{}`", w.value))
            .with_help("put the escaped text in a script block, or drop the backslash");
            self.diagnostics.push(d);
        }
    }

    fn warn_not_dedented(&mut self, block: &scan::Block) {
        let text = self.scan.src.get(block.start..block.end).unwrap_or("");
        let empty_at = text
            .split_inclusive('\n')
            .scan(block.start, |pos, line| {
                let here = *pos;
                *pos += line.len();
                Some((here, line))
            })
            .find(|(_, l)| *l == "\n")
            .map_or(block.start, |(at, _)| at);
        let d = Diagnostic::new(
            Code::ScriptNotDedented,
            self.file,
            Span::point(empty_at),
            "this empty line turns off the script's de-indentation",
        )
        .with_label("an empty line")
        .with_note("Upstart strips the indentation shared by every line; an empty line shares none, so the whole script keeps its indentation")
        .with_help("indent the empty line like the others, or leave the script unindented");
        self.diagnostics.push(d);
    }
}

/// The first character boundary at or after `at` (the `\X` a blank-escape
/// span ends on may be a multibyte character).
fn ceil_char_boundary(text: &str, mut at: usize) -> usize {
    while at < text.len() && !text.is_char_boundary(at) {
        at += 1;
    }
    at.min(text.len())
}
