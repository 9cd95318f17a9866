//! The import rule of ARCHITECTURE.md, pinned: every arrow inside the
//! compiler points down the pipeline syntax -> sema -> graph -> build, and
//! graph's presentation (`graph/show/`) uses its analysis, never the
//! reverse. The test reads compiler/src and looks at every `crate::` path
//! outside comments (a plain scan, enough for this code base's `use` style).

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

/// What the files under a folder (or one file) of compiler/src may not name
/// as `crate::X`. The first matching prefix wins.
const RULES: &[(&str, &[&str])] = &[
    ("cond.rs", &["syntax", "sema", "graph", "build", "simulate"]),
    ("syntax/", &["sema", "graph", "build", "simulate"]),
    ("sema/", &["graph", "build", "simulate"]),
    ("graph/show/", &["syntax", "build", "simulate"]),
    ("graph/", &["syntax", "build", "simulate", "graph::show"]),
];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "rs" || e == "lalrpop")
        {
            out.push(path);
        }
    }
}

/// Every `crate::a::b` path in a line of code, as `a::b` (a `crate::{a, b}`
/// group gives `a` and `b`).
fn crate_paths(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or("");
            out.extend(inner.split(',').map(|p| p.trim().to_string()));
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            out.push(rest[..end].trim_end_matches(':').to_string());
        }
    }
    out
}

/// `(file, line number, path)` for every upward import.
fn upward_imports(src: &Path) -> Vec<(String, usize, String)> {
    let mut all = Vec::new();
    files(src, &mut all);
    all.sort();
    let mut found = Vec::new();
    for path in all {
        let rel = path
            .strip_prefix(src)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let Some((_, banned)) = RULES.iter().find(|(prefix, _)| rel.starts_with(prefix)) else {
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            // The analysis reaches its presentation by no path at all (the
            // folder's mod.rs only declares and re-exports it).
            let analysis = rel.starts_with("graph/") && !rel.starts_with("graph/show/");
            if analysis && rel != "graph/mod.rs" && line.contains("show::") {
                found.push((rel.clone(), n + 1, "graph::show".to_string()));
            }
            for p in crate_paths(line) {
                let hit = banned
                    .iter()
                    .any(|b| p == *b || p.starts_with(&format!("{b}::")));
                if hit {
                    found.push((rel.clone(), n + 1, p));
                }
            }
        }
    }
    found
}

#[test]
fn compiler_imports_point_down_the_pipeline() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let up = upward_imports(&src);
    assert!(
        up.is_empty(),
        "imports against the pipeline (ARCHITECTURE.md, the compiler pipeline):\n{}",
        up.iter()
            .map(|(f, n, p)| format!("  {f}:{n}: crate::{p}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The first segment of every `super::a::b` path in a line (`super::{a,
/// b::c}` gives `a` and `b`).
fn super_names(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("super::") {
        rest = &rest[at + "super::".len()..];
        let items: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group.split('}').next().unwrap_or("").split(',').collect(),
            None => vec![rest],
        };
        for item in items {
            let item = item.trim();
            let end = item
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(item.len());
            if end > 0 {
                out.push(item[..end].to_string());
            }
        }
    }
    out
}

/// Pairs of files in one folder that use each other through `super::`
/// (a folder's mod.rs declares its files and is left out).
fn sibling_circles(src: &Path) -> Vec<(String, String)> {
    let mut all = Vec::new();
    files(src, &mut all);
    let mut uses: Vec<(PathBuf, String, String)> = Vec::new();
    for path in &all {
        let (Some(dir), Some(stem)) = (path.parent(), path.file_stem()) else {
            continue;
        };
        let stem = stem.to_string_lossy().to_string();
        if stem == "mod" || path.extension().is_some_and(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap_or_default();
        // Unit tests inside a file may use anything.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for line in code.lines() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for name in super_names(line) {
                if name != stem && dir.join(format!("{name}.rs")).is_file() {
                    uses.push((dir.to_path_buf(), stem.clone(), name));
                }
            }
        }
    }
    let mut circles: Vec<(String, String)> = uses
        .iter()
        .filter(|(dir, a, b)| a < b && uses.iter().any(|(d, x, y)| d == dir && x == b && y == a))
        .map(|(dir, a, b)| {
            let rel = dir
                .strip_prefix(src)
                .unwrap_or(dir)
                .to_string_lossy()
                .to_string();
            (format!("{rel}/{a}.rs"), format!("{rel}/{b}.rs"))
        })
        .collect();
    circles.sort();
    circles.dedup();
    circles
}

#[test]
fn no_two_files_of_a_folder_use_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let circles = sibling_circles(&src);
    assert!(
        circles.is_empty(),
        "two-file circles (ARCHITECTURE.md, the compiler pipeline):\n{}",
        circles
            .iter()
            .map(|(a, b)| format!("  {a} <-> {b}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn a_two_file_circle_is_found() {
    let dir = std::env::temp_dir().join(format!("upc-layers-{}", std::process::id()));
    let folder = dir.join("stage");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("a.rs"), "use super::b::B;\n").unwrap();
    std::fs::write(folder.join("b.rs"), "use super::{a::A, c};\n").unwrap();
    std::fs::write(folder.join("c.rs"), "use super::a::A;\n").unwrap();
    let circles = sibling_circles(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        circles,
        [("stage/a.rs".to_string(), "stage/b.rs".to_string())]
    );
}

#[test]
fn the_scan_sees_plain_and_grouped_paths() {
    assert_eq!(
        super_names("use super::{events::Carries, fx::FxMap};"),
        vec!["events", "fx"]
    );
    assert_eq!(super_names("use super::model::{A, B};"), vec!["model"]);
    assert_eq!(
        crate_paths("use crate::sema::ir::{A, B};"),
        vec!["sema::ir"]
    );
    assert_eq!(
        crate_paths("use crate::{diag::Code, graph::x};"),
        vec!["diag::Code", "graph::x"]
    );
    assert_eq!(
        crate_paths("let r = crate::sema::ir::Resource::from_name(w);"),
        vec!["sema::ir::Resource::from_name"]
    );
}
