"""Tests of locust.runners: user split, hatching, changing the count, stop, -n, -t.

Users run in this process's hub; HTTP users talk to a stdlib server in a
thread (tests/support/http_target.py), which records every request it
receives, so "no request lost on a stop" is checked against what the target
saw.  Tests of rates and times without HTTP run on a fake clock (the
``fake_clock`` fixture, requested before ``make_runner``): they assert exact
durations on the hub's clock, whatever the load of the machine.
"""

import random
import socket
import time
from itertools import islice
from types import SimpleNamespace

import pytest

from locust import HttpLocust, Locust, StopLocust, TaskSet, events, task
from locust.engine import clock, net, sleep, spawn
from locust.runners import (
    MAX_USERS_PER_PROCESS,
    STATE_HATCHING,
    STATE_INIT,
    STATE_RUNNING,
    STATE_STOPPED,
    LocalLocustRunner,
    LocustRunner,
    UserCountError,
    hatch_order,
    iter_hatch_order,
    parse_timespan,
    weight_split,
)
from locust.stats import global_stats
from support import run_child, wait_until
from support.http_target import start_server


def options(**kw):
    base = dict(host=None, num_clients=0, hatch_rate=1000, num_requests=None,
                run_time=None, reset_stats=False)
    base.update(kw)
    return SimpleNamespace(**base)


@pytest.fixture
def make_runner():
    """Create runners that are stopped and detached from the events afterwards."""
    made = []

    def make(classes, **kw):
        runner = LocalLocustRunner(classes, options(**kw))
        made.append(runner)
        return runner

    yield make
    for runner in made:
        runner.quit()
    global_stats.clear_all()
    global_stats.max_requests = None


@pytest.fixture
def hatch_events():
    fired = []

    def on_hatch(user_count, **_kw):
        fired.append(user_count)

    events.hatch_complete += on_hatch
    yield fired
    events.hatch_complete -= on_hatch


@pytest.fixture(scope="module")
def target():
    server = start_server()
    yield server
    server.stop()


class Idle(TaskSet):
    @task
    def nothing(self):
        pass


def idle_class(name, weight=10, wait=1000):
    return type(name, (Locust,), {"task_set": Idle, "weight": weight,
                                  "min_wait": wait, "max_wait": wait})


def http_class(host, path="/ok", wait=(0, 20), **attrs):
    class Tasks(TaskSet):
        @task
        def get(self):
            self.client.get(path)

    attrs.update(task_set=Tasks, host=host, min_wait=wait[0], max_wait=wait[1])
    return type("HttpUser", (HttpLocust,), attrs)




def total_logged():
    return global_stats.num_requests + global_stats.num_failures


def served_and_logged(target, path):
    """(requests to ``path`` the target saw, requests to it logged): what other
    tests of this worker process may have left running does not count."""
    entry = global_stats.entries.get((path, "GET"))
    logged = entry.num_requests + entry.num_failures if entry else 0
    return sum(1 for _method, seen in target.requests if seen == path), logged


# ---------------------------------------------------------------- pure helpers

class TestWeightSplit:
    def test_largest_remainder_examples(self):
        assert weight_split(10, [1, 1, 1]) == [4, 3, 3]
        assert weight_split(7, [3, 1]) == [5, 2]
        assert weight_split(2, [1, 1, 1]) == [1, 1, 0]
        assert weight_split(0, [5, 5]) == [0, 0]
        assert weight_split(1, [10, 30]) == [0, 1]

    def test_total_is_always_exact(self):
        rng = random.Random(7)
        for _ in range(500):
            weights = [rng.choice([0, 1, 2, 3, 7, 10, 0.5]) for _ in range(rng.randint(1, 6))]
            if not any(weights):
                weights[0] = 1
            count = rng.randint(0, 1000)
            parts = weight_split(count, weights)
            assert sum(parts) == count
            total = sum(weights)
            for part, weight in zip(parts, weights):
                # Never more than one away from the exact quota.
                assert abs(part - count * weight / total) < 1

    def test_zero_weight_gets_nothing(self):
        assert weight_split(9, [0, 1, 2]) == [0, 3, 6]

    def test_bad_input(self):
        with pytest.raises(ValueError):
            weight_split(-1, [1])
        with pytest.raises(ValueError):
            weight_split(3, [1, -1])
        with pytest.raises(ValueError):
            weight_split(3, [0, 0])


