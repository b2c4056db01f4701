#!/usr/bin/env bash
# Follow-mode soak: the release viewer follows three files while a writer
# appends SOAK_RATE lines/s (default 10,000) for SOAK_SECONDS (default 600).
# Prints write-to-screen latency (median, p99) and RSS every 10 s.
#
# SOAK_API=1: instead, `--print -f` follows a task of the real Airflow 3
# deployment (tests/remote/airflow_run.rs) through its REST API while it
# writes SOAK_RATE records/s (default 300) for SOAK_SECONDS; RSS every 10 s,
# then the records printed against the finished try's answer.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${SOAK_API:-}" = 1 ]; then
    SOAK_SECONDS=${SOAK_SECONDS:-600} SOAK_RATE=${SOAK_RATE:-300} \
        cargo test --release --quiet --test real_airflow soak_api -- --ignored --nocapture \
        2>/dev/null | grep -E '^(SOAK|RSS)'
    exit
fi
SOAK_SECONDS=${SOAK_SECONDS:-600} SOAK_RATE=${SOAK_RATE:-10000} \
    cargo test --release --quiet --test soak -- --ignored --nocapture 2>/dev/null | grep -E '^(SOAK|RSS)'
