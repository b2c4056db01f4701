//! Following a try through the API — and, without `--try`, the task from
//! one try to the next.
//!
//! A [`TryLog`] is the spool's reader for one try. Before the try runs it
//! watches the task instance and says what it waits for; while the try
//! runs (or is deferred) it polls the log's JSON form with continuation
//! tokens ([`super::shown`] makes each record come once); while the try
//! waits to go on (queued after a deferral, up for reschedule) it watches
//! the task instance again; once the try is over it reads the log one
//! last time. Following the task, it then opens the next try — which waits
//! for its start, saying so — and sends it to join, or says that the task
//! is finished, and ends. Every poll makes the server read and merge the
//! whole log again, so polls come less often while the server is slow,
//! and what the follower waits for is said meanwhile (the source's status).

use std::io::{self, Read, Write};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::value::RawValue;

use super::answer::{self, Spill};
use super::details::SourceDetails;
use super::listing::{self, TaskInstance};
use super::log::{ask, endpoint, spool, try_tag};
use super::shown::{AskEarlier, Reconciler, Request};
use super::text::{content_text, ends_the_log, TextLines};
use super::worker::{FromWorker, Workers};
use super::{Api, ApiError, Generation};
use crate::airflow::AttemptId;
use crate::source::remote::http::BodyReader;
use crate::source::{Health, SourceEntry};

/// What a source says while a request for its log is out.
pub const WAITING_FOR_THE_SERVER: &str =
    "waiting for the server (Airflow reads the whole log before answering)";

/// How often the task instance is looked at while a try is awaited.
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// How often a running try's log is asked for, at least and at most: a
/// server that takes long to answer (it reads the whole log) is asked less
/// often, and so is one whose log stays quiet (up to [`QUIET_EVERY`]).
const POLL_EVERY: Duration = Duration::from_secs(1);
const POLL_AT_MOST_EVERY: Duration = Duration::from_secs(15);
const QUIET_EVERY: Duration = Duration::from_secs(4);

/// A try that is over is read once more this long after: what its
/// process wrote as it ended.
const LAST_READ_AFTER: Duration = Duration::from_secs(1);

/// Where the task instance is, for one try.
#[derive(Debug, PartialEq, Eq)]
enum Stage {
    /// The try has not started (the state says what the task does).
    Before(String),
    /// It runs, or is deferred (its trigger runs and writes to the log).
    Running,
    /// It ran and waits to go on: queued after a deferral, up for reschedule.
    Between(String),
    /// It is over: finished, failed, up for retry, or a later try began.
    Over(String),
    /// It will never run: the task finished before it (skipped, its
    /// upstream failed, its last try failed).
    Never(String),
}

fn stage(ti: &TaskInstance, try_number: u32, started: bool) -> Stage {
    let state = ti
        .state
        .clone()
        .unwrap_or_else(|| "not scheduled yet".into());
    if ti.try_number < try_number {
        if listing::is_finished(ti) {
            return Stage::Never(state);
        }
        return Stage::Before(state);
    }
    if ti.try_number > try_number {
        return Stage::Over(state);
    }
    match state.as_str() {
        "running" | "deferred" => Stage::Running,
        "not scheduled yet" | "none" | "scheduled" | "queued" if !started => Stage::Before(state),
        "not scheduled yet" | "none" | "scheduled" | "queued" | "up_for_reschedule"
        | "restarting" => Stage::Between(state),
        _ => Stage::Over(state),
    }
}

enum Phase {
    /// Watching the task instance until the try starts (at this time next).
    Waiting(Instant),
    /// Polling the log (next at this time).
    Polling(Instant),
    /// Watching the task instance until the try goes on.
    Resuming(Instant),
    /// Reading the log one last time (at this time).
    Last(Instant),
    /// A try that was over before it was polled: read once as it streams.
    Streaming(BodyReader),
    Done,
}

/// How answers are made whole: Airflow 3's records matched against those
/// shown; Airflow 2's text from the character its token names, lines
/// held until whole.
enum Reading {
    Records(Reconciler),
    Text {
        token: Option<String>,
        lines: TextLines,
    },
}

/// One try's log while it is followed, for a spool.
pub struct TryLog {
    api: Arc<Api>,
    id: AttemptId,
    health: Arc<Health>,
    /// Where the task's next try goes (following the task); `None`: this
    /// try only.
    next: Option<Sender<SourceEntry>>,
    phase: Phase,
    reading: Reading,
    /// The last poll's new records, until handed out.
    ready: Spill,
    details: SourceDetails,
    /// How later tries reach the workers; this try's file from its worker.
    workers: Workers,
    from_worker: FromWorker,
    every: Duration,
    /// Something of the try was polled: its last read polls too.
    polled: bool,
}

