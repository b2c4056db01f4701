//! Opening what the settings name: SOURCE arguments (files, folders, URLs,
//! `-`) after what a subcommand found, each real file once; then one
//! [`OpenedSource`] per readable source instead of lists kept side by side.

use std::sync::Arc;

use super::{Arrivals, Found, Settings};
use crate::merge::copies::{copy_groups, DedupMode};
use crate::merge::{Dedup, MergeOptions};
use crate::record::format::{TsFormat, YearEvidence, YearGuess, YearRule};
use crate::record::{RecordLayout, TimeOptions};
use crate::source::spool::Spool;
use crate::source::{
    cloudwatch, remote, spooled, summarize, FollowTarget, Health, OpenError, Opener, Problem,
    SourceEntry,
};

/// A source that could not be opened or read: where, and why.
#[derive(Clone, Debug)]
pub(super) struct Failure {
    pub path: String,
    pub problem: Problem,
}

/// The sources opened, before their formats are sniffed.
pub(super) struct Gathered {
    pub entries: Vec<SourceEntry>,
    /// Failures and notices (a skipped loop), each kind said once.
    pub errors: Vec<OpenError>,
    /// Sources that join later (an Airflow task's next try).
    pub arrivals: Option<Arrivals>,
}

/// Opens `found` and then the settings' SOURCE arguments in the order given:
/// `-` is stdin (spooled to a file), URLs are remote sources, anything else
/// a file or folder.
pub(super) fn gather(settings: &Settings, found: Option<Found>) -> Gathered {
    let Found {
        mut entries,
        mut errors,
        arrivals,
    } = found.unwrap_or_default();
    let mut opener = Opener::knowing(&entries);
    let mut stdin_taken = false;
    for arg in &settings.sources {
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
                        problem: Problem::io(&e),
                    }],
                ),
            }
        } else if cloudwatch::is_cloudwatch_url(&text) {
            // The viewer follows a stream as it grows; print mode with -f.
            cloudwatch::open_url(&text, settings.follow || settings.interactive)
        } else if remote::is_url(&text) {
            remote::open_url(&text)
        } else {
            opener.open(arg)
        };
        entries.extend(opened);
        errors.extend(failed);
    }
    Gathered {
        entries,
        errors: summarize(errors),
        arrivals,
    }
}

/// Lets streams being spooled (stdin, archives, downloads) arrive: all of
/// them for print mode, enough to sniff their format otherwise (follow mode
/// takes in the rest). Returns the streams that broke; what arrived stays.
pub(super) fn settle(entries: &mut [SourceEntry], wait_for_all: bool) -> Vec<Failure> {
    let mut broken = Vec::new();
    for entry in entries {
        let waited = if wait_for_all {
            entry.finish_filling()
        } else {
            entry.settle_filling(64 * 1024)
        };
        if let Err(e) = waited {
            let problem = entry
                .health
                .as_ref()
                .and_then(|h| h.problem())
                .unwrap_or_else(|| Problem::io(&e));
            broken.push(Failure {
                path: entry.path.display().to_string(),
                problem,
            });
        }
    }
    broken
}

/// One readable source: what every mode needs of it.
pub(super) struct OpenedSource {
    pub layout: RecordLayout,
    /// How `--tag` and the status bar name it.
    pub label: String,
    /// The tag the opener chose (Airflow discovery's `local`, `s3`, …).
    pub tag: Option<String>,
    /// What follow mode watches.
    pub follow: Option<FollowTarget>,
    /// What its background work reports.
    pub health: Option<Arc<Health>>,
    /// Its path or URL as messages show it.
    pub shown: String,
    /// The log it is known to be a copy of (its opener's word).
    pub copy_of: Option<String>,
}

impl OpenedSource {
    /// How messages about its records name it: the opener's tag, else its
    /// path as given (labels may repeat: `remote/attempt=1.log`'s is
    /// `attempt=1.log`).
    pub fn name(&self) -> &str {
        self.tag.as_deref().unwrap_or(&self.shown)
    }
}

