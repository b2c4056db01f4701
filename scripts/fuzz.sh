#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets/, libFuzzer via cargo-fuzz on
# nightly) for SECONDS each (default 60) and prints a Markdown table row per
# target: executions, corpus size, findings. A crash's input is copied into
# fuzz/regressions/<target>/, where tests/fuzz_regressions.rs runs it on
# stable from then on.
#
#   rustup toolchain install nightly && cargo install cargo-fuzz
#   scripts/fuzz.sh            # or SECONDS_EACH=600 scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
each=${SECONDS_EACH:-60}
targets=$(cargo +nightly fuzz list)
cargo +nightly fuzz build -O >/dev/null 2>&1
echo "| target | seconds | executions | exec/s | corpus | findings |"
echo "|---|---:|---:|---:|---:|---|"
for target in $targets; do
    mkdir -p "corpus/$target" "regressions/$target"
    # The kept regressions seed the corpus.
    cp -n regressions/"$target"/* "corpus/$target/" 2>/dev/null || true
    log=$(mktemp)
    status=0
    cargo +nightly fuzz run -O "$target" "corpus/$target" -- \
        -max_total_time="$each" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    corpus=$(find "corpus/$target" -type f | wc -l)
    findings=none
    if [ "$status" -ne 0 ]; then
        findings="crash: $(grep -m1 -E 'panicked|ERROR: libFuzzer' "$log" | cut -c1-120)"
        for crash in artifacts/"$target"/crash-* artifacts/"$target"/oom-* artifacts/"$target"/timeout-*; do
            [ -f "$crash" ] && cp "$crash" "regressions/$target/"
        done
    fi
    echo "| $target | $each | $runs | $rate | $corpus | $findings |"
    rm -f "$log"
done
