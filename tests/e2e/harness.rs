//! Runs the real `logweave` binary in a pseudo-terminal, feeds everything it
//! writes to a vt100 parser, and waits for screen conditions with a deadline
//! (polling, never sleeping a fixed time), so tests are neither slow nor
//! flaky on a loaded machine.

// Shared by the e2e tests and the viewer benchmark; each uses part of it.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};

/// Raw output kept for [`Tui::clipboard_writes`].
const RAW_KEPT: usize = 8 * 1024 * 1024;

/// How long a screen condition may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(15);

pub struct Tui {
    parser: Arc<Mutex<vt100::Parser>>,
    /// The last bytes the program wrote, raw (for what the screen does not
    /// show, such as an OSC 52 clipboard write).
    raw: Arc<Mutex<Vec<u8>>>,
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    pub cols: u16,
    /// How often conditions are checked (benchmarks poll faster).
    pub poll: Duration,
}

impl Tui {
    /// Starts `logweave args…` in a `rows`×`cols` terminal with `TZ=UTC`.
    pub fn spawn(args: &[&str], rows: u16, cols: u16) -> Self {
        Self::spawn_env(args, rows, cols, &[])
    }

    /// Starts another program (e.g. a shell pipeline that runs logweave).
    pub fn spawn_program(program: &str, args: &[&str], rows: u16, cols: u16) -> Self {
        Self::spawn_command(program, args, rows, cols, &[])
    }

    pub fn spawn_env(args: &[&str], rows: u16, cols: u16, env: &[(&str, &str)]) -> Self {
        Self::spawn_command(env!("CARGO_BIN_EXE_logweave"), args, rows, cols, env)
    }

