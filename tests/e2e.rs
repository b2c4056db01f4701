//! End-to-end tests of the viewer: the real binary in a real pseudo-terminal,
//! its screen parsed by vt100, keys sent as a user types them.

#[path = "e2e/harness.rs"]
mod harness;

use harness::{attempt, path, printed, Tui};
use unicode_width::UnicodeWidthChar;

const ROWS: u16 = 24;
const COLS: u16 = 100;

/// `line` as the screen shows it in `cols` columns, without trailing spaces.
fn clip(line: &str, cols: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in line.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > cols {
            break;
        }
        out.push(c);
        used += w;
    }
    out.trim_end().to_string()
}

/// 1234567 → "1,234,567".
fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The log pane's rows (all but the status bar), trailing spaces trimmed.
fn pane(tui: &Tui) -> Vec<String> {
    let rows = tui.rows();
    rows[..rows.len() - 1]
        .iter()
        .map(|r| r.trim_end().to_string())
        .collect()
}

fn expect_pane(tui: &Tui, lines: &[String]) -> Vec<String> {
    lines.iter().map(|l| clip(l, tui.cols as usize)).collect()
}

/// Opens a generated attempt with source tags hidden, so rows are the lines.
fn open_plain(dir: &tempfile::TempDir) -> Tui {
    let mut tui = Tui::spawn(&[path(dir.path())], ROWS, COLS);
    tui.wait_ready();
    tui.press("t");
    tui
}

#[test]
fn first_screen_end_and_start_show_the_true_merge() {
    let dir = attempt("300kB", "text");
    let reference = printed(&[path(dir.path())]);
    let mut tui = open_plain(&dir);
    let height = ROWS as usize - 1;
    assert_eq!(
        pane(&tui),
        expect_pane(&tui, &reference[..height]),
        "first screen"
    );
    assert!(tui.status().contains("TOP"), "{}", tui.status());

    tui.press("G");
    tui.wait_for("END in the status bar", |t| t.status().contains("END"));
    assert_eq!(
        pane(&tui),
        expect_pane(&tui, &reference[reference.len() - height..]),
        "last screen"
    );

    tui.press("g");
    tui.wait_for("TOP in the status bar", |t| t.status().contains("TOP"));
    assert_eq!(
        pane(&tui),
        expect_pane(&tui, &reference[..height]),
        "first screen again"
    );

    // Line numbers once the overview has counted.
    let total = format!("line 1 of {}", group(reference.len()));
    tui.wait_for(&total, |t| t.status().contains(&total));
}

#[test]
fn paging_through_the_remote_copy_shows_every_line_once() {
    let dir = attempt("300kB", "text");
    let reference = printed(&[path(dir.path())]);
    let mut tui = open_plain(&dir);
    // The remote copy repeats a slice of the worker log from ~40% on: start
    // a little before it and page through it.
    tui.send(":30%\r");
    tui.wait_for("the jump", |t| {
        t.status().contains("30%") || t.status().contains("29%")
    });
    let first = pane(&tui);
    let start = reference
        .iter()
        .position(|l| clip(l, COLS as usize) == first[0])
        .expect("the top line is a line of the merge");
    let mut seen = first.clone();
    for _ in 0..25 {
        tui.press(" ");
        seen.extend(pane(&tui));
    }
    let want = expect_pane(&tui, &reference[start..start + seen.len()]);
    if let Some(i) = (0..seen.len()).find(|&i| seen[i] != want[i]) {
        panic!(
            "pages are consecutive slices of the merge, no line twice; row {i} differs:\n got {:?}\nwant {:?}",
            &seen[i.saturating_sub(2)..(i + 3).min(seen.len())],
            &want[i.saturating_sub(2)..(i + 3).min(want.len())]
        );
    }
}

