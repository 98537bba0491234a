"""``HttpSession``: the HTTP client of ``HttpLocust``, reporting every request to the stats.

It behaves like a ``requests.Session`` (the API Locust 0.7 exposed) but is
built on urllib3 over the engine's cooperative sockets (see ``_http``), not
on requests and not on the global monkey patch.  Each call of ``request()``
(and of ``get``, ``post``, ...) fires exactly one of the events
``request_success`` or ``request_failure``:

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

Redirects are followed here, not by urllib3: that gives ``history``, cookies
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
``json()`` raises ``json.JSONDecodeError``; a redirect whose Location cannot
be followed is a status 0 failure rather than an exception; only "response"
hooks; no ``mount``/``send``/``prepare_request``.  Statistics names are the
URL as given, not re-quoted.
"""

import re
import time
from http.cookiejar import CookieJar
from urllib.parse import unquote, urlsplit

from urllib3.exceptions import HTTPError as _U3HTTPError
from urllib3.util.timeout import Timeout as _U3Timeout

from . import events
from ._http import insecure
from ._http.catch_response import ResponseContextManager
from ._http.pool import NO_RETRIES, NO_TIMEOUT, Pools
from ._http.request import (
    CaseInsensitiveDict,
    CookieRequest,
    CookieResponse,
    basic_auth_header,
    create_cookie,
    encode_body,
    encode_params,
    map_error,
    merge_headers,
    parse_target,
    redirect_request,
)
from ._http.response import (
    REDIRECT_STATI,
    ChunkedEncodingError,
    ConnectionError,
    ConnectTimeout,
    ContentDecodingError,
    HTTPError,
    InvalidHeader,
    InvalidSchema,
    InvalidURL,
    MissingSchema,
    PreparedRequest,
    ProxyError,
    ReadTimeout,
    RequestException,
    Response,
    SSLError,
    Timeout,
    TooManyRedirects,
)
from ._version import __version__
from .engine import GreenletExit

__all__ = [
    "HttpSession", "ResponseContextManager", "Response", "PreparedRequest",
    "RequestException", "HTTPError", "ConnectionError", "ProxyError", "SSLError",
    "Timeout", "ConnectTimeout", "ReadTimeout", "TooManyRedirects", "InvalidURL",
    "MissingSchema", "InvalidSchema", "InvalidHeader", "ChunkedEncodingError",
    "ContentDecodingError",
]

_perf_counter = time.perf_counter
insecure.warn_once_per_host()
#: What every session sends until it changes its own ``headers``.
_DEFAULT_HEADERS = CaseInsensitiveDict({
    "User-Agent": "python-locust/%s" % __version__,
    "Accept-Encoding": "gzip, deflate",
    "Accept": "*/*",
    "Connection": "keep-alive",
})
_ABSOLUTE_HTTP = re.compile(r"^https?://", re.I)
_HAS_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
#: Parsed URLs kept per session; dynamic URLs (``/item/%d``) would grow it
#: forever, so it is emptied when it reaches this size.
_TARGET_CACHE_SIZE = 4096


