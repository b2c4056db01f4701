"""Writes a log file into a CloudWatch Logs stream on the test server, one
event per record, as Airflow's CloudWatch handler does.

    python3 cloudwatch_put.py GROUP STREAM FILE

A record is a line that begins with a timestamp (`[2024-…` or `2024-…`)
or is a JSON object, and the lines after it that do not: a traceback stays
one event. Events
get recent, increasing times (moto, like CloudWatch, refuses events older
than 14 days), one millisecond apart, ending now. The group and stream
are created if missing. Endpoint and credentials come from
AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION.
"""

import os
import re
import sys
import time

import boto3

RECORD = re.compile(rb"^(\[?\d{4}-\d\d-\d\d|\{)")
MOST_EVENTS = 10_000
MOST_BYTES = 1_000_000  # of 1,048,576, with 26 bytes counted per event


def records(path):
    record = None
    with open(path, "rb") as f:
        for line in f:
            if record is not None and not RECORD.match(line):
                record += line
                continue
            if record is not None:
                yield record
            record = line
    if record is not None:
        yield record


def main():
    group, stream, path = sys.argv[1:4]
    logs = boto3.client("logs", region_name=os.environ.get("AWS_REGION", "us-east-1"))
    try:
        logs.create_log_group(logGroupName=group)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    try:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    messages = [r.decode("utf-8").removesuffix("\n") for r in records(path)]
    start = int(time.time() * 1000) - len(messages)
    batch, size = [], 0
    for i, message in enumerate(messages):
        cost = len(message.encode("utf-8")) + 26
        if batch and (len(batch) == MOST_EVENTS or size + cost > MOST_BYTES):
            logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)
            batch, size = [], 0
        batch.append({"timestamp": start + i, "message": message})
        size += cost
    if batch:
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)


main()
