//! Which sources are copies of one log: dedup joins only those (the dedup
//! contract in docs/ARCHITECTURE.md), so two unrelated files that log the
//! same line in the same millisecond both show it.
//!
//! Sources known to be copies (what `logweave airflow` opens for one
//! attempt) come with a group; the others are compared. Source B is a copy
//! of source A when B's first [`PREFIX`] timed records (all of them if it
//! has fewer) are found in A, in order: A is read from the time of B's
//! first record on, and each of B's records must be matched by a record of
//! A at the same time with the same content (as dedup compares them: lines
//! with CR dropped, JSON members in any order, the first record's lines
//! before its timestamp left out), with at most [`SKIP`] records of A
//! passed over in all (the API's answer holds a trigger's records among the
//! task's). The relation is looked at both ways, and copies of copies are
//! one group. A remote source is read from its start only (no bisection
//! over the network): a copy found in it must begin where it begins. Up to
//! [`COMPARED`] sources every two are compared; beyond, only sources whose
//! first records are equal. A source needs [`EVIDENCE`] timed records to be
//! found a copy.
//!
//! Here too: the groups as the merge takes them ([`Dedup`]) and what it
//! drops, counted per pair of sources ([`CopyCounts`]).

use std::collections::HashMap;
use std::io;
use std::sync::Arc;

use super::dedup::record_hash;
use crate::record::split::PROBE_BLOCK;
use crate::record::timestamp::Nanos;
use crate::record::{Pos, RecordLayout, RecordReader};

/// Which sources dedup joins, as the user chose (`--dedup`, `--no-dedup`,
/// the config file's `dedup`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DedupMode {
    /// Sources known or found to be copies of one log.
    #[default]
    Copies,
    /// All sources, as if all were copies of one log.
    Always,
    /// None: every record shows.
    Never,
}

impl std::str::FromStr for DedupMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "copies" => Ok(DedupMode::Copies),
            "always" => Ok(DedupMode::Always),
            "never" => Ok(DedupMode::Never),
            other => Err(format!(
                "'{other}' is not copies (the default: sources that are copies of one log), always or never"
            )),
        }
    }
}

/// Which sources dedup looks for copies among: the sources known to be
/// copies of one log (the dedup contract in docs/ARCHITECTURE.md).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Dedup {
    /// Every record shows (`--no-dedup`).
    Off,
    /// Every source is a copy of one log (`--dedup`), also one that joins later.
    #[default]
    All,
    /// Per source (by index), the copy group it belongs to: copies are
    /// looked for only among sources of one group. `None`, and a source
    /// past the list (one that joined later), is a copy of no other.
    Groups(Arc<[Option<u32>]>),
}

impl Dedup {
    /// The copy group of source `source`, if it has one.
    pub fn group_of(&self, source: usize) -> Option<u32> {
        match self {
            Dedup::Off => None,
            Dedup::All => Some(0),
            Dedup::Groups(groups) => groups.get(source).copied().flatten(),
        }
    }

    /// The same groups for a merge over `sources` (indices into the
    /// sources this was made for), in that order.
    pub fn of_sources(&self, sources: &[usize]) -> Dedup {
        match self {
            Dedup::Groups(_) => Dedup::Groups(sources.iter().map(|&i| self.group_of(i)).collect()),
            other => other.clone(),
        }
    }
}

/// Records not shown because they are copies of records another source
/// shows, for one pair of sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Copied {
    /// The source whose records were dropped.
    pub source: usize,
    /// The source whose copies of them are shown.
    pub copy_of: usize,
    pub records: u64,
}

/// Counts of records dropped as copies, per pair of sources. A list, not a
/// map: a merge has a few pairs, and every record dropped counts here (a
/// SipHash map was 2 % of a print with a copy).
#[derive(Clone, Debug, Default)]
pub struct CopyCounts(Vec<((usize, usize), u64)>);

impl PartialEq for CopyCounts {
    /// The same counts, in whatever order the pairs were met.
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && self.0.iter().all(|&(pair, n)| other.get(pair) == n)
    }
}

impl Eq for CopyCounts {}

impl CopyCounts {
    fn get(&self, pair: (usize, usize)) -> u64 {
        self.0
            .iter()
            .find(|(p, _)| *p == pair)
            .map_or(0, |&(_, n)| n)
    }

