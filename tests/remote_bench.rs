//! Remote viewer benchmark (not a test: `#[ignore]`d, run by
//! `scripts/remote-bench.sh`): an object in the local S3-compatible server,
//! opened by URL in the release binary in a pty. Times start → first screen
//! and `G`, and counts the requests and bytes each fetched
//! (`LOGWEAVE_FETCH_STATS`); then the same for `--print` of the object.

#[path = "e2e/harness.rs"]
mod harness;
#[path = "remote/servers.rs"]
mod servers;

use std::time::{Duration, Instant};

use harness::Tui;

fn stats(file: &std::path::Path) -> (u64, u64) {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let field = |name: &str| -> u64 {
        text.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
            .unwrap_or(0)
    };
    (field("requests"), field("bytes"))
}

#[test]
#[ignore = "benchmark: run by scripts/remote-bench.sh with LOGWEAVE_BENCH_OBJECT"]
fn remote_bench() {
    let object = std::env::var("LOGWEAVE_BENCH_OBJECT").expect("LOGWEAVE_BENCH_OBJECT=<file>");
    let object = std::path::PathBuf::from(object);
    let len = std::fs::metadata(&object).expect("the object file").len();
    servers::s3_put("bench", &[("attempt=1.log".into(), object.clone())]);
    let env: Vec<(&str, String)> = servers::s3_env(servers::s3_server());
    let dir = tempfile::tempdir().unwrap();
    let stats_file = dir.path().join("stats");
    let mut env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let stats_path = stats_file.display().to_string();
    env_refs.push(("LOGWEAVE_FETCH_STATS", &stats_path));

    // Session 1: the first screen only.
    let started = Instant::now();
    let mut tui = Tui::spawn_env(&["s3://bench/attempt=1.log"], 40, 160, &env_refs);
    tui.poll = Duration::from_micros(500);
    tui.time_until("the first screen", |t| t.status().contains("TOP"));
    let first = started.elapsed();
    tui.send("q");
    assert!(tui.wait_exit());
    let (first_requests, first_bytes) = stats(&stats_file);

    // Session 2: first screen, then G.
    let mut tui = Tui::spawn_env(&["s3://bench/attempt=1.log"], 40, 160, &env_refs);
    tui.poll = Duration::from_micros(500);
    tui.time_until("the first screen", |t| t.status().contains("TOP"));
    let before = tui.text();
    let t0 = Instant::now();
    tui.send("G");
    tui.time_until("G", |t| t.status().contains("END") && t.text() != before);
    let end = t0.elapsed();
    let rss = tui.peak_rss_kib().unwrap_or(0);
    tui.send("q");
    assert!(tui.wait_exit());
    let (both_requests, both_bytes) = stats(&stats_file);

    // Print the whole object.
    let t0 = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_logweave"))
        .args(["--print", "s3://bench/attempt=1.log"])
        .envs(env_refs.iter().copied())
        .stdout(std::process::Stdio::null())
        .status()
        .expect("print");
    let print = t0.elapsed();
    assert!(out.success());
    let (print_requests, print_bytes) = stats(&stats_file);

    println!(
        "BENCH object_mb={:.0} first_screen_ms={:.1} first_requests={} first_kib={} G_ms={:.1} G_requests={} G_kib={} viewer_rss_mb={:.1} print_s={:.2} print_requests={} print_mb={:.0}",
        len as f64 / 1e6,
        first.as_secs_f64() * 1000.0,
        first_requests,
        first_bytes / 1024,
        end.as_secs_f64() * 1000.0,
        both_requests - first_requests,
        (both_bytes - first_bytes) / 1024,
        rss as f64 / 1024.0,
        print.as_secs_f64(),
        print_requests,
        print_bytes as f64 / 1e6,
    );
}
