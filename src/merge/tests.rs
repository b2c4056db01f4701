use super::*;
use crate::record::in_memory;

struct Nothing;

impl RecordPredicate for Nothing {
    fn accepts(&self, _: usize, _: &mut RecordReader, _: &Record) -> io::Result<bool> {
        Ok(false)
    }
}

/// A filter that matches nothing makes one step walk every record; what
/// it keeps to undo that step is one offset per source, not one per
/// record (it was 8.6 M entries, 130 MB, for an 830 MB log).
#[test]
fn a_step_over_many_skipped_records_remembers_one_offset_per_source() {
    let lines = |minute: u32| -> String {
        (0..5_000)
            .map(|i| format!("2024-01-01T00:{minute:02}:{:02}.{i:04} x\n", i % 60))
            .collect()
    };
    let mut merge = Merge::new(
        vec![in_memory(&lines(1)), in_memory(&lines(2))],
        MergeOptions::default(),
    );
    merge.set_predicate(Some(Arc::new(Nothing)));
    merge.seek_start();
    assert!(merge.next_record().expect("in memory").is_none());
    assert!(merge.undo.len() <= 2, "{} undo entries", merge.undo.len());
    merge.undo_step();
    assert_eq!(
        merge.pos,
        vec![Pos::START, Pos::START],
        "undo returns to where the step began"
    );
}
