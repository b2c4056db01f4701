//! Print mode on all cores: the stream is cut into time slices that workers
//! merge into buffers, and the buffers are written in order.
//!
//! Slice `i` holds the records with `T_i ≤ t < T_{i+1}`, where `T_i` is the
//! time of the record at byte `i × SLICE_BYTES` of the largest source. Each
//! worker seeks its own merge to `T_i` by bisection and stops before
//! `T_{i+1}`. The writer checks that each slice ended exactly at the cursor
//! where the next one began; that holds whenever the sources are sorted, and
//! then the output is byte for byte what one merge would write. If it does
//! not hold (an unsorted source), the writer stops the workers and carries
//! on with one merge from the last cursor it wrote up to — so the output
//! never changes, only the speed. A slice that outgrows its buffer (a huge
//! record, a chunk of a few MiB not cut finer) is finished by the writer's
//! own merge, straight to the output, and the workers go on.

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};

use super::{print_from_cursor, wanted, write_record, PrintOptions, PrintStats};
use crate::merge::{Cursor, Merge};
use crate::record::order::{Chunk, CELL, FORCED_EVERY};
use crate::record::split::SCAN_BLOCK;
use crate::record::Pos;
use crate::search::hits::{any_match, HitMap};

/// Bytes of the largest source per slice: small enough that the buffers in
/// flight stay a few MB, large enough that the seeks per slice are noise.
const SLICE_BYTES: u64 = 1024 * 1024;

/// A slice whose output grows past this stops and hands over to one merge.
const SLICE_MAX_OUTPUT: usize = 4 * 1024 * 1024;

/// How many slices may be claimed but not yet written: one per worker,
/// at least two, at most three. Each holds an output buffer (~1.5 MB for
/// 1 MiB of the largest of three sources); with two workers a third was
/// 1.5 MB of a print's RSS and bought no speed: the writer writes a
/// slice as soon as it is done, so a worker seldom waits for it.
fn ahead(workers: usize) -> usize {
    workers.clamp(2, 3)
}

/// A chunk of the largest source at least this long and no longer than
/// the next (a forced cut's, in a log never in time order) is cut into
/// slices by its keys; a longer one (a record of a gigabyte) is left whole
/// to the writer's merge, and a shorter one is a slice as it is. Two
/// slices' worth: Airflow 3's first natural cut came after 3.8 MB, and a
/// slice of it and its share of the other sources (5.5 MB) outgrew its
/// buffer.
const SPLIT_CHUNKS_FROM: u64 = 2 * SLICE_BYTES;
const SPLIT_CHUNKS_UP_TO: u64 = 2 * FORCED_EVERY * CELL;

struct SliceOut {
    index: usize,
    /// Where the slice ends: before this key, or (one source) before the
    /// chunks starting at this byte.
    limit: i64,
    end_offset: Option<u64>,
    start: Cursor,
    end: Cursor,
    bytes: Vec<u8>,
    complete: bool,
    stats: PrintStats,
}

/// Shared by the workers and the writer.
struct Shared {
    next_index: AtomicUsize,
    /// See [`ahead`].
    ahead: usize,
    stop: AtomicBool,
    /// Index of the next slice the writer will write; workers wait until
    /// their slice is within `ahead` of it, which bounds the memory in flight.
    written: Mutex<usize>,
    progress: Condvar,
    /// Output buffers handed back by the writer for reuse.
    pool: Mutex<Vec<Vec<u8>>>,
    /// A stretch of the largest source without a record boundary inside.
    span: Mutex<(u64, u64)>,
}

