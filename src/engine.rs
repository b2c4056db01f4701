//! The engine: owns the merge and the window on a thread of its own, turns
//! commands from the view into window moves, and publishes frames — what the
//! screen should show — for the view to draw.
//!
//! The view never reads a source: every read happens here, off the draw path.
//! Commands that arrive together are applied together and produce one frame,
//! so a burst of keys costs one render. Long scans (the next ERROR record)
//! report progress and give way to any new command.

mod apply;
pub mod command;
mod export;
mod folds;
mod follow;
mod frame;
mod inbox;
mod inspect;
pub mod job;
mod jobs;
mod lines;
mod marks;
mod rows;
mod search;
mod sources;

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
    /// Every followed source ended for good (a followed Airflow task
    /// finished, a pipe closed) and nothing more can join.
    pub follow_finished: bool,
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

/// Sources this big make `G` with `--until` slow enough to be said.
const SLOW_END_BYTES: u64 = 64 * 1024 * 1024;

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
                    Event::Command(command) => {
                        if let Some(slow) = self.slow_to_apply(&command) {
                            publish(self.frame(Some(slow)));
                        }
                        self.apply_surviving_failures(command)
                    }
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

    /// What to say while `command` runs, when it may take seconds: `G`
    /// with `--until` over big sources reads every record after `until`
    /// (one stamped before it may lie anywhere after it, as print reads).
    fn slow_to_apply(&self, command: &Command) -> Option<String> {
        let merge = self.window.merge();
        let big = merge.total_len() >= SLOW_END_BYTES;
        (matches!(command, Command::End) && merge.until().is_some() && big).then(|| {
            "going to the end of --until: reading the records after it, whose own times \
             may still lie inside…"
                .to_string()
        })
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
