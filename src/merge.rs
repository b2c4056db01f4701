//! The K-way merge of per-source record readers, in both directions, from any
//! cursor (the order-key, dedup and cursor contracts in docs/ARCHITECTURE.md).
//!
//! Each source is read in its canonical order (`record::order`: time order
//! within the reorder window, file order beyond). Order key of a record:
//! `(key, source rank, position in its source's order)`; untimed records
//! sort first. A [`Cursor`] is one [`Pos`] per source: records before it are
//! "above", records from it on are "below". [`Merge::next_record`] yields the
//! records below in key order and moves the cursor past each;
//! [`Merge::prev_record`] yields the records above in reverse. Because the
//! cursor partitions every source, each record is yielded exactly once
//! whichever way one arrives.

mod bounds;
pub mod copies;
mod dedup;
mod heads;
mod plans;
mod reads;
mod seek;

use std::io;
use std::sync::Arc;

use crate::record::split::{PROBE_BLOCK, SCAN_BLOCK};
use crate::record::timestamp::Nanos;
use crate::record::{Pos, Record, RecordLayout, RecordReader};
pub use copies::{Copied, CopyCounts, Dedup};
use dedup::GroupPlan;
use heads::Heads;

/// One position per source in its canonical order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cursor(pub Vec<Pos>);

impl Cursor {
    /// Above every record of `sources` sources.
    pub fn start(sources: usize) -> Cursor {
        Cursor(vec![Pos::START; sources])
    }
}

impl Cursor {
    /// Componentwise `self ≤ other`: every record above `self` is above
    /// `other` (how checkpoints along one merge are looked up).
    pub fn at_or_before(&self, other: &Cursor) -> bool {
        self.0.iter().zip(&other.0).all(|(x, y)| x <= y)
    }
}

/// A record together with the index (= rank) of the source it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MergedRecord {
    pub source: usize,
    pub record: Record,
}

impl MergedRecord {
    /// The full order key.
    pub fn key(&self) -> (i64, usize, u64) {
        (self.record.key, self.source, self.record.start)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    Forward,
    Backward,
}

/// Decides which records take part in a merge (the view's filters, print
/// mode's `--grep`). Applied after dedup, so filtering never changes which
/// copy of a record is the one kept.
pub trait RecordPredicate: Send + Sync {
    /// Whether `record` of source `source` is shown; may read it through `reader`.
    fn accepts(
        &self,
        source: usize,
        reader: &mut RecordReader,
        record: &Record,
    ) -> io::Result<bool>;
}

/// Merge behaviour that users can switch.
#[derive(Clone, Debug, Default)]
pub struct MergeOptions {
    /// Which sources are copies of one another, whose copies of a record
    /// show once (never within one source).
    pub dedup: Dedup,
}

impl MergeOptions {
    /// Every record of every source shows.
    pub fn no_dedup() -> Self {
        Self { dedup: Dedup::Off }
    }

    /// All sources are copies of one log: a record stored in several shows once.
    pub fn dedup_all() -> Self {
        Self { dedup: Dedup::All }
    }

