//! Follow mode in the viewer (`F`, `-f`): the engine looks at the files
//! behind its sources through the shared [`Follower`], swaps in longer
//! snapshots as they grow, and keeps the last screen in view while
//! following. Scrolling up pauses; `F` or `G` resumes. A truncated file is
//! read again from its start, a rotated one is followed to its new file;
//! both are announced in the status bar.

use std::collections::HashSet;
use std::io;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::{Engine, Event};
use crate::problem::Problem;
use crate::record::{RecordLayout, TimeOptions};
use crate::source::follower::{Change, Follower};
use crate::source::{FollowTarget, Source, SourceEntry};

/// What follow mode knows.
pub struct Follow {
    follower: Follower,
    time: TimeOptions,
    want_levels: bool,
    /// The screen stays at the end as sources grow.
    pub following: bool,
    /// Follow mode was turned on at some point (`-f` or `F`): only then does
    /// the status bar speak of it.
    pub engaged: bool,
}

impl Follow {
    /// Follows `targets` (one per source, in merge order; `None` for a
    /// source that cannot grow), all of whose bytes are merged already.
    pub fn new(targets: Vec<Option<FollowTarget>>, time: TimeOptions, want_levels: bool) -> Self {
        let targets = targets
            .into_iter()
            .map(|target| {
                let len = target.as_ref().map_or(0, |t| t.file.len());
                (target, len)
            })
            .collect();
        Self {
            follower: Follower::new(targets),
            time,
            want_levels,
            following: true,
            engaged: true,
        }
    }

    /// Wakes the engine with [`Event::FilesChanged`] whenever something
    /// happens in a followed file's folder. Without a watcher, polling
    /// covers it.
    pub fn watch(&mut self, wake: Sender<Event>) {
        self.follower.wake_on_changes(move || {
            let _ = wake.send(Event::FilesChanged);
        });
    }

    /// Folders whose new files join the merge (recursively, like at start),
    /// and rotation backups that appear beside followed files.
    pub fn join_new_files_in(&mut self, folders: Vec<PathBuf>) {
        self.follower.join_new_files_in(folders);
    }

    /// Sources sent on `arrivals` (an Airflow task's next try) join the
    /// merge as they come.
    pub fn join_from(&mut self, arrivals: Receiver<SourceEntry>) {
        self.follower.join_from(arrivals);
    }

    /// How long the engine may wait for a command before looking again.
    pub fn poll_interval(&self) -> Duration {
        self.follower.poll_interval()
    }

    /// Every followed source ended for good and nothing more can join.
    pub(super) fn finished(&self) -> bool {
        self.follower.finished()
    }
}

