//! Property tests for the merge contracts (order key, cursors, exactly once): forward equals an
//! obviously-correct reference, backward is its reverse, and any cursor
//! splits the stream so that every record shows exactly once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use logweave::merge::{Merge, MergeOptions};
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
    ts: Option<i64>,
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
    let mut content = src
        .preamble
        .iter()
        .map(|l| format!("{l}\n"))
        .collect::<String>();
    let mut start = 0;
    for (i, rec) in src.records.iter().enumerate() {
        if i > 0 {
            start = text.len();
            content.clear();
        }
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
            ts: rec.ts_ms,
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
            ts: None,
            content,
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

fn build(sources: &[Src], dedup: bool) -> (Merge, Vec<Vec<Known>>) {
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
                ts: None,
                content,
            }];
        }
        layouts.push(RecordLayout::open(Arc::new(MemSource(text)), &time, false).expect("mem"));
        all.push(known);
    }
    (Merge::new(layouts, MergeOptions { dedup }), all)
}

/// The reference merge: repeatedly take the smallest head by
/// (time, rank, offset), untimed first — a K-way merge written the slow,
/// obvious way — then the dedup rule applied per run of equal times.
fn reference(all: &[Vec<Known>], dedup: bool) -> Vec<Id> {
    let mut heads = vec![0usize; all.len()];
    let mut merged: Vec<&Known> = Vec::new();
    loop {
        let best = (0..all.len())
            .filter(|&s| heads[s] < all[s].len())
            .min_by_key(|&s| {
                let k = &all[s][heads[s]];
                (k.ts.map(ns).unwrap_or(i64::MIN), s, k.id.1)
            });
        let Some(s) = best else { break };
        merged.push(&all[s][heads[s]]);
        heads[s] += 1;
    }
    if !dedup {
        return merged.iter().map(|k| k.id).collect();
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < merged.len() {
        let mut j = i + 1;
        while j < merged.len() && merged[j].ts.is_some() && merged[j].ts == merged[i].ts {
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
                let below = (0..k.id.0)
                    .map(|s| count.get(&(k.content.as_str(), s)).copied().unwrap_or(0))
                    .max()
                    .unwrap_or(0);
                if *index >= below {
                    out.push(k.id);
                }
                *index += 1;
            }
        }
        i = j;
    }
    out
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

/// Forward equals the reference; backward from the end is its reverse.
fn check_both_ways(srcs: &[Src], dedup: bool) -> Result<(), TestCaseError> {
    let (mut merge, all) = build(srcs, dedup);
    let fwd = forward(&mut merge);
    prop_assert_eq!(&fwd, &reference(&all, dedup));
    merge.seek_end();
    let mut bwd = backward(&mut merge);
    bwd.reverse();
    prop_assert_eq!(bwd, fwd);
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
    fn forward_equals_reference_and_backward_is_its_reverse(srcs in sorted_sources(), dedup in any::<bool>()) {
        check_both_ways(&srcs, dedup)?;
    }

    #[test]
    fn many_sources_merge_the_same_way(srcs in prop::collection::vec(sorted_source(), 13..18), dedup in any::<bool>()) {
        check_both_ways(&srcs, dedup)?;
    }

    #[test]
    fn big_groups_follow_the_same_rule(srcs in dense_sources()) {
        check_both_ways(&srcs, true)?;
    }

    #[test]
    fn any_cursor_splits_the_stream_exactly(
        srcs in sorted_sources(),
        dedup in any::<bool>(),
        walk in prop::collection::vec(any::<(bool, u8)>(), 1..6),
    ) {
        let (mut merge, _) = build(&srcs, dedup);
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
        let (mut merge, _) = build(&srcs, true);
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
                let (_, all) = build(&srcs, true);
                let ts_of = |id: &Id| all[id.0].iter().find(|k| k.id == *id).and_then(|k| k.ts);
                prop_assert!(below.iter().all(|id| ts_of(id).is_none_or(|t| t >= at_ms)));
                prop_assert!(above.iter().all(|id| ts_of(id).is_none_or(|t| t < at_ms)));
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
        let (mut merge, all) = build(&srcs, false);
        let fwd = forward(&mut merge);
        prop_assert_eq!(&fwd, &reference(&all, false));
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
