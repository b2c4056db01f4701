//! A record's fields, read from its bytes when something asks: a JSON
//! object's members (nested objects flattened with dots, `error_detail`
//! and arrays kept whole), logfmt's `key=value` pairs, or the parts of an
//! Airflow 2 line (`[time] {file.py:12} LEVEL - message`, named as
//! Airflow 3 names them: `timestamp`, `filename`, `lineno`, `level`,
//! `event`, so one filter reads both generations).
//!
//! Nothing is kept per record and nothing is allocated to read a field:
//! [`value_of`] walks the bytes to the one field asked for, [`for_each`]
//! hands each field to a visitor with its name as borrowed pieces. Only
//! a JSON string with escapes in it is copied, to unescape it ([`text`]).

use std::borrow::Cow;

use super::format::json::{self, Value};

/// How a record's fields are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A JSON object on the record's first line.
    Json,
    /// `key=value key="quoted value" …`.
    Logfmt,
    /// `[time] {file.py:12} LEVEL - message` and the lines after it.
    Airflow2,
    /// No fields: a line of text.
    Plain,
}

/// Objects nested deeper than this are kept whole (a bound on the walk's
/// stack of names, which lives on the stack).
const MAX_DEPTH: usize = 8;

/// Members kept whole, however they are nested: what Airflow 3 writes as
/// structure (the exception's frames) reads better as one field.
const KEPT_WHOLE: [&[u8]; 1] = [b"error_detail"];

/// A field as the visitor sees it: its name in pieces (`a`, `b` for
/// `a.b`) and its value as written.
#[derive(Clone, Copy, Debug)]
pub struct Field<'n, 'a> {
    pub path: &'n [&'a [u8]],
    pub value: Value<'a>,
}

impl Field<'_, '_> {
    /// The dotted name (allocates: for showing, not for filtering).
    pub fn name(&self) -> String {
        let pieces: Vec<Cow<str>> = self
            .path
            .iter()
            .map(|p| String::from_utf8_lossy(p))
            .collect();
        pieces.join(".")
    }

    /// Whether the dotted name is `name`, without building it.
    pub fn is_named(&self, name: &str) -> bool {
        let mut rest = name.as_bytes();
        for (i, piece) in self.path.iter().enumerate() {
            if i > 0 {
                match rest.strip_prefix(b".") {
                    Some(r) => rest = r,
                    None => return false,
                }
            }
            match rest.strip_prefix(*piece) {
                Some(r) => rest = r,
                None => return false,
            }
        }
        rest.is_empty()
    }
}

/// The first line of a record (JSON and logfmt fields live there).
fn first_line(record: &[u8]) -> &[u8] {
    let line = match memchr::memchr(b'\n', record) {
        Some(end) => &record[..end],
        None => record,
    };
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// How `record`'s fields are written, from its first line.
pub fn shape_of(record: &[u8]) -> Shape {
    let line = first_line(record).trim_ascii_start();
    match line.first() {
        Some(b'{') => Shape::Json,
        Some(b'[') if airflow2(record).is_some() => Shape::Airflow2,
        Some(_) if starts_logfmt(line) => Shape::Logfmt,
        _ => Shape::Plain,
    }
}

/// A logfmt line starts with `key=`, the key a word.
fn starts_logfmt(line: &[u8]) -> bool {
    let key = line
        .iter()
        .take_while(|&&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'@'))
        .count();
    key > 0 && line.get(key) == Some(&b'=')
}

/// The parts of an Airflow 2 record: time, file, line, level, message (the
/// message runs on over the record's other lines: a traceback is part of it).
struct Airflow2<'a> {
    timestamp: &'a [u8],
    filename: &'a [u8],
    lineno: &'a [u8],
    level: &'a [u8],
    event: &'a [u8],
}

