//! The conformance harness: compile a job file through `syntax::parse` and
//! `sema::lower` (without `check.rs`), render the resulting `JobClass` as a
//! flat map of properties, and run table-driven suites that check every row
//! and report every failing row (with its case id, expected and got) at once.
//!
//! Inputs are written in the inventory's notation (test-inventory.md §0):
//! `\n` is LF, `\t` TAB, `\r` CR, and every other backslash is literal. So
//! rows are copied verbatim from the inventory into raw strings and go
//! through [`c`] before use.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};

use upc::diag::{Code, Diagnostic};
use upc::sema::ir::{LimitValue, Process, ProcessBody, Resource};
use upc::sema::{self, JobClass};
use upc::source::{FileId, SourceFile, SourceMap};
use upc::syntax::ast;

/// Converts the inventory's notation to the real text: `\n` -> LF,
/// `\t` -> TAB, `\r` -> CR; any other backslash is kept as is.
pub fn c(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch != '\\' {
            out.push(ch);
            continue;
        }
        match chars.peek() {
            Some('n') => {
                chars.next();
                out.push('\n');
            }
            Some('t') => {
                chars.next();
                out.push('\t');
            }
            Some('r') => {
                chars.next();
                out.push('\r');
            }
            _ => out.push('\\'),
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Compiling

/// The result of compiling one job (a `.conf`, optionally with an override).
pub struct Outcome {
    pub class: JobClass,
    /// Parse and sema diagnostics together, in file order (first file first,
    /// then by start offset).
    pub diags: Vec<Diagnostic>,
    pub sources: SourceMap,
}

impl Outcome {
    /// 1-based line and column of a diagnostic's primary span start.
    pub fn line_col(&self, d: &Diagnostic) -> (usize, usize) {
        self.sources
            .get(d.primary.file)
            .map_or((0, 0), |f| f.line_col(d.primary.span.start as usize))
    }

    pub fn line(&self, d: &Diagnostic) -> usize {
        self.line_col(d).0
    }

    pub fn errors(&self) -> Vec<&Diagnostic> {
        self.diags.iter().filter(|d| d.is_error()).collect()
    }

    pub fn first_error(&self) -> Option<&Diagnostic> {
        self.diags.iter().find(|d| d.is_error())
    }

    pub fn count(&self, code: Code) -> usize {
        self.diags.iter().filter(|d| d.code == code).count()
    }

    /// One diagnostic as `E0001 test.conf:1:5 (offset 4) Expected token`.
    pub fn describe(&self, d: &Diagnostic) -> String {
        let (line, col) = self.line_col(d);
        format!(
            "{} {}:{line}:{col} (offset {}) {}",
            d.code.as_str(),
            self.sources.path(d.primary.file).display(),
            d.primary.span.start,
            d.message
        )
    }

    /// Every diagnostic, one per line, indented.
    pub fn describe_all(&self) -> String {
        if self.diags.is_empty() {
            return "      (no diagnostics)".to_string();
        }
        let mut out = String::new();
        for d in &self.diags {
            let _ = writeln!(out, "      {}", self.describe(d));
        }
        out.trim_end().to_string()
    }
}

/// Compiles a single job file named `test.conf`.
pub fn compile(text: &str) -> Outcome {
    compile_files(&[("test.conf", text)])
}

/// Compiles a job from its parts (the `.conf` first, then an override): each
/// text is added to a fresh `SourceMap`, parsed, and all parts are lowered
/// together into one class.
pub fn compile_files(files: &[(&str, &str)]) -> Outcome {
    let mut sources = SourceMap::new();
    let ids: Vec<FileId> = files
        .iter()
        .map(|(name, text)| sources.add(SourceFile::new(*name, text.as_bytes().to_vec())))
        .collect();
    let texts: Vec<&str> = ids
        .iter()
        .map(|&id| sources.get(id).map_or("", |f| f.text.as_str()))
        .collect();
    let mut parts = ids.iter().copied().zip(texts.iter().copied());
    let conf = parts.next().unwrap_or((FileId(0), ""));
    let lowered = sema::lower_texts("test", conf, parts.next());
    let class = lowered.class;
    let mut diags = lowered.parse;
    diags.extend(lowered.sema);
    diags.sort_by_key(|d| (d.primary.file, d.primary.span.start));
    Outcome {
        class,
        diags,
        sources,
    }
}

/// Like [`compile_files`], but a panic in the pipeline becomes an `Err`.
pub fn try_compile(files: &[(&str, &str)]) -> Result<Outcome, String> {
    catch_unwind(AssertUnwindSafe(|| compile_files(files))).map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_string()))
            .unwrap_or_else(|| "non-string panic".to_string())
    })
}

