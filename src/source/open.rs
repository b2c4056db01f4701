//! Opening what the user names: files as they are, folders as every
//! regular file inside (recursively, following symlinks, each real file
//! once, loops skipped), compressed files through a spool.

use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{
    compressed, io_error, spool, FileSource, FollowTarget, Growable, OpenError, Source, SourceEntry,
};

/// Opens every argument: files as they are, directories as every regular file
/// inside (recursively, following symlinks), ordered by path. Each real file
/// (device and inode) is opened once however many paths lead to it, and a
/// directory symlink that leads back to a folder above it is skipped with an
/// [`OpenError::Loop`] notice. Returns the sources that opened and one error
/// per argument (or file) that did not; the caller decides whether the
/// failures are fatal.
pub fn open_all(args: &[PathBuf]) -> (Vec<SourceEntry>, Vec<OpenError>) {
    let mut opener = Opener::default();
    let mut opened = Vec::new();
    let mut errors = Vec::new();
    for arg in args {
        let (more, failed) = opener.open(arg);
        opened.extend(more);
        errors.extend(failed);
    }
    (opened, errors)
}

/// Opens paths one after another, remembering which files (device and
/// inode) it opened so that none is opened twice.
#[derive(Default)]
pub struct Opener {
    seen: std::collections::HashSet<(u64, u64)>,
}

impl Opener {
    /// Counts the local files among `entries` as opened already.
    pub fn knowing(entries: &[SourceEntry]) -> Self {
        let mut opener = Self::default();
        for entry in entries {
            if let Some(identity) = entry.follow.as_ref().and_then(|f| f.file.identity()) {
                opener.seen.insert(identity);
            }
        }
        opener
    }

    /// Opens a file, or every file in a folder (see [`open_all`]).
    pub fn open(&mut self, arg: &Path) -> (Vec<SourceEntry>, Vec<OpenError>) {
        let mut opened = Vec::new();
        let mut errors = Vec::new();
        let meta = match std::fs::metadata(arg) {
            Ok(meta) => meta,
            Err(e) => return (opened, vec![io_error(arg, &e)]),
        };
        if meta.is_dir() {
            let files = walk(arg, &mut errors);
            if files.is_empty() {
                errors.push(OpenError::EmptyDir {
                    path: arg.display().to_string(),
                });
            }
            for (file, identity) in files {
                if !self.seen.insert(identity) {
                    continue;
                }
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
            if meta.is_file() && !self.seen.insert((meta.dev(), meta.ino())) {
                return (opened, errors);
            }
            let label = arg
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| arg.display().to_string());
            match open_file(arg, label) {
                Ok(entry) => opened.push(entry),
                Err(e) => errors.push(e),
            }
        }
        (opened, errors)
    }
}

/// Opens a local file; a `.gz` or `.zst` one (by its magic bytes) starts
/// decompressing into a spool.
///
/// A pipe (`<(kubectl logs …)`, a named FIFO) or a character device is read
/// as a stream into a spool, like stdin: it cannot be read at an offset,
/// and what came through it cannot be read again. The spool's cap
/// (`--spool-max`) ends an endless one such as `/dev/zero`.
pub fn open_file(path: &Path, label: String) -> Result<SourceEntry, OpenError> {
    use std::os::unix::fs::FileTypeExt;
    let kind = std::fs::metadata(path)
        .map_err(|e| io_error(path, &e))?
        .file_type();
    if kind.is_fifo() || kind.is_char_device() {
        let what = if kind.is_fifo() { "pipe" } else { "device" };
        return std::fs::File::open(path)
            .and_then(|stream| spool::Spool::start(path.to_path_buf(), label, what, stream))
            .and_then(spooled)
            .map_err(|e| io_error(path, &e));
    }
    if !kind.is_file() {
        // A socket cannot even be opened (ENXIO): say what it is instead.
        return Err(OpenError::Special {
            path: path.display().to_string(),
            kind: super::file::kind_of(&kind),
        });
    }
    let source = FileSource::open(path)?;
    let compression = compressed::Compression::sniff(&source).map_err(|e| io_error(path, &e))?;
    if let Some(compression) = compression {
        return compressed::decompress(path, label, Arc::new(source), compression)
            .and_then(spooled)
            .map_err(|e| io_error(path, &e));
    }
    let follow = FollowTarget {
        path: Some(path.to_path_buf()),
        file: Growable::File(source.with_len(source.len())),
    };
    Ok(SourceEntry {
        path: path.to_path_buf(),
        label,
        tag: None,
        source: Arc::new(source),
        follow: Some(follow),
        health: None,
        filling: None,
        copy_of: None,
        read_once: None,
    })
}

/// The entry of a spool that has just started (empty until it fills).
pub fn spooled(spool: spool::Spool) -> io::Result<SourceEntry> {
    let mut entry = spool.entry()?;
    entry.filling = Some(spool);
    Ok(entry)
}

/// Every regular file under `dir` (recursively, hidden ones skipped), by
/// path, each real file once, without opening any.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    walk(dir, &mut Vec::new())
        .into_iter()
        .map(|(path, _)| path)
        .collect()
}

/// The regular files under `dir` with their device and inode, sorted by
/// path, each real file once (the first path by sort order names it).
/// Directory symlinks are followed — an attempt folder may link to a shared
/// volume — except into a folder the walk is already inside, which is
/// a loop.
fn walk(dir: &Path, errors: &mut Vec<OpenError>) -> Vec<(PathBuf, (u64, u64))> {
    let mut files = Vec::new();
    let mut ancestors = Vec::new();
    match std::fs::metadata(dir) {
        Ok(meta) => ancestors.push(((meta.dev(), meta.ino()), dir.to_path_buf())),
        Err(e) => {
            errors.push(io_error(dir, &e));
            return files;
        }
    }
    collect_files(dir, &mut ancestors, &mut files, errors);
    files.sort();
    let mut seen = std::collections::HashSet::new();
    files.retain(|(_, identity)| seen.insert(*identity));
    files
}

fn collect_files(
    dir: &Path,
    ancestors: &mut Vec<((u64, u64), PathBuf)>,
    files: &mut Vec<(PathBuf, (u64, u64))>,
    errors: &mut Vec<OpenError>,
) {
    let listed = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(io_error(dir, &e));
            return;
        }
    };
    let mut entries = Vec::new();
    for entry in listed {
        match entry {
            Ok(entry) => entries.push(entry),
            Err(e) => errors.push(io_error(dir, &e)),
        }
    }
    // In name order, so that messages come in the order of the merge.
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let path = entry.path();
        // Hidden files (editor swap files, markers) are not logs.
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => {
                let identity = (meta.dev(), meta.ino());
                if let Some((_, above)) = ancestors.iter().find(|(id, _)| *id == identity) {
                    errors.push(OpenError::Loop {
                        path: path.display().to_string(),
                        target: above.display().to_string(),
                    });
                    continue;
                }
                ancestors.push((identity, path.clone()));
                collect_files(&path, ancestors, files, errors);
                ancestors.pop();
            }
            Ok(meta) if meta.is_file() => files.push((path, (meta.dev(), meta.ino()))),
            Ok(_) => {} // sockets, fifos inside a folder are not logs: skip quietly
            Err(e) => errors.push(io_error(&path, &e)),
        }
    }
}
