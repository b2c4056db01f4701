//! The Airflow REST API: what a user with a login to the Airflow UI can
//! reach. Airflow 3 serves `/api/v2` behind a JWT from `POST /auth/token`
//! (or a token the platform hands out); Airflow 2 serves `/api/v1` behind
//! basic auth. Requests are synchronous over the remote I/O runtime, like
//! every remote read; transient failures (timeouts, refused connections,
//! 5xx, 429) are retried with backoff.
//!
//! [`log`] turns a task attempt's log endpoint into a stream for a spool;
//! [`listing`] pages through dags, runs, task instances and tries for the
//! picker.

mod answer;
mod details;
pub mod listing;
pub mod log;
pub mod picker;
pub mod shown;
mod text;
mod tries;
pub mod worker;

use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;

use crate::problem::Problem;
use crate::source::remote::http::{root_cause, BodyReader};
use crate::source::remote::{block_on, redact};

/// Which REST API the deployment serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generation {
    /// Airflow 3: `/api/v2`, JWT bearer tokens, structured (JSON) logs.
    Airflow3,
    /// Airflow 2: `/api/v1`, basic auth, text logs.
    Airflow2,
}

impl Generation {
    fn prefix(self) -> &'static str {
        match self {
            Generation::Airflow3 => "api/v2",
            Generation::Airflow2 => "api/v1",
        }
    }
}

/// How to authenticate.
#[derive(Clone)]
pub enum Credentials {
    /// No login (a deployment that lets everyone read).
    Anonymous,
    /// A bearer token as the platform gives it (Astronomer, Composer).
    Token(String),
    /// A user name and password: exchanged for a JWT on Airflow 3, sent as
    /// basic auth on Airflow 2.
    Login { user: String, password: String },
}

impl std::fmt::Debug for Credentials {
    /// Never shows a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Anonymous => f.write_str("Anonymous"),
            Credentials::Token(_) => f.write_str("Token(…)"),
            Credentials::Login { user, .. } => write!(f, "Login({user}, …)"),
        }
    }
}

/// Why a request failed, before it is said to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 401: no login, a wrong one, or an expired token.
    Unauthorized,
    /// 403: logged in, but not allowed.
    Forbidden,
    /// 404, with the server's `detail`.
    NotFound(String),
    /// An answer that is not the API's (an HTML login page, a proxy).
    NotTheApi(String),
    /// Another status, with the server's `detail`.
    Status(u16, String),
    /// The server could not be reached or stopped answering.
    Transport(String),
    /// An answer the API would not give (bad JSON).
    Invalid(String),
}

impl ApiError {
    /// The error as a problem of `what` (`the log of …`), with a tip.
    pub fn problem(&self, api: &Api) -> Problem {
        let shown = &api.shown;
        match self {
            ApiError::Unauthorized => Problem::new(format!("{shown} refused the login (401)"))
                .with_tip(match api.credentials {
                    Credentials::Anonymous => {
                        "the API needs a login: give --api-user (the password comes from \
                         AIRFLOW_API_PASSWORD or a prompt) or a token in AIRFLOW_API_TOKEN"
                    }
                    Credentials::Token(_) => {
                        "check the token: it may have expired (tokens from /auth/token last \
                         a day by default)"
                    }
                    Credentials::Login { .. } => {
                        "check the user name and password (the ones of the Airflow UI)"
                    }
                }),
            ApiError::Forbidden => Problem::new(format!("{shown} refused access (403)")).with_tip(
                "this login may not read this DAG's task logs: ask an Airflow admin for access",
            ),
            ApiError::NotFound(detail) => Problem::new(format!("{shown}: {detail}")),
            ApiError::NotTheApi(what) => Problem::new(format!(
                "{shown} answered with {what}, not as the Airflow API does"
            ))
            .with_tip(
                "check the URL: it is the one of the Airflow UI, without /api/v2 (a login page \
                 or a proxy in between answers in HTML)",
            ),
            ApiError::Status(status, detail) => {
                Problem::new(format!("{shown} answered {status}: {detail}"))
            }
            ApiError::Transport(why) => Problem::new(format!("{shown}: {why}")).with_tip(
                "check that the URL is right and the API server reachable from here (proxy, VPN)",
            ),
            ApiError::Invalid(why) => Problem::new(format!("{shown}: unexpected answer: {why}")),
        }
    }
}

