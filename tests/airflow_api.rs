//! `logweave airflow --api` against a real Airflow 3 API server
//! (apache-airflow-core from tests/servers/requirements.txt) and a real
//! Airflow 2.10 webserver (tests/servers/requirements-airflow2.txt), each
//! started once for this binary by tests/remote/servers.rs, serving the
//! logs of real task instances: a run of
//! tests/servers/airflow_dags/etl_daily.py made by `airflow dags test`,
//! whose attempts' log files the tests write where the server's log folder
//! says.

#[path = "airflow_api/from_worker.rs"]
mod from_worker;
#[path = "e2e/harness.rs"]
mod harness;
#[path = "remote/servers.rs"]
mod servers;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use harness::Tui;
use servers::{airflow2_api, airflow_api, AirflowApi};

const ADMIN: [(&str, &str); 2] = [
    ("AIRFLOW_API_USER", "admin"),
    ("AIRFLOW_API_PASSWORD", "admin"),
];

fn logweave(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_logweave"));
    command
        .args(args)
        .env("TZ", "UTC")
        .env_remove("AIRFLOW_API_URL")
        .env_remove("AIRFLOW_API_USER")
        .env_remove("AIRFLOW_API_PASSWORD")
        .env_remove("AIRFLOW_API_TOKEN")
        .stdin(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run logweave")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The API server, with the attempts' logs written: `extract` (small),
/// `shard` map index 1, `big` (about 50 MB of Airflow 3 JSON lines, in time
/// order); and 250 older runs, so that the runs are listed over three pages.
fn api() -> &'static AirflowApi {
    static READY: OnceLock<()> = OnceLock::new();
    let api = airflow_api();
    READY.get_or_init(|| {
        std::fs::write(
            api.attempt_log("extract", None, 1),
            concat!(
                "{\"timestamp\":\"2024-12-20T10:00:00.000000Z\",\"event\":\"extracting\",\"level\":\"info\",\"logger\":\"airflow.task\"}\n",
                "{\"timestamp\":\"2024-12-20T10:00:01.000000Z\",\"event\":\"Task failed\",\"level\":\"error\",\"logger\":\"airflow.task\",\"error_detail\":[{\"exc_type\":\"ValueError\",\"exc_value\":\"bad row\"}]}\n",
            ),
        )
        .expect("extract's log");
        std::fs::write(
            api.attempt_log("shard", Some(1), 1),
            "{\"timestamp\":\"2024-12-20T10:00:02.000000Z\",\"event\":\"shard one of three\",\"level\":\"info\"}\n",
        )
        .expect("shard's log");
        let generated = tempfile::tempdir().expect("tempdir");
        let out = logweave(
            &[
                "gen",
                "--out",
                &generated.path().display().to_string(),
                "--size",
                "90MB",
                "--format",
                "json",
                // In time order: the API sorts by the millisecond (ties in
                // file order) and logweave by the microsecond, so on gen's
                // out-of-order default the two orders differ within a
                // millisecond; this test is about the bytes and the memory.
                "--late",
                "0",
            ],
            &[],
        );
        assert!(out.status.success(), "gen: {}", stderr(&out));
        std::fs::copy(
            generated.path().join("attempt=1.log"),
            api.attempt_log("big", None, 1),
        )
        .expect("big's log");
        api.add_runs(250);
    });
    api
}

/// The ids of the attempt `api_files` lays out for `range_server.py`.
const RANGE_SERVER_IDS: [&str; 9] = [
    "airflow",
    "--dag",
    "etl",
    "--run",
    "r1",
    "--task",
    "t",
    "--map-index",
    "0",
];

fn ids<'a>(api: &'a AirflowApi, task: &'a str) -> Vec<&'a str> {
    vec![
        "airflow",
        "--dag",
        "etl_daily",
        "--run",
        &api.run_id,
        "--task",
        task,
    ]
}

/// Runs `logweave args` and returns its output, stderr and peak RSS in KiB
/// (its `VmHWM`, read while it runs: `wait4`'s figure would count what a
/// child forked from this big test process held before it exec'd).
fn with_peak_rss(args: &[&str], env: &[(&str, &str)]) -> (Vec<u8>, String, u64) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_logweave"));
    command
        .args(args)
        .env("TZ", "UTC")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("spawn");
    let status = format!("/proc/{}/status", child.id());
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr_pipe = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut out).expect("read stdout");
        out
    });
    let err_reader = std::thread::spawn(move || {
        let mut err = String::new();
        std::io::Read::read_to_string(&mut stderr_pipe, &mut err).expect("read stderr");
        err
    });
    let mut peak_kib = 0;
    while child.try_wait().expect("wait").is_none() {
        let hwm = std::fs::read_to_string(&status)
            .ok()
            .and_then(|s| {
                let line = s.lines().find(|l| l.starts_with("VmHWM:"))?.to_string();
                line.split_whitespace().nth(1)?.parse::<u64>().ok()
            })
            .unwrap_or(0);
        peak_kib = peak_kib.max(hwm);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (
        reader.join().expect("stdout reader"),
        err_reader.join().expect("stderr reader"),
        peak_kib,
    )
}

