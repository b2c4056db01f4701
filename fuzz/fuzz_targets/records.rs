//! Invariant: see `logweave::invariants::records`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logweave::invariants::records(data));
