//! `logweave airflow` on a generated log folder (several dags, runs, mapped
//! tasks, tries, trigger sub-logs, rotation backups), the picker driven in a
//! real pty, and compressed sources (`.gz`, `.zst`, corrupt, truncated).

#[path = "e2e/harness.rs"]
mod harness;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use harness::Tui;

const RUN: &str = "scheduled__2024-12-19T00:00:00+00:00";

fn logweave(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_logweave"));
    command
        .args(args)
        .env("TZ", "UTC")
        .env_remove("AIRFLOW__LOGGING__BASE_LOG_FOLDER")
        .env_remove("AIRFLOW_HOME")
        .env_remove("AIRFLOW_CONFIG");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run logweave")
}

/// One line of an Airflow 2 text log at second `s`.
fn line(s: u32, text: &str) -> String {
    format!(
        "[2024-12-19T00:{:02}:{:02}.000+0000] {{taskinstance.py:1}} INFO - {text}\n",
        s / 60,
        s % 60
    )
}

fn write(path: &Path, lines: &[(u32, &str)]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let text: String = lines.iter().map(|(s, t)| line(*s, t)).collect();
    std::fs::write(path, text).unwrap();
}

/// The log folder: two dags; `etl` has two runs, a task with two tries
/// (the second with a trigger sub-log and a rotation backup) and a mapped
/// task.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path();
    let task = base.join(format!("dag_id=etl/run_id={RUN}/task_id=extract"));
    write(&task.join("attempt=1.log"), &[(1, "try one")]);
    write(
        &task.join("attempt=2.log"),
        &[(10, "try two starts"), (40, "try two ends")],
    );
    write(&task.join("attempt=2.log.1"), &[(5, "rotated away")]);
    write(
        &task.join("attempt=2.log.trigger.42.log"),
        &[(20, "trigger fired")],
    );
    for index in 0..3 {
        write(
            &base.join(format!(
                "dag_id=etl/run_id={RUN}/task_id=load/map_index={index}/attempt=1.log"
            )),
            &[(index, &format!("mapped {index}"))],
        );
    }
    write(
        &base.join(
            "dag_id=etl/run_id=manual__2024-12-20T00:00:00+00:00/task_id=extract/attempt=1.log",
        ),
        &[(2, "manual run")],
    );
    write(
        &base.join("dag_id=other/run_id=r1/task_id=t/attempt=1.log"),
        &[(3, "other dag")],
    );
    dir
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_latest_try_with_its_backups_and_trigger_logs_in_time_order() {
    let dir = folder();
    let base = dir.path().display().to_string();
    let out = logweave(
        &[
            "airflow",
            "--base-log-folder",
            &base,
            "--dag",
            "etl",
            "--run",
            RUN,
            "--task",
            "extract",
            "--tag",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tagged: Vec<String> = stdout(&out)
        .lines()
        .map(|l| {
            let (tag, rest) = l.split_once(": ").unwrap();
            format!("{tag}: {}", rest.rsplit(" - ").next().unwrap())
        })
        .collect();
    assert_eq!(
        tagged,
        [
            "local.1: rotated away",
            "local: try two starts",
            "trigger.42: trigger fired",
            "local: try two ends",
        ]
    );
}

#[test]
fn try_map_index_and_the_folder_from_the_environment() {
    let dir = folder();
    let base = dir.path().display().to_string();
    let env = [("AIRFLOW__LOGGING__BASE_LOG_FOLDER", base.as_str())];
    let first = logweave(
        &[
            "airflow", "--dag", "etl", "--run", RUN, "--task", "extract", "--try", "1",
        ],
        &env,
    );
    assert!(stdout(&first).contains("try one"));
    assert_eq!(stdout(&first).lines().count(), 1);

    let mapped = logweave(
        &[
            "airflow",
            "--dag",
            "etl",
            "--run",
            RUN,
            "--task",
            "load",
            "--map-index",
            "2",
        ],
        &env,
    );
    assert!(
        stdout(&mapped).contains("mapped 2"),
        "{}",
        String::from_utf8_lossy(&mapped.stderr)
    );
    assert_eq!(stdout(&mapped).lines().count(), 1);
    // Without --map-index: the indexes there are, and how to pick one.
    let unmapped = logweave(
        &["airflow", "--dag", "etl", "--run", RUN, "--task", "load"],
        &env,
    );
    assert_eq!(unmapped.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&unmapped.stderr),
        "logweave: task load is mapped: its tries are by map index (0, 1, 2)\n  \
         tip: give one: --map-index 0\n"
    );

    // airflow.cfg under AIRFLOW_HOME names the folder too.
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("airflow.cfg"),
        format!("[logging]\nbase_log_folder = {base}\n"),
    )
    .unwrap();
    let from_cfg = logweave(
        &["airflow", "--dag", "other", "--run", "r1", "--task", "t"],
        &[("AIRFLOW_HOME", &home.path().display().to_string())],
    );
    assert!(stdout(&from_cfg).contains("other dag"));
}

