//! The canonical order across chunk boundaries, on sources large enough to
//! have many: a log that is never in time order for long (Airflow 3's: stdout
//! lines stamped when read, logging records arriving up to a few hundred
//! milliseconds later) has no natural cut for megabytes, so it is cut by
//! force every 16 MiB. Its records are in time order across those cuts too,
//! a sorted copy of it (the API's answer) merges with it record for record,
//! and any position splits it the same way going down and up.
//!
//! The property tests (`merge_props`) cover the order inside a chunk on
//! small sources; these cover the cuts.

use std::sync::Arc;

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

use logweave::merge::{Dedup, Merge, MergeOptions};
use logweave::record::order::CELL;
use logweave::record::{Pos, RecordLayout, TimeOptions};
use logweave::source::{MemSource, Source};

/// One record: its time (µs from the base) and its number (its text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rec {
    us: i64,
    n: u64,
}

fn line(r: Rec) -> String {
    let (s, us) = (r.us / 1_000_000, r.us % 1_000_000);
    format!(
        "2026-12-07T04:{:02}:{:02}.{us:06}Z INFO record {:08} {}\n",
        8 + s / 60,
        s % 60,
        r.n,
        "x".repeat(60 + (r.n % 50) as usize)
    )
}

/// The time `us` after 04:08:00 as the merge counts it.
fn nanos(us: i64) -> i64 {
    chrono::DateTime::parse_from_rfc3339("2026-12-07T04:08:00Z")
        .expect("base")
        .timestamp_nanos_opt()
        .expect("in range")
        + us * 1_000
}

/// About `bytes` of records in arrival order: a printed line every 40 µs on
/// time, and every third one a logging record emitted then but written up
/// to `lag_us` later (a random walk, so the lag changes slowly, as a
/// loaded worker's does).
fn arrival_order(bytes: usize, lag_us: i64) -> Vec<Rec> {
    let mut out: Vec<Rec> = Vec::new();
    let mut pending: std::collections::VecDeque<Rec> = Default::default();
    let (mut t, mut n, mut size, mut lag) = (0i64, 0u64, 0usize, lag_us / 2);
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    while size < bytes {
        t += 40;
        lag = (lag + (next() % 21) as i64 - 10).clamp(0, lag_us);
        let rec = Rec { us: t, n };
        n += 1;
        size += 135;
        if n % 3 == 0 {
            pending.push_back(rec);
        } else {
            out.push(rec);
        }
        while pending.front().is_some_and(|p| p.us + lag <= t) {
            out.extend(pending.pop_front());
        }
    }
    out.extend(pending);
    out
}

fn layout(records: &[Rec]) -> RecordLayout {
    let text: String = records.iter().map(|&r| line(r)).collect();
    RecordLayout::open(
        Arc::new(MemSource(text.into_bytes())),
        &TimeOptions::default(),
        false,
    )
    .expect("a source in memory")
}

fn number(merge: &mut Merge, record: &logweave::merge::MergedRecord) -> u64 {
    let mut text = Vec::new();
    merge
        .for_each_line_piece(record, |piece, _| {
            text.extend_from_slice(piece);
            Ok(())
        })
        .expect("read");
    let text = String::from_utf8(text).expect("utf-8");
    text.split_whitespace()
        .nth(3)
        .and_then(|n| n.parse().ok())
        .expect("a record number")
}

fn forward(merge: &mut Merge) -> Vec<u64> {
    merge.seek_start();
    let mut out = Vec::new();
    while let Some(r) = merge.next_record().expect("read") {
        out.push(number(merge, &r));
    }
    out
}

fn backward(merge: &mut Merge) -> Vec<u64> {
    merge.seek_end().expect("end");
    let mut out = Vec::new();
    while let Some(r) = merge.prev_record().expect("read") {
        out.push(number(merge, &r));
    }
    out.reverse();
    out
}

/// Asserts `got == want`, showing where they part (the lists are long).
fn same(got: &[u64], want: &[u64], what: &str) {
    if let Some(i) = (0..got.len().max(want.len())).find(|&i| got.get(i) != want.get(i)) {
        let around = |v: &[u64]| v[i.saturating_sub(3)..(i + 4).min(v.len())].to_vec();
        panic!(
            "{what}: record {i} of {} (want {}) differs: got {:?}, want {:?}",
            got.len(),
            want.len(),
            around(got),
            around(want)
        );
    }
}

/// The records in time order, ties in file order.
fn time_order(records: &[Rec]) -> Vec<u64> {
    let mut sorted = records.to_vec();
    sorted.sort_by_key(|r| r.us);
    sorted.iter().map(|r| r.n).collect()
}

