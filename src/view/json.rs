//! Airflow 3 JSON log lines rendered the way the Airflow 3 UI shows them
//! (its `renderStructuredLog`): `[time] LEVEL - event key=value…`, with
//! `logger` as `source` and `filename`/`lineno` as one `loc` at the end,
//! without the task instance's ids that every line of a task carries; a
//! multi-line message as lines; and `error_detail` as the traceback
//! Python prints (`json::traceback`).

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::record::level;

mod traceback;

/// `error_detail`'s stacks as Python prints them (the fields pane shows
/// them too).
pub(crate) use traceback::lines as traceback_lines;

/// Keys shown in the head of the line rather than as `key=value`.
const HEAD_KEYS: [&str; 4] = ["timestamp", "level", "event", "error_detail"];

/// The task instance's ids, bound to every record of a task's log: the
/// Airflow UI leaves them out of each line (its `tiContextFields`), and so
/// does the viewer unless all fields are asked for.
pub const TASK_INSTANCE_KEYS: [&str; 6] = [
    "ti_id",
    "dag_id",
    "task_id",
    "run_id",
    "try_number",
    "map_index",
];

/// Which fields a rendered record shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fields {
    /// As the Airflow UI: the task instance's ids left out, `source=` and `loc=`.
    #[default]
    AsAirflowUi,
    /// Every key as written.
    All,
}

/// One display line of a rendered record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    /// A line of the traceback (drawn in the error colour).
    pub traceback: bool,
}

/// The display lines for a JSON record line, or `None` when it is not a
/// JSON object (then it is shown as it is).
pub fn render(line: &[u8], fields: Fields) -> Option<Vec<Rendered>> {
    let trimmed = line.trim_ascii_start();
    if trimmed.first() != Some(&b'{') {
        return None;
    }
    let Record(object) = serde_json::from_slice(trimmed).ok()?;
    let get = |key: &str| object.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    let mut head = String::new();
    if let Some(ts) = get("timestamp").and_then(Value::as_str) {
        head.push('[');
        head.push_str(ts);
        head.push_str("] ");
    }
    if let Some(level) = get("level").and_then(Value::as_str) {
        head.push_str(&shown_level(trimmed, level));
        head.push_str(" - ");
    }
    match get("event") {
        Some(Value::Null) | None => {}
        Some(event) => head.push_str(&text(event)),
    }
    for (key, value) in shown_fields(&object, fields) {
        head.push(' ');
        head.push_str(key);
        head.push('=');
        head.push_str(&value);
    }
    // A message's lines are lines (`print` and `logging` keep their line
    // breaks inside `event`); a CR before a break goes with it.
    let mut lines: Vec<Rendered> = head
        .trim_end()
        .split('\n')
        .map(|l| Rendered {
            text: l.strip_suffix('\r').unwrap_or(l).to_string(),
            traceback: false,
        })
        .collect();
    let traceback = match get("error_detail") {
        Some(Value::Array(stacks)) => traceback::lines(stacks),
        // A producer that wrote the traceback as text.
        Some(Value::String(text)) => text.lines().map(str::to_string).collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other.to_string()],
    };
    lines.extend(traceback.into_iter().map(|text| Rendered {
        text,
        traceback: true,
    }));
    Some(lines)
}

/// The level a record's head shows: as written, but for a line an Airflow 3
/// task wrote to stderr, which Airflow stamps `error` whatever it says. Every
/// level filter grades such a line by its text (`level::is_task_stderr`), so
/// the head shows that grade, or `STDERR` when the text names none: a
/// `UserWarning` shown as `ERROR` that `--level ERROR` hides, or an "ERROR"
/// that `--level CRITICAL` keeps, would look like a broken filter.
fn shown_level(line: &[u8], written: &str) -> String {
    if !level::is_task_stderr(line) {
        return written.to_ascii_uppercase();
    }
    match level::stderr_level(line) {
        Some(graded) => graded.name().to_string(),
        None => "STDERR".to_string(),
    }
}

/// The `key=value` fields after the event, in the order written. As the
/// Airflow UI: the task instance's ids left out, `logger` shown as
/// `source`, `filename` and `lineno` as one `loc` at the end; with
/// [`Fields::All`], every key as it is.
fn shown_fields(object: &[(String, Value)], fields: Fields) -> Vec<(&str, String)> {
    let rest = object
        .iter()
        .filter(|(k, _)| !HEAD_KEYS.contains(&k.as_str()));
    if fields == Fields::All {
        return rest.map(|(k, v)| (k.as_str(), text(v))).collect();
    }
    let get = |key: &str| object.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    let loc = match (get("filename"), get("lineno")) {
        (Some(file), Some(line)) => Some(format!("{}:{}", text(file), text(line))),
        _ => None,
    };
    let mut shown: Vec<(&str, String)> = rest
        .filter(|(k, _)| !TASK_INSTANCE_KEYS.contains(&k.as_str()))
        .filter(|(k, _)| loc.is_none() || !matches!(k.as_str(), "filename" | "lineno"))
        .map(|(k, v)| {
            let key = if k == "logger" { "source" } else { k.as_str() };
            (key, text(v))
        })
        .collect();
    shown.extend(loc.map(|loc| ("loc", loc)));
    shown
}

/// A JSON object's members in the order written (serde_json's `Map`
/// sorts them, and the Airflow UI shows them as they come); a repeated
/// key is shown as often as it is written.
struct Record(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> Visitor<'de> for Members {
            type Value = Record;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Record(members))
            }
        }
        deserializer.deserialize_map(Members)
    }
}

/// A value as the Airflow UI shows it: a string as it is, anything else as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;