impl TryLog {
    /// Follows try `id`; `next` receives the task's next try, if any, and
    /// `from_worker` reads its file from where it ran if the API could not.
    pub(super) fn new(
        api: Arc<Api>,
        id: AttemptId,
        health: Arc<Health>,
        next: Option<Sender<SourceEntry>>,
        workers: Workers,
        from_worker: FromWorker,
    ) -> TryLog {
        let reading = match api.generation {
            Generation::Airflow3 => Reading::Records(Reconciler::default()),
            Generation::Airflow2 => Reading::Text {
                token: None,
                lines: TextLines::default(),
            },
        };
        TryLog {
            api,
            id,
            health,
            next,
            phase: Phase::Waiting(Instant::now()),
            reading,
            ready: Spill::default(),
            details: SourceDetails::new(),
            workers,
            from_worker,
            every: POLL_EVERY,
            polled: false,
        }
    }

    /// `dag/run/task[3]`, for what is said about the task.
    fn task(&self) -> String {
        let name = self.id.to_string();
        match name.rsplit_once(" try ") {
            Some((task, _)) => task.to_string(),
            None => name,
        }
    }

    /// The task instance now, as far as this try is concerned.
    fn look(&self, started: bool) -> io::Result<Stage> {
        listing::task_instance(&self.api, &self.id)
            .map(|ti| stage(&ti, self.id.try_number, started))
            .map_err(|e| self.stop(e))
    }

    /// Ends following on `e`: what arrived stays, the problem says where
    /// it stopped.
    fn stop(&self, e: ApiError) -> io::Error {
        let problem = e
            .problem(&self.api)
            .map_what(|what| format!("{what}; following stopped after what arrived"));
        let what = problem.what().to_string();
        self.health.report(problem);
        io::Error::other(what)
    }

    /// One poll of the log (asked again from further back when the answer
    /// may lack records); queues what is new. `live`: the try runs, so
    /// half-lines wait. Returns whether the server says the log ended.
    fn poll(&mut self, live: bool) -> io::Result<bool> {
        self.health.set_status(WAITING_FOR_THE_SERVER);
        let asked = Instant::now();
        // Polls come once what the last one brought was handed out.
        self.ready.clear();
        let ready = &mut self.ready;
        let polled = match &mut self.reading {
            Reading::Records(reconciler) => {
                poll_records(&self.api, &self.id, reconciler, live, ready)
            }
            Reading::Text { token, lines } => {
                poll_text(&self.api, &self.id, token, lines, live, ready)
            }
        };
        self.health.clear_status();
        let ended = polled.map_err(|e| {
            self.ready.clear();
            self.phase = Phase::Done;
            self.stop(e)
        })?;
        let took = asked.elapsed();
        // The source details open the log: they are in what memory holds.
        if let Some(problem) = self.details.scan(self.ready.head()) {
            self.report_details(problem);
        }
        // A slow server is asked less often; so is a quiet log, a little.
        let base = (took * 2).clamp(POLL_EVERY, POLL_AT_MOST_EVERY);
        self.every = if self.ready.is_empty() {
            (self.every * 2).min(QUIET_EVERY).max(base)
        } else {
            base
        };
        if base >= Duration::from_secs(3) {
            self.health.set_status(format!(
                "the server is slow to answer: asking it every {} s",
                self.every.as_secs()
            ));
        }
        self.polled = true;
        Ok(ended)
    }

    /// Looks for Airflow's source details in `bytes`: a place it could not
    /// read is the source's problem (and the worker's copy is read here).
    fn scan(&mut self, bytes: &[u8]) {
        if let Some(problem) = self.details.scan(bytes) {
            self.report_details(problem);
        }
    }

    /// Reports a place the API server could not read (and reads the
    /// worker's copy from where it ran, when it can).
    fn report_details(&mut self, problem: crate::problem::Problem) {
        let unread = self.details.worker_unread();
        let problem = self
            .from_worker
            .explain(&self.api, &self.id, problem, unread);
        self.health.report(problem);
    }

