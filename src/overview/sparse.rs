//! The overview's sparse indexes, kept within a fixed budget however long
//! the log: checkpoints (a cursor and the lines above it) for line numbers,
//! and time intervals with per-source counts for the timeline. When one
//! fills up it thins itself — every other checkpoint goes, neighbouring
//! intervals are joined — and the spacing of what comes next doubles, so an
//! 8 GB log costs what a 4 GB one does and a lookup merges at most a few
//! spacings.

use crate::merge::Cursor;

/// Bytes of merged records between two checkpoints, before any thinning.
pub const CHECKPOINT_BYTES: u64 = 1024 * 1024;

/// Bytes of merged records per timeline interval, before any thinning:
/// fine enough for a strip a few hundred columns wide on a small log.
pub const INTERVAL_BYTES: u64 = 64 * 1024;

/// Source positions all checkpoints may hold together (24 bytes each):
/// 3 sources keep [`MOST_CHECKPOINTS`], 10,000 sources [`FEWEST_CHECKPOINTS`].
const CHECKPOINT_POSITIONS: usize = 512 * 1024;
const MOST_CHECKPOINTS: usize = 4096;
const FEWEST_CHECKPOINTS: usize = 32;

/// Intervals kept, and `(source, records)` entries over all of them: the
/// strip is at most a few hundred columns, so 8,192 intervals are plenty.
const MOST_INTERVALS: usize = 8192;
const MOST_INTERVAL_ENTRIES: usize = 256 * 1024;

#[derive(Clone, Debug)]
pub struct Checkpoint {
    pub cursor: Cursor,
    /// Lines of the merged stream above `cursor`.
    pub lines: u64,
}

/// Checkpoints in merge order, at most `cap` of them.
#[derive(Debug)]
pub struct Checkpoints {
    list: Vec<Checkpoint>,
    spacing: u64,
    cap: usize,
}

impl Default for Checkpoints {
    fn default() -> Self {
        Self::new(1)
    }
}

impl Checkpoints {
    pub fn new(sources: usize) -> Self {
        let cap =
            (CHECKPOINT_POSITIONS / sources.max(1)).clamp(FEWEST_CHECKPOINTS, MOST_CHECKPOINTS);
        Self::with_cap(cap, CHECKPOINT_BYTES)
    }

    pub(super) fn with_cap(cap: usize, spacing: u64) -> Self {
        Self {
            list: Vec::new(),
            spacing,
            cap: cap.max(2),
        }
    }

    /// Bytes of merged records the scan puts between two checkpoints now.
    pub fn spacing(&self) -> u64 {
        self.spacing
    }

    pub fn push(&mut self, checkpoint: Checkpoint) {
        self.list.push(checkpoint);
        if self.list.len() > self.cap {
            // Keeping the even ones keeps the first (the start of the
            // merge), so every position still has one at or above it.
            let mut k = 0;
            self.list.retain(|_| {
                k += 1;
                k % 2 == 1
            });
            self.spacing = self.spacing.saturating_mul(2);
        }
    }

    /// The last checkpoint for which `before` holds (`before` is true for
    /// a prefix of the list).
    pub fn last_where(&self, before: impl Fn(&Checkpoint) -> bool) -> Option<&Checkpoint> {
        let k = self.list.partition_point(before);
        self.list.get(k.checked_sub(1)?)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.list.len()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interval {
    pub first_ts: i64,
    pub last_ts: i64,
    /// `(source, records)` for the sources with records in it, by source:
    /// an interval holds a few hundred records however many sources there
    /// are (a dense count per source was 40 KB an interval at 10,000 files,
    /// issue 26).
    pub records: Vec<(u32, u32)>,
    pub errors: u32,
}

impl Interval {
    /// One interval spanning `self` and the next one, `later`.
    fn joined(self, later: &Interval) -> Interval {
        let mut records = Vec::with_capacity(self.records.len().max(later.records.len()));
        let (mut a, mut b) = (
            self.records.iter().peekable(),
            later.records.iter().peekable(),
        );
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(&&(sa, na)), Some(&&(sb, nb))) if sa == sb => {
                    a.next();
                    b.next();
                    (sa, na.saturating_add(nb))
                }
                (Some(&&x), Some(&&y)) => {
                    if x.0 < y.0 {
                        a.next();
                        x
                    } else {
                        b.next();
                        y
                    }
                }
                (Some(&&x), None) => {
                    a.next();
                    x
                }
                (None, Some(&&y)) => {
                    b.next();
                    y
                }
                (None, None) => break,
            };
            records.push(next);
        }
        Interval {
            first_ts: self.first_ts.min(later.first_ts),
            last_ts: self.last_ts.max(later.last_ts),
            records,
            errors: self.errors.saturating_add(later.errors),
        }
    }
}

/// Intervals in merge order, within [`MOST_INTERVALS`] and
/// [`MOST_INTERVAL_ENTRIES`].
#[derive(Debug)]
pub struct Intervals {
    list: Vec<Interval>,
    entries: usize,
    span: u64,
    /// Changes whenever the list does (a thinning makes it shorter, so its
    /// length alone does not tell a timeline made earlier is stale).
    version: u64,
    most: (usize, usize),
}

impl Default for Intervals {
    fn default() -> Self {
        Self::with_caps(MOST_INTERVALS, MOST_INTERVAL_ENTRIES, INTERVAL_BYTES)
    }
}

impl Intervals {
    pub(super) fn with_caps(intervals: usize, entries: usize, span: u64) -> Self {
        Self {
            list: Vec::new(),
            entries: 0,
            span,
            version: 0,
            most: (intervals.max(2), entries),
        }
    }

