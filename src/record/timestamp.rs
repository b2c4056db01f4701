//! Timestamp parsing: a hand-written fast path for the ISO shapes logs use,
//! and chrono for zones (user patterns: `format::pattern`).
//!
//! Parsing is strict and anchored: a timestamp must start where the format
//! says (line start, after `[`, or as the JSON `"timestamp"` value), carry a
//! full date *and* time, and be followed by something that is not a letter or
//! digit. `2024 was a good year`, `20241220 batch` and `12:30 lunch` are text.

use chrono::{DateTime, NaiveDateTime, Offset, TimeZone};

/// Nanoseconds since the Unix epoch, UTC: the time part of every order key.
pub type Nanos = i64;

const NANOS_PER_SEC: i64 = 1_000_000_000;

/// A wall-clock reading as written in the log, before a zone is applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WallTime {
    /// Seconds since the epoch as if the reading were UTC.
    pub secs: i64,
    /// Sub-second part.
    pub nanos: u32,
    /// The offset written in the log (seconds east of UTC), if any.
    pub offset: Option<i32>,
}

/// How the date and time may be separated and what must follow.
#[derive(Clone, Copy)]
struct Shape {
    /// Accept `YYYY-MM-DD HH:MM` without seconds (user input, not log lines).
    seconds_optional: bool,
    /// Accept a bare date (user input).
    time_optional: bool,
}

const LOG_LINE: Shape = Shape {
    seconds_optional: false,
    time_optional: false,
};

/// Remembers the last `YYYY-MM-DD?HH:MM` prefix and its value: consecutive
/// log lines almost always share it, so the calendar arithmetic runs about
/// once a minute of log instead of once a line.
#[derive(Clone, Debug, Default)]
pub struct MinuteCache {
    prefix: [u8; 16],
    minute_secs: i64,
    valid: bool,
}

/// Parses an ISO 8601 / RFC 3339 / Python-logging timestamp at the start of
/// `b`. Returns the reading and the number of bytes it took.
pub fn parse_iso_prefix(b: &[u8]) -> Option<(WallTime, usize)> {
    parse_iso_shape(b, LOG_LINE, None)
}

/// [`parse_iso_prefix`] with a [`MinuteCache`]: the hot path of every merge.
#[inline]
pub fn parse_iso_prefix_cached(b: &[u8], cache: &mut MinuteCache) -> Option<(WallTime, usize)> {
    parse_iso_shape(b, LOG_LINE, Some(cache))
}

fn parse_iso_shape(
    b: &[u8],
    shape: Shape,
    cache: Option<&mut MinuteCache>,
) -> Option<(WallTime, usize)> {
    if b.len() > 12 && b[10] == b',' && b[11] == b' ' {
        return parse_comma_separated(b, shape);
    }
    let minute_secs = match cache {
        Some(cache) if cache.valid && b.len() >= 16 && b[..16] == cache.prefix => cache.minute_secs,
        cache => {
            let (minute_secs, time_at) = parse_date_hour_minute(b, shape)?;
            if time_at < 16 {
                // A bare date (user input only).
                return Some((
                    WallTime {
                        secs: minute_secs,
                        nanos: 0,
                        offset: None,
                    },
                    time_at,
                ));
            }
            if let Some(cache) = cache {
                cache.prefix.copy_from_slice(&b[..16]);
                cache.minute_secs = minute_secs;
                cache.valid = true;
            }
            minute_secs
        }
    };
    let mut i = 16;
    let mut second = 0;
    if b.len() >= 19 && b[16] == b':' {
        second = digits(b, 17, 2)?;
        i = 19;
    } else if !shape.seconds_optional {
        return None;
    }
    // 60 admits a leap second; it lands on the next minute's first second.
    if second > 60 {
        return None;
    }
    let mut nanos = 0u32;
    if i == 19 && i + 1 < b.len() && (b[i] == b'.' || b[i] == b',') && b[i + 1].is_ascii_digit() {
        i += 1;
        let mut scale = 100_000_000u32;
        while i < b.len() && b[i].is_ascii_digit() {
            // Digits past nanoseconds are read and dropped.
            nanos += (b[i] - b'0') as u32 * scale;
            scale /= 10;
            i += 1;
        }
    }
    let mut offset = None;
    if i < b.len() {
        match b[i] {
            b'Z' | b'z' => {
                offset = Some(0);
                i += 1;
            }
            sign @ (b'+' | b'-') => {
                if let Some((secs, used)) = parse_offset(&b[i + 1..]) {
                    offset = Some(if sign == b'-' { -secs } else { secs });
                    i += 1 + used;
                }
            }
            // An offset or a zone's name after a space (gunicorn's
            // `10:00:10 +0000`, the Airflow UI's `10:00:04 UTC`).
            b' ' => {
                if let Some((secs, used)) = spaced_zone(&b[i + 1..]) {
                    offset = Some(secs);
                    i += 1 + used;
                }
            }
            _ => {}
        }
    }
    if !boundary(b, i) {
        return None;
    }
    Some((
        WallTime {
            secs: minute_secs + second as i64,
            nanos,
            offset,
        },
        i,
    ))
}

