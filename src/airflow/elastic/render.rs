//! One Elasticsearch/OpenSearch document of Airflow's task handler as the
//! lines it stands for, as Airflow's handler renders them — and without
//! losing what it drops:
//!
//! * Airflow 3 (an `event` field): a JSON line like the local file's, the
//!   `timestamp` first, the rest of the fields but the shipping metadata
//!   (Airflow keeps only five fields and loses an exception's details).
//! * JSON mode of Airflow 2 (`asctime`, `levelname`, … fields): the fields
//!   through the log format (`[logging] log_format`), then `exc_text` and
//!   `stack_info` as the lines a formatter adds (Airflow's handler formats
//!   only the format string, so a traceback is lost).
//! * Otherwise the `message` as shipped (Filebeat sends the file's line).

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// A document's `_source`: its fields in the order stored, values raw.
#[derive(Debug, Default)]
pub struct Fields(Vec<(String, Box<RawValue>)>);

impl Fields {
    /// The raw JSON of `key`.
    pub fn raw(&self, key: &str) -> Option<&RawValue> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| &**v)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.raw(key).is_some()
    }

    /// `key` as a string, if it is one.
    pub fn text(&self, key: &str) -> Option<String> {
        serde_json::from_str(self.raw(key)?.get()).ok()
    }

    /// `key` as text: a string's contents, else its JSON (`null` as none).
    fn shown(&self, key: &str) -> Option<String> {
        let raw = self.raw(key)?;
        match self.text(key) {
            Some(text) => Some(text),
            None if raw.get() == "null" => None,
            None => Some(raw.get().to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct InOrder;
        impl<'de> Visitor<'de> for InOrder {
            type Value = Fields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
                let mut fields = Vec::new();
                while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                    fields.push(entry);
                }
                Ok(Fields(fields))
            }
        }
        deserializer.deserialize_map(InOrder)
    }
}

/// Airflow's default `[logging] log_format`.
pub const DEFAULT_LOG_FORMAT: &str =
    "[%(asctime)s] {%(filename)s:%(lineno)d} %(levelname)s - %(message)s";

/// Fields the shipping adds, not the record's (Airflow's ids, the order,
/// Filebeat's and Logstash's own).
const METADATA: [&str; 20] = [
    "log_id",
    "offset",
    "host",
    "dag_id",
    "task_id",
    "run_id",
    "try_number",
    "map_index",
    "logical_date",
    "execution_date",
    "data_interval_start",
    "data_interval_end",
    "@timestamp",
    "@version",
    "agent",
    "ecs",
    "input",
    "log",
    "fields",
    "tags",
];

/// The text of one document (lines joined by `\n`) and its time in
/// milliseconds, for a line that does not say its own.
pub fn render(source: &Fields, log_format: &str) -> (String, Option<i64>) {
    let millis = ["@timestamp", "timestamp"]
        .iter()
        .filter_map(|key| source.text(key))
        .find_map(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.timestamp_millis());
    if source.contains("event") {
        return (structured(source), millis);
    }
    if source.contains("levelname") || source.contains("asctime") {
        if let Some(mut text) = formatted(log_format, source) {
            for extra in ["exc_text", "stack_info"] {
                if let Some(lines) = source.shown(extra).filter(|s| !s.is_empty()) {
                    text.push('\n');
                    text.push_str(lines.trim_end_matches('\n'));
                }
            }
            return (text, millis);
        }
    }
    match source.shown("message") {
        Some(message) => (message, millis),
        None => (structured(source), millis),
    }
}

/// Airflow 3's record as a JSON line: `timestamp` first (where logweave
/// looks for it), then the record's other fields in their order, their
/// values as stored.
fn structured(source: &Fields) -> String {
    let mut line = String::from("{");
    let time = source.raw("timestamp").or_else(|| source.raw("@timestamp"));
    if let Some(time) = time {
        line.push_str("\"timestamp\":");
        line.push_str(time.get());
    }
    for (key, value) in &source.0 {
        if key == "timestamp" || METADATA.contains(&key.as_str()) {
            continue;
        }
        if line.len() > 1 {
            line.push(',');
        }
        line.push_str(&serde_json::to_string(key).unwrap_or_default());
        line.push(':');
        line.push_str(value.get());
    }
    line.push('}');
    line
}