    fn spawn_command(
        program: &str,
        args: &[&str],
        rows: u16,
        cols: u16,
        env: &[(&str, &str)],
    ) -> Self {
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.env("TZ", "UTC");
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        for (k, v) in env {
            cmd.env(k, v);
        }
        if let Ok(dir) = std::env::current_dir() {
            cmd.cwd(dir);
        }
        let child = pair
            .slave
            .spawn_command(cmd)
            .expect("spawn logweave in the pty");
        drop(pair.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let feed = parser.clone();
        let raw = Arc::new(Mutex::new(Vec::new()));
        let keep = raw.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 64 * 1024];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        feed.lock().expect("parser").process(&buf[..n]);
                        let mut kept = keep.lock().expect("raw");
                        kept.extend_from_slice(&buf[..n]);
                        if kept.len() > RAW_KEPT {
                            let drop = kept.len() - RAW_KEPT / 2;
                            kept.drain(..drop);
                        }
                    }
                }
            }
        });
        Self {
            parser,
            raw,
            master: pair.master,
            writer,
            child,
            cols,
            poll: POLL,
        }
    }

    /// Whether the program wrote `needle` to the terminal (in the last
    /// [`RAW_KEPT`] bytes).
    pub fn wrote(&self, needle: &[u8]) -> bool {
        let raw = self.raw.lock().expect("raw");
        raw.windows(needle.len()).any(|w| w == needle)
    }

    /// The payloads of the OSC 52 clipboard writes seen so far, decoded.
    pub fn clipboard_writes(&self) -> Vec<Vec<u8>> {
        use base64::Engine as _;
        let raw = self.raw.lock().expect("raw");
        let mut found = Vec::new();
        let start = b"\x1b]52;c;";
        let mut rest: &[u8] = &raw;
        while let Some(i) = rest.windows(start.len()).position(|w| w == start) {
            rest = &rest[i + start.len()..];
            let Some(end) = rest.iter().position(|&b| b == 0x07) else {
                break;
            };
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(&rest[..end])
                .expect("OSC 52 payload is base64");
            found.push(decoded);
            rest = &rest[end..];
        }
        found
    }

    /// Types `keys` (raw bytes: "G", ":10:15\r", "\x1b" for Esc).
    pub fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).expect("write keys");
        self.writer.flush().expect("flush keys");
    }

    /// The screen as text, one line per row (trailing spaces trimmed).
    pub fn text(&self) -> String {
        self.parser.lock().expect("parser").screen().contents()
    }

    /// Rows of the screen, padded to the width.
    pub fn rows(&self) -> Vec<String> {
        let parser = self.parser.lock().expect("parser");
        parser.screen().rows(0, self.cols).collect()
    }

    /// Whether the program asked the terminal to bracket pastes.
    pub fn bracketed_paste(&self) -> bool {
        self.parser
            .lock()
            .expect("parser")
            .screen()
            .bracketed_paste()
    }

    /// The bottom row (the status bar).
    pub fn status(&self) -> String {
        self.rows().last().cloned().unwrap_or_default()
    }

    /// Reads something off the screen state.
    pub fn with_screen<T>(&self, f: impl FnOnce(&vt100::Screen) -> T) -> T {
        f(self.parser.lock().expect("parser").screen())
    }

    /// Waits until `condition` holds for the screen; fails with the screen
    /// printed when the deadline passes.
    pub fn wait_for(&self, what: &str, condition: impl Fn(&Tui) -> bool) {
        let start = Instant::now();
        while start.elapsed() < DEADLINE {
            if condition(self) {
                self.settle();
                if condition(self) {
                    return;
                }
            }
            std::thread::sleep(self.poll);
        }
        panic!("timed out waiting for {what}; screen:\n{}", self.text());
    }

    /// Waits until the screen shows `needle` somewhere.
    pub fn wait_for_text(&self, needle: &str) {
        self.wait_for(&format!("{needle:?} on screen"), |t| {
            t.text().contains(needle)
        });
    }

    /// Waits for the first screen: the status bar is drawn.
    pub fn wait_ready(&self) {
        self.wait_for("the first screen", |t| {
            let status = t.status();
            ["help", "TOP", "END", "%"]
                .iter()
                .any(|mark| status.contains(mark))
        });
    }

    /// Sends keys and waits until the screen changes from what it was and
    /// has settled (a frame can arrive in several reads).
    pub fn press(&mut self, keys: &str) {
        let before = self.text();
        self.send(keys);
        self.wait_for(&format!("the screen to change after {keys:?}"), |t| {
            t.text() != before
        });
        self.settle();
    }

    /// Waits until `condition` holds, without waiting for the screen to
    /// settle, and returns how long it took (for benchmarks).
    pub fn time_until(&self, what: &str, condition: impl Fn(&Tui) -> bool) -> Duration {
        let start = Instant::now();
        while start.elapsed() < DEADLINE * 6 {
            if condition(self) {
                return start.elapsed();
            }
            std::thread::sleep(self.poll);
        }
        panic!("timed out waiting for {what}; screen:\n{}", self.text());
    }

    /// Peak resident memory of the process so far, in KiB (Linux).
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Waits until two looks at the screen a moment apart agree.
    pub fn settle(&self) {
        let mut last = self.text();
        let start = Instant::now();
        while start.elapsed() < DEADLINE {
            std::thread::sleep(Duration::from_millis(30));
            let now = self.text();
            if now == last {
                return;
            }
            last = now;
        }
    }

    /// Waits for the process to exit and returns whether it succeeded.
    pub fn wait_exit(&mut self) -> bool {
        let start = Instant::now();
        while start.elapsed() < DEADLINE {
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the reader thread drain the last bytes.
                std::thread::sleep(Duration::from_millis(50));
                return status.success();
            }
            std::thread::sleep(POLL);
        }
        panic!("logweave did not exit; screen:\n{}", self.text());
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Resizes the terminal (the program gets SIGWINCH).
    pub fn resize(&self, rows: u16, cols: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize");
        self.parser
            .lock()
            .expect("parser")
            .screen_mut()
            .set_size(rows, cols);
    }

    /// The process id, for sending signals.
    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }

    /// Whether the pty is back in canonical (cooked) mode with echo.
    pub fn cooked(&self) -> bool {
        let Some(fd) = self.master.as_raw_fd() else {
            return false;
        };
        // SAFETY: tcgetattr on a valid fd into a zeroed struct.
        unsafe {
            let mut termios: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(fd, &mut termios) != 0 {
                return false;
            }
            termios.c_lflag & libc::ICANON != 0 && termios.c_lflag & libc::ECHO != 0
        }
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// What `logweave --print args…` writes to stdout, as bytes.
pub fn printed_bytes(args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_logweave"))
        .arg("--print")
        .args(args)
        .env("TZ", "UTC")
        .output()
        .expect("run --print");
    out.stdout
}

/// Lines of `logweave --print args…`, the reference for screens.
pub fn printed(args: &[&str]) -> Vec<String> {
    String::from_utf8_lossy(&printed_bytes(args))
        .lines()
        .map(str::to_string)
        .collect()
}

/// A generated attempt in a temporary folder.
pub fn attempt(size: &str, format: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(["gen", "--out"])
        .arg(dir.path())
        .args(["--size", size, "--format", format])
        .output()
        .expect("gen");
    assert!(status.status.success());
    dir
}

pub fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A count as the status bar writes it: 1234567 → "1,234,567".
pub fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
