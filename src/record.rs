//! Records: a timestamped line plus the untimestamped lines after it, in a
//! source's canonical order.
//!
//! [`file_order`] splits a source into records in file order, in either
//! direction, from any record boundary. [`order`] puts them in the source's
//! canonical order (time order within the reorder window, file order beyond)
//! and reads them in that order from any [`Pos`]. Lines before a source's
//! first timestamp belong to its first record; a source without any
//! timestamp is a single record whose time is unknown (it sorts before every
//! timed record).

pub mod fields;
pub mod file_order;
pub mod format;
pub mod level;
pub mod order;
pub mod split;
pub mod timestamp;
mod timing;

use std::io;
use std::sync::Arc;

use crate::source::Source;
pub use file_order::{FileReader, FileRecord};
use format::{TsFormat, TsParser};
pub use level::Level;
pub use order::{OrderParams, OrderState, Pos, RecordReader};
use split::{BlockReader, SCAN_BLOCK};
use timestamp::Nanos;
use timing::sniff_source;
pub use timing::{Found, TimeOptions};

/// The most a sequential reader keeps behind its block (a merge of three
/// disordered sources on two workers holds six).
const MAX_LOOK_BACK: u64 = 512 * 1024;

/// How much of a source's start is read to measure its disorder.
const DISORDER_SAMPLE: u64 = 256 * 1024;

/// One record of one source, as the merge sees it: the byte range
/// `[start, end)` (where `end` is the start of the next record in the file,
/// so it includes the final newline, if any) and its place in the source's
/// canonical order.
#[derive(Clone, Copy, Debug)]
pub struct Record {
    /// UTC nanoseconds of its first timestamped line; `None` only for a source
    /// that has no timestamps at all.
    pub ts: Option<Nanos>,
    /// The time it is ordered and merged by: its own time, or for a record
    /// kept in file order beyond the reorder window (`late`), the latest time
    /// before it; `i64::MIN` for an untimed source.
    pub key: i64,
    /// Start offset of its chunk.
    pub chunk: u64,
    pub start: u64,
    pub end: u64,
    /// Severity of the timestamped line (`Unknown` unless the reader was asked
    /// to sniff levels).
    pub level: Level,
    /// The raw bytes may differ from the lines as shown: some line may end in
    /// CRLF, or (the last record of a source) lack its final newline. `false`
    /// is a promise that they are the same, which lets the common case be
    /// copied and compared as raw bytes.
    pub crlf: bool,
    /// It is more than the reorder window earlier than a record above it (or
    /// a spike far later than the records around it), so it keeps its place
    /// in the file: `key` is not its time.
    pub late: bool,
}

/// Records are equal when they are the same record; `crlf` is only a hint
/// about its bytes and may differ between two reads of it.
impl PartialEq for Record {
    fn eq(&self, other: &Self) -> bool {
        (
            self.ts, self.key, self.chunk, self.start, self.end, self.level,
        ) == (
            other.ts,
            other.key,
            other.chunk,
            other.start,
            other.end,
            other.level,
        )
    }
}

impl Eq for Record {}

impl Record {
    /// The time part of the order key: untimed records sort first.
    #[inline]
    pub fn key_ts(&self) -> i64 {
        self.key
    }

    /// The position just above this record.
    #[inline]
    pub fn at(&self) -> Pos {
        Pos {
            chunk: self.chunk,
            key: self.key,
            offset: self.start,
        }
    }

    /// The position just below this record.
    #[inline]
    pub fn after(&self) -> Pos {
        Pos {
            chunk: self.chunk,
            key: self.key,
            offset: self.start + 1,
        }
    }

    /// Size in bytes, including newlines.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// `true` for an empty record (never produced by a reader).
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// What is known about how one source splits into records and how they are
/// ordered: its bytes, the length snapshot, the timestamp parser, where the
/// first timestamp is, and the order's state (shared by every reader).
/// Cheap to clone, so several readers (merge, dedup planner, bisection probe)
/// can work on one source without disturbing each other's block.
#[derive(Clone)]
pub struct RecordLayout {
    source: Arc<dyn Source>,
    len: u64,
    parser: TsParser,
    /// Offset of the first timestamped line, `None` for an untimed source.
    first_timed: Option<u64>,
    want_levels: bool,
    order: Arc<OrderState>,
    disorder: Disorder,
    /// How the format was found: how many lines were looked at, whether
    /// the user gave it, where a year-less date's year comes from.
    found: Found,
}

/// The disorder measured in the first part of a source, which sets how far
/// its order looks for a place to cut.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Disorder {
    /// Records earlier than a record above them.
    pub late: u64,
    /// By how much the latest of them is earlier.
    pub most_late: Nanos,
    /// The longest distance in bytes between such a record and the first
    /// record above it that is later.
    pub reach: u64,
    /// Records sampled.
    pub records: u64,
}

