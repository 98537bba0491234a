"""Each example runs as documented, headless for a couple of seconds, against a
local target, and the number of requests Locust reports equals the number
the target counted.

Targets: a stdlib HTTP server in a thread (support.targets'
CountingServer) for the quick start files, the bundled demo site
(examples/demo_target.py) in a subprocess for the others, and the XML-RPC
example's own server. The runs are independent and mostly wait, so they
are started together by one module fixture and each test checks its own.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from support import ROOT
from support.locust_process import csv_total, locust_env, start_locust
from support.targets import CountingServer

EXAMPLES = os.path.join(ROOT, "examples")
RUN = ["--no-web", "-c", "5", "-r", "100", "-t", "2s", "--only-summary"]


def _start_script(args):
    """Start a helper script; returns (process, its first stdout line)."""
    proc = subprocess.Popen([sys.executable] + args, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=locust_env())
    return proc, proc.stdout.readline().strip()


def _stop_script(proc):
    """SIGINT a helper script; returns its remaining stdout."""
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


def _demo_target():
    proc, line = _start_script([os.path.join(EXAMPLES, "demo_target.py"), "--port", "0"])
    assert "http://127.0.0.1:" in line, line
    return proc, line.rsplit(" ", 1)[-1]


def _served(url):
    with urllib.request.urlopen(url + "/__count", timeout=5) as response:
        return json.load(response)["served"]


def _finish(proc, timeout=30):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return {"rc": proc.returncode, "out": out, "err": err}


def _drive_web_events(proc, result):
    """events.py with the web UI: start a swarm, read /content_length, Ctrl-C."""
    try:
        port = None
        deadline = time.monotonic() + 15
        while port is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            if "Starting web monitor at" in line:
                port = int(line.rsplit(":", 1)[1])
        base = "http://127.0.0.1:%d" % port
        urllib.request.urlopen(base + "/swarm", data=b"locust_count=5&hatch_rate=100",
                               timeout=5).close()
        # Until the users have received something (not a fixed sleep).
        deadline = time.monotonic() + 30
        while True:
            with urllib.request.urlopen(base + "/content_length", timeout=5) as response:
                result["page"] = response.read().decode()
            if not result["page"].endswith(" 0 requests") or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGINT)
        result.update(_finish(proc))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("examples")
    results, procs, helpers = {}, {}, []
    stdlib_targets = {name: CountingServer() for name in ("locustfile", "basic")}
    try:
        for name, target in stdlib_targets.items():
            procs[name] = start_locust(["-f", os.path.join(EXAMPLES, name + ".py"), "-H", target.url,
                                        "--csv", str(tmp / name)] + RUN, tmp)
        demo_targets = {}
        for name in ("nested", "events", "events_web"):
            demo_targets[name] = _demo_target()
            helpers.append(demo_targets[name][0])
        for name in ("nested", "events"):
            procs[name] = start_locust(["-f", os.path.join(EXAMPLES, name + ".py"),
                                        "-H", demo_targets[name][1], "--csv", str(tmp / name)] + RUN,
                                       tmp)
        web = start_locust(["-f", os.path.join(EXAMPLES, "events.py"), "-H",
                            demo_targets["events_web"][1], "--web-host", "127.0.0.1", "-P", "0",
                            "--csv", str(tmp / "events_web")], tmp)
        results["events_web"] = {}
        driver = threading.Thread(target=_drive_web_events, args=(web, results["events_web"]))
        driver.start()

        xml_server, line = _start_script([os.path.join(EXAMPLES, "custom_xmlrpc_client", "server.py"),
                                          "--port", "0", "--max-sleep", "0.05"])
        helpers.append(xml_server)
        xml_port = int(line.split()[-1].rstrip("."))
        procs["xmlrpc"] = start_locust(
            ["-f", os.path.join(EXAMPLES, "custom_xmlrpc_client", "xmlrpc_locustfile.py"),
             "-H", "http://127.0.0.1:%d/" % xml_port, "--csv", str(tmp / "xmlrpc")] + RUN, tmp)

        demo = subprocess.Popen([sys.executable, os.path.join(EXAMPLES, "demo.py"), "-t", "2s",
                                 "-c", "5", "-r", "100"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=locust_env())
        procs["demo"] = demo

        for name, proc in procs.items():
            results[name] = _finish(proc)
        driver.join(30)
        for name, target in stdlib_targets.items():
            results[name]["served"] = target.count
        for name, (_proc, url) in demo_targets.items():
            results[name]["served"] = _served(url)
        results["xmlrpc"]["server_out"] = _stop_script(xml_server)
        for name in list(results):
            if os.path.exists(str(tmp / name) + "_requests.csv"):
                results[name]["total"] = sum(csv_total(tmp / name))
        yield results
    finally:
        for proc in list(procs.values()) + helpers:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        for target in stdlib_targets.values():
            target.close()


def _check(result):
    assert result["rc"] == 0, result["err"]
    assert "Traceback" not in result["err"], result["err"]
    assert "Percentage of the requests completed within given times" in result["out"]


@pytest.mark.parametrize("name", ["locustfile", "basic", "nested"])
def test_example_counts_match_target(runs, name):
    result = runs[name]
    _check(result)
    assert result["total"] > 0
    assert result["total"] == result["served"]


def test_quick_start_logs_in_first(runs):
    # Every user's first request is the login POST (5 users).
    assert "POST /login" in runs["locustfile"]["out"]
    assert "POST /login" in runs["basic"]["out"]


def test_nested_example_uses_nested_task_sets(runs):
    out = runs["nested"]["out"]
    assert "/forum/" in out or "/movies/" in out


def test_events_example_counts_requests(runs):
    result = runs["events"]
    _check(result)
    assert result["total"] == result["served"] > 0
    assert "events.py counted %d requests" % result["total"] in result["out"]


def test_events_example_adds_a_web_route(runs):
    result = runs["events_web"]
    _check(result)
    assert result["page"].startswith("Total content-length received: ")
    assert result["total"] == result["served"] > 0
    assert "events.py counted %d requests" % result["total"] in result["out"]


def test_xmlrpc_example_counts_match_server(runs):
    result = runs["xmlrpc"]
    _check(result)
    served = int(result["server_out"].split("Served ")[1].split()[0])
    assert result["total"] == served
    assert served >= 5  # every user made at least one call
    assert "xmlrpc get_time" in result["out"]


def test_demo_script(runs):
    result = runs["demo"]
    assert result["rc"] == 0, result["out"] + result["err"]
    assert "They match." in result["out"]
    counted = int(result["out"].split("Requests counted by Locust:")[1].split()[0])
    assert counted > 0
