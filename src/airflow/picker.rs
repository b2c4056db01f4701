//! `logweave airflow` without ids: pick dag → run → task → (map index) →
//! try from the log folder, keyboard-driven, newest runs and tries first,
//! with sizes. Ids given on the command line skip their level.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph};
use ratatui::Frame;

use super::discover::{self, Node};
use super::AttemptId;
use crate::view::terminal::TerminalGuard;

/// A level of the folder tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dag,
    Run,
    Task,
    MapIndex,
    Try,
}

impl Kind {
    fn title(self) -> &'static str {
        match self {
            Kind::Dag => "dag",
            Kind::Run => "run",
            Kind::Task => "task",
            Kind::MapIndex => "map index",
            Kind::Try => "try",
        }
    }
}

/// What the user has chosen so far and the list in front of them.
pub struct Picker {
    base: PathBuf,
    /// Chosen levels: kind, value, folder.
    chosen: Vec<(Kind, String, PathBuf)>,
    kind: Kind,
    nodes: Vec<Node>,
    filter: String,
    selected: usize,
    /// Ids from the command line, taken without asking.
    preset: Vec<(Kind, String)>,
    message: Option<String>,
}

/// What a key did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Continue,
    Quit,
    Picked(AttemptId),
}

impl Picker {
    /// A picker over `base`, with the ids already known.
    pub fn new(base: &Path, known: &PartialId) -> io::Result<Picker> {
        let mut preset = Vec::new();
        for (kind, value) in [
            (Kind::Dag, &known.dag),
            (Kind::Run, &known.run),
            (Kind::Task, &known.task),
        ] {
            if let Some(value) = value {
                preset.push((kind, value.clone()));
            }
        }
        if let Some(index) = known.map_index {
            preset.push((Kind::MapIndex, index.to_string()));
        }
        if let Some(number) = known.try_number {
            preset.push((Kind::Try, number.to_string()));
        }
        let mut picker = Picker {
            base: base.to_path_buf(),
            chosen: Vec::new(),
            kind: Kind::Dag,
            nodes: Vec::new(),
            filter: String::new(),
            selected: 0,
            preset,
            message: None,
        };
        picker.load(Kind::Dag, base.to_path_buf())?;
        Ok(picker)
    }

    fn load(&mut self, kind: Kind, dir: PathBuf) -> io::Result<()> {
        let mut nodes = match kind {
            Kind::Dag => discover::children(&dir, "dag_id")?,
            Kind::Run => discover::children(&dir, "run_id")?,
            Kind::Task => discover::children(&dir, "task_id")?,
            Kind::MapIndex => {
                let mut nodes = discover::children(&dir, "map_index")?;
                nodes.sort_by_key(|n| n.name.parse::<i64>().unwrap_or(i64::MAX));
                nodes
            }
            Kind::Try => discover::tries(&dir)?,
        };
        if kind == Kind::Run {
            discover::newest_first(&mut nodes);
        }
        self.kind = kind;
        self.nodes = nodes;
        self.filter.clear();
        self.selected = 0;
        Ok(())
    }

    /// Takes levels given on the command line while they exist.
    pub fn apply_preset(&mut self) -> Outcome {
        while let Some(at) = self.preset.iter().position(|(k, _)| *k == self.kind) {
            let (_, value) = self.preset.remove(at);
            match self.nodes.iter().position(|n| n.name == value) {
                Some(index) => {
                    self.selected = index;
                    match self.choose() {
                        Outcome::Continue => {}
                        other => return other,
                    }
                }
                None => {
                    self.message = Some(format!("no {} '{value}' here", self.kind.title()));
                    break;
                }
            }
        }
        Outcome::Continue
    }

    fn visible(&self) -> Vec<&Node> {
        let filter = self.filter.to_lowercase();
        self.nodes
            .iter()
            .filter(|n| n.name.to_lowercase().contains(&filter))
            .collect()
    }

    /// Descends into the selected entry, or finishes on a try.
    fn choose(&mut self) -> Outcome {
        let Some(node) = self.visible().get(self.selected).map(|n| (*n).clone()) else {
            return Outcome::Continue;
        };
        if self.kind == Kind::Try {
            return Outcome::Picked(self.attempt(&node.name));
        }
        let next = match self.kind {
            Kind::Dag => Kind::Run,
            Kind::Run => Kind::Task,
            // A mapped task keeps its tries one folder deeper.
            Kind::Task if has_map_indexes(&node.path) => Kind::MapIndex,
            _ => Kind::Try,
        };
        self.chosen
            .push((self.kind, node.name.clone(), node.path.clone()));
        if let Err(e) = self.load(next, node.path) {
            self.message = Some(format!("cannot read the folder: {e}"));
            self.back();
        }
        Outcome::Continue
    }

