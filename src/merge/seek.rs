//! Seeking by bisection: no index, O(log size) small reads per source.

use std::io;

use crate::record::timestamp::Nanos;
use crate::record::RecordReader;

/// The first record boundary whose record has time ≥ `t` (the source length
/// when none does). Exact for a sorted source; for an unsorted one it lands on
/// some boundary where the time crosses `t`.
pub fn first_at_or_after(reader: &mut RecordReader, t: Nanos) -> io::Result<u64> {
    // Invariant: every record starting before `lo` is earlier than `t`, no
    // boundary lies in [hi, best), and the record at `best` (if any) is ≥ t.
    let mut lo = 0u64;
    let mut hi = reader.len();
    let mut best = reader.len();
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let boundary = reader.boundary_at_or_after(mid)?;
        if boundary >= hi {
            hi = mid;
            continue;
        }
        match reader.record_at(boundary)? {
            Some(record) if record.key_ts() < t => lo = record.end,
            Some(_) => {
                best = boundary;
                hi = mid;
            }
            None => hi = mid,
        }
    }
    Ok(best)
}

/// The earliest time at which at least `target` bytes of the `sources` lie
/// before their first record ≥ that time.
pub fn time_for_bytes(
    readers: &mut [RecordReader],
    sources: &[usize],
    target: u64,
) -> io::Result<Nanos> {
    let mut lo = i64::MAX;
    let mut hi = i64::MIN;
    for &i in sources {
        let len = readers[i].len();
        if let Some(first) = readers[i].record_at(0)? {
            lo = lo.min(first.key_ts());
        }
        if let Some(last) = readers[i].record_before(len)? {
            hi = hi.max(last.key_ts());
        }
    }
    if lo > hi {
        return Ok(0);
    }
    // Smallest t in [lo, hi+1] with bytes_above(t) ≥ target; bytes_above is
    // monotone in t for sorted sources.
    let mut hi = hi.saturating_add(1);
    while lo < hi {
        let mid = lo + ((hi as i128 - lo as i128) / 2) as i64;
        let mut above = 0u64;
        for &i in sources {
            above += first_at_or_after(&mut readers[i], mid)?;
        }
        if above >= target {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Ok(lo)
}
