//! The engine's inbox: one channel for everything that wakes it — the
//! view's commands, the follower's file events and the jobs' reports — so
//! that its loop selects over one receiver.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;

use super::{job, Command};

/// What wakes the engine.
pub enum Event {
    /// What the user asked for (from the view).
    Command(Command),
    /// Something changed in a followed file's folder (from the watcher).
    FilesChanged,
    /// A job or background count reported.
    Job(job::Report),
    /// A save or pipe ended.
    Exported(super::export::ExportDone),
}

/// The engine's event channel, made before the engine runs so that the
/// view can hold its [`Commands`] end.
pub struct Inbox {
    pub(super) sender: Sender<Event>,
    pub(super) receiver: Receiver<Event>,
}

impl Inbox {
    pub fn new() -> Self {
        let (sender, receiver) = mpsc::channel();
        Self { sender, receiver }
    }

    /// A handle for sending commands.
    pub fn commands(&self) -> Commands {
        Commands(self.sender.clone())
    }
}

impl Default for Inbox {
    fn default() -> Self {
        Self::new()
    }
}

/// The view's end of the engine's inbox.
#[derive(Clone)]
pub struct Commands(Sender<Event>);

impl Commands {
    /// Sends `command`; `false` once the engine has stopped.
    pub fn send(&self, command: Command) -> bool {
        self.0.send(Event::Command(command)).is_ok()
    }
}

/// A wake-up for background counting: a frame is worth publishing.
pub(super) fn progress_wake(events: &Sender<Event>) -> crate::overview::Wake {
    let events = events.clone();
    Arc::new(move || {
        let _ = events.send(Event::Job(job::Report::Progress));
    })
}
