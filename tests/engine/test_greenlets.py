"""Greenlets, sleep, joinall/killall, Group, Timeout and the immediate kill.

Every test runs on a hub of its own with a fake clock (the ``fake_clock``
fixture): sleeps and timeouts take no wall-clock time and durations are
exact on the hub's clock (``clock()``), whatever the load of the machine.
"""

import logging

import pytest

from locust.engine import (
    Event,
    Greenlet,
    GreenletExit,
    Group,
    Queue,
    Timeout,
    clock,
    get_hub,
    getcurrent,
    joinall,
    killall,
    run_callback,
    sleep,
    spawn,
    spawn_later,
    throw_now,
)

pytestmark = pytest.mark.usefixtures("fake_clock")


class Boom(Exception):
    pass


def error_records(caplog, text):
    """Log records at ERROR or above whose exception or message mentions ``text``."""
    return [r for r in caplog.records if r.levelno >= logging.ERROR and
            (text in r.getMessage() or (r.exc_info and text in str(r.exc_info[1])))]


# -- sleep -------------------------------------------------------------------

def test_sleepers_wake_in_deadline_order():
    woke = []

    def sleeper(seconds):
        sleep(seconds)
        woke.append(seconds)

    glets = [spawn(sleeper, s) for s in (0.03, 0.01, 0.02)]
    joinall(glets, timeout=5)
    assert woke == [0.01, 0.02, 0.03]


def test_sleep_lasts_the_time_asked():
    t0 = clock()
    sleep(0.05)
    assert clock() - t0 == pytest.approx(0.05)


def test_sleep_zero_lets_others_run_first():
    ran = []
    spawn(ran.append, 1)
    assert ran == []
    sleep(0)
    assert ran == [1]


def test_sleep_zero_is_fair_round_robin():
    order = []

    def worker(name):
        for i in range(4):
            order.append((name, i))
            sleep(0)

    joinall([spawn(worker, n) for n in "abc"], timeout=5)
    assert order == [(n, i) for i in range(4) for n in "abc"]


def test_a_sleep_zero_ended_early_does_not_wake_the_next_wait(caplog):
    # The killer runs first, so its throw is queued before the victim's
    # second sleep(0) wake-up: the victim leaves sleep(0) by the exception,
    # then sleeps again; the stale wake-up must not cut that sleep short.
    result = {}

    def victim():
        sleep(0)
        try:
            sleep(0)
        except Boom:
            t0 = clock()
            sleep(0.2)
            result["slept"] = clock() - t0

    vic = Greenlet(victim)
    killer = Greenlet(lambda: (sleep(0), vic.kill(Boom, block=False)))
    killer.start()
    vic.start()
    joinall([vic, killer], timeout=5)
    assert result["slept"] == pytest.approx(0.2)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_ten_thousand_concurrent_greenlets():
    def work(i):
        sleep(0.001 * (i % 10))
        return i * 2

    t0 = clock()
    glets = [spawn(work, i) for i in range(10_000)]
    done = joinall(glets, timeout=30)
    assert len(done) == 10_000
    assert [g.value for g in glets] == [i * 2 for i in range(10_000)]
    assert all(g.successful() for g in glets)
    assert clock() - t0 == pytest.approx(0.009)   # concurrently: the longest sleep


# -- results, errors and states -------------------------------------------------

def test_value_and_states():
    made = Greenlet(int)
    assert "new" in repr(made) and not made.dead and bool(made)
    made.kill()
    glet = spawn(lambda a, b=0: a + b, 2, b=3)
    assert not glet.dead and not glet.ready() and not glet.successful() and bool(glet)
    assert "pending" in repr(glet)
    glet.join()
    assert glet.dead and glet.ready() and glet.successful() and not glet
    assert glet.value == 5 and glet.exception is None and glet.get() == 5
    assert "dead" in repr(glet)


def test_exception_is_stored_and_logged_exactly_once(caplog):
    def fail():
        raise Boom("stored and logged")

    glet = spawn(fail)
    glet.join()
    assert glet.dead and not glet.successful()
    assert isinstance(glet.exception, Boom)
    with pytest.raises(Boom):
        glet.get()
    with pytest.raises(Boom):
        glet.get()
    glet.join()
    sleep(0.02)
    records = error_records(caplog, "stored and logged")
    assert len(records) == 1
    assert records[0].exc_info[1] is glet.exception   # with its traceback


