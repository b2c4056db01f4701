//! End-to-end tests of the viewer: the real binary in a real pseudo-terminal,
//! its screen parsed by vt100, keys sent as a user types them.

#[path = "e2e/harness.rs"]
mod harness;

use harness::{attempt, group, path, printed, Tui};
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

/// The log pane's rows (all but the status bar), trailing spaces trimmed,
/// without the `▾ ` an open `::group::` header is drawn with.
fn pane(tui: &Tui) -> Vec<String> {
    let rows = tui.rows();
    rows[..rows.len() - 1]
        .iter()
        .map(|r| {
            let r = r.trim_end();
            r.strip_prefix("▾ ").unwrap_or(r).to_string()
        })
        .collect()
}

/// `lines` as [`pane`] reads them: clipped to the screen, a group header
/// two columns shorter (its `▾ `).
fn expect_pane(tui: &Tui, lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            let marker = if l.contains("::group::") { 2 } else { 0 };
            clip(l, tui.cols as usize - marker)
        })
        .collect()
}

/// Where the screen's rows start in `reference` (the printed lines): a
/// traceback's line repeats, the screen's first rows together do not.
fn place_in(reference: &[String], rows: &[String]) -> usize {
    let rows = &rows[..rows.len().min(6)];
    (0..reference.len())
        .find(|&i| {
            rows.iter().enumerate().all(|(k, row)| {
                reference
                    .get(i + k)
                    .is_some_and(|l| clip(l, COLS as usize) == *row)
            })
        })
        .expect("the screen's rows are lines of the merge")
}

/// Opens a generated attempt with source tags hidden and Airflow's groups
/// open, so rows are the printed lines.
fn open_plain(dir: &tempfile::TempDir) -> Tui {
    let mut tui = Tui::spawn(&[path(dir.path())], ROWS, COLS);
    tui.wait_ready();
    tui.press("t");
    tui.press("zR");
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
    let start = place_in(&reference, &first);
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
        pane(&tui)[0].starts_with("a.log 2024-12-20T10:00:00Z first"),
        "{:?}",
        pane(&tui)
    );
    assert!(pane(&tui)[2].starts_with("b.log 2024-12-20T10:00:02Z from b"));

    tui.press("w");
    tui.wait_for("wrapped", |t| pane(t)[2].trim_start().starts_with('x'));
    assert_eq!(pane(&tui)[1].len(), 60);

    tui.press("2x");
    tui.wait_for("b hidden", |t| {
        t.status().contains("2○") && !t.text().contains("from b")
    });
    tui.press("2x");
    tui.wait_for("b back", |t| t.text().contains("from b"));
}

#[test]
fn control_characters_wide_text_and_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("a.log"),
        "2024-12-20T10:00:00Z \x1b[31mred\x1b[0m \x07bell \x1b]0;title\x07 \x1b[2Jclear\n2024-12-20T10:00:01Z 日本語 ok\n"
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
    // Colours the task printed are shown as colours; every other escape
    // is shown, not obeyed.
    assert!(
        text.contains("red ^Gbell ^[]0;title^G ^[[2Jclear"),
        "escapes are shown, not obeyed:\n{text}"
    );
    let red = tui.with_screen(|screen| {
        let row = (0..12)
            .find(|&r| screen.contents_between(r, 0, r, 80).contains("red ^G"))
            .expect("the red line");
        let col = screen
            .contents_between(row, 0, row, 80)
            .find("red ^G")
            .expect("red") as u16;
        (
            screen.cell(row, col).map(|c| c.fgcolor()),
            screen.cell(row, col + 4).map(|c| c.fgcolor()),
        )
    });
    assert_eq!(red.0, Some(vt100::Color::Idx(1)), "red is red");
    assert_ne!(red.1, Some(vt100::Color::Idx(1)), "until the reset");
    assert!(text.contains("日本語 ok"));
    assert!(
        text.contains("[2024-12-20T10:00:02Z] ERROR - Task failed"),
        "{text}"
    );
    assert!(text.contains("File \"/dags/etl.py\", line 42, in extract"));
    assert!(text.contains("ValueError: boom"));
    tui.press("r");
    tui.wait_for_text(r#"{"timestamp":"2024-12-20T10:00:02Z","level":"error""#);

    // NO_COLOR: no colour, and no sequences to read around either.
    let plain = Tui::spawn_env(&[path(dir.path())], 12, 80, &[("NO_COLOR", "1")]);
    plain.wait_ready();
    assert!(plain.text().contains("red ^Gbell"), "{}", plain.text());
    let colours = plain.with_screen(|screen| {
        let row = (0..12)
            .find(|&r| screen.contents_between(r, 0, r, 80).contains("red ^G"))
            .expect("the red line");
        (0..80)
            .filter_map(|col| screen.cell(row, col).map(|c| c.fgcolor()))
            .filter(|c| *c != vt100::Color::Default)
            .count()
    });
    assert_eq!(colours, 0, "no colour under NO_COLOR");
    // Print mode keeps the bytes.
    let printed = std::process::Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(["--print", path(dir.path())])
        .output()
        .expect("print");
    assert!(String::from_utf8_lossy(&printed.stdout).contains("\x1b[31mred\x1b[0m"));
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
    tui.send("q");
    assert!(tui.wait_exit(), "exit status 0");
    assert!(
        tui.with_screen(|s| !s.alternate_screen() && !s.hide_cursor()),
        "main screen, cursor shown"
    );
    assert!(tui.cooked(), "cooked mode again");
}

