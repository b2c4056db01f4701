"""A small HTTP file server with byte ranges, for logweave's tests.

Serves files under ROOT at /files/<path> with `Range:` support, at
/whole/<path> ignoring `Range:` (as some servers do), and at /flaky/<path>
with ranges but a 503 on every other request, and at /halfway/<path> with
ranges that stop working (500) from the middle of the file on, like a server
that dies part-way through a read (until POST /_heal), and at /cut/<path>
with files over 64 KiB sent half-way and the connection then closed, like
a server that drops a long answer mid-stream, and at /slow/<path> with
files over 64 KiB answered only after 3 s, like Airflow reading a whole
log before its first byte. Misbehaving on purpose: /html/<path> answers
every request `200` with an HTML login page, /shifted/<path> answers each
range one byte later than asked (saying so in `Content-Range`), /short/<path> sends half of
each range and closes the connection, /reset/<path> drops every third
connection without an answer, /stall/<path> sends half of any range from
the middle of the file on and then nothing more (holding the connection
open for a minute), like a server that hangs mid-answer, and /long/<path>
sends 100 bytes more than its Content-Length after each answer, and
/changed/<path> answers the first request for the file as it is and every
later one as if it had been rewritten to two thirds of its length, under the
same ETag. A query string is ignored. GET /_stats returns
the requests and body bytes served so far, and the most requests it had
at once, as JSON; POST /_reset zeroes them.

    python3 range_server.py ROOT PORT [LATENCY_MS [RATE_MB_S]]

With LATENCY_MS every answer waits that long before its first byte, and
with RATE_MB_S each connection sends at most that many MB a second: what
an object store in another building does (benchmarks; 0 = off).
"""

import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.abspath(sys.argv[1])
PORT = int(sys.argv[2])
LATENCY = float(sys.argv[3]) / 1000 if len(sys.argv) > 3 else 0.0
RATE = float(sys.argv[4]) * 1e6 if len(sys.argv) > 4 else 0.0
STATS = {"requests": 0, "bytes": 0, "most_at_once": 0}
ACTIVE = {"n": 0}
LOCK = threading.Lock()
FLAKY = {"n": 0}
HEALED = {"halfway": False}
CHANGED = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        if self.path == "/_reset":
            with LOCK:
                STATS.update(requests=0, bytes=0, most_at_once=0)
            self.reply(200, b"ok")
        elif self.path == "/_heal":
            HEALED["halfway"] = True
            self.reply(200, b"ok")
        else:
            self.reply(404, b"not found")

    def do_HEAD(self):
        self.serve(head=True)

    def do_GET(self):
        if self.path == "/_stats":
            with LOCK:
                body = json.dumps(STATS).encode()
            self.reply(200, body)
            return
        self.serve(head=False)

    def reply(self, status, body, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def serve(self, head):
        match = re.match(
            r"^/(files|whole|flaky|halfway|cut|slow|html|shifted|short|reset|stall|long|changed)/([^?]*)", self.path
        )
        if not match:
            self.reply(404, b"not found")
            return
        mode, rel = match.groups()
        if mode == "html":
            page = b"<!DOCTYPE html><html><body><form>Sign in</form></body></html>"
            self.reply(200, page, [("Content-Type", "text/html; charset=utf-8")])
            return
        if mode == "reset":
            with LOCK:
                FLAKY["n"] += 1
                drop = FLAKY["n"] % 3 == 0
            if drop:
                self.close_connection = True
                self.connection.shutdown(2)
                return
        if mode == "flaky":
            with LOCK:
                FLAKY["n"] += 1
                fail = FLAKY["n"] % 2 == 1
            if fail:
                self.reply(503, b"try again")
                return
        path = os.path.normpath(os.path.join(ROOT, rel))
        if not path.startswith(ROOT) or not os.path.isfile(path):
            self.reply(404, b"not found")
            return
        size = os.path.getsize(path)
        etag = f'"{int(os.path.getmtime(path) * 1e6)}-{size}"'
        if mode == "changed":
            with LOCK:
                CHANGED[rel] = CHANGED.get(rel, 0) + 1
                if CHANGED[rel] > 1:
                    size = size * 2 // 3
        if mode == "slow" and size > 64 * 1024:
            time.sleep(3)
        start, end, status = 0, size, 200
        wanted = self.headers.get("Range")
        if wanted and mode != "whole":
            m = re.match(r"bytes=(\d+)-(\d*)$", wanted)
            if m:
                start = int(m.group(1))
                end = min(size, int(m.group(2)) + 1) if m.group(2) else size
                if start >= size:
                    self.reply(416, b"", [("Content-Range", f"bytes */{size}")])
                    return
                status = 206
                if mode == "shifted" and end < size:
                    # Another range than asked for, said as such.
                    start, end = start + 1, end + 1
                if mode == "halfway" and start >= size // 2 and not HEALED["halfway"]:
                    self.reply(500, b"stopped answering")
                    return
        if LATENCY:
            time.sleep(LATENCY)
        self.send_response(status)
        self.send_header("Content-Length", str(end - start))
        self.send_header("ETag", etag)
        self.send_header("Accept-Ranges", "none" if mode == "whole" else "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
        self.end_headers()
        if head:
            return
        with LOCK:
            STATS["requests"] += 1
            ACTIVE["n"] += 1
            STATS["most_at_once"] = max(STATS["most_at_once"], ACTIVE["n"])
        try:
            self.send_body(path, mode, start, end)
        finally:
            with LOCK:
                ACTIVE["n"] -= 1

    def send_body(self, path, mode, start, end):
        if mode == "short":
            end = start + (end - start) // 2
            self.close_connection = True
        stall = mode == "stall" and start >= os.path.getsize(path) // 2
        if stall:
            end = start + (end - start) // 2
        if mode == "cut" and end - start > 64 * 1024:
            end = start + (end - start) // 2
            self.close_connection = True
        began = time.monotonic()
        sent = 0
        with open(path, "rb") as f:
            f.seek(start)
            left = end - start
            while left > 0:
                chunk = f.read(min(left, 64 * 1024 if RATE else 1 << 20))
                if RATE:
                    ahead = sent / RATE - (time.monotonic() - began)
                    if ahead > 0:
                        time.sleep(ahead)
                sent += len(chunk)
                if not chunk:
                    break
                try:
                    self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    break
                left -= len(chunk)
                with LOCK:
                    STATS["bytes"] += len(chunk)
        if mode == "long":
            try:
                self.wfile.write(b"X" * 99 + b"\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
        if stall:
            self.wfile.flush()
            time.sleep(60)
            self.close_connection = True


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    server.daemon_threads = True
    print(f"serving {ROOT} on 127.0.0.1:{PORT}", flush=True)
    server.serve_forever()
