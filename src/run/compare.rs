//! `logweave compare BASELINE… --with SOURCES…` and the baseline of
//! `airflow --compare-with`: the baseline's sources opened and read once
//! into a [`Comparison`], before the sources compared are shown.

use std::path::PathBuf;
use std::sync::Arc;

use super::sources::{gather, open_layouts, settle, OpenedSource};
use super::{Found, Outcome, RunError, Settings};
use crate::cli::CompareArgs;
use crate::compare::Comparison;
use crate::config::Config;
use crate::source::describe_io_error;

/// What the sources shown are compared with.
pub struct Baseline {
    /// How the summary names it (`try 2`, a file).
    pub name: String,
    pub sources: Vec<PathBuf>,
    /// Sources found by an opener (an Airflow try).
    pub found: Option<Found>,
}

/// `logweave compare`.
pub fn run(args: &CompareArgs, config: &Config) -> Result<Outcome, RunError> {
    let mut open = args.open.clone();
    let baseline = std::mem::replace(&mut open.sources, args.with.clone());
    let settings = Settings::resolve(&open, config)?;
    let name = baseline
        .iter()
        .map(|p| crate::escape::printable(&p.display().to_string()).into_owned())
        .collect::<Vec<_>>()
        .join(", ");
    super::open_comparing(
        settings,
        None,
        Some(Baseline {
            name,
            sources: baseline,
            found: None,
        }),
    )
}

/// Reads the baseline (every record once) and counts the sources shown,
/// `compared`; what could not be read of the baseline is said on stderr
/// in print mode, else joins the viewer's notices.
pub(super) fn learn(
    settings: &Settings,
    baseline: Baseline,
    compared: &[OpenedSource],
    notices: &mut Vec<String>,
) -> Result<Arc<Comparison>, RunError> {
    let mut baseline_settings = settings.clone();
    baseline_settings.sources = baseline.sources;
    let mut gathered = gather(&baseline_settings, baseline.found);
    let mut said = Vec::new();
    for e in &gathered.errors {
        said.push(format!("baseline: {e}"));
    }
    for failure in settle(&mut gathered.entries, true) {
        said.push(format!(
            "baseline: '{}': {}",
            failure.path,
            failure.problem.one_line()
        ));
    }
    let (opened, unreadable) = open_layouts(gathered.entries, &settings.time, false);
    for failure in unreadable {
        said.push(format!(
            "baseline: cannot read '{}': {}",
            failure.path,
            failure.problem.one_line()
        ));
    }
    for line in said {
        if settings.interactive {
            notices.push(line);
        } else {
            eprintln!("logweave: {}", crate::escape::printable(&line));
        }
    }
    if opened.is_empty() {
        return Err(RunError::Usage(format!(
            "nothing to compare with: no source of the baseline ({}) could be read",
            baseline.name
        )));
    }
    let layouts: Vec<_> = opened.into_iter().map(|s| s.layout).collect();
    let read_error =
        |e: std::io::Error| RunError::Failed(format!("read error: {}", describe_io_error(&e)));
    let mut comparison = Comparison::learn(baseline.name, &layouts).map_err(read_error)?;
    let shown: Vec<_> = compared.iter().map(|s| s.layout.clone()).collect();
    comparison.count(&shown).map_err(read_error)?;
    Ok(Arc::new(comparison))
}
