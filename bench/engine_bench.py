"""Engine micro-benchmarks: our hub against gevent's (prints figures, asserts nothing).

Every workload runs twice, in two fresh child processes of this same
interpreter -- one on ``locust.engine``, one on gevent -- so the two never
share a process (gevent's hub and ours would otherwise fight over the
main greenlet).  Each child measures CPU time (``getrusage``: user +
system) around the workload only, imports excluded, and reports
operations per CPU-second.  The table ends with ours/gevent.

    python bench/engine_bench.py [--scale 1.0] [--repeat 3] [--only NAME ...] [--profile NAME]

``--scale`` multiplies the amount of work (0.2 for a quick look);
``--repeat`` runs each workload that many times per engine, alternating
the engines, and keeps the best rate of each (other processes on the
machine only ever make a run slower);
``--profile NAME`` runs one workload on our engine under cProfile and prints
the hottest functions instead of the table.

After the table, ``bench/echo_bench.py`` (socket echo round trips, written
separately) is run as a subprocess if it exists and its output is passed
through.
"""

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- the two engines behind one small interface ------------------------------------

class Ours:
    name = "ours"

    def __init__(self):
        from locust import engine
        self.spawn = engine.spawn
        self.sleep = engine.sleep
        self.joinall = engine.joinall
        self.Queue = engine.Queue
        self.Timeout = engine.Timeout


class Gevent:
    name = "gevent"

    def __init__(self):
        import gevent
        import gevent.queue
        self.spawn = gevent.spawn
        self.sleep = gevent.sleep
        self.joinall = gevent.joinall
        self.Queue = gevent.queue.Queue
        self.Timeout = gevent.Timeout


# -- workloads: each returns (operations, unit); the caller times it ---------------

def switches(eng, scale):
    """Two greenlets ping-ponging through the hub with sleep(0)."""
    n = int(200_000 * scale)

    def pinger():
        for _ in range(n):
            eng.sleep(0)

    eng.joinall([eng.spawn(pinger), eng.spawn(pinger)])
    return 2 * n, "sleep(0)/s"


def spawn_join(eng, scale):
    """Spawn 10,000 trivial greenlets, joinall; repeated."""
    rounds = max(1, int(10 * scale))

    def trivial(i):
        return i

    for _ in range(rounds):
        glets = [eng.spawn(trivial, i) for i in range(10_000)]
        eng.joinall(glets)
    return rounds * 10_000, "greenlets/s"


def timers(eng, scale):
    """1,000 greenlets each sleeping 1 ms in a loop: timers set and fired."""
    loops = max(1, int(100 * scale))

    def ticker():
        for _ in range(loops):
            eng.sleep(0.001)

    eng.joinall([eng.spawn(ticker) for _ in range(1000)])
    return 1000 * loops, "timers/s"


def timeouts(eng, scale):
    """``with Timeout(10): sleep(0)``: a timer armed and cancelled around a yield."""
    n = int(100_000 * scale)
    Timeout, sleep = eng.Timeout, eng.sleep
    for _ in range(n):
        with Timeout(10):
            sleep(0)
    return n, "timeouts/s"


def queue_handoff(eng, scale):
    """One producer, one consumer, a bounded Queue(100) between them."""
    n = int(1_000_000 * scale)
    queue = eng.Queue(100)

    def producer():
        for i in range(n):
            queue.put(i)

    def consumer():
        for _ in range(n):
            queue.get()

    eng.joinall([eng.spawn(producer), eng.spawn(consumer)])
    return n, "items/s"


WORKLOADS = {
    "switches": switches,
    "spawn_join": spawn_join,
    "timers": timers,
    "timeouts": timeouts,
    "queue": queue_handoff,
}


def run_child_workload(engine_name, workload, scale):
    eng = Ours() if engine_name == "ours" else Gevent()
    func = WORKLOADS[workload]
    func(eng, 0.01)  # warm up (imports, first hub creation)
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    ops, unit = func(eng, scale)
    cpu, wall = cpu_seconds() - cpu0, time.perf_counter() - wall0
    print(json.dumps({"ops": ops, "unit": unit, "cpu": cpu, "wall": wall}))


# -- WSGI: requests per server CPU-second ----------------------------------------------

WSGI_SERVER = r"""
import os, resource, sys
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello world\n"]
def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime
which = sys.argv[1]
if which == "ours":
    from locust.engine import Event, get_hub
    from locust.engine.wsgi import WSGIServer
    server = WSGIServer(("127.0.0.1", 0), app, log=None)
    server.start()
    port = server.server_port
    wait_fd = lambda: get_hub().wait_fd(0, 1)
else:
    import gevent, gevent.pywsgi, gevent.socket
    server = gevent.pywsgi.WSGIServer(("127.0.0.1", 0), app, log=None)
    server.start()
    port = server.server_port
    wait_fd = lambda: gevent.socket.wait_read(0)
print(port, flush=True)
wait_fd()                  # the parent writes a line when the load starts
sys.stdin.readline()
start = cpu()
wait_fd()                  # ... and another when it is over
sys.stdin.readline()
print(cpu() - start, flush=True)
"""


def _content_length(head):
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise ValueError("response without Content-Length: %r" % head)


