"""Event, Condition, Queue, LifoQueue, Semaphore and Lock.

Every test runs on a hub of its own with a fake clock (the ``fake_clock``
fixture): timed waits take no wall-clock time and are exact on the hub's
clock.
"""

from collections import Counter

import pytest

from locust.engine import (
    Condition,
    Empty,
    Event,
    Full,
    LifoQueue,
    Lock,
    Queue,
    Semaphore,
    Timeout,
    clock,
    joinall,
    sleep,
    spawn,
)

pytestmark = pytest.mark.usefixtures("fake_clock")


class Boom(Exception):
    pass


# -- Event ---------------------------------------------------------------------

def test_event_set_clear_is_set():
    event = Event()
    assert not event.is_set() and not event.isSet() and not event.ready()
    event.set()
    assert event.is_set() and event.wait() is True and event.wait(0) is True
    event.clear()
    assert not event.is_set()


def test_event_wait_timeout_returns_false():
    event = Event()
    t0 = clock()
    assert event.wait(0.03) is False
    assert clock() - t0 == pytest.approx(0.03)
    assert event.wait(0) is False
    assert len(event._waiters) == 0


def test_event_wakes_every_waiter():
    event = Event()
    results = []

    def waiter(i):
        results.append((i, event.wait(5)))

    glets = [spawn(waiter, i) for i in range(1000)]
    sleep(0.01)
    assert results == []
    event.set()
    joinall(glets, timeout=5)
    assert sorted(results) == [(i, True) for i in range(1000)]
    assert len(event._waiters) == 0


def test_event_can_be_waited_on_again_after_a_set_and_clear():
    # wake_all() drops the waiter list; the next wait must make a new one.
    event = Event()
    for _round in range(3):
        glets = [spawn(event.wait, 5) for _ in range(3)]
        sleep(0.01)
        assert len(event._waiters) == 3
        event.set()
        joinall(glets, timeout=5)
        assert [g.value for g in glets] == [True] * 3
        event.clear()
    assert not event.wait(0.01)


def test_event_waiter_woken_by_set_returns_true_even_if_cleared_meanwhile():
    # As threading.Event: a wait that the set() ended reports it.
    event = Event()
    glet = spawn(event.wait, 5)
    sleep(0)
    event.set()
    event.clear()
    glet.join(2)
    assert glet.value is True


def test_a_stale_wake_up_does_not_end_a_later_wait():
    # The victim is killed out of its first wait after set() queued a
    # wake-up for it; it then waits again on the same (cleared) Event. The
    # old wake-up is for the old wait and must not end the new one.
    event = Event()
    result = {}

    def victim():
        try:
            event.wait()
        except Boom:
            event.clear()
            result["second"] = event.wait(0.1)

    vic = spawn(victim)
    sleep(0)
    vic.kill(Boom, block=False)   # queued first: thrown in first
    event.set()                   # wake-up queued second
    vic.join(2)
    assert result == {"second": False}


def test_event_wait_inside_timeout():
    event = Event()
    with pytest.raises(Timeout), Timeout(0.02):
        event.wait()
    assert len(event._waiters) == 0


# -- Condition -------------------------------------------------------------------

def test_condition_notify_wakes_one_waiter_at_a_time_in_order():
    changed = Condition()
    woken = []

    def waiter(i):
        assert changed.wait(60) is True
        woken.append(i)

    glets = [spawn(waiter, i) for i in range(3)]
    sleep(0)
    assert len(changed) == 3
    changed.notify()
    sleep(0)
    assert woken == [0] and len(changed) == 2
    changed.notify(5)          # more than are waiting: all of them, no error
    joinall(glets, timeout=5)
    assert woken == [0, 1, 2] and len(changed) == 0
    changed.notify()           # nobody waits: nothing happens


def test_condition_notify_all_and_wait_timeout():
    changed = Condition()
    glets = [spawn(changed.wait, 60) for _ in range(5)]
    sleep(0)
    changed.notify_all()
    joinall(glets, timeout=5)
    assert [g.value for g in glets] == [True] * 5
    t0 = clock()
    assert changed.wait(2.5) is False
    assert clock() - t0 == pytest.approx(2.5) and len(changed) == 0


