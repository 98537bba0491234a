"""Socket echo round trips per CPU-second: our engine vs gevent.

    python bench/echo_bench.py [--connections 100] [--seconds 3] [--size 64]

An echo server runs in its own process (the stdlib selectors server of the
engine tests).  Each client runs in a subprocess of its own, so our engine
and gevent never share a process: ``--connections`` greenlets each send
``--size`` bytes and read them back, in a loop, for ``--seconds``.  The
client measures its own CPU time with ``getrusage(RUSAGE_SELF)``; the figure
is round trips per CPU-second of the client.  Prints figures and the ratio;
asserts nothing.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))    # the tests' support package


def _client(engine, port, connections, seconds, size):
    if engine == "gevent":
        import gevent
        from gevent import socket as gsocket
        spawn, joinall, sleep = gevent.spawn, gevent.joinall, gevent.sleep
        create_connection = gsocket.create_connection
    else:
        sys.path.insert(0, ROOT)
        from locust.engine import joinall, net, sleep, spawn
        create_connection = net.create_connection

    counts = [0] * connections
    state = {"stop": False}
    payload = b"x" * size

    def worker(i):
        sock = create_connection(("127.0.0.1", port))
        recv, sendall = sock.recv, sock.sendall
        n = 0
        while not state["stop"]:
            sendall(payload)
            got = len(recv(size))
            while got < size:
                got += len(recv(size - got))
            n += 1
            counts[i] = n
        sock.close()

    greenlets = [spawn(worker, i) for i in range(connections)]
    sleep(0.3)     # warm up: every connection established and running
    start_counts = sum(counts)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = usage.ru_utime + usage.ru_stime
    wall0 = time.perf_counter()
    sleep(seconds)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu0
    wall = time.perf_counter() - wall0
    trips = sum(counts) - start_counts
    state["stop"] = True
    joinall(greenlets)
    return {"engine": engine, "round_trips": trips, "cpu": cpu, "wall": wall,
            "per_cpu_second": trips / cpu if cpu else 0.0}


def _run_client(engine, port, args):
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--client", engine, "--port", str(port),
         "--connections", str(args.connections), "--seconds", str(args.seconds),
         "--size", str(args.size)],
        capture_output=True, text=True, timeout=args.seconds + 60)
    if out.returncode != 0:
        return {"engine": engine, "error": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2, help="runs of each, alternating")
    parser.add_argument("--client", choices=["ours", "gevent"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.client:
        print(json.dumps(_client(args.client, args.port, args.connections, args.seconds,
                                 args.size)))
        return

    from support.servers import echo_server_process
    best = {}
    with echo_server_process() as (_host, port):
        for _ in range(args.rounds):
            for engine in ("ours", "gevent"):
                result = _run_client(engine, port, args)
                if "error" in result:
                    print("%-7s failed: %s" % (engine, result["error"]))
                    continue
                print("%-7s %8d round trips  %5.2f s CPU  %5.2f s wall  %9.0f round trips/CPU-s"
                      % (engine, result["round_trips"], result["cpu"], result["wall"],
                         result["per_cpu_second"]))
                if result["per_cpu_second"] > best.get(engine, 0):
                    best[engine] = result["per_cpu_second"]
    if best.get("ours") and best.get("gevent"):
        print("best of %d: ours %.0f, gevent %.0f round trips per CPU-second: ratio %.2f"
              % (args.rounds, best["ours"], best["gevent"], best["ours"] / best["gevent"]))


if __name__ == "__main__":
    main()
