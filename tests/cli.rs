//! The `logweave` binary end to end on real files: order, dedup, time ranges,
//! tags, errors and exit codes, pipes.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn logweave() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logweave"));
    cmd.env("TZ", "UTC").env_remove("NO_COLOR");
    cmd
}

fn run(args: &[&str]) -> Output {
    logweave().args(args).output().expect("spawn logweave")
}

/// `--print` of `path` writes the same on 2 and 3 threads as on 1; the
/// one-thread output.
fn same_on_every_thread_count(path: &str) -> Output {
    let one = run(&["--print", "--threads", "1", path]);
    for threads in ["2", "3"] {
        let many = run(&["--print", "--threads", threads, path]);
        assert!(many.status.success());
        assert!(
            one.stdout == many.stdout,
            "--threads {threads} differs from --threads 1"
        );
    }
    one
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).expect("write fixture");
    path
}

fn generated(size: &str, format: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(&[
        "gen",
        "--out",
        dir.path().to_str().expect("utf-8 path"),
        "--size",
        size,
        "--format",
        format,
    ]);
    assert!(out.status.success(), "gen failed: {}", stderr(&out));
    dir
}

/// The timestamp of an Airflow 2 text line, as written (sortable text).
fn text_ts(line: &str) -> Option<&str> {
    line.strip_prefix('[')
        .and_then(|l| l.get(..28))
        .filter(|t| t.as_bytes().get(4) == Some(&b'-'))
}

#[test]
fn generated_attempt_merges_in_order_and_shows_the_remote_copy_once() {
    let dir = generated("3MB", "text");
    let path = dir.path().to_str().expect("utf-8");
    let out = run(&["--print", path]);
    assert!(out.status.success(), "{}", stderr(&out));
    let merged = stdout(&out);

    // Time order over all timestamped lines.
    let stamps: Vec<&str> = merged.lines().filter_map(text_ts).collect();
    assert!(
        stamps.len() > 10_000,
        "a real amount of data: {}",
        stamps.len()
    );
    assert!(
        stamps.windows(2).all(|w| w[0] <= w[1]),
        "merged output is in time order"
    );

    // Exactly the worker and trigger lines: the remote copy repeats a slice of
    // the worker log and shows once.
    let worker = fs::read_to_string(dir.path().join("attempt=1.log")).expect("worker");
    let trigger =
        fs::read_to_string(dir.path().join("attempt=1.log.trigger.42.log")).expect("trigger");
    let remote = fs::read_to_string(dir.path().join("remote/attempt=1.log")).expect("remote");
    assert!(
        remote.len() > 100_000 && worker.contains(&remote),
        "remote is a slice of the worker log"
    );
    let mut want: Vec<&str> = worker.lines().chain(trigger.lines()).collect();
    let mut got: Vec<&str> = merged.lines().collect();
    assert_eq!(got.len(), want.len());
    want.sort_unstable();
    got.sort_unstable();
    assert!(got == want, "every worker and trigger line exactly once");

    // Without dedup the remote copy's lines come back.
    let all = run(&["--print", "--no-dedup", path]);
    assert_eq!(
        stdout(&all).lines().count(),
        want.len() + remote.lines().count()
    );
}

