//! Whole-binary viewer benchmark through the pty harness (not a test: it is
//! `#[ignore]`d and run by `scripts/tui-bench.sh`, which prints the table for
//! BENCHMARKS.md). Times: start → first full screen, `G`, a `:` time jump,
//! PgDn (mean over 1,000); and peak RSS over the whole session.

#[path = "e2e/harness.rs"]
mod harness;

use std::time::{Duration, Instant};

use harness::Tui;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[test]
#[ignore = "benchmark: run by scripts/tui-bench.sh with LOGWEAVE_BENCH_SET"]
fn tui_bench() {
    let set = std::env::var("LOGWEAVE_BENCH_SET").expect("LOGWEAVE_BENCH_SET=<attempt folder>");
    let started = Instant::now();
    let mut tui = Tui::spawn(&[&set], 40, 160);
    tui.poll = Duration::from_micros(500);
    tui.time_until("the first screen", |t| t.status().contains("TOP"));
    let first = started.elapsed();

    let before = tui.text();
    tui.send("G");
    let end = tui.time_until("G", |t| t.status().contains("END") && t.text() != before);

    tui.send("g");
    tui.time_until("g", |t| t.status().contains("TOP"));

    // Ten time jumps across the log; report the mean.
    let mut jumps = Duration::ZERO;
    for i in 0..10 {
        let target = format!("{}%", 5 + i * 9);
        let before = tui.text();
        let t0 = Instant::now();
        tui.send(&format!(":{target}\r"));
        tui.time_until("a jump", |t| {
            t.text() != before && !t.status().contains("TOP")
        });
        jumps += t0.elapsed();
    }
    let jump = jumps / 10;

    tui.send("g");
    tui.time_until("g", |t| t.status().contains("TOP"));
    let pages = 1000;
    let t0 = Instant::now();
    for _ in 0..pages {
        let before = tui.text();
        tui.send(" ");
        tui.time_until("PgDn", |t| t.text() != before);
    }
    let page = t0.elapsed() / pages;
    let rss = tui.peak_rss_kib().unwrap_or(0);
    // What was timed so far, on its own line: the searches below may not
    // finish on a loaded machine (the count of a common word reads it all).
    println!(
        "BENCH-OPEN first_screen_ms={:.1} G_ms={:.1} jump_ms={:.1} pgdn_ms={:.2} peak_rss_mb={:.1}",
        ms(first),
        ms(end),
        ms(jump),
        ms(page),
        rss as f64 / 1024.0
    );
    if std::env::var("LOGWEAVE_BENCH_SEARCH").is_ok_and(|v| v == "0") {
        tui.send("q");
        tui.wait_exit();
        return;
    }

    // Searches from the first screen for a line at the very end.
    let needle = std::env::var("LOGWEAVE_BENCH_NEEDLE").unwrap_or_else(|_| "needle-7f3ax".into());
    let mut search = |pattern: &str| {
        tui.send("g");
        tui.time_until("g", |t| t.status().contains("TOP"));
        let t0 = Instant::now();
        tui.send(&format!("/{pattern}\r"));
        // The hit line in the log pane (the status bar names the pattern too).
        tui.time_until("the hit", |t| {
            let rows = t.rows();
            rows[..rows.len() - 1]
                .iter()
                .any(|r| r.contains("the one line to find"))
        });
        t0.elapsed()
    };
    let literal = search(&needle);
    let regex = search("needle-[0-9a-f]{4}x");
    // A pattern found nowhere: every byte is read once (the wrap-around
    // covers only what the first pass did not).
    tui.send("g");
    tui.time_until("g", |t| t.status().contains("TOP"));
    let t0 = Instant::now();
    tui.send("/no such text anywhere\r");
    tui.time_until("not found", |t| t.status().contains("pattern not found"));
    let not_found = t0.elapsed();
    // A pattern on most lines: the hit is at once, the count runs to the end.
    tui.send("g");
    let t0 = Instant::now();
    tui.send("/INFO\r");
    tui.time_until("the INFO count", |t| t.status().contains("/INFO: hit"));
    let count = t0.elapsed();
    let search_rss = tui.peak_rss_kib().unwrap_or(0);
    tui.send("q");
    tui.wait_exit();
    println!(
        "BENCH first_screen_ms={:.1} G_ms={:.1} jump_ms={:.1} pgdn_ms={:.2} peak_rss_mb={:.1} literal_ms={:.0} regex_ms={:.0} not_found_ms={:.0} count_s={:.1} search_rss_mb={:.1}",
        ms(first),
        ms(end),
        ms(jump),
        ms(page),
        rss as f64 / 1024.0,
        ms(literal),
        ms(regex),
        ms(not_found),
        count.as_secs_f64(),
        search_rss as f64 / 1024.0
    );
}
