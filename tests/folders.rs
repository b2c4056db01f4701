//! Folders as users have them: more files than the open-file limit allows,
//! symlinks that loop back up, the same file reached twice — through the
//! real binary on real files, in print, follow and viewer modes.

#[path = "e2e/harness.rs"]
mod harness;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use harness::{path, Tui};

/// The soft and hard open-file limit the tests run logweave under: well
/// below the number of files, as on a machine with `ulimit -n 1024` and a
/// folder of 5,000 logs.
const LIMIT: &str = "256";
const FILES: usize = 5_000;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_logweave")
}

/// `logweave args…` under `ulimit -n LIMIT` (set in the child's shell).
fn limited(args: &[&str]) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -n {LIMIT} && exec \"$@\""))
        .arg("sh")
        .arg(bin())
        .args(args)
        .env("TZ", "UTC");
    cmd
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `FILES` logs, each sorted in itself, whose records interleave in time
/// across files (ties included, to exercise the order key's rank).
fn many_files(dir: &Path) {
    for i in 0..FILES {
        let mut text = String::new();
        for j in 0..3 {
            let s = (i * 7) % 3000 + j * 13;
            text.push_str(&format!(
                "[2024-12-20T10:{:02}:{:02}.{:03}+0000] {{x.py:1}} INFO - file {i} line {j}\n",
                s / 60,
                s % 60,
                i % 1000
            ));
        }
        fs::write(dir.join(format!("f{i:05}.log")), text).expect("write log");
    }
}

/// The reference order: every line of every file (in path order), stably
/// sorted by timestamp — `(time, source rank, offset)`.
fn reference(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").path())
        .collect();
    names.sort();
    let mut lines: Vec<String> = names
        .iter()
        .flat_map(|p| {
            fs::read_to_string(p)
                .expect("read")
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    lines.sort_by(|a, b| a[1..29].cmp(&b[1..29]));
    lines
}

#[test]
fn more_files_than_the_open_file_limit_merge_byte_exact_in_print_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    many_files(dir.path());
    let out = limited(&["--print", path(dir.path())])
        .output()
        .expect("run logweave");
    let err = stderr(&out);
    assert!(out.status.success(), "exit {:?}: {err}", out.status);
    assert!(err.is_empty(), "nothing to report, got: {err}");
    let printed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    let expected = reference(dir.path());
    assert_eq!(printed.len(), expected.len());
    assert!(
        printed == expected,
        "merge differs from the reference order"
    );
}

#[test]
fn more_files_than_the_open_file_limit_follow_in_print_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    many_files(dir.path());
    let mut child = limited(&["--print", "-f", path(dir.path())])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn logweave -f");
    let stdout = child.stdout.take().expect("stdout");
    let (lines_tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines_tx.send(line.unwrap_or_default()).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while seen.len() < FILES * 3 {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => panic!("only {} of {} lines arrived", seen.len(), FILES * 3),
        }
    }
    assert!(seen == reference(dir.path()));
    // A file far down the list (long closed by the descriptor pool) grows.
    let grown = "[2024-12-20T11:00:00.000+0000] {x.py:1} INFO - appended to an old file";
    fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("f00007.log"))
        .and_then(|mut f| writeln!(f, "{grown}"))
        .expect("append");
    let line = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("the appended line arrives");
    assert_eq!(line, grown);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn more_files_than_the_open_file_limit_in_the_viewer() {
    let dir = tempfile::tempdir().expect("tempdir");
    many_files(dir.path());
    let last = reference(dir.path()).pop().expect("a last line");
    let script = format!("ulimit -n {LIMIT} && exec \"$0\" \"$1\"");
    let mut tui = Tui::spawn_program("sh", &["-c", &script, bin(), path(dir.path())], 24, 120);
    tui.wait_ready();
    tui.press("G");
    tui.wait_for("the last record after G", |t| {
        t.text().contains(&last) && t.status().contains("END")
    });
    // And back to the first one, reading files the pool had closed.
    tui.press("g");
    tui.wait_for_text("file 0 line 0");
}

#[test]
fn a_symlink_loop_is_skipped_with_a_notice_and_each_file_read_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().join("d");
    fs::create_dir_all(d.join("sub")).expect("mkdir");
    let line = "[2024-12-20T10:00:00.000+0000] {x.py:1} INFO - only once";
    fs::write(d.join("sub/a.log"), format!("{line}\n")).expect("write");
    std::os::unix::fs::symlink("..", d.join("sub/up")).expect("symlink");
    let out = Command::new(bin())
        .args(["--print", "d"])
        .current_dir(dir.path())
        .output()
        .expect("run logweave");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{line}\n"));
    assert!(err.contains("file system loop: d/sub/up → d"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn the_same_file_by_two_paths_or_given_twice_is_merged_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("scheduler");
    fs::create_dir_all(logs.join("2024-12-20")).expect("mkdir");
    let line = "[2024-12-20T10:00:00.000+0000] {x.py:1} INFO - scheduler";
    fs::write(logs.join("2024-12-20/a.log"), format!("{line}\n")).expect("write");
    // Airflow's scheduler folder has a `latest` symlink to the newest day.
    std::os::unix::fs::symlink("2024-12-20", logs.join("latest")).expect("symlink");
    let file = logs.join("2024-12-20/a.log");
    let out = Command::new(bin())
        .args(["--print", "--tag", path(&logs), path(&file), path(&file)])
        .output()
        .expect("run logweave");
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(printed.lines().count(), 1, "{printed}");
    // The real path names it, not the symlink: its tag is its name.
    assert!(printed.starts_with("a.log: "), "{printed}");
}

#[test]
fn many_failures_of_one_kind_are_said_once_with_a_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let line = "[2024-12-20T10:00:00.000+0000] {x.py:1} INFO - readable";
    fs::write(dir.path().join("a.log"), format!("{line}\n")).expect("write");
    // Dangling symlinks fail to open even for root.
    for i in 0..300 {
        std::os::unix::fs::symlink(
            dir.path().join(format!("gone-{i}")),
            dir.path().join(format!("b{i:03}.log")),
        )
        .expect("symlink");
    }
    let out = Command::new(bin())
        .args(["--print", path(dir.path())])
        .output()
        .expect("run logweave");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "a failure is a failure: {err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{line}\n"));
    let b000 = dir.path().join("b000.log");
    assert_eq!(
        err.trim_end(),
        format!(
            "logweave: cannot open '{}' and 299 more files: No such file or directory",
            b000.display()
        )
    );
}

#[test]
fn the_viewer_says_a_loop_was_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().join("d");
    fs::create_dir_all(d.join("sub")).expect("mkdir");
    fs::write(
        d.join("sub/a.log"),
        "[2024-12-20T10:00:00.000+0000] {x.py:1} INFO - shown\n",
    )
    .expect("write");
    std::os::unix::fs::symlink("..", d.join("sub/up")).expect("symlink");
    let tui = Tui::spawn(&[path(&d)], 10, 120);
    tui.wait_for("the loop notice", |t| {
        t.text().contains("INFO - shown") && t.status().contains("file system loop")
    });
}
