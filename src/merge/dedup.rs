//! Cross-source dedup (DESIGN §4): the same log stored in two places shows
//! once, a line printed twice by the task shows twice.
//!
//! Among the records that share one timestamp, for each distinct content, as
//! many copies are shown as the source holding the most of them has, and the
//! copies kept are those of the lowest-ranked sources: the j-th copy (in
//! source order) of content `c` in source `s` is dropped iff some lower-ranked
//! source holds more than `j` copies of `c`.
//!
//! The decision depends only on the full runs of records at that timestamp in
//! each source, never on where a cursor happens to stand, so forward and
//! backward merges from any cursor agree. A plan reads those runs with its own
//! readers (hashing each record once) and remembers only what it drops.

use std::collections::{HashMap, HashSet};
use std::io;

use xxhash_rust::xxh3::Xxh3;

use crate::record::split::SCAN_BLOCK;
use crate::record::timestamp::Nanos;
use crate::record::{RecordLayout, RecordReader};

/// Records larger than this are never dropped, so no record ever has to be
/// hashed whole beyond this size (DESIGN §5, trap 2).
pub const DEDUP_MAX_RECORD: u64 = 1024 * 1024;

/// A timestamp group with more records than this (over all its sources) is
/// shown without dedup: a bound on the plan's memory for pathological logs
/// that stamp a million lines with one time.
pub const DEDUP_MAX_GROUP: usize = 50_000;

/// Which records of one timestamp group are dropped.
pub struct GroupPlan {
    ts: Nanos,
    dropped: HashSet<(usize, u64)>,
}

impl GroupPlan {
    /// A group that drops nothing.
    pub fn single(ts: Nanos) -> Self {
        Self {
            ts,
            dropped: HashSet::new(),
        }
    }

    /// The group's timestamp.
    pub fn ts(&self) -> Nanos {
        self.ts
    }

    /// Whether the record of `source` starting at `start` is a dropped copy.
    pub fn drops(&self, source: usize, start: u64) -> bool {
        !self.dropped.is_empty() && self.dropped.contains(&(source, start))
    }
}

/// Reads timestamp groups with readers of its own.
pub struct Planner {
    readers: Vec<RecordReader>,
}

impl Planner {
    pub fn new(layouts: &[RecordLayout]) -> Self {
        Self {
            readers: layouts.iter().map(|l| l.reader(SCAN_BLOCK / 2)).collect(),
        }
    }

    /// Whether `source` has a record at `ts` just on the other side of its
    /// cursor position `pos` (above it when merging forward).
    pub fn touches_across(
        &mut self,
        source: usize,
        pos: u64,
        ts: Nanos,
        forward: bool,
    ) -> io::Result<bool> {
        let reader = &mut self.readers[source];
        let across = if forward {
            reader.record_before(pos)?
        } else {
            reader.record_at(pos)?
        };
        Ok(across.is_some_and(|r| r.ts == Some(ts)))
    }

    /// Plans the group at `ts` over `members` (ascending ranks), whose runs
    /// contain or touch the positions `pos`.
    pub fn plan(&mut self, ts: Nanos, members: &[usize], pos: &[u64]) -> io::Result<GroupPlan> {
        let mut plan = GroupPlan::single(ts);
        let mut most_below: HashMap<u128, u32> = HashMap::new();
        let mut seen = 0usize;
        for &source in members {
            let reader = &mut self.readers[source];
            let mut start = pos[source];
            while let Some(r) = reader.record_before(start)? {
                if r.ts != Some(ts) {
                    break;
                }
                start = r.start;
            }
            let mut copies: HashMap<u128, u32> = HashMap::new();
            let mut at = start;
            while let Some(r) = reader.record_at(at)? {
                if r.ts != Some(ts) {
                    break;
                }
                at = r.end;
                seen += 1;
                if seen > DEDUP_MAX_GROUP {
                    return Ok(GroupPlan::single(ts));
                }
                if r.len() > DEDUP_MAX_RECORD {
                    continue;
                }
                let hash = content_hash(reader, r.start, r.end)?;
                let copy_index = copies.entry(hash).or_insert(0);
                if *copy_index < most_below.get(&hash).copied().unwrap_or(0) {
                    plan.dropped.insert((source, r.start));
                }
                *copy_index += 1;
            }
            for (hash, count) in copies {
                let most = most_below.entry(hash).or_insert(0);
                *most = (*most).max(count);
            }
        }
        Ok(plan)
    }
}

/// Hash of a record's lines as shown (CRLF and LF copies are the same content).
fn content_hash(reader: &mut RecordReader, start: u64, end: u64) -> io::Result<u128> {
    let mut hasher = Xxh3::new();
    reader.for_each_line_piece(start, end, |piece, last| {
        hasher.update(piece);
        if last {
            hasher.update(b"\n");
        }
        Ok(())
    })?;
    Ok(hasher.digest128())
}
