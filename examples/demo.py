"""``make demo``: load test the bundled demo site for 15 seconds and check the count.

Starts ``demo_target.py`` on a free port in a subprocess, runs::

    python -m locust -f examples/demo_locustfile.py --no-web -c 20 -r 10 -t 15s \\
        -H http://127.0.0.1:PORT --csv <tmp>/demo

(the statistics table every 2 seconds, then the summary), and then prints
the number of requests Locust counted next to the number the site served:
they must be equal. Stops the site. Exit status: Locust's, or 1 if the
counts differ. Options change the run::

    python examples/demo.py [-f LOCUSTFILE] [-c USERS] [-r RATE] [-t TIME]
"""

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _env():
    # Lets the demo run from a checkout that is not installed.
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def start_target(env):
    """Start the demo site on a free port; returns (process, base URL)."""
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "demo_target.py"), "--port", "0"],
                            stdout=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    if "http://" not in line:
        proc.kill()
        raise SystemExit("the demo target did not start: %r" % line)
    return proc, line.strip().rsplit(" ", 1)[-1]


def locust_count(prefix):
    """Requests + failures in the Total row of PREFIX_requests.csv."""
    with open(prefix + "_requests.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["Name"] == "Total":
                return int(row["# requests"]) + int(row["# failures"])
    raise SystemExit("no Total row in %s_requests.csv" % prefix)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run the Locust demo against the bundled demo site.")
    parser.add_argument("-f", "--locustfile", default=os.path.join(HERE, "demo_locustfile.py"))
    parser.add_argument("-c", "--clients", default="20")
    parser.add_argument("-r", "--hatch-rate", default="10")
    parser.add_argument("-t", "--run-time", default="15s")
    args = parser.parse_args(argv)

    env = _env()
    target, url = start_target(env)
    print("Demo target running at %s" % url, flush=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            prefix = os.path.join(tmp, "demo")
            cmd = [sys.executable, "-m", "locust", "-f", args.locustfile, "--no-web",
                   "-c", args.clients, "-r", args.hatch_rate, "-t", args.run_time,
                   "-H", url, "--csv", prefix]
            print("$ " + " ".join(cmd), flush=True)
            status = subprocess.call(cmd, env=env)
            counted = locust_count(prefix)
        with urllib.request.urlopen(url + "/__count", timeout=5) as response:
            served = json.load(response)["served"]
    finally:
        target.send_signal(signal.SIGINT)
        try:
            out, _ = target.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            target.kill()
            out, _ = target.communicate()
        if out.strip():
            print(out.strip())
    print()
    print("Requests counted by Locust:    %d" % counted)
    print("Requests served by the target: %d" % served)
    if counted != served:
        print("MISMATCH: every request the target served should be counted once")
        return 1
    print("They match.")
    return status


if __name__ == "__main__":
    sys.exit(main())
