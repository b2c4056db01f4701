//! Opening what the settings name: SOURCE arguments (files, folders, URLs,
//! `-`) after what a subcommand found, each real file once; then one
//! [`OpenedSource`] per readable source instead of lists kept side by side.

use std::sync::Arc;

use super::{Arrivals, Found, Settings};
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
}

/// Sniffs each entry's format; those that cannot be read become failures.
pub(super) fn open_layouts(
    entries: Vec<SourceEntry>,
    time: &TimeOptions,
    want_levels: bool,
) -> (Vec<OpenedSource>, Vec<Failure>) {
    let mut opened = Vec::new();
    let mut failures = Vec::new();
    for entry in entries {
        let shown = entry.path.display().to_string();
        match RecordLayout::open(entry.source, time, want_levels) {
            Ok(layout) => opened.push(OpenedSource {
                layout,
                label: entry.label,
                tag: entry.tag,
                follow: entry.follow,
                health: entry.health,
                shown,
            }),
            Err(e) => failures.push(Failure {
                path: shown,
                problem: Problem::io(&e),
            }),
        }
    }
    (opened, failures)
}

/// The name a failed source goes by on screen: its file name (the full
/// path is in stderr's reach).
pub(super) fn file_name(path: &str) -> String {
    path.rsplit('/')
        .find(|p| !p.is_empty())
        .unwrap_or(path)
        .to_string()
}
