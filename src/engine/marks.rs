//! Marks and jump-back: `m` + letter remembers the focused record, `'` +
//! letter goes back to it, `''` returns to where the last jump started.
//!
//! A mark is a record position (a cursor with the record as the first below
//! it), not a screen row: it survives scrolling, source toggles, filters and
//! follow mode, and costs a few bytes per source whatever the log's size.

use std::collections::BTreeMap;
use std::io;

use super::{format_in, Engine};
use crate::merge::{Cursor, MergedRecord};
use crate::record::timestamp::Nanos;
use crate::window::Position;

/// Bytes of the marked line kept to list the mark (`'` alone).
const PREVIEW_BYTES: usize = 200;

/// A marked record.
#[derive(Clone, Debug)]
pub(super) struct Mark {
    /// The record is the first below this cursor.
    cursor: Cursor,
    record: MergedRecord,
    /// The beginning of the focused line when it was marked, to list it.
    preview: Vec<u8>,
}

/// What the view shows of a mark: in the gutter, on the timeline and in the
/// list `'` opens.
#[derive(Clone, Debug, PartialEq)]
pub struct MarkInfo {
    pub letter: char,
    pub source: usize,
    pub ts: Option<Nanos>,
    /// Its time in the zone shown.
    pub time: Option<String>,
    /// The start of the marked line, as bytes from the log (the view makes
    /// them safe to show).
    pub preview: Vec<u8>,
}

/// The marks and the place the last jump started from.
#[derive(Default)]
pub(super) struct Marks {
    marks: BTreeMap<char, Mark>,
    jumped_from: Option<Position>,
}

impl Marks {
    /// The mark on the record starting at `start` of `source`.
    pub(super) fn letter_at(&self, source: usize, start: u64) -> Option<char> {
        self.marks
            .iter()
            .find(|(_, m)| m.record.source == source && m.record.record.start == start)
            .map(|(letter, _)| *letter)
    }

    /// The cursor a range from mark `letter` starts or ends at, and the
    /// marked record.
    pub(super) fn get(&self, letter: char) -> Option<(&Cursor, MergedRecord)> {
        self.marks.get(&letter).map(|m| (&m.cursor, m.record))
    }

    pub(super) fn is_empty(&self) -> bool {
        self.marks.is_empty()
    }
}

impl Engine {
    /// The focused record, and the cursor that has it as the first record
    /// below.
    pub(super) fn focused_record(&self) -> Option<(Cursor, MergedRecord)> {
        Some((
            self.window.cursor_at_focus()?,
            self.window.focused()?.record,
        ))
    }

    /// `m` + letter: marks the focused record.
    pub(super) fn set_mark(&mut self, letter: char) {
        let (Some((cursor, record)), Some(line)) = (self.focused_record(), self.window.focused())
        else {
            self.message = Some("nothing on screen to mark".into());
            return;
        };
        let preview = line.text[..line.text.len().min(PREVIEW_BYTES)].to_vec();
        // A record carries one mark: marking it again moves the letter.
        self.marks.marks.retain(|_, m| m.record != record);
        self.marks.marks.insert(
            letter,
            Mark {
                cursor,
                record,
                preview,
            },
        );
        self.message = Some(format!("mark '{letter}' set"));
    }

    /// `'` + letter: shows the marked record on the top line, focused.
    pub(super) fn goto_mark(&mut self, letter: char) -> io::Result<()> {
        let Some(mark) = self.marks.marks.get(&letter).cloned() else {
            self.message = Some(format!("no mark '{letter}' (m{letter} sets it)"));
            return Ok(());
        };
        self.remember_jump();
        self.window.jump_to_cursor(&mark.cursor)?;
        let shown = self.window.focused().map(|l| l.record);
        if shown != Some(mark.record) {
            // Hidden by a filter, the level or its source being off: the
            // screen stands where it would be, at the next record shown.
            self.message = Some(format!(
                "mark '{letter}' is hidden by the filters or a hidden source: showing what follows it"
            ));
        }
        Ok(())
    }

    /// Called before a jump (`g`, `G`, `:`, a search hit, `]`, a timeline
    /// click, a mark): `''` comes back here.
    pub(super) fn remember_jump(&mut self) {
        if let Some(here) = self.window.position() {
            self.marks.jumped_from = Some(here);
        }
    }

    /// `''`: back to where the last jump started; again, forth.
    pub(super) fn jump_back(&mut self) -> io::Result<()> {
        let Some(back) = self.marks.jumped_from.take() else {
            self.message = Some("no jump to return from yet".into());
            return Ok(());
        };
        self.marks.jumped_from = self.window.position();
        self.window.restore(&back)
    }

    /// The marks for the frame, in letter order.
    pub(super) fn mark_infos(&self) -> Vec<MarkInfo> {
        self.marks
            .marks
            .iter()
            .map(|(&letter, m)| MarkInfo {
                letter,
                source: m.record.source,
                ts: m.record.record.ts,
                time: m.record.record.ts.map(|t| format_in(t, &self.zones[0])),
                preview: m.preview.clone(),
            })
            .collect()
    }
}
