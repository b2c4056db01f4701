//! Cross-source dedup: the same log stored in two places shows
//! once, a line printed twice by the task shows twice.
//!
//! The merge plans each copy group apart (sources known or found to be
//! copies of one log, `merge::copies`): the members below are sources of
//! one group. Among the records that share one timestamp, for each distinct content, as
//! many copies are shown as the source holding the most of them has, and the
//! copies kept are those of the lowest-ranked sources: the j-th copy (in
//! source order) of content `c` in source `s` is dropped iff some lower-ranked
//! source holds more than `j` copies of `c`.
//!
//! Records are grouped by their key (their time, or for a record kept in
//! file order beyond the reorder window, the time it is kept at). The
//! decision depends only on the full runs of records with that key in each
//! source's canonical order, never on where a cursor happens to stand, so
//! forward and backward merges from any cursor agree. A plan reads
//! those runs through the merge's own readers, hashes only records whose
//! length another member shares, and remembers only what it drops.

mod content;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io;

use crate::record::timestamp::Nanos;
use crate::record::{Pos, Record, RecordReader};

/// Records larger than this are never dropped, so no record ever has to be
/// hashed whole beyond this size: a record may be huge (a source without
/// timestamps is one record), and it must never have to be held whole.
pub const DEDUP_MAX_RECORD: u64 = 1024 * 1024;

/// A timestamp group with more records than this (over all its sources) is
/// shown without dedup: a bound on the plan's memory for pathological logs
/// that stamp a million lines with one time.
pub const DEDUP_MAX_GROUP: usize = 50_000;

/// Content hashes are xxh3-128 already: folding them is a perfect hash, and
/// SipHash over them would cost more than the rest of the plan.
#[derive(Default)]
struct FoldHasher(u64);

impl Hasher for FoldHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
        }
    }

    fn write_u128(&mut self, v: u128) {
        self.0 = (v as u64) ^ ((v >> 64) as u64);
    }
}

type HashCounts = HashMap<u128, u32, BuildHasherDefault<FoldHasher>>;

/// What the members planned so far hold of one content.
#[derive(Clone, Copy)]
struct Held {
    /// The most copies one member holds.
    most: u32,
    /// The lowest-ranked member holding any (its slot), and how many.
    first: usize,
    first_count: u32,
}

type HeldCounts = HashMap<u128, Held, BuildHasherDefault<FoldHasher>>;

/// Which records of one timestamp group are dropped.
pub struct GroupPlan {
    /// `(source, start)` of dropped records, ascending (planned in that
    /// order), each with the source whose copy of it is shown.
    dropped: Vec<((usize, u64), usize)>,
}

impl GroupPlan {
    /// A group that drops nothing.
    pub fn single(_ts: Nanos) -> Self {
        Self {
            dropped: Vec::new(),
        }
    }

    /// If the record of `source` starting at `start` is a dropped copy, the
    /// source whose copy is shown.
    pub fn copy_of(&self, source: usize, start: u64) -> Option<usize> {
        if self.dropped.is_empty() {
            return None;
        }
        let at = self
            .dropped
            .binary_search_by_key(&(source, start), |&(key, _)| key)
            .ok()?;
        Some(self.dropped[at].1)
    }
}

/// Where a group's runs lie relative to the anchors the merge gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunsFrom {
    /// Each run starts at its anchor (a forward merge past its first group).
    Start,
    /// Each run ends at its anchor (a backward merge past its first group).
    End,
    /// Runs may lie on both sides (the first group after a seek).
    Around,
}

/// Groups with at most this many records are compared pairwise by length;
/// bigger ones use a map.
const SMALL_GROUP: usize = 24;

/// Plans timestamp groups. It reads with the merge's own sequential readers:
/// a group's runs sit right at the merge's heads, in blocks already loaded
/// (and in the readers' recent-record caches), so planning costs little.
#[derive(Default)]
pub struct Planner {
    most_below: HeldCounts,
    copies: HashCounts,
    /// The group's records as `(member slot, record, where its comparable
    /// content starts)`, members in rank order.
    group: Vec<(usize, Record, u64)>,
    /// A JSON record's bytes while it is hashed.
    scratch: Vec<u8>,
    /// Per record of `group`: could it be a copy of a record of another member?
    comparable: Vec<bool>,
    /// Per record of `group`: its content hash, once hashed.
    hashes: Vec<Option<u128>>,
    /// Per record length: the first member holding a record of that length,
    /// and whether another member holds one too.
    lengths: HashMap<u64, (usize, bool), BuildHasherDefault<FoldHasher>>,
}

