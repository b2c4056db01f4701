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
# Prints Markdown table rows: medians of RUNS runs (default 3) of wall time,
# CPU time (user + system) and peak RSS. Needs /usr/bin/time
# and curl. SKIP_VIEWER=1 or SKIP_TABLES=1 leaves out part 1 or 2.
#
#   SET=DIR         serve this set (a `logweave gen` folder, e.g. the shared
#                   /work/data/bench/text-830MB) instead of generating one
#   JSON_SET=DIR    also print the worker log of this Airflow 3 JSON set
#                   (`logweave gen --format json`, disordered)
#   BASE=BINARY     also time this build (e.g. main's), right after this tree's
#                   on each row
#   S3=1            also from moto's S3 server (the test venv's): the set's
#                   remote slice (~120 MB: moto reads the whole object for
#                   every ranged GET), alone and merged with the served log
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-1380MB}   # the attempt's main log is ~60 % of the set: ~834 MB
DATA=${BENCH_DATA:-bench-data}
LATENCY_MS=${LATENCY_MS:-50}
RATE_MB_S=${RATE_MB_S:-100}
cargo build --release --quiet
dir=${SET:-$DATA/remote-$SIZE}
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
serve() { # root port latency rate
    "$python" tests/servers/range_server.py "$1" "$2" "$3" "$4" >/dev/null 2>&1 &
    servers+=($!)
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$2/_stats" >/dev/null && return; sleep 0.1; done
    echo "range server on $2 did not start" >&2; exit 1
}
serve "$dir" 18491 0 0
serve "$dir" 18492 "$LATENCY_MS" "$RATE_MB_S"
[ -n "${JSON_SET:-}" ] && serve "$JSON_SET" 18493 0 0

RUNS=${RUNS:-3}
BIN=./target/release/logweave
# Medians over $RUNS runs of a command's wall time (s), CPU time (s, user +
# system) and peak RSS (MB), each column on its own.
median() {
    local runs=() m=$(((RUNS + 1) / 2))
    for _ in $(seq "$RUNS"); do
        runs+=("$( { /usr/bin/time -f '%e %U %S %M' "$@" >/dev/null; } 2>&1 | tail -1 |
            awk '{print $1, $2 + $3, $4 / 1024}')")
    done
    column() { printf '%s\n' "${runs[@]}" | awk -v f="$1" '{print $f}' | sort -n | sed -n "${m}p"; }
    printf '%s | %.2f | %.1f' "$(column 1)" "$(column 2)" "$(column 3)"
}
three() { # curl the three objects in parallel
    curl -sf "$1/attempt=1.log" >/dev/null & curl -sf "$1/attempt=1.log.trigger.42.log" >/dev/null &
    curl -sf "$1/remote/attempt=1.log" >/dev/null & wait
}
export -f three
# A row per binary: this tree's, and BASE's when given.
logweave_rows() { # label what args...
    local label=$1 what=$2
    shift 2
    echo "| $label | $what | logweave $* | $(median "$BIN" "$@") |"
    if [ -n "${BASE:-}" ]; then
        echo "| $label | $what | BASE $* | $(median "$BASE" "$@") |"
    fi
}
mb() { echo "$(( $(stat -c %s "$1") / 1000000 )) MB"; }

echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min), $(nproc) cores, $(date -u +%FT%TZ)"
echo
echo "| server | what | command | wall (s) | CPU (s) | peak RSS (MB) |"
echo "|---|---|---|---:|---:|---:|"
worker="$(mb "$dir/attempt=1.log") object"
for port in 18491 18492; do
    label="as is"
    [ "$port" = 18492 ] && label="+${LATENCY_MS} ms, ${RATE_MB_S} MB/s per connection"
    base="http://127.0.0.1:$port/files"
    one="$base/attempt=1.log"
    echo "| $label | $worker | curl | $(median curl -sf "$one") |"
    logweave_rows "$label" "$worker" --print "$one"
    logweave_rows "$label" "$worker" --print --grep 'no such text' "$one"
    logweave_rows "$label" "worker log + its remote copy" --print "$one" "$base/remote/attempt=1.log"
    echo "| $label | 3 objects | 3 × curl in parallel | $(median bash -c "three $base") |"
    logweave_rows "$label" "3 objects" --print "$one" "$base/attempt=1.log.trigger.42.log" "$base/remote/attempt=1.log"
done
if [ -n "${JSON_SET:-}" ]; then
    one="http://127.0.0.1:18493/files/attempt=1.log"
    what="Airflow 3 JSON, $(mb "$JSON_SET/attempt=1.log")"
    echo "| as is | $what | curl | $(median curl -sf "$one") |"
    logweave_rows "as is" "$what" --print "$one"
fi
if [ "${S3:-}" = 1 ]; then
    port=18494
    "$(dirname "$python")/moto_server" -H 127.0.0.1 -p $port >/dev/null 2>&1 &
    servers+=($!)
    until curl -sf "http://127.0.0.1:$port/moto-api/" >/dev/null; do sleep 0.2; done
    export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=testing \
        AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
    "$python" tests/servers/s3_put.py bench "attempt=1.log::$dir/remote/attempt=1.log"
    what="moto S3, $(mb "$dir/remote/attempt=1.log") remote slice"
    logweave_rows "as is" "$what" --print s3://bench/attempt=1.log
    logweave_rows "as is" "$what + served worker log" --print http://127.0.0.1:18491/files/attempt=1.log s3://bench/attempt=1.log
fi
