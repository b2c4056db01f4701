//! The picker's levels over the API: dags → runs (newest first, with their
//! state) → task instances (with map indexes) → tries. Each level is read
//! a page at a time as the list scrolls, so a deployment with thousands
//! of runs lists at once. No terminal here: the view's picker widget
//! draws it.

use std::sync::Arc;

use super::listing::{self, Page, PAGE};
use super::{Api, ApiError};
use crate::airflow::AttemptId;

/// What opening an entry did.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    Down,
    Picked(AttemptId),
    Failed(String),
}

/// One row: what is shown, what follows it, and what it stands for.
#[derive(Clone, Debug)]
pub struct Row {
    pub label: String,
    pub detail: String,
    choice: Choice,
}

#[derive(Clone, Debug)]
enum Choice {
    Dag(String),
    Run(String),
    Task {
        task: String,
        map_index: i64,
        tries: u32,
    },
    Try(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Level {
    Dags,
    Runs,
    Tasks,
    Tries,
}

/// Where the picker is, and the rows of its level read so far.
pub struct ApiPicker {
    api: Arc<Api>,
    level: Level,
    dag: Option<String>,
    run: Option<String>,
    task: Option<(String, i64, u32)>,
    rows: Vec<Row>,
    /// How many rows the level has in all (when the API said).
    total: usize,
    /// The row each level above was opened from, to go back to it.
    came_from: Vec<usize>,
}

impl ApiPicker {
    /// A picker at the first level the ids given leave open.
    pub fn new(
        api: Arc<Api>,
        dag: Option<String>,
        run: Option<String>,
    ) -> Result<ApiPicker, ApiError> {
        let level = match (&dag, &run) {
            (Some(_), Some(_)) => Level::Tasks,
            (Some(_), None) => Level::Runs,
            _ => Level::Dags,
        };
        let mut picker = ApiPicker {
            api,
            level,
            dag,
            run,
            task: None,
            rows: Vec::new(),
            total: 0,
            came_from: Vec::new(),
        };
        picker.load()?;
        Ok(picker)
    }

    pub fn api(&self) -> &Api {
        &self.api
    }

    /// What was chosen so far.
    pub fn path(&self) -> Vec<String> {
        let mut path = Vec::new();
        if let Some(dag) = &self.dag {
            path.push(format!("dag={dag}"));
        }
        if let Some(run) = &self.run {
            path.push(format!("run={run}"));
        }
        if let Some((task, index, _)) = &self.task {
            path.push(match index {
                -1 => format!("task={task}"),
                i => format!("task={task}[{i}]"),
            });
        }
        path
    }

    pub fn asking(&self) -> &'static str {
        match self.level {
            Level::Dags => "dag",
            Level::Runs => "run",
            Level::Tasks => "task",
            Level::Tries => "try",
        }
    }

    /// Where the rows come from, and how many there are.
    pub fn place(&self) -> String {
        let more = if self.rows.len() < self.total {
            format!(
                " · {} of {} read, more as you scroll",
                self.rows.len(),
                self.total
            )
        } else {
            String::new()
        };
        format!("{} (REST API){more}", self.api.shown())
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Reads the next page of this level; `true` if rows were added.
    pub fn more(&mut self) -> Result<bool, ApiError> {
        if self.rows.len() >= self.total {
            return Ok(false);
        }
        let before = self.rows.len();
        self.read_page(before)?;
        Ok(self.rows.len() > before)
    }

    /// Opens row `index`.
    pub fn open(&mut self, index: usize) -> Step {
        let Some(row) = self.rows.get(index).cloned() else {
            return Step::Failed("nothing to open".into());
        };
        let (level, done) = match row.choice {
            Choice::Dag(dag) => {
                self.dag = Some(dag);
                (Level::Runs, None)
            }
            Choice::Run(run) => {
                self.run = Some(run);
                (Level::Tasks, None)
            }
            Choice::Task {
                task,
                map_index,
                tries,
            } => {
                self.task = Some((task, map_index, tries));
                (Level::Tries, None)
            }
            Choice::Try(try_number) => (self.level, Some(try_number)),
        };
        if let Some(try_number) = done {
            let (Some(dag), Some(run), Some((task, map_index, _))) =
                (&self.dag, &self.run, &self.task)
            else {
                return Step::Failed("pick the dag, run and task first".into());
            };
            return Step::Picked(AttemptId {
                dag: dag.clone(),
                run: run.clone(),
                task: task.clone(),
                map_index: (*map_index >= 0).then_some(*map_index),
                try_number,
            });
        }
        let above = self.level;
        self.level = level;
        self.came_from.push(index);
        if let Err(e) = self.load() {
            let why = e.problem(&self.api).one_line();
            self.back_to(above);
            return Step::Failed(why);
        }
        Step::Down
    }

    /// Goes up a level: the row it came from, or `None` at the top.
    pub fn back(&mut self) -> Option<usize> {
        let above = match self.level {
            Level::Dags => return None,
            Level::Runs => Level::Dags,
            Level::Tasks => Level::Runs,
            Level::Tries => Level::Tasks,
        };
        // Started below (ids given): the level above is read afresh.
        let came_from = self.came_from.pop();
        self.back_to(above);
        if self.load().is_err() {
            self.rows.clear();
        }
        Some(came_from.unwrap_or(0))
    }

    fn back_to(&mut self, level: Level) {
        self.level = level;
        match level {
            Level::Dags => {
                self.dag = None;
                self.run = None;
                self.task = None;
            }
            Level::Runs => {
                self.run = None;
                self.task = None;
            }
            Level::Tasks => self.task = None,
            Level::Tries => {}
        }
    }

    /// Reads the first page of the current level.
    fn load(&mut self) -> Result<(), ApiError> {
        self.rows.clear();
        self.total = 0;
        self.read_page(0)
    }

    fn read_page(&mut self, offset: usize) -> Result<(), ApiError> {
        let api = self.api.clone();
        let dag = self.dag.clone().unwrap_or_default();
        let run = self.run.clone().unwrap_or_default();
        let (rows, total) = match self.level {
            Level::Dags => rows_of(listing::dags(&api, offset)?, |d| Row {
                label: d.dag_id.clone(),
                detail: if d.is_paused == Some(true) {
                    "paused".into()
                } else {
                    String::new()
                },
                choice: Choice::Dag(d.dag_id),
            }),
            Level::Runs => rows_of(listing::runs(&api, &dag, offset)?, |r| Row {
                label: r.dag_run_id.clone(),
                detail: format!(
                    "{}  {}",
                    r.state.as_deref().unwrap_or("-"),
                    r.run_after.or(r.start_date).unwrap_or_default()
                ),
                choice: Choice::Run(r.dag_run_id),
            }),
            Level::Tasks => rows_of(listing::task_instances(&api, &dag, &run, offset)?, |t| {
                Row {
                    label: match t.map_index {
                        -1 => t.task_id.clone(),
                        i => format!("{}[{i}]", t.task_id),
                    },
                    detail: format!(
                        "{}  {} {}",
                        t.state.as_deref().unwrap_or("-"),
                        t.try_number,
                        if t.try_number == 1 { "try" } else { "tries" }
                    ),
                    choice: Choice::Task {
                        task: t.task_id,
                        map_index: t.map_index,
                        tries: t.try_number,
                    },
                }
            }),
            Level::Tries => {
                let tries = self.task.as_ref().map_or(0, |(_, _, tries)| *tries);
                // Newest first, as the Airflow UI lists them.
                let rows = (1..=tries.max(1))
                    .rev()
                    .map(|n| Row {
                        label: format!("try {n}"),
                        detail: if n == tries {
                            "latest".into()
                        } else {
                            String::new()
                        },
                        choice: Choice::Try(n),
                    })
                    .collect();
                (rows, tries.max(1) as usize)
            }
        };
        self.rows.extend(rows);
        self.total = total.max(self.rows.len());
        Ok(())
    }
}

fn rows_of<T>(page: Page<T>, row: impl Fn(T) -> Row) -> (Vec<Row>, usize) {
    let rows: Vec<Row> = page.items.into_iter().map(row).collect();
    // A short page is the last whatever the total says.
    let total = if rows.len() < PAGE { 0 } else { page.total };
    (rows, total)
}
