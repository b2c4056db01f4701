"""Smoke test of an installed logweave wheel, run by .ci/run.

    python tests/wheel/smoke.py VENV

VENV is a fresh virtual environment the wheel was installed into. Checks,
with nothing but VENV/bin on PATH for logweave: `logweave --version`,
`logweave --print` on a generated attempt (byte-exact against the build
tree's binary is not possible here, so against its own order and size),
`logweave demo` in a pseudo-terminal (first screen, then `q`), and that
`man logweave` finds the page the wheel installed. Exits non-zero with the
reason on the first failure.
"""

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time


def fail(message):
    print(f"wheel smoke test: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    venv = os.path.abspath(sys.argv[1])
    binary = os.path.join(venv, "bin", "logweave")
    if not os.access(binary, os.X_OK):
        fail(f"{binary} is not installed")
    env = dict(os.environ)
    env["PATH"] = os.path.join(venv, "bin") + os.pathsep + env.get("PATH", "")
    home = tempfile.mkdtemp(prefix="logweave-wheel-home-")
    env["HOME"] = home
    env["XDG_CACHE_HOME"] = os.path.join(home, "cache")
    env["XDG_CONFIG_HOME"] = os.path.join(home, "config")
    env["TZ"] = "UTC"

    version = subprocess.run(["logweave", "--version"], env=env, capture_output=True, text=True)
    if version.returncode != 0 or not re.match(r"logweave \d+\.\d+\.\d+ \(commit [0-9a-f]{12}\)", version.stdout):
        fail(f"--version said {version.stdout!r} {version.stderr!r}")
    print(f"installed: {version.stdout.strip()}")

    attempt = os.path.join(home, "attempt")
    gen = subprocess.run(["logweave", "gen", "--out", attempt, "--size", "2MB"], env=env, capture_output=True)
    if gen.returncode != 0:
        fail(f"gen failed: {gen.stderr!r}")
    printed = subprocess.run(["logweave", "--print", attempt], env=env, capture_output=True)
    if printed.returncode != 0:
        fail(f"--print failed: {printed.stderr!r}")
    lines = printed.stdout.splitlines()
    stamps = [l[1:29] for l in lines if l.startswith(b"[2")]
    if len(lines) < 1000 or stamps != sorted(stamps):
        fail(f"--print gave {len(lines)} lines, in order: {stamps == sorted(stamps)}")
    print(f"--print: {len(lines)} lines in time order")

    demo_first_screen(env)

    where = subprocess.run(["man", "-w", "logweave"], env=env, capture_output=True, text=True)
    if where.returncode != 0 or not where.stdout.strip().startswith(venv):
        fail(f"man -w logweave found {where.stdout.strip()!r} {where.stderr.strip()!r}, not the wheel's page")
    print(f"man page: {where.stdout.strip()}")
    print("smoke: 4 passed, 0 failed")


def demo_first_screen(env):
    pid, fd = pty.fork()
    if pid == 0:
        # A terminal of 24 rows and 100 columns (a pty starts as 0×0).
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        os.environ.clear()
        os.environ.update(env)
        os.environ["TERM"] = "xterm-256color"
        os.execvp("logweave", ["logweave", "demo"])
    screen = b""
    deadline = time.monotonic() + 60
    try:
        while b"help" not in screen:
            if time.monotonic() > deadline:
                fail(f"demo showed no status bar within 60 s; got {screen[-400:]!r}")
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    screen += os.read(fd, 65536)
                except OSError:
                    fail(f"demo exited early: {screen[-400:]!r}")
        os.write(fd, b"q")
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                if os.waitstatus_to_exitcode(status) != 0:
                    fail(f"demo exited with {os.waitstatus_to_exitcode(status)}")
                print("demo: first screen shown in a pty, q quit it")
                return
            try:
                select.select([fd], [], [], 0.1)
                os.read(fd, 65536)
            except OSError:
                pass
        fail("demo did not quit on q")
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


if __name__ == "__main__":
    main()
