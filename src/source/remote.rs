//! Remote sources: random access over range requests, through a small
//! bounded block cache. Nothing downloads a whole object: a jump to the end
//! fetches the last block or two, scrolling fetches the blocks on screen.
//!
//! Backends ([`RangeBackend`]) speak one protocol each — HTTP(S) with
//! `Range:` (also the Airflow worker log server) and object storage through
//! `object_store` — and share the cache, the retries and the accounting here.

mod blocks;
mod cache;
pub mod http;
pub mod object;
mod open;
mod runtime;

use std::io;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{
    compressed, describe_io_error, spool, spooled, FollowTarget, Growable, Health, MemSource,
    OpenError, Problem, Source, SourceEntry,
};
pub use open::{is_url, open_http, open_objects, open_ranged, open_url};
pub use runtime::block_on;

use blocks::Blocks;
use cache::BlockCache;

/// Bytes per cached block. Big enough that a screen is one request, small
/// enough that a jump does not fetch much more than it shows.
pub const BLOCK: u64 = 256 * 1024;

/// Blocks kept per source: 8 MiB at most, whatever the object's size.
const CACHED_BLOCKS: usize = 32;

/// Blocks per request when reading straight on (4 MiB): long enough that a
/// bucket's latency (~50 ms) is not most of a request's time, short enough
/// that several fit in the memory budget (2 MiB runs printed an object
/// 50 ms away no faster than `curl`; BENCHMARKS.md).
const MAX_RUN: u64 = 16;

/// Requests one object may have in flight for a reader going straight on:
/// object stores serve each connection at a capped rate after ~20–100 ms,
/// so throughput comes from several ranged GETs at once (as `aws s3 cp`
/// does). At most `DEPTH × MAX_RUN` blocks (16 MiB) per object.
const DEPTH: usize = 4;

/// Runs in flight or arrived but not yet read, over all remote sources of
/// the process: at most 48 MiB beside the caches, however many sources
/// (each gets a fair share, at most [`DEPTH`]).
const TOTAL_IN_FLIGHT: usize = 12;

/// Runs this far (in blocks) from where a reader goes on are dropped:
/// nobody is coming for them.
const FAR: u64 = 2 * DEPTH as u64 * MAX_RUN;

/// Attempts for one request before a transient failure becomes an error.
const ATTEMPTS: u32 = 4;

/// How long a server may send nothing before a request is given up and
/// retried, unless `--remote-timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

static TIMEOUT_MS: AtomicU64 = AtomicU64::new(DEFAULT_TIMEOUT.as_millis() as u64);

/// Sets the silence after which requests are retried (`--remote-timeout`).
/// Takes effect for clients made afterwards: call it before opening sources.
pub fn set_timeout(timeout: Duration) {
    let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
    TIMEOUT_MS.store(ms.max(1), Ordering::Relaxed);
}

/// The silence after which requests are retried.
pub fn timeout() -> Duration {
    Duration::from_millis(TIMEOUT_MS.load(Ordering::Relaxed))
}

/// "timed out" in words a user can act on.
fn timed_out() -> String {
    format!(
        "nothing arrived for {} (--remote-timeout)",
        humantime::format_duration(timeout())
    )
}

/// An object that answers shorter than it was when opened: changed under
/// its reader.
fn shrank(location: &str) -> Problem {
    Problem::new(format!(
        "{location}: the object is shorter than when opened (rewritten or replaced while it was read); what came before is shown"
    ))
}

/// Why a request failed. The text never holds credentials: backends name
/// objects by their redacted location.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RemoteError {
    #[error("not found")]
    NotFound,
    /// Refused (401/403, no credentials): `what` happened, `tip` says
    /// which setting to check.
    #[error("{what}")]
    Denied {
        what: String,
        tip: Option<&'static str>,
    },
    /// Worth retrying: timeouts, refused connections, 5xx, 429.
    #[error("{0}")]
    Transient(String),
    #[error("{0}")]
    Other(String),
}

impl RemoteError {
    fn into_io(self, what: &str) -> io::Error {
        let kind = match self {
            RemoteError::NotFound => io::ErrorKind::NotFound,
            RemoteError::Denied { .. } => io::ErrorKind::PermissionDenied,
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, format!("{what}: {self}"))
    }

