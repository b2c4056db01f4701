//! Airflow: every place a task attempt's log lives, found from its ids.
//! Local files come from the log folder's default layout
//! (`dag_id=…/run_id=…/task_id=…/[map_index=N/]attempt=N.log`) with every
//! `attempt=N.log*` sibling (trigger sub-logs, rotation backups); the remote
//! copy is every object under the same relative key; the worker's log
//! server serves the file it still has, and the triggerer's log server the
//! trigger sub-logs of the jobs that ran the task's triggers, behind a
//! signed token.
//!
//! Sources are ranked as Airflow ranks them — local, remote, served — so
//! that equal timestamps keep that order, known to be copies of one log
//! (dedup joins them), and tagged `local`, `trigger.42`,
//! `local.1`, `s3`, `s3.trigger.42`, `served`, `served.trigger.42`.

pub mod api;
pub mod baseline;
pub mod discover;
pub mod elastic;
pub mod next_try;
pub mod picker;
pub mod served;
pub mod token;

use std::path::{Path, PathBuf};

use crate::source::cloudwatch::{self, aws::LogsClient};
use crate::source::remote::http::HttpBackend;
use crate::source::remote::object::{is_object_url, Bucket};
use crate::source::remote::{self, RemoteError};
use crate::source::{open_file, OpenError, Problem, SourceEntry};

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

/// `dag/run/task[3] try 2`, for messages.
impl std::fmt::Display for AttemptId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.dag, self.run, self.task)?;
        if let Some(index) = self.map_index.filter(|&i| i >= 0) {
            write!(f, "[{index}]")?;
        }
        write!(f, " try {}", self.try_number)
    }
}

/// Where to look besides the local folder.
#[derive(Debug, Clone, Default)]
pub struct Places {
    pub base: PathBuf,
    /// `s3://bucket/prefix`, `gs://…`, `az://…`, an HTTP(S) folder, or a
    /// CloudWatch log group (`cloudwatch://arn:aws:logs:…:log-group:NAME`).
    pub remote: Option<String>,
    /// `http://worker:8793` (or a bare host name: see [`server_url`]).
    pub log_server: Option<String>,
    /// The port of a bare `log_server` host (`served::worker_port`);
    /// `None`: Airflow's 8793.
    pub worker_port: Option<u16>,
    /// `http://triggerer:8794`: serves the trigger sub-logs.
    pub triggerer_log_server: Option<String>,
    /// Triggerer job ids whose sub-logs to ask the triggerer for; empty:
    /// those of the trigger sub-logs found locally or remotely.
    pub trigger_jobs: Vec<u64>,
    /// The shared secret that signs log server requests.
    pub secret_key: Option<String>,
    /// Elasticsearch or OpenSearch, where the handler ships each line.
    pub search: Option<elastic::SearchStore>,
    /// Stores read as streams (CloudWatch, Elasticsearch) are asked again
    /// for what comes after their end.
    pub follow: bool,
}

/// The base log folder: `--base-log-folder`, else
/// `AIRFLOW__LOGGING__BASE_LOG_FOLDER`, else `base_log_folder` in
/// `$AIRFLOW_HOME/airflow.cfg`, else `$AIRFLOW_HOME/logs` (`~/airflow/logs`).
pub fn base_log_folder(flag: Option<&Path>, profile: Option<&Path>) -> PathBuf {
    if let Some(path) = flag {
        return path.to_path_buf();
    }
    if let Some(path) = non_empty_env("AIRFLOW__LOGGING__BASE_LOG_FOLDER") {
        return expand(&path);
    }
    if let Some(path) = profile {
        return expand(&path.to_string_lossy());
    }
    if let Some(path) = config_value("logging", "base_log_folder") {
        return expand(&path);
    }
    airflow_home().join("logs")
}

