//! `logweave --print -f`: appends show up, truncation and rotation are
//! survived and announced, a partial line waits for its newline, a closed
//! pipe ends it, and waiting costs no CPU.

#[path = "e2e/cpu.rs"]
mod cpu;

use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(20);

struct Follower {
    child: Child,
    lines: mpsc::Receiver<String>,
    errors: mpsc::Receiver<String>,
}

impl Follower {
    fn start(files: &[&Path]) -> Self {
        Self::start_with(&[], files)
    }

    /// `--print -f` with `args` (a filter) before the files.
    fn start_with(args: &[&str], files: &[&Path]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_logweave"))
            .args(["--print", "-f"])
            .args(args)
            .args(files)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let (tx, errors) = mpsc::channel();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Self {
            child,
            lines,
            errors,
        }
    }

    /// The next `n` lines printed, waiting for each up to the deadline.
    fn take(&self, n: usize) -> Vec<String> {
        (0..n)
            .map(|i| {
                self.lines
                    .recv_timeout(DEADLINE)
                    .unwrap_or_else(|_| panic!("line {i} of {n} did not arrive"))
            })
            .collect()
    }

    fn error(&self) -> String {
        self.errors
            .recv_timeout(DEADLINE)
            .expect("a message on stderr")
    }

    /// Nothing more is printed for a little while.
    fn quiet(&self, for_: Duration) -> Option<String> {
        self.lines.recv_timeout(for_).ok()
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Empties a file in place (copytruncate's second half).
fn truncate(path: &Path) {
    OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open")
        .set_len(0)
        .expect("truncate");
}

fn append(path: &Path, text: &str) {
    let mut f = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .expect("open for append");
    f.write_all(text.as_bytes()).expect("append");
}

#[test]
fn appends_are_merged_in_as_they_arrive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a.log"), dir.path().join("b.log"));
    fs::write(&a, "2024-12-20T10:00:00Z a0\n").expect("write");
    fs::write(&b, "2024-12-20T10:00:01Z b1\n").expect("write");
    let f = Follower::start(&[&a, &b]);
    assert_eq!(
        f.take(2),
        ["2024-12-20T10:00:00Z a0", "2024-12-20T10:00:01Z b1"]
    );

    append(&a, "2024-12-20T10:00:02Z a2\n  continued\n");
    assert_eq!(f.take(2), ["2024-12-20T10:00:02Z a2", "  continued"]);
    // Two sources growing together come out in time order.
    append(&b, "2024-12-20T10:00:04Z b4\n");
    append(&a, "2024-12-20T10:00:03Z a3\n");
    let mut got = f.take(2);
    got.sort();
    assert_eq!(got, ["2024-12-20T10:00:03Z a3", "2024-12-20T10:00:04Z b4"]);

    // A partial line waits for its newline (for less than the grace period)…
    append(&a, "2024-12-20T10:00:05Z half");
    assert_eq!(f.quiet(Duration::from_millis(200)), None, "held back");
    append(&a, " and the rest\n");
    assert_eq!(f.take(1), ["2024-12-20T10:00:05Z half and the rest"]);
    // …and shows once the writer has been quiet for the grace period.
    append(&a, "2024-12-20T10:00:06Z no newline yet");
    assert_eq!(f.take(1), ["2024-12-20T10:00:06Z no newline yet"]);
}

#[test]
fn truncation_and_rotation_are_survived_and_announced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.log");
    fs::write(&a, "2024-12-20T10:00:00Z before\n").expect("write");
    let f = Follower::start(&[&a]);
    assert_eq!(f.take(1), ["2024-12-20T10:00:00Z before"]);

    // copytruncate: the file shrinks in place, then new lines come.
    truncate(&a);
    assert!(f.error().contains("was truncated"));
    append(&a, "2024-12-20T10:00:01Z after truncation\n");
    assert_eq!(f.take(1), ["2024-12-20T10:00:01Z after truncation"]);

    // Rotation: renamed away (its last lines still read), a new file created.
    append(&a, "2024-12-20T10:00:02Z last of the old file\n");
    assert_eq!(f.take(1), ["2024-12-20T10:00:02Z last of the old file"]);
    fs::rename(&a, dir.path().join("a.log.1")).expect("rotate");
    fs::write(&a, "2024-12-20T10:00:03Z first of the new file\n").expect("write");
    assert!(f.error().contains("was rotated"));
    assert_eq!(f.take(1), ["2024-12-20T10:00:03Z first of the new file"]);
    assert_eq!(f.quiet(Duration::from_millis(300)), None, "nothing twice");
}

#[test]
fn a_closed_pipe_ends_following_quietly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.log");
    fs::write(&a, "2024-12-20T10:00:00Z one\n").expect("write");
    let mut child = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(["--print", "-f"])
        .arg(&a)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    reader.read_line(&mut first).expect("first line");
    drop(reader);
    // The next write finds the pipe closed.
    let start = Instant::now();
    while start.elapsed() < DEADLINE {
        append(&a, "2024-12-20T10:00:01Z more\n");
        if let Ok(Some(status)) = child.try_wait() {
            assert_eq!(status.code(), Some(0));
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("logweave -f did not end after its pipe closed");
}

#[test]
fn stdin_is_a_source_in_print_and_follow_modes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.log");
    fs::write(
        &a,
        "2024-12-20T10:00:00Z file first\n2024-12-20T10:00:02Z file last\n",
    )
    .expect("write");
    // Print mode reads stdin to its end and merges it by time.
    let mut child = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(["--print", "--tag", "-"])
        .arg(&a)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"2024-12-20T10:00:01Z piped in\n")
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "a.log: 2024-12-20T10:00:00Z file first\nstdin: 2024-12-20T10:00:01Z piped in\na.log: 2024-12-20T10:00:02Z file last\n"
    );

    // Follow mode prints stdin as it arrives.
    let mut child = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(["--print", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut input = child.stdin.take().expect("stdin");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    input
        .write_all(b"2024-12-20T10:00:00Z one\n")
        .expect("write");
    input.flush().expect("flush");
    assert_eq!(
        lines.next().and_then(Result::ok).as_deref(),
        Some("2024-12-20T10:00:00Z one")
    );
    input
        .write_all(b"2024-12-20T10:00:01Z two\n")
        .expect("write");
    input.flush().expect("flush");
    assert_eq!(
        lines.next().and_then(Result::ok).as_deref(),
        Some("2024-12-20T10:00:01Z two")
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn following_an_idle_pipe_costs_no_cpu_and_ends_when_the_pipe_closes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.log");
    fs::write(&a, "2024-12-20T10:00:00Z a file beside the pipe\n").expect("write");
    // Only the pipe: it ends for good when its writer closes it.
    let mut child = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(["--print", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut input = child.stdin.take().expect("stdin");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    input
        .write_all(b"2024-12-20T10:00:00Z one\n")
        .expect("write");
    input.flush().expect("flush");
    assert_eq!(
        lines.next().and_then(Result::ok).as_deref(),
        Some("2024-12-20T10:00:00Z one")
    );
    cpu::assert_idle(child.id(), "--print -f of an idle pipe");
    input
        .write_all(b"2024-12-20T10:00:01Z two\n")
        .expect("write");
    drop(input);
    assert_eq!(
        lines.next().and_then(Result::ok).as_deref(),
        Some("2024-12-20T10:00:01Z two")
    );
    // The pipe closed and nothing else is followed: it ends, like tail --pid.
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "logweave -f - did not end after its pipe closed"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));

    // A file beside the pipe may still grow: following goes on.
    let mut child = Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(["--print", "-f", "-"])
        .arg(&a)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    drop(child.stdin.take());
    assert!(lines.next().is_some());
    cpu::assert_idle(child.id(), "--print -f of a closed pipe and an idle file");
    assert!(
        child.try_wait().expect("wait").is_none(),
        "a followed file keeps it going"
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_rewritten_or_deleted_file_is_announced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.log");
    fs::write(&a, "2024-12-20T10:00:00Z the first version of this file\n").expect("write");
    let f = Follower::start(&[&a]);
    assert_eq!(
        f.take(1),
        ["2024-12-20T10:00:00Z the first version of this file"]
    );
    // Same inode, longer, different start: rewritten in place.
    fs::write(
        &a,
        "2024-12-20T10:00:05Z a second version, longer than the first one\n",
    )
    .expect("rewrite");
    assert!(f.error().contains("was rewritten"));
    assert_eq!(
        f.take(1),
        ["2024-12-20T10:00:05Z a second version, longer than the first one"]
    );
    fs::remove_file(&a).expect("delete");
    assert!(f.error().contains("disappeared"));
}

#[test]
fn a_file_created_in_a_followed_folder_joins() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("a.log"), "2024-12-20T10:00:00Z in a\n").expect("write");
    let f = Follower::start(&[dir.path()]);
    assert_eq!(f.take(1), ["2024-12-20T10:00:00Z in a"]);
    let b = dir.path().join("b.log");
    fs::write(&b, "2024-12-20T10:00:01Z in b, a new file\n").expect("write");
    assert_eq!(f.take(1), ["2024-12-20T10:00:01Z in b, a new file"]);
    assert!(f.error().contains("b.log joined"));
    // It is followed like the others.
    append(&b, "2024-12-20T10:00:02Z b grows\n");
    assert_eq!(f.take(1), ["2024-12-20T10:00:02Z b grows"]);
}

#[test]
fn a_line_written_after_rotation_is_read_from_the_backup_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.log");
    fs::write(&a, "2024-12-20T10:00:00Z before rotation\n").expect("write");
    let f = Follower::start(&[&a]);
    assert_eq!(f.take(1), ["2024-12-20T10:00:00Z before rotation"]);
    // logrotate renames, the application keeps writing to its open file
    // (now a.log.1) for a moment, then reopens a.log.
    let backup = dir.path().join("a.log.1");
    fs::rename(&a, &backup).expect("rotate");
    fs::write(&a, "2024-12-20T10:00:02Z in the new file\n").expect("write");
    assert!(f.error().contains("was rotated"));
    assert_eq!(f.take(1), ["2024-12-20T10:00:02Z in the new file"]);
    append(&backup, "2024-12-20T10:00:01Z late, to the old file\n");
    assert!(f.error().contains("a.log.1 joined"));
    assert_eq!(f.take(1), ["2024-12-20T10:00:01Z late, to the old file"]);
    assert_eq!(f.quiet(Duration::from_millis(300)), None, "nothing twice");
}

