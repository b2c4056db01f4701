//! Picking from a list before the viewer opens (`logweave airflow` without
//! ids walks dag → run → task → try). The widget — selection, typing to
//! filter, keys from the keymap, colours from the theme, the event loop
//! with its signals — lives here, beside the viewer it shares them with;
//! what each level holds comes from a [`Levels`] model, which knows
//! nothing of terminals.

use std::io;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph};
use ratatui::Frame;

use super::keymap::{Action, Keymap};
use super::terminal::TerminalGuard;
use super::theme::Theme;
use super::ViewOptions;

/// One choice of a level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// What is shown, and what typing filters on.
    pub label: String,
    /// Shown after it (size, age).
    pub detail: String,
}

/// What opening an entry did.
#[derive(Debug, PartialEq, Eq)]
pub enum Opened<T> {
    /// Went down a level.
    Down,
    /// The last level: this is the choice.
    Picked(T),
    /// Could not (the folder is unreadable, …): say why and stay.
    Failed(String),
}

/// The levels to pick through.
pub trait Levels {
    type Picked;
    /// What was chosen so far (`dag=etl`, `run=manual__1`).
    fn path(&self) -> Vec<String>;
    /// What this level asks for (`dag`).
    fn asking(&self) -> String;
    /// Where the entries come from (shown while not filtering).
    fn place(&self) -> String;
    fn entries(&self) -> Vec<Entry>;
    /// Opens entry `index` of [`entries`](Self::entries).
    fn open(&mut self, index: usize) -> Opened<Self::Picked>;
    /// Goes up a level: the index of the entry it came from, or `None` at
    /// the top.
    fn back(&mut self) -> Option<usize>;
    /// Reads more entries of this level (the next page of a long list);
    /// `true` if some were added.
    fn more(&mut self) -> bool {
        false
    }
}

/// What the user does, whatever keys they are bound to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickKey {
    Up,
    Down,
    PageUp,
    PageDown,
    First,
    Last,
    Open,
    Back,
    /// Esc: clears the filter, else goes back, else quits.
    Escape,
    Backspace,
    Type(char),
    Quit,
}

/// What a key did.
#[derive(Debug, PartialEq, Eq)]
pub enum Picking<T> {
    Continue,
    Quit,
    Picked(T),
}

/// The widget's own state: the filter and the selection.
#[derive(Debug, Default)]
pub struct Picker {
    filter: String,
    selected: usize,
    message: Option<String>,
}

impl Picker {
    /// A picker that starts by saying `message` (a preset id not found).
    pub fn saying(message: Option<String>) -> Self {
        Self {
            message,
            ..Self::default()
        }
    }

    /// Indexes of the entries the filter lets through.
    fn visible(&self, entries: &[Entry]) -> Vec<usize> {
        let filter = self.filter.to_lowercase();
        (0..entries.len())
            .filter(|&i| entries[i].label.to_lowercase().contains(&filter))
            .collect()
    }

    /// Applies one key to the widget and `levels`.
    pub fn key<L: Levels>(&mut self, levels: &mut L, key: PickKey) -> Picking<L::Picked> {
        self.message = None;
        let entries = levels.entries();
        let visible = self.visible(&entries);
        let last = visible.len().saturating_sub(1);
        match key {
            PickKey::Quit => return Picking::Quit,
            // `q` quits where it cannot be part of a filter.
            PickKey::Type('q') if self.filter.is_empty() => return Picking::Quit,
            PickKey::Type(c) => {
                self.filter.push(c);
                self.selected = 0;
            }
            PickKey::Escape if !self.filter.is_empty() => self.filter.clear(),
            PickKey::Backspace if !self.filter.is_empty() => {
                self.filter.pop();
                self.selected = 0;
            }
            PickKey::Escape | PickKey::Back | PickKey::Backspace => match levels.back() {
                Some(came_from) => {
                    self.filter.clear();
                    self.selected = came_from;
                }
                None if key == PickKey::Escape => return Picking::Quit,
                None => {}
            },
            PickKey::Up => self.selected = self.selected.saturating_sub(1),
            PickKey::Down => self.selected = (self.selected + 1).min(last),
            PickKey::PageUp => self.selected = self.selected.saturating_sub(10),
            PickKey::PageDown => self.selected = (self.selected + 10).min(last),
            PickKey::First => self.selected = 0,
            PickKey::Last => self.selected = last,
            PickKey::Open => {
                let Some(&index) = visible.get(self.selected) else {
                    return Picking::Continue;
                };
                match levels.open(index) {
                    Opened::Down => {
                        self.filter.clear();
                        self.selected = 0;
                    }
                    Opened::Picked(choice) => return Picking::Picked(choice),
                    Opened::Failed(why) => self.message = Some(why),
                }
            }
        }
        self.read_ahead(levels);
        Picking::Continue
    }