// ---------------------------------------------------------------------------
// Rendering

/// An event expression in the inventory's notation: `OR(a, b)`, `AND(a, b)`,
/// `name[arg, KEY=value, KEY!=value]`, a bare `name` without arguments.
pub fn tree(e: &ast::Expr) -> String {
    match e {
        ast::Expr::Match(m) => {
            if m.args.is_empty() {
                return m.event.value.clone();
            }
            let args: Vec<String> = m
                .args
                .iter()
                .map(|a| match &a.kind {
                    ast::ArgKind::Positional => a.value.clone(),
                    ast::ArgKind::Equals(k) => format!("{k}={}", a.value),
                    ast::ArgKind::NotEquals(k) => format!("{k}!={}", a.value),
                })
                .collect();
            format!("{}[{}]", m.event.value, args.join(", "))
        }
        ast::Expr::Binary(b) => {
            let op = match b.op {
                ast::Operator::And => "AND",
                ast::Operator::Or => "OR",
            };
            format!("{op}({}, {})", tree(&b.left), tree(&b.right))
        }
    }
}

pub const NONE: &str = "<none>";

fn process(p: Option<&Process>) -> String {
    match p.map(|p| &p.body) {
        None => NONE.to_string(),
        Some(ProcessBody::Exec(t)) => format!("exec {t}"),
        Some(ProcessBody::Script(t)) => format!("script {t}"),
    }
}

fn opt_str(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| NONE.to_string())
}

fn opt_num<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| NONE.to_string(), |n| n.to_string())
}

fn limit_value(v: LimitValue) -> String {
    match v {
        LimitValue::Unlimited => "unlimited".to_string(),
        LimitValue::Value(n) => n.to_string(),
    }
}

/// Every observable property of a class, by the names the inventory uses.
pub fn props(class: &JobClass) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        m.insert(k.to_string(), v);
    };
    put("description", opt_str(&class.description));
    put("author", opt_str(&class.author));
    put("version", opt_str(&class.version));
    put("usage", opt_str(&class.usage));
    put("main", process(class.processes.main.as_ref()));
    put("pre-start", process(class.processes.pre_start.as_ref()));
    put("post-start", process(class.processes.post_start.as_ref()));
    put("pre-stop", process(class.processes.pre_stop.as_ref()));
    put("post-stop", process(class.processes.post_stop.as_ref()));
    put("security", process(class.processes.security.as_ref()));
    put(
        "start on",
        class
            .start_on
            .as_ref()
            .map_or_else(|| NONE.to_string(), |c| tree(&c.expr)),
    );
    put(
        "stop on",
        class
            .stop_on
            .as_ref()
            .map_or_else(|| NONE.to_string(), |c| tree(&c.expr)),
    );
    put(
        "emits",
        format!(
            "{:?}",
            class.emits.iter().map(|s| &s.value).collect::<Vec<_>>()
        ),
    );
    put("task", class.task.to_string());
    put("respawn", class.respawn.to_string());
    // Upstart stores "unlimited" as 0.
    put(
        "respawn_limit",
        class.respawn_limit.count.unwrap_or(0).to_string(),
    );
    put(
        "respawn_interval",
        class.respawn_limit.interval_secs.unwrap_or(0).to_string(),
    );
    put("normalexit", format!("{:?}", class.normal_exit));
    put("instance", class.instance.clone());
    put("expect", format!("{:?}", class.expect));
    put("kill_timeout", class.kill_timeout_secs.to_string());
    put("kill_signal", class.kill_signal.to_string());
    put("reload_signal", class.reload_signal.to_string());
    put(
        "console",
        class
            .console
            .map_or_else(|| NONE.to_string(), |c| format!("{c:?}")),
    );
    put("umask", format!("{:04o}", class.umask));
    put("nice", opt_num(class.nice));
    put("oom_score_adj", opt_num(class.oom_score));
    for (r, name) in Resource::ALL.map(|r| (r, r.name())) {
        let v = class.limits.get(&r).map_or_else(
            || NONE.to_string(),
            |(soft, hard)| format!("({}, {})", limit_value(*soft), limit_value(*hard)),
        );
        put(&format!("limit {name}"), v);
    }
    put("chroot", opt_str(&class.chroot));
    put("chdir", opt_str(&class.chdir));
    put("setuid", opt_str(&class.setuid));
    put("setgid", opt_str(&class.setgid));
    put("apparmor_switch", opt_str(&class.apparmor_switch));
    put(
        "env",
        format!(
            "{:?}",
            class.env.iter().map(|s| &s.value).collect::<Vec<_>>()
        ),
    );
    put(
        "export",
        format!(
            "{:?}",
            class.export.iter().map(|s| &s.value).collect::<Vec<_>>()
        ),
    );
    put("cgroup", cgroups(class));
    put("debug", class.debug.to_string());
    m
}

