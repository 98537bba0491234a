"""Distributed runs with real processes on loopback: ``python -m locust
--master`` and ``--slave`` subprocesses against a stdlib HTTP server in a
thread that counts every request it receives.

Heartbeats are every 0.2 s here so that missing peers are noticed fast.
"""

import json
import os
import random
import re
import signal
import socket
import sys
import time
import urllib.request

import pytest
import zmq

from support import free_port, free_port_pair
from support.locust_process import LocustProcess, csv_total

BEAT = "0.2"

LOCUSTFILE = '''
import json, os
from locust import HttpLocust, TaskSet, task, events

class Browse(TaskSet):
    @task
    def index(self):
        self.client.get("/")

class Heavy(HttpLocust):
    task_set = Browse
    min_wait = 10
    max_wait = 30
    weight = 3

class Light(HttpLocust):
    task_set = Browse
    min_wait = 10
    max_wait = 30
    weight = 1

_reports = [0]

def on_report(client_id, data, **kw):
    _reports[0] += 1
    data["custom"] = {"client": client_id, "n": _reports[0]}

received = []

def on_slave_report(client_id, data, **kw):
    received.append([client_id, data.get("custom")])

def on_quitting(**kw):
    path = os.environ.get("SLAVE_REPORTS")
    if path and received:
        with open(path, "w") as f:
            json.dump(received, f)

events.report_to_master += on_report
events.slave_report += on_slave_report
events.quitting += on_quitting
'''


@pytest.fixture
def target(counting_target):
    return counting_target


@pytest.fixture
def procs():
    started = []
    yield started
    for proc in started:
        proc.kill()


