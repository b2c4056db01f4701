//! Object storage (`s3://`, `gs://`, `az://`) through the `object_store`
//! crate: ranged GETs for reads, listing for prefixes. Endpoints and
//! credentials come from the standard environment variables of each cloud
//! (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_REGION`,
//! `GOOGLE_SERVICE_ACCOUNT`, `AZURE_STORAGE_ACCOUNT_NAME`, …).

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::aws::AmazonS3ConfigKey;
use object_store::azure::AzureConfigKey;
use object_store::gcp::GoogleConfigKey;
use object_store::path::Path as ObjectPath;
use object_store::{ClientConfigKey, ClientOptions, ObjectStore, ObjectStoreExt, RetryConfig};

const ALLOW_HTTP: ClientConfigKey = ClientConfigKey::AllowHttp;

/// A boolean setting as `object_store` parses them.
fn flag(value: Option<String>) -> bool {
    value.is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on"))
}

use super::http::root_cause;
use super::{block_on, Blocks, RangeBackend, RemoteError, Stat};

/// URL schemes handled here.
pub const SCHEMES: [&str; 6] = ["s3://", "s3a://", "gs://", "az://", "abfs://", "abfss://"];

/// `true` for an `s3://`, `gs://` or `az://` URL.
pub fn is_object_url(s: &str) -> bool {
    SCHEMES.iter().any(|scheme| s.starts_with(scheme))
}

/// A bucket (or container) and the client for it.
#[derive(Clone)]
pub struct Bucket {
    store: Arc<dyn ObjectStore>,
    /// `s3://bucket`, for naming objects in messages.
    root: String,
}

impl Bucket {
    /// Connects to the bucket of `url`; the path part is returned separately.
    pub fn for_url(url: &str) -> Result<(Bucket, ObjectPath), RemoteError> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| RemoteError::Other(format!("not a valid URL: {e}")))?;
        let options = ClientOptions::new()
            .with_connect_timeout(Duration::from_secs(5))
            // object_store bounds a whole request, not a silence: twice
            // the silence leaves a 4 MiB range time to arrive.
            .with_timeout(2 * super::timeout());
        let retry = RetryConfig {
            max_retries: 3,
            retry_timeout: Duration::from_secs(60),
            ..RetryConfig::default()
        };
        let invalid = |e: object_store::Error| RemoteError::Other(root_cause(&e));
        // A local server (MinIO, moto, Azurite, a GCS emulator) speaks plain
        // HTTP; pointing at one is the only setting its users should need.
        let plain_http =
            |endpoint: Option<String>| endpoint.is_some_and(|e| e.starts_with("http://"));
        let store: Arc<dyn ObjectStore> = match parsed.scheme() {
            "s3" | "s3a" => {
                let builder = object_store::aws::AmazonS3Builder::from_env().with_url(url);
                let endpoint = std::env::var("AWS_ENDPOINT_URL")
                    .or_else(|_| std::env::var("AWS_ENDPOINT"))
                    .ok();
                let allow_http = plain_http(endpoint)
                    || flag(builder.get_config_value(&AmazonS3ConfigKey::Client(ALLOW_HTTP)));
                Arc::new(
                    builder
                        .with_client_options(options.with_allow_http(allow_http))
                        .with_retry(retry)
                        .build()
                        .map_err(invalid)?,
                )
            }
            "gs" => {
                let mut builder =
                    object_store::gcp::GoogleCloudStorageBuilder::from_env().with_url(url);
                let mut allow_http =
                    flag(builder.get_config_value(&GoogleConfigKey::Client(ALLOW_HTTP)));
                // The variable Google's own client libraries read for an
                // emulator (`gcloud`'s, fake-gcs-server, gcp-storage-emulator).
                if let Some(host) = std::env::var("STORAGE_EMULATOR_HOST")
                    .ok()
                    .filter(|h| !h.is_empty())
                {
                    let base = if host.contains("://") {
                        host
                    } else {
                        format!("http://{host}")
                    };
                    allow_http |= plain_http(Some(base.clone()));
                    let key = serde_json::json!({
                        "gcs_base_url": base.trim_end_matches('/'),
                        "disable_oauth": true,
                        "client_email": "",
                        "private_key": "",
                        "private_key_id": "",
                    });
                    builder = builder.with_service_account_key(key.to_string());
                }
                Arc::new(
                    builder
                        .with_client_options(options.with_allow_http(allow_http))
                        .with_retry(retry)
                        .build()
                        .map_err(invalid)?,
                )
            }
            "az" | "abfs" | "abfss" => {
                let builder = object_store::azure::MicrosoftAzureBuilder::from_env().with_url(url);
                // Azurite: `AZURE_STORAGE_USE_EMULATOR=true`, and its URL in
                // `AZURITE_BLOB_STORAGE_URL` (default http://127.0.0.1:10000).
                let emulator = flag(builder.get_config_value(&AzureConfigKey::UseEmulator));
                let allow_http =
                    emulator || flag(builder.get_config_value(&AzureConfigKey::Client(ALLOW_HTTP)));
                Arc::new(
                    builder
                        .with_client_options(options.with_allow_http(allow_http))
                        .with_retry(retry)
                        .build()
                        .map_err(invalid)?,
                )
            }
            other => {
                return Err(RemoteError::Other(format!(
                    "unsupported scheme '{other}://'"
                )))
            }
        };
        let root = format!(
            "{}://{}",
            parsed.scheme(),
            parsed.host_str().unwrap_or_default()
        );
        let path = ObjectPath::from_url_path(parsed.path())
            .map_err(|e| RemoteError::Other(root_cause(&e)))?;
        Ok((Bucket { store, root }, path))
    }

    /// Every object whose key starts with `prefix` (a plain string prefix,
    /// not only whole folders: `…/attempt=1.log` also finds
    /// `…/attempt=1.log.trigger.42.log`), sorted by key.
    pub fn list(&self, prefix: &str) -> Result<Vec<(ObjectPath, u64)>, RemoteError> {
        let store = self.store.clone();
        // List the folder, then keep the keys that extend the prefix.
        let folder = prefix
            .rsplit_once('/')
            .map_or("", |(dir, _)| dir)
            .to_string();
        let prefix = prefix.to_string();
        let listed: Result<Vec<_>, object_store::Error> = block_on(async move {
            let folder = (!folder.is_empty()).then(|| ObjectPath::from(folder));
            store.list(folder.as_ref()).try_collect().await
        });
        let mut found: Vec<(ObjectPath, u64)> = listed
            .map_err(classify)?
            .into_iter()
            .filter(|meta| meta.location.as_ref().starts_with(&prefix))
            .map(|meta| (meta.location, meta.size))
            .collect();
        found.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
        Ok(found)
    }

    /// The URL of an object in this bucket.
    pub fn url_of(&self, path: &ObjectPath) -> String {
        format!("{}/{}", self.root, path)
    }

    /// One object of this bucket as a range backend.
    pub fn object(&self, path: ObjectPath) -> ObjectBackend {
        ObjectBackend {
            shown: self.url_of(&path),
            bucket: self.clone(),
            path,
        }
    }
}

