#!/usr/bin/env bash
# Reads one log of N events from CloudWatch Logs (moto's server) and N
# documents from an Elasticsearch-compatible server (noida-db), both on
# 127.0.0.1 and installed in the test venv (tests/servers/requirements.txt),
# and prints a Markdown table for BENCHMARKS.md:
#   * the same data paged by hand: the AWS CLI's `get-log-events` (forward
#     tokens) and `curl` with `search_after`, 10,000 a page (jq between pages),
#   * `logweave … --print` (wall time, peak RSS),
#   * the viewer: ms until the first event is on screen, then the peak RSS
#     once the last one is (G, following the spool as it fills).
#
#   scripts/stores-bench.sh                   # 50,000 and 500,000 events
#   COUNTS=50000 scripts/stores-bench.sh
#
# Events are Airflow 2 text lines of ~100 bytes, one millisecond apart
# (written to $BENCH_DATA, default ./bench-data). The AWS CLI goes into
# target/bench-awscli.
set -euo pipefail
cd "$(dirname "$0")/.."

COUNTS=${COUNTS:-"50000 500000"}
RUNS=${RUNS:-1}
DATA=${BENCH_DATA:-bench-data}
BIN=$PWD/target/release/logweave
VENV=target/test-venv
AWSCLI=target/bench-awscli
MOTO_PORT=${MOTO_PORT:-18500}
ES_PORT=${ES_PORT:-18501}

