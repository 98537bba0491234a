"""Tests of locust.stats: entries, histogram accuracy, merging, errors, reports."""

import csv
import io
import math
import random

import msgpack
import pytest

from locust import events, stats, stats_report
from locust.exception import CatchResponseError
from locust.stats import (
    Histogram,
    RequestStats,
    StatsEntry,
    StatsError,
    bucket_of,
    bucket_value,
    round_half_up,
)


class FakeClock:
    """A clock the tests move by hand."""

    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


def exact_percentile(values, p):
    """The reference definition: sorted value at 0-based int(n*p), capped."""
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * p), len(ordered) - 1)]


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def rs(clock):
    return RequestStats(clock=clock)


@pytest.fixture
def summary_stats(rs):
    """The behaviour summary's data: 7 successes, 3 failures on GET /."""
    for t in (45, 135, 44, 375, 601, 35, 79):
        rs.log_request("GET", "/", t, 100)
    for _ in range(3):
        rs.log_error("GET", "/", Exception("dummy fail"))
    return rs


# ------------------------------------------------------------ basic figures

def test_summary_values(summary_stats):
    e = summary_stats.get("/", "GET")
    assert e.num_requests == 7
    assert e.num_failures == 3
    assert e.median_response_time == 79
    assert round(e.avg_response_time, 2) == 187.71
    assert e.fail_ratio == pytest.approx(0.3)
    assert e.min_response_time == 35
    assert e.max_response_time == 601
    assert e.avg_content_length == 100
    assert summary_stats.num_requests == 7 and summary_stats.num_failures == 3


def test_total_mirrors_entries(summary_stats):
    summary_stats.log_request("POST", "/other", 12.5, 10)
    total = summary_stats.total
    assert (total.name, total.method) == ("Total", None)
    assert total.num_requests == 8 and total.num_failures == 3
    assert total.total_response_time == 1314 + 12.5
    assert total.min_response_time == 12.5 and total.max_response_time == 601
    assert total.total_content_length == 710


def test_empty_entry_defaults(rs):
    e = rs.get("/", "GET")
    assert e.min_response_time is None
    assert (e.max_response_time, e.avg_response_time, e.median_response_time) == (0, 0, 0)
    assert e.get_response_time_percentile(0.95) == 0
    assert (e.fail_ratio, e.current_rps, e.total_rps, e.avg_content_length) == (0, 0, 0, 0)


def test_percentiles_over_0_to_99(rs):
    for t in range(100):
        rs.log_request("GET", "/", t, 0)
    e = rs.get("/", "GET")
    assert e.get_response_time_percentile(0.5) == 50
    assert e.get_response_time_percentile(0.6) == 60
    assert e.get_response_time_percentile(0.95) == 95
    assert e.get_response_time_percentile(0.0) == 0
    assert e.get_response_time_percentile(1.0) == 99
    assert e.median_response_time == 49  # (n-1)//2: the lower middle


def test_median_is_lower_middle_and_rounds_nicely(rs):
    for t in (100, 800, 700):
        rs.log_request("GET", "/", t, 0)
    assert rs.get("/", "GET").median_response_time == 700


def test_content_length_none_counts_as_zero(rs):
    rs.log_request("GET", "/", 10, None)
    rs.log_request("GET", "/", 10, 30)
    assert rs.get("/", "GET").avg_content_length == 15


def test_named_entries_are_separate(rs):
    rs.log_request("GET", "/a?x=1", 1, 0)
    rs.log_request("GET", "/a?x=2", 1, 0)
    rs.log_request("POST", "/a?x=1", 1, 0)
    assert len(rs.entries) == 3


# --------------------------------------------------------------- histogram

def test_bucket_keys_are_monotonic_and_continuous():
    values = sorted([i / 1000.0 for i in range(0, 20000)] + [10 * 1.001 ** i for i in range(8000)])
    keys = [bucket_of(v) for v in values]
    assert keys == sorted(keys)
    assert set(range(keys[0], keys[-1] + 1)) == set(keys)  # no holes
    assert bucket_of(9.949) == 99 and bucket_of(9.95) == 100


def test_bucket_width_bounds():
    for key in range(0, 100):
        assert bucket_value(key) == key / 10.0
    for key in range(100, 1500):
        lo = math.exp((key - stats._B) / stats._C)
        hi = math.exp((key + 1 - stats._B) / stats._C)
        assert hi / lo <= 1.01 + 1e-12
        value = bucket_value(key)
        assert bucket_of(value) == key  # the value lies in its bucket


