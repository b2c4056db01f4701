//! Commands applied to the window: each key's move, jump, toggle or
//! search, and the jumps by time, share and line number.

use std::io;

use super::{command, job, Command, Engine, Goto};
use crate::record::timestamp::{format_in, Nanos};

impl Engine {
    pub(super) fn apply(&mut self, command: Command) -> io::Result<()> {
        let mut stopped_a_job = false;
        if !matches!(command, Command::Resize { .. } | Command::Layout(_)) {
            // A key was pressed: the last message has been seen.
            self.shown_message = None;
            // Latest wins: Esc, or any other key, stops the running job;
            // a new search replaces it without a word.
            if let Some(job) = self.job.take() {
                job.stop();
                stopped_a_job = true;
                let replaced = matches!(
                    command,
                    Command::Search { .. }
                        | Command::SearchAgain { .. }
                        | Command::NextAtLevel { .. }
                        | Command::NextNew { .. }
                );
                if !replaced {
                    self.message = Some(job.cancelled());
                }
            }
        }
        match command {
            Command::Resize {
                height,
                timeline_width,
            } => {
                self.height = height.max(1);
                self.timeline_width = timeline_width.max(1);
                self.window.set_height(self.height)?;
                if self.follow.as_ref().is_some_and(|f| f.following) {
                    self.window.jump_end()?;
                }
            }
            Command::Layout(rows) => {
                self.set_rows(rows)?;
                if self.follow.as_ref().is_some_and(|f| f.following) {
                    self.window.jump_end()?;
                }
            }
            Command::Scroll(delta) => {
                if delta < 0 {
                    self.pause_following();
                }
                self.window.scroll(delta)?
            }
            Command::Start => {
                self.pause_following();
                self.remember_jump();
                self.window.jump_start()?
            }
            Command::End => {
                self.remember_jump();
                if let Some(follow) = self.follow.as_mut().filter(|f| f.engaged) {
                    // G resumes following, as in less after F.
                    follow.following = true;
                }
                self.window.jump_end()?
            }
            Command::Follow => self.toggle_following()?,
            Command::CycleZone => self.cycle_zone(),
            Command::Goto(goto) => {
                self.pause_following();
                self.remember_jump();
                self.goto(goto)?
            }
            Command::FocusBy(delta) => {
                if delta < 0 {
                    self.pause_following();
                }
                self.window.move_focus(delta)?
            }
            Command::FocusRecord { forward } => {
                if !forward {
                    self.pause_following();
                }
                self.window.focus_record(forward)?
            }
            Command::FocusRow(row) => self.window.focus_on_row(row),
            Command::SetMark(letter) => self.set_mark(letter),
            Command::GotoMark(letter) => {
                self.pause_following();
                self.goto_mark(letter)?
            }
            Command::JumpBack => {
                self.pause_following();
                self.jump_back()?
            }
            Command::NextAtLevel { forward, level } => {
                self.pause_following();
                self.start_job(job::JobKind::Level { forward, level }, false);
            }
            Command::NextNew { forward } => match self.comparison.as_ref().map(|(c, _)| c.clone()) {
                Some(comparison) => {
                    self.pause_following();
                    self.start_job(job::JobKind::New { forward, comparison }, false);
                }
                None => {
                    self.message = Some(
                        "no baseline: new records are marked with 'logweave compare' or 'airflow --compare-with'"
                            .into(),
                    )
                }
            },
            Command::ToggleSource(index) => self.toggle_source(index)?,
            Command::GotoSource(index) => {
                self.pause_following();
                self.remember_jump();
                self.goto_source(index)?
            }
            Command::Search {
                pattern,
                kind,
                forward,
            } => {
                self.pause_following();
                self.search(&pattern, kind, forward)
            }
            Command::SearchAgain { reverse, times } => {
                self.pause_following();
                self.search_again(reverse, times)
            }
            Command::AddFilter {
                pattern,
                kind,
                exclude,
            } => self.add_filter(&pattern, kind, exclude)?,
            Command::ClearFilters => self.clear_filters()?,
            Command::ToggleFacet { field, value } => self.toggle_facet(field, value)?,
            Command::CycleLevel => self.cycle_level()?,
            // Esc stops a search first, else a save or pipe.
            Command::Cancel => {
                if !stopped_a_job {
                    self.cancel_export();
                }
            }
            // Ctrl-C as in less +F: stops what runs, and never quits.
            Command::Interrupt => {
                let stopped = stopped_a_job || self.cancel_export() || self.stop_following();
                if !stopped {
                    self.message = Some(
                        "nothing to stop (Ctrl-C stops a search, a save or following) — q quits"
                            .into(),
                    );
                }
            }
            Command::Copy(range) => self.copy(range),
            Command::Export {
                range,
                destination,
                tags,
            } => self.start_export(range, destination, tags),
            Command::Edit => self.open_at_source(),
            Command::Fields => self.inspect_focused(),
            Command::Fold(op) => self.fold(op)?,
            Command::Quit => {}
        }
        Ok(())
    }

