//! The window shows the merged stream line by line, the same whichever way
//! and however far one scrolls, within its memory caps.

use std::sync::Arc;

use logweave::gen::{generate, GenFormat, GenSpec};
use logweave::merge::{Merge, MergeOptions};
use logweave::record::{RecordLayout, TimeOptions};
use logweave::source::{FileSource, MemSource, Source};
use logweave::window::Window;

type LineId = (usize, u64);

fn layouts_of(sources: Vec<Arc<dyn Source>>) -> Vec<RecordLayout> {
    let time = TimeOptions::default();
    sources
        .into_iter()
        .map(|s| RecordLayout::open(s, &time, true).expect("layout"))
        .collect()
}

fn generated(size: u64) -> (tempfile::TempDir, Vec<RecordLayout>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = generate(&GenSpec {
        out: dir.path().to_path_buf(),
        size,
        format: GenFormat::Text,
        seed: 11,
    })
    .expect("generate");
    let sources = files
        .iter()
        .map(|f| Arc::new(FileSource::open(&f.path).expect("open")) as Arc<dyn Source>)
        .collect();
    (dir, layouts_of(sources))
}

/// Every line of the merged stream, in order: the reference.
fn all_lines(layouts: &[RecordLayout]) -> Vec<LineId> {
    let mut merge = Merge::new(layouts.to_vec(), MergeOptions::default());
    let mut out = Vec::new();
    while let Some(r) = merge.next_record().expect("read") {
        let mut at = r.record.start;
        while at < r.record.end {
            let line = merge.line_at(r.source, at).expect("read").expect("line");
            out.push((r.source, line.start));
            at = line.next;
        }
    }
    out
}

fn screen(window: &Window) -> Vec<LineId> {
    window
        .visible()
        .map(|l| (l.record.source, l.start))
        .collect()
}

#[test]
fn paging_down_then_up_shows_every_line_once_in_order() {
    let (_dir, layouts) = generated(400_000);
    let reference = all_lines(&layouts);
    assert!(reference.len() > 3000);
    let height = 23;
    let mut window = Window::new(Merge::new(layouts, MergeOptions::default()));
    window.set_height(height).expect("height");
    window.jump_start().expect("start");

    let mut seen = Vec::new();
    loop {
        let page = screen(&window);
        let fresh = if seen.is_empty() {
            page.len()
        } else {
            page.len().min(height)
        };
        seen.extend_from_slice(&page[page.len() - fresh..]);
        if window.shows_end() {
            break;
        }
        window.scroll(height as isize).expect("scroll");
        let (loaded, _) = window.loaded();
        assert!(
            loaded.len() <= height * 5 + 2,
            "window stays bounded: {}",
            loaded.len()
        );
    }
    // The last page may overlap the one before it (it is a full screen).
    seen.dedup();
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), reference.len());
    assert_eq!(
        screen(&window),
        reference[reference.len() - height..].to_vec(),
        "last screen"
    );

    // And back up, one odd step at a time.
    let mut up = Vec::new();
    while !window.shows_start() {
        window.scroll(-7).expect("scroll");
        up.push(screen(&window)[0]);
    }
    assert_eq!(
        screen(&window),
        reference[..height].to_vec(),
        "first screen"
    );
    up.reverse();
    let tops: Vec<LineId> = reference.iter().step_by(1).copied().collect();
    assert!(up.iter().all(|id| tops.contains(id)));
}

#[test]
fn end_and_start_and_jumps_agree_with_the_reference() {
    let (_dir, layouts) = generated(300_000);
    let reference = all_lines(&layouts);
    let mut window = Window::new(Merge::new(layouts, MergeOptions::default()));
    window.set_height(10).expect("height");
    window.jump_end().expect("end");
    assert!(window.shows_end());
    assert_eq!(screen(&window), reference[reference.len() - 10..].to_vec());
    window.jump_start().expect("start");
    assert!(window.shows_start());
    assert_eq!(screen(&window), reference[..10].to_vec());

    // Any screen reached by scrolling is a contiguous slice of the reference.
    for delta in [1isize, 5, 40, -3, 200, -77, 9, -1000] {
        window.scroll(delta).expect("scroll");
        let page = screen(&window);
        let at = reference
            .iter()
            .position(|id| *id == page[0])
            .expect("line is in the stream");
        assert_eq!(
            page,
            reference[at..at + page.len()].to_vec(),
            "after {delta}"
        );
    }

    // A cursor taken from the screen brings back the same screen.
    window.scroll(123).expect("scroll");
    let page = screen(&window);
    let cursor = window.cursor_at_row(0).expect("cursor");
    window.jump_end().expect("end");
    window.jump_to_cursor(&cursor).expect("jump");
    let again = screen(&window);
    // The jump lands on the record of the top line: its first line first.
    let at = reference
        .iter()
        .position(|id| *id == again[0])
        .expect("in stream");
    assert!(again.iter().zip(&reference[at..]).all(|(a, b)| a == b));
    assert!(again.contains(&page[0]));
}

#[test]
fn a_huge_untimed_record_is_browsed_line_by_line() {
    let mut text = Vec::new();
    for i in 0..200_000 {
        text.extend_from_slice(format!("plain line {i}\n").as_bytes());
    }
    let timed = b"2024-12-20T10:00:00Z timed\n".to_vec();
    let layouts = layouts_of(vec![Arc::new(MemSource(text)), Arc::new(MemSource(timed))]);
    let mut window = Window::new(Merge::new(layouts, MergeOptions::default()));
    window.set_height(5).expect("height");
    window.jump_end().expect("end");
    let last: Vec<String> = window
        .visible()
        .map(|l| String::from_utf8_lossy(&l.text).into_owned())
        .collect();
    assert_eq!(
        last,
        [
            "plain line 199996",
            "plain line 199997",
            "plain line 199998",
            "plain line 199999",
            "2024-12-20T10:00:00Z timed"
        ]
    );
    window.scroll(-100_000).expect("scroll");
    let first = window
        .visible()
        .next()
        .map(|l| String::from_utf8_lossy(&l.text).into_owned());
    assert_eq!(first.as_deref(), Some("plain line 99996"));
    let (loaded, _) = window.loaded();
    assert!(
        loaded.len() <= 30,
        "only a few screens loaded, not the record: {}",
        loaded.len()
    );
    window.jump_start().expect("start");
    let first = window
        .visible()
        .next()
        .map(|l| String::from_utf8_lossy(&l.text).into_owned());
    assert_eq!(first.as_deref(), Some("plain line 0"));
}
