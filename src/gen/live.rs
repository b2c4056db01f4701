//! `logweave demo --live`: records appended to a generated attempt as time
//! goes by.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::airflow2::Lines;
use super::airflow3::{self, Records};
use super::rng::Rng;
use super::{GenFormat, TRIGGER_FILE, WORKER_FILE};

/// How often the live writer wakes up.
const LIVE_TICK: Duration = Duration::from_millis(40);

/// After this long the live triggerer log is truncated in place, once.
const LIVE_TRUNCATE_AFTER: Duration = Duration::from_secs(30);

/// Appends realistic records to a generated attempt, in time order: the
/// worker and the triggerer at different rates, an occasional traceback,
/// and one copytruncate of the triggerer log.
pub struct Live {
    dir: PathBuf,
    format: GenFormat,
    text: Lines,
    json: Records,
    rng: Rng,
    seq: u64,
}

impl Live {
    pub fn new(dir: &Path, format: GenFormat, seed: u64) -> Self {
        Self {
            dir: dir.to_path_buf(),
            format,
            text: Lines::new(),
            json: Records::new(),
            rng: Rng::new(seed ^ 0x6C69_7665),
            seq: 0,
        }
    }

    /// Writes records forever, with times from `start_us` on at wall-clock
    /// pace. Returns only on a write error.
    pub fn run(mut self, start_us: i64) -> io::Result<()> {
        let began = Instant::now();
        let worker = self.dir.join(WORKER_FILE);
        let trigger = self.dir.join(TRIGGER_FILE);
        let mut truncated = false;
        let mut line = Vec::new();
        loop {
            std::thread::sleep(LIVE_TICK);
            let us = start_us + began.elapsed().as_micros() as i64;
            self.seq += 1;
            line.clear();
            match self.format {
                GenFormat::Text => {
                    self.text
                        .worker_record(&mut line, &mut self.rng, us, self.seq, false);
                }
                GenFormat::Json => {
                    airflow3::live_record(&mut self.json, &mut line, &mut self.rng, us, self.seq)
                }
            }
            append(&worker, &line)?;
            if self.rng.chance(300) {
                line.clear();
                match self.format {
                    GenFormat::Text => {
                        self.text
                            .trigger_record(&mut line, &mut self.rng, us, self.seq, false)
                    }
                    GenFormat::Json => {
                        let (records, rng) = (&mut self.json, &mut self.rng);
                        airflow3::trigger_record(records, rng, &mut line, us, self.seq, false)
                    }
                }
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
