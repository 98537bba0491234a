"""Tests of the HTML report (locust/html_report.py): the page made in process, the --html
option, and real runs whose report must equal their CSV files and what the target served:
headless, a master with two slave processes, and the dashboard's /stats/report route
(behind --web-auth) with the file written when the web UI process ends.

The report opened in Chromium is in test_html_report_browser.py.
"""

import base64
import json
import re
import signal
import time
import types
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest

from locust import events, html_report
from locust.argument_parser import create_parser
from locust.history import StatsHistory
from locust.main import CommandLineError, parse_options
from locust.stats import RequestStats
from locust.thresholds import parse_all
from support import free_port, free_port_pair, wait_until
from support.locust_process import LocustProcess, csv_total, run_locust, wait_for_http
from support.report_page import assert_matches_csv, csv_rows, report_data, table


class FakeClock:
    def __init__(self, now=1_700_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


class FakeRunner:
    """What the report reads of a runner."""

    def __init__(self, names=("/a", "/b")):
        self.clock = FakeClock()
        self.stats = RequestStats(clock=self.clock)
        self.state = "stopped"
        self.host = "http://target.example"
        self.locust_classes = [type("WebsiteUser", (), {})]
        self.num_clients = 10
        self.hatch_rate = 2.5
        self.stop_reason = "time limit"
        self.cpu_warning = None
        self.options = types.SimpleNamespace(run_time=30, locustfile="load.py", _sources={})
        self.exceptions = {"k": {"count": 3, "msg": "ValueError('bad')", "traceback": "Traceback\n  x",
                                 "nodes": {"local"}}}
        for i, name in enumerate(names):
            for ms in range(10, 110):
                self.stats.log_request("GET", name, ms + i, 1000)
            self.clock.now += 1
        self.stats.log_error("POST", "/login", "401 bad password")
        self.history = StatsHistory(self, clock=self.clock)
        self.history.clear(1_700_000_000)
        for t in range(10):
            self.history.append(1_700_000_002 + 2 * t, min(10, t + 1), 50.0 + t, 0.5, 12.0,
                                None if t == 3 else 40.0, 80.0)


def render(runner, **record_args):
    record = html_report.RunRecord(runner, runner.options, **record_args)
    record.started, record.stopped = 1_700_000_000.0, 1_700_000_021.5
    return html_report.render(runner, record, now=1_700_000_030.0)


# ------------------------------------------------------------- in process

def test_the_page_is_self_contained_and_has_every_section():
    runner = FakeRunner()
    page = render(runner)
    # Nothing is loaded from anywhere: no external script, style, image or frame.
    assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=", page)
    assert not re.search(r"<link[^>]*stylesheet", page)
    assert re.findall(r'href="([^"]*)"', page) == ["data:,"]
    assert "uPlot" in page and "LocustCharts" in page and ".chart-card" in page
    for table_id in ("requests-table", "percentiles-table", "failures-table", "exceptions-table"):
        assert table(page, table_id)
    assert "thresholds-table" not in page and "cpu-warning" not in page
    data = report_data(page)
    assert [(r["method"], r["name"], r["num_requests"]) for r in data["requests"]] == [
        ("GET", "/a", 100), ("GET", "/b", 100), ("POST", "/login", 1)]
    assert data["total"]["num_requests"] == 201 and data["total"]["num_failures"] == 1
    assert data["history"]["time"][:2] == [1_700_000_002, 1_700_000_004]
    assert data["history"]["p95"][3] is None and data["history"]["interval"] == 2
    run = data["run"]
    assert (run["users"], run["spawn_rate"], run["run_time"], run["locustfile"]) == (10, 2.5, 30, "load.py")
    assert (run["start_time"], run["end_time"], run["duration"]) == (1_700_000_000, 1_700_000_021.5, 21.5)
    assert run["peak_users"] == 10 and run["classes"] == ["WebsiteUser"]
    assert run["stop_reason"] == "time limit" and not run["distributed"]
    rows = table(page, "exceptions-table")
    assert rows[1][0] == "3" and rows[1][1] == "ValueError('bad')" and rows[1][3] == "local"


def test_names_and_errors_are_escaped():
    evil = "/x</script><script>alert(1)</script><!--"
    runner = FakeRunner(names=(evil,))
    runner.stats.log_error("GET", evil, "<img src=x onerror=alert(2)>")
    page = render(runner)
    assert "<script>alert" not in page and "<img src=x" not in page
    data = report_data(page)
    assert [r["name"] for r in data["requests"]] == ["/login", evil]
    assert any(f["error"] == "<img src=x onerror=alert(2)>" for f in data["failures"])
    assert table(page, "requests-table")[2][1] == evil


def test_thresholds_and_the_saturation_warning():
    runner = FakeRunner()
    runner.cpu_warning = "The load generator is saturated: this process used more than 90% CPU"
    page = render(runner, checks=parse_all(["p95<50ms", "fail_ratio<1%", "GET /a:max<1s"]))
    rows = table(page, "thresholds-table")
    assert rows[0] == ["Threshold", "Measured", "Result"]
    assert [(r[0], r[2]) for r in rows[1:]] == [("p95<50ms", "FAIL"), ("fail_ratio<1%", "pass"),
                                                ("GET /a:max<1s", "pass")]
    assert "1 of 3 thresholds crossed" in page
    assert 'id="cpu-warning"' in page and "used more than 90% CPU" in page
    assert [t["passed"] for t in report_data(page)["thresholds"]] == [False, True, True]


def test_a_distributed_report_lists_the_slaves():
    runner = FakeRunner()
    runner.slave_count = 2
    runner.clients = {"b": types.SimpleNamespace(id="b", state="running", user_count=5, cpu_percent=42.0),
                      "a": types.SimpleNamespace(id="a", state="missing", user_count=0)}
    page = render(runner)
    run = report_data(page)["run"]
    assert run["distributed"] and [s["id"] for s in run["slaves"]] == ["a", "b"]
    assert "a master and 2 slaves" in page
    assert [r[:3] for r in table(page, "slaves-table")[1:]] == [["a", "missing", "0"], ["b", "running", "5"]]


def test_secrets_never_show():
    argv = ["locust", "--web-auth", "admin:hunter2", "--web-auth=admin:hunter2", "-H", "http://t",
            "--api-key", "k3y"]
    shown = html_report._command_line(argv)
    assert "hunter2" not in shown and "k3y" not in shown and "http://t" in shown
    runner = FakeRunner()
    runner.options.web_auth = "admin:hunter2"
    runner.options.num_clients = 10
    runner.options._sources = {"web_auth": "LOCUST_WEB_AUTH", "num_clients": "locust.conf:3",
                               "host": "command line"}
    page = render(runner)
    assert "hunter2" not in page
    configured = report_data(page)["run"]["configuration"]
    assert configured == [{"option": "users", "value": "10", "source": "locust.conf:3"},
                          {"option": "web-auth", "value": "********", "source": "LOCUST_WEB_AUTH"}]


def test_the_record_follows_the_test_and_is_found_again():
    runner = FakeRunner()
    clock = FakeClock(500.0)
    record = html_report.RunRecord(runner, runner.options, clock=clock).attach()
    try:
        assert html_report.record_for(runner) is record
        events.locust_start_hatching.fire()
        clock.now = 560.0
        events.locust_stop_hatching.fire()
        assert (record.started, record.stopped) == (500.0, 560.0)
        clock.now = 600.0
        events.locust_start_hatching.fire()  # a new test (the web UI)
        assert (record.started, record.stopped) == (600.0, None)
    finally:
        record.detach()
    events.locust_stop_hatching.fire()
    assert record.stopped is None
    # Without a record: the options' thresholds, the history's start.
    other = FakeRunner()
    other.options.thresholds = ["p50<1s"]
    found = html_report.record_for(other)
    assert [c.expression for c in found.checks] == ["p50<1s"] and found.started is None
    assert html_report.report_data(other)["run"]["start_time"] == 1_700_000_000


def test_write_replaces_the_file_whole_and_reports_os_errors(tmp_path):
    runner = FakeRunner()
    path = tmp_path / "report.html"
    path.write_text("old")
    assert html_report.write(runner, str(path)) == str(path)
    assert report_data(path.read_text())["total"]["num_requests"] == 201
    with pytest.raises(OSError):
        html_report.write(runner, str(tmp_path / "missing" / "report.html"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


# ------------------------------------------------------------- the option

@pytest.fixture
def place(tmp_path, monkeypatch):
    cwd, home = tmp_path / "work", tmp_path / "home"
    cwd.mkdir()
    home.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", str(home))
    return cwd


def test_html_option_from_command_line_files_and_variables(place, capsys):
    help_text = create_parser().format_help()
    group = help_text.split("Statistics and report options:")[1].split("options:")[0]
    assert "--html FILE" in group
    parse = lambda args=(), env=None: parse_options(list(args), environ=env or {})[1]
    assert parse().html is None
    assert parse(["--html", "r.html"]).html == "r.html"
    (place / "locust.conf").write_text("html = from-conf.html\n")
    assert parse().html == "from-conf.html"
    assert parse(env={"LOCUST_HTML": "from-env.html"}).html == "from-env.html"
    assert parse(["--html", "cli.html"], env={"LOCUST_HTML": "from-env.html"}).html == "cli.html"
    # A directory that does not exist: refused before the run, naming where it came from.
    with pytest.raises(SystemExit) as exc:
        parse(["--html", "nowhere/r.html"])
    assert exc.value.code == 2 and "nowhere" in capsys.readouterr().err
    with pytest.raises(CommandLineError) as exc:
        parse(env={"LOCUST_HTML": "nowhere/r.html"})
    assert exc.value.exit_code == 2 and "LOCUST_HTML" in str(exc.value)
    (place / "locust.conf").write_text("html = nowhere/r.html\n")
    with pytest.raises(CommandLineError) as exc:
        parse()
    assert "locust.conf" in str(exc.value) and "html" in str(exc.value)


# ------------------------------------------------------------- real runs

LOCUSTFILE = '''
from locust import HttpLocust, TaskSet, task

class T(TaskSet):
    @task(4)
    def index(self):
        self.client.get("/")

    @task(1)
    def fail(self):
        self.client.get("/fail")

    @task(1)
    def crash(self):
        raise ValueError("a task that always raises")

class WebsiteUser(HttpLocust):
    task_set = T
    min_wait = 10
    max_wait = 30

thresholds = ["p99<10s"]
'''


def test_a_headless_run_writes_a_report_equal_to_its_csv(tmp_path, counting_target):
    (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
    result = run_locust(["--headless", "-u", "3", "-r", "100", "-t", "4s", "-H", counting_target.url,
                         "--csv", "out", "--html", "report.html", "--threshold", "fail_ratio<1%",
                         "--only-summary"], tmp_path)
    assert result.returncode == 3, result.stderr  # fail_ratio crossed
    assert "HTML report written to report.html" in result.stderr
    html = (tmp_path / "report.html").read_text()
    data = assert_matches_csv(html, tmp_path / "out")
    successes, failures = csv_total(tmp_path / "out")
    assert data["total"]["num_requests"] == successes + failures == counting_target.count
    assert failures > 0
    # Thresholds: the command line's and the locustfile's, as the summary printed them.
    assert [(t["threshold"], t["passed"]) for t in data["thresholds"]] == [
        ("fail_ratio<1%", False), ("p99<10s", True)]
    assert re.search(r"fail_ratio<1%\s+[\d.]+%\s+FAIL", result.stdout)
    # Exceptions: the same count as the exceptions CSV.
    (exc,) = csv_rows(tmp_path / "out_exceptions.csv")
    assert [(e["count"], e["msg"]) for e in data["exceptions"]] == [
        (int(exc["Count"]), exc["Message"])]
    run = data["run"]
    assert (run["users"], run["spawn_rate"], run["run_time"]) == (3, 100, 4)
    assert run["host"] == counting_target.url and run["locustfile"].endswith("locustfile.py")
    assert run["stop_reason"] == "time limit" and run["state"] == "stopped"
    assert 3.5 <= run["end_time"] - run["start_time"] <= 10
    assert "--html report.html" in run["command_line"]
    # The history: samples of 2 s over the run, as many requests as the total.
    hist = data["history"]
    assert len(hist["time"]) >= 2 and max(hist["user_count"]) == 3
    widths = [b - a for a, b in zip([hist["time"][0] - 2] + hist["time"], hist["time"])]
    assert round(sum(r * w for r, w in zip(hist["rps"], widths))) == data["total"]["num_requests"]


def master(tmp_path, port, args):
    return LocustProcess(["-f", "locustfile.py", "--master", "--master-bind-host", "127.0.0.1",
                          "--master-bind-port", str(port), "--heartbeat-interval", "0.2"] + args,
                         tmp_path, "master")


def slave(tmp_path, port, name):
    return LocustProcess(["-f", "locustfile.py", "--slave", "--master-port", str(port),
                          "--heartbeat-interval", "0.2"], tmp_path, name)


def test_a_master_writes_the_report_of_its_two_slaves(tmp_path, counting_target):
    (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
    port = free_port_pair()
    procs = [master(tmp_path, port, ["--headless", "-u", "4", "-r", "100", "-t", "4s",
                                     "--expect-slaves", "2", "-H", counting_target.url, "--csv", "out",
                                     "--html", "report.html", "--only-summary"])]
    try:
        procs += [slave(tmp_path, port, "slave%d" % i) for i in range(2)]
        assert procs[0].wait(timeout=60) == 1, procs[0].log  # requests failed
        for proc in procs[1:]:
            assert proc.wait(timeout=15) == 0, proc.log
    finally:
        for proc in procs:
            proc.kill()
    assert not list(tmp_path.glob("report.html.*"))
    html = (tmp_path / "report.html").read_text()
    data = assert_matches_csv(html, tmp_path / "out")
    assert data["total"]["num_requests"] == counting_target.count
    run = data["run"]
    assert run["distributed"] and len(run["slaves"]) == 2 and run["users"] == 4
    assert "a master and 2 slaves" in html
    # The exceptions of both slaves, merged.
    assert data["exceptions"][0]["nodes"].count(",") == 1
    # The merged history: both slaves' users and every request.
    hist = data["history"]
    assert max(hist["user_count"]) == 4
    widths = [b - a for a, b in zip([hist["time"][0] - 2] + hist["time"], hist["time"])]
    assert round(sum(r * w for r, w in zip(hist["rps"], widths))) == data["total"]["num_requests"]


def _fetch(url, auth=None, data=None):
    request = urllib.request.Request(url, data=data)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(request, timeout=10) as resp:
        return resp.status, dict(resp.headers), resp.read().decode("utf-8")


def test_the_dashboard_route_and_the_file_at_the_end_of_a_web_ui_run(tmp_path, counting_target):
    (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    auth = "admin:s3cret"
    proc = LocustProcess(["-f", "locustfile.py", "-H", counting_target.url, "--web-host", "127.0.0.1",
                          "-P", str(port), "--web-auth", auth, "--html", "end.html",
                          "--csv", "out"], tmp_path, "web")
    try:
        wait_for_http(base + "/", alive=lambda: proc.popen.poll() is None)
        with pytest.raises(urllib.error.HTTPError) as exc:
            _fetch(base + "/stats/report")
        assert exc.value.code == 401
        _fetch(base + "/swarm", auth, urlencode({"locust_count": 2, "hatch_rate": 50}).encode())
        assert wait_until(lambda: counting_target.count > 50, timeout=20, sleep=time.sleep)
        # While it runs: the report of the test so far.
        status, headers, page = _fetch(base + "/stats/report", auth)
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert "Content-Disposition" not in headers
        running = report_data(page)
        assert running["run"]["state"] in ("hatching", "running") and running["run"]["end_time"] is None
        assert "still running" in page
        _fetch(base + "/stop", auth)
        assert wait_until(lambda: json.loads(_fetch(base + "/stats/requests", auth)[2])["state"]
                          == "stopped", timeout=20, sleep=time.sleep)
        status, headers, page = _fetch(base + "/stats/report?download=1", auth)
        assert re.fullmatch(r'attachment; filename=locust_report_\d+\.html',
                            headers["Content-Disposition"])
        downloaded = report_data(page)
        served = counting_target.count
        assert downloaded["total"]["num_requests"] == served
        assert downloaded["run"]["users"] == 2 and downloaded["run"]["spawn_rate"] == 50
        assert downloaded["run"]["end_time"] >= downloaded["run"]["start_time"]
        assert "s3cret" not in page
        # The CSV downloads of the dashboard say the same.
        csv_text = _fetch(base + "/stats/requests/csv", auth)[2]
        total = [line for line in csv_text.splitlines() if line.startswith('"","Total"')][0]
        requests, failures = (int(n) for n in total.split(",")[2:4])
        assert (requests, failures) == (downloaded["total"]["num_successes"],
                                        downloaded["total"]["num_failures"])
        # The process ends (SIGTERM): --html is written then, for the test that ran.
        proc.popen.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 1, proc.log
    finally:
        proc.kill()
    final = (tmp_path / "end.html").read_text()
    data = assert_matches_csv(final, tmp_path / "out")
    assert data["total"] == downloaded["total"] and data["requests"] == downloaded["requests"]
    assert data["run"]["end_time"] == downloaded["run"]["end_time"]
    assert "s3cret" not in final


BURNING = '''
import time
from locust import HttpLocust, TaskSet, task
from locust import saturation

# Lowered so that the test is short and holds on a shared machine (with
# four test workers on two cores a busy process may get a third of a core).
saturation.CPU_THRESHOLD = 10.0
saturation.SUSTAINED_SECONDS = 2.0
saturation.SAMPLE_INTERVAL = 0.5

class Burn(TaskSet):
    @task
    def burn(self):
        end = time.perf_counter() + 0.05
        while time.perf_counter() < end:
            pass
        self.client.get("/")

class U(HttpLocust):
    task_set = Burn
    min_wait = 0
    max_wait = 0
'''


def test_a_saturated_run_says_so_in_the_report(tmp_path, counting_target):
    (tmp_path / "locustfile.py").write_text(BURNING)
    result = run_locust(["--headless", "-u", "2", "-r", "100", "-t", "5s", "-H", counting_target.url,
                         "--only-summary", "--html", "report.html"], tmp_path)
    assert result.returncode == 0, result.stderr
    printed = re.search(r"WARNING: (The load generator is saturated: .*)", result.stdout).group(1)
    html = (tmp_path / "report.html").read_text()
    assert report_data(html)["cpu_warning"] == printed
    assert 'id="cpu-warning"' in html


def test_a_report_before_any_test():
    runner = FakeRunner(names=())
    runner.stats = RequestStats()
    runner.state, runner.stop_reason, runner.exceptions = "ready", None, {}
    runner.history = StatsHistory(runner)
    page = html_report.render(runner, html_report.RunRecord(runner))
    data = report_data(page)
    assert data["requests"] == [] and data["total"]["num_requests"] == 0
    assert data["run"]["start_time"] is None and data["run"]["duration"] is None
    assert "no test was started" in page and "No requests were made." in page
    assert data["total"]["percentiles"] == [None] * len(data["percentile_names"])
