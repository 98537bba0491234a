"""Every locustfile of tests/locustfiles_2x (the examples of Locust 2.x's
documentation, in the 2.x API) runs unchanged with ``python -m locust -f FILE
--headless ...`` against a local counting target: the requests the target
saw are the requests reported, and the exit status is the expected one.

The runs are independent and mostly wait, so one module fixture starts them
a few at a time and each test checks its own result.
"""

import csv
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from socketserver import ThreadingMixIn
from xmlrpc.server import SimpleXMLRPCServer

import pytest

from support import TESTS
from support.locust_process import csv_total, locust_env, start_locust
from support.targets import CountingServer

FILES = os.path.join(TESTS, "locustfiles_2x")
#: Runs started together; more would only compete for the two cores.
BATCH = 6


def _case(file, users=2, seconds=2, rc=0, args=(), target="http", timeout=60):
    return {"file": file, "users": users, "seconds": seconds, "rc": rc, "args": list(args),
            "target": target, "timeout": timeout}


CASES = {
    "quickstart": _case("quickstart.py", users=1),
    "writing_a_locustfile": _case("writing_a_locustfile.py", users=3, seconds=3),
    "wait_times": _case("wait_times.py", users=5, seconds=3),
    "weight_fixed_count": _case("weight_fixed_count.py", users=5),
    "environment_runner_quit": _case("environment_runner_quit.py", seconds=60),
    "on_start_on_stop": _case("on_start_on_stop.py", users=3, args=["--stop-timeout", "3"]),
    "task_decorator": _case("task_decorator.py", users=4),
    "tags_tag1": _case("tags.py", args=["--tags", "tag1"]),
    "tags_tag2_tag3": _case("tags.py", args=["-T", "tag2", "tag3"]),
    "tags_exclude_tag3": _case("tags.py", args=["--exclude-tags", "tag3"]),
    "events_test_start_stop": _case("events_test_start_stop.py"),
    "http_client": _case("http_client.py"),
    "connection_reuse": _case("connection_reuse.py"),
    "validating_responses": _case("validating_responses.py", rc=1),
    "grouping_requests": _case("grouping_requests.py"),
    "grouping_request_name": _case("grouping_request_name.py"),
    "tasksets": _case("tasksets.py", users=4),
    "sequential_taskset": _case("sequential_taskset.py", users=1),
    "tagged_tasksets": _case("tagged_tasksets.py", args=["--tags", "forum"]),
    "event_hooks": _case("event_hooks.py", rc=1),
    "request_context": _case("request_context.py"),
    "custom_arguments": _case("custom_arguments.py", users=1, args=["--my-argument", "from-cli"]),
    "custom_arguments_env": _case("custom_arguments.py", users=1, args=["--env", "staging"]),
    "exit_code": _case("exit_code.py"),
    "shape_custom": _case("shape_custom.py", users=0, seconds=0),
    "shape_user_classes": _case("shape_user_classes.py", users=0, seconds=0),
    "shape_common_options": _case("shape_common_options.py", users=0, seconds=3, args=["-r", "5"]),
    "xmlrpc_client": _case("xmlrpc_client.py", target="xmlrpc"),
    "fast_http_user": _case("fast_http_user.py"),
    "custom_messages": _case("custom_messages.py"),
    "configuration": _case("configuration.py"),
    "background_greenlet": _case("background_greenlet.py", seconds=60, rc=1),
    "print_http": _case("print_http.py", users=1),
    "cookies_csrf": _case("cookies_csrf.py"),
    "iterations": _case("quickstart.py", users=3, seconds=60, args=["-i", "5"]),
}


class _XmlRpcServer(ThreadingMixIn, SimpleXMLRPCServer):
    daemon_threads = True


