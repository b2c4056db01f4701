//! Each record of a followed Airflow 3 log exactly once, however the
//! server re-sorts it between polls.
//!
//! Airflow 3 answers a poll with the records of its merge of the task's
//! files from the position its continuation token names (a count of
//! records), and the merge is made again on every poll: records that reach
//! a file late (Airflow 3 writes logging records after stdout lines stamped
//! later) sort in among records already sent, and a last line not yet
//! complete comes as a record of its own (`"timestamp":null`, the raw
//! half-line as its `event`) that later becomes a whole one. Counting on
//! the token alone loses records and repeats others.
//!
//! So the token is not trusted alone. Polls ask from a token well before
//! the end (Airflow's merge moves a record by at most its heap of 5,000
//! entries; [`OVERLAP`] is twice that), records of the answer are matched
//! by their bytes against a bounded window of those shown last, and an
//! answer whose count says that records may hide before its start is asked
//! again from further back. Half-lines near the end are held back while
//! the try runs (one further back is where a lagging copy of the file was
//! cut); a line still unfinished when the try is over is shown as it is.

use std::collections::{HashMap, VecDeque};

use serde::Deserialize;
use serde_json::value::RawValue;

mod taking;
pub use taking::Taking;

/// How far before the end of what was shown a poll asks from, in records:
/// twice the heap Airflow merges with (`HEAP_DUMP_SIZE`), beyond which it
/// moves no record.
pub const OVERLAP: u64 = 10_000;

/// Records remembered by their bytes: enough to recognise every record of
/// an answer that was shown before.
pub const WINDOW: usize = 4 * OVERLAP as usize;

/// Tokens kept (the one furthest back that is still useful, and the newest).
const TOKENS_KEPT: usize = 32;

/// Where a poll asks from: a token the server gave and the position (in
/// records of its merge) it resumes at; no token means from the start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub token: Option<String>,
    pub at: u64,
}

/// An answer that may lack records before its start (they sorted in there
/// since the token was given): ask again from further back.
#[derive(Debug, PartialEq, Eq)]
pub struct AskEarlier;

/// What is known of a followed try's log on the server.
#[derive(Debug)]
pub struct Reconciler {
    /// Tokens the server gave, by their position, oldest first.
    tokens: VecDeque<(u64, String)>,
    /// Records in the server's merge at the last answer.
    end: u64,
    /// Records of that merge accounted for (shown, or the same bytes as one
    /// shown), half-lines held back not counted.
    claimed: u64,
    window: Window,
    /// Where the first half-line held back was: polls ask from before it,
    /// so that the whole line it becomes is in their answer.
    held_at: Option<u64>,
    /// The log's source details (its first records) were shown.
    header_shown: bool,
    overlap: u64,
}

impl Default for Reconciler {
    fn default() -> Self {
        Self::new(OVERLAP, WINDOW)
    }
}

impl Reconciler {
    /// A reconciler asking `overlap` records before the end, remembering
    /// the last `window` records shown.
    pub fn new(overlap: u64, window: usize) -> Self {
        Self {
            tokens: VecDeque::new(),
            end: 0,
            claimed: 0,
            window: Window::new(window),
            held_at: None,
            header_shown: false,
            overlap,
        }
    }

    /// Records before this position were shown and nothing new sorts in
    /// among them: [`OVERLAP`] before the end, and before any half-line.
    fn settled(&self) -> u64 {
        let zone = self.end.saturating_sub(self.overlap);
        self.held_at.map_or(zone, |held| zone.min(held))
    }

    /// Where the next poll asks from: the latest token at least
    /// [`OVERLAP`] records before the end (and before any half-line held
    /// back), else the oldest one kept, else the start.
    pub fn request(&self) -> Request {
        let zone = self.settled();
        let anchor = self
            .tokens
            .iter()
            .rev()
            .find(|(at, _)| *at <= zone)
            .or_else(|| self.tokens.front());
        match anchor {
            Some((at, token)) => Request {
                token: Some(token.clone()),
                at: *at,
            },
            None => Request { token: None, at: 0 },
        }
    }

    /// A request from before `than`'s start; `None` when it is the start.
    pub fn earlier(&self, than: &Request) -> Option<Request> {
        // A request from the start has nothing before it.
        than.token.as_ref()?;
        Some(
            match self.tokens.iter().rev().find(|(at, _)| *at < than.at) {
                Some((at, token)) => Request {
                    token: Some(token.clone()),
                    at: *at,
                },
                None => Request { token: None, at: 0 },
            },
        )
    }

