//! Per-source timestamp formats and how they are sniffed.

use super::timestamp::{
    parse_iso_prefix, parse_iso_prefix_cached, parse_strftime_prefix, MinuteCache, Nanos, WallTime,
    ZoneClock,
};

/// Where a source's lines carry their timestamp.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TsFormat {
    /// Airflow 2 text: `[2024-12-20T10:00:00.123+0000] {file.py:12} INFO - msg`
    /// (also the older `[2022-01-18 17:01:49,252]`).
    Bracketed,
    /// RFC 3339 / ISO 8601 / Python logging at the start of the line.
    Iso,
    /// JSON lines with a `"timestamp"` field (Airflow 3 structured logs).
    Json,
    /// A user-given strftime pattern anchored at line start (`--ts-format`).
    Strftime(String),
}

/// How far into a JSON line the `"timestamp"` key is looked for.
const JSON_KEY_WINDOW: usize = 512;

impl TsFormat {
    /// Name shown in diagnostics.
    pub fn name(&self) -> &str {
        match self {
            TsFormat::Bracketed => "airflow-text",
            TsFormat::Iso => "iso8601",
            TsFormat::Json => "json",
            TsFormat::Strftime(p) => p,
        }
    }

    /// The reading at the anchored position of `line`, if it has one.
    pub fn parse(&self, line: &[u8]) -> Option<WallTime> {
        self.parse_cached(line, &mut MinuteCache::default())
    }

    /// [`parse`](Self::parse), reusing the date arithmetic of the last minute seen.
    #[inline]
    pub fn parse_cached(&self, line: &[u8], cache: &mut MinuteCache) -> Option<WallTime> {
        match self {
            TsFormat::Bracketed => {
                if line.first() != Some(&b'[') {
                    return None;
                }
                let (t, used) = parse_iso_prefix_cached(&line[1..], cache)?;
                (line.get(1 + used) == Some(&b']')).then_some(t)
            }
            TsFormat::Iso => parse_iso_prefix_cached(line, cache).map(|(t, _)| t),
            TsFormat::Json => parse_json_timestamp(line, cache),
            TsFormat::Strftime(pattern) => parse_strftime_prefix(line, pattern),
        }
    }

    /// Byte length of the timestamp text at the start of `line` (for
    /// renderers that dim or strip it); 0 when unknown.
    pub fn prefix_len(&self, line: &[u8]) -> usize {
        match self {
            TsFormat::Bracketed => parse_iso_prefix(line.get(1..).unwrap_or(&[]))
                .map(|(_, used)| used + 2)
                .unwrap_or(0),
            TsFormat::Iso => parse_iso_prefix(line).map(|(_, used)| used).unwrap_or(0),
            TsFormat::Json | TsFormat::Strftime(_) => 0,
        }
    }
}

fn parse_json_timestamp(line: &[u8], cache: &mut MinuteCache) -> Option<WallTime> {
    let mut i = 0;
    while i < line.len() && line[i].is_ascii_whitespace() {
        i += 1;
    }
    if line.get(i) != Some(&b'{') {
        return None;
    }
    let window = &line[i..line.len().min(i + JSON_KEY_WINDOW)];
    let key = memchr::memmem::find(window, b"\"timestamp\"")?;
    let mut j = key + b"\"timestamp\"".len();
    j = skip_spaces(window, j);
    if window.get(j) != Some(&b':') {
        return None;
    }
    j = skip_spaces(window, j + 1);
    if window.get(j) != Some(&b'"') {
        return None;
    }
    let (t, used) = parse_iso_prefix_cached(&window[j + 1..], cache)?;
    (window.get(j + 1 + used) == Some(&b'"')).then_some(t)
}

fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    i
}

/// A source's format plus the zone for naive readings: turns a line into the
/// time part of its order key.
#[derive(Clone, Debug)]
pub struct TsParser {
    format: Option<TsFormat>,
    clock: ZoneClock,
    cache: MinuteCache,
}

impl TsParser {
    /// A parser for `format`; `None` means the source has no timestamps.
    pub fn new(format: Option<TsFormat>, clock: ZoneClock) -> Self {
        Self {
            format,
            clock,
            cache: MinuteCache::default(),
        }
    }

    /// The format in use, if any.
    pub fn clock(&self) -> &ZoneClock {
        &self.clock
    }

    /// The format in use, if any.
    pub fn format(&self) -> Option<&TsFormat> {
        self.format.as_ref()
    }

