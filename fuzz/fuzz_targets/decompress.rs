//! Invariant: see `logweave::invariants::decompress`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logweave::invariants::decompress(data));
