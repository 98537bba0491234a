"""``catch_response=True`` for the fast client: a response whose ``with`` block decides.

:class:`ResponseContextManager` follows the same rules as ``HttpSession``'s
(first decision counts; a ``ResponseError`` in the block is a failure);
:class:`RestResponseContextManager` adds ``js``, the parsed JSON body that
``rest()`` fills.
"""

from .. import events
from ..exception import CatchResponseError, ResponseError
from .response import FastResponse

__all__ = ["ResponseContextManager", "RestResponseContextManager"]


class ResponseContextManager(FastResponse):
    """A response that decides, in a ``with`` block, how it is reported.

    Returned by ``request(..., catch_response=True)``. Nothing is reported
    until the block calls ``success()`` or ``failure(exc)``, or exits: a
    clean exit reports by status (4xx/5xx and failed requests are
    failures); a ``ResponseError`` raised in the block is reported as the
    failure and swallowed; any other exception propagates, unreported.
    Only the first decision counts.
    """

    _meta = None
    _is_reported = False

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
        if not isinstance(exc, BaseException):
            exc = CatchResponseError(exc)
        request_type, name, response_time, _ = self._meta
        events.request_failure.fire(request_type=request_type, name=name,
                                    response_time=response_time, exception=exc)


class RestResponseContextManager(ResponseContextManager):
    """What ``rest()`` yields: a ResponseContextManager with ``js``, the parsed JSON body."""

    #: The JSON body, or None when there was none or it did not parse.
    js = None
