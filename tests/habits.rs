//! Habits of less and lnav, through the real binary in a pty (issue 26):
//! Ctrl-C stops what runs and keeps the session, `F` toggles follow,
//! Ctrl-Z suspends and `fg` restores, counts before keys, the sources
//! panel, tags that tell files apart, and a status bar that holds up with
//! thousands of sources. The README's key table and the help agree with
//! `assets/keymap.txt`.

#[path = "e2e/harness.rs"]
mod harness;

use std::io::Write;
use std::path::Path;

use harness::{attempt, path, Tui};

const ROWS: u16 = 16;
const COLS: u16 = 120;

/// A log of `n` one-line records, one a second, `line 1` … `line n`.
fn numbered(file: &Path, n: usize, word: &str) {
    let text: String = (1..=n)
        .map(|i| {
            format!(
                "2024-12-20T{:02}:{:02}:{:02}Z INFO {word} {i}\n",
                10 + i / 3600,
                i / 60 % 60,
                i % 60
            )
        })
        .collect();
    std::fs::write(file, text).expect("write log");
}

fn pane(tui: &Tui) -> Vec<String> {
    let rows = tui.rows();
    rows[..rows.len() - 1]
        .iter()
        .map(|r| r.trim_end().to_string())
        .collect()
}

fn append(file: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(file)
        .expect("open to append");
    f.write_all(text.as_bytes()).expect("append");
}

#[test]
fn ctrl_c_stops_following_and_a_search_keeps_the_session_and_says_how_to_quit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("a.log");
    numbered(&log, 40, "old");
    let mut tui = Tui::spawn(&["-f", path(&log)], ROWS, COLS);
    tui.wait_for("FOLLOW", |t| {
        t.status().contains("FOLLOW") && t.text().contains("old 40")
    });

    // Ctrl-C stops following, as in less +F; the viewer stays.
    tui.send("\x03");
    tui.wait_for("stopped following", |t| {
        t.status().contains("paused") && t.status().contains("stopped following")
    });
    append(&log, "2024-12-20T11:00:00Z INFO arrived while stopped\n");
    // F follows again and takes in what arrived; F again stops.
    tui.send("F");
    tui.wait_for("following again", |t| {
        t.status().contains("FOLLOW") && t.text().contains("arrived while stopped")
    });
    tui.send("F");
    tui.wait_for("F stopped it", |t| t.status().contains("paused"));

    // With nothing running, Ctrl-C says how to quit and quits nothing.
    tui.send("\x03");
    tui.wait_for("how to quit", |t| t.status().contains("q quits"));
    assert!(tui.running(), "Ctrl-C must not quit");

    // Ctrl-C closes a prompt without acting on it.
    tui.send("/arrived");
    tui.wait_for("the prompt", |t| t.status().starts_with("/arrived"));
    tui.send("\x03");
    tui.wait_for("the prompt closed", |t| !t.status().starts_with("/arrived"));
    assert!(tui.running());
    tui.send("q");
    assert!(tui.wait_exit());
}

#[test]
fn ctrl_c_stops_a_long_search_and_the_viewer_answers() {
    let dir = attempt("60MB", "text");
    let mut tui = Tui::spawn(&[path(dir.path())], ROWS, COLS);
    tui.wait_ready();
    tui.send("/never[0-9]appears\r");
    tui.wait_for("search progress", |t| t.status().contains("searching for"));
    tui.send("\x03");
    tui.wait_for("the search stopped", |t| {
        t.status().contains("search cancelled")
    });
    assert!(tui.running(), "Ctrl-C must not quit");
    tui.press("G");
    tui.wait_for("END", |t| t.status().contains("END"));
}

