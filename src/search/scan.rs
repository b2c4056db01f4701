//! The per-source scan: each source's byte range is cut into chunks that
//! worker threads search in large blocks, in order, stopping a source as soon
//! as one of its chunks has a hit. The results, per source, are the first
//! (forward) or last (backward) matching line; the merge decides among them.

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::hits::{first_or_last, Span};
use super::{From, Hit};
use crate::merge::Merge;
use crate::record::{Pos, Record};
use crate::search::matcher::Matcher;
use crate::source::Source;

pub use super::matcher::LINE_MATCH_CAP;

/// Bytes of a source per task: small enough to spread one big source over
/// all cores, large enough that a task is mostly scanning.
const CHUNK: u64 = 8 * 1024 * 1024;

/// Progress of a running search, shared with whoever reports it.
#[derive(Debug, Default)]
pub struct ScanProgress {
    done: AtomicU64,
    total: AtomicU64,
}

impl ScanProgress {
    /// Sets absolute progress.
    pub fn set(&self, done: u64, total: u64) {
        self.total.store(total, Ordering::Relaxed);
        self.done.store(done, Ordering::Relaxed);
    }

    pub(crate) fn add(&self, bytes: u64) {
        self.done.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Bytes (or records) done so far.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Percent done, once something is known.
    pub fn percent(&self) -> Option<u8> {
        let total = self.total.load(Ordering::Relaxed);
        (total > 0).then(|| (self.done.load(Ordering::Relaxed).min(total) * 100 / total) as u8)
    }
}

/// Finds the next hit by scanning sources separately.
///
/// Each source's bytes are scanned from its cursor's chunk on (a chunk
/// whose records are reordered is scanned whole, since its records below
/// the cursor lie anywhere in it); a hit is then placed in the source's
/// canonical order, and the next hit in merged order is the smallest key
/// among the sources' first hits (backward: the largest).
pub fn find_by_sources(
    merge: &mut Merge,
    from: &From,
    forward: bool,
    matcher: &Matcher,
    progress: &ScanProgress,
    stop: &AtomicBool,
) -> io::Result<Option<Hit>> {
    let n = merge.source_count();
    let mut bounds: Vec<Bound> = (0..n)
        .map(|s| match from {
            From::Edge => Bound::any(),
            From::Line(p) | From::EdgeUntil(p) => {
                let line = (s == p.source).then_some(p.line_start);
                let inclusive = matches!(from, From::EdgeUntil(_));
                Bound {
                    pos: Some(p.cursor.0[s]),
                    line,
                    // `Line`: strictly after (before) the start; `EdgeUntil`:
                    // the other side of it, the start line included.
                    below: forward != inclusive,
                    inclusive,
                }
            }
        })
        .collect();
    let mut ranges: Vec<(u64, u64)> = Vec::with_capacity(n);
    for (s, bound) in bounds.iter().enumerate() {
        ranges.push(if merge.is_enabled(s) {
            byte_range(merge, s, bound)?
        } else {
            (0, 0)
        });
    }
    let sources: Vec<Arc<dyn Source>> = (0..n).map(|s| merge.layout(s).source().clone()).collect();
    let total: u64 = ranges.iter().map(|(lo, hi)| hi.saturating_sub(*lo)).sum();
    progress.set(0, total.max(1));

    let mut hits: Vec<Option<u64>> = scan_all(&sources, &ranges, forward, matcher, progress, stop)?;
    // Each source's first hit in its canonical order, once placed.
    let mut placed: Vec<Option<(Record, u64)>> = vec![None; n];
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(None);
        }
        for s in 0..n {
            if placed[s].is_none() && hits[s].is_some() {
                placed[s] = place(
                    merge,
                    s,
                    &sources,
                    &mut ranges[s],
                    &bounds[s],
                    hits[s],
                    forward,
                    matcher,
                    stop,
                )?;
                hits[s] = None;
            }
        }
        let mut best: Option<(usize, Record, u64)> = None;
        for (s, candidate) in placed.iter().enumerate() {
            let Some((record, line)) = *candidate else {
                continue;
            };
            let better = best.is_none_or(|(bs, br, _)| {
                if forward {
                    (record.key, s) < (br.key, bs)
                } else {
                    (record.key, s) > (br.key, bs)
                }
            });
            if better {
                best = Some((s, record, line));
            }
        }
        let Some((source, record, line)) = best else {
            return Ok(None);
        };
        if let Some(cursor) = visible(merge, source, &record)? {
            return Ok(Some(Hit {
                cursor,
                source,
                record_start: record.start,
                line_start: line,
            }));
        }
        // A dropped copy or a filtered record: look past it in that source.
        bounds[source] = Bound {
            pos: Some(if forward { record.after() } else { record.at() }),
            line: None,
            below: forward,
            inclusive: false,
        };
        ranges[source] = byte_range(merge, source, &bounds[source])?;
        placed[source] = None;
        let mut only = vec![(0, 0); n];
        only[source] = ranges[source];
        hits[source] = scan_all(&sources, &only, forward, matcher, progress, stop)?[source];
    }
}