#[test]
fn help_opens_from_h_f1_and_an_empty_search_prompt_and_any_key_closes_it() {
    let dir = attempt("100kB", "text");
    let mut tui = Tui::spawn(&[path(dir.path())], ROWS, COLS);
    tui.wait_ready();
    // The status bar names a key that opens help directly.
    tui.wait_for("H help in the status bar", |t| {
        t.status().contains("H help")
    });
    let shown = |t: &Tui| t.text().contains("logweave keys");
    // `?` is less's search up: its prompt says that Enter alone is help.
    tui.send("?");
    tui.wait_for("the ? prompt and its hint", |t| {
        t.status().starts_with("?") && t.status().contains("Enter alone: help, Esc: cancel")
    });
    assert!(!shown(&tui), "no help before Enter");
    tui.send("\r");
    tui.wait_for("help after ? Enter", shown);
    // Any key closes it, q too (as in less): the viewer is back, running.
    tui.send("q");
    tui.wait_for("help closed", |t| {
        !shown(t) && t.status().contains("H help")
    });
    // An empty `/` the same way; and H and F1 open it directly.
    for (keys, what) in [("/\r", "/ Enter"), ("H", "H"), ("\x1bOP", "F1")] {
        tui.send(keys);
        tui.wait_for(&format!("help after {what}"), shown);
        tui.send("x");
        tui.wait_for(&format!("help closed after {what}"), |t| !shown(t));
    }
    tui.press("j");
    assert!(tui.running(), "the viewer is still open");
}

#[test]
fn q_typed_into_the_search_prompt_is_text_and_esc_cancels_it() {
    let dir = attempt("100kB", "text");
    let mut tui = Tui::spawn(&[path(dir.path())], ROWS, COLS);
    tui.wait_ready();
    tui.send("?q");
    tui.wait_for("q in the prompt", |t| t.status().starts_with("?q"));
    tui.send("\x1b");
    tui.wait_for("the status bar back", |t| t.status().contains("H help"));
    // Still running and answering keys: q was text, not a quit.
    tui.press("G");
    tui.wait_for("the end", |t| t.status().contains("END"));
    assert!(tui.running(), "the viewer is still open");
    tui.send("q");
    assert!(tui.wait_exit());
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
    // What `logweave demo` shows first, no key pressed, once the line
    // count is in.
    let cache = tempfile::tempdir().expect("tempdir");
    let tui = Tui::spawn_env(
        &["demo"],
        30,
        110,
        &[("XDG_CACHE_HOME", path(cache.path()))],
    );
    tui.wait_ready();
    tui.wait_for("line numbers", |t| t.status().contains(" of "));
    tui.settle();
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

/// Rows of the pane that contain `needle`.
fn rows_with(tui: &Tui, needle: &str) -> Vec<usize> {
    pane(tui)
        .iter()
        .enumerate()
        .filter(|(_, r)| r.contains(needle))
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn search_next_previous_wrap_and_highlight() {
    let dir = attempt("300kB", "text");
    let reference = printed(&[path(dir.path())]);
    let needle = "Poking for key";
    let all_hits: Vec<usize> = (0..reference.len())
        .filter(|&i| reference[i].contains(needle))
        .collect();
    assert!(all_hits.len() > 50);
    let mut tui = open_plain(&dir);
    let third = (ROWS as usize - 1) / 3;
    // Start a third into the log, where there is room above a hit.
    tui.send(":30%\r");
    tui.wait_for("the jump", |t| !t.status().contains("TOP"));
    let top = place_in(&reference, &pane(&tui));
    let hits: Vec<usize> = all_hits.iter().copied().filter(|&i| i > top).collect();
    let first_index = all_hits.len() - hits.len() + 1;

    tui.send(&format!("/{needle}\r"));
    // The first hit below the top line, a third of the way down.
    tui.wait_for("the first hit", |t| {
        pane(t)[third] == clip(&reference[hits[0]], COLS as usize)
    });
    tui.wait_for("the hit count", |t| {
        t.status()
            .contains(&format!("hit {first_index} of {}", all_hits.len()))
    });
    // Highlighted: the match is drawn in reverse video.
    let col = pane(&tui)[third]
        .find(needle)
        .expect("needle on the hit row");
    assert!(tui.with_screen(|s| s
        .cell(third as u16, col as u16)
        .is_some_and(|c| c.inverse())));

    tui.send("n");
    tui.wait_for("the second hit", |t| {
        pane(t)[third] == clip(&reference[hits[1]], COLS as usize)
    });
    tui.wait_for("the next index", |t| {
        t.status().contains(&format!("hit {} of", first_index + 1))
    });
    tui.send("n");
    tui.wait_for("the third hit", |t| {
        pane(t)[third] == clip(&reference[hits[2]], COLS as usize)
    });
    tui.send("N");
    tui.wait_for("back to the second", |t| {
        pane(t)[third] == clip(&reference[hits[1]], COLS as usize)
    });

    // Past the last hit, the search wraps to the top with a message.
    tui.press("G");
    let wrap = "search hit BOTTOM, continuing at TOP";
    for _ in 0..ROWS {
        // Hits on the last screen come first, one `n` each.
        tui.press("n");
        if tui.status().contains(wrap) {
            break;
        }
    }
    tui.wait_for("the wrap", |t| t.status().contains(wrap));
    // The first hit of the log, as near a third down as the top allows.
    assert!(pane(&tui).contains(&clip(&reference[all_hits[0]], COLS as usize)));

    // Backward: `?` from the end finds the last hit.
    tui.press("G");
    tui.send(&format!("?{needle}\r"));
    let last = all_hits[all_hits.len() - 1];
    tui.wait_for("the last hit", |t| {
        rows_with(t, needle)
            .iter()
            .any(|&r| pane(t)[r] == clip(&reference[last], COLS as usize))
    });

    tui.send("/no such thing anywhere\r");
    tui.wait_for("not found", |t| t.status().contains("pattern not found"));

    tui.send("/a(b\r");
    tui.wait_for("the regex error", |t| t.status().contains("invalid regex"));
}

#[test]
fn filters_and_levels() {
    let dir = attempt("300kB", "text");
    let mut tui = open_plain(&dir);
    tui.send("&Poking for key\r");
    tui.wait_for("only matching records", |t| {
        let rows = pane(t);
        rows.iter()
            .filter(|r| !r.is_empty())
            .all(|r| r.contains("Poking for key"))
            && t.status().contains("&Poking")
    });
    tui.press(" ");
    assert!(pane(&tui)
        .iter()
        .filter(|r| !r.is_empty())
        .all(|r| r.contains("Poking for key")));

    // `&` alone clears.
    tui.send("&\r");
    tui.wait_for("everything again", |t| {
        pane(t)
            .iter()
            .any(|r| !r.is_empty() && !r.contains("Poking"))
    });

    tui.send("&!Poking\r");
    tui.wait_for("no Poking lines", |t| {
        t.status().contains("&!Poking") && rows_with(t, "Poking").is_empty()
    });
    tui.press("G");
    assert!(rows_with(&tui, "Poking").is_empty());
    tui.send("&\r");
    tui.wait_for("cleared", |t| !t.status().contains("&!"));

    // L: INFO → WARNING → ERROR: every record shown is an ERROR one.
    tui.send("LLL");
    tui.wait_for("ERROR and above", |t| t.status().contains("≥ERROR"));
    tui.wait_for("only errors", |t| {
        let rows = pane(t);
        let heads: Vec<&String> = rows.iter().filter(|r| r.starts_with("[2024")).collect();
        !heads.is_empty()
            && heads
                .iter()
                .all(|r| r.contains("ERROR") || r.contains("CRITICAL"))
    });
    tui.send("L");
    tui.wait_for("all levels", |t| !t.status().contains("≥"));
}

#[test]
fn a_long_search_can_be_cancelled() {
    let dir = attempt("60MB", "text");
    let mut tui = Tui::spawn(&[path(dir.path())], ROWS, COLS);
    tui.wait_ready();
    tui.send("/never[0-9]appears\r");
    tui.wait_for("search progress", |t| t.status().contains("searching for"));
    tui.send("\x1b");
    tui.wait_for("the cancel", |t| t.status().contains("search cancelled"));
    // The viewer still answers.
    tui.press("G");
    tui.wait_for("END", |t| t.status().contains("END"));
}

#[test]
fn literal_toggle_and_search_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("a.log"),
        "2024-12-20T10:00:00Z start\n2024-12-20T10:00:01Z costs a.b today\n2024-12-20T10:00:02Z axb here\n",
    )
    .expect("write");
    let mut tui = Tui::spawn(&[path(dir.path())], 8, 60);
    tui.wait_ready();
    // As a regex, `a.b` matches "axb" too; Ctrl-r makes it the literal text.
    tui.send("/a.b");
    tui.wait_for("the regex prompt", |t| t.status().contains("[regex"));
    tui.send("\x12");
    tui.wait_for("the literal prompt", |t| t.status().contains("[literal"));
    tui.send("\r");
    tui.wait_for("one literal hit", |t| t.status().contains("hit 1 of 1"));
    // Up recalls the last pattern.
    tui.send("/\x1b[A");
    tui.wait_for("the recalled pattern", |t| t.status().starts_with("/a.b"));
    tui.send("\x1b");
    tui.wait_for("the prompt closed", |t| !t.status().starts_with("/"));
    tui.send("/a.b\r");
    tui.wait_for("two regex hits", |t| t.status().contains("of 2"));
}