def test_condition_wait_for_checks_the_predicate_after_each_notification():
    changed = Condition()
    state = {"n": 0}
    checks = []

    def predicate():
        checks.append(state["n"])
        return state["n"] >= 3 and "done"

    def producer():
        for _ in range(5):
            sleep(1)
            state["n"] += 1
            changed.notify_all()

    spawn(producer)
    t0 = clock()
    assert changed.wait_for(predicate, timeout=60) == "done"
    assert clock() - t0 == pytest.approx(3)        # woken by the third change, not polled
    assert checks == [0, 1, 2, 3]
    assert changed.wait_for(lambda: True) is True   # true at once: no wait


def test_condition_wait_for_times_out_with_the_last_value():
    changed = Condition()
    t0 = clock()
    assert changed.wait_for(lambda: 0, timeout=4) == 0
    assert clock() - t0 == pytest.approx(4)


def test_condition_with_a_lock_releases_it_while_waiting():
    lock = Lock()
    changed = Condition(lock)
    items = []

    def consumer():
        with changed:
            changed.wait_for(lambda: items, timeout=60)
            return items.pop(), lock.locked()

    glet = spawn(consumer)
    sleep(0)
    assert not lock.locked()            # released by the waiting consumer
    with changed:
        items.append("x")
        changed.notify()
    assert glet.get(timeout=5) == ("x", True)   # it held the lock again on return
    assert not lock.locked()
    with pytest.raises(RuntimeError):
        changed.wait(1)                 # the lock is not held
    with pytest.raises(RuntimeError):
        changed.notify_all()


def test_condition_waiter_killed_after_notify_hands_the_wake_up_on():
    changed = Condition()
    woken = []

    def waiter(i):
        changed.wait(60)
        woken.append(i)

    first, second = spawn(waiter, 1), spawn(waiter, 2)
    sleep(0)
    changed.notify()       # meant for the first...
    first.kill(now=True)   # ...which dies before it runs: the second gets it
    second.join(5)
    assert woken == [2]


# -- Queue -----------------------------------------------------------------------

def test_queue_is_fifo_and_unbounded_by_default():
    queue = Queue()
    for i in range(1000):
        queue.put(i)
    assert queue.qsize() == len(queue) == 1000 and not queue.full() and not queue.empty()
    assert [queue.get() for _ in range(1000)] == list(range(1000))
    assert queue.empty()


def test_lifo_queue_order():
    queue = LifoQueue()
    for i in range(5):
        queue.put(i)
    assert [queue.get() for _ in range(5)] == [4, 3, 2, 1, 0]


def test_queue_get_timeout_raises_empty():
    queue = Queue()
    with pytest.raises(Empty):
        queue.get_nowait()
    with pytest.raises(Empty):
        queue.get(block=False)
    t0 = clock()
    with pytest.raises(Empty):
        queue.get(timeout=0.03)
    assert clock() - t0 == pytest.approx(0.03)
    assert len(queue._getters) == 0


def test_bounded_queue_put_on_full_raises_full():
    queue = Queue(2)
    queue.put(1)
    queue.put_nowait(2)
    assert queue.full()
    with pytest.raises(Full):
        queue.put_nowait(3)
    t0 = clock()
    with pytest.raises(Full):
        queue.put(3, timeout=0.03)
    assert clock() - t0 == pytest.approx(0.03)
    assert len(queue._putters) == 0
    assert [queue.get(), queue.get()] == [1, 2]


def test_blocked_putter_resumes_when_room_is_made():
    queue = Queue(1)
    queue.put("a")
    putter = spawn(queue.put, "b")
    sleep(0.01)
    assert not putter.dead
    assert queue.get() == "a"
    putter.join(2)
    assert putter.dead and queue.get(timeout=1) == "b"


def test_blocked_getter_resumes_when_an_item_arrives():
    queue = Queue()
    getter = spawn(queue.get)
    sleep(0.01)
    assert not getter.dead
    queue.put("x")
    getter.join(2)
    assert getter.value == "x"


