"""Synchronisation between greenlets: Event, Condition, Queue, LifoQueue, Semaphore, Lock.

They share one mechanism, :class:`_WaiterList`: a greenlet that must wait
puts itself on the list and switches to the hub; the side that makes
progress possible takes waiters off the list and schedules their wake-ups
through the hub.  Each wait puts its own :class:`_Waiter` on the list (not
the greenlet), so a wake-up meant for a wait that ended otherwise (timeout,
kill) is dropped instead of ending a later wait.  Woken greenlets re-check
their condition in a loop.
"""

import queue as _stdqueue
from collections import deque

from greenlet import getcurrent

from .hub import get_hub

__all__ = ["Event", "Condition", "Queue", "LifoQueue", "Semaphore", "Lock", "Empty", "Full"]

#: Raised by ``Queue.get`` when nothing arrived in time (the stdlib's class,
#: so code written for ``queue.Queue`` catches it unchanged).
Empty = _stdqueue.Empty
#: Raised by ``Queue.put`` when the queue stayed full.
Full = _stdqueue.Full

_TIMED_OUT = object()


# The states of a _Waiter.
_WAITING = 0     # on the list
_WOKEN_ONE = 1   # taken off by wake_one; its wake-up is scheduled
_WOKEN_ALL = 2   # taken off by wake_all; its wake-up is scheduled
_DONE = 3        # the wait is over


class _Waiter:
    """One wait on a :class:`_WaiterList`."""

    __slots__ = ("greenlet", "state")

    def __init__(self, glet):
        self.greenlet = glet
        self.state = _WAITING


class _WaiterList:
    """Greenlets waiting for one condition, woken in FIFO order.

    A wake-up takes its waiters off the list at once and schedules the
    switches: a second ``wake_one`` before the first woken greenlet runs
    wakes the next one, not the same one again (a producer that puts 100
    items wakes at most 100 getters, and only once each).  If a greenlet
    taken off by ``wake_one`` leaves by an exception (kill, Timeout) before
    its wake-up runs, it hands the wake-up on to the next waiter, so that no
    item or permit is left with nobody woken to take it.
    """

    __slots__ = ("_waiters", "_hub")

    def __init__(self):
        # Made at the first wait: most locks and queues (one connection pool
        # per user) are never waited on, and an empty deque costs ~600 bytes.
        self._waiters = None
        self._hub = None

    def __len__(self):
        """The number of greenlets waiting and not yet woken."""
        return len(self._waiters) if self._waiters else 0

    def wait(self, timeout=None):
        """Wait to be woken; returns False if ``timeout`` passed first.

        Raises RuntimeError when called from the hub, and whatever is thrown
        into the greenlet while it waits (kill, Timeout).
        """
        hub = self._hub or get_hub()
        self._hub = hub
        waiter = _Waiter(getcurrent())
        if self._waiters is None:
            self._waiters = deque()
        self._waiters.append(waiter)
        timer = None
        try:
            if timeout is not None:
                timer = hub.call_later(timeout, self._time_out, waiter)
            return hub.switch() is not _TIMED_OUT
        finally:
            state, waiter.state = waiter.state, _DONE
            if state == _WAITING:      # left by an exception
                self._waiters.remove(waiter)
            elif state == _WOKEN_ONE:  # left by an exception, a wake-up on its way
                self.wake_one()
            if timer is not None:
                timer.cancel()

    def _time_out(self, waiter):
        # Too late if a wake-up was scheduled: that one ends the wait.
        if waiter.state == _WAITING:
            waiter.state = _DONE
            self._waiters.remove(waiter)
            waiter.greenlet.switch(_TIMED_OUT)

    def _resume(self, waiter):
        if waiter.state in (_WOKEN_ONE, _WOKEN_ALL):
            waiter.state = _DONE
            waiter.greenlet.switch()

    def wake_one(self):
        """Wake the longest waiting greenlet, if any."""
        if self._waiters:
            waiter = self._waiters.popleft()
            waiter.state = _WOKEN_ONE
            self._hub.run_callback(self._resume, waiter)

    def wake_all(self):
        """Wake every greenlet waiting now."""
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            waiter.state = _WOKEN_ALL
            self._hub.run_callback(self._resume, waiter)


