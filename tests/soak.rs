//! Follow-mode soak benchmark (not a test: `#[ignore]`d, run by
//! `scripts/soak.sh`). Three sources are followed in the viewer inside a
//! pseudo-terminal while a writer appends `SOAK_RATE` lines/s in all for
//! `SOAK_SECONDS`; every line carries its sequence number and write time.
//! Prints the write-to-screen latency (median, p99) and the viewer's RSS
//! every 10 s.

#[path = "e2e/harness.rs"]
mod harness;

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use harness::Tui;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
#[ignore = "benchmark: run by scripts/soak.sh"]
fn follow_soak() {
    let seconds = env("SOAK_SECONDS", 600);
    let rate = env("SOAK_RATE", 10_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let names = [
        "attempt=1.log",
        "attempt=1.log.trigger.1.log",
        "attempt=1.log.trigger.2.log",
    ];
    for name in names {
        std::fs::write(dir.path().join(name), "").expect("create");
    }
    let paths: Vec<String> = names
        .iter()
        .map(|n| dir.path().join(n).display().to_string())
        .collect();
    let args: Vec<&str> = std::iter::once("-f")
        .chain(paths.iter().map(String::as_str))
        .collect();
    let mut tui = Tui::spawn(&args, 30, 140);
    tui.poll = Duration::from_millis(2);
    tui.time_until("the viewer", |t| t.status().contains("FOLLOW"));

    // The writer: sequence numbers and write times shared with the reader.
    let started = Instant::now();
    let written = Arc::new(AtomicU64::new(0));
    let times: Arc<std::sync::Mutex<Vec<u64>>> = Arc::new(std::sync::Mutex::new(Vec::new()));
    let writer = {
        let (written, times, paths) = (written.clone(), times.clone(), paths.clone());
        std::thread::spawn(move || {
            let mut files: Vec<_> = paths
                .iter()
                .map(|p| OpenOptions::new().append(true).open(p).expect("open"))
                .collect();
            let tick = Duration::from_millis(10);
            let per_tick = (rate / 100).max(1);
            let mut seq = 0u64;
            while started.elapsed() < Duration::from_secs(seconds) {
                let now = started.elapsed();
                let micros = now.as_micros() as u64;
                let mut bufs = vec![Vec::new(); files.len()];
                for _ in 0..per_tick {
                    seq += 1;
                    let secs = 36_000 + micros / 1_000_000;
                    let line = format!(
                        "2024-12-20T{:02}:{:02}:{:02}.{:06}Z INFO soak seq={seq} t={micros}\n",
                        secs / 3600,
                        secs / 60 % 60,
                        secs % 60,
                        micros % 1_000_000
                    );
                    bufs[(seq % 3) as usize].extend_from_slice(line.as_bytes());
                }
                for (f, b) in files.iter_mut().zip(&bufs) {
                    f.write_all(b).expect("append");
                }
                times.lock().expect("times").push(micros);
                written.store(seq, Ordering::SeqCst);
                let next = tick * (times.lock().expect("times").len() as u32);
                if let Some(wait) = next.checked_sub(started.elapsed()) {
                    std::thread::sleep(wait);
                }
            }
        })
    };

    // The reader: the newest sequence number on screen, as often as possible.
    let mut latencies = Vec::new();
    let mut rss = Vec::new();
    let mut seen = 0u64;
    let mut next_sample = Duration::ZERO;
    while started.elapsed() < Duration::from_secs(seconds) + Duration::from_secs(2) {
        if started.elapsed() >= next_sample {
            rss.push((
                next_sample.as_secs(),
                tui.peak_rss_kib().unwrap_or(0),
                current_rss(&tui),
            ));
            next_sample += Duration::from_secs(10);
        }
        let text = tui.text();
        let newest = text
            .lines()
            .filter_map(|l| {
                l.split("seq=")
                    .nth(1)?
                    .split(' ')
                    .next()?
                    .parse::<u64>()
                    .ok()
            })
            .max()
            .unwrap_or(0);
        if newest > seen {
            seen = newest;
            // The write time of the newest line shown, from its own text.
            if let Some(t) = text
                .lines()
                .find(|l| l.contains(&format!("seq={newest} ")))
                .and_then(|l| l.split("t=").nth(1)?.trim().parse::<u64>().ok())
            {
                let now = started.elapsed().as_micros() as u64;
                latencies.push(now.saturating_sub(t));
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    writer.join().expect("writer");
    latencies.sort_unstable();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0)
    };
    println!(
        "SOAK seconds={seconds} rate={rate} lines={} samples={} median_ms={:.1} p99_ms={:.1}",
        written.load(Ordering::SeqCst),
        latencies.len(),
        pick(0.5) as f64 / 1000.0,
        pick(0.99) as f64 / 1000.0
    );
    for (at, peak, now) in rss {
        println!(
            "RSS t={at}s rss_mb={:.1} peak_mb={:.1}",
            now as f64 / 1024.0,
            peak as f64 / 1024.0
        );
    }
    tui.send("q");
}

fn current_rss(tui: &Tui) -> u64 {
    let Some(pid) = tui.pid() else { return 0 };
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}
