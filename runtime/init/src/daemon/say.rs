//! Init's own messages: `upinit: TEXT` lines on its standard error, which
//! is the console for a system init. Nothing else writes there.

use std::io::Write;

use upc_machine::LogLevel;

/// Writes init's messages at or above a level.
#[derive(Debug, Clone, Copy)]
pub struct Say {
    pub level: LogLevel,
}

impl Say {
    pub fn new(level: LogLevel) -> Say {
        Say { level }
    }

    /// One message, if its level is shown. A console that cannot be
    /// written to is no reason to stop.
    pub fn line(&self, level: LogLevel, text: &str) {
        if level >= self.level {
            let mut line = String::with_capacity(text.len() + 9);
            line.push_str("upinit: ");
            line.push_str(text);
            line.push('\n');
            let _ = std::io::stderr().write_all(line.as_bytes());
        }
    }

    pub fn error(&self, text: &str) {
        self.line(LogLevel::Error, text);
    }

    pub fn warn(&self, text: &str) {
        self.line(LogLevel::Warn, text);
    }

    pub fn info(&self, text: &str) {
        self.line(LogLevel::Info, text);
    }
}
