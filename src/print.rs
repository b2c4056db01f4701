//! Print mode: the merged stream to stdout, byte for byte.
//!
//! Each record's original lines are written with `\n` after each (CRLF
//! becomes LF; NUL bytes and invalid UTF-8 pass through untouched). Records
//! stream in block-sized pieces, so a 100 MB line never sits in memory whole.

use std::io::{self, Write};

mod hits;
mod slices;

use std::sync::Arc;

use crate::merge::{CopyCounts, Cursor, Merge, MergeOptions, MergedRecord, RecordPredicate};
use crate::record::split::SCAN_BLOCK;
use crate::record::timestamp::Nanos;
use crate::record::{Record, RecordLayout, RecordReader};
use crate::search::around::Survey;
use crate::search::matcher::Matcher;

/// Output buffer: large writes keep the syscall count negligible.
const OUT_BUFFER: usize = 1024 * 1024;

/// What to print.
#[derive(Clone, Default)]
pub struct PrintOptions {
    /// Only records with `since ≤ t` (found by bisection, not by scanning).
    pub since: Option<Nanos>,
    /// Only records with `t < until`.
    pub until: Option<Nanos>,
    /// Per-source labels to prefix each line with (`--tag`).
    pub tags: Option<Vec<String>>,
    /// Worker threads; 0 means one per core (at most 4).
    pub threads: usize,
    /// Only records this filter keeps (`--grep`, `--grep-v`, `--level`).
    pub filter: Option<Arc<dyn RecordPredicate>>,
    /// The filter's include patterns: a stretch of the sources with no line
    /// matching any of them can be skipped unmerged. Empty when there are none.
    pub prefilter: Vec<Matcher>,
}

impl PrintOptions {
    /// Nothing to filter, cut or tag: every record as it is.
    fn plain(&self) -> bool {
        self.since.is_none()
            && self.until.is_none()
            && self.tags.is_none()
            && self.filter.is_none()
            && self.prefilter.is_empty()
    }
}

/// What was printed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrintStats {
    /// Records written; not counted (0) when [`print_merge`] copied a lone
    /// source whole, which it does without splitting it into records.
    pub records: u64,
    /// Sources left out part-way because their reads failed for good (a
    /// server that stopped answering), in the order they failed.
    pub dropped: Vec<DroppedSource>,
    /// Per source (by index): records printed in file order beyond the
    /// reorder window (`Record::late`), and how far the latest of them
    /// was behind the time it is kept at.
    pub late: Vec<Late>,
    /// Records not printed because another source's copy of them was
    /// (dedup), per pair of sources.
    pub copies: CopyCounts,
}

/// Records kept in file order beyond the reorder window, in one source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Late {
    pub records: u64,
    pub most: Nanos,
}

/// A source whose records stop part-way in the output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DroppedSource {
    /// Index of the source, in the order the layouts were given.
    pub source: usize,
    /// Time of the last record printed before it failed: its records from
    /// there on are missing. `None` if nothing timed was printed yet.
    pub after: Option<Nanos>,
}

impl PrintStats {
    fn add(&mut self, other: PrintStats) {
        self.records += other.records;
        self.dropped.extend(other.dropped);
        self.copies.add(&other.copies);
        for (i, late) in other.late.into_iter().enumerate() {
            if late.records > 0 {
                self.count_late(i, late.records, late.most);
            }
        }
    }

    /// Counts `records` late records of `source`, the latest `most` behind.
    fn count_late(&mut self, source: usize, records: u64, most: Nanos) {
        if self.late.len() <= source {
            self.late.resize(source + 1, Late::default());
        }
        let late = &mut self.late[source];
        late.records += records;
        late.most = late.most.max(most);
    }

    /// Counts `record` if it is late.
    pub(crate) fn saw(&mut self, record: &MergedRecord) {
        if record.record.late {
            let most = record.record.ts.map_or(0, |t| {
                record.record.key.abs_diff(t).min(i64::MAX as u64) as Nanos
            });
            self.count_late(record.source, 1, most);
        }
    }
}

/// Below this many bytes in all, one thread merges: starting workers would
/// cost more than it saves.
const PARALLEL_MIN_BYTES: u64 = 16 * 1024 * 1024;

/// Above this many sources, one thread merges: every slice seeks every
/// source, and slices are cut along the largest source, which holds little
/// of a folder of many similar files (100 files of 1 MB: 0.22 s sliced,
/// 0.14 s on one merge; BENCHMARKS.md).
const PARALLEL_MAX_SOURCES: usize = 16;

