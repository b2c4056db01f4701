//! Following a task through its log folder from one try to the next:
//! when `attempt=N+1.log` appears beside the followed try, everything
//! Airflow keeps for that try (the file, its trigger sub-logs, the log
//! servers' copies) joins the followed sources, tagged with its try.
//!
//! With `--log-server`, the worker's log server is asked too (no local
//! folder may hold the task): the next try has begun when it serves
//! `attempt=N+1.log`.
//!
//! Neither a folder nor a log server says that the task is finished, so
//! this watches until the follower is gone; a look is one `stat` a second
//! and, with a log server, one small signed request every two seconds.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{open_attempt, served, server_url, AttemptId, Places, WORKER_LOG_SERVER_PORT};
use crate::source::{Health, SourceEntry};

/// How often the log folder is looked at for the next try.
pub const LOOK_EVERY: Duration = Duration::from_secs(1);
/// How often the worker's log server is asked for the next try.
pub const ASK_SERVER_EVERY: Duration = Duration::from_secs(2);

/// The tries after `id` as they appear in `places.base` or on
/// `places.log_server`, on a channel for the follower to join
/// (`Found::arrivals`). What it waits for is said as the status of the
/// latest try's first source that reports (`entries`: the try's sources).
pub fn watch(id: &AttemptId, places: &Places, entries: &[SourceEntry]) -> Receiver<SourceEntry> {
    let (send, arrivals) = mpsc::channel();
    let (id, places) = (id.clone(), places.clone());
    let status = first_health(entries);
    std::thread::Builder::new()
        .name("next-try".into())
        .spawn(move || watch_from(id, places, status, send))
        // No thread: the tries after this one are not followed, as before.
        .ok();
    arrivals
}

fn first_health(entries: &[SourceEntry]) -> Option<Arc<Health>> {
    entries.iter().find_map(|e| e.health.clone())
}

/// Why the log server could not be asked whether a try's file is there.
#[derive(Clone, Debug, PartialEq)]
pub struct NotAsked {
    pub why: String,
    /// It refused (a wrong or missing secret key): asking again will not
    /// help; what to check.
    pub refused: Option<crate::problem::Problem>,
}

/// The places a try's file may appear in, looked at in turns.
pub struct Looker<'a> {
    places: &'a Places,
    /// The worker's log server and the secret that signs requests to it.
    server: Option<(String, &'a str)>,
    asked: Option<Instant>,
}

impl<'a> Looker<'a> {
    pub fn new(places: &'a Places) -> Self {
        let server = places
            .log_server
            .as_deref()
            .zip(places.secret_key.as_deref())
            .map(|(server, secret)| {
                let port = places.worker_port.unwrap_or(WORKER_LOG_SERVER_PORT);
                (server_url(server, port), secret)
            });
        Looker {
            places,
            server,
            asked: None,
        }
    }

    /// Where the try is waited for, for what is said.
    pub fn waiting_for(&self, try_number: u32) -> String {
        match &self.server {
            Some((server, _)) => format!(
                "waiting for try {try_number} on {}",
                served::host_of(server)
            ),
            None => format!("waiting for try {try_number} in the log folder"),
        }
    }

    /// Whether `id`'s file is there now (in the folder, or on the server
    /// when it is time to ask it again); a server that cannot answer is
    /// said in the error, and asked again later.
    pub fn found(&mut self, id: &AttemptId) -> Result<bool, NotAsked> {
        let relative = id.relative_path();
        if self.places.base.join(&relative).exists() {
            return Ok(true);
        }
        let Some((server, secret)) = &self.server else {
            return Ok(false);
        };
        if self.asked.is_some_and(|at| at.elapsed() < ASK_SERVER_EVERY) {
            return Ok(false);
        }
        self.asked = Some(Instant::now());
        served::has(server, &relative, secret).map_err(|e| {
            let refused = matches!(e, crate::source::remote::RemoteError::Denied { .. });
            let problem = e.problem();
            NotAsked {
                why: format!(
                    "cannot ask {} for try {}: {}",
                    served::host_of(server),
                    id.try_number,
                    problem.what()
                ),
                refused: refused.then_some(problem),
            }
        })
    }

    /// Waits until `id`'s file is there, saying so on `status`.
    pub fn wait_for(&mut self, id: &AttemptId, status: Option<&Health>) {
        let waiting = self.waiting_for(id.try_number);
        loop {
            match self.found(id) {
                Ok(true) => return,
                Ok(false) => {
                    if let Some(health) = status {
                        health.set_status(waiting.clone());
                    }
                }
                Err(not_asked) => {
                    if let Some(health) = status {
                        health.set_status(format!("{waiting}: {}", not_asked.why));
                    }
                }
            }
            std::thread::sleep(LOOK_EVERY);
        }
    }
}

fn watch_from(
    mut id: AttemptId,
    places: Places,
    mut status: Option<Arc<Health>>,
    send: Sender<SourceEntry>,
) {
    let mut looker = Looker::new(&places);
    loop {
        let next = AttemptId {
            try_number: id.try_number + 1,
            ..id.clone()
        };
        looker.wait_for(&next, status.as_deref());
        if let Some(health) = &status {
            health.clear_status();
        }
        // A place that fails for this try (a server down) is left out and
        // the others join: arrivals carry sources, not errors.
        let (entries, _failed) = open_attempt(&next, &places);
        if let Some(health) = first_health(&entries) {
            health.note(format!("{next} began: following it"));
            status = Some(health);
        }
        for mut entry in entries {
            entry.tag = Some(tagged(next.try_number, entry.tag.as_deref()));
            if send.send(entry).is_err() {
                return; // The follower is gone.
            }
        }
        id = next;
    }
}

/// The tag of a later try's source: `try2` for its local file, `try2.` and
/// the place for the others (`try2.trigger.42`, `try2.served`).
fn tagged(try_number: u32, tag: Option<&str>) -> String {
    match tag {
        None | Some("local") => format!("try{try_number}"),
        Some(place) => format!("try{try_number}.{place}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_later_try_is_tagged_with_its_number() {
        assert_eq!(tagged(2, Some("local")), "try2");
        assert_eq!(tagged(3, Some("trigger.42")), "try3.trigger.42");
        assert_eq!(tagged(2, Some("served")), "try2.served");
        assert_eq!(tagged(2, None), "try2");
    }
}
