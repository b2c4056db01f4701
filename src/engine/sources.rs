//! The engine's sources: what the view is told of each, their health, and
//! what happens when one fails for good (hidden, the others stay readable)
//! or is shown again (read again: the server may be back).

use std::io;
use std::sync::Arc;

use super::{start_overview, Command, Engine};
use crate::problem::Problem;
use crate::source::Health;

/// How long a source's status lasts before the status bar shows it: a
/// server that answers at once does not make it flicker.
const STATUS_AFTER: std::time::Duration = std::time::Duration::from_millis(400);

/// What the view needs to know about a source.
#[derive(Clone, Debug)]
pub struct SourceInfo {
    /// Full label (path relative to what the user gave).
    pub label: String,
    /// Short tag shown before each line.
    pub tag: String,
    /// Where it is read from: a full path, or a URL without credentials.
    pub location: String,
    /// What it is: a file, a compressed file, stdin, a remote object, …
    pub kind: String,
    /// Its bytes when opened.
    pub size: u64,
    /// Lines are Airflow 3 JSON and can be rendered as text.
    pub json: bool,
    /// How its times and levels are read, and where a year-less date's
    /// year came from (the help screen's list of sources).
    pub format: String,
    /// The local file it reads, for an editor (`v`); `None` for remote
    /// objects, streams and compressed files.
    pub file: Option<std::path::PathBuf>,
    pub enabled: bool,
    /// Why the source could not be read, if it could not (it is hidden).
    pub error: Option<Problem>,
    /// What its background work reports while it stays readable (retrying,
    /// a download or decompression that stopped part-way).
    pub warning: Option<Problem>,
    /// What dedup left out of it as copies of another source's records,
    /// once the overview has counted (the help screen's list of sources).
    pub copies: Option<String>,
    /// The sources of one copy group are copies of one log (known to the
    /// opener, `SourceEntry::copy_of`, or found before the merge): dedup
    /// shows each of their records once. Set by the engine.
    pub copy_group: Option<u32>,
}

impl SourceInfo {
    /// Its error, else its warning, naming the source.
    pub fn problem(&self) -> Option<Problem> {
        let problem = self.error.as_ref().or(self.warning.as_ref())?;
        Some(problem.clone().about(&self.label, &self.label))
    }
}

impl Engine {
    /// Shows what each source's background work reports (one entry per
    /// source, in merge order), and hides a source whose reads failed for
    /// good so that the others stay readable.
    pub fn watching_health(mut self, healths: Vec<Option<Arc<Health>>>) -> Self {
        self.healths = healths;
        self
    }

    /// Shows `message` on the first screen (what opening the sources had to
    /// say that is no source's error, such as a skipped file system loop).
    pub fn saying(mut self, message: Option<String>) -> Self {
        self.message = message;
        self
    }

    /// Copies health reports into the source list (and a status that has
    /// lasted a moment into the status bar); `true` if one changed.
    pub(super) fn check_health(&mut self) -> bool {
        let mut changed = false;
        let activity = self
            .healths
            .iter()
            .flatten()
            .filter_map(|health| health.status())
            .find(|(_, lasted)| *lasted >= STATUS_AFTER)
            .map(|(text, _)| text);
        if activity != self.activity {
            self.activity = activity;
            changed = true;
        }
        for (info, health) in self.sources.iter_mut().zip(&self.healths) {
            let Some(health) = health else { continue };
            let now = health.problem();
            if info.warning != now {
                info.warning = now;
                changed = true;
            }
            if let Some(note) = health.take_note() {
                self.message = Some(note);
                changed = true;
            }
        }
        changed
    }

    /// After a read error: hides the sources that report a failure (a
    /// server that stopped answering) and reopens the screen where it was.
    /// Returns `false` when no source owns up, i.e. the error is elsewhere.
    pub(super) fn quarantine_failed_sources(&mut self) -> io::Result<bool> {
        self.check_health();
        let mut hidden = Vec::new();
        for (i, info) in self.sources.iter_mut().enumerate() {
            if let (Some(problem), true) = (info.warning.take(), info.enabled) {
                info.enabled = false;
                info.error = Some(problem);
                hidden.push(i);
            }
        }
        if hidden.is_empty() {
            return Ok(false);
        }
        let top = self.top_ts();
        for &i in &hidden {
            self.window.merge_mut().set_enabled(i, false);
        }
        // Its pass reads the failed sources too: count again without them,
        // so that line numbers come back.
        self.recount_without_failed_sources();
        match top {
            Some(t) => self.window.jump_time(t)?,
            None => self.window.jump_start()?,
        }
        let names: Vec<&str> = hidden
            .iter()
            .map(|&i| self.sources[i].label.as_str())
            .collect();
        self.message = Some(format!("{} failed and is hidden", names.join(", ")));
        Ok(true)
    }

