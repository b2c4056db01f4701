//! The engine: owns the merge and the window on a thread of its own, turns
//! commands from the view into window moves, and publishes frames — what the
//! screen should show — for the view to draw.
//!
//! The view never reads a source: every read happens here, off the draw path.
//! Commands that arrive together are applied together and produce one frame,
//! so a burst of keys costs one render. Long scans (the next ERROR record)
//! report progress and give way to any new command.

pub mod command;
mod export;
mod folds;
mod follow;
mod frame;
mod inbox;
mod inspect;
pub mod job;
mod lines;
mod marks;
mod rows;
mod search;
mod sources;

use std::io;
use std::sync::mpsc::{RecvTimeoutError, Sender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use crate::overview::{SourceCount, Timeline};
pub use crate::record::Level;
pub use crate::search::matcher::{Matcher, PatternKind};
pub use command::{Command, Goto};
pub use export::{size, Destination, Effect, EffectKind, Range, Sink, COPY_CAP};
pub use folds::{FoldMark, FoldOp};
use inbox::progress_wake;
pub use inbox::{Commands, Event, Inbox};
pub use inspect::RecordView;
pub use marks::MarkInfo;
pub use rows::{RowMeasure, Rows};
pub use sources::SourceInfo;

use crate::overview::{Overview, OverviewHandle};
use crate::record::format::TsFormat;
use crate::record::timestamp::{format_in, Nanos, Zone, ZoneClock};
use crate::window::Window;

/// One line of a frame.
#[derive(Clone, Debug)]
pub struct FrameLine {
    pub source: usize,
    pub text: Vec<u8>,
    /// The line was longer than the display cap and is cut.
    pub cut: bool,
    /// First (timestamped) line of its record.
    pub first: bool,
    pub level: Level,
    pub ts: Option<Nanos>,
    /// Out of time order by more than the reorder window (a clock stepped
    /// back): kept in file order, and marked so.
    pub late: bool,
    /// The mark on this record, on its first line.
    pub mark: Option<char>,
    /// Its template is one the baseline never had (on its first line).
    pub new: bool,
    /// This line opens a `::group::` section: its name, size, state.
    pub fold: Option<FoldMark>,
}

/// Everything the view draws, as of one moment.
#[derive(Clone, Debug, Default)]
pub struct Frame {
    /// The lines with a row on screen.
    pub lines: Vec<FrameLine>,
    /// Rows of the first line above the screen (a line taller than the
    /// screen is scrolled through row by row).
    pub skip: usize,
    pub sources: Vec<SourceInfo>,
    /// Time of the top line on screen, formatted in [`zone`](Self::zone).
    pub top_time: Option<String>,
    /// The zone times are shown in.
    pub zone: Zone,
    /// Share of the stream's bytes above the screen, 0–100.
    pub percent: f64,
    /// `(line of the top row, total lines)` of the lines shown, once counted.
    pub line_number: Option<(u64, u64)>,
    /// The line numbers count only the lines shown: a source is hidden or
    /// a filter is on.
    pub lines_of_shown: bool,
    /// Overview progress while it runs, 0–100.
    pub overview_progress: Option<u8>,
    pub at_start: bool,
    pub at_end: bool,
    /// A one-off message (jump wrapped, invalid input, …).
    pub message: Option<String>,
    /// What a source's background work is doing while it lasts (waiting
    /// for a server to answer, for a task's next try).
    pub activity: Option<String>,
    /// Long work in progress (with percentage), e.g. a scan for errors.
    pub busy: Option<String>,
    /// Per-bucket record and error counts for the timeline strip.
    pub timeline: Option<Timeline>,
    /// Each source's records and time range, once the overview has counted
    /// (the sources panel).
    pub counts: Option<Arc<Vec<SourceCount>>>,
    /// `logger` and level counts of what the overview has read so far.
    pub facets: Option<Arc<crate::overview::Facets>>,
    /// Facet values hidden from the sources panel: `(field, value)`.
    pub hidden_facets: Vec<(String, String)>,
    /// The search pattern, to highlight its matches on screen.
    pub highlight: Option<Arc<Matcher>>,
    /// `/pattern: hit 12 of 3,402` and the like.
    pub search: Option<String>,
    /// Filters in force, as typed (`&gamma`, `&!delta`, `≥WARNING`).
    pub filters: Vec<String>,
    /// Follow mode: `Some(true)` while the screen follows the end,
    /// `Some(false)` while paused.
    pub follow: Option<bool>,
    /// The focused line (an index into `lines`).
    pub focus: Option<usize>,
    /// Marks, in letter order.
    pub marks: Vec<MarkInfo>,
    /// Comparing with a baseline: what changed (the status bar counts the
    /// new records, the sources panel lists the templates; the gutter shows
    /// which records are new).
    pub comparison: Option<Arc<Compared>>,
    /// The last thing the view was asked to do (copy, open an editor); it
    /// acts on each `id` once.
    pub effect: Option<Arc<Effect>>,
    /// Increases with every frame.
    pub generation: u64,
}

/// What changed against the baseline, as the view shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Compared {
    /// Records of templates the baseline never had.
    pub new_records: u64,
    /// The summary's line, then the templates.
    pub lines: Vec<String>,
}

