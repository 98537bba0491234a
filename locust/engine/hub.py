"""The hub: one greenlet per process that runs everything that is ready.

Every other greenlet, the program's main greenlet included, switches to the
hub when it has to wait, and the hub switches back to it when what it waits
for is ready.  One pass of the loop:

1. run the callbacks that were ready when the pass began (FIFO; anything
   scheduled during the pass waits for the next one, so a greenlet that
   yields in a loop cannot starve the others);
2. compute the select timeout from the earliest timer (0 when callbacks are
   pending, None when there is nothing timed);
3. ``selector.select(timeout)`` (skipped when it could report nothing:
   callbacks pending and no fd waited on);
4. switch to the greenlets whose file descriptors are ready;
5. fire the timers that are due.

Waits are built from two primitives, :meth:`Hub.wait_fd` and a plain
:meth:`Hub.switch` paired with a timer or a callback.  Everything else
(greenlets, timeouts, queues, sockets, signal handlers) lives in its own
module.

One error policy (:meth:`Hub.handle_error`): an exception that ends a
callback, a timer, a greenlet woken by a file descriptor, a link or a
:class:`~locust.engine.Greenlet` is logged once with its traceback and the
hub goes on -- unless it is one of :data:`SYSTEM_ERROR` (Ctrl-C,
``sys.exit()``...), which belong to the program: those are thrown into the
main greenlet before anything else runs, as is whatever ends the loop
itself (:class:`LoopExit`).

Registrations of file descriptors are kept lazily: when a wait ends, the
waiter is cleared but the fd stays in the selector, because a connection
that is read again and again would otherwise pay two ``epoll_ctl`` calls
per read.  An event on an fd nobody waits for drops the registration then.
"""

import contextlib
import errno
import heapq
import logging
import selectors
import signal
import socket as _socket
import sys
import time
from collections import deque

from greenlet import getcurrent, greenlet

__all__ = ["Hub", "Timer", "get_hub", "get_hub_if_exists", "getcurrent", "LoopExit",
           "ConcurrentWaitError", "SYSTEM_ERROR", "clock", "call_later", "run_callback",
           "io_waiters"]

log = logging.getLogger("locust.engine")

_READ = selectors.EVENT_READ
_WRITE = selectors.EVENT_WRITE


class LoopExit(RuntimeError):
    """Raised in the main greenlet when it waits and nothing could ever wake it.

    No callback is pending, no timer is set and no file descriptor is being
    waited on: the wait would last forever.
    """


class ConcurrentWaitError(RuntimeError):
    """A second greenlet tried to wait on an fd in a direction already waited on."""


#: Exceptions that belong to the program, not to the callback or greenlet
#: they were raised in: the hub throws them into the main greenlet.
#: SystemError is the interpreter reporting a bug of its own (as gevent does).
SYSTEM_ERROR = (KeyboardInterrupt, SystemExit, SystemError)


class _HubExit(BaseException):
    """Thrown into the hub by :meth:`Hub.destroy` to end its loop."""


# What the loop lets through instead of handling it in place.
_PASS_THROUGH = SYSTEM_ERROR + (_HubExit,)


class Timer:
    """A callback due at a point in time; ``cancel()`` before it fires to drop it."""

    __slots__ = ("deadline", "callback", "args", "_hub")

    def __init__(self, hub, deadline, callback, args):
        self._hub = hub
        self.deadline = deadline
        self.callback = callback
        self.args = args

    @property
    def pending(self):
        """True until the timer fired or was cancelled."""
        return self.callback is not None

    def cancel(self):
        """Stop the timer from firing. Safe to call more than once."""
        if self.callback is not None:
            self.callback = None
            self.args = None
            self._hub._timer_cancelled()


class _FdWaiters:
    """Who waits on one file descriptor: at most one reader and one writer."""

    __slots__ = ("reader", "writer", "mask")

    def __init__(self):
        self.reader = None
        self.writer = None
        self.mask = 0  # what the selector currently watches for this fd


