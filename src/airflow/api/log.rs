//! A task attempt's log through the API, as a byte stream for a spool (so
//! the first screen shows while the rest arrives and RAM stays flat).
//!
//! * A finished attempt (or one not followed) is read once, as it streams:
//!   Airflow 3's NDJSON (`Accept: application/x-ndjson`, whose JSON answer
//!   would be built whole in the server's memory), Airflow 2's text.
//! * A running attempt that is followed is read in the JSON form, the only
//!   one that resumes: each answer carries a continuation token (its
//!   position counts records) until the attempt ends. Every poll makes the
//!   server read and merge the whole log again, so polls slow down when
//!   the server is slow and nothing new came.
//!
//! Airflow starts each log with a `Log message source details` group
//! naming where it found the log; a place it could not read (the worker's
//! log server, a remote store) is said there, inside a `200` answer. Such
//! lines stay in the stream (they are what the API returned) and are also
//! reported as the source's problem.

use std::io::{self, Read};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::value::RawValue;

use super::details::SourceDetails;
use super::{Api, ApiError, Generation};
use crate::airflow::AttemptId;
use crate::problem::Problem;
use crate::source::remote::http::BodyReader;
use crate::source::spool::Spool;
use crate::source::{spooled, Health, OpenError, SourceEntry};

/// Opens the log of attempt `id` as a source tagged `api`: followed while
/// the attempt runs if `follow`, else read once. Fails with a message that
/// names what is missing (the dag, run, task or try) or refused.
pub fn open(api: Arc<Api>, id: &AttemptId, follow: bool) -> Result<SourceEntry, OpenError> {
    let (segments, _) = endpoint(id);
    let shown = format!("{}/api/…/{}", api.shown(), segments[5..].join("/"));
    let failed = |problem: Problem| OpenError::Remote {
        path: shown.clone(),
        problem,
    };
    // The log itself is asked for by the spool's thread (the server may
    // take minutes to start answering): what is missing or refused is said
    // now, from the task instance.
    let live = match super::listing::task_instance(&api, id) {
        Ok(ti) if id.try_number > ti.try_number.max(1) => {
            return Err(failed(super::listing::explain_missing(&api, id)))
        }
        Ok(ti) => follow && is_live(ti.state.as_deref()),
        Err(ApiError::NotFound(_)) => {
            return Err(failed(super::listing::explain_missing(&api, id)))
        }
        Err(e) => return Err(failed(e.problem(&api))),
    };
    let health = Arc::new(Health::default());
    let log = ApiLog::new(api.clone(), id.clone(), live, health.clone());
    let label = format!("api:{id}");
    let io_failed = |e: io::Error| failed(Problem::io(&e));
    let spool = Spool::start_reporting(shown.clone().into(), label, "API download", log, health)
        .map_err(io_failed)?;
    let mut entry = spooled(spool).map_err(io_failed)?;
    entry.tag = Some("api".into());
    // The API answers the attempt's log as Airflow merged it: a copy of
    // the files, served file and remote objects of the attempt.
    entry.copy_of = Some(id.to_string());
    Ok(entry)
}

/// States in which an attempt still writes its log.
pub fn is_live(state: Option<&str>) -> bool {
    matches!(
        state,
        Some("running" | "deferred" | "queued" | "scheduled" | "up_for_reschedule" | "restarting")
    )
}