class Event:
    """A flag that greenlets can wait for."""

    def __init__(self):
        self._flag = False
        self._waiters = _WaiterList()

    def is_set(self):
        """True if the flag is set."""
        return self._flag

    isSet = is_set
    ready = is_set

    def set(self):
        """Set the flag and wake every waiting greenlet."""
        self._flag = True
        self._waiters.wake_all()

    def clear(self):
        """Reset the flag."""
        self._flag = False

    def wait(self, timeout=None):
        """Wait until the flag is set, at most ``timeout`` seconds.

        Returns True if the flag was set (even if ``clear()`` came before
        this greenlet ran again, as ``threading.Event``), False on timeout.
        Raises RuntimeError when it has to wait and is called from the hub.
        """
        if self._flag:
            return True
        hub = get_hub()
        deadline = None if timeout is None else hub.clock() + timeout
        while not self._flag:
            remaining = None if deadline is None else deadline - hub.clock()
            if remaining is not None and remaining <= 0:
                break
            if self._waiters.wait(remaining):
                return True  # only set() wakes a waiter of an Event
        return self._flag


class Condition:
    """Greenlets wait until some state changes; whoever changes it notifies them.

    Like ``threading.Condition``, with the lock optional: greenlets switch
    only when they wait, so between testing a predicate and waiting nobody
    can change the state, and without a lock ``wait``/``notify`` need no
    ``with``.  Given a :class:`Lock`, the condition uses it as
    ``threading.Condition`` does: ``wait`` releases it and takes it back,
    and ``wait``/``notify`` raise RuntimeError unless the caller holds it.
    ::

        changed = Condition()
        ...
        changed.wait_for(lambda: node.state == "ready", timeout=10)
        ...
        node.state = "ready"
        changed.notify_all()
    """

    def __init__(self, lock=None):
        self._lock = lock
        self._waiters = _WaiterList()

    def __enter__(self):
        if self._lock is not None:
            self._lock.acquire()
        return self

    def __exit__(self, *exc_info):
        if self._lock is not None:
            self._lock.release()

    def _check_owner(self, what):
        if self._lock is not None and self._lock._owner is not getcurrent():
            raise RuntimeError("cannot %s a condition without holding its lock" % what)

    def wait(self, timeout=None):
        """Wait until notified, at most ``timeout`` seconds; False if the time ran out.

        With a lock, it is released while waiting and held again on return
        (also when the wait ends by an exception).  Raises RuntimeError when
        the lock is not held or when called from the hub, and whatever is
        thrown into the greenlet while it waits (kill, Timeout).
        """
        self._check_owner("wait on")
        if self._lock is None:
            return self._waiters.wait(timeout)
        self._lock.release()
        try:
            return self._waiters.wait(timeout)
        finally:
            self._lock.acquire()

    def wait_for(self, predicate, timeout=None):
        """Wait until ``predicate()`` is true, at most ``timeout`` seconds.

        Checks it first, then after each notification.  Returns its last
        value (falsy if the time ran out).  Raises as :meth:`wait`.
        """
        result = predicate()
        if result:
            return result
        hub = get_hub()
        deadline = None if timeout is None else hub.clock() + timeout
        while not result:
            remaining = None
            if deadline is not None:
                remaining = deadline - hub.clock()
                if remaining <= 0:
                    break
            self.wait(remaining)
            result = predicate()
        return result

    def notify(self, n=1):
        """Wake up to ``n`` of the waiting greenlets (the longest waiting first).

        Raises RuntimeError if the condition has a lock the caller does not hold.
        """
        self._check_owner("notify")
        for _ in range(n):
            if not self._waiters:
                break
            self._waiters.wake_one()

    def notify_all(self):
        """Wake every waiting greenlet.

        Raises RuntimeError if the condition has a lock the caller does not hold.
        """
        self._check_owner("notify")
        self._waiters.wake_all()

    def __len__(self):
        """The number of greenlets waiting and not yet notified."""
        return len(self._waiters)


