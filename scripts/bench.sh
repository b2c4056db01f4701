#!/usr/bin/env bash
# Times whole runs of `logweave --print` against `cat`, the fastest `sort -m`
# a user would type and `rg -F` on the same generated Airflow attempts, with
# /usr/bin/time for wall time, peak RSS and CPU time, all rows in one run;
# then searches against `rg -F`, in print mode and in the viewer (SEARCH=0
# leaves them out). Prints Markdown tables (paste them into BENCHMARKS.md).
#
#   scripts/bench.sh                                  # 50MB and 830MB; text, json-sorted, json
#   SIZES="50MB" scripts/bench.sh                     # just one size
#   FORMATS="json" SIZES=830MB scripts/bench.sh       # Airflow 3's disordered set only
#   BIN=/path/to/old/logweave scripts/bench.sh        # another build on the same data (no build)
#
# Formats: `text` (Airflow 2, in time order), `json-sorted` (Airflow 3 JSON
# lines in time order) and `json` (Airflow 3 JSON as its supervisor writes
# it, out of time order: issue 24's set). Wall time and CPU are medians of
# $RUNS (3) runs, RSS the largest. The last row of each set is `--print`'s
# wall time over the fastest `sort -m` row's (the goal is ≤ 1.0).
#
# Data goes to $BENCH_DATA (default ./bench-data, git-ignored) and is reused.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"50MB 830MB"}
FORMATS=${FORMATS:-"text json-sorted json"}
RUNS=${RUNS:-3}
DATA=${BENCH_DATA:-bench-data}
BIN=${BIN:-target/release/logweave}

# A build given as BIN is timed as it is (`gen` still needs this tree's).
if [[ $BIN == target/release/logweave || ! -x target/release/logweave ]]; then
    cargo build --release --quiet
fi
mkdir -p "$DATA"
source scripts/bench-data.sh

# ripgrep is the search peer (issue 32).
if ! command -v rg > /dev/null; then
    echo "installing ripgrep" >&2
    { apt-get install -y ripgrep || cargo install ripgrep; } > /dev/null
fi

echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min), $(nproc) cores, $(date -u +%FT%TZ)"
echo
echo "| set | command | wall (s) | CPU (s) | peak RSS (MB) |"
echo "|---|---|---:|---:|---:|"
for format in $FORMATS; do
    for size in $SIZES; do
        dir=$(bench_set "$format" "$size")
        files=("$dir/attempt=1.log" "$dir/attempt=1.log.trigger.42.log" "$dir/remote/attempt=1.log")
        last_wall=
        row() {
            local name=$1
            shift
            read -r wall kib cpu <<< "$(measure3 "$@")"
            last_wall=$wall
            printf '| %s %s | %s | %s | %.2f | %.1f |\n' "$format" "$size" "$name" "$wall" "$cpu" "$(echo "$kib / 1024" | bc -l)"
        }
        row "cat" cat "${files[@]}"
        # The fastest `sort -m` a user would type: a JSON line begins with
        # its timestamp, so the whole line is the key; a text line's first
        # field is its timestamp.
        if [[ $format == json* ]]; then
            row "LC_ALL=C sort -m" env LC_ALL=C sort -m "${files[@]}"
        else
            row "LC_ALL=C sort -m -s -k1,1" env LC_ALL=C sort -m -s -k1,1 "${files[@]}"
        fi
        sort_wall=$last_wall
        row "logweave --print" "$BIN" --print "${files[@]}"
        print_wall=$last_wall
        row "logweave --print --threads 1" "$BIN" --print --threads 1 "${files[@]}"
        row "logweave --print --no-dedup" "$BIN" --print --no-dedup "${files[@]}"
        row "LC_ALL=C grep -c $NEEDLE" env LC_ALL=C grep -c "$NEEDLE" "${files[@]}"
        row "rg -F -c $NEEDLE" rg -F -c "$NEEDLE" "${files[@]}"
        row "rg -F -c --no-mmap $NEEDLE" rg -F -c --no-mmap "$NEEDLE" "${files[@]}"
        row "logweave --print --grep $NEEDLE" "$BIN" --print --grep "$NEEDLE" "${files[@]}"
        row "logweave --print --grep 'needle-[0-9a-f]{4}x'" "$BIN" --print --grep 'needle-[0-9a-f]{4}x' "${files[@]}"
        row "logweave --print --grep INFO" "$BIN" --print --grep INFO "${files[@]}"
        ratio=$(awk -v p="$print_wall" -v s="$sort_wall" 'BEGIN { if (s > 0) printf "%.2f×", p / s; else print "–" }')
        printf '| %s %s | **--print ÷ fastest sort -m** | %s | | |\n' "$format" "$size" "$ratio"
    done
