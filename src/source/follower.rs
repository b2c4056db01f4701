//! The follower both follow modes share (`--print -f` and the viewer's `F`):
//! the watched files behind the sources, files that appear in followed
//! folders and rotation backups that appear beside followed files, and
//! inotify wake-ups (through `notify`) with polling as the fallback.
//!
//! It knows bytes, not records: a mode asks it to [`look`](Follower::look)
//! and gets what changed (a file restarted, vanished, came back) and the
//! files that joined, and reads each [`WatchedFile`] up to what is
//! [`ready`](WatchedFile::ready).
//!
//! Waiting costs nothing: inotify wakes the mode for files, a spooled
//! stream (a pipe, a download, an API log) wakes it as bytes arrive, and
//! sources that arrive later (an Airflow task's next try) come through a
//! channel. Polling stays as the fallback, fast only for files no watcher
//! covers. A follower whose sources have all ended for good — streams that
//! ended, no folder or channel that could bring more — is
//! [`finished`](Follower::finished).

use std::collections::{HashMap, HashSet};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use super::spool::Waker;
use super::watch::{Event, Retired, WatchedFile};
use super::{FollowTarget, SourceEntry};

/// How often followed files are looked at when no watcher reports changes
/// (a filesystem without inotify events, or the watcher failed to start).
pub const POLL: Duration = Duration::from_millis(50);

/// How often they are looked at anyway while watchers report changes (and
/// streams and remote objects, which wake the follower or are asked at
/// most once a second, are all there is).
pub const WATCHED_POLL: Duration = Duration::from_millis(500);

/// How often followed folders are listed for new files: listing a folder
/// of thousands of logs on every look would cost more than the look.
const LIST_EVERY: Duration = Duration::from_millis(500);

/// Restarted files remembered in case a backup of them joins.
const RETIRED_KEPT: usize = 64;

/// What a look found for one source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// It starts again from its beginning (truncated, rewritten, rotated);
    /// the text says why.
    Restarted(usize, String),
    /// Its path is gone; what was read stays readable.
    Gone(usize, String),
    /// Its path is back.
    Back(usize),
}

/// A file that joined: the source to add after the others, and how many of
/// its bytes were already handed on under another name (a rotation backup
/// of a file followed before: its old self), which print mode skips.
pub struct Joined {
    /// Its index among the sources (after all that were there before).
    pub index: usize,
    pub entry: SourceEntry,
    pub already_taken: u64,
    /// It appeared in a folder (worth saying); a source that arrived
    /// through a channel says itself what it is.
    pub appeared: bool,
}

/// The followed files and what else may join them.
pub struct Follower {
    files: Vec<Option<WatchedFile>>,
    /// Folders given on the command line: a file that appears in one joins.
    folders: Vec<PathBuf>,
    /// Rotation backups that were there before following began.
    ignored: HashSet<PathBuf>,
    /// When folders were last listed for new files.
    listed: Option<Instant>,
    /// Followed files as they were before they restarted (rotated away,
    /// or truncated after a copy): a backup that joins and is one of them
    /// continues from what was handed on.
    retired: Vec<Retired>,
    /// inotify on the folders of the followed files; kept alive here.
    /// `None` means polling only.
    watcher: Option<notify::RecommendedWatcher>,
    /// What wakes the mode: given to streams as they join.
    wake: Option<Waker>,
    /// Sources that arrive later (an Airflow task's next try); `None` once
    /// their sender is gone.
    arrivals: Option<Receiver<SourceEntry>>,
}

impl Follower {
    /// Follows `targets` (one per source, in merge order; `None` for a
    /// source that cannot grow), each with the bytes already handed on.
    pub fn new(targets: Vec<(Option<FollowTarget>, u64)>) -> Self {
        Self {
            files: targets
                .into_iter()
                .map(|(target, taken)| Some(WatchedFile::new(target?, taken)))
                .collect(),
            folders: Vec::new(),
            ignored: HashSet::new(),
            listed: None,
            retired: Vec::new(),
            watcher: None,
            wake: None,
            arrivals: None,
        }
    }

    /// Sources sent on `arrivals` join as they come (after the others).
    pub fn join_from(&mut self, arrivals: Receiver<SourceEntry>) {
        self.arrivals = Some(arrivals);
    }

    /// Every source ended for good and nothing more can join: streams that
    /// ended and were read to their end, no followed folder, no channel
    /// that may still bring a source. Files never end.
    pub fn finished(&self) -> bool {
        self.folders.is_empty()
            && self.arrivals.is_none()
            && self.files.iter().flatten().all(WatchedFile::ended)
    }