#[test]
fn jumps_by_time_share_and_error() {
    let dir = attempt("300kB", "text");
    let reference = printed(&[path(dir.path())]);
    let mut tui = open_plain(&dir);

    // A time in the middle of the log (HH:MM:SS on the top line's date).
    let middle = reference[reference.len() / 2..]
        .iter()
        .find(|l| l.starts_with("[2024"))
        .expect("a timestamped line");
    let second = &middle[12..20]; // "10:00:03" of "[2024-12-20T10:00:03.123+0000]"
    tui.send(&format!(":{second}\r"));
    tui.wait_for("the time jump", |t| {
        t.status().contains(&format!("2024-12-20T{second}"))
    });
    let top = &pane(&tui)[0];
    let expected = reference
        .iter()
        .find(|l| l.starts_with("[2024") && l.as_str() >= format!("[2024-12-20T{second}").as_str())
        .expect("a line at that time");
    assert_eq!(top, &clip(expected, COLS as usize));

    tui.send(":+1s\r");
    let next = format!(
        "2024-12-20T{}:{:02}",
        &second[..5],
        second[6..].parse::<u32>().expect("seconds") + 1
    );
    tui.wait_for("the relative jump", |t| t.status().contains(&next));

    tui.send(":75%\r");
    tui.wait_for("75%", |t| {
        let s = t.status();
        s.contains("74%") || s.contains("75%") || s.contains("76%")
    });

    tui.press("]");
    tui.wait_for("an ERROR record on top", |t| pane(t)[0].contains("ERROR"));
    let after = pane(&tui)[0].clone();
    tui.press("[");
    tui.wait_for("the previous ERROR record", |t| {
        pane(t)[0].contains("ERROR") && pane(t)[0] != after
    });

    tui.send(":yesterday\r");
    tui.wait_for("an error message", |t| t.status().contains("invalid time"));
}

#[test]
fn wrap_tags_and_source_toggles() {
    let dir = tempfile::tempdir().expect("tempdir");
    let long = format!("2024-12-20T10:00:01Z long {}", "x".repeat(150));
    std::fs::write(
        dir.path().join("a.log"),
        format!("2024-12-20T10:00:00Z first\n{long}\n2024-12-20T10:00:03Z last\n"),
    )
    .expect("write");
    std::fs::write(dir.path().join("b.log"), "2024-12-20T10:00:02Z from b\n").expect("write");
    let mut tui = Tui::spawn(&[path(dir.path())], 10, 60);
    tui.wait_ready();
    // Tags: the file names, coloured, before each line.
    assert!(
        pane(&tui)[0].starts_with("a 2024-12-20T10:00:00Z first"),
        "{:?}",
        pane(&tui)
    );
    assert!(pane(&tui)[2].starts_with("b 2024-12-20T10:00:02Z from b"));

    tui.press("w");
    tui.wait_for("wrapped", |t| pane(t)[2].trim_start().starts_with('x'));
    assert_eq!(pane(&tui)[1].len(), 60);

    tui.press("2");
    tui.wait_for("b hidden", |t| {
        t.status().contains("2○") && !t.text().contains("from b")
    });
    tui.press("2");
    tui.wait_for("b back", |t| t.text().contains("from b"));
}

#[test]
fn control_characters_wide_text_and_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("a.log"),
        "2024-12-20T10:00:00Z \x1b[31mred\x1b[0m \x07bell\n2024-12-20T10:00:01Z 日本語 ok\n"
            .as_bytes(),
    )
    .expect("write");
    std::fs::write(
        dir.path().join("b.log"),
        concat!(
            r#"{"timestamp":"2024-12-20T10:00:02Z","level":"error","event":"Task failed","error_detail":[{"exc_type":"ValueError","exc_value":"boom","frames":[{"filename":"/dags/etl.py","lineno":42,"name":"extract"}]}]}"#,
            "\n"
        ),
    )
    .expect("write");
    let mut tui = Tui::spawn(&[path(dir.path())], 12, 80);
    tui.wait_ready();
    let text = tui.text();
    assert!(
        text.contains("^[[31mred^[[0m ^Gbell"),
        "escapes are shown, not obeyed:\n{text}"
    );
    assert!(text.contains("日本語 ok"));
    assert!(
        text.contains("[2024-12-20T10:00:02Z] ERROR Task failed"),
        "{text}"
    );
    assert!(text.contains("File \"/dags/etl.py\", line 42, in extract"));
    assert!(text.contains("ValueError: boom"));
    tui.press("r");
    tui.wait_for_text(r#"{"timestamp":"2024-12-20T10:00:02Z","level":"error""#);
}

