//! Comparing logs by their templates (issue 30), through the binary, on
//! what a real Airflow 3.3.2 wrote: the `chatty` task of
//! /work/realdata/airflow3 (tests/servers/airflow_run_dags/logweave_real.py)
//! fails try 1 and succeeds on try 2. The fixtures are each try's first
//! 3,000 records and last 40, gzipped (`head -n 3000; tail -n 40`): the
//! batches both tries logged, with different numbers and random words,
//! and how each try ended.

#[path = "e2e/harness.rs"]
mod harness;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use harness::{path, Tui};

const RUN_A: &str = "manual__2026-12-07T04:07:38.379302+00:00";
const RUN_B: &str = "manual__2026-12-07T04:13:30.693314+00:00";

fn fixture(try_number: u32) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
        "tests/fixtures/airflow3-chatty-try{try_number}.log.gz"
    ))
}

fn unzipped(try_number: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(fixture(try_number)).unwrap())
        .read_to_end(&mut bytes)
        .unwrap();
    bytes
}

fn logweave(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run logweave")
}

fn lines(bytes: &[u8]) -> Vec<&str> {
    std::str::from_utf8(bytes)
        .expect("utf-8")
        .lines()
        .filter(|l| !l.is_empty())
        .collect()
}

/// The line of `bytes` holding `needle`, once.
fn the_line<'a>(bytes: &'a [u8], needle: &str) -> &'a str {
    let found: Vec<&str> = lines(bytes)
        .into_iter()
        .filter(|l| l.contains(needle))
        .collect();
    assert_eq!(found.len(), 1, "{needle} once");
    found[0]
}

