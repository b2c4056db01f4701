//! Follow mode in the viewer (`F`, `-f`): the engine polls the files behind
//! its sources, swaps in longer snapshots as they grow, and keeps the last
//! screen in view while following. Scrolling up pauses; `F` or `G` resumes.
//! A truncated file is read again from its start, a rotated one is followed
//! to its new file; both are announced in the status bar.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::sync::mpsc::Sender;

use super::{Command, Engine};
use crate::record::{RecordLayout, TimeOptions};
use crate::source::{FileSource, FollowTarget, Source};

/// How often followed files are looked at when no watcher reports changes
/// (a filesystem without inotify events, or the watcher failed to start).
pub const POLL: Duration = Duration::from_millis(50);

/// How often they are looked at anyway while a watcher reports changes.
pub const WATCHED_POLL: Duration = Duration::from_millis(500);

/// New lines taken into the window one by one per look; beyond that (a big
/// burst) the window is read afresh at the end.
const PULL_MAX_LINES: usize = 5_000;

/// How long a last line without newline waits before it is shown anyway.
pub const GRACE: Duration = Duration::from_millis(500);

struct Watched {
    /// `None` for stdin: no path to check for truncation or rotation.
    path: Option<PathBuf>,
    file: FileSource,
    /// Length the merge has, and the length at the last look.
    merged: u64,
    seen: u64,
    changed: Instant,
    /// The file's first bytes: if they change, the file was rewritten.
    head: Vec<u8>,
}

/// Bytes of a file's start compared on each look.
const HEAD_BYTES: usize = 64;

fn head_of(file: &FileSource, len: u64) -> Vec<u8> {
    let mut head = vec![0u8; (len as usize).min(HEAD_BYTES)];
    let got = file.with_len(len).read_full_at(0, &mut head).unwrap_or(0);
    head.truncate(got);
    head
}

/// What follow mode knows.
pub struct Follow {
    files: Vec<Option<Watched>>,
    time: TimeOptions,
    want_levels: bool,
    /// The screen stays at the end as sources grow.
    pub following: bool,
    /// Follow mode was turned on at some point (`-f` or `F`): only then does
    /// the status bar speak of it.
    pub engaged: bool,
    /// inotify (through `notify`) on the folders of the followed files; kept
    /// alive here. `None` means polling only.
    watcher: Option<notify::RecommendedWatcher>,
    /// Folders given on the command line: a file that appears in one joins.
    folders: Vec<PathBuf>,
    /// Files whose path is gone (deleted), already announced.
    gone: Vec<PathBuf>,
    /// Rotation backups that were there before following began.
    ignored: Vec<PathBuf>,
}

impl Follow {
    /// Wakes the engine with `SourcesChanged` whenever something happens in
    /// a followed file's folder. Without a watcher, polling covers it.
    pub fn watch(&mut self, wake: Sender<Command>) {
        use notify::Watcher;
        let handler = move |event: notify::Result<notify::Event>| {
            if event.is_ok() {
                let _ = wake.send(Command::SourcesChanged);
            }
        };
        let Ok(mut watcher) = notify::recommended_watcher(handler) else {
            return;
        };
        let mut folders: Vec<PathBuf> = self
            .files
            .iter()
            .flatten()
            .filter_map(|w| w.path.as_ref()?.parent().map(|p| p.to_path_buf()))
            .map(|p| {
                if p.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    p
                }
            })
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

    /// Folders whose new files join the merge (recursively, like at start).
    /// Rotation backups that appear beside a followed file (`x.log.1`)
    /// join too, so what rotation moves away stays in the history; those
    /// already there at start are left out, as the user did not ask for them.
    pub fn join_new_files_in(&mut self, folders: Vec<PathBuf>) {
        self.folders = folders;
        self.ignored = self.siblings();
    }

    /// Files beside followed files whose names extend theirs (`x.log.1`).
    fn siblings(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for path in self.files.iter().flatten().filter_map(|w| w.path.as_ref()) {
            let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
                continue;
            };
            let dir = if dir.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                dir
            };
            let prefix = format!("{}.", name.to_string_lossy());
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(&prefix) {
                    out.push(if path.parent().is_some_and(|p| p.as_os_str().is_empty()) {
                        PathBuf::from(entry.file_name())
                    } else {
                        entry.path()
                    });
                }
            }
        }
        out
    }

    /// How long the engine may wait for a command before looking again.
    pub fn poll_interval(&self) -> Duration {
        if self.watcher.is_some() {
            WATCHED_POLL
        } else {
            POLL
        }
    }
}

