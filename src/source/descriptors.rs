//! Open file descriptors as a bounded, shared resource.
//!
//! A folder of 5,000 logs is 5,000 sources, but a process may hold only so
//! many descriptors (often 1,024). Files opened by path are therefore kept
//! in a least-recently-used pool: beyond its limit the files read longest ago
//! are closed, and reopened by path on their next read — after checking that
//! the path still names the same file (device and inode), so a rotated or
//! replaced file is reported rather than silently read in its place.
//!
//! While a source count stays under the limit (the usual case) every file
//! stays open and nothing here costs more than an uncontended lock per read.

use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

/// Descriptors left to everything else (stdio, sockets, spools, inotify,
/// the runtimes' own) when sizing the pool from the process limit.
const RESERVED: u64 = 64;

/// The pool never goes below this many files, however low the limit.
const MIN_POOL: usize = 16;

/// Raises the soft limit on open files to the hard limit, as `less`, `rg`
/// and most servers do, and returns the soft limit now in force. Failing to
/// raise it is not an error: the pool sizes itself from what is allowed.
pub fn raise_open_file_limit() -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current < limit.maximum {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            limit = raised;
        }
    }
    limit.current.unwrap_or(u64::MAX)
}

/// How many path-backed files may be open at once: most of what the process
/// limit allows, read when the pool is first used.
fn pool_limit() -> usize {
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    let usable = soft.saturating_sub(RESERVED).min(soft - soft / 4);
    usize::try_from(usable).unwrap_or(usize::MAX).max(MIN_POOL)
}

/// The handles of path-backed files that are open now.
struct Pool {
    limit: usize,
    open: Mutex<Vec<Weak<FileHandle>>>,
    /// Increases with every open: a handle's `last_used` (the clock at its
    /// latest read) orders eviction.
    clock: AtomicU64,
    reopened: AtomicU64,
}

/// The pool of the process's files.
fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool::new(pool_limit()))
}

impl Pool {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            open: Mutex::new(Vec::new()),
            clock: AtomicU64::new(0),
            reopened: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Weak<FileHandle>>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts `handle` as open, closing the files used longest ago when the
    /// pool is over its limit.
    fn admit(&self, handle: &Arc<FileHandle>) {
        let now = self.clock.fetch_add(1, Ordering::Relaxed) + 1;
        handle.last_used.store(now, Ordering::Relaxed);
        let mut open = self.lock();
        open.push(Arc::downgrade(handle));
        if open.len() <= self.limit {
            return;
        }
        open.retain(|weak| weak.strong_count() > 0);
        if open.len() <= self.limit {
            return;
        }
        // Close a quarter at once, so that a merge walking many files pays
        // for sorting once per many opens, not once per open.
        let mut by_age: Vec<(u64, Arc<FileHandle>)> = open
            .iter()
            .filter_map(Weak::upgrade)
            .map(|h| (h.last_used.load(Ordering::Relaxed), h))
            .collect();
        by_age.sort_unstable_by_key(|(used, _)| *used);
        let excess = open.len() - self.limit * 3 / 4;
        let mut closed = 0;
        for (_, old) in &by_age {
            if closed == excess {
                break;
            }
            if Arc::ptr_eq(old, handle) {
                continue;
            }
            old.close();
            closed += 1;
        }
        open.retain(|weak| weak.upgrade().is_some_and(|h| h.is_open()));
    }
}

/// How often files were reopened after the pool closed them (for tests and
/// benchmarks: zero while sources fit under the limit).
pub fn reopen_count() -> u64 {
    pool().reopened.load(Ordering::Relaxed)
}

/// One local file: open now, or closed by the pool and reopened on demand.
pub(super) struct FileHandle {
    pool: &'static Pool,
    /// `None` for a file that cannot be reopened (an unlinked spool): it is
    /// never closed by the pool.
    path: Option<PathBuf>,
    /// Device and inode, checked on every reopen.
    identity: (u64, u64),
    file: Mutex<Option<Arc<File>>>,
    last_used: AtomicU64,
}

impl FileHandle {
    /// A handle over a file opened from `path`, counted in the pool.
    pub(super) fn pooled(path: &Path, file: File, identity: (u64, u64)) -> Arc<Self> {
        Self::pooled_in(pool(), path, file, identity)
    }

    fn pooled_in(pool: &'static Pool, path: &Path, file: File, identity: (u64, u64)) -> Arc<Self> {
        let handle = Arc::new(Self {
            pool,
            path: Some(path.to_path_buf()),
            identity,
            file: Mutex::new(Some(Arc::new(file))),
            last_used: AtomicU64::new(0),
        });
        pool.admit(&handle);
        handle
    }

    /// A handle that is never closed (the file has no path to reopen).
    pub(super) fn pinned(file: File, identity: (u64, u64)) -> Arc<Self> {
        Arc::new(Self {
            pool: pool(),
            path: None,
            identity,
            file: Mutex::new(Some(Arc::new(file))),
            last_used: AtomicU64::new(0),
        })
    }

