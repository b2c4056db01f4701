//! Search: finding the next line that matches a pattern, in
//! merged order, without materialising the merged stream.
//!
//! When the sources are sorted — the common case; the engine assumes it until
//! the overview pass has found otherwise — each source is scanned on its own from its cursor offset, in
//! large blocks, on all cores; the next hit in merged order is the smallest
//! key among the per-source first hits (backward: the largest). A candidate
//! in a copy that dedup drops, or in a record a filter hides, is skipped by
//! asking the merge itself. For unsorted sources the merge is walked record
//! by record instead: slower, but the order is then exactly the screen's.

pub mod around;
pub mod count;
pub mod expr;
pub mod filter;
pub mod hits;
pub mod matcher;
pub mod scan;

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::merge::{Cursor, Merge, MergedRecord};
use matcher::Matcher;
pub use scan::ScanProgress;

/// Where a search starts: a line of the stream (the line itself is not a
/// hit; the search looks strictly after it, or strictly before it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    /// Cursor with the line's record as the first record below.
    pub cursor: Cursor,
    pub source: usize,
    pub record_start: u64,
    pub line_start: u64,
}

/// A matching line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// Cursor with the hit's record as the first record below.
    pub cursor: Cursor,
    pub source: usize,
    pub record_start: u64,
    pub line_start: u64,
}

impl Hit {
    /// The hit as a starting position for the next search.
    pub fn position(&self) -> Position {
        Position {
            cursor: self.cursor.clone(),
            source: self.source,
            record_start: self.record_start,
            line_start: self.line_start,
        }
    }
}

/// Where a search starts when there is no line to start from.
#[derive(Clone, Debug)]
pub enum From {
    /// Strictly after / before this line.
    Line(Position),
    /// From the start (forward) or the end (backward) of the stream.
    Edge,
    /// From the edge up to this line, itself included: the wrap-around
    /// after a search from `Line` found nothing, which covers exactly what
    /// that search did not (a pattern found nowhere reads each byte once).
    EdgeUntil(Position),
}

/// Finds the next matching line in merged order. `merge` carries the
/// current dedup and filter settings and is repositioned freely. `sorted`
/// selects the per-source scan; `stop` cancels (returns `Ok(None)`).
pub fn find(
    merge: &mut Merge,
    from: &From,
    forward: bool,
    matcher: &Matcher,
    sorted: bool,
    progress: &ScanProgress,
    stop: &AtomicBool,
) -> io::Result<Option<Hit>> {
    // A backward search wrapped around to its start goes by the merge: by
    // sources it may admit a line above the start in the start's record
    // when copies are merged (`search_props::backward_wrap_around_…`).
    let wrapped_backward = !forward && matches!(from, From::EdgeUntil(_));
    if sorted && !wrapped_backward {
        scan::find_by_sources(merge, from, forward, matcher, progress, stop)
    } else {
        find_by_merge(merge, from, forward, matcher, progress, stop)
    }
}

/// How many records the merge walk goes between progress updates.
const WALK_REPORT: u64 = 2048;

/// The exact, order-preserving walk: record by record through the merge.
fn find_by_merge(
    merge: &mut Merge,
    from: &From,
    forward: bool,
    matcher: &Matcher,
    progress: &ScanProgress,
    stop: &AtomicBool,
) -> io::Result<Option<Hit>> {
    let total = merge.total_len().max(1);
    // The starting line's own record: only its lines after (before) the line.
    if let From::Line(p) = from {
        merge.seek(&p.cursor);
        if let Some(record) = merge.next_record()? {
            if record.source == p.source && record.record.start == p.record_start {
                let (after, before) = if forward {
                    (Some(p.line_start), None)
                } else {
                    (None, Some(p.line_start))
                };
                if let Some(line) = matching_line(merge, &record, matcher, forward, after, before)?
                {
                    return Ok(Some(hit_at(&p.cursor, &record, line)));
                }
                if !forward {
                    merge.seek(&p.cursor);
                }
            } else {
                merge.seek(&p.cursor);
            }
        }
    } else if forward {
        merge.seek_start();
    } else {
        merge.seek_end()?;
    }
    let until = match from {
        From::EdgeUntil(p) => Some(p),
        _ => None,
    };
    let mut walked = 0u64;
    loop {
        walked += 1;
        if walked % WALK_REPORT == 0 {
            if stop.load(Ordering::Relaxed) {
                return Ok(None);
            }
            let done = merge.bytes_above();
            progress.set(
                if forward {
                    done
                } else {
                    total - done.min(total)
                },
                total,
            );
        }
        let record = merge.record_toward(forward)?;
        let Some(record) = record else {
            return Ok(None);
        };
        // The record of the line a wrapped search stops at: its lines up
        // to that line (going up: from it), and no further.
        let last =
            until.filter(|p| record.source == p.source && record.record.start == p.record_start);
        let (after, before) = match last {
            None => (None, None),
            Some(p) if forward => (None, Some(p.line_start + 1)),
            Some(p) => (p.line_start.checked_sub(1), None),
        };
        if let Some(line) = matching_line(merge, &record, matcher, forward, after, before)? {
            if forward {
                merge.unread(&record);
            }
            let cursor = merge.cursor();
            return Ok(Some(hit_at(&cursor, &record, line)));
        }
        if last.is_some() {
            return Ok(None);
        }
    }
}

fn hit_at(cursor: &Cursor, record: &MergedRecord, line_start: u64) -> Hit {
    Hit {
        cursor: cursor.clone(),
        source: record.source,
        record_start: record.record.start,
        line_start,
    }
}

/// The first (forward) or last (backward) line of `record` that matches,
/// only counting lines starting after `after` / before `before`.
pub fn matching_line(
    merge: &mut Merge,
    record: &MergedRecord,
    matcher: &Matcher,
    forward: bool,
    after: Option<u64>,
    before: Option<u64>,
) -> io::Result<Option<u64>> {
    let mut found = None;
    let mut at = record.record.start;
    let mut text = Vec::new();
    while at < record.record.end {
        let Some(line) = merge.line_at(record.source, at)? else {
            break;
        };
        at = line.next.max(line.start + 1);
        if after.is_some_and(|a| line.start <= a) {
            continue;
        }
        if before.is_some_and(|b| line.start >= b) {
            break;
        }
        text.clear();
        let (bytes, cut) = merge.line_text(record.source, &line, scan::LINE_MATCH_CAP)?;
        if cut {
            matcher.note_cut_line(line.start);
        }
        text.extend_from_slice(&bytes);
        if matcher.is_match(&text) {
            found = Some(line.start);
            if forward {
                break;
            }
        }
    }
    Ok(found)
}

/// Number of matching lines in `record`.
pub fn matching_lines(
    merge: &mut Merge,
    record: &MergedRecord,
    matcher: &Matcher,
) -> io::Result<u64> {
    matching_line_count_before(merge, record, matcher, record.record.end)
}

/// Number of matching lines of `record` that start before `before`.
pub fn matching_line_count_before(
    merge: &mut Merge,
    record: &MergedRecord,
    matcher: &Matcher,
    before: u64,
) -> io::Result<u64> {
    let mut count = 0;
    let mut at = record.record.start;
    while at < record.record.end.min(before) {
        let Some(line) = merge.line_at(record.source, at)? else {
            break;
        };
        at = line.next.max(line.start + 1);
        let (bytes, _) = merge.line_text(record.source, &line, scan::LINE_MATCH_CAP)?;
        if matcher.is_match(&bytes) {
            count += 1;
        }
    }
    Ok(count)
}
