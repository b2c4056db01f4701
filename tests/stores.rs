//! The stores Airflow ships task logs to, against real servers on
//! 127.0.0.1 (issue 29): CloudWatch Logs (moto's server), Elasticsearch
//! and OpenSearch (noida-db and osmem-server, compatible servers) and GCS
//! (fake-gcs-server). The servers come from the test venv (see
//! tests/remote/servers.rs).

#[path = "e2e/harness.rs"]
mod harness;
#[path = "remote/run.rs"]
mod run;
#[path = "remote/servers.rs"]
mod servers;
#[path = "remote/stores.rs"]
mod store_servers;

use std::path::PathBuf;
use std::process::Command;

use harness::Tui;
use run::{airflow_folder, attempt_args, generate, lines_per_tag, logweave, stderr, TRIGGER_LOG};
use servers::{s3_env, s3_server};
use store_servers::{
    cloudwatch_put, gcs_env, gcs_put, gcs_server, moto_refusing, search_put, search_put_docs,
    search_server, Search,
};

#[test]
fn cloudwatch_streams_read_back_byte_for_byte_and_a_prefix_merges_them() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "2MB");
    let env = s3_env(s3_server());
    for file in ["attempt=1.log", TRIGGER_LOG] {
        cloudwatch_put(
            "bytes-Task",
            &format!("logs/one/{file}"),
            &dir.path().join(file),
        );
    }
    let one = "cloudwatch://bytes-Task/logs/one/attempt=1.log";
    let out = logweave(&["--print", one], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        out.stdout == std::fs::read(dir.path().join("attempt=1.log")).unwrap(),
        "the stream's events are the file's records"
    );

    // A name that is no stream opens every stream it begins, merged like
    // the local files.
    let local = logweave(
        &[
            "--print",
            &dir.path().join("attempt=1.log").display().to_string(),
            &dir.path().join(TRIGGER_LOG).display().to_string(),
        ],
        &[],
    );
    let prefix = logweave(&["--print", "cloudwatch://bytes-Task/logs/one/"], &env);
    assert!(prefix.status.success(), "{}", stderr(&prefix));
    assert!(prefix.stdout == local.stdout, "the prefix's merge differs");

    // The same through the group's ARN, its region named there.
    let arn = "cloudwatch://arn:aws:logs:us-east-1:123456789012:log-group:bytes-Task:log-stream:logs/one/attempt=1.log";
    let mut no_region = env.clone();
    no_region.retain(|(k, _)| *k != "AWS_REGION");
    let out = logweave(&["--print", arn], &no_region);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout == std::fs::read(dir.path().join("attempt=1.log")).unwrap());
}

#[test]
fn a_missing_group_or_stream_is_named_and_refused_credentials_say_where_they_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.log");
    std::fs::write(
        &file,
        "[2024-12-19T10:00:00.000+0000] {x.py:1} INFO - one\n",
    )
    .unwrap();
    cloudwatch_put("errors-Task", "there.log", &file);
    let env = s3_env(s3_server());

    let out = logweave(&["--print", "cloudwatch://errors-Task/nothere.log"], &env);
    assert_eq!(out.status.code(), Some(2));
    let said = stderr(&out);
    assert!(
        said.contains("'cloudwatch://errors-Task/nothere.log'")
            && said.contains("no log stream 'nothere.log'")
            && said.contains("in log group 'errors-Task'"),
        "{said}"
    );

    let out = logweave(&["--print", "cloudwatch://no-such-group/x.log"], &env);
    assert_eq!(out.status.code(), Some(2));
    let said = stderr(&out);
    assert!(
        said.contains("log group 'no-such-group' does not exist in region us-east-1"),
        "{said}"
    );

    // A server that checks keys refuses these: the message names the
    // variables they came from, never the secret.
    let mut refused = s3_env(moto_refusing());
    refused.retain(|(k, _)| *k != "AWS_ACCESS_KEY_ID");
    refused.push(("AWS_ACCESS_KEY_ID", "AKIANOTISSUED".into()));
    refused.push(("AWS_SESSION_TOKEN", "a-session-token".into()));
    let out = logweave(&["--print", "cloudwatch://errors-Task/there.log"], &refused);
    assert_eq!(out.status.code(), Some(2));
    let said = stderr(&out);
    assert!(
        said.contains("credentials refused")
            && said.contains(
                "AWS_ACCESS_KEY_ID (AKIANOTISSUED), AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN"
            )
            && said.contains("tip: check AWS_ACCESS_KEY_ID"),
        "{said}"
    );
    assert!(
        !said.contains("a-session-token") && !said.contains("testing"),
        "{said}"
    );

    // No region anywhere: said before anything is asked.
    let mut no_region = env.clone();
    no_region.retain(|(k, _)| *k != "AWS_REGION");
    let out = logweave(
        &["--print", "cloudwatch://errors-Task/there.log"],
        &no_region,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("set AWS_REGION"), "{}", stderr(&out));
}

