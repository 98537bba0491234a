"""Greenlets that the hub schedules, and the ways to wait for them.

A :class:`Greenlet` runs one function.  It starts on the hub's next pass
after :func:`spawn`, and when it ends its result (or exception) is stored on
it and every linked callback is called from the hub.  An exception that
nobody could have asked for is logged once, with its traceback, so it is
never lost silently.

:class:`Timeout` throws itself into the greenlet that started it, at
whatever wait that greenlet is in when the time is up.

A kill is normally delivered by the hub on its next pass; :func:`throw_now`
(and ``Greenlet.kill(now=True)``) delivers it at once, so that a greenlet
judged idle by a hub callback cannot wake up and start something else
before it dies.
"""

import contextlib
import sys

from greenlet import GreenletExit, getcurrent, greenlet

from .hub import _PASS_THROUGH, SYSTEM_ERROR, get_hub, throw_if_alive

__all__ = [
    "Greenlet", "GreenletExit", "spawn", "spawn_later", "sleep",
    "joinall", "killall", "Group", "Timeout", "throw_now",
]

# The life of a Greenlet.
_NEW = 0          # made, not scheduled to start
_SCHEDULED = 1    # start() or start_later() was called; not running yet
_RUNNING = 2      # its function has begun (it may be waiting)
_DONE = 3         # finished, failed or killed
_STATE_NAMES = ("new", "pending", "running", "dead")


