//! `logweave airflow`: finds every source of one task attempt — asking with
//! a picker for the ids not given, on a terminal — then opens them.

use std::io::{self, IsTerminal};
use std::path::Path;

use super::compare::Baseline;
use super::{Outcome, RunError, Settings};
use crate::airflow::elastic::{Flavor, SearchStore};
use crate::airflow::picker::{PartialId, Picker, Step};
use crate::airflow::{self, AttemptId, Places};
use crate::cli::{AirflowArgs, CompareWith};
use crate::config::Config;
use crate::problem::Problem;
use crate::source::describe_io_error;
use crate::view::picker::{self as widget, Entry, Levels, Opened};
use crate::view::ViewOptions;

pub fn run(args: &AirflowArgs, config: &Config) -> Result<Outcome, RunError> {
    // Flags, then Airflow's environment, then the profile, then airflow.cfg.
    let profile = config.profile(args.profile.as_deref())?;
    let preset = profile.map(|p| p.settings).cloned().unwrap_or_default();
    let base = airflow::base_log_folder(
        args.base_log_folder.as_deref(),
        preset.base_log_folder.as_deref(),
    );
    let remote = args.remote.clone().or(preset.remote.clone());
    let log_server = args.log_server.clone().or(preset.log_server.clone());
    let triggerer_log_server = args
        .triggerer_log_server
        .clone()
        .or(preset.triggerer_log_server.clone());
    // The profile's default filter, unless the command line gives one
    // (`--where ''` for none); said, since it hides records.
    let mut open = args.open.clone();
    if let (true, Some(name)) = (open.where_.is_empty(), &preset.filter) {
        open.where_.push(format!("@{name}"));
        // The viewer's status bar shows the filters in force.
        if open.print || !io::stdout().is_terminal() {
            eprintln!(
                "logweave: the profile's filter '{name}' hides the records it does not match; --where '' shows them all"
            );
        }
    }
    // Checked before anything is opened (or picked).
    let settings = Settings::resolve(&open, config)?;
    let search = search_store(args, &preset)?;
    let secret_key = airflow::secret_key(args.secret_key.as_deref(), || {
        profile.map_or(Ok(None), |p| p.secret_key())
    })?;
    let worker_port = airflow::served::worker_port(args.worker_log_server_port);
    if let Some(url) = args.api.clone().or(preset.api.clone()) {
        let user = args.api_user.clone().or(preset.api_user.clone());
        let workers = crate::airflow::api::worker::Workers {
            secret: secret_key,
            port: worker_port,
        };
        let log_server = log_server.map(|s| airflow::server_url(&s, worker_port));
        return super::api::run(args, &url, user.as_deref(), settings, workers, log_server);
    }
    let interactive = !args.open.print && io::stdout().is_terminal() && io::stdin().is_terminal();
    let elsewhere = Elsewhere {
        remote: remote.as_deref(),
        search: search.as_ref(),
        servers: log_server.is_some() || triggerer_log_server.is_some(),
    };
    let places = Places {
        search: search.clone(),
        base,
        remote: remote.clone(),
        log_server,
        worker_port: Some(worker_port),
        triggerer_log_server,
        trigger_jobs: args.trigger_job.clone(),
        secret_key,
        // The viewer follows a store read as a stream; print mode with -f.
        follow: settings.follow || settings.interactive,
    };
    let Some(id) = attempt(args, &places, elsewhere, interactive, &settings.view)? else {
        return Ok(Outcome::Complete);
    };
    let baseline = match args.compare_with {
        Some(with) => {
            let baseline_id = baseline_attempt(with, &id, || last_success(&places.base, &id))?;
            // The baseline is read once, not followed.
            let quiet = Places {
                follow: false,
                ..places.clone()
            };
            Some(Baseline {
                name: format!("try {}", describe_baseline(&id, &baseline_id)),
                sources: Vec::new(),
                found: Some(airflow::open_attempt(&baseline_id, &quiet).into()),
            })
        }
        None => None,
    };
    let mut found: super::Found = airflow::open_attempt(&id, &places).into();
    // Following the task (no --try): its next tries join as they start.
    if places.follow && args.try_number.is_none() {
        found.arrivals = Some(airflow::next_try::watch(&id, &places, &found.entries));
    }
    super::open_comparing(settings, Some(found), baseline)
}