#[test]
fn missing_ids_off_a_terminal_and_unknown_attempts_are_clear_errors() {
    let dir = folder();
    let base = dir.path().display().to_string();
    let out = logweave(
        &["airflow", "--base-log-folder", &base, "--dag", "etl"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--run") && err.contains("etl, other"), "{err}");

    let out = logweave(
        &[
            "airflow",
            "--base-log-folder",
            &base,
            "--dag",
            "etl",
            "--run",
            RUN,
            "--task",
            "nope",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no tries"));

    // A try the task does not have names those it has.
    let extract = ["--dag", "etl", "--run", RUN, "--task", "extract"];
    let args = |base: &str, more: &[&'static str]| -> Vec<String> {
        let mut args = vec!["airflow", "--base-log-folder", base, "--print"];
        args.extend(extract);
        args.extend(more);
        args.into_iter().map(String::from).collect()
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = logweave(&args, &[]);
        assert_ne!(out.status.code(), Some(0));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = run(args(&base, &["--try", "7"]));
    assert!(
        err.contains("no try 7") && err.contains("its tries there are 1, 2"),
        "{err}"
    );
    // A log folder that does not exist says so, with or without --try.
    let gone = dir.path().join("not-here").display().to_string();
    for more in [&[][..], &["--try", "1"][..]] {
        let err = run(args(&gone, more));
        assert!(
            err.contains(&format!("the log folder '{gone}' does not exist"))
                && err.contains("--base-log-folder"),
            "{err}"
        );
    }
}

#[test]
fn the_picker_walks_dag_run_task_try_and_opens_the_attempt() {
    let dir = folder();
    let base = dir.path().display().to_string();
    let mut tui = Tui::spawn(&["airflow", "--base-log-folder", &base], 24, 100);
    tui.wait_for_text("pick a dag");
    assert!(tui.text().contains("other"));
    tui.press("\r"); // etl
    tui.wait_for_text("pick a run");
    tui.press("sched"); // filter to the scheduled run
    tui.wait_for_text("filter: sched");
    tui.press("\r");
    tui.wait_for_text("pick a task");
    tui.press("\r"); // extract
    tui.wait_for_text("pick a try");
    let text = tui.text();
    let two = text.find("attempt 2").expect("try 2 listed");
    let one = text.find("attempt 1").expect("try 1 listed");
    assert!(two < one, "newest try first:\n{text}");
    tui.press("\r");
    tui.wait_for_text("try two ends");
    assert!(tui.text().contains("trigger fired"));
    tui.press("q");
    assert!(tui.wait_exit());
}

#[test]
fn the_picker_goes_back_and_quits_cleanly() {
    let dir = folder();
    let base = dir.path().display().to_string();
    let mut tui = Tui::spawn(
        &["airflow", "--base-log-folder", &base, "--dag", "etl"],
        24,
        100,
    );
    tui.wait_for_text("pick a run");
    tui.press("\x7f"); // Backspace: up to the dags
    tui.wait_for_text("pick a dag");
    tui.press("q");
    assert!(tui.wait_exit());
    assert!(tui.cooked(), "the terminal is given back");
}

#[test]
fn sigterm_in_the_picker_gives_the_terminal_back() {
    let dir = folder();
    let base = dir.path().display().to_string();
    let mut tui = Tui::spawn(&["airflow", "--base-log-folder", &base], 24, 100);
    tui.wait_for_text("pick a dag");
    let pid = tui.pid().expect("pid") as i32;
    // SAFETY: a plain kill(2) of the child this test spawned.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    tui.wait_exit();
    assert!(tui.cooked(), "the terminal is given back");
}

fn lines(n: usize) -> String {
    (0..n)
        .map(|i| line((i / 100) as u32, &format!("line {i}")))
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut child = Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip");
    let mut stdin = child.stdin.take().unwrap();
    let data = data.to_vec();
    let feeder = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    out.stdout
}

#[test]
fn gz_and_zst_files_read_by_their_magic_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let text = lines(20_000);
    let gz = dir.path().join("old-attempt.log.gz");
    std::fs::write(&gz, gzip(text.as_bytes())).unwrap();
    // A rotation backup compressed without a suffix saying so.
    let zst = dir.path().join("attempt=1.log.2");
    std::fs::write(&zst, zstd::encode_all(text.as_bytes(), 3).unwrap()).unwrap();
    for file in [&gz, &zst] {
        let out = logweave(&["--print", &file.display().to_string()], &[]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout == text.as_bytes(), "{} differs", file.display());
    }
}

#[test]
fn truncated_and_corrupt_archives_show_what_could_be_read_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let text = lines(50_000);
    let packed = gzip(text.as_bytes());
    let cut = dir.path().join("cut.log.gz");
    std::fs::write(&cut, &packed[..packed.len() / 2]).unwrap();
    let mut bad = zstd::encode_all(text.as_bytes(), 3).unwrap();
    let middle = bad.len() / 2;
    for b in &mut bad[middle..middle + 100] {
        *b = !*b;
    }
    let corrupt = dir.path().join("bad.log.zst");
    std::fs::write(&corrupt, bad).unwrap();
    let plain = dir.path().join("fine.log");
    std::fs::write(&plain, line(0, "the fine one")).unwrap();

    let out = logweave(
        &[
            "--print",
            &cut.display().to_string(),
            &corrupt.display().to_string(),
            &plain.display().to_string(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let printed = stdout(&out);
    assert!(printed.contains("the fine one"), "the others go on");
    assert!(
        printed.contains("line 1000\n"),
        "a prefix of the archives is shown"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cut.log.gz") && err.contains("gzip stopped after"),
        "{err}"
    );
    assert!(
        err.contains("bad.log.zst") && err.contains("zstd stopped after"),
        "{err}"
    );
}

#[test]
fn a_compressed_file_is_browsable_in_the_viewer() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("attempt=1.log.gz");
    std::fs::write(&gz, gzip(lines(200_000).as_bytes())).unwrap();
    let mut tui = Tui::spawn(&[&gz.display().to_string()], 24, 100);
    tui.wait_for_text("line 0");
    // G shows the end of what is decompressed so far; the rest arrives in
    // the background, so a later G reaches the real end.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !tui.text().contains("line 199999") {
        assert!(
            std::time::Instant::now() < deadline,
            "never reached the end"
        );
        tui.press("G");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    tui.press("q");
    assert!(tui.wait_exit());
}

#[test]
fn following_the_task_through_the_log_folder_goes_on_with_its_next_try() {
    use std::io::{BufRead, BufReader};
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let task = dir
        .path()
        .join(format!("dag_id=etl/run_id={RUN}/task_id=extract"));
    write(&task.join("attempt=1.log"), &[(1, "try one runs")]);
    /// Ends the follower however the test ends.
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(["airflow", "--base-log-folder"])
        .arg(dir.path())
        .args(["--dag", "etl", "--run", RUN, "--task", "extract"])
        .args(["--print", "-f", "--tag"])
        .env("TZ", "UTC")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let _follower = Killed(child);
    let (send, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                return;
            }
        }
    });
    let wait_for = |what: &str| -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if line.contains(what) => return line,
                Ok(_) => {}
                Err(e) => panic!("no line with {what:?}: {e}"),
            }
        }
    };
    assert!(wait_for("try one runs").starts_with("local: "));
    // Try 1 fails; the retry starts, and later defers to a triggerer.
    write(&task.join("attempt=2.log"), &[(30, "try two runs")]);
    assert!(wait_for("try two runs").starts_with("try2: "));
    write(
        &task.join("attempt=2.log.trigger.7.log"),
        &[(31, "trigger fired")],
    );
    // A file that appears beside a followed one joins under its name.
    let trigger = wait_for("trigger fired");
    assert!(
        trigger.starts_with("attempt=2.log.trigger.7.log: "),
        "{trigger}"
    );
}

