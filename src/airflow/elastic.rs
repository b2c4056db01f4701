//! `logweave airflow --elasticsearch URL` / `--opensearch URL`: an
//! attempt's log as Airflow's Elasticsearch and OpenSearch task handlers
//! keep it — one document per line, found by `log_id` (the handler's
//! `log_id_template`), ordered by `offset`.
//!
//! Documents are read in pages sorted by `offset` and then `_doc`, each
//! page after the last one's sort values (`search_after`: a `from` stops at
//! 10,000 documents), into a spool
//! (`source::events`), so the first screen shows at once
//! and memory holds one page. `log_id` is matched as Airflow matches it
//! (`match_phrase`), and then exactly. Followed, the last sort values are
//! asked again for documents with a higher offset. Credentials come from
//! the environment only (`ELASTICSEARCH_API_KEY`, or
//! `ELASTICSEARCH_USERNAME`/`ELASTICSEARCH_PASSWORD`;
//! `OPENSEARCH_USERNAME`/`OPENSEARCH_PASSWORD`), never the command line.

pub mod render;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::AttemptId;
use crate::problem::Problem;
use crate::source::events::{self, Page, Pages, StoreError};
use crate::source::remote::block_on;
use crate::source::remote::http::{client, transport_failure};
use crate::source::{Health, OpenError, SourceEntry};

/// Documents asked for first (as Airflow's handler asks); then as many as
/// make about [`PAGE_BYTES`], between [`PAGE_MIN`] and [`PAGE_MAX`] (the
/// most a search returns): a server's cost is per search as much as per
/// document, and memory holds one page.
pub const PAGE: usize = 1000;
pub const PAGE_BYTES: usize = 4 << 20;
pub const PAGE_MIN: usize = 100;
pub const PAGE_MAX: usize = 10_000;

/// Airflow's default `[elasticsearch] log_id_template`.
pub const DEFAULT_LOG_ID_TEMPLATE: &str = "{dag_id}-{task_id}-{run_id}-{map_index}-{try_number}";

/// Airflow's default `[elasticsearch] index_patterns`.
pub const DEFAULT_INDEX_PATTERNS: &str = "_all";

/// Which server family: the same search API, their own credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Elasticsearch,
    OpenSearch,
}

impl Flavor {
    /// The tag of its lines and the prefix of its variables.
    pub fn name(self) -> &'static str {
        match self {
            Flavor::Elasticsearch => "elasticsearch",
            Flavor::OpenSearch => "opensearch",
        }
    }

    fn variables(self) -> (&'static str, &'static str, Option<&'static str>) {
        match self {
            Flavor::Elasticsearch => (
                "ELASTICSEARCH_USERNAME",
                "ELASTICSEARCH_PASSWORD",
                Some("ELASTICSEARCH_API_KEY"),
            ),
            Flavor::OpenSearch => ("OPENSEARCH_USERNAME", "OPENSEARCH_PASSWORD", None),
        }
    }
}

/// Where an attempt's documents are and how they are written.
#[derive(Debug, Clone)]
pub struct SearchStore {
    pub flavor: Flavor,
    /// `http://host:9200` (no credentials in it).
    pub url: String,
    /// Airflow's `index_patterns`: `_all`, `airflow-logs-*`, `a,b`.
    pub index_patterns: String,
    /// Airflow's `log_id_template`.
    pub log_id_template: String,
    /// Airflow's `log_format`, for documents of JSON mode.
    pub log_format: String,
}

impl SearchStore {
    /// `url` with Airflow's defaults. A URL carrying a password is refused:
    /// command lines are visible to other users.
    pub fn new(flavor: Flavor, url: &str) -> Result<SearchStore, String> {
        let url = if url.contains("://") {
            url.to_string()
        } else {
            format!("http://{url}")
        };
        let parsed =
            reqwest::Url::parse(&url).map_err(|e| format!("not a valid URL '{url}': {e}"))?;
        if parsed.password().is_some() || !parsed.username().is_empty() {
            let (user, password, _) = flavor.variables();
            return Err(format!(
                "give the {} credentials in {user} and {password}, not in the URL (command lines are visible to other users)",
                flavor.name()
            ));
        }
        Ok(SearchStore {
            flavor,
            url: url.trim_end_matches('/').to_string(),
            index_patterns: DEFAULT_INDEX_PATTERNS.into(),
            log_id_template: DEFAULT_LOG_ID_TEMPLATE.into(),
            log_format: render::DEFAULT_LOG_FORMAT.into(),
        })
    }

    /// The `log_id` of an attempt, as Airflow's handler renders it.
    pub fn log_id(&self, id: &AttemptId) -> String {
        log_id(&self.log_id_template, id)
    }

    fn shown(&self, log_id: &str) -> String {
        format!("{}/{} log_id={log_id}", self.url, self.index_patterns)
    }

