//! Following a task of the real deployment through its REST API, as a user
//! does: started before the task's first try, through a failed try, its
//! retry, a deferral and the resumption, until the task is finished.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::airflow_run::{self, airflow, Airflow, Run, FOLLOW_DAG, SECRET_KEY};
use super::cpu;

/// What a child wrote to one of its pipes so far, read as it comes.
#[derive(Clone, Default)]
struct Collected(Arc<Mutex<String>>);

impl Collected {
    fn pump(from: impl Read + Send + 'static) -> Collected {
        let collected = Collected::default();
        let into = collected.0.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(from).lines().map_while(Result::ok) {
                let mut text = into.lock().unwrap_or_else(|e| e.into_inner());
                text.push_str(&line);
                text.push('\n');
            }
        });
        collected
    }

    fn text(&self) -> String {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// `logweave airflow --api … --print -f --tag` on `task` of `run`.
fn follow(airflow: &Airflow, run: &Run, task: &str) -> (Child, Collected, Collected) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(["airflow", "--api", &airflow.api, "--dag", &run.dag])
        .args(["--run", &run.id, "--task", task, "--print", "-f", "--tag"])
        .env("TZ", "UTC")
        .env("AIRFLOW__API__SECRET_KEY", SECRET_KEY)
        .env("AIRFLOW_API_USER", airflow_run::ADMIN.0)
        .env("AIRFLOW_API_PASSWORD", airflow_run::ADMIN.1)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start logweave");
    let out = Collected::pump(child.stdout.take().expect("stdout"));
    let err = Collected::pump(child.stderr.take().expect("stderr"));
    (child, out, err)
}

/// Polls `what` until it holds; panics with `err` after `timeout`.
fn wait_for(what: &str, timeout: Duration, err: &Collected, holds: impl Fn() -> bool) {
    let start = Instant::now();
    while !holds() {
        assert!(
            start.elapsed() < timeout,
            "timed out waiting for {what}; stderr:\n{}",
            err.text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The records of one printed try (`tryN: ` lines), without Airflow's
/// source details (they have no timestamp and name where it read).
fn printed_try(out: &str, try_number: u32) -> Vec<String> {
    let prefix = format!("try{try_number}: ");
    out.lines()
        .filter_map(|line| line.strip_prefix(&prefix))
        .filter(|record| is_timed(record))
        .map(str::to_string)
        .collect()
}

fn is_timed(record: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(record)
        .ok()
        .is_some_and(|v| v["timestamp"].is_string())
}

/// The finished try's records as the API answers them now.
fn answered_try(airflow: &Airflow, run: &Run, task: &str, try_number: u32) -> Vec<String> {
    let answer = airflow.get(
        &airflow.log_path(run, task, None, try_number),
        "application/x-ndjson",
    );
    String::from_utf8_lossy(&answer)
        .lines()
        .filter(|record| is_timed(record))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_api_follows_a_task_from_before_its_first_try_through_retry_and_deferral() {
    let airflow = airflow();
    // `warm_up` holds `followed` back long enough to measure the wait.
    let run = airflow.trigger(FOLLOW_DAG, r#"{"start_delay": 12, "seconds": 4}"#);
    let started = Instant::now();
    let (mut child, out, err) = follow(airflow, &run, "followed");
    let minute = Duration::from_secs(60);

    // Before the first try: said, and waiting costs nothing.
    wait_for("the wait for try 1 said", minute, &err, || {
        err.text().contains("waiting for try 1")
    });
    let state = airflow.task_state(&run, "followed", None);
    if state.try_number == 0 && started.elapsed() < Duration::from_secs(4) {
        cpu::assert_idle(child.id(), "an API follow waiting for a task's first try");
    } else {
        eprintln!("the idle wait was not measured: followed is {state:?} already");
    }

    // Try 1 fails: said, and try 2 is followed through its deferral.
    wait_for("try 1's failure said", 3 * minute, &err, || {
        err.text().contains("try 1 failed; waiting for try 2")
    });
    let deadline = Instant::now() + 4 * minute;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "--print -f did not end with the task; stderr:\n{}",
                err.text()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    // The pipes' last bytes.
    std::thread::sleep(Duration::from_millis(300));
    let (printed, said) = (out.text(), err.text());
    assert!(status.success(), "exit {status:?}; stderr:\n{said}");
    assert_eq!(
        airflow.task_state(&run, "followed", None).state,
        "success",
        "{said}"
    );
    assert!(
        said.contains("the task is success: following stopped"),
        "{said}"
    );

    // Each try's records, each once, as the finished try's answer has them.
    for try_number in [1, 2] {
        let mut shown = printed_try(&printed, try_number);
        let mut answered = answered_try(airflow, &run, "followed", try_number);
        assert!(!answered.is_empty(), "try {try_number} has records");
        let (shown_count, answered_count) = (shown.len(), answered.len());
        shown.sort();
        answered.sort();
        let missing: Vec<&String> = answered
            .iter()
            .filter(|r| shown.binary_search(r).is_err())
            .take(5)
            .collect();
        let repeated = shown.windows(2).filter(|w| w[0] == w[1]).count();
        assert!(
            shown == answered,
            "try {try_number}: {shown_count} records followed, {answered_count} answered; \
             missing (first 5): {missing:?}; repeated: {repeated}"
        );
    }
    let text = |n: u32| format!("try {n} running: stdout record 0");
    let resumed = "try 2: followed done";
    assert!(printed.contains(&text(1)) && printed.contains(&text(2)));
    assert!(printed.contains(resumed), "the resumed part of try 2");
    // Tries in order: all of try 1, then try 2.
    let last_of_1 = printed.rfind("\ntry1: ").expect("try 1");
    let first_of_2 = printed.find("\ntry2: ").expect("try 2");
    assert!(
        last_of_1 < first_of_2,
        "try 1's lines all come before try 2's"
    );
    // No half-line was ever shown.
    assert!(
        !printed.contains(r#"{"timestamp":null,"event":"{"#),
        "a half-written line was shown"
    );
}