#[test]
fn json_attempt_merges_in_order() {
    let dir = generated("1MB", "json");
    let out = run(&["--print", dir.path().to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let merged = stdout(&out);
    let stamps: Vec<&str> = merged
        .lines()
        .filter_map(|l| {
            l.strip_prefix("{\"timestamp\":\"")
                .and_then(|l| l.get(..26))
        })
        .collect();
    assert!(stamps.len() > 1000);
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn a_line_printed_twice_shows_twice_and_a_copy_in_another_source_does_not_add_a_third() {
    let dir = tempfile::tempdir().expect("tempdir");
    let twice = b"[2024-12-20T10:00:00.000+0000] {a.py:1} INFO - same\n\
[2024-12-20T10:00:00.000+0000] {a.py:1} INFO - same\n\
[2024-12-20T10:00:01.000+0000] {a.py:1} INFO - after\n";
    write(dir.path(), "local.log", twice);
    write(dir.path(), "remote.log", twice);
    // Not a copy of the others: its next record is not theirs.
    write(
        dir.path(),
        "other.log",
        b"[2024-12-20T10:00:00.000+0000] {a.py:1} INFO - same\n[2024-12-20T10:00:00.500+0000] {b.py:1} INFO - between\n",
    );
    let print = |flags: &[&str]| {
        logweave()
            .current_dir(dir.path())
            .arg("--print")
            .args(flags)
            .args(["local.log", "remote.log", "other.log"])
            .output()
            .expect("spawn")
    };
    let same = "[2024-12-20T10:00:00.000+0000] {a.py:1} INFO - same\n";
    let rest = "[2024-12-20T10:00:00.500+0000] {b.py:1} INFO - between\n\
[2024-12-20T10:00:01.000+0000] {a.py:1} INFO - after\n";
    // By default only the copy is joined, and what it left out is said.
    let out = print(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{same}{same}{same}{rest}"));
    assert_eq!(
        stderr(&out),
        "logweave: remote.log: 3 records left out as copies of local.log's; \
         --no-dedup shows every copy\n"
    );
    // --dedup joins every source, and says so of each.
    let out = print(&["--dedup"]);
    assert_eq!(stdout(&out), format!("{same}{same}{rest}"));
    assert!(
        stderr(&out).contains("other.log: 1 record left out as copies of local.log's"),
        "{}",
        stderr(&out)
    );
    // --no-dedup shows every copy and has nothing to say; the last flag wins.
    let out = print(&["--dedup", "--no-dedup"]);
    assert_eq!(stdout(&out).lines().count(), 8);
    assert_eq!(stderr(&out), "");
}

#[test]
fn the_copies_said_left_out_are_those_inside_since_and_until() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log: String = (0..10)
        .map(|s| format!("[2024-12-20T10:00:0{s}.000+0000] {{a.py:1}} INFO - second {s}\n"))
        .collect();
    write(dir.path(), "local.log", log.as_bytes());
    write(dir.path(), "remote.log", log.as_bytes());
    let out = logweave()
        .current_dir(dir.path())
        .args([
            "--print",
            "--since",
            "2024-12-20T10:00:02Z",
            "--until",
            "2024-12-20T10:00:05Z",
        ])
        .args(["local.log", "remote.log"])
        .output()
        .expect("spawn");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 3);
    assert_eq!(
        stderr(&out),
        "logweave: remote.log: 3 records left out as copies of local.log's; \
         --no-dedup shows every copy\n"
    );
}

#[test]
fn two_replicas_logging_one_line_in_one_millisecond_keep_both() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(
        dir.path(),
        "a.log",
        b"2024-12-20T10:00:00.100Z replica a up\n2024-12-20T10:00:01.000Z ERROR db down\n\
2024-12-20T10:00:02.000Z ERROR db down\n",
    );
    let b = write(
        dir.path(),
        "b.log",
        b"2024-12-20T10:00:00.200Z replica b up\n2024-12-20T10:00:01.000Z ERROR db down\n\
2024-12-20T10:00:02.000Z ERROR db down\n",
    );
    let out = logweave()
        .args(["--print", "--tag"])
        .args([&a, &b])
        .output()
        .expect("spawn");
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 6, "{lines:?}");
    assert_eq!(
        lines.iter().filter(|l| l.contains("ERROR db down")).count(),
        4,
        "{lines:?}"
    );
    assert_eq!(stderr(&out), "", "nothing left out, nothing said");
}

#[test]
fn since_until_and_tags() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(
        dir.path(),
        "a.log",
        b"2024-12-20 10:14:00,000 INFO early\n2024-12-20 10:15:00,000 INFO start\n  detail\n2024-12-20 10:19:59,999 INFO end\n2024-12-20 10:20:00,000 INFO late\n",
    );
    let b = write(
        dir.path(),
        "b.log",
        b"[2024-12-20T11:16:00.000+0100] {x.py:1} INFO - b in range\n[2024-12-20T10:21:00.000+0000] {x.py:1} INFO - b late\n",
    );
    let out = logweave()
        .args([
            "--print",
            "--tag",
            "--since",
            "2024-12-20 10:15",
            "--until",
            "2024-12-20T10:20:00Z",
        ])
        .args([&a, &b])
        .output()
        .expect("spawn");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "a.log: 2024-12-20 10:15:00,000 INFO start\n\
a.log:   detail\n\
b.log: [2024-12-20T11:16:00.000+0100] {x.py:1} INFO - b in range\n\
a.log: 2024-12-20 10:19:59,999 INFO end\n"
    );
    // Naive times follow --tz, both in the logs and on the command line.
    let berlin = logweave()
        .args([
            "--print",
            "--tz",
            "Europe/Berlin",
            "--since",
            "2024-12-20T09:20:00Z",
        ])
        .arg(&a)
        .output()
        .expect("spawn");
    assert_eq!(stdout(&berlin), "2024-12-20 10:20:00,000 INFO late\n");
    let local_since = logweave()
        .args([
            "--print",
            "--tz",
            "Europe/Berlin",
            "--since",
            "2024-12-20 10:20",
        ])
        .arg(&a)
        .output()
        .expect("spawn");
    assert_eq!(stdout(&local_since), "2024-12-20 10:20:00,000 INFO late\n");

    // A range the logs have no record in says what they hold.
    let empty = logweave()
        .args(["--print", "--since", "2024-12-20 13:00"])
        .args([&a, &b])
        .output()
        .expect("spawn");
    assert!(empty.status.success(), "{}", stderr(&empty));
    assert_eq!(stdout(&empty), "");
    assert!(
        stderr(&empty).contains(
            "no record at 2024-12-20T13:00:00.000Z or later; the logs' records run from \
             2024-12-20T10:14:00.000Z to 2024-12-20T10:21:00.000Z"
        ),
        "{}",
        stderr(&empty)
    );
    let in_range = logweave()
        .args(["--print", "--since", "2024-12-20 10:15"])
        .arg(&a)
        .output()
        .expect("spawn");
    assert!(
        !stderr(&in_range).contains("no record"),
        "{}",
        stderr(&in_range)
    );
}

