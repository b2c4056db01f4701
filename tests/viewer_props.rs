//! The viewer against a reference model, in process: random sources
//! (sorted, out of order within the reorder window as Airflow 3 writes,
//! clock steps, copies of one another sorted or not, equal timestamps,
//! continuation lines), a random walk of keys (`j k Space b d u g G`, jumps
//! by time, hiding and showing a source) at a random height; after every
//! key the screen is a run of consecutive lines of what `--print` writes
//! for the sources shown, and at the end the lines seen going down from the
//! top and going up from `G` are exactly that stream, each line once, the
//! same lines reversed. Keys go through the real `App` into the real engine
//! (synchronously, `Engine::step`); the pty tests cover the binary.
//!
//! Folds (`viewer_props/folds.rs`): sources with nested `::group::`
//! sections, some never ended, out of order within the window; the stream
//! is `--print`'s less the bodies of the groups that end, and `G`, going up
//! from it, down from the top and jumps that land inside a group all show
//! it.
//!
//! Rows, not lines: records of 1 to 200 rows as drawn (long lines wrapped
//! or not, Airflow 3 JSON rendered with its traceback or raw) at random
//! widths and heights; the screen drawn is compared row for row with the
//! stream's rows, going down a page at a time from the top and up from `G`.

use std::collections::HashMap;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proptest::prelude::*;

use logweave::engine::{Engine, Frame, SourceInfo};
use logweave::merge::{Merge, MergeOptions};
use logweave::print::{print_merge, PrintOptions};
use logweave::record::timestamp::{Zone, ZoneClock};
use logweave::record::{RecordLayout, TimeOptions};
use logweave::source::{MemSource, Source};
use logweave::view::app::App;
use logweave::view::json::Fields;
use logweave::view::keymap::Keymap;
use logweave::view::theme::Theme;
use logweave::window::Window;

#[path = "viewer_props/bounds.rs"]
mod bounds;
#[path = "viewer_props/folds.rs"]
mod folds;

/// A record: time (ms after 10:00), its word, continuation lines.
#[derive(Clone, Debug)]
struct Rec {
    ms: i64,
    word: &'static str,
    continuation: usize,
}

fn render(records: &[Rec], name: usize) -> Vec<u8> {
    let mut text = String::new();
    for (i, r) in records.iter().enumerate() {
        let ms = r.ms.clamp(0, 3_599_999);
        text.push_str(&format!(
            "2024-12-20T10:{:02}:{:02}.{:03}Z {} {}\n",
            ms / 60_000,
            ms / 1000 % 60,
            ms % 1000,
            r.word,
            // Copies keep the words of what they copy; sources differ by name.
            if r.word == "copy" { i } else { name * 1000 + i }
        ));
        for c in 0..r.continuation {
            text.push_str(&format!("  at line {c}\n"));
        }
    }
    text.into_bytes()
}

fn word() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["alpha", "beta", "copy", "gamma"])
}

/// Records with times as one of the shapes real logs have.
fn source() -> impl Strategy<Value = Vec<Rec>> {
    (
        prop::collection::vec(
            (0i64..800, word(), 0usize..3, 0i64..2_500, any::<bool>()),
            0..40,
        ),
        0u8..4,
        any::<(u8, u8)>(),
    )
        .prop_map(|(items, shape, (at, len))| {
            let mut clock = 600_000;
            let mut records: Vec<Rec> = items
                .into_iter()
                .map(|(dt, word, continuation, lag, late)| {
                    clock += dt;
                    let ms = match shape {
                        // Sorted, many equal times (dt is often small).
                        0 => clock - clock % 500,
                        // Airflow 3: logging records up to 2.5 s behind stdout.
                        1 | 2 if late => clock - lag,
                        _ => clock,
                    };
                    Rec {
                        ms,
                        word,
                        continuation,
                    }
                })
                .collect();
            if shape == 2 && !records.is_empty() {
                // A clock stepped back ten minutes: for a burst, or for good.
                let n = records.len();
                let from = at as usize % n;
                let to = if len % 2 == 0 {
                    n
                } else {
                    (from + 1 + len as usize % 8).min(n)
                };
                for r in &mut records[from..to] {
                    r.ms -= 600_000;
                }
            }
            records
        })
}

