#!/usr/bin/env bash
# Follow-mode soak: the release viewer follows three files while a writer
# appends SOAK_RATE lines/s (default 10,000) for SOAK_SECONDS (default 600).
# Prints write-to-screen latency (median, p99) and RSS every 10 s.
set -euo pipefail
cd "$(dirname "$0")/.."
SOAK_SECONDS=${SOAK_SECONDS:-600} SOAK_RATE=${SOAK_RATE:-10000} \
    cargo test --release --quiet --test soak -- --ignored --nocapture 2>/dev/null | grep -E '^(SOAK|RSS)'
