#!/usr/bin/env python3
"""Hostile peers, huge inputs and cut requests: figures for the reliability fixes.

Each scenario starts real ``python -m locust`` processes on loopback against a
stdlib HTTP target in a thread of this script (it counts what it served), does
what an attacker or an unlucky user would, and prints one line of figures.
Nothing is asserted: the tests in tests/ do that.

    flock /tmp/locust-bench.lock python bench/hostile.py SCENARIO [...]

The code measured is the ``locust`` package this interpreter imports; set
PYTHONPATH to another tree to measure it instead (before/after, side by side).

Scenarios: flood [frames], flood_sigterm [frames], huge_count, huge_swarm, hostile_stats, cut_by_stop,
slow_body, frozen_slave, killed_slave, bad_port, insecure, names_csv,
report_interval [seconds], million.
"""

import http.server
import os
import re
import resource
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import msgpack
import zmq

HZ = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ targets

class _Counting(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_GET(self):
        with self.server.lock:
            self.server.count += 1
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Target(http.server.ThreadingHTTPServer):
    """A stdlib HTTP server in a thread counting the requests it served."""

    daemon_threads = True
    request_queue_size = 1024

    def __init__(self, handler=_Counting):
        super().__init__(("127.0.0.1", 0), handler)
        self.count = 0
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]

    def handle_error(self, request, client_address):
        pass


class _Silent(http.server.BaseHTTPRequestHandler):
    """Reads a request, counts it, never answers (until the client goes)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        with self.server.lock:
            self.server.count += 1
        try:
            while self.connection.recv(1):
                pass
        except OSError:
            pass
        self.close_connection = True


class _OneBytePerSecond(http.server.BaseHTTPRequestHandler):
    """Answers 20 bytes of body at 1 byte per second."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        with self.server.lock:
            self.server.count += 1
        self.send_response(200)
        self.send_header("Content-Length", "20")
        self.end_headers()
        self.wfile.flush()
        try:
            for _ in range(20):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(1)
        except OSError:
            pass


# ---------------------------------------------------------------- processes

def free_port_pair():
    while True:
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            with socket.socket() as b:
                try:
                    b.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
        return port


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: Address space of each locust process (MB): the machine is shared, and the
#: code measured "before" a fix may try to hold a billion users.
MEMORY_LIMIT_MB = int(os.environ.get("HOSTILE_MEMORY_LIMIT_MB", "6000"))


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_MB << 20, MEMORY_LIMIT_MB << 20))


class Proc:
    """A locust process with its output in files."""

    def __init__(self, args, cwd, name):
        self.err_path = os.path.join(cwd, name + ".err")
        self.out_path = os.path.join(cwd, name + ".out")
        with open(self.err_path, "w") as err, open(self.out_path, "w") as out:
            self.popen = subprocess.Popen([sys.executable, "-m", "locust"] + args, cwd=cwd,
                                          stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                          preexec_fn=_limit_memory)
        self.pid = self.popen.pid
        # Opened now: a scenario may use up this process's file descriptors.
        self._stat = open("/proc/%d/stat" % self.pid)  # noqa: SIM115 - kept open on purpose
        self._status = open("/proc/%d/status" % self.pid)  # noqa: SIM115

    @property
    def log(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    @property
    def out(self):
        with open(self.out_path, errors="replace") as f:
            return f.read()

    def wait_log(self, pattern, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.log):
                return True
            if self.popen.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def cpu(self):
        try:
            self._stat.seek(0)
            fields = self._stat.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / HZ
        except (OSError, IndexError):
            return None

    def rss_mb(self):
        try:
            self._status.seek(0)
            for line in self._status.read().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def sigterm_exit_time(self, limit=30.0):
        """SIGTERM; seconds until it exits (None: still alive after ``limit``, then SIGKILLed)."""
        if self.popen.poll() is not None:
            return 0.0
        start = time.monotonic()
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=limit)
            return time.monotonic() - start
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            return None

    def kill(self):
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()


