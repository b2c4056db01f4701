//! Following growing sources in print mode (`--print -f`): `tail -f` for the
//! merged stream.
//!
//! Each round merges what the sources hold beyond the cursor of the round
//! before (complete lines, see [`crate::source::watch`]), prints it, and
//! waits for a source to change — through the same
//! [`Follower`] as the viewer: files that
//! appear in a followed folder join, and so do rotation backups beside a
//! followed file (from where their old self was printed, so a line written
//! to a log after it was rotated away is not lost). Truncation, rewriting
//! and rotation restart a source from its beginning, announced on stderr.
//! Memory does not grow with what went by.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{mpsc, Arc};

use crate::escape::printable;
use crate::merge::{Cursor, Merge, MergeOptions, MergedRecord};
use crate::print::{write_record, PrintOptions};
use crate::problem::Problem;
use crate::record::{Pos, RecordLayout, TimeOptions};
use crate::source::follower::{Change, Follower};
use crate::source::{FollowTarget, Health};

pub use crate::source::follower::POLL;

/// How long after an inotify wake-up the files are looked at.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(20);

/// Prints the merge of `targets` and then everything they gain (and what
/// files joining from `folders` or beside them hold), until the output
/// closes or an error occurs. What the `watched` sources' background work
/// reports (a problem, a followed task that ended) goes to stderr.
pub fn follow_print(
    targets: Vec<(FollowTarget, String)>,
    watched: Vec<(String, Arc<Health>)>,
    folders: Vec<PathBuf>,
    time: &TimeOptions,
    merge_options: MergeOptions,
    options: &PrintOptions,
    out: impl Write,
) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(256 * 1024, out);
    let mut labels: Vec<String> = targets.iter().map(|(_, label)| label.clone()).collect();
    let mut follower = Follower::new(targets.into_iter().map(|(t, _)| (Some(t), 0)).collect());
    follower.join_new_files_in(folders);
    let (wake, woken) = mpsc::channel();
    follower.wake_on_changes(move || {
        let _ = wake.send(());
    });
    let want_levels = options.filter.is_some();
    let mut reports = Reports::new(watched);
    let mut printed = HashMap::new();
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
        print_round(
            &mut follower,
            &mut printed,
            time,
            merge_options,
            &options,
            want_levels,
            &mut out,
        )?;
        out.flush()?;
        reports.say();
        wait_for_change(&mut follower, &mut labels, &woken, &mut reports)?;
    }
}

/// The sources' health as last said on stderr, to say each change once.
struct Reports {
    watched: Vec<(String, Arc<Health>, Option<Problem>)>,
}

impl Reports {
    fn new(watched: Vec<(String, Arc<Health>)>) -> Self {
        Self {
            watched: watched
                .into_iter()
                .map(|(label, health)| (label, health, None))
                .collect(),
        }
    }

    /// Writes new notes and problems to stderr.
    fn say(&mut self) {
        for (label, health, said) in &mut self.watched {
            if let Some(note) = health.take_note() {
                eprintln!("logweave: {}", printable(&note.to_string()));
            }
            let now = health.problem();
            if now.as_ref().map(Problem::what) != said.as_ref().map(Problem::what) {
                if let Some(problem) = &now {
                    let shown = format!("'{label}'");
                    eprintln!("{}", problem.clone().about(label, &shown).for_stderr());
                }
                *said = now;
            }
        }
    }
}

/// Where print mode stands in one followed file: its latest layout (whose
/// order's decisions carry over as it grows) and the position printed up to.
struct Printed {
    layout: RecordLayout,
    cursor: Pos,
}

fn print_round(
    follower: &mut Follower,
    printed: &mut HashMap<usize, Printed>,
    time: &TimeOptions,
    merge_options: MergeOptions,
    options: &PrintOptions,
    want_levels: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut layouts = Vec::new();
    let mut cursor = Vec::new();
    let mut tags = Vec::new();
    let mut late = Vec::new();
    for (i, f) in follower.files_mut() {
        let upto = f.ready()?;
        let (layout, at) = match printed.remove(&i) {
            // `taken` is what the round before took, unless the file restarted.
            Some(p) if f.taken == p.layout.len() && upto >= f.taken => {
                let grown = p.layout.grown(f.snapshot(upto))?;
                if grown.is_timed() == p.layout.is_timed() {
                    late.push((layouts.len(), p.layout.len(), p.cursor));
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
    let mut merge = Merge::new(layouts, merge_options);
    merge.set_predicate(options.filter.clone());
    // Records that arrived after records later than them were printed
    // (Airflow 3's logging records reach its file after stdout lines
    // stamped later): they belong above the cursor, and are printed now,
    // as they come, rather than never.
    for (source, old_len, at) in late {
        print_late(&mut merge, source, old_len, at, &options, out)?;
    }
    merge.seek(&Cursor(cursor));
    while let Some(record) = merge.next_record()? {
        write_record(&mut merge, &record, &options, out)?;
    }
    for (&i, (pos, layout)) in tags
        .iter()
        .zip(merge.cursor().0.into_iter().zip(layouts_of(&merge)))
    {
        printed.insert(
            i,
            Printed {
                layout,
                cursor: pos,
            },
        );
    }
    Ok(())
}

fn layouts_of(merge: &Merge) -> Vec<RecordLayout> {
    (0..merge.source_count())
        .map(|i| merge.layout(i).clone())
        .collect()
}

/// Prints the records of `source` that start at or after byte `from` but
/// lie above `at` in its order: they arrived late.
fn print_late(
    merge: &mut Merge,
    source: usize,
    from: u64,
    at: Pos,
    options: &PrintOptions,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut reader = merge.layout(source).reader(64 * 1024);
    let mut offset = reader.file().boundary_at_or_after(from)?;
    while let Some(record) = reader.record_containing(offset)? {
        if record.start < from {
            offset = record.end;
            continue;
        }
        offset = record.end;
        if record.at() < at {
            let merged = MergedRecord { source, record };
            if merge.accepts(&merged)? {
                write_record(merge, &merged, options, out)?;
            }
        }
        if offset >= reader.len() {
            break;
        }
    }
    Ok(())
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
/// one), was truncated, rewritten or rotated, or a file joined.
fn wait_for_change(
    follower: &mut Follower,
    labels: &mut Vec<String>,
    woken: &mpsc::Receiver<()>,
    reports: &mut Reports,
) -> io::Result<()> {
    loop {
        reports.say();
        // A wake-up from inotify, or the polling interval. A wake-up is
        // often the first of a burst (`>` truncates, then writes): a moment
        // later the look sees a rewritten file rather than an empty one.
        if woken.recv_timeout(follower.poll_interval()).is_ok() {
            std::thread::sleep(SETTLE);
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
            let path = file.entry.path.display().to_string();
            eprintln!("logweave: {} joined", printable(&path));
            labels.push(file.entry.label);
        }
        for (_, f) in follower.files_mut() {
            changed |= f.ready()? > f.taken;
        }
        if changed {
            return Ok(());
        }
    }
}
