"""The DAG the API tests read logs of (tests/airflow_api.rs), on Airflow 3
and 2: a plain task, a mapped one, one whose log the test makes big, and
two it keeps running (one for the viewer, one for print mode), and one
whose file only the worker it ran on has (its host set by the test: the
API server cannot read it there, logweave can)."""

from datetime import datetime

try:  # Airflow 3
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.decorators import task

with DAG("etl_daily", start_date=datetime(2024, 12, 1), schedule=None, catchup=False):

    @task
    def extract():
        print("extracting")

    @task
    def shard(n):
        print("shard", n)

    @task
    def big():
        print("a big log")

    @task
    def live():
        print("still running")

    @task
    def tail():
        print("followed in print mode")

    @task
    def moved():
        print("ran on another worker")

    extract() >> shard.expand(n=[1, 2, 3]) >> big() >> live() >> tail()
    moved()