/// Which records of a source a search may stop at: those on one side of
/// `pos` (all of them without one). In the record at `pos`, the source of
/// the line the search starts from, `line` decides instead.
struct Bound {
    pos: Option<Pos>,
    /// The start line (only for its own source).
    line: Option<u64>,
    /// Hits must lie below `pos` (else above it).
    below: bool,
    /// The start line itself qualifies.
    inclusive: bool,
}

impl Bound {
    fn any() -> Self {
        Bound {
            pos: None,
            line: None,
            below: true,
            inclusive: false,
        }
    }

    fn admits(&self, record: &Record, line: u64) -> bool {
        let Some(pos) = self.pos else { return true };
        let at = record.at();
        if at == pos {
            if let Some(start) = self.line {
                return match (self.below, self.inclusive) {
                    (true, false) => line > start,
                    (false, false) => line < start,
                    (true, true) => line >= start,
                    (false, true) => line <= start,
                };
            }
        }
        if self.below {
            at >= pos
        } else {
            at < pos
        }
    }
}

/// The bytes of source `s` that may hold a record `bound` admits: from the
/// chunk of its position on (below it) or up to that chunk's end (above).
/// A chunk in file order starts at the position's record itself.
fn byte_range(merge: &mut Merge, s: usize, bound: &Bound) -> io::Result<(u64, u64)> {
    let len = merge.layout(s).len();
    let Some(pos) = bound.pos else {
        return Ok((0, len));
    };
    if pos.chunk >= len {
        return Ok(if bound.below { (len, len) } else { (0, len) });
    }
    let (start, end, reordered) = merge.chunk_of(s, pos.chunk)?;
    Ok(if bound.below {
        let lo = if reordered {
            start
        } else {
            pos.offset.max(start)
        };
        (lo, len)
    } else {
        (0, end)
    })
}

/// The first hit of source `s` in its canonical order (backward: the
/// last), starting from the byte-order hit `hit`: in a chunk that is in
/// file order that is the hit itself, once `bound` admits it; in a
/// reordered chunk every hit in the chunk is looked at.
#[allow(clippy::too_many_arguments)]
fn place(
    merge: &mut Merge,
    s: usize,
    sources: &[Arc<dyn Source>],
    range: &mut (u64, u64),
    bound: &Bound,
    mut hit: Option<u64>,
    forward: bool,
    matcher: &Matcher,
    stop: &AtomicBool,
) -> io::Result<Option<(Record, u64)>> {
    let quiet = ScanProgress::default();
    let one = |range: (u64, u64), stop: &AtomicBool| -> io::Result<Option<u64>> {
        let mut ranges = vec![(0, 0); sources.len()];
        ranges[s] = range;
        Ok(scan_all(sources, &ranges, forward, matcher, &quiet, stop)?[s])
    };
    while let Some(line) = hit {
        if stop.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let Some(record) = merge.record_containing(s, line)? else {
            return Ok(None);
        };
        let (chunk_start, chunk_end, reordered) = merge.chunk_of(s, record.chunk)?;
        if !reordered {
            if bound.admits(&record, line) {
                return Ok(Some((record, line)));
            }
            *range = if forward {
                (next_line(merge, s, line)?, range.1)
            } else {
                (range.0, line)
            };
        } else {
            // Every hit of the chunk, placed in order.
            let mut best: Option<(Record, u64)> = None;
            let mut at = (chunk_start.max(range.0), chunk_end.min(range.1));
            let forward_scan = |at: (u64, u64)| {
                let mut ranges = vec![(0, 0); sources.len()];
                ranges[s] = at;
                scan_all(sources, &ranges, true, matcher, &quiet, stop).map(|h| h[s])
            };
            while let Some(found) = forward_scan(at)? {
                if let Some(r) = merge.record_containing(s, found)? {
                    if bound.admits(&r, found) {
                        let better = best.is_none_or(|(b, bl)| {
                            let (key, bkey) = ((r.at(), found), (b.at(), bl));
                            if forward {
                                key < bkey
                            } else {
                                key > bkey
                            }
                        });
                        if better {
                            best = Some((r, found));
                        }
                    }
                }
                at = (next_line(merge, s, found)?, at.1);
                if at.0 >= at.1 || stop.load(Ordering::Relaxed) {
                    break;
                }
            }
            if best.is_some() {
                return Ok(best);
            }
            *range = if forward {
                (chunk_end, range.1)
            } else {
                (range.0, chunk_start)
            };
        }
        if range.0 >= range.1 {
            return Ok(None);
        }
        hit = one(*range, stop)?;
    }
    Ok(None)
}

