//! Invariant: see `logweave::invariants::timestamps`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logweave::invariants::timestamps(data));
