//! Long work off the engine thread. A search (`/`, `n`) or a level search
//! (`]`, `[`) runs as a job over a fork of the merge and reports on the
//! engine's event channel when it is done; the engine meanwhile stays free
//! to publish progress and to hear the user. The latest job wins: a new
//! one, `Esc` or any other command stops the one running (gitui's
//! `AsyncSingleJob` is the model).

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;

use super::Event;
use crate::merge::{Cursor, Merge};
use crate::record::Level;
use crate::search::matcher::Matcher;
use crate::search::{find, From, Hit, ScanProgress};

/// What a job (or background counting) reports to the engine.
pub enum Report {
    Search {
        id: u64,
        result: io::Result<SearchOutcome>,
    },
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
}

impl Job {
    fn new(id: u64, kind: JobKind) -> Self {
        Self {
            id,
            kind,
            stop: Arc::new(AtomicBool::new(false)),
            progress: Arc::new(ScanProgress::default()),
            retried: false,
        }
    }

    /// The status bar's text while it runs.
    pub fn busy(&self) -> String {
        let percent = self.progress.percent().unwrap_or(0);
        match &self.kind {
            JobKind::Search { matcher, .. } => {
                format!("searching for {}… {percent}% (Esc cancels)", matcher.text())
            }
            JobKind::Level { level, .. } => {
                format!("looking for {}… {percent}% (Esc cancels)", level.name())
            }
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

/// Starts looking for the next (previous) record at `level` or above from
/// the record at `start` (the screen's top record) over `fork`.
pub(super) fn level(
    id: u64,
    mut fork: Merge,
    start: Cursor,
    forward: bool,
    level: Level,
    events: Sender<Event>,
) -> Job {
    let job = Job::new(id, JobKind::Level { forward, level });
    let (stop, progress) = (job.stop.clone(), job.progress.clone());
    std::thread::spawn(move || {
        let result = find_level(&mut fork, &start, forward, level, &progress, &stop);
        let _ = events.send(Event::Job(Report::Level { id, result }));
    });
    job
}

/// Records between progress reports and looks at the stop flag.
const CHECK_EVERY: u64 = 4096;

fn find_level(
    merge: &mut Merge,
    start: &Cursor,
    forward: bool,
    level: Level,
    progress: &ScanProgress,
    stop: &AtomicBool,
) -> io::Result<Option<Cursor>> {
    let total = merge.total_len().max(1);
    merge.seek(start);
    let mut scanned = 0u64;
    let mut skipped_top = false;
    loop {
        let record = merge.record_toward(forward)?;
        let Some(record) = record else {
            return Ok(None);
        };
        if forward && !skipped_top {
            // The first record below the screen's top is the top record itself.
            skipped_top = true;
            continue;
        }
        if record.record.level >= level {
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
