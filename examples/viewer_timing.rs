//! The viewer's open and `G` in process, phase by phase, with each phase's
//! wall and CPU time: what `scripts/tui-bench.sh` times through a pty, taken
//! apart (no terminal, no overview thread competing for the cores).
//!
//! ```sh
//! cargo run --release --example viewer_timing -- FILE...
//! ```

use std::sync::Arc;
use std::time::Instant;

use logweave::engine::{Command, Engine, SourceInfo};
use logweave::merge::copies::copy_groups;
use logweave::merge::{Dedup, Merge, MergeOptions};
use logweave::record::timestamp::{Zone, ZoneClock};
use logweave::record::{RecordLayout, TimeOptions};
use logweave::source::{FileSource, Source};
use logweave::window::Window;

/// This process's CPU time (user + system) in milliseconds.
fn cpu_ms() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage writes the struct it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1e3 + t.tv_usec as f64 / 1e3;
    ms(usage.ru_utime) + ms(usage.ru_stime)
}

/// Runs `f`, printing its wall and CPU milliseconds under `what`.
fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let (wall, cpu) = (Instant::now(), cpu_ms());
    let out = f();
    println!(
        "{what:<24} wall {:>8.1} ms  cpu {:>8.1} ms",
        wall.elapsed().as_secs_f64() * 1e3,
        cpu_ms() - cpu
    );
    out
}

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: viewer_timing FILE...");
        std::process::exit(2);
    }
    let layouts: Vec<RecordLayout> = timed("open layouts", || {
        files
            .iter()
            .map(|path| {
                let source: Arc<dyn Source> =
                    Arc::new(FileSource::open(std::path::Path::new(path)).expect("open"));
                let time = TimeOptions::default().for_source(std::path::Path::new(path));
                RecordLayout::open(source, &time, true).expect("layout")
            })
            .collect()
    });
    let groups = timed("find copies", || {
        copy_groups(&layouts, &vec![None; layouts.len()])
    });
    let options = MergeOptions {
        dedup: Dedup::Groups(groups.into()),
    };
    let infos = files
        .iter()
        .map(|path| SourceInfo {
            label: path.clone(),
            tag: path.clone(),
            location: path.clone(),
            kind: "file".into(),
            size: 0,
            json: true,
            format: String::new(),
            file: None,
            enabled: true,
            error: None,
            warning: None,
            copies: None,
            copy_group: None,
        })
        .collect();
    let window = Window::new(Merge::new(layouts, options));
    let mut engine = Engine::new(window, infos, ZoneClock::new(Zone::Utc), None);
    let first = timed("first screen", || {
        engine.step(Command::Resize {
            height: 39,
            timeline_width: 160,
        });
        engine.open_now()
    });
    let end = timed("G", || engine.step(Command::End));
    timed("g", || engine.step(Command::Start));
    let again = timed("G again", || engine.step(Command::End));
    timed("b (up a page from G)", || engine.step(Command::Scroll(-39)));
    println!(
        "first screen: {} lines, at_end {}; G: {} lines, at_end {} ({} again)",
        first.lines.len(),
        first.at_end,
        end.lines.len(),
        end.at_end,
        again.lines.len()
    );
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    for line in status.lines().filter(|l| l.starts_with("VmHWM")) {
        println!("{line}");
    }
}
