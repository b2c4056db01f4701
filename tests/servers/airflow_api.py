"""Prepares and pokes an Airflow home (3.x or 2.x) for the REST API tests.

    python3 airflow_api.py prepare          # db, DAG, one run of etl_daily
    python3 airflow_api.py set-state TASK STATE
    python3 airflow_api.py set-host TASK HOST   # where its tries ran
    python3 airflow_api.py add-runs N       # N more (older) runs, for paging
    python3 airflow_api.py get URL ACCEPT   # GET as admin, body to stdout

Run it with the Python of the venv that has the Airflow to prepare.

AIRFLOW_HOME and the rest of Airflow's environment come from the caller
(tests/remote/servers.rs). `prepare` runs the DAG the way Airflow does
(`airflow dags test`), which makes real DagRun and task instance rows; it
writes no log files, so the tests write the attempts' logs where the log
folder says. It prints the run id.
"""

import base64
import json
import os
import sqlite3
import subprocess
import sys
import urllib.request

HOME = os.environ["AIRFLOW_HOME"]
AIRFLOW = os.path.join(os.path.dirname(sys.executable), "airflow")


def airflow(*args):
    with open(os.path.join(HOME, "prepare.log"), "ab") as log:
        subprocess.run([AIRFLOW, *args], check=True, stdout=log, stderr=log)


def db():
    return sqlite3.connect(os.path.join(HOME, "airflow.db"))


def prepare():
    airflow("db", "migrate")
    if airflow_version().startswith("2."):
        # Airflow 2's webserver keeps its users in the metadata database
        # (roles other than Admin appear once the webserver has started).
        airflow("users", "create", "-u", "admin", "-p", "admin", "-r", "Admin",
                "-f", "admin", "-l", "test", "-e", "admin@example.com")
    airflow("dags", "reserialize")
    airflow("dags", "test", "etl_daily", "2024-12-19")
    with db() as c:
        (run_id,) = c.execute("select run_id from dag_run where dag_id = 'etl_daily'").fetchone()
    print(run_id)


def airflow_version():
    import airflow

    return airflow.__version__


def set_state(task, state):
    with db() as c:
        c.execute("update task_instance set state = ? where task_id = ?", (state, task))


def set_host(task, host):
    with db() as c:
        c.execute("update task_instance set hostname = ? where task_id = ?", (host, task))


def add_runs(count):
    """Adds `count` finished runs older than the real one, as a deployment
    that has run the DAG for a long time has them (rows like those the
    scheduler writes; no task instances)."""
    with db() as c:
        c.execute(
            """
            with recursive n(i) as (select 1 union all select i + 1 from n where i < ?)
            insert into dag_run (dag_id, run_id, run_type, run_after, state, clear_number,
                                 span_status, logical_date, created_dag_version_id)
            select 'etl_daily', printf('scheduled__bulk_%04d', i), 'scheduled',
                   datetime('2020-01-01', '+' || i || ' hours'), 'success', 0,
                   'not_started', null,
                   (select created_dag_version_id from dag_run limit 1)
            from n
            """,
            (int(count),),
        )


def get(url, accept):
    if "/api/v1/" in url:  # Airflow 2: basic auth
        authorization = "Basic " + base64.b64encode(b"admin:admin").decode()
    else:
        login = urllib.request.Request(
            url.split("/api/")[0] + "/auth/token",
            data=json.dumps({"username": "admin", "password": "admin"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        authorization = "Bearer " + json.load(urllib.request.urlopen(login))["access_token"]
    request = urllib.request.Request(
        url, headers={"Authorization": authorization, "Accept": accept}
    )
    with urllib.request.urlopen(request) as answer:
        while chunk := answer.read(1 << 20):
            sys.stdout.buffer.write(chunk)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {
        "prepare": prepare,
        "set-state": set_state,
        "set-host": set_host,
        "add-runs": add_runs,
        "get": get,
    }[command](*args)
