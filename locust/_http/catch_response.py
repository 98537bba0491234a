"""How a request is reported: the events fired, and ``catch_response=True``'s context manager.

A request is described by its *request_meta*, the keyword arguments of
Locust 2.x's ``request`` event: ``request_type``, ``name``,
``response_time`` (ms), ``response_length``, ``response``, ``context``,
``exception`` (None for a success), ``start_time`` (seconds since the
epoch) and ``url``.  :func:`report` fires it on one of two channels:

- the 0.7 pair ``events.request_success`` / ``events.request_failure``
  (their own arguments, a subset of the above), when no request event or
  the global ``events.request`` was given: the 2.x event is fired from the
  pair by ``locust.events``, so each hook sees each request once;
- a request event of the caller's (an ``EventHook`` that is not the
  global one), fired with all the keyword arguments above instead.
"""

from .. import events
from ..exception import CatchResponseError, ResponseError
from .response import Response

__all__ = ["ResponseContextManager", "own_request_event", "report"]


def own_request_event(request_event):
    """The hook to report to, or None for the 0.7 pair (a plain request's fast path).

    The global ``events.request`` reports to both APIs' listeners (see
    ``locust.events.fire_request``); while nobody listens to it, the 0.7
    pair reports the same at less cost, so it stands for None then.  Any
    other hook is the caller's own and is fired instead of the pair.
    """
    if request_event is None:
        return None
    if request_event is getattr(events, "request", None) and not request_event._handlers:
        return None
    return request_event


def report(request_meta, request_event=None):
    """Fire the events for one request described by ``request_meta`` (see the module docstring).

    ``request_event`` is None for the 0.7 pair (see :func:`own_request_event`).
    A listener's exception propagates to the caller.
    """
    if request_event is not None:
        request_event.fire(**request_meta)
        return
    exception = request_meta["exception"]
    if exception is None:
        events.request_success.fire(
            request_type=request_meta["request_type"], name=request_meta["name"],
            response_time=request_meta["response_time"],
            response_length=request_meta["response_length"])
    else:
        events.request_failure.fire(
            request_type=request_meta["request_type"], name=request_meta["name"],
            response_time=request_meta["response_time"], exception=exception)


class ResponseContextManager(Response):
    """A Response that also decides, in a ``with`` block, how it is reported.

    Returned by ``request(..., catch_response=True)``. Nothing is reported
    until the block calls ``success()`` or ``failure(exc)``, or exits:

    - a clean exit without a decision reports by status (4xx/5xx and safe
      mode errors are failures);
    - a ``ResponseError`` raised in the block is reported as the failure and
      swallowed;
    - any other exception (InterruptTaskSet, KeyError ...) propagates and
      nothing is reported (unless ``success``/``failure`` was called before).

    Only the first ``success()``/``failure()`` reports; later calls are ignored.

    ``request_meta`` (a dict, see :func:`report`) is what will be reported:
    the block may change it, e.g. ``response.request_meta["name"] = "/item"``.
    """

    _is_reported = False
    _request_event = None

    def __init__(self, response, request_event=None, request_meta=None):
        """Take over ``response``'s state (Locust 2.x's signature).

        ``request_event``: see :func:`own_request_event`. ``request_meta``:
        the report to fire (see :func:`report`); by default one made from
        the response, with a response time of 0.
        """
        self.__dict__.update(response.__dict__)
        if request_meta is None:
            request_meta = _meta_of(response)
        #: What will be reported (the keyword arguments of the 2.x request event).
        self.request_meta = request_meta
        request_event = own_request_event(request_event)
        if request_event is not None:
            self._request_event = request_event

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            if isinstance(exc, ResponseError):
                self.failure(exc)
                return True
            return False
        if not self._is_reported:
            if self.ok:
                self.success()
            else:
                self.failure(self.error or self._http_error())
        return False

    def success(self):
        """Report the request as successful."""
        if self._is_reported:
            return
        self._is_reported = True
        self.request_meta["exception"] = None
        report(self.request_meta, self._request_event)

    def failure(self, exc):
        """Report the request as failed; anything but an exception (a string) becomes a CatchResponseError."""
        if self._is_reported:
            return
        self._is_reported = True
        if not isinstance(exc, BaseException):
            exc = CatchResponseError(exc)
        self.request_meta["exception"] = exc
        report(self.request_meta, self._request_event)


def _meta_of(response):
    content = response._content
    request = response.request
    return {"request_type": request.method if request is not None else None,
            "name": request.path_url if request is not None and request.url else None,
            "response_time": 0, "response_length": len(content) if content else 0,
            "response": response, "context": {}, "exception": None, "start_time": None,
            "url": response.url}