impl Planner {
    /// Whether `source` has a record at `ts` just on the other side of its
    /// cursor position `pos` (above it when merging forward).
    pub fn touches_across(
        &mut self,
        reader: &mut RecordReader,
        pos: Pos,
        ts: Nanos,
        forward: bool,
    ) -> io::Result<bool> {
        let across = if forward {
            reader.record_before(pos)?
        } else {
            reader.record_at(pos)?
        };
        Ok(across.is_some_and(|r| r.ts.is_some() && r.key == ts))
    }

    /// Plans the group at `ts` over `members` (ascending ranks), whose runs
    /// contain or touch the positions `anchors`; `runs` says which way from
    /// the anchors they can extend.
    pub fn plan(
        &mut self,
        readers: &mut [RecordReader],
        ts: Nanos,
        members: &[usize],
        anchors: &[Pos],
        runs: RunsFrom,
    ) -> io::Result<GroupPlan> {
        let mut plan = GroupPlan::single(ts);
        self.group.clear();
        for (slot, &source) in members.iter().enumerate() {
            let reader = &mut readers[source];
            let first = self.group.len();
            // Reading only in the merge's own direction keeps the reader on
            // its loaded block; a backward merge collects its runs backward.
            if runs != RunsFrom::Start {
                let mut at = anchors[source];
                while let Some(r) = reader.record_before(at)? {
                    if r.ts.is_none() || r.key != ts {
                        break;
                    }
                    at = r.at();
                    if self.group.len() == DEDUP_MAX_GROUP {
                        return Ok(plan);
                    }
                    self.group.push((slot, r, r.start));
                }
                self.group[first..].reverse();
            }
            if runs != RunsFrom::End {
                let mut at = anchors[source];
                while let Some(r) = reader.record_at(at)? {
                    if r.ts.is_none() || r.key != ts {
                        break;
                    }
                    at = r.after();
                    if self.group.len() == DEDUP_MAX_GROUP {
                        return Ok(plan);
                    }
                    self.group.push((slot, r, r.start));
                }
            }
        }
        if !self.mark_comparable() {
            return Ok(plan);
        }
        if let Some(shown) = self.same_bytes_pair(readers, members)? {
            let (slot, r, _) = self.group[1];
            plan.dropped
                .push(((members[slot], r.start), members[shown]));
            return Ok(plan);
        }

        let (most_below, copies) = (&mut self.most_below, &mut self.copies);
        most_below.clear();
        copies.clear();
        self.hashes.clear();
        let mut current_slot = 0;
        for (i, (&(slot, r, from), &comparable)) in
            self.group.iter().zip(&self.comparable).enumerate()
        {
            if slot != current_slot {
                fold_into(most_below, copies, current_slot);
                current_slot = slot;
            }
            if !comparable {
                self.hashes.push(None);
                continue;
            }
            let source = members[slot];
            let reader = &mut readers[source];
            let json = reader.is_json();
            let hash = content::content_hash(reader, from, r.end, r.crlf, json, &mut self.scratch)?;
            self.hashes.push(Some(hash));
            let copy_index = copies.entry(hash).or_insert(0);
            if let Some(held) = most_below.get(&hash).filter(|h| *copy_index < h.most) {
                let shown = if *copy_index < held.first_count {
                    held.first
                } else {
                    shown_copy(&self.group[..i], &self.hashes, hash, *copy_index)
                };
                plan.dropped.push(((source, r.start), members[shown]));
            }
            *copy_index += 1;
        }
        Ok(plan)
    }

