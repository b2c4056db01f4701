//! Following growing sources in print mode (`--print -f`): `tail -f` for the
//! merged stream.
//!
//! Each round merges what the sources hold beyond the cursor of the round
//! before (complete lines, see [`crate::source::watch`]), prints it, and
//! waits for a source to change — through the same
//! [`Follower`] as the viewer: files that
//! appear in a followed folder join, and so do rotation backups beside a
//! followed file (from where their old self was printed, so a line written
//! to a log after it was rotated away is not lost), and so do sources that
//! arrive later (an Airflow task's next try). Truncation, rewriting and
//! rotation restart a source from its beginning, announced on stderr.
//! Memory does not grow with what went by.
//!
//! It sleeps until the follower's watchers or streams wake it (or its poll
//! interval passes), and ends, like `tail --pid`, once every source has
//! ended for good: a pipe closed, a followed Airflow task finished, and
//! nothing else (a file, a folder) is followed.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use crate::escape::printable;
use crate::merge::{CopyCounts, Cursor, Merge, MergeOptions, MergedRecord};
use crate::print::{write_record, PrintOptions};
use crate::problem::Problem;
use crate::record::{Pos, Record, RecordLayout, TimeOptions};
use crate::source::follower::{Change, Follower};
use crate::source::{FollowTarget, Health, SourceEntry};

pub use crate::source::follower::POLL;

/// How long after an inotify wake-up the files are looked at.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(20);

/// How long a source's status (waiting for a server, for a task's next
/// try) lasts before print mode says it on stderr.
const STATUS_AFTER: Duration = Duration::from_secs(1);

/// What print mode follows.
pub struct Followed {
    /// Each source that may grow, with its label.
    pub targets: Vec<(FollowTarget, String)>,
    /// Sources whose background work reports (a problem, a status, a
    /// followed task that ended), with their labels.
    pub watched: Vec<(String, Arc<Health>)>,
    /// Folders whose new files join.
    pub folders: Vec<PathBuf>,
    /// Sources that arrive later (an Airflow task's next try).
    pub arrivals: Option<mpsc::Receiver<SourceEntry>>,
}

/// Prints the merge of the followed sources and then everything they gain
/// (and what files joining from folders or beside them hold, and sources
/// that arrive), until every source has ended for good, the output closes
/// or an error occurs. What the sources' background work reports goes to
/// stderr, and so does, once per pair of sources, that records were shown
/// once as copies. `merge_options` are by followed file, in the order of
/// `followed.targets`. Returns `true` when it ended without any source
/// reporting a problem.
pub fn follow_print(
    followed: Followed,
    time: &TimeOptions,
    merge_options: MergeOptions,
    options: &PrintOptions,
    out: impl Write,
) -> io::Result<bool> {
    let Followed {
        targets,
        watched,
        folders,
        arrivals,
    } = followed;
    let mut out = io::BufWriter::with_capacity(256 * 1024, out);
    let mut labels: Vec<String> = targets.iter().map(|(_, label)| label.clone()).collect();
    let mut follower = Follower::new(targets.into_iter().map(|(t, _)| (Some(t), 0)).collect());
    follower.join_new_files_in(folders);
    if let Some(arrivals) = arrivals {
        follower.join_from(arrivals);
    }
    // The follower keeps the waker, and with it this channel, while it lives.
    let (wake, woken) = mpsc::channel();
    follower.wake_on_changes(move || {
        let _ = wake.send(());
    });
    let want_levels = options.filter.is_some();
    let mut reports = Reports::new(watched);
    let mut printed = HashMap::new();
    let mut copies_said = std::collections::HashSet::new();
    loop {
        let options = PrintOptions {
            // The tags of every mode (a file that joins may lengthen one
            // it shares its name with).
            tags: options.tags.as_ref().map(|_| {
                crate::source::short_tags(&labels)
                    .iter()
                    .map(|t| crate::escape::printable(t).into_owned())
                    .collect()
            }),
            ..options.clone()
        };
        let copies = print_round(
            &mut follower,
            &mut printed,
            time,
            &merge_options,
            &options,
            want_levels,
            &mut out,
        )?;
        out.flush()?;
        for copied in copies.pairs() {
            if copies_said.insert((copied.source, copied.copy_of)) {
                let name = |i: usize| labels.get(i).map_or("?", String::as_str);
                eprintln!(
                    "logweave: {}: {} (and those to come; {})",
                    printable(name(copied.source)),
                    crate::merge::copies::describe(
                        copied.records,
                        &printable(name(copied.copy_of))
                    ),
                    crate::merge::copies::SHOW_ALL
                );
            }
        }
        reports.say();
        if follower.finished()
            || !wait_for_change(&mut follower, &mut labels, &woken, &mut reports)?
        {
            reports.say();
            return Ok(!reports.any_problem());
        }
    }
}