/// The Airflow UI's copied form, `2024-12-20, 10:00:04 UTC`: read as if
/// the comma were not there (rare enough to go without the minute cache).
fn parse_comma_separated(b: &[u8], shape: Shape) -> Option<(WallTime, usize)> {
    let mut joined = [0u8; 64];
    let tail = &b[11..b.len().min(11 + joined.len() - 10)];
    joined[..10].copy_from_slice(&b[..10]);
    joined[10..10 + tail.len()].copy_from_slice(tail);
    let (t, used) = parse_iso_shape(&joined[..10 + tail.len()], shape, None)?;
    (used > 10).then_some((t, used + 1))
}

/// `+0530`, `-08:00` or a zone's abbreviation (`UTC`, `CET`, `PDT`) written
/// after a space: its offset and the bytes it took. A signed offset needs
/// four digits here, so `10:00:00 -1 retries` is not read as one.
fn spaced_zone(b: &[u8]) -> Option<(i32, usize)> {
    match b.first()? {
        &sign @ (b'+' | b'-') => {
            let (secs, used) = parse_offset(&b[1..])?;
            if used < 4 || !boundary(b, 1 + used) {
                return None;
            }
            Some((if sign == b'-' { -secs } else { secs }, 1 + used))
        }
        c if c.is_ascii_uppercase() => {
            let len = b
                .iter()
                .take(6)
                .take_while(|c| c.is_ascii_uppercase())
                .count();
            if !boundary(b, len) {
                return None;
            }
            crate::record::format::zones::abbreviation(&b[..len]).map(|secs| (secs, len))
        }
        _ => None,
    }
}

/// `YYYY-MM-DD?HH:MM` (or, where the shape allows, a bare date): the seconds
/// value of that minute and where the seconds would start (16), or the length
/// of a bare date (10).
fn parse_date_hour_minute(b: &[u8], shape: Shape) -> Option<(i64, usize)> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(b, 0, 4)? as i64;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let date_secs = days_from_civil(year, month, day) * 86_400;
    let has_time = b.len() >= 16 && (b[10] == b'T' || b[10] == b' ') && b[13] == b':';
    if !has_time {
        return (shape.time_optional && boundary(b, 10)).then_some((date_secs, 10));
    }
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    if hour > 23 || minute > 59 {
        return None;
    }
    Some((date_secs + hour as i64 * 3600 + minute as i64 * 60, 16))
}