/// Where the line after the one starting at `line` starts.
fn next_line(merge: &mut Merge, s: usize, line: u64) -> io::Result<u64> {
    Ok(merge
        .line_at(s, line)?
        .map_or(line.saturating_add(1), |l| l.next.max(line + 1)))
}

/// The cursor above `record` if the merge shows it (not a dropped copy, not
/// filtered out), found by seeking to its key and stepping through its group.
fn visible(
    merge: &mut Merge,
    source: usize,
    record: &Record,
) -> io::Result<Option<crate::merge::Cursor>> {
    let limit = if record.ts.is_some() {
        merge.seek_time(record.key)?;
        record.key.saturating_add(1)
    } else {
        merge.seek_start();
        i64::MIN + 1
    };
    while let Some(r) = merge.next_record_before(limit)? {
        if r.source == source && r.record.start == record.start {
            merge.unread(&r);
            return Ok(Some(merge.cursor()));
        }
    }
    Ok(None)
}

struct Task {
    source: usize,
    chunk: usize,
    lo: u64,
    hi: u64,
    /// The range the chunk belongs to starts here (its first line needs no
    /// snapping to a line start).
    range_lo: u64,
}

/// Scans every source's range on all cores; returns each source's first
/// (forward) or last (backward) matching line start.
fn scan_all(
    sources: &[Arc<dyn Source>],
    ranges: &[(u64, u64)],
    forward: bool,
    matcher: &Matcher,
    progress: &ScanProgress,
    stop: &AtomicBool,
) -> io::Result<Vec<Option<u64>>> {
    let n = sources.len();
    let chunks: Vec<usize> = ranges
        .iter()
        .map(|(lo, hi)| hi.saturating_sub(*lo).div_ceil(CHUNK) as usize)
        .collect();
    let rounds = chunks.iter().copied().max().unwrap_or(0);
    let mut queue = VecDeque::new();
    // Round-robin over sources, nearest chunks first, so every source
    // advances together and a hit near the cursor is found early.
    for round in 0..rounds {
        for s in 0..n {
            if round >= chunks[s] {
                continue;
            }
            let chunk = if forward {
                round
            } else {
                chunks[s] - 1 - round
            };
            let (lo, hi) = ranges[s];
            let start = lo + chunk as u64 * CHUNK;
            queue.push_back(Task {
                source: s,
                chunk,
                lo: start,
                hi: (start + CHUNK).min(hi),
                range_lo: lo,
            });
        }
    }
    // Per source: the chunk with the best hit so far, and the hit.
    let found: Mutex<Vec<Option<(usize, u64)>>> = Mutex::new(vec![None; n]);
    let queue = Mutex::new(queue);
    let failure: Mutex<Option<io::Error>> = Mutex::new(None);
    let bytes: u64 = ranges.iter().map(|(lo, hi)| hi.saturating_sub(*lo)).sum();
    // Small ranges are scanned right here: threads would cost more.
    let workers = if bytes <= CHUNK {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, |w| w.get())
            .clamp(1, 4)
    };
    std::thread::scope(|scope| {
        for worker in 0..workers {
            let work =
                || {
                    let mut buf = Vec::new();
                    loop {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        let Some(task) = queue.lock().ok().and_then(|mut q| q.pop_front()) else {
                            return;
                        };
                        // A source whose nearer chunk already hit needs no farther chunk.
                        let settled = found.lock().ok().and_then(|f| f[task.source]).is_some_and(
                            |(chunk, _)| {
                                if forward {
                                    chunk < task.chunk
                                } else {
                                    chunk > task.chunk
                                }
                            },
                        );
                        if settled {
                            continue;
                        }
                        let span = Span {
                            lo: task.lo,
                            hi: task.hi,
                            range_lo: task.range_lo,
                        };
                        match first_or_last(
                            &*sources[task.source],
                            span,
                            forward,
                            matcher,
                            progress,
                            stop,
                            &mut buf,
                        ) {
                            Ok(Some(line)) => {
                                if let Ok(mut f) = found.lock() {
                                    let better = match f[task.source] {
                                        None => true,
                                        Some((chunk, _)) => {
                                            if forward {
                                                task.chunk < chunk
                                            } else {
                                                task.chunk > chunk
                                            }
                                        }
                                    };
                                    if better {
                                        f[task.source] = Some((task.chunk, line));
                                    }
                                }
                            }
                            Ok(None) => {}
                            Err(e) => {
                                if let Ok(mut slot) = failure.lock() {
                                    slot.get_or_insert(e);
                                }
                                stop_all(&queue);
                                return;
                            }
                        }
                    }
                };
            if worker + 1 == workers {
                work();
            } else {
                scope.spawn(work);
            }
        }
    });
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(e);
    }
    let found = found.into_inner().unwrap_or_default();
    Ok(found.into_iter().map(|f| f.map(|(_, line)| line)).collect())
}

