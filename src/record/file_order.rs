//! Records in file order: a timestamped line plus the untimestamped lines
//! after it, read forward from, or backward to, any record boundary.
//!
//! This is the layer under the canonical order (`record::order`): it knows
//! nothing of time order. Lines before a source's first timestamp (a
//! preamble: a warning Python printed before logging began, a banner) are a
//! record of their own, at the time of the first timestamped line and of no
//! level, so that no level filter or `--grep-v` on the first record hides
//! them; a source without any timestamp is a single record whose time is
//! unknown.

use std::collections::VecDeque;
use std::io;

use super::format::TsParser;
use super::level::Level;
use super::split::{BlockReader, Line};
use super::timestamp::Nanos;

/// One record of one source in file order: the byte range `[start, end)`,
/// where `end` is the start of the next record (so it includes the final
/// newline, if any).
#[derive(Clone, Copy, Debug)]
pub struct FileRecord {
    /// UTC nanoseconds of its first timestamped line; `None` only for a source
    /// that has no timestamps at all.
    pub ts: Option<Nanos>,
    pub start: u64,
    pub end: u64,
    /// Severity of the timestamped line (`Unknown` unless the reader was asked
    /// to sniff levels).
    pub level: Level,
    /// The raw bytes may differ from the lines as shown: some line may end in
    /// CRLF, or (the last record of a source) lack its final newline. `false`
    /// is a promise that they are the same, which lets the common case be
    /// copied and compared as raw bytes.
    pub crlf: bool,
}

/// Records are equal when they are the same record; `crlf` is only a hint
/// about its bytes and may differ between two reads of it.
impl PartialEq for FileRecord {
    fn eq(&self, other: &Self) -> bool {
        (self.ts, self.start, self.end, self.level)
            == (other.ts, other.start, other.end, other.level)
    }
}

impl Eq for FileRecord {}

impl FileRecord {
    /// Size in bytes, including newlines.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// `true` for an empty record (never produced by a reader).
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

impl FileReader {
    /// A reader over `lines` that parses heads with `parser`; `first_timed`
    /// is the offset of the source's first timestamped line.
    pub(super) fn new(
        lines: BlockReader,
        parser: TsParser,
        first_timed: Option<u64>,
        want_levels: bool,
    ) -> Self {
        Self {
            lines,
            parser,
            first_timed,
            want_levels,
            lookahead: None,
            // Grown as records are read: a merge over thousands of sources
            // makes readers that never read forward (issue 26).
            recent: VecDeque::new(),
        }
    }

    /// Where the source's first timestamped line starts, if it has one.
    pub fn first_timed(&self) -> Option<u64> {
        self.first_timed
    }

    /// Whether the source is JSON lines.
    pub fn is_json(&self) -> bool {
        self.parser
            .format()
            .is_some_and(super::format::TsFormat::is_json)
    }

    /// Another reader over the same snapshot, with a block of its own.
    pub fn another(&self, block: usize) -> FileReader {
        FileReader::new(
            BlockReader::new(self.lines.source().clone(), self.lines.len(), block),
            self.parser.clone(),
            self.first_timed,
            self.want_levels,
        )
    }

    /// The offset of the first timestamped line, if any.
    pub(super) fn find_first_timed(&mut self) -> io::Result<Option<u64>> {
        let mut at = 0;
        while let Some(parsed) = self.parsed_line_at(at)? {
            if parsed.ts.is_some() {
                return Ok(Some(at));
            }
            at = parsed.line.next;
        }
        Ok(None)
    }
}

/// A line together with what its head says.
#[derive(Clone, Copy, Debug)]
struct ParsedLine {
    line: Line,
    ts: Option<Nanos>,
    level: Level,
    /// A CRI `P` line: the logical line goes on in the next one.
    partial: bool,
}

/// Reads the records of one source in file order, in either direction.
/// Keeps one block.
pub struct FileReader {
    lines: BlockReader,
    parser: TsParser,
    first_timed: Option<u64>,
    want_levels: bool,
    /// The last line parsed while looking for a record's end is the next
    /// record's first line: remembered so forward reading parses each line once.
    lookahead: Option<ParsedLine>,
    /// The last records read forward, contiguous. The dedup planner reads a
    /// timestamp group's run ahead of the merge; the merge then finds those
    /// records here instead of parsing them again.
    recent: VecDeque<FileRecord>,
}

/// How many recently read records a reader remembers.
const RECENT_RECORDS: usize = 32;

impl FileReader {
    /// Length snapshot in bytes.
    pub fn len(&self) -> u64 {
        self.lines.len()
    }

