//! Airflow's log groups: `::group::Name` … `::endgroup::` sections (Airflow
//! 2.9+ and 3 write them around "Pre task execution logs" and "Post task
//! execution logs"; tasks print their own) fold to one line, as in the
//! Airflow UI.
//!
//! A group belongs to one source: folding hides that source's records
//! between the header and the end (the end included), through the merge's
//! predicate, so the records of other sources in its time span stay, and
//! paging across folds keeps the merge's exactly-once order. A group may
//! also begin or end inside a record: the API's answer for an Airflow 3
//! try starts with `::group::Log message source details`, the files it
//! read and `::endgroup::`, entries without a time: the source's preamble,
//! a record of its own. So headers are looked for on every line of the
//! first record too, the
//! header's own record is read line by line for the end first, and the
//! lines of a folded group inside a shown record are hidden by the window
//! ([`Window::set_hidden_lines`](crate::window::Window::set_hidden_lines)).
//! A group's end
//! is found by reading ahead from its header at most [`FOLD_REACH`] bytes of
//! its source ([`REMOTE_FOLD_REACH`] of a remote object); a longer (or
//! unfinished) group is shown open and marked so.
//! Groups are folded when found, which is before any of their lines is
//! drawn: the groups around every loaded line are looked for, not only
//! those whose header is loaded, so a jump lands on the same lines
//! whichever way it came. One shown open while it was being written keeps
//! open when its end arrives with the screen's top inside it (it is not
//! taken away under the reader's eyes).
//! A group whose header lies outside the viewer's `--since`/`--until` is
//! never folded: no header would show what the fold hid.
//! Searches and level jumps look through folds and open the group they land in.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;
use std::sync::Arc;

use super::Engine;
use crate::merge::{Cursor, Merge, MergedRecord, RecordPredicate};
use crate::record::timestamp::Nanos;
use crate::record::{Record, RecordReader};
use crate::search::filter::RecordFilter;

mod scan;

use scan::{group_name, scan_group, Markers};

/// How far past its header a group's end is looked for.
pub const FOLD_REACH: u64 = 16 * 1024 * 1024;

/// The same over a remote object, where it is a download on the engine's
/// thread: a group's end is looked for in the blocks around it.
pub const REMOTE_FOLD_REACH: u64 = 2 * 1024 * 1024;

/// Groups whose extent is remembered; beyond it the memory is dropped and
/// groups are found again as they are shown.
const KNOWN_MAX: usize = 4096;

/// What the view shows on a group's header line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoldMark {
    pub name: String,
    /// Lines inside the group, after the header (its end line included).
    pub lines: u64,
    pub folded: bool,
    /// No end within this many bytes of the header (or none yet): shown
    /// open. `None` for a group that folds.
    pub no_end_within: Option<u64>,
    /// Its source ends before the reach without the group's end: the end
    /// is not written yet (a followed task's group still running).
    pub no_end_yet: bool,
}

/// A group's extent in its source: from its header line (the key) to
/// its end.
#[derive(Clone, Debug)]
struct Group {
    name: String,
    /// Where the group ends (after its `::endgroup::` line, or the record
    /// that holds it); `None` when that lies beyond the reach or is not
    /// written yet.
    end: Option<u64>,
    lines: u64,
    /// How far its end was looked for.
    reach: u64,
    /// The source ended before the reach, without the end.
    ran_out: bool,
}

/// What a fold command does (`z` then a key, as in vim).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoldOp {
    /// `za`
    Toggle,
    /// `zo`
    Open,
    /// `zc`
    Close,
    /// `zR`
    OpenAll,
    /// `zM`
    CloseAll,
}

type Key = (usize, u64);

/// The groups seen and which are folded.
#[derive(Default)]
pub(super) struct Folds {
    known: HashMap<Key, Group>,
    /// `zR` was the last of `zR`/`zM`: groups are open unless closed.
    all_open: bool,
    /// Exceptions to the default: opened while folding, closed while open.
    toggled: HashSet<Key>,
    /// Bumped whenever a header's mark may have changed (groups found,
    /// forgotten, folded or opened), so rows are measured again only then.
    pub(super) changes: u64,
    /// Per source, the group markers read so far.
    markers: HashMap<usize, Markers>,
    /// Loaded record starts whose surrounding groups were looked for.
    looked_around: HashSet<Key>,
    /// Groups known without an end (still being written) when their
    /// source grew: one that ends now while the screen's top is inside it
    /// stays open (it is not taken away under the reader's eyes).
    were_open: HashSet<Key>,
    /// Groups whose header lies outside the viewer's `--since`/`--until`:
    /// never folded, since no header line would show what a fold hid.
    headless: HashSet<Key>,
}

