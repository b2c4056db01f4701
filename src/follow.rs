//! Following growing sources in print mode (`--print -f`): `tail -f` for the
//! merged stream.
//!
//! Each round merges what the sources hold beyond the cursor of the round
//! before (complete lines, see [`crate::source::watch`]), prints it, and
//! waits for a source to change. Truncation, rewriting and rotation restart
//! a source from its beginning, announced on stderr. Memory does not grow
//! with what went by.

use std::io::{self, Write};
use std::time::Duration;

use crate::merge::{Cursor, Merge, MergeOptions};
use crate::print::{write_record, PrintOptions};
use crate::record::{RecordLayout, TimeOptions};
use crate::source::watch::{Event, WatchedFile};
use crate::source::FollowTarget;

/// How often sources are checked for new bytes.
pub const POLL: Duration = Duration::from_millis(50);

/// Prints the merge of `targets` and then everything they gain, until the
/// output closes or an error occurs.
pub fn follow_print(
    targets: Vec<(FollowTarget, String)>,
    time: &TimeOptions,
    merge_options: MergeOptions,
    options: &PrintOptions,
    out: impl Write,
) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(256 * 1024, out);
    let labels: Vec<String> = targets.iter().map(|(_, label)| label.clone()).collect();
    let mut files: Vec<WatchedFile> = targets
        .into_iter()
        .map(|(t, _)| WatchedFile::new(t, 0))
        .collect();
    let options = PrintOptions {
        tags: options.tags.as_ref().map(|_| labels),
        ..options.clone()
    };
    let want_levels = options.filter.is_some();
    loop {
        print_round(
            &mut files,
            time,
            merge_options,
            &options,
            want_levels,
            &mut out,
        )?;
        out.flush()?;
        wait_for_change(&mut files)?;
    }
}

fn print_round(
    files: &mut [WatchedFile],
    time: &TimeOptions,
    merge_options: MergeOptions,
    options: &PrintOptions,
    want_levels: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut layouts = Vec::with_capacity(files.len());
    for f in files.iter_mut() {
        let upto = f.ready()?;
        layouts.push(RecordLayout::open(f.snapshot(upto), time, want_levels)?);
    }
    let mut merge = Merge::new(layouts, merge_options);
    merge.set_predicate(options.filter.clone());
    merge.seek(&Cursor(files.iter().map(|f| f.taken).collect()));
    while let Some(record) = merge.next_record()? {
        write_record(&mut merge, &record, options, out)?;
    }
    for (f, pos) in files.iter_mut().zip(merge.cursor().0) {
        f.taken = pos;
    }
    Ok(())
}

/// Sleeps until some source has new complete lines (or a quiet partial
/// one), or was truncated, rewritten or rotated.
fn wait_for_change(files: &mut [WatchedFile]) -> io::Result<()> {
    loop {
        std::thread::sleep(POLL);
        let mut changed = false;
        for f in files.iter_mut() {
            match f.look()? {
                Event::Restarted(why) | Event::Gone(why) => {
                    eprintln!("logweave: {why}");
                    changed = true;
                }
                Event::Back | Event::Nothing => {}
            }
            changed |= f.ready()? > f.taken;
        }
        if changed {
            return Ok(());
        }
    }
}
