"""Requests per CPU-second of HttpSession against requests + gevent (prints, asserts nothing).

The same loop runs in child processes, one after the other, pinned to
one CPU: N greenlets, each with its own session (like N users), call
``session.get("/")`` as fast as they can against a fast local target for
``--seconds``. CPU time is ``resource.getrusage(RUSAGE_SELF)`` of the child
over the measured window only (imports and start-up excluded).

- ours: ``locust.clients.HttpSession`` on the engine; requests are counted
  with the ``request_success``/``request_failure`` events;
- theirs: ``requests.Session`` after ``gevent.monkey.patch_all()``, counted
  with a plain counter; once as is, once with ``trust_env = False`` (no
  per-request scan of the environment for proxies and .netrc).

The target is nginx started by ``bench/load/target.sh`` (127.0.0.1:8099,
pinned to CPU 1; ``$BENCH_TARGET_SH`` names another script) when nothing
listens there, and stopped afterwards if this script started it. Without
nginx (the script apt-installs it; that may be impossible here), the
bundled demo target (``examples/demo_target.py``, our own WSGI server, no
delay) serves on CPU 1 instead: its Python costs limit the figures, so
prefer nginx. ``--url`` points at another target.

    python bench/client_bench.py [--seconds 10] [--users 50] [--url URL] [--profile]
"""

import argparse
import contextlib
import json
import os
import resource
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TARGET_SH = os.environ.get("BENCH_TARGET_SH", os.path.join(HERE, "load", "target.sh"))
DEFAULT_URL = "http://127.0.0.1:8099"
#: Upstream locust 2.47 HttpUser -u 50 on a 2-core machine (bench/load/README.md).
UPSTREAM_HTTPUSER_RPS_PER_CPU = 1220
KINDS = ("ours", "requests", "requests_noenv")
LABELS = {"ours": "ours", "requests": "requests+gevent",
          "requests_noenv": "requests+gevent, trust_env=False"}


def _cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child_ours(url, users, seconds, profile):
    sys.path.insert(0, ROOT)
    from locust import events
    from locust.clients import HttpSession
    from locust.engine import joinall, sleep, spawn

    counts = {"ok": 0, "fail": 0}

    def on_success(**_):
        counts["ok"] += 1

    def on_failure(**_):
        counts["fail"] += 1

    events.request_success += on_success
    events.request_failure += on_failure
    state = {"stop": False}

    def user():
        client = HttpSession(url)
        while not state["stop"]:
            client.get("/")

    # warm up: connections open, caches filled
    greenlets = [spawn(user) for _ in range(users)]
    sleep(0.5)
    counts["ok"] = counts["fail"] = 0
    profiler = None
    if profile:
        import cProfile
        profiler = cProfile.Profile()
        profiler.enable()
    cpu0, wall0 = _cpu(), time.perf_counter()
    sleep(seconds)
    cpu1, wall1 = _cpu(), time.perf_counter()
    done = counts["ok"] + counts["fail"]
    if profiler is not None:
        profiler.disable()
    state["stop"] = True
    joinall(greenlets, timeout=5)
    if profiler is not None:
        import pstats
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats(os.environ.get("SORT", "tottime")).print_stats(
            int(os.environ.get("NSTATS", "35")))
    return {"requests": done, "failures": counts["fail"], "cpu_s": cpu1 - cpu0,
            "wall_s": wall1 - wall0}


def child_requests(url, users, seconds, profile, trust_env=True):  # noqa: ARG001 - same signature as the other children
    from gevent import monkey
    monkey.patch_all()
    import gevent
    import requests

    counts = {"ok": 0, "fail": 0}
    state = {"stop": False}

    def user():
        session = requests.Session()
        # trust_env=False skips requests' per-request scan of the environment
        # for proxy settings and .netrc (a large share of its CPU here).
        session.trust_env = trust_env
        while not state["stop"]:
            try:
                response = session.get(url + "/")
                counts["ok" if response.ok else "fail"] += 1
            except requests.RequestException:
                counts["fail"] += 1

    greenlets = [gevent.spawn(user) for _ in range(users)]
    gevent.sleep(0.5)
    counts["ok"] = counts["fail"] = 0
    cpu0, wall0 = _cpu(), time.perf_counter()
    gevent.sleep(seconds)
    cpu1, wall1 = _cpu(), time.perf_counter()
    done = counts["ok"] + counts["fail"]
    state["stop"] = True
    gevent.joinall(greenlets, timeout=5)
    return {"requests": done, "failures": counts["fail"], "cpu_s": cpu1 - cpu0,
            "wall_s": wall1 - wall0}