/// Which sources dedup joins, for sources whose layouts are `layouts` and
/// which are known to be copies of the logs `known` names (by source).
pub(super) fn merge_options(
    mode: DedupMode,
    layouts: &[&RecordLayout],
    known: &[Option<&str>],
) -> MergeOptions {
    let dedup = match mode {
        DedupMode::Never => Dedup::Off,
        DedupMode::Always => Dedup::All,
        DedupMode::Copies => {
            let mut names: Vec<&str> = Vec::new();
            let ids: Vec<Option<u32>> = known
                .iter()
                .map(|name| {
                    let name = (*name)?;
                    let id = names.iter().position(|n| *n == name).unwrap_or_else(|| {
                        names.push(name);
                        names.len() - 1
                    });
                    Some(id as u32)
                })
                .collect();
            let layouts: Vec<RecordLayout> = layouts.iter().map(|&l| l.clone()).collect();
            Dedup::Groups(copy_groups(&layouts, &ids).into())
        }
    };
    MergeOptions { dedup }
}

/// Sniffs each entry's format (or takes the one the rules give it); those
/// that cannot be read become failures. A year-less format takes its year
/// from the other sources' times when there are any.
pub(super) fn open_layouts(
    entries: Vec<SourceEntry>,
    time: &TimeOptions,
    want_levels: bool,
) -> (Vec<OpenedSource>, Vec<Failure>) {
    let mut opened = Vec::new();
    let mut failures = Vec::new();
    for entry in entries {
        let shown = entry.path.display().to_string();
        let time = time.for_source(&entry.path);
        match RecordLayout::open(entry.source, &time, want_levels) {
            Ok(layout) => opened.push(OpenedSource {
                layout,
                label: entry.label,
                tag: entry.tag,
                follow: entry.follow,
                health: entry.health,
                shown,
                copy_of: entry.copy_of,
            }),
            Err(e) => failures.push(Failure {
                path: shown,
                problem: Problem::io(&e),
            }),
        }
    }
    settle_years(&mut opened);
    (opened, failures)
}

/// Gives year-less sources (syslog, klog) the year nearest to the other
/// sources' times, the middle of their span, unless a file's modification
/// time says better (see [`written_up_to_its_mtime`]).
fn settle_years(opened: &mut [OpenedSource]) {
    let yearless = |s: &OpenedSource| s.layout.format().is_some_and(|f| f.is_yearless());
    if !opened.iter().any(yearless) {
        return;
    }
    let span = opened
        .iter()
        .filter(|s| !yearless(s))
        .filter_map(|s| Some((s.layout.first_ts()?, s.layout.last_ts()?)))
        .fold(None, |span: Option<(i64, i64)>, (first, last)| {
            Some(span.map_or((first, last), |(a, b)| (a.min(first), b.max(last))))
        });
    let Some((first, last)) = span else {
        return;
    };
    let middle = (first / 2 + last / 2).div_euclid(1_000_000_000);
    let guess = YearGuess {
        rule: YearRule::Nearest(middle),
        evidence: YearEvidence::OtherSources,
    };
    for source in opened
        .iter_mut()
        .filter(|s| yearless(s) && !written_up_to_its_mtime(&s.layout))
    {
        source.layout = source.layout.clone().with_year(guess);
    }
}

/// How close to its file's modification time a year-less log's last record
/// must be for that time to give the year.
const MTIME_EVIDENCE: i64 = 183 * 86_400 * 1_000_000_000;

/// Whether a year-less file's last record, read in the year its
/// modification time gives, was written within [`MTIME_EVIDENCE`] of that
/// time: a log is written up to its modification time, which then says its
/// year better than the other sources' times (today's syslog opened beside
/// a dpkg.log of the past year was read as last year's, and `--since`
/// found none of it). A copy (`cp` without `-p`) or a file touched long
/// after its last record leaves the other sources to say.
fn written_up_to_its_mtime(layout: &RecordLayout) -> bool {
    if layout.found().year != Some(YearEvidence::Modified) {
        return false;
    }
    let Some(YearRule::NotAfter(modified)) = layout.format().map(TsFormat::year_rule) else {
        return false;
    };
    layout.last_ts().is_some_and(|last| {
        let gap = modified.saturating_mul(1_000_000_000).saturating_sub(last);
        (-86_400 * 1_000_000_000..=MTIME_EVIDENCE).contains(&gap)
    })
}

/// What is to be said about how a source's times are read: that it has none
/// (it is shown first, unmerged), or where a year-less format's year came
/// from. `None` when there is nothing to say.
pub(super) fn timing_note(source: &OpenedSource) -> Option<Problem> {
    layout_note(&source.layout, &source.label, &source.shown)
}

