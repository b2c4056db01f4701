//! Airflow 3 JSON attempts, written the way Airflow 3.3.2's supervisor
//! writes a task's file.
//!
//! The task is simulated in its own time: it prints lines (stdout, stderr)
//! and logs records at a bursty pace. What reaches the file, and when:
//!
//! * stdout is block-buffered in the task: printed lines go to its socket
//!   in blocks of [`STDOUT_BLOCK`] bytes (or when flushed); the supervisor
//!   stamps each line as it processes it. A multi-line print is one record
//!   per line.
//! * stderr is line-buffered: each line goes to its socket at once, and is
//!   stamped when processed too.
//! * a logging record is stamped when the task emits it and goes through
//!   the log socket; a multi-line message stays one record, a traceback is
//!   its `error_detail`.
//!
//! The [`Supervisor`] reads the three and writes in the order it processes;
//! when it falls behind, the task blocks on a full socket. The triggerer
//! writes its sub-log itself, in time order, on the same clock.

mod messages;

#[cfg(test)]
pub(crate) use messages::WORDS;
mod records;
mod supervisor;
mod triggerer;

use std::io;

use super::airflow2::{ClockStep, TABLES};
use super::fmt::push_num;
use super::rng::Rng;
use super::{Plan, Sink};
pub use records::Records;
use records::{Exception, Frame, Ids, DAG_FILE, RUNNER_FRAMES};
use supervisor::{Supervisor, LOGS, STDERR, STDOUT};
pub use triggerer::trigger_record;

/// Bytes the task's stdout holds before it writes them to its socket
/// (Python's text layer flushes its 8 KB of pending text).
pub const STDOUT_BLOCK: usize = 8192;

/// Writes the worker and triggerer logs of a JSON attempt.
pub(super) fn write_attempt(plan: &Plan, worker: &mut Sink, trigger: &mut Sink) -> io::Result<()> {
    let mut task = Task::new(plan, worker);
    let mut next_long_line = plan.long_line_every / 2;
    let mut trigger_line = Vec::with_capacity(64 * 1024);
    task.pre_execute()?;
    while task.worker.bytes + trigger.bytes < plan.live_target {
        let written = task.worker.bytes + trigger.bytes;
        let long = written >= next_long_line;
        if long {
            next_long_line += plan.long_line_every;
        }
        // One long line in three is the triggerer's.
        let long_trigger = long && task.rng.below(3) == 0;
        task.act(long && !long_trigger)?;
        // The triggerer keeps its share of the bytes, on the same clock: its
        // records may share a timestamp with the task's logging records.
        if long_trigger || trigger.bytes * 60 < task.worker.bytes * 25 {
            trigger_line.clear();
            let (records, rng) = (&mut task.records, &mut task.rng);
            trigger_record(
                records,
                rng,
                &mut trigger_line,
                task.clock,
                task.batch,
                long_trigger,
            );
            trigger.write(&trigger_line)?;
        }
    }
    task.post_execute()
}

/// Printed lines not yet written to the pipe.
#[derive(Default)]
struct Printed {
    text: Vec<u8>,
    /// End of each line in `text`, and whether it is the second of a line
    /// printed twice in a row (read in the same microsecond).
    ends: Vec<(usize, bool)>,
    /// Bytes with their newlines.
    bytes: usize,
}

/// The task, its pipes and the supervisor reading them.
struct Task<'a> {
    worker: &'a mut Sink,
    rng: Rng,
    records: Records,
    /// Task time, µs (true time: a clock step changes only what is shown).
    clock: i64,
    /// The task's batch counter, in its messages.
    batch: u64,
    supervisor: Supervisor,
    printed: Printed,
    step: Option<ClockStep>,
    line: Vec<u8>,
    msg: Vec<u8>,
}

impl<'a> Task<'a> {
    fn new(plan: &Plan, worker: &'a mut Sink) -> Self {
        Self {
            worker,
            rng: Rng::new(plan.seed ^ 0x6169_7266_6C6F_7733),
            records: Records::new(),
            clock: plan.start,
            batch: 0,
            supervisor: Supervisor::new(plan.seed, plan.late, plan.start),
            printed: Printed::default(),
            step: plan.clock_step.map(|by| ClockStep {
                by,
                after: plan.worker_target / 2,
                from: None,
            }),
            line: Vec::with_capacity(64 * 1024),
            msg: Vec::with_capacity(64 * 1024),
        }
    }

    fn shown(&self, t: i64) -> i64 {
        self.step.as_ref().map_or(t, |s| s.shown(t))
    }

    /// Time between two things the task does: tens of µs in a burst, with
    /// pauses (I/O, the GIL) and now and then a long one.
    fn pace(&mut self) -> i64 {
        let rng = &mut self.rng;
        match rng.below(10_000) {
            0..=4 => rng.between(50_000, 400_000),
            5..=34 => rng.between(1_000, 15_000),
            _ => rng.between(35, 90),
        }
    }