    /// `dedup_all` when `on`, else `no_dedup`.
    pub fn dedup_if(on: bool) -> Self {
        if on {
            Self::dedup_all()
        } else {
            Self::no_dedup()
        }
    }
}

/// A lazy merge over a fixed set of sources.
pub struct Merge {
    layouts: Vec<RecordLayout>,
    /// Sequential readers, one per source; the merge's heads come from these
    /// and callers stream record bytes through them.
    readers: Vec<RecordReader>,
    /// Small-block readers for bisection, so a seek does not evict the
    /// sequential readers' blocks; made on first use (`probe`), since a
    /// merge that only reads on (the overview's pass) never seeks. Boxed,
    /// so that one not made costs a pointer (issue 26: 10,000 sources).
    probes: Vec<Option<Box<RecordReader>>>,
    enabled: Vec<bool>,
    options: MergeOptions,
    /// Per source, its copy group (from `options`): a source without one
    /// is never planned with others.
    copy_group: Vec<Option<u32>>,
    pos: Vec<Pos>,
    direction: Option<Direction>,
    heads: Vec<Option<Record>>,
    queue: Heads,
    /// Source whose head was popped and not yet replaced. Refilling lazily lets
    /// the caller stream the popped record from a block that is still loaded.
    pending_refill: Option<usize>,
    /// The key the plans in `plans` are for.
    plans_at: Option<Nanos>,
    /// The dedup plans of the copy groups with records at `plans_at`, made
    /// as each group's first record there is popped.
    plans: Vec<(u32, GroupPlan)>,
    /// Set by a seek or a change of direction, until a record is popped:
    /// the records at that record's key may straddle the cursor.
    fresh: bool,
    /// The key whose groups may straddle the cursor (the first popped after
    /// a seek): their dedup plans look on both sides of it.
    across_at: Option<Nanos>,
    /// Keys up to which groups may straddle the cursor wherever it moves
    /// (see [`look_across_until`](Self::look_across_until)).
    across_until: Option<Nanos>,
    /// Records dropped as copies that the predicate accepts, by the steps
    /// before the latest.
    copies: CopyCounts,
    /// Those the latest step dropped: forgotten if it is undone, so a step
    /// retried after a failed one does not count its copies twice.
    step_copies: CopyCounts,
    planner: dedup::Planner,
    predicate: Option<Arc<dyn RecordPredicate>>,
    /// Scratch buffers for planning, kept to avoid allocating per group.
    members: Vec<usize>,
    anchors: Vec<Pos>,
    /// Where the sources moved by the latest step stood before it, so that
    /// a failed step can be undone without saving a whole cursor (one
    /// offset per source) before every step. One entry per source at
    /// most: a step that skips millions of records (a filter matching
    /// nothing) must not remember each.
    undo: Vec<(usize, Pos)>,
    /// Which sources are in `undo`.
    in_undo: Vec<bool>,
    /// `--since`/`--until` in the viewer: the merge is the records stamped
    /// in the range (`bounds.rs`).
    bounds: bounds::Bounds,
}

/// Bytes of read blocks one merge may hold across all its sources, before
/// blocks shrink below [`SCAN_BLOCK`]: a merge of 10,000 files must not hold
/// 64 KiB for each.
const BLOCK_BUDGET: usize = 16 * 1024 * 1024;

/// The sequential block per source for a merge of `sources`: 64 KiB up to
/// 256 sources, less beyond, down to 2 KiB at 8,192 sources: a merge that
/// reads every source through (the overview's pass) keeps each one's block,
/// and at 10,000 sources 8 KiB blocks were 60 MB of the viewer (issue 26),
/// while a `pread` of 2 KiB from the page cache still costs little next to
/// the merge step of the records it returns.
fn scan_block(sources: usize) -> usize {
    (BLOCK_BUDGET / sources.max(1)).clamp(2 * 1024, SCAN_BLOCK)
}

impl Merge {
    /// A merge over `layouts`, ranked in the order given, with the cursor at
    /// the start.
    pub fn new(layouts: Vec<RecordLayout>, options: MergeOptions) -> Self {
        let block = scan_block(layouts.len());
        let readers = layouts.iter().map(|l| l.sequential_reader(block)).collect();
        let n = layouts.len();
        let probes = (0..n).map(|_| None).collect();
        let copy_group = (0..n).map(|i| options.dedup.group_of(i)).collect();
        Self {
            layouts,
            readers,
            probes,
            enabled: vec![true; n],
            options,
            copy_group,
            pos: vec![Pos::START; n],
            direction: None,
            heads: vec![None; n],
            queue: Heads::new(n, true),
            pending_refill: None,
            plans_at: None,
            plans: Vec::new(),
            fresh: true,
            across_at: None,
            across_until: None,
            copies: CopyCounts::default(),
            step_copies: CopyCounts::default(),
            planner: dedup::Planner::default(),
            members: Vec::new(),
            anchors: Vec::new(),
            undo: Vec::new(),
            in_undo: vec![false; n],
            predicate: None,
            bounds: bounds::Bounds::default(),
        }
    }

