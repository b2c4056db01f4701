//! Line splitting in both directions from any byte offset.
//!
//! A [`BlockReader`] keeps exactly one block of a source in memory and finds
//! line ends with `memchr` (forward) or `memrchr` (backward), loading the next
//! block when a line runs past the current one. A line of any length therefore
//! costs one block of memory: a 100 MB line is scanned, never held.

use std::io;
use std::sync::Arc;

use crate::source::Source;

/// Block size for sequential reading: large enough that a `pread` per block is
/// noise next to the scanning work.
pub const SCAN_BLOCK: usize = 64 * 1024;

/// Block size for random probes (bisection): most probes need a line or two,
/// so a small block keeps a seek to O(log n) cheap reads.
pub const PROBE_BLOCK: usize = 4 * 1024;

/// One line of a source. `end` is the offset of its `\n` (or of the end of the
/// source for an unterminated last line) and so still includes a trailing
/// `\r`; `next` is where the following line starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    pub start: u64,
    pub end: u64,
    pub next: u64,
    /// The line may end in `\r` (CRLF): `false` is a promise, `true` only a
    /// hint (set whenever the byte could not be checked for free). Lets the
    /// common LF-only case copy and hash raw bytes without a second scan.
    pub cr: bool,
}

impl Line {
    /// Length of the line without its terminator.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// `true` for an empty line.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// A one-block window onto a source.
pub struct BlockReader {
    source: Arc<dyn Source>,
    /// Length snapshot: the reader never looks past it, so a growing file is
    /// seen consistently until the owner refreshes.
    len: u64,
    block: usize,
    buf: Vec<u8>,
    /// Offset of `buf[0]` in the source.
    start: u64,
    /// Bytes before a forward miss kept loaded (see [`Self::with_look_back`]).
    look_back: usize,
}

impl BlockReader {
    /// A reader over the first `len` bytes of `source`, loading `block` bytes
    /// at a time.
    pub fn new(source: Arc<dyn Source>, len: u64, block: usize) -> Self {
        Self {
            source,
            len,
            block: block.max(64),
            buf: Vec::new(),
            start: 0,
            look_back: 0,
        }
    }

    /// Keeps up to `bytes` before a forward miss loaded, so that a reader
    /// going forward through records a little out of file order (a chunk
    /// of the canonical order read in time order) finds the ones behind it
    /// in the window instead of loading a block for each: the window
    /// slides on, reading every byte about once. At most `block + bytes`
    /// are held.
    pub fn with_look_back(mut self, bytes: usize) -> Self {
        self.look_back = bytes;
        self
    }

    /// The length snapshot this reader works on.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// `true` when the snapshot is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The source this reader reads.
    pub fn source(&self) -> &Arc<dyn Source> {
        &self.source
    }

    fn end(&self) -> u64 {
        self.start + self.buf.len() as u64
    }

    fn holds(&self, offset: u64) -> bool {
        offset >= self.start && offset < self.end()
    }

    /// Loads the block that starts at `offset` (with a look-back, the
    /// window that reaches `block` bytes past it). With a look-back, an
    /// `offset` inside the window (a range that runs past its end) slides
    /// it on like one past its end: loading a fresh window from `offset`
    /// dropped the bytes behind it, and the records a little out of order
    /// there loaded a fresh window again (Airflow 3's print: 414 fresh
    /// windows of its largest file, 274 MB of the 2,720 MB read).
    fn load_from(&mut self, offset: u64) -> io::Result<()> {
        let window = self.block + self.look_back;
        if self.look_back > 0 && offset >= self.start && !self.buf.is_empty() {
            let from = offset.saturating_sub(self.look_back as u64).max(self.start);
            if from < self.end() {
                return self.slide(from, window);
            }
        }
        let want = (self.len.saturating_sub(offset)).min(window as u64) as usize;
        self.fill(offset, want)
    }

