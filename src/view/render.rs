//! Drawing a frame: pure functions of the app state onto a ratatui buffer,
//! so they are tested with `TestBackend` snapshots.

mod fields;
mod help;
mod log_pane;
mod marks;
mod sources;
mod status_bar;
mod timeline;

use ratatui::Frame;

use super::app::{App, Mode, Pending};

/// Draws everything; changes nothing (what the engine needs to know of the
/// layout, [`pane_rows`], is asked of the same functions).
pub fn draw(frame: &mut Frame, app: &App) {
    let areas = app.areas();
    if let Some(area) = areas.timeline {
        timeline::draw(frame, app, area);
    }
    log_pane::draw(frame, app, areas.pane);
    status_bar::draw(frame, app, areas.status);
    if let Mode::Help { scroll } = app.mode {
        help::draw(frame, app, areas.pane, scroll);
    }
    if let Mode::Sources { selected } = app.mode {
        sources::draw(frame, app, areas.pane, selected);
    }
    if let Mode::Fields(pane) = &app.mode {
        fields::draw(frame, app, areas.pane, pane);
    }
    if app.mode == Mode::Pending(Pending::GotoMark) {
        marks::draw(frame, app, areas.pane);
    }
}

pub use help::{extent as help_extent, Extent as HelpExtent};

pub use log_pane::PaneRows;

/// How the log pane counts a line's rows as it stands, for the engine.
pub fn pane_rows(app: &App) -> PaneRows {
    log_pane::measure(app, app.areas().pane)
}

/// Whether `rows` is how the log pane counts rows as it stands.
pub fn pane_measures_as(app: &App, rows: &PaneRows) -> bool {
    rows.measures_as(app, app.areas().pane)
}

