use super::*;
use crate::record::TimeOptions;
use crate::source::{MemSource, Source};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A source whose reads fail for good from a chosen read on, and which
/// then owns up to it, as a remote source whose server went away.
struct FailingSource {
    data: Vec<u8>,
    reads_left: AtomicUsize,
    reads: AtomicUsize,
    failed: AtomicBool,
}

impl Source for FailingSource {
    fn len(&self) -> u64 {
        self.data.len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        if self.reads_left.load(Ordering::SeqCst) == 0 {
            self.failed.store(true, Ordering::SeqCst);
            return Err(io::Error::other("server went away"));
        }
        self.reads_left.fetch_sub(1, Ordering::SeqCst);
        let start = (offset as usize).min(self.data.len());
        let n = buf.len().min(self.data.len() - start);
        buf[..n].copy_from_slice(&self.data[start..start + n]);
        Ok(n)
    }

    fn failure(&self) -> Option<crate::problem::Problem> {
        self.failed
            .load(Ordering::SeqCst)
            .then(|| crate::problem::Problem::new("server went away"))
    }
}

#[test]
fn a_source_failing_at_any_read_loses_only_its_rest_and_never_glues_lines() {
    let healthy: String = (0..20)
        .map(|i| format!("2024-12-20T10:00:{i:02}.000Z healthy {i}\n"))
        .collect();
    // Records of ~100 KiB (a traceback each), longer than a read
    // block, so that a failure can fall inside one while it is written.
    let mut failing = String::new();
    for i in 0..6 {
        failing.push_str(&format!(
            "2024-12-20T10:00:{i:02}.500Z failing record {i}\n"
        ));
        for j in 0..1000 {
            failing.push_str(&format!("    failing frame {i}.{j} {}\n", "x".repeat(80)));
        }
    }
    let time = TimeOptions::default();
    let print = |reads_left: usize| {
        let source = Arc::new(FailingSource {
            data: failing.clone().into_bytes(),
            reads_left: AtomicUsize::new(usize::MAX),
            reads: AtomicUsize::new(0),
            failed: AtomicBool::new(false),
        });
        let layouts = vec![
            RecordLayout::open(
                Arc::new(MemSource(healthy.clone().into_bytes())),
                &time,
                false,
            )
            .expect("in memory"),
            RecordLayout::open(source.clone(), &time, false).expect("opens before failing"),
        ];
        source.reads_left.store(reads_left, Ordering::SeqCst);
        source.reads.store(0, Ordering::SeqCst);
        let options = PrintOptions {
            threads: 1,
            ..PrintOptions::default()
        };
        let mut out = Vec::new();
        let stats = print_merge(layouts, MergeOptions::default(), &options, &mut out)
            .expect("the healthy source prints on");
        (
            String::from_utf8(out).expect("text"),
            stats,
            source.reads.load(Ordering::SeqCst),
        )
    };
    let (whole, stats, reads) = print(usize::MAX);
    assert!(stats.dropped.is_empty());
    assert!(
        reads > 4,
        "the failing source takes several reads ({reads})"
    );
    let failing_lines: Vec<&str> = failing.lines().collect();
    for reads_left in 0..reads {
        let (out, stats, _) = print(reads_left);
        assert_eq!(stats.dropped.len(), 1, "after {reads_left} reads");
        assert_eq!(stats.dropped[0].source, 1);
        let printed_healthy: Vec<&str> = out.lines().filter(|l| l.contains(" healthy ")).collect();
        assert_eq!(printed_healthy, healthy.lines().collect::<Vec<_>>());
        for line in out.lines().filter(|l| !l.contains(" healthy ")) {
            // Whole, or cut where the source failed, but on its own line.
            assert!(
                failing_lines.iter().any(|f| f.starts_with(line)),
                "after {reads_left} reads, a glued or foreign line: {line:.120}"
            );
        }
        assert!(out.len() < whole.len());
    }
}

fn normalize(chunks: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut crlf = CrlfToLf::default();
    for chunk in chunks {
        crlf.write(chunk, &mut out).expect("vec write");
    }
    crlf.finish(&mut out).expect("vec write");
    out
}

#[test]
fn crlf_becomes_lf_across_chunks() {
    assert_eq!(normalize(&[b"a\r\nb\r\n"]), b"a\nb\n");
    assert_eq!(normalize(&[b"a\r", b"\nb\r\n"]), b"a\nb\n");
    assert_eq!(normalize(&[b"a\r", b"x\n"]), b"a\rx\n");
    assert_eq!(normalize(&[b"a\rb\n"]), b"a\rb\n");
    assert_eq!(normalize(&[b"no newline"]), b"no newline\n");
    assert_eq!(normalize(&[b"cr at eof\r"]), b"cr at eof\n");
    assert_eq!(normalize(&[b"nul\0 and \xff\n"]), b"nul\0 and \xff\n");
}

proptest::proptest! {
    /// The copy of a lone source is what the merge of it prints, for
    /// any mix of timed and untimed lines, CRLF, lone CR, NUL, empty
    /// lines and a missing final newline.
    #[test]
    fn a_lone_source_copied_whole_prints_what_its_merge_prints(
        pieces in proptest::collection::vec(0u8..8, 0..60),
        cut in proptest::bool::ANY,
    ) {
        let mut text = String::new();
        for (i, piece) in pieces.iter().enumerate() {
            text.push_str(match piece {
                0 | 1 => "2024-12-20T10:00:01.000Z INFO timed\n",
                2 => "2024-12-20T09:00:00.000Z earlier, out of order\r\n",
                3 => "    continuation\n",
                4 => "\n",
                5 => "lone\rcr\n",
                6 => "nul\0byte\r\n",
                _ => "2024-12-20T10:00:02.000Z WARN crlf\r\n",
            });
            if cut && i + 1 == pieces.len() {
                text.pop();
            }
        }
        let layout = crate::record::in_memory(&text);
        let mut copied = Vec::new();
        let options = PrintOptions { threads: 1, ..PrintOptions::default() };
        print_merge(vec![layout.clone()], MergeOptions::default(), &options, &mut copied)
            .expect("in memory");
        let mut merged = Vec::new();
        let merge = Merge::new(vec![layout], MergeOptions::default());
        print_merged(merge, &options, &mut merged).expect("in memory");
        proptest::prop_assert_eq!(
            String::from_utf8_lossy(&copied),
            String::from_utf8_lossy(&merged)
        );
    }
}