    /// Takes the answer to `request` — the records in the server's order,
    /// and its next token (`None` once the server says the log ended) —
    /// and returns the bytes of those not shown before, one line each.
    /// [`Reconciler::begin`] takes an answer as it streams; this, one held
    /// whole.
    pub fn take(
        &mut self,
        request: &Request,
        records: &[&RawValue],
        next: Option<String>,
        live: bool,
    ) -> Result<Vec<u8>, AskEarlier> {
        let mut out = Vec::new();
        let mut taking = self.begin(request, live);
        for record in records {
            // Writing to memory never fails.
            let _ = taking.record(record.get(), &mut out);
        }
        match taking.finish(next, &mut out) {
            Ok(taken) => taken.map(|()| out),
            Err(_) => Ok(out),
        }
    }

    /// Starts taking the answer to `request`, record by record as it
    /// streams ([`Taking`]). While `live` (the try runs), half-lines are
    /// held back.
    pub fn begin(&mut self, request: &Request, live: bool) -> Taking<'_> {
        Taking::new(self, request, live)
    }

    /// Keeps `token` (at `at`), dropping those no request would use: any
    /// beyond the end, and all but the latest of those far enough back.
    fn keep_token(&mut self, at: u64, token: String) {
        self.tokens.retain(|(t, _)| *t < at);
        self.tokens.push_back((at, token));
        let zone = self.settled();
        if let Some(anchor) = self.tokens.iter().rposition(|(t, _)| *t <= zone) {
            self.tokens.drain(..anchor);
        }
        while self.tokens.len() > TOKENS_KEPT {
            // Keep the one furthest back: it is what covers the most.
            self.tokens.remove(1);
        }
    }
}

fn hash(record: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(record.as_bytes())
}

/// The records shown last, as a multiset of their hashes in a bounded
/// first-in first-out order.
#[derive(Debug)]
struct Window {
    order: VecDeque<u128>,
    counts: HashMap<u128, u32>,
    capacity: usize,
}

impl Window {
    fn new(capacity: usize) -> Self {
        Self {
            order: VecDeque::new(),
            counts: HashMap::new(),
            capacity: capacity.max(1),
        }
    }

    fn count(&self, h: u128) -> u32 {
        self.counts.get(&h).copied().unwrap_or(0)
    }

    fn push(&mut self, h: u128) {
        *self.counts.entry(h).or_default() += 1;
        self.order.push_back(h);
        if self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                if let Some(n) = self.counts.get_mut(&old) {
                    *n -= 1;
                    if *n == 0 {
                        self.counts.remove(&old);
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow, default)]
    timestamp: Option<&'a RawValue>,
    #[serde(borrow, default)]
    event: Option<std::borrow::Cow<'a, str>>,
}

/// Airflow's rendering of a line it could not parse — a half-written last
/// line: no timestamp, and an event that is the beginning of a JSON object
/// cut short.
pub fn is_half_line(record: &str) -> bool {
    if !record.starts_with("{\"timestamp\":null") {
        return false;
    }
    let Ok(head) = serde_json::from_str::<Head>(record) else {
        return false;
    };
    let null = head.timestamp.is_none_or(|t| t.get() == "null");
    match head.event {
        Some(event) if null && event.starts_with('{') => {
            serde_json::from_str::<serde::de::IgnoredAny>(&event).is_err_and(|e| e.is_eof())
        }
        _ => false,
    }
}

/// The signed payload of a continuation token (itsdangerous' URL-safe
/// serializer: base64 of JSON, or of zlib'd JSON after a leading `.`,
/// then `.` and the signature).
pub fn payload(token: &str) -> Option<serde_json::Value> {
    use base64::Engine as _;
    use std::io::Read;
    let (compressed, rest) = match token.strip_prefix('.') {
        Some(rest) => (true, rest),
        None => (false, token),
    };
    let encoded = rest.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded.trim_end_matches('='))
        .ok()?;
    let json = if compressed {
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(bytes.as_slice())
            .take(1 << 20)
            .read_to_end(&mut out)
            .ok()?;
        out
    } else {
        bytes
    };
    serde_json::from_slice(&json).ok()
}

/// The position a token resumes at (`log_pos`: records of the merge).
pub fn position(token: &str) -> Option<u64> {
    payload(token)?.get("log_pos")?.as_u64()
}

#[cfg(test)]
#[path = "shown/tests.rs"]
mod tests;