def test_hatch_order_interleaves_by_share():
    assert hatch_order([4, 3, 3]) == [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]
    assert hatch_order([2, 1]) == [0, 1, 0]
    order = hatch_order([30, 10])
    assert order.count(0) == 30 and order.count(1) == 10
    # Any prefix is close to 3:1.
    assert all(abs(order[:n].count(0) - 0.75 * n) <= 1 for n in range(1, 41))
    assert hatch_order([0, 0]) == []


@pytest.mark.parametrize("text, seconds", [
    ("30", 30), ("30s", 30), ("5m", 300), ("1h30m", 5400), ("1h2m3s", 3723), ("2H", 7200)])
def test_parse_timespan(text, seconds):
    assert parse_timespan(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "0s", "-5", "5x", "1.5s", "m", "1m1h", "s30"])
def test_parse_timespan_rejects(text):
    with pytest.raises(ValueError):
        parse_timespan(text)


# ---------------------------------------------------------------- hatching

def test_hatch_splits_exactly_by_weight(make_runner, hatch_events):
    a, b, c = idle_class("A", 1), idle_class("B", 1), idle_class("C", 1)
    runner = make_runner([a, b, c])
    assert runner.state == STATE_INIT
    runner.start_hatching(10, 1000, wait=True)
    assert runner.state == STATE_RUNNING
    assert runner.user_counts() == {a: 4, b: 3, c: 3}
    assert runner.user_count == 10
    assert hatch_events == [10]


def test_hatch_rate_spaces_the_users(fake_clock, make_runner, hatch_events):
    runner = make_runner([idle_class("A")])
    started = clock()
    runner.start_hatching(6, 10)
    hatcher = runner.hatcher
    sleep(0.05)
    assert runner.state == STATE_HATCHING
    assert runner.user_count == 1
    assert runner.wait(0) is False
    sleep(0.1)
    assert runner.user_count == 2
    hatcher.join()
    # 6 users at 10/s: the last one starts 0.5 s after the first.
    assert clock() - started == pytest.approx(0.5)
    assert runner.state == STATE_RUNNING
    assert runner.user_count == 6
    assert hatch_events == [6]


def test_change_user_count_up_and_down(make_runner, hatch_events):
    a, b = idle_class("A", 3), idle_class("B", 1)
    runner = make_runner([a, b])
    runner.start_hatching(7, 1000, wait=True)
    assert runner.user_counts() == {a: 5, b: 2}
    runner.start_hatching(12, 1000, wait=True)
    assert runner.user_counts() == {a: 9, b: 3}
    assert runner.user_count == 12
    # Removing users spreads the removal over the classes by weight too.
    runner.start_hatching(4, 1000, wait=True)
    assert runner.user_counts() == {a: 3, b: 1}
    assert wait_until(lambda: len(runner._users) == 4)
    runner.start_hatching(0, wait=True)
    assert runner.user_count == 0
    assert wait_until(lambda: not runner._users)
    assert runner.state == STATE_RUNNING
    assert hatch_events == [7, 12, 4, 0]


def test_change_while_hatching_reaches_the_new_count(fake_clock, make_runner, hatch_events):
    a, b, c = idle_class("A", 1), idle_class("B", 1), idle_class("C", 1)
    runner = make_runner([a, b, c])
    runner.start_hatching(30, 20)
    sleep(0.2)
    assert runner.state == STATE_HATCHING
    runner.start_hatching(5, 1000, wait=True)
    assert runner.user_counts() == {a: 2, b: 2, c: 1}
    assert hatch_events == [5]  # the superseded hatch never completed


def test_spawning_zero_users_completes(make_runner, hatch_events):
    runner = make_runner([idle_class("A")])
    runner.start_hatching(0, 1, wait=True)
    assert runner.state == STATE_RUNNING
    assert hatch_events == [0]


def test_bad_arguments(make_runner):
    runner = make_runner([idle_class("A")])
    with pytest.raises(ValueError):
        runner.start_hatching(-1, 1)
    with pytest.raises(ValueError):
        runner.start_hatching(1, 0)
    assert runner.state == STATE_INIT
    with pytest.raises(ValueError):
        LocalLocustRunner([], options())