/// Streams the merge of `layouts` (from the start, or from `since`) to `out`.
/// Large inputs are merged in time slices on all cores; the output is the
/// same bytes a single merge would write.
///
/// A source whose reads fail for good part-way (it reports a
/// [`Source::failure`]) is left out from there on and the others are
/// printed to the end; [`PrintStats::dropped`] says which and from when.
///
/// [`Source::failure`]: crate::source::Source::failure
pub fn print_merge(
    layouts: Vec<RecordLayout>,
    merge_options: MergeOptions,
    options: &PrintOptions,
    out: impl Write,
) -> io::Result<PrintStats> {
    if let [layout] = layouts.as_slice() {
        if options.plain() {
            return copy_source(layout, out);
        }
    }
    let mut merge = Merge::new(layouts, merge_options);
    merge.set_predicate(options.filter.clone());
    print_merged(merge, options, out)
}

/// Bytes copied per read when one source is printed whole.
const COPY_CHUNK: usize = 1024 * 1024;

/// Print mode of one source with nothing to filter, cut or tag: the merge
/// of one source is its records in canonical order, and dedup never looks
/// within a source, so the output is its bytes (CRLF made LF, a final
/// newline) wherever a chunk is in file order — copied without splitting
/// lines again, at the speed of the disk or the network (`logweave --print
/// s3://…`) — and a reordered chunk's records in order. The property tests
/// hold it to the merge's output.
fn copy_source(layout: &RecordLayout, out: impl Write) -> io::Result<PrintStats> {
    let source = layout.source();
    let mut out = io::BufWriter::with_capacity(OUT_BUFFER, out);
    let mut crlf = CrlfToLf::default();
    let mut buf = vec![0u8; COPY_CHUNK];
    let mut stats = PrintStats::default();
    let mut reader = layout.sequential_reader(SCAN_BLOCK);
    let mut at = 0;
    let mut last_time = None;
    let failed = |reader: &mut crate::record::RecordReader, at: u64| DroppedSource {
        source: 0,
        after: reader
            .file()
            .record_before(at)
            .ok()
            .flatten()
            .and_then(|record| record.ts),
    };
    while at < layout.len() {
        let chunk = match reader.chunk_at(at) {
            Ok(chunk) => chunk,
            // Its server stopped answering: what was read stays printed,
            // and the caller says from when the rest is missing.
            Err(_) if source.failure().is_some() => {
                stats.dropped.push(DroppedSource {
                    source: 0,
                    after: last_time,
                });
                break;
            }
            Err(e) => return Err(e),
        };
        let (late, most) = chunk.late();
        if late > 0 {
            stats.count_late(0, late as u64, most);
        }
        if chunk.reordered() {
            for i in 0..chunk.len() {
                let record = chunk.record(i);
                reader
                    .lines()
                    .for_each_chunk(record.start, record.end, |piece| {
                        crlf.write(piece, &mut out)
                    })?;
                // Its last line may have been the file's unterminated last.
                crlf.end_line(&mut out)?;
                last_time = record.ts.or(last_time);
            }
            at = chunk.end;
            continue;
        }
        while at < chunk.end {
            let want = COPY_CHUNK.min((chunk.end - at) as usize);
            match source.read_full_at(at, &mut buf[..want]) {
                Ok(0) => {
                    at = layout.len();
                    break;
                }
                Ok(n) => {
                    crlf.write(&buf[..n], &mut out)?;
                    at += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) if source.failure().is_some() => {
                    stats.dropped.push(failed(&mut reader, at));
                    crlf.end_line(&mut out)?;
                    out.flush()?;
                    return Ok(stats);
                }
                Err(e) => return Err(e),
            }
        }
        last_time = chunk.max_key().or(last_time);
    }
    if at > 0 {
        crlf.finish(&mut out)?;
    }
    out.flush()?;
    Ok(stats)
}