@pytest.mark.parametrize("maxsize", [None, 1, 5])
def test_many_producers_many_consumers_deliver_every_item_once(maxsize):
    queue = Queue(maxsize)
    n_producers, n_consumers, per_producer = 10, 7, 500
    received = Counter()

    def producer(p):
        for i in range(per_producer):
            queue.put((p, i))
            if i % 7 == 0:
                sleep(0)

    def consumer():
        while True:
            item = queue.get()
            if item is None:
                return
            received[item] += 1
            if item[1] % 5 == 0:
                sleep(0)

    consumers = [spawn(consumer) for _ in range(n_consumers)]
    producers = [spawn(producer, p) for p in range(n_producers)]
    assert len(joinall(producers, timeout=20)) == n_producers
    for _ in consumers:
        queue.put(None)
    assert len(joinall(consumers, timeout=20)) == n_consumers
    assert len(received) == n_producers * per_producer
    assert set(received.values()) == {1}
    assert queue.empty() and len(queue._getters) == 0 and len(queue._putters) == 0


def test_killed_getter_does_not_lose_an_item():
    queue = Queue()
    first = spawn(queue.get)
    second = spawn(queue.get)
    sleep(0)
    first.kill(block=False)      # thrown in before...
    queue.put("only")            # ...the wake-up this schedules runs
    joinall([first, second], timeout=1)
    assert first.dead and first.value is None
    assert second.dead and second.value == "only"
    assert len(queue._getters) == 0


# -- Semaphore / Lock ------------------------------------------------------------

def test_semaphore_limits_concurrency():
    sem = Semaphore(2)
    active = []
    peak = []

    def worker():
        with sem:
            active.append(1)
            peak.append(len(active))
            sleep(0.01)
            active.pop()

    joinall([spawn(worker) for _ in range(6)], timeout=5)
    assert max(peak) == 2 and sem.counter == 2


def test_semaphore_counts_and_timeout():
    sem = Semaphore(1)
    assert not sem.locked()
    assert sem.acquire() is True
    assert sem.locked()
    assert sem.acquire(blocking=False) is False
    t0 = clock()
    assert sem.acquire(timeout=0.03) is False
    assert clock() - t0 == pytest.approx(0.03)
    sem.release()
    assert sem.acquire(timeout=0.03) is True
    sem.release()
    assert sem.counter == 1 and len(sem._waiters) == 0
    with pytest.raises(ValueError):
        Semaphore(-1)


def test_semaphore_release_wakes_exactly_one_waiter():
    sem = Semaphore(0)
    got = []

    def waiter(i):
        sem.acquire()
        got.append(i)

    glets = [spawn(waiter, i) for i in range(3)]
    sleep(0.01)
    assert got == []
    sem.release()
    sleep(0.01)
    assert got == [0]           # the longest waiting one, and only one
    sem.release()
    sem.release()
    joinall(glets, timeout=2)
    assert got == [0, 1, 2] and sem.counter == 0


def test_semaphore_permit_is_not_lost_when_the_woken_waiter_was_killed():
    sem = Semaphore(0)
    first = spawn(sem.acquire)
    second = spawn(sem.acquire)
    sleep(0)
    first.kill(block=False)
    sem.release()
    second.join(1)
    assert second.value is True and first.dead
    assert sem.counter == 0 and len(sem._waiters) == 0


def test_lock_mutual_exclusion():
    lock = Lock()
    trace = []

    def worker(name):
        for _ in range(3):
            with lock:
                trace.append((name, "in"))
                sleep(0)
                sleep(0.001)
                trace.append((name, "out"))

    joinall([spawn(worker, n) for n in range(5)], timeout=5)
    assert len(trace) == 30
    for i in range(0, 30, 2):    # nobody entered while another was inside
        assert trace[i][1] == "in" and trace[i + 1] == (trace[i][0], "out")
    assert not lock.locked()


def test_lock_release_by_non_owner_raises():
    lock = Lock()
    with pytest.raises(RuntimeError):
        lock.release()           # not held at all
    holder = spawn(lock.acquire)
    holder.join()
    assert lock.locked()
    with pytest.raises(RuntimeError):
        lock.release()           # held by another greenlet
    assert lock.locked()
    assert lock.acquire(timeout=0.01) is False


def test_waiters_leave_the_list_when_interrupted():
    sem = Semaphore(0)
    glets = [spawn(sem.acquire) for _ in range(10)]
    sleep(0)
    assert len(sem._waiters) == 10
    for glet in glets[::2]:
        glet.kill()
    assert len(sem._waiters) == 5
    for _ in range(5):
        sem.release()
    joinall(glets, timeout=2)
    assert all(g.value is True for g in glets[1::2])
    assert len(sem._waiters) == 0 and sem.counter == 0
