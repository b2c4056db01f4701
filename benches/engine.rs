//! Criterion benches for the hot paths: line splitting (both directions),
//! timestamp parsing (Airflow 3 JSON's too), the merge (forward,
//! backward, seeks) and putting a source in canonical order (cells, chunks).
//!
//! `cargo bench` runs them; `scripts/bench.sh` times whole runs of the
//! binary against `cat` and `sort -m` (see BENCHMARKS.md).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use logweave::gen::{generate, GenFormat, GenSpec};
use logweave::merge::{Merge, MergeOptions};
use logweave::record::format::{sniff, TsFormat, TsParser};
use logweave::record::split::{BlockReader, SCAN_BLOCK};
use logweave::record::timestamp::{parse_iso_prefix, Zone, ZoneClock};
use logweave::record::{RecordLayout, TimeOptions};
use logweave::source::{FileSource, MemSource, Source};

const MB: u64 = 1_000_000;

fn sample(format: GenFormat, size: u64) -> (tempfile::TempDir, Vec<std::path::PathBuf>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = generate(&GenSpec {
        seed: 3,
        ..GenSpec::new(dir.path(), size, format)
    })
    .expect("generate");
    (dir, files.into_iter().map(|f| f.path).collect())
}

fn time() -> TimeOptions {
    TimeOptions::default()
}

fn layouts(files: &[std::path::PathBuf]) -> Vec<RecordLayout> {
    files
        .iter()
        .map(|path| {
            let source: Arc<dyn Source> = Arc::new(FileSource::open(path).expect("open"));
            RecordLayout::open(source, &time(), false).expect("layout")
        })
        .collect()
}

fn split(c: &mut Criterion) {
    let (_dir, files) = sample(GenFormat::Text, 16 * MB);
    let bytes = std::fs::read(&files[0]).expect("read");
    let len = bytes.len() as u64;
    let source: Arc<dyn Source> = Arc::new(MemSource(bytes));
    let mut group = c.benchmark_group("split");
    group.throughput(Throughput::Bytes(len));
    group.bench_function("forward", |b| {
        b.iter(|| {
            let mut reader = BlockReader::new(source.clone(), len, SCAN_BLOCK);
            let (mut at, mut lines) = (0, 0u64);
            while let Some(line) = reader.line_at(at).expect("read") {
                at = line.next;
                lines += 1;
            }
            black_box(lines)
        })
    });
    group.bench_function("backward", |b| {
        b.iter(|| {
            let mut reader = BlockReader::new(source.clone(), len, SCAN_BLOCK);
            let (mut at, mut lines) = (len, 0u64);
            while let Some(line) = reader.line_before(at).expect("read") {
                at = line.start;
                lines += 1;
            }
            black_box(lines)
        })
    });
    group.finish();
}

