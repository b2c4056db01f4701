//! Working with what was found, through the real binary in a pty: the
//! focused line, marks and jump-back, save, copy (OSC 52), pipe, and `v`.

#[path = "e2e/harness.rs"]
mod harness;

use std::path::Path;

use harness::{attempt, path, printed, printed_bytes, Tui};

const ROWS: u16 = 24;
const COLS: u16 = 100;

/// Shift+Down and Shift+Up as xterm sends them.
const FOCUS_DOWN: &str = "\x1b[1;2B";
const FOCUS_UP: &str = "\x1b[1;2A";

/// A log of `n` one-line records, one a second, `line 1` … `line n`.
fn numbered(dir: &Path, name: &str, n: usize) -> std::path::PathBuf {
    let file = dir.join(name);
    let text: String = (1..=n)
        .map(|i| {
            format!(
                "2024-12-20T10:{:02}:{:02}Z INFO line {i}\n",
                i / 60 % 60,
                i % 60
            )
        })
        .collect();
    std::fs::write(&file, text).expect("write log");
    file
}

fn pane(tui: &Tui) -> Vec<String> {
    let rows = tui.rows();
    rows[..rows.len() - 1]
        .iter()
        .map(|r| r.trim_end().to_string())
        .collect()
}

/// The row the focus highlight is on (its background differs).
fn focused_row(tui: &Tui) -> Option<usize> {
    tui.with_screen(|screen| {
        (0..ROWS - 1).find(|&row| {
            screen
                .cell(row, (COLS - 1) / 2)
                .is_some_and(|c| c.bgcolor() != vt100::Color::Default)
        })
    })
    .map(usize::from)
}

/// Opens `args` in the viewer; without source tags when `plain` (so rows
/// are the lines).
/// Moves the focus `n` lines down on the screen (no scrolling) and waits
/// for the highlight to get there.
fn focus_down(tui: &mut Tui, n: usize) {
    let from = focused_row(tui).expect("a focused row");
    for _ in 0..n {
        tui.send(FOCUS_DOWN);
    }
    tui.wait_for("the focus to move", |t| focused_row(t) == Some(from + n));
}

/// Whether `row` shows mark `letter` in the gutter before `line` (which
/// the gutter pushed two columns right).
fn marked_row(row: &str, letter: char, line: &str) -> bool {
    row.strip_prefix(&format!("{letter} "))
        .is_some_and(|rest| !rest.is_empty() && line.starts_with(rest.trim_end()))
}

fn open(args: &[&str], plain: bool) -> Tui {
    let mut tui = Tui::spawn(args, ROWS, COLS);
    tui.wait_ready();
    if plain {
        tui.press("t");
    }
    tui
}

#[test]
fn the_focus_moves_with_keys_and_clicks_and_stays_on_its_line_while_scrolling() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = numbered(dir.path(), "a.log", 200);
    let mut tui = open(&[path(&log)], true);
    assert_eq!(focused_row(&tui), Some(0), "the top line is focused first");
    focus_down(&mut tui, 2);
    // j scrolls as in less; the focus stays on its line.
    tui.press("j");
    assert_eq!(focused_row(&tui), Some(1));
    assert!(pane(&tui)[1].ends_with("line 3"), "{:?}", pane(&tui));
    // A click focuses the line clicked (SGR mouse report, 1-based).
    tui.send("\x1b[<0;10;8M\x1b[<0;10;8m");
    tui.wait_for("the click's line focused", |t| focused_row(t) == Some(7));
    // Moving past the bottom scrolls.
    for _ in 0..20 {
        tui.send(FOCUS_DOWN);
    }
    tui.wait_for("the focus at the last row", |t| {
        focused_row(t) == Some(ROWS as usize - 2) && pane(t)[ROWS as usize - 2].ends_with("line 29")
    });
    tui.send(FOCUS_UP);
    tui.wait_for("the focus up", |t| {
        focused_row(t) == Some(ROWS as usize - 3)
    });
}