class Greenlet(greenlet):
    """A function running cooperatively under the hub.

    Create them with :func:`spawn`.  ``value`` holds the return value and
    ``exception`` the exception that ended it (``GreenletExit`` when killed
    counts as a success, as it is the normal way to stop one).
    """

    def __init__(self, run=None, *args, **kwargs):
        hub = get_hub()
        super().__init__(parent=hub)
        if run is not None:
            self._run = run
        self.args = args
        self.kwargs = kwargs
        self.value = None
        self.exception = None
        self._state = _NEW
        self._links = []
        self._start_timer = None  # the Timer of start_later(), while it is pending

    def _run(self):  # overridden by the function given to __init__ or by subclasses
        return None

    # -- state -------------------------------------------------------------

    @property
    def dead(self):
        """True once the greenlet finished, failed or was killed."""
        return self._state == _DONE

    def ready(self):
        """True once the greenlet finished (same as ``dead``)."""
        return self._state == _DONE

    def successful(self):
        """True if it finished without an exception (a kill counts as success)."""
        return self._state == _DONE and (
            self.exception is None or isinstance(self.exception, GreenletExit))

    def __bool__(self):
        # A greenlet is "true" while it has started and not finished, like
        # the greenlet package's; a not yet started one is true as well, as
        # it is scheduled to run.
        return self._state != _DONE

    def __repr__(self):
        name = getattr(self._run, "__qualname__", repr(self._run))
        return "<Greenlet %s %s at %#x>" % (name, _STATE_NAMES[self._state], id(self))

    # -- lifecycle ---------------------------------------------------------

    def start(self):
        """Schedule the greenlet to start on the hub's next pass (once; no-op after)."""
        if self._state == _NEW:
            self._state = _SCHEDULED
            self.parent.run_callback(self._start)

    def start_later(self, seconds):
        """Schedule the greenlet to start after ``seconds`` (once; no-op after)."""
        if self._state == _NEW:
            self._state = _SCHEDULED
            self._start_timer = self.parent.call_later(seconds, self._start)

    def _start(self):
        if self._state == _SCHEDULED:
            self.switch()

    def run(self):
        """Run the function (greenlet calls it once) and keep its result or exception.

        An exception other than GreenletExit and the hub's ``SYSTEM_ERROR``
        is stored in ``exception`` and handed to the hub's error policy
        (logged once); the links run afterwards, from the hub.
        """
        self._state = _RUNNING
        self._start_timer = None
        try:
            result = self._run(*self.args, **self.kwargs)
        except GreenletExit as exc:
            self._finish(None, exc)
        except SYSTEM_ERROR as exc:
            # Meant for the program, not for one greenlet: let it propagate
            # to the hub (our parent), which throws it into the main
            # greenlet before it runs anything else -- before the links, so
            # that a main greenlet joining this one sees it at once.
            self._finish(None, exc)
            raise
        except BaseException as exc:
            self._finish(None, exc)
            self._report_error(exc)
        else:
            self._finish(result, None)

    def _finish(self, value, exception):
        self.value = value
        self.exception = exception
        self._state = _DONE
        self.args = self.kwargs = None
        if self._links:
            self.parent.run_callback(self._notify_links)

    def _report_error(self, exc):
        # Also for a system error when killed with one before it started
        # (once running, run() lets those propagate): the hub's policy
        # throws it into the main greenlet.
        self.parent.handle_error(self, (type(exc), exc, exc.__traceback__))

    def _notify_links(self):
        while self._links:
            callback = self._links.pop(0)
            try:
                callback(self)
            except _PASS_THROUGH:  # a system error, or the hub being destroyed
                if self._links:  # the others still run, on the next pass
                    self.parent.run_callback(self._notify_links)
                raise
            except BaseException:
                self.parent.handle_error(callback, sys.exc_info())

    def link(self, callback):
        """Call ``callback(greenlet)`` from the hub when this greenlet ends.

        The callback runs in the hub: it must not block (spawn for that).
        """
        self._links.append(callback)
        if self._state == _DONE:
            self.parent.run_callback(self._notify_links)

    def unlink(self, callback):
        """Remove a callback added with :meth:`link` (no error if absent)."""
        with contextlib.suppress(ValueError):
            self._links.remove(callback)

    def join(self, timeout=None):
        """Wait until the greenlet ends, at most ``timeout`` seconds.

        Returns nothing; check ``dead``/``value``/``exception`` afterwards.
        Raises RuntimeError when called from the hub.
        """
        if self._state == _DONE:
            return
        current = getcurrent()
        if current is self:
            raise RuntimeError("a greenlet cannot join itself")
        hub = self.parent
        switch = _Wakeup(current)
        self.link(switch)
        timer = hub.call_later(timeout, switch) if timeout is not None else None
        try:
            hub.switch()
        finally:
            switch.greenlet = None
            self.unlink(switch)
            if timer is not None:
                timer.cancel()

    def get(self, block=True, timeout=None):
        """Return the value, or raise the exception, once the greenlet ends.

        Raises ``Timeout`` if it is still running after ``timeout`` seconds.
        """
        if self._state != _DONE:
            if not block:
                raise Timeout(0)
            self.join(timeout)
            if self._state != _DONE:
                raise Timeout(timeout)
        if self.exception is not None and not isinstance(self.exception, GreenletExit):
            raise self.exception
        return self.value

    def kill(self, exception=GreenletExit, block=True, timeout=None, now=False):
        """Throw ``exception`` (a class or an instance) into the greenlet at its wait point.

        By default the hub delivers it on its next pass.  With ``now`` it is
        delivered at once (:func:`throw_now`): from a hub callback, the
        greenlet has died -- or handled the exception and waits again --
        when ``kill`` returns, before any other greenlet runs.

        A greenlet that has not started yet never starts; it ends with
        ``exception`` as if it had been thrown in at its first line (stored,
        and handed to the hub's error policy unless it is a GreenletExit).
        With ``block`` wait (at most ``timeout`` seconds) until it has
        ended.  Raises RuntimeError when called from the hub with ``block``,
        and ``exception`` itself when a greenlet kills itself.
        """
        if self._state == _DONE:
            return
        if self._state in (_NEW, _SCHEDULED):
            if self._start_timer is not None:
                self._start_timer.cancel()
                self._start_timer = None
            exc = exception() if isinstance(exception, type) else exception
            # It never ran, so there is nothing to throw into (a scheduled
            # start finds it dead and does nothing).
            self._finish(None, exc)
            if not isinstance(exc, GreenletExit):
                self._report_error(exc)
            return
        if getcurrent() is self:
            raise exception() if isinstance(exception, type) else exception
        if now:
            throw_now(self, exception)
        else:
            self.parent.run_callback(throw_if_alive, self, exception)
        if block:
            self.join(timeout)


