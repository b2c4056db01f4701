//! Following growing sources in print mode (`--print -f`): `tail -f` for the
//! merged stream.
//!
//! Each round merges what the sources hold beyond the cursor of the round
//! before — complete lines only, unless a writer has been idle for a grace
//! period — prints it, and waits for a source to change. A file truncated in
//! place (copytruncate) is read again from its start; a path that now names
//! another file (rotation) is switched to once the old file is drained. Both
//! are announced on stderr. Memory does not grow with what went by.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::merge::{Cursor, Merge, MergeOptions};
use crate::print::{write_record, PrintOptions};
use crate::record::{RecordLayout, TimeOptions};
use crate::source::{FileSource, FollowTarget, OpenError, Source};

/// How often sources are checked for new bytes.
pub const POLL: Duration = Duration::from_millis(50);

/// How long a last line without newline waits for the rest of it.
pub const GRACE: Duration = Duration::from_millis(500);

/// One followed file.
struct Followed {
    /// `None` for stdin: no path to check for truncation or rotation.
    path: Option<PathBuf>,
    label: String,
    file: FileSource,
    /// Bytes already merged.
    cursor: u64,
    /// Length at the last look, and when it last changed.
    seen: u64,
    changed: Instant,
}

impl Followed {
    /// How far this round may merge: up to the last newline, or everything
    /// once the writer has been quiet for [`GRACE`].
    fn mergeable(&self) -> io::Result<u64> {
        let len = self.file.current_len()?;
        if self.changed.elapsed() >= GRACE {
            return Ok(len);
        }
        let tail_start = len.saturating_sub(64 * 1024).max(self.cursor);
        let mut tail = vec![0u8; (len - tail_start) as usize];
        // The open file's snapshot is old: read through one of the current length.
        let got = self
            .file
            .with_len(len)
            .read_full_at(tail_start, &mut tail)?;
        Ok(match memchr::memrchr(b'\n', &tail[..got]) {
            Some(i) => tail_start + i as u64 + 1,
            // No newline in the tail: an unfinished (maybe long) line.
            None => self.cursor,
        })
    }
}

/// Prints the merge of `paths` and then everything they gain, until the
/// output closes or an error occurs.
pub fn follow_print(
    targets: Vec<(FollowTarget, String)>,
    time: &TimeOptions,
    merge_options: MergeOptions,
    options: &PrintOptions,
    out: impl Write,
) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(256 * 1024, out);
    let now = Instant::now();
    let mut followed = Vec::new();
    for (target, label) in targets {
        let file = target.file;
        let seen = file.len();
        followed.push(Followed {
            path: target.path,
            label,
            file,
            cursor: 0,
            seen,
            changed: now - GRACE,
        });
    }
    let want_levels = options.filter.is_some();
    loop {
        print_round(
            &mut followed,
            time,
            merge_options,
            options,
            want_levels,
            &mut out,
        )?;
        out.flush()?;
        wait_for_change(&mut followed)?;
    }
}

fn into_io(e: OpenError) -> io::Error {
    io::Error::other(e.to_string())
}

fn print_round(
    followed: &mut [Followed],
    time: &TimeOptions,
    merge_options: MergeOptions,
    options: &PrintOptions,
    want_levels: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut layouts = Vec::with_capacity(followed.len());
    for f in followed.iter() {
        let upto = f.mergeable()?.max(f.cursor);
        let source: Arc<dyn Source> = Arc::new(f.file.with_len(upto));
        layouts.push(RecordLayout::open(source, time, want_levels)?);
    }
    let mut merge = Merge::new(layouts, merge_options);
    merge.set_predicate(options.filter.clone());
    merge.seek(&Cursor(followed.iter().map(|f| f.cursor).collect()));
    let labelled = PrintOptions {
        tags: options
            .tags
            .as_ref()
            .map(|_| followed.iter().map(|f| f.label.clone()).collect()),
        ..options.clone()
    };
    while let Some(record) = merge.next_record()? {
        write_record(&mut merge, &record, &labelled, out)?;
    }
    for (f, pos) in followed.iter_mut().zip(merge.cursor().0) {
        f.cursor = pos;
    }
    Ok(())
}

/// Sleeps until some source grew, was truncated or rotated, or a held-back
/// partial line has waited long enough.
fn wait_for_change(followed: &mut [Followed]) -> io::Result<()> {
    loop {
        std::thread::sleep(POLL);
        let mut changed = false;
        for f in followed.iter_mut() {
            let len = f.file.current_len()?;
            // stdin has no path: it only grows.
            if let (true, Some(path)) = (len < f.cursor, &f.path) {
                eprintln!(
                    "logweave: {} was truncated; reading it from the start",
                    path.display()
                );
                f.file = FileSource::open(path).map_err(into_io)?;
                f.cursor = 0;
                f.seen = 0;
                f.changed = Instant::now();
                changed = true;
                continue;
            }
            if len != f.seen {
                f.seen = len;
                f.changed = Instant::now();
                changed = true;
            } else if len > f.cursor && f.changed.elapsed() >= GRACE {
                // A partial last line whose writer went quiet: show it.
                changed = true;
            }
            if let (true, Some(path)) = (len == f.cursor, &f.path) {
                // Drained: if the path now names another file, move to it.
                if let Ok(fresh) = FileSource::open(path) {
                    if fresh.identity() != f.file.identity() {
                        eprintln!(
                            "logweave: {} was rotated; following the new file",
                            path.display()
                        );
                        f.seen = fresh.len();
                        f.file = fresh;
                        f.cursor = 0;
                        f.changed = Instant::now();
                        changed = true;
                    }
                }
            }
        }
        if changed {
            return Ok(());
        }
    }
}
