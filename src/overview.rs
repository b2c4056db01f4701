//! The overview pass: one background merge over all sources that
//! keeps sparse statistics — a checkpoint (cursor, lines so far) and a time
//! interval with per-source record and error counts every megabyte or so.
//!
//! It powers line numbers ("line 1,234,567 of 8,670,000"), `:` jumps to a
//! line, and the timeline strip. Memory is a few hundred bytes per megabyte
//! of log; the UI never waits for it.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

mod facets;

pub use facets::Facets;

/// How many `logger` values the facets tell apart.
pub fn facets_max() -> usize {
    facets::MAX_VALUES
}

use crate::merge::{CopyCounts, Cursor, Merge, MergedRecord};
use crate::record::{Level, RecordLayout};

/// Bytes of merged records between two checkpoints.
const CHECKPOINT_BYTES: u64 = 1024 * 1024;

/// Bytes of merged records per timeline interval: fine enough for a strip a
/// few hundred columns wide on a small log, ~40 bytes per 64 KiB on a big one.
const INTERVAL_BYTES: u64 = 64 * 1024;

/// How far a line-number lookup may merge from its checkpoint before giving
/// up (a cursor that is not on the overview's path, e.g. unsorted sources).
const LOOKUP_BUDGET: u64 = 8 * CHECKPOINT_BYTES;

#[derive(Clone, Debug)]
struct Checkpoint {
    cursor: Cursor,
    /// Lines of the merged stream above `cursor`.
    lines: u64,
}

#[derive(Clone, Debug)]
struct Interval {
    first_ts: i64,
    last_ts: i64,
    /// `(source, records)` for the sources with records in it, by source:
    /// a 64 KiB interval holds a few hundred records however many sources
    /// there are (a dense count per source was 40 KB an interval at 10,000
    /// files, issue 26).
    records: Vec<(u32, u32)>,
    errors: u32,
}

/// The records of the interval being counted, per source: dense while it
/// is counted, sparse once closed.
struct IntervalCounts {
    per_source: Vec<u32>,
    /// The sources with a count, in the order they were first counted.
    touched: Vec<u32>,
}

impl IntervalCounts {
    fn new(sources: usize) -> Self {
        Self {
            per_source: vec![0; sources],
            touched: Vec::new(),
        }
    }

    fn add(&mut self, source: usize) {
        if self.per_source[source] == 0 {
            self.touched.push(source as u32);
        }
        self.per_source[source] += 1;
    }

    /// The counts by source; all zero again.
    fn take(&mut self) -> Vec<(u32, u32)> {
        self.touched.sort_unstable();
        let sparse = self
            .touched
            .iter()
            .map(|&s| (s, std::mem::take(&mut self.per_source[s as usize])))
            .collect();
        self.touched.clear();
        sparse
    }
}

#[derive(Default)]
struct State {
    checkpoints: Vec<Checkpoint>,
    intervals: Vec<Interval>,
    bytes_done: u64,
    total_lines: Option<u64>,
    failed: Option<String>,
    /// Some source has a record earlier than the one before it.
    unsorted: bool,
    /// Per source: records kept in file order beyond the reorder window,
    /// and by how much the furthest is out of time order.
    late: Vec<(u64, i64)>,
    /// Records dropped as copies, per pair of sources.
    copies: CopyCounts,
    /// Per source, once the pass is done: its records and time range.
    counts: Option<Arc<Vec<SourceCount>>>,
    /// `logger` and level counts so far (published every interval).
    facets: Option<Arc<Facets>>,
}

/// What the pass found in one source (the sources panel).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SourceCount {
    /// Records shown (a copy dropped by dedup is not counted).
    pub records: u64,
    /// The earliest and latest time its records state.
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Records kept in file order beyond the reorder window, and how far
    /// the furthest was out of time order.
    pub late: u64,
    pub most_late: i64,
}

/// Records and errors per time bucket, for the timeline strip.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    /// Time of the first bucket's start and the last bucket's end.
    pub start: i64,
    pub end: i64,
    /// Records per bucket.
    pub records: Vec<u32>,
    /// Per bucket, the source with most records there (its colour).
    pub dominant: Vec<usize>,
    /// Records at ERROR or above, per bucket.
    pub errors: Vec<u32>,
}