#[test]
fn a_log_never_in_order_is_in_time_order_across_its_forced_cuts_both_ways() {
    // 40 MB: two forced cuts (16 and 32 MiB), and no natural one.
    let records = arrival_order(40 << 20, 60_000);
    let mut merge = Merge::new(vec![layout(&records)], MergeOptions { dedup: Dedup::All });
    let expected = time_order(&records);
    let down = forward(&mut merge);
    assert_eq!(down.len(), expected.len(), "every record once");
    same(&down, &expected, "time order going down");
    same(&backward(&mut merge), &expected, "the same going up");
}

#[test]
fn a_sorted_copy_merges_with_it_record_for_record_and_any_cursor_splits_both() {
    let records = arrival_order(36 << 20, 60_000);
    let mut sorted = records.clone();
    sorted.sort_by_key(|r| r.us);
    let mut merge = Merge::new(
        vec![layout(&records), layout(&sorted)],
        MergeOptions { dedup: Dedup::All },
    );
    let expected = time_order(&records);
    assert_eq!(
        forward(&mut merge),
        expected,
        "each record once, in time order"
    );
    // Positions at and around the forced cut at 16 MiB: the records above
    // and below any of them are the stream's prefix and suffix.
    let mut bytes = 0;
    let at_cut = records
        .iter()
        .find(|&&r| {
            bytes += line(r).len();
            bytes > 16 << 20
        })
        .expect("a record past 16 MiB")
        .us;
    for t_us in [
        1_000_000,
        at_cut - 300_000,
        at_cut - 1_000,
        at_cut,
        at_cut + 1_000,
        at_cut + 300_000,
    ] {
        let t = nanos(t_us);
        merge.seek_time(t).expect("seek");
        let cursor = merge.cursor();
        let mut below = Vec::new();
        while let Some(r) = merge.next_record().expect("read") {
            below.push(number(&mut merge, &r));
        }
        merge.seek(&cursor);
        let mut above = Vec::new();
        while let Some(r) = merge.prev_record().expect("read") {
            above.push(number(&mut merge, &r));
        }
        above.reverse();
        assert_eq!(above.len() + below.len(), expected.len(), "at {t_us} µs");
        same(
            &above,
            &expected[..above.len()],
            &format!("above {t_us} µs"),
        );
        same(
            &below,
            &expected[above.len()..],
            &format!("below {t_us} µs"),
        );
    }
}

#[test]
fn print_of_the_file_and_its_sorted_copy_shows_each_record_once_in_time_order() {
    // Through the binary, as a user prints a task's file with the API's
    // sorted copy of it: across the forced cut at 16 MiB too.
    let records = arrival_order(20 << 20, 60_000);
    let mut sorted = records.clone();
    sorted.sort_by_key(|r| r.us);
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, records: &[Rec]| {
        let path = dir.path().join(name);
        let text: String = records.iter().map(|&r| line(r)).collect();
        std::fs::write(&path, text).expect("write");
        path
    };
    let file = write("attempt=1.log", &records);
    let copy = write("api.log", &sorted);
    let print = |threads: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_logweave"))
            .args(["--print", "--dedup", "--threads", threads])
            .arg(&file)
            .arg(&copy)
            .output()
            .expect("run logweave");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    // The workers cut the 16 MiB chunk before the forced cut by its keys
    // (print::slices): the output is one merge's whatever the threads.
    let stdout = print("1");
    for threads in ["2", "3"] {
        assert!(
            print(threads) == stdout,
            "--threads {threads} differs from --threads 1"
        );
    }
    let printed: Vec<u64> = String::from_utf8(stdout)
        .expect("utf-8")
        .lines()
        .map(|l| {
            l.split_whitespace()
                .nth(3)
                .and_then(|n| n.parse().ok())
                .expect("a record number")
        })
        .collect();
    same(
        &printed,
        &time_order(&records),
        "--print of the file and its copy",
    );
}

/// Bytes in memory that count what is read of them.
struct Counting {
    bytes: Vec<u8>,
    bytes_read: AtomicU64,
}

impl Counting {
    fn read(&self) -> u64 {
        self.bytes_read.load(Ordering::SeqCst)
    }
}

/// A layout over `records` read through a [`Counting`] source, whose
/// disorder sets a reach of half a cell or more: its cells are decided
/// rising, and the records the searches read are kept for the builds.
fn counted(records: &[Rec]) -> (Arc<Counting>, RecordLayout) {
    let text: String = records.iter().map(|&r| line(r)).collect();
    let source = Arc::new(Counting {
        bytes: text.into_bytes(),
        bytes_read: AtomicU64::new(0),
    });
    let layout = RecordLayout::open(source.clone(), &TimeOptions::default(), false)
        .expect("a source in memory");
    let reach = layout.order_params().reach;
    assert!(reach >= CELL / 2, "a reach this disorder needs: {reach}");
    (source, layout)
}

