//! A chunk's records with their keys, in canonical order.

use std::io;

use super::super::file_order::{FileReader, FileRecord};
use super::super::timestamp::Nanos;
use super::super::{Level, Record};
use super::{ChunkBounds, Pos, TAIL};

/// Longest run of records that counts as a spike (and is kept in file order
/// instead of lifting the level of every record after it).
const SPIKE_RUN: usize = 8;

/// One record of a chunk as the order needs it (24 bytes: a chunk of 1 MiB
/// holds a few thousand, and every reader of a print stands in one).
#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    key: i64,
    start: u64,
    /// Its end in the low [`END_BITS`] bits, its level and flags above.
    end_bits: u64,
}

/// Bits of `Entry::end_bits` that hold the end: 2^56 bytes is 64 PiB.
const END_BITS: u32 = 56;
const END_MASK: u64 = (1 << END_BITS) - 1;

const CRLF: u8 = 1;
/// Kept in file order: `key` is not its time (see `Chunk::late_times`).
const LATE: u8 = 2;

impl Entry {
    /// A timed record as read, its key its time (a cut search keeps its
    /// records so, 24 bytes each, for the builds after it).
    pub(super) fn parsed(r: &FileRecord) -> Option<Entry> {
        let flags = if r.crlf { CRLF } else { 0 };
        r.ts.map(|t| Entry::new(t, r.start, r.end, r.level, flags))
    }

    /// The record [`Entry::parsed`] kept.
    fn as_parsed(&self) -> FileRecord {
        FileRecord {
            ts: Some(self.key),
            start: self.start,
            end: self.end(),
            level: self.level(),
            crlf: self.flags() & CRLF != 0,
        }
    }

    pub(super) fn start(&self) -> u64 {
        self.start
    }

    fn new(key: i64, start: u64, end: u64, level: Level, flags: u8) -> Entry {
        let bits = (u64::from(level_code(level)) << 4) | u64::from(flags);
        Entry {
            key,
            start,
            end_bits: end.min(END_MASK) | (bits << END_BITS),
        }
    }

    fn end(&self) -> u64 {
        self.end_bits & END_MASK
    }

    fn flags(&self) -> u8 {
        (self.end_bits >> END_BITS) as u8 & 0x0f
    }

    fn level(&self) -> Level {
        level_of_code((self.end_bits >> (END_BITS + 4)) as u8)
    }

    fn set_flag(&mut self, flag: u8) {
        self.end_bits |= u64::from(flag) << END_BITS;
    }
}

fn level_code(level: Level) -> u8 {
    match level {
        Level::Unknown => 0,
        Level::Debug => 1,
        Level::Info => 2,
        Level::Warning => 3,
        Level::Error => 4,
        Level::Critical => 5,
    }
}

fn level_of_code(code: u8) -> Level {
    match code {
        1 => Level::Debug,
        2 => Level::Info,
        3 => Level::Warning,
        4 => Level::Error,
        5 => Level::Critical,
        _ => Level::Unknown,
    }
}

/// The records of one chunk, in canonical order.
pub struct Chunk {
    /// Where its records' bytes begin, unless an exchange moved some in or
    /// out: every record starting in `[start, end)` is its own but those.
    pub start: u64,
    pub end: u64,
    /// How far its builder read (with `start` and `end`, its identity).
    read_to: u64,
    /// The bytes its records span.
    pub lo: u64,
    pub hi: u64,
    /// The source has timestamps (else its one record has none).
    timed: bool,
    entries: Vec<Entry>,
    /// Indices of `entries` by file order, when that differs from canonical order.
    by_start: Option<Vec<u32>>,
    /// `(start, own time)` of the late records, by start.
    late_times: Vec<(u64, i64)>,
    /// An exchange moved records in or out: its records are not the bytes
    /// `[start, end)`.
    exchanged: bool,
}

/// Where a build takes its records: from `parsed` (records a natural-cut
/// search read already, as [`Entry::parsed`] kept them, in file order)
/// where it holds one starting at the place asked, else from the file.
pub(super) struct Records<'a> {
    file: &'a mut FileReader,
    parsed: &'a [Entry],
    /// Where in `parsed` the next record read in order is.
    next: usize,
}