    /// The `Authorization` header from the environment, and what it came
    /// from (for a refusal's message).
    fn authorization(&self) -> Option<(String, String)> {
        use base64::Engine as _;
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let (user_var, password_var, key_var) = self.flavor.variables();
        if let Some(key) = key_var.and_then(env) {
            return Some((format!("ApiKey {key}"), key_var.unwrap_or_default().into()));
        }
        let user = env(user_var)?;
        let password = env(password_var).unwrap_or_default();
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Some((
            format!("Basic {basic}"),
            format!("{user_var} ({user}) and {password_var}"),
        ))
    }
}

/// `template` with an attempt's ids, as Python's `str.format` fills
/// Airflow's (`{map_index}` is -1 for an unmapped task).
pub fn log_id(template: &str, id: &AttemptId) -> String {
    template
        .replace("{dag_id}", &id.dag)
        .replace("{task_id}", &id.task)
        .replace("{run_id}", &id.run)
        .replace("{map_index}", &id.map_index.unwrap_or(-1).to_string())
        .replace("{try_number}", &id.try_number.to_string())
}

/// Opens the attempt's documents as a source tagged `elasticsearch` or
/// `opensearch`: the first page now (a missing index or log_id is said at
/// once), the rest on the spool's thread.
pub fn open(store: &SearchStore, id: &AttemptId, follow: bool) -> Result<SourceEntry, OpenError> {
    let log_id = store.log_id(id);
    let mut pages = Documents {
        store: store.clone(),
        log_id: log_id.clone(),
        after: None,
        size: PAGE,
    };
    let failed = |problem: Problem| OpenError::Remote {
        path: store.shown(&log_id),
        problem,
    };
    let health = Health::default();
    // Pages of other ids that hold this one may come first.
    let first = loop {
        let page = events::retrying(&health, &pages.location(), || pages.next_page())
            .map_err(|e| failed(e.problem()))?;
        if !page.bytes.is_empty() || page.caught_up {
            break page;
        }
    };
    if first.bytes.is_empty() {
        return Err(failed(
            Problem::new(format!(
                "no documents with log_id '{log_id}' in '{}'",
                store.index_patterns
            ))
            .with_tip(
                "check --log-id-template and --index-patterns against Airflow's [elasticsearch] log_id_template and index_patterns",
            ),
        ));
    }
    let label = format!("{}:{id}", store.flavor.name());
    let tag = Some(store.flavor.name().to_string());
    events::open(pages, first, label, tag, follow).map_err(|e| failed(Problem::io(&e)))
}

/// The latest try of `id`'s task instance with documents (for when the
/// log folder has none): tries 1, 2, … are asked for one document each
/// until one has none (at most 100).
pub fn latest_try(store: &SearchStore, id: &AttemptId) -> Result<Option<u32>, StoreError> {
    let mut latest = None;
    for try_number in 1..=100 {
        let log_id = store.log_id(&AttemptId {
            try_number,
            ..id.clone()
        });
        let mut probe = Documents {
            store: store.clone(),
            log_id,
            after: None,
            size: PAGE_MIN,
        };
        let found = loop {
            let page = probe.next_page()?;
            if !page.bytes.is_empty() || page.caught_up {
                break !page.bytes.is_empty();
            }
        };
        if !found {
            break;
        }
        latest = Some(try_number);
    }
    Ok(latest)
}

/// An attempt's documents, page after page.
struct Documents {
    store: SearchStore,
    log_id: String,
    /// The sort values of the last document read.
    after: Option<Box<RawValue>>,
    /// Documents to ask for next.
    size: usize,
}

#[derive(Deserialize)]
struct Answer {
    hits: Hits,
}

#[derive(Deserialize)]
struct Hits {
    hits: Vec<Hit>,
}

#[derive(Deserialize)]
struct Hit {
    #[serde(rename = "_source")]
    source: render::Fields,
    sort: Option<Box<RawValue>>,
}

impl Pages for Documents {
    fn location(&self) -> String {
        self.store.shown(&self.log_id)
    }

    fn next_page(&mut self) -> Result<Page, StoreError> {
        let mut query = serde_json::json!({
            "query": {"bool": {"filter": [{"match_phrase": {"log_id": self.log_id}}]}},
            "sort": [
                {"offset": {"order": "asc", "unmapped_type": "long"}},
                {"_doc": "asc"}
            ],
            "size": self.size,
        });
        if let Some(after) = &self.after {
            query["search_after"] = serde_json::from_str(after.get()).unwrap_or_default();
        }
        let (answer, answer_bytes): (Answer, usize) = self.search(query)?;
        let found = answer.hits.hits.len();
        let caught_up = found < self.size;
        if let Some(per_document) = answer_bytes.checked_div(found) {
            self.size = (PAGE_BYTES / per_document.max(1)).clamp(PAGE_MIN, PAGE_MAX);
        }
        let mut bytes = Vec::new();
        for hit in answer.hits.hits {
            self.after = hit.sort.or(self.after.take());
            // match_phrase also finds ids that hold this one.
            if hit.source.text("log_id").as_deref() != Some(self.log_id.as_str()) {
                continue;
            }
            let (text, millis) = render::render(&hit.source, &self.store.log_format);
            events::push_event(&mut bytes, &text, millis);
        }
        Ok(Page { bytes, caught_up })
    }
}

