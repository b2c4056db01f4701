//! What changed between two logs (issue 30): the records whose *template*
//! a baseline never had, and the templates that vanished or changed their
//! count a lot.
//!
//! A record's template is its message (`template`: a JSON line's `event`,
//! a text line after its timestamp) with numbers, ids, hashes, times and
//! durations masked, and the places where the baseline's words vary made
//! wildcards (`table`). The baseline is read once, in file order, block by
//! block, into bounded tables of places and templates with their counts;
//! then the sources compared are counted the same way. Nothing is kept
//! per record: the viewer and `--only-new` ask [`Comparison::is_new`] of
//! each record's first line as they read it.

pub mod table;
pub mod template;

use std::io;
use std::sync::Arc;

use crate::merge::{Merge, MergedRecord, RecordPredicate};
use crate::record::format::TsFormat;
use crate::record::{Record, RecordLayout, RecordReader};
use crate::source::count;
use table::{Counted, Places, Table, CAPACITY, PLACES};
use template::{masked_text, message, Words};

/// Bytes read at a time while counting.
const BLOCK: usize = 1 << 20;

/// A count changed "a lot" when it is this many times the expected one
/// (or a this-th of it) …
const CHANGE_FACTOR: f64 = 4.0;
/// … and differs from it by at least this many records.
const CHANGE_FLOOR: f64 = 10.0;

/// A baseline learned and the sources compared with it counted.
pub struct Comparison {
    places: Places,
    table: Table,
    /// What the baseline is, as the summary names it (`try 2`, a file).
    pub baseline: String,
    pub baseline_records: u64,
    pub compared_records: u64,
}

impl Comparison {
    /// Reads every record of the baseline's sources once and learns their
    /// templates.
    pub fn learn(baseline: String, layouts: &[RecordLayout]) -> io::Result<Self> {
        let mut places = Places::default();
        let mut table = Table::default();
        let mut words = Words::default();
        let mut records = 0;
        for layout in one_per_copy_group(layouts) {
            records += each_message(layout, |text| {
                words.read(text);
                places.learn(&words.hashes);
                table.add_baseline(&places, &words.hashes, || masked_text(text));
            })?;
        }
        // Templates made before a place was seen to vary join the others.
        table.compact(&places);
        Ok(Self {
            places,
            table,
            baseline,
            baseline_records: records,
            compared_records: 0,
        })
    }

    /// Counts the templates of the sources compared, for the summary.
    pub fn count(&mut self, layouts: &[RecordLayout]) -> io::Result<()> {
        let mut words = Words::default();
        for layout in one_per_copy_group(layouts) {
            let (places, table) = (&self.places, &mut self.table);
            self.compared_records += each_message(layout, |text| {
                words.read(text);
                table.add_compared(places, &words.hashes, || masked_text(text));
            })?;
        }
        Ok(())
    }

    /// Whether the record whose first line is `line` has a template the
    /// baseline never had.
    pub fn is_new(&self, line: &[u8], format: Option<&TsFormat>) -> bool {
        let mut words = Words::default();
        words.read(message(line, format));
        !self.table.baseline_had(self.places.template(&words.hashes))
    }

    /// [`is_new`](Self::is_new) of a record the merge gave.
    pub fn is_new_record(&self, merge: &mut Merge, record: &MergedRecord) -> io::Result<bool> {
        let Some(line) = merge.line_at(record.source, record.record.start)? else {
            return Ok(false);
        };
        let (text, _) = merge.line_text(record.source, &line, BLOCK)?;
        Ok(self.is_new(&text, merge.layout(record.source).format()))
    }

    /// What changed, for the status bar, the sources panel and stderr.
    pub fn summary(&self) -> Summary {
        let all = self.table.counted(&self.places);
        // Tries run for different times: a count is compared with the
        // baseline's scaled to the records compared.
        let scale = self.compared_records as f64 / self.baseline_records.max(1) as f64;
        let mut new: Vec<Counted> = all.iter().filter(|c| c.baseline == 0).cloned().collect();
        new.sort_by(|a, b| {
            b.compared
                .cmp(&a.compared)
                .then(a.template.cmp(&b.template))
        });
        let mut vanished: Vec<Counted> = all
            .iter()
            .filter(|c| c.baseline > 0 && c.compared == 0)
            .cloned()
            .collect();
        vanished.sort_by(|a, b| {
            b.baseline
                .cmp(&a.baseline)
                .then(a.template.cmp(&b.template))
        });
        let change = |c: &Counted| {
            let expected = c.baseline as f64 * scale;
            let got = c.compared as f64;
            (
                got.max(expected) / got.min(expected).max(f64::MIN_POSITIVE),
                (got - expected).abs(),
            )
        };
        let mut changed: Vec<Counted> = all
            .iter()
            .filter(|c| c.baseline > 0 && c.compared > 0)
            .filter(|c| {
                let (factor, by) = change(c);
                factor >= CHANGE_FACTOR && by >= CHANGE_FLOOR
            })
            .cloned()
            .collect();
        changed.sort_by(|a, b| change(b).0.total_cmp(&change(a).0));
        let mut notes = Vec::new();
        let full = |side: &str, records: u64| {
            format!(
                "{side} had more than {CAPACITY} templates: {records} records past them are counted as other"
            )
        };
        if self.table.other_baseline > 0 {
            notes.push(format!(
                "{}; records of theirs may be marked new",
                full("the baseline", self.table.other_baseline)
            ));
        }
        if self.table.other_compared > 0 {
            notes.push(full("the sources compared", self.table.other_compared));
        }
        if self.places.full {
            notes.push(format!(
                "more than {PLACES} places of words: some where words vary are kept as words"
            ));
        }
        Summary {
            baseline: self.baseline.clone(),
            new_records: new.iter().map(|c| c.compared).sum(),
            new,
            vanished,
            changed,
            notes,
        }
    }
}