/// The try `--compare-with` names: try N of this task instance, or the
/// latest successful one `last_success` finds (in the log folder or
/// through the API).
pub(super) fn baseline_attempt(
    with: CompareWith,
    id: &AttemptId,
    last_success: impl FnOnce() -> Result<AttemptId, RunError>,
) -> Result<AttemptId, RunError> {
    match with {
        CompareWith::Try(number) => Ok(AttemptId {
            try_number: number,
            ..id.clone()
        }),
        CompareWith::LastSuccess => last_success(),
    }
}

/// `try 2`, or `try 2 of run R` for a try of another run.
pub(super) fn describe_baseline(id: &AttemptId, baseline: &AttemptId) -> String {
    if baseline.run == id.run {
        baseline.try_number.to_string()
    } else {
        format!("{} of run {}", baseline.try_number, baseline.run)
    }
}

/// `--compare-with last-success` in the log folder.
fn last_success(base: &Path, id: &AttemptId) -> Result<AttemptId, RunError> {
    match airflow::baseline::last_success_in_folder(base, id) {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(RunError::Usage(format!(
            "--compare-with last-success: no earlier try of {}/{} in '{}' ends as a successful one (give try:N, or --api for the tries' states)",
            id.dag,
            id.task,
            base.display()
        ))),
        Err(e) => Err(RunError::Usage(format!(
            "--compare-with last-success: cannot read the log folder '{}': {}",
            base.display(),
            describe_io_error(&e)
        ))),
    }
}

/// `--elasticsearch`/`--opensearch` (or the profile's) with the index
/// patterns, log_id template and log format of the flags, the environment
/// or the profile.
fn search_store(
    args: &AirflowArgs,
    preset: &crate::config::AirflowProfile,
) -> Result<Option<SearchStore>, RunError> {
    let flavor_url = match (&args.elasticsearch, &args.opensearch) {
        (Some(url), _) => Some((Flavor::Elasticsearch, url)),
        (None, Some(url)) => Some((Flavor::OpenSearch, url)),
        (None, None) => match (&preset.elasticsearch, &preset.opensearch) {
            (Some(url), _) => Some((Flavor::Elasticsearch, url)),
            (None, Some(url)) => Some((Flavor::OpenSearch, url)),
            (None, None) => None,
        },
    };
    let Some((flavor, url)) = flavor_url else {
        return Ok(None);
    };
    let mut store = SearchStore::new(flavor, url).map_err(RunError::Usage)?;
    let pick = |flag: &Option<String>, profile: &Option<String>| {
        flag.clone()
            .or_else(|| profile.clone())
            .filter(|v| !v.is_empty())
    };
    if let Some(patterns) = pick(&args.index_patterns, &preset.index_patterns) {
        store.index_patterns = patterns;
    }
    if let Some(template) = pick(&args.log_id_template, &preset.log_id_template) {
        store.log_id_template = template;
    }
    if let Some(format) = pick(&args.log_format, &preset.log_format) {
        store.log_format = format;
    }
    Ok(Some(store))
}

/// Where else than the log folder the attempt's logs may be.
#[derive(Clone, Copy)]
struct Elsewhere<'a> {
    remote: Option<&'a str>,
    search: Option<&'a SearchStore>,
    servers: bool,
}