#[test]
fn marks_survive_hiding_sources_and_filters_and_jump_back_returns() {
    let dir = attempt("300kB", "text");
    let mut tui = open(&[path(dir.path())], false);
    tui.send(":40%\r");
    tui.wait_for("the jump", |t| !t.status().contains("TOP"));
    // Focus a trigger line with a click and mark it.
    let row = pane(&tui)
        .iter()
        .position(|l| l.starts_with("attempt=1.l…igger.42.log") && l.contains("INFO"))
        .expect("a trigger line on screen");
    tui.send(&format!("\x1b[<0;20;{}M\x1b[<0;20;{}m", row + 1, row + 1));
    tui.wait_for("the click", |t| focused_row(t) == Some(row));
    let marked = pane(&tui)[row].clone();
    tui.press("ma");
    tui.wait_for("the gutter", |t| pane(t)[row].starts_with("a "));

    tui.press("G");
    tui.wait_for("END", |t| t.status().contains("END"));
    tui.press("'");
    tui.wait_for("the list of marks", |t| t.text().contains(" marks "));
    assert!(tui.text().contains("igger.42.log"), "{}", tui.text());
    tui.press("a");
    tui.wait_for("the mark on the top row", |t| {
        marked_row(&pane(t)[0], 'a', &marked)
    });
    assert_eq!(focused_row(&tui), Some(0));
    // '' goes back to where the jump started, and again forth.
    tui.press("''");
    tui.wait_for("END again", |t| t.status().contains("END"));
    tui.press("''");
    tui.wait_for("the mark again", |t| marked_row(&pane(t)[0], 'a', &marked));
    // '$ and '^: the end and the start, as in less.
    tui.press("'$");
    tui.wait_for("the end", |t| t.status().contains("END"));
    tui.press("'^");
    tui.wait_for("the start", |t| t.status().contains("TOP"));

    // Hide the worker's log (source 1) and go away: the mark still finds its record.
    tui.press("1x");
    tui.press("g");
    tui.press("'a");
    tui.wait_for("the mark with a source hidden", |t| {
        marked_row(&pane(t)[0], 'a', &marked)
    });
    tui.press("1x");
    // A filter the marked line passes (its logger, literally: Ctrl-r).
    let logger = marked
        .split_whitespace()
        .find(|w| w.starts_with('{'))
        .expect("the logger in braces");
    tui.send(&format!("&\x12{logger}\r"));
    tui.wait_for("the filter", |t| t.status().contains(&format!("&{logger}")));
    tui.press("G");
    tui.press("'a");
    tui.wait_for("the mark under a filter", |t| {
        marked_row(&pane(t)[0], 'a', &marked)
    });
}