    /// Asks a long list for its next page when the selection nears the end
    /// of what is read, or a filter leaves less than a screen.
    fn read_ahead<L: Levels>(&self, levels: &mut L) {
        const SCREEN: usize = 40;
        for _ in 0..20 {
            let visible = self.visible(&levels.entries()).len();
            let near_end = self.selected + SCREEN >= visible;
            if !near_end || !levels.more() {
                return;
            }
        }
    }

    /// Draws the picker: the path chosen so far, the list, the keys.
    pub fn render<L: Levels>(&self, frame: &mut Frame, levels: &L, theme: &Theme) {
        let [head, list, foot] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Min(1),
            Constraint::Length(1),
        ])
        .areas(frame.area());
        let bold = Style::new().add_modifier(Modifier::BOLD);
        let mut path: Vec<Span> = vec![Span::styled("logweave airflow  ", bold)];
        for chosen in levels.path() {
            path.push(Span::raw(format!("{chosen} › ")));
        }
        path.push(Span::styled(
            format!("pick a {}", levels.asking()),
            theme.get("status"),
        ));
        let place = if self.filter.is_empty() {
            levels.place()
        } else {
            format!("filter: {}", self.filter)
        };
        frame.render_widget(
            Paragraph::new(vec![Line::from(path), Line::from(place)]),
            head,
        );
        let entries = levels.entries();
        let visible = self.visible(&entries);
        let width = visible
            .iter()
            .map(|&i| entries[i].label.chars().count())
            .max()
            .unwrap_or(0);
        let items: Vec<ListItem> = visible
            .iter()
            .map(|&i| {
                let entry = &entries[i];
                ListItem::new(format!("{:<width$}  {}", entry.label, entry.detail))
            })
            .collect();
        let empty = items.is_empty();
        let mut state = ListState::default().with_selected((!empty).then_some(self.selected));
        frame.render_stateful_widget(
            List::new(items).highlight_style(Style::new().add_modifier(Modifier::REVERSED)),
            list,
            &mut state,
        );
        let help = match (&self.message, empty) {
            (Some(message), _) => message.clone(),
            (None, true) if self.filter.is_empty() => {
                format!("no {} folders here · ← back · q/Esc quit", levels.asking())
            }
            (None, true) => "nothing matches · Backspace edits the filter".into(),
            (None, false) => {
                "↑↓ move · Enter/→ open · ←/Backspace back · type to filter · Esc quit".into()
            }
        };
        frame.render_widget(Paragraph::new(help).style(theme.get("help")), foot);
    }
}

/// A key as the picker understands it: characters type into the filter;
/// other keys go through the viewer's keymap (so rebinding `down` in the
/// config file moves here too), with the arrows, Enter, Esc and Backspace
/// doing what they say.
pub fn pick_key(key: KeyEvent, keymap: &Keymap) -> Option<PickKey> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('c') if ctrl => PickKey::Quit,
        KeyCode::Char(c) if !ctrl => PickKey::Type(c),
        KeyCode::Enter | KeyCode::Right => PickKey::Open,
        KeyCode::Left => PickKey::Back,
        KeyCode::Esc => PickKey::Escape,
        KeyCode::Backspace => PickKey::Backspace,
        _ => match keymap.action(&key)? {
            Action::Down => PickKey::Down,
            Action::Up => PickKey::Up,
            Action::PageDown | Action::HalfDown => PickKey::PageDown,
            Action::PageUp | Action::HalfUp => PickKey::PageUp,
            Action::Start => PickKey::First,
            Action::End => PickKey::Last,
            Action::Quit => PickKey::Quit,
            _ => return None,
        },
    })
}

