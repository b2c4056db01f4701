//! `[` and `]`: the next (or previous) record at a level or above, found by
//! walking the merge from the screen's top record.

use std::io;
use std::sync::mpsc::Receiver;
use std::time::Instant;

use super::{Command, Cursor, Engine, Level, Publish, PROGRESS_EVERY, SCAN_CHECK_EVERY};

impl Engine {
    /// Jumps to the next (or previous) record at `level` or above, scanning
    /// the merge from the screen's top record; gives way to new commands.
    pub(super) fn find_level(
        &mut self,
        forward: bool,
        level: Level,
        commands: &Receiver<Command>,
        publish: &Publish,
    ) -> io::Result<()> {
        let Some(start) = self.window.cursor_at_row(0) else {
            return Ok(());
        };
        let total = self.window.merge().total_len().max(1);
        let mut last_report = Instant::now();
        self.window.merge_mut().seek(&start);
        let mut scanned = 0u64;
        let mut skipped_top = false;
        let found: Option<Cursor> = loop {
            let merge = self.window.merge_mut();
            let record = if forward {
                merge.next_record()?
            } else {
                merge.prev_record()?
            };
            let Some(record) = record else { break None };
            if forward && !skipped_top {
                // The first record below the screen's top is the top record itself.
                skipped_top = true;
                continue;
            }
            if record.record.level >= level {
                if forward {
                    merge.unread(&record);
                }
                break Some(merge.cursor());
            }
            scanned += 1;
            if scanned % SCAN_CHECK_EVERY != 0 {
                continue;
            }
            match commands.try_recv() {
                Ok(Command::Refresh) | Err(_) => {}
                Ok(command) => {
                    if !matches!(command, Command::Cancel) {
                        self.queued.push_back(command);
                    }
                    self.message = Some(format!("search for {} cancelled", level.name()));
                    return Ok(());
                }
            }
            if last_report.elapsed() >= PROGRESS_EVERY {
                last_report = Instant::now();
                let done = self.window.merge().bytes_above() as f64 / total as f64 * 100.0;
                let done = if forward { done } else { 100.0 - done };
                let busy = format!("looking for {}… {:.0}% (Esc cancels)", level.name(), done);
                publish(self.frame(Some(busy)));
            }
        };
        match found {
            Some(cursor) => self.window.jump_to_cursor(&cursor)?,
            None => {
                self.message = Some(format!(
                    "no {} record {}",
                    level.name(),
                    if forward { "below" } else { "above" }
                ))
            }
        }
        Ok(())
    }
}