#[test]
fn a_source_truncated_while_open_does_not_break_the_viewer() {
    let dir = attempt("300kB", "text");
    let mut tui = Tui::spawn(&[path(dir.path())], ROWS, COLS);
    tui.wait_ready();
    // copytruncate under our feet: the worker log shrinks to nothing.
    std::fs::OpenOptions::new()
        .write(true)
        .open(dir.path().join("attempt=1.log"))
        .expect("open")
        .set_len(0)
        .expect("truncate");
    for keys in ["G", "g", ":50%\r", "/Poking\r", "]", "G"] {
        tui.send(keys);
        tui.settle();
    }
    tui.wait_for("a live status bar", |t| {
        let status = t.status();
        ["help", "%", "END", "TOP"]
            .iter()
            .any(|mark| status.contains(mark))
    });
    // The other sources still show.
    tui.send("g");
    tui.wait_for("trigger lines", |t| t.text().contains("igger.42.log"));
    tui.send("q");
    assert!(tui.wait_exit(), "clean exit");
}

fn append(path: &std::path::Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open for append");
    f.write_all(text.as_bytes()).expect("append");
}

#[test]
fn follow_mode_shows_new_lines_pauses_and_resumes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.log");
    let b = dir.path().join("b.log");
    let lines: String = (0..30)
        .map(|i| format!("2024-12-20T10:00:{i:02}Z old {i}\n"))
        .collect();
    std::fs::write(&a, lines).expect("write");
    std::fs::write(&b, "2024-12-20T10:00:00Z b start\n").expect("write");
    let mut tui = Tui::spawn(&["-f", path(&a), path(&b)], 12, 80);
    tui.wait_for("FOLLOW at the end", |t| {
        t.status().contains("FOLLOW") && t.text().contains("old 29")
    });

    append(&a, "2024-12-20T10:01:00Z fresh from a\n");
    append(&b, "2024-12-20T10:01:01Z fresh from b\n");
    tui.wait_for("the new lines at the bottom", |t| {
        let p = pane(t);
        p.iter().any(|r| r.contains("fresh from a"))
            && p.last().is_some_and(|r| r.contains("fresh from b"))
    });

    // Scrolling up pauses; new lines do not move the screen.
    tui.press("k");
    tui.wait_for("paused", |t| t.status().contains("paused"));
    let before = pane(&tui);
    append(&a, "2024-12-20T10:02:00Z while paused\n");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(pane(&tui), before, "the screen stays while paused");

    // F resumes at the end.
    tui.send("F");
    tui.wait_for("following again", |t| {
        t.status().contains("FOLLOW") && t.text().contains("while paused")
    });
    // A partial line waits for its newline, or for the writer to go quiet.
    append(&a, "2024-12-20T10:03:00Z half a line");
    tui.wait_for("the partial line after the grace period", |t| {
        t.text().contains("half a line")
    });
}

