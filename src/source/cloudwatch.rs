//! CloudWatch Logs as a source: `cloudwatch://GROUP/STREAM` (the stream's
//! name may hold `/`, `=`; a `/` in the group's name is written `%2F`) or
//! an ARN, `cloudwatch://arn:aws:logs:REGION:ACCOUNT:log-group:GROUP[:log-stream:STREAM]`.
//!
//! A stream is read with `GetLogEvents` from its head, one page (up to 1
//! MB) at a time, into a spool (`source::events`): each event's
//! message is a line (a message with line breaks stays as its lines), in
//! the order CloudWatch returns them; the read ends when the forward token
//! comes back unchanged. Followed, the same token is asked again for what
//! came since. A name that is not a stream opens every stream it begins
//! (Airflow's trigger sub-logs live beside the attempt's stream).

pub mod aws;

use serde::Deserialize;

use self::aws::LogsClient;
use super::events::{self, Page, Pages, StoreError};
use super::{OpenError, Problem, SourceEntry};
use crate::source::remote::redact;

/// The scheme of CloudWatch sources.
pub const SCHEME: &str = "cloudwatch://";

/// At most this many streams are opened for one name (each is a spool).
const MOST_STREAMS: usize = 200;

/// `true` for a `cloudwatch://` URL.
pub fn is_cloudwatch_url(s: &str) -> bool {
    s.starts_with(SCHEME)
}

/// A log group, and the region its ARN names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub region: Option<String>,
}

/// What a `cloudwatch://` URL names: a group and a stream (or a prefix of
/// streams; empty for all of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub group: Group,
    pub stream: String,
}

/// Reads a `cloudwatch://` URL.
pub fn parse(url: &str) -> Result<Target, String> {
    let rest = url.strip_prefix(SCHEME).ok_or("not a cloudwatch:// URL")?;
    if let Some(arn) = rest.strip_prefix("arn:") {
        // arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME[:log-stream:STREAM][:*]
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [_partition, service, region, _account, kind, name] = parts[..] else {
            return Err("an ARN reads arn:aws:logs:REGION:ACCOUNT:log-group:NAME".into());
        };
        if service != "logs" || kind != "log-group" || name.is_empty() {
            return Err("an ARN reads arn:aws:logs:REGION:ACCOUNT:log-group:NAME".into());
        }
        let name = name.strip_suffix(":*").unwrap_or(name);
        let (name, stream) = name.split_once(":log-stream:").unwrap_or((name, ""));
        return Ok(Target {
            group: Group {
                name: name.to_string(),
                region: (!region.is_empty()).then(|| region.to_string()),
            },
            stream: stream.to_string(),
        });
    }
    let (group, stream) = rest.split_once('/').unwrap_or((rest, ""));
    if group.is_empty() {
        return Err("no log group: cloudwatch://GROUP/STREAM".into());
    }
    Ok(Target {
        group: Group {
            name: percent_decoded(group),
            region: None,
        },
        stream: stream.to_string(),
    })
}