LOCUSTFILE = '''
from locust import HttpLocust, TaskSet, task, Locust

class Browse(TaskSet):
    @task
    def index(self):
        self.client.get("/")

class User(HttpLocust):
    task_set = Browse
    min_wait = 50
    max_wait = 100
'''

IDLE_LOCUSTFILE = '''
from locust import Locust, TaskSet, task

class Nothing(TaskSet):
    @task
    def nothing(self):
        pass

class Idle(Locust):
    task_set = Nothing
    min_wait = 60000
    max_wait = 60000
'''

NAMES_LOCUSTFILE = '''
import itertools
from locust import HttpLocust, TaskSet, task
_n = itertools.count()

class Browse(TaskSet):
    @task
    def index(self):
        self.client.get("/item/%d" % next(_n))

class User(HttpLocust):
    task_set = Browse
    min_wait = 0
    max_wait = 0
'''

INSECURE_LOCUSTFILE = '''
from locust import HttpLocust, TaskSet, task

class Browse(TaskSet):
    @task
    def index(self):
        self.client.get("/", verify=False)

class User(HttpLocust):
    task_set = Browse
    min_wait = 0
    max_wait = 0
'''


def workdir(text=LOCUSTFILE):
    path = tempfile.mkdtemp(prefix="hostile-")
    with open(os.path.join(path, "locustfile.py"), "w") as f:
        f.write(text)
    return path


def csv_total(cwd, prefix="run"):
    try:
        with open(os.path.join(cwd, prefix + "_requests.csv")) as f:
            for line in f:
                if '"Total"' in line:
                    cells = line.split(",")
                    return int(cells[2]), int(cells[3])
    except OSError:
        pass
    return None


def master_args(port, beat="1", extra=()):
    return ["-f", "locustfile.py", "--master", "--master-bind-host", "127.0.0.1",
            "--master-bind-port", str(port), "--heartbeat-interval", beat] + list(extra)


def slave_args(port, beat="1", extra=()):
    return ["-f", "locustfile.py", "--slave", "--master-port", str(port),
            "--heartbeat-interval", beat] + list(extra)


def finish(proc, deadline_s):
    """Wait for ``proc`` until ``deadline_s`` (monotonic); then SIGTERM. Returns
    (exit status or None, seconds to exit after SIGTERM or 'no signal')."""
    remaining = deadline_s - time.monotonic()
    try:
        return proc.popen.wait(timeout=max(0.1, remaining)), "exited on its own"
    except subprocess.TimeoutExpired:
        took = proc.sigterm_exit_time()
        return proc.popen.returncode, ("%.1f s after SIGTERM" % took if took is not None
                                       else "still alive 30 s after SIGTERM: SIGKILLed")


def _fake_nodes(port, count, prefix):
    ctx = zmq.Context()
    ctx.set(zmq.MAX_SOCKETS, count + 100)  # libzmq's default is 1,023 sockets
    socks = []
    for i in range(count):
        sock = ctx.socket(zmq.DEALER)
        node = "%s%d" % (prefix, i)
        sock.setsockopt(zmq.IDENTITY, node.encode())
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect("tcp://127.0.0.1:%d" % port)
        socks.append((sock, node))
    return ctx, socks


# ---------------------------------------------------------------- scenarios

