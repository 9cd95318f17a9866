//! `file://` URIs and paths.
//!
//! Only local files map to paths: `file:///etc/init/tty1.conf` (or with the
//! host `localhost`). Any other URI (`untitled:`, `file://otherhost/...`)
//! names a document that exists only in the editor: it is still checked as
//! a job of its own, just never as part of a workspace folder.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::Uri;

/// The local path a URI names, if it names one.
pub fn to_path(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let path = rest.split(['?', '#']).next().unwrap_or(rest);
    let bytes = percent_decode(path)?;
    if bytes.contains(&0) {
        return None;
    }
    Some(PathBuf::from(OsString::from_vec(bytes)))
}

/// The `file://` URI of an absolute path.
pub fn from_path(path: &Path) -> Option<Uri> {
    if !path.is_absolute() {
        return None;
    }
    let mut text = String::from("file://");
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            text.push(char::from(b));
        } else {
            text.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&text).ok()
}

fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = hex(bytes.next()?)?;
            let lo = hex(bytes.next()?)?;
            out.push(hi * 16 + lo);
        } else {
            out.push(b);
        }
    }
    Some(out)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        Uri::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn file_uris_become_paths_with_escapes_decoded() {
        assert_eq!(
            to_path(&uri("file:///etc/init/tty%201.conf")),
            Some(PathBuf::from("/etc/init/tty 1.conf"))
        );
        assert_eq!(
            to_path(&uri("file://localhost/etc/init/a.conf")),
            Some(PathBuf::from("/etc/init/a.conf"))
        );
    }

    #[test]
    fn other_uris_name_no_path() {
        assert_eq!(to_path(&uri("untitled:Untitled-1")), None);
        assert_eq!(to_path(&uri("file://host/etc/a.conf")), None);
        assert_eq!(to_path(&uri("file:///a%00b")), None);
    }

    #[test]
    fn paths_round_trip() {
        for p in ["/etc/init/net/apache.conf", "/tmp/a b/ü#?.conf"] {
            let u = from_path(Path::new(p));
            assert_eq!(
                u.as_ref().and_then(to_path),
                Some(PathBuf::from(p)),
                "{u:?}"
            );
        }
        assert_eq!(from_path(Path::new("relative.conf")), None);
    }
}