    /// Airflow's records before the task's code runs, as a group.
    fn pre_execute(&mut self) -> io::Result<()> {
        let runner = Some("task");
        self.airflow(
            "info",
            b"::group::Pre Execute",
            b"",
            Ids::None,
            runner,
            ("task_runner.py", 2412),
        )?;
        // Starting the process and importing Airflow takes seconds.
        self.clock += self.rng.between(4_500_000, 5_500_000);
        self.airflow(
            "info",
            b"DAG bundles loaded: dags-folder",
            b"",
            Ids::Task,
            Some("airflow.dag_processing.bundles.manager.DagBundlesManager"),
            ("manager.py", 304),
        )?;
        self.clock += self.rng.between(20_000, 80_000);
        self.airflow(
            "info",
            b"Filling up the DagBag from /opt/airflow/dags/etl_daily.py",
            b"",
            Ids::Task,
            Some("airflow.dag_processing.dagbag.BundleDagBag"),
            ("dagbag.py", 460),
        )?;
        let parse_ms = self.rng.between(150, 500);
        self.clock += parse_ms * 1000;
        let mut extra = b",\"bundle_name\":\"dags-folder\",\"bundle_version\":null,\"dag_file\":\"etl_daily.py\",\"dag_id\":\"etl_daily\",\"bundle_prepare_ms\":".to_vec();
        push_num(&mut extra, self.rng.between(1, 100) as u64);
        extra.extend_from_slice(b",\"dag_file_parse_ms\":");
        push_num(&mut extra, parse_ms as u64);
        self.airflow(
            "info",
            b"Worker startup parse complete",
            &extra,
            Ids::TaskButDag,
            runner,
            ("task_runner.py", 1073),
        )?;
        self.clock += self.rng.between(50_000, 250_000);
        self.airflow(
            "info",
            b"::endgroup::",
            b"",
            Ids::Task,
            runner,
            ("task_runner.py", 2232),
        )?;
        self.clock += self.rng.between(1_000, 20_000);
        self.module(
            "info",
            b"Extracting 2024-12-19 from s3://data-lake/raw/ (48 partitions)",
            84,
            &[],
        )?;
        self.supervise()
    }

    /// The task's last words, its failure, and Airflow's closing group.
    fn post_execute(&mut self) -> io::Result<()> {
        self.clock += self.pace();
        let mut text = b"extract: ".to_vec();
        push_num(&mut text, self.batch);
        text.extend_from_slice(b" batches written");
        // print(…, flush=True)
        self.print(&text, false)?;
        self.flush_stdout()?;
        self.clock += self.pace();
        self.module(
            "warning",
            b"extract: 3 partitions could not be read",
            128,
            &[],
        )?;
        self.clock += self.rng.between(100, 400);
        let chain = [
            Exception {
                exc_type: "RuntimeError",
                exc_value: b"extract failed: 3 of 48 partitions could not be read",
                is_cause: false,
                frames: &RUNNER_FRAMES,
            },
            Exception {
                exc_type: "ConnectionError",
                exc_value: b"timeout after 30s",
                is_cause: true,
                frames: &[(DAG_FILE, 97, "read_partition"), IO_FETCH, IO_GET],
            },
        ];
        let runner = Some("task");
        self.line.clear();
        let shown = self.shown(self.clock);
        let site = ("task_runner.py", 1676);
        let (line, records) = (&mut self.line, &mut self.records);
        records.airflow(
            line,
            shown,
            "error",
            b"Task failed with exception",
            b"",
            Ids::Task,
            runner,
            site,
            &chain,
        );
        self.log_line()?;
        self.clock += self.rng.between(100, 400);
        self.airflow(
            "info",
            b"::group::Post Execute",
            b"",
            Ids::Task,
            runner,
            ("task_runner.py", 1677),
        )?;
        self.clock += self.rng.between(50_000, 200_000);
        self.airflow(
            "info",
            b"::endgroup::",
            b"",
            Ids::Task,
            runner,
            ("task_runner.py", 2379),
        )?;
        self.supervisor.finish(self.step.as_ref(), self.worker)
    }

    /// One thing the task does; `long` makes it a 10–50 KB line.
    fn act(&mut self, long: bool) -> io::Result<()> {
        self.clock += self.pace();
        if let Some(step) = &mut self.step {
            if step.from.is_none() && self.worker.bytes >= step.after {
                step.from = Some(self.clock);
            }
        }
        self.batch += 1;
        let mut msg = std::mem::take(&mut self.msg);
        msg.clear();
        let done = self.action(long, &mut msg, self.batch);
        self.msg = msg;
        done?;
        self.supervise()
    }