    /// The common group of copies: one record in each of two members with
    /// the same bytes (a file and its copy). Equal bytes hash alike, so the
    /// second is dropped as the general plan would drop it, without
    /// hashing either (the JSON member hash was a tenth of a print with a
    /// copy). `Some(slot)` of the copy shown; `None` for any other group.
    fn same_bytes_pair(
        &mut self,
        readers: &mut [RecordReader],
        members: &[usize],
    ) -> io::Result<Option<usize>> {
        let [(slot_a, a, from_a), (slot_b, b, from_b)] = self.group[..] else {
            return Ok(None);
        };
        if slot_a == slot_b
            || self.comparable != [true, true]
            || a.end - from_a != b.end - from_b
            || readers[members[slot_a]].is_json() != readers[members[slot_b]].is_json()
        {
            return Ok(None);
        }
        self.scratch.clear();
        match readers[members[slot_a]].lines().range(from_a, a.end)? {
            Some(bytes) => self.scratch.extend_from_slice(bytes),
            None => return Ok(None),
        }
        let same = readers[members[slot_b]]
            .lines()
            .range(from_b, b.end)?
            .is_some_and(|bytes| bytes == self.scratch.as_slice());
        Ok(same.then_some(slot_a))
    }

    /// Copies have equal lengths unless CRLF is involved: marks the records
    /// that another member could hold a copy of. Returns whether any is.
    fn mark_comparable(&mut self) -> bool {
        let group = &self.group;
        self.comparable.clear();
        if group.len() <= SMALL_GROUP {
            self.comparable.extend(group.iter().map(|&(slot, r, from)| {
                r.end - from <= DEDUP_MAX_RECORD
                    && group.iter().any(|&(other, o, o_from)| {
                        other != slot && (r.crlf || o.crlf || o.end - o_from == r.end - from)
                    })
            }));
        } else {
            self.lengths.clear();
            let mut crlf_slots = Vec::new();
            for &(slot, r, from) in group {
                if r.crlf {
                    if crlf_slots.last() != Some(&slot) {
                        crlf_slots.push(slot);
                    }
                } else {
                    let entry = self.lengths.entry(r.end - from).or_insert((slot, false));
                    entry.1 |= entry.0 != slot;
                }
            }
            let lengths = &self.lengths;
            self.comparable.extend(group.iter().map(|&(slot, r, from)| {
                let others_crlf = crlf_slots.iter().any(|&s| s != slot);
                r.end - from <= DEDUP_MAX_RECORD
                    && (r.crlf
                        || others_crlf
                        || lengths
                            .get(&(r.end - from))
                            .is_some_and(|&(_, shared)| shared))
            }));
        }
        self.comparable.iter().any(|&c| c)
    }
}

/// The member slot whose copy number `index` of content `hash` is shown:
/// the lowest-ranked member holding more than `index` copies, among the
/// records `before` (members in rank order, `hashes` theirs). Only asked
/// when the lowest-ranked member holding the content holds fewer copies
/// than another (rare: a copy that lost a line).
fn shown_copy(
    before: &[(usize, Record, u64)],
    hashes: &[Option<u128>],
    hash: u128,
    index: u32,
) -> usize {
    let mut slot = usize::MAX;
    let mut count = 0;
    for (&(s, _, _), &h) in before.iter().zip(hashes) {
        if s != slot {
            slot = s;
            count = 0;
        }
        if h == Some(hash) {
            if count == index {
                return s;
            }
            count += 1;
        }
    }
    slot
}

/// After the run of member `slot`: each content's count becomes the most
/// any member so far holds.
fn fold_into(most_below: &mut HeldCounts, copies: &mut HashCounts, slot: usize) {
    for (&hash, &count) in copies.iter() {
        let held = most_below.entry(hash).or_insert(Held {
            most: 0,
            first: slot,
            first_count: count,
        });
        held.most = held.most.max(count);
    }
    copies.clear();
}

/// The content hash of `record` (of `reader`'s source) as dedup compares
/// it, or `None` for a record too big to compare.
pub fn record_hash(
    reader: &mut RecordReader,
    record: &Record,
    scratch: &mut Vec<u8>,
) -> io::Result<Option<u128>> {
    let from = record.start;
    if record.end - from > DEDUP_MAX_RECORD {
        return Ok(None);
    }
    let json = reader.is_json();
    content::content_hash(reader, from, record.end, record.crlf, json, scratch).map(Some)
}
