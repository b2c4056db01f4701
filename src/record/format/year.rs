//! The year of a timestamp that does not write one (syslog, journalctl,
//! klog), from the best evidence there is: the other sources' times, the
//! file's modification time, or today.

use crate::record::timestamp::days_from_civil;

/// How a year-less date gets its year; judged per line, so a log that runs
/// over New Year gets both years.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YearRule {
    /// The year that puts the date nearest to this time (seconds since the
    /// epoch, wall clock): the other sources' times, which may come before
    /// or after it.
    Nearest(i64),
    /// The latest year that does not put the date more than a day after this
    /// time: a file is written before its modification time, and nothing is
    /// logged in the future.
    NotAfter(i64),
}

/// Where the year came from, for the sources listing and stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YearEvidence {
    OtherSources,
    Modified,
    Today,
}

impl YearEvidence {
    pub fn describe(self) -> &'static str {
        match self {
            YearEvidence::OtherSources => "the other sources' times",
            YearEvidence::Modified => "the file's modification time",
            YearEvidence::Today => "today's date",
        }
    }
}

/// The year the other evidence leaves nearest, with its reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct YearGuess {
    pub rule: YearRule,
    pub evidence: YearEvidence,
}

impl YearGuess {
    /// Today's date: the evidence when nothing better is known.
    pub fn today() -> Self {
        Self {
            rule: YearRule::NotAfter(chrono::Utc::now().timestamp()),
            evidence: YearEvidence::Today,
        }
    }

    /// The year an instant of this rule's reference falls in (what is shown).
    pub fn year(&self) -> i64 {
        let secs = match self.rule {
            YearRule::Nearest(s) | YearRule::NotAfter(s) => s,
        };
        year_of_secs(secs)
    }
}

impl Default for YearRule {
    fn default() -> Self {
        YearGuess::today().rule
    }
}

const DAY: i64 = 86_400;

fn year_of_secs(secs: i64) -> i64 {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| chrono::Datelike::year(&t) as i64)
        .unwrap_or(1970)
}

impl YearRule {
    /// The year for `month`/`day` at `secs` past midnight; `None` for a date
    /// no candidate year has (February 29 far from a leap year).
    pub fn year_of(self, month: u32, day: u32, secs: i64) -> Option<i64> {
        let reference = match self {
            YearRule::Nearest(s) | YearRule::NotAfter(s) => s,
        };
        let base = year_of_secs(reference);
        let at = |y: i64| {
            (day <= crate::record::timestamp::days_in_month(y, month))
                .then(|| days_from_civil(y, month, day) * DAY + secs)
        };
        let candidates = [base - 1, base, base + 1];
        match self {
            YearRule::Nearest(r) => candidates
                .into_iter()
                .filter_map(|y| Some((y, at(y)?)))
                .min_by_key(|&(_, t)| (t - r).abs())
                .map(|(y, _)| y),
            YearRule::NotAfter(r) => candidates
                .into_iter()
                .rev()
                .filter_map(|y| Some((y, at(y)?)))
                .find(|&(_, t)| t <= r + DAY)
                .map(|(y, _)| y),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> i64 {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .expect("reference")
            .and_utc()
            .timestamp()
    }

    #[test]
    fn new_year_rolls_over_both_ways() {
        // Written up to 2 January 2025: December is 2024, January 2025.
        let modified = YearRule::NotAfter(secs("2025-01-02 08:00:00"));
        assert_eq!(modified.year_of(12, 31, 0), Some(2024));
        assert_eq!(modified.year_of(1, 1, 0), Some(2025));
        assert_eq!(modified.year_of(1, 3, 0), Some(2025), "a day's slack");
        assert_eq!(modified.year_of(1, 5, 0), Some(2024));
        // Other sources on 30 December 2024: January is the next year.
        let others = YearRule::Nearest(secs("2024-12-30 10:00:00"));
        assert_eq!(others.year_of(1, 1, 0), Some(2025));
        assert_eq!(others.year_of(12, 20, 0), Some(2024));
        assert_eq!(others.year_of(7, 1, 0), Some(2024));
        // February 29 only in a leap year near the reference.
        assert_eq!(others.year_of(2, 29, 0), Some(2024));
        assert_eq!(
            YearRule::Nearest(secs("2022-06-01 00:00:00")).year_of(2, 29, 0),
            None
        );
    }
}
