//! Airflow: every place a task attempt's log lives, found from its ids
//! (DESIGN §1). Local files come from the log folder's default layout
//! (`dag_id=…/run_id=…/task_id=…/[map_index=N/]attempt=N.log`) with every
//! `attempt=N.log*` sibling (trigger sub-logs, rotation backups); the remote
//! copy is every object under the same relative key; the worker's log
//! server serves the file it still has, behind a signed token.
//!
//! Sources are ranked as Airflow ranks them — local, remote, served — so
//! that equal timestamps keep that order, and tagged `local`, `trigger.42`,
//! `local.1`, `s3`, `s3.trigger.42`, `served`.

pub mod discover;
pub mod picker;
pub mod token;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::source::remote::http::HttpBackend;
use crate::source::remote::object::{is_object_url, Bucket};
use crate::source::remote::{self, RemoteError};
use crate::source::{open_file, OpenError, SourceEntry};

/// Which attempt of which task instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptId {
    pub dag: String,
    pub run: String,
    pub task: String,
    /// Mapped task instances live one folder deeper.
    pub map_index: Option<i64>,
    pub try_number: u32,
}

impl AttemptId {
    /// The path Airflow's default `log_filename_template` gives, relative to
    /// the base log folder (and to the remote base, and on the log server).
    pub fn relative_path(&self) -> String {
        let mut path = format!(
            "dag_id={}/run_id={}/task_id={}/",
            self.dag, self.run, self.task
        );
        if let Some(index) = self.map_index.filter(|&i| i >= 0) {
            path.push_str(&format!("map_index={index}/"));
        }
        path.push_str(&format!("attempt={}.log", self.try_number));
        path
    }
}

/// Where to look besides the local folder.
#[derive(Debug, Clone, Default)]
pub struct Places {
    pub base: PathBuf,
    /// `s3://bucket/prefix`, `gs://…`, `az://…` or an HTTP(S) folder.
    pub remote: Option<String>,
    /// `http://worker:8793`.
    pub log_server: Option<String>,
    /// The shared secret that signs log server requests.
    pub secret_key: Option<String>,
}

/// The base log folder: `--base-log-folder`, else
/// `AIRFLOW__LOGGING__BASE_LOG_FOLDER`, else `base_log_folder` in
/// `$AIRFLOW_HOME/airflow.cfg`, else `$AIRFLOW_HOME/logs` (`~/airflow/logs`).
pub fn base_log_folder(flag: Option<&Path>) -> PathBuf {
    if let Some(path) = flag {
        return path.to_path_buf();
    }
    if let Some(path) = non_empty_env("AIRFLOW__LOGGING__BASE_LOG_FOLDER") {
        return expand(&path);
    }
    if let Some(path) = config_value("logging", "base_log_folder") {
        return expand(&path);
    }
    airflow_home().join("logs")
}

/// The log server's shared secret: `--secret-key`, else
/// `AIRFLOW__API__SECRET_KEY`, else `AIRFLOW__WEBSERVER__SECRET_KEY`, else
/// the same keys in `airflow.cfg`.
pub fn secret_key(flag: Option<&str>) -> Option<String> {
    flag.map(str::to_string)
        .or_else(|| non_empty_env("AIRFLOW__API__SECRET_KEY"))
        .or_else(|| non_empty_env("AIRFLOW__WEBSERVER__SECRET_KEY"))
        .or_else(|| config_value("api", "secret_key"))
        .or_else(|| config_value("webserver", "secret_key"))
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn home() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("/"), PathBuf::from)
}

fn airflow_home() -> PathBuf {
    non_empty_env("AIRFLOW_HOME").map_or_else(|| home().join("airflow"), |p| expand(&p))
}

/// `~` and `{AIRFLOW_HOME}` (as airflow.cfg writes it) expanded.
fn expand(path: &str) -> PathBuf {
    let path = path.trim();
    let path = if path.contains("{AIRFLOW_HOME}") {
        path.replace("{AIRFLOW_HOME}", &airflow_home().to_string_lossy())
    } else {
        path.to_string()
    };
    match path.strip_prefix("~/") {
        Some(rest) => home().join(rest),
        None => PathBuf::from(path),
    }
}

