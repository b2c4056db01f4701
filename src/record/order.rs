//! A source's canonical order: its records in time order wherever they are
//! out of order by at most the reorder window, in file order beyond it.
//!
//! Airflow 3 writes a task's file in arrival order: stdout lines stamped when
//! the supervisor read them, logging records stamped when they were emitted
//! and arriving later. Such a file is never far from time order (hundreds of
//! milliseconds, a few hundred records) but is almost never in it, and
//! boundaries where everything before is earlier than everything after are
//! megabytes apart. So the order is defined chunk by chunk:
//!
//! * **Chunks.** The file is cut into chunks at record boundaries. Each cell
//!   of [`CELL`] bytes holds at most one chunk boundary: the first *natural
//!   cut* in it (a boundary where no record in the `reach` bytes before is
//!   later than a record in the `reach` bytes after), or, in every
//!   [`FORCED_EVERY`]th cell that has none (after one without a cut), its
//!   first record boundary, where records near it change sides by their
//!   time (an exchange). A
//!   cell's decision depends only on the bytes around it, and once made it is
//!   kept for the source (a followed file decides its last cells with what
//!   it holds then), so existing records never change chunk.
//! * **Keys.** Inside a chunk a record's key is its time, unless it is more
//!   than the reorder window earlier than a record before it in the chunk (or
//!   in the [`TAIL`] bytes before the chunk), or is part of a short run
//!   of records far later than the records on both sides of it (a
//!   *spike*: a printed line with a date that is not the log's): then it is
//!   *late*, and its key is the latest time before it, which keeps it in
//!   file order.
//! * **Order.** Chunks follow each other in file order; inside a chunk,
//!   records are sorted by `(key, byte offset)`.
//!
//! A position ([`Pos`]) is a chunk and a threshold `(key, offset)` inside it,
//! so a cursor partitions every source exactly whatever its disorder, and the
//! same records lie above it whichever way one arrived. Keys rise through a
//! chunk and, across cuts (a forced one's exchange moves the records near
//! it to their side), from one chunk to the next; only after a clock stepped
//! back for longer than a chunk, or where disorder reaches further than a
//! cut looked (a natural cut's `reach`, a forced cut's cell on each side),
//! can a key be lower than the one before it.

mod chunk;
mod cut;

use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, TryLockError, Weak};

use super::file_order::FileReader;
use super::split::BlockReader;
use super::timestamp::Nanos;
use super::Record;
pub use chunk::Chunk;

/// Bytes per cell: at most one chunk boundary is looked for in each.
pub const CELL: u64 = 1 << 20;

/// Every this many cells a chunk starts even without a natural cut, which
/// bounds a chunk (and what sorting it holds) in a log that is never in order.
pub const FORCED_EVERY: u64 = 16;

/// Bytes before a chunk whose records' times its records are kept after.
pub const TAIL: u64 = 64 * 1024;

/// The reorder window when none is configured: Airflow 3's logging records
/// were seen up to 1.8 s late on a loaded worker.
pub const DEFAULT_WINDOW: Nanos = 3_000_000_000;

/// Bounds of the natural-cut reach, which a source's measured disorder sets.
pub const MIN_REACH: u64 = 16 * 1024;
pub const MAX_REACH: u64 = 2 << 20;

/// Chunks kept per source for other readers (the overview, a search)
/// beyond those some reader stands in, which every reader finds.
const CACHED_CHUNKS: usize = 2;

/// Chunks remembered as possibly held by a reader; dead ones are dropped
/// past this.
const ALIVE_CHUNKS: usize = 64;

/// A place in a source's canonical order: the records of chunks before
/// `chunk`, and those of `chunk` ordered before `(key, offset)`, lie above it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pos {
    /// Start offset of the chunk.
    pub chunk: u64,
    pub key: i64,
    pub offset: u64,
}

impl Pos {
    /// Above every record.
    pub const START: Pos = Pos {
        chunk: 0,
        key: i64::MIN,
        offset: 0,
    };

    /// The position of a chunk's start.
    pub fn chunk_start(chunk: u64) -> Pos {
        Pos {
            chunk,
            key: i64::MIN,
            offset: 0,
        }
    }

