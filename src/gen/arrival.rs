//! Arrival order: how a task's records reach its log file out of time order.
//!
//! Airflow 3's supervisor stamps a stdout/stderr line when it reads it from
//! the task's pipe, but a logging record keeps the time the task emitted it
//! and reaches the supervisor later, through the log socket, behind whatever
//! the supervisor has not processed yet. Both are written as they are
//! processed. So the lines are in order among themselves, so are the logging
//! records, and a logging record lands after lines stamped later than it by
//! up to the supervisor's backlog.

use std::collections::VecDeque;
use std::io;

use super::rng::Rng;
use super::Sink;

/// The supervisor's backlog over time: how long after the task wrote
/// something the supervisor gets to it. Under a busy task it trails by a few
/// ms to tens of ms (the real deployment, idle: half the logging records
/// 35 ms late or more); now and then it falls behind and catches up again,
/// mostly to at most 0.3 s, one time in six further, up to the most allowed.
pub struct Backlog {
    rng: Rng,
    most: i64,
    /// The trailing part: straight between two (time, backlog) points.
    base_from: (i64, i64),
    base_to: (i64, i64),
    /// The current episode: the backlog grows from `start` to `peak` at
    /// `peak_at` and is worked off by `end`.
    start: i64,
    peak_at: i64,
    end: i64,
    peak: i64,
}

/// The largest backlog of an ordinary episode (the real deployment, idle:
/// logging records up to 0.23 s late).
const ORDINARY: i64 = 300_000;

/// Bounds of the trailing backlog.
const BASE: (i64, i64) = (2_000, 60_000);

impl Backlog {
    /// A backlog never above `most` µs, its first episode after `from`.
    pub fn new(seed: u64, most: i64, from: i64) -> Self {
        let mut backlog = Self {
            rng: Rng::new(seed ^ 0x0062_6163_6B6C_6F67),
            most: most.max(0),
            base_from: (from, BASE.0),
            base_to: (from, BASE.0),
            start: from,
            peak_at: from,
            end: from,
            peak: 0,
        };
        backlog.next_episode();
        backlog
    }

    /// The backlog at task time `t` (µs), at most the most allowed.
    pub fn at(&mut self, t: i64) -> i64 {
        if self.most == 0 {
            return 0;
        }
        while t >= self.end {
            self.next_episode();
        }
        while t >= self.base_to.0 {
            self.base_from = self.base_to;
            let at = self.base_to.0 + self.rng.between(200_000, 800_000);
            self.base_to = (at, self.rng.between(BASE.0, BASE.1));
        }
        let ((t0, b0), (t1, b1)) = (self.base_from, self.base_to);
        let base = b0 + (b1 - b0) * (t - t0) / (t1 - t0).max(1);
        let grown = if t <= self.start {
            0
        } else if t < self.peak_at {
            self.peak * (t - self.start) / (self.peak_at - self.start)
        } else {
            self.peak * (self.end - t) / (self.end - self.peak_at)
        };
        (base + grown + self.rng.between(0, 400)).min(self.most)
    }

    fn next_episode(&mut self) {
        let rng = &mut self.rng;
        let ordinary = self.most.min(ORDINARY);
        self.peak = if self.most > ordinary && rng.below(6) == 0 {
            rng.between(ordinary, self.most + 1)
        } else {
            rng.between(ordinary / 10, ordinary + 1)
        };
        self.start = self.end + rng.between(200_000, 3_000_000);
        // Falling behind is slower than catching up.
        self.peak_at = self.start + (self.peak * rng.between(20, 60) / 10).max(1);
        self.end = self.peak_at + (self.peak * rng.between(7, 20) / 10).max(1);
    }
}

/// Records waiting to be written, with their bytes in one buffer.
struct Queue {
    bytes: Vec<u8>,
    /// Offset in the stream of queued bytes of `bytes[0]`.
    base: usize,
    /// Offset of the first byte not yet written.
    head: usize,
    items: VecDeque<Item>,
}

