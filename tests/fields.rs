//! A record's fields and filters on them (issue 30), through the binary:
//! `--where` on a real Airflow 3 file selects what Python's json module
//! selects, bad expressions exit 2 with a tip, named sets come from the
//! config and a profile's default is said; in a pty, `P` shows a failed
//! try's record with `error_detail`'s frames and copies a field and the
//! raw record, and `&logger=…` filters the screen.

#[path = "e2e/harness.rs"]
mod harness;

use std::path::Path;
use std::process::Command;

use harness::Tui;

/// The failed try a real Airflow 3.3.2 wrote (`chatty` try 1): its first
/// and last 30 records, out of time order as Airflow wrote them.
const FAILED_TRY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/airflow3-failed-try.log"
);

fn logweave(args: &[&str], config: Option<&Path>) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logweave"));
    cmd.env("TZ", "UTC").env_remove("LOGWEAVE_CONFIG");
    match config {
        Some(path) => cmd.env("LOGWEAVE_CONFIG", path),
        None => cmd.env("XDG_CONFIG_HOME", "/nonexistent"),
    };
    cmd.args(args).output().expect("run logweave")
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The lines of `file` (in `order`: the file's own, or another list of the
/// same lines) that Python's `json` module says `predicate` holds for.
fn python_selects(order: &[String], predicate: &str) -> Vec<String> {
    let script = format!(
        "import json, sys\n\
         for line in sys.stdin.read().splitlines():\n\
         \x20   r = json.loads(line)\n\
         \x20   if {predicate}:\n\
         \x20       print(line)\n"
    );
    let mut child = Command::new("python3")
        .args(["-c", &script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        for line in order {
            writeln!(stdin, "{line}").expect("write");
        }
    }
    let out = child.wait_with_output().expect("python3 runs");
    assert!(out.status.success());
    lines(&out.stdout)
}

#[test]
fn where_on_a_real_airflow3_file_selects_what_json_selects() {
    let file = lines(&std::fs::read(FAILED_TRY).expect("fixture"));
    let all = lines(&logweave(&["--print", FAILED_TRY], None).stdout);
    assert_eq!(all.len(), file.len(), "every record is printed once");
    const LEVELS: &str = "{'debug':10,'info':20,'warning':30,'error':40,'critical':50}";
    for (expr, predicate, at_least) in [
        (
            "logger=task.stdout",
            "r.get('logger') == 'task.stdout'".to_string(),
            20,
        ),
        (
            "level>=warning and not logger~stdout",
            format!("{LEVELS}[r['level']] >= 30 and 'stdout' not in r.get('logger', '')"),
            10,
        ),
        (
            "filename=task_runner.py or logger~dag_processing",
            "r.get('filename') == 'task_runner.py' or 'dag_processing' in r.get('logger', '')"
                .to_string(),
            3,
        ),
    ] {
        let out = logweave(&["--print", "--where", expr, FAILED_TRY], None);
        assert!(
            out.status.success(),
            "{expr}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed = lines(&out.stdout);
        assert!(
            printed.len() >= at_least,
            "{expr}: {} records",
            printed.len()
        );
        // The same records as Python's selection of the file…
        let mut by_python = python_selects(&file, &predicate);
        let mut sorted = printed.clone();
        by_python.sort();
        sorted.sort();
        assert_eq!(sorted, by_python, "{expr}: the records json selects");
        // …in the order the whole log is printed in (time order).
        assert_eq!(
            printed,
            python_selects(&all, &predicate),
            "{expr}: in order"
        );
    }
}

#[test]
fn a_bad_where_exits_2_with_a_tip_and_named_sets_come_from_the_config() {
    let out = logweave(&["--print", "--where", "logger", FAILED_TRY], None);
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("--where: 'logger' is not followed by an operator"),
        "{said}"
    );
    assert!(said.contains("\n  tip: "), "{said}");

    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[filters]\nstdout = 'logger=task.stdout'\nquiet = 'not logger~dag_processing and not logger=task'\n",
    )
    .expect("config");
    let named = logweave(
        &["--print", "--where", "@stdout", FAILED_TRY],
        Some(&config),
    );
    let spelled = logweave(
        &["--print", "--where", "logger=task.stdout", FAILED_TRY],
        None,
    );
    assert!(named.status.success());
    assert_eq!(named.stdout, spelled.stdout);
    let unknown = logweave(&["--print", "--where", "@nope", FAILED_TRY], Some(&config));
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("it has quiet, stdout"));

    // A set that does not parse is the config's error, with its line.
    std::fs::write(&config, "tz = 'UTC'\n[filters]\nbroken = 'logger='\n").expect("config");
    let out = logweave(&["--print", FAILED_TRY], Some(&config));
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains(":3: filters.broken: 'logger' has no value"),
        "{said}"
    );
}

