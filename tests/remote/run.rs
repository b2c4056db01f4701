//! Running logweave the way the remote and store tests do, and the Airflow
//! log folder they share (tests/remote.rs, tests/stores.rs).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary with `args`, in UTC, with `env` added.
pub fn logweave(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_logweave"));
    command.args(args).env("TZ", "UTC");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run logweave")
}

/// Writes a generated attempt of about `size` into `dir`.
pub fn generate(dir: &Path, size: &str) {
    let out = logweave(
        &["gen", "--out", &dir.display().to_string(), "--size", size],
        &[],
    );
    assert!(out.status.success(), "gen failed");
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Lines per tag in `--tag` output.
pub fn lines_per_tag(out: &Output) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let tag = line.split(": ").next().unwrap_or("").to_string();
        match counts.iter_mut().find(|(t, _)| *t == tag) {
            Some((_, n)) => *n += 1,
            None => counts.push((tag, 1)),
        }
    }
    counts.sort();
    counts
}

pub const TRIGGER_LOG: &str = "attempt=1.log.trigger.42.log";

/// A log folder under `base` with one generated attempt (about `size`) of
/// `etl`/`extract` and its trigger log: its path relative to `base`, and
/// the task's folder.
pub fn airflow_folder(base: &Path, size: &str) -> (String, PathBuf) {
    let relative = "dag_id=etl/run_id=scheduled__2024-12-19T00:00:00+00:00/task_id=extract";
    let task = base.join(relative);
    std::fs::create_dir_all(&task).expect("task folder");
    let gen = base.with_file_name(format!(
        "{}-gen",
        base.file_name().expect("base has a name").to_string_lossy()
    ));
    generate(&gen, size);
    for f in ["attempt=1.log", TRIGGER_LOG] {
        std::fs::copy(gen.join(f), task.join(f)).expect("copy the attempt");
    }
    (relative.to_string(), task)
}

/// `logweave airflow` on the attempt of [`airflow_folder`] in `base`,
/// printing, then `extra`.
pub fn attempt_args<'a>(base: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "airflow",
        "--base-log-folder",
        base,
        "--dag",
        "etl",
        "--run",
        "scheduled__2024-12-19T00:00:00+00:00",
        "--task",
        "extract",
        "--print",
    ];
    args.extend_from_slice(extra);
    args
}