class HttpSession:
    """An HTTP client that keeps cookies and connections and reports every request.

    ``base_url`` is prepended to URLs that are only a path (``"/about"``);
    a URL starting with ``http://`` or ``https://`` is used as given. A user
    and password in ``base_url`` become HTTP Basic auth. Keyword arguments
    set the attributes below (``headers``, ``cookies``, ``auth``, ``verify``,
    ``cert``, ``proxies``, ``params``, ``stream``, ``max_redirects``).

    Attributes, as on ``requests.Session``: ``headers`` (sent with every
    request; case-insensitive), ``cookies`` (an ``http.cookiejar.CookieJar``
    that keeps cookies like a browser does), ``auth`` (a (user, password)
    tuple or a callable), ``verify``, ``cert``, ``proxies``, ``params``,
    ``stream``, ``max_redirects`` (30).

    Raises TypeError for an unknown keyword argument.
    """

    def __init__(self, base_url, *args, **kwargs):
        if args:
            raise TypeError("HttpSession() takes base_url and keyword arguments only")
        self._targets = {}
        self._pools = Pools()
        self._timeout_cache = (None, NO_TIMEOUT)
        self._auth_cache = (None, None)
        # The headers and the cookie jar are made at first use (see the
        # properties): until then a session sends the shared default headers
        # and has no cookies, and an idle user costs ~1.4 KB less.
        self._headers = None
        self._jar = None
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
    def headers(self):
        """Headers sent with every request (a case-insensitive dict).

        Defaults: User-Agent, ``Accept-Encoding: gzip, deflate``,
        ``Accept: */*``, ``Connection: keep-alive``. A None value in a
        request's ``headers`` removes one for that request.
        """
        headers = self._headers
        if headers is None:
            headers = self._headers = _DEFAULT_HEADERS.copy()
        return headers

    @headers.setter
    def headers(self, value):
        self._headers = value if isinstance(value, CaseInsensitiveDict) \
            else CaseInsensitiveDict(value)

    @property
    def cookies(self):
        """The session's CookieJar (assigning a dict fills a new jar with it)."""
        jar = self._jar
        if jar is None:
            jar = self._jar = CookieJar()
        return jar

    @cookies.setter
    def cookies(self, value):
        if not isinstance(value, CookieJar):
            jar = CookieJar()
            for name, val in (value or {}).items():
                jar.set_cookie(create_cookie(name, val))
            value = jar
        self._jar = value

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
                cert=None, json=None):
        """Send a request, report it to Locust's statistics and return the Response.

        ``name`` groups the request under that label in the statistics.
        ``catch_response=True`` returns a :class:`ResponseContextManager` to
        use in a ``with`` block: nothing is reported until the block decides
        (``success()``/``failure()``) or exits. The other arguments are those
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
            # have this request, so it is reported, as a failure.
            if name is None:
                name = target.path if extra is None or extra.path is None else extra.path
            events.request_failure.fire(request_type=method, name=name,
                                        response_time=(_perf_counter() - start) * 1000.0,
                                        exception=exc)
            raise
        response_time = (_perf_counter() - start) * 1000.0

        if name is None:
            name = target.path if extra is None or extra.path is None else extra.path
        if stream:
            try:
                length = int(response.headers.get("content-length") or 0)
            except ValueError:
                length = 0
        else:
            content = response._content
            length = len(content) if content else 0

        if catch_response:
            response.__class__ = ResponseContextManager
            response._meta = (method, name, response_time, length)
            return response
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

    # -- preparing ---------------------------------------------------------------

    def _target(self, key):
        """The parsed form of URL ``key`` joined to base_url (cached per string)."""
        url = key
        if not isinstance(url, str):
            url = url.decode("utf-8") if isinstance(url, bytes) else str(url)
        url = url.lstrip()
        if _ABSOLUTE_HTTP.match(url):
            full = url
        elif _HAS_SCHEME.match(url) and "://" in url:
            raise InvalidSchema("No connection adapters were found for %r" % (url,))
        elif not self._base_url:
            raise MissingSchema("Invalid URL %r: No scheme supplied and no base URL (host) set"
                                % (url,))
        else:
            base = self._base_url
            if base.endswith("/") and url.startswith("/"):
                base = base[:-1]
            full = base + url
        target = parse_target(full.partition("#")[0])
        if len(self._targets) >= _TARGET_CACHE_SIZE:
            self._targets.clear()
        self._targets[key] = target
        return target

    def _prepare(self, method, url, params, data, headers, cookies, files, auth, json):
        """(PreparedRequest, target, extra state or None) for the first hop."""
        target = self._targets.get(url)
        if target is None:
            target = self._target(url)
        extra = None
        path = target.path
        session_params = self.params
        if params or session_params:
            if session_params:
                merged = dict(session_params.items() if hasattr(session_params, "items")
                              else session_params)
                if params:
                    if isinstance(params, (str, bytes)):
                        query = encode_params(merged) + "&" + encode_params(params)
                    else:
                        merged.update(params.items() if hasattr(params, "items") else params)
                        query = encode_params(merged)
                else:
                    query = encode_params(merged)
            else:
                query = encode_params(params)
            if query:
                path = path + ("&" if "?" in path else "?") + query
            extra = _Extra(path)

        session_headers = self._headers
        plain, lower = (_DEFAULT_HEADERS if session_headers is None else session_headers).flat()
        if headers:
            plain, lower = merge_headers(plain, lower, headers)
        body = None
        if data or files or json is not None:
            body, ctype = encode_body(data, files, json)
            if ctype is not None and "content-type" not in lower:
                if not headers:
                    plain, lower = plain.copy(), lower.copy()
                plain["Content-Type"] = ctype
                lower["content-type"] = "Content-Type"
                headers = True  # plain is our own copy from here on

        if auth is None:
            auth = self.auth
            if auth is None:
                auth = target.auth
        prep = PreparedRequest(method, target.origin + path, plain, body)
        if auth is not None:
            if isinstance(auth, (tuple, list)) and len(auth) == 2:
                key = tuple(auth)
                cached = self._auth_cache
                if cached[0] == key:
                    value = cached[1]
                else:
                    value = basic_auth_header(*key)
                    self._auth_cache = (key, value)
                if not headers:
                    plain, lower = plain.copy(), lower.copy()
                old = lower.pop("authorization", None)
                if old is not None:
                    del plain[old]
                plain["Authorization"] = value
                lower["authorization"] = "Authorization"
                prep._headers = plain
            elif callable(auth):
                prep = auth(prep)
                if not isinstance(prep, PreparedRequest):
                    raise TypeError("an auth callable must return the request it was given")
                plain = dict(prep.headers.items())
                lower = {k.lower(): k for k in plain}
                prep._headers = plain
                if prep.url != target.origin + path:
                    target = parse_target(prep.url)
                    extra = extra or _Extra(None)
                    extra.path = path = target.path
            else:
                raise TypeError("auth must be a (user, password) tuple or a callable, not %r"
                                % type(auth).__name__)

        if cookies is not None or "cookie" in lower:
            if extra is None:
                extra = _Extra(None)
            extra.has_cookie_header = "cookie" in lower
            if cookies is not None:
                # Per-request cookies are sent with the session's but not
                # kept in the session (as in requests).
                jar = CookieJar()
                for cookie in self._jar or ():
                    jar.set_cookie(cookie)
                if isinstance(cookies, CookieJar):
                    for cookie in cookies:
                        jar.set_cookie(cookie)
                else:
                    for cname, cvalue in cookies.items():
                        jar.set_cookie(create_cookie(cname, cvalue))
                extra.jar = jar
        return prep, target, extra

    def _timeout(self, timeout):
        if timeout is None:
            return NO_TIMEOUT
        cached = self._timeout_cache
        if cached[0] == timeout:
            return cached[1]
        if isinstance(timeout, _U3Timeout):
            obj = timeout
        elif isinstance(timeout, tuple):
            try:
                connect, read = timeout
            except ValueError:
                raise ValueError("Invalid timeout %r. Pass a (connect, read) tuple or a single "
                                 "float to set both timeouts to the same value." % (timeout,)) \
                    from None
            obj = _U3Timeout(connect=connect, read=read)
        else:
            obj = _U3Timeout(connect=timeout, read=timeout)
        self._timeout_cache = (timeout, obj)
        return obj

    # -- sending -----------------------------------------------------------------

    def _send(self, prep, target, extra, timeout, allow_redirects, proxies, hooks, stream,
              verify, cert):
        """Send ``prep``, following redirects; returns the final Response.

        Raises RequestException subclasses (safe mode turns them into a
        status 0 response).
        """
        timeout = self._timeout(timeout)
        if verify is None:
            verify = self.verify
        if cert is None:
            cert = self.cert
        proxies = dict(self.proxies, **proxies) if proxies else self.proxies
        hook_list = self.hooks.get("response") if self.hooks else None
        if hooks:
            request_hooks = hooks.get("response") or []
            if callable(request_hooks):
                request_hooks = [request_hooks]
            hook_list = list(hook_list or ()) + list(request_hooks)
        # None while the session has no jar: _hop then uses the session's,
        # which a Set-Cookie on one hop may have created for the next.
        jar = None if extra is None else extra.jar
        history = None
        while True:
            response = self._hop(prep, target, extra, jar, timeout, stream, verify, cert,
                                 proxies.get(target.scheme) or proxies.get("all")
                                 if proxies else None)
            if hook_list:
                for hook in hook_list:
                    result = hook(response, timeout=timeout, verify=verify, proxies=proxies,
                                  stream=stream, cert=cert)
                    if result is not None:
                        response = result
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
            if stream:
                response.content  # noqa: B018 - drain the hop so its connection is reused
            prep, target, extra = self._redirect(response, location, prep, target, extra)
        if history is not None:
            response.history = history
        return response

    def _hop(self, prep, target, extra, jar, timeout, stream, verify, cert, proxy):
        """One request/response exchange; returns a Response."""
        headers = prep._headers
        if jar is None:
            jar = self._jar
        if jar is not None and jar._cookies:
            creq = CookieRequest(prep.url, target.scheme, target.netloc,
                                 extra is not None and extra.has_cookie_header)
            jar.add_cookie_header(creq)
            if creq.cookie_header:
                headers = dict(headers)
                headers["Cookie"] = creq.cookie_header
                prep._headers = headers
        path = target.path if extra is None or extra.path is None else extra.path
        # Outside the try: a CA bundle or proxy that cannot be used is the
        # caller's mistake and must raise, not become a status 0 response.
        pool, absolute = self._pools.get(target, verify, cert, proxy, basic_auth_header)
        try:
            start = _perf_counter()
            raw = pool.urlopen(prep.method, prep.url if absolute else path, prep.body, headers,
                               retries=NO_RETRIES, redirect=False, assert_same_host=False,
                               timeout=timeout, preload_content=False, decode_content=True)
            elapsed = _perf_counter() - start
            if not stream:
                content = raw.read(decode_content=True, cache_content=True)
        except (_U3HTTPError, OSError) as exc:
            if isinstance(exc, RequestException):
                raise
            raise map_error(exc, prep) from exc
        response = Response.__new__(Response)
        response.status_code = raw.status
        response.reason = raw.reason
        response.headers = raw.headers
        response.url = prep.url
        response.raw = raw
        response.request = prep
        response._elapsed = elapsed
        response.history = []
        if not stream:
            response._content = content
            response._content_consumed = True
        if "set-cookie" in raw.headers:
            self._extract_cookies(response, raw, prep, target, extra, jar)
        return response

    def _extract_cookies(self, response, raw, prep, target, extra, jar):  # noqa: ARG002 - one signature for every hop helper
        creq = CookieRequest(prep.url, target.scheme, target.netloc)
        cresp = CookieResponse(raw.headers)
        session_jar = self.cookies
        if jar is None:
            jar = session_jar
        own = response.cookies
        # Parse once, then file each cookie the policy accepts in the
        # session, the response and a per-request jar (what requests keeps).
        cookies = session_jar.make_cookies(cresp, creq)
        policy = session_jar._policy
        for cookie in cookies:
            if policy.set_ok(cookie, creq):
                session_jar.set_cookie(cookie)
                own.set_cookie(cookie)
                if jar is not session_jar:
                    jar.set_cookie(cookie)
        # A Set-Cookie with a past date deletes the cookie in make_cookies;
        # mirror that in a per-request jar too.
        if jar is not session_jar:
            jar.make_cookies(cresp, creq)

    @staticmethod
    def _redirect(response, location, prep, target, extra):
        prep, target = redirect_request(response, location, prep, target)
        next_extra = _Extra(None)
        if extra is not None:
            next_extra.jar = extra.jar
        return prep, target, next_extra


class _Extra:
    """Per-request state that the common case (a plain GET) does without."""

    __slots__ = ("path", "jar", "has_cookie_header")

    def __init__(self, path):
        self.path = path                # path+query when it differs from the target's
        self.jar = None                 # per-request cookie jar
        self.has_cookie_header = False  # the caller set a Cookie header himself