/// `key` of `[section]` in `$AIRFLOW_HOME/airflow.cfg`, or `AIRFLOW_CONFIG`.
fn config_value(section: &str, key: &str) -> Option<String> {
    let file = non_empty_env("AIRFLOW_CONFIG")
        .map_or_else(|| airflow_home().join("airflow.cfg"), PathBuf::from);
    let text = std::fs::read_to_string(file).ok()?;
    ini_value(&text, section, key)
}

/// A value from INI text as Python's configparser reads it (`key = value`
/// or `key: value`, `#`/`;` comments, case-insensitive keys).
fn ini_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut in_section = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_section = name.trim().eq_ignore_ascii_case(section);
            continue;
        }
        if !in_section {
            continue;
        }
        let Some(at) = line.find(['=', ':']) else {
            continue;
        };
        if line[..at].trim().eq_ignore_ascii_case(key) {
            let value = line[at + 1..].trim();
            return (!value.is_empty()).then(|| value.to_string());
        }
    }
    None
}

/// What an Airflow file suffix after `attempt=N.log` means, as a tag:
/// `""` → `local`, `.trigger.42.log` → `trigger.42`, `.1` → `local.1`.
fn tag_for_suffix(suffix: &str, place: &str) -> String {
    let trigger = suffix
        .strip_prefix(".trigger.")
        .map(|rest| rest.trim_end_matches(".log"));
    match (place, trigger) {
        (_, Some(id)) if place == "local" => format!("trigger.{id}"),
        (_, Some(id)) => format!("{place}.trigger.{id}"),
        (_, None) if suffix.is_empty() => place.to_string(),
        (_, None) => format!("{place}{suffix}"),
    }
}

/// Opens everything Airflow keeps for `id`, in Airflow's order. A place
/// that fails (a server down, a wrong secret) is an error beside the
/// sources that did open.
pub fn open_attempt(id: &AttemptId, places: &Places) -> (Vec<SourceEntry>, Vec<OpenError>) {
    let relative = id.relative_path();
    let (mut opened, mut errors) = (Vec::new(), Vec::new());

    // Local: the attempt's file and its siblings.
    let local = places.base.join(&relative);
    let siblings = local
        .parent()
        .map(|dir| discover::attempt_files(dir, id.try_number));
    match siblings {
        Some(Ok(files)) if !files.is_empty() => {
            for (path, suffix) in files {
                let label = path
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                match open_file(&path, label) {
                    Ok(mut entry) => {
                        entry.tag = Some(tag_for_suffix(&suffix, "local"));
                        opened.push(entry);
                    }
                    Err(e) => errors.push(e),
                }
            }
        }
        // Nothing local is normal when the logs are remote or served.
        _ if places.remote.is_some() || places.log_server.is_some() => {}
        Some(Err(e)) => errors.push(crate::source::io_error(&local, &e)),
        _ => errors.push(OpenError::Io {
            path: local.display().to_string(),
            message: "no such attempt in the log folder".into(),
        }),
    }

    if let Some(base) = &places.remote {
        let (found, failed) = open_remote(base, &relative);
        opened.extend(found);
        errors.extend(failed);
    }

    if let Some(server) = &places.log_server {
        match open_served(server, &relative, places.secret_key.as_deref()) {
            Ok(entry) => opened.push(entry),
            Err(e) => errors.push(e),
        }
    }
    (opened, errors)
}