    /// Files that appear in `folders` (recursively, like at start) join;
    /// so do rotation backups that appear beside a followed file
    /// (`x.log.1`), so what rotation moves away is not lost. Those there
    /// already are left out: the user did not ask for them.
    pub fn join_new_files_in(&mut self, folders: Vec<PathBuf>) {
        self.folders = folders;
        self.ignored = self.siblings().into_iter().collect();
    }

    /// Calls `wake` whenever something changes in a followed file's folder
    /// or a stream gains bytes or ends. Without a watcher (no inotify),
    /// polling covers the files.
    pub fn wake_on_changes(&mut self, wake: impl Fn() + Send + Sync + 'static) {
        use notify::Watcher;
        let wake: Waker = std::sync::Arc::new(wake);
        for feed in self.files.iter().flatten().filter_map(|w| w.file.feed()) {
            feed.wake_with(wake.clone());
        }
        self.wake = Some(wake.clone());
        let handler = move |event: notify::Result<notify::Event>| {
            // Opening and reading a file is no change, and logweave opens
            // and reads the files it watches: waking on that would loop.
            use notify::event::{AccessKind, AccessMode, EventKind};
            let change = event.is_ok_and(|e| match e.kind {
                EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
                EventKind::Access(_) => false,
                _ => true,
            });
            if change {
                wake();
            }
        };
        let Ok(mut watcher) = notify::recommended_watcher(handler) else {
            return;
        };
        let mut folders: Vec<PathBuf> = self
            .files
            .iter()
            .flatten()
            .filter_map(|w| w.path.as_deref()?.parent().map(folder_of))
            .collect();
        folders.extend(self.folders.iter().cloned());
        folders.sort();
        folders.dedup();
        let watching = folders
            .iter()
            .filter(|folder| {
                watcher
                    .watch(folder, notify::RecursiveMode::NonRecursive)
                    .is_ok()
            })
            .count();
        if watching > 0 {
            self.watcher = Some(watcher);
        }
    }

    /// How long to wait before looking again: quickly only when a local
    /// file has no watcher to say that it changed.
    pub fn poll_interval(&self) -> Duration {
        let unwatched = self.files.iter().flatten().any(|w| w.path.is_some());
        if self.watcher.is_none() && (unwatched || !self.folders.is_empty()) {
            POLL
        } else {
            WATCHED_POLL
        }
    }

    /// The watched file behind source `i` (`None`: it cannot grow).
    pub fn file_mut(&mut self, i: usize) -> Option<&mut WatchedFile> {
        self.files.get_mut(i)?.as_mut()
    }

    /// Every watched file, by source.
    pub fn files_mut(&mut self) -> impl Iterator<Item = (usize, &mut WatchedFile)> {
        self.files
            .iter_mut()
            .enumerate()
            .filter_map(|(i, w)| Some((i, w.as_mut()?)))
    }

    /// Looks at every followed file for truncation, rewriting, rotation and
    /// deletion, and for files that joined (appended as sources after the
    /// others, in the order returned).
    pub fn look(&mut self) -> io::Result<(Vec<Change>, Vec<Joined>)> {
        let mut changes = Vec::new();
        for (i, slot) in self.files.iter_mut().enumerate() {
            let Some(w) = slot else { continue };
            match w.look()? {
                Event::Nothing => {}
                Event::Restarted(why) => {
                    // The old file may turn up again as a backup (the
                    // newest few are remembered: most never do).
                    self.retired.extend(w.take_retired());
                    if self.retired.len() > RETIRED_KEPT {
                        self.retired.remove(0);
                    }
                    changes.push(Change::Restarted(i, why));
                }
                Event::Gone(why) => changes.push(Change::Gone(i, why)),
                Event::Back => changes.push(Change::Back(i)),
            }
        }
        let mut joined = self.new_files();
        joined.extend(self.arrived());
        Ok((changes, joined))
    }

    /// Sources that came through the channel since the last look.
    fn arrived(&mut self) -> Vec<Joined> {
        let mut joined = Vec::new();
        while let Some(arrivals) = &self.arrivals {
            match arrivals.try_recv() {
                Ok(entry) => joined.push(self.add(entry, 0, false)),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => self.arrivals = None,
            }
        }
        joined
    }

    /// Watches `entry` (woken by its stream, if it is one) as the next source.
    fn add(&mut self, entry: SourceEntry, already_taken: u64, appeared: bool) -> Joined {
        let watched = entry
            .follow
            .clone()
            .map(|target| WatchedFile::new(target, already_taken));
        if let (Some(feed), Some(wake)) = (
            watched.as_ref().and_then(|w| w.file.feed()),
            self.wake.as_ref(),
        ) {
            feed.wake_with(wake.clone());
        }
        self.files.push(watched);
        Joined {
            index: self.files.len() - 1,
            entry,
            already_taken,
            appeared,
        }
    }