/// `controller[name{k=v, k=v}, name{}]`, controllers joined by `; `.
fn cgroups(class: &JobClass) -> String {
    if class.cgroups.is_empty() {
        return NONE.to_string();
    }
    let groups: Vec<String> = class
        .cgroups
        .iter()
        .map(|cg| {
            let names: Vec<String> = cg
                .names
                .iter()
                .map(|(name, settings)| {
                    let kv: Vec<String> =
                        settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    format!("{name}{{{}}}", kv.join(", "))
                })
                .collect();
            format!("{}[{}]", cg.controller, names.join(", "))
        })
        .collect();
    groups.join("; ")
}

fn default_props() -> BTreeMap<String, String> {
    props(&JobClass::new("test", FileId(0)))
}

// Expected-value builders (all in the inventory's notation, see [`c`]).

pub fn exec(cmd: &str) -> String {
    format!("exec {}", c(cmd))
}

pub fn script(text: &str) -> String {
    format!("script {}", c(text))
}

pub fn val(v: &str) -> String {
    c(v)
}

pub fn num(n: i64) -> String {
    n.to_string()
}

pub fn none() -> String {
    NONE.to_string()
}

pub fn list(items: &[&str]) -> String {
    format!("{:?}", items.iter().map(|s| c(s)).collect::<Vec<_>>())
}

/// Compares the class against the expected properties; every property not
/// listed must be at its default (test-inventory.md §0). Returns problems.
pub fn compare_props(class: &JobClass, expected: &[(&str, String)]) -> Vec<String> {
    let got = props(class);
    let defaults = default_props();
    let mut problems = Vec::new();
    for (k, _) in expected {
        if !got.contains_key(*k) {
            problems.push(format!("test bug: unknown property {k:?}"));
        }
    }
    for (k, g) in &got {
        let (want, listed) = match expected.iter().rev().find(|(ek, _)| *ek == k.as_str()) {
            Some((_, v)) => (v.clone(), true),
            None => (defaults.get(k).cloned().unwrap_or_default(), false),
        };
        if *g != want {
            let what = if listed {
                "expected"
            } else {
                "expected default"
            };
            problems.push(format!("{k}: {what} {want:?}, got {g:?}"));
        }
    }
    problems
}

// ---------------------------------------------------------------------------
// Suites

/// A table of cases for one feature. Every row runs; `finish` fails with the
/// list of every failing row.
pub struct Suite {
    name: &'static str,
    expected_cases: Option<usize>,
    ids: Vec<String>,
    failures: Vec<String>,
    notes: Vec<String>,
}