/// [`print_merge`] of a merge set up already: its sources switched on or
/// off and its predicate (the viewer's export of what it shows).
/// `options.filter` is not applied again.
pub fn print_merged(
    mut merge: Merge,
    options: &PrintOptions,
    out: impl Write,
) -> io::Result<PrintStats> {
    if options.since.is_some() || options.until.is_some() {
        // Also the merge's predicate: what it leaves out as copies is
        // counted only inside the range.
        merge.set_predicate(Some(Arc::new(InRange {
            since: options.since,
            until: options.until,
            then: merge.predicate().cloned(),
        })));
    }
    let mut out = io::BufWriter::with_capacity(OUT_BUFFER, out);
    let total: u64 = (0..merge.source_count())
        .filter(|&i| merge.is_enabled(i))
        .map(|i| merge.layout(i).len())
        .sum();
    let workers = match options.threads {
        0 => std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(4),
        n => n,
    };
    // Remote sources print on one merge: slices of several sources start
    // where a bisection by time finds them, a ranged GET per step. A lone
    // source is sliced by bytes (no bisection), so a filter over a remote
    // object runs on all cores as over a file.
    let remote = (0..merge.source_count()).any(|i| merge.layout(i).source().is_remote());
    let lone = merge.source_count() == 1 && options.since.is_none() && options.until.is_none();
    let sliced = (!remote || lone)
        && workers > 1
        && total >= PARALLEL_MIN_BYTES
        && merge.source_count() <= PARALLEL_MAX_SOURCES;
    // `--grep` over local sources: searched whole first (a remote source
    // that fails part-way is left out by the merge, which a search
    // beforehand would not survive).
    let (maps, apart) = if options.prefilter.is_empty() || remote {
        (None, Vec::new())
    } else {
        match hits::find(&merge, options)? {
            (Survey::Nothing, apart) => {
                hits::note_cut_lines(options, &apart);
                return Ok(PrintStats::default());
            }
            (Survey::Sparse(maps), apart) => {
                let stats = hits::print_around(&mut merge, options, &maps, &mut out)?;
                out.flush()?;
                hits::note_cut_lines(options, &apart);
                return Ok(stats);
            }
            (Survey::Dense(maps), apart) => (Some(maps), apart),
        }
    };
    let stats = if sliced {
        slices::print_parallel(&mut merge, options, maps.as_deref(), workers, &mut out)?
    } else {
        match options.since {
            Some(since) => merge.seek_time(since)?,
            None => merge.seek_start(),
        }
        print_from_cursor(&mut merge, options, None, &mut out)?
    };
    out.flush()?;
    hits::note_cut_lines(options, &apart);
    Ok(stats)
}

/// Writes the records from `from` on as print mode does: up to and
/// including the record that starts `end` in its source (`end` = a cursor
/// with that record as the first below it, and the source's offset moved
/// to the record's end), or to the end of the stream.
pub fn print_range(
    merge: &mut Merge,
    from: &Cursor,
    end: Option<&Cursor>,
    options: &PrintOptions,
    out: impl Write,
) -> io::Result<PrintStats> {
    let mut out = io::BufWriter::with_capacity(OUT_BUFFER, out);
    merge.seek(from);
    let stats = print_from_cursor(merge, options, end, &mut out)?;
    out.flush()?;
    Ok(stats)
}

/// Writes records from the merge's cursor on, up to `until`.
///
/// After a read error, the sources that own up to it
/// ([`Source::failure`]) are left out and the merge goes on from the cursor
/// before the failed step with the others; an error no source owns up to
/// ends the print.
///
/// [`Source::failure`]: crate::source::Source::failure
fn print_from_cursor(
    merge: &mut Merge,
    options: &PrintOptions,
    end: Option<&Cursor>,
    out: &mut impl Write,
) -> io::Result<PrintStats> {
    let mut stats = PrintStats::default();
    // Copies dropped by earlier steps over this merge are not this print's.
    merge.take_copies();
    let mut out = LastByte::new(out);
    let mut last_time = None;
    loop {
        // `--until` does not stop the merge: records are merged by their
        // keys, and one late by more than the reorder window (a clock
        // stepped back) has a key later than its own time, so a record
        // stamped before `--until` may lie anywhere after it. The merge
        // reads on to the end and prints what `wanted` keeps.
        let step = merge.next_record().and_then(|record| {
            let Some(record) = record else {
                return Ok(false);
            };
            // The records above `end` are a prefix of the merge from a
            // cursor above it: the first one at or past it ends the range.
            if end.is_some_and(|end| record.record.at() >= end.0[record.source]) {
                return Ok(false);
            }
            if wanted(&record, options) {
                write_record(merge, &record, options, &mut out)?;
                stats.records += 1;
                stats.saw(&record);
                last_time = record.record.ts.or(last_time);
            }
            Ok(true)
        });
        let error = match step {
            Ok(true) => continue,
            Ok(false) => {
                stats.copies = merge.take_copies();
                return Ok(stats);
            }
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Err(e),
            Err(e) => e,
        };
        let failed: Vec<usize> = (0..merge.source_count())
            .filter(|&i| merge.is_enabled(i) && merge.layout(i).source().failure().is_some())
            .collect();
        if failed.is_empty() {
            return Err(error);
        }
        // A record cut off mid-way by its source's failure still ends its
        // line, so that the next record starts on one of its own.
        out.end_line()?;
        for source in failed {
            merge.set_enabled(source, false);
            stats.dropped.push(DroppedSource {
                source,
                after: last_time,
            });
        }
        merge.undo_step();
    }
}

/// A writer that remembers the last byte through it.
struct LastByte<'a, W: Write> {
    inner: &'a mut W,
    last: Option<u8>,
}

impl<'a, W: Write> LastByte<'a, W> {
    fn new(inner: &'a mut W) -> Self {
        Self { inner, last: None }
    }

    /// Writes `\n` unless the output is empty or already ends a line.
    fn end_line(&mut self) -> io::Result<()> {
        match self.last {
            Some(b) if b != b'\n' => self.write_all(b"\n"),
            _ => Ok(()),
        }
    }
}

