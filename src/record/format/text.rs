//! Timestamps written other than as ISO 8601: the access log's
//! `20/Dec/2024:10:00:28 +0000`, syslog's `Dec 20 10:00:32`, ctime's
//! `Fri Dec 20 10:00:46 2024`, slash dates (`2024/12/20`, `24/12/20`),
//! klog's `I1220 10:00:17.120000`, `20-Dec-2024 10:00:49.123`, and epoch
//! numbers. Each reads one shape at the start of its input, strictly, and
//! says how many bytes it took.

use super::year::YearRule;
use crate::record::timestamp::{boundary, days_from_civil, days_in_month, digits, WallTime};

/// A reading before its year is settled: syslog and klog do not write one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    pub year: Option<i64>,
    pub month: u32,
    pub day: u32,
    /// Seconds since midnight.
    pub secs: i64,
    pub nanos: u32,
    pub offset: Option<i32>,
}

impl Reading {
    /// The wall time, taking the year from `rule` when none was written.
    pub fn wall(self, rule: YearRule) -> Option<WallTime> {
        let year = match self.year {
            Some(y) => y,
            None => rule.year_of(self.month, self.day, self.secs)?,
        };
        if self.day > days_in_month(year, self.month) {
            return None;
        }
        Some(WallTime {
            secs: days_from_civil(year, self.month, self.day) * 86_400 + self.secs,
            nanos: self.nanos,
            offset: self.offset,
        })
    }
}

/// `Jan` … `Dec` in any case: the month's number.
pub fn month(b: &[u8]) -> Option<u32> {
    let m = b.get(..3)?;
    let lower = [
        m[0].to_ascii_lowercase(),
        m[1].to_ascii_lowercase(),
        m[2].to_ascii_lowercase(),
    ];
    Some(match &lower {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    })
}

/// `HH:MM:SS` with an optional `.fff`/`,fff` fraction at `at`: seconds since
/// midnight, nanoseconds and where it ends.
fn clock(b: &[u8], at: usize) -> Option<(i64, u32, usize)> {
    if b.get(at + 2) != Some(&b':') || b.get(at + 5) != Some(&b':') {
        return None;
    }
    let (h, m, s) = (
        digits(b, at, 2)?,
        digits(b, at + 3, 2)?,
        digits(b, at + 6, 2)?,
    );
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    let (nanos, end) = fraction(b, at + 8);
    Some((h as i64 * 3600 + m as i64 * 60 + s as i64, nanos, end))
}

/// An optional `.digits` or `,digits` at `at`: nanoseconds and where it ends.
fn fraction(b: &[u8], at: usize) -> (u32, usize) {
    if !matches!(b.get(at), Some(b'.' | b',')) || !b.get(at + 1).is_some_and(u8::is_ascii_digit) {
        return (0, at);
    }
    let mut i = at + 1;
    let mut nanos = 0u32;
    let mut scale = 100_000_000u32;
    while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
        nanos += (c - b'0') as u32 * scale;
        scale /= 10;
        i += 1;
    }
    (nanos, i)
}

/// An optional ` +0000` after a space at `at`: the offset and where it ends.
fn spaced_offset(b: &[u8], at: usize) -> (Option<i32>, usize) {
    if b.get(at) != Some(&b' ') {
        return (None, at);
    }
    let sign = match b.get(at + 1) {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return (None, at),
    };
    match (digits(b, at + 2, 2), digits(b, at + 4, 2)) {
        (Some(h), Some(m)) if h <= 23 && m <= 59 => {
            (Some(sign * (h as i32 * 3600 + m as i32 * 60)), at + 6)
        }
        _ => (None, at),
    }
}

fn valid(year: Option<i64>, month: u32, day: u32) -> bool {
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year.unwrap_or(2000), month)
}

fn finish(b: &[u8], reading: Reading, end: usize) -> Option<(Reading, usize)> {
    (valid(reading.year, reading.month, reading.day) && boundary(b, end)).then_some((reading, end))
}

/// The access log's time (nginx, Apache, S3, haproxy):
/// `20/Dec/2024:10:00:28 +0000`, the fraction and offset optional.
pub fn clf(b: &[u8]) -> Option<(Reading, usize)> {
    if b.get(2) != Some(&b'/') || b.get(6) != Some(&b'/') || b.get(11) != Some(&b':') {
        return None;
    }
    let day = digits(b, 0, 2)?;
    let month = month(b.get(3..6)?)?;
    let year = digits(b, 7, 4)? as i64;
    let (secs, nanos, end) = clock(b, 12)?;
    let (offset, end) = spaced_offset(b, end);
    let reading = Reading {
        year: Some(year),
        month,
        day,
        secs,
        nanos,
        offset,
    };
    finish(b, reading, end)
}

