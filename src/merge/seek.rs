//! Seeking by share of bytes: bisection over time, no index.

use std::io;

use crate::record::timestamp::Nanos;
use crate::record::{bytes_for_time, RecordReader};

/// The earliest time at which at least `target` bytes of the sources of
/// `readers` lie before their first record ≥ that time (by raw times in file
/// order, which is close enough for a share of the stream).
pub fn time_for_bytes(readers: &mut [&mut RecordReader], target: u64) -> io::Result<Nanos> {
    let mut lo = i64::MAX;
    let mut hi = i64::MIN;
    for reader in readers.iter_mut() {
        let file = reader.file();
        let len = file.len();
        if let Some(first) = file.record_at(0)? {
            lo = lo.min(first.ts.unwrap_or(i64::MIN));
        }
        if let Some(last) = file.record_before(len)? {
            hi = hi.max(last.ts.unwrap_or(i64::MIN));
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
        for reader in readers.iter_mut() {
            above += bytes_for_time(reader.file(), mid)?;
        }
        if above >= target {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Ok(lo)
}