def test_stop_kills_every_user(fake_clock, make_runner):
    runner = make_runner([idle_class("A"), idle_class("B")])
    runner.start_hatching(8, 1000, wait=True)
    users = list(runner._users)
    started = clock()
    runner.stop()
    # Idle users (in their wait time) are killed at once, not after the grace.
    assert clock() == started
    assert all(g.dead for g in users)
    assert runner.state == STATE_STOPPED and runner.user_count == 0
    assert runner.wait(0) is True


def test_restart_after_stop_clears_stats(make_runner, target):
    runner = make_runner([http_class(target.url)])
    runner.start_hatching(2, 1000, wait=True)
    assert wait_until(lambda: total_logged() > 3)
    runner.stop()
    runner.start_hatching(1, 1000, wait=True)
    assert runner.state == STATE_RUNNING
    assert total_logged() < 3  # the new test starts from zero


# ----------------------------------------------------- stopping without loss

def test_stop_waits_for_requests_on_the_wire(make_runner, target):
    # Each request takes 0.3 s at the target: a stop 0.15 s in finds every
    # user waiting for its response. None may be cut off uncounted.
    before = len(target.requests)
    cls = http_class(target.url, path="/sleep?s=0.3", wait=(0, 0))
    runner = make_runner([cls])
    runner.start_hatching(5, 1000, wait=True)
    assert wait_until(lambda: len(target.requests) - before >= 5)   # all on the wire
    runner.stop()
    assert runner.state == STATE_STOPPED and not runner._users
    served = len(target.requests) - before
    assert served >= 5
    assert total_logged() == served


def test_request_cap_stops_users(make_runner, target):
    before = len(target.requests)
    runner = make_runner([http_class(target.url, wait=(0, 5))], num_requests=40)
    runner.start_hatching(5, 1000)
    assert runner.wait(10)
    assert runner.stop_reason == "request cap"
    assert runner.state == STATE_STOPPED and runner.user_count == 0
    served = len(target.requests) - before
    # The cap, plus at most one request per user that was already on its way.
    assert 40 <= total_logged() <= 40 + 5
    assert served == total_logged()


def test_request_cap_counts_failures(make_runner, target):
    before = len(target.requests)
    runner = make_runner([http_class(target.url, path="/status/500", wait=(0, 5))],
                         num_requests=20)
    runner.start_hatching(3, 1000)
    assert runner.wait(10)
    assert global_stats.num_failures >= 20 and global_stats.num_requests == 0
    assert len(target.requests) - before == total_logged()


def test_run_time_stops_the_test(fake_clock, make_runner):
    runner = make_runner([idle_class("A", wait=300)], run_time=1)
    started = clock()
    runner.start_hatching(3, 1000)
    assert runner.wait(60)
    assert clock() - started == pytest.approx(1)
    assert runner.stop_reason == "time limit"
    assert runner.state == STATE_STOPPED and not runner._users


# ------------------------------------------------------------ stats reset

@pytest.mark.parametrize("reset", [False, True])
def test_stats_reset_only_with_reset_stats(make_runner, target, reset):
    seen = []

    class Tasks(TaskSet):
        def on_start(self):
            self.client.get("/ok")

        @task
        def nothing(self):
            pass

    cls = type("U", (HttpLocust,), {"task_set": Tasks, "host": target.url,
                                    "min_wait": 5000, "max_wait": 5000})

    def on_hatch(**_kw):
        seen.append(total_logged())

    events.hatch_complete += on_hatch
    try:
        runner = make_runner([cls], reset_stats=reset)
        # 2 users/s: the first user's request has 1.5 s before the hatch completes.
        runner.start_hatching(4, 2, wait=True)
        assert wait_until(lambda: total_logged() == (0 if reset else 4))
    finally:
        events.hatch_complete -= on_hatch
    assert seen and seen[0] >= 1  # requests were made while hatching
    assert total_logged() == (0 if reset else 4)


# ------------------------------------------------------- user life and errors

def test_task_exceptions_are_recorded(fake_clock, make_runner):
    class Tasks(TaskSet):
        @task
        def fail(self):
            raise ValueError("bad task")

    cls = type("U", (Locust,), {"task_set": Tasks, "min_wait": 10, "max_wait": 10})
    runner = make_runner([cls])
    runner.start_hatching(2, 1000, wait=True)
    assert wait_until(lambda: sum(r["count"] for r in runner.exceptions.values()) >= 4)
    runner.stop()
    assert len(runner.exceptions) == 1  # same message and traceback: one row
    row = next(iter(runner.exceptions.values()))
    assert row["msg"] == "bad task"
    assert "raise ValueError" in row["traceback"]
    assert row["nodes"] == {"local"}


