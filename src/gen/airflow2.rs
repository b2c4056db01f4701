//! Airflow 2 text attempts: `[ts] {file.py:N} LEVEL - msg` lines.
//!
//! In time order by default, byte for byte what earlier versions wrote, so
//! benchmarks stay comparable. With a lateness, the records the task logs
//! reach the file behind the lines it prints (`logging_mixin.py`), as in
//! [`super::arrival`].

use std::io;

use super::arrival::{Arrivals, Backlog};
use super::fmt::{push_num, push_padded, DateTimes};
use super::rng::Rng;
use super::{Plan, Sink};

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

/// Where Airflow 2 logs a task's `print()`.
const PRINT_SITE: &str = "logging_mixin.py:190";

/// Writes the worker and triggerer logs of a text attempt.
pub(super) fn write_attempt(plan: &Plan, worker: &mut Sink, trigger: &mut Sink) -> io::Result<()> {
    let mut rng = Rng::new(plan.seed ^ 0x6C6F_6777_6561_7665);
    let mut next_long_line = plan.long_line_every / 2;
    let mut clock_us = plan.start;
    let mut line = Vec::with_capacity(64 * 1024);
    let mut lines = Lines::new();
    let mut out = WorkerOut::new(plan);
    // Airflow (2.9+, 3) wraps what it logs before and after the task in
    // `::group::` sections, which the viewer folds.
    for message in PRE_EXECUTION {
        line.clear();
        let shown = out.shown(clock_us);
        lines.emit(
            &mut line,
            shown,
            "INFO",
            "taskinstance.py:1157",
            message.as_bytes(),
            b"",
        );
        out.write(clock_us, false, &line, worker)?;
    }
    let mut seq = 0u64;
    while out.generated + trigger.bytes < plan.live_target {
        // Advance the shared clock; 0 makes equal timestamps, within a source
        // (consecutive records) and across (the other source's next record).
        let step = rng.below(10);
        if step >= 3 {
            clock_us += (step as i64 - 2) * 700 + rng.below(300) as i64;
        }
        let to_worker = rng.below(85) < 60;
        let written = out.generated + trigger.bytes;
        let long = written >= next_long_line;
        if long {
            next_long_line += plan.long_line_every;
        }
        line.clear();
        seq += 1;
        if to_worker {
            out.step_clock_at(clock_us);
            let shown = out.shown(clock_us);
            let printed = lines.worker_record(&mut line, &mut rng, shown, seq, long);
            // A task that prints the same line twice: both copies must show.
            if rng.chance(4) {
                line.extend_from_within(..);
            }
            out.write(clock_us, printed, &line, worker)?;
        } else {
            lines.trigger_record(&mut line, &mut rng, clock_us, seq, long);
            trigger.write(&line)?;
        }
    }
    for message in POST_EXECUTION {
        line.clear();
        let shown = out.shown(clock_us);
        lines.emit(
            &mut line,
            shown,
            "INFO",
            "taskinstance.py:340",
            message.as_bytes(),
            b"",
        );
        out.write(clock_us, false, &line, worker)?;
    }
    out.finish(worker)
}

/// The worker log's records on their way to the file: straight there, or
/// late as [`Arrivals`] has them; stamped by a clock that may step back.
struct WorkerOut {
    disorder: Option<(Arrivals, Backlog)>,
    /// Bytes of records made so far (written or waiting).
    generated: u64,
    step: Option<ClockStep>,
}

/// The clock steps back by `by` µs once `generated` reaches `after` bytes.
pub struct ClockStep {
    pub by: i64,
    pub after: u64,
    /// The true time from which the step applies, once reached.
    pub from: Option<i64>,
}

impl ClockStep {
    /// A time as the stepped clock shows it.
    pub fn shown(&self, t: i64) -> i64 {
        match self.from {
            Some(from) if t >= from => t - self.by,
            _ => t,
        }
    }
}

