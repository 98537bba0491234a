"""The errors a request can end with: the names and hierarchy of ``requests.exceptions``.

Everything derives from :class:`RequestException`, an ``OSError``, so
``except RequestException`` in a locustfile written for requests still
catches what it should.  Both HTTP clients raise (and, in safe mode, carry
in a status 0 response) these same classes.
"""

import json as _json

__all__ = [
    "RequestException", "HTTPError", "ConnectionError", "ProxyError", "SSLError", "Timeout",
    "ConnectTimeout", "ReadTimeout", "TooManyRedirects", "InvalidURL", "MissingSchema",
    "InvalidSchema", "InvalidHeader", "ChunkedEncodingError", "ContentDecodingError",
    "StreamConsumedError", "InvalidJSONError", "JSONDecodeError",
]


class RequestException(OSError):
    """Base class of every error a request can end with.

    ``response`` is the :class:`Response` involved, if any; ``request`` the
    :class:`PreparedRequest` that was (being) sent.
    """

    def __init__(self, *args, response=None, request=None):
        self.response = response
        if request is None and response is not None:
            request = response.request
        self.request = request
        super().__init__(*args)


class HTTPError(RequestException):
    """The server answered with a 4xx or 5xx status (from ``raise_for_status``)."""


class ConnectionError(RequestException):
    """The connection failed: refused, reset, closed early, DNS, protocol error."""


class ProxyError(ConnectionError):
    """The proxy refused or failed the connection."""


class SSLError(ConnectionError):
    """The TLS handshake or certificate verification failed."""


class Timeout(RequestException):
    """The request timed out (catch this for both connect and read timeouts)."""


class ConnectTimeout(ConnectionError, Timeout):
    """Connecting to the server took longer than the connect timeout."""


class ReadTimeout(Timeout):
    """The server sent nothing for longer than the read timeout."""


class TooManyRedirects(RequestException):
    """More redirects than ``HttpSession.max_redirects`` (30)."""


class InvalidURL(RequestException, ValueError):
    """The URL cannot be requested (no host, bad port, bad characters)."""


class MissingSchema(RequestException, ValueError):
    """The URL has no scheme and there is no base URL to complete it."""


class InvalidSchema(RequestException, ValueError):
    """The URL's scheme is neither http nor https."""


class InvalidHeader(RequestException, ValueError):
    """A header name or value is not valid."""


class ChunkedEncodingError(RequestException):
    """The body ended early or its chunked encoding was broken."""


class ContentDecodingError(RequestException):
    """The body could not be decoded (gzip/deflate)."""


class StreamConsumedError(RequestException, TypeError):
    """The streamed body was already read."""


class InvalidJSONError(RequestException):
    """A body is not the JSON it should be."""


class JSONDecodeError(InvalidJSONError, _json.JSONDecodeError):
    """``Response.json()`` found no JSON in the body.

    Also a ``json.JSONDecodeError`` (a ValueError) with its ``msg``,
    ``doc``, ``pos``, ``lineno`` and ``colno``, so ``except ValueError`` and
    ``except json.JSONDecodeError`` catch it as well as ``except
    RequestException``.
    """

    def __init__(self, msg, doc, pos, response=None):
        _json.JSONDecodeError.__init__(self, msg, doc, pos)
        # One argument, the message: OSError would read two as (errno, strerror).
        InvalidJSONError.__init__(self, *self.args, response=response)

    def __reduce__(self):
        return type(self), (self.msg, self.doc, self.pos)
