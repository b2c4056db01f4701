//! Remote sources against real servers on 127.0.0.1: a Range-capable HTTP
//! server, moto's S3-compatible server, Azurite (the Azure Blob emulator)
//! and Airflow's own worker log server.
//! The first run installs the servers' Python packages (see
//! tests/remote/servers.rs); later runs reuse them.

#[path = "e2e/cpu.rs"]
mod cpu;
#[path = "e2e/harness.rs"]
mod harness;
#[path = "remote/run.rs"]
mod run;
#[path = "remote/served_follow.rs"]
mod served_follow;
#[path = "remote/servers.rs"]
mod servers;

use std::path::{Path, PathBuf};
use std::process::Command;

use harness::{group, Tui};
use run::{airflow_folder, attempt_args, generate, lines_per_tag, logweave, stderr};
use servers::{
    airflow_log_server, azure_env, azure_put, azure_server, heal_range_server, range_most_at_once,
    range_server, range_stats, reset_range_stats, s3_env, s3_put, s3_server, shaped_range_server,
};

#[test]
fn http_ranges_return_the_file_byte_for_byte_also_without_range_support_or_with_errors() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "6MB");
    let server = range_server(dir.path());
    let want = std::fs::read(dir.path().join("attempt=1.log")).unwrap();
    for mode in ["files", "whole", "flaky"] {
        let url = format!("{}/{mode}/attempt=1.log", server.url());
        let out = logweave(&["--print", &url], &[]);
        assert!(out.status.success(), "{mode}: {}", stderr(&out));
        assert!(out.stdout == want, "{mode}: bytes differ");
    }
    // Followed, a server that ignores ranges cannot be asked for what grew:
    // the file is printed once, that is said, and the follow ends.
    let url = format!("{}/whole/attempt=1.log", server.url());
    let out = logweave(&["--print", "-f", &url], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout == want, "followed: bytes differ");
    assert!(
        stderr(&out)
            .contains("the server sends the whole file, not ranges of it: read once, not followed"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_jump_to_the_end_of_a_big_object_fetches_a_few_ranges_and_memory_stays_flat() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "330MB");
    let file = dir.path().join("attempt=1.log");
    let len = std::fs::metadata(&file).unwrap().len();
    assert!(len > 190_000_000, "a ~200 MB object ({len})");
    let server = range_server(dir.path());
    let url = format!("{}/files/attempt=1.log", server.url());

    let mut tui = Tui::spawn(&[&url], 24, 100);
    tui.wait_ready();
    // The first screen reads the first chunk of the object's order (1 MiB,
    // records put in order chunk by chunk) and where the next begins.
    let (first_requests, first_bytes) = range_stats(&server);
    eprintln!("first screen: {first_requests} requests, {first_bytes} bytes");
    assert!(
        first_requests <= 8 && first_bytes <= 4 * 1024 * 1024,
        "first screen: {first_requests} requests, {first_bytes} bytes"
    );
    reset_range_stats(&server);
    tui.press("G");
    // The attempt ends with Airflow's post-execution group, folded (its end
    // found in the blocks G fetched anyway).
    tui.wait_for("the end", |t| t.status().contains("END"));
    tui.wait_for_text("▸ Post task execution logs (3 lines)");
    let (requests, bytes) = range_stats(&server);
    eprintln!("G: {requests} requests, {bytes} bytes");
    assert!(
        requests <= 8 && bytes <= 4 * 1024 * 1024,
        "G: {requests} requests, {bytes} bytes"
    );

    // A search that finds nothing reads every byte through the cache, once:
    // its wrap-around stops where it began, and no hit count reads the
    // object again behind the user's back.
    reset_range_stats(&server);
    tui.press("?no such text anywhere\r");
    tui.wait_for("the search to finish", |t| {
        t.status().contains("not found") || t.text().contains("not found")
    });
    let (_, bytes) = range_stats(&server);
    assert!(
        bytes >= len * 9 / 10 && bytes <= len + len / 4,
        "the search read the {len}-byte object once ({bytes} bytes)"
    );
    let rss = tui.peak_rss_kib().expect("peak RSS");
    assert!(rss < 80 * 1024, "peak RSS {rss} KiB after reading 200 MB");
    tui.press("q");
    assert!(tui.wait_exit());

    // Printing it from a server 50 ms away: the same bytes, each fetched
    // once, in 2 MiB ranges several at a time (BENCHMARKS.md has the speed).
    // How many go at once depends on how fast the print takes them: on a
    // loaded machine one run may keep up with one request at a time, so a
    // second run is allowed to show the requests going in parallel.
    let mut most_seen = Vec::new();
    for _ in 0..2 {
        let server = shaped_range_server(dir.path(), 50, 0.0);
        let url = format!("{}/files/attempt=1.log", server.url());
        let out = logweave(&["--print", &url], &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(out.stdout == std::fs::read(&file).unwrap(), "print differs");
        let (requests, bytes) = range_stats(&server);
        // The size probe at open is one more request, for the first
        // block: the print reads it from the cache.
        assert_eq!(bytes, len, "every byte fetched once");
        assert!(
            requests <= len / (2 << 20) + 8,
            "{requests} requests for {len} bytes"
        );
        let most = range_most_at_once(&server);
        assert!(most <= 8, "{most} requests at once");
        most_seen.push(most);
        if most >= 2 {
            return;
        }
    }
    panic!("requests at once, run by run: {most_seen:?}; never in parallel");
}

fn last_line(file: &Path) -> String {
    let text = std::fs::read(file).unwrap();
    let body = text.strip_suffix(b"\n").unwrap_or(&text);
    let start = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    String::from_utf8_lossy(&body[start..]).into_owned()
}

#[test]
fn a_refusing_server_fails_alone_and_the_others_are_printed() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "1MB");
    let local = dir.path().join("attempt=1.log");
    let dead = format!("http://127.0.0.1:{}/x.log", servers::free_port());
    let out = logweave(&["--print", &local.display().to_string(), &dead], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout == std::fs::read(&local).unwrap());
    let err = stderr(&out);
    assert!(
        err.contains("Connection refused") && err.contains(&dead),
        "{err}"
    );
}

