//! A user's strftime pattern (`--ts-format`, a `[[format]]` entry),
//! checked once and compiled: chrono's items for reading, a regex for
//! finding the time mid-line, `%s` read as an epoch in whatever unit its
//! digits say. A pattern that cannot read a full date and time is refused
//! with a message that names it, never turned into a source without times.

use std::fmt;

use chrono::format::{parse_and_remainder, Fixed, Item, Numeric, Parsed, StrftimeItems};
use regex::bytes::Regex;

use super::text::{epoch, Reading};
use super::year::YearRule;
use crate::record::timestamp::{boundary, WallTime};

/// A compiled pattern.
pub struct Pattern {
    text: String,
    items: Vec<Item<'static>>,
    /// Finds where the time may start when it is not at the line's start.
    locate: Option<Regex>,
    /// `%s`: an epoch number, unit told by its digits.
    epoch: bool,
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.text)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Pattern {}

/// How much of a line a pattern is looked for in.
const HEAD: usize = 640;

impl Pattern {
    /// Checks and compiles `text`; the error says what is wrong with it.
    pub fn new(text: &str) -> Result<Pattern, String> {
        let shown = format!("'{text}'");
        if text.trim().is_empty() {
            return Err(format!(
                "timestamp format {shown} is empty: give a strftime pattern such as '%d/%m/%Y %H:%M:%S'"
            ));
        }
        if matches!(text.trim(), "%s" | "%s%.f") {
            return Ok(Pattern {
                text: text.to_string(),
                items: Vec::new(),
                locate: None,
                epoch: true,
            });
        }
        let items = StrftimeItems::new(text)
            .parse_to_owned()
            .map_err(|_| format!("timestamp format {shown} is not a valid strftime pattern (see `man strftime`; %% is a literal %)"))?;
        if !items
            .iter()
            .any(|i| matches!(i, Item::Numeric(..) | Item::Fixed(_)))
        {
            return Err(format!(
                "timestamp format {shown} has no date or time fields (%Y, %m, %d, %H, …)"
            ));
        }
        let pattern = Pattern {
            text: text.to_string(),
            locate: locator(&items),
            items,
            epoch: false,
        };
        // A pattern must read back a full date and time it wrote.
        let probe = chrono::DateTime::parse_from_rfc3339("2024-12-20T10:00:29.123456789+00:00")
            .map_err(|e| e.to_string())?;
        let written = probe.format_with_items(pattern.items.iter()).to_string();
        if pattern
            .read_at(written.as_bytes(), YearRule::NotAfter(probe.timestamp()))
            .is_none()
        {
            return Err(format!(
                "timestamp format {shown} does not give a full date and time: it needs a day, a month, hours and minutes (%Y is optional)"
            ));
        }
        Ok(pattern)
    }

    /// The pattern as the user wrote it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the pattern writes no year (then it comes from the evidence).
    pub fn is_yearless(&self) -> bool {
        !self.epoch
            && !self.items.iter().any(|i| {
                matches!(
                    i,
                    Item::Numeric(Numeric::Year | Numeric::YearMod100 | Numeric::Timestamp, _)
                )
            })
    }

    /// The time in `line`: at its start, else where the pattern first fits in
    /// its first 640 bytes.
    pub fn parse(&self, line: &[u8], year: YearRule) -> Option<WallTime> {
        let head = &line[..line.len().min(HEAD)];
        if let Some(t) = self.read_at(head, year) {
            return Some(t);
        }
        let found = self.locate.as_ref()?.find(head)?;
        (found.start() > 0)
            .then(|| self.read_at(&head[found.start()..], year))
            .flatten()
    }

    fn read_at(&self, b: &[u8], year: YearRule) -> Option<WallTime> {
        if self.epoch {
            return epoch(b).map(|(t, _)| t);
        }
        let text = match std::str::from_utf8(b) {
            Ok(t) => t,
            Err(e) => std::str::from_utf8(&b[..e.valid_up_to()]).ok()?,
        };
        let mut parsed = Parsed::new();
        let rest = parse_and_remainder(&mut parsed, text, self.items.iter()).ok()?;
        if !boundary(rest.as_bytes(), 0) {
            return None;
        }
        if parsed.timestamp().is_none()
            && parsed.year().is_none()
            && parsed.year_mod_100().is_none()
        {
            let (month, day) = (parsed.month()?, parsed.day()?);
            let secs = parsed
                .hour_div_12()
                .zip(parsed.hour_mod_12())
                .map_or(0, |(d, m)| (d * 12 + m) as i64 * 3600)
                + parsed.minute().unwrap_or(0) as i64 * 60;
            let reading = Reading {
                year: None,
                month,
                day,
                secs,
                nanos: 0,
                offset: None,
            };
            parsed
                .set_year(year.year_of(reading.month, reading.day, reading.secs)?)
                .ok()?;
        }
        let offset = parsed.offset();
        let naive = parsed
            .to_naive_datetime_with_offset(offset.unwrap_or(0))
            .ok()?;
        let naive = naive.and_utc();
        Some(WallTime {
            secs: naive.timestamp(),
            nanos: naive.timestamp_subsec_nanos(),
            offset: offset.or(parsed.timestamp().map(|_| 0)),
        })
    }
}