#[test]
fn a_profiles_default_filter_applies_is_said_and_where_empty_turns_it_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    let attempt = logs.join("dag_id=etl/run_id=r1/task_id=extract");
    std::fs::create_dir_all(&attempt).expect("folders");
    std::fs::copy(FAILED_TRY, attempt.join("attempt=1.log")).expect("copy");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[filters]\nquiet = 'not logger~dag_processing'\n[airflow.prod]\nbase_log_folder = '{}'\nfilter = 'quiet'\n",
            logs.display()
        ),
    )
    .expect("config");
    let ids = [
        "airflow",
        "--profile",
        "prod",
        "--dag",
        "etl",
        "--run",
        "r1",
        "--task",
        "extract",
        "--print",
    ];
    let quiet = logweave(&ids, Some(&config));
    assert!(
        quiet.status.success(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
    let said = String::from_utf8_lossy(&quiet.stderr);
    assert!(
        said.contains("the profile's filter 'quiet' hides"),
        "{said}"
    );
    let all: Vec<&str> = ids.iter().copied().chain(["--where", ""]).collect();
    let everything = logweave(&all, Some(&config));
    let (quiet, everything) = (lines(&quiet.stdout), lines(&everything.stdout));
    assert_eq!(everything.len(), 60);
    assert_eq!(
        quiet,
        everything
            .iter()
            .filter(|l| !l.contains("dag_processing"))
            .cloned()
            .collect::<Vec<_>>()
    );
    assert!(quiet.len() < everything.len());
}

#[test]
fn p_shows_a_failed_records_fields_and_frames_and_copies_a_field_and_the_raw_record() {
    let mut tui = Tui::spawn(&[FAILED_TRY], 40, 160);
    tui.wait_ready();
    // A search puts the focus on the failure's record.
    tui.send("/Task failed with\r");
    tui.wait_for("the hit", |t| t.status().contains("hit 1 of 1"));
    tui.send("P");
    tui.wait_for("the fields pane", |t| t.text().contains("fields of"));
    let text = tui.text();
    for shown in [
        "source",
        "offset",
        "logger",
        "task_runner.py",
        "error_detail",
        "Traceback (most recent call last):",
        "task_runner.py\", line 1579, in _run_task",
        "logweave_real.py\", line 117, in chatty",
        "RuntimeError: try 1 fails on purpose",
    ] {
        assert!(text.contains(shown), "{shown:?} in the pane:\n{text}");
    }
    // Choose `event` (the third field after source and offset) and copy it.
    let before = tui.clipboard_writes().len();
    tui.send("jjjjy");
    tui.wait_for("a copy", |t| t.clipboard_writes().len() > before);
    assert_eq!(
        tui.clipboard_writes().last().map(Vec::as_slice),
        Some(&b"Task failed with exception"[..])
    );
    tui.send("Y");
    tui.wait_for("the raw copy", |t| t.clipboard_writes().len() > before + 1);
    let raw = tui.clipboard_writes().pop().expect("raw");
    let record = std::fs::read_to_string(FAILED_TRY)
        .expect("fixture")
        .lines()
        .find(|l| l.contains("Task failed with exception"))
        .expect("the record")
        .to_string();
    assert_eq!(String::from_utf8_lossy(&raw).trim_end(), record);
    // Esc closes it; the log is as it was.
    tui.send("\x1b");
    tui.wait_for("the pane to close", |t| !t.text().contains("fields of"));
}

#[test]
fn a_value_with_escape_sequences_is_drawn_and_copied_as_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("hostile.log");
    std::fs::write(
        &log,
        "{\"timestamp\":\"2026-12-07T04:07:52Z\",\"level\":\"info\",\"event\":\"x\\u001b]52;c;SGVsbG8=\\u0007\\u001b[31mred\",\"logger\":\"task\"}\n",
    )
    .expect("log");
    let mut tui = Tui::spawn(&[log.to_str().expect("utf-8")], 24, 120);
    tui.wait_ready();
    tui.send("P");
    tui.wait_for("the fields pane", |t| t.text().contains("fields of"));
    assert!(
        tui.text().contains("^[]52;c;SGVsbG8=^G^[[31mred"),
        "{}",
        tui.text()
    );
    let before = tui.clipboard_writes();
    assert!(
        before.is_empty(),
        "nothing from the log reached the terminal as OSC 52"
    );
    tui.send("jjjjy");
    tui.wait_for("a copy", |t| !t.clipboard_writes().is_empty());
    let copied = tui.clipboard_writes().pop().expect("copy");
    assert!(
        !copied.contains(&0x1b) && !copied.contains(&0x07),
        "{copied:?}"
    );
}

