//! Airflow 3 JSON log lines rendered the way the Airflow 3 UI shows them:
//! `[time] LEVEL event key=value…`, then `error_detail` as indented
//! `File "…", line N, in name` lines and the exception.

use serde_json::{Map, Value};

/// Keys shown in the head of the line rather than as `key=value`.
const HEAD_KEYS: [&str; 4] = ["timestamp", "level", "event", "error_detail"];

/// The display lines for a JSON record line, or `None` when it is not a
/// JSON object (then it is shown as it is).
pub fn render(line: &[u8]) -> Option<Vec<String>> {
    let trimmed = line.trim_ascii_start();
    if trimmed.first() != Some(&b'{') {
        return None;
    }
    let value: Value = serde_json::from_slice(trimmed).ok()?;
    let object = value.as_object()?;
    let mut head = String::new();
    if let Some(ts) = object.get("timestamp").and_then(Value::as_str) {
        head.push('[');
        head.push_str(ts);
        head.push_str("] ");
    }
    if let Some(level) = object.get("level").and_then(Value::as_str) {
        head.push_str(&level.to_ascii_uppercase());
        head.push(' ');
    }
    match object.get("event") {
        Some(Value::String(event)) => head.push_str(event),
        Some(other) => head.push_str(&other.to_string()),
        None => {}
    }
    for (key, value) in object
        .iter()
        .filter(|(k, _)| !HEAD_KEYS.contains(&k.as_str()))
    {
        head.push(' ');
        head.push_str(key);
        head.push('=');
        match value {
            Value::String(s) => head.push_str(s),
            other => head.push_str(&other.to_string()),
        }
    }
    let mut lines = vec![head.trim_end().to_string()];
    if let Some(details) = object.get("error_detail").and_then(Value::as_array) {
        for detail in details.iter().filter_map(Value::as_object) {
            error_lines(detail, &mut lines);
        }
    }
    Some(lines)
}

pub(crate) fn error_lines(detail: &Map<String, Value>, lines: &mut Vec<String>) {
    let text = |key: &str| detail.get(key).and_then(Value::as_str).unwrap_or("");
    lines.push("  Traceback (most recent call last):".to_string());
    if let Some(frames) = detail.get("frames").and_then(Value::as_array) {
        for frame in frames.iter().filter_map(Value::as_object) {
            let file = frame.get("filename").and_then(Value::as_str).unwrap_or("?");
            let line = frame
                .get("lineno")
                .map(|v| v.to_string())
                .unwrap_or_else(|| "?".into());
            let name = frame.get("name").and_then(Value::as_str).unwrap_or("?");
            lines.push(format!("    File \"{file}\", line {line}, in {name}"));
        }
    }
    lines.push(format!("  {}: {}", text("exc_type"), text("exc_value")));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn airflow3_event_with_error_detail() {
        let line = br#"{"timestamp":"2025-06-01T10:00:00.104512Z","level":"error","event":"Task failed","logger":"airflow.task","error_detail":[{"exc_type":"ValueError","exc_value":"boom","frames":[{"filename":"/dags/etl.py","lineno":42,"name":"extract"}]}]}"#;
        assert_eq!(
            render(line).expect("json"),
            vec![
                "[2025-06-01T10:00:00.104512Z] ERROR Task failed logger=airflow.task",
                "  Traceback (most recent call last):",
                "    File \"/dags/etl.py\", line 42, in extract",
                "  ValueError: boom",
            ]
        );
    }

    #[test]
    fn non_json_is_left_alone() {
        assert_eq!(render(b"plain text"), None);
        assert_eq!(render(b"{not json"), None);
        assert_eq!(render(b"[1,2]"), None);
    }
}
