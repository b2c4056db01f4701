//! Saving the whole stream from the viewer (`s%`), timed through the pty
//! harness (not a test: `#[ignore]`d and run by `scripts/export-bench.sh`,
//! which compares it with `--print` of the same stream and writes the table
//! for BENCHMARKS.md). Prints the time from Enter to "saved" in the status
//! bar (once the overview has counted the lines) and the viewer's peak RSS.

#[path = "e2e/harness.rs"]
mod harness;

use std::time::{Duration, Instant};

use harness::Tui;

#[test]
#[ignore = "benchmark: run by scripts/export-bench.sh with LOGWEAVE_BENCH_SET and LOGWEAVE_BENCH_OUT"]
fn export_bench() {
    let set = std::env::var("LOGWEAVE_BENCH_SET").expect("LOGWEAVE_BENCH_SET=<attempt folder>");
    let out = std::env::var("LOGWEAVE_BENCH_OUT").expect("LOGWEAVE_BENCH_OUT=<file to write>");
    let _ = std::fs::remove_file(&out);
    let mut tui = Tui::spawn(&[&set], 40, 160);
    tui.poll = Duration::from_millis(2);
    tui.time_until("the first screen", |t| t.status().contains("TOP"));
    // The overview's pass (line numbers, timeline) runs once after opening,
    // on the same cores: the save is timed after it, as a user saves after
    // looking around.
    tui.time_until("the line count", |t| t.status().contains("line 1 of"));
    let t0 = Instant::now();
    tui.send(&format!("s%{out}\r"));
    tui.time_until("saved", |t| t.status().contains("saved the stream"));
    let took = t0.elapsed();
    let rss = tui.peak_rss_kib().unwrap_or(0);
    tui.send("q");
    tui.wait_exit();
    println!(
        "BENCH export_s={:.2} export_rss_mb={:.1}",
        took.as_secs_f64(),
        rss as f64 / 1024.0
    );
}