    /// The error as a source's problem, with what to check.
    pub fn problem(&self) -> Problem {
        let problem = Problem::new(self.to_string());
        match self {
            RemoteError::Denied { tip: Some(tip), .. } => problem.with_tip(*tip),
            RemoteError::Transient(_) => problem.with_tip(
                "check that the server is up and reachable from here (proxy, VPN, firewall)",
            ),
            _ => problem,
        }
    }
}

/// Length and version of a remote object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    pub len: u64,
    /// ETag or Last-Modified: a different version means the object was
    /// replaced rather than appended to.
    pub version: Option<String>,
}

/// One remote protocol: the size of an object and byte ranges of it.
pub trait RangeBackend: Send + Sync {
    /// Where the object is, for messages (credentials and query removed).
    fn location(&self) -> &str;
    fn stat(&self) -> Result<Stat, RemoteError>;
    /// `range`, which starts on a block's first byte, as blocks of
    /// [`BLOCK`] bytes (the last as far as the answer went), each in a
    /// buffer of its own ([`Blocks`]) so the cache can let go of each.
    fn fetch(&self, range: Range<u64>) -> Result<Vec<Bytes>, RemoteError>;
}

/// Requests and bytes fetched by all remote sources of the process, for
/// benchmarks and `LOGWEAVE_FETCH_STATS`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FetchStats {
    pub requests: u64,
    pub bytes: u64,
}

static REQUESTS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

/// What remote sources have fetched so far.
pub fn fetch_stats() -> FetchStats {
    FetchStats {
        requests: REQUESTS.load(Ordering::Relaxed),
        bytes: BYTES.load(Ordering::Relaxed),
    }
}

/// Runs `op` until it succeeds, fails for good, or runs out of attempts,
/// waiting longer each time; reports retries to `health`.
pub fn with_retries<T>(
    health: &Health,
    what: &str,
    mut op: impl FnMut() -> Result<T, RemoteError>,
) -> Result<T, RemoteError> {
    let mut wait = Duration::from_millis(100);
    for attempt in 1..=ATTEMPTS {
        match op() {
            Err(RemoteError::Transient(reason)) if attempt < ATTEMPTS => {
                health.report(Problem::new(format!("{what}: {reason}, retrying")));
                std::thread::sleep(wait);
                wait *= 3;
            }
            Err(e) => {
                health.report(e.problem().map_what(|e| format!("{what}: {e}")));
                return Err(e);
            }
            Ok(value) => {
                health.clear();
                return Ok(value);
            }
        }
    }
    unreachable!("the last attempt returns")
}

/// A remote object as a [`Source`]: a length snapshot (like a local file)
/// over a bounded cache of fixed-size blocks. Clones and longer snapshots
/// ([`RemoteSource::with_len`]) share the cache.
#[derive(Clone)]
pub struct RemoteSource {
    shared: Arc<Shared>,
    stat: Stat,
}

struct Shared {
    backend: Arc<dyn RangeBackend>,
    cache: Mutex<BlockCache>,
    /// Runs requested ahead of readers going straight on, in the order
    /// they were asked for.
    in_flight: Mutex<Vec<InFlight>>,
    health: Arc<Health>,
    /// The last answer to "how long is it now" and when it came (follow
    /// mode asks often; the server is asked at most every [`RESTAT`]).
    latest: Mutex<Option<(Instant, Stat)>>,
}

/// Remote objects open now, to share the permits for runs ahead.
static OBJECTS: AtomicUsize = AtomicUsize::new(0);

