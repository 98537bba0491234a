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


class FastHttpMixin:
    """The class attributes and helpers of a user whose ``client`` is a FastHttpSession.

    Shared by :class:`FastHttpLocust` (0.7 style) and the 2.x
    ``FastHttpUser``: set the attributes in a subclass before the user is
    created; :meth:`_new_fast_client` makes the session from them.
    """

    #: Seconds each read or write may wait.
    network_timeout = 60.0
    #: Seconds connecting (TLS handshake included) may take.
    connection_timeout = 60.0
    #: Redirects followed before a TooManyRedirects failure.
    max_redirects = 30
    #: Times a request that failed for network reasons is sent again.
    max_retries = 0
    #: True: do not verify TLS certificates (upstream's default).
    insecure = True
    #: Headers added to every request.
    default_headers = None
    #: Connections busy at once (for greenlets a user spawns itself).
    concurrency = 10
    #: A ConnectionPool shared by every user of the class (None: one per user).
    client_pool = None
    #: A callable returning the ssl.SSLContext to use.
    ssl_context_factory = None
    #: An HTTP proxy for every request (HTTPS through CONNECT).
    proxy_host = None
    proxy_port = None

    def _new_fast_client(self):
        """A FastHttpSession on ``self.host`` with the class's settings."""
        return FastHttpSession(
            self.host, user=self, insecure=self.insecure, client_pool=self.client_pool,
            ssl_context_factory=self.ssl_context_factory, network_timeout=self.network_timeout,
            connection_timeout=self.connection_timeout, max_redirects=self.max_redirects,
            max_retries=self.max_retries, concurrency=self.concurrency,
            headers=self.default_headers, proxy_host=self.proxy_host,
            proxy_port=self.proxy_port)

    def rest(self, method, url, headers=None, **kwargs):
        """``self.client.rest(...)``: a JSON request checked in a ``with`` block."""
        return self.client.rest(method, url, headers=headers, **kwargs)

    def rest_(self, method, url, name=None, **kwargs):
        """``self.client.rest_(...)``: ``rest`` with a cache-busting ``_=`` parameter."""
        return self.client.rest_(method, url, name=name, **kwargs)


class FastHttpLocust(FastHttpMixin, Locust):
    """A 0.7-style user whose ``client`` is a :class:`FastHttpSession` on ``host``.

    Same use as ``HttpLocust`` (``task_set``, ``min_wait``, ``max_wait``);
    the client's settings are the class attributes of :class:`FastHttpMixin`.
    """

    #: The FastHttpSession, created when the user is.
    client = None
    #: Marks the classes the command line checks for an http(s) host.
    needs_http_host = True

    def __init__(self):
        """Create the user and its FastHttpSession; raises LocustError when ``host`` is None."""
        super().__init__()
        if self.host is None:
            raise LocustError(
                "You must specify the base host. Either in the host attribute in "
                "the Locust class, or on the command line using the --host option.")
        self.client = self._new_fast_client()


# The 2.x user class (a ``locust.User`` whose client is a FastHttpSession) is
# wired where the 2.x user API lives: ``class FastHttpUser(FastHttpMixin, User)``
# whose ``__init__`` checks ``host`` and sets ``self.client = self._new_fast_client()``.