    /// Makes the merge the records stamped `since ≤ t < until` by their own
    /// time (either may be open), from where a seek to `since` stands, as
    /// print mode writes them: seeks stay inside, steps skip what is not
    /// in the range (going down, on to the end of the sources) and going
    /// up stop where `since` was sought.
    pub fn set_bounds(&mut self, since: Option<Nanos>, until: Option<Nanos>) {
        self.bounds = bounds::Bounds::new(since, until);
        self.invalidate();
    }

    /// The end of the range `set_bounds` gave, if any.
    pub fn until(&self) -> Option<Nanos> {
        self.bounds.until
    }

    /// Whether a record stamped `ts` is inside the bounds (`set_bounds`).
    pub fn in_bounds(&self, ts: Option<Nanos>) -> bool {
        self.bounds.holds_time(ts)
    }

    /// Adds a source (a file that appeared in a followed folder) after the
    /// others; returns its index. It starts with all its records below the
    /// cursor.
    pub fn add_source(&mut self, layout: RecordLayout) -> usize {
        self.readers
            .push(layout.sequential_reader(scan_block(self.layouts.len() + 1)));
        self.probes.push(None);
        self.copy_group
            .push(self.options.dedup.group_of(self.layouts.len()));
        self.layouts.push(layout);
        self.enabled.push(true);
        self.pos.push(Pos::START);
        self.heads.push(None);
        self.in_undo.push(false);
        self.invalidate();
        self.layouts.len() - 1
    }

    /// Swaps in a new snapshot of source `i` (follow mode: the file grew, or
    /// was truncated or rotated and starts again). A position past the new
    /// length (a file that shrank) moves below everything it holds.
    pub fn replace_layout(&mut self, i: usize, layout: RecordLayout) {
        if i >= self.layouts.len() {
            return;
        }
        self.readers[i] = layout.sequential_reader(scan_block(self.layouts.len()));
        self.probes[i] = None;
        self.bounds.forget(i);
        if self.pos[i].chunk > layout.len() || self.pos[i].offset > layout.len() {
            self.pos[i] = Pos::chunk_start(layout.len());
        }
        self.layouts[i] = layout;
        self.invalidate();
    }

    /// A new merge over the same sources with the same settings (dedup,
    /// hidden sources, predicate), at the start, with readers of its own.
    pub fn fork(&self) -> Merge {
        let mut fork = Merge::new(self.layouts.clone(), self.options.clone());
        fork.copy_group.clone_from(&self.copy_group);
        fork.enabled.clone_from(&self.enabled);
        fork.predicate.clone_from(&self.predicate);
        fork.bounds = self.bounds.clone();
        fork
    }

    /// The options this merge was made with.
    pub fn options(&self) -> MergeOptions {
        self.options.clone()
    }

    /// Records dropped as copies (that the predicate accepts) since the
    /// merge was made or this was last called: every step counts what it
    /// skips, so a merge walked once over the stream counts each once.
    pub fn take_copies(&mut self) -> CopyCounts {
        self.copies.add(&std::mem::take(&mut self.step_copies));
        std::mem::take(&mut self.copies)
    }

    /// Number of sources (enabled or not).
    pub fn source_count(&self) -> usize {
        self.layouts.len()
    }

    /// The layout of source `i`.
    pub fn layout(&self, i: usize) -> &RecordLayout {
        &self.layouts[i]
    }

    /// Total bytes over all enabled sources.
    pub fn total_len(&self) -> u64 {
        self.enabled_sources().map(|i| self.layouts[i].len()).sum()
    }

