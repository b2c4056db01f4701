//! Following a task that only its worker's log server serves (no local log
//! folder holds it): Airflow's own `serve_logs` over a folder the test
//! writes the tries into, as the worker writes them.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::cpu;
use super::servers::airflow_log_server;

const SECRET: &str = "the-shared-secret";
const TASK: &str = "dag_id=etl/run_id=scheduled__2024-12-19T00:00:00+00:00/task_id=extract";

/// What a child wrote to a pipe so far, read as it comes.
fn pump(from: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let into = text.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines().map_while(Result::ok) {
            let mut text = into.lock().unwrap_or_else(|e| e.into_inner());
            text.push_str(&line);
            text.push('\n');
        }
    });
    text
}

fn text(of: &Arc<Mutex<String>>) -> String {
    of.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Polls until `holds`, panicking with the child's output after 30 s.
fn wait_for(
    what: &str,
    out: &Arc<Mutex<String>>,
    err: &Arc<Mutex<String>>,
    holds: impl Fn(&str, &str) -> bool,
) {
    let start = Instant::now();
    while !holds(&text(out), &text(err)) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}\nstdout:\n{}\nstderr:\n{}",
            text(out),
            text(err)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A try's file as the worker writes it: `lines` records of try `n`.
fn write_try(worker: &Path, n: u32, lines: u32) {
    let task = worker.join(TASK);
    std::fs::create_dir_all(&task).expect("task folder");
    let text: String = (0..lines)
        .map(|i| {
            format!("[2024-12-19T00:0{n}:{i:02}.000+0000] {{x.py:1}} INFO - try {n} record {i}\n")
        })
        .collect();
    std::fs::write(task.join(format!("attempt={n}.log")), text).expect("the try's file");
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn following_a_task_on_its_log_server_waits_for_try_1_and_joins_each_next_try() {
    let root = tempfile::tempdir().unwrap();
    let worker = root.path().join("worker");
    std::fs::create_dir_all(&worker).unwrap();
    let server = airflow_log_server(&worker, SECRET);
    // The log folder here holds nothing of the task: the worker is elsewhere.
    let here = root.path().join("here");
    let mut child = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(["airflow", "--base-log-folder", &here.display().to_string()])
        .args([
            "--dag",
            "etl",
            "--run",
            "scheduled__2024-12-19T00:00:00+00:00",
        ])
        .args(["--task", "extract", "--log-server", &server.url()])
        .args(["--print", "-f", "--tag"])
        .env("TZ", "UTC")
        .env("AIRFLOW__API__SECRET_KEY", SECRET)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start logweave");
    let out = pump(child.stdout.take().expect("stdout"));
    let err = pump(child.stderr.take().expect("stderr"));
    let child = Killed(child);
    let host = format!("127.0.0.1:{}", server.port);

    // Before try 1: said, and waiting costs nothing.
    wait_for("the wait for try 1", &out, &err, |_, e| {
        e.contains(&format!("waiting for try 1 on {host}"))
    });
    cpu::assert_idle(child.0.id(), "a log-server follow waiting for try 1");

    write_try(&worker, 1, 5);
    wait_for("try 1", &out, &err, |o, _| o.contains("try 1 record 4"));
    // After try 1: the next try is looked for on the server, and said.
    wait_for("the wait for try 2", &out, &err, |_, e| {
        e.contains(&format!("waiting for try 2 on {host}"))
    });
    cpu::assert_idle(child.0.id(), "a log-server follow waiting for try 2");
    write_try(&worker, 2, 5);
    wait_for("try 2", &out, &err, |o, _| o.contains("try 2 record 4"));
    std::thread::sleep(Duration::from_millis(300));

    let printed = text(&out);
    let lines: Vec<&str> = printed.lines().collect();
    for n in 1..=2 {
        for i in 0..5 {
            let record = format!("try {n} record {i}\n");
            assert_eq!(
                printed.matches(&record).count(),
                1,
                "{record:?} once:\n{printed}"
            );
        }
    }
    // Try 1 is the served source; try 2 joins marked, after all of try 1.
    assert!(
        lines
            .iter()
            .filter(|l| l.contains("try 1 record"))
            .all(|l| l.starts_with("served: ")),
        "{printed}"
    );
    assert!(
        lines
            .iter()
            .filter(|l| l.contains("try 2 record"))
            .all(|l| l.starts_with("try2.served: ")),
        "{printed}"
    );
    let last_of_1 = printed.rfind("try 1 record").expect("try 1");
    let first_of_2 = printed.find("try 2 record").expect("try 2");
    assert!(last_of_1 < first_of_2, "tries in order:\n{printed}");

    // `--try 1` pins one try: try 2 is not followed.
    let pinned = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(["airflow", "--base-log-folder", &here.display().to_string()])
        .args([
            "--dag",
            "etl",
            "--run",
            "scheduled__2024-12-19T00:00:00+00:00",
        ])
        .args([
            "--task",
            "extract",
            "--log-server",
            &server.url(),
            "--try",
            "1",
        ])
        .args(["--print", "--tag"])
        .env("TZ", "UTC")
        .env("AIRFLOW__API__SECRET_KEY", SECRET)
        .output()
        .expect("run logweave");
    let pinned_out = String::from_utf8_lossy(&pinned.stdout);
    assert!(
        pinned.status.success(),
        "{}",
        String::from_utf8_lossy(&pinned.stderr)
    );
    assert!(pinned_out.contains("try 1 record 4") && !pinned_out.contains("try 2"));
    // Without --try, the latest try the server serves.
    let latest = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(["airflow", "--base-log-folder", &here.display().to_string()])
        .args([
            "--dag",
            "etl",
            "--run",
            "scheduled__2024-12-19T00:00:00+00:00",
        ])
        .args([
            "--task",
            "extract",
            "--log-server",
            &server.url(),
            "--print",
        ])
        .env("TZ", "UTC")
        .env("AIRFLOW__API__SECRET_KEY", SECRET)
        .output()
        .expect("run logweave");
    let latest_out = String::from_utf8_lossy(&latest.stdout);
    assert!(
        latest.status.success(),
        "{}",
        String::from_utf8_lossy(&latest.stderr)
    );
    assert!(latest_out.contains("try 2 record 0") && !latest_out.contains("try 1"));
}

/// A log server that refuses the key (a wrong secret) is said with what to
/// check and the follow ends: asking again would never help.
#[test]
fn a_log_server_refusing_the_key_ends_the_wait_for_try_1_with_a_tip() {
    let root = tempfile::tempdir().unwrap();
    let worker = root.path().join("worker");
    std::fs::create_dir_all(&worker).unwrap();
    let server = airflow_log_server(&worker, SECRET);
    let child = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(["airflow", "--base-log-folder"])
        .arg(root.path().join("here"))
        .args(["--dag", "etl", "--run", "r", "--task", "extract"])
        .args(["--log-server", &server.url(), "--print", "-f"])
        .env("AIRFLOW__API__SECRET_KEY", "not-the-workers-key")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start logweave");
    let mut child = Killed(child);
    let err = pump(child.0.stderr.take().expect("stderr"));
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still waiting with a refused key:\n{}",
            text(&err)
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // The pipe is read to its end once the process is gone.
    std::thread::sleep(Duration::from_millis(100));
    let said = text(&err);
    assert_eq!(status.code(), Some(2), "{said}");
    assert!(
        said.contains("403") && said.contains("secret key"),
        "{said}"
    );
}
