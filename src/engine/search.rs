//! The engine's search and filter commands: `/`, `?`, `n`, `N`, `&`, `L`.
//!
//! A search runs as the engine's job over a fork of the merge
//! ([`super::job`]), so the engine keeps publishing progress and hears `Esc`
//! (or any new command, which wins) while it scans.

use std::io;
use std::sync::Arc;

use super::job::{JobKind, SearchOutcome};
use super::{group, Engine};
use crate::merge::MergedRecord;
use crate::overview::Wake;
use crate::record::Level;
use crate::search::count::HitCount;
use crate::search::expr::FieldFilter;
use crate::search::filter::RecordFilter;
use crate::search::matcher::{Matcher, PatternKind};
use crate::search::{From, Hit, Position};

/// The search in force.
pub struct ActiveSearch {
    pub matcher: Arc<Matcher>,
    pub forward: bool,
    /// Started once the first hit is found, so it does not slow the search.
    pub count: Option<HitCount>,
    pub last_hit: Option<Hit>,
    /// Hits still to pass after the one being looked for (`5n` passes 4).
    pub repeats: usize,
}

impl Engine {
    /// `/` and `?`: a new search, started as the engine's job (see
    /// [`super::job`]); its hits are counted once it has found the first.
    pub(super) fn search(&mut self, pattern: &str, kind: PatternKind, forward: bool) {
        let matcher = match Matcher::new(pattern, kind) {
            Ok(m) => Arc::new(self.matching_as_drawn(m)),
            Err(e) => {
                self.message = Some(e);
                return;
            }
        };
        // Latest wins: the old count stops when its handle drops.
        self.search = Some(ActiveSearch {
            matcher: matcher.clone(),
            forward,
            count: None,
            last_hit: None,
            repeats: 0,
        });
        self.start_job(JobKind::Search { forward, matcher }, false);
    }

    /// `n` and `N`: the last search again, the same way or the other.
    pub(super) fn search_again(&mut self, reverse: bool, times: usize) {
        let Some(search) = &mut self.search else {
            self.message = Some("no previous search (type / or ?)".into());
            return;
        };
        search.repeats = times.saturating_sub(1);
        let forward = search.forward != reverse;
        let matcher = search.matcher.clone();
        self.start_job(JobKind::Search { forward, matcher }, false);
    }

    /// Shows what a search job that went `forward` (or up) found; with
    /// repeats left (`5n`), looks for the next one from there.
    pub(super) fn show_search(&mut self, found: SearchOutcome, forward: bool) -> io::Result<()> {
        let Some(search) = &self.search else {
            return Ok(());
        };
        let text = search.matcher.shown().into_owned();
        match found {
            SearchOutcome::Cancelled => self.message = Some("search cancelled".into()),
            SearchOutcome::NotFound => {
                // A search looks among the records the filters show: a
                // miss there is not a miss in the log.
                let mut hiding = self.filter_summary();
                let hidden = self.sources.iter().filter(|s| !s.enabled).count();
                if hidden > 0 {
                    let sources = if hidden == 1 { "source" } else { "sources" };
                    hiding.push(format!("{hidden} {sources} hidden"));
                }
                let among = if hiding.is_empty() {
                    String::new()
                } else {
                    format!(" in the records shown ({})", hiding.join(" "))
                };
                // A regex's operators read as such: `(most recent …)` is a
                // group, not the parentheses on screen.
                let operators = |c| "\\^$*+?()[]{}|".contains(c);
                let hint = if search.matcher.kind() == PatternKind::Regex
                    && search.matcher.text().contains(operators)
                {
                    "; Ctrl-r in the prompt searches the text as typed"
                } else {
                    ""
                };
                // Not found in what was matched: said with the miss.
                self.message = Some(match search.matcher.cut_lines_note() {
                    Some(note) => format!("pattern not found: {text}{among} ({note}){hint}"),
                    None => format!("pattern not found: {text}{among}{hint}"),
                });
            }
            SearchOutcome::Found { hit, wrapped } => {
                if wrapped {
                    self.message = Some(if forward {
                        "search hit BOTTOM, continuing at TOP".into()
                    } else {
                        "search hit TOP, continuing at BOTTOM".into()
                    });
                }
                self.remember_jump();
                self.reveal(hit.source, hit.line_start);
                self.show_hit(&hit)?;
                if let Some(search) = &mut self.search {
                    search.last_hit = Some(hit);
                    if search.repeats > 0 {
                        search.repeats -= 1;
                        let matcher = search.matcher.clone();
                        self.start_job(JobKind::Search { forward, matcher }, false);
                    }
                }
            }
        }
        let wake = self.progress_wake();
        let unfolded = self.unfolded_fork();
        if let Some(search) = self.search.as_mut().filter(|s| s.count.is_none()) {
            search.count = start_hit_count(&unfolded, search.matcher.clone(), wake);
        }
        Ok(())
    }