#[test]
fn saving_a_marked_range_and_the_filtered_stream_writes_what_print_writes() {
    let dir = attempt("300kB", "text");
    let out = tempfile::tempdir().expect("tempdir");
    let reference = printed(&[path(dir.path())]);
    let mut tui = open(&[path(dir.path())], true);
    // Groups open: every row is a printed line.
    tui.press("zR");
    // A share goes to a line, which may be inside a record (a traceback):
    // `{` then focuses a record's first line, on the top row.
    tui.send(":20%\r");
    tui.wait_for("the jump", |t| !t.status().contains("TOP"));
    tui.press("{");
    let first = pane(&tui)[0].clone();
    tui.press("ma");
    tui.send(":22%\r");
    tui.wait_for("the second jump", |t| pane(t)[0] != format!("a {first}"));
    tui.press("{");
    // The focus is on the top line, the start of a record.
    let last = pane(&tui)[0].trim_start().to_string();
    let saved = out.path().join("range.log");
    tui.send("sa");
    tui.wait_for("the save prompt", |t| {
        t.status().contains("save 'a to the focus to:")
    });
    tui.send(&format!("{}\r", path(&saved)));
    tui.wait_for("saved", |t| t.status().contains("saved"));

    let start = reference
        .iter()
        .position(|l| l.starts_with(first.trim_start()) || *l == first.trim_start())
        .unwrap_or_else(|| panic!("the marked line is in --print: {first:?}"));
    let focus = start
        + reference[start..]
            .iter()
            .position(|l| l.starts_with(&last))
            .expect("the focused line is in --print");
    // Through the focused record: up to the next timestamped line.
    let end = focus
        + 1
        + reference[focus + 1..]
            .iter()
            .position(|l| l.starts_with("[20"))
            .unwrap_or(reference.len() - focus - 1);
    let want = reference[start..end].join("\n") + "\n";
    let got = std::fs::read_to_string(&saved).expect("the saved range");
    assert_eq!(
        got, want,
        "the range from the mark through the focused record"
    );

    // The whole stream under a filter, as --print --grep writes it.
    tui.send("&ERROR\r");
    tui.wait_for("the filter", |t| t.status().contains("&ERROR"));
    let all = out.path().join("errors.log");
    tui.send(&format!("s%{}\r", path(&all)));
    tui.wait_for("saved", |t| {
        t.status().contains("saved the stream as shown")
    });
    assert_eq!(
        std::fs::read(&all).expect("saved"),
        printed_bytes(&[path(dir.path()), "--grep", "ERROR"])
    );

    // An existing file is only replaced when the user says so.
    std::fs::write(&all, "keep me\n").expect("write");
    tui.send(&format!("s%{}\r", path(&all)));
    tui.wait_for("the question", |t| t.status().contains("overwrite it?"));
    tui.press("n");
    assert_eq!(std::fs::read_to_string(&all).expect("kept"), "keep me\n");
    tui.send(&format!("s%{}\r", path(&all)));
    tui.wait_for("the question", |t| t.status().contains("overwrite it?"));
    tui.send("y");
    tui.wait_for("saved", |t| {
        t.status().contains("saved the stream as shown")
    });
    assert_eq!(
        std::fs::read(&all).expect("saved"),
        printed_bytes(&[path(dir.path()), "--grep", "ERROR"])
    );
    // Nothing half-written is left beside it.
    let leftovers: Vec<_> = std::fs::read_dir(out.path())
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A folder that cannot be written to says so.
    tui.send("s%/proc/nope/x.log\r");
    tui.wait_for("the failure", |t| {
        t.status().contains("cannot write in /proc/nope")
    });
}

#[test]
fn copy_puts_the_focused_record_on_the_clipboard_safely() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("task.log");
    std::fs::write(
        &log,
        "2024-12-20T10:00:00Z INFO start\n\
         2024-12-20T10:00:01Z ERROR boom \x1b[31mred\x1b[0m \x1b]52;c;ZXZpbA==\x07 done\n\
         Traceback (most recent call last):\n\
         \x20 File \"x.py\", line 1\n\
         2024-12-20T10:00:02Z INFO after\n",
    )
    .expect("write");
    let mut tui = open(&[path(&log)], true);
    // } and { move the focus by records: over the traceback and back.
    tui.send("}");
    tui.wait_for("the next record", |t| focused_row(t) == Some(1));
    tui.send("}");
    tui.wait_for("past the traceback", |t| focused_row(t) == Some(4));
    tui.send("{");
    tui.wait_for("the record above", |t| focused_row(t) == Some(1));
    tui.press("y");
    tui.wait_for("the copy said", |t| {
        t.status().contains("copied the focused record: 3 lines")
    });
    let copies = tui.clipboard_writes();
    let copied = String::from_utf8(copies.last().expect("an OSC 52 write").clone()).expect("utf-8");
    assert_eq!(
        copied,
        "2024-12-20T10:00:01Z ERROR boom red ^[]52;c;ZXZpbA==^G done\n\
         Traceback (most recent call last):\n\
         \x20 File \"x.py\", line 1\n"
    );
    assert!(!copied.contains('\x1b'), "no escape reaches the terminal");

    // A range from a mark.
    tui.press("gma");
    tui.press("G");
    tui.send("Ya");
    tui.wait_for("the range copied", |t| {
        t.status()
            .contains("copied mark 'a' to the focused record: 5 lines")
    });
}