@pytest.mark.parametrize("value", [0, 0.1, 3.3, 5, 9.9, 10, 45, 79, 99, 100, 700, 800,
                                   1000, 2000, 60000])
def test_round_values_come_back_exactly(value):
    assert bucket_value(bucket_of(value)) == value


@pytest.mark.parametrize("seed", [1, 2])
def test_percentile_accuracy_lognormal(seed):
    rng = random.Random(seed)
    values = [rng.lognormvariate(math.log(200), 1.0) for _ in range(10000)]
    e = StatsEntry(None, "/", "GET")
    for v in values:
        e.log(v, 0)
    ps = [i / 100.0 for i in range(101)] + [0.999, 0.9999]
    for p in ps:
        exact = exact_percentile(values, p)
        got = e.get_response_time_percentile(p)
        # The design's guarantee: 1% of the value, 0.05 ms below 9.95 ms.
        assert abs(got - exact) <= max(0.01 * exact, 0.05), (p, got, exact)
    assert e.get_response_time_percentile(1.0) == max(values)
    assert e.get_response_time_percentile(0.0) == min(values)


def test_percentile_accuracy_below_10ms():
    rng = random.Random(3)
    values = [rng.uniform(0, 12) for _ in range(5000)]
    h = Histogram()
    for v in values:
        h.record(v)
    for i in range(1, 100):
        p = i / 100.0
        assert abs(h.percentile(p) - exact_percentile(values, p)) <= max(
            0.05 + 1e-9, 0.01 * exact_percentile(values, p))


def test_histogram_merge_and_equality():
    a, b, both = Histogram(), Histogram(), Histogram()
    for v in (1, 2, 2, 300, 5000):
        a.record(v)
        both.record(v)
    for v in (2, 300.5, 7):
        b.record(v)
        both.record(v)
    a.merge(b)
    assert a == both and a.count == 8
    a.merge({str(bucket_of(2)): 1})  # str keys (from JSON) are accepted
    assert a[bucket_of(2)] == both[bucket_of(2)] + 1
    with pytest.raises(IndexError):
        Histogram().value_at_rank(0)
    assert Histogram().percentile(0.5) == 0


def test_log_request_buckets_like_bucket_of(rs):
    for v in (0, 0.04, 9.94, 9.95, 10, 123.456, 1e6):
        rs.log_request("GET", "/", v, 0)
    expected = Histogram()
    for v in (0, 0.04, 9.94, 9.95, 10, 123.456, 1e6):
        expected.record(v)
    assert rs.get("/", "GET").response_times == expected
    assert rs.total.response_times == expected


def test_round_half_up():
    assert [round_half_up(v) for v in (0.5, 1.5, 2.5, 2.4999, 187.71, 0)] == [1, 2, 3, 2, 188, 0]


# ------------------------------------------------------------------- merging

def _stream(rng, n):
    return [(rng.lognormvariate(3, 1.5), rng.randrange(0, 5000)) for _ in range(n)]


def test_extend_of_serialized_entries_equals_one_entry(clock):
    rng = random.Random(7)
    first, second = _stream(rng, 500), _stream(rng, 300)
    a, b, both = (StatsEntry(None, "/", "GET") for _ in range(3))
    for e in (a, b, both):
        e.clock = clock
        e.reset()
    for t, size in first:
        a.log(t, size)
        both.log(t, size)
    clock.now += 1.5
    for t, size in second:
        b.log(t, size)
        both.log(t, size)
    b.log_error("x")
    both.log_error("x")
    merged = StatsEntry.unserialize(msgpack.unpackb(msgpack.packb(a.serialize()),
                                                    strict_map_key=False))
    merged.extend(StatsEntry.unserialize(b.serialize()))
    expected = both.serialize()
    got = merged.serialize()
    assert got.pop("total_response_time") == pytest.approx(expected.pop("total_response_time"))
    assert got == expected


def test_extend_handles_none_minimum():
    empty, full = StatsEntry(None, "/", "GET"), StatsEntry(None, "/", "GET")
    full.log(42, 1)
    empty.extend(full)
    assert empty.min_response_time == 42
    full.extend(StatsEntry(None, "/", "GET"))
    assert full.min_response_time == 42
    none = StatsEntry(None, "/", "GET")
    none.extend(StatsEntry(None, "/", "GET"))
    assert none.min_response_time is None and none.last_request_timestamp is None