#[test]
fn the_printed_log_is_what_the_api_returns_byte_for_byte_in_flat_memory() {
    let api = api();
    let url = api.url();
    let mut args = ids(api, "big");
    args.extend(["--api", &url, "--print"]);
    // The reference is fetched meanwhile: the server streams both at once.
    let reference =
        std::thread::spawn(move || api.get(&api.log_path("big", 1), "application/x-ndjson"));
    let (printed, err, peak_kib) = with_peak_rss(&args, &ADMIN);
    let want = reference.join().expect("the API's answer");
    assert!(want.len() > 50_000_000, "a big log: {} bytes", want.len());
    assert!(printed == want, "bytes differ from the API's answer: {err}");
    assert!(err.is_empty(), "{err}");
    assert!(
        peak_kib < 48 * 1024,
        "peak RSS {peak_kib} KiB while reading {} MB",
        want.len() >> 20
    );
}

#[test]
fn the_latest_try_is_read_and_a_mapped_instance_by_its_map_index() {
    let api = api();
    let url = api.url();
    let mut args = ids(api, "extract");
    args.extend(["--api", &url, "--print"]);
    let out = logweave(&args, &ADMIN);
    assert!(out.status.success(), "{}", stderr(&out));
    let want = api.get(&api.log_path("extract", 1), "application/x-ndjson");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&want)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"event\":\"Task failed\""));

    let mut args = ids(api, "shard");
    args.extend(["--map-index", "1", "--api", &url, "--print", "--tag"]);
    let out = logweave(&args, &ADMIN);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("api: ") && text.contains("shard one of three"),
        "{text}"
    );
}

#[test]
fn a_token_from_auth_token_is_accepted_as_is() {
    let api = api();
    let url = api.url();
    let token = String::from_utf8(
        Command::new(servers::python())
            .args([
                "-c",
                "import json,sys,urllib.request as u;print(json.load(u.urlopen(u.Request(sys.argv[1]+'/auth/token',data=b'{\"username\":\"viewer\",\"password\":\"viewer\"}',headers={'Content-Type':'application/json'})))['access_token'])",
                &url,
            ])
            .output()
            .expect("get a token")
            .stdout,
    )
    .expect("utf-8");
    let mut args = ids(api, "extract");
    args.extend(["--api", &url, "--print"]);
    let out = logweave(&args, &[("AIRFLOW_API_TOKEN", token.trim())]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("extracting"));
}

