//! The `logweave` binary: parses arguments and wires the library together.

use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use logweave::airflow::{self, picker::PartialId, AttemptId, Places};
use logweave::cli::{docs, AirflowArgs, Cli, Command, DemoArgs, GenArgs, OpenArgs};
use logweave::config::Config;
use logweave::engine::{self, Engine, SourceInfo};
use logweave::follow;
use logweave::gen::{self, GenSpec};
use logweave::merge::{Merge, MergeOptions, RecordPredicate};
use logweave::print::{print_merge, PrintOptions};
use logweave::record::format::TsFormat;
use logweave::record::timestamp::{format_utc, parse_user_time, Nanos, Zone, ZoneClock};
use logweave::record::{Level, RecordLayout, TimeOptions};
use logweave::search::filter::RecordFilter;
use logweave::search::matcher::{Matcher, PatternKind};
use logweave::source::spool::Spool;
use logweave::source::{
    describe_io_error, named_problem, remote, short_tags, spooled, summarize, FollowTarget, Health,
    OpenError, Opener, SourceEntry,
};
use logweave::view::{self, ViewOptions};
use logweave::window::Window;

/// Exit status when some sources failed but others were shown.
const EXIT_PARTIAL: u8 = 1;
/// Exit status for usage errors and when nothing could be read.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A folder may hold thousands of logs; beyond the limit the descriptor
    // pool closes and reopens files, but the higher the limit, the rarer.
    logweave::source::descriptors::raise_open_file_limit();
    let code = match cli.command {
        Some(Command::Gen(args)) => run_gen(&args),
        Some(Command::Completions(args)) => {
            docs::completions(args.shell, &mut io::stdout().lock());
            ExitCode::SUCCESS
        }
        Some(Command::Man(args)) => match docs::write_man_pages(&args.out) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => fail(
                format_args!("cannot write man pages: {}", describe_io_error(&e)),
                EXIT_PARTIAL,
            ),
        },
        command => {
            let config = match Config::load(cli.config.as_deref()) {
                Ok(config) => config,
                Err(e) => return fail(e, EXIT_USAGE),
            };
            for warning in &config.warnings {
                eprintln!("logweave: warning: {warning}");
            }
            match command {
                Some(Command::Demo(mut args)) => {
                    args.open.inherit(cli.open);
                    run_demo(args, &config)
                }
                Some(Command::Airflow(mut args)) => {
                    args.open.inherit(cli.open);
                    run_airflow(&args, &config)
                }
                _ => run_open(&cli.open, None, &config),
            }
        }
    };
    report_fetch_stats();
    code
}

/// With `LOGWEAVE_FETCH_STATS=FILE`, writes what remote sources fetched
/// (`requests=N bytes=M`) to FILE at exit, for benchmarks.
fn report_fetch_stats() {
    if let Some(file) = std::env::var_os("LOGWEAVE_FETCH_STATS") {
        let stats = remote::fetch_stats();
        let line = format!("requests={} bytes={}\n", stats.requests, stats.bytes);
        if let Err(e) = std::fs::write(&file, line) {
            eprintln!(
                "logweave: cannot write LOGWEAVE_FETCH_STATS: {}",
                describe_io_error(&e)
            );
        }
    }
}

fn fail(message: impl std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("logweave: {message}");
    ExitCode::from(code)
}