#[test]
fn the_filter_prompt_takes_field_filters_and_says_mistakes() {
    let mut tui = Tui::spawn(&[FAILED_TRY], 40, 160);
    tui.wait_ready();
    // Tab completes a field name, then a value seen (the overview's
    // loggers once it has read them).
    tui.wait_for("the count", |t| t.status().contains("of 60"));
    tui.send("&logg\t");
    tui.wait_for("the name completed", |t| t.status().contains("&logger"));
    tui.send("=task.s\t");
    tui.wait_for("the value completed", |t| {
        t.status().contains("&logger=task.stdout")
    });
    tui.send("\r");
    tui.wait_for("the filter", |t| t.status().contains("&logger=task.stdout"));
    // Each row is a stdout record: its time is one of theirs.
    let stdout = logweave(
        &["--print", "--where", "logger=task.stdout", FAILED_TRY],
        None,
    );
    let times: Vec<String> = lines(&stdout.stdout)
        .iter()
        .map(|l| l[14..41].to_string())
        .collect();
    assert_eq!(times.len(), 20);
    let rows = tui.rows();
    let pane = &rows[..rows.len() - 1];
    let shown: Vec<&String> = pane.iter().filter(|r| !r.trim().is_empty()).collect();
    assert_eq!(shown.len(), 20, "{}", tui.text());
    for (row, time) in shown.iter().zip(&times) {
        assert!(
            row.contains(&format!("[{time}]")),
            "{row} is the record of {time}"
        );
    }
    // A mistake is said with its tip, and the filter stays as it was.
    tui.send("&level>=loud\r");
    tui.wait_for("the mistake", |t| {
        t.status().contains("'loud' is not a level")
    });
    assert!(tui.status().contains("&logger=task.stdout"));
    // & alone clears.
    tui.send("&\r");
    tui.wait_for("all records", |t| {
        !t.status().contains("&logger") && t.text().contains("Processed batch")
    });
}