/// [`timing_note`] of a layout that goes by `label` and is shown as `shown`.
pub(super) fn layout_note(layout: &RecordLayout, label: &str, shown: &str) -> Option<Problem> {
    if layout.is_empty() {
        return None;
    }
    let name = file_name(shown);
    let found = layout.found();
    if !layout.is_timed() {
        // An example made for its first line, where one of the common
        // shapes reads it.
        let (first, others) = first_lines(layout);
        let others: Vec<&[u8]> = others.iter().map(|l| l.as_bytes()).collect();
        let example = crate::record::format::pattern::example_for_lines(first.as_bytes(), &others);
        let first = quoted(&first);
        let offer = |pattern: &str| {
            format!(
                "its first line reads '{first}': give its format as a strftime pattern, such as --ts-format '{}={pattern}' (or a [[format]] entry in the config)",
                glob_for(&name)
            )
        };
        // Airflow's REST API answers `Accept: application/json` (curl's
        // default) with one object holding the whole log.
        let api_json = first.trim_start().starts_with("{\"content\":") && layout.format().is_none();
        if api_json {
            let problem = Problem::new(
                "it is the Airflow REST API's JSON answer, the whole log in one line; shown first, unmerged",
            )
            .with_tip(
                "ask the API for NDJSON (curl -H 'Accept: application/x-ndjson' …) and open that, or let logweave ask it: logweave airflow --api URL …",
            );
            return Some(problem.about(label, &name));
        }
        let problem = match layout.format() {
            Some(format) => Problem::new(format!(
                "no line matches its timestamp format ({}); shown first, unmerged",
                format.describe()
            ))
            .with_tip(match example {
                Some(pattern) => offer(pattern),
                None => format!(
                    "check --ts-format / the [[format]] entry for it: its first line reads '{first}'"
                ),
            }),
            None => Problem::new(format!(
                "no timestamps found in the first {} lines; shown first, unmerged",
                crate::source::group(found.lines as u64)
            ))
            .with_tip(match example {
                Some(pattern) => offer(pattern),
                // Offering a pattern that reads nothing sent users round
                // in a loop.
                None => format!(
                    "its first line reads '{first}' and holds no date and time of a shape logweave knows; if its lines carry one, give its format as a strftime pattern with --ts-format '{}=…' (such as %d/%m/%Y %H:%M:%S), or a [[format]] entry in the config",
                    glob_for(&name)
                ),
            }),
        };
        return Some(problem.about(label, &name));
    }
    let evidence = found.year?;
    let year = layout
        .first_ts()
        .and_then(|t| chrono::DateTime::from_timestamp(t.div_euclid(1_000_000_000), 0))
        .map(|t| chrono::Datelike::year(&t).to_string())
        .unwrap_or_default();
    Some(
        Problem::new(format!(
            "its timestamps have no year: read as {year} from {}",
            evidence.describe()
        ))
        .about(label, &name),
    )
}

/// The start of a source's first line, as a tip quotes it.
/// The source's first line that is not blank (what a tip quotes and
/// offers a pattern for), and the lines after it in its first 16 KiB.
fn first_lines(layout: &RecordLayout) -> (String, Vec<String>) {
    let mut head = vec![0u8; 16 * 1024];
    let n = layout.source().read_full_at(0, &mut head).unwrap_or(0);
    let mut lines = head[..n]
        .split(|&b| b == b'\n')
        .map(|l| {
            String::from_utf8_lossy(l)
                .trim_end_matches('\r')
                .to_string()
        })
        .skip_while(|l| l.trim().is_empty());
    let first = lines.next().unwrap_or_default();
    (first, lines.take(200).collect())
}

/// A line as a tip quotes it: its first 60 characters.
fn quoted(line: &str) -> String {
    const QUOTED: usize = 60;
    match line.char_indices().nth(QUOTED) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

/// A glob that names this file alone, as `--ts-format` takes it.
fn glob_for(name: &str) -> String {
    if name.contains(['*', '?', '[', '.', '/']) {
        name.to_string()
    } else {
        format!("*{name}")
    }
}

/// The name a failed source goes by on screen: its file name (the full
/// path is in stderr's reach).
pub(super) fn file_name(path: &str) -> String {
    path.rsplit('/')
        .find(|p| !p.is_empty())
        .unwrap_or(path)
        .to_string()
}