def test_get_stripped_report_is_a_delta(clock):
    e = StatsEntry(None, "/", "GET")
    e.clock = clock
    e.log(10, 1)
    clock.now += 3
    report = e.get_stripped_report()
    assert report["num_requests"] == 1 and report["min_response_time"] == 10
    assert e.num_requests == 0 and e.response_times == {} and e.min_response_time is None
    assert e.start_time == clock.now and e.get_stripped_report()["num_requests"] == 0


def test_serialize_is_plain_data(summary_stats):
    data = summary_stats.serialize_and_reset()
    assert msgpack.unpackb(msgpack.packb(data), strict_map_key=False) == data


def _events(rng, n, clock):
    """A random stream of (time, method, name, response time or error)."""
    out = []
    for _ in range(n):
        clock.now += rng.random() * 0.05
        method, name = rng.choice([("GET", "/"), ("GET", "/a"), ("POST", "/a")])
        what = rng.choice([ValueError("bad"), "timeout"]) if rng.random() < 0.1 else \
            rng.lognormvariate(4, 1)
        out.append((clock.now, method, name, what))
    return out


def _apply(target, stream, clock):
    for now, method, name, what in stream:
        clock.now = now
        if isinstance(what, float):
            target.log_request(method, name, what, int(what) % 7)
        else:
            target.log_error(method, name, what)


def test_slave_deltas_merge_exactly_on_master():
    clock = FakeClock()
    rng = random.Random(11)
    slaves = [RequestStats(clock=clock) for _ in range(2)]
    direct, master = RequestStats(clock=clock), RequestStats(clock=clock)
    for _ in range(3):
        for slave in slaves:
            stream = _events(rng, 300, clock)
            _apply(slave, stream, clock)
            _apply(direct, stream, clock)
            wire = msgpack.packb(slave.serialize_and_reset())
            master.merge(msgpack.unpackb(wire, strict_map_key=False))
            assert slave.num_requests == 0 and slave.errors == {}
    assert master.num_requests + master.num_failures == 1800
    assert set(master.entries) == set(direct.entries)
    for key, entry in direct.entries.items():
        _assert_same(master.entries[key], entry)
    _assert_same(master.total, direct.total)
    assert {k: e.to_dict() for k, e in master.errors.items()} == direct.serialize_errors()
    assert sum(e.occurences for e in master.errors.values()) == master.num_failures


def _assert_same(a, b):
    for field in ("num_requests", "num_failures", "total_content_length", "max_response_time",
                  "min_response_time", "response_times", "num_reqs_per_sec", "num_fail_per_sec"):
        assert getattr(a, field) == getattr(b, field), field
    assert a.total_response_time == pytest.approx(b.total_response_time)
    assert a.median_response_time == b.median_response_time


def test_merge_without_stats_total_builds_total(rs):
    other = RequestStats(clock=rs.clock)
    other.log_request("GET", "/", 5, 1)
    other.log_request("GET", "/b", 7, 1)
    data = other.serialize_and_reset()
    del data["stats_total"]
    rs.merge(data)
    assert rs.num_requests == 2 and rs.total.max_response_time == 7


# -------------------------------------------------------------------- errors

def test_errors_grouped_by_method_name_and_error(rs):
    rs.log_error("GET", "/", ValueError("bad"))
    rs.log_error("GET", "/", ValueError("bad"))
    rs.log_error("GET", "/", ValueError("other"))
    rs.log_error("POST", "/", ValueError("bad"))
    rs.log_error("GET", "/x", ValueError("bad"))
    counts = sorted((e.method, e.name, e.error, e.occurences) for e in rs.errors.values())
    assert counts == [("GET", "/", "ValueError('bad')", 2), ("GET", "/", "ValueError('other')", 1),
                      ("GET", "/x", "ValueError('bad')", 1), ("POST", "/", "ValueError('bad')", 1)]
    assert rs.get("/", "GET").num_failures == 3 and rs.get("/", "GET").num_requests == 0


