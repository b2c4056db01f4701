//! Reading through the merge's readers what a record or a position holds:
//! the bytes and keys of a source's chunks (for searches that scan bytes
//! and place hits in the canonical order) and a record's lines (for the
//! window, print and saves).

use std::io;

use super::{Merge, MergedRecord};
use crate::record::split::Line;
use crate::record::{Pos, Record};

impl Merge {
    /// The bytes the records of the chunk of source `i` starting at or
    /// holding byte `offset` span (a record's chunk is `record.chunk`), and
    /// whether they are other than the chunk's bytes in file order.
    pub fn chunk_of(&mut self, i: usize, offset: u64) -> io::Result<(u64, u64, bool)> {
        let chunk = self.probe(i).chunk_at(offset)?;
        Ok(if chunk.reordered() {
            (chunk.lo.min(chunk.start), chunk.hi.max(chunk.end), true)
        } else {
            (chunk.start, chunk.end, false)
        })
    }

    /// The least and greatest key of the records of source `i` that may
    /// start in bytes `[from, to)`: those of every chunk whose records span
    /// them (an exchange moves records across a forced cut). `None` when no
    /// record there has a key.
    pub fn keys_of_bytes(
        &mut self,
        i: usize,
        from: u64,
        to: u64,
    ) -> io::Result<Option<(i64, i64)>> {
        let len = self.layouts[i].len();
        let to = to.min(len);
        if from >= to {
            return Ok(None);
        }
        let reader = self.probe(i);
        let mut chunk = reader.chunk_at(from)?;
        if chunk.start > 0 && reader.chunk_extent(chunk.start - 1)?.1 > from {
            chunk = reader.chunk_at(chunk.start - 1)?;
        }
        let mut keys: Option<(i64, i64)> = None;
        loop {
            if let (Some(lo), Some(hi)) = (chunk.min_key(), chunk.max_key()) {
                keys = Some(keys.map_or((lo, hi), |(l, h)| (l.min(lo), h.max(hi))));
            }
            if chunk.end >= len || (chunk.end >= to && reader.chunk_extent(chunk.end)?.0 >= to) {
                return Ok(keys);
            }
            chunk = reader.chunk_at(chunk.end)?;
        }
    }

    /// A byte range of source `i` that holds every record between positions
    /// `from` and `to` (whole chunks: records inside a chunk are not in file
    /// order).
    pub fn byte_span(&mut self, i: usize, from: Pos, to: Pos) -> io::Result<(u64, u64)> {
        let len = self.layouts[i].len();
        let end = if to.chunk >= len {
            len
        } else if to.key == i64::MIN && to.offset == 0 {
            // Up to the chunk's start: the chunk before may reach past it.
            match to.chunk.checked_sub(1) {
                Some(last) => self.probe(i).chunk_extent(last)?.1.max(to.chunk),
                None => 0,
            }
        } else {
            self.probe(i).chunk_extent(to.chunk)?.1
        };
        let start = if from.chunk >= len {
            len
        } else {
            self.probe(i).chunk_extent(from.chunk)?.0.min(from.chunk)
        };
        Ok((start, end.max(start)))
    }

    /// Streams the lines of a record just returned by [`next_record`](Self::next_record) or
    /// [`prev_record`](Self::prev_record): `sink` gets each line in pieces (CR of CRLF
    /// removed) and `true` after a line's last piece.
    pub fn for_each_line_piece(
        &mut self,
        record: &MergedRecord,
        sink: impl FnMut(&[u8], bool) -> io::Result<()>,
    ) -> io::Result<()> {
        self.readers[record.source].file().for_each_line_piece(
            record.record.start,
            record.record.end,
            sink,
        )
    }

    /// Streams the raw bytes of a record just returned by [`next_record`](Self::next_record)
    /// or [`prev_record`](Self::prev_record), in block-sized pieces.
    pub fn for_each_chunk(
        &mut self,
        record: &MergedRecord,
        sink: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        self.readers[record.source].lines().for_each_chunk(
            record.record.start,
            record.record.end,
            sink,
        )
    }

    /// The line of `source` that starts at `start` (for views that show a
    /// record line by line).
    pub fn line_at(&mut self, source: usize, start: u64) -> io::Result<Option<Line>> {
        self.readers[source].lines().line_at(start)
    }

    /// The line of `source` that ends just before `next`.
    pub fn line_before(&mut self, source: usize, next: u64) -> io::Result<Option<Line>> {
        self.readers[source].lines().line_before(next)
    }

    /// The bytes of `line` without its `\r\n`/`\n`, at most `cap` of them;
    /// the flag says whether the line was cut.
    pub fn line_text(
        &mut self,
        source: usize,
        line: &Line,
        cap: usize,
    ) -> io::Result<(Vec<u8>, bool)> {
        let cut = line.len() > cap as u64;
        let end = if cut {
            line.start + cap as u64
        } else {
            line.end
        };
        let mut text = Vec::with_capacity((end - line.start) as usize);
        self.readers[source]
            .lines()
            .for_each_chunk(line.start, end, |chunk| {
                text.extend_from_slice(chunk);
                Ok(())
            })?;
        if !cut && text.last() == Some(&b'\r') {
            text.pop();
        }
        Ok((text, cut))
    }

    /// The record of `source` that contains the line starting at `line_start`.
    pub fn record_containing(
        &mut self,
        source: usize,
        line_start: u64,
    ) -> io::Result<Option<Record>> {
        self.readers[source].record_containing(line_start)
    }
}