#[test]
fn following_a_task_before_its_first_try_waits_for_it_and_says_so() {
    use std::io::{BufRead, BufReader, Read};
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join(format!("dag_id=etl/run_id={RUN}"));
    // Another task of the run has started; this one has no folder yet.
    write(
        &run.join("task_id=extract/attempt=1.log"),
        &[(1, "another task")],
    );
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(["airflow", "--base-log-folder"])
        .arg(dir.path())
        .args(["--dag", "etl", "--run", RUN, "--task", "load"])
        .args(["--print", "-f"])
        .env("TZ", "UTC")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let (stdout, mut stderr) = (
        child.stdout.take().expect("stdout"),
        child.stderr.take().expect("stderr"),
    );
    let _follower = Killed(child);
    let (send, lines) = std::sync::mpsc::channel();
    let said = send.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                return;
            }
        }
    });
    std::thread::spawn(move || {
        let mut byte = [0u8; 1];
        let mut line = Vec::new();
        // Byte by byte: the wait's line comes before the process goes on.
        while stderr.read(&mut byte).is_ok_and(|n| n == 1) {
            if byte[0] == b'\n' {
                let text = format!("stderr: {}", String::from_utf8_lossy(&line));
                if said.send(text).is_err() {
                    return;
                }
                line.clear();
            } else {
                line.push(byte[0]);
            }
        }
    });
    let wait_for = |what: &str| -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if line.contains(what) => return line,
                Ok(_) => {}
                Err(e) => panic!("no line with {what:?}: {e}"),
            }
        }
    };
    let waiting = wait_for("waiting for try 1");
    assert!(
        waiting.contains("task_id=load/attempt=1.log' is not there yet"),
        "{waiting}"
    );
    write(
        &run.join("task_id=load/attempt=1.log"),
        &[(5, "load starts")],
    );
    wait_for("load starts");
    // And it goes on following that try.
    let mut more = std::fs::OpenOptions::new()
        .append(true)
        .open(run.join("task_id=load/attempt=1.log"))
        .unwrap();
    std::io::Write::write_all(&mut more, line(6, "load goes on").as_bytes()).unwrap();
    wait_for("load goes on");
}

