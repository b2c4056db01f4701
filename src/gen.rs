//! `logweave gen`: a deterministic, realistic Airflow task attempt.
//!
//! Writes a worker log (~60% of the bytes), a triggerer sub-log (~25%) and a
//! remote copy (~15%) that repeats a contiguous slice of the worker log byte
//! for byte, the way a remote handler uploads what the worker wrote. The
//! stream has identical timestamps within and across sources, tracebacks and
//! printed tables (~5% multi-line records), lines printed twice on purpose,
//! UTF-8 beyond ASCII and a few 10–50 KB lines. Same seed, same bytes.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::record::timestamp::days_from_civil;

/// Output format of the generated logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GenFormat {
    /// Airflow 2 text lines: `[ts] {file.py:N} LEVEL - msg`.
    Text,
    /// Airflow 3 JSON lines: `{"timestamp":…,"level":…,"event":…}`.
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

/// 2024-12-20T10:00:00Z in milliseconds.
fn base_millis() -> i64 {
    days_from_civil(2024, 12, 20) * 86_400_000 + 10 * 3_600_000
}

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

/// SplitMix64: tiny, fast, and fixed forever, so a seed means the same bytes
/// in every version (a crate's generator may change its stream).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        ((self.next() >> 32) * n) >> 32
    }

    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// What Airflow logs before the task runs, as a group.
const PRE_EXECUTION: [&str; 5] = [
    "::group::Pre task execution logs",
    "Dependencies all met for dep_context=requeueable deps ti=<TaskInstance: etl_daily.extract scheduled__2024-12-19T00:00:00+00:00 [queued]>",
    "Starting attempt 1 of 1",
    "Executing <Task(PythonOperator): extract> on 2024-12-19 00:00:00+00:00",
    "::endgroup::",
];

/// And after it.
const POST_EXECUTION: [&str; 4] = [
    "::group::Post task execution logs",
    "Marking task as FAILED. dag_id=etl_daily, task_id=extract, run_id=scheduled__2024-12-19T00:00:00+00:00",
    "Task exited with return code 1",
    "::endgroup::",
];