def test_error_text():
    assert stats.error_text("plain") == "plain"
    assert stats.error_text(CatchResponseError("Got wrong response")) == \
        "CatchResponseError('Got wrong response')"
    assert stats.error_text(ConnectionRefusedError(111, "refused")) == \
        "ConnectionRefusedError('[Errno 111] refused')"
    a = stats.error_text(OSError("<Conn object at 0x7f12ab> failed"))
    b = stats.error_text(OSError("<Conn object at 0x7f99cd> failed"))
    assert a == b == "OSError('<Conn object> failed')"


def test_stats_error_round_trip():
    err = StatsError("GET", "/", ValueError("x"), 4)
    again = StatsError.from_dict(err.to_dict())
    assert again.to_dict() == {"method": "GET", "name": "/", "error": "ValueError('x')",
                               "occurences": 4}
    assert StatsError.key("GET", "/", ValueError("x")) == StatsError.key("GET", "/", "ValueError('x')")
    assert StatsError.key("GET", "a.b", "c") != StatsError.key("GET", "a", "b.c")


# --------------------------------------------------------- reset, clear, cap

def test_reset_all_keeps_entries_and_drops_errors(summary_stats, clock):
    clock.now += 5
    summary_stats.reset_all()
    e = summary_stats.get("/", "GET")
    assert ("/", "GET") in summary_stats.entries
    assert (e.num_requests, e.num_failures, e.min_response_time, e.response_times) == (0, 0, None, {})
    assert summary_stats.num_requests == 0 and summary_stats.errors == {}
    assert summary_stats.start_time == clock.now


def test_clear_all(summary_stats):
    summary_stats.max_requests = 5
    summary_stats.clear_all()
    assert summary_stats.entries == {} and summary_stats.errors == {}
    assert summary_stats.num_requests == 0 and summary_stats.num_failures == 0
    assert summary_stats.max_requests == 5


def test_cap_reached_counts_failures(rs):
    assert not rs.cap_reached
    rs.max_requests = 3
    rs.log_request("GET", "/", 1, 0)
    rs.log_error("GET", "/", "x")
    assert not rs.cap_reached
    rs.log_error("GET", "/", "x")
    assert rs.cap_reached


# ------------------------------------------------------------------ rps

def test_current_rps_window(rs, clock):
    clock.now = 1000.0
    rs.reset_all()
    for second in range(1000, 1020):
        clock.now = second + 0.5
        for _ in range(second - 1000):  # 0, 1, 2, ... per second
            rs.log_request("GET", "/", 1, 0)
    e = rs.get("/", "GET")
    # last request at 1019: window 1007..1016, counts 7..16
    assert e.current_rps == pytest.approx(sum(range(7, 17)) / 10.0)
    assert rs.total.current_rps == e.current_rps
    assert e.total_rps == pytest.approx(e.num_requests / 19.5)


def test_current_rps_early_and_after_failures(rs, clock):
    clock.now = 1000.2
    rs.reset_all()
    rs.log_request("GET", "/", 1, 0)
    assert rs.get("/", "GET").current_rps == 0  # window still empty
    clock.now = 1004.5
    rs.log_request("GET", "/", 1, 0)
    # window = 1000..1001 (start clipped): 1 request in 2 seconds
    assert rs.get("/", "GET").current_rps == pytest.approx(0.5)
    clock.now = 1030
    rs.log_error("GET", "/", "x")  # failures move the window on
    assert rs.get("/", "GET").current_rps == 0


def test_per_second_counts_are_pruned(rs, clock):
    for second in range(1000, 1200):
        clock.now = second
        rs.log_request("GET", "/", 1, 0)
        rs.log_error("GET", "/", "x")
    e = rs.get("/", "GET")
    assert len(e.num_reqs_per_sec) <= stats.PER_SECOND_HISTORY + 1
    assert len(e.num_fail_per_sec) <= stats.PER_SECOND_HISTORY + 1
    assert max(e.num_reqs_per_sec) == 1199 and e.num_requests == 200


# -------------------------------------------------------------- events wiring

@pytest.fixture
def fresh_global_stats(monkeypatch):
    fresh = RequestStats()
    monkeypatch.setattr(stats, "global_stats", fresh)
    return fresh


