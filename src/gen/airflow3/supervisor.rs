//! Airflow 3's supervisor, simulated: the process that reads a task's
//! stdout and stderr sockets and its log socket and writes the task's file.
//!
//! It loops: wait until something is readable, then read each readable
//! channel once, [`READ`] bytes at most (its `BUFFER_SIZE`), and process the
//! lines and records the read completed — a stdout/stderr line is stamped
//! with the supervisor's clock as it is processed; a logging record keeps
//! the time the task stamped it. Each costs it tens of µs, more while the
//! machine is loaded ([`Backlog`] says how far behind that leaves it). When
//! it is behind, the channels fill up to what a socket holds and the task
//! blocks writing to them; the records waiting in the log socket are then
//! older than the lines read meanwhile. That is all of Airflow 3's disorder:
//! lines in order, records in order, records late among the lines by at
//! most what fits in the socket — and never by more than the most lateness
//! allowed: a line is not stamped while a record that much older waits.

use std::collections::VecDeque;
use std::io;

use super::super::airflow2::ClockStep;
use super::super::arrival::Backlog;
use super::super::rng::Rng;
use super::super::Sink;
use super::records::Records;

/// Bytes the supervisor reads from a socket at a time.
pub const READ: usize = 4096;

/// The channels, in the order of `Supervisor::channels`.
pub const STDOUT: usize = 0;
pub const STDERR: usize = 1;
pub const LOGS: usize = 2;

/// What a socket holds before a write blocks: a Unix stream socket's 208 KiB
/// of buffer, of which each write takes about 1.3 KB besides its bytes
/// (so: ~160 records or lines, or ~200 KB of 8 KB stdout blocks).
const SOCKET_BUFFER: usize = 212_992;
const PER_WRITE: usize = 1_280;

/// The supervisor's backlog, µs, when it processes at full speed: the
/// backlog the task's bursts leave it with by themselves.
const FULL_SPEED_BACKLOG: i64 = 60_000;

pub struct Supervisor {
    rng: Rng,
    most_late: i64,
    /// How far behind the machine's load leaves the supervisor: its costs
    /// scale with `backlog / FULL_SPEED_BACKLOG`.
    backlog: Backlog,
    /// The supervisor's clock, µs.
    clock: i64,
    channels: [Channel; 3],
    /// The loop turn under way: the first channel, how many were read, and
    /// what is left of the current read.
    turn: Option<(usize, usize, usize)>,
    /// The stamp of the line written last, if nothing was written since.
    last_stamp: Option<i64>,
    records: Records,
    line: Vec<u8>,
}

/// What the task wrote to one channel and the supervisor has not processed:
/// line texts (stdout, stderr) or formatted records (logs), one after
/// another in one buffer.
struct Channel {
    bytes: Vec<u8>,
    /// Offset in the channel's stream of `bytes[0]`.
    base: usize,
    /// Offset of the first byte not yet processed.
    head: usize,
    items: VecDeque<Item>,
    /// Bytes of the first item already read (a read ended inside it).
    carry: usize,
    /// What the socket holds, as it counts: bytes and writes.
    held: usize,
}

#[derive(Clone, Copy)]
struct Item {
    /// When the task wrote it.
    written: i64,
    /// A record's own time (true time); unused for lines.
    stamp: i64,
    /// Offset in the channel's stream just after it.
    end: usize,
    /// What it takes of the socket's buffer (the first item of a write
    /// carries the write's cost).
    held: usize,
    /// The second of a line printed twice in a row: stamped with its twin.
    same: bool,
}

impl Channel {
    fn new() -> Self {
        Self {
            bytes: Vec::new(),
            base: 0,
            head: 0,
            items: VecDeque::new(),
            carry: 0,
            held: 0,
        }
    }

    fn push(&mut self, item: Item, content: &[u8]) {
        if self.items.is_empty() {
            self.bytes.clear();
            self.base = self.head;
        }
        self.bytes.extend_from_slice(content);
        self.held += item.held;
        self.items.push_back(Item {
            end: self.base + self.bytes.len(),
            ..item
        });
    }

    fn front(&self) -> Option<Item> {
        self.items.front().copied()
    }

    /// Bytes of the first item.
    fn front_len(&self) -> usize {
        self.items.front().map_or(0, |item| item.end - self.head)
    }

    /// Removes the first item and returns its content.
    fn pop(&mut self) -> &[u8] {
        let Some(item) = self.items.pop_front() else {
            return &[];
        };
        self.carry = 0;
        self.held -= item.held;
        // Drop processed bytes once they are most of the buffer.
        let processed = self.head - self.base;
        if processed > 1 << 20 && processed > self.bytes.len() / 2 {
            self.bytes.drain(..processed);
            self.base = self.head;
        }
        let from = self.head - self.base;
        self.head = item.end;
        &self.bytes[from..item.end - self.base]
    }
}

impl Supervisor {
    /// A supervisor from `start` on whose records are at most `most_late`
    /// µs late.
    pub fn new(seed: u64, most_late: i64, start: i64) -> Self {
        Self {
            rng: Rng::new(seed ^ 0x7375_7065_7276),
            most_late: most_late.max(0),
            backlog: Backlog::new(seed, most_late, start),
            clock: start,
            channels: [Channel::new(), Channel::new(), Channel::new()],
            turn: None,
            last_stamp: None,
            records: Records::new(),
            line: Vec::with_capacity(64 * 1024),
        }
    }

    /// The supervisor's clock.
    pub fn clock(&self) -> i64 {
        self.clock
    }

    /// Whether a write of `bytes` to `channel` would block.
    pub fn full(&self, channel: usize, bytes: usize) -> bool {
        let held = self.channels[channel].held;
        held > 0 && held + bytes + PER_WRITE > SOCKET_BUFFER
    }