/// Lines of `out` tagged `tag` (`--tag` output), the tag removed.
fn tagged_lines(out: &[u8], tag: &str) -> Vec<u8> {
    let prefix = format!("{tag}: ");
    let mut lines = Vec::new();
    for line in out.split_inclusive(|&b| b == b'\n') {
        if let Some(rest) = line.strip_prefix(prefix.as_bytes()) {
            lines.extend_from_slice(rest);
        }
    }
    lines
}

/// A generated attempt: its trigger sub-log as a local file, and its worker
/// log behind a range server that fails from the middle of the file on
/// (until healed). Returns the folder, the server, the local file and the
/// URL.
fn dying_server() -> (tempfile::TempDir, servers::Server, PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "8MB");
    let server = range_server(dir.path());
    let local = dir.path().join("attempt=1.log.trigger.42.log");
    let url = format!("{}/halfway/attempt=1.log", server.url());
    (dir, server, local, url)
}

#[test]
fn a_server_that_dies_part_way_loses_only_its_own_rest_in_print_mode() {
    let (dir, _server, local, url) = dying_server();
    let local_arg = local.display().to_string();
    let out = logweave(&["--print", "--tag", &local_arg, &url], &[]);

    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let local_tag = local.file_name().unwrap().to_string_lossy();
    assert!(
        tagged_lines(&out.stdout, &local_tag) == std::fs::read(&local).unwrap(),
        "every line of the healthy source is printed"
    );
    let remote = std::fs::read(dir.path().join("attempt=1.log")).unwrap();
    // Tagged, as on screen, by the shortest path suffix that tells it apart.
    let printed = tagged_lines(&out.stdout, "attempt=1.log");
    assert!(
        !printed.is_empty() && printed.len() < remote.len(),
        "a part of the dying source ({} of {} bytes)",
        printed.len(),
        remote.len()
    );
    assert!(
        remote.starts_with(&printed),
        "what it served is printed whole, in order, up to where it died"
    );
    let err = stderr(&out);
    assert!(
        err.contains(&url) && err.contains("500") && err.contains("are missing"),
        "{err}"
    );
    assert_eq!(err.matches(&url).count(), 1, "named once: {err}");
}