#[test]
fn until_before_since_is_an_error_with_the_swap_as_its_tip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(dir.path(), "a.log", b"2024-12-20 10:15:00,000 INFO start\n");
    let out = logweave()
        .args([
            "--print",
            "--since",
            "2024-12-20 11:00",
            "--until",
            "2024-12-20 10:00",
        ])
        .arg(&a)
        .output()
        .expect("spawn");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "logweave: --until 2024-12-20 10:00 is before --since 2024-12-20 11:00: no record is in between\n  \
         tip: swap them: --since 2024-12-20 10:00 --until 2024-12-20 11:00\n"
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn bytes_pass_through_untouched_except_crlf() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(
        dir.path(),
        "a.log",
        b"2024-12-20T10:00:00Z nul\0here\r\n2024-12-20T10:00:02Z bad \xff\xfe utf-8\r\n\r\n\x1b[31mred\x1b[0m",
    );
    let b = write(dir.path(), "b.log", b"2024-12-20T10:00:01Z other\n\n");
    let out = logweave()
        .arg("--print")
        .args([&a, &b])
        .output()
        .expect("spawn");
    assert_eq!(
        out.stdout,
        b"2024-12-20T10:00:00Z nul\0here\n2024-12-20T10:00:01Z other\n\n2024-12-20T10:00:02Z bad \xff\xfe utf-8\n\n\x1b[31mred\x1b[0m\n"
    );
}

#[test]
fn a_piped_stdout_means_print_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(dir.path(), "a.log", b"2024-12-20T10:00:00Z hello\n");
    let out = logweave().arg(&a).output().expect("spawn");
    assert_eq!(stdout(&out), "2024-12-20T10:00:00Z hello\n");
}

#[test]
fn missing_and_special_sources_are_reported_and_the_rest_is_merged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = write(dir.path(), "good.log", b"2024-12-20T10:00:00Z ok\n");
    let missing = dir.path().join("x.log");
    let out = logweave()
        .arg("--print")
        .args([&missing, &good])
        .arg("/dev/null")
        .output()
        .expect("spawn");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "2024-12-20T10:00:00Z ok\n");
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "logweave: cannot open '{}': No such file or directory",
            missing.display()
        )),
        "{err}"
    );

    let nothing = logweave()
        .arg("--print")
        .arg(&missing)
        .output()
        .expect("spawn");
    assert_eq!(nothing.status.code(), Some(2));
    assert!(nothing.stdout.is_empty());

    let unreadable = write(dir.path(), "secret.log", b"2024-12-20T10:00:00Z hidden\n");
    let mut perms = fs::metadata(&unreadable).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o000);
    fs::set_permissions(&unreadable, perms).expect("chmod");
    // Root reads anything: as root, the check runs as `nobody` (setpriv).
    let mut as_user = logweave();
    if fs::read(&unreadable).is_ok() {
        let Some(nobody) = as_nobody(dir.path()) else {
            eprintln!("skipped: root without setpriv cannot test an unreadable file");
            return;
        };
        as_user = nobody;
    }
    let out = as_user
        .arg("--print")
        .args([&unreadable, &good])
        .output()
        .expect("spawn");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "2024-12-20T10:00:00Z ok\n",
        "the other is printed"
    );
    let err = stderr(&out);
    assert!(
        err.contains("Permission denied\n  tip: check that you may read the file"),
        "the tip says what to check, on its own line: {err}"
    );
}

/// logweave run as the unprivileged user `nobody`, when this is root and
/// `setpriv` is there; `dir` is opened up for it to enter.
fn as_nobody(dir: &Path) -> Option<Command> {
    use std::os::unix::fs::PermissionsExt;
    let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"]
        .into_iter()
        .find(|p| Path::new(p).exists())?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).ok()?;
    let mut command = Command::new(setpriv);
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_logweave"));
    Some(command)
}