    /// Drops the loaded bytes before `from` and reads on after the rest, up
    /// to `window` bytes in all.
    fn slide(&mut self, from: u64, window: usize) -> io::Result<()> {
        let keep_from = (from - self.start) as usize;
        self.buf.copy_within(keep_from.., 0);
        let kept = self.buf.len() - keep_from;
        self.start = from;
        let end = from + kept as u64;
        let want = (self.len.saturating_sub(end)).min(window.saturating_sub(kept) as u64) as usize;
        self.buf.resize(kept + want, 0);
        let got = self.source.read_full_at(end, &mut self.buf[kept..])?;
        self.buf.truncate(kept + got);
        if got < want {
            self.len = end + got as u64;
        }
        Ok(())
    }

    /// Loads the block that ends at `end`.
    fn load_until(&mut self, end: u64) -> io::Result<()> {
        let end = end.min(self.len);
        let start = end.saturating_sub(self.block as u64);
        self.fill(start, (end - start) as usize)
    }

    fn fill(&mut self, offset: u64, want: usize) -> io::Result<()> {
        self.buf.resize(want, 0);
        let got = self.source.read_full_at(offset, &mut self.buf)?;
        // A source that shrank under us reads short: work with what is there
        // rather than inventing bytes. The owner notices on refresh.
        self.buf.truncate(got);
        self.start = offset;
        if got < want {
            self.len = offset + got as u64;
        }
        Ok(())
    }

    /// Offset of the first `\n` at or after `from`, or `None` when the source
    /// ends first.
    pub fn find_newline(&mut self, mut from: u64) -> io::Result<Option<u64>> {
        let line_start = from;
        loop {
            if from >= self.len {
                return Ok(None);
            }
            if !self.holds(from) {
                self.load_from(from)?;
                if !self.holds(from) {
                    return Ok(None);
                }
            }
            let at = (from - self.start) as usize;
            if let Some(i) = memchr::memchr(b'\n', &self.buf[at..]) {
                return Ok(Some(from + i as u64));
            }
            from = self.end();
            self.keep_line_start(line_start)?;
        }
    }

    /// A line that runs past the loaded bytes is about to be read on: keep
    /// its start (and the look-back before it) loaded and read on after the
    /// rest, rather than loading the next block alone. The line's head is
    /// then read in the same block (a timestamp parsed right after), which
    /// spares loading the whole block again from the line's start: every
    /// block was read twice by a reader that parses lines.
    fn keep_line_start(&mut self, line_start: u64) -> io::Result<()> {
        if self.buf.is_empty() || line_start <= self.start || line_start >= self.end() {
            return Ok(());
        }
        let from = line_start
            .saturating_sub(self.look_back as u64)
            .max(self.start);
        let window = self.block + self.look_back;
        if (self.end() - from) as usize >= window {
            // Nothing would be read on: the line is longer than a block.
            return Ok(());
        }
        self.slide(from, window)
    }

    /// Offset of the last `\n` strictly before `before`, or `None` when there
    /// is none (the line starts at offset 0).
    pub fn rfind_newline(&mut self, mut before: u64) -> io::Result<Option<u64>> {
        before = before.min(self.len);
        loop {
            if before == 0 {
                return Ok(None);
            }
            if !self.holds(before - 1) {
                self.load_until(before)?;
                if !self.holds(before - 1) {
                    return Ok(None);
                }
            }
            let upto = (before - self.start) as usize;
            if let Some(i) = memchr::memrchr(b'\n', &self.buf[..upto]) {
                return Ok(Some(self.start + i as u64));
            }
            before = self.start;
        }
    }

    /// The line that starts at `start`, or `None` at the end of the source.
    pub fn line_at(&mut self, start: u64) -> io::Result<Option<Line>> {
        if start >= self.len {
            return Ok(None);
        }
        let (end, next) = match self.find_newline(start)? {
            Some(nl) => (nl, nl + 1),
            None => (self.len, self.len),
        };
        Ok(Some(Line {
            start,
            end,
            next,
            cr: self.may_be_cr_before(start, end),
        }))
    }

