//! What the API lists: dags, a dag's runs (newest first), a run's task
//! instances (one per map index), an instance's tries — a page at a time
//! (`limit`/`offset`), so that a deployment with 10,000 runs lists at once.
//! Airflow 3 and 2 name a few fields differently; both are read here.

use serde::Deserialize;

use super::{Api, ApiError, Generation};
use crate::airflow::AttemptId;
use crate::problem::Problem;

/// Entries asked for at once.
pub const PAGE: usize = 100;

/// One page of a list, and how many there are in all.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: usize,
}

#[derive(Debug, Deserialize)]
pub struct Dag {
    pub dag_id: String,
    #[serde(default)]
    pub is_paused: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct DagRun {
    /// `dag_run_id` on both versions.
    pub dag_run_id: String,
    pub state: Option<String>,
    /// Airflow 3's `run_after`, else the start.
    #[serde(default, alias = "execution_date")]
    pub run_after: Option<String>,
    #[serde(default)]
    pub start_date: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TaskInstance {
    pub task_id: String,
    #[serde(default = "unmapped")]
    pub map_index: i64,
    #[serde(default)]
    pub try_number: u32,
    pub state: Option<String>,
    #[serde(default)]
    pub start_date: Option<String>,
    /// Where its latest try ran (its worker's log server is there).
    #[serde(default)]
    pub hostname: Option<String>,
}

fn unmapped() -> i64 {
    -1
}

fn page_query(offset: usize, order_by: Option<&str>) -> Vec<(&'static str, String)> {
    let mut query = vec![("limit", PAGE.to_string()), ("offset", offset.to_string())];
    if let Some(order) = order_by {
        query.push(("order_by", order.to_string()));
    }
    query
}

/// Dags, by id.
pub fn dags(api: &Api, offset: usize) -> Result<Page<Dag>, ApiError> {
    #[derive(Deserialize)]
    struct Answer {
        dags: Vec<Dag>,
        total_entries: usize,
    }
    let answer: Answer = api.get_json(&["dags"], &page_query(offset, Some("dag_id")))?;
    Ok(Page {
        items: answer.dags,
        total: answer.total_entries,
    })
}

/// A dag's runs, newest first.
pub fn runs(api: &Api, dag: &str, offset: usize) -> Result<Page<DagRun>, ApiError> {
    #[derive(Deserialize)]
    struct Answer {
        dag_runs: Vec<DagRun>,
        total_entries: usize,
    }
    let order = match api.generation() {
        Generation::Airflow3 => "-run_after",
        Generation::Airflow2 => "-execution_date",
    };
    let answer: Answer =
        api.get_json(&["dags", dag, "dagRuns"], &page_query(offset, Some(order)))?;
    Ok(Page {
        items: answer.dag_runs,
        total: answer.total_entries,
    })
}

/// A run's task instances (a mapped task has one per map index).
pub fn task_instances(
    api: &Api,
    dag: &str,
    run: &str,
    offset: usize,
) -> Result<Page<TaskInstance>, ApiError> {
    #[derive(Deserialize)]
    struct Answer {
        task_instances: Vec<TaskInstance>,
        total_entries: usize,
    }
    let answer: Answer = api.get_json(
        &["dags", dag, "dagRuns", run, "taskInstances"],
        &page_query(offset, None),
    )?;
    Ok(Page {
        items: answer.task_instances,
        total: answer.total_entries,
    })
}

/// The task instance an attempt belongs to (its latest try and state).
pub fn task_instance(api: &Api, id: &AttemptId) -> Result<TaskInstance, ApiError> {
    let index = id.map_index.filter(|&i| i >= 0).map(|i| i.to_string());
    let mut segments = vec![
        "dags",
        id.dag.as_str(),
        "dagRuns",
        id.run.as_str(),
        "taskInstances",
        id.task.as_str(),
    ];
    if let Some(index) = &index {
        segments.push(index);
    }
    api.get_json(&segments, &[])
}

/// One try of a task instance as it was (its state when it ended, where it
/// ran): Airflow keeps earlier tries in its history.
pub fn attempt(api: &Api, id: &AttemptId) -> Result<TaskInstance, ApiError> {
    let index = id.map_index.filter(|&i| i >= 0).map(|i| i.to_string());
    let try_number = id.try_number.to_string();
    let mut segments = vec![
        "dags",
        id.dag.as_str(),
        "dagRuns",
        id.run.as_str(),
        "taskInstances",
        id.task.as_str(),
    ];
    if let Some(index) = &index {
        segments.push(index);
    }
    segments.extend(["tries", try_number.as_str()]);
    api.get_json(&segments, &[])
}

/// What a 404 for `id`'s log means, naming which id is not there: the
/// dag, the run, the task (or its map index) or the try.
pub fn explain_missing(api: &Api, id: &AttemptId) -> Problem {
    let shown = api.shown();
    let missing =
        |what: String, tip: &'static str| Problem::new(format!("{shown}: {what}")).with_tip(tip);
    match api.get_json::<serde_json::Value>(&["dags", &id.dag], &[]) {
        Err(ApiError::NotFound(_)) => {
            return missing(
                format!("no DAG '{}'", id.dag),
                "check --dag (ids are case-sensitive); without ids, the picker lists them",
            )
        }
        Err(e) => return e.problem(api),
        Ok(_) => {}
    }
    match api.get_json::<serde_json::Value>(&["dags", &id.dag, "dagRuns", &id.run], &[]) {
        Err(ApiError::NotFound(_)) => {
            return missing(
                format!("DAG '{}' has no run '{}'", id.dag, id.run),
                "check --run (the run id, e.g. scheduled__2024-12-19T00:00:00+00:00); \
                 without it, the picker lists the runs",
            )
        }
        Err(e) => return e.problem(api),
        Ok(_) => {}
    }
    match task_instance(api, id) {
        Err(ApiError::NotFound(_)) => {
            let what = match id.map_index.filter(|&i| i >= 0) {
                Some(index) => format!(
                    "run '{}' has no task '{}' with map index {index}",
                    id.run, id.task
                ),
                None => {
                    if let Some(indexes) = mapped_indexes(api, id) {
                        let shown: Vec<String> =
                            indexes.iter().take(10).map(i64::to_string).collect();
                        let more = if indexes.len() > 10 { ", …" } else { "" };
                        return Problem::new(format!(
                            "{shown_api}: task '{}' is mapped: its instances are by map index \
                             ({}{more})",
                            id.task,
                            shown.join(", "),
                            shown_api = api.shown(),
                        ))
                        .with_tip(format!("give one: --map-index {}", indexes[0]));
                    }
                    format!("run '{}' has no task '{}'", id.run, id.task)
                }
            };
            missing(
                what,
                "check --task (and --map-index for a mapped task); without it, the picker \
                 lists the run's tasks",
            )
        }
        Err(e) => e.problem(api),
        Ok(ti) if ti.try_number == 0 => missing(
            format!(
                "task '{}' has not run (it is {})",
                id.task,
                ti.state.as_deref().unwrap_or("not scheduled yet")
            ),
            if is_finished(&ti) {
                "it will not run unless the task is cleared"
            } else {
                "-f waits for its first try and follows it"
            },
        ),
        Ok(ti) => missing(
            format!(
                "task '{}' has no try {} (its latest is {})",
                id.task, id.try_number, ti.try_number
            ),
            "check --try, or leave it out for the latest",
        ),
    }
}

/// States in which a task instance is done: no try comes after them
/// unless somebody clears it.
pub const FINISHED: [&str; 5] = ["success", "failed", "skipped", "upstream_failed", "removed"];

/// Whether `ti` is done (see [`FINISHED`]).
pub fn is_finished(ti: &TaskInstance) -> bool {
    ti.state
        .as_deref()
        .is_some_and(|state| FINISHED.contains(&state))
}

/// The map indexes of a mapped task's instances in the run, if it is one.
fn mapped_indexes(api: &Api, id: &AttemptId) -> Option<Vec<i64>> {
    #[derive(Deserialize)]
    struct Answer {
        task_instances: Vec<TaskInstance>,
    }
    let answer: Answer = api
        .get_json(
            &[
                "dags",
                &id.dag,
                "dagRuns",
                &id.run,
                "taskInstances",
                &id.task,
                "listMapped",
            ],
            &page_query(0, None),
        )
        .ok()?;
    let indexes: Vec<i64> = answer
        .task_instances
        .iter()
        .map(|ti| ti.map_index)
        .filter(|&i| i >= 0)
        .collect();
    (!indexes.is_empty()).then_some(indexes)
}
