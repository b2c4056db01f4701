//! `--grep` led by its hits: the sources are searched whole first
//! ([`map_hits`]), and only the time ranges of the chunks that hold a hit
//! are merged — a record elsewhere has no matching line, so the filter
//! would drop it. Where nothing matches, nothing is split into records.
//!
//! Each source's hit chunks give key ranges that rise through the source
//! (keys rise from chunk to chunk); the ranges of all sources, overlapping
//! ones joined, are merged in turn from a seek to their first key, exactly
//! as the one merge would merge those keys. A source whose ranges do not
//! rise (a clock stepped back for longer than a chunk) hands over to the
//! one filtered merge from where the output is.

use std::io::{self, Write};

use super::{print_from_cursor, wanted, write_record, PrintOptions, PrintStats};
use crate::merge::Merge;
use crate::search::hits::{map_hits, HitMap};
use crate::source::Source;

/// Above this share of a source's blocks holding a hit, the hits lead
/// nowhere: the sliced print on all cores merges everything faster.
const DENSE: f64 = 0.05;

/// What the hit map found.
pub(super) enum Hits {
    /// No line matches: nothing to print.
    None,
    /// Few enough that merging around them is cheaper.
    Sparse(Vec<HitMap>),
    /// Most of the stream: merge it all (the map still skips slices).
    Dense(Vec<HitMap>),
}

/// Searches the enabled sources for `options.prefilter`, whole.
pub(super) fn find(merge: &Merge, options: &PrintOptions) -> io::Result<Hits> {
    let sources: Vec<Option<&dyn Source>> = (0..merge.source_count())
        .map(|i| merge.is_enabled(i).then(|| &**merge.layout(i).source()))
        .collect();
    // Counted apart: the filter counts the long lines of the records it
    // sees again. Every line is scanned here once, so this count is the
    // number of lines cut.
    let apart: Vec<_> = options
        .prefilter
        .iter()
        .map(|m| m.counting_apart())
        .collect();
    let maps = map_hits(&sources, &apart)?;
    for (matcher, scanned) in options.prefilter.iter().zip(&apart) {
        matcher.note_cut_lines_at_least(scanned.cut_lines());
    }
    if maps.iter().all(HitMap::is_empty) {
        return Ok(Hits::None);
    }
    let timed = (0..merge.source_count())
        .all(|i| !merge.is_enabled(i) || merge.layout(i).is_timed());
    let blocks: u64 = maps.iter().map(HitMap::blocks).sum();
    let all: u64 = (0..merge.source_count())
        .filter(|&i| merge.is_enabled(i))
        .map(|i| merge.layout(i).len().div_ceil(crate::search::hits::HIT_BLOCK))
        .sum();
    // Small inputs print on one thread either way.
    let small = all * crate::search::hits::HIT_BLOCK < super::PARALLEL_MIN_BYTES;
    Ok(if timed && (small || blocks as f64 <= DENSE * all as f64) {
        Hits::Sparse(maps)
    } else {
        Hits::Dense(maps)
    })
}

/// One source's hit chunks, as key ranges in turn.
struct Lane<'a> {
    source: usize,
    runs: Box<dyn Iterator<Item = (u64, u64)> + 'a>,
    next: Option<(i64, i64)>,
    /// The greatest key of the ranges taken so far.
    reached: i64,
}

impl Lane<'_> {
    /// The next range with keys, if any.
    fn fill(&mut self, merge: &mut Merge) -> io::Result<()> {
        while self.next.is_none() {
            let Some((from, to)) = self.runs.next() else {
                return Ok(());
            };
            self.next = merge.keys_of_bytes(self.source, from, to)?;
        }
        Ok(())
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
    let mut lanes: Vec<Lane> = maps
        .iter()
        .enumerate()
        .filter(|(i, map)| merge.is_enabled(*i) && !map.is_empty())
        .map(|(source, map)| Lane {
            source,
            runs: Box::new(map.runs_from(0)),
            next: None,
            reached: i64::MIN,
        })
        .collect();
    let mut stats = PrintStats::default();
    merge.take_copies();
    let since = options.since.unwrap_or(i64::MIN);
    // Every record with a key below this was merged since the last seek.
    let mut merged_to: Option<i64> = None;
    loop {
        for lane in lanes.iter_mut() {
            lane.fill(merge)?;
        }
        let Some(first) = (0..lanes.len())
            .filter(|&l| lanes[l].next.is_some())
            .min_by_key(|&l| lanes[l].next.map(|(lo, _)| lo))
        else {
            break;
        };
        let Some((lo, mut hi)) = take(&mut lanes[first]) else {
            return hand_over(merge, options, merged_to, stats, out);
        };
        // Every range that overlaps joins, so the next one starts above.
        loop {
            let mut joined = false;
            for lane in lanes.iter_mut() {
                lane.fill(merge)?;
                if lane.next.is_some_and(|(l, _)| l <= hi) {
                    match take(lane) {
                        Some((l, h)) if l >= lo => hi = hi.max(h),
                        _ => return hand_over(merge, options, merged_to, stats, out),
                    }
                    joined = true;
                }
            }
            if !joined {
                break;
            }
        }
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

/// Takes a lane's next range; `None` if it does not rise from the last.
fn take(lane: &mut Lane) -> Option<(i64, i64)> {
    let (lo, hi) = lane.next.take()?;
    if lo < lane.reached {
        return None;
    }
    lane.reached = hi;
    Some((lo, hi))
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
