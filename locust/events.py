"""Event hooks: the points where locustfiles and Locust's own parts listen in.

A hook is an :class:`EventHook`. Listeners are added with ``+=`` (the 0.7
spelling) or ``add_listener`` (the 2.x spelling, usable as a decorator),
removed with ``-=`` or ``remove_listener``, and called in the order they
were added, with keyword arguments only, by ``fire(**kwargs)``.

Both APIs' hooks live here, in one set per process (``Environment.events``
is this module)::

    events.request_success += on_success          # 0.7
    @events.request.add_listener                   # 2.x
    def on_request(request_type, name, response_time, response_length,
                   exception, **kw): ...

**One request, every hook once.** A request is reported either the 0.7 way
(``request_success`` / ``request_failure``, as ``HttpSession`` does) or the
2.x way (``request``, as a 2.x custom client does), or through
:func:`fire_request`. Whichever way it comes in, the listeners of
``request`` are called once (``response``, ``context``, ``start_time`` and
``url`` are None when a 0.7-style client reported it), then the listeners of
``request_success`` or ``request_failure`` once, with the 0.7 arguments.
The statistics listen on the 0.7 pair, so both kinds of client are counted
exactly once. The bridge never fires a hook's ``fire`` from another, so
nothing loops; and it builds the other side's arguments only when that side
has listeners, so a test whose locustfile listens to neither pays one list
check per request.

**Exceptions.** A 0.7 hook lets a listener's exception propagate to the
caller of ``fire`` (the listeners after it are not called), as Locust 0.7
did. The hooks added with the 2.x API (``request``, ``test_start``,
``test_stop``, ``user_error``, ...) log a listener's exception and go on, as
Locust 2.x does; the exceptions that steer users (``StopUser``,
``StopTest``, ``InterruptTaskSet``, ``RescheduleTask*``) still propagate —
from ``request`` only after every listener of both sides has run, so a
listener that stops its user never keeps a request out of the statistics.
"""

import logging
import time

from .exception import InterruptTaskSet, RescheduleTask, RescheduleTaskImmediately, StopLocust, StopTest

__all__ = [
    "EventHook", "fire_request",
    # Locust 0.7
    "request_success", "request_failure", "locust_error",
    "report_to_master", "slave_report", "hatch_complete", "quitting",
    "master_start_hatching", "master_stop_hatching",
    "locust_start_hatching", "locust_stop_hatching",
    # Locust 2.x
    "request", "user_error", "worker_report", "spawning_complete", "init",
    "init_command_line_parser", "test_start", "test_stopping", "test_stop",
    "reset_stats", "quit",
]

log = logging.getLogger(__name__)

#: Raised by listeners on purpose to steer the user: never swallowed.
_CONTROL = (StopLocust, StopTest, InterruptTaskSet, RescheduleTask, RescheduleTaskImmediately)


class EventHook:
    """A list of listeners fired together.

    ::

        my_event = EventHook()
        def on_my_event(a, b, **kw):
            print("Event was fired with arguments: %s, %s" % (a, b))
        my_event += on_my_event            # or: my_event.add_listener(on_my_event)
        my_event.fire(a="foo", b="bar")

    An exception raised by a listener propagates to the caller of ``fire``
    and the listeners after it are not called.
    """

    __slots__ = ("_handlers",)

    def __init__(self):
        self._handlers = []

    def __iadd__(self, handler):
        self.add_listener(handler)
        return self

    def __isub__(self, handler):
        """Remove ``handler``; raises ValueError if it was never added."""
        self._handlers.remove(handler)
        return self

    def __len__(self):
        return len(self._handlers)

    def add_listener(self, handler):
        """Add ``handler``; returns it, so that this works as a decorator."""
        self._handlers.append(handler)
        return handler

    def remove_listener(self, handler):
        """Remove ``handler``; raises ValueError if it was never added."""
        self._handlers.remove(handler)

    def fire(self, *, reverse=False, **kwargs):
        """Call every listener with ``kwargs``, in the order they were added
        (the reverse order with ``reverse=True``)."""
        for handler in (reversed(self._handlers) if reverse else self._handlers):
            handler(**kwargs)

    def measure(self, request_type, name, response_length=0, context=None):
        """Time a ``with`` block and fire this hook as a request (2.x).

        Meant for :data:`request`: the block gets the request's arguments as
        a dict it may change; an exception in the block marks the request as
        failed (and is swallowed, as in Locust 2.x)::

            with events.request.measure("grpc", "SayHello") as meta:
                meta["response"] = stub.SayHello(...)
        """
        return _Measure(self, {"request_type": request_type, "name": name,
                               "response_length": response_length, "context": context or {},
                               "exception": None})


