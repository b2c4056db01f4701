//! Invariant: see `logweave::invariants::terminal`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logweave::invariants::terminal(data));