#[test]
fn a_followed_file_empty_when_opened_is_rendered_once_airflow_3_writes_to_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("attempt=1.log");
    std::fs::write(&log, "").expect("write");
    let tui = Tui::spawn(&["-f", path(&log)], 12, 100);
    tui.wait_for("FOLLOW", |t| t.status().contains("FOLLOW"));
    append(
        &log,
        "{\"timestamp\":\"2024-12-20T10:00:00.000000Z\",\"level\":\"info\",\"event\":\"Task started\",\"logger\":\"task\"}\n",
    );
    tui.wait_for("the record rendered as the Airflow UI shows it", |t| {
        pane(t)
            .iter()
            .any(|r| r.contains("Task started") && !r.contains("\"event\""))
    });
}

#[test]
fn the_live_demo_keeps_growing_on_screen() {
    let cache = tempfile::tempdir().expect("tempdir");
    let tui = Tui::spawn_env(
        &["demo", "--live", "--size", "200kB"],
        12,
        100,
        &[("XDG_CACHE_HOME", path(cache.path()))],
    );
    tui.wait_for("following", |t| t.status().contains("FOLLOW"));
    let first = tui.status();
    // New records keep arriving: the time of the top line moves on.
    tui.wait_for("the stream to move", |t| {
        t.status().contains("FOLLOW") && t.status() != first
    });
}

#[test]
fn following_survives_truncation_rotation_and_welcomes_new_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("attempt=1.log");
    std::fs::write(&a, "2024-12-20T10:00:00Z a first\n").expect("write");
    let mut tui = Tui::spawn(&["-f", path(dir.path())], 12, 100);
    tui.wait_for("following", |t| {
        t.status().contains("FOLLOW") && t.text().contains("a first")
    });

    // copytruncate: announced, and what comes next shows.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&a)
        .expect("open")
        .set_len(0)
        .expect("truncate");
    tui.wait_for("the truncation notice", |t| {
        t.status().contains("was truncated")
    });
    append(&a, "2024-12-20T10:00:01Z after truncation\n");
    tui.wait_for("the new line", |t| t.text().contains("after truncation"));

    // Rotation: renamed away, a new file in its place.
    std::fs::rename(&a, dir.path().join("old.log.1")).expect("rotate");
    std::fs::write(&a, "2024-12-20T10:00:02Z in the new file\n").expect("write");
    tui.wait_for("the rotated file's line", |t| {
        t.text().contains("in the new file")
    });

    // A new triggerer sub-log appears in the folder: it joins the merge.
    std::fs::write(
        dir.path().join("attempt=1.log.trigger.7.log"),
        "2024-12-20T10:00:03Z trigger seven\n",
    )
    .expect("write");
    tui.wait_for("the new source", |t| {
        // Tagged by its name (the tag column shows its ends).
        t.text().contains("trigger seven") && t.text().contains("rigger.7.log ")
    });
    tui.send("q");
    assert!(tui.wait_exit());
}

#[test]
fn rotation_backups_beside_a_followed_file_keep_the_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("attempt=1.log");
    std::fs::write(
        dir.path().join("attempt=1.log.1"),
        "2024-12-20T09:00:00Z an old backup\n",
    )
    .expect("write");
    std::fs::write(&a, "2024-12-20T10:00:00Z before rotation\n").expect("write");
    let mut tui = Tui::spawn(&["-f", path(&a)], 10, 100);
    tui.wait_for("following", |t| {
        t.status().contains("FOLLOW") && t.text().contains("before rotation")
    });
    // logrotate: the log moves to .2 (the old .1 stays), a new one starts.
    std::fs::rename(&a, dir.path().join("attempt=1.log.2")).expect("rotate");
    std::fs::write(&a, "2024-12-20T10:00:05Z after rotation\n").expect("write");
    tui.wait_for("both sides of the rotation", |t| {
        t.text().contains("before rotation") && t.text().contains("after rotation")
    });
    // The backup that was there before is not pulled in; no source is
    // reported gone.
    tui.press("g");
    assert!(!tui.text().contains("an old backup"));
    assert!(!tui.status().contains("deleted"), "{}", tui.status());
}