/// `HH:MM`, `HHMM` or `HH` after the sign; returns seconds and bytes used.
pub(crate) fn parse_offset(b: &[u8]) -> Option<(i32, usize)> {
    let hours = digits(b, 0, 2)? as i32;
    let (minutes, used) = if b.len() >= 5 && b[2] == b':' {
        (digits(b, 3, 2)? as i32, 5)
    } else if let Some(m) = digits(b, 2, 2) {
        (m as i32, 4)
    } else {
        (0, 2)
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some((hours * 3600 + minutes * 60, used))
}

/// A timestamp must end at the end of input or before a non-alphanumeric
/// byte: `10:00:00Zulu` is not a time.
pub(crate) fn boundary(b: &[u8], i: usize) -> bool {
    b.get(i).is_none_or(|c| !c.is_ascii_alphanumeric())
}

pub(crate) fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub(crate) fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// algorithm): exact and branch-light, which matters at millions of lines.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The zone that naive readings (no offset written) are in, or that times
/// are shown in.
#[derive(Clone, Debug, Default)]
pub enum Zone {
    #[default]
    Utc,
    /// Seconds east of UTC.
    Fixed(i32),
    Named(chrono_tz::Tz),
    Local,
}

impl Zone {
    /// Parses `UTC`, `local`, `+05:30` / `-0800`, or an IANA name like
    /// `Europe/Berlin`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("z") {
            return Ok(Zone::Utc);
        }
        if t.eq_ignore_ascii_case("local") {
            return Ok(Zone::Local);
        }
        let b = t.as_bytes();
        if let Some(&sign @ (b'+' | b'-')) = b.first() {
            if let Some((secs, used)) = parse_offset(&b[1..]) {
                if used == b.len() - 1 {
                    return Ok(Zone::Fixed(if sign == b'-' { -secs } else { secs }));
                }
            }
        }
        t.parse::<chrono_tz::Tz>().map(Zone::Named).map_err(|_| {
            format!("unknown time zone '{s}' (try UTC, local, +05:30 or a name like Europe/Berlin)")
        })
    }
}

/// Converts readings to UTC nanoseconds, remembering the last hour's offset
/// so that named zones cost a table lookup per hour, not per line.
#[derive(Clone, Debug)]
pub struct ZoneClock {
    zone: Zone,
    cached_hour: i64,
    cached_offset: i32,
}

impl ZoneClock {
    pub fn new(zone: Zone) -> Self {
        Self {
            zone,
            cached_hour: i64::MIN,
            cached_offset: 0,
        }
    }

    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// UTC nanoseconds of a reading.
    pub fn to_utc(&mut self, t: WallTime) -> Nanos {
        let offset = match t.offset {
            Some(o) => o,
            None => self.naive_offset(t.secs),
        };
        (t.secs - offset as i64)
            .saturating_mul(NANOS_PER_SEC)
            .saturating_add(t.nanos as i64)
    }

    fn naive_offset(&mut self, naive_secs: i64) -> i32 {
        match self.zone {
            Zone::Utc => 0,
            Zone::Fixed(o) => o,
            Zone::Named(_) | Zone::Local => {
                let hour = naive_secs.div_euclid(3600);
                if hour == self.cached_hour {
                    return self.cached_offset;
                }
                let at_start = self.lookup(hour * 3600);
                let at_end = self.lookup(hour * 3600 + 3599);
                if at_start == at_end {
                    self.cached_hour = hour;
                    self.cached_offset = at_start;
                    at_start
                } else {
                    // A transition inside this hour: look up exactly, no caching.
                    self.lookup(naive_secs)
                }
            }
        }
    }

    fn lookup(&self, naive_secs: i64) -> i32 {
        let Some(naive) = DateTime::from_timestamp(naive_secs, 0).map(|d| d.naive_utc()) else {
            return 0;
        };
        match &self.zone {
            Zone::Named(tz) => local_offset(tz, &naive),
            Zone::Local => local_offset(&chrono::Local, &naive),
            Zone::Utc => 0,
            Zone::Fixed(o) => *o,
        }
    }
}

/// The offset in force at a local reading; in a DST gap the reading does not
/// exist, so the offset from just before the gap is used.
fn local_offset<Z: TimeZone>(tz: &Z, naive: &NaiveDateTime) -> i32 {
    match tz.offset_from_local_datetime(naive).earliest() {
        Some(o) => o.fix().local_minus_utc(),
        None => tz.offset_from_utc_datetime(naive).fix().local_minus_utc(),
    }
}

/// A time the user typed (`--since`, `--until`, `:` jumps): RFC 3339, or
/// `YYYY-MM-DD[ HH:MM[:SS[.fff]]]` in the given zone.
pub fn parse_user_time(s: &str, clock: &mut ZoneClock) -> Result<Nanos, String> {
    let shape = Shape {
        seconds_optional: true,
        time_optional: true,
    };
    let b = s.trim().as_bytes();
    match parse_iso_shape(b, shape, None) {
        Some((t, used)) if used == b.len() => Ok(clock.to_utc(t)),
        _ => Err(format!(
            "invalid time '{s}' (expected e.g. 2024-12-20T10:15:00Z or '2024-12-20 10:15[:30[.123]]')"
        )),
    }
}

