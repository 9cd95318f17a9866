//! Just enough of `/bin/sh` for the checks that read `exec` lines and
//! `script` bodies: one lexer, [`tokens`], and the two readings built on
//! it: [`forks`] (does the shell fork before it runs the daemon? W0014) and
//! [`vars`] (which variables does the text take from its environment?
//! W0025).
//!
//! The lexer knows quotes, backslashes, comments, the control operators,
//! parameter references (`$NAME`, `${NAME...}`, `$1`, ...), command
//! substitutions (`$(...)`, backquotes), arithmetic (`$((...))`),
//! here-documents and `case` patterns. It is a reader for heuristics, not a
//! shell parser: it never fails, reads any text in one linear pass, and
//! never recurses on the input (nested substitutions and `case`s live on
//! explicit stacks).
//!
//! A substitution appears in the token stream as [`Token::Open`], the
//! tokens of the commands inside it, then [`Token::Close`]; the word that
//! contains it comes after, with a [`Part::Nested`] where it was. Of the
//! argument of `${X:-...}` and its kin only what [`Ref::inside`] holds is
//! kept: its references, and a [`Part::Nested`] for a substitution.

pub mod forks;
pub mod vars;

use upc_bundle::expand::name_len;

/// One token of shell text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Word(Word),
    /// A control operator, and where it is.
    Op(Op, usize),
    /// A command substitution or arithmetic expansion starts (at the `$` or
    /// backquote).
    Open(Nest, usize),
    /// ... and ends.
    Close(Nest),
    /// The body of a here-document (its byte range), and if the shell
    /// expands it, the references in it and whether it holds a command
    /// substitution.
    HereDoc {
        body: (usize, usize),
        refs: Vec<Ref>,
        substitution: bool,
    },
}

/// Control operators (redirections such as `>&2` or `>|` stay in words).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Newline,
    /// `;`
    Semi,
    /// `;;` (and `;&`, `;;&`), ending a `case` item.
    CaseBreak,
    /// `&`
    Amp,
    /// `&&`
    AndIf,
    /// `|`
    Pipe,
    /// `||`
    OrIf,
    LParen,
    RParen,
    /// The `)` that ends a `case` pattern.
    PatternEnd,
}

/// What opens inside a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nest {
    /// `$(...)` or `` `...` ``: runs commands in a subshell.
    Command,
    /// `$((...))`: arithmetic, no command.
    Arithmetic,
}

/// A word: where it is written, and what it is made of after quote removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub start: usize,
    pub end: usize,
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Literal text, quotes and escaping backslashes removed.
    Text(String),
    Ref(Ref),
    /// A parameter only the running shell knows: `$1`, `$@`, `$?`, `${#X}`.
    Param,
    /// A substitution (its tokens came before the word).
    Nested(Nest),
}

/// A reference to a variable by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref {
    pub name: String,
    /// Offset of its `$`.
    pub at: usize,
    pub op: RefOp,
    /// What its argument refers to and runs (`${X:-$Y}`, `${X:-$(cmd)}`).
    pub inside: Vec<Part>,
}

/// What a reference does with its variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefOp {
    /// `$NAME`, `${NAME}`: the value.
    Value,
    /// `${NAME-x}`, `${NAME:-x}`: the value, or the (unexpanded) default.
    Default { colon: bool, arg: String },
    /// `${NAME+x}`, `${NAME?x}` and their `:` forms: treats NAME as
    /// possibly unset.
    Test,
    /// `${NAME=x}`, `${NAME:=x}`: sets NAME if unset.
    Assign { colon: bool, arg: String },
    /// `${NAME%x}`, `${NAME#x}`, `${NAME/x/y}`, `${NAME^}`, `${NAME:1}`:
    /// the value, transformed.
    Transform,
    /// Anything else after the name (`${NAME[1]}`).
    Other,
}

