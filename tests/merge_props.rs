//! Property tests for the merge contracts (canonical order, order key,
//! cursors, exactly once): forward equals an obviously-correct reference —
//! each source put in its canonical order the slow way (keys by the
//! definition in `record::order`, then a stable sort), then a stable sort of
//! everything by (key, rank, place in its source) — backward is its
//! reverse, and any cursor splits the stream so that every record shows
//! exactly once, on sorted sources and on sources with bounded disorder,
//! clock steps, spikes and copies of one another; dedup joins only the
//! sources of one copy group, and counts what it drops per pair of sources.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use logweave::merge::copies::{copy_groups, EVIDENCE};
use logweave::merge::{Copied, Dedup, Merge, MergeOptions};
use logweave::record::{RecordLayout, TimeOptions};
use logweave::source::MemSource;
use proptest::prelude::*;

/// A record as the test builds it: optional time (ms) and its lines' text.
#[derive(Clone, Debug)]
struct Rec {
    ts_ms: Option<i64>,
    head: String,
    continuation: Vec<String>,
}

#[derive(Clone, Debug)]
struct Src {
    preamble: Vec<String>,
    records: Vec<Rec>,
    crlf: bool,
    final_newline: bool,
}

/// Identity of a record in the merged stream: (source, start, end).
type Id = (usize, u64, u64);

/// What the test knows of each record it wrote: position, key and content.
#[derive(Clone, Debug)]
struct Known {
    id: Id,
    /// The lines before the source's first timestamp, a record of their
    /// own keyed at the least key of the source's first records.
    preamble: bool,
    ts: Option<i64>,
    /// The key the reference gives it (ms; `i64::MIN` untimed).
    key: i64,
    content: String,
}

const BASE: &str = "2024-12-20T10:00:";

fn render(src: &Src) -> (Vec<u8>, Vec<Known>, usize) {
    let eol = if src.crlf { "\r\n" } else { "\n" };
    let mut text = String::new();
    let mut known = Vec::new();
    for line in &src.preamble {
        text.push_str(line);
        text.push_str(eol);
    }
    // A source's lines before its first timestamp (a preamble) are a
    // record of their own, at the first record's time, compared as any.
    let preamble = src
        .preamble
        .iter()
        .map(|l| format!("{l}\n"))
        .collect::<String>();
    let mut content = String::new();
    for (i, rec) in src.records.iter().enumerate() {
        if i == 0 && !preamble.is_empty() {
            known.push(Known {
                id: (0, 0, 0),
                preamble: true,
                ts: rec.ts_ms,
                key: 0,
                content: preamble.clone(),
            });
        }
        let start = text.len();
        content.clear();
        let head = match rec.ts_ms {
            Some(ms) => format!(
                "[{BASE}{:02}.{:03}+0000] {{x.py:1}} INFO - {}",
                ms / 1000,
                ms % 1000,
                rec.head
            ),
            None => rec.head.clone(),
        };
        for line in std::iter::once(&head).chain(&rec.continuation) {
            text.push_str(line);
            text.push_str(eol);
            content.push_str(line);
            content.push('\n');
        }
        known.push(Known {
            id: (0, start as u64, 0),
            preamble: false,
            ts: rec.ts_ms,
            key: 0,
            content: content.clone(),
        });
    }
    if !src.final_newline && text.ends_with(eol) {
        text.truncate(text.len() - eol.len());
    }
    let len = text.len() as u64;
    if known.is_empty() && len > 0 {
        // Only untimed preamble lines: the whole source is one untimed record.
        known.push(Known {
            id: (0, 0, len),
            preamble: false,
            ts: None,
            key: 0,
            content: preamble,
        });
    }
    for i in 0..known.len() {
        known[i].id.2 = known.get(i + 1).map(|k| k.id.1).unwrap_or(len);
    }
    (text.into_bytes(), known, src.records.len())
}

fn ns(ms: i64) -> i64 {
    let base = chrono::DateTime::parse_from_rfc3339("2024-12-20T10:00:00Z")
        .expect("base")
        .timestamp_nanos_opt()
        .expect("range");
    base + ms * 1_000_000
}

