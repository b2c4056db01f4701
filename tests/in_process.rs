//! The viewer driven in process, as gitui tests its app: key events go
//! through the real `App` (keymap, prompts) into the real engine on its
//! thread, and the frames it publishes come back — no terminal, no pty. The
//! pty tests (`tests/e2e.rs`) cover the same keys through the binary.

use std::io;
use std::path::Path;
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use logweave::engine::{Command, Commands, Engine, Frame, Inbox, SourceInfo};
use logweave::gen::{self, GenFormat, GenSpec};
use logweave::merge::{Merge, MergeOptions};
use logweave::print::{print_merge, PrintOptions};
use logweave::record::format::{YearEvidence, YearGuess, YearRule};
use logweave::record::timestamp::{Zone, ZoneClock};
use logweave::record::{RecordLayout, TimeOptions};
use logweave::source::{FileSource, MemSource, Source};
use logweave::view::app::App;
use logweave::view::keymap::Keymap;
use logweave::view::theme::Theme;
use logweave::window::Window;

const DEADLINE: Duration = Duration::from_secs(20);
const ROWS: u16 = 24;

fn time() -> TimeOptions {
    TimeOptions::default()
}

fn layouts(sources: &[Arc<dyn Source>]) -> Vec<RecordLayout> {
    sources
        .iter()
        .map(|s| RecordLayout::open(s.clone(), &time(), true).expect("layout"))
        .collect()
}

/// The viewer without a terminal: `App` + an engine thread.
struct Viewer {
    app: App,
    commands: Commands,
    frames: Receiver<Arc<Frame>>,
}

impl Viewer {
    fn open(sources: Vec<Arc<dyn Source>>) -> Self {
        Self::open_layouts(layouts(&sources))
    }

    fn open_layouts(layouts: Vec<RecordLayout>) -> Self {
        Self::open_merge(Merge::new(layouts, MergeOptions::dedup_all()))
    }

    fn open_merge(merge: Merge) -> Self {
        let infos = (0..merge.source_count())
            .map(|i| SourceInfo {
                label: format!("source-{i}.log"),
                tag: format!("s{i}"),
                location: format!("/logs/source-{i}.log"),
                kind: "file".into(),
                size: 0,
                json: merge.layout(i).format().is_some_and(|f| f.is_json()),
                format: String::new(),
                file: None,
                enabled: true,
                error: None,
                warning: None,
                copies: None,
                copy_group: None,
            })
            .collect();
        let window = Window::new(merge);
        let engine = Engine::new(window, infos, ZoneClock::new(Zone::Utc), None);
        let inbox = Inbox::new();
        let commands = inbox.commands();
        let (published, frames) = mpsc::channel();
        std::thread::spawn(move || {
            engine.run(
                inbox,
                Box::new(move |frame| {
                    let _ = published.send(frame);
                }),
            )
        });
        let app = App::new(Keymap::load(), Theme::load(true), (100, ROWS));
        assert!(commands.send(app.resize_command()), "engine running");
        let mut viewer = Self {
            app,
            commands,
            frames,
        };
        viewer.wait_for("the first screen", |f| !f.lines.is_empty());
        viewer
    }

    /// Tells the engine how the view draws lines (the JSON rendering), as
    /// the terminal loop does after each frame.
    fn tell_rows(&mut self) {
        if let Some(command) = self.app.rows_command() {
            assert!(self.commands.send(command), "engine alive");
        }
    }

    /// Types `keys`: characters, or `\n` for Enter and `\x1b` for Esc.
    fn press(&mut self, keys: &str) {
        for c in keys.chars() {
            let code = match c {
                '\n' => KeyCode::Enter,
                '\x1b' => KeyCode::Esc,
                ' ' => KeyCode::Char(' '),
                c => KeyCode::Char(c),
            };
            for command in self.app.on_key(KeyEvent::new(code, KeyModifiers::NONE)) {
                assert!(self.commands.send(command), "engine alive");
            }
        }
    }

    /// Takes frames until one satisfies `condition` (it becomes the app's).
    fn wait_for(&mut self, what: &str, condition: impl Fn(&Frame) -> bool) -> Arc<Frame> {
        let start = Instant::now();
        loop {
            let left = DEADLINE.saturating_sub(start.elapsed());
            let frame = self
                .frames
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
            self.app.frame = frame.clone();
            if condition(&frame) {
                return frame;
            }
        }
    }