#[test]
fn a_range_piped_to_a_command_and_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = numbered(dir.path(), "a.log", 100);
    let mut tui = open(&[path(&log)], true);
    focus_down(&mut tui, 1);
    tui.press("ma");
    focus_down(&mut tui, 4);
    tui.send("|a");
    tui.wait_for("the pipe prompt", |t| {
        t.status().contains("pipe 'a to the focus to: !")
    });
    tui.send("grep -c 'line [2-6]$'\r");
    tui.wait_for("the command's output and the question", |t| {
        t.text().contains("press Enter (or Ctrl-c) to return")
    });
    let lines: Vec<String> = tui.text().lines().map(|l| l.trim().to_string()).collect();
    assert!(
        lines.iter().any(|l| l == "5"),
        "the five lines from the mark to the focus:\n{}",
        tui.text()
    );
    tui.send("\r");
    tui.wait_for("the viewer back", |t| t.status().contains("done"));
    assert!(pane(&tui)[1].starts_with("a "), "{:?}", pane(&tui));
    // The terminal is the viewer's again: keys work.
    tui.press("G");
    tui.wait_for("END", |t| t.status().contains("END"));
}

#[test]
fn v_opens_the_focused_line_in_the_editor_and_says_why_not_for_streams() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = numbered(dir.path(), "a.log", 50);
    let editor = dir.path().join("editor.sh");
    let opened = dir.path().join("opened");
    std::fs::write(
        &editor,
        format!("#!/bin/sh\necho \"$@\" > '{}'\n", path(&opened)),
    )
    .expect("write editor");
    let mut perms = std::fs::metadata(&editor).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&editor, perms).expect("chmod");

    let mut tui = Tui::spawn_env(&[path(&log)], ROWS, COLS, &[("VISUAL", path(&editor))]);
    tui.wait_ready();
    tui.press("t");
    tui.press("jj");
    focus_down(&mut tui, 3);
    tui.send("v");
    tui.wait_for("back from the editor", |t| t.status().contains("back from"));
    let args = std::fs::read_to_string(&opened).expect("the editor ran");
    assert_eq!(args.trim(), format!("+6 {}", path(&log)));

    // Through a pipe there is no file to open.
    let text = std::fs::read_to_string(&log).expect("read");
    let mut piped = Tui::spawn_program(
        "sh",
        &[
            "-c",
            &format!(
                "printf '%s' '{}' | {} -",
                text.replace('\'', ""),
                env!("CARGO_BIN_EXE_logweave")
            ),
        ],
        ROWS,
        COLS,
    );
    piped.wait_ready();
    piped.send("v");
    piped.wait_for("why not", |t| t.status().contains("v opens local files"));
}

/// Two sources over the same hour: `a.log` has `::group::` sections of
/// `body` records (the last one `::endgroup::`) every `every` records and
/// ends with `tail` plain records; `b.log` writes between its records.
fn grouped(
    dir: &Path,
    groups: usize,
    every: usize,
    body: usize,
    tail: usize,
) -> [std::path::PathBuf; 2] {
    let mut a = String::new();
    let mut b = String::new();
    let mut t = 0u32;
    let stamp = |t: u32| {
        format!(
            "2024-12-20T10:{:02}:{:02}.{:03}Z",
            t / 60_000 % 60,
            t / 1000 % 60,
            t % 1000
        )
    };
    let mut n = 0;
    for g in 0..groups {
        for _ in 0..every {
            a.push_str(&format!("{} INFO A {n} plain\n", stamp(t)));
            b.push_str(&format!("{} INFO B {n}\n", stamp(t + 1)));
            t += 2;
            n += 1;
        }
        a.push_str(&format!("{} INFO ::group::G{g}\n", stamp(t)));
        t += 2;
        for i in 0..body {
            let text = if i + 1 == body {
                "::endgroup::".to_string()
            } else {
                format!("A {n} inside G{g}")
            };
            a.push_str(&format!("{} INFO {text}\n", stamp(t)));
            b.push_str(&format!("{} INFO B {n} during G{g}\n", stamp(t + 1)));
            t += 2;
            n += 1;
        }
    }
    for _ in 0..tail {
        a.push_str(&format!("{} INFO A {n} plain\n", stamp(t)));
        t += 2;
        n += 1;
    }
    let (pa, pb) = (dir.join("a.log"), dir.join("b.log"));
    std::fs::write(&pa, a).expect("write a");
    std::fs::write(&pb, b).expect("write b");
    [pa, pb]
}

