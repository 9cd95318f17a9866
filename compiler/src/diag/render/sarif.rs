//! The sarif format: a SARIF 2.1.0 log with one run, for code-scanning
//! services (GitHub code scanning, GitLab, IDE viewers).
//!
//! Every registered code is a rule (`runs[0].tool.driver.rules`, with the
//! one-line summary, the first paragraph of the explanation and the whole
//! explanation as help); every diagnostic is a result pointing at its rule
//! by id and index. Columns are characters (`columnKind:
//! unicodeCodePoints`), ends exclusive, as SARIF's region rules want.
//! Secondary labels become `relatedLocations`.

use std::io::{self, Write};
use std::path::{Component, Path};

use serde::Serialize;

use super::{message_with_help, region, Region};
use crate::diag::{Code, Diagnostic, Label, Severity};
use crate::source::SourceMap;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    full_description: Text,
    help: Help,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: &'static str,
    markdown: &'static str,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: SarifRegion,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRegion {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

impl From<Region> for SarifRegion {
    fn from(r: Region) -> SarifRegion {
        SarifRegion {
            start_line: r.start_line,
            start_column: r.start_column,
            end_line: r.end_line,
            end_column: r.end_column,
        }
    }
}

pub(super) fn render(
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
    out: &mut dyn Write,
) -> io::Result<()> {
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "upc",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules: Code::ALL.iter().map(|&c| rule(c)).collect(),
                },
            },
            column_kind: "unicodeCodePoints",
            results: diagnostics.iter().map(|d| result(sources, d)).collect(),
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::other)?;
    writeln!(out)
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn rule(code: Code) -> Rule {
    let info = code.info();
    Rule {
        id: info.id,
        name: info.name,
        short_description: Text {
            text: info.summary.to_owned(),
        },
        full_description: Text {
            text: first_paragraph(info.explanation).unwrap_or(info.summary.to_owned()),
        },
        help: Help {
            text: info.explanation,
            markdown: info.explanation,
        },
        default_configuration: Configuration {
            level: level(info.severity),
        },
    }
}

/// The first paragraph of an explanation that is not a heading, as one line.
fn first_paragraph(markdown: &str) -> Option<String> {
    let lines: Vec<&str> = markdown
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty() || l.starts_with('#'))
        .take_while(|l| !l.is_empty())
        .collect();
    (!lines.is_empty()).then(|| lines.join(" "))
}

fn result(sources: &SourceMap, d: &Diagnostic) -> SarifResult {
    SarifResult {
        rule_id: d.code.as_str(),
        rule_index: d.code as usize,
        level: level(d.severity()),
        message: Text {
            text: message_with_help(d),
        },
        locations: vec![location(sources, &d.primary, None)],
        related_locations: d
            .secondary
            .iter()
            .enumerate()
            .map(|(i, l)| location(sources, l, Some(i)))
            .collect(),
    }
}

fn location(sources: &SourceMap, label: &Label, id: Option<usize>) -> Location {
    Location {
        id,
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: uri(sources.path(label.file)),
            },
            region: region(sources, label.file, label.span).into(),
        },
        message: (!label.message.is_empty()).then(|| Text {
            text: label.message.clone(),
        }),
    }
}

/// A path as a URI reference: relative paths stay relative (SARIF consumers
/// resolve them against the checkout), absolute ones become `file://` URIs;
/// bytes outside RFC 3986's path characters are percent-encoded.
fn uri(path: &Path) -> String {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => parts.clear(),
            other => parts.push(encode(other.as_os_str().as_encoded_bytes())),
        }
    }
    let joined = parts.join("/");
    if path.is_absolute() {
        format!("file:///{joined}")
    } else {
        joined
    }
}

fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(uri(Path::new("./net/apache.conf")), "net/apache.conf");
        assert_eq!(
            uri(Path::new("/etc/init/my job.conf")),
            "file:///etc/init/my%20job.conf"
        );
        assert_eq!(uri(Path::new("<stdin>")), "%3Cstdin%3E");
    }

    #[test]
    fn first_paragraph_skips_the_heading() {
        assert_eq!(
            first_paragraph("# E0001\n\nOne\ntwo.\n\nThree.").as_deref(),
            Some("One two.")
        );
        assert_eq!(first_paragraph("# only"), None);
    }
}
