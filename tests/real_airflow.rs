//! logweave on what a real Airflow 3 deployment writes: the api-server,
//! scheduler (LocalExecutor), dag-processor and triggerer of
//! tests/remote/airflow_run.rs, started once for this binary, with a
//! finished run of tests/servers/airflow_run_dags/logweave_real.py. Its
//! files are not in time order (Airflow 3 writes stdout/stderr lines and
//! logging records as they arrive), which these tests first make sure of.

#[path = "remote/airflow_run.rs"]
mod airflow_run;
#[path = "real_airflow/compare.rs"]
mod compare;
#[path = "e2e/cpu.rs"]
mod cpu;
#[path = "real_airflow/follow.rs"]
mod follow;
#[path = "real_airflow/follow_served.rs"]
mod follow_served;
#[path = "e2e/harness.rs"]
mod harness;
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

    // Through the API without --map-index, a mapped task names its indexes.
    let out = logweave(&[
        "airflow".as_ref(),
        "--api".as_ref(),
        airflow.api.as_ref(),
        "--dag".as_ref(),
        run.dag.as_ref(),
        "--run".as_ref(),
        run.id.as_ref(),
        "--task".as_ref(),
        "orders".as_ref(),
        "--print".as_ref(),
    ]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains("task 'orders' is mapped: its instances are by map index (0, 1, 2)")
            && said.contains("--map-index 0"),
        "{said}"
    );
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

fn logweave(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(args)
        .env("TZ", "UTC")
        .env("AIRFLOW__API__SECRET_KEY", SECRET_KEY)
        .env_remove("AIRFLOW_API_URL")
        .env("AIRFLOW_API_USER", airflow_run::ADMIN.0)
        .env("AIRFLOW_API_PASSWORD", airflow_run::ADMIN.1)
        .stdin(Stdio::null())
        .output()
        .expect("run logweave")
}

