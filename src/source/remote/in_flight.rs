//! Runs of blocks on their way: the reader's own and those requested
//! ahead of it, each with a slot any number of readers wait on, and the
//! process-wide permits that bound the bytes they hold.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::{lock, RemoteError, MAX_RUN, TOTAL_IN_FLIGHT};

/// The blocks of one answer, shared by the readers waiting for it.
pub(super) type Run = Arc<Vec<Bytes>>;

/// The block at `at` of a run, or an empty one past its end (the object
/// shrank under us).
pub(super) fn block_of(blocks: &[Bytes], at: u64) -> Bytes {
    blocks.get(at as usize).cloned().unwrap_or_default()
}

/// A run of blocks requested ahead of a reader: being fetched, or arrived
/// and waiting for its blocks to be read. It holds one of the process's
/// [`TOTAL_IN_FLIGHT`] permits until it is taken or dropped, so the bytes
/// held for runs are bounded however many sources read at once.
pub(super) struct InFlight {
    pub(super) first: u64,
    pub(super) count: u64,
    /// The length of the snapshot that asked: another snapshot of the
    /// object (follow mode) fetches for itself.
    pub(super) len: u64,
    pub(super) slot: Arc<Slot>,
    /// Its blocks not read yet, one bit each.
    pub(super) unread: u32,
    pub(super) permit: Option<Permit>,
}

/// The `unread` bits of a run of `count` blocks (at most [`MAX_RUN`]).
pub(super) fn all_unread(count: u64) -> u32 {
    const _: () = assert!(MAX_RUN <= 32, "a run's blocks fit in `unread`");
    1u32.checked_shl(count as u32)
        .map_or(u32::MAX, |bit| bit - 1)
}

/// What a reader needs of an [`InFlight`] run, taken out under the lock.
pub(super) struct RunRef {
    pub(super) first: u64,
    pub(super) count: u64,
    pub(super) slot: Arc<Slot>,
}

/// Where a run requested ahead lands; any number of readers may wait.
#[derive(Default)]
pub(super) struct Slot {
    answer: Mutex<Option<Result<Run, RemoteError>>>,
    arrived: std::sync::Condvar,
}

impl Slot {
    pub(super) fn fill(&self, answer: Result<Run, RemoteError>) {
        *lock(&self.answer) = Some(answer);
        self.arrived.notify_all();
    }

    /// The answer, once there (requests time out, so this ends).
    pub(super) fn wait(&self) -> Result<Run, RemoteError> {
        let mut answer = lock(&self.answer);
        loop {
            if let Some(answer) = answer.as_ref() {
                return answer.clone();
            }
            answer = self.arrived.wait(answer).unwrap_or_else(|e| e.into_inner());
        }
    }
}

impl InFlight {
    pub(super) fn blocks(&self) -> Range<u64> {
        self.first..self.first + self.count
    }
}

/// Runs in flight now, over all remote sources.
pub(super) static RUNS_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// One of the [`TOTAL_IN_FLIGHT`] runs the process may have on their way.
pub(super) struct Permit;

impl Permit {
    pub(super) fn try_take() -> Option<Permit> {
        // Taken, then given back if it was one too many: at most
        // TOTAL_IN_FLIGHT takers ever keep one.
        if RUNS_IN_FLIGHT.fetch_add(1, Ordering::AcqRel) < TOTAL_IN_FLIGHT {
            Some(Permit)
        } else {
            RUNS_IN_FLIGHT.fetch_sub(1, Ordering::AcqRel);
            None
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        RUNS_IN_FLIGHT.fetch_sub(1, Ordering::AcqRel);
    }
}
