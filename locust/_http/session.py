"""What every ``HttpSession`` request goes through: prepare, send, follow redirects.

``locust.clients.HttpSession`` (the public face: its configuration, the
request methods, the reporting) is built on :class:`SessionCore`, which
turns the arguments of ``request()`` into the first hop and runs the hops:

- preparing, in named steps, each skipped when its arguments are absent
  (a plain GET does no more than look up its parsed URL and the session's
  flattened headers): the URL (:meth:`SessionCore._target`, cached per URL
  string), the query (:func:`~.request.with_query`), the headers
  (:func:`~.request.merge_headers`), the body (:func:`_body`), auth
  (:meth:`SessionCore._apply_auth`), per-request cookies
  (:meth:`SessionCore._with_cookies`);
- sending (:meth:`SessionCore._send`): one exchange per hop
  (:meth:`SessionCore._hop`: the cookie header, the pool, the Response,
  the Set-Cookie headers), response hooks, redirects with requests' rules
  (history, per-hop cookies, one timing for the whole chain).

Raised errors are the requests-style ones of :mod:`.exceptions`; the
session's ``request()`` turns network ones into safe mode's status 0
responses.
"""

import re
from http.cookiejar import CookieJar
from time import perf_counter as _perf_counter

from urllib3.exceptions import HTTPError as _U3HTTPError
from urllib3.util.timeout import Timeout as _U3Timeout

from .._version import __version__
from .cookies import RequestsCookieJar, cookie_header, create_cookie, extract_cookies
from .exceptions import InvalidSchema, MissingSchema, RequestException, TooManyRedirects
from .pool import NO_RETRIES, NO_TIMEOUT, Pools
from .request import (
    basic_auth_header,
    encode_body,
    map_error,
    merge_headers,
    parse_target,
    put_header,
    redirect_request,
    with_query,
)
from .response import REDIRECT_STATI, PreparedRequest, Response
from .structures import CaseInsensitiveDict

__all__ = ["SessionCore", "DEFAULT_HEADERS"]