fn build(sources: &[Src], dedup: &Dedup) -> (Merge, Vec<Vec<Known>>) {
    let (layouts, all) = open(sources);
    let options = MergeOptions {
        dedup: dedup.clone(),
    };
    (Merge::new(layouts, options), all)
}

fn open(sources: &[Src]) -> (Vec<RecordLayout>, Vec<Vec<Known>>) {
    let time = TimeOptions::default();
    let mut layouts = Vec::new();
    let mut all = Vec::new();
    for (i, src) in sources.iter().enumerate() {
        let (text, mut known, _) = render(src);
        for k in &mut known {
            k.id.0 = i;
        }
        // A source whose records carry no time at all is one untimed record.
        if known.iter().all(|k| k.ts.is_none()) && !known.is_empty() {
            let content = known.iter().map(|k| k.content.clone()).collect();
            known = vec![Known {
                id: (i, 0, text.len() as u64),
                preamble: false,
                ts: None,
                key: 0,
                content,
            }];
        }
        layouts.push(RecordLayout::open(Arc::new(MemSource(text)), &time, false).expect("mem"));
        all.push(canonical(known));
    }
    (layouts, all)
}

/// The reorder window (`record::order::DEFAULT_WINDOW`) in ms.
const WINDOW_MS: i64 = 3_000;

/// A source's records in its canonical order, the slow way, by the
/// definition (the test's sources are far smaller than a chunk): a record
/// is kept in file order at the latest time before it (its key) when it is
/// more than the window earlier than that time, or is part of a spike (a
/// run of at most 8 records each more than the window later than the
/// records on both sides); else its key is its time. Then a stable sort by key.
fn canonical(mut known: Vec<Known>) -> Vec<Known> {
    if known.iter().any(|k| k.ts.is_none()) {
        for k in &mut known {
            k.key = i64::MIN;
        }
        return known;
    }
    let t: Vec<i64> = known.iter().map(|k| k.ts.unwrap_or(0)).collect();
    let n = t.len();
    let mut spike = vec![false; n];
    let mut a = 1;
    while a + 1 < n {
        if t[a] <= t[a - 1] + WINDOW_MS {
            a += 1;
            continue;
        }
        let mut end = None;
        for b in a..(a + 8).min(n - 1) {
            let run_min = *t[a..=b].iter().min().expect("a run");
            if run_min <= t[a - 1] + WINDOW_MS {
                break;
            }
            if run_min > t[b + 1] + WINDOW_MS {
                // A spike only if the log stays down after it for longer
                // than it lasted (or to the end).
                let run = b + 1 - a;
                let down = t[b + 1..]
                    .iter()
                    .take(run + 1)
                    .take_while(|&&x| run_min > x + WINDOW_MS)
                    .count();
                if down > run || b + 1 + down == n {
                    end = Some(b);
                }
                break;
            }
        }
        match end {
            Some(b) => {
                spike[a..=b].iter_mut().for_each(|s| *s = true);
                a = b + 1;
            }
            None => a += 1,
        }
    }
    let mut latest: Option<i64> = None;
    for (i, k) in known.iter_mut().enumerate() {
        k.key = match latest {
            Some(l) if spike[i] || t[i] < l - WINDOW_MS => l,
            _ => {
                latest = Some(latest.map_or(t[i], |l| l.max(t[i])));
                t[i]
            }
        };
    }
    // The preamble goes before every record (the sources are far smaller
    // than a chunk).
    let least = known.iter().filter(|k| !k.preamble).map(|k| k.key).min();
    if let Some(least) = least {
        for k in known.iter_mut().filter(|k| k.preamble) {
            k.key = k.key.min(least);
        }
    }
    known.sort_by_key(|k| k.key);
    known
}

/// The reference merge: a stable sort of all records by (key, rank,
/// place in the source's canonical order) — untimed first — then the dedup
/// rule applied per run of equal keys, among the sources of each copy group.
fn reference(all: &[Vec<Known>], dedup: &Dedup) -> Vec<Id> {
    reference_counted(all, dedup).0
}

