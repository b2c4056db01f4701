//! Opening remote sources: a URL given on the command line, the objects
//! under a prefix, an HTTP file (ranged, or spooled without range support).

use std::path::PathBuf;
use std::sync::Arc;

use super::*;

/// `true` for an argument that names a remote source rather than a path.
pub fn is_url(arg: &str) -> bool {
    arg.starts_with("http://") || arg.starts_with("https://") || object::is_object_url(arg)
}

/// Opens a URL given as a source: `http(s)://` as one file, an object URL
/// as one object or, when no object has that name, every object under it.
pub fn open_url(url: &str) -> (Vec<SourceEntry>, Vec<OpenError>) {
    let shown = redact(url);
    let failed = |e: RemoteError| OpenError::Remote {
        path: shown.clone(),
        problem: e.problem(),
    };
    if !object::is_object_url(url) {
        let backend = http::HttpBackend::new(url);
        return match open_http(backend, shown.clone(), None) {
            Ok(entry) => (vec![entry], Vec::new()),
            Err(e) => (Vec::new(), vec![failed(e)]),
        };
    }
    let (bucket, path) = match object::Bucket::for_url(url) {
        Ok(found) => found,
        Err(e) => return (Vec::new(), vec![failed(e)]),
    };
    let single = if url.ends_with('/') || path.as_ref().is_empty() {
        Err(RemoteError::NotFound)
    } else {
        open_ranged(Arc::new(bucket.object(path.clone())), shown.clone(), None)
    };
    match single {
        Ok(entry) => (vec![entry], Vec::new()),
        Err(RemoteError::NotFound) => {
            let prefix = match path.as_ref() {
                "" => String::new(),
                p => format!("{p}/"),
            };
            let listed = match bucket.list(&prefix) {
                Ok(listed) if listed.is_empty() => Err(RemoteError::Other(
                    "no object with that name or under it".into(),
                )),
                other => other,
            };
            match listed {
                Ok(objects) => open_objects(&bucket, objects, |_| None),
                Err(e) => (Vec::new(), vec![failed(e)]),
            }
        }
        Err(e) => (Vec::new(), vec![failed(e)]),
    }
}

/// Opens listed objects of a bucket, tagged by `tag_of`.
pub fn open_objects(
    bucket: &object::Bucket,
    objects: Vec<(object_store::path::Path, u64)>,
    tag_of: impl Fn(&str) -> Option<String>,
) -> (Vec<SourceEntry>, Vec<OpenError>) {
    let (mut opened, mut errors) = (Vec::new(), Vec::new());
    for (path, len) in objects {
        let shown = bucket.url_of(&path);
        let tag = tag_of(path.as_ref());
        let backend = Arc::new(bucket.object(path));
        let stat = Stat { len, version: None };
        match open_with_stat(backend, stat, shown.clone(), tag, Bytes::new()) {
            Ok(entry) => opened.push(entry),
            Err(e) => errors.push(OpenError::Remote {
                path: shown,
                problem: e.problem(),
            }),
        }
    }
    (opened, errors)
}

/// Opens an HTTP(S) URL: ranged when the server allows, else spooled.
pub fn open_http(
    backend: http::HttpBackend,
    label: String,
    tag: Option<String>,
) -> Result<SourceEntry, RemoteError> {
    let health = Arc::new(Health::default());
    // The first block comes with the size: reading starts without another
    // round trip (50 ms to a bucket elsewhere).
    let probe = with_retries(&health, backend.location(), || backend.probe(BLOCK))?;
    match probe {
        http::Probe::Ranged(stat, head) => {
            open_with_stat(Arc::new(backend), stat, label, tag, head)
        }
        http::Probe::Whole(body) => {
            let path = PathBuf::from(backend.location());
            let mut body = std::io::BufReader::with_capacity(256 * 1024, body);
            let head = std::io::BufRead::fill_buf(&mut body)
                .map_err(|e| RemoteError::Other(describe_io_error(&e)))?
                .to_vec();
            let spool = match compressed::Compression::sniff(&MemSource(head)) {
                Ok(Some(compressed::Compression::Gzip)) => spool::Spool::start(
                    path,
                    label,
                    "download",
                    flate2::bufread::MultiGzDecoder::new(body),
                ),
                Ok(Some(compressed::Compression::Zstd)) => {
                    zstd::stream::read::Decoder::with_buffer(body)
                        .and_then(|d| spool::Spool::start(path, label, "download", d))
                }
                _ => spool::Spool::start(path, label, "download", body),
            }
            .map_err(|e| RemoteError::Other(describe_io_error(&e)))?;
            let mut entry =
                spooled(spool).map_err(|e| RemoteError::Other(describe_io_error(&e)))?;
            entry.tag = tag;
            entry.read_once =
                Some("the server sends the whole file, not ranges of it: read once, not followed");
            Ok(entry)
        }
    }
}

/// Opens a ranged backend, asking for its size first.
pub fn open_ranged(
    backend: Arc<dyn RangeBackend>,
    label: String,
    tag: Option<String>,
) -> Result<SourceEntry, RemoteError> {
    let health = Arc::new(Health::default());
    let stat = with_retries(&health, backend.location(), || backend.stat())?;
    open_with_stat(backend, stat, label, tag, Bytes::new())
}

/// Opens an object of known length; `head` is its first block when the
/// size probe brought it, else empty.
fn open_with_stat(
    backend: Arc<dyn RangeBackend>,
    stat: Stat,
    label: String,
    tag: Option<String>,
    head: Bytes,
) -> Result<SourceEntry, RemoteError> {
    let health = Arc::new(Health::default());
    let path = PathBuf::from(backend.location());
    let remote = RemoteSource::with_stat(backend, stat, health.clone());
    remote.seed_first_block(head);
    let source = Arc::new(remote.clone());
    let compression = compressed::Compression::sniff(source.as_ref())
        .map_err(|e| RemoteError::Other(describe_io_error(&e)))?;
    if let Some(compression) = compression {
        let spool = compressed::decompress(&path, label, source, compression)
            .map_err(|e| RemoteError::Other(describe_io_error(&e)))?;
        let mut entry = spooled(spool).map_err(|e| RemoteError::Other(describe_io_error(&e)))?;
        entry.tag = tag;
        return Ok(entry);
    }
    Ok(SourceEntry {
        path,
        label,
        tag,
        source,
        // Follow mode asks the server for the length now and then.
        follow: Some(FollowTarget {
            path: None,
            file: Growable::Remote(remote),
        }),
        health: Some(health),
        filling: None,
        copy_of: None,
        read_once: None,
    })
}