#[test]
fn cloudwatch_messages_without_a_time_of_their_own_get_the_events_time() {
    // Airflow 3's CloudWatch handler sends each record as JSON without its
    // "timestamp" (the event carries the time).
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.log");
    let records = [
        r#"{"event": "first", "level": "info"}"#,
        r#"{"event": "second", "level": "error"}"#,
    ];
    std::fs::write(&file, records.join("\n") + "\n").unwrap();
    cloudwatch_put("json-Task", "attempt=1.log", &file);
    let out = logweave(
        &["--print", "cloudwatch://json-Task/attempt=1.log"],
        &s3_env(s3_server()),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 2, "{printed}");
    for (line, record) in lines.iter().zip(records) {
        let (stamp, rest) =
            line.split_at(r#"{"timestamp": "2026-12-07T10:00:00.000000+00:00", "#.len());
        assert!(
            stamp.starts_with(r#"{"timestamp": "20"#) && stamp.ends_with(r#"+00:00", "#),
            "{line}"
        );
        assert_eq!(rest, &record[1..], "the message's own bytes follow");
    }
    assert!(
        lines[0] < lines[1],
        "in the events' order, a millisecond apart"
    );
}

fn airflow_line(i: u32, text: &str) -> String {
    format!("[2024-12-19T10:00:{i:02}.000+0000] {{x.py:1}} INFO - {text} {i}\n")
}

#[test]
fn following_a_cloudwatch_stream_shows_new_events_in_the_viewer_and_in_print_mode() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.log");
    std::fs::write(
        &file,
        (0..5).map(|i| airflow_line(i, "event")).collect::<String>(),
    )
    .unwrap();
    cloudwatch_put("follow-Task", "attempt=1.log", &file);
    let env = s3_env(s3_server());
    let tui_env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let url = "cloudwatch://follow-Task/attempt=1.log";
    let mut tui = Tui::spawn_env(&["-f", url], 24, 100, &tui_env);
    tui.wait_for_text("event 4");

    let mut print = Command::new(env!("CARGO_BIN_EXE_logweave"));
    print.args(["--print", "-f", url]).env("TZ", "UTC");
    for (k, v) in &env {
        print.env(k, v);
    }
    let out_file = dir.path().join("printed");
    let mut print = print
        .stdout(std::fs::File::create(&out_file).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();

    std::fs::write(
        &file,
        (5..8).map(|i| airflow_line(i, "event")).collect::<String>(),
    )
    .unwrap();
    cloudwatch_put("follow-Task", "attempt=1.log", &file);
    tui.wait_for_text("event 7");
    tui.press("q");
    assert!(tui.wait_exit());

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let printed = std::fs::read_to_string(&out_file).unwrap();
        if printed.lines().count() == 8 {
            let want: String = (0..8).map(|i| airflow_line(i, "event")).collect();
            assert_eq!(printed, want);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "print -f did not show the new events: {printed}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = print.kill();
    let _ = print.wait();
}

#[test]
fn airflow_remote_cloudwatch_finds_the_attempts_streams_and_dedups_against_the_local_copy() {
    let root = tempfile::tempdir().unwrap();
    let base = root.path().join("logs");
    let (relative, task) = airflow_folder(&base, "1MB");
    // Airflow's handler names the stream after the file, ':' made '_'.
    let stream = relative.replace(':', "_");
    for f in ["attempt=1.log", TRIGGER_LOG] {
        cloudwatch_put("airflow-Test-Task", &format!("{stream}/{f}"), &task.join(f));
    }
    let env = s3_env(s3_server());
    let arn = "cloudwatch://arn:aws:logs:us-east-1:123456789012:log-group:airflow-Test-Task";
    let base_arg = base.display().to_string();

    let tagged = logweave(
        &attempt_args(&base_arg, &["--remote", arn, "--tag", "--no-dedup"]),
        &env,
    );
    assert!(tagged.status.success(), "{}", stderr(&tagged));
    let counts = lines_per_tag(&tagged);
    let tags: Vec<&str> = counts.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        tags,
        ["cloudwatch", "cloudwatch.trigger.42", "local", "trigger.42"]
    );
    assert_eq!(counts[0].1, counts[2].1, "the stream has every line");
    assert_eq!(counts[1].1, counts[3].1);

    // With dedup (the default), each CloudWatch copy of a local record
    // (same millisecond, same bytes) is shown once.
    let deduped = logweave(&attempt_args(&base_arg, &["--remote", arn]), &env);
    let local_only = logweave(&attempt_args(&base_arg, &[]), &[]);
    assert!(deduped.status.success(), "{}", stderr(&deduped));
    assert!(deduped.stdout == local_only.stdout, "dedup left copies");

    // Nothing local and no --try: the latest try among the streams opens.
    let later = root.path().join("attempt=2.log");
    std::fs::write(&later, airflow_line(0, "the second try")).unwrap();
    cloudwatch_put(
        "airflow-Test-Task",
        &format!("{stream}/attempt=2.log"),
        &later,
    );
    let elsewhere = root.path().join("elsewhere").display().to_string();
    let remote_only = logweave(&attempt_args(&elsewhere, &["--remote", arn]), &env);
    assert!(remote_only.status.success(), "{}", stderr(&remote_only));
    assert!(remote_only.stdout == std::fs::read(&later).unwrap());

    // A task with no stream: named, with the group.
    let missing = logweave(
        &[
            "airflow",
            "--base-log-folder",
            &elsewhere,
            "--dag",
            "etl",
            "--run",
            "r",
            "--task",
            "nothere",
            "--try",
            "1",
            "--remote",
            arn,
            "--print",
        ],
        &env,
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing)
            .contains("no log stream 'dag_id=etl/run_id=r/task_id=nothere/attempt=1.log'"),
        "{}",
        stderr(&missing)
    );
}

/// `logweave airflow` for attempt 1 of `etl`/`extract` in run `r1`, with
/// the search server of `kind`, printing, then `extra`.
fn searched<'a>(kind: Search, base: &'a str, url: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let flag = match kind {
        Search::Elasticsearch => "--elasticsearch",
        Search::OpenSearch => "--opensearch",
    };
    let mut args = vec![
        "airflow",
        "--base-log-folder",
        base,
        "--dag",
        "etl",
        "--run",
        "r1",
        "--task",
        "extract",
        "--try",
        "1",
        flag,
        url,
        "--print",
    ];
    args.extend_from_slice(extra);
    args
}

