//! The condition tree of `start on` / `stop on`: event matches joined by
//! `and`/`or`. The parser builds it and the IR ([`crate::sema::ir::Condition`])
//! holds it, so it lives in this leaf module, which uses nothing from
//! `syntax`, `sema` or `graph`: the graph reads it from here (or through the
//! IR), never from the syntax tree.

use crate::source::Span;

/// One argument as Upstart reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub span: Span,
    pub value: String,
}

/// A `start on` / `stop on` expression. `and` and `or` have equal
/// precedence and associate to the left, exactly as Upstart parses them.
///
/// A long `a or b or c ...` chain is a tree as deep as it is long, so
/// nothing may walk it recursively: `Clone`, `PartialEq` and `Drop` are
/// written out with explicit stacks, and so must every other traversal be.
#[derive(Debug, Eq)]
pub enum Expr {
    Match(EventMatch),
    Binary(Box<Binary>),
}

#[derive(Debug, PartialEq, Eq)]
pub struct Binary {
    pub op: Operator,
    /// The `and`/`or` token.
    pub op_span: Span,
    pub left: Expr,
    pub right: Expr,
    /// Whether this node was written inside its own parentheses.
    pub parenthesized: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    And,
    Or,
}

impl Operator {
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::And => "and",
            Operator::Or => "or",
        }
    }
}

/// `EVENT [positional...] [KEY=VALUE | KEY!=VALUE ...]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMatch {
    pub span: Span,
    pub event: Word,
    pub args: Vec<EventArg>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventArg {
    pub span: Span,
    pub kind: ArgKind,
    /// The pattern (a glob, possibly with `$VAR` references).
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgKind {
    Positional,
    /// `KEY=VALUE`
    Equals(String),
    /// `KEY!=VALUE`
    NotEquals(String),
}

impl Expr {
    /// From the first event to the end of the last one (iterative: the
    /// start is on the left spine, the end on the right spine).
    pub fn span(&self) -> Span {
        let mut first = self;
        while let Expr::Binary(b) = first {
            first = &b.left;
        }
        let mut last = self;
        while let Expr::Binary(b) = last {
            last = &b.right;
        }
        match (first, last) {
            (Expr::Match(a), Expr::Match(b)) => a.span.to(b.span),
            _ => Span::default(),
        }
    }

    /// Upstart's canonical, fully bracketed rendering (job-language.md 7.5).
    pub fn canonical(&self) -> String {
        self.canonical_within(usize::MAX).unwrap_or_default()
    }

    /// The canonical rendering, or `None` as soon as it would exceed
    /// `max_len` bytes (so callers can afford it on any tree).
    pub fn canonical_within(&self, max_len: usize) -> Option<String> {
        enum Step<'a> {
            Visit(&'a Expr),
            Text(&'static str),
        }
        let mut out = String::new();
        let mut stack = vec![Step::Visit(self)];
        while let Some(step) = stack.pop() {
            if out.len() > max_len {
                return None;
            }
            match step {
                Step::Text(t) => out.push_str(t),
                Step::Visit(Expr::Match(m)) => m.write_canonical(&mut out),
                Step::Visit(Expr::Binary(b)) => {
                    stack.push(Step::Text(")"));
                    stack.push(Step::Visit(&b.right));
                    stack.push(Step::Text(if b.op == Operator::And {
                        " and "
                    } else {
                        " or "
                    }));
                    stack.push(Step::Visit(&b.left));
                    stack.push(Step::Text("("));
                }
            }
        }
        (out.len() <= max_len).then_some(out)
    }

    /// Every event match in the tree, left to right.
    pub fn matches(&self) -> Vec<&EventMatch> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            match e {
                Expr::Match(m) => out.push(m),
                Expr::Binary(b) => {
                    stack.push(&b.right);
                    stack.push(&b.left);
                }
            }
        }
        out
    }
}

impl EventMatch {
    fn write_canonical(&self, out: &mut String) {
        out.push_str(&self.event.value);
        for a in &self.args {
            out.push(' ');
            match &a.kind {
                ArgKind::Positional => {}
                ArgKind::Equals(k) => {
                    out.push_str(k);
                    out.push('=');
                }
                ArgKind::NotEquals(k) => {
                    out.push_str(k);
                    out.push_str("!=");
                }
            }
            out.push_str(&a.value);
        }
    }
}

/// A leaf that owns no heap memory, used to take subtrees out in place.
fn placeholder() -> Expr {
    Expr::Match(EventMatch {
        span: Span::default(),
        event: Word {
            span: Span::default(),
            value: String::new(),
        },
        args: Vec::new(),
    })
}

impl Drop for Expr {
    fn drop(&mut self) {
        let mut stack = Vec::new();
        if let Expr::Binary(b) = self {
            stack.push(std::mem::replace(&mut b.left, placeholder()));
            stack.push(std::mem::replace(&mut b.right, placeholder()));
        }
        while let Some(mut e) = stack.pop() {
            if let Expr::Binary(b) = &mut e {
                stack.push(std::mem::replace(&mut b.left, placeholder()));
                stack.push(std::mem::replace(&mut b.right, placeholder()));
            }
            // `e` now has leaf children only and drops without recursing.
        }
    }
}

impl Clone for Expr {
    fn clone(&self) -> Expr {
        // Post-order: clone children onto `done`, then assemble parents.
        enum Step<'a> {
            Visit(&'a Expr),
            Build(&'a Binary),
        }
        let mut stack = vec![Step::Visit(self)];
        let mut done: Vec<Expr> = Vec::new();
        while let Some(step) = stack.pop() {
            match step {
                Step::Visit(Expr::Match(m)) => done.push(Expr::Match(m.clone())),
                Step::Visit(Expr::Binary(b)) => {
                    stack.push(Step::Build(b));
                    stack.push(Step::Visit(&b.right));
                    stack.push(Step::Visit(&b.left));
                }
                Step::Build(b) => {
                    let right = done.pop().unwrap_or_else(placeholder);
                    let left = done.pop().unwrap_or_else(placeholder);
                    done.push(Expr::Binary(Box::new(Binary {
                        op: b.op,
                        op_span: b.op_span,
                        left,
                        right,
                        parenthesized: b.parenthesized,
                    })));
                }
            }
        }
        done.pop().unwrap_or_else(placeholder)
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Expr) -> bool {
        let mut stack = vec![(self, other)];
        while let Some((a, b)) = stack.pop() {
            match (a, b) {
                (Expr::Match(x), Expr::Match(y)) => {
                    if x != y {
                        return false;
                    }
                }
                (Expr::Binary(x), Expr::Binary(y)) => {
                    if x.op != y.op || x.op_span != y.op_span || x.parenthesized != y.parenthesized
                    {
                        return false;
                    }
                    stack.push((&x.left, &y.left));
                    stack.push((&x.right, &y.right));
                }
                _ => return false,
            }
        }
        true
    }
}
