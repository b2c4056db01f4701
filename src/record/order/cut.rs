//! Where a source's canonical order is cut: each cell's chunk boundary,
//! a natural cut or a forced one with its exchange.

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::super::file_order::FileReader;
use super::chunk::Entry;
use super::{Cut, Exchange, CELL, TAIL};

/// Bytes of records a search keeps, as it read them, behind where it read
/// to, beyond its reach: the chunk ending at a cut it found (the reach
/// before where it read to), with the tail before it, is built from them
/// rather than read and parsed again. Two cells' worth: the chunks of a
/// log cut at nearly every cell; longer ones are read again.
const KEPT_BEYOND_REACH: u64 = 2 * CELL + TAIL;

/// Records kept by all searches of the process together, and at most how
/// many (8 MiB of them): a merge of hundreds of sources out of order kept
/// megabytes for each (1.6 MB a source for 300), where a print's few large
/// sources need about half a megabyte each. Past it a search keeps none,
/// and builds read from the file as before.
static KEPT: AtomicUsize = AtomicUsize::new(0);
const KEPT_AT_MOST: usize = (8 << 20) / std::mem::size_of::<Entry>();

/// Decides cell `k ≥ 1`: `Some(boundary)` once it can be decided (the
/// boundary itself, or `None` for a cell without one), `None` while nothing
/// is written in or after the cell. Without a natural cut, a cell that
/// `may_force` is cut at its first record boundary, with an exchange.
/// `scan` is where the search of the cell before stopped, if it found no cut.
pub(super) fn decide_cell(
    file: &mut FileReader,
    k: u64,
    reach: u64,
    may_force: bool,
    scan: &mut Option<Box<Scan>>,
) -> io::Result<Option<Option<Cut>>> {
    let len = file.len();
    let cell = k * CELL;
    if cell >= len {
        return Ok(None);
    }
    let first = file.boundary_at_or_after(cell)?;
    if first >= len {
        return Ok(None);
    }
    if let Some(cut) = natural_cut(file, cell, cell + CELL, reach, scan)? {
        return Ok(Some(Some(Cut {
            at: cut,
            exchange: None,
        })));
    }
    if !may_force {
        return Ok(Some(None));
    }
    // The exchange stays inside the cell before (which has no cut) and
    // this cell (the next cut is in a later one), and inside what is
    // written now: a followed file's later records stay where they are.
    // As wide as it can be (the cell before and the rest of this one): the
    // reach sampled at the start of the source says little of the disorder
    // here, and an exchange costs only reading its bytes again. Its ends
    // are record boundaries, so that its bytes hold whole records.
    let time = match file.record_at(first)? {
        Some(record) if first < cell + CELL => record.ts,
        _ => None,
    };
    let exchange = match time {
        Some(time) => Some(Exchange {
            time,
            from: file.boundary_at_or_after(first - CELL)?,
            to: file.boundary_at_or_after(cell + CELL)?.min(len),
        }),
        None => None,
    };
    Ok(Some(Some(Cut {
        at: first,
        exchange,
    })))
}

/// Where a natural-cut search stopped: at the end of a cell without a cut,
/// or at the cut it found. The next cell's search goes on from here
/// instead of reading the `reach` bytes before it again (up to 2 MiB for a
/// 1 MiB cell: in a log never in time order, Airflow 3's, it tripled what
/// deciding the cells read). Records are `(start, time)` in file order;
/// `base` is the sequence number of `records[0]`, and the deques hold
/// sequence numbers: behind with decreasing times (front = the latest),
/// ahead with increasing times (front = the earliest).
pub(super) struct Scan {
    records: VecDeque<(u64, i64)>,
    read_to: u64,
    base: usize,
    behind: VecDeque<usize>,
    ahead: VecDeque<usize>,
    /// Sequence number of the candidate boundary's record.
    candidate: usize,
    ahead_end: usize,
    /// Where it stopped (the end of the cell it found no cut in, or the cut
    /// it found), with what it was searching: a search from there or a
    /// little after goes on (see [`Scan::goes_on_to`]).
    to: u64,
    reach: u64,
    len: u64,
    /// The timed records it read last, in file order, for the chunk
    /// builds that follow.
    parsed: VecDeque<Entry>,
}

