"""The slave runner in this process (locust/slave.py): what it measured is
never dropped on its side. Its life against a real master is in
test_distributed_processes.py and test_distributed_hostile.py."""

import types

import pytest

from locust import rpc
from locust.core import Locust, TaskSet
from locust.slave import SlaveLocustRunner, _split_report
from locust.stats import RequestStats
from support import free_port_pair


class _Idle(TaskSet):
    tasks = [lambda ts: None]


class Idle(Locust):
    task_set = _Idle


@pytest.fixture
def lonely_slave():
    """A slave whose master is not there: nothing it sends arrives."""
    options = types.SimpleNamespace(master_host="127.0.0.1", master_port=free_port_pair(),
                                    heartbeat_interval=0.1)
    runner = SlaveLocustRunner([Idle], options, stats=RequestStats())
    yield runner
    runner.quit()


def test_a_report_that_cannot_be_sent_is_kept_for_the_next(lonely_slave):
    stats = lonely_slave.stats
    for _ in range(3):
        stats.log_request("GET", "/", 10.0, 5)
    stats.log_error("GET", "/", "boom")
    assert lonely_slave._send_report() is False
    assert (stats.num_requests, stats.num_failures) == (3, 1)
    assert stats.entries[("/", "GET")].num_requests == 3
    assert sum(e.occurences for e in stats.errors.values()) == 1


def test_a_hatch_after_a_stop_sends_what_was_measured_before_clearing(lonely_slave, monkeypatch):
    sent = []
    monkeypatch.setattr(lonely_slave, "_send_report",
                        lambda timeout=None: sent.append(lonely_slave.stats.num_requests))
    lonely_slave.stats.log_request("GET", "/", 10.0, 5)
    lonely_slave.begin_test()
    assert sent == [1]
    lonely_slave.begin_test()  # nothing measured since: nothing to send
    assert sent == [1]


def test_a_report_with_more_names_than_the_master_accepts_is_split():
    stats = RequestStats()
    names = rpc.MAX_ENTRIES_PER_REPORT + 10
    for i in range(names):
        stats.log_request("GET", "/%d" % i, 10.0, 5)
    data = stats.serialize_and_reset()
    data.update(user_count=1, stats_epoch=2, custom={"x": 1})
    parts = _split_report(data)
    assert [len(p["stats"]) for p in parts] == [rpc.MAX_ENTRIES_PER_REPORT, 10]
    assert parts[0]["custom"] == {"x": 1} and "custom" not in parts[1]
    assert parts[0]["stats_total"]["num_requests"] == names
    assert parts[1]["stats_total"]["num_requests"] == 0  # the Total is added once
    for part in parts:  # each passes the master's checks
        rpc.decode(rpc.encode("stats", part, "n"), rpc.SLAVE_TO_MASTER)
    merged = RequestStats()
    for part in parts:
        merged.merge(part)
    assert merged.num_requests == names and len(merged.entries) == names
    small = {"stats": [], "errors": {}, "user_count": 0, "stats_epoch": 0}
    assert _split_report(small) == [small]


def test_a_report_with_more_buckets_than_the_master_accepts_is_split(monkeypatch):
    monkeypatch.setattr(rpc, "MAX_BUCKETS_PER_REPORT", 450)
    stats = RequestStats()
    for i in range(10):
        for ms in range(100):  # 100 buckets each
            stats.log_request("GET", "/%d" % i, float(ms), 5)
    data = stats.serialize_and_reset()
    data.update(user_count=1, stats_epoch=0)
    parts = _split_report(data)
    assert [len(p["stats"]) for p in parts] == [2, 2, 2, 2, 2]
    for part in parts:
        rpc.decode(rpc.encode("stats", part, "n"), rpc.SLAVE_TO_MASTER)
    merged = RequestStats()
    for part in parts:
        merged.merge(part)
    assert merged.num_requests == 1000


def test_a_report_the_master_would_refuse_is_said_so_on_the_slave(lonely_slave, caplog):
    import logging
    lonely_slave.stats.log_request("RAW", "custom", -5.0, 0)  # a custom client's bug
    with caplog.at_level(logging.WARNING, logger="locust.runners"):
        lonely_slave._send_report()
    assert "Dropped a report the master would refuse" in caplog.text
    assert "out of range" in caplog.text
