"""Distributed runs against hostile or unlucky peers, with real processes.

A master and real slaves run as ``python -m locust`` subprocesses against a
stdlib HTTP server that counts what it serves; the hostile peers are pyzmq
DEALER sockets of this process speaking the wire format (msgpack of
``[type, data, node_id]``). Heartbeats are every 0.2 s, so a peer silent
for 0.6 s is missing.
"""

import json
import re
import signal
import threading
import time
import urllib.request

import msgpack
import pytest
import zmq

from support import free_port, free_port_pair
from support.locust_process import LocustProcess, csv_total

BEAT = "0.2"

LOCUSTFILE = '''
from locust import HttpLocust, TaskSet, task

class Browse(TaskSet):
    @task
    def index(self):
        self.client.get("/")

class User(HttpLocust):
    task_set = Browse
    min_wait = 20
    max_wait = 40
'''


@pytest.fixture
def procs(tmp_path):
    (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
    started = []
    yield started
    for proc in started:
        if proc.popen.poll() is None:
            proc.popen.send_signal(signal.SIGCONT)
        proc.kill()


def master(procs, tmp_path, port, args):
    proc = LocustProcess(["-f", "locustfile.py", "--master", "--master-bind-host", "127.0.0.1",
                          "--master-bind-port", str(port), "--heartbeat-interval", BEAT] + args,
                         tmp_path, "master")
    procs.append(proc)
    return proc


def slave(procs, tmp_path, port, name):
    proc = LocustProcess(["-f", "locustfile.py", "--slave", "--master-port", str(port),
                          "--heartbeat-interval", BEAT, "--report-interval", "0.5"],
                         tmp_path, name)
    procs.append(proc)
    return proc


def frame(message_type, data, node):
    return msgpack.packb([message_type, data, node], use_bin_type=True)


def entry(name, **changes):
    now = time.time()
    data = {"name": name, "method": "GET", "last_request_timestamp": now, "start_time": now,
            "num_requests": 1, "num_failures": 0, "total_response_time": 10.0,
            "max_response_time": 10.0, "min_response_time": 10.0, "total_content_length": 5,
            "response_times": {100: 1}, "num_reqs_per_sec": {int(now): 1},
            "num_fail_per_sec": {}}
    data.update(changes)
    return data


class ScriptedSlave(threading.Thread):
    """A node that behaves like a slave on the wire (it beats, confirms hatches
    and stops, quits when told) but runs no users; the test makes it send
    whatever else it likes with :meth:`send`."""

    def __init__(self, port, node):
        super().__init__(daemon=True)
        self.node = node
        self.ctx = zmq.Context()
        self.main = self._connect(port)
        self.beats = self._connect(port + 1)
        self.outbox = []
        self.lock = threading.Lock()
        self.done = False

    def _connect(self, port):
        sock = self.ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.IDENTITY, self.node.encode())
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect("tcp://127.0.0.1:%d" % port)
        return sock

    def send(self, message_type, data):
        with self.lock:
            self.outbox.append(frame(message_type, data, self.node))

    def run(self):
        self.main.send(frame("client_ready", None, self.node))
        next_beat = 0
        while not self.done:
            if time.monotonic() >= next_beat:
                self.beats.send(frame("heartbeat", {"state": "running", "user_count": 0},
                                      self.node))
                next_beat = time.monotonic() + 0.1
            with self.lock:
                pending, self.outbox = self.outbox, []
            for item in pending:
                self.main.send(item)
            if self.main.poll(20):
                kind, data, _ = msgpack.unpackb(self.main.recv(), raw=False,
                                                strict_map_key=False)
                if kind == "hatch":
                    self.main.send(frame("hatch_complete", {"count": 0,
                                                            "generation": data["generation"]},
                                         self.node))
                elif kind == "stop":
                    self.main.send(frame("client_stopped", None, self.node))
                elif kind == "quit":
                    self.main.send(frame("quit", None, self.node))
                    self.done = True
        self.ctx.destroy(linger=500)


def _get(url, data=None):
    with urllib.request.urlopen(url, data=data, timeout=10) as response:
        return response.status, response.read()