    fn add_to(&mut self, pair: (usize, usize), n: u64) {
        // The pair counted last is the likeliest next.
        match self.0.iter_mut().rev().find(|(p, _)| *p == pair) {
            Some((_, count)) => *count += n,
            None => self.0.push((pair, n)),
        }
    }

    /// One more record of `source` left out as a copy of `copy_of`'s.
    pub(super) fn count(&mut self, source: usize, copy_of: usize) {
        self.add_to((source, copy_of), 1);
    }

    /// Adds `other`'s counts.
    pub fn add(&mut self, other: &CopyCounts) {
        for &(pair, n) in &other.0 {
            self.add_to(pair, n);
        }
    }

    /// The same counts with each source `i` named `sources[i]`.
    pub fn by_sources(&self, sources: &[usize]) -> CopyCounts {
        let name = |i: usize| sources.get(i).copied().unwrap_or(i);
        let mut named = CopyCounts::default();
        for &((source, copy_of), n) in &self.0 {
            named.add_to((name(source), name(copy_of)), n);
        }
        named
    }

    /// Whether nothing was dropped.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Per pair of sources, by source then `copy_of`.
    pub fn pairs(&self) -> Vec<Copied> {
        let mut pairs: Vec<Copied> = self
            .0
            .iter()
            .map(|&((source, copy_of), records)| Copied {
                source,
                copy_of,
                records,
            })
            .collect();
        pairs.sort_unstable_by_key(|c| (c.source, c.copy_of));
        pairs
    }
}

/// What is said of `records` records of one source not shown because they
/// are copies of records `copy_of` shows (stderr, the status bar, the
/// sources in the help screen).
pub fn describe(records: u64, copy_of: &str) -> String {
    format!(
        "{} left out as copies of {copy_of}'s",
        crate::source::count(records, "record")
    )
}

/// How to see them all the same (after what [`describe`] says, on stderr).
pub const SHOW_ALL: &str = "--no-dedup shows every copy";

/// Pairs of sources said one by one on stderr; the rest in one line.
pub const SAID_PAIRS: usize = 10;

/// What is said of the pairs past the first [`SAID_PAIRS`]: how many
/// sources, how many records.
pub fn describe_rest(rest: &[Copied]) -> Option<String> {
    if rest.is_empty() {
        return None;
    }
    let mut sources: Vec<usize> = rest.iter().map(|c| c.source).collect();
    sources.dedup();
    let records = rest.iter().map(|c| c.records).sum();
    Some(format!(
        "{} of {} left out as copies",
        crate::source::count(records, "record"),
        crate::source::count(sources.len() as u64, "other source")
    ))
}

/// How many of a source's first timed records must be found in another.
pub const PREFIX: usize = 16;

/// How many records of the other source may be passed over.
pub const SKIP: usize = 256;

/// Timed records a source must have to be found a copy of another: one
/// equal record is no evidence (two replicas may log the same line in the
/// same millisecond), and a line shown twice hides nothing.
pub const EVIDENCE: usize = 2;

/// Records of one time read at most while looking for one (a log that
/// stamps thousands of lines with one millisecond is not compared).
const MAX_RUN: usize = 1024;

/// Up to this many sources, every two are compared.
pub const COMPARED: usize = 64;

/// The copy group of each source: sources with the same group are copies
/// of one log; `None` for a source that is a copy of no other. `known`
/// gives the groups already known (the same id: copies), by source.
/// A source that cannot be read here is a copy of none it was not known to be.
pub fn copy_groups(layouts: &[RecordLayout], known: &[Option<u32>]) -> Vec<Option<u32>> {
    let n = layouts.len();
    let mut groups = UnionFind::new(n);
    let mut first_known: HashMap<u32, usize> = HashMap::new();
    for (i, id) in known.iter().enumerate().take(n) {
        if let Some(id) = id {
            let first = *first_known.entry(*id).or_insert(i);
            groups.join(first, i);
        }
    }
    let mut scratch = Vec::new();
    // A reader at a time: 10,000 sources must not hold a block each.
    let prefixes: Vec<Vec<(Nanos, u128)>> = layouts
        .iter()
        .map(|layout| prefix(&mut layout.reader(PROBE_BLOCK), &mut scratch).unwrap_or_default())
        .collect();
    let mut readers: HashMap<usize, RecordReader> = HashMap::new();
    for circle in circles(&prefixes) {
        for &b in &circle {
            // Each source is looked for in at most COMPARED others: a
            // circle of thousands whose first records are equal and whose
            // next differ costs no more than that.
            let mut looked = 0;
            for &a in &circle {
                if looked == COMPARED {
                    break;
                }
                if a == b || groups.same(a, b) {
                    continue;
                }
                looked += 1;
                // Many sources are mostly looked for in a few (the first of
                // a circle): their readers are kept, up to COMPARED.
                if readers.len() == COMPARED && !readers.contains_key(&a) {
                    readers.clear();
                }
                let reader = readers
                    .entry(a)
                    .or_insert_with(|| layouts[a].reader(PROBE_BLOCK));
                let remote = layouts[a].source().is_remote();
                if found_in(&prefixes[b], reader, remote, &mut scratch).unwrap_or(false) {
                    groups.join(a, b);
                }
            }
        }
    }
    groups.numbered()
}