/// [`reference`] and the records it drops as copies, per pair of sources.
fn reference_counted(all: &[Vec<Known>], dedup: &Dedup) -> (Vec<Id>, Vec<Copied>) {
    let mut merged: Vec<(i64, usize, usize, &Known)> = all
        .iter()
        .enumerate()
        .flat_map(|(s, known)| known.iter().enumerate().map(move |(i, k)| (k.key, s, i, k)))
        .collect();
    merged.sort_by_key(|&(key, s, i, _)| (key, s, i));
    let merged: Vec<&Known> = merged.into_iter().map(|(_, _, _, k)| k).collect();
    let mut out = Vec::new();
    let mut dropped: HashMap<(usize, usize), u64> = HashMap::new();
    let mut i = 0;
    while i < merged.len() {
        let mut j = i + 1;
        while j < merged.len() && merged[j].ts.is_some() && merged[j].key == merged[i].key {
            j += 1;
        }
        let group = &merged[i..j];
        if group[0].ts.is_none() {
            out.extend(group.iter().map(|k| k.id));
        } else {
            // Copies of each content per source, then keep the j-th copy from
            // the lowest-ranked source that has more than j of them.
            let mut count: HashMap<(&str, usize), usize> = HashMap::new();
            let mut seen: HashMap<(&str, usize), usize> = HashMap::new();
            for k in group {
                *count.entry((&k.content, k.id.0)).or_default() += 1;
            }
            for k in group {
                let index = seen.entry((&k.content, k.id.0)).or_default();
                let copy_group = dedup.group_of(k.id.0);
                let held = |s: usize| count.get(&(k.content.as_str(), s)).copied().unwrap_or(0);
                // The lower-ranked sources of its copy group.
                let below: Vec<usize> = (0..k.id.0)
                    .filter(|&s| copy_group.is_some() && dedup.group_of(s) == copy_group)
                    .collect();
                match below.iter().find(|&&s| held(s) > *index) {
                    // Its copy number `index` shows from the lowest-ranked
                    // source that holds more than `index`.
                    Some(&shown) => {
                        *dropped.entry((k.id.0, shown)).or_default() += 1;
                    }
                    None => out.push(k.id),
                }
                *index += 1;
            }
        }
        i = j;
    }
    let mut copies: Vec<Copied> = dropped
        .into_iter()
        .map(|((source, copy_of), records)| Copied {
            source,
            copy_of,
            records,
        })
        .collect();
    copies.sort_unstable_by_key(|c| (c.source, c.copy_of));
    (out, copies)
}

/// Which sources are copies: none, all, or random copy groups.
fn dedup() -> impl Strategy<Value = Dedup> {
    prop_oneof![
        Just(Dedup::Off),
        Just(Dedup::All),
        prop::collection::vec(prop::option::of(0u32..2), 0..20)
            .prop_map(|groups| Dedup::Groups(groups.into())),
    ]
}

fn forward(merge: &mut Merge) -> Vec<Id> {
    let mut out = Vec::new();
    while let Some(r) = merge.next_record().expect("read") {
        out.push((r.source, r.record.start, r.record.end));
    }
    out
}

fn backward(merge: &mut Merge) -> Vec<Id> {
    let mut out = Vec::new();
    while let Some(r) = merge.prev_record().expect("read") {
        out.push((r.source, r.record.start, r.record.end));
    }
    out
}

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "alpha",
        "beta",
        "gamma",
        "ünï ✓",
        "",
        "x\0y",
        "\u{7f}",
    ])
    .prop_map(String::from)
}

fn record(sorted_base: i64) -> impl Strategy<Value = Rec> {
    (
        0i64..4,
        word(),
        prop::collection::vec(word().prop_map(|w| format!("  at {w}")), 0..3),
    )
        .prop_map(move |(dt, head, continuation)| Rec {
            ts_ms: Some(sorted_base + dt),
            head,
            continuation,
        })
}

