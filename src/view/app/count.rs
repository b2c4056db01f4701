//! Counts typed before a key, as in less: `100g` goes to line 100, `50%`
//! half-way, `10j` ten lines down, `5n` to the fifth hit, `3x` hides or
//! shows source 3. Digits are counts and nothing else, so a count never
//! does anything on its own.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::super::keymap::Action;
use super::App;
use crate::engine::{Command, Goto};

/// The largest count kept: more digits are ignored rather than overflow.
const MAX: u64 = 1_000_000_000_000;

/// The digit `key` types as part of a count: `1`–`9` start one, `0` only
/// goes on one.
pub fn digit(key: &KeyEvent, counting: bool) -> Option<u64> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return None;
    }
    match key.code {
        KeyCode::Char(c @ '1'..='9') => Some(u64::from(c as u8 - b'0')),
        KeyCode::Char('0') if counting => Some(0),
        _ => None,
    }
}

/// `count` with `digit` typed after it.
pub fn push(count: Option<u64>, digit: u64) -> u64 {
    let next = count.unwrap_or(0).saturating_mul(10).saturating_add(digit);
    if next > MAX {
        count.unwrap_or(digit)
    } else {
        next
    }
}

impl App {
    /// What `action` does with a count before it; `None` when there is no
    /// count or the action takes none (it then acts as without one).
    pub(super) fn counted(&mut self, action: Action, count: Option<u64>) -> Option<Vec<Command>> {
        let n = count?;
        let lines = isize::try_from(n).unwrap_or(isize::MAX);
        Some(match action {
            // As in less, a count scrolls that many lines whatever the key's
            // own step.
            Action::Down | Action::PageDown | Action::HalfDown => vec![Command::Scroll(lines)],
            Action::Up | Action::PageUp | Action::HalfUp => vec![Command::Scroll(-lines)],
            Action::FocusDown => vec![Command::FocusBy(lines)],
            Action::FocusUp => vec![Command::FocusBy(-lines)],
            Action::Start | Action::End => {
                self.hscroll = 0;
                vec![Command::Goto(Goto::Line(n.max(1)))]
            }
            Action::Percent => vec![Command::Goto(Goto::Fraction(n.min(100) as f64 / 100.0))],
            Action::SearchNext | Action::SearchPrev => vec![Command::SearchAgain {
                reverse: action == Action::SearchPrev,
                times: usize::try_from(n).unwrap_or(usize::MAX),
            }],
            Action::ToggleSource => match usize::try_from(n) {
                Ok(source @ 1..) => vec![Command::ToggleSource(source - 1)],
                _ => {
                    self.note = Some("sources are numbered from 1 (as in the = panel)".into());
                    Vec::new()
                }
            },
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_make_a_count_and_zero_only_continues_one() {
        let key = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(digit(&key('0'), false), None);
        assert_eq!(digit(&key('0'), true), Some(0));
        assert_eq!(digit(&key('7'), false), Some(7));
        assert_eq!(
            digit(
                &KeyEvent::new(KeyCode::Char('1'), KeyModifiers::CONTROL),
                false
            ),
            None
        );
        let mut count = None;
        for d in [1, 0, 0] {
            count = Some(push(count, d));
        }
        assert_eq!(count, Some(100));
        // A stuck key does not overflow.
        let mut count = None;
        for _ in 0..40 {
            count = Some(push(count, 9));
        }
        assert!(count.is_some_and(|c| c <= MAX));
    }
}