#[test]
fn counts_go_to_lines_shares_move_and_hide_sources_as_in_less() {
    let dir = tempfile::tempdir().expect("tempdir");
    numbered(&dir.path().join("a.log"), 300, "line");
    std::fs::write(
        dir.path().join("b.log"),
        "2024-12-20T10:00:00.500Z INFO from b\n",
    )
    .expect("write");
    let mut tui = Tui::spawn(&["--no-dedup", path(dir.path())], ROWS, COLS);
    tui.wait_for("line numbers", |t| t.status().contains("of 301"));

    // 100g: line 100 at the top, and no source hidden on the way.
    tui.send("100g");
    tui.wait_for("line 100", |t| t.status().contains("line 100 of 301"));
    assert!(!tui.status().contains("○"), "{}", tui.status());
    // 10j: ten lines down; 5k: five up.
    tui.send("10j");
    tui.wait_for("line 110", |t| t.status().contains("line 110 of 301"));
    tui.send("5k");
    tui.wait_for("line 105", |t| t.status().contains("line 105 of 301"));
    // 50%: half of the lines above (150.5 of 301, rounded).
    tui.send("50%");
    tui.wait_for("half-way", |t| {
        t.status().contains("line 152 of 301") && t.status().contains(" 50% ")
    });
    tui.send("1G");
    tui.wait_for("line 1", |t| t.status().contains("TOP"));

    // N after / goes up: at the top it wraps to the bottom and says so.
    tui.send("/INFO line\r");
    tui.wait_for("a hit", |t| t.status().contains("/INFO line"));
    tui.send("gN");
    tui.wait_for("the upward wrap named", |t| {
        t.status().contains("search hit TOP, continuing at BOTTOM")
    });
    tui.send("g");
    tui.wait_for("the top", |t| t.status().contains("TOP"));

    // 5n: the fifth hit from here.
    tui.send("/line [0-9]*0$\r");
    tui.wait_for("the first hit", |t| {
        pane(t)[ROWS as usize / 3].contains("line 10")
    });
    tui.send("5n");
    tui.wait_for("the fifth hit after it", |t| {
        pane(t).iter().any(|r| r.ends_with("line 60"))
            && !pane(t).iter().any(|r| r.ends_with("line 10"))
    });

    // 2x hides source 2 (b.log); 2x again shows it.
    tui.send("g2x");
    tui.wait_for("b hidden", |t| {
        t.status().contains("2○") && !t.text().contains("from b")
    });
    tui.send("2x");
    tui.wait_for("b shown", |t| t.status().contains("showing b.log"));
    tui.send("g");
    tui.wait_for("b back on top", |t| pane(t)[0].contains("from b"));
}

#[test]
fn the_sources_panel_shows_every_path_and_two_attempt_logs_are_told_apart() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("remote")).expect("mkdir");
    let local = dir.path().join("attempt=1.log");
    let remote = dir.path().join("remote/attempt=1.log");
    let trigger = dir.path().join("attempt=1.log.trigger.42.log");
    std::fs::write(&local, "2024-12-20T10:00:00Z INFO local line\n").expect("write");
    std::fs::write(&remote, "2024-12-20T10:00:01Z INFO remote line\n").expect("write");
    std::fs::write(&trigger, "2024-12-20T10:00:02Z INFO trigger line\n").expect("write");
    let args = [
        "attempt=1.log",
        "attempt=1.log.trigger.42.log",
        "remote/attempt=1.log",
    ];
    // Named as the README does, from the folder they are in.
    let bin = env!("CARGO_BIN_EXE_logweave");
    let script = format!(
        "cd '{}' && exec '{bin}' {}",
        path(dir.path()),
        args.join(" ")
    );
    let mut tui = Tui::spawn_program("sh", &["-c", &script], ROWS, COLS);
    tui.wait_ready();
    // Tags: the shortest suffix of the path that tells them apart.
    tui.wait_for("tags", |t| {
        let p = pane(t);
        p[0].starts_with("attempt=1.log ")
            && p[1].starts_with("remote/attempt=1.log ")
            // A tag wider than its column keeps both ends.
            && p[2].starts_with("attempt=1.l…igger.42.log ")
    });
    // --print --tag uses the same tags.
    let out = std::process::Command::new(bin)
        .current_dir(dir.path())
        .args(["--print", "--tag"])
        .args(args)
        .output()
        .expect("print");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("attempt=1.log: 2024-12-20T10:00:00Z INFO local line"),
        "{text}"
    );
    assert!(
        text.contains("remote/attempt=1.log: 2024-12-20T10:00:01Z"),
        "{text}"
    );
    assert!(
        text.contains("attempt=1.log.trigger.42.log: 2024-12-20T10:00:02Z"),
        "{text}"
    );

    // = lists every source with its full path.
    tui.send("=");
    tui.wait_for("the panel", |t| t.text().contains("3 sources"));
    let real = |p: &Path| {
        std::fs::canonicalize(p)
            .expect("canonical")
            .display()
            .to_string()
    };
    for file in [&local, &remote, &trigger] {
        let full = real(file);
        tui.wait_for(&format!("{full} in the panel"), |t| {
            t.text().contains(&full)
        });
    }
    // Space hides the chosen source (the second, after j); Enter goes to
    // the first record of the third and closes the panel.
    tui.send("j ");
    tui.wait_for("trigger hidden", |t| t.status().contains("2○"));
    tui.send("j\r");
    tui.wait_for("the panel closed at remote's first record", |t| {
        !t.text().contains("3 sources") && t.status().contains("the first record of remote")
    });
}