def _listening(url):
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 80), timeout=1):
            return True
    except OSError:
        return False


def _start_demo_target(args):
    """Start examples/demo_target.py on the other CPU; point args.url at it."""
    cmd = [sys.executable, os.path.join(ROOT, "examples", "demo_target.py"),
           "--port", "0", "--max-delay-ms", "0"]
    other = 1 - args.cpu if (os.cpu_count() or 1) > 1 and args.cpu in (0, 1) else None
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True,
                            preexec_fn=(lambda: os.sched_setaffinity(0, {other}))
                            if other is not None and hasattr(os, "sched_setaffinity") else None)
    line = proc.stdout.readline()  # "Demo target listening on http://127.0.0.1:PORT"
    args.url = line.split()[-1]
    print("client_bench: no nginx script; target: the bundled demo target at %s" % args.url)
    return proc


def _run_child(kind, args):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", kind, "--url", args.url,
           "--users", str(args.users), "--seconds", str(args.seconds)]
    if args.profile and kind == "ours":
        cmd.append("--profile")
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--cpu", type=int, default=0, help="CPU to pin the generators to")
    parser.add_argument("--only", choices=KINDS)
    parser.add_argument("--profile", action="store_true", help="cProfile ours (slower)")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        if args.child == "ours":
            result = child_ours(args.url, args.users, args.seconds, args.profile)
        else:
            result = child_requests(args.url, args.users, args.seconds, args.profile,
                                    trust_env=args.child == "requests")
        print(json.dumps(result))
        return

    if hasattr(os, "sched_setaffinity"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {args.cpu})  # the children inherit it
    started = demo = None
    if not _listening(args.url):
        if args.url != DEFAULT_URL:
            sys.exit("client_bench: nothing listens at %s" % args.url)
        if os.path.exists(TARGET_SH) and subprocess.run(
                [TARGET_SH, "start"], stdout=subprocess.DEVNULL).returncode == 0:
            started = True
        else:
            print("client_bench: no nginx target; using the demo target", file=sys.stderr)
            demo = _start_demo_target(args)
    try:
        results = {}
        for kind in KINDS:
            if args.only and kind != args.only:
                continue
            res = results[kind] = _run_child(kind, args)
            res["rps_per_cpu_s"] = res["requests"] / res["cpu_s"] if res["cpu_s"] else 0.0
            res["rps"] = res["requests"] / res["wall_s"]
            print("%-33s requests=%d failures=%d wall_s=%.2f cpu_s=%.2f rps=%.0f "
                  "rps_per_cpu_s=%.0f" % (
                      LABELS[kind], res["requests"],
                      res["failures"], res["wall_s"], res["cpu_s"], res["rps"],
                      res["rps_per_cpu_s"]))
        for kind in KINDS[1:]:
            if "ours" in results and results.get(kind, {}).get("rps_per_cpu_s"):
                ratio = results["ours"]["rps_per_cpu_s"] / results[kind]["rps_per_cpu_s"]
                print("ratio ours/%s (per CPU-second): %.2f" % (LABELS[kind], ratio))
        if "ours" in results:
            print("ratio ours/upstream HttpUser anchor (%d req/CPU-s): %.2f" % (
                UPSTREAM_HTTPUSER_RPS_PER_CPU,
                results["ours"]["rps_per_cpu_s"] / UPSTREAM_HTTPUSER_RPS_PER_CPU))
    finally:
        if started:
            subprocess.run([TARGET_SH, "stop"], check=False, stdout=subprocess.DEVNULL)
        if demo is not None:
            demo.terminate()
            demo.wait(10)


if __name__ == "__main__":
    main()