    fn slot(&self) -> MutexGuard<'_, Option<Arc<File>>> {
        self.file.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_open(&self) -> bool {
        self.slot().is_some()
    }

    /// Closes the file once no read is using it (reads hold their own `Arc`).
    fn close(&self) {
        if self.path.is_some() {
            self.slot().take();
        }
    }

    /// The open file, reopened by path if the pool had closed it.
    pub(super) fn file(self: &Arc<Self>) -> io::Result<Arc<File>> {
        if self.path.is_some() {
            // The clock moves on each open, not each read: reads from
            // every thread then touch no shared counter, and recency is
            // still exact to within the files opened since.
            let now = self.pool.clock.load(Ordering::Relaxed);
            if self.last_used.load(Ordering::Relaxed) != now {
                self.last_used.store(now, Ordering::Relaxed);
            }
        }
        if let Some(file) = self.slot().as_ref() {
            return Ok(file.clone());
        }
        let Some(path) = &self.path else {
            return Err(io::Error::other("file closed"));
        };
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if (meta.dev(), meta.ino()) != self.identity {
            return Err(io::Error::other(format!(
                "{} was replaced while logweave had it closed (more sources \
                 than open files allowed); open it again",
                path.display()
            )));
        }
        let file = Arc::new(file);
        {
            let mut slot = self.slot();
            if let Some(raced) = slot.as_ref() {
                // Another reader reopened it first: use that one.
                return Ok(raced.clone());
            }
            *slot = Some(file.clone());
        }
        self.pool.reopened.fetch_add(1, Ordering::Relaxed);
        self.pool.admit(self);
        Ok(file)
    }

    /// The file's length now, without reopening a closed file: its path is
    /// asked instead, while it still names the same file. `None` when it no
    /// longer does (the file was rotated away while closed).
    pub(super) fn current_len(&self) -> io::Result<Option<u64>> {
        let open = self.slot().clone();
        match (open, &self.path) {
            (Some(file), _) => Ok(Some(file.metadata()?.len())),
            (None, Some(path)) => {
                let meta = std::fs::metadata(path)?;
                Ok(((meta.dev(), meta.ino()) == self.identity).then_some(meta.len()))
            }
            (None, None) => Err(io::Error::other("file closed")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileExt;

    fn open_in(pool: &'static Pool, path: &Path) -> Arc<FileHandle> {
        let file = File::open(path).expect("open");
        let meta = file.metadata().expect("stat");
        FileHandle::pooled_in(pool, path, file, (meta.dev(), meta.ino()))
    }

    fn read_all(handle: &Arc<FileHandle>) -> io::Result<String> {
        let mut buf = [0u8; 64];
        let n = handle.file()?.read_at(&mut buf, 0)?;
        Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
    }

    #[test]
    fn more_files_than_the_limit_stay_readable_and_at_most_the_limit_stay_open() {
        let pool: &'static Pool = Box::leak(Box::new(Pool::new(4)));
        let dir = tempfile::tempdir().expect("tempdir");
        let handles: Vec<_> = (0..20)
            .map(|i| {
                let path = dir.path().join(format!("{i}.log"));
                std::fs::write(&path, format!("file {i}")).expect("write");
                open_in(pool, &path)
            })
            .collect();
        for round in 0..3 {
            for (i, handle) in handles.iter().enumerate() {
                assert_eq!(read_all(handle).expect("read"), format!("file {i}"));
                let open = handles.iter().filter(|h| h.is_open()).count();
                assert!(open <= 4, "round {round}: {open} files open");
            }
        }
        assert!(pool.reopened.load(Ordering::Relaxed) >= 40);
    }

    #[test]
    fn a_file_replaced_while_closed_is_an_error_not_another_file() {
        let pool: &'static Pool = Box::leak(Box::new(Pool::new(1)));
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b) = (dir.path().join("a.log"), dir.path().join("b.log"));
        std::fs::write(&a, "old a").expect("write");
        std::fs::write(&b, "b").expect("write");
        let first = open_in(pool, &a);
        let _second = open_in(pool, &b); // closes `a`
        assert!(!first.is_open());
        // Rotated: the path now names a new file.
        std::fs::rename(&a, dir.path().join("a.log.1")).expect("rename");
        std::fs::write(&a, "new a").expect("write");
        let err = read_all(&first).expect_err("must not read the new file");
        assert!(err.to_string().contains("was replaced"), "{err}");
        // Its length is not the new file's either.
        assert_eq!(first.current_len().expect("len"), None);
    }

    #[test]
    fn the_limit_is_raised_to_what_the_hard_limit_allows() {
        let soft = raise_open_file_limit();
        let now = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        assert_eq!(now.current.unwrap_or(u64::MAX), soft);
        assert_eq!(now.current, now.maximum);
    }
}
