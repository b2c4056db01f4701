//! Keys to actions, from `assets/keymap.txt` (less and vim habits).

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.txt");

/// What a key does in the log view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Down,
    Up,
    PageDown,
    PageUp,
    HalfDown,
    HalfUp,
    Start,
    End,
    Left,
    Right,
    Wrap,
    Goto,
    Percent,
    Search,
    SearchBack,
    SearchNext,
    SearchPrev,
    Filter,
    Level,
    Follow,
    Interrupt,
    NextError,
    NextNew,
    PrevNew,
    PrevError,
    Tags,
    Sources,
    ToggleSource,
    RawJson,
    AllFields,
    Timeline,
    TimelineFocus,
    Zone,
    FocusDown,
    FocusUp,
    NextRecord,
    PrevRecord,
    Mark,
    GotoMark,
    Copy,
    CopyRange,
    Save,
    Pipe,
    Edit,
    Fields,
    Fold,
    Help,
    Suspend,
    Quit,
}

impl Action {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "down" => Action::Down,
            "up" => Action::Up,
            "page-down" => Action::PageDown,
            "page-up" => Action::PageUp,
            "half-down" => Action::HalfDown,
            "half-up" => Action::HalfUp,
            "start" => Action::Start,
            "end" => Action::End,
            "left" => Action::Left,
            "right" => Action::Right,
            "wrap" => Action::Wrap,
            "goto" => Action::Goto,
            "percent" => Action::Percent,
            "search" => Action::Search,
            "search-back" => Action::SearchBack,
            "search-next" => Action::SearchNext,
            "search-prev" => Action::SearchPrev,
            "filter" => Action::Filter,
            "level" => Action::Level,
            "follow" => Action::Follow,
            "interrupt" => Action::Interrupt,
            "next-error" => Action::NextError,
            "next-new" => Action::NextNew,
            "prev-new" => Action::PrevNew,
            "prev-error" => Action::PrevError,
            "tags" => Action::Tags,
            "sources" => Action::Sources,
            "toggle-source" => Action::ToggleSource,
            "raw-json" => Action::RawJson,
            "all-fields" => Action::AllFields,
            "timeline" => Action::Timeline,
            "timeline-focus" => Action::TimelineFocus,
            "zone" => Action::Zone,
            "focus-down" => Action::FocusDown,
            "focus-up" => Action::FocusUp,
            "next-record" => Action::NextRecord,
            "prev-record" => Action::PrevRecord,
            "mark" => Action::Mark,
            "goto-mark" => Action::GotoMark,
            "copy" => Action::Copy,
            "copy-range" => Action::CopyRange,
            "save" => Action::Save,
            "pipe" => Action::Pipe,
            "edit" => Action::Edit,
            "fields" => Action::Fields,
            "fold" => Action::Fold,
            "help" => Action::Help,
            "suspend" => Action::Suspend,
            "quit" => Action::Quit,
            _ => return None,
        })
    }

    /// One line of help.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Down => "down one line",
            Action::Up => "up one line",
            Action::PageDown => "down one screen",
            Action::PageUp => "up one screen",
            Action::HalfDown => "down half a screen",
            Action::HalfUp => "up half a screen",
            Action::Start => "first line",
            Action::End => "last line",
            Action::Left => "scroll left",
            Action::Right => "scroll right",
            Action::Wrap => "wrap long lines on/off",
            Action::Goto => "go to time, +5m/-1h, 50% or line",
            Action::Percent => "N%: N percent of the way (50% half-way)",
            Action::Search => "search down (regex; Ctrl-r: literal; Enter alone: this help)",
            Action::SearchBack => "search up, as in less (Enter alone: this help)",
            Action::SearchNext => "next hit",
            Action::SearchPrev => "previous hit",
            Action::Filter => {
                "&pat only matching, &!pat hide, &logger=x and level>=warning, & clear"
            }
            Action::Level => "minimum level: all/INFO/WARNING/ERROR",
            Action::Follow => "follow the end as sources grow (like tail -f); again: stop",
            Action::Interrupt => "stop following, a search, a save or a prompt (q quits)",
            Action::NextError => "next ERROR record",
            Action::PrevError => "previous ERROR record",
            Action::NextNew => "next new record (one the baseline of `compare` never had)",
            Action::PrevNew => "previous new record",
            Action::Tags => "source tags on/off",
            Action::Sources => "the sources: paths, formats, sizes, times; hide/show, jump",
            Action::ToggleSource => "Nx: hide/show source N; alone: the focused line's source",
            Action::RawJson => "raw JSON on/off",
            Action::AllFields => "JSON: all fields (the task's ids too) / as the Airflow UI",
            Action::Timeline => "timeline strip on/off",
            Action::TimelineFocus => "select in timeline (←/→, Enter)",
            Action::Zone => "times in UTC / local / --display-tz zone",
            Action::FocusDown => "focus the line below (mouse: click a line)",
            Action::FocusUp => "focus the line above",
            Action::NextRecord => "focus the next record",
            Action::PrevRecord => "focus this record's start, or the one above",
            Action::Mark => "m + letter: mark the focused record",
            Action::GotoMark => "' + letter: go to mark; '' back; ' alone lists",
            Action::Copy => "copy the focused record to the clipboard (OSC 52)",
            Action::CopyRange => "Y + letter: copy from the mark to the focused record",
            Action::Save => "s + letter/./%: save mark..focus, the record, all shown",
            Action::Pipe => "| + letter/./%: pipe them to a shell command",
            Action::Edit => "open the focused line's file in $VISUAL/$EDITOR",
            Action::Fields => "the focused record's fields, frames, source (y/Y copy)",
            Action::Fold => "z + a/o/c/R/M: toggle, open, close a ::group::; all open/folded",
            Action::Help => "this help (any other key closes it)",
            Action::Suspend => "suspend to the shell (fg comes back)",
            Action::Quit => "quit",
        }
    }
}