impl Zone {
    /// Seconds east of UTC in this zone at the instant `ns`.
    pub fn offset_at(&self, ns: Nanos) -> i32 {
        let Some(utc) = DateTime::from_timestamp(ns.div_euclid(NANOS_PER_SEC), 0) else {
            return 0;
        };
        let utc = utc.naive_utc();
        match self {
            Zone::Utc => 0,
            Zone::Fixed(o) => *o,
            Zone::Named(tz) => tz.offset_from_utc_datetime(&utc).fix().local_minus_utc(),
            Zone::Local => chrono::Local
                .offset_from_utc_datetime(&utc)
                .fix()
                .local_minus_utc(),
        }
    }

    /// How the zone is named on screen: `UTC`, `local`, `+05:30`, or the
    /// IANA name.
    pub fn name(&self) -> String {
        match self {
            Zone::Utc => "UTC".into(),
            Zone::Local => "local".into(),
            Zone::Fixed(o) => format_offset(*o),
            Zone::Named(tz) => tz.name().to_string(),
        }
    }

    pub fn same_as(&self, other: &Zone) -> bool {
        self.name() == other.name()
    }
}

/// `+01:00`, `-08:00`, `+05:30`.
fn format_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Formats UTC nanoseconds in `zone`: `YYYY-MM-DDTHH:MM:SS.mmmZ` for UTC,
/// else the wall time there with its offset (`2024-12-20 11:00:00.000
/// +01:00`).
pub fn format_in(ns: Nanos, zone: &Zone) -> String {
    if matches!(zone, Zone::Utc) {
        return format_utc(ns);
    }
    let offset = zone.offset_at(ns);
    let local = ns.saturating_add(offset as i64 * NANOS_PER_SEC);
    match DateTime::from_timestamp(
        local.div_euclid(NANOS_PER_SEC),
        local.rem_euclid(NANOS_PER_SEC) as u32,
    ) {
        Some(t) => format!(
            "{} {}",
            t.format("%Y-%m-%d %H:%M:%S%.3f"),
            format_offset(offset)
        ),
        None => format!("{ns}ns"),
    }
}