/// Every object under `{base}/{relative}` (trigger sub-logs are stored
/// beside the attempt's object with longer names).
fn open_remote(base: &str, relative: &str) -> (Vec<SourceEntry>, Vec<OpenError>) {
    let url = format!("{}/{relative}", base.trim_end_matches('/'));
    let shown = remote::redact(&url);
    let failed = |e: RemoteError| {
        (
            Vec::new(),
            vec![OpenError::Remote {
                path: shown.clone(),
                message: e.to_string(),
            }],
        )
    };
    if !is_object_url(base) {
        // A plain HTTP(S) folder cannot be listed: just the attempt's file.
        let place = if base.starts_with("https") {
            "https"
        } else {
            "http"
        };
        return match remote::open_http(
            HttpBackend::new(&url),
            shown.clone(),
            Some(place.to_string()),
        ) {
            Ok(entry) => (vec![entry], Vec::new()),
            Err(e) => failed(e),
        };
    }
    let (bucket, path) = match Bucket::for_url(&url) {
        Ok(found) => found,
        Err(e) => return failed(e),
    };
    let key = path.as_ref().to_string();
    let objects = match bucket.list(&key) {
        Ok(objects) if objects.is_empty() => return failed(RemoteError::NotFound),
        Ok(objects) => objects,
        Err(e) => return failed(e),
    };
    let scheme = base.split("://").next().unwrap_or("remote").to_string();
    remote::open_objects(&bucket, objects, |name| {
        name.strip_prefix(&key)
            .map(|suffix| tag_for_suffix(suffix, &scheme))
    })
}

/// The file on the worker's log server, signed as Airflow signs it.
fn open_served(
    server: &str,
    relative: &str,
    secret: Option<&str>,
) -> Result<SourceEntry, OpenError> {
    let url = format!("{}/log/{relative}", server.trim_end_matches('/'));
    let shown = remote::redact(&url);
    let Some(secret) = secret else {
        return Err(OpenError::Remote {
            path: shown,
            message: "the log server needs the shared secret: --secret-key or \
                      AIRFLOW__API__SECRET_KEY"
                .into(),
        });
    };
    let secret = secret.to_string();
    let filename = relative.to_string();
    let sign = Arc::new(move || token::sign(&secret, &filename));
    let backend = HttpBackend::new(&url).authorized(
        sign,
        "the log server did not accept the token; check that the secret key \
         (AIRFLOW__API__SECRET_KEY) is the workers' and that the clocks are in sync",
    );
    remote::open_http(backend, shown.clone(), Some("served".into())).map_err(|e| {
        OpenError::Remote {
            path: shown,
            message: e.to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_follow_the_default_template() {
        let mut id = AttemptId {
            dag: "etl".into(),
            run: "scheduled__2024-12-19T00:00:00+00:00".into(),
            task: "extract".into(),
            map_index: None,
            try_number: 2,
        };
        assert_eq!(
            id.relative_path(),
            "dag_id=etl/run_id=scheduled__2024-12-19T00:00:00+00:00/task_id=extract/attempt=2.log"
        );
        id.map_index = Some(3);
        assert!(id
            .relative_path()
            .ends_with("task_id=extract/map_index=3/attempt=2.log"));
        id.map_index = Some(-1);
        assert!(id
            .relative_path()
            .ends_with("task_id=extract/attempt=2.log"));
    }

    #[test]
    fn tags_name_the_place_and_the_kind() {
        assert_eq!(tag_for_suffix("", "local"), "local");
        assert_eq!(tag_for_suffix(".trigger.42.log", "local"), "trigger.42");
        assert_eq!(tag_for_suffix(".1", "local"), "local.1");
        assert_eq!(tag_for_suffix("", "s3"), "s3");
        assert_eq!(tag_for_suffix(".trigger.7.log", "gs"), "gs.trigger.7");
    }

    #[test]
    fn config_values_are_read_like_configparser() {
        let cfg = "[core]\nbase_log_folder = /wrong\n[logging]\n# comment\nBase_Log_Folder: /opt/airflow/logs\n[api]\nsecret_key =\n";
        assert_eq!(
            ini_value(cfg, "logging", "base_log_folder").as_deref(),
            Some("/opt/airflow/logs")
        );
        assert_eq!(ini_value(cfg, "api", "secret_key"), None);
        assert_eq!(ini_value(cfg, "webserver", "secret_key"), None);
    }
}