/// A source whose health is said on stderr, and what was last said of it.
struct Reported {
    label: String,
    health: Arc<Health>,
    problem: Option<Problem>,
    status: Option<String>,
}

/// The sources' health as last said on stderr, to say each change once.
struct Reports {
    watched: Vec<Reported>,
}

impl Reports {
    fn new(watched: Vec<(String, Arc<Health>)>) -> Self {
        let mut reports = Self {
            watched: Vec::new(),
        };
        for (label, health) in watched {
            reports.watch(label, health);
        }
        reports
    }

    /// Says what `health` reports from now on too (a source that joined).
    fn watch(&mut self, label: String, health: Arc<Health>) {
        self.watched.push(Reported {
            label,
            health,
            problem: None,
            status: None,
        });
    }

    /// Writes new notes, problems and statuses that lasted to stderr.
    fn say(&mut self) {
        for reported in &mut self.watched {
            let health = &reported.health;
            if let Some(note) = health.take_note() {
                eprintln!("logweave: {}", printable(&note.to_string()));
                // What the note said needs no status after it.
                reported.status = Some(note);
            }
            let now = health.problem();
            if now.as_ref().map(Problem::what) != reported.problem.as_ref().map(Problem::what) {
                if let Some(problem) = &now {
                    let label = &reported.label;
                    let shown = format!("'{label}'");
                    eprintln!("{}", problem.clone().about(label, &shown).for_stderr());
                }
                reported.problem = now;
            }
            if let Some((status, lasted)) = health.status() {
                if lasted >= STATUS_AFTER && reported.status.as_ref() != Some(&status) {
                    eprintln!("logweave: {}", printable(&status));
                    reported.status = Some(status);
                }
            }
        }
    }

    /// Some source reports a problem now.
    fn any_problem(&self) -> bool {
        self.watched.iter().any(|r| r.health.problem().is_some())
    }
}

/// Where print mode stands in one followed file: its latest layout (whose
/// order's decisions carry over as it grows) and the position printed up to.
struct Printed {
    layout: RecordLayout,
    cursor: Pos,
    /// The file's last record, when it was printed or a filter left it
    /// out: lines that arrive later and belong to it (the rest of a
    /// traceback, a line's rest after the wait for its newline) are
    /// printed as they come, and a record the filter left out is printed
    /// whole once they make it match (`--grep ValueError` and the
    /// traceback's last line). Those of a copy are not.
    tail: Option<Tail>,
}

/// A file's last record: where it starts, and whether it was printed.
#[derive(Clone, Copy)]
struct Tail {
    start: u64,
    printed: bool,
}

/// The file's last record, printed: `Some(..)` when `record` ends the
/// `len` bytes of its file.
fn tail_of(record: &Record, len: u64) -> Option<Tail> {
    (record.end >= len).then_some(Tail {
        start: record.start,
        printed: true,
    })
}