/// Both search servers: an attempt's documents byte for byte in offset
/// order (over 10,000 of them, beyond what `from` reaches), another try's
/// documents beside them left out, merged with the local copy and
/// deduplicated, and what is missing named.
#[test]
fn airflow_elasticsearch_and_opensearch_give_the_attempts_documents_in_offset_order() {
    for kind in [Search::Elasticsearch, Search::OpenSearch] {
        let root = tempfile::tempdir().unwrap();
        let gen = root.path().join("gen");
        generate(&gen, "2MB");
        let log = gen.join("attempt=1.log");
        let index = "airflow-logs-1";
        search_put(kind, index, "etl-extract-r1--1-1", &log, 1);
        let other = root.path().join("other.log");
        std::fs::write(&other, airflow_line(1, "try 2")).unwrap();
        search_put(kind, index, "etl-extract-r1--1-2", &other, 1);
        let url = search_server(kind).url();
        let nowhere = root.path().join("nowhere").display().to_string();

        let out = logweave(&searched(kind, &nowhere, &url, &[]), &[]);
        assert!(out.status.success(), "{kind:?}: {}", stderr(&out));
        let want = std::fs::read(&log).unwrap();
        assert!(
            String::from_utf8_lossy(&want).lines().count() > 10_000,
            "more documents than `from` reaches"
        );
        assert!(
            out.stdout == want,
            "{kind:?}: the documents are the file's records"
        );

        // Without --try and nothing local: the latest try with documents.
        let mut latest = searched(kind, &nowhere, &url, &[]);
        latest.retain(|a| *a != "--try" && *a != "1");
        let out = logweave(&latest, &[]);
        assert!(out.status.success(), "{kind:?}: {}", stderr(&out));
        assert!(
            out.stdout == std::fs::read(&other).unwrap(),
            "{kind:?}: try 2"
        );

        // Beside the local copy: tagged, and each copy shown once.
        let base = root.path().join("logs");
        let task = base.join("dag_id=etl/run_id=r1/task_id=extract");
        std::fs::create_dir_all(&task).unwrap();
        std::fs::copy(&log, task.join("attempt=1.log")).unwrap();
        let base = base.display().to_string();
        let tagged = logweave(&searched(kind, &base, &url, &["--tag", "--no-dedup"]), &[]);
        let counts = lines_per_tag(&tagged);
        let name = format!("{kind:?}").to_lowercase();
        let tags: Vec<&str> = counts.iter().map(|(t, _)| t.as_str()).collect();
        assert!(
            tags.len() == 2 && tags.contains(&"local") && tags.contains(&name.as_str()),
            "{counts:?}"
        );
        assert_eq!(counts[0].1, counts[1].1, "{counts:?}");
        let deduped = logweave(&searched(kind, &base, &url, &[]), &[]);
        assert!(deduped.stdout == want, "{kind:?}: dedup left copies");

        // What is missing is named.
        let out = logweave(
            &searched(kind, &nowhere, &url, &["--index-patterns", "nothere"]),
            &[],
        );
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("no index matches 'nothere'"),
            "{}",
            stderr(&out)
        );
        let mut args = searched(kind, &nowhere, &url, &[]);
        let at = args.iter().position(|a| *a == "1").unwrap();
        args[at] = "3";
        let out = logweave(&args, &[]);
        assert_eq!(out.status.code(), Some(2));
        let said = stderr(&out);
        assert!(
            said.contains("no documents with log_id 'etl-extract-r1--1-3'")
                && said.contains("--log-id-template"),
            "{said}"
        );
    }
}

