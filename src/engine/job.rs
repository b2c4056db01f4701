//! Long work off the engine thread. A search (`/`, `n`), a level search
//! (`]`, `[`) or a search for a new record (`+`, `-`, when comparing) runs as a job over a fork of the merge and reports on the
//! engine's event channel when it is done; the engine meanwhile stays free
//! to publish progress and to hear the user. The latest job wins: a new
//! one, `Esc` or any other command stops the one running (gitui's
//! `AsyncSingleJob` is the model).

use std::cell::Cell;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use super::Event;
use crate::compare::Comparison;
use crate::merge::{Cursor, Merge, MergedRecord};
use crate::record::Level;
use crate::search::matcher::Matcher;
use crate::search::{find, From, Hit, ScanProgress};

/// What a job (or background counting) reports to the engine.
pub enum Report {
    Search {
        id: u64,
        result: io::Result<SearchOutcome>,
    },
    /// A level search or a search for a new record.
    Level {
        id: u64,
        result: io::Result<Option<Cursor>>,
    },
    /// The overview or a hit count moved on or finished: worth a frame.
    Progress,
}

/// How a search ended.
pub enum SearchOutcome {
    /// `wrapped`: found only after going round from the other edge.
    Found {
        hit: Hit,
        wrapped: bool,
    },
    NotFound,
    Cancelled,
}

/// The job running now.
pub(super) struct Job {
    pub id: u64,
    pub kind: JobKind,
    stop: Arc<AtomicBool>,
    progress: Arc<ScanProgress>,
    /// A job restarted after a source failed under it is not restarted again.
    pub retried: bool,
    /// The progress last seen and when it was first seen: a search stuck
    /// on one stretch (a costly pattern over a long line) says so, and
    /// stops after [`stall_limit`].
    last_move: Cell<(u64, Instant)>,
}

/// No progress for this long: the status bar says the search is stuck.
const SLOW: Duration = Duration::from_secs(3);

/// No progress for this long stops a search or level search:
/// `LOGWEAVE_SEARCH_TIMEOUT` (seconds), 30 by default.
pub fn stall_limit() -> Duration {
    static LIMIT: OnceLock<Duration> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::env::var("LOGWEAVE_SEARCH_TIMEOUT")
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0)
            .map_or(Duration::from_secs(30), Duration::from_secs_f64)
    })
}

/// What a job looks for, and where from (to start it again).
#[derive(Clone)]
pub(super) enum JobKind {
    Search {
        forward: bool,
        matcher: Arc<Matcher>,
    },
    Level {
        forward: bool,
        level: Level,
    },
    /// A record whose template the baseline never had.
    New {
        forward: bool,
        comparison: Arc<Comparison>,
    },
}

impl JobKind {
    /// The way it goes.
    pub fn forward(&self) -> bool {
        match self {
            JobKind::Search { forward, .. }
            | JobKind::Level { forward, .. }
            | JobKind::New { forward, .. } => *forward,
        }
    }
}

impl Job {
    fn new(id: u64, kind: JobKind) -> Self {
        Self {
            id,
            kind,
            stop: Arc::new(AtomicBool::new(false)),
            progress: Arc::new(ScanProgress::default()),
            retried: false,
            last_move: Cell::new((0, Instant::now())),
        }
    }

    /// How long the job has made no progress.
    pub fn stalled_for(&self) -> Duration {
        let done = self.progress.done();
        let (seen, since) = self.last_move.get();
        if done != seen {
            self.last_move.set((done, Instant::now()));
            return Duration::ZERO;
        }
        since.elapsed()
    }

    /// What the status bar says when it was stopped for making no progress.
    pub fn timed_out(&self) -> String {
        let seconds = stall_limit().as_secs();
        match &self.kind {
            JobKind::Search { .. } => format!(
                "search stopped: no progress for {seconds} s (a costly pattern over long lines? a literal search, Ctrl-r in the prompt, is linear)"
            ),
            JobKind::Level { level, .. } => format!(
                "search for {} stopped: no progress for {seconds} s (a source that stopped answering?)",
                level.name()
            ),
            JobKind::New { .. } => format!(
                "search for a new record stopped: no progress for {seconds} s (a source that stopped answering?)"
            ),
        }
    }

    /// The status bar's text while it runs.
    pub fn busy(&self) -> String {
        let percent = self.progress.percent().unwrap_or(0);
        let stalled = self.stalled_for();
        let cancel = if stalled >= SLOW {
            format!(
                "no progress for {} s, stops at {} (Esc cancels)",
                stalled.as_secs(),
                stall_limit().as_secs()
            )
        } else {
            "(Esc cancels)".to_string()
        };
        match &self.kind {
            JobKind::Search { matcher, .. } => {
                format!("searching for {}… {percent}% {cancel}", matcher.shown())
            }
            JobKind::Level { level, .. } => {
                format!("looking for {}… {percent}% {cancel}", level.name())
            }
            JobKind::New { .. } => format!("looking for a new record… {percent}% {cancel}"),
        }
    }