#[test]
fn stdin_in_the_viewer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.log");
    std::fs::write(&a, "2024-12-20T10:00:00Z from the file\n").expect("write");
    let script = format!(
        "(echo '2024-12-20T10:00:01Z from stdin'; sleep 1; echo '2024-12-20T10:00:02Z later on stdin'; sleep 30) | {} -f - {}",
        env!("CARGO_BIN_EXE_logweave"),
        path(&a)
    );
    let tui = Tui::spawn_program("sh", &["-c", &script], 10, 100);
    tui.wait_for("stdin and the file merged", |t| {
        t.text().contains("from the file")
            && t.text().contains("from stdin")
            && t.status().contains("stdin")
    });
    tui.wait_for("what stdin sends later", |t| {
        t.text().contains("later on stdin")
    });
}

#[test]
fn grep_and_level_options_filter_the_viewer_too() {
    let dir = attempt("300kB", "text");
    let mut tui = Tui::spawn(&["--grep", "Poking for key", path(dir.path())], ROWS, COLS);
    tui.wait_ready();
    // Tags off: rows are the lines, whole.
    tui.press("t");
    tui.wait_for("only matching records", |t| {
        let rows = pane(t);
        t.status().contains("&Poking")
            && rows
                .iter()
                .filter(|r| !r.is_empty())
                .all(|r| r.contains("Poking for key"))
    });
}

#[test]
fn sideways_scroll_half_pages_and_help_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lines: String = (0..60)
        .map(|i| {
            format!(
                "2024-12-20T10:00:{i:02}Z line {i:02} {}\n",
                "abcdefghij".repeat(12)
            )
        })
        .collect();
    std::fs::write(dir.path().join("a.log"), lines).expect("write");
    let mut tui = Tui::spawn(&["--", path(&dir.path().join("a.log"))], 12, 60);
    tui.wait_ready();
    tui.press("t");
    assert!(pane(&tui)[0].starts_with("2024-12-20T10:00:00Z line 00"));
    // l scrolls 8 columns right, h back.
    tui.press("l");
    assert!(
        pane(&tui)[0].starts_with("20T10:00:00Z line 00"),
        "{:?}",
        pane(&tui)[0]
    );
    tui.press("h");
    assert!(pane(&tui)[0].starts_with("2024-12-20T10:00:00Z"));
    // Ctrl-d: half of the 11-line pane down; Ctrl-u back.
    tui.press("\x04");
    assert!(pane(&tui)[0].contains("line 05"), "{:?}", pane(&tui)[0]);
    tui.press("\x15");
    assert!(pane(&tui)[0].contains("line 00"));
    // H shows the keys, any key closes them.
    tui.press("H");
    tui.wait_for_text("logweave keys");
    tui.press("x");
    assert!(!tui.text().contains("logweave keys"));
}

#[test]
fn a_deleted_source_says_so_while_following() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a.log"), dir.path().join("b.log"));
    std::fs::write(&a, "2024-12-20T10:00:00Z from a\n").expect("write");
    std::fs::write(&b, "2024-12-20T10:00:01Z from b\n").expect("write");
    let tui = Tui::spawn(&["-f", path(&a), path(&b)], 8, 100);
    tui.wait_for("following", |t| t.status().contains("FOLLOW"));
    std::fs::remove_file(&a).expect("delete");
    tui.wait_for("the deleted state", |t| {
        t.status().contains("disappeared") || t.status().contains("deleted")
    });
    assert!(tui.text().contains("from a"), "what was read stays");
    append(&b, "2024-12-20T10:00:02Z b goes on\n");
    tui.wait_for("the other source still followed", |t| {
        t.text().contains("b goes on")
    });
}

#[test]
fn times_are_shown_and_read_in_the_display_zone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a.log");
    let lines: String = (0..120)
        .map(|m| {
            format!(
                "2024-12-20T{:02}:{:02}:00Z minute {m}\n",
                10 + m / 60,
                m % 60
            )
        })
        .collect();
    std::fs::write(&file, lines).expect("write");
    let mut tui = Tui::spawn(&["--display-tz", "Europe/Berlin", path(&file)], 10, 100);
    tui.wait_for("Berlin time in the status bar", |t| {
        t.status().contains("2024-12-20 11:00:00.000 +01:00")
    });
    // `:` reads times in the zone shown: 11:30 in Berlin is 10:30Z.
    tui.press(":");
    tui.press("11:30\r");
    tui.wait_for("the 10:30Z line on top", |t| {
        t.rows()[0].contains("2024-12-20T10:30:00Z minute 30")
    });
    tui.press("Z");
    tui.wait_for("UTC", |t| {
        t.status().contains("2024-12-20T10:30:00.000Z") && t.status().contains("times in UTC")
    });
    tui.press("Z");
    // The harness runs with TZ=UTC: local time is UTC with an offset shown.
    tui.wait_for("local time", |t| {
        t.status().contains("2024-12-20 10:30:00.000 +00:00")
            && t.status().contains("times in local")
    });
    tui.press("Z");
    tui.wait_for("Berlin again", |t| {
        t.status().contains("2024-12-20 11:30:00.000 +01:00")
    });
}

#[test]
fn a_stream_that_begins_after_the_viewer_opened_fills_the_screen_without_follow_mode() {
    // stdin stays silent for longer than the viewer waits before it opens
    // (a slow command, an API server that reads the whole log first).
    let command = format!(
        "(sleep 3; printf '2024-12-20T10:00:00Z late arrival\\n2024-12-20T10:00:01Z and more\\n'; sleep 30) | {} -",
        env!("CARGO_BIN_EXE_logweave")
    );
    let tui = Tui::spawn_program("sh", &["-c", &command], 10, 80);
    // The viewer opens after waiting a second for stdin.
    tui.wait_for("the viewer", |t| t.status().contains("stdin"));
    tui.wait_for("what arrived, on screen", |t| {
        t.text().contains("late arrival") && t.text().contains("and more")
    });
    assert!(!tui.status().contains("FOLLOW"), "without follow mode");
}