#[test]
fn names_with_newlines_escapes_spaces_and_invalid_utf8_are_read_and_shown_escaped() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let names: [&[u8]; 4] = [
        b"new\nline.log",
        b"esc\x1b]0;title\x07.log",
        b"bad\xffutf8.log",
        b"with space.log",
    ];
    for (i, name) in names.iter().enumerate() {
        let path = dir.path().join(OsStr::from_bytes(name));
        fs::write(&path, format!("2024-12-20T10:00:0{i}Z line {i}\n")).expect("write");
    }
    let out = logweave()
        .args(["--print", "--tag"])
        .arg(dir.path())
        .arg(
            dir.path()
                .join(OsStr::from_bytes(b"gone\x1b[2J\nlogweave: fake.log")),
        )
        .output()
        .expect("spawn");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "new\\nline.log: 2024-12-20T10:00:00Z line 0\n\
         esc\\u{1b}]0;title\\u{7}.log: 2024-12-20T10:00:01Z line 1\n\
         bad\u{fffd}utf8.log: 2024-12-20T10:00:02Z line 2\n\
         with space.log: 2024-12-20T10:00:03Z line 3\n",
        "every file is read; a tag is one line and no escape reaches the output raw"
    );
    let err = stderr(&out);
    assert!(
        !err.contains('\x1b') && err.lines().count() == 1,
        "the missing name is said on one line, escaped: {err:?}"
    );
    assert!(err.contains(r"gone\u{1b}[2J\nlogweave: fake.log"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&[]).status.code(), Some(2));
    assert_eq!(
        run(&["--print", "--since", "yesterday", "x.log"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(&["--print", "--tz", "Mars/Base", "x.log"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(run(&["--no-such-flag"]).status.code(), Some(2));
}

#[test]
fn closing_the_pipe_early_ends_quietly() {
    let dir = generated("5MB", "text");
    let mut child = logweave()
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut head = [0u8; 4096];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut head)
        .expect("first bytes");
    // Dropping our end of the pipe is what `| head` does.
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(out.stderr.is_empty(), "quiet: {}", stderr(&out));
}

#[test]
fn a_100_mb_line_streams_through_in_bounded_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("huge.log");
    let mut file = fs::File::create(&path).expect("create");
    file.write_all(b"2024-12-20T10:00:00Z start\n2024-12-20T10:00:01Z ")
        .expect("write");
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..100 {
        file.write_all(&chunk).expect("write");
    }
    file.write_all(b"\n2024-12-20T10:00:02Z end\n")
        .expect("write");
    drop(file);
    let other = write(dir.path(), "other.log", b"2024-12-20T10:00:01.5Z between\n");

    // Waited for by `wait_max_rss_kib`, which also reads the peak RSS.
    #[allow(clippy::zombie_processes)]
    let mut child = logweave()
        .arg("--print")
        .args([&path, &other])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut out = child.stdout.take().expect("stdout");
    let (mut total, mut lines, mut buf) = (0usize, Vec::new(), vec![0u8; 1 << 16]);
    let mut current = Vec::new();
    loop {
        let n = out.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        total += n;
        for &b in &buf[..n] {
            if b == b'\n' {
                lines.push(if current.len() > 100 {
                    format!("<{} bytes>", current.len())
                } else {
                    String::from_utf8_lossy(&current).into_owned()
                });
                current.clear();
            } else {
                current.push(b);
            }
        }
    }
    let rss_kib = wait_max_rss_kib(child.id());
    assert_eq!(total, 27 + 21 + (100 << 20) + 1 + 31 + 25);
    assert_eq!(
        lines,
        vec![
            "2024-12-20T10:00:00Z start".to_string(),
            format!("<{} bytes>", 21 + (100 << 20)),
            "2024-12-20T10:00:01.5Z between".to_string(),
            "2024-12-20T10:00:02Z end".to_string(),
        ]
    );
    assert!(rss_kib <= 32 * 1024, "peak RSS {rss_kib} KiB");
}

/// Waits for a child and returns its peak resident set size.
fn wait_max_rss_kib(pid: u32) -> i64 {
    let mut status = 0;
    // SAFETY: plain FFI calls with valid pointers to stack values.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        let waited = libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage);
        assert_eq!(waited, pid as libc::pid_t, "wait4");
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "exit status {status}"
        );
        usage.ru_maxrss
    }
}

#[test]
fn threads_never_change_the_output_also_on_unsorted_sources() {
    let dir = generated("20MB", "text");
    // An unsorted source: a second attempt's log appended to the first, so
    // time jumps back in the middle (rotation gone wrong).
    let other = generated("4MB", "text");
    let mut unsorted = fs::read(dir.path().join("attempt=1.log.trigger.42.log")).expect("read");
    unsorted.extend(fs::read(other.path().join("attempt=1.log")).expect("read"));
    write(dir.path(), "attempt=1.log.trigger.42.log", &unsorted);
    let path = dir.path().to_str().expect("utf-8");
    same_on_every_thread_count(path);
    // A lone source is cut by bytes, not by time: also unsorted, with a
    // filter that keeps most records and one that keeps a few.
    // (over 16 MiB, or it is not cut at all).
    let lone_dir = tempfile::tempdir().expect("tempdir");
    let mut lone_bytes = fs::read(dir.path().join("attempt=1.log")).expect("read");
    lone_bytes.extend(&unsorted);
    assert!(lone_bytes.len() > 16 << 20);
    write(lone_dir.path(), "lone.log", &lone_bytes);
    let lone = lone_dir.path().join("lone.log");
    let lone = lone.to_str().expect("utf-8");
    for grep in ["INFO", "Poking|Traceback"] {
        let one = run(&["--print", "--threads", "1", "--grep", grep, lone]);
        let two = run(&["--print", "--threads", "2", "--grep", grep, lone]);
        assert!(one.status.success() && !one.stdout.is_empty());
        assert!(one.stdout == two.stdout, "--grep {grep}: threads differ");
    }

    // And on sorted sources, slices tile the stream exactly.
    let sorted = generated("20MB", "text");
    let path = sorted.path().to_str().expect("utf-8");
    let one = run(&[
        "--print",
        "--threads",
        "1",
        "--since",
        "2024-12-20T10:01:00Z",
        path,
    ]);
    let two = run(&[
        "--print",
        "--threads",
        "2",
        "--since",
        "2024-12-20T10:01:00Z",
        path,
    ]);
    assert!(!one.stdout.is_empty() && one.stdout == two.stdout);
}

