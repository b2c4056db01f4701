//! JSON lines: the value of one top-level key, found by walking the
//! object's keys (a nested `"timestamp"` is never taken), read as a time —
//! an ISO 8601 string, an epoch number (pino, zap, bunyan) or digits in a
//! string (journald's `__REALTIME_TIMESTAMP`), or GCP's `{"seconds":…,
//! "nanos":…}`.

use super::text::epoch;
use crate::record::timestamp::{parse_iso_prefix_cached, MinuteCache, WallTime};

/// The keys a time is looked for under, in order of preference.
pub const TIME_KEYS: [&str; 8] = [
    "timestamp",
    "@timestamp",
    "time",
    "ts",
    "asctime",
    "__REALTIME_TIMESTAMP",
    "datetime",
    "@t",
];

/// A top-level value, as raw bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// A string's contents between its quotes, escapes left as written.
    Str(&'a [u8]),
    /// A number, `true`, `false` or `null`, as written.
    Scalar(&'a [u8]),
    /// An object or array, brackets included.
    Nested(&'a [u8]),
}

/// Calls `visit` with each top-level key (escapes as written) and its value
/// until it returns `true` or the object (or the input) ends; returns
/// whether `visit` stopped the walk.
pub fn walk<'a>(line: &'a [u8], mut visit: impl FnMut(&'a [u8], Value<'a>) -> bool) -> bool {
    let mut i = skip_ws(line, 0);
    if line.get(i) != Some(&b'{') {
        return false;
    }
    i += 1;
    loop {
        i = skip_ws(line, i);
        if line.get(i) != Some(&b'"') {
            return false;
        }
        let Some(key_end) = string_end(line, i + 1) else {
            return false;
        };
        let key = &line[i + 1..key_end];
        i = skip_ws(line, key_end + 1);
        if line.get(i) != Some(&b':') {
            return false;
        }
        i = skip_ws(line, i + 1);
        let Some((value, end)) = value_at(line, i) else {
            return false;
        };
        if visit(key, value) {
            return true;
        }
        i = skip_ws(line, end);
        match line.get(i) {
            Some(b',') => i += 1,
            _ => return false,
        }
    }
}

/// The value of top-level `key`.
pub fn value_of<'a>(line: &'a [u8], key: &str) -> Option<Value<'a>> {
    let mut found = None;
    walk(line, |k, v| {
        let hit = k == key.as_bytes();
        if hit {
            found = Some(v);
        }
        hit
    });
    found
}

/// The time under `key`, when the line is an object that has one.
#[inline]
pub fn time_of(line: &[u8], key: &str, cache: &mut MinuteCache) -> Option<WallTime> {
    read_time(value_of(line, key)?, cache)
}

/// The time of an Airflow 3 line, which opens with its `"timestamp"`
/// string (`{"timestamp":"2025-06-01T10:00:00.104512Z",…`), read straight
/// from its fixed place: what [`time_of`] finds for such a line, without
/// walking to the key and its string's end. `None` for any other shape —
/// spaces, another key first, a value that is not a plain time — which
/// [`time_of`] then reads.
#[inline]
pub fn airflow3_time(line: &[u8], cache: &mut MinuteCache) -> Option<WallTime> {
    let value = line.strip_prefix(br#"{"timestamp":""#)?;
    let (t, used) = parse_iso_prefix_cached(value, cache)?;
    // The string ends where the time does: the value is the time alone.
    (value.get(used) == Some(&b'"')).then_some(t)
}

/// The time `key` holds when it is the last of an object that ends `tail`
/// (Docker's json-file puts `"time"` after a `"log"` of any length): how a
/// line too long to walk from its start is read from its end.
pub fn time_at_end(tail: &[u8], key: &str, cache: &mut MinuteCache) -> Option<WallTime> {
    let tail = tail.trim_ascii_end();
    let tail = tail.strip_suffix(b"}")?;
    let mut quoted = Vec::with_capacity(key.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(key.as_bytes());
    quoted.push(b'"');
    let at = memchr::memmem::rfind(tail, &quoted)?;
    // Inside a string the quotes would be escaped; a key follows `{` or `,`.
    let before = tail[..at].trim_ascii_end();
    if !matches!(before.last(), Some(b',' | b'{')) {
        return None;
    }
    let mut i = skip_ws(tail, at + quoted.len());
    if tail.get(i) != Some(&b':') {
        return None;
    }
    i = skip_ws(tail, i + 1);
    let (value, end) = value_at(tail, i)?;
    (skip_ws(tail, end) == tail.len())
        .then_some(())
        .and_then(|()| read_time(value, cache))
}

/// A value read as a time.
pub fn read_time(value: Value, cache: &mut MinuteCache) -> Option<WallTime> {
    match value {
        Value::Str(s) => match parse_iso_prefix_cached(s, cache) {
            Some((t, used)) if used == s.len() => Some(t),
            Some(_) => None,
            None => epoch(s)
                .filter(|&(_, used)| used == s.len())
                .map(|(t, _)| t),
        },
        Value::Scalar(n) => epoch(n)
            .filter(|&(_, used)| used == n.len())
            .map(|(t, _)| t),
        Value::Nested(object) => seconds_and_nanos(object),
    }
}

/// GCP's `{"seconds": 1734688800, "nanos": 123000000}`.
fn seconds_and_nanos(object: &[u8]) -> Option<WallTime> {
    let (mut secs, mut nanos) = (None, 0u32);
    walk(object, |k, v| {
        if let Value::Scalar(n) = v {
            let n = std::str::from_utf8(n).ok();
            match k {
                b"seconds" => secs = n.and_then(|n| n.parse::<i64>().ok()),
                b"nanos" => nanos = n.and_then(|n| n.parse().ok()).unwrap_or(0),
                _ => {}
            }
        }
        false
    });
    Some(WallTime {
        secs: secs?,
        nanos: nanos.min(999_999_999),
        offset: Some(0),
    })
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
        i += 1;
    }
    i
}

/// Where the string whose contents start at `i` closes (its quote).
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        i += memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
        if b[i] == b'"' {
            return Some(i);
        }
        i += 2;
    }
}