/// Sorted sources: times drawn as increments from 0 (equal times are common).
fn sorted_source() -> impl Strategy<Value = Src> {
    sorted_source_of(0..12, 1)
}

/// `every`: one record in `every` advances the clock, so big `every` makes
/// big groups of equal timestamps.
fn sorted_source_of(count: std::ops::Range<usize>, every: i64) -> impl Strategy<Value = Src> {
    (
        prop::collection::vec(record(0), count),
        prop::collection::vec(word(), 0..2),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(move |(mut records, preamble, crlf, final_newline)| {
            let mut t = 0;
            for (i, r) in records.iter_mut().enumerate() {
                if i as i64 % every == 0 {
                    t += r.ts_ms.unwrap_or(0);
                }
                r.ts_ms = Some(t);
            }
            Src {
                preamble: preamble.into_iter().map(|w| format!("pre {w}")).collect(),
                records,
                crlf,
                final_newline,
            }
        })
}

fn unsorted_source() -> impl Strategy<Value = Src> {
    (prop::collection::vec(record(0), 0..12), any::<bool>()).prop_map(
        |(mut records, final_newline)| {
            for (i, r) in records.iter_mut().enumerate() {
                r.ts_ms = r.ts_ms.map(|dt| (dt * 7 + i as i64 * 5) % 13);
            }
            Src {
                preamble: Vec::new(),
                records,
                crlf: false,
                final_newline,
            }
        },
    )
}

/// A set of sorted sources, sometimes with a later source that copies a
/// slice of an earlier one (the remote copy of a worker log).
fn sorted_sources() -> impl Strategy<Value = Vec<Src>> {
    with_copy(prop::collection::vec(sorted_source(), 1..4))
}

/// Few timestamps, many records each: groups beyond the planner's small size.
fn dense_sources() -> impl Strategy<Value = Vec<Src>> {
    with_copy(prop::collection::vec(sorted_source_of(10..40, 15), 2..4))
}

fn with_copy(sources: impl Strategy<Value = Vec<Src>>) -> impl Strategy<Value = Vec<Src>> {
    (sources, any::<(u8, u8, bool)>()).prop_map(|(mut srcs, (a, b, copy))| {
        if copy {
            let from = &srcs[0];
            let n = from.records.len();
            if n > 0 {
                let (a, b) = ((a as usize) % n, (b as usize) % n);
                let (lo, hi) = (a.min(b), a.max(b) + 1);
                srcs.push(Src {
                    preamble: Vec::new(),
                    records: from.records[lo..hi].to_vec(),
                    crlf: !from.crlf,
                    final_newline: true,
                });
            }
        }
        srcs
    })
}

fn untimed_source() -> impl Strategy<Value = Src> {
    prop::collection::vec(word(), 1..4).prop_map(|words| Src {
        preamble: Vec::new(),
        records: words
            .into_iter()
            .map(|w| Rec {
                ts_ms: None,
                head: format!("plain {w}"),
                continuation: Vec::new(),
            })
            .collect(),
        crlf: false,
        final_newline: true,
    })
}

/// A source as Airflow 3 writes one: records in arrival order, some
/// ("logging records") stamped up to 2 s before the clock when they arrive,
/// the others ("stdout") stamped at it; equal times are common.
fn disordered_source() -> impl Strategy<Value = Src> {
    (
        prop::collection::vec((0i64..300, record(0), 0i64..2_000, any::<bool>()), 0..30),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(items, crlf, final_newline)| {
            let mut clock = 2_000;
            let records = items
                .into_iter()
                .map(|(dt, mut rec, lag, late)| {
                    clock += dt;
                    rec.ts_ms = Some(if late { clock - lag } else { clock });
                    rec
                })
                .collect();
            Src {
                preamble: Vec::new(),
                records,
                crlf,
                final_newline,
            }
        })
}

/// A disordered source whose clock stepped back by far more than the
/// reorder window — for a burst of records or for good — or with a spike
/// (records dated far ahead of the ones around them).
fn stepped_source() -> impl Strategy<Value = Src> {
    (disordered_source(), any::<(u8, u8, u8)>()).prop_map(|(mut src, (at, len, kind))| {
        let n = src.records.len();
        if n == 0 {
            return src;
        }
        let at = at as usize % n;
        let end = match kind % 3 {
            0 => n,                                   // stepped back for good
            _ => (at + 1 + len as usize % 12).min(n), // for a burst (or a spike)
        };
        for r in &mut src.records[at..end] {
            let t = r.ts_ms.unwrap_or(0) + 30_000;
            r.ts_ms = Some(match kind % 3 {
                2 => t.min(59_999),       // a spike, dated ahead
                _ => t - 30_000 - 25_000, // dated back (kept ≥ 0 below)
            });
        }
        for r in &mut src.records {
            r.ts_ms = r.ts_ms.map(|t| t.clamp(0, 59_999));
        }
        src
    })
}

/// `srcs` and, sometimes, a copy of the first as another store holds it:
/// the same records in the same order (a remote copy), or sorted by time
/// (what Airflow's API answers).
fn with_any_copy(srcs: impl Strategy<Value = Vec<Src>>) -> impl Strategy<Value = Vec<Src>> {
    (srcs, 0u8..3).prop_map(|(mut srcs, kind)| {
        if kind > 0 {
            let mut copy = srcs[0].clone();
            copy.preamble.clear();
            if kind == 2 {
                copy.records.sort_by_key(|r| r.ts_ms);
            }
            srcs.push(copy);
        }
        srcs
    })
}

/// Forward equals the reference; backward from the end is its reverse;
/// both count the copies the reference drops.
fn check_both_ways(srcs: &[Src], dedup: &Dedup) -> Result<(), TestCaseError> {
    let (mut merge, all) = build(srcs, dedup);
    let (want, copies) = reference_counted(&all, dedup);
    let fwd = forward(&mut merge);
    prop_assert_eq!(&fwd, &want);
    prop_assert_eq!(merge.take_copies().pairs(), copies.clone());
    merge.seek_end().expect("end");
    let mut bwd = backward(&mut merge);
    bwd.reverse();
    prop_assert_eq!(bwd, fwd);
    prop_assert_eq!(merge.take_copies().pairs(), copies);
    Ok(())
}

/// 300 cases by default (CI); `PROPTEST_CASES=20000` for a deeper hunt.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(300);
    ProptestConfig::with_cases(cases)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn forward_equals_reference_and_backward_is_its_reverse(srcs in sorted_sources(), dedup in dedup()) {
        check_both_ways(&srcs, &dedup)?;
    }

    #[test]
    fn many_sources_merge_the_same_way(srcs in prop::collection::vec(sorted_source(), 13..18), dedup in dedup()) {
        check_both_ways(&srcs, &dedup)?;
    }

    #[test]
    fn big_groups_follow_the_same_rule(srcs in dense_sources()) {
        check_both_ways(&srcs, &Dedup::All)?;
    }

    #[test]
    fn any_cursor_splits_the_stream_exactly(
        srcs in sorted_sources(),
        dedup in dedup(),
        walk in prop::collection::vec(any::<(bool, u8)>(), 1..6),
    ) {
        let (mut merge, _) = build(&srcs, &dedup);
        let full = forward(&mut merge);
        merge.seek_start();
        // Reach a cursor by an arbitrary walk down and up the stream.
        for (down, steps) in walk {
            for _ in 0..steps % 8 {
                let moved = if down { merge.next_record() } else { merge.prev_record() };
                if moved.expect("read").is_none() {
                    break;
                }
            }
        }
        let cursor = merge.cursor();
        let mut above = backward(&mut merge);
        above.reverse();
        merge.seek(&cursor);
        let below = forward(&mut merge);
        above.extend(below);
        prop_assert_eq!(above, full);
    }

    #[test]
    fn time_and_fraction_seeks_land_on_group_boundaries(
        srcs in sorted_sources(),
        at_ms in 0i64..40,
        fraction in 0.0f64..1.0,
    ) {
        let (mut merge, _) = build(&srcs, &Dedup::All);
        let full = forward(&mut merge);
        for seek in 0..2 {
            if seek == 0 {
                merge.seek_time(ns(at_ms)).expect("seek");
            } else {
                merge.seek_fraction(fraction).expect("seek");
            }
            let cursor = merge.cursor();
            let mut above = backward(&mut merge);
            above.reverse();
            merge.seek(&cursor);
            let below = forward(&mut merge);
            if seek == 0 {
                // Everything below is at or after the time, everything above before it.
                let (_, all) = build(&srcs, &Dedup::All);
                let ts_of = |id: &Id| all[id.0].iter().find(|k| k.id == *id).and_then(|k| k.ts);
                prop_assert!(below.iter().all(|id| ts_of(id).is_none_or(|t| t >= at_ms)));
                prop_assert!(above.iter().all(|id| ts_of(id).is_none_or(|t| t < at_ms)));
            }
            above.extend(below);
            prop_assert_eq!(&above, &full);
        }
    }

    #[test]
    fn disordered_sources_merge_in_time_order_the_same_both_ways(
        srcs in with_any_copy(prop::collection::vec(disordered_source(), 1..4)),
        dedup in dedup(),
    ) {
        check_both_ways(&srcs, &dedup)?;
    }

    #[test]
    fn clock_steps_and_spikes_keep_file_order_the_same_both_ways(
        srcs in with_any_copy(prop::collection::vec(stepped_source(), 1..3)),
        dedup in dedup(),
    ) {
        check_both_ways(&srcs, &dedup)?;
    }

    #[test]
    fn a_copy_of_a_disordered_source_shows_each_record_once(
        src in disordered_source(),
        sorted_copy in any::<bool>(),
    ) {
        let mut copy = src.clone();
        if sorted_copy {
            copy.records.sort_by_key(|r| r.ts_ms);
        }
        let (mut merge, all) = build(&[src, copy], &Dedup::All);
        let shown = forward(&mut merge);
        prop_assert!(shown.iter().all(|id| id.0 == 0), "the copy's records are all dropped");
        prop_assert_eq!(shown.len(), all[0].len());
    }

    /// Airflow's API puts "Log message source details" before a task's
    /// records; the file it is a copy of has no such lines. They are a
    /// record of their own, before the copy's records: shown once, and
    /// once only when both copies begin with them.
    #[test]
    fn a_copys_own_preamble_is_shown_once_both_ways(
        src in prop_oneof![sorted_source(), disordered_source()],
        sorted_copy in any::<bool>(),
        same_preamble in any::<bool>(),
    ) {
        prop_assume!(src.records.first().is_some_and(|r| r.ts_ms.is_some()));
        let preamble = vec!["pre ::group::Log message source details".to_string(), "pre /logs/attempt=1.log".into()];
        let mut src = src;
        src.preamble = if same_preamble { preamble.clone() } else { Vec::new() };
        let mut copy = src.clone();
        copy.preamble = preamble.clone();
        if sorted_copy {
            copy.records.sort_by_key(|r| r.ts_ms);
        }
        let eol = if copy.crlf { 2 } else { 1 };
        let preamble_len = preamble.iter().map(|l| (l.len() + eol) as u64).sum::<u64>();
        let (mut merge, all) = build(&[src, copy], &Dedup::All);
        let shown = forward(&mut merge);
        let from_copy: Vec<Id> = shown.iter().copied().filter(|id| id.0 == 1).collect();
        let expected: Vec<Id> = if same_preamble { Vec::new() } else { vec![(1, 0, preamble_len)] };
        prop_assert_eq!(from_copy, expected, "the copy shows its preamble and nothing else");
        prop_assert_eq!(shown.iter().filter(|id| id.0 == 0).count(), all[0].len());
        let mut up = backward(&mut merge);
        up.reverse();
        prop_assert_eq!(up, shown);
    }

    #[test]
    fn a_slice_or_a_sorted_copy_of_a_source_is_found_to_be_its_copy(
        srcs in prop::collection::vec(prop_oneof![sorted_source(), disordered_source()], 1..4),
        (a, b, sorted) in any::<(u8, u8, bool)>(),
    ) {
        let from = &srcs[0];
        let n = from.records.len();
        prop_assume!(n > 0);
        let (a, b) = ((a as usize) % n, (b as usize) % n);
        let mut records = from.records[a.min(b)..=a.max(b)].to_vec();
        if sorted {
            records = from.records.clone();
            records.sort_by_key(|r| r.ts_ms);
        }
        // One equal record is no evidence of a copy.
        prop_assume!(records.iter().filter(|r| r.ts_ms.is_some()).count() >= EVIDENCE);
        let mut with_copy = srcs.clone();
        with_copy.push(Src {
            preamble: vec!["{\"timestamp\":null,\"event\":\"::group::Log message source details\"}".into()],
            records,
            crlf: !from.crlf,
            final_newline: true,
        });
        let (layouts, _) = open(&with_copy);
        let groups = copy_groups(&layouts, &[]);
        prop_assert!(groups[0].is_some(), "{groups:?}");
        prop_assert_eq!(groups[0], groups[with_copy.len() - 1]);
    }

    #[test]
    fn any_cursor_splits_disordered_and_stepped_streams_exactly(
        srcs in with_any_copy(prop::collection::vec(prop_oneof![disordered_source(), stepped_source()], 1..4)),
        dedup in dedup(),
        walk in prop::collection::vec(any::<(bool, u8)>(), 1..6),
        at_ms in 0i64..60_000,
    ) {
        let (mut merge, all) = build(&srcs, &dedup);
        let full = forward(&mut merge);
        merge.seek_start();
        for (down, steps) in walk {
            for _ in 0..steps % 8 {
                let moved = if down { merge.next_record() } else { merge.prev_record() };
                if moved.expect("read").is_none() {
                    break;
                }
            }
        }
        for seek in 0..2 {
            if seek == 1 {
                merge.seek_time(ns(at_ms)).expect("seek");
            }
            let cursor = merge.cursor();
            let mut above = backward(&mut merge);
            above.reverse();
            merge.seek(&cursor);
            let below = forward(&mut merge);
            if seek == 1 {
                // By key: everything below is at or after the time, everything above before it.
                let key_of = |id: &Id| all[id.0].iter().find(|k| k.id == *id).map(|k| k.key);
                prop_assert!(below.iter().all(|id| key_of(id).is_some_and(|k| k == i64::MIN || k >= at_ms)));
                prop_assert!(above.iter().all(|id| key_of(id).is_some_and(|k| k < at_ms)));
            }
            above.extend(below);
            prop_assert_eq!(&above, &full);
        }
    }

    #[test]
    fn unsorted_sources_show_every_record_exactly_once(
        srcs in prop::collection::vec(unsorted_source(), 1..4),
        untimed in prop::option::of(untimed_source()),
        steps in 0usize..30,
    ) {
        let mut srcs = srcs;
        srcs.extend(untimed);
        check_both_ways(&srcs, &Dedup::Off)?;
        let (mut merge, all) = build(&srcs, &Dedup::Off);
        let fwd = forward(&mut merge);
        prop_assert_eq!(&fwd, &reference(&all, &Dedup::Off));
        let every: HashSet<Id> = all.iter().flatten().map(|k| k.id).collect();
        merge.seek_start();
        for _ in 0..steps {
            if merge.next_record().expect("read").is_none() {
                break;
            }
        }
        let cursor = merge.cursor();
        let above = backward(&mut merge);
        merge.seek(&cursor);
        let below = forward(&mut merge);
        let shown: Vec<Id> = above.into_iter().chain(below).collect();
        let unique: HashSet<Id> = shown.iter().copied().collect();
        prop_assert_eq!(unique.len(), shown.len(), "no record twice");
        prop_assert_eq!(unique, every, "every record once");
    }
}
