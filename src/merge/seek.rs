//! Seeking: to the first and last records, to a time, and to a share of
//! the bytes (bisection over time, no index).

use std::io;

use super::Merge;
use crate::record::timestamp::Nanos;
use crate::record::{bytes_for_time, Pos, RecordReader};

impl Merge {
    /// Moves above every record: at `since` when bounded.
    pub fn seek_first(&mut self) -> io::Result<()> {
        match self.bounds.since {
            Some(since) => self.seek_time(since),
            None => {
                self.seek_start();
                Ok(())
            }
        }
    }

    /// Moves above every record.
    pub fn seek_start(&mut self) {
        self.pos.iter_mut().for_each(|p| *p = Pos::START);
        self.invalidate();
    }

    /// Moves below every record.
    pub fn seek_end(&mut self) -> io::Result<()> {
        // A hidden source keeps its place: it is read no more (a server
        // that failed would fail again), and showing it seeks anew.
        for i in 0..self.layouts.len() {
            if self.enabled[i] {
                self.pos[i] = self.probe(i).seek_end()?;
            }
        }
        self.invalidate();
        Ok(())
    }

    /// Moves so that each source's first record with key ≥ `t` is the first
    /// below the cursor: O(log size) small reads per source and the chunk
    /// around the place, no index.
    pub fn seek_time(&mut self, t: Nanos) -> io::Result<()> {
        let t = t
            .max(self.bounds.since.unwrap_or(Nanos::MIN))
            .min(self.bounds.until.unwrap_or(Nanos::MAX));
        for i in 0..self.layouts.len() {
            if self.enabled[i] {
                self.pos[i] = self.probe(i).seek_time(t)?;
            }
        }
        self.invalidate();
        Ok(())
    }

    /// Moves to the time at which `fraction` (0.0–1.0) of the enabled
    /// sources' bytes lie above the cursor. Bisects the time, never the byte
    /// offsets, so the merge stays in time order.
    pub fn seek_fraction(&mut self, fraction: f64) -> io::Result<()> {
        if fraction <= 0.0 {
            return self.seek_first();
        }
        if fraction >= 1.0 {
            return self.seek_end();
        }
        let target = (self.total_len() as f64 * fraction) as u64;
        let enabled: Vec<usize> = self.enabled_sources().collect();
        for &i in &enabled {
            self.probe(i);
        }
        let mut probes: Vec<&mut RecordReader> = self
            .probes
            .iter_mut()
            .zip(&self.enabled)
            .filter(|(_, &on)| on)
            .filter_map(|(probe, _)| probe.as_deref_mut())
            .collect();
        let t = time_for_bytes(&mut probes, target)?;
        self.seek_time(t)
    }
}

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
