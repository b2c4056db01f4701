//! Severity levels, sniffed from the same lines as the timestamps.

use super::format::TsFormat;

/// A record's severity. `Unknown` sorts lowest so "at least WARNING" filters
/// keep only records that say so.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    #[default]
    Unknown,
    Debug,
    Info,
    Warning,
    Error,
    Critical,
}

impl Level {
    /// Upper-case name as logs print it.
    pub fn name(self) -> &'static str {
        match self {
            Level::Unknown => "-",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warning => "WARNING",
            Level::Error => "ERROR",
            Level::Critical => "CRITICAL",
        }
    }

    /// Parses a level word in any case (`warn`, `Warning`, `FATAL`, …).
    pub fn from_word(word: &[u8]) -> Option<Level> {
        if word.len() > 8 {
            return None;
        }
        let mut upper = [0u8; 8];
        for (u, c) in upper.iter_mut().zip(word) {
            *u = c.to_ascii_uppercase();
        }
        Some(match &upper[..word.len()] {
            b"DEBUG" | b"TRACE" => Level::Debug,
            b"INFO" | b"NOTICE" => Level::Info,
            b"WARN" | b"WARNING" => Level::Warning,
            b"ERROR" | b"ERR" | b"EXCEPTION" => Level::Error,
            b"CRITICAL" | b"FATAL" | b"CRIT" => Level::Critical,
            _ => return None,
        })
    }
}

/// How far into a line a level word is looked for.
const LEVEL_WINDOW: usize = 160;

/// The level of a timestamped line, or `Unknown`.
pub fn sniff_level(format: Option<&TsFormat>, line: &[u8]) -> Level {
    let head = &line[..line.len().min(LEVEL_WINDOW)];
    if matches!(format, Some(TsFormat::Json)) {
        return json_level(head).unwrap_or_default();
    }
    // Airflow 2: `[ts] {file.py:12} LEVEL - msg`.
    if let Some(brace) = memchr::memmem::find(head, b"} ") {
        if let Some(level) = first_word(&head[brace + 2..]).and_then(Level::from_word) {
            return level;
        }
    }
    // Elsewhere: the first upper-case level word near the start. Lower-case
    // words are prose ("no error found"), not levels.
    head.split(|c| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 3 && w.iter().all(|c| c.is_ascii_uppercase()))
        .find_map(Level::from_word)
        .unwrap_or_default()
}

fn first_word(b: &[u8]) -> Option<&[u8]> {
    let end = b
        .iter()
        .position(|c| !c.is_ascii_alphabetic())
        .unwrap_or(b.len());
    (end > 0).then(|| &b[..end])
}

fn json_level(head: &[u8]) -> Option<Level> {
    let key = memchr::memmem::find(head, b"\"level\"")?;
    let rest = &head[key + 7..];
    let open = memchr::memchr(b'"', rest)?;
    // Only spaces and a colon may stand between the key and its value.
    if !rest[..open].iter().all(|&c| c == b':' || c == b' ') {
        return None;
    }
    let value = &rest[open + 1..];
    let close = memchr::memchr(b'"', value)?;
    Level::from_word(&value[..close])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_in_each_format() {
        let text = Some(&TsFormat::Bracketed);
        assert_eq!(
            sniff_level(
                text,
                b"[2024-12-20T10:00:00.123+0000] {x.py:1} ERROR - boom"
            ),
            Level::Error
        );
        assert_eq!(
            sniff_level(
                text,
                b"[2024-12-20T10:00:00.123+0000] {x.py:1} INFO - no ERROR here"
            ),
            Level::Info
        );
        let json = Some(&TsFormat::Json);
        assert_eq!(
            sniff_level(
                json,
                br#"{"timestamp":"2025-06-01T10:00:00Z","level":"warning"}"#
            ),
            Level::Warning
        );
        let iso = Some(&TsFormat::Iso);
        assert_eq!(
            sniff_level(iso, b"2024-12-20 10:00:00,123 CRITICAL db down"),
            Level::Critical
        );
        assert_eq!(
            sniff_level(iso, b"2024-12-20 10:00:00,123 no error found"),
            Level::Unknown
        );
    }
}
