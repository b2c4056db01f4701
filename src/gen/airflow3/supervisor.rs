//! Airflow 3's supervisor, simulated: the process that reads a task's
//! stdout and stderr pipes and its log socket and writes the task's file.
//!
//! It loops: wait until something is readable, then read each readable
//! channel once, [`READ`] bytes at most, and process what the read
//! completed — a stdout/stderr line is stamped with the supervisor's clock
//! as it is processed; a logging record keeps the time the task stamped it.
//! Each costs it some tens of µs. What the task writes becomes readable
//! after the supervisor's [`Backlog`], so logging records are written after
//! lines stamped later than they are, never more than the most lateness:
//! a line is not stamped while a record that much older waits.

use std::collections::VecDeque;
use std::io;

use super::super::airflow2::ClockStep;
use super::super::rng::Rng;
use super::super::Sink;
use super::records::Records;

/// Bytes the supervisor reads from a pipe or socket at a time (its
/// `BUFFER_SIZE`).
pub const READ: usize = 4096;

/// The supervisor's three channels, in the order of `Supervisor::channels`.
const STDOUT: usize = 0;
const STDERR: usize = 1;
const LOGS: usize = 2;

pub struct Supervisor {
    rng: Rng,
    most_late: i64,
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
    last_avail: i64,
}

#[derive(Clone, Copy)]
struct Item {
    /// When the supervisor can read it.
    avail: i64,
    /// A record's own time (true time); unused for lines.
    stamp: i64,
    /// Offset in the channel's stream just after it.
    end: usize,
    /// The second of a line printed twice in a row: read in the same µs.
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
            last_avail: i64::MIN,
        }
    }

    fn push(&mut self, avail: i64, stamp: i64, content: &[u8], same: bool) {
        if self.items.is_empty() {
            self.bytes.clear();
            self.base = self.head;
        }
        // A pipe or socket keeps the order things were written in.
        let avail = avail.max(self.last_avail);
        self.last_avail = avail;
        self.bytes.extend_from_slice(content);
        let end = self.base + self.bytes.len();
        self.items.push_back(Item {
            avail,
            stamp,
            end,
            same,
        });
    }

    fn front(&self) -> Option<Item> {
        self.items.front().copied()
    }

    /// Bytes of the first item (and its newline, for a line).
    fn front_len(&self) -> usize {
        self.items.front().map_or(0, |item| item.end - self.head)
    }

    /// Removes the first item and returns its content.
    fn pop(&mut self) -> (Item, &[u8]) {
        let Some(item) = self.items.pop_front() else {
            return (
                Item {
                    avail: 0,
                    stamp: 0,
                    end: self.head,
                    same: false,
                },
                &[],
            );
        };
        self.carry = 0;
        // Drop processed bytes once they are most of the buffer.
        let processed = self.head - self.base;
        if processed > 1 << 20 && processed > self.bytes.len() / 2 {
            self.bytes.drain(..processed);
            self.base = self.head;
        }
        let from = self.head - self.base;
        self.head = item.end;
        (item, &self.bytes[from..item.end - self.base])
    }
}

impl Supervisor {
    pub fn new(seed: u64, most_late: i64, start: i64) -> Self {
        Self {
            rng: Rng::new(seed ^ 0x7375_7065_7276),
            most_late: most_late.max(0),
            clock: start,
            channels: [Channel::new(), Channel::new(), Channel::new()],
            turn: None,
            last_stamp: None,
            records: Records::new(),
            line: Vec::with_capacity(64 * 1024),
        }
    }

    /// Lines the task's stdout wrote to the pipe at once, readable at `avail`.
    pub fn stdout(&mut self, avail: i64, text: &[u8], ends: &[(usize, bool)]) {
        let mut start = 0;
        for &(end, same) in ends {
            self.channels[STDOUT].push(avail, 0, &text[start..end], same);
            start = end;
        }
    }

    /// A line the task wrote to stderr, readable at `avail`.
    pub fn stderr(&mut self, avail: i64, text: &[u8]) {
        self.channels[STDERR].push(avail, 0, text, false);
    }

    /// A logging record stamped `stamp`, readable at `avail` (at most the
    /// most lateness after its stamp).
    pub fn log(&mut self, stamp: i64, avail: i64, record: &[u8]) {
        let avail = avail.min(stamp.saturating_add(self.most_late)).max(stamp);
        self.channels[LOGS].push(avail, stamp, record, false);
    }

    /// Runs the supervisor up to task time `now`: it never gets ahead of
    /// the task, whose later writes it cannot have seen.
    pub fn run(&mut self, now: i64, step: Option<&ClockStep>, sink: &mut Sink) -> io::Result<()> {
        while self.clock <= now {
            let Some((first, read, budget)) = self.turn else {
                // Wait until something is readable.
                let next = self
                    .channels
                    .iter()
                    .filter_map(|c| c.front().map(|i| i.avail))
                    .min();
                match next {
                    None => return Ok(()),
                    Some(avail) if avail > now => return Ok(()),
                    Some(avail) => self.clock = self.clock.max(avail),
                }
                self.turn = Some((self.rng.below(3) as usize, 0, READ));
                continue;
            };
            if read == 3 {
                self.turn = None;
                continue;
            }
            let which = (first + read) % 3;
            let channel = &self.channels[which];
            let readable = channel.front().is_some_and(|i| i.avail <= self.clock);
            if !readable || budget == 0 {
                self.turn = Some((first, read + 1, READ));
                continue;
            }
            let newline = usize::from(which != LOGS);
            let need = channel.front_len() + newline - channel.carry;
            if need > budget {
                // The read ends inside this item; the next one goes on.
                self.channels[which].carry += budget;
                self.turn = Some((first, read + 1, READ));
                continue;
            }
            if which != LOGS && self.write_overdue_record(sink)? {
                continue;
            }
            self.turn = Some((first, read, budget - need));
            if which == LOGS {
                self.write_record(sink)?;
            } else {
                self.write_line(which, step, sink)?;
            }
        }
        Ok(())
    }

    /// Writes everything left, as the supervisor does before the try ends.
    pub fn finish(&mut self, step: Option<&ClockStep>, sink: &mut Sink) -> io::Result<()> {
        self.run(i64::MAX, step, sink)
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

    fn write_record(&mut self, sink: &mut Sink) -> io::Result<()> {
        let (_, record) = self.channels[LOGS].pop();
        sink.write(record)?;
        self.last_stamp = None;
        self.clock += self.rng.between(20, 45);
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
        let (_, text) = self.channels[which].pop();
        self.line.clear();
        self.records
            .stdio(&mut self.line, shown, which == STDERR, text);
        sink.write(&self.line)?;
        if !same {
            // Now and then two lines are stamped in the same µs.
            self.clock += if self.rng.below(1500) == 0 {
                0
            } else {
                self.rng.between(40, 75)
            };
        }
        Ok(())
    }
}
