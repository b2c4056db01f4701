//! Where a source's canonical order is cut: each cell's chunk boundary,
//! a natural cut or a forced one with its exchange.

use std::collections::VecDeque;
use std::io;

use super::super::file_order::FileReader;
use super::{Cut, Exchange, CELL};

/// Decides cell `k ≥ 1`: `Some(boundary)` once it can be decided (the
/// boundary itself, or `None` for a cell without one), `None` while nothing
/// is written in or after the cell. Without a natural cut, a cell that
/// `may_force` is cut at its first record boundary, with an exchange.
pub(super) fn decide_cell(
    file: &mut FileReader,
    k: u64,
    reach: u64,
    may_force: bool,
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
    if let Some(cut) = natural_cut(file, cell, cell + CELL, reach)? {
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

/// The first record boundary in `[from, to)` where no record starting in the
/// `reach` bytes before is later than a record starting in the `reach` bytes
/// after.
fn natural_cut(file: &mut FileReader, from: u64, to: u64, reach: u64) -> io::Result<Option<u64>> {
    let len = file.len();
    // Records as (start, time), in file order, from `reach` before `from`.
    let mut records: VecDeque<(u64, i64)> = VecDeque::new();
    let mut read_to = file.boundary_at_or_after(from.saturating_sub(reach))?;
    // `base` is the sequence number of `records[0]`; the deques hold
    // sequence numbers. Behind: decreasing times (front = max); ahead:
    // increasing times (front = min).
    let mut base = 0usize;
    let mut behind: VecDeque<usize> = VecDeque::new();
    let mut ahead: VecDeque<usize> = VecDeque::new();
    // Sequence number of the candidate boundary's record.
    let mut candidate = 0usize;
    let mut read = |records: &mut VecDeque<(u64, i64)>, read_to: &mut u64| -> io::Result<bool> {
        if *read_to >= len {
            return Ok(false);
        }
        match file.record_at(*read_to)? {
            Some(r) => {
                records.push_back((r.start, r.ts.unwrap_or(i64::MIN)));
                *read_to = r.end;
                Ok(true)
            }
            None => Ok(false),
        }
    };
    // Records before `from` go behind.
    loop {
        if candidate - base >= records.len() && !read(&mut records, &mut read_to)? {
            return Ok(None);
        }
        let (start, time) = records[candidate - base];
        if start >= from {
            break;
        }
        while behind.back().is_some_and(|&b| records[b - base].1 <= time) {
            behind.pop_back();
        }
        behind.push_back(candidate);
        candidate += 1;
    }
    let mut ahead_end = candidate;
    loop {
        let (b, _) = records[candidate - base];
        if b >= to {
            return Ok(None);
        }
        // Fill ahead with the records starting in [b, b + reach).
        loop {
            if ahead_end - base >= records.len() && !read(&mut records, &mut read_to)? {
                break;
            }
            let (start, time) = records[ahead_end - base];
            if start >= b.saturating_add(reach) {
                break;
            }
            while ahead.back().is_some_and(|&a| records[a - base].1 >= time) {
                ahead.pop_back();
            }
            ahead.push_back(ahead_end);
            ahead_end += 1;
        }
        while behind
            .front()
            .is_some_and(|&i| records[i - base].0 < b.saturating_sub(reach))
        {
            behind.pop_front();
        }
        let latest_before = behind.front().map(|&i| records[i - base].1);
        let earliest_after = ahead.front().map(|&i| records[i - base].1);
        match (latest_before, earliest_after) {
            (Some(before), Some(after)) if before > after => {}
            _ => return Ok(Some(b)),
        }
        // Move the candidate's record from ahead to behind.
        if ahead.front() == Some(&candidate) {
            ahead.pop_front();
        }
        let time = records[candidate - base].1;
        while behind.back().is_some_and(|&i| records[i - base].1 <= time) {
            behind.pop_back();
        }
        behind.push_back(candidate);
        candidate += 1;
        if candidate - base >= records.len() && !read(&mut records, &mut read_to)? {
            return Ok(None);
        }
        if candidate > ahead_end {
            ahead_end = candidate;
        }
        // Forget what no window can reach any more.
        let keep_from = behind.front().copied().unwrap_or(candidate).min(candidate);
        while base < keep_from {
            records.pop_front();
            base += 1;
        }
    }
}
