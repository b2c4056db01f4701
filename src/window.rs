//! The window: the bounded scrollback buffer the screen looks at.
//!
//! It holds the lines between a top and a bottom [`Cursor`] — the viewport
//! plus a margin of a few screens on each side — filled lazily from the merge
//! in either direction and evicting the far end, capped in lines and bytes.
//! Either edge may stand inside a record (a traceback, or an untimed source
//! that is one record of a gigabyte), so the window reads records line by
//! line and never holds a record whole.

use std::collections::VecDeque;
use std::io;

use crate::merge::{Cursor, Merge, MergedRecord};
use crate::record::timestamp::Nanos;
use crate::record::Pos;

mod hidden;
mod line;
mod screen;

pub use hidden::HiddenLines;
pub use line::{Passed, WindowLine};

/// Lines longer than this are kept for display only up to it and marked cut;
/// the source still has them whole.
pub const DISPLAY_CAP: usize = 64 * 1024;

/// Screens of lines kept loaded above and below the viewport.
const MARGIN_SCREENS: usize = 2;

/// Screens a focus move looks for the next record before it stops.
const FOCUS_REACH: usize = 2;

/// How many screen rows a line takes as drawn; given by the engine, which
/// asks the view (wrapping, JSON rendering, markers), so that every move
/// counts what the screen shows.
pub type Measure = Box<dyn Fn(&WindowLine) -> usize + Send>;

/// Hard caps whatever the screen size.
const MAX_LINES: usize = 4_000;
const MAX_BYTES: usize = 8 * 1024 * 1024;

/// Which edge the merge's cursor currently stands at.
#[derive(Clone, Copy, PartialEq, Eq)]
enum MergeAt {
    Top,
    Bottom,
    Elsewhere,
}

/// The scrollback buffer over a merge.
pub struct Window {
    merge: Merge,
    lines: VecDeque<WindowLine>,
    bytes: usize,
    /// Everything above `top` is above the window; a record split by the top
    /// edge counts as below it (its first lines are not loaded).
    top: Cursor,
    /// Everything above `bottom` is in or above the window; a record split by
    /// the bottom edge counts as above it (its last lines are not loaded).
    bottom: Cursor,
    /// A record whose lines before the offset are not loaded.
    top_partial: Option<(MergedRecord, u64, Passed)>,
    /// A record whose lines from the offset on are not loaded.
    bottom_partial: Option<(MergedRecord, u64, Passed)>,
    at_start: bool,
    at_end: bool,
    merge_at: MergeAt,
    /// Index in `lines` of the first line on screen.
    viewport: usize,
    /// Rows of that line above the screen (a line taller than the rest of
    /// the screen is scrolled through row by row): less than its rows.
    skip: usize,
    /// How many rows a line takes as the view draws it.
    measure: Measure,
    /// Index in `lines` of the focused line: always on screen when anything
    /// is. It stays on its line while that line is on screen (as vim's
    /// cursor does when `C-e` scrolls), and is pushed along at the edges.
    focus: usize,
    /// Absolute number of `lines[0]`: counts down as lines are loaded above
    /// and up as they are evicted there, so a line keeps its number.
    first_line: i64,
    height: usize,
    /// Lines of shown records that folded groups hide.
    hidden: HiddenLines,
}

/// Where the screen stood, to go back to (`''`): the top line and the
/// focused row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    /// The cursor with the top line's record as the first below.
    cursor: Cursor,
    record: MergedRecord,
    /// Start of the top line, which may be inside its record.
    line_start: u64,
    /// Rows of the top line above the screen.
    skip: usize,
    focus_row: usize,
}

