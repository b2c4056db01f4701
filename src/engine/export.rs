//! Doing something with what was found: save a range of the stream to a
//! file (`s`), feed it to a command (`|`), copy it to the terminal's
//! clipboard (`y`), open the focused record's file in an editor (`v`).
//!
//! A range is written as `--print` writes it (original bytes, CRLF → LF),
//! streamed from a fork of the window's merge — same sources shown, same
//! filters — so memory stays flat whatever its size. Saving and piping run
//! on a thread of their own with progress in the status bar; unlike a
//! search, scrolling does not stop them, `Esc` does. A file is written
//! beside its target under a temporary name and renamed when whole, so a
//! failure or `Esc` never leaves half a file under the name asked for.

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::{count, Engine, Event};
use crate::merge::{Cursor, Merge};
use crate::print::{print_merged, print_range, PrintOptions};
use crate::problem::describe_io_error;
use crate::source::count_newlines;

/// The most a copy to the clipboard takes: terminals and tmux refuse or
/// cut longer OSC 52 payloads, and a clipboard is not a file.
pub const COPY_CAP: usize = 1024 * 1024;

/// The error a stopped save or pipe ends with.
const CANCELLED: &str = "cancelled";

/// Which records an action takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Range {
    /// The focused record (all its lines: a whole traceback).
    Focused,
    /// From the record marked with the letter to the focused record, both
    /// included, whichever comes first.
    FromMark(char),
    /// The whole stream as shown: filters, level and hidden sources apply.
    All,
}

impl Range {
    fn describe(self) -> String {
        match self {
            Range::Focused => "the focused record".into(),
            Range::FromMark(letter) => format!("mark '{letter}' to the focused record"),
            Range::All => "the stream as shown".into(),
        }
    }
}

/// A writer handed to the engine (a command's stdin). Shared so that a
/// [`Command`](super::Command) stays cloneable; the job that writes takes it.
#[derive(Clone)]
pub struct Sink(Arc<Mutex<Option<Box<dyn Write + Send>>>>);

impl Sink {
    pub fn new(writer: impl Write + Send + 'static) -> Self {
        Self(Arc::new(Mutex::new(Some(Box::new(writer)))))
    }

    fn take(&self) -> Option<Box<dyn Write + Send>> {
        self.0.lock().ok()?.take()
    }
}

impl PartialEq for Sink {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sink")
    }
}

/// Where a range goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Destination {
    /// A file; an existing one only with `overwrite` (the view asked).
    File { path: PathBuf, overwrite: bool },
    /// A command's stdin; closed when the range is written.
    Pipe(Sink),
}

/// Something the view must do once. Frames are latest-wins, so the engine
/// keeps the last effect in every frame and the view acts on a new `id`.
#[derive(Clone, Debug, PartialEq)]
pub struct Effect {
    pub id: u64,
    pub kind: EffectKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum EffectKind {
    /// Put `text` (log bytes: the view makes them terminal-safe) on the
    /// clipboard with OSC 52, and say `summary`.
    Copy { text: Vec<u8>, summary: String },
    /// Open `path` at `line` (1-based) in the user's editor.
    Edit { path: PathBuf, line: u64 },
    /// Show a record's fields (`P`).
    Fields(Arc<super::inspect::RecordView>),
}

/// A save or a pipe being written.
pub(super) struct Export {
    pub id: u64,
    stop: Arc<AtomicBool>,
    written: Arc<AtomicU64>,
    /// Bytes the range spans in the sources: the output is about as long
    /// without filters.
    span: u64,
    filtered: bool,
    /// What it does, and what it did: `saving … to x.log`, `saved …`.
    what: String,
    did: String,
    thread: Option<JoinHandle<()>>,
    to_file: bool,
}

/// How a save or pipe ended.
pub struct ExportDone {
    pub id: u64,
    /// Records and bytes written.
    pub result: io::Result<(u64, u64)>,
}

impl Export {
    /// The status bar's text while it runs.
    pub fn busy(&self) -> String {
        let written = self.written.load(Ordering::Relaxed);
        // Without filters the output is about as long as the range it reads.
        let share = if self.filtered || self.span == 0 {
            String::new()
        } else {
            let percent = (written * 100 / self.span).min(99) as usize;
            let filled = percent / 10;
            format!(
                "{}{} {percent}% ",
                "█".repeat(filled),
                "░".repeat(10 - filled)
            )
        };
        format!("{}… {share}{} (Esc cancels)", self.what, size(written))
    }