impl WorkerOut {
    fn new(plan: &Plan) -> Self {
        Self {
            disorder: (plan.late > 0).then(|| {
                (
                    Arrivals::new(plan.late),
                    Backlog::new(plan.seed, plan.late, plan.start),
                )
            }),
            generated: 0,
            step: plan.clock_step.map(|by| ClockStep {
                by,
                after: plan.worker_target / 2,
                from: None,
            }),
        }
    }

    fn step_clock_at(&mut self, now: i64) {
        if let Some(step) = &mut self.step {
            if step.from.is_none() && self.generated >= step.after {
                step.from = Some(now);
            }
        }
    }

    fn shown(&self, t: i64) -> i64 {
        self.step.as_ref().map_or(t, |s| s.shown(t))
    }

    fn write(&mut self, t: i64, printed: bool, record: &[u8], sink: &mut Sink) -> io::Result<()> {
        self.generated += record.len() as u64;
        let Some((arrivals, backlog)) = &mut self.disorder else {
            return sink.write(record);
        };
        if printed {
            arrivals.line(t, t, record);
        } else {
            let arrival = t + backlog.at(t);
            arrivals.logged(t, arrival, record);
        }
        arrivals.release(t, sink)
    }

    fn finish(&mut self, sink: &mut Sink) -> io::Result<()> {
        match &mut self.disorder {
            Some((arrivals, _)) => arrivals.finish(sink),
            None => Ok(()),
        }
    }
}

const WORKER_SITES: &[&str] = &[
    "taskinstance.py:1157",
    "taskinstance.py:1364",
    "standard_task_runner.py:57",
    PRINT_SITE,
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

pub const TABLES: &[&str] = &[
    "+---------+--------+-----------+\n| region  |   rows | status    |\n+---------+--------+-----------+\n| eu-west |  48213 | ok        |\n| ap-east |   9911 | retrying  |\n+---------+--------+-----------+\n",
    "summary:\n  files: 128\n  bytes: 1.9 GiB\n  région: Île-de-France ✓\n",
];

/// Formats Airflow 2 lines.
pub struct Lines {
    dates: DateTimes,
}

impl Lines {
    pub fn new() -> Self {
        Self {
            dates: DateTimes::new(),
        }
    }

    /// A worker record at `us`; `true` if the task printed it.
    pub fn worker_record(
        &mut self,
        out: &mut Vec<u8>,
        rng: &mut Rng,
        us: i64,
        seq: u64,
        long: bool,
    ) -> bool {
        let roll = rng.below(1000);
        let (level, site) = match roll {
            0..=9 => ("ERROR", "taskinstance.py:2612"),
            10..=39 => ("WARNING", rng.pick(WORKER_SITES)),
            40..=89 => ("DEBUG", rng.pick(WORKER_SITES)),
            _ => ("INFO", rng.pick(WORKER_SITES)),
        };
        let printed = site == PRINT_SITE;
        let mut msg = Vec::with_capacity(160);
        let mut continuation: &[u8] = b"";
        if long {
            msg.extend_from_slice(b"payload sample: ");
            let n = 10_000 + rng.below(40_000) as usize;
            while msg.len() < n {
                msg.extend_from_slice(b"{\"id\":");
                push_num(&mut msg, rng.below(1_000_000));
                msg.extend_from_slice(b",\"v\":\"abcdefghij\"},");
            }
        } else if level == "ERROR" || rng.chance(35) {
            let traceback = traceback(rng);
            msg.extend_from_slice(b"Task failed with exception");
            self.emit(out, us, level, site, &msg, &traceback);
            return printed;
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
        printed
    }

    pub fn trigger_record(
        &mut self,
        out: &mut Vec<u8>,
        rng: &mut Rng,
        us: i64,
        seq: u64,
        long: bool,
    ) {
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
            let tb = traceback(rng);
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

    /// One record: its line, then continuation lines as they are.
    pub fn emit(
        &mut self,
        out: &mut Vec<u8>,
        us: i64,
        level: &str,
        site: &str,
        msg: &[u8],
        continuation: &[u8],
    ) {
        out.push(b'[');
        self.dates.push(out, us, b'T');
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
}

/// A Python traceback as Airflow 2 writes it: lines after the record's.
fn traceback(rng: &mut Rng) -> Vec<u8> {
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
