//! Each try from where it ran (Airflow #62372): the API server asks the
//! task instance's current host for a try's file; when that fails, the
//! task instance's history names the host the try ran on, and logweave
//! reads the file from the log server there itself. The real Airflow 3 API
//! server cannot reach the worker (nothing serves its default port 8793);
//! the worker is Airflow's own `serve_logs` on another port of 127.0.0.1,
//! over a folder that holds the try's file.

use std::process::{Command, Output, Stdio};

use super::servers::{airflow_api, airflow_log_server};
use super::{ids, stderr, ADMIN};

const SECRET: &str = "the-workers-secret";

const RECORDS: [&str; 3] = [
    "{\"timestamp\":\"2024-12-20T11:00:00.000000Z\",\"event\":\"moved record 0\",\"level\":\"info\"}",
    "{\"timestamp\":\"2024-12-20T11:00:01.000000Z\",\"event\":\"moved record 1\",\"level\":\"info\"}",
    "{\"timestamp\":\"2024-12-20T11:00:02.000000Z\",\"event\":\"moved record 2\",\"level\":\"info\"}",
];

/// logweave with only the environment given (no secret key from this
/// machine's environment or airflow.cfg).
fn logweave(args: &[&str], home: &std::path::Path, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_logweave"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("TZ", "UTC")
        .envs(ADMIN)
        .stdin(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run logweave")
}

#[test]
fn a_try_the_api_server_cannot_read_on_its_worker_is_read_from_where_it_ran() {
    let api = airflow_api();
    let url = api.url();
    let root = tempfile::tempdir().unwrap();
    let worker = root.path().join("worker");
    let task = worker
        .join("dag_id=etl_daily")
        .join(format!("run_id={}", api.run_id))
        .join("task_id=moved");
    std::fs::create_dir_all(&task).unwrap();
    std::fs::write(task.join("attempt=1.log"), RECORDS.join("\n") + "\n").unwrap();
    let server = airflow_log_server(&worker, SECRET);
    api.set_host("moved", "127.0.0.1");
    let port = server.port.to_string();
    let host = format!("127.0.0.1:{port}");
    let mut args = ids(api, "moved");
    args.extend(["--api", &url, "--print", "--tag"]);
    args.extend(["--worker-log-server-port", &port]);

    // With the deployment's key: read from the worker it ran on, each
    // record once, and said.
    let out = logweave(&args, root.path(), &[("AIRFLOW__API__SECRET_KEY", SECRET)]);
    let (printed, said) = (String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(out.status.success(), "{said}\n{printed}");
    for record in RECORDS {
        assert_eq!(
            printed.matches(&format!("served: {record}\n")).count(),
            1,
            "{record} once, from the worker:\n{printed}\n{said}"
        );
    }
    assert!(
        said.contains("could not read its file on the worker")
            && said.contains(&format!("read from {host}'s log server, where it ran")),
        "{said}"
    );

    // Without a key: nothing read from the worker, and the command that
    // would read it said.
    let out = logweave(&args, root.path(), &[]);
    let (printed, said) = (String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(!printed.contains("moved record"), "{printed}");
    assert!(
        said.contains("try 1 ran on 127.0.0.1") && said.contains("--log-server 127.0.0.1"),
        "{said}"
    );

    // An explicit --log-server without the file: its 404 names the host
    // the try ran on (and the try is still read from there).
    let other = root.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    let elsewhere = airflow_log_server(&other, SECRET);
    let mut with_server = args.clone();
    let elsewhere_url = elsewhere.url();
    with_server.extend(["--log-server", &elsewhere_url]);
    let out = logweave(
        &with_server,
        root.path(),
        &[("AIRFLOW__API__SECRET_KEY", SECRET)],
    );
    let (printed, said) = (String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("history says this try ran on 127.0.0.1"),
        "{said}"
    );
    assert_eq!(printed.matches("moved record 1").count(), 1, "{printed}");
}
