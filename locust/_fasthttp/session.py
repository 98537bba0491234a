"""``FastHttpSession``: the fast client's session, reporting every request to the stats.

Each call of ``request()`` (``get``, ``post``, ...) fires exactly one of
``events.request_success`` / ``events.request_failure``, like
``HttpSession``: ``request_type`` is the method as called (upper-case),
``name`` the ``name=`` argument (or ``request_name``, see
``rename_request``), else the path and query of the first URL;
``response_time`` is in milliseconds from the call to the end of the body
(the body is left out with ``stream=True``); ``response_length`` is the
size of the body as received (before gzip/deflate decoding), or the
Content-Length header when streaming.  4xx/5xx answers are failures with
an HTTPError.  *Safe mode*: a request that fails for network reasons
(refused, reset, timeout, TLS, bad response, too many redirects) does not
raise: it returns a response with status 0 whose ``error`` holds the
exception, and is reported as a failure.

The hot path -- the same request again on a kept-alive connection -- is a
dict look-up for the prepared head bytes, one ``send``, one wait in the hub,
one ``recv_into`` into the connection's buffer and a few ``bytes.find``
(:mod:`.parse`).  Anything less common (a body, per-request headers,
cookies, redirects, streaming) takes a slower path only when it is used.
"""

import re
import time
import traceback
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit

from .. import events
from .._http.exceptions import (
    InvalidSchema,
    InvalidURL,
    MissingSchema,
    RequestException,
    TooManyRedirects,
)
from .._http.structures import CaseInsensitiveDict
from .._version import __version__
from .catch_response import ResponseContextManager, RestResponseContextManager
from .connection import ConnectionPool, StaleConnection
from .cookies import CookieJar
from .parse import BodyReader, read_head
from .request import HeaderSet, encode_body, encode_params, parse_target, prepare, redirect
from .response import REDIRECT_STATI, FastResponse

__all__ = ["FastHttpSession", "DEFAULT_HEADERS"]

_perf_counter = time.perf_counter
#: What a session sends unless its ``headers`` say otherwise.
DEFAULT_HEADERS = {
    "User-Agent": "python-locust-fasthttp/%s" % __version__,
    "Accept-Encoding": "gzip, deflate",
    "Accept": "*/*",
}
#: Prepared requests kept per session; dynamic URLs would grow it forever.
_CACHE_SIZE = 4096
#: Bodies up to this size go out in the same send() as the head.
_JOIN_BODY = 65536
_EMPTY = HeaderSet({})
_DEFAULT_SET = HeaderSet(DEFAULT_HEADERS)
#: Prepared requests of the sessions on the default headers, per (base URL, proxied).
_shared_caches = {}
_HAS_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