impl RecordLayout {
    /// Sniffs the source's format from its first lines, finds its first
    /// timestamp and measures the disorder of its first records.
    pub fn open(
        source: Arc<dyn Source>,
        time: &TimeOptions,
        want_levels: bool,
    ) -> io::Result<Self> {
        let len = source.len();
        let (format, lines) = match &time.format {
            Some(format) => (Some(format.clone()), 0),
            None => sniff_source(&source, len)?,
        };
        let year = format
            .as_ref()
            .is_some_and(TsFormat::is_yearless)
            .then_some(time.year.evidence);
        let format = format.map(|f| f.with_year(time.year.rule));
        let timed = format.is_some();
        let mut layout = Self {
            source,
            len,
            parser: TsParser::new(format, time.clock.clone()),
            first_timed: None,
            want_levels,
            order: OrderState::new(OrderParams {
                window: time.reorder_window,
                reach: order::MIN_REACH,
            }),
            disorder: Disorder::default(),
            found: Found {
                lines,
                given: time.format.is_some(),
                year,
            },
        };
        if timed {
            layout.first_timed = layout.file_reader(SCAN_BLOCK).find_first_timed()?;
        }
        if layout.first_timed.is_some() {
            layout.disorder = layout.measure_disorder()?;
            layout.order = OrderState::new(OrderParams {
                window: time.reorder_window,
                reach: reach_for(&layout.disorder),
            });
        }
        Ok(layout)
    }

    /// The same source grown to `source`'s length (a followed file that was
    /// appended to): format, disorder and the order's decisions carry over,
    /// so records already read keep their place. A source that had no
    /// timestamps yet (it was empty, or began with untimed lines) is sniffed
    /// again, and ordered afresh once it has some.
    pub fn grown(&self, source: Arc<dyn Source>) -> io::Result<Self> {
        let mut layout = Self {
            len: source.len(),
            source,
            ..self.clone()
        };
        if layout.first_timed.is_none() {
            // What the last look saw held no timestamp; a look again only
            // sees more while the sniffing's reach is not yet filled.
            if layout.parser.format().is_none() && self.len < timing::SNIFF_FAR_BYTES as u64 {
                let (format, lines) = sniff_source(&layout.source, layout.len)?;
                layout.parser = TsParser::new(format, self.parser.clock().clone());
                layout.found.lines = lines;
            }
            layout.first_timed = layout.file_reader(SCAN_BLOCK).find_first_timed()?;
            if layout.first_timed.is_some() {
                layout.disorder = layout.measure_disorder()?;
                layout.order = OrderState::new(OrderParams {
                    window: self.order.params().window,
                    reach: reach_for(&layout.disorder),
                });
            }
        }
        Ok(layout)
    }

    /// A reader in canonical order with its own block of `block` bytes.
    pub fn reader(&self, block: usize) -> RecordReader {
        RecordReader::new(self.file_reader(block), self.order.clone(), self.is_timed())
    }

    /// A reader in canonical order for reading on through the source (a
    /// merge's, print's), with its own block of `block` bytes: in a source
    /// out of time order the block keeps the bytes of the records just
    /// behind it (as far as the order's cuts look), which a chunk read in
    /// time order comes back to, so its bytes are read about once instead
    /// of a block per record.
    pub fn sequential_reader(&self, block: usize) -> RecordReader {
        let look_back = if self.disorder.late == 0 {
            0
        } else {
            self.order.params().reach.min(MAX_LOOK_BACK) as usize
        };
        // Each block read on slides the look-back down (a memmove of it):
        // a block of half the look-back moves each byte about twice, where
        // 64 KiB behind 512 KiB moved it eight times (8 % of an Airflow 3
        // print). Not for a merge of many sources, whose blocks are small
        // to bound its memory.
        let block = if look_back > 0 && block >= SCAN_BLOCK {
            block.max(look_back / 2)
        } else {
            block
        };
        let lines =
            BlockReader::new(self.source.clone(), self.len, block).with_look_back(look_back);
        RecordReader::new(
            FileReader::new(
                lines,
                self.parser.clone(),
                self.first_timed,
                self.want_levels,
            ),
            self.order.clone(),
            self.is_timed(),
        )
    }

    /// A reader in file order with its own block of `block` bytes.
    pub fn file_reader(&self, block: usize) -> FileReader {
        FileReader::new(
            BlockReader::new(self.source.clone(), self.len, block),
            self.parser.clone(),
            self.first_timed,
            self.want_levels,
        )
    }