/// The log line (index into the frame's lines) on row `row` of the pane.
pub fn line_at_row(app: &App, row: usize) -> Option<usize> {
    log_pane::line_at_row(app, app.areas().pane, row)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    use super::draw;
    use crate::engine::Timeline;
    use crate::engine::{Frame, FrameLine, Level, SourceInfo};
    use crate::view::app::{App, Mode};
    use crate::view::keymap::Keymap;
    use crate::view::theme::Theme;

    const T0: i64 = 1_734_688_800_000_000_000;

    fn source(tag: &str, json: bool) -> SourceInfo {
        SourceInfo {
            label: format!("{tag}.log"),
            tag: tag.into(),
            location: format!("/var/log/airflow/{tag}.log"),
            kind: "file".into(),
            size: 1234,
            json,
            format: if json {
                "JSON \"timestamp\"; levels: JSON \"level\"".into()
            } else {
                "[ISO 8601] (Airflow 2, Celery, gunicorn); levels: Airflow's `} LEVEL -`".into()
            },
            file: None,
            enabled: true,
            error: None,
            warning: None,
            copies: None,
            copy_group: None,
        }
    }

    fn line(source: usize, text: &str, level: Level, first: bool) -> FrameLine {
        FrameLine {
            source,
            text: text.as_bytes().to_vec(),
            cut: false,
            first,
            level,
            ts: Some(T0),
            late: false,
            mark: None,
            new: false,
            fold: None,
        }
    }

    fn frame(lines: Vec<FrameLine>, sources: Vec<SourceInfo>) -> Frame {
        Frame {
            lines,
            sources,
            top_time: Some("2024-12-20T10:00:00.000Z".into()),
            percent: 41.7,
            line_number: Some((1_234_567, 8_670_000)),
            generation: 1,
            ..Frame::default()
        }
    }

    fn render(app: &mut App) -> String {
        let (w, h) = app.size;
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test backend");
        terminal.draw(|f| draw(f, app)).expect("draw");
        format!("{}", terminal.backend())
    }

    fn app(frame: Frame, width: u16, height: u16) -> App {
        let mut app = App::new(Keymap::load(), Theme::load(true), (width, height));
        app.frame = Arc::new(frame);
        app
    }

    fn airflow() -> Frame {
        frame(
            vec![
                line(0, "[2024-12-20T10:00:00.000+0000] {base.py:84} INFO - Dependencies all met", Level::Info, true),
                line(1, "[2024-12-20T10:00:00.004+0000] {s3.py:117} WARNING - Poking for key", Level::Warning, true),
                line(0, "[2024-12-20T10:00:00.009+0000] {taskinstance.py:2612} ERROR - Task failed", Level::Error, true),
                line(0, "Traceback (most recent call last):", Level::Error, false),
                line(0, "  File \"/opt/airflow/dags/etl.py\", line 42, in extract", Level::Error, false),
                line(0, "[2024-12-20T10:00:00.010+0000] {base.py:84} INFO - ::group::Pre task execution logs", Level::Info, true),
            ],
            vec![source("local", false), source("trigger.42", false), source("remote", false)],
        )
    }

    #[test]
    fn log_pane_and_status_bar() {
        let mut app = app(airflow(), 80, 8);
        insta::assert_snapshot!(render(&mut app));
    }

    #[test]
    fn hidden_source_wrap_and_no_tags() {
        let mut f = airflow();
        f.sources[2].enabled = false;
        f.line_number = None;
        f.overview_progress = Some(41);
        let mut app = app(f, 40, 10);
        app.wrap = true;
        app.tags = false;
        insta::assert_snapshot!(render(&mut app));
    }

    #[test]
    fn control_and_wide_characters_and_a_cut_line() {
        let mut cut = line(0, "2024-12-20T10:00:02Z xxxxxxxx", Level::Info, true);
        cut.cut = true;
        let f = frame(
            vec![
                line(
                    0,
                    "2024-12-20T10:00:00Z \x1b[31mred\x1b[0m\tbell\x07 \u{202e}evil",
                    Level::Info,
                    true,
                ),
                line(
                    0,
                    "2024-12-20T10:00:01Z 顧客データ 🚀 e\u{301}té",
                    Level::Info,
                    true,
                ),
                cut,
            ],
            vec![source("a", false)],
        );
        let mut app = app(f, 60, 5);
        insta::assert_snapshot!(render(&mut app));
    }

    #[test]
    fn airflow3_json_rendered_and_raw() {
        let json = r#"{"timestamp":"2025-06-01T10:00:00.104512Z","level":"error","event":"Task failed","logger":"airflow.task","error_detail":[{"exc_type":"ValueError","exc_value":"boom","frames":[{"filename":"/dags/etl.py","lineno":42,"name":"extract"}]}]}"#;
        let f = frame(
            vec![line(0, json, Level::Error, true)],
            vec![source("af3", true)],
        );
        let mut app = app(f, 70, 7);
        insta::assert_snapshot!("json_rendered", render(&mut app));
        app.raw_json = true;
        insta::assert_snapshot!("json_raw", render(&mut app));
    }

    #[test]
    fn help_screen() {
        let mut app = app(airflow(), 100, 24);
        app.mode = Mode::Help { scroll: 0 };
        insta::assert_snapshot!(render(&mut app));
        // Scrolled to the end of the list: the last keys and the footer.
        app.mode = Mode::Help { scroll: 100 };
        insta::assert_snapshot!("help_screen_scrolled", render(&mut app));
    }

    #[test]
    fn help_scrolls_a_popup_page_at_a_time_and_back_from_its_end_at_once() {
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let mut app = app(airflow(), 100, 24);
        let press = |app: &mut App, code: KeyCode| {
            app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
        };
        // The lines shown, from the footer's `(first–last of total)`.
        let shown = |app: &mut App| -> (usize, usize, usize) {
            let screen = render(app);
            let footer = screen
                .lines()
                .find_map(|l| l.split_once("scroll ("))
                .expect("a scrolling footer")
                .1;
            let numbers: Vec<usize> = footer
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|n| n.parse().ok())
                .collect();
            (numbers[0], numbers[1], numbers[2])
        };
        app.mode = Mode::Help { scroll: 0 };
        let (first, last, total) = shown(&mut app);
        assert_eq!(first, 1);
        press(&mut app, KeyCode::Char(' '));
        // A page is what the popup shows, less the line kept for context.
        assert_eq!(shown(&mut app).0, last, "Space shows the next page");
        press(&mut app, KeyCode::Char('G'));
        let (_, end, _) = shown(&mut app);
        assert_eq!(end, total, "G shows the last line");
        press(&mut app, KeyCode::Char('k'));
        assert_eq!(shown(&mut app).1, total - 1, "k moves at once from the end");
        press(&mut app, KeyCode::Char('g'));
        assert_eq!(shown(&mut app).0, 1, "g goes back to the top");
    }

    #[test]
    fn sources_panel() {
        let mut f = airflow();
        f.sources[1].enabled = false;
        f.sources[2].location = "s3://bucket/dag/run/attempt=1.log".into();
        f.sources[2].kind = "remote object".into();
        f.counts = Some(Arc::new(vec![
            crate::engine::SourceCount {
                records: 1200,
                first: Some(T0),
                last: Some(T0 + 3_600_000_000_000),
                late: 0,
                most_late: 0,
            },
            crate::engine::SourceCount {
                records: 3,
                first: Some(T0),
                last: Some(T0 + 1_000_000_000),
                late: 2,
                most_late: 12_000_000_000,
            },
            crate::engine::SourceCount::default(),
        ]));
        let mut app = app(f, 120, 12);
        app.mode = Mode::Sources { selected: 1 };
        insta::assert_snapshot!(render(&mut app));
    }

    #[test]
    fn many_sources_are_counted_and_a_message_always_shows_whole() {
        let mut f = airflow();
        f.sources = (0..5_000)
            .map(|i| source(&format!("s{i}"), false))
            .collect();
        f.sources[7].enabled = false;
        let mut app = app(f, 100, 3);
        let status = |app: &mut App| render(app).lines().last().unwrap_or("").to_string();
        let bar = status(&mut app);
        assert!(bar.contains("5,000 sources (1 hidden) ="), "{bar}");
        let mut f = (*app.frame).clone();
        f.message =
            Some("not a line number: 12x (type a time, +5m / -1h, 50% or a line number)".into());
        app.frame = Arc::new(f);
        let bar = status(&mut app);
        assert!(
            bar.contains("not a line number: 12x (type a time, +5m / -1h, 50% or a line number)"),
            "{bar}"
        );
    }

    #[test]
    fn goto_prompt() {
        let mut app = app(airflow(), 80, 4);
        app.mode = Mode::Prompt(crate::view::app::Prompt {
            kind: crate::view::app::PromptKind::Goto,
            input: "10:15".into(),
            pattern: crate::engine::PatternKind::Regex,
            recall: None,
            tags: false,
        });
        insta::assert_snapshot!(render(&mut app));
    }

    #[test]
    fn a_paste_is_one_line_of_a_prompt_and_a_long_prompt_shows_its_end() {
        let mut app = app(airflow(), 40, 4);
        // Outside a prompt a paste is not keys: nothing happens but a note.
        assert!(app.on_paste("q:1\nG").is_empty());
        assert_eq!(app.mode, Mode::Normal);
        assert!(app.note.as_deref().is_some_and(|n| n.contains("prompt")));

        app.mode = Mode::Prompt(crate::view::app::Prompt {
            kind: crate::view::app::PromptKind::Search { forward: true },
            input: String::new(),
            pattern: crate::engine::PatternKind::Regex,
            recall: None,
            tags: false,
        });
        let pasted = format!("one\ntwo\r\n\x1b[31m\u{7}{}\u{202e}END", "x".repeat(200));
        assert!(app.on_paste(&pasted).is_empty());
        let Mode::Prompt(prompt) = &app.mode else {
            panic!("the prompt stays open")
        };
        assert_eq!(
            prompt.input,
            format!("one two  [31m{}\u{202e}END", "x".repeat(200)),
            "line breaks become spaces, ESC and BEL are dropped"
        );
        let screen = render(&mut app);
        let bar = screen.lines().nth(3).expect("the bottom row");
        assert!(
            bar.starts_with("\"…xxxx") && bar.contains("<U+202E>END"),
            "the end of the prompt is shown, the bidi override as text: {bar}"
        );

        // A paste past the prompt's limit is cut, and says so.
        app.on_paste(&"y".repeat(crate::view::app::PROMPT_MAX));
        let Mode::Prompt(prompt) = &app.mode else {
            panic!("the prompt stays open")
        };
        assert!(prompt.input.len() <= crate::view::app::PROMPT_MAX);
        assert!(app.note.as_deref().is_some_and(|n| n.contains("cut")));
    }

    #[test]
    fn messages_and_filters_in_the_status_bar_are_escaped() {
        let mut f = airflow();
        f.filters = vec!["&a\u{202e}b".into()];
        let mut app = app(f, 100, 4);
        app.note = Some("cannot open 'x\x1b]0;title\x07\ny.log'".into());
        let screen = render(&mut app);
        let bar = screen.lines().nth(3).expect("the bottom row");
        assert!(
            bar.contains("&a<U+202E>b") && bar.contains("x^[]0;title^G^Jy.log"),
            "{bar}"
        );
    }

    /// A filter hides lines: a message long enough to take the whole bar
    /// (at 80 columns, a search that found nothing) must not hide it.
    #[test]
    fn a_long_message_leaves_the_filter_said() {
        let mut f = airflow();
        f.filters = vec!["&logger=task.stdout".into()];
        let mut app = app(f, 80, 4);
        app.note = Some(format!("/Task failed: no hits {}", "x".repeat(60)));
        let screen = render(&mut app);
        let bar = screen.lines().nth(3).expect("the bottom row");
        assert!(bar.contains("&logger=task.stdout"), "{bar}");
        assert!(bar.contains("/Task failed"), "{bar}");
    }

    #[test]
    fn timeline_strip() {
        let mut f = airflow();
        // Two sources' records per bucket, the first mostly dominant.
        let (a, b) = (|i: u32| i * 7 % 16, |i: u32| i % 5);
        f.timeline = Some(Timeline {
            start: T0 - 20_000_000_000,
            end: T0 + 20_000_000_000,
            records: (0..40).map(|i| a(i) + b(i)).collect(),
            dominant: (0..40).map(|i| usize::from(b(i) >= a(i))).collect(),
            errors: (0..40).map(|i| u32::from(i % 13 == 0)).collect(),
        });
        let mut app = app(f, 40, 10);
        app.timeline = true;
        insta::assert_snapshot!(render(&mut app));
    }

    /// The screen as text, with `◀` after each row drawn in the focus
    /// style (its background), which plain text would not show.
    fn render_with_focus(app: &mut App) -> String {
        let (w, h) = app.size;
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test backend");
        terminal.draw(|f| draw(f, app)).expect("draw");
        let focus = app.theme.get("focus").bg;
        let buffer = terminal.backend().buffer();
        (0..h)
            .map(|y| {
                let row: String = (0..w).map(|x| buffer[(x, y)].symbol()).collect();
                // The gutter keeps its own colours; the rest of the row,
                // to the right edge, has the focus background.
                let focused = (2..w).all(|x| Some(buffer[(x, y)].bg) == focus);
                format!("{row}{}", if focused { "◀" } else { "|" })
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn mark(letter: char, source: usize, ts: i64, text: &str) -> crate::engine::MarkInfo {
        crate::engine::MarkInfo {
            letter,
            source,
            ts: Some(ts),
            time: Some("2024-12-20T10:00:00.009Z".into()),
            preview: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn focus_and_mark_gutter() {
        let mut f = airflow();
        f.focus = Some(2);
        f.lines[2].mark = Some('a');
        f.lines[5].mark = Some('b');
        f.marks = vec![
            mark(
                'a',
                0,
                T0,
                "[2024-12-20T10:00:00.009+0000] {taskinstance.py:2612} ERROR - Task failed",
            ),
            mark(
                'b',
                0,
                T0,
                "[2024-12-20T10:00:00.010+0000] {base.py:84} INFO - ::group::Pre",
            ),
        ];
        let mut app = App::new(Keymap::load(), Theme::load(false), (80, 8));
        app.frame = Arc::new(f);
        insta::assert_snapshot!(render_with_focus(&mut app));
    }

    #[test]
    fn new_records_are_marked_in_the_gutter_beside_marks() {
        let mut f = airflow();
        f.comparison = Some(Arc::new(crate::engine::Compared {
            new_records: 2,
            lines: vec!["against try 2: …".into()],
        }));
        f.lines[2].new = true;
        f.lines[2].mark = Some('a');
        f.lines[5].new = true;
        let mut app = App::new(Keymap::load(), Theme::load(false), (80, 8));
        app.frame = Arc::new(f);
        let screen = render_with_focus(&mut app);
        let rows: Vec<&str> = screen.lines().collect();
        assert!(rows[2].starts_with("a+"), "{screen}");
        assert!(rows[5].starts_with(" +"), "{screen}");
        assert!(rows[3].starts_with("  "), "{screen}");
        insta::assert_snapshot!(screen);
    }

    #[test]
    fn folded_open_and_unfoldable_groups() {
        let fold = |name: &str, lines, folded, unfoldable: bool| {
            Some(crate::engine::FoldMark {
                name: name.into(),
                lines,
                folded,
                no_end_within: unfoldable.then_some(16 << 20),
                no_end_yet: false,
            })
        };
        let mut folded = line(0, "[2024-12-20T10:00:00.000+0000] {taskinstance.py:1157} INFO - ::group::Pre task execution logs", Level::Info, true);
        folded.fold = fold("Pre task execution logs", 4, true, false);
        let mut open = line(
            0,
            "[2024-12-20T10:00:01.000+0000] {etl.py:10} INFO - ::group::Load partitions",
            Level::Info,
            true,
        );
        open.fold = fold("Load partitions", 1_234, false, false);
        let mut endless = line(
            0,
            "[2024-12-20T10:00:02.000+0000] {etl.py:20} INFO - ::group::Stream",
            Level::Info,
            true,
        );
        endless.fold = fold("Stream", 99_999, false, true);
        let f = frame(
            vec![
                folded,
                line(
                    1,
                    "[2024-12-20T10:00:00.500+0000] {base.py:72} INFO - trigger starting",
                    Level::Info,
                    true,
                ),
                open,
                line(
                    0,
                    "[2024-12-20T10:00:01.100+0000] {etl.py:11} INFO - partition 1",
                    Level::Info,
                    true,
                ),
                endless,
            ],
            vec![source("local", false), source("trigger.42", false)],
        );
        let mut app = app(f, 90, 6);
        insta::assert_snapshot!(render(&mut app));
    }

    #[test]
    fn the_list_of_marks_and_marks_on_the_timeline() {
        let mut f = airflow();
        f.marks = vec![
            mark(
                'a',
                0,
                T0 - 10_000_000_000,
                "[2024-12-20T09:59:50.000+0000] first warning \x1b[31mred\x1b[0m",
            ),
            mark(
                'q',
                1,
                T0 + 10_000_000_000,
                "[2024-12-20T10:00:10.000+0000] {s3.py:117} WARNING - Poking",
            ),
        ];
        f.timeline = Some(Timeline {
            start: T0 - 20_000_000_000,
            end: T0 + 20_000_000_000,
            records: (0..40).map(|i| i * 7 % 16).collect(),
            dominant: vec![0; 40],
            errors: vec![0; 40],
        });
        let mut app = app(f, 80, 14);
        app.timeline = true;
        app.mode = Mode::Pending(crate::view::app::Pending::GotoMark);
        insta::assert_snapshot!(render(&mut app));
    }

    #[test]
    fn the_chosen_field_shows_whole_and_the_others_say_they_are_cut() {
        let long = format!("start {} end", "word ".repeat(40));
        let record = format!(r#"{{"event":"{long}","logger":"task"}}"#);
        let record = crate::engine::RecordView {
            tag: "local".into(),
            location: "/logs/attempt=1.log".into(),
            offset: 0,
            len: record.len() as u64,
            bytes: record.into_bytes(),
            cut: false,
        };
        let mut pane = crate::view::app::FieldsPane::new(Arc::new(record));
        let event = pane
            .rows
            .iter()
            .position(|row| row.name == "event")
            .expect("an event row");
        let mut app = app(airflow(), 60, 20);
        app.mode = Mode::Fields(pane.clone());
        let screen = render(&mut app);
        let cut = screen
            .lines()
            .find(|l| l.contains("start word"))
            .expect("the event row");
        assert!(
            cut.contains('…'),
            "a row not chosen is cut and says so: {screen}"
        );
        assert!(!screen.contains(" end"), "{screen}");

        pane.selected = event;
        app.mode = Mode::Fields(pane);
        let screen = render(&mut app);
        let shown: String = screen
            .lines()
            .map(|l| l.trim_matches(|c| c == '"' || c == '│' || c == ' '))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            shown.contains(" end") && !screen.contains('…'),
            "the chosen row wraps to its end: {screen}"
        );
        assert!(
            screen.contains("logger"),
            "rows below it still show: {screen}"
        );
    }
}
