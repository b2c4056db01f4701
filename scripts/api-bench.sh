#!/usr/bin/env bash
# Reads a task attempt's log through a real Airflow 3 API server (the one
# tests/airflow_api.rs starts: apache-airflow-core from
# tests/servers/requirements.txt, a run made by `airflow dags test`) at two
# sizes, and prints a Markdown table for BENCHMARKS.md:
#   * curl of the NDJSON endpoint (what the server can give),
#   * `logweave airflow --api … --print` (wall time, peak RSS),
#   * the viewer's first screen (ms from start, in tmux).
#
#   scripts/api-bench.sh                  # generated attempts of 90MB and 900MB
#   SIZES=90MB scripts/api-bench.sh       # (the attempt's worker log is ~60% of that)
#
# Data goes to $BENCH_DATA (default ./bench-data); the server's home to
# $BENCH_DATA/api-home, made afresh each run.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"90MB 900MB"}
RUNS=${RUNS:-1}
DATA=${BENCH_DATA:-bench-data}
BIN=$PWD/target/release/logweave
VENV=target/test-venv
PORT=${PORT:-18793}

cargo build --release --quiet
mkdir -p "$DATA"
source scripts/bench-data.sh
if [ "$(cat "$VENV/installed.txt" 2> /dev/null)" != "$(cat tests/servers/requirements.txt)" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q -r tests/servers/requirements.txt
    cp tests/servers/requirements.txt "$VENV/installed.txt"
fi

home=$PWD/$DATA/api-home
rm -rf "$home"
mkdir -p "$home/dags" "$home/logs"
cp tests/servers/airflow_dags/etl_daily.py "$home/dags/"
echo '{"admin": "admin"}' > "$home/passwords.json"
export AIRFLOW_HOME=$home
export AIRFLOW__CORE__DAGS_FOLDER=$home/dags
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__LOGGING__BASE_LOG_FOLDER=$home/logs
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=admin:admin
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=$home/passwords.json
export AIRFLOW__API_AUTH__JWT_SECRET=logweave-bench-jwt
export AIRFLOW__API__SECRET_KEY=logweave-bench-secret
run_id=$("$VENV/bin/python" tests/servers/airflow_api.py prepare)

"$VENV/bin/airflow" api-server --apps core -H 127.0.0.1 -p "$PORT" > "$home/server.log" 2>&1 &
server=$!
trap 'kill $server 2> /dev/null; tmux kill-session -t api-bench 2> /dev/null || true' EXIT
url=http://127.0.0.1:$PORT
until curl -sf "$url/api/v2/version" > /dev/null; do sleep 0.5; done
token=$(curl -s -X POST "$url/auth/token" -H 'Content-Type: application/json' \
    -d '{"username":"admin","password":"admin"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
run_quoted=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$run_id")

export AIRFLOW_API_USER=admin AIRFLOW_API_PASSWORD=admin
echo "| log (MiB, as the API sends it) | command | wall (s) | peak RSS (MB) |"
echo "|---:|---|---:|---:|"
tasks=(extract big)
i=0
for size in $SIZES; do
    task=${tasks[$i]}
    i=$((i + 1))
    dir=$(bench_set json "$size")
    attempt="$home/logs/dag_id=etl_daily/run_id=$run_id/task_id=$task"
    mkdir -p "$attempt"
    cp "$dir/attempt=1.log" "$attempt/attempt=1.log"
    endpoint="$url/api/v2/dags/etl_daily/dagRuns/$run_quoted/taskInstances/$task/logs/1"
    bytes=$(curl -s -H "Authorization: Bearer $token" -H 'Accept: application/x-ndjson' "$endpoint" | wc -c)
    mb=$(echo "$bytes / 1048576" | bc)
    row() {
        local name=$1
        shift
        read -r wall kib <<< "$(measure "$@")"
        printf '| %s | %s | %s | %.1f |\n' "$mb" "$name" "$wall" "$(echo "$kib / 1024" | bc -l)"
    }
    row "curl (NDJSON)" curl -s -H "Authorization: Bearer $token" -H 'Accept: application/x-ndjson' "$endpoint"
    row "logweave --print" "$BIN" airflow --api "$url" --dag etl_daily --run "$run_id" --task "$task" --print
    # The viewer: ms until the first log line is on screen.
    tmux kill-session -t api-bench 2> /dev/null || true
    start=$(date +%s%N)
    tmux new-session -d -s api-bench -x 160 -y 40 \
        "$BIN airflow --api $url --dag etl_daily --run '$run_id' --task $task; sleep 5"
    until tmux capture-pane -p -t api-bench 2> /dev/null | grep -q '^api '; do sleep 0.005; done
    first=$((($(date +%s%N) - start) / 1000000))
    tmux kill-session -t api-bench
    printf '| %s | viewer: first screen | %s ms | |\n' "$mb" "$first"
done
