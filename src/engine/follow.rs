//! Follow mode in the viewer (`F`, `-f`): the engine polls the files behind
//! its sources, swaps in longer snapshots as they grow, and keeps the last
//! screen in view while following. Scrolling up pauses; `F` or `G` resumes.
//! A truncated file is read again from its start, a rotated one is followed
//! to its new file; both are announced in the status bar.

use std::collections::{HashMap, HashSet};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use super::{Command, Engine};
use crate::record::{RecordLayout, TimeOptions};
use crate::source::watch::{Event, WatchedFile};
use crate::source::{FollowTarget, Source};

/// How often followed files are looked at when no watcher reports changes
/// (a filesystem without inotify events, or the watcher failed to start).
pub const POLL: Duration = Duration::from_millis(50);

/// How often they are looked at anyway while a watcher reports changes.
pub const WATCHED_POLL: Duration = Duration::from_millis(500);

/// New lines taken into the window one by one per look; beyond that (a big
/// burst) the window is read afresh at the end.
const PULL_MAX_LINES: usize = 5_000;

/// What follow mode knows.
pub struct Follow {
    files: Vec<Option<WatchedFile>>,
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
    /// Rotation backups that were there before following began.
    ignored: HashSet<PathBuf>,
    /// When folders were last listed for new files.
    listed: Option<Instant>,
}

impl Follow {
    /// Wakes the engine with `SourcesChanged` whenever something happens in
    /// a followed file's folder. Without a watcher, polling covers it.
    pub fn watch(&mut self, wake: Sender<Command>) {
        use notify::Watcher;
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
        self.ignored = self.siblings().into_iter().collect();
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
            let listed = if dir.as_os_str().is_empty() {
                std::fs::read_dir(".")
            } else {
                std::fs::read_dir(&dir)
            };
            let Ok(entries) = listed else {
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
                let len = target.file.len();
                Some(WatchedFile::new(target, len))
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
            ignored: HashSet::new(),
            listed: None,
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
            warning: None,
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
        let mut changed = false;
        let mut reset = false;
        let mut notes = Vec::new();
        let mut swaps: Vec<(usize, RecordLayout)> = Vec::new();
        let mut states: Vec<(usize, Option<String>)> = Vec::new();
        let joined = new_files(follow)?;
        for (i, slot) in follow.files.iter_mut().enumerate() {
            let Some(w) = slot else { continue };
            let restarted = match w.look()? {
                Event::Nothing => false,
                Event::Restarted(why) => {
                    notes.push(why);
                    true
                }
                Event::Gone(why) => {
                    notes.push(why);
                    states.push((i, Some("deleted; showing what was read".into())));
                    continue;
                }
                Event::Back => {
                    states.push((i, None));
                    false
                }
            };
            reset |= restarted;
            let upto = w.ready()?;
            if upto > w.taken || restarted {
                w.taken = upto;
                swaps.push((
                    i,
                    RecordLayout::open(w.snapshot(upto), &follow.time, follow.want_levels)?,
                ));
            }
        }
        let following = follow.following;
        changed |= !swaps.is_empty() || !states.is_empty();
        for (i, state) in states {
            if let Some(info) = self.sources.get_mut(i) {
                info.error = state;
            }
        }
        for (entry, layout) in joined {
            self.add_followed_source(entry, layout)?;
            notes.push("a new file joined the merge".into());
            changed = true;
        }
        if let Some(note) = notes.pop() {
            self.message = Some(note);
        }
        if !changed {
            return Ok(false);
        }
        for (i, layout) in swaps {
            self.window.merge_mut().replace_layout(i, layout);
        }
        // Line counts of the overview no longer hold.
        self.overview = None;
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

/// How often followed folders are listed for new files: listing a folder
/// of thousands of logs on every look would cost more than the look.
const LIST_EVERY: Duration = Duration::from_millis(500);

/// Files that appeared in the followed folders since the last look, opened
/// (only the new ones: the folders are listed, not opened, on each look).
fn new_files(follow: &mut Follow) -> io::Result<Vec<(crate::source::SourceEntry, RecordLayout)>> {
    let mut joined = Vec::new();
    if follow.listed.is_some_and(|at| at.elapsed() < LIST_EVERY) {
        return Ok(joined);
    }
    follow.listed = Some(Instant::now());
    let mut candidates: Vec<PathBuf> = follow
        .folders
        .iter()
        .flat_map(|d| crate::source::files_in(d))
        .collect();
    candidates.extend(
        follow
            .siblings()
            .into_iter()
            .filter(|p| !follow.ignored.contains(p)),
    );
    // A file is known by its path, or by its device and inode when another
    // path leads to it (a `latest` symlink).
    let mut known_paths: HashSet<PathBuf> = HashSet::new();
    let mut known_files: HashSet<(u64, u64)> = HashSet::new();
    for w in follow.files.iter().flatten() {
        known_paths.extend(w.path.clone());
        known_files.extend(w.file.identity());
    }
    for path in candidates {
        if known_paths.contains(&path) {
            continue;
        }
        let identity = std::fs::metadata(&path).map(|m| (m.dev(), m.ino()));
        if identity.is_ok_and(|id| known_files.contains(&id)) {
            continue;
        }
        let (entries, _) = crate::source::open_all(std::slice::from_ref(&path));
        for mut entry in entries {
            // Inside a followed folder, name it as at start: relative to the folder.
            if let Some(rel) = follow
                .folders
                .iter()
                .find_map(|d| path.strip_prefix(d).ok())
            {
                entry.label = rel.display().to_string();
            }
            let layout =
                RecordLayout::open(entry.source.clone(), &follow.time, follow.want_levels)?;
            let len = layout.len();
            // The same file may be a candidate twice (in a followed folder
            // and beside a followed file).
            known_paths.insert(entry.path.clone());
            known_files.extend(entry.follow.as_ref().and_then(|f| f.file.identity()));
            follow.files.push(
                entry
                    .follow
                    .clone()
                    .map(|target| WatchedFile::new(target, len)),
            );
            joined.push((entry, layout));
        }
    }
    Ok(joined)
}
