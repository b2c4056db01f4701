//! The sources panel's keys (`=`, less's file-information key): move
//! between sources, hide or show one, jump to its first record.

use crossterm::event::{KeyCode, KeyEvent};

use super::super::keymap::Action;
use super::{App, Mode};
use crate::engine::Command;

/// Rows a page key moves in the panel.
const PAGE: usize = 10;

impl App {
    /// A key while the sources panel is open.
    pub(super) fn sources_key(&mut self, key: KeyEvent, selected: usize) -> Vec<Command> {
        let last = self.frame.sources.len().saturating_sub(1);
        let action = self.keymap.action(&key);
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