/// syslog (RFC 3164) and journalctl: `Dec 20 10:00:32`, `Dec  5 …`, with
/// `-o short-precise`'s fraction; no year.
pub fn bsd(b: &[u8]) -> Option<(Reading, usize)> {
    let month = month(b)?;
    if b.get(3) != Some(&b' ') {
        return None;
    }
    let day = match (b.get(4)?, b.get(5)?) {
        (b' ', d) if d.is_ascii_digit() => (d - b'0') as u32,
        _ => digits(b, 4, 2)?,
    };
    if b.get(6) != Some(&b' ') {
        return None;
    }
    let (secs, nanos, end) = clock(b, 7)?;
    let reading = Reading {
        year: None,
        month,
        day,
        secs,
        nanos,
        offset: None,
    };
    finish(b, reading, end)
}

/// ctime (`dmesg -T`, the Apache error log, `date`): `Fri Dec 20 10:00:46
/// 2024`, with an optional fraction and zone name before the year.
pub fn ctime(b: &[u8]) -> Option<(Reading, usize)> {
    if !b.get(..3)?.iter().all(u8::is_ascii_alphabetic) || b.get(3) != Some(&b' ') {
        return None;
    }
    let (mut reading, end) = bsd(b.get(4..)?)?;
    let mut at = 4 + end;
    if b.get(at) != Some(&b' ') {
        return None;
    }
    at += 1;
    let zone_len = b[at..]
        .iter()
        .take(5)
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    if zone_len > 0 {
        reading.offset = Some(super::zones::abbreviation(&b[at..at + zone_len])?);
        at += zone_len;
        if b.get(at) != Some(&b' ') {
            return None;
        }
        at += 1;
    }
    reading.year = Some(digits(b, at, 4)? as i64);
    finish(b, reading, at + 4)
}

/// Go's `log`, nginx's error log: `2024/12/20 10:00:29` (with an optional
/// fraction); with `short`, log4j 1's and Spark's `24/12/20 10:00:44`.
pub fn slash(b: &[u8], short: bool) -> Option<(Reading, usize)> {
    let y = if short { 2 } else { 4 };
    if b.get(y) != Some(&b'/') || b.get(y + 3) != Some(&b'/') || b.get(y + 6) != Some(&b' ') {
        return None;
    }
    let year = digits(b, 0, y)? as i64 + if short { 2000 } else { 0 };
    let month = digits(b, y + 1, 2)?;
    let day = digits(b, y + 4, 2)?;
    let (secs, nanos, end) = clock(b, y + 7)?;
    let reading = Reading {
        year: Some(year),
        month,
        day,
        secs,
        nanos,
        offset: None,
    };
    finish(b, reading, end)
}

/// klog/glog (every Kubernetes component): `I1220 10:00:17.120000`, the
/// letter being the level; no year.
pub fn klog(b: &[u8]) -> Option<(Reading, usize)> {
    if !matches!(b.first()?, b'I' | b'W' | b'E' | b'F') || b.get(5) != Some(&b' ') {
        return None;
    }
    let month = digits(b, 1, 2)?;
    let day = digits(b, 3, 2)?;
    let (secs, nanos, end) = clock(b, 6)?;
    let reading = Reading {
        year: None,
        month,
        day,
        secs,
        nanos,
        offset: None,
    };
    finish(b, reading, end)
}

/// Tomcat's `20-Dec-2024 10:00:49.123` and Redis's `20 Dec 2024
/// 10:00:48.123`.
pub fn day_month_year(b: &[u8]) -> Option<(Reading, usize)> {
    let sep = *b.get(2)?;
    if !matches!(sep, b'-' | b' ') || b.get(6) != Some(&sep) || b.get(11) != Some(&b' ') {
        return None;
    }
    let day = digits(b, 0, 2)?;
    let month = month(b.get(3..6)?)?;
    let year = digits(b, 7, 4)? as i64;
    let (secs, nanos, end) = clock(b, 12)?;
    let reading = Reading {
        year: Some(year),
        month,
        day,
        secs,
        nanos,
        offset: None,
    };
    finish(b, reading, end)
}