#[test]
fn wrong_logins_and_missing_ids_say_what_to_check() {
    let api = api();
    let url = api.url();
    let mut args = ids(api, "extract");
    args.extend(["--api", &url, "--print"]);

    let wrong = logweave(
        &args,
        &[
            ("AIRFLOW_API_USER", "admin"),
            ("AIRFLOW_API_PASSWORD", "not-the-password"),
        ],
    );
    assert_eq!(wrong.status.code(), Some(2));
    let err = stderr(&wrong);
    assert!(err.contains("refused the login (401)"), "{err}");
    assert!(
        err.contains("tip: check the user name and password"),
        "{err}"
    );
    assert!(
        !err.contains("not-the-password"),
        "never the password: {err}"
    );

    let refused = logweave(
        &args,
        &[
            ("AIRFLOW_API_USER", "nobody"),
            ("AIRFLOW_API_PASSWORD", "nobody"),
        ],
    );
    assert_eq!(refused.status.code(), Some(2));
    let err = stderr(&refused);
    assert!(err.contains("refused access (403)"), "{err}");
    assert!(
        err.contains("tip: this login may not read this DAG's task logs"),
        "{err}"
    );

    let anonymous = logweave(&args, &[]);
    assert_eq!(anonymous.status.code(), Some(2));
    assert!(
        stderr(&anonymous).contains("give --api-user"),
        "{}",
        stderr(&anonymous)
    );

    let no_password = logweave(&args, &[("AIRFLOW_API_USER", "admin")]);
    assert_eq!(no_password.status.code(), Some(2));
    assert!(
        stderr(&no_password).contains("set AIRFLOW_API_PASSWORD"),
        "{}",
        stderr(&no_password)
    );

    let cases: [(&[&str], &str); 4] = [
        (&["--dag", "nope"], "no DAG 'nope'"),
        (&["--run", "nope"], "DAG 'etl_daily' has no run 'nope'"),
        (&["--task", "nope"], "has no task 'nope'"),
        (
            &["--try", "9"],
            "task 'extract' has no try 9 (its latest is 1)",
        ),
    ];
    for (change, said) in cases {
        let mut args: Vec<&str> = ids(api, "extract");
        args.extend(["--api", &url, "--print"]);
        let flag = args.iter().position(|a| *a == change[0]);
        match flag {
            Some(at) => args[at + 1] = change[1],
            None => args.extend(change),
        }
        let out = logweave(&args, &ADMIN);
        assert_eq!(out.status.code(), Some(2), "{change:?}");
        assert!(stderr(&out).contains(said), "{change:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("tip: check --"), "{}", stderr(&out));
    }

    let no_ids = logweave(&["airflow", "--api", &url, "--print"], &ADMIN);
    assert_eq!(no_ids.status.code(), Some(2));
    assert!(
        stderr(&no_ids).contains("etl_daily"),
        "the dags are listed: {}",
        stderr(&no_ids)
    );
}

#[test]
fn an_address_that_is_not_the_api_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("api/v2")).expect("folders");
    std::fs::write(
        dir.path().join("api/v2/version"),
        "<html><body>Please log in</body></html>",
    )
    .expect("page");
    let server = servers::range_server(dir.path());
    let url = format!("{}/files", server.url());
    let out = logweave(
        &[
            "airflow", "--api", &url, "--dag", "a", "--run", "b", "--task", "c", "--print",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("not as the Airflow API does") || err.contains("unexpected answer"),
        "{err}"
    );
}

#[test]
fn the_picker_lists_dags_runs_tasks_and_tries_from_the_api_and_opens_the_log() {
    let api = api();
    let url = api.url();
    let mut tui = Tui::spawn_env(&["airflow", "--api", &url], 30, 140, &ADMIN);
    tui.wait_for("the dags", |t| {
        t.text().contains("pick a dag") && t.text().contains("etl_daily")
    });
    tui.press("\r");
    tui.wait_for("the runs, with their state", |t| {
        t.text().contains("pick a run")
            && t.text().contains(&api.run_id)
            && t.text().contains("success")
    });
    tui.press("\r");
    tui.wait_for("the task instances with map indexes", |t| {
        let text = t.text();
        text.contains("pick a task") && text.contains("extract") && text.contains("shard[1]")
    });
    // Typing filters; the mapped instance opens.
    tui.press("shard[1]");
    tui.press("\r");
    tui.wait_for("the tries", |t| {
        t.text().contains("pick a try") && t.text().contains("try 1")
    });
    tui.press("\r");
    tui.wait_for_text("shard one of three");
    tui.press("q");
    assert!(tui.wait_exit());
}

