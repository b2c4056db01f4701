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
    /// Log files, or directories (every regular file inside, recursively, ranked by path).
    /// Earlier sources rank first when records have equal times.
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
