//! Following a task of the real deployment through its worker's log server
//! alone, as from a machine that has no log folder of the task: before its
//! first try, through a failed try and its retry.

use std::process::{Command, Stdio};
use std::time::Duration;

use super::airflow_run::{airflow, FOLLOW_DAG, SECRET_KEY};
use super::cpu;
use super::follow::{is_timed, wait_for, Collected, Running};

/// The timed records of `text` (a try's file, or what was printed of it
/// once the `tag: ` is taken off), sorted.
fn records<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut records: Vec<String> = lines.filter(|l| is_timed(l)).map(str::to_string).collect();
    records.sort();
    records
}

#[test]
fn the_log_server_alone_follows_a_task_from_before_its_first_try_to_its_retry() {
    let airflow = airflow();
    let run = airflow.trigger(FOLLOW_DAG, r#"{"start_delay": 15, "seconds": 3}"#);
    let nowhere = tempfile::tempdir().expect("an empty log folder");
    let mut child = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(["airflow", "--base-log-folder"])
        .arg(nowhere.path())
        .args(["--dag", &run.dag, "--run", &run.id, "--task", "followed"])
        .args(["--log-server", &airflow.log_server_url()])
        .args(["--print", "-f", "--tag"])
        .env("TZ", "UTC")
        .env("AIRFLOW__API__SECRET_KEY", SECRET_KEY)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start logweave");
    let out = Collected::pump(child.stdout.take().expect("stdout"));
    let err = Collected::pump(child.stderr.take().expect("stderr"));
    let running = Running(child);
    let minute = Duration::from_secs(60);
    let host = format!("127.0.0.1:{}", airflow.log_server);

    wait_for("the wait for try 1 said", minute, &err, || {
        err.text().contains(&format!("waiting for try 1 on {host}"))
    });
    if airflow.task_state(&run, "followed", None).try_number == 0 {
        cpu::assert_idle(running.0.id(), "a log-server follow waiting for try 1");
    }
    // Try 1 fails; try 2 joins from the server, marked.
    wait_for("try 2's records", 4 * minute, &err, || {
        out.text().contains("try 2 running: stdout record 0")
    });
    let state = airflow.wait(&run, 4 * minute);
    assert_eq!(state, "success", "{}", err.text());
    // What the worker wrote last reaches the follower within its polls.
    let file = |n: u32| std::fs::read_to_string(airflow.attempt(&run, "followed", None, n));
    let last_of_2 = records(file(2).expect("try 2's file").lines())
        .into_iter()
        .next_back()
        .expect("try 2 has records");
    wait_for("try 2's last record", minute, &err, || {
        out.text().contains(&last_of_2)
    });
    std::thread::sleep(Duration::from_secs(2));
    let printed = out.text();
    drop(running);

    // Each try's records, each once, as the worker's files hold them.
    for (n, tag) in [(1, "served: "), (2, "try2.served: ")] {
        let shown = records(printed.lines().filter_map(|l| l.strip_prefix(tag)));
        let written = records(file(n).expect("the try's file").lines());
        assert!(!written.is_empty());
        assert!(
            shown == written,
            "try {n}: {} records followed, {} written; stderr:\n{}",
            shown.len(),
            written.len(),
            err.text()
        );
    }
    let last_of_1 = printed.rfind("\nserved: ").expect("try 1");
    let first_of_2 = printed.find("\ntry2.served: ").expect("try 2");
    assert!(
        last_of_1 < first_of_2,
        "try 1's lines all come before try 2's"
    );
    assert!(
        err.text().contains(&format!("waiting for try 2 on {host}")),
        "{}",
        err.text()
    );
}
