"""The hub: callbacks, timers, fd waits, its error policy, LoopExit and waits made from the hub.

The in-process tests run on a hub of their own with a fake clock (the
``fake_clock`` fixture), so timers fire in order with no wall-clock wait.
Scenarios that need a pristine process hub (LoopExit needs "nothing left to
wait for"; signals are process-wide) run in a subprocess.
"""

import logging
import selectors
import socket
import subprocess
import sys
import textwrap

import greenlet
import pytest

from locust.engine import (
    SYSTEM_ERROR,
    ConcurrentWaitError,
    Event,
    Greenlet,
    Queue,
    clock,
    get_hub,
    getcurrent,
    run_callback,
    sleep,
    spawn,
)
from support import run_child

pytestmark = pytest.mark.usefixtures("fake_clock")


def cancelled_in_heap(hub):
    return sum(1 for entry in hub._timers if entry[2].callback is None)


# -- callbacks ---------------------------------------------------------------

def test_callbacks_run_in_fifo_order():
    hub = get_hub()
    seen = []
    for i in range(10):
        hub.run_callback(seen.append, i)
    sleep(0)
    assert seen == list(range(10))


def test_cancel_callback_drops_it_and_is_harmless_after_it_ran():
    hub = get_hub()
    seen = []
    first = hub.run_callback(seen.append, 1)
    dropped = hub.run_callback(seen.append, 2)
    hub.run_callback(seen.append, 3)
    hub.cancel_callback(dropped)
    sleep(0)
    assert seen == [1, 3]
    hub.cancel_callback(first)   # already ran: nothing happens
    sleep(0)
    assert seen == [1, 3]


def test_a_callback_that_reschedules_itself_does_not_starve_others():
    hub = get_hub()
    runs = []
    stop = []

    def again():
        runs.append(1)
        if not stop:
            hub.run_callback(again)

    hub.run_callback(again)
    for _ in range(5):
        sleep(0)   # would never return if a pass ran callbacks added during it
    stop.append(True)
    sleep(0)
    sleep(0)
    assert 5 <= len(runs) <= 8


def test_error_in_callback_is_logged_and_the_hub_goes_on(caplog):
    hub = get_hub()

    def bad():
        raise ValueError("callback boom")

    hub.run_callback(bad)
    sleep(0.01)
    records = [r for r in caplog.records if r.exc_info and "callback boom" in str(r.exc_info[1])]
    assert len(records) == 1 and "error in" in records[0].getMessage()
    ran = []
    hub.run_callback(ran.append, "after")   # the hub goes on
    sleep(0)
    assert ran == ["after"] and not hub.dead