#[test]
fn slices_that_outgrow_their_buffer_are_finished_in_order_and_the_rest_stays_parallel() {
    // Records of 5 MiB in the largest source: the slices holding them
    // outgrow their 4 MiB buffers and the writer finishes them; the slices
    // after them are the workers' again. The output is one merge's.
    let dir = generated("12MB", "text");
    let worker = dir.path().join("attempt=1.log");
    let text = fs::read(&worker).expect("read");
    let mut huge = Vec::with_capacity(text.len() + (12 << 20));
    let mut cuts = [text.len() / 3, 2 * text.len() / 3].into_iter().peekable();
    for line in text.split_inclusive(|&b| b == b'\n') {
        huge.extend_from_slice(line);
        if cuts.next_if(|&cut| huge.len() >= cut).is_some() {
            // A traceback line of 5 MiB: part of the record above it.
            huge.extend(std::iter::repeat_n(b'y', 5 << 20));
            huge.push(b'\n');
        }
    }
    write(dir.path(), "attempt=1.log", &huge);
    let path = dir.path().to_str().expect("utf-8");
    let one = same_on_every_thread_count(path);
    assert!(one.status.success() && one.stdout.len() > 18 << 20);
}

#[test]
fn grep_grep_v_and_level_filter_whole_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(
        dir.path(),
        "a.log",
        b"[2024-12-20T10:00:00.000+0000] {a.py:1} INFO - starting\n\
[2024-12-20T10:00:01.000+0000] {a.py:2} ERROR - Task failed\n\
Traceback (most recent call last):\n\
ConnectionError: timeout after 30s\n\
[2024-12-20T10:00:02.000+0000] {a.py:3} WARNING - retrying\n",
    );
    let b = write(
        dir.path(),
        "b.log",
        b"[2024-12-20T10:00:01.500+0000] {b.py:1} INFO - poke timeout\n",
    );
    let out = logweave()
        .args(["--print", "--grep", "ConnectionError"])
        .args([&a, &b])
        .output()
        .expect("spawn");
    assert_eq!(
        stdout(&out),
        "[2024-12-20T10:00:01.000+0000] {a.py:2} ERROR - Task failed\n\
Traceback (most recent call last):\n\
ConnectionError: timeout after 30s\n",
        "a hit on a traceback line prints the whole record"
    );
    // Smart case, several patterns (any), exclusion.
    let out = logweave()
        .args([
            "--print", "--grep", "timeout", "--grep", "starting", "--grep-v", "poke",
        ])
        .args([&a, &b])
        .output()
        .expect("spawn");
    let text = stdout(&out);
    assert!(text.starts_with("[2024-12-20T10:00:00.000+0000] {a.py:1} INFO - starting\n"));
    assert!(text.contains("ConnectionError"));
    assert!(!text.contains("poke"));
    assert!(!text.contains("retrying"));

    let out = logweave()
        .args(["--print", "--level", "warning"])
        .args([&a, &b])
        .output()
        .expect("spawn");
    let text = stdout(&out);
    assert_eq!(text.lines().filter(|l| l.starts_with('[')).count(), 2);
    assert!(text.contains("ERROR - Task failed") && text.contains("WARNING - retrying"));

    let bad = logweave()
        .args(["--print", "--grep", "a(b"])
        .arg(&a)
        .output()
        .expect("spawn");
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("invalid regex"), "{}", stderr(&bad));
    let bad = logweave()
        .args(["--print", "--level", "loud"])
        .arg(&a)
        .output()
        .expect("spawn");
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn grep_and_grep_v_see_a_2_mib_line_to_its_end_and_say_where_they_stop() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = b"[2024-12-20T10:00:00.000+0000] {a.py:1} INFO - starting\n".to_vec();
    text.extend_from_slice(b"[2024-12-20T10:00:01.000+0000] {a.py:2} INFO - payload ");
    text.extend(std::iter::repeat_n(b'x', 2 << 20));
    text.extend_from_slice(b" NEEDLE-AT-THE-END\n");
    text.extend_from_slice(b"[2024-12-20T10:00:02.000+0000] {a.py:3} INFO - done\n");
    let a = write(dir.path(), "a.log", &text);
    for threads in ["1", "2"] {
        let out = logweave()
            .args([
                "--print",
                "--threads",
                threads,
                "--grep",
                "NEEDLE-AT-THE-END",
            ])
            .arg(&a)
            .output()
            .expect("spawn");
        let printed = stdout(&out);
        assert_eq!(printed.lines().count(), 1, "the long line is found");
        assert!(printed.trim_end().ends_with("NEEDLE-AT-THE-END"));
        assert!(stderr(&out).is_empty(), "{}", stderr(&out));
        let out = logweave()
            .args([
                "--print",
                "--threads",
                threads,
                "--grep-v",
                "NEEDLE-AT-THE-END",
            ])
            .arg(&a)
            .output()
            .expect("spawn");
        assert_eq!(
            stdout(&out),
            "[2024-12-20T10:00:00.000+0000] {a.py:1} INFO - starting\n\
[2024-12-20T10:00:02.000+0000] {a.py:3} INFO - done\n",
            "the long line is dropped"
        );
    }
    // Past the cap (16 MiB) a line is matched on its first part, and that
    // is said on stderr.
    let mut text = b"[2024-12-20T10:00:00.000+0000] {a.py:1} INFO - huge ".to_vec();
    text.extend(std::iter::repeat_n(b'y', 17 << 20));
    text.extend_from_slice(b" NEEDLE\n[2024-12-20T10:00:01.000+0000] {a.py:1} INFO - NEEDLE\n");
    let b = write(dir.path(), "b.log", &text);
    let out = logweave()
        .args(["--print", "--grep", "NEEDLE"])
        .arg(&b)
        .output()
        .expect("spawn");
    assert_eq!(stdout(&out).lines().count(), 1);
    assert!(
        stderr(&out).contains("1 line longer than 16 MiB matched on its first 16 MiB only"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn grep_in_parallel_print_equals_one_thread() {
    let dir = generated("20MB", "text");
    let path = dir.path().to_str().expect("utf-8");
    let one = run(&[
        "--print",
        "--threads",
        "1",
        "--grep",
        "Traceback|Poking",
        "--grep-v",
        "file-1",
        path,
    ]);
    let two = run(&[
        "--print",
        "--threads",
        "2",
        "--grep",
        "Traceback|Poking",
        "--grep-v",
        "file-1",
        path,
    ]);
    assert!(one.status.success() && !one.stdout.is_empty());
    assert!(one.stdout == two.stdout);
    let text = String::from_utf8_lossy(&one.stdout);
    assert!(text
        .lines()
        .filter(|l| l.starts_with('['))
        .all(|l| !l.contains("file-1")));
}

#[test]
fn demo_prints_its_attempt_when_stdout_is_a_pipe_and_reuses_it() {
    let cache = tempfile::tempdir().expect("tempdir");
    let demo = || {
        logweave()
            .args(["demo", "--size", "200kB"])
            .env("XDG_CACHE_HOME", cache.path())
            .output()
            .expect("spawn")
    };
    let first = demo();
    assert!(first.status.success(), "{}", stderr(&first));
    let text = stdout(&first);
    assert!(text.lines().count() > 500);
    assert!(
        text.starts_with("[2024-12-20T10:00:00"),
        "{}",
        &text[..80.min(text.len())]
    );
    // Named after the generator's version (a newer one writes other bytes).
    let folder = cache.path().join(format!(
        "logweave/demo-v{}-200000-text-1",
        logweave::gen::VERSION
    ));
    let written = fs::metadata(folder.join("attempt=1.log"))
        .and_then(|m| m.modified())
        .expect("demo file");
    let second = demo();
    assert!(
        second.stdout == first.stdout,
        "same attempt the second time"
    );
    let again = fs::metadata(folder.join("attempt=1.log"))
        .and_then(|m| m.modified())
        .expect("demo file");
    assert_eq!(written, again, "the cached attempt is not written again");
}

#[test]
fn a_strftime_format_with_a_zone_orders_foreign_timestamps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(
        dir.path(),
        "a.log",
        b"20/12/2024 11:00:00 a at ten UTC\n20/12/2024 11:00:02 a at ten and two\n",
    );
    let b = write(dir.path(), "b.log", b"20/12/2024 11:00:01 b between\n");
    let out = logweave()
        .args([
            "--print",
            "--ts-format",
            "%d/%m/%Y %H:%M:%S",
            "--tz",
            "+01:00",
            "--since",
            "2024-12-20T10:00:01Z",
        ])
        .args([&a, &b])
        .output()
        .expect("spawn");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "20/12/2024 11:00:01 b between\n20/12/2024 11:00:02 a at ten and two\n"
    );
}

