"""Tests of locust.web: every route over real HTTP.

The app is served by the engine's WSGI server in this process, on
127.0.0.1 and an ephemeral port.  The client is NOT on the engine: it is
http.client in a thread, while the main greenlet sleeps on the engine so
that the hub (which lives in the main thread) can serve it.
"""

import base64
import csv
import http.client
import io
import json
import logging
import re
import threading
import time
import types
from urllib.parse import urlencode

import pytest

from locust import web
from locust.engine import sleep
from locust.stats import RequestStats

REQUESTS_CSV_HEADER = ('"Method","Name","# requests","# failures","Median response time",'
                       '"Average response time","Min response time","Max response time",'
                       '"Average Content Size","Requests/s"')
DISTRIBUTION_CSV_HEADER = '"Name","# requests","50%","66%","75%","80%","90%","95%","98%","99%","100%"'
ROW_FIELDS = {"method", "name", "num_requests", "num_failures", "avg_response_time",
              "min_response_time", "max_response_time", "current_rps",
              "median_response_time", "avg_content_length",
              "response_time_percentile_95", "response_time_percentile_99"}


# ------------------------------------------------------------------ helpers

def in_thread(fn, *args, timeout=20):
    """Run fn(*args) in a thread while the engine runs here; return its result."""
    result = {}

    def run():
        try:
            result["value"] = fn(*args)
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while thread.is_alive():
        assert time.monotonic() < deadline, "the HTTP client did not finish in %s s" % timeout
        sleep(0.002)
    if "error" in result:
        raise result["error"]
    return result["value"]


