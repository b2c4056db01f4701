//! Remote viewer benchmark (not a test: `#[ignore]`d, run by
//! `scripts/remote-bench.sh`): an object in the local S3-compatible server,
//! opened by URL in the release binary in a pty. Times start → first screen
//! and `G`, and counts the requests and bytes each fetched
//! (`LOGWEAVE_FETCH_STATS`). (Printing a whole object is not timed here:
//! moto, a Python server, copies the object on every ranged GET, so the
//! number would be moto's.)

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

/// First screen and `G` of `url` in two sessions: times, requests and
/// bytes fetched by each, and the viewer's peak RSS.
fn measure(url: &str, env: &[(&str, &str)], stats_file: &std::path::Path) -> String {
    // Session 1: the first screen only.
    let started = Instant::now();
    let mut tui = Tui::spawn_env(&[url], 40, 160, env);
    tui.poll = Duration::from_micros(500);
    tui.time_until("the first screen", |t| t.status().contains("TOP"));
    let first = started.elapsed();
    tui.send("q");
    assert!(tui.wait_exit());
    let (first_requests, first_bytes) = stats(stats_file);

    // Session 2: first screen, then G.
    let mut tui = Tui::spawn_env(&[url], 40, 160, env);
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
    let (both_requests, both_bytes) = stats(stats_file);
    format!(
        "first_screen_ms={:.1} first_requests={} first_kib={} G_ms={:.1} G_requests={} G_kib={} viewer_rss_mb={:.1}",
        first.as_secs_f64() * 1000.0,
        first_requests,
        first_bytes / 1024,
        end.as_secs_f64() * 1000.0,
        both_requests.saturating_sub(first_requests),
        both_bytes.saturating_sub(first_bytes) / 1024,
        rss as f64 / 1024.0,
    )
}

#[test]
#[ignore = "benchmark: run by scripts/remote-bench.sh with LOGWEAVE_BENCH_OBJECT"]
fn remote_bench() {
    let object = std::env::var("LOGWEAVE_BENCH_OBJECT").expect("LOGWEAVE_BENCH_OBJECT=<file>");
    let object = std::path::PathBuf::from(object);
    let len = std::fs::metadata(&object).expect("the object file").len();
    let dir = tempfile::tempdir().unwrap();
    let stats_file = dir.path().join("stats");
    let stats_path = stats_file.display().to_string();

    // The same bytes from the Range HTTP server (a plain file server).
    let folder = object.parent().expect("a folder");
    let name = object.file_name().expect("a name").to_string_lossy();
    let http = servers::range_server(folder);
    let url = format!("{}/files/{name}", http.url());
    let line = measure(&url, &[("LOGWEAVE_FETCH_STATS", &stats_path)], &stats_file);
    println!("BENCH http object_mb={:.0} {line}", len as f64 / 1e6);

    servers::s3_put("bench", &[("attempt=1.log".into(), object.clone())]);
    let env: Vec<(&str, String)> = servers::s3_env(servers::s3_server());
    let mut env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env_refs.push(("LOGWEAVE_FETCH_STATS", &stats_path));
    let line = measure("s3://bench/attempt=1.log", &env_refs, &stats_file);
    println!("BENCH s3 object_mb={:.0} {line}", len as f64 / 1e6);
}
