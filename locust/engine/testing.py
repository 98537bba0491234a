"""A hub on a fake clock, for tests of code that waits on timers.

::

    from locust.engine.testing import autojump_hub

    with autojump_hub() as clock:
        start = clock()
        sleep(3600)                    # returns at once...
        assert clock() - start == 3600 # ...an hour later on the fake clock

Inside the block :func:`~locust.engine.get_hub` returns a fresh hub whose
clock is a :class:`FakeClock`.  Time stands still while anything is ready
to run; when nothing is (every greenlet waits for a timer, or for a file
descriptor that is not ready), the clock jumps to the next timer instead of
sleeping -- trio's "autojump clock".  A test of rates, timeouts and grace
periods then takes no wall-clock time, and what it asserts (which timer
fired first, how long something took on the hub's clock) does not depend
on how loaded the machine is.

Real I/O still works (the selector is real) but races with the jumps: a
reply that has not arrived when everything else waits comes "after" the
next timer, so a socket timeout may fire at once.  Give ``threshold`` (real
seconds to wait for a file descriptor before jumping) for tests that mix
the two.

On leaving the block, every greenlet still alive in that hub is killed
(``GreenletExit``; one that waits again while dying gets a minute of the
fake clock to end, then is killed again, up to three rounds), the hub is
destroyed and the previous one is back.  The previous
hub's greenlets, timers and sockets are left as they were: nothing runs
them while the block runs.  Use it from the main greenlet (a test
function), never from inside a greenlet.
"""

import contextlib
import gc

from greenlet import GreenletExit, greenlet

from . import hub as _hubmod
from .greenlets import Greenlet, joinall, throw_now
from .hub import Hub, getcurrent

__all__ = ["FakeClock", "AutojumpHub", "autojump_hub"]


class FakeClock:
    """A clock that moves only when told to (or when an :class:`AutojumpHub` jumps it).

    Call it for the time in seconds, like ``time.monotonic``.
    """

    def __init__(self, start=0.0):
        #: The current time, in seconds.
        self.now = float(start)

    def __call__(self):
        return self.now

    def advance(self, seconds):
        """Move the clock ``seconds`` forward; raises ValueError for a negative amount."""
        if seconds < 0:
            raise ValueError("a clock does not go back (advance(%r))" % seconds)
        self.now += seconds

    def jump_to(self, when):
        """Move the clock to ``when`` if that is later than now."""
        if when > self.now:
            self.now = when


class _AutojumpSelector:
    """Wraps the hub's real selector: a select that would sleep jumps the clock instead."""

    def __init__(self, hub, real, threshold):
        self._hub = hub
        self._real = real
        self._threshold = threshold

    def select(self, timeout=None):
        """The real selector's select, except that a timed wait with nothing
        ready returns at once with the clock moved to the next timer."""
        if timeout is None or timeout <= 0:
            return self._real.select(timeout)
        hub = self._hub
        wait = self._threshold if hub._waiting_fds else 0
        ready = self._real.select(min(wait, timeout))
        if not ready:
            timers = hub._timers
            # The hub dropped the cancelled timers at the top of the heap
            # just before computing ``timeout``: this one is live.
            if timers:
                hub.clock.jump_to(timers[0][0])
            else:
                hub.clock.advance(timeout)
        return ready

    def __getattr__(self, name):
        # register, unregister, modify, get_key, get_map, close: the real ones.
        return getattr(self._real, name)


class AutojumpHub(Hub):
    """A :class:`~locust.engine.Hub` on a :class:`FakeClock` that jumps to the
    next timer whenever nothing is ready (see the module docstring)."""

    def __init__(self, clock=None, threshold=0.0):
        #: The hub's FakeClock (an instance attribute: the class's is time.monotonic).
        self.clock = clock if clock is not None else FakeClock()
        super().__init__()
        self.selector = _AutojumpSelector(self, self.selector, threshold)


@contextlib.contextmanager
def autojump_hub(start=0.0, threshold=0.0):
    """Run the block on an :class:`AutojumpHub` of its own; yields its :class:`FakeClock`.

    ``start`` is the fake clock's first reading, ``threshold`` the real
    seconds a select waits for a file descriptor before jumping.  Raises
    RuntimeError when used from inside a greenlet (use it from the main
    greenlet, e.g. a test function).
    """
    if getcurrent().parent is not None:
        raise RuntimeError("autojump_hub() must be used from the main greenlet")
    previous = _hubmod._hub
    hub = AutojumpHub(FakeClock(start), threshold)
    _hubmod._hub = hub
    try:
        yield hub.clock
    finally:
        try:
            _kill_leftovers(hub)
        finally:
            hub.destroy()
            _hubmod._hub = previous


def _kill_leftovers(hub):
    for _ in range(3):
        alive = [g for g in gc.get_objects()
                 if isinstance(g, greenlet) and g.parent is hub and not g.dead]
        if not alive:
            return
        for glet in alive:
            if isinstance(glet, Greenlet):
                glet.kill(block=False, now=True)
            elif glet:   # a plain greenlet that started and waits
                throw_now(glet, GreenletExit)
        # Those that wait again while dying (a finally that sleeps) get a
        # minute of the fake clock -- no real time -- before the next round.
        joinall([g for g in alive if isinstance(g, Greenlet)], timeout=60)