impl Drop for Scan {
    fn drop(&mut self) {
        KEPT.fetch_sub(self.parsed.len(), Ordering::Relaxed);
    }
}

impl Scan {
    /// The records it read that start in `[from, to)` (with the one after,
    /// when it has it), if it has any of them; each is what the file's
    /// reader gives at its start, so a build can take them instead.
    pub(super) fn parsed_in(&self, from: u64, to: u64, len: u64) -> Vec<Entry> {
        if self.len != len {
            return Vec::new();
        }
        let first = self.parsed.partition_point(|r| r.start() < from);
        let last = self.parsed.partition_point(|r| r.start() < to);
        let last = (last + 1).min(self.parsed.len());
        self.parsed.range(first..last.max(first)).copied().collect()
    }

    /// Whether a search from `from` can go on from this one: it searched
    /// the same snapshot with the same reach, up to `from` or a little
    /// before. Records between where it stopped and `from` are read rather
    /// than the `reach` bytes before `from`, so only when they are fewer.
    fn goes_on_to(&self, from: u64, reach: u64, len: u64) -> bool {
        self.reach == reach && self.len == len && self.to <= from && from - self.to <= reach
    }

    /// Moves the candidate boundary on to the first record starting at or
    /// after `from`, as the search does past a boundary that is not a cut
    /// (without testing them): the deques then hold what a search starting
    /// at `from` would. `false` when the source ends first.
    fn skip_to(&mut self, file: &mut FileReader, from: u64) -> io::Result<bool> {
        loop {
            if self.candidate - self.base >= self.records.len() && !self.read(file)? {
                return Ok(false);
            }
            if self.records[self.candidate - self.base].0 >= from {
                return Ok(true);
            }
            self.pass_candidate();
        }
    }

    /// The candidate's record goes from ahead to behind, and the candidate
    /// to the next record.
    fn pass_candidate(&mut self) {
        if self.ahead.front() == Some(&self.candidate) {
            self.ahead.pop_front();
        }
        let time = self.records[self.candidate - self.base].1;
        while self
            .behind
            .back()
            .is_some_and(|&i| self.records[i - self.base].1 <= time)
        {
            self.behind.pop_back();
        }
        self.behind.push_back(self.candidate);
        self.candidate += 1;
        if self.candidate > self.ahead_end {
            self.ahead_end = self.candidate;
        }
    }

    /// Forgets the records no window can reach any more.
    fn forget_passed(&mut self) {
        let keep_from = self
            .behind
            .front()
            .copied()
            .unwrap_or(self.candidate)
            .min(self.candidate);
        while self.base < keep_from {
            self.records.pop_front();
            self.base += 1;
        }
    }