/// The circles of sources among which copies are looked for: all sources
/// up to [`COMPARED`], beyond only those whose first records are equal
/// (10,000 sources must not cost 10^8 comparisons, nor 10,000 that start in
/// the same millisecond with different records). A source with less than
/// [`EVIDENCE`] timed records is in none.
fn circles(prefixes: &[Vec<(Nanos, u128)>]) -> Vec<Vec<usize>> {
    let n = prefixes.len();
    let comparable = (0..n).filter(|&i| prefixes[i].len() >= EVIDENCE);
    if n <= COMPARED {
        return vec![comparable.collect()];
    }
    let mut by_first: HashMap<(Nanos, u128), Vec<usize>> = HashMap::new();
    for i in comparable {
        by_first.entry(prefixes[i][0]).or_default().push(i);
    }
    let mut circles: Vec<Vec<usize>> = by_first.into_values().filter(|c| c.len() > 1).collect();
    circles.sort_unstable();
    circles
}

/// Whether `record` is its source's preamble (the lines before its first
/// timestamp), which is not part of what copies share: the API's answer
/// begins with "Log message source details", the file it copies does not.
fn is_preamble(reader: &RecordReader, record: &crate::record::Record) -> bool {
    record.start == 0 && reader.first_timed().is_some_and(|first| first > 0)
}

/// `(key, content hash)` of the first [`PREFIX`] timed records in the
/// reader's order, up to the first too big to compare.
fn prefix(reader: &mut RecordReader, scratch: &mut Vec<u8>) -> io::Result<Vec<(Nanos, u128)>> {
    let mut out = Vec::with_capacity(PREFIX);
    let mut at = Pos::START;
    while out.len() < PREFIX {
        let Some(record) = reader.record_at(at)? else {
            break;
        };
        at = record.after();
        if record.ts.is_none() || is_preamble(reader, &record) {
            continue;
        }
        match record_hash(reader, &record, scratch)? {
            Some(hash) => out.push((record.key, hash)),
            None => break,
        }
    }
    Ok(out)
}

/// Whether the records of `prefix` are found in order in the source of
/// `reader`, as the module says.
fn found_in(
    prefix: &[(Nanos, u128)],
    reader: &mut RecordReader,
    remote: bool,
    scratch: &mut Vec<u8>,
) -> io::Result<bool> {
    let Some(&(first, _)) = prefix.first() else {
        return Ok(false);
    };
    let mut at = if remote {
        Pos::START
    } else {
        reader.seek_time(first)?
    };
    let mut skipped = 0;
    // The records of `reader` at the key being matched: hash, matched yet.
    let mut run: Vec<(Option<u128>, bool)> = Vec::new();
    let mut run_key = None;
    for &(key, hash) in prefix {
        if run_key != Some(key) {
            skipped += run.iter().filter(|(_, matched)| !matched).count();
            run.clear();
            run_key = Some(key);
            while let Some(record) = reader.record_at(at)? {
                if record.ts.is_some() && record.key > key {
                    break;
                }
                at = record.after();
                if is_preamble(reader, &record) {
                    continue;
                }
                if record.ts.is_none() || record.key < key {
                    skipped += 1;
                    if skipped > SKIP {
                        return Ok(false);
                    }
                    continue;
                }
                if run.len() == MAX_RUN {
                    return Ok(false);
                }
                run.push((record_hash(reader, &record, scratch)?, false));
            }
            if skipped > SKIP {
                return Ok(false);
            }
        }
        match run
            .iter_mut()
            .find(|(h, matched)| !*matched && *h == Some(hash))
        {
            Some(entry) => entry.1 = true,
            None => return Ok(false),
        }
    }
    Ok(true)
}