def flood(frames="10000"):
    """10,000 client_ready frames (one per fake node) in ~4 s into a 20 s test."""
    frames = int(frames)
    target = Target()
    cwd = workdir()
    port = free_port_pair()
    boss = Proc(master_args(port, extra=["--headless", "-u", "4", "-r", "100", "-t", "20s",
                                         "--expect-slaves", "1", "-H", target.url,
                                         "--csv", "run", "--only-summary"]), cwd, "master")
    worker = Proc(slave_args(port), cwd, "slave")
    boss.wait_log("All slaves finished hatching")
    started = time.monotonic()
    ctx, socks = _fake_nodes(port, frames, "fake")
    time.sleep(1.0)  # connections up
    cpu0, t0 = boss.cpu(), time.monotonic()
    for i, (sock, node) in enumerate(socks):
        sock.send(msgpack.packb(["client_ready", None, node]))
        if i % 250 == 249:
            time.sleep(0.1)
    sent_s = time.monotonic() - t0
    samples = []
    while time.monotonic() - t0 < 12 and boss.popen.poll() is None:
        time.sleep(1)
        samples.append((boss.cpu(), boss.rss_mb()))
    cpu1, t1 = boss.cpu(), time.monotonic()
    peak_rss = max((s[1] or 0) for s in samples) if samples else None
    code, how = finish(boss, started + 30)
    worker_code, worker_how = finish(worker, time.monotonic() + 15)
    for sock, _ in socks:
        sock.close()
    ctx.term()
    users = re.findall(r"All locusts hatched: (.*)", worker.log)
    print("flood frames=%d sent_in=%.1fs master_cpu=%.0f%% (12 s after the flood began) "
          "master_peak_rss=%.0fMB master: exit %s, %s; slave: exit %s, %s; slave hatches: %s; "
          "target served %d, reported %s; rebalances logged %d" % (
              frames, sent_s, 100 * (cpu1 - cpu0) / (t1 - t0) if cpu1 is not None else -1,
              peak_rss or -1, code, how, worker_code, worker_how, users[-3:], target.count,
              csv_total(cwd), boss.log.count("Rebalancing")))


def flood_sigterm(frames="10000"):
    """SIGTERM the master 2 s into a flood of client_ready frames: time to exit."""
    frames = int(frames)
    target = Target()
    cwd = workdir()
    port = free_port_pair()
    boss = Proc(master_args(port, extra=["--headless", "-u", "4", "-r", "100", "-t", "60s",
                                         "--expect-slaves", "1", "-H", target.url,
                                         "--only-summary"]), cwd, "master")
    worker = Proc(slave_args(port), cwd, "slave")
    boss.wait_log("All slaves finished hatching")
    ctx, socks = _fake_nodes(port, frames, "fake")
    time.sleep(1.0)
    started = time.monotonic()
    for i, (sock, node) in enumerate(socks):
        sock.send(msgpack.packb(["client_ready", None, node]))
        if i % 250 == 249:
            time.sleep(0.1)
        if time.monotonic() - started >= 2 and boss.popen.poll() is None and i % 250 == 249:
            break
    took = boss.sigterm_exit_time(30)
    finish(worker, time.monotonic() + 15)
    for sock, _ in socks:
        sock.close()
    ctx.term()
    print("flood_sigterm: %d frames sent, then SIGTERM -> %s; master exit %s" % (
        i + 1, "%.1f s" % took if took is not None else "alive after 30 s (SIGKILL)",
        boss.popen.returncode))


def huge_count():
    """-c 1000000000 headless: RSS growth and the time to exit after SIGTERM."""
    target = Target()
    cwd = workdir()
    proc = Proc(["-f", "locustfile.py", "--headless", "-c", "1000000000", "-r", "10", "-t", "60s",
                 "-H", target.url], cwd, "huge")
    time.sleep(1.5)
    rss0 = proc.rss_mb()
    time.sleep(3)
    rss1 = proc.rss_mb()
    code = proc.popen.poll()
    took = proc.sigterm_exit_time(20)
    print("huge_count: exit before SIGTERM: %s; RSS %.0f -> %.0f MB in 3 s; SIGTERM -> %s; "
          "stderr: %s" % (code, rss0 or -1, rss1 or -1,
                          "%.1f s" % took if took is not None else "alive after 20 s (SIGKILL)",
                          proc.log.strip().splitlines()[-1:] if proc.log.strip() else ""))