/// `--print` of the grouped logs as the viewer shows them with every group
/// folded: a group's header becomes `▸ name (n lines)`, its other lines
/// (all in a.log) go, b.log's lines in its time span stay.
fn folded_reference(printed: &[String], body: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in printed {
        let from_a = !line.contains(" B ");
        if from_a && line.contains("::group::") {
            let name = line.split("::group::").nth(1).expect("name");
            out.push(format!("▸ {name} ({body} lines)"));
            inside = true;
        } else if from_a && inside {
            inside = !line.contains("::endgroup::");
        } else {
            out.push(line.clone());
        }
    }
    out
}

#[test]
fn groups_fold_to_one_line_open_and_close_and_paging_across_folds_is_exact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = 8;
    let [a, b] = grouped(dir.path(), 30, 6, body, 60);
    let reference = folded_reference(&printed(&[path(&a), path(&b)]), body);
    let mut tui = open(&[path(&a), path(&b)], true);
    let height = ROWS as usize - 1;
    assert_eq!(pane(&tui), reference[..height], "the first screen, folded");

    // Page down to the end: every line of the folded stream once, in order.
    let mut seen = pane(&tui);
    while !tui.status().contains("END") {
        tui.press(" ");
        seen.extend(pane(&tui));
    }
    let last = pane(&tui);
    let pages = seen.len() - last.len();
    assert_eq!(
        seen[..pages],
        reference[..pages],
        "paging down across folds"
    );
    assert_eq!(
        last,
        reference[reference.len() - height..],
        "the last screen"
    );

    // And up from the end with b.
    tui.press("G");
    let mut up = vec![pane(&tui)];
    while !tui.status().contains("TOP") {
        tui.press("b");
        up.push(pane(&tui));
    }
    let first = up.pop().expect("the first screen");
    assert_eq!(first, reference[..height], "the first screen from below");
    let back: Vec<String> = up.into_iter().rev().flatten().collect();
    let start = reference.len() - back.len();
    assert_eq!(back, reference[start..], "paging up across folds");

    // Focus the first group's header and open it: its lines come back.
    let header = pane(&tui)
        .iter()
        .position(|l| l.starts_with("▸ G0"))
        .expect("the first folded group on screen");
    tui.send(&format!(
        "\x1b[<0;5;{}M\x1b[<0;5;{}m",
        header + 1,
        header + 1
    ));
    tui.wait_for("the header focused", |t| focused_row(t) == Some(header));
    tui.press("za");
    tui.wait_for("the group open", |t| {
        pane(t)[header].starts_with("▾ ") && pane(t)[header].contains("::group::G0")
    });
    assert!(tui.text().contains("A 8 inside G0"), "{}", tui.text());
    // zc from a line inside closes it and focuses the header.
    focus_down(&mut tui, 1);
    tui.press("zc");
    tui.wait_for("the group folded again", |t| {
        pane(t).iter().any(|l| l.starts_with("▸ G0"))
    });
    // zR opens all, zM folds all.
    tui.press("zR");
    tui.wait_for("all open", |t| !t.text().contains('▸'));
    tui.press("g");
    tui.press("zM");
    tui.wait_for("all folded", |t| pane(t) == reference[..height]);

    // A search that lands inside a folded group opens it.
    tui.send("/A 148 inside\r");
    tui.wait_for("the hit shown", |t| t.text().contains("A 148 inside G10"));
    assert!(
        tui.text().contains("▾ "),
        "the group around the hit is open:\n{}",
        tui.text()
    );
}

#[test]
fn a_group_longer_than_the_reach_stays_open_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("long.log");
    let mut text =
        String::from("2024-12-20T10:00:00Z INFO start\n2024-12-20T10:00:00Z INFO ::group::Huge\n");
    let filler = "x".repeat(200);
    for i in 0..90_000 {
        text.push_str(&format!("2024-12-20T10:00:01Z INFO row {i} {filler}\n"));
    }
    text.push_str("2024-12-20T10:00:02Z INFO ::endgroup::\n");
    assert!(text.len() as u64 > 17 << 20);
    std::fs::write(&log, text).expect("write");
    let mut tui = open(&[path(&log)], true);
    tui.wait_for("the mark", |t| {
        pane(t)[1].starts_with("▾ (no end within 16 MiB: not folded)")
    });
    assert!(pane(&tui)[2].contains("row 0"), "{:?}", pane(&tui));
    focus_down(&mut tui, 1);
    tui.press("za");
    tui.wait_for("why not", |t| t.status().contains("no end within 16 MiB"));
}

