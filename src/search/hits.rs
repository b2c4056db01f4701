//! The chunk search engine, as ripgrep searches: the pattern runs over whole
//! blocks of a source's bytes, and lines are looked for only around a hit —
//! no per-line work where nothing matches. Every search starts here: the
//! viewer's `/`, `n`/`N` ([`super::scan`]) and print mode's `--grep`
//! ([`map_hits`], then only the chunks around the hits are merged).

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use super::matcher::{Matcher, LINE_MATCH_CAP};
use super::scan::ScanProgress;
use crate::source::Source;

/// Bytes read at a time by a scanning worker.
pub(crate) const READ_BLOCK: usize = 1024 * 1024;

/// Bytes read past a span's end to finish the line that crosses it.
const LINE_TAIL: usize = 64 * 1024;

/// Bytes of a source per task when a whole source is mapped: small enough to
/// spread one big source over all cores, large enough that a task is mostly
/// scanning.
const MAP_TASK: u64 = 8 * 1024 * 1024;

/// The lines a scan looks at: those starting in `[lo, hi)`. A span that
/// starts inside a larger range (`range_lo < lo`) leaves the line crossing
/// `lo` to the span before it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Span {
    pub lo: u64,
    pub hi: u64,
    pub range_lo: u64,
}

impl Span {
    /// A whole range: its first byte starts a line.
    pub fn whole(lo: u64, hi: u64) -> Self {
        Span {
            lo,
            hi,
            range_lo: lo,
        }
    }
}

/// Calls `on_hit(line_start)` for each line of `span` that `matcher`
/// matches, in file order. `on_hit` answers where to look on: `None` stops,
/// `Some(at)` skips the lines starting before `at` (at least the hit's own).
/// A line longer than [`LINE_MATCH_CAP`] is matched on its first part and
/// counted by the matcher.
pub(crate) fn for_each_hit(
    source: &dyn Source,
    span: Span,
    matcher: &Matcher,
    progress: &ScanProgress,
    stop: &AtomicBool,
    buf: &mut Vec<u8>,
    mut on_hit: impl FnMut(u64) -> Option<u64>,
) -> io::Result<()> {
    let len = source.len();
    let mut pos = span.lo;
    if pos > span.range_lo {
        // Lines starting before the span belong to the span before.
        pos = match next_line_start(source, pos - 1, span.hi, buf)? {
            Some(p) => p,
            None => return Ok(()),
        };
    }
    let mut scanned = span.lo;
    let mut skip_to = pos;
    while pos < span.hi && pos < len {
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        // Up to the span's end and a little beyond, for the line that
        // crosses it: a remote source fetches what is asked, and the span
        // after it is another worker's.
        let want = READ_BLOCK.min((span.hi - pos) as usize + LINE_TAIL);
        buf.resize(want, 0);
        let mut got = source.read_full_at(pos, buf)?;
        if got == want && want < READ_BLOCK && memchr::memchr(b'\n', &buf[..got]).is_none() {
            // One line longer than the tail: matched on its first block
            // like any long line.
            buf.resize(READ_BLOCK, 0);
            got = source.read_full_at(pos, buf)?;
        }
        buf.truncate(got);
        if got == 0 {
            break;
        }
        let at_end = pos + got as u64 >= len;
        // Whole lines only; a line longer than the block is read on to
        // its end, up to the cap (beyond it, matched on its first part
        // and skipped to its end).
        let (window, next) = match memchr::memrchr(b'\n', buf) {
            Some(nl) => (nl + 1, pos + nl as u64 + 1),
            None if at_end => (got, len),
            None => match read_long_line(source, pos, buf)? {
                LongLine::Whole(window) => (window, pos + window as u64),
                LongLine::Cut => {
                    matcher.note_cut_line(pos);
                    // The next line starting in this span, if any: a line
                    // longer than the span is another span's no further.
                    let from = pos + LINE_MATCH_CAP as u64;
                    let end = match next_line_start(source, from, span.hi, &mut Vec::new())? {
                        Some(p) => p,
                        None => span.hi.min(len),
                    };
                    (LINE_MATCH_CAP, end)
                }
            },
        };
        let text = &buf[..window];
        let mut from = skip_to.saturating_sub(pos).min(window as u64) as usize;
        while from < window {
            let Some((start, matched)) = matcher.find_candidate_at(text, from) else {
                break;
            };
            let line = memchr::memrchr(b'\n', &text[..start]).map_or(0, |i| i + 1);
            let line_at = pos + line as u64;
            if line_at >= span.hi {
                break;
            }
            // The rest of the hit's line is of no more use.
            let line_end = match memchr::memchr(b'\n', &text[start..]) {
                Some(i) => start + i + 1,
                None => window,
            };
            // A line that may match as drawn is drawn to tell.
            let hit = matched || matcher.is_match(&text[line..line_end]);
            if hit && line_at >= skip_to {
                let Some(on) = on_hit(line_at) else {
                    progress.add(line_at.saturating_sub(scanned));
                    return Ok(());
                };
                skip_to = on;
            }
            from = line_end.max(skip_to.saturating_sub(pos).min(window as u64) as usize);
        }
        progress.add(next.min(span.hi).saturating_sub(scanned));
        scanned = next.min(span.hi);
        pos = next;
    }
    if buf.capacity() > 2 * READ_BLOCK {
        // A long line's buffer is not kept for the next span.
        *buf = Vec::new();
    }
    Ok(())
}

