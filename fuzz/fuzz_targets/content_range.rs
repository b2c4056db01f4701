//! Invariant: see `logweave::invariants::content_range`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logweave::invariants::content_range(data));