class Hub(greenlet):
    """The event loop greenlet. Get the process's hub with :func:`get_hub`."""

    #: The clock the hub measures time with; swap it in tests.
    clock = staticmethod(time.monotonic)
    #: The selector class; epoll on Linux.
    selector_class = selectors.DefaultSelector

    def __init__(self):
        # The hub's parent is the main greenlet, whoever creates it: when a
        # signal handler raises inside the hub, that is where it belongs.
        main = getcurrent()
        while main.parent is not None:
            main = main.parent
        super().__init__(parent=main)
        self.selector = self.selector_class()
        self._callbacks = deque()
        self._timers = []          # heap of (deadline, sequence, Timer)
        self._timer_seq = 0
        self._cancelled = 0        # cancelled timers still in the heap
        self._fds = {}             # fd -> _FdWaiters
        self._waiting_fds = 0      # number of (fd, direction) slots in use
        #: Signal handlers installed through this hub (locust.engine.signals):
        #: while there are any, waiting for a signal is not a dead lock.
        self._signal_handlers = 0
        self._wakeup = None
        self._previous_wakeup_fd = -1
        self._destroyed = False
        self._install_signal_wakeup()

    # -- signals ---------------------------------------------------------

    def _install_signal_wakeup(self):
        # A signal that arrives while we sit in select() must wake us at
        # once; the C handler writes a byte to this socket (PEP 475 would
        # otherwise retry select() after running handlers that do not raise).
        r, w = _socket.socketpair()
        try:
            r.setblocking(False)
            w.setblocking(False)
            self._previous_wakeup_fd = signal.set_wakeup_fd(w.fileno(), warn_on_full_buffer=False)
        except (ValueError, OSError):  # not the main thread: no signals here
            r.close()
            w.close()
            return
        self._wakeup = (r, w)
        self.selector.register(r.fileno(), _READ, None)

    @property
    def handles_signals(self):
        """True if signals wake this hub (it was created in the main thread)."""
        return self._wakeup is not None

    def _drain_wakeup(self):
        try:
            while self._wakeup[0].recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    # -- callbacks and timers -------------------------------------------

    def run_callback(self, callback, *args):
        """Call ``callback(*args)`` from the hub on its next pass.

        Returns a handle for :meth:`cancel_callback`.
        """
        handle = (callback, args)
        self._callbacks.append(handle)
        return handle

    def cancel_callback(self, handle):
        """Drop a callback that has not run yet (O(pending callbacks); no error if it ran)."""
        for i, pending in enumerate(self._callbacks):
            if pending is handle:
                # Replaced, not deleted: _run_once may be running a pass
                # over a count of the callbacks taken at its start.
                self._callbacks[i] = _CANCELLED_CALLBACK
                return

    def call_later(self, seconds, callback, *args):
        """Call ``callback(*args)`` from the hub after ``seconds``; returns a :class:`Timer`."""
        timer = Timer(self, self.clock() + seconds, callback, args)
        self._timer_seq += 1
        heapq.heappush(self._timers, (timer.deadline, self._timer_seq, timer))
        return timer

    def _timer_cancelled(self):
        # Cancelled timers stay in the heap (removing one is O(n)); when
        # they are the majority the heap is rebuilt, so a million cancelled
        # sleeps do not keep a million entries alive.
        self._cancelled += 1
        if self._cancelled > 256 and self._cancelled * 2 > len(self._timers):
            # In place: _run_once holds a reference to the list while it
            # fires timers, and a fired callback may cancel others.
            self._timers[:] = [e for e in self._timers if e[2].callback is not None]
            heapq.heapify(self._timers)
            self._cancelled = 0

    # -- waiting -----------------------------------------------------------

    def switch(self, *args):
        """Switch to the hub; returns what the waking side passes.

        Raises RuntimeError when called from the hub itself (a blocking call
        made from a callback or a link), which would otherwise hang forever.
        """
        if getcurrent() is self:
            raise RuntimeError(
                "a blocking call was made from the hub (a callback, timer or link "
                "must not wait); spawn a greenlet for it instead")
        return greenlet.switch(self, *args)

    def wait_fd(self, fd, event, timeout=None, timeout_exc=None):
        """Wait until ``fd`` is readable (``EVENT_READ``) or writable (``EVENT_WRITE``).

        May return early (a readiness that another greenlet already consumed,
        an fd number reused after a close): callers retry their operation in a
        loop.  Raises ``timeout_exc`` (default ``TimeoutError``) after
        ``timeout`` seconds, ConcurrentWaitError if another greenlet already
        waits on this fd in this direction, and whatever is thrown in by
        ``kill()``, a ``Timeout`` or :meth:`cancel_fd`.
        """
        current = getcurrent()
        if current is self:
            raise RuntimeError("cannot wait for a file descriptor from the hub")
        waiters = self._fds.get(fd)
        if waiters is None:
            waiters = self._fds[fd] = _FdWaiters()
        if event == _READ:
            if waiters.reader is not None:
                raise ConcurrentWaitError("fd %d already has a greenlet waiting to read" % fd)
            waiters.reader = current
        else:
            if waiters.writer is not None:
                raise ConcurrentWaitError("fd %d already has a greenlet waiting to write" % fd)
            waiters.writer = current
        self._waiting_fds += 1
        timer = None
        try:
            # Inside the try: if registering fails (a closed fd), the slot
            # taken above must be given back, or the next wait on this fd
            # gets ConcurrentWaitError and LoopExit is never detected.
            if not waiters.mask & event:
                self._watch(fd, waiters, waiters.mask | event)
            if timeout is not None:
                timer = self.call_later(timeout, throw_if_alive, current,
                                        timeout_exc if timeout_exc is not None
                                        else TimeoutError("timed out"))
            greenlet.switch(self)
        finally:
            # Another greenlet may have replaced the record (cancel_fd and a
            # reused fd): only clear our own slot.
            if event == _READ:
                if waiters.reader is current:
                    waiters.reader = None
                    self._waiting_fds -= 1
            elif waiters.writer is current:
                waiters.writer = None
                self._waiting_fds -= 1
            if timer is not None:
                timer.cancel()

    def _watch(self, fd, waiters, mask):
        old = waiters.mask
        try:
            if old == 0:
                self.selector.register(fd, mask)
            elif mask == 0:
                self.selector.unregister(fd)
            else:
                self.selector.modify(fd, mask)
        except (KeyError, OSError, ValueError):
            # The fd was closed behind our back (EBADF), or closed and its
            # number reused (the kernel forgot it, the selector did not:
            # KeyError or ENOENT): start over.
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.selector.unregister(fd)
            if mask:
                self.selector.register(fd, mask)
        waiters.mask = mask

    def io_waiters(self):
        """The set of greenlets now waiting for a file descriptor.

        For callers above the engine that must tell a greenlet in the middle
        of network I/O from one that sleeps (a load-test runner lets users
        finish a request in flight before stopping them).
        """
        busy = set()
        for waiters in self._fds.values():
            if waiters.reader is not None:
                busy.add(waiters.reader)
            if waiters.writer is not None:
                busy.add(waiters.writer)
        return busy

    def cancel_fd(self, fd, exc=None):
        """Forget ``fd`` (it is being closed): its waiters get ``exc`` thrown in.

        Must be called before the fd is closed, so that a new socket that
        reuses the number does not inherit the registration.
        """
        waiters = self._fds.pop(fd, None)
        if waiters is None:
            return
        if waiters.mask:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.selector.unregister(fd)
        if exc is None:
            exc = OSError(errno.EBADF, "socket closed while a greenlet was waiting on it")
        for glet in (waiters.reader, waiters.writer):
            if glet is not None:
                self._waiting_fds -= 1
                self.run_callback(throw_if_alive, glet, exc)
        waiters.reader = waiters.writer = None

    # -- errors --------------------------------------------------------------

    def handle_error(self, context, exc_info):
        """What the hub does with an exception that nobody waits to catch.

        ``context`` is what raised it (a callback, a greenlet, this hub) and
        ``exc_info`` a ``(type, value, traceback)`` tuple.  One of
        :data:`SYSTEM_ERROR`, or anything that ends the loop itself
        (``context`` is the hub: a :class:`LoopExit`, an exception raised by
        a signal handler while the hub ran), is thrown into the main
        greenlet by a callback that runs before any other; anything else is
        logged ("error in <context>", logger ``locust.engine``) and the hub
        goes on.  Raises nothing.
        """
        exc = exc_info[1]
        if isinstance(exc, SYSTEM_ERROR) or context is self:
            # Thrown from a callback, not from here: whatever is raised in
            # the hub during the throw (a second Ctrl-C) then meets the
            # callbacks' error handling, where it is handled like any other,
            # instead of escaping run() and ending the hub.
            self._callbacks.appendleft((self.parent.throw, (exc,)))
        else:
            log.error("error in %r", context, exc_info=exc_info)

    # -- the loop ----------------------------------------------------------

    def run(self):
        """The loop; returns only when the hub is destroyed.

        Callbacks, timers and woken greenlets have their errors handled in
        place (:meth:`handle_error`); a system error ends the pass there and
        reaches this handler, as does what the loop itself raises
        (:class:`LoopExit`: nothing can ever wake the waiting greenlets).
        """
        while True:
            try:
                self._run_once()
            except _HubExit:
                return
            except BaseException:
                self.handle_error(self, sys.exc_info())

    def _run_once(self):
        callbacks = self._callbacks
        for _ in range(len(callbacks)):
            callback, args = callbacks.popleft()
            try:
                callback(*args)
            except _PASS_THROUGH:
                raise
            except BaseException:
                self.handle_error(callback, sys.exc_info())

        timers = self._timers
        while timers and timers[0][2].callback is None:
            heapq.heappop(timers)
            self._cancelled -= 1
        if callbacks:
            timeout = 0
        elif timers:
            timeout = max(0.0, timers[0][0] - self.clock())
        elif self._waiting_fds or self._signal_handlers:
            timeout = None
        else:
            # No callback, no timer, no fd, no signal handler: whoever waits
            # now waits forever.
            raise LoopExit("nothing left to wait for: every greenlet is blocked forever")

        # A select is a system call; with callbacks pending (timeout 0) and
        # no greenlet waiting on an fd it has nothing to report, so a pass of
        # sleep(0) yields skips it (a third of the pass's cost).  Signal
        # handlers still run: Python calls them between bytecodes.
        ready = self.selector.select(timeout) if timeout != 0 or self._waiting_fds else ()
        for key, events in ready:
            fd = key.fd
            waiters = self._fds.get(fd)
            if waiters is None:
                if self._wakeup is not None and fd == self._wakeup[0].fileno():
                    self._drain_wakeup()
                    continue
                with contextlib.suppress(KeyError, ValueError, OSError):
                    self.selector.unregister(fd)
                continue
            # Read the slots at dispatch time, not before: an earlier switch
            # in this batch may have closed this fd or ended the wait.
            woke = False
            if events & _READ:
                glet = waiters.reader
                if glet is not None:
                    woke = True
                    self._resume(glet)
            if events & _WRITE:
                glet = waiters.writer
                if glet is not None:
                    woke = True
                    self._resume(glet)
            if not woke and self._fds.get(fd) is waiters:
                # Readiness nobody waits for: stop watching that direction.
                wanted = (_READ if waiters.reader is not None else 0) | \
                         (_WRITE if waiters.writer is not None else 0)
                if wanted != waiters.mask:
                    self._watch(fd, waiters, wanted)
                if not wanted and waiters.reader is None and waiters.writer is None:
                    self._fds.pop(fd, None)

        if timers:
            now = self.clock()
            while timers and timers[0][0] <= now:
                timer = heapq.heappop(timers)[2]
                callback = timer.callback
                if callback is None:
                    self._cancelled -= 1
                    continue
                args = timer.args
                timer.callback = timer.args = None
                try:
                    callback(*args)
                except _PASS_THROUGH:
                    raise
                except BaseException:
                    self.handle_error(callback, sys.exc_info())

    def _resume(self, glet):
        # A plain greenlet whose parent is the hub and that dies of an
        # exception delivers it here (our Greenlet catches its own); it must
        # not end the pass, or the other ready fds and the timers would wait.
        try:
            glet.switch()
        except _PASS_THROUGH:
            raise
        except BaseException:
            self.handle_error(glet, sys.exc_info())

    # -- the end -------------------------------------------------------------

    def destroy(self):
        """End this hub: its loop stops, its selector and wake-up socket are closed.

        Greenlets still waiting in it never resume (kill them first); if it
        is the process's hub, :func:`get_hub` makes a new one next time.
        For tests that run on a hub of their own
        (:mod:`locust.engine.testing`) and for programs done with the
        engine.  Raises RuntimeError when called from the hub itself.
        """
        global _hub
        if self._destroyed:
            return
        if getcurrent() is self:
            raise RuntimeError("a hub cannot destroy itself from inside its loop")
        self._destroyed = True
        if self:  # started and suspended in its loop
            self.throw(_HubExit())
        if self._wakeup is not None:
            with contextlib.suppress(ValueError, OSError):
                signal.set_wakeup_fd(self._previous_wakeup_fd)
            for sock in self._wakeup:
                sock.close()
            self._wakeup = None
        self.selector.close()
        self._callbacks.clear()
        self._timers.clear()
        self._fds.clear()
        if _hub is self:
            _hub = None