/// One object.
pub struct ObjectBackend {
    bucket: Bucket,
    path: ObjectPath,
    shown: String,
}

impl RangeBackend for ObjectBackend {
    fn location(&self) -> &str {
        &self.shown
    }

    fn stat(&self) -> Result<Stat, RemoteError> {
        let (store, path) = (self.bucket.store.clone(), self.path.clone());
        let meta = block_on(async move { store.head(&path).await }).map_err(classify)?;
        Ok(Stat {
            len: meta.size,
            version: meta.e_tag.or_else(|| Some(meta.last_modified.to_rfc3339())),
        })
    }

    fn fetch(&self, range: Range<u64>) -> Result<Vec<Bytes>, RemoteError> {
        if range.is_empty() {
            return Ok(Vec::new());
        }
        let (store, path) = (self.bucket.store.clone(), self.path.clone());
        block_on(async move {
            let options = object_store::GetOptions::new().with_range(Some(range));
            let answer = store.get_opts(&path, options).await?;
            // Into the cache's blocks as it comes, as `get_range` would
            // into one buffer (it checked the range answered is the one asked).
            let mut blocks = Blocks::new(answer.range.end - answer.range.start);
            let mut body = answer.into_stream();
            while let Some(piece) = body.try_next().await? {
                blocks.push(&piece);
            }
            Ok(blocks.finish())
        })
        .map_err(classify)
    }
}

/// An error text without the XML body S3-style servers send: `Code: Message`.
fn tidy(text: String) -> String {
    let field = |name: &str| -> Option<String> {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{name}>"))? + start;
        Some(text[start..end].trim().to_string())
    };
    // Azure adds "RequestId:…" and "Time:…" lines to its message.
    let field = |name: &str| field(name).map(|f| f.lines().next().unwrap_or("").trim().to_string());
    match (field("Code"), field("Message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (None, Some(message)) => message,
        _ => text
            .split("<?xml")
            .next()
            .unwrap_or(&text)
            .trim()
            .to_string(),
    }
}

/// `object_store` errors as [`RemoteError`]s. `object_store` has retried
/// transient failures already, so none is retried again here.
fn classify(e: object_store::Error) -> RemoteError {
    match &e {
        object_store::Error::NotFound { .. } => RemoteError::NotFound,
        object_store::Error::PermissionDenied { .. } => {
            RemoteError::Denied {
                what: format!("access denied: {}", tidy(root_cause(&e))),
                tip: Some("check that these credentials may read the object (its policy, IAM)"),
            }
        }
        object_store::Error::Unauthenticated { .. } => RemoteError::Denied {
            what: format!("not authenticated: {}", tidy(root_cause(&e))),
            tip: Some(
                "check the credentials in the environment (AWS_*, GOOGLE_APPLICATION_CREDENTIALS, AZURE_STORAGE_*)",
            ),
        },
        _ => RemoteError::Other(tidy(root_cause(&e))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_error_bodies_become_one_line() {
        let body = "Server returned non-2xx status code: 404 Not Found: <?xml version=\"1.0\"?>\n<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>";
        assert_eq!(
            tidy(body.to_string()),
            "NoSuchBucket: The specified bucket does not exist"
        );
        assert_eq!(tidy("Connection refused".into()), "Connection refused");
        let azure = "<?xml version=\"1.0\"?><Error><Code>ContainerNotFound</Code><Message>The specified container does not exist.\nRequestId:f6d6\nTime:2026-12-03T21:47:34.955Z</Message></Error>";
        assert_eq!(
            tidy(azure.to_string()),
            "ContainerNotFound: The specified container does not exist."
        );
    }
}
