#!/usr/bin/env python3
"""How far a log file is from time order.

    scripts/disorder.py FILE...            # a Markdown table, one row a file
    scripts/disorder.py --json FILE...     # the same figures as JSON lines
    scripts/disorder.py --detail FILE...   # and, per file, the loggers and fields

A record is a line with a timestamp and the lines without one after it
(continuations). The timestamp is a JSON line's "timestamp" field (Airflow 3,
logweave's JSON) or a leading ISO-8601 time, bracketed or not (Airflow 2,
text logs). An Airflow API answer ({"content": [...]}) counts each entry
as a record.

For each file:

* late: records earlier than some record above them; the most late is by
  how much (seconds).
* displacement: how far a record is from where a stable sort by time would
  put it, in records and in bytes.
* cuts: boundaries where every record before is no later than every record
  after; the longest stretch between two cuts in records, bytes and the
  time it spans. A reorder that sorts between cuts needs that much lookahead.
* classes: whether the disorder is only between the supervisor's
  stdout/stderr lines (logger task.stdout / task.stderr) and the logging
  records: inversions inside each class (0 and 0 = only between them).

It reads each file whole: a tool for looking at data, not for logweave.
"""

import json
import re
import sys
from bisect import bisect_right
from collections import Counter
from datetime import datetime, timezone

TEXT_TIME = re.compile(
    rb"^\[?(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?"
)
STDIO = {"task.stdout", "task.stderr"}


def micros(text):
    """Microseconds since the epoch of an ISO-8601 time, or None."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1_000_000)


def text_micros(line):
    match = TEXT_TIME.match(line)
    if not match:
        return None
    date, clock, fraction, zone = (g.decode() if g else "" for g in match.groups())
    zone = zone or "+00:00"
    if zone != "Z" and ":" not in zone:
        zone = zone[:3] + ":" + zone[3:]
    return micros(f"{date}T{clock}{fraction[:7]}{zone}")


def records(data):
    """(time µs, size in bytes, logger or None, fields) of each record."""
    stripped = data.lstrip()
    if stripped.startswith(b'{"content"'):
        for entry in json.loads(data)["content"]:
            size = len(json.dumps(entry)) + 1
            if isinstance(entry, dict) and micros(entry.get("timestamp")) is not None:
                yield micros(entry["timestamp"]), size, entry.get("logger"), tuple(entry)
            else:
                yield None, size, None, ()
        return
    for line in data.splitlines(keepends=True):
        when, logger, fields = None, None, ()
        if line.startswith(b"{"):
            try:
                entry = json.loads(line)
            except ValueError:
                entry = None
            if isinstance(entry, dict):
                when = micros(entry.get("timestamp"))
                logger = entry.get("logger")
                fields = tuple(entry)
        else:
            when = text_micros(line)
        yield when, len(line), logger, fields


def group(raw):
    """Folds continuation lines into the record above them. Lines before
    the first timestamp form a record of their own, stamped as the first."""
    out = []
    for when, size, logger, fields in raw:
        if when is None and out:
            out[-1][1] += size
        else:
            out.append([when, size, logger, fields])
    if out and out[0][0] is None:
        first = next((r[0] for r in out if r[0] is not None), 0)
        out[0][0] = first
    return out


def inversions(times):
    """Records earlier than some record above them, within `times`."""
    late, top = 0, None
    for t in times:
        if top is not None and t < top:
            late += 1
        else:
            top = t
    return late


def analyse(path):
    with open(path, "rb") as f:
        recs = group(records(f.read()))
    n = len(recs)
    times = [r[0] for r in recs]
    sizes = [r[1] for r in recs]
    late, most_late, top = 0, 0, None
    for t in times:
        if top is not None and t < top:
            late += 1
            most_late = max(most_late, top - t)
        else:
            top = t
    offsets = [0] * n
    for i in range(1, n):
        offsets[i] = offsets[i - 1] + sizes[i - 1]
    order = sorted(range(n), key=lambda i: times[i])  # stable: ties keep file order
    sorted_offset, moved_records, moved_bytes, at = 0, 0, 0, 0
    for rank, i in enumerate(order):
        moved_records = max(moved_records, abs(rank - i))
        moved_bytes = max(moved_bytes, abs(sorted_offset - offsets[i]))
        sorted_offset += sizes[i]
    # Cut before record i: max(times[:i]) <= min(times[i:]).
    suffix_min = [0] * (n + 1)
    suffix_min[n] = float("inf")
    for i in range(n - 1, -1, -1):
        suffix_min[i] = min(times[i], suffix_min[i + 1])
    cuts = [0]
    prefix_max = float("-inf")
    for i in range(1, n):
        prefix_max = max(prefix_max, times[i - 1])
        if prefix_max <= suffix_min[i]:
            cuts.append(i)
    cuts.append(n)
    longest = (0, 0, 0, 0)  # records, bytes, span µs, start
    for a, b in zip(cuts, cuts[1:]):
        if b - a > longest[0]:
            span = max(times[a:b]) - min(times[a:b])
            longest = (b - a, offsets[b - 1] + sizes[b - 1] - offsets[a], span, a)
    stdio = [t for t, _, logger, _ in recs if logger in STDIO]
    logging_ = [t for t, _, logger, _ in recs if logger not in STDIO]
    late_loggers = Counter()
    top = None
    for t, _, logger, _ in recs:
        if top is not None and t < top:
            late_loggers[logger or "-"] += 1
        else:
            top = t
    fields = Counter(f for r in recs for f in r[3])
    return {
        "file": path,
        "bytes": sum(sizes),
        "records": n,
        "late": late,
        "most_late_s": most_late / 1e6,
        "moved_records": moved_records,
        "moved_bytes": moved_bytes,
        "cuts": len(cuts) - 2,  # boundaries inside the file
        "longest_stretch_records": longest[0],
        "longest_stretch_bytes": longest[1],
        "longest_stretch_s": longest[2] / 1e6,
        "longest_stretch_at": longest[3] + 1,
        "stdio_records": len(stdio),
        "stdio_inversions": inversions(stdio),
        "logging_records": len(logging_),
        "logging_inversions": inversions(logging_),
        "late_by_logger": dict(late_loggers.most_common()),
        "fields": dict(fields.most_common()),
    }


def table(rows):
    head = (
        "| file | bytes | records | late | most late (s) | moved (records) | moved (bytes) "
        "| cuts | longest stretch: records / bytes / s | late inside stdio / inside logging |"
    )
    print(head)
    print("|" + "---|" * head.count(" | ") + "---|")
    for r in rows:
        print(
            f"| {r['file']} | {r['bytes']:,} | {r['records']:,} | {r['late']:,} "
            f"| {r['most_late_s']:.3f} | {r['moved_records']:,} | {r['moved_bytes']:,} "
            f"| {r['cuts']:,} | {r['longest_stretch_records']:,} / {r['longest_stretch_bytes']:,} "
            f"/ {r['longest_stretch_s']:.3f} | {r['stdio_inversions']} / {r['logging_inversions']} |"
        )


def main(args):
    as_json = "--json" in args
    detail = "--detail" in args
    paths = [a for a in args if not a.startswith("--")]
    if not paths:
        sys.exit(__doc__)
    rows = [analyse(p) for p in paths]
    if as_json:
        for r in rows:
            print(json.dumps(r))
        return
    table(rows)
    if detail:
        for r in rows:
            print(f"\n{r['file']}: late by logger {r['late_by_logger']}")
            print(f"  fields {r['fields']}")


if __name__ == "__main__":
    main(sys.argv[1:])