    fn lines(frame: &Frame) -> Vec<String> {
        frame
            .lines
            .iter()
            .map(|l| String::from_utf8_lossy(&l.text).into_owned())
            .collect()
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        self.commands.send(Command::Quit);
    }
}

fn generated(dir: &Path) -> Vec<Arc<dyn Source>> {
    let spec = GenSpec {
        seed: 7,
        ..GenSpec::new(dir, 400_000, GenFormat::Text)
    };
    gen::generate(&spec)
        .expect("gen")
        .into_iter()
        .map(|f| Arc::new(FileSource::open(&f.path).expect("open")) as Arc<dyn Source>)
        .collect()
}

/// What `--print` writes for the same sources, line by line.
fn printed(sources: &[Arc<dyn Source>]) -> Vec<String> {
    let mut out = Vec::new();
    let options = PrintOptions {
        since: None,
        until: None,
        tags: None,
        threads: 1,
        prefilter: Vec::new(),
        filter: None,
    };
    print_merge(
        layouts(sources),
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

#[test]
fn paging_down_and_up_shows_the_printed_stream_a_page_at_a_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sources = generated(dir.path());
    let reference = printed(&sources);
    let page = (ROWS - 1) as usize;
    let mut viewer = Viewer::open(sources);
    viewer.wait_for("the top", |f| !f.lines.is_empty());
    // Airflow's groups open, so that every printed line is shown.
    viewer.press("zR");
    viewer.wait_for("the first page, groups open", |f| {
        Viewer::lines(f) == reference[..page]
    });
    for n in 1..=5 {
        viewer.press(" ");
        let want = reference[n * page..(n + 1) * page].to_vec();
        viewer.wait_for(&format!("page {n}"), |f| Viewer::lines(f) == want);
    }
    viewer.press("bb");
    let want = reference[3 * page..4 * page].to_vec();
    viewer.wait_for("two pages back up", |f| Viewer::lines(f) == want);
    viewer.press("G");
    let want = reference[reference.len() - page..].to_vec();
    viewer.wait_for("the end", |f| Viewer::lines(f) == want);
}

#[test]
fn toggling_a_source_hides_its_lines_and_brings_them_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sources = generated(dir.path());
    let mut viewer = Viewer::open(sources);
    viewer.wait_for("lines of the second source", |f| {
        f.lines.iter().any(|l| l.source == 1)
    });
    viewer.press("2x");
    let hidden = viewer.wait_for("the second source hidden", |f| {
        !f.sources[1].enabled && !f.lines.is_empty()
    });
    assert!(hidden.lines.iter().all(|l| l.source != 1));
    // A search that misses says where it looked.
    viewer.press("/nowhere at all\n");
    viewer.wait_for("the miss, said with the source hidden", |f| {
        f.message.as_deref()
            == Some("pattern not found: nowhere at all in the records shown (1 source hidden)")
    });
    viewer.press("2x");
    viewer.wait_for("it back", |f| {
        f.sources[1].enabled && f.lines.iter().any(|l| l.source == 1)
    });
}

/// Bytes that arrive slowly beyond the first MiB: a search through them
/// takes seconds, long enough to be cancelled for sure.
struct Slow(MemSource);

impl Source for Slow {
    fn len(&self) -> u64 {
        self.0.len()
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if offset > 1 << 20 {
            std::thread::sleep(Duration::from_millis(200));
        }
        self.0.read_at(offset, buf)
    }
}

#[test]
fn a_search_finds_the_next_hit_and_esc_cancels_a_long_one() {
    let mut text = String::new();
    for i in 0..200_000u32 {
        let (m, s) = (i / 60 % 60, i % 60);
        let word = if i == 150 { "needle" } else { "hay" };
        text.push_str(&format!(
            "2024-12-20T1{}:{m:02}:{s:02}Z {word} {i}\n",
            i / 3600 % 10
        ));
    }
    let source: Arc<dyn Source> = Arc::new(Slow(MemSource(text.into_bytes())));
    let mut viewer = Viewer::open(vec![source]);
    // Found: the hit comes into view, highlighted.
    viewer.press("/needle\n");
    let found = viewer.wait_for("the hit on screen", |f| {
        f.lines.iter().any(|l| l.text.ends_with(b"needle 150"))
    });
    assert!(found.highlight.is_some());
    // A pattern that is nowhere: the search crawls through slow bytes
    // until Esc stops it.
    viewer.press("/absent\n");
    viewer.wait_for("the search to run", |f| f.busy.is_some());
    viewer.press("\x1b");
    let stopped = viewer.wait_for("the search to stop", |f| {
        f.message.as_deref() == Some("search cancelled")
    });
    assert!(stopped.busy.is_none());
}