/// What a terminal at 2 a.m. goes through: squeezed to one cell and back,
/// a storm of resizes, a regex too big to compile, with a 1 MB line on
/// screen. The viewer keeps answering.
#[test]
fn the_viewer_survives_tiny_terminals_resize_storms_and_hostile_regexes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from("2024-12-20T10:00:00Z INFO before the long line\n");
    text.push_str("2024-12-20T10:00:01Z ");
    text.push_str(&"a".repeat(1 << 20));
    text.push('\n');
    text.push_str("2024-12-20T10:00:02Z INFO after the long line\n");
    std::fs::write(dir.path().join("long.log"), &text).expect("write");
    let mut tui = Tui::spawn(&[path(&dir.path().join("long.log"))], ROWS, COLS);
    tui.wait_for_text("after the long line");

    tui.resize(1, 1);
    tui.settle();
    for i in 0..20u16 {
        tui.resize(5 + i, 20 + 4 * i);
    }
    tui.resize(ROWS, COLS);
    tui.wait_for("a redraw at the full size", |t| {
        t.text().contains("after the long line") && t.rows().len() == ROWS as usize
    });

    // Too big for the regex engine's size limit: said, not hung.
    tui.send("/a{1000}{1000}{1000}\r");
    tui.wait_for("the size limit", |t| t.status().contains("invalid regex"));

    tui.send("/after the\r");
    tui.wait_for("a later search to work", |t| {
        t.status().contains("hit") || t.text().contains("after the long line")
    });
    tui.press("q");
    assert!(tui.wait_exit());
}

/// Text of `len` lower-case words, the same for the same `seed`.
fn words(len: usize, seed: u64) -> String {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            match (state >> 59) as u8 {
                n @ 0..=25 => (b'a' + n) as char,
                _ => ' ',
            }
        })
        .collect()
}

#[test]
fn pastes_of_100_kb_go_into_the_prompt_whole_and_never_act_as_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("a.log");
    let pasted = words(100_000, 7);
    std::fs::write(
        &log,
        format!("2024-12-20T10:00:00Z INFO hello\n2024-12-20T10:00:01Z INFO {pasted}\n"),
    )
    .expect("write");
    let mut tui = Tui::spawn(&[path(&log)], ROWS, COLS);
    tui.wait_for_text("hello");
    assert!(
        tui.bracketed_paste(),
        "the viewer asks the terminal to bracket pastes"
    );

    // A paste outside a prompt: its q is not a key, the viewer stays.
    tui.send("\x1b[200~q\r:1\x1b[201~");
    tui.wait_for("the note about pastes", |t| {
        t.status().contains("a paste goes into a prompt")
    });

    // 100 KB pasted into the search prompt, as a terminal brackets it: one
    // event, shown by its end, and a search for all of it finds the line.
    tui.send("/");
    tui.wait_for("the prompt", |t| t.status().starts_with('/'));
    tui.send(&format!("\x1b[200~{pasted}\x1b[201~"));
    let end: String = pasted
        .chars()
        .rev()
        .take(20)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    tui.wait_for("the end of the paste in the prompt", |t| {
        t.status().starts_with('…') && t.status().contains(end.trim())
    });
    tui.send("\r");
    tui.wait_for("the search to find the line", |t| {
        t.status().contains("hit 1 of 1")
    });

    // The same 100 KB from a terminal that does not bracket pastes: 100,000
    // keys in one burst, all read (the input reader used to stop after the
    // first 1 KiB until the next key), and Esc right after closes the prompt.
    tui.send("/");
    tui.wait_for("the prompt", |t| t.status().starts_with('/'));
    tui.send(&pasted);
    tui.send("\x1b");
    tui.wait_for("Esc to close the prompt after the burst", |t| {
        !t.status().starts_with('/') && !t.status().starts_with('…')
    });
    tui.press("q");
    assert!(tui.wait_exit());
}

#[test]
fn a_search_stuck_on_a_long_line_stops_at_its_timeout_and_says_why() {
    // A regex of a long case-folded literal over a line of the same letter
    // costs the pattern's length times the line's (minutes): the search
    // says it makes no progress, stops at the timeout, and a literal
    // search (Ctrl-r) finds the line at once.
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("z.log");
    // 8.5 s in a release build, minutes in a debug one.
    let needle = "z".repeat(50_000);
    std::fs::write(
        &log,
        format!(
            "2024-12-20T10:00:00Z INFO hello\n2024-12-20T10:00:01Z INFO {}\n",
            "z".repeat(1_000_000)
        ),
    )
    .expect("write");
    let mut tui = Tui::spawn_env(
        &[path(&log)],
        ROWS,
        COLS,
        &[("LOGWEAVE_SEARCH_TIMEOUT", "4")],
    );
    tui.wait_for_text("hello");
    tui.send("/");
    tui.wait_for("the prompt", |t| t.status().starts_with('/'));
    tui.send(&format!("\x1b[200~{needle}\x1b[201~\r"));
    tui.wait_for("the timeout", |t| {
        t.status().contains("search stopped: no progress for 4 s")
    });
    tui.send("/");
    tui.wait_for("the prompt", |t| t.status().starts_with('/'));
    tui.send("\x12");
    tui.wait_for("the literal prompt", |t| t.status().contains("literal"));
    tui.send(&format!("\x1b[200~{needle}\x1b[201~\r"));
    tui.wait_for("the literal search to find the line", |t| {
        t.status().contains("hit 1 of 1")
    });
    tui.press("q");
    assert!(tui.wait_exit());
}