/// Templates of each kind the sources panel lists.
const COMPARISON_LINES: usize = 12;

/// Where frames go (the view passes a closure that wakes it up).
pub type Publish = Box<dyn Fn(Arc<Frame>) + Send>;

/// The engine's state.
pub struct Engine {
    window: Window,
    sources: Vec<SourceInfo>,
    /// Reads `:` times, in the zone shown (the first of `zones`).
    clock: ZoneClock,
    /// The zones `Z` switches between; the first is the one shown.
    zones: Vec<Zone>,
    overview: Option<OverviewHandle>,
    /// While a source is hidden or a filter is on: the count of the lines
    /// shown (`lines`).
    shown_lines: Option<OverviewHandle>,
    height: usize,
    /// Columns for the timeline strip.
    timeline_width: usize,
    message: Option<String>,
    generation: u64,
    /// The search or level search running now (latest wins).
    job: Option<job::Job>,
    next_job: u64,
    /// The engine's own inbox, for jobs and watchers to report to.
    events: Option<Sender<Event>>,
    start_at: Option<Nanos>,
    /// The last message and when it was first shown: it stays a few seconds
    /// (frames come often while following) or until the next key.
    shown_message: Option<(String, Instant)>,
    /// Whether the records the overview found out of time order beyond the
    /// reorder window were said.
    said_late: bool,
    /// What dedup left out is in `sources` (once the overview has counted).
    copies_noted: bool,
    search: Option<search::ActiveSearch>,
    filter: crate::search::filter::RecordFilter,
    /// Facet values hidden from the sources panel (`field`, `value`), each
    /// one of `filter`'s field filters.
    hidden_facets: Vec<(String, String)>,
    follow: Option<follow::Follow>,
    /// Problems of each source's background work (remote reads, spools).
    healths: Vec<Option<Arc<crate::source::Health>>>,
    /// What a source's background work is doing now, once it has lasted a
    /// moment (waiting for a server, for a task's next try).
    activity: Option<String>,
    marks: marks::Marks,
    /// The save or pipe being written.
    export: Option<export::Export>,
    effect: Option<Arc<Effect>>,
    folds: folds::Folds,
    /// The view's row measure and what it was last given.
    measuring: rows::Measuring,
    /// The baseline the records are compared with, and its summary.
    comparison: Option<(Arc<crate::compare::Comparison>, Arc<Compared>)>,
}

/// Remote bytes up to which background passes that read every byte (the
/// overview, a search's hit count) still run.
const BACKGROUND_REMOTE_MAX: u64 = 64 * 1024 * 1024;

/// Whether a background pass may read all of `merge`'s sources: not when
/// remote ones hold more than [`BACKGROUND_REMOTE_MAX`], since a viewer
/// must not download gigabytes behind the user's back.
fn may_read_everything(merge: &crate::merge::Merge) -> bool {
    let remote_bytes: u64 = (0..merge.source_count())
        .map(|i| merge.layout(i))
        .filter(|layout| layout.source().is_remote())
        .map(|layout| layout.len())
        .sum();
    remote_bytes <= BACKGROUND_REMOTE_MAX
}