fn printed(args: &[&std::ffi::OsStr]) -> Vec<u8> {
    let out = logweave(args);
    assert!(
        out.status.success(),
        "logweave {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The file's lines in time order: a stable sort by timestamp (µs), ties
/// in file order — what logweave's canonical order is on Airflow 3's
/// bounded disorder, and what Airflow's UI shows (it sorts by the
/// millisecond; this sorts within it too).
fn time_ordered(bytes: &[u8]) -> Vec<&[u8]> {
    let mut keyed: Vec<(i64, &[u8])> = lines(bytes)
        .into_iter()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_slice(line).expect("a JSON line");
            let when = value["timestamp"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map_or(i64::MIN, |t| t.timestamp_micros());
            (when, line)
        })
        .collect();
    keyed.sort_by_key(|&(when, _)| when);
    keyed.into_iter().map(|(_, line)| line).collect()
}

#[test]
fn what_airflow_wrote_is_shown_in_time_order_each_record_once_from_every_copy() {
    let airflow = airflow();
    let run = &airflow.first_run;
    let file = airflow.attempt(run, "chatty", None, 1);
    let written = std::fs::read(&file).expect("try 1");

    // One source: its records in time order, every one of them.
    let alone = printed(&[file.as_os_str(), "--print".as_ref()]);
    assert!(
        lines(&alone) == time_ordered(&written),
        "--print of the real file is not the file in time order"
    );

    // The API's answer (what the Airflow UI shows) re-sorted by the
    // microsecond is the same sequence, and so is logweave's order of it.
    let dir = tempfile::tempdir().expect("tempdir");
    let api_copy = dir.path().join("answer.ndjson");
    std::fs::write(
        &api_copy,
        airflow.get(
            &airflow.log_path(run, "chatty", None, 1),
            "application/x-ndjson",
        ),
    )
    .expect("write the answer");
    let answer = std::fs::read(&api_copy).expect("read");
    let as_answered = printed(&[api_copy.as_os_str(), "--print".as_ref()]);
    let key = |line: &[u8]| -> String {
        let value: serde_json::Value = serde_json::from_slice(line).expect("json");
        format!("{} {}", value["timestamp"], value["event"])
    };
    let ours: Vec<String> = lines(&alone).into_iter().map(key).collect();
    let theirs: Vec<String> = time_ordered(&answer)
        .into_iter()
        .filter(|l| !l.starts_with(br#"{"timestamp":null"#))
        .map(key)
        .collect();
    assert_eq!(ours, theirs, "the UI's records, in time order");
    let answered: Vec<String> = lines(&as_answered)
        .into_iter()
        .filter(|l| !l.starts_with(br#"{"timestamp":null"#))
        .map(key)
        .collect();
    assert_eq!(
        ours, answered,
        "logweave orders the API's answer the same way"
    );

    // The file, a copy of it, and the API's answer: each record once.
    let copy = dir.path().join("copy.log");
    std::fs::copy(&file, &copy).expect("copy");
    let merged = printed(&[
        file.as_os_str(),
        copy.as_os_str(),
        api_copy.as_os_str(),
        "--print".as_ref(),
    ]);
    // The API's "Log message source details" lines, before its first
    // record, are its own: shown once beside the records.
    let details: Vec<&[u8]> = lines(&answer)
        .into_iter()
        .take_while(|l| l.starts_with(br#"{"timestamp":null"#))
        .collect();
    assert!(
        !details.is_empty(),
        "the API's answer begins with its source details"
    );
    assert_eq!(
        lines(&merged).len(),
        lines(&written).len() + details.len(),
        "copies of a file written out of time order are shown once"
    );
    for line in &details {
        let shown = lines(&merged).into_iter().filter(|l| l == line).count();
        assert_eq!(shown, 1, "{}", String::from_utf8_lossy(line));
    }

    // Local, served and API copies through `logweave airflow`.
    let served = printed(&[
        "airflow".as_ref(),
        "--dag".as_ref(),
        run.dag.as_ref(),
        "--run".as_ref(),
        run.id.as_ref(),
        "--task".as_ref(),
        "chatty".as_ref(),
        "--try".as_ref(),
        "1".as_ref(),
        "--base-log-folder".as_ref(),
        airflow.logs.as_os_str(),
        "--log-server".as_ref(),
        airflow.log_server_url().as_ref(),
        "--print".as_ref(),
    ]);
    assert!(
        lines(&served) == time_ordered(&written),
        "local and served copies: {} lines for {}",
        lines(&served).len(),
        lines(&written).len()
    );

    // The mapped task's file twice (its last print sits among earlier logging).
    let mapped = airflow.attempt(run, "orders", Some(0), 1);
    let twice = printed(&[mapped.as_os_str(), mapped.as_os_str(), "--print".as_ref()]);
    let mapped_bytes = std::fs::read(&mapped).expect("mapped");
    assert!(lines(&twice) == time_ordered(&mapped_bytes));
}

#[test]
fn since_and_until_find_every_record_of_a_window_of_what_airflow_wrote() {
    let airflow = airflow();
    let run = &airflow.first_run;
    let file = airflow.attempt(run, "chatty", None, 2);
    let written = std::fs::read(&file).expect("try 2");
    let all = records(&written);
    let (first, last) = (all.iter().map(|r| r.0).min(), all.iter().map(|r| r.0).max());
    let (Some(first), Some(last)) = (first, last) else {
        panic!("no records")
    };
    // Windows across the try: each prints exactly the records stamped in it.
    for share in [0.1, 0.37, 0.5, 0.83] {
        let from = first + ((last - first) as f64 * share) as i64;
        let to = from + 700_000;
        let stamp = |us: i64| {
            chrono::DateTime::from_timestamp_micros(us)
                .expect("a time")
                .format("%Y-%m-%dT%H:%M:%S%.6fZ")
                .to_string()
        };
        let out = printed(&[
            "--print".as_ref(),
            "--since".as_ref(),
            stamp(from).as_ref(),
            "--until".as_ref(),
            stamp(to).as_ref(),
            file.as_os_str(),
        ]);
        let got = records(&out);
        let want = all.iter().filter(|r| r.0 >= from && r.0 < to).count();
        assert_eq!(
            got.len(),
            want,
            "records stamped in [{}, {})",
            stamp(from),
            stamp(to)
        );
        assert!(got.windows(2).all(|w| w[0].0 <= w[1].0), "in time order");
    }
}
