//! HTTP(S) sources: `Range:` requests through [`RemoteSource`](super::RemoteSource)'s cache. A
//! server that ignores `Range:` answers the first request with the whole
//! body, which is then spooled to a temporary file as it streams. The
//! Airflow worker log server is this backend plus a signed token per request.

use std::io::{self, Read};
use std::ops::Range;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_RANGE, RANGE};
use reqwest::StatusCode;

use super::{block_on, redact, Blocks, RangeBackend, RemoteError, Stat};

/// Makes the `Authorization` header of one request (a fresh short-lived
/// token each time, as Airflow's own webserver does).
pub type Authorizer = Arc<dyn Fn() -> Result<String, String> + Send + Sync>;

/// What a `403` means for this server, told to the user as is.
pub type DeniedHint = &'static str;

/// The HTTP client of remote reads (also CloudWatch's and Elasticsearch's).
pub(crate) fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .read_timeout(super::timeout())
            .build()
            // Only fails when the TLS backend cannot load at all.
            .unwrap_or_else(|_| reqwest::Client::new())
    })
}

/// One URL, read with range requests.
pub struct HttpBackend {
    url: String,
    shown: String,
    authorize: Option<Authorizer>,
    denied_hint: Option<DeniedHint>,
}

/// What the first request found.
pub enum Probe {
    /// The server honours ranges: read it through the block cache. The
    /// bytes from 0 it answered with (empty when they were not as asked).
    Ranged(Stat, Bytes),
    /// The server sent the whole body: stream it into a spool.
    Whole(BodyReader),
}

impl HttpBackend {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_string(),
            shown: redact(url),
            authorize: None,
            denied_hint: None,
        }
    }

    /// Signs every request, and explains a refusal with `hint`.
    pub fn authorized(mut self, authorize: Authorizer, hint: DeniedHint) -> Self {
        self.authorize = Some(authorize);
        self.denied_hint = Some(hint);
        self
    }

    fn headers(&self, range: &str) -> Result<HeaderMap, RemoteError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            RANGE,
            HeaderValue::from_str(range).map_err(|e| RemoteError::Other(e.to_string()))?,
        );
        if let Some(authorize) = &self.authorize {
            let token = authorize().map_err(RemoteError::Other)?;
            let mut value =
                HeaderValue::from_str(&token).map_err(|e| RemoteError::Other(e.to_string()))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        Ok(headers)
    }

    fn status_error(&self, status: StatusCode) -> RemoteError {
        match status.as_u16() {
            404 | 410 => RemoteError::NotFound,
            401 | 403 => RemoteError::Denied {
                what: format!("refused ({status})"),
                tip: self.denied_hint,
            },
            408 | 429 | 500..=599 => RemoteError::Transient(format!("server said {status}")),
            _ => RemoteError::Other(format!("server said {status}")),
        }
    }

    /// Asks for the first `first` bytes (at least one): the answer tells
    /// the size and whether ranges work (`206`, its bytes kept), or carries
    /// the whole body (`200`). Opening asks for the first block, so that
    /// reading starts without a second round trip; follow mode's length
    /// checks ask for one byte.
    pub fn probe(&self, first: u64) -> Result<Probe, RemoteError> {
        let first = first.max(1);
        let range = format!("bytes=0-{}", first - 1);
        let request = client().get(&self.url).headers(self.headers(&range)?);
        let mut response = block_on(async move { request.send().await }).map_err(transport)?;
        let status = response.status();
        let version = version_of(response.headers());
        match status {
            StatusCode::PARTIAL_CONTENT => {
                let len = total_len(response.headers()).ok_or_else(|| {
                    RemoteError::Other("range answer without a total length".into())
                })?;
                let answered = content_range_span(response.headers());
                let mut body = Blocks::new(first);
                let body = block_on(async move {
                    while let Some(chunk) = response.chunk().await? {
                        body.push(&chunk);
                    }
                    Ok::<_, reqwest::Error>(body)
                });
                // Bytes other than asked for, or a body cut short, are left
                // for the reads to fetch (with retries) and refuse (with the
                // reason): the size is known either way.
                let whole = first.min(len);
                let head = match body {
                    Ok(body)
                        if answered == Some((0, whole.saturating_sub(1)))
                            && body.received() == whole =>
                    {
                        body.finish().into_iter().next().unwrap_or_default()
                    }
                    _ => Bytes::new(),
                };
                Ok(Probe::Ranged(Stat { len, version }, head))
            }
            // An empty file cannot satisfy `bytes=0-0`.
            StatusCode::RANGE_NOT_SATISFIABLE => Ok(Probe::Ranged(
                Stat {
                    len: total_len(response.headers()).unwrap_or(0),
                    version,
                },
                Bytes::new(),
            )),
            // A login page or a proxy's error page, not a log: showing it
            // as one would hide what went wrong.
            StatusCode::OK if is_html(response.headers()) => Err(RemoteError::Other(
                "the server answered with an HTML page, not a log (a login or proxy page?)".into(),
            )),
            StatusCode::OK => Ok(Probe::Whole(BodyReader {
                response: Some(response),
                pending: Bytes::new(),
            })),
            _ => Err(self.status_error(status)),
        }
    }
}

impl RangeBackend for HttpBackend {
    fn location(&self) -> &str {
        &self.shown
    }

    fn stat(&self) -> Result<Stat, RemoteError> {
        match self.probe(1)? {
            Probe::Ranged(stat, _) => Ok(stat),
            Probe::Whole(_) => Err(RemoteError::Other(
                "the server stopped answering range requests".into(),
            )),
        }
    }