/// `%2F` and the like undone (a group's name may hold `/`).
fn percent_decoded(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// How a stream is named in messages: `cloudwatch://GROUP/STREAM`.
fn shown(group: &str, stream: &str) -> String {
    redact(&format!("{SCHEME}{}/{stream}", group.replace('/', "%2F")))
}

/// Opens a `cloudwatch://` URL given as a source: the stream it names, or
/// when there is none, every stream whose name begins with it.
pub fn open_url(url: &str, follow: bool) -> (Vec<SourceEntry>, Vec<OpenError>) {
    let failed = |problem: Problem| {
        (
            Vec::new(),
            vec![OpenError::Remote {
                path: redact(url),
                problem,
            }],
        )
    };
    let target = match parse(url) {
        Ok(target) => target,
        Err(why) => return failed(Problem::new(why)),
    };
    let client = match LogsClient::new(target.group.region.as_deref()) {
        Ok(client) => client,
        Err(e) => return failed(e.problem()),
    };
    if !target.stream.is_empty() && !target.stream.ends_with('/') {
        match open_stream(&client, &target.group.name, &target.stream, None, follow) {
            Err(Opening::NoStream) => {}
            Err(Opening::Failed(e)) => return failed(e.problem()),
            Ok(entry) => return (vec![entry], Vec::new()),
        }
    }
    open_prefix(
        &client,
        &target.group.name,
        &target.stream,
        |_| None,
        follow,
    )
}

/// Opens every stream of `group` whose name begins with `prefix`, tagged by
/// `tag_of` (given what follows the prefix).
pub fn open_prefix(
    client: &LogsClient,
    group: &str,
    prefix: &str,
    tag_of: impl Fn(&str) -> Option<String>,
    follow: bool,
) -> (Vec<SourceEntry>, Vec<OpenError>) {
    let failed = |problem: Problem| OpenError::Remote {
        path: shown(group, prefix),
        problem,
    };
    let streams = match list_streams(client, group, prefix) {
        Ok(streams) if streams.is_empty() => {
            let what = if prefix.is_empty() {
                format!("log group '{group}' has no log stream")
            } else {
                format!("no log stream '{prefix}' (nor one beginning so) in log group '{group}'")
            };
            return (Vec::new(), vec![failed(Problem::new(what))]);
        }
        Ok(streams) if streams.len() > MOST_STREAMS => {
            let what = format!(
                "{} log streams begin with '{prefix}' in log group '{group}': more than {MOST_STREAMS}",
                streams.len()
            );
            return (
                Vec::new(),
                vec![failed(
                    Problem::new(what).with_tip("name one stream, or a longer prefix"),
                )],
            );
        }
        Ok(streams) => streams,
        Err(e) => return (Vec::new(), vec![failed(e.problem())]),
    };
    let (mut opened, mut errors) = (Vec::new(), Vec::new());
    for stream in streams {
        let tag = tag_of(stream.strip_prefix(prefix).unwrap_or(&stream));
        match open_stream(client, group, &stream, tag, follow) {
            Ok(entry) => opened.push(entry),
            Err(Opening::NoStream) => errors.push(OpenError::Remote {
                path: shown(group, &stream),
                problem: Problem::new("the log stream was deleted while it was opened"),
            }),
            Err(Opening::Failed(e)) => errors.push(OpenError::Remote {
                path: shown(group, &stream),
                problem: e.problem(),
            }),
        }
    }
    (opened, errors)
}

/// The names of `group`'s streams that begin with `prefix`, in name order
/// (at most one more than the 200 opened). A missing group is named.
pub fn list_streams(
    client: &LogsClient,
    group: &str,
    prefix: &str,
) -> Result<Vec<String>, StoreError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Stream {
        log_stream_name: String,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Listed {
        #[serde(default)]
        log_streams: Vec<Stream>,
        next_token: Option<String>,
    }
    let health = super::Health::default();
    let what = shown(group, prefix);
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = serde_json::json!({ "logGroupName": group });
        if !prefix.is_empty() {
            body["logStreamNamePrefix"] = prefix.into();
        }
        if let Some(token) = &token {
            body["nextToken"] = token.clone().into();
        }
        let listed: Listed = events::retrying(&health, &what, || {
            client
                .call("DescribeLogStreams", body.clone())
                .map_err(|e| missing_group(e, group, client.region()))
        })?;
        names.extend(listed.log_streams.into_iter().map(|s| s.log_stream_name));
        match listed.next_token {
            Some(next) if names.len() <= MOST_STREAMS && token.as_ref() != Some(&next) => {
                token = Some(next)
            }
            _ => break,
        }
    }
    names.sort();
    Ok(names)
}

/// A not-found answer to a call on `group` itself: the group is missing.
fn missing_group(e: aws::Call, group: &str, region: &str) -> StoreError {
    match e {
        aws::Call::Refused(e) if e.is_not_found() => StoreError::Missing(format!(
            "log group '{group}' does not exist in region {region}"
        )),
        other => other.into_store_error(),
    }
}

enum Opening {
    /// The group is there but the stream is not.
    NoStream,
    Failed(StoreError),
}

