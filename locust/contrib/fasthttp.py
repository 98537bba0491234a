"""The fast HTTP client: ``FastHttpSession``, and ``FastHttpLocust`` whose client it is.

Import it where Locust 2.x users know it::

    from locust.contrib.fasthttp import FastHttpLocust, FastHttpSession

``FastHttpSession`` is an HTTP/1.1 client of our own on the engine's
cooperative sockets (no urllib3, no http.client in its request path): it
keeps connections alive per (scheme, host, port), builds the bytes of a
request once per distinct request and parses response heads with a few
``bytes`` operations.  It reports every request like ``HttpSession``
(``events.request_success`` / ``request_failure``; network failures are
status 0 responses, never exceptions out of a task).  Its differences from
``HttpSession`` are listed in the README.

``FastHttpLocust`` is the 0.7-style user class (``task_set``,
``min_wait``/``max_wait``) with a FastHttpSession on ``host`` as its
``client``.  The settings upstream's ``FastHttpUser`` reads from class
attributes are read the same way (``network_timeout``,
``connection_timeout``, ``max_redirects``, ``max_retries``, ``insecure``,
``default_headers``, ``concurrency``, ``client_pool``,
``ssl_context_factory``, ``proxy_host``, ``proxy_port``), and ``self.rest(...)`` / ``self.rest_(...)`` are
there too (also as ``self.client.rest``).
"""

from .._fasthttp.catch_response import ResponseContextManager, RestResponseContextManager
from .._fasthttp.connection import ConnectionPool
from .._fasthttp.cookies import CookieJar
from .._fasthttp.mixin import FastHttpMixin
from .._fasthttp.response import FastResponse, Headers
from .._fasthttp.session import FastHttpSession
from .._http.exceptions import (
    ChunkedEncodingError,
    ConnectionError,
    ConnectTimeout,
    HTTPError,
    ProxyError,
    ReadTimeout,
    RequestException,
    SSLError,
    Timeout,
    TooManyRedirects,
)
from ..core import Locust
from ..exception import LocustError

__all__ = [
    "FastHttpSession", "FastHttpLocust", "FastHttpMixin", "FastResponse",
    "ResponseContextManager", "RestResponseContextManager", "Headers", "CookieJar",
    "ConnectionPool", "RequestException", "HTTPError", "ConnectionError", "ConnectTimeout",
    "ChunkedEncodingError", "ProxyError",
    "ReadTimeout", "SSLError", "Timeout", "TooManyRedirects",
]




class FastHttpLocust(FastHttpMixin, Locust):
    """A 0.7-style user whose ``client`` is a :class:`FastHttpSession` on ``host``.

    Same use as ``HttpLocust`` (``task_set``, ``min_wait``, ``max_wait``);
    the client's settings are the class attributes of :class:`FastHttpMixin`.
    """

    #: The FastHttpSession, created when the user is.
    client = None
    #: Marks the classes the command line checks for an http(s) host.
    _needs_http_host = True

    def __init__(self):
        """Create the user and its FastHttpSession; raises LocustError when ``host`` is None."""
        super().__init__()
        if self.host is None:
            raise LocustError(
                "You must specify the base host. Either in the host attribute in "
                "the Locust class, or on the command line using the --host option.")
        self.client = self._new_fast_client()


def __getattr__(name):
    # The 2.x user class lives with the 2.x user API; upstream users import it from here too.
    if name == "FastHttpUser":
        from ..user.users import FastHttpUser
        return FastHttpUser
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