    /// Restarts the overview pass (if one runs) over the sources that have
    /// not failed: line numbers count what can be shown.
    pub(super) fn recount_without_failed_sources(&mut self) {
        if self.overview.is_some() {
            let failed: Vec<usize> = (0..self.window.merge().source_count())
                .filter(|&i| self.sources.get(i).is_some_and(|s| s.error.is_some()))
                .collect();
            self.overview = start_overview(&self.window, &failed);
            if let (Some(overview), Some(wake)) = (&self.overview, self.progress_wake()) {
                overview.wake_with(wake);
            }
        }
        self.recount_shown();
    }

    /// Reports a read error, unless a failing source took the blame.
    pub(super) fn read_failed(&mut self, e: io::Error) {
        match self.quarantine_failed_sources() {
            Ok(true) => {}
            Ok(false) => self.message = Some(format!("read error: {e}")),
            Err(again) => self.message = Some(format!("read error: {again}")),
        }
    }

    /// Applies `command`; if a source fails for good under it, hides that
    /// source and applies it again on the others, so `G` still lands at the
    /// end and `/` still searches when a server dies mid-way.
    pub(super) fn apply_surviving_failures(&mut self, command: Command) {
        // Showing a source again is not done twice: hiding it again is
        // the answer to its failure.
        let retry = (!matches!(command, Command::ToggleSource(_))).then(|| command.clone());
        let Err(e) = self.apply(command) else {
            return;
        };
        match self.quarantine_failed_sources() {
            Ok(true) => {
                // Keep the message that names the hidden source.
                let hidden = self.message.take();
                if let Some(Err(e)) = retry.map(|retry| self.apply(retry)) {
                    self.read_failed(e);
                }
                self.message = self.message.take().or(hidden);
            }
            Ok(false) => self.message = Some(format!("read error: {e}")),
            Err(again) => self.message = Some(format!("read error: {again}")),
        }
    }

    /// Hides or shows a source; the screen keeps its place by time.
    pub(super) fn toggle_source(&mut self, index: usize) -> io::Result<()> {
        let Some(info) = self.sources.get_mut(index) else {
            self.message = Some(format!("no source {}", index + 1));
            return Ok(());
        };
        let in_merge = index < self.window.merge().source_count();
        let retry = info.error.is_some() && in_merge;
        if info.error.is_some() && !in_merge {
            self.message = Some(format!("{} could not be read", info.label));
            return Ok(());
        }
        if retry {
            // Hidden after its reads failed: the server may be back.
            info.error = None;
            info.warning = None;
            if let Some(Some(health)) = self.healths.get(index) {
                health.clear();
            }
        }
        info.enabled = !info.enabled;
        let (enabled, label) = (info.enabled, info.label.clone());
        let top = self.top_ts();
        self.window.merge_mut().set_enabled(index, enabled);
        match top {
            Some(t) => self.window.jump_time(t)?,
            None => self.window.jump_start()?,
        }
        if retry {
            self.recount_without_failed_sources();
        } else {
            self.recount_shown();
        }
        self.message = Some(if retry {
            format!("reading {label} again")
        } else {
            format!("{} {label}", if enabled { "showing" } else { "hiding" })
        });
        Ok(())
    }

    /// `Enter` in the sources panel: shows source `index` if it is hidden
    /// and goes to the time of its first record, focused.
    pub(super) fn goto_source(&mut self, index: usize) -> io::Result<()> {
        let Some(info) = self.sources.get(index) else {
            self.message = Some(format!("no source {}", index + 1));
            return Ok(());
        };
        if index >= self.window.merge().source_count() {
            self.message = Some(format!("{} could not be read", info.label));
            return Ok(());
        }
        if !info.enabled {
            self.toggle_source(index)?;
        }
        let layout = self.window.merge().layout(index).clone();
        let Some(first) = layout.reader(4096).record_at(crate::record::Pos::START)? else {
            self.message = Some(format!(
                "{} holds no records yet",
                self.sources[index].label
            ));
            return Ok(());
        };
        self.window.jump_time(first.key_ts())?;
        self.focus_record_of(index, first.start);
        self.message = Some(format!("the first record of {}", self.sources[index].tag));
        Ok(())
    }

    /// Focuses the first line of the record of `source` starting at
    /// `start`, if it is on screen (a jump to it may have stopped short of
    /// putting it at the top: on the last screen).
    pub(super) fn focus_record_of(&mut self, source: usize, start: u64) {
        let row = self.window.visible().position(|l| {
            l.record.source == source && l.record.record.start == start && l.is_record_start()
        });
        if let Some(row) = row {
            self.window.focus_on_row(row);
        }
    }
}
