//! The try `airflow --compare-with` compares with: `try:N` of the same
//! run, or `last-success` — the latest try of the same task (and map
//! index) before this one, in this run or an earlier one, that succeeded.
//!
//! The API knows each try's state ([`last_success_by_api`]). The log
//! folder does not: there a try succeeded when the end of its log says
//! so — no failure record (Airflow 3's `Task failed with exception`,
//! Airflow 2's `Marking task as FAILED`/`UP_FOR_RETRY`) and an ending as
//! Airflow writes it after a task that returned (Airflow 3's post-execute
//! group, Airflow 2's `Marking task as SUCCESS`).

use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use super::api::{listing, Api, ApiError};
use super::discover;
use super::AttemptId;

/// How much of a log's end is read for its outcome.
const TAIL: u64 = 256 * 1024;

/// Runs of the DAG looked at, newest first, before giving up.
const RUNS_LOOKED_AT: usize = 50;

const FAILED: [&str; 4] = [
    "Task failed with exception",
    "Marking task as FAILED",
    "Marking task as UP_FOR_RETRY",
    "\"event\":\"Task failed",
];
const SUCCEEDED: [&str; 2] = [
    "Marking task as SUCCESS",
    "\"event\":\"::group::Post Execute\"",
];

/// What the end of a log file says of its try: `Some(true)` succeeded,
/// `Some(false)` failed, `None` not known (still running, cut short).
pub fn outcome_in_log(path: &Path) -> io::Result<Option<bool>> {
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(TAIL)))?;
    let mut tail = Vec::new();
    file.take(TAIL).read_to_end(&mut tail)?;
    let has = |needle: &str| memchr::memmem::find(&tail, needle.as_bytes()).is_some();
    Ok(if FAILED.iter().any(|n| has(n)) {
        Some(false)
    } else if SUCCEEDED.iter().any(|n| has(n)) {
        Some(true)
    } else {
        None
    })
}

/// The latest try before `id` in the log folder `base` whose log says it
/// succeeded: `id`'s earlier tries, then those of the DAG's runs modified
/// before `id`'s run, newest first.
pub fn last_success_in_folder(base: &Path, id: &AttemptId) -> io::Result<Option<AttemptId>> {
    let dag_dir = base.join(format!("dag_id={}", id.dag));
    let mut runs = discover::children(&dag_dir, "run_id")?;
    discover::newest_first(&mut runs);
    // This run first, then those before it.
    let here = runs.iter().position(|r| r.name == id.run);
    let order = here
        .into_iter()
        .chain((here.map_or(0, |h| h + 1)..runs.len()).take(RUNS_LOOKED_AT));
    for index in order {
        let run = &runs[index];
        let mut task_dir = run.path.join(format!("task_id={}", id.task));
        if let Some(map_index) = id.map_index.filter(|&i| i >= 0) {
            task_dir = task_dir.join(format!("map_index={map_index}"));
        }
        let Ok(tries) = discover::tries(&task_dir) else {
            continue;
        };
        for node in tries {
            let Ok(number) = node.name.parse::<u32>() else {
                continue;
            };
            if run.name == id.run && number >= id.try_number {
                continue;
            }
            if outcome_in_log(&node.path).ok().flatten() == Some(true) {
                return Ok(Some(AttemptId {
                    run: run.name.clone(),
                    try_number: number,
                    ..id.clone()
                }));
            }
        }
    }
    Ok(None)
}

/// The latest try before `id` that the API says succeeded: `id`'s earlier
/// tries, then the latest successful try of the DAG's earlier runs.
pub fn last_success_by_api(api: &Api, id: &AttemptId) -> Result<Option<AttemptId>, ApiError> {
    for number in (1..id.try_number).rev() {
        let earlier = AttemptId {
            try_number: number,
            ..id.clone()
        };
        if listing::attempt(api, &earlier)?.state.as_deref() == Some("success") {
            return Ok(Some(earlier));
        }
    }
    let runs = listing::runs(api, &id.dag, 0)?.items;
    let here = runs.iter().position(|r| r.dag_run_id == id.run);
    let Some(here) = here else {
        return Ok(None);
    };
    for run in runs.iter().skip(here + 1).take(RUNS_LOOKED_AT) {
        let in_run = AttemptId {
            run: run.dag_run_id.clone(),
            try_number: 0,
            ..id.clone()
        };
        let ti = match listing::task_instance(api, &in_run) {
            Ok(ti) => ti,
            Err(ApiError::NotFound(_)) => continue,
            Err(e) => return Err(e),
        };
        for number in (1..=ti.try_number).rev() {
            let earlier = AttemptId {
                try_number: number,
                ..in_run.clone()
            };
            let state = if number == ti.try_number {
                ti.state.clone()
            } else {
                listing::attempt(api, &earlier)?.state
            };
            if state.as_deref() == Some("success") {
                return Ok(Some(earlier));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logs_end_says_whether_its_try_succeeded() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let failed = write(
            "f.log",
            "{\"event\":\"Task failed with exception\"}\n{\"event\":\"::group::Post Execute\"}\n",
        );
        assert_eq!(outcome_in_log(&failed).unwrap(), Some(false));
        let ok = write("s.log", "{\"event\":\"chatty done\"}\n{\"timestamp\":\"x\",\"event\":\"::group::Post Execute\"}\n");
        assert_eq!(outcome_in_log(&ok).unwrap(), Some(true));
        let airflow2 = write(
            "a2.log",
            "[x] {taskinstance.py:1} INFO - Marking task as SUCCESS. dag_id=etl\n",
        );
        assert_eq!(outcome_in_log(&airflow2).unwrap(), Some(true));
        let running = write("r.log", "{\"event\":\"Processing batch 1\"}\n");
        assert_eq!(outcome_in_log(&running).unwrap(), None);
    }
}