fn timestamps(c: &mut Criterion) {
    let sniffed = |line: &[u8]| sniff([line]).expect("a format");
    let syslog = b"Dec 20 10:00:32 web-1 sshd[812]: Accepted publickey for deploy";
    let klog = b"I1220 10:00:17.120000       1 controller.go:123] \"Reconciling\" pod=\"web-0\"";
    let access =
        br#"203.0.113.7 - - [20/Dec/2024:10:00:28 +0000] "GET /api/v1/health HTTP/1.1" 200 612"#;
    let logfmt = br#"ts=2024-12-20T10:00:35.500Z caller=main.go:40 level=info msg="served""#;
    let zap = br#"{"level":"info","ts":1734688842.5,"caller":"server/main.go:42","msg":"served"}"#;
    let docker = br#"{"log":"2024/12/20 10:00:01 app said hello
","stream":"stdout","time":"2024-12-20T10:00:01.333333333Z"}"#;
    let others: [(&str, TsFormat, &[u8]); 6] = [
        ("syslog", sniffed(syslog), syslog),
        ("klog", sniffed(klog), klog),
        ("access-log", sniffed(access), access),
        ("logfmt", sniffed(logfmt), logfmt),
        ("json-epoch", sniffed(zap), zap),
        ("docker-json", sniffed(docker), docker),
    ];
    let lines: [(&str, TsFormat, &[u8]); 3] = [
        (
            "airflow2",
            TsFormat::airflow_text(),
            b"[2024-12-20T10:00:00.123+0000] {taskinstance.py:1157} INFO - Dependencies all met",
        ),
        (
            "json",
            TsFormat::airflow_json(),
            br#"{"timestamp":"2025-06-01T10:00:00.104512Z","level":"info","event":"Task started"}"#,
        ),
        (
            "python",
            TsFormat::iso(),
            b"2024-12-20 10:00:00,123 INFO worker: ready",
        ),
    ];
    let mut group = c.benchmark_group("timestamp");
    group.throughput(Throughput::Elements(1));
    for (name, format, line) in lines.into_iter().chain(others) {
        let mut parser = TsParser::new(Some(format), ZoneClock::new(Zone::Utc));
        group.bench_with_input(BenchmarkId::new("cached", name), line, |b, line| {
            b.iter(|| black_box(parser.parse(black_box(line))))
        });
    }
    group.bench_function("uncached/iso", |b| {
        b.iter(|| {
            black_box(parse_iso_prefix(black_box(
                b"2024-12-20T10:00:00.123+0000 x",
            )))
        })
    });
    group.bench_function("continuation line", |b| {
        let mut parser = TsParser::new(Some(TsFormat::airflow_text()), ZoneClock::new(Zone::Utc));
        b.iter(|| {
            black_box(parser.parse(black_box(b"  File \"/opt/airflow/dags/etl.py\", line 42")))
        })
    });
    group.finish();
}

/// What sniffing costs per source: `RecordLayout::open` on a file of each
/// kind (the first 400 lines / 64 KiB), and on one without timestamps, which
/// is looked at up to 10,000 lines / 1 MiB before it is given up on.
fn sniffing(c: &mut Criterion) {
    let (_dir, files) = sample(GenFormat::Text, 4 * MB);
    let airflow = std::fs::read(&files[0]).expect("read");
    let syslog: Vec<u8> = (0..20_000)
        .flat_map(|i| {
            format!(
                "Dec 20 10:{:02}:{:02} web-1 sshd[812]: session {i} opened\n",
                i / 60 % 60,
                i % 60
            )
            .into_bytes()
        })
        .collect();
    let json: Vec<u8> = (0..20_000)
        .flat_map(|i| {
            format!(
                "{{\"level\":\"info\",\"ts\":{}.5,\"msg\":\"served {i}\"}}\n",
                1_734_688_800 + i
            )
            .into_bytes()
        })
        .collect();
    let untimed: Vec<u8> = (0..40_000)
        .flat_map(|i| format!("a line of a log without any timestamps, number {i}\n").into_bytes())
        .collect();
    let mut group = c.benchmark_group("sniff");
    for (name, bytes) in [
        ("airflow-text", airflow),
        ("syslog", syslog),
        ("json-epoch", json),
        ("untimed-1MiB", untimed),
    ] {
        let source: Arc<dyn Source> = Arc::new(MemSource(bytes));
        group.bench_function(name, |b| {
            b.iter(|| black_box(RecordLayout::open(source.clone(), &time(), true).expect("open")))
        });
    }
    group.finish();
}

