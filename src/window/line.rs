//! A line of the window, and how the window's cursors move past it.

use std::sync::Arc;

use crate::merge::{Cursor, MergedRecord};
use crate::record::Pos;

/// One line of the merged stream as the screen shows it.
#[derive(Clone, Debug)]
pub struct WindowLine {
    /// The record this line belongs to.
    pub record: MergedRecord,
    /// Byte range of the line in its source (`next` = start of the next line).
    pub start: u64,
    pub next: u64,
    /// The line's bytes (CR of CRLF removed), at most [`DISPLAY_CAP`](super::DISPLAY_CAP).
    pub text: Vec<u8>,
    /// The line was longer than [`DISPLAY_CAP`](super::DISPLAY_CAP).
    pub cut: bool,
    /// Screen rows the line takes as drawn (wrapped, rendered): at least 1.
    pub rows: usize,
    /// Where other sources stood after the merge's step that read this
    /// record, when the step passed over records of theirs (copies dropped,
    /// records filtered out): the window's cursors move them past this
    /// record with it, or a cursor taken from the lines would count those
    /// records as still to come, and a later read from it would show a
    /// dropped copy whose shown twin lies above it.
    pub passed: Passed,
}

/// Other sources' positions after a step (see [`WindowLine::passed`]).
pub type Passed = Option<Arc<[(usize, Pos)]>>;

impl WindowLine {
    /// Whether this is the first line of its record (the timestamped one).
    pub fn is_record_start(&self) -> bool {
        self.start == self.record.record.start
    }

    pub(super) fn same_record(&self, other: &WindowLine) -> bool {
        self.record.source == other.record.source
            && self.record.record.start == other.record.record.start
    }

    /// Moves `cursor` past this line's record, whole.
    pub(super) fn pass(&self, cursor: &mut Cursor) {
        cursor.0[self.record.source] = self.record.record.after();
        self.move_others(cursor);
    }

    /// Moves `cursor` to just above this line's record.
    pub(super) fn unpass(&self, cursor: &mut Cursor) {
        cursor.0[self.record.source] = self.record.record.at();
        self.move_others(cursor);
    }

    /// The other sources' positions are the same just above and just below
    /// the record: the records the step passed over lie on one side of it.
    fn move_others(&self, cursor: &mut Cursor) {
        for &(source, pos) in self.passed.iter().flat_map(|p| p.iter()) {
            if let Some(at) = cursor.0.get_mut(source) {
                *at = pos;
            }
        }
    }
}
