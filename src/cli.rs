//! Command-line interface: what users type, parsed by clap.

pub mod docs;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::gen::GenFormat;

/// `0.1.0 (commit 1a2b3c4d5e6f)`: the commit comes from `build.rs`.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("LOGWEAVE_COMMIT"),
    ")"
);

/// Headings that group the options in `--help`, the man page and
/// completions.
const FILTERS: &str = "Filters";
const TIME: &str = "Time";
const OUTPUT: &str = "Output";
const SETUP: &str = "Setup";
const SEARCH: &str = "Elasticsearch/OpenSearch";

/// Open many timestamped logs (an Airflow task attempt's worker log, trigger
/// sub-logs, remote copies, …) as one time-ordered stream.
///
/// On a terminal, logweave opens a viewer that pages through the merged
/// stream like `less` (press `H` for its keys); otherwise, or with
/// `--print`, it writes the stream to stdout. Memory does not grow with the
/// logs. Defaults can be set once in a config file (see `--config`).
#[derive(Debug, Parser)]
#[command(
    name = "logweave",
    version = VERSION,
    after_help = "Examples:\n  logweave attempt=1.log attempt=1.log.trigger.42.log remote/attempt=1.log\n  logweave --print --since '2024-12-20 10:15' logs/ | grep ERROR\n  logweave airflow --profile prod --dag etl_daily\n\n'-h' shows a summary, '--help' all details."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub open: OpenArgs,

    /// The config file [default: $XDG_CONFIG_HOME/logweave/config.toml,
    /// else ~/.config/logweave/config.toml].
    ///
    /// TOML: defaults for --tz and --threads, theme and key overrides, and
    /// named Airflow deployments for `logweave airflow --profile`. A
    /// missing default file is no error; a missing file named here is.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "LOGWEAVE_CONFIG",
        help_heading = SETUP
    )]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a realistic, deterministic Airflow task attempt (for demos and benchmarks).
    ///
    /// Three files in --out: the worker log `attempt=1.log` (60% of the
    /// bytes), the triggerer's sub-log `attempt=1.log.trigger.42.log` (25%)
    /// and `remote/attempt=1.log`, a copy of a slice of the worker log (15%).
    /// The same options write the same bytes.
    ///
    /// `--format text` is Airflow 2's, in time order. `--format json` is
    /// Airflow 3.3.2's, out of time order as it writes a task's file: the
    /// supervisor stamps a printed line when it reads it, while a logging
    /// record keeps the time it was emitted and reaches the supervisor later
    /// through the log socket, so records land after lines stamped later
    /// (half of them, by up to --late; none more than a few hundred
    /// records, ~100 KB, from its place in time order, as in the real
    /// files). The
    /// lines are in order among themselves, and so are the records; the
    /// triggerer's sub-log is in order.
    Gen(GenArgs),
    /// Open a generated Airflow task attempt (written once to a cache folder).
    Demo(Box<DemoArgs>),
    /// Open every log of one Airflow task attempt, wherever it is.
    ///
    /// The local file and its trigger sub-logs and rotation backups, the
    /// remote copy, the worker's and the triggerer's log servers. Without
    /// ids (on a terminal): pick them from a list. A deployment set up once
    /// in the config file is named with --profile.
    Airflow(Box<AirflowArgs>),
    /// Show logs with the records whose template a baseline never had marked.
    ///
    /// The baseline (a good run's logs) is read once into a bounded table
    /// of templates: messages with numbers, ids, hashes, times, durations
    /// and paths' numbered parts masked, and the places where the
    /// baseline's words vary made wildcards. The logs given with --with
    /// are shown as usual, new records marked `+` (`+`/`-` jump to them);
    /// `--print --only-new` prints only them. Templates that vanished or
    /// changed their count a lot are summed up (status bar, `=` panel,
    /// stderr). Past 65,536 templates, the rest are counted as other, and
    /// said.
    Compare(Box<CompareArgs>),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    ///
    /// Create the folder first (`mkdir -p`). bash (with the bash-completion
    /// package, which loads it): `logweave completions bash >
    /// ~/.local/share/bash-completion/completions/logweave`; zsh: `logweave
    /// completions zsh > ~/.zfunc/_logweave`, with `fpath=(~/.zfunc $fpath)`
    /// in ~/.zshrc before `compinit`; fish: `logweave completions fish >
    /// ~/.config/fish/completions/logweave.fish`.
    Completions(CompletionsArgs),
    /// Write the man pages (logweave.1 and one per subcommand) into a folder.
    #[command(hide = true)]
    Man(ManArgs),
}