impl Word {
    /// The text, if the word is only literal text.
    pub fn literal(&self) -> Option<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                _ => return None,
            }
        }
        Some(out)
    }

    /// Whether the word is exactly the literal `text`.
    pub fn is(&self, text: &str) -> bool {
        match self.parts.as_slice() {
            [Part::Text(t)] => t == text,
            [] => text.is_empty(),
            _ => self.literal().is_some_and(|l| l == text),
        }
    }

    /// Every reference in the word, those in the arguments of others
    /// (`${X:-$Y}`) included.
    pub fn refs(&self) -> impl Iterator<Item = &Ref> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Ref(r) => Some(std::iter::once(r).chain(r.inside.iter().filter_map(
                    |q| match q {
                        Part::Ref(inner) => Some(inner),
                        _ => None,
                    },
                ))),
                _ => None,
            })
            .flatten()
    }

    /// Whether the word runs a command substitution.
    pub fn has_substitution(&self) -> bool {
        let nested = |p: &Part| *p == Part::Nested(Nest::Command);
        self.parts.iter().any(|p| match p {
            Part::Ref(r) => r.inside.iter().any(nested),
            p => nested(p),
        })
    }
}

/// Reserved words after which a command (or its first word) follows.
pub const KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "esac", "!", "{", "}",
];

/// `NAME=` or `NAME+=` at the start of `raw` (as written, so a quoted
/// name is not an assignment): the name.
pub fn assignment(raw: &str) -> Option<&str> {
    let n = name_len(raw.as_bytes());
    let rest = raw.get(n..)?;
    (n > 0 && (rest.starts_with('=') || rest.starts_with("+="))).then(|| raw.get(..n))?
}

/// The tokens of `text`.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut lx = Lexer {
        s: text.as_bytes(),
        i: 0,
        out: Vec::new(),
        cur: Cursor::default(),
        frames: Vec::new(),
        heredocs: Vec::new(),
    };
    lx.run();
    lx.out
}

/// A word being read.
#[derive(Debug, Default)]
struct Builder {
    start: usize,
    parts: Vec<Part>,
}

impl Builder {
    fn text(&mut self, t: &str) {
        if let Some(Part::Text(last)) = self.parts.last_mut() {
            last.push_str(t);
        } else {
            self.parts.push(Part::Text(t.to_owned()));
        }
    }
}

/// Where a `case` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    /// After `case`: the subject word.
    Subject,
    /// After the subject: `in`.
    In,
    /// Reading patterns (up to their `)`), or `esac`.
    Patterns,
    /// The commands of an item, up to `;;` or `esac`.
    Body,
}

/// The reading state of one level (the text, or one substitution).
#[derive(Debug, Default)]
struct Cursor {
    word: Option<Builder>,
    double: bool,
    command_start: bool,
    parens: usize,
    cases: Vec<Case>,
}

struct Frame {
    nest: Nest,
    /// Opened by a backquote (closed by the next one).
    backquote: bool,
    /// Where it opened, for the word that contains it.
    at: usize,
    outer: Cursor,
}

/// A here-document announced on the current line.
struct HereDocSpec {
    delimiter: String,
    expands: bool,
    strip_tabs: bool,
}

struct Lexer<'s> {
    s: &'s [u8],
    i: usize,
    out: Vec<Token>,
    cur: Cursor,
    frames: Vec<Frame>,
    heredocs: Vec<HereDocSpec>,
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r')
}