    /// `true` for an empty source.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The underlying line reader, for streaming a record's bytes.
    pub fn lines(&mut self) -> &mut BlockReader {
        &mut self.lines
    }

    fn parse_line(&mut self, line: Line) -> io::Result<ParsedLine> {
        let head = self
            .parser
            .read_line(&mut self.lines, &line, self.want_levels)?;
        Ok(ParsedLine {
            line,
            ts: head.ts,
            level: head.level,
            partial: head.partial,
        })
    }

    fn parsed_line_at(&mut self, start: u64) -> io::Result<Option<ParsedLine>> {
        if let Some(cached) = self.lookahead {
            if cached.line.start == start {
                return Ok(Some(cached));
            }
        }
        match self.lines.line_at(start)? {
            Some(line) => self.parse_line(line).map(Some),
            None => Ok(None),
        }
    }

    /// Whether a timestamped line at `start` begins a record. One that
    /// continues a CRI partial line (`P`) before it does not, so the pieces
    /// of a long line move, print and match as one record.
    fn opens_record(&mut self, parsed: &ParsedLine) -> io::Result<bool> {
        if parsed.ts.is_none() {
            return Ok(false);
        }
        if !self.parser.joins_partial_lines() {
            return Ok(true);
        }
        let Some(before) = self.lines.line_before(parsed.line.start)? else {
            return Ok(true);
        };
        Ok(!self.parse_line(before)?.partial)
    }

    /// The record that starts at the boundary `pos`, or `None` at the end.
    pub fn record_at(&mut self, pos: u64) -> io::Result<Option<FileRecord>> {
        while let Some(front) = self.recent.front() {
            if front.start >= pos {
                break;
            }
            self.recent.pop_front();
        }
        if let Some(known) = self.recent.front().filter(|r| r.start == pos) {
            return Ok(Some(*known));
        }
        let record = self.read_record_at(pos)?;
        if let Some(record) = record {
            if self
                .recent
                .back()
                .is_some_and(|last| last.end != record.start)
            {
                self.recent.clear();
            }
            if self.recent.len() == RECENT_RECORDS {
                self.recent.pop_front();
            }
            self.recent.push_back(record);
        }
        Ok(record)
    }

    fn read_record_at(&mut self, pos: u64) -> io::Result<Option<FileRecord>> {
        let Some(head) = self.parsed_line_at(pos)? else {
            return Ok(None);
        };
        if pos == 0 && head.ts.is_none() {
            return self.preamble().map(Some);
        }
        let mut crlf = head.line.cr;
        let mut end = head.line.next;
        while let Some(parsed) = self.parsed_line_at(end)? {
            if self.opens_record(&parsed)? {
                self.lookahead = Some(parsed);
                break;
            }
            crlf |= parsed.line.cr;
            end = parsed.line.next;
        }
        crlf |= end == self.len();
        Ok(Some(FileRecord {
            ts: head.ts,
            start: pos,
            end,
            level: head.level,
            crlf,
        }))
    }

    /// The record that ends at the boundary `pos`, or `None` when `pos` is 0.
    pub fn record_before(&mut self, pos: u64) -> io::Result<Option<FileRecord>> {
        let mut at = pos;
        let mut crlf = pos >= self.len();
        let head = loop {
            let Some(line) = self.lines.line_before(at)? else {
                return Ok(None);
            };
            crlf |= line.cr;
            let parsed = self.parse_line(line)?;
            if line.start == 0 && parsed.ts.is_none() {
                return self.preamble().map(Some);
            }
            if line.start == 0 || self.opens_record(&parsed)? {
                break parsed;
            }
            at = line.start;
        };
        Ok(Some(FileRecord {
            ts: head.ts,
            start: head.line.start,
            end: pos,
            level: head.level,
            crlf,
        }))
    }

