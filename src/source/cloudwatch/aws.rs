//! CloudWatch Logs' JSON-over-HTTP API (`X-Amz-Target:
//! Logs_20140328.<Action>`), each request signed with SigV4 by
//! `object_store`'s signer. Credentials come from the same chain as S3's
//! (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`, a web
//! identity, the container's or the instance's credentials), the endpoint
//! from `AWS_ENDPOINT_URL_LOGS`, else `AWS_ENDPOINT_URL`, else the region's.

use std::sync::Arc;

use object_store::aws::{AmazonS3Builder, AwsAuthorizer, AwsCredentialProvider};
use object_store::client::HttpRequestBody;
use serde::de::DeserializeOwned;

use crate::problem::Problem;
use crate::source::events::StoreError;
use crate::source::remote::block_on;
use crate::source::remote::http::{client, root_cause, transport_failure};

/// A client for one region's CloudWatch Logs.
#[derive(Clone)]
pub struct LogsClient {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: String,
    region: String,
    credentials: AwsCredentialProvider,
}

/// An error CloudWatch answered with: its `__type` and message.
#[derive(Debug, Clone)]
pub struct AwsError {
    pub code: String,
    pub message: String,
    pub status: u16,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The region of non-ARN names: `AWS_REGION`, else `AWS_DEFAULT_REGION`.
pub fn region_from_env() -> Option<String> {
    env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION"))
}

/// Where the credentials come from, for a refusal's message.
pub fn credential_origin() -> String {
    if let Some(key) = env("AWS_ACCESS_KEY_ID") {
        let token = if env("AWS_SESSION_TOKEN").is_some() {
            " and AWS_SESSION_TOKEN"
        } else {
            ""
        };
        format!("AWS_ACCESS_KEY_ID ({key}), AWS_SECRET_ACCESS_KEY{token}")
    } else if env("AWS_WEB_IDENTITY_TOKEN_FILE").is_some() {
        "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN".into()
    } else if env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
        || env("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some()
    {
        "the container's credentials (AWS_CONTAINER_CREDENTIALS_*)".into()
    } else {
        "the instance's metadata service (no AWS_ACCESS_KEY_ID is set)".into()
    }
}

impl LogsClient {
    /// A client for `region` (else the environment's).
    pub fn new(region: Option<&str>) -> Result<LogsClient, StoreError> {
        let region = region.map(str::to_string).or_else(region_from_env).ok_or_else(|| {
            StoreError::Failed(
                Problem::new("which AWS region? the log group's name does not say")
                    .with_tip("set AWS_REGION, or give the log group's ARN (cloudwatch://arn:aws:logs:REGION:…)"),
            )
        })?;
        let endpoint = env("AWS_ENDPOINT_URL_LOGS")
            .or_else(|| env("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|| format!("https://logs.{region}.amazonaws.com"));
        // S3's builder reads the same variables and knows the whole chain;
        // its bucket is never asked for.
        let store = AmazonS3Builder::from_env()
            .with_bucket_name("logweave-cloudwatch")
            .with_region(&region)
            .build()
            .map_err(|e| StoreError::Failed(Problem::new(root_cause(&e))))?;
        Ok(LogsClient {
            inner: Arc::new(Inner {
                endpoint: endpoint.trim_end_matches('/').to_string() + "/",
                region,
                credentials: store.credentials().clone(),
            }),
        })
    }

    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// Calls `action` with `body` and parses the answer.
    pub fn call<T: DeserializeOwned + Send + 'static>(
        &self,
        action: &'static str,
        body: serde_json::Value,
    ) -> Result<T, Call> {
        let inner = self.inner.clone();
        block_on(async move { inner.call(action, body).await })
    }
}

/// How a call failed.
#[derive(Debug)]
pub enum Call {
    /// CloudWatch answered with an error.
    Refused(AwsError),
    /// Worth retrying (the connection, a timeout), or not.
    Transport { retry: bool, reason: String },
}

impl Call {
    /// As a store error; `Missing` errors are left to the caller to name.
    pub fn into_store_error(self) -> StoreError {
        match self {
            Call::Transport {
                retry: true,
                reason,
            } => StoreError::Transient(reason),
            Call::Transport { reason, .. } => StoreError::Failed(Problem::new(reason)),
            Call::Refused(e) => e.into_store_error(),
        }
    }
}

impl AwsError {
    /// `ResourceNotFoundException`: a missing group or stream.
    pub fn is_not_found(&self) -> bool {
        self.code == "ResourceNotFoundException"
    }

    fn into_store_error(self) -> StoreError {
        let said = format!("{}: {}", self.code, self.message);
        let denied = matches!(
            self.code.as_str(),
            "UnrecognizedClientException"
                | "InvalidSignatureException"
                | "AccessDeniedException"
                | "ExpiredTokenException"
                | "IncompleteSignature"
                | "MissingAuthenticationToken"
                | "InvalidClientTokenId"
                | "SignatureDoesNotMatch"
        ) || matches!(self.status, 401 | 403);
        if self.status == 429 || self.status >= 500 || self.code == "ThrottlingException" {
            StoreError::Transient(said)
        } else if denied {
            StoreError::Failed(
                Problem::new(format!(
                    "credentials refused ({said}); they came from {}",
                    credential_origin()
                ))
                .with_tip(
                    "check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and that they may read this log group (logs:GetLogEvents, logs:DescribeLogStreams)",
                ),
            )
        } else if self.is_not_found() {
            StoreError::Missing(self.message)
        } else {
            StoreError::Failed(Problem::new(said))
        }
    }
}

impl Inner {
    async fn call<T: DeserializeOwned>(
        &self,
        action: &str,
        body: serde_json::Value,
    ) -> Result<T, Call> {
        let credential = self
            .credentials
            .get_credential()
            .await
            .map_err(|e| Call::Transport {
                retry: false,
                reason: format!(
                    "no AWS credentials ({}); looked in {}",
                    root_cause(&e),
                    credential_origin()
                ),
            })?;
        let body = serde_json::to_vec(&body).unwrap_or_default();
        let target = format!("Logs_20140328.{action}");
        let mut request = http::Request::builder()
            .method(http::Method::POST)
            .uri(&self.endpoint)
            .header(http::header::CONTENT_TYPE, "application/x-amz-json-1.1")
            .header("x-amz-target", &target)
            .body(HttpRequestBody::from(body.clone()))
            .map_err(|e| Call::Transport {
                retry: false,
                reason: format!("not a valid endpoint '{}': {e}", self.endpoint),
            })?;
        AwsAuthorizer::new(&credential, "logs", &self.region)
            .try_authorize(&mut request, None)
            .map_err(|e| Call::Transport {
                retry: false,
                reason: format!("cannot sign the request: {}", root_cause(&e)),
            })?;
        let response = client()
            .post(&self.endpoint)
            .headers(request.headers().clone())
            .body(body)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport)?;
        if !status.is_success() {
            return Err(Call::Refused(error_of(status.as_u16(), &bytes)));
        }
        serde_json::from_slice(&bytes).map_err(|e| Call::Transport {
            retry: false,
            reason: format!("not a CloudWatch Logs answer to {action}: {e}"),
        })
    }
}

fn transport(e: reqwest::Error) -> Call {
    let (retry, reason) = transport_failure(e);
    Call::Transport { retry, reason }
}

/// An error answer: `{"__type": "…#Code", "message": "…"}` (or `Message`),
/// or the XML `<Code>`/`<Message>` of a gateway in front.
fn error_of(status: u16, body: &[u8]) -> AwsError {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let text = String::from_utf8_lossy(body);
    let xml = |name: &str| -> Option<String> {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{name}>"))? + start;
        Some(text[start..end].trim().to_string())
    };
    let code = value["__type"]
        .as_str()
        .map(|t| t.rsplit('#').next().unwrap_or(t).to_string())
        .or_else(|| xml("Code"))
        .unwrap_or_else(|| format!("HTTP {status}"));
    let message = value["message"]
        .as_str()
        .or_else(|| value["Message"].as_str())
        .map(str::to_string)
        .or_else(|| xml("Message"))
        .unwrap_or_else(|| {
            String::from_utf8_lossy(&body[..body.len().min(200)])
                .trim()
                .to_string()
        });
    AwsError {
        code,
        message,
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_classified_by_their_code() {
        let throttled = error_of(
            400,
            br#"{"__type":"com.amazonaws#ThrottlingException","message":"Rate exceeded"}"#,
        );
        assert_eq!(throttled.code, "ThrottlingException");
        assert!(matches!(
            throttled.into_store_error(),
            StoreError::Transient(m) if m == "ThrottlingException: Rate exceeded"
        ));
        assert!(matches!(
            error_of(429, b"Too Many Requests").into_store_error(),
            StoreError::Transient(_)
        ));
        let missing = error_of(
            400,
            br#"{"__type":"ResourceNotFoundException","message":"The specified log group does not exist."}"#,
        );
        assert!(missing.is_not_found());
        let denied = error_of(
            400,
            br#"{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}"#,
        );
        match denied.into_store_error() {
            StoreError::Failed(p) => {
                assert!(p.what().contains("credentials refused"), "{p:?}");
                assert!(p.tip().unwrap_or("").contains("AWS_SECRET_ACCESS_KEY"));
            }
            other => panic!("{other:?}"),
        }
    }
}
