//! The little XML the timeline needs: escaping and numbers that print the
//! same on every machine.

use std::fmt::Write as _;

/// Text safe inside an element or a double- or single-quoted attribute.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate with one decimal, without a trailing `.0`.
pub(super) fn num(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let text = format!("{v:.1}");
    match text.strip_suffix(".0") {
        Some("-0") => "0".to_owned(),
        Some(whole) => whole.to_owned(),
        None => text,
    }
}

/// A document being written, one element a line.
pub(super) struct Doc {
    pub out: String,
}

impl Doc {
    pub fn new() -> Doc {
        Doc { out: String::new() }
    }

    pub fn line(&mut self, text: &str) {
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// `<text>` at (x, y) with extra attributes.
    pub fn text(&mut self, x: f64, y: f64, attrs: &str, text: &str) {
        let _ = writeln!(
            self.out,
            r#"<text x="{}" y="{}"{attrs}>{}</text>"#,
            num(x),
            num(y),
            escape(text)
        );
    }

    /// A filled rectangle, with a tooltip when `title` is not empty.
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, attrs: &str, title: &str) {
        let _ = write!(
            self.out,
            r#"<rect x="{}" y="{}" width="{}" height="{}"{attrs}"#,
            num(x),
            num(y),
            num(w),
            num(h)
        );
        if title.is_empty() {
            self.out.push_str("/>\n");
        } else {
            let _ = writeln!(self.out, "><title>{}</title></rect>", escape(title));
        }
    }

    /// A path, with a tooltip when `title` is not empty.
    pub fn path(&mut self, d: &str, attrs: &str, title: &str) {
        let _ = write!(self.out, r#"<path d="{d}"{attrs}"#);
        if title.is_empty() {
            self.out.push_str("/>\n");
        } else {
            let _ = writeln!(self.out, "><title>{}</title></path>", escape(title));
        }
    }
}