    /// The line that ends just before `next` (that is, whose successor starts
    /// at `next`), or `None` when `next` is 0.
    pub fn line_before(&mut self, next: u64) -> io::Result<Option<Line>> {
        let next = next.min(self.len);
        if next == 0 {
            return Ok(None);
        }
        // An unterminated last line ends at the end of the source itself.
        let end = if self.byte_at(next - 1)? == Some(b'\n') {
            next - 1
        } else {
            next
        };
        let start = match self.rfind_newline(end)? {
            Some(nl) => nl + 1,
            None => 0,
        };
        Ok(Some(Line {
            start,
            end,
            next,
            cr: self.may_be_cr_before(start, end),
        }))
    }

    /// Whether the byte before `end` (within a line starting at `start`) may be
    /// a `\r`, answered from the loaded block; `true` when it is not loaded.
    #[inline]
    fn may_be_cr_before(&self, start: u64, end: u64) -> bool {
        if end <= start {
            return false;
        }
        match end.checked_sub(1).filter(|&at| self.holds(at)) {
            Some(at) => self.buf[(at - self.start) as usize] == b'\r',
            None => true,
        }
    }

    /// Start of the first line that begins at or after `offset`.
    pub fn line_start_at_or_after(&mut self, offset: u64) -> io::Result<u64> {
        if offset == 0 {
            return Ok(0);
        }
        Ok(match self.find_newline(offset - 1)? {
            Some(nl) => nl + 1,
            None => self.len,
        })
    }

    fn byte_at(&mut self, offset: u64) -> io::Result<Option<u8>> {
        if offset >= self.len {
            return Ok(None);
        }
        if !self.holds(offset) {
            // Backward scans ask for the byte before a line start: load the
            // block ending there so the following rfind is served from it.
            self.load_until(offset + 1)?;
        }
        Ok(self.buf.get((offset - self.start) as usize).copied())
    }

    /// Up to `max` bytes starting at `offset` (fewer at the end of the source).
    /// `max` is capped at the block size.
    pub fn peek(&mut self, offset: u64, max: usize) -> io::Result<&[u8]> {
        let want = (max.min(self.block) as u64).min(self.len.saturating_sub(offset));
        if want == 0 {
            return Ok(&[]);
        }
        if !(self.holds(offset) && offset + want <= self.end()) {
            self.load_from(offset)?;
        }
        let at = (offset.saturating_sub(self.start)) as usize;
        let upto = (at + want as usize).min(self.buf.len());
        Ok(&self.buf[at.min(upto)..upto])
    }

    /// The bytes of `[start, end)` in one slice, when the range fits in a
    /// block (loading it if needed); `None` for larger ranges.
    pub fn range(&mut self, start: u64, end: u64) -> io::Result<Option<&[u8]>> {
        let end = end.min(self.len);
        if end < start || end - start > self.block as u64 {
            return Ok(None);
        }
        if !(start >= self.start && end <= self.end()) {
            self.load_from(start)?;
        }
        if start < self.start || end > self.end() {
            return Ok(None);
        }
        Ok(Some(
            &self.buf[(start - self.start) as usize..(end - self.start) as usize],
        ))
    }