/// `format` (Python's `%`-style, as Airflow's log format is written) filled
/// with the document's fields; `None` when it names a field the document
/// lacks (Airflow then shows the plain message too).
pub fn formatted(format: &str, fields: &Fields) -> Option<String> {
    let mut out = String::new();
    let mut rest = format;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix('%') {
            out.push('%');
            rest = after;
            continue;
        }
        let Some(named) = rest.strip_prefix('(') else {
            out.push('%');
            continue;
        };
        let close = named.find(')')?;
        let key = &named[..close];
        // Flags, width and precision, then the conversion.
        let spec = &named[close + 1..];
        let end = spec.find(|c: char| c.is_ascii_alphabetic())?;
        let (flags, conversion) = (&spec[..end], spec.as_bytes()[end]);
        rest = &spec[end + 1..];
        let value = match fields.shown(key) {
            None if matches!(key, "exc_text" | "stack_info") => String::new(),
            None => return None,
            Some(text) if conversion == b'f' => {
                let precision = flags.split_once('.').and_then(|(_, p)| p.parse().ok());
                match (text.parse::<f64>(), precision) {
                    (Ok(f), Some(p)) => format!("{f:.p$}"),
                    _ => text,
                }
            }
            Some(text) => text,
        };
        let width: usize = flags
            .trim_start_matches(['-', '+', ' ', '#', '0'])
            .split('.')
            .next()
            .and_then(|w| w.parse().ok())
            .unwrap_or(0);
        if flags.starts_with('-') {
            out.push_str(&format!("{value:<width$}"));
        } else {
            out.push_str(&format!("{value:>width$}"));
        }
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(json: &str) -> Fields {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn plain_messages_are_shipped_lines() {
        let (text, millis) = render(
            &doc(
                r#"{"log_id":"a","offset":3,"message":"[2024-12-19T10:00:00.000+0000] {x.py:1} INFO - hi"}"#,
            ),
            DEFAULT_LOG_FORMAT,
        );
        assert_eq!(text, "[2024-12-19T10:00:00.000+0000] {x.py:1} INFO - hi");
        assert_eq!(millis, None);
    }

    #[test]
    fn json_mode_fields_go_through_the_log_format_and_keep_the_traceback() {
        let source = doc(
            r#"{"log_id":"a","offset":1,"asctime":"2024-12-19T10:00:00.123+0000","filename":"task.py","lineno":42,"levelname":"ERROR","message":"Task failed","exc_text":"Traceback (most recent call last):\n  File \"task.py\", line 42\nValueError: boom","@timestamp":"2024-12-19T10:00:00.123Z"}"#,
        );
        let (text, millis) = render(&source, DEFAULT_LOG_FORMAT);
        assert_eq!(
            text,
            "[2024-12-19T10:00:00.123+0000] {task.py:42} ERROR - Task failed\nTraceback (most recent call last):\n  File \"task.py\", line 42\nValueError: boom"
        );
        assert_eq!(millis, Some(1_734_602_400_123));
        // A format naming a field the document lacks: the message.
        let (text, _) = render(&source, "%(asctime)s %(process)d %(message)s");
        assert_eq!(text, "Task failed");
        assert_eq!(
            formatted("%(levelname)-8s|%(lineno)5d|100%%", &source).as_deref(),
            Some("ERROR   |   42|100%")
        );
    }

    #[test]
    fn airflow_3_records_are_json_lines_with_their_exception() {
        let source = doc(
            r#"{"log_id":"a","offset":7,"event":"Task failed","level":"error","timestamp":"2025-01-01T00:00:00.123456Z","logger":"task","error_detail":[{"exc_type":"ValueError","exc_value":"boom"}],"host":"worker-1"}"#,
        );
        let (text, _) = render(&source, DEFAULT_LOG_FORMAT);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(
            text.starts_with(r#"{"timestamp":"2025-01-01T00:00:00.123456Z""#),
            "{text}"
        );
        assert_eq!(value["event"], "Task failed");
        assert_eq!(value["error_detail"][0]["exc_value"], "boom");
        assert!(value.get("log_id").is_none() && value.get("host").is_none());
        assert!(
            text.contains(r#""event":"Task failed","level":"error""#),
            "in order: {text}"
        );
    }
}