/// The attempt the ids name, with `--try` defaulting to the latest one;
/// on a terminal, the picker asks for what is missing. `None`: the user
/// left the picker.
fn attempt(
    args: &AirflowArgs,
    places: &Places,
    elsewhere: Elsewhere<'_>,
    interactive: bool,
    view: &ViewOptions,
) -> Result<Option<AttemptId>, RunError> {
    let base = places.base.as_path();
    let known = PartialId {
        dag: args.dag.clone(),
        run: args.run.clone(),
        task: args.task.clone(),
        map_index: args.map_index,
        try_number: args.try_number,
    };
    let (Some(dag), Some(run), Some(task)) = (&known.dag, &known.run, &known.task) else {
        if interactive {
            return pick(base, &known, view).map_err(|e| {
                RunError::Usage(format!(
                    "cannot read the log folder '{}': {}",
                    base.display(),
                    describe_io_error(&e)
                ))
            });
        }
        let dags = airflow::discover::children(base, "dag_id")
            .map(|nodes| {
                nodes
                    .into_iter()
                    .map(|n| n.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        let dags = match (base.is_dir(), dags.is_empty()) {
            (false, _) => "the folder does not exist".to_string(),
            (true, true) => "none".to_string(),
            (true, false) => dags,
        };
        return Err(RunError::Usage(format!(
            "--dag, --run and --task are needed when not on a terminal (dags in '{}': {dags})",
            base.display(),
        )));
    };
    let mut id = AttemptId {
        dag: dag.clone(),
        run: run.clone(),
        task: task.clone(),
        map_index: known.map_index,
        try_number: known.try_number.unwrap_or(0),
    };
    if known.map_index.is_none() {
        // A mapped task's tries are one folder down, one per map index:
        // without `--map-index` there is no try to find, and saying which
        // indexes there are beats "no tries".
        let task_dir = base.join(id.relative_path());
        let task_dir = task_dir.parent().unwrap_or(base);
        let mut indexes: Vec<i64> = airflow::discover::children(task_dir, "map_index")
            .unwrap_or_default()
            .into_iter()
            .filter_map(|n| n.name.parse().ok())
            .collect();
        if !indexes.is_empty() {
            if interactive {
                return pick(base, &known, view)
                    .map_err(|e| RunError::Failed(format!("terminal error: {e}")));
            }
            indexes.sort_unstable();
            return Err(RunError::Misused(mapped_without_index(task, &indexes)));
        }
    }
    if known.try_number.is_some() {
        return Ok(Some(id));
    }
    // `--try` defaults to the latest try in the folder, else the latest
    // remote one, else the latest with documents: a webserver often has
    // no local logs.
    let dir = base.join(id.relative_path());
    let dir = dir.parent().unwrap_or(base);
    let latest = airflow::discover::latest_try(dir)
        .ok()
        .flatten()
        .or_else(|| {
            airflow::latest_remote_try(elsewhere.remote?, &id)
                .ok()
                .flatten()
        })
        .or_else(|| {
            airflow::elastic::latest_try(elsewhere.search?, &id)
                .ok()
                .flatten()
        })
        .or_else(|| latest_served_try(places, &id));
    match latest {
        Some(latest) => {
            id.try_number = latest;
            Ok(Some(id))
        }
        // Following a task of a known dag that has not started yet (or
        // one a worker's log server will serve): its first try is waited
        // for, and said (issue 27).
        None if args.open.follow
            && (base.is_dir() || (places.log_server.is_some() && places.secret_key.is_some())) =>
        {
            id.try_number = 1;
            wait_for_first_try(places, &id)?;
            Ok(Some(id))
        }
        None if interactive => {
            pick(base, &known, view).map_err(|e| RunError::Failed(format!("terminal error: {e}")))
        }
        // Which tries the log server has is asked with the key only.
        None if places.log_server.is_some() && places.secret_key.is_none() => {
            Err(RunError::Misused(
                Problem::new(format!(
                    "no tries of this task in '{}', and the log server cannot be asked which \
                     it has without the shared secret",
                    dir.display()
                ))
                .with_tip(
                    "give --secret-key or set AIRFLOW__API__SECRET_KEY (the workers' [api] \
                     secret_key); or give --try",
                ),
            ))
        }
        None if elsewhere.remote.is_some() || elsewhere.search.is_some() || elsewhere.servers => {
            Err(RunError::Usage(format!(
                "no tries of this task in '{}'{}{}: give --try",
                dir.display(),
                if elsewhere.remote.is_some() {
                    " nor under --remote"
                } else {
                    ""
                },
                match elsewhere.search {
                    Some(store) => format!(" nor in {}", store.flavor.name()),
                    None => String::new(),
                }
            )))
        }
        None if !base.is_dir() => Err(RunError::Usage(format!(
            "the log folder '{}' does not exist: give the folder Airflow writes task logs to \
             (its base_log_folder) with --base-log-folder, or set AIRFLOW_HOME",
            base.display()
        ))),
        None => Err(RunError::Usage(format!(
            "no tries of this task in '{}'",
            dir.display()
        ))),
    }
}

/// The latest try the worker's log server (`--log-server`) serves, when
/// the folder has none (it may not be on this machine at all).
fn latest_served_try(places: &Places, id: &AttemptId) -> Option<u32> {
    let server = places.log_server.as_deref()?;
    let secret = places.secret_key.as_deref()?;
    let port = places
        .worker_port
        .unwrap_or(airflow::WORKER_LOG_SERVER_PORT);
    airflow::served::latest_try(&airflow::server_url(server, port), id, secret)
        .ok()
        .flatten()
}

/// Waits until `first` (a task's try 1) is in the log folder or on the
/// worker's log server, saying so on stderr (also before the viewer
/// opens); Ctrl-C stops as any program.
fn wait_for_first_try(places: &Places, first: &AttemptId) -> Result<(), RunError> {
    use airflow::next_try::NotAsked;
    // Refused (a wrong or missing secret key): asking again will not help.
    let refused = |why: &str, problem: Problem| {
        RunError::Unreachable(problem.map_what(|_| crate::escape::printable(why).into_owned()))
    };
    let mut looker = airflow::next_try::Looker::new(places);
    match looker.found(first) {
        Ok(true) => return Ok(()),
        Err(NotAsked {
            why,
            refused: Some(problem),
        }) => return Err(refused(&why, problem)),
        _ => {}
    }
    let place = match &places.log_server {
        Some(_) => String::new(),
        None => format!(
            ": '{}' is not there yet{}",
            crate::escape::printable(
                &places
                    .base
                    .join(first.relative_path())
                    .display()
                    .to_string()
            ),
            not_there_yet(&places.base, first),
        ),
    };
    eprintln!(
        "logweave: {}{place} (Ctrl-C stops)",
        looker.waiting_for(first.try_number)
    );
    // A server that cannot answer is said once per reason, and asked again.
    let mut said = None;
    loop {
        match looker.found(first) {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(NotAsked {
                why,
                refused: Some(problem),
            }) => return Err(refused(&why, problem)),
            Err(not_asked) if said.as_ref() != Some(&not_asked.why) => {
                eprintln!("logweave: {}", crate::escape::printable(&not_asked.why));
                said = Some(not_asked.why);
            }
            Err(_) => {}
        }
        std::thread::sleep(airflow::next_try::LOOK_EVERY);
    }
}

/// What a wait for a task's first log adds when the log folder has no
/// folder for its dag, or for its run, at all (new, or misspelt): the
/// ones it has.
fn not_there_yet(base: &Path, id: &AttemptId) -> String {
    let names = |dir: &Path, key: &str, newest: bool| {
        let mut nodes = airflow::discover::children(dir, key).unwrap_or_default();
        if newest {
            airflow::discover::newest_first(&mut nodes);
        }
        let names: Vec<String> = nodes.into_iter().map(|n| n.name).take(5).collect();
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    };
    let dag = base.join(format!("dag_id={}", id.dag));
    if !dag.is_dir() {
        return format!(
            " (no dag '{}' in the log folder yet; dags there: {})",
            id.dag,
            names(base, "dag_id", false)
        );
    }
    if !dag.join(format!("run_id={}", id.run)).is_dir() {
        return format!(
            " (no run '{}' of dag '{}' in the log folder yet; its latest runs there: {})",
            id.run,
            id.dag,
            names(&dag, "run_id", true)
        );
    }
    String::new()
}

/// Indexes named before the rest is a count.
const NAMED_INDEXES: usize = 10;

/// What is said of a mapped task opened without `--map-index`.
fn mapped_without_index(task: &str, indexes: &[i64]) -> Problem {
    let mut named: Vec<String> = indexes
        .iter()
        .take(NAMED_INDEXES)
        .map(i64::to_string)
        .collect();
    if indexes.len() > NAMED_INDEXES {
        named.push(format!("… {} in all", indexes.len()));
    }
    Problem::new(format!(
        "task {task} is mapped: its tries are by map index ({})",
        named.join(", ")
    ))
    .with_tip(format!("give one: --map-index {}", indexes[0]))
}

/// The picker on the terminal over the log folder, starting past the ids
/// given; `None` when the user quit.
fn pick(base: &Path, known: &PartialId, view: &ViewOptions) -> io::Result<Option<AttemptId>> {
    let mut levels = Picker::new(base, known)?;
    let message = match levels.apply_preset() {
        Step::Picked(id) => return Ok(Some(id)),
        Step::Failed(why) => Some(why),
        Step::Down => None,
    };
    widget::run(&mut levels, widget::Picker::saying(message), view)
}

/// The log folder's levels, as the view's picker widget asks for them.
impl Levels for Picker {
    type Picked = AttemptId;

    fn path(&self) -> Vec<String> {
        Picker::path(self)
    }

    fn asking(&self) -> String {
        Picker::asking(self).to_string()
    }

    fn place(&self) -> String {
        self.base().display().to_string()
    }

    fn entries(&self) -> Vec<Entry> {
        self.rows()
            .into_iter()
            .map(|(label, detail)| Entry { label, detail })
            .collect()
    }

    fn open(&mut self, index: usize) -> Opened<AttemptId> {
        match Picker::open(self, index) {
            Step::Down => Opened::Down,
            Step::Picked(id) => Opened::Picked(id),
            Step::Failed(why) => Opened::Failed(why),
        }
    }

    fn back(&mut self) -> Option<usize> {
        Picker::back(self)
    }
}