/// Sources, and sometimes a copy of the first (as another store holds it,
/// sorted by time as Airflow's API answers, or as written).
fn sources() -> impl Strategy<Value = Vec<Vec<u8>>> {
    (prop::collection::vec(source(), 1..4), 0u8..3).prop_map(|(sources, copy)| {
        let mut texts: Vec<Vec<u8>> = sources
            .iter()
            .enumerate()
            .map(|(i, s)| render(s, i))
            .collect();
        if copy > 0 {
            let mut first = sources[0].clone();
            if copy == 2 {
                first.sort_by_key(|r| r.ms);
                // Sorted by its own numbering too, so the copy's lines are
                // the same lines.
                let mut text = String::from_utf8(texts[0].clone()).expect("utf-8");
                let mut records: Vec<(String, String)> = Vec::new();
                for line in text.lines() {
                    if line.starts_with("2024") {
                        records.push((line[..24].to_string(), format!("{line}\n")));
                    } else if let Some(last) = records.last_mut() {
                        last.1.push_str(&format!("{line}\n"));
                    }
                }
                records.sort_by(|a, b| a.0.cmp(&b.0));
                text = records.into_iter().map(|(_, r)| r).collect();
                texts.push(text.into_bytes());
            } else {
                texts.push(texts[0].clone());
            }
        }
        texts
    })
}

#[derive(Clone, Copy, Debug)]
enum Key {
    Press(char),
    /// `:` and a time in ms after 10:00.
    Jump(i64),
    /// Hide or show source n (its digit).
    Toggle(usize),
}

fn key() -> impl Strategy<Value = Key> {
    prop_oneof![
        5 => prop::sample::select(vec!['j', 'k', ' ', 'b', 'd', 'u', 'g', 'G']).prop_map(Key::Press),
        1 => (550_000i64..700_000).prop_map(Key::Jump),
        1 => (0usize..4).prop_map(Key::Toggle),
    ]
}

fn time() -> TimeOptions {
    TimeOptions::new(None, ZoneClock::new(Zone::Utc))
}

fn layouts(texts: &[Vec<u8>]) -> Vec<RecordLayout> {
    texts
        .iter()
        .map(|t| {
            let source: Arc<dyn Source> = Arc::new(MemSource(t.clone()));
            RecordLayout::open(source, &time(), true).expect("layout")
        })
        .collect()
}