/// Generates the attempt into `spec.out` and returns the files written.
pub fn generate(spec: &GenSpec) -> io::Result<Vec<GenFile>> {
    fs::create_dir_all(spec.out.join("remote"))?;
    let worker_path = spec.out.join(WORKER_FILE);
    let trigger_path = spec.out.join(TRIGGER_FILE);
    let remote_path = spec.out.join(REMOTE_FILE);
    let mut worker = Sink::create(&worker_path)?;
    let mut trigger = Sink::create(&trigger_path)?;

    let mut rng = Rng(spec.seed ^ 0x6C6F_6777_6561_7665);
    let live_target = spec.size * 85 / 100;
    let worker_target = spec.size * 60 / 100;
    let slice_from_target = worker_target * 40 / 100;
    let slice_to_target = slice_from_target + spec.size * 15 / 100;
    let mut slice: (Option<u64>, Option<u64>) = (None, None);
    let long_line_every = (spec.size / 6).clamp(2_000_000, 16_000_000);
    let mut next_long_line = long_line_every / 2;

    let mut clock_us = base_millis() * 1000;
    let mut line = Vec::with_capacity(64 * 1024);
    let mut writer = LineWriter::new(spec.format);
    let mut seq = 0u64;
    // Airflow (2.9+, 3) wraps what it logs before and after the task in
    // `::group::` sections, which the viewer folds.
    for message in PRE_EXECUTION {
        line.clear();
        writer.emit(
            &mut line,
            clock_us,
            "INFO",
            "taskinstance.py:1157",
            message.as_bytes(),
            b"",
        );
        worker.write(&line)?;
    }
    while worker.bytes + trigger.bytes < live_target {
        // Advance the shared clock; 0 makes equal timestamps, within a source
        // (consecutive records) and across (the other source's next record).
        let step = rng.below(10);
        if step >= 3 {
            clock_us += (step as i64 - 2) * 700 + rng.below(300) as i64;
        }
        let to_worker = rng.below(85) < 60;
        let written = worker.bytes + trigger.bytes;
        let long = written >= next_long_line;
        if long {
            next_long_line += long_line_every;
        }
        line.clear();
        seq += 1;
        if to_worker {
            writer.worker_record(&mut line, &mut rng, clock_us, seq, long);
            if slice.0.is_none() && worker.bytes >= slice_from_target {
                slice.0 = Some(worker.bytes);
            }
            if slice.1.is_none() && worker.bytes >= slice_to_target {
                slice.1 = Some(worker.bytes);
            }
            worker.write(&line)?;
            // A task that prints the same line twice: both copies must show.
            if rng.chance(4) {
                worker.write(&line)?;
            }
        } else {
            writer.trigger_record(&mut line, &mut rng, clock_us, seq, long);
            trigger.write(&line)?;
        }
    }
    for message in POST_EXECUTION {
        line.clear();
        writer.emit(
            &mut line,
            clock_us,
            "INFO",
            "taskinstance.py:340",
            message.as_bytes(),
            b"",
        );
        worker.write(&line)?;
    }
    let worker_len = worker.finish()?;
    let trigger_len = trigger.finish()?;
    let from = slice.0.unwrap_or(0);
    let to = slice.1.unwrap_or(worker_len).max(from);
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

/// Appends realistic records to a generated attempt as time goes by
/// (`logweave demo --live`): the worker and the triggerer at different
/// rates, an occasional traceback, and one copytruncate of the triggerer log.
pub struct Live {
    dir: PathBuf,
    writer: LineWriter,
    rng: Rng,
    seq: u64,
}

/// How often the live writer wakes up.
const LIVE_TICK: std::time::Duration = std::time::Duration::from_millis(40);

/// After this long the live triggerer log is truncated in place, once.
const LIVE_TRUNCATE_AFTER: std::time::Duration = std::time::Duration::from_secs(30);

impl Live {
    pub fn new(dir: &Path, format: GenFormat, seed: u64) -> Self {
        Self {
            dir: dir.to_path_buf(),
            writer: LineWriter::new(format),
            rng: Rng(seed ^ 0x6C69_7665),
            seq: 0,
        }
    }

    /// Writes records forever, with times from `start_us` on at wall-clock
    /// pace. Returns only on a write error.
    pub fn run(mut self, start_us: i64) -> io::Result<()> {
        let began = std::time::Instant::now();
        let worker = self.dir.join(WORKER_FILE);
        let trigger = self.dir.join(TRIGGER_FILE);
        let mut truncated = false;
        let mut line = Vec::new();
        loop {
            std::thread::sleep(LIVE_TICK);
            let us = start_us + began.elapsed().as_micros() as i64;
            self.seq += 1;
            line.clear();
            self.writer
                .worker_record(&mut line, &mut self.rng, us, self.seq, false);
            append(&worker, &line)?;
            if self.rng.chance(300) {
                line.clear();
                self.writer
                    .trigger_record(&mut line, &mut self.rng, us, self.seq, false);
                if !truncated && began.elapsed() >= LIVE_TRUNCATE_AFTER {
                    // copytruncate, as logrotate does it.
                    File::options().write(true).open(&trigger)?.set_len(0)?;
                    truncated = true;
                }
                append(&trigger, &line)?;
            }
        }
    }
}

fn append(path: &Path, bytes: &[u8]) -> io::Result<()> {
    File::options()
        .append(true)
        .create(true)
        .open(path)?
        .write_all(bytes)
}

struct Sink {
    out: BufWriter<File>,
    bytes: u64,
}

impl Sink {
    fn create(path: &Path) -> io::Result<Self> {
        Ok(Self {
            out: BufWriter::with_capacity(1 << 20, File::create(path)?),
            bytes: 0,
        })
    }

    fn write(&mut self, b: &[u8]) -> io::Result<()> {
        self.bytes += b.len() as u64;
        self.out.write_all(b)
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

const WORKER_SITES: &[&str] = &[
    "taskinstance.py:1157",
    "taskinstance.py:1364",
    "standard_task_runner.py:57",
    "logging_mixin.py:190",
    "extract.py:88",
    "s3.py:1045",
    "base.py:84",
];

const TRIGGER_SITES: &[&str] = &[
    "triggerer_job_runner.py:600",
    "s3.py:117",
    "base.py:72",
    "temporal.py:65",
];

const TABLES: &[&str] = &[
    "+---------+--------+-----------+\n| region  |   rows | status    |\n+---------+--------+-----------+\n| eu-west |  48213 | ok        |\n| ap-east |   9911 | retrying  |\n+---------+--------+-----------+\n",
    "summary:\n  files: 128\n  bytes: 1.9 GiB\n  région: Île-de-France ✓\n",
];

/// Formats records in one of the two shapes.
struct LineWriter {
    format: GenFormat,
    /// Date-time text of the last second formatted, reused within a second.
    second_cache: (i64, Vec<u8>),
}

impl LineWriter {
    fn new(format: GenFormat) -> Self {
        Self {
            format,
            second_cache: (i64::MIN, Vec::new()),
        }
    }

    fn worker_record(&mut self, out: &mut Vec<u8>, rng: &mut Rng, us: i64, seq: u64, long: bool) {
        let roll = rng.below(1000);
        let (level, site) = match roll {
            0..=9 => ("ERROR", "taskinstance.py:2612"),
            10..=39 => ("WARNING", rng.pick(WORKER_SITES)),
            40..=89 => ("DEBUG", rng.pick(WORKER_SITES)),
            _ => ("INFO", rng.pick(WORKER_SITES)),
        };
        let mut msg = Vec::with_capacity(160);
        let mut continuation: &[u8] = b"";
        let traceback;
        if long {
            msg.extend_from_slice(b"payload sample: ");
            let n = 10_000 + rng.below(40_000) as usize;
            while msg.len() < n {
                msg.extend_from_slice(b"{\"id\":");
                push_num(&mut msg, rng.below(1_000_000));
                msg.extend_from_slice(b",\"v\":\"abcdefghij\"},");
            }
        } else if level == "ERROR" || rng.chance(35) {
            traceback = self.traceback(rng);
            msg.extend_from_slice(b"Task failed with exception");
            continuation = &traceback;
            return self.emit(out, us, level, site, &msg, continuation);
        } else if rng.chance(12) {
            msg.extend_from_slice(b"batch report");
            continuation = rng.pick(TABLES).as_bytes();
        } else {
            match rng.below(8) {
                0 => {
                    msg.extend_from_slice(b"Fetched ");
                    push_num(&mut msg, rng.below(100_000));
                    msg.extend_from_slice(b" rows from s3://data-lake/raw/part-");
                    push_num(&mut msg, seq % 10_000);
                    msg.extend_from_slice(b".parquet in 0.");
                    push_num(&mut msg, 100 + rng.below(900));
                    msg.extend_from_slice(b"s");
                }
                1 => msg.extend_from_slice(
                    b"Dependencies all met for dep_context=non-requeueable deps ti=<TaskInstance: etl_daily.extract scheduled__2024-12-19T00:00:00+00:00 [running]>",
                ),
                2 => {
                    msg.extend_from_slice(b"Writing partition r\xc3\xa9gion=\xc3\x8ele-de-France \xe2\x9c\x93 rows=");
                    push_num(&mut msg, rng.below(50_000));
                }
                3 => {
                    msg.extend_from_slice("顧客データを読み込みました: ".as_bytes());
                    push_num(&mut msg, rng.below(10_000));
                    msg.extend_from_slice("件 🚀".as_bytes());
                }
                4 => {
                    msg.extend_from_slice(b"Processing batch ");
                    push_num(&mut msg, seq);
                    msg.extend_from_slice(b" (rows=");
                    push_num(&mut msg, rng.below(5_000));
                    msg.extend_from_slice(b", retries=0)");
                }
                5 => msg.extend_from_slice(b"Pushing xcom key=return_value"),
                6 => {
                    msg.extend_from_slice(b"Retrying request to s3 in ");
                    push_num(&mut msg, 1 + rng.below(30));
                    msg.extend_from_slice(b"s");
                }
                _ => {
                    msg.extend_from_slice(b"Heartbeat: task is alive, memory_rss=");
                    push_num(&mut msg, 200 + rng.below(800));
                    msg.extend_from_slice(b"MiB");
                }
            }
        }
        self.emit(out, us, level, site, &msg, continuation);
    }

    fn trigger_record(&mut self, out: &mut Vec<u8>, rng: &mut Rng, us: i64, seq: u64, long: bool) {
        let level = if rng.chance(20) { "WARNING" } else { "INFO" };
        let site = rng.pick(TRIGGER_SITES);
        let mut msg = Vec::with_capacity(200);
        if long {
            msg.extend_from_slice(b"trigger kwargs: ");
            let n = 10_000 + rng.below(40_000) as usize;
            while msg.len() < n {
                msg.extend_from_slice(b"'bucket_key': 's3://landing/incoming/file-");
                push_num(&mut msg, rng.below(1_000_000));
                msg.extend_from_slice(b".csv', ");
            }
        } else if rng.chance(40) {
            let tb = self.traceback(rng);
            msg.extend_from_slice(b"Trigger failed; will retry");
            return self.emit(out, us, "ERROR", site, &msg, &tb);
        } else {
            match rng.below(3) {
                0 => {
                    msg.extend_from_slice(b"Poking for key : s3://landing/incoming/file-");
                    push_num(&mut msg, seq % 1000);
                    msg.extend_from_slice(b".csv");
                }
                1 => msg.extend_from_slice(
                    b"trigger etl_daily/scheduled__2024-12-19T00:00:00+00:00/extract/-1/1 (ID 42) starting",
                ),
                _ => {
                    msg.extend_from_slice(b"sleeping 5.0 seconds; triggers running: ");
                    push_num(&mut msg, 1 + rng.below(20));
                }
            }
        }
        self.emit(out, us, level, site, &msg, b"");
    }

    fn traceback(&self, rng: &mut Rng) -> Vec<u8> {
        let mut tb = Vec::with_capacity(400);
        tb.extend_from_slice(b"Traceback (most recent call last):\n");
        let frames = 2 + rng.below(4);
        for i in 0..frames {
            tb.extend_from_slice(b"  File \"/opt/airflow/dags/lib/io.py\", line ");
            push_num(&mut tb, 40 + i * 17);
            tb.extend_from_slice(b", in fetch\n    rows = client.get(batch, timeout=30)\n");
        }
        tb.extend_from_slice(b"ConnectionError: timeout after 30s\n");
        tb
    }

    fn emit(
        &mut self,
        out: &mut Vec<u8>,
        us: i64,
        level: &str,
        site: &str,
        msg: &[u8],
        continuation: &[u8],
    ) {
        match self.format {
            GenFormat::Text => {
                out.push(b'[');
                self.push_datetime(out, us, b'T');
                out.push(b'.');
                push_padded(out, (us / 1000).rem_euclid(1000) as u64, 3);
                out.extend_from_slice(b"+0000] {");
                out.extend_from_slice(site.as_bytes());
                out.extend_from_slice(b"} ");
                out.extend_from_slice(level.as_bytes());
                out.extend_from_slice(b" - ");
                out.extend_from_slice(msg);
                out.push(b'\n');
                out.extend_from_slice(continuation);
            }
            GenFormat::Json => {
                out.extend_from_slice(b"{\"timestamp\":\"");
                self.push_datetime(out, us, b'T');
                out.push(b'.');
                push_padded(out, us.rem_euclid(1_000_000) as u64, 6);
                out.extend_from_slice(b"Z\",\"level\":\"");
                out.extend(level.bytes().map(|c| c.to_ascii_lowercase()));
                out.extend_from_slice(b"\",\"event\":\"");
                push_json_escaped(out, msg);
                out.extend_from_slice(b"\",\"logger\":\"airflow.task\",\"site\":\"");
                out.extend_from_slice(site.as_bytes());
                out.push(b'"');
                if !continuation.is_empty() && continuation.starts_with(b"Traceback") {
                    out.extend_from_slice(
                        b",\"error_detail\":[{\"exc_type\":\"ConnectionError\",\"exc_value\":\"timeout after 30s\",\"frames\":[{\"filename\":\"/opt/airflow/dags/lib/io.py\",\"lineno\":57,\"name\":\"fetch\"},{\"filename\":\"/opt/airflow/dags/etl.py\",\"lineno\":42,\"name\":\"extract\"}]}]",
                    );
                    out.extend_from_slice(b"}\n");
                } else {
                    out.extend_from_slice(b"}\n");
                    // Subprocess output that bypassed the JSON logger.
                    out.extend_from_slice(continuation);
                }
            }
        }
    }

    fn push_datetime(&mut self, out: &mut Vec<u8>, us: i64, sep: u8) {
        let secs = us.div_euclid(1_000_000);
        if self.second_cache.0 != secs {
            let days = secs.div_euclid(86_400);
            let (y, m, d) = civil_from_days(days);
            let sod = secs.rem_euclid(86_400) as u64;
            let text = &mut self.second_cache.1;
            text.clear();
            push_padded(text, y as u64, 4);
            text.push(b'-');
            push_padded(text, m as u64, 2);
            text.push(b'-');
            push_padded(text, d as u64, 2);
            text.push(sep);
            push_padded(text, sod / 3600, 2);
            text.push(b':');
            push_padded(text, sod / 60 % 60, 2);
            text.push(b':');
            push_padded(text, sod % 60, 2);
            self.second_cache.0 = secs;
        }
        out.extend_from_slice(&self.second_cache.1);
    }
}

fn push_json_escaped(out: &mut Vec<u8>, s: &[u8]) {
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(c),
        }
    }
}

/// Inverse of `days_from_civil`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn push_num(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn push_padded(out: &mut Vec<u8>, n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut v = n;
    for i in (20 - width..20).rev() {
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.extend_from_slice(&digits[20 - width..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 10_957, 20_077, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("830MB"), Ok(830_000_000));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("64k"), Ok(64_000));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5 parsecs").is_err());
    }

    #[test]
    fn padding() {
        let mut v = Vec::new();
        push_padded(&mut v, 7, 3);
        push_num(&mut v, 1234);
        assert_eq!(v, b"0071234");
    }
}
