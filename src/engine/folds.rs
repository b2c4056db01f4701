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
//! read and `::endgroup::`, entries without a time that are lines of the
//! first record (with the first timed line, `::group::Pre Execute`). So
//! headers are looked for on every line of the first record too, the
//! header's own record is read line by line for the end first, and the
//! lines of a folded group inside a shown record are hidden by the window
//! ([`Window::set_hidden_lines`](crate::window::Window::set_hidden_lines)).
//! A group's end
//! is found by reading ahead from its header at most [`FOLD_REACH`] bytes of
//! its source ([`REMOTE_FOLD_REACH`] of a remote object); a longer (or
//! unfinished) group is shown open and marked so.
//! Groups are folded when first seen on screen, except one the screen's top
//! line is already inside (it is not taken away under the reader's eyes).
//! Searches and level jumps look through folds and open the group they land in.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;
use std::sync::Arc;

use super::Engine;
use crate::merge::{Merge, MergedRecord, RecordPredicate};
use crate::record::{Record, RecordLayout, RecordReader};
use crate::search::filter::RecordFilter;
use crate::source::count_newlines;

/// How far past its header a group's end is looked for.
pub const FOLD_REACH: u64 = 16 * 1024 * 1024;

/// The same over a remote object, where it is a download on the engine's
/// thread: a group's end is looked for in the blocks around it.
pub const REMOTE_FOLD_REACH: u64 = 2 * 1024 * 1024;

/// Groups whose extent is remembered; beyond it the memory is dropped and
/// groups are found again as they are shown.
const KNOWN_MAX: usize = 4096;

/// Bytes of a record's first line looked at for a group marker.
const MARKER_SCAN: usize = 1024;

const GROUP: &[u8] = b"::group::";
const END_GROUP: &[u8] = b"::endgroup::";

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
}

impl Folds {
    fn is_folded(&self, key: &Key) -> bool {
        let Some(group) = self.known.get(key) else {
            return false;
        };
        group.end.is_some() && (self.all_open == self.toggled.contains(key))
    }

    /// The header line's mark for the record at `key`, if it opens a group.
    pub(super) fn mark(&self, key: &Key) -> Option<FoldMark> {
        let group = self.known.get(key)?;
        Some(FoldMark {
            name: group.name.clone(),
            lines: group.lines,
            folded: self.is_folded(key),
            no_end_within: group.end.is_none().then_some(group.reach),
        })
    }

    /// The marks of every group header known, by record.
    pub(super) fn marks(&self) -> HashMap<Key, FoldMark> {
        self.known
            .keys()
            .filter_map(|key| Some((*key, self.mark(key)?)))
            .collect()
    }

    /// The folded group of `source` that hides the record at `start`.
    fn folding(&self, source: usize, start: u64) -> Option<Key> {
        self.known
            .iter()
            .filter(|(key, g)| {
                key.0 == source && key.1 < start && g.end.is_some_and(|end| start < end)
            })
            .map(|(key, _)| *key)
            .find(|key| self.is_folded(key))
    }

    /// Sources grew: a group without an end may have one now.
    pub(super) fn sources_grew(&mut self) {
        self.known.retain(|_, g| g.end.is_some());
        self.changes += 1;
    }