/// `logweave completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `logweave man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Folder to write the pages into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
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
    #[arg(long = "try", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub try_number: Option<u32>,

    /// Map index of a mapped task instance.
    #[arg(long, value_name = "N")]
    pub map_index: Option<i64>,

    /// The Airflow UI's address (e.g. https://airflow.example.com): read the
    /// log through Airflow's REST API (/api/v2 of Airflow 3, /api/v1 of
    /// Airflow 2) instead of the log folder, remote storage and log servers.
    #[arg(long, value_name = "URL", env = "AIRFLOW_API_URL")]
    #[allow(rustdoc::bare_urls)] // the doc is --help's text, not rustdoc's
    pub api: Option<String>,

    /// User name for --api (the Airflow UI's login); the password comes from
    /// AIRFLOW_API_PASSWORD, else it is asked for on the terminal.
    #[arg(long, value_name = "NAME", env = "AIRFLOW_API_USER")]
    pub api_user: Option<String>,

    /// A bearer token for --api, as Astronomer or Cloud Composer hand out.
    /// Prefer AIRFLOW_API_TOKEN: command lines are visible to other users.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "AIRFLOW_API_TOKEN",
        hide_env_values = true
    )]
    pub api_token: Option<String>,

    /// A deployment named in the config file (`[airflow.NAME]`): its log
    /// folder, remote base, log servers and secret key, unless flags or the
    /// environment say otherwise [default: the config file's `profile`].
    #[arg(long, value_name = "NAME", env = "LOGWEAVE_PROFILE")]
    pub profile: Option<String>,

    /// The log folder (default: AIRFLOW__LOGGING__BASE_LOG_FOLDER, else the
    /// profile's base_log_folder, else base_log_folder in
    /// $AIRFLOW_HOME/airflow.cfg, else ~/airflow/logs).
    #[arg(long, value_name = "DIR")]
    pub base_log_folder: Option<PathBuf>,

    /// Remote log base (remote_base_log_folder), e.g. s3://bucket/airflow/logs:
    /// every object under the attempt's key joins.
    #[arg(long, value_name = "URL")]
    pub remote: Option<String>,

    /// The worker's log server, e.g. http://worker-3:8793 (a bare host name
    /// means port --worker-log-server-port). Followed without --try, the
    /// task's next tries join as the server serves them.
    #[arg(long, value_name = "URL")]
    pub log_server: Option<String>,

    /// The port of the workers' log servers: for a bare --log-server host
    /// and, with --api, for the host a try ran on when the API server could
    /// not read that try's file (default: worker_log_server_port in
    /// airflow.cfg, else 8793).
    #[arg(
        long,
        value_name = "PORT",
        env = "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"
    )]
    pub worker_log_server_port: Option<u16>,

    /// The triggerer's log server, e.g. http://triggerer-1:8794 (a bare host
    /// name means port 8794): the trigger sub-logs of a deferred task.
    #[arg(long, value_name = "URL")]
    pub triggerer_log_server: Option<String>,

    /// Triggerer job whose sub-log to ask the triggerer's log server for
    /// (repeatable; default: the jobs of the trigger sub-logs found locally
    /// or remotely).
    #[arg(long, value_name = "ID", requires = "triggerer_log_server")]
    pub trigger_job: Vec<u64>,

    /// Elasticsearch holding the task logs (Airflow's Elasticsearch task
    /// handler), e.g. http://es:9200: the attempt's documents by log_id,
    /// in offset order. Credentials from ELASTICSEARCH_API_KEY, else
    /// ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD.
    #[arg(long, value_name = "URL", conflicts_with = "opensearch", help_heading = SEARCH)]
    pub elasticsearch: Option<String>,

    /// OpenSearch holding the task logs (Airflow's OpenSearch task handler);
    /// credentials from OPENSEARCH_USERNAME and OPENSEARCH_PASSWORD.
    #[arg(long, value_name = "URL", help_heading = SEARCH)]
    pub opensearch: Option<String>,

    /// Indices to search (Airflow's elasticsearch.index_patterns) [default: _all].
    #[arg(long, value_name = "PATTERNS", env = "AIRFLOW__ELASTICSEARCH__INDEX_PATTERNS", help_heading = SEARCH)]
    pub index_patterns: Option<String>,

    /// The documents' log_id (Airflow's elasticsearch.log_id_template) [default:
    /// {dag_id}-{task_id}-{run_id}-{map_index}-{try_number}].
    #[arg(long, value_name = "TEMPLATE", env = "AIRFLOW__ELASTICSEARCH__LOG_ID_TEMPLATE", help_heading = SEARCH)]
    pub log_id_template: Option<String>,

    /// How JSON-mode documents become lines (Airflow's logging.log_format) [default:
    /// [%(asctime)s] {%(filename)s:%(lineno)d} %(levelname)s - %(message)s].
    #[arg(long, value_name = "FORMAT", env = "AIRFLOW__LOGGING__LOG_FORMAT", help_heading = SEARCH)]
    pub log_format: Option<String>,

    /// Shared secret for the log server (default: AIRFLOW__API__SECRET_KEY,
    /// else AIRFLOW__WEBSERVER__SECRET_KEY, else the profile's, else
    /// airflow.cfg). Prefer the environment or a profile: command lines are
    /// visible to other users.
    #[arg(long, value_name = "KEY")]
    pub secret_key: Option<String>,

    /// Mark the records whose template another try never had: `try:N`
    /// (of this run), or `last-success` (the latest try of this task, in
    /// this run or an earlier one, that succeeded).
    ///
    /// Templates are messages with numbers, ids, hashes, times and the
    /// places where that try's words vary masked. The viewer marks new
    /// records with `+` in the gutter (`+`/`-` jump to the next/previous);
    /// `--print --only-new` prints only them; templates that vanished or
    /// changed their count a lot are summed up (status bar, `=` panel,
    /// stderr). Through the API, the tries' states say which succeeded;
    /// in the log folder, a try succeeded when its log ends as Airflow
    /// ends a successful one, with no failure record.
    #[arg(long, value_name = "try:N|last-success", value_parser = parse_compare_with, help_heading = FILTERS)]
    pub compare_with: Option<CompareWith>,

    #[command(flatten)]
    pub open: OpenArgs,
}

