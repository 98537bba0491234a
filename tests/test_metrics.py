"""Tests of locust.metrics: the Prometheus text format, parsed with prometheus_client's parser."""

import types
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from locust import metrics
from locust.stats import RequestStats
from support import free_port, wait_until
from support.locust_process import LocustProcess, wait_for_http


def families(text):
    return {f.name: f for f in text_string_to_metric_families(text)}


def samples(family, name=None):
    return {(tuple(sorted(s.labels.items())), s.name): s.value for s in family.samples
            if name is None or s.name == name}


def test_collector_counts_histogram_and_state():
    stats = RequestStats()
    for ms in (0.5, 3, 40, 40, 2000):
        stats.log_request("GET", "/a", ms, 1)
    stats.log_error("GET", "/a", "500", response_time=70)
    stats.log_error("POST", "/b", "refused")
    runner = types.SimpleNamespace(stats=stats, user_count=4, state="running", num_clients=5)
    found = families(metrics.render(runner).decode())

    requests = samples(found["locust_requests"], "locust_requests_total")
    assert requests == {((("method", "GET"), ("name", "/a")), "locust_requests_total"): 6,
                        ((("method", "POST"), ("name", "/b")), "locust_requests_total"): 1}
    fails = samples(found["locust_failures"], "locust_failures_total")
    assert sorted(fails.values()) == [1, 1]

    hist = found["locust_response_time_seconds"]
    a = {s.labels.get("le"): s.value for s in hist.samples
         if s.labels.get("name") == "/a" and s.name.endswith("_bucket")}
    assert a["0.001"] == 1 and a["0.005"] == 2 and a["0.05"] == 4 and a["0.075"] == 5
    assert a["2.5"] == 6 and a["+Inf"] == 6
    count = [s.value for s in hist.samples if s.name.endswith("_count") and s.labels["name"] == "/a"]
    total = [s.value for s in hist.samples if s.name.endswith("_sum") and s.labels["name"] == "/a"]
    assert count == [6] and total == [pytest.approx((0.5 + 3 + 80 + 2000 + 70) / 1000)]

    assert found["locust_users"].samples[0].value == 4
    assert found["locust_target_users"].samples[0].value == 5
    assert found["locust_state"].samples[0].labels == {"state": "running"}
    assert "process_cpu_seconds" in found
    assert "locust_slaves" not in found


def test_collector_of_a_master_has_slaves_by_state():
    nodes = {
        "a": types.SimpleNamespace(id="a", state="running", cpu_percent=97.0, memory=10),
        "b": types.SimpleNamespace(id="b", state="missing", cpu_percent=None, memory=None),
        "c": types.SimpleNamespace(id="c", state="running", cpu_percent=3.0, memory=20),
    }
    runner = types.SimpleNamespace(stats=RequestStats(), user_count=0, state="ready", clients=nodes)
    found = families(metrics.render(runner).decode())
    by_state = {s.labels["state"]: s.value for s in found["locust_slaves"].samples}
    assert by_state == {"ready": 0, "hatching": 0, "running": 2, "stopped": 0, "missing": 1}
    cpu = {s.labels["slave"]: s.value for s in found["locust_slave_cpu_percent"].samples}
    assert cpu == {"a": 97.0, "c": 3.0}


LOCUSTFILE = '''
from locust import HttpLocust, TaskSet, task


class Browse(TaskSet):
    @task(3)
    def index(self):
        self.client.get("/")

    @task(1)
    def missing(self):
        self.client.get("/missing")   # a 404: a failure


class WebsiteUser(HttpLocust):
    task_set = Browse
    min_wait = 5
    max_wait = 20
'''


def test_metrics_of_a_real_run_equal_what_the_target_saw(tmp_path, counting_target):
    (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    proc = LocustProcess(["-f", "locustfile.py", "-H", counting_target.url, "--web-host",
                          "127.0.0.1", "-P", str(port)], tmp_path, "locust")
    try:
        wait_for_http(base + "/", alive=lambda: proc.popen.poll() is None)
        data = b"locust_count=4&hatch_rate=100"
        urllib.request.urlopen(base + "/swarm", data=data, timeout=10).read()
        import time
        assert wait_until(lambda: counting_target.counts.get("/missing", 0) >= 5,
                          timeout=20, sleep=time.sleep)
        # Scraped while running, then after the stop.
        running = urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
        assert families(running)["locust_state"].samples[0].labels == {"state": "running"}
        urllib.request.urlopen(base + "/stop", timeout=20).read()
        text = urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
    finally:
        proc.popen.terminate()
        proc.wait(10)
    found = families(text)
    requests = {s.labels["name"]: s.value for s in found["locust_requests"].samples
                if s.name == "locust_requests_total"}
    failures = {s.labels["name"]: s.value for s in found["locust_failures"].samples
                if s.name == "locust_failures_total"}
    with counting_target.lock:
        seen = dict(counting_target.counts)
    assert requests == {"/": seen["/"], "/missing": seen["/missing"]}
    assert failures == {"/": 0, "/missing": seen["/missing"]}
    counts = {s.labels["name"]: s.value for s in found["locust_response_time_seconds"].samples
              if s.name.endswith("_count")}
    assert counts == requests