def test_a_flood_of_client_ready_neither_hangs_the_master_nor_takes_the_slaves_share(
        procs, tmp_path, counting_target):
    # Each announcing node triggered a rebalance sent to every slave, and the
    # receive loop never yielded: the master hung, the real slave ended with
    # 0 users. Now nodes count only once they beat, and the loops yield.
    port = free_port_pair()
    boss = master(procs, tmp_path, port, ["--headless", "-u", "4", "-r", "100", "-t", "5s",
                                          "--expect-slaves", "1", "-H", counting_target.url,
                                          "--csv", "run", "--only-summary"])
    worker = slave(procs, tmp_path, port, "slave")
    boss.wait_log("All slaves finished hatching: 4 users")
    ctx = zmq.Context()
    ctx.set(zmq.MAX_SOCKETS, 2000)
    try:
        socks = []
        for i in range(1500):
            sock = ctx.socket(zmq.DEALER)
            sock.setsockopt(zmq.IDENTITY, b"fake%d" % i)
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect("tcp://127.0.0.1:%d" % port)
            socks.append(sock)
        for i, sock in enumerate(socks):
            sock.send(frame("client_ready", None, "fake%d" % i))
        # The master ends the test on time, by itself.
        assert boss.wait(timeout=40) == 0, boss.log
    finally:
        ctx.destroy(linger=0)
    assert worker.wait(timeout=15) == 0, worker.log
    assert "Rebalancing" not in boss.log
    assert re.search(r"Forgot \d+ nodes that announced themselves", boss.log), boss.log
    assert re.findall(r"All locusts hatched: User: (\d+)", worker.log) == ["4"]
    requests, failures = csv_total(tmp_path / "run")
    assert requests == counting_target.count > 0 and failures == 0


def test_absurd_reports_are_dropped_whole_and_the_dashboard_keeps_serving(
        procs, tmp_path, counting_target):
    port = free_port_pair()
    web = free_port(avoid=(port, port + 1))
    base = "http://127.0.0.1:%d" % web
    boss = master(procs, tmp_path, port, ["--web-host", "127.0.0.1", "-P", str(web),
                                          "-H", counting_target.url, "--csv", "run"])
    worker = slave(procs, tmp_path, port, "slave")
    boss.wait_log("reported as ready")
    evil = ScriptedSlave(port, "evil")
    evil.start()
    boss.wait_log("Client 'evil' reported as ready")
    assert _get(base + "/swarm", b"locust_count=4&hatch_rate=100")[0] == 200
    boss.wait_log("All slaves finished hatching")
    # Each broke the master's statistics before (an OverflowError in the CSV
    # writer and the routes, a negative average, a timestamp in the future,
    # sums of infinity, 60,000 invented names); a good entry rides along
    # with a bad one, so a partial merge would show.
    for bad in ({"response_times": {10 ** 6: 1}},
                {"total_response_time": -1e9, "min_response_time": -5.0},
                {"last_request_timestamp": 1e300},
                {"total_response_time": 1e308, "max_response_time": 1e308}):
        evil.send("stats", {"stats": [entry("/from-evil"), entry("/bad", **bad)],
                            "errors": {}, "user_count": 0})
    evil.send("stats", {"stats": [entry("/n%d" % i) for i in range(60000)], "errors": {},
                        "user_count": 0})
    boss.wait_log(r"Dropped a malformed message from b'evil'")
    time.sleep(1.0)
    for path in ("/stats/requests", "/stats/requests/csv", "/stats/distribution/csv"):
        status, body = _get(base + path)
        assert status == 200 and b"/from-evil" not in body and b"/bad" not in body, path
    data = json.loads(_get(base + "/stats/requests")[1])
    assert all(row["avg_response_time"] >= 0 for row in data["stats"])
    assert _get(base + "/stop")[0] == 200
    boss.popen.send_signal(signal.SIGTERM)
    assert boss.wait() == 0, boss.log
    assert worker.wait(timeout=15) == 0
    evil.join(timeout=10)
    assert "Traceback" not in boss.log
    # One rate-limited line per bad report (a burst of 10, then a count).
    assert 1 <= boss.log.count("Dropped a malformed message from b'evil'") <= 10
    requests, failures = csv_total(tmp_path / "run")
    assert requests == counting_target.count > 0 and failures == 0


def test_a_frozen_slave_loses_nothing(procs, tmp_path, counting_target):
    # SIGSTOP, then SIGCONT: the slave wakes, stops its users (no master for
    # too long), the master's rebalance arrives: what it measured meanwhile
    # is sent, not cleared by the new hatch.
    port = free_port_pair()
    boss = master(procs, tmp_path, port, ["--headless", "-u", "6", "-r", "100", "-t", "7s",
                                          "--expect-slaves", "2", "-H", counting_target.url,
                                          "--csv", "run", "--only-summary"])
    workers = [slave(procs, tmp_path, port, "slave%d" % i) for i in range(2)]
    boss.wait_log("All slaves finished hatching: 6 users")
    time.sleep(0.5)
    workers[0].popen.send_signal(signal.SIGSTOP)
    boss.wait_log("marked missing")
    time.sleep(1.0)
    workers[0].popen.send_signal(signal.SIGCONT)
    boss.wait_log(r"Slave \S+ is back")
    assert boss.wait(timeout=40) == 0, boss.log
    for proc in workers:
        assert proc.wait(timeout=15) == 0, proc.log
    requests, failures = csv_total(tmp_path / "run")
    assert requests == counting_target.count > 0 and failures == 0
    assert re.search(r"Slave \S+ was missing from \d\d:\d\d:\d\d to \d\d:\d\d:\d\d", boss.out)
