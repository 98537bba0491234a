"""Tests of the Locust 2.x formats (locust/reports.py): PREFIX_stats.csv,
PREFIX_stats_history.csv and --json / --json-file, in process and from real runs
whose numbers must equal the 0.7 CSV files' and what the target served."""

import csv
import io
import json

import pytest

from locust import reports
from locust.stats import RequestStats
from support.locust_process import csv_total, run_locust


class FakeClock:
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def stats():
    clock = FakeClock()
    rs = RequestStats(clock=clock)
    for ms in (10, 20, 30, 40):
        rs.log_request("GET", "/a", ms, 100)
    rs.log_error("GET", "/a", "boom")
    rs.log_request("POST", "/b", 700, 50)
    clock.now = 1004.0
    rs.log_error("POST", "/b", "bad")
    return rs


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_stats_csv_layout(stats):
    text = reports.stats_csv(stats)
    header = text.splitlines()[0].split(",")
    assert header[:11] == ["Type", "Name", "Request Count", "Failure Count", "Median Response Time",
                           "Average Response Time", "Min Response Time", "Max Response Time",
                           "Average Content Size", "Requests/s", "Failures/s"]
    assert header[11:] == ["50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%",
                           "99.99%", "100%"]
    a, b, total = rows(text)
    assert (a["Type"], a["Name"], a["Request Count"], a["Failure Count"]) == ("GET", "/a", "5", "1")
    assert (a["Min Response Time"], a["Max Response Time"], a["100%"]) == ("10", "40", "40")
    assert a["Average Response Time"] == "25.0" and a["Median Response Time"] == "20"
    assert (total["Type"], total["Name"], total["Request Count"]) == ("", "Aggregated", "7")
    assert total["Requests/s"] == "1.75" and total["Failures/s"] == "0.5"  # 7 and 2 over 4 s
    assert b["50%"] == "700"


def test_stats_json(stats):
    data = json.loads(reports.json_text(stats))
    assert [(e["method"], e["name"]) for e in data] == [("GET", "/a"), ("POST", "/b")]
    a = data[0]
    assert a["num_requests"] == 5 and a["num_failures"] == 1 and a["num_successes"] == 4
    assert a["min_response_time"] == 10 and a["max_response_time"] == 40
    assert a["avg_response_time"] == 25 and a["total_response_time"] == 100
    assert a["response_times"] == {"10": 1, "20": 1, "30": 1, "40": 1}
    assert a["response_time_percentiles"]["100%"] == 40
    assert a["fail_ratio"] == pytest.approx(0.2)
    assert reports.json_file_name("out") == "out.json"
    assert reports.json_file_name("out.json") == "out.json"


def test_history_writer(stats, tmp_path):
    clock = FakeClock(1700000000.0)
    writer = reports.HistoryWriter(str(tmp_path / "h"), full_history=True, clock=clock)
    writer.write(stats, 3)
    clock.now += 2
    writer.write(stats, 4)
    writer.close()
    found = rows((tmp_path / "h_stats_history.csv").read_text())
    assert [(r["Timestamp"], r["User Count"], r["Name"]) for r in found] == [
        ("1700000000", "3", "/a"), ("1700000000", "3", "/b"), ("1700000000", "3", "Aggregated"),
        ("1700000002", "4", "/a"), ("1700000002", "4", "/b"), ("1700000002", "4", "Aggregated")]
    assert found[2]["Total Request Count"] == "7" and found[2]["Total Failure Count"] == "2"
    writer = reports.HistoryWriter(str(tmp_path / "t"), clock=clock)
    writer.write(stats, 1)
    writer.close()
    assert [r["Name"] for r in rows((tmp_path / "t_stats_history.csv").read_text())] == ["Aggregated"]


LOCUSTFILE = '''
from locust import HttpLocust, TaskSet, task

class T(TaskSet):
    @task(3)
    def index(self):
        self.client.get("/")

    @task(1)
    def fail(self):
        self.client.get("/fail")

class U(HttpLocust):
    task_set = T
    min_wait = 10
    max_wait = 30
'''


def test_real_run_reports_agree(tmp_path, counting_target):
    (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
    result = run_locust(["--headless", "-u", "3", "-r", "100", "-t", "5s", "-H", counting_target.url,
                         "--csv", "out", "--csv-full-history", "--json", "--json-file", "final",
                         "--exit-code-on-error", "0"], tmp_path)
    assert result.returncode == 0, result.stderr
    # --json: standard output is the JSON alone; the tables went to stderr.
    data = json.loads(result.stdout)
    assert "Percentage of the requests completed" in result.stderr
    assert json.loads((tmp_path / "final.json").read_text()) == data
    served = counting_target.count
    assert sum(e["num_requests"] for e in data) == served
    failures = {e["name"]: e["num_failures"] for e in data}
    assert failures["/fail"] > 0 and failures["/"] == 0
    # The 0.7 CSV counts successes and failures apart; 2.x's Request Count has both.
    successes, failed = csv_total(tmp_path / "out")
    assert successes + failed == served and failed == failures["/fail"]
    stats_rows = rows((tmp_path / "out_stats.csv").read_text())
    total = stats_rows[-1]
    assert total["Name"] == "Aggregated"
    assert (int(total["Request Count"]), int(total["Failure Count"])) == (served, failed)
    history = rows((tmp_path / "out_stats_history.csv").read_text())
    totals = [r for r in history if r["Name"] == "Aggregated"]
    assert len(totals) >= 2 and {r["Name"] for r in history} == {"/", "/fail", "Aggregated"}
    counts = [int(r["Total Request Count"]) for r in totals]
    assert counts == sorted(counts) and counts[-1] == served
    stamps = [int(r["Timestamp"]) for r in totals]
    assert stamps == sorted(stamps)
