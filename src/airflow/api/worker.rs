//! Each try from where it ran (Airflow #62372): Airflow's API server asks
//! the task instance's *current* host for every try's file, so a try that
//! ran on another worker comes back as "Could not read served logs" (or
//! "Log file not found on worker") inside a `200`. The task instance's
//! history names the host each try ran on; with the deployment's secret
//! key, logweave reads that try's file from the log server there itself —
//! a `served` source, a copy of the same log as the API's answer, so dedup
//! shows each record once. Without a key it says which command would.

use std::sync::mpsc::Sender;

use super::{listing, Api};
use crate::airflow::{served, AttemptId};
use crate::problem::Problem;
use crate::source::{Health, SourceEntry};

/// How the workers' log servers are reached (no `Debug`: it holds the
/// secret).
#[derive(Clone, Default)]
pub struct Workers {
    /// The secret that signs requests (`[api] secret_key`); `None`: the
    /// file is not read, the command that would is said.
    pub secret: Option<String>,
    /// `[logging] worker_log_server_port` (Airflow's 8793).
    pub port: u16,
}

/// One try's file from the worker it ran on, once the API server said it
/// could not read it there.
pub(super) struct FromWorker {
    workers: Workers,
    /// Where the copy goes to join the followed sources; `None`: nowhere
    /// (a baseline read once).
    send: Option<Sender<SourceEntry>>,
    /// The copy's tag (`served`, or `try2.served` following the task).
    tag: String,
    /// The host the try ran on, once its copy was found unread there.
    ran_on: Option<String>,
    done: bool,
}

impl FromWorker {
    pub(super) fn new(workers: Workers, send: Option<Sender<SourceEntry>>, tag: String) -> Self {
        FromWorker {
            workers,
            send,
            tag,
            ran_on: None,
            done: false,
        }
    }

    /// `problem` (the server could not read a place of the try's log) with
    /// where the try ran, from the task instance's history, and what
    /// logweave does about it: reads that worker's file itself when it can
    /// (`worker_unread`: the place was the worker's), else says the
    /// command that would.
    pub(super) fn explain(
        &mut self,
        api: &Api,
        id: &AttemptId,
        problem: Problem,
        worker_unread: bool,
    ) -> Problem {
        let host = listing::attempt(api, id)
            .ok()
            .and_then(|t| t.hostname)
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty());
        let Some(host) = host else {
            return problem;
        };
        let n = id.try_number;
        if worker_unread && self.workers.secret.is_some() && self.send.is_some() {
            let server = served::of_host(&host, self.workers.port);
            self.ran_on = Some(host);
            return problem.with_tip(format!(
                "try {n} ran on {}: logweave reads its file from the log server there once \
                 the try is read",
                served::host_of(&server)
            ));
        }
        problem.with_tip(format!(
            "try {n} ran on {host}: its worker's log server there has the file — \
             `logweave airflow --log-server {host} --dag … --run … --task … --try {n}` reads it \
             (with the deployment's secret key: --secret-key or AIRFLOW__API__SECRET_KEY; the \
             same key lets --api read it itself)"
        ))
    }

    /// Once the try's answer is read: the file from the host it ran on,
    /// sent to join (not followed: the try is over), said on `health`.
    pub(super) fn fetch(&mut self, id: &AttemptId, health: &Health) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let (Some(host), Some(send)) = (self.ran_on.take(), self.send.as_ref()) else {
            return;
        };
        let server = served::of_host(&host, self.workers.port);
        let secret = self.workers.secret.as_deref();
        match served::open(&server, &id.relative_path(), secret, self.tag.clone(), None) {
            Ok(mut entry) => {
                // The try is over: its file no longer grows.
                entry.follow = None;
                entry.copy_of = Some(id.to_string());
                if send.send(entry).is_ok() {
                    // What the API could not read is read: no problem left.
                    health.clear();
                    health.note(format!(
                        "{id}: the API server could not read its file on the worker; read from \
                         {}'s log server, where it ran",
                        served::host_of(&server)
                    ));
                }
            }
            Err(e) => health.report(e.problem().map_what(|what| {
                format!("{id}: neither the API server nor logweave could read the worker's file: {what}")
            })),
        }
    }
}
