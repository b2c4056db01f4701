//! Remote viewer benchmark (not a test: `#[ignore]`d, run by
//! `scripts/remote-bench.sh`): an object in the local S3-compatible server,
//! opened by URL in the release binary in a pty. Times start → first screen
//! and `G`, and counts the requests and bytes each fetched
//! (`LOGWEAVE_FETCH_STATS`). Printing the whole object is timed from the
//! Range HTTP server only, beside `curl` on the same URL: moto, a Python
//! server, copies the object on every ranged GET, so its number would be
//! moto's.

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

    // Session 3: a search that finds nothing, from the first screen: every
    // byte of the object, read by the search workers.
    let mut tui = Tui::spawn_env(&[url], 40, 160, env);
    tui.poll = Duration::from_millis(2);
    tui.time_until("the first screen", |t| t.status().contains("TOP"));
    let t0 = Instant::now();
    tui.send("/no such text anywhere\r");
    tui.time_until("the search", |t| t.text().contains("not found"));
    let search = t0.elapsed();
    let search_rss = tui.peak_rss_kib().unwrap_or(0);
    tui.send("q");
    assert!(tui.wait_exit());
    let (search_requests, search_bytes) = stats(stats_file);
    format!(
        "first_screen_ms={:.1} first_requests={} first_kib={} G_ms={:.1} G_requests={} G_kib={} viewer_rss_mb={:.1} \
         search_s={:.2} search_requests={search_requests} search_mb={:.0} search_rss_mb={:.1}",
        first.as_secs_f64() * 1000.0,
        first_requests,
        first_bytes / 1024,
        end.as_secs_f64() * 1000.0,
        both_requests.saturating_sub(first_requests),
        both_bytes.saturating_sub(first_bytes) / 1024,
        rss as f64 / 1024.0,
        search.as_secs_f64(),
        search_bytes as f64 / 1e6,
        search_rss as f64 / 1024.0,
    )
}

/// Wall seconds and peak RSS (MB) of `program args > /dev/null` under
/// `/usr/bin/time -v`, best of 3.
fn time_whole_run(program: &str, args: &[&str], env: &[(&str, &str)]) -> (f64, f64) {
    let mut best = (f64::MAX, 0.0);
    for _ in 0..3 {
        let out = std::process::Command::new("/usr/bin/time")
            .arg("-v")
            .arg(program)
            .args(args)
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .output()
            .expect("/usr/bin/time");
        assert!(out.status.success(), "{program} failed");
        let report = String::from_utf8_lossy(&out.stderr);
        let field = |name: &str| {
            report
                .lines()
                .find_map(|l| l.trim().strip_prefix(name))
                .map(str::trim)
                .unwrap_or("")
                .to_string()
        };
        let wall: f64 = field("Elapsed (wall clock) time (h:mm:ss or m:ss):")
            .rsplit(':')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(f64::MAX);
        let rss: f64 = field("Maximum resident set size (kbytes):")
            .parse()
            .unwrap_or(0.0);
        if wall < best.0 {
            best = (wall, rss / 1024.0);
        }
    }
    best
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

    let logweave = env!("CARGO_BIN_EXE_logweave");
    let stats_env = [("LOGWEAVE_FETCH_STATS", stats_path.as_str())];
    let (print_s, print_rss) = time_whole_run(logweave, &["--print", &url], &stats_env);
    let (requests, bytes) = stats(&stats_file);
    let (curl_s, curl_rss) = time_whole_run("curl", &["-sf", &url], &[]);
    println!(
        "BENCH http-print object_mb={:.0} print_s={print_s:.2} print_rss_mb={print_rss:.1} \
         requests={requests} mb={:.0} curl_s={curl_s:.2} curl_rss_mb={curl_rss:.1}",
        len as f64 / 1e6,
        bytes as f64 / 1e6,
    );

    if std::env::var_os("LOGWEAVE_BENCH_NO_S3").is_some() {
        return;
    }
    servers::s3_put("bench", &[("attempt=1.log".into(), object.clone())]);
    let env: Vec<(&str, String)> = servers::s3_env(servers::s3_server());
    let mut env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env_refs.push(("LOGWEAVE_FETCH_STATS", &stats_path));
    let line = measure("s3://bench/attempt=1.log", &env_refs, &stats_file);
    println!("BENCH s3 object_mb={:.0} {line}", len as f64 / 1e6);
}
