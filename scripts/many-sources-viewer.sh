#!/usr/bin/env bash
# The viewer over many sources: the same bytes dealt into 100, 1,000 and
# 10,000 files as scripts/many-sources-bench.sh does, opened in the viewer
# (driven through tmux); prints the seconds to the first screen, to `G`, to
# line numbers (the overview pass done) and the viewer's peak RSS, as a
# Markdown table. The issue-26 goal is at most 128 MB at 10,000 files.
#
#   scripts/many-sources-viewer.sh              # 100MB over 100/1000/10000 files
#   SIZE=20MB COUNTS=10000 scripts/many-sources-viewer.sh
#   BIN=/work/main/target/release/logweave COUNTS=10000 scripts/many-sources-viewer.sh
#   MANY=/work/data/bench/many-10000 COUNTS=10000 scripts/many-sources-viewer.sh  # a folder dealt before
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${SIZE:-100MB}
COUNTS=${COUNTS:-"100 1000 10000"}
DATA=${BENCH_DATA:-bench-data}
# BIN=path/to/logweave compares another build (no build then).
if [[ -z "${BIN:-}" ]]; then
    BIN=$PWD/target/release/logweave
    cargo build --release --quiet
fi
mkdir -p "$DATA"
source scripts/bench-data.sh
ulimit -n "$(ulimit -Hn)"

# Deals the worker log out record by record, round-robin (as
# many-sources-bench.sh does, into the same folders).
deal() {
    local from=$1 count=$2 out=$3
    if [[ -f "$out/.complete" ]]; then return; fi
    rm -rf "$out"
    mkdir -p "$out"
    python3 - "$from" "$count" "$out" <<'PY'
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
PY
    touch "$out/.complete"
}

session="logweave-many-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true' EXIT
screen() { tmux capture-pane -p -t "$session"; }
# Seconds until the screen matches $1 (extended regex).
until_screen() {
    local start
    start=$(date +%s.%N)
    until screen | grep -Eq "$1"; do sleep 0.05; done
    echo "$(date +%s.%N) - $start" | bc
}

[[ -n "${MANY:-}" ]] || set_dir=$(bench_set text "$SIZE")
echo "| files | first screen (s) | G (s) | line numbers (s) | peak RSS (MB) |"
echo "|---:|---:|---:|---:|---:|"
for count in $COUNTS; do
    dir=${MANY:-"$DATA/many-$SIZE-$count"}
    [[ -n "${MANY:-}" ]] || deal "$set_dir/attempt=1.log" "$count" "$dir"
    cat "$dir"/*.log > /dev/null # page cache
    tmux new-session -d -s "$session" -x 160 -y 40 "$BIN" "$(realpath "$dir")"
    pid=$(tmux list-panes -t "$session" -F '#{pane_pid}')
    first=$(until_screen 'help|sources =|TOP')
    start=$(date +%s.%N)
    tmux send-keys -t "$session" G
    until_screen 'END' > /dev/null
    end=$(echo "$(date +%s.%N) - $start" | bc)
    tmux send-keys -t "$session" g
    counted=$(until_screen 'line [0-9,]+')
    kib=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
    tmux send-keys -t "$session" q
    tmux kill-session -t "$session" 2>/dev/null || true
    printf '| %s | %.2f | %.2f | %.2f | %.1f |\n' "$count" "$first" "$end" "$counted" "$(echo "$kib / 1024" | bc -l)"
done
