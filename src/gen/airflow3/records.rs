//! The records of an Airflow 3 task file, field for field as Airflow 3.3.2
//! writes them (see `/work/realdata`-style captures in
//! `tests/remote/airflow_run.rs`):
//!
//! * a stdout/stderr line: `timestamp, level, event, logger` with
//!   `task.stdout` (`info`) or `task.stderr` (`error`);
//! * a stdlib logging record of the DAG's module: `timestamp, level, event,
//!   logger, <ids>, filename, lineno[, error_detail]`, its logger the module
//!   name as Airflow imports a DAG file (`unusual_prefix_<sha1>_<file>`);
//! * a structlog record of Airflow's own loggers (`task`, hooks, operators,
//!   the triggerer): `timestamp, level, event, <extra fields>, <ids>, logger,
//!   filename, lineno[, error_detail]`; the triggerer's runner has no logger;
//! * the ids, in the order one task process happens to keep them:
//!   `task_id, dag_id, map_index, try_number, ti_id, run_id`.

use super::super::fmt::{push_json_escaped, push_num, DateTimes};

pub const DAG_ID: &str = "etl_daily";
pub const TASK_ID: &str = "extract";
pub const RUN_ID: &str = "scheduled__2024-12-19T00:00:00+00:00";
pub const TI_ID: &str = "0193e3a1-7c2a-7d3e-9f1b-5c8e2a4d6b10";
/// The DAG module's logger name: Airflow imports a DAG file under a prefixed
/// name (the SHA-1 of its path), so `logging.getLogger(__name__)` gets it.
pub const MODULE_LOGGER: &str = "unusual_prefix_5a1c9e0f3b7d24c6e8a0b2d4f6a8c0e2b4d6f8a0_etl_daily";
pub const DAG_FILE: &str = "/opt/airflow/dags/etl_daily.py";
pub const S3_HOOK_LOGGER: &str = "airflow.task.hooks.airflow.providers.amazon.aws.hooks.s3.S3Hook";
pub const S3_TRIGGER_LOGGER: &str = "airflow.providers.amazon.aws.triggers.s3.S3KeyTrigger";

/// Which ids a record carries, in its writer's order.
#[derive(Clone, Copy)]
pub enum Ids {
    /// None: the first record of a try, before they are bound.
    None,
    /// The task process's.
    Task,
    /// The task process's, `dag_id` aside (the record has it among its own
    /// fields, first).
    TaskButDag,
    /// The triggerer's.
    Trigger,
}

/// One frame of a traceback: file, line, function.
pub type Frame = (&'static str, u64, &'static str);

/// One exception of a chain, as `error_detail` lists it: the raised one
/// first, then its cause (`is_cause`).
pub struct Exception<'a> {
    pub exc_type: &'a str,
    pub exc_value: &'a [u8],
    pub is_cause: bool,
    pub frames: &'a [Frame],
}

/// Formats records into a line buffer.
pub struct Records {
    dates: DateTimes,
    task_ids: Vec<u8>,
    task_ids_but_dag: Vec<u8>,
    trigger_ids: Vec<u8>,
}

impl Records {
    pub fn new() -> Self {
        let ids = |order: &[&str]| {
            let mut out = Vec::new();
            for key in order {
                out.extend_from_slice(b",\"");
                out.extend_from_slice(key.as_bytes());
                out.extend_from_slice(b"\":");
                match *key {
                    "map_index" => out.extend_from_slice(b"-1"),
                    "try_number" => out.push(b'1'),
                    key => {
                        let value = match key {
                            "task_id" => TASK_ID,
                            "dag_id" => DAG_ID,
                            "ti_id" => TI_ID,
                            _ => RUN_ID,
                        };
                        out.push(b'"');
                        out.extend_from_slice(value.as_bytes());
                        out.push(b'"');
                    }
                }
            }
            out
        };
        Self {
            dates: DateTimes::new(),
            task_ids: ids(&[
                "task_id",
                "dag_id",
                "map_index",
                "try_number",
                "ti_id",
                "run_id",
            ]),
            task_ids_but_dag: ids(&["task_id", "map_index", "try_number", "ti_id", "run_id"]),
            trigger_ids: ids(&[
                "dag_id",
                "ti_id",
                "run_id",
                "try_number",
                "task_id",
                "map_index",
            ]),
        }
    }

    fn head(&mut self, out: &mut Vec<u8>, us: i64, level: &str, event: &[u8]) {
        out.extend_from_slice(b"{\"timestamp\":\"");
        self.dates.push_micros_z(out, us);
        out.extend_from_slice(b"\",\"level\":\"");
        out.extend_from_slice(level.as_bytes());
        out.extend_from_slice(b"\",\"event\":\"");
        push_json_escaped(out, event);
        out.push(b'"');
    }

    fn ids(&self, ids: Ids) -> &[u8] {
        match ids {
            Ids::None => b"",
            Ids::Task => &self.task_ids,
            Ids::TaskButDag => &self.task_ids_but_dag,
            Ids::Trigger => &self.trigger_ids,
        }
    }