impl Window {
    /// A window over `merge`, at the start of the stream.
    pub fn new(merge: Merge) -> Self {
        let zero = Cursor::start(merge.source_count());
        Self {
            merge,
            lines: VecDeque::new(),
            bytes: 0,
            top: zero.clone(),
            bottom: zero,
            top_partial: None,
            bottom_partial: None,
            at_start: false,
            at_end: false,
            merge_at: MergeAt::Elsewhere,
            viewport: 0,
            skip: 0,
            measure: Box::new(|_| 1),
            focus: 0,
            first_line: 0,
            height: 24,
            hidden: HiddenLines::new(),
        }
    }

    /// The merge underneath (for seeks, source toggles and searches).
    pub fn merge_mut(&mut self) -> &mut Merge {
        self.merge_at = MergeAt::Elsewhere;
        &mut self.merge
    }

    /// The merge underneath, read-only.
    pub fn merge(&self) -> &Merge {
        &self.merge
    }

    /// Drops everything loaded and stands at `cursor` (the first screen
    /// starts with the first record below it).
    pub fn jump_to_cursor(&mut self, cursor: &Cursor) -> io::Result<()> {
        // A time's position names a time, not a record: held at the
        // records themselves, it also says how much of each source lies
        // above (the position percentage).
        let cursor = self.merge.normalized(cursor)?;
        self.reset(cursor);
        self.settle()
    }

    /// Stands at the line starting at `line_start` inside `record`, where
    /// `cursor` has `record` as the first record below: the screen starts
    /// with that line, however deep in a long record it is.
    pub fn jump_inside(
        &mut self,
        cursor: &Cursor,
        record: MergedRecord,
        line_start: u64,
    ) -> io::Result<()> {
        let cursor = self.merge.normalized(cursor)?;
        self.reset(cursor);
        // A line a fold hides now (the screen stood on it): the next one shown.
        let line_start = self
            .shown_from(&record, line_start)
            .unwrap_or(record.record.end);
        if line_start > record.record.start && line_start < record.record.end {
            self.top_partial = Some((record, line_start, None));
            self.bottom_partial = Some((record, line_start, None));
            self.bottom.0[record.source] = record.record.after();
        }
        self.settle()
    }

    /// Follow mode: shows the last screen as the sources hold it now. It is
    /// read again rather than extended, because a record may arrive after
    /// records later than it (Airflow 3 writes logging records after stdout
    /// lines stamped later): it takes its place in time, above the newest.
    pub fn pull_to_end(&mut self) -> io::Result<()> {
        self.sources_changed();
        self.jump_end()
    }

    /// A source was added to the merge: none of its records is loaded yet,
    /// so all of them count as below the window.
    pub fn source_added(&mut self) {
        self.top.0.push(Pos::START);
        self.bottom.0.push(Pos::START);
        self.sources_changed();
    }

    /// Sources grew: what was the end is not the end any more.
    pub fn sources_changed(&mut self) {
        self.at_end = false;
        self.merge_at = MergeAt::Elsewhere;
    }

    /// Sources grew while the screen stays where it is: a screen that was
    /// not full (a stream that had just begun to arrive) shows what came,
    /// as `less` does.
    pub fn sources_grew(&mut self) -> io::Result<()> {
        self.sources_changed();
        self.settle()
    }

    /// The first screen of the stream.
    pub fn jump_start(&mut self) -> io::Result<()> {
        self.merge.seek_first()?;
        let cursor = self.merge.cursor();
        self.jump_to_cursor(&cursor)
    }

    /// The screen starting with the first record at or after `t`.
    pub fn jump_time(&mut self, t: Nanos) -> io::Result<()> {
        self.merge.seek_time(t)?;
        let cursor = self.merge.cursor();
        self.jump_to_cursor(&cursor)
    }

    /// The screen where `fraction` of the stream's bytes lie above.
    pub fn jump_fraction(&mut self, fraction: f64) -> io::Result<()> {
        if fraction >= 1.0 {
            return self.jump_end();
        }
        self.merge.seek_fraction(fraction)?;
        let cursor = self.merge.cursor();
        self.jump_to_cursor(&cursor)
    }

