//! The overview pass: one background merge over all sources that
//! keeps sparse statistics — a checkpoint (cursor, lines so far) and a time
//! interval with per-source record and error counts every megabyte or so,
//! within a fixed budget (`sparse`: they thin themselves as the log grows).
//!
//! It powers line numbers ("line 1,234,567 of 8,670,000"), `:` jumps to a
//! line, and the timeline strip. Memory is a few hundred bytes per megabyte
//! of log up to a few megabytes, then stays; the UI never waits for it.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

mod facets;
mod sparse;
mod timeline;

pub use facets::Facets;
use sparse::{Checkpoint, Checkpoints, Interval, IntervalCounts, Intervals};
use timeline::timeline_of;
pub use timeline::Timeline;

/// How many `logger` values the facets tell apart.
pub fn facets_max() -> usize {
    facets::MAX_VALUES
}

use crate::merge::{CopyCounts, Cursor, Merge, MergedRecord};
use crate::record::{Level, RecordLayout};

/// How many checkpoint spacings a line-number lookup may merge from its
/// checkpoint before giving up (a cursor that is not on the overview's
/// path, e.g. unsorted sources).
const LOOKUP_SPACINGS: u64 = 8;

#[derive(Default)]
struct State {
    checkpoints: Checkpoints,
    intervals: Intervals,
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
        let checkpoints = Checkpoints::new(counter.source_count());
        Self::counting_into(counter, checkpoints, Intervals::default())
    }

    fn counting_into(
        counter: Merge,
        checkpoints: Checkpoints,
        intervals: Intervals,
    ) -> Option<OverviewHandle> {
        let sources = counter.source_count();
        let total_bytes: u64 = (0..sources)
            .filter(|&i| counter.is_enabled(i))
            .map(|i| counter.layout(i).len())
            .sum();
        let state = Arc::new(Mutex::new(State {
            checkpoints,
            intervals,
            ..State::default()
        }));
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
    // The indexes' spacings, as they were when last published (they grow
    // as the indexes thin themselves).
    let (mut span, mut spacing) = {
        let mut st = lock(state);
        st.checkpoints.push(Checkpoint {
            cursor: merge.cursor(),
            lines: 0,
        });
        (st.intervals.span(), st.checkpoints.spacing())
    };
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
        if interval_bytes >= span {
            interval_bytes = 0;
            let mut st = lock(state);
            if let Some(iv) = interval.take() {
                st.intervals.push(Interval {
                    records: interval_counts.take(),
                    ..iv
                });
            }
            span = st.intervals.span();
            st.bytes_done = merge.bytes_above();
            st.facets = Some(Arc::new(facets.clone()));
            if bytes_since >= spacing {
                bytes_since = 0;
                st.checkpoints.push(Checkpoint {
                    cursor: merge.cursor(),
                    lines,
                });
                spacing = st.checkpoints.spacing();
            }
            drop(st);
            waker.progressed();
        }
    }
    let mut st = lock(state);
    if let Some(iv) = interval.take() {
        st.intervals.push(Interval {
            records: interval_counts.take(),
            ..iv
        });
    }
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

/// The most of a record's first line its facets are read from.
const FACET_HEAD: usize = 64 * 1024;