def test_exception_is_logged_even_if_nobody_looks(caplog):
    spawn(lambda: 1 / 0)
    sleep(0.02)
    assert len(error_records(caplog, "division by zero")) == 1


def test_get_timeout_and_non_blocking():
    glet = spawn(sleep, 1)
    with pytest.raises(Timeout):
        glet.get(block=False)
    t0 = clock()
    with pytest.raises(Timeout):
        glet.get(timeout=0.02)
    assert clock() - t0 == pytest.approx(0.02)
    glet.kill()


def test_join_timeout_returns_with_greenlet_still_running():
    glet = spawn(sleep, 1)
    t0 = clock()
    glet.join(0.02)
    assert not glet.dead and clock() - t0 == pytest.approx(0.02)
    glet.kill()
    assert glet.dead


def test_a_greenlet_cannot_join_itself():
    def selfjoin():
        Greenlet.join(glet)

    glet = spawn(selfjoin)
    glet.join()
    assert isinstance(glet.exception, RuntimeError)


@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, SystemExit])
def test_keyboard_interrupt_and_system_exit_reach_the_main_greenlet(exc_type, caplog):
    # The main greenlet sees it before join() returns, not at some later wait.
    def fail():
        raise exc_type()

    glet = spawn(fail)
    with pytest.raises(exc_type):
        glet.join()
    assert glet.dead and isinstance(glet.exception, exc_type)
    sleep(0.01)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# -- kill ----------------------------------------------------------------------

def test_kill_before_start_never_runs():
    ran = []
    glet = spawn(ran.append, 1)
    glet.kill()
    sleep(0.01)
    assert ran == [] and glet.dead and glet.successful()
    assert isinstance(glet.exception, GreenletExit)


def test_kill_before_start_with_custom_exception_is_stored_and_logged(caplog):
    ran = []
    glet = spawn(ran.append, 1)
    glet.kill(Boom("killed early"))
    sleep(0.01)
    assert ran == [] and glet.dead and not glet.successful()
    assert isinstance(glet.exception, Boom)
    assert len(error_records(caplog, "killed early")) == 1


def test_kill_before_spawn_later_fires():
    ran = []
    glet = spawn_later(0.01, ran.append, 1)
    glet.kill()
    sleep(0.03)
    assert ran == [] and glet.dead
    assert get_hub()._cancelled == sum(1 for e in get_hub()._timers if e[2].callback is None)


def test_spawn_later_starts_after_the_delay():
    t0 = clock()
    glet = spawn_later(0.03, clock)
    glet.join(5)
    assert glet.value - t0 == pytest.approx(0.03)


def test_kill_a_sleeping_greenlet_runs_its_finally():
    cleaned = []

    def worker():
        try:
            sleep(10)
        finally:
            cleaned.append(True)

    glet = spawn(worker)
    sleep(0)
    t0 = clock()
    glet.kill()
    assert glet.dead and cleaned == [True]
    assert isinstance(glet.exception, GreenletExit) and glet.successful()
    assert glet.get() is None
    assert clock() == t0     # at once, not at the end of its sleep


def test_kill_with_custom_exception(caplog):
    glet = spawn(sleep, 10)
    sleep(0)
    glet.kill(Boom("custom kill"))
    assert glet.dead and isinstance(glet.exception, Boom) and not glet.successful()
    assert len(error_records(caplog, "custom kill")) == 1
    glet2 = spawn(sleep, 10)
    sleep(0)
    glet2.kill(Boom)     # a class works as well
    assert isinstance(glet2.exception, Boom)


def test_kill_without_blocking_returns_at_once():
    glet = spawn(sleep, 10)
    sleep(0)
    glet.kill(block=False)
    assert not glet.dead
    sleep(0)
    assert glet.dead


def test_kill_with_timeout_of_a_greenlet_that_refuses_to_die():
    def stubborn():
        try:
            sleep(10)
        except GreenletExit:
            sleep(0.3)

    glet = spawn(stubborn)
    sleep(0)
    glet.kill(timeout=0.02)
    assert not glet.dead       # kill gave up waiting (it would be dead after 0.3 s)
    glet.join(2)
    assert glet.dead and glet.exception is None


def test_kill_self_raises_in_place():
    def suicide():
        Greenlet.kill(glet, Boom)

    glet = spawn(suicide)
    glet.join()
    assert isinstance(glet.exception, Boom)


