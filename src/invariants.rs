//! What must hold for any input, as functions that panic when it does not.
//!
//! The fuzz targets (`fuzz/`, libFuzzer on nightly) feed them arbitrary
//! bytes; `tests/fuzz_regressions.rs` runs every input a fuzzer ever found
//! interesting (`fuzz/regressions/<target>/`) through them on stable, so a
//! crash found once stays fixed. Each function states its invariant.

use std::sync::Arc;

use unicode_width::UnicodeWidthStr;

use crate::merge::{Merge, MergeOptions};
use crate::print::{print_merge, print_merged, PrintOptions};
use crate::record::format::{self, Pattern, YearRule};
use crate::record::split::BlockReader;
use crate::record::timestamp::{self, Zone, ZoneClock};
use crate::record::{RecordLayout, TimeOptions};
use crate::source::{MemSource, Source};
use crate::view::{json, text};

/// Line splitting: from the start forwards and from the end backwards (in
/// blocks small enough that lines cross them), the lines are the same, they
/// tile the input, hold no `\n`, and any offset finds the first line start
/// at or after it.
pub fn lines(data: &[u8]) {
    let len = data.len() as u64;
    let source: Arc<dyn Source> = Arc::new(MemSource(data.to_vec()));
    let mut reader = BlockReader::new(source, len, 64);
    let mut forward = Vec::new();
    let mut at = 0;
    while let Some(line) = reader.line_at(at).expect("memory reads") {
        assert_eq!(line.start, at, "lines tile the input");
        assert!(line.start <= line.end && line.end <= line.next && line.next <= len);
        assert!(line.next > at, "a line moves on");
        let text = &data[line.start as usize..line.end as usize];
        assert!(!text.contains(&b'\n'), "a line holds no newline");
        forward.push((line.start, line.end, line.next));
        at = line.next;
    }
    assert_eq!(at, len, "the lines cover the input");
    let mut backward = Vec::new();
    let mut next = len;
    while let Some(line) = reader.line_before(next).expect("memory reads") {
        assert_eq!(line.next, next, "backwards, lines tile the input too");
        backward.push((line.start, line.end, line.next));
        next = line.start;
    }
    backward.reverse();
    assert_eq!(forward, backward, "forwards and backwards agree");
    for offset in [0, 1, len / 3, len / 2, len.saturating_sub(1), len] {
        let found = reader.line_start_at_or_after(offset).expect("memory reads");
        let want = forward
            .iter()
            .map(|l| l.0)
            .find(|&s| s >= offset)
            .unwrap_or(len);
        assert_eq!(found, want, "first line start at or after {offset}");
    }
}

/// Timestamp parsing never panics, and a parsed prefix lies within the
/// input; user-given times and zones are refused with a message, not a
/// panic.
pub fn timestamps(data: &[u8]) {
    if let Some((_, used)) = timestamp::parse_iso_prefix(data) {
        assert!(
            used <= data.len(),
            "a timestamp prefix lies within its line"
        );
    }
    let year = YearRule::Nearest(1_734_688_800);
    for pattern in [
        "%d/%m/%Y %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%b %e %H:%M:%S",
        "%s",
    ] {
        let _ = Pattern::new(pattern)
            .expect("a valid pattern")
            .parse(data, year);
    }
    // Every family's parser over the input's lines, as sniffed and as each
    // JSON and logfmt key reads them.
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if let Some(format) = format::sniff(lines.iter().copied()) {
        for line in &lines {
            let _ = format.parse(line);
            let _ = format.level(line);
        }
    }
    let mut cache = timestamp::MinuteCache::default();
    for key in format::json::TIME_KEYS {
        let _ = format::json::time_of(data, key, &mut cache);
        let _ = format::json::time_at_end(data, key, &mut cache);
    }
    for key in format::logfmt::TIME_KEYS {
        let _ = format::logfmt::value_of(data, key);
    }
    let text = String::from_utf8_lossy(data);
    if let Ok(zone) = Zone::parse(&text) {
        let _ = timestamp::format_in(0, &zone);
    }
    let _ = timestamp::parse_user_time(&text, &mut ZoneClock::new(Zone::Utc));
    // As a pattern: a user's --ts-format over a line.
    if let Ok(pattern) = Pattern::new(&text) {
        let _ = pattern.parse(b"2024-12-20 10:00:00 x", year);
    }
}

