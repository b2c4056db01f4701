//! Following a task of the real deployment through its REST API, as a user
//! does: started before the task's first try, through a failed try, its
//! retry, a deferral and the resumption, until the task is finished.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::airflow_run::{self, airflow, Airflow, Run, FOLLOW_DAG, SECRET_KEY};
use super::cpu;
use super::harness::Tui;

/// What a child wrote to one of its pipes so far, read as it comes.
#[derive(Clone, Default)]
pub(super) struct Collected(Arc<Mutex<String>>);

impl Collected {
    pub(super) fn pump(from: impl Read + Send + 'static) -> Collected {
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

    pub(super) fn text(&self) -> String {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A child process ended however the test ends.
pub(super) struct Running(pub(super) Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `logweave airflow --api … --print -f --tag` on `task` of `run`.
fn follow(airflow: &Airflow, run: &Run, task: &str) -> (Running, Collected, Collected) {
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
    (Running(child), out, err)
}

/// Polls `what` until it holds; panics with `err` after `timeout`.
pub(super) fn wait_for(what: &str, timeout: Duration, err: &Collected, holds: impl Fn() -> bool) {
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

pub(super) fn is_timed(record: &str) -> bool {
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
    let run = airflow.trigger(FOLLOW_DAG, r#"{"start_delay": 20, "seconds": 4}"#);
    let started = Instant::now();
    let (mut running, out, err) = follow(airflow, &run, "followed");
    let child = &mut running.0;
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

    // The viewer follows the same task meanwhile, from before try 1 too
    // (F: stay at the end).
    let viewer = [
        "airflow",
        "--api",
        &airflow.api,
        "--dag",
        &run.dag,
        "--run",
        &run.id,
        "--task",
        "followed",
    ];
    let mut tui = Tui::spawn_env(
        &viewer,
        30,
        220,
        &[
            ("AIRFLOW_API_USER", airflow_run::ADMIN.0),
            ("AIRFLOW_API_PASSWORD", airflow_run::ADMIN.1),
        ],
    );
    tui.wait_for("the viewer saying it waits for try 1", |t| {
        t.status().contains("waiting for try 1")
    });
    tui.press("F");

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

    // The viewer went on to try 2 (each line marked with its try), through
    // its deferral, to the end, and said so.
    let shown_until = Instant::now() + minute;
    while !tui
        .status()
        .contains("the task is success: following stopped")
    {
        assert!(
            Instant::now() < shown_until,
            "the viewer did not follow to the end of the task:\n{}",
            tui.text()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let status = tui.status();
    assert!(
        status.contains("try1") && status.contains("try2"),
        "{status}"
    );
    assert!(
        tui.text().contains("try2 ["),
        "try 2's lines are marked, rendered"
    );
    tui.press("q");
    assert!(tui.wait_exit());

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

/// A task that never runs (its run marked failed before it started): read
/// once it is said not to have run; followed, the wait ends when the task
/// is finished, said, exit 0 — not a wait for ever.
#[test]
fn following_a_task_that_never_runs_ends_when_the_run_does() {
    let airflow = airflow();
    let run = airflow.trigger(FOLLOW_DAG, r#"{"start_delay": 600, "seconds": 1}"#);
    let (mut running, _out, err) = follow(airflow, &run, "followed");
    let minute = Duration::from_secs(60);
    wait_for("the wait for try 1 said", minute, &err, || {
        err.text().contains("waiting for try 1")
    });
    // Read once before it ran: said, not a failed download.
    let once = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(["airflow", "--api", &airflow.api, "--dag", &run.dag])
        .args(["--run", &run.id, "--task", "followed", "--print"])
        .env("AIRFLOW_API_USER", airflow_run::ADMIN.0)
        .env("AIRFLOW_API_PASSWORD", airflow_run::ADMIN.1)
        .stdin(Stdio::null())
        .output()
        .expect("run logweave");
    let said = String::from_utf8_lossy(&once.stderr);
    assert_eq!(once.status.code(), Some(2), "{said}");
    assert!(said.contains("task 'followed' has not run"), "{said}");

    airflow.fail(&run);
    let child = &mut running.0;
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            start.elapsed() < minute,
            "still following a task that will never run; stderr:\n{}",
            err.text()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let said = err.text();
    assert_eq!(status.code(), Some(0), "{said}");
    assert!(
        said.contains("try 1 never ran: following stopped"),
        "{said}"
    );
}

/// A process's resident memory now (KiB), from `/proc/<pid>/status`: all
/// of it, and its anonymous part (the heap; the rest is file pages, such
/// as the spooled log's, which the kernel may drop).
fn rss_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some((field("VmRSS:")?, field("RssAnon:")?))
}

/// The records a soak printed, as a count per record's hash.
#[derive(Default)]
struct Printed {
    records: usize,
    seen: std::collections::HashMap<u64, i64>,
}

impl Printed {
    fn hash(line: &str) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        line.hash(&mut hasher);
        hasher.finish()
    }

    fn add(&mut self, line: &str) {
        self.records += 1;
        *self.seen.entry(Self::hash(line)).or_default() += 1;
    }

    /// One record of the finished try's answer: no longer owed.
    fn take(&mut self, line: &str) {
        *self.seen.entry(Self::hash(line)).or_default() -= 1;
    }

    /// Records answered but never printed, and printed more often than answered.
    fn missing_and_duplicated(&self) -> (i64, i64) {
        self.seen
            .values()
            .fold((0, 0), |(missing, duplicated), &n| {
                (missing + (-n).max(0), duplicated + n.max(0))
            })
    }
}

/// Soak (not a test: run by `SOAK_API=1 scripts/soak.sh`): `--print -f
/// --try 1` through the API while the task writes for `SOAK_SECONDS`
/// (default 600) at `SOAK_RATE` records a second (default 300), its RSS
/// printed every 10 s; its heap (anonymous RSS) must not grow with the log. At the end the
/// records printed are held against the finished try's answer: missing and
/// duplicated records counted.
#[test]
#[ignore = "soak: run by SOAK_API=1 scripts/soak.sh"]
fn soak_api_follow_memory_stays_flat() {
    let seconds: u64 = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let rate: u64 = std::env::var("SOAK_RATE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let airflow = airflow();
    let conf = format!(
        r#"{{"start_delay": 1, "seconds": {seconds}, "rate": 10, "burst": {}}}"#,
        (rate / 10).max(1)
    );
    let run = airflow.trigger(FOLLOW_DAG, &conf);
    let child = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(["airflow", "--api", &airflow.api, "--dag", &run.dag])
        .args(["--run", &run.id, "--task", "followed", "--try", "1"])
        .args(["--print", "-f"])
        .env("AIRFLOW_API_USER", airflow_run::ADMIN.0)
        .env("AIRFLOW_API_PASSWORD", airflow_run::ADMIN.1)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start logweave");
    let mut running = Running(child);
    let child = &mut running.0;
    // Each printed record's hash and how often it came: a million records
    // are 16 bytes each here, not their text.
    let printed = Arc::new(Mutex::new(Printed::default()));
    let count = printed.clone();
    let stdout = child.stdout.take().expect("stdout");
    // SOAK_KEEP=DIR keeps what was printed and the finished try's answer
    // there, to find where records came twice.
    let keep = std::env::var_os("SOAK_KEEP").map(std::path::PathBuf::from);
    let mut kept = keep.as_ref().map(|dir| {
        std::fs::create_dir_all(dir).expect("SOAK_KEEP folder");
        std::io::BufWriter::new(std::fs::File::create(dir.join("printed.ndjson")).expect("create"))
    });
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(out) = kept.as_mut() {
                let _ = writeln!(out, "{line}");
            }
            if is_timed(&line) {
                count.lock().unwrap_or_else(|e| e.into_inner()).add(&line);
            }
        }
    });
    let err = Collected::pump(child.stderr.take().expect("stderr"));
    let start = Instant::now();
    let mut samples = Vec::new();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if let Some((kib, anon)) = rss_kib(child.id()) {
            let records = printed.lock().unwrap_or_else(|e| e.into_inner()).records;
            println!(
                "RSS t={:>5}s rss={kib} KiB anon={anon} KiB records={records}",
                start.elapsed().as_secs()
            );
            samples.push(anon);
        }
        assert!(
            start.elapsed() < Duration::from_secs(seconds * 3 + 600),
            "the follow did not end; stderr:\n{}",
            err.text()
        );
        std::thread::sleep(Duration::from_secs(10));
    }
    std::thread::sleep(Duration::from_millis(500));
    let answer = airflow.get(
        &airflow.log_path(&run, "followed", None, 1),
        "application/x-ndjson",
    );
    if let Some(dir) = &keep {
        std::fs::write(dir.join("answer.ndjson"), &answer).expect("keep the answer");
    }
    let mut printed = std::mem::take(&mut *printed.lock().unwrap_or_else(|e| e.into_inner()));
    let records = printed.records;
    let mut answered = 0usize;
    for line in String::from_utf8_lossy(&answer)
        .lines()
        .filter(|l| is_timed(l))
    {
        answered += 1;
        printed.take(line);
    }
    let (missing, duplicated) = printed.missing_and_duplicated();
    let half = samples.len() / 2;
    let early = samples[..half].iter().max().copied().unwrap_or(0);
    let late = samples[half..].iter().max().copied().unwrap_or(0);
    println!(
        "SOAK seconds={seconds} rate={rate} records printed={records} answered={answered} \
         missing={missing} duplicated={duplicated} \
         anonymous RSS first half max={early} KiB, second half max={late} KiB"
    );
    assert_eq!(
        (missing, duplicated),
        (0, 0),
        "each record once; stderr:\n{}",
        err.text()
    );
    assert!(
        late <= early + early / 4,
        "anonymous RSS grew: {early} KiB in the first half, {late} KiB in the second"
    );
}
