"""Signal handlers that run in the hub, and that the hub waits for.

::

    from locust.engine import signal_handler
    handler = signal_handler(signal.SIGTERM, stop_everything)
    ...
    handler.cancel()

Python runs a signal handler in whatever greenlet happens to run when the
signal arrives: raising there kills that greenlet (a user of a load test),
not the program, and blocking there blocks whoever it was.  A handler
installed with :func:`signal_handler` only queues ``callback(*args)`` as a
hub callback, so the callback runs in the hub on its next pass, like a
link (it must not block: spawn a greenlet for work that waits; it may throw
into a greenlet, e.g. ``throw_now(main, KeyboardInterrupt)``).  The hub's
wake-up socket (``signal.set_wakeup_fd``) makes a signal end its select()
at once.

While a handler is installed, waiting for a signal is something to wait
for: a program whose main greenlet waits for an Event that only a signal
handler sets does not get :class:`~locust.engine.LoopExit`; the hub sleeps
in select() until the signal comes.  Without handlers, a main greenlet
with nothing left to wait for still gets LoopExit at once.

Several handlers may be installed for one signal; each runs, in the order
they were installed.  When the last one for a signal is cancelled, the
Python-level handler that was there before is put back.  Signals are
process-wide, so are these handlers: install them from the main thread.
"""

import signal as _signal

from .hub import get_hub

__all__ = ["signal_handler", "SignalHandler"]

_handlers = {}   # signum -> [SignalHandler, ...] in the order installed
_previous = {}   # signum -> the Python-level handler ours replaced


class SignalHandler:
    """One handler installed by :func:`signal_handler`; ``cancel()`` removes it."""

    __slots__ = ("signum", "callback", "args", "_hub")

    def __init__(self, hub, signum, callback, args):
        self._hub = hub
        self.signum = signum
        self.callback = callback
        self.args = args

    @property
    def active(self):
        """True until :meth:`cancel` is called."""
        return self in _handlers.get(self.signum, ())

    def cancel(self):
        """Remove the handler (safe to call more than once).

        Once no handler is left for the signal, the previous Python-level
        handler is put back.  Raises ValueError outside the main thread.
        """
        handlers = _handlers.get(self.signum)
        if not handlers or self not in handlers:
            return
        handlers.remove(self)
        self._hub._signal_handlers -= 1
        if not handlers:
            del _handlers[self.signum]
            previous = _previous.pop(self.signum)
            _signal.signal(self.signum, _signal.SIG_DFL if previous is None else previous)

    def __repr__(self):
        return "<SignalHandler %s -> %r>" % (_name(self.signum), self.callback)


def _name(signum):
    try:
        return _signal.Signals(signum).name
    except ValueError:
        return str(signum)


def _dispatch(signum, _frame):
    # The Python-level handler: runs between two bytecodes of whatever
    # greenlet is current; it only queues the callbacks.
    for handler in list(_handlers.get(signum, ())):
        handler._hub.run_callback(handler.callback, *handler.args)


def signal_handler(signum, callback, *args):
    """Run ``callback(*args)`` in the hub each time the process gets signal ``signum``.

    Returns a :class:`SignalHandler` (call ``cancel()`` to remove it).  The
    callback runs from the hub like any hub callback: it must not block,
    and what it raises goes through the hub's error policy (a
    KeyboardInterrupt or SystemExit reaches the main greenlet, anything
    else is logged).  While the handler is installed the hub never reports
    :class:`~locust.engine.LoopExit`: the signal is something to wait for.

    Raises ValueError when the hub cannot be woken by signals (it was made
    outside the main thread), when called outside the main thread, or for
    a signal number that is invalid or cannot be caught (SIGKILL, SIGSTOP).
    """
    hub = get_hub()
    if not hub.handles_signals:
        raise ValueError("signal handlers need the hub of the main thread")
    handlers = _handlers.get(signum)
    if handlers is None:
        try:
            previous = _signal.signal(signum, _dispatch)
        except OSError as exc:  # SIGKILL, SIGSTOP: EINVAL
            raise ValueError("cannot handle signal %s: %s" % (_name(signum), exc)) from None
        _previous[signum] = previous
        handlers = _handlers[signum] = []
    handler = SignalHandler(hub, signum, callback, args)
    handlers.append(handler)
    hub._signal_handlers += 1
    return handler