pub(super) fn print_parallel(
    merge: &mut Merge,
    options: &PrintOptions,
    maps: Option<&[HitMap]>,
    workers: usize,
    out: &mut impl Write,
) -> io::Result<PrintStats> {
    let layouts: Vec<_> = (0..merge.source_count())
        .map(|i| merge.layout(i).clone())
        .collect();
    let Some(largest) = (0..layouts.len()).max_by_key(|&i| layouts[i].len()) else {
        return Ok(PrintStats::default());
    };
    let slices = layouts[largest].len().div_ceil(SLICE_BYTES).max(1) as usize;
    // A lone source is cut by bytes: its merge is its records in file
    // order, so a slice is the records starting in a byte range, found
    // without bisecting by time (over a remote object, a request a step)
    // and right also where the times go backwards.
    let by_offset = layouts.len() == 1 && options.since.is_none() && options.until.is_none();
    let shared = Shared {
        next_index: AtomicUsize::new(0),
        ahead: ahead(workers),
        stop: AtomicBool::new(false),
        written: Mutex::new(0),
        progress: Condvar::new(),
        pool: Mutex::new(Vec::new()),
        span: Mutex::new((0, 0)),
    };
    let (send, receive) = mpsc::sync_channel::<io::Result<SliceOut>>(ahead(workers) + workers);

    std::thread::scope(|scope| {
        for _ in 0..workers {
            let send = send.clone();
            let shared = &shared;
            // Same sources, dedup and filter as the merge being printed.
            let mut worker = merge.fork();
            // One reader per bound: each holds the chunk its bound was
            // found in, which the slice's merge starts (or ends) in. With
            // one, the start's chunk was let go when the end was found, and
            // the chunks the other readers built meanwhile could push it
            // out of the source's cache: 28 % of the largest source's
            // chunks of the text set were built twice.
            let mut start_reader = layouts[largest].reader(SCAN_BLOCK / 32);
            let mut end_reader = layouts[largest].reader(SCAN_BLOCK / 32);
            scope.spawn(move || {
                while let Some(index) = claim(shared, slices) {
                    let result = (|| {
                        let bounds = if by_offset {
                            Bounds::Offsets(
                                slice_offset(&mut start_reader, &shared.span, index)?,
                                slice_offset(&mut end_reader, &shared.span, index + 1)?,
                            )
                        } else {
                            Bounds::Times(
                                slice_time(&mut start_reader, &shared.span, index, options)?,
                                slice_time(&mut end_reader, &shared.span, index + 1, options)?,
                            )
                        };
                        let mut buf = shared
                            .pool
                            .lock()
                            .map(|mut p| p.pop())
                            .ok()
                            .flatten()
                            .unwrap_or_default();
                        buf.clear();
                        run_slice(&mut worker, index, bounds, options, maps, buf)
                    })();
                    let failed = result.is_err();
                    if send.send(result).is_err() || failed {
                        break;
                    }
                }
            });
        }
        drop(send);
        if options.prefilter.is_empty() {
            // Not with `--grep`: a slice without a match is skipped unbuilt.
            let mut ahead = Ahead {
                largest: layouts[largest].reader(SCAN_BLOCK / 32),
                others: (0..layouts.len())
                    .filter(|&i| i != largest && merge.is_enabled(i))
                    .map(|i| layouts[i].reader(SCAN_BLOCK / 32))
                    .collect(),
                built_to: 0,
                kept: VecDeque::new(),
            };
            let shared = &shared;
            scope.spawn(move || {
                // A failed read is the workers' to meet and report.
                let _ = ahead.run(shared, slices);
            });
        }
        let result = write_in_order(merge, options, &shared, &receive, slices, out);
        // Whatever happened, release the workers before the scope joins them.
        shared.stop.store(true, Ordering::SeqCst);
        shared.progress.notify_all();
        drop(receive);
        result
    })
}

/// The next slice for a worker, once it is close enough to the writer.
fn claim(shared: &Shared, slices: usize) -> Option<usize> {
    let index = shared.next_index.fetch_add(1, Ordering::SeqCst);
    // The chunk builder ahead looks at what was claimed.
    shared.progress.notify_all();
    if index >= slices {
        return None;
    }
    let mut written = shared.written.lock().ok()?;
    while index >= *written + shared.ahead && !shared.stop.load(Ordering::SeqCst) {
        written = shared.progress.wait(written).ok()?;
    }
    (!shared.stop.load(Ordering::SeqCst)).then_some(index)
}

