//! Lines of a shown record that a folded group hides: a group that begins
//! or ends inside a record (the API's "Log message source details" group
//! is lines of a source's first record). Whole records inside a folded
//! group are hidden by the merge's predicate; these are the lines left.

use std::collections::BTreeMap;
use std::io;

use super::Window;
use crate::merge::MergedRecord;

/// Folded groups by (source, header line start): where each ends. The
/// lines after the header and before the end are hidden.
pub type HiddenLines = BTreeMap<(usize, u64), u64>;

impl Window {
    /// Hides these groups' lines from now on (applied as lines are
    /// loaded; the caller reloads).
    pub fn set_hidden_lines(&mut self, hidden: HiddenLines) {
        self.hidden = hidden;
    }

    /// Where the folded group that hides the line at `start` of `source`
    /// ends, if one does: the first line after it is shown.
    pub(super) fn hidden_until(&self, source: usize, start: u64) -> Option<u64> {
        self.hidden
            .range(..(source, start))
            .next_back()
            .filter(|(&(s, _), &end)| s == source && start < end)
            .map(|(_, &end)| end)
    }

    /// The first shown line of `record` at or after `start`, or `None`
    /// when the rest of the record is hidden.
    pub(super) fn shown_from(&self, record: &MergedRecord, start: u64) -> Option<u64> {
        let start = self.hidden_until(record.source, start).unwrap_or(start);
        (start < record.record.end).then_some(start)
    }

    /// The start of the last shown line of `record` that ends at or
    /// before `end`: the line before a hidden run is its group's header.
    pub(super) fn shown_line_above(
        &mut self,
        record: &MergedRecord,
        end: u64,
    ) -> io::Result<Option<u64>> {
        let Some(before) = self.merge.line_before(record.source, end)? else {
            return Ok(None);
        };
        // A record's first line may be a preamble line before its
        // timestamp: never step out of the record.
        let start = before.start.max(record.record.start);
        if self.hidden_until(record.source, start).is_none() {
            return Ok(Some(start));
        }
        let header = self
            .hidden
            .range(..(record.source, start))
            .next_back()
            .map(|(&(_, header), _)| header);
        Ok(header.filter(|&h| h >= record.record.start))
    }
}