class CountingXmlRpcServer:
    """A stdlib XML-RPC server in a thread: get_time, get_random_number; ``count`` calls."""

    def __init__(self):
        self.count = 0
        self._lock = threading.Lock()
        self.server = _XmlRpcServer(("127.0.0.1", 0), logRequests=False, allow_none=True)
        self.server.register_function(self._counted(time.time), "get_time")
        self.server.register_function(self._counted(lambda low, high: (low + high) // 2),
                                      "get_random_number")
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def _counted(self, func):
        def call(*args):
            with self._lock:
                self.count += 1
            return func(*args)
        return call

    @property
    def url(self):
        return "http://127.0.0.1:%d/" % self.server.server_address[1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _command(case, target_url, prefix):
    args = ["-f", os.path.join(FILES, case["file"]), "--headless", "-H", target_url,
            "--csv", str(prefix), "--only-summary"] + case["args"]
    if case["users"]:
        args += ["-u", str(case["users"]), "-r", "100"]
    if case["seconds"]:
        args += ["-t", "%ds" % case["seconds"]]
    return args


def _rows(prefix):
    """{name: requests + failures} of PREFIX_requests.csv, the Total left out."""
    with open(str(prefix) + "_requests.csv", newline="") as f:
        return {row["Name"]: int(row["# requests"]) + int(row["# failures"])
                for row in csv.DictReader(f) if row["Name"] != "Total"}


def _finish(proc, timeout):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += "\n[killed after %s s]" % timeout
    return proc.returncode, out, err


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("locustfiles_2x")
    results = {}
    names = list(CASES)
    for start in range(0, len(names), BATCH):
        batch = {}
        for name in names[start:start + BATCH]:
            case = CASES[name]
            target = CountingXmlRpcServer() if case["target"] == "xmlrpc" else CountingServer()
            proc = start_locust(_command(case, target.url, tmp / name), tmp)
            batch[name] = (proc, target)
        for name, (proc, target) in batch.items():
            rc, out, err = _finish(proc, CASES[name]["timeout"])
            served = target.count
            target.close()
            # Requested on purpose without a report (an exception in a catch_response block).
            unreported = getattr(target, "counts", {}).get("/missing-rescheduled", 0)
            result = {"rc": rc, "out": out, "err": err, "served": served - unreported,
                      "unreported": unreported}
            if os.path.exists(str(tmp / name) + "_requests.csv"):
                result["reported"] = sum(csv_total(tmp / name))
                result["rows"] = _rows(tmp / name)
            results[name] = result
    return results


@pytest.mark.parametrize("name", list(CASES))
def test_runs_unchanged_and_counts_exactly(runs, name):
    result = runs[name]
    detail = "\n--- stdout:\n%s\n--- stderr:\n%s" % (result["out"][-3000:], result["err"][-3000:])
    assert result["rc"] == CASES[name]["rc"], detail
    assert "Traceback" not in result["err"], detail
    assert "listener" not in result["err"] or "failed" not in result["err"], detail
    assert result["served"] > 0, detail
    assert result["reported"] == result["served"], detail


def test_fixed_count_and_weights(runs):
    err = runs["weight_fixed_count"]["err"]
    assert re.search(r"All locusts hatched: WebUser: 3, MobileUser: 1, AdminUser: 1", err), err


def test_on_stop_runs_with_stop_timeout(runs):
    rows = runs["on_start_on_stop"]["rows"]
    # Every user logged in, and logged out when the test stopped.
    assert rows["/login"] == rows["/logout"] == 3, rows


@pytest.mark.parametrize("name, expected", [
    ("tags_tag1", {"/task1", "/task2"}),
    ("tags_tag2_tag3", {"/task2", "/task3"}),
    ("tags_exclude_tag3", {"/task1", "/task2", "/task4"}),
    ("tagged_tasksets", {"/forum/read", "/shop/tagged"}),
])
def test_tags_select_the_tasks(runs, name, expected):
    assert set(runs[name]["rows"]) == expected


def test_events_fire(runs):
    out = runs["events_test_start_stop"]["out"]
    for line in ("A new test is starting", "A new test is ending",
                 "I'm on a worker or standalone node"):
        assert line in out


def test_event_hooks_count_each_request_once_on_each_side(runs):
    out = runs["event_hooks"]["out"]
    match = re.search(r"EVENT COUNTS request=(\d+) success=(\d+) failure=(\d+)", out)
    assert match, out[-2000:]
    request, success, failure = map(int, match.groups())
    assert request == success + failure == runs["event_hooks"]["served"]
    assert success and failure


def test_reschedule_in_catch_response_leaves_the_request_unreported(runs):
    result = runs["validating_responses"]
    assert result["unreported"] > 0 and "/missing-rescheduled" not in result["rows"]
    assert result["rows"]["/missing"] > 0  # the 404 marked as a success


def test_grouping_by_name(runs):
    assert set(runs["grouping_requests"]["rows"]) == {"/blog?id=[id]"}


def test_sequential_order(runs):
    rows = runs["sequential_taskset"]["rows"]
    counts = [rows["/%d" % i] for i in (1, 2, 3, 4)]
    # One user runs /1 /2 /3 /4 in a loop: a stop may cut the last round.
    assert max(counts) - min(counts) <= 1, rows


def test_custom_arguments(runs):
    assert "Custom argument supplied: from-cli" in runs["custom_arguments"]["out"]
    assert "my_ui_invisible_argument=I am invisible" in runs["custom_arguments"]["out"]
    assert set(runs["custom_arguments_env"]["rows"]) == {"/staging"}


def test_shapes_drive_the_test(runs):
    for name in ("shape_custom", "shape_user_classes"):
        assert "Shape test stopping" in runs[name]["err"], runs[name]["err"]
    # With use_common_options, -t and the shape's own end (at -t too) race: either may stop it.
    err = runs["shape_common_options"]["err"]
    assert "Shape test updating to 2 users at 5.00 spawn rate" in err, err
    assert "Shape test stopping" in err or "Time limit reached" in err, err
    assert {"/a", "/b"} <= set(runs["shape_user_classes"]["rows"])


def test_custom_messages_in_one_process(runs):
    out = runs["custom_messages"]["out"]
    assert "User User3 received" in out and "Thanks for the 3 users!" in out


def test_runner_quit_and_background_greenlet_end_the_run(runs):
    assert "Time limit reached" not in runs["environment_runner_quit"]["err"]
    assert "fail ratio was" in runs["background_greenlet"]["out"]
    assert "Time limit reached" not in runs["background_greenlet"]["err"]


def test_iterations_end_each_user(runs):
    result = runs["iterations"]
    # 3 users x 5 iterations x 2 requests, and the test ended by itself.
    assert result["reported"] == result["served"] == 30
    assert "All users have finished" in result["err"]


def test_run_single_user_as_a_script(counting_target):
    proc = subprocess.run([sys.executable, os.path.join(FILES, "debugging.py"),
                           "--host", counting_target.url], capture_output=True, text=True,
                          timeout=60, env=locust_env())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.index("running User1") < proc.stdout.index("/hello1") < \
        proc.stdout.index("running User2") < proc.stdout.index("/hello2") < proc.stdout.index("done!")
    assert counting_target.count == 2


def test_help_lists_the_user_api_options():
    # As in 2.x, --help does not import the locustfile (its own options are not listed).
    proc = subprocess.run([sys.executable, "-m", "locust", "-f",
                           os.path.join(FILES, "custom_arguments.py"), "--help"],
                          capture_output=True, text=True, timeout=60, env=locust_env())
    assert proc.returncode == 0, proc.stderr
    for option in ("--tags", "--exclude-tags", "--iterations", "--stop-timeout", "--autostart",
                   "--autoquit", "--class-picker", "--list"):
        assert option in proc.stdout


def test_web_route_from_init_with_autostart_and_autoquit(counting_target, tmp_path):
    proc = start_locust(["-f", os.path.join(FILES, "web_routes.py"), "-H", counting_target.url,
                         "--web-host", "127.0.0.1", "-P", "0", "--autostart", "-u", "2", "-r", "10",
                         "-t", "3s", "--autoquit", "2", "--csv", str(tmp_path / "web")], tmp_path)
    try:
        port = None
        deadline = time.monotonic() + 20
        while port is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            match = re.search(r"Starting web monitor at http://[^:]+:(\d+)", line)
            port = int(match.group(1)) if match else None
        assert port, "no web monitor line"
        with urllib.request.urlopen("http://127.0.0.1:%d/added_page" % port, timeout=5) as resp:
            assert resp.read() == b"Another page"
        rc, _out, err = _finish(proc, 30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rc == 0, err
    assert "--autoquit" in err
    assert sum(csv_total(tmp_path / "web")) == counting_target.count > 0