#[test]
fn comparing_try_1_with_try_2_marks_the_failure_and_not_the_batches_both_logged() {
    let try1 = unzipped(1);
    let (baseline, compared) = (fixture(2), fixture(1));
    let out = logweave(&[
        "compare",
        path(&baseline),
        "--with",
        path(&compared),
        "--print",
        "--only-new",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Of 3,040 records, the failure alone: every batch, whatever its
    // numbers and words, is one of try 2's templates.
    assert_eq!(
        lines(&out.stdout),
        [the_line(&try1, "\"event\":\"Task failed with exception\"")]
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 new record of 1 template the baseline never had"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1×  Task failed with exception"),
        "{stderr}"
    );
    // What try 2 logged as it succeeded is missing from try 1.
    assert!(stderr.contains("vanished (1):"), "{stderr}");
    assert!(
        stderr.contains("was 1×  Done. Returned value was: None"),
        "{stderr}"
    );

    // Without --only-new every record is printed, as without a baseline.
    let all = logweave(&[
        "compare",
        path(&baseline),
        "--with",
        path(&compared),
        "--print",
    ]);
    let plain = logweave(&["--print", path(&compared)]);
    assert_eq!(all.stdout, plain.stdout);
    assert_eq!(lines(&all.stdout).len(), 3040);

    // The other way round: what try 2 did that try 1 did not.
    let back = logweave(&[
        "compare",
        path(&compared),
        "--with",
        path(&baseline),
        "--print",
        "--only-new",
    ]);
    assert_eq!(
        lines(&back.stdout),
        [the_line(&unzipped(2), "Done. Returned value was: None")]
    );
}

/// A try read from two places (the file and its API copy) is shown once:
/// its records are counted once too.
#[test]
fn copies_of_one_log_are_counted_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = |n: u32| {
        let at = dir.path().join(format!("copy-of-try{n}.log"));
        std::fs::write(&at, unzipped(n)).expect("write");
        at
    };
    let (copy1, copy2) = (copy(1), copy(2));
    let (baseline, compared) = (fixture(2), fixture(1));
    let out = logweave(&[
        "compare",
        path(&baseline),
        path(&copy2),
        "--with",
        path(&compared),
        path(&copy1),
        "--print",
        "--only-new",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(lines(&out.stdout).len(), 1, "the failure, once");
    assert!(
        stderr.contains("1 new record of 1 template the baseline never had"),
        "{stderr}"
    );
    assert!(
        stderr.contains("was 1×  Done. Returned value was: None"),
        "{stderr}"
    );
}

#[test]
fn only_new_needs_a_baseline_and_an_unreadable_baseline_is_an_error() {
    let out = logweave(&["--print", "--only-new", path(&fixture(1))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--only-new needs a baseline"));
    let out = logweave(&[
        "compare",
        "/nonexistent/baseline.log",
        "--with",
        path(&fixture(1)),
        "--print",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/baseline.log"), "{stderr}");
    assert!(stderr.contains("nothing to compare with"), "{stderr}");
}

/// A log folder in Airflow's layout: run A (older) with tries 1 and 2,
/// run B with a try 1 that failed as run A's did.
fn log_folder() -> tempfile::TempDir {
    let base = tempfile::tempdir().unwrap();
    for (run, tries) in [(RUN_A, &[1, 2][..]), (RUN_B, &[1][..])] {
        let task = base
            .path()
            .join(format!("dag_id=logweave_real/run_id={run}/task_id=chatty"));
        std::fs::create_dir_all(&task).unwrap();
        for &n in tries {
            std::fs::write(task.join(format!("attempt={n}.log")), unzipped(n)).unwrap();
        }
    }
    base
}

#[test]
fn airflow_compare_with_a_try_and_with_the_last_success_in_the_log_folder() {
    let base = log_folder();
    let failure = unzipped(1);
    let failure = the_line(&failure, "\"event\":\"Task failed with exception\"");
    let airflow = |run: &str, with: &str| {
        logweave(&[
            "airflow",
            "--base-log-folder",
            path(base.path()),
            "--dag",
            "logweave_real",
            "--run",
            run,
            "--task",
            "chatty",
            "--try",
            "1",
            "--compare-with",
            with,
            "--print",
            "--only-new",
        ])
    };
    let out = airflow(RUN_A, "try:2");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines(&out.stdout), [failure]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("against try 2:"));
    // Run B's try 1 failed; the last success is run A's try 2.
    let out = airflow(RUN_B, "last-success");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines(&out.stdout), [failure]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("against try 2 of run {RUN_A}:")),
        "{stderr}"
    );
    // Run A's try 1 has no successful try before it.
    let out = airflow(RUN_A, "last-success");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no earlier try"));
}

/// The first row on screen whose text holds `needle`.
fn row_with(tui: &Tui, needle: &str) -> Option<String> {
    tui.rows().into_iter().find(|r| r.contains(needle))
}

#[test]
fn plus_and_minus_jump_to_the_new_records_marked_in_the_gutter() {
    let (baseline, compared) = (fixture(2), fixture(1));
    // Try 1 then try 2 (logged a minute later), against try 2: the
    // failure is in the middle, with 3,040 records below it.
    let mut tui = Tui::spawn(
        &[
            "compare",
            path(&baseline),
            "--with",
            path(&compared),
            path(&baseline),
        ],
        10,
        140,
    );
    tui.wait_ready();
    tui.wait_for("the new records counted in the status bar", |t| {
        t.status().contains("+1 new")
    });
    // The first screen has batches both tries logged: none marked.
    assert!(
        row_with(&tui, "Processed batch").is_some(),
        "{}",
        tui.text()
    );
    assert!(
        !tui.rows().iter().any(|r| r.starts_with(" +")),
        "{}",
        tui.text()
    );
    tui.send("+");
    tui.wait_for("the failure at the top, marked", |t| {
        t.rows()
            .first()
            .is_some_and(|r| r.starts_with(" +") && r.contains("Task failed with exception"))
    });
    // None below it; from the end, `-` finds it again.
    tui.send("+");
    tui.wait_for_text("no new record below");
    tui.send("G");
    tui.wait_for("the end", |t| t.status().contains("END"));
    tui.send("-");
    tui.wait_for("the failure at the top again", |t| {
        t.rows()
            .first()
            .is_some_and(|r| r.starts_with(" +") && r.contains("Task failed with exception"))
    });
}