/// Builds the chunks the workers will need next, on a thread of its own:
/// the chunk of the largest source after the one the next slice to be
/// claimed starts in, and the other sources' chunks at its first key. A
/// chunk is built by the first reader that needs it while the others wait
/// for it, so without this its build was the print's serial part: a
/// 16 MiB chunk of a log never in time order (Airflow 3's) took one
/// worker a while, and the other waited.
struct Ahead {
    largest: crate::record::RecordReader,
    others: Vec<crate::record::RecordReader>,
    /// The start of the largest source's chunk built last.
    built_to: u64,
    /// The largest source's chunks built last, kept until the workers
    /// have read them: a source's cache keeps only the last two built,
    /// and those the workers built meanwhile pushed these out before
    /// their slices came (75 of the 362 chunks of the Airflow 3 set's
    /// largest file were built twice; 2 with these kept).
    kept: VecDeque<Arc<Chunk>>,
}

/// How many of its chunks [`Ahead`] keeps: those of the next two slices
/// (four kept bought nothing more).
const AHEAD_KEEPS: usize = 2;

impl Ahead {
    fn run(&mut self, shared: &Shared, slices: usize) -> io::Result<()> {
        let len = self.largest.len();
        while !shared.stop.load(Ordering::SeqCst) {
            let claimed = shared.next_index.load(Ordering::SeqCst);
            if claimed >= slices {
                return Ok(());
            }
            let at = claimed as u64 * SLICE_BYTES;
            let next = self.largest.chunk_start_at_or_after(at + 1)?;
            if next >= len {
                return Ok(());
            }
            if next > self.built_to {
                self.built_to = next;
                let Some(first) = self.largest.record_at(Pos::chunk_start(next))? else {
                    return Ok(());
                };
                if self.kept.len() == AHEAD_KEEPS {
                    self.kept.pop_front();
                }
                self.kept.push_back(self.largest.chunk_at(next)?);
                for other in &mut self.others {
                    other.seek_time(first.key)?;
                }
                continue;
            }
            // Until a worker claims a slice (a claim notifies; the timeout
            // covers one made between the look above and the wait).
            let written = shared.written.lock().map_err(|_| io::ErrorKind::Other)?;
            let _ = shared
                .progress
                .wait_timeout(written, std::time::Duration::from_millis(20));
        }
        Ok(())
    }
}

/// `T_index`: the lower time bound of slice `index`: the first key of the
/// largest source's chunk at or after byte `index × SLICE_BYTES`, or, when
/// that byte falls inside a chunk of a few cells (a log never in time order
/// is cut only every [`FORCED_EVERY`] cells), the key as far through that
/// chunk's keys as the byte is through its bytes. Keys rise through a chunk
/// and from one chunk to the next, so the bounds rise too, and such a chunk
/// is printed by all workers instead of a slice too big to buffer handing
/// the rest of the print to one merge.
fn slice_time(
    reader: &mut crate::record::RecordReader,
    span: &Mutex<(u64, u64)>,
    index: usize,
    options: &PrintOptions,
) -> io::Result<i64> {
    let lowest = options.since.unwrap_or(i64::MIN);
    if index == 0 {
        return Ok(lowest);
    }
    let boundary = boundary_of(reader, span, index)?;
    let offset = index as u64 * SLICE_BYTES;
    if boundary > offset && boundary - offset < SPLIT_CHUNKS_UP_TO && offset < reader.len() {
        // Chunks cut near every cell (a log in time order) keep their
        // first key as the bound, without building the chunk here: a
        // `--grep` slice with no match is skipped unbuilt.
        let (from, to) = reader.chunk_extent(offset)?;
        if (SPLIT_CHUNKS_FROM..=SPLIT_CHUNKS_UP_TO).contains(&(to - from)) {
            let chunk = reader.chunk_at(offset)?;
            let bytes = chunk.end.saturating_sub(chunk.start);
            if chunk.start < offset && bytes > 0 && !chunk.is_empty() {
                let through = (offset - chunk.start).min(bytes);
                let i = (u128::from(through) * chunk.len() as u128 / u128::from(bytes)) as usize;
                let t = chunk.pos_of(i.min(chunk.len() - 1)).key;
                return Ok(t.max(lowest));
            }
        }
    }
    let t = match reader.record_at(Pos::chunk_start(boundary))? {
        Some(record) if boundary < reader.len() => record.key_ts(),
        _ => i64::MAX,
    };
    Ok(t.max(lowest))
}