    /// Bytes of merged records the scan puts in one interval now.
    pub fn span(&self) -> u64 {
        self.span
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn as_slice(&self) -> &[Interval] {
        &self.list
    }

    pub fn push(&mut self, interval: Interval) {
        self.entries += interval.records.len();
        self.list.push(interval);
        self.version += 1;
        while self.list.len() > self.most.0 || (self.entries > self.most.1 && self.list.len() > 1) {
            self.thin();
        }
    }

    /// Joins each pair of neighbours.
    fn thin(&mut self) {
        let mut joined = Vec::with_capacity(self.list.len() / 2 + 1);
        let mut list = std::mem::take(&mut self.list).into_iter();
        while let Some(first) = list.next() {
            joined.push(match list.next() {
                Some(second) => first.joined(&second),
                None => first,
            });
        }
        self.entries = joined.iter().map(|iv| iv.records.len()).sum();
        self.list = joined;
        self.span = self.span.saturating_mul(2);
    }
}

/// The records of the interval being counted, per source: dense while it
/// is counted, sparse once closed.
pub struct IntervalCounts {
    per_source: Vec<u32>,
    /// The sources with a count, in the order they were first counted.
    touched: Vec<u32>,
}

impl IntervalCounts {
    pub fn new(sources: usize) -> Self {
        Self {
            per_source: vec![0; sources],
            touched: Vec::new(),
        }
    }

    pub fn add(&mut self, source: usize) {
        if self.per_source[source] == 0 {
            self.touched.push(source as u32);
        }
        self.per_source[source] += 1;
    }

    /// The counts by source; all zero again.
    pub fn take(&mut self) -> Vec<(u32, u32)> {
        self.touched.sort_unstable();
        let sparse = self
            .touched
            .iter()
            .map(|&s| (s, std::mem::take(&mut self.per_source[s as usize])))
            .collect();
        self.touched.clear();
        sparse
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Pos;

    fn checkpoint(lines: u64) -> Checkpoint {
        Checkpoint {
            cursor: Cursor(vec![Pos::START]),
            lines,
        }
    }

    #[test]
    fn checkpoints_stay_within_their_cap_and_keep_the_first() {
        // A scan of 1,000 records of 100 bytes, a checkpoint a spacing.
        let mut checkpoints = Checkpoints::with_cap(8, 100);
        checkpoints.push(checkpoint(0));
        let mut since = 0;
        for lines in 0..1000 {
            if since >= checkpoints.spacing() {
                since = 0;
                checkpoints.push(checkpoint(lines));
            }
            assert!(checkpoints.len() <= 8);
            since += 100;
        }
        assert!(
            checkpoints.spacing() >= 64 * 100,
            "{}",
            checkpoints.spacing()
        );
        assert_eq!(
            checkpoints
                .last_where(|cp| cp.lines == 0)
                .map(|cp| cp.lines),
            Some(0)
        );
        let below_500 = checkpoints
            .last_where(|cp| cp.lines <= 500)
            .map(|cp| cp.lines);
        assert!(
            below_500.is_some_and(|l| l <= 500 && 500 - l < 2 * 128),
            "{below_500:?}"
        );
        assert!(Checkpoints::new(10_000).cap >= FEWEST_CHECKPOINTS);
        assert_eq!(Checkpoints::new(3).cap, MOST_CHECKPOINTS);
    }

    #[test]
    fn joined_intervals_keep_every_count_and_the_time_span() {
        let mut intervals = Intervals::with_caps(4, 1000, INTERVAL_BYTES);
        let mut expected = vec![0u32; 5];
        let mut errors = 0;
        for k in 0..37u32 {
            let records: Vec<(u32, u32)> = (0..5)
                .filter(|s| (k + s) % 3 != 0)
                .map(|s| (s, k + s))
                .collect();
            for &(s, n) in &records {
                expected[s as usize] += n;
            }
            errors += k % 2;
            intervals.push(Interval {
                first_ts: i64::from(k) * 10,
                last_ts: i64::from(k) * 10 + 9,
                records,
                errors: k % 2,
            });
            assert!(intervals.as_slice().len() <= 4);
        }
        let list = intervals.as_slice();
        let mut counted = vec![0u32; 5];
        for iv in list {
            assert!(
                iv.records.windows(2).all(|w| w[0].0 < w[1].0),
                "by source: {:?}",
                iv.records
            );
            for &(s, n) in &iv.records {
                counted[s as usize] += n;
            }
        }
        assert_eq!(counted, expected);
        assert_eq!(list.iter().map(|iv| iv.errors).sum::<u32>(), errors);
        assert_eq!(list.first().map(|iv| iv.first_ts), Some(0));
        assert_eq!(list.last().map(|iv| iv.last_ts), Some(369));
        assert!(list.windows(2).all(|w| w[0].last_ts < w[1].first_ts));
        assert!(intervals.span() > INTERVAL_BYTES);
    }

    #[test]
    fn intervals_thin_when_their_entries_fill_up() {
        let mut intervals = Intervals::with_caps(1000, 50, INTERVAL_BYTES);
        for k in 0..100 {
            intervals.push(Interval {
                first_ts: k,
                last_ts: k,
                records: (0..10).map(|s| (s, 1)).collect(),
                errors: 0,
            });
        }
        assert!(intervals.entries <= 50, "{}", intervals.entries);
        let total: u32 = intervals
            .as_slice()
            .iter()
            .flat_map(|iv| &iv.records)
            .map(|r| r.1)
            .sum();
        assert_eq!(total, 1000);
    }
}