#[test]
fn a_copytruncate_backup_is_not_printed_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.log");
    fs::write(&a, "2024-12-20T10:00:00Z one\n2024-12-20T10:00:01Z two\n").expect("write");
    let f = Follower::start(&[&a]);
    assert_eq!(
        f.take(2),
        ["2024-12-20T10:00:00Z one", "2024-12-20T10:00:01Z two"]
    );
    // logrotate's copytruncate: copy aside, then truncate in place.
    fs::copy(&a, dir.path().join("a.log.1")).expect("copy");
    truncate(&a);
    assert!(f.error().contains("was truncated"));
    assert_eq!(
        f.quiet(Duration::from_millis(1500)),
        None,
        "the copy adds nothing"
    );
    append(&a, "2024-12-20T10:00:02Z three\n");
    assert_eq!(f.take(1), ["2024-12-20T10:00:02Z three"]);
}

#[test]
fn lines_of_a_printed_record_that_arrive_later_are_printed_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a.log"), dir.path().join("b.log"));
    fs::write(&a, "2024-12-20T10:00:00Z INFO start\n").expect("write");
    fs::write(&b, "2024-12-20T10:00:00.5Z INFO other\n").expect("write");
    let f = Follower::start(&[&a, &b]);
    f.take(2);

    // A traceback written in two pieces: the record's first lines are
    // printed before the last one arrives.
    append(
        &a,
        "2024-12-20T10:00:01Z ERROR boom\nTraceback (most recent call last):\n",
    );
    assert_eq!(
        f.take(2),
        [
            "2024-12-20T10:00:01Z ERROR boom",
            "Traceback (most recent call last):"
        ]
    );
    append(&a, "ValueError: bad\n");
    assert_eq!(f.take(1), ["ValueError: bad"], "the rest of the record");
    append(&a, "2024-12-20T10:00:02Z INFO after\n");
    assert_eq!(f.take(1), ["2024-12-20T10:00:02Z INFO after"]);

    // A JSON log's record and a plain line after it (part of the record).
    let json = dir.path().join("c.log");
    fs::write(
        &json,
        "{\"timestamp\":\"2024-12-20T11:00:00Z\",\"level\":\"info\",\"event\":\"one\"}\n",
    )
    .expect("write");
    let g = Follower::start(&[&json]);
    g.take(1);
    append(&json, "not json, a line of the record above\n");
    assert_eq!(g.take(1), ["not json, a line of the record above"]);

    // A line written in two pieces further apart than the wait for its
    // newline: the first piece is printed (ended), and so is the rest.
    append(
        &json,
        "{\"timestamp\":\"2024-12-20T11:00:06Z\",\"level\":\"info\",\"event\":\"step 6 partial",
    );
    let first = g.take(1);
    assert!(first[0].ends_with("step 6 partial"), "{first:?}");
    append(&json, " done\"}\n");
    assert_eq!(g.take(1), [" done\"}"], "the rest of the line");
    append(
        &json,
        "{\"timestamp\":\"2024-12-20T11:00:07Z\",\"level\":\"info\",\"event\":\"step 7\"}\n",
    );
    assert!(g.take(1)[0].contains("step 7"));
    assert_eq!(g.quiet(Duration::from_millis(300)), None, "nothing twice");
}