/// `B_index`: where slice `index` of a lone source starts, the first chunk
/// boundary at or after byte `index × SLICE_BYTES`.
fn slice_offset(
    reader: &mut crate::record::RecordReader,
    span: &Mutex<(u64, u64)>,
    index: usize,
) -> io::Result<u64> {
    boundary_of(reader, span, index)
}

/// The first chunk boundary at or after byte `index × SLICE_BYTES` of the
/// largest source (a chunk is where its canonical order may be cut). `span` remembers the last stretch found to hold none
/// (`from..to`: every offset in it has its boundary at `to`): inside one
/// record of 1 GB, each of its ~1,000 slices would otherwise scan on to
/// its end — a `--grep` over a 1 GB line took 181 s.
fn boundary_of(
    reader: &mut crate::record::RecordReader,
    span: &Mutex<(u64, u64)>,
    index: usize,
) -> io::Result<u64> {
    let offset = index as u64 * SLICE_BYTES;
    let known = span.lock().map(|s| *s).unwrap_or((0, 0));
    if known.0 <= offset && offset <= known.1 {
        return Ok(known.1);
    }
    let boundary = reader.chunk_start_at_or_after(offset)?;
    if boundary > offset + SLICE_BYTES {
        if let Ok(mut span) = span.lock() {
            *span = (offset, boundary);
        }
    }
    Ok(boundary)
}

/// What a slice holds: the records with `from ≤ key < to`, or (one source)
/// the records of the chunks starting in `from..to`.
#[derive(Clone, Copy)]
enum Bounds {
    Times(i64, i64),
    Offsets(u64, u64),
}

fn run_slice(
    merge: &mut Merge,
    index: usize,
    bounds: Bounds,
    options: &PrintOptions,
    maps: Option<&[HitMap]>,
    mut bytes: Vec<u8>,
) -> io::Result<SliceOut> {
    let (limit, end_offset) = match bounds {
        Bounds::Times(from, to) => {
            if index == 0 && options.since.is_none() {
                merge.seek_start();
            } else {
                merge.seek_time(from)?;
            }
            (to, None)
        }
        Bounds::Offsets(from, to) => {
            merge.seek(&Cursor(vec![Pos::chunk_start(from)]));
            (i64::MAX, Some(to))
        }
    };
    let start = merge.cursor();
    if !options.prefilter.is_empty() {
        // `--grep`: a slice whose bytes hold no matching line at all prints
        // nothing, and is not merged (a SIMD scan instead of a merge).
        match end_offset {
            Some(to) => merge.seek(&Cursor(vec![Pos::chunk_start(to)])),
            None => merge.seek_time(limit)?,
        }
        let end = merge.cursor();
        let mut any = false;
        for s in 0..merge.source_count() {
            let source = merge.layout(s).source().clone();
            if !merge.is_enabled(s) {
                continue;
            }
            let (from, to) = merge.byte_span(s, start.0[s], end.0[s])?;
            let hit = match maps {
                Some(maps) => maps[s].any_in(from, to),
                None => any_match(&*source, from, to, &options.prefilter)?,
            };
            if hit {
                any = true;
                break;
            }
        }
        if !any {
            return Ok(SliceOut {
                index,
                limit,
                end_offset,
                start: merge.normalized(&start)?,
                end: merge.normalized(&end)?,
                bytes,
                complete: true,
                stats: PrintStats::default(),
            });
        }
        merge.seek(&start);
    }
    let room = |bytes: &Vec<u8>| SLICE_MAX_OUTPUT.saturating_sub(bytes.len());
    let (stats, complete) = merge_slice(merge, limit, end_offset, options, &mut bytes, room)?;
    let end = merge.cursor();
    Ok(SliceOut {
        index,
        limit,
        end_offset,
        start: merge.normalized(&start)?,
        end: merge.normalized(&end)?,
        bytes,
        complete,
        stats,
    })
}

