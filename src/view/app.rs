//! The view's state and what keys and mouse events do to it. Every effect on
//! the stream is a [`Command`] for the engine; the rest (wrap, tags, help,
//! prompt) is the view's own.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Constraint, Layout, Rect};

use super::keymap::{Action, Keymap};
use super::theme::Theme;
use crate::engine::{Command, Frame, Goto, Level, PatternKind};

/// Rows of the timeline strip.
pub const TIMELINE_ROWS: u16 = 4;

/// Columns a horizontal scroll step moves.
const SIDE_STEP: usize = 8;

/// Lines a mouse wheel notch moves.
const WHEEL_STEP: isize = 3;

/// What a prompt asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptKind {
    /// `:` a time, share or line.
    Goto,
    /// `/` (down) or `?` (up) a pattern.
    Search { forward: bool },
    /// `&` a filter pattern (`&!` to hide).
    Filter,
}

impl PromptKind {
    /// The character the prompt shows first.
    pub fn sigil(self) -> char {
        match self {
            PromptKind::Goto => ':',
            PromptKind::Search { forward: true } => '/',
            PromptKind::Search { forward: false } => '?',
            PromptKind::Filter => '&',
        }
    }

    fn history_slot(self) -> usize {
        match self {
            PromptKind::Goto => 0,
            PromptKind::Search { .. } => 1,
            PromptKind::Filter => 2,
        }
    }
}

/// A prompt being typed into.
#[derive(Clone, Debug, PartialEq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: String,
    /// Regex or literal (Ctrl-r toggles), for patterns.
    pub pattern: PatternKind,
    /// Where in the history Up/Down are.
    pub recall: Option<usize>,
}

/// What the keyboard is talking to.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    Normal,
    Prompt(Prompt),
    Help,
    /// Choosing a column of the timeline strip.
    Timeline {
        column: usize,
    },
}

/// Screen areas of the current layout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Areas {
    pub timeline: Option<Rect>,
    pub pane: Rect,
    pub status: Rect,
}

/// The view's state.
pub struct App {
    pub frame: Arc<Frame>,
    pub keymap: Keymap,
    pub theme: Theme,
    pub mode: Mode,
    pub wrap: bool,
    pub tags: bool,
    pub raw_json: bool,
    pub timeline: bool,
    /// Columns scrolled to the right (when not wrapping).
    pub hscroll: usize,
    pub size: (u16, u16),
    /// A message of the view's own (the engine's come with the frame).
    pub note: Option<String>,
    /// Prompt histories: goto, search, filter.
    pub history: [Vec<String>; 3],
    pub quit: bool,
}

impl App {
    pub fn new(keymap: Keymap, theme: Theme, size: (u16, u16)) -> Self {
        Self {
            frame: Arc::new(Frame::default()),
            keymap,
            theme,
            mode: Mode::Normal,
            wrap: false,
            tags: true,
            raw_json: false,
            timeline: false,
            hscroll: 0,
            size,
            note: None,
            history: Default::default(),
            quit: false,
        }
    }

    /// Where everything goes on a screen of the current size.
    pub fn areas(&self) -> Areas {
        let area = Rect::new(0, 0, self.size.0, self.size.1);
        if self.timeline && area.height > TIMELINE_ROWS + 3 {
            let [timeline, pane, status] = Layout::vertical([
                Constraint::Length(TIMELINE_ROWS),
                Constraint::Min(1),
                Constraint::Length(1),
            ])
            .areas(area);
            Areas {
                timeline: Some(timeline),
                pane,
                status,
            }
        } else {
            let [pane, status] =
                Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
            Areas {
                timeline: None,
                pane,
                status,
            }
        }
    }

    /// The command that tells the engine the pane's size.
    pub fn resize_command(&self) -> Command {
        let areas = self.areas();
        Command::Resize {
            height: areas.pane.height.max(1) as usize,
            timeline_width: self.size.0.max(1) as usize,
        }
    }

    fn page(&self) -> isize {
        let rows = self.areas().pane.height.max(1) as usize;
        // When wrapping, a page is what the screen shows whole.
        let shown = super::render::fitted_lines(self);
        let lines = if self.wrap || shown < rows {
            shown.max(1)
        } else {
            rows
        };
        lines as isize
    }

