//! A record's message and its masked words: what a template is made of.
//!
//! The message is a JSON line's `event` (Airflow 3; else `message` or
//! `msg`), or a text line after its timestamp; only its first line counts
//! (an Airflow 3 warning's event spans lines, a traceback follows its
//! line). Its words are split at whitespace and each *masked*: a run of
//! letters and digits that holds a digit (numbers, times, durations, ids,
//! UUIDs, a path's numbered parts) or is 8 or more hex letters (a hash)
//! becomes `#`, and `#` runs joined by `. : - + , _` are one `#`
//! (`2026-12-07T04:07:38.379302+00:00`, `0.588s` and a UUID are each `#`).

use std::ops::Range;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use xxhash_rust::xxh3::xxh3_64;

use crate::record::format::TsFormat;

/// Words of a message past this are not looked at: a template is its
/// first 32 words.
pub const MAX_WORDS: usize = 32;

/// A message's masked words, as hashes; reused from record to record.
#[derive(Default)]
pub struct Words {
    pub hashes: Vec<u64>,
    masked: Vec<u8>,
}

impl Words {
    /// Splits and masks `message` (its first line), replacing what was there.
    pub fn read(&mut self, message: &[u8]) {
        self.hashes.clear();
        for word in message
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty())
            .take(MAX_WORDS)
        {
            mask_into(word, &mut self.masked);
            self.hashes.push(xxh3_64(&self.masked));
        }
    }
}

/// The masked text of a message's first [`MAX_WORDS`] words, one space
/// between them: how a template is shown.
pub fn masked_text(message: &[u8]) -> String {
    let mut out = String::new();
    let mut masked = Vec::new();
    for word in message
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .take(MAX_WORDS)
    {
        mask_into(word, &mut masked);
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&String::from_utf8_lossy(&masked));
    }
    out
}

