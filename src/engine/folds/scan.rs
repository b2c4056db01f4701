//! Reading a source for group markers: a group's end, ahead of its header
//! (at most the reach), and the headers of the groups around a place,
//! behind it (as far back as a group that folds can begin).

use std::io;

use memchr::memmem;

use super::{Group, FOLD_REACH, REMOTE_FOLD_REACH};
use crate::record::timestamp::Nanos;
use crate::record::RecordLayout;
use crate::source::count_newlines;

/// Bytes of a record's first line looked at for a group marker.
const MARKER_SCAN: usize = 1024;

const GROUP: &[u8] = b"::group::";
const END_GROUP: &[u8] = b"::endgroup::";

/// Bytes read at a time looking back for headers.
const BACK_BLOCK: u64 = 1024 * 1024;

/// How far past its header a group's end is looked for in this source.
fn reach_of(layout: &RecordLayout) -> u64 {
    if layout.source().is_remote() {
        REMOTE_FOLD_REACH
    } else {
        FOLD_REACH
    }
}

/// The group name after `::group::` in a header line (up to the quote that
/// ends it in a JSON line).
pub(super) fn group_name(line: &[u8]) -> Option<String> {
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
pub(super) fn marker(line: &[u8]) -> Option<bool> {
    if memchr::memmem::find(line, END_GROUP).is_some() {
        Some(false)
    } else if memchr::memmem::find(line, GROUP).is_some() {
        Some(true)
    } else {
        None
    }
}

/// Reads ahead from a header line (the next line starting at
/// `line_next`, in the header's record, which ends at `header_end`) for
/// its group's end: first the rest
/// of the header's record line by line, then record by record.
pub(super) fn scan_group(
    layout: &RecordLayout,
    header_end: u64,
    line_next: u64,
    name: String,
) -> io::Result<Group> {
    let mut reader = layout.file_reader(64 * 1024);
    let mut buf = vec![0u8; MARKER_SCAN];
    let reach = reach_of(layout);
    let mut depth = 1u32;
    let mut at = line_next;
    while at < header_end && at - line_next < reach {
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
        at = line.next.min(header_end);
        if depth == 0 {
            // It ends inside the header's record.
            let lines = count_newlines(layout.source().as_ref(), line_next, at)?;
            return Ok(Group {
                name,
                end: Some(at),
                lines,
                reach,
                ran_out: false,
            });
        }
    }
    let mut at = header_end;
    let mut ran_out = false;
    while at - header_end < reach {
        let Some(record) = reader.record_at(at)? else {
            ran_out = true;
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
                ran_out: false,
            });
        }
    }
    Ok(Group {
        name,
        end: None,
        reach,
        ran_out,
        lines: count_newlines(layout.source().as_ref(), line_next, at.max(line_next))?,
    })
}

/// A group header found by looking back.
#[derive(Clone, Debug)]
pub(super) struct Header {
    pub line_start: u64,
    pub line_next: u64,
    /// The end of the record holding it.
    pub record_end: u64,
    /// The time of the record holding it.
    pub record_ts: Option<Nanos>,
    pub name: String,
}

/// A marker line found looking back: a header, or an end (`None`).
type Marker = Option<Header>;

/// Most markers remembered per source before the memory is dropped.
const MARKERS_MAX: usize = 16 * 1024;

/// The group markers of one source in the stretches read so far, so that
/// the groups around any loaded line are found without reading again:
/// markers are few, the stretches they lie in are read once.
#[derive(Default)]
pub(super) struct Markers {
    /// Stretches `[lo, hi)` read, merged, by `lo`.
    read: std::collections::BTreeMap<u64, u64>,
    /// Marker lines in them, by line start.
    found: std::collections::BTreeMap<u64, Marker>,
}