#[test]
fn hostile_escapes_names_and_wide_text_never_reach_the_terminal_raw() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("tempdir");
    // What a log line may hold: an OSC 8 hyperlink, an OSC 52 clipboard
    // write, a DCS string, a title, and a bidi override; and a name that
    // would set the title.
    std::fs::write(
        dir.path().join("a.log"),
        concat!(
            "2024-12-20T10:00:00Z link \x1b]8;;http://evil.example/\x1b\\here\x1b]8;;\x1b\\ ok\n",
            "2024-12-20T10:00:01Z clip \x1b]52;c;cm0gLXJmIH4=\x07 dcs \x1bP1$qm\x1b\\ end\n",
            "2024-12-20T10:00:02Z bidi \u{202e}txt.exe\u{202c} done\n",
        ),
    )
    .expect("write");
    let odd = dir
        .path()
        .join(OsStr::from_bytes(b"odd\x1b]2;pwned\x07\nname.log"));
    std::fs::write(&odd, "2024-12-20T10:00:03Z from the odd name\n").expect("write");
    // Wide and combining characters at every offset, for sideways scrolling.
    let wide: String = (0..4)
        .map(|i| {
            format!(
                "2024-12-20T10:00:0{}Z {}{}\n",
                4 + i,
                "x".repeat(i),
                "日本語のログe\u{301}".repeat(30)
            )
        })
        .collect();
    std::fs::write(dir.path().join("wide.log"), wide).expect("write");

    let mut tui = Tui::spawn(&[path(dir.path())], 14, 80);
    tui.wait_for_text("from the odd name");
    let tagged = tui.text();
    // Tags off: rows are the lines.
    tui.press("t");
    let text = tui.text();
    for shown in [
        "link ^[]8;;http://evil.example/^[\\here",
        "clip ^[]52;c;cm0gLXJmIH4=^G dcs ^[P1$qm^[\\ end",
        "bidi <U+202E>txt.exe<U+202C> done",
    ] {
        assert!(text.contains(shown), "{shown:?} is shown as text:\n{text}");
    }
    for raw in [
        &b"\x1b]8;;http"[..],
        b"\x1b]52;c;cm0g",
        b"\x1bP1$q",
        b"\x1b]2;pwned",
        "\u{202e}".as_bytes(),
    ] {
        assert!(
            !tui.wrote(raw),
            "{:?} reached the terminal",
            String::from_utf8_lossy(raw)
        );
    }
    // The name's tag is escaped too (tags show with several sources).
    assert!(tagged.contains("odd\\u{1b}]2"), "{tagged}");

    // Scrolled sideways (8 columns a step) over wide characters at odd and
    // even offsets, one cut by either edge shows as spaces: no row is
    // wider than the screen, and no glyph is half drawn in the last column.

    for step in 1..=3 {
        let before = tui.text();
        tui.send("l");
        tui.wait_for(&format!("the scroll by {}", 8 * step), |t| {
            t.text() != before
        });
        tui.with_screen(|screen| {
            for row in 0..13 {
                let last = screen.cell(row, 79).expect("the last column");
                assert!(
                    !last.is_wide(),
                    "row {row}: a wide glyph starts in the last column"
                );
                let line = screen.contents_between(row, 0, row, 80);
                assert!(
                    unicode_width::UnicodeWidthStr::width(line.as_str()) <= 80,
                    "row {row} is wider than the screen: {line:?}"
                );
            }
        });
    }
    assert!(
        tui.text().contains("日本") && !tui.text().contains("2024-12-20T10:00:04Z"),
        "scrolled: {}",
        tui.text()
    );
    tui.press("q");
    assert!(tui.wait_exit());
}

#[test]
fn a_clock_step_back_is_kept_in_file_order_marked_and_said_and_disorder_within_the_window_is_sorted(
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("task.log");
    std::fs::write(
        &log,
        "2024-12-20T10:00:01Z stdout a\n\
         2024-12-20T10:00:03Z stdout b\n\
         2024-12-20T10:00:01.500Z logging late by 1.5 s\n\
         2024-12-20T10:00:04Z stdout c\n\
         2024-12-20T09:00:05Z stepped back one\n\
         2024-12-20T09:00:06Z stepped back two\n\
         2024-12-20T10:00:07Z stdout d\n",
    )
    .expect("write");
    let tui = Tui::spawn(&[log.to_str().expect("utf-8")], 12, 100);
    tui.wait_ready();
    tui.wait_for("the records in order, the stepped ones marked", |t| {
        let rows: Vec<String> = t.rows().iter().map(|r| r.trim_end().to_string()).collect();
        rows.len() > 7
            && rows[0].ends_with("stdout a")
            && rows[1].ends_with("logging late by 1.5 s")
            && !rows[1].contains("late 2024")
            && rows[2].ends_with("stdout b")
            && rows[4].contains("late 2024-12-20T09:00:05Z stepped back one")
            && rows[5].contains("late 2024-12-20T09:00:06Z")
            && rows[6].ends_with("stdout d")
    });
    tui.wait_for("the status bar to say so", |t| {
        t.status()
            .contains("2 records out of time order by up to 60 min")
    });
}