/// Sources joined into groups.
struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
        }
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn join(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.root(a), self.root(b));
        // The lower index is the root: group ids then follow rank.
        if ra < rb {
            self.parent[rb] = ra;
        } else {
            self.parent[ra] = rb;
        }
    }

    fn same(&mut self, a: usize, b: usize) -> bool {
        self.root(a) == self.root(b)
    }

    /// A group id per member of a group of two or more, numbered from 0 in
    /// the order of their first members; `None` for the others.
    fn numbered(mut self) -> Vec<Option<u32>> {
        let n = self.parent.len();
        let roots: Vec<usize> = (0..n).map(|i| self.root(i)).collect();
        let mut size = vec![0usize; n];
        for &r in &roots {
            size[r] += 1;
        }
        let mut ids: HashMap<usize, u32> = HashMap::new();
        roots
            .iter()
            .map(|&r| {
                (size[r] > 1).then(|| {
                    let next = ids.len() as u32;
                    *ids.entry(r).or_insert(next)
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::in_memory;

    fn lines(from: usize, to: usize, text: &str) -> String {
        (from..to)
            .map(|i| {
                format!(
                    "2024-12-20T10:00:{:02}.{:03}Z {text} {i}\n",
                    i / 1000,
                    i % 1000
                )
            })
            .collect()
    }

    #[test]
    fn a_slice_of_a_log_is_its_copy_and_another_log_is_not() {
        let worker = lines(0, 500, "work");
        let slice = lines(200, 260, "work");
        let other = lines(0, 500, "trigger");
        let groups = copy_groups(
            &[in_memory(&worker), in_memory(&other), in_memory(&slice)],
            &[],
        );
        assert_eq!(groups, vec![Some(0), None, Some(0)]);
    }

    #[test]
    fn replicas_that_share_a_line_are_not_copies() {
        let a = "2024-12-20T10:00:00.000Z start a\n2024-12-20T10:00:01.000Z ERROR db down\n";
        let b = "2024-12-20T10:00:00.500Z start b\n2024-12-20T10:00:01.000Z ERROR db down\n";
        assert_eq!(
            copy_groups(&[in_memory(a), in_memory(b)], &[]),
            vec![None, None]
        );
    }

    #[test]
    fn a_copy_with_other_records_among_its_own_is_found_either_way() {
        // The API's answer: the task's records with a trigger's among them.
        let task = lines(0, 40, "task");
        let mut union: Vec<String> = task.lines().map(|l| format!("{l}\n")).collect();
        union.insert(3, "2024-12-20T10:00:00.003Z trigger fired\n".into());
        union.insert(10, "2024-12-20T10:00:00.009Z trigger fired\n".into());
        let union: String = union.concat();
        assert_eq!(
            copy_groups(&[in_memory(&union), in_memory(&task)], &[]),
            vec![Some(0), Some(0)]
        );
    }

    #[test]
    fn known_groups_are_kept_and_joined_by_copies_found() {
        let a = lines(0, 50, "a");
        let b = lines(0, 50, "b");
        let groups = copy_groups(
            &[in_memory(&a), in_memory(&b), in_memory(&a)],
            &[Some(7), Some(7), None],
        );
        assert_eq!(groups, vec![Some(0), Some(0), Some(0)]);
    }

    #[test]
    fn one_equal_record_is_no_evidence() {
        let a = "2024-12-20T10:00:01.000Z ERROR db down\n";
        assert_eq!(
            copy_groups(&[in_memory(a), in_memory(a)], &[]),
            vec![None, None]
        );
    }

    #[test]
    fn beyond_compared_sources_copies_that_start_alike_are_found() {
        let mut texts: Vec<String> = (0..COMPARED + 6)
            .map(|i| lines(0, 20, &format!("source {i}")))
            .collect();
        texts.push(texts[3].clone());
        let layouts: Vec<RecordLayout> = texts.iter().map(|t| in_memory(t)).collect();
        let groups = copy_groups(&layouts, &[]);
        assert_eq!(groups[3], Some(0));
        assert_eq!(groups[COMPARED + 6], Some(0));
        assert_eq!(groups.iter().flatten().count(), 2);
    }
}
