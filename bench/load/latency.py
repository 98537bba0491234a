#!/usr/bin/env python3
"""Latency the load generator adds: its reported times against nginx's own $request_time.

Usage: latency.py LOCUST_BIN [USERS] [SECONDS]   (run it under flock /tmp/locust-bench.lock)

Starts a private target (target.sh with $BENCH_TARGET_DIR=/tmp/bench-latency,
a free port, '$msec $status $request_time' logged), then, pinned to CPU
$GEN_CPU (default 0):

1. a raw blocking socket client, one keep-alive GET "/" every 20 ms
   (the floor: loopback and nginx, no tool);
2. LOCUST_BIN with bench/load/ours/latency_user.py (FastHttpLocust, USERS
   users, 20 ms wait), then the same with LATENCY_CLIENT=http (HttpLocust).

Prints per run: the median and 90th/99th percentile of the reported
response times (ms), nginx's median $request_time for the same requests,
and the median minus nginx's ("added").  Standard library only.
"""
import os
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET_DIR = "/tmp/bench-latency"
GEN_CPU = os.environ.get("GEN_CPU", "0")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def nginx_times(offset):
    time.sleep(1.5)  # the access log is flushed within 1 s
    times = []
    with open(os.path.join(TARGET_DIR, "access.log"), "rb") as f:
        f.seek(offset)
        for line in f:
            parts = line.split()
            if len(parts) >= 3:
                times.append(float(parts[2]) * 1000.0)
    return times


def log_size():
    path = os.path.join(TARGET_DIR, "access.log")
    return os.path.getsize(path) if os.path.exists(path) else 0


def report(label, times, offset):
    served = nginx_times(offset)
    med = statistics.median(times)
    nmed = statistics.median(served) if served else float("nan")
    print("%-22s n=%-6d median=%.3f p90=%.3f p99=%.3f nginx_median=%.3f added=%.3f (ms)"
          % (label, len(times), med, pct(times, 0.9), pct(times, 0.99), nmed, med - nmed),
          flush=True)


def raw_client(port, count=1000, wait=0.02):
    code = r'''
import socket, sys, time
port, count, wait = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
sock = socket.create_connection(("127.0.0.1", port))
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
req = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
out = []
for _ in range(count):
    t = time.perf_counter()
    sock.sendall(req)
    data = b""
    while not data.endswith(b"ok"):
        data += sock.recv(65536)
    out.append((time.perf_counter() - t) * 1000.0)
    time.sleep(wait)
print("\n".join("%.4f" % v for v in out))
'''
    result = subprocess.run(["taskset", "-c", GEN_CPU, sys.executable, "-c", code, str(port),
                             str(count), str(wait)], capture_output=True, text=True, check=True)
    return [float(v) for v in result.stdout.split()]


def locust_run(locust_bin, port, users, seconds, client):
    out = "/tmp/bench-latency-%s.txt" % client
    env = dict(os.environ, LATENCY_OUT=out, LATENCY_CLIENT=client)
    subprocess.run(["taskset", "-c", GEN_CPU, locust_bin, "-f",
                    os.path.join(HERE, "ours", "latency_user.py"), "--headless", "-u", str(users),
                    "-r", str(users), "-t", "%ds" % seconds, "-H", "http://127.0.0.1:%d" % port,
                    "--only-summary"], env=env, capture_output=True, check=False)
    with open(out) as f:
        return [float(v) for v in f.read().split()]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    locust_bin = sys.argv[1]
    users = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    port = free_port()
    env = dict(os.environ, BENCH_TARGET_DIR=TARGET_DIR, TARGET_PORT=str(port),
               TARGET_LOG_FORMAT="$msec $status $request_time")
    subprocess.run([os.path.join(HERE, "target.sh"), "start"], env=env, check=True)
    try:
        offset = log_size()
        report("raw socket client", raw_client(port), offset)
        for client in ("fast", "http"):
            offset = log_size()
            report("locust %s" % ("FastHttpLocust" if client == "fast" else "HttpLocust"),
                   locust_run(locust_bin, port, users, seconds, client), offset)
    finally:
        subprocess.run([os.path.join(HERE, "target.sh"), "stop"], env=env, check=False)


if __name__ == "__main__":
    main()