    fn fetch(&self, range: Range<u64>) -> Result<Vec<Bytes>, RemoteError> {
        if range.is_empty() {
            return Ok(Vec::new());
        }
        let header = format!("bytes={}-{}", range.start, range.end - 1);
        let request = client().get(&self.url).headers(self.headers(&header)?);
        let mut body = Blocks::new(range.end - range.start);
        let (status, answered, body) = block_on(async move {
            let mut response = request.send().await?;
            let status = response.status();
            let answered = content_range_span(response.headers());
            if status != StatusCode::PARTIAL_CONTENT {
                return Ok((status, answered, body));
            }
            // Into the cache's blocks as it comes: collecting the chunks
            // would hold them and a growing copy at once.
            while let Some(chunk) = response.chunk().await? {
                body.push(&chunk);
            }
            Ok((status, answered, body))
        })
        .map_err(transport)?;
        match status {
            // Bytes from elsewhere in the file would be shown as if they
            // were these: a server that answers another range than asked
            // is an error, not data.
            StatusCode::PARTIAL_CONTENT => match answered {
                Some((from, to))
                    if from == range.start
                        && to < range.end
                        && body.received() == to - from + 1 =>
                {
                    Ok(body.finish())
                }
                Some((from, to)) => Err(RemoteError::Other(format!(
                    "the server answered bytes {from}-{to} ({} bytes) when asked for {}-{}",
                    body.received(),
                    range.start,
                    range.end - 1
                ))),
                None => Err(RemoteError::Other(
                    "the server's partial answer has no valid Content-Range".into(),
                )),
            },
            // The object shrank below the range: nothing there any more.
            StatusCode::RANGE_NOT_SATISFIABLE => Ok(Vec::new()),
            StatusCode::OK => Err(RemoteError::Other(
                "the server stopped answering range requests".into(),
            )),
            _ => Err(self.status_error(status)),
        }
    }
}

/// The whole body of a response, as a blocking reader (for the spool).
pub struct BodyReader {
    response: Option<reqwest::Response>,
    pending: Bytes,
}

impl BodyReader {
    /// Reads `response`'s body as it arrives.
    pub fn new(response: reqwest::Response) -> Self {
        Self {
            response: Some(response),
            pending: Bytes::new(),
        }
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pending.is_empty() {
            let Some(mut response) = self.response.take() else {
                return Ok(0);
            };
            let (response, chunk) = block_on(async move {
                let chunk = response.chunk().await;
                (response, chunk)
            });
            match chunk {
                Ok(Some(chunk)) => {
                    self.pending = chunk;
                    self.response = Some(response);
                }
                Ok(None) => return Ok(0),
                Err(e) => return Err(io::Error::other(transport(e).to_string())),
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        let _ = self.pending.split_to(n);
        Ok(n)
    }
}

/// `Content-Range: bytes 0-0/12345` (or `bytes */12345`) → 12345.
fn total_len(headers: &HeaderMap) -> Option<u64> {
    content_range_total(headers.get(CONTENT_RANGE)?.to_str().ok()?)
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"))
}

/// `Content-Range: bytes 100-199/12345` → (100, 199).
fn content_range_span(headers: &HeaderMap) -> Option<(u64, u64)> {
    let value = headers.get(CONTENT_RANGE)?.to_str().ok()?;
    let span = value.trim().strip_prefix("bytes ")?.split('/').next()?;
    let (from, to) = span.split_once('-')?;
    let (from, to) = (from.trim().parse().ok()?, to.trim().parse().ok()?);
    (from <= to).then_some((from, to))
}

/// The total length a `Content-Range` value states (`bytes 0-0/12345` →
/// 12345); `None` for `*` or anything else.
pub fn content_range_total(value: &str) -> Option<u64> {
    value.rsplit('/').next()?.trim().parse().ok()
}

fn version_of(headers: &HeaderMap) -> Option<String> {
    [reqwest::header::ETAG, reqwest::header::LAST_MODIFIED]
        .iter()
        .find_map(|name| headers.get(name)?.to_str().ok().map(str::to_string))
}

/// A transport failure in words, without the URL (which may carry
/// credentials): the innermost cause, e.g. "Connection refused".
fn transport(e: reqwest::Error) -> RemoteError {
    let (retry, reason) = transport_failure(e);
    if retry {
        RemoteError::Transient(reason)
    } else {
        RemoteError::Other(reason)
    }
}

/// A transport failure in words, without the URL, and whether it is worth
/// retrying (a timeout, a refused connection, a body cut off).
pub(crate) fn transport_failure(e: reqwest::Error) -> (bool, String) {
    let retry = e.is_timeout() || e.is_connect() || e.is_request() || e.is_body();
    let reason = if e.is_timeout() {
        super::timed_out()
    } else {
        root_cause(&e.without_url())
    };
    (retry, reason)
}

/// The last error in a chain, with the "(os error N)" suffix dropped.
pub fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last: &(dyn std::error::Error + 'static) = e;
    while let Some(next) = last.source() {
        last = next;
    }
    crate::problem::without_os_error(last.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_length_comes_from_content_range() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_RANGE, HeaderValue::from_static("bytes 0-0/12345"));
        assert_eq!(total_len(&headers), Some(12345));
        headers.insert(CONTENT_RANGE, HeaderValue::from_static("bytes */0"));
        assert_eq!(total_len(&headers), Some(0));
        headers.insert(CONTENT_RANGE, HeaderValue::from_static("bytes 0-0/*"));
        assert_eq!(total_len(&headers), None);
    }
}
