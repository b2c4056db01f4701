//! Sources: random-access bytes with a length.
//!
//! Everything above this layer sees a log as `len()` + `read_at()`. Nothing ever
//! reads a whole source: readers keep one block each and ask for the bytes they
//! need. Local files use positional reads rather than mmap, because a log that
//! is truncated under an mmap kills the process with SIGBUS.

mod file;
pub mod spool;
pub mod watch;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use file::{FileSource, MemSource};

/// Random-access bytes. Implementations must be cheap to call with small
/// buffers (a reader asks for one block at a time) and safe to share between
/// threads, since a merge and a planner may read the same source at once.
pub trait Source: Send + Sync {
    /// Number of bytes currently readable.
    fn len(&self) -> u64;

    /// `true` when the source holds no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads up to `buf.len()` bytes at `offset`; returns how many were read.
    /// Fewer bytes than asked for means end of source (or a short read, which
    /// callers retry by calling again).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;

    /// Reads exactly `buf.len()` bytes at `offset` unless the source ends first;
    /// returns how many bytes were read.
    fn read_full_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.read_at(offset + filled as u64, &mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(filled)
    }
}

/// A source as the rest of the program knows it: the bytes plus how to name it.
pub struct SourceEntry {
    /// Where it came from, as the user wrote it (or as discovery found it).
    pub path: PathBuf,
    /// Short human label used by `--tag` and on screen (e.g. `attempt=1.log`).
    pub label: String,
    /// The bytes.
    pub source: Arc<dyn Source>,
    /// What follow mode watches: the open file, and the path to check for
    /// truncation and rotation (`None` for stdin, which has no path).
    pub follow: Option<FollowTarget>,
}

/// A file that follow mode can watch for growth.
#[derive(Clone)]
pub struct FollowTarget {
    pub path: Option<PathBuf>,
    pub file: FileSource,
}

/// Why a user-given source could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The OS refused (missing file, permissions, …).
    #[error("cannot open '{path}': {message}")]
    Io { path: String, message: String },
    /// Something that is neither a regular file nor a directory.
    #[error("cannot open '{path}': not a regular file")]
    Special { path: String },
    /// A directory without any regular file inside.
    #[error("cannot open '{path}': directory holds no files")]
    EmptyDir { path: String },
}

impl OpenError {
    /// The path as the user gave it.
    pub fn path(&self) -> &str {
        match self {
            OpenError::Io { path, .. }
            | OpenError::Special { path }
            | OpenError::EmptyDir { path } => path,
        }
    }

    /// Why it failed, without the path.
    pub fn reason(&self) -> String {
        match self {
            OpenError::Io { message, .. } => message.clone(),
            OpenError::Special { .. } => "not a regular file".into(),
            OpenError::EmptyDir { .. } => "directory holds no files".into(),
        }
    }
}

/// Short tags for labels, shown before each line on screen: `trigger.42` for
/// a triggerer sub-log, the folder for a file in one (`remote`), `local` for
/// a worker's `attempt=N.log`, else the file name. Falls back to file names
/// (then numbers) when tags would repeat.
pub fn short_tags(labels: &[String]) -> Vec<String> {
    const MAX: usize = 12;
    let guess = |label: &str| -> String {
        let name = label.rsplit('/').next().unwrap_or(label);
        if let Some(rest) = name.split(".trigger.").nth(1) {
            return format!("trigger.{}", rest.trim_end_matches(".log"));
        }
        if let Some((dir, _)) = label
            .split_once('/')
            .filter(|(dir, _)| !dir.is_empty() && !label.starts_with('.'))
        {
            return dir.to_string();
        }
        if name.starts_with("attempt=") && name.ends_with(".log") {
            return "local".into();
        }
        name.trim_end_matches(".log").to_string()
    };
    let clip = |s: String| -> String { s.chars().take(MAX).collect() };
    let mut tags: Vec<String> = labels.iter().map(|l| clip(guess(l))).collect();
    let unique = |tags: &[String]| {
        let mut sorted = tags.to_vec();
        sorted.sort();
        sorted.windows(2).all(|w| w[0] != w[1])
    };
    if !unique(&tags) {
        tags = labels
            .iter()
            .map(|l| {
                clip(
                    l.rsplit('/')
                        .next()
                        .unwrap_or(l)
                        .trim_end_matches(".log")
                        .to_string(),
                )
            })
            .collect();
    }
    if !unique(&tags) {
        tags = (1..=labels.len()).map(|i| format!("src{i}")).collect();
    }
    tags
}

/// Opens every argument: files as they are, directories as every regular file
/// inside (recursively), ordered by path. Returns the sources that opened and
/// one error per argument (or file) that did not; the caller decides whether
/// the failures are fatal.
pub fn open_all(args: &[PathBuf]) -> (Vec<SourceEntry>, Vec<OpenError>) {
    let mut opened = Vec::new();
    let mut errors = Vec::new();
    for arg in args {
        let meta = match std::fs::metadata(arg) {
            Ok(meta) => meta,
            Err(e) => {
                errors.push(io_error(arg, &e));
                continue;
            }
        };
        if meta.is_dir() {
            let mut files = Vec::new();
            collect_files(arg, &mut files, &mut errors);
            files.sort();
            if files.is_empty() {
                errors.push(OpenError::EmptyDir {
                    path: arg.display().to_string(),
                });
            }
            for file in files {
                let label = file
                    .strip_prefix(arg)
                    .unwrap_or(&file)
                    .display()
                    .to_string();
                match open_file(&file, label) {
                    Ok(entry) => opened.push(entry),
                    Err(e) => errors.push(e),
                }
            }
        } else {
            let label = arg
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| arg.display().to_string());
            match open_file(arg, label) {
                Ok(entry) => opened.push(entry),
                Err(e) => errors.push(e),
            }
        }
    }
    (opened, errors)
}

fn open_file(path: &Path, label: String) -> Result<SourceEntry, OpenError> {
    let source = FileSource::open(path)?;
    let follow = FollowTarget {
        path: Some(path.to_path_buf()),
        file: source.with_len(source.len()),
    };
    Ok(SourceEntry {
        path: path.to_path_buf(),
        label,
        source: Arc::new(source),
        follow: Some(follow),
    })
}

/// Every regular file under `dir` (recursively, hidden ones skipped), by
/// path, without opening any.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    collect_files(dir, &mut files, &mut Vec::new());
    files.sort();
    files
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<OpenError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(io_error(dir, &e));
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                errors.push(io_error(dir, &e));
                continue;
            }
        };
        let path = entry.path();
        // Hidden files (editor swap files, markers) are not logs.
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        // Follow symlinks: an attempt folder may link to a shared volume.
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => collect_files(&path, files, errors),
            Ok(meta) if meta.is_file() => files.push(path),
            Ok(_) => {} // sockets, fifos inside a folder are not logs: skip quietly
            Err(e) => errors.push(io_error(&path, &e)),
        }
    }
}

pub(crate) fn io_error(path: &Path, e: &io::Error) -> OpenError {
    OpenError::Io {
        path: path.display().to_string(),
        message: describe_io_error(e),
    }
}

/// `std::io::Error`'s Display appends "(os error 2)"; users expect the plain
/// strerror text that `cat` prints.
pub fn describe_io_error(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}
