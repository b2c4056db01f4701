//! The rendering of real records: those a real Airflow 3.3.2 wrote
//! (`tests/fixtures/airflow3-failed-try.log`, from `/work/realdata`), and
//! records with chained exceptions, notes, exception groups and a
//! `SyntaxError` written by Airflow's own logging pipeline, held to the
//! traceback Python printed for the same exception
//! (`tests/fixtures/airflow3/make_tracebacks.py`).

use super::*;

const FAILED_TRY: &str = include_str!("../../../tests/fixtures/airflow3-failed-try.log");
const TRACEBACKS: &str = include_str!("../../../tests/fixtures/airflow3/tracebacks.log");

fn texts(line: &str, fields: Fields) -> Vec<String> {
    render(line.as_bytes(), fields)
        .expect("a JSON record")
        .into_iter()
        .map(|r| r.text)
        .collect()
}

/// The record of `log` whose text holds `needle`.
fn record<'a>(log: &'a str, needle: &str) -> &'a str {
    log.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no record with {needle}"))
}

/// The rendered traceback of a fixture record (all but the head line).
fn traceback_of(line: &str) -> Vec<String> {
    render(line.as_bytes(), Fields::AsAirflowUi)
        .expect("a JSON record")
        .into_iter()
        .filter(|r| r.traceback)
        .map(|r| r.text)
        .collect()
}