impl Markers {
    /// The headers of the groups around `at` (headers before it whose
    /// end is not before it: the groups a line starting at `at` lies in),
    /// innermost first, as far back as a group that folds can begin (its
    /// end within the reach of its header). Markers count where the
    /// forward scan counts them: on a record's first line or a line of the
    /// source's first record, within its first [`MARKER_SCAN`] bytes.
    pub(super) fn headers_around(
        &mut self,
        layout: &RecordLayout,
        at: u64,
    ) -> io::Result<Vec<Header>> {
        let lo = at.saturating_sub(reach_of(layout));
        self.read_between(layout, lo, at)?;
        let mut depth = 0u32;
        let mut headers = Vec::new();
        for marker in self.found.range(lo..at).rev().map(|(_, m)| m) {
            match marker {
                None => depth += 1,
                Some(_) if depth > 0 => depth -= 1,
                Some(header) => headers.push(header.clone()),
            }
        }
        Ok(headers)
    }

    /// Reads what was not read yet of `[lo, hi)`.
    fn read_between(&mut self, layout: &RecordLayout, lo: u64, hi: u64) -> io::Result<()> {
        if lo >= hi {
            return Ok(());
        }
        let mut gaps = Vec::new();
        let mut at = lo;
        let before = self.read.range(..=lo).next_back().map(|(&l, &h)| (l, h));
        for (l, h) in before
            .into_iter()
            .chain(self.read.range(lo + 1..hi).map(|(&l, &h)| (l, h)))
        {
            if l > at {
                gaps.push((at, l.min(hi)));
            }
            at = at.max(h);
        }
        if at < hi {
            gaps.push((at, hi));
        }
        if self.found.len() > MARKERS_MAX {
            self.read.clear();
            self.found.clear();
            gaps = vec![(lo, hi)];
        }
        for (from, to) in gaps {
            self.scan(layout, from, to)?;
            self.note_read(from, to);
        }
        Ok(())
    }

    fn note_read(&mut self, mut lo: u64, mut hi: u64) {
        let touching: Vec<(u64, u64)> = self
            .read
            .range(..=hi)
            .filter(|&(_, &h)| h >= lo)
            .map(|(&l, &h)| (l, h))
            .collect();
        for (l, h) in touching {
            self.read.remove(&l);
            lo = lo.min(l);
            hi = hi.max(h);
        }
        self.read.insert(lo, hi);
    }

    /// Finds the marker lines with a marker starting in `[lo, hi)`: the
    /// bytes are searched in 1 MiB blocks for `group::` (the tail of both
    /// markers); a line is looked at only around a hit.
    fn scan(&mut self, layout: &RecordLayout, lo: u64, hi: u64) -> io::Result<()> {
        let tail = &GROUP[2..];
        let finder = memmem::Finder::new(tail);
        let mut reader = layout.file_reader(64 * 1024);
        let mut buf = vec![0u8; (BACK_BLOCK.min(hi - lo)) as usize + tail.len()];
        let mut from = lo;
        while from < hi {
            let to = (from + BACK_BLOCK).min(hi);
            // Hits that start before `to`, whole.
            let want = (to - from) as usize + tail.len() - 1;
            let n = layout.source().read_full_at(from, &mut buf[..want])?;
            let hits: Vec<u64> = finder
                .find_iter(&buf[..n])
                .map(|p| from + p as u64)
                .filter(|&p| p < to)
                .collect();
            for hit in hits {
                self.look_at(layout, &mut reader, hit)?;
            }
            from = to;
        }
        Ok(())
    }