    /// Lines the task's stdout wrote at `t` in one write.
    pub fn stdout(&mut self, t: i64, text: &[u8], ends: &[(usize, bool)]) {
        let mut start = 0;
        for (i, &(end, same)) in ends.iter().enumerate() {
            let held = end - start + 1 + if i == 0 { PER_WRITE } else { 0 };
            let item = Item {
                written: t,
                stamp: 0,
                end: 0,
                held,
                same,
            };
            self.channels[STDOUT].push(item, &text[start..end]);
            start = end;
        }
    }

    /// A line the task wrote to stderr at `t`.
    pub fn stderr(&mut self, t: i64, text: &[u8]) {
        let held = text.len() + 1 + PER_WRITE;
        let item = Item {
            written: t,
            stamp: 0,
            end: 0,
            held,
            same: false,
        };
        self.channels[STDERR].push(item, text);
    }

    /// A logging record the task stamped and sent at `t`.
    pub fn log(&mut self, t: i64, record: &[u8]) {
        let held = record.len() + PER_WRITE;
        let item = Item {
            written: t,
            stamp: t,
            end: 0,
            held,
            same: false,
        };
        self.channels[LOGS].push(item, record);
    }

    /// Runs the supervisor up to task time `now`: it never gets ahead of
    /// the task, whose later writes it cannot have seen.
    pub fn run(&mut self, now: i64, step: Option<&ClockStep>, sink: &mut Sink) -> io::Result<()> {
        while self.clock <= now && self.step(now, step, sink)? {}
        Ok(())
    }

    /// Runs the supervisor, the task blocked, until a write of `bytes` to
    /// `channel` fits.
    pub fn make_room(
        &mut self,
        channel: usize,
        bytes: usize,
        step: Option<&ClockStep>,
        sink: &mut Sink,
    ) -> io::Result<()> {
        while self.full(channel, bytes) && self.step(i64::MAX, step, sink)? {}
        Ok(())
    }

    /// Writes everything left, as the supervisor does before the try ends.
    pub fn finish(&mut self, step: Option<&ClockStep>, sink: &mut Sink) -> io::Result<()> {
        self.run(i64::MAX, step, sink)
    }

    /// Does one thing: starts a loop turn, moves on to the next channel of
    /// the turn, or processes a line or record. `false` when nothing is
    /// readable before `now`.
    fn step(&mut self, now: i64, step: Option<&ClockStep>, sink: &mut Sink) -> io::Result<bool> {
        let Some((first, read, budget)) = self.turn else {
            // Wait until something is readable.
            let next = self
                .channels
                .iter()
                .filter_map(|c| c.front())
                .map(|i| i.written)
                .min();
            match next {
                Some(written) if written <= now => self.clock = self.clock.max(written),
                _ => return Ok(false),
            }
            self.turn = Some((self.rng.below(3) as usize, 0, READ));
            return Ok(true);
        };
        if read == 3 {
            self.turn = None;
            return Ok(true);
        }
        let which = (first + read) % 3;
        let channel = &self.channels[which];
        let readable = channel.front().is_some_and(|i| i.written <= self.clock);
        if !readable || budget == 0 {
            self.turn = Some((first, read + 1, READ));
            return Ok(true);
        }
        let newline = usize::from(which != LOGS);
        let need = channel.front_len() + newline - channel.carry;
        if need > budget {
            // The read ends inside this item; a later one goes on.
            self.channels[which].carry += budget;
            self.turn = Some((first, read + 1, READ));
            return Ok(true);
        }
        if which != LOGS && self.write_overdue_record(sink)? {
            return Ok(true);
        }
        self.turn = Some((first, read, budget - need));
        if which == LOGS {
            self.write_record(sink)?;
        } else {
            self.write_line(which, step, sink)?;
        }
        Ok(true)
    }

    /// Writes the first waiting record if a line stamped now would be more
    /// than the most lateness after it.
    fn write_overdue_record(&mut self, sink: &mut Sink) -> io::Result<bool> {
        let overdue = self.channels[LOGS]
            .front()
            .is_some_and(|r| r.stamp.saturating_add(self.most_late) < self.clock);
        if overdue {
            self.write_record(sink)?;
        }
        Ok(overdue)
    }

    /// How much slower than at full speed the machine's load makes it now.
    fn slowdown(&mut self) -> i64 {
        (self.backlog.at(self.clock) / FULL_SPEED_BACKLOG).max(1)
    }

    fn write_record(&mut self, sink: &mut Sink) -> io::Result<()> {
        sink.write(self.channels[LOGS].pop())?;
        self.last_stamp = None;
        // Decoding the record and logging it again through structlog.
        let cost = self.rng.between(300, 500) * self.slowdown();
        self.clock += cost;
        Ok(())
    }

    fn write_line(
        &mut self,
        which: usize,
        step: Option<&ClockStep>,
        sink: &mut Sink,
    ) -> io::Result<()> {
        // A line printed twice shares its twin's stamp if nothing came
        // between them.
        let twin = self.channels[which].front().is_some_and(|i| i.same);
        let (stamp, same) = match self.last_stamp {
            Some(last) if twin => (last, true),
            _ => (self.clock, false),
        };
        self.last_stamp = Some(stamp);
        let shown = step.map_or(stamp, |s| s.shown(stamp));
        let text = self.channels[which].pop();
        self.line.clear();
        self.records
            .stdio(&mut self.line, shown, which == STDERR, text);
        sink.write(&self.line)?;
        if !same {
            // Now and then two lines are stamped in the same µs.
            let cost = if self.rng.below(1500) == 0 {
                0
            } else {
                self.rng.between(40, 75) * self.slowdown()
            };
            self.clock += cost;
        }
        Ok(())
    }
}