/// Opens one stream: its first page is read now (so a missing stream is
/// said at once), the rest on the spool's thread.
fn open_stream(
    client: &LogsClient,
    group: &str,
    stream: &str,
    tag: Option<String>,
    follow: bool,
) -> Result<SourceEntry, Opening> {
    let mut pages = StreamPages {
        client: client.clone(),
        group: group.to_string(),
        stream: stream.to_string(),
        token: None,
    };
    let health = super::Health::default();
    let first = match events::retrying(&health, &pages.location(), || pages.ask()) {
        Ok(first) => first,
        Err(StoreError::Missing(_)) => {
            // CloudWatch's "not found" may mean either: a listing of the
            // group tells which.
            return match list_streams(client, group, stream) {
                Ok(_) => Err(Opening::NoStream),
                Err(e) => Err(Opening::Failed(e)),
            };
        }
        Err(e) => return Err(Opening::Failed(e)),
    };
    let label = stream.rsplit('/').next().unwrap_or(stream).to_string();
    events::open(pages, first, label, tag, follow)
        .map_err(|e| Opening::Failed(StoreError::Failed(Problem::io(&e))))
}

/// One stream, page after page.
struct StreamPages {
    client: LogsClient,
    group: String,
    stream: String,
    /// The forward token of the last page.
    token: Option<String>,
}

impl StreamPages {
    fn ask(&mut self) -> Result<Page, StoreError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Event {
            timestamp: i64,
            message: String,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Events {
            #[serde(default)]
            events: Vec<Event>,
            next_forward_token: Option<String>,
        }
        let mut body = serde_json::json!({
            "logGroupName": self.group,
            "logStreamName": self.stream,
            "startFromHead": true,
        });
        if let Some(token) = &self.token {
            body["nextToken"] = token.clone().into();
        }
        let answer: Events = self
            .client
            .call("GetLogEvents", body)
            .map_err(aws::Call::into_store_error)?;
        let mut bytes = Vec::new();
        for event in &answer.events {
            events::push_event(&mut bytes, &event.message, Some(event.timestamp));
        }
        // The end: the token sent comes back (an empty page alone is not
        // the end, CloudWatch may return some before it).
        let caught_up = answer.next_forward_token.is_none()
            || (answer.next_forward_token == self.token && self.token.is_some());
        if answer.next_forward_token.is_some() {
            self.token = answer.next_forward_token;
        }
        Ok(Page { bytes, caught_up })
    }
}

impl Pages for StreamPages {
    fn location(&self) -> String {
        shown(&self.group, &self.stream)
    }

    fn next_page(&mut self) -> Result<Page, StoreError> {
        self.ask()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_group_and_a_stream_or_an_arn() {
        let target =
            parse("cloudwatch://airflow-Env-Task/dag_id=etl/run_id=x/attempt=1.log").unwrap();
        assert_eq!(target.group.name, "airflow-Env-Task");
        assert_eq!(target.group.region, None);
        assert_eq!(target.stream, "dag_id=etl/run_id=x/attempt=1.log");
        let target = parse("cloudwatch://%2Faws%2Fmwaa%2Fx/s").unwrap();
        assert_eq!(target.group.name, "/aws/mwaa/x");
        let target =
            parse("cloudwatch://arn:aws:logs:eu-west-1:123456789012:log-group:airflow-Env-Task")
                .unwrap();
        assert_eq!(target.group.name, "airflow-Env-Task");
        assert_eq!(target.group.region.as_deref(), Some("eu-west-1"));
        assert_eq!(target.stream, "");
        let target = parse(
            "cloudwatch://arn:aws:logs:eu-west-1:1:log-group:/aws/g:log-stream:dag_id=a/attempt=1.log",
        )
        .unwrap();
        assert_eq!(target.group.name, "/aws/g");
        assert_eq!(target.stream, "dag_id=a/attempt=1.log");
        assert_eq!(
            parse("cloudwatch://arn:aws:logs:us-east-1:1:log-group:g:*")
                .unwrap()
                .group
                .name,
            "g"
        );
        assert!(parse("cloudwatch://arn:aws:s3:::bucket").is_err());
        assert!(parse("cloudwatch:///stream").is_err());
    }
}