#[test]
fn a_server_that_dies_part_way_is_hidden_in_the_viewer_and_the_rest_stays_readable() {
    let (dir, server, local, url) = dying_server();
    // Wide enough for the whole problem: what, what to check, since when.
    let mut tui = Tui::spawn(&[&local.display().to_string(), &url], 24, 300);
    tui.wait_ready();
    tui.press("G");
    tui.wait_for("the dying source to be hidden", |t| {
        t.text().contains("failed and is hidden")
    });
    tui.press("j");
    tui.wait_for("its error, naming it once, in the status bar", |t| {
        let status = t.status();
        status.contains("2✗attempt=1.log")
            && status.contains("500 Internal Server Error — check that the server is up")
            && status.contains("(since ")
            && status.matches("/halfway/").count() == 1
    });
    let last = last_line(&local);
    tui.wait_for_text(&last[..60]);
    // The overview counts again without it: line numbers come back.
    let lines = std::fs::read_to_string(&local).unwrap().lines().count();
    let total = format!("of {}", group(lines));
    tui.wait_for("line numbers of the healthy source", |t| {
        t.status().contains(&total)
    });
    tui.press("g");
    tui.wait_for("the top of the healthy source", |t| {
        let first = std::fs::read_to_string(&local).unwrap();
        t.text().contains(&first.lines().next().unwrap()[..60])
    });

    // The server is back: its number shows it again, all of it.
    heal_range_server(&server);
    tui.press("2x");
    tui.wait_for("the source shown again", |t| {
        t.status().contains("2●") && t.status().contains("reading")
    });
    tui.press("G");
    tui.wait_for("its second half, which had failed, at the end", |t| {
        t.status().contains("END") && t.rows().iter().any(|r| r.starts_with("attempt=1.log "))
    });
    assert!(!tui.status().contains('✗'), "{}", tui.status());
    let remote_lines = std::fs::read_to_string(dir.path().join("attempt=1.log"))
        .unwrap()
        .lines()
        .count();
    let total = format!("of {}", group(lines + remote_lines));
    tui.wait_for("line numbers counting both again", |t| {
        t.status().contains(&total)
    });
    tui.press("q");
    assert!(tui.wait_exit());
}

#[test]
fn credentials_in_urls_never_reach_messages() {
    let port = servers::free_port();
    let url = format!("http://alice:hunter2@127.0.0.1:{port}/x.log?X-Amz-Signature=abc");
    let out = logweave(&["--print", &url], &[]);
    let err = stderr(&out);
    assert!(!err.contains("hunter2") && !err.contains("abc"), "{err}");
    assert!(
        err.contains(&format!("http://127.0.0.1:{port}/x.log")),
        "{err}"
    );
}

/// An object store's bucket (`scheme://single/…`): one object byte for
/// byte, and a prefix merged like the local folder. `put` uploads
/// (key, file) pairs into the bucket `single`.
fn objects_and_prefixes_read_through_ranged_gets(
    scheme: &str,
    put: impl Fn(&[(String, PathBuf)]),
    env: &[(&str, String)],
) {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "4MB");
    let files = ["attempt=1.log", "attempt=1.log.trigger.42.log"];
    let objects: Vec<(String, PathBuf)> = files
        .iter()
        .map(|f| (format!("logs/one/{f}"), dir.path().join(f)))
        .collect();
    put(&objects);

    let one = format!("{scheme}://single/logs/one/attempt=1.log");
    let out = logweave(&["--print", &one], env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout == std::fs::read(dir.path().join(files[0])).unwrap());

    // A prefix opens every object under it, merged like the local folder.
    let local = logweave(
        &[
            "--print",
            &dir.path().join(files[0]).display().to_string(),
            &dir.path().join(files[1]).display().to_string(),
        ],
        &[],
    );
    let prefix = format!("{scheme}://single/logs/one/");
    let listed = logweave(&["--print", &prefix], env);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(listed.stdout == local.stdout, "prefix merge differs");
}