/// Record grouping and printing: the merge of a lone source prints what
/// the plain copy of it prints (its bytes, CRLF made LF, a final newline),
/// and two copies of it merge without losing or inventing a byte of
/// either beyond dedup.
pub fn records(data: &[u8]) {
    let time = TimeOptions::default();
    let layout = RecordLayout::open(Arc::new(MemSource(data.to_vec())), &time, false)
        .expect("a layout in memory");
    let options = PrintOptions {
        threads: 1,
        ..PrintOptions::default()
    };
    let mut copied = Vec::new();
    print_merge(
        vec![layout.clone()],
        MergeOptions::default(),
        &options,
        &mut copied,
    )
    .expect("memory writes");
    let mut merged = Vec::new();
    print_merged(
        Merge::new(vec![layout.clone()], MergeOptions::default()),
        &options,
        &mut merged,
    )
    .expect("memory writes");
    assert!(copied == merged, "the merge of one source is its copy");
    // Two copies without dedup: every record twice, so twice the bytes.
    let mut both = Vec::new();
    print_merge(
        vec![layout.clone(), layout],
        MergeOptions::no_dedup(),
        &options,
        &mut both,
    )
    .expect("memory writes");
    assert_eq!(both.len(), 2 * copied.len(), "no record lost or invented");
}

/// Nothing from a log reaches the terminal as a control sequence: what
/// the viewer draws for any line — raw, in colour or not, as Airflow 3
/// JSON, cut at any column — holds no C0 or C1 control character, no DEL,
/// and no bidirectional override that would reorder the cells around it.
/// Widths add up.
pub fn terminal(data: &[u8]) {
    let plain = ratatui::style::Style::default();
    let mut rows: Vec<Vec<u8>> = vec![data.to_vec()];
    for fields in [json::Fields::AsAirflowUi, json::Fields::All] {
        if let Some(rendered) = json::render(data, fields) {
            rows.extend(rendered.into_iter().map(|r| r.text.into_bytes()));
        }
    }
    for row in &rows {
        for sgr in [text::Sgr::Colour, text::Sgr::Strip, text::Sgr::Visible] {
            let pieces = text::display_marked(row, plain, plain, 400, &[(1, 3)], plain, sgr);
            let total: usize = pieces.iter().map(|p| p.width).sum();
            assert_eq!(total, text::width(&pieces), "widths add up");
            for piece in &pieces {
                assert_safe(&piece.text);
                assert_eq!(
                    piece.width,
                    piece.text.width(),
                    "a piece is as wide as it says"
                );
            }
            for skip in [0, 1, 7] {
                for span in text::slice(&pieces, skip, 33) {
                    assert_safe(&span.content);
                    assert!(span.content.width() <= 33, "a cut stays within its columns");
                }
            }
        }
    }
    assert_safe(&text::clipboard_text(data).replace(['\n', '\t'], " "));
}

fn assert_safe(shown: &str) {
    for c in shown.chars() {
        let code = c as u32;
        assert!(
            !(code < 0x20 || (0x7f..=0x9f).contains(&code)),
            "control character U+{code:04X} in {shown:?}"
        );
        assert!(
            !matches!(code, 0x202a..=0x202e | 0x2066..=0x2069 | 0x200e | 0x200f | 0x061c),
            "bidirectional control U+{code:04X} in {shown:?}"
        );
    }
}

/// Decompression of any bytes as gzip and as zstd ends (corrupt input is
/// an error in the spool's health, not a panic or a hang) and never
/// spools more than its cap.
pub fn decompress(data: &[u8]) {
    use crate::source::compressed::{self, Compression};
    let cap = 16_000_000;
    crate::source::spool::set_cap(cap);
    for compression in [Compression::Gzip, Compression::Zstd] {
        let source: Arc<dyn Source> = Arc::new(MemSource(data.to_vec()));
        let Ok(mut spool) = compressed::decompress(
            std::path::Path::new("fuzz"),
            "fuzz".into(),
            source,
            compression,
        ) else {
            continue;
        };
        let _ = spool.wait();
        let entry = spool.entry().expect("a spool's entry");
        assert!(entry.source.len() <= cap, "the spool stops at its cap");
    }
}

/// A `Content-Range` header's total: a number only when the header ends
/// in `/<digits>`, never a panic.
pub fn content_range(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Some(total) = crate::source::remote::http::content_range_total(&text) {
        let tail = text.rsplit('/').next().unwrap_or_default().trim();
        assert_eq!(tail.parse::<u64>().ok(), Some(total));
    }
}
