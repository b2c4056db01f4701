//! Real servers on 127.0.0.1 for the remote-source tests: a Range-capable
//! HTTP file server (tests/servers/range_server.py), moto's S3-compatible
//! server, and Airflow's own worker log server (serve_logs under uvicorn).
//!
//! What they run on (Python venvs, Azurite) is installed into `target/` the
//! first time it is needed (tests/remote/install.rs); `.ci/run` does it
//! ahead. Each server runs under tests/servers/supervise.py, which stops it
//! when the test process ends.

#![allow(dead_code)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

const STARTUP: Duration = Duration::from_secs(90);

#[path = "install.rs"]
mod install;
use install::azurite_bin;
pub use install::{python, python_airflow2};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A free port on 127.0.0.1 (free when asked; servers bind it right after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running server; it stops when the test process ends.
pub struct Server {
    pub port: u16,
    child: Mutex<Child>,
    /// Held open: its EOF tells the supervisor to stop the server.
    _stdin: Mutex<ChildStdin>,
}

impl Server {
    /// Starts `program args` under the supervisor and waits for the port.
    pub fn start(program: &Path, args: &[String], port: u16, env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(python());
        command
            .arg(root().join("tests/servers/supervise.py"))
            .arg(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("start a test server");
        let stdin = child.stdin.take().expect("supervisor stdin");
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("{} exited at start: {status}", program.display());
            }
            assert!(
                start.elapsed() < STARTUP,
                "{} did not listen on {port}",
                program.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Server {
            port,
            child: Mutex::new(child),
            _stdin: Mutex::new(stdin),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// The range file server over `dir`.
pub fn range_server(dir: &Path) -> Server {
    shaped_range_server(dir, 0, 0.0)
}

/// The range file server over `dir`, answering each request after
/// `latency_ms` and sending at most `rate_mb_s` MB/s per connection (0 =
/// unlimited): a bucket's figures, for benchmarks.
pub fn shaped_range_server(dir: &Path, latency_ms: u32, rate_mb_s: f64) -> Server {
    let port = free_port();
    Server::start(
        &python(),
        &[
            root()
                .join("tests/servers/range_server.py")
                .display()
                .to_string(),
            dir.display().to_string(),
            port.to_string(),
            latency_ms.to_string(),
            rate_mb_s.to_string(),
        ],
        port,
        &[],
    )
}

/// The most requests the range server had at once since the last reset.
pub fn range_most_at_once(server: &Server) -> u64 {
    let body = http_request(server.port, "GET /_stats");
    let value: serde_json::Value = serde_json::from_str(&body).expect("stats JSON");
    value["most_at_once"].as_u64().unwrap_or(0)
}

/// Requests and bytes the range server has served since the last reset.
pub fn range_stats(server: &Server) -> (u64, u64) {
    let body = http_request(server.port, "GET /_stats");
    let value: serde_json::Value = serde_json::from_str(&body).expect("stats JSON");
    (
        value["requests"].as_u64().unwrap_or(0),
        value["bytes"].as_u64().unwrap_or(0),
    )
}

pub fn reset_range_stats(server: &Server) {
    http_request(server.port, "POST /_reset");
}

/// Makes the range server's `/halfway/` files whole again.
pub fn heal_range_server(server: &Server) {
    http_request(server.port, "POST /_heal");
}

/// A tiny HTTP/1.0 client for the stats endpoints (the body only).
fn http_request(port: u16, request_line: &str) -> String {
    use std::io::Read;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "{request_line} HTTP/1.0\r\nContent-Length: 0\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default()
}

/// Environment for logweave and boto3 to reach the S3 server.
pub fn s3_env(server: &Server) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", server.url()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
    ]
}

/// moto's S3-compatible server, shared by the tests of a process.
pub fn s3_server() -> &'static Server {
    static S3: OnceLock<Server> = OnceLock::new();
    S3.get_or_init(|| {
        let port = free_port();
        let moto = python().with_file_name("moto_server");
        Server::start(
            &moto,
            &[
                "-H".into(),
                "127.0.0.1".into(),
                "-p".into(),
                port.to_string(),
            ],
            port,
            &[],
        )
    })
}

/// Uploads `objects` (key, file) into `bucket` on the S3 server.
pub fn s3_put(bucket: &str, objects: &[(String, PathBuf)]) {
    let server = s3_server();
    let mut command = Command::new(python());
    command
        .arg(root().join("tests/servers/s3_put.py"))
        .arg(bucket);
    for (key, path) in objects {
        command.arg(format!("{key}::{}", path.display()));
    }
    for (k, v) in s3_env(server) {
        command.env(k, v);
    }
    let out = command.output().expect("run s3_put.py");
    assert!(
        out.status.success(),
        "upload to the S3 server failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Airflow's worker log server (serve_logs) over `base`, with `secret`.
pub fn airflow_log_server(base: &Path, secret: &str) -> Server {
    let port = free_port();
    let home = base.with_file_name(format!(
        "{}-airflow-home",
        base.file_name().unwrap_or_default().to_string_lossy()
    ));
    std::fs::create_dir_all(&home).expect("airflow home");
    let uvicorn = python().with_file_name("uvicorn");
    Server::start(
        &uvicorn,
        &[
            "--factory".into(),
            "airflow.utils.serve_logs.log_server:get_app".into(),
            "--host".into(),
            "127.0.0.1".into(),
            "--port".into(),
            port.to_string(),
        ],
        port,
        &[
            ("AIRFLOW_HOME", &home.display().to_string()),
            ("AIRFLOW__API__SECRET_KEY", secret),
            (
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER",
                &base.display().to_string(),
            ),
            ("AIRFLOW__CORE__LOAD_EXAMPLES", "False"),
        ],
    )
}

/// A real Airflow 3 API server (`airflow api-server`, simple auth manager
/// with users admin/admin, viewer/viewer and nobody/nobody, who may read
/// nothing) over a home prepared by
/// tests/servers/airflow_api.py: one run of the `etl_daily` DAG made by
/// `airflow dags test`. Started once per test binary.
pub struct AirflowApi {
    pub server: Server,
    pub home: PathBuf,
    pub run_id: String,
    /// `api/v2` (Airflow 3) or `api/v1` (Airflow 2).
    pub prefix: &'static str,
    python: PathBuf,
    env: Vec<(&'static str, String)>,
}

impl AirflowApi {
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Where the API server reads the log of an attempt (the log folder's
    /// default layout); the tests write it.
    pub fn attempt_log(&self, task: &str, map_index: Option<i64>, try_number: u32) -> PathBuf {
        let mut dir = self
            .home
            .join("logs")
            .join("dag_id=etl_daily")
            .join(format!("run_id={}", self.run_id))
            .join(format!("task_id={task}"));
        if let Some(index) = map_index {
            dir = dir.join(format!("map_index={index}"));
        }
        std::fs::create_dir_all(&dir).expect("attempt folder");
        dir.join(format!("attempt={try_number}.log"))
    }

    fn helper(&self, args: &[&str]) -> std::process::Output {
        airflow_api_helper(&self.python, &self.env, args)
    }

    /// Sets the state of the run's task instances of `task` in the
    /// metadata database (a task that runs, then ends).
    pub fn set_state(&self, task: &str, state: &str) {
        self.helper(&["set-state", task, state]);
    }

    /// Sets the host the run's task instances of `task` ran on (what the
    /// API server asks for their files, and the tries' history names).
    pub fn set_host(&self, task: &str, host: &str) {
        self.helper(&["set-host", task, host]);
    }

    /// Adds `count` older finished runs of the DAG (Airflow 3's schema).
    pub fn add_runs(&self, count: usize) {
        self.helper(&["add-runs", &count.to_string()]);
    }

    /// What the API itself answers to `GET path` (under /api/v2 or
    /// /api/v1) with `accept`, logged in as admin.
    pub fn get(&self, path: &str, accept: &str) -> Vec<u8> {
        let url = format!("{}/{}/{path}", self.url(), self.prefix);
        self.helper(&["get", &url, accept]).stdout
    }

    /// The log endpoint of an attempt of the run, as the API names it.
    pub fn log_path(&self, task: &str, try_number: u32) -> String {
        let run: String = self
            .run_id
            .bytes()
            .map(|b| match b {
                b'+' => "%2B".to_string(),
                b':' => "%3A".to_string(),
                other => (other as char).to_string(),
            })
            .collect();
        let mut path =
            format!("dags/etl_daily/dagRuns/{run}/taskInstances/{task}/logs/{try_number}");
        if self.prefix == "api/v1" {
            path.push_str("?full_content=true");
        }
        path
    }
}

/// The Airflow 3 API server.
pub fn airflow_api() -> &'static AirflowApi {
    static API: OnceLock<AirflowApi> = OnceLock::new();
    API.get_or_init(|| start_airflow(python(), "api/v2"))
}

/// An Airflow 2 webserver, its /api/v1 behind basic auth (user admin).
pub fn airflow2_api() -> &'static AirflowApi {
    static API: OnceLock<AirflowApi> = OnceLock::new();
    API.get_or_init(|| start_airflow(python_airflow2(), "api/v1"))
}

fn start_airflow(python: PathBuf, prefix: &'static str) -> AirflowApi {
    let home = tempfile::tempdir().expect("airflow home").keep();
    let dags = home.join("dags");
    std::fs::create_dir_all(&dags).expect("dags folder");
    std::fs::copy(
        root().join("tests/servers/airflow_dags/etl_daily.py"),
        dags.join("etl_daily.py"),
    )
    .expect("copy the DAG");
    let passwords = home.join("passwords.json");
    std::fs::write(
        &passwords,
        r#"{"admin": "admin", "viewer": "viewer", "nobody": "nobody"}"#,
    )
    .expect("passwords file");
    let env: Vec<(&'static str, String)> = vec![
        ("AIRFLOW_HOME", home.display().to_string()),
        ("AIRFLOW__CORE__DAGS_FOLDER", dags.display().to_string()),
        ("AIRFLOW__CORE__LOAD_EXAMPLES", "False".into()),
        (
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER",
            home.join("logs").display().to_string(),
        ),
        // Airflow 3's simple auth manager; `nobody` has no role: logged
        // in, allowed nothing (403).
        (
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS",
            "admin:admin,viewer:viewer,nobody:".into(),
        ),
        (
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE",
            passwords.display().to_string(),
        ),
        ("AIRFLOW__API_AUTH__JWT_SECRET", "logweave-test-jwt".into()),
        ("AIRFLOW__API__SECRET_KEY", "logweave-test-secret".into()),
        // Airflow 2: the REST API with basic auth, as its docs set it up.
        (
            "AIRFLOW__API__AUTH_BACKENDS",
            "airflow.api.auth.backend.basic_auth".into(),
        ),
        (
            "AIRFLOW__WEBSERVER__SECRET_KEY",
            "logweave-test-secret".into(),
        ),
    ];
    let prepared = airflow_api_helper(&python, &env, &["prepare"]);
    let run_id = String::from_utf8_lossy(&prepared.stdout).trim().to_string();
    let port = free_port();
    let server_env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let args: Vec<String> = if prefix == "api/v2" {
        ["api-server", "--apps", "core", "-H", "127.0.0.1", "-p"]
    } else {
        ["webserver", "-w", "1", "-H", "127.0.0.1", "-p"]
    }
    .iter()
    .map(|s| s.to_string())
    .chain([port.to_string()])
    .collect();
    let server = Server::start(&python.with_file_name("airflow"), &args, port, &server_env);
    AirflowApi {
        server,
        home,
        run_id,
        prefix,
        python,
        env,
    }
}

/// Runs tests/servers/airflow_api.py with Airflow's environment.
fn airflow_api_helper(
    python: &Path,
    env: &[(&'static str, String)],
    args: &[&str],
) -> std::process::Output {
    let mut command = Command::new(python);
    command
        .arg(root().join("tests/servers/airflow_api.py"))
        .args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().expect("run airflow_api.py");
    assert!(
        out.status.success(),
        "airflow_api.py {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Azurite's blob service, shared by the tests of a process, storing its
/// blobs under a temporary folder.
pub fn azure_server() -> &'static Server {
    static AZURE: OnceLock<(Server, tempfile::TempDir)> = OnceLock::new();
    let (server, _) = AZURE.get_or_init(|| {
        let data = tempfile::tempdir().expect("a folder for Azurite");
        let port = free_port();
        let server = Server::start(
            &azurite_bin(),
            &[
                "--blobHost".into(),
                "127.0.0.1".into(),
                "--blobPort".into(),
                port.to_string(),
                "--location".into(),
                data.path().display().to_string(),
                // object_store may speak a newer API version than this
                // Azurite knows; the calls it makes are the same.
                "--skipApiVersionCheck".into(),
                "--loose".into(),
                "--silent".into(),
            ],
            port,
            &[],
        );
        (server, data)
    });
    server
}

/// Environment for logweave to reach Azurite (its development account).
pub fn azure_env(server: &Server) -> Vec<(&'static str, String)> {
    vec![
        ("AZURE_STORAGE_USE_EMULATOR", "true".into()),
        ("AZURITE_BLOB_STORAGE_URL", server.url()),
    ]
}

/// Uploads `objects` (name, file) into `container` on Azurite, replacing
/// blobs of the same name.
pub fn azure_put(container: &str, objects: &[(String, PathBuf)]) {
    let server = azure_server();
    let mut command = Command::new(python());
    command
        .arg(root().join("tests/servers/azure_put.py"))
        .arg(server.url())
        .arg(container);
    for (name, path) in objects {
        command.arg(format!("{name}::{}", path.display()));
    }
    let out = command.output().expect("run azure_put.py");
    assert!(
        out.status.success(),
        "upload to Azurite failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