#[test]
fn s3_objects_and_prefixes_read_through_ranged_gets() {
    let env = s3_env(s3_server());
    objects_and_prefixes_read_through_ranged_gets("s3", |o| s3_put("single", o), &env);
    let missing = logweave(&["--print", "s3://single/logs/none.log"], &env);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("s3://single/logs/none.log"));
}

/// [`attempt_args`] with every line tagged and every copy shown.
fn airflow_args<'a>(base: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = attempt_args(base, &["--tag", "--no-dedup"]);
    args.extend_from_slice(extra);
    args
}

#[test]
fn airflow_remote_finds_every_object_of_the_attempt() {
    let root = tempfile::tempdir().unwrap();
    let base = root.path().join("logs");
    let (relative, task) = airflow_folder(&base, "2MB");
    let env = s3_env(s3_server());
    let objects: Vec<(String, PathBuf)> = ["attempt=1.log", "attempt=1.log.trigger.42.log"]
        .iter()
        .map(|f| (format!("airflow/logs/{relative}/{f}"), task.join(f)))
        .collect();
    s3_put("remote-logs", &objects);
    let base_arg = base.display().to_string();
    let out = logweave(
        &airflow_args(&base_arg, &["--remote", "s3://remote-logs/airflow/logs"]),
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let counts = lines_per_tag(&out);
    let tags: Vec<&str> = counts.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(tags, ["local", "s3", "s3.trigger.42", "trigger.42"]);
    assert_eq!(counts[0].1, counts[1].1, "the remote copy has every line");
    assert_eq!(counts[2].1, counts[3].1);

    // With nothing local and no --try, the latest try under --remote opens.
    let later = root.path().join("attempt=2.log");
    std::fs::write(
        &later,
        "[2024-12-20T11:00:00.000+0000] {taskinstance.py:1} INFO - the second try\n",
    )
    .unwrap();
    s3_put(
        "remote-logs",
        &[(
            format!("airflow/logs/{relative}/attempt=2.log"),
            later.clone(),
        )],
    );
    let remote_only = logweave(
        &attempt_args(
            &root.path().join("elsewhere").display().to_string(),
            &["--remote", "s3://remote-logs/airflow/logs"],
        ),
        &env,
    );
    assert!(remote_only.status.success(), "{}", stderr(&remote_only));
    assert!(remote_only.stdout == std::fs::read(&later).unwrap());

    // With dedup (the default) the copies count once.
    let mut args = airflow_args(&base_arg, &["--remote", "s3://remote-logs/airflow/logs"]);
    args.retain(|a| *a != "--no-dedup");
    let deduped = logweave(&args, &env);
    let local_only = logweave(&airflow_args(&base_arg, &[]), &[]);
    assert_eq!(
        String::from_utf8_lossy(&deduped.stdout).lines().count(),
        String::from_utf8_lossy(&local_only.stdout).lines().count()
    );
}

#[test]
fn airflow_log_server_serves_the_attempt_with_a_signed_token() {
    let root = tempfile::tempdir().unwrap();
    let base = root.path().join("logs");
    let (_, task) = airflow_folder(&base, "2MB");
    let server = airflow_log_server(&base, "the-shared-secret");
    let base_arg = base.display().to_string();
    let url = server.url();

    let out = logweave(
        &airflow_args(&base_arg, &["--log-server", &url]),
        &[("AIRFLOW__API__SECRET_KEY", "the-shared-secret".into())],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let counts = lines_per_tag(&out);
    let local = counts.iter().find(|(t, _)| t == "local").unwrap().1;
    let served = counts.iter().find(|(t, _)| t == "served").unwrap().1;
    assert_eq!(local, served, "{counts:?}");
    let lines = std::fs::read_to_string(task.join("attempt=1.log"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(served, lines);

    // The served file alone, byte for byte (through ranges).
    let only_served = logweave(
        &attempt_args(
            &root.path().join("elsewhere").display().to_string(),
            &["--try", "1", "--log-server", &url],
        ),
        &[("AIRFLOW__API__SECRET_KEY", "the-shared-secret".into())],
    );
    assert!(only_served.status.success(), "{}", stderr(&only_served));
    assert!(only_served.stdout == std::fs::read(task.join("attempt=1.log")).unwrap());
    // A try this worker did not run: said, with where to look.
    let elsewhere = logweave(
        &attempt_args(
            &root.path().join("elsewhere").display().to_string(),
            &["--try", "9", "--log-server", &url],
        ),
        &[("AIRFLOW__API__SECRET_KEY", "the-shared-secret".into())],
    );
    assert!(!elsewhere.status.success());
    assert!(
        stderr(&elsewhere).contains("may have run on another worker"),
        "{}",
        stderr(&elsewhere)
    );

    // The triggerer's own log server (a bare host:port) serves the trigger
    // sub-log; its job id comes from the local sub-log's name, or is given.
    let triggerer = airflow_log_server(&base, "the-shared-secret");
    let triggerer_host = format!("127.0.0.1:{}", triggerer.port);
    let secret = [("AIRFLOW__API__SECRET_KEY", "the-shared-secret".into())];
    let with_triggerer = logweave(
        &airflow_args(&base_arg, &["--triggerer-log-server", &triggerer_host]),
        &secret,
    );
    assert!(
        with_triggerer.status.success(),
        "{}",
        stderr(&with_triggerer)
    );
    let counts = lines_per_tag(&with_triggerer);
    let tags: Vec<&str> = counts.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(tags, ["local", "served.trigger.42", "trigger.42"]);
    assert_eq!(counts[1].1, counts[2].1, "{counts:?}");
    let elsewhere = root.path().join("elsewhere").display().to_string();
    let only_triggerer = logweave(
        &attempt_args(
            &elsewhere,
            &[
                "--try",
                "1",
                "--triggerer-log-server",
                &triggerer_host,
                "--trigger-job",
                "42",
            ],
        ),
        &secret,
    );
    assert!(
        only_triggerer.status.success(),
        "{}",
        stderr(&only_triggerer)
    );
    assert!(
        only_triggerer.stdout == std::fs::read(task.join("attempt=1.log.trigger.42.log")).unwrap()
    );
    let no_job = logweave(
        &attempt_args(
            &elsewhere,
            &["--try", "1", "--triggerer-log-server", &triggerer_host],
        ),
        &secret,
    );
    assert_eq!(no_job.status.code(), Some(2));
    assert!(
        stderr(&no_job).contains("--trigger-job"),
        "{}",
        stderr(&no_job)
    );

    let wrong = logweave(
        &airflow_args(&base_arg, &["--log-server", &url, "--secret-key", "not-it"]),
        &[],
    );
    assert_eq!(
        wrong.status.code(),
        Some(1),
        "the local sources still print"
    );
    let err = stderr(&wrong);
    assert!(
        err.contains("403") && err.contains("secret key") && err.contains("clocks"),
        "{err}"
    );
    assert!(
        err.contains("refused (403 Forbidden)\n  tip: check that the secret key"),
        "what to check is the tip, on its own line: {err}"
    );
    assert!(!err.contains("not-it"), "the secret is never shown");
}

#[test]
fn an_airflow_profile_reaches_the_log_server_with_the_secret_its_command_prints() {
    let root = tempfile::tempdir().unwrap();
    let base = root.path().join("logs");
    let (_, task) = airflow_folder(&base, "2MB");
    let server = airflow_log_server(&base, "the-shared-secret");
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[airflow.prod]\nbase_log_folder = '{}'\nlog_server = '{}'\n\
             secret_key_command = 'printf the-shared-secret'\n",
            root.path().join("elsewhere").display(),
            server.url()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .arg("--config")
        .arg(&config)
        .args(["airflow", "--profile", "prod", "--dag", "etl"])
        .args(["--run", "scheduled__2024-12-19T00:00:00+00:00"])
        .args(["--task", "extract", "--try", "1", "--print"])
        .env("HOME", root.path())
        .env_remove("AIRFLOW__API__SECRET_KEY")
        .env_remove("AIRFLOW__WEBSERVER__SECRET_KEY")
        .env_remove("AIRFLOW__LOGGING__BASE_LOG_FOLDER")
        .output()
        .expect("run logweave");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout == std::fs::read(task.join("attempt=1.log")).unwrap());
}

#[test]
fn following_an_http_source_shows_what_it_gains_and_a_replaced_one_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("attempt=1.log");
    let line =
        |i: u32| format!("[2024-12-19T00:00:{i:02}.000+0000] {{x.py:1}} INFO - remote line {i}\n");
    std::fs::write(&file, (0..5).map(line).collect::<String>()).unwrap();
    let server = range_server(dir.path());
    let url = format!("{}/files/attempt=1.log", server.url());
    let mut tui = Tui::spawn(&["-f", &url], 24, 100);
    tui.wait_for_text("remote line 4");
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap();
    std::io::Write::write_all(&mut log, (5..8).map(line).collect::<String>().as_bytes()).unwrap();
    drop(log);
    tui.wait_for_text("remote line 7");

    // Replaced by a shorter object: read again from its start.
    std::fs::write(
        &file,
        "[2024-12-19T00:01:00.000+0000] {x.py:1} INFO - a new object\n",
    )
    .unwrap();
    tui.wait_for_text("a new object");
    tui.press("q");
    assert!(tui.wait_exit());
}

#[test]
fn following_an_idle_url_costs_no_cpu_in_print_mode_or_the_viewer() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("attempt=1.log");
    std::fs::write(
        &file,
        "[2024-12-19T00:00:00.000+0000] {x.py:1} INFO - an object that does not change\n",
    )
    .unwrap();
    let server = range_server(dir.path());
    let url = format!("{}/files/attempt=1.log", server.url());
    let mut child = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(["--print", "-f", &url])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    std::io::BufRead::read_line(&mut out, &mut first).expect("the first line");
    assert!(first.contains("does not change"), "{first}");
    cpu::assert_idle(child.id(), "--print -f of an idle URL");
    // An object may always grow: following goes on.
    assert!(child.try_wait().expect("wait").is_none());
    let _ = child.kill();
    let _ = child.wait();

    let mut tui = Tui::spawn(&["-f", &url], 24, 100);
    tui.wait_for_text("does not change");
    cpu::assert_idle(
        tui.pid().expect("the viewer's pid"),
        "the viewer following an idle URL",
    );
    tui.press("q");
    assert!(tui.wait_exit());
}

#[test]
fn azure_blobs_and_prefixes_read_through_ranged_gets_in_azurite() {
    let env = azure_env(azure_server());
    objects_and_prefixes_read_through_ranged_gets("az", |o| azure_put("single", o), &env);
    let missing = logweave(&["--print", "az://single/logs/none.log"], &env);
    assert_eq!(missing.status.code(), Some(2));
    let message = stderr(&missing);
    assert!(
        message.contains("'az://single/logs/none.log'") && message.contains("no object"),
        "{message}"
    );
    let no_container = logweave(&["--print", "az://nothere/x.log"], &env);
    assert_eq!(no_container.status.code(), Some(2));
    let message = stderr(&no_container);
    assert!(
        message.contains("ContainerNotFound: The specified container does not exist.")
            && !message.contains("RequestId"),
        "one line, no request id: {message}"
    );
}

#[test]
fn following_an_azure_blob_shows_what_it_gains_and_a_replaced_one_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("attempt=1.log");
    let line =
        |i: u32| format!("[2024-12-19T00:00:{i:02}.000+0000] {{x.py:1}} INFO - blob line {i}\n");
    let put = |text: String| {
        std::fs::write(&file, text).unwrap();
        azure_put("follow", &[("attempt=1.log".into(), file.clone())]);
    };
    put((0..5).map(line).collect());
    let env = azure_env(azure_server());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut tui = Tui::spawn_env(&["-f", "az://follow/attempt=1.log"], 24, 100, &env);
    tui.wait_for_text("blob line 4");
    // Blobs are replaced whole, as Airflow's remote handlers upload them.
    put((0..8).map(line).collect());
    tui.wait_for_text("blob line 7");
    put("[2024-12-19T00:01:00.000+0000] {x.py:1} INFO - a new blob\n".into());
    tui.wait_for_text("a new blob");
    tui.press("q");
    assert!(tui.wait_exit());
}

