//! Building the immutable [`Frame`] the view draws: the window's lines,
//! the sources, position, line numbers, timeline, messages.

use std::sync::Arc;
use std::time::Instant;

use super::rows::frame_line;
use super::{format_in, Engine, Frame, MESSAGE_FOR};

/// Pairs of sources whose copies the status bar names; the rest in a count.
const STATUS_PAIRS: usize = 3;
impl Engine {
    /// The frame of the engine's state now.
    pub(super) fn frame(&mut self, busy: Option<String>) -> Arc<Frame> {
        self.generation += 1;
        self.note_copies();
        self.say_late_records();
        let mut lines = Vec::with_capacity(self.height);
        for l in self.window.visible() {
            let new = l.is_record_start()
                && self.comparison.as_ref().is_some_and(|(comparison, _)| {
                    let format = self.window.merge().layout(l.record.source).format();
                    comparison.is_new(&l.text, format)
                });
            // A group's header may be any line of a source's first record.
            let fold = self.folds.mark(&(l.record.source, l.start));
            let mark = if l.is_record_start() && !self.marks.is_empty() {
                self.marks.letter_at(l.record.source, l.record.record.start)
            } else {
                None
            };
            lines.push(frame_line(l, fold, mark, new));
        }
        let total = self.window.merge().total_len();
        // Line numbers count what is shown: while a source is hidden or a
        // filter is on, its own pass counts (and the status bar says so).
        let line_number = self.top_line_number();
        let lines_of_shown = !self.lines_are_counted_as_shown();
        let (overview_progress, timeline, counts) = match &self.overview {
            Some(overview) => {
                let progress = match self.line_counter() {
                    Some(counter) if lines_of_shown => counter.progress(),
                    _ => overview.progress(),
                };
                (
                    progress,
                    overview.timeline(self.timeline_width),
                    overview.counts(),
                )
            }
            None => (None, None, None),
        };
        // Where the line numbers are known, the share is of the lines above
        // (in a merged stream, bytes are not where a user expects half-way).
        let percent = match line_number {
            _ if self.window.shows_end() => 100.0,
            Some((line, lines)) => (line - 1) as f64 * 100.0 / lines.max(1) as f64,
            None if total == 0 => 0.0,
            None => self.window.bytes_above_viewport() as f64 * 100.0 / total as f64,
        };
        Arc::new(Frame {
            lines,
            skip: self.window.skip(),
            sources: self.sources.clone(),
            top_time: self.top_ts().map(|t| format_in(t, &self.zones[0])),
            zone: self.zones[0].clone(),
            percent,
            line_number,
            lines_of_shown,
            overview_progress,
            at_start: self.window.shows_start(),
            at_end: self.window.shows_end(),
            message: self.current_message(),
            activity: self.activity.clone(),
            busy,
            timeline,
            counts,
            facets: self.overview.as_ref().and_then(|o| o.facets()),
            hidden_facets: self.hidden_facets.clone(),
            highlight: self.search.as_ref().map(|s| s.matcher.clone()),
            search: self.search_summary(),
            filters: self.filter_summary(),
            follow: self
                .follow
                .as_ref()
                .filter(|f| f.engaged)
                .map(|f| f.following),
            follow_finished: self.follow.as_ref().is_some_and(|f| f.finished()),
            focus: self.window.focus_row(),
            marks: self.mark_infos(),
            comparison: self.comparison.as_ref().map(|(_, lines)| lines.clone()),
            effect: self.effect.clone(),
            generation: self.generation,
        })
    }

    /// Once the overview has been through the sources: which of them hold
    /// records kept in file order beyond the reorder window, and how many
    /// records were shown once as copies of another source's, said once.
    fn say_late_records(&mut self) {
        if self.said_late || self.message.is_some() {
            return;
        }
        let Some(late) = self.overview.as_ref().and_then(|o| o.late()) else {
            return;
        };
        self.said_late = true;
        let copies = self
            .overview
            .as_ref()
            .and_then(|o| o.copies())
            .unwrap_or_default();
        let mut copied = Vec::new();
        let pairs = copies.pairs();
        // The status bar names a few; the help lists each source's.
        let named = pairs.len().min(STATUS_PAIRS);
        copied.extend(crate::merge::copies::describe_rest(&pairs[named..]));
        for (i, c) in pairs.iter().enumerate().take(named) {
            let name = |i: usize| self.sources.get(i).map_or("?", |s| s.tag.as_str());
            let said = crate::merge::copies::describe(c.records, name(c.copy_of));
            copied.insert(i, format!("{}: {said}", name(c.source)));
        }
        let window = (0..self.window.merge().source_count())
            .map(|i| self.window.merge().layout(i).order_params().window)
            .max()
            .unwrap_or(crate::record::order::DEFAULT_WINDOW);
        let said: Vec<String> = late
            .iter()
            .enumerate()
            .filter(|(_, &(records, _))| records > 0)
            .map(|(i, &(records, most))| {
                let name = self.sources.get(i).map_or("?", |s| s.tag.as_str());
                format!(
                    "{name}: {}",
                    crate::record::order::describe_late(records, most, window)
                )
            })
            .collect();
        let said: Vec<String> = copied.into_iter().chain(said).collect();
        if !said.is_empty() {
            self.message = Some(said.join("; "));
        }
    }

    /// Once the overview has been through the sources: what dedup left out
    /// of each, for the sources panel (`SourceInfo::copies`).
    fn note_copies(&mut self) {
        if self.copies_noted {
            return;
        }
        let Some(copies) = self.overview.as_ref().and_then(|o| o.copies()) else {
            return;
        };
        self.copies_noted = true;
        for c in copies.pairs() {
            let name = self.sources.get(c.copy_of).map_or("?", |s| s.tag.as_str());
            let said = crate::merge::copies::describe(c.records, name);
            if let Some(source) = self.sources.get_mut(c.source) {
                source.copies = Some(match source.copies.take() {
                    Some(before) => format!("{before}; {said}"),
                    None => said,
                });
            }
        }
    }

    /// The message to show now: a new one, or the last one for a while.
    fn current_message(&mut self) -> Option<String> {
        if let Some(new) = self.message.take() {
            self.shown_message = Some((new, Instant::now()));
        }
        match &self.shown_message {
            Some((text, since)) if since.elapsed() < MESSAGE_FOR => Some(text.clone()),
            _ => {
                self.shown_message = None;
                None
            }
        }
    }
}
