"""Every exit status of ``locust`` from a real run, and thresholds decided at the end,
during the run (--threshold-abort) and on a master from the merged statistics.

0 clean; 1 (or --exit-code-on-error N) for a failed request, a task that
raised, users that made no request; 2 bad usage; 3 a crossed threshold.
"""

import re
import signal
import textwrap
import time

import pytest

from support import free_port_pair
from support.locust_process import LocustProcess, assert_one_clean_line, csv_total, run_locust, start_locust

LOCUSTFILE = '''
from locust import HttpLocust, Locust, TaskSet, task
from locust.exception import StopLocust

class Fine(TaskSet):
    @task
    def index(self):
        self.client.get("/")

class Failing(TaskSet):
    @task
    def fail(self):
        self.client.get("/fail")

class Raising(TaskSet):
    @task
    def boom(self):
        self.client.get("/")
        raise ValueError("a bug in the task")

class GivesUp(TaskSet):
    def on_start(self):
        raise StopLocust()  # every user ends before its first request

    @task
    def never(self):
        self.client.get("/")

class Good(HttpLocust):
    task_set = Fine
    min_wait = 10
    max_wait = 30

class Bad(HttpLocust):
    task_set = Failing
    min_wait = 10
    max_wait = 30

class Buggy(HttpLocust):
    task_set = Raising
    min_wait = 10
    max_wait = 30

class Quitter(HttpLocust):
    task_set = GivesUp
'''


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
    return tmp_path


def run(workdir, target, classes, *extra, seconds="2s", users="2"):
    args = ["--headless", "-u", users, "-r", "100", "-t", seconds, "-H", target.url,
            "--only-summary", "--csv", str(workdir / "run")] + list(extra) + list(classes)
    return run_locust(args, workdir)


def test_0_clean(workdir, counting_target):
    result = run(workdir, counting_target, ["Good"], "--threshold", "p95<10s",
                 "--threshold", "fail_ratio<1%", "--threshold", "requests>=1")
    assert result.returncode == 0, result.stderr
    assert "all 3 thresholds met" in result.stdout
    assert csv_total(workdir / "run")[0] == counting_target.count > 0


def test_1_failed_requests_and_exit_code_on_error(workdir, counting_target):
    result = run(workdir, counting_target, ["Bad"])
    assert result.returncode == 1
    assert "exit code 1: " in result.stderr and "requests failed" in result.stderr
    assert run(workdir, counting_target, ["Bad"], "--exit-code-on-error", "7").returncode == 7
    assert run(workdir, counting_target, ["Bad"], "--exit-code-on-error", "0").returncode == 0


def test_1_a_task_raised(workdir, counting_target):
    result = run(workdir, counting_target, ["Buggy"])
    assert result.returncode == 1, result.stderr
    assert csv_total(workdir / "run") == (counting_target.count, 0)  # no request failed
    assert "users raised" in result.stderr
    assert "a bug in the task" in (workdir / "run_exceptions.csv").read_text()


def test_1_users_started_but_no_request(workdir, counting_target):
    result = run(workdir, counting_target, ["Quitter"])
    assert result.returncode == 1, result.stderr
    assert "users were started but made no request" in result.stderr
    assert counting_target.count == 0


def test_2_bad_usage_and_bad_thresholds_before_any_user(workdir, counting_target):
    result = run(workdir, counting_target, ["Good"], "--threshold", "p95<500 ms/s")
    assert result.returncode == 2
    assert "bad threshold 'p95<500 ms/s': unit 'ms/s' is not a time unit" in result.stderr
    assert_one_clean_line(result)
    (workdir / "bad.py").write_text(LOCUSTFILE + "\nthresholds = ['p95<500', 'latency<3']\n")
    result = run_locust(["-f", "bad.py", "--headless", "-u", "2", "-t", "2s",
                         "-H", counting_target.url, "Good"], workdir)
    assert result.returncode == 2
    assert "unknown metric 'latency'" in result.stderr
    assert_one_clean_line(result)
    (workdir / "locust.conf").write_text("threshold = p95<\n")
    result = run(workdir, counting_target, ["Good"])
    assert result.returncode == 2 and "locust.conf: bad threshold 'p95<'" in result.stderr
    assert counting_target.count == 0  # nothing started


def test_3_threshold_crossed_beats_1(workdir, counting_target):
    result = run(workdir, counting_target, ["Good", "Bad"], "--threshold", "fail_ratio<1%",
                 "--threshold", "GET /:p95<10s")
    assert result.returncode == 3, result.stderr
    table = result.stdout[result.stdout.index("Thresholds"):]
    assert re.search(r"fail_ratio<1%\s+\d+(\.\d+)?%\s+FAIL", table)
    assert re.search(r"GET /:p95<10s\s+[\d.]+ ms\s+pass", table)
    assert "1 of 2 thresholds crossed" in table


