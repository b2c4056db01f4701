//! How a source's times are to be read (`TimeOptions`, per source by
//! [`TimeOptions::for_source`]), the sniffing of its first lines, and what
//! it found (`Found`): what the sources listing and the notice about a
//! source without timestamps say.

use std::io;
use std::sync::Arc;

use super::format::rules::FormatRule;
use super::format::{self, sniff, TsFormat, TsParser, YearEvidence, YearGuess, LINE_HEAD};
use super::timestamp::{Nanos, Zone, ZoneClock};
use super::RecordLayout;
use crate::source::Source;

/// How much of a source's start is sampled to pick its timestamp format:
/// first a quick look, and when that finds no timestamp, a longer one (a
/// log may start with a banner, a config dump or a stack of warnings).
const SNIFF_BYTES: usize = 64 * 1024;
const SNIFF_LINES: usize = 400;
pub(super) const SNIFF_FAR_BYTES: usize = 1024 * 1024;
const SNIFF_FAR_LINES: usize = 10_000;

/// What the sniffing did for a source, for the sources listing and the
/// notice about a source without timestamps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Found {
    /// Lines looked at to pick the format.
    pub lines: usize,
    /// The format came from `--ts-format` or a `[[format]]` entry.
    pub given: bool,
    /// Where a year-less format's year came from.
    pub year: Option<YearEvidence>,
}

/// How a source's timestamps are to be read.
#[derive(Clone, Debug)]
pub struct TimeOptions {
    /// A forced format (`--ts-format`); sniffed per source when `None`.
    pub format: Option<TsFormat>,
    /// Zone of naive readings (`--tz`).
    pub clock: ZoneClock,
    /// Formats and zones for some sources (`--ts-format GLOB=…`, `--tz
    /// GLOB=…`, `[[format]]`), applied by [`TimeOptions::for_source`].
    pub rules: Arc<[FormatRule]>,
    /// Where a year-less date's year comes from until the other sources'
    /// times are known.
    pub year: YearGuess,
    /// Records later than this behind a record above them keep their place
    /// in the file instead of being sorted in (`--reorder-window`).
    pub reorder_window: Nanos,
}

impl Default for TimeOptions {
    /// Sniffed formats, UTC, the year from today's date.
    fn default() -> Self {
        Self {
            format: None,
            clock: ZoneClock::new(Zone::Utc),
            rules: Arc::from(Vec::new()),
            year: YearGuess::today(),
            reorder_window: super::order::DEFAULT_WINDOW,
        }
    }
}

impl TimeOptions {
    /// Times read by `format` (sniffed when `None`) in `clock`, the rest
    /// as by default.
    pub fn new(format: Option<TsFormat>, clock: ZoneClock) -> Self {
        Self {
            format,
            clock,
            ..Self::default()
        }
    }

    /// The options for the source at `path`: the pattern and zone the rules
    /// give it, and its modification time as the year's evidence.
    pub fn for_source(&self, path: &std::path::Path) -> TimeOptions {
        let mut options = self.clone();
        let (pattern, zone) = format::rules::for_path(&self.rules, path);
        if let Some(pattern) = pattern {
            options.format = Some(TsFormat::pattern(pattern));
        }
        if let Some(zone) = zone {
            options.clock = ZoneClock::new(zone);
        }
        if let Some(modified) = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        {
            options.year = YearGuess {
                rule: format::YearRule::NotAfter(modified.as_secs() as i64),
                evidence: YearEvidence::Modified,
            };
        }
        options
    }
}

impl RecordLayout {
    /// What the sniffing found and from what.
    pub fn found(&self) -> Found {
        self.found
    }

    /// The same layout with a year-less format's year taken by `guess`
    /// (the other sources' times, known once all are open).
    pub fn with_year(mut self, guess: YearGuess) -> Self {
        if let Some(format) = self.parser.format().filter(|f| f.is_yearless()) {
            let format = format.clone().with_year(guess.rule);
            self.parser = TsParser::new(Some(format), self.parser.clock().clone());
            self.found.year = Some(guess.evidence);
        }
        self
    }

    /// The source's format, its levels and its year's evidence in words
    /// (the sources listing).
    pub fn describe(&self) -> String {
        let Some(format) = self.format() else {
            return format!(
                "no timestamps found in the first {} lines",
                crate::source::group(self.found.lines as u64)
            );
        };
        let mut text = format.describe();
        if let Some(evidence) = self.found.year {
            let year = self.first_ts().map(|t| {
                chrono::DateTime::from_timestamp(t.div_euclid(1_000_000_000), 0)
                    .map(|d| chrono::Datelike::year(&d).to_string())
                    .unwrap_or_default()
            });
            text.push_str(&format!(
                "; year {} from {}",
                year.unwrap_or_default(),
                evidence.describe()
            ));
        }
        if self.want_levels {
            text.push_str(&format!("; levels: {}", format.levels().describe()));
        }
        text
    }

    /// The time of the first timestamped line.
    pub fn first_ts(&self) -> Option<Nanos> {
        let first = self.first_timed?;
        self.file_reader(4096)
            .record_containing(first)
            .ok()
            .flatten()
            .and_then(|r| r.ts)
    }

    /// The time of the last record.
    pub fn last_ts(&self) -> Option<Nanos> {
        self.first_timed?;
        let mut reader = self.file_reader(4096);
        reader
            .record_before(self.len)
            .ok()
            .flatten()
            .and_then(|r| r.ts)
    }
}

/// The format of the source's first lines and how many lines were looked
/// at: 400 lines / 64 KiB, and when they hold no timestamp, up to 10,000
/// lines / 1 MiB from the first line a candidate reads.
pub(super) fn sniff_source(
    source: &Arc<dyn Source>,
    len: u64,
) -> io::Result<(Option<TsFormat>, usize)> {
    let mut head = vec![0u8; (len as usize).min(SNIFF_BYTES)];
    let got = source.read_full_at(0, &mut head)?;
    head.truncate(got);
    let near = sample(&head, SNIFF_LINES);
    let looked = near.len();
    if let Some(format) = sniff(near) {
        return Ok((Some(format), looked));
    }
    if len > got as u64 {
        head.resize((len as usize).min(SNIFF_FAR_BYTES), 0);
        let more = source.read_full_at(got as u64, &mut head[got..])?;
        head.truncate(got + more);
    } else if looked < SNIFF_LINES {
        return Ok((None, looked));
    }
    let far = sample(&head, SNIFF_FAR_LINES);
    let looked = far.len();
    // Sniff from the first line that has a time, so that a long preamble
    // does not outvote the lines after it.
    let first = format::first_timed_line(&far);
    Ok(match first {
        Some(first) => (
            sniff(far[first..].iter().copied().take(SNIFF_LINES)),
            looked,
        ),
        None => (None, looked),
    })
}

/// Up to `max` lines at the start of `head`, each cut to what the parsers
/// look at.
fn sample(head: &[u8], max: usize) -> Vec<&[u8]> {
    let head = head.strip_suffix(b"\n").unwrap_or(head);
    if head.is_empty() {
        return Vec::new();
    }
    head.split(|&b| b == b'\n')
        .take(max)
        .map(|l| &l[..l.len().min(LINE_HEAD)])
        .collect()
}