    /// The record at offset 0 of a source whose first line has no time:
    /// the lines up to its first timestamped line, at that line's time
    /// (just before its record) and of no level; or, without any
    /// timestamp, the whole source.
    fn preamble(&mut self) -> io::Result<FileRecord> {
        let first = match self.first_timed {
            Some(first) => self.parsed_line_at(first)?,
            None => None,
        };
        Ok(FileRecord {
            ts: first.and_then(|f| f.ts),
            start: 0,
            end: first.map_or(self.len(), |f| f.line.start),
            level: Level::Unknown,
            // Its lines were not checked for CR.
            crlf: true,
        })
    }

    /// The record that contains the line starting at `line_start`.
    pub fn record_containing(&mut self, line_start: u64) -> io::Result<Option<FileRecord>> {
        if self.first_timed.is_none_or(|first| line_start < first) {
            // An untimed source is one record, and so is a preamble.
            return self.record_at(0);
        }
        let mut at = line_start;
        loop {
            let Some(parsed) = self.parsed_line_at(at)? else {
                return Ok(None);
            };
            if at == 0 || self.opens_record(&parsed)? {
                return self.record_at(at);
            }
            match self.lines.line_before(at)? {
                Some(line) => at = line.start,
                None => return self.record_at(0),
            }
        }
    }

    /// The first record boundary at or after `offset` (the length when none):
    /// how an arbitrary byte offset becomes a valid cursor position.
    pub fn boundary_at_or_after(&mut self, offset: u64) -> io::Result<u64> {
        if offset == 0 {
            return Ok(0);
        }
        let mut at = self.lines.line_start_at_or_after(offset)?;
        while let Some(parsed) = self.parsed_line_at(at)? {
            if self.opens_record(&parsed)? {
                return Ok(at);
            }
            at = parsed.line.next;
        }
        Ok(self.len())
    }