impl Follow {
    /// Follows `targets` (one per source, in merge order; `None` for a
    /// source that cannot grow).
    pub fn new(targets: Vec<Option<FollowTarget>>, time: TimeOptions, want_levels: bool) -> Self {
        let files = targets
            .into_iter()
            .map(|target| {
                let target = target?;
                let file = target.file;
                let len = file.len();
                Some(Watched {
                    head: head_of(&file, len),
                    path: target.path,
                    file,
                    merged: len,
                    seen: len,
                    changed: Instant::now() - GRACE,
                })
            })
            .collect();
        Self {
            files,
            time,
            want_levels,
            following: true,
            engaged: true,
            watcher: None,
            folders: Vec::new(),
            gone: Vec::new(),
            ignored: Vec::new(),
        }
    }
}

impl Engine {
    /// Adds a source that appeared in a followed folder to the merge, the
    /// window and the status bar.
    fn add_followed_source(
        &mut self,
        entry: crate::source::SourceEntry,
        layout: RecordLayout,
    ) -> io::Result<()> {
        let json = super::is_json(layout.format());
        let index = self.window.merge_mut().add_source(layout);
        self.window.source_added();
        let mut tag = crate::source::short_tags(std::slice::from_ref(&entry.label)).remove(0);
        if self.sources.iter().any(|s| s.tag == tag) {
            tag = format!("{tag}~{}", index + 1);
        }
        let info = super::SourceInfo {
            label: entry.label,
            tag,
            json,
            enabled: true,
            error: None,
        };
        // Sources that failed to open sit after the merged ones.
        self.sources.insert(index.min(self.sources.len()), info);
        Ok(())
    }

    /// Turns follow mode on (or back on) and shows the end.
    pub(super) fn start_following(&mut self) -> io::Result<()> {
        match &mut self.follow {
            Some(follow) => {
                follow.following = true;
                follow.engaged = true;
            }
            None => {
                self.message = Some("follow mode needs files to follow".into());
                return Ok(());
            }
        }
        self.window.jump_end()
    }

    /// Pauses following when the user moves away from the end.
    pub(super) fn pause_following(&mut self) {
        if let Some(follow) = &mut self.follow {
            if follow.following {
                follow.following = false;
                self.message = Some("stopped following (F or G resumes)".into());
            }
        }
    }

    /// Looks at the followed files; returns whether the screen may have changed.
    pub(super) fn follow_tick(&mut self) -> io::Result<bool> {
        let Some(follow) = &mut self.follow else {
            return Ok(false);
        };
        let mut grown = false;
        let mut reset = false;
        let mut notes = Vec::new();
        let mut swaps: Vec<(usize, RecordLayout)> = Vec::new();
        let mut gone: Vec<usize> = Vec::new();
        let mut back: Vec<usize> = Vec::new();
        let joined = new_files(follow)?;
        for (i, slot) in follow.files.iter_mut().enumerate() {
            let Some(w) = slot else { continue };
            let len = w.file.current_len()?;
            // stdin has no path: it only grows.
            if let Some(path) = w.path.clone() {
                if !path.exists() {
                    if !follow.gone.contains(&path) {
                        notes.push(format!(
                            "{} disappeared; showing what was read",
                            path.display()
                        ));
                        follow.gone.push(path);
                        gone.push(i);
                    }
                    continue;
                }
                if let Some(k) = follow.gone.iter().position(|g| *g == path) {
                    // Back again (a rotation caught mid-way): rotation handling follows.
                    follow.gone.remove(k);
                    back.push(i);
                }
                if len < w.merged {
                    notes.push(format!(
                        "{} was truncated; reading it again",
                        path.display()
                    ));
                    w.file =
                        FileSource::open(&path).map_err(|e| io::Error::other(e.to_string()))?;
                    w.merged = 0;
                    w.head.clear();
                    w.seen = 0;
                    reset = true;
                } else if len == w.merged {
                    if let Ok(fresh) = FileSource::open(&path) {
                        if fresh.identity() != w.file.identity() {
                            notes.push(format!(
                                "{} was rotated; following the new file",
                                path.display()
                            ));
                            w.file = fresh;
                            w.merged = 0;
                            w.head.clear();
                            w.seen = 0;
                            reset = true;
                        }
                    }
                }
            }
            let len = w.file.current_len()?;
            if w.head.len() < HEAD_BYTES && len as usize > w.head.len() {
                w.head = head_of(&w.file, len);
            }
            grown |= follow_growth(
                w,
                len,
                &follow.time,
                follow.want_levels,
                i,
                &mut swaps,
                reset,
            )?;
        }
        for i in &gone {
            if let Some(info) = self.sources.get_mut(*i) {
                info.error = Some("deleted; showing what was read".into());
            }
        }
        for i in &back {
            if let Some(info) = self.sources.get_mut(*i) {
                info.error = None;
            }
        }
        let added = !joined.is_empty();
        for (entry, layout) in joined {
            self.add_followed_source(entry, layout)?;
            notes.push("a new file joined the merge".into());
        }
        if !grown && !reset && !added && gone.is_empty() && back.is_empty() {
            if let Some(note) = notes.pop() {
                self.message = Some(note);
            }
            return Ok(false);
        }
        let Some(follow) = &mut self.follow else {
            return Ok(false);
        };
        let following = follow.following;
        let _ = &follow;
        for (i, layout) in swaps {
            self.window.merge_mut().replace_layout(i, layout);
        }
        // Line counts of the overview no longer hold.
        self.overview = None;
        if let Some(note) = notes.pop() {
            self.message = Some(note);
        }
        if reset {
            self.window.jump_end()?;
        } else if following {
            self.window.pull_to_end(PULL_MAX_LINES)?;
        } else {
            self.window.sources_changed();
        }
        Ok(true)
    }
}

