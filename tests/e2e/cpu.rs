//! What a process costs while it waits: its CPU time from
//! `/proc/<pid>/stat` (user + system, in the kernel's fixed 100 ticks a
//! second), for the tests that follow an idle source and hold that waiting
//! costs nothing.

#![allow(dead_code)]

use std::time::{Duration, Instant};

/// How long an idle follow is watched, and the most CPU it may spend in
/// that time (2 %; the goal is under 1 %).
pub const IDLE_FOR: Duration = Duration::from_secs(5);
pub const IDLE_CPU_MAX: Duration = Duration::from_millis(100);

/// User plus system CPU time of process `pid` so far.
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .unwrap_or_else(|e| panic!("/proc/{pid}/stat: {e}"));
    // The command name (field 2) may hold spaces: count after its ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime and stime are fields 14 and 15: the 12th and 13th after ')'.
    let ticks = |i: usize| -> u64 {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .unwrap_or_else(|| panic!("field {i} of /proc/{pid}/stat: {stat}"))
    };
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// The CPU time `pid` spends during [`IDLE_FOR`] from now.
pub fn idle_cpu(pid: u32) -> Duration {
    let before = cpu_time(pid);
    let start = Instant::now();
    while start.elapsed() < IDLE_FOR {
        std::thread::sleep(Duration::from_millis(100));
    }
    cpu_time(pid).saturating_sub(before)
}

/// Panics unless `pid` spent at most [`IDLE_CPU_MAX`] during [`IDLE_FOR`];
/// returns what it spent.
pub fn assert_idle(pid: u32, what: &str) -> Duration {
    let spent = idle_cpu(pid);
    eprintln!("idle CPU of {what}: {spent:?} over {IDLE_FOR:?}");
    assert!(
        spent <= IDLE_CPU_MAX,
        "{what} spent {spent:?} of CPU in {IDLE_FOR:?} while nothing came (at most {IDLE_CPU_MAX:?})"
    );
    spent
}