def test_kill_dead_greenlet_is_a_no_op():
    glet = spawn(lambda: 3)
    glet.join()
    glet.kill()
    assert glet.value == 3 and glet.exception is None


# -- the immediate kill ----------------------------------------------------------

def test_kill_now_from_the_hub_ends_the_greenlet_before_it_runs_again():
    # As the runner's retire pass: a hub callback judges a greenlet idle and
    # kills it, while the greenlet's wake-up is already queued behind that
    # callback.  With now=True it is dead when kill() returns and never takes
    # the step; a scheduled kill (the default) lets the wake-up run first.
    for now in (True, False):
        go = Event()
        steps = []

        def victim(go=go, steps=steps):
            go.wait()
            steps.append("step")   # a request started by a user judged idle
            sleep(10)

        glet = spawn(victim)
        sleep(0)
        seen = []

        def kill_it(now=now, glet=glet, seen=seen):
            glet.kill(block=False, now=now)
            seen.append(glet.dead)

        run_callback(kill_it)   # queued first...
        go.set()                # ...then the victim's wake-up
        sleep(0)
        sleep(0)
        assert glet.dead and isinstance(glet.exception, GreenletExit)
        if now:
            assert seen == [True] and steps == []
        else:
            assert seen == [False] and steps == ["step"]


def test_kill_now_from_a_greenlet_returns_with_the_victim_dead():
    victim = spawn(sleep, 10)
    sleep(0)
    order = []

    def killer():
        victim.kill(now=True)
        order.append(("killer", victim.dead, victim.successful()))

    k = spawn(killer)
    k.join()
    assert order == [("killer", True, True)] and k.successful()


def test_kill_now_of_a_greenlet_not_started_yet_never_runs_it():
    ran = []
    glet = spawn(ran.append, 1)
    glet.kill(block=False, now=True)
    later = spawn_later(1, ran.append, 2)
    later.kill(now=True)
    sleep(2)
    assert ran == [] and glet.dead and later.dead


def test_kill_now_of_a_greenlet_that_waits_again_returns_while_it_waits():
    def stubborn():
        try:
            sleep(10)
        except GreenletExit:
            sleep(5)
            return "survived"

    glet = spawn(stubborn)
    sleep(0)
    seen = []
    run_callback(lambda: (glet.kill(block=False, now=True), seen.append(glet.dead)))
    sleep(0)
    assert seen == [False]
    t0 = clock()
    assert glet.get() == "survived" and clock() - t0 == pytest.approx(5)


def test_throw_now_into_the_main_greenlet_from_the_hub():
    main = getcurrent()
    run_callback(throw_now, main, Boom("to main"))
    with pytest.raises(Boom, match="to main"):
        sleep(1)
    with pytest.raises(Boom):
        throw_now(main, Boom)     # into itself: raised in place
    dead = spawn(int)
    dead.join()
    throw_now(dead, Boom)         # dead: nothing happens


# -- links -----------------------------------------------------------------------

def test_link_is_called_once_after_death():
    calls = []
    glet = spawn(lambda: 7)
    glet.link(calls.append)
    glet.join()
    sleep(0.01)
    assert calls == [glet]


def test_link_added_after_death_is_called_once():
    calls = []
    glet = spawn(lambda: 7)
    glet.join()
    glet.link(calls.append)
    sleep(0.01)
    sleep(0.01)
    assert calls == [glet]


def test_unlink_and_link_errors_are_logged(caplog):
    calls = []
    glet = spawn(sleep, 0.01)

    def bad_link(g):
        raise Boom("bad link")

    glet.link(calls.append)
    glet.unlink(calls.append)
    glet.unlink(calls.append)   # no error when absent
    glet.link(bad_link)
    glet.join()
    sleep(0.01)
    assert calls == []
    assert len(error_records(caplog, "bad link")) == 1


# -- joinall / killall / Group -------------------------------------------------------

def test_joinall_with_timeout_returns_the_finished_ones():
    quick = [spawn(sleep, 0.01) for _ in range(3)]
    slow = spawn(sleep, 10)
    t0 = clock()
    done = joinall([slow] + quick, timeout=0.1)
    assert clock() - t0 == pytest.approx(0.1)
    assert done == quick
    slow.kill()


