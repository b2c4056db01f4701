//! Where the screen stands in the window, counted in rows as drawn: a
//! line may take many rows (wrapped, or Airflow 3 JSON rendered with its
//! traceback), so the screen's top is a line and the rows of it above the
//! screen, and everything that moves the screen — paging, `G`, follow,
//! a hit or a mark shown — counts rows, so that every row of the stream
//! can be reached and the last one is on the bottom row at the end.

use std::io;

use super::{Measure, Window, WindowLine, MARGIN_SCREENS, MAX_BYTES, MAX_LINES};

impl Window {
    /// Sets the number of rows on screen.
    pub fn set_height(&mut self, height: usize) -> io::Result<()> {
        self.height = height.max(1);
        self.settle()
    }

    /// Counts rows with `measure` from now on, for the lines loaded too
    /// (the view's width, wrapping or JSON rendering changed).
    pub fn set_measure(&mut self, measure: Measure) -> io::Result<()> {
        let showed_end = self.shows_end() && !self.shows_start();
        self.measure = measure;
        for line in &mut self.lines {
            line.rows = (self.measure)(line).max(1);
        }
        self.skip = self
            .skip
            .min(self.lines.get(self.viewport).map_or(0, |l| l.rows - 1));
        if showed_end {
            // The last screen stays the last screen.
            self.viewport = self.lines.len();
            self.skip = 0;
            self.up(self.height)?;
        }
        self.settle()
    }

    /// The lines on screen, the first of them perhaps only in part (see
    /// [`skip`](Self::skip)); fewer at the end of a short stream.
    pub fn visible(&self) -> impl Iterator<Item = &WindowLine> {
        let shown = self.last_shown().map_or(0, |last| last + 1 - self.viewport);
        self.lines.iter().skip(self.viewport).take(shown)
    }

    /// Rows of the first line shown that are above the screen.
    pub fn skip(&self) -> usize {
        self.skip
    }

    /// The screen row of the first row of the `n`th line shown (`None` for
    /// the first line when its first row is above the screen).
    pub fn row_of_shown(&self, n: usize) -> Option<usize> {
        let rows: usize = self
            .lines
            .iter()
            .skip(self.viewport)
            .take(n)
            .map(|l| l.rows)
            .sum();
        rows.checked_sub(self.skip)
    }

    /// All lines loaded, and the index of the first one on screen.
    pub fn loaded(&self) -> (&std::collections::VecDeque<WindowLine>, usize) {
        (&self.lines, self.viewport)
    }

    /// Whether the screen shows the first row of the stream.
    pub fn shows_start(&self) -> bool {
        self.at_start && self.viewport == 0 && self.skip == 0
    }

    /// Whether the screen shows the last row of the stream.
    pub fn shows_end(&self) -> bool {
        self.at_end && self.rows_from_top(self.height + 1) <= self.height
    }

    /// The last screen of the stream (like `G` in less): its last row on
    /// the bottom row.
    pub fn jump_end(&mut self) -> io::Result<()> {
        self.merge.seek_end()?;
        let cursor = self.merge.cursor();
        self.reset(cursor);
        self.at_end = true;
        self.up(self.height)?;
        self.focus = self.lines.len().saturating_sub(1);
        self.settle()
    }

    /// Moves the screen down (positive) or up (negative) by `delta` rows.
    pub fn scroll(&mut self, delta: isize) -> io::Result<()> {
        if delta >= 0 {
            self.down(delta as usize)?;
        } else {
            self.up(delta.unsigned_abs())?;
        }
        self.settle()
    }

    /// Moves the screen down by `n` lines (a line number's place inside
    /// its record), its top on the first row of a line.
    pub fn scroll_lines(&mut self, n: usize) -> io::Result<()> {
        let target = self.absolute(self.viewport) + n as i64;
        self.load_absolute(target)?;
        self.viewport = self.index_of(target);
        self.skip = 0;
        self.settle()
    }

    /// Moves the focus `delta` lines down (up if negative), scrolling when
    /// it would leave the screen: the focused line is shown whole when it
    /// fits.
    pub fn move_focus(&mut self, delta: isize) -> io::Result<()> {
        let target = self.absolute(self.focus) + delta as i64;
        self.load_absolute(target)?;
        self.focus = self.index_of(target);
        if self.focus < self.viewport || (self.focus == self.viewport && self.skip > 0) {
            self.viewport = self.focus;
            self.skip = 0;
        } else if self.focus >= self.viewport {
            let bottom = self.rows_to(self.focus + 1);
            if bottom > self.height {
                // Its last row on the bottom row, or its first on the top
                // when it is taller than the screen.
                let rows = self.lines[self.focus].rows;
                if rows >= self.height {
                    self.viewport = self.focus;
                    self.skip = 0;
                } else {
                    self.down(bottom - self.height)?;
                }
            }
        }
        self.settle()
    }

