//! Criterion benches for the chunk search engine (issue 32): a pattern run
//! over whole blocks of the sources, as print mode's `--grep` maps its hits
//! and as the viewer's `/` scans, against a plain `memmem` over the same
//! bytes in memory (the floor: no reads, no lines).
//!
//! `cargo bench --bench search`; whole runs against `rg -F` are in
//! `scripts/bench.sh` and BENCHMARKS.md.

use std::hint::black_box;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use logweave::gen::{generate, GenFormat, GenSpec};
use logweave::merge::{Merge, MergeOptions};
use logweave::record::{RecordLayout, TimeOptions};
use logweave::search::hits::map_hits;
use logweave::search::matcher::{Matcher, PatternKind};
use logweave::search::{find, From, ScanProgress};
use logweave::source::{MemSource, Source};

const MB: u64 = 1_000_000;

/// A generated attempt's files, in memory.
fn sample(format: GenFormat, size: u64) -> Vec<Arc<dyn Source>> {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = generate(&GenSpec {
        seed: 5,
        ..GenSpec::new(dir.path(), size, format)
    })
    .expect("generate");
    files
        .iter()
        .map(|f| Arc::new(MemSource(std::fs::read(&f.path).expect("read"))) as Arc<dyn Source>)
        .collect()
}

/// Patterns: a literal found nowhere (as typed: lower case ignores case),
/// the same with case, a regex with a class found nowhere, and one on
/// most lines.
const PATTERNS: [(&str, &str, PatternKind); 4] = [
    ("nowhere caseless", "no such text", PatternKind::Regex),
    ("nowhere literal", "No such text", PatternKind::Literal),
    ("nowhere regex", "needle-[0-9a-f]{4}x", PatternKind::Regex),
    ("most lines", "INFO", PatternKind::Literal),
];

fn hit_maps(c: &mut Criterion) {
    for format in [GenFormat::Text, GenFormat::Json] {
        let sources = sample(format, 64 * MB);
        let bytes: u64 = sources.iter().map(|s| s.len()).sum();
        let refs: Vec<Option<&dyn Source>> = sources.iter().map(|s| Some(&**s)).collect();
        let mut group = c.benchmark_group(format!("map_hits/{format:?}"));
        group.throughput(Throughput::Bytes(bytes));
        group.sample_size(10);
        for (name, pattern, kind) in PATTERNS {
            let matcher = Matcher::new(pattern, kind).expect("pattern");
            group.bench_with_input(BenchmarkId::from_parameter(name), &matcher, |b, m| {
                b.iter(|| {
                    black_box(
                        map_hits(&refs, std::slice::from_ref(m), &AtomicBool::new(false))
                            .expect("scan"),
                    )
                })
            });
        }
        // The floor: one memmem over the bytes, no reads and no lines.
        let all: Vec<Vec<u8>> = sources
            .iter()
            .map(|s| {
                let mut buf = vec![0; s.len() as usize];
                s.read_full_at(0, &mut buf).expect("read");
                buf
            })
            .collect();
        let finder = memchr::memmem::Finder::new(b"No such text");
        group.bench_function("memmem floor", |b| {
            b.iter(|| black_box(all.iter().filter(|a| finder.find(a).is_some()).count()))
        });
        group.finish();
    }
}

fn viewer_search(c: &mut Criterion) {
    let sources = sample(GenFormat::Text, 64 * MB);
    let bytes: u64 = sources.iter().map(|s| s.len()).sum();
    let layouts: Vec<RecordLayout> = sources
        .iter()
        .map(|s| RecordLayout::open(s.clone(), &TimeOptions::default(), false).expect("layout"))
        .collect();
    let mut merge = Merge::new(layouts, MergeOptions::dedup_all());
    let mut group = c.benchmark_group("viewer search");
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(10);
    let matcher = Matcher::new("no such text", PatternKind::Regex).expect("pattern");
    group.bench_function("from the top, found nowhere", |b| {
        b.iter(|| {
            let hit = find(
                &mut merge,
                &From::Edge,
                true,
                &matcher,
                true,
                &ScanProgress::default(),
                &AtomicBool::new(false),
            )
            .expect("search");
            black_box(hit)
        })
    });
    group.finish();
}

criterion_group!(benches, hit_maps, viewer_search);
criterion_main!(benches);