    /// Stops it: the writer fails its next write and removes the file it
    /// was writing. Not waited for: it may be waiting on a slow source.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Stops it and gives the writer up to `patience` to remove its file
    /// (the process is about to end, which would leave it).
    pub fn stop_and_wait(mut self, patience: std::time::Duration) {
        self.stop();
        let deadline = std::time::Instant::now() + patience;
        if let Some(thread) = self.thread.take() {
            while !thread.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
    }
}

/// A byte count for people: `812 B`, `4.2 KB`, `1.3 GB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = "B";
    for u in UNITS {
        if value < 1000.0 {
            break;
        }
        value /= 1000.0;
        unit = u;
    }
    format!("{value:.1} {unit}")
}

/// Counts what goes through and fails once told to stop.
struct Counting<W> {
    inner: W,
    written: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    cap: Option<u64>,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.stop.load(Ordering::Relaxed) {
            // Not `Interrupted`: `write_all` would retry that forever.
            return Err(io::Error::other(CANCELLED));
        }
        let total = self.written.load(Ordering::Relaxed) + buf.len() as u64;
        if self.cap.is_some_and(|cap| total > cap) {
            return Err(io::Error::new(io::ErrorKind::FileTooLarge, "over the cap"));
        }
        let n = self.inner.write(buf)?;
        self.written.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl Engine {
    /// Where `range` starts, and the cursor that ends it (`None`: the end
    /// of the stream). A message for the user when it cannot be had.
    fn resolve(&self, range: Range) -> Result<(Cursor, Option<Cursor>), String> {
        let focused = || self.focused_record();
        let through = |cursor: &Cursor, record: crate::merge::MergedRecord| {
            let mut end = cursor.clone();
            end.0[record.source] = record.record.after();
            end
        };
        match range {
            Range::All => Ok((Cursor::start(self.window.merge().source_count()), None)),
            Range::Focused => {
                let (cursor, record) = focused().ok_or("nothing on screen")?;
                let end = through(&cursor, record);
                Ok((cursor, Some(end)))
            }
            Range::FromMark(letter) => {
                let (mark, marked) = self
                    .marks
                    .get(letter)
                    .ok_or_else(|| format!("no mark '{letter}' (m{letter} sets it)"))?;
                let (cursor, record) = focused().ok_or("nothing on screen")?;
                if marked.key() <= record.key() {
                    Ok((mark.clone(), Some(through(&cursor, record))))
                } else {
                    Ok((cursor, Some(through(mark, marked))))
                }
            }
        }
    }

    /// A fork of the window's merge for writing `range` out, with print
    /// options (tags as shown when `tags`).
    fn writer_setup(&self, tags: bool) -> (Merge, PrintOptions) {
        let options = PrintOptions {
            tags: tags.then(|| self.sources.iter().map(|s| s.tag.clone()).collect()),
            ..PrintOptions::default()
        };
        (self.unfolded_fork(), options)
    }

    /// `s`, `|`: starts writing `range` to `destination`, replacing a
    /// save or pipe still running.
    pub(super) fn start_export(&mut self, range: Range, destination: Destination, tags: bool) {
        if let Some(old) = self.export.take() {
            old.stop();
        }
        let (from, end) = match self.resolve(range) {
            Ok(bounds) => bounds,
            Err(why) => {
                self.message = Some(why);
                return;
            }
        };
        let Some(events) = self.events.clone() else {
            return;
        };
        let (merge, options) = self.writer_setup(tags);
        let span: u64 = (0..merge.source_count())
            .filter(|&i| merge.is_enabled(i))
            .map(|i| {
                let len = merge.layout(i).len();
                let last = end.as_ref().map_or(len, |e| e.0[i].bytes_hint().min(len));
                last.saturating_sub(from.0[i].bytes_hint())
            })
            .sum();
        let (out, (what, did), to_file) = match destination {
            Destination::File { path, overwrite } => match Output::create(&path, overwrite) {
                Ok(file) => (
                    Target::File(file),
                    ["saving", "saved"]
                        .map(|verb| format!("{verb} {} to {}", range.describe(), path.display()))
                        .into(),
                    true,
                ),
                Err(why) => {
                    self.message = Some(why);
                    return;
                }
            },
            Destination::Pipe(sink) => match sink.take() {
                Some(writer) => (
                    Target::Pipe(writer),
                    ["piping", "piped"]
                        .map(|verb| format!("{verb} {}", range.describe()))
                        .into(),
                    false,
                ),
                None => return,
            },
        };
        self.next_job += 1;
        let id = self.next_job;
        let stop = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicU64::new(0));
        let counting = Counting {
            inner: out,
            written: written.clone(),
            stop: stop.clone(),
            cap: None,
        };
        let thread = std::thread::spawn(move || {
            let result = write_out(merge, &from, end.as_ref(), &options, counting);
            let _ = events.send(Event::Exported(ExportDone { id, result }));
        });
        self.export = Some(Export {
            id,
            stop,
            written,
            span,
            filtered: !self.filter.is_empty(),
            what,
            did,
            thread: Some(thread),
            to_file,
        });
    }

