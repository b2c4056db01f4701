//! A poll's answer read as it streams, and what it brings held on disk.
//!
//! While a try runs, every poll makes Airflow read and merge the whole log
//! again; a slow server then answers each poll with all the records logged
//! since the last one — tens of megabytes an hour into a busy task. Held
//! whole, an answer (and the new records taken from it) would make the
//! follower's memory grow with the log. So the answer's records are handed
//! on one at a time as they arrive ([`records`]), and the new ones wait in
//! a [`Spill`] — in memory while small, in an unnamed temporary file past
//! that — until the spool takes them.

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::os::unix::fs::FileExt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::ApiError;

/// Reads an answer of Airflow's JSON log form (`{"content": [record, …],
/// "continuation_token": …}`) from `body`, handing each record of its
/// content to `each` in order; returns the continuation token (`None`:
/// the log ended). An error of `each` stops the read and is returned.
pub(super) fn records(
    body: impl Read,
    mut each: impl FnMut(&str) -> io::Result<()>,
) -> Result<Option<String>, ApiError> {
    let mut failed = None;
    let mut reader = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 16, body));
    let seed = AnswerSeed {
        each: &mut each,
        failed: &mut failed,
    };
    let read = seed.deserialize(&mut reader).and_then(|token| {
        reader.end()?;
        Ok(token)
    });
    match (read, failed) {
        (_, Some(e)) => Err(ApiError::Transport(e.to_string())),
        (Ok(token), None) => Ok(token),
        (Err(e), None) if e.is_io() => Err(ApiError::Transport(e.to_string())),
        (Err(e), None) => Err(ApiError::Invalid(e.to_string())),
    }
}

struct AnswerSeed<'a, F> {
    each: &'a mut F,
    failed: &'a mut Option<io::Error>,
}

impl<'de, F: FnMut(&str) -> io::Result<()>> DeserializeSeed<'de> for AnswerSeed<'_, F> {
    type Value = Option<String>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F: FnMut(&str) -> io::Result<()>> Visitor<'de> for AnswerSeed<'_, F> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with the log's content and its continuation token")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut token = None;
        let mut content = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "content" => {
                    map.next_value_seed(ContentSeed {
                        each: &mut *self.each,
                        failed: &mut *self.failed,
                    })?;
                    content = true;
                }
                "continuation_token" => token = map.next_value::<Option<String>>()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !content {
            return Err(de::Error::missing_field("content"));
        }
        Ok(token)
    }
}

struct ContentSeed<'a, F> {
    each: &'a mut F,
    failed: &'a mut Option<io::Error>,
}

impl<'de, F: FnMut(&str) -> io::Result<()>> DeserializeSeed<'de> for ContentSeed<'_, F> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(&str) -> io::Result<()>> Visitor<'de> for ContentSeed<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the log's records as an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(record) = seq.next_element::<Box<RawValue>>()? {
            if let Err(e) = (self.each)(record.get()) {
                let message = e.to_string();
                *self.failed = Some(e);
                return Err(de::Error::custom(message));
            }
        }
        Ok(())
    }
}

/// Bytes kept in memory before a spill goes to disk: a quiet poll's new
/// records never touch the disk, a slow server's big answers do.
const IN_MEMORY: usize = 1 << 20;

/// Bytes written once and then read once, in order: in memory up to
/// [`IN_MEMORY`], the rest in an unnamed temporary file (removed when the
/// spill is dropped).
#[derive(Default)]
pub(super) struct Spill {
    head: Vec<u8>,
    file: Option<File>,
    /// Bytes in the file.
    on_disk: u64,
    /// Bytes read so far, head first.
    taken: u64,
}

impl Spill {
    /// Whether nothing was written since the last [`Spill::clear`].
    pub(super) fn is_empty(&self) -> bool {
        self.head.is_empty()
    }

    /// Whether every byte written was read.
    pub(super) fn is_drained(&self) -> bool {
        self.taken == self.head.len() as u64 + self.on_disk
    }

    /// The first bytes written (all of them while they fit in memory).
    pub(super) fn head(&self) -> &[u8] {
        &self.head
    }

