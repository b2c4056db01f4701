//! Event stores: logs kept as events or documents rather than as files —
//! CloudWatch Logs' events, Elasticsearch's and OpenSearch's documents —
//! read page by page into a spool as they come, so the first screen shows
//! at once and memory stays flat (one page at a time, however long the log).
//!
//! A store only knows how to fetch its next page ([`Pages`]); [`EventLog`]
//! turns the pages into the spool's byte stream, retries what is worth
//! retrying (throttling, 5xx, timeouts) with backoff and, when followed,
//! asks again for what is newer once it has caught up.

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::spool::Spool;
use super::{spooled, Health, Problem, SourceEntry};
use crate::record::format::TsFormat;

/// What went wrong asking a store for a page.
#[derive(Debug, Clone)]
pub enum StoreError {
    /// Worth asking again: throttling, 5xx, a timeout, a refused connection.
    Transient(String),
    /// What is missing (a log group, a stream, an index), named.
    Missing(String),
    /// Refused or wrong, with what to check.
    Failed(Problem),
}

impl StoreError {
    /// The error as a source's problem.
    pub fn problem(&self) -> Problem {
        match self {
            StoreError::Transient(why) => Problem::new(why.clone()).with_tip(
                "check that the server is up and reachable from here (proxy, VPN, firewall)",
            ),
            StoreError::Missing(what) => Problem::new(what.clone()),
            StoreError::Failed(problem) => problem.clone(),
        }
    }
}

/// One page of lines, each ending with `\n`.
#[derive(Debug, Default)]
pub struct Page {
    pub bytes: Vec<u8>,
    /// The store had nothing after this page (yet).
    pub caught_up: bool,
}

/// A store's log, one page after another.
pub trait Pages: Send + 'static {
    /// Where the log is, for messages.
    fn location(&self) -> String;

    /// The page after the last one; asked again after `caught_up` (when
    /// followed), it returns what came since.
    fn next_page(&mut self) -> Result<Page, StoreError>;
}

/// How often a store is asked before a transient error is final.
const ATTEMPTS: u32 = 7;

/// Runs `op`, retrying transient errors with backoff (250 ms doubling: 16
/// s in all), saying so in `health`; the final error is reported there too.
pub fn retrying<T>(
    health: &Health,
    what: &str,
    mut op: impl FnMut() -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut wait = Duration::from_millis(250);
    let mut attempt = 1;
    loop {
        match op() {
            Err(StoreError::Transient(why)) if attempt < ATTEMPTS => {
                health.report(Problem::new(format!("{what}: {why}, retrying")));
                std::thread::sleep(wait);
                wait *= 2;
                attempt += 1;
            }
            Err(e) => {
                health.report(e.problem().map_what(|e| format!("{what}: {e}")));
                return Err(e);
            }
            Ok(value) => {
                health.clear();
                return Ok(value);
            }
        }
    }
}

/// A followed store is asked again this soon after it caught up, then less
/// often while nothing comes.
const POLL_EVERY: Duration = Duration::from_secs(1);
const POLL_AT_MOST_EVERY: Duration = Duration::from_secs(10);

/// A store's log as a byte stream for a [`Spool`].
pub struct EventLog<P: Pages> {
    pages: P,
    health: Arc<Health>,
    follow: bool,
    ready: Vec<u8>,
    taken: usize,
    /// Caught up: the next page is asked for at this time (following), or
    /// never (`None`, not following).
    next_ask: Option<Instant>,
    every: Duration,
    done: bool,
}

impl<P: Pages> EventLog<P> {
    /// The log of `pages`, beginning with `first` (a page read while
    /// opening, which said whether anything is there).
    pub fn new(pages: P, first: Page, follow: bool, health: Arc<Health>) -> Self {
        let mut log = EventLog {
            pages,
            health,
            follow,
            ready: Vec::new(),
            taken: 0,
            next_ask: None,
            every: POLL_EVERY,
            done: false,
        };
        log.take_page(first);
        log
    }

    fn take_page(&mut self, page: Page) {
        let gained = !page.bytes.is_empty();
        self.ready = page.bytes;
        self.taken = 0;
        if page.caught_up {
            if !self.follow {
                self.done = true;
                return;
            }
            self.every = if gained {
                POLL_EVERY
            } else {
                (self.every * 2).min(POLL_AT_MOST_EVERY)
            };
            self.next_ask = Some(Instant::now() + self.every);
        } else {
            self.next_ask = None;
        }
    }
}

impl<P: Pages> Read for EventLog<P> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.taken < self.ready.len() {
                let n = buf.len().min(self.ready.len() - self.taken);
                buf[..n].copy_from_slice(&self.ready[self.taken..self.taken + n]);
                self.taken += n;
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            if let Some(at) = self.next_ask {
                std::thread::sleep(at.saturating_duration_since(Instant::now()));
            }
            let what = self.pages.location();
            match retrying(&self.health, &what, || self.pages.next_page()) {
                Ok(page) => self.take_page(page),
                Err(e) => {
                    // Keep what arrived; the health says where it stopped.
                    self.done = true;
                    let problem = e.problem().map_what(|e| format!("{what}: {e}"));
                    let said = problem.what().to_string();
                    self.health.report(problem);
                    return Err(io::Error::other(said));
                }
            }
        }
    }
}