#[test]
fn ctrl_z_suspends_to_the_shell_and_fg_restores_the_screen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("a.log");
    numbered(&log, 40, "suspended");
    let bin = env!("CARGO_BIN_EXE_logweave");
    // A shell with job control, as a user has.
    let mut tui = Tui::spawn_program("bash", &["--norc", "--noprofile", "-i"], ROWS, COLS);
    tui.send("PS1='shell$ '\r");
    tui.wait_for_text("shell$");
    tui.send(&format!("{bin} {}\r", path(&log)));
    tui.wait_for("the viewer", |t| {
        t.text().contains("suspended 1") && t.status().contains("TOP")
    });
    tui.send("\x1a");
    tui.wait_for("the shell back, the viewer stopped", |t| {
        t.text().contains("Stopped")
            && t.text().contains("shell$")
            && !t.text().contains("suspended 1")
    });
    tui.send("fg\r");
    tui.wait_for("the screen restored", |t| {
        t.text().contains("suspended 1")
            && t.status().contains("TOP")
            && !t.text().contains("shell$")
    });
    // And it answers keys again.
    tui.send("G");
    tui.wait_for("END", |t| t.status().contains("END"));
    tui.send("q");
    tui.wait_for("back in the shell", |t| t.text().contains("shell$"));
}

#[test]
fn with_5000_sources_a_refused_jump_is_said_in_full() {
    let dir = tempfile::tempdir().expect("tempdir");
    for i in 0..5_000 {
        std::fs::write(
            dir.path().join(format!("f{i:04}.log")),
            format!(
                "2024-12-20T10:{:02}:{:02}Z INFO file {i}\n",
                i / 60 % 60,
                i % 60
            ),
        )
        .expect("write");
    }
    let mut tui = Tui::spawn(&[path(dir.path())], ROWS, 100);
    tui.wait_for("the count of sources", |t| {
        t.status().contains("5,000 sources =")
    });
    tui.send(":12x\r");
    tui.wait_for("the refusal, whole", |t| {
        let status = t.status();
        status.contains("12x") && !status.contains("sources =")
    });
}

/// How the README writes a key of `assets/keymap.txt`.
fn readme_name(key: &str) -> String {
    let arrows = [("Down", "↓"), ("Up", "↑"), ("Left", "←"), ("Right", "→")];
    if let Some(rest) = key.strip_prefix("S-") {
        let arrow = arrows
            .iter()
            .find(|(k, _)| *k == rest)
            .map_or(rest, |(_, a)| a);
        return format!("Shift-{arrow}");
    }
    if let Some(rest) = key.strip_prefix("C-") {
        return format!("Ctrl-{rest}");
    }
    match key {
        "PageDown" => "PgDn".into(),
        "PageUp" => "PgUp".into(),
        "|" => "\\|".into(),
        other => arrows
            .iter()
            .find(|(k, _)| *k == other)
            .map_or(other.to_string(), |(_, a)| a.to_string()),
    }
}

