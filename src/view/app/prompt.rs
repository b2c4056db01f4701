//! Prompts (`/`, `?`, `&`, `:`, the save and pipe prompts): what they ask,
//! their keys and history, what a submitted one does, pastes into them, and
//! the completion of paths.

use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Mode, Run};
use crate::engine::{Command, Destination, Goto, PatternKind, Range};

/// What a prompt asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptKind {
    /// `:` a time, share or line.
    Goto,
    /// `/` (down) or `?` (up) a pattern.
    Search { forward: bool },
    /// `&` a filter pattern (`&!` to hide).
    Filter,
    /// `s`: the file to save a range to.
    Save { range: Range },
    /// `|`: the command to feed a range to.
    Pipe { range: Range },
}

impl PromptKind {
    /// What the prompt shows before the input.
    pub fn label(self) -> String {
        match self {
            PromptKind::Goto => ":".into(),
            PromptKind::Search { forward: true } => "/".into(),
            PromptKind::Search { forward: false } => "?".into(),
            PromptKind::Filter => "&".into(),
            PromptKind::Save { range } => format!("save {} to: ", range_name(range)),
            PromptKind::Pipe { range } => format!("pipe {} to: !", range_name(range)),
        }
    }

    fn history_slot(self) -> usize {
        match self {
            PromptKind::Goto => 0,
            PromptKind::Search { .. } => 1,
            PromptKind::Filter => 2,
            PromptKind::Save { .. } => 3,
            PromptKind::Pipe { .. } => 4,
        }
    }
}

/// The most a prompt holds, in bytes: a paste beyond it is cut.
pub const PROMPT_MAX: usize = 1 << 20;

/// A prompt being typed into.
#[derive(Clone, Debug, PartialEq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: String,
    /// Regex or literal (Ctrl-r toggles), for patterns.
    pub pattern: PatternKind,
    /// Where in the history Up/Down are.
    pub recall: Option<usize>,
    /// Save with each line's source tag in front (Ctrl-t), as `--tag`.
    pub tags: bool,
}

/// A range as prompts name it.
fn range_name(range: Range) -> String {
    match range {
        Range::Focused => "the focused record".into(),
        Range::FromMark(letter) => format!("'{letter} to the focus"),
        Range::All => "all shown".into(),
    }
}

/// `~/x` → `$HOME/x`; anything else as typed.
fn expand_home(text: &str) -> PathBuf {
    match (text.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(text),
    }
}

/// Completes the file name being typed (Tab): as far as the names that
/// fit agree, a `/` after a folder. Returns the input and, when several
/// names fit, a few of them to show.
pub fn complete_path(input: &str) -> (String, Vec<String>) {
    let (folder_text, partial) = match input.rfind('/') {
        Some(i) => (&input[..=i], &input[i + 1..]),
        None => ("", input),
    };
    let folder = if folder_text.is_empty() {
        PathBuf::from(".")
    } else {
        expand_home(folder_text)
    };
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return (input.to_string(), Vec::new());
    };
    let mut names: Vec<(String, bool)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let hidden = name.starts_with('.') && !partial.starts_with('.');
            (name.starts_with(partial) && !hidden).then(|| (name, e.path().is_dir()))
        })
        .collect();
    names.sort();
    match names.as_slice() {
        [] => (input.to_string(), Vec::new()),
        [(name, dir)] => (
            format!("{folder_text}{name}{}", if *dir { "/" } else { "" }),
            Vec::new(),
        ),
        [(first, _), rest @ ..] => {
            let mut common = first.len();
            for (name, _) in rest {
                common = first
                    .bytes()
                    .zip(name.bytes())
                    .take(common)
                    .take_while(|(a, b)| a == b)
                    .count();
            }
            while !first.is_char_boundary(common) {
                common -= 1;
            }
            let shown = names.iter().take(8).map(|(n, _)| n.clone()).collect();
            (format!("{folder_text}{}", &first[..common]), shown)
        }
    }
}

impl App {
    pub(super) fn open_prompt(&mut self, kind: PromptKind) -> Vec<Command> {
        self.mode = Mode::Prompt(Prompt {
            kind,
            input: String::new(),
            pattern: PatternKind::Regex,
            recall: None,
            tags: false,
        });
        Vec::new()
    }

