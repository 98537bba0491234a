"""Memory per idle HttpLocust user, in one process: prints figures, asserts nothing.

Starts N users that each make one request to the target and then wait, and
prints the growth of the process' RSS per user. Two ways of making that
request, side by side, each in a fresh process:

- ``direct``: the user makes it, as every locustfile does;
- ``helper``: the user makes it from a short-lived greenlet that it joins.

The difference is the interpreter frame-stack page that a request's deep
call chain (urllib3, http.client, the engine's sockets) touches in the
user's own greenlet and that stays resident afterwards (see the README's
"Benchmarks").

    python bench/idle_memory.py [--users 5000] [--url http://127.0.0.1:8099]

The target must be running (``bench/load/target.sh start``, or
``python examples/demo_target.py --port 8099``).
"""

import argparse
import gc
import subprocess
import sys


def rss_kb():
    """This process' resident set size in KB (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def child(mode, users, url):
    """Run ``users`` idle users; print "mode KB/user requests"."""
    from locust.engine import monkey
    monkey.patch_all()
    from locust import HttpLocust, TaskSet, task
    from locust.engine import sleep, spawn
    from locust.runners import LocalLocustRunner

    class Once(TaskSet):
        @task
        def root(self):
            if mode == "direct":
                self.client.get("/")
            else:
                spawn(self.client.get, "/").join()

    class Idle(HttpLocust):
        task_set = Once
        host = url
        min_wait = max_wait = 600_000   # one request, then idle for the run

    runner = LocalLocustRunner([Idle])
    sleep(0.5)
    gc.collect()
    before = rss_kb()
    runner.start_hatching(users, 1000)
    sleep(users / 1000 + 3)
    gc.collect()
    per_user = (rss_kb() - before) / users
    print("%-7s %6.2f KB per user   requests=%d" % (mode, per_user,
                                                  runner.stats.total.num_requests))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--url", default="http://127.0.0.1:8099")
    parser.add_argument("--child", choices=("direct", "helper"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.users, args.url)
        return
    for mode in ("direct", "helper"):
        subprocess.run([sys.executable, __file__, "--child", mode, "--users", str(args.users),
                        "--url", args.url], check=True)


if __name__ == "__main__":
    main()