#[test]
fn misbehaving_servers_fail_alone_with_a_clear_message_and_never_mislead() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "6MB");
    let server = range_server(dir.path());
    let other = dir.path().join("attempt=1.log.trigger.42.log");
    let other_arg = other.display().to_string();
    let others_only = std::fs::read(&other).unwrap();
    let local_arg = dir.path().join("attempt=1.log").display().to_string();
    let cases = [
        // A login page instead of the log: not shown as if it were one.
        ("html", "the server answered with an HTML page, not a log"),
        // Another range than the one asked for: bytes from elsewhere in
        // the file would be shown in the wrong place.
        (
            "shifted",
            "the server answered bytes 1-262144 (262144 bytes) when asked for 0-262143",
        ),
        // A body cut short of its Content-Length, every time.
        ("short", "end of file before message length reached"),
    ];
    for (mode, message) in cases {
        let url = format!("{}/{mode}/attempt=1.log", server.url());
        let out = logweave(&["--print", &url, &other_arg], &[]);
        assert_eq!(out.status.code(), Some(1), "{mode}: {}", stderr(&out));
        assert!(
            out.stdout == others_only,
            "{mode}: the other source is printed whole"
        );
        assert!(stderr(&out).contains(message), "{mode}: {}", stderr(&out));
    }
    // A server that stops sending mid-answer and holds the connection:
    // given up on after the stated silence and 4 attempts, the part read
    // before is printed, and so is every other source.
    let url = format!("{}/stall/attempt=1.log", server.url());
    let started = std::time::Instant::now();
    let out = logweave(
        &[
            "--print",
            "--tag",
            "--remote-timeout",
            "1s",
            &url,
            &other_arg,
        ],
        &[],
    );
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "stall: {}", stderr(&out));
    assert!(
        took < std::time::Duration::from_secs(20),
        "4 attempts of 1 s and the waits between them, not the server's minute: {took:?}"
    );
    assert!(
        stderr(&out).contains("nothing arrived for 1s (--remote-timeout)")
            && stderr(&out).contains("are missing from the output"),
        "stall: {}",
        stderr(&out)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    let of = |tag: &str| -> String {
        let tag = format!("{tag}: ");
        printed
            .lines()
            .filter_map(|line| line.strip_prefix(&tag))
            .flat_map(|line| [line, "\n"])
            .collect()
    };
    assert!(
        of("attempt=1.log.trigger.42.log").as_bytes() == others_only,
        "stall: the other source is printed whole"
    );
    // Tagged by the shortest path suffix that tells it apart.
    let stalled = of("attempt=1.log");
    let whole = std::fs::read_to_string(dir.path().join("attempt=1.log")).unwrap();
    assert!(
        whole.starts_with(&stalled) && stalled.len() >= whole.len() / 2 - 256 * 1024,
        "stall: what arrived before the stall is printed in order ({} of {} bytes)",
        stalled.len(),
        whole.len()
    );

    // Rewritten shorter between two ranged reads under the same ETag: the
    // part read before is printed, and the change is said.
    let url = format!("{}/changed/attempt=1.log", server.url());
    let out = logweave(&["--print", &url], &[]);
    assert_eq!(out.status.code(), Some(1), "changed: {}", stderr(&out));
    assert!(
        stderr(&out).contains("the object is shorter than when opened"),
        "changed: {}",
        stderr(&out)
    );
    let whole = std::fs::read(dir.path().join("attempt=1.log")).unwrap();
    let read = out.stdout.strip_suffix(b"\n").unwrap_or(&out.stdout);
    assert!(
        whole.starts_with(read) && read.len() >= whole.len() * 2 / 3 - 1,
        "changed: what was read before is printed ({} of {} bytes)",
        read.len(),
        whole.len()
    );

    // Every third connection dropped without an answer, or 100 bytes more
    // after every answer than its Content-Length said: retries make the
    // output whole, and no stray byte shows.
    for mode in ["reset", "long"] {
        let url = format!("{}/{mode}/attempt=1.log", server.url());
        let out = logweave(&["--print", "--threads", "1", &url, &other_arg], &[]);
        assert!(out.status.success(), "{mode}: {}", stderr(&out));
        let local = logweave(&["--print", "--threads", "1", &local_arg, &other_arg], &[]);
        assert!(out.stdout == local.stdout, "{mode}: the output is whole");
    }
}