    /// Roughly the bytes above the cursor over all enabled sources.
    pub fn bytes_above(&self) -> u64 {
        self.enabled_sources()
            .map(|i| self.pos[i].bytes_hint().min(self.layouts[i].len()))
            .sum()
    }

    fn enabled_sources(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.layouts.len()).filter(|&i| self.enabled[i])
    }

    /// Hides or shows a source. The cursor keeps its positions, so the merge
    /// re-forms around the same place; seeks leave a hidden source where it
    /// was, so a source shown again wants a seek.
    pub fn set_enabled(&mut self, source: usize, enabled: bool) {
        if let Some(slot) = self.enabled.get_mut(source) {
            *slot = enabled;
            self.invalidate();
        }
    }

    /// Shows only the records `predicate` accepts (or all, with `None`).
    pub fn set_predicate(&mut self, predicate: Option<Arc<dyn RecordPredicate>>) {
        self.predicate = predicate;
        self.invalidate();
    }

    /// `cursor` with each enabled source's position moved on to just above
    /// its next record (or to its end): two cursors that leave the same
    /// records above compare equal once normalized.
    pub fn normalized(&mut self, cursor: &Cursor) -> io::Result<Cursor> {
        let mut out = cursor.clone();
        for (i, pos) in out.0.iter_mut().enumerate() {
            if !self.is_enabled(i) {
                continue;
            }
            *pos = match self.probe(i).record_at(*pos)? {
                Some(record) => record.at(),
                None => Pos::chunk_start(self.layouts[i].len()),
            };
        }
        Ok(out)
    }

    /// Whether the predicate in force (if any) shows `record`.
    pub fn accepts(&mut self, record: &MergedRecord) -> io::Result<bool> {
        match &self.predicate {
            Some(predicate) => predicate.accepts(
                record.source,
                &mut self.readers[record.source],
                &record.record,
            ),
            None => Ok(true),
        }
    }

    /// The predicate in force, if any.
    pub fn predicate(&self) -> Option<&Arc<dyn RecordPredicate>> {
        self.predicate.as_ref()
    }

    /// Whether source `i` takes part in the merge.
    pub fn is_enabled(&self, source: usize) -> bool {
        self.enabled.get(source).copied().unwrap_or(false)
    }

    /// The current cursor.
    pub fn cursor(&self) -> Cursor {
        Cursor(self.pos.clone())
    }

    /// Moves to `cursor`, which must come from this merge (or be all zeros /
    /// all lengths).
    pub fn seek(&mut self, cursor: &Cursor) {
        for (pos, &want) in self.pos.iter_mut().zip(&cursor.0) {
            *pos = want;
        }
        self.invalidate();
    }

    /// Source `i`'s small-block reader for bisection, made on first use.
    fn probe(&mut self, i: usize) -> &mut RecordReader {
        let layout = &self.layouts[i];
        self.probes[i].get_or_insert_with(|| Box::new(layout.reader(PROBE_BLOCK)))
    }

    fn invalidate(&mut self) {
        self.direction = None;
        self.pending_refill = None;
    }

    /// The next record below the cursor, moving the cursor past it.
    pub fn next_record(&mut self) -> io::Result<Option<MergedRecord>> {
        self.step(Direction::Forward, i64::MAX)
    }

    /// Like [`next_record`](Self::next_record), but stops — without moving the
    /// cursor — at the first record whose time key is ≥ `limit`. The cursor is
    /// then exactly where a merge starting at `limit` would begin.
    pub fn next_record_before(&mut self, limit: i64) -> io::Result<Option<MergedRecord>> {
        self.step(Direction::Forward, limit)
    }

    /// Puts back a record just returned by [`next_record`](Self::next_record):
    /// the cursor moves back before it, so the next call returns it again.
    pub fn unread(&mut self, record: &MergedRecord) {
        if let Some(pos) = self.pos.get_mut(record.source) {
            *pos = record.record.at();
            self.invalidate();
        }
    }