    /// Roughly how many bytes of the source lie above: for a position taken
    /// at a record, its offset; for a time inside a chunk, the chunk's start.
    pub fn bytes_hint(&self) -> u64 {
        if self.offset > 0 {
            self.offset
        } else {
            self.chunk
        }
    }
}

/// A span of time as a person reads it: `10 ms`, `0.4 s`, `12 s`, `5 min`,
/// `1 h`, `3 days` (for how far records were out of order).
pub fn describe_span(span: Nanos) -> String {
    let seconds = span as f64 / 1e9;
    if seconds < 0.1 {
        format!("{:.0} ms", seconds * 1e3)
    } else if seconds < 10.0 {
        format!("{seconds:.1} s")
    } else if seconds < 120.0 {
        format!("{seconds:.0} s")
    } else if seconds < 7200.0 {
        format!("{:.0} min", seconds / 60.0)
    } else if seconds < 2.0 * 86400.0 {
        format!("{:.0} h", seconds / 3600.0)
    } else {
        format!("{:.0} days", seconds / 86400.0)
    }
}

#[cfg(test)]
mod span_tests {
    use super::describe_span;

    #[test]
    fn spans_read_as_a_person_says_them() {
        assert_eq!(describe_span(10_000_000), "10 ms");
        assert_eq!(describe_span(400_000_000), "0.4 s");
        assert_eq!(describe_span(12_000_000_000), "12 s");
        assert_eq!(describe_span(300_000_000_000), "5 min");
    }
}

/// What to say about a source with `records` records out of time order by
/// more than the reorder window (a clock stepped back, or a stamp far from
/// those around it), the furthest by `most`.
pub fn describe_late(records: u64, most: Nanos, window: Nanos) -> String {
    let (many, them) = if records == 1 {
        ("record", "it")
    } else {
        ("records", "them")
    };
    format!(
        "{records} {many} out of time order by up to {} (more than the {} reorder window), \
         kept in file order; --reorder-window sorts {them} in",
        describe_span(most),
        describe_span(window)
    )
}

/// A chunk boundary as a cell decided it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cut {
    /// The byte where the chunk after it starts.
    pub at: u64,
    /// At a forced cut, how records near it change sides.
    pub exchange: Option<Exchange>,
}

/// The records a forced cut moves across itself, so that the records of the
/// chunk before are no later than those of the chunk after wherever the
/// disorder is at most `reach` bytes: a record starting in `[from, at)` later
/// than `time` (the cut's first record's time) belongs to the chunk after,
/// and one starting in `[at, to)` earlier than `time` to the chunk before.
/// Without this, a log that is never in time order (Airflow 3's) would show
/// a few hundred records out of order at every forced cut, and a sorted
/// copy of it (the API's) twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Exchange {
    pub time: i64,
    pub from: u64,
    pub to: u64,
}

/// A chunk's boundaries: `[start, end)` holds the bytes of the records that
/// are its own unless an exchange at either end moves them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ChunkBounds {
    pub start: u64,
    pub end: u64,
    pub at_start: Option<Exchange>,
    pub at_end: Option<Exchange>,
}

impl ChunkBounds {
    /// The bytes that may hold its records.
    pub fn extent(&self) -> (u64, u64) {
        (
            self.at_start.map_or(self.start, |x| x.from),
            self.at_end.map_or(self.end, |x| x.to.max(self.end)),
        )
    }
}

/// How a source is put in order. Fixed when the source is opened.
#[derive(Clone, Copy, Debug)]
pub struct OrderParams {
    /// Records later than this behind a record above them are kept in file
    /// order instead of being sorted.
    pub window: Nanos,
    /// How far the natural-cut test looks on each side of a boundary.
    pub reach: u64,
}

/// What is known of one source's order, shared by every reader of it (and
/// kept across the snapshots of a followed file).
pub struct OrderState {
    params: OrderParams,
    inner: Mutex<Known>,
    /// Signalled when a chunk being built is done (or its build failed).
    built: Condvar,
    /// Held while a reader decides a cell: one reader decides a source's
    /// cells at a time (two deciding the same cell read it twice), and the
    /// natural-cut search the last decision left off at is the next one's
    /// to go on from, whichever reader makes it.
    deciding: Mutex<Option<Box<cut::Scan>>>,
}

