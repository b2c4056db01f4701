//! Line numbers of what is shown (issue 26): the overview counts the whole
//! stream; while a source is hidden or a filter is on, a second pass counts
//! the lines shown, in the background as the hit count is, so `line N of M`
//! and `:N` stay right and the status bar says what they count.

use std::io;

use super::Engine;
use crate::overview::{Overview, OverviewHandle};

impl Engine {
    /// Whether the whole stream is shown: no source hidden (one that failed
    /// aside), no filter on. Folded groups do not count: a line's number is
    /// its place in the stream unfolded.
    pub(super) fn lines_are_counted_as_shown(&self) -> bool {
        self.filter.is_empty() && self.sources.iter().all(|s| s.enabled || s.error.is_some())
    }

    /// What counts the lines shown: the overview, or while sources are
    /// hidden or filtered, the pass over what is shown.
    pub(super) fn line_counter(&self) -> Option<&OverviewHandle> {
        if self.lines_are_counted_as_shown() {
            self.overview.as_ref()
        } else {
            self.shown_lines.as_ref()
        }
    }

    /// After a source was hidden or shown or the filter changed: counts the
    /// lines shown again (nothing to count when all is shown). Not when the
    /// overview does not run (big remote sources: no line numbers at all).
    pub(super) fn recount_shown(&mut self) {
        self.shown_lines = None;
        if self.overview.is_none() || self.lines_are_counted_as_shown() {
            return;
        }
        self.shown_lines = Overview::start_shown(&self.unfolded_fork());
        if let (Some(counter), Some(wake)) = (&self.shown_lines, self.progress_wake()) {
            counter.wake_with(wake);
        }
    }

    /// `(line of the top row, lines shown)`, once counted.
    pub(super) fn top_line_number(&self) -> Option<(u64, u64)> {
        let counter = self.line_counter()?;
        let cursor = self.window.cursor_at_row(0)?;
        let first = self.window.visible().next()?;
        counter.line_of(
            &cursor,
            first.record.source,
            first.record.record.start,
            first.start,
        )
    }

    /// The line `share` (0–1) of the way down the lines shown, once counted.
    pub(super) fn line_at_share(&self, share: f64) -> Option<u64> {
        if share >= 1.0 {
            return None;
        }
        let total = self.line_counter()?.total_lines()?;
        Some(((share * total as f64).round() as u64 + 1).min(total.max(1)))
    }

    /// `:N` and `Ng`: line `n` of the lines shown; past the last one, says
    /// so and shows the end.
    pub(super) fn goto_line(&mut self, n: u64) -> io::Result<()> {
        let Some(counter) = self.line_counter() else {
            self.message = Some("line numbers are not known yet (still counting)".into());
            return Ok(());
        };
        let Some(total) = counter.total_lines() else {
            self.message = Some("line numbers are not known yet (still counting)".into());
            return Ok(());
        };
        match counter.cursor_for_line(n) {
            Some((cursor, skip)) => {
                self.jump_into_folds(&cursor, true)?;
                self.window.scroll_lines(skip as usize)?;
            }
            None => {
                self.window.jump_end()?;
                self.message = Some(format!(
                    "line {} is past the end: {} {} shown",
                    crate::source::group(n),
                    crate::source::group(total),
                    if total == 1 { "line is" } else { "lines are" }
                ));
            }
        }
        Ok(())
    }
}