def huge_swarm():
    """POST /swarm locust_count=10**30 to the dashboard."""
    target = Target()
    cwd = workdir()
    web = free_port()
    proc = Proc(["-f", "locustfile.py", "--web-host", "127.0.0.1", "-P", str(web),
                 "-H", target.url], cwd, "web")
    proc.wait_log("Starting web monitor")
    time.sleep(0.5)
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/swarm" % web,
                                    data=("locust_count=%d&hatch_rate=10" % 10**30).encode(),
                                    timeout=10) as r:
            answer = "%d %s" % (r.status, r.read()[:100])
    except urllib.error.HTTPError as exc:
        answer = "%d %s" % (exc.code, exc.read()[:120])
    except OSError as exc:
        answer = "no answer (%s)" % exc
    rss0 = proc.rss_mb()
    time.sleep(3)
    rss1 = proc.rss_mb()
    took = proc.sigterm_exit_time(20)
    print("huge_swarm: answer %s; RSS %.0f -> %.0f MB in 3 s; SIGTERM -> %s" % (
        answer, rss0 or -1, rss1 or -1,
        "%.1f s" % took if took is not None else "alive after 20 s (SIGKILL)"))


def _entry(name, **over):
    now = time.time()
    entry = {"name": name, "method": "GET", "last_request_timestamp": now, "start_time": now,
             "num_requests": 1, "num_failures": 0, "total_response_time": 10.0,
             "max_response_time": 10.0, "min_response_time": 10.0, "total_content_length": 5,
             "response_times": {100: 1}, "num_reqs_per_sec": {int(now): 1},
             "num_fail_per_sec": {}}
    entry.update(over)
    return entry


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError as exc:
        return "no answer (%s)" % type(exc).__name__


def hostile_stats():
    """A fake node that announced itself (and beats, so it counts as a slave)
    sends correctly typed but absurd reports to a master with a dashboard."""
    target = Target()
    cwd = workdir()
    port = free_port_pair()
    web = free_port()
    base = "http://127.0.0.1:%d" % web
    boss = Proc(master_args(port, extra=["--web-host", "127.0.0.1", "-P", str(web),
                                         "-H", target.url, "--csv", "run"]), cwd, "master")
    worker = Proc(slave_args(port), cwd, "slave")
    boss.wait_log("reported as ready")
    urllib.request.urlopen(base + "/swarm", data=b"locust_count=2&hatch_rate=100", timeout=10).read()
    ctx, socks = _fake_nodes(port, 1, "evil")
    sock, node = socks[0]
    beats = ctx.socket(zmq.DEALER)
    beats.setsockopt(zmq.IDENTITY, node.encode())
    beats.setsockopt(zmq.LINGER, 0)
    beats.connect("tcp://127.0.0.1:%d" % (port + 1))
    time.sleep(0.5)
    sock.send(msgpack.packb(["client_ready", None, node]))
    for _ in range(3):
        beats.send(msgpack.packb(["heartbeat", {"state": "running", "user_count": 0}, node]))
        time.sleep(0.3)
    reports = [
        [_entry("/big-bucket", response_times={10**6: 1})],
        [_entry("/negative", total_response_time=-1e9, min_response_time=-5.0,
                total_content_length=-10**9)],
        [_entry("/future", last_request_timestamp=1e300)],
        [_entry("/inf", total_response_time=1e308, max_response_time=1e308)],
        [_entry("/n%d" % i) for i in range(60000)],
    ]
    for stats in reports:
        data = {"stats": stats, "errors": {}, "user_count": 0}
        sock.send(msgpack.packb(["stats", data, node], use_bin_type=True))
    time.sleep(3)
    routes = {path: _get(base + path) for path in
              ("/stats/requests", "/stats/requests/csv", "/stats/distribution/csv")}
    rss = boss.rss_mb()
    _get(base + "/stop")
    time.sleep(1)
    code = boss.popen.poll()
    took = boss.sigterm_exit_time()
    finish(worker, time.monotonic() + 15)
    sock.close()
    beats.close()
    ctx.term()
    print("hostile_stats: routes %s; master RSS %.0f MB; exit %s (%s after SIGTERM); traceback "
          "in log: %s; target served %d, reported %s; 'Dropped' lines: %d; summary rows: %d" % (
              routes, rss or -1, boss.popen.returncode if code is None else code, took,
              "Traceback" in boss.log, target.count, csv_total(cwd), boss.log.count("Dropped"),
              boss.out.count("\n")))