impl Documents {
    fn search<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        query: serde_json::Value,
    ) -> Result<(T, usize), StoreError> {
        let url = format!("{}/{}/_search", self.store.url, self.store.index_patterns);
        let authorization = self.store.authorization();
        let flavor = self.store.flavor;
        let patterns = self.store.index_patterns.clone();
        block_on(async move {
            let mut request = client()
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(query.to_string());
            if let Some((header, _)) = &authorization {
                request = request.header(reqwest::header::AUTHORIZATION, header);
            }
            let transport = |e: reqwest::Error| match transport_failure(e) {
                (true, reason) => StoreError::Transient(reason),
                (false, reason) => StoreError::Failed(Problem::new(reason)),
            };
            let response = request.send().await.map_err(transport)?;
            let status = response.status().as_u16();
            let body = response.bytes().await.map_err(transport)?;
            if (200..300).contains(&status) {
                let answer = serde_json::from_slice(&body).map_err(|e| {
                    StoreError::Failed(Problem::new(format!(
                        "not an answer of {}'s search API: {e}",
                        flavor.name()
                    )))
                })?;
                return Ok((answer, body.len()));
            }
            Err(refusal(
                status,
                &body,
                flavor,
                &patterns,
                authorization.map(|(_, from)| from),
            ))
        })
    }
}

/// An error answer in words: `{"error": {"type": …, "reason": …}}`.
fn refusal(
    status: u16,
    body: &[u8],
    flavor: Flavor,
    patterns: &str,
    credentials: Option<String>,
) -> StoreError {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let error = &value["error"];
    let kind = error["type"].as_str().unwrap_or("");
    let reason = error["reason"]
        .as_str()
        .or_else(|| error.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| {
            String::from_utf8_lossy(&body[..body.len().min(200)])
                .trim()
                .to_string()
        });
    let (user_var, password_var, key_var) = flavor.variables();
    match status {
        429 | 500.. => StoreError::Transient(format!("HTTP {status}: {reason}")),
        401 | 403 => {
            let from = credentials.unwrap_or_else(|| "none were given".into());
            let keys = key_var.map_or(String::new(), |k| format!(", or {k}"));
            let tip = format!(
                "set {user_var} and {password_var}{keys}, for a user who may read '{patterns}'"
            );
            let what = format!("HTTP {status}: {reason} (credentials: {from})");
            StoreError::Failed(Problem::new(what).with_tip(tip))
        }
        404 if kind == "index_not_found_exception" => {
            StoreError::Missing(format!("no index matches '{patterns}' ({reason})"))
        }
        _ => StoreError::Failed(Problem::new(format!("HTTP {status}: {reason}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ids_follow_airflows_template() {
        let id = AttemptId {
            dag: "etl".into(),
            run: "scheduled__2024-12-19T00:00:00+00:00".into(),
            task: "extract".into(),
            map_index: None,
            try_number: 2,
        };
        assert_eq!(
            log_id(DEFAULT_LOG_ID_TEMPLATE, &id),
            "etl-extract-scheduled__2024-12-19T00:00:00+00:00--1-2"
        );
        let mapped = AttemptId {
            map_index: Some(3),
            ..id
        };
        assert_eq!(
            log_id("{dag_id}_{task_id}_{map_index}", &mapped),
            "etl_extract_3"
        );
    }

    #[test]
    fn credentials_come_from_the_environment_never_the_url() {
        let refused = SearchStore::new(Flavor::OpenSearch, "https://admin:secret@search:9200");
        let said = refused.unwrap_err();
        assert!(
            said.contains("OPENSEARCH_PASSWORD") && !said.contains("secret"),
            "{said}"
        );
        let store = SearchStore::new(Flavor::Elasticsearch, "search:9200/").unwrap();
        assert_eq!(store.url, "http://search:9200");
    }

    #[test]
    fn refusals_say_what_to_check() {
        let body = br#"{"error":{"type":"security_exception","reason":"unable to authenticate user [x]"},"status":401}"#;
        match refusal(
            401,
            body,
            Flavor::Elasticsearch,
            "_all",
            Some("ELASTICSEARCH_USERNAME (x) and ELASTICSEARCH_PASSWORD".into()),
        ) {
            StoreError::Failed(p) => {
                assert!(
                    p.what().contains("unable to authenticate user [x]"),
                    "{p:?}"
                );
                assert!(p.what().contains("ELASTICSEARCH_USERNAME (x)"), "{p:?}");
                assert!(
                    p.tip().unwrap_or("").contains("ELASTICSEARCH_API_KEY"),
                    "{p:?}"
                );
            }
            other => panic!("{other:?}"),
        }
        let missing = br#"{"error":{"type":"index_not_found_exception","reason":"no such index [logs]"},"status":404}"#;
        assert!(matches!(
            refusal(404, missing, Flavor::OpenSearch, "logs", None),
            StoreError::Missing(m) if m == "no index matches 'logs' (no such index [logs])"
        ));
        assert!(matches!(
            refusal(429, b"{}", Flavor::OpenSearch, "logs", None),
            StoreError::Transient(_)
        ));
    }
}
