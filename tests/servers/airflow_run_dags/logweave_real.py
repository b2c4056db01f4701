"""The DAG logweave's real-deployment tests run (tests/real_airflow.rs via
tests/remote/airflow_run.rs), on a real Airflow 3 scheduler, LocalExecutor
and triggerer, to get the task files Airflow itself writes: stdout and
stderr lines stamped by the supervisor when it reads the pipe, logging
records stamped when emitted and arriving later through the log socket,
all written in arrival order.

* `chatty` mixes print(), print(file=sys.stderr) and logging at a high
  rate, multi-line messages and tracebacks, about `params.mb` MB of file
  per try (a run's conf may change it); it fails on try 1 and succeeds on
  try 2.
* `deferred` logs, defers to a DateTimeTrigger (the triggerer writes its
  own sub-log), and resumes and logs again.
* `orders` is mapped over three regions; its last print() comes after its
  logging records.
"""

import logging
import random
import sys
import time
from datetime import datetime, timedelta

from airflow.providers.standard.triggers.temporal import DateTimeTrigger
from airflow.sdk import DAG, BaseOperator, task

log = logging.getLogger(__name__)

WORDS = (
    "batch shard offset partition checkpoint upstream downstream watermark "
    "commit rollback schema column merge ingest flush retry backoff latency "
    "throughput bucket region replica lease snapshot compaction"
).split()


def sentence(rng, words):
    return " ".join(rng.choice(WORDS) for _ in range(words))


def fail_deep(depth, batch):
    if depth == 0:
        raise ValueError(f"batch {batch}: checksum mismatch in {sentence(random.Random(batch), 3)}")
    fail_deep(depth - 1, batch)


class Deferred(BaseOperator):
    """Logs, defers for `params.defer_seconds` to the triggerer, resumes and
    logs again."""

    def execute(self, context):
        seconds = float(context["params"]["defer_seconds"])
        for i in range(8):
            self.log.info("before the deferral: step %d", i)
            print(f"stdout before the deferral: step {i}")
        moment = datetime.now().astimezone() + timedelta(seconds=seconds)
        self.log.info("deferring until %s", moment.isoformat())
        self.defer(trigger=DateTimeTrigger(moment=moment), method_name="resume")

    def resume(self, context, event=None):
        for i in range(8):
            self.log.info("resumed after the trigger fired: step %d (event %s)", i, event)
            print(f"stdout after resuming: step {i}", file=sys.stderr if i % 2 else sys.stdout)
        print("deferred done")


with DAG(
    "logweave_real",
    start_date=datetime(2024, 12, 1),
    schedule=None,
    catchup=False,
    params={"mb": 6, "defer_seconds": 5},
    default_args={"retries": 1, "retry_delay": timedelta(seconds=2)},
):

    @task
    def chatty(params=None, ti=None):
        # What each kind of record costs in the file, besides its message:
        # a stdout/stderr line's JSON frame, a logging record's fields (ids,
        # logger, filename), a traceback's error_detail.
        stdio_cost, logging_cost, traceback_cost = 75, 330, 2500
        target = float(params["mb"]) * 1_000_000
        rng = random.Random(ti.try_number)
        written = 0
        n = 0
        started = time.monotonic()
        log.info("try %d: writing %.1f MB", ti.try_number, target / 1e6)
        while written < target:
            n += 1
            kind = rng.random()
            if kind < 0.30:
                line = f"Processing batch {n}: {sentence(rng, rng.randint(4, 20))}"
                print(line)
                written += len(line) + stdio_cost
            elif kind < 0.40:
                line = f"stderr: batch {n} slow: {sentence(rng, rng.randint(3, 12))}"
                print(line, file=sys.stderr)
                written += len(line) + stdio_cost
            elif kind < 0.45:
                lines = [f"multi-line stdout for batch {n}:"] + [
                    f"    row {r}: {sentence(rng, 6)}" for r in range(rng.randint(2, 5))
                ]
                print("\n".join(lines))  # one stdout record per line
                written += sum(len(line) + stdio_cost for line in lines)
            elif kind < 0.85:
                line = f"Processed batch {n} in {rng.random():.3f}s: {sentence(rng, rng.randint(4, 16))}"
                log.info(line)
                written += len(line) + logging_cost
            elif kind < 0.93:
                line = f"batch {n} warning:\n" + "\n".join(
                    f"  detail {r}: {sentence(rng, 5)}" for r in range(rng.randint(2, 4))
                )
                log.warning(line)  # one record, its event spans lines
                written += len(line) + logging_cost
            elif kind < 0.995:
                line = f"batch {n} skipped: {sentence(rng, 8)}"
                log.error(line)
                written += len(line) + logging_cost
            else:
                try:
                    fail_deep(rng.randint(1, 4), n)
                except ValueError:
                    log.exception("batch %d failed, going on", n)
                written += traceback_cost
        log.info("try %d: %d batches in %.1f s", ti.try_number, n, time.monotonic() - started)
        print(f"try {ti.try_number} done writing", flush=True)
        if ti.try_number == 1:
            raise RuntimeError("try 1 fails on purpose: the next try succeeds")
        print("chatty done")

    @task
    def orders(region):
        for i in range(60):
            log.info("order %d of %s: %s", i, region, sentence(random.Random(i), 6))
            if i % 20 == 0:
                print(f"checkpoint {i} for {region}")
        print(f"orders done for {region}")

    @task
    def tick():
        for i in range(5):
            print(f"tick {i}")
            log.info("tock %d", i)

    Deferred(task_id="deferred")
    orders.expand(region=["eu", "us", "apac"])
    chatty() >> tick()