@pytest.fixture
def locustfile(tmp_path):
    (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
    return "locustfile.py"


def master(procs, tmp_path, port, args, env=None):
    proc = LocustProcess(["-f", "locustfile.py", "--master", "--master-bind-host", "127.0.0.1",
                 "--master-bind-port", str(port), "--heartbeat-interval", BEAT] + args,
                tmp_path, "master", env)
    procs.append(proc)
    return proc


def slave(procs, tmp_path, port, name, args=()):
    proc = LocustProcess(["-f", "locustfile.py", "--slave", "--master-port", str(port),
                 "--heartbeat-interval", BEAT] + list(args), tmp_path, name)
    procs.append(proc)
    return proc


def hatched(proc):
    """{class: users} from a slave's "All locusts hatched" line."""
    match = re.search(r"All locusts hatched: (.*)", proc.log)
    assert match, proc.log
    return {name: int(n) for name, n in re.findall(r"(\w+): (\d+)", match.group(1))}


def headless_run(procs, tmp_path, target, users, seconds, slaves=3, env=None):
    port = free_port_pair()
    boss = master(procs, tmp_path, port, [
        "--headless", "-u", str(users), "-r", "200", "-t", "%ds" % seconds,
        "--expect-slaves", str(slaves), "-H", target.url, "--csv", "run", "--only-summary"], env)
    workers = [slave(procs, tmp_path, port, "slave%d" % i) for i in range(slaves)]
    assert boss.wait() == 0, boss.log
    for proc in workers:
        assert proc.wait(timeout=15) == 0, proc.log
    return boss, workers


# ------------------------------------------------------------------ tests

def test_nine_users_over_three_slaves_and_exact_totals(procs, tmp_path, locustfile, target):
    reports = tmp_path / "reports.json"
    boss, workers = headless_run(procs, tmp_path, target, 9, 3,
                                 env={"SLAVE_REPORTS": str(reports)})
    counts = [hatched(proc) for proc in workers]
    assert sorted(sum(c.values()) for c in counts) == [3, 3, 3]
    assert sum(c.get("Heavy", 0) for c in counts) == 7  # 9 by weights 3:1
    requests, failures = csv_total(tmp_path / "run")
    assert failures == 0 and requests > 50
    # Every slave sent a final report before it stopped: nothing is lost.
    assert requests == target.count
    assert "Traceback" not in boss.log
    # report_to_master -> slave_report: each slave's custom data arrived.
    received = json.loads(reports.read_text())
    ids = {client for client, _ in received}
    assert len(ids) == 3
    for client, custom in received:
        assert custom["client"] == client and custom["n"] >= 1


def test_ten_users_over_three_slaves(procs, tmp_path, locustfile, target):
    boss, workers = headless_run(procs, tmp_path, target, 10, 2)
    counts = [hatched(proc) for proc in workers]
    assert sorted(sum(c.values()) for c in counts) == [3, 3, 4]
    assert sum(c.get("Heavy", 0) for c in counts) == 8
    assert sum(c.get("Light", 0) for c in counts) == 2
    assert "All slaves finished hatching: 10 users" in boss.log
    assert csv_total(tmp_path / "run")[0] == target.count


def test_a_killed_slave_is_named_in_the_summary_and_the_run_exits_1(procs, tmp_path, locustfile,
                                                                    target):
    port = free_port_pair()
    boss = master(procs, tmp_path, port, ["--headless", "-u", "6", "-r", "200", "-t", "4s",
                                          "--expect-slaves", "3", "-H", target.url,
                                          "--csv", "run", "--only-summary"])
    workers = [slave(procs, tmp_path, port, "slave%d" % i) for i in range(3)]
    boss.wait_log("All slaves finished hatching: 6 users")
    victim = workers[0]
    victim_id = re.search(r"Slave (\S+): connecting", victim.log).group(1)
    victim.popen.send_signal(signal.SIGKILL)
    boss.wait_log(r"marked missing, its 2 users are no longer counted")
    # The test goes on with the others, but what the victim measured in its
    # last report interval is lost: the summary says so, and the run fails.
    assert boss.wait() == 1, boss.log
    for proc in workers[1:]:
        assert proc.wait(timeout=15) == 0
    assert re.search(r"Slave %s went missing at \d\d:\d\d:\d\d with 2 users and never came "
                     r"back: the requests it made in its last report interval are not counted"
                     % victim_id, boss.out), boss.out
    requests, failures = csv_total(tmp_path / "run")
    assert failures == 0 and 0 < requests <= target.count


def test_slaves_stop_their_users_when_the_master_is_killed(procs, tmp_path, locustfile, target):
    port = free_port_pair()
    boss = master(procs, tmp_path, port, ["--headless", "-u", "4", "-r", "200", "-t", "60s",
                                          "--expect-slaves", "2", "-H", target.url])
    workers = [slave(procs, tmp_path, port, "slave%d" % i, ["--slave-exit-timeout", "1.5"])
               for i in range(2)]
    boss.wait_log("All slaves finished hatching: 4 users")
    boss.popen.send_signal(signal.SIGKILL)
    for proc in workers:
        assert proc.wait(timeout=15) == 1, proc.log
        assert "No message from the master" in proc.log and "exiting" in proc.log
    count = target.count
    time.sleep(0.5)
    assert target.count == count  # no user is left running


def test_malformed_frames_do_not_stop_the_master(procs, tmp_path, locustfile, target):
    port = free_port_pair()
    boss = master(procs, tmp_path, port, ["--headless", "-u", "2", "-r", "200", "-t", "1s",
                                          "--expect-slaves", "1", "-H", target.url,
                                          "--csv", "run", "--only-summary"])
    boss.wait_log("Master listening")
    rnd = random.Random(7)
    ctx = zmq.Context()
    try:
        socks = []
        for i in range(8):
            sock = ctx.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 2000)
            sock.setsockopt(zmq.IDENTITY, b"evil%d" % i)
            sock.connect("tcp://127.0.0.1:%d" % (port + i % 2))
            socks.append(sock)
        for i in range(1000):
            kind = i % 4
            if kind == 0:    # random bytes
                parts = [bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 200)))]
            elif kind == 1:  # several frames
                parts = [b"x"] * rnd.randrange(2, 5)
            elif kind == 2:  # msgpack of the wrong shape or type
                parts = [rnd.choice([b"\x93\xa4nope\xc0\xa1n", b"\x92\x01\x02", b"\x91\xc0",
                                     b"\x93\xa5stats\x01\xa5evil0", b"\xdd\xff\xff\xff\xff"])]
            else:            # a report from a slave nobody knows
                parts = [b"\x93\xa9heartbeat\xc0\xa5evil3"]
            socks[i % len(socks)].send_multipart(parts)
        # and raw TCP garbage, which is not even ZMTP
        for p in (port, port + 1):
            with socket.create_connection(("127.0.0.1", p)) as raw:
                raw.sendall(os.urandom(4096))
        for sock in socks:
            sock.close()
    finally:
        ctx.term()
    time.sleep(0.3)
    worker = slave(procs, tmp_path, port, "slave0")
    assert boss.wait() == 0, boss.log
    assert worker.wait(timeout=15) == 0
    assert csv_total(tmp_path / "run")[0] == target.count > 0
    # Logged, but rate-limited.
    assert 0 < boss.log.count("Dropped") <= 30