    /// The next record going down (`forward`) or up, moving the cursor past it.
    pub fn record_toward(&mut self, forward: bool) -> io::Result<Option<MergedRecord>> {
        if forward {
            self.next_record()
        } else {
            self.prev_record()
        }
    }

    /// The next record above the cursor (going up), moving the cursor before it.
    pub fn prev_record(&mut self) -> io::Result<Option<MergedRecord>> {
        self.step(Direction::Backward, i64::MIN)
    }

    /// Where the sources other than `except` that the latest step moved
    /// stand now: the records it passed over (dropped as copies, refused by
    /// the predicate) before the one it returned, of `except`. `None` when
    /// it passed over none.
    pub fn passed_by_last_step(&self, except: usize) -> Option<Arc<[(usize, Pos)]>> {
        let moved = || self.undo.iter().filter(|&&(source, _)| source != except);
        moved().next()?;
        Some(
            moved()
                .map(|&(source, _)| (source, self.pos[source]))
                .collect(),
        )
    }

    /// Moves the cursor back to where it stood before the latest
    /// [`next_record`](Self::next_record) / [`next_record_before`](Self::next_record_before) /
    /// [`prev_record`](Self::prev_record) call, also one that failed.
    pub fn undo_step(&mut self) {
        self.step_copies = CopyCounts::default();
        while let Some((source, at)) = self.undo.pop() {
            self.pos[source] = at;
            self.in_undo[source] = false;
        }
        self.invalidate();
    }

    fn step(&mut self, direction: Direction, limit: i64) -> io::Result<Option<MergedRecord>> {
        for (source, _) in self.undo.drain(..) {
            self.in_undo[source] = false;
        }
        if !self.step_copies.is_empty() {
            self.copies.add(&std::mem::take(&mut self.step_copies));
        }
        if self.direction != Some(direction) {
            self.start(direction)?;
        }
        loop {
            if let Some(source) = self.pending_refill.take() {
                self.refill(source)?;
            }
            let popped = if direction == Direction::Forward && limit != i64::MAX {
                self.queue.pop_unless(|key| key.0 >= limit)
            } else {
                self.queue.pop_unless(|_| false)
            };
            let Some((_, source, _)) = popped else {
                return Ok(None);
            };
            let Some(record) = self.heads[source].take() else {
                continue;
            };
            if direction == Direction::Backward {
                let (probes, layouts) = (&mut self.probes, &self.layouts);
                let above = self.bounds.above_start(source, &record, |since| {
                    probes[source]
                        .get_or_insert_with(|| Box::new(layouts[source].reader(PROBE_BLOCK)))
                        .seek_time(since)
                })?;
                if above {
                    // This source's part of the range is behind: left
                    // unread, it is not refilled.
                    continue;
                }
            }
            let in_bounds = self.bounds.holds(&record);
            if !self.in_undo[source] {
                self.in_undo[source] = true;
                self.undo.push((source, self.pos[source]));
            }
            self.pos[source] = match direction {
                Direction::Forward => record.after(),
                Direction::Backward => record.at(),
            };
            self.pending_refill = Some(source);
            if std::mem::replace(&mut self.fresh, false) {
                self.across_at = record.ts.map(|_| record.key);
            }
            if let Some(group) = self.copy_group[source] {
                if let Some(copy_of) = self.copy_shown(source, &record, direction, group)? {
                    let shown = in_bounds
                        && match &self.predicate {
                            Some(p) => p.accepts(source, &mut self.readers[source], &record)?,
                            None => true,
                        };
                    if shown {
                        self.step_copies.count(source, copy_of);
                    }
                    continue;
                }
            }
            if !in_bounds {
                continue;
            }
            if let Some(predicate) = &self.predicate {
                if !predicate.accepts(source, &mut self.readers[source], &record)? {
                    continue;
                }
            }
            return Ok(Some(MergedRecord { source, record }));
        }
    }