    /// Length snapshot in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// `true` for an empty source.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The timestamp format in use, if the source has one.
    pub fn format(&self) -> Option<&TsFormat> {
        self.parser.format()
    }

    /// The bytes underneath.
    pub fn source(&self) -> &Arc<dyn Source> {
        &self.source
    }

    /// `true` when at least one line carries a timestamp.
    pub fn is_timed(&self) -> bool {
        self.first_timed.is_some()
    }

    /// How the source is ordered.
    pub fn order_params(&self) -> OrderParams {
        self.order.params()
    }

    /// The disorder measured in the source's first records.
    pub fn disorder(&self) -> Disorder {
        self.disorder
    }

    /// Reads the records of the first [`DISORDER_SAMPLE`] bytes and measures
    /// how far they are from time order.
    fn measure_disorder(&self) -> io::Result<Disorder> {
        let sample = self.len.min(DISORDER_SAMPLE);
        let mut reader = FileReader::new(
            BlockReader::new(self.source.clone(), sample, SCAN_BLOCK),
            self.parser.clone(),
            self.first_timed,
            false,
        );
        // Prefix maxima: (time, start of the first record that reached it).
        let mut maxima: Vec<(Nanos, u64)> = Vec::new();
        let mut disorder = Disorder::default();
        let mut at = 0;
        while let Some(record) = reader.record_at(at)? {
            at = record.end;
            disorder.records += 1;
            let Some(t) = record.ts else { continue };
            match maxima.last() {
                Some(&(latest, _)) if t < latest => {
                    disorder.late += 1;
                    disorder.most_late = disorder.most_late.max(latest - t);
                    // The first record above that is later than this one.
                    let first = maxima.partition_point(|&(m, _)| m <= t);
                    disorder.reach = disorder.reach.max(record.start - maxima[first].1);
                }
                Some(&(latest, _)) if t == latest => {}
                _ => maxima.push((t, record.start)),
            }
        }
        Ok(disorder)
    }
}

/// How far a source's natural cuts look on each side: four times the
/// farthest a record sat from its place in the sample, within bounds.
fn reach_for(disorder: &Disorder) -> u64 {
    disorder
        .reach
        .saturating_mul(4)
        .clamp(order::MIN_REACH, order::MAX_REACH)
}

/// The byte offset of the first record boundary whose record has time ≥ `t`,
/// by bisection over raw times in file order (O(log size) small reads).
/// Exact for a sorted source; for one that is not, a boundary near where the
/// times cross `t`.
pub fn bytes_for_time(reader: &mut FileReader, t: Nanos) -> io::Result<u64> {
    // Invariant: every record starting before `lo` is earlier than `t`, no
    // boundary lies in [hi, best), and the record at `best` (if any) is ≥ t.
    let mut lo = 0u64;
    let mut hi = reader.len();
    let mut best = reader.len();
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let boundary = reader.boundary_at_or_after(mid)?;
        if boundary >= hi {
            hi = mid;
            continue;
        }
        match reader.record_at(boundary)? {
            Some(record) if record.ts.unwrap_or(i64::MIN) < t => lo = record.end,
            Some(_) => {
                best = boundary;
                hi = mid;
            }
            None => hi = mid,
        }
    }
    Ok(best)
}

/// A layout over `text` in memory, times in UTC: for unit tests.
#[cfg(test)]
pub(crate) fn in_memory(text: &str) -> RecordLayout {
    let time = TimeOptions::default();
    RecordLayout::open(
        std::sync::Arc::new(crate::source::MemSource(text.as_bytes().to_vec())),
        &time,
        false,
    )
    .expect("a layout in memory")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::MemSource;

    fn layout(text: &str) -> RecordLayout {
        let time = TimeOptions::default();
        RecordLayout::open(Arc::new(MemSource(text.as_bytes().to_vec())), &time, false)
            .expect("mem source")
    }

    #[test]
    fn disorder_is_measured_in_records_time_and_bytes() {
        let text = "2024-01-01T00:00:01Z a\n2024-01-01T00:00:03Z b\n2024-01-01T00:00:02Z c\n2024-01-01T00:00:04Z d\n";
        let d = layout(text).disorder();
        assert_eq!(d.records, 4);
        assert_eq!(d.late, 1);
        assert_eq!(d.most_late, 1_000_000_000);
        // c (at 46) is earlier than b (at 23), the first record above it that is later.
        assert_eq!(d.reach, 23 * 2 - 23);
        assert_eq!(
            layout("2024-01-01T00:00:01Z a\n2024-01-01T00:00:02Z b\n")
                .disorder()
                .late,
            0
        );
    }
}