#[derive(Default)]
struct Known {
    /// Cell index → its chunk boundary, once decided.
    cells: HashMap<u64, Option<Cut>>,
    /// Recently built chunks, most recent last, keyed by `(start, end)`.
    chunks: VecDeque<Arc<Chunk>>,
    /// Chunks readers may still stand in: a worker of a parallel print finds
    /// the chunk another one built without a cache of many.
    alive: Vec<Weak<Chunk>>,
    /// Chunks some reader is building, by `(start, end)`: others wait for
    /// it rather than build the same chunk at the same time (the workers
    /// of a parallel print reach each slice boundary together).
    building: Vec<ChunkKey>,
}

/// A built chunk's identity: its `[start, end)` and how far its reader read
/// (a reader of an older snapshot of a followed file reads less of an
/// exchange after it).
type ChunkKey = (u64, u64, u64);

/// A chunk found built, or the duty to build it.
enum Lookup<'a> {
    Found(Arc<Chunk>),
    Build(BuildClaim<'a>),
}

/// The claim to build one chunk; dropping it (built or failed) lets the
/// readers waiting for it go on.
struct BuildClaim<'a> {
    state: &'a OrderState,
    key: ChunkKey,
}

impl Drop for BuildClaim<'_> {
    fn drop(&mut self) {
        self.state.known().building.retain(|b| *b != self.key);
        self.state.built.notify_all();
    }
}

impl OrderState {
    /// A fresh state for a source ordered with `params`.
    pub fn new(params: OrderParams) -> Arc<Self> {
        Arc::new(Self {
            params,
            inner: Mutex::new(Known::default()),
            built: Condvar::new(),
            deciding: Mutex::new(None),
        })
    }

    /// The parameters in force.
    pub fn params(&self) -> OrderParams {
        self.params
    }

    fn known(&self) -> MutexGuard<'_, Known> {
        // A reader that panicked while holding the lock left at worst a
        // decision missing, never a wrong one.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn cell(&self, k: u64) -> Option<Option<Cut>> {
        self.known().cells.get(&k).copied()
    }

    /// Records a decision; the first one made stands.
    fn decide(&self, k: u64, boundary: Option<Cut>) -> Option<Cut> {
        *self.known().cells.entry(k).or_insert(boundary)
    }

    /// The chunk `key` if some reader has it, else the claim to build it —
    /// after waiting out a build of it already under way.
    fn lookup(&self, key: ChunkKey) -> Lookup<'_> {
        let hit = |c: &Arc<Chunk>| c.key() == key;
        let mut known = self.known();
        loop {
            let found = known
                .chunks
                .iter()
                .rev()
                .find(|c| hit(c))
                .cloned()
                .or_else(|| {
                    known
                        .alive
                        .iter()
                        .filter_map(Weak::upgrade)
                        .find(|c| hit(c))
                });
            if let Some(chunk) = found {
                return Lookup::Found(chunk);
            }
            if !known.building.contains(&key) {
                known.building.push(key);
                return Lookup::Build(BuildClaim { state: self, key });
            }
            known = self.built.wait(known).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// The records starting in `[from, to)` that the natural-cut search
    /// read last and still holds (see [`cut::Scan::parsed_in`]), for a
    /// build to take instead of reading them again — none while a reader
    /// is deciding a cell (a build does not wait for that).
    fn parsed_in(&self, from: u64, to: u64, len: u64) -> Vec<chunk::Entry> {
        let scan = match self.deciding.try_lock() {
            Ok(scan) => scan,
            Err(TryLockError::Poisoned(e)) => e.into_inner(),
            Err(TryLockError::WouldBlock) => return Vec::new(),
        };
        scan.as_ref()
            .map(|scan| scan.parsed_in(from, to, len))
            .unwrap_or_default()
    }

    fn keep_chunk(&self, chunk: &Arc<Chunk>) {
        let mut known = self.known();
        if known.chunks.len() == CACHED_CHUNKS {
            known.chunks.pop_front();
        }
        known.chunks.push_back(chunk.clone());
        if known.alive.len() >= ALIVE_CHUNKS {
            known.alive.retain(|c| c.strong_count() > 0);
        }
        if known.alive.len() < ALIVE_CHUNKS {
            known.alive.push(Arc::downgrade(chunk));
        }
    }
}