    /// Whether a source other than `source`, dedup holding the two for
    /// copies of one log, has a record with the content of `record` (of
    /// `source`, compared as dedup compares) at its key, above its own part of `cursor`, that was
    /// printed: print follow's test for a record that arrived late in a
    /// copy, whose original was printed already. Only a record ending
    /// within `printed[other]` bytes counts (what a round before took, or
    /// all of a source whose late records this round printed already): a
    /// late record that reached both in this round lies above both
    /// cursors, and counted both ways it was printed by neither.
    pub fn printed_elsewhere(
        &mut self,
        source: usize,
        record: &Record,
        cursor: &Cursor,
        printed: &[u64],
    ) -> io::Result<bool> {
        // Compared whole in memory: a longer record (a 100 MB line) is
        // printed rather than held to be compared.
        const COMPARED_AT_MOST: u64 = 1 << 20;
        let Some(group) = self.copy_group[source]
            .filter(|_| record.ts.is_some() && record.len() <= COMPARED_AT_MOST)
        else {
            return Ok(false);
        };
        let mut mine: Option<Option<u128>> = None;
        let mut scratch = Vec::new();
        for other in 0..self.layouts.len() {
            if other == source || self.copy_group[other] != Some(group) || !self.enabled[other] {
                continue;
            }
            let Some(&above) = cursor.0.get(other) else {
                continue;
            };
            let mut at = self.probe(other).seek_time(record.key)?;
            while at < above {
                let Some(theirs) = self.probe(other).record_at(at)? else {
                    break;
                };
                if theirs.ts.is_none() || theirs.key != record.key {
                    break;
                }
                at = theirs.after();
                let counted = printed.get(other).is_some_and(|&upto| theirs.end <= upto);
                if theirs.len() > COMPARED_AT_MOST || !counted {
                    continue;
                }
                // Compared as dedup compares copies: a CRLF copy, or a
                // JSON one with its members in another order, is a copy.
                let mine = match mine {
                    Some(hash) => hash,
                    None => *mine.insert(dedup::record_hash(
                        self.probe(source),
                        record,
                        &mut scratch,
                    )?),
                };
                let theirs = dedup::record_hash(self.probe(other), &theirs, &mut scratch)?;
                if mine.is_some() && mine == theirs {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// The group of copies of one log `source` is in, if dedup found one.
    pub fn copy_group_of(&self, source: usize) -> Option<u32> {
        self.copy_group.get(source).copied().flatten()
    }

    /// The records at any key up to `key` may lie on both sides of the
    /// cursor, in whichever source: print follow's cursor stands where each
    /// source's records were printed up to, and a copy's records arrive
    /// after the original's were printed (a later round), so theirs lie
    /// above the original's part of the cursor and below the copy's. Their
    /// dedup plans look on both sides.
    pub fn look_across_until(&mut self, key: Nanos) {
        self.across_until = Some(key);
    }

    fn start(&mut self, direction: Direction) -> io::Result<()> {
        self.direction = Some(direction);
        self.queue = Heads::new(self.layouts.len(), direction == Direction::Forward);
        self.pending_refill = None;
        self.plans_at = None;
        self.plans.clear();
        self.fresh = true;
        self.across_at = None;
        for source in 0..self.layouts.len() {
            self.heads[source] = None;
            if self.enabled[source] {
                self.refill(source)?;
            }
        }
        Ok(())
    }

    fn refill(&mut self, source: usize) -> io::Result<()> {
        let reader = &mut self.readers[source];
        let head = match self.direction {
            Some(Direction::Forward) => reader.record_at(self.pos[source])?,
            Some(Direction::Backward) => reader.record_before(self.pos[source])?,
            None => None,
        };
        if let Some(record) = head {
            let key = (record.key, source, record.start);
            self.queue.push(key);
        }
        self.heads[source] = head;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