class _Wakeup:
    """A link that switches back to a waiting greenlet, once, if it still waits."""

    __slots__ = ("greenlet",)

    def __init__(self, glet):
        self.greenlet = glet

    def __call__(self, *_args):
        glet, self.greenlet = self.greenlet, None
        if glet is not None:
            glet.switch()


def throw_now(glet, exception=GreenletExit):
    """Throw ``exception`` (a class or an instance) into ``glet`` at once.

    ``glet`` runs right away, at its wait point, until it dies or waits
    again; no other greenlet runs in between.  Called from the hub (a
    callback, a timer, a link or a signal handler) it returns then; called
    from a greenlet, that greenlet resumes on the hub's next pass.  Use it
    when a greenlet judged idle must not get the chance to start something
    else before it ends (``Greenlet.kill(now=True)`` is this for a
    Greenlet that may not have started).  Nothing happens if ``glet`` is
    dead.  Raises ``exception`` when ``glet`` is the current greenlet, and
    what ``glet`` lets escape when its parent is the caller.
    """
    if glet.dead:
        return
    current = getcurrent()
    if current is glet:
        raise exception() if isinstance(exception, type) else exception
    hub = get_hub()
    if current is hub:
        throw_if_alive(glet, exception)
        return
    # glet's death (or its next wait) switches to its parent, the hub, not
    # back here: the hub must resume us.  Dropped once we are back, in case
    # we were glet's parent and got here directly.
    wake = hub.run_callback(current.switch)
    try:
        glet.throw(exception)
    finally:
        hub.cancel_callback(wake)


def spawn(function, *args, **kwargs):
    """Start ``function(*args, **kwargs)`` in a new greenlet; returns the Greenlet."""
    glet = Greenlet(function, *args, **kwargs)
    glet.start()
    return glet


def spawn_later(seconds, function, *args, **kwargs):
    """Start ``function(*args, **kwargs)`` in a new greenlet after ``seconds``."""
    glet = Greenlet(function, *args, **kwargs)
    glet.start_later(seconds)
    return glet


def sleep(seconds=0):
    """Suspend the current greenlet for ``seconds``; 0 lets the others run first.

    Raises RuntimeError when called from the hub.
    """
    hub = get_hub()
    current = getcurrent()
    if seconds <= 0:
        wake_up = hub.run_callback(current.switch)
        try:
            hub.switch()
        except BaseException:
            # A kill or a Timeout ended the sleep before the wake-up ran:
            # drop it, or it would cut short the greenlet's next wait.
            hub.cancel_callback(wake_up)
            raise
        return
    timer = hub.call_later(seconds, current.switch)
    try:
        hub.switch()
    finally:
        timer.cancel()


def joinall(greenlets, timeout=None, raise_error=False):
    """Wait until every greenlet has ended, at most ``timeout`` seconds.

    Returns the list of those that ended, in the given order.  With
    ``raise_error``, the exception of a failed greenlet is raised as soon as
    it fails, without waiting for the others (a kill with GreenletExit is
    not a failure).  Raises RuntimeError when it has to wait and is called
    from the hub.
    """
    greenlets = list(greenlets)
    if raise_error:
        _join_until_failure(greenlets, timeout)
    else:
        # One at a time: usually the first join is the only wait, since
        # the others end in the same passes of the hub (one link in all,
        # where linking each would cost a callback per greenlet).
        hub = get_hub()
        deadline = None if timeout is None else hub.clock() + timeout
        for glet in greenlets:
            if glet.dead:
                continue
            remaining = None if deadline is None else deadline - hub.clock()
            if remaining is not None and remaining <= 0:
                break
            glet.join(remaining)
    return [g for g in greenlets if g.dead]