/// Formats UTC nanoseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn format_utc(ns: Nanos) -> String {
    match DateTime::from_timestamp(
        ns.div_euclid(NANOS_PER_SEC),
        ns.rem_euclid(NANOS_PER_SEC) as u32,
    ) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => format!("{ns}ns"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_a_zone_with_its_offset() {
        let ns = 1_734_688_800_123_000_000; // 2024-12-20T10:00:00.123Z
        assert_eq!(format_in(ns, &Zone::Utc), "2024-12-20T10:00:00.123Z");
        let berlin = Zone::parse("Europe/Berlin").expect("zone");
        assert_eq!(format_in(ns, &berlin), "2024-12-20 11:00:00.123 +01:00");
        let india = Zone::parse("+05:30").expect("zone");
        assert_eq!(format_in(ns, &india), "2024-12-20 15:30:00.123 +05:30");
        let new_york = Zone::parse("America/New_York").expect("zone");
        assert_eq!(format_in(ns, &new_york), "2024-12-20 05:00:00.123 -05:00");
        assert_eq!(berlin.name(), "Europe/Berlin");
        assert!(Zone::Utc.same_as(&Zone::parse("utc").expect("zone")));
    }

    fn utc(s: &str) -> Option<Nanos> {
        let mut clock = ZoneClock::new(Zone::Utc);
        parse_iso_prefix(s.as_bytes()).map(|(t, _)| clock.to_utc(t))
    }

    fn reference(rfc3339: &str) -> Nanos {
        DateTime::parse_from_rfc3339(rfc3339)
            .expect("valid reference")
            .timestamp_nanos_opt()
            .expect("in range")
    }

    #[test]
    fn iso_shapes_agree_with_chrono() {
        assert_eq!(
            utc("2024-12-20T10:00:00Z"),
            Some(reference("2024-12-20T10:00:00Z"))
        );
        assert_eq!(
            utc("2024-12-20T10:00:00.123456789+05:30 x"),
            Some(reference("2024-12-20T10:00:00.123456789+05:30"))
        );
        assert_eq!(
            utc("2024-12-20 10:00:00,123 INFO"),
            Some(reference("2024-12-20T10:00:00.123Z"))
        );
        assert_eq!(
            utc("2024-12-20T10:00:00.123+0530"),
            Some(reference("2024-12-20T10:00:00.123+05:30"))
        );
        assert_eq!(
            utc("2024-12-20T10:00:00-0800]"),
            Some(reference("2024-12-20T10:00:00-08:00"))
        );
        assert_eq!(
            utc("2000-02-29T23:59:59Z"),
            Some(reference("2000-02-29T23:59:59Z"))
        );
        assert_eq!(
            utc("1969-12-31T23:59:59Z"),
            Some(reference("1969-12-31T23:59:59Z"))
        );
    }

    #[test]
    fn text_that_looks_like_time_is_not_a_timestamp() {
        for s in [
            "2024 was a good year",
            "20241220 batch",
            "12:30 lunch",
            "2024-12-20 batch",
            "2024-12-20T10:00 no seconds",
            "2024-13-01 10:00:00 month 13",
            "2023-02-29 10:00:00 not a leap year",
            "2024-12-20 24:00:00 hour 24",
            "2024-12-20T10:00:00Zulu",
            "2024-12-20 10:00:001",
            "x2024-12-20 10:00:00",
            "",
        ] {
            assert_eq!(utc(s), None, "{s:?} must not parse");
        }
    }

    #[test]
    fn the_minute_cache_never_changes_a_result() {
        let mut cache = MinuteCache::default();
        for s in [
            "2024-12-20T10:00:00.123Z",
            "2024-12-20T10:00:59.999+0100",
            "2024-12-20T10:00:61Z",
            "2024-12-20T10:00xx",
            "2024-12-20T10:01:00,5 x",
            "2024-12-20T10:00:07",
            "2024-12-20T10:00",
        ] {
            assert_eq!(
                parse_iso_prefix_cached(s.as_bytes(), &mut cache),
                parse_iso_prefix(s.as_bytes()),
                "{s}"
            );
        }
    }

    #[test]
    fn fraction_digits_beyond_nanos_are_dropped() {
        assert_eq!(
            utc("2024-01-01T00:00:00.1234567891234Z"),
            Some(reference("2024-01-01T00:00:00.123456789Z"))
        );
    }

    #[test]
    fn named_zone_applies_to_naive_readings_only() {
        let mut berlin = ZoneClock::new(Zone::parse("Europe/Berlin").expect("known zone"));
        let (naive, _) = parse_iso_prefix(b"2024-07-01 12:00:00,000").expect("parses");
        assert_eq!(berlin.to_utc(naive), reference("2024-07-01T10:00:00Z"));
        let (winter, _) = parse_iso_prefix(b"2024-01-01 12:00:00").expect("parses");
        assert_eq!(berlin.to_utc(winter), reference("2024-01-01T11:00:00Z"));
        let (aware, _) = parse_iso_prefix(b"2024-07-01T12:00:00Z").expect("parses");
        assert_eq!(berlin.to_utc(aware), reference("2024-07-01T12:00:00Z"));
    }

    #[test]
    fn zone_names_and_offsets() {
        assert!(matches!(Zone::parse("UTC"), Ok(Zone::Utc)));
        assert!(matches!(Zone::parse("+05:30"), Ok(Zone::Fixed(19800))));
        assert!(matches!(Zone::parse("-0800"), Ok(Zone::Fixed(-28800))));
        assert!(Zone::parse("Mars/Olympus").is_err());
    }

    #[test]
    fn user_times() {
        let mut clock = ZoneClock::new(Zone::Utc);
        assert_eq!(
            parse_user_time("2024-12-20 10:15", &mut clock),
            Ok(reference("2024-12-20T10:15:00Z"))
        );
        assert_eq!(
            parse_user_time("2024-12-20T10:20:00Z", &mut clock),
            Ok(reference("2024-12-20T10:20:00Z"))
        );
        assert_eq!(
            parse_user_time("2024-12-20", &mut clock),
            Ok(reference("2024-12-20T00:00:00Z"))
        );
        assert!(parse_user_time("yesterday", &mut clock).is_err());
        assert!(parse_user_time("2024-12-20 10:15 trailing", &mut clock).is_err());
    }
}