    /// Stops it; its report, when it comes, is ignored.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// What the status bar says when it was stopped.
    pub fn cancelled(&self) -> String {
        match &self.kind {
            JobKind::Search { .. } => "search cancelled".into(),
            JobKind::Level { level, .. } => format!("search for {} cancelled", level.name()),
            JobKind::New { .. } => "search for a new record cancelled".into(),
        }
    }
}

/// Starts a search for `matcher` from `from` (going round once from the
/// other edge when it finds nothing) over `fork`.
pub(super) fn search(
    id: u64,
    mut fork: Merge,
    from: From,
    forward: bool,
    matcher: Arc<Matcher>,
    sorted: bool,
    events: Sender<Event>,
) -> Job {
    let job = Job::new(
        id,
        JobKind::Search {
            forward,
            matcher: matcher.clone(),
        },
    );
    let (stop, progress) = (job.stop.clone(), job.progress.clone());
    std::thread::spawn(move || {
        let result = (|| {
            let mut from = from;
            let mut wrapped = false;
            loop {
                let found = find(
                    &mut fork, &from, forward, &matcher, sorted, &progress, &stop,
                )?;
                if stop.load(Ordering::Relaxed) {
                    return Ok(SearchOutcome::Cancelled);
                }
                match (found, &from) {
                    (Some(hit), _) => return Ok(SearchOutcome::Found { hit, wrapped }),
                    // Not below (above): from the other edge down to where
                    // it started, so a pattern found nowhere reads each byte once.
                    (None, From::Line(p)) if !wrapped => {
                        wrapped = true;
                        from = From::EdgeUntil(p.clone());
                    }
                    (None, _) => return Ok(SearchOutcome::NotFound),
                }
            }
        })();
        let _ = events.send(Event::Job(Report::Search { id, result }));
    });
    job
}

/// Finds the next record at `level` or above from `start`, which has the
/// record `from` (source, start) first below it: going down, that record
/// is where the search stands and not a find.
pub(super) fn level(
    id: u64,
    mut fork: Merge,
    start: Cursor,
    from: (usize, u64),
    forward: bool,
    level: Level,
    events: Sender<Event>,
) -> Job {
    let job = Job::new(id, JobKind::Level { forward, level });
    let (stop, progress) = (job.stop.clone(), job.progress.clone());
    std::thread::spawn(move || {
        let from = Start {
            cursor: start,
            record: from,
        };
        let result = find_record(&mut fork, &from, forward, &progress, &stop, |_, r| {
            Ok(r.record.level >= level)
        });
        let _ = events.send(Event::Job(Report::Level { id, result }));
    });
    job
}

/// Finds the next (previous) record whose template the baseline never
/// had, from `start` with the record `from` first below it (as [`level`]).
pub(super) fn new_record(
    id: u64,
    mut fork: Merge,
    start: Cursor,
    from: (usize, u64),
    forward: bool,
    comparison: Arc<Comparison>,
    events: Sender<Event>,
) -> Job {
    let job = Job::new(
        id,
        JobKind::New {
            forward,
            comparison: comparison.clone(),
        },
    );
    let (stop, progress) = (job.stop.clone(), job.progress.clone());
    std::thread::spawn(move || {
        let from = Start {
            cursor: start,
            record: from,
        };
        let result = find_record(&mut fork, &from, forward, &progress, &stop, |merge, r| {
            comparison.is_new_record(merge, r)
        });
        let _ = events.send(Event::Job(Report::Level { id, result }));
    });
    job
}

/// Records between progress reports and looks at the stop flag.
const CHECK_EVERY: u64 = 4096;

/// Where a record search starts: a cursor and the record first below it.
struct Start {
    cursor: Cursor,
    record: (usize, u64),
}

/// The cursor above the next (previous) record `wanted` takes, from
/// `start`.
fn find_record(
    merge: &mut Merge,
    start: &Start,
    forward: bool,
    progress: &ScanProgress,
    stop: &AtomicBool,
    mut wanted: impl FnMut(&mut Merge, &MergedRecord) -> io::Result<bool>,
) -> io::Result<Option<Cursor>> {
    let total = merge.total_len().max(1);
    merge.seek(&start.cursor);
    let mut scanned = 0u64;
    let mut first = true;
    loop {
        let record = merge.record_toward(forward)?;
        let Some(record) = record else {
            return Ok(None);
        };
        let at_start = (record.source, record.record.start) == start.record;
        if std::mem::take(&mut first) && forward && at_start {
            // Where the search stands (the last one found, say).
            continue;
        }
        if wanted(merge, &record)? {
            if forward {
                merge.unread(&record);
            }
            return Ok(Some(merge.cursor()));
        }
        scanned += 1;
        if scanned % CHECK_EVERY == 0 {
            if stop.load(Ordering::Relaxed) {
                return Ok(None);
            }
            let above = merge.bytes_above();
            let done = if forward {
                above
            } else {
                total - above.min(total)
            };
            progress.set(done, total);
        }
    }
}
