//! `P`: the focused record's bytes for the view's fields pane, with where
//! they come from. Read once when asked (at most [`COPY_CAP`]); the pane
//! parses them, nothing is kept per record.

use std::sync::Arc;

use super::export::{EffectKind, COPY_CAP};
use super::Engine;
use crate::source::describe_io_error;

/// One record as the fields pane shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordView {
    /// The source's tag and where it is read from.
    pub tag: String,
    pub location: String,
    /// Byte offset of the record in its source, and its length.
    pub offset: u64,
    pub len: u64,
    /// Its bytes, at most [`COPY_CAP`] of them (`cut` if it is longer).
    pub bytes: Vec<u8>,
    pub cut: bool,
}

impl Engine {
    /// Reads the focused record and hands it to the view.
    pub(super) fn inspect_focused(&mut self) {
        let Some(line) = self.window.focused() else {
            self.message = Some("nothing on screen".into());
            return;
        };
        let (source, record) = (line.record.source, line.record.record);
        let len = record.end - record.start;
        let want = len.min(COPY_CAP as u64) as usize;
        let mut bytes = vec![0; want];
        let layout = self.window.merge().layout(source);
        match layout.source().read_full_at(record.start, &mut bytes) {
            Ok(read) => bytes.truncate(read),
            Err(e) => {
                self.message = Some(format!("fields: {}", describe_io_error(&e)));
                return;
            }
        }
        let info = &self.sources[source];
        let view = RecordView {
            tag: info.tag.clone(),
            location: info.location.clone(),
            offset: record.start,
            len,
            cut: (bytes.len() as u64) < len,
            bytes,
        };
        self.effect(EffectKind::Fields(Arc::new(view)));
    }
}