#[test]
fn the_readme_key_table_names_the_first_key_of_every_action_in_the_keymap() {
    let root = env!("CARGO_MANIFEST_DIR");
    let keymap = std::fs::read_to_string(format!("{root}/assets/keymap.txt")).expect("keymap");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).expect("README");
    let table: String = readme
        .split("### The viewer")
        .nth(1)
        .and_then(|s| s.split("\n\n").find(|p| p.starts_with("| keys")))
        .expect("the README's key table")
        .to_string();
    let mut missing = Vec::new();
    for line in keymap
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut words = line.split_whitespace();
        let action = words.next().unwrap_or("");
        let Some(first) = words.next() else { continue };
        let name = readme_name(first);
        // `z` is named as `za`, `m` as `m` letter: the key starts a name.
        if !table.contains(&format!("`{name}")) {
            missing.push(format!("{action}: `{name}`"));
        }
    }
    assert!(
        missing.is_empty(),
        "keys of assets/keymap.txt the README's table does not name: {missing:?}"
    );
    // Keys the keymap no longer has are not in the table either.
    assert!(!table.contains("`1`–`9`"), "digits are counts now");
}

/// The text of the focused row (its background differs), if any.
fn focused(tui: &Tui) -> Option<String> {
    tui.with_screen(|screen| {
        (0..ROWS - 1).find(|&row| {
            screen
                .cell(row, COLS / 2)
                .is_some_and(|c| c.bgcolor() != vt100::Color::Default)
        })
    })
    .map(|row| pane(tui)[usize::from(row)].clone())
}

#[test]
fn line_numbers_count_the_lines_shown_while_a_source_is_hidden_or_filtered_and_past_the_end_is_said(
) {
    let dir = tempfile::tempdir().expect("tempdir");
    numbered(&dir.path().join("a.log"), 40, "alpha");
    let b: String = (1..=40)
        .map(|i| format!("2024-12-20T10:00:{i:02}.500Z INFO beta {i}\n"))
        .collect();
    std::fs::write(dir.path().join("b.log"), b).expect("write");
    let mut tui = Tui::spawn(&["--no-dedup", path(dir.path())], ROWS, COLS);
    tui.wait_for("line numbers", |t| t.status().contains("line 1 of 80 "));

    // b hidden: the lines shown are counted again, and the bar says so.
    tui.send("2x");
    tui.wait_for("a's lines counted", |t| {
        t.status().contains("line 1 of 40 shown")
    });
    tui.send(":20\r");
    tui.wait_for("line 20 of what is shown", |t| {
        pane(t)[0].ends_with("alpha 20") && t.status().contains("line 20 of 40 shown")
    });
    // Shown again: the whole stream's numbers, without a word.
    tui.send("2x");
    tui.wait_for("all counted", |t| {
        t.status().contains(" of 80 ") && !t.status().contains("shown ")
    });
    // A filter: the lines it lets through.
    tui.send("&beta\r");
    tui.wait_for("the filtered lines counted", |t| {
        t.status().contains(" of 40 shown")
    });
    tui.send(":5\r");
    tui.wait_for("the fifth line shown", |t| {
        pane(t)[0].ends_with("beta 5") && t.status().contains("line 5 of 40 shown")
    });

    // Past the end, `:` and a count before `g` say so and show the end.
    tui.send(":500\r");
    tui.wait_for(":500 refused in words", |t| {
        t.status()
            .contains("line 500 is past the end: 40 lines are shown")
    });
    assert!(pane(&tui).iter().any(|r| r.ends_with("beta 40")));
    tui.send("g");
    tui.wait_for("the top", |t| t.status().contains("TOP"));
    tui.send("90g");
    tui.wait_for("90g refused in words", |t| {
        t.status().contains("line 90 is past the end")
    });
}

