//! Rows, not lines, in the real binary through a pty: a record that takes
//! more rows than lines (Airflow 3 JSON rendered with its traceback, long
//! lines wrapped) never pushes the end of the log out of reach; `G` shows
//! the last row on the bottom row, a search hit is on screen, follow keeps
//! the newest row at the bottom. And `--since/--until` bound the viewer.

#[path = "e2e/harness.rs"]
mod harness;

use std::io::Write;

use harness::{path, Tui};

/// The failed try a real Airflow 3.3.2 wrote (`/work/realdata/airflow3`,
/// `chatty` try 1 of the small run): its first and last 30 records.
const FAILED_TRY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/airflow3-failed-try.log"
);

/// The log pane's rows (all but the status bar), trailing blanks trimmed.
fn pane(tui: &Tui) -> Vec<String> {
    let rows = tui.rows();
    rows[..rows.len() - 1]
        .iter()
        .map(|r| r.trim_end().to_string())
        .collect()
}

#[test]
fn g_shows_the_end_of_a_real_airflow3_failed_try_and_its_traceback() {
    for (rows, cols) in [(24, 80), (45, 160)] {
        let mut tui = Tui::spawn(&[FAILED_TRY], rows, cols);
        tui.wait_ready();
        tui.press("G");
        tui.wait_for("END", |t| t.status().contains("END"));
        let shown = pane(&tui);
        let bottom = shown.last().expect("a pane");
        assert!(
            bottom.contains("Post Execute"),
            "{cols}×{rows}: the last record is on the bottom row:\n{}",
            shown.join("\n")
        );
        let text = shown.join("\n");
        assert!(
            text.contains("Task failed with") && text.contains("RuntimeError: try 1"),
            "{cols}×{rows}: the failure and its traceback are on screen:\n{text}"
        );
        // A step down is no step: this is the end.
        tui.send("j");
        tui.settle();
        assert_eq!(pane(&tui), shown);
        // A search from the top lands with its hit on screen.
        tui.press("g");
        tui.send("/Task failed\r");
        tui.wait_for("the hit", |t| t.status().contains("hit 1 of 1"));
        assert!(
            pane(&tui).iter().any(|r| r.contains("Task failed with")),
            "{cols}×{rows}: the hit is shown:\n{}",
            tui.text()
        );
    }
}

/// The same try as the REST API answers it (`/work/realdata/airflow3/api`,
/// `small.chatty.try=1.ndjson`): its first 30 and last 147 entries. It
/// starts with the "Log message source details" group: entries without a
/// time, lines of the first record.
const API_FAILED_TRY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/airflow3/api-failed-try.ndjson"
);

#[test]
fn g_ends_on_the_traceback_in_pythons_order_with_groups_folded_and_the_ids_hidden() {
    for (rows, cols) in [(24, 80), (45, 160)] {
        let mut tui = Tui::spawn(&[FAILED_TRY], rows, cols);
        tui.wait_ready();
        // Without the tag column, rows start with the text.
        tui.send("t");
        tui.wait_for("the group folded, marked and counted", |t| {
            pane(t)[0].starts_with("▸ Pre Execute (4 lines)")
        });
        tui.press("G");
        tui.wait_for("END", |t| t.status().contains("END"));
        let shown = pane(&tui);
        let n = shown.len();
        assert!(
            shown[n - 1] == "▸ Post Execute (1 line)",
            "{cols}×{rows}: the last record, folded, on the bottom row:\n{}",
            shown.join("\n")
        );
        assert!(
            shown[n - 2] == "RuntimeError: try 1 fails on purpose: the next try succeeds"
                && shown[n - 3]
                    == "  File \"/tmp/af3run/dags/logweave_real.py\", line 117, in chatty"
                && shown
                    .iter()
                    .any(|r| r.contains("Traceback (most recent call last):")),
            "{cols}×{rows}: the traceback ends as Python ends it, just above:\n{}",
            shown.join("\n")
        );
        assert!(
            !shown
                .iter()
                .any(|r| r.contains("task_id=") || r.contains("dag_id=")),
            "{cols}×{rows}: the ids the Airflow UI hides are hidden:\n{}",
            shown.join("\n")
        );
        // `a` shows all fields; the last row is still the last row.
        tui.press("a");
        tui.wait_for("all fields", |t| {
            pane(t).iter().any(|r| r.contains("task_id=chatty"))
        });
        assert_eq!(pane(&tui)[n - 1], "▸ Post Execute (1 line)");
    }
}