fn airflow2(record: &[u8]) -> Option<Airflow2<'_>> {
    let rest = record.strip_prefix(b"[")?;
    let close = memchr::memchr(b']', &rest[..rest.len().min(64)])?;
    let timestamp = &rest[..close];
    let rest = rest[close + 1..].strip_prefix(b" {")?;
    let brace = memchr::memchr(b'}', &rest[..rest.len().min(512)])?;
    let place = &rest[..brace];
    let colon = memchr::memrchr(b':', place)?;
    let rest = rest[brace + 1..].strip_prefix(b" ")?;
    let space = memchr::memchr(b' ', &rest[..rest.len().min(16)])?;
    let level = &rest[..space];
    let event = rest[space + 1..]
        .strip_prefix(b"- ")
        .unwrap_or(&rest[space + 1..]);
    let event = event.strip_suffix(b"\n").unwrap_or(event);
    let event = event.strip_suffix(b"\r").unwrap_or(event);
    Some(Airflow2 {
        timestamp,
        filename: &place[..colon],
        lineno: &place[colon + 1..],
        level,
        event,
    })
}

/// Calls `visit` with each field of `record`, in the order written.
pub fn for_each<'a>(record: &'a [u8], mut visit: impl FnMut(Field<'_, 'a>)) {
    match shape_of(record) {
        Shape::Json => {
            let mut path: [&[u8]; MAX_DEPTH] = [b""; MAX_DEPTH];
            walk_json(first_line(record), &mut path, 0, &mut visit);
        }
        Shape::Logfmt => logfmt_pairs(first_line(record), |key, value| {
            visit(Field {
                path: &[key],
                value,
            });
            false
        }),
        Shape::Airflow2 => {
            if let Some(parts) = airflow2(record) {
                for (name, value) in [
                    (&b"timestamp"[..], parts.timestamp),
                    (b"filename", parts.filename),
                    (b"lineno", parts.lineno),
                    (b"level", parts.level),
                    (b"event", parts.event),
                ] {
                    visit(Field {
                        path: &[name],
                        value: Value::Str(value),
                    });
                }
            }
        }
        Shape::Plain => {}
    }
}

fn walk_json<'a>(
    object: &'a [u8],
    path: &mut [&'a [u8]; MAX_DEPTH],
    depth: usize,
    visit: &mut impl FnMut(Field<'_, 'a>),
) {
    json::walk(object, |key, value| {
        path[depth] = key;
        let flatten = matches!(value, Value::Nested(b) if b.first() == Some(&b'{'))
            && depth + 1 < MAX_DEPTH
            && !KEPT_WHOLE.contains(&key);
        match value {
            Value::Nested(inner) if flatten => walk_json(inner, path, depth + 1, visit),
            _ => visit(Field {
                path: &path[..=depth],
                value,
            }),
        }
        false
    });
}

/// Calls `visit` with each `key=value` of a logfmt line (a quoted value
/// without its quotes, escapes as written) until it returns `true`.
fn logfmt_pairs<'a>(line: &'a [u8], mut visit: impl FnMut(&'a [u8], Value<'a>) -> bool) {
    let mut i = 0;
    while i < line.len() {
        while line.get(i) == Some(&b' ') {
            i += 1;
        }
        let start = i;
        while line.get(i).is_some_and(|&c| c != b'=' && c != b' ') {
            i += 1;
        }
        let key = &line[start..i];
        if line.get(i) != Some(&b'=') {
            // A bare word: not a field.
            continue;
        }
        i += 1;
        let value = if line.get(i) == Some(&b'"') {
            let from = i + 1;
            let mut j = from;
            while let Some(&c) = line.get(j) {
                match c {
                    b'\\' => j += 2,
                    b'"' => break,
                    _ => j += 1,
                }
            }
            let end = j.min(line.len());
            i = end + 1;
            &line[from..end]
        } else {
            let from = i;
            while line.get(i).is_some_and(|&c| c != b' ') {
                i += 1;
            }
            &line[from..i]
        };
        if !key.is_empty() && visit(key, Value::Str(value)) {
            return;
        }
    }
}