/// How long a message stays in the status bar without a key being pressed.
const MESSAGE_FOR: Duration = Duration::from_secs(4);

/// How often the status bar shows a running job's progress.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

impl Engine {
    /// An engine over `window` for the given sources.
    pub fn new(
        window: Window,
        sources: Vec<SourceInfo>,
        clock: ZoneClock,
        overview: Option<OverviewHandle>,
    ) -> Self {
        let mut sources = sources;
        let dedup = window.merge().options().dedup;
        for (i, info) in sources
            .iter_mut()
            .enumerate()
            .take(window.merge().source_count())
        {
            info.copy_group = dedup.group_of(i);
        }
        Self {
            window,
            sources,
            zones: vec![clock.zone().clone()],
            clock,
            overview,
            shown_lines: None,
            height: 24,
            timeline_width: 80,
            message: None,
            generation: 0,
            job: None,
            next_job: 0,
            events: None,
            start_at: None,
            shown_message: None,
            said_late: false,
            copies_noted: false,
            search: None,
            filter: crate::search::filter::RecordFilter::default(),
            hidden_facets: Vec::new(),
            follow: None,
            healths: Vec::new(),
            activity: None,
            marks: marks::Marks::default(),
            export: None,
            effect: None,
            folds: folds::Folds::default(),
            measuring: rows::Measuring::default(),
            comparison: None,
        }
    }

    /// Marks the records whose template `comparison`'s baseline never had
    /// (`+`, `-` jump to them) and lists what changed in the sources panel.
    pub fn comparing(mut self, comparison: Option<Arc<crate::compare::Comparison>>) -> Self {
        self.comparison = comparison.map(|c| {
            let summary = c.summary();
            let mut lines = vec![summary.one_line()];
            lines.extend(summary.lines(COMPARISON_LINES));
            let compared = Compared {
                new_records: summary.new_records,
                lines,
            };
            (c, Arc::new(compared))
        });
        self
    }

    /// Shows times in `zone` (and reads `:` times in it); `Z` switches to
    /// UTC and local time and back.
    pub fn displaying(mut self, zone: Zone) -> Self {
        let mut zones = vec![zone];
        for other in [Zone::Utc, Zone::Local] {
            if !zones.iter().any(|z| z.same_as(&other)) {
                zones.push(other);
            }
        }
        self.clock = ZoneClock::new(zones[0].clone());
        self.zones = zones;
        self
    }

    /// The next zone of [`displaying`](Self::displaying) (`Z`).
    fn cycle_zone(&mut self) {
        self.zones.rotate_left(1);
        self.clock = ZoneClock::new(self.zones[0].clone());
        self.message = Some(format!("times in {}", self.zones[0].name()));
    }

    /// Starts with `filter` in force (`--grep`, `--grep-v`, `--level`).
    pub fn filtered(mut self, filter: Option<crate::search::filter::RecordFilter>) -> Self {
        if let Some(filter) = filter.filter(|f| !f.is_empty()) {
            let predicate: Arc<dyn crate::merge::RecordPredicate> = Arc::new(filter.clone());
            self.window.merge_mut().set_predicate(Some(predicate));
            self.filter = filter;
        }
        self
    }

    /// Opens at the first record at or after `since` instead of the start.
    pub fn starting_at(mut self, since: Option<Nanos>) -> Self {
        self.start_at = since;
        self
    }

    /// Watches the files behind the sources (`targets`, one per source in
    /// merge order, `None` where there is no file) for follow mode; with
    /// `now`, starts following at once (`-f`). New files in `folders` join,
    /// and so do the sources sent on `arrivals` (a task's next try).
    pub fn following(
        mut self,
        targets: Vec<Option<crate::source::FollowTarget>>,
        time: crate::record::TimeOptions,
        now: bool,
        folders: Vec<std::path::PathBuf>,
        arrivals: Option<std::sync::mpsc::Receiver<crate::source::SourceEntry>>,
    ) -> Self {
        let mut follow = follow::Follow::new(targets, time, true);
        follow.join_new_files_in(folders);
        if let Some(arrivals) = arrivals {
            follow.join_from(arrivals);
        }
        follow.following = now;
        follow.engaged = now;
        self.follow = Some(follow);
        self
    }

