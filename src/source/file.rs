//! Local files through positional reads (`pread`), never mmap.

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;
use std::sync::Arc;

use super::descriptors::FileHandle;
use super::{io_error, OpenError, Source};

/// A regular file read with `pread`. The length is taken at open time, so a
/// reader sees a consistent snapshot even while a writer appends. Clones
/// share the open file. A file opened by path may be closed by the
/// descriptor pool when too many are open, and is reopened on its next read.
#[derive(Clone)]
pub struct FileSource {
    handle: Arc<FileHandle>,
    len: u64,
    /// Device and inode: a path that now names another file was rotated.
    identity: (u64, u64),
}

impl FileSource {
    /// Opens a regular file; refuses fifos, devices and sockets because they
    /// cannot be read at an offset (`open_file` spools pipes and devices).
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        let file = File::open(path).map_err(|e| io_error(path, &e))?;
        let meta = file.metadata().map_err(|e| io_error(path, &e))?;
        if !meta.is_file() {
            return Err(OpenError::Special {
                path: path.display().to_string(),
                kind: kind_of(&meta.file_type()),
            });
        }
        let identity = (meta.dev(), meta.ino());
        Ok(Self {
            handle: FileHandle::pooled(path, file, identity),
            len: meta.len(),
            identity,
        })
    }

    /// A source over an already open regular file (one without a path to
    /// reopen, such as an unlinked spool: it stays open).
    pub fn from_file(file: File) -> io::Result<Self> {
        let meta = file.metadata()?;
        let identity = (meta.dev(), meta.ino());
        Ok(Self {
            handle: FileHandle::pinned(file, identity),
            len: meta.len(),
            identity,
        })
    }

    /// Device and inode of the open file.
    pub fn identity(&self) -> (u64, u64) {
        self.identity
    }

    /// The file's length now (it may have grown or shrunk since the
    /// snapshot). A file that its path no longer names, and that the pool
    /// had closed, is not growing that anyone could see: its snapshot
    /// length is returned.
    pub fn current_len(&self) -> io::Result<u64> {
        Ok(self.handle.current_len()?.unwrap_or(self.len))
    }

    /// The same open file with another length snapshot.
    pub fn with_len(&self, len: u64) -> FileSource {
        FileSource {
            handle: self.handle.clone(),
            len,
            identity: self.identity,
        }
    }
}

impl Source for FileSource {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if offset >= self.len {
            return Ok(0);
        }
        // Never read past the snapshot length: bytes appended after open belong
        // to a later refresh, and a file truncated meanwhile simply reads short.
        let room = (self.len - offset).min(buf.len() as u64) as usize;
        self.handle.file()?.read_at(&mut buf[..room], offset)
    }
}

/// An in-memory source, for tests and for small generated inputs.
pub struct MemSource(pub Vec<u8>);

impl Source for MemSource {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let start = (offset as usize).min(self.0.len());
        let n = buf.len().min(self.0.len() - start);
        buf[..n].copy_from_slice(&self.0[start..start + n]);
        Ok(n)
    }
}

/// What a path that is not a regular file is, for messages.
pub(crate) fn kind_of(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        "a folder"
    } else if kind.is_fifo() {
        "a pipe"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}
