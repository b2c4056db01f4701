//! The timeline strip's numbers: the overview's intervals spread over a
//! number of columns, each source's share in proportion to the time an
//! interval spends in a column.

use super::Interval;

/// Records and errors per time bucket, for the timeline strip.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    /// Time of the first bucket's start and the last bucket's end.
    pub start: i64,
    pub end: i64,
    /// Records per bucket.
    pub records: Vec<u32>,
    /// Per bucket, the source with most records there (its colour).
    pub dominant: Vec<usize>,
    /// Records at ERROR or above, per bucket.
    pub errors: Vec<u32>,
}

impl Timeline {
    /// The time at which bucket `column` starts.
    pub fn time_of(&self, column: usize) -> i64 {
        let buckets = self.errors.len().max(1) as i128;
        let span = (self.end as i128 - self.start as i128).max(1);
        (self.start as i128 + span * column as i128 / buckets) as i64
    }

    /// The bucket holding time `t`.
    pub fn column_of(&self, t: i64) -> usize {
        let buckets = self.errors.len().max(1) as i128;
        let span = (self.end as i128 - self.start as i128).max(1);
        let at = (t as i128 - self.start as i128).clamp(0, span - 1);
        (at * buckets / span) as usize
    }
}

/// The timeline of `intervals` in `buckets` columns.
pub(super) fn timeline_of(intervals: &[Interval], buckets: usize) -> Option<Timeline> {
    let start = intervals.iter().map(|iv| iv.first_ts).min()?;
    let end = intervals
        .iter()
        .map(|iv| iv.last_ts)
        .max()?
        .saturating_add(1);
    let mut timeline = Timeline {
        start,
        end,
        records: vec![0; buckets],
        dominant: vec![0; buckets],
        errors: vec![0; buckets],
    };
    // The intervals whose time span each column covers; errors mark one
    // column.
    let mut by_column: Vec<Vec<u32>> = vec![Vec::new(); buckets];
    for (k, iv) in intervals.iter().enumerate() {
        let (first, last) = (
            timeline.column_of(iv.first_ts),
            timeline.column_of(iv.last_ts),
        );
        for column in &mut by_column[first..=last] {
            column.push(k as u32);
        }
        let middle = timeline.column_of(iv.first_ts / 2 + iv.last_ts / 2);
        timeline.errors[middle] += iv.errors;
    }
    let sources = intervals
        .iter()
        .filter_map(|iv| iv.records.last())
        .map(|&(source, _)| source as usize + 1)
        .max()
        .unwrap_or(0);
    // One column at a time, each source's share of the records of the
    // intervals over it, in proportion to the overlap (one dense scratch,
    // not a count per source and column).
    let mut weights = vec![0f64; sources];
    let mut touched: Vec<u32> = Vec::new();
    let bucket_ns = (end as f64 - start as f64) / buckets as f64;
    for (column, over) in by_column.iter().enumerate() {
        let lo = start as f64 + column as f64 * bucket_ns;
        for &k in over {
            let iv = &intervals[k as usize];
            let (a, b) = (iv.first_ts as f64, iv.last_ts as f64 + 1.0);
            let overlap = (b.min(lo + bucket_ns) - a.max(lo)).max(0.0) / (b - a);
            for &(source, n) in &iv.records {
                let weight = &mut weights[source as usize];
                if *weight == 0.0 {
                    touched.push(source);
                }
                *weight += n as f64 * overlap;
            }
        }
        // Each source's count rounded, as the strip shows them; a tie goes
        // to the later source.
        touched.sort_unstable();
        touched.dedup();
        let mut best = (0u32, 0usize);
        for &source in &touched {
            let n = std::mem::take(&mut weights[source as usize]).round() as u32;
            timeline.records[column] += n;
            if n >= best.0 {
                best = (n, source as usize);
            }
        }
        timeline.dominant[column] = best.1;
        touched.clear();
    }
    Some(timeline)
}