/// Prints what the sources gained; returns the records dropped as copies,
/// by followed file.
fn print_round(
    follower: &mut Follower,
    printed: &mut HashMap<usize, Printed>,
    time: &TimeOptions,
    merge_options: &MergeOptions,
    options: &PrintOptions,
    want_levels: bool,
    out: &mut impl Write,
) -> io::Result<CopyCounts> {
    let mut layouts = Vec::new();
    let mut cursor = Vec::new();
    let mut tags = Vec::new();
    let mut late = Vec::new();
    let mut grown_tails = Vec::new();
    for (i, f) in follower.files_mut() {
        let upto = f.ready()?;
        let (layout, at) = match printed.remove(&i) {
            // `taken` is what the round before took, unless the file restarted.
            Some(p) if f.taken == p.layout.len() && upto >= f.taken => {
                let grown = p.layout.grown(f.snapshot(upto))?;
                if grown.is_timed() == p.layout.is_timed() {
                    late.push((layouts.len(), p.layout.len(), p.cursor));
                    if let Some(tail) = p.tail {
                        grown_tails.push((layouts.len(), tail, p.layout.len()));
                    }
                    (grown, p.cursor)
                } else {
                    // Timestamps came only now: what was printed is bytes.
                    let at = position_at_byte(&grown, p.layout.len())?;
                    (grown, at)
                }
            }
            _ => {
                let time = time.for_source(f.path.as_deref().unwrap_or(std::path::Path::new("-")));
                let layout = RecordLayout::open(f.snapshot(upto), &time, want_levels)?;
                let at = position_at_byte(&layout, f.taken)?;
                (layout, at)
            }
        };
        f.taken = upto;
        layouts.push(layout);
        cursor.push(at);
        tags.push(i);
    }
    // Sources that cannot grow have no watched file: tags follow the files.
    let options = PrintOptions {
        tags: options
            .tags
            .as_ref()
            .map(|all| tags.iter().map(|&i| all[i].clone()).collect()),
        ..options.clone()
    };
    let merge_options = MergeOptions {
        dedup: merge_options.dedup.of_sources(&tags),
    };
    let mut merge = Merge::new(layouts, merge_options);
    merge.set_predicate(options.filter.clone());
    let mut tails: Vec<Option<Tail>> = vec![None; merge.source_count()];
    // Lines of a record printed in a round before (its first lines were
    // all its file held then): printed now, where they arrive, as `tail
    // -f` does, rather than never (the record lies above the cursor).
    for (source, tail, old_len) in grown_tails {
        tails[source] = print_grown_tail(&mut merge, source, tail, old_len, &options, out)?;
    }
    // Records that arrived after records later than them were printed
    // (Airflow 3's logging records reach its file after stdout lines
    // stamped later): they belong above the cursor, and are printed now,
    // as they come, rather than never.
    let round_start = Cursor(cursor.clone());
    // Per source, the bytes whose records count as printed: what the
    // round before took, and all of it once its late records are printed.
    let mut settled = vec![0u64; merge.source_count()];
    for &(source, old_len, _) in &late {
        settled[source] = old_len;
    }
    for (source, old_len, at) in late {
        let printed = print_late(
            &mut merge,
            source,
            old_len,
            at,
            (&round_start, &settled),
            &options,
            out,
        )?;
        settled[source] = u64::MAX;
        if let Some(tail) = printed {
            tails[source] = Some(tail);
        }
    }
    // The latest key printed: a copy's records up to it may be those of
    // an original printed in a round before.
    let printed_up_to = cursor.iter().map(|pos| pos.key).max();
    merge.seek(&Cursor(cursor));
    if let Some(key) = printed_up_to.filter(|&key| key > i64::MIN) {
        merge.look_across_until(key);
    }
    while let Some(record) = merge.next_record()? {
        write_record(&mut merge, &record, &options, out)?;
        let len = merge.layout(record.source).len();
        if let Some(tail) = tail_of(&record.record, len) {
            tails[record.source] = Some(tail);
        }
    }
    if options.filter.is_some() {
        // One file of a group of copies: the filter left out the same
        // record in each, and each would print it whole once it matched.
        let mut groups_seen = Vec::new();
        for (source, tail) in tails.iter_mut().enumerate() {
            if let Some(group) = merge.copy_group_of(source) {
                if groups_seen.contains(&group) {
                    continue;
                }
                groups_seen.push(group);
            }
            if tail.is_none() {
                *tail = left_out_tail(&mut merge, source)?;
            }
        }
    }
    for (&i, ((pos, layout), tail)) in tags.iter().zip(
        merge
            .cursor()
            .0
            .into_iter()
            .zip(layouts_of(&merge))
            .zip(tails),
    ) {
        printed.insert(
            i,
            Printed {
                layout,
                cursor: pos,
                tail,
            },
        );
    }
    Ok(merge.take_copies().by_sources(&tags))
}

fn layouts_of(merge: &Merge) -> Vec<RecordLayout> {
    (0..merge.source_count())
        .map(|i| merge.layout(i).clone())
        .collect()
}

/// The last record of `source`'s file when the filter leaves it out.
fn left_out_tail(merge: &mut Merge, source: usize) -> io::Result<Option<Tail>> {
    let mut reader = merge.layout(source).reader(64 * 1024);
    let len = reader.len();
    let Some(line) = reader.lines().line_before(len)? else {
        return Ok(None);
    };
    let Some(record) = reader.record_containing(line.start)? else {
        return Ok(None);
    };
    let merged = MergedRecord { source, record };
    Ok((!merge.accepts(&merged)?).then_some(Tail {
        start: record.start,
        printed: false,
    }))
}