    /// What the task does: print, log, now and then fail on a batch.
    fn action(&mut self, long: bool, msg: &mut Vec<u8>, n: u64) -> io::Result<()> {
        if long {
            let print = self.rng.below(2) == 0;
            msg.extend_from_slice(if print {
                b"payload sample: "
            } else {
                b"request body: "
            });
            let size = 10_000 + self.rng.below(40_000) as usize;
            while msg.len() < size {
                msg.extend_from_slice(b"{\"id\":");
                push_num(msg, self.rng.below(1_000_000));
                msg.extend_from_slice(b",\"v\":\"abcdefghij\"},");
            }
            if print {
                self.print(msg, false)?;
            } else {
                self.module("debug", msg, 102, &[])?;
            }
        } else {
            match self.rng.below(1000) {
                0..=279 => {
                    messages::stdout_message(&mut self.rng, msg, n);
                    // A task that prints the same line twice: both show.
                    let twice = self.rng.chance(4);
                    self.print(msg, false)?;
                    if twice {
                        self.print(msg, true)?;
                    }
                }
                280..=369 => {
                    messages::stderr_message(&mut self.rng, msg, n);
                    self.stderr(&[msg])?;
                }
                370..=409 => {
                    // A printed table: one record per line.
                    for row in self.rng.pick(TABLES).lines() {
                        self.print(row.as_bytes(), false)?;
                    }
                }
                410..=809 => {
                    messages::info_message(&mut self.rng, msg, n);
                    self.module("info", msg, 98, &[])?;
                }
                810..=834 => {
                    msg.extend_from_slice(b"Uploading s3://data-lake/clean/part-");
                    push_num(msg, n % 10_000);
                    msg.extend_from_slice(b".parquet (");
                    push_num(msg, 1_000 + self.rng.below(9_000_000));
                    msg.extend_from_slice(b" bytes)");
                    let hook = Some(records::S3_HOOK_LOGGER);
                    self.airflow("info", msg, b"", Ids::Task, hook, ("s3.py", 1045))?;
                }
                835..=914 => {
                    // A multi-line message stays one record.
                    msg.extend_from_slice(b"batch ");
                    push_num(msg, n);
                    msg.extend_from_slice(b" warning:");
                    for detail in 0..2 + self.rng.below(3) {
                        msg.extend_from_slice(b"\n  detail ");
                        push_num(msg, detail);
                        msg.extend_from_slice(b": ");
                        messages::words(&mut self.rng, msg, 5);
                    }
                    self.module("warning", msg, 103, &[])?;
                }
                915..=954 => {
                    msg.extend_from_slice(b"batch ");
                    push_num(msg, n);
                    msg.extend_from_slice(b" skipped: ");
                    messages::words(&mut self.rng, msg, 8);
                    self.module("error", msg, 106, &[])?;
                }
                955..=959 => self.log_exception(msg, n)?,
                960..=962 => self.print_traceback(n)?,
                _ => {
                    msg.extend_from_slice(b"Heartbeat: task is alive, memory_rss=");
                    push_num(msg, 200 + self.rng.below(800));
                    msg.extend_from_slice(b"MiB");
                    self.print(msg, false)?;
                }
            }
        }
        Ok(())
    }

    /// Lets the supervisor catch up with the task.
    fn supervise(&mut self) -> io::Result<()> {
        self.supervisor
            .run(self.clock, self.step.as_ref(), self.worker)
    }

    /// Blocks the task until a write of `bytes` to `channel` fits in its
    /// socket.
    fn make_room(&mut self, channel: usize, bytes: usize) -> io::Result<()> {
        if self.supervisor.full(channel, bytes) {
            let step = self.step.as_ref();
            self.supervisor
                .make_room(channel, bytes, step, self.worker)?;
            self.clock = self.clock.max(self.supervisor.clock());
        }
        Ok(())
    }

    /// `log.exception(…)`: the message, and the traceback as `error_detail`,
    /// sometimes with the exception it was raised from.
    fn log_exception(&mut self, msg: &mut Vec<u8>, n: u64) -> io::Result<()> {
        msg.extend_from_slice(b"batch ");
        push_num(msg, n);
        msg.extend_from_slice(b" failed, going on");
        let mut value = b"batch ".to_vec();
        push_num(&mut value, n);
        value.extend_from_slice(b": checksum mismatch in part-");
        push_num(&mut value, n % 10_000);
        value.extend_from_slice(b".parquet");
        // `extract` calls a recursive check that raises.
        let depth = 1 + self.rng.below(4) as usize;
        let mut frames = vec![(DAG_FILE, 109, "extract")];
        frames.extend(std::iter::repeat_n(
            ("/opt/airflow/dags/lib/checks.py", 42, "verify"),
            depth - 1,
        ));
        frames.push(("/opt/airflow/dags/lib/checks.py", 41, "verify"));
        let raised = Exception {
            exc_type: "ValueError",
            exc_value: &value,
            is_cause: false,
            frames: &frames,
        };
        if self.rng.below(3) == 0 {
            let cause = Exception {
                exc_type: "ConnectionError",
                exc_value: b"timeout after 30s",
                is_cause: true,
                frames: &[IO_FETCH, IO_GET],
            };
            self.module("error", msg, 111, &[raised, cause])
        } else {
            self.module("error", msg, 111, &[raised])
        }
    }