cargo build --release --quiet
mkdir -p "$DATA"
source scripts/bench-data.sh
if [ "$(cat "$VENV/installed.txt" 2> /dev/null)" != "$(cat tests/servers/requirements.txt)" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q -r tests/servers/requirements.txt
    cp tests/servers/requirements.txt "$VENV/installed.txt"
fi
if [ "$(cat "$AWSCLI/installed.txt" 2> /dev/null)" != "awscli==1.46.3" ]; then
    python3 -m venv "$AWSCLI"
    "$AWSCLI/bin/python" -m pip install -q "awscli==1.46.3"
    echo "awscli==1.46.3" > "$AWSCLI/installed.txt"
fi

noida=$("$VENV/bin/python" -c 'import os, noida_db; print(os.path.dirname(noida_db.__file__))')/noida-db
esdata=$(mktemp -d)
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" > /dev/null 2>&1 &
moto=$!
"$noida" start --only elasticsearch --elasticsearch-port "$ES_PORT" --data-dir "$esdata" > /dev/null 2>&1 &
es=$!
trap 'kill $moto $es 2> /dev/null; rm -rf "$esdata"; tmux kill-session -t stores-bench 2> /dev/null || true' EXIT
es_url=http://127.0.0.1:$ES_PORT
until curl -sf "http://127.0.0.1:$MOTO_PORT/moto-api/" > /dev/null; do sleep 0.2; done
until curl -sf "$es_url/" > /dev/null; do sleep 0.2; done

export AWS_ENDPOINT_URL=http://127.0.0.1:$MOTO_PORT AWS_ACCESS_KEY_ID=testing \
    AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_CLI=$PWD/$AWSCLI/bin/aws ES_URL=$es_url

# Every event's message, paged by the AWS CLI until the token repeats.
aws_cli_pages() {
    local group=$1 stream=$2 token="" prev out
    while :; do
        local args=(logs get-log-events --log-group-name "$group" --log-stream-name "$stream"
            --start-from-head --output json)
        [ -n "$token" ] && args+=(--next-token "$token")
        out=$("$AWS_CLI" "${args[@]}")
        jq -r '.events[].message' <<< "$out"
        prev=$token
        token=$(jq -r .nextForwardToken <<< "$out")
        [ "$token" = "$prev" ] && break
    done
}
# Every document's message for a log_id, 10,000 at a time (the most a
# search gives; noida-db's cost is per search) with search_after.
curl_pages() {
    local log_id=$1 after="" out n
    while :; do
        local body="{\"query\":{\"bool\":{\"filter\":[{\"match_phrase\":{\"log_id\":\"$log_id\"}}]}},\"sort\":[{\"offset\":\"asc\"},{\"_doc\":\"asc\"}],\"size\":10000${after:+,\"search_after\":$after}}"
        out=$(curl -s -XPOST "$ES_URL/_all/_search" -H 'Content-Type: application/json' -d "$body")
        jq -r '.hits.hits[]._source.message' <<< "$out"
        n=$(jq '.hits.hits | length' <<< "$out")
        [ "$n" -lt 10000 ] && break
        after=$(jq -c '.hits.hits[-1].sort' <<< "$out")
    done
}
export -f aws_cli_pages curl_pages

# ms until the viewer shows $2 (a regex), then its peak RSS (KiB) once it
# shows $3 after G.
viewer() {
    local command=$1 first=$2 last=$3 start pid ms
    tmux kill-session -t stores-bench 2> /dev/null || true
    start=$(date +%s%N)
    tmux new-session -d -s stores-bench -x 160 -y 40 "$command; sleep 5"
    until tmux capture-pane -p -t stores-bench | grep -Eq "$first"; do sleep 0.005; done
    ms=$((($(date +%s%N) - start) / 1000000))
    pid=$(pgrep -P "$(tmux list-panes -t stores-bench -F '#{pane_pid}')" logweave)
    tmux send-keys -t stores-bench G
    until tmux capture-pane -p -t stores-bench | grep -Eq "$last"; do
        sleep 0.2
        tmux send-keys -t stores-bench G
    done
    echo "$ms $(awk '/VmHWM/ {print $2}' "/proc/$pid/status")"
    tmux send-keys -t stores-bench q
}

echo "| events | command | wall (s) | peak RSS (MB) |"
echo "|---:|---|---:|---:|"
for n in $COUNTS; do
    file=$DATA/events-$n.log
    if [ ! -f "$file" ]; then
        awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) {
            s = int(i / 1000); printf "[2026-12-07T%02d:%02d:%02d.%03d+0000] {bench.py:%d} INFO - event %d of the benchmark stream, some payload to make it about 100 bytes\n", int(s / 3600) % 24, int(s / 60) % 60, s % 60, i % 1000, i % 500, i } }' > "$file.part"
        mv "$file.part" "$file"
    fi
    "$VENV/bin/python" tests/servers/cloudwatch_put.py bench-Task "stream-$n" "$file"
    "$VENV/bin/python" tests/servers/search_put.py "$es_url" bench-logs "bench-$n" "$file" 1
    row() {
        local name=$1
        shift
        read -r wall kib <<< "$(measure "$@")"
        printf '| %s | %s | %s | %.1f |\n' "$n" "$name" "$wall" "$(echo "$kib / 1024" | bc -l)"
    }
    last=$((n - 1))
    row "AWS CLI get-log-events, paged" bash -c "aws_cli_pages bench-Task stream-$n"
    row "logweave cloudwatch:// --print" "$BIN" --print "cloudwatch://bench-Task/stream-$n"
    read -r ms kib <<< "$(viewer "$BIN cloudwatch://bench-Task/stream-$n" 'event 0 of' "event $last of")"
    printf '| %s | viewer: first screen %s ms; peak RSS at the end | | %.1f |\n' "$n" "$ms" "$(echo "$kib / 1024" | bc -l)"
    row "curl _search, search_after, paged" bash -c "curl_pages bench-$n"
    es_args=(airflow --base-log-folder "$DATA/none" --dag x --run x --task x --try 1
        --elasticsearch "$es_url" --log-id-template "bench-$n")
    row "logweave airflow --elasticsearch --print" "$BIN" "${es_args[@]}" --print
    read -r ms kib <<< "$(viewer "$BIN ${es_args[*]}" 'event 0 of' "event $last of")"
    printf '| %s | viewer: first screen %s ms; peak RSS at the end | | %.1f |\n' "$n" "$ms" "$(echo "$kib / 1024" | bc -l)"
done