    pub(super) fn hidden_ranges(&self) -> BTreeMap<Key, u64> {
        self.known
            .iter()
            .filter(|(key, _)| self.is_folded(key))
            .filter_map(|(key, g)| Some((*key, g.end?)))
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

/// The group name after `::group::` in a header line (up to the quote that
/// ends it in a JSON line).
fn group_name(line: &[u8]) -> Option<String> {
    let at = memchr::memmem::find(line, GROUP)? + GROUP.len();
    let rest = &line[at..];
    let end = rest
        .iter()
        .position(|&b| b == b'\n' || b == b'"')
        .unwrap_or(rest.len());
    Some(String::from_utf8_lossy(&rest[..end]).trim().to_string())
}

/// The start of the first line of the record at `start`.
fn first_line(layout: &RecordLayout, start: u64, buf: &mut [u8]) -> io::Result<usize> {
    let n = layout.source().read_at(start, buf)?;
    Ok(memchr::memchr(b'\n', &buf[..n]).unwrap_or(n))
}

/// How one line changes the depth of groups: `Some(true)` opens one,
/// `Some(false)` ends one.
fn marker(line: &[u8]) -> Option<bool> {
    if memchr::memmem::find(line, END_GROUP).is_some() {
        Some(false)
    } else if memchr::memmem::find(line, GROUP).is_some() {
        Some(true)
    } else {
        None
    }
}

/// Reads ahead from a header line (the next line starting at
/// `line_next`, in `header`'s record) for its group's end: first the rest
/// of the header's record line by line, then record by record.
fn scan_group(
    layout: &RecordLayout,
    header: &Record,
    line_next: u64,
    name: String,
) -> io::Result<Group> {
    let mut reader = layout.file_reader(64 * 1024);
    let mut buf = vec![0u8; MARKER_SCAN];
    let reach = if layout.source().is_remote() {
        REMOTE_FOLD_REACH
    } else {
        FOLD_REACH
    };
    let mut depth = 1u32;
    let mut at = line_next;
    while at < header.end && at - line_next < reach {
        let Some(line) = reader.lines().line_at(at)? else {
            break;
        };
        let n = layout.source().read_at(
            line.start,
            &mut buf[..line.len().min(MARKER_SCAN as u64) as usize],
        )?;
        match marker(&buf[..n]) {
            Some(false) => depth -= 1,
            Some(true) => depth += 1,
            None => {}
        }
        at = line.next.min(header.end);
        if depth == 0 {
            // It ends inside the header's record.
            let lines = count_newlines(layout.source().as_ref(), line_next, at)?;
            return Ok(Group {
                name,
                end: Some(at),
                lines,
                reach,
            });
        }
    }
    let mut at = header.end;
    while at - header.end < reach {
        let Some(record) = reader.record_at(at)? else {
            break;
        };
        let n = first_line(layout, record.start, &mut buf)?;
        match marker(&buf[..n]) {
            Some(false) => depth -= 1,
            Some(true) => depth += 1,
            None => {}
        }
        at = record.end;
        if depth == 0 {
            let lines = count_newlines(layout.source().as_ref(), line_next, at)?;
            return Ok(Group {
                name,
                end: Some(at),
                lines,
                reach,
            });
        }
    }
    Ok(Group {
        name,
        end: None,
        reach,
        lines: count_newlines(layout.source().as_ref(), line_next, at.max(line_next))?,
    })
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

    /// Finds the groups whose headers are loaded and not yet known, and
    /// folds the new ones (unless the screen's top line is inside one).
    /// A header is a record's first line, or any line of a source's first
    /// record (lines before its first timestamp belong to it).
    /// `true` when what is shown changed.
    pub(super) fn discover_groups(&mut self) -> io::Result<bool> {
        let (loaded, viewport) = self.window.loaded();
        let top = loaded.get(viewport).map(|l| (l.record.source, l.start));
        let headers: Vec<(MergedRecord, (u64, u64), String)> = loaded
            .iter()
            .filter(|l| l.is_record_start() || l.record.record.start == 0)
            .filter(|l| !self.folds.known.contains_key(&(l.record.source, l.start)))
            .filter_map(|l| Some((l.record, (l.start, l.next), group_name(&l.text)?)))
            .collect();
        if headers.is_empty() {
            return Ok(false);
        }
        self.folds.changes += 1;
        if self.folds.known.len() + headers.len() > KNOWN_MAX {
            // Forget the groups seen so far; those on screen are found again.
            self.folds.known.clear();
            if self.folds.toggled.len() > KNOWN_MAX {
                // And, past as many, which were opened or closed by hand.
                self.folds.toggled.clear();
            }
        }
        let mut changed = false;
        for (header, (line_start, line_next), name) in headers {
            let layout = self.window.merge().layout(header.source);
            let group = scan_group(layout, &header.record, line_next, name)?;
            let key = (header.source, line_start);
            let holds_top = top.is_some_and(|(source, start)| {
                source == header.source && start > key.1 && group.end.is_none_or(|end| start < end)
            });
            let folds = group.end.is_some();
            self.folds.known.insert(key, group);
            if holds_top && !self.folds.all_open {
                // Open: the reader is looking at its lines.
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
    fn a_group_ends_at_its_own_endgroup_past_nested_ones() {
        let text = "2024-12-20T10:00:00Z ::group::Outer\n\
                    2024-12-20T10:00:01Z a\n  continued\n\
                    2024-12-20T10:00:02Z ::group::Inner\n\
                    2024-12-20T10:00:03Z b\n\
                    2024-12-20T10:00:04Z ::endgroup::\n\
                    2024-12-20T10:00:05Z ::endgroup::\n\
                    2024-12-20T10:00:06Z after\n";
        let layout = layout(text);
        let mut reader = layout.reader(4096);
        let header = reader
            .record_at(crate::record::Pos::START)
            .expect("read")
            .expect("a record");
        let group = scan_group(&layout, &header, header.end, "Outer".into()).expect("scan");
        let end = text.find("2024-12-20T10:00:06Z").expect("after") as u64;
        assert_eq!(group.end, Some(end));
        assert_eq!(
            group.lines, 6,
            "the lines after the header, its end included"
        );

        // No end in the source: open, and marked so.
        let open = "2024-12-20T10:00:00Z ::group::Running\n2024-12-20T10:00:01Z a\n";
        let layout = self::layout(open);
        let header = layout
            .reader(4096)
            .record_at(crate::record::Pos::START)
            .expect("read")
            .expect("a record");
        assert_eq!(
            scan_group(&layout, &header, header.end, "Running".into())
                .expect("scan")
                .end,
            None
        );
    }

    #[test]
    fn the_apis_source_details_group_ends_inside_the_first_record() {
        // The REST API's answer: entries without a time, then the first
        // timed one, all lines of the first record.
        let text = concat!(
            r#"{"timestamp":null,"event":"::group::Log message source details"}"#,
            "\n",
            r#"{"timestamp":null,"event":"/logs/attempt=1.log"}"#,
            "\n",
            r#"{"timestamp":null,"event":"::endgroup::"}"#,
            "\n",
            r#"{"timestamp":"2026-12-07T04:07:40.355219Z","event":"::group::Pre Execute","level":"info"}"#,
            "\n",
            r#"{"timestamp":"2026-12-07T04:07:45.232877Z","event":"DAG bundles loaded","level":"info"}"#,
            "\n",
            r#"{"timestamp":"2026-12-07T04:07:45.795949Z","event":"::endgroup::","level":"info"}"#,
            "\n",
            r#"{"timestamp":"2026-12-07T04:07:46.000000Z","event":"after","level":"info"}"#,
            "\n",
        );
        let layout = layout(text);
        let first = layout
            .reader(4096)
            .record_at(crate::record::Pos::START)
            .expect("read")
            .expect("a record");
        let pre_execute = text
            .find(r#"{"timestamp":"2026-12-07T04:07:40"#)
            .expect("Pre") as u64;
        assert_eq!(first.start, 0);
        assert!(first.end > pre_execute, "one record holds all four lines");
        let line_end = |at: u64| text[at as usize..].find('\n').expect("a line") as u64 + at + 1;

        let details = scan_group(&layout, &first, line_end(0), "details".into()).expect("scan");
        assert_eq!(
            details.end,
            Some(pre_execute),
            "it ends at its own ::endgroup:: line"
        );
        assert_eq!(details.lines, 2, "the file it read and its end");

        let pre = scan_group(&layout, &first, line_end(pre_execute), "Pre".into()).expect("scan");
        let after = text
            .find(r#"{"timestamp":"2026-12-07T04:07:46"#)
            .expect("after") as u64;
        assert_eq!(pre.end, Some(after), "Pre Execute goes on past its record");
        assert_eq!(pre.lines, 2);
    }

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

    #[test]
    fn names_of_text_and_json_headers() {
        assert_eq!(
            group_name(
                b"[2024-12-20T10:00:00.057+0000] {x.py:88} INFO - ::group::Pre task execution logs"
            ),
            Some("Pre task execution logs".into())
        );
        assert_eq!(
            group_name(br#"{"timestamp":"2025-01-01T00:00:00Z","event":"::group::Post task execution logs","level":"info"}"#),
            Some("Post task execution logs".into())
        );
        assert_eq!(group_name(b"INFO - ::endgroup::"), None);
        assert_eq!(group_name(b"nothing here"), None);
    }
}