impl<'a> Records<'a> {
    pub fn new(file: &'a mut FileReader, parsed: &'a [Entry]) -> Self {
        Records {
            file,
            parsed,
            next: 0,
        }
    }

    fn record_at(&mut self, at: u64) -> io::Result<Option<FileRecord>> {
        let found = match self.parsed.get(self.next) {
            Some(r) if r.start == at => Some(self.next),
            _ => self.parsed.binary_search_by_key(&at, |r| r.start).ok(),
        };
        match found {
            Some(i) => {
                self.next = i + 1;
                Ok(Some(self.parsed[i].as_parsed()))
            }
            None => self.file.record_at(at),
        }
    }

    fn boundary_at_or_after(&mut self, at: u64) -> io::Result<u64> {
        self.file.boundary_at_or_after(at)
    }

    fn len(&self) -> u64 {
        self.file.len()
    }

    /// Whether the source's first record is a preamble: lines before its
    /// first timestamp.
    fn has_preamble(&self) -> bool {
        self.file.first_timed().is_some_and(|first| first > 0)
    }
}

impl Chunk {
    /// Reads the records of `bounds` and puts them in order. `previous`,
    /// the chunk that ends where this one starts, spares reading its tail
    /// again.
    pub(super) fn build(
        file: &mut Records<'_>,
        bounds: ChunkBounds,
        timed: bool,
        window: Nanos,
        previous: Option<&Chunk>,
    ) -> io::Result<Chunk> {
        let ChunkBounds {
            start,
            end,
            at_start,
            at_end,
        } = bounds;
        let (read_from, read_to) = bounds.extent();
        let read_to = read_to.min(file.len());
        // Whether the record starting at `b` with time `ts` is this chunk's.
        let own = |b: u64, ts: Option<i64>| -> bool {
            if b < start {
                at_start.is_some_and(|x| ts.is_some_and(|t| t > x.time))
            } else if b >= end {
                at_end.is_some_and(|x| ts.is_some_and(|t| t < x.time))
            } else {
                let moves_back =
                    at_start.is_some_and(|x| b < x.to && ts.is_some_and(|t| t < x.time));
                let moves_on =
                    at_end.is_some_and(|x| b >= x.from && ts.is_some_and(|t| t > x.time));
                !moves_back && !moves_on
            }
        };
        // Records are about 100 bytes at least in practice.
        let guess = ((read_to - read_from.min(read_to)) / 128).min(1 << 16) as usize;
        let mut entries: Vec<Entry> = Vec::with_capacity(guess);
        // Per record read, in file order: whether it is this chunk's. The
        // records of an exchange that are not still count among the
        // neighbours whose times decide which records are late.
        let mut member: Vec<bool> = Vec::with_capacity(guess);
        let mut at = if read_from < start {
            file.boundary_at_or_after(read_from)?
        } else {
            start
        };
        while at < read_to {
            let Some(r) = file.record_at(at)? else { break };
            at = r.end;
            member.push(own(r.start, r.ts));
            // Its own time for now; its key below.
            let flags = if r.crlf { CRLF } else { 0 };
            entries.push(Entry::new(
                r.ts.unwrap_or(i64::MIN),
                r.start,
                r.end,
                r.level,
                flags,
            ));
        }
        let read_end = at;
        let exchanged = entries
            .iter()
            .zip(&member)
            .any(|(e, &m)| m != (start <= e.start && e.start < end));
        let mut chunk = Chunk {
            start,
            end,
            read_to,
            lo: start,
            hi: start,
            timed,
            entries,
            by_start: None,
            late_times: Vec::new(),
            exchanged,
        };
        if !timed {
            chunk.hi = chunk.entries.last().map_or(start, Entry::end);
            return Ok(chunk);
        }
        // Times around the chunk: the tail before it (whose latest record
        // the chunk's first records are kept after) and the record after it
        // (which tells whether the chunk ends in a spike).
        let tail_from = read_from.saturating_sub(TAIL);
        let previous = previous.filter(|p| {
            p.end == start && p.start <= tail_from && at_start.is_none() && !p.exchanged
        });
        let mut around: Vec<i64> = match previous {
            Some(previous) => previous.times_from(tail_from),
            None if read_from > 0 => {
                let mut times = Vec::new();
                let mut at = file.boundary_at_or_after(tail_from)?;
                while at < read_from {
                    let Some(r) = file.record_at(at)? else { break };
                    times.push(r.ts.unwrap_or(i64::MIN));
                    at = r.end;
                }
                times
            }
            None => Vec::new(),
        };
        let tail = around.len();
        let next = if read_end < file.len() {
            file.record_at(read_end)?.map(|r| r.ts.unwrap_or(i64::MIN))
        } else {
            None
        };
        let n = chunk.entries.len();
        let time = |i: usize| -> i64 {
            if i < tail {
                around[i]
            } else if i < tail + n {
                chunk.entries[i - tail].key
            } else {
                next.unwrap_or(i64::MIN)
            }
        };
        let spike = spikes(tail + n + usize::from(next.is_some()), time, window);
        let mut level = (0..tail)
            .filter(|&i| !spike[i])
            .map(&time)
            .max()
            .unwrap_or(i64::MIN);
        around.clear();
        for (i, e) in chunk.entries.iter_mut().enumerate() {
            let t = e.key;
            if level != i64::MIN && (spike[tail + i] || t < level.saturating_sub(window)) {
                e.key = level;
                e.set_flag(LATE);
                if member[i] {
                    chunk.late_times.push((e.start, t));
                }
            } else {
                level = level.max(t);
            }
        }
        if start == 0 && file.has_preamble() {
            // The preamble (its own record, timed as the first timestamped
            // line) goes before every record of its chunk: keyed at the
            // least of their keys, it is where copies whose first records
            // lie in another order agree it is.
            let least = chunk
                .entries
                .iter()
                .zip(&member)
                .skip(1)
                .filter(|(_, &m)| m)
                .map(|(e, _)| e.key)
                .min();
            if let (Some(least), Some(preamble)) = (least, chunk.entries.first_mut()) {
                preamble.key = preamble.key.min(least);
            }
        }
        if member.iter().any(|&m| !m) {
            let mut own = member.iter();
            chunk
                .entries
                .retain(|_| own.next().copied().unwrap_or(false));
        }
        chunk.lo = chunk.entries.first().map_or(start, |e| e.start);
        chunk.hi = chunk.entries.last().map_or(start, Entry::end);
        let in_order = chunk.entries.windows(2).all(|w| w[0].key <= w[1].key);
        if !in_order {
            chunk.put_in_order();
        }
        Ok(chunk)
    }

