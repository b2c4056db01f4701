//! Command-line interface: what users type, parsed by clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::gen::GenFormat;

/// Open many timestamped logs (an Airflow task attempt's worker log, trigger
/// sub-logs, remote copies, …) as one time-ordered stream.
#[derive(Debug, Parser)]
#[command(name = "logweave", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub open: OpenArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a realistic, deterministic Airflow task attempt (for demos and benchmarks).
    Gen(GenArgs),
    /// Open a generated Airflow task attempt (written once to a cache folder).
    Demo(DemoArgs),
    /// Open every log of one Airflow task attempt: the local file and its
    /// trigger sub-logs and rotation backups, the remote copy, the worker's
    /// log server. Without ids (on a terminal): pick them from a list.
    Airflow(Box<AirflowArgs>),
}

/// `logweave airflow`.
#[derive(Debug, Args)]
pub struct AirflowArgs {
    /// DAG id.
    #[arg(long, value_name = "ID")]
    pub dag: Option<String>,

    /// Run id (e.g. 'scheduled__2024-12-19T00:00:00+00:00').
    #[arg(long, value_name = "ID")]
    pub run: Option<String>,

    /// Task id.
    #[arg(long, value_name = "ID")]
    pub task: Option<String>,

    /// Try number (default: the latest in the log folder).
    #[arg(long = "try", value_name = "N")]
    pub try_number: Option<u32>,

    /// Map index of a mapped task instance.
    #[arg(long, value_name = "N")]
    pub map_index: Option<i64>,

    /// The log folder (default: AIRFLOW__LOGGING__BASE_LOG_FOLDER, else
    /// base_log_folder in $AIRFLOW_HOME/airflow.cfg, else ~/airflow/logs).
    #[arg(long, value_name = "DIR")]
    pub base_log_folder: Option<PathBuf>,

    /// Remote log base (remote_base_log_folder), e.g. s3://bucket/airflow/logs:
    /// every object under the attempt's key joins.
    #[arg(long, value_name = "URL")]
    pub remote: Option<String>,

    /// The worker's log server, e.g. http://worker-3:8793 (a bare host name
    /// means port 8793).
    #[arg(long, value_name = "URL")]
    pub log_server: Option<String>,

    /// The triggerer's log server, e.g. http://triggerer-1:8794 (a bare host
    /// name means port 8794): the trigger sub-logs of a deferred task.
    #[arg(long, value_name = "URL")]
    pub triggerer_log_server: Option<String>,

    /// Triggerer job whose sub-log to ask the triggerer's log server for
    /// (repeatable; default: the jobs of the trigger sub-logs found locally
    /// or remotely).
    #[arg(long, value_name = "ID", requires = "triggerer_log_server")]
    pub trigger_job: Vec<u64>,

    /// Shared secret for the log server (default: AIRFLOW__API__SECRET_KEY,
    /// else AIRFLOW__WEBSERVER__SECRET_KEY, else airflow.cfg). Prefer the
    /// environment: command lines are visible to other users.
    #[arg(long, value_name = "KEY")]
    pub secret_key: Option<String>,

    #[command(flatten)]
    pub open: OpenArgs,
}

/// `logweave demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Approximate total size of the demo attempt.
    #[arg(long, default_value = "4MB", value_parser = crate::gen::parse_size)]
    pub size: u64,

    /// Airflow 2 text lines or Airflow 3 JSON lines.
    #[arg(long, value_enum, default_value_t = GenFormat::Text)]
    pub format: GenFormat,

    /// Seed of the generated attempt.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Keep appending to the demo sources (worker and triggerer at different
    /// rates, tracebacks, one truncation) and follow them.
    #[arg(long)]
    pub live: bool,

    #[command(flatten)]
    pub open: OpenArgs,
}

/// Options for opening and merging sources.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// Log files (.gz/.zst too), directories (every regular file inside,
    /// recursively, ranked by path), URLs (http(s)://, s3://, gs://, az://;
    /// an object URL without an object opens all objects under it), or - for
    /// stdin. Earlier sources rank first when records have equal times.
    #[arg(value_name = "SOURCE")]
    pub sources: Vec<PathBuf>,

    /// Write the merged stream to stdout (the default when stdout is not a terminal).
    #[arg(long)]
    pub print: bool,

    /// Follow the sources as they grow: the viewer keeps the end in view
    /// (as `F` does); print mode keeps printing, like `tail -f`.
    #[arg(short = 'f', long)]
    pub follow: bool,

    /// Only records at or after this time (RFC 3339, or 'YYYY-MM-DD HH:MM[:SS[.fff]]' in --tz).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only records before this time.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Zone of timestamps written without an offset, and of --since/--until
    /// (UTC, local, +05:30, or an IANA name such as Europe/Berlin).
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    pub tz: String,

    /// Timestamp format at the start of each line, as a strftime pattern
    /// (e.g. '%d/%m/%Y %H:%M:%S'); sniffed per source when not given.
    #[arg(long, value_name = "STRFTIME")]
    pub ts_format: Option<String>,

    /// Show records stored in several sources once per source instead of once.
    #[arg(long)]
    pub no_dedup: bool,

    /// Prefix each printed line with its source's label.
    #[arg(long)]
    pub tag: bool,

    /// Only records with a line matching REGEX (repeatable: any of them),
    /// printed or on screen. Smart case: all lower case ignores case.
    #[arg(long, value_name = "REGEX")]
    pub grep: Vec<String>,

    /// Leave out records with a line matching REGEX (repeatable).
    #[arg(long, value_name = "REGEX")]
    pub grep_v: Vec<String>,

    /// Only records at this level or above (DEBUG, INFO, WARNING, ERROR, CRITICAL).
    #[arg(long, value_name = "LEVEL")]
    pub level: Option<String>,

    /// Threads for print mode (default: one per core, at most 4). The output
    /// is the same whatever the number.
    #[arg(long, value_name = "N", default_value_t = 0, hide_default_value = true)]
    pub threads: usize,
}

/// `logweave gen`.
#[derive(Debug, Args)]
pub struct GenArgs {
    /// Folder to write the attempt into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Approximate total size over all files (e.g. 50MB, 830MB, 2GiB).
    #[arg(long, default_value = "50MB", value_parser = crate::gen::parse_size)]
    pub size: u64,

    /// Airflow 2 text lines or Airflow 3 JSON lines.
    #[arg(long, value_enum, default_value_t = GenFormat::Text)]
    pub format: GenFormat,

    /// Seed: the same seed writes the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}