/// What `logweave airflow --compare-with` compares the attempt with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareWith {
    Try(u32),
    LastSuccess,
}

fn parse_compare_with(text: &str) -> Result<CompareWith, String> {
    if text == "last-success" {
        return Ok(CompareWith::LastSuccess);
    }
    text.strip_prefix("try:")
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|&n| n > 0)
        .map(CompareWith::Try)
        .ok_or_else(|| format!("'{text}' is neither try:N (N ≥ 1) nor last-success"))
}

/// `logweave compare`.
#[derive(Debug, Args)]
#[command(
    mut_arg("sources", |a| a
        .value_name("BASELINE")
        .required(true)
        .help("The baseline: log files, folders or URLs whose templates count as known")),
    after_help = "Examples:\n  \
    logweave compare good/attempt=2.log --with attempt=1.log\n  \
    logweave compare --print --only-new yesterday/ --with today/"
)]
pub struct CompareArgs {
    /// The logs to show, compared with the baseline.
    #[arg(long = "with", value_name = "SOURCE", num_args = 1.., required = true, value_hint = clap::ValueHint::AnyPath)]
    pub with: Vec<PathBuf>,

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
#[derive(Clone, Debug, Args)]
pub struct OpenArgs {
    /// Log files (.gz/.zst too), folders, URLs, or - for stdin.
    ///
    /// A folder means every regular file inside, recursively, ranked by
    /// path. URLs: http(s)://, s3://, gs://, az:// (an object URL without an
    /// object opens all objects under it). Earlier sources rank first when
    /// records have equal times.
    #[arg(value_name = "SOURCE", value_hint = clap::ValueHint::AnyPath)]
    pub sources: Vec<PathBuf>,

