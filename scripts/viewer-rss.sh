#!/usr/bin/env bash
# Peak memory and timings of the viewer on one file, driven through tmux:
# the first screen, G, a search that finds nothing, wrap, a page, a step
# sideways. Prints the seconds and the viewer's VmHWM.
#
#   scripts/viewer-rss.sh FILE
#
# The hostile-input rows of BENCHMARKS.md used a 1 GB line and 10 million
# empty lines:
#   { printf '2024-12-20T10:00:00Z '; head -c 1000000000 /dev/zero | tr '\0' x; echo; } > oneline1g.log
#   head -c 10000000 /dev/zero | tr '\0' '\n' > empty10m.log
set -euo pipefail
file=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/target/release/logweave"
[ -x "$bin" ] || cargo build --release --manifest-path "$root/Cargo.toml"
session="logweave-rss-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true' EXIT

screen() { tmux capture-pane -p -t "$session"; }
# Seconds until the screen matches $1 (extended regex).
until_screen() {
    local start=$(date +%s.%N)
    until screen | grep -Eq "$1"; do sleep 0.05; done
    echo "$(date +%s.%N) - $start" | bc
}

tmux new-session -d -s "$session" -x 120 -y 30 "$bin" "$file"
pid=$(tmux list-panes -t "$session" -F '#{pane_pid}')
echo "first screen: $(until_screen 'line [0-9]|help') s"
tmux send-keys -t "$session" G
until_screen 'END' >/dev/null
tmux send-keys -t "$session" g "/zzz" Enter
echo "search finding nothing: $(until_screen 'no hits|not found') s"
for key in w Space l; do
    tmux send-keys -t "$session" "$key"
    sleep 1
done
screen | tail -1
grep VmHWM "/proc/$pid/status"
tmux send-keys -t "$session" q
