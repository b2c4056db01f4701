//! A task attempt's log through the API, as a byte stream for a spool (so
//! the first screen shows while the rest arrives and RAM stays flat).
//!
//! * Not followed, a try is read once, as it streams: Airflow 3's NDJSON
//!   (`Accept: application/x-ndjson`, whose JSON answer would be built
//!   whole in the server's memory), Airflow 2's text.
//! * Followed, a try is polled in the JSON form, the only one that
//!   resumes, until it is over (`tries::TryLog`); following the task
//!   rather than one try (no `--try`), each try that follows joins as a
//!   source of its own (tagged `try1`, `try2`, …).
//!
//! Airflow starts each log with a `Log message source details` group
//! naming where it found the log; a place it could not read (the worker's
//! log server, a remote store) is said there, inside a `200` answer. Such
//! lines stay in the stream (they are what the API returned) and are also
//! reported as the source's problem.

use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;

use super::details::SourceDetails;
use super::tries::TryLog;
use super::worker::{FromWorker, Workers};
use super::{Api, ApiError, Generation};
use crate::airflow::AttemptId;
use crate::problem::Problem;
use crate::source::remote::http::BodyReader;
use crate::source::spool::Spool;
use crate::source::{spooled, Health, OpenError, SourceEntry};

/// How a log is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Following {
    /// Once, as it is now.
    No,
    /// This try, until it is over (`--try N`).
    Try,
    /// The task: this try, then each try after it, until the task is finished.
    Task,
}

/// The opened log, and the tries that join it later (following the task).
pub struct Opened {
    pub entry: SourceEntry,
    pub arrivals: Option<Receiver<SourceEntry>>,
}

/// Opens the log of attempt `id` as a source. Fails with a message that
/// names what is missing (the dag, run, task or try) or refused. Following
/// the task, a try that has not started yet is waited for. A try whose
/// file the API server could not read from its worker is read from there
/// through `workers` (when a secret key is known) and joins on `arrivals`.
pub fn open(
    api: Arc<Api>,
    id: &AttemptId,
    following: Following,
    workers: &Workers,
) -> Result<Opened, OpenError> {
    let failed = |problem: Problem| OpenError::Remote {
        path: shown(&api, id),
        problem,
    };
    // The log itself is asked for by the spool's thread (the server may
    // take minutes to start answering): what is missing or refused is said
    // now, from the task instance.
    match super::listing::task_instance(&api, id) {
        // Read once, a try must have run; followed, a later try is waited
        // for while the task may still reach it.
        Ok(ti)
            if match following {
                Following::No => id.try_number > ti.try_number,
                Following::Try => {
                    id.try_number > ti.try_number.max(1) && super::listing::is_finished(&ti)
                }
                Following::Task => false,
            } =>
        {
            return Err(failed(super::listing::explain_missing(&api, id)))
        }
        Ok(_) => {}
        Err(ApiError::NotFound(_)) => {
            return Err(failed(super::listing::explain_missing(&api, id)))
        }
        Err(e) => return Err(failed(e.problem(&api))),
    }
    let health = Arc::new(Health::default());
    let io_failed = |e: io::Error| failed(Problem::io(&e));
    // Tries follow one another on one channel, with the worker copies of
    // those the API server could not read; one try's copy alone otherwise.
    let (send, arrivals) = mpsc::channel();
    let reading_workers = following == Following::Task || workers.secret.is_some();
    let arrivals = reading_workers.then_some(arrivals);
    let send = reading_workers.then_some(send);
    let (tag, copy_tag) = match following {
        Following::Task => (
            try_tag(id.try_number),
            format!("{}.served", try_tag(id.try_number)),
        ),
        _ => ("api".to_string(), "served".to_string()),
    };
    let from_worker = FromWorker::new(workers.clone(), send.clone(), copy_tag);
    let entry = match following {
        Following::No => {
            let log = ApiLog::new(api.clone(), id.clone(), health.clone(), from_worker);
            spool(&api, id, log, health, tag)
        }
        Following::Try | Following::Task => {
            let next = send.filter(|_| following == Following::Task);
            let log = TryLog::new(
                api.clone(),
                id.clone(),
                health.clone(),
                next,
                workers.clone(),
                from_worker,
            );
            spool(&api, id, log, health, tag)
        }
    }
    .map_err(io_failed)?;
    Ok(Opened { entry, arrivals })
}