fn merge(c: &mut Criterion) {
    let (_dir, files) = sample(GenFormat::Text, 32 * MB);
    let total: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .sum();
    let layouts = layouts(&files);
    let mut group = c.benchmark_group("merge");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(total));
    for dedup in [true, false] {
        let name = if dedup { "forward" } else { "forward-no-dedup" };
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut merge = Merge::new(layouts.clone(), MergeOptions::dedup_if(dedup));
                let mut records = 0u64;
                while merge.next_record().expect("read").is_some() {
                    records += 1;
                }
                black_box(records)
            })
        });
    }
    group.bench_function("backward", |b| {
        b.iter(|| {
            let mut merge = Merge::new(layouts.clone(), MergeOptions::default());
            merge.seek_end().expect("end");
            let mut records = 0u64;
            while merge.prev_record().expect("read").is_some() {
                records += 1;
            }
            black_box(records)
        })
    });
    group.finish();

    let mut seeks = c.benchmark_group("seek");
    let mut merge = Merge::new(layouts.clone(), MergeOptions::default());
    seeks.bench_function("time", |b| {
        let mut i = 0i64;
        b.iter(|| {
            i = (i + 7919) % 3_600;
            let t = 1_734_688_800_000_000_000 + i * 1_000_000_000;
            merge.seek_time(t).expect("seek");
            black_box(merge.next_record().expect("read"))
        })
    });
    seeks.bench_function("fraction", |b| {
        let mut f = 0.0;
        b.iter(|| {
            f = (f + 0.37) % 1.0;
            merge.seek_fraction(f).expect("seek");
            black_box(merge.next_record().expect("read"))
        })
    });
    seeks.finish();
}

/// Airflow 3's timestamp (issue 32): read from its fixed place at the
/// line's start against the walk over the object's keys it falls back
/// to, on a real-shaped line and on a long one, and the parser as the
/// print path calls it.
/// Putting a source in canonical order: deciding its cells (the natural-cut
/// search) and building its chunks, on Airflow 3's disordered JSON and on
/// sorted text. A fresh layout each time: the decisions are kept per layout.
fn order(c: &mut Criterion) {
    let mut group = c.benchmark_group("order");
    group.sample_size(10);
    for (name, format) in [("json", GenFormat::Json), ("text", GenFormat::Text)] {
        let (_dir, files) = sample(format, 32 * MB);
        let largest = files
            .iter()
            .max_by_key(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
            .expect("a file")
            .clone();
        let len = std::fs::metadata(&largest).map_or(0, |m| m.len());
        group.throughput(Throughput::Bytes(len));
        group.bench_function(format!("chunks/{name}"), |b| {
            b.iter(|| {
                let layout = layouts(std::slice::from_ref(&largest)).remove(0);
                let mut reader = layout.reader(SCAN_BLOCK);
                let (mut at, mut records) = (0, 0);
                while at < layout.len() {
                    let chunk = reader.chunk_at(at).expect("chunk");
                    records += chunk.len();
                    at = chunk.end;
                }
                black_box(records)
            })
        });
    }
    group.finish();
}

fn json_timestamp(c: &mut Criterion) {
    use logweave::record::format::json;
    use logweave::record::timestamp::MinuteCache;
    let short = br#"{"timestamp":"2024-12-20T10:00:04.632183Z","level":"info","event":"Filling up the DagBag from /opt/airflow/dags/etl_daily.py","logger":"task","filename":"dagbag.py","lineno":460}"#;
    let long = format!(
        r#"{{"timestamp":"2024-12-20T10:00:04.632183Z","level":"error","event":"{}","logger":"task.stderr"}}"#,
        "Traceback (most recent call last): ".repeat(40)
    );
    let mut group = c.benchmark_group("json_timestamp");
    group.throughput(Throughput::Elements(1));
    for (name, line) in [("short", &short[..]), ("long", long.as_bytes())] {
        let mut cache = MinuteCache::default();
        group.bench_with_input(BenchmarkId::new("fixed place", name), line, |b, line| {
            b.iter(|| black_box(json::airflow3_time(black_box(line), &mut cache)))
        });
        group.bench_with_input(BenchmarkId::new("walk", name), line, |b, line| {
            b.iter(|| black_box(json::time_of(black_box(line), "timestamp", &mut cache)))
        });
        let mut parser = TsParser::new(Some(TsFormat::airflow_json()), ZoneClock::new(Zone::Utc));
        group.bench_with_input(BenchmarkId::new("parser", name), line, |b, line| {
            b.iter(|| black_box(parser.parse(black_box(line))))
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    split,
    timestamps,
    json_timestamp,
    sniffing,
    merge,
    order
);
criterion_main!(benches);