/// The log server's shared secret: `--secret-key`, else
/// `AIRFLOW__API__SECRET_KEY`, else `AIRFLOW__WEBSERVER__SECRET_KEY`, else
/// what `profile` (a config file's deployment) says, else the same keys in
/// `airflow.cfg`. `profile` is asked only when needed (it may run a command).
pub fn secret_key<E>(
    flag: Option<&str>,
    profile: impl FnOnce() -> Result<Option<String>, E>,
) -> Result<Option<String>, E> {
    if let Some(key) = flag
        .map(str::to_string)
        .or_else(|| non_empty_env("AIRFLOW__API__SECRET_KEY"))
        .or_else(|| non_empty_env("AIRFLOW__WEBSERVER__SECRET_KEY"))
    {
        return Ok(Some(key));
    }
    if let Some(key) = profile()? {
        return Ok(Some(key));
    }
    Ok(config_value("api", "secret_key").or_else(|| config_value("webserver", "secret_key")))
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

/// Why the attempt's file at `local` (under the log folder `base`) is not
/// there: the folder itself is missing, or the task has other tries (they
/// are named), or none.
fn missing_attempt(base: &Path, local: &Path, try_number: u32) -> Problem {
    if !base.is_dir() {
        return Problem::new(format!(
            "the log folder '{}' does not exist",
            base.display()
        ))
        .with_tip(
            "give the folder Airflow writes task logs to (its base_log_folder) with \
             --base-log-folder, or set AIRFLOW_HOME",
        );
    }
    let mut tries: Vec<u32> = local
        .parent()
        .and_then(|dir| discover::tries(dir).ok())
        .unwrap_or_default()
        .iter()
        .filter_map(|node| node.name.parse().ok())
        .collect();
    tries.sort_unstable();
    if tries.is_empty() {
        return Problem::new("no such attempt in the log folder").with_tip(
            "check --dag, --run, --task and --try against the folders under the log folder",
        );
    }
    let listed: Vec<String> = tries.iter().map(u32::to_string).collect();
    Problem::new(format!(
        "the task has no try {try_number} in the log folder: its tries there are {}",
        listed.join(", ")
    ))
    .with_tip("give one of them with --try, or leave --try out for the latest")
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
        _ if places.remote.is_some()
            || places.search.is_some()
            || places.log_server.is_some()
            || places.triggerer_log_server.is_some() => {}
        Some(Err(e)) if e.kind() != std::io::ErrorKind::NotFound => {
            errors.push(crate::source::io_error(&local, &e))
        }
        _ => errors.push(OpenError::Io {
            path: local.display().to_string(),
            problem: missing_attempt(&places.base, &local, id.try_number),
        }),
    }

    if let Some(base) = places
        .remote
        .as_deref()
        .filter(|b| cloudwatch::is_cloudwatch_url(b))
    {
        let (found, failed) = open_cloudwatch(base, &relative, places.follow);
        opened.extend(found);
        errors.extend(failed);
    } else if let Some(base) = &places.remote {
        let (found, failed) = open_remote(base, &relative);
        opened.extend(found);
        errors.extend(failed);
    }

    if let Some(store) = &places.search {
        match elastic::open(store, id, places.follow) {
            Ok(entry) => opened.push(entry),
            Err(e) => errors.push(e),
        }
    }

    let secret = places.secret_key.as_deref();
    if let Some(server) = &places.log_server {
        let server = server_url(server, places.worker_port.unwrap_or(WORKER_LOG_SERVER_PORT));
        match served::open(&server, &relative, secret, "served".into(), None) {
            Ok(entry) => opened.push(entry),
            Err(e) => errors.push(e),
        }
    }

    if let Some(server) = &places.triggerer_log_server {
        let server = server_url(server, TRIGGERER_LOG_SERVER_PORT);
        let jobs = if places.trigger_jobs.is_empty() {
            trigger_jobs_of(&opened)
        } else {
            places.trigger_jobs.clone()
        };
        if jobs.is_empty() {
            errors.push(OpenError::Remote {
                path: remote::redact(&format!("{server}/log/{relative}.trigger.*.log")),
                problem: Problem::new(
                    "which triggerer job ran the task's trigger? No trigger sub-log was found to tell",
                )
                .with_tip("give the job's id with --trigger-job"),
            });
        }
        for job in jobs {
            let path = format!("{relative}.trigger.{job}.log");
            match served::open(
                &server,
                &path,
                secret,
                format!("served.trigger.{job}"),
                None,
            ) {
                Ok(entry) => opened.push(entry),
                Err(e) => errors.push(e),
            }
        }
    }
    // One attempt's log, wherever it is kept: the places hold copies of its
    // pieces (the task's file, trigger sub-logs, rotation backups), and the
    // API's answer holds all of them merged, so all are one copy group.
    for entry in &mut opened {
        entry.copy_of = Some(id.to_string());
    }
    (opened, errors)
}

/// Airflow's default `[logging] worker_log_server_port`.
pub const WORKER_LOG_SERVER_PORT: u16 = 8793;
/// Airflow's default `[logging] trigger_log_server_port`.
pub const TRIGGERER_LOG_SERVER_PORT: u16 = 8794;

/// A log server as a base URL: `worker-3` is `http://worker-3:8793`,
/// `worker-3:9000` is `http://worker-3:9000`; a URL is taken as given.
pub fn server_url(server: &str, default_port: u16) -> String {
    let server = server.trim_end_matches('/');
    if server.contains("://") {
        return server.to_string();
    }
    // A port is the digits after the last colon (not one inside `[::1]`).
    let has_port = server.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty()
            && !port.is_empty()
            && port.bytes().all(|b| b.is_ascii_digit())
            && (!host.contains(':') || host.ends_with(']'))
    });
    if has_port {
        format!("http://{server}")
    } else {
        format!("http://{server}:{default_port}")
    }
}