def _cut(handler, name, users, seconds):
    target = Target(handler)
    cwd = workdir()
    proc = Proc(["-f", "locustfile.py", "--headless", "-u", str(users), "-r", "100",
                 "-t", "%ds" % seconds, "-H", target.url, "--csv", "run", "--only-summary"],
                cwd, name)
    started = time.monotonic()
    code, how = finish(proc, started + seconds + 30)
    print("%s: target received %d, reported (requests, failures) %s, exit %s (%s, %.1f s); "
          "errors: %s" % (name, target.count, csv_total(cwd), code, how,
                          time.monotonic() - started,
                          re.findall(r"\d+\s+GET /: (.*)", proc.out)[:2]))


def cut_by_stop():
    """A target that never answers: requests cut by the stop."""
    _cut(_Silent, "cut_by_stop", 10, 2)


def slow_body():
    """A target that answers 1 byte/s: 20 users, the stop cuts some."""
    _cut(_OneBytePerSecond, "slow_body", 20, 8)


def _distributed(name, slaves, seconds, action, beat="1", extra_master=()):
    target = Target()
    cwd = workdir()
    port = free_port_pair()
    boss = Proc(master_args(port, beat, ["--headless", "-u", "30", "-r", "100",
                                         "-t", "%ds" % seconds, "--expect-slaves", str(slaves),
                                         "-H", target.url, "--csv", "run", "--only-summary"]
                            + list(extra_master)), cwd, "master")
    workers = [Proc(slave_args(port, beat), cwd, "slave%d" % i) for i in range(slaves)]
    boss.wait_log("All slaves finished hatching")
    action(workers)
    code, how = finish(boss, time.monotonic() + seconds + 30)
    for w in workers:
        finish(w, time.monotonic() + 15)
    total = csv_total(cwd)
    reported = total[0] + total[1] if total else 0
    print("%s: master exit %s (%s); target served %d, reported %s (lost %d); "
          "missing lines: %s" % (name, code, how, target.count, total, target.count - reported,
                                 re.findall(r"(missing.*)", boss.out + boss.log)[:3]))


def frozen_slave():
    """SIGSTOP one of two slaves for 10 s, then SIGCONT."""
    def action(workers):
        time.sleep(2)
        workers[0].popen.send_signal(signal.SIGSTOP)
        time.sleep(10)
        workers[0].popen.send_signal(signal.SIGCONT)
    _distributed("frozen_slave", 2, 18, action)


def killed_slave():
    """SIGKILL one of three slaves mid-run."""
    def action(workers):
        time.sleep(4)
        workers[0].popen.send_signal(signal.SIGKILL)
    _distributed("killed_slave", 3, 10, action)


def bad_port():
    """-H with a port out of range."""
    cwd = workdir()
    r = subprocess.run([sys.executable, "-m", "locust", "-f", "locustfile.py", "--headless",
                        "-u", "1", "-t", "2s", "-H", "http://127.0.0.1:99999"], cwd=cwd,
                       capture_output=True, text=True, timeout=60)
    print("bad_port: exit %d, tracebacks %d, stderr lines %d: %s" % (
        r.returncode, r.stderr.count("Traceback"), len(r.stderr.splitlines()),
        r.stderr.strip().splitlines()[-1:]))
    r = subprocess.run([sys.executable, "-m", "locust", "-f", "locustfile.py", "--web-auth",
                        "nocolon", "-H", "http://127.0.0.1:8080", "-P", str(free_port())],
                       cwd=cwd, capture_output=True, text=True, timeout=60)
    print("web_auth: exit %d, stderr: %s" % (r.returncode, r.stderr.strip().splitlines()[-1:]))


