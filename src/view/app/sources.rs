//! The sources panel's keys (`=`, less's file-information key): move
//! between sources, hide or show one, jump to its first record; below the
//! sources, the facets (`logger` and level values with their counts),
//! each hidden or shown by the same keys.

use crossterm::event::{KeyCode, KeyEvent};

use super::super::keymap::Action;
use super::{App, Mode};
use crate::engine::{Command, Level};

/// A value of a facet in the sources panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FacetRow {
    pub field: &'static str,
    pub value: String,
    pub count: u64,
    pub hidden: bool,
}

/// Rows a page key moves in the panel.
const PAGE: usize = 10;

impl App {
    /// A key while the sources panel is open.
    pub(super) fn sources_key(&mut self, key: KeyEvent, selected: usize) -> Vec<Command> {
        let sources = self.frame.sources.len();
        let facets = self.facet_rows();
        let last = (sources + facets.len()).saturating_sub(1);
        let action = self.keymap.action(&key);
        let toggle = matches!(key.code, KeyCode::Char(' ') | KeyCode::Enter)
            || action == Some(Action::ToggleSource);
        if let (true, Some(facet)) = (
            toggle,
            selected.checked_sub(sources).and_then(|i| facets.get(i)),
        ) {
            self.mode = Mode::Sources { selected };
            if facet.field == "level" && facet.value == Level::Unknown.name() {
                self.note = Some("records without a level are not hidden by level".into());
                return Vec::new();
            }
            return vec![Command::ToggleFacet {
                field: facet.field.to_string(),
                value: facet.value.clone(),
            }];
        }
        let selected = match (key.code, action) {
            (KeyCode::Esc, _) | (_, Some(Action::Quit | Action::Sources | Action::Help)) => {
                return Vec::new();
            }
            (KeyCode::Enter, _) => {
                return vec![Command::GotoSource(selected.min(last))];
            }
            (KeyCode::Char(' '), _) | (_, Some(Action::ToggleSource)) => {
                self.mode = Mode::Sources { selected };
                return vec![Command::ToggleSource(selected)];
            }
            (_, Some(Action::Down | Action::FocusDown)) => selected + 1,
            (_, Some(Action::Up | Action::FocusUp)) => selected.saturating_sub(1),
            (_, Some(Action::PageDown | Action::HalfDown)) => selected + PAGE,
            (_, Some(Action::PageUp | Action::HalfUp)) => selected.saturating_sub(PAGE),
            (_, Some(Action::Start)) => 0,
            (_, Some(Action::End)) => last,
            _ => selected,
        };
        self.mode = Mode::Sources {
            selected: selected.min(last),
        };
        Vec::new()
    }

    /// The facets below the sources: levels, then loggers by count, each
    /// with whether it is hidden.
    pub fn facet_rows(&self) -> Vec<FacetRow> {
        let Some(facets) = &self.frame.facets else {
            return Vec::new();
        };
        let hidden = |field: &str, value: &str| {
            self.frame
                .hidden_facets
                .iter()
                .any(|(f, v)| f == field && v == value)
        };
        let levels = facets.levels().into_iter().map(|(level, count)| FacetRow {
            field: "level",
            value: level.name().to_string(),
            count,
            hidden: hidden("level", level.name()),
        });
        let loggers = facets
            .loggers_by_count()
            .into_iter()
            .map(|(value, count)| FacetRow {
                field: "logger",
                value: value.to_string(),
                count,
                hidden: hidden("logger", value),
            });
        levels.chain(loggers).collect()
    }

    /// The source of the focused line (else of the top line).
    pub(super) fn focused_source(&self) -> Option<usize> {
        let lines = &self.frame.lines;
        self.frame
            .focus
            .and_then(|i| lines.get(i))
            .or(lines.first())
            .map(|line| line.source)
    }
}