impl Folds {
    fn is_folded(&self, key: &Key) -> bool {
        let Some(group) = self.known.get(key) else {
            return false;
        };
        group.end.is_some()
            && !self.headless.contains(key)
            && (self.all_open == self.toggled.contains(key))
    }

    /// The header line's mark for the record at `key`, if it opens a group.
    pub(super) fn mark(&self, key: &Key) -> Option<FoldMark> {
        let group = self.known.get(key)?;
        Some(FoldMark {
            name: group.name.clone(),
            lines: group.lines,
            folded: self.is_folded(key),
            no_end_within: group.end.is_none().then_some(group.reach),
            no_end_yet: group.end.is_none() && group.ran_out,
        })
    }

    /// The marks of every group header known, by record.
    pub(super) fn marks(&self) -> HashMap<Key, FoldMark> {
        self.known
            .keys()
            .filter_map(|key| Some((*key, self.mark(key)?)))
            .collect()
    }

    /// The folded groups of `source` around the record at `start`.
    fn folded_around(&self, source: usize, start: u64) -> impl Iterator<Item = Key> + '_ {
        self.known
            .iter()
            .filter(move |(key, g)| {
                key.0 == source && key.1 < start && g.end.is_some_and(|end| start < end)
            })
            .map(|(key, _)| *key)
            .filter(|key| self.is_folded(key))
    }

    /// The folded group of `source` that hides the record at `start`.
    fn folding(&self, source: usize, start: u64) -> Option<Key> {
        self.folded_around(source, start).next()
    }

    /// The outermost folded group of `source` that hides the record at
    /// `start`: the one whose header is shown.
    fn outermost_folding(&self, source: usize, start: u64) -> Option<Key> {
        self.folded_around(source, start).min_by_key(|key| key.1)
    }

    /// Sources grew: a group without an end may have one now.
    pub(super) fn sources_grew(&mut self) {
        let open = self.known.iter().filter(|(_, g)| g.end.is_none());
        self.were_open.extend(open.map(|(key, _)| *key));
        if self.were_open.len() > KNOWN_MAX {
            self.were_open.clear();
        }
        self.known.retain(|_, g| g.end.is_some());
        self.markers.clear();
        self.looked_around.clear();
        self.changes += 1;
    }

    /// The folded groups, less those inside another folded group: what
    /// they hide does not overlap, so the nearest header before a record
    /// tells whether it is hidden (an inner group's end is not where its
    /// outer one's body stops).
    pub(super) fn hidden_ranges(&self) -> BTreeMap<Key, u64> {
        let folded: BTreeMap<Key, u64> = self
            .known
            .iter()
            .filter(|(key, _)| self.is_folded(key))
            .filter_map(|(key, g)| Some((*key, g.end?)))
            .collect();
        let mut outer: Option<(usize, u64)> = None;
        folded
            .into_iter()
            .filter(|&((source, start), end)| {
                let inside = outer.is_some_and(|(s, e)| s == source && start < e);
                if !inside {
                    outer = Some((source, end));
                }
                !inside
            })
            .collect()
    }
}

/// What the window's merge shows: the filter's records, less the bodies of
/// folded groups.
struct Shown {
    filter: Option<RecordFilter>,
    /// Folded groups: (source, header start) → end.
    folded: BTreeMap<Key, u64>,
}

impl RecordPredicate for Shown {
    fn accepts(
        &self,
        source: usize,
        reader: &mut RecordReader,
        record: &Record,
    ) -> io::Result<bool> {
        let hidden = self
            .folded
            .range(..(source, record.start))
            .next_back()
            .is_some_and(|(&(s, _), &end)| s == source && record.start < end);
        if hidden {
            return Ok(false);
        }
        match &self.filter {
            Some(filter) => filter.accepts(source, reader, record),
            None => Ok(true),
        }
    }
}

impl Engine {
    /// The predicate the window's merge shows through: filters and folds.
    pub(super) fn shown_predicate(&self) -> Option<Arc<dyn RecordPredicate>> {
        let filter = (!self.filter.is_empty()).then(|| self.filter.clone());
        let folded = self.folds.hidden_ranges();
        if filter.is_none() && folded.is_empty() {
            return None;
        }
        Some(Arc::new(Shown { filter, folded }))
    }

    /// A fork of the window's merge that looks through folds (searches,
    /// level jumps, hit counts, saves): only the filters apply.
    pub(super) fn unfolded_fork(&self) -> Merge {
        let mut fork = self.window.merge().fork();
        let filter: Option<Arc<dyn RecordPredicate>> = (!self.filter.is_empty())
            .then(|| Arc::new(self.filter.clone()) as Arc<dyn RecordPredicate>);
        fork.set_predicate(filter);
        fork
    }

