#!/usr/bin/env bash
# Times the viewer as a user meets it: the release binary in a pseudo-terminal
# (tests/tui_bench.rs), on generated 50 MB and 830 MB attempts. Prints a
# Markdown table for BENCHMARKS.md. Data is shared with scripts/bench.sh.
#
#   FORMATS="text json" scripts/tui-bench.sh   # json: Airflow 3's disorder
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"50MB 830MB"}
FORMATS=${FORMATS:-"text"}
DATA=${BENCH_DATA:-bench-data}
cargo build --release --quiet
mkdir -p "$DATA"
source scripts/bench-data.sh
echo "| set | first screen (ms) | G (ms) | : jump (ms, mean of 10) | PgDn (ms, mean of 1,000) | peak RSS (MB) | /literal (ms) | /regex (ms) | /not found (ms) | /INFO count done (s) | peak RSS after searches (MB) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for format in $FORMATS; do
for size in $SIZES; do
    dir=$(bench_set "$format" "$size")
    line=$(LOGWEAVE_BENCH_SET="$dir" LOGWEAVE_BENCH_NEEDLE="$NEEDLE" \
        cargo test --release --quiet --test tui_bench -- --ignored --nocapture 2>/dev/null | grep '^BENCH')
    eval "$(echo "${line#BENCH }" | tr ' ' '\n' | sed 's/^/local_/')"
    printf '| %s %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$format" "$size" "$local_first_screen_ms" "$local_G_ms" \
        "$local_jump_ms" "$local_pgdn_ms" "$local_peak_rss_mb" "$local_literal_ms" "$local_regex_ms" \
        "$local_not_found_ms" "$local_count_s" "$local_search_rss_mb"
done
done