/// Reads one source's records in canonical order, in either direction, from
/// any position. Keeps one block and the chunk it is in.
pub struct RecordReader {
    file: FileReader,
    /// Reads whole chunks and decides cells, with a sequential block of its
    /// own: a probe's small block stays where it is, and the reader's own
    /// block stays on the records being read. Boxed: most readers of a merge
    /// over thousands of sources never build a chunk (issue 26).
    builder: Option<Box<FileReader>>,
    state: Arc<OrderState>,
    /// Whether the source has timestamps at all (an untimed source is one record).
    timed: bool,
    chunk: Option<Arc<Chunk>>,
    /// Index in `chunk` just after the last record returned going forward,
    /// so that reading on needs no search.
    next_index: usize,
}

impl RecordReader {
    pub(super) fn new(file: FileReader, state: Arc<OrderState>, timed: bool) -> Self {
        Self {
            file,
            builder: None,
            state,
            timed,
            chunk: None,
            next_index: 0,
        }
    }

    /// Length snapshot in bytes.
    pub fn len(&self) -> u64 {
        self.file.len()
    }

    /// `true` for an empty source.
    pub fn is_empty(&self) -> bool {
        self.file.is_empty()
    }

    /// The underlying line reader, for streaming a record's bytes.
    pub fn lines(&mut self) -> &mut BlockReader {
        self.file.lines()
    }

    /// Where the source's first timestamped line starts, if it has one.
    pub fn first_timed(&self) -> Option<u64> {
        self.file.first_timed()
    }

    /// Whether the source is JSON lines.
    pub fn is_json(&self) -> bool {
        self.file.is_json()
    }

    /// The file-order reader underneath.
    pub fn file(&mut self) -> &mut FileReader {
        &mut self.file
    }

    /// The first record at or after `pos` (going down), or `None` below the last.
    pub fn record_at(&mut self, pos: Pos) -> io::Result<Option<Record>> {
        if pos.chunk >= self.len() {
            return Ok(None);
        }
        if let Some(chunk) = &self.chunk {
            if chunk.start == pos.chunk {
                // Near the record returned last (reading on, or a dedup
                // plan that read a little ahead): a short search from there.
                if let Some(found) = chunk.first_at_or_after_from(pos, self.next_index) {
                    self.next_index = found + 1;
                    return Ok(Some(chunk.record(found)));
                }
            }
        }
        let mut chunk = self.chunk_at(pos.chunk)?;
        loop {
            if let Some(i) = chunk.first_at_or_after(pos) {
                self.next_index = i + 1;
                let record = chunk.record(i);
                self.chunk = Some(chunk);
                return Ok(Some(record));
            }
            if chunk.end >= self.len() {
                return Ok(None);
            }
            chunk = self.chunk_at(chunk.end)?;
        }
    }

    /// The last record before `pos` (going up), or `None` above the first.
    pub fn record_before(&mut self, pos: Pos) -> io::Result<Option<Record>> {
        if self.is_empty() {
            return Ok(None);
        }
        if let Some(chunk) = &self.chunk {
            if chunk.start == pos.chunk {
                // Near the record returned last: a short search from there.
                let at = chunk
                    .first_at_or_after_from(pos, self.next_index.saturating_sub(1))
                    .unwrap_or(chunk.len());
                if at > 0 {
                    self.next_index = at;
                    return Ok(Some(chunk.record(at - 1)));
                }
            }
        }
        let mut chunk = if pos.chunk >= self.len() {
            self.chunk_at(self.len() - 1)?
        } else {
            self.chunk_at(pos.chunk)?
        };
        loop {
            if let Some(i) = chunk.last_before(pos) {
                self.next_index = i + 1;
                let record = chunk.record(i);
                self.chunk = Some(chunk);
                return Ok(Some(record));
            }
            if chunk.start == 0 {
                return Ok(None);
            }
            chunk = self.chunk_at(chunk.start - 1)?;
        }
    }