impl Timeline {
    /// The time at which bucket `column` starts.
    pub fn time_of(&self, column: usize) -> i64 {
        let buckets = self.errors.len().max(1) as i128;
        let span = (self.end as i128 - self.start as i128).max(1);
        (self.start as i128 + span * column as i128 / buckets) as i64
    }

    /// The bucket holding time `t`.
    pub fn column_of(&self, t: i64) -> usize {
        let buckets = self.errors.len().max(1) as i128;
        let span = (self.end as i128 - self.start as i128).max(1);
        let at = (t as i128 - self.start as i128).clamp(0, span - 1);
        (at * buckets / span) as usize
    }
}

/// Called when background counting (the overview, a hit count) moved on or
/// finished: the engine then publishes a frame, so the view needs no tick.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// How often background counting calls its [`Wake`] while it runs.
const WAKE_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// A [`Wake`] that may be given after the work started; called at most
/// every 250 ms while it runs, and once at the end.
#[derive(Clone, Default)]
pub struct Waker {
    inner: Arc<Mutex<WakerState>>,
}

#[derive(Default)]
struct WakerState {
    wake: Option<Wake>,
    last: Option<std::time::Instant>,
}

impl Waker {
    /// Calls `wake` from now on.
    pub fn set(&self, wake: Wake) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.wake = Some(wake);
        }
    }

    /// Progress: wakes unless it did a moment ago.
    pub fn progressed(&self) {
        self.call(false);
    }

    /// Done: always wakes.
    pub fn finished(&self) {
        self.call(true);
    }

    fn call(&self, always: bool) {
        let wake = match self.inner.lock() {
            Ok(mut inner) => {
                let due = always || inner.last.is_none_or(|t| t.elapsed() >= WAKE_EVERY);
                if !due {
                    return;
                }
                inner.last = Some(std::time::Instant::now());
                inner.wake.clone()
            }
            Err(_) => None,
        };
        if let Some(wake) = wake {
            wake();
        }
    }
}

/// Starts overview passes.
pub struct Overview;

impl Overview {
    /// Starts the pass over `merge`'s sources in a background thread,
    /// without the sources in `left_out` (ones that failed): line numbers
    /// then count what the other sources hold, in the same cursor space.
    pub fn start(merge: &Merge, left_out: &[usize]) -> Option<OverviewHandle> {
        let layouts: Vec<RecordLayout> = (0..merge.source_count())
            .map(|i| merge.layout(i).clone())
            .collect();
        if layouts.is_empty() {
            return None;
        }
        let mut whole = Merge::new(layouts, merge.options());
        for &i in left_out {
            whole.set_enabled(i, false);
        }
        Self::counting(whole)
    }

    /// Starts the pass over what `merge` shows: without its hidden
    /// sources, through its filter, inside its bounds. Its line numbers
    /// count the lines shown (while a source is hidden or a filter is on).
    pub fn start_shown(merge: &Merge) -> Option<OverviewHandle> {
        if merge.source_count() == 0 {
            return None;
        }
        Self::counting(merge.fork())
    }

    /// Runs the pass over `merge` (from its start) in a background thread;
    /// `merge` itself then counts from a checkpoint to a position.
    fn counting(counter: Merge) -> Option<OverviewHandle> {
        let sources = counter.source_count();
        let total_bytes: u64 = (0..sources)
            .filter(|&i| counter.is_enabled(i))
            .map(|i| counter.layout(i).len())
            .sum();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let waker = Waker::default();
        {
            let (state, stop, waker) = (state.clone(), stop.clone(), waker.clone());
            let mut merge = counter.fork();
            let spawned = std::thread::Builder::new()
                .name("overview".into())
                .spawn(move || {
                    if let Err(e) = scan(&mut merge, sources, &state, &stop, &waker) {
                        if let Ok(mut st) = state.lock() {
                            st.failed = Some(e.to_string());
                        }
                    }
                    waker.finished();
                });
            if spawned.is_err() {
                return None;
            }
        }
        Some(OverviewHandle {
            state,
            stop,
            counter: Mutex::new(counter),
            timeline: Mutex::new(None),
            total_bytes,
            waker,
        })
    }
}

