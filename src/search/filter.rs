//! Record filters: `&pattern` / `&!pattern` and `&field=value` in the
//! view, `--grep`, `--grep-v`, `--level` and `--where` in print mode. A record is kept when its level is
//! high enough (or cannot be read), some line matches one of the include patterns (if any), and
//! no line matches an exclude pattern. A hit on a traceback line keeps (or
//! drops) the whole record.

use std::io;

use super::expr::FieldFilter;
use super::matcher::{Matcher, LINE_MATCH_CAP};
use crate::merge::RecordPredicate;
use crate::record::{Level, Record, RecordReader};

/// The filter in force.
#[derive(Clone, Debug, Default)]
pub struct RecordFilter {
    pub includes: Vec<Matcher>,
    pub excludes: Vec<Matcher>,
    pub min_level: Option<Level>,
    /// Field filters (`--where`, `&logger=task`), every one must hold.
    pub fields: Vec<FieldFilter>,
}

impl RecordFilter {
    /// Whether the filter keeps everything.
    pub fn is_empty(&self) -> bool {
        self.includes.is_empty()
            && self.excludes.is_empty()
            && self.min_level.is_none()
            && self.fields.is_empty()
    }

    /// Whether records' levels must be read for it.
    pub fn uses_levels(&self) -> bool {
        self.min_level.is_some() || self.fields.iter().any(FieldFilter::uses_level)
    }

    fn fields_hold(&self, bytes: &[u8], record: &Record) -> bool {
        self.fields.iter().all(|f| f.accepts(bytes, record.level))
    }

    fn text_matches(&self, text: &[u8], included: &mut bool) -> bool {
        if !*included && self.includes.iter().any(|m| m.is_match(text)) {
            *included = true;
        }
        // `false` means an exclude pattern matched: the record is out.
        !self.excludes.iter().any(|m| m.is_match(text))
    }

    /// The line at `line_start` was matched on its first
    /// [`LINE_MATCH_CAP`] bytes only.
    fn note_cut_line(&self, line_start: u64) {
        for matcher in self.includes.iter().chain(&self.excludes) {
            matcher.note_cut_line(line_start);
        }
    }

    /// What to say of lines the patterns saw in part only, if any.
    pub fn cut_lines_note(&self) -> Option<String> {
        self.includes
            .iter()
            .chain(&self.excludes)
            .find_map(Matcher::cut_lines_note)
    }
}

impl RecordPredicate for RecordFilter {
    fn accepts(&self, _: usize, reader: &mut RecordReader, record: &Record) -> io::Result<bool> {
        // A record whose level cannot be read is never hidden by a minimum.
        if self.min_level.is_some_and(|min| !record.level.passes(min)) {
            return Ok(false);
        }
        if self.includes.is_empty() && self.excludes.is_empty() && self.fields.is_empty() {
            return Ok(true);
        }
        let mut included = self.includes.is_empty();
        // Common case: the record's raw bytes are its lines, in one block.
        if !record.crlf {
            if let Some(bytes) = reader.lines().range(record.start, record.end)? {
                if !self.fields_hold(bytes, record) {
                    return Ok(false);
                }
                let keep = self.text_matches(bytes, &mut included);
                return Ok(keep && included);
            }
        }
        if !self.fields.is_empty() {
            // A record longer than a block (or with CRLF): its fields are
            // read from its lines as shown, up to the cap as patterns are.
            let mut shown = Vec::new();
            reader
                .file()
                .for_each_line_piece(record.start, record.end, |piece, last| {
                    let room = LINE_MATCH_CAP - shown.len().min(LINE_MATCH_CAP);
                    shown.extend_from_slice(&piece[..piece.len().min(room)]);
                    if last && shown.len() < LINE_MATCH_CAP {
                        shown.push(b'\n');
                    }
                    Ok(())
                })?;
            if !self.fields_hold(&shown, record) {
                return Ok(false);
            }
            if self.includes.is_empty() && self.excludes.is_empty() {
                return Ok(true);
            }
        }
        let mut line = Vec::new();
        let mut cut = false;
        let mut keep = true;
        // Which line of the record: with its start, it names the line for
        // the cut lines' count (a line counts once however often asked).
        let mut index = 0;
        reader
            .file()
            .for_each_line_piece(record.start, record.end, |piece, last| {
                let room = LINE_MATCH_CAP - line.len();
                line.extend_from_slice(&piece[..piece.len().min(room)]);
                cut |= piece.len() > room;
                if last {
                    keep &= self.text_matches(&line, &mut included);
                    if std::mem::take(&mut cut) {
                        self.note_cut_line(record.start + index);
                    }
                    index += 1;
                    line.clear();
                }
                Ok(())
            })?;
        Ok(keep && included)
    }
}
