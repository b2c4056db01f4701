"""Runs a real Airflow 3 deployment on 127.0.0.1 for logweave's tests:
api-server, scheduler with the LocalExecutor (and its worker log server),
dag-processor and triggerer over SQLite, with the DAGs of
tests/servers/airflow_run_dags/.

    python3 airflow_run.py serve HOME       # prepare HOME, start, wait for stdin EOF
    python3 airflow_run.py trigger HOME DAG [CONF_JSON]   # prints the run id
    python3 airflow_run.py wait HOME DAG RUN SECONDS      # prints the run's final state
    python3 airflow_run.py state HOME DAG RUN TASK [MAP_INDEX]  # prints "STATE TRY_NUMBER"
    python3 airflow_run.py get HOME PATH ACCEPT           # GET /api/v2/PATH as admin
    python3 airflow_run.py fail HOME DAG RUN              # mark the run failed (as the UI does)

Run it with the Python of the venv that has Airflow 3 (target/test-venv).

`serve` migrates the database, starts the components (each in its own
process group, its output in HOME/<component>.log), and prints one JSON
line once the API answers, the scheduler, dag-processor and triggerer are
heartbeating and the dag-processor has stored the DAGs:
{"ready": true, "api": URL, "log_server": PORT, ...}.
It stops the components when its stdin reaches EOF (the test process that
started it ended) or when one of them exits (it then prints that and exits
non-zero); after a clean stop it removes HOME unless LOGWEAVE_KEEP_AIRFLOW
is set.
HOME/ports.json keeps the ports for the other commands.
"""

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
AIRFLOW = os.path.join(os.path.dirname(sys.executable), "airflow")
COMPONENTS = {
    "api-server": ["api-server", "--apps", "all", "-H", "127.0.0.1", "-p", "{api}"],
    "scheduler": ["scheduler"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer"],
}
STARTUP_SECONDS = 120
USERS = {"admin": "admin", "viewer": "viewer"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(home):
    """Airflow's configuration for the deployment in `home`."""
    with open(os.path.join(home, "ports.json")) as f:
        ports = json.load(f)
    api = f"http://127.0.0.1:{ports['api']}"
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": home,
            "AIRFLOW__CORE__DAGS_FOLDER": os.path.join(home, "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api}/execution/",
            # Every component on this machine is 127.0.0.1: the API server
            # reaches the worker's log server by the task instance's hostname.
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "logweave_hostname.name",
            "PYTHONPATH": os.pathsep.join(
                p for p in [os.path.join(home, "pylib"), env.get("PYTHONPATH", "")] if p
            ),
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": os.path.join(home, "logs"),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(ports["log_server"]),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(ports["trigger_log_server"]),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(
                f"{user}:{'admin' if user == 'admin' else 'viewer'}" for user in USERS
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": os.path.join(home, "passwords.json"),
            "AIRFLOW__API_AUTH__JWT_SECRET": "logweave-real-jwt",
            "AIRFLOW__API__SECRET_KEY": "logweave-real-secret",
            "AIRFLOW__API__BASE_URL": api,
            # Quick turns on a small machine: the scheduler looks for work
            # often, the dag-processor does not re-parse what `prepare` parsed.
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.2",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "600",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600",
            "AIRFLOW__API__WORKERS": "1",
            # The supervisor notices a task process's end on its next wake-up,
            # at most this often; at the default 5 s a trigger that fires
            # sooner races the deferral's report, and Airflow marks the
            # resumed task failed ("state attribute is queued").
            "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "1",
        }
    )
    return env


def prepare(home):
    """A fresh home: ports, users, DAGs, a migrated database."""
    os.makedirs(home, exist_ok=True)
    ports = {"api": free_port(), "log_server": free_port(), "trigger_log_server": free_port()}
    with open(os.path.join(home, "ports.json"), "w") as f:
        json.dump(ports, f)
    with open(os.path.join(home, "passwords.json"), "w") as f:
        json.dump(USERS, f)
    shutil.copytree(os.path.join(HERE, "airflow_run_dags"), os.path.join(home, "dags"), dirs_exist_ok=True)
    os.makedirs(os.path.join(home, "pylib"), exist_ok=True)
    with open(os.path.join(home, "pylib", "logweave_hostname.py"), "w") as f:
        f.write('def name():\n    return "127.0.0.1"\n')
    env = environment(home)
    migrated_database(home, env)
    return ports, env


def migrated_database(home, env):
    """Migrates HOME's database, or copies one migrated before: a fresh
    migrated SQLite database holds nothing of its home, and migrating takes
    5-10 s of the start. The copy is kept in LOGWEAVE_AIRFLOW_DB_CACHE (a
    folder), one per Airflow version."""
    cache = os.environ.get("LOGWEAVE_AIRFLOW_DB_CACHE")
    database = os.path.join(home, "airflow.db")
    if cache:
        from importlib.metadata import version

        cached = os.path.join(cache, f"airflow-{version('apache-airflow-core')}.db")
        if os.path.exists(cached):
            shutil.copyfile(cached, database)
            return
    with open(os.path.join(home, "prepare.log"), "ab") as log:
        subprocess.run([AIRFLOW, "db", "migrate"], check=True, stdout=log, stderr=log, env=env)
    if cache:
        os.makedirs(cache, exist_ok=True)
        db = sqlite3.connect(database)
        try:  # one file: nothing left in a WAL beside it
            db.execute("pragma wal_checkpoint(truncate)")
        finally:
            db.close()
        partial = f"{cached}.{os.getpid()}"
        shutil.copyfile(database, partial)
        os.replace(partial, cached)  # whole or absent, with other test binaries at it


def die_with_parent():
    """In a component: get SIGTERM if this script dies, however it dies."""
    os.setsid()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def stop(children):
    for child in children.values():
        try:
            os.killpg(child.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 10
    for child in children.values():
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        try:  # what is left of the group (task runners, serve_logs)
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def jobs_and_dags_ready(home):
    """Whether the scheduler, dag-processor and triggerer heartbeat and the
    DAGs of airflow_run_dags/ are stored (the dag-processor parses them as
    it starts)."""
    dags = {name[:-3] for name in os.listdir(os.path.join(HERE, "airflow_run_dags")) if name.endswith(".py")}
    try:
        with sqlite3.connect(os.path.join(home, "airflow.db"), timeout=5) as db:
            jobs = db.execute(
                "select job_type from job where state = 'running' "
                "and latest_heartbeat > datetime('now', '-30 seconds')"
            ).fetchall()
            stored = db.execute("select dag_id from serialized_dag").fetchall()
    except sqlite3.Error:
        return False
    return {"SchedulerJob", "TriggererJob", "DagProcessorJob"} <= {row[0] for row in jobs} and dags <= {
        row[0] for row in stored
    }


def api_up(url):
    try:
        with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=2) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


def serve(home):
    started = time.monotonic()
    ports, env = prepare(home)
    prepared = time.monotonic() - started
    children = {}
    for name, args in COMPONENTS.items():
        args = [a.format(**ports) for a in args]
        out = open(os.path.join(home, f"{name}.log"), "ab")
        children[name] = subprocess.Popen(
            [AIRFLOW, *args], stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env,
            preexec_fn=die_with_parent,
        )
    ended = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.buffer.read(), ended.set()), daemon=True).start()
    url = f"http://127.0.0.1:{ports['api']}"
    ready = False
    status = 0
    try:
        while not ended.is_set():
            for name, child in children.items():
                if child.poll() is not None:
                    print(json.dumps({"exited": name, "status": child.returncode}), flush=True)
                    status = 1
                    return
            if not ready:
                if jobs_and_dags_ready(home) and api_up(url):
                    ready = True
                    print(
                        json.dumps(
                            {
                                "ready": True,
                                "home": home,
                                "api": url,
                                "log_server": ports["log_server"],
                                "trigger_log_server": ports["trigger_log_server"],
                                "logs": os.path.join(home, "logs"),
                                "prepare_seconds": round(prepared, 1),
                                "start_seconds": round(time.monotonic() - started, 1),
                            }
                        ),
                        flush=True,
                    )
                elif time.monotonic() - started > STARTUP_SECONDS:
                    print(json.dumps({"timeout": "the components did not become ready"}), flush=True)
                    status = 1
                    return
            ended.wait(0.3)
    finally:
        stop(children)
        # A deployment that failed keeps its home: its logs say why.
        if status == 0 and not os.environ.get("LOGWEAVE_KEEP_AIRFLOW"):
            shutil.rmtree(home, ignore_errors=True)
        sys.stdout.flush()
        # Not sys.exit: the thread blocked reading stdin would abort the
        # interpreter's shutdown.
        os._exit(status)


