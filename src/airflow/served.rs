//! The workers' log servers (Airflow's `serve_logs`, port 8793 unless
//! `[logging] worker_log_server_port` says otherwise): a try's file as the
//! worker that ran it still serves it, behind a token signed with the
//! deployment's secret key. Each worker serves only the tries it ran, so
//! a try's file may be on another worker than the one given — and when the
//! API server cannot read it from there (Airflow #62372: it asks the task
//! instance's *current* host for every try), logweave asks the host the
//! task instance's history names.

use std::sync::Arc;

use super::{config_value, server_url, token, AttemptId, WORKER_LOG_SERVER_PORT};
use crate::source::remote::http::HttpBackend;
use crate::source::remote::{self, RemoteError};
use crate::source::{OpenError, Problem, SourceEntry};

/// The workers' log server port: `--worker-log-server-port` (or its
/// variable, `AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT`), else
/// `worker_log_server_port` in airflow.cfg, else Airflow's 8793.
pub fn worker_port(flag: Option<u16>) -> u16 {
    flag.or_else(|| {
        config_value("logging", "worker_log_server_port")?
            .parse()
            .ok()
    })
    .unwrap_or(WORKER_LOG_SERVER_PORT)
}

/// The host part of a log server's URL, for messages (`worker-3:8793`).
pub fn host_of(server: &str) -> &str {
    let rest = server.split_once("://").map_or(server, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

/// The signed backend for `relative` on `server` (a base URL).
fn backend(server: &str, relative: &str, secret: &str) -> HttpBackend {
    let url = format!("{}/log/{relative}", server.trim_end_matches('/'));
    let secret = secret.to_string();
    let filename = relative.to_string();
    let sign = Arc::new(move || token::sign(&secret, &filename));
    HttpBackend::new(&url).authorized(
        sign,
        "check that the secret key (AIRFLOW__API__SECRET_KEY) is the workers' and that \
         the clocks are in sync",
    )
}

/// Whether `server` has `relative` (one ranged request for its first byte).
pub fn has(server: &str, relative: &str, secret: &str) -> Result<bool, RemoteError> {
    match backend(server, relative, secret).probe(1) {
        Ok(_) => Ok(true),
        Err(RemoteError::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The latest try of `id`'s task on `server`: the highest `N` whose
/// `attempt=N.log` it serves, looking up from try 1 (a worker may not
/// have run the first tries: up to four missing ones are passed).
pub fn latest_try(server: &str, id: &AttemptId, secret: &str) -> Result<Option<u32>, RemoteError> {
    let mut latest = None;
    let mut missing = 0;
    for try_number in 1.. {
        let attempt = AttemptId {
            try_number,
            ..id.clone()
        };
        if has(server, &attempt.relative_path(), secret)? {
            latest = Some(try_number);
            missing = 0;
        } else {
            missing += 1;
            if missing > LOOK_PAST || latest.is_some() {
                break;
            }
        }
    }
    Ok(latest)
}

/// Tries missing on a log server before the latest is looked for no more.
const LOOK_PAST: u32 = 4;

/// The file on the worker's log server, signed as Airflow signs it. A 404
/// says that the try may have run on another worker, or — when the API
/// told (`ran_on`) — on which.
pub fn open(
    server: &str,
    relative: &str,
    secret: Option<&str>,
    tag: String,
    ran_on: Option<&str>,
) -> Result<SourceEntry, OpenError> {
    let url = format!("{}/log/{relative}", server.trim_end_matches('/'));
    let shown = remote::redact(&url);
    let Some(secret) = secret else {
        return Err(OpenError::Remote {
            path: shown,
            problem: Problem::new("the log server needs the shared secret").with_tip(
                "give --secret-key or set AIRFLOW__API__SECRET_KEY (the workers' [api] secret_key)",
            ),
        });
    };
    remote::open_http(backend(server, relative, secret), shown.clone(), Some(tag)).map_err(|e| {
        let problem = match e {
            RemoteError::NotFound => not_here(server, relative, ran_on),
            other => other.problem(),
        };
        OpenError::Remote {
            path: shown,
            problem,
        }
    })
}

/// What a log server's 404 means: each worker serves the tries it ran.
fn not_here(server: &str, relative: &str, ran_on: Option<&str>) -> Problem {
    let what = format!("{server} has no {relative}");
    match ran_on {
        Some(host) if !host.is_empty() => Problem::new(format!(
            "{what}: the API's task instance history says this try ran on {host}"
        ))
        .with_tip(format!(
            "give that worker's log server: --log-server {host} (the port is \
             --worker-log-server-port's)"
        )),
        _ => Problem::new(what).with_tip(
            "the try may have run on another worker: its host is in the task instance's \
             history (the UI's task details for that try; `--api` reads it) — give that \
             worker's log server with --log-server",
        ),
    }
}

/// The log server of `host` (a task instance's hostname) at `port`.
pub fn of_host(host: &str, port: u16) -> String {
    server_url(host, port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_named_without_the_scheme() {
        assert_eq!(host_of("http://worker-3:8793"), "worker-3:8793");
        assert_eq!(host_of("https://logs.internal/base"), "logs.internal");
        assert_eq!(of_host("worker-3", 9000), "http://worker-3:9000");
    }

    #[test]
    fn a_missing_file_says_where_the_try_ran_when_known() {
        let known = not_here("http://w1:8793", "a/attempt=2.log", Some("w2"));
        assert!(known.what().contains("ran on w2"), "{}", known.what());
        assert!(known.tip().is_some_and(|t| t.contains("--log-server w2")));
        let unknown = not_here("http://w1:8793", "a/attempt=2.log", None);
        assert!(unknown
            .tip()
            .is_some_and(|t| t.contains("may have run on another worker")));
    }
}