/// Sets `live` running with one line written, opens it in the viewer,
/// follows it (`F`) while three more lines are appended (`line(n)` says
/// "step n of the live task"), then ends it: each step is shown once and
/// the end is said. Returns the viewer for more checks.
fn follow_the_live_task(api: &AirflowApi, line: impl Fn(u32) -> String) -> Tui {
    let url = api.url();
    let log = api.attempt_log("live", None, 1);
    std::fs::write(&log, line(0)).expect("live's log");
    api.set_state("live", "running");
    let mut args = ids(api, "live");
    args.extend(["--api", &url]);
    let mut tui = Tui::spawn_env(&args, 30, 160, &ADMIN);
    tui.wait_for_text("step 0 of the live task");
    // F follows, as in less.
    tui.press("F");
    tui.wait_for("follow mode", |t| t.status().contains("FOLLOW"));
    for n in 1..=3 {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&log)
            .expect("append");
        file.write_all(line(n).as_bytes()).expect("write");
        tui.wait_for_text(&format!("step {n} of the live task"));
    }
    api.set_state("live", "success");
    tui.wait_for("following to stop when the task ended", |t| {
        t.text().contains("the task is success")
    });
    // Nothing more can come: the mode says it ended, not FOLLOW.
    tui.wait_for("the follow said to have ended", |t| {
        t.status().contains("ENDED") && !t.status().contains("FOLLOW")
    });
    // Each step once: what arrived joined the merge exactly once.
    let text = tui.text();
    for n in 0..=3 {
        let step = format!("step {n} of the live task");
        assert_eq!(text.matches(&step).count(), 1, "{step} once:\n{text}");
    }
    tui
}

#[test]
fn a_running_task_is_followed_until_it_ends() {
    let mut tui = follow_the_live_task(api(), |n| {
        format!(
            "{{\"timestamp\":\"2024-12-20T11:00:{n:02}.000000Z\",\"event\":\"step {n} of the live task\",\"level\":\"info\"}}\n"
        )
    });
    let text = tui.text();
    assert!(
        tui.status().contains("1!try1") || text.contains("could not read all of the log"),
        "the worker's log server the API could not reach is the source's problem"
    );
    tui.press("q");
    assert!(tui.wait_exit());
}

#[test]
fn the_api_log_merges_with_a_local_file() {
    let api = api();
    let url = api.url();
    let dir = tempfile::tempdir().expect("tempdir");
    let extra = dir.path().join("extra-debug.log");
    std::fs::write(
        &extra,
        "2024-12-20T10:00:00.500Z debug line between the two\n",
    )
    .expect("extra");
    let mut args = ids(api, "extract");
    args.extend(["--api", &url, "--print", extra.to_str().expect("utf-8")]);
    let out = logweave(&args, &ADMIN);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle} in {text}"))
    };
    assert!(
        at("extracting") < at("debug line between") && at("debug line between") < at("Task failed")
    );
}

/// The Airflow 2 webserver, with `extract`'s log written in Airflow 2's
/// text format.
fn api2() -> &'static AirflowApi {
    static READY: OnceLock<()> = OnceLock::new();
    let api = airflow2_api();
    READY.get_or_init(|| {
        std::fs::write(
            api.attempt_log("extract", None, 1),
            "[2024-12-20T10:00:00.000+0000] {taskinstance.py:1} INFO - extracting\n\
             [2024-12-20T10:00:01.000+0000] {taskinstance.py:2} ERROR - Task failed\n",
        )
        .expect("extract's log");
    });
    api
}

