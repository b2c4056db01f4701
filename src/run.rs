//! What a command does once clap has parsed it: raw flags become one
//! validated [`Settings`], the sources are opened once into
//! `OpenedSource`s, and a mode — the viewer, print,
//! or print-follow — takes them. `main` only parses, dispatches and turns a
//! [`RunError`] or an [`Outcome`] into an exit status.

pub mod airflow;
mod api;
pub mod compare;
pub mod demo;
mod settings;
mod show;
mod sources;

pub use settings::Settings;

use crate::source::{OpenError, SourceEntry};

/// How a run that did its job ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every source was read: exit 0.
    Complete,
    /// Some source failed and the others were shown or printed: exit 1.
    Partial,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Complete => 0,
            Outcome::Partial => 1,
        }
    }
}

/// Why a run could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad flags or config, or nothing to read: exit 2.
    #[error("{0}")]
    Usage(String),
    /// Bad flags, with a tip to put them right: exit 2.
    #[error("{}", .0.what())]
    Misused(crate::problem::Problem),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// It started but could not go on (a write error, the terminal): exit 1.
    #[error("{0}")]
    Failed(String),
    /// What was asked for cannot be reached (an API that refuses the
    /// login): exit 2, with what to check.
    #[error("{0}")]
    Unreachable(crate::problem::Problem),
    /// A flag's value that does not parse, with a tip (`--where`): exit 2.
    #[error("{0}")]
    Invalid(crate::problem::Problem),
}

impl RunError {
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Usage(_)
            | RunError::Misused(_)
            | RunError::Config(_)
            | RunError::Unreachable(_)
            | RunError::Invalid(_) => 2,
            RunError::Failed(_) => 1,
        }
    }

    /// For stderr: the message, and a tip on a line of its own.
    pub fn for_stderr(&self) -> String {
        match self {
            RunError::Unreachable(problem)
            | RunError::Misused(problem)
            | RunError::Invalid(problem) => problem.for_stderr(),
            other => format!("logweave: {}", crate::escape::printable(&other.to_string())),
        }
    }
}

/// Sources that join while they are followed (an Airflow task's next try),
/// as they come.
pub type Arrivals = std::sync::mpsc::Receiver<SourceEntry>;

/// Sources a subcommand found (Airflow discovery), with the errors of those
/// it could not open, and the sources that may join later.
#[derive(Default)]
pub struct Found {
    pub entries: Vec<SourceEntry>,
    pub errors: Vec<OpenError>,
    pub arrivals: Option<Arrivals>,
}

impl From<(Vec<SourceEntry>, Vec<OpenError>)> for Found {
    fn from((entries, errors): (Vec<SourceEntry>, Vec<OpenError>)) -> Self {
        Found {
            entries,
            errors,
            arrivals: None,
        }
    }
}

/// Opens `found` and the sources `settings` names, then shows, prints or
/// follows them as `settings` says.
pub fn open(settings: Settings, found: Option<Found>) -> Result<Outcome, RunError> {
    open_comparing(settings, found, None)
}

/// [`open`], with the records whose template `baseline` never had marked
/// (or, with `--only-new`, alone).
pub fn open_comparing(
    settings: Settings,
    found: Option<Found>,
    baseline: Option<compare::Baseline>,
) -> Result<Outcome, RunError> {
    if settings.only_new && baseline.is_none() {
        return Err(RunError::Usage(
            "--only-new needs a baseline: 'logweave compare BASELINE… --with SOURCES…' or 'logweave airflow … --compare-with try:N|last-success'"
                .into(),
        ));
    }
    if settings.only_new && (settings.interactive || settings.follow) {
        return Err(RunError::Usage(
            "--only-new is for --print without -f (in the viewer, + and - jump to the new records)"
                .into(),
        ));
    }
    if settings.sources.is_empty() && found.is_none() {
        return Err(RunError::Usage(
            "no sources given (try 'logweave demo', 'logweave --help', or 'logweave gen --out /tmp/attempt')"
                .into(),
        ));
    }
    let gathered = sources::gather(&settings, found);
    show::show(settings, gathered, baseline)
}