/// The value of the field `name` (`a.b` reaches into a nested object, and
/// a member whose own name has dots is found too), without allocating.
pub fn value_of<'a>(record: &'a [u8], name: &str) -> Option<Value<'a>> {
    match shape_of(record) {
        Shape::Json => json_value(first_line(record), name.as_bytes()),
        Shape::Logfmt => {
            let mut found = None;
            logfmt_pairs(first_line(record), |key, value| {
                let hit = key == name.as_bytes();
                if hit {
                    found = Some(value);
                }
                hit
            });
            found
        }
        Shape::Airflow2 => {
            let parts = airflow2(record)?;
            Some(Value::Str(match name {
                "timestamp" => parts.timestamp,
                "filename" => parts.filename,
                "lineno" => parts.lineno,
                "level" => parts.level,
                "event" => parts.event,
                _ => return None,
            }))
        }
        Shape::Plain => None,
    }
}

fn json_value<'a>(object: &'a [u8], name: &[u8]) -> Option<Value<'a>> {
    let mut found = None;
    json::walk(object, |key, value| {
        if key == name {
            found = Some(value);
            return true;
        }
        // `a.b`: `a` is this member, `b` is inside it.
        if let (Some(rest), Value::Nested(inner)) = (name.strip_prefix(key), value) {
            if let Some(rest) = rest.strip_prefix(b".") {
                if let Some(inner) = json_value(inner, rest) {
                    found = Some(inner);
                    return true;
                }
            }
        }
        false
    });
    found
}

/// A record's level as filters and facets grade it: its own `level` field
/// when it has one that reads as a level, else what its source's level
/// syntax read (`read`) — and that for an Airflow 3 `task.stderr` line,
/// whose `"level":"error"` Airflow writes on every line a task prints to
/// stderr: it is at the level its text names, as `--level`, `L` and `]`
/// grade it (`level::is_task_stderr`).
pub fn level_of(record: &[u8], read: super::level::Level) -> super::level::Level {
    if super::level::is_task_stderr(record) {
        return read;
    }
    value_of(record, "level")
        .and_then(|v| super::level::Level::from_word(text(v).trim().as_bytes()))
        .unwrap_or(read)
}