#[test]
fn a_group_whose_end_is_not_written_yet_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("running.log");
    std::fs::write(
        &log,
        "2024-12-20T10:00:00Z INFO start\n\
         2024-12-20T10:00:00Z INFO ::group::Running\n\
         2024-12-20T10:00:01Z INFO row 0\n",
    )
    .expect("write");
    let tui = open(&[path(&log)], true);
    tui.wait_for("the mark", |t| {
        pane(t)[1].starts_with("▾ (no end yet: not folded)")
    });
}

#[test]
fn a_jump_by_line_or_time_into_a_folded_group_opens_it_on_that_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = 8;
    let [a, b] = grouped(dir.path(), 30, 6, body, 60);
    let lines = printed(&[path(&a), path(&b)]);
    let mut tui = open(&[path(&a), path(&b)], true);
    tui.wait_for("lines counted", |t| t.status().contains(" of "));

    // `:N`: line N of the stream unfolded (as print numbers it), far below
    // the screen, inside a group nobody has seen yet.
    let inside_g20: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("inside G20"))
        .collect();
    let target = inside_g20[2];
    tui.send(&format!(":{}\r", target + 1));
    tui.wait_for("line N on the top row", |t| pane(t)[0] == lines[target]);
    assert_eq!(
        pane(&tui)[..4],
        lines[target..target + 4],
        "the group's lines around it shown, not folded away"
    );
    assert!(
        tui.status().contains(&format!("line {} of", target + 1)),
        "{}",
        tui.status()
    );

    // `:TIME`, the time of a line inside another folded group: the
    // stream stays folded, with the group that holds the time on top.
    tui.press("g");
    tui.wait_for("the top", |t| t.status().contains("TOP"));
    let target = (0..lines.len())
        .filter(|&i| lines[i].contains("inside G25"))
        .nth(1)
        .expect("G25's second line");
    let time = lines[target]
        .split_whitespace()
        .next()
        .expect("a timestamp");
    tui.send(&format!(":{time}\r"));
    tui.wait_for("the group's header on the top row", |t| {
        pane(t)[0].starts_with("▸ G25")
    });
    // Said, as the screen may not have moved.
    tui.wait_for("where the time went", |t| {
        t.status()
            .contains("that time is inside the folded group 'G25' (zo opens it)")
    });

    // A search whose hit is in a group not seen yet opens it too.
    tui.press("g");
    tui.wait_for("the top", |t| t.status().contains("TOP"));
    let hit = lines
        .iter()
        .find(|l| l.contains("inside G28"))
        .expect("a line inside G28")
        .clone();
    let needle = hit.split(" INFO ").nth(1).expect("the message");
    tui.send(&format!("/{needle}\r"));
    tui.wait_for("the hit shown", |t| pane(t).contains(&hit));
}

#[test]
fn a_time_jump_past_either_end_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = numbered(dir.path(), "n.log", 300);
    let mut tui = open(&[path(&log)], true);
    tui.send(":2024-12-20 11:30\r");
    tui.wait_for("said past the end", |t| {
        t.status()
            .contains("no record that late: the last is at 2024-12-20T10:05:00.000Z")
    });
    tui.send(":2024-12-20 09:00\r");
    tui.wait_for("said before the start", |t| {
        t.status()
            .contains("no record that early: the first is at 2024-12-20T10:00:01.000Z")
    });
    assert_eq!(pane(&tui)[0], "2024-12-20T10:00:01Z INFO line 1");
    // Inside the log, nothing to say.
    tui.send(":2024-12-20 10:02:00\r");
    tui.wait_for("the line at that time", |t| {
        pane(t)[0] == "2024-12-20T10:02:00Z INFO line 120"
    });
    assert!(!tui.status().contains("no record"), "{}", tui.status());
}