impl Drop for Shared {
    fn drop(&mut self) {
        OBJECTS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How often follow mode asks a server for an object's length.
const RESTAT: Duration = Duration::from_secs(1);

impl RemoteSource {
    /// Asks the backend for the object's size (with retries).
    pub fn open(backend: Arc<dyn RangeBackend>, health: Arc<Health>) -> Result<Self, RemoteError> {
        let stat = with_retries(&health, backend.location(), || backend.stat())?;
        Ok(Self::with_stat(backend, stat, health))
    }

    /// A source over an object whose size is already known.
    pub fn with_stat(backend: Arc<dyn RangeBackend>, stat: Stat, health: Arc<Health>) -> Self {
        OBJECTS.fetch_add(1, Ordering::Relaxed);
        Self {
            shared: Arc::new(Shared {
                backend,
                cache: Mutex::new(BlockCache::default()),
                in_flight: Mutex::new(Vec::new()),
                health,
                latest: Mutex::new(None),
            }),
            stat,
        }
    }

    /// Caches `head` as block 0 when it is the whole block (what the size
    /// probe brought).
    fn seed_first_block(&self, head: Bytes) {
        if !head.is_empty() && head.len() as u64 == BLOCK.min(self.stat.len) {
            self.lock_cache().insert(0, head);
        }
    }

    /// Length and version of this snapshot.
    pub fn stat(&self) -> &Stat {
        &self.stat
    }

    /// Where the object is (redacted).
    pub fn location(&self) -> &str {
        self.shared.backend.location()
    }

    /// The same object with another length snapshot (sharing the cache).
    pub fn with_len(&self, len: u64) -> RemoteSource {
        let version = self
            .latest()
            .map_or(self.stat.version.clone(), |s| s.version);
        RemoteSource {
            shared: self.shared.clone(),
            stat: Stat { len, version },
        }
    }

    fn latest(&self) -> Option<Stat> {
        lock(&self.shared.latest).as_ref().map(|(_, s)| s.clone())
    }

    /// The object as the server has it now: its length and version, asked
    /// at most every second. A failed look keeps the last answer and
    /// reports to the source's health.
    pub fn current_stat(&self) -> Stat {
        let mut latest = lock(&self.shared.latest);
        if let Some((at, stat)) = latest.as_ref() {
            if at.elapsed() < RESTAT {
                return stat.clone();
            }
        }
        let known = latest
            .as_ref()
            .map_or_else(|| self.stat.clone(), |(_, s)| s.clone());
        let now = match self.shared.backend.stat() {
            Ok(stat) => {
                self.shared.health.clear();
                stat
            }
            Err(e) => {
                self.shared.health.report(
                    e.problem()
                        .map_what(|e| format!("{}: {e}", self.location())),
                );
                known
            }
        };
        *latest = Some((Instant::now(), now.clone()));
        now
    }

    /// Forgets every cached block (the object was replaced).
    pub fn forget(&self) {
        *lock(&self.shared.cache) = BlockCache::default();
        lock(&self.shared.in_flight).clear();
    }

    /// Block `index`, which is not cached, for a read that wants `wanted`
    /// blocks from there. A run already on its way is waited for; else the
    /// block is fetched with as many after it as the reader is likely to
    /// want. Either way, once readers look like going straight on, the
    /// runs after it are requested too (up to [`DEPTH`] at once), so the
    /// network works ahead of the reader.
    fn fetch_from(&self, index: u64, wanted: u64) -> io::Result<Bytes> {
        let last = (self.stat.len - 1) / BLOCK;
        if let Some(run) = self.in_flight_with(index) {
            let ahead = self.lock_cache().bump_streak();
            let block = self.block_from(&run, index)?;
            self.request_ahead(index, run.first + run.count, ahead);
            return Ok(block);
        }
        let ahead = {
            let mut cache = self.lock_cache();
            // Fetched, not only read: another worker may be reading the
            // run before this block right now.
            if index > 0 && cache.was_fetched(index - 1) {
                cache.bump_streak()
            } else {
                cache.streak = 0;
                1
            }
        }
        .max(wanted);
        // Up to the first block fetched before: a reader crossing into
        // ground read already (a search chunk's last line, read on into
        // the next chunk) wants one block, not a run of them again.
        let most = ahead.min(MAX_RUN).min(last - index + 1);
        let count = {
            let cache = self.lock_cache();
            (1..most)
                .find(|&i| cache.was_fetched(index + i))
                .unwrap_or(most)
        };
        // This run is listed too, while it travels, so that another reader
        // wanting its blocks waits for it instead of fetching them again.
        let run = RunRef {
            first: index,
            count,
            slot: Arc::new(Slot::default()),
        };
        lock(&self.shared.in_flight).push(InFlight {
            first: index,
            count,
            len: self.stat.len,
            slot: run.slot.clone(),
            unread: all_unread(count),
            // The reader's own run: one per reader, not one of the permits.
            permit: None,
        });
        self.lock_cache().mark_fetched(index..index + count);
        // The runs after this one go out first, so that they travel while
        // this one is waited for.
        self.request_ahead(index, index + count, ahead);
        let answer = fetch_run(&self.shared, self.stat.len, index, count);
        if let Err(e) = &answer {
            run.slot.fill(answer.clone());
            lock(&self.shared.in_flight).retain(|r| !Arc::ptr_eq(&r.slot, &run.slot));
            return Err(e.clone().into_io(self.location()));
        }
        run.slot.fill(answer);
        self.block_from(&run, index)
    }

    /// Fetches blocks `first..first + count` in one request and caches them.
    fn fetch_blocks(&self, first: u64, count: u64) -> io::Result<Run> {
        let location = self.location();
        let data = fetch_run(&self.shared, self.stat.len, first, count)
            .map_err(|e| e.into_io(location))?;
        Ok(self.cache_run(first, count, data))
    }

    /// The run requested ahead that holds block `index`, if any.
    fn in_flight_with(&self, index: u64) -> Option<RunRef> {
        lock(&self.shared.in_flight)
            .iter()
            .find(|run| run.len == self.stat.len && run.blocks().contains(&index))
            .map(|run| RunRef {
                first: run.first,
                count: run.count,
                slot: run.slot.clone(),
            })
    }

    /// Block `index` of `run`, once the run has arrived. Only that block
    /// goes into the cache: the rest of the run waits outside it for its
    /// reader, so runs requested ahead never push blocks out of the cache
    /// before they are read (two search workers taking turns did). A run
    /// that failed is fetched
    /// again here, with retries and reports (the request ahead told no
    /// one: the reader might never have come).
    fn block_from(&self, run: &RunRef, index: u64) -> io::Result<Bytes> {
        let arrived = run.slot.wait();
        {
            // Let go of the run once each of its blocks was read: readers
            // do not go in order (a print slice looks up where the next
            // slice starts before it reads its own).
            let mut in_flight = lock(&self.shared.in_flight);
            if let Some(at) = in_flight
                .iter()
                .position(|r| Arc::ptr_eq(&r.slot, &run.slot))
            {
                let entry = &mut in_flight[at];
                entry.unread &= !(1u32 << (index - run.first));
                if entry.unread == 0 || arrived.is_err() {
                    in_flight.remove(at);
                }
            }
        }
        let blocks = match arrived {
            Ok(blocks) => blocks,
            Err(_) => {
                let blocks = self.fetch_blocks(run.first, run.count)?;
                return Ok(block_of(&blocks, index - run.first));
            }
        };
        // Each block has a buffer of its own (`Blocks`): caching it holds
        // no other block of the run.
        let block = block_of(&blocks, index - run.first);
        if (block.len() as u64) < BLOCK.min(self.stat.len - index * BLOCK) {
            self.shared.health.report(shrank(self.location()));
        }
        self.lock_cache().insert(index, block.clone());
        Ok(block)
    }

    /// Requests, each on a thread of its own, the blocks from `from` up to
    /// `reader + ahead` that were never fetched and are not on their way
    /// (going over read ground fetches on demand only), in runs of
    /// up to [`MAX_RUN`] blocks, as far as [`DEPTH`] and the process-wide
    /// [`TOTAL_IN_FLIGHT`] allow. Runs far from `reader` are dropped first.
    fn request_ahead(&self, reader: u64, from: u64, ahead: u64) {
        let last = (self.stat.len - 1) / BLOCK;
        let end = (reader + ahead).min(last + 1);
        let mut in_flight = lock(&self.shared.in_flight);
        let len = self.stat.len;
        in_flight.retain(|run| {
            run.len == len && run.first + run.count + FAR > reader && run.first < reader + FAR
        });
        let mut next = from;
        // A fair share of the permits: the merge of three objects waits
        // for the slowest, so one object must not hold them all.
        let share = (TOTAL_IN_FLIGHT / OBJECTS.load(Ordering::Relaxed).max(1)).clamp(1, DEPTH);
        while next < end && in_flight.iter().filter(|run| run.permit.is_some()).count() < share {
            let missing = |b: u64| {
                !in_flight.iter().any(|run| run.blocks().contains(&b))
                    && !self.lock_cache().was_fetched(b)
            };
            if !missing(next) {
                next += 1;
                continue;
            }
            let mut count = 1;
            while count < MAX_RUN && next + count < end && missing(next + count) {
                count += 1;
            }
            let Some(permit) = Permit::try_take() else {
                return;
            };
            let slot = Arc::new(Slot::default());
            let shared = self.shared.clone();
            let first = next;
            let filled = slot.clone();
            let started = std::thread::Builder::new()
                .name("logweave-fetch-ahead".into())
                .spawn(move || {
                    // Readers wait for the slot: it is filled whatever happens.
                    let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        fetch_once(&shared, len, first, count)
                    }))
                    .unwrap_or_else(|_| Err(RemoteError::Other("the request failed".into())));
                    filled.fill(answer);
                });
            if started.is_err() {
                return;
            }
            in_flight.push(InFlight {
                first,
                count,
                len,
                slot,
                unread: all_unread(count),
                permit: Some(permit),
            });
            self.lock_cache().mark_fetched(first..first + count);
            next += count;
        }
    }

    /// Caches the blocks of a fetched run.
    fn cache_run(&self, first: u64, count: u64, blocks: Run) -> Run {
        let end = ((first + count) * BLOCK).min(self.stat.len);
        let got: u64 = blocks.iter().map(|b| b.len() as u64).sum();
        if got < end - first * BLOCK {
            // The object shrank or was replaced under us: what we have is
            // still right for the offsets it covers.
            self.shared.health.report(shrank(self.location()));
        }
        let mut cache = self.lock_cache();
        for (i, block) in blocks.iter().enumerate() {
            cache.insert(first + i as u64, block.clone());
        }
        blocks
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, BlockCache> {
        lock(&self.shared.cache)
    }
}