/// Runs the picker on the terminal until a choice is made (`Some`) or the
/// user leaves (`None`); SIGTERM, SIGINT and SIGHUP leave too, and the
/// terminal is given back on every path.
pub fn run<L: Levels>(
    levels: &mut L,
    picker: Picker,
    options: &ViewOptions,
) -> io::Result<Option<L::Picked>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut guard = TerminalGuard::enter()?;
    let keymap = Keymap::load().with_overrides(&options.keys);
    let theme = Theme::with_overrides(options.no_color, &options.theme);
    runtime.block_on(async {
        let mut picker = picker;
        let mut input = super::input_events()?;
        let mut signals = super::Signals::new()?;
        loop {
            guard
                .terminal
                .draw(|frame| picker.render(frame, levels, &theme))?;
            tokio::select! {
                event = input.recv() => {
                    let Some(event) = event else { return Ok(None) };
                    let Event::Key(key) = event else { continue };
                    if key.kind == KeyEventKind::Release {
                        continue;
                    }
                    let Some(key) = pick_key(key, &keymap) else { continue };
                    match picker.key(levels, key) {
                        Picking::Continue => {}
                        Picking::Quit => return Ok(None),
                        Picking::Picked(choice) => return Ok(Some(choice)),
                    }
                }
                _ = signals.any() => return Ok(None),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two levels of letters: pick a letter, then a digit.
    #[derive(Default)]
    struct Letters {
        letter: Option<String>,
    }

    impl Levels for Letters {
        type Picked = String;
        fn path(&self) -> Vec<String> {
            self.letter.iter().map(|l| format!("letter={l}")).collect()
        }
        fn asking(&self) -> String {
            if self.letter.is_some() {
                "digit"
            } else {
                "letter"
            }
            .into()
        }
        fn place(&self) -> String {
            "here".into()
        }
        fn entries(&self) -> Vec<Entry> {
            let labels: &[&str] = if self.letter.is_some() {
                &["1", "2", "3"]
            } else {
                &["alpha", "beta", "gamma"]
            };
            labels
                .iter()
                .map(|l| Entry {
                    label: l.to_string(),
                    detail: String::new(),
                })
                .collect()
        }
        fn open(&mut self, index: usize) -> Opened<String> {
            let label = self.entries()[index].label.clone();
            match &self.letter {
                Some(letter) => Opened::Picked(format!("{letter}{label}")),
                None => {
                    self.letter = Some(label);
                    Opened::Down
                }
            }
        }
        fn back(&mut self) -> Option<usize> {
            let letter = self.letter.take()?;
            ["alpha", "beta", "gamma"].iter().position(|l| *l == letter)
        }
    }

    #[test]
    fn moving_filtering_opening_and_going_back() {
        let (mut levels, mut picker) = (Letters::default(), Picker::default());
        for c in "amm".chars() {
            picker.key(&mut levels, PickKey::Type(c));
        }
        // Only "gamma" holds "amm"; Open takes the visible one.
        assert_eq!(picker.key(&mut levels, PickKey::Open), Picking::Continue);
        assert_eq!(levels.letter.as_deref(), Some("gamma"));
        assert_eq!(picker.filter, "", "a new level starts unfiltered");
        picker.key(&mut levels, PickKey::Last);
        assert_eq!(
            picker.key(&mut levels, PickKey::Open),
            Picking::Picked("gamma3".to_string())
        );
        // Back lands on the entry it came from; Esc at the top quits.
        picker.key(&mut levels, PickKey::Backspace);
        assert_eq!(levels.letter, None);
        assert_eq!(picker.selected, 2);
        assert_eq!(picker.key(&mut levels, PickKey::Escape), Picking::Quit);
        // `q` types when a filter is being written, quits otherwise.
        let mut picker = Picker::default();
        picker.key(&mut levels, PickKey::Type('b'));
        assert_eq!(
            picker.key(&mut levels, PickKey::Type('q')),
            Picking::Continue
        );
        assert_eq!(picker.filter, "bq");
    }

    #[test]
    fn keys_come_from_the_keymap_and_characters_type() {
        let keymap = Keymap::load().with_overrides(&[("down".into(), "C-j".into())]);
        let key = |code, modifiers| pick_key(KeyEvent::new(code, modifiers), &keymap);
        assert_eq!(
            key(KeyCode::Char('j'), KeyModifiers::CONTROL),
            Some(PickKey::Down)
        );
        assert_eq!(
            key(KeyCode::Char('j'), KeyModifiers::NONE),
            Some(PickKey::Type('j'))
        );
        assert_eq!(
            key(KeyCode::PageDown, KeyModifiers::NONE),
            Some(PickKey::PageDown)
        );
        assert_eq!(key(KeyCode::Home, KeyModifiers::NONE), Some(PickKey::First));
        assert_eq!(key(KeyCode::Esc, KeyModifiers::NONE), Some(PickKey::Escape));
        assert_eq!(
            key(KeyCode::Char('c'), KeyModifiers::CONTROL),
            Some(PickKey::Quit)
        );
    }
}
