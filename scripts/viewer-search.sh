#!/usr/bin/env bash
# The viewer's search as a user meets it, driven through tmux: opens FILES,
# waits until the viewer is idle (its overview pass done), types
# /PATTERN and Enter, and prints "WALL_S CPU_S" from Enter until the
# answer is on screen (a hit, or "pattern not found"); CPU is the viewer's
# utime + stime from /proc, which a loaded machine does not inflate.
# COUNT=1 adds the same two for the background count of the hits to end.
#
#   scripts/viewer-search.sh target/release/logweave 'no such text' FILES...
set -euo pipefail
bin=$1; pattern=$2; shift 2
session="lw-search-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true' EXIT
screen() { tmux capture-pane -p -t "$session"; }
tmux new-session -d -s "$session" -x 160 -y 40 "$bin" "$@"
pid=$(tmux list-panes -t "$session" -F '#{pane_pid}')
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
until screen | grep -Eq 'line [0-9]|help'; do sleep 0.01; done
last=-1
while [ "$(cpu)" != "$last" ]; do last=$(cpu); sleep 1; done
tmux send-keys -t "$session" "/$pattern"
sleep 0.2
c0=$(cpu); start=$(date +%s.%N)
tmux send-keys -t "$session" Enter
until screen | tail -2 | grep -Eq 'no hits|not found|hit [0-9]|counting'; do sleep 0.005; done
end=$(date +%s.%N); c1=$(cpu)
out="$(echo "$end - $start" | bc) $(echo "($c1 - $c0) / $(getconf CLK_TCK)" | bc -l)"
if [[ ${COUNT:-0} == 1 ]]; then
    # Then the background count of the hits ("hit 1 of 1").
    until screen | tail -2 | grep -Eq 'not found|hit [0-9,]+ of'; do sleep 0.005; done
    end=$(date +%s.%N); c1=$(cpu)
    out+=" $(echo "$end - $start" | bc) $(echo "($c1 - $c0) / $(getconf CLK_TCK)" | bc -l)"
fi
echo "$out"
tmux send-keys -t "$session" q