    /// Notes the line holding a `group::` at `hit`, if it is a marker line.
    fn look_at(
        &mut self,
        layout: &RecordLayout,
        reader: &mut crate::record::file_order::FileReader,
        hit: u64,
    ) -> io::Result<()> {
        // The line holding the hit (`line_before` ends it at the hit).
        let Some(start) = reader.lines().line_before(hit + 1)?.map(|l| l.start) else {
            return Ok(());
        };
        if self.found.contains_key(&start) || hit - start >= MARKER_SCAN as u64 {
            return Ok(());
        }
        let Some(line) = reader.lines().line_at(start)? else {
            return Ok(());
        };
        let mut head = [0u8; MARKER_SCAN];
        let len = (line.end - line.start).min(MARKER_SCAN as u64) as usize;
        let len = layout.source().read_full_at(line.start, &mut head[..len])?;
        let Some(opens) = marker(&head[..len]) else {
            return Ok(());
        };
        let Some(record) = reader.record_containing(line.start)? else {
            return Ok(());
        };
        if record.start != line.start && record.start != 0 {
            // A marker in a continuation line is no group's.
            return Ok(());
        }
        let header = opens.then(|| Header {
            line_start: line.start,
            line_next: line.next,
            record_end: record.end,
            record_ts: record.ts,
            name: group_name(&head[..len]).unwrap_or_default(),
        });
        self.found.insert(line.start, header);
        Ok(())
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
        let group = scan_group(&layout, header.end, header.end, "Outer".into()).expect("scan");
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
            scan_group(&layout, header.end, header.end, "Running".into())
                .expect("scan")
                .end,
            None
        );
    }

    #[test]
    fn the_apis_source_details_group_ends_inside_the_first_record() {
        // The REST API's answer: entries without a time (a record of their
        // own, the source's preamble), then the first timed one.
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
        assert_eq!(
            first.end, pre_execute,
            "the preamble holds the untimed lines"
        );
        let line_end = |at: u64| text[at as usize..].find('\n').expect("a line") as u64 + at + 1;

        let details = scan_group(&layout, first.end, line_end(0), "details".into()).expect("scan");
        assert_eq!(
            details.end,
            Some(pre_execute),
            "it ends at its own ::endgroup:: line"
        );
        assert_eq!(details.lines, 2, "the file it read and its end");

        let pre_record = line_end(pre_execute);
        let pre =
            scan_group(&layout, pre_record, line_end(pre_execute), "Pre".into()).expect("scan");
        let after = text
            .find(r#"{"timestamp":"2026-12-07T04:07:46"#)
            .expect("after") as u64;
        assert_eq!(pre.end, Some(after), "Pre Execute goes on past its record");
        assert_eq!(pre.lines, 2);
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

    #[test]
    fn the_groups_around_a_place_are_found_looking_back() {
        let text = "2024-12-20T10:00:00Z ::group::Outer\n\
                    2024-12-20T10:00:01Z a\n  ::group::in a continuation line\n\
                    2024-12-20T10:00:02Z ::group::Done\n\
                    2024-12-20T10:00:03Z b\n\
                    2024-12-20T10:00:04Z ::endgroup::\n\
                    2024-12-20T10:00:05Z ::group::Inner\n\
                    2024-12-20T10:00:06Z here\n\
                    2024-12-20T10:00:07Z ::endgroup::\n\
                    2024-12-20T10:00:08Z ::endgroup::\n\
                    2024-12-20T10:00:09Z after\n";
        let layout = layout(text);
        let at = |needle: &str| text.find(needle).expect("in the text") as u64;
        let mut markers = Markers::default();
        let names =
            |headers: Vec<Header>| -> Vec<String> { headers.into_iter().map(|h| h.name).collect() };
        let around = markers
            .headers_around(&layout, at("2024-12-20T10:00:06Z"))
            .expect("read");
        assert_eq!(
            names(around),
            ["Inner", "Outer"],
            "innermost first; a group that ended before is not around it, nor a marker in a continuation line"
        );
        let header = markers
            .headers_around(&layout, at("2024-12-20T10:00:06Z"))
            .expect("read again")
            .pop()
            .expect("Outer");
        assert_eq!(header.line_start, 0);
        assert_eq!(header.line_next, at("2024-12-20T10:00:01Z"));
        assert_eq!(
            names(
                markers
                    .headers_around(&layout, at("2024-12-20T10:00:09Z"))
                    .expect("read")
            ),
            Vec::<String>::new(),
            "after both ends"
        );
        assert_eq!(
            names(
                markers
                    .headers_around(&layout, at("2024-12-20T10:00:08Z"))
                    .expect("read")
            ),
            ["Outer"],
            "its end line lies in it"
        );
    }
}