/// The path of an attempt's log endpoint and its query.
fn endpoint(id: &AttemptId) -> (Vec<String>, Vec<(&'static str, String)>) {
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

/// The first poll of a followed attempt waits this long at most; slower
/// servers are polled less often.
const POLL_EVERY: Duration = Duration::from_secs(1);
const POLL_AT_MOST_EVERY: Duration = Duration::from_secs(15);

enum Phase {
    /// The log is still to be asked for (as a stream, with this `Accept`).
    Ask(&'static str),
    /// Reading one streamed answer.
    Stream(BodyReader),
    /// Following: JSON answers, each after the token of the one before.
    Poll {
        token: Option<String>,
        next: Instant,
        every: Duration,
    },
    Done,
}

/// The log's bytes as they come, for [`Spool::start`](crate::source::spool::Spool::start).
pub struct ApiLog {
    api: Arc<Api>,
    id: AttemptId,
    health: Arc<Health>,
    phase: Phase,
    /// Bytes of the last poll not yet handed out.
    ready: Vec<u8>,
    taken: usize,
    details: SourceDetails,
    /// Airflow 2 text: the last poll ended mid-line and a line break was
    /// added for it.
    line_open: bool,
}

impl ApiLog {
    /// The log of `id`, asked for on the first read: streamed once, or
    /// followed through the JSON form while `follow` (the attempt is live).
    pub fn new(api: Arc<Api>, id: AttemptId, follow: bool, health: Arc<Health>) -> ApiLog {
        let phase = if follow {
            Phase::Poll {
                token: None,
                next: Instant::now(),
                every: POLL_EVERY,
            }
        } else {
            let accept = match api.generation {
                Generation::Airflow3 => "application/x-ndjson",
                Generation::Airflow2 => "text/plain",
            };
            Phase::Ask(accept)
        };
        ApiLog {
            api,
            details: SourceDetails::new(),
            id,
            health,
            phase,
            ready: Vec::new(),
            taken: 0,
            line_open: false,
        }
    }

    /// Asks for the log as a stream, saying meanwhile that the server has
    /// not begun to answer (a big log: it reads all of it first).
    fn ask(&mut self, accept: &str) -> io::Result<BodyReader> {
        self.health.report(
            Problem::new("waiting for the API server to start sending the log").with_tip(
                "Airflow reads and merges the whole log before it answers: minutes for a big one",
            ),
        );
        let (segments, query) = endpoint(&self.id);
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        match self.api.get_stream(&segments, &query, accept) {
            Ok(body) => Ok(body),
            Err(e) => {
                let problem = match e {
                    ApiError::NotFound(_) => super::listing::explain_missing(&self.api, &self.id),
                    other => other.problem(&self.api),
                };
                let what = problem.what().to_string();
                self.health.report(problem);
                Err(io::Error::other(what))
            }
        }
    }

    /// One poll: what the log gained since the last token, and the next
    /// token (`None` once the attempt has ended).
    fn poll(&mut self, token: Option<&str>) -> Result<(Vec<u8>, Option<String>), ApiError> {
        /// Airflow 3: structured records; Airflow 2: text, or the text of
        /// each host as a Python list of tuples. Kept raw, so that records
        /// are written as the server wrote them.
        #[derive(Deserialize)]
        struct Chunk {
            content: Box<RawValue>,
            continuation_token: Option<String>,
        }
        let (segments, mut query) = endpoint(&self.id);
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        if let Some(token) = token {
            query.push(("token", token.to_string()));
        }
        let chunk: Chunk = self.api.get_log_json(&segments, &query)?;
        let mut bytes = Vec::new();
        let content = chunk.content.get().trim_start();
        let invalid = |e: serde_json::Error| ApiError::Invalid(e.to_string());
        if content.starts_with('[') {
            let records: Vec<Box<RawValue>> = serde_json::from_str(content).map_err(invalid)?;
            for record in records {
                bytes.extend_from_slice(record.get().as_bytes());
                bytes.push(b'\n');
            }
        } else {
            let text: String = serde_json::from_str(content).map_err(invalid)?;
            let text = python_host_texts(&text).unwrap_or(text);
            // Airflow 2 resumes at a byte offset: a poll starts where
            // the last one stopped, mid-line or with the line break
            // that this side already wrote.
            let text = match (self.line_open, text.strip_prefix('\n')) {
                (true, Some(rest)) => rest.to_string(),
                _ => text,
            };
            if !text.is_empty() {
                bytes.extend_from_slice(text.as_bytes());
                self.line_open = !text.ends_with('\n');
                if self.line_open {
                    bytes.push(b'\n');
                }
            }
        }
        let token = chunk.continuation_token.filter(|t| !ends_the_log(t));
        Ok((bytes, token))
    }

    /// The attempt's state now, for saying how following ended.
    fn state(&self) -> Option<String> {
        super::listing::task_instance(&self.api, &self.id)
            .ok()
            .and_then(|ti| ti.state)
    }

    fn take_ready(&mut self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.ready.len() - self.taken);
        buf[..n].copy_from_slice(&self.ready[self.taken..self.taken + n]);
        self.taken += n;
        if self.taken == self.ready.len() {
            self.ready.clear();
            self.taken = 0;
        }
        n
    }
}

impl Read for ApiLog {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.taken < self.ready.len() {
                return Ok(self.take_ready(buf));
            }
            match &mut self.phase {
                Phase::Done => return Ok(0),
                Phase::Ask(accept) => {
                    let accept = *accept;
                    let mut body = self.ask(accept)?;
                    // The first bytes end the wait (and its problem).
                    let n = body.read(buf)?;
                    self.health.clear();
                    self.phase = if n == 0 {
                        Phase::Done
                    } else {
                        Phase::Stream(body)
                    };
                    if let Some(problem) = self.details.scan(&buf[..n]) {
                        self.health.report(problem);
                    }
                    return Ok(n);
                }
                Phase::Stream(body) => {
                    let n = body.read(buf)?;
                    if n == 0 {
                        self.phase = Phase::Done;
                    }
                    if let Some(problem) = self.details.scan(&buf[..n]) {
                        self.health.report(problem);
                    }
                    return Ok(n);
                }
                Phase::Poll { token, next, every } => {
                    let wait = next.saturating_duration_since(Instant::now());
                    std::thread::sleep(wait);
                    let (token, every) = (token.take(), *every);
                    let asked = Instant::now();
                    match self.poll(token.as_deref()) {
                        Ok((bytes, next_token)) => {
                            let took = asked.elapsed();
                            if let Some(problem) = self.details.scan(&bytes) {
                                self.health.report(problem);
                            }
                            let gained = !bytes.is_empty();
                            self.ready = bytes;
                            self.phase = match next_token {
                                Some(token) => {
                                    // A server that takes long to answer
                                    // (it re-reads the whole log) is asked
                                    // less often while nothing comes.
                                    let every = if gained {
                                        POLL_EVERY.max(took * 2)
                                    } else {
                                        (every * 2).max(took * 2)
                                    }
                                    .min(POLL_AT_MOST_EVERY);
                                    Phase::Poll {
                                        token: Some(token),
                                        next: Instant::now() + every,
                                        every,
                                    }
                                }
                                None => {
                                    let state = self.state().unwrap_or_else(|| "ended".into());
                                    self.health.note(format!(
                                        "{}: the task is {state}: following stopped",
                                        self.id
                                    ));
                                    Phase::Done
                                }
                            };
                        }
                        Err(e) => {
                            // Keep what arrived; the problem says where it stopped.
                            let problem = e.problem(&self.api).map_what(|what| {
                                format!("{what}; following stopped after what arrived")
                            });
                            let what = problem.what().to_string();
                            self.health.report(problem);
                            self.phase = Phase::Done;
                            return Err(io::Error::other(what));
                        }
                    }
                }
            }
        }
    }
}

