//! `logweave airflow --api URL`: the task attempt's log through Airflow's
//! REST API — the login to the Airflow UI is all a user needs. Ids not
//! given are picked from the API's lists on a terminal.

use std::io::{self, IsTerminal};
use std::sync::Arc;

use super::compare::Baseline;
use super::{Found, Outcome, RunError, Settings};
use crate::airflow::api::log::Following;
use crate::airflow::api::picker::{ApiPicker, Step};
use crate::airflow::api::worker::Workers;
use crate::airflow::api::{self, listing, Api, ApiError, Credentials};
use crate::airflow::{served, AttemptId};
use crate::cli::AirflowArgs;
use crate::view::picker::{self as widget, Entry, Levels, Opened};

/// Where the password for `--api-user` comes from when not asked for.
const PASSWORD_VAR: &str = "AIRFLOW_API_PASSWORD";

/// `workers`: how to reach the workers' log servers (a try the API server
/// could not read is read from where it ran); `log_server`: the one
/// `--log-server` names, whose copy of the try joins.
pub fn run(
    args: &AirflowArgs,
    url: &str,
    user: Option<&str>,
    settings: Settings,
    workers: Workers,
    log_server: Option<String>,
) -> Result<Outcome, RunError> {
    let interactive = settings.interactive;
    let credentials = credentials(args, user, url)?;
    let api = Arc::new(Api::connect(url, credentials).map_err(RunError::Unreachable)?);
    let Some(id) = attempt(args, &api, interactive, &settings)? else {
        return Ok(Outcome::Complete);
    };
    // The viewer follows a running task as it writes (F); print mode only
    // when asked to (-f). Without --try, the task is followed from try to
    // try; with it, that try.
    let following = match (settings.follow || interactive, args.try_number) {
        (false, _) => Following::No,
        (true, Some(_)) => Following::Try,
        (true, None) => Following::Task,
    };
    let baseline = match args.compare_with {
        Some(with) => {
            let baseline_id = super::airflow::baseline_attempt(with, &id, || {
                match crate::airflow::baseline::last_success_by_api(&api, &id) {
                    Ok(Some(found)) => Ok(found),
                    Ok(None) => Err(RunError::Usage(format!(
                        "--compare-with last-success: {} has no successful try of {}/{} before this one (in the last 50 runs)",
                        api.shown(),
                        id.dag,
                        id.task
                    ))),
                    Err(e) => Err(RunError::Unreachable(e.problem(&api))),
                }
            })?;
            let name = format!(
                "try {}",
                super::airflow::describe_baseline(&id, &baseline_id)
            );
            let found = match api::log::open(
                api.clone(),
                &baseline_id,
                Following::No,
                &Workers::default(),
            ) {
                Ok(opened) => Found {
                    entries: vec![opened.entry],
                    errors: Vec::new(),
                    arrivals: None,
                },
                Err(e) => (Vec::new(), vec![e]).into(),
            };
            Some(Baseline {
                name,
                sources: Vec::new(),
                found: Some(found),
            })
        }
        None => None,
    };
    let mut found = match api::log::open(api.clone(), &id, following, &workers) {
        Ok(opened) => Found {
            entries: vec![opened.entry],
            errors: Vec::new(),
            arrivals: opened.arrivals,
        },
        Err(e) => (Vec::new(), vec![e]).into(),
    };
    if let Some(server) = log_server {
        match served_copy(&api, &id, &server, &workers, following) {
            Ok(entry) => found.entries.push(entry),
            Err(e) => found.errors.push(e),
        }
    }
    super::open_comparing(settings, Some(found), baseline)
}

/// The try's file on the log server `--log-server` names, beside the API's
/// answer (a copy of one log: dedup shows each record once). Not there, it
/// says where the task instance's history says the try ran.
fn served_copy(
    api: &Api,
    id: &AttemptId,
    server: &str,
    workers: &Workers,
    following: Following,
) -> Result<crate::source::SourceEntry, crate::source::OpenError> {
    let ran_on = listing::attempt(api, id)
        .ok()
        .and_then(|t| t.hostname)
        .filter(|h| !h.trim().is_empty());
    let tag = match following {
        Following::Task => format!("try{}.served", id.try_number),
        _ => "served".to_string(),
    };
    let mut entry = served::open(
        server,
        &id.relative_path(),
        workers.secret.as_deref(),
        tag,
        ran_on.as_deref(),
    )?;
    // The API follows the try; the served copy is what the worker had
    // (followed too, it would never end, and `--print -f` would not).
    entry.follow = None;
    entry.copy_of = Some(id.to_string());
    Ok(entry)
}