    /// Forgets what was written and read; the file, if any, is reused.
    pub(super) fn clear(&mut self) {
        self.head.clear();
        if self.head.capacity() > IN_MEMORY {
            self.head.shrink_to(IN_MEMORY);
        }
        self.on_disk = 0;
        self.taken = 0;
        if let Some(file) = &self.file {
            // Space back to the disk; a failure only leaves it allocated.
            let _ = file.set_len(0);
        }
    }
}

impl Write for Spill {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.on_disk == 0 && self.head.len() + buf.len() <= IN_MEMORY {
            self.head.extend_from_slice(buf);
            return Ok(buf.len());
        }
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(tempfile::tempfile()?),
        };
        file.write_all_at(buf, self.on_disk)?;
        self.on_disk += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for Spill {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let in_head = self.head.len() as u64;
        if self.taken < in_head {
            let from = self.taken as usize;
            let n = buf.len().min(self.head.len() - from);
            buf[..n].copy_from_slice(&self.head[from..from + n]);
            self.taken += n as u64;
            return Ok(n);
        }
        let at = self.taken - in_head;
        let (Some(file), true) = (&self.file, at < self.on_disk) else {
            return Ok(0);
        };
        let want = buf.len().min((self.on_disk - at) as usize);
        let n = file.read_at(&mut buf[..want], at)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the temporary file of a poll's records was cut short",
            ));
        }
        self.taken += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_streams_its_records_in_order_and_gives_its_token() {
        let answer = br#"{"content":[{"event":"a","n":[1,2]},{"event":"b \"q\""}],"continuation_token":"tok"}"#;
        let mut seen = Vec::new();
        let token = records(&answer[..], |r| {
            seen.push(r.to_string());
            Ok(())
        })
        .unwrap();
        assert_eq!(token.as_deref(), Some("tok"));
        assert_eq!(
            seen,
            [r#"{"event":"a","n":[1,2]}"#, r#"{"event":"b \"q\""}"#]
        );
        // The token may come first, or be null: the log ended.
        let answer = br#"{"continuation_token":null,"other":{"x":1},"content":[]}"#;
        assert_eq!(records(&answer[..], |_| Ok(())).unwrap(), None);
    }

    #[test]
    fn a_broken_answer_or_a_failing_reader_is_an_error() {
        let cut = br#"{"content":[{"event":"a"},{"ev"#;
        assert!(matches!(
            records(&cut[..], |_| Ok(())),
            Err(ApiError::Invalid(_))
        ));
        let no_content = br#"{"continuation_token":"t"}"#;
        assert!(records(&no_content[..], |_| Ok(())).is_err());
        let answer = br#"{"content":[{"event":"a"},{"event":"b"}]}"#;
        let mut calls = 0;
        let failed = records(&answer[..], |_| {
            calls += 1;
            Err(io::Error::other("disk full"))
        });
        assert!(matches!(failed, Err(ApiError::Transport(m)) if m.contains("disk full")));
        assert_eq!(calls, 1, "the read stops at the first failure");
    }

    #[test]
    fn a_spill_reads_back_what_was_written_past_memory_and_after_a_clear() {
        let mut spill = Spill::default();
        let line = |i: usize| format!("{{\"n\":{i},\"pad\":\"{}\"}}\n", "x".repeat(i % 300));
        let mut written = Vec::new();
        for round in 0..2 {
            spill.clear();
            written.clear();
            for i in 0..(20_000 + round * 7) {
                let l = line(i);
                spill.write_all(l.as_bytes()).unwrap();
                written.extend_from_slice(l.as_bytes());
            }
            assert!(written.len() > 2 * IN_MEMORY, "the test spills to disk");
            assert_eq!(spill.head(), &written[..IN_MEMORY.min(spill.head().len())]);
            let mut read = Vec::new();
            let mut buf = [0u8; 7_000];
            loop {
                let n = spill.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                read.extend_from_slice(&buf[..n]);
            }
            assert!(spill.is_drained());
            assert_eq!(read, written);
        }
        spill.clear();
        assert!(spill.is_empty() && spill.is_drained());
    }
}