def _cancelled_callback():
    pass


_CANCELLED_CALLBACK = (_cancelled_callback, ())


def throw_if_alive(glet, exc):
    """Throw ``exc`` (an instance or a class) into ``glet`` unless it is dead.

    The one way the engine delivers a kill, a timeout or a closed fd: call
    it from the hub (a callback or a timer), so that it returns once the
    greenlet has handled the exception and waits again, or has died.
    """
    if not glet.dead:
        glet.throw(exc)


_hub = None


def get_hub():
    """Return this process's hub, creating it on first use."""
    global _hub
    if _hub is None:
        _hub = Hub()
    return _hub


def get_hub_if_exists():
    """Return this process's hub, or None if none was made yet (never creates one).

    For code that may run before the engine is used or while the
    interpreter shuts down (closing a socket, a finalizer).
    """
    return _hub


# The hub's operations that code above the engine uses, on this process's hub.

def clock():
    """Seconds on the hub's clock: ``time.monotonic()``, unless a test gave the hub a fake clock.

    Deadlines compared with the engine's timers should be taken from here.
    """
    return get_hub().clock()


def call_later(seconds, callback, *args):
    """Call ``callback(*args)`` from the hub after ``seconds``; returns a :class:`Timer`.

    The callback runs in the hub: it must not block (spawn for that).
    """
    return get_hub().call_later(seconds, callback, *args)


def run_callback(callback, *args):
    """Call ``callback(*args)`` from the hub on its next pass (FIFO); it must not block.

    Returns a handle for :meth:`Hub.cancel_callback`.
    """
    return get_hub().run_callback(callback, *args)


def io_waiters():
    """The set of greenlets now waiting for a file descriptor (see :meth:`Hub.io_waiters`)."""
    return get_hub().io_waiters()