/// The value starting at `i` and where it ends.
fn value_at(b: &[u8], i: usize) -> Option<(Value<'_>, usize)> {
    match *b.get(i)? {
        b'"' => {
            let end = string_end(b, i + 1)?;
            Some((Value::Str(&b[i + 1..end]), end + 1))
        }
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match *b.get(j)? {
                    b'"' => j = string_end(b, j + 1)?,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some((Value::Nested(&b[i..=j]), j + 1));
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let len = b[i..]
                .iter()
                .position(|&c| matches!(c, b',' | b'}' | b']') || c.is_ascii_whitespace())
                .unwrap_or(b.len() - i);
            (len > 0).then(|| (Value::Scalar(&b[i..i + len]), i + len))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(line: &str, key: &str) -> Option<(i64, u32)> {
        time_of(line.as_bytes(), key, &mut MinuteCache::default()).map(|t| (t.secs, t.nanos))
    }

    const T: i64 = 1_734_688_800;

    #[test]
    fn top_level_keys_only() {
        let nested =
            r#"{"event":{"timestamp":"2030-01-01T00:00:00Z"},"time":"2024-12-20T10:00:00Z"}"#;
        assert_eq!(time(nested, "timestamp"), None);
        assert_eq!(time(nested, "time"), Some((T, 0)));
        let in_string = r#"{"msg":"\"timestamp\":\"2030-01-01T00:00:00Z\"","ts":1734688800.5}"#;
        assert_eq!(time(in_string, "timestamp"), None);
        assert_eq!(time(in_string, "ts"), Some((T, 500_000_000)));
    }

    #[test]
    fn airflow3_lines_are_read_from_their_fixed_place_and_others_walked() {
        let mut cache = MinuteCache::default();
        let line = br#"{"timestamp":"2024-12-20T10:00:00.104512Z","level":"info","event":"x"}"#;
        let fast = airflow3_time(line, &mut cache).expect("Airflow 3's shape");
        assert_eq!((fast.secs, fast.nanos), (T, 104_512_000));
        // Not the fixed shape: left to the walk, which still reads them.
        for other in [
            r#"{ "timestamp":"2024-12-20T10:00:00Z"}"#,
            r#"{"timestamp": "2024-12-20T10:00:00Z"}"#,
            r#"{"timestamp":"2024-12-20T10:00:00Z extra"}"#,
            r#"{"timestamp":"1734688800"}"#,
            r#"{"level":"info","timestamp":"2024-12-20T10:00:00Z"}"#,
        ] {
            assert_eq!(airflow3_time(other.as_bytes(), &mut cache), None, "{other}");
        }
        assert_eq!(
            time(r#"{"timestamp": "2024-12-20T10:00:00Z"}"#, "timestamp"),
            Some((T, 0))
        );
    }

    proptest::proptest! {
        /// Whenever the fixed place gives a time, it is the walk's.
        #[test]
        fn the_fixed_place_agrees_with_the_walk(
            pieces in proptest::collection::vec(0usize..12, 0..8),
        ) {
            const PIECES: [&str; 12] = [
                r#"{"timestamp":""#, "2024-12-20T10:00:00", ".5", "Z", "+01:00", "\"",
                ",", r#""level":"info""#, "}", r#"\""#, " ", "2024-12-20 10:00:00,123",
            ];
            let line: String = pieces.iter().map(|&i| PIECES[i]).collect();
            let mut cache = MinuteCache::default();
            if let Some(fast) = airflow3_time(line.as_bytes(), &mut cache) {
                let walked = time_of(line.as_bytes(), "timestamp", &mut MinuteCache::default());
                proptest::prop_assert_eq!(Some(fast), walked, "{}", line);
            }
        }
    }

    #[test]
    fn every_kind_of_value() {
        assert_eq!(
            time(r#"{"time":1734688800123,"msg":"pino"}"#, "time"),
            Some((T, 123_000_000))
        );
        assert_eq!(
            time(
                r#"{"__CURSOR":"s=1;i=2","__REALTIME_TIMESTAMP":"1734688800123456"}"#,
                "__REALTIME_TIMESTAMP"
            ),
            Some((T, 123_456_000))
        );
        assert_eq!(
            time(
                r#"{"timestamp":{"seconds":1734688800,"nanos":5},"severity":"ERROR"}"#,
                "timestamp"
            ),
            Some((T, 5))
        );
        assert_eq!(
            time(
                r#"{"@timestamp": "2024-12-20T10:00:00.000Z"}"#,
                "@timestamp"
            ),
            Some((T, 0))
        );
        assert_eq!(time(r#"{"time":"soon"}"#, "time"), None);
        assert_eq!(time("not json", "time"), None);
    }

    #[test]
    fn docker_json_file_from_its_end() {
        let line = format!(
            r#"{{"log":"{}\n","stream":"stdout","time":"2024-12-20T10:00:00.5Z"}}"#,
            "x".repeat(5000)
        );
        let tail = &line.as_bytes()[line.len() - 200..];
        let t = time_at_end(tail, "time", &mut MinuteCache::default()).expect("read from the end");
        assert_eq!((t.secs, t.nanos), (T, 500_000_000));
        let escaped = r#"x\",\"time\":\"2024-12-20T10:00:00Z\"}"#;
        assert_eq!(
            time_at_end(escaped.as_bytes(), "time", &mut MinuteCache::default()),
            None
        );
    }
}
