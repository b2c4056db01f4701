//! logweave on what a real Airflow 3 deployment writes: the api-server,
//! scheduler (LocalExecutor), dag-processor and triggerer of
//! tests/remote/airflow_run.rs, started once for this binary, with a
//! finished run of tests/servers/airflow_run_dags/logweave_real.py. Its
//! files are not in time order (Airflow 3 writes stdout/stderr lines and
//! logging records as they arrive), which these tests first make sure of.

#[path = "remote/airflow_run.rs"]
mod airflow_run;
#[path = "remote/servers.rs"]
mod servers;

use std::process::{Command, Stdio};
use std::time::Duration;

use airflow_run::{airflow, TaskState, FOLLOW_DAG, SECRET_KEY};

/// Each record's time (µs since the epoch) and logger, in the order of an
/// Airflow 3 task file or an ndjson answer of the API (entries without a
/// timestamp, the answer's list of sources, are left out).
fn records(bytes: &[u8]) -> Vec<(i64, String)> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .filter_map(|line| {
            let value: serde_json::Value = serde_json::from_slice(line).expect("a JSON line");
            let when = chrono::DateTime::parse_from_rfc3339(value["timestamp"].as_str()?)
                .expect("an RFC 3339 timestamp");
            let logger = value["logger"].as_str().unwrap_or("").to_string();
            Some((when.timestamp_micros(), logger))
        })
        .collect()
}

/// Records earlier than a record above them, and the largest such gap (µs).
fn late(records: &[(i64, String)]) -> (usize, i64) {
    let mut top = i64::MIN;
    let (mut count, mut most) = (0, 0);
    for (when, _) in records {
        if *when < top {
            count += 1;
            most = most.max(top - when);
        }
        top = top.max(*when);
    }
    (count, most)
}

fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn the_chatty_task_fails_once_and_its_real_files_are_out_of_time_order() {
    let airflow = airflow();
    let run = &airflow.first_run;
    assert_eq!(
        airflow.task_state(run, "chatty", None),
        TaskState {
            state: "success".into(),
            try_number: 2
        }
    );
    for try_number in 1..=2 {
        let file = airflow.attempt(run, "chatty", None, try_number);
        let bytes = std::fs::read(&file).expect("the attempt's file");
        let in_file = records(&bytes);
        assert!(
            in_file.len() > 10_000,
            "{}: {} records",
            file.display(),
            in_file.len()
        );
        // Airflow 3's disorder: logging records written after stdout lines
        // that were stamped later.
        let (late_records, most_late) = late(&in_file);
        assert!(
            late_records > 100,
            "{}: only {late_records} late records",
            file.display()
        );
        assert!(most_late > 0);
        let stdio: Vec<_> = in_file
            .iter()
            .filter(|(_, logger)| logger.starts_with("task.std"))
            .cloned()
            .collect();
        assert!(!stdio.is_empty() && stdio.len() < in_file.len());

        // The API answers the same records (it re-sorts them).
        let answer = airflow.get(
            &airflow.log_path(run, "chatty", None, try_number),
            "application/x-ndjson",
        );
        let mut from_api = records(&answer);
        let mut expected = in_file.clone();
        from_api.sort();
        expected.sort();
        assert_eq!(from_api, expected, "try {try_number}: the API's records");
    }
    let try1 = std::fs::read(airflow.attempt(run, "chatty", None, 1)).expect("try 1");
    let try2 = std::fs::read(airflow.attempt(run, "chatty", None, 2)).expect("try 2");
    let contains =
        |hay: &[u8], needle: &str| hay.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(contains(&try1, "try 1 fails on purpose"));
    assert!(contains(&try2, "chatty done"));

    // logweave reads the task's folder: both tries, every line.
    let folder = airflow.task_folder(run, "chatty", None);
    let out = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .arg("--print")
        .arg(&folder)
        .env("TZ", "UTC")
        .stdin(Stdio::null())
        .output()
        .expect("run logweave");
    assert!(
        out.status.success(),
        "logweave --print {}: {}",
        folder.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut printed = lines(&out.stdout);
    let mut written: Vec<&[u8]> = lines(&try1).into_iter().chain(lines(&try2)).collect();
    printed.sort_unstable();
    written.sort_unstable();
    assert!(
        printed == written,
        "logweave printed {} of {} lines",
        printed.len(),
        written.len()
    );

    // The worker's log server serves try 1 as written (no local folder).
    let nothing_local = tempfile::tempdir().expect("an empty log folder");
    let out = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args([
            "airflow", "--dag", &run.dag, "--run", &run.id, "--task", "chatty", "--try", "1",
        ])
        .arg("--base-log-folder")
        .arg(nothing_local.path())
        .args(["--log-server", &airflow.log_server_url(), "--print"])
        .env("AIRFLOW__API__SECRET_KEY", SECRET_KEY)
        .env("TZ", "UTC")
        .stdin(Stdio::null())
        .output()
        .expect("run logweave");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut served = lines(&out.stdout);
    let mut written = lines(&try1);
    served.sort_unstable();
    written.sort_unstable();
    assert!(
        served == written,
        "served {} of {} lines",
        served.len(),
        written.len()
    );
}

#[test]
fn the_mapped_and_deferred_tasks_have_their_files_and_answers() {
    let airflow = airflow();
    let run = &airflow.first_run;
    for index in 0..3 {
        let file = airflow.attempt(run, "orders", Some(index), 1);
        let bytes = std::fs::read(&file).expect("a mapped attempt's file");
        let in_file = records(&bytes);
        assert!(in_file.len() > 60, "{}", file.display());
        let answer = airflow.get(
            &airflow.log_path(run, "orders", Some(index), 1),
            "application/x-ndjson",
        );
        assert_eq!(records(&answer).len(), in_file.len(), "map_index {index}");
    }
    // The deferred task's try: its own file and the triggerer's sub-log.
    let files = airflow.attempt_files(run, "deferred", None, 1);
    assert_eq!(files.len(), 2, "{files:?}");
    let sub_log = files[1].file_name().and_then(|n| n.to_str()).unwrap_or("");
    assert!(sub_log.starts_with("attempt=1.log.trigger."), "{sub_log}");
    assert!(airflow.trigger_job(run, "deferred", None, 1).is_some());
    let answer = airflow.get(
        &airflow.log_path(run, "deferred", None, 1),
        "application/x-ndjson",
    );
    let both: usize = files
        .iter()
        .map(|f| records(&std::fs::read(f).expect("read")).len())
        .sum();
    assert_eq!(records(&answer).len(), both);
}

#[test]
fn a_triggered_run_can_be_watched_through_its_retry_and_deferral() {
    let airflow = airflow();
    let run = airflow.trigger(FOLLOW_DAG, r#"{"start_delay": 3}"#);
    let minute = Duration::from_secs(60);
    let failed = airflow.wait_for_task(&run, "followed", None, minute, |s| {
        s.state == "up_for_retry" || s.try_number >= 2
    });
    assert!(failed.try_number >= 1, "{failed:?}");
    let deferred = airflow.wait_for_task(&run, "followed", None, minute, |s| {
        s.state == "deferred" || s.state == "success"
    });
    assert_eq!(deferred.try_number, 2, "{deferred:?}");
    assert_eq!(airflow.wait(&run, minute * 2), "success");
    let files = airflow.attempt_files(&run, "followed", None, 2);
    assert_eq!(files.len(), 2, "try 2 and its trigger sub-log: {files:?}");
    let try2 = std::fs::read(&files[0]).expect("try 2");
    let text = String::from_utf8_lossy(&try2);
    assert!(text.contains("try 2 running: stdout record 0"));
    assert!(text.contains("try 2: followed done"), "the resumed part");
    assert!(airflow.attempt(&run, "followed", None, 1).exists());
}