    /// Finds the groups around what the window has loaded and folds the
    /// new ones, before any of their lines is drawn, so that a group is
    /// folded however the screen came to it (down from its header, up
    /// from its end, a jump or `G` into its middle, a line of it placed
    /// by its time far from both): headers among the loaded lines (a
    /// header is a record's first line, or any line of a source's first
    /// record, its preamble when it has one), and
    /// the headers before each loaded record whose group it lies in
    /// (`Markers`: read back once per stretch, as far as a group that
    /// folds can begin). Folding reads the window again, which may load
    /// more lines: looked at again, a few times at most. `true` when what
    /// is shown changed.
    pub(super) fn discover_groups(&mut self) -> io::Result<bool> {
        let mut changed = false;
        for _ in 0..4 {
            if !self.discover_once()? {
                break;
            }
            changed = true;
        }
        Ok(changed)
    }

    fn discover_once(&mut self) -> io::Result<bool> {
        let (loaded, viewport) = self.window.loaded();
        let top = loaded.get(viewport).map(|l| (l.record.source, l.start));
        let marked = loaded
            .iter()
            .filter(|l| l.is_record_start() || l.record.record.start == 0);
        // (source, header line start, its next line, its record's end and
        // time, name)
        let mut headers: Vec<(usize, u64, u64, u64, Option<Nanos>, String)> = marked
            .clone()
            .filter(|l| !self.folds.known.contains_key(&(l.record.source, l.start)))
            .filter_map(|l| {
                let name = group_name(&l.text)?;
                let record = &l.record.record;
                Some((
                    l.record.source,
                    l.start,
                    l.next,
                    record.end,
                    record.ts,
                    name,
                ))
            })
            .collect();
        let unseen: Vec<Key> = marked
            .map(|l| (l.record.source, l.start))
            .filter(|key| !self.folds.looked_around.contains(key))
            .collect();
        if self.folds.looked_around.len() + unseen.len() > 4 * KNOWN_MAX {
            self.folds.looked_around.clear();
        }
        for &(source, at) in &unseen {
            let layout = self.window.merge().layout(source);
            let markers = self.folds.markers.entry(source).or_default();
            for h in markers.headers_around(layout, at)? {
                let key = (source, h.line_start);
                if !self.folds.known.contains_key(&key)
                    && !headers.iter().any(|x| (x.0, x.1) == key)
                {
                    headers.push((
                        source,
                        h.line_start,
                        h.line_next,
                        h.record_end,
                        h.record_ts,
                        h.name,
                    ));
                }
            }
        }
        self.folds.looked_around.extend(unseen);
        if headers.is_empty() {
            return Ok(false);
        }
        self.folds.changes += 1;
        if self.folds.known.len() + headers.len() > KNOWN_MAX {
            // Forget the groups seen so far; those around the screen are
            // found again.
            self.folds.known.clear();
            self.folds.headless.clear();
            self.folds.looked_around.clear();
            if self.folds.toggled.len() > KNOWN_MAX {
                // And, past as many, which were opened or closed by hand.
                self.folds.toggled.clear();
            }
        }
        let mut changed = false;
        for (source, line_start, line_next, record_end, record_ts, name) in headers {
            let layout = self.window.merge().layout(source);
            let group = scan_group(layout, record_end, line_next, name)?;
            let key = (source, line_start);
            let holds_top = top.is_some_and(|(s, start)| {
                s == source && start > key.1 && group.end.is_none_or(|end| start < end)
            });
            let folds = group.end.is_some();
            self.folds.known.insert(key, group);
            if !self.window.merge().in_bounds(record_ts) {
                self.folds.headless.insert(key);
            }
            if self.folds.were_open.remove(&key) && holds_top && !self.folds.all_open {
                // It was shown open while being written and ends now, with
                // the reader looking at its lines: it stays open.
                self.folds.toggled.insert(key);
            }
            changed |= folds && self.folds.is_folded(&key);
        }
        if changed {
            self.refresh_shown()?;
        }
        Ok(changed)
    }

    /// What the window shows from now on: the merge's predicate (filters,
    /// folded records) and the lines of folded groups inside shown records.
    pub(super) fn apply_shown(&mut self) {
        let predicate = self.shown_predicate();
        self.window.merge_mut().set_predicate(predicate);
        self.window.set_hidden_lines(self.folds.hidden_ranges());
    }

    /// Applies the folds (and filters) to the window, keeping its place.
    fn refresh_shown(&mut self) -> io::Result<()> {
        self.apply_shown();
        self.window.reload()
    }