def _join_until_failure(greenlets, timeout):
    # A link on each, so that the first failure wakes us whichever it is.
    _raise_first_failure(greenlets)
    pending = [g for g in greenlets if not g.dead]
    if not pending:
        return
    hub = get_hub()
    wake = _Wakeup(getcurrent())
    left = len(pending)

    def on_end(glet):
        nonlocal left
        left -= 1
        if left == 0 or not glet.successful():
            wake()

    for glet in pending:
        glet.link(on_end)
    timer = hub.call_later(timeout, wake) if timeout is not None else None
    try:
        hub.switch()
    finally:
        wake.greenlet = None
        for glet in pending:
            glet.unlink(on_end)
        if timer is not None:
            timer.cancel()
    _raise_first_failure(greenlets)


def _raise_first_failure(greenlets):
    for glet in greenlets:
        if glet.dead and not glet.successful():
            raise glet.exception


def killall(greenlets, exception=GreenletExit, block=True, timeout=None):
    """Kill every greenlet of ``greenlets``; with ``block`` wait for all of them."""
    greenlets = list(greenlets)
    for glet in greenlets:
        glet.kill(exception, block=False)
    if block:
        joinall(greenlets, timeout)


class Group:
    """A set of greenlets that leave it when they end."""

    def __init__(self, *greenlets):
        self.greenlets = set()
        for glet in greenlets:
            self.add(glet)

    def __len__(self):
        return len(self.greenlets)

    def __iter__(self):
        return iter(list(self.greenlets))

    def __contains__(self, glet):
        return glet in self.greenlets

    def add(self, glet):
        """Add a greenlet; it is discarded automatically when it ends."""
        if not glet.dead:
            self.greenlets.add(glet)
            glet.link(self.discard)

    def discard(self, glet):
        """Remove a greenlet from the group (no error if absent)."""
        self.greenlets.discard(glet)
        glet.unlink(self.discard)

    def spawn(self, function, *args, **kwargs):
        """Spawn ``function`` and add it to the group."""
        glet = spawn(function, *args, **kwargs)
        self.add(glet)
        return glet

    def join(self, timeout=None, raise_error=False):
        """Wait until the group is empty (at most ``timeout``); True if it is."""
        hub = get_hub()
        deadline = None if timeout is None else hub.clock() + timeout
        while self.greenlets:
            remaining = None if deadline is None else deadline - hub.clock()
            if remaining is not None and remaining <= 0:
                return False
            done = joinall(list(self.greenlets), remaining, raise_error)
            for glet in done:
                self.greenlets.discard(glet)
        return True

    def kill(self, exception=GreenletExit, block=True, timeout=None):
        """Kill every greenlet in the group."""
        killall(list(self.greenlets), exception, block, timeout)


class Timeout(BaseException):
    """Raises itself in the current greenlet after ``seconds``.

    ::

        with Timeout(5):
            sock.recv(10)      # Timeout raised here if it takes over 5 s

    It derives from BaseException so that ``except Exception`` in user code
    does not swallow it.  ``seconds=None`` never fires.  Give ``exception``
    to raise that instead of the Timeout itself.
    """

    def __init__(self, seconds=None, exception=None):
        super().__init__(seconds)
        self.seconds = seconds
        self.exception = exception
        self._timer = None

    @property
    def pending(self):
        """True while the timeout is armed."""
        return self._timer is not None and self._timer.pending

    def start(self):
        """Arm the timeout in the current greenlet."""
        if self.pending:
            raise RuntimeError("this Timeout is already started")
        if self.seconds is None:
            return
        hub = get_hub()
        exc = self.exception if self.exception is not None else self
        self._timer = hub.call_later(self.seconds, throw_if_alive, getcurrent(), exc)

    def cancel(self):
        """Disarm the timeout."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.cancel()
        return False

    def __str__(self):
        if self.seconds is None:
            return ""
        return "%s second%s" % (self.seconds, "" if self.seconds == 1 else "s")
