//! The base protocol: `Content-Length` framed JSON-RPC messages.
//!
//! lsp-server's own stdio reader ends the connection on the first message
//! it cannot read; the protocol wants a reply instead, so reading is done
//! here. A frame without a usable `Content-Length`, a body that is not
//! JSON (invalid UTF-8 included) or one too large is a parse error
//! (answered with id null); JSON that is not a message is an invalid
//! request (answered with its id when it has one). Either way the next
//! frame is read as usual. Only the end of input ends the reading.

use std::io::{self, BufRead, Read, Write};

use lsp_server::{ErrorCode, Message, RequestId};
use serde_json::Value;

use super::server::Incoming;

/// The longest header line read (a longer one is cut and rejected).
const MAX_HEADER_LINE: u64 = 8 * 1024;
/// The largest message body accepted (job files are small; this is far
/// beyond any real one).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// Reads the next message; `None` at the end of input.
pub fn read(r: &mut impl BufRead) -> io::Result<Option<Incoming>> {
    let mut length: Option<usize> = None;
    let mut problem: Option<String> = None;
    let mut any_header = false;
    loop {
        let mut line = Vec::new();
        let n = (&mut *r)
            .take(MAX_HEADER_LINE)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(None);
        }
        let trimmed = line.strip_suffix(b"\n").unwrap_or(&line);
        let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
        if trimmed.is_empty() {
            if any_header {
                break;
            }
            // Blank lines between frames are tolerated.
            continue;
        }
        any_header = true;
        if !line.ends_with(b"\n") {
            problem = Some("a header line is too long".to_owned());
            continue;
        }
        let Ok(header) = std::str::from_utf8(trimmed) else {
            problem = Some("a header is not valid UTF-8".to_owned());
            continue;
        };
        let Some((name, value)) = header.split_once(':') else {
            problem = Some(format!("`{header}` is not a header"));
            continue;
        };
        if name.trim().eq_ignore_ascii_case("content-length") {
            match value.trim().parse::<usize>() {
                Ok(n) => length = Some(n),
                Err(_) => problem = Some(format!("bad Content-Length `{}`", value.trim())),
            }
        }
    }
    let malformed = |message: String| Incoming::Malformed {
        id: None,
        code: ErrorCode::ParseError,
        message,
    };
    let Some(length) = length.filter(|_| problem.is_none()) else {
        let why = problem.unwrap_or_else(|| "the message has no Content-Length header".to_owned());
        return Ok(Some(malformed(why)));
    };
    if length > MAX_BODY {
        let skipped = io::copy(&mut (&mut *r).take(length as u64), &mut io::sink())?;
        if skipped < length as u64 {
            return Ok(None);
        }
        return Ok(Some(malformed(format!(
            "the message is too large ({length} bytes; at most {MAX_BODY})"
        ))));
    }
    let mut body = vec![0u8; length];
    if let Err(e) = r.read_exact(&mut body) {
        return match e.kind() {
            io::ErrorKind::UnexpectedEof => Ok(None),
            _ => Err(e),
        };
    }
    Ok(Some(parse(&body)))
}

/// A message body.
pub fn parse(body: &[u8]) -> Incoming {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) => {
            return Incoming::Malformed {
                id: None,
                code: ErrorCode::ParseError,
                message: format!("the message is not valid JSON: {e}"),
            }
        }
    };
    let id = match value.get("id") {
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .map(RequestId::from),
        Some(Value::String(s)) => Some(RequestId::from(s.clone())),
        _ => None,
    };
    match serde_json::from_value::<Message>(value) {
        Ok(message) => Incoming::Message(message),
        Err(e) => Incoming::Malformed {
            id,
            code: ErrorCode::InvalidRequest,
            message: format!("not a JSON-RPC request, notification or response: {e}"),
        },
    }
}

/// Writes one message (a JSON value; `jsonrpc` is added).
pub fn write(w: &mut impl Write, mut value: Value) -> io::Result<()> {
    if let Value::Object(map) = &mut value {
        map.insert("jsonrpc".to_owned(), Value::from("2.0"));
    }
    let body = serde_json::to_vec(&value).map_err(io::Error::other)?;
    write!(w, "Content-Length: {}\r\n\r\n", body.len())?;
    w.write_all(&body)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> Vec<String> {
        let mut r = io::BufReader::new(input);
        let mut out = Vec::new();
        while let Ok(Some(incoming)) = read(&mut r) {
            out.push(match incoming {
                Incoming::Message(Message::Request(r)) => format!("request {}", r.method),
                Incoming::Message(Message::Notification(n)) => format!("notification {}", n.method),
                Incoming::Message(Message::Response(_)) => "response".to_owned(),
                Incoming::Malformed { id, code, .. } => format!("malformed {id:?} {}", code as i32),
            });
        }
        out
    }

    #[test]
    fn bad_frames_are_reported_and_the_next_frame_is_still_read() {
        let good = br#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let mut input = Vec::new();
        input.extend_from_slice(b"Content-Length: 5\r\n\r\n{oops");
        input.extend_from_slice(b"Content-Length: 3\r\n\r\n\"\xff\"");
        input.extend_from_slice(b"Content-Length: 8\r\n\r\n{\"id\":7}");
        input.extend_from_slice(b"X-Nothing: 1\r\n\r\n");
        input.extend_from_slice(format!("Content-Length: {}\r\n\r\n", good.len()).as_bytes());
        input.extend_from_slice(good);
        input.extend_from_slice(b"Content-Length: 99\r\n\r\n{");
        assert_eq!(
            frames(&input),
            vec![
                "malformed None -32700",
                "malformed None -32700",
                "malformed Some(RequestId(I32(7))) -32600",
                "malformed None -32700",
                "notification initialized",
            ]
        );
    }

    #[test]
    fn a_lone_surrogate_is_a_parse_error() {
        let body = br#"{"jsonrpc":"2.0","method":"x","params":{"text":"\ud800"}}"#;
        assert!(matches!(
            parse(body),
            Incoming::Malformed {
                code: ErrorCode::ParseError,
                ..
            }
        ));
    }

    #[test]
    fn written_frames_read_back() {
        let mut out = Vec::new();
        let sent = serde_json::json!({"method": "exit"});
        assert!(write(&mut out, sent).is_ok());
        assert_eq!(frames(&out), vec!["notification exit"]);
    }
}