impl<W: Write> Write for LastByte<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        if n > 0 {
            self.last = Some(buf[n - 1]);
        }
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf)?;
        if let Some(&b) = buf.last() {
            self.last = Some(b);
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Whether `--since/--until` keep `record`, by its own time: a record a
/// clock stepping back left in file order (`late`) is placed by a later key
/// than its time, and is printed where it stands when its time is in range.
/// An untimed source has no place inside a time range.
fn wanted(record: &MergedRecord, options: &PrintOptions) -> bool {
    if options.since.is_none() && options.until.is_none() {
        return true;
    }
    in_range(record.record.ts, options.since, options.until)
}

fn in_range(ts: Option<Nanos>, since: Option<Nanos>, until: Option<Nanos>) -> bool {
    ts.is_some_and(|t| since.is_none_or(|since| t >= since) && until.is_none_or(|until| t < until))
}

/// `--since/--until` (by each record's own time) before the filter.
struct InRange {
    since: Option<Nanos>,
    until: Option<Nanos>,
    then: Option<Arc<dyn RecordPredicate>>,
}

impl RecordPredicate for InRange {
    fn accepts(
        &self,
        source: usize,
        reader: &mut RecordReader,
        record: &Record,
    ) -> io::Result<bool> {
        if !in_range(record.ts, self.since, self.until) {
            return Ok(false);
        }
        match &self.then {
            Some(filter) => filter.accepts(source, reader, record),
            None => Ok(true),
        }
    }
}

/// Writes one record as print mode does (raw bytes, CRLF → LF, tags).
pub fn write_record(
    merge: &mut Merge,
    record: &MergedRecord,
    options: &PrintOptions,
    out: &mut impl Write,
) -> io::Result<()> {
    match &options.tags {
        Some(tags) => {
            let tag = tags.get(record.source).map(String::as_str).unwrap_or("?");
            let mut line_start = true;
            merge.for_each_line_piece(record, |piece, last| {
                if line_start {
                    out.write_all(tag.as_bytes())?;
                    out.write_all(b": ")?;
                    line_start = false;
                }
                out.write_all(piece)?;
                if last {
                    out.write_all(b"\n")?;
                    line_start = true;
                }
                Ok(())
            })
        }
        None if !record.record.crlf => {
            // Fast path: no line ends in CRLF, so the raw bytes are the output
            // (plus a newline after an unterminated last line).
            let mut last = None;
            merge.for_each_chunk(record, |chunk| {
                last = chunk.last().copied().or(last);
                out.write_all(chunk)
            })?;
            if last != Some(b'\n') {
                out.write_all(b"\n")?;
            }
            Ok(())
        }
        None => {
            // Copy the raw bytes fixing only CRLF and a missing final newline,
            // without splitting the record into lines again.
            let mut crlf = CrlfToLf::default();
            merge.for_each_chunk(record, |chunk| crlf.write(chunk, out))?;
            crlf.finish(out)
        }
    }
}

/// Streams bytes, turning `\r\n` into `\n` across chunk borders, and ends the
/// output with exactly one `\n` after the last line.
#[derive(Default)]
struct CrlfToLf {
    /// A `\r` ended the previous chunk: dropped if a `\n` follows.
    held_cr: bool,
    last: Option<u8>,
}

impl CrlfToLf {
    fn write(&mut self, mut chunk: &[u8], out: &mut impl Write) -> io::Result<()> {
        if chunk.is_empty() {
            return Ok(());
        }
        if std::mem::take(&mut self.held_cr) && chunk[0] != b'\n' {
            out.write_all(b"\r")?;
        }
        while let Some(i) = memchr::memchr(b'\r', chunk) {
            if i + 1 == chunk.len() {
                out.write_all(&chunk[..i])?;
                self.held_cr = true;
                self.last = Some(b'\r');
                return Ok(());
            }
            let keep = if chunk[i + 1] == b'\n' { i } else { i + 1 };
            out.write_all(&chunk[..keep])?;
            chunk = &chunk[i + 1..];
        }
        out.write_all(chunk)?;
        self.last = chunk.last().copied().or(self.last);
        Ok(())
    }

    /// Ends the line written last, if it has no newline yet (a record
    /// that was the file's unterminated last, written before others).
    fn end_line(&mut self, out: &mut impl Write) -> io::Result<()> {
        // A `\r` right before the end is a CR line ending: dropped.
        self.held_cr = false;
        if self.last.is_some_and(|b| b != b'\n') {
            out.write_all(b"\n")?;
            self.last = Some(b'\n');
        }
        Ok(())
    }

    fn finish(self, out: &mut impl Write) -> io::Result<()> {
        // A trailing `\r` without newline is a CR line ending cut by EOF: it
        // is dropped like any other line's `\r`.
        if self.last != Some(b'\n') {
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