    /// Goes up one level.
    fn back(&mut self) {
        if let Some((kind, value, _)) = self.chosen.pop() {
            let dir = self
                .chosen
                .last()
                .map_or_else(|| self.base.clone(), |(_, _, path)| path.clone());
            if self.load(kind, dir).is_ok() {
                self.selected = self.nodes.iter().position(|n| n.name == value).unwrap_or(0);
            }
        }
    }

    fn attempt(&self, try_name: &str) -> AttemptId {
        let value = |kind: Kind| {
            self.chosen
                .iter()
                .find(|(k, _, _)| *k == kind)
                .map(|(_, v, _)| v.clone())
        };
        AttemptId {
            dag: value(Kind::Dag).unwrap_or_default(),
            run: value(Kind::Run).unwrap_or_default(),
            task: value(Kind::Task).unwrap_or_default(),
            map_index: value(Kind::MapIndex).and_then(|v| v.parse().ok()),
            try_number: try_name.parse().unwrap_or(1),
        }
    }

    /// Applies one key.
    pub fn key(&mut self, key: KeyEvent) -> Outcome {
        self.message = None;
        let count = self.visible().len();
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('c') if ctrl => return Outcome::Quit,
            KeyCode::Esc if !self.filter.is_empty() => self.filter.clear(),
            KeyCode::Esc if self.chosen.is_empty() => return Outcome::Quit,
            KeyCode::Esc | KeyCode::Left => self.back(),
            KeyCode::Backspace if self.filter.is_empty() => self.back(),
            KeyCode::Backspace => {
                self.filter.pop();
                self.selected = 0;
            }
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down => self.selected = (self.selected + 1).min(count.saturating_sub(1)),
            KeyCode::PageUp => self.selected = self.selected.saturating_sub(10),
            KeyCode::PageDown => self.selected = (self.selected + 10).min(count.saturating_sub(1)),
            KeyCode::Home => self.selected = 0,
            KeyCode::End => self.selected = count.saturating_sub(1),
            KeyCode::Enter | KeyCode::Right => return self.choose(),
            KeyCode::Char(c) if !ctrl => {
                self.filter.push(c);
                self.selected = 0;
            }
            _ => {}
        }
        Outcome::Continue
    }

    /// Draws the picker.
    pub fn render(&self, frame: &mut Frame) {
        let [head, list, foot] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Min(1),
            Constraint::Length(1),
        ])
        .areas(frame.area());
        let mut path: Vec<Span> = vec![Span::styled(
            "logweave airflow  ",
            Style::new().add_modifier(Modifier::BOLD),
        )];
        for (kind, value, _) in &self.chosen {
            path.push(Span::raw(format!("{}={value} › ", kind.title())));
        }
        path.push(Span::styled(
            format!("pick a {}", self.kind.title()),
            Style::new().add_modifier(Modifier::REVERSED),
        ));
        let filter = if self.filter.is_empty() {
            format!("{}", self.base.display())
        } else {
            format!("filter: {}", self.filter)
        };
        frame.render_widget(
            Paragraph::new(vec![Line::from(path), Line::from(filter)]),
            head,
        );
        let visible = self.visible();
        let width = visible
            .iter()
            .map(|n| n.name.chars().count())
            .max()
            .unwrap_or(0);
        let items: Vec<ListItem> = visible
            .iter()
            .map(|n| {
                let name = match self.kind {
                    Kind::Try => format!("attempt {}", n.name),
                    _ => n.name.clone(),
                };
                ListItem::new(format!(
                    "{name:<width$}  {:>9}  {}",
                    human_bytes(n.bytes),
                    age(n.modified),
                    width = width + if self.kind == Kind::Try { 8 } else { 0 }
                ))
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
                format!(
                    "no {} folders here · ← back · q/Esc quit",
                    self.kind.title()
                )
            }
            (None, true) => "nothing matches · Backspace edits the filter".into(),
            (None, false) => {
                "↑↓ move · Enter/→ open · ←/Backspace back · type to filter · Esc quit".into()
            }
        };
        frame.render_widget(Paragraph::new(help), foot);
    }
}

/// The ids given on the command line (any may be missing).
#[derive(Debug, Clone, Default)]
pub struct PartialId {
    pub dag: Option<String>,
    pub run: Option<String>,
    pub task: Option<String>,
    pub map_index: Option<i64>,
    pub try_number: Option<u32>,
}