    /// The record that contains the line starting at `line_start`.
    pub fn record_containing(&mut self, line_start: u64) -> io::Result<Option<Record>> {
        let Some(found) = self.file.record_containing(line_start)? else {
            return Ok(None);
        };
        let mut chunk = self.chunk_at(found.start)?;
        if chunk.find(found.start).is_none() {
            // Moved across a forced cut by its exchange.
            if chunk.start > 0 {
                let before = self.chunk_at(chunk.start - 1)?;
                if before.find(found.start).is_some() {
                    chunk = before;
                }
            }
            if chunk.find(found.start).is_none() && chunk.end < self.len() {
                chunk = self.chunk_at(chunk.end)?;
            }
        }
        let record = chunk.find(found.start).map(|i| chunk.record(i));
        self.chunk = Some(chunk);
        self.next_index = 0;
        Ok(record)
    }

    /// The first position whose records have keys ≥ `t`: O(log size) small
    /// reads to find the place, then the chunk (or two) around it.
    pub fn seek_time(&mut self, t: Nanos) -> io::Result<Pos> {
        if !self.timed || self.is_empty() {
            return Ok(if self.timed {
                Pos::START
            } else {
                self.seek_end()?
            });
        }
        let near = super::bytes_for_time(&mut self.file, t)?;
        let mut chunk = self.chunk_at(near.min(self.len() - 1))?;
        // The bisection read raw times; keys may differ near it. Keys rise
        // from chunk to chunk except after a long clock step, so a step or
        // two settles it.
        while chunk.start > 0 && chunk.min_key().is_none_or(|k| k >= t) {
            let before = self.chunk_at(chunk.start - 1)?;
            if before.max_key().is_some_and(|k| k < t) {
                break;
            }
            chunk = before;
        }
        while chunk.max_key().is_some_and(|k| k < t) && chunk.end < self.len() {
            chunk = self.chunk_at(chunk.end)?;
        }
        let pos = Pos {
            chunk: chunk.start,
            key: t,
            offset: 0,
        };
        self.chunk = Some(chunk);
        self.next_index = 0;
        Ok(pos)
    }

    /// The position below every record of this snapshot.
    pub fn seek_end(&mut self) -> io::Result<Pos> {
        if self.is_empty() {
            return Ok(Pos::START);
        }
        let chunk = self.chunk_at(self.len() - 1)?;
        let end = match chunk.len() {
            0 => Pos::chunk_start(chunk.end),
            n => chunk.record(n - 1).after(),
        };
        self.chunk = Some(chunk);
        Ok(end)
    }

    /// The start of the first chunk starting at or after byte `offset`
    /// (the length when none does).
    pub fn chunk_start_at_or_after(&mut self, offset: u64) -> io::Result<u64> {
        if offset >= self.len() {
            return Ok(self.len());
        }
        let bounds = self.chunk_bounds(offset)?;
        Ok(if bounds.start == offset {
            bounds.start
        } else {
            bounds.end
        })
    }

    /// The bytes that may hold the records of the chunk holding byte
    /// `offset`: its `[start, end)` and the exchanges at its ends.
    pub fn chunk_extent(&mut self, offset: u64) -> io::Result<(u64, u64)> {
        let (from, to) = self.chunk_bounds(offset)?.extent();
        Ok((from, to.min(self.len())))
    }

