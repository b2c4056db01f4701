//! Counting hits in the background: "hit 12 of 3,402". One merge over the
//! whole (filtered) stream counts matching lines and keeps a checkpoint
//! (cursor, hits above) per MiB, so the index of any hit is a short count
//! from the nearest checkpoint. Dropping the handle stops the count: a new
//! search replaces the old one.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

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
    let (mut hits, mut since) = (0u64, 0u64);
    while let Some(record) = merge.next_record()? {
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        hits += matching_lines(merge, &record, matcher)?;
        since += record.record.len();
        if since >= CHECKPOINT_BYTES {
            since = 0;
            let mut st = lock(state);
            st.checkpoints.push((merge.cursor(), hits));
            st.bytes_done = merge.bytes_above();
            drop(st);
            waker.progressed();
        }
    }
    let mut st = lock(state);
    st.total = Some(hits);
    st.bytes_done = merge.bytes_above();
    Ok(())
}
