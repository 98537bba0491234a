"""Tests of locust.thresholds: the grammar, measuring on statistics, the table."""

import types

import pytest

from locust import thresholds
from locust.stats import RequestStats
from locust.thresholds import ThresholdError, parse


class FakeClock:
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def stats():
    """GET /login: 10 successes 10..100 ms; POST /login: 2 successes (200, 300 ms)
    and 1 failure; GET /: 5 successes of 5 ms and 1 failure; over 10 s."""
    clock = FakeClock()
    rs = RequestStats(clock=clock)
    rs.total.start_time = 1000.0
    for i in range(1, 11):
        rs.log_request("GET", "/login", i * 10.0, 100)
    rs.log_request("POST", "/login", 200.0, 10)
    rs.log_request("POST", "/login", 300.0, 10)
    rs.log_error("POST", "/login", "boom")
    for _ in range(5):
        rs.log_request("GET", "/", 5.0, 10)
    clock.now = 1010.0
    rs.log_error("GET", "/", "down")
    return rs


# ----------------------------------------------------------------- grammar

@pytest.mark.parametrize("text, name, metric, op, limit", [
    ("p95<500ms", None, "p95", "<", 500.0),
    ("p95 < 500", None, "p95", "<", 500.0),
    ("p99.9<=2s", None, "p99.9", "<=", 2000.0),
    ("avg<0.5s", None, "avg", "<", 500.0),
    ("max<1500", None, "max", "<", 1500.0),
    ("fail_ratio<1%", None, "fail_ratio", "<", 0.01),
    ("fail_ratio<=0.05", None, "fail_ratio", "<=", 0.05),
    ("rps>=200", None, "rps", ">=", 200.0),
    ("rps>=200/s", None, "rps", ">=", 200.0),
    ("requests>1000", None, "requests", ">", 1000.0),
    ("GET /login:p99<800", "GET /login", "p99", "<", 800.0),
    ("/login:p50<100ms", "/login", "p50", "<", 100.0),
    ("GET http://x:8080/a:p75>1", "GET http://x:8080/a", "p75", ">", 1.0),
    ("  p90<3  ", None, "p90", "<", 3.0),
])
def test_parse_valid(text, name, metric, op, limit):
    t = parse(text)
    assert (t.name, t.metric, t.op) == (name, metric, op)
    assert t.limit == pytest.approx(limit)
    assert t.expression == text.strip()


@pytest.mark.parametrize("text, problem", [
    ("", "empty"),
    ("p96<500", "unknown metric 'p96'"),
    ("p95=500", "unknown comparison '='"),
    ("p95==500", "unknown comparison '=='"),
    ("p95 500", "missing comparison"),
    ("p95<", "missing number"),
    ("p95<abc", "expected a number"),
    ("p95<500%", "not a time unit"),
    ("fail_ratio<1ms", "fail_ratio takes a ratio"),
    ("fail_ratio<150%", "between 0 and 1"),
    ("rps>5ms", "rps takes a plain number"),
    ("requests>5/s", "requests takes a plain number"),
    (":p95<5", "name before ':' is empty"),
    ("p95<-5", "must not be negative"),
    ("p95<inf", "expected a number"),
])
def test_parse_errors_name_the_expression_and_the_problem(text, problem):
    with pytest.raises(ThresholdError) as info:
        parse(text)
    message = str(info.value)
    assert problem in message
    assert "\n" not in message
    if text:
        assert repr(text) in message


def test_parse_all_drops_repeats_and_rejects_non_strings():
    assert [t.expression for t in thresholds.parse_all(["p95<5", "p95<5", "rps>1"])] == \
        ["p95<5", "rps>1"]
    with pytest.raises(ThresholdError, match="must be a string"):
        thresholds.parse_all([5])


def test_final_once_crossed():
    assert parse("max<5").final_once_crossed
    assert parse("requests<=5").final_once_crossed
    assert parse("fail_ratio<1%").final_once_crossed
    assert not parse("requests>5").final_once_crossed
    assert not parse("p95<5").final_once_crossed
    assert not parse("rps<5").final_once_crossed


# --------------------------------------------------------------- measuring

def measured(stats, text):
    return parse(text).measure(stats)


def test_measures_the_total(stats):
    assert measured(stats, "requests>0") == 19  # 17 successes + 2 failures
    assert measured(stats, "fail_ratio<1") == pytest.approx(2 / 19)
    assert measured(stats, "max<1") == 300.0
    assert measured(stats, "avg<1") == pytest.approx((550 + 500 + 25) / 17)
    assert measured(stats, "p50<1") == stats.total.get_response_time_percentile(0.5)
    assert measured(stats, "rps>1") == pytest.approx(19 / 10.0)


def test_measures_a_named_entry(stats):
    # "GET /login" is one entry; "/login" is every method of that name.
    assert measured(stats, "GET /login:requests>0") == 10
    assert measured(stats, "GET /login:max<1") == 100.0
    assert measured(stats, "GET /login:p50<1") == 60.0  # position int(10 * 0.5) = 5
    assert measured(stats, "/login:requests>0") == 13
    assert measured(stats, "/login:max<1") == 300.0
    assert measured(stats, "/login:fail_ratio<1") == pytest.approx(1 / 13)
    assert measured(stats, "POST /login:p50<1") == 300.0  # position int(2 * 0.5) = 1


def test_evaluate_pass_fail_and_no_data(stats):
    assert parse("p95<500ms").evaluate(stats).passed
    assert not parse("max<250").evaluate(stats).passed
    assert parse("requests>=19").evaluate(stats).passed
    assert not parse("requests>19").evaluate(stats).passed
    assert parse("fail_ratio<11%").evaluate(stats).passed
    assert not parse("fail_ratio<10%").evaluate(stats).passed
    # A name nobody requested: no data, and that fails (a typo must not pass).
    result = parse("GET /logn:p95<500").evaluate(stats)
    assert result.value is None and not result.passed and result.measured == "no data"
    # Times of an entry whose requests all failed: no data either.
    rs = RequestStats(clock=FakeClock())
    rs.log_error("GET", "/x", "e")
    assert not parse("/x:p95<500").evaluate(rs).passed
    assert parse("/x:requests>=1").evaluate(rs).passed


def test_table(stats):
    results = thresholds.evaluate_all([parse("p95<500ms"), parse("max<250"),
                                       parse("fail_ratio<1%"), parse("rps>=1")], stats)
    table = thresholds.results_table(results)
    lines = table.splitlines()
    assert lines[0] == "Thresholds"
    assert lines[1].split() == ["Threshold", "Measured", "Result"]
    assert lines[3].split() == ["p95<500ms", "300", "ms", "pass"]
    assert lines[4].split() == ["max<250", "300", "ms", "FAIL"]
    assert lines[5].split() == ["fail_ratio<1%", "10.53%", "FAIL"]
    assert lines[6].split() == ["rps>=1", "1.90/s", "pass"]
    assert "2 of 4 thresholds crossed" in table
    assert thresholds.results_table([]) == ""
    assert [r.to_dict()["passed"] for r in results] == [True, False, False, True]


def test_find_in_module():
    class LoadTestShape:
        pass

    class Shape(LoadTestShape):
        thresholds = ["max<5"]

    module = types.SimpleNamespace(thresholds=["p95<5"], Shape=Shape, LoadTestShape=LoadTestShape)
    assert thresholds.find_in_module(module) == ["p95<5", "max<5"]
    assert thresholds.find_in_module(types.SimpleNamespace()) == []
    with pytest.raises(ThresholdError, match="list of strings"):
        thresholds.find_in_module(types.SimpleNamespace(thresholds="p95<5"))
