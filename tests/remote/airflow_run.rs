//! A real Airflow 3 deployment on 127.0.0.1 for the tests that need the
//! files and answers Airflow itself makes: api-server, scheduler with the
//! LocalExecutor (and its worker log server), dag-processor and triggerer
//! over SQLite, from `target/test-venv` (tests/servers/requirements.txt),
//! started by tests/servers/airflow_run.py once per test binary, stopped
//! when the test process exits. The DAGs are tests/servers/airflow_run_dags/.
//!
//! Airflow 3 writes a task's file out of time order: the supervisor stamps
//! stdout/stderr lines when it reads the pipe, logging records are stamped
//! when emitted and arrive later through the log socket, and both are
//! written in arrival order (see /work/realdata/ANALYSIS.md's figures).
//!
//! Include it beside servers.rs, whose venv and ports it uses:
//!
//! ```ignore
//! #[path = "remote/servers.rs"]
//! mod servers;
//! #[path = "remote/airflow_run.rs"]
//! mod airflow_run;
//!
//! let airflow = airflow_run::airflow(); // started, first run finished
//! let try1 = airflow.attempt(&airflow.first_run, "chatty", None, 1);
//! ```

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::servers::python;

/// The DAG of the first run (tests/servers/airflow_run_dags/logweave_real.py):
/// `chatty` fails try 1 and succeeds on try 2, writing several MB a try;
/// `deferred` defers to the triggerer and resumes; `orders` is mapped over
/// three regions; `tick` runs after `chatty`.
pub const DAG: &str = "logweave_real";
/// The DAG follow tests trigger (logweave_follow.py): `warm_up` waits
/// `start_delay` seconds, then `followed` fails try 1, and try 2 defers,
/// resumes and succeeds.
pub const FOLLOW_DAG: &str = "logweave_follow";
/// The API's users (Airflow's simple auth manager): an admin, a viewer.
pub const ADMIN: (&str, &str) = ("admin", "admin");
pub const VIEWER: (&str, &str) = ("viewer", "viewer");
/// The key the log servers check requests' JWTs with (`[api] secret_key`).
pub const SECRET_KEY: &str = "logweave-real-secret";

/// Until the components answer and heartbeat.
const STARTUP: Duration = Duration::from_secs(180);
/// Until the first run of [`DAG`] has finished.
const FIRST_RUN: Duration = Duration::from_secs(300);

/// One DAG run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub dag: String,
    pub id: String,
}

/// A task instance as the API reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskState {
    /// `none` before the scheduler gave it a state.
    pub state: String,
    pub try_number: u32,
}

/// The running deployment.
pub struct Airflow {
    /// AIRFLOW_HOME (removed after a clean stop; LOGWEAVE_KEEP_AIRFLOW=1 keeps it).
    pub home: PathBuf,
    /// The base log folder, in Airflow's default layout.
    pub logs: PathBuf,
    /// The API server (and UI), e.g. `http://127.0.0.1:43123`.
    pub api: String,
    /// The worker's log server (serve_logs, Airflow's 8793) on 127.0.0.1.
    pub log_server: u16,
    /// The triggerer's log server (Airflow's 8794) on 127.0.0.1.
    pub trigger_log_server: u16,
    /// The run of [`DAG`] made at start, finished.
    pub first_run: Run,
    /// From the start of the script to the components being ready (a
    /// migrated database is kept in target/airflow-run-db for the next start).
    pub ready_after: Duration,
    /// From the start of the script to the first run's end.
    pub first_run_after: Duration,
    /// A line the script printed after it was ready: a component exited.
    trouble: Arc<Mutex<Option<String>>>,
    _serve: Mutex<Child>,
    /// Held open: its EOF stops the deployment.
    _stdin: Mutex<ChildStdin>,
}

/// The deployment, started on first use (once per test binary) with its
/// first run of [`DAG`] finished. Panics with the components' logs when it
/// cannot get there.
pub fn airflow() -> &'static Airflow {
    static AIRFLOW: OnceLock<Airflow> = OnceLock::new();
    AIRFLOW.get_or_init(start)
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/servers/airflow_run.py")
}