class FastHttpSession:
    """A fast HTTP/1.1 client that keeps cookies and connections and reports every request.

    ``base_url`` is prepended to URLs that are only a path; a user and
    password in it become Basic auth for every request.  The other
    arguments have the names of upstream Locust's ``FastHttpSession``:

    - ``insecure`` (True): do not verify TLS certificates;
    - ``network_timeout`` / ``connection_timeout`` (60 s): for each read or
      write, and for connecting (TLS handshake included);
    - ``max_redirects`` (30), ``max_retries`` (0: a failed request is not
      sent again; a kept-alive connection found closed by the server
      before it answered is always replaced once, silently);
    - ``concurrency`` (10): connections busy at once (greenlets sharing the
      session wait beyond that);
    - ``headers``: added to every request (``self.headers``, default
      User-Agent, ``Accept-Encoding: gzip, deflate``, ``Accept: */*``);
    - ``client_pool``: a :class:`ConnectionPool` shared by several sessions;
    - ``ssl_context_factory``: a callable returning the ``ssl.SSLContext``;
    - ``cookiejar``: the jar to use (default: a new one per session);
    - ``request_event`` and ``user`` are kept for upstream's signature
      (requests are reported through ``events.request_success`` /
      ``request_failure``).

    - ``proxy_host`` / ``proxy_port``: an HTTP proxy (plain HTTP requests in
      absolute form, HTTPS through CONNECT);

    Raises TypeError for an unknown keyword argument, ValueError for a
    proxy_host without proxy_port or the other way round.
    """

    def __init__(self, base_url, request_event=None, user=None, insecure=True, client_pool=None,
                 ssl_context_factory=None, *, network_timeout=60.0, connection_timeout=60.0,
                 max_redirects=30, max_retries=0, concurrency=10, headers=None, proxy_host=None,
                 proxy_port=None, cookiejar=None):
        proxy = None
        if proxy_host or proxy_port:
            if not proxy_host or not proxy_port:
                raise ValueError("a proxy needs both proxy_host and proxy_port")
            proxy = (proxy_host, int(proxy_port))
        self.request_event = request_event
        self.user = user
        self._jar = cookiejar
        self.max_redirects = max_redirects
        self.max_retries = max_retries
        #: The connections (shared when ``client_pool`` was given).
        self.pool = client_pool if client_pool is not None else ConnectionPool(
            concurrency, connection_timeout, network_timeout, insecure, ssl_context_factory,
            proxy=proxy)
        #: When set, requests without ``name=`` are reported under it.
        self.request_name = None
        # Until the session's headers differ from the defaults, it shares the
        # defaults' encoded lines and, per base URL, the prepared requests of
        # every other such session (the users of a class prepare "/" once).
        self._headers = None
        self._header_set = _DEFAULT_SET
        self._cache = None
        self.auth_header = None
        self.base_url = base_url
        if headers:
            self.headers.update(headers)

    # -- configuration -------------------------------------------------------

    @property
    def base_url(self):
        """The URL that path-only URLs are appended to (without user:password)."""
        return self._base_url

    @base_url.setter
    def base_url(self, value):
        if value:
            parts = urlsplit(value)
            if parts.username is not None:
                from .request import basic_auth
                self.auth_header = basic_auth(unquote(parts.username),
                                              unquote(parts.password or ""))
                self.headers["Authorization"] = self.auth_header
                value = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
            value = value.rstrip("/")
        self._base_url = value
        self._reset_cache()

    def _reset_cache(self):
        if self._headers is None:
            key = (self._base_url, self.pool.proxy is not None)
            cache = _shared_caches.get(key)
            if cache is None:
                if len(_shared_caches) >= _CACHE_SIZE:
                    _shared_caches.clear()
                cache = _shared_caches[key] = {}
            self._cache = cache
        else:
            self._cache = {}

    @property
    def headers(self):
        """Headers sent with every request (case-insensitive; a None value sends none).

        Defaults: User-Agent, ``Accept-Encoding: gzip, deflate``, ``Accept: */*``.
        """
        if self._headers is None:
            self.headers = DEFAULT_HEADERS
        return self._headers

    @headers.setter
    def headers(self, value):
        self._headers = _SessionHeaders(self._headers_changed, value)
        self._headers_changed()

    def _headers_changed(self):
        # Prepared requests hold the old header lines: forget them.
        self._header_set = None
        self._reset_cache()

    @property
    def cookiejar(self):
        """The session's cookies (requests' jar API: ``jar["name"]``, ``get_dict()``...).

        Made on first use; assigning another jar (or a dict) replaces it.
        """
        jar = self._jar
        if jar is None:
            jar = self._jar = CookieJar()
        return jar

    @cookiejar.setter
    def cookiejar(self, value):
        if not isinstance(value, CookieJar):
            jar = CookieJar()
            if value is not None:
                jar.update(value)
            value = jar
        self._jar = value

    cookies = cookiejar

    def _defaults(self):
        header_set = self._header_set
        if header_set is None:
            header_set = self._header_set = HeaderSet(self._headers.flat()[0])
        return header_set

    def close(self):
        """Close the idle connections (the session stays usable)."""
        self.pool.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    @contextmanager
    def rename_request(self, name):
        """Report the requests made in the ``with`` block under ``name``."""
        self.request_name = name
        try:
            yield
        finally:
            self.request_name = None

    # -- the request methods -----------------------------------------------------

    def get(self, url, **kwargs):
        """Send a GET request; see ``request``."""
        return self.request("GET", url, **kwargs)

    def head(self, url, **kwargs):
        """Send a HEAD request; see ``request``."""
        return self.request("HEAD", url, **kwargs)

    def options(self, url, **kwargs):
        """Send an OPTIONS request; see ``request``."""
        return self.request("OPTIONS", url, **kwargs)

    def delete(self, url, **kwargs):
        """Send a DELETE request; see ``request``."""
        return self.request("DELETE", url, **kwargs)

    def post(self, url, data=None, json=None, **kwargs):
        """Send a POST request with ``data`` or ``json``; see ``request``."""
        return self.request("POST", url, data=data, json=json, **kwargs)

    def put(self, url, data=None, **kwargs):
        """Send a PUT request with ``data``; see ``request``."""
        return self.request("PUT", url, data=data, **kwargs)

    def patch(self, url, data=None, **kwargs):
        """Send a PATCH request with ``data``; see ``request``."""
        return self.request("PATCH", url, data=data, **kwargs)

    def request(self, method, url, name=None, data=None, catch_response=False, stream=False,
                headers=None, auth=None, json=None, allow_redirects=True, context=None,  # noqa: ARG002 - upstream's signature
                params=None, files=None, cookies=None, timeout=None):
        """Send a request, report it to the statistics and return the response.

        ``name`` groups the request under that label in the statistics;
        ``catch_response=True`` returns a :class:`ResponseContextManager`
        to decide in a ``with`` block; ``data`` (str, bytes, a dict or
        pairs for a form, a file), ``json``, ``files`` (multipart),
        ``params`` (query string), ``headers`` (a None value removes a
        session header), ``auth`` (user, password), ``cookies`` (sent with
        this request only), ``timeout`` (seconds, or (connect, read)),
        ``allow_redirects``, ``stream`` (the body is read when asked for;
        its download is not timed).  ``context`` is accepted for upstream's
        signature.

        Network failures do not raise (safe mode, see the module
        docstring).  Raises MissingSchema, InvalidSchema or InvalidURL for
        a URL that cannot be requested, InvalidHeader, ValueError or
        TypeError for bad arguments; nothing is reported then.
        """
        start = _perf_counter()
        if data is None and json is None and params is None and files is None and auth is None:
            # Built once per distinct (method, URL, request headers).
            if headers is None:
                key = (method, url)
            else:
                try:
                    key = (method, url, tuple(headers.items()))
                    hash(key)
                except (AttributeError, TypeError):
                    key = None
            prep = self._cache.get(key)
            if prep is None:
                prep = self._prepare(method, url, headers, None, None, None, None, None, key)
        else:
            prep = self._prepare(method, url, headers, data, json, params, files, auth, None)
        method = prep.method
        try:
            response = self._send(prep, stream, allow_redirects, cookies,
                                  None if timeout is None else _timeouts(timeout))
        except (MissingSchema, InvalidSchema, InvalidURL) as exc:
            if exc.response is None:
                raise
            response = FastResponse.failed(exc, prep)
        except RequestException as exc:
            response = FastResponse.failed(exc, prep)
        response_time = (_perf_counter() - start) * 1000.0

        if name is None:
            name = self.request_name or prep.name
        if stream:
            try:
                length = int(response.headers.get("content-length") or 0)
            except ValueError:
                length = 0
        else:
            body = response._body
            length = len(body) if body else 0

        if catch_response:
            response.__class__ = ResponseContextManager
            response._meta = (method, name, response_time, length)
            return response
        status = response.status_code
        if response.error is None and not 400 <= status < 600:
            events.request_success.fire(request_type=method, name=name,
                                        response_time=response_time, response_length=length)
        else:
            events.request_failure.fire(request_type=method, name=name,
                                        response_time=response_time,
                                        exception=response.error or response._http_error())
        return response

    # -- preparing ---------------------------------------------------------------

    def _prepare(self, method, url, headers, data, json, params, files, auth, key):
        """The Prepared request, kept under ``key`` unless that is None."""
        if not isinstance(url, str):
            url = url.decode("utf-8") if isinstance(url, bytes) else str(url)
        upper = method.upper()
        full = url.lstrip()
        if full[:7].lower() != "http://" and full[:8].lower() != "https://":
            if _HAS_SCHEME.match(full):
                raise InvalidSchema("No connection adapters were found for %r" % (url,))
            if not self._base_url:
                raise MissingSchema("Invalid URL %r: No scheme supplied and no base URL (host) set"
                                    % (url,))
            full = self._base_url + ("" if full.startswith("/") or not full else "/") + full
        target = parse_target(full.partition("#")[0])
        if params is not None:
            query = encode_params(params)
            if query:
                target = parse_target(target.url + ("&" if "?" in target.path else "?") + query)
        body, content_type = encode_body(data, files, json)
        if auth is None and target.auth is not None:
            auth = target.auth
        defaults = self._defaults()
        prep = prepare(upper, target, defaults, headers, body, content_type, auth,
                       self.pool.proxy is not None)
        if key is not None and target.auth is None:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = prep
        return prep

    # -- sending -----------------------------------------------------------------

    def _send(self, prep, stream, allow_redirects, cookies, timeouts):
        """Send ``prep``, following redirects; returns the final response.

        Raises RequestException subclasses (safe mode makes them status 0).
        """
        history = None
        retries = self.max_retries
        while True:
            try:
                response = self._exchange(prep, stream, cookies, timeouts)
            except RequestException:
                if retries <= 0:
                    raise
                retries -= 1
                continue
            if not allow_redirects or response.status_code not in REDIRECT_STATI:
                break
            location = response.headers.get("location")
            if not location:
                break
            if history is None:
                history = []
            history.append(response)
            if len(history) > self.max_redirects:
                raise TooManyRedirects("Exceeded %d redirects." % self.max_redirects,
                                       response=response)
            if response._reader is not None:
                response.content  # noqa: B018 - drain the hop so its connection is reused
            try:
                method, target, body, headers = redirect(response.status_code, location, prep)
            except RequestException as exc:
                exc.response = response
                raise
            name = prep.name
            prep = prepare(method, target, _EMPTY, headers, body, None, None,
                           self.pool.proxy is not None)
            prep.name = name
        if history is not None:
            response.history = history
        return response

    def _exchange(self, prep, stream, cookies, timeouts):
        """One request and its response on a pooled connection; returns a FastResponse."""
        target = prep.target
        pool = self.pool
        data = prep.head
        jar = self._jar
        cookie = None if jar is None else jar.header_for(target.scheme, target.host, target.path)
        if cookies:
            extra = "; ".join("%s=%s" % item for item in
                              (cookies.items() if hasattr(cookies, "items") else cookies))
            cookie = extra if cookie is None else cookie + "; " + extra
        if cookie is not None:
            try:
                cookie_bytes = cookie.encode("latin-1")
            except UnicodeEncodeError:
                cookie_bytes = cookie.encode("utf-8")
            data = prep.head_open + b"Cookie: " + cookie_bytes + b"\r\n\r\n"
        body = prep.body
        if body and len(body) <= _JOIN_BODY:
            data += body
            body = None
        for attempt in (0, 1):
            conn = pool.acquire(target.key, timeouts, attempt)
            try:
                sent = _perf_counter()
                conn.send(data)
                if body:
                    conn.send(body)
                conn.recv_first()
                status, head, lower, length, chunked, will_close = read_head(conn, prep.method)
                break
            except StaleConnection:
                pool.release(conn, False)
                if attempt:
                    raise
            except BaseException:
                pool.release(conn, False)
                raise
        response = FastResponse()
        response._elapsed = _perf_counter() - sent
        response.status_code = status
        response._head = head
        response._prep = prep
        response.url = target.url
        try:
            start = conn.start
            if not chunked and 0 <= length <= conn.end - start and not stream:
                conn.start = start + length
                response._body = bytes(conn.view[start:start + length])
                pool.release(conn, not will_close)
            else:
                conn.detach()  # the body is read later or in pieces: off the shared buffer
                reader = BodyReader(conn, length, chunked, will_close, pool.release)
                if stream:
                    response._reader = reader
                else:
                    response._body = reader.read_all()
        except BaseException:
            pool.release(conn, False)
            raise
        if b"\nset-cookie:" in lower:
            response._set_cookies = self.cookiejar.extract(
                target.host, target.path, response.headers.getlist("set-cookie"))
        return response

    # -- helpers of upstream ---------------------------------------------------

    def iter_lines(self, url, method="GET", **kwargs):
        """Stream a response and yield its lines (str); raises for a failed request."""
        response = self.request(method, url, stream=True, **kwargs)
        response.raise_for_status()
        yield from response.iter_lines(decode_unicode=True)

    @contextmanager
    def rest(self, method, url, headers=None, **kwargs):
        """A ``catch_response`` request for JSON APIs (upstream's ``rest``)::

            with self.client.rest("POST", "/api", json={"x": 1}) as resp:
                assert resp.js["ok"], "not ok"

        Content-Type and Accept default to application/json; the body is
        parsed into ``resp.js`` (a failure when it is not JSON); an
        AssertionError or any other exception in the block marks the
        request failed (with the message) instead of leaving the task.
        """
        headers = dict(headers) if headers else {}
        lower = {name.lower() for name in headers}
        if "content-type" not in lower:
            headers["Content-Type"] = "application/json"
        if "accept" not in lower:
            headers["Accept"] = "application/json"
        with self.request(method, url, catch_response=True, headers=headers, **kwargs) as resp:
            resp.__class__ = RestResponseContextManager
            if resp.content is None:
                resp.failure(str(resp.error))
            elif resp.content:
                try:
                    resp.js = resp.json()
                except ValueError as exc:
                    resp.failure("Could not parse response as JSON. %s, response code %s, "
                                 "error %s" % (resp.text[:250], resp.status_code, exc))
            try:
                yield resp
            except AssertionError as exc:
                message = str(exc.args[0]) if exc.args else ""
                if not message:
                    resp.failure("Assertion failed")
                elif message.endswith(","):
                    resp.failure("%s, response was %s" % (message[:-1], resp.text[:200]))
                else:
                    resp.failure(message)
            except Exception as exc:
                frames = traceback.extract_tb(exc.__traceback__)[1:]
                where = ", ".join("%s:%s" % (frame.filename, frame.lineno) for frame in frames)
                resp.failure("%s: %s at %s. Response was %s"
                             % (type(exc).__name__, exc, where, resp.text[:200]))

    @contextmanager
    def rest_(self, method, url, name=None, **kwargs):
        """``rest`` with a ``_=<milliseconds>`` query parameter against caches.

        Reported under ``url + "?_=..."`` unless ``name`` is given.
        """
        separator = "&" if "?" in url else "?"
        if name is None:
            name = url + separator + "_=..."
        with self.rest(method, "%s%s_=%d" % (url, separator, int(time.time() * 1000)),
                       name=name, **kwargs) as resp:
            yield resp


class _SessionHeaders(CaseInsensitiveDict):
    """A session's headers: every change tells the session (its prepared requests go)."""

    __slots__ = ("_changed",)

    def __init__(self, changed, data=None):
        self._changed = None
        super().__init__(data)
        self._changed = changed

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        if self._changed is not None:
            self._changed()

    def __delitem__(self, key):
        super().__delitem__(key)
        if self._changed is not None:
            self._changed()


def _timeouts(timeout):
    """(connect, read) from a request's ``timeout`` argument."""
    if isinstance(timeout, tuple):
        try:
            connect, read = timeout
        except ValueError:
            raise ValueError("Invalid timeout %r. Pass a (connect, read) tuple or a single "
                             "float to set both timeouts to the same value." % (timeout,)) from None
        return connect, read
    return timeout, timeout
