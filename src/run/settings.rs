//! Raw flags, the environment and the config file made into one validated
//! set of settings, before any source is opened.

use std::io::{self, IsTerminal};
use std::path::PathBuf;

use super::RunError;
use crate::cli::OpenArgs;
use crate::config::Config;
use crate::merge::copies::DedupMode;
use crate::problem::Problem;
use crate::record::format::rules::{parse_ts_format, parse_tz, FormatRule};
use crate::record::timestamp::{parse_user_time, Nanos, Zone, ZoneClock};
use crate::record::{Level, TimeOptions};
use crate::search::expr::FieldFilter;
use crate::search::filter::RecordFilter;
use crate::search::matcher::{Matcher, PatternKind};
use crate::view::ViewOptions;

/// Everything a run needs to know, checked.
#[derive(Clone)]
pub struct Settings {
    /// SOURCE arguments, in rank order.
    pub sources: Vec<PathBuf>,
    /// The viewer (stdout is a terminal and `--print` was not given), else
    /// print mode.
    pub interactive: bool,
    pub follow: bool,
    pub since: Option<Nanos>,
    pub until: Option<Nanos>,
    pub time: TimeOptions,
    /// `--grep`, `--grep-v`, `--level`.
    pub filter: Option<RecordFilter>,
    /// `--only-new`: print or show only the records whose template the
    /// baseline never had.
    pub only_new: bool,
    /// Which sources dedup joins (`--dedup`, `--no-dedup`, the config's `dedup`).
    pub dedup: DedupMode,
    /// `--tag`.
    pub tag: bool,
    /// Print workers (0: one per core, at most 4).
    pub threads: usize,
    /// Most bytes one spooled stream may take (`--spool-max`).
    pub spool_max: u64,
    /// The zone the viewer shows times in and reads `:` jumps in.
    pub display_zone: Zone,
    pub view: ViewOptions,
}

impl Settings {
    /// Resolves `args` over `config`: a flag or its environment variable
    /// (clap), else the config file, else the default.
    pub fn resolve(args: &OpenArgs, config: &Config) -> Result<Settings, RunError> {
        let mut rules = Vec::new();
        let mut zone = None;
        for text in &args.tz {
            match parse_tz(text).map_err(|e| RunError::Usage(format!("--tz: {e}")))? {
                (Some(glob), zone) => rules.push(FormatRule {
                    glob: Some(glob),
                    pattern: None,
                    zone: Some(zone),
                }),
                (None, given) => zone = Some(given),
            }
        }
        let zone = match zone {
            Some(zone) => zone,
            None => Zone::parse(config.tz.as_deref().unwrap_or("UTC")).map_err(RunError::Usage)?,
        };
        for text in &args.ts_format {
            rules.push(
                parse_ts_format(text).map_err(|e| RunError::Usage(format!("--ts-format: {e}")))?,
            );
        }
        rules.extend(config.formats.iter().cloned());
        let display_zone = match args.display_tz.as_deref().or(config.display_tz.as_deref()) {
            Some(name) => {
                Zone::parse(name).map_err(|e| RunError::Usage(format!("--display-tz: {e}")))?
            }
            None => zone.clone(),
        };
        let mut clock = ZoneClock::new(zone);
        let mut parse_time = |s: &Option<String>| {
            s.as_deref()
                .map(|s| parse_user_time(s, &mut clock))
                .transpose()
                .map_err(RunError::Usage)
        };
        let since = parse_time(&args.since)?;
        let until = parse_time(&args.until)?;
        if let (Some(from), Some(to), Some(since), Some(until)) =
            (&args.since, &args.until, since, until)
        {
            if until < since {
                return Err(RunError::Misused(
                    Problem::new(format!(
                        "--until {to} is before --since {from}: no record is in between"
                    ))
                    .with_tip(format!("swap them: --since {to} --until {from}")),
                ));
            }
        }
        let mut time = TimeOptions {
            clock,
            rules: rules.into(),
            ..TimeOptions::default()
        };
        if let Some(window) = args.reorder_window.or(config.reorder_window) {
            time.reorder_window = window.as_nanos().min(i64::MAX as u128) as Nanos;
        }
        let filter = record_filter(args, config)?;
        let interactive = !args.print && io::stdout().is_terminal();
        if args.follow && !interactive && (since.is_some() || until.is_some()) {
            return Err(RunError::Usage(
                "--since/--until do not combine with -f yet".into(),
            ));
        }
        let spool_max = args.spool_max.unwrap_or(crate::source::spool::DEFAULT_CAP);
        if spool_max == 0 {
            return Err(RunError::Usage(
                "--spool-max must be more than 0 bytes".into(),
            ));
        }
        // Every spool of the run obeys it, also those started before the
        // sources are gathered (an Airflow API download).
        crate::source::spool::set_cap(spool_max);
        if let Some(timeout) = args.remote_timeout {
            crate::source::remote::set_timeout(timeout);
        }
        Ok(Settings {
            sources: args.sources.clone(),
            interactive,
            follow: args.follow,
            since,
            until,
            time,
            filter,
            only_new: args.only_new,
            dedup: if args.dedup {
                DedupMode::Always
            } else if args.no_dedup {
                DedupMode::Never
            } else {
                config.dedup.unwrap_or_default()
            },
            tag: args.tag,
            threads: args.threads.or(config.threads).unwrap_or(0),
            spool_max,
            display_zone,
            view: ViewOptions {
                no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
                theme: config.theme.clone(),
                keys: config.keys.clone(),
                filters: config.filters.clone(),
            },
        })
    }