    /// Write the merged stream to stdout (the default when stdout is not a terminal).
    #[arg(long, help_heading = OUTPUT)]
    pub print: bool,

    /// Follow the sources as they grow, like `tail -f`.
    ///
    /// The viewer keeps the end in view (as `F` does); print mode keeps
    /// printing. Files that appear in a followed folder join.
    #[arg(short = 'f', long, help_heading = OUTPUT)]
    pub follow: bool,

    /// Prefix each printed line with its source's tag (as the viewer shows
    /// it: the shortest path suffix that tells the sources apart).
    #[arg(long, help_heading = OUTPUT)]
    pub tag: bool,

    /// Show every copy of a record stored in several sources.
    ///
    /// By default a record stored in sources that are copies of one log
    /// (what `logweave airflow` opens, or sources whose first records are
    /// equal) shows once, and how many were shown once is said.
    #[arg(long, help_heading = OUTPUT, overrides_with = "dedup")]
    pub no_dedup: bool,

    /// Show a record stored in several sources once, whatever the sources
    /// (as if all were copies of one log).
    #[arg(long, help_heading = OUTPUT, overrides_with = "no_dedup", hide_short_help = true)]
    pub dedup: bool,

    /// Threads for print mode [default: one per core, at most 4].
    ///
    /// The output is the same whatever the number.
    #[arg(long, value_name = "N", env = "LOGWEAVE_THREADS", help_heading = OUTPUT)]
    pub threads: Option<usize>,

    /// Most bytes to spool from one stream: stdin, a pipe or device, a
    /// decompressed file, a download [default: 8GB].
    ///
    /// Streams are copied to an unlinked temporary file in $TMPDIR as they
    /// arrive; at this size the copy stops and says so, and what arrived
    /// stays readable (a 1 MB gzip bomb does not fill the disk).
    #[arg(long, value_name = "SIZE", env = "LOGWEAVE_SPOOL_MAX", value_parser = crate::gen::parse_size, help_heading = OUTPUT, hide_short_help = true)]
    pub spool_max: Option<u64>,

    /// How long a remote server may send nothing before its request is
    /// retried (4 attempts, then the source shows an error) [default: 30s].
    ///
    /// Seconds, or a duration such as 500ms, 2m. A server that stalls
    /// mid-answer is given up on after about four times this.
    #[arg(long, value_name = "DURATION", env = "LOGWEAVE_REMOTE_TIMEOUT", value_parser = parse_timeout, help_heading = OUTPUT)]
    pub remote_timeout: Option<std::time::Duration>,

    /// Only records at or after this time.
    ///
    /// RFC 3339 (2024-12-20T10:15:00Z), or 'YYYY-MM-DD HH:MM[:SS[.fff]]' in
    /// the --tz zone.
    #[arg(long, value_name = "TIME", help_heading = TIME)]
    pub since: Option<String>,

    /// Only records before this time.
    #[arg(long, value_name = "TIME", help_heading = TIME)]
    pub until: Option<String>,

    /// Zone of times written without an offset [default: UTC].
    ///
    /// Applies to timestamps in the logs and to --since/--until: UTC, local,
    /// +05:30, or an IANA name such as Europe/Berlin. GLOB=ZONE
    /// ('syslog*=Europe/Berlin') is for the sources whose file name (or,
    /// with a /, path) the glob matches; repeatable.
    #[arg(long, value_name = "[GLOB=]ZONE", env = "LOGWEAVE_TZ", help_heading = TIME)]
    pub tz: Vec<String>,

    /// Zone the viewer shows times in, and reads `:` jumps in [default: the
    /// --tz zone, else UTC].
    ///
    /// The status bar and the timeline: UTC, local, +05:30, or an IANA name
    /// such as America/New_York. Z switches between it, UTC and local.
    #[arg(long, value_name = "ZONE", env = "LOGWEAVE_DISPLAY_TZ", help_heading = TIME)]
    pub display_tz: Option<String>,

