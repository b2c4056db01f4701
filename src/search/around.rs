//! Merging only around the hits: once the sources are searched whole
//! ([`map_hits`]), the records with a matching line lie in the chunks that
//! hold a hit, so only those chunks' key ranges need merging — a record
//! elsewhere has no matching line. Print mode's `--grep` prints them and the
//! hit count counts them this way.
//!
//! Each source's hit chunks give key ranges that rise through the source
//! (keys rise from chunk to chunk); the ranges of all sources, overlapping
//! ones joined, are merged in turn from a seek to their first key, exactly
//! as the one merge merges those keys. A source whose ranges do not rise (a
//! clock stepped back for longer than a chunk) ends the ranges with
//! [`Range::GoesBack`]: the caller walks the merge on from where it is.

use std::io;
use std::sync::atomic::AtomicBool;

use super::hits::{map_hits, HitMap, HIT_BLOCK};
use super::matcher::Matcher;
use crate::merge::Merge;
use crate::source::Source;

/// Above this share of the sources' blocks holding a hit, merging around
/// the hits saves little: a merge of everything (on all cores, in print
/// mode) is as fast.
const DENSE: f64 = 0.05;

/// Below this many bytes in all, the hits lead whatever their number (the
/// merge runs on one thread anyway).
const SMALL: u64 = 16 * 1024 * 1024;

/// What searching the sources whole found.
pub enum Survey {
    /// No line matches.
    Nothing,
    /// Few enough hits that merging around them is cheaper.
    Sparse(Vec<HitMap>),
    /// Hits in much of the stream (or a source without times, which is one
    /// record): merge it all; the maps still say where nothing matches.
    Dense(Vec<HitMap>),
}

/// Searches the enabled sources of `merge` whole for any of `matchers`.
pub fn survey(merge: &Merge, matchers: &[Matcher], stop: &AtomicBool) -> io::Result<Survey> {
    let enabled: Vec<usize> = (0..merge.source_count())
        .filter(|&i| merge.is_enabled(i))
        .collect();
    let sources: Vec<Option<&dyn Source>> = (0..merge.source_count())
        .map(|i| merge.is_enabled(i).then(|| &**merge.layout(i).source()))
        .collect();
    let maps = map_hits(&sources, matchers, stop)?;
    if maps.iter().all(HitMap::is_empty) {
        return Ok(Survey::Nothing);
    }
    let timed = enabled.iter().all(|&i| merge.layout(i).is_timed());
    let blocks: u64 = maps.iter().map(HitMap::blocks).sum();
    let all: u64 = enabled
        .iter()
        .map(|&i| merge.layout(i).len().div_ceil(HIT_BLOCK))
        .sum();
    let small = all * HIT_BLOCK < SMALL;
    Ok(if timed && (small || blocks as f64 <= DENSE * all as f64) {
        Survey::Sparse(maps)
    } else {
        Survey::Dense(maps)
    })
}

/// A key range to merge, or the end of the ranges.
pub enum Range {
    /// Merge the records with `lo ≤ key ≤ hi`.
    Keys(i64, i64),
    /// A source's ranges go back: walk the merge on instead.
    GoesBack,
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

    /// Takes the next range; `None` if it goes back from the last.
    fn take(&mut self) -> Option<(i64, i64)> {
        let (lo, hi) = self.next.take()?;
        if lo < self.reached {
            return None;
        }
        self.reached = hi;
        Some((lo, hi))
    }
}

/// The key ranges around the hits of `maps` (one per source), in order,
/// disjoint and rising.
pub struct HitRanges<'a> {
    lanes: Vec<Lane<'a>>,
}

impl<'a> HitRanges<'a> {
    pub fn new(merge: &Merge, maps: &'a [HitMap]) -> Self {
        let lanes = maps
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
        HitRanges { lanes }
    }

    /// The next range (`None` after the last).
    pub fn next(&mut self, merge: &mut Merge) -> io::Result<Option<Range>> {
        for lane in self.lanes.iter_mut() {
            lane.fill(merge)?;
        }
        let lanes = &mut self.lanes;
        let Some(first) = (0..lanes.len())
            .filter(|&l| lanes[l].next.is_some())
            .min_by_key(|&l| lanes[l].next.map(|(lo, _)| lo))
        else {
            return Ok(None);
        };
        let Some((lo, mut hi)) = lanes[first].take() else {
            return Ok(Some(Range::GoesBack));
        };
        // Every range that overlaps joins, so the next one starts above.
        loop {
            let mut joined = false;
            for lane in lanes.iter_mut() {
                lane.fill(merge)?;
                if lane.next.is_some_and(|(l, _)| l <= hi) {
                    match lane.take() {
                        Some((l, h)) if l >= lo => hi = hi.max(h),
                        _ => return Ok(Some(Range::GoesBack)),
                    }
                    joined = true;
                }
            }
            if !joined {
                return Ok(Some(Range::Keys(lo, hi)));
            }
        }
    }
}
