"""``HttpSession``: the HTTP client of ``HttpLocust``, reporting every request to the stats.

It behaves like a ``requests.Session`` (the API Locust 0.7 exposed) but is
built on urllib3 over the engine's cooperative sockets, not on requests
and not on the global monkey patch; the machinery lives in ``locust._http``
(this module is its public face).  Each call of ``request()`` (and of
``get``, ``post``, ...) fires exactly one of the events ``request_success``
or ``request_failure`` (a session given a 2.x ``request_event`` of its own
fires that instead, see :class:`HttpSession`):

- ``request_type`` is the method as called, upper-case (a POST redirected
  to a GET is still recorded as "POST");
- ``name`` is the ``name=`` argument or the path and query of the first URL
  of the redirect chain (``/blog?id=3``);
- ``response_time`` is in milliseconds (float), from the call to the end of
  the body of the last redirect hop (the body is left out with ``stream=True``);
- ``response_length`` is ``len(content)``, or the Content-Length header when
  streaming.

4xx/5xx answers are failures (the exception is the HTTPError that
``raise_for_status`` raises).  *Safe mode*: a request that fails for network
reasons (refused, reset, timeout, TLS, protocol error, too many redirects)
does not raise: it returns a response with ``status_code`` 0 and ``content``
None whose ``raise_for_status()`` raises the error, and is reported as a
failure.  A URL that cannot be requested at all (no scheme, a scheme other
than http/https, no host) raises at once and reports nothing.

Redirects are followed by the session, not by urllib3: that gives ``history``, cookies
per hop, requests' method rewriting (POST -> GET on 301/302/303), removal of
the Authorization header when the host changes, and one timing for the
whole chain.

The request path is the hot path of a load test, so the parsing of a URL is
cached per URL string, session headers are flattened once per change, and
the cookie jar is only consulted when it holds cookies or a response sets one.

Differences from requests, on purpose: no environment proxies or .netrc
(``trust_env``); proxies must be ``http://`` (HTTPS targets go through
CONNECT); a file-like ``data`` is read into memory (generators are streamed
chunked); ``apparent_encoding`` is a UTF-8-or-Latin-1 guess (no chardet);
a redirect whose Location cannot be followed is a status 0 failure rather
than an exception; only "response" hooks; no
``mount``/``send``/``prepare_request``.  Statistics names are the URL as
given, not re-quoted.  ``catch_response``: the first ``success()`` or
``failure()`` decides, as in Locust 0.7 (in 2.x the last one does).
"""

import time
from contextlib import contextmanager
from http.cookiejar import CookieJar
from urllib.parse import unquote, urlsplit

from . import events
from ._http.catch_response import ResponseContextManager, own_request_event, report
from ._http.cookies import CookieConflictError, RequestsCookieJar, cookiejar_from_dict
from ._http.exceptions import (
    ChunkedEncodingError,
    ConnectionError,
    ConnectTimeout,
    ContentDecodingError,
    HTTPError,
    InvalidHeader,
    InvalidJSONError,
    InvalidSchema,
    InvalidURL,
    JSONDecodeError,
    MissingSchema,
    ProxyError,
    ReadTimeout,
    RequestException,
    SSLError,
    Timeout,
    TooManyRedirects,
)
from ._http.response import PreparedRequest, Response
from ._http.session import DEFAULT_HEADERS, SessionCore
from ._http.structures import CaseInsensitiveDict
from .engine import GreenletExit

__all__ = [
    "HttpSession", "ResponseContextManager", "Response", "PreparedRequest",
    "RequestsCookieJar", "CookieConflictError", "CaseInsensitiveDict",
    "RequestException", "HTTPError", "ConnectionError", "ProxyError", "SSLError",
    "Timeout", "ConnectTimeout", "ReadTimeout", "TooManyRedirects", "InvalidURL",
    "MissingSchema", "InvalidSchema", "InvalidHeader", "ChunkedEncodingError",
    "ContentDecodingError", "InvalidJSONError", "JSONDecodeError",
]

