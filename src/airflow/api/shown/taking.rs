//! One answer taken record by record as it streams: what it holds is
//! decided as each record comes, with memory bounded by the window of
//! shown records (not by the answer), and the reconciler changes only once
//! the answer is known to be whole ([`Taking::finish`]).

use std::collections::{HashMap, VecDeque};
use std::io::{self, Write};

use super::{hash, is_half_line, position, AskEarlier, Head, Reconciler, Request};

/// Records at the start of an answer looked at for the end of Airflow's
/// `Log message source details` group.
const HEADER_WITHIN: usize = 1000;

/// An answer being taken: [`Taking::record`] for each of its records in
/// the server's order, then [`Taking::finish`].
pub struct Taking<'r> {
    reconciler: &'r mut Reconciler,
    request: Request,
    live: bool,
    /// Records before this position (of the server's merge) were shown.
    zone: u64,
    header: Header,
    /// The answer opened with the source details.
    header_taken: bool,
    /// Records of the merge in the answer so far (the header not counted).
    answered: u64,
    /// Records near the end found shown before, by their bytes' hash: as
    /// many as the window holds of each, no more. Only hashes the window
    /// holds are counted, so this is bounded by the window.
    used: HashMap<u128, u32>,
    /// Records accounted for as shown before.
    matched: u64,
    /// Whole records (shown before or new), half-lines not counted.
    whole: u64,
    /// The hashes of the new records, the last window's worth (those the
    /// window keeps once they are pushed).
    new: VecDeque<u128>,
    /// Where half-lines were held back, those still near the end.
    held: VecDeque<u64>,
}

/// Whether the first records of an answer are Airflow's source details.
enum Header {
    /// Not from the start: the answer has none.
    None,
    /// From the start: the first records, kept until the group's end shows
    /// (or [`HEADER_WITHIN`] records did not bring it).
    Deciding(Vec<String>),
    /// Decided: the group's records were taken.
    Decided,
}

fn event(record: &str) -> Option<String> {
    serde_json::from_str::<Head>(record)
        .ok()
        .and_then(|h| h.event.map(|e| e.into_owned()))
}

impl<'r> Taking<'r> {
    pub(super) fn new(reconciler: &'r mut Reconciler, request: &Request, live: bool) -> Self {
        let from_start = request.token.is_none();
        Taking {
            zone: reconciler.settled(),
            reconciler,
            request: request.clone(),
            live,
            header: if from_start {
                Header::Deciding(Vec::new())
            } else {
                Header::None
            },
            header_taken: false,
            answered: 0,
            used: HashMap::new(),
            matched: 0,
            whole: 0,
            new: VecDeque::new(),
            held: VecDeque::new(),
        }
    }

    /// Takes the answer's next record; writes it to `out` (a line) if it
    /// was not shown before.
    pub fn record(&mut self, record: &str, out: &mut impl Write) -> io::Result<()> {
        let Header::Deciding(first) = &mut self.header else {
            return self.of_the_merge(record, out);
        };
        let event = event(record);
        let opens = first.is_empty()
            && event
                .as_deref()
                .is_some_and(|e| e.starts_with("::group::Log message source details"));
        if !opens && first.is_empty() {
            self.header = Header::Decided;
            return self.of_the_merge(record, out);
        }
        first.push(record.to_string());
        if event.is_some_and(|e| e.starts_with("::endgroup::")) {
            let group = std::mem::take(first);
            self.header = Header::Decided;
            if !self.reconciler.header_shown {
                for line in &group {
                    push_line(out, line)?;
                }
            }
            self.header_taken = true;
        } else if first.len() >= HEADER_WITHIN {
            self.not_a_header(out)?;
        }
        Ok(())
    }

    /// Records kept as a possible header that are not one: records of the
    /// merge after all.
    fn not_a_header(&mut self, out: &mut impl Write) -> io::Result<()> {
        if let Header::Deciding(first) = std::mem::replace(&mut self.header, Header::Decided) {
            for record in &first {
                self.of_the_merge(record, out)?;
            }
        }
        Ok(())
    }

    /// A record of the server's merge, at the answer's next position.
    fn of_the_merge(&mut self, record: &str, out: &mut impl Write) -> io::Result<()> {
        let at = self.request.at + self.answered;
        self.answered += 1;
        if self.live && is_half_line(record) {
            // Only those near the end can be the line being written.
            let overlap = self.reconciler.overlap;
            while self.held.front().is_some_and(|&p| p + overlap < at) {
                self.held.pop_front();
            }
            self.held.push_back(at);
            return Ok(());
        }
        self.whole += 1;
        if at < self.zone {
            // Far enough back that nothing new sorts in there.
            self.matched += 1;
            return Ok(());
        }
        let h = hash(record);
        let in_window = self.reconciler.window.count(h);
        let used = self.used.get(&h).copied().unwrap_or(0);
        if in_window > used {
            self.used.insert(h, used + 1);
            self.matched += 1;
            return Ok(());
        }
        push_line(out, record)?;
        self.new.push_back(h);
        if self.new.len() > self.reconciler.window.capacity {
            self.new.pop_front();
        }
        Ok(())
    }

    /// The answer ended with `next` (`None`: the server says the log
    /// ended), after which `out` has what it brought. Asks to be asked again from further back, changing nothing,
    /// when records may hide before the answer's start; what was written
    /// then is not to be shown.
    pub fn finish(
        mut self,
        next: Option<String>,
        out: &mut impl Write,
    ) -> io::Result<Result<(), AskEarlier>> {
        self.not_a_header(out)?;
        let rec = &mut *self.reconciler;
        let from_start = self.request.token.is_none();
        // The merge before the answer's start holds `at` records: the ones
        // accounted for that the answer does not hold, and any others — new
        // records that sorted in there, or half-lines — are missing here.
        let missed = (self.request.at + self.matched).saturating_sub(rec.claimed);
        if missed > 0 && !from_start {
            return Ok(Err(AskEarlier));
        }
        rec.header_shown |= self.header_taken;
        let next_at = next.as_deref().and_then(position);
        let new_end = next_at.unwrap_or(self.request.at + self.answered);
        // Only a half-line near the end is the line being written: one
        // further back is where a lagging copy (the worker log server's,
        // read while the local file had gone on) was cut, and its whole
        // line is in the merge already. Held back, it would drag every
        // poll's request back to it, beyond what the window recognises.
        rec.held_at = self
            .held
            .iter()
            .copied()
            .find(|&at| at + rec.overlap >= new_end);
        for h in self.new {
            rec.window.push(h);
        }
        rec.claimed = (rec.claimed.saturating_sub(self.matched) + self.whole)
            .min(self.request.at + self.answered);
        rec.end = new_end;
        if let (Some(token), Some(at)) = (next, next_at) {
            rec.keep_token(at, token);
        }
        Ok(Ok(()))
    }
}

fn push_line(out: &mut impl Write, record: &str) -> io::Result<()> {
    out.write_all(record.as_bytes())?;
    out.write_all(b"\n")
}