    /// The cursor just above the `row`th line on screen (0 = top):
    /// the records before it are above, its own record (even if the line is
    /// inside it) is below. `None` when nothing is loaded there.
    pub fn cursor_at_row(&self, row: usize) -> Option<Cursor> {
        self.cursor_at(self.viewport + row)
    }

    /// [`cursor_at_row`](Self::cursor_at_row) for the line at `index` of
    /// what is loaded.
    fn cursor_at(&self, index: usize) -> Option<Cursor> {
        let target = self.lines.get(index)?;
        let mut cursor = self.top.clone();
        let mut previous: Option<&WindowLine> = None;
        for line in self.lines.iter().take(index) {
            if let Some(prev) = previous {
                if !prev.same_record(line) {
                    prev.pass(&mut cursor);
                }
            }
            previous = Some(line);
        }
        if let Some(prev) = previous {
            if !prev.same_record(target) {
                prev.pass(&mut cursor);
            }
        }
        target.unpass(&mut cursor);
        Some(cursor)
    }

    /// The focused line's row on screen, if anything is shown.
    pub fn focus_row(&self) -> Option<usize> {
        (self.focus < self.lines.len()).then(|| self.focus.saturating_sub(self.viewport))
    }

    /// The focused line.
    pub fn focused(&self) -> Option<&WindowLine> {
        self.lines.get(self.focus)
    }

    /// The cursor with the focused line's record as the first below, in
    /// any state of the merge (see `lasting_cursor_at`).
    pub fn cursor_at_focus(&self) -> Option<Cursor> {
        self.lasting_cursor_at(self.focus)
    }

    /// The cursor with the record of the line at `index` as the first
    /// below, also once sources are hidden or shown: the window's cursor
    /// only moves past the records the merge read, so the records of a
    /// source hidden meanwhile would still count as below, and come back
    /// once it is shown. Each other source's offset is moved on to its
    /// first record at the line's time.
    fn lasting_cursor_at(&self, index: usize) -> Option<Cursor> {
        let cursor = self.cursor_at(index)?;
        Some(self.lasting(cursor, self.lines.get(index)?.record))
    }

    /// [`lasting_cursor_at`](Self::lasting_cursor_at) for a cursor taken
    /// earlier, with `record` the first below it. Costs a seek by time in
    /// every source (a few reads each), so it is done when needed.
    fn lasting(&self, mut cursor: Cursor, record: MergedRecord) -> Cursor {
        if let Some(ts) = record.record.ts {
            let mut fork = self.merge.fork();
            if fork.seek_time(ts).is_ok() {
                let at = fork.cursor();
                for (source, offset) in cursor.0.iter_mut().enumerate() {
                    if source != record.source {
                        *offset = (*offset).max(at.0[source]);
                    }
                }
            }
        }
        cursor
    }

    /// Focuses the `row`th line shown (a click on one of its rows); the
    /// last line shown when there are fewer.
    pub fn focus_on_row(&mut self, row: usize) {
        self.focus = self.viewport + row;
        self.keep_focus_on_screen();
    }

    /// Moves the focus to the first line of the next record, or going up to
    /// the first line of its record (of the one above if it is there
    /// already). Looks at most `FOCUS_REACH` screens away, and stops at
    /// the furthest line looked at in a record longer than that.
    pub fn focus_record(&mut self, forward: bool) -> io::Result<()> {
        let reach = (self.height * FOCUS_REACH) as i64;
        let from = self.absolute(self.focus);
        let mut at = from;
        loop {
            let next = if forward { at + 1 } else { at - 1 };
            if !self.load_absolute(next)? || (next - from).abs() > reach {
                break;
            }
            at = next;
            let line = &self.lines[self.index_of(at)];
            if line.is_record_start() && (forward || at != from) {
                break;
            }
        }
        self.move_focus((at - from) as isize)
    }