    /// Where a search starts: the last hit while it is on screen, else the
    /// top line going down and the bottom line going up, as in less (`G`
    /// then `?` finds the hits on the last screen).
    pub(super) fn search_start(&self, forward: bool) -> From {
        let visible = |hit: &Hit| {
            self.window.visible().any(|l| {
                l.record.source == hit.source
                    && l.record.record.start == hit.record_start
                    && l.start == hit.line_start
            })
        };
        if let Some(hit) = self
            .search
            .as_ref()
            .and_then(|s| s.last_hit.as_ref())
            .filter(|h| visible(h))
        {
            return From::Line(hit.position());
        }
        let index = match forward {
            true => 0,
            false => self.window.visible().count().saturating_sub(1),
        };
        match (
            self.window.cursor_at_row(index),
            self.window.visible().nth(index),
        ) {
            (Some(cursor), Some(line)) => From::Line(Position {
                cursor,
                source: line.record.source,
                record_start: line.record.record.start,
                line_start: line.start,
            }),
            _ => From::Edge,
        }
    }

    /// Puts the hit line a third of the way down the screen.
    fn show_hit(&mut self, hit: &Hit) -> io::Result<()> {
        let record = self
            .window
            .merge_mut()
            .record_containing(hit.source, hit.line_start)?;
        match record {
            Some(record) => {
                let record = MergedRecord {
                    source: hit.source,
                    record,
                };
                self.window
                    .jump_inside(&hit.cursor, record, hit.line_start)?;
            }
            None => self.window.jump_to_cursor(&hit.cursor)?,
        }
        // The hit is on the top row, unless the end of the stream held it lower.
        let row = self
            .window
            .visible()
            .position(|l| l.record.source == hit.source && l.start == hit.line_start)
            .and_then(|n| self.window.row_of_shown(n))
            .unwrap_or(0);
        let third = self.height / 3;
        if row < third {
            self.window.scroll(row as isize - third as isize)?;
        }
        Ok(())
    }

    pub(super) fn add_filter(
        &mut self,
        pattern: &str,
        kind: PatternKind,
        exclude: bool,
    ) -> io::Result<()> {
        if kind == PatternKind::Regex && FieldFilter::looks_like(pattern) {
            // `&logger=task.stdout`: a filter on fields (`&!…` negates it).
            let text = if exclude {
                format!("not ({pattern})")
            } else {
                pattern.to_string()
            };
            match FieldFilter::parse(&text) {
                Ok(filter) => self.filter.fields.push(filter),
                Err(problem) => {
                    self.message = Some(problem.one_line());
                    return Ok(());
                }
            }
            return self.apply_filter();
        }
        let matcher = match Matcher::new(pattern, kind) {
            Ok(m) => self.matching_as_drawn(m),
            Err(e) => {
                self.message = Some(e);
                return Ok(());
            }
        };
        if exclude {
            self.filter.excludes.push(matcher);
        } else {
            self.filter.includes.push(matcher);
        }
        self.apply_filter()
    }

    /// Hides the records whose `field` is `value`, or shows them again.
    pub(super) fn toggle_facet(&mut self, field: String, value: String) -> io::Result<()> {
        let quoted = value.replace('\\', "\\\\").replace('"', "\\\"");
        let text = format!("not {field}=\"{quoted}\"");
        if let Some(i) = self
            .hidden_facets
            .iter()
            .position(|h| h.0 == field && h.1 == value)
        {
            self.hidden_facets.remove(i);
            self.filter.fields.retain(|f| f.to_string() != text);
            self.message = Some(format!("showing {field}={value}"));
        } else {
            match FieldFilter::parse(&text) {
                Ok(filter) => self.filter.fields.push(filter),
                Err(problem) => {
                    self.message = Some(problem.one_line());
                    return Ok(());
                }
            }
            self.hidden_facets.push((field.clone(), value.clone()));
            self.message = Some(format!("hiding {field}={value}"));
        }
        self.apply_filter()
    }