/// The first (forward) or last (backward) matching line that starts in
/// `span`.
pub(crate) fn first_or_last(
    source: &dyn Source,
    span: Span,
    forward: bool,
    matcher: &Matcher,
    progress: &ScanProgress,
    stop: &AtomicBool,
    buf: &mut Vec<u8>,
) -> io::Result<Option<u64>> {
    let mut found = None;
    for_each_hit(source, span, matcher, progress, stop, buf, |line| {
        found = Some(line);
        // Backward: the last one, so on to the next line.
        (!forward).then_some(line + 1)
    })?;
    Ok(found)
}

/// A line longer than a read block, read on from its start.
enum LongLine {
    /// Its bytes, newline included (or to the end of the source), are the
    /// first this many of the buffer.
    Whole(usize),
    /// The buffer holds its first [`LINE_MATCH_CAP`] bytes; it goes on.
    Cut,
}

/// Reads the line starting at `pos` into `buf` (which holds its first
/// bytes, no newline among them), doubling the read up to the cap.
fn read_long_line(source: &dyn Source, pos: u64, buf: &mut Vec<u8>) -> io::Result<LongLine> {
    let mut have = buf.len();
    while have < LINE_MATCH_CAP {
        let want = have.max(READ_BLOCK).min(LINE_MATCH_CAP - have);
        buf.resize(have + want, 0);
        let got = source.read_full_at(pos + have as u64, &mut buf[have..])?;
        if let Some(nl) = memchr::memchr(b'\n', &buf[have..have + got]) {
            return Ok(LongLine::Whole(have + nl + 1));
        }
        have += got;
        if got < want {
            buf.truncate(have);
            return Ok(LongLine::Whole(have));
        }
    }
    Ok(LongLine::Cut)
}

/// Start of the first line after the newline at or after `offset`, if that
/// newline comes before `before`.
fn next_line_start(
    source: &dyn Source,
    mut offset: u64,
    before: u64,
    buf: &mut Vec<u8>,
) -> io::Result<Option<u64>> {
    // A start at `before` or later is of no use to the caller: with a 1 GB
    // line, every chunk of it used to read on to the line's end.
    let len = source.len().min(before);
    while offset < len {
        let want = (len - offset).min(64 * 1024) as usize;
        buf.resize(want, 0);
        let got = source.read_full_at(offset, buf)?;
        if got == 0 {
            return Ok(None);
        }
        if let Some(i) = memchr::memchr(b'\n', &buf[..got]) {
            return Ok(Some(offset + i as u64 + 1));
        }
        offset += got as u64;
    }
    Ok(None)
}

/// Bytes of a source per bit of a [`HitMap`].
pub const HIT_BLOCK: u64 = 64 * 1024;

/// Which stretches of a source hold a matching line: one bit per
/// [`HIT_BLOCK`] bytes (16 KB for a 8 GiB source), so a map of every
/// source is held whatever the number of hits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HitMap {
    bits: Vec<u64>,
    blocks: u64,
}

impl HitMap {
    fn new(len: u64) -> Self {
        let blocks = len.div_ceil(HIT_BLOCK);
        HitMap {
            bits: vec![0; blocks.div_ceil(64) as usize],
            blocks: 0,
        }
    }

    fn set(&mut self, line_start: u64) {
        let block = line_start / HIT_BLOCK;
        let (word, bit) = ((block / 64) as usize, block % 64);
        if let Some(w) = self.bits.get_mut(word) {
            if *w & (1 << bit) == 0 {
                *w |= 1 << bit;
                self.blocks += 1;
            }
        }
    }

    fn union(&mut self, other: &HitMap) {
        for (w, o) in self.bits.iter_mut().zip(&other.bits) {
            *w |= o;
        }
        self.blocks = self.bits.iter().map(|w| u64::from(w.count_ones())).sum();
    }

