"""The DAG logweave's follow tests trigger on the real deployment
(tests/remote/airflow_run.rs): one task to watch from before its first try
through a failed try, its retry, a deferral and the resumption.

`warm_up` waits `params.start_delay` seconds, so a follower can start before
`followed` has a try. `followed` writes `params.rate` bursts a second of
`params.burst` records each (stdout, stderr and logging interleaved; fast
enough that Airflow 3 writes them out of time order) for `params.seconds`
seconds; try 1 then fails; try 2 defers for `params.defer_seconds`,
resumes, writes as much again and succeeds.
"""

import logging
import sys
import time
from datetime import datetime, timedelta

from airflow.providers.standard.triggers.temporal import DateTimeTrigger
from airflow.sdk import DAG, BaseOperator, task

log = logging.getLogger(__name__)


def write(phase, try_number, params):
    rate = float(params["rate"])
    burst = int(params["burst"])
    i = 0
    for _ in range(int(rate * float(params["seconds"]))):
        for _ in range(burst):
            if i % 3 == 0:
                print(f"try {try_number} {phase}: stdout record {i}")
            elif i % 3 == 1:
                log.info("try %d %s: logging record %d", try_number, phase, i)
            else:
                print(f"try {try_number} {phase}: stderr record {i}", file=sys.stderr)
            i += 1
        time.sleep(1 / rate)


class Followed(BaseOperator):
    def execute(self, context):
        ti = context["ti"]
        params = context["params"]
        write("running", ti.try_number, params)
        if ti.try_number == 1:
            raise RuntimeError("try 1 fails on purpose: the retry succeeds")
        moment = datetime.now().astimezone() + timedelta(seconds=float(params["defer_seconds"]))
        self.log.info("try %d: deferring until %s", ti.try_number, moment.isoformat())
        self.defer(trigger=DateTimeTrigger(moment=moment), method_name="resume")

    def resume(self, context, event=None):
        ti = context["ti"]
        write("resumed", ti.try_number, context["params"])
        print(f"try {ti.try_number}: followed done")


with DAG(
    "logweave_follow",
    start_date=datetime(2024, 12, 1),
    schedule=None,
    catchup=False,
    params={"start_delay": 5, "rate": 10, "burst": 30, "seconds": 3, "defer_seconds": 4},
    default_args={"retries": 1, "retry_delay": timedelta(seconds=2)},
):

    @task
    def warm_up(params=None):
        print("warming up")
        time.sleep(float(params["start_delay"]))

    warm_up() >> Followed(task_id="followed")