def test_events_log_into_global_stats(fresh_global_stats):
    events.request_success.fire(request_type="GET", name="/e", response_time=12.5,
                                response_length=33)
    events.request_failure.fire(request_type="GET", name="/e", response_time=40,
                                exception=CatchResponseError("nope"))
    e = fresh_global_stats.get("/e", "GET")
    assert (e.num_requests, e.num_failures, e.total_content_length) == (1, 1, 33)
    assert [x.error for x in fresh_global_stats.errors.values()] == ["CatchResponseError('nope')"]
    assert e.max_response_time == 12.5  # a failure records no response time


# ------------------------------------------------------------------- reports

REQ_HEADER = ('"Method","Name","# requests","# failures","Median response time",'
              '"Average response time","Min response time","Max response time",'
              '"Average Content Size","Requests/s"')
DIST_HEADER = '"Name","# requests","50%","66%","75%","80%","90%","95%","98%","99%","100%"'


def test_requests_csv(summary_stats, clock):
    summary_stats.log_error("DELETE", "/b", "gone")
    lines = stats_report.requests_csv(summary_stats).split("\n")
    assert lines[0] == REQ_HEADER
    assert lines[1] == '"GET","/",7,3,79,188,35,601,100,7.00'
    assert lines[2] == '"DELETE","/b",0,1,0,0,0,0,0,0.00'  # sorted by (name, method)
    assert lines[3] == '"","Total",7,4,79,188,35,601,100,7.00'
    assert len(lines) == 4


def test_csv_ints_round_half_up(rs):
    rs.log_request("GET", "/", 0.5, 1)
    rs.log_request("GET", "/", 2.5, 2)
    row = stats_report.requests_csv(rs).split("\n")[1]
    # median 0.5 -> 1, avg 1.5 -> 2, min 0.5 -> 1, max 2.5 -> 3, size 1.5 -> 2
    assert row.startswith('"GET","/",2,0,1,2,1,3,2,')
    dist = stats_report.distribution_csv(rs).split("\n")[1]
    assert dist == '"GET /",2,3,3,3,3,3,3,3,3,3'


def test_distribution_csv(summary_stats):
    summary_stats.log_error("GET", "/only-fails", "x")
    for t in range(100):
        summary_stats.log_request("POST", "/p", t, 0)
    lines = stats_report.distribution_csv(summary_stats).split("\n")
    assert lines[0] == DIST_HEADER
    assert lines[1] == '"GET /",7,79,136,374,374,601,601,601,601,601'
    assert lines[2] == '"GET /only-fails",0' + ',"N/A"' * 9
    assert lines[3] == '"POST /p",100,50,66,75,80,90,95,98,99,99'
    assert lines[4].startswith('"Total",107,')
    assert len(lines) == 5


def test_csvs_parse_with_csv_module(summary_stats):
    summary_stats.log_request("GET", '/q"uote', 1, 0)
    rows = list(csv.reader(io.StringIO(stats_report.requests_csv(summary_stats))))
    assert [r[1] for r in rows[1:]] == ["/", '/q"uote', "Total"]
    assert all(len(r) == 10 for r in rows)


def test_failures_csv(summary_stats):
    lines = stats_report.failures_csv(summary_stats).splitlines()
    assert lines[0] == '"Method","Name","Error","Occurrences"'
    assert lines[1] == '"GET","/","Exception(\'dummy fail\')",3'


def test_exceptions_csv():
    text = stats_report.exceptions_csv({"k": {"count": 2, "msg": "boom, \"bad\"", "traceback": "line1\nline2",
                                       "nodes": {"b", "a"}}})
    rows = list(csv.reader(io.StringIO(text)))
    assert text.split("\n")[0] == "Count,Message,Traceback,Nodes"
    assert rows[1] == ["2", 'boom, "bad"', "line1\nline2", "a, b"]
    assert stats_report.exceptions_csv(None) == "Count,Message,Traceback,Nodes\n"


def test_write_csv_files(summary_stats, tmp_path):
    paths = stats_report.write_csv_files(summary_stats, str(tmp_path / "run"), exceptions={})
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["run_distribution.csv", "run_exceptions.csv", "run_failures.csv",
                     "run_requests.csv"]
    assert len(paths) == 4
    assert (tmp_path / "run_requests.csv").read_text().startswith(REQ_HEADER + "\n")


