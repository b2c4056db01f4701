//! Airflow's `Log message source details` group at the start of a log: it
//! names where the server found the log, and says — inside a `200` answer —
//! which places it could not read (the worker's log server, remote
//! storage). Those become the source's problem.

use crate::problem::Problem;

/// Watches the start of a log for Airflow's `Log message source details`
/// group and the places it says it could not read.
pub(super) struct SourceDetails {
    /// The part of a line not yet complete.
    partial: Vec<u8>,
    state: DetailsState,
    lines: usize,
    /// The group said the worker's copy could not be read (its log server
    /// refused, was unreachable, or had no such file).
    worker_unread: bool,
}

#[derive(PartialEq, Eq)]
enum DetailsState {
    /// Before the group's first line.
    Before,
    Inside,
    /// The group ended (or the log does not start with it).
    Over,
}

/// Lines looked at before giving up on finding the group.
const DETAILS_WITHIN: usize = 64 * 1024;

impl SourceDetails {
    pub(super) fn new() -> Self {
        Self {
            partial: Vec::new(),
            state: DetailsState::Before,
            lines: 0,
            worker_unread: false,
        }
    }

    /// Whether the group said the worker's copy of the log could not be
    /// read (Airflow #62372: the server asks the task instance's current
    /// host for every try's file).
    pub(super) fn worker_unread(&self) -> bool {
        self.worker_unread
    }

    /// Looks at the next bytes; a problem the group reports, if any.
    pub(super) fn scan(&mut self, bytes: &[u8]) -> Option<Problem> {
        if self.state == DetailsState::Over {
            return None;
        }
        let mut problems = Vec::new();
        let mut rest = bytes;
        while let Some(end) = memchr::memchr(b'\n', rest) {
            self.partial.extend_from_slice(&rest[..end]);
            rest = &rest[end + 1..];
            let line = std::mem::take(&mut self.partial);
            if let Some(problem) = self.line(&line) {
                self.worker_unread |= is_the_workers(&problem);
                problems.push(problem);
            }
            if self.state == DetailsState::Over {
                break;
            }
        }
        if self.state != DetailsState::Over {
            self.partial.extend_from_slice(rest);
            if self.partial.len() > DETAILS_WITHIN {
                self.state = DetailsState::Over;
                self.partial = Vec::new();
            }
        }
        if problems.is_empty() {
            return None;
        }
        Some(
            Problem::new(format!(
                "the API server could not read all of the log: {}",
                problems.join("; ")
            ))
            .with_tip(
                "what it could read is shown; the rest may be on a worker or in remote \
                 storage the API server cannot reach",
            ),
        )
    }

    /// One line: its text (the `event` of a JSON record, else the line).
    fn line(&mut self, line: &[u8]) -> Option<String> {
        let text = String::from_utf8_lossy(line);
        let event = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("event")?.as_str().map(str::to_string))
            .unwrap_or_else(|| text.trim().to_string());
        let event = event.trim_start_matches("*** ").trim().to_string();
        self.lines += 1;
        match self.state {
            // Airflow 2 writes ` INFO - ::group::…`, after a line naming the host.
            DetailsState::Before if event.contains("::group::") => {
                self.state = DetailsState::Inside;
                None
            }
            // Older versions say where they read in `*** ` lines, without a group.
            DetailsState::Before if text.starts_with("*** ") => failure(&event),
            DetailsState::Before if self.lines < 3 => None,
            DetailsState::Before => {
                self.state = DetailsState::Over;
                None
            }
            DetailsState::Inside if event.contains("::endgroup::") => {
                self.state = DetailsState::Over;
                None
            }
            DetailsState::Inside => failure(&event),
            DetailsState::Over => None,
        }
    }
}

/// A line of the source details that says a place could not be read (the
/// others name the files and URLs read).
fn failure(event: &str) -> Option<String> {
    let lower = event.to_ascii_lowercase();
    let failed = lower.starts_with("could not")
        || lower.contains("not found")
        || lower.starts_with("!!!!")
        || lower.contains("error");
    failed.then(|| event.chars().take(300).collect())
}

/// A failure that is the worker's log server's (Airflow's words: "Could
/// not read served logs: …", "Log file not found on worker '…'", the 403
/// advice about the secret key).
fn is_the_workers(failure: &str) -> bool {
    let lower = failure.to_ascii_lowercase();
    lower.contains("served logs") || lower.contains("on worker") || lower.contains("secret_key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_the_server_could_not_read_is_a_problem_and_paths_are_not() {
        let mut details = SourceDetails::new();
        let stream = concat!(
            "{\"timestamp\":null,\"event\":\"::group::Log message source details\"}\n",
            "{\"timestamp\":null,\"event\":\"/logs/dag_id=etl/attempt=1.log\"}\n",
            "{\"timestamp\":null,\"event\":\"Could not read served logs: Connection refused\"}\n",
            "{\"timestamp\":null,\"event\":\"::endgroup::\"}\n",
            "{\"timestamp\":\"2024-12-20T10:00:00Z\",\"event\":\"Could not connect\"}\n",
        );
        // Split mid-line: the scan keeps the partial line.
        let (a, b) = stream.split_at(100);
        let first = details.scan(a.as_bytes());
        let second = details.scan(b.as_bytes());
        let problem = first.or(second).expect("the served-logs failure");
        assert!(problem
            .what()
            .contains("Could not read served logs: Connection refused"));
        assert!(!problem.what().contains("/logs/dag_id"));
        assert!(
            !problem.what().contains("Could not connect"),
            "past the group"
        );
        assert!(details.worker_unread(), "the worker's copy was not read");
    }

    #[test]
    fn a_log_that_reads_everywhere_has_no_problem() {
        let mut details = SourceDetails::new();
        let stream = concat!(
            "{\"event\":\"::group::Log message source details\"}\n",
            "{\"event\":\"/logs/a.log\"}\n",
            "{\"event\":\"http://worker:8793/log/a.log\"}\n",
            "{\"event\":\"::endgroup::\"}\n",
        );
        assert_eq!(details.scan(stream.as_bytes()), None);
        assert!(!details.worker_unread());
        let mut text = SourceDetails::new();
        assert_eq!(text.scan(b"[2024-12-20T10:00:00] INFO - hello\n"), None);
    }

    #[test]
    fn airflow_2_says_its_failures_in_star_lines() {
        let mut details = SourceDetails::new();
        let problem = details
            .scan(b"*** Found local files:\n*** Could not read served logs: timeout\n[2024] x\n")
            .expect("a problem");
        assert!(problem
            .what()
            .contains("Could not read served logs: timeout"));
    }
}