    /// Loads the margins, keeps the screen inside the stream and evicts
    /// what lies beyond the caps.
    pub(super) fn settle(&mut self) -> io::Result<()> {
        let margin = self.height * MARGIN_SCREENS;
        while self.rows_from_top(self.height) < self.height && self.extend_down()? {}
        while self.lines.len() < self.last_loaded_shown() + 1 + margin && self.extend_down()? {}
        if self.at_end && self.rows_from_top(self.height) < self.height {
            // Past the end: show the last full screen instead.
            self.viewport = self.lines.len();
            self.skip = 0;
            self.up(self.height)?;
        }
        while self.viewport < margin && self.extend_up()? {
            self.viewport += 1;
        }
        let keep = self.height * (2 * MARGIN_SCREENS + 1);
        let max_lines = keep.clamp(self.height, MAX_LINES.max(self.height * 3));
        while self.viewport > margin && (self.lines.len() > max_lines || self.bytes > MAX_BYTES) {
            self.evict_top();
        }
        while self.lines.len() > self.last_loaded_shown() + 1 + margin
            && (self.lines.len() > max_lines || self.bytes > MAX_BYTES)
        {
            self.evict_bottom();
        }
        self.keep_focus_on_screen();
        Ok(())
    }

    /// Pushes the focus back onto the screen if a move left it off.
    pub(super) fn keep_focus_on_screen(&mut self) {
        let last = self
            .last_loaded_shown()
            .min(self.lines.len().saturating_sub(1));
        self.focus = self.focus.clamp(self.viewport.min(last), last);
    }

    /// Moves the screen's top down by `n` rows, loading lines as needed;
    /// stops at the last row of the stream.
    fn down(&mut self, mut n: usize) -> io::Result<()> {
        while n > 0 {
            if self.viewport >= self.lines.len() && !self.extend_down()? {
                break;
            }
            let rest = self.lines[self.viewport].rows - self.skip;
            if n < rest {
                self.skip += n;
                break;
            }
            n -= rest;
            if self.viewport + 1 >= self.lines.len() && !self.extend_down()? {
                // The last line: its last row at the top.
                self.skip = self.lines[self.viewport].rows - 1;
                break;
            }
            self.viewport += 1;
            self.skip = 0;
        }
        Ok(())
    }

    /// Moves the screen's top up by `n` rows, loading lines as needed;
    /// stops at the first row of the stream. The top may start past the
    /// last line loaded (`viewport == lines.len()`): `G` goes up from there.
    fn up(&mut self, mut n: usize) -> io::Result<()> {
        while n > 0 {
            if self.skip >= n {
                self.skip -= n;
                break;
            }
            n -= self.skip;
            self.skip = 0;
            if self.viewport == 0 {
                if !self.extend_up()? {
                    break;
                }
                self.viewport += 1;
            }
            self.viewport -= 1;
            self.skip = self.lines[self.viewport].rows;
        }
        if self.viewport < self.lines.len() && self.skip >= self.lines[self.viewport].rows {
            // Stopped on a line boundary: the top is the next line's first row.
            self.viewport += 1;
            self.skip = 0;
        }
        Ok(())
    }

    /// Rows from the screen's top to the end of what is loaded, counted up
    /// to `limit` (beyond it the exact number is not needed).
    fn rows_from_top(&self, limit: usize) -> usize {
        let mut rows = 0;
        for line in self.lines.iter().skip(self.viewport) {
            rows += line.rows;
            if rows - self.skip >= limit {
                break;
            }
        }
        rows.saturating_sub(self.skip)
    }

    /// Rows from the screen's top to the start of the line at `index`.
    fn rows_to(&self, index: usize) -> usize {
        self.lines
            .range(self.viewport..index.min(self.lines.len()))
            .map(|l| l.rows)
            .sum::<usize>()
            .saturating_sub(self.skip)
    }

    /// The index of the last line with a row on screen, if any is loaded.
    fn last_shown(&self) -> Option<usize> {
        let mut rows = 0;
        let mut last = None;
        for (i, line) in self.lines.iter().enumerate().skip(self.viewport) {
            if rows >= self.height + self.skip {
                break;
            }
            rows += line.rows;
            last = Some(i);
        }
        last
    }

    /// [`last_shown`](Self::last_shown), or the line before the screen's
    /// top when nothing is shown: the point the margin below counts from.
    fn last_loaded_shown(&self) -> usize {
        self.last_shown()
            .unwrap_or(self.viewport.min(self.lines.len()).saturating_sub(1))
    }
}
