//! What two copies of a record have in common: their content hash.
//!
//! Lines are hashed as shown (CR of CRLF dropped, a last line without its
//! newline given one), so CRLF and LF copies hash alike. A JSON line hashes
//! its top-level members in any order: Airflow's API answers a task's
//! records with their fields in another order than its file (`event`
//! second), and that copy must still be known for one.

use std::io;

use xxhash_rust::xxh3::{xxh3_128, Xxh3};

use crate::record::RecordReader;

/// Hash of the record bytes `[from, end)` of `reader`'s source, as
/// described above; `json` for a source of JSON lines. `scratch` holds a
/// JSON record's bytes (records over 1 MiB are never compared).
pub fn content_hash(
    reader: &mut RecordReader,
    from: u64,
    end: u64,
    crlf: bool,
    json: bool,
    scratch: &mut Vec<u8>,
) -> io::Result<u128> {
    if json {
        scratch.clear();
        reader
            .file()
            .for_each_line_piece(from, end, |piece, last| {
                scratch.extend_from_slice(piece);
                if last {
                    scratch.push(b'\n');
                }
                Ok(())
            })?;
        let mut hasher = Xxh3::new();
        for line in scratch.split_inclusive(|&b| b == b'\n') {
            let text = line.strip_suffix(b"\n").unwrap_or(line);
            match members_hash(text) {
                Some(hash) => hasher.update(&hash.to_le_bytes()),
                None => hasher.update(text),
            }
            hasher.update(b"\n");
        }
        return Ok(hasher.digest128());
    }
    let mut hasher = Xxh3::new();
    if crlf {
        reader
            .file()
            .for_each_line_piece(from, end, |piece, last| {
                hasher.update(piece);
                if last {
                    hasher.update(b"\n");
                }
                Ok(())
            })?;
    } else {
        let mut last = None;
        reader.lines().for_each_chunk(from, end, |chunk| {
            hasher.update(chunk);
            last = chunk.last().copied().or(last);
            Ok(())
        })?;
        if last != Some(b'\n') {
            hasher.update(b"\n");
        }
    }
    Ok(hasher.digest128())
}

/// An order-free hash of a JSON object's top-level members (each `key` and
/// raw `value` hashed, the hashes added), or `None` if `line` is not one
/// object.
fn members_hash(line: &[u8]) -> Option<u128> {
    let mut i = skip_space(line, 0);
    if line.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_space(line, i + 1);
    let mut sum: u128 = 0x9e37_79b9_7f4a_7c15;
    // One buffer for every member: this runs for each record a copy may
    // share, an allocation each was a tenth of a JSON print.
    let mut member = Vec::with_capacity(256);
    if line.get(i) == Some(&b'}') {
        return (skip_space(line, i + 1) == line.len()).then_some(sum);
    }
    loop {
        let key_end = string_end(line, i)?;
        let key = &line[i..key_end];
        i = skip_space(line, key_end);
        if line.get(i) != Some(&b':') {
            return None;
        }
        i = skip_space(line, i + 1);
        let value_end = value_end(line, i)?;
        let value = &line[i..value_end];
        member.clear();
        member.extend_from_slice(key);
        member.push(0);
        member.extend_from_slice(value);
        sum = sum.wrapping_add(xxh3_128(&member));
        i = skip_space(line, value_end);
        match line.get(i) {
            Some(b',') => i = skip_space(line, i + 1),
            Some(b'}') => return (skip_space(line, i + 1) == line.len()).then_some(sum),
            _ => return None,
        }
    }
}

fn skip_space(b: &[u8], mut i: usize) -> usize {
    while b
        .get(i)
        .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
    {
        i += 1;
    }
    i
}

/// The end (exclusive) of the string starting at `b[i] == '"'`.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let mut j = i + 1;
    loop {
        j += memchr::memchr2(b'"', b'\\', b.get(j..)?)?;
        if b[j] == b'"' {
            return Some(j + 1);
        }
        j += 2;
    }
}

/// The end (exclusive) of the value starting at `b[i]`: a string, an
/// object or array (nested, strings skipped), or a scalar up to `,` or `}`.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b' ' | b'\t' | b'\r' | b'\n') {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_in_any_order_hash_alike_and_values_still_count() {
        let file = br#"{"timestamp":"2026-12-07T04:08:00.896683Z","level":"info","event":"a, {b}","logger":"task","n":[1,{"x":"]"}]}"#;
        let api = br#"{"timestamp":"2026-12-07T04:08:00.896683Z","event":"a, {b}","level":"info","logger":"task","n":[1,{"x":"]"}]}"#;
        assert_eq!(members_hash(file), members_hash(api));
        assert!(members_hash(file).is_some());
        let other = br#"{"timestamp":"2026-12-07T04:08:00.896683Z","event":"a, {b}","level":"error","logger":"task","n":[1,{"x":"]"}]}"#;
        assert_ne!(members_hash(file), members_hash(other));
        // Moving text between keys is a different record.
        assert_ne!(
            members_hash(br#"{"a":"1","b":"2"}"#),
            members_hash(br#"{"a":"2","b":"1"}"#)
        );
        assert_eq!(members_hash(b"not json"), None);
        assert_eq!(members_hash(br#"{"a":1} trailing"#), None);
        assert_eq!(members_hash(br#"{"a":"unterminated}"#), None);
    }
}
