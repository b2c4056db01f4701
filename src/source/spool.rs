//! stdin as a source: spooled to an unlinked temporary file as it arrives,
//! so it is random-access and scrollable while RAM stays flat
//! (`kubectl logs -f pod | logweave - worker.log`).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{FileSource, FollowTarget, Source, SourceEntry};

/// A running spool of stdin.
pub struct Spool {
    pub file: FileSource,
    writer: Option<JoinHandle<io::Result<()>>>,
}

impl Spool {
    /// Starts copying stdin into a temporary file in the background. The file
    /// is unlinked at once: only our handles keep it, so nothing is left
    /// behind however the process ends.
    pub fn stdin() -> io::Result<Spool> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path: PathBuf =
            std::env::temp_dir().join(format!("logweave-stdin-{}-{nanos}", std::process::id()));
        let mut writer = OpenOptions::new()
            .create_new(true)
            .write(true)
            .open(&path)?;
        let reader = File::open(&path);
        let _ = std::fs::remove_file(&path);
        let file = FileSource::from_file(reader?)?;
        let handle = std::thread::Builder::new()
            .name("stdin-spool".into())
            .spawn(move || {
                let mut stdin = io::stdin().lock();
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = match stdin.read(&mut buf) {
                        Ok(0) => return Ok(()),
                        Ok(n) => n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    };
                    writer.write_all(&buf[..n])?;
                }
            })?;
        Ok(Spool {
            file,
            writer: Some(handle),
        })
    }

    /// Waits for stdin to end (print mode without `-f` merges all of it).
    pub fn wait(&mut self) -> io::Result<()> {
        match self.writer.take() {
            Some(handle) => handle
                .join()
                .map_err(|_| io::Error::other("stdin reader failed"))?,
            None => Ok(()),
        }
    }

    /// The source as it stands now.
    pub fn entry(&self) -> io::Result<SourceEntry> {
        let now = self.file.with_len(self.file.current_len()?);
        Ok(SourceEntry {
            path: PathBuf::from("-"),
            label: "stdin".into(),
            source: Arc::new(now.with_len(now.len())) as Arc<dyn Source>,
            follow: Some(FollowTarget {
                path: None,
                file: now,
            }),
        })
    }
}