impl Engine {
    /// Adds a source that joined (it appeared in a followed folder, or
    /// arrived: a task's next try) to the merge, the window and the status
    /// bar, and watches its health.
    fn add_followed_source(&mut self, entry: SourceEntry, layout: RecordLayout) -> io::Result<()> {
        let json = super::is_json(layout.format());
        let format = layout.describe();
        let size = layout.len();
        let index = self.window.merge_mut().add_source(layout);
        self.window.source_added();
        // Its tag: the one its opener chose (a task's next try), or what
        // tells it from the sources there already (whose tags stay).
        let mut tag = match &entry.tag {
            Some(chosen) => crate::escape::printable(chosen).into_owned(),
            None => {
                let mut paths: Vec<String> =
                    self.sources.iter().map(|s| s.location.clone()).collect();
                paths.push(entry.path.display().to_string());
                let tag = crate::source::short_tags(&paths).pop().unwrap_or_default();
                crate::escape::printable(&tag).into_owned()
            }
        };
        if self.sources.iter().any(|s| s.tag == tag) {
            tag = format!("{tag}~{}", index + 1);
        }
        // Health is kept for the sources of the merge, in its order.
        let at = index.min(self.healths.len());
        self.healths.insert(at, entry.health.clone());
        let file = entry.follow.as_ref().and_then(|f| f.local_file());
        let info = super::SourceInfo {
            location: file.as_ref().map_or_else(
                || entry.path.display().to_string(),
                |f| f.display().to_string(),
            ),
            kind: "file (joined while following)".into(),
            size,
            file,
            label: entry.label,
            tag,
            json,
            format,
            enabled: true,
            error: None,
            warning: None,
            copies: None,
            copy_group: None,
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

    /// `F`: follows, or stops following if it does (as `less`'s `F` is
    /// left by Ctrl-C, a second `F` leaves it too).
    pub(super) fn toggle_following(&mut self) -> io::Result<()> {
        if self.stop_following() {
            return Ok(());
        }
        self.start_following()
    }

    /// Stops following, saying so; `false` if it was not following.
    pub(super) fn stop_following(&mut self) -> bool {
        match &mut self.follow {
            Some(follow) if follow.following => {
                follow.following = false;
                self.message = Some("stopped following (F or G resumes)".into());
                true
            }
            _ => false,
        }
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
        // Sources that grew (`false`) or started again (`true`), with their new snapshot.
        let mut swaps: Vec<(usize, Arc<dyn crate::source::Source>, bool, TimeOptions)> = Vec::new();
        let mut states: Vec<(usize, Option<Problem>)> = Vec::new();
        let (found, joined_files) = follow.follower.look()?;
        let mut restarted = HashSet::new();
        let mut gone = HashSet::new();
        for change in found {
            match change {
                Change::Restarted(i, why) => {
                    notes.push(why);
                    restarted.insert(i);
                }
                Change::Gone(i, why) => {
                    notes.push(why);
                    states.push((
                        i,
                        Some(
                            Problem::new("deleted; showing what was read").since(SystemTime::now()),
                        ),
                    ));
                    gone.insert(i);
                }
                Change::Back(i) => states.push((i, None)),
            }
        }
        reset |= !restarted.is_empty();
        // A joined file comes in whole: all of its bytes are merged now.
        let mut joined = Vec::new();
        for file in joined_files {
            let time = follow.time.for_source(&file.entry.path);
            let layout = RecordLayout::open(file.entry.source.clone(), &time, follow.want_levels)?;
            if let Some(w) = follow.follower.file_mut(file.index) {
                w.taken = layout.len();
            }
            joined.push((file.entry, layout, file.appeared));
        }
        for (i, w) in follow.follower.files_mut() {
            if gone.contains(&i) {
                continue;
            }
            let upto = w.ready()?;
            if upto > w.taken || restarted.contains(&i) {
                w.taken = upto;
                let time = follow
                    .time
                    .for_source(w.path.as_deref().unwrap_or(std::path::Path::new("-")));
                swaps.push((i, w.snapshot(upto), restarted.contains(&i), time));
            }
        }
        let following = follow.following;
        changed |= !swaps.is_empty() || !states.is_empty();
        for (i, state) in states {
            if let Some(info) = self.sources.get_mut(i) {
                info.error = state;
            }
        }
        for (entry, layout, appeared) in joined {
            self.add_followed_source(entry, layout)?;
            // A source that arrived says itself what it is (its health).
            if appeared {
                notes.push("a new file joined the merge".into());
            }
            changed = true;
        }
        if let Some(note) = notes.pop() {
            self.message = Some(note);
        }
        if !changed {
            return Ok(false);
        }
        let want_levels = self.follow.as_ref().is_some_and(|f| f.want_levels);
        for (i, snapshot, restarted, time) in swaps {
            // A file that grew keeps its order's decisions, so what was
            // shown keeps its place; one that started again is new.
            let layout = if restarted || i >= self.window.merge().source_count() {
                RecordLayout::open(snapshot, &time, want_levels)?
            } else {
                self.window.merge().layout(i).grown(snapshot)?
            };
            // A file empty when opened has its format only now: rendered
            // as Airflow 3 JSON from its first records on.
            if let Some(info) = self.sources.get_mut(i) {
                info.json = super::is_json(layout.format());
                info.format = layout.describe();
                info.size = layout.len();
            }
            self.window.merge_mut().replace_layout(i, layout);
        }
        // Line counts of the overview no longer hold.
        self.overview = None;
        self.shown_lines = None;
        self.folds.sources_grew();
        if reset {
            self.folds = Default::default();
            self.apply_shown();
            self.window.jump_end()?;
        } else if following {
            self.window.pull_to_end()?;
        } else {
            self.window.sources_grew()?;
        }
        Ok(true)
    }
}