@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, SystemExit])
def test_a_system_error_in_a_callback_reaches_main_before_any_other_callback(exc_type, caplog):
    assert exc_type in SYSTEM_ERROR
    hub = get_hub()
    ran = []

    def interrupt():
        raise exc_type()

    hub.run_callback(interrupt)
    hub.run_callback(ran.append, "queued behind it")
    with pytest.raises(exc_type):
        sleep(0)
    assert ran == []          # main got it first
    sleep(0)
    assert ran == ["queued behind it"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_system_error_in_a_link_reaches_main_and_the_other_links_still_run():
    seen = []

    def interrupting_link(_glet):
        raise KeyboardInterrupt()

    glet = Greenlet(int)
    glet.link(interrupting_link)
    glet.link(seen.append)
    glet.start()
    with pytest.raises(KeyboardInterrupt):
        sleep(0)
        sleep(0)
    sleep(0)
    assert seen == [glet]


def test_handle_error_logs_with_its_context(caplog):
    hub = get_hub()
    try:
        raise ValueError("given to the policy")
    except ValueError:
        hub.handle_error("some context", sys.exc_info())
    (record,) = [r for r in caplog.records if r.exc_info]
    assert record.getMessage() == "error in 'some context'"
    assert str(record.exc_info[1]) == "given to the policy"


def test_handle_error_throws_system_errors_into_main():
    hub = get_hub()
    hub.handle_error("a signal", (SystemExit, SystemExit(4), None))
    with pytest.raises(SystemExit) as info:
        sleep(1)
    assert info.value.code == 4


# -- timers ------------------------------------------------------------------

def test_timers_fire_in_deadline_order():
    hub = get_hub()
    fired = []
    for delay in (0.03, 0.01, 0.02, 0.0):
        hub.call_later(delay, fired.append, delay)
    sleep(0.06)
    assert fired == [0.0, 0.01, 0.02, 0.03]


def test_cancelled_timer_never_fires():
    hub = get_hub()
    fired = []
    timer = hub.call_later(0.01, fired.append, "no")
    keep = hub.call_later(0.01, fired.append, "yes")
    assert timer.pending
    timer.cancel()
    timer.cancel()   # twice is harmless
    assert not timer.pending
    sleep(0.05)
    assert fired == ["yes"]
    assert not keep.pending
    keep.cancel()    # cancelling a fired timer is harmless too
    assert hub._cancelled == cancelled_in_heap(hub)


def test_cancelling_a_million_timers_keeps_the_heap_small():
    hub = get_hub()
    before = len(hub._timers)
    largest = 0
    # One at a time, as a million sleeps interrupted early would.
    for _ in range(1_000_000):
        hub.call_later(3600, int).cancel()
        if len(hub._timers) > largest:
            largest = len(hub._timers)
    assert largest < before + 1000
    # All at once.
    timers = [hub.call_later(3600 + i, int) for i in range(200_000)]
    for timer in timers:
        timer.cancel()
    assert len(hub._timers) < before + 1000
    assert hub._cancelled == cancelled_in_heap(hub)


def test_cancelling_many_timers_from_a_firing_timer_keeps_counts_right():
    # A timer callback cancels enough timers to rebuild the heap while the
    # hub is in the middle of firing: the heap the hub fires from must be
    # the rebuilt one, and the count of cancelled entries must stay true.
    hub = get_hub()
    fired = []
    others = []

    def cancel_others():
        fired.append("first")
        for timer in others:
            timer.cancel()

    # All due in the same firing pass (deadline ties fire in order of creation).
    hub.call_later(0.005, cancel_others)
    others.extend(hub.call_later(0.005, fired.append, i) for i in range(700))
    survivor = hub.call_later(0.005, fired.append, "survivor")
    sleep(0.05)
    assert fired == ["first", "survivor"]
    assert not survivor.pending
    assert hub._cancelled == cancelled_in_heap(hub)
    assert hub._cancelled >= 0


def test_timer_callback_error_is_logged_once(caplog):
    hub = get_hub()

    def bad():
        raise KeyError("timer boom")

    hub.call_later(0.001, bad)
    sleep(0.02)
    records = [r for r in caplog.records if r.exc_info and "timer boom" in str(r.exc_info[1])]
    assert len(records) == 1


def test_fired_timer_drops_its_arguments():
    hub = get_hub()
    payload = object()
    timer = hub.call_later(0, lambda x: None, payload)
    sleep(0.01)
    assert timer.args is None and not timer.pending


# -- blocking calls from the hub ---------------------------------------------

BLOCKING_CALLS = {
    "sleep": lambda: sleep(0.01),
    "sleep0": lambda: sleep(0),
    "event": lambda: Event().wait(),
    "event_timeout": lambda: Event().wait(0.01),
    "queue": lambda: Queue().get(),
    "join": lambda: spawn(sleep, 0.01).join(),
    "hub_switch": lambda: get_hub().switch(),
}


@pytest.mark.parametrize("name", sorted(BLOCKING_CALLS))
def test_blocking_call_from_a_callback_raises_runtime_error(name, caplog):
    hub = get_hub()
    outcome = []

    def callback():
        try:
            BLOCKING_CALLS[name]()
        except RuntimeError as exc:
            outcome.append(str(exc))
        else:
            outcome.append(None)

    hub.run_callback(callback)
    sleep(0.03)
    assert len(outcome) == 1 and outcome[0] and "hub" in outcome[0]
    # The hub goes on, and the failed wait left nothing behind that fires
    # later (a stale wake-up would be logged as an error in a callback).
    sleep(0.03)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_blocking_call_from_a_link_raises_runtime_error(caplog):
    outcome = []

    def link(glet):
        try:
            sleep(0.01)
        except RuntimeError as exc:
            outcome.append(exc)

    glet = spawn(lambda: 42)
    glet.link(link)
    glet.join()
    sleep(0.02)
    assert len(outcome) == 1 and isinstance(outcome[0], RuntimeError)
    assert glet.value == 42


def test_wait_fd_from_the_hub_raises_runtime_error():
    hub = get_hub()
    a, b = socket.socketpair()
    outcome = []

    def callback():
        try:
            hub.wait_fd(a.fileno(), selectors.EVENT_READ)
        except RuntimeError as exc:
            outcome.append(exc)

    try:
        hub.run_callback(callback)
        sleep(0.01)
        assert len(outcome) == 1
    finally:
        hub.cancel_fd(a.fileno())
        a.close()
        b.close()


# -- waiting on file descriptors (against plain stdlib sockets) ----------------

@pytest.fixture
def pair():
    a, b = socket.socketpair()
    a.setblocking(False)
    yield a, b
    hub = get_hub()
    for sock in (a, b):
        if sock.fileno() >= 0:
            hub.cancel_fd(sock.fileno())
            sock.close()


def test_wait_fd_wakes_a_reader_when_data_arrives(pair):
    a, b = pair
    hub = get_hub()
    got = []

    def reader():
        while True:
            try:
                got.append(a.recv(10))
                return
            except BlockingIOError:
                hub.wait_fd(a.fileno(), selectors.EVENT_READ)

    glet = spawn(reader)
    sleep(0.02)
    assert not glet.dead
    b.send(b"hello")
    glet.join(2)
    assert got == [b"hello"]


def test_wait_fd_writable_returns_at_once(pair):
    a, _ = pair
    hub = get_hub()
    t0 = clock()
    hub.wait_fd(a.fileno(), selectors.EVENT_WRITE, timeout=5)
    assert clock() == t0


def test_wait_fd_timeout_raises_the_given_exception(pair):
    a, _ = pair
    hub = get_hub()
    with pytest.raises(TimeoutError):
        hub.wait_fd(a.fileno(), selectors.EVENT_READ, timeout=0.01)

    class Custom(Exception):
        pass

    with pytest.raises(Custom):
        hub.wait_fd(a.fileno(), selectors.EVENT_READ, timeout=0.01, timeout_exc=Custom("late"))
    # The slot was given back each time: a third wait is allowed.
    with pytest.raises(TimeoutError):
        hub.wait_fd(a.fileno(), selectors.EVENT_READ, timeout=0.01)


def test_second_reader_on_one_fd_gets_concurrent_wait_error(pair):
    a, b = pair
    hub = get_hub()
    first = spawn(hub.wait_fd, a.fileno(), selectors.EVENT_READ, 2)
    sleep(0.01)
    with pytest.raises(ConcurrentWaitError):
        hub.wait_fd(a.fileno(), selectors.EVENT_READ, timeout=1)
    # A writer on the same fd is a different slot.
    hub.wait_fd(a.fileno(), selectors.EVENT_WRITE, timeout=1)
    b.send(b"x")
    first.join(2)
    assert first.dead and first.exception is None


def test_cancel_fd_wakes_the_waiter_with_an_error(pair):
    a, _ = pair
    hub = get_hub()
    glet = spawn(hub.wait_fd, a.fileno(), selectors.EVENT_READ)
    sleep(0.01)
    hub.cancel_fd(a.fileno())
    glet.join(2)
    assert isinstance(glet.exception, OSError)
    assert hub._waiting_fds == 0


def test_killing_an_fd_waiter_frees_its_slot(pair):
    a, _ = pair
    hub = get_hub()
    before = hub._waiting_fds
    glet = spawn(hub.wait_fd, a.fileno(), selectors.EVENT_READ)
    sleep(0.01)
    assert hub._waiting_fds == before + 1
    glet.kill()
    assert glet.dead and hub._waiting_fds == before
    with pytest.raises(TimeoutError):
        hub.wait_fd(a.fileno(), selectors.EVENT_READ, timeout=0.01)


def test_wait_on_a_closed_fd_fails_and_frees_its_slot():
    hub = get_hub()
    a, b = socket.socketpair()
    fd = a.fileno()
    hub.cancel_fd(fd)
    a.close()
    b.close()
    before = hub._waiting_fds
    with pytest.raises(OSError):
        hub.wait_fd(fd, selectors.EVENT_READ, timeout=1)
    assert hub._waiting_fds == before
    # The slot is free: the same error again, not ConcurrentWaitError.
    with pytest.raises(OSError) as info:
        hub.wait_fd(fd, selectors.EVENT_READ, timeout=1)
    assert not isinstance(info.value, ConcurrentWaitError)
    hub.cancel_fd(fd)


def test_a_plain_greenlet_dying_in_fd_dispatch_does_not_stop_the_hub(pair, caplog):
    # Our Greenlet catches its own exceptions; a raw greenlet whose parent is
    # the hub hands them to the hub at the point it was switched to.
    a, b = pair
    hub = get_hub()
    c, d = socket.socketpair()
    woke = []

    def raw():
        hub.wait_fd(c.fileno(), selectors.EVENT_READ)
        raise ValueError("raw greenlet boom")

    def reader():
        hub.wait_fd(a.fileno(), selectors.EVENT_READ)
        woke.append(True)

    try:
        hub.run_callback(greenlet.greenlet(raw, parent=hub).switch)
        glet = spawn(reader)
        sleep(0.01)
        d.send(b"x")
        b.send(b"x")
        glet.join(2)
        sleep(0.01)
        assert woke == [True]
        records = [r for r in caplog.records
                   if r.exc_info and "raw greenlet boom" in str(r.exc_info[1])]
        assert len(records) == 1
        assert not hub.dead
    finally:
        hub.cancel_fd(c.fileno())
        c.close()
        d.close()


# -- LoopExit (subprocesses: they need a hub with nothing else to do) ------------

def test_main_waiting_on_an_event_nobody_sets_gets_loop_exit():
    # At once: the alternative is waiting forever (run_child's timeout).
    result = run_child("""
        from locust.engine import Event, LoopExit, sleep, spawn
        try:
            Event().wait()
        except LoopExit:
            print("loopexit")
        # The hub still works afterwards.
        sleep(0.01)
        g = spawn(lambda: 5)
        g.join()
        print("after", g.value)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["loopexit", "after 5"]


def test_loop_exit_waits_for_timers_and_blocked_greenlets_count_as_blocked():
    result = run_child("""
        import time
        from locust.engine import Event, LoopExit, sleep, spawn
        never = Event()
        blocked = spawn(never.wait)          # blocked forever too
        sleeper = spawn(sleep, 0.2)          # a timer: not a deadlock yet
        t0 = time.monotonic()
        try:
            blocked.join()
        except LoopExit:
            print("loopexit", round(time.monotonic() - t0, 3), sleeper.dead, blocked.dead)
    """)
    assert result.returncode == 0, result.stderr
    word, elapsed, sleeper_dead, blocked_dead = result.stdout.split()
    assert word == "loopexit" and float(elapsed) >= 0.15   # only after the timer
    assert (sleeper_dead, blocked_dead) == ("True", "False")


def test_loop_exit_is_not_raised_while_an_fd_is_waited_on():
    result = run_child("""
        import selectors, socket, time
        from locust.engine import Event, get_hub, spawn, sleep
        hub = get_hub()
        a, b = socket.socketpair()
        done = Event()
        def reader():
            hub.wait_fd(a.fileno(), selectors.EVENT_READ)
            done.set()
        spawn(reader)
        sleep(0)
        # Feed the fd from outside the engine (a thread), after we wait.
        import threading
        threading.Timer(0.2, b.send, (b"x",)).start()
        print("set", done.wait())
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "set True"


def test_an_exception_reaching_the_hub_after_loop_exit_does_not_kill_it():
    # After delivering LoopExit the hub is suspended; a plain greenlet whose
    # parent is the hub and that dies there must not end the hub.
    result = run_child("""
        import greenlet
        from locust.engine import Event, LoopExit, get_hub, sleep
        hub = get_hub()
        try:
            Event().wait()
        except LoopExit:
            pass
        def boom():
            raise ValueError("dies into the hub")
        try:
            greenlet.greenlet(boom, parent=hub).switch()
        except BaseException as exc:
            print("main got", type(exc).__name__)
        sleep(0.01)
        print("hub dead:", hub.dead)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["main got LoopExit", "hub dead: False"]
    assert "dies into the hub" in result.stderr   # logged, not lost


def test_greenlet_class_is_exported_and_parented_to_the_hub():
    glet = Greenlet(lambda: None)
    assert glet.parent is get_hub()
    glet.kill()


def test_io_waiters_lists_greenlets_blocked_on_a_socket():
    hub = get_hub()
    a, b = socket.socketpair()
    a.setblocking(False)
    try:
        reader = spawn(hub.wait_fd, a.fileno(), selectors.EVENT_READ)
        sleeper = spawn(sleep, 10)
        sleep(0)
        assert reader in hub.io_waiters()
        assert sleeper not in hub.io_waiters()
        b.send(b"x")
        reader.join(timeout=1)
        assert reader not in hub.io_waiters()
        sleeper.kill()
    finally:
        a.close()
        b.close()


def test_an_exception_from_a_signal_handler_in_select_reaches_the_main_greenlet():
    # A test runner's alarm (pytest-timeout) raises from a signal handler
    # while the hub sits in select(); it must reach the program, not a log.
    code = textwrap.dedent("""
        import signal
        from locust.engine import Event

        class Alarm(BaseException):
            pass

        def on_alarm(signum, frame):
            raise Alarm()

        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        import socket
        from locust.engine import spawn, get_hub
        a, b = socket.socketpair()
        a.setblocking(False)
        import selectors
        try:
            get_hub().wait_fd(a.fileno(), selectors.EVENT_READ)
        except Alarm:
            print("alarm reached main")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20)
    assert "alarm reached main" in out.stdout, out.stderr


def test_get_hub_if_exists_never_makes_a_hub_and_destroy_ends_one():
    result = run_child("""
        from locust.engine import get_hub, get_hub_if_exists, net, sleep, spawn
        print(get_hub_if_exists() is None)
        sock = net.socket()
        sock.close()                       # closing a socket makes no hub
        print(get_hub_if_exists() is None)
        hub = get_hub()
        print(get_hub_if_exists() is hub)
        sleep(0.01)
        hub.destroy()
        print(hub.dead, get_hub_if_exists() is None)
        sleep(0.01)                        # a new hub, made on first use
        print(get_hub() is not hub, spawn(lambda: 7).get())
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:5] == ["True", "True", "True", "True True", "True 7"]


def test_the_process_hub_functions_are_exported():
    assert getcurrent() is greenlet.getcurrent()
    seen = []
    run_callback(seen.append, "callback")
    sleep(0)
    assert seen == ["callback"]