class Response:
    """What the thread client got: status, headers (lower-case names), body."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8")

    def json(self):
        assert self.headers["content-type"].startswith("application/json"), self.headers
        return json.loads(self.body)


def _blocking_request(port, method, path, body, headers):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


def request(server, method, path, fields=None, headers=None):
    """One HTTP request from a thread; ``fields`` are sent form-encoded."""
    body = None
    headers = dict(headers or {})
    if fields is not None:
        body = urlencode(fields).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return in_thread(_blocking_request, server.server_port, method, path, body, headers)


def get(server, path, **kw):
    return request(server, "GET", path, **kw)


def post(server, path, fields, **kw):
    return request(server, "POST", path, fields, **kw)


class FakeRunner:
    """A stand-in with the runner interface web.py uses; records the calls."""

    def __init__(self, host="http://target.example:8080"):
        self.state = "ready"
        self.host = host
        self.locust_classes = []
        self.hatch_rate = 1
        self.num_clients = 1
        self.user_count = 0
        self.stats = RequestStats()
        self.exceptions = {}
        self.calls = []

    def start_hatching(self, locust_count=None, hatch_rate=None, wait=False):
        self.calls.append(("start_hatching", locust_count, hatch_rate))
        self.state = "hatching"
        self.user_count = locust_count

    def stop(self):
        self.calls.append(("stop",))
        self.state = "stopped"
        self.user_count = 0

    def reset_statistics(self):
        self.calls.append(("reset_statistics",))
        self.stats.reset_all()


class FakeMaster(FakeRunner):
    """A master: slave_count and clients."""

    def __init__(self):
        super().__init__()
        self.clients = {
            "b_node": types.SimpleNamespace(id="b_node", state="running", user_count=3,
                                            last_heartbeat=1700000000.5, cpu_percent=95.5,
                                            memory=50_000_000),
            "a_node": types.SimpleNamespace(id="a_node", state="missing", user_count=0,
                                            last_heartbeat=1699999990.0),
        }

    @property
    def slave_count(self):
        return len(self.clients)


def serve(runner, **options):
    options.setdefault("web_host", "127.0.0.1")
    options.setdefault("web_port", 0)
    return web.start(runner, types.SimpleNamespace(**options))


@pytest.fixture
def runner():
    return FakeRunner()


@pytest.fixture
def server(runner):
    srv = serve(runner)
    yield srv
    srv.stop(timeout=2)


# --------------------------------------------------------------- the page

def test_index_shows_host_state_users_and_version(server, runner):
    runner.user_count = 17
    runner.state = "running"
    resp = get(server, "/")
    assert resp.status == 200
    assert resp.headers["content-type"].startswith("text/html")
    page = resp.text
    assert "http://target.example:8080" in page
    assert 'data-state="running"' in page and "RUNNING" in page
    assert 'id="user-count">17<' in page
    assert 'data-distributed="0"' in page and 'id="slave-count"' not in page
    from locust import __version__
    assert __version__ in page


def test_index_of_a_master_shows_slaves():
    master = FakeMaster()
    srv = serve(master)
    try:
        page = get(srv, "/").text
    finally:
        srv.stop(timeout=2)
    assert 'data-distributed="1"' in page
    assert 'id="slave-count">2<' in page
    assert 'data-tab="slaves"' in page


def test_index_escapes_the_host(server, runner):
    runner.host = 'http://x/"><script>alert(1)</script>'
    page = get(server, "/").text
    assert "<script>alert(1)</script>" not in page


def test_index_host_falls_back_to_the_first_locust_class(server, runner):
    runner.host = None
    runner.locust_classes = [types.SimpleNamespace(host="http://from-class:1234")]
    assert "http://from-class:1234" in get(server, "/").text


def test_page_assets_are_local_and_served(server):
    page = get(server, "/").text
    refs = [r for r in re.findall(r'(?:src|href)="([^"]+)"', page) if not r.startswith("data:")]
    assert any(r.endswith(".js") for r in refs) and any(r.endswith(".css") for r in refs)
    types_seen = {}
    for ref in refs:
        assert not re.match(r"^(https?:)?//", ref), "external asset %s" % ref
        resp = get(server, "/" + ref.lstrip("./"))
        assert resp.status == 200, ref
        types_seen[ref.rsplit(".", 1)[-1]] = resp.headers["content-type"]
    assert types_seen["css"].startswith("text/css")
    assert "javascript" in types_seen["js"]
    assert any(r.endswith("uPlot.iife.min.js") for r in refs)
    assert get(server, "/static/uPlot.LICENSE").text.startswith("The MIT License")
    for asset in ("style.css", "locust.js", "charts.js", "charts.css"):
        text = get(server, "/static/" + asset).text
        assert not re.search(r"https?://(?!www\.w3\.org)", text), asset


def test_static_route_refuses_paths_outside_static(server):
    assert get(server, "/static/../web.py").status in (403, 404)
    assert get(server, "/static/%2e%2e/web.py").status in (403, 404)
    assert get(server, "/static/nope.js").status == 404


# ------------------------------------------------------------ swarm & stop

def test_swarm_starts_with_the_original_fields(server, runner):
    resp = post(server, "/swarm", {"locust_count": "5", "hatch_rate": "2.5"})
    assert resp.status == 200
    assert resp.json() == {"success": True, "message": "Swarming started"}
    assert runner.calls == [("start_hatching", 5, 2.5)]
    assert runner.host == "http://target.example:8080"


def test_swarm_accepts_user_count_and_spawn_rate_and_a_host(server, runner):
    user_class = type("User", (), {"host": "http://old"})
    runner.locust_classes = [user_class]
    resp = post(server, "/swarm", {"user_count": "3", "spawn_rate": "1",
                                   "host": "https://other.example/"})
    assert resp.json()["success"] is True
    assert runner.calls == [("start_hatching", 3, 1.0)]
    assert runner.host == "https://other.example"
    assert user_class.host == "https://other.example"


def test_swarm_of_http_users_without_any_host_is_a_400(server, runner):
    from locust import HttpLocust, TaskSet
    no_host = type("NoHost", (HttpLocust,), {"task_set": TaskSet, "host": None})
    runner.host = None
    runner.locust_classes = [no_host]
    resp = post(server, "/swarm", {"locust_count": "2", "hatch_rate": "1"})
    assert resp.status == 400
    assert "NoHost has no host" in resp.json()["message"]
    assert runner.calls == []
    # The form's host is enough.
    resp = post(server, "/swarm", {"locust_count": "2", "hatch_rate": "1",
                                   "host": "http://127.0.0.1:1"})
    assert resp.json()["success"] is True and no_host.host == "http://127.0.0.1:1"


def test_swarm_refused_by_the_runner_is_a_400_and_keeps_the_host(server, runner):
    user_class = type("User", (), {"host": "http://old"})
    runner.locust_classes = [user_class]

    def refuse(locust_count=None, hatch_rate=None, wait=False):
        raise ValueError("cannot split 3 users over classes of weight 0")

    runner.start_hatching = refuse
    resp = post(server, "/swarm", {"locust_count": "3", "hatch_rate": "1",
                                   "host": "http://new"})
    assert resp.status == 400
    assert resp.json() == {"success": False,
                           "message": "cannot split 3 users over classes of weight 0"}
    assert runner.host == "http://target.example:8080" and user_class.host == "http://old"


@pytest.mark.parametrize("fields", [
    {},
    {"locust_count": "5"},
    {"hatch_rate": "1"},
    {"locust_count": "five", "hatch_rate": "1"},
    {"locust_count": "2.5", "hatch_rate": "1"},
    {"locust_count": "-1", "hatch_rate": "1"},
    {"locust_count": "5", "hatch_rate": "0"},
    {"locust_count": "5", "hatch_rate": "-2"},
    {"locust_count": "5", "hatch_rate": "nan"},
    {"locust_count": "5", "hatch_rate": "inf"},
    {"locust_count": "5", "hatch_rate": "fast"},
    {"locust_count": "5", "hatch_rate": "1", "host": "ftp://nope"},
    {"locust_count": "5", "hatch_rate": "1", "host": "not a url"},
])
def test_swarm_rejects_bad_input_and_changes_nothing(server, runner, fields):
    resp = post(server, "/swarm", fields)
    assert resp.status == 400
    data = resp.json()
    assert data["success"] is False and data["message"]
    assert runner.calls == [] and runner.state == "ready"
    assert runner.host == "http://target.example:8080"


def test_swarm_needs_post(server, runner):
    assert get(server, "/swarm").status == 405
    assert runner.calls == []


def test_stop(server, runner):
    runner.state = "running"
    resp = get(server, "/stop")
    assert resp.json() == {"success": True, "message": "Test stopped"}
    assert runner.calls == [("stop",)] and runner.state == "stopped"


def test_no_runner_is_a_503(monkeypatch):
    import locust
    fake_runners = types.SimpleNamespace(locust_runner=None)
    monkeypatch.setitem(__import__("sys").modules, "locust.runners", fake_runners)
    monkeypatch.setattr(locust, "runners", fake_runners, raising=False)
    srv = serve(None)
    try:
        resp = get(srv, "/stats/requests")
        assert resp.status == 503 and resp.json()["success"] is False
        # Looked up per request: once the global is set, it is used.
        fake_runners.locust_runner = FakeRunner()
        fake_runners.locust_runner.user_count = 4
        assert get(srv, "/stats/requests").json()["user_count"] == 4
    finally:
        srv.stop(timeout=2)


# -------------------------------------------------------------- statistics

def test_stats_requests_without_data(server, runner):
    data = get(server, "/stats/requests").json()
    assert [row["name"] for row in data["stats"]] == ["Total"]
    total = data["stats"][0]
    assert set(total) >= ROW_FIELDS
    assert total["method"] is None and total["num_requests"] == 0
    assert data["errors"] == []
    assert data["total_rps"] == 0 and data["fail_ratio"] == 0
    assert data["state"] == "ready" and data["user_count"] == 0
    assert "slave_count" not in data and "slaves" not in data


def test_stats_requests_rows_errors_and_totals(server, runner):
    st = runner.stats
    for ms in (10, 20, 30, 40, 1000):
        st.log_request("GET", "/b", ms, 50)
    st.log_request("POST", "/a", 5, 10)
    st.log_request("GET", "/a", 7, 30)
    st.log_error("GET", "/b", ValueError("boom"))
    st.log_error("GET", "/b", ValueError("boom"))
    st.log_error("DELETE", "/c", "gone")
    runner.state, runner.user_count = "running", 9
    data = get(server, "/stats/requests").json()

    rows = data["stats"]
    assert [(r["name"], r["method"]) for r in rows] == [
        ("/a", "GET"), ("/a", "POST"), ("/b", "GET"), ("/c", "DELETE"), ("Total", None)]
    for row in rows:
        assert set(row) >= ROW_FIELDS, set(ROW_FIELDS) - set(row)
    b = rows[2]
    assert (b["num_requests"], b["num_failures"]) == (5, 2)
    assert b["avg_response_time"] == pytest.approx(220)
    assert (b["min_response_time"], b["max_response_time"]) == (10, 1000)
    assert b["median_response_time"] == pytest.approx(30, rel=0.01)
    assert b["response_time_percentile_95"] == pytest.approx(1000, rel=0.01)
    assert b["avg_content_length"] == 50
    total = rows[-1]
    assert (total["num_requests"], total["num_failures"]) == (7, 3)
    assert total["max_response_time"] == 1000 and total["min_response_time"] == 5

    errors = sorted(data["errors"], key=lambda e: e["name"])
    assert [(e["method"], e["name"], e["occurences"], e["occurrences"]) for e in errors] == [
        ("GET", "/b", 2, 2), ("DELETE", "/c", 1, 1)]
    assert "boom" in errors[0]["error"] and errors[1]["error"] == "gone"
    assert data["fail_ratio"] == pytest.approx(3 / 10)
    assert data["total_rps"] == total["current_rps"]
    assert data["state"] == "running" and data["user_count"] == 9


def test_stats_requests_is_not_cached(server, runner):
    runner.stats.log_request("GET", "/", 1, 1)
    assert get(server, "/stats/requests").json()["stats"][-1]["num_requests"] == 1
    runner.stats.log_request("GET", "/", 1, 1)
    assert get(server, "/stats/requests").json()["stats"][-1]["num_requests"] == 2


def test_stats_requests_of_a_master_has_slaves():
    master = FakeMaster()
    srv = serve(master)
    try:
        data = get(srv, "/stats/requests").json()
    finally:
        srv.stop(timeout=2)
    assert data["slave_count"] == 2
    assert data["slaves"] == [
        {"id": "a_node", "state": "missing", "user_count": 0, "last_heartbeat": 1699999990.0,
         "cpu_percent": None, "memory": None},
        {"id": "b_node", "state": "running", "user_count": 3, "last_heartbeat": 1700000000.5,
         "cpu_percent": 95.5, "memory": 50_000_000}]


def test_stats_reset(server, runner):
    runner.stats.log_request("GET", "/x", 12, 1)
    runner.stats.log_error("GET", "/x", "bad")
    resp = get(server, "/stats/reset")
    assert resp.status == 200 and resp.text == "ok"
    assert runner.calls == [("reset_statistics",)]  # the runner's, so a master resets its slaves
    data = get(server, "/stats/requests").json()
    assert data["stats"][-1]["num_requests"] == 0 and data["stats"][-1]["num_failures"] == 0
    assert data["errors"] == []


# ---------------------------------------------------------------- CSV files

def _check_download(resp, prefix):
    assert resp.status == 200
    assert resp.headers["content-type"].startswith("text/csv")
    match = re.fullmatch(r"attachment; filename=%s_(\d+)\.csv" % prefix,
                         resp.headers["content-disposition"])
    assert match, resp.headers["content-disposition"]
    assert abs(int(match.group(1)) - time.time()) < 60
    return resp.text.splitlines()


def test_requests_csv(server, runner):
    for ms in (100, 200, 300):
        runner.stats.log_request("GET", "/home", ms, 1000)
    runner.stats.log_error("POST", "/login", "denied")
    lines = _check_download(get(server, "/stats/requests/csv"), "requests")
    assert lines[0] == REQUESTS_CSV_HEADER
    rows = list(csv.reader(io.StringIO("\n".join(lines[1:]))))
    assert [r[:4] for r in rows] == [["GET", "/home", "3", "0"], ["POST", "/login", "0", "1"],
                                     ["", "Total", "3", "1"]]
    home = rows[0]
    assert home[4:9] == ["200", "200", "100", "300", "1000"]
    assert re.fullmatch(r"\d+\.\d\d", home[9])


def test_distribution_csv(server, runner):
    for ms in range(1, 101):
        runner.stats.log_request("GET", "/p", ms, 0)
    runner.stats.log_error("GET", "/never", "x")
    lines = _check_download(get(server, "/stats/distribution/csv"), "distribution")
    assert lines[0] == DISTRIBUTION_CSV_HEADER
    assert lines[1].startswith('"GET /never",0,"N/A"') and lines[1].count('"N/A"') == 9
    row = lines[2].split(",")
    assert row[0] == '"GET /p"' and row[1] == "100"
    assert [int(v) for v in row[2:]] == pytest.approx([51, 67, 76, 81, 91, 96, 99, 100, 100],
                                                      abs=1)
    assert lines[3].startswith('"Total",100,')


def test_failures_csv(server, runner):
    runner.stats.log_error("GET", "/a", "timeout")
    runner.stats.log_error("GET", "/a", "timeout")
    lines = _check_download(get(server, "/stats/failures/csv"), "failures")
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    assert rows == [["Method", "Name", "Error", "Occurrences"], ["GET", "/a", "timeout", "2"]]


def test_exceptions_json_and_csv(server, runner):
    runner.exceptions = {
        1: {"count": 2, "msg": "ZeroDivisionError('x')", "traceback": "Traceback...\n  line",
            "nodes": {"node2", "node1"}},
        2: {"count": 5, "msg": "KeyError('k')", "traceback": "tb2", "nodes": {"local"}},
    }
    data = get(server, "/exceptions").json()
    assert sorted(data["exceptions"], key=lambda e: e["count"]) == [
        {"count": 2, "msg": "ZeroDivisionError('x')", "traceback": "Traceback...\n  line",
         "nodes": "node1, node2"},
        {"count": 5, "msg": "KeyError('k')", "traceback": "tb2", "nodes": "local"}]
    lines = _check_download(get(server, "/exceptions/csv"), "exceptions")
    assert lines[0] == "Count,Message,Traceback,Nodes"
    rows = list(csv.reader(io.StringIO(get(server, "/exceptions/csv").text)))
    assert sorted(rows[1:]) == [["2", "ZeroDivisionError('x')", "Traceback...\n  line",
                                 "node1, node2"], ["5", "KeyError('k')", "tb2", "local"]]


def test_exceptions_empty(server):
    assert get(server, "/exceptions").json() == {"exceptions": []}


# ------------------------------------------------- extension and options

def test_a_locustfile_can_add_a_route(server):
    @web.app.route("/added_page_test_web")
    def my_added_page():
        return "Another page"

    resp = get(server, "/added_page_test_web")
    assert resp.status == 200 and resp.text == "Another page"


def test_web_auth(runner):
    srv = serve(runner, web_auth="admin:s3cr:et")
    good = "Basic " + base64.b64encode(b"admin:s3cr:et").decode()
    bad = "Basic " + base64.b64encode(b"admin:wrong").decode()
    try:
        for path in ("/", "/static/style.css", "/stats/requests", "/stop"):
            resp = get(srv, path)
            assert resp.status == 401, path
            assert resp.headers["www-authenticate"].startswith("Basic realm=")
        assert get(srv, "/", headers={"Authorization": bad}).status == 401
        assert get(srv, "/", headers={"Authorization": "Basic !!!"}).status == 401
        assert post(srv, "/swarm", {"locust_count": 1, "hatch_rate": 1}).status == 401
        assert runner.calls == []
        assert get(srv, "/", headers={"Authorization": good}).status == 200
        assert get(srv, "/static/style.css", headers={"Authorization": good}).status == 200
        resp = post(srv, "/swarm", {"locust_count": 1, "hatch_rate": 1},
                    headers={"Authorization": good})
        assert resp.status == 200 and runner.calls == [("start_hatching", 1, 1.0)]
    finally:
        srv.stop(timeout=2)


@pytest.mark.parametrize("auth", ["nocolon", ":password"])
def test_malformed_web_auth_is_a_value_error(runner, auth):
    with pytest.raises(ValueError, match="user:password"):
        serve(runner, web_auth=auth)


class RecordingServer:
    """Replaces WSGIServer to see what start() asks for, without binding."""

    def __init__(self, address, app, environ=None, **kw):
        self.address, self.app, self.environ = address, app, environ
        self.started = False

    def start(self):
        self.started = True

    @property
    def server_port(self):
        return self.address[1]


def test_start_defaults_and_the_exposure_warning(monkeypatch, caplog, runner):
    import locust.engine.wsgi
    monkeypatch.setattr(locust.engine.wsgi, "WSGIServer", RecordingServer)
    caplog.set_level(logging.INFO, logger="locust.web")
    srv = web.start(runner, types.SimpleNamespace())   # no web_* attributes at all
    assert srv.started and srv.address == ("", 8089) and srv.app is web.app
    assert "Starting web monitor at http://*:8089" in caplog.text
    assert any(r.levelno == logging.WARNING and "--web-auth" in r.getMessage()
               for r in caplog.records)

    caplog.clear()
    web.start(runner, types.SimpleNamespace(web_host="0.0.0.0", web_port=9000,
                                            web_auth="u:p"))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    for host in ("127.0.0.1", "localhost", "::1"):
        caplog.clear()
        web.start(runner, types.SimpleNamespace(web_host=host, web_port=9001))
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING], host


def test_start_logs_the_real_port(caplog, runner):
    caplog.set_level(logging.INFO, logger="locust.web")
    srv = serve(runner)
    try:
        assert "Starting web monitor at http://127.0.0.1:%d" % srv.server_port in caplog.text
    finally:
        srv.stop(timeout=2)


# ------------------------------------------------- against the real runner

def test_swarm_resize_and_stop_with_a_real_local_runner():
    from locust import runners, stats
    from locust.core import Locust, TaskSet, task

    class Idle(TaskSet):
        @task
        def nap(self):
            sleep(0.05)

    class Sleeper(Locust):
        task_set = Idle
        min_wait = max_wait = 10

    options = types.SimpleNamespace(host=None, num_clients=1, hatch_rate=1, num_requests=None,
                                    run_time=None, reset_stats=False)
    runner = runners.LocalLocustRunner([Sleeper], options)
    srv = serve(runner)

    def wait_for_users(count, timeout=10):
        deadline = time.monotonic() + timeout
        while runner.user_count != count or runner.state != "running":
            assert time.monotonic() < deadline, (runner.user_count, runner.state)
            sleep(0.01)

    try:
        resp = post(srv, "/swarm", {"locust_count": 6, "hatch_rate": 200,
                                    "host": "http://127.0.0.1:1"})
        assert resp.json() == {"success": True, "message": "Swarming started"}
        assert Sleeper.host == runner.host == "http://127.0.0.1:1"
        wait_for_users(6)
        data = get(srv, "/stats/requests").json()
        assert (data["state"], data["user_count"]) == ("running", 6)

        assert post(srv, "/swarm", {"locust_count": 2, "hatch_rate": 200}).json()["success"]
        wait_for_users(2)
        data = get(srv, "/stats/requests").json()
        assert (data["state"], data["user_count"]) == ("running", 2)

        assert get(srv, "/stop").json() == {"success": True, "message": "Test stopped"}
        data = get(srv, "/stats/requests").json()
        assert (data["state"], data["user_count"]) == ("stopped", 0)
        assert 'data-state="stopped"' in get(srv, "/").text
    finally:
        runner.quit()
        srv.stop(timeout=2)
        stats.global_stats.clear_all()


# ------------------------------------------- history, logs, metrics, state

def test_stats_requests_window_fields_and_average_after_stop(server, runner):
    runner.stats.log_request("GET", "/a", 10, 1)
    runner.stats.log_error("GET", "/a", "e", response_time=30)
    runner.state, runner.num_clients = "running", 7
    data = get(server, "/stats/requests").json()
    row = data["stats"][0]
    assert set(row["current_response_time_percentiles"]) == {
        "response_time_percentile_0.5", "response_time_percentile_0.95",
        "response_time_percentile_0.99"}
    assert "current_fail_per_sec" in row and "response_time_percentile_99" in row
    assert row["max_response_time"] == 30          # failures' times count
    assert data["target_user_count"] == 7
    assert data["total_rps"] == data["current_rps"]
    runner.state = "stopped"
    data = get(server, "/stats/requests").json()
    assert data["total_rps"] == data["average_rps"] == pytest.approx(2.0)
    assert data["target_user_count"] == 0


def test_stats_history_route(server, runner):
    from locust.history import SAMPLE_FIELDS, StatsHistory
    runner.history = StatsHistory(runner)
    runner.history.clear(1000)
    for t in range(5):
        runner.history.append(1002 + 2 * t, 3, 10.5, 0.5, 12.0, None, 40.0)
    data = get(server, "/stats/history").json()
    assert data["interval"] == 2 and data["start_time"] == 1000
    assert data["fields"] == list(SAMPLE_FIELDS)
    assert data["time"] == [1002, 1004, 1006, 1008, 1010]
    assert data["p95"] == [None] * 5 and data["rps"] == [10.5] * 5
    assert get(server, "/stats/history?since=1006").json()["time"] == [1008, 1010]
    resp = get(server, "/stats/history?since=soon")
    assert resp.status == 400 and "since" in resp.json()["message"]


def test_stats_history_without_a_history(server, runner):
    data = get(server, "/stats/history").json()
    assert data["time"] == [] and data["start_time"] is None


def test_logs_route(server):
    logging.getLogger("test_web").warning("something to see: %d", 42)
    lines = get(server, "/logs").json()["logs"]
    mine = [line for line in lines if line["message"] == "something to see: 42"]
    assert mine and mine[-1]["level"] == "WARNING" and mine[-1]["logger"] == "test_web"
    after = get(server, "/logs?since=%d" % mine[-1]["id"]).json()["logs"]
    assert all(line["id"] > mine[-1]["id"] for line in after)


def test_metrics_route_and_its_auth(runner):
    from prometheus_client.parser import text_string_to_metric_families
    runner.stats.log_request("GET", "/a", 10, 1)
    srv = serve(runner, web_auth="u:p")
    try:
        assert get(srv, "/metrics").status == 401
        good = {"Authorization": "Basic " + base64.b64encode(b"u:p").decode()}
        resp = get(srv, "/metrics", headers=good)
    finally:
        srv.stop(timeout=2)
    assert resp.status == 200 and resp.headers["content-type"].startswith("text/plain")
    names = {f.name for f in text_string_to_metric_families(resp.text)}
    assert {"locust_requests", "locust_failures", "locust_response_time_seconds",
            "locust_users"} <= names
