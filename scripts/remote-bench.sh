#!/usr/bin/env bash
# Remote sources as a user meets them: one generated attempt log (~830 MB by
# default) put into the local S3-compatible server (moto, from the test venv)
# and opened as s3://… by the release binary (tests/remote_bench.rs). Prints a
# Markdown table row for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-1380MB}   # the attempt's main log is ~60 % of the set: ~830 MB
DATA=${BENCH_DATA:-bench-data}
cargo build --release --quiet
dir="$DATA/remote-$SIZE"
if [ ! -f "$dir/attempt=1.log" ]; then
    ./target/release/logweave gen --out "$dir" --size "$SIZE" 2>/dev/null
fi
LOGWEAVE_BENCH_OBJECT="$dir/attempt=1.log" \
    cargo test --release --quiet --test remote_bench -- --ignored --nocapture 2>/dev/null | grep '^BENCH'