/// Merges a slice's records from the merge's cursor into `out`, up to its
/// end (keys from `limit` on, or chunks from `end_offset` on), or up to a
/// record longer than `room(out)`, left unread (then `false`).
fn merge_slice<W: Write>(
    merge: &mut Merge,
    limit: i64,
    end_offset: Option<u64>,
    options: &PrintOptions,
    out: &mut W,
    room: impl Fn(&W) -> usize,
) -> io::Result<(PrintStats, bool)> {
    let mut stats = PrintStats::default();
    let mut complete = true;
    // Only this slice's steps count the copies it drops.
    merge.take_copies();
    while let Some(record) = merge.next_record_before(limit)? {
        if end_offset.is_some_and(|to| record.record.chunk >= to) {
            merge.unread(&record);
            break;
        }
        if record.record.len() > room(out) as u64 {
            merge.unread(&record);
            complete = false;
            break;
        }
        if wanted(&record, options) {
            write_record(merge, &record, options, out)?;
            stats.records += 1;
            stats.saw(&record);
        }
    }
    stats.copies = merge.take_copies();
    Ok((stats, complete))
}

fn write_in_order(
    merge: &mut Merge,
    options: &PrintOptions,
    shared: &Shared,
    receive: &mpsc::Receiver<io::Result<SliceOut>>,
    slices: usize,
    out: &mut impl Write,
) -> io::Result<PrintStats> {
    let mut stats = PrintStats::default();
    let mut pending = BTreeMap::new();
    let mut expected = 0;
    let mut last_end: Option<Cursor> = None;
    while expected < slices {
        let Ok(slice) = receive.recv() else { break };
        let slice = slice?;
        pending.insert(slice.index, slice);
        while let Some(slice) = pending.remove(&expected) {
            if last_end.as_ref().is_some_and(|end| *end != slice.start) {
                // The slices do not tile the stream (an unsorted source):
                // one merge from where the written output ends.
                return finish_sequentially(merge, last_end, options, shared, stats, out);
            }
            out.write_all(&slice.bytes)?;
            stats.add(slice.stats);
            last_end = Some(slice.end);
            expected += 1;
            if let Ok(mut pool) = shared.pool.lock() {
                pool.push(slice.bytes);
            }
            if let Ok(mut written) = shared.written.lock() {
                *written = expected;
            }
            shared.progress.notify_all();
            if !slice.complete {
                // It outgrew its buffer (a huge record, or a chunk that
                // could not be cut finer): the rest of it is merged here
                // straight to the output, and the workers go on with the
                // slices after it.
                if let Some(end) = &last_end {
                    merge.seek(end);
                }
                let (rest, _) =
                    merge_slice(merge, slice.limit, slice.end_offset, options, out, |_| {
                        usize::MAX
                    })?;
                stats.add(rest);
                last_end = Some(merge.normalized(&merge.cursor())?);
            }
        }
    }
    Ok(stats)
}

fn finish_sequentially(
    merge: &mut Merge,
    from: Option<Cursor>,
    options: &PrintOptions,
    shared: &Shared,
    mut stats: PrintStats,
    out: &mut impl Write,
) -> io::Result<PrintStats> {
    shared.stop.store(true, Ordering::SeqCst);
    shared.progress.notify_all();
    match from {
        Some(cursor) => merge.seek(&cursor),
        None => match options.since {
            Some(since) => merge.seek_time(since)?,
            None => merge.seek_start(),
        },
    }
    stats.add(print_from_cursor(merge, options, None, out)?);
    Ok(stats)
}