/// What `--print` writes for the sources `shown`, line by line.
fn printed(texts: &[Vec<u8>], shown: &[bool]) -> Vec<String> {
    let picked: Vec<Vec<u8>> = texts
        .iter()
        .zip(shown)
        .filter(|(_, &on)| on)
        .map(|(t, _)| t.clone())
        .collect();
    let mut out = Vec::new();
    let options = PrintOptions {
        threads: 1,
        ..PrintOptions::default()
    };
    print_merge(
        layouts(&picked),
        MergeOptions::dedup_all(),
        &options,
        &mut out,
    )
    .expect("print");
    String::from_utf8_lossy(&out)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The viewer in process: the real `App`, the real engine, stepped.
struct Viewer {
    app: App,
    engine: Engine,
}

impl Viewer {
    fn open(texts: &[Vec<u8>], rows: u16) -> Self {
        Self::open_at(texts, &vec![false; texts.len()], (200, rows))
    }

    /// Sources `json` says are JSON, on a screen of `size` (columns, rows).
    fn open_at(texts: &[Vec<u8>], json: &[bool], size: (u16, u16)) -> Self {
        let infos = (0..texts.len())
            .map(|i| SourceInfo {
                label: format!("source-{i}.log"),
                tag: format!("s{i}"),
                location: format!("/logs/source-{i}.log"),
                kind: "file".into(),
                size: 0,
                json: json[i],
                format: String::new(),
                file: None,
                enabled: true,
                error: None,
                warning: None,
                copies: None,
                copy_group: None,
            })
            .collect();
        let window = Window::new(Merge::new(layouts(texts), MergeOptions::dedup_all()));
        let mut engine = Engine::new(window, infos, ZoneClock::new(Zone::Utc), None);
        let mut app = App::new(Keymap::load(), Theme::load(true), size);
        engine.step(app.resize_command());
        app.frame = engine.open_now();
        let mut viewer = Self { app, engine };
        viewer.tell_rows();
        viewer
    }

    /// Tells the engine how the pane counts rows now, as the view does
    /// after every frame.
    fn tell_rows(&mut self) {
        if let Some(command) = self.app.rows_command() {
            self.app.frame = self.engine.step(command);
        }
    }

    fn press(&mut self, keys: &str) {
        for c in keys.chars() {
            let code = match c {
                '\n' => KeyCode::Enter,
                c => KeyCode::Char(c),
            };
            for command in self.app.on_key(KeyEvent::new(code, KeyModifiers::NONE)) {
                self.app.frame = self.engine.step(command);
            }
            self.tell_rows();
        }
    }

    fn frame(&self) -> &Frame {
        &self.app.frame
    }

    fn lines(&self) -> Vec<String> {
        self.frame()
            .lines
            .iter()
            .map(|l| String::from_utf8_lossy(&l.text).into_owned())
            .collect()
    }
}

/// Where `screen` sits in `stream` as consecutive lines, if it does.
fn place(stream: &[String], screen: &[String]) -> Option<usize> {
    if screen.is_empty() {
        return stream.is_empty().then_some(0);
    }
    (0..stream.len())
        .filter(|&i| stream[i] == screen[0])
        .find(|&i| stream[i..].starts_with(screen))
}

fn check(texts: &[Vec<u8>], rows: u16, walk: &[Key]) -> Result<(), TestCaseError> {
    let height = (rows - 1) as usize;
    let mut viewer = Viewer::open(texts, rows);
    let mut shown = vec![true; texts.len()];
    let mut streams: HashMap<Vec<bool>, Vec<String>> = HashMap::new();
    for &key in walk {
        match key {
            Key::Press(c) => viewer.press(&c.to_string()),
            Key::Jump(ms) => viewer.press(&format!(
                ":10:{:02}:{:02}.{:03}\n",
                ms / 60_000,
                ms / 1000 % 60,
                ms % 1000
            )),
            Key::Toggle(i) if i < texts.len() => {
                // Never hide the last source shown.
                if shown[i] && shown.iter().filter(|&&on| on).count() == 1 {
                    continue;
                }
                viewer.press(&format!("{}x", i + 1));
                shown[i] = !shown[i];
            }
            Key::Toggle(_) => continue,
        }
        let stream = streams
            .entry(shown.clone())
            .or_insert_with(|| printed(texts, &shown));
        let screen = viewer.lines();
        prop_assert!(
            place(stream, &screen).is_some(),
            "after {key:?} the screen is not consecutive lines of the stream:\n{screen:#?}\nstream:\n{stream:#?}"
        );
        prop_assert!(
            screen.len() == height.min(stream.len()),
            "after {key:?}: {} lines on a screen of {height} ({} in the stream)",
            screen.len(),
            stream.len()
        );
    }
    // Every source shown again: down from the top a page at a time, and up
    // from the end a line at a time, see the stream exactly.
    for (i, on) in shown.iter_mut().enumerate() {
        if !*on {
            viewer.press(&format!("{}x", i + 1));
            *on = true;
        }
    }
    let stream = printed(texts, &shown);
    let h = height.min(stream.len());
    let last = stream.len() - h;
    viewer.press("g");
    let mut top = 0;
    loop {
        prop_assert_eq!(
            viewer.lines(),
            stream[top..top + h].to_vec(),
            "going down, at line {}",
            top
        );
        if top == last {
            break;
        }
        viewer.press(" ");
        top = (top + height).min(last);
    }
    // And back up a page at a time, over lines loaded and dropped going down.
    loop {
        viewer.press("b");
        top = top.saturating_sub(height);
        prop_assert_eq!(
            viewer.lines(),
            stream[top..top + h].to_vec(),
            "back up, at line {}",
            top
        );
        if top == 0 {
            break;
        }
    }
    viewer.press("G");
    let mut top = last;
    loop {
        prop_assert_eq!(
            viewer.lines(),
            stream[top..top + h].to_vec(),
            "going up from G, at line {}",
            top
        );
        if top == 0 {
            break;
        }
        viewer.press("k");
        top -= 1;
    }
    // And back down a line at a time.
    while top < last {
        viewer.press("j");
        top += 1;
        prop_assert_eq!(
            viewer.lines(),
            stream[top..top + h].to_vec(),
            "back down, at line {}",
            top
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn the_viewer_shows_the_printed_stream_whichever_way_it_is_walked(
        texts in sources(),
        rows in 3u16..30,
        walk in prop::collection::vec(key(), 1..40),
    ) {
        check(&texts, rows, &walk)?;
    }
}

/// A record of the rows test: a text record (its first line `len` long,
/// `continuation` lines of random lengths) or an Airflow 3 JSON record
/// with `frames` traceback frames.
#[derive(Clone, Debug)]
enum Tall {
    Text {
        len: usize,
        continuation: Vec<usize>,
    },
    Json {
        len: usize,
        frames: usize,
    },
}

fn tall() -> impl Strategy<Value = Tall> {
    prop_oneof![
        3 => (0usize..300, prop::collection::vec(0usize..200, 0..60))
            .prop_map(|(len, continuation)| Tall::Text { len, continuation }),
        1 => (0usize..200, 0usize..60).prop_map(|(len, frames)| Tall::Json { len, frames }),
    ]
}

/// `n` characters of words, so that wrapped rows differ.
fn filler(n: usize, seed: usize) -> String {
    (0..n)
        .map(|i| {
            if (i + seed) % 7 == 6 {
                ' '
            } else {
                (b'a' + ((i * 3 + seed) % 26) as u8) as char
            }
        })
        .collect()
}

/// A text source and a JSON source of `records`, one second apart, the
/// text ones on even seconds and the JSON ones on odd.
fn tall_sources(records: &[Tall]) -> (Vec<u8>, Vec<u8>) {
    let (mut text, mut json) = (String::new(), String::new());
    for (i, record) in records.iter().enumerate() {
        let time = format!("2024-12-20T10:{:02}:{:02}", i / 60, i % 60);
        match record {
            Tall::Text { len, continuation } => {
                text.push_str(&format!("{time}.000Z r{i} {}\n", filler(*len, i)));
                for (c, len) in continuation.iter().enumerate() {
                    text.push_str(&format!("  c{c} {}\n", filler(*len, i + c)));
                }
            }
            Tall::Json { len, frames } => {
                let frames: Vec<String> = (0..*frames)
                    .map(|f| {
                        format!(r#"{{"filename":"/dags/f{f}.py","lineno":{f},"name":"step{f}"}}"#)
                    })
                    .collect();
                json.push_str(&format!(
                    r#"{{"timestamp":"{time}.000000Z","level":"error","event":"r{i} {}","dag_id":"etl","task_id":"t{i}","try_number":1,"logger":"airflow.task","filename":"etl.py","lineno":{i},"error_detail":[{{"exc_type":"ValueError","exc_value":"boom {i}","frames":[{}]}}]}}"#,
                    filler(*len, i),
                    frames.join(",")
                ));
                json.push('\n');
            }
        }
    }
    (text.into_bytes(), json.into_bytes())
}

/// The stream's screen rows as the pane draws them (no tags, no marks):
/// each printed line, rendered when JSON is (with `fields`), cut into
/// rows of `width` when wrapping and cut at `width` when not.
fn stream_rows(
    printed: &[String],
    width: usize,
    wrap: bool,
    raw: bool,
    fields: Fields,
) -> Vec<String> {
    let mut rows = Vec::new();
    for line in printed {
        let displays = match logweave::view::json::render(line.as_bytes(), fields) {
            Some(rendered) if !raw => rendered.into_iter().map(|r| r.text).collect(),
            _ => vec![line.clone()],
        };
        for display in displays {
            let chars: Vec<char> = display.chars().collect();
            if wrap {
                for chunk in chars.chunks(width) {
                    rows.push(chunk.iter().collect::<String>().trim_end().to_string());
                }
                if chars.is_empty() {
                    rows.push(String::new());
                }
            } else {
                let shown: String = chars.iter().take(width).collect();
                rows.push(shown.trim_end().to_string());
            }
        }
    }
    rows
}

/// The log pane's rows as drawn now, trailing blanks trimmed.
fn pane_rows(viewer: &Viewer) -> Vec<String> {
    let (w, h) = viewer.app.size;
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("test backend");
    terminal
        .draw(|f| logweave::view::render::draw(f, &viewer.app))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    let pane = viewer.app.areas().pane;
    (pane.y..pane.y + pane.height)
        .map(|y| {
            let row: String = (0..w).map(|x| buffer[(x, y)].symbol()).collect();
            row.trim_end().to_string()
        })
        .collect()
}

fn check_rows(
    records: &[Tall],
    size: (u16, u16),
    wrap: bool,
    raw: bool,
    fields: Fields,
) -> Result<(), TestCaseError> {
    let (text, json) = tall_sources(records);
    let texts = vec![text, json];
    let mut viewer = Viewer::open_at(&texts, &[false, true], size);
    viewer.app.tags = false;
    viewer.app.wrap = wrap;
    viewer.app.raw_json = raw;
    viewer.app.fields = fields;
    viewer.tell_rows();
    let width = size.0 as usize;
    let height = viewer.app.areas().pane.height as usize;
    let stream = stream_rows(&printed(&texts, &[true, true]), width, wrap, raw, fields);
    let screen_at = |top: usize| {
        let mut rows: Vec<String> = stream[top..(top + height).min(stream.len())].to_vec();
        rows.resize(height, String::new());
        rows
    };
    let last = stream.len().saturating_sub(height);
    // Down from the top a page at a time: every row once.
    viewer.press("g");
    let mut top = 0;
    loop {
        prop_assert_eq!(
            pane_rows(&viewer),
            screen_at(top),
            "going down, at row {}",
            top
        );
        if top == last {
            break;
        }
        viewer.press(" ");
        top = (top + height).min(last);
    }
    prop_assert!(viewer.frame().at_end, "the last screen says END");
    // `G`: the last row of the stream on the bottom row.
    viewer.press("g");
    viewer.press("G");
    prop_assert_eq!(pane_rows(&viewer), screen_at(last), "G");
    prop_assert!(viewer.frame().at_end);
    // Up from `G` a page at a time: the same rows, reversed.
    let mut top = last;
    loop {
        prop_assert_eq!(
            pane_rows(&viewer),
            screen_at(top),
            "going up from G, at row {}",
            top
        );
        if top == 0 {
            break;
        }
        viewer.press("b");
        top = top.saturating_sub(height);
    }
    prop_assert!(viewer.frame().at_start);
    // A row at a time near each end.
    for _ in 0..3.min(last) {
        viewer.press("j");
        top += 1;
        prop_assert_eq!(
            pane_rows(&viewer),
            screen_at(top),
            "down a row, at row {}",
            top
        );
    }
    viewer.press("G");
    let mut top = last;
    for _ in 0..3.min(last) {
        viewer.press("k");
        top -= 1;
        prop_assert_eq!(
            pane_rows(&viewer),
            screen_at(top),
            "up a row, at row {}",
            top
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64)
    ))]

    #[test]
    fn every_row_is_reached_once_going_down_and_from_g_going_up(
        records in prop::collection::vec(tall(), 1..25),
        width in 12u16..140,
        rows in 3u16..40,
        wrap in any::<bool>(),
        raw in any::<bool>(),
        all_fields in any::<bool>(),
    ) {
        let fields = if all_fields { Fields::All } else { Fields::AsAirflowUi };
        check_rows(&records, (width, rows), wrap, raw, fields)?;
    }
}

/// A window holds at most 4,000 lines: going further drops lines at its
/// top, and the cursors it keeps must move past the copies dedup dropped
/// with the lines it shows, or a read from them shows those copies again.
/// (A real Airflow file with its API copy showed 25,702 copies after
/// `25700g` and Space: the screen is read again from its top line, as it is
/// after every change of layout.)
#[test]
fn far_from_where_it_opened_the_viewer_still_shows_each_copy_once() {
    // Airflow 3's disorder: a record in three up to 2.5 s behind.
    let records: Vec<Rec> = (0..6_000i64)
        .map(|i| Rec {
            ms: 600_000 + i * 7 - if i % 3 == 0 { (i * 37) % 2_500 } else { 0 },
            // Airflow's group around what runs after the task: folding it
            // when it is first loaded reads the screen again.
            word: match i {
                5_990 => "::group::Post Execute",
                5_996 => "::endgroup::",
                _ => "copy",
            },
            continuation: usize::from(i % 5 == 0),
        })
        .collect();
    let written = render(&records, 0);
    let mut sorted = records.clone();
    sorted.sort_by_key(|r| r.ms);
    let texts = vec![written, {
        // The API's copy: the same records (the same numbers), by time.
        let text = String::from_utf8(render(&records, 0)).expect("utf-8");
        let mut recs: Vec<(String, String)> = Vec::new();
        for line in text.lines() {
            if line.starts_with("2024") {
                recs.push((line[..24].to_string(), format!("{line}\n")));
            } else if let Some(last) = recs.last_mut() {
                last.1.push_str(&format!("{line}\n"));
            }
        }
        recs.sort_by(|a, b| a.0.cmp(&b.0));
        recs.into_iter()
            .map(|(_, r)| r)
            .collect::<String>()
            .into_bytes()
    }];
    // The group folds wherever its records are placed: those stamped
    // before its header (logging records arriving late) are hidden too.
    let mut in_body = false;
    let stream: Vec<String> = printed(&texts, &[true, true])
        .into_iter()
        .filter(|line| {
            if let Some(n) = line.split("copy ").nth(1) {
                in_body = n.parse::<i64>().is_ok_and(|n| (5_991..=5_996).contains(&n));
            }
            !in_body
        })
        .collect();
    let rows = 24;
    let height = rows as usize - 1;
    let mut viewer = Viewer::open(&texts, rows);
    // Pages are compared up to the group, which is folded once loaded.
    let group = stream
        .iter()
        .position(|l| l.contains("::group::"))
        .expect("the group is printed");
    let mut top = 0;
    for page in 0.. {
        assert_eq!(
            viewer.lines(),
            stream[top..top + height].to_vec(),
            "page {page} down"
        );
        if top + 2 * height > group {
            break;
        }
        viewer.press(" ");
        top += height;
    }
    for page in 1..6 {
        viewer.press("b");
        top -= height;
        assert_eq!(
            viewer.lines(),
            stream[top..top + height].to_vec(),
            "{page} pages back up"
        );
    }
}