/// Blocks `first..first + count` of an object of `len` bytes, in one
/// request (with retries, reported to the source's health).
fn fetch_run(shared: &Shared, len: u64, first: u64, count: u64) -> Result<Run, RemoteError> {
    with_retries(&shared.health, shared.backend.location(), || {
        fetch_once(shared, len, first, count)
    })
}

/// [`fetch_run`] in one attempt, telling no one: what a read-ahead does,
/// since the reader may never need its blocks, and fetches (retrying and
/// reporting) itself if it does.
fn fetch_once(shared: &Shared, len: u64, first: u64, count: u64) -> Result<Run, RemoteError> {
    let start = first * BLOCK;
    let end = ((first + count) * BLOCK).min(len);
    REQUESTS.fetch_add(1, Ordering::Relaxed);
    let blocks = shared.backend.fetch(start..end)?;
    let bytes: u64 = blocks.iter().map(|b| b.len() as u64).sum();
    BYTES.fetch_add(bytes, Ordering::Relaxed);
    Ok(Arc::new(blocks))
}

/// The blocks of one answer, shared by the readers waiting for it.
type Run = Arc<Vec<Bytes>>;

/// The block at `at` of a run, or an empty one past its end (the object
/// shrank under us).
fn block_of(blocks: &[Bytes], at: u64) -> Bytes {
    blocks.get(at as usize).cloned().unwrap_or_default()
}

