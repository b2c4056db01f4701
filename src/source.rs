//! Sources: random-access bytes with a length.
//!
//! Everything above this layer sees a log as `len()` + `read_at()`. Nothing ever
//! reads a whole source: readers keep one block each and ask for the bytes they
//! need. Local files use positional reads rather than mmap, because a log that
//! is truncated under an mmap kills the process with SIGBUS.

pub mod cloudwatch;
pub mod compressed;
pub mod descriptors;
pub mod events;
mod file;
pub mod follower;
mod open;
pub mod remote;
pub mod spool;
mod tags;
pub mod watch;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use crate::problem::{describe_io_error, Problem};
pub use file::{FileSource, MemSource};
pub use open::{files_in, open_all, open_file, spooled, Opener};
pub use tags::short_tags;

/// Random-access bytes. Implementations must be cheap to call with small
/// buffers (a reader asks for one block at a time) and safe to share between
/// threads, since a merge and a planner may read the same source at once.
pub trait Source: Send + Sync {
    /// Number of bytes currently readable.
    fn len(&self) -> u64;

    /// `true` when the source holds no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads up to `buf.len()` bytes at `offset`; returns how many were read.
    /// Fewer bytes than asked for means end of source (or a short read, which
    /// callers retry by calling again).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;

    /// Reads exactly `buf.len()` bytes at `offset` unless the source ends first;
    /// returns how many bytes were read.
    fn read_full_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.read_at(offset + filled as u64, &mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(filled)
    }

    /// `true` when reads go over the network: work that would read the
    /// whole source in the background (line numbers, the timeline) is then
    /// left out for big sources.
    fn is_remote(&self) -> bool {
        false
    }

    /// After a read error: why this source cannot be read (a server that
    /// stopped answering), or `None` if the error was not its own.
    fn failure(&self) -> Option<Problem> {
        None
    }
}

/// What a source's background work (a download, decompression, retries)
/// has to say: the latest problem, cleared when things work again. The
/// viewer shows it beside the source; print mode writes it to stderr.
#[derive(Debug, Default)]
pub struct Health {
    problem: Mutex<Option<Problem>>,
    /// News that is no problem (a followed task ended), said once.
    note: Mutex<Option<String>>,
    /// What the work is doing now that takes a while (waiting for a server
    /// to answer, for a task's next try), and since when: shown while it
    /// lasts, so that a screen is never left without a word.
    status: Mutex<Option<(String, Instant)>>,
}

impl Health {
    /// Reports the latest problem; trouble that goes on (one retry after
    /// another) keeps the time it began.
    pub fn report(&self, problem: Problem) {
        let mut current = self.lock();
        let began = current
            .as_ref()
            .and_then(Problem::started)
            .unwrap_or_else(std::time::SystemTime::now);
        *current = Some(problem.since(began));
    }

    pub fn clear(&self) {
        let mut problem = self.lock();
        if problem.is_some() {
            *problem = None;
        }
    }

    pub fn problem(&self) -> Option<Problem> {
        self.lock().clone()
    }

    /// Leaves news that is no problem, for the status bar or stderr.
    pub fn note(&self, note: String) {
        *self.note.lock().unwrap_or_else(|e| e.into_inner()) = Some(note);
    }