def test_3_from_the_locustfile_and_a_shape(workdir, counting_target):
    (workdir / "slo.py").write_text(LOCUSTFILE + textwrap.dedent('''
        thresholds = ["requests>=1"]

        class LoadTestShape:  # stands for the 2.x base class
            pass

        class Steps(LoadTestShape):
            thresholds = ["requests>1000000"]
    '''))
    result = run_locust(["-f", "slo.py", "--headless", "-u", "2", "-r", "100", "-t", "2s",
                         "-H", counting_target.url, "--only-summary", "Good"], workdir)
    assert result.returncode == 3, result.stderr
    assert re.search(r"requests>=1\s+\d+\s+pass", result.stdout)
    assert re.search(r"requests>1000000\s+\d+\s+FAIL", result.stdout)


def test_threshold_abort_stops_the_run_early(workdir, counting_target):
    started = time.monotonic()
    result = run(workdir, counting_target, ["Bad"], "--threshold", "fail_ratio<1%",
                 "--threshold-abort", seconds="60s")
    assert result.returncode == 3, result.stderr
    assert time.monotonic() - started < 30
    assert "Threshold fail_ratio<1% crossed" in result.stderr
    assert "--threshold-abort" in result.stderr
    requests, failures = csv_total(workdir / "run")
    assert requests + failures == counting_target.count > 0


@pytest.mark.parametrize("signum, classes, expected", [
    (signal.SIGTERM, ["Bad"], 1), (signal.SIGINT, ["Good"], 3), (signal.SIGINT, ["Good"], 0)])
def test_signals_keep_the_rules_after_the_summary(workdir, counting_target, signum, classes, expected):
    limit = "requests<1" if expected == 3 else "requests>=1"
    proc = start_locust(["--headless", "-u", "2", "-r", "100", "-H", counting_target.url,
                         "--only-summary", "--threshold", limit] + classes, workdir)
    try:
        deadline = time.monotonic() + 15
        while counting_target.count < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == expected, err
    assert "Percentage of the requests completed" in out and "Thresholds" in out
    assert "Traceback" not in err


def test_exit_code_table(workdir, counting_target):
    """The documented table, each row from a run (the README quotes it)."""
    rows = {
        0: run(workdir, counting_target, ["Good"]).returncode,
        1: run(workdir, counting_target, ["Bad"]).returncode,
        2: run(workdir, counting_target, ["Good"], "--users", "many").returncode,
        3: run(workdir, counting_target, ["Good"], "--threshold", "p50<0.001ms").returncode,
    }
    assert rows == {0: 0, 1: 1, 2: 2, 3: 3}


# ------------------------------------------------------------ distributed

def test_master_decides_thresholds_on_merged_statistics(workdir, counting_target):
    """Each slave makes fewer than 30 requests, together at least 40: only the
    merged statistics cross requests<30, and only the master decides."""
    port = free_port_pair()
    procs = []
    try:
        boss = LocustProcess(
            ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
             "--headless", "-u", "4", "-r", "100", "-n", "40", "-t", "30s", "--expect-workers", "2",
             "-H", counting_target.url, "--only-summary", "--csv", "merged", "--heartbeat-interval",
             "0.2", "--threshold", "requests<30", "--threshold", "fail_ratio<1%", "Good"],
            workdir, "master")
        procs.append(boss)
        for i in range(2):
            procs.append(LocustProcess(["--worker", "--master-port", str(port),
                                        "--heartbeat-interval", "0.2", "Good"], workdir, "slave%d" % i))
        assert boss.wait(timeout=60) == 3, boss.log
        for proc in procs[1:]:
            assert proc.wait(timeout=20) == 0, proc.log
            assert "Threshold" not in proc.out + proc.log
    finally:
        for proc in procs:
            proc.kill()
    requests, failures = csv_total(workdir / "merged")
    assert requests + failures == counting_target.count >= 40
    out = boss.out
    assert re.search(r"requests<30\s+%d\s+FAIL" % (requests + failures), out), out
    assert re.search(r"fail_ratio<1%\s+0%\s+pass", out), out


def test_child_processes_ignore_a_locust_conf_role(workdir, counting_target):
    """``master = true`` and ``processes = 2`` in locust.conf: the parent is the
    master of 2 children, which are slaves and start no children of their own."""
    (workdir / "locust.conf").write_text(textwrap.dedent('''
        master = true
        processes = 2
        headless = true
        users = 4
        spawn-rate = 100
        run-time = 3s
        only-summary = true
        csv = conf
    '''))
    result = run_locust(["-H", counting_target.url, "Good"], workdir, timeout=60)
    assert result.returncode == 0, result.stderr
    assert len(re.findall(r"Client .* reported as ready", result.stderr)) == 2
    assert result.stderr.count("Started 2 slave processes") == 1
    requests, _failures = csv_total(workdir / "conf")
    assert requests == counting_target.count > 0