    /// `z` + key on the focused line: its group (the header, or the open
    /// group the line is in), or all groups.
    pub(super) fn fold(&mut self, op: FoldOp) -> io::Result<()> {
        self.folds.changes += 1;
        match op {
            FoldOp::OpenAll | FoldOp::CloseAll => {
                self.folds.all_open = op == FoldOp::OpenAll;
                self.folds.toggled.clear();
                self.message = Some(
                    if op == FoldOp::OpenAll {
                        "all groups open"
                    } else {
                        "all groups folded"
                    }
                    .into(),
                );
                return self.refresh_shown();
            }
            _ => {}
        }
        let Some(line) = self.window.focused() else {
            return Ok(());
        };
        let (source, start) = (line.record.source, line.start);
        let header = if self.folds.known.contains_key(&(source, start)) {
            Some((source, start))
        } else {
            // The innermost open group around the focused record.
            self.folds
                .known
                .iter()
                .filter(|(key, g)| {
                    key.0 == source && key.1 < start && g.end.is_some_and(|end| start < end)
                })
                .map(|(key, _)| *key)
                .max_by_key(|key| key.1)
        };
        let Some(key) = header else {
            self.message = Some("not in a ::group:: section".into());
            return Ok(());
        };
        if let Some(group) = self.folds.known.get(&key).filter(|g| g.end.is_none()) {
            self.message = Some(format!(
                "this group has no end within {} MiB (or none yet): it stays open",
                group.reach >> 20
            ));
            return Ok(());
        }
        let folded = self.folds.is_folded(&key);
        let fold = match op {
            FoldOp::Toggle => !folded,
            FoldOp::Open => false,
            _ => true,
        };
        if fold != folded && !self.folds.toggled.remove(&key) {
            self.folds.toggled.insert(key);
        }
        self.apply_shown();
        if fold && key.1 != start {
            // Closing from inside: the header takes the focus.
            let header = self.window.merge_mut().record_containing(key.0, key.1)?;
            if let Some(record) = header {
                return self.window.jump_to_record(MergedRecord { source, record });
            }
        }
        self.window.reload()
    }

    /// Jumps to `cursor` (a line number's, a time's, a level's record)
    /// showing the record just below it even inside a folded group: the
    /// groups around it are found now (found after the jump, a group
    /// would fold over it and the screen land after the group), and the
    /// one hiding it is opened, as a search landing there does, when
    /// `open` — a line or a record asked for — or else (a time: the
    /// stream shown stays the folded one) its header is shown on top. The
    /// record, if any.
    pub(super) fn jump_into_folds(
        &mut self,
        cursor: &Cursor,
        open: bool,
    ) -> io::Result<Option<MergedRecord>> {
        let mut fork = self.unfolded_fork();
        fork.seek(cursor);
        // A source failing here is the window's read to report.
        let found = fork.next_record().ok().flatten();
        self.window.jump_to_cursor(cursor)?;
        let Some(found) = found else {
            return Ok(None);
        };
        self.discover_groups()?;
        if open {
            if self.reveal(found.source, found.record.start) {
                self.window.jump_to_cursor(cursor)?;
            }
        } else if let Some(key) = self
            .folds
            .outermost_folding(found.source, found.record.start)
        {
            let header = self.window.merge_mut().record_containing(key.0, key.1)?;
            if let Some(record) = header {
                self.window.jump_to_record(MergedRecord {
                    source: key.0,
                    record,
                })?;
            }
            // The screen may not move (the header was on top already):
            // say where the time went.
            if let Some(group) = self.folds.known.get(&key) {
                self.message = Some(format!(
                    "that time is inside the folded group '{}' (zo opens it)",
                    group.name
                ));
            }
        }
        Ok(Some(found))
    }

    /// Opens the folded group that hides the line (or record) at `start`
    /// of `source` (a search or level jump landed there); `true` if one was.
    pub(super) fn reveal(&mut self, source: usize, start: u64) -> bool {
        let mut opened = false;
        self.folds.changes += 1;
        while let Some(key) = self.folds.folding(source, start) {
            if !self.folds.toggled.remove(&key) {
                self.folds.toggled.insert(key);
            }
            opened = true;
        }
        if opened {
            self.apply_shown();
        }
        opened
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::in_memory as layout;

    #[test]
    fn folded_bodies_are_hidden_in_their_own_source_only() {
        let layout = layout("2024-12-20T10:00:00Z x\n");
        let shown = Shown {
            filter: None,
            folded: [((0, 100), 200)].into_iter().collect(),
        };
        let record = |start, end| Record {
            ts: Some(0),
            key: 0,
            chunk: 0,
            late: false,
            start,
            end,
            level: crate::record::Level::Unknown,
            crlf: false,
        };
        let accepts = |source, start| {
            shown
                .accepts(source, &mut layout.reader(4096), &record(start, start + 10))
                .expect("accepts")
        };
        assert!(accepts(0, 100), "the header stays");
        assert!(!accepts(0, 150), "the body goes");
        assert!(!accepts(0, 190), "the end goes");
        assert!(accepts(0, 200), "what follows stays");
        assert!(accepts(1, 150), "another source's records stay");
    }
}