/// Python's own lines for the exception, trailing spaces of the margin
/// kept (Python indents a blank line too).
fn python(name: &str) -> Vec<String> {
    let path = format!(
        "{}/tests/fixtures/airflow3/{name}.python.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path)
        .expect("the fixture")
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn the_real_failure_reads_as_python_prints_it_without_the_ids() {
    let failure = record(FAILED_TRY, "Task failed with exception");
    let lines = texts(failure, Fields::AsAirflowUi);
    assert_eq!(
        lines[0],
        "[2026-12-07T04:07:52.339421Z] ERROR - Task failed with exception source=task loc=task_runner.py:1676"
    );
    assert_eq!(lines[1], "Traceback (most recent call last):");
    assert_eq!(
        lines[2],
        "  File \"/work/main/target/test-venv/lib/python3.11/site-packages/airflow/sdk/execution_time/task_runner.py\", line 1579, in _run_task_and_map_outcome"
    );
    assert_eq!(
        lines[lines.len() - 2],
        "  File \"/tmp/af3run/dags/logweave_real.py\", line 117, in chatty"
    );
    assert_eq!(
        lines.last().expect("lines"),
        "RuntimeError: try 1 fails on purpose: the next try succeeds"
    );
    assert_eq!(
        lines.len(),
        1 + 1 + 12 + 1,
        "head, title, 12 frames, exception"
    );
    for id in TASK_INSTANCE_KEYS {
        assert!(!lines[0].contains(&format!("{id}=")), "{id} is hidden");
    }
}

#[test]
fn all_fields_shows_every_key_as_written() {
    let line = record(FAILED_TRY, "DAG bundles loaded");
    assert_eq!(
        texts(line, Fields::AsAirflowUi),
        ["[2026-12-07T04:07:45.232877Z] INFO - DAG bundles loaded: dags-folder source=airflow.dag_processing.bundles.manager.DagBundlesManager loc=manager.py:304"]
    );
    assert_eq!(
        texts(line, Fields::All),
        ["[2026-12-07T04:07:45.232877Z] INFO - DAG bundles loaded: dags-folder task_id=chatty dag_id=logweave_real map_index=-1 try_number=1 ti_id=01a24eaf-910a-7b77-91b0-d3697c55da40 run_id=manual__2026-12-07T04:07:38.379302+00:00 logger=airflow.dag_processing.bundles.manager.DagBundlesManager filename=manager.py lineno=304"]
    );
}

#[test]
fn a_chain_is_printed_first_raised_first_with_pythons_sentences_and_notes() {
    let line = TRACEBACKS.lines().next().expect("the chained record");
    assert_eq!(traceback_of(line), python("chained"));
}

#[test]
fn an_exception_group_keeps_its_members_nested_groups_and_their_chains() {
    let line = TRACEBACKS.lines().nth(1).expect("the group record");
    assert_eq!(traceback_of(line), python("group"));
}

#[test]
fn a_syntax_error_shows_its_code_and_caret() {
    let line = TRACEBACKS.lines().nth(2).expect("the syntax error record");
    assert_eq!(traceback_of(line), python("syntax"));
}

#[test]
fn a_multi_line_message_is_lines_and_its_controls_stay_for_the_escaping() {
    let line = TRACEBACKS.lines().nth(3).expect("the multi-line record");
    assert_eq!(
        texts(line, Fields::AsAirflowUi),
        [
            "[2026-12-07T10:32:53.400581Z] INFO - first line",
            "second line",
            "\tindented third\u{1b}]52;c;aGk=\u{7} source=task",
        ]
    );
}

#[test]
fn api_entries_without_time_show_their_event_alone() {
    let line = r#"{"timestamp":null,"event":"::group::Log message source details"}"#;
    assert_eq!(
        texts(line, Fields::AsAirflowUi),
        ["::group::Log message source details"]
    );
}

#[test]
fn structlogs_stand_in_for_skipped_frames_and_a_text_traceback() {
    let line = r#"{"event":"x","error_detail":[{"exc_type":"RecursionError","exc_value":"maximum recursion depth exceeded","exc_notes":[],"syntax_error":null,"is_cause":false,"frames":[{"filename":"/d.py","lineno":5,"name":"f"},{"filename":"","lineno":-1,"name":"Skipped frames: 940"},{"filename":"/d.py","lineno":5,"name":"f"}],"is_group":false,"exceptions":[]}]}"#;
    assert_eq!(
        traceback_of(line),
        [
            "Traceback (most recent call last):",
            "  File \"/d.py\", line 5, in f",
            "  [Skipped frames: 940]",
            "  File \"/d.py\", line 5, in f",
            "RecursionError: maximum recursion depth exceeded",
        ]
    );
    let text = r#"{"event":"x","error_detail":"Traceback (most recent call last):\n  File \"a.py\"\nE: e"}"#;
    assert_eq!(
        traceback_of(text),
        [
            "Traceback (most recent call last):",
            "  File \"a.py\"",
            "E: e"
        ]
    );
}

#[test]
fn non_json_is_left_alone() {
    for line in [&b"plain text"[..], b"{not json", b"[1,2]"] {
        assert_eq!(render(line, Fields::AsAirflowUi), None);
    }
}

#[test]
fn a_stderr_line_shows_the_level_its_text_names_not_airflows_error_stamp() {
    const STDERR: &str = include_str!("../../../tests/fixtures/airflow3-stderr.log");
    let head = |needle: &str| texts(record(STDERR, needle), Fields::AsAirflowUi).remove(0);
    assert!(head("UserWarning: batch 12").contains("] WARNING - /opt/airflow/dags/lib/io.py:57"));
    assert!(head("Traceback (most").contains("] ERROR - Traceback (most recent call last):"));
    assert!(head("ConnectionError: timeout").contains("] ERROR - ConnectionError: timeout"));
    // A code line of the traceback names no level: not an ERROR that
    // `--level CRITICAL` would seem to keep.
    assert!(head("rows = client.get").contains("] STDERR -     rows = client.get"));
    // A logging record is shown at the level it was logged at.
    assert!(head("batch 50 skipped").contains("] ERROR - batch 50 skipped"));
    assert!(head("Fetched 66554 rows").contains("] INFO - Fetched"));
}

#[test]
fn a_search_as_drawn_rules_out_no_record_whose_drawing_holds_the_pattern() {
    use crate::search::matcher::{Drawn, Matcher, PatternKind};
    const STDERR: &str = include_str!("../../../tests/fixtures/airflow3-stderr.log");
    let drawn = Drawn(std::sync::Arc::new(|text: &[u8]| {
        render(text, Fields::AsAirflowUi).map(|lines| lines.into_iter().map(|l| l.text).collect())
    }));
    let mut checked = 0;
    for log in [FAILED_TRY, TRACEBACKS, STDERR] {
        for record in log.lines() {
            let Some(lines) = render(record.as_bytes(), Fields::AsAirflowUi) else {
                continue;
            };
            // Every run of one to three words of every drawn line, as
            // typed: the scan must not pass the record by.
            for line in lines.iter().map(|l| l.text.as_str()) {
                let words: Vec<&str> = line.split(' ').collect();
                for n in 1..=3 {
                    for run in words.windows(n) {
                        let pattern = run.join(" ");
                        if pattern.trim().is_empty() || !pattern.is_ascii() {
                            continue;
                        }
                        for kind in [PatternKind::Literal, PatternKind::Regex] {
                            // (As a regex, a pattern with operators may
                            // not match its own text.)
                            let Some(matcher) = Matcher::new(&pattern, kind)
                                .ok()
                                .filter(|m| m.is_match(line.as_bytes()))
                            else {
                                continue;
                            };
                            let matcher = matcher.matching_drawn(drawn.clone());
                            assert!(
                                matcher.is_match(record.as_bytes()),
                                "{pattern:?} ({kind:?}) drawn in {line:?}"
                            );
                            assert!(matcher.find_candidate_at(record.as_bytes(), 0).is_some());
                            checked += 1;
                        }
                    }
                }
            }
        }
    }
    assert!(checked > 1000, "{checked}");
}
