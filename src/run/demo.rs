//! `logweave gen` and `logweave demo`: generated Airflow attempts.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Outcome, RunError, Settings};
use crate::cli::{DemoArgs, GenArgs};
use crate::config::Config;
use crate::gen::{self, GenSpec};
use crate::record::{RecordLayout, TimeOptions};
use crate::source::describe_io_error;

/// `logweave gen`: writes an attempt and says what it wrote.
pub fn generate(args: &GenArgs) -> Result<Outcome, RunError> {
    let spec = GenSpec {
        out: args.out.clone(),
        size: args.size,
        format: args.format,
        seed: args.seed,
    };
    let files = gen::generate(&spec).map_err(|e| {
        RunError::Failed(format!(
            "cannot write to '{}': {}",
            args.out.display(),
            describe_io_error(&e)
        ))
    })?;
    for file in files {
        eprintln!("wrote {} ({} bytes)", file.path.display(), file.bytes);
    }
    Ok(Outcome::Complete)
}

/// `logweave demo`: writes the demo attempt to a cache folder once, then
/// opens it (with `--live`, anew, growing as it is followed).
pub fn demo(mut args: DemoArgs, config: &Config) -> Result<Outcome, RunError> {
    let format = match args.format {
        gen::GenFormat::Text => "text",
        gen::GenFormat::Json => "json",
    };
    // A live demo grows its files: it gets a folder of its own, written anew.
    let kind = if args.live { "demo-live" } else { "demo" };
    let name = format!("{kind}-{}-{format}-{}", args.size, args.seed);
    let dir = cache_dir().join(&name);
    // The marker sits beside the folder: everything inside it is a source.
    let done = cache_dir().join(format!("{name}.complete"));
    if args.live {
        let _ = std::fs::remove_file(&done);
    }
    if !done.exists() {
        let spec = GenSpec {
            out: dir.clone(),
            size: args.size,
            format: args.format,
            seed: args.seed,
        };
        gen::generate(&spec)
            .and_then(|_| std::fs::write(&done, b""))
            .map_err(|e| {
                RunError::Failed(format!(
                    "cannot write the demo to '{}': {}",
                    dir.display(),
                    describe_io_error(&e)
                ))
            })?;
    }
    if args.live {
        // Continue the log from its last record, at wall-clock pace.
        let last = last_time(&dir.join(gen::WORKER_FILE)).unwrap_or(0);
        let live = gen::Live::new(&dir, args.format, args.seed);
        std::thread::Builder::new()
            .name("demo-live".into())
            .spawn(move || live.run(last / 1000 + 1000))
            .map_err(|e| RunError::Failed(format!("cannot start the live demo: {e}")))?;
        args.open.follow = true;
    }
    args.open.sources = vec![dir];
    super::open(Settings::resolve(&args.open, config)?, None)
}

/// UTC nanoseconds of the last record of a log, if it has one.
fn last_time(path: &Path) -> Option<i64> {
    let source = crate::source::FileSource::open(path).ok()?;
    let time = TimeOptions::default();
    let layout = RecordLayout::open(Arc::new(source), &time, false).ok()?;
    let len = layout.len();
    layout.file_reader(4096).record_before(len).ok()??.ts
}

fn cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("logweave")
}