    /// Files that appeared in the followed folders or beside followed files
    /// since the last listing, opened (only the new ones: the folders are
    /// listed, not opened, on each look).
    fn new_files(&mut self) -> Vec<Joined> {
        let mut joined = Vec::new();
        if self.listed.is_some_and(|at| at.elapsed() < LIST_EVERY) {
            return joined;
        }
        self.listed = Some(Instant::now());
        let mut candidates: Vec<PathBuf> = self
            .folders
            .iter()
            .flat_map(|d| super::files_in(d))
            .collect();
        let siblings: HashSet<PathBuf> = self
            .siblings()
            .into_iter()
            .filter(|p| !self.ignored.contains(p))
            .collect();
        candidates.extend(siblings.iter().cloned());
        // A file is known by its path, or by its device and inode when
        // another path leads to it (a `latest` symlink).
        let mut known_paths: HashSet<PathBuf> = HashSet::new();
        let mut known_files: HashSet<(u64, u64)> = HashSet::new();
        for w in self.files.iter().flatten() {
            known_paths.extend(w.path.clone());
            known_files.extend(w.file.identity());
        }
        for path in candidates {
            if known_paths.contains(&path) {
                continue;
            }
            let identity = std::fs::metadata(&path).map(|m| (m.dev(), m.ino())).ok();
            if identity.is_some_and(|id| known_files.contains(&id)) {
                continue;
            }
            if siblings.contains(&path) && self.copies_a_followed_file(&path) {
                // copytruncate has copied, and not yet truncated: the copy
                // joins once its original restarts, so nothing shows twice.
                continue;
            }
            let (entries, _) = super::open_all(std::slice::from_ref(&path));
            for mut entry in entries {
                // Inside a followed folder, name it as at start: relative to it.
                if let Some(rel) = self.folders.iter().find_map(|d| path.strip_prefix(d).ok()) {
                    entry.label = rel.display().to_string();
                }
                let opened = entry.follow.as_ref().and_then(|f| f.file.identity());
                let already_taken = self.take_retired(&entry);
                // The same file may be a candidate twice (in a followed
                // folder and beside a followed file).
                known_paths.insert(entry.path.clone());
                known_files.extend(opened);
                joined.push(self.add(entry, already_taken, true));
            }
        }
        joined
    }

    /// Whether the file at `path` starts as a followed file does (at
    /// least 16 bytes of it): a copy of it, being made or kept.
    fn copies_a_followed_file(&self, path: &Path) -> bool {
        use std::io::Read;
        let mut head = Vec::with_capacity(64);
        let read = std::fs::File::open(path).and_then(|f| f.take(64).read_to_end(&mut head));
        read.is_ok()
            && self
                .files
                .iter()
                .flatten()
                .any(|w| w.head().len() >= 16 && head.starts_with(w.head()))
    }

    /// Bytes of `entry` handed on already under another name: it is a
    /// followed file that rotation renamed away (same device and inode) or
    /// copied before truncating it (same first bytes).
    fn take_retired(&mut self, entry: &SourceEntry) -> u64 {
        let identity = entry.follow.as_ref().and_then(|f| f.file.identity());
        let mut head = vec![0u8; 64];
        let got = entry.source.read_full_at(0, &mut head).unwrap_or(0);
        head.truncate(got);
        let matches = |r: &Retired| {
            (identity.is_some() && r.identity == identity)
                || (!r.head.is_empty() && head.starts_with(&r.head))
        };
        match self.retired.iter().position(matches) {
            Some(i) => self.retired.swap_remove(i).taken.min(entry.source.len()),
            None => 0,
        }
    }

    /// Files beside followed files whose names extend theirs (`x.log.1`).
    /// Each folder is listed once, however many followed files it holds.
    fn siblings(&self) -> Vec<PathBuf> {
        let mut by_folder: HashMap<PathBuf, HashSet<String>> = HashMap::new();
        for path in self.files.iter().flatten().filter_map(|w| w.path.as_ref()) {
            let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
                continue;
            };
            by_folder
                .entry(dir.to_path_buf())
                .or_default()
                .insert(name.to_string_lossy().into_owned());
        }
        let mut out = Vec::new();
        for (dir, names) in by_folder {
            let Ok(entries) = std::fs::read_dir(folder_of(&dir)) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                // `x.log.1` extends `x.log` (and `x`) if that is followed.
                let extends = name
                    .match_indices('.')
                    .any(|(dot, _)| names.contains(&name[..dot]));
                if extends {
                    out.push(dir.join(entry.file_name()));
                }
            }
        }
        out
    }
}

/// A file's folder as a path to list: `.` for a bare file name.
fn folder_of(parent: &Path) -> PathBuf {
    if parent.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        parent.to_path_buf()
    }
}