    /// A save or pipe ended: says how.
    pub(super) fn finish_export(&mut self, done: ExportDone) {
        // A report of one stopped or replaced is old news.
        let Some(export) = self.export.take_if(|e| e.id == done.id) else {
            return;
        };
        self.message = Some(match done.result {
            Ok((records, bytes)) => format!(
                "{}: {}, {}",
                export.did,
                count(records, "record"),
                size(bytes)
            ),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                format!("{}: the command stopped reading", export.what)
            }
            Err(e) => format!("{} failed: {}", export.what, describe_io_error(&e)),
        });
    }

    /// `Esc` with no search running: stops a save or pipe.
    pub(super) fn cancel_export(&mut self) -> bool {
        let Some(export) = self.export.take() else {
            return false;
        };
        let said = if export.to_file {
            format!("{} cancelled: nothing was written", export.what)
        } else {
            format!("{} cancelled: the command got part of it", export.what)
        };
        export.stop();
        self.message = Some(said);
        true
    }

    /// The running save's or pipe's progress.
    pub(super) fn export_busy(&self) -> Option<String> {
        self.export.as_ref().map(Export::busy)
    }

    /// `y`: puts `range` on the clipboard, up to [`COPY_CAP`].
    pub(super) fn copy(&mut self, range: Range) {
        let (from, end) = match self.resolve(range) {
            Ok(bounds) => bounds,
            Err(why) => {
                self.message = Some(why);
                return;
            }
        };
        let (mut merge, options) = self.writer_setup(false);
        let written = Arc::new(AtomicU64::new(0));
        let mut text = Vec::new();
        let out = Counting {
            inner: &mut text,
            written,
            stop: Arc::new(AtomicBool::new(false)),
            cap: Some(COPY_CAP as u64),
        };
        match print_range(&mut merge, &from, end.as_ref(), &options, out) {
            Ok(stats) => {
                let lines = memchr::memchr_iter(b'\n', &text).count();
                let summary = format!(
                    "copied {}: {}, {}, {}",
                    range.describe(),
                    count(lines as u64, "line"),
                    count(stats.records, "record"),
                    size(text.len() as u64)
                );
                self.effect(EffectKind::Copy { text, summary });
            }
            Err(e) if e.kind() == io::ErrorKind::FileTooLarge => {
                self.message = Some(format!(
                    "{} is over {} — the most a copy takes; save it with s or pipe it with |",
                    range.describe(),
                    size(COPY_CAP as u64)
                ));
            }
            Err(e) => self.message = Some(format!("copy failed: {}", describe_io_error(&e))),
        }
    }

    /// `v`: asks the view to open the focused line's file at its line.
    pub(super) fn open_at_source(&mut self) {
        let Some(line) = self.window.focused() else {
            self.message = Some("nothing on screen".into());
            return;
        };
        let (source, offset) = (line.record.source, line.start);
        let info = &self.sources[source];
        let Some(path) = info.file.clone() else {
            self.message = Some(format!(
                "v opens local files; '{}' is not one (a remote object, a stream or a compressed file) — save what you need with s",
                info.tag
            ));
            return;
        };
        let counted = count_newlines(
            self.window.merge().layout(source).source().as_ref(),
            0,
            offset,
        );
        match counted {
            Ok(before) => self.effect(EffectKind::Edit {
                path,
                line: before + 1,
            }),
            Err(e) => self.message = Some(format!("v: {}", describe_io_error(&e))),
        }
    }

