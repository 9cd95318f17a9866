//! The checks of the `proto` fuzz target, also compiled into upinit's
//! `fuzz_regressions` test (by path), so the saved inputs are replayed on
//! stable with exactly these assertions. Test code: it panics to report.

use upinit::proto::{
    decode_hello, decode_reply, decode_request, encode_hello, encode_reply, encode_request,
    LineBuffer, MAX_REQUEST_LINE,
};

/// Every decoder on the whole input, then the input as a byte stream cut
/// into lines the way a server reads it, in chunks whose size the first
/// byte picks.
pub fn proto(data: &[u8]) {
    request(data);
    reply(data);
    hello(data);
    let step = usize::from(data.first().copied().unwrap_or(1)).max(1);
    let mut lines = LineBuffer::new(MAX_REQUEST_LINE);
    for chunk in data.chunks(step) {
        lines.extend(chunk);
        while let Some(line) = lines.next_line() {
            match line {
                Ok(line) => {
                    assert!(line.len() <= MAX_REQUEST_LINE);
                    assert!(!line.contains(&b'\n'));
                    request(&line);
                }
                // The server closes here; so does the check.
                Err(_) => return,
            }
        }
        assert!(lines.pending() <= MAX_REQUEST_LINE + step);
    }
}

/// One line of output: ends in a newline and has no other.
fn one_line(text: &str) {
    assert!(text.ends_with('\n'), "{text:?}");
    assert_eq!(text.matches('\n').count(), 1, "{text:?}");
}

fn request(line: &[u8]) {
    match decode_request(line) {
        Ok((id, r)) => {
            let text = encode_request(id, &r);
            one_line(&text);
            assert_eq!(
                decode_request(text.as_bytes()),
                Ok((id, r.clone())),
                "{text}"
            );
            // Encoding is canonical: once encoded, it stays the same.
            assert_eq!(encode_request(id, &r), text);
            let _ = r.machine_request();
            let _ = r.modifies();
        }
        Err(e) => {
            if let Some(id) = e.id {
                assert!(!e.error.to_string().is_empty(), "request {id}");
            }
            let reply = e.reply();
            let text = encode_reply(&reply);
            one_line(&text);
            assert_eq!(decode_reply(text.as_bytes()), Ok(reply));
        }
    }
}

fn reply(line: &[u8]) {
    if let Ok(r) = decode_reply(line) {
        let text = encode_reply(&r);
        one_line(&text);
        assert_eq!(decode_reply(text.as_bytes()), Ok(r), "{text}");
    }
}

fn hello(line: &[u8]) {
    if let Ok(h) = decode_hello(line) {
        let text = encode_hello(&h);
        one_line(&text);
        assert_eq!(decode_hello(text.as_bytes()), Ok(h), "{text}");
    }
}