impl Lexer<'_> {
    fn at(&self, i: usize) -> Option<u8> {
        self.s.get(i).copied()
    }

    fn slice(&self, from: usize, to: usize) -> String {
        String::from_utf8_lossy(self.s.get(from..to).unwrap_or_default()).into_owned()
    }

    fn word(&mut self) -> &mut Builder {
        let start = self.i;
        self.cur.word.get_or_insert_with(|| Builder {
            start,
            parts: Vec::new(),
        })
    }

    fn run(&mut self) {
        self.cur.command_start = true;
        while self.i < self.s.len() {
            if self.cur.word.is_none()
                && !self.cur.double
                && self.cur.cases.last() == Some(&Case::Patterns)
                && self.pattern()
            {
                continue;
            }
            self.step();
        }
        self.end_word();
        while let Some(frame) = self.frames.pop() {
            self.close(frame);
        }
        self.end_word();
    }

    /// Reads from the byte at `i`.
    fn step(&mut self) {
        let Some(c) = self.at(self.i) else { return };
        if self.cur.double {
            return self.in_double(c);
        }
        match c {
            b' ' | b'\t' | b'\r' => {
                self.end_word();
                self.i += 1;
            }
            b'\n' => {
                self.end_word();
                self.op(Op::Newline, 1);
                self.heredoc_bodies();
            }
            b'#' if self.cur.word.is_none() => {
                while self.at(self.i).is_some_and(|b| b != b'\n') {
                    self.i += 1;
                }
            }
            b'\\' => match self.at(self.i + 1) {
                Some(b'\n') => self.i += 2,
                Some(_) => {
                    let ch = self.char_at(self.i + 1);
                    self.word().text(&ch);
                    self.i += 1 + ch.len();
                }
                None => {
                    self.word().text("\\");
                    self.i += 1;
                }
            },
            b'\'' => {
                self.word();
                let from = self.i + 1;
                let end = self
                    .s
                    .get(from..)
                    .and_then(|r| r.iter().position(|&b| b == b'\''))
                    .map_or(self.s.len(), |p| from + p);
                let t = self.slice(from, end);
                self.word().text(&t);
                self.i = end + 1;
            }
            b'"' => {
                self.word();
                self.cur.double = true;
                self.i += 1;
            }
            b'$' => self.dollar(),
            b'`' => self.backquote(),
            b';' => {
                self.end_word();
                match (self.at(self.i + 1), self.at(self.i + 2)) {
                    (Some(b';'), Some(b'&')) => self.op(Op::CaseBreak, 3),
                    (Some(b';' | b'&'), _) => self.op(Op::CaseBreak, 2),
                    _ => self.op(Op::Semi, 1),
                }
            }
            b'&' if self.redirection() => {
                self.word().text("&");
                self.i += 1;
            }
            b'&' => {
                self.end_word();
                if self.at(self.i + 1) == Some(b'&') {
                    self.op(Op::AndIf, 2);
                } else {
                    self.op(Op::Amp, 1);
                }
            }
            b'|' if self.redirection() => {
                self.word().text("|");
                self.i += 1;
            }
            b'|' => {
                self.end_word();
                if self.at(self.i + 1) == Some(b'|') {
                    self.op(Op::OrIf, 2);
                } else {
                    self.op(Op::Pipe, 1);
                }
            }
            b'(' => {
                self.end_word();
                self.cur.parens += 1;
                self.op(Op::LParen, 1);
            }
            b')' => self.rparen(),
            b'<' if self.at(self.i + 1) == Some(b'<') && self.at(self.i + 2) != Some(b'<') => {
                self.end_word();
                self.heredoc_operator();
            }
            _ => {
                let ch = self.char_at(self.i);
                self.word().text(&ch);
                self.i += ch.len();
            }
        }
    }

    /// The character at `i` (a whole UTF-8 sequence, or one byte).
    fn char_at(&self, i: usize) -> String {
        let len = match self.at(i) {
            Some(b) if b >= 0xf0 => 4,
            Some(b) if b >= 0xe0 => 3,
            Some(b) if b >= 0xc0 => 2,
            _ => 1,
        };
        let end = (i + len).min(self.s.len());
        self.slice(i, end)
    }

    /// Whether the `&` or `|` at `i` belongs to a redirection (`>&2`,
    /// `2<&0`, `>|`): the word so far ends in `>` or `<`.
    fn redirection(&self) -> bool {
        matches!(
            self.cur.word.as_ref().and_then(|w| w.parts.last()),
            Some(Part::Text(t)) if t.ends_with(['>', '<'])
        )
    }

    fn in_double(&mut self, c: u8) {
        match c {
            b'"' => {
                self.cur.double = false;
                self.i += 1;
            }
            b'\\' => match self.at(self.i + 1) {
                Some(b'\n') => self.i += 2,
                Some(e @ (b'$' | b'`' | b'"' | b'\\')) => {
                    self.word().text(&char::from(e).to_string());
                    self.i += 2;
                }
                _ => {
                    self.word().text("\\");
                    self.i += 1;
                }
            },
            b'$' => self.dollar(),
            b'`' => self.backquote(),
            _ => {
                let ch = self.char_at(self.i);
                self.word().text(&ch);
                self.i += ch.len();
            }
        }
    }

    fn op(&mut self, op: Op, len: usize) {
        self.out.push(Token::Op(op, self.i));
        self.i += len;
        self.cur.command_start = true;
        if op == Op::CaseBreak {
            if let Some(c) = self.cur.cases.last_mut() {
                *c = Case::Patterns;
            }
        }
    }

    fn end_word(&mut self) {
        let Some(b) = self.cur.word.take() else {
            return;
        };
        let word = Word {
            start: b.start,
            end: self.i,
            parts: b.parts,
        };
        self.note_case(&word);
        self.cur.command_start = KEYWORDS.iter().any(|k| word.is(k));
        self.out.push(Token::Word(word));
    }

    /// Follows `case WORD in` and `esac`.
    fn note_case(&mut self, word: &Word) {
        match self.cur.cases.last().copied() {
            Some(Case::Subject) => {
                if let Some(c) = self.cur.cases.last_mut() {
                    *c = Case::In;
                }
                return;
            }
            Some(Case::In) => {
                if let Some(c) = self.cur.cases.last_mut() {
                    *c = if word.is("in") {
                        Case::Patterns
                    } else {
                        Case::Body
                    };
                }
                return;
            }
            _ => {}
        }
        if self.cur.command_start {
            if word.is("case") {
                self.cur.cases.push(Case::Subject);
            } else if word.is("esac") {
                self.cur.cases.pop();
            }
        }
    }

    /// At a pattern of a `case` item: reads it whole (`start|restart`) up
    /// to its `)`. Returns whether it consumed anything.
    fn pattern(&mut self) -> bool {
        let start = self.i;
        while self.at(self.i).is_some_and(|b| is_blank(b) || b == b'\n') {
            self.i += 1;
        }
        match self.at(self.i) {
            None => return self.i != start,
            Some(b'#') => {
                while self.at(self.i).is_some_and(|b| b != b'\n') {
                    self.i += 1;
                }
                return true;
            }
            _ => {}
        }
        let rest = self.s.get(self.i..).unwrap_or_default();
        let esac = rest.starts_with(b"esac")
            && rest
                .get(4)
                .is_none_or(|&b| is_blank(b) || matches!(b, b'\n' | b';' | b')'));
        if esac {
            // Read as an ordinary word, which ends the `case`.
            self.cur.command_start = true;
            return self.i != start;
        }
        if self.at(self.i) == Some(b'(') {
            self.i += 1;
        }
        let from = self.i;
        let mut quote: Option<u8> = None;
        while let Some(b) = self.at(self.i) {
            match (quote, b) {
                (Some(q), _) if b == q => quote = None,
                (Some(_), _) => {}
                (None, b'\'' | b'"') => quote = Some(b),
                (None, b'\\') => self.i += 1,
                (None, b')' | b'\n') => break,
                _ => {}
            }
            self.i += 1;
        }
        let text = self.slice(from, self.i.min(self.s.len()));
        self.out.push(Token::Word(Word {
            start: from,
            end: self.i.min(self.s.len()),
            parts: vec![Part::Text(text)],
        }));
        if self.at(self.i) == Some(b')') {
            self.op(Op::PatternEnd, 1);
        }
        if let Some(c) = self.cur.cases.last_mut() {
            *c = Case::Body;
        }
        true
    }

    fn rparen(&mut self) {
        let closes = self.cur.parens == 0
            && self
                .frames
                .last()
                .is_some_and(|f| f.nest == Nest::Command && !f.backquote);
        if closes {
            self.end_word();
            self.i += 1;
            if let Some(frame) = self.frames.pop() {
                self.close(frame);
            }
            return;
        }
        let arithmetic_end = self.cur.parens == 0
            && self.at(self.i + 1) == Some(b')')
            && self
                .frames
                .last()
                .is_some_and(|f| f.nest == Nest::Arithmetic);
        if arithmetic_end {
            self.end_word();
            self.i += 2;
            if let Some(frame) = self.frames.pop() {
                self.close(frame);
            }
            return;
        }
        self.end_word();
        self.cur.parens = self.cur.parens.saturating_sub(1);
        self.op(Op::RParen, 1);
    }

    fn open(&mut self, nest: Nest, backquote: bool, len: usize) {
        let at = self.i;
        // The word that contains it goes on after it closes.
        self.word();
        let outer = std::mem::replace(
            &mut self.cur,
            Cursor {
                command_start: true,
                ..Cursor::default()
            },
        );
        self.frames.push(Frame {
            nest,
            backquote,
            at,
            outer,
        });
        self.out.push(Token::Open(nest, at));
        self.i += len;
    }

    fn close(&mut self, frame: Frame) {
        self.end_word();
        self.out.push(Token::Close(frame.nest));
        self.cur = frame.outer;
        let at = frame.at;
        self.cur
            .word
            .get_or_insert_with(|| Builder {
                start: at,
                parts: Vec::new(),
            })
            .parts
            .push(Part::Nested(frame.nest));
    }

    fn backquote(&mut self) {
        if self.frames.last().is_some_and(|f| f.backquote) {
            self.end_word();
            self.i += 1;
            if let Some(frame) = self.frames.pop() {
                self.close(frame);
            }
        } else {
            self.open(Nest::Command, true, 1);
        }
    }

    /// A `$` at `i`.
    fn dollar(&mut self) {
        match (self.at(self.i + 1), self.at(self.i + 2)) {
            (Some(b'('), Some(b'(')) => self.open(Nest::Arithmetic, false, 3),
            (Some(b'('), _) => self.open(Nest::Command, false, 2),
            (Some(b'\''), _) if !self.cur.double => {
                // `$'...'`: an ANSI-C string, read like single quotes.
                let mut j = self.i + 2;
                while let Some(b) = self.at(j) {
                    match b {
                        b'\\' => j += 2,
                        b'\'' => break,
                        _ => j += 1,
                    }
                }
                let t = self.slice(self.i + 2, j.min(self.s.len()));
                self.word().text(&t);
                self.i = j + 1;
            }
            _ => {
                let (mut part, next) = reference(self.s, self.i);
                if let Some(Part::Ref(r)) = &mut part {
                    r.inside = default_parts(self.s, r, next);
                }
                let w = self.word();
                match part {
                    Some(p) => w.parts.push(p),
                    None => w.text("$"),
                }
                self.i = next;
            }
        }
    }

    /// `<<` or `<<-` and its delimiter word.
    fn heredoc_operator(&mut self) {
        self.i += 2;
        let strip_tabs = self.at(self.i) == Some(b'-');
        if strip_tabs {
            self.i += 1;
        }
        while self.at(self.i).is_some_and(is_blank) {
            self.i += 1;
        }
        let mut delimiter = Vec::new();
        let mut quoted = false;
        while let Some(b) = self.at(self.i) {
            match b {
                b'\'' | b'"' | b'\\' => quoted = true,
                _ if b.is_ascii_whitespace()
                    || matches!(b, b';' | b'|' | b'&' | b'<' | b'>' | b')') =>
                {
                    break
                }
                _ => delimiter.push(b),
            }
            self.i += 1;
        }
        if !delimiter.is_empty() {
            self.heredocs.push(HereDocSpec {
                delimiter: String::from_utf8_lossy(&delimiter).into_owned(),
                expands: !quoted,
                strip_tabs,
            });
        }
    }

    /// The bodies of the here-documents announced on the line just ended.
    fn heredoc_bodies(&mut self) {
        for doc in std::mem::take(&mut self.heredocs) {
            let mut refs = Vec::new();
            let mut substitution = false;
            let body_start = self.i;
            let mut body_end = self.s.len();
            while self.i < self.s.len() {
                let end = self
                    .s
                    .get(self.i..)
                    .and_then(|r| r.iter().position(|&b| b == b'\n'))
                    .map_or(self.s.len(), |p| self.i + p);
                let line = self.s.get(self.i..end).unwrap_or_default();
                let bare = if doc.strip_tabs {
                    let k = line.iter().position(|&b| b != b'\t').unwrap_or(line.len());
                    line.get(k..).unwrap_or_default()
                } else {
                    line
                };
                if bare == doc.delimiter.as_bytes() {
                    body_end = self.i;
                    self.i = end + 1;
                    break;
                }
                if doc.expands {
                    let mut k = self.i;
                    while k < end {
                        match self.at(k) {
                            Some(b'\\') => k += 2,
                            Some(b'$') if self.at(k + 1) == Some(b'(') => {
                                substitution |= self.at(k + 2) != Some(b'(');
                                k += 2;
                            }
                            Some(b'`') => {
                                substitution = true;
                                k += 1;
                            }
                            Some(b'$') => {
                                let (part, next) = reference(self.s, k);
                                if let Some(Part::Ref(r)) = part {
                                    refs.push(r);
                                }
                                k = next.max(k + 1);
                            }
                            _ => k += 1,
                        }
                    }
                }
                self.i = end + 1;
            }
            self.i = self.i.min(self.s.len());
            self.out.push(Token::HereDoc {
                body: (body_start, body_end.max(body_start)),
                refs,
                substitution,
            });
        }
    }
}