    /// Reads the next record; `false` at the end.
    fn read(&mut self, file: &mut FileReader) -> io::Result<bool> {
        if self.read_to >= self.len {
            return Ok(false);
        }
        match file.record_at(self.read_to)? {
            Some(r) => {
                self.records.push_back((r.start, r.ts.unwrap_or(i64::MIN)));
                self.read_to = r.end;
                let keep_from = self.read_to.saturating_sub(self.reach + KEPT_BEYOND_REACH);
                let before = self.parsed.len();
                while self.parsed.front().is_some_and(|p| p.start() < keep_from) {
                    self.parsed.pop_front();
                }
                KEPT.fetch_sub(before - self.parsed.len(), Ordering::Relaxed);
                // An untimed record is not kept: a build reads it again.
                if let Some(kept) = Entry::parsed(&r) {
                    if KEPT.load(Ordering::Relaxed) < KEPT_AT_MOST {
                        KEPT.fetch_add(1, Ordering::Relaxed);
                        self.parsed.push_back(kept);
                    }
                }
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// The first record boundary in `[from, to)` where no record starting in the
/// `reach` bytes before is later than a record starting in the `reach` bytes
/// after. `saved` carries a search that stopped at or a little before
/// `from` on to this one (the same boundaries tested the same way: each
/// test looks only at the records within `reach` of its boundary), and
/// keeps this one where it stops: at `to`, or at the cut it found.
fn natural_cut(
    file: &mut FileReader,
    from: u64,
    to: u64,
    reach: u64,
    saved: &mut Option<Box<Scan>>,
) -> io::Result<Option<u64>> {
    let len = file.len();
    let resumed = saved.take().filter(|s| s.goes_on_to(from, reach, len));
    let mut s = match resumed {
        Some(s) => s,
        None => Box::new(Scan {
            records: VecDeque::new(),
            read_to: file.boundary_at_or_after(from.saturating_sub(reach))?,
            base: 0,
            behind: VecDeque::new(),
            ahead: VecDeque::new(),
            candidate: 0,
            ahead_end: 0,
            to,
            reach,
            len,
            parsed: VecDeque::new(),
        }),
    };
    // Records before `from` go behind.
    if !s.skip_to(file, from)? {
        return Ok(None);
    }
    s.forget_passed();
    loop {
        let (b, _) = s.records[s.candidate - s.base];
        if b >= to {
            s.to = to;
            *saved = Some(s);
            return Ok(None);
        }
        // Fill ahead with the records starting in [b, b + reach).
        loop {
            if s.ahead_end - s.base >= s.records.len() && !s.read(file)? {
                break;
            }
            let (start, time) = s.records[s.ahead_end - s.base];
            if start >= b.saturating_add(reach) {
                break;
            }
            while s
                .ahead
                .back()
                .is_some_and(|&a| s.records[a - s.base].1 >= time)
            {
                s.ahead.pop_back();
            }
            let ahead_end = s.ahead_end;
            s.ahead.push_back(ahead_end);
            s.ahead_end += 1;
        }
        while s
            .behind
            .front()
            .is_some_and(|&i| s.records[i - s.base].0 < b.saturating_sub(reach))
        {
            s.behind.pop_front();
        }
        let latest_before = s.behind.front().map(|&i| s.records[i - s.base].1);
        let earliest_after = s.ahead.front().map(|&i| s.records[i - s.base].1);
        match (latest_before, earliest_after) {
            (Some(before), Some(after)) if before > after => {}
            _ => {
                // The next cell's search may go on from this cut.
                s.to = b;
                *saved = Some(s);
                return Ok(Some(b));
            }
        }
        s.pass_candidate();
        if s.candidate - s.base >= s.records.len() && !s.read(file)? {
            return Ok(None);
        }
        s.forget_passed();
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write;
    use std::sync::Arc;

    use super::*;
    use crate::record::{RecordLayout, TimeOptions};
    use crate::source::MemSource;

    /// About `bytes` of records in arrival order: one every 40 µs, and in
    /// the stretches where `disorder(i)` holds every third one written up
    /// to 30 ms late (no natural cut for a cell or more), in time order
    /// elsewhere (cuts).
    fn arrival(bytes: usize, disorder: impl Fn(usize) -> bool) -> String {
        let mut text = String::new();
        let mut late: Vec<(i64, usize)> = Vec::new();
        let mut i = 0usize;
        while text.len() < bytes {
            let t = i as i64 * 40;
            let write = |t: i64, n: usize, text: &mut String| {
                let (s, us) = (t / 1_000_000, t % 1_000_000);
                let _ = writeln!(
                    text,
                    "2026-12-07T04:{:02}:{:02}.{us:06}Z INFO record {n:08} {}",
                    s / 60,
                    s % 60,
                    "x".repeat(40 + n % 60)
                );
            };
            if disorder(text.len()) && i % 3 == 0 {
                late.push((t, i));
            } else {
                write(t, i, &mut text);
            }
            // Late records are written once 30 ms have passed, or at once
            // where the log is calm.
            while let Some(&(lt, n)) = late.first() {
                if t - lt < 30_000 && disorder(text.len()) {
                    break;
                }
                write(lt, n, &mut text);
                late.remove(0);
            }
            i += 1;
        }
        text
    }

    fn layout(text: String) -> RecordLayout {
        RecordLayout::open(
            Arc::new(MemSource(text.into_bytes())),
            &TimeOptions::default(),
            true,
        )
        .expect("mem source")
    }

    /// Decides every cell of `layout` both afresh and going on from the
    /// search of the cell before, asserts the two agree, and gives each
    /// cell's decision with where the search it went on from had stopped
    /// (`None`: it started afresh).
    fn carried_against_fresh(
        layout: &RecordLayout,
        reach: u64,
    ) -> Vec<(u64, Option<Option<Cut>>, Option<u64>)> {
        let len = layout.len();
        let mut carried = layout.file_reader(64 * 1024);
        let mut scan: Option<Box<Scan>> = None;
        (1..len.div_ceil(CELL))
            .map(|k| {
                let fresh = decide_cell(
                    &mut layout.file_reader(64 * 1024),
                    k,
                    reach,
                    false,
                    &mut None,
                )
                .expect("fresh");
                let went_on = scan
                    .as_deref()
                    .filter(|s| s.goes_on_to(k * CELL, reach, len))
                    .map(|s| s.to);
                let on = decide_cell(&mut carried, k, reach, false, &mut scan).expect("carried");
                assert_eq!(on, fresh, "cell {k}");
                (k, on, went_on)
            })
            .collect()
    }

    #[test]
    fn a_search_carried_on_from_the_cell_before_decides_every_cell_as_a_fresh_one() {
        let mib = CELL as usize;
        // Disorder in cells 1–4 and 6–7 (half-way into 7), calm elsewhere.
        let text = arrival(10 * mib, |at| {
            (mib..5 * mib).contains(&at) || (6 * mib..7 * mib + mib / 2).contains(&at)
        });
        let layout = layout(text);
        let cells = layout.len().div_ceil(CELL);
        let reach = 64 * 1024;
        let resumed = carried_against_fresh(&layout, reach)
            .iter()
            .filter(|&&(k, _, went_on)| went_on == Some(k * CELL))
            .count();
        assert!(resumed >= 3, "searches carried on: {resumed}");
        // Some cells have no cut and some do.
        let decided: Vec<_> = (1..cells)
            .map(|k| decide_cell(&mut layout.file_reader(4096), k, reach, false, &mut None))
            .collect::<io::Result<_>>()
            .expect("decide");
        assert!(decided.contains(&Some(None)));
        assert!(decided.iter().any(|d| matches!(d, Some(Some(_)))));
    }

    #[test]
    fn a_search_goes_on_from_the_cut_it_found_as_a_fresh_one_would() {
        let mib = CELL as usize;
        // Disorder in cells 1–3 and 8, calm elsewhere: with a reach wider
        // than a cell, each calm cell's cut lies less than the reach before
        // the next cell, whose search goes on from it.
        let text = arrival(14 * mib, |at| {
            (mib..4 * mib).contains(&at) || (8 * mib..9 * mib).contains(&at)
        });
        let decided = carried_against_fresh(&layout(text), 2 * CELL);
        let cuts = decided
            .iter()
            .filter(|(_, on, _)| matches!(on, Some(Some(_))))
            .count();
        let after_cut = decided
            .iter()
            .filter(|&&(k, _, went_on)| went_on.is_some_and(|to| to < k * CELL))
            .count();
        assert!(cuts >= 3, "cells with a cut: {cuts}");
        assert!(after_cut >= 3, "searches gone on from a cut: {after_cut}");
    }
}