/// A regex that finds where the pattern's text may start in a line.
fn locator(items: &[Item<'static>]) -> Option<Regex> {
    let mut re = String::new();
    for item in items {
        let piece = match item {
            Item::Literal(s) => regex::escape(s),
            Item::OwnedLiteral(s) => regex::escape(s),
            Item::Space(_) | Item::OwnedSpace(_) => r"\s*".into(),
            Item::Numeric(Numeric::Year, _) => r"[+-]?\d{4}".into(),
            Item::Numeric(Numeric::YearMod100, _) => r"\d{2}".into(),
            Item::Numeric(Numeric::Nanosecond | Numeric::Timestamp, _) => r"\d+".into(),
            Item::Numeric(_, chrono::format::Pad::Space) => r" ?\d{1,2}".into(),
            Item::Numeric(_, _) => r"\d{1,3}".into(),
            Item::Fixed(Fixed::ShortMonthName | Fixed::ShortWeekdayName) => "[A-Za-z]{3}".into(),
            Item::Fixed(Fixed::LongMonthName | Fixed::LongWeekdayName) => "[A-Za-z]+".into(),
            Item::Fixed(Fixed::LowerAmPm | Fixed::UpperAmPm) => "[AaPp][Mm]".into(),
            Item::Fixed(Fixed::Nanosecond) => r"(?:[.,]\d+)?".into(),
            Item::Fixed(Fixed::Nanosecond3 | Fixed::Nanosecond6 | Fixed::Nanosecond9) => {
                r"[.,]\d+".into()
            }
            Item::Fixed(Fixed::TimezoneName) => r"\S+".into(),
            Item::Fixed(
                Fixed::TimezoneOffset
                | Fixed::TimezoneOffsetColon
                | Fixed::TimezoneOffsetZ
                | Fixed::TimezoneOffsetColonZ
                | Fixed::TimezoneOffsetDoubleColon
                | Fixed::TimezoneOffsetTripleColon,
            ) => r"(?:Z|[+-]\d{2}(?::?\d{2})?)".into(),
            // RFC 2822/3339 and chrono's internal items: anchored only.
            _ => return None,
        };
        re.push_str(&piece);
    }
    Regex::new(&re).ok()
}

/// Shapes of times the sniffer does not read by itself, as strftime
/// patterns: what a tip can offer for a line (`example_for`). Those with
/// an AM/PM come first: without it, a pattern reads `2:32:15 PM` as the
/// night's 02:32.
const EXAMPLES: &[&str] = &[
    // Python's documented `datefmt='%m/%d/%Y %I:%M:%S %p'`.
    "%m/%d/%Y %I:%M:%S %p",
    // java.util.logging's SimpleFormatter.
    "%b %d, %Y %I:%M:%S %p",
    "%d/%m/%Y %H:%M:%S%.f",
    "%m/%d/%Y %H:%M:%S%.f",
    "%d/%m/%y %H:%M:%S%.f",
    "%Y/%m/%d %H:%M:%S%.f",
    "%d.%m.%Y %H:%M:%S%.f",
    "%d-%m-%Y %H:%M:%S%.f",
    "%d-%b-%Y %H:%M:%S%.f",
    "%d/%b/%Y:%H:%M:%S %z",
    // Python's http.server and Werkzeug: `[08/Dec/2026 03:28:42]`.
    "%d/%b/%Y %H:%M:%S",
    "%b %d, %Y %H:%M:%S%.f",
    // apt's history.log: `Start-Date: 2025-06-24  14:36:25`.
    "%Y-%m-%d  %H:%M:%S",
    "%Y-%m-%d %H.%M.%S",
    "%Y%m%d %H%M%S",
    "%Y%m%d%H%M%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
];

/// A strftime pattern that reads a time in `line`, to show in a tip: the
/// first of a few common shapes that does. `None` when none does.
pub fn example_for(line: &[u8]) -> Option<&'static str> {
    example_for_lines(line, &[])
}