def token(home):
    url = api_url(home)
    login = urllib.request.Request(
        f"{url}/auth/token",
        data=json.dumps({"username": "admin", "password": USERS["admin"]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(login, timeout=30) as answer:
        return json.load(answer)["access_token"]


def api_url(home):
    with open(os.path.join(home, "ports.json")) as f:
        return f"http://127.0.0.1:{json.load(f)['api']}"


def call(home, method, path, body=None, accept="application/json"):
    request = urllib.request.Request(
        f"{api_url(home)}/api/v2/{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {token(home)}",
            "Accept": accept,
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=300) as answer:
        return answer.read()


def trigger(home, dag, conf="{}"):
    # SQLite lets one writer in at a time: while the scheduler and other
    # tests' runs write, the API server may give up on the lock after 5 s
    # and answer 500 (the run was not created: its transaction rolled back).
    for attempt in range(6):
        try:
            answer = call(home, "POST", f"dags/{dag}/dagRuns", {"logical_date": None, "conf": json.loads(conf)})
            break
        except urllib.error.HTTPError as error:
            if error.code not in (500, 503) or attempt == 5:
                raise
            print(f"trigger: HTTP {error.code}, trying again", file=sys.stderr)
            time.sleep(2 + attempt)
    print(json.loads(answer)["dag_run_id"])


def wait(home, dag, run, seconds):
    """Waits for the run to end; prints its state, or exits 1 on timeout."""
    deadline = time.monotonic() + float(seconds)
    quoted = urllib.parse.quote(run, safe="")
    state = None
    while time.monotonic() < deadline:
        state = json.loads(call(home, "GET", f"dags/{dag}/dagRuns/{quoted}"))["state"]
        if state in ("success", "failed"):
            print(state)
            return
        time.sleep(0.5)
    print(f"run {run} of {dag} did not end in {seconds} s (state {state})", file=sys.stderr)
    sys.exit(1)


def state(home, dag, run, task, map_index="-1"):
    """The task instance's state (`none` before it has one) and try number."""
    quoted = urllib.parse.quote(run, safe="")
    path = f"dags/{dag}/dagRuns/{quoted}/taskInstances/{task}"
    if map_index != "-1":
        path += f"/{map_index}"
    ti = json.loads(call(home, "GET", path))
    print(ti["state"] or "none", ti["try_number"])


def get(home, path, accept):
    sys.stdout.buffer.write(call(home, "GET", path, accept=accept))


def fail(home, dag, run):
    """Marks a run failed, as a user does in the UI: its tasks that have
    not run are skipped (the API answers while the scheduler holds
    SQLite's lock at times: asked again then)."""
    path = f"dags/{dag}/dagRuns/{urllib.parse.quote(run, safe='')}"
    for attempt in range(6):
        try:
            call(home, "PATCH", path, body={"state": "failed"})
            return
        except urllib.error.HTTPError as e:
            if e.code < 500 or attempt == 5:
                raise
            time.sleep(2)


if __name__ == "__main__":
    command, home, *args = sys.argv[1:]
    home = os.path.abspath(home)
    commands = {"serve": serve, "trigger": trigger, "wait": wait, "state": state, "get": get, "fail": fail}
    commands[command](home, *args)
