"""Indexes a log file into an Elasticsearch- or OpenSearch-compatible test
server as Airflow's Elasticsearch handler ships it: one document per
record with `log_id`, `offset` (1, 2, …) and `message`.

    python3 search_put.py URL INDEX LOG_ID FILE [FIRST_OFFSET]
    python3 search_put.py URL INDEX --docs FILE   (one JSON document a line)

A record is a line that begins with a timestamp and the lines after it
that do not. Documents go in with `_bulk` in batches, shuffled within each
batch (the order is the offsets' job), and the index is refreshed.
"""

import json
import random
import re
import sys
import urllib.request

RECORD = re.compile(r"^\[?\d{4}-\d\d-\d\d")
BATCH = 5_000


def records(path):
    record = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if record is not None and not RECORD.match(line):
                record += line
                continue
            if record is not None:
                yield record
            record = line
    if record is not None:
        yield record


def post(url, body, content_type):
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type}
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        answer = json.loads(response.read() or b"{}")
    if answer.get("errors"):
        sys.exit(f"bulk errors: {json.dumps(answer)[:500]}")


def bulk(url, index, docs):
    batch = []
    for doc in docs:
        batch.append(doc)
        if len(batch) == BATCH:
            send(url, index, batch)
            batch = []
    if batch:
        send(url, index, batch)
    post(f"{url}/{index}/_refresh", b"", "application/json")


def send(url, index, batch):
    random.shuffle(batch)
    lines = []
    for doc in batch:
        lines.append(json.dumps({"index": {"_index": index}}))
        lines.append(json.dumps(doc))
    post(f"{url}/_bulk", ("\n".join(lines) + "\n").encode(), "application/x-ndjson")


def main():
    url, index = sys.argv[1], sys.argv[2]
    if sys.argv[3] == "--docs":
        with open(sys.argv[4], encoding="utf-8") as f:
            bulk(url, index, (json.loads(line) for line in f if line.strip()))
        return
    log_id, path = sys.argv[3], sys.argv[4]
    first = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    docs = (
        {"log_id": log_id, "offset": first + i, "message": record.removesuffix("\n")}
        for i, record in enumerate(records(path))
    )
    bulk(url, index, docs)


main()