/// The login: a token (`--api-token`, `AIRFLOW_API_TOKEN`), else a user
/// (`--api-user`, `AIRFLOW_API_USER`) with the password from
/// `AIRFLOW_API_PASSWORD` or asked for without echo, else none.
fn credentials(args: &AirflowArgs, user: Option<&str>, url: &str) -> Result<Credentials, RunError> {
    if let Some(token) = args.api_token.as_ref().filter(|t| !t.is_empty()) {
        return Ok(Credentials::Token(token.trim().to_string()));
    }
    let Some(user) = user.filter(|u| !u.is_empty()) else {
        return Ok(Credentials::Anonymous);
    };
    let password = match std::env::var(PASSWORD_VAR) {
        Ok(password) if !password.is_empty() => password,
        _ if io::stdin().is_terminal() => {
            rpassword::prompt_password(format!("password for {user} at {url}: ")).map_err(|e| {
                RunError::Failed(format!(
                    "cannot ask for the password: {}",
                    crate::source::describe_io_error(&e)
                ))
            })?
        }
        _ => {
            return Err(RunError::Usage(format!(
                "--api-user {user} needs a password: set {PASSWORD_VAR} (there is no terminal to ask on)"
            )))
        }
    };
    Ok(Credentials::Login {
        user: user.to_string(),
        password,
    })
}

/// The attempt the ids name (`--try` defaults to the latest); on a
/// terminal the picker asks for what is missing. `None`: the user left.
fn attempt(
    args: &AirflowArgs,
    api: &Arc<Api>,
    interactive: bool,
    settings: &Settings,
) -> Result<Option<AttemptId>, RunError> {
    let (Some(dag), Some(run), Some(task)) = (&args.dag, &args.run, &args.task) else {
        if interactive {
            return pick(api, args, settings);
        }
        let dags = listing::dags(api, 0)
            .map(|page| {
                let names: Vec<String> = page.items.into_iter().map(|d| d.dag_id).collect();
                let more = page.total.saturating_sub(names.len());
                let mut list = names.join(", ");
                if more > 0 {
                    list.push_str(&format!(" and {more} more"));
                }
                list
            })
            .unwrap_or_default();
        return Err(RunError::Usage(format!(
            "--dag, --run and --task are needed when not on a terminal (dags at {}: {})",
            api.shown(),
            if dags.is_empty() { "none" } else { &dags }
        )));
    };
    let mut id = AttemptId {
        dag: dag.clone(),
        run: run.clone(),
        task: task.clone(),
        map_index: args.map_index,
        try_number: args.try_number.unwrap_or(0),
    };
    if args.try_number.is_none() {
        id.try_number = match listing::task_instance(api, &id) {
            Ok(ti) => ti.try_number.max(1),
            Err(ApiError::NotFound(_)) => {
                return Err(RunError::Unreachable(listing::explain_missing(api, &id)))
            }
            Err(e) => return Err(RunError::Unreachable(e.problem(api))),
        };
    }
    Ok(Some(id))
}

fn pick(
    api: &Arc<Api>,
    args: &AirflowArgs,
    settings: &Settings,
) -> Result<Option<AttemptId>, RunError> {
    let mut levels = ApiPicker::new(api.clone(), args.dag.clone(), args.run.clone())
        .map_err(|e| RunError::Unreachable(e.problem(api)))?;
    widget::run(&mut levels, widget::Picker::default(), &settings.view)
        .map_err(|e| RunError::Failed(format!("terminal error: {e}")))
}

/// The API's lists, as the view's picker widget asks for them.
impl Levels for ApiPicker {
    type Picked = AttemptId;

    fn path(&self) -> Vec<String> {
        ApiPicker::path(self)
    }

    fn asking(&self) -> String {
        ApiPicker::asking(self).to_string()
    }

    fn place(&self) -> String {
        ApiPicker::place(self)
    }

    fn entries(&self) -> Vec<Entry> {
        self.rows()
            .iter()
            .map(|row| Entry {
                label: row.label.clone(),
                detail: row.detail.clone(),
            })
            .collect()
    }

    fn open(&mut self, index: usize) -> Opened<AttemptId> {
        match ApiPicker::open(self, index) {
            Step::Down => Opened::Down,
            Step::Picked(id) => Opened::Picked(id),
            Step::Failed(why) => Opened::Failed(why),
        }
    }

    fn back(&mut self) -> Option<usize> {
        ApiPicker::back(self)
    }

    fn more(&mut self) -> bool {
        ApiPicker::more(self).unwrap_or(false)
    }
}