    /// UTC nanoseconds of the line's timestamp, or `None` for a line without
    /// one (a continuation line).
    #[inline]
    pub fn parse(&mut self, line: &[u8]) -> Option<Nanos> {
        let t = self.format.as_ref()?.parse_cached(line, &mut self.cache)?;
        Some(self.clock.to_utc(t))
    }
}

/// Picks the format that parses the most of the sample lines; `None` when no
/// candidate parses any. Ties go to the more specific format.
pub fn sniff<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> Option<TsFormat> {
    let candidates = [TsFormat::Bracketed, TsFormat::Json, TsFormat::Iso];
    let mut hits = [0usize; 3];
    for line in lines {
        for (hit, format) in hits.iter_mut().zip(&candidates) {
            if format.parse(line).is_some() {
                *hit += 1;
            }
        }
    }
    let (best, &count) = hits
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))?;
    (count > 0).then(|| candidates[best].clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::timestamp::Zone;

    fn ns(format: TsFormat, line: &str) -> Option<Nanos> {
        TsParser::new(Some(format), ZoneClock::new(Zone::Utc)).parse(line.as_bytes())
    }

    fn rfc(s: &str) -> Nanos {
        chrono::DateTime::parse_from_rfc3339(s)
            .expect("reference")
            .timestamp_nanos_opt()
            .expect("in range")
    }

    #[test]
    fn airflow2_text() {
        assert_eq!(
            ns(
                TsFormat::Bracketed,
                "[2024-12-20T10:00:00.123+0000] {file.py:12} INFO - msg"
            ),
            Some(rfc("2024-12-20T10:00:00.123Z"))
        );
        assert_eq!(
            ns(
                TsFormat::Bracketed,
                "[2024-12-20T15:30:00.000+0530] {x.py:1} INFO - m"
            ),
            Some(rfc("2024-12-20T10:00:00Z"))
        );
        assert_eq!(
            ns(
                TsFormat::Bracketed,
                "[2022-01-18 17:01:49,252] {x.py:1} INFO - m"
            ),
            Some(rfc("2022-01-18T17:01:49.252Z"))
        );
        assert_eq!(
            ns(TsFormat::Bracketed, "[2022-01-18 17:01:49,252 no bracket"),
            None
        );
        assert_eq!(ns(TsFormat::Bracketed, "  File \"x.py\", line 3"), None);
    }

    #[test]
    fn airflow3_json() {
        assert_eq!(
            ns(
                TsFormat::Json,
                r#"{"timestamp":"2025-06-01T10:00:00.104512Z","level":"info","event":"x"}"#
            ),
            Some(rfc("2025-06-01T10:00:00.104512Z"))
        );
        // Naive: UTC unless --tz says otherwise.
        assert_eq!(
            ns(
                TsFormat::Json,
                r#"{"event":"x", "timestamp" : "2025-06-01T10:00:00.5"}"#
            ),
            Some(rfc("2025-06-01T10:00:00.5Z"))
        );
        let mut berlin = TsParser::new(
            Some(TsFormat::Json),
            ZoneClock::new(Zone::parse("Europe/Berlin").expect("zone")),
        );
        assert_eq!(
            berlin.parse(br#"{"timestamp":"2025-06-01T10:00:00"}"#),
            Some(rfc("2025-06-01T08:00:00Z"))
        );
        assert_eq!(ns(TsFormat::Json, r#"{"timestamp":"soon"}"#), None);
        assert_eq!(ns(TsFormat::Json, "plain text"), None);
    }

    #[test]
    fn sniffing_picks_the_format_that_fits() {
        let airflow = [
            &b"[2024-12-20T10:00:00.123+0000] {a.py:1} INFO - x"[..],
            b"Traceback (most recent call last):",
        ];
        assert_eq!(sniff(airflow), Some(TsFormat::Bracketed));
        let json = [&br#"{"timestamp":"2025-06-01T10:00:00Z","event":"a"}"#[..]];
        assert_eq!(sniff(json), Some(TsFormat::Json));
        let python = [
            &b"2024-12-20 10:00:00,123 INFO x"[..],
            b"2024-12-20 10:00:01,000 INFO y",
        ];
        assert_eq!(sniff(python), Some(TsFormat::Iso));
        let prose = [
            &b"2024 was a good year"[..],
            b"12:30 lunch",
            b"20241220 batch",
        ];
        assert_eq!(sniff(prose), None);
    }
}