#[derive(Clone, Copy)]
struct Item {
    /// When the supervisor got to it: a line's read, a record's arrival.
    key: i64,
    /// The time it carries (true time, before any clock step).
    stamp: i64,
    /// Offset in the stream of queued bytes just after it.
    end: usize,
}

impl Queue {
    fn new() -> Self {
        Self {
            bytes: Vec::new(),
            base: 0,
            head: 0,
            items: VecDeque::new(),
        }
    }

    fn push(&mut self, key: i64, stamp: i64, record: &[u8]) {
        self.bytes.extend_from_slice(record);
        let end = self.base + self.bytes.len();
        self.items.push_back(Item { key, stamp, end });
    }

    fn front(&self) -> Option<Item> {
        self.items.front().copied()
    }

    /// Writes the first record.
    fn write_front(&mut self, sink: &mut Sink) -> io::Result<()> {
        let Some(item) = self.items.pop_front() else {
            return Ok(());
        };
        sink.write(&self.bytes[self.head - self.base..item.end - self.base])?;
        self.head = item.end;
        // Drop written bytes once they are most of the buffer.
        let written = self.head - self.base;
        if written == self.bytes.len() {
            self.bytes.clear();
            self.base = self.head;
        } else if written > 1 << 20 && written > self.bytes.len() / 2 {
            self.bytes.drain(..written);
            self.base = self.head;
        }
        Ok(())
    }
}

/// Writes a task's lines and logging records in the order the supervisor
/// processes them, none more than `most_late` µs behind a line written
/// before it.
pub struct Arrivals {
    most_late: i64,
    lines: Queue,
    logged: Queue,
    last_arrival: i64,
}

impl Arrivals {
    pub fn new(most_late: i64) -> Self {
        Self {
            most_late: most_late.max(0),
            lines: Queue::new(),
            logged: Queue::new(),
            last_arrival: i64::MIN,
        }
    }

    /// A stdout/stderr line the supervisor read at `read_at` and stamped
    /// `stamp` (≥ `read_at`). Lines come in the order they were read.
    pub fn line(&mut self, read_at: i64, stamp: i64, record: &[u8]) {
        self.lines.push(read_at, stamp, record);
    }

    /// A logging record stamped `stamp` that reached the supervisor at
    /// `arrival`. Records come in the order they were emitted; the socket
    /// keeps that order and none arrives later than the most lateness allows.
    pub fn logged(&mut self, stamp: i64, arrival: i64, record: &[u8]) {
        let arrival = arrival
            .min(stamp.saturating_add(self.most_late))
            .max(self.last_arrival)
            .max(stamp);
        self.last_arrival = arrival;
        self.logged.push(arrival, stamp, record);
    }

    /// Writes what nothing the task does from task time `now` on can come
    /// before.
    pub fn release(&mut self, now: i64, sink: &mut Sink) -> io::Result<()> {
        self.write(Some(now), sink)
    }

    /// Writes everything left.
    pub fn finish(&mut self, sink: &mut Sink) -> io::Result<()> {
        self.write(None, sink)
    }

    fn write(&mut self, now: Option<i64>, sink: &mut Sink) -> io::Result<()> {
        let most = self.most_late;
        loop {
            let record_first = match (self.logged.front(), self.lines.front()) {
                (None, None) => return Ok(()),
                (Some(_), None) => true,
                (None, Some(_)) => false,
                // It arrived before the read began, or the line would be
                // more than the most lateness after it.
                (Some(r), Some(l)) => r.key < l.key || r.stamp + most < l.stamp,
            };
            if record_first {
                let record = self.logged.front().map(|r| r.key);
                // Whatever the task does from now on reaches the supervisor
                // at `now` or later.
                if matches!((record, now), (Some(key), Some(now)) if key >= now) {
                    return Ok(());
                }
                self.logged.write_front(sink)?;
            } else {
                // No record emitted from now on may come before the line:
                // it arrives after the read began and is not too late.
                if let (Some(l), Some(now)) = (self.lines.front(), now) {
                    if l.key > now || l.stamp > now + most {
                        return Ok(());
                    }
                }
                self.lines.write_front(sink)?;
            }
        }
    }
}
