//! Facets: how many records carry each `logger` and each level, counted by
//! the overview's pass as it goes (so of what it has read so far until it
//! is done). The sources panel lists them and hides or shows a value.
//!
//! Bounded: at most [`MAX_VALUES`] loggers are told apart; records of any
//! other are counted together as `other`, which the panel says.

use crate::record::fields::{self, text};
use crate::record::Level;

/// Distinct `logger` values counted one by one.
pub const MAX_VALUES: usize = 64;

/// The longest `logger` value kept; a longer one counts as `other`.
const MAX_VALUE_LEN: usize = 200;

/// Counts of `logger` values and levels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facets {
    /// `(value, records)`, in the order first seen.
    pub loggers: Vec<(String, u64)>,
    /// Records with a `logger` beyond the first 64 told apart.
    pub other_loggers: u64,
    /// Records per level, indexed by `Level as usize` (`Unknown` first).
    pub levels: [u64; 6],
    /// Records counted, and whether that is all of them (the pass is done).
    pub records: u64,
    pub complete: bool,
}

impl Facets {
    /// Counts one record: its level, and its `logger` read from the start
    /// of its bytes (`head`: its first block).
    pub fn count(&mut self, head: &[u8], level: Level) {
        self.records += 1;
        // Graded as the filter a facet's toggle makes grades it.
        self.levels[fields::level_of(head, level) as usize] += 1;
        let Some(value) = fields::value_of(head, "logger") else {
            return;
        };
        let value = text(value);
        if let Some((_, n)) = self.loggers.iter_mut().find(|(v, _)| *v == value) {
            *n += 1;
        } else if self.loggers.len() < MAX_VALUES && value.len() <= MAX_VALUE_LEN {
            self.loggers.push((value.into_owned(), 1));
        } else {
            self.other_loggers += 1;
        }
    }

    /// The levels with records, highest first, with their counts.
    pub fn levels(&self) -> Vec<(Level, u64)> {
        [
            Level::Critical,
            Level::Error,
            Level::Warning,
            Level::Info,
            Level::Debug,
            Level::Unknown,
        ]
        .into_iter()
        .map(|level| (level, self.levels[level as usize]))
        .filter(|&(_, n)| n > 0)
        .collect()
    }

    /// Loggers by count, most first.
    pub fn loggers_by_count(&self) -> Vec<(&str, u64)> {
        let mut loggers: Vec<(&str, u64)> =
            self.loggers.iter().map(|(v, n)| (v.as_str(), *n)).collect();
        loggers.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        loggers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loggers_and_levels_are_counted_within_a_bound() {
        let mut facets = Facets::default();
        for i in 0..(MAX_VALUES + 10) {
            let line = format!(r#"{{"level":"info","logger":"l{i}"}}"#);
            facets.count(line.as_bytes(), Level::Info);
        }
        facets.count(br#"{"logger":"l0"}"#, Level::Error);
        facets.count(b"plain text", Level::Unknown);
        assert_eq!(facets.loggers.len(), MAX_VALUES);
        assert_eq!(facets.other_loggers, 10);
        assert_eq!(facets.loggers_by_count()[0], ("l0", 2));
        assert_eq!(
            facets.levels(),
            [(Level::Error, 1), (Level::Info, 74), (Level::Unknown, 1)]
        );
        assert_eq!(facets.records, 76);
    }

    /// Airflow 3 writes `"level":"error"` on every `task.stderr` line; its
    /// source's level syntax reads the text instead, and so do the facet
    /// and the filter its toggle makes (`not level="WARNING"`), as
    /// `--level` does. Any other record is graded by its own field.
    #[test]
    fn a_records_level_is_graded_as_the_filters_grade_it() {
        let mut facets = Facets::default();
        let stderr = br#"{"timestamp":"2026-12-07T04:07:50Z","event":"x.py:3: UserWarning: x","level":"error","logger":"task.stderr"}"#;
        let logged =
            br#"{"timestamp":"2026-12-07T04:07:51Z","event":"x","level":"error","logger":"task"}"#;
        facets.count(stderr, Level::Warning);
        facets.count(logged, Level::Unknown);
        assert_eq!(facets.levels(), [(Level::Error, 1), (Level::Warning, 1)]);
        let filter = |f: &str| crate::search::expr::FieldFilter::parse(f).expect("parses");
        assert!(!filter("not level=warning").accepts(stderr, Level::Warning));
        assert!(filter("not level=error").accepts(stderr, Level::Warning));
        assert!(!filter("not level=error").accepts(logged, Level::Unknown));
    }
}