def test_stats_table(summary_stats):
    text = stats_report.stats_table(summary_stats)
    lines = text.split("\n")
    assert lines[0] == " %-60s %7s %12s %7s %7s %7s  | %7s %7s" % (
        "Name", "# reqs", "# fails", "Avg", "Min", "Max", "Median", "req/s")
    assert lines[2] == " %-60s %7s %12s %7s %7s %7s  | %7s %7s" % (
        "GET /", 7, "3(30.00%)", 188, 35, 601, 79, "0.00")
    assert lines[3].startswith("-----") and lines[4].startswith(" Total ")
    assert "3(30.00%)" in lines[4]


def test_percentile_table_and_error_report(summary_stats):
    table = stats_report.percentile_table(summary_stats)
    assert table.startswith("Percentage of the requests completed within given times\n")
    assert "99.9%" in table and "100%" in table
    assert any(line.startswith(" GET / ") and line.split()[-1] == "601" for line in table.split("\n"))
    assert any(line.startswith(" Total ") for line in table.split("\n"))
    report = stats_report.error_report(summary_stats)
    assert report.startswith("Error report\n") and "# occurences" in report
    assert " 3 " in report and "GET /: Exception('dummy fail')" in report
    assert stats_report.error_report(RequestStats()) == ""


def test_print_functions(summary_stats, capsys):
    stats_report.print_stats(summary_stats)
    stats_report.print_percentile_stats(summary_stats)
    stats_report.print_error_report(summary_stats)
    stats_report.print_error_report(RequestStats())
    out = capsys.readouterr().out
    assert "3(30.00%)" in out and "Percentage of the requests" in out
    assert out.count("Error report") == 1


def test_request_rows(summary_stats):
    summary_stats.log_error("GET", "/a", "x")
    rows = stats_report.request_rows(summary_stats)
    assert [(r["method"], r["name"]) for r in rows] == [("GET", "/"), ("GET", "/a"), (None, "Total")]
    assert rows[1]["min_response_time"] == 0
    assert rows[0]["median_response_time"] == 79 and rows[0]["p99_response_time"] == 601
    for key in ("num_requests", "num_failures", "avg_response_time", "max_response_time",
                "current_rps", "avg_content_length", "p90_response_time", "p95_response_time"):
        assert key in rows[0]


def test_console_tables_show_sub_10ms_times_with_decimals():
    rs = RequestStats()
    for ms in (0.42, 0.42, 0.5, 3.14159, 12.6):
        rs.log_request("GET", "/fast", ms, 10)
    row = [line for line in stats_report.stats_table(rs).split("\n") if line.startswith(" GET /fast")][0]
    # Avg 3.42 (0.42+0.42+0.5+3.14159+12.6)/5, Min 0.42, Max 13 (whole ms from 10 up), Median 0.5
    assert row.split()[4:8] == ["3.42", "0.42", "13", "|"], row
    assert row.split()[8] == "0.5", row
    prow = [line for line in stats_report.percentile_table(rs).split("\n")
            if line.startswith(" GET /fast")][0]
    assert prow.split()[3] == "0.5" and prow.split()[-1] == "13", prow
    assert stats_report._ms(0.0) == "0" and stats_report._ms(9.999) == "10"


# ------------------------------------------------- failures' times, the window

def test_failures_keep_their_times_apart_from_the_successes(rs):
    for ms in (10, 20, 30):
        rs.log_request("GET", "/mixed", ms, 5)
    rs.log_error("GET", "/mixed", "500", response_time=400)
    for ms in (100, 200, 300):
        rs.log_error("GET", "/down", "500", response_time=ms)
    rs.log_error("GET", "/down", "refused")          # no time: counted, not timed
    mixed, down = rs.get("/mixed", "GET"), rs.get("/down", "GET")
    # The 0.7 figures: successes only.
    assert (mixed.num_requests, mixed.num_failures) == (3, 1)
    assert mixed.avg_response_time == 20 and mixed.max_response_time == 30
    assert (down.num_requests, down.num_failures, down.median_response_time) == (0, 4, 0)
    # Every timed request.
    assert mixed.all_avg_response_time == 115 and mixed.all_max_response_time == 400
    assert down.all_median_response_time == 200 and down.all_min_response_time == 100
    assert down.all_percentiles((0.0, 1.0)) == [100, 300]
    assert rs.total.all_response_times.count == 7
    # The CSV keeps 0.7's columns and numbers.
    lines = stats_report.requests_csv(rs).splitlines()
    assert lines[1].startswith('"GET","/down",0,4,0,0,0,0,0,')
    assert lines[2].startswith('"GET","/mixed",3,1,20,20,10,30,5,')


