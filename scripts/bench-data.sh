#!/usr/bin/env bash
# Shared by the benchmark scripts: `measure`, and makes (once) a generated attempt of a given
# format and size under $DATA, with one extra line at the very end of the
# triggerer log that the search benchmarks look for.
#   source scripts/bench-data.sh; dir=$(bench_set text 830MB)
NEEDLE="needle-7f3ax"
bench_set() {
    local format=$1 size=$2
    local dir="$DATA/$format-$size" gen=(--format "$format")
    # JSON sets are Airflow 3's, out of order, since gen v2: not the older ones.
    [[ $format == json ]] && dir+="-airflow3"
    # `json-sorted`: Airflow 3's JSON lines in time order (`--late 0`).
    [[ $format == json-sorted ]] && gen=(--format json --late 0)
    if [[ ! -f "$dir/.complete" ]]; then
        target/release/logweave gen --out "$dir" --size "$size" "${gen[@]}" 2> /dev/null
        if [[ $format == json* ]]; then
            echo "{\"timestamp\":\"2024-12-21T00:00:00.000000Z\",\"level\":\"info\",\"event\":\"$NEEDLE the one line to find\"}" \
                >> "$dir/attempt=1.log.trigger.42.log"
        else
            echo "[2024-12-21T00:00:00.000+0000] {bench.py:1} INFO - $NEEDLE the one line to find" \
                >> "$dir/attempt=1.log.trigger.42.log"
        fi
        touch "$dir/.complete"
    fi
    cat "$dir"/*.log "$dir"/remote/*.log > /dev/null # page cache
    echo "$dir"
}

# best-of-$RUNS wall seconds and the peak RSS (KiB) of that run of "$@"
measure() {
    local best="" rss="" out
    for _ in $(seq "$RUNS"); do
        out=$( { /usr/bin/time -f "%e %M" "$@" > /dev/null; } 2>&1 | tail -1 )
        read -r wall kib <<< "$out"
        if [[ -z "$best" ]] || awk "BEGIN{exit !($wall < $best)}"; then
            best=$wall
            rss=$kib
        fi
    done
    echo "$best $rss"
}

# median-of-$RUNS wall seconds, the largest peak RSS (KiB) of the runs and
# the median CPU seconds (user + system) of "$@": CPU time tells more than
# wall time on a machine shared with other work.
measure3() {
    local walls=() rsss=() cpus=() out wall kib user sys
    for _ in $(seq "$RUNS"); do
        out=$( { /usr/bin/time -f "%e %M %U %S" "$@" > /dev/null; } 2>&1 | tail -1 )
        read -r wall kib user sys <<< "$out"
        walls+=("$wall")
        rsss+=("$kib")
        cpus+=("$(echo "$user + $sys" | bc -l)")
    done
    median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
    echo "$(median "${walls[@]}") $(printf '%s\n' "${rsss[@]}" | sort -g | tail -1) $(median "${cpus[@]}")"
}