impl Source for Counting {
    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let from = (offset as usize).min(self.bytes.len());
        let n = buf.len().min(self.bytes.len() - from);
        buf[..n].copy_from_slice(&self.bytes[from..from + n]);
        self.bytes_read.fetch_add(n as u64, Ordering::SeqCst);
        Ok(n)
    }
}

#[test]
fn finding_a_chunk_far_into_a_log_never_in_order_reads_its_cells_about_once() {
    // No natural cut: the chunk holding byte 15.5 MiB starts at 0, and
    // finding its start decides cells 1 to 16. Decided from 15 down, each
    // search read its cell and the reach on both sides afresh; decided
    // rising, each goes on from the one before.
    let records = arrival_order(24 << 20, 100_000);
    let (source, layout) = counted(&records);
    let opened = source.read();
    let mut reader = layout.reader(64 * 1024);
    let start = reader
        .chunk_start_at_or_after(15 * CELL + CELL / 2)
        .expect("cells decided");
    assert!(
        (16 * CELL..16 * CELL + 4096).contains(&start),
        "the forced cut at cell 16's first record: {start}"
    );
    let read = source.read() - opened;
    // Cell 15 on its own, then 1 to 14 rising and 16: 24 MiB (the cells,
    // the reach around 15 and after 16, a block again at each cell's
    // start); all from 15 down, 50 MiB.
    assert!(
        read <= 28 * CELL,
        "{} MiB read to decide 16 cells",
        read >> 20
    );
    // Another reader finds them decided.
    let mut other = layout.reader(64 * 1024);
    let before = source.read();
    other.chunk_start_at_or_after(15 * CELL).expect("decided");
    assert!(source.read() - before < CELL);
}

#[test]
fn a_cold_seek_into_a_calm_stretch_of_a_log_disordered_at_its_start_reads_about_a_cell() {
    // Disordered for its first 2 MiB (which sets a wide reach), in time
    // order after: the chunk holding byte 15.5 MiB starts at a natural cut
    // in its own cell, found without deciding the cells below it.
    let mut records = arrival_order(24 << 20, 100_000);
    let calm_from = records.len() / 12;
    records[calm_from..].sort_by_key(|r| r.us);
    let (source, layout) = counted(&records);
    let reach = layout.order_params().reach;
    let opened = source.read();
    let mut reader = layout.reader(64 * 1024);
    let start = reader
        .chunk_start_at_or_after(15 * CELL + CELL / 2)
        .expect("cells decided");
    assert!(
        (15 * CELL + CELL / 2..17 * CELL).contains(&start),
        "the next natural cut: {start}"
    );
    // A search in cell 15 and one in 16, each reading the reach on both
    // sides of its cut: 4 MiB here; with the cells below decided too, 17.
    let read = source.read() - opened;
    assert!(
        read <= 4 * reach + CELL,
        "{} KiB read (reach {} KiB)",
        read >> 10,
        reach >> 10
    );
}

#[test]
fn the_chunks_of_a_log_never_in_order_are_built_from_what_deciding_its_cells_read() {
    // Deciding the cells reads every record in file order (each search
    // goes on from the last); the chunks are then built from the records
    // those searches read, not read and parsed again.
    // Out of order within stretches of 8,000 records (about 1 MiB: every
    // third record written 1,500 records late, a wide reach), in order
    // from one stretch to the next (a natural cut between them).
    let mut records: Vec<Rec> = (0..(24 << 20) / 135)
        .map(|n| Rec {
            us: n as i64 * 40,
            n: n as u64,
        })
        .collect();
    for stretch in records.chunks_mut(8_000) {
        let last = stretch.len();
        stretch.sort_by_key(|r| {
            let i = (r.n % 8_000) as usize;
            (if i % 3 == 0 { (i + 1_500).min(last) } else { i }, r.n)
        });
    }
    let (source, layout) = counted(&records);
    let opened = source.read();
    let mut reader = layout.reader(64 * 1024);
    let (mut pos, mut seen) = (Pos::START, 0);
    while let Some(record) = reader.record_at(pos).expect("read") {
        pos = record.after();
        seen += 1;
    }
    assert_eq!(seen, records.len(), "every record once");
    let read = source.read() - opened;
    let len = layout.len();
    // Once to decide, and again for a chunk or a tail its build did not
    // find kept (34 MiB for 23 here); 56 MiB when every build read its
    // records again.
    assert!(
        read <= len * 16 / 10,
        "{} MiB read for {} MiB",
        read >> 20,
        len >> 20
    );
}