    /// The try is over and read: its worker's copy joins if the API could
    /// not read it, then opens the task's next try (following the task
    /// and the task goes on), or says how the task ended.
    fn end_of_try(&mut self) {
        self.phase = Phase::Done;
        self.health.clear_status();
        self.from_worker.fetch(&self.id, &self.health);
        let n = self.id.try_number;
        let ti = listing::task_instance(&self.api, &self.id).ok();
        let state = ti.as_ref().and_then(|ti| ti.state.clone());
        let later = ti.as_ref().is_some_and(|ti| ti.try_number > n);
        let retrying = state.as_deref() == Some("up_for_retry");
        let task = self.task();
        // The retry may be queued already: how this try ended is in the
        // task instance's history.
        let ended = || {
            let state = if retrying {
                state.clone()
            } else {
                listing::attempt(&self.api, &self.id)
                    .ok()
                    .and_then(|t| t.state)
            };
            match state.as_deref() {
                Some("failed" | "up_for_retry") => "failed".to_string(),
                Some(state) => format!("ended {state}"),
                None => "is over".to_string(),
            }
        };
        match self.next.take() {
            Some(next) if later || retrying => {
                let ended = ended();
                let then = if ended == "failed" {
                    "waiting for"
                } else {
                    "following"
                };
                self.health
                    .note(format!("{task}: try {n} {ended}; {then} try {}", n + 1));
                let id = AttemptId {
                    try_number: n + 1,
                    ..self.id.clone()
                };
                let health = Arc::new(Health::default());
                let from_worker = FromWorker::new(
                    self.workers.clone(),
                    Some(next.clone()),
                    format!("{}.served", try_tag(n + 1)),
                );
                let log = TryLog::new(
                    self.api.clone(),
                    id.clone(),
                    health.clone(),
                    Some(next.clone()),
                    self.workers.clone(),
                    from_worker,
                );
                match spool(&self.api, &id, log, health, try_tag(n + 1)) {
                    // A follower that is gone (the viewer quit) needs none.
                    Ok(entry) => drop(next.send(entry)),
                    Err(e) => self.health.report(
                        crate::problem::Problem::io(&e)
                            .map_what(|what| format!("cannot follow try {}: {what}", n + 1)),
                    ),
                }
            }
            // `--try N`: this try's end, from its own state once the task
            // went on to another.
            None if later || retrying => {
                let ended = ended();
                let after = if later { "went on to" } else { "waits for" };
                self.stopped(format!(
                    "{}: try {n} {ended}: following stopped (the task {after} try {}; \
                     without --try the task is followed)",
                    self.id,
                    ti.map_or(n + 1, |ti| ti.try_number.max(n + 1)),
                ));
            }
            _ => {
                let state = state.unwrap_or_else(|| "over".into());
                self.stopped(format!(
                    "{}: the task is {state}: following stopped",
                    self.id
                ));
            }
        }
    }

    /// Following ended for good: said once, and kept as the source's
    /// status (the viewer's status bar shows it after the note is gone).
    fn stopped(&self, text: String) {
        self.health.note(text.clone());
        self.health.set_status(text);
    }
}

fn sleep_until(at: Instant) {
    std::thread::sleep(at.saturating_duration_since(Instant::now()));
}

impl Read for TryLog {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if !self.ready.is_drained() {
                return self.ready.read(buf);
            }
            // Each arm leaves the phase that comes next (an error: done).
            match std::mem::replace(&mut self.phase, Phase::Done) {
                Phase::Done => return Ok(0),
                Phase::Streaming(mut body) => {
                    let read = body.read(buf);
                    self.health.clear_status();
                    let got = read?;
                    if got == 0 {
                        self.end_of_try();
                        continue;
                    }
                    self.phase = Phase::Streaming(body);
                    self.scan(&buf[..got]);
                    return Ok(got);
                }
                Phase::Waiting(at) => {
                    sleep_until(at);
                    self.phase = self.go_on(self.look(false)?)?;
                }
                Phase::Resuming(at) => {
                    sleep_until(at);
                    self.phase = self.go_on(self.look(true)?)?;
                }
                Phase::Polling(at) => {
                    sleep_until(at);
                    let ended = self.poll(true)?;
                    self.phase = if ended {
                        // Not running now: over, or waiting to go on.
                        match self.look(true)? {
                            Stage::Over(_) => Phase::Last(Instant::now() + LAST_READ_AFTER),
                            stage => self.go_on(stage)?,
                        }
                    } else {
                        Phase::Polling(Instant::now() + self.every)
                    };
                }
                Phase::Last(at) => {
                    sleep_until(at);
                    self.poll(false)?;
                    self.end_of_try();
                }
            }
        }
    }
}

impl TryLog {
    /// What comes after a look at the task instance found `stage`.
    fn go_on(&mut self, stage: Stage) -> io::Result<Phase> {
        let n = self.id.try_number;
        Ok(match stage {
            Stage::Before(state) => {
                self.health
                    .set_status(format!("waiting for try {n}: the task is {state}"));
                Phase::Waiting(Instant::now() + LOOK_EVERY)
            }
            Stage::Between(state) => {
                self.health.set_status(format!(
                    "try {n}: the task is {state}: waiting for it to go on"
                ));
                Phase::Resuming(Instant::now() + LOOK_EVERY)
            }
            Stage::Running => {
                self.health.clear_status();
                Phase::Polling(
                    Instant::now()
                        + if self.polled {
                            self.every
                        } else {
                            Duration::ZERO
                        },
                )
            }
            Stage::Never(state) => {
                self.stopped(format!(
                    "{}: the task is {state}: try {n} never ran: following stopped",
                    self.task()
                ));
                Phase::Done
            }
            Stage::Over(_) if self.polled => Phase::Last(Instant::now()),
            Stage::Over(_) => Phase::Streaming(ask(&self.api, &self.id, &self.health)?),
        })
    }
}