    /// The chunk holding byte `offset` (the one whose `[start, end)` holds
    /// it), its records in canonical order.
    pub fn chunk_at(&mut self, offset: u64) -> io::Result<Arc<Chunk>> {
        if let Some(chunk) = &self.chunk {
            if chunk.start <= offset && offset < chunk.end.max(chunk.start + 1) {
                return Ok(chunk.clone());
            }
        }
        let bounds = self.chunk_bounds(offset)?;
        let read_to = bounds.extent().1.min(self.len());
        let state = self.state.clone();
        let claim = match state.lookup((bounds.start, bounds.end, read_to)) {
            Lookup::Found(chunk) => return Ok(chunk),
            Lookup::Build(claim) => claim,
        };
        let (timed, window) = (self.timed, self.state.params.window);
        // Reading on from the chunk before: its records are the tail.
        let previous = self.chunk.clone().filter(|c| c.end == bounds.start);
        let (from, to) = bounds.extent();
        let parsed = self
            .state
            .parsed_in(from.saturating_sub(TAIL), to, self.len());
        let chunk = Arc::new(Chunk::build(
            &mut chunk::Records::new(self.builder(), &parsed),
            bounds,
            timed,
            window,
            previous.as_deref(),
        )?);
        self.state.keep_chunk(&chunk);
        drop(claim);
        Ok(chunk)
    }

    /// The chunk holding byte `offset`: its `[start, end)` and exchanges.
    fn chunk_bounds(&mut self, offset: u64) -> io::Result<ChunkBounds> {
        let len = self.len();
        let mut bounds = ChunkBounds {
            start: 0,
            end: len,
            at_start: None,
            at_end: None,
        };
        if !self.timed || len == 0 {
            return Ok(bounds);
        }
        let offset = offset.min(len - 1);
        let here = offset / CELL;
        let mut k = here;
        while k > 0 {
            if let Some(cut) = self.boundary_in(k)? {
                if cut.at <= offset {
                    bounds.start = cut.at;
                    bounds.at_start = cut.exchange;
                    break;
                }
            }
            if k == here {
                self.decide_rising_below(here)?;
            }
            k -= 1;
        }
        let mut k = here;
        loop {
            if k > 0 {
                if let Some(cut) = self.boundary_in(k)? {
                    if cut.at > offset {
                        if cut.at < len {
                            bounds.end = cut.at;
                            bounds.at_end = cut.exchange;
                        }
                        break;
                    }
                }
            }
            k += 1;
            if k.saturating_mul(CELL) >= len {
                break;
            }
        }
        Ok(bounds)
    }

    fn builder(&mut self) -> &mut FileReader {
        let file = &self.file;
        self.builder
            .get_or_insert_with(|| Box::new(file.another(super::split::SCAN_BLOCK)))
    }

    /// The chunk boundary of cell `k ≥ 1`, deciding it if nobody has.
    fn boundary_in(&mut self, k: u64) -> io::Result<Option<Cut>> {
        if let Some(known) = self.state.cell(k) {
            return Ok(known);
        }
        // A forced cut follows a cell without a cut, so that its exchange
        // (at most a cell before it) stays inside the chunk before.
        let may_force = k % FORCED_EVERY == 0 && k >= 2 && self.boundary_in(k - 1)?.is_none();
        let state = self.state.clone();
        let mut carried = state.deciding.lock().unwrap_or_else(|e| e.into_inner());
        // Decided by another reader while this one waited.
        if let Some(known) = state.cell(k) {
            return Ok(known);
        }
        let reach = state.params.reach;
        match cut::decide_cell(self.builder(), k, reach, may_force, &mut carried)? {
            Some(decision) => Ok(state.decide(k, decision)),
            // Nothing written in or after the cell yet: undecided.
            None => Ok(None),
        }
    }

    /// Decides the cells just below `k` that nobody has yet, in rising
    /// order, when the natural-cut reach is wide: each decision then goes
    /// on from where the one before left off, where deciding them from `k`
    /// down (looking for the start of the chunk `k` has no cut for) read
    /// each cell's reach before it afresh — up to 2 MiB for each 1 MiB cell
    /// of a log never in time order. At most [`FORCED_EVERY`] cells: a
    /// chunk rarely starts further back.
    fn decide_rising_below(&mut self, k: u64) -> io::Result<()> {
        if self.state.params.reach < CELL / 2 {
            return Ok(());
        }
        let mut from = k;
        while from > 1 && k - from < FORCED_EVERY && self.state.cell(from - 1).is_none() {
            from -= 1;
        }
        for cell in from..k {
            self.boundary_in(cell)?;
        }
        Ok(())
    }
}
