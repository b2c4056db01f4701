//! The view's state and what keys and mouse events do to it. Every effect on
//! the stream is a [`Command`] for the engine; the rest (wrap, tags, help,
//! prompt) is the view's own.

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Constraint, Layout, Rect};

mod count;
mod fields;
mod filter;
mod prompt;
mod sources;

use super::json::Fields;
pub use fields::{FieldRow, FieldsPane, RowKind};
pub use prompt::{complete_path, Prompt, PromptKind, PROMPT_MAX};
pub use sources::FacetRow;

use super::keymap::{Action, Keymap};
use super::render::PaneRows;
use super::theme::Theme;
use crate::engine::{Command, Destination, FoldOp, Frame, Goto, Level, Range, Rows};

/// Rows of the timeline strip.
pub const TIMELINE_ROWS: u16 = 4;

/// Columns a horizontal scroll step moves.
const SIDE_STEP: usize = 8;

/// Lines a mouse wheel notch moves.
const WHEEL_STEP: isize = 3;

/// Something the view runs with the terminal handed over.
#[derive(Clone, Debug, PartialEq)]
pub enum Run {
    /// `|`: a shell command fed a range on its stdin.
    Pipe { range: Range, command: String },
}

/// What the keyboard is talking to.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    Normal,
    Prompt(Prompt),
    /// The keys, scrolled down `scroll` lines.
    Help {
        scroll: usize,
    },
    /// Choosing a column of the timeline strip.
    Timeline {
        column: usize,
    },
    /// Waiting for the key after `m`, `'`, … (a mark letter, mostly).
    Pending(Pending),
    /// `s` to a file that exists: overwrite it?
    Confirm {
        range: Range,
        path: PathBuf,
        tags: bool,
    },
    /// The sources panel (`=`), row `selected` chosen.
    Sources {
        selected: usize,
    },
    /// The focused record's fields (`P`).
    Fields(FieldsPane),
}

/// What the next key completes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pending {
    /// `m`: the letter to mark the focused record with.
    SetMark,
    /// `'`: a mark to go to, `'` to go back, `^`/`$` for the start/end.
    GotoMark,
    /// `Y`: the mark a copy starts from.
    CopyRange,
    /// `s`: which records to save.
    Save,
    /// `|`: which records to pipe.
    Pipe,
    /// `z`: what to do with `::group::` sections (vim's fold keys).
    Fold,
}