    /// Time of the top line on screen.
    pub(super) fn top_ts(&self) -> Option<Nanos> {
        self.window
            .visible()
            .next()
            .and_then(|l| l.record.record.ts)
    }

    /// `:TIME`: the first record at `t` or later; inside a folded group,
    /// the group's header.
    /// A time past either end of the stream says so: landing on the last
    /// screen (or the first) without a word reads as "the log ends here".
    fn jump_time(&mut self, t: Nanos) -> io::Result<()> {
        let merge = self.window.merge_mut();
        merge.seek_time(t)?;
        let cursor = merge.cursor();
        let found = self.jump_into_folds(&cursor, false)?;
        let when = |t| format_in(t, &self.zones[0]);
        match found {
            None => {
                let mut fork = self.unfolded_fork();
                let last = fork
                    .seek_end()
                    .ok()
                    .and_then(|()| fork.prev_record().ok().flatten())
                    .and_then(|r| r.record.ts);
                // Short: the status bar gives a message the room it needs.
                self.message = Some(match last {
                    Some(last) => format!("no record that late: the last is at {}", when(last)),
                    None => format!("no record at {} or later", when(t)),
                });
            }
            Some(found) => {
                let mut fork = self.unfolded_fork();
                fork.seek_start();
                let first = fork.next_record().ok().flatten();
                let first_time = first
                    .filter(|f| f.source == found.source && f.record.start == found.record.start)
                    .and_then(|f| f.record.ts)
                    .filter(|&first_time| t < first_time);
                if let Some(first_time) = first_time {
                    self.message = Some(format!(
                        "no record that early: the first is at {}",
                        when(first_time)
                    ));
                }
            }
        }
        Ok(())
    }

    pub(super) fn goto(&mut self, goto: Goto) -> io::Result<()> {
        match goto {
            Goto::Time(t) => self.jump_time(t)?,
            Goto::Fraction(f) => match self.line_at_share(f) {
                // Half of the lines, where they are counted: in a merged
                // stream, half of the bytes is not where a user expects.
                Some(line) => return self.goto(Goto::Line(line)),
                None => self.window.jump_fraction(f)?,
            },
            Goto::Relative(delta) => match self.top_ts() {
                Some(t) => self.jump_time(t.saturating_add(delta))?,
                None => self.message = Some("no timestamp on screen to jump from".into()),
            },
            Goto::Line(n) => self.goto_line(n)?,
            Goto::Invalid(why) => self.message = Some(why),
            Goto::Text(text) => {
                let top = self.top_ts();
                let zone = self.zones[0].clone();
                match command::parse_goto(&text, top, &mut self.clock, &zone) {
                    Goto::Text(_) => {}
                    parsed => return self.goto(parsed),
                }
            }
        }
        Ok(())
    }
}
