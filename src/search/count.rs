//! Counting hits in the background: "hit 12 of 3,402". The sources are
//! searched whole first; then the merge (filtered) counts the matching lines
//! of the records around the hits only ([`super::around`]; all of it when
//! hits are everywhere) and keeps a checkpoint (cursor, hits above) per MiB
//! and where each range starts, so the index of any hit is a short count
//! from the nearest checkpoint. Dropping the handle stops the count: a new
//! search replaces the old one.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::around::{self, HitRanges, Range, Survey};
use super::hits::HitMap;
use super::matcher::Matcher;
use super::{matching_line_count_before, matching_lines, Hit};
use crate::merge::{Cursor, Merge};
use crate::overview::{Wake, Waker};

const CHECKPOINT_BYTES: u64 = 1024 * 1024;

/// How far an index lookup may merge from its checkpoint.
const LOOKUP_BUDGET: u64 = 8 * CHECKPOINT_BYTES;

#[derive(Default)]
struct State {
    checkpoints: Vec<(Cursor, u64)>,
    total: Option<u64>,
    bytes_done: u64,
}

/// A running or finished count.
pub struct HitCount {
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    lookup: Mutex<Merge>,
    matcher: Arc<Matcher>,
    total_bytes: u64,
}

impl Drop for HitCount {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl HitCount {
    /// Starts counting `matcher`'s hits over a copy of `merge` (same
    /// sources, dedup and filter).
    /// `wake`, if given, is called as the count moves on and when it ends.
    pub fn start(merge: &Merge, matcher: Arc<Matcher>, wake: Option<Wake>) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let total_bytes = merge.total_len();
        let mut scan = merge.fork();
        let waker = Waker::default();
        if let Some(wake) = wake {
            waker.set(wake);
        }
        {
            let (state, stop, matcher) = (state.clone(), stop.clone(), matcher.clone());
            let _ = std::thread::Builder::new()
                .name("hit-count".into())
                .spawn(move || {
                    let _ = count(&mut scan, &matcher, &state, &stop, &waker);
                    waker.finished();
                });
        }
        Self {
            state,
            stop,
            lookup: Mutex::new(merge.fork()),
            matcher,
            total_bytes,
        }
    }

    /// Total hits, once counted.
    pub fn total(&self) -> Option<u64> {
        lock(&self.state).total
    }

    /// Percent counted while counting.
    pub fn progress(&self) -> Option<u8> {
        let st = lock(&self.state);
        if st.total.is_some() {
            return None;
        }
        Some((st.bytes_done * 100 / self.total_bytes.max(1)).min(99) as u8)
    }

    /// 1-based index of `hit` among all hits, once counted.
    pub fn index_of(&self, hit: &Hit) -> Option<u64> {
        let (from, mut hits) = {
            let st = lock(&self.state);
            st.total?;
            let k = st
                .checkpoints
                .partition_point(|(c, _)| c.at_or_before(&hit.cursor));
            st.checkpoints.get(k.checked_sub(1)?).cloned()?
        };
        let mut merge = self.lookup.lock().ok()?;
        merge.seek(&from);
        let mut budget = LOOKUP_BUDGET;
        while let Some(record) = merge.next_record().ok()? {
            if record.source == hit.source && record.record.start == hit.record_start {
                hits +=
                    matching_line_count_before(&mut merge, &record, &self.matcher, hit.line_start)
                        .ok()?;
                return Some(hits + 1);
            }
            hits += matching_lines(&mut merge, &record, &self.matcher).ok()?;
            budget = budget.checked_sub(record.record.len())?;
        }
        None
    }
}

fn count(
    merge: &mut Merge,
    matcher: &Matcher,
    state: &Mutex<State>,
    stop: &AtomicBool,
    waker: &Waker,
) -> io::Result<()> {
    merge.seek_start();
    lock(state).checkpoints.push((merge.cursor(), 0));
    let mut counter = Counter {
        hits: 0,
        since: 0,
        state,
        waker,
    };
    // The sources searched whole first: only the records around the hits
    // are merged, and a record in no block with a hit has none.
    let survey = around::survey(merge, std::slice::from_ref(&matcher.counting_apart()), stop)?;
    match survey {
        Survey::Nothing => {}
        Survey::Dense(maps) => walk(merge, matcher, &maps, &mut counter, stop, None)?,
        Survey::Sparse(maps) => {
            let mut ranges = HitRanges::new(merge, &maps);
            let mut merged_to: Option<i64> = None;
            while let Some(range) = ranges.next(merge)? {
                if stop.load(Ordering::Relaxed) {
                    return Ok(());
                }
                let Range::Keys(lo, hi) = range else {
                    // A source's keys go back: the merge walked on.
                    walk(merge, matcher, &maps, &mut counter, stop, None)?;
                    break;
                };
                if merged_to.is_none_or(|to| lo >= to) {
                    merge.seek_time(lo)?;
                    // Every hit above is counted: the records between the
                    // ranges have none.
                    lock(state).checkpoints.push((merge.cursor(), counter.hits));
                }
                let limit = hi.saturating_add(1);
                walk(merge, matcher, &maps, &mut counter, stop, Some(limit))?;
                merged_to = Some(limit);
            }
        }
    }
    if stop.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut st = lock(state);
    st.total = Some(counter.hits);
    st.bytes_done = merge.total_len();
    Ok(())
}

/// Hits counted so far, and the bytes merged since the last checkpoint.
struct Counter<'a> {
    hits: u64,
    since: u64,
    state: &'a Mutex<State>,
    waker: &'a Waker,
}

/// Counts the hits of the records from the merge's cursor on (up to keys
/// below `limit`), a checkpoint a MiB.
fn walk(
    merge: &mut Merge,
    matcher: &Matcher,
    maps: &[HitMap],
    counter: &mut Counter,
    stop: &AtomicBool,
    limit: Option<i64>,
) -> io::Result<()> {
    loop {
        let record = match limit {
            Some(limit) => merge.next_record_before(limit)?,
            None => merge.next_record()?,
        };
        let Some(record) = record else {
            return Ok(());
        };
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        if maps[record.source].any_in(record.record.start, record.record.end) {
            counter.hits += matching_lines(merge, &record, matcher)?;
        }
        counter.since += record.record.len();
        if counter.since >= CHECKPOINT_BYTES {
            counter.since = 0;
            let mut st = lock(counter.state);
            st.checkpoints.push((merge.cursor(), counter.hits));
            st.bytes_done = merge.bytes_above();
            drop(st);
            counter.waker.progressed();
        }
    }
}