/// Airflow 2's answer to a poll: its text, and the next token.
#[derive(Deserialize)]
struct Chunk<'a> {
    #[serde(borrow)]
    content: &'a RawValue,
    continuation_token: Option<String>,
}

/// Asks for the log's JSON form from `token` (the start without one).
fn ask_json(api: &Api, id: &AttemptId, token: Option<&str>) -> Result<BodyReader, ApiError> {
    let (segments, mut query) = endpoint(id);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    if let Some(token) = token {
        query.push(("token", token.to_string()));
    }
    api.get_stream(&segments, &query, "application/json")
}

/// Airflow 3: the records not shown before, each once, into `out` as the
/// answer streams (asked again from further back while records may hide
/// before its start). Returns whether the server says the log ended.
fn poll_records(
    api: &Api,
    id: &AttemptId,
    reconciler: &mut Reconciler,
    live: bool,
    out: &mut Spill,
) -> Result<bool, ApiError> {
    let mut request = reconciler.request();
    loop {
        out.clear();
        let body = ask_json(api, id, request.token.as_deref())?;
        let mut taking = reconciler.begin(&request, live);
        let next = answer::records(body, |record| taking.record(record, out))?;
        let ended = next.is_none();
        let spilled = |e: io::Error| ApiError::Transport(e.to_string());
        match taking.finish(next, out).map_err(spilled)? {
            Ok(()) => return Ok(ended),
            Err(AskEarlier) => {
                request = reconciler
                    .earlier(&request)
                    .unwrap_or(Request { token: None, at: 0 })
            }
        }
    }
}

/// Airflow 2: the text from where the last poll stopped, in whole lines,
/// into `out`. Returns whether the server says the log ended.
fn poll_text(
    api: &Api,
    id: &AttemptId,
    token: &mut Option<String>,
    lines: &mut TextLines,
    live: bool,
    out: &mut Spill,
) -> Result<bool, ApiError> {
    let mut answer = Vec::new();
    ask_json(api, id, token.as_deref())?
        .read_to_end(&mut answer)
        .map_err(|e| ApiError::Transport(e.to_string()))?;
    let chunk: Chunk =
        serde_json::from_slice(&answer).map_err(|e| ApiError::Invalid(e.to_string()))?;
    let text: String =
        serde_json::from_str(chunk.content.get()).map_err(|e| ApiError::Invalid(e.to_string()))?;
    let ended = chunk.continuation_token.as_deref().is_none_or(ends_the_log);
    // Airflow 2 resumes at the character its token names, ended or not.
    if let Some(next) = chunk.continuation_token {
        *token = Some(next);
    }
    let mut bytes = lines.take(&content_text(text));
    if !live {
        bytes.extend(lines.finish());
    }
    out.write_all(&bytes)
        .map_err(|e| ApiError::Transport(e.to_string()))?;
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ti(state: Option<&str>, try_number: u32) -> TaskInstance {
        TaskInstance {
            task_id: "t".into(),
            map_index: -1,
            try_number,
            state: state.map(str::to_string),
            start_date: None,
            hostname: None,
        }
    }

    #[test]
    fn a_try_is_before_running_between_or_over() {
        assert_eq!(
            stage(&ti(None, 0), 1, false),
            Stage::Before("not scheduled yet".into())
        );
        assert_eq!(
            stage(&ti(Some("queued"), 1), 1, false),
            Stage::Before("queued".into())
        );
        assert_eq!(
            stage(&ti(Some("up_for_retry"), 1), 2, false),
            Stage::Before("up_for_retry".into())
        );
        assert_eq!(stage(&ti(Some("running"), 2), 2, false), Stage::Running);
        assert_eq!(stage(&ti(Some("deferred"), 2), 2, true), Stage::Running);
        // Queued again after its trigger fired: the try goes on.
        assert_eq!(
            stage(&ti(Some("queued"), 2), 2, true),
            Stage::Between("queued".into())
        );
        assert_eq!(
            stage(&ti(Some("up_for_reschedule"), 2), 2, true),
            Stage::Between("up_for_reschedule".into())
        );
        assert_eq!(
            stage(&ti(Some("up_for_retry"), 1), 1, true),
            Stage::Over("up_for_retry".into())
        );
        assert_eq!(
            stage(&ti(Some("success"), 2), 2, true),
            Stage::Over("success".into())
        );
        assert_eq!(
            stage(&ti(Some("running"), 3), 2, true),
            Stage::Over("running".into())
        );
    }
}