#[test]
fn a_later_line_of_a_record_the_filter_left_out_stays_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (marks, a) = (dir.path().join("marks.log"), dir.path().join("a.log"));
    fs::write(&marks, "2024-12-20T09:00:00Z ERROR mark 0\n").expect("write");
    fs::write(&a, "2024-12-20T10:00:00Z ERROR start\n").expect("write");
    let f = Follower::start_with(&["--level", "ERROR"], &[&marks, &a]);
    let next = || f.take(1).remove(0);
    assert_eq!(next(), "2024-12-20T09:00:00Z ERROR mark 0");
    assert_eq!(next(), "2024-12-20T10:00:00Z ERROR start");
    // A record the filter leaves out ends a.log for a round: the round
    // that prints the mark after it looks at `marks.log` first, so it has
    // seen the record too.
    append(&a, "2024-12-20T10:00:01Z INFO chatter\n");
    append(&marks, "2024-12-20T10:00:01.5Z ERROR mark 1\n");
    assert_eq!(next(), "2024-12-20T10:00:01.5Z ERROR mark 1");
    append(&a, "  more chatter\n");
    append(&marks, "2024-12-20T10:00:03Z ERROR mark 2\n");
    assert_eq!(next(), "2024-12-20T10:00:03Z ERROR mark 2", "no chatter");
    assert_eq!(f.quiet(Duration::from_millis(300)), None);
}