fn has_map_indexes(task_dir: &Path) -> bool {
    discover::children(task_dir, "map_index").is_ok_and(|c| !c.is_empty())
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn age(modified: SystemTime) -> String {
    let Ok(elapsed) = SystemTime::now().duration_since(modified) else {
        return "just now".into();
    };
    let secs = elapsed.as_secs();
    match secs {
        0..=59 => format!("{secs}s ago"),
        60..=3599 => format!("{}m ago", secs / 60),
        3600..=86_399 => format!("{}h ago", secs / 3600),
        _ => format!("{}d ago", secs / 86_400),
    }
}

/// Runs the picker on the terminal; `None` when the user quit.
pub fn pick(base: &Path, known: &PartialId) -> io::Result<Option<AttemptId>> {
    let mut picker = Picker::new(base, known)?;
    if let Outcome::Picked(id) = picker.apply_preset() {
        return Ok(Some(id));
    }
    // SIGTERM, SIGINT or SIGHUP end the picker like `q`, so that the
    // terminal is given back (the guard restores it on every return).
    let signalled = Arc::new(AtomicBool::new(false));
    let signals = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    {
        use tokio::signal::unix::{signal, SignalKind};
        let _entered = signals.enter();
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut hangup = signal(SignalKind::hangup())?;
        let flag = signalled.clone();
        signals.spawn(async move {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
                _ = hangup.recv() => {}
            }
            flag.store(true, Ordering::SeqCst);
        });
    }
    let mut guard = TerminalGuard::enter()?;
    loop {
        guard.terminal.draw(|frame| picker.render(frame))?;
        if !event::poll(Duration::from_millis(100))? {
            if signalled.load(Ordering::SeqCst) {
                return Ok(None);
            }
            continue;
        }
        let Event::Key(key) = event::read()? else {
            continue;
        };
        if key.kind == KeyEventKind::Release {
            continue;
        }
        // `q` quits where it cannot be part of a filter.
        if key.code == KeyCode::Char('q') && picker.filter.is_empty() {
            return Ok(None);
        }
        match picker.key(key) {
            Outcome::Continue => {}
            Outcome::Quit => return Ok(None),
            Outcome::Picked(id) => return Ok(Some(id)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for path in [
            "dag_id=etl/run_id=manual__1/task_id=extract/attempt=1.log",
            "dag_id=etl/run_id=manual__1/task_id=extract/attempt=2.log",
            "dag_id=etl/run_id=manual__1/task_id=load/map_index=0/attempt=1.log",
            "dag_id=etl/run_id=manual__1/task_id=load/map_index=1/attempt=1.log",
            "dag_id=other/run_id=r/task_id=t/attempt=1.log",
        ] {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"[2024-12-19T00:00:00.000+0000] x\n").unwrap();
        }
        dir
    }

    fn press(picker: &mut Picker, code: KeyCode) -> Outcome {
        picker.key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn enter_walks_down_to_a_try_and_back_goes_up() {
        let dir = tree();
        let mut picker = Picker::new(dir.path(), &PartialId::default()).unwrap();
        assert_eq!(picker.visible().len(), 2);
        assert_eq!(press(&mut picker, KeyCode::Enter), Outcome::Continue); // etl
        assert_eq!(press(&mut picker, KeyCode::Enter), Outcome::Continue); // manual__1
        assert_eq!(press(&mut picker, KeyCode::Enter), Outcome::Continue); // extract
        assert_eq!(picker.kind, Kind::Try);
        assert_eq!(picker.visible()[0].name, "2", "newest try first");
        press(&mut picker, KeyCode::Backspace);
        assert_eq!(picker.kind, Kind::Task);
        press(&mut picker, KeyCode::Down); // load
        press(&mut picker, KeyCode::Enter);
        assert_eq!(picker.kind, Kind::MapIndex);
        press(&mut picker, KeyCode::Down);
        press(&mut picker, KeyCode::Enter);
        let picked = press(&mut picker, KeyCode::Enter);
        assert_eq!(
            picked,
            Outcome::Picked(AttemptId {
                dag: "etl".into(),
                run: "manual__1".into(),
                task: "load".into(),
                map_index: Some(1),
                try_number: 1,
            })
        );
    }

    #[test]
    fn typing_filters_and_presets_skip_levels() {
        let dir = tree();
        let mut picker = Picker::new(dir.path(), &PartialId::default()).unwrap();
        for c in "oth".chars() {
            press(&mut picker, KeyCode::Char(c));
        }
        assert_eq!(picker.visible().len(), 1);
        assert_eq!(picker.visible()[0].name, "other");

        let known = PartialId {
            dag: Some("etl".into()),
            run: Some("manual__1".into()),
            task: Some("extract".into()),
            ..PartialId::default()
        };
        let mut picker = Picker::new(dir.path(), &known).unwrap();
        assert_eq!(picker.apply_preset(), Outcome::Continue);
        assert_eq!(picker.kind, Kind::Try);
    }
}
