"""``catch_response=True``: a Response whose ``with`` block decides how it is reported."""

from .. import events
from ..exception import CatchResponseError, ResponseError
from .response import Response

__all__ = ["ResponseContextManager"]


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
    """

    _meta = None
    _is_reported = False

    def __init__(self, response, request_type=None, name=None, response_time=0,
                 response_length=0):
        super().__init__()
        self.__dict__.update(response.__dict__)
        self._meta = (request_type or (response.request and response.request.method),
                      name, response_time, response_length)

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
        request_type, name, response_time, length = self._meta
        events.request_success.fire(request_type=request_type, name=name,
                                    response_time=response_time, response_length=length)

    def failure(self, exc):
        """Report the request as failed; a string becomes a CatchResponseError."""
        if self._is_reported:
            return
        self._is_reported = True
        if isinstance(exc, str):
            exc = CatchResponseError(exc)
        request_type, name, response_time, _ = self._meta
        events.request_failure.fire(request_type=request_type, name=name,
                                    response_time=response_time, exception=exc)