#[test]
fn a_copy_that_lags_its_original_adds_nothing_printed_already() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, c) = (dir.path().join("a.log"), dir.path().join("c.log"));
    let start: String = (0..5)
        .map(|i| format!("2024-12-20T10:00:0{i}Z INFO start {i}\n"))
        .collect();
    fs::write(&a, &start).expect("write");
    fs::write(&c, &start).expect("write");
    let f = Follower::start(&[&a, &c]);
    assert_eq!(f.take(5).len(), 5);
    // Several records in one write, one of them late (as Airflow 3 writes
    // a logging record after a printed line stamped later), the copy
    // written once the original's are printed.
    let batch = "2024-12-20T10:00:10Z INFO ten\n\
                 2024-12-20T10:00:11Z INFO eleven\n  its detail\n\
                 2024-12-20T10:00:10.5Z INFO ten and a half, late\n";
    append(&a, batch);
    let mut got = f.take(4);
    got.sort();
    assert_eq!(
        got,
        [
            "  its detail",
            "2024-12-20T10:00:10.5Z INFO ten and a half, late",
            "2024-12-20T10:00:10Z INFO ten",
            "2024-12-20T10:00:11Z INFO eleven",
        ]
    );
    append(&c, batch);
    // A record late in both, after the copy's later ones were left out.
    let late = "2024-12-20T10:00:10.7Z INFO late again\n";
    append(&a, late);
    assert_eq!(f.take(1), ["2024-12-20T10:00:10.7Z INFO late again"]);
    append(&c, late);
    // One late in both at once (as copies kept in step get it): printed
    // once, whether one round or two take it.
    let both = "2024-12-20T10:00:10.9Z INFO late in both\n";
    append(&a, both);
    append(&c, both);
    assert_eq!(f.take(1), ["2024-12-20T10:00:10.9Z INFO late in both"]);
    // What comes next in both shows the copy was read, and nothing of it
    // was printed again.
    let next = "2024-12-20T10:00:12Z INFO twelve\n";
    append(&c, next);
    append(&a, next);
    assert_eq!(f.take(1), ["2024-12-20T10:00:12Z INFO twelve"]);
    assert_eq!(f.quiet(Duration::from_millis(700)), None, "nothing twice");
}

