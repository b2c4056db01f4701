#!/usr/bin/env bash
# Times `logweave --print` over the same bytes spread across 100, 1,000 and
# 10,000 files, against `cat` and `sort -m`, with /usr/bin/time for wall time
# and peak RSS; the 10,000-file set also runs under `ulimit -n 1024`, where the
# descriptor pool closes and reopens files. Prints a Markdown table.
#
#   scripts/many-sources-bench.sh              # 100MB spread over 100/1000/10000 files
#   SIZE=50MB COUNTS="100 1000" scripts/many-sources-bench.sh
#
# The worker log of a generated attempt is dealt out record by record (a
# record keeps its continuation lines) round-robin, so every file is sorted
# and every file's records interleave with every other's: the merge has to
# do real work at every step. Data goes to $BENCH_DATA (default ./bench-data).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${SIZE:-100MB}
COUNTS=${COUNTS:-"100 1000 10000"}
RUNS=${RUNS:-3}
DATA=${BENCH_DATA:-bench-data}
BIN=target/release/logweave

cargo build --release --quiet
mkdir -p "$DATA"
source scripts/bench-data.sh
ulimit -n "$(ulimit -Hn)"

deal() {
    local from=$1 count=$2 out=$3
    if [[ -f "$out/.complete" ]]; then return; fi
    rm -rf "$out"
    mkdir -p "$out"
    python3 - "$from" "$count" "$out" <<'EOF'
import sys
src, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
files = [open(f"{out}/f{i:05d}.log", "wb", buffering=64 * 1024) for i in range(count)]
n = -1
with open(src, "rb") as f:
    for line in f:
        if line.startswith(b"["):
            n += 1
        files[max(n, 0) % count].write(line)
for f in files:
    f.close()
EOF
    touch "$out/.complete"
}

set_dir=$(bench_set text "$SIZE")
echo "| files | command | wall (s) | peak RSS (MB) |"
echo "|---:|---|---:|---:|"
for count in $COUNTS; do
    dir="$DATA/many-$SIZE-$count"
    deal "$set_dir/attempt=1.log" "$count" "$dir"
    cat "$dir"/*.log > /dev/null # page cache
    row() {
        local name=$1
        shift
        read -r wall kib <<< "$(measure "$@")"
        printf '| %s | %s | %s | %.1f |\n' "$count" "$name" "$wall" "$(echo "$kib / 1024" | bc -l)"
    }
    row "cat" sh -c 'cat "$0"/*.log' "$dir"
    row "LC_ALL=C sort -m -s -k1,1" sh -c 'LC_ALL=C exec sort -m -s -k1,1 "$0"/*.log' "$dir"
    row "logweave --print" "$BIN" --print "$dir"
    row "logweave --print --threads 1" "$BIN" --print --threads 1 "$dir"
    if (( count > 1024 )); then
        row "logweave --print, ulimit -n 1024" sh -c 'ulimit -n 1024 && exec "$0" --print "$1"' "$BIN" "$dir"
    fi
done