    /// A line the task printed, as the supervisor logs it.
    pub fn stdio(&mut self, out: &mut Vec<u8>, us: i64, stderr: bool, text: &[u8]) {
        let (level, logger) = if stderr {
            ("error", "task.stderr")
        } else {
            ("info", "task.stdout")
        };
        self.head(out, us, level, text);
        out.extend_from_slice(b",\"logger\":\"");
        out.extend_from_slice(logger.as_bytes());
        out.extend_from_slice(b"\"}\n");
    }

    /// A record of the DAG module's stdlib logger.
    pub fn module(
        &mut self,
        out: &mut Vec<u8>,
        us: i64,
        level: &str,
        event: &[u8],
        lineno: u64,
        error: &[Exception],
    ) {
        self.head(out, us, level, event);
        out.extend_from_slice(b",\"logger\":\"");
        out.extend_from_slice(MODULE_LOGGER.as_bytes());
        out.push(b'"');
        out.extend_from_slice(&self.task_ids);
        out.extend_from_slice(b",\"filename\":\"etl_daily.py\",\"lineno\":");
        push_num(out, lineno);
        push_error_detail(out, error);
        out.extend_from_slice(b"}\n");
    }

    /// A record of one of Airflow's structlog loggers (`logger` `None` for
    /// the triggerer's runner). `extra` holds fields of its own, each as
    /// `,"key":value`.
    #[allow(clippy::too_many_arguments)]
    pub fn airflow(
        &mut self,
        out: &mut Vec<u8>,
        us: i64,
        level: &str,
        event: &[u8],
        extra: &[u8],
        ids: Ids,
        logger: Option<&str>,
        site: (&str, u64),
        error: &[Exception],
    ) {
        self.head(out, us, level, event);
        out.extend_from_slice(extra);
        out.extend_from_slice(self.ids(ids));
        if let Some(logger) = logger {
            out.extend_from_slice(b",\"logger\":\"");
            out.extend_from_slice(logger.as_bytes());
            out.push(b'"');
        }
        out.extend_from_slice(b",\"filename\":\"");
        out.extend_from_slice(site.0.as_bytes());
        out.extend_from_slice(b"\",\"lineno\":");
        push_num(out, site.1);
        push_error_detail(out, error);
        out.extend_from_slice(b"}\n");
    }
}

/// `,"error_detail":[…]` for a non-empty chain, as structlog's exception
/// transformer structures a traceback.
fn push_error_detail(out: &mut Vec<u8>, chain: &[Exception]) {
    if chain.is_empty() {
        return;
    }
    out.extend_from_slice(b",\"error_detail\":[");
    for (i, exception) in chain.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"exc_type\":\"");
        out.extend_from_slice(exception.exc_type.as_bytes());
        out.extend_from_slice(b"\",\"exc_value\":\"");
        push_json_escaped(out, exception.exc_value);
        out.extend_from_slice(b"\",\"exc_notes\":[],\"syntax_error\":null,\"is_cause\":");
        out.extend_from_slice(if exception.is_cause {
            b"true"
        } else {
            b"false"
        });
        out.extend_from_slice(b",\"frames\":[");
        for (j, (file, line, name)) in exception.frames.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"filename\":\"");
            out.extend_from_slice(file.as_bytes());
            out.extend_from_slice(b"\",\"lineno\":");
            push_num(out, *line);
            out.extend_from_slice(b",\"name\":\"");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\"}");
        }
        out.extend_from_slice(b"],\"is_group\":false,\"exceptions\":[]}");
    }
    out.push(b']');
}

/// A file of Airflow's task SDK, where the task runner's frames are.
macro_rules! concat_sdk {
    ($path:literal) => {
        concat!("/usr/local/lib/python3.12/site-packages/airflow/sdk", $path)
    };
}

/// The frames from the task runner down to the task's callable.
pub const RUNNER_FRAMES: [Frame; 11] = [
    (
        concat_sdk!("/execution_time/task_runner.py"),
        1579,
        "_run_task_and_map_outcome",
    ),
    (
        concat_sdk!("/execution_time/task_runner.py"),
        197,
        "wrapper",
    ),
    (
        concat_sdk!("/execution_time/task_runner.py"),
        2234,
        "_execute_task",
    ),
    (
        concat_sdk!("/execution_time/task_runner.py"),
        197,
        "wrapper",
    ),
    (
        concat_sdk!("/execution_time/task_runner.py"),
        2192,
        "_run_execute_callable",
    ),
    (concat_sdk!("/bases/operator.py"), 462, "wrapper"),
    (
        "/usr/local/lib/python3.12/site-packages/airflow/providers/standard/operators/python.py",
        231,
        "execute",
    ),
    (concat_sdk!("/bases/operator.py"), 462, "wrapper"),
    (
        "/usr/local/lib/python3.12/site-packages/airflow/providers/standard/operators/python.py",
        254,
        "execute_callable",
    ),
    (concat_sdk!("/execution_time/callback_runner.py"), 97, "run"),
    (DAG_FILE, 131, "extract"),
];
