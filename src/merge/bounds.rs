//! `--since`/`--until` in the viewer: the merge is then the records whose
//! *own* time lies in the range, in the merge's order, from the place a
//! seek to `since` finds — what `--print --since --until` writes. Bounding
//! by the order key instead missed records kept in file order beyond the
//! reorder window (a clock stepped back: stamped inside the range, keyed
//! after it) and showed the reverse ones, so the viewer and print
//! disagreed. Going down, steps read on past `until` (a record stamped
//! before it may lie anywhere after it), as print does; going up, each
//! source stops at the position `since`'s seek gave it.

use std::io;

use crate::record::timestamp::Nanos;
use crate::record::Pos;
use crate::record::Record;

/// The range, and where each source's part of it begins.
#[derive(Clone, Debug, Default)]
pub(super) struct Bounds {
    pub since: Option<Nanos>,
    pub until: Option<Nanos>,
    /// Per source, the position a seek to `since` gives: nothing above it
    /// is shown (found on first use, going up).
    lower: Vec<Option<Pos>>,
}

impl Bounds {
    pub fn new(since: Option<Nanos>, until: Option<Nanos>) -> Self {
        Self {
            since,
            until,
            lower: Vec::new(),
        }
    }

    /// Whether `record`, by its own time, is in the range.
    pub fn holds(&self, record: &Record) -> bool {
        self.holds_time(record.ts)
    }

    /// Whether a record stamped `ts` is in the range.
    pub fn holds_time(&self, ts: Option<Nanos>) -> bool {
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        ts.is_some_and(|t| {
            self.since.is_none_or(|since| t >= since) && self.until.is_none_or(|until| t < until)
        })
    }

    /// Whether going up from `record` of `source` leaves the range: it
    /// lies above the place `since` was sought to (`seek` seeks there once
    /// per source).
    pub fn above_start(
        &mut self,
        source: usize,
        record: &Record,
        seek: impl FnOnce(Nanos) -> io::Result<Pos>,
    ) -> io::Result<bool> {
        let Some(since) = self.since else {
            return Ok(false);
        };
        if self.lower.len() <= source {
            self.lower.resize(source + 1, None);
        }
        let lower = match self.lower[source] {
            Some(lower) => lower,
            None => *self.lower[source].insert(seek(since)?),
        };
        Ok(record.at() < lower)
    }

    /// A source's records changed (grown, replaced): its start is sought
    /// again.
    pub fn forget(&mut self, source: usize) {
        if let Some(lower) = self.lower.get_mut(source) {
            *lower = None;
        }
    }
}