/// Opens a store's log as a spooled source: `first` is there at once, the
/// rest follows on the spool's thread (and, if `follow`, what comes later).
pub fn open<P: Pages>(
    pages: P,
    first: Page,
    label: String,
    tag: Option<String>,
    follow: bool,
) -> io::Result<SourceEntry> {
    let health = Arc::new(Health::default());
    let path = PathBuf::from(pages.location());
    let log = EventLog::new(pages, first, follow, health.clone());
    let spool = Spool::start_reporting(path, label, "download", log, health)?;
    let mut entry = spooled(spool)?;
    entry.tag = tag;
    Ok(entry)
}

/// Appends one event as lines: its message as written when its first line
/// has a timestamp logweave reads (an Airflow 2 line, an Airflow 3 JSON
/// line, an ISO one), so a copy of a local line stays the same bytes and
/// dedup finds it; else the event's own time (when it has one) is added as
/// Airflow's own readers add it — a `"timestamp"` key first in a JSON
/// object, a `[2024-12-19T10:00:00.123+0000] ` prefix before text. A
/// message that holds line breaks stays as its lines (one record).
pub fn push_event(out: &mut Vec<u8>, message: &str, millis: Option<i64>) {
    let message = message.strip_suffix('\n').unwrap_or(message);
    let message = message.strip_suffix('\r').unwrap_or(message);
    let first = message.lines().next().unwrap_or("").as_bytes();
    let timed = [
        TsFormat::airflow_text(),
        TsFormat::airflow_json(),
        TsFormat::iso(),
    ]
    .iter()
    .any(|format| format.parse(first).is_some());
    let time = millis.and_then(chrono::DateTime::from_timestamp_millis);
    let Some(time) = time.filter(|_| !timed) else {
        out.extend_from_slice(message.as_bytes());
        out.push(b'\n');
        return;
    };
    if let Some(rest) = message.trim_start().strip_prefix('{') {
        let stamp = time.format("%Y-%m-%dT%H:%M:%S%.6f+00:00");
        let rest_trimmed = rest.trim_start();
        let comma = if rest_trimmed.starts_with('}') {
            ""
        } else {
            ", "
        };
        out.extend_from_slice(format!("{{\"timestamp\": \"{stamp}\"{comma}").as_bytes());
        out.extend_from_slice(rest_trimmed.as_bytes());
    } else {
        let stamp = time.format("[%Y-%m-%dT%H:%M:%S%.3f+0000] ");
        out.extend_from_slice(stamp.to_string().as_bytes());
        out.extend_from_slice(message.as_bytes());
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(message: &str, millis: i64) -> String {
        let mut out = Vec::new();
        push_event(&mut out, message, Some(millis));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn messages_with_their_own_time_stay_as_written() {
        let airflow2 = "[2024-12-19T10:00:00.123+0000] {x.py:1} INFO - hello";
        assert_eq!(event(airflow2, 0), format!("{airflow2}\n"));
        let json = r#"{"timestamp":"2024-12-19T10:00:00.123456Z","event":"hi"}"#;
        assert_eq!(event(json, 0), format!("{json}\n"));
        assert_eq!(event("line\n", 0), "[1970-01-01T00:00:00.000+0000] line\n");
        let mut out = Vec::new();
        push_event(&mut out, "no time anywhere", None);
        assert_eq!(out, b"no time anywhere\n");
    }

    #[test]
    fn messages_without_a_time_get_the_events_time() {
        let t = 1_734_602_400_123; // 2024-12-19T10:00:00.123Z
        assert_eq!(
            event(r#"{"event": "hi", "level": "info"}"#, t),
            "{\"timestamp\": \"2024-12-19T10:00:00.123000+00:00\", \"event\": \"hi\", \"level\": \"info\"}\n"
        );
        assert_eq!(
            event("{}", t),
            "{\"timestamp\": \"2024-12-19T10:00:00.123000+00:00\"}\n"
        );
        assert_eq!(
            event("Traceback:\n  File x\nValueError", t),
            "[2024-12-19T10:00:00.123+0000] Traceback:\n  File x\nValueError\n"
        );
        let stamped = event(r#"{"event": "hi"}"#, t);
        assert!(TsFormat::airflow_json().parse(stamped.as_bytes()).is_some());
        let stamped = event("plain", t);
        assert!(TsFormat::airflow_text().parse(stamped.as_bytes()).is_some());
    }

    struct Counted {
        pages: Vec<Page>,
        asked: usize,
    }

    impl Pages for Counted {
        fn location(&self) -> String {
            "test".into()
        }
        fn next_page(&mut self) -> Result<Page, StoreError> {
            self.asked += 1;
            if self.asked == 2 {
                return Err(StoreError::Transient("throttled".into()));
            }
            Ok(self.pages.pop().unwrap_or(Page {
                bytes: Vec::new(),
                caught_up: true,
            }))
        }
    }

    #[test]
    fn pages_stream_in_order_through_a_transient_error_and_end_when_caught_up() {
        let pages = Counted {
            pages: vec![
                Page {
                    bytes: b"c\n".to_vec(),
                    caught_up: true,
                },
                Page {
                    bytes: b"b\n".to_vec(),
                    caught_up: false,
                },
            ],
            asked: 0,
        };
        let first = Page {
            bytes: b"a\n".to_vec(),
            caught_up: false,
        };
        let health = Arc::new(Health::default());
        let mut log = EventLog::new(pages, first, false, health.clone());
        let mut all = String::new();
        log.read_to_string(&mut all).unwrap();
        assert_eq!(all, "a\nb\nc\n");
        assert!(health.problem().is_none(), "the retry succeeded");
    }
}