/// How a try is tagged when the task is followed: each line says its try.
pub(super) fn try_tag(try_number: u32) -> String {
    format!("try{try_number}")
}

/// The log's place as messages show it (no credentials).
fn shown(api: &Api, id: &AttemptId) -> String {
    let (segments, _) = endpoint(id);
    format!("{}/api/…/{}", api.shown(), segments[5..].join("/"))
}

/// A spooled source reading `log` (asked for on the spool's thread),
/// tagged `tag`, whose background work reports to `health`.
pub(super) fn spool(
    api: &Api,
    id: &AttemptId,
    log: impl Read + Send + 'static,
    health: Arc<Health>,
    tag: String,
) -> io::Result<SourceEntry> {
    let label = format!("api:{id}");
    let spool = Spool::start_reporting(shown(api, id).into(), label, "API download", log, health)?;
    let mut entry = spooled(spool)?;
    entry.tag = Some(tag);
    // The API answers the attempt's log as Airflow merged it: a copy of
    // the files, served file and remote objects of the attempt.
    entry.copy_of = Some(id.to_string());
    Ok(entry)
}

/// The path of an attempt's log endpoint and its query.
pub(super) fn endpoint(id: &AttemptId) -> (Vec<String>, Vec<(&'static str, String)>) {
    let segments = vec![
        "dags".to_string(),
        id.dag.clone(),
        "dagRuns".to_string(),
        id.run.clone(),
        "taskInstances".to_string(),
        id.task.clone(),
        "logs".to_string(),
        id.try_number.to_string(),
    ];
    let mut query = vec![("full_content", "true".to_string())];
    if let Some(index) = id.map_index.filter(|&i| i >= 0) {
        query.push(("map_index", index.to_string()));
    }
    (segments, query)
}

/// Asks for the log of `id` as a stream, saying meanwhile that the server
/// has not begun to answer (a big log: it reads all of it first); the
/// caller clears that once the first bytes came.
pub(super) fn ask(api: &Api, id: &AttemptId, health: &Health) -> io::Result<BodyReader> {
    health.set_status(super::tries::WAITING_FOR_THE_SERVER);
    let (segments, query) = endpoint(id);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let accept = match api.generation {
        Generation::Airflow3 => "application/x-ndjson",
        Generation::Airflow2 => "text/plain",
    };
    api.get_stream(&segments, &query, accept).map_err(|e| {
        health.clear_status();
        let problem = match e {
            ApiError::NotFound(_) => super::listing::explain_missing(api, id),
            other => other.problem(api),
        };
        let what = problem.what().to_string();
        health.report(problem);
        io::Error::other(what)
    })
}

/// A log read once, as it streams, for [`Spool::start`](crate::source::spool::Spool::start).
pub struct ApiLog {
    api: Arc<Api>,
    id: AttemptId,
    health: Arc<Health>,
    body: Option<BodyReader>,
    details: SourceDetails,
    from_worker: FromWorker,
    done: bool,
}

impl ApiLog {
    /// The log of `id`, asked for on the first read.
    pub(super) fn new(
        api: Arc<Api>,
        id: AttemptId,
        health: Arc<Health>,
        from_worker: FromWorker,
    ) -> ApiLog {
        ApiLog {
            api,
            id,
            health,
            body: None,
            details: SourceDetails::new(),
            from_worker,
            done: false,
        }
    }
}

impl Read for ApiLog {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        let body = match &mut self.body {
            Some(body) => body,
            None => self.body.insert(ask(&self.api, &self.id, &self.health)?),
        };
        let n = body.read(buf)?;
        self.health.clear_status();
        if let Some(problem) = self.details.scan(&buf[..n]) {
            let unread = self.details.worker_unread();
            let problem = self
                .from_worker
                .explain(&self.api, &self.id, problem, unread);
            self.health.report(problem);
        }
        if n == 0 {
            // Before the end is told: a print waits for the end, then
            // takes what joined.
            self.from_worker.fetch(&self.id, &self.health);
            self.done = true;
        }
        Ok(n)
    }
}
