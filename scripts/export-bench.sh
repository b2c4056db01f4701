#!/usr/bin/env bash
# Saving the whole merged stream from the viewer (s%, tests/export_bench.rs in
# a pty) against `logweave --print` of the same stream into a file, on
# generated 50 MB and 830 MB attempts; checks the two files are equal. Prints a
# Markdown table for BENCHMARKS.md. Data is shared with scripts/bench.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"50MB 830MB"}
DATA=${BENCH_DATA:-bench-data}
RUNS=${RUNS:-3}
OUT=${OUT:-$DATA/export-out}
cargo build --release --quiet
mkdir -p "$DATA" "$OUT"
source scripts/bench-data.sh
echo "| set | --print > file (s) | peak RSS (MB) | viewer s% (s, best of $RUNS) | viewer peak RSS (MB) | ratio | same bytes |"
echo "|---|---:|---:|---:|---:|---:|---|"
for size in $SIZES; do
    dir=$(bench_set text "$size")
    read -r print_s print_kib <<< "$(measure sh -c "target/release/logweave --print '$dir' > '$OUT/print.log'")"
    best=""
    rss=""
    for _ in $(seq "$RUNS"); do
        line=$(LOGWEAVE_BENCH_SET="$dir" LOGWEAVE_BENCH_OUT="$PWD/$OUT/export.log" \
            cargo test --release --quiet --test export_bench -- --ignored --nocapture 2>/dev/null | grep '^BENCH')
        eval "$(echo "${line#BENCH }" | tr ' ' '\n' | sed 's/^/local_/')"
        if [[ -z "$best" ]] || awk "BEGIN{exit !($local_export_s < $best)}"; then
            best=$local_export_s
            rss=$local_export_rss_mb
        fi
    done
    same=$(cmp -s "$OUT/print.log" "$OUT/export.log" && echo yes || echo NO)
    printf '| text %s | %.2f | %.1f | %.2f | %.1f | %.2f× | %s |\n' "$size" "$print_s" \
        "$(awk "BEGIN{print $print_kib/1024}")" "$best" "$rss" "$(awk "BEGIN{print $best/$print_s}")" "$same"
done
rm -f "$OUT/print.log" "$OUT/export.log"