/// The first line a `--print -f` of `dag`/`run`/`load` says on stderr
/// (it waits: that it is still running is checked).
fn first_wait_line(base: &Path, dag: &str, run: &str) -> String {
    use std::io::{BufRead, BufReader};
    use std::time::Duration;
    let child = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(["airflow", "--base-log-folder"])
        .arg(base)
        .args(["--dag", dag, "--run", run, "--task", "load"])
        .args(["--print", "-f"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Killed(child);
    let stderr = child.0.stderr.take().expect("stderr");
    let (send, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                return;
            }
        }
    });
    let line = lines
        .recv_timeout(Duration::from_secs(20))
        .expect("a line on stderr");
    assert!(
        child.0.try_wait().expect("wait").is_none(),
        "it waits: {line}"
    );
    line
}

#[test]
fn following_a_dag_or_run_the_log_folder_has_no_folder_for_yet_waits_and_names_those_there() {
    let dir = folder();
    let waiting = first_wait_line(dir.path(), "brand_new", RUN);
    assert!(
        waiting.contains("waiting for try 1")
            && waiting.contains("no dag 'brand_new' in the log folder yet; dags there: etl, other"),
        "{waiting}"
    );
    let waiting = first_wait_line(dir.path(), "etl", "manual__new");
    assert!(
        waiting.contains(
            "no run 'manual__new' of dag 'etl' in the log folder yet; its latest runs there: "
        ) && waiting.contains(RUN),
        "{waiting}"
    );
}