/// Documents of JSON mode go through the log format with their traceback
/// kept; Airflow 3's are JSON lines with their exception; a log_id
/// template of the deployment's own is followed.
#[test]
fn search_documents_are_rendered_as_airflow_renders_them_without_losing_exceptions() {
    let kind = Search::OpenSearch;
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs.ndjson");
    let lines = [
        r#"{"log_id":"etl_extract_r1_1","offset":2,"asctime":"2024-12-19T10:00:01.000+0000","filename":"task.py","lineno":42,"levelname":"ERROR","message":"Task failed","exc_text":"Traceback (most recent call last):\n  File \"task.py\", line 42, in run\nValueError: boom"}"#,
        r#"{"log_id":"etl_extract_r1_1","offset":1,"asctime":"2024-12-19T10:00:00.000+0000","filename":"task.py","lineno":7,"levelname":"INFO","message":"Starting"}"#,
        r#"{"log_id":"etl_extract_r1_2","offset":1,"timestamp":"2025-01-01T00:00:00.123456Z","event":"Task failed","level":"error","logger":"task","error_detail":[{"exc_type":"ValueError","exc_value":"boom"}],"host":"worker-1"}"#,
    ];
    std::fs::write(&docs, lines.join("\n")).unwrap();
    search_put_docs(kind, "json-logs", &docs);
    let url = search_server(kind).url();
    let nowhere = dir.path().join("nowhere").display().to_string();
    let template = [
        "--log-id-template",
        "{dag_id}_{task_id}_{run_id}_{try_number}",
    ];
    let out = logweave(&searched(kind, &nowhere, &url, &template), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "[2024-12-19T10:00:00.000+0000] {task.py:7} INFO - Starting\n\
         [2024-12-19T10:00:01.000+0000] {task.py:42} ERROR - Task failed\n\
         Traceback (most recent call last):\n  File \"task.py\", line 42, in run\n\
         ValueError: boom\n"
    );
    let mut args = searched(kind, &nowhere, &url, &template);
    let at = args.iter().position(|a| *a == "1").unwrap();
    args[at] = "2";
    let out = logweave(&args, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        r#"{"timestamp":"2025-01-01T00:00:00.123456Z","event":"Task failed","level":"error","logger":"task","error_detail":[{"exc_type":"ValueError","exc_value":"boom"}]}"#
            .to_string()
            + "\n"
    );
}

