#!/usr/bin/env bash
# Times whole runs of `logweave --print` against `cat` and `sort -m` on the
# same generated Airflow attempts, with /usr/bin/time for wall time and peak
# RSS. Prints a Markdown table (paste it into BENCHMARKS.md).
#
#   scripts/bench.sh                 # 50MB and 830MB text sets
#   SIZES="50MB" scripts/bench.sh    # just one size
#   FORMATS="text json" scripts/bench.sh
#
# Data goes to $BENCH_DATA (default ./bench-data, git-ignored) and is reused.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"50MB 830MB"}
FORMATS=${FORMATS:-"text"}
RUNS=${RUNS:-3}
DATA=${BENCH_DATA:-bench-data}
BIN=target/release/logweave

cargo build --release --quiet
mkdir -p "$DATA"
source scripts/bench-data.sh

echo "| set | command | wall (s) | peak RSS (MB) |"
echo "|---|---|---:|---:|"
for format in $FORMATS; do
    for size in $SIZES; do
        dir=$(bench_set "$format" "$size")
        files=("$dir/attempt=1.log" "$dir/attempt=1.log.trigger.42.log" "$dir/remote/attempt=1.log")
        row() {
            local name=$1
            shift
            read -r wall kib <<< "$(measure "$@")"
            printf '| %s %s | %s | %s | %.1f |\n' "$format" "$size" "$name" "$wall" "$(echo "$kib / 1024" | bc -l)"
        }
        row "cat" cat "${files[@]}"
        row "LC_ALL=C sort -m -s -k1,1" env LC_ALL=C sort -m -s -k1,1 "${files[@]}"
        row "logweave --print" "$BIN" --print "${files[@]}"
        row "logweave --print --threads 1" "$BIN" --print --threads 1 "${files[@]}"
        row "logweave --print --no-dedup" "$BIN" --print --no-dedup "${files[@]}"
        row "LC_ALL=C grep -c $NEEDLE" env LC_ALL=C grep -c "$NEEDLE" "${files[@]}"
        row "logweave --print --grep $NEEDLE" "$BIN" --print --grep "$NEEDLE" "${files[@]}"
        row "logweave --print --grep 'needle-[0-9a-f]{4}x'" "$BIN" --print --grep 'needle-[0-9a-f]{4}x' "${files[@]}"
        row "logweave --print --grep INFO" "$BIN" --print --grep INFO "${files[@]}"
    done
done