    pub(super) fn clear_filters(&mut self) -> io::Result<()> {
        self.hidden_facets.clear();
        let level = self.filter.min_level;
        self.filter = RecordFilter {
            min_level: level,
            ..RecordFilter::default()
        };
        self.message = Some("filters cleared".into());
        self.apply_filter()
    }

    pub(super) fn cycle_level(&mut self) -> io::Result<()> {
        self.filter.min_level = match self.filter.min_level {
            None => Some(Level::Info),
            Some(Level::Info) => Some(Level::Warning),
            Some(Level::Warning) => Some(Level::Error),
            _ => None,
        };
        self.message = Some(match self.filter.min_level {
            Some(level) => format!("showing {} and above", level.name()),
            None => "showing all levels".into(),
        });
        self.apply_filter()
    }

    /// Re-forms the merge under the current filter, keeping the place by time.
    fn apply_filter(&mut self) -> io::Result<()> {
        let top = self
            .window
            .visible()
            .next()
            .and_then(|l| l.record.record.ts);
        self.apply_shown();
        self.recount_shown();
        let wake = self.progress_wake();
        let unfolded = self.unfolded_fork();
        if let Some(search) = &mut self.search {
            // Hits are counted in what is shown (folded groups included).
            search.count = start_hit_count(&unfolded, search.matcher.clone(), wake);
            search.last_hit = None;
        }
        match top {
            Some(t) => self.window.jump_time(t)?,
            None => self.window.jump_start()?,
        }
        if self.window.visible().next().is_none() {
            // Nothing matches at or after this time: show the end instead.
            self.window.jump_end()?;
        }
        if self.window.visible().next().is_none() && !self.filter.is_empty() {
            // A blank screen says why (a stale message would say otherwise).
            self.message = Some("no record matches the filters".into());
        }
        Ok(())
    }

    /// The filters as the status bar shows them (`&alpha|one &!delta
    /// ≥WARNING`): a record shown matches one of the `&` patterns (joined
    /// by `|`, as lnav's "in" filters), none of the `&!` ones, and every
    /// field filter.
    pub(super) fn filter_summary(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if !self.filter.includes.is_empty() {
            let any: Vec<_> = self.filter.includes.iter().map(|m| m.shown()).collect();
            out.push(format!("&{}", any.join("|")));
        }
        out.extend(
            self.filter
                .excludes
                .iter()
                .map(|m| format!("&!{}", m.shown())),
        );
        out.extend(self.filter.fields.iter().map(|f| format!("&{f}")));
        if let Some(level) = self.filter.min_level {
            out.push(format!("≥{}", level.name()));
        }
        if let Some(note) = self.filter.cut_lines_note() {
            out.push(format!("({note})"));
        }
        out
    }

    /// `hit N of M` (or progress) for the status bar.
    pub(super) fn search_summary(&self) -> Option<String> {
        let search = self.search.as_ref()?;
        // As typed: `/` searches down, `?` up.
        let text = format!(
            "{}{}",
            if search.forward { '/' } else { '?' },
            search.matcher.shown()
        );
        if let Some(note) = search.matcher.cut_lines_note() {
            // Never a silent miss: the hits beyond the cap are not known.
            return Some(format!("{text} ({note})"));
        }
        let Some(count) = search.count.as_ref() else {
            // Not counted (big remote sources): the pattern in force.
            return Some(text);
        };
        Some(match (count.total(), &search.last_hit) {
            (Some(0), _) => format!("{text}: no hits"),
            (Some(1), None) => format!("{text}: 1 hit"),
            (Some(total), Some(hit)) => match count.index_of(hit) {
                Some(i) => format!("{text}: hit {} of {}", group(i), group(total)),
                None if total == 1 => format!("{text}: 1 hit"),
                None => format!("{text}: {} hits", group(total)),
            },
            (Some(total), None) => format!("{text}: {} hits", group(total)),
            (None, _) => format!("{text}: counting… {}%", count.progress().unwrap_or(0)),
        })
    }
}

/// Counts the hits of `matcher` in the background ("hit 12 of 3,402"),
/// unless that means reading big remote sources through: `n` and `N` find
/// hits without it.
fn start_hit_count(
    merge: &crate::merge::Merge,
    matcher: Arc<Matcher>,
    wake: Option<Wake>,
) -> Option<HitCount> {
    super::may_read_everything(merge).then(|| HitCount::start(merge, matcher, wake))
}