/// Attempts of one request before a transient failure is said.
const ATTEMPTS: u32 = 4;

/// How long an answer may keep silent before the request counts as failed
/// (each piece of it, not the whole).
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// The same for a log's answer: Airflow reads and merges the whole log
/// before its first byte (minutes for a few hundred MB), and a request
/// given up on keeps the server busy all the same, so it is not repeated.
const LOG_READ_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// How patient a request is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Patience {
    /// Lists, ids, versions: answered in moments; retried on timeouts.
    Short,
    /// A log: may be silent for minutes; never retried on a timeout.
    Long,
}

fn client(patience: Patience) -> &'static reqwest::Client {
    static SHORT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    static LONG: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    let (cell, read_timeout) = match patience {
        Patience::Short => (&SHORT, READ_TIMEOUT),
        Patience::Long => (&LONG, LOG_READ_TIMEOUT),
    };
    cell.get_or_init(|| {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(read_timeout)
            .build()
            // Only fails when the TLS backend cannot load at all.
            .unwrap_or_else(|_| reqwest::Client::new())
    })
}

/// A connection to one deployment's API.
pub struct Api {
    /// The deployment's root (`https://airflow.example.com/`), ending in `/`.
    root: Url,
    /// The root as messages show it (no credentials).
    shown: String,
    generation: Generation,
    credentials: Credentials,
    /// Airflow 3: the JWT the login gave, renewed when it expires.
    bearer: Mutex<Option<String>>,
}

impl Api {
    /// Connects to the API at `url` (the UI's address; a trailing `/api/v2`
    /// or `/api/v1` is allowed): finds which API it serves and logs in.
    pub fn connect(url: &str, credentials: Credentials) -> Result<Api, Problem> {
        let shown = redact(url.trim_end_matches('/'));
        let root = root_of(url).map_err(|why| {
            Problem::new(format!("'{shown}' is not a URL: {why}"))
                .with_tip("give the Airflow UI's address, e.g. https://airflow.example.com")
        })?;
        let mut api = Api {
            root,
            shown,
            generation: Generation::Airflow3,
            credentials,
            bearer: Mutex::new(None),
        };
        api.generation = api.detect().map_err(|e| e.problem(&api))?;
        if api.generation == Generation::Airflow3 {
            if let Credentials::Login { .. } = api.credentials {
                api.log_in().map_err(|e| e.problem(&api))?;
            }
        }
        Ok(api)
    }

    pub fn generation(&self) -> Generation {
        self.generation
    }