#[test]
fn an_unreadable_source_is_reported_and_the_others_browse() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.log"), "2024-12-20T10:00:00Z fine\n").expect("write");
    let missing = dir.path().join("gone.log");
    let mut tui = Tui::spawn(&[path(&dir.path().join("a.log")), path(&missing)], 10, 100);
    tui.wait_ready();
    assert!(tui.text().contains("fine"));
    assert!(
        tui.status().contains("No such file or directory"),
        "{}",
        tui.status()
    );
    tui.press("q");
    assert!(tui.wait_exit());
}

#[test]
fn quitting_restores_the_terminal() {
    let dir = attempt("100kB", "text");
    let mut tui = Tui::spawn(&[path(dir.path())], ROWS, COLS);
    tui.wait_ready();
    assert!(tui.with_screen(|s| s.alternate_screen()));
    assert!(!tui.cooked(), "raw mode while running");
    tui.send("?");
    tui.wait_for_text("logweave keys");
    tui.send("q");
    assert!(tui.wait_exit(), "exit status 0");
    assert!(
        tui.with_screen(|s| !s.alternate_screen() && !s.hide_cursor()),
        "main screen, cursor shown"
    );
    assert!(tui.cooked(), "cooked mode again");
}

#[test]
fn sigterm_restores_the_terminal() {
    let dir = attempt("100kB", "text");
    let mut tui = Tui::spawn(&[path(dir.path())], ROWS, COLS);
    tui.wait_ready();
    let pid = tui.pid().expect("pid") as libc::pid_t;
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    tui.wait_exit();
    assert!(tui.with_screen(|s| !s.alternate_screen() && !s.hide_cursor()));
    assert!(tui.cooked());
}

#[test]
fn resizing_redraws() {
    let dir = attempt("100kB", "text");
    let tui = Tui::spawn(&[path(dir.path())], ROWS, COLS);
    tui.wait_ready();
    tui.resize(30, 120);
    tui.wait_for("the status bar on the new last row", |t| {
        let rows = t.rows();
        rows.len() == 30 && (rows[29].contains("help") || rows[29].contains("TOP"))
    });
}

/// Writes the screen shown in the README: `scripts/readme-screen.sh` runs
/// this and splices `docs/screen.txt` into README.md.
#[test]
#[ignore = "regenerates docs/screen.txt; run by scripts/readme-screen.sh"]
fn readme_screen() {
    let cache = tempfile::tempdir().expect("tempdir");
    let mut tui = Tui::spawn_env(
        &["demo", "--size", "2MB"],
        30,
        110,
        &[("XDG_CACHE_HOME", path(cache.path()))],
    );
    tui.wait_ready();
    tui.wait_for("line numbers", |t| t.status().contains(" of "));
    tui.press("T");
    tui.send(":10:00:07\r");
    tui.wait_for("the jump", |t| t.status().contains("10:00:07"));
    tui.press("]");
    tui.wait_for("an error on top", |t| pane(t)[4].contains("ERROR"));
    let screen: Vec<String> = tui
        .rows()
        .iter()
        .map(|r| r.trim_end().to_string())
        .collect();
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screen.txt");
    std::fs::write(&out, screen.join("\n") + "\n").expect("write docs/screen.txt");
}

#[test]
fn line_numbers_mouse_and_timeline_jumps() {
    let dir = attempt("300kB", "text");
    let reference = printed(&[path(dir.path())]);
    let mut tui = open_plain(&dir);
    tui.wait_for("line numbers", |t| t.status().contains("line 1 of"));

    tui.send(":1,000\r");
    tui.wait_for("line 1,000", |t| t.status().contains("line 1,000 of"));
    assert_eq!(pane(&tui)[0], clip(&reference[999], COLS as usize));

    // Mouse wheel down (SGR encoding): three lines.
    tui.send("\x1b[<65;10;5M");
    tui.wait_for("the wheel", |t| t.status().contains("line 1,003 of"));
    assert_eq!(pane(&tui)[0], clip(&reference[1002], COLS as usize));

    // Timeline: select a column far right and jump there.
    tui.press("T");
    tui.wait_for("the timeline axis", |t| {
        t.rows()[3].contains("2024-12-20 10:00:00")
    });
    tui.send("\t");
    for _ in 0..60 {
        tui.send("\x1b[C");
    }
    tui.send("\r");
    tui.wait_for("a later position", |t| {
        t.status()
            .split("line ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|n| n.replace(',', "").parse::<usize>().ok())
            .is_some_and(|n| n > 1_500)
    });
}