/// [`example_for`] `first`, choosing among the shapes that read it the one
/// that reads the most of `others` (the lines after it): `12/08/2026`
/// reads as day first and as month first, and a `12/13/2026` further on
/// tells which.
pub fn example_for_lines(first: &[u8], others: &[&[u8]]) -> Option<&'static str> {
    let mut best: Option<(&'static str, usize)> = None;
    for &text in EXAMPLES {
        let Ok(pattern) = Pattern::new(text) else {
            continue;
        };
        if pattern.parse(first, YearRule::default()).is_none() {
            continue;
        }
        let reads = others
            .iter()
            .filter(|line| pattern.parse(line, YearRule::default()).is_some())
            .count();
        if best.is_none_or(|(_, most)| reads > most) {
            best = Some((text, reads));
        }
    }
    best.map(|(text, _)| text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_734_688_800;
    const Y2024: YearRule = YearRule::Nearest(T);

    fn read(pattern: &str, line: &str) -> Option<(i64, u32, Option<i32>)> {
        let t = Pattern::new(pattern)
            .expect(pattern)
            .parse(line.as_bytes(), Y2024)?;
        Some((t.secs, t.nanos, t.offset))
    }

    #[test]
    fn at_the_start_and_mid_line() {
        assert_eq!(
            read("%d/%m/%Y %H:%M:%S", "20/12/2024 10:00:00 x"),
            Some((T, 0, None))
        );
        assert_eq!(
            read(
                "%d/%b/%Y:%H:%M:%S %z",
                r#"1.2.3.4 - - [20/Dec/2024:11:00:00 +0100] "GET /""#
            ),
            Some((T + 3600, 0, Some(3600)))
        );
        assert_eq!(
            read("%b %d %H:%M:%S", "Dec 20 10:00:00 host x"),
            Some((T, 0, None))
        );
        assert_eq!(read("%d/%m/%Y %H:%M:%S", "  File \"x.py\", line 3"), None);
    }

    #[test]
    fn epochs_in_any_unit() {
        for line in ["1734688800 x", "1734688800000 x", "1734688800000000000 x"] {
            assert_eq!(read("%s", line), Some((T, 0, Some(0))), "{line}");
        }
    }

    #[test]
    fn bad_patterns_are_named() {
        for bad in ["", "  ", "no fields", "%Q", "%H:%M:%S"] {
            let e = Pattern::new(bad).expect_err(bad);
            assert!(e.contains(&format!("'{bad}'")), "{e}");
        }
    }

    #[test]
    fn an_example_pattern_reads_the_line_it_is_offered_for() {
        let example = |line: &str| example_for(line.as_bytes());
        assert_eq!(
            example("20/12/2024 10:00:01 INFO start"),
            Some("%d/%m/%Y %H:%M:%S%.f")
        );
        assert_eq!(
            example("12/20/2024 10:00:01.250 INFO start"),
            Some("%m/%d/%Y %H:%M:%S%.f")
        );
        assert_eq!(
            example("app: 20.12.2024 10:00:01 start"),
            Some("%d.%m.%Y %H:%M:%S%.f")
        );
        assert_eq!(example("20241220 100001 start"), Some("%Y%m%d %H%M%S"));
        assert_eq!(example("no time here"), None);
        // Lines real programs wrote (a new user's trial).
        assert_eq!(
            example("12/08/2026 03:28:02 AM DEBUG starting up"),
            Some("%m/%d/%Y %I:%M:%S %p")
        );
        assert_eq!(
            example("Dec 08, 2026 2:32:15 PM Main main"),
            Some("%b %d, %Y %I:%M:%S %p")
        );
        assert_eq!(
            example(r#"127.0.0.1 - - [08/Dec/2026 03:28:42] "GET / HTTP/1.1" 200 -"#),
            Some("%d/%b/%Y %H:%M:%S")
        );
        assert_eq!(
            example("Start-Date: 2025-06-24  14:36:25"),
            Some("%Y-%m-%d  %H:%M:%S")
        );
        // A day past the 12th further on tells day from month.
        assert_eq!(
            example_for_lines(b"12/08/2026 03:28:02 x", &[b"12/13/2026 03:28:02 y"]),
            Some("%m/%d/%Y %H:%M:%S%.f")
        );
        assert_eq!(
            example_for_lines(b"12/08/2026 03:28:02 x", &[b"13/08/2026 03:28:02 y"]),
            Some("%d/%m/%Y %H:%M:%S%.f")
        );
    }
}