/// An epoch number: seconds, milliseconds, microseconds or nanoseconds,
/// told apart by the digits before any fraction (10, 13, 16, 19 for times
/// of this century; 9–11, 12–14, 15–17, 18–20 are taken), as pino, zap,
/// bunyan and journald write them.
pub fn epoch(b: &[u8]) -> Option<(WallTime, usize)> {
    let int_len = b.iter().take(21).take_while(|c| c.is_ascii_digit()).count();
    let scale: u32 = match int_len {
        9..=11 => 0,
        12..=14 => 3,
        15..=17 => 6,
        18..=20 => 9,
        _ => return None,
    };
    let mut int: u128 = 0;
    for &c in &b[..int_len] {
        int = int * 10 + (c - b'0') as u128;
    }
    let (frac, end) = fraction(b, int_len);
    if !boundary(b, end) {
        return None;
    }
    let divisor = 10u128.pow(scale);
    let secs = i64::try_from(int / divisor).ok()?;
    let below = (int % divisor) * 10u128.pow(9 - scale);
    let nanos = if scale == 0 {
        frac
    } else {
        // A fraction of a millisecond (or finer) is kept too.
        below as u32 + frac / 10u32.pow(scale)
    };
    Some((
        WallTime {
            secs,
            nanos: nanos.min(999_999_999),
            offset: Some(0),
        },
        end,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rule: YearRule, r: Option<(Reading, usize)>) -> Option<(i64, u32, Option<i32>)> {
        let (r, _) = r?;
        let w = r.wall(rule)?;
        Some((w.secs, w.nanos, w.offset))
    }

    fn secs(s: &str) -> i64 {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .expect("reference")
            .and_utc()
            .timestamp()
    }

    const Y2024: YearRule = YearRule::Nearest(1_734_688_800);

    #[test]
    fn each_shape() {
        assert_eq!(
            at(Y2024, clf(b"20/Dec/2024:10:00:28 +0100] \"GET")),
            Some((secs("2024-12-20 10:00:28"), 0, Some(3600)))
        );
        assert_eq!(
            at(Y2024, clf(b"20/Dec/2024:10:00:34.123] fe")),
            Some((secs("2024-12-20 10:00:34"), 123_000_000, None))
        );
        assert_eq!(
            at(Y2024, bsd(b"Dec 20 10:00:32 host prog[1]: x")),
            Some((secs("2024-12-20 10:00:32"), 0, None))
        );
        assert_eq!(
            at(Y2024, bsd(b"Dec  5 10:00:32.123456 host")),
            Some((secs("2024-12-05 10:00:32"), 123_456_000, None))
        );
        assert_eq!(
            at(Y2024, ctime(b"Fri Dec 20 10:00:46 2024] usb")),
            Some((secs("2024-12-20 10:00:46"), 0, None))
        );
        assert_eq!(
            at(Y2024, ctime(b"Fri Dec 20 10:00:46 CET 2024")),
            Some((secs("2024-12-20 10:00:46"), 0, Some(3600)))
        );
        assert_eq!(
            at(Y2024, slash(b"2024/12/20 10:00:29 [error] 1#0", false)),
            Some((secs("2024-12-20 10:00:29"), 0, None))
        );
        assert_eq!(
            at(Y2024, slash(b"24/12/20 10:00:44 INFO x", true)),
            Some((secs("2024-12-20 10:00:44"), 0, None))
        );
        assert_eq!(
            at(Y2024, klog(b"E1220 10:00:17.120000       1 c.go:1] x")),
            Some((secs("2024-12-20 10:00:17"), 120_000_000, None))
        );
        assert_eq!(
            at(Y2024, day_month_year(b"20-Dec-2024 10:00:49.123 INFO")),
            Some((secs("2024-12-20 10:00:49"), 123_000_000, None))
        );
        assert_eq!(
            at(Y2024, day_month_year(b"20 Dec 2024 10:00:48.123 * x")),
            Some((secs("2024-12-20 10:00:48"), 123_000_000, None))
        );
    }

    #[test]
    fn epochs_in_every_unit() {
        let t = secs("2024-12-20 10:00:00");
        for (text, nanos) in [
            ("1734688800", 0),
            ("1734688800.5", 500_000_000),
            ("1734688800123", 123_000_000),
            ("1734688800123456", 123_456_000),
            ("1734688800123456789", 123_456_789),
        ] {
            let (w, used) = epoch(text.as_bytes()).expect(text);
            assert_eq!((w.secs, w.nanos, used), (t, nanos, text.len()), "{text}");
        }
        assert_eq!(epoch(b"12345 rows"), None);
        assert_eq!(epoch(b"1734688800abc"), None);
    }

    #[test]
    fn near_misses_are_not_times() {
        assert_eq!(bsd(b"Decision 20 10:00:32"), None);
        assert_eq!(bsd(b"Dec 32 10:00:32 x"), None);
        assert_eq!(klog(b"I1320 10:00:17.1 x"), None);
        assert_eq!(klog(b"Info 10:00:17"), None);
        assert_eq!(slash(b"2024/12/20 batch", false), None);
        assert_eq!(clf(b"20/Dec/2024 10:00:28"), None);
        assert_eq!(ctime(b"The Dec 20 10:00:46 was"), None);
    }
}