    /// The deployment as messages name it.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// `/api/v2/version` answers without a login on Airflow 3; Airflow 2
    /// has `/api/v1/version`.
    fn detect(&self) -> Result<Generation, ApiError> {
        for generation in [Generation::Airflow3, Generation::Airflow2] {
            let url = self.url_for(generation, &["version"], &[]);
            match self.send(&url, "application/json", generation, Patience::Short) {
                Ok(answer) => {
                    #[derive(serde::Deserialize)]
                    struct Version {
                        #[allow(dead_code)]
                        version: String,
                    }
                    return match read_json::<Version>(answer) {
                        Ok(_) => Ok(generation),
                        Err(_) => Err(ApiError::NotTheApi(
                            "something else than its version".into(),
                        )),
                    };
                }
                // Airflow 2 may want a login even for its version.
                Err(ApiError::Unauthorized) if generation == Generation::Airflow2 => {
                    return Ok(generation)
                }
                Err(ApiError::NotFound(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(ApiError::NotFound(
            "neither /api/v2 (Airflow 3) nor /api/v1 (Airflow 2) is there".into(),
        ))
    }

    /// Airflow 3: exchanges the user name and password for a JWT.
    fn log_in(&self) -> Result<(), ApiError> {
        let Credentials::Login { user, password } = &self.credentials else {
            return Ok(());
        };
        let url = self
            .root
            .join("auth/token")
            .map_err(|e| ApiError::Invalid(e.to_string()))?;
        let body = serde_json::json!({ "username": user, "password": password });
        let request = client(Patience::Short)
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string());
        let response = block_on(async move { request.send().await }).map_err(transport)?;
        let response = check(response)?;
        #[derive(serde::Deserialize)]
        struct Token {
            access_token: String,
        }
        let token: Token = read_json(response)?;
        *self.bearer.lock().unwrap_or_else(|e| e.into_inner()) = Some(token.access_token);
        Ok(())
    }

    fn url_for(&self, generation: Generation, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut url = self.root.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            path.extend(generation.prefix().split('/'));
            path.extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }

    /// Adds the credentials to a request: a bearer token, or basic auth on
    /// Airflow 2.
    fn authorize(
        &self,
        request: reqwest::RequestBuilder,
        generation: Generation,
    ) -> reqwest::RequestBuilder {
        let bearer = |request: reqwest::RequestBuilder, token: &str| {
            match HeaderValue::from_str(&format!("Bearer {token}")) {
                Ok(mut value) => {
                    value.set_sensitive(true);
                    request.header(AUTHORIZATION, value)
                }
                // A token with a line break in it: sent without, the 401
                // says what to check.
                Err(_) => request,
            }
        };
        match (&self.credentials, generation) {
            (Credentials::Anonymous, _) => request,
            (Credentials::Token(token), _) => bearer(request, token),
            (Credentials::Login { user, password }, Generation::Airflow2) => {
                request.basic_auth(user, Some(password))
            }
            (Credentials::Login { .. }, Generation::Airflow3) => {
                let token = self
                    .bearer
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                match token {
                    Some(token) => bearer(request, &token),
                    None => request,
                }
            }
        }
    }

    fn send_once(
        &self,
        url: &Url,
        accept: &str,
        generation: Generation,
        patience: Patience,
    ) -> Result<reqwest::Response, ApiError> {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(accept) {
            headers.insert(ACCEPT, value);
        }
        let request = self.authorize(
            client(patience).get(url.clone()).headers(headers),
            generation,
        );
        let response = block_on(async move { request.send().await }).map_err(transport)?;
        check(response)
    }

    /// GETs `segments` under the API with `query`, retrying what is worth
    /// retrying and logging in again once if the JWT expired.
    pub fn get(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
        accept: &str,
    ) -> Result<reqwest::Response, ApiError> {
        let url = self.url_for(self.generation, segments, query);
        self.send(&url, accept, self.generation, Patience::Short)
    }

    /// [`send_once`](Self::send_once) until it succeeds, fails for good or
    /// runs out of attempts, waiting longer each time.
    fn send(
        &self,
        url: &Url,
        accept: &str,
        generation: Generation,
        patience: Patience,
    ) -> Result<reqwest::Response, ApiError> {
        let mut wait = Duration::from_millis(500);
        let mut logged_in_again = false;
        let mut attempt = 1;
        loop {
            match self.send_once(url, accept, generation, patience) {
                Err(ApiError::Unauthorized)
                    if !logged_in_again
                        && generation == Generation::Airflow3
                        && self.bearer.lock().is_ok_and(|b| b.is_some()) =>
                {
                    logged_in_again = true;
                    self.log_in()?;
                }
                Err(ApiError::Transport(why))
                    if patience == Patience::Long && why == "timed out" =>
                {
                    return Err(ApiError::Transport(why))
                }
                Err(e) if attempt < ATTEMPTS && is_transient(&e) => {
                    std::thread::sleep(wait);
                    wait *= 3;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// GETs JSON and reads it as `T`.
    pub fn get_json<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<T, ApiError> {
        read_json(self.get(segments, query, "application/json")?)
    }

    /// GETs a log to read as it streams: patient with a server that
    /// reads the whole log before it answers.
    pub fn get_stream(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
        accept: &str,
    ) -> Result<BodyReader, ApiError> {
        let url = self.url_for(self.generation, segments, query);
        let response = self.send(&url, accept, self.generation, Patience::Long)?;
        Ok(BodyReader::new(response))
    }
}

/// The deployment's root from what the user gave: an `/api/v2` or
/// `/api/v1` suffix is dropped, and the path ends in `/` so that joins
/// stay under it (`https://host/airflow/` for a deployment under a prefix).
fn root_of(url: &str) -> Result<Url, String> {
    let trimmed = url.trim_end_matches('/');
    let trimmed = trimmed
        .strip_suffix("/api/v2")
        .or_else(|| trimmed.strip_suffix("/api/v1"))
        .unwrap_or(trimmed);
    let parsed = Url::parse(&format!("{trimmed}/")).map_err(|e| e.to_string())?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("the scheme is {}, not http(s)", parsed.scheme()));
    }
    Ok(parsed)
}

/// 5xx, 429, timeouts and refused connections may pass.
fn is_transient(e: &ApiError) -> bool {
    match e {
        ApiError::Transport(_) => true,
        ApiError::Status(status, _) => *status >= 500 || *status == 408 || *status == 429,
        _ => false,
    }
}

/// A 2xx answer in the API's own type, else the error it means.
fn check(response: reqwest::Response) -> Result<reqwest::Response, ApiError> {
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    // Airflow 2's webserver answers an unknown path (such as /api/v2) with
    // an HTML 404 page: not there, rather than not the API.
    if content_type.starts_with("text/html") && status != StatusCode::NOT_FOUND {
        return Err(ApiError::NotTheApi(format!("an HTML page ({status})")));
    }
    if status.is_success() {
        return Ok(response);
    }
    let detail = block_on(async move { response.text().await })
        .ok()
        .map(|body| detail_of(&body))
        .unwrap_or_default();
    Err(match status.as_u16() {
        401 => ApiError::Unauthorized,
        403 => ApiError::Forbidden,
        404 => ApiError::NotFound(if detail.is_empty() {
            "not found".into()
        } else {
            detail
        }),
        code => ApiError::Status(code, detail),
    })
}

/// FastAPI and connexion say why in `detail` (Airflow 3) or `title` /
/// `detail` (Airflow 2); anything else is cut to a line.
fn detail_of(body: &str) -> String {
    let from_json = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            let detail = v.get("detail").or_else(|| v.get("title"))?;
            Some(match detail {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        });
    let text = from_json.unwrap_or_else(|| body.trim().to_string());
    let line = text.lines().next().unwrap_or("").to_string();
    line.chars().take(300).collect()
}

fn read_json<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, ApiError> {
    let bytes = block_on(async move { response.bytes().await }).map_err(transport)?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::Invalid(e.to_string()))
}

fn transport(e: reqwest::Error) -> ApiError {
    ApiError::Transport(if e.is_timeout() {
        "timed out".to_string()
    } else {
        root_cause(&e.without_url())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_drops_an_api_suffix_and_keeps_a_prefix() {
        for given in [
            "https://af.example.com",
            "https://af.example.com/",
            "https://af.example.com/api/v2",
            "https://af.example.com/api/v1/",
        ] {
            assert_eq!(root_of(given).unwrap().as_str(), "https://af.example.com/");
        }
        assert_eq!(
            root_of("http://host:8080/airflow").unwrap().as_str(),
            "http://host:8080/airflow/"
        );
        assert!(root_of("ftp://host").is_err());
        assert!(root_of("not a url").is_err());
    }

    #[test]
    fn ids_are_encoded_as_path_segments() {
        let api = Api {
            root: root_of("http://host/af").unwrap(),
            shown: "http://host/af".into(),
            generation: Generation::Airflow3,
            credentials: Credentials::Anonymous,
            bearer: Mutex::new(None),
        };
        let url = api.url_for(
            Generation::Airflow3,
            &[
                "dags",
                "etl",
                "dagRuns",
                "scheduled__2024-12-19T00:00:00+00:00 x/y",
            ],
            &[("map_index", "3".into())],
        );
        assert_eq!(
            url.as_str(),
            "http://host/af/api/v2/dags/etl/dagRuns/scheduled__2024-12-19T00:00:00+00:00%20x%2Fy?map_index=3"
        );
    }

    #[test]
    fn details_come_from_the_json_body_or_its_first_line() {
        assert_eq!(
            detail_of(r#"{"detail":"The Dag with ID: `x` was not found"}"#),
            "The Dag with ID: `x` was not found"
        );
        assert_eq!(
            detail_of(r#"{"title":"Unauthorized","status":401}"#),
            "Unauthorized"
        );
        assert_eq!(detail_of("Bad Gateway\n<hr>"), "Bad Gateway");
    }

    #[test]
    fn credentials_never_show_in_debug_output() {
        let login = Credentials::Login {
            user: "admin".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{login:?}").contains("hunter2"));
        assert!(!format!("{:?}", Credentials::Token("tok".into())).contains("tok)"));
    }
}