/// Files that appeared in the followed folders since the last look, opened.
fn new_files(follow: &mut Follow) -> io::Result<Vec<(crate::source::SourceEntry, RecordLayout)>> {
    let mut joined = Vec::new();
    let mut candidates: Vec<PathBuf> = follow.folders.clone();
    candidates.extend(
        follow
            .siblings()
            .into_iter()
            .filter(|p| !follow.ignored.contains(p)),
    );
    if candidates.is_empty() {
        return Ok(joined);
    }
    let (entries, _) = crate::source::open_all(&candidates);
    for entry in entries {
        let known = follow
            .files
            .iter()
            .flatten()
            .any(|w| w.path.as_deref() == Some(entry.path.as_path()))
            || follow.gone.contains(&entry.path);
        if known {
            continue;
        }
        let layout = RecordLayout::open(entry.source.clone(), &follow.time, follow.want_levels)?;
        if let Some(target) = &entry.follow {
            let len = layout.len();
            follow.files.push(Some(Watched {
                head: head_of(&target.file, len),
                path: target.path.clone(),
                file: target.file.clone(),
                merged: len,
                seen: len,
                changed: Instant::now(),
            }));
        } else {
            follow.files.push(None);
        }
        joined.push((entry, layout));
    }
    Ok(joined)
}

/// Notes growth of one watched file; queues a longer snapshot of it when
/// complete lines (or, after a quiet spell, everything) arrived.
fn follow_growth(
    w: &mut Watched,
    len: u64,
    time: &TimeOptions,
    want_levels: bool,
    index: usize,
    swaps: &mut Vec<(usize, RecordLayout)>,
    reset: bool,
) -> io::Result<bool> {
    if len != w.seen {
        w.seen = len;
        w.changed = Instant::now();
    }
    let upto = if w.changed.elapsed() >= GRACE {
        len
    } else {
        complete_lines(&w.file, w.merged, len)?
    };
    if upto > w.merged || (reset && upto == 0) {
        w.merged = upto;
        let source: Arc<dyn Source> = Arc::new(w.file.with_len(upto));
        swaps.push((index, RecordLayout::open(source, time, want_levels)?));
        return Ok(true);
    }
    Ok(false)
}

/// The length up to the last newline in `[from, len)` (or `from` if none).
fn complete_lines(file: &FileSource, from: u64, len: u64) -> io::Result<u64> {
    let start = len.saturating_sub(64 * 1024).max(from);
    let mut tail = vec![0u8; (len - start) as usize];
    let got = file.with_len(len).read_full_at(start, &mut tail)?;
    Ok(match memchr::memrchr(b'\n', &tail[..got]) {
        Some(i) => start + i as u64 + 1,
        None => from,
    })
}