    /// Calls `sink` with the bytes of `[start, end)` in block-sized pieces, in
    /// order. Used to stream records of any size without holding them.
    pub fn for_each_chunk(
        &mut self,
        start: u64,
        end: u64,
        mut sink: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        let end = end.min(self.len);
        let mut at = start;
        while at < end {
            if !self.holds(at) {
                self.load_from(at)?;
                if !self.holds(at) {
                    break;
                }
            }
            let from = (at - self.start) as usize;
            let upto = ((end - self.start) as usize).min(self.buf.len());
            sink(&self.buf[from..upto])?;
            at = self.start + upto as u64;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::MemSource;

    fn reader(text: &[u8], block: usize) -> BlockReader {
        BlockReader::new(Arc::new(MemSource(text.to_vec())), text.len() as u64, block)
    }

    fn lines_forward(text: &[u8], block: usize) -> Vec<Vec<u8>> {
        let mut r = reader(text, block);
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(line) = r.line_at(at).expect("read") {
            out.push(text[line.start as usize..line.end as usize].to_vec());
            at = line.next;
        }
        out
    }

    fn lines_backward(text: &[u8], block: usize) -> Vec<Vec<u8>> {
        let mut r = reader(text, block);
        let mut out = Vec::new();
        let mut at = text.len() as u64;
        while let Some(line) = r.line_before(at).expect("read") {
            out.push(text[line.start as usize..line.end as usize].to_vec());
            at = line.start;
        }
        out.reverse();
        out
    }

    fn both_ways(text: &[u8]) -> Vec<Vec<u8>> {
        let mut seen = None;
        for block in [64, 65, 100, 4096] {
            let fwd = lines_forward(text, block);
            assert_eq!(lines_backward(text, block), fwd, "block {block}");
            if let Some(seen) = &seen {
                assert_eq!(&fwd, seen, "block {block}");
            }
            seen = Some(fwd);
        }
        seen.unwrap_or_default()
    }

    #[test]
    fn splits_the_same_in_both_directions() {
        let text = b"one\r\ntwo\n\n\nthree\0nul\n\xff\xfe invalid utf-8\nno final newline";
        let lines = both_ways(text);
        assert_eq!(
            lines,
            vec![
                b"one\r".to_vec(),
                b"two".to_vec(),
                b"".to_vec(),
                b"".to_vec(),
                b"three\0nul".to_vec(),
                b"\xff\xfe invalid utf-8".to_vec(),
                b"no final newline".to_vec(),
            ]
        );
    }

    #[test]
    fn final_newline_ends_the_last_line_without_adding_one() {
        assert_eq!(both_ways(b"a\nb\n"), vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(both_ways(b"\n"), vec![b"".to_vec()]);
        assert!(both_ways(b"").is_empty());
    }

    #[test]
    fn a_20_mb_line_is_scanned_with_one_block() {
        let mut text = b"before\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', 20 << 20));
        text.extend(b"\nafter\n");
        let mut r = reader(&text, SCAN_BLOCK);
        let long = r.line_at(7).expect("read").expect("line");
        assert_eq!(long.len(), 20 << 20);
        assert_eq!(
            r.line_at(long.next).expect("read").map(|l| l.len()),
            Some(5)
        );
        let back = r.line_before(long.next).expect("read").expect("line");
        assert_eq!(
            (back.start, back.end, back.next),
            (long.start, long.end, long.next)
        );
        assert!(
            r.buf.capacity() <= SCAN_BLOCK,
            "never holds more than a block"
        );
    }

    /// Counts the bytes read from it.
    struct Counting {
        data: Vec<u8>,
        read: std::sync::atomic::AtomicU64,
    }

    impl Source for Counting {
        fn len(&self) -> u64 {
            self.data.len() as u64
        }

        fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
            let from = (offset as usize).min(self.data.len());
            let n = buf.len().min(self.data.len() - from);
            buf[..n].copy_from_slice(&self.data[from..from + n]);
            self.read
                .fetch_add(n as u64, std::sync::atomic::Ordering::SeqCst);
            Ok(n)
        }
    }

    #[test]
    fn a_look_back_reads_records_a_little_out_of_order_about_once() {
        // 2,000 lines of 100 bytes, read in an order that goes back up to
        // 40 lines (4,000 bytes) behind the furthest one read, as a chunk
        // of a disordered log is read in time order.
        let text: Vec<u8> = (0..2000)
            .flat_map(|i| format!("{i:099}\n").into_bytes())
            .collect();
        let mut order: Vec<u64> = (0..2000).collect();
        for (i, line) in order.iter_mut().enumerate() {
            if i % 7 == 3 {
                *line = line.saturating_sub(40);
            }
        }
        let read = |look_back: usize| {
            let source = Arc::new(Counting {
                data: text.clone(),
                read: 0.into(),
            });
            let mut r =
                BlockReader::new(source.clone(), text.len() as u64, 1024).with_look_back(look_back);
            for &line in &order {
                let mut got = Vec::new();
                r.for_each_chunk(line * 100, line * 100 + 100, |piece| {
                    got.extend_from_slice(piece);
                    Ok(())
                })
                .expect("read");
                assert_eq!(got, format!("{line:099}\n").into_bytes());
                assert!(r.buf.len() <= 1024 + look_back);
            }
            source.read.load(std::sync::atomic::Ordering::SeqCst)
        };
        let without = read(0);
        let with = read(8 * 1024);
        assert!(
            with < text.len() as u64 * 3 / 2,
            "{with} bytes read with a look-back for {}",
            text.len()
        );
        assert!(without > with * 2, "{without} bytes read without");
    }

    #[test]
    fn ranges_past_the_window_keep_the_look_back() {
        // As above, but each line taken whole with `range` (as a record's
        // bytes are): one that runs past the window's end slides it on,
        // keeping the lines behind, instead of loading a fresh window that
        // the next line behind it misses.
        let text: Vec<u8> = (0..2000)
            .flat_map(|i| format!("{i:099}\n").into_bytes())
            .collect();
        let source = Arc::new(Counting {
            data: text.clone(),
            read: 0.into(),
        });
        let mut r =
            BlockReader::new(source.clone(), text.len() as u64, 1024).with_look_back(8 * 1024);
        for i in 0..2000u64 {
            let line = if i % 7 == 3 { i.saturating_sub(40) } else { i };
            let got = r.range(line * 100, line * 100 + 100).expect("read");
            assert_eq!(got, Some(&text[line as usize * 100..][..100]));
            assert!(r.buf.len() <= 1024 + 8 * 1024);
        }
        let read = source.read.load(std::sync::atomic::Ordering::SeqCst);
        assert!(
            read < text.len() as u64 * 3 / 2,
            "{read} bytes read for {}",
            text.len()
        );
    }

    #[test]
    fn lines_read_with_their_heads_read_each_byte_about_once() {
        // Lines of 100 bytes across blocks of 1,000: a line's head peeked
        // after the line is found (as a timestamp is parsed) must not load
        // its block again.
        let text: Vec<u8> = (0..2000)
            .flat_map(|i| format!("{i:099}\n").into_bytes())
            .collect();
        for look_back in [0, 4096] {
            let source = Arc::new(Counting {
                data: text.clone(),
                read: 0.into(),
            });
            let mut r =
                BlockReader::new(source.clone(), text.len() as u64, 1000).with_look_back(look_back);
            let mut at = 0;
            let mut lines = 0;
            while let Some(line) = r.line_at(at).expect("read") {
                let head = r.peek(line.start, 30).expect("read").to_vec();
                assert_eq!(head, text[line.start as usize..][..30].to_vec());
                at = line.next;
                lines += 1;
            }
            assert_eq!(lines, 2000);
            let read = source.read.load(std::sync::atomic::Ordering::SeqCst);
            assert!(
                read <= text.len() as u64 * 11 / 10,
                "{read} bytes read for {} (look-back {look_back})",
                text.len()
            );
        }
    }

    #[test]
    fn line_starts_snap_forward() {
        let text = b"ab\ncd\nef";
        let mut r = reader(text, 64);
        let starts: Vec<u64> = (0..=8)
            .map(|o| r.line_start_at_or_after(o).expect("read"))
            .collect();
        assert_eq!(starts, vec![0, 3, 3, 3, 6, 6, 6, 8, 8]);
    }
}
