//! `--grep` led by its hits: the sources are searched whole first, and
//! only the key ranges around the hits are merged
//! ([`crate::search::around`]). Where nothing matches, nothing is split into
//! records; where much matches, the sliced print merges it all.

use std::io::{self, Write};
use std::sync::atomic::AtomicBool;

use super::{print_from_cursor, wanted, write_record, PrintOptions, PrintStats};
use crate::merge::Merge;
use crate::search::around::{survey, HitRanges, Range, Survey};
use crate::search::hits::HitMap;
use crate::search::matcher::Matcher;

/// Searches the enabled sources for `options.prefilter`, whole. The
/// matchers it returns counted the lines cut apart: the filter counts those
/// of the records it sees again, so once the print is done each pattern's
/// count is raised to theirs (every line was scanned once) with
/// [`note_cut_lines`].
pub(super) fn find(merge: &Merge, options: &PrintOptions) -> io::Result<(Survey, Vec<Matcher>)> {
    let apart: Vec<_> = options
        .prefilter
        .iter()
        .map(|m| m.counting_apart())
        .collect();
    let found = survey(merge, &apart, &AtomicBool::new(false))?;
    Ok((found, apart))
}

/// Raises each pattern's count of cut lines to what the whole search
/// counted, once the print is done.
pub(super) fn note_cut_lines(options: &PrintOptions, apart: &[Matcher]) {
    for (matcher, scanned) in options.prefilter.iter().zip(apart) {
        matcher.note_cut_lines_at_least(scanned.cut_lines());
    }
}

/// Prints the records `options.filter` keeps, merging only around the hits
/// of `maps` (one per source).
pub(super) fn print_around(
    merge: &mut Merge,
    options: &PrintOptions,
    maps: &[HitMap],
    out: &mut impl Write,
) -> io::Result<PrintStats> {
    let mut ranges = HitRanges::new(merge, maps);
    let mut stats = PrintStats::default();
    merge.take_copies();
    let since = options.since.unwrap_or(i64::MIN);
    // Every record with a key below this was merged since the last seek.
    let mut merged_to: Option<i64> = None;
    while let Some(range) = ranges.next(merge)? {
        let Range::Keys(lo, hi) = range else {
            return hand_over(merge, options, merged_to, stats, out);
        };
        let start = lo.max(since);
        if hi < start {
            continue;
        }
        if merged_to.is_none_or(|to| start >= to) {
            merge.seek_time(start)?;
        }
        let limit = hi.saturating_add(1);
        while let Some(record) = merge.next_record_before(limit)? {
            if wanted(&record, options) {
                write_record(merge, &record, options, out)?;
                stats.records += 1;
                stats.saw(&record);
            }
        }
        merged_to = Some(limit);
    }
    stats.copies = merge.take_copies();
    Ok(stats)
}

/// The one filtered merge from where the output is.
fn hand_over(
    merge: &mut Merge,
    options: &PrintOptions,
    merged_to: Option<i64>,
    mut stats: PrintStats,
    out: &mut impl Write,
) -> io::Result<PrintStats> {
    if merged_to.is_none() {
        match options.since {
            Some(since) => merge.seek_time(since)?,
            None => merge.seek_start(),
        }
    }
    // The copies dropped so far, before the merge forgets them.
    stats.copies.add(&merge.take_copies());
    stats.add(print_from_cursor(merge, options, None, out)?);
    Ok(stats)
}