/// Lines of `record` that start before `upto`; `facets` counts the record
/// by its first line (up to [`FACET_HEAD`] bytes of it), which may cross
/// the reader's blocks: a `logger` cut by a block's end was counted as
/// none.
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
    let level = record.record.level;
    // The first line's pieces, only when it crosses a block.
    let mut head = Vec::new();
    merge.for_each_chunk(&part, |chunk| {
        if let Some(counting) = facets.take() {
            let line_end = memchr::memchr(b'\n', chunk);
            if head.is_empty() && line_end.is_some() {
                counting.count(chunk, level);
            } else {
                let piece = line_end.map_or(chunk.len(), |i| i + 1);
                head.extend_from_slice(&chunk[..piece.min(FACET_HEAD - head.len())]);
                if line_end.is_some() || head.len() >= FACET_HEAD {
                    counting.count(&head, level);
                } else {
                    facets = Some(counting);
                }
            }
        }
        count += memchr::memchr_iter(b'\n', chunk).count() as u64;
        last = chunk.last().copied().or(last);
        Ok(())
    })?;
    if let Some(counting) = facets {
        // A first line that is all the record holds (no newline).
        counting.count(&head, level);
    }
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
    /// The timeline made last: the intervals' version and the columns it
    /// is of.
    timeline: Mutex<Option<(u64, usize, Timeline)>>,
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
        let (from, mut line, total, mut budget) = {
            let st = lock(&self.state);
            let total = st.total_lines?;
            let cp = st
                .checkpoints
                .last_where(|cp| cp.cursor.at_or_before(cursor))?;
            let budget = LOOKUP_SPACINGS * st.checkpoints.spacing();
            (cp.cursor.clone(), cp.lines, total, budget)
        };
        let mut merge = self.counter.lock().ok()?;
        merge.seek(&from);
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
            let cp = st.checkpoints.last_where(|cp| cp.lines <= target)?;
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
            if (*intervals, *width) == (st.intervals.version(), buckets) {
                return Some(timeline.clone());
            }
        }
        let timeline = timeline_of(st.intervals.as_slice(), buckets)?;
        *cached = Some((st.intervals.version(), buckets, timeline.clone()));
        Some(timeline)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::merge::MergeOptions;
    use crate::record::in_memory;

    #[test]
    fn facets_count_every_record_also_where_its_first_line_crosses_a_block() {
        // ~2.6 MB of JSON lines of varied length, `logger` last: many lines
        // cross the reader's blocks, some inside the logger's value.
        let records = 4000;
        let text: String = (0..records)
            .map(|n| {
                format!(
                    "{{\"timestamp\":\"2024-12-20T10:{:02}:{:02}Z\",\"event\":\"{}\",\
                     \"level\":\"{}\",\"logger\":\"airflow.task.logger{}\"}}\n",
                    n / 60 % 60,
                    n % 60,
                    "x".repeat(300 + n * 7 % 500),
                    ["info", "warning", "error"][n % 3],
                    n % 5,
                )
            })
            .collect();
        let merge = Merge::new(vec![in_memory(&text)], MergeOptions::default());
        let overview = Overview::start(&merge, &[]).expect("the pass starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !overview.facets().is_some_and(|f| f.complete) {
            assert!(Instant::now() < deadline, "the pass ends");
            std::thread::sleep(Duration::from_millis(1));
        }
        let facets = overview.facets().expect("facets");
        assert_eq!(facets.records, records as u64);
        let loggers: Vec<(&str, u64)> = facets.loggers_by_count();
        assert_eq!(loggers.len(), 5, "{loggers:?}");
        assert!(
            loggers.iter().all(|&(_, n)| n == records as u64 / 5),
            "{loggers:?}"
        );
        let third = records as u64 / 3;
        assert_eq!(
            facets.levels(),
            [
                (Level::Error, third),
                (Level::Warning, third),
                (Level::Info, records as u64 - 2 * third)
            ]
        );
    }

    #[test]
    fn line_numbers_and_the_timeline_hold_after_the_indexes_thin_themselves() {
        // ~190 KB of one-line records: with 256-byte spacings and room for
        // 8 checkpoints and 16 intervals, both thin many times over.
        let lines = 4000;
        let text: String = (0..lines)
            .map(|n| {
                format!(
                    "2024-12-20T10:{:02}:{:02}Z record {n:05} {}\n",
                    n / 60 % 60,
                    n % 60,
                    "x".repeat(n % 40)
                )
            })
            .collect();
        let merge = || Merge::new(vec![in_memory(&text)], MergeOptions::default());
        let overview = Overview::counting_into(
            merge(),
            Checkpoints::with_cap(8, 256),
            Intervals::with_caps(16, 1000, 256),
        )
        .expect("the pass starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while overview.total_lines().is_none() {
            assert!(Instant::now() < deadline, "the pass ends");
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(overview.total_lines(), Some(lines as u64));
        {
            let st = lock(&overview.state);
            let (spacing, span) = (st.checkpoints.spacing(), st.intervals.span());
            assert!(spacing > 256 && span > 256, "{spacing} {span}");
        }
        let mut reader = merge();
        for n in (1..=lines as u64).step_by(97).chain([lines as u64]) {
            let (cursor, into) = overview.cursor_for_line(n).expect("a line in the log");
            assert_eq!(into, 0);
            reader.seek(&cursor);
            let record = reader.next_record().expect("read").expect("a record");
            let wanted = format!("record {:05}", n - 1);
            let mut bytes = vec![0; record.record.len() as usize];
            reader
                .layout(0)
                .source()
                .read_full_at(record.record.start, &mut bytes)
                .expect("bytes");
            assert!(
                String::from_utf8_lossy(&bytes).contains(&wanted),
                "line {n}"
            );
            assert_eq!(
                overview.line_of(&cursor, 0, record.record.start, record.record.start),
                Some((n, lines as u64)),
                "line {n} counted from its checkpoint"
            );
        }
        // Each column rounds its share of the intervals over it: at most
        // half a record off per column.
        let timeline = overview.timeline(50).expect("a timeline");
        let counted = timeline.records.iter().sum::<u32>();
        assert!(counted.abs_diff(lines as u32) <= 25, "{counted}");
    }
}