/// A parameter reference at the `$` at `i` (not `$(`): the part, and the
/// index after it; `None` for a `$` that stays literal.
fn reference(s: &[u8], i: usize) -> (Option<Part>, usize) {
    let at = |k: usize| s.get(k).copied();
    let name_at = |k: usize| {
        let n = name_len(s.get(k..).unwrap_or_default());
        (n > 0).then(|| String::from_utf8_lossy(s.get(k..k + n).unwrap_or_default()).into_owned())
    };
    match at(i + 1) {
        Some(b'{') => {
            // The closing `}`, and the index after it.
            let (close, next) = match braced_end(s, i + 2) {
                Some(k) => (k, k + 1),
                None => (s.len(), s.len()),
            };
            let Some(name) = name_at(i + 2) else {
                // `${#X}`, `${!X}`, `${1}`, `${@}`: only the shell knows.
                return (Some(Part::Param), next);
            };
            let after = i + 2 + name.len();
            let arg = |from: usize| {
                String::from_utf8_lossy(s.get(from..close.max(from)).unwrap_or_default())
                    .into_owned()
            };
            let op = match (at(after), at(after + 1)) {
                (Some(b'}'), _) => RefOp::Value,
                (Some(b':'), Some(b'-')) => RefOp::Default {
                    colon: true,
                    arg: arg(after + 2),
                },
                (Some(b'-'), _) => RefOp::Default {
                    colon: false,
                    arg: arg(after + 1),
                },
                (Some(b':'), Some(b'=')) => RefOp::Assign {
                    colon: true,
                    arg: arg(after + 2),
                },
                (Some(b'='), _) => RefOp::Assign {
                    colon: false,
                    arg: arg(after + 1),
                },
                (Some(b':'), Some(b'+' | b'?')) | (Some(b'+' | b'?'), _) => RefOp::Test,
                (Some(b'%' | b'#' | b'/' | b'^' | b',' | b':'), _) => RefOp::Transform,
                _ => RefOp::Other,
            };
            (
                Some(Part::Ref(Ref {
                    name,
                    at: i,
                    op,
                    inside: Vec::new(),
                })),
                next,
            )
        }
        Some(b) if b.is_ascii_digit() || b"@*#?$!-".contains(&b) => (Some(Part::Param), i + 2),
        _ => match name_at(i + 1) {
            Some(name) => {
                let next = i + 1 + name.len();
                (
                    Some(Part::Ref(Ref {
                        name,
                        at: i,
                        op: RefOp::Value,
                        inside: Vec::new(),
                    })),
                    next,
                )
            }
            None => (None, i + 1),
        },
    }
}