#[test]
fn a_search_up_from_the_end_finds_the_hits_on_the_last_screen_first() {
    // `needle` on lines 10, 50 and 95 of 100: after `G` the last screen
    // shows line 95, and `?` finds it first, as in less (it started at the
    // top of the screen, and went on to line 50).
    let mut text = String::new();
    for i in 1..=100u32 {
        let word = if [10, 50, 95].contains(&i) {
            "needle"
        } else {
            "hay"
        };
        text.push_str(&format!(
            "2024-12-20T10:{:02}:{:02}Z {word} {i}\n",
            i / 60,
            i % 60
        ));
    }
    let source: Arc<dyn Source> = Arc::new(MemSource(text.into_bytes()));
    let mut viewer = Viewer::open(vec![source]);
    viewer.press("G");
    viewer.wait_for("the end", |f| {
        f.lines.last().is_some_and(|l| l.text.ends_with(b"hay 100"))
    });
    viewer.press("?needle\n");
    let found = viewer.wait_for("the hit counted", |f| {
        f.search.as_deref().is_some_and(|s| s.contains(" of 3"))
    });
    assert_eq!(found.search.as_deref(), Some("?needle: hit 3 of 3"));
    viewer.press("n");
    viewer.wait_for("the hit above", |f| {
        f.search.as_deref() == Some("?needle: hit 2 of 3")
    });
}

#[test]
fn stacked_patterns_show_a_record_matching_any_and_a_blank_result_says_so() {
    let text = "2024-12-20T10:00:01Z alpha one\n2024-12-20T10:00:02Z alpha two\n\
                2024-12-20T10:00:03Z beta one\n2024-12-20T10:00:04Z gamma\n";
    let source: Arc<dyn Source> = Arc::new(MemSource(text.as_bytes().to_vec()));
    let mut viewer = Viewer::open(vec![source]);
    viewer.press("&alpha\n&one\n");
    // Any of the patterns: the status bar writes them as alternatives.
    let frame = viewer.wait_for("both patterns in force", |f| f.filters == ["&alpha|one"]);
    assert_eq!(
        Viewer::lines(&frame),
        [
            "2024-12-20T10:00:01Z alpha one",
            "2024-12-20T10:00:02Z alpha two",
            "2024-12-20T10:00:03Z beta one"
        ]
    );
    // A search misses in what the filters show, not in the log.
    viewer.press("/gamma\n");
    viewer.wait_for("the miss said with the filters", |f| {
        f.message.as_deref() == Some("pattern not found: gamma in the records shown (&alpha|one)")
    });
    viewer.press("&\n&zzz\n");
    let frame = viewer.wait_for("the filter that matches nothing", |f| f.filters == ["&zzz"]);
    assert!(frame.lines.is_empty());
    assert_eq!(
        frame.message.as_deref(),
        Some("no record matches the filters")
    );
}

