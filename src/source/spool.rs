//! Sources that arrive as a stream — stdin, a compressed file being
//! decompressed, an HTTP body from a server without range support — are
//! spooled to an unlinked temporary file as they arrive, so they are
//! random-access and scrollable while they fill and RAM stays flat
//! (`kubectl logs -f pod | logweave - worker.log`).
//!
//! The spool file grows like a followed log: readers take length snapshots,
//! and follow mode (which every viewer runs) swaps in longer ones. Its
//! [`Feed`] says how far the stream has come and whether it has ended, and
//! wakes followers when it moves, so that they sleep while nothing comes.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{FileSource, FollowTarget, Growable, Health, Problem, Source, SourceEntry};

/// Something to call when a followed source moves (it wakes a follower).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Where a stream being spooled stands, shared by its writer thread and
/// whoever follows it: the bytes written, whether it has ended for good,
/// and the wakers to call when either changes.
#[derive(Default)]
pub struct Feed {
    written: AtomicU64,
    ended: AtomicBool,
    wakers: Mutex<Vec<Waker>>,
}

impl Feed {
    /// Bytes in the spool file.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Acquire)
    }

    /// The stream ended (its end, an error or the cap): nothing more comes.
    pub fn ended(&self) -> bool {
        self.ended.load(Ordering::Acquire)
    }

    /// Calls `waker` whenever bytes arrive or the stream ends.
    pub fn wake_with(&self, waker: Waker) {
        self.wakers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(waker);
    }

    fn wrote(&self, bytes: u64) {
        self.written.fetch_add(bytes, Ordering::Release);
        self.wake();
    }

    fn end(&self) {
        self.ended.store(true, Ordering::Release);
        self.wake();
    }

    fn wake(&self) {
        let wakers = self
            .wakers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for waker in wakers {
            waker();
        }
    }
}

/// Bytes one spool may take by default (`--spool-max`): above any log a
/// task writes, below what fills a temp folder unnoticed.
pub const DEFAULT_CAP: u64 = 8_000_000_000;

static CAP: AtomicU64 = AtomicU64::new(DEFAULT_CAP);

/// Sets the most bytes each spool of the process takes (`--spool-max`).
pub fn set_cap(bytes: u64) {
    CAP.store(bytes.max(1), Ordering::Relaxed);
}

/// A size as `--spool-max` takes it (decimal units): "8.0 GB", "5.0 MB".
fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1_000_000_000 => format!("{:.1} GB", b as f64 / 1e9),
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b => crate::source::count(b, "byte"),
    }
}

/// A running spool.
pub struct Spool {
    file: FileSource,
    writer: Option<JoinHandle<io::Result<()>>>,
    /// Bytes written so far (cheaper to ask than the file's metadata) and
    /// whether the stream ended.
    feed: Arc<Feed>,
    health: Arc<Health>,
    path: PathBuf,
    label: String,
}

impl Spool {
    /// Spools stdin.
    pub fn stdin() -> io::Result<Spool> {
        Spool::start(PathBuf::from("-"), "stdin".into(), "stdin", io::stdin())
    }

    /// Starts copying `reader` into a temporary file in the background. The
    /// file is unlinked at once: only our handles keep it, so nothing is left
    /// behind however the process ends. `what` names the stream in errors
    /// ("gzip", "download").
    pub fn start(
        path: PathBuf,
        label: String,
        what: &'static str,
        reader: impl Read + Send + 'static,
    ) -> io::Result<Spool> {
        Spool::start_reporting(path, label, what, reader, Arc::new(Health::default()))
    }