/// What the argument of `${NAME:-arg}` and its kin (the reference `r`,
/// ending at `end`) holds: its references (`$X`, `${X...}` with the
/// operator read from the bytes right after the name) and a substitution
/// (`$(...)`, a backquote). One flat pass over the argument, however
/// deeply references nest in it.
fn default_parts(s: &[u8], r: &Ref, end: usize) -> Vec<Part> {
    if matches!(r.op, RefOp::Value | RefOp::Transform | RefOp::Other) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut substitution = false;
    let mut k = r.at + 2;
    while k < end {
        match (s.get(k), s.get(k + 1), s.get(k + 2)) {
            (Some(b'`'), _, _) | (Some(b'$'), Some(b'('), Some(_)) => {
                substitution |= !(s.get(k) == Some(&b'$') && s.get(k + 2) == Some(&b'('));
                k += 1;
                continue;
            }
            (Some(b'$'), _, _) => {}
            _ => {
                k += 1;
                continue;
            }
        }
        let braced = s.get(k + 1) == Some(&b'{');
        let from = k + 1 + usize::from(braced);
        let n = name_len(s.get(from..end).unwrap_or_default());
        if n > 0 {
            let name =
                String::from_utf8_lossy(s.get(from..from + n).unwrap_or_default()).into_owned();
            let colon = s.get(from + n) == Some(&b':');
            let op = match (braced, s.get(from + n), s.get(from + n + 1)) {
                (false, _, _) | (true, Some(b'}'), _) => RefOp::Value,
                (true, Some(b':'), Some(b'-')) | (true, Some(b'-'), _) => RefOp::Default {
                    colon,
                    arg: String::new(),
                },
                (true, Some(b':'), Some(b'=')) | (true, Some(b'='), _) => RefOp::Assign {
                    colon,
                    arg: String::new(),
                },
                (true, Some(b':'), Some(b'+' | b'?')) | (true, Some(b'+' | b'?'), _) => RefOp::Test,
                (true, Some(b'%' | b'#' | b'/' | b'^' | b',' | b':'), _) => RefOp::Transform,
                _ => RefOp::Other,
            };
            out.push(Part::Ref(Ref {
                name,
                at: k,
                op,
                inside: Vec::new(),
            }));
        }
        k = from + n.max(1);
    }
    if substitution {
        out.push(Part::Nested(Nest::Command));
    }
    out
}