fn scan(
    merge: &mut Merge,
    sources: usize,
    state: &Mutex<State>,
    stop: &AtomicBool,
    waker: &Waker,
) -> io::Result<()> {
    merge.seek_first()?;
    let mut lines = 0u64;
    let mut bytes_since = 0u64;
    let mut interval_bytes = 0u64;
    let mut interval: Option<Interval> = None;
    let mut interval_counts = IntervalCounts::new(sources);
    let mut last_ts = vec![i64::MIN; sources];
    let mut unsorted = false;
    let mut late = vec![(0u64, 0i64); sources];
    let mut counts = vec![SourceCount::default(); sources];
    let mut facets = Facets::default();
    lock(state).checkpoints.push(Checkpoint {
        cursor: merge.cursor(),
        lines: 0,
    });
    while let Some(record) = merge.next_record()? {
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        lines += count_lines(merge, &record, record.record.end, Some(&mut facets))?;
        let key = record.record.key_ts();
        let count = &mut counts[record.source];
        count.records += 1;
        if let Some(ts) = record.record.ts {
            count.first = Some(count.first.map_or(ts, |t| t.min(ts)));
            count.last = Some(count.last.map_or(ts, |t| t.max(ts)));
        }
        unsorted |= key < last_ts[record.source];
        last_ts[record.source] = key;
        if record.record.late {
            let (count, most) = &mut late[record.source];
            *count += 1;
            let by = record.record.ts.map_or(0, |t| key.abs_diff(t));
            *most = (*most).max(by.min(i64::MAX as u64) as i64);
        }
        bytes_since += record.record.len();
        interval_bytes += record.record.len();
        if let Some(ts) = record.record.ts {
            let iv = interval.get_or_insert_with(|| Interval {
                first_ts: ts,
                last_ts: ts,
                records: Vec::new(),
                errors: 0,
            });
            iv.first_ts = iv.first_ts.min(ts);
            iv.last_ts = iv.last_ts.max(ts);
            interval_counts.add(record.source);
            if record.record.level >= Level::Error {
                iv.errors += 1;
            }
        }
        if interval_bytes >= INTERVAL_BYTES {
            interval_bytes = 0;
            let mut st = lock(state);
            st.intervals.extend(interval.take().map(|iv| Interval {
                records: interval_counts.take(),
                ..iv
            }));
            st.bytes_done = merge.bytes_above();
            st.facets = Some(Arc::new(facets.clone()));
            if bytes_since >= CHECKPOINT_BYTES {
                bytes_since = 0;
                st.checkpoints.push(Checkpoint {
                    cursor: merge.cursor(),
                    lines,
                });
            }
            drop(st);
            waker.progressed();
        }
    }
    let mut st = lock(state);
    st.intervals.extend(interval.take().map(|iv| Interval {
        records: interval_counts.take(),
        ..iv
    }));
    st.bytes_done = merge.bytes_above();
    st.total_lines = Some(lines);
    st.unsorted = unsorted;
    for (count, &(records, most)) in counts.iter_mut().zip(&late) {
        (count.late, count.most_late) = (records, most);
    }
    st.counts = Some(Arc::new(counts));
    facets.complete = true;
    st.facets = Some(Arc::new(facets));
    st.late = late;
    st.copies = merge.take_copies();
    Ok(())
}