/// A key as the keymap names it: code, whether Control is held, and
/// whether Shift is (for keys other than characters, whose case says it).
type KeyName = (KeyCode, bool, bool);

/// The key bindings.
#[derive(Clone, Debug)]
pub struct Keymap {
    bindings: HashMap<KeyName, Action>,
    /// In file order, for the help screen.
    listing: Vec<(Action, Vec<String>)>,
}

impl Keymap {
    /// The built-in keymap.
    pub fn load() -> Self {
        Self::parse(DEFAULT_KEYMAP)
    }

    pub fn parse(text: &str) -> Self {
        let mut bindings = HashMap::new();
        let mut listing = Vec::new();
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let mut words = line.split_whitespace();
            let Some(action) = words.next().and_then(Action::parse) else {
                continue;
            };
            let mut names = Vec::new();
            for word in words {
                if let Some(key) = parse_key(word) {
                    bindings.insert(key, action);
                    names.push(word.to_string());
                }
            }
            listing.push((action, names));
        }
        Self { bindings, listing }
    }

    /// Rebinds actions (from the config file): each `(action, keys)` gets
    /// exactly those keys, taking them from any other action. Pairs that
    /// [`check`] rejects are left out.
    pub fn with_overrides(mut self, overrides: &[(String, String)]) -> Self {
        for (name, keys) in overrides {
            let Some(action) = Action::parse(name) else {
                continue;
            };
            let words: Vec<&str> = keys
                .split_whitespace()
                .filter(|w| parse_key(w).is_some())
                .collect();
            self.bindings.retain(|_, bound| *bound != action);
            for (_, names) in &mut self.listing {
                names.retain(|n| !words.contains(&n.as_str()));
            }
            for word in &words {
                if let Some(key) = parse_key(word) {
                    self.bindings.insert(key, action);
                }
            }
            let names = words.iter().map(|w| w.to_string()).collect();
            match self.listing.iter_mut().find(|(a, _)| *a == action) {
                Some((_, listed)) => *listed = names,
                None => self.listing.push((action, names)),
            }
        }
        self
    }

    /// The action bound to `key`, if any.
    pub fn action(&self, key: &KeyEvent) -> Option<Action> {
        let control = key.modifiers.contains(KeyModifiers::CONTROL);
        let shift = key.modifiers.contains(KeyModifiers::SHIFT);
        let (code, shift) = match key.code {
            // Terminals report Shift+g as 'G' with SHIFT: the character is what counts.
            KeyCode::Char(c) => (
                KeyCode::Char(if control { c.to_ascii_lowercase() } else { c }),
                false,
            ),
            other => (other, shift),
        };
        self.bindings.get(&(code, control, shift)).copied()
    }

    /// The key the status bar names for help: one that opens it directly,
    /// a typed character if there is one (terminals keep F1 for their own
    /// help), else the first; `None` when help has no key.
    pub fn help_key(&self) -> Option<&str> {
        let (_, keys) = self.listing.iter().find(|(a, _)| *a == Action::Help)?;
        keys.iter()
            .find(|k| k.chars().count() == 1)
            .or(keys.first())
            .map(String::as_str)
    }

    /// Every action with its keys, for the help screen.
    pub fn listing(&self) -> &[(Action, Vec<String>)] {
        &self.listing
    }
}