#[test]
fn the_apis_source_details_group_is_folded_for_real_and_opens_with_its_key() {
    let mut tui = Tui::spawn(&[API_FAILED_TRY], 24, 100);
    tui.wait_ready();
    // Without the tag column, rows start with the text.
    tui.send("t");
    let folded = |t: &Tui| {
        let rows = pane(t);
        rows[0].starts_with("▸ Log message source details (2 lines)")
            && rows[1].starts_with("▸ Pre Execute (4 lines)")
            && !rows.iter().any(|r| r.contains("/tmp/af3run/logs"))
    };
    tui.wait_for("both groups folded, the source files hidden", folded);
    // `za` on the focused header opens it: the file the API read shows.
    tui.press("za");
    tui.wait_for("the group open", |t| {
        let rows = pane(t);
        rows[0].starts_with("▾ ::group::Log message source details")
            && rows[1].starts_with("/tmp/af3run/logs/dag_id=logweave_real")
            && rows[2].starts_with("::endgroup::")
            && rows[3].starts_with("▸ Pre Execute (4 lines)")
    });
    tui.press("za");
    tui.wait_for("folded again", folded);
    // A search that lands on a line the fold hides opens it.
    tui.send("/af3run.logs\r");
    tui.wait_for("the hit shown in its opened group", |t| {
        let rows = pane(t);
        rows.iter()
            .any(|r| r.starts_with("▾ ::group::Log message source details"))
            && rows
                .iter()
                .any(|r| r.starts_with("/tmp/af3run/logs/dag_id=logweave_real"))
    });
    tui.press("za");
    tui.wait_for("folded again", folded);
    // Folding all while the screen's top is a line of the group: the
    // line goes into the group's folded header, which the screen starts at
    // (the source details are a record of their own, the lines before the
    // first timestamp).
    tui.press("za");
    tui.wait_for("open", |t| pane(t)[1].starts_with("/tmp/af3run/logs/"));
    tui.press("j");
    tui.wait_for("the file's line on top", |t| {
        pane(t)[0].starts_with("/tmp/af3run/logs/")
    });
    tui.press("zM");
    tui.wait_for("folded, the file's line gone", folded);
    tui.press("g");
    // Raw, the same folds.
    tui.press("r");
    tui.wait_for("raw and folded", folded);
}

/// Records with chained exceptions, notes and an exception group, written
/// by Airflow's own logging pipeline, and the tracebacks Python printed
/// for them (`tests/fixtures/airflow3/make_tracebacks.py`).
const TRACEBACKS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/airflow3/tracebacks.log"
);