    /// Folders among the sources: in follow mode, files that appear in them
    /// join.
    pub fn folders(&self) -> Vec<PathBuf> {
        self.sources
            .iter()
            .filter(|p| p.is_dir())
            .cloned()
            .collect()
    }
}

/// `--grep`, `--grep-v`, `--level` and `--where` as a record filter.
fn record_filter(args: &OpenArgs, config: &Config) -> Result<Option<RecordFilter>, RunError> {
    let compile = |patterns: &[String]| -> Result<Vec<Matcher>, RunError> {
        patterns
            .iter()
            .map(|p| {
                Matcher::new(p, PatternKind::Regex)
                    .map_err(|e| RunError::Usage(format!("{e} in '{p}'")))
            })
            .collect()
    };
    let min_level = match &args.level {
        Some(word) => Some(Level::from_word(word.as_bytes()).ok_or_else(|| {
            RunError::Usage(format!(
                "unknown level '{word}' (use DEBUG, INFO, WARNING, ERROR or CRITICAL)"
            ))
        })?),
        None => None,
    };
    let mut fields = Vec::new();
    for text in args.where_.iter().filter(|t| !t.trim().is_empty()) {
        let expr = named_filter(text, config).map_err(RunError::Usage)?;
        fields.push(
            FieldFilter::parse(expr)
                .map_err(|p| RunError::Invalid(p.map_what(|what| format!("--where: {what}"))))?,
        );
    }
    let filter = RecordFilter {
        includes: compile(&args.grep)?,
        excludes: compile(&args.grep_v)?,
        min_level,
        fields,
    };
    Ok((!filter.is_empty()).then_some(filter))
}

/// `@NAME`: the config's `[filters]` set NAME; any other text as it is.
pub fn named_filter<'a>(text: &'a str, config: &'a Config) -> Result<&'a str, String> {
    let Some(name) = text.trim().strip_prefix('@') else {
        return Ok(text);
    };
    config.filters.get(name).map(String::as_str).ok_or_else(|| {
        let known: Vec<&str> = config.filters.keys().map(String::as_str).collect();
        match known.is_empty() {
            true => format!("--where @{name}: the config file has no [filters]"),
            false => format!(
                "--where @{name}: no such filter in the config's [filters] (it has {})",
                known.join(", ")
            ),
        }
    })
}