/// A value as text: a JSON string unescaped (copied only when it has
/// escapes), anything else as written; invalid UTF-8 replaced.
pub fn text(value: Value<'_>) -> Cow<'_, str> {
    match value {
        Value::Str(raw) if raw.contains(&b'\\') => {
            let mut quoted = Vec::with_capacity(raw.len() + 2);
            quoted.push(b'"');
            quoted.extend_from_slice(raw);
            quoted.push(b'"');
            match serde_json::from_slice::<String>(&quoted) {
                Ok(s) => Cow::Owned(s),
                Err(_) => String::from_utf8_lossy(raw),
            }
        }
        Value::Str(raw) | Value::Scalar(raw) | Value::Nested(raw) => String::from_utf8_lossy(raw),
    }
}

/// Every field of `record` as `(name, text)`: for showing one record.
pub fn all(record: &[u8]) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    for_each(record, |field| {
        fields.push((field.name(), text(field.value).into_owned()));
    });
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    const AIRFLOW3: &[u8] = br#"{"timestamp":"2026-12-07T04:07:52.339421Z","level":"error","event":"Task failed","logger":"task","filename":"task_runner.py","lineno":1676,"ctx":{"dag":{"id":"d"},"n":1},"error_detail":[{"exc_type":"RuntimeError","frames":[]}]}
"#;

    fn shown(record: &[u8], name: &str) -> Option<String> {
        value_of(record, name).map(|v| text(v).into_owned())
    }

    #[test]
    fn json_fields_are_flattened_with_dots_and_error_detail_kept_whole() {
        assert_eq!(shape_of(AIRFLOW3), Shape::Json);
        let names: Vec<String> = all(AIRFLOW3).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "timestamp",
                "level",
                "event",
                "logger",
                "filename",
                "lineno",
                "ctx.dag.id",
                "ctx.n",
                "error_detail"
            ]
        );
        assert_eq!(shown(AIRFLOW3, "logger").as_deref(), Some("task"));
        assert_eq!(shown(AIRFLOW3, "lineno").as_deref(), Some("1676"));
        assert_eq!(shown(AIRFLOW3, "ctx.dag.id").as_deref(), Some("d"));
        assert_eq!(
            shown(AIRFLOW3, "error_detail").as_deref(),
            Some(r#"[{"exc_type":"RuntimeError","frames":[]}]"#)
        );
        assert_eq!(shown(AIRFLOW3, "ctx.missing"), None);
        assert_eq!(shown(AIRFLOW3, "nope"), None);
        // A member whose own name has dots.
        let dotted = br#"{"a.b":"whole","a":{"c":"inner"}}"#;
        assert_eq!(shown(dotted, "a.b").as_deref(), Some("whole"));
        assert_eq!(shown(dotted, "a.c").as_deref(), Some("inner"));
    }

    #[test]
    fn escapes_are_read_and_nothing_is_copied_without_them() {
        let line = br#"{"event":"say \"hi\"\n\u00e9","plain":"x"}"#;
        assert_eq!(shown(line, "event").as_deref(), Some("say \"hi\"\n\u{e9}"));
        assert!(matches!(
            text(value_of(line, "plain").unwrap()),
            Cow::Borrowed("x")
        ));
    }

    #[test]
    fn logfmt_pairs_plain_quoted_and_bare_words() {
        let line = b"time=2024-01-01T00:00:00Z level=warn msg=\"disk \\\"almost\\\" full\" bare component=db\n";
        assert_eq!(shape_of(line), Shape::Logfmt);
        assert_eq!(
            all(line),
            [
                ("time".to_string(), "2024-01-01T00:00:00Z".to_string()),
                ("level".into(), "warn".into()),
                ("msg".into(), "disk \"almost\" full".into()),
                ("component".into(), "db".into()),
            ]
        );
        assert_eq!(shown(line, "component").as_deref(), Some("db"));
        assert_eq!(shown(line, "bare"), None);
    }

    #[test]
    fn airflow2_parts_are_named_as_airflow3_names_them() {
        let record = b"[2024-12-20T10:00:00.009+0000] {taskinstance.py:2612} ERROR - Task failed\nTraceback (most recent call last):\n  File \"x.py\", line 1\n";
        assert_eq!(shape_of(record), Shape::Airflow2);
        assert_eq!(
            all(record),
            [
                (
                    "timestamp".to_string(),
                    "2024-12-20T10:00:00.009+0000".to_string()
                ),
                ("filename".into(), "taskinstance.py".into()),
                ("lineno".into(), "2612".into()),
                ("level".into(), "ERROR".into()),
                (
                    "event".into(),
                    "Task failed\nTraceback (most recent call last):\n  File \"x.py\", line 1"
                        .into()
                ),
            ]
        );
        assert_eq!(
            shown(record, "filename").as_deref(),
            Some("taskinstance.py")
        );
        assert_eq!(shown(record, "logger"), None);
    }

    #[test]
    fn plain_text_and_broken_input_have_no_fields_and_never_panic() {
        for record in [
            &b"2024-01-01 plain words"[..],
            b"",
            b"{",
            b"{\"a\":",
            b"{\"a\":{\"b\":",
            b"[x] {",
            b"[x] {a:1} ",
            b"k=\"unterminated",
            b"=x",
        ] {
            let _ = all(record);
            let _ = value_of(record, "a.b");
        }
        assert!(all(b"2024-01-01 plain words").is_empty());
        assert_eq!(shape_of(b"2024-01-01 plain"), Shape::Plain);
    }

    #[test]
    fn deep_nesting_stops_at_the_bound() {
        let mut deep = String::new();
        for _ in 0..20 {
            deep.push_str("{\"a\":");
        }
        deep.push('1');
        for _ in 0..20 {
            deep.push('}');
        }
        let fields = all(deep.as_bytes());
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].0.split('.').count(), MAX_DEPTH);
    }
}