    /// No line matches.
    pub fn is_empty(&self) -> bool {
        self.blocks == 0
    }

    /// How many blocks hold a hit.
    pub fn blocks(&self) -> u64 {
        self.blocks
    }

    /// Whether a matching line may start in `[from, to)` (block-exact:
    /// a hit in a block the range touches counts).
    pub fn any_in(&self, from: u64, to: u64) -> bool {
        if from >= to {
            return false;
        }
        let (first, last) = (from / HIT_BLOCK, (to - 1) / HIT_BLOCK);
        let mut block = first;
        while block <= last {
            let (word, bit) = ((block / 64) as usize, block % 64);
            let Some(&w) = self.bits.get(word) else {
                return false;
            };
            let rest = w >> bit;
            if rest != 0 {
                return block + u64::from(rest.trailing_zeros()) <= last;
            }
            block += 64 - bit;
        }
        false
    }

    /// The byte ranges of the blocks with hits at or after `from`, in
    /// order, runs of adjacent blocks joined.
    pub fn runs_from(&self, from: u64) -> impl Iterator<Item = (u64, u64)> + '_ {
        let total = self.bits.len() as u64 * 64;
        let mut block = from / HIT_BLOCK;
        std::iter::from_fn(move || {
            let on = |b: u64| self.bits[(b / 64) as usize] & (1 << (b % 64)) != 0;
            while block < total && !on(block) {
                block += 1;
            }
            if block >= total {
                return None;
            }
            let first = block;
            while block < total && on(block) {
                block += 1;
            }
            Some((first * HIT_BLOCK, block * HIT_BLOCK))
        })
    }
}

/// Maps the hits of any of `matchers` in every source (`None`: left out),
/// all sources at once on all cores, each read once in large blocks.
/// `stop` cancels (the maps are then partial).
pub fn map_hits(
    sources: &[Option<&dyn Source>],
    matchers: &[Matcher],
    stop: &AtomicBool,
) -> io::Result<Vec<HitMap>> {
    // Set by a failed read: the other workers stop too.
    let failed = AtomicBool::new(false);
    let maps: Vec<Mutex<HitMap>> = sources
        .iter()
        .map(|s| Mutex::new(HitMap::new(s.map_or(0, |s| s.len()))))
        .collect();
    let mut tasks = Vec::new();
    for (s, source) in sources.iter().enumerate() {
        let Some(source) = source else { continue };
        let len = source.len();
        let mut lo = 0;
        while lo < len {
            let hi = (lo + MAP_TASK).min(len);
            tasks.push((
                s,
                Span {
                    lo,
                    hi,
                    range_lo: 0,
                },
            ));
            lo = hi;
        }
    }
    let bytes: u64 = sources.iter().flatten().map(|s| s.len()).sum();
    let workers = if bytes <= MAP_TASK {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, |w| w.get())
            .clamp(1, 4)
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failure: Mutex<Option<io::Error>> = Mutex::new(None);
    let progress = ScanProgress::default();
    std::thread::scope(|scope| {
        let work = || {
            let mut buf = Vec::new();
            loop {
                if failed.load(Ordering::Relaxed) {
                    return;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(s, span)) = tasks.get(i) else {
                    return;
                };
                let Some(source) = sources[s] else { continue };
                let mut map = HitMap::new(source.len());
                for matcher in matchers {
                    let done =
                        for_each_hit(source, span, matcher, &progress, stop, &mut buf, |line| {
                            map.set(line);
                            // One hit marks its block: on to the next block.
                            Some((line / HIT_BLOCK + 1) * HIT_BLOCK)
                        });
                    if let Err(e) = done {
                        if let Ok(mut slot) = failure.lock() {
                            slot.get_or_insert(e);
                        }
                        failed.store(true, Ordering::Relaxed);
                        return;
                    }
                }
                if !map.is_empty() {
                    if let Ok(mut whole) = maps[s].lock() {
                        whole.union(&map);
                    }
                }
            }
        };
        for _ in 1..workers {
            scope.spawn(work);
        }
        work();
    });
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(e);
    }
    Ok(maps
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_default())
        .collect())
}

/// Whether any line starting in `[lo, hi)` of `source` matches one of
/// `matchers`.
pub fn any_match(source: &dyn Source, lo: u64, hi: u64, matchers: &[Matcher]) -> io::Result<bool> {
    let mut buf = Vec::new();
    let progress = ScanProgress::default();
    let stop = AtomicBool::new(false);
    for matcher in matchers {
        let span = Span::whole(lo, hi);
        if first_or_last(source, span, true, matcher, &progress, &stop, &mut buf)?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}
