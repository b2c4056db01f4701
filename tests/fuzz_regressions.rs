//! The fuzz targets' invariants (`logweave::invariants`) on stable, over
//! every input kept in `fuzz/regressions/<target>/` — crashes the fuzzers
//! found and inputs worth keeping — plus a few hand-written hard cases. CI
//! needs no nightly for these; `scripts/fuzz.sh` runs the fuzzers.

use std::path::PathBuf;

use logweave::invariants;

/// Hard cases every target sees besides its own regressions.
fn seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"\n".to_vec(),
        b"\r\n\r\n".to_vec(),
        b"no newline at the end".to_vec(),
        b"2024-12-20T10:00:00.123Z INFO a\n  continued\r\n2024-12-20T09:00:00Z back\n".to_vec(),
        b"[2024-12-20T10:00:00.123+0000] {x.py:1} INFO - \x1b[31mred\x1b[0m \x1b]52;c;aGk=\x07 \x1bP1$r\x1b\\\n".to_vec(),
        "bidi \u{202e}evil\u{202c} \u{2066}iso\u{2069} wide 日本語 combining e\u{301}\n".as_bytes().to_vec(),
        b"\x00\xff\xfe nul and invalid utf-8\x9b\x85\n".to_vec(),
        br#"{"timestamp":"2024-12-20T10:00:00Z","level":"error","event":"boom\u001b[2J","error_detail":[{"exc_type":"E","exc_value":"\u202e","frames":[{"filename":"a\u0007","lineno":1,"name":"f"}]}]}"#.to_vec(),
        b"bytes 0-0/12345".to_vec(),
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage".to_vec(),
        b"\x28\xb5\x2f\xfdgarbage".to_vec(),
    ];
    // A gzip member that decompresses to more than the spool's cap.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &vec![b'x'; 20_000_000]).expect("gzip");
    seeds.push(gz.finish().expect("gzip"));
    seeds
}

/// The seeds and the files in `fuzz/regressions/<target>/`.
fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let mut inputs: Vec<(String, Vec<u8>)> = seeds()
        .into_iter()
        .enumerate()
        .map(|(i, seed)| (format!("seed {i}"), seed))
        .collect();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file() {
                let data = std::fs::read(&path).expect("a regression input");
                inputs.push((path.display().to_string(), data));
            }
        }
    }
    inputs
}

fn check(target: &str, invariant: fn(&[u8])) {
    for (name, data) in inputs(target) {
        let outcome = std::panic::catch_unwind(|| invariant(&data));
        assert!(outcome.is_ok(), "{target}: {name} breaks the invariant");
    }
}

#[test]
fn lines() {
    check("lines", invariants::lines);
}

#[test]
fn timestamps() {
    check("timestamps", invariants::timestamps);
}

#[test]
fn records() {
    check("records", invariants::records);
}

#[test]
fn terminal() {
    check("terminal", invariants::terminal);
}

#[test]
fn decompress() {
    check("decompress", invariants::decompress);
}

#[test]
fn content_range() {
    check("content_range", invariants::content_range);
}
