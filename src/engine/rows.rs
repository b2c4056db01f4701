//! The rows a line takes on screen, as the view draws it. The engine moves
//! the screen in rows (`window::screen`), so it must count what the view
//! draws: the view hands it a [`RowMeasure`] (its width, wrapping, JSON
//! rendering) and the engine adds what only it knows (group folds, marks
//! of records out of order) by measuring the [`FrameLine`] it would send.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::sync::Arc;

use super::{Engine, FoldMark, FrameLine};
use crate::search::matcher::{Drawn, Matcher};
use crate::window::WindowLine;

/// How many screen rows a line takes as drawn: at least 1.
pub trait RowMeasure: Send + Sync {
    fn rows(&self, line: &FrameLine) -> usize;

    /// The texts a line's bytes are drawn as, when they differ (a JSON
    /// record rendered): what searches and filters match besides the
    /// bytes, so that what is on screen is what is found.
    fn drawn(&self, _text: &[u8]) -> Option<Vec<String>> {
        None
    }
}

/// The view's [`RowMeasure`] as a command carries it: equal when it is the
/// same measure.
#[derive(Clone)]
pub struct Rows(pub Arc<dyn RowMeasure>);

impl fmt::Debug for Rows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Rows(..)")
    }
}

impl PartialEq for Rows {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Engine {
    /// `matcher` matching lines also as the view draws them, when it draws
    /// some differently from their bytes (JSON sources rendered).
    pub(super) fn matching_as_drawn(&self, matcher: Matcher) -> Matcher {
        let json = self.sources.iter().any(|s| s.json);
        match self.measuring.rows.clone() {
            Some(Rows(measure)) if json => {
                matcher.matching_drawn(Drawn(Arc::new(move |text| measure.drawn(text))))
            }
            _ => matcher,
        }
    }
}

/// What the engine measured with last: the view's measure and the group
/// headers' marks, which change a header's rows when it folds.
#[derive(Default)]
pub(super) struct Measuring {
    rows: Option<Rows>,
    folds: HashMap<(usize, u64), FoldMark>,
    /// `Folds::changes` when `folds` was taken.
    fold_changes: u64,
}

/// The frame line of a window line, as the view is sent it.
pub(super) fn frame_line(
    l: &WindowLine,
    fold: Option<FoldMark>,
    mark: Option<char>,
    new: bool,
) -> FrameLine {
    let first = l.is_record_start();
    FrameLine {
        source: l.record.source,
        text: l.text.clone(),
        cut: l.cut,
        first,
        level: l.record.record.level,
        ts: l.record.record.ts,
        // Out of time order beyond the reorder window: kept in file order.
        late: l.record.record.late && first,
        mark,
        new,
        fold,
    }
}

impl Engine {
    /// Counts rows with the view's `rows` from now on.
    pub(super) fn set_rows(&mut self, rows: Rows) -> io::Result<()> {
        self.measuring.rows = Some(rows);
        self.measure_again()
    }

    /// Measures again if a group header's mark changed since the last
    /// measure (a group was found, folded or opened).
    pub(super) fn measure_folds(&mut self) -> io::Result<()> {
        if self.measuring.rows.is_none() || self.measuring.fold_changes == self.folds.changes {
            return Ok(());
        }
        self.measuring.fold_changes = self.folds.changes;
        let marks = self.folds.marks();
        if marks == self.measuring.folds {
            return Ok(());
        }
        self.measure_again()
    }

    fn measure_again(&mut self) -> io::Result<()> {
        let Some(Rows(rows)) = self.measuring.rows.clone() else {
            return Ok(());
        };
        let folds = self.folds.marks();
        self.measuring.folds = folds.clone();
        self.measuring.fold_changes = self.folds.changes;
        self.window.set_measure(Box::new(move |l: &WindowLine| {
            let fold = folds.get(&(l.record.source, l.start)).cloned();
            rows.rows(&frame_line(l, fold, None, false))
        }))
    }
}