    /// How far out of time order a source's records may be and still be put
    /// in order [default: 3s].
    ///
    /// Airflow 3 writes logging records after stdout lines stamped later
    /// (up to about 2 s behind on a busy worker): within this window
    /// records are shown by their time; a record further behind (a clock
    /// stepped back) keeps its place in the file, marked and counted. 0
    /// keeps every source in file order wherever it goes back in time.
    #[arg(long, value_name = "DURATION", env = "LOGWEAVE_REORDER_WINDOW", value_parser = parse_window, help_heading = TIME)]
    pub reorder_window: Option<std::time::Duration>,

    /// Timestamp format, as a strftime pattern [default: sniffed per source].
    ///
    /// For logs whose timestamps logweave does not recognise (e.g.
    /// '%d/%m/%Y %H:%M:%S'; '%s' reads epoch seconds, milliseconds or
    /// nanoseconds). Read at line start, else where it first fits in the
    /// line. GLOB=PATTERN ('pod*.log=%d/%b/%Y:%H:%M:%S %z') is for the
    /// sources whose file name (or, with a /, path) the glob matches, the
    /// others are sniffed; repeatable.
    #[arg(long, value_name = "[GLOB=]STRFTIME", help_heading = TIME)]
    pub ts_format: Vec<String>,

    /// Only records with a line matching REGEX (repeatable: any of them).
    ///
    /// Printed or on screen. Smart case: all lower case ignores case. A line
    /// is matched whole up to 16 MiB; a longer one on its first 16 MiB, which
    /// is said (stderr, the status bar).
    #[arg(long, value_name = "REGEX", help_heading = FILTERS)]
    pub grep: Vec<String>,

    /// Leave out records with a line matching REGEX (repeatable).
    #[arg(long, value_name = "REGEX", help_heading = FILTERS)]
    pub grep_v: Vec<String>,

    /// Only records at this level or above (DEBUG, INFO, WARNING, ERROR, CRITICAL).
    #[arg(long, value_name = "LEVEL", help_heading = FILTERS)]
    pub level: Option<String>,

    /// Only records whose template the baseline never had (with `logweave
    /// compare` or `airflow --compare-with`).
    #[arg(long, help_heading = FILTERS, hide_short_help = true)]
    pub only_new: bool,
    /// Only records whose fields match EXPR (repeatable: all of them).
    ///
    /// Fields are JSON members (nested ones as a.b), logfmt pairs, or an
    /// Airflow 2 line's timestamp, filename, lineno, level and event.
    /// EXPR: FIELD OP VALUE, OP one of = != ~ (regex) !~ >= > <= <, joined
    /// by and, or, not and parentheses: 'logger=task.stdout',
    /// 'level>=warning and not logger~dag_processing'. @NAME is the
    /// set NAME of the config's filters table; '' turns off a profile's
    /// default filter.
    #[arg(long = "where", value_name = "EXPR", help_heading = FILTERS)]
    pub where_: Vec<String>,
}

impl OpenArgs {
    /// Takes in options given before a subcommand (`logweave --print demo`)
    /// as if they had been given after it; the subcommand's own win.
    pub fn inherit(&mut self, outer: OpenArgs) {
        let mut sources = outer.sources;
        sources.append(&mut self.sources);
        self.sources = sources;
        self.print |= outer.print;
        self.follow |= outer.follow;
        self.tag |= outer.tag;
        if !self.dedup && !self.no_dedup {
            self.dedup = outer.dedup;
            self.no_dedup = outer.no_dedup;
        }
        self.threads = self.threads.or(outer.threads);
        self.spool_max = self.spool_max.or(outer.spool_max);
        self.remote_timeout = self.remote_timeout.or(outer.remote_timeout);
        self.since = self.since.take().or(outer.since);
        self.until = self.until.take().or(outer.until);
        if self.tz.is_empty() {
            self.tz = outer.tz;
        }
        self.display_tz = self.display_tz.take().or(outer.display_tz);
        if self.ts_format.is_empty() {
            self.ts_format = outer.ts_format;
        }
        self.reorder_window = self.reorder_window.or(outer.reorder_window);
        self.grep.extend(outer.grep);
        self.grep_v.extend(outer.grep_v);
        self.level = self.level.take().or(outer.level);
        self.only_new |= outer.only_new;
        self.where_.extend(outer.where_);
    }
}

/// `logweave gen`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    logweave gen --out /tmp/text --size 830MB                  # Airflow 2 text, in time order\n  \
    logweave gen --out /tmp/json --size 830MB --format json    # Airflow 3 JSON, records up to 2 s late\n  \
    logweave gen --out /tmp/idle --format json --late 260ms    # as late as an idle worker's supervisor\n  \
    logweave gen --out /tmp/sorted --format json --late 0      # Airflow 3 JSON in time order\n  \
    logweave gen --out /tmp/step --format json --clock-step 1h # the worker's clock set back an hour")]
pub struct GenArgs {
    /// Folder to write the attempt into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Approximate total size over all files (e.g. 50MB, 830MB, 2GiB).
    #[arg(long, default_value = "50MB", value_parser = crate::gen::parse_size)]
    pub size: u64,

