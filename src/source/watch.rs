//! Watching a file that grows (both follow modes): new bytes are
//! handed on up to the last complete line — or all of them once the writer
//! has been quiet for [`GRACE`] — and a file that was truncated, rewritten
//! (its first bytes changed) or rotated (its path now names another file,
//! once the old one is drained) starts again from its beginning.

use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{FileSource, FollowTarget, Growable, Source};

/// How long a last line without newline waits for the rest of it.
pub const GRACE: Duration = Duration::from_millis(500);

/// How long a path may be missing before it is reported gone.
const VANISH_GRACE: Duration = Duration::from_millis(300);

/// Bytes of a file's start compared on each look.
const HEAD_BYTES: usize = 64;

/// What a look at a watched file found, beyond growth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Nothing,
    /// The file starts again from its beginning; the text says why.
    Restarted(String),
    /// The path is gone (deleted); what was read stays readable.
    Gone(String),
    /// The path is back after being gone.
    Back,
}

/// One watched file.
pub struct WatchedFile {
    /// `None` for stdin, spools and remote objects: no path to check for
    /// deletion or rotation.
    pub path: Option<PathBuf>,
    pub file: Growable,
    /// Bytes already handed on (merged or printed).
    pub taken: u64,
    seen: u64,
    changed: Instant,
    head: Vec<u8>,
    gone: bool,
    /// When its path was first seen missing (it may come back at once).
    missing_since: Option<Instant>,
    /// What the file was when it last restarted: its first bytes, and how
    /// many bytes of it had been handed on (see [`WatchedFile::take_retired`]).
    retired: Option<Retired>,
}

/// A file as it was before it restarted: rotation renames it away or copies
/// it (copytruncate), and a backup that joins later is recognised by its
/// device and inode or by its first bytes.
#[derive(Clone, Debug)]
pub struct Retired {
    pub identity: Option<(u64, u64)>,
    pub head: Vec<u8>,
    pub taken: u64,
}

impl WatchedFile {
    /// Watches `target`, of which `taken` bytes are already handed on.
    pub fn new(target: FollowTarget, taken: u64) -> Self {
        let len = target.file.len();
        Self {
            head: head_of(&target.file, len),
            path: target.path,
            file: target.file,
            taken,
            seen: len,
            changed: Instant::now() - GRACE,
            gone: false,
            missing_since: None,
            retired: None,
        }
    }

    /// Checks for truncation, rewriting, rotation and deletion (a local
    /// path), or replacement (a remote object).
    pub fn look(&mut self) -> io::Result<Event> {
        let back = match self.path.clone() {
            Some(path) if !path.exists() => {
                // Rotation renames a log and creates it again: a path missing
                // for a moment is not gone (and not worth a message).
                let since = *self.missing_since.get_or_insert_with(Instant::now);
                if self.gone || since.elapsed() < VANISH_GRACE {
                    return Ok(Event::Nothing);
                }
                self.gone = true;
                return Ok(Event::Gone(format!(
                    "{} disappeared; showing what was read",
                    path.display()
                )));
            }
            Some(_) => {
                self.missing_since = None;
                std::mem::replace(&mut self.gone, false)
            }
            // stdin and spools only grow
            None if !self.file.is_remote() => return Ok(Event::Nothing),
            None => false,
        };
        let len = self.file.current_len()?;
        // Compare as many bytes as were known: a short file that grew keeps its start.
        // A remote object is compared only when its version changed (then
        // its cached blocks are stale); the new version becomes the known one.
        let compare = match &self.file {
            Growable::File(_) | Growable::Stream(..) => true,
            remote => {
                let replaced = remote.replaced();
                if replaced {
                    remote.forget();
                }
                self.file = remote.with_len(remote.len());
                replaced
            }
        };
        let rewritten = compare
            && !self.head.is_empty()
            && len >= self.head.len() as u64
            && !head_of(&self.file, len).starts_with(&self.head);
        let before = self.file.identity();
        let why = if len < self.taken {
            Some("was truncated")
        } else if rewritten {
            Some("was rewritten")
        } else if len == self.taken {
            // A stat, not an open: this runs on every look, for every file.
            let now_names = self
                .path
                .as_deref()
                .and_then(|path| std::fs::metadata(path).ok())
                .map(|meta| (meta.dev(), meta.ino()));
            match (&self.path, now_names) {
                (Some(path), Some(other)) if Some(other) != self.file.identity() => {
                    match FileSource::open(path) {
                        Ok(fresh) => {
                            self.file = Growable::File(fresh);
                            Some("was rotated; following the new file")
                        }
                        Err(_) => None,
                    }
                }
                _ => None,
            }
        } else {
            None
        };
        let Some(why) = why else {
            return Ok(if back { Event::Back } else { Event::Nothing });
        };
        self.retired = Some(Retired {
            identity: before,
            head: std::mem::take(&mut self.head),
            taken: self.taken,
        });
        if why != "was rotated; following the new file" {
            self.file = match (&self.path, self.file.restarted()) {
                (Some(path), _) => Growable::File(
                    FileSource::open(path).map_err(|e| io::Error::other(e.to_string()))?,
                ),
                (None, Some(fresh)) => fresh,
                (None, None) => return Ok(Event::Nothing),
            };
        }
        self.taken = 0;
        self.seen = 0;
        self.head.clear();
        self.changed = Instant::now();
        let name = match (&self.path, self.file.describe()) {
            (Some(path), _) => path.display().to_string(),
            (None, Some(location)) => location.to_string(),
            (None, None) => "the source".to_string(),
        };
        Ok(Event::Restarted(format!("{name} {why}")))
    }

    /// Nothing more will come and everything was handed on: a stream (a
    /// pipe, a download, a followed API log) that ended. Files never end.
    pub fn ended(&self) -> bool {
        self.file
            .feed()
            .is_some_and(|feed| feed.ended() && self.taken >= feed.written())
    }

    /// The first bytes of the file as known (up to 64).
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// What the file was before its latest restart, once.
    pub fn take_retired(&mut self) -> Option<Retired> {
        self.retired.take()
    }

    /// How far bytes may be handed on now (≥ `taken`): to the last newline,
    /// or everything once the writer has been quiet for [`GRACE`].
    pub fn ready(&mut self) -> io::Result<u64> {
        let len = self.file.current_len()?;
        if len != self.seen {
            self.seen = len;
            self.changed = Instant::now();
        }
        if self.head.len() < HEAD_BYTES && len as usize > self.head.len() {
            self.head = head_of(&self.file, len);
        }
        let upto = if self.changed.elapsed() >= GRACE {
            len
        } else {
            complete_lines(&self.file, self.taken, len)?
        };
        Ok(upto.max(self.taken))
    }

    /// The file as a source of `len` bytes.
    pub fn snapshot(&self, len: u64) -> Arc<dyn Source> {
        Arc::new(self.file.with_len(len))
    }
}

fn head_of(file: &Growable, len: u64) -> Vec<u8> {
    let mut head = vec![0u8; (len as usize).min(HEAD_BYTES)];
    let got = file.with_len(len).read_full_at(0, &mut head).unwrap_or(0);
    head.truncate(got);
    head
}

/// The length up to the last newline in `[from, len)` (or `from` if none).
fn complete_lines(file: &Growable, from: u64, len: u64) -> io::Result<u64> {
    let start = len.saturating_sub(64 * 1024).max(from);
    let mut tail = vec![0u8; (len - start) as usize];
    let got = file.with_len(len).read_full_at(start, &mut tail)?;
    Ok(match memchr::memrchr(b'\n', &tail[..got]) {
        Some(i) => start + i as u64 + 1,
        None => from,
    })
}