done

# Search (issue 32) against ripgrep on the same files, medians of $RUNS with
# the CPU (user + system) the runs took, which a loaded machine inflates
# less than the wall time. Output goes through a pipe: rg stops at its
# first hit when its stdout is /dev/null. The viewer's rows type the
# search in a tmux pane (scripts/viewer-search.sh).
[[ ${SEARCH:-1} == 1 ]] || exit 0
echo
echo "| set | search | wall (s) | CPU (s) | peak RSS (MB) |"
echo "|---|---|---:|---:|---:|"
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
for format in $FORMATS; do
    for size in $SIZES; do
        dir=$(bench_set "$format" "$size")
        files=("$dir/attempt=1.log" "$dir/attempt=1.log.trigger.42.log" "$dir/remote/attempt=1.log")
        search_row() {
            local name=$1 runs=() out
            shift
            for _ in $(seq "$RUNS"); do
                out=$( { /usr/bin/time -f "%e %U %S %M" sh -c '"$@" | cat > /dev/null' sh "$@"; } 2>&1 | tail -1)
                runs+=("$out")
            done
            printf '| %s %s | %s | %s | %s | %.1f |\n' "$format" "$size" "$name" \
                "$(printf '%s\n' "${runs[@]}" | awk '{print $1}' | median)" \
                "$(printf '%s\n' "${runs[@]}" | awk '{print $2 + $3}' | median)" \
                "$(printf '%s\n' "${runs[@]}" | awk '{print $4 / 1024}' | median)"
        }
        # Until the answer is on screen; with COUNT=1, until its count ends.
        viewer_row() {
            local name=$1 runs=() at=1
            shift
            [[ ${COUNT:-0} == 1 ]] && at=3
            for _ in $(seq "$RUNS"); do
                runs+=("$(COUNT=${COUNT:-0} scripts/viewer-search.sh "$BIN" "$@" "${files[@]}")")
            done
            printf '| %s %s | %s | %s | %s | — |\n' "$format" "$size" "$name" \
                "$(printf '%s\n' "${runs[@]}" | awk -v f=$at '{print $f}' | median)" \
                "$(printf '%s\n' "${runs[@]}" | awk -v f=$((at + 1)) '{print $f}' | median)"
        }
        for pattern in 'no such text' "$NEEDLE" WARNING; do
            search_row "rg -F '$pattern'" rg -F "$pattern" "${files[@]}"
            search_row "rg -F -i '$pattern'" rg -F -i "$pattern" "${files[@]}"
            # Reads as logweave does (no mmap: a file truncated under a map is a SIGBUS).
            [[ $pattern == 'no such text' ]] &&
                search_row "rg -F --no-mmap '$pattern'" rg -F --no-mmap "$pattern" "${files[@]}"
            search_row "logweave --print --grep '$pattern'" "$BIN" --print --grep "$pattern" "${files[@]}"
        done
        search_row "logweave --print --grep 'needle-[0-9a-f]{4}x'" "$BIN" --print --grep 'needle-[0-9a-f]{4}x' "${files[@]}"
        viewer_row "viewer /no such text" 'no such text'
        viewer_row "viewer /$NEEDLE" "$NEEDLE"
        COUNT=1 viewer_row "viewer /$NEEDLE, until \"hit 1 of 1\"" "$NEEDLE"
    done
done