class _Measure:
    """The context manager of :meth:`EventHook.measure`."""

    __slots__ = ("_hook", "_meta", "_started")

    def __init__(self, hook, meta):
        self._hook = hook
        self._meta = meta

    def __enter__(self):
        self._meta["start_time"] = time.time()
        self._started = time.perf_counter()
        return self._meta

    def __exit__(self, exc_type, exc, tb):
        meta = self._meta
        if isinstance(exc, Exception):
            meta["exception"] = exc
        meta["response_time"] = (time.perf_counter() - self._started) * 1000
        self._hook.fire(**meta)
        return isinstance(exc, Exception)


class _GuardedHook(EventHook):
    """A 2.x hook: a listener's exception is logged and the others still run."""

    __slots__ = ("_name",)

    def __init__(self, name):
        super().__init__()
        self._name = name

    def fire(self, *, reverse=False, **kwargs):
        """Call every listener; log what one raises (steering exceptions propagate)."""
        for handler in (reversed(self._handlers) if reverse else self._handlers):
            try:
                handler(**kwargs)
            except _CONTROL:
                raise
            except Exception:
                log.exception("A listener of events.%s failed", self._name)


class _AdaptiveHook(EventHook):
    """A 0.7 hook whose 2.x form has more arguments (``quitting(environment)``).

    Listeners that take neither those arguments nor ``**kwargs`` (a 0.7
    ``def on_quitting():``) are called without them; the signature is read
    once per listener.
    """

    __slots__ = ("_newer", "_takes")

    def __init__(self, *newer):
        super().__init__()
        self._newer = frozenset(newer)
        self._takes = {}

    def _accepts_newer(self, handler):
        key = id(handler)
        takes = self._takes.get(key)
        if takes is None:
            import inspect  # only when this hook fires: importing locust stays light
            try:
                params = inspect.signature(handler).parameters.values()
            except (TypeError, ValueError):
                takes = True
            else:
                names = {p.name for p in params}
                takes = any(p.kind is p.VAR_KEYWORD for p in params) or self._newer <= names
            self._takes[key] = takes
        return takes

    def fire(self, *, reverse=False, **kwargs):
        """Call every listener, leaving out the 2.x arguments for 0.7 listeners."""
        older = {k: v for k, v in kwargs.items() if k not in self._newer}
        for handler in (reversed(self._handlers) if reverse else self._handlers):
            handler(**(kwargs if self._accepts_newer(handler) else older))


# ------------------------------------------------------------------ the request bridge

def _call_request_listeners(kwargs):
    # 2.x semantics: log a listener's error; keep a steering exception for
    # after the 0.7 side (the statistics) has seen the request.
    pending = None
    for handler in request._handlers:
        try:
            handler(**kwargs)
        except _CONTROL as exc:
            if pending is None:
                pending = exc
        except Exception:
            log.exception("A listener of events.request failed")
    return pending


def fire_request(request_type, name, response_time, response_length=0, exception=None,
                 response=None, context=None, start_time=None, url=None, **extra):
    """Report one request to every listener of both APIs, once each.

    The listeners of :data:`request` get every argument (plus ``extra``);
    then those of :data:`request_success` (``exception`` None) or
    :data:`request_failure` get the 0.7 arguments. A client that has the
    response, the URL or a context should report through this function.
    """
    pending = None
    if request._handlers:
        pending = _call_request_listeners(dict(
            extra, request_type=request_type, name=name, response_time=response_time,
            response_length=response_length, response=response, context=context,
            exception=exception, start_time=start_time, url=url))
    if exception is None:
        for handler in request_success._handlers:
            handler(request_type=request_type, name=name, response_time=response_time,
                    response_length=response_length)
    else:
        for handler in request_failure._handlers:
            handler(request_type=request_type, name=name, response_time=response_time,
                    exception=exception)
    if pending is not None:
        raise pending


