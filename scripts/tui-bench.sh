#!/usr/bin/env bash
# Times the viewer as a user meets it: the release binary in a pseudo-terminal
# (tests/tui_bench.rs), on generated 50 MB and 830 MB attempts. Prints a
# Markdown table for BENCHMARKS.md. Data is shared with scripts/bench.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"50MB 830MB"}
DATA=${BENCH_DATA:-bench-data}
cargo build --release --quiet
mkdir -p "$DATA"
echo "| set | first screen (ms) | G (ms) | : jump (ms, mean of 10) | PgDn (ms, mean of 1,000) | peak RSS (MB) |"
echo "|---|---:|---:|---:|---:|---:|"
for size in $SIZES; do
    dir="$DATA/text-$size"
    if [[ ! -f "$dir/attempt=1.log" ]]; then
        target/release/logweave gen --out "$dir" --size "$size" 2> /dev/null
    fi
    cat "$dir"/*.log "$dir"/remote/*.log > /dev/null
    line=$(LOGWEAVE_BENCH_SET="$dir" cargo test --release --quiet --test tui_bench -- --ignored --nocapture 2>/dev/null | grep '^BENCH')
    eval "$(echo "${line#BENCH }" | tr ' ' '\n' | sed 's/^/local_/')"
    printf '| text %s | %s | %s | %s | %s | %s |\n' "$size" "$local_first_screen_ms" "$local_G_ms" "$local_jump_ms" "$local_pgdn_ms" "$local_peak_rss_mb"
done