def test_joinall_raise_error_raises_as_soon_as_one_fails():
    def fail():
        sleep(0.01)
        raise Boom("first failure")

    slow = spawn(sleep, 10)
    failing = spawn(fail)
    t0 = clock()
    with pytest.raises(Boom):
        joinall([slow, failing], raise_error=True)
    assert clock() - t0 == pytest.approx(0.01)
    slow.kill()
    # Already failed before the call: raised at once as well.
    with pytest.raises(Boom):
        joinall([failing], raise_error=True)
    # A kill is not a failure.
    killed = spawn(sleep, 10)
    sleep(0)
    killed.kill()
    assert joinall([killed], raise_error=True) == [killed]


def test_killall():
    glets = [spawn(sleep, 10) for _ in range(5)]
    sleep(0)
    killall(glets)
    assert all(g.dead and isinstance(g.exception, GreenletExit) for g in glets)
    more = [spawn(sleep, 10) for _ in range(5)]
    sleep(0)
    killall(more, Boom, block=False)
    assert not any(g.dead for g in more)
    joinall(more, timeout=2)
    assert all(isinstance(g.exception, Boom) for g in more)


def test_group():
    group = Group()
    a = group.spawn(sleep, 0.01)
    b = group.spawn(sleep, 10)
    c = spawn(sleep, 10)
    group.add(c)
    assert len(group) == 3 and a in group and c in set(group)
    group.discard(c)
    assert len(group) == 2 and c not in group
    sleep(0.05)
    assert len(group) == 1 and a not in group      # members leave when they end
    assert group.join(timeout=0.02) is False
    group.kill()
    assert len(group) == 0 and b.dead
    assert group.join(timeout=0.02) is True
    c.kill()
    group.add(c)               # a dead greenlet is not added
    assert len(group) == 0


def test_group_join_waits_for_all_members():
    group = Group(*[spawn(sleep, 0.01 * i) for i in range(5)])
    assert group.join(timeout=5) is True
    assert len(group) == 0


# -- Timeout -------------------------------------------------------------------------

def test_timeout_fires_inside_nested_waits():
    never = Event()
    queue = Queue()

    def inner():
        never.wait()

    def middle():
        spawn(queue.put, "x").join()
        queue.get()
        inner()

    t0 = clock()
    with pytest.raises(Timeout) as info, Timeout(0.05) as timeout:
        middle()
    assert info.value is timeout
    assert clock() - t0 == pytest.approx(0.05)
    assert len(never._waiters) == 0   # the interrupted wait cleaned up


@pytest.mark.parametrize("wait", ["sleep", "queue", "join", "event"])
def test_timeout_interrupts_every_kind_of_wait(wait):
    waits = {
        "sleep": lambda: sleep(10),
        "queue": lambda: Queue().get(),
        "join": lambda: spawn(Event().wait).join(),
        "event": lambda: Event().wait(),
    }
    with pytest.raises(Timeout), Timeout(0.02):
        waits[wait]()


def test_nested_timeouts_inner_shorter():
    outer = Timeout(1)
    inner = Timeout(0.02)
    with pytest.raises(Timeout) as info, outer, inner:
        sleep(5)
    assert info.value is inner
    assert not outer.pending and not inner.pending
    sleep(0.01)   # the outer timer is gone: nothing raised later


def test_nested_timeouts_outer_shorter():
    outer = Timeout(0.02)
    inner = Timeout(1)
    with pytest.raises(Timeout) as info, outer, inner:
        sleep(5)
    assert info.value is outer
    assert not outer.pending and not inner.pending


def test_except_exception_does_not_swallow_a_timeout():
    caught = []
    with pytest.raises(Timeout), Timeout(0.02):
        try:
            sleep(5)
        except Exception:
            caught.append(True)
    assert caught == []


def test_timeout_none_never_fires_and_cancel_disarms():
    with Timeout(None) as never:
        assert not never.pending
        sleep(0.03)
    timeout = Timeout(0.01)
    timeout.start()
    assert timeout.pending
    with pytest.raises(RuntimeError):
        timeout.start()
    timeout.cancel()
    assert not timeout.pending
    sleep(0.03)     # nothing is raised


def test_timeout_with_custom_exception():
    with pytest.raises(Boom), Timeout(0.01, Boom("too slow")):
        sleep(5)
    with pytest.raises(Boom), Timeout(0.01, Boom):
        sleep(5)


def test_timeout_in_a_spawned_greenlet_hits_only_that_greenlet():
    def timed():
        with Timeout(0.01):
            sleep(5)

    glet = spawn(timed)
    sleep(0.05)
    assert isinstance(glet.exception, Timeout)
    assert str(glet.exception) == "0.01 seconds"
