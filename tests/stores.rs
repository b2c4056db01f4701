//! The stores Airflow ships task logs to, against real servers on
//! 127.0.0.1 (issue 29): CloudWatch Logs (moto's server), Elasticsearch
//! and OpenSearch (noida-db and osmem-server, compatible servers) and GCS
//! (fake-gcs-server). The servers come from the test venv (see
//! tests/remote/servers.rs).

#[path = "e2e/harness.rs"]
mod harness;
#[path = "remote/servers.rs"]
mod servers;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use harness::Tui;
use servers::{cloudwatch_put, moto_refusing, s3_env, s3_server};

fn logweave(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_logweave"));
    command.args(args).env("TZ", "UTC");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run logweave")
}

/// Writes a generated attempt of about `size` into `dir`.
fn generate(dir: &Path, size: &str) {
    let out = logweave(
        &["gen", "--out", &dir.display().to_string(), "--size", size],
        &[],
    );
    assert!(out.status.success(), "gen failed");
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Lines per tag in `--tag` output.
fn lines_per_tag(out: &Output) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let tag = line.split(": ").next().unwrap_or("").to_string();
        match counts.iter_mut().find(|(t, _)| *t == tag) {
            Some((_, n)) => *n += 1,
            None => counts.push((tag, 1)),
        }
    }
    counts.sort();
    counts
}

const TRIGGER_LOG: &str = "attempt=1.log.trigger.42.log";

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

/// A log folder with one attempt of `etl`/`extract` (run id with colons,
/// as scheduled runs have) and its trigger sub-log.
fn airflow_folder(base: &Path) -> (String, PathBuf) {
    let relative = "dag_id=etl/run_id=scheduled__2024-12-19T00:00:00+00:00/task_id=extract";
    let task = base.join(relative);
    std::fs::create_dir_all(&task).unwrap();
    let gen = base.with_file_name("gen");
    generate(&gen, "1MB");
    for f in ["attempt=1.log", TRIGGER_LOG] {
        std::fs::copy(gen.join(f), task.join(f)).unwrap();
    }
    (relative.to_string(), task)
}

fn attempt_args<'a>(base: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "airflow",
        "--base-log-folder",
        base,
        "--dag",
        "etl",
        "--run",
        "scheduled__2024-12-19T00:00:00+00:00",
        "--task",
        "extract",
        "--print",
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn airflow_remote_cloudwatch_finds_the_attempts_streams_and_dedups_against_the_local_copy() {
    let root = tempfile::tempdir().unwrap();
    let base = root.path().join("logs");
    let (relative, task) = airflow_folder(&base);
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