#[test]
fn error_jumps_over_copies_go_forward_through_every_error_to_the_last_screen_and_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let errors = [15, 40, 41, 100, 190, 196, 199];
    let text: String = (1..=200)
        .map(|i| {
            let level = if errors.contains(&i) { "ERROR" } else { "INFO" };
            format!(
                "2024-12-20T10:{:02}:{:02}Z {level} event {i}\n",
                i / 60,
                i % 60
            )
        })
        .collect();
    // Two copies of one log (dedup shows each record once) and another.
    std::fs::write(dir.path().join("a.log"), &text).expect("write");
    std::fs::write(dir.path().join("b.log"), &text).expect("write");
    std::fs::write(
        dir.path().join("c.log"),
        "2024-12-20T10:00:00.500Z INFO other\n2024-12-20T10:03:30Z INFO other end\n",
    )
    .expect("write");
    let mut tui = Tui::spawn(&[path(dir.path())], ROWS, COLS);
    tui.wait_for("counted", |t| t.status().contains("line 1 of 202 "));

    // `]` from the top: each error once, in order, the ones on the last
    // screen too (focused there, since the screen cannot scroll further).
    for n in errors {
        tui.send("]");
        tui.wait_for(&format!("error {n} focused"), |t| {
            focused(t).is_some_and(|row| row.ends_with(&format!("ERROR event {n}")))
        });
    }
    tui.send("]");
    tui.wait_for("none below", |t| {
        t.status().contains("no ERROR record below")
    });
    // And `[` back up through them.
    for &n in errors.iter().rev().skip(1) {
        tui.send("[");
        tui.wait_for(&format!("error {n} focused going up"), |t| {
            focused(t).is_some_and(|row| row.ends_with(&format!("ERROR event {n}")))
        });
    }
    tui.send("[");
    tui.wait_for("none above", |t| {
        t.status().contains("no ERROR record above")
    });

    // The sources panel says which sources are copies of one log, and what
    // dedup left out of each.
    tui.send("=");
    tui.wait_for("the copies in the panel", |t| {
        let text = t.text();
        text.contains("in time order · copy of one log with b.log")
            && text
                .contains("copy of one log with a.log: 200 records left out as copies of a.log's")
    });
    assert!(
        !tui.text().contains("with c.log"),
        "c.log is a copy of none: {}",
        tui.text()
    );
}

#[test]
fn ctrl_c_at_the_wait_after_a_pipe_returns_to_the_viewer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("a.log");
    numbered(&log, 40, "piped");
    let mut tui = Tui::spawn(&[path(&log)], ROWS, COLS);
    tui.wait_for("the viewer", |t| t.status().contains("TOP"));
    tui.send("|.");
    tui.wait_for("the pipe prompt", |t| t.status().contains("pipe"));
    tui.send("wc -l\r");
    tui.wait_for("the command's output and the question", |t| {
        t.text().contains("press Enter (or Ctrl-c) to return")
    });
    tui.send("\x03");
    tui.wait_for("the viewer back", |t| {
        t.status().contains("wc -l: done") && pane(t)[0].contains("piped 1")
    });
    assert!(tui.running(), "Ctrl-C must not quit");
    tui.send("G");
    tui.wait_for("keys work", |t| t.status().contains("END"));
}

#[test]
fn the_sources_panel_gives_a_followed_sources_size_as_it_grows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("grows.log");
    std::fs::write(&log, "").expect("write");
    let mut tui = Tui::spawn(&["-f", path(&log)], ROWS, COLS);
    tui.wait_ready();
    // 2,000 bytes: 40 lines of 50.
    let line = |i: usize| format!("2024-12-20T11:00:{:02}Z INFO grown line {i:>12}\n", i % 60);
    let text: String = (0..40).map(line).collect();
    assert_eq!(text.len(), 2000);
    append(&log, &text);
    tui.wait_for("the lines", |t| {
        t.text().contains("grown line           39")
    });
    tui.send("=");
    tui.wait_for("the size it grew to", |t| {
        t.text().contains("1 source") && t.text().contains("2.0 KB")
    });
}
