//! Invariant: see `logweave::invariants::lines`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logweave::invariants::lines(data));