    pub(super) fn effect(&mut self, kind: EffectKind) {
        self.next_job += 1;
        self.effect = Some(Arc::new(Effect {
            id: self.next_job,
            kind,
        }));
    }
}

/// Writes the range; `(records, bytes)` written.
fn write_out(
    mut merge: Merge,
    from: &Cursor,
    end: Option<&Cursor>,
    options: &PrintOptions,
    mut out: Counting<Target>,
) -> io::Result<(u64, u64)> {
    let whole = end.is_none() && from.0.iter().all(|&p| p == crate::record::Pos::START);
    let stats = if whole {
        // All cores, as --print does.
        print_merged(merge, options, &mut out)?
    } else {
        print_range(&mut merge, from, end, options, &mut out)?
    };
    out.flush()?;
    let bytes = out.written.load(Ordering::Relaxed);
    out.inner.finish()?;
    Ok((stats.records, bytes))
}

/// What a save or pipe writes to.
enum Target {
    File(Output),
    Pipe(Box<dyn Write + Send>),
}

impl Target {
    /// Renames the file into place, or closes the command's stdin.
    fn finish(self) -> io::Result<()> {
        match self {
            Target::File(file) => file.commit(),
            Target::Pipe(writer) => {
                drop(writer);
                Ok(())
            }
        }
    }
}

impl Write for Target {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Target::File(file) => file.file.write(buf),
            Target::Pipe(writer) => writer.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Target::File(file) => file.file.flush(),
            Target::Pipe(writer) => writer.flush(),
        }
    }
}

/// A file being saved: written under a temporary name beside its target,
/// renamed to it once whole; removed if dropped before.
struct Output {
    file: tempfile::NamedTempFile,
    path: PathBuf,
    overwrite: bool,
}

impl Output {
    fn create(path: &Path, overwrite: bool) -> Result<Self, String> {
        if path.is_dir() {
            return Err(format!("{} is a folder: give a file name", path.display()));
        }
        if !overwrite && path.exists() {
            return Err(format!("{} exists", path.display()));
        }
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let file = tempfile::Builder::new()
            .prefix(".logweave-")
            .suffix(".part")
            .tempfile_in(folder)
            .map_err(|e| {
                format!(
                    "cannot write in {}: {}",
                    folder.display(),
                    describe_io_error(&e)
                )
            })?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
            overwrite,
        })
    }

    /// Renames the file into place. Not synced first, as `--print > file`
    /// or `cp` would not: the rename keeps a failed or cancelled save from
    /// ever standing under the name, which is the promise here.
    fn commit(self) -> io::Result<()> {
        let persisted = if self.overwrite {
            self.file.persist(&self.path)
        } else {
            self.file.persist_noclobber(&self.path)
        };
        persisted.map(drop).map_err(|e| e.error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::MergeOptions;
    use crate::record::in_memory;

    fn merge(text: &str) -> Merge {
        Merge::new(vec![in_memory(text)], MergeOptions::default())
    }

    fn save(path: &Path, stopped: bool) -> io::Result<(u64, u64)> {
        let text = "2024-12-20T10:00:00Z a\n2024-12-20T10:00:01Z b\r\n  more\n";
        let out = Counting {
            inner: Target::File(Output::create(path, false).map_err(io::Error::other)?),
            written: Arc::new(AtomicU64::new(0)),
            stop: Arc::new(AtomicBool::new(stopped)),
            cap: None,
        };
        write_out(
            merge(text),
            &Cursor::start(1),
            None,
            &PrintOptions::default(),
            out,
        )
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .expect("list")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn a_save_appears_whole_under_its_name_and_a_stopped_one_not_at_all() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.log");
        let stopped = save(&path, true).expect_err("stopped");
        assert_eq!(stopped.to_string(), CANCELLED);
        assert!(
            leftovers(dir.path()).is_empty(),
            "{:?}",
            leftovers(dir.path())
        );

        assert_eq!(save(&path, false).expect("saved"), (2, 53));
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "2024-12-20T10:00:00Z a\n2024-12-20T10:00:01Z b\n  more\n"
        );
        assert_eq!(leftovers(dir.path()), ["out.log"]);
        // Not over an existing file unless asked.
        assert!(save(&path, false).is_err());
    }

    #[test]
    fn sizes_for_people() {
        assert_eq!(size(812), "812 B");
        assert_eq!(size(4_200), "4.2 KB");
        assert_eq!(size(1_300_000_000), "1.3 GB");
    }
}