def _http_client(port, deadline, counter):
    request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    sock = socket.create_connection(("127.0.0.1", port))
    buf = b""
    done = 0
    try:
        while time.perf_counter() < deadline:
            sock.sendall(request)
            while True:
                end = buf.find(b"\r\n\r\n")
                if end >= 0:
                    total = end + 4 + _content_length(buf[:end])
                    if len(buf) >= total:
                        buf = buf[total:]
                        break
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("server closed the connection")
                buf += chunk
            done += 1
    finally:
        counter.append(done)
        sock.close()


def wsgi_requests(engine_name, scale, connections=20):
    """Requests per server CPU-second: a trivial app, keep-alive clients in threads.

    The clients run for a fixed time, not a fixed count: gevent's pywsgi
    sends the head and the body of a response in two writes, and Nagle's
    algorithm with delayed ACKs then stalls each request ~40 ms, which costs
    wall time but not server CPU.
    """
    env = dict(os.environ, PYTHONPATH=ROOT)
    server = subprocess.Popen([sys.executable, "-c", WSGI_SERVER, engine_name], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        counter = []
        server.stdin.write("go\n")
        server.stdin.flush()
        wall0 = time.perf_counter()
        deadline = wall0 + max(0.5, 3 * scale)
        threads = [threading.Thread(target=_http_client, args=(port, deadline, counter))
                   for _ in range(connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - wall0
        server.stdin.write("stop\n")
        server.stdin.flush()
        server_cpu = float(server.stdout.readline())
    finally:
        server.kill()
        server.wait()
    return {"ops": sum(counter), "unit": "requests/s", "cpu": server_cpu, "wall": wall}


# -- the parent: run each (workload, engine) in its own child ---------------------------

def best_of(repeat, engine_names, workload, scale):
    """Alternate the engines ``repeat`` times; keep each one's fastest run."""
    best = {}
    for _ in range(repeat):
        for name in engine_names:
            result = measure(name, workload, scale)
            result["rate"] = result["ops"] / result["cpu"] if result["cpu"] else float("inf")
            if name not in best or result["rate"] > best[name]["rate"]:
                best[name] = result
    return [best[name] for name in engine_names]


def measure(engine_name, workload, scale):
    if workload == "wsgi":
        return wsgi_requests(engine_name, scale)
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, __file__, "--child", engine_name, workload,
                          "--scale", str(scale)], env=env, capture_output=True, text=True,
                         timeout=600)
    if out.returncode != 0:
        raise RuntimeError("%s/%s failed:\n%s" % (engine_name, workload, out.stderr))
    return json.loads(out.stdout.strip().splitlines()[-1])


def wsgi_available():
    try:
        import gevent.pywsgi  # noqa: F401
    except ImportError:
        return "gevent is not installed"
    probe = subprocess.run([sys.executable, "-c", "import locust.engine.wsgi"],
                           env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True, text=True)
    if probe.returncode != 0:
        return "locust.engine.wsgi does not import: " + probe.stderr.strip().splitlines()[-1]
    return None


def print_table(rows):
    print("%-12s %-12s %14s %14s %7s   %s" % ("workload", "unit", "ours", "gevent", "ratio",
                                            "wall s (ours/gevent)"))
    for name, ours, theirs in rows:
        rate_ours, rate_theirs = ours["rate"], theirs["rate"]
        print("%-12s %-12s %14s %14s %6.2fx   %.2f / %.2f" % (
            name, ours["unit"].replace("/s", "/CPU-s"), format(int(rate_ours), ","),
            format(int(rate_theirs), ","), rate_ours / rate_theirs, ours["wall"], theirs["wall"]))


def profile(workload, scale):
    import cProfile
    import pstats
    eng = Ours()
    WORKLOADS[workload](eng, 0.01)
    profiler = cProfile.Profile()
    profiler.enable()
    WORKLOADS[workload](eng, scale)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="workloads to run (default: all)")
    parser.add_argument("--profile", metavar="NAME", choices=sorted(WORKLOADS))
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "WORKLOAD"), help=argparse.SUPPRESS)
    parser.add_argument("--no-echo", action="store_true", help="skip bench/echo_bench.py")
    args = parser.parse_args()
    if args.child:
        run_child_workload(args.child[0], args.child[1], args.scale)
        return
    if args.profile:
        profile(args.profile, args.scale)
        return

    names = args.only or list(WORKLOADS) + ["wsgi"]
    print("engine micro-benchmarks, %s, %d CPUs; rates are operations per CPU-second"
          % (sys.version.split()[0], os.cpu_count() or 0))
    rows = []
    for name in names:
        if name == "wsgi":
            why_not = wsgi_available()
            if why_not:
                print("wsgi: skipped (%s)" % why_not)
                continue
        elif name not in WORKLOADS:
            parser.error("unknown workload %r" % name)
        rows.append((name, *best_of(args.repeat, ["ours", "gevent"], name, args.scale)))
    print_table(rows)
    if any(name == "wsgi" for name, _, _ in rows):
        print("wsgi: server CPU only (client threads excluded); trivial app, "
              "20 keep-alive connections")

    echo = os.path.join(HERE, "echo_bench.py")
    if not args.no_echo and os.path.exists(echo) and not args.only:
        print("\n-- bench/echo_bench.py --", flush=True)
        subprocess.run([sys.executable, echo], env=dict(os.environ, PYTHONPATH=ROOT))


if __name__ == "__main__":
    main()
