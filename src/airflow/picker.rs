//! `logweave airflow` without ids: the levels to pick through — dag → run
//! → task → (map index) → try — read from the log folder, newest runs and
//! tries first, with sizes and ages. Ids given on the command line skip
//! their level. This is the model; the widget that shows it and reads keys
//! is `view::picker`, and `run::airflow` joins the two.

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::discover::{self, Node};
use super::AttemptId;

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

/// What the user has chosen so far and the level in front of them.
pub struct Picker {
    base: PathBuf,
    /// Chosen levels: kind, value, folder.
    chosen: Vec<(Kind, String, PathBuf)>,
    kind: Kind,
    nodes: Vec<Node>,
    /// Ids from the command line, taken without asking.
    preset: Vec<(Kind, String)>,
}

/// What choosing did.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Went down a level (or stays, when nothing was chosen).
    Down,
    /// A try: the attempt.
    Picked(AttemptId),
    /// Could not: why.
    Failed(String),
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
            preset,
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
        Ok(())
    }

    /// Takes levels given on the command line while they exist.
    pub fn apply_preset(&mut self) -> Step {
        while let Some(at) = self.preset.iter().position(|(k, _)| *k == self.kind) {
            let (_, value) = self.preset.remove(at);
            match self.nodes.iter().position(|n| n.name == value) {
                Some(index) => match self.open(index) {
                    Step::Down => {}
                    other => return other,
                },
                None => return Step::Failed(format!("no {} '{value}' here", self.kind.title())),
            }
        }
        Step::Down
    }

    /// Descends into entry `index` of the level, or finishes on a try.
    pub fn open(&mut self, index: usize) -> Step {
        let Some(node) = self.nodes.get(index).cloned() else {
            return Step::Down;
        };
        if self.kind == Kind::Try {
            return Step::Picked(self.attempt(&node.name));
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
            self.back();
            return Step::Failed(format!("cannot read the folder: {e}"));
        }
        Step::Down
    }

    /// Goes up one level; the index of the entry it came from there, or
    /// `None` at the top.
    pub fn back(&mut self) -> Option<usize> {
        let (kind, value, _) = self.chosen.pop()?;
        let dir = self
            .chosen
            .last()
            .map_or_else(|| self.base.clone(), |(_, _, path)| path.clone());
        self.load(kind, dir).ok()?;
        Some(self.nodes.iter().position(|n| n.name == value).unwrap_or(0))
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

    /// What this level asks for: `dag`, `run`, `task`, `map index`, `try`.
    pub fn asking(&self) -> &'static str {
        self.kind.title()
    }

    /// The levels chosen so far (`dag=etl`).
    pub fn path(&self) -> Vec<String> {
        self.chosen
            .iter()
            .map(|(kind, value, _)| format!("{}={value}", kind.title()))
            .collect()
    }

    /// The log folder.
    pub fn base(&self) -> &Path {
        &self.base
    }

    /// The level's entries: a name (`attempt 2` for a try) and its size
    /// and age.
    pub fn rows(&self) -> Vec<(String, String)> {
        self.nodes
            .iter()
            .map(|n| {
                let name = match self.kind {
                    Kind::Try => format!("attempt {}", n.name),
                    _ => n.name.clone(),
                };
                (
                    name,
                    format!("{:>9}  {}", human_bytes(n.bytes), age(n.modified)),
                )
            })
            .collect()
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

    #[test]
    fn open_walks_down_to_a_try_and_back_goes_up() {
        let dir = tree();
        let mut picker = Picker::new(dir.path(), &PartialId::default()).unwrap();
        assert_eq!(picker.rows().len(), 2);
        assert_eq!(picker.open(0), Step::Down); // etl
        assert_eq!(picker.open(0), Step::Down); // manual__1
        assert_eq!(picker.open(0), Step::Down); // extract
        assert_eq!(picker.kind, Kind::Try);
        assert_eq!(picker.rows()[0].0, "attempt 2", "newest try first");
        assert_eq!(picker.path(), ["dag=etl", "run=manual__1", "task=extract"]);
        assert_eq!(picker.back(), Some(0), "back on extract");
        assert_eq!(picker.kind, Kind::Task);
        assert_eq!(picker.open(1), Step::Down); // load
        assert_eq!(picker.kind, Kind::MapIndex);
        assert_eq!(picker.open(1), Step::Down);
        assert_eq!(
            picker.open(0),
            Step::Picked(AttemptId {
                dag: "etl".into(),
                run: "manual__1".into(),
                task: "load".into(),
                map_index: Some(1),
                try_number: 1,
            })
        );
    }

    #[test]
    fn presets_skip_levels_and_a_missing_one_says_so() {
        let dir = tree();
        let known = PartialId {
            dag: Some("etl".into()),
            run: Some("manual__1".into()),
            task: Some("extract".into()),
            ..PartialId::default()
        };
        let mut picker = Picker::new(dir.path(), &known).unwrap();
        assert_eq!(picker.apply_preset(), Step::Down);
        assert_eq!(picker.kind, Kind::Try);
        let missing = PartialId {
            dag: Some("nope".into()),
            ..PartialId::default()
        };
        let mut picker = Picker::new(dir.path(), &missing).unwrap();
        assert_eq!(
            picker.apply_preset(),
            Step::Failed("no dag 'nope' here".into())
        );
        assert_eq!(picker.kind, Kind::Dag);
    }
}