/// Lines of `record` that start before `upto`; `facets` counts the record
/// from its first block.
fn count_lines(
    merge: &mut Merge,
    record: &MergedRecord,
    upto: u64,
    mut facets: Option<&mut Facets>,
) -> io::Result<u64> {
    let mut count = 0u64;
    let mut last = None;
    let part = MergedRecord {
        source: record.source,
        record: crate::record::Record {
            end: upto.min(record.record.end),
            ..record.record
        },
    };
    merge.for_each_chunk(&part, |chunk| {
        if let Some(facets) = facets.take() {
            facets.count(chunk, record.record.level);
        }
        count += memchr::memchr_iter(b'\n', chunk).count() as u64;
        last = chunk.last().copied().or(last);
        Ok(())
    })?;
    // An unterminated last line is a line too.
    if upto >= record.record.end && last.is_some() && last != Some(b'\n') {
        count += 1;
    }
    Ok(count)
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic in the scan thread leaves the stats as they were: still usable.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The engine's view of a running or finished overview.
pub struct OverviewHandle {
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    /// A merge for counting from a checkpoint to an exact position.
    counter: Mutex<Merge>,
    /// The timeline made last: how many intervals and columns it is of.
    timeline: Mutex<Option<(usize, usize, Timeline)>>,
    total_bytes: u64,
    waker: Waker,
}

impl Drop for OverviewHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl OverviewHandle {
    /// Calls `wake` as the pass moves on and when it ends.
    pub fn wake_with(&self, wake: Wake) {
        self.waker.set(wake);
    }

    /// Percent done while the pass runs; `None` once it has finished.
    pub fn progress(&self) -> Option<u8> {
        let st = lock(&self.state);
        if st.total_lines.is_some() || st.failed.is_some() {
            return None;
        }
        Some((st.bytes_done * 100 / self.total_bytes.max(1)).min(99) as u8)
    }

    /// Whether every source's records are in time order, once known.
    pub fn sorted(&self) -> Option<bool> {
        let st = lock(&self.state);
        st.total_lines.map(|_| !st.unsorted)
    }

    /// Once the pass is done: per source, the records it found kept in file
    /// order beyond the reorder window, and how far the furthest was out of
    /// time order.
    pub fn late(&self) -> Option<Vec<(u64, i64)>> {
        let st = lock(&self.state);
        st.total_lines.map(|_| st.late.clone())
    }

    /// Once the pass is done: the records it dropped as copies of records
    /// another source shows, per pair of sources.
    pub fn copies(&self) -> Option<CopyCounts> {
        let st = lock(&self.state);
        st.total_lines.map(|_| st.copies.clone())
    }

    /// Once the pass is done: what it found in each source.
    pub fn counts(&self) -> Option<Arc<Vec<SourceCount>>> {
        lock(&self.state).counts.clone()
    }

    /// `logger` and level counts of what the pass has read so far.
    pub fn facets(&self) -> Option<Arc<Facets>> {
        lock(&self.state).facets.clone()
    }

    /// Total lines of the merged stream, once counted.
    pub fn total_lines(&self) -> Option<u64> {
        lock(&self.state).total_lines
    }

    /// `(1-based line number, total)` of the line starting at `line_start`
    /// in the record of `source` starting at `record_start`, where `cursor`
    /// has that record as the first below it.
    pub fn line_of(
        &self,
        cursor: &Cursor,
        source: usize,
        record_start: u64,
        line_start: u64,
    ) -> Option<(u64, u64)> {
        let (from, mut line, total) = {
            let st = lock(&self.state);
            let total = st.total_lines?;
            let k = st
                .checkpoints
                .partition_point(|cp| cp.cursor.at_or_before(cursor));
            let cp = st.checkpoints.get(k.checked_sub(1)?)?;
            (cp.cursor.clone(), cp.lines, total)
        };
        let mut merge = self.counter.lock().ok()?;
        merge.seek(&from);
        let mut budget = LOOKUP_BUDGET;
        while let Some(record) = merge.next_record().ok()? {
            if record.source == source && record.record.start == record_start {
                line += count_lines(&mut merge, &record, line_start, None).ok()?;
                return Some((line + 1, total));
            }
            line += count_lines(&mut merge, &record, record.record.end, None).ok()?;
            budget = budget.checked_sub(record.record.len())?;
        }
        None
    }

    /// Where line `n` (1-based) is: the cursor above its record, and how many
    /// lines into the record it is.
    pub fn cursor_for_line(&self, n: u64) -> Option<(Cursor, u64)> {
        let target = n.checked_sub(1)?;
        let (from, mut line) = {
            let st = lock(&self.state);
            let total = st.total_lines?;
            if target >= total {
                return None;
            }
            let k = st.checkpoints.partition_point(|cp| cp.lines <= target);
            let cp = st.checkpoints.get(k.checked_sub(1)?)?;
            (cp.cursor.clone(), cp.lines)
        };
        let mut merge = self.counter.lock().ok()?;
        merge.seek(&from);
        while let Some(record) = merge.next_record().ok()? {
            let lines = count_lines(&mut merge, &record, record.record.end, None).ok()?;
            if line + lines > target {
                merge.unread(&record);
                return Some((merge.cursor(), target - line));
            }
            line += lines;
        }
        None
    }

    /// The timeline in `buckets` columns, from what has been counted so far
    /// (made again only when more was counted or the width changed).
    pub fn timeline(&self, buckets: usize) -> Option<Timeline> {
        let st = lock(&self.state);
        let buckets = buckets.max(1);
        let mut cached = self.timeline.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((intervals, width, timeline)) = cached.as_ref() {
            if (*intervals, *width) == (st.intervals.len(), buckets) {
                return Some(timeline.clone());
            }
        }
        let timeline = timeline_of(&st.intervals, buckets)?;
        *cached = Some((st.intervals.len(), buckets, timeline.clone()));
        Some(timeline)
    }
}

/// The timeline of `intervals` in `buckets` columns.
fn timeline_of(intervals: &[Interval], buckets: usize) -> Option<Timeline> {
    let start = intervals.iter().map(|iv| iv.first_ts).min()?;
    let end = intervals
        .iter()
        .map(|iv| iv.last_ts)
        .max()?
        .saturating_add(1);
    let mut timeline = Timeline {
        start,
        end,
        records: vec![0; buckets],
        dominant: vec![0; buckets],
        errors: vec![0; buckets],
    };
    // The intervals whose time span each column covers; errors mark one
    // column.
    let mut by_column: Vec<Vec<u32>> = vec![Vec::new(); buckets];
    for (k, iv) in intervals.iter().enumerate() {
        let (first, last) = (
            timeline.column_of(iv.first_ts),
            timeline.column_of(iv.last_ts),
        );
        for column in &mut by_column[first..=last] {
            column.push(k as u32);
        }
        let middle = timeline.column_of(iv.first_ts / 2 + iv.last_ts / 2);
        timeline.errors[middle] += iv.errors;
    }
    let sources = intervals
        .iter()
        .filter_map(|iv| iv.records.last())
        .map(|&(source, _)| source as usize + 1)
        .max()
        .unwrap_or(0);
    // One column at a time, each source's share of the records of the
    // intervals over it, in proportion to the overlap (one dense scratch,
    // not a count per source and column).
    let mut weights = vec![0f64; sources];
    let mut touched: Vec<u32> = Vec::new();
    let bucket_ns = (end as f64 - start as f64) / buckets as f64;
    for (column, over) in by_column.iter().enumerate() {
        let lo = start as f64 + column as f64 * bucket_ns;
        for &k in over {
            let iv = &intervals[k as usize];
            let (a, b) = (iv.first_ts as f64, iv.last_ts as f64 + 1.0);
            let overlap = (b.min(lo + bucket_ns) - a.max(lo)).max(0.0) / (b - a);
            for &(source, n) in &iv.records {
                let weight = &mut weights[source as usize];
                if *weight == 0.0 {
                    touched.push(source);
                }
                *weight += n as f64 * overlap;
            }
        }
        // Each source's count rounded, as the strip shows them; a tie goes
        // to the later source.
        touched.sort_unstable();
        touched.dedup();
        let mut best = (0u32, 0usize);
        for &source in &touched {
            let n = std::mem::take(&mut weights[source as usize]).round() as u32;
            timeline.records[column] += n;
            if n >= best.0 {
                best = (n, source as usize);
            }
        }
        timeline.dominant[column] = best.1;
        touched.clear();
    }
    Some(timeline)
}