/// Airflow 2 answers with a token also once the log has ended; its signed
/// payload (`{"end_of_log": true, "log_pos": …}`, base64 before the first
/// dot) says so.
fn ends_the_log(token: &str) -> bool {
    use base64::Engine as _;
    let payload = token.split('.').next().unwrap_or("");
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()
        .and_then(|json| serde_json::from_slice::<serde_json::Value>(&json).ok())
        .and_then(|v| v.get("end_of_log")?.as_bool())
        .unwrap_or(false)
}

/// The texts of Airflow 2's `[('host', 'text'), …]` (a Python list's repr),
/// joined; `None` if `content` is not one.
fn python_host_texts(content: &str) -> Option<String> {
    let mut rest = content.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
    let mut texts = String::new();
    while !rest.is_empty() {
        rest = rest.strip_prefix('(')?.trim_start();
        let (_host, after) = python_string(rest)?;
        rest = after.trim_start().strip_prefix(',')?.trim_start();
        let (text, after) = python_string(rest)?;
        texts.push_str(&text);
        rest = after.trim_start().strip_prefix(')')?.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    Some(texts)
}

/// A Python string literal at the start of `s` (quoted with ' or "), with
/// its escapes undone, and what follows it.
fn python_string(s: &str) -> Option<(String, &str)> {
    let quote = s.chars().next().filter(|&c| c == '\'' || c == '"')?;
    let mut out = String::new();
    let mut chars = s[1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                let (_, escaped) = chars.next()?;
                match escaped {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    '0' => out.push('\0'),
                    'x' | 'u' | 'U' => {
                        let digits = match escaped {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let hex: String = (0..digits)
                            .filter_map(|_| chars.next().map(|(_, c)| c))
                            .collect();
                        out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                    }
                    other => out.push(other),
                }
            }
            c if c == quote => return Some((out, &s[1 + i + 1..])),
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn airflow_2_content_is_a_python_list_of_host_texts() {
        let content =
            r#"[('vm', ' INFO - ::group::x\n*** it\'s "here"\n\u00e9\x41'), ("w2", 'b\\c')]"#;
        assert_eq!(
            python_host_texts(content).as_deref(),
            Some(" INFO - ::group::x\n*** it's \"here\"\néAb\\c")
        );
        assert_eq!(python_host_texts("plain text"), None);
        assert_eq!(python_host_texts("[('unterminated"), None);
    }

    #[test]
    fn a_token_says_when_the_log_ended() {
        // itsdangerous payloads of Airflow 2.10's answers.
        assert!(ends_the_log(
            "eyJlbmRfb2ZfbG9nIjp0cnVlLCJsb2dfcG9zIjoxMjd9.UvR-P6j23Lh9HZZnhOcoaENnhJg"
        ));
        assert!(!ends_the_log(
            "eyJlbmRfb2ZfbG9nIjpmYWxzZSwibG9nX3BvcyI6MTkwfQ.lmxiRgvvz8A_vIY-mtrYNzHED7I"
        ));
        assert!(!ends_the_log("not a token"));
    }

    #[test]
    fn live_states() {
        assert!(is_live(Some("running")));
        assert!(is_live(Some("deferred")));
        assert!(!is_live(Some("success")));
        assert!(!is_live(None));
    }
}
