"""locust.engine.testing: a hub on a fake clock that jumps to the next timer."""

import socket
import time

import pytest

from locust.engine import (
    Event,
    Timeout,
    clock,
    get_hub,
    get_hub_if_exists,
    joinall,
    sleep,
    spawn,
    spawn_later,
)
from locust.engine.testing import AutojumpHub, FakeClock, autojump_hub


def test_an_hour_of_sleep_takes_no_wall_clock_time():
    real = time.monotonic()
    with autojump_hub() as fake:
        assert isinstance(get_hub(), AutojumpHub) and get_hub().clock is fake
        start = clock()
        sleep(3600)
        assert clock() - start == 3600
    assert time.monotonic() - real < 30   # a bound for a broken case, not a measurement


def test_timers_fire_in_order_at_their_exact_times():
    with autojump_hub(start=100.0):
        fired = []
        for delay in (3.0, 1.0, 2.0, 0.5):
            spawn_later(delay, lambda d=delay: fired.append((d, clock())))
        sleep(10)
        assert fired == [(0.5, 100.5), (1.0, 101.0), (2.0, 102.0), (3.0, 103.0)]
        assert clock() == 110.0


def test_the_clock_stands_still_while_something_is_ready():
    with autojump_hub():
        start = clock()
        for _ in range(100):
            sleep(0)
        assert clock() == start


def test_timeouts_and_timed_waits_are_exact():
    with autojump_hub():
        start = clock()
        assert Event().wait(2.5) is False
        assert clock() - start == 2.5
        with pytest.raises(Timeout), Timeout(7):
            Event().wait()
        assert clock() - start == 9.5


def test_real_io_that_is_ready_is_seen_before_any_jump():
    a, b = socket.socketpair()
    try:
        with autojump_hub():
            from locust.engine import net
            reader = net.socket(fileno=a.detach())
            b.sendall(b"ping")
            got = spawn(reader.recv, 10)
            sleeper = spawn(sleep, 60)
            joinall([got], timeout=30)
            assert got.value == b"ping" and not sleeper.dead
            reader.close()
    finally:
        b.close()


def test_leftover_greenlets_are_killed_and_the_previous_hub_is_back():
    real_hub = get_hub()
    cleaned = []

    def stays():
        try:
            Event().wait()
        finally:
            cleaned.append("stays")

    def waits_again_while_dying():
        try:
            sleep(3600)
        finally:
            sleep(1)
            cleaned.append("slow")

    with autojump_hub():
        fake_hub = get_hub()
        spawn(stays)
        spawn(waits_again_while_dying)
        never_started = spawn_later(5, cleaned.append, "never")
        sleep(0)
    assert sorted(cleaned) == ["slow", "stays"]
    assert never_started.dead
    assert fake_hub.dead and get_hub_if_exists() is real_hub and get_hub() is real_hub
    sleep(0.001)   # the real hub still works
    assert spawn(lambda: 42).get(timeout=10) == 42


def test_fake_clock_moves_only_forward():
    fake = FakeClock(5)
    fake.advance(1.5)
    fake.jump_to(2)
    assert fake() == 6.5
    with pytest.raises(ValueError):
        fake.advance(-1)


def test_fixture_runs_the_test_on_a_fake_clock(fake_clock):
    assert get_hub().clock is fake_clock
    start = clock()
    sleep(86400)
    assert clock() - start == 86400


def test_only_from_the_main_greenlet():
    def inside():
        with autojump_hub():
            pass

    glet = spawn(inside)
    glet.join()
    assert isinstance(glet.exception, RuntimeError)
