#!/usr/bin/env bash
# Remote sources as a user meets them (BENCHMARKS.md, "Remote sources").
#
# 1. The viewer (tests/remote_bench.rs, in a pty): first screen, `G` and a
#    search that finds nothing in an ~834 MB object from the Range HTTP
#    server and from moto's S3 server (LOGWEAVE_BENCH_NO_S3=1: not moto).
# 2. Reading whole objects (`--print`, and `--print --grep` of a pattern
#    found nowhere) against `curl` of the same URLs, from the Range HTTP
#    server as is and slowed down like a bucket in another building
#    (LATENCY_MS before each answer's first byte, RATE_MB_S per connection):
#    one object, and the attempt's three objects at once.
#
# Prints Markdown table rows. Needs /usr/bin/time and curl. SKIP_VIEWER=1 or
# SKIP_TABLES=1 leaves out part 1 or 2.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-1380MB}   # the attempt's main log is ~60 % of the set: ~834 MB
DATA=${BENCH_DATA:-bench-data}
LATENCY_MS=${LATENCY_MS:-50}
RATE_MB_S=${RATE_MB_S:-100}
cargo build --release --quiet
dir="$DATA/remote-$SIZE"
if [ ! -f "$dir/attempt=1.log" ]; then
    ./target/release/logweave gen --out "$dir" --size "$SIZE" 2>/dev/null
fi
python=target/test-venv/bin/python
[ -x "$python" ] || python=python3

if [ "${SKIP_VIEWER:-}" != 1 ]; then
    LOGWEAVE_BENCH_OBJECT="$dir/attempt=1.log" \
        cargo test --release --quiet --test remote_bench -- --ignored --nocapture 2>/dev/null | grep '^BENCH'
fi

[ "${SKIP_TABLES:-}" = 1 ] && exit 0

servers=()
trap 'kill "${servers[@]}" 2>/dev/null' EXIT
serve() { # port latency rate
    "$python" tests/servers/range_server.py "$dir" "$1" "$2" "$3" >/dev/null 2>&1 &
    servers+=($!)
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/_stats" >/dev/null && return; sleep 0.1; done
    echo "range server on $1 did not start" >&2; exit 1
}
serve 18491 0 0
serve 18492 "$LATENCY_MS" "$RATE_MB_S"

# Best wall time (s) and its peak RSS (MB) of a command over $RUNS runs.
RUNS=${RUNS:-3}
best() {
    local best_wall=999999 best_rss=0
    for _ in $(seq "$RUNS"); do
        local report
        report=$( { /usr/bin/time -f '%e %M' "$@" >/dev/null; } 2>&1 | tail -1)
        local wall=${report% *} rss=${report#* }
        if awk "BEGIN{exit !($wall < $best_wall)}"; then best_wall=$wall best_rss=$rss; fi
    done
    printf '%s | %.1f' "$best_wall" "$(awk "BEGIN{print $best_rss/1024}")"
}
three() { # curl the three objects in parallel
    curl -sf "$1/attempt=1.log" >/dev/null & curl -sf "$1/attempt=1.log.trigger.42.log" >/dev/null &
    curl -sf "$1/remote/attempt=1.log" >/dev/null & wait
}
export -f three

echo "| server | what | command | wall (s) | peak RSS (MB) |"
echo "|---|---|---|---:|---:|"
for port in 18491 18492; do
    label="as is"
    [ "$port" = 18492 ] && label="+${LATENCY_MS} ms, ${RATE_MB_S} MB/s per connection"
    base="http://127.0.0.1:$port/files"
    one="$base/attempt=1.log"
    echo "| $label | 834 MB object | curl | $(best curl -sf "$one") |"
    echo "| $label | 834 MB object | logweave --print | $(best ./target/release/logweave --print "$one") |"
    echo "| $label | 834 MB object | logweave --print --grep 'no such text' | $(best ./target/release/logweave --print --grep 'no such text' "$one") |"
    echo "| $label | 3 objects, 1.38 GB | 3 × curl in parallel | $(best bash -c "three $base") |"
    echo "| $label | 3 objects, 1.38 GB | logweave --print | $(best ./target/release/logweave --print "$one" "$base/attempt=1.log.trigger.42.log" "$base/remote/attempt=1.log") |"
done