def insecure():
    """verify=False against an HTTPS target for 10 s: stderr bytes."""
    cwd = workdir(INSECURE_LOCUSTFILE)
    key, cert = os.path.join(cwd, "key.pem"), os.path.join(cwd, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True)
    target = Target()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    target.socket = context.wrap_socket(target.socket, server_side=True)
    url = "https://127.0.0.1:%d" % target.server_address[1]
    proc = Proc(["-f", "locustfile.py", "--headless", "-u", "2", "-r", "10", "-t", "10s",
                 "-H", url, "--only-summary"], cwd, "insecure")
    proc.popen.wait(timeout=60)
    print("insecure: target served %d; stderr %d bytes, InsecureRequestWarning lines %d" % (
        target.count, os.path.getsize(proc.err_path), proc.log.count("InsecureRequestWarning")))


def names_csv():
    """Distinct names every request, 15 s, with and without --csv: requests served."""
    for csv in (False, True):
        target = Target()
        cwd = workdir(NAMES_LOCUSTFILE)
        args = ["-f", "locustfile.py", "--headless", "-u", "10", "-r", "100", "-t", "15s",
                "-H", target.url, "--only-summary"] + (["--csv", "run"] if csv else [])
        proc = Proc(args, cwd, "names")
        peak = 0
        while proc.popen.poll() is None:
            peak = max(peak, proc.rss_mb() or 0)
            time.sleep(0.5)
        print("names_csv csv=%s: target served %d; peak RSS %.0f MB; warnings about names: %d"
              % (csv, target.count, peak, proc.log.count("name=")))


def report_interval(seconds="3"):
    """The master's CPU with 3 slaves and 30 users for 20 s at --report-interval S."""
    target = Target()
    cwd = workdir()
    port = free_port_pair()
    extra = ["--report-interval", seconds] if seconds != "default" else []
    boss = Proc(master_args(port, "1", ["--headless", "-u", "30", "-r", "100", "-t", "20s",
                                        "--expect-slaves", "3", "-H", target.url,
                                        "--only-summary"]), cwd, "master")
    workers = [Proc(slave_args(port, "1", extra), cwd, "slave%d" % i) for i in range(3)]
    boss.wait_log("All slaves finished hatching")
    cpu0, t0 = boss.cpu(), time.monotonic()
    time.sleep(15)
    cpu1, t1 = boss.cpu(), time.monotonic()
    finish(boss, time.monotonic() + 30)
    for w in workers:
        finish(w, time.monotonic() + 15)
    print("report_interval=%s: master CPU %.2f%% over %.0f s (served %d)" % (
        seconds, 100 * (cpu1 - cpu0) / (t1 - t0), t1 - t0, target.count))


def million():
    """-c 1000000 -r 1000000 idle users: SIGTERM after 3 s, time to exit."""
    cwd = workdir(IDLE_LOCUSTFILE)
    proc = Proc(["-f", "locustfile.py", "--headless", "-c", "1000000", "-r", "1000000",
                 "-t", "60s"], cwd, "million")
    proc.wait_log("Hatching and swarming|error")
    time.sleep(3)
    rss = proc.rss_mb()
    took = proc.sigterm_exit_time(60)
    print("million: RSS after 3 s %.0f MB; SIGTERM -> %s; exit %s; log tail: %s" % (
        rss or -1, "%.1f s" % took if took is not None else "alive after 60 s (SIGKILL)",
        proc.popen.returncode, proc.log.strip().splitlines()[-2:]))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    globals()[sys.argv[1]](*sys.argv[2:])
