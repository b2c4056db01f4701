"""Runs a server for a test process and stops it when that process ends.

    python3 supervise.py COMMAND [ARGS...]

The test keeps this script's stdin open; when the test process exits, for
whatever reason, stdin reaches EOF and the server is terminated — no server
outlives the tests that started it.
"""

import subprocess
import sys
import threading

child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL)


def watch_stdin():
    sys.stdin.buffer.read()
    child.terminate()


threading.Thread(target=watch_stdin, daemon=True).start()
try:
    sys.exit(child.wait())
finally:
    if child.poll() is None:
        child.kill()