/// `word` masked into `out` (cleared first).
fn mask_into(word: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut i = 0;
    while i < word.len() {
        if !word[i].is_ascii_alphanumeric() {
            out.push(word[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < word.len() && word[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let run = &word[start..i];
        if !varies(run) {
            out.extend_from_slice(run);
            continue;
        }
        // `#` joined to the `#` before it by one separator is that `#`.
        let n = out.len();
        if n >= 2 && out[n - 2] == b'#' && b".:-+,_".contains(&out[n - 1]) {
            out.pop();
        } else {
            out.push(b'#');
        }
    }
}

/// A run of letters and digits that differs from record to record.
fn varies(run: &[u8]) -> bool {
    run.iter().any(u8::is_ascii_digit) || (run.len() >= 8 && run.iter().all(u8::is_ascii_hexdigit))
}

/// The message of a record whose first line is `line`: JSON's `event`
/// (else `message`, `msg`; the whole line when it has none), or the text
/// after the timestamp; cut at its first line. JSON escapes are left as
/// they are (the same in every record), and `\n` ends the first line.
pub fn message<'a>(line: &'a [u8], format: Option<&TsFormat>) -> &'a [u8] {
    let text = match format {
        Some(f) if f.is_json() => json_message(line).unwrap_or(line),
        Some(f) => &line[f.prefix_len(line).min(line.len())..],
        None => line,
    };
    first_line(text)
}

fn first_line(text: &[u8]) -> &[u8] {
    let escaped = memchr::memmem::find(text, b"\\n").unwrap_or(text.len());
    let newline = memchr::memchr(b'\n', text).unwrap_or(text.len());
    &text[..escaped.min(newline)]
}

/// The raw string of the first of `event`, `message`, `msg` at the top of
/// a JSON object, without its quotes. Stops reading at that member: the
/// rest (an `error_detail` of many frames) is never parsed.
fn json_message(line: &[u8]) -> Option<&[u8]> {
    let mut found: Option<Range<usize>> = None;
    let mut de = serde_json::Deserializer::from_slice(line);
    // Ends in an error once the member is found (the object is left
    // unfinished on purpose); what counts is `found`.
    let _ = de::Deserializer::deserialize_map(
        &mut de,
        MessageVisitor {
            line,
            found: &mut found,
        },
    );
    found.map(|r| &line[r])
}

struct MessageVisitor<'a, 'f> {
    line: &'a [u8],
    found: &'f mut Option<Range<usize>>,
}

impl<'de> Visitor<'de> for MessageVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<&'de str>()? {
            if matches!(key, "event" | "message" | "msg") {
                let raw: &'de RawValue = map.next_value()?;
                let text = raw.get().as_bytes();
                if text.len() >= 2 && text[0] == b'"' {
                    // Where the raw value lies in the line.
                    let start = text.as_ptr() as usize - self.line.as_ptr() as usize;
                    *self.found = Some(start + 1..start + text.len() - 1);
                    return Err(de::Error::custom("found"));
                }
                continue;
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(message: &str) -> String {
        masked_text(message.as_bytes())
    }

    #[test]
    fn numbers_times_durations_ids_and_hashes_are_masked() {
        assert_eq!(
            masked("Processed batch 21961 in 0.588s: lease schema"),
            "Processed batch # in #: lease schema"
        );
        assert_eq!(
            masked("run manual__2026-12-07T04:07:38.379302+00:00 at 2026-12-07 04:07:38,123"),
            "run manual__# at # #"
        );
        assert_eq!(
            masked("ti 01a24eaf-910a-7b77-91b0-d3697c55da40 done"),
            "ti # done"
        );
        assert_eq!(
            masked("commit deadbeefcafe0042 and cafebabe"),
            "commit # and #"
        );
        assert_eq!(masked("took 12ms (3 retries)"), "took # (# retries)");
        // Short hex-looking words are words.
        assert_eq!(masked("added bed to cafe"), "added bed to cafe");
    }

    #[test]
    fn the_varying_parts_of_paths_are_masked_and_the_rest_kept() {
        assert_eq!(
            masked("Filling up the DagBag from /tmp/af3run/dags/logweave_real.py"),
            "Filling up the DagBag from /tmp/#/dags/logweave_real.py"
        );
        assert_eq!(
            masked("wrote gs://bucket/2024/12/19/part-00042.parquet"),
            "wrote gs://bucket/#/#/#/part-#.parquet"
        );
    }

    #[test]
    fn words_past_the_cap_are_not_looked_at() {
        let long: String = (0..100).map(|i| format!("w{i} ")).collect();
        let mut words = Words::default();
        words.read(long.as_bytes());
        assert_eq!(words.hashes.len(), MAX_WORDS);
        assert_eq!(
            words
                .hashes
                .iter()
                .collect::<std::collections::HashSet<_>>()
                .len(),
            1
        );
    }

    #[test]
    fn a_json_lines_message_is_its_event_up_to_its_first_line() {
        let json = TsFormat::airflow_json();
        let line = br#"{"timestamp":"2026-12-07T04:07:52.339421Z","level":"warning","event":"batch 7 warning:\n  detail 0: x","logger":"task","error_detail":[{"frames":[]}]}"#;
        assert_eq!(message(line, Some(&json)), b"batch 7 warning:");
        // No event: `message`, else the whole line.
        let line = br#"{"timestamp":"2026-12-07T04:07:52Z","message":"hello \"you\""}"#;
        assert_eq!(message(line, Some(&json)), br#"hello \"you\""#);
        let line = br#"{"timestamp":"2026-12-07T04:07:52Z","n":1}"#;
        assert_eq!(message(line, Some(&json)), &line[..]);
        // Not JSON after all: the line.
        assert_eq!(message(b"{broken", Some(&json)), b"{broken");
    }

    #[test]
    fn a_text_lines_message_is_what_follows_its_timestamp() {
        let iso = TsFormat::iso();
        assert_eq!(
            message(b"2024-12-19T10:15:02.123Z INFO start 3", Some(&iso)),
            b" INFO start 3"
        );
        let airflow = TsFormat::airflow_text();
        let line = b"[2024-12-19T10:15:02.123+0000] {taskinstance.py:1234} INFO - go";
        assert_eq!(
            masked_text(message(line, Some(&airflow))),
            "{taskinstance.py:#} INFO - go"
        );
    }
}