fn run_gen(args: &GenArgs) -> ExitCode {
    let spec = GenSpec {
        out: args.out.clone(),
        size: args.size,
        format: args.format,
        seed: args.seed,
    };
    match gen::generate(&spec) {
        Ok(files) => {
            for file in files {
                eprintln!("wrote {} ({} bytes)", file.path.display(), file.bytes);
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(
            format_args!(
                "cannot write to '{}': {}",
                args.out.display(),
                describe_io_error(&e)
            ),
            EXIT_PARTIAL,
        ),
    }
}

/// Writes the demo attempt to a cache folder once, then opens it.
fn run_demo(mut args: DemoArgs, config: &Config) -> ExitCode {
    let format = match args.format {
        gen::GenFormat::Text => "text",
        gen::GenFormat::Json => "json",
    };
    // A live demo grows its files: it gets a folder of its own, written anew.
    let kind = if args.live { "demo-live" } else { "demo" };
    let name = format!("{kind}-{}-{format}-{}", args.size, args.seed);
    let dir = cache_dir().join(&name);
    // The marker sits beside the folder: everything inside it is a source.
    let done = cache_dir().join(format!("{name}.complete"));
    if args.live {
        let _ = std::fs::remove_file(&done);
    }
    if !done.exists() {
        let spec = GenSpec {
            out: dir.clone(),
            size: args.size,
            format: args.format,
            seed: args.seed,
        };
        if let Err(e) = gen::generate(&spec).and_then(|_| std::fs::write(&done, b"")) {
            return fail(
                format_args!(
                    "cannot write the demo to '{}': {}",
                    dir.display(),
                    describe_io_error(&e)
                ),
                EXIT_PARTIAL,
            );
        }
    }
    if args.live {
        // Continue the log from its last record, at wall-clock pace.
        let last = last_time(&dir.join(gen::WORKER_FILE)).unwrap_or(0);
        let live = gen::Live::new(&dir, args.format, args.seed);
        let spawned = std::thread::Builder::new()
            .name("demo-live".into())
            .spawn(move || live.run(last / 1000 + 1000));
        if let Err(e) = spawned {
            return fail(
                format_args!("cannot start the live demo: {e}"),
                EXIT_PARTIAL,
            );
        }
        args.open.follow = true;
    }
    args.open.sources = vec![dir];
    run_open(&args.open, None, config)
}

/// `logweave airflow`: finds every source of one task attempt (asking with
/// a picker for the ids not given, on a terminal), then opens them.
fn run_airflow(args: &AirflowArgs, config: &Config) -> ExitCode {
    // Flags, then Airflow's environment, then the profile, then airflow.cfg.
    let profile = match config.profile(args.profile.as_deref()) {
        Ok(profile) => profile,
        Err(e) => return fail(e, EXIT_USAGE),
    };
    let preset = profile.map(|p| p.settings).cloned().unwrap_or_default();
    let base = airflow::base_log_folder(
        args.base_log_folder.as_deref(),
        preset.base_log_folder.as_deref(),
    );
    let remote = args.remote.clone().or(preset.remote);
    let log_server = args.log_server.clone().or(preset.log_server);
    let triggerer_log_server = args
        .triggerer_log_server
        .clone()
        .or(preset.triggerer_log_server);
    let known = PartialId {
        dag: args.dag.clone(),
        run: args.run.clone(),
        task: args.task.clone(),
        map_index: args.map_index,
        try_number: args.try_number,
    };
    let interactive = !args.open.print && io::stdout().is_terminal() && io::stdin().is_terminal();
    let id = match (&known.dag, &known.run, &known.task) {
        (Some(dag), Some(run), Some(task)) => {
            let mut id = AttemptId {
                dag: dag.clone(),
                run: run.clone(),
                task: task.clone(),
                map_index: known.map_index,
                try_number: known.try_number.unwrap_or(0),
            };
            // `--try` defaults to the latest try in the folder.
            if known.try_number.is_none() {
                let dir = base.join(id.relative_path());
                let dir = dir.parent().unwrap_or(&base);
                // Else the latest remote one: a webserver often has no local logs.
                let latest = airflow::discover::latest_try(dir)
                    .ok()
                    .flatten()
                    .or_else(|| {
                        let remote = remote.as_deref()?;
                        airflow::latest_remote_try(remote, &id).ok().flatten()
                    });
                match latest {
                    Some(latest) => id.try_number = latest,
                    _ if interactive => match airflow::picker::pick(&base, &known) {
                        Ok(Some(picked)) => id = picked,
                        Ok(None) => return ExitCode::SUCCESS,
                        Err(e) => return fail(format_args!("terminal error: {e}"), EXIT_PARTIAL),
                    },
                    _ if remote.is_some()
                        || log_server.is_some()
                        || triggerer_log_server.is_some() =>
                    {
                        return fail(
                            format_args!(
                                "no tries of this task in '{}'{}: give --try",
                                dir.display(),
                                if remote.is_some() {
                                    " nor under --remote"
                                } else {
                                    ""
                                }
                            ),
                            EXIT_USAGE,
                        )
                    }
                    _ => {
                        return fail(
                            format_args!("no tries of this task in '{}'", dir.display()),
                            EXIT_USAGE,
                        )
                    }
                }
            }
            id
        }
        _ if interactive => match airflow::picker::pick(&base, &known) {
            Ok(Some(id)) => id,
            Ok(None) => return ExitCode::SUCCESS,
            Err(e) => {
                return fail(
                    format_args!(
                        "cannot read the log folder '{}': {}",
                        base.display(),
                        describe_io_error(&e)
                    ),
                    EXIT_USAGE,
                )
            }
        },
        _ => {
            let dags = airflow::discover::children(&base, "dag_id")
                .map(|nodes| {
                    nodes
                        .into_iter()
                        .map(|n| n.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            return fail(
                format_args!(
                    "--dag, --run and --task are needed when not on a terminal \
                     (dags in '{}': {})",
                    base.display(),
                    if dags.is_empty() { "none" } else { &dags }
                ),
                EXIT_USAGE,
            );
        }
    };
    let secret_key = airflow::secret_key(args.secret_key.as_deref(), || {
        profile.map_or(Ok(None), |p| p.secret_key())
    });
    let secret_key = match secret_key {
        Ok(key) => key,
        Err(e) => return fail(e, EXIT_USAGE),
    };
    let places = Places {
        base,
        remote,
        log_server,
        triggerer_log_server,
        trigger_jobs: args.trigger_job.clone(),
        secret_key,
    };
    let found = airflow::open_attempt(&id, &places);
    run_open(&args.open, Some(found), config)
}

/// UTC nanoseconds of the last record of a log, if it has one.
fn last_time(path: &std::path::Path) -> Option<i64> {
    let source = logweave::source::FileSource::open(path).ok()?;
    let time = TimeOptions {
        format: None,
        clock: ZoneClock::new(Zone::Utc),
    };
    let layout = RecordLayout::open(Arc::new(source), &time, false).ok()?;
    let len = layout.len();
    layout.reader(4096).record_before(len).ok()??.ts
}

fn cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("logweave")
}

/// Opens `found` (sources a subcommand discovered, with the errors of
/// those it could not open) and the SOURCE arguments, then shows, prints or
/// follows them.
fn run_open(
    args: &OpenArgs,
    found: Option<(Vec<SourceEntry>, Vec<OpenError>)>,
    config: &Config,
) -> ExitCode {
    if args.sources.is_empty() && found.is_none() {
        return fail(
            "no sources given (try 'logweave demo', 'logweave --help', or 'logweave gen --out /tmp/attempt')",
            EXIT_USAGE,
        );
    }
    // Flag or environment (clap), else the config file, else the default.
    let mut args = args.clone();
    args.tz = args.tz.or_else(|| config.tz.clone());
    args.threads = args.threads.or(config.threads);
    let args = &args;
    let view = ViewOptions {
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        theme: config.theme.clone(),
        keys: config.keys.clone(),
    };
    let zone = match Zone::parse(args.tz.as_deref().unwrap_or("UTC")) {
        Ok(zone) => zone,
        Err(e) => return fail(e, EXIT_USAGE),
    };
    let mut clock = ZoneClock::new(zone);
    let mut parse_time = |s: &Option<String>| {
        s.as_deref()
            .map(|s| parse_user_time(s, &mut clock))
            .transpose()
    };
    let (since, until) = match (parse_time(&args.since), parse_time(&args.until)) {
        (Ok(since), Ok(until)) => (since, until),
        (Err(e), _) | (_, Err(e)) => return fail(e, EXIT_USAGE),
    };
    let time = TimeOptions {
        format: args.ts_format.clone().map(TsFormat::Strftime),
        clock,
    };
    let interactive = !args.print && io::stdout().is_terminal();
    let filter = match print_filter(args) {
        Ok(filter) => filter,
        Err(e) => return fail(e, EXIT_USAGE),
    };

    let (mut entries, mut open_errors) = found.unwrap_or_default();
    let (more, more_errors) = open_sources(&args.sources, Opener::knowing(&entries));
    entries.extend(more);
    open_errors.extend(more_errors);
    let open_errors = summarize(open_errors);
    open_entries(
        entries,
        open_errors,
        args,
        interactive,
        since,
        until,
        time,
        filter,
        view,
    )
}

/// Where a command's sources come together: sources opened (and the
/// errors of those that did not) are printed, followed or shown.
#[allow(clippy::too_many_arguments)]
fn open_entries(
    mut entries: Vec<SourceEntry>,
    open_errors: Vec<OpenError>,
    args: &OpenArgs,
    interactive: bool,
    since: Option<Nanos>,
    until: Option<Nanos>,
    time: TimeOptions,
    filter: Option<RecordFilter>,
    view: ViewOptions,
) -> ExitCode {
    let mut spool_failures: Vec<(String, String)> = Vec::new();
    for entry in &mut entries {
        let waited = if args.follow || interactive {
            // Enough to sniff the format; follow mode takes in the rest.
            entry.settle_filling(64 * 1024)
        } else {
            // Print mode merges all of a stream: wait for it to end.
            entry.finish_filling()
        };
        if let Err(e) = waited {
            // What arrived stays; the problem is said below.
            let reason = entry
                .health
                .as_ref()
                .and_then(|h| h.problem())
                .unwrap_or_else(|| describe_io_error(&e));
            spool_failures.push((entry.path.display().to_string(), reason));
        }
    }
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut notices = Vec::new();
    for e in &open_errors {
        if !interactive {
            eprintln!("logweave: {e}");
        }
        if e.is_failure() {
            failures.push((e.path().to_string(), e.reason()));
        } else {
            notices.push(e.to_string());
        }
    }
    if !interactive {
        for (path, reason) in &spool_failures {
            eprintln!("logweave: '{path}': {reason}");
        }
    }
    let partial = !spool_failures.is_empty();
    if args.follow && !interactive {
        if since.is_some() || until.is_some() {
            return fail("--since/--until do not combine with -f yet", EXIT_USAGE);
        }
        if entries.is_empty() {
            return fail("nothing to follow: no source could be opened", EXIT_USAGE);
        }
        let options = PrintOptions {
            since: None,
            until: None,
            tags: args.tag.then(Vec::new),
            threads: 1,
            prefilter: filter
                .as_ref()
                .map(|f| f.includes.clone())
                .unwrap_or_default(),
            filter: filter.map(|f| Arc::new(f) as Arc<dyn RecordPredicate>),
        };
        let targets = entries
            .into_iter()
            .filter_map(|e| Some((e.follow?, e.label)))
            .collect();
        let merge_options = MergeOptions {
            dedup: !args.no_dedup,
        };
        return match follow::follow_print(
            targets,
            &time,
            merge_options,
            &options,
            io::stdout().lock(),
        ) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => fail(
                format_args!("follow: {}", describe_io_error(&e)),
                EXIT_PARTIAL,
            ),
            Ok(()) => ExitCode::SUCCESS,
        };
    }
    let mut layouts = Vec::new();
    let mut labels = Vec::new();
    let mut tags = Vec::new();
    let mut paths = Vec::new();
    let mut healths = Vec::new();
    let mut paths_shown = Vec::new();
    for entry in entries {
        // Levels are sniffed when something shows or filters by them.
        let want_levels = interactive || filter.as_ref().is_some_and(|f| f.min_level.is_some());
        match RecordLayout::open(entry.source, &time, want_levels) {
            Ok(layout) => {
                layouts.push(layout);
                labels.push(entry.label);
                tags.push(entry.tag);
                paths.push(entry.follow);
                healths.push(entry.health);
                paths_shown.push(entry.path.display().to_string());
            }
            Err(e) => {
                let reason = describe_io_error(&e);
                if !interactive {
                    eprintln!("logweave: cannot read '{}': {reason}", entry.path.display());
                }
                failures.push((entry.path.display().to_string(), reason));
            }
        }
    }
    if layouts.is_empty() {
        if interactive {
            for (path, reason) in &failures {
                eprintln!("logweave: cannot open '{path}': {reason}");
            }
        }
        return fail("nothing to show: no source could be read", EXIT_USAGE);
    }
    let merge_options = MergeOptions {
        dedup: !args.no_dedup,
    };
    if interactive {
        let viewer = Viewer {
            layouts,
            labels,
            tags,
            paths,
            healths,
            failures,
            notices,
            view,
            merge_options,
            since,
            time,
            follow: args.follow,
            folders: args
                .sources
                .iter()
                .filter(|p| p.is_dir())
                .cloned()
                .collect(),
            filter,
        };
        return run_viewer(viewer);
    }

    // `--tag` prefixes lines with the short tag where the opener chose one.
    let line_tags = labels
        .into_iter()
        .zip(tags)
        .map(|(label, tag)| tag.unwrap_or(label))
        .collect();
    let options = PrintOptions {
        since,
        until,
        tags: args.tag.then_some(line_tags),
        threads: args.threads.unwrap_or(0),
        prefilter: filter
            .as_ref()
            .map(|f| f.includes.clone())
            .unwrap_or_default(),
        filter: filter.map(|f| Arc::new(f) as Arc<dyn RecordPredicate>),
    };
    let stats = match print_merge(layouts, merge_options, &options, io::stdout().lock()) {
        Ok(stats) => stats,
        // `| head` closed the pipe: the reader has what it wanted.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
        Err(e) => {
            return fail(
                format_args!("read error: {}", describe_io_error(&e)),
                EXIT_PARTIAL,
            )
        }
    };
    // Sources whose reads failed after retries, said once at the end; a
    // source left out part-way says from when its records are missing.
    let mut sick = false;
    for (i, (health, label)) in healths.iter().zip(&paths_shown).enumerate() {
        let Some(problem) = health.as_ref().and_then(|h| h.problem()) else {
            continue;
        };
        sick = true;
        let what = named_problem(label, &format!("'{label}'"), &problem);
        match stats.dropped.iter().find(|d| d.source == i) {
            Some(dropped) => {
                let from = dropped.after.map_or_else(
                    || "from its start".to_string(),
                    |t| format!("after {}", format_utc(t)),
                );
                eprintln!("logweave: {what}; its records {from} are missing from the output");
            }
            None => eprintln!("logweave: {what}"),
        }
    }
    if failures.is_empty() && !partial && !sick {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    }
}

/// Opens the sources in the order given: `-` is stdin (spooled to a file),
/// URLs are remote sources, anything else a file or folder.
fn open_sources(args: &[PathBuf], mut opener: Opener) -> (Vec<SourceEntry>, Vec<OpenError>) {
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut stdin_taken = false;
    for arg in args {
        let text = arg.to_string_lossy();
        let (opened, failed) = if text == "-" {
            if std::mem::replace(&mut stdin_taken, true) {
                continue;
            }
            match Spool::stdin().and_then(spooled) {
                Ok(entry) => (vec![entry], Vec::new()),
                Err(e) => (
                    Vec::new(),
                    vec![OpenError::Io {
                        path: "-".into(),
                        message: describe_io_error(&e),
                    }],
                ),
            }
        } else if remote::is_url(&text) {
            remote::open_url(&text)
        } else {
            opener.open(arg)
        };
        entries.extend(opened);
        errors.extend(failed);
    }
    (entries, errors)
}

/// `--grep`, `--grep-v` and `--level` as a record filter.
fn print_filter(args: &OpenArgs) -> Result<Option<RecordFilter>, String> {
    let compile = |patterns: &[String]| -> Result<Vec<Matcher>, String> {
        patterns
            .iter()
            .map(|p| Matcher::new(p, PatternKind::Regex).map_err(|e| format!("{e} in '{p}'")))
            .collect()
    };
    let min_level = match &args.level {
        Some(word) => Some(Level::from_word(word.as_bytes()).ok_or_else(|| {
            format!("unknown level '{word}' (use DEBUG, INFO, WARNING, ERROR or CRITICAL)")
        })?),
        None => None,
    };
    let filter = RecordFilter {
        includes: compile(&args.grep)?,
        excludes: compile(&args.grep_v)?,
        min_level,
    };
    Ok((!filter.is_empty()).then_some(filter))
}

/// Everything the viewer is opened with.
struct Viewer {
    layouts: Vec<RecordLayout>,
    labels: Vec<String>,
    /// Tags chosen by the opener (else guessed from the labels).
    tags: Vec<Option<String>>,
    /// The file behind each source, for follow mode.
    paths: Vec<Option<FollowTarget>>,
    /// Problems of background work behind each source.
    healths: Vec<Option<Arc<Health>>>,
    failures: Vec<(String, String)>,
    /// What opening had to say that lost nothing (a skipped loop).
    notices: Vec<String>,
    /// Colours and keys.
    view: ViewOptions,
    merge_options: MergeOptions,
    since: Option<Nanos>,
    time: TimeOptions,
    follow: bool,
    /// Folders given as sources: files that appear in them join.
    folders: Vec<PathBuf>,
    /// `--grep`, `--grep-v`, `--level` as the first filter.
    filter: Option<RecordFilter>,
}

fn run_viewer(v: Viewer) -> ExitCode {
    let (labels, failures) = (&v.labels, &v.failures);
    let clock = v.time.clock.clone();
    let mut all_labels = labels.clone();
    // A failed source is named by its file name: its full path is in stderr's reach.
    let file_name = |path: &str| {
        path.rsplit('/')
            .find(|p| !p.is_empty())
            .unwrap_or(path)
            .to_string()
    };
    all_labels.extend(failures.iter().map(|(path, _)| file_name(path)));
    let mut tags = short_tags(&all_labels);
    for (tag, chosen) in tags.iter_mut().zip(&v.tags) {
        if let Some(chosen) = chosen {
            tag.clone_from(chosen);
        }
    }
    let mut sources: Vec<SourceInfo> = v
        .layouts
        .iter()
        .zip(labels)
        .zip(&tags)
        .map(|((layout, label), tag)| SourceInfo {
            label: label.clone(),
            tag: tag.clone(),
            json: engine::is_json(layout.format()),
            enabled: true,
            error: None,
            warning: None,
        })
        .collect();
    for ((path, reason), tag) in failures.iter().zip(&tags[labels.len()..]) {
        sources.push(SourceInfo {
            label: file_name(path),
            tag: tag.clone(),
            json: false,
            enabled: false,
            error: Some(reason.clone()),
            warning: None,
        });
    }
    let merge = Merge::new(v.layouts, v.merge_options);
    let window = Window::new(merge);
    let overview = engine::start_overview(&window, &[]);
    let (frames_tx, frames_rx) = tokio::sync::watch::channel(Arc::new(engine::Frame::default()));
    let (commands_tx, commands_rx) = std::sync::mpsc::channel();
    let engine = Engine::new(window, sources, clock, overview)
        .watching_health(v.healths)
        .filtered(v.filter)
        .saying((!v.notices.is_empty()).then(|| v.notices.join("; ")))
        .starting_at(v.since)
        .following(
            v.paths,
            v.time,
            v.follow,
            v.folders,
            Some(commands_tx.clone()),
        );
    let engine_thread = std::thread::Builder::new()
        .name("engine".into())
        .spawn(move || {
            engine.run(
                commands_rx,
                Box::new(move |frame| {
                    let _ = frames_tx.send(frame);
                }),
            )
        });
    if let Err(e) = engine_thread {
        return fail(format_args!("cannot start: {e}"), EXIT_PARTIAL);
    }
    match view::run(frames_rx, commands_tx, v.view) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format_args!("terminal error: {e}"), EXIT_PARTIAL),
    }
}