#[test]
fn a_crlf_copy_that_lags_its_original_adds_no_late_record_twice() {
    // The copy is written with CRLF line ends (a Windows share, a copy a
    // tool rewrote): dedup knows it for a copy, and so must the test of a
    // late record printed from the original already (it compared bytes).
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, c) = (dir.path().join("a.log"), dir.path().join("c.log"));
    let lines =
        |text: &str, eol: &str| -> String { text.lines().map(|l| format!("{l}{eol}")).collect() };
    let start: String = (0..5)
        .map(|i| format!("2024-12-20T10:00:0{i}Z INFO start {i}\n"))
        .collect();
    fs::write(&a, &start).expect("write");
    fs::write(&c, lines(&start, "\r\n")).expect("write");
    let f = Follower::start(&[&a, &c]);
    assert_eq!(f.take(5).len(), 5);
    let batch = "2024-12-20T10:00:10Z INFO ten\n2024-12-20T10:00:11Z INFO eleven\n";
    append(&a, batch);
    assert_eq!(f.take(2).len(), 2);
    append(&c, &lines(batch, "\r\n"));
    let late = "2024-12-20T10:00:10.7Z INFO late\n";
    append(&a, late);
    assert_eq!(f.take(1), ["2024-12-20T10:00:10.7Z INFO late"]);
    append(&c, &lines(late, "\r\n"));
    let next = "2024-12-20T10:00:12Z INFO twelve\n";
    append(&c, &lines(next, "\r\n"));
    append(&a, next);
    assert_eq!(f.take(1), ["2024-12-20T10:00:12Z INFO twelve"]);
    assert_eq!(f.quiet(Duration::from_millis(700)), None, "nothing twice");
}

#[test]
fn a_record_grep_left_out_is_printed_whole_once_a_later_line_matches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (marks, a) = (dir.path().join("marks.log"), dir.path().join("a.log"));
    fs::write(&marks, "2024-12-20T09:00:00Z INFO mark 0\n").expect("write");
    fs::write(&a, "2024-12-20T10:00:00Z INFO start\n").expect("write");
    let f = Follower::start_with(&["--grep", "ValueError|mark"], &[&marks, &a]);
    let next = || f.take(1).remove(0);
    assert_eq!(next(), "2024-12-20T09:00:00Z INFO mark 0");
    // The traceback's first lines match nothing; the round that prints the
    // mark after them (`marks.log` is looked at first) has read them.
    append(
        &a,
        "2024-12-20T10:00:01Z ERROR Task failed\nTraceback (most recent call last):\n",
    );
    append(&marks, "2024-12-20T10:00:01.5Z INFO mark 1\n");
    assert_eq!(next(), "2024-12-20T10:00:01.5Z INFO mark 1");
    append(&a, "  File \"x.py\", line 1\nValueError: boom\n");
    assert_eq!(
        [next(), next(), next(), next()],
        [
            "2024-12-20T10:00:01Z ERROR Task failed",
            "Traceback (most recent call last):",
            "  File \"x.py\", line 1",
            "ValueError: boom"
        ]
    );
    // More of it still comes, once.
    append(&a, "  (raised again)\n");
    assert_eq!(next(), "  (raised again)");
    assert_eq!(f.quiet(Duration::from_millis(300)), None);
}