/// The index of the `}` closing a `${` whose contents start at `from`
/// (nested braces and quotes counted); `None` when it is never closed.
fn braced_end(s: &[u8], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut k = from;
    while let Some(&b) = s.get(k) {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'\'' | b'"') => quote = Some(b),
            (None, b'\\') => k += 1,
            (None, b'{') => depth += 1,
            (None, b'}') if depth == 0 => return Some(k),
            (None, b'}') => depth -= 1,
            _ => {}
        }
        k += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Words as literal text (or `<...>` when not literal), ops by name.
    fn show(text: &str) -> Vec<String> {
        tokens(text)
            .iter()
            .map(|t| match t {
                Token::Word(w) => w.literal().unwrap_or_else(|| {
                    w.parts
                        .iter()
                        .map(|p| match p {
                            Part::Text(t) => t.clone(),
                            Part::Ref(r) => format!("<{}>", r.name),
                            Part::Param => "<param>".to_owned(),
                            Part::Nested(_) => "<nested>".to_owned(),
                        })
                        .collect()
                }),
                Token::Op(op, _) => format!("{op:?}"),
                Token::Open(n, _) => format!("Open{n:?}"),
                Token::Close(n) => format!("Close{n:?}"),
                Token::HereDoc { refs, .. } => {
                    let names: Vec<&str> = refs.iter().map(|r| r.name.as_str()).collect();
                    format!("HereDoc{names:?}")
                }
            })
            .collect()
    }

    #[test]
    fn quotes_escapes_and_comments() {
        assert_eq!(
            show("echo 'a b' \"c $D\" e\\ f # no\n"),
            ["echo", "a b", "c <D>", "e f", "Newline"]
        );
        assert_eq!(show("a\\\nb"), ["ab"]);
        assert_eq!(show("x#y"), ["x#y"]);
    }

    #[test]
    fn operators_and_redirections() {
        assert_eq!(
            show("a | b || c && d & e; f >&2 2>&1 >| g"),
            [
                "a", "Pipe", "b", "OrIf", "c", "AndIf", "d", "Amp", "e", "Semi", "f", ">&2",
                "2>&1", ">|", "g"
            ]
        );
    }

    #[test]
    fn substitutions_nest_on_a_stack() {
        assert_eq!(
            show("P=$(cat $(x) `y`) z"),
            [
                "OpenCommand",
                "cat",
                "OpenCommand",
                "x",
                "CloseCommand",
                "<nested>",
                "OpenCommand",
                "y",
                "CloseCommand",
                "<nested>",
                "CloseCommand",
                "P=<nested>",
                "z"
            ]
        );
        assert_eq!(
            show("echo $((1 + 2))"),
            [
                "echo",
                "OpenArithmetic",
                "1",
                "+",
                "2",
                "CloseArithmetic",
                "<nested>"
            ]
        );
        // Deep nesting is a stack, not recursion.
        let deep = "$(".repeat(100_000);
        assert!(tokens(&deep).len() >= 100_000);
    }

    #[test]
    fn references_and_their_operators() {
        let refs: Vec<(String, RefOp)> =
            tokens("$A ${B} ${C:-x} ${D=y} ${E+z} ${F%.*} ${G[1]} $1 ${#H} ${I:-$J/x}")
                .iter()
                .filter_map(|t| match t {
                    Token::Word(w) => Some(
                        w.refs()
                            .map(|r| (r.name.clone(), r.op.clone()))
                            .collect::<Vec<_>>(),
                    ),
                    _ => None,
                })
                .flatten()
                .collect();
        assert_eq!(
            refs,
            [
                ("A".to_owned(), RefOp::Value),
                ("B".to_owned(), RefOp::Value),
                (
                    "C".to_owned(),
                    RefOp::Default {
                        colon: true,
                        arg: "x".into()
                    }
                ),
                (
                    "D".to_owned(),
                    RefOp::Assign {
                        colon: false,
                        arg: "y".into()
                    }
                ),
                ("E".to_owned(), RefOp::Test),
                ("F".to_owned(), RefOp::Transform),
                ("G".to_owned(), RefOp::Other),
                (
                    "I".to_owned(),
                    RefOp::Default {
                        colon: true,
                        arg: "$J/x".into()
                    }
                ),
                ("J".to_owned(), RefOp::Value),
            ]
        );
    }

    #[test]
    fn here_documents_and_case_patterns() {
        assert_eq!(
            show("cat <<EOF\n$C | x\nEOF\necho\n"),
            ["cat", "Newline", "HereDoc[\"C\"]", "echo", "Newline"]
        );
        assert_eq!(
            show("cat <<'EOF'\n$C\nEOF\n"),
            ["cat", "Newline", "HereDoc[]"]
        );
        assert_eq!(
            show("case $1 in\n  start|restart) exec a ;;\n  *) exit ;;\nesac\n"),
            [
                "case",
                "<param>",
                "in",
                "Newline",
                "start|restart",
                "PatternEnd",
                "exec",
                "a",
                "CaseBreak",
                "*",
                "PatternEnd",
                "exit",
                "CaseBreak",
                "esac",
                "Newline"
            ]
        );
    }
}