/// Whether `action = "keys"` is a binding the keymap understands: the
/// action as `assets/keymap.txt` names it, one or more keys.
pub fn check(action: &str, keys: &str) -> Result<(), String> {
    if Action::parse(action).is_none() {
        return Err(format!(
            "no such action '{action}' (the actions are those of assets/keymap.txt: down, up, page-down, …, quit)"
        ));
    }
    if keys.split_whitespace().next().is_none() {
        return Err("no keys given".into());
    }
    match keys.split_whitespace().find(|w| parse_key(w).is_none()) {
        Some(bad) => Err(format!(
            "'{bad}' is not a key (a character, or Up Down Left Right PageUp PageDown Home End Enter Esc Tab Space F1…F12, with C- for Control, S- for Shift)"
        )),
        None => Ok(()),
    }
}

fn parse_key(word: &str) -> Option<KeyName> {
    let (control, name) = match word.strip_prefix("C-") {
        Some(rest) => (true, rest),
        None => (false, word),
    };
    // S- is for keys without a character of their own (S-Down).
    let (shift, name) = match name.strip_prefix("S-") {
        Some(rest) if rest.chars().count() > 1 => (true, rest),
        _ => (false, name),
    };
    let code = match name {
        "Up" => KeyCode::Up,
        "Down" => KeyCode::Down,
        "Left" => KeyCode::Left,
        "Right" => KeyCode::Right,
        "PageUp" => KeyCode::PageUp,
        "PageDown" => KeyCode::PageDown,
        "Home" => KeyCode::Home,
        "End" => KeyCode::End,
        "Enter" => KeyCode::Enter,
        "Esc" => KeyCode::Esc,
        "Tab" => KeyCode::Tab,
        f if f.len() > 1 && f.starts_with('F') && f[1..].parse::<u8>().is_ok() => {
            KeyCode::F(f[1..].parse().ok()?)
        }
        "Space" => KeyCode::Char(' '),
        single if single.chars().count() == 1 => KeyCode::Char(single.chars().next()?),
        _ => return None,
    };
    Some((code, control, shift))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn overrides_replace_an_actions_keys_and_take_them_from_others() {
        let map = Keymap::load()
            .with_overrides(&[("quit".into(), "x".into()), ("end".into(), "q G".into())]);
        let plain = |c| key(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(map.action(&plain('x')), Some(Action::Quit));
        assert_eq!(map.action(&plain('q')), Some(Action::End));
        assert_eq!(map.action(&plain('G')), Some(Action::End));
        // The help screen lists what is bound.
        let listed = |action| {
            map.listing()
                .iter()
                .find(|(a, _)| *a == action)
                .map(|(_, keys)| keys.clone())
        };
        assert_eq!(listed(Action::Quit), Some(vec!["x".to_string()]));
        assert_eq!(
            listed(Action::End),
            Some(vec!["q".to_string(), "G".to_string()])
        );
        assert!(check("quit", "x").is_ok());
        assert!(check("teleport", "x").is_err());
        assert!(check("quit", "C-Nope").is_err());
        assert!(check("quit", " ").is_err());
    }

    #[test]
    fn less_and_vim_keys() {
        let map = Keymap::load();
        assert_eq!(
            map.action(&key(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert_eq!(
            map.action(&key(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::End)
        );
        assert_eq!(
            map.action(&key(KeyCode::Char('d'), KeyModifiers::CONTROL)),
            Some(Action::HalfDown)
        );
        assert_eq!(
            map.action(&key(KeyCode::Char(' '), KeyModifiers::NONE)),
            Some(Action::PageDown)
        );
        assert_eq!(
            map.action(&key(KeyCode::PageUp, KeyModifiers::NONE)),
            Some(Action::PageUp)
        );
        // Ctrl-C stops what runs and keeps the session, as in less +F.
        assert_eq!(
            map.action(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Interrupt)
        );
        assert_eq!(
            map.action(&key(KeyCode::Char('z'), KeyModifiers::CONTROL)),
            Some(Action::Suspend)
        );
        assert_eq!(
            map.action(&key(KeyCode::Char('X'), KeyModifiers::SHIFT)),
            None
        );
        assert_eq!(
            map.action(&key(KeyCode::Char('?'), KeyModifiers::SHIFT)),
            Some(Action::SearchBack)
        );
        assert_eq!(
            map.action(&key(KeyCode::F(1), KeyModifiers::NONE)),
            Some(Action::Help)
        );
        assert!(map
            .listing()
            .iter()
            .any(|(a, keys)| *a == Action::Help && keys == &["F1", "H"]));
        // The status bar names H: terminals may keep F1 for themselves.
        assert_eq!(map.help_key(), Some("H"));
        let f1_only = Keymap::load().with_overrides(&[("help".into(), "F1".into())]);
        assert_eq!(f1_only.help_key(), Some("F1"));
        let none = Keymap::load().with_overrides(&[("help".into(), "".into())]);
        assert_eq!(none.help_key(), None);
    }
}