/// The sources to count: one of each group of copies of one log (a local
/// file and its API copy hold the same records, which dedup shows once),
/// the first, as the merge keeps the lowest-ranked copy.
fn one_per_copy_group(layouts: &[RecordLayout]) -> Vec<&RecordLayout> {
    let groups = crate::merge::copies::copy_groups(layouts, &vec![None; layouts.len()]);
    let mut counted = std::collections::HashSet::new();
    layouts
        .iter()
        .zip(groups)
        .filter(|(_, group)| group.is_none_or(|g| counted.insert(g)))
        .map(|(layout, _)| layout)
        .collect()
}

/// Calls `each` with the message of every record of `layout`, in file
/// order; returns how many records it had.
fn each_message(layout: &RecordLayout, mut each: impl FnMut(&[u8])) -> io::Result<u64> {
    let mut reader = layout.file_reader(BLOCK);
    let format = layout.format();
    let mut records = 0;
    let mut at = 0;
    while let Some(record) = reader.record_at(at)? {
        at = record.end;
        records += 1;
        let lines = reader.lines();
        let Some(line) = lines.line_at(record.start)? else {
            break;
        };
        // A line longer than a block: its first block.
        let first = lines.peek(line.start, line.len() as usize)?;
        each(message(first, format));
    }
    Ok(records)
}

/// What changed between the baseline and the sources compared.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub baseline: String,
    /// Records of templates the baseline never had.
    pub new_records: u64,
    pub new: Vec<Counted>,
    pub vanished: Vec<Counted>,
    pub changed: Vec<Counted>,
    /// What the bounded tables could not hold.
    pub notes: Vec<String>,
}

impl Summary {
    /// One line for the status bar and stderr.
    pub fn one_line(&self) -> String {
        format!(
            "against {}: {} of {} the baseline never had; {} vanished, {} changed their count a lot",
            self.baseline,
            count(self.new_records, "new record"),
            count(self.new.len() as u64, "template"),
            count(self.vanished.len() as u64, "template"),
            self.changed.len()
        )
    }

    /// The templates, most telling first, at most `each` of every kind.
    pub fn lines(&self, each: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut list = |title: &str, items: &[Counted], show: &dyn Fn(&Counted) -> String| {
            if items.is_empty() {
                return;
            }
            out.push(format!("{title} ({}):", items.len()));
            for item in items.iter().take(each) {
                out.push(format!("  {}  {}", show(item), item.template));
            }
            if items.len() > each {
                out.push(format!("  … {} more", items.len() - each));
            }
        };
        list("new", &self.new, &|c| format!("{}×", c.compared));
        list("vanished", &self.vanished, &|c| {
            format!("was {}×", c.baseline)
        });
        list("changed a lot", &self.changed, &|c| {
            format!("{}× → {}×", c.baseline, c.compared)
        });
        out.extend(self.notes.iter().cloned());
        out
    }
}

/// `--only-new`: keeps the records (that `filter` keeps) whose template
/// the baseline never had.
pub struct OnlyNew {
    pub comparison: Arc<Comparison>,
    /// Each source's format, by source index (a source that joined later
    /// is read as plain text).
    pub formats: Vec<Option<TsFormat>>,
    pub filter: Option<Arc<dyn RecordPredicate>>,
}

impl RecordPredicate for OnlyNew {
    fn accepts(
        &self,
        source: usize,
        reader: &mut RecordReader,
        record: &Record,
    ) -> io::Result<bool> {
        if let Some(filter) = &self.filter {
            if !filter.accepts(source, reader, record)? {
                return Ok(false);
            }
        }
        let lines = reader.lines();
        let Some(line) = lines.line_at(record.start)? else {
            return Ok(false);
        };
        let first = lines.peek(line.start, line.len() as usize)?;
        let format = self.formats.get(source).and_then(Option::as_ref);
        Ok(self.comparison.is_new(first, format))
    }
}
