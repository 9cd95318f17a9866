//! editors/helix/languages.toml: valid TOML that starts `upc lsp` for
//! Upstart job files and formats with `upc fmt`.

use std::path::Path;

#[test]
fn the_helix_entry_starts_upc_lsp_for_job_files() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../editors/helix/languages.toml");
    let text = std::fs::read_to_string(&path).expect("languages.toml");
    let doc: toml::Table = toml::from_str(&text).expect("valid TOML");
    let language = doc["language"]
        .as_array()
        .and_then(|l| l.first())
        .and_then(|l| l.as_table())
        .expect("a [[language]] table");
    assert_eq!(language["name"].as_str(), Some("upstart"));
    assert_eq!(language["comment-token"].as_str(), Some("#"));
    let servers: Vec<&str> = language["language-servers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str())
        .collect();
    assert_eq!(servers, vec!["upc"]);
    let globs: Vec<&str> = language["file-types"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.get("glob").and_then(|g| g.as_str()))
        .collect();
    assert!(globs.contains(&"/etc/init/*.conf") && globs.contains(&"*.override"));
    let formatter = language["formatter"].as_table().expect("a formatter");
    assert_eq!(formatter["command"].as_str(), Some("upc"));
    let server = doc["language-server"]["upc"]
        .as_table()
        .expect("the upc server");
    assert_eq!(server["command"].as_str(), Some("upc"));
    assert_eq!(server["args"].as_array().map(|a| a.len()), Some(1));
    assert_eq!(server["args"][0].as_str(), Some("lsp"));
}