    /// Sorts the entries, in file order until now, by `(key, start)`, and
    /// keeps where each went. Each entry carries its file index through
    /// the sort in place of its end (kept aside meanwhile), so where it
    /// went is read off in one pass: sorting the entries and then their
    /// indices by start cost two sorts (7 % of an Airflow 3 print). The
    /// pairs `(key, start)` are distinct, so an unstable sort (in place, no
    /// buffer) gives the one order.
    fn put_in_order(&mut self) {
        let ends: Vec<u64> = self
            .entries
            .iter_mut()
            .enumerate()
            .map(|(i, e)| std::mem::replace(&mut e.end_bits, i as u64))
            .collect();
        self.entries.sort_unstable_by_key(|e| (e.key, e.start));
        let mut by_start = vec![0u32; ends.len()];
        for (at, e) in self.entries.iter_mut().enumerate() {
            let i = e.end_bits as usize;
            by_start[i] = at as u32;
            e.end_bits = ends[i];
        }
        self.by_start = Some(by_start);
    }

    /// The own times of the records starting at or after byte `from`, in
    /// file order.
    fn times_from(&self, from: u64) -> Vec<i64> {
        let own = |e: &Entry| {
            if e.flags() & LATE == 0 {
                e.key
            } else {
                self.late_times
                    .binary_search_by_key(&e.start, |&(s, _)| s)
                    .map_or(e.key, |i| self.late_times[i].1)
            }
        };
        match &self.by_start {
            None => {
                let first = self.entries.partition_point(|e| e.start < from);
                self.entries[first..].iter().map(own).collect()
            }
            Some(by_start) => {
                let first = by_start.partition_point(|&i| self.entries[i as usize].start < from);
                by_start[first..]
                    .iter()
                    .map(|&i| own(&self.entries[i as usize]))
                    .collect()
            }
        }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// `true` for a chunk without records.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The `i`-th record in canonical order.
    pub fn record(&self, i: usize) -> Record {
        let e = &self.entries[i];
        let late = e.flags() & LATE != 0;
        let ts = if !self.timed {
            None
        } else if late {
            self.late_times
                .binary_search_by_key(&e.start, |&(s, _)| s)
                .ok()
                .map(|j| self.late_times[j].1)
        } else {
            Some(e.key)
        };
        Record {
            ts,
            key: e.key,
            chunk: self.start,
            start: e.start,
            end: e.end(),
            level: e.level(),
            crlf: e.flags() & CRLF != 0,
            late,
        }
    }

    /// The position just above the `i`-th record.
    pub fn pos_of(&self, i: usize) -> Pos {
        let e = &self.entries[i];
        Pos {
            chunk: self.start,
            key: e.key,
            offset: e.start,
        }
    }

    /// Index of the first record at or after `pos`.
    pub fn first_at_or_after(&self, pos: Pos) -> Option<usize> {
        if pos.chunk > self.start {
            return None;
        }
        let i = if pos.chunk < self.start {
            0
        } else {
            self.entries
                .partition_point(|e| (e.key, e.start) < (pos.key, pos.offset))
        };
        (i < self.entries.len()).then_some(i)
    }

    /// [`first_at_or_after`](Self::first_at_or_after), searching outward
    /// from index `hint` (readers ask near where they last were: O(log d)
    /// for a distance d).
    pub fn first_at_or_after_from(&self, pos: Pos, hint: usize) -> Option<usize> {
        if pos.chunk != self.start {
            return self.first_at_or_after(pos);
        }
        let n = self.entries.len();
        let below = |i: usize| self.pos_of(i) < pos;
        let hint = hint.min(n);
        let (mut lo, mut hi) = if hint < n && below(hint) {
            // The answer is after `hint`.
            let mut step = 1;
            let mut lo = hint + 1;
            loop {
                let probe = hint + step;
                if probe >= n || !below(probe) {
                    break (lo, probe.min(n));
                }
                lo = probe + 1;
                step *= 2;
            }
        } else {
            // The answer is at or before `hint`.
            let mut step = 1;
            let mut hi = hint;
            loop {
                let Some(probe) = hint.checked_sub(step) else {
                    break (0, hi);
                };
                if below(probe) {
                    break (probe + 1, hi);
                }
                hi = probe;
                step *= 2;
            }
        };
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if below(mid) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        (lo < n).then_some(lo)
    }

    /// Index of the last record before `pos`.
    pub fn last_before(&self, pos: Pos) -> Option<usize> {
        if pos.chunk < self.start {
            return None;
        }
        let i = if pos.chunk > self.start {
            self.entries.len()
        } else {
            self.entries
                .partition_point(|e| (e.key, e.start) < (pos.key, pos.offset))
        };
        i.checked_sub(1)
    }

    /// Index of the record starting at byte `start`.
    pub fn find(&self, start: u64) -> Option<usize> {
        match &self.by_start {
            None => self.entries.binary_search_by_key(&start, |e| e.start).ok(),
            Some(by_start) => by_start
                .binary_search_by_key(&start, |&i| self.entries[i as usize].start)
                .ok()
                .map(|j| by_start[j] as usize),
        }
    }

    /// The smallest key, if the chunk has records.
    pub fn min_key(&self) -> Option<i64> {
        self.entries.first().map(|e| e.key)
    }

    /// The largest key, if the chunk has records.
    pub fn max_key(&self) -> Option<i64> {
        self.entries.last().map(|e| e.key)
    }

    /// Whether its records differ from the bytes `[start, end)` in file
    /// order: reordered, or moved in or out by an exchange.
    pub fn reordered(&self) -> bool {
        self.by_start.is_some() || self.exchanged
    }

    /// Its identity in the cache of built chunks.
    pub(super) fn key(&self) -> super::ChunkKey {
        (self.start, self.end, self.read_to)
    }

    /// Records kept in file order beyond the reorder window, and by how much
    /// the latest is earlier than its key.
    pub fn late(&self) -> (usize, i64) {
        let most = self
            .late_times
            .iter()
            .filter_map(|&(start, t)| {
                self.find(start)
                    .map(|i| self.entries[i].key.abs_diff(t).min(i64::MAX as u64) as i64)
            })
            .max()
            .unwrap_or(0);
        (self.late_times.len(), most)
    }
}

/// Marks which of the `n` records (times by `time(i)`) belong to a spike:
/// a run of at most [`SPIKE_RUN`] records, each more than `window` later
/// than the record before the run and the records after it, for longer
/// after it than the run lasts (or to the last record known).
fn spikes(n: usize, time: impl Fn(usize) -> i64, window: Nanos) -> Vec<bool> {
    let mut spike = vec![false; n];
    let mut a = 1;
    while a + 1 < n {
        let before = time(a - 1);
        if time(a) <= before.saturating_add(window) {
            a += 1;
            continue;
        }
        let mut run_min = i64::MAX;
        let mut found = None;
        for b in a..(a + SPIKE_RUN).min(n - 1) {
            run_min = run_min.min(time(b));
            if run_min <= before.saturating_add(window) {
                break;
            }
            if run_min > time(b + 1).saturating_add(window) {
                // Down again after the run: the run is the spike only if
                // the records after it stay down for longer than it lasted
                // (or to the end of what is known). Else the records that
                // are down are the ones out of place (a late record after
                // a jump ahead in time), and the run is the log going on.
                let run = b + 1 - a;
                let down = (b + 1..n)
                    .take(run + 1)
                    .take_while(|&i| run_min > time(i).saturating_add(window))
                    .count();
                if down > run || b + 1 + down == n {
                    found = Some(b);
                }
                break;
            }
        }
        match found {
            Some(b) => {
                spike[a..=b].iter_mut().for_each(|s| *s = true);
                a = b + 1;
            }
            None => a += 1,
        }
    }
    spike
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn an_entry_keeps_its_end_level_and_flags() {
        assert_eq!(std::mem::size_of::<Entry>(), 24);
        for level in [
            Level::Unknown,
            Level::Debug,
            Level::Info,
            Level::Warning,
            Level::Error,
            Level::Critical,
        ] {
            let mut e = Entry::new(-5, 7, (1 << 40) + 3, level, CRLF);
            e.set_flag(LATE);
            assert_eq!((e.key, e.start, e.end()), (-5, 7, (1 << 40) + 3));
            assert_eq!((e.level(), e.flags()), (level, CRLF | LATE));
        }
    }

    #[test]
    fn spikes_are_short_runs_far_above_both_sides() {
        let w = 3 * S;
        let t = |v: &[i64]| v.iter().map(|x| x * S).collect::<Vec<_>>();
        let spikes = |times: Vec<i64>, w| spikes(times.len(), |i| times[i], w);
        assert_eq!(
            spikes(t(&[1, 2, 1000, 3, 4]), w),
            vec![false, false, true, false, false]
        );
        assert_eq!(
            spikes(t(&[1, 2, 1000, 1001, 3, 4]), w),
            vec![false, false, true, true, false, false]
        );
        // Down again for one record, then up: that record is late, and
        // the run is the log going on (a jump ahead, then a late record).
        assert_eq!(
            spikes(t(&[1, 2, 1000, 1001, 999, 3, 1002, 1003]), w),
            vec![false; 8]
        );
        assert_eq!(
            spikes(t(&[1, 2, 1000, 3, 4, 1001]), w),
            vec![false, false, true, false, false, false]
        );
        // A step that stays up is no spike.
        assert_eq!(spikes(t(&[1, 2, 1000, 1001, 1002]), w), vec![false; 5]);
        // Within the window, nothing is a spike.
        assert_eq!(spikes(t(&[1, 3, 2, 4]), w), vec![false; 4]);
        // A run longer than SPIKE_RUN is a step.
        let mut long = vec![1, 2];
        long.extend(std::iter::repeat_n(1000, SPIKE_RUN + 1));
        long.extend([3, 4]);
        assert!(spikes(t(&long), w).iter().all(|s| !s));
    }
}