/// A run of blocks requested ahead of a reader: being fetched, or arrived
/// and waiting for its blocks to be read. It holds one of the process's
/// [`TOTAL_IN_FLIGHT`] permits until it is taken or dropped, so the bytes
/// held for runs are bounded however many sources read at once.
struct InFlight {
    first: u64,
    count: u64,
    /// The length of the snapshot that asked: another snapshot of the
    /// object (follow mode) fetches for itself.
    len: u64,
    slot: Arc<Slot>,
    /// Its blocks not read yet, one bit each.
    unread: u32,
    permit: Option<Permit>,
}

/// The `unread` bits of a run of `count` blocks (at most [`MAX_RUN`]).
fn all_unread(count: u64) -> u32 {
    const _: () = assert!(MAX_RUN <= 32, "a run's blocks fit in `unread`");
    1u32.checked_shl(count as u32)
        .map_or(u32::MAX, |bit| bit - 1)
}

/// What a reader needs of an [`InFlight`] run, taken out under the lock.
struct RunRef {
    first: u64,
    count: u64,
    slot: Arc<Slot>,
}

/// Where a run requested ahead lands; any number of readers may wait.
#[derive(Default)]
struct Slot {
    answer: Mutex<Option<Result<Run, RemoteError>>>,
    arrived: std::sync::Condvar,
}