def test_processes_runs_and_merges(procs, tmp_path, locustfile, target):
    proc = LocustProcess(["-f", "locustfile.py", "--processes", "2", "--headless", "-u", "4", "-r", "200",
                 "-t", "2s", "-H", target.url, "--csv", "run", "--only-summary"],
                tmp_path, "processes")
    procs.append(proc)
    assert proc.wait() == 0, proc.log
    assert proc.log.count("reported as ready") == 2
    assert "All slaves finished hatching: 4 users" in proc.log
    requests, failures = csv_total(tmp_path / "run")
    assert requests == target.count > 0 and failures == 0
    assert "Total" in proc.out


def _get(url, data=None):
    with urllib.request.urlopen(url, data=data, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body.startswith(b"{") else body.decode()


def _poll(url, condition, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = _get(url)
        if condition(data):
            return data
        time.sleep(0.1)
    raise AssertionError("condition never met; last: %r" % (data,))


def test_web_ui_of_a_master_drives_every_slave(procs, tmp_path, locustfile, target):
    port = free_port_pair()
    web_port = free_port(avoid=(port, port + 1))
    boss = master(procs, tmp_path, port, ["--web-host", "127.0.0.1", "-P", str(web_port),
                                          "-H", target.url])
    workers = [slave(procs, tmp_path, port, "slave%d" % i) for i in range(2)]
    base = "http://127.0.0.1:%d" % web_port
    boss.wait_log("Starting web monitor")
    _poll(base + "/stats/requests", lambda d: d["slave_count"] == 2)
    assert 'id="slave-count">2<' in _get(base + "/")
    assert _get(base + "/swarm", b"locust_count=5&hatch_rate=100")["success"] is True
    data = _poll(base + "/stats/requests",
                 lambda d: d["state"] == "running" and d["user_count"] == 5)
    assert sorted(s["user_count"] for s in data["slaves"]) == [2, 3]
    assert {s["state"] for s in data["slaves"]} == {"running"}
    assert _get(base + "/stop")["success"] is True
    data = _poll(base + "/stats/requests", lambda d: d["state"] == "stopped")
    assert data["user_count"] == 0
    stopped_at = target.count
    time.sleep(0.3)
    assert target.count == stopped_at
    assert _get(base + "/swarm", b"locust_count=2&hatch_rate=100")["success"] is True
    _poll(base + "/stats/requests", lambda d: d["state"] == "running" and d["user_count"] == 2)
    assert _get(base + "/stats/reset") == "ok"
    boss.popen.send_signal(signal.SIGTERM)
    assert boss.wait() == 0, boss.log
    for proc in workers:
        assert proc.wait(timeout=15) == 0, proc.log


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"  # a zombie is dead
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_processes_children_die_with_a_killed_parent(procs, tmp_path, locustfile, target):
    parent = LocustProcess(["-f", "locustfile.py", "--processes", "2", "--web-host", "127.0.0.1",
                            "-P", str(free_port()), "-H", target.url], tmp_path, "parent")
    procs.append(parent)
    parent.wait_log(r"Currently 2 clients ready")
    pids = [int(p) for p in re.search(r"Started 2 slave processes: (\d+), (\d+)",
                                      parent.log).groups()]
    assert all(_alive(pid) for pid in pids)
    parent.popen.send_signal(signal.SIGKILL)
    parent.popen.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in pids)


def test_headless_master_gives_up_when_slaves_are_missing(procs, tmp_path, locustfile, target):
    port = free_port_pair()
    proc = master(procs, tmp_path, port, ["--headless", "-u", "2", "-t", "5s",
                                          "--expect-slaves", "2", "--expect-slaves-max-wait", "1.5",
                                          "-H", target.url])
    slave(procs, tmp_path, port, "slave0")
    assert proc.wait() == 1
    # 1 of 2, or 0 if the slave was slower to start than the wait
    assert re.search(r"only [01] of 2 slaves connected within 1.5 s", proc.log), proc.log
    assert "Traceback" not in proc.log
    assert "# reqs" not in proc.out   # no empty statistics tables while it waited
    assert target.count == 0