    pub(super) fn prompt_key(&mut self, key: KeyEvent, mut prompt: Prompt) -> Vec<Command> {
        let control = key.modifiers.contains(KeyModifiers::CONTROL);
        let history = &mut self.history[prompt.kind.history_slot()];
        match key.code {
            KeyCode::Esc => return Vec::new(),
            KeyCode::Char('c') if control => return Vec::new(),
            KeyCode::Char('t') if control && matches!(prompt.kind, PromptKind::Save { .. }) => {
                prompt.tags = !prompt.tags;
            }
            KeyCode::Tab if matches!(prompt.kind, PromptKind::Save { .. }) => {
                let (completed, others) = complete_path(&prompt.input);
                prompt.input = completed;
                if !others.is_empty() {
                    self.note = Some(others.join("  "));
                }
            }
            KeyCode::Tab if prompt.kind == PromptKind::Filter => {
                let (completed, others) = self.complete_filter(&prompt.input);
                prompt.input = completed;
                if !others.is_empty() {
                    self.note = Some(others.join("  "));
                }
            }
            KeyCode::Char('r') if control => {
                prompt.pattern = match prompt.pattern {
                    PatternKind::Regex => PatternKind::Literal,
                    PatternKind::Literal => PatternKind::Regex,
                };
            }
            KeyCode::Enter => {
                let text = prompt.input.trim().to_string();
                if !text.is_empty() && history.last() != Some(&text) {
                    history.push(text.clone());
                }
                return self.submit(&prompt, text);
            }
            KeyCode::Backspace => {
                // Backspace on an empty prompt closes it, as in less.
                if prompt.input.is_empty() {
                    return Vec::new();
                }
                prompt.input.pop();
            }
            KeyCode::Up if !history.is_empty() => {
                let i = prompt
                    .recall
                    .map_or(history.len() - 1, |i| i.saturating_sub(1));
                prompt.recall = Some(i);
                prompt.input = history[i].clone();
            }
            KeyCode::Down => {
                if let Some(i) = prompt.recall {
                    if i + 1 < history.len() {
                        prompt.recall = Some(i + 1);
                        prompt.input = history[i + 1].clone();
                    } else {
                        prompt.recall = None;
                        prompt.input.clear();
                    }
                }
            }
            KeyCode::Char(c) if !control && prompt.input.len() + c.len_utf8() <= PROMPT_MAX => {
                prompt.input.push(c)
            }
            _ => {}
        }
        self.mode = Mode::Prompt(prompt);
        Vec::new()
    }

    pub(super) fn submit(&mut self, prompt: &Prompt, text: String) -> Vec<Command> {
        let pattern = prompt.pattern;
        match prompt.kind {
            PromptKind::Save { .. } | PromptKind::Pipe { .. } if text.is_empty() => Vec::new(),
            PromptKind::Save { range } => {
                let path = expand_home(&text);
                let tags = prompt.tags;
                if path.is_file() {
                    self.mode = Mode::Confirm { range, path, tags };
                    return Vec::new();
                }
                vec![Command::Export {
                    range,
                    destination: Destination::File {
                        path,
                        overwrite: false,
                    },
                    tags,
                }]
            }
            PromptKind::Pipe { range } => {
                self.run = Some(Run::Pipe {
                    range,
                    command: text,
                });
                Vec::new()
            }
            PromptKind::Goto if text.is_empty() => Vec::new(),
            PromptKind::Goto => vec![Command::Goto(Goto::Text(text))],
            // `?` stays less's search up. Confirmed empty, it (and `/`)
            // shows the keys: where a newcomer who pressed `?` for help
            // lands. `n` repeats a search.
            PromptKind::Search { .. } if text.is_empty() => {
                self.mode = Mode::Help { scroll: 0 };
                Vec::new()
            }
            PromptKind::Search { forward } => vec![Command::Search {
                pattern: text,
                kind: pattern,
                forward,
            }],
            PromptKind::Filter if text.is_empty() => vec![Command::ClearFilters],
            PromptKind::Filter => self.submit_filter(text, pattern),
        }
    }

    /// Applies a paste (bracketed by the terminal): text for an open prompt,
    /// never keys to obey — a pasted log line must not quit or jump.
    pub fn on_paste(&mut self, text: &str) -> Vec<Command> {
        let Mode::Prompt(prompt) = &mut self.mode else {
            self.note = Some("a paste goes into a prompt: open one first (/ ? & :)".into());
            return Vec::new();
        };
        let room = PROMPT_MAX.saturating_sub(prompt.input.len());
        let mut taken = 0;
        for c in text.chars() {
            // A prompt is one line: line breaks and tabs become spaces,
            // other control characters are dropped.
            let c = match c {
                '\n' | '\r' | '\t' => ' ',
                c if c.is_control() => continue,
                c => c,
            };
            if taken + c.len_utf8() > room {
                self.note = Some(format!(
                    "the paste was cut to the prompt's {} KiB",
                    PROMPT_MAX / 1024
                ));
                break;
            }
            taken += c.len_utf8();
            prompt.input.push(c);
        }
        prompt.recall = None;
        Vec::new()
    }
}