_perf_counter = time.perf_counter
_GLOBAL_REQUEST = events.request
_time = time.time


class HttpSession(SessionCore):
    """An HTTP client that keeps cookies and connections and reports every request.

    ``base_url`` is prepended to URLs that are only a path (``"/about"``);
    a URL starting with ``http://`` or ``https://`` is used as given. A user
    and password in ``base_url`` become HTTP Basic auth. Keyword arguments
    set the attributes below (``headers``, ``cookies``, ``auth``, ``verify``,
    ``cert``, ``proxies``, ``params``, ``stream``, ``max_redirects``).

    Locust 2.x's signature works too: ``HttpSession(base_url, request_event,
    user)``. ``request_event`` is where requests are reported: None or the
    global ``events.request`` (the default) fires the 0.7 events
    ``request_success``/``request_failure`` (``locust.events`` relays them
    to ``events.request``); another ``EventHook`` is fired instead, once per
    request, with 2.x's keyword arguments (``request_type``, ``name``,
    ``response_time``, ``response_length``, ``response``, ``context``,
    ``exception``, ``start_time``, ``url``). ``user`` is kept as ``user``;
    a ``context()`` method on it supplies each request's default context.

    Attributes, as on ``requests.Session``: ``headers`` (sent with every
    request; case-insensitive), ``cookies`` (a :class:`RequestsCookieJar`,
    an ``http.cookiejar.CookieJar`` that keeps cookies like a browser does
    and reads like a dict: ``cookies["csrftoken"]``), ``auth`` (a (user,
    password) tuple or a callable), ``verify``, ``cert``, ``proxies``,
    ``params``, ``stream``, ``max_redirects`` (30).

    Raises TypeError for an unknown keyword argument or a fourth positional one.
    """

    #: The user that owns the session (2.x), or None.
    user = None
    #: The name requests are reported under inside ``rename_request()``, or None.
    request_name = None
    # The hook to fire instead of the 0.7 pair (see own_request_event). Class
    # defaults keep an idle user's session as small as before.
    _request_event = None
    _request_event_given = None

    def __init__(self, base_url, request_event=None, user=None, *args, **kwargs):
        if args:
            raise TypeError("HttpSession() takes base_url, request_event, user and keyword "
                            "arguments only")
        super().__init__()
        #: Default auth: a (user, password) tuple for Basic auth, or a callable
        #: that receives the PreparedRequest and returns it.
        self.auth = None
        #: True (system CAs), False (no verification) or a CA bundle path.
        self.verify = True
        #: Client certificate: a path or a (cert, key) tuple.
        self.cert = None
        #: {"http": "http://proxy:3128", "https": ..., "all": ...}.
        self.proxies = {}
        #: Query parameters added to every request.
        self.params = {}
        #: Default for the ``stream`` argument.
        self.stream = False
        #: Redirects followed before TooManyRedirects.
        self.max_redirects = 30
        #: {"response": [callables]}: each gets every response and may replace it.
        self.hooks = {"response": []}
        self.base_url = base_url
        if request_event is not None:
            self.request_event = request_event
        if user is not None:
            self.user = user
        for key, value in kwargs.items():
            if key not in ("headers", "cookies", "auth", "verify", "cert", "proxies",
                           "params", "stream", "max_redirects", "hooks"):
                raise TypeError("HttpSession() got an unexpected keyword argument %r" % key)
            if key == "headers":
                self.headers.update(value)
            else:
                setattr(self, key, value)

    # -- configuration -------------------------------------------------------

    @property
    def base_url(self):
        """The URL that path-only URLs are appended to (without user:password)."""
        return self._base_url

    @base_url.setter
    def base_url(self, value):
        self._targets.clear()
        if value:
            parts = urlsplit(value)
            if parts.username and parts.password:
                # Credentials become Basic auth; the URL keeps only the host.
                self.auth = (unquote(parts.username), unquote(parts.password))
                netloc = parts.netloc.rpartition("@")[2]
                value = parts._replace(netloc=netloc).geturl()
        self._base_url = value

    @property
    def request_event(self):
        """Where requests are reported (see the class docstring); None: the 0.7 events."""
        return self._request_event_given

    @request_event.setter
    def request_event(self, hook):
        self._request_event_given = hook
        # Kept as given: whether the global events.request has listeners is
        # looked at per request (a listener may be added later).
        self._request_event = hook

    @property
    def headers(self):
        """Headers sent with every request (a case-insensitive dict).

        Defaults: User-Agent, ``Accept-Encoding: gzip, deflate``,
        ``Accept: */*``, ``Connection: keep-alive``. A None value in a
        request's ``headers`` removes one for that request.
        """
        headers = self._headers
        if headers is None:
            headers = self._headers = DEFAULT_HEADERS.copy()
        return headers

    @headers.setter
    def headers(self, value):
        self._headers = value if isinstance(value, CaseInsensitiveDict) \
            else CaseInsensitiveDict(value)

    @property
    def cookies(self):
        """The session's cookies: a :class:`RequestsCookieJar` (see ``locust._http.cookies``).

        Assigning a dict fills a new jar with it; any ``http.cookiejar.CookieJar``
        may be assigned as is.
        """
        jar = self._jar
        if jar is None:
            jar = self._jar = RequestsCookieJar()
        return jar

    @cookies.setter
    def cookies(self, value):
        if not isinstance(value, CookieJar):
            value = cookiejar_from_dict(value or {})
        self._jar = value

    @contextmanager
    def rename_request(self, name):
        """Report the requests made inside the ``with`` block under ``name`` (as in 2.x).

        A request's own ``name=`` argument still wins; blocks may nest.
        """
        outer = self.request_name
        self.request_name = name
        try:
            yield
        finally:
            self.request_name = outer

    def close(self):
        """Close every pooled connection (the session stays usable)."""
        self._pools.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- the request methods ---------------------------------------------------

    def get(self, url, **kwargs):
        """Send a GET request; returns a Response (see ``request``)."""
        return self.request("GET", url, **kwargs)

    def options(self, url, **kwargs):
        """Send an OPTIONS request; returns a Response (see ``request``)."""
        return self.request("OPTIONS", url, **kwargs)

    def head(self, url, **kwargs):
        """Send a HEAD request (redirects not followed by default); see ``request``."""
        kwargs.setdefault("allow_redirects", False)
        return self.request("HEAD", url, **kwargs)

    def post(self, url, data=None, json=None, **kwargs):
        """Send a POST request with ``data`` or ``json``; see ``request``."""
        return self.request("POST", url, data=data, json=json, **kwargs)

    def put(self, url, data=None, **kwargs):
        """Send a PUT request with ``data``; see ``request``."""
        return self.request("PUT", url, data=data, **kwargs)

    def patch(self, url, data=None, **kwargs):
        """Send a PATCH request with ``data``; see ``request``."""
        return self.request("PATCH", url, data=data, **kwargs)

    def delete(self, url, **kwargs):
        """Send a DELETE request; returns a Response (see ``request``)."""
        return self.request("DELETE", url, **kwargs)

    def request(self, method, url, name=None, catch_response=False, params=None, data=None,
                headers=None, cookies=None, files=None, auth=None, timeout=None,
                allow_redirects=True, proxies=None, hooks=None, stream=None, verify=None,
                cert=None, json=None, context=None):
        """Send a request, report it to Locust's statistics and return the Response.

        ``name`` groups the request under that label in the statistics.
        ``catch_response=True`` returns a :class:`ResponseContextManager` to
        use in a ``with`` block: nothing is reported until the block decides
        (``success()``/``failure()``) or exits. ``context`` (2.x) is a dict
        passed to a 2.x request event (see the class docstring), merged over
        the user's ``context()``. The other arguments are those
        of ``requests.Session.request``: ``params``, ``data``, ``json``,
        ``headers``, ``cookies``, ``files``, ``auth``, ``timeout`` (seconds or
        (connect, read)), ``allow_redirects``, ``proxies`` (http:// proxies),
        ``hooks``, ``stream``, ``verify``, ``cert``.

        Network failures do not raise (safe mode: status_code 0, see the
        module docstring). Raises MissingSchema, InvalidSchema or InvalidURL
        for a URL that cannot be requested, OSError for a CA bundle or client
        certificate that cannot be loaded, ValueError/TypeError for bad
        arguments; nothing is reported then.
        """
        method = method.upper()
        start = _perf_counter()
        prep, target, extra = self._prepare(method, url, params, data, headers, cookies,
                                            files, auth, json)
        if stream is None:
            stream = self.stream
        try:
            response = self._send(prep, target, extra, timeout, allow_redirects, proxies,
                                  hooks, stream, verify, cert)
        except (MissingSchema, InvalidSchema, InvalidURL) as exc:
            if exc.response is None:
                raise  # the caller's URL or proxy; a bad Location is a failure
            response = Response.failed(exc, prep)
        except RequestException as exc:
            response = Response.failed(exc, prep)
        except GreenletExit as exc:
            # Killed on the wire (a stop whose grace ran out): the target may
            # have this request, so it is reported, as a failure, then the kill goes on.
            self._report_killed(method, name, target, extra, start, exc, context)
            raise
        response_time = (_perf_counter() - start) * 1000.0

        if name is None:
            name = self.request_name or (
                target.path if extra is None or extra.path is None else extra.path)
        if stream:
            try:
                length = int(response.headers.get("content-length") or 0)
            except ValueError:
                length = 0
        else:
            content = response._content
            length = len(content) if content else 0

        event = self._request_event
        if event is not None and event is _GLOBAL_REQUEST and not event._handlers:
            event = None  # nobody listens to the 2.x hook: the 0.7 pair reports the same
        if catch_response or event is not None:
            return self._report_meta(method, name, response_time, length, response, context,
                                     start, catch_response, event)
        # The 0.7 events, inline: this is the path of every plain request.
        code = response.status_code
        if response.error is None and not 400 <= code < 600:
            events.request_success.fire(request_type=method, name=name,
                                        response_time=response_time, response_length=length)
        else:
            events.request_failure.fire(request_type=method, name=name,
                                        response_time=response_time,
                                        exception=response.error
                                        or response._http_error())
        return response

    def _report_killed(self, method, name, target, extra, start, exc, context):
        """Report a request cut by a kill (``exc``) as a failure, on whichever event reports."""
        if name is None:
            name = self.request_name or (
                target.path if extra is None or extra.path is None else extra.path)
        response_time = (_perf_counter() - start) * 1000.0
        event = own_request_event(self._request_event)
        if event is None:
            events.request_failure.fire(request_type=method, name=name,
                                        response_time=response_time, exception=exc)
            return
        user_context = getattr(self.user, "context", None)
        if callable(user_context):
            context = {**user_context(), **(context or {})}
        event.fire(request_type=method, name=name, response_time=response_time,
                   response_length=0, response=None, context=context or {},
                   exception=exc, start_time=_time() - (_perf_counter() - start),
                   url=target.origin + target.path)

    def _report_meta(self, method, name, response_time, length, response, context, start,
                     catch_response, event):
        """Report with a request_meta (2.x's request event), or defer it to the ``with`` block.

        Returns the response, or the ResponseContextManager for ``catch_response``.
        """
        user_context = getattr(self.user, "context", None)
        if callable(user_context):
            context = {**user_context(), **(context or {})}
        elif context is None:
            context = {}
        meta = {"request_type": method, "name": name, "response_time": response_time,
                "response_length": length, "response": response, "context": context,
                "exception": None, "start_time": _time() - (_perf_counter() - start),
                "url": response.url}
        if catch_response:
            return ResponseContextManager(response, event, meta)
        if not response.ok:
            meta["exception"] = response.error or response._http_error()
        report(meta, event)
        return response