    /// The absolute number of the line at `index` (stable while lines are
    /// loaded and evicted at either end).
    fn absolute(&self, index: usize) -> i64 {
        self.first_line + index as i64
    }

    /// The index in `lines` of absolute line `n`, clamped to what is loaded.
    fn index_of(&self, n: i64) -> usize {
        (n - self.first_line).clamp(0, self.lines.len().saturating_sub(1) as i64) as usize
    }

    /// Loads lines until absolute line `n` is loaded; `false` past an end.
    fn load_absolute(&mut self, n: i64) -> io::Result<bool> {
        while n < self.first_line {
            if !self.extend_up()? {
                return Ok(false);
            }
            self.viewport += 1;
        }
        while n >= self.first_line + self.lines.len() as i64 {
            if !self.extend_down()? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Reads the screen again from its top line (what the merge shows
    /// changed: a group was folded), keeping the focused row.
    pub fn reload(&mut self) -> io::Result<()> {
        let Some(here) = self.position() else {
            return self.jump_start();
        };
        let at_end = self.shows_end() && self.viewport > 0;
        self.jump_inside(&here.cursor, here.record, here.line_start)?;
        self.scroll(here.skip as isize)?;
        if at_end {
            // The last screen stays the last screen.
            return self.jump_end();
        }
        self.focus_on_row(here.focus_row);
        Ok(())
    }

    /// The screen starting with `record`, focused.
    pub fn jump_to_record(&mut self, record: MergedRecord) -> io::Result<()> {
        let mut cursor = Cursor::start(self.merge.source_count());
        cursor.0[record.source] = record.record.at();
        let cursor = self.lasting(cursor, record);
        self.jump_to_cursor(&cursor)
    }

    /// Where the screen stands now, for [`restore`](Self::restore).
    pub fn position(&self) -> Option<Position> {
        let top = self.lines.get(self.viewport)?;
        // Taken before every jump: no reads here, they happen on the way back.
        Some(Position {
            cursor: self.cursor_at(self.viewport)?,
            record: top.record,
            line_start: top.start,
            skip: self.skip,
            focus_row: self.focus.saturating_sub(self.viewport),
        })
    }

    /// Goes back to a [`position`](Self::position).
    pub fn restore(&mut self, position: &Position) -> io::Result<()> {
        let cursor = self.lasting(position.cursor.clone(), position.record);
        self.jump_inside(&cursor, position.record, position.line_start)?;
        self.scroll(position.skip as isize)?;
        self.focus_on_row(position.focus_row);
        Ok(())
    }

    /// Bytes of the stream above the top line on screen (counting the part
    /// of its record above it): the basis of the position percentage.
    pub fn bytes_above_viewport(&self) -> u64 {
        let Some(line) = self.lines.get(self.viewport) else {
            return if self.at_end {
                self.merge.total_len()
            } else {
                0
            };
        };
        let Some(cursor) = self.cursor_at_row(0) else {
            return 0;
        };
        let in_line = line.start.saturating_sub(line.record.record.start);
        (0..cursor.0.len())
            .filter(|&i| self.merge.is_enabled(i))
            .map(|i| cursor.0[i].bytes_hint().min(self.merge.layout(i).len()))
            .sum::<u64>()
            + in_line
    }

    fn reset(&mut self, cursor: Cursor) {
        self.lines.clear();
        self.bytes = 0;
        self.top = cursor.clone();
        self.bottom = cursor;
        self.top_partial = None;
        self.bottom_partial = None;
        self.at_start = false;
        self.at_end = false;
        self.merge_at = MergeAt::Elsewhere;
        self.viewport = 0;
        self.skip = 0;
        self.focus = 0;
        self.first_line = 0;
    }

    fn load_line(
        &mut self,
        record: &MergedRecord,
        start: u64,
        passed: Passed,
    ) -> io::Result<Option<WindowLine>> {
        let Some(line) = self.merge.line_at(record.source, start)? else {
            return Ok(None);
        };
        let (text, cut) = self.merge.line_text(record.source, &line, DISPLAY_CAP)?;
        let mut line = WindowLine {
            record: *record,
            start: line.start,
            next: line.next.min(record.record.end),
            text,
            cut,
            rows: 1,
            passed,
        };
        line.rows = (self.measure)(&line).max(1);
        Ok(Some(line))
    }

    /// Loads one more line at the bottom; `false` at the end of the stream.
    fn extend_down(&mut self) -> io::Result<bool> {
        let (record, start, passed) = match self.bottom_partial.take() {
            Some(partial) => partial,
            None => {
                if self.at_end {
                    return Ok(false);
                }
                if self.merge_at != MergeAt::Bottom {
                    self.merge.seek(&self.bottom);
                    self.merge_at = MergeAt::Bottom;
                }
                match self.merge.next_record()? {
                    Some(record) => {
                        self.bottom = self.merge.cursor();
                        let passed = self.merge.passed_by_last_step(record.source);
                        (record, record.record.start, passed)
                    }
                    None => {
                        self.at_end = true;
                        return Ok(false);
                    }
                }
            }
        };
        let Some(line) = self.load_line(&record, start, passed.clone())? else {
            return Ok(false);
        };
        if let Some(next) = self.shown_from(&record, line.next) {
            self.bottom_partial = Some((record, next, passed));
        }
        self.bytes += line.text.len();
        self.lines.push_back(line);
        Ok(true)
    }

    /// Loads one more line at the top; `false` at the start of the stream.
    fn extend_up(&mut self) -> io::Result<bool> {
        let (record, end, passed) = match self.top_partial.take() {
            Some(partial) => partial,
            None => {
                if self.at_start {
                    return Ok(false);
                }
                if self.merge_at != MergeAt::Top {
                    self.merge.seek(&self.top);
                    self.merge_at = MergeAt::Top;
                }
                match self.merge.prev_record()? {
                    Some(record) => {
                        self.top = self.merge.cursor();
                        let passed = self.merge.passed_by_last_step(record.source);
                        (record, record.record.end, passed)
                    }
                    None => {
                        self.at_start = true;
                        return Ok(false);
                    }
                }
            }
        };
        let Some(start) = self.shown_line_above(&record, end)? else {
            return Ok(false);
        };
        let Some(line) = self.load_line(&record, start, passed.clone())? else {
            return Ok(false);
        };
        if line.start > record.record.start {
            self.top_partial = Some((record, line.start, passed));
        }
        self.bytes += line.text.len();
        self.lines.push_front(line);
        self.focus += 1;
        self.first_line -= 1;
        Ok(true)
    }

    fn evict_top(&mut self) {
        let Some(line) = self.lines.pop_front() else {
            return;
        };
        self.bytes -= line.text.len();
        self.viewport = self.viewport.saturating_sub(1);
        self.focus = self.focus.saturating_sub(1);
        self.first_line += 1;
        self.at_start = false;
        match self.lines.front() {
            Some(next) if next.same_record(&line) => {
                self.top_partial = Some((line.record, next.start, line.passed))
            }
            _ => {
                line.pass(&mut self.top);
                self.top_partial = None;
            }
        }
        if self.merge_at == MergeAt::Top {
            self.merge_at = MergeAt::Elsewhere;
        }
    }

    fn evict_bottom(&mut self) {
        let Some(line) = self.lines.pop_back() else {
            return;
        };
        self.bytes -= line.text.len();
        self.at_end = false;
        match self.lines.back() {
            Some(prev) if prev.same_record(&line) => {
                self.bottom_partial = Some((line.record, line.start, line.passed))
            }
            _ => {
                line.unpass(&mut self.bottom);
                self.bottom_partial = None;
            }
        }
        if self.merge_at == MergeAt::Bottom {
            self.merge_at = MergeAt::Elsewhere;
        }
    }
}