impl Pending {
    /// What the status bar asks while waiting.
    pub fn question(self) -> &'static str {
        match self {
            Pending::SetMark => "mark: type a letter",
            Pending::GotoMark => "go to mark: a letter, ' back, ^ start, $ end",
            Pending::CopyRange => "copy from mark: a letter (to the focused record)",
            Pending::Save => {
                "save: a mark letter (to the focused record), . the focused record, % all shown"
            }
            Pending::Pipe => {
                "pipe: a mark letter (to the focused record), . the focused record, % all shown"
            }
            Pending::Fold => "fold: a toggle, o open, c close, R open all, M fold all",
        }
    }
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
    /// Which fields rendered Airflow 3 JSON shows.
    pub fields: Fields,
    pub timeline: bool,
    /// Columns scrolled to the right (when not wrapping).
    pub hscroll: usize,
    pub size: (u16, u16),
    /// A message of the view's own (the engine's come with the frame).
    pub note: Option<String>,
    /// Prompt histories: goto, search, filter, save, pipe.
    pub history: [Vec<String>; 5],
    /// What the view is to run with the terminal handed over, once the
    /// keys now typed are handled.
    pub run: Option<Run>,
    /// The last engine effect acted on.
    pub last_effect: u64,
    /// A count typed before a key (`100g`, `50%`, `10j`), as in less.
    pub count: Option<u64>,
    /// Ctrl-Z: the view is to stop itself (the shell's job control), once
    /// the keys now typed are handled.
    pub suspend: bool,
    /// How the engine was last told to count rows.
    told_rows: Option<PaneRows>,
    /// Text to put on the clipboard (OSC 52) once the keys now typed are
    /// handled, and what to say then (the fields pane's `y`, `Y`).
    pub clipboard: Option<(Vec<u8>, String)>,
    /// The config's `[filters]`, for `&@NAME`.
    pub named_filters: std::collections::BTreeMap<String, String>,
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
            fields: Fields::AsAirflowUi,
            timeline: false,
            hscroll: 0,
            size,
            note: None,
            history: Default::default(),
            run: None,
            last_effect: 0,
            count: None,
            suspend: false,
            told_rows: None,
            clipboard: None,
            named_filters: Default::default(),
            quit: false,
        }
    }

    /// How much of the help the screen shows: where its keys scroll to.
    fn help_extent(&self) -> super::render::HelpExtent {
        super::render::help_extent(self, self.areas().pane)
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

    /// A page: the pane's rows (the engine moves in rows as drawn).
    fn page(&self) -> isize {
        self.areas().pane.height.max(1) as isize
    }

    /// Tells the engine how the pane counts a line's rows when that
    /// changed: the width, wrapping, JSON rendering, the tags or the mark
    /// gutter. Asked once per batch of input and per frame (other sources
    /// or marks), not per key: a paste typed as 100,000 keys is one batch.
    pub fn rows_command(&mut self) -> Option<Command> {
        if self
            .told_rows
            .as_ref()
            .is_some_and(|told| super::render::pane_measures_as(self, told))
        {
            return None;
        }
        let rows = super::render::pane_rows(self);
        self.told_rows = Some(rows.clone());
        Some(Command::Layout(Rows(Arc::new(rows))))
    }

    /// Applies a terminal resize.
    pub fn on_resize(&mut self, width: u16, height: u16) -> Vec<Command> {
        self.size = (width, height);
        vec![self.resize_command()]
    }

    /// Applies a key press.
    pub fn on_key(&mut self, key: KeyEvent) -> Vec<Command> {
        self.note = None;
        if self.mode != Mode::Normal && self.keymap.action(&key) == Some(Action::Interrupt) {
            // Ctrl-C leaves a prompt, a question, help or a panel, as Esc does.
            self.mode = Mode::Normal;
            self.count = None;
            return Vec::new();
        }
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::Normal => self.normal_key(key),
            Mode::Help { scroll } => {
                // Moving keys scroll, a page as the popup shows it; any
                // other closes help, q included (as in less, whose q leaves
                // its help, not the file).
                let extent = self.help_extent();
                let page = extent.shown.saturating_sub(1).max(1);
                let scroll = match self.keymap.action(&key) {
                    Some(Action::Down | Action::FocusDown) => scroll + 1,
                    Some(Action::Up | Action::FocusUp) => scroll.saturating_sub(1),
                    Some(Action::PageDown) => scroll + page,
                    Some(Action::PageUp) => scroll.saturating_sub(page),
                    Some(Action::HalfDown) => scroll + page.div_ceil(2),
                    Some(Action::HalfUp) => scroll.saturating_sub(page.div_ceil(2)),
                    Some(Action::Start) => 0,
                    Some(Action::End) => extent.max_scroll(),
                    _ => return Vec::new(),
                };
                self.mode = Mode::Help {
                    scroll: scroll.min(extent.max_scroll()),
                };
                Vec::new()
            }
            Mode::Prompt(prompt) => self.prompt_key(key, prompt),
            Mode::Timeline { column } => self.timeline_key(key, column),
            Mode::Sources { selected } => self.sources_key(key, selected),
            Mode::Fields(pane) => self.fields_key(key, pane),
            Mode::Pending(pending) => self.pending_key(key, pending),
            Mode::Confirm { range, path, tags } => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => vec![Command::Export {
                    range,
                    destination: Destination::File {
                        path,
                        overwrite: true,
                    },
                    tags,
                }],
                _ => {
                    self.note = Some(format!("not saved: {} is left as it was", path.display()));
                    Vec::new()
                }
            },
        }
    }

    /// The key after `m`, `'`, `Y`, `s` or `|`.
    fn pending_key(&mut self, key: KeyEvent, pending: Pending) -> Vec<Command> {
        let c = match key.code {
            KeyCode::Char(c) => c,
            KeyCode::Enter => '%',
            _ => return Vec::new(),
        };
        let range = match c {
            '.' => Some(Range::Focused),
            '%' => Some(Range::All),
            c if c.is_ascii_alphabetic() => Some(Range::FromMark(c)),
            _ => None,
        };
        if pending == Pending::Fold {
            let op = match c {
                'a' => FoldOp::Toggle,
                'o' => FoldOp::Open,
                'c' => FoldOp::Close,
                'R' => FoldOp::OpenAll,
                'M' => FoldOp::CloseAll,
                _ => {
                    self.note = Some(format!("z{c}: try za, zo, zc, zR or zM"));
                    return Vec::new();
                }
            };
            return vec![Command::Fold(op)];
        }
        match (pending, range) {
            (Pending::Save, Some(range)) => return self.open_prompt(PromptKind::Save { range }),
            (Pending::Pipe, Some(range)) => return self.open_prompt(PromptKind::Pipe { range }),
            (Pending::CopyRange, Some(range @ Range::FromMark(_))) => {
                return vec![Command::Copy(range)]
            }
            _ => {}
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) {
            return Vec::new();
        }
        match (pending, c) {
            (Pending::GotoMark, '\'') => vec![Command::JumpBack],
            (Pending::GotoMark, '^') => vec![Command::Start],
            (Pending::GotoMark, '$') => vec![Command::End],
            (Pending::GotoMark, c) if c.is_ascii_alphabetic() => vec![Command::GotoMark(c)],
            (Pending::SetMark, c) if c.is_ascii_alphabetic() => vec![Command::SetMark(c)],
            (Pending::Save | Pending::Pipe, _) => {
                self.note = Some(format!("'{c}': give a mark letter, . or %"));
                Vec::new()
            }
            _ => {
                self.note = Some(format!("'{c}' is not a mark: marks are letters"));
                Vec::new()
            }
        }
    }

    fn normal_key(&mut self, key: KeyEvent) -> Vec<Command> {
        if let Some(digit) = count::digit(&key, self.count.is_some()) {
            self.count = Some(count::push(self.count, digit));
            return Vec::new();
        }
        // A count applies to the key after it, whatever that key is.
        let count = self.count.take();
        if key.code == KeyCode::Esc {
            // Stops a running search or scan (and drops a count typed).
            return vec![Command::Cancel];
        }
        let Some(action) = self.keymap.action(&key) else {
            return Vec::new();
        };
        if let Some(commands) = self.counted(action, count) {
            return commands;
        }
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
            Action::Percent => {
                self.note = Some("type the share first: 50% goes half-way, 0% to the top".into());
                Vec::new()
            }
            Action::Interrupt => vec![Command::Interrupt],
            Action::Suspend => {
                self.suspend = true;
                Vec::new()
            }
            Action::Sources => {
                self.mode = Mode::Sources { selected: 0 };
                Vec::new()
            }
            Action::ToggleSource => match self.focused_source() {
                Some(source) => vec![Command::ToggleSource(source)],
                None => Vec::new(),
            },
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
            Action::SearchNext => vec![Command::SearchAgain {
                reverse: false,
                times: 1,
            }],
            Action::SearchPrev => vec![Command::SearchAgain {
                reverse: true,
                times: 1,
            }],
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
            Action::NextNew => vec![Command::NextNew { forward: true }],
            Action::PrevNew => vec![Command::NextNew { forward: false }],
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
            Action::AllFields => {
                self.fields = match self.fields {
                    Fields::AsAirflowUi => Fields::All,
                    Fields::All => Fields::AsAirflowUi,
                };
                self.note = Some(
                    match self.fields {
                        Fields::All => "JSON: all fields",
                        Fields::AsAirflowUi => "JSON: fields as the Airflow UI shows them",
                    }
                    .into(),
                );
                Vec::new()
            }
            Action::Timeline => {
                self.timeline = !self.timeline;
                vec![self.resize_command()]
            }
            Action::Zone => vec![Command::CycleZone],
            Action::FocusDown => vec![Command::FocusBy(1)],
            Action::FocusUp => vec![Command::FocusBy(-1)],
            Action::NextRecord => vec![Command::FocusRecord { forward: true }],
            Action::PrevRecord => vec![Command::FocusRecord { forward: false }],
            Action::Mark => self.wait_for(Pending::SetMark),
            Action::GotoMark => self.wait_for(Pending::GotoMark),
            Action::Copy => vec![Command::Copy(Range::Focused)],
            Action::CopyRange => self.wait_for(Pending::CopyRange),
            Action::Save => self.wait_for(Pending::Save),
            Action::Pipe => self.wait_for(Pending::Pipe),
            Action::Edit => vec![Command::Edit],
            Action::Fields => vec![Command::Fields],
            Action::Fold => self.wait_for(Pending::Fold),
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
                self.mode = Mode::Help { scroll: 0 };
                Vec::new()
            }
            Action::Quit => {
                self.quit = true;
                vec![Command::Quit]
            }
        }
    }

    /// The next key completes the action (`m`, `'`, `Y`, `s`, `|`, `z`).
    fn wait_for(&mut self, pending: Pending) -> Vec<Command> {
        self.mode = Mode::Pending(pending);
        Vec::new()
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

    /// Applies a mouse event: the wheel scrolls, a click on the timeline
    /// jumps, a click on a line focuses it.
    pub fn on_mouse(&mut self, event: MouseEvent) -> Vec<Command> {
        let areas = self.areas();
        let inside = |area: Rect| event.row >= area.y && event.row < area.y + area.height;
        match event.kind {
            MouseEventKind::ScrollDown => vec![Command::Scroll(WHEEL_STEP)],
            MouseEventKind::ScrollUp => vec![Command::Scroll(-WHEEL_STEP)],
            MouseEventKind::Down(MouseButton::Left) => match areas.timeline {
                Some(area) if inside(area) => self.jump_to_column(event.column as usize),
                _ if inside(areas.pane) && self.mode == Mode::Normal => {
                    match super::render::line_at_row(self, (event.row - areas.pane.y) as usize) {
                        Some(line) => vec![Command::FocusRow(line)],
                        None => Vec::new(),
                    }
                }
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }
}
