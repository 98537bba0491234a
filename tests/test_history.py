"""Tests of locust.history: the samples, the recorder's timing, the ring and its memory."""

import gc
import math
import tracemalloc
import types

import pytest

from locust.history import MAX_SAMPLES, SAMPLE_FIELDS, StatsHistory
from locust.stats import RequestStats


class FakeClock:
    def __init__(self, now=1_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def runner(clock):
    return types.SimpleNamespace(stats=RequestStats(clock=clock), user_count=0)


def test_samples_cover_each_interval_once_settled(runner, clock):
    history = StatsHistory(runner, interval=2, delay=1.0, clock=clock)
    history.clear(clock.now)            # starts at 1_000_000
    runner.user_count = 3
    for second in range(6):             # 10 ms requests, 20/s, one failure a second
        clock.now = 1_000_000 + second + 0.5
        for _ in range(20):
            runner.stats.log_request("GET", "/", 10, 1)
        runner.stats.log_error("GET", "/", "boom", response_time=300)
        history.tick(clock.now)
    # At 1_000_005.5 the intervals ending at ...002 and ...004 are settled
    # (their last second is over 1 s old), the one ending at ...006 is not.
    assert [s["time"] for s in history.samples()] == [1_000_002, 1_000_004]
    first = history.samples()[0]
    assert first["user_count"] == 3
    assert first["rps"] == pytest.approx(21) and first["fail_per_sec"] == pytest.approx(1)
    assert first["p50"] == pytest.approx(10) and first["p99"] == pytest.approx(300)
    # Written once: later requests in those seconds would not change them.
    history.flush(clock.now)
    assert [s["time"] for s in history.samples()] == [1_000_002, 1_000_004, 1_000_006]


def test_a_shift_shows_in_the_next_interval(runner, clock):
    history = StatsHistory(runner, interval=2, delay=1.0, clock=clock)
    history.clear(clock.now)
    for second in range(8):
        clock.now = 1_000_000 + second + 0.1
        for _ in range(10):
            runner.stats.log_request("GET", "/", 10 if second < 4 else 200, 1)
        history.tick(clock.now)
    history.flush(clock.now)
    assert [s["p50"] for s in history.samples()] == [10, 10, 200, 200]


def test_the_last_interval_of_a_stop_may_be_shorter(runner, clock):
    history = StatsHistory(runner, interval=2, delay=4.0, clock=clock)
    history.clear(clock.now)
    clock.now += 2.5
    runner.stats.log_request("GET", "/", 50, 1)
    history.flush(clock.now)
    samples = history.samples()
    assert [s["time"] for s in samples] == [1_000_002, 1_000_003]
    assert samples[1]["rps"] == 1 and samples[1]["p50"] == 50
    assert samples[0]["rps"] == 0 and samples[0]["p50"] is None


def test_users_are_those_noted_at_the_end_of_the_interval(runner, clock):
    history = StatsHistory(runner, interval=2, delay=3.0, clock=clock)
    history.clear(clock.now)
    for second, users in enumerate([1, 2, 3, 4, 5, 6, 7]):
        runner.user_count = users
        history.tick(1_000_000 + second + 0.02)
    # Settled: intervals ending at 1_000_002 (users noted then: 3) only.
    assert [(s["time"], s["user_count"]) for s in history.samples()] == [(1_000_002, 3)]


def test_since_columns_and_clear(runner, clock):
    history = StatsHistory(runner, clock=clock)
    for t in range(10):
        history.append(1000 + 2 * t, t, 1.5, 0.0, None, 2.25, 3.0)
    cols = history.columns(since=1012)
    assert cols["time"] == [1014, 1016, 1018]
    assert cols["user_count"] == [7, 8, 9] and cols["p50"] == [None] * 3
    assert cols["p95"] == [2.25] * 3
    assert set(cols) == set(SAMPLE_FIELDS)
    assert len(history.columns()["time"]) == 10
    history.clear(5000)
    assert len(history) == 0 and history.start_time == 5000


def test_the_ring_keeps_the_newest(runner, clock):
    history = StatsHistory(runner, capacity=5, clock=clock)
    for t in range(12):
        history.append(t, t, t, 0, t, t, t)
    assert history.columns()["time"] == [7, 8, 9, 10, 11]
    assert history.columns(since=9)["time"] == [10, 11]
    assert [s["p50"] for s in history.samples()] == [7, 8, 9, 10, 11]


def test_interval_must_be_whole_seconds(runner):
    with pytest.raises(ValueError):
        StatsHistory(runner, interval=0.5)


def test_memory_of_24_hours(runner, clock):
    """43,200 samples (24 h at 2 s): the arrays and everything else allocated."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        history = StatsHistory(runner, clock=clock)
        for i in range(MAX_SAMPLES):
            history.append(1_700_000_000 + 2 * i, 100, 1234.5, 1.5, 12.5, 80.25, 150.0)
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert len(history) == MAX_SAMPLES == 24 * 3600 / 2
    print("history of 24 h: %d samples, arrays %d bytes, allocated %d bytes"
          % (len(history), history.nbytes, grown))
    assert history.nbytes == MAX_SAMPLES * (8 + 6 * 4)      # 1.38 MB
    assert grown < 2_000_000
    # Full: one more sample replaces the oldest, memory stays.
    history.append(1_800_000_000, 1, 1, 0, math.nan, None, None)
    assert len(history) == MAX_SAMPLES and history.columns()["time"][-1] == 1_800_000_000
    assert history.columns()["p50"][-1] is None


def test_a_runner_records_from_the_start_and_a_reset_clears(monkeypatch):
    from locust import runners
    from locust.core import Locust, TaskSet, task
    from locust.engine import sleep

    class Idle(TaskSet):
        @task
        def nap(self):
            sleep(0.05)

    class Sleeper(Locust):
        task_set = Idle
        min_wait = max_wait = 10

    runner = runners.LocalLocustRunner([Sleeper], types.SimpleNamespace())
    try:
        runner.start_hatching(2, 100)
        assert runner.history.recording and runner.history.start_time is not None
        sleep(3.2)
        assert len(runner.history) >= 1
        assert runner.history.samples()[-1]["user_count"] == 2
        runner.reset_statistics()
        assert len(runner.history) == 0
        runner.stop()
        assert not runner.history.recording
    finally:
        runner.quit()
        from locust import stats
        stats.global_stats.clear_all()
