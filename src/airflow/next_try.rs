//! Following a task through its log folder from one try to the next:
//! when `attempt=N+1.log` appears beside the followed try, everything
//! Airflow keeps for that try (the file, its trigger sub-logs, the log
//! servers' copies) joins the followed sources, tagged with its try.
//!
//! A local folder never says that the task is finished, so this watches
//! until the follower is gone; a look is one `stat` a second.

use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use super::{open_attempt, AttemptId, Places};
use crate::source::SourceEntry;

/// How often the log folder is looked at for the next try.
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// The tries after `id` as they appear in `places.base`, on a channel for
/// the follower to join (`Found::arrivals`).
pub fn watch(id: &AttemptId, places: &Places) -> Receiver<SourceEntry> {
    let (send, arrivals) = mpsc::channel();
    let (id, places) = (id.clone(), places.clone());
    std::thread::Builder::new()
        .name("next-try".into())
        .spawn(move || watch_from(id, places, send))
        // No thread: the tries after this one are not followed, as before.
        .ok();
    arrivals
}

fn watch_from(mut id: AttemptId, places: Places, send: Sender<SourceEntry>) {
    loop {
        let next = AttemptId {
            try_number: id.try_number + 1,
            ..id.clone()
        };
        while !places.base.join(next.relative_path()).exists() {
            std::thread::sleep(LOOK_EVERY);
        }
        // A place that fails for this try (a server down) is left out and
        // the others join: arrivals carry sources, not errors.
        let (entries, _failed) = open_attempt(&next, &places);
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
