#!/usr/bin/env python3
"""Does scraping /metrics slow a full-speed run? Runs with and without, interleaved.

Usage: scrape.py LOCUST_BIN LOCUSTFILE USERS SECONDS RUNS

Each run starts LOCUST_BIN with its web UI, pinned to CPU $GEN_CPU (default
0), against the target of target.sh, starts USERS users from /swarm, runs
SECONDS (the generator's own -t), and either leaves /metrics alone or
fetches it once a second (the way a Prometheus server scrapes). It prints
one line per run: the requests the generator counted (successes and
failures), the generator's CPU seconds while the users ran (from
/proc/PID/stat), requests per second and per CPU-second, and the scrapes
made with their mean time. Standard library only.
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

HOST = os.environ.get("TARGET_URL", "http://127.0.0.1:8099")
GEN_CPU = os.environ.get("GEN_CPU", "0")
TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def get(url, data=None):
    with urllib.request.urlopen(url, data=data, timeout=10) as response:
        return response.read()


def one_run(binary, locustfile, users, seconds, scrape):
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    proc = subprocess.Popen(["taskset", "-c", GEN_CPU, binary, "-f", locustfile, "-H", HOST,
                             "--web-host", "127.0.0.1", "-P", str(port), "-t", "%ds" % seconds],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                get(base + "/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        cpu0 = cpu_seconds(proc.pid)
        get(base + "/swarm", ("locust_count=%d&hatch_rate=%d" % (users, users)).encode())
        scrapes, scrape_time = 0, 0.0
        while True:
            time.sleep(1.0)
            if scrape:
                started = time.perf_counter()
                get(base + "/metrics")
                scrape_time += time.perf_counter() - started
                scrapes += 1
            report = json.loads(get(base + "/stats/requests"))
            if report["state"] == "stopped":
                break
        cpu = cpu_seconds(proc.pid) - cpu0
        total = report["stats"][-1]
        requests = total["num_requests"] + total["num_failures"]
        return requests, cpu, scrapes, scrape_time
    finally:
        proc.terminate()
        proc.wait(10)


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    binary, locustfile, users, seconds, runs = sys.argv[1:]
    for i in range(int(runs)):
        for scrape in (False, True):
            requests, cpu, scrapes, spent = one_run(binary, locustfile, int(users), int(seconds), scrape)
            print("run=%d scrape=%s requests=%d cpu_s=%.2f rps=%.0f rps_per_cpu_s=%.0f scrapes=%d "
                  "scrape_ms=%.1f" % (i + 1, "1/s" if scrape else "none", requests, cpu,
                                      requests / int(seconds), requests / cpu if cpu else 0,
                                      scrapes, 1000 * spent / scrapes if scrapes else 0), flush=True)


if __name__ == "__main__":
    main()
