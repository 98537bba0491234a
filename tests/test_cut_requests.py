"""Requests cut by a stop are counted (locust/runners.py, locust/clients.py).

A request still on the wire when a stopping user's grace (``--stop-timeout``,
default 5 s) runs out is killed; the target may have received it, so it is
counted, as a failure with its own error, and the run exits 1. Real
``python -m locust`` processes against stdlib servers in threads that count
what they received: one that never answers, one that answers 1 byte/s.
"""

import csv
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from support.locust_process import csv_total, run_locust

LOCUSTFILE = '''
from locust import HttpLocust, TaskSet, task

class Browse(TaskSet):
    @task
    def index(self):
        self.client.get("/slow")

class User(HttpLocust):
    task_set = Browse
    min_wait = 0
    max_wait = 0
'''


class _Silent(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        with self.server.lock:
            self.server.count += 1
        try:
            while self.connection.recv(1):  # until the client goes
                pass
        except OSError:
            pass
        self.close_connection = True


class _OneBytePerSecond(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        with self.server.lock:
            self.server.count += 1
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        try:
            for _ in range(3):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(1)
        except OSError:
            pass


class _Target(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler):
        super().__init__(("127.0.0.1", 0), handler)
        self.count = 0
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def handle_error(self, request, client_address):
        pass

    def close(self):
        self.shutdown()
        self.server_close()


@pytest.fixture
def target(request):
    server = _Target(request.param)
    yield server
    server.close()


def _errors(prefix):
    with open(str(prefix) + "_failures.csv", newline="") as f:
        return [(row["Name"], row["Error"], int(row["Occurrences"])) for row in csv.DictReader(f)]


@pytest.mark.parametrize("target", [_Silent], indirect=True)
def test_requests_a_stop_cuts_are_failures_and_the_run_exits_1(tmp_path, target):
    # Before: the target received 10 requests, the tool reported none and exited 0.
    (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
    url = "http://127.0.0.1:%d" % target.server_address[1]
    result = run_locust(["--headless", "-u", "5", "-r", "100", "-t", "1s", "--stop-timeout", "1",
                         "-H", url, "--csv", "run", "--only-summary"], tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert csv_total(tmp_path / "run") == (0, target.count) and target.count == 5
    (name, error, occurrences), = _errors(tmp_path / "run")
    assert (name, occurrences) == ("/slow", 5)
    assert "request interrupted by stop after 1 s" in error


@pytest.mark.parametrize("target", [_OneBytePerSecond], indirect=True)
def test_a_slow_body_is_counted_once_finished_or_cut(tmp_path, target):
    # Each answer takes 2-3 s: a stop 4 s in finds users in the middle of a
    # request, and cuts it 1 s later. Before: half of 20 were lost.
    (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
    url = "http://127.0.0.1:%d" % target.server_address[1]
    result = run_locust(["--headless", "-u", "4", "-r", "100", "-t", "4s", "--stop-timeout", "1",
                         "-H", url, "--csv", "run", "--only-summary"], tmp_path)
    assert result.returncode == 1, result.stderr
    requests, failures = csv_total(tmp_path / "run")
    assert requests + failures == target.count and requests >= 4 and failures >= 1
    assert all("request interrupted by stop after 1 s" in error
               for _name, error, _n in _errors(tmp_path / "run"))