    /// [`Spool::start`], with `health` shared with the reader (which may
    /// have problems of its own to report, such as an API's).
    pub fn start_reporting(
        path: PathBuf,
        label: String,
        what: &'static str,
        mut reader: impl Read + Send + 'static,
        health: Arc<Health>,
    ) -> io::Result<Spool> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        static SERIAL: AtomicU64 = AtomicU64::new(0);
        let temp: PathBuf = std::env::temp_dir().join(format!(
            "logweave-spool-{}-{nanos}-{}",
            std::process::id(),
            SERIAL.fetch_add(1, Ordering::Relaxed)
        ));
        let mut writer = OpenOptions::new()
            .create_new(true)
            .write(true)
            .open(&temp)?;
        let opened = File::open(&temp);
        let _ = std::fs::remove_file(&temp);
        let file = FileSource::from_file(opened?)?;
        let feed = Arc::new(Feed::default());
        let (counter, reporter) = (feed.clone(), health.clone());
        let cap = CAP.load(Ordering::Relaxed);
        let handle = std::thread::Builder::new()
            .name(format!("spool-{what}"))
            .spawn(move || {
                let mut buf = vec![0u8; 64 * 1024];
                let result = loop {
                    let n = match reader.read(&mut buf) {
                        Ok(0) => break Ok(()),
                        Ok(n) => n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => break Err(e),
                    };
                    let at = counter.written();
                    let room = cap.saturating_sub(at).min(n as u64) as usize;
                    if let Err(e) = writer.write_all(&buf[..room]) {
                        break Err(e);
                    }
                    counter.wrote(room as u64);
                    if room < n {
                        // The rest is not read: a decompression bomb or an
                        // endless device stops here, the disk stays usable.
                        reporter.report(
                            Problem::new(format!(
                                "{what} stopped at {}, the spool's limit; what came before is shown",
                                human(cap)
                            ))
                            .with_tip("raise it with --spool-max SIZE (or LOGWEAVE_SPOOL_MAX)"),
                        );
                        break Ok(());
                    }
                };
                if let Err(e) = &result {
                    let at = counter.written();
                    reporter.report(
                        Problem::io(e)
                            .map_what(|e| format!("{what} stopped after {at} bytes: {e}")),
                    );
                }
                // The reader goes first: what it holds (a channel a
                // follower listens to) is let go before the end is said.
                drop(reader);
                counter.end();
                result
            })?;
        Ok(Spool {
            file,
            writer: Some(handle),
            feed,
            health,
            path,
            label,
        })
    }

    /// Waits for the stream to end (print mode merges all of it). An error
    /// is also left in [`Spool::health`]; what arrived before it stays.
    pub fn wait(&mut self) -> io::Result<()> {
        match self.writer.take() {
            Some(handle) => handle
                .join()
                .map_err(|_| io::Error::other("spool writer failed"))?,
            None => Ok(()),
        }
    }

    /// Waits until `bytes` have arrived, the stream ended, or `timeout`
    /// passed: enough to sniff the format before the viewer opens.
    pub fn wait_for(&self, bytes: u64, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.feed.written() < bytes
            && self.writer.as_ref().is_some_and(|h| !h.is_finished())
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Problems of the stream (a corrupt archive, a dropped download).
    pub fn health(&self) -> Arc<Health> {
        self.health.clone()
    }

    /// The source as it stands now, with a follow target so that viewers
    /// see it grow (and followers know when it ends).
    pub fn entry(&self) -> io::Result<SourceEntry> {
        let now = self.file.with_len(self.feed.written());
        Ok(SourceEntry {
            path: self.path.clone(),
            label: self.label.clone(),
            tag: None,
            source: Arc::new(now.clone()) as Arc<dyn Source>,
            follow: Some(FollowTarget {
                path: None,
                file: Growable::Stream(now, self.feed.clone()),
            }),
            health: Some(self.health.clone()),
            filling: None,
            copy_of: None,
            read_once: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that yields some bytes, then fails.
    struct Broken(Vec<u8>);

    impl Read for Broken {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "corrupt deflate stream",
                ));
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0.drain(..n);
            Ok(n)
        }
    }

    /// An endless stream of zeros, like /dev/zero or a gzip bomb.
    struct Endless;

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            buf.fill(b'0');
            Ok(buf.len())
        }
    }

    #[test]
    fn a_stream_beyond_the_cap_stops_there_and_says_so() {
        // The cap is process-wide: this is the only test that sets it.
        set_cap(1_000_000);
        let mut spool = Spool::start("z".into(), "z".into(), "device", Endless).unwrap();
        set_cap(DEFAULT_CAP);
        assert!(spool.wait().is_ok(), "stopping at the cap is not a failure");
        let entry = spool.entry().unwrap();
        assert_eq!(entry.source.len(), 1_000_000);
        let problem = spool.health().problem().unwrap();
        assert!(
            problem
                .to_string()
                .contains("device stopped at 1.0 MB, the spool's limit"),
            "{problem}"
        );
        assert!(
            format!("{problem:?}").contains("--spool-max"),
            "{problem:?}"
        );
    }

    #[test]
    fn a_failing_stream_keeps_what_arrived_and_says_why() {
        let mut spool = Spool::start(
            "x".into(),
            "x".into(),
            "gzip",
            Broken(b"line 1\nline 2\n".to_vec()),
        )
        .unwrap();
        assert!(spool.wait().is_err());
        let entry = spool.entry().unwrap();
        let mut buf = vec![0u8; 64];
        let n = entry.source.read_full_at(0, &mut buf).unwrap();
        assert_eq!(&buf[..n], b"line 1\nline 2\n");
        let problem = spool.health().problem().unwrap().to_string();
        assert!(problem.contains("gzip stopped after 14 bytes"), "{problem}");
        assert!(problem.contains("corrupt deflate stream"), "{problem}");
    }
}
