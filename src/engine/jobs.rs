//! The engine's side of long work: the latest job started (a search, a
//! level or new-record jump on a fork of the merge), its report taken
//! when it is still the latest, and what runs now for the status bar.

use super::{job, Engine};

impl Engine {
    /// What runs now, for the status bar: a search, a save or a pipe.
    pub(super) fn busy(&self) -> Option<String> {
        self.job
            .as_ref()
            .map(job::Job::busy)
            .or_else(|| self.export_busy())
    }

    /// Starts `kind` as the job, stopping the one running.
    pub(super) fn start_job(&mut self, kind: job::JobKind, retried: bool) {
        if let Some(old) = self.job.take() {
            old.stop();
        }
        let Some(events) = self.events.clone() else {
            return;
        };
        self.next_job += 1;
        let id = self.next_job;
        let fork = self.unfolded_fork();
        let mut started = match &kind {
            job::JobKind::Search { forward, matcher } => {
                let sorted = self
                    .overview
                    .as_ref()
                    .and_then(|o| o.sorted())
                    .unwrap_or(true);
                job::search(
                    id,
                    fork,
                    self.search_start(*forward),
                    *forward,
                    matcher.clone(),
                    sorted,
                    events,
                )
            }
            &job::JobKind::Level { forward, level } => {
                // From the focused line, which the last `]` or `[` moved to
                // the record it found (on the last screen too, where the
                // screen cannot put it at the top). Its lasting cursor, since
                // the window's own leaves the copies dedup dropped below it,
                // and they would be found again (issue 26).
                let (Some(start), Some(focused)) =
                    (self.window.cursor_at_focus(), self.window.focused())
                else {
                    return;
                };
                let from = (focused.record.source, focused.record.record.start);
                job::level(id, fork, start, from, forward, level, events)
            }
            job::JobKind::New {
                forward,
                comparison,
            } => {
                // From the focused line, as `]` (above).
                let (Some(start), Some(focused)) =
                    (self.window.cursor_at_focus(), self.window.focused())
                else {
                    return;
                };
                let from = (focused.record.source, focused.record.record.start);
                job::new_record(id, fork, start, from, *forward, comparison.clone(), events)
            }
        };
        started.retried = retried;
        self.job = Some(started);
    }

    /// A job reported: shows what it found, unless it is not the latest.
    pub(super) fn finish_job(&mut self, report: job::Report) {
        let id = match &report {
            job::Report::Search { id, .. } | job::Report::Level { id, .. } => *id,
            job::Report::Progress => return,
        };
        let Some(done) = self.job.take_if(|job| job.id == id) else {
            return;
        };
        let result = match report {
            job::Report::Search { result, .. } => {
                // The direction this search went: `N` goes against `/`.
                let forward = done.kind.forward();
                result.and_then(|found| self.show_search(found, forward))
            }
            job::Report::Level { result, .. } => {
                result.and_then(|found| match (found, &done.kind) {
                    (Some(cursor), _) => {
                        self.remember_jump();
                        // The record found may be inside a folded group.
                        let found = self.jump_into_folds(&cursor, true)?;
                        if let Some(found) = found {
                            self.focus_record_of(found.source, found.record.start);
                        }
                        Ok(())
                    }
                    (None, &job::JobKind::Level { forward, level }) => {
                        self.message = Some(format!(
                            "no {} record {}",
                            level.name(),
                            if forward { "below" } else { "above" }
                        ));
                        Ok(())
                    }
                    (None, &job::JobKind::New { forward, .. }) => {
                        self.message = Some(format!(
                            "no new record {} (none whose template the baseline never had)",
                            if forward { "below" } else { "above" }
                        ));
                        Ok(())
                    }
                    (None, _) => Ok(()),
                })
            }
            job::Report::Progress => Ok(()),
        };
        let Err(e) = result else {
            return;
        };
        // A source failed under it: hide that source and look again on the
        // others, once.
        match self.quarantine_failed_sources() {
            Ok(true) if !done.retried => {
                let hidden = self.message.take();
                self.start_job(done.kind, true);
                self.message = hidden;
            }
            Ok(true) => {}
            Ok(false) => self.message = Some(format!("read error: {e}")),
            Err(again) => self.message = Some(format!("read error: {again}")),
        }
    }
}
