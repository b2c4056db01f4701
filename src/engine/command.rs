//! Commands from the view to the engine, and parsing of `:` jump targets.

use crate::record::timestamp::{parse_user_time, Nanos, Zone, ZoneClock};
use crate::record::Level;
use crate::search::matcher::PatternKind;

pub use super::export::{Destination, Range, Sink};
pub use super::folds::FoldOp;

/// What the view asks of the engine.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// The log pane is `height` rows tall; the timeline strip `timeline_width` wide.
    Resize {
        height: usize,
        timeline_width: usize,
    },
    /// How the view counts the rows a line takes (its width, wrapping,
    /// JSON rendering changed).
    Layout(super::Rows),
    /// Move by rows (negative = up).
    Scroll(isize),
    Start,
    End,
    Goto(Goto),
    /// Jump to the next (or previous) record at `level` or above.
    NextAtLevel {
        forward: bool,
        level: Level,
    },
    /// Jump to the next (or previous) record whose template the baseline
    /// never had.
    NextNew {
        forward: bool,
    },
    /// Hide or show source `n` (0-based).
    ToggleSource(usize),
    /// Show source `n` (0-based) if hidden and go to its first record.
    GotoSource(usize),
    /// Search for `pattern` from the screen, downward (`/`) or upward (`?`).
    Search {
        pattern: String,
        kind: PatternKind,
        forward: bool,
    },
    /// The next hit of the last search (`n`), or the one the other way
    /// (`N`); the `times`-th one (`5n`).
    SearchAgain {
        reverse: bool,
        times: usize,
    },
    /// Show only records matching (or, with `exclude`, not matching) `pattern`.
    AddFilter {
        pattern: String,
        kind: PatternKind,
        exclude: bool,
    },
    ClearFilters,
    /// Hide or show the records whose `field` is `value` (a facet of the
    /// sources panel).
    ToggleFacet {
        field: String,
        value: String,
    },
    /// All levels → INFO → WARNING → ERROR → all.
    CycleLevel,
    /// Stop a running search or scan (`Esc`).
    Cancel,
    /// Ctrl-C: stop what runs — a search, a save or pipe, following — and
    /// keep the session; with nothing running, say how to quit.
    Interrupt,
    /// Follow the sources as they grow (`F`); stop following if following.
    Follow,
    /// Show times in the next zone: UTC, local, the `--display-tz` one.
    CycleZone,
    /// Move the focus by lines (negative = up), scrolling at the edges.
    FocusBy(isize),
    /// Focus the next record's first line, or going up the first line of
    /// the focused record (of the one above if there already).
    FocusRecord {
        forward: bool,
    },
    /// Focus row `n` of the screen (a click).
    FocusRow(usize),
    /// `m` + letter: mark the focused record.
    SetMark(char),
    /// `'` + letter: go to a mark.
    GotoMark(char),
    /// `''`: back to where the last jump started.
    JumpBack,
    /// `y`: put a range on the terminal's clipboard.
    Copy(Range),
    /// `s`, `|`: write a range to a file or a command (`tags`: prefix
    /// lines with the source's tag, as `--tag` does).
    Export {
        range: Range,
        destination: Destination,
        tags: bool,
    },
    /// `v`: open the focused line's file in an editor.
    Edit,
    /// `P`: show the focused record's fields.
    Fields,
    /// `z` + key: fold or unfold `::group::` sections.
    Fold(FoldOp),
    Quit,
}

/// A jump target.
#[derive(Clone, Debug, PartialEq)]
pub enum Goto {
    /// What the user typed after `:`, parsed by the engine (it knows the
    /// zone and the time on screen).
    Text(String),
    Time(Nanos),
    /// Relative to the top line's time, in nanoseconds.
    Relative(i64),
    /// Share of the stream, 0.0–1.0.
    Fraction(f64),
    /// 1-based line number.
    Line(u64),
    Invalid(String),
}

