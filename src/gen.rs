//! `logweave gen`: a deterministic, realistic Airflow task attempt.
//!
//! Writes a worker log (~60% of the bytes), a triggerer sub-log (~25%) and a
//! remote copy (~15%) that repeats a contiguous slice of the worker log byte
//! for byte, the way a remote handler uploads what the worker wrote. The
//! stream has identical timestamps within and across sources, tracebacks and
//! multi-line output, lines printed twice on purpose, UTF-8 beyond ASCII and
//! a few 10–50 KB lines. Same seed, same bytes.
//!
//! * Airflow 2 text (`gen::airflow2`): in time order unless a lateness is asked
//!   for, byte for byte what earlier versions wrote.
//! * Airflow 3 JSON (`gen::airflow3`): the fields and the disorder of the files
//!   Airflow 3.3.2 writes — printed lines stamped when the supervisor reads
//!   them, logging records stamped when emitted and reaching it later
//!   through the log socket, all written in the order it processes them.
//!   Airflow 2 text with a lateness gets the same two channels, more
//!   simply (`gen::arrival`).
//!
//! Either may have the worker's clock step back once, halfway.

mod airflow2;
mod airflow3;

/// The words the generated Airflow 3 task describes its batches with.
#[cfg(test)]
pub(crate) use airflow3::WORDS as BATCH_WORDS;
mod arrival;
mod fmt;
mod live;
mod rng;

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use live::Live;

/// Output format of the generated logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GenFormat {
    /// Airflow 2 text lines: `[ts] {file.py:N} LEVEL - msg`.
    Text,
    /// Airflow 3 JSON lines as its supervisor writes them, out of time order.
    Json,
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenSpec {
    pub out: PathBuf,
    /// Approximate total size of all files, in bytes.
    pub size: u64,
    pub format: GenFormat,
    pub seed: u64,
    /// The most a worker record is written after records stamped later;
    /// `None` for the format's default ([`GenSpec::lateness`]).
    pub late: Option<Duration>,
    /// How far the worker's clock steps back halfway through its log.
    pub clock_step: Option<Duration>,
}

/// The lateness of a JSON attempt unless told: Airflow 3's logging records
/// were seen up to 1.8 s late on a loaded worker.
pub const JSON_LATE: Duration = Duration::from_secs(2);

impl GenSpec {
    /// An attempt of `size` bytes in `format` with seed 1, the format's
    /// lateness and no clock step.
    pub fn new(out: impl Into<PathBuf>, size: u64, format: GenFormat) -> Self {
        Self {
            out: out.into(),
            size,
            format,
            seed: 1,
            late: None,
            clock_step: None,
        }
    }

    /// The lateness in force: the one given, else [`JSON_LATE`] for JSON and
    /// none (time order) for text.
    pub fn lateness(&self) -> Duration {
        self.late.unwrap_or(match self.format {
            GenFormat::Json => JSON_LATE,
            GenFormat::Text => Duration::ZERO,
        })
    }
}

/// A file that was written.
#[derive(Clone, Debug)]
pub struct GenFile {
    pub path: PathBuf,
    pub bytes: u64,
}

/// File names, relative to the output folder, in Airflow's rank order.
pub const WORKER_FILE: &str = "attempt=1.log";
pub const TRIGGER_FILE: &str = "attempt=1.log.trigger.42.log";
pub const REMOTE_FILE: &str = "remote/attempt=1.log";

/// Bumped whenever the same spec writes different bytes (the demo's cache
/// is named after it).
pub const VERSION: u32 = 2;

/// Parses sizes like `830MB`, `50M`, `2GiB`, `64k`, `1000` (decimal units for
/// kB/MB/GB, binary for KiB/MiB/GiB).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("invalid size '{s}' (expected e.g. 50MB, 830MB, 2GiB)"))?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => {
            return Err(format!(
                "invalid size unit in '{s}' (use kB, MB, GB, KiB, MiB, GiB)"
            ))
        }
    };
    Ok((value * scale) as u64)
}

/// The numbers both formats write an attempt by.
struct Plan {
    seed: u64,
    /// Time of the first record, µs.
    start: i64,
    /// Bytes of worker and triggerer records to write.
    live_target: u64,
    /// Bytes of the worker log.
    worker_target: u64,
    /// Bytes between two 10–50 KB lines.
    long_line_every: u64,
    /// The most lateness, µs (0: time order).
    late: i64,
    /// The clock step back, µs.
    clock_step: Option<i64>,
}