/// The triggerer job ids named by the trigger sub-logs among `entries`
/// (tags `trigger.42`, `s3.trigger.42`), each once, in order.
fn trigger_jobs_of(entries: &[SourceEntry]) -> Vec<u64> {
    let mut jobs: Vec<u64> = entries
        .iter()
        .filter_map(|e| e.tag.as_deref())
        .filter_map(|tag| tag.rsplit_once("trigger.")?.1.parse().ok())
        .collect();
    jobs.sort_unstable();
    jobs.dedup();
    jobs
}

/// The latest try of `id`'s task under the remote base (for when the log
/// folder has none): the highest `N` among its `attempt=N.log*` objects.
pub fn latest_remote_try(base: &str, id: &AttemptId) -> Result<Option<u32>, RemoteError> {
    let relative = id.relative_path();
    let folder = relative.rsplit_once('/').map_or("", |(dir, _)| dir);
    if cloudwatch::is_cloudwatch_url(base) {
        let prefix = format!("{}/", stream_name(folder));
        let streams = cloudwatch::parse(base)
            .map_err(RemoteError::Other)
            .and_then(|target| {
                let client = LogsClient::new(target.group.region.as_deref())
                    .map_err(|e| RemoteError::Other(e.problem().what().to_string()))?;
                cloudwatch::list_streams(&client, &target.group.name, &prefix)
                    .map_err(|e| RemoteError::Other(e.problem().what().to_string()))
            })?;
        return Ok(streams
            .iter()
            .filter_map(|stream| stream.strip_prefix(&prefix))
            .filter_map(discover::try_of)
            .map(|(number, _)| number)
            .max());
    }
    if !is_object_url(base) {
        return Ok(None);
    }
    let url = format!("{}/{folder}/", base.trim_end_matches('/'));
    let (bucket, path) = Bucket::for_url(&url)?;
    let prefix = format!("{}/", path.as_ref());
    let objects = bucket.list(&prefix)?;
    Ok(objects
        .iter()
        .filter_map(|(object, _)| object.as_ref().strip_prefix(&prefix))
        .filter_map(discover::try_of)
        .map(|(number, _)| number)
        .max())
}

/// The CloudWatch stream Airflow's handler writes a log file's path to
/// (log stream names may not hold `:`).
fn stream_name(relative: &str) -> String {
    relative.replace(':', "_")
}

/// The attempt's stream in the log group `base` names (an ARN, as in
/// `remote_base_log_folder`), and its trigger sub-logs' streams beside it.
fn open_cloudwatch(base: &str, relative: &str, follow: bool) -> (Vec<SourceEntry>, Vec<OpenError>) {
    let failed = |problem: Problem| {
        (
            Vec::new(),
            vec![OpenError::Remote {
                path: remote::redact(base),
                problem,
            }],
        )
    };
    let target = match cloudwatch::parse(base) {
        Ok(target) => target,
        Err(why) => return failed(Problem::new(why)),
    };
    let client = match LogsClient::new(target.group.region.as_deref()) {
        Ok(client) => client,
        Err(e) => return failed(e.problem()),
    };
    let stream = stream_name(relative);
    cloudwatch::open_prefix(
        &client,
        &target.group.name,
        &stream,
        |suffix| Some(tag_for_suffix(suffix, "cloudwatch")),
        follow,
    )
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
                problem: e.problem(),
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
    fn log_servers_may_be_bare_host_names() {
        assert_eq!(server_url("worker-3", 8793), "http://worker-3:8793");
        assert_eq!(server_url("worker-3:9000", 8793), "http://worker-3:9000");
        assert_eq!(server_url("10.0.0.7", 8794), "http://10.0.0.7:8794");
        assert_eq!(server_url("[::1]:8000", 8793), "http://[::1]:8000");
        assert_eq!(server_url("[::1]", 8793), "http://[::1]:8793");
        assert_eq!(
            server_url("https://logs.internal/", 8793),
            "https://logs.internal"
        );
    }

    #[test]
    fn trigger_jobs_come_from_the_sub_logs_found() {
        use std::sync::Arc;
        let entry = |tag: &str| SourceEntry {
            path: PathBuf::from(tag),
            label: tag.to_string(),
            tag: Some(tag.to_string()),
            source: Arc::new(crate::source::MemSource(Vec::new())),
            follow: None,
            health: None,
            filling: None,
            copy_of: None,
            read_once: None,
        };
        let found = [
            entry("local"),
            entry("trigger.42"),
            entry("local.1"),
            entry("s3.trigger.42"),
            entry("s3.trigger.7"),
        ];
        assert_eq!(trigger_jobs_of(&found), [7, 42]);
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