class _RequestHook(EventHook):
    """``events.request``: firing it reports the request to the 0.7 pair too."""

    __slots__ = ()

    def fire(self, *, reverse=False, **kwargs):  # noqa: ARG002 - the 2.x signature
        """Report a request (2.x keyword arguments) to both APIs' listeners."""
        fire_request(**kwargs)


class _OutcomeHook(EventHook):
    """``request_success`` / ``request_failure``: firing one reports to ``request`` too."""

    __slots__ = ("_failed",)

    def __init__(self, failed):
        super().__init__()
        self._failed = failed

    def fire(self, *, reverse=False, **kwargs):
        """Call the listeners of :data:`request` (if any), then this hook's."""
        pending = None
        if request._handlers:
            pending = _call_request_listeners({
                "request_type": kwargs.get("request_type"), "name": kwargs.get("name"),
                "response_time": kwargs.get("response_time"),
                "response_length": kwargs.get("response_length", 0),
                "exception": kwargs.get("exception") if self._failed else None,
                "response": None, "context": None, "start_time": None, "url": None})
        for handler in (reversed(self._handlers) if reverse else self._handlers):
            handler(**kwargs)
        if pending is not None:
            raise pending


# --------------------------------------------------------------------------- hooks

#: Fired when a request completed successfully.
#: Arguments: request_type, name, response_time (ms, float), response_length (bytes).
request_success = _OutcomeHook(failed=False)

#: Fired when a request failed.
#: Arguments: request_type, name, response_time (ms, float), exception.
request_failure = _OutcomeHook(failed=True)

#: Fired for every request (2.x). Arguments: request_type, name,
#: response_time (ms), response_length, response, context, exception (None
#: for a success), start_time, url.
request = _RequestHook()

#: Fired when a task raised. Arguments: locust_instance, exception, tb.
locust_error = EventHook()

#: The same, with the 2.x argument name. Arguments: user_instance, exception, tb.
user_error = _GuardedHook("user_error")

#: Fired on a slave before each report; listeners may add keys to ``data``
#: ("stats", "errors" and "user_count" are Locust's own).
#: Arguments: client_id, data.
report_to_master = EventHook()

#: Fired on the master for each report a slave sends. Arguments: client_id, data.
slave_report = EventHook()
#: The 2.x name of the same hook.
worker_report = slave_report

#: Fired when every user of a hatch is running. Arguments: user_count.
hatch_complete = EventHook()
#: The 2.x name of the same hook.
spawning_complete = hatch_complete

#: Fired once when Locust is about to exit. Arguments: environment (given only
#: to listeners that take it or ``**kwargs``, so a 0.7 listener without
#: arguments still works).
quitting = _AdaptiveHook("environment")

#: Fired on the master when it starts or stops hatching. No arguments.
master_start_hatching = EventHook()
master_stop_hatching = EventHook()

#: Fired when a runner starts or stops hatching users. No arguments.
locust_start_hatching = EventHook()
locust_stop_hatching = EventHook()

#: Fired once the environment, the runner and the web UI exist (2.x).
#: Arguments: environment, runner, web_ui (None without one). A listener's
#: exception propagates (the command line then exits with status 1).
init = EventHook()

#: Fired with the command line's parser before it parses (2.x), so that a
#: locustfile can add options. Arguments: parser.
init_command_line_parser = EventHook()

#: Fired when a test starts (not again when its user count changes). Arguments: environment.
test_start = _GuardedHook("test_start")

#: Fired when a test is about to stop, before its users are stopped. Arguments: environment.
test_stopping = _GuardedHook("test_stopping")

#: Fired when a test has stopped. Arguments: environment.
test_stop = _GuardedHook("test_stop")

#: Fired when the statistics are reset (dashboard button, --reset-stats). No arguments.
reset_stats = _GuardedHook("reset_stats")

#: Fired last, just before the process exits. Arguments: exit_code.
quit = _GuardedHook("quit")  # the 2.x name (shadows the builtin here only)