#[test]
fn following_search_documents_shows_those_with_a_higher_offset() {
    let kind = Search::Elasticsearch;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.log");
    std::fs::write(
        &file,
        (0..5)
            .map(|i| airflow_line(i, "document"))
            .collect::<String>(),
    )
    .unwrap();
    // Its own log_id: the server is shared with the other tests.
    search_put(kind, "follow-logs", "follow-1", &file, 1);
    let url = search_server(kind).url();
    let nowhere = dir.path().join("nowhere").display().to_string();
    let template = ["--log-id-template", "follow-{try_number}"];
    let mut args = searched(kind, &nowhere, &url, &template);
    args.retain(|a| *a != "--print");
    args.push("-f");
    let mut tui = Tui::spawn_env(&args, 24, 100, &[]);
    tui.wait_for_text("document 4");
    std::fs::write(
        &file,
        (5..8)
            .map(|i| airflow_line(i, "document"))
            .collect::<String>(),
    )
    .unwrap();
    search_put(kind, "follow-logs", "follow-1", &file, 6);
    tui.wait_for_text("document 7");
    tui.press("q");
    assert!(tui.wait_exit());
}

#[test]
fn gcs_objects_and_prefixes_read_back_byte_for_byte_from_fake_gcs_server() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "4MB");
    let files = ["attempt=1.log", TRIGGER_LOG];
    let objects: Vec<(String, PathBuf)> = files
        .iter()
        .map(|f| (format!("logs/one/{f}"), dir.path().join(f)))
        .collect();
    gcs_put("single", &objects);
    let env = gcs_env(gcs_server());

    let out = logweave(&["--print", "gs://single/logs/one/attempt=1.log"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout == std::fs::read(dir.path().join(files[0])).unwrap());

    let local = logweave(
        &[
            "--print",
            &dir.path().join(files[0]).display().to_string(),
            &dir.path().join(files[1]).display().to_string(),
        ],
        &[],
    );
    let listed = logweave(&["--print", "gs://single/logs/one/"], &env);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(listed.stdout == local.stdout, "the prefix's merge differs");

    let missing = logweave(&["--print", "gs://single/logs/none.log"], &env);
    assert_eq!(missing.status.code(), Some(2));
    let said = stderr(&missing);
    assert!(
        said.contains("'gs://single/logs/none.log'") && said.contains("no object"),
        "{said}"
    );

    // Airflow's remote base on GCS: the attempt's object and its trigger
    // sub-log, tagged by place.
    let root = tempfile::tempdir().unwrap();
    let base = root.path().join("logs");
    let (relative, task) = airflow_folder(&base, "1MB");
    let objects: Vec<(String, PathBuf)> = files
        .iter()
        .map(|f| (format!("airflow/{relative}/{f}"), task.join(f)))
        .collect();
    gcs_put("remote-logs", &objects);
    let base_arg = base.display().to_string();
    let tagged = logweave(
        &attempt_args(
            &base_arg,
            &[
                "--remote",
                "gs://remote-logs/airflow",
                "--tag",
                "--no-dedup",
            ],
        ),
        &env,
    );
    assert!(tagged.status.success(), "{}", stderr(&tagged));
    let counts = lines_per_tag(&tagged);
    let tags: Vec<&str> = counts.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(tags, ["gs", "gs.trigger.42", "local", "trigger.42"]);
    assert_eq!(counts[0].1, counts[2].1);
}

#[test]
fn following_a_gcs_object_shows_what_it_gains_and_a_replaced_one_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("attempt=1.log");
    let put = |text: String| {
        std::fs::write(&file, text).unwrap();
        gcs_put("follow", &[("attempt=1.log".into(), file.clone())]);
    };
    put((0..5).map(|i| airflow_line(i, "gcs line")).collect());
    let env = gcs_env(gcs_server());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut tui = Tui::spawn_env(&["-f", "gs://follow/attempt=1.log"], 24, 100, &env);
    tui.wait_for_text("gcs line 4");
    // Objects are replaced whole, as Airflow's GCS handler uploads them.
    put((0..8).map(|i| airflow_line(i, "gcs line")).collect());
    tui.wait_for_text("gcs line 7");
    put(airflow_line(59, "a new object"));
    tui.wait_for_text("a new object 59");
    tui.press("q");
    assert!(tui.wait_exit());
}
