//! The fields pane (`P`, after lnav's field overlay — less's `p` is
//! taken): every field of the focused record, its exception's frames from
//! `error_detail`, and where it is (source, offset). `y` copies the
//! chosen row's value, `Y` the raw record, through OSC 52 as `y` does in
//! the log.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent};

use super::super::keymap::Action;
use super::{App, Mode};
use crate::engine::{size, Command, RecordView};
use crate::record::fields;

/// Rows a page key moves in the pane.
const PAGE: usize = 10;

/// What a row of the pane is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    /// Where the record is: its source, its offset.
    Place,
    Field,
    /// A line of the exception's traceback, from `error_detail`.
    Frame,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRow {
    pub kind: RowKind,
    pub name: String,
    pub value: String,
}

/// The pane's state: the record, its rows (parsed once, when opened) and
/// the chosen row.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldsPane {
    pub record: Arc<RecordView>,
    pub rows: Vec<FieldRow>,
    pub selected: usize,
}

impl FieldsPane {
    pub fn new(record: Arc<RecordView>) -> Self {
        let row = |kind, name: &str, value: String| FieldRow {
            kind,
            name: name.to_string(),
            value,
        };
        let mut rows = vec![
            row(
                RowKind::Place,
                "source",
                format!("{}  {}", record.tag, record.location),
            ),
            row(
                RowKind::Place,
                "offset",
                format!(
                    "{} ({}{})",
                    record.offset,
                    size(record.len),
                    if record.cut {
                        ", shown up to 1 MiB"
                    } else {
                        ""
                    }
                ),
            ),
        ];
        let mut frames = Vec::new();
        fields::for_each(&record.bytes, |field| {
            let value = fields::text(field.value).into_owned();
            if field.is_named("error_detail") {
                frames = traceback(&value);
            }
            rows.push(row(RowKind::Field, &field.name(), value));
        });
        if rows.len() == 2 {
            // No fields: the record's text is its one field.
            let text = String::from_utf8_lossy(&record.bytes);
            rows.push(row(RowKind::Field, "text", text.trim_end().to_string()));
        }
        rows.extend(frames.into_iter().map(|line| row(RowKind::Frame, "", line)));
        Self {
            record,
            rows,
            selected: 0,
        }
    }
}

/// `error_detail`'s exceptions as Python prints them, one row a line.
fn traceback(error_detail: &str) -> Vec<String> {
    let Ok(serde_json::Value::Array(stacks)) = serde_json::from_str(error_detail) else {
        return Vec::new();
    };
    crate::view::json::traceback_lines(&stacks)
}

impl App {
    /// Opens the pane on a record the engine read.
    pub fn open_fields(&mut self, record: Arc<RecordView>) {
        self.mode = Mode::Fields(FieldsPane::new(record));
    }

    /// A key while the fields pane is open.
    pub(super) fn fields_key(&mut self, key: KeyEvent, mut pane: FieldsPane) -> Vec<Command> {
        let last = pane.rows.len().saturating_sub(1);
        let action = self.keymap.action(&key);
        pane.selected = match (key.code, action) {
            (KeyCode::Esc, _) | (_, Some(Action::Quit | Action::Fields | Action::Help)) => {
                return Vec::new();
            }
            (_, Some(Action::Copy)) => {
                if let Some(row) = pane.rows.get(pane.selected) {
                    let name = if row.name.is_empty() {
                        "the line"
                    } else {
                        &row.name
                    };
                    self.clipboard = Some((
                        row.value.clone().into_bytes(),
                        format!("copied {name}: {}", size(row.value.len() as u64)),
                    ));
                }
                pane.selected
            }
            (_, Some(Action::CopyRange)) => {
                let bytes = pane.record.bytes.clone();
                let said = format!("copied the raw record: {}", size(bytes.len() as u64));
                self.clipboard = Some((bytes, said));
                pane.selected
            }
            (_, Some(Action::Down | Action::FocusDown)) => pane.selected + 1,
            (_, Some(Action::Up | Action::FocusUp)) => pane.selected.saturating_sub(1),
            (_, Some(Action::PageDown | Action::HalfDown)) => pane.selected + PAGE,
            (_, Some(Action::PageUp | Action::HalfUp)) => pane.selected.saturating_sub(PAGE),
            (_, Some(Action::Start)) => 0,
            (_, Some(Action::End)) => last,
            _ => pane.selected,
        }
        .min(last);
        self.mode = Mode::Fields(pane);
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_hold_place_fields_and_the_exceptions_frames() {
        let line = br#"{"timestamp":"t","level":"error","event":"Task failed","logger":"task","error_detail":[{"exc_type":"RuntimeError","exc_value":"boom","frames":[{"filename":"/dags/a.py","lineno":7,"name":"run"}]}]}
"#;
        let pane = FieldsPane::new(Arc::new(RecordView {
            tag: "local".into(),
            location: "/logs/attempt=1.log".into(),
            offset: 1234,
            len: line.len() as u64,
            bytes: line.to_vec(),
            cut: false,
        }));
        let shown: Vec<(RowKind, &str, &str)> = pane
            .rows
            .iter()
            .map(|r| (r.kind, r.name.as_str(), r.value.as_str()))
            .collect();
        assert_eq!(
            shown[0],
            (RowKind::Place, "source", "local  /logs/attempt=1.log")
        );
        assert!(shown[1].2.starts_with("1234 ("), "{:?}", shown[1]);
        assert!(shown.contains(&(RowKind::Field, "logger", "task")));
        assert!(shown
            .iter()
            .any(|r| r.1 == "error_detail" && r.2.starts_with("[{\"exc_type\"")));
        let frames: Vec<&str> = shown
            .iter()
            .filter(|r| r.0 == RowKind::Frame)
            .map(|r| r.2)
            .collect();
        assert_eq!(
            frames,
            [
                "Traceback (most recent call last):",
                "  File \"/dags/a.py\", line 7, in run",
                "RuntimeError: boom"
            ]
        );
    }
}