    /// Opens the first screen and returns its frame, on the caller's
    /// thread: with [`step`](Self::step), how tests walk the viewer key by
    /// key in process without waiting on a channel (no overview, no
    /// follow; commands that start background work belong to [`run`](Self::run)).
    pub fn open_now(&mut self) -> Arc<Frame> {
        let opened = match self.start_at {
            Some(t) => self.window.jump_time(t),
            None => self.window.jump_start(),
        };
        if let Err(e) = opened {
            self.read_failed(e);
        }
        self.fold_new_groups();
        self.frame(None)
    }

    /// Applies `command` as [`run`](Self::run) applies a batch of one, and
    /// returns the frame after it.
    pub fn step(&mut self, command: Command) -> Arc<Frame> {
        self.apply_surviving_failures(command);
        self.fold_new_groups();
        self.frame(None)
    }

    /// Runs until `Quit` or until every [`Commands`] handle is gone: waits
    /// for events — commands, file changes, job reports — applies them in
    /// batches and publishes one frame per batch.
    pub fn run(mut self, inbox: Inbox, publish: Publish) {
        let Inbox { sender, receiver } = inbox;
        if let Some(follow) = &mut self.follow {
            follow.watch(sender.clone());
        }
        if let Some(overview) = &self.overview {
            overview.wake_with(progress_wake(&sender));
        }
        self.events = Some(sender);
        let following = self.follow.as_ref().is_some_and(|f| f.following);
        let opened = match self.start_at {
            _ if following => self.window.jump_end(),
            Some(t) => self.window.jump_time(t),
            None => self.window.jump_start(),
        };
        if let Err(e) = opened {
            self.read_failed(e);
        }
        self.fold_new_groups();
        publish(self.frame(None));
        loop {
            // A running job shows its progress; follow mode looks at its
            // files now and then; otherwise the engine sleeps until woken.
            let wait = match (&self.job, &self.follow) {
                (Some(_), _) => Some(PROGRESS_EVERY),
                _ if self.export.is_some() => Some(PROGRESS_EVERY),
                (None, Some(follow)) => Some(follow.poll_interval()),
                (None, None) => None,
            };
            // A message shown goes away on time, not at the next key.
            let expires = self
                .shown_message
                .as_ref()
                .map(|(_, since)| MESSAGE_FOR.saturating_sub(since.elapsed()));
            let wait = match (wait, expires) {
                (Some(wait), Some(expires)) => Some(wait.min(expires)),
                (wait, expires) => wait.or(expires),
            };
            let first = match wait {
                Some(wait) => match receiver.recv_timeout(wait) {
                    Ok(event) => event,
                    Err(RecvTimeoutError::Timeout) => {
                        self.on_idle(&publish);
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                },
                None => match receiver.recv() {
                    Ok(event) => event,
                    Err(_) => return,
                },
            };
            let mut batch = vec![first];
            loop {
                match receiver.try_recv() {
                    Ok(event) => batch.push(event),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return,
                }
            }
            // A burst of file events is one look at the files.
            let mut look = false;
            for event in batch {
                match event {
                    Event::Command(Command::Quit) => {
                        if let Some(job) = self.job.take() {
                            job.stop();
                        }
                        // A file half written is removed before the process ends.
                        if let Some(export) = self.export.take() {
                            export.stop_and_wait(Duration::from_secs(2));
                        }
                        return;
                    }
                    Event::Command(command) => self.apply_surviving_failures(command),
                    Event::FilesChanged => look = true,
                    Event::Job(job::Report::Progress) => {}
                    Event::Job(report) => self.finish_job(report),
                    Event::Exported(done) => self.finish_export(done),
                }
            }
            if look {
                if let Err(e) = self.follow_tick() {
                    self.message = Some(format!("follow: {e}"));
                }
            }
            self.fold_new_groups();
            let busy = self.busy();
            publish(self.frame(busy));
        }
    }

    /// What runs now, for the status bar: a search, a save or a pipe.
    fn busy(&self) -> Option<String> {
        self.job
            .as_ref()
            .map(job::Job::busy)
            .or_else(|| self.export_busy())
    }

    /// Nothing arrived for a while: a job's progress, follow mode's look.
    fn on_idle(&mut self, publish: &Publish) {
        if self
            .shown_message
            .as_ref()
            .is_some_and(|(_, since)| since.elapsed() >= MESSAGE_FOR)
        {
            publish(self.frame(None));
        }
        if let Some(job) = self
            .job
            .take_if(|job| job.stalled_for() >= job::stall_limit())
        {
            // Its thread ends when the match it is in returns; its report
            // is ignored.
            job.stop();
            self.message = Some(job.timed_out());
            publish(self.frame(None));
            return;
        }
        if let Some(busy) = self.busy() {
            publish(self.frame(Some(busy)));
            if self.job.is_some() {
                return;
            }
        }
        let health_changed = self.check_health();
        match self.follow_tick() {
            Ok(true) => {
                self.fold_new_groups();
                publish(self.frame(None))
            }
            Ok(false) if health_changed => publish(self.frame(None)),
            Ok(false) => {}
            Err(e) => {
                self.message = Some(format!("follow: {e}"));
                publish(self.frame(None));
            }
        }
    }

    /// Folds the groups that came on screen (a read error is said, and the
    /// group stays open).
    fn fold_new_groups(&mut self) {
        if let Err(e) = self.discover_groups().and_then(|_| self.measure_folds()) {
            self.message = Some(format!("read error: {e}"));
        }
    }

    /// A wake-up for background counting started now (none before `run`).
    fn progress_wake(&self) -> Option<crate::overview::Wake> {
        self.events.as_ref().map(progress_wake)
    }

    /// Starts `kind` as the job, stopping the one running.
    fn start_job(&mut self, kind: job::JobKind, retried: bool) {
        if let Some(old) = self.job.take() {
            old.stop();
        }
        let Some(events) = self.events.clone() else {
            return;
        };
        self.next_job += 1;
        let id = self.next_job;
        let fork = self.unfolded_fork();
        let mut started = match &kind {
            job::JobKind::Search { forward, matcher } => {
                let sorted = self
                    .overview
                    .as_ref()
                    .and_then(|o| o.sorted())
                    .unwrap_or(true);
                job::search(
                    id,
                    fork,
                    self.search_start(),
                    *forward,
                    matcher.clone(),
                    sorted,
                    events,
                )
            }
            &job::JobKind::Level { forward, level } => {
                // From the focused line, which the last `]` or `[` moved to
                // the record it found (on the last screen too, where the
                // screen cannot put it at the top). Its lasting cursor, since
                // the window's own leaves the copies dedup dropped below it,
                // and they would be found again (issue 26).
                let (Some(start), Some(focused)) =
                    (self.window.cursor_at_focus(), self.window.focused())
                else {
                    return;
                };
                let from = (focused.record.source, focused.record.record.start);
                job::level(id, fork, start, from, forward, level, events)
            }
            job::JobKind::New {
                forward,
                comparison,
            } => {
                // From the focused line, as `]` (above).
                let (Some(start), Some(focused)) =
                    (self.window.cursor_at_focus(), self.window.focused())
                else {
                    return;
                };
                let from = (focused.record.source, focused.record.record.start);
                job::new_record(id, fork, start, from, *forward, comparison.clone(), events)
            }
        };
        started.retried = retried;
        self.job = Some(started);
    }

    /// A job reported: shows what it found, unless it is not the latest.
    fn finish_job(&mut self, report: job::Report) {
        let id = match &report {
            job::Report::Search { id, .. } | job::Report::Level { id, .. } => *id,
            job::Report::Progress => return,
        };
        let Some(done) = self.job.take_if(|job| job.id == id) else {
            return;
        };
        let result = match report {
            job::Report::Search { result, .. } => {
                // The direction this search went: `N` goes against `/`.
                let forward = done.kind.forward();
                result.and_then(|found| self.show_search(found, forward))
            }
            job::Report::Level { result, .. } => {
                result.and_then(|found| match (found, &done.kind) {
                    (Some(cursor), _) => {
                        self.remember_jump();
                        // The record found may be inside a folded group.
                        let mut fork = self.unfolded_fork();
                        fork.seek(&cursor);
                        let found = fork.next_record().ok().flatten();
                        if let Some(found) = found {
                            self.reveal(found.source, found.record.start);
                        }
                        self.window.jump_to_cursor(&cursor)?;
                        if let Some(found) = found {
                            self.focus_record_of(found.source, found.record.start);
                        }
                        Ok(())
                    }
                    (None, &job::JobKind::Level { forward, level }) => {
                        self.message = Some(format!(
                            "no {} record {}",
                            level.name(),
                            if forward { "below" } else { "above" }
                        ));
                        Ok(())
                    }
                    (None, &job::JobKind::New { forward, .. }) => {
                        self.message = Some(format!(
                            "no new record {} (none whose template the baseline never had)",
                            if forward { "below" } else { "above" }
                        ));
                        Ok(())
                    }
                    (None, _) => Ok(()),
                })
            }
            job::Report::Progress => Ok(()),
        };
        let Err(e) = result else {
            return;
        };
        // A source failed under it: hide that source and look again on the
        // others, once.
        match self.quarantine_failed_sources() {
            Ok(true) if !done.retried => {
                let hidden = self.message.take();
                self.start_job(done.kind, true);
                self.message = hidden;
            }
            Ok(true) => {}
            Ok(false) => self.message = Some(format!("read error: {e}")),
            Err(again) => self.message = Some(format!("read error: {again}")),
        }
    }

    fn apply(&mut self, command: Command) -> io::Result<()> {
        let mut stopped_a_job = false;
        if !matches!(command, Command::Resize { .. } | Command::Layout(_)) {
            // A key was pressed: the last message has been seen.
            self.shown_message = None;
            // Latest wins: Esc, or any other key, stops the running job;
            // a new search replaces it without a word.
            if let Some(job) = self.job.take() {
                job.stop();
                stopped_a_job = true;
                let replaced = matches!(
                    command,
                    Command::Search { .. }
                        | Command::SearchAgain { .. }
                        | Command::NextAtLevel { .. }
                        | Command::NextNew { .. }
                );
                if !replaced {
                    self.message = Some(job.cancelled());
                }
            }
        }
        match command {
            Command::Resize {
                height,
                timeline_width,
            } => {
                self.height = height.max(1);
                self.timeline_width = timeline_width.max(1);
                self.window.set_height(self.height)?;
                if self.follow.as_ref().is_some_and(|f| f.following) {
                    self.window.jump_end()?;
                }
            }
            Command::Layout(rows) => {
                self.set_rows(rows)?;
                if self.follow.as_ref().is_some_and(|f| f.following) {
                    self.window.jump_end()?;
                }
            }
            Command::Scroll(delta) => {
                if delta < 0 {
                    self.pause_following();
                }
                self.window.scroll(delta)?
            }
            Command::Start => {
                self.pause_following();
                self.remember_jump();
                self.window.jump_start()?
            }
            Command::End => {
                self.remember_jump();
                if let Some(follow) = self.follow.as_mut().filter(|f| f.engaged) {
                    // G resumes following, as in less after F.
                    follow.following = true;
                }
                self.window.jump_end()?
            }
            Command::Follow => self.toggle_following()?,
            Command::CycleZone => self.cycle_zone(),
            Command::Goto(goto) => {
                self.pause_following();
                self.remember_jump();
                self.goto(goto)?
            }
            Command::FocusBy(delta) => {
                if delta < 0 {
                    self.pause_following();
                }
                self.window.move_focus(delta)?
            }
            Command::FocusRecord { forward } => {
                if !forward {
                    self.pause_following();
                }
                self.window.focus_record(forward)?
            }
            Command::FocusRow(row) => self.window.focus_on_row(row),
            Command::SetMark(letter) => self.set_mark(letter),
            Command::GotoMark(letter) => {
                self.pause_following();
                self.goto_mark(letter)?
            }
            Command::JumpBack => {
                self.pause_following();
                self.jump_back()?
            }
            Command::NextAtLevel { forward, level } => {
                self.pause_following();
                self.start_job(job::JobKind::Level { forward, level }, false);
            }
            Command::NextNew { forward } => match self.comparison.as_ref().map(|(c, _)| c.clone()) {
                Some(comparison) => {
                    self.pause_following();
                    self.start_job(job::JobKind::New { forward, comparison }, false);
                }
                None => {
                    self.message = Some(
                        "no baseline: new records are marked with 'logweave compare' or 'airflow --compare-with'"
                            .into(),
                    )
                }
            },
            Command::ToggleSource(index) => self.toggle_source(index)?,
            Command::GotoSource(index) => {
                self.pause_following();
                self.remember_jump();
                self.goto_source(index)?
            }
            Command::Search {
                pattern,
                kind,
                forward,
            } => {
                self.pause_following();
                self.search(&pattern, kind, forward)
            }
            Command::SearchAgain { reverse, times } => {
                self.pause_following();
                self.search_again(reverse, times)
            }
            Command::AddFilter {
                pattern,
                kind,
                exclude,
            } => self.add_filter(&pattern, kind, exclude)?,
            Command::ClearFilters => self.clear_filters()?,
            Command::ToggleFacet { field, value } => self.toggle_facet(field, value)?,
            Command::CycleLevel => self.cycle_level()?,
            // Esc stops a search first, else a save or pipe.
            Command::Cancel => {
                if !stopped_a_job {
                    self.cancel_export();
                }
            }
            // Ctrl-C as in less +F: stops what runs, and never quits.
            Command::Interrupt => {
                let stopped = stopped_a_job || self.cancel_export() || self.stop_following();
                if !stopped {
                    self.message = Some(
                        "nothing to stop (Ctrl-C stops a search, a save or following) — q quits"
                            .into(),
                    );
                }
            }
            Command::Copy(range) => self.copy(range),
            Command::Export {
                range,
                destination,
                tags,
            } => self.start_export(range, destination, tags),
            Command::Edit => self.open_at_source(),
            Command::Fields => self.inspect_focused(),
            Command::Fold(op) => self.fold(op)?,
            Command::Quit => {}
        }
        Ok(())
    }

    /// Time of the top line on screen.
    fn top_ts(&self) -> Option<Nanos> {
        self.window
            .visible()
            .next()
            .and_then(|l| l.record.record.ts)
    }

    fn goto(&mut self, goto: Goto) -> io::Result<()> {
        match goto {
            Goto::Time(t) => self.window.jump_time(t)?,
            Goto::Fraction(f) => match self.line_at_share(f) {
                // Half of the lines, where they are counted: in a merged
                // stream, half of the bytes is not where a user expects.
                Some(line) => return self.goto(Goto::Line(line)),
                None => self.window.jump_fraction(f)?,
            },
            Goto::Relative(delta) => match self.top_ts() {
                Some(t) => self.window.jump_time(t.saturating_add(delta))?,
                None => self.message = Some("no timestamp on screen to jump from".into()),
            },
            Goto::Line(n) => self.goto_line(n)?,
            Goto::Invalid(why) => self.message = Some(why),
            Goto::Text(text) => {
                let top = self.top_ts();
                let zone = self.zones[0].clone();
                match command::parse_goto(&text, top, &mut self.clock, &zone) {
                    Goto::Text(_) => {}
                    parsed => return self.goto(parsed),
                }
            }
        }
        Ok(())
    }
}

pub use crate::record::order::describe_span;

/// 1234567 → "1,234,567" (for the view, which knows only the engine).
pub use crate::source::{count, group};

/// `YYYY-MM-DD HH:MM:SS` in `zone` for axis labels.
pub fn short_time(ns: Nanos, zone: &Zone) -> String {
    let full = format_in(ns, zone);
    full.get(..19).map(|s| s.replace('T', " ")).unwrap_or(full)
}

/// Whether a source's lines are Airflow 3 JSON.
pub fn is_json(format: Option<&TsFormat>) -> bool {
    format.is_some_and(TsFormat::is_airflow_json)
}

/// Starts the overview for the engine's sources, if there is anything to count.
///
/// Not over big remote sources: the pass reads every byte, and a viewer
/// must not download gigabytes behind the user's back. Line numbers and
/// the timeline are then missing; positions are shown in percent.
pub fn start_overview(window: &Window, left_out: &[usize]) -> Option<OverviewHandle> {
    let merge = window.merge();
    if !may_read_everything(merge) {
        return None;
    }
    Overview::start(merge, left_out)
}