#[test]
fn the_sources_panel_counts_loggers_and_levels_and_hides_one() {
    let mut tui = Tui::spawn(&[FAILED_TRY], 40, 160);
    tui.wait_ready();
    // The overview has been through the 60 records.
    tui.send("=");
    tui.wait_for("the facets", |t| {
        t.text().contains("levels and loggers of all 60 records")
    });
    let text = tui.text();
    // The facet rows, in the panel's order (each after the source).
    let facets: Vec<String> = text
        .lines()
        .filter(|l| l.contains("● level") || l.contains("● logger"))
        .map(str::to_string)
        .collect();
    let stdout = facets
        .iter()
        .position(|l| l.contains("logger task.stdout 20"))
        .unwrap_or_else(|| panic!("task.stdout counted 20 times:\n{text}"));
    assert!(
        facets.iter().any(|l| l.contains("logger task 6")),
        "task counted 6 times:\n{text}"
    );
    // Down from the source to that row, and hide it.
    tui.send(&"j".repeat(stdout + 1));
    tui.send(" ");
    tui.wait_for("the facet hidden", |t| {
        t.text().contains("task.stdout 20 (hidden)")
            && t.status().contains("&not logger=\"task.stdout\"")
    });
    tui.send("\x1b");
    tui.wait_for("the panel to close", |t| {
        !t.text().contains("levels and loggers")
    });
    // What is shown is what --where shows.
    let kept = logweave(
        &["--print", "--where", "logger!=task.stdout", FAILED_TRY],
        None,
    );
    assert_eq!(lines(&kept.stdout).len(), 40);
    tui.send("g");
    tui.wait_for("the top", |t| {
        t.status().contains("TOP") || t.text().contains("Pre Execute")
    });
    // The task's prints ("Processing batch N") are the stdout records.
    assert!(!tui.text().contains("Processing batch"), "{}", tui.text());
    assert!(tui.text().contains("Processed batch"));
}

#[test]
fn a_named_filter_set_is_applied_with_an_at_in_the_filter_prompt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[filters]\nstdout = 'logger=task.stdout'\n").expect("config");
    let config = config.to_str().expect("utf-8");
    let mut tui = Tui::spawn_env(&[FAILED_TRY], 40, 160, &[("LOGWEAVE_CONFIG", config)]);
    tui.wait_ready();
    tui.send("&@nope\r");
    tui.wait_for("the unknown name", |t| {
        t.status()
            .contains("&@nope: no such filter (the config has stdout)")
    });
    tui.send("&@stdout\r");
    tui.wait_for("the set", |t| t.status().contains("&logger=task.stdout"));
    assert!(!tui.text().contains("Processed batch"), "{}", tui.text());
}

/// Lines a real Airflow 3.3.2 wrote for what a task printed to stderr (a
/// Python warning, a traceback, a plain print), each at `"level":"error"`,
/// beside a logged error and a printed line.
const STDERR_LINES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/airflow3-stderr.log"
);

#[test]
fn every_level_grading_reads_an_airflow3_stderr_line_by_its_text() {
    let events = |args: &[&str]| -> Vec<String> {
        let out = logweave(&[&["--print"], args, &[STDERR_LINES]].concat(), None);
        assert!(out.status.success(), "{args:?}");
        lines(&out.stdout)
            .iter()
            .map(|l| {
                let from = l.find("\"event\":\"").expect("an event") + 9;
                l[from..from + 24].to_string()
            })
            .collect()
    };
    // `--level` and `--where` keep the same records at each level.
    for (level, expr) in [("ERROR", "level>=error"), ("WARNING", "level>=warning")] {
        assert_eq!(
            events(&["--level", level]),
            events(&["--where", expr]),
            "{level}"
        );
    }
    let errors = events(&["--level", "ERROR"]);
    for graded in [
        "batch 50 skipped: backof",
        "Traceback (most recent c",
        "  File \\\"/opt/airflow/da",
        "ConnectionError: timeout",
        // No level in its text: kept, as a record whose level cannot be
        // read is.
        "stderr: batch 24 slow: c",
        "    rows = client.get(ba",
    ] {
        assert!(errors.iter().any(|e| e == graded), "{graded}: {errors:?}");
    }
    assert!(
        !errors
            .iter()
            .any(|e| e.contains("UserWarning") || e.contains("Fetched")),
        "a Python warning is a warning: {errors:?}"
    );
    assert!(events(&["--where", "level=warning"])
        .iter()
        .any(|e| e.starts_with("/opt/airflow/dags/lib/io")));
}