fn python_traceback(name: &str) -> Vec<String> {
    let path = format!(
        "{}/tests/fixtures/airflow3/{name}.python.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path)
        .expect("the fixture")
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect()
}

#[test]
fn a_chained_exception_and_a_group_are_drawn_as_python_prints_them() {
    let mut tui = Tui::spawn(&[TRACEBACKS], 50, 120);
    tui.wait_ready();
    tui.send("t");
    let chained = python_traceback("chained");
    tui.wait_for("the chain as Python prints it", |t| {
        let rows = pane(t);
        rows[0].ends_with("ERROR - Task failed with exception source=task")
            && rows[1..=chained.len()] == chained[..]
    });
    // At the end: the group above the multi-line message, whose escape
    // sequence is shown, not obeyed.
    let group = python_traceback("group");
    tui.send("G");
    tui.wait_for("the last record at the bottom", |t| {
        pane(t)
            .last()
            .is_some_and(|r| r.ends_with("^[]52;c;aGk=^G source=task"))
    });
    let text = tui.text();
    assert!(
        group.iter().skip(3).all(|l| text.contains(l.as_str())),
        "the group's members, boxed:\n{text}"
    );
}

/// A text log of `n` records whose lines wrap at 80 columns, the last one
/// ending with `THE-VERY-END`.
fn wrapping_log(n: usize) -> String {
    let mut text = String::new();
    for i in 0..n {
        let words = "lorem ipsum dolor sit amet consectetur ".repeat(1 + i % 7);
        let end = if i + 1 == n { " THE-VERY-END" } else { "" };
        text.push_str(&format!(
            "2024-12-20T10:{:02}:{:02}.000Z INFO record {i} {words}{end}\n",
            i / 60 % 60,
            i % 60
        ));
    }
    text
}

#[test]
fn wrapped_at_80x24_g_shows_the_last_row_and_follow_keeps_the_newest_row_at_the_bottom() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("wrapped.log");
    std::fs::write(&log, wrapping_log(300)).expect("write");
    let mut tui = Tui::spawn(&[path(&log)], 24, 80);
    tui.wait_ready();
    tui.press("w");
    tui.press("G");
    tui.wait_for("the last row at the bottom", |t| {
        pane(t).last().is_some_and(|r| r.ends_with("THE-VERY-END"))
    });
    assert!(tui.status().contains("END"), "{}", tui.status());
    // Paging up and back down comes back to the same last screen.
    let end = pane(&tui);
    tui.press("b");
    tui.press(" ");
    assert_eq!(pane(&tui), end);

    // Follow mode with wrap: every line that arrives ends on the bottom row.
    let mut tui = Tui::spawn(&["-f", path(&log)], 24, 80);
    tui.wait_ready();
    tui.press("t");
    tui.press("w");
    tui.wait_for("the last row at the bottom", |t| {
        pane(t).last().is_some_and(|r| r.ends_with("THE-VERY-END"))
    });
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .expect("open to append");
    for i in 0..12 {
        let words = "sed do eiusmod tempor incididunt ut labore ".repeat(1 + i % 4);
        writeln!(
            file,
            "2024-12-20T11:00:{i:02}.000Z INFO later {i} {words}NEWEST-{i}"
        )
        .expect("append");
        file.flush().expect("flush");
        let newest = format!("NEWEST-{i}");
        // The line may wrap inside the marker: its last two rows end it.
        tui.wait_for(&newest, |t| {
            let rows = pane(t);
            rows[rows.len() - 2..].concat().ends_with(&newest)
        });
    }
}

#[test]
fn since_and_until_bound_the_viewer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("seconds.log");
    let text: String = (0..60)
        .map(|s| format!("2024-12-20T10:00:{s:02}.000Z INFO second {s}\n"))
        .collect();
    std::fs::write(&log, text).expect("write");
    let mut tui = Tui::spawn(
        &[
            "--since",
            "2024-12-20T10:00:10Z",
            "--until",
            "2024-12-20T10:00:20Z",
            path(&log),
        ],
        24,
        80,
    );
    tui.wait_ready();
    tui.press("t");
    let expected: Vec<String> = (10..20)
        .map(|s| format!("2024-12-20T10:00:{s:02}.000Z INFO second {s}"))
        .collect();
    let shown =
        |tui: &Tui| -> Vec<String> { pane(tui).into_iter().filter(|r| !r.is_empty()).collect() };
    assert_eq!(shown(&tui), expected, "the first screen is the range");
    tui.send("G");
    tui.settle();
    assert_eq!(shown(&tui), expected, "G stops at --until");
    tui.send("g");
    tui.settle();
    assert_eq!(shown(&tui), expected, "g stops at --since");
    tui.send(":10:00:40\r");
    tui.settle();
    assert_eq!(shown(&tui), expected, "a jump past --until stays inside");
    let status = tui.status();
    assert!(status.contains("END") || status.contains("TOP"), "{status}");
}