/// Generates the attempt into `spec.out` and returns the files written.
pub fn generate(spec: &GenSpec) -> io::Result<Vec<GenFile>> {
    fs::create_dir_all(spec.out.join("remote"))?;
    let worker_path = spec.out.join(WORKER_FILE);
    let trigger_path = spec.out.join(TRIGGER_FILE);
    let remote_path = spec.out.join(REMOTE_FILE);
    let worker_target = spec.size * 60 / 100;
    // The remote copy: from 40% of the worker log, 15% of the whole.
    let slice_from = worker_target * 40 / 100;
    let mut worker =
        Sink::create(&worker_path)?.with_slice(slice_from, slice_from + spec.size * 15 / 100);
    let mut trigger = Sink::create(&trigger_path)?;
    let micros = |d: Duration| i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
    let plan = Plan {
        seed: spec.seed,
        start: fmt::base_micros(),
        live_target: spec.size * 85 / 100,
        worker_target,
        long_line_every: (spec.size / 6).clamp(2_000_000, 16_000_000),
        late: micros(spec.lateness()),
        clock_step: spec.clock_step.map(micros).filter(|&s| s > 0),
    };
    match spec.format {
        GenFormat::Text => airflow2::write_attempt(&plan, &mut worker, &mut trigger)?,
        GenFormat::Json => airflow3::write_attempt(&plan, &mut worker, &mut trigger)?,
    }
    let slice = worker.slice;
    let worker_len = worker.finish()?;
    let trigger_len = trigger.finish()?;
    let from = slice.from.unwrap_or(0);
    let to = slice.to.unwrap_or(worker_len).max(from);
    let remote_len = copy_range(&worker_path, from, to, &remote_path)?;
    Ok(vec![
        GenFile {
            path: worker_path,
            bytes: worker_len,
        },
        GenFile {
            path: trigger_path,
            bytes: trigger_len,
        },
        GenFile {
            path: remote_path,
            bytes: remote_len,
        },
    ])
}

/// A log file being written, which notes where the remote copy's slice
/// begins and ends: at the first record boundaries past its targets.
struct Sink {
    out: BufWriter<File>,
    bytes: u64,
    slice: Slice,
}

#[derive(Clone, Copy, Default)]
struct Slice {
    from_target: u64,
    to_target: u64,
    from: Option<u64>,
    to: Option<u64>,
}

impl Sink {
    fn create(path: &Path) -> io::Result<Self> {
        Ok(Self {
            out: BufWriter::with_capacity(1 << 20, File::create(path)?),
            bytes: 0,
            slice: Slice {
                from_target: u64::MAX,
                to_target: u64::MAX,
                ..Slice::default()
            },
        })
    }

    fn with_slice(mut self, from: u64, to: u64) -> Self {
        self.slice.from_target = from;
        self.slice.to_target = to;
        self
    }

    /// Writes one record (or a line and its copy).
    fn write(&mut self, record: &[u8]) -> io::Result<()> {
        let slice = &mut self.slice;
        if self.bytes >= slice.from_target && slice.from.is_none() {
            slice.from = Some(self.bytes);
        }
        if self.bytes >= slice.to_target && slice.to.is_none() {
            slice.to = Some(self.bytes);
        }
        self.bytes += record.len() as u64;
        self.out.write_all(record)
    }

    fn finish(mut self) -> io::Result<u64> {
        self.out.flush()?;
        Ok(self.bytes)
    }
}

fn copy_range(from: &Path, start: u64, end: u64, to: &Path) -> io::Result<u64> {
    let src = File::open(from)?;
    let mut dst = BufWriter::with_capacity(1 << 20, File::create(to)?);
    let mut buf = vec![0u8; 1 << 20];
    let mut at = start;
    while at < end {
        let want = ((end - at) as usize).min(buf.len());
        let n = src.read_at(&mut buf[..want], at)?;
        if n == 0 {
            break;
        }
        dst.write_all(&buf[..n])?;
        at += n as u64;
    }
    dst.flush()?;
    Ok(at - start)
}

#[cfg(test)]
mod tests;
