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
mod in_flight;
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
use in_flight::{all_unread, block_of, InFlight, Permit, Run, RunRef, Slot};

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
    /// buffer of its own, so the cache can let go of each.
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
mod tests;