/// A file's last record `tail` of a round before gained lines past byte
/// `old_len` (where its file ended then): prints them, as they are, if
/// the record was printed and still passes the filter (`--grep-v` may
/// now leave it out), or the whole record if the filter left it out and
/// lets it pass now. The file's last record after.
fn print_grown_tail(
    merge: &mut Merge,
    source: usize,
    tail: Tail,
    old_len: u64,
    options: &PrintOptions,
    out: &mut impl Write,
) -> io::Result<Option<Tail>> {
    let mut reader = merge.layout(source).reader(64 * 1024);
    let len = reader.len();
    let Some(record) = reader.record_containing(tail.start)? else {
        return Ok(None);
    };
    if record.start != tail.start || record.end <= old_len {
        return Ok((record.end >= len).then_some(tail));
    }
    let grown = MergedRecord { source, record };
    let passes = merge.accepts(&grown)?;
    let printed = match (tail.printed, passes) {
        (true, true) => {
            let rest = MergedRecord {
                source,
                record: Record {
                    start: old_len,
                    ..record
                },
            };
            write_record(merge, &rest, options, out)?;
            true
        }
        (false, true) => {
            write_record(merge, &grown, options, out)?;
            true
        }
        (printed, false) => printed,
    };
    Ok((record.end >= len).then_some(Tail {
        start: record.start,
        printed,
    }))
}

/// Prints the records of `source` that start at or after byte `from` but
/// lie above `at` in its order: they arrived late. One whose copy another
/// source printed already (above its part of `printed`) is a copy. The
/// file's last record, if it was one of them.
fn print_late(
    merge: &mut Merge,
    source: usize,
    from: u64,
    at: Pos,
    (printed, settled): (&Cursor, &[u64]),
    options: &PrintOptions,
    out: &mut impl Write,
) -> io::Result<Option<Tail>> {
    let mut reader = merge.layout(source).reader(64 * 1024);
    let mut offset = reader.file().boundary_at_or_after(from)?;
    let mut tail: Option<Tail> = None;
    while let Some(record) = reader.record_containing(offset)? {
        if record.start < from {
            offset = record.end;
            continue;
        }
        offset = record.end;
        if record.at() < at && !merge.printed_elsewhere(source, &record, printed, settled)? {
            let merged = MergedRecord { source, record };
            if merge.accepts(&merged)? {
                write_record(merge, &merged, options, out)?;
                tail = tail_of(&merged.record, reader.len());
            }
        }
        if offset >= reader.len() {
            break;
        }
    }
    Ok(tail)
}

/// The position of the first record of `layout` starting at or after byte
/// `offset`: where a file that restarted, or a rotation backup of a file
/// printed before, goes on from.
fn position_at_byte(layout: &RecordLayout, offset: u64) -> io::Result<Pos> {
    if offset == 0 {
        return Ok(Pos::START);
    }
    let mut reader = layout.reader(64 * 1024);
    let boundary = reader.file().boundary_at_or_after(offset)?;
    Ok(match reader.record_containing(boundary)? {
        Some(record) if boundary < layout.len() => record.at(),
        _ => reader.seek_end()?,
    })
}

/// Waits until some source has new complete lines (or a quiet partial
/// one), was truncated, rewritten or rotated, or a source joined; `false`
/// when, instead, every source has ended for good.
fn wait_for_change(
    follower: &mut Follower,
    labels: &mut Vec<String>,
    woken: &mpsc::Receiver<()>,
    reports: &mut Reports,
) -> io::Result<bool> {
    loop {
        reports.say();
        if follower.finished() {
            return Ok(false);
        }
        // A wake-up from inotify or a stream, or the polling interval. A
        // wake-up is often the first of a burst (`>` truncates, then
        // writes): a moment later the look sees a rewritten file rather
        // than an empty one.
        match woken.recv_timeout(follower.poll_interval()) {
            Ok(()) => std::thread::sleep(SETTLE),
            Err(RecvTimeoutError::Timeout) => {}
            // Cannot happen while the follower keeps its waker; never spin.
            Err(RecvTimeoutError::Disconnected) => std::thread::sleep(follower.poll_interval()),
        }
        while woken.try_recv().is_ok() {}
        let (changes, joined) = follower.look()?;
        let mut changed = !joined.is_empty();
        for change in changes {
            match change {
                Change::Restarted(_, why) | Change::Gone(_, why) => {
                    eprintln!("logweave: {}", printable(&why.to_string()));
                    changed = true;
                }
                Change::Back(_) => {}
            }
        }
        for file in joined {
            if file.appeared {
                let path = file.entry.path.display().to_string();
                eprintln!("logweave: {} joined", printable(&path));
            }
            if let Some(health) = &file.entry.health {
                reports.watch(file.entry.label.clone(), health.clone());
            }
            // `--tag` names it by the tag its opener chose, if any.
            labels.push(file.entry.tag.unwrap_or(file.entry.label));
        }
        for (_, f) in follower.files_mut() {
            changed |= f.ready()? > f.taken;
        }
        if changed {
            return Ok(true);
        }
    }
}