def test_log_exception_groups_by_message_and_traceback():
    runner = LocustRunner([idle_class("A")], options())
    try:
        runner.log_exception("a", "msg", "tb1")
        runner.log_exception("b", "msg", "tb1")
        runner.log_exception("a", "msg", "tb2")
        rows = sorted(runner.exceptions.values(), key=lambda r: r["traceback"])
        assert [(r["count"], r["nodes"]) for r in rows] == [(2, {"a", "b"}), (1, {"a"})]
    finally:
        runner.quit()


def test_user_that_cannot_start_is_recorded_once(make_runner):
    cls = type("NoHost", (HttpLocust,), {"task_set": Idle, "host": None})
    runner = make_runner([cls])
    runner.start_hatching(3, 1000, wait=True)
    assert wait_until(lambda: runner.state == STATE_STOPPED)  # every user ended
    assert [r["count"] for r in runner.exceptions.values()] == [3]
    assert "host" in next(iter(runner.exceptions.values()))["msg"]


def test_users_that_all_fail_while_hatching_end_the_test(make_runner):
    cls = type("NoHost", (HttpLocust,), {"task_set": Idle, "host": None})
    runner = make_runner([cls])
    runner.start_hatching(3, 20)  # each dies long before the next is hatched
    assert runner.wait(3)
    assert runner.stop_reason == "all users finished"


def test_stop_locust_ends_user_and_the_test(make_runner):
    class Tasks(TaskSet):
        @task
        def leave(self):
            raise StopLocust()

    cls = type("U", (Locust,), {"task_set": Tasks})
    runner = make_runner([cls])
    runner.start_hatching(3, 1000, wait=True)
    assert runner.wait(3)
    assert runner.stop_reason == "all users finished"
    assert runner.exceptions == {}


def test_stop_timeout_ends_users(fake_clock, make_runner):
    cls = idle_class("A", wait=5000)
    cls.stop_timeout = 0.3
    runner = make_runner([cls])
    runner.start_hatching(3, 1000, wait=True)
    last_started = clock()      # users start 1 ms apart at 1000/s
    assert runner.wait(60)
    # Retired 0.3 s after it started and killed at once: each was in its 5 s wait.
    assert clock() - last_started == pytest.approx(0.3)
    assert runner.stop_reason == "all users finished"


def test_host_option_overrides_class_host(make_runner, target):
    cls = http_class("http://127.0.0.1:9")  # nothing listens there
    runner = make_runner([cls], host=target.url)
    assert cls.host == target.url
    runner.start_hatching(1, 1000, wait=True)
    assert wait_until(lambda: global_stats.num_requests > 0)
    assert global_stats.num_failures == 0


def test_quit_detaches_listeners(make_runner):
    n_success, n_error = len(events.request_success), len(events.locust_error)
    runner = make_runner([idle_class("A")])
    assert len(events.request_success) == n_success + 1
    runner.quit()
    runner.quit()
    assert len(events.request_success) == n_success
    assert len(events.locust_error) == n_error


def test_removed_users_run_at_most_one_more_task(fake_clock, make_runner):
    ticks = {}

    class Tasks(TaskSet):
        @task
        def tick(self):
            ticks[self.locust] = ticks.get(self.locust, 0) + 1

    cls = type("U", (Locust,), {"task_set": Tasks, "min_wait": 10, "max_wait": 10})
    runner = make_runner([cls])
    runner.start_hatching(5, 1000, wait=True)
    sleep(0.05)
    users = list(runner._users)
    runner.start_hatching(0)
    seen = dict(ticks)
    # Time passes without the hub running (as if blocked): every user's wait
    # is over when the hub runs again, together with the removal.
    fake_clock.advance(0.05)
    sleep(0.2)
    assert all(g.dead for g in users)
    assert all(ticks[u] - seen[u] <= 1 for u in seen)