    /// The news left since the last call.
    pub fn take_note(&self) -> Option<String> {
        self.note.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Says what the work is doing now (the time it began is kept while the
    /// text stays the same).
    pub fn set_status(&self, text: impl Into<String>) {
        let text = text.into();
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        if status.as_ref().is_none_or(|(now, _)| *now != text) {
            *status = Some((text, Instant::now()));
        }
    }

    /// The work is no longer waiting for anything.
    pub fn clear_status(&self) {
        *self.status.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// What the work is doing now, and for how long it has been.
    pub fn status(&self) -> Option<(String, Duration)> {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|(text, since)| (text.clone(), since.elapsed()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Problem>> {
        self.problem.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A source as the rest of the program knows it: the bytes plus how to name it.
pub struct SourceEntry {
    /// Where it came from, as the user wrote it (or as discovery found it).
    pub path: PathBuf,
    /// Human label used by `--tag` and on screen (e.g. `attempt=1.log`).
    pub label: String,
    /// The short tag before each line on screen, when the opener knows a
    /// better one than [`short_tags`] would guess (Airflow discovery's
    /// `local`, `trigger.42`, `s3`, `served`).
    pub tag: Option<String>,
    /// The bytes.
    pub source: Arc<dyn Source>,
    /// What follow mode watches: the open file, and the path to check for
    /// truncation and rotation (`None` for stdin, which has no path).
    pub follow: Option<FollowTarget>,
    /// Problems of background work behind the source (download, retries,
    /// decompression), for the status bar and stderr.
    pub health: Option<Arc<Health>>,
    /// The stream still being spooled into this source (stdin, a
    /// compressed file, a download): print mode waits for it to end.
    pub filling: Option<spool::Spool>,
    /// The log this source is known to be a copy of, when its opener knows
    /// (`logweave airflow`: the attempt): sources with the same name are
    /// copies of one log, which dedup joins.
    pub copy_of: Option<String>,
    /// Why it cannot be followed although it may grow (a server that
    /// sends whole files only): said when following.
    pub read_once: Option<&'static str>,
}

impl SourceEntry {
    /// Waits for a spooling source to end and takes all of it. The error, if
    /// the stream broke, is also in `health`; what arrived stays readable.
    pub fn finish_filling(&mut self) -> io::Result<()> {
        let Some(mut spool) = self.filling.take() else {
            return Ok(());
        };
        let result = spool.wait();
        let done = spool.entry()?;
        self.source = done.source;
        self.follow = done.follow;
        result
    }

    /// Takes what a spooling source holds now (at least `bytes`, or all of
    /// it if it ends sooner, or whatever came within a second) and lets the
    /// spool go on in the background; follow mode picks up the rest.
    pub fn settle_filling(&mut self, bytes: u64) -> io::Result<()> {
        let Some(spool) = self.filling.take() else {
            return Ok(());
        };
        spool.wait_for(bytes, std::time::Duration::from_secs(1));
        let now = spool.entry()?;
        self.source = now.source;
        self.follow = now.follow;
        Ok(())
    }
}

/// A file (or remote object) that follow mode can watch for growth.
#[derive(Clone)]
pub struct FollowTarget {
    /// The local path to check for truncation and rotation (`None` for
    /// stdin, spools and remote objects).
    pub path: Option<PathBuf>,
    pub file: Growable,
}

impl FollowTarget {
    /// The local file an editor can open: a file read in place, not a
    /// spool or a remote object.
    pub fn local_file(&self) -> Option<PathBuf> {
        match self.file {
            Growable::File(_) => self.path.clone(),
            Growable::Stream(..) | Growable::Remote(_) => None,
        }
    }
}

/// Bytes that may grow: an open local file, a stream being spooled (which
/// says when it has ended and wakes its followers), or a remote object
/// whose server is asked for its length (ETag/Last-Modified tell a
/// replaced object from a grown one).
#[derive(Clone)]
pub enum Growable {
    File(FileSource),
    Stream(FileSource, Arc<spool::Feed>),
    Remote(remote::RemoteSource),
}

impl Growable {
    /// The length now (for a remote object: at most a second old).
    pub fn current_len(&self) -> io::Result<u64> {
        match self {
            Growable::File(file) => file.current_len(),
            Growable::Stream(_, feed) => Ok(feed.written()),
            Growable::Remote(object) => Ok(object.current_stat().len),
        }
    }

    /// The same bytes with another length snapshot.
    pub fn with_len(&self, len: u64) -> Growable {
        match self {
            Growable::File(file) => Growable::File(file.with_len(len)),
            Growable::Stream(file, feed) => Growable::Stream(file.with_len(len), feed.clone()),
            Growable::Remote(object) => Growable::Remote(object.with_len(len)),
        }
    }

    /// Device and inode of a local file.
    pub fn identity(&self) -> Option<(u64, u64)> {
        match self {
            Growable::File(file) => Some(file.identity()),
            Growable::Stream(..) | Growable::Remote(_) => None,
        }
    }

    /// The stream behind a spool, which knows its end.
    pub fn feed(&self) -> Option<&Arc<spool::Feed>> {
        match self {
            Growable::Stream(_, feed) => Some(feed),
            Growable::File(_) | Growable::Remote(_) => None,
        }
    }

    /// `true` when a remote object's version changed since this snapshot.
    pub fn replaced(&self) -> bool {
        match self {
            Growable::File(_) | Growable::Stream(..) => false,
            Growable::Remote(object) => {
                let now = object.current_stat();
                now.version.is_some() && now.version != object.stat().version
            }
        }
    }

    /// Drops a remote object's cached blocks.
    pub fn forget(&self) {
        if let Growable::Remote(object) = self {
            object.forget();
        }
    }

    /// A remote object read afresh from its start (nothing cached).
    pub fn restarted(&self) -> Option<Growable> {
        match self {
            Growable::File(_) | Growable::Stream(..) => None,
            Growable::Remote(object) => {
                object.forget();
                let len = object.current_stat().len;
                Some(Growable::Remote(object.with_len(len)))
            }
        }
    }

    /// How to name it in messages.
    pub fn describe(&self) -> Option<&str> {
        match self {
            Growable::File(_) | Growable::Stream(..) => None,
            Growable::Remote(object) => Some(object.location()),
        }
    }
}

impl Source for Growable {
    fn len(&self) -> u64 {
        match self {
            Growable::File(file) | Growable::Stream(file, _) => file.len(),
            Growable::Remote(object) => object.len(),
        }
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Growable::File(file) | Growable::Stream(file, _) => file.read_at(offset, buf),
            Growable::Remote(object) => object.read_at(offset, buf),
        }
    }

    fn is_remote(&self) -> bool {
        matches!(self, Growable::Remote(_))
    }

    fn failure(&self) -> Option<Problem> {
        match self {
            Growable::File(_) | Growable::Stream(..) => None,
            Growable::Remote(object) => object.failure(),
        }
    }
}

/// Why a user-given source could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The OS refused (missing file, permissions, …).
    #[error("cannot open '{path}': {problem}")]
    Io { path: String, problem: Problem },
    /// Something that is neither a file, a folder, a pipe nor a character
    /// device (a socket, a block device): `kind` says which.
    #[error("cannot open '{path}': {kind}, not a file, folder, pipe or device")]
    Special { path: String, kind: &'static str },
    /// A directory without any regular file inside.
    #[error("cannot open '{path}': directory holds no files")]
    EmptyDir { path: String },
    /// A server or object store refused or could not be reached. `path` is
    /// the redacted URL.
    #[error("cannot open '{path}': {problem}")]
    Remote { path: String, problem: Problem },
    /// A directory symlink that leads back to a folder above it: skipped,
    /// which loses nothing (a notice, not a failure).
    #[error("file system loop: {path} → {target} (skipped)")]
    Loop { path: String, target: String },
    /// The same failure for many files, said once (see [`summarize`]).
    #[error("cannot open '{first}' and {}: {problem}", more_files(*more))]
    Many {
        first: String,
        more: usize,
        problem: Problem,
    },
}

impl OpenError {
    /// The path as the user gave it.
    pub fn path(&self) -> &str {
        match self {
            OpenError::Io { path, .. }
            | OpenError::Special { path, .. }
            | OpenError::EmptyDir { path }
            | OpenError::Remote { path, .. }
            | OpenError::Loop { path, .. }
            | OpenError::Many { first: path, .. } => path,
        }
    }

    /// Why it failed, without the path.
    pub fn problem(&self) -> Problem {
        match self {
            OpenError::Io { problem, .. } | OpenError::Remote { problem, .. } => problem.clone(),
            OpenError::Special { kind, .. } => {
                Problem::new(format!("{kind}, not a file, folder, pipe or device"))
            }
            OpenError::EmptyDir { .. } => Problem::new("directory holds no files"),
            OpenError::Loop { target, .. } => {
                Problem::new(format!("file system loop back to {target}"))
            }
            OpenError::Many { more, problem, .. } => problem
                .clone()
                .map_what(|what| format!("{what} (and {})", more_files(*more))),
        }
    }

    /// For stderr: the message, and the tip on a line of its own.
    pub fn for_stderr(&self) -> String {
        let tip = match self {
            OpenError::Io { problem, .. }
            | OpenError::Remote { problem, .. }
            | OpenError::Many { problem, .. } => problem.tip(),
            _ => None,
        };
        let what = self.to_string();
        let what = crate::escape::printable(&what);
        match tip {
            Some(tip) => format!("logweave: {what}\n  tip: {}", crate::escape::printable(tip)),
            None => format!("logweave: {what}"),
        }
    }

    /// `false` for a notice that loses nothing (a skipped loop): it is said,
    /// but the sources are all there and the exit status stays 0.
    pub fn is_failure(&self) -> bool {
        !matches!(self, OpenError::Loop { .. })
    }
}

/// `1,234 more files` for messages.
fn more_files(n: usize) -> String {
    let count = group(n as u64);
    format!("{count} more {}", if n == 1 { "file" } else { "files" })
}

/// 1234567 → "1,234,567", for counts in messages.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Newlines in `source` between `from` and `to`: how many lines a stretch
/// holds, or (from 0) the line number of the line at `to`, less one. Reads
/// 64 KiB at a time.
pub fn count_newlines(source: &dyn Source, from: u64, to: u64) -> io::Result<u64> {
    let mut buf = vec![0u8; 64 * 1024];
    let (mut at, mut lines) = (from, 0u64);
    while at < to {
        let want = ((to - at) as usize).min(buf.len());
        let n = source.read_at(at, &mut buf[..want])?;
        if n == 0 {
            break;
        }
        lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        at += n as u64;
    }
    Ok(lines)
}

/// `n` things: `1 line`, `1,234 lines` (`noun` takes an `s`).
pub fn count(n: u64, noun: &str) -> String {
    format!("{} {noun}{}", group(n), if n == 1 { "" } else { "s" })
}

/// Says each kind of failure once: failures that share a reason beyond the
/// first become one [`OpenError::Many`] naming the first file and a count,
/// in the place of the first. A folder of 5,000 unreadable files is one
/// line, not 5,000.
pub fn summarize(errors: Vec<OpenError>) -> Vec<OpenError> {
    use std::collections::HashMap;
    let mut counts: HashMap<Problem, usize> = HashMap::new();
    for e in errors.iter().filter(|e| e.is_failure()) {
        *counts.entry(e.problem()).or_default() += 1;
    }
    let mut said = std::collections::HashSet::new();
    let mut out = Vec::new();
    for e in errors {
        let problem = e.problem();
        let count = if e.is_failure() { counts[&problem] } else { 1 };
        if count <= 1 {
            out.push(e);
        } else if said.insert(problem.clone()) {
            out.push(OpenError::Many {
                first: e.path().to_string(),
                more: count - 1,
                problem,
            });
        }
    }
    out
}

pub(crate) fn io_error(path: &Path, e: &io::Error) -> OpenError {
    OpenError::Io {
        path: path.display().to_string(),
        problem: Problem::io(e),
    }
}