    /// Calls `sink` for each line of `[start, end)` with the line's bytes in
    /// block-sized pieces; `sink`'s second argument is `true` on the last piece
    /// of a line. The trailing `\r` of CRLF endings is not passed on.
    pub fn for_each_line_piece(
        &mut self,
        start: u64,
        end: u64,
        mut sink: impl FnMut(&[u8], bool) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut at = start;
        while at < end {
            let Some(line) = self.lines.line_at(at)? else {
                break;
            };
            let content_end = line.end.min(end);
            self.lines
                .for_each_chunk(line.start, content_end, |chunk| {
                    let chunk_end = at + chunk.len() as u64;
                    at = chunk_end;
                    match chunk.split_last() {
                        // CRLF → LF: the `\r` right before the newline is not content.
                        Some((b'\r', body))
                            if chunk_end == content_end && content_end == line.end =>
                        {
                            sink(body, false)
                        }
                        _ => sink(chunk, false),
                    }
                })?;
            sink(&[], true)?;
            at = line.next;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{RecordLayout, TimeOptions};
    use crate::source::MemSource;
    use std::sync::Arc;

    fn layout(text: &[u8]) -> RecordLayout {
        let time = TimeOptions::default();
        RecordLayout::open(Arc::new(MemSource(text.to_vec())), &time, true).expect("mem source")
    }

    fn forward(layout: &RecordLayout, block: usize) -> Vec<FileRecord> {
        let mut reader = layout.file_reader(block);
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(rec) = reader.record_at(at).expect("read") {
            assert!(rec.end > rec.start, "progress at {at}");
            at = rec.end;
            out.push(rec);
        }
        out
    }

    fn backward(layout: &RecordLayout, block: usize) -> Vec<FileRecord> {
        let mut reader = layout.file_reader(block);
        let mut out = Vec::new();
        let mut at = layout.len();
        while let Some(rec) = reader.record_before(at).expect("read") {
            at = rec.start;
            out.push(rec);
        }
        out.reverse();
        out
    }

    const SAMPLE: &[u8] = b"preamble without time\n\
[2024-12-20T10:00:00.000+0000] {a.py:1} INFO - one\n\
[2024-12-20T10:00:01.000+0000] {a.py:1} ERROR - two\n\
Traceback (most recent call last):\n\
  File \"x.py\", line 1, in <module>\n\
\n\
ValueError: boom\n\
[2024-12-20T10:00:02.000+0000] {a.py:1} INFO - three";

    #[test]
    fn records_group_continuations_both_ways() {
        let l = layout(SAMPLE);
        for block in [64, 100, 4096] {
            let fwd = forward(&l, block);
            assert_eq!(fwd.len(), 4, "block {block}");
            // The preamble is a record of its own, at the first one's time
            // and of no level.
            assert_eq!((fwd[0].start, fwd[0].end), (0, 22));
            assert_eq!((fwd[0].ts, fwd[0].level), (fwd[1].ts, Level::Unknown));
            assert_eq!(fwd[1].level, Level::Info);
            assert_eq!(fwd[2].level, Level::Error);
            assert_eq!(fwd[3].end, SAMPLE.len() as u64);
            assert_eq!(backward(&l, block), fwd, "block {block}");
        }
    }

    #[test]
    fn cri_partial_lines_join_into_one_record_both_ways() {
        let text = b"2024-12-20T10:00:01.0Z stdout F one\n\
2024-12-20T10:00:02.0Z stdout P two begins, \n\
2024-12-20T10:00:02.1Z stdout P goes on, \n\
2024-12-20T10:00:02.2Z stdout F and ends\n\
2024-12-20T10:00:03.0Z stderr F three\n";
        let l = layout(text);
        for block in [48, 64, 4096] {
            let fwd = forward(&l, block);
            let starts: Vec<u64> = fwd.iter().map(|r| r.start).collect();
            assert_eq!(starts, [0, 36, 164], "block {block}");
            assert_eq!(fwd[1].ts, Some(1_734_688_802_000_000_000));
            assert_eq!(backward(&l, block), fwd, "block {block}");
            let mut reader = l.file_reader(block);
            for off in 37..=164 {
                assert_eq!(
                    reader.boundary_at_or_after(off).expect("snap"),
                    164,
                    "{off}"
                );
            }
        }
    }

    #[test]
    fn untimed_source_is_one_record() {
        let l = layout(b"just\ntext\n");
        let fwd = forward(&l, 64);
        assert_eq!(
            fwd,
            vec![FileRecord {
                ts: None,
                start: 0,
                end: 10,
                level: Level::Unknown,
                crlf: true
            }]
        );
        assert_eq!(backward(&l, 64), fwd);
    }

    #[test]
    fn boundaries_snap_forward() {
        let l = layout(SAMPLE);
        let recs = forward(&l, 4096);
        let mut reader = l.file_reader(64);
        assert_eq!(reader.boundary_at_or_after(0).expect("snap"), 0);
        // Anywhere inside a record (including its timed line) snaps to the
        // next; the preamble is the first of them.
        assert_eq!(recs.len(), 4);
        for pair in recs.windows(2) {
            for off in pair[0].start + 1..=pair[1].start {
                assert_eq!(
                    reader.boundary_at_or_after(off).expect("snap"),
                    pair[1].start,
                    "{off}"
                );
            }
        }
        assert_eq!(
            reader
                .boundary_at_or_after(recs[3].start + 1)
                .expect("snap"),
            l.len()
        );
    }

    #[test]
    fn line_pieces_drop_cr_and_stream_long_lines() {
        let mut text = b"[2024-12-20T10:00:00.000+0000] a\r\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', 1000));
        text.extend(b"\r\n\r\n");
        let l = layout(&text);
        let mut reader = l.file_reader(64);
        let mut out = Vec::new();
        let mut pieces = 0;
        reader
            .for_each_line_piece(0, text.len() as u64, |piece, last| {
                out.extend_from_slice(piece);
                pieces += 1;
                if last {
                    out.push(b'\n');
                }
                Ok(())
            })
            .expect("stream");
        let mut want = b"[2024-12-20T10:00:00.000+0000] a\n".to_vec();
        want.extend(std::iter::repeat_n(b'x', 1000));
        want.extend(b"\n\n");
        assert_eq!(out, want);
        assert!(pieces > 10, "a long line arrives in block-sized pieces");
    }
}