def test_failure_listener_passes_the_time(fresh_global_stats):
    events.request_failure.fire(request_type="GET", name="/x", response_time=42.0,
                                exception=CatchResponseError("no"))
    entry = stats.global_stats.get("/x", "GET")
    assert entry.num_failures == 1 and entry.all_max_response_time == 42.0


@pytest.mark.parametrize("bad", ["soon", float("nan"), -1, float("inf"), None])
def test_failure_with_an_unusable_time_is_counted_untimed(rs, bad):
    rs.log_error("GET", "/x", "e", response_time=bad)
    entry = rs.get("/x", "GET")
    assert entry.num_failures == 1 and entry.fail_response_times.count == 0


def test_current_window_rates_and_percentiles(rs, clock):
    start = clock.now = 1000.0
    rs.total.reset()
    for second in range(20):
        clock.now = start + second + 0.5
        for _ in range(10):
            rs.log_request("GET", "/", 10 if second < 12 else 500, 1)
        rs.log_error("GET", "/", "e", response_time=900)
    now = rs.get("/", "GET").current()
    # Seconds 7..16 (t=19: t-12 .. t-3): 5 fast, 5 slow; one failure each.
    assert now["rps"] == pytest.approx(11) and now["fail_per_sec"] == pytest.approx(1)
    assert now["percentiles"][0.5] == pytest.approx(500, rel=0.01)
    assert now["percentiles"][0.99] == pytest.approx(900, rel=0.01)
    assert rs.get("/", "GET").current_rps == pytest.approx(10)     # 0.7: successes
    assert rs.get("/", "GET").current_fail_per_sec == pytest.approx(1)
    assert rs.total.current() == now
    # Old seconds leave the window's histograms.
    assert min(rs.total.window_times) >= 19 + 1000 - stats.WINDOW_SLOTS
    assert RequestStats().total.current()["percentiles"] == {0.5: None, 0.95: None, 0.99: None}


def test_window_merges_exactly_over_slaves(clock):
    """Two slaves' deltas (window slots included) = one process that logged it all."""
    rng = random.Random(11)
    slaves = [RequestStats(clock=clock) for _ in range(2)]
    alone, master = RequestStats(clock=clock), RequestStats(clock=clock)
    for rs in slaves + [alone, master]:
        rs.total.reset()
    for second in range(15):
        clock.now = 1000 + second + 0.3
        for _ in range(30):
            slave = rng.choice(slaves)
            ms = rng.lognormvariate(3, 1)
            if rng.random() < 0.1:
                slave.log_error("GET", "/a", "e", response_time=ms)
                alone.log_error("GET", "/a", "e", response_time=ms)
            else:
                slave.log_request("GET", "/a", ms, 1)
                alone.log_request("GET", "/a", ms, 1)
        if second % 3 == 2:
            for slave in slaves:
                wire = msgpack.unpackb(msgpack.packb(slave.serialize_and_reset()),
                                       strict_map_key=False)
                master.merge(wire)
    for slave in slaves:
        master.merge(slave.serialize_and_reset())
    for mine, theirs in ((master.total, alone.total), (master.get("/a", "GET"), alone.get("/a", "GET"))):
        assert mine.window_times == theirs.window_times
        assert mine.fail_response_times == theirs.fail_response_times
        assert mine.current() == theirs.current()
        assert mine.num_fail_per_sec == theirs.num_fail_per_sec


def test_request_rows_show_failures_as_requests(rs, clock):
    for second in range(14):
        clock.now = 1000 + second
        rs.log_error("GET", "/down", "500", response_time=80)
        rs.log_request("GET", "/up", 20, 3)
    down, up, total = stats_report.request_rows(rs)
    assert (down["num_requests"], down["num_failures"]) == (0, 14)
    assert down["median_response_time"] == 80 and down["avg_response_time"] == 80
    assert down["current_rps"] == pytest.approx(1) and down["current_fail_per_sec"] == pytest.approx(1)
    assert down["current_response_time_percentiles"] == {
        "response_time_percentile_0.5": 80, "response_time_percentile_0.95": 80,
        "response_time_percentile_0.99": 80}
    assert up["current_fail_per_sec"] == 0 and total["current_rps"] == pytest.approx(2)
    assert total["total_rps"] == pytest.approx(28 / 13)