    /// Applies a terminal resize.
    pub fn on_resize(&mut self, width: u16, height: u16) -> Vec<Command> {
        self.size = (width, height);
        vec![self.resize_command()]
    }

    /// Applies a key press.
    pub fn on_key(&mut self, key: KeyEvent) -> Vec<Command> {
        self.note = None;
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::Normal => self.normal_key(key),
            Mode::Help => {
                // Any key closes help; q also quits from there, as in less.
                if self.keymap.action(&key) == Some(Action::Quit) {
                    self.quit = true;
                    return vec![Command::Quit];
                }
                Vec::new()
            }
            Mode::Prompt(prompt) => self.prompt_key(key, prompt),
            Mode::Timeline { column } => self.timeline_key(key, column),
        }
    }

    fn normal_key(&mut self, key: KeyEvent) -> Vec<Command> {
        if let (KeyCode::Char(c @ '1'..='9'), false) =
            (key.code, key.modifiers.contains(KeyModifiers::CONTROL))
        {
            return vec![Command::ToggleSource(c as usize - '1' as usize)];
        }
        if key.code == KeyCode::Esc {
            // Stops a running search or scan.
            return vec![Command::Cancel];
        }
        let Some(action) = self.keymap.action(&key) else {
            return Vec::new();
        };
        let page = self.page();
        match action {
            Action::Down => vec![Command::Scroll(1)],
            Action::Up => vec![Command::Scroll(-1)],
            Action::PageDown => vec![Command::Scroll(page)],
            Action::PageUp => vec![Command::Scroll(-page)],
            Action::HalfDown => vec![Command::Scroll((page / 2).max(1))],
            Action::HalfUp => vec![Command::Scroll(-(page / 2).max(1))],
            Action::Start => {
                self.hscroll = 0;
                vec![Command::Start]
            }
            Action::End => vec![Command::End],
            Action::Left => {
                self.hscroll = self.hscroll.saturating_sub(SIDE_STEP);
                Vec::new()
            }
            Action::Right => {
                if !self.wrap {
                    self.hscroll += SIDE_STEP;
                }
                Vec::new()
            }
            Action::Wrap => {
                self.wrap = !self.wrap;
                self.hscroll = 0;
                self.note = Some(format!("wrap {}", if self.wrap { "on" } else { "off" }));
                Vec::new()
            }
            Action::Goto => self.open_prompt(PromptKind::Goto),
            Action::Search => self.open_prompt(PromptKind::Search { forward: true }),
            Action::SearchBack => self.open_prompt(PromptKind::Search { forward: false }),
            Action::Filter => self.open_prompt(PromptKind::Filter),
            Action::SearchNext => vec![Command::SearchAgain { reverse: false }],
            Action::SearchPrev => vec![Command::SearchAgain { reverse: true }],
            Action::Level => vec![Command::CycleLevel],
            Action::Follow => vec![Command::Follow],
            Action::NextError => vec![Command::NextAtLevel {
                forward: true,
                level: Level::Error,
            }],
            Action::PrevError => vec![Command::NextAtLevel {
                forward: false,
                level: Level::Error,
            }],
            Action::Tags => {
                self.tags = !self.tags;
                Vec::new()
            }
            Action::RawJson => {
                self.raw_json = !self.raw_json;
                self.note = Some(format!(
                    "JSON {}",
                    if self.raw_json { "raw" } else { "rendered" }
                ));
                Vec::new()
            }
            Action::Timeline => {
                self.timeline = !self.timeline;
                vec![self.resize_command()]
            }
            Action::Zone => vec![Command::CycleZone],
            Action::TimelineFocus => {
                if !self.timeline {
                    self.timeline = true;
                }
                self.mode = Mode::Timeline {
                    column: self.here_column().unwrap_or(0),
                };
                vec![self.resize_command()]
            }
            Action::Help => {
                self.mode = Mode::Help;
                Vec::new()
            }
            Action::Quit => {
                self.quit = true;
                vec![Command::Quit]
            }
        }
    }

    fn open_prompt(&mut self, kind: PromptKind) -> Vec<Command> {
        self.mode = Mode::Prompt(Prompt {
            kind,
            input: String::new(),
            pattern: PatternKind::Regex,
            recall: None,
        });
        Vec::new()
    }

    fn prompt_key(&mut self, key: KeyEvent, mut prompt: Prompt) -> Vec<Command> {
        let control = key.modifiers.contains(KeyModifiers::CONTROL);
        let history = &mut self.history[prompt.kind.history_slot()];
        match key.code {
            KeyCode::Esc => return Vec::new(),
            KeyCode::Char('c') if control => return Vec::new(),
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
                return self.submit(prompt.kind, prompt.pattern, text);
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
            KeyCode::Char(c) if !control => prompt.input.push(c),
            _ => {}
        }
        self.mode = Mode::Prompt(prompt);
        Vec::new()
    }

    fn submit(&mut self, kind: PromptKind, pattern: PatternKind, text: String) -> Vec<Command> {
        match kind {
            PromptKind::Goto if text.is_empty() => Vec::new(),
            PromptKind::Goto => vec![Command::Goto(Goto::Text(text))],
            // An empty `?` is how the keys are asked for; an empty `/` repeats.
            PromptKind::Search { forward: false } if text.is_empty() => {
                self.mode = Mode::Help;
                Vec::new()
            }
            PromptKind::Search { .. } if text.is_empty() => {
                vec![Command::SearchAgain { reverse: false }]
            }
            PromptKind::Search { forward } => vec![Command::Search {
                pattern: text,
                kind: pattern,
                forward,
            }],
            PromptKind::Filter if text.is_empty() => vec![Command::ClearFilters],
            PromptKind::Filter => match text.strip_prefix('!') {
                Some(hidden) if !hidden.is_empty() => vec![Command::AddFilter {
                    pattern: hidden.to_string(),
                    kind: pattern,
                    exclude: true,
                }],
                _ => vec![Command::AddFilter {
                    pattern: text,
                    kind: pattern,
                    exclude: false,
                }],
            },
        }
    }

    fn timeline_key(&mut self, key: KeyEvent, mut column: usize) -> Vec<Command> {
        let width = self.size.0.max(1) as usize;
        match key.code {
            KeyCode::Esc | KeyCode::Tab => return Vec::new(),
            KeyCode::Left | KeyCode::Char('h') => column = column.saturating_sub(1),
            KeyCode::Right | KeyCode::Char('l') => column = (column + 1).min(width - 1),
            KeyCode::Home => column = 0,
            KeyCode::End => column = width - 1,
            KeyCode::Enter => {
                let jump = self.jump_to_column(column);
                self.mode = Mode::Timeline { column };
                return jump;
            }
            _ => {
                if self.keymap.action(&key) == Some(Action::Quit) {
                    self.quit = true;
                    return vec![Command::Quit];
                }
            }
        }
        self.mode = Mode::Timeline { column };
        Vec::new()
    }

    /// The timeline column of the top line's time.
    pub fn here_column(&self) -> Option<usize> {
        let timeline = self.frame.timeline.as_ref()?;
        let ts = self.frame.lines.iter().find_map(|l| l.ts)?;
        Some(timeline.column_of(ts))
    }

    fn jump_to_column(&mut self, column: usize) -> Vec<Command> {
        match &self.frame.timeline {
            Some(timeline) => vec![Command::Goto(Goto::Time(timeline.time_of(column)))],
            None => {
                self.note = Some("timeline not ready yet".into());
                Vec::new()
            }
        }
    }

    /// Applies a mouse event: the wheel scrolls, a click on the timeline jumps.
    pub fn on_mouse(&mut self, event: MouseEvent) -> Vec<Command> {
        match event.kind {
            MouseEventKind::ScrollDown => vec![Command::Scroll(WHEEL_STEP)],
            MouseEventKind::ScrollUp => vec![Command::Scroll(-WHEEL_STEP)],
            MouseEventKind::Down(MouseButton::Left) => match self.areas().timeline {
                Some(area) if event.row >= area.y && event.row < area.y + area.height => {
                    self.jump_to_column(event.column as usize)
                }
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }
}