#[test]
fn search_and_filters_find_an_airflow3_record_by_the_text_drawn_for_it() {
    // Drawn `[time] ERROR - batch 7 skipped source=task`, with the
    // traceback `ValueError: bad row 7` under the failure: none of that
    // is in the bytes as such (`"level":"error"`, `"exc_type":"ValueError"`).
    let text = [
        r#"{"timestamp":"2024-12-20T10:00:01.000000Z","level":"info","event":"starting","logger":"task"}"#,
        r#"{"timestamp":"2024-12-20T10:00:02.000000Z","level":"error","event":"batch 7 skipped","logger":"task"}"#,
        r#"{"timestamp":"2024-12-20T10:00:03.000000Z","level":"error","event":"Task failed with exception","logger":"task","error_detail":[{"exc_type":"ValueError","exc_value":"bad row 7","frames":[{"filename":"/dags/etl.py","lineno":42,"name":"extract"}]}]}"#,
        r#"{"timestamp":"2024-12-20T10:00:04.000000Z","level":"info","event":"done","logger":"task"}"#,
    ]
    .map(|line| format!("{line}\n"))
    .concat();
    let source: Arc<dyn Source> = Arc::new(MemSource(text.into_bytes()));
    let mut viewer = Viewer::open(vec![source]);
    viewer.tell_rows();
    for (pattern, summary) in [
        ("ERROR - batch", "/ERROR - batch: hit 1 of 1"),
        ("ValueError: bad row", "/ValueError: bad row: hit 1 of 1"),
        ("source=task", "/source=task: hit 2 of 4"),
        // The bytes still match.
        ("\"exc_type\"", "/\"exc_type\": hit 1 of 1"),
    ] {
        viewer.press(&format!("g/{pattern}\n"));
        viewer.wait_for(summary, |f| f.search.as_deref() == Some(summary));
    }
    // A regex's parentheses are a group, not the text on screen: said.
    viewer.press("g/Traceback (most recent call last)\n");
    viewer.wait_for("the hint to search the text as typed", |f| {
        f.message.as_deref().is_some_and(|m| {
            m.starts_with("pattern not found")
                && m.ends_with("; Ctrl-r in the prompt searches the text as typed")
        })
    });
    viewer.press("&ERROR\n");
    let frame = viewer.wait_for("the error records", |f| {
        f.filters == ["&ERROR"] && f.lines.len() == 2
    });
    assert!(Viewer::lines(&frame)
        .iter()
        .all(|l| l.contains(r#""level":"error""#)));
}

#[test]
fn a_line_matched_in_part_is_said_once_with_the_miss() {
    // One 17 MiB line whose needle lies past the 16 MiB a line is matched
    // on: the miss says so at once, and counts the line once (it said "2
    // lines", then "3 lines" as the filter was asked again).
    let mut text = b"2024-12-20T10:00:00Z start\n2024-12-20T10:00:01Z ".to_vec();
    text.resize(text.len() + 17 * 1024 * 1024, b'x');
    text.extend_from_slice(b" TAILNEEDLE\n2024-12-20T10:00:02Z end\n");
    let source: Arc<dyn Source> = Arc::new(MemSource(text));
    let mut viewer = Viewer::open(vec![source]);
    let note = "1 line longer than 16 MiB matched on its first 16 MiB only";
    viewer.press("/TAILNEEDLE\n");
    let said = format!("pattern not found: TAILNEEDLE ({note})");
    viewer.wait_for(&said, |f| f.message.as_deref() == Some(said.as_str()));
    // The filter's note, and again once the filter was asked again (`G`).
    for keys in ["&TAILNEEDLE\n", "G"] {
        viewer.press(keys);
        let frame = viewer.wait_for("the filter's note", |f| {
            f.filters.iter().any(|s| s.contains("longer than"))
        });
        assert!(
            frame.filters.contains(&format!("({note})")),
            "{:?}",
            frame.filters
        );
    }
}

#[test]
fn a_save_shows_progress_goes_on_while_scrolling_and_esc_stops_it_leaving_nothing() {
    let mut text = String::new();
    for i in 0..200_000u32 {
        let (m, s) = (i / 60 % 60, i % 60);
        text.push_str(&format!(
            "2024-12-20T1{}:{m:02}:{s:02}Z hay {i}\n",
            i / 3600 % 10
        ));
    }
    let source: Arc<dyn Source> = Arc::new(Slow(MemSource(text.into_bytes())));
    let mut viewer = Viewer::open(vec![source]);
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("all.log");
    viewer.press("s%");
    viewer.press(&format!("{}\n", target.display()));
    viewer.wait_for("the save's progress", |f| {
        f.busy
            .as_deref()
            .is_some_and(|b| b.starts_with("saving the stream as shown"))
    });
    // Scrolling does not stop a save (a search it would).
    viewer.press("jjj");
    viewer.wait_for("still saving after scrolling", |f| {
        f.busy.is_some() && f.lines.first().is_some_and(|l| l.text.ends_with(b"hay 3"))
    });
    viewer.press("\x1b");
    let stopped = viewer.wait_for("the save stopped", |f| {
        f.message
            .as_deref()
            .is_some_and(|m| m.ends_with("cancelled: nothing was written"))
    });
    assert!(stopped.busy.is_none());
    // The writer removes its temporary file at its next write.
    let start = Instant::now();
    let left = || {
        std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect::<Vec<_>>()
    };
    while !left().is_empty() && start.elapsed() < DEADLINE {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        left().is_empty(),
        "nothing under the name, no temporary file: {:?}",
        left()
    );
}

#[test]
fn next_error_stops_on_every_sources_syntax_and_l_keeps_lines_without_a_level() {
    let text = |lines: &[&str]| -> Arc<dyn Source> {
        Arc::new(MemSource(
            lines
                .iter()
                .map(|l| format!("{l}\n"))
                .collect::<String>()
                .into_bytes(),
        ))
    };
    // Enough lines after the errors for each jump to put its error on top.
    let mut logfmt = vec![
        "ts=2024-12-20T10:00:00Z level=info msg=start".to_string(),
        "ts=2024-12-20T10:00:03Z level=error msg=\"logfmt failed\"".to_string(),
        "ts=2024-12-20T10:00:06Z level=warn msg=slow".to_string(),
    ];
    logfmt.extend((10..70).map(|s| format!("ts=2024-12-20T10:00:{s:02}Z level=info msg=more")));
    let logfmt: Vec<&str> = logfmt.iter().map(String::as_str).collect();
    let sources = [
        text(&logfmt),
        text(&[
            "I1220 10:00:01.000000 1 c.go:1] fine",
            "E1220 10:00:04.000000 1 c.go:2] klog failed",
        ]),
        text(&[
            "2024/12/20 10:00:02 [notice] 1#1: started",
            "2024/12/20 10:00:05 [error] 1#1: nginx failed",
        ]),
        text(&[r#"{"time":"2024-12-20T10:00:02.500Z","level":"warn","msg":"json slow"}"#]),
        text(&["2024-12-20T10:00:07Z plain line without a level"]),
    ];
    // klog writes no year: the other sources' (what `logweave` gives it).
    let time = TimeOptions {
        year: YearGuess {
            rule: YearRule::Nearest(1_734_688_800),
            evidence: YearEvidence::OtherSources,
        },
        ..TimeOptions::default()
    };
    let layouts = sources
        .iter()
        .map(|s| RecordLayout::open(s.clone(), &time, true).expect("layout"))
        .collect();
    let mut viewer = Viewer::open_layouts(layouts);
    let mut stops = Vec::new();
    for _ in 0..3 {
        viewer.press("]");
        let frame = viewer.wait_for("the next error", |f| {
            f.focus
                .and_then(|i| f.lines.get(i))
                .is_some_and(|l| l.text.windows(6).any(|w| w == b"failed"))
                && !stops.iter().any(|s: &String| {
                    f.focus
                        .and_then(|i| f.lines.get(i))
                        .is_some_and(|l| String::from_utf8_lossy(&l.text) == *s)
                })
        });
        let focused = &frame.lines[frame.focus.expect("focus")];
        stops.push(String::from_utf8_lossy(&focused.text).into_owned());
    }
    assert!(stops[0].contains("logfmt failed"), "{stops:?}");
    assert!(stops[1].contains("klog failed"), "{stops:?}");
    assert!(stops[2].contains("nginx failed"), "{stops:?}");
    // L to ERROR: the errors stay, and so does the line nobody can grade.
    viewer.press("g");
    viewer.press("LLL");
    let frame = viewer.wait_for("errors and ungraded lines only", |f| {
        f.filters.iter().any(|x| x.contains("ERROR"))
            && Viewer::lines(f).iter().all(|l| !l.contains("level=info"))
            && !f.lines.is_empty()
    });
    let shown = Viewer::lines(&frame);
    assert!(
        shown
            .iter()
            .any(|l| l.contains("plain line without a level")),
        "{shown:?}"
    );
    assert_eq!(
        shown.iter().filter(|l| l.contains("failed")).count(),
        3,
        "{shown:?}"
    );
    assert!(!shown.iter().any(|l| l.contains("slow")), "{shown:?}");
}

#[test]
fn g_with_until_over_big_sources_says_what_it_reads_meanwhile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = GenSpec {
        seed: 3,
        ..GenSpec::new(dir.path(), 70 << 20, GenFormat::Text)
    };
    let sources: Vec<Arc<dyn Source>> = gen::generate(&spec)
        .expect("gen")
        .into_iter()
        .map(|f| Arc::new(FileSource::open(&f.path).expect("open")) as Arc<dyn Source>)
        .collect();
    let mut merge = Merge::new(layouts(&sources), MergeOptions::dedup_all());
    let first = merge.next_record().expect("read").expect("a record");
    let until = first.record.ts.expect("timed") + 60 * 1_000_000_000;
    merge.set_bounds(None, Some(until));
    let mut viewer = Viewer::open_merge(merge);
    viewer.press("G");
    // Every record after `until` is read (one stamped before it may lie
    // anywhere after it): the status says so meanwhile.
    let said = viewer.wait_for("a word while G reads", |f| f.busy.is_some());
    let busy = said.busy.as_deref().unwrap_or_default();
    assert!(busy.contains("--until"), "{busy}");
    let end = viewer.wait_for("the end of the range", |f| f.busy.is_none() && f.at_end);
    assert!(!end.lines.is_empty());
}