impl Suite {
    /// `expected_cases`: the count the inventory gives for this feature, so a
    /// row dropped by mistake is noticed.
    pub fn new(name: &'static str, expected_cases: Option<usize>) -> Suite {
        Suite {
            name,
            expected_cases,
            ids: Vec::new(),
            failures: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn run(&mut self, id: &str, files: &[(&str, &str)]) -> Option<Outcome> {
        self.ids.push(id.to_string());
        match try_compile(files) {
            Ok(o) => Some(o),
            Err(msg) => {
                self.fail(id, files, &[format!("the pipeline panicked: {msg}")], None);
                None
            }
        }
    }

    fn fail(&mut self, id: &str, files: &[(&str, &str)], problems: &[String], o: Option<&Outcome>) {
        let mut msg = String::new();
        for (name, text) in files {
            let _ = writeln!(msg, "{id}: {name} = {text:?}");
        }
        for p in problems {
            let _ = writeln!(msg, "    {p}");
        }
        if let Some(o) = o {
            let _ = writeln!(msg, "    diagnostics:\n{}", o.describe_all());
        }
        self.failures.push(msg);
    }

    /// The input (inventory notation) must parse with no error and the class
    /// must have the listed properties, everything else at its default.
    pub fn accepts(&mut self, id: &str, input: &str, expected: &[(&str, String)]) {
        self.accepts_files(id, &[("test.conf", input)], &[], expected);
    }

    /// As [`Suite::accepts`], and each listed warning must be reported.
    pub fn accepts_warning(
        &mut self,
        id: &str,
        input: &str,
        warnings: &[Code],
        expected: &[(&str, String)],
    ) {
        self.accepts_files(id, &[("test.conf", input)], warnings, expected);
    }

    /// As [`Suite::accepts`] for a job made of several files (conf, override).
    pub fn accepts_files(
        &mut self,
        id: &str,
        files: &[(&str, &str)],
        warnings: &[Code],
        expected: &[(&str, String)],
    ) {
        self.accepts_with(id, files, |o| {
            let mut problems = Vec::new();
            for w in warnings {
                if o.count(*w) == 0 {
                    problems.push(format!(
                        "expected warning {} ({:?}), not reported",
                        w.as_str(),
                        w
                    ));
                }
            }
            problems.extend(compare_props(&o.class, expected));
            problems
        });
    }

    /// No error diagnostics, then `check` returns the list of problems.
    pub fn accepts_with(
        &mut self,
        id: &str,
        files: &[(&str, &str)],
        check: impl FnOnce(&Outcome) -> Vec<String>,
    ) {
        let texts: Vec<String> = files.iter().map(|(_, t)| c(t)).collect();
        let files: Vec<(&str, &str)> = files
            .iter()
            .zip(&texts)
            .map(|((n, _), t)| (*n, t.as_str()))
            .collect();
        let Some(o) = self.run(id, &files) else {
            return;
        };
        let mut problems = Vec::new();
        if let Some(e) = o.first_error() {
            problems.push(format!(
                "expected to be accepted, got error {}",
                o.describe(e)
            ));
        }
        problems.extend(check(&o));
        if !problems.is_empty() {
            self.fail(id, &files, &problems, Some(&o));
        }
    }

    /// The input must be refused; the first error (in file order) must have
    /// `code` and start on `line`. `offset` is where Upstart's parser stopped:
    /// informative only, a difference is printed as a note.
    pub fn rejects(&mut self, id: &str, input: &str, code: Code, line: usize, offset: usize) {
        self.rejects_impl(id, input, code, line, Some(offset), None);
    }

    /// As [`Suite::rejects`] without a known offset.
    pub fn rejects_line(&mut self, id: &str, input: &str, code: Code, line: usize) {
        self.rejects_impl(id, input, code, line, None, None);
    }

    /// As [`Suite::rejects_line`], and the first error must start at `column`
    /// (1-based, in characters).
    pub fn rejects_at(&mut self, id: &str, input: &str, code: Code, line: usize, column: usize) {
        self.rejects_impl(id, input, code, line, None, Some(column));
    }

    fn rejects_impl(
        &mut self,
        id: &str,
        input: &str,
        code: Code,
        line: usize,
        offset: Option<usize>,
        column: Option<usize>,
    ) {
        let text = c(input);
        let files = [("test.conf", text.as_str())];
        let Some(o) = self.run(id, &files) else {
            return;
        };
        let want = format!("{} ({code:?}) on line {line}", code.as_str());
        let mut problems = Vec::new();
        match o.first_error() {
            None => problems.push(format!("expected error {want}, got no error")),
            Some(e) => {
                let (l, col) = o.line_col(e);
                if e.code != code || l != line {
                    problems.push(format!(
                        "expected first error {want}, got {} ({:?}) on line {l}",
                        e.code.as_str(),
                        e.code
                    ));
                }
                if let Some(want_col) = column {
                    if col != want_col {
                        problems.push(format!(
                            "expected the first error at column {want_col}, got column {col}"
                        ));
                    }
                }
                if let Some(off) = offset {
                    if e.primary.span.start as usize != off && problems.is_empty() {
                        self.notes.push(format!(
                            "{id}: first error at offset {}, Upstart stops at offset {off} (informative)",
                            e.primary.span.start
                        ));
                    }
                }
            }
        }
        if !problems.is_empty() {
            self.fail(id, &files, &problems, Some(&o));
        }
    }

    /// Fails with every failing row.
    pub fn finish(mut self) {
        let mut sorted = self.ids.clone();
        sorted.sort();
        for w in sorted.windows(2) {
            if w[0] == w[1] {
                self.failures
                    .push(format!("test bug: case id {} used twice", w[0]));
            }
        }
        if let Some(n) = self.expected_cases {
            if self.ids.len() != n {
                self.failures.push(format!(
                    "test bug: suite {} has {} cases, the inventory lists {n}",
                    self.name,
                    self.ids.len()
                ));
            }
        }
        if !self.notes.is_empty() {
            eprintln!("{}: notes\n  {}", self.name, self.notes.join("\n  "));
        }
        assert!(
            self.failures.is_empty(),
            "{}: {} of {} cases failed:\n\n{}",
            self.name,
            self.failures.len(),
            self.ids.len(),
            self.failures.join("\n")
        );
    }
}