#[test]
fn paging_down_and_up_from_the_end_show_one_order_on_sources_out_of_time_order() {
    // A sorted a.log beside b.log written 04.5, 02.5, 01.5 (out of order
    // by up to 3 s: within the reorder window).
    let dir = tempfile::tempdir().expect("tempdir");
    let a: String = (1..=6)
        .map(|s| format!("2024-12-20T10:00:0{s}Z a{s}\n"))
        .collect();
    std::fs::write(dir.path().join("a.log"), a).expect("write");
    std::fs::write(
        dir.path().join("b.log"),
        "2024-12-20T10:00:04.5Z b-4.5\n2024-12-20T10:00:02.5Z b-2.5\n2024-12-20T10:00:01.5Z b-1.5\n",
    )
    .expect("write");
    let reference = printed(&[path(dir.path())]);
    assert_eq!(reference.len(), 9);
    let time = |l: &String| {
        chrono::DateTime::parse_from_rfc3339(l.split(' ').next().unwrap_or("")).expect("a time")
    };
    assert!(
        reference.windows(2).all(|w| time(&w[0]) <= time(&w[1])),
        "{reference:#?}"
    );
    // Three lines a screen, tags off: down from the top, then up from G.
    let mut tui = Tui::spawn(&[path(dir.path())], 4, 60);
    tui.wait_ready();
    tui.press("t");
    let screen = |t: &Tui| pane(t)[..3].to_vec();
    for page in 0..3 {
        let want = reference[page * 3..page * 3 + 3].to_vec();
        tui.wait_for(&format!("page {page} going down"), |t| screen(t) == want);
        if page < 2 {
            tui.press(" ");
        }
    }
    tui.press("g");
    tui.press("G");
    for page in (0..3).rev() {
        let want = reference[page * 3..page * 3 + 3].to_vec();
        tui.wait_for(&format!("page {page} going up"), |t| screen(t) == want);
        if page > 0 {
            tui.press("b");
        }
    }
    assert!(tui.status().contains("line 1 of 9"), "{}", tui.status());
}

/// A source without timestamps is said in the status bar, and the help
/// (`H`) lists each source with the format it was read in.
#[test]
fn an_untimed_source_is_said_and_the_help_lists_each_sources_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("a.log"),
        "Dec 20 10:00:01 web-1 sshd[1]: accepted\nDec 20 10:00:02 web-1 sshd[1]: closed\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("pod.log"), "starting\nready\n").expect("write");
    let mut tui = Tui::spawn(&[path(dir.path())], ROWS, COLS);
    tui.wait_for("the notice", |t| {
        t.status()
            .contains("pod.log: no timestamps found in the first 2 lines; shown first")
    });
    tui.press("H");
    tui.wait_for("the help", |t| t.text().contains("logweave keys"));
    // The sources come after the keys: page down to them.
    tui.press("     ");
    tui.wait_for("the sources in the help", |t| {
        t.text().contains("syslog (RFC 3164) / journalctl; year")
            && t.text()
                .contains("no timestamps found in the first 2 lines")
    });
}

#[test]
fn replicas_keep_their_equal_lines_and_what_dedup_left_of_a_copy_is_said() {
    let dir = tempfile::tempdir().expect("tempdir");
    let task = "2024-12-20T10:00:01.000Z task starts\n\
                2024-12-20T10:00:02.000Z task works\n\
                2024-12-20T10:00:03.000Z task ends\n";
    std::fs::write(dir.path().join("task.log"), task).expect("write");
    std::fs::write(dir.path().join("task-copy.log"), task).expect("write");
    // Two replicas: the same line in the same millisecond, no copies.
    std::fs::write(
        dir.path().join("replica-a.log"),
        "2024-12-20T10:00:00.100Z replica a up\n2024-12-20T10:00:04.000Z ERROR db down\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("replica-b.log"),
        "2024-12-20T10:00:00.200Z replica b up\n2024-12-20T10:00:04.000Z ERROR db down\n",
    )
    .expect("write");
    let mut tui = Tui::spawn(&[path(dir.path())], ROWS, COLS);
    tui.wait_for("each task line once, the replicas' line twice", |t| {
        let text = t.text();
        text.matches("task works").count() == 1 && text.matches("ERROR db down").count() == 2
    });
    tui.wait_for("the status bar to say what dedup left out", |t| {
        t.status()
            .contains("task.log: 3 records left out as copies of task-copy.log's")
    });
    tui.press("H");
    tui.wait_for("the help", |t| t.text().contains("logweave keys"));
    tui.press("     ");
    tui.wait_for("the copy's count among the sources in the help", |t| {
        // In the help's box, not only on the status bar below it.
        t.rows().iter().any(|row| {
            row.contains('│') && row.contains("3 records left out as copies of task-copy.log's")
        })
    });
}

#[test]
fn a_since_inside_a_folded_group_shows_the_groups_lines_as_print_does() {
    // Airflow 3's "Post Execute" group opens before `--since` and ends
    // after it: its lines in the range show, as `--print` writes them.
    let dir = tempfile::tempdir().expect("tempdir");
    let events = [
        "::group::Post Execute",
        "inside one",
        "inside two",
        "::endgroup::",
        "after the group",
    ];
    let text: String = events
        .iter()
        .enumerate()
        .map(|(s, event)| {
            format!("{{\"timestamp\":\"2026-12-07T04:08:0{s}.000000Z\",\"event\":\"{event}\"}}\n")
        })
        .collect();
    let file = dir.path().join("attempt=1.log");
    std::fs::write(&file, text).expect("write");
    let args = ["--since", "2026-12-07T04:08:01.500Z", path(&file)];
    let printed = printed(&args);
    assert!(
        printed.iter().any(|l| l.contains("inside two")),
        "{printed:?}"
    );
    let mut tui = Tui::spawn(&args, 10, 100);
    tui.wait_for("the group's lines in the range", |t| {
        t.text().contains("inside two") && t.text().contains("after the group")
    });
    tui.press("q");
    assert!(tui.wait_exit());
}