/// Parses a `:` target: `50%`, `+5m` / `-1h` / `+30s` / `-2d`, `10:15[:30]`
/// (on the date of the top line), `2024-12-20 10:15:30` (or RFC 3339), or a
/// line number.
/// Times without an offset are read in `zone` (the one shown), through
/// `clock` (a clock of that zone).
pub fn parse_goto(text: &str, top: Option<Nanos>, clock: &mut ZoneClock, zone: &Zone) -> Goto {
    let t = text.trim();
    if t.is_empty() {
        return Goto::Invalid(
            "type a time (10:15, 2024-12-20 10:15:30), +5m / -1h, 50% or a line number".into(),
        );
    }
    if let Some(number) = t.strip_suffix('%') {
        return match number.trim().parse::<f64>() {
            Ok(p) if (0.0..=100.0).contains(&p) => Goto::Fraction(p / 100.0),
            _ => Goto::Invalid(format!("not a percentage: {t}")),
        };
    }
    if let Some(rest) = t.strip_prefix('+').or_else(|| t.strip_prefix('-')) {
        let sign = if t.starts_with('-') { -1 } else { 1 };
        return match parse_duration(rest) {
            Some(ns) => Goto::Relative(sign * ns),
            None => Goto::Invalid(format!("not a duration: {t} (try +5m, -1h, +30s, -2d)")),
        };
    }
    if t.bytes()
        .all(|b| b.is_ascii_digit() || b == b',' || b == b'_')
    {
        return match t.replace([',', '_'], "").parse::<u64>() {
            Ok(n) if n >= 1 => Goto::Line(n),
            _ => Goto::Invalid(format!("not a line number: {t}")),
        };
    }
    if let Some(clock_time) = parse_clock(t) {
        let Some(top) = top else {
            return Goto::Invalid("no date on screen: give a full date and time".into());
        };
        // Same date as the top line, as the display zone sees it.
        const DAY: i64 = 86_400_000_000_000;
        let offset = zone.offset_at(top) as i64 * 1_000_000_000;
        let day = (top + offset).div_euclid(DAY) * DAY;
        let wanted = day + clock_time;
        // The offset at the wanted time (a DST change may lie between).
        let offset = zone.offset_at(wanted - offset) as i64 * 1_000_000_000;
        return Goto::Time(wanted - offset);
    }
    match parse_user_time(t, clock) {
        Ok(ns) => Goto::Time(ns),
        Err(e) => Goto::Invalid(e),
    }
}

/// `5m`, `1h`, `30s`, `2d`, `1500ms`, `90` (seconds).
fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let value: f64 = number.parse().ok()?;
    let scale = match unit.trim() {
        "" | "s" | "sec" => 1e9,
        "ms" => 1e6,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        "d" => 86_400e9,
        _ => return None,
    };
    Some((value * scale) as i64)
}

/// `HH:MM[:SS[.fff]]` as nanoseconds after midnight.
fn parse_clock(s: &str) -> Option<i64> {
    let mut parts = s.splitn(3, ':');
    let hours: i64 = parts.next()?.parse().ok()?;
    let minutes: i64 = parts.next()?.parse().ok()?;
    let seconds: f64 = match parts.next() {
        Some(sec) => sec.parse().ok()?,
        None => 0.0,
    };
    if !(0..24).contains(&hours) || !(0..60).contains(&minutes) || !(0.0..61.0).contains(&seconds) {
        return None;
    }
    Some((hours * 3600 + minutes * 60) * 1_000_000_000 + (seconds * 1e9) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOP: Nanos = 1_734_688_800_000_000_000; // 2024-12-20T10:00:00Z

    fn goto(s: &str) -> Goto {
        parse_goto(s, Some(TOP), &mut ZoneClock::new(Zone::Utc), &Zone::Utc)
    }

    #[test]
    fn targets() {
        assert_eq!(goto("50%"), Goto::Fraction(0.5));
        assert_eq!(goto("+5m"), Goto::Relative(300_000_000_000));
        assert_eq!(goto("-1h"), Goto::Relative(-3_600_000_000_000));
        assert_eq!(goto("10:15"), Goto::Time(TOP + 900_000_000_000));
        assert_eq!(goto("09:00:30"), Goto::Time(TOP - 3_570_000_000_000));
        assert_eq!(goto("2024-12-20 10:00:01"), Goto::Time(TOP + 1_000_000_000));
        assert_eq!(goto("1,234"), Goto::Line(1234));
        assert!(matches!(goto("150%"), Goto::Invalid(_)));
        assert!(matches!(goto("+5 parsecs"), Goto::Invalid(_)));
        assert!(matches!(goto("lunch"), Goto::Invalid(_)));
        assert!(matches!(goto("0"), Goto::Invalid(_)));
    }

    #[test]
    fn times_are_read_in_the_zone_shown() {
        let berlin = Zone::parse("Europe/Berlin").expect("zone");
        let mut clock = ZoneClock::new(berlin.clone());
        let hour = 3_600_000_000_000;
        // 11:15 in Berlin (UTC+1 in December) is 10:15Z.
        assert_eq!(
            parse_goto("11:15", Some(TOP), &mut clock, &berlin),
            Goto::Time(TOP + hour / 4)
        );
        assert_eq!(
            parse_goto("2024-12-20 11:00", Some(TOP), &mut clock, &berlin),
            Goto::Time(TOP)
        );
        // Just before midnight UTC it is already the next day in Tokyo.
        let tokyo = Zone::parse("Asia/Tokyo").expect("zone");
        let late = TOP + 13 * hour + hour / 2; // 23:30Z = 08:30 next day in Tokyo
        assert_eq!(
            parse_goto(
                "09:00",
                Some(late),
                &mut ZoneClock::new(tokyo.clone()),
                &tokyo
            ),
            Goto::Time(late + hour / 2)
        );
    }
}