class Queue:
    """A FIFO queue between greenlets; ``maxsize`` None or 0 means unbounded.

    Same method names and exceptions as the stdlib's ``queue.Queue``.
    """

    def __init__(self, maxsize=None):
        self.maxsize = maxsize or 0
        self._items = self._new_items()
        # Bound once: put/get are the hot path of a producer and a consumer.
        self._take = getattr(self._items, self._TAKE)
        self._getters = _WaiterList()
        self._putters = _WaiterList()

    def qsize(self):
        """Number of items in the queue."""
        return len(self._items)

    __len__ = qsize

    def empty(self):
        """True if the queue holds nothing."""
        return not self._items

    def full(self):
        """True if a bounded queue is at its maxsize."""
        return 0 < self.maxsize <= len(self._items)

    _TAKE = "popleft"   # the method of the items that takes the next one

    @staticmethod
    def _new_items():
        return deque()

    def put(self, item, block=True, timeout=None):
        """Add ``item``; on a full queue wait (or raise Full when not blocking/timed out)."""
        if self.maxsize > 0 and len(self._items) >= self.maxsize:
            if not block:
                raise Full
            hub = get_hub()
            deadline = None if timeout is None else hub.clock() + timeout
            while len(self._items) >= self.maxsize:
                remaining = None if deadline is None else deadline - hub.clock()
                if remaining is not None and remaining <= 0:
                    raise Full
                self._putters.wait(remaining)
        self._items.append(item)
        if self._getters._waiters:
            self._getters.wake_one()

    def put_nowait(self, item):
        """``put(item, block=False)``."""
        self.put(item, False)

    def get(self, block=True, timeout=None):
        """Remove and return an item; wait for one (or raise Empty when not blocking/timed out)."""
        if not self._items:
            if not block:
                raise Empty
            hub = get_hub()
            deadline = None if timeout is None else hub.clock() + timeout
            while not self._items:
                remaining = None if deadline is None else deadline - hub.clock()
                if remaining is not None and remaining <= 0:
                    raise Empty
                self._getters.wait(remaining)
        item = self._take()
        if self._putters._waiters:
            self._putters.wake_one()
        if self._items and self._getters._waiters:
            # Several items may have arrived while we were being woken:
            # pass the turn on, or a second getter would sleep needlessly.
            self._getters.wake_one()
        return item

    def get_nowait(self):
        """``get(block=False)``."""
        return self.get(False)


class LifoQueue(Queue):
    """A last-in first-out Queue (urllib3 keeps its pooled connections in one)."""

    # A list, not a deque: both ends are not needed, and a list of a few
    # items is a tenth of an empty deque's size (one pool per user).
    _TAKE = "pop"

    @staticmethod
    def _new_items():
        return []


class Semaphore:
    """A counter that ``acquire`` decrements, waiting while it is zero."""

    def __init__(self, value=1):
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        self.counter = value
        self._waiters = _WaiterList()

    def locked(self):
        """True if acquire would wait."""
        return self.counter <= 0

    def acquire(self, blocking=True, timeout=None):
        """Decrement the counter, waiting while it is zero; False if not acquired."""
        if self.counter <= 0:
            if not blocking:
                return False
            hub = get_hub()
            deadline = None if timeout is None else hub.clock() + timeout
            while self.counter <= 0:
                remaining = None if deadline is None else deadline - hub.clock()
                if remaining is not None and remaining <= 0:
                    return False
                self._waiters.wait(remaining)
        self.counter -= 1
        return True

    def release(self):
        """Increment the counter and wake one waiter."""
        self.counter += 1
        self._waiters.wake_one()

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc_info):
        self.release()


class Lock(Semaphore):
    """A Semaphore of one that only its holder may release."""

    def __init__(self):
        super().__init__(1)
        self._owner = None

    def acquire(self, blocking=True, timeout=None):
        """Take the lock; False if not taken (not blocking, or timed out)."""
        if super().acquire(blocking, timeout):
            self._owner = getcurrent()
            return True
        return False

    def release(self):
        """Release the lock; RuntimeError if the caller does not hold it."""
        if self._owner is not getcurrent():
            raise RuntimeError("cannot release a lock held by another greenlet (or not held)")
        self._owner = None
        super().release()