fn start() -> Airflow {
    let started = Instant::now();
    let home = tempfile::Builder::new()
        .prefix("logweave-airflow-")
        .tempdir()
        .expect("a home for Airflow")
        .keep();
    let stderr = std::fs::File::create(home.join("serve.log")).expect("serve.log");
    let mut child = Command::new(python())
        .arg(script())
        .arg("serve")
        .arg(&home)
        .env(
            "LOGWEAVE_AIRFLOW_DB_CACHE",
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/airflow-run-db"),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("start tests/servers/airflow_run.py");
    let stdin = child.stdin.take().expect("the script's stdin");
    let lines = read_lines(child.stdout.take().expect("the script's stdout"));
    let ready: serde_json::Value = match lines.recv_timeout(STARTUP) {
        Ok(line) => serde_json::from_str(&line).unwrap_or(serde_json::Value::Null),
        Err(RecvTimeoutError::Timeout) => panic!(
            "Airflow was not ready in {STARTUP:?}\n{}",
            component_logs(&home)
        ),
        Err(RecvTimeoutError::Disconnected) => panic!(
            "airflow_run.py serve ended before Airflow was ready\n{}",
            component_logs(&home)
        ),
    };
    if ready["ready"] != true {
        panic!("Airflow did not start: {ready}\n{}", component_logs(&home));
    }
    let ready_after = started.elapsed();
    let trouble = Arc::new(Mutex::new(None));
    let watch = Arc::clone(&trouble);
    std::thread::spawn(move || {
        for line in lines {
            *watch.lock().unwrap_or_else(|e| e.into_inner()) = Some(line);
        }
    });
    let port = |key: &str| {
        ready[key]
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or_else(|| panic!("no {key} port in {ready}"))
    };
    let mut airflow = Airflow {
        logs: home.join("logs"),
        api: ready["api"]
            .as_str()
            .expect("the API's address")
            .to_string(),
        log_server: port("log_server"),
        trigger_log_server: port("trigger_log_server"),
        first_run: Run {
            dag: DAG.into(),
            id: String::new(),
        },
        ready_after,
        first_run_after: Duration::ZERO,
        home,
        trouble,
        _serve: Mutex::new(child),
        _stdin: Mutex::new(stdin),
    };
    let run = airflow.trigger(DAG, "{}");
    let state = airflow.wait(&run, FIRST_RUN);
    assert_eq!(
        state,
        "success",
        "the first run of {DAG} ended {state}\n{}",
        airflow.component_logs()
    );
    airflow.first_run = run;
    airflow.first_run_after = started.elapsed();
    eprintln!(
        "airflow_run: ready after {:.1} s, first run finished after {:.1} s ({})",
        airflow.ready_after.as_secs_f64(),
        airflow.first_run_after.as_secs_f64(),
        airflow.home.display()
    );
    airflow
}

/// The lines of `stdout`, as they come, on a channel.
fn read_lines(stdout: std::process::ChildStdout) -> Receiver<String> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

/// The end of each component's log, for a panic message.
fn component_logs(home: &Path) -> String {
    let mut out = format!("Airflow home: {}\n", home.display());
    for name in [
        "serve",
        "prepare",
        "api-server",
        "scheduler",
        "dag-processor",
        "triggerer",
    ] {
        let path = home.join(format!("{name}.log"));
        let text = std::fs::read(&path).unwrap_or_default();
        let tail = &text[text.len().saturating_sub(4000)..];
        out.push_str(&format!(
            "----- {} (last {} bytes) -----\n{}\n",
            path.display(),
            tail.len(),
            String::from_utf8_lossy(tail)
        ));
    }
    out
}

impl Airflow {
    /// The attempt's file in the log folder (it may not exist yet).
    pub fn attempt(
        &self,
        run: &Run,
        task: &str,
        map_index: Option<u32>,
        try_number: u32,
    ) -> PathBuf {
        self.task_folder(run, task, map_index)
            .join(format!("attempt={try_number}.log"))
    }

    /// The folder of a task instance's attempts.
    pub fn task_folder(&self, run: &Run, task: &str, map_index: Option<u32>) -> PathBuf {
        let mut dir = self
            .logs
            .join(format!("dag_id={}", run.dag))
            .join(format!("run_id={}", run.id))
            .join(format!("task_id={task}"));
        if let Some(index) = map_index {
            dir = dir.join(format!("map_index={index}"));
        }
        dir
    }

    /// The attempt's file and its siblings (`attempt=N.log.trigger.<job>.log`
    /// sub-logs of the triggerer), sorted by name.
    pub fn attempt_files(
        &self,
        run: &Run,
        task: &str,
        map_index: Option<u32>,
        try_number: u32,
    ) -> Vec<PathBuf> {
        let prefix = format!("attempt={try_number}.log");
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.task_folder(run, task, map_index))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| {
                        p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n == prefix || n.starts_with(&format!("{prefix}.")))
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    }

    /// The triggerer job whose sub-log the attempt has (`--trigger-job`),
    /// from the sub-log's name in the log folder.
    pub fn trigger_job(
        &self,
        run: &Run,
        task: &str,
        map_index: Option<u32>,
        try_number: u32,
    ) -> Option<u32> {
        let prefix = format!("attempt={try_number}.log.trigger.");
        self.attempt_files(run, task, map_index, try_number)
            .iter()
            .filter_map(|p| {
                p.file_name()?
                    .to_str()?
                    .strip_prefix(&prefix)?
                    .strip_suffix(".log")?
                    .parse()
                    .ok()
            })
            .next()
    }

    /// Starts a run of `dag` with `conf` (a JSON object: the DAG's params).
    pub fn trigger(&self, dag: &str, conf: &str) -> Run {
        let id = self.helper(&["trigger", dag, conf]);
        Run {
            dag: dag.into(),
            id: id.trim().to_string(),
        }
    }

    /// Waits for `run` to end; its final state (`success` or `failed`).
    pub fn wait(&self, run: &Run, timeout: Duration) -> String {
        self.helper(&["wait", &run.dag, &run.id, &timeout.as_secs().to_string()])
            .trim()
            .to_string()
    }

    /// The task instance's state and try number now.
    pub fn task_state(&self, run: &Run, task: &str, map_index: Option<u32>) -> TaskState {
        let index = map_index.map_or("-1".to_string(), |i| i.to_string());
        let out = self.helper(&["state", &run.dag, &run.id, task, &index]);
        let mut words = out.split_whitespace();
        TaskState {
            state: words.next().unwrap_or("none").to_string(),
            try_number: words.next().and_then(|n| n.parse().ok()).unwrap_or(0),
        }
    }

    /// Polls the task instance until `until` holds; panics after `timeout`.
    pub fn wait_for_task(
        &self,
        run: &Run,
        task: &str,
        map_index: Option<u32>,
        timeout: Duration,
        until: impl Fn(&TaskState) -> bool,
    ) -> TaskState {
        let start = Instant::now();
        loop {
            let state = self.task_state(run, task, map_index);
            if until(&state) {
                return state;
            }
            assert!(
                start.elapsed() < timeout,
                "{task} of {} stayed {state:?} for {timeout:?}\n{}",
                run.id,
                self.component_logs()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// Marks `run` failed, as a user does in the UI: its tasks that have
    /// not run are skipped.
    pub fn fail(&self, run: &Run) {
        self.helper(&["fail", &run.dag, &run.id]);
    }

    /// The API's answer to `GET /api/v2/{path}` with `accept`, as admin.
    pub fn get(&self, path: &str, accept: &str) -> Vec<u8> {
        self.helper_bytes(&["get", path, accept])
    }

    /// The API path (under /api/v2) of an attempt's whole log.
    pub fn log_path(
        &self,
        run: &Run,
        task: &str,
        map_index: Option<u32>,
        try_number: u32,
    ) -> String {
        let run_id: String = run
            .id
            .bytes()
            .map(|b| match b {
                b'+' => "%2B".to_string(),
                b':' => "%3A".to_string(),
                other => (other as char).to_string(),
            })
            .collect();
        let mut path = format!(
            "dags/{}/dagRuns/{run_id}/taskInstances/{task}/logs/{try_number}?full_content=true",
            run.dag
        );
        if let Some(index) = map_index {
            path.push_str(&format!("&map_index={index}"));
        }
        path
    }

    /// The worker's log server, as `--log-server` takes it.
    pub fn log_server_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.log_server)
    }

    /// The triggerer's log server, as `--triggerer-log-server` takes it.
    pub fn trigger_log_server_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.trigger_log_server)
    }

    /// The end of each component's log (for assertion messages).
    pub fn component_logs(&self) -> String {
        component_logs(&self.home)
    }

    fn helper(&self, args: &[&str]) -> String {
        String::from_utf8_lossy(&self.helper_bytes(args)).into_owned()
    }

    /// Runs a command of tests/servers/airflow_run.py against this home.
    fn helper_bytes(&self, args: &[&str]) -> Vec<u8> {
        if let Some(line) = self
            .trouble
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            panic!(
                "the Airflow deployment broke: {line}\n{}",
                self.component_logs()
            );
        }
        let (command, rest) = args.split_first().expect("a command");
        let out = Command::new(python())
            .arg(script())
            .arg(command)
            .arg(&self.home)
            .args(rest)
            .stdin(Stdio::null())
            .output()
            .expect("run tests/servers/airflow_run.py");
        assert!(
            out.status.success(),
            "airflow_run.py {args:?}: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.component_logs()
        );
        out.stdout
    }
}