impl Slot {
    fn fill(&self, answer: Result<Run, RemoteError>) {
        *lock(&self.answer) = Some(answer);
        self.arrived.notify_all();
    }

    /// The answer, once there (requests time out, so this ends).
    fn wait(&self) -> Result<Run, RemoteError> {
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
    fn blocks(&self) -> Range<u64> {
        self.first..self.first + self.count
    }
}

/// Runs in flight now, over all remote sources.
static RUNS_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// One of the [`TOTAL_IN_FLIGHT`] runs the process may have on their way.
struct Permit;

impl Permit {
    fn try_take() -> Option<Permit> {
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

/// A lock whose holder panicked leaves at worst a stale cache order.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Source for RemoteSource {
    fn len(&self) -> u64 {
        self.stat.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if offset >= self.stat.len || buf.is_empty() {
            return Ok(0);
        }
        let index = offset / BLOCK;
        // A block cached when the object was shorter may be short: fetch
        // it again when this snapshot reaches further.
        let full = BLOCK.min(self.stat.len - index * BLOCK) as usize;
        let cached = self
            .lock_cache()
            .get(index)
            .filter(|block| block.len() >= full);
        let block = match cached {
            Some(block) => block,
            None => {
                // A read of several blocks says what it wants (a search
                // worker's 1 MiB); the merge's 64 KiB leaves it to the guess.
                let wanted = (offset + buf.len() as u64).div_ceil(BLOCK) - index;
                self.fetch_from(index, wanted.min(MAX_RUN))?
            }
        };
        let within = (offset - index * BLOCK) as usize;
        if within >= block.len() {
            return Ok(0);
        }
        let n = buf.len().min(block.len() - within);
        buf[..n].copy_from_slice(&block[within..within + n]);
        Ok(n)
    }

    fn is_remote(&self) -> bool {
        true
    }

    fn failure(&self) -> Option<Problem> {
        self.shared.health.problem()
    }
}

/// Removes credentials from a URL before it is shown anywhere: the user
/// part (`user:password@`) and the query (presigned URLs carry signatures).
pub fn redact(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some(parts) => parts,
        None => return url.to_string(),
    };
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (authority, path) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    let host = authority.rsplit('@').next().unwrap_or(authority);
    format!("{scheme}://{host}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// An in-memory backend that counts requests, bytes and requests at
    /// once, to check the cache; optionally slow, optionally failing first.
    #[derive(Default)]
    struct Counting {
        data: Vec<u8>,
        requests: AtomicUsize,
        bytes: AtomicUsize,
        fail_first: AtomicUsize,
        /// Each request takes this long (requests in flight overlap).
        delay: Duration,
        active: AtomicUsize,
        most: AtomicUsize,
    }

    impl RangeBackend for Counting {
        fn location(&self) -> &str {
            "mem://test"
        }
        fn stat(&self) -> Result<Stat, RemoteError> {
            Ok(Stat {
                len: self.data.len() as u64,
                version: None,
            })
        }
        fn fetch(&self, range: Range<u64>) -> Result<Vec<Bytes>, RemoteError> {
            self.requests.fetch_add(1, Ordering::SeqCst);
            if self.fail_first.load(Ordering::SeqCst) > 0 {
                self.fail_first.fetch_sub(1, Ordering::SeqCst);
                return Err(RemoteError::Transient("connection reset".into()));
            }
            let now = self.active.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(self.delay);
            self.active.fetch_sub(1, Ordering::SeqCst);
            let data = &self.data[range.start as usize..range.end as usize];
            self.bytes.fetch_add(data.len(), Ordering::SeqCst);
            let mut blocks = Blocks::new(data.len() as u64);
            blocks.push(data);
            Ok(blocks.finish())
        }
    }

    fn source(len: usize, fail_first: usize) -> (Arc<Counting>, RemoteSource) {
        let backend = Arc::new(Counting {
            data: (0..len).map(|i| (i % 251) as u8).collect(),
            fail_first: AtomicUsize::new(fail_first),
            ..Counting::default()
        });
        let source = RemoteSource::open(backend.clone(), Arc::new(Health::default()))
            .expect("in-memory backend opens");
        (backend, source)
    }

    #[test]
    fn reads_match_the_object_at_any_offset() {
        let len = 3 * BLOCK as usize + 123;
        let (backend, source) = source(len, 0);
        for &offset in &[0, 1, BLOCK - 1, BLOCK, 2 * BLOCK + 7, len as u64 - 5] {
            let mut buf = vec![0u8; 1000];
            let n = source.read_full_at(offset, &mut buf).unwrap();
            let want = &backend.data[offset as usize..(offset as usize + 1000).min(len)];
            assert_eq!(&buf[..n], want, "at {offset}");
        }
        let mut buf = [0u8; 4];
        assert_eq!(source.read_at(len as u64, &mut buf).unwrap(), 0);
    }

    #[test]
    fn a_jump_fetches_one_block_and_rereads_are_cached() {
        let len = 100 * BLOCK as usize;
        let (backend, source) = source(len, 0);
        let mut buf = vec![0u8; 4096];
        source.read_at(len as u64 - 4096, &mut buf).unwrap();
        source.read_at(len as u64 - 8192, &mut buf).unwrap();
        assert_eq!(backend.requests.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn reading_straight_on_uses_growing_runs_read_ahead_and_bounded_memory() {
        let len = 200 * BLOCK as usize + 1234;
        let (backend, source) = source(len, 0);
        let mut buf = vec![0u8; 64 * 1024];
        let mut offset = 0;
        while offset < len as u64 {
            let n = source.read_at(offset, &mut buf).unwrap();
            let at = offset as usize;
            assert_eq!(&buf[..n], &backend.data[at..at + n], "at {offset}");
            offset += n as u64;
        }
        let requests = backend.requests.load(Ordering::SeqCst);
        assert!(
            // The ramp (1, 2, 4, 8 blocks), then full runs.
            requests <= 201 / MAX_RUN as usize + 6,
            "{requests} requests"
        );
        assert_eq!(
            backend.bytes.load(Ordering::SeqCst),
            len,
            "each byte is fetched once, read-ahead included"
        );
        assert!(source.lock_cache().len() <= CACHED_BLOCKS);
    }

    #[test]
    fn reading_straight_on_keeps_several_requests_in_flight_but_no_more_than_depth() {
        let len = 300 * BLOCK as usize + 77;
        let backend = Arc::new(Counting {
            data: (0..len).map(|i| (i % 253) as u8).collect(),
            delay: Duration::from_millis(5),
            ..Counting::default()
        });
        let source = RemoteSource::open(backend.clone(), Arc::new(Health::default())).unwrap();
        let mut buf = vec![0u8; 64 * 1024];
        let mut offset = 0;
        while offset < len as u64 {
            let n = source.read_at(offset, &mut buf).unwrap();
            let at = offset as usize;
            assert_eq!(&buf[..n], &backend.data[at..at + n], "at {offset}");
            offset += n as u64;
        }
        let most = backend.most.load(Ordering::SeqCst);
        // The reader's own request and the ones ahead of it.
        assert!(
            (2..=DEPTH + 1).contains(&most),
            "{most} requests at once (other tests may hold some of the process's permits)"
        );
        assert_eq!(backend.bytes.load(Ordering::SeqCst), len, "each byte once");
        assert!(lock(&source.shared.in_flight).len() <= DEPTH);
        assert!(RUNS_IN_FLIGHT.load(Ordering::SeqCst) <= TOTAL_IN_FLIGHT);
    }

    #[test]
    fn paging_down_a_screen_at_a_time_fetches_little_ahead() {
        let len = 100 * BLOCK as usize;
        let (backend, source) = source(len, 0);
        let mut buf = vec![0u8; 4096];
        // Three screens, block by block: runs of 2, 4, 8 blocks at most.
        for offset in (0..3 * BLOCK).step_by(4096) {
            source.read_full_at(offset, &mut buf).unwrap();
        }
        let bytes = backend.bytes.load(Ordering::SeqCst) as u64;
        assert!(bytes <= 16 * BLOCK, "{} blocks fetched", bytes / BLOCK);
    }

    #[test]
    fn a_jump_away_leaves_the_read_ahead_unused_and_reads_stay_right() {
        let len = 100 * BLOCK as usize;
        let (backend, source) = source(len, 0);
        let mut buf = vec![0u8; 64 * 1024];
        // Straight on long enough to start a read-ahead…
        for offset in (0..40 * BLOCK).step_by(buf.len()) {
            source.read_full_at(offset, &mut buf).unwrap();
        }
        assert!(
            !lock(&source.shared.in_flight).is_empty(),
            "runs were requested ahead"
        );
        // …then elsewhere, and back into the range it fetched.
        for &offset in &[90 * BLOCK + 5, 30 * BLOCK + 7, 45 * BLOCK] {
            let n = source.read_full_at(offset, &mut buf).unwrap();
            let at = offset as usize;
            assert_eq!(&buf[..n], &backend.data[at..at + n], "at {offset}");
        }
    }

    /// The search's pattern: two workers take 8 MiB chunks from the end
    /// backwards, each read forwards in 1 MiB reads and 64 KiB on into the
    /// chunk after it (for the line crossing the border), which was read
    /// before. Each byte is fetched about once (it was 1.5× when that 64 KiB
    /// fetched a whole run again).
    #[test]
    fn search_workers_going_backwards_over_chunks_fetch_each_byte_about_once() {
        let len = 96 * BLOCK as usize;
        let backend = Arc::new(Counting {
            data: vec![7u8; len],
            delay: Duration::from_millis(5),
            ..Counting::default()
        });
        let source = RemoteSource::open(backend.clone(), Arc::new(Health::default())).unwrap();
        let chunk = 8 * BLOCK;
        let chunks = len as u64 / chunk;
        let next = AtomicU64::new(0);
        std::thread::scope(|scope| {
            for _ in 0..2 {
                scope.spawn(|| {
                    let mut buf = vec![0u8; 4 * BLOCK as usize];
                    loop {
                        let taken = next.fetch_add(1, Ordering::SeqCst);
                        if taken >= chunks {
                            break;
                        }
                        let c = chunks - 1 - taken;
                        let mut at = c * chunk;
                        let end = ((c + 1) * chunk + 64 * 1024).min(len as u64);
                        while at < end {
                            let want = buf.len().min((end - at) as usize);
                            at += source.read_full_at(at, &mut buf[..want]).unwrap() as u64;
                        }
                    }
                });
            }
        });
        let fetched = backend.bytes.load(Ordering::SeqCst);
        assert!(
            fetched <= len + len / 10,
            "{:.2}× the object fetched",
            fetched as f64 / len as f64
        );
    }

    #[test]
    fn transient_failures_are_retried() {
        let (backend, source) = source(1000, 2);
        let mut buf = [0u8; 10];
        assert_eq!(source.read_at(0, &mut buf).unwrap(), 10);
        assert_eq!(backend.requests.load(Ordering::SeqCst), 3);
        assert_eq!(source.shared.health.problem(), None);
    }

    #[test]
    fn persistent_failures_become_errors_and_health_reports() {
        let (_, source) = source(1000, 100);
        let mut buf = [0u8; 10];
        let err = source.read_at(0, &mut buf).unwrap_err();
        assert!(err.to_string().contains("connection reset"), "{err}");
        assert!(source.shared.health.problem().is_some());
    }

    #[test]
    fn redact_removes_user_info_and_query() {
        assert_eq!(
            redact("https://bob:s3cret@host:8080/a/b?X-Amz-Signature=abc#x"),
            "https://host:8080/a/b"
        );
        assert_eq!(redact("s3://bucket/key"), "s3://bucket/key");
        assert_eq!(redact("http://host"), "http://host");
    }
}