#[test]
fn pipes_and_devices_are_read_as_streams_and_sockets_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A named pipe, written by another process as logweave reads it.
    let fifo = dir.path().join("fifo.log");
    let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(status.success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            fs::write(&fifo, "2024-12-20T10:00:01Z through a pipe\n").expect("write the fifo")
        })
    };
    let good = write(
        dir.path(),
        "good.log",
        b"2024-12-20T10:00:00Z from a file\n",
    );
    let out = logweave()
        .arg("--print")
        .args([&fifo, &good])
        .output()
        .expect("spawn");
    writer.join().expect("writer");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "2024-12-20T10:00:00Z from a file\n2024-12-20T10:00:01Z through a pipe\n"
    );

    // An endless device stops at the spool's cap, says so, keeps the rest.
    let out = logweave()
        .args(["--print", "--spool-max", "1MB", "/dev/zero"])
        .arg(&good)
        .output()
        .expect("spawn");
    assert_eq!(out.status.code(), Some(1), "partial: {}", stderr(&out));
    assert_eq!(
        out.stdout.len(),
        1_000_001 + "2024-12-20T10:00:00Z from a file\n".len()
    );
    let err = stderr(&out);
    assert!(
        err.contains("'/dev/zero': device stopped at 1.0 MB, the spool's limit")
            && err.contains("--spool-max"),
        "{err}"
    );

    // /dev/null is an empty stream, not an error.
    let out = logweave()
        .args(["--print", "/dev/null"])
        .output()
        .expect("spawn");
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "{}",
        stderr(&out)
    );

    // A socket cannot be read at all: said as such, the others are shown.
    let socket = dir.path().join("app.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind");
    let out = logweave()
        .arg("--print")
        .args([&socket, &good])
        .output()
        .expect("spawn");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "2024-12-20T10:00:00Z from a file\n");
    assert!(
        stderr(&out).contains("app.sock': a socket, not a file, folder, pipe or device"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_gzip_bomb_stops_at_the_spool_cap_and_says_so() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().expect("tempdir");
    // 50 MB of one repeated line in ~50 KB.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let line = b"2024-12-20T10:00:00Z INFO again\n";
    for _ in 0..50_000_000 / line.len() {
        gz.write_all(line).expect("gzip");
    }
    let bomb = write(dir.path(), "attempt=1.log.gz", &gz.finish().expect("gzip"));
    assert!(fs::metadata(&bomb).expect("meta").len() < 1_000_000);
    let out = logweave()
        .args(["--print", "--spool-max", "2MB"])
        .arg(&bomb)
        .output()
        .expect("spawn");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // What arrived before the cap is printed, cut at a line's end at most
    // one line short.
    assert!(out.stdout.len() <= 2_000_001 && out.stdout.len() > 1_900_000);
    assert!(
        stderr(&out).contains("gzip stopped at 2.0 MB, the spool's limit"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn spools_leave_nothing_in_tmpdir_while_running_or_after_sigterm_and_sighup() {
    let dir = tempfile::tempdir().expect("tempdir");
    for signal in [libc::SIGTERM, libc::SIGHUP] {
        // /dev/zero keeps the spool growing until the signal comes.
        let mut child = logweave()
            .args(["--print", "--spool-max", "200MB", "/dev/zero"])
            .env("TMPDIR", dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(100));
        let while_running = fs::read_dir(dir.path()).expect("read TMPDIR").count();
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as i32, signal) };
        let status = child.wait().expect("wait");
        assert!(!status.success(), "ended by signal {signal}");
        assert_eq!(while_running, 0, "the spool is unlinked at once");
        assert_eq!(
            fs::read_dir(dir.path()).expect("read TMPDIR").count(),
            0,
            "nothing left after signal {signal}"
        );
    }
}

#[test]
fn records_out_of_order_within_the_window_are_sorted_and_beyond_it_kept_in_file_order_and_said() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Stdout lines stamped when read and logging records arriving up to
    // 2 s later, as Airflow 3 writes them; then a clock stepped back an
    // hour for two records, and back again.
    let log = write(
        dir.path(),
        "task.log",
        b"2024-12-20T10:00:01Z stdout a\n\
          2024-12-20T10:00:03Z stdout b\n\
          2024-12-20T10:00:01.500Z logging late by 1.5 s\n\
          2024-12-20T10:00:04Z stdout c\n\
          2024-12-20T09:00:05Z stepped back one\n\
          2024-12-20T09:00:06Z stepped back two\n\
          2024-12-20T10:00:07Z stdout d\n",
    );
    let log = log.to_str().expect("utf-8");
    let out = run(&["--print", log]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "2024-12-20T10:00:01Z stdout a\n\
         2024-12-20T10:00:01.500Z logging late by 1.5 s\n\
         2024-12-20T10:00:03Z stdout b\n\
         2024-12-20T10:00:04Z stdout c\n\
         2024-12-20T09:00:05Z stepped back one\n\
         2024-12-20T09:00:06Z stepped back two\n\
         2024-12-20T10:00:07Z stdout d\n"
    );
    let said = stderr(&out);
    assert!(
        said.contains("task.log: 2 records out of time order by up to 60 min")
            && said.contains("kept in file order")
            && said.contains("--reorder-window"),
        "{said}"
    );
    assert_eq!(said.matches("task.log").count(), 1, "said once: {said}");

    // --since finds the late logging record; a window of 2 hours sorts the
    // clock step in, and 0 keeps the file's order.
    let since = run(&["--print", "--since", "2024-12-20T10:00:01.2Z", log]);
    assert!(stdout(&since).starts_with("2024-12-20T10:00:01.500Z logging late"));
    // --since/--until go by each record's own time: the records of the
    // hour the clock stepped back are found after the ones around them,
    // and not printed by a range they are not in.
    let before_step = run(&["--print", "--until", "2024-12-20T09:30:00Z", log]);
    assert_eq!(
        stdout(&before_step),
        "2024-12-20T09:00:05Z stepped back one\n\
         2024-12-20T09:00:06Z stepped back two\n"
    );
    let one = run(&[
        "--print",
        "--since",
        "2024-12-20T09:00:05Z",
        "--until",
        "2024-12-20T09:00:06Z",
        log,
    ]);
    assert_eq!(stdout(&one), "2024-12-20T09:00:05Z stepped back one\n");
    let after = run(&["--print", "--since", "2024-12-20T09:30:00Z", log]);
    assert!(
        !stdout(&after).contains("stepped back"),
        "{}",
        stdout(&after)
    );
    assert!(stdout(&after).contains("stdout d"));
    let wide = run(&["--print", "--reorder-window", "2h", log]);
    assert!(stdout(&wide).starts_with("2024-12-20T09:00:05Z stepped back one\n"));
    assert!(!stderr(&wide).contains("out of time order"));
    let none = run(&["--print", "--reorder-window", "0", log]);
    assert!(stdout(&none).starts_with("2024-12-20T10:00:01Z stdout a\n2024-12-20T10:00:03Z"));
    assert!(stderr(&none).contains("records out of time order"));
    let bad = run(&["--print", "--reorder-window", "2 weeks", log]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("more than the 1day"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn a_late_record_within_the_window_is_sorted_in_also_before_one_far_out_of_order() {
    // A gap of 10 s, a record 0.5 s late, then one 25 s late: the log goes
    // on at the later times, so only the far one is out of place (it was
    // taken for the end of a spike of the three before it, which kept all
    // four in file order and counted them).
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(
        dir.path(),
        "gap.log",
        b"2024-12-20T10:00:18Z rec 18\n\
          2024-12-20T10:00:19Z rec 19\n\
          2024-12-20T10:00:30Z rec 30\n\
          2024-12-20T10:00:31Z rec 31\n\
          2024-12-20T10:00:29.500Z late by 1.5 s\n\
          2024-12-20T10:00:05Z late by 26 s\n\
          2024-12-20T10:00:32Z rec 32\n\
          2024-12-20T10:00:33Z rec 33\n",
    );
    let out = run(&["--print", log.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "2024-12-20T10:00:18Z rec 18\n\
         2024-12-20T10:00:19Z rec 19\n\
         2024-12-20T10:00:29.500Z late by 1.5 s\n\
         2024-12-20T10:00:30Z rec 30\n\
         2024-12-20T10:00:31Z rec 31\n\
         2024-12-20T10:00:05Z late by 26 s\n\
         2024-12-20T10:00:32Z rec 32\n\
         2024-12-20T10:00:33Z rec 33\n"
    );
    let said = stderr(&out);
    assert!(
        said.contains("gap.log: 1 record out of time order by up to 26 s")
            && said.contains("--reorder-window sorts it in"),
        "{said}"
    );
}

#[test]
fn many_copies_of_one_log_are_said_in_a_few_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = b"2024-12-20T10:00:00.000Z INFO one\n2024-12-20T10:00:01.000Z INFO two\n";
    for i in 0..14 {
        write(dir.path(), &format!("copy{i:02}.log"), log);
    }
    let out = logweave()
        .current_dir(dir.path())
        .args(["--print", "."])
        .output()
        .expect("spawn");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 2);
    let said: Vec<String> = stderr(&out).lines().map(str::to_string).collect();
    assert_eq!(said.len(), 11, "{said:?}");
    assert!(
        said[0].contains("2 records left out as copies of"),
        "{said:?}"
    );
    assert!(
        said[10].starts_with("logweave: 6 records of 3 other sources left out as copies;"),
        "{said:?}"
    );
}

#[test]
fn the_airflow_apis_json_answer_is_named_with_how_to_get_ndjson() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "answer.json",
        br#"{"content":[{"timestamp":"2026-12-07T04:07:40.355219Z","event":"::group::Pre Execute","level":"info"}],"continuation_token":null}"#,
    );
    let out = logweave()
        .current_dir(dir.path())
        .args(["--print", "answer.json"])
        .output()
        .expect("spawn");
    let err = stderr(&out);
    assert!(err.contains("the Airflow REST API's JSON answer"), "{err}");
    assert!(err.contains("Accept: application/x-ndjson"), "{err}");
}
