"""The WSGI server against clients that never finish a request (slowloris).

The server runs in a subprocess (its own hub, its own memory), started with
a small ``header_timeout`` and ``max_connections``; the clients are plain
stdlib sockets of the test process.  It reports on SIGUSR1 (through the
engine's signal_handler) how many connections it holds, what it refused
and timed out, and the Python memory it has allocated (tracemalloc, which
does not depend on how the C allocator hands memory back).

Everything is checked by ordering and counts: the connections over the cap
are closed while the others are still held; the held ones are closed
although they keep sending; after they are gone the memory is back to where
it was.  Waits have generous bounds, only for a broken case.
"""

import json
import selectors
import signal
import socket
import subprocess
import sys
import time

import pytest

from support import child_env

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

HEADER_TIMEOUT = 4.0
CAP = 200
GUARD = 60.0       # seconds: a bound for a broken case, never a measurement
LINE = b"X-Padding: " + b"p" * 4000 + b"\r\n"

SERVER = r'''
import json, logging, signal, sys, tracemalloc
tracemalloc.start()
from locust.engine import Event, signal_handler, wsgi
wsgi.REFUSED_LOG_PERIOD = 1.0
logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(message)s")

def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]

server = wsgi.WSGIServer(("127.0.0.1", 0), app, header_timeout=float(sys.argv[1]),
                         max_connections=int(sys.argv[2]))
server.start()

def report():
    current, peak = tracemalloc.get_traced_memory()
    print(json.dumps({"open": server.connection_count, "refused": server.refused,
                      "head_timeouts": server.head_timeouts, "traced": current,
                      "peak": peak}), flush=True)

signal_handler(signal.SIGUSR1, report)
print(server.server_port, flush=True)
Event().wait()
'''


class Server:
    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(HEADER_TIMEOUT), str(CAP)], env=child_env(),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.strip().isdigit(), line + self.proc.stderr.read()
        self.port = int(line)

    def report(self):
        self.proc.send_signal(signal.SIGUSR1)
        return json.loads(self.proc.stdout.readline())

    def wait_for(self, predicate):
        deadline = time.monotonic() + GUARD
        while True:
            report = self.report()
            if predicate(report) or time.monotonic() > deadline:
                return report
            time.sleep(0.05)

    def close(self):
        self.proc.kill()
        _, err = self.proc.communicate(timeout=30)
        return err


class Client:
    """A raw socket that sent the start of a request head and never ends it."""

    def __init__(self, port, trickle):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n")
        self.sock.setblocking(False)
        self.trickle = trickle
        self.lines_sent = 0
        self.received = b""
        self.closed = False      # by the server: EOF or reset

    def poll(self):
        """Read what the server sent; True once the server closed the connection."""
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    self.closed = True
                    break
                self.received += data
        except BlockingIOError:
            pass
        except OSError:          # reset: the server closed with our bytes unread
            self.closed = True
        return self.closed

    def send_line(self):
        try:
            self.sock.send(LINE)
            self.lines_sent += 1
        except OSError:
            pass


def poll_until(clients, predicate, trickle=False):
    """Poll (and trickle) until ``predicate()``; False after the guard."""
    deadline = time.monotonic() + GUARD
    while not predicate():
        if time.monotonic() > deadline:
            return False
        for client in clients:
            if not client.closed and not client.poll() and trickle and client.trickle:
                client.send_line()
        time.sleep(0.25)
    return True


def test_slow_clients_are_capped_timed_out_and_leave_no_memory_behind():
    server = Server()
    clients = []
    try:
        # A complete request first: everything the server loads is loaded.
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            assert sock.recv(1024).startswith(b"HTTP/1.1 200")
        baseline = server.wait_for(lambda r: r["open"] == 0)["traced"]

        # Up to the cap: half silent after the first line, half sending a
        # 4 KB header line every quarter second (progress that must not
        # extend their deadline).
        held = [Client(server.port, trickle=i % 2 == 0) for i in range(CAP)]
        clients += held
        assert server.wait_for(lambda r: r["open"] == CAP)["open"] == CAP

        # Over the cap: closed at once, while the others are still held.
        over = [Client(server.port, trickle=False) for _ in range(CAP // 2)]
        clients += over
        assert poll_until(over, lambda: all(c.closed for c in over))
        report = server.report()
        assert report["open"] == CAP and report["refused"] == len(over)
        assert all(c.received == b"" for c in over)
        assert not any(c.closed for c in held)

        # The held ones trickle until the header timeout ends them all.
        assert poll_until(held, lambda: all(c.closed for c in held), trickle=True)
        report = server.wait_for(lambda r: r["open"] == 0)
        assert report["open"] == 0 and report["head_timeouts"] == CAP
        silent = [c for c in held if not c.trickle]
        assert all(c.received.startswith(b"HTTP/1.1 408 ") for c in silent)
        trickling = [c for c in held if c.trickle]
        assert min(c.lines_sent for c in trickling) >= 4   # kept sending, closed anyway

        # Memory: high while they were held, back down once they are gone
        # (no reference cycle keeps their buffers until a full collection).
        assert report["peak"] - baseline > 2_000_000
        assert report["traced"] - baseline < 500_000, report
    finally:
        for client in clients:
            client.sock.close()
        err = server.close()
    # One warning at the first refusal, one summary at the end of the period.
    assert err.count("connections open (max_connections): closing new ones") == 1, err
    assert err.count("%d more connections closed" % (len(over) - 1)) == 1, err


def test_a_slow_head_within_the_timeout_and_an_idle_keep_alive_are_served():
    server = Server()
    try:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sel = selectors.DefaultSelector()
            sel.register(sock, selectors.EVENT_READ)
            # A head in three pieces, well within the header timeout.
            for piece in (b"GET /a HTTP/1.1\r\n", b"Host: test\r\n", b"\r\n"):
                sock.sendall(piece)
                time.sleep(0.2)
            assert sel.select(GUARD) and sock.recv(4096).startswith(b"HTTP/1.1 200")
            # Idle between requests for longer than the header timeout: an
            # idle keep-alive connection is bounded by `timeout`, not by it.
            time.sleep(HEADER_TIMEOUT + 1.5)
            sock.sendall(b"GET /b HTTP/1.1\r\nHost: test\r\n\r\n")
            assert sel.select(GUARD) and sock.recv(4096).startswith(b"HTTP/1.1 200")
        assert server.report()["head_timeouts"] == 0
    finally:
        server.close()