def test_removed_users_finish_the_request_they_started(make_runner, target):
    path = "/sleep?s=0.05&test=removed"
    runner = make_runner([http_class(target.url, path=path, wait=(0, 10))])
    runner.start_hatching(8, 1000, wait=True)
    sleep(0.2)
    runner.start_hatching(0)
    time.sleep(0.03)  # blocks the hub: users wake while the removal is pending
    assert wait_until(lambda: not runner._users)
    served, logged = served_and_logged(target, path)
    assert served == logged > 0


# ------------------------------------------------------------ large counts

def test_the_start_order_is_produced_lazily():
    order = iter_hatch_order([10 ** 30, 1])  # a list of it would never fit in memory
    assert list(islice(order, 5)) == [0, 0, 0, 0, 0]
    assert hatch_order([4, 3, 3]) == list(iter_hatch_order([4, 3, 3]))


def test_a_count_above_what_a_process_can_run_is_refused(make_runner):
    runner = make_runner([idle_class("A")])
    for count in (10 ** 30, MAX_USERS_PER_PROCESS + 1):
        with pytest.raises(UserCountError, match="at most 1000000 per process"):
            runner.start_hatching(count, 10)
    assert runner.state == STATE_INIT and runner.user_count == 0


def test_a_huge_hatch_and_its_stop_keep_the_hub_responsive(make_runner):
    # A million users at a million per second: the start order is lazy, the
    # hatching loop and the removal let the hub run between batches.
    ticks = []

    def ticker():
        while True:
            ticks.append(time.monotonic())
            sleep(0.01)

    watch = spawn(ticker)
    runner = make_runner([idle_class("Idle", wait=60000)])
    try:
        runner.start_hatching(10 ** 6, 10 ** 6)
        sleep(0.5)
        assert 0 < runner.user_count < 10 ** 6
        runner.stop()
        assert runner.user_count == 0 and runner.state == STATE_STOPPED
    finally:
        watch.kill()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert max(gaps) < 1.0, max(gaps)


def test_the_runner_imports_the_http_client_before_users_start():
    result = run_child("""
        import sys
        from locust import HttpLocust, Locust, TaskSet
        from locust.runners import LocalLocustRunner

        class Tasks(TaskSet):
            tasks = [lambda ts: None]

        class Plain(Locust):
            task_set = Tasks

        class Web(HttpLocust):
            task_set = Tasks
            host = "http://127.0.0.1:1"

        LocalLocustRunner([Plain]).quit()
        print("after plain:", "locust.clients" in sys.modules)
        LocalLocustRunner([Plain, Web]).quit()
        print("after web:", "locust.clients" in sys.modules)
    """)
    assert result.stdout.splitlines() == ["after plain: False", "after web: True"], result


# ------------------------------------------------- requests cut by a stop

def test_a_request_cut_by_a_stop_is_a_failure_of_its_own(make_runner, target):
    before = len(target.requests)
    runner = make_runner([http_class(target.url, path="/sleep?s=5", wait=(0, 0))])
    runner.start_hatching(4, 1000, wait=True)
    assert wait_until(lambda: len(target.requests) - before == 4)
    runner.stop(grace=0.3)
    assert global_stats.num_requests == 0 and global_stats.num_failures == 4
    (error,) = global_stats.errors.values()
    assert (error.method, error.name, error.occurences) == ("GET", "/sleep?s=5", 4)
    assert "request interrupted by stop after 0.3 s" in error.error
    assert total_logged() == len(target.requests) - before


def test_any_client_cut_by_a_stop_is_counted_by_the_runner(make_runner):
    # A custom client that waits on a socket and reports nothing when it is
    # killed: the runner reports the request for it.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    address = listener.getsockname()

    class Tasks(TaskSet):
        @task
        def call(self):
            conn = net.create_connection(address)
            try:
                conn.sendall(b"hello")
                conn.recv(10)  # never answered
                events.request_success.fire(request_type="RAW", name="call", response_time=1,
                                            response_length=0)
            finally:
                conn.close()

    cls = type("RawUser", (Locust,), {"task_set": Tasks, "min_wait": 0, "max_wait": 0})
    runner = make_runner([cls])
    try:
        runner.start_hatching(3, 1000, wait=True)
        sleep(0.2)
        runner.stop(grace=0.2)
    finally:
        listener.close()
    assert global_stats.num_failures == 3
    (error,) = global_stats.errors.values()
    assert (error.method, error.name) == ("STOPPED", "RawUser")
    assert "request interrupted by stop after 0.2 s" in error.error