    /// A library's `traceback.print_exc()`: stderr lines, one record each.
    fn print_traceback(&mut self, n: u64) -> io::Result<()> {
        let mut last = b"ConnectionError: timeout after 30s (batch ".to_vec();
        push_num(&mut last, n);
        last.push(b')');
        self.stderr(&[
            b"Traceback (most recent call last):",
            b"  File \"/opt/airflow/dags/lib/io.py\", line 57, in fetch",
            b"    rows = client.get(batch, timeout=30)",
            b"  File \"/opt/airflow/dags/lib/io.py\", line 41, in get",
            b"    raise ConnectionError(f\"timeout after {timeout}s\")",
            &last,
        ])
    }

    /// A record of the DAG module's logger, stamped now.
    fn module(
        &mut self,
        level: &str,
        event: &[u8],
        lineno: u64,
        error: &[Exception],
    ) -> io::Result<()> {
        self.line.clear();
        let shown = self.shown(self.clock);
        self.records
            .module(&mut self.line, shown, level, event, lineno, error);
        self.log_line()
    }

    /// A record of one of Airflow's loggers, stamped now.
    fn airflow(
        &mut self,
        level: &str,
        event: &[u8],
        extra: &[u8],
        ids: Ids,
        logger: Option<&str>,
        site: (&str, u64),
    ) -> io::Result<()> {
        self.line.clear();
        let shown = self.shown(self.clock);
        let line = &mut self.line;
        self.records
            .airflow(line, shown, level, event, extra, ids, logger, site, &[]);
        self.log_line()
    }

    /// Sends the logging record in `line` through the log socket.
    fn log_line(&mut self) -> io::Result<()> {
        self.make_room(LOGS, self.line.len())?;
        self.supervisor.log(self.clock, &self.line);
        Ok(())
    }

    /// `print(text)`: into stdout's buffer, to the pipe when it is full.
    fn print(&mut self, text: &[u8], same_read: bool) -> io::Result<()> {
        let printed = &mut self.printed;
        printed.text.extend_from_slice(text);
        printed.ends.push((printed.text.len(), same_read));
        printed.bytes += text.len() + 1;
        if printed.bytes >= STDOUT_BLOCK {
            self.flush_stdout()?;
        }
        Ok(())
    }

    /// Writes stdout's buffer to its socket.
    fn flush_stdout(&mut self) -> io::Result<()> {
        if self.printed.ends.is_empty() {
            return Ok(());
        }
        self.make_room(STDOUT, self.printed.bytes)?;
        let printed = &mut self.printed;
        self.supervisor
            .stdout(self.clock, &printed.text, &printed.ends);
        printed.text.clear();
        printed.ends.clear();
        printed.bytes = 0;
        Ok(())
    }

    /// Lines written to stderr now (line-buffered: each at once).
    fn stderr(&mut self, lines: &[&[u8]]) -> io::Result<()> {
        for text in lines {
            self.make_room(STDERR, text.len() + 1)?;
            self.supervisor.stderr(self.clock, text);
        }
        Ok(())
    }
}

const IO_FETCH: Frame = ("/opt/airflow/dags/lib/io.py", 57, "fetch");
const IO_GET: Frame = ("/opt/airflow/dags/lib/io.py", 41, "get");

/// A worker record at `us`, in time order (`logweave demo --live`).
pub fn live_record(records: &mut Records, out: &mut Vec<u8>, rng: &mut Rng, us: i64, seq: u64) {
    let mut msg = b"Processed batch ".to_vec();
    push_num(&mut msg, seq);
    msg.extend_from_slice(b" in 0.");
    push_num(&mut msg, 100 + rng.below(900));
    msg.push(b's');
    match rng.below(10) {
        0..=3 => records.stdio(out, us, false, &msg),
        4 => records.stdio(out, us, true, b"stderr: batch slow: backoff retry"),
        5 => {
            let value = b"timeout after 30s";
            let cause = [Exception {
                exc_type: "ConnectionError",
                exc_value: value,
                is_cause: false,
                frames: &[IO_FETCH, IO_GET],
            }];
            records.module(out, us, "error", b"batch failed, going on", 111, &cause);
        }
        _ => records.module(out, us, "info", &msg, 98, &[]),
    }
}