#[test]
fn airflow_2_prints_what_its_api_returns_and_refuses_a_wrong_password() {
    let api = api2();
    let url = api.url();
    let mut args = ids(api, "extract");
    args.extend(["--api", &url, "--print"]);
    let out = logweave(&args, &ADMIN);
    assert!(out.status.success(), "{}", stderr(&out));
    let want = api.get(&api.log_path("extract", 1), "text/plain");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&want)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ERROR - Task failed"));

    let wrong = logweave(
        &args,
        &[
            ("AIRFLOW_API_USER", "admin"),
            ("AIRFLOW_API_PASSWORD", "not-the-password"),
        ],
    );
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        stderr(&wrong).contains("refused the login (401)"),
        "{}",
        stderr(&wrong)
    );

    let mut args = ids(api, "extract");
    args[4] = "nope";
    args.extend(["--api", &url, "--print"]);
    let missing = logweave(&args, &ADMIN);
    assert!(
        stderr(&missing).contains("DAG 'etl_daily' has no run 'nope'"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn airflow_2_follows_a_running_task_through_its_byte_offsets() {
    let mut tui = follow_the_live_task(api2(), |n| {
        format!(
            "[2024-12-20T11:00:{n:02}.000+0000] {{live.py:1}} INFO - step {n} of the live task\n"
        )
    });
    let text = tui.text();
    // No empty lines where one poll ended and the next began.
    let rows: Vec<String> = tui.rows();
    let first = rows
        .iter()
        .position(|r| r.contains("step 0"))
        .expect("step 0");
    let last = rows
        .iter()
        .position(|r| r.contains("step 3"))
        .expect("step 3");
    assert_eq!(last - first, 3, "consecutive rows:\n{text}");
    tui.press("q");
    assert!(tui.wait_exit());
}

#[test]
fn print_follow_writes_what_a_running_task_adds_once_and_says_when_it_ended() {
    let api = api();
    let url = api.url();
    let log = api.attempt_log("tail", None, 1);
    let line = |n: u32| {
        format!(
            "{{\"timestamp\":\"2024-12-20T12:00:{n:02}.000000Z\",\"event\":\"printed step {n}\",\"level\":\"info\"}}\n"
        )
    };
    std::fs::write(&log, line(0)).expect("tail's log");
    api.set_state("tail", "running");
    let mut args = ids(api, "tail");
    args.extend(["--api", &url, "--print", "-f"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(&args)
        .envs(ADMIN)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let lines = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let pump = |from: Box<dyn std::io::Read + Send>,
                into: std::sync::Arc<std::sync::Mutex<String>>| {
        std::thread::spawn(move || {
            let mut reader = std::io::BufReader::new(from);
            let mut line = String::new();
            while std::io::BufRead::read_line(&mut reader, &mut line).unwrap_or(0) > 0 {
                into.lock().expect("lock").push_str(&line);
                line.clear();
            }
        })
    };
    let errors = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    pump(
        Box::new(child.stdout.take().expect("stdout")),
        lines.clone(),
    );
    pump(
        Box::new(child.stderr.take().expect("stderr")),
        errors.clone(),
    );
    let wait_for = |what: &str, found: &dyn Fn() -> bool| {
        let start = std::time::Instant::now();
        while !found() {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(30),
                "timed out waiting for {what}: {}\n{}",
                lines.lock().expect("lock"),
                errors.lock().expect("lock")
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    wait_for("step 0", &|| {
        lines.lock().expect("lock").contains("printed step 0")
    });
    for n in 1..=2 {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&log)
            .expect("append");
        file.write_all(line(n).as_bytes()).expect("write");
        let step = format!("printed step {n}\"");
        wait_for(&step, &|| lines.lock().expect("lock").contains(&step));
    }
    api.set_state("tail", "success");
    wait_for("the end on stderr", &|| {
        errors
            .lock()
            .expect("lock")
            .contains("the task is success: following stopped")
    });
    let _ = child.kill();
    let _ = child.wait();
    // Airflow could not reach the worker's log server while the task ran:
    // said, with the host the try ran on (the task instance's history).
    let said = errors.lock().expect("lock").clone();
    assert!(
        said.contains("could not read all of the log") && said.contains(" ran on "),
        "{said}"
    );
    let printed = lines.lock().expect("lock").clone();
    for n in 0..=2 {
        let step = format!("printed step {n}\"");
        assert_eq!(printed.matches(&step).count(), 1, "{step} once:\n{printed}");
    }
}

#[test]
fn the_picker_reads_long_lists_a_page_at_a_time_as_they_scroll_or_filter() {
    let api = api();
    let url = api.url();
    // The password is asked for on the terminal, without echo.
    let mut tui = Tui::spawn_env(
        &["airflow", "--api", &url, "--dag", "etl_daily"],
        30,
        140,
        &[("AIRFLOW_API_USER", "admin")],
    );
    tui.wait_for("the password prompt", |t| {
        t.text().contains("password for admin at")
    });
    tui.send("admin\r");
    tui.wait_for("the first page of runs, newest first", |t| {
        let text = t.text();
        text.contains("pick a run")
            && text.contains(&api.run_id)
            && text.contains("100 of 251 read")
            && !text.contains("scheduled__bulk_0001")
    });
    // End, again and again: each reaches further, until the oldest run.
    for _ in 0..3 {
        tui.send("\x1b[F");
    }
    tui.wait_for("the oldest run, on the last page", |t| {
        t.text().contains("scheduled__bulk_0001")
    });
    // Back up and filter: the match is found whatever page it is on.
    tui.press("\x1b[H");
    tui.press("bulk_0007");
    tui.wait_for("the filtered run", |t| {
        let rows = t.rows();
        rows.iter().any(|r| r.contains("scheduled__bulk_0007"))
            && !rows.iter().any(|r| r.contains("scheduled__bulk_0008"))
    });
    tui.press("q");
}

/// A tree of files that answers as the Airflow 3 API does for one finished
/// attempt, for servers that misbehave in ways a real one cannot be made to.
fn api_files(dir: &std::path::Path) -> Vec<u8> {
    let base = dir.join("api/v2/dags/etl/dagRuns/r1/taskInstances");
    std::fs::create_dir_all(base.join("t/logs")).expect("folders");
    std::fs::write(dir.join("api/v2/version"), r#"{"version":"3.3.2"}"#).expect("version");
    // A mapped instance (`t/0`): a file beside the `t/logs` folder.
    std::fs::write(
        base.join("t/0"),
        r#"{"task_id":"t","map_index":0,"try_number":1,"state":"success"}"#,
    )
    .expect("task instance");
    let mut log = Vec::new();
    for n in 0..20_000 {
        log.extend_from_slice(
            format!(
                "{{\"timestamp\":\"2024-12-20T10:{:02}:{:02}.{:03}Z\",\"event\":\"record {n}\",\"level\":\"info\"}}\n",
                n / 6000,
                n / 100 % 60,
                n % 100 * 10
            )
            .as_bytes(),
        );
    }
    std::fs::write(base.join("t/logs/1"), &log).expect("log");
    log
}

#[test]
fn a_flaky_api_is_retried_and_one_that_drops_mid_stream_keeps_what_arrived() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = api_files(dir.path());
    let server = servers::range_server(dir.path());
    let ids = RANGE_SERVER_IDS;

    // Every other request answers 503: each is asked again.
    let url = format!("{}/flaky", server.url());
    let mut args = ids.to_vec();
    args.extend(["--api", &url, "--print"]);
    let out = logweave(&args, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout == log, "the whole log, byte for byte");

    // The log's answer stops half-way: what arrived is printed, the rest
    // is said to be missing, and another source is printed whole.
    let other = dir.path().join("other.log");
    std::fs::write(&other, "2024-12-20T10:05:00.000Z from the other source\n").expect("other");
    let url = format!("{}/cut", server.url());
    let mut args = ids.to_vec();
    args.extend(["--api", &url, "--print", other.to_str().expect("utf-8")]);
    let out = logweave(&args, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains("from the other source"),
        "the other source"
    );
    assert!(printed.contains("\"record 0\"") && !printed.contains("\"record 19999\""));
    let err = stderr(&out);
    assert!(err.contains("API download stopped after"), "{err}");
}

#[test]
fn the_viewer_opens_while_the_api_server_reads_the_log_and_shows_it_when_it_comes() {
    let dir = tempfile::tempdir().expect("tempdir");
    api_files(dir.path());
    let server = servers::range_server(dir.path());
    // The log's answer starts after 3 s, as Airflow's does for a big log.
    let url = format!("{}/slow", server.url());
    let mut args = RANGE_SERVER_IDS.to_vec();
    args.extend(["--api", &url]);
    let tui = Tui::spawn(&args, 12, 160);
    tui.wait_for("the viewer, saying the source waits", |t| {
        t.status()
            .contains("waiting for the server (Airflow reads the whole log before answering)")
    });
    assert!(!tui.text().contains("record 0"));
    // Without F: the empty screen fills when the log comes, rendered as
    // Airflow 3 records (its format is known only then).
    tui.wait_for("the first records", |t| {
        t.text().contains("INFO - record 0")
    });
    tui.wait_for("the wait no longer said", |t| {
        !t.status().contains("waiting for the server")
    });
}