    /// Airflow 2 text lines, in time order, or Airflow 3 JSON lines as
    /// Airflow 3's supervisor writes them: printed lines stamped when read,
    /// logging records when emitted, written as they arrive (out of order).
    #[arg(long, value_enum, default_value_t = GenFormat::Text)]
    pub format: GenFormat,

    /// Seed: the same seed writes the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Write logging records up to this late: after printed lines stamped
    /// up to DURATION later, as a busy Airflow 3 supervisor does (mostly
    /// under 0.3 s, now and then up to DURATION; 260ms is what an idle
    /// 2-core worker showed, 2s what a loaded one did). 0 keeps time order.
    /// With text, the same two channels, more simply.
    /// [default: 2s for json, 0 for text]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub late: Option<std::time::Duration>,

    /// Step the worker's clock back by DURATION halfway through its log, as
    /// an NTP correction does: the records after it are that much earlier
    /// than the ones before.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub clock_step: Option<std::time::Duration>,
}

/// `--late`, `--clock-step`: plain seconds ("2", "0.5") or a duration
/// ("300ms", "1h").
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    match s.trim().parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds >= 0.0 => {
            Ok(std::time::Duration::from_secs_f64(seconds))
        }
        Ok(_) => Err("give a duration of 0 or more".into()),
        Err(_) => humantime::parse_duration(s.trim())
            .map_err(|e| format!("{e}: give seconds, or a duration such as 300ms or 1h")),
    }
}

/// `--remote-timeout`: plain seconds ("30") or a duration ("500ms", "2m").
/// A reorder window: seconds or a duration, at most a day.
pub fn parse_window(s: &str) -> Result<std::time::Duration, String> {
    let duration = match s.trim().parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds >= 0.0 => {
            std::time::Duration::from_secs_f64(seconds)
        }
        Ok(_) => return Err("a window is a number of seconds, 0 or more".into()),
        Err(_) => humantime::parse_duration(s.trim())
            .map_err(|e| format!("{e}: give seconds, or a duration such as 500ms or 10s"))?,
    };
    if duration > MAX_WINDOW {
        return Err(format!(
            "{} is more than the {} a window may be: past that a clock stepped back, and its records keep their place",
            humantime::format_duration(duration),
            humantime::format_duration(MAX_WINDOW)
        ));
    }
    Ok(duration)
}

/// The largest reorder window.
const MAX_WINDOW: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

fn parse_timeout(s: &str) -> Result<std::time::Duration, String> {
    let duration = match s.trim().parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds >= 0.0 => {
            std::time::Duration::from_secs_f64(seconds)
        }
        Ok(_) => return Err("a timeout is a positive number of seconds".into()),
        Err(_) => humantime::parse_duration(s.trim())
            .map_err(|e| format!("{e}: give seconds, or a duration such as 500ms or 2m"))?,
    };
    if duration.is_zero() {
        return Err("a timeout of 0 would give up at once; give at least 1ms".into());
    }
    Ok(duration)
}