fn stop_all(queue: &Mutex<VecDeque<Task>>) {
    if let Ok(mut q) = queue.lock() {
        q.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::matcher::PatternKind;
    use crate::source::MemSource;

    /// Filler lines up to `at`, then `line`, then filler up to `len`.
    fn source_with(at: usize, line: &str, len: usize) -> Arc<dyn Source> {
        let filler = "[2024-12-20T10:00:00.000+0000] {x.py:1} INFO - nothing to see here\n";
        let mut data = Vec::with_capacity(len + line.len());
        while data.len() + filler.len() <= at {
            data.extend_from_slice(filler.as_bytes());
        }
        data.resize(at, b'.');
        if let Some(last) = data.last_mut() {
            *last = b'\n';
        }
        data.extend_from_slice(line.as_bytes());
        while data.len() < len {
            data.extend_from_slice(filler.as_bytes());
        }
        Arc::new(MemSource(data))
    }

    fn first_and_last(source: Arc<dyn Source>, pattern: &str) -> (Option<u64>, Option<u64>) {
        let matcher = Matcher::new(pattern, PatternKind::Literal).expect("pattern");
        let ranges = [(0, source.len())];
        let sources = [source];
        let scan = |forward| {
            let progress = ScanProgress::default();
            scan_all(
                &sources,
                &ranges,
                forward,
                &matcher,
                &progress,
                &AtomicBool::new(false),
            )
            .expect("in memory")[0]
        };
        (scan(true), scan(false))
    }

    #[test]
    fn a_line_across_a_chunk_end_is_its_first_chunks_whole() {
        let at = CHUNK as usize - 10;
        let line = "[2024-12-20T10:00:01.000+0000] {x.py:1} INFO - the needle\n";
        let hit = Some(at as u64);
        assert_eq!(
            first_and_last(source_with(at, line, 3 * CHUNK as usize), "needle"),
            (hit, hit)
        );
    }

    #[test]
    fn a_long_line_across_a_chunk_end_is_matched_past_the_tail() {
        let at = CHUNK as usize - 1000;
        let mut line = format!(
            "[2024-12-20T10:00:01.000+0000] {{x.py:1}} INFO - {}",
            "x".repeat(150 * 1024)
        );
        line.push_str(" the needle\n");
        let hit = Some(at as u64);
        assert_eq!(
            first_and_last(source_with(at, &line, 3 * CHUNK as usize), "needle"),
            (hit, hit)
        );
        // A 2 MiB line, found at its end.
        let mut line = "y".repeat(2 << 20);
        line.push_str(" the needle\n");
        assert_eq!(
            first_and_last(source_with(at, &line, 3 * CHUNK as usize), "needle"),
            (hit, hit)
        );
        // Beyond the cap: not matched, and counted as cut.
        let mut line = "y".repeat(LINE_MATCH_CAP + 10);
        line.push_str(" the needle\n");
        assert_eq!(
            first_and_last(source_with(at, &line, 3 * CHUNK as usize), "needle"),
            (None, None)
        );
    }

    #[test]
    fn a_line_over_several_chunks_leaves_the_next_line_to_its_chunk() {
        // A needle in a line that begins 3 chunks after a 20 MiB line began:
        // the chunks inside the long line find no line start of their own
        // (they used to read on to its end, each of them), and the chunk
        // where the next line starts finds it.
        let mut line = format!("2024-12-20T10:00:01Z {}\n", "z".repeat(20 << 20));
        let after = CHUNK as usize + line.len();
        line.push_str("2024-12-20T10:00:02Z the needle\n");
        let hit = Some(after as u64);
        assert_eq!(
            first_and_last(
                source_with(CHUNK as usize, &line, 4 * CHUNK as usize),
                "needle"
            ),
            (hit, hit)
        );
    }
}