#: What every session sends until it changes its own ``headers``.
DEFAULT_HEADERS = CaseInsensitiveDict({
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


class SessionCore:
    """The request machinery of a session (see the module docstring).

    Reads the session's ``base_url`` (as ``_base_url``), ``params``,
    ``auth``, ``verify``, ``cert``, ``proxies``, ``hooks``,
    ``max_redirects``, its headers (``_headers``, None: the defaults) and
    cookie jar (``_jar``, None: none yet).
    """

    def __init__(self):
        self._targets = {}
        self._pools = Pools()
        self._timeout_cache = (None, NO_TIMEOUT)
        self._auth_cache = (None, None)
        # The headers and the cookie jar are made at first use (see
        # HttpSession's properties): until then a session sends the shared
        # default headers and has no cookies, and an idle user costs ~1.4 KB less.
        self._headers = None
        self._jar = None

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
        """(PreparedRequest, target, extra state or None) for the first hop.

        The steps, in order: the URL (cached), the query, the headers, the
        body, auth, the cookies. Each is skipped when its arguments are
        absent, so a plain GET (the request of most load tests) does no more
        than look up its URL and the session's flattened headers.
        ``plain``/``lower`` are the header dict sent and its lower-case
        names; they are the session's cached pair until a step copies them.
        """
        target = self._targets.get(url)
        if target is None:
            target = self._target(url)
        extra = None
        path = target.path
        if params or self.params:
            path = with_query(path, params, self.params)
            extra = _Extra(path)

        session_headers = self._headers
        plain, lower = (DEFAULT_HEADERS if session_headers is None else session_headers).flat()
        owned = False
        if headers:
            plain, lower = merge_headers(plain, lower, headers)
            owned = True
        body = None
        if data or files or json is not None:
            body, plain, lower, owned = _body(data, files, json, plain, lower, owned)

        if auth is None:
            auth = self.auth
            if auth is None:
                auth = target.auth
        prep = PreparedRequest(method, target.origin + path, plain, body)
        if auth is not None:
            prep, target, extra, lower = self._apply_auth(auth, prep, target, extra, lower,
                                                          owned)
        if cookies is not None or "cookie" in lower:
            extra = self._with_cookies(extra, cookies, "cookie" in lower)
        return prep, target, extra

    def _apply_auth(self, auth, prep, target, extra, lower, owned):
        """Auth step: a Basic auth header for a (user, password) pair, or the auth callable.

        Returns (prep, target, extra, lower). Raises TypeError for another
        kind of ``auth`` or a callable that does not return the request.
        """
        if isinstance(auth, (tuple, list)) and len(auth) == 2:
            key = tuple(auth)
            cached = self._auth_cache
            if cached[0] == key:
                value = cached[1]
            else:
                value = basic_auth_header(*key)
                self._auth_cache = (key, value)
            prep._headers, lower = put_header(prep._headers, lower, owned, "Authorization",
                                              value)
            return prep, target, extra, lower
        if not callable(auth):
            raise TypeError("auth must be a (user, password) tuple or a callable, not %r"
                            % type(auth).__name__)
        url = prep.url
        prep = auth(prep)
        if not isinstance(prep, PreparedRequest):
            raise TypeError("an auth callable must return the request it was given")
        plain = dict(prep.headers.items())
        prep._headers = plain
        if prep.url != url:
            target = parse_target(prep.url)
            extra = extra or _Extra(None)
            extra.path = target.path
        return prep, target, extra, {key.lower(): key for key in plain}

    def _with_cookies(self, extra, cookies, has_cookie_header):
        """Cookie step: ``extra`` (made if None) with a per-request jar for ``cookies``."""
        if extra is None:
            extra = _Extra(None)
        extra.has_cookie_header = has_cookie_header
        if cookies is not None:
            # Per-request cookies are sent with the session's but not
            # kept in the session (as in requests).
            jar = RequestsCookieJar()
            for cookie in self._jar or ():
                jar.set_cookie(cookie)
            if isinstance(cookies, CookieJar):
                for cookie in cookies:
                    jar.set_cookie(cookie)
            else:
                for cname, cvalue in cookies.items():
                    jar.set_cookie(create_cookie(cname, cvalue))
            extra.jar = jar
        return extra

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
            hook_list = _merge_hooks(hook_list, hooks)
        # None while the session has no jar: _hop then uses the session's,
        # which a Set-Cookie on one hop may have created for the next.
        jar = None if extra is None else extra.jar
        history = None
        while True:
            response = self._hop(prep, target, extra, jar, timeout, stream, verify, cert,
                                 proxies.get(target.scheme) or proxies.get("all")
                                 if proxies else None)
            if hook_list:
                response = _run_hooks(hook_list, response, timeout=timeout, verify=verify,
                                      proxies=proxies, stream=stream, cert=cert)
            if not allow_redirects or response.status_code not in REDIRECT_STATI:
                break
            location = response.headers.get("location")
            if not location:
                break
            history = self._passed(history, response, stream)
            prep, target, extra = self._redirect(response, location, prep, target, extra)
        if history is not None:
            response.history = history
        return response

    def _passed(self, history, response, stream):
        """``history`` (made if None) with the redirect ``response`` appended.

        Raises TooManyRedirects past ``max_redirects``.
        """
        if history is None:
            history = []
        history.append(response)
        if len(history) > self.max_redirects:
            raise TooManyRedirects("Exceeded %d redirects." % self.max_redirects,
                                   response=response)
        if stream:
            response.content  # noqa: B018 - drain the hop so its connection is reused
        return history

    def _hop(self, prep, target, extra, jar, timeout, stream, verify, cert, proxy):
        """One request/response exchange; returns a Response."""
        headers = prep._headers
        if jar is None:
            jar = self._jar
        if jar is not None and jar._cookies:
            value = cookie_header(jar, prep.url, target.scheme, target.netloc,
                                  extra is not None and extra.has_cookie_header)
            if value:
                headers = dict(headers)
                headers["Cookie"] = value
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
            content = False if stream else raw.read(decode_content=True, cache_content=True)
        except (_U3HTTPError, OSError) as exc:
            if isinstance(exc, RequestException):
                raise
            raise map_error(exc, prep) from exc
        response = Response(raw.status, raw.reason, raw.headers, prep.url, prep, raw, elapsed,
                            content)
        if "set-cookie" in raw.headers:
            # Parsed once, by the session's jar and policy; each cookie kept
            # goes to the response and to a per-request jar too (as requests).
            session_jar = self._jar
            if session_jar is None:
                session_jar = self._jar = RequestsCookieJar()
            extract_cookies(session_jar, raw.headers, prep.url, target.scheme, target.netloc,
                            also=(response.cookies,),
                            mirror=() if jar is None or jar is session_jar else (jar,))
        return response

    @staticmethod
    def _redirect(response, location, prep, target, extra):
        prep, target = redirect_request(response, location, prep, target)
        next_extra = _Extra(None)
        if extra is not None:
            next_extra.jar = extra.jar
        return prep, target, next_extra


def _merge_hooks(hook_list, hooks):
    """The session's response hooks followed by a request's (one callable or a list)."""
    request_hooks = hooks.get("response") or []
    if callable(request_hooks):
        request_hooks = [request_hooks]
    return list(hook_list or ()) + list(request_hooks)


def _run_hooks(hook_list, response, **kwargs):
    """Call each hook with the response; one that returns something replaces it."""
    for hook in hook_list:
        result = hook(response, **kwargs)
        if result is not None:
            response = result
    return response


def _body(data, files, json, plain, lower, owned):
    """Body step: (body, plain, lower, owned), with the Content-Type the body needs unless set."""
    body, ctype = encode_body(data, files, json)
    if ctype is not None and "content-type" not in lower:
        plain, lower = put_header(plain, lower, owned, "Content-Type", ctype)
        owned = True
    return body, plain, lower, owned


class _Extra:
    """Per-request state that the common case (a plain GET) does without."""

    __slots__ = ("path", "jar", "has_cookie_header")

    def __init__(self, path):
        self.path = path                # path+query when it differs from the target's
        self.jar = None                 # per-request cookie jar
        self.has_cookie_header = False  # the caller set a Cookie header himself
