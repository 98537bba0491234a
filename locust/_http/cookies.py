"""Cookies for the HTTP clients: a requests-style jar over ``http.cookiejar``.

:class:`RequestsCookieJar` is an ``http.cookiejar.CookieJar`` (the stdlib
keeps cookies like a browser does: domain and path matching, expiry,
Max-Age=0 deletion) that also answers like a dict of name -> value, as
requests' jar of the same name does: ``jar["csrftoken"]``, ``jar.get(name,
default, domain=, path=)``, ``jar.set(name, value, ...)``, ``get_dict()``,
``name in jar``, ``keys()``/``values()``/``items()``, ``update()``.
Iterating over it yields ``http.cookiejar.Cookie`` objects and ``len()``
counts them, as on any CookieJar.

Any HTTP client can use it with two calls, whichever CookieJar it holds
(the functions accept a plain ``http.cookiejar.CookieJar`` too):

- :func:`cookie_header` (or ``jar.cookie_header_for``): the value of the
  Cookie header for a request URL, or None;
- :func:`extract_cookies` (or ``jar.extract_from``): files the cookies of
  a response's Set-Cookie headers.

http.cookiejar was written for ``urllib.request``; :class:`CookieRequest`
and :class:`CookieResponse` are the small adapters it reads from.  This
module needs nothing but the standard library.
"""

import copy as _copy
import http.cookiejar
import time
from collections.abc import Mapping, MutableMapping
from http.cookies import Morsel
from urllib.parse import urlsplit

__all__ = ["RequestsCookieJar", "CookieConflictError", "create_cookie", "morsel_to_cookie",
           "cookiejar_from_dict", "cookie_header", "extract_cookies", "CookieRequest",
           "CookieResponse"]


class CookieConflictError(RuntimeError):
    """More than one cookie matches a name (narrow it with ``domain=`` or ``path=``)."""


# ---------------------------------------------------------------------------
# The urllib.request-shaped objects http.cookiejar expects
# ---------------------------------------------------------------------------

class CookieRequest:
    """What ``CookieJar.add_cookie_header``/``make_cookies`` read from a request.

    ``host`` is the netloc (host[:port]), ``type`` the scheme. The Cookie
    header the jar produces lands in ``cookie_header``.
    """

    __slots__ = ("_url", "type", "host", "_has_cookie", "cookie_header")
    unverifiable = False

    def __init__(self, url, scheme, netloc, has_cookie=False):
        self._url = url
        self.type = scheme
        self.host = netloc
        self._has_cookie = has_cookie
        self.cookie_header = None

    @property
    def origin_req_host(self):
        """The host the user asked for (no third-party cookies here)."""
        return self.host

    def get_full_url(self):
        """The URL of the request."""
        return self._url

    def get_type(self):
        """The scheme (old urllib API)."""
        return self.type

    def get_host(self):
        """The netloc (old urllib API)."""
        return self.host

    def get_origin_req_host(self):
        """See ``origin_req_host``."""
        return self.origin_req_host

    def is_unverifiable(self):
        """Always False: every request here is one the user made."""
        return False

    def has_header(self, name):
        """Only the Cookie header matters to the jar."""
        return name.lower() == "cookie" and self._has_cookie

    def get_header(self, name, default=None):  # noqa: ARG002 - the urllib.request.Request protocol
        """Headers are not looked up (the URL always has a host)."""
        return default

    def add_unredirected_header(self, name, value):
        """Where the jar puts the Cookie header."""
        if name.lower() == "cookie":
            self.cookie_header = value


class _SetCookieList:
    """A list of Set-Cookie values seen through the ``get_all`` of a headers object."""

    __slots__ = ("_values",)

    def __init__(self, values):
        self._values = list(values)

    def get_all(self, name, default=None):
        """The Set-Cookie values; nothing for any other header."""
        if name.lower() == "set-cookie" and self._values:
            return self._values
        return default


class CookieResponse:
    """What ``CookieJar.make_cookies`` reads from a response: ``info().get_all``.

    ``headers`` is an object with ``get_all(name, default)`` (urllib3's
    HTTPHeaderDict, http.client's HTTPMessage), or a list of the
    Set-Cookie header values.
    """

    __slots__ = ("_headers",)

    def __init__(self, headers):
        if isinstance(headers, (list, tuple)):
            headers = _SetCookieList(headers)
        self._headers = headers

    def info(self):
        """The headers (an object with ``get_all(name, default)``)."""
        return self._headers


# ---------------------------------------------------------------------------
# Making cookies
# ---------------------------------------------------------------------------

def create_cookie(name, value, **kwargs):
    """A Cookie; by default sent to every host and path (what requests makes from a dict).

    Keyword arguments set the Cookie's attributes: ``domain``, ``path``
    ("/"), ``secure``, ``expires`` (seconds since the epoch), ``port``,
    ``discard``, ``comment``, ``comment_url``, ``rest`` (dict), ``version``,
    ``rfc2109``. Raises TypeError for another keyword.
    """
    attrs = {
        "version": 0, "name": name, "value": value, "port": None, "domain": "",
        "path": "/", "secure": False, "expires": None, "discard": True,
        "comment": None, "comment_url": None, "rest": {"HttpOnly": None}, "rfc2109": False,
    }
    unknown = set(kwargs) - set(attrs)
    if unknown:
        raise TypeError("create_cookie() got unexpected keyword arguments: %s"
                        % ", ".join(sorted(unknown)))
    attrs.update(kwargs)
    return http.cookiejar.Cookie(
        attrs["version"], attrs["name"], attrs["value"], attrs["port"], bool(attrs["port"]),
        attrs["domain"], bool(attrs["domain"]), attrs["domain"].startswith("."),
        attrs["path"], bool(attrs["path"]), attrs["secure"], attrs["expires"],
        attrs["discard"], attrs["comment"], attrs["comment_url"], attrs["rest"],
        attrs["rfc2109"])


def morsel_to_cookie(morsel):
    """A Cookie from an ``http.cookies.Morsel``.

    Raises TypeError for a max-age that is not a number, ValueError for an
    expires date that cannot be parsed.
    """
    expires = None
    if morsel["max-age"]:
        try:
            expires = int(time.time() + int(morsel["max-age"]))
        except ValueError:
            raise TypeError("max-age: %s must be integer" % morsel["max-age"]) from None
    elif morsel["expires"]:
        expires = http.cookiejar.http2time(morsel["expires"])
        if expires is None:
            raise ValueError("expires: cannot parse %r" % morsel["expires"])
    return create_cookie(
        morsel.key, morsel.value, comment=morsel["comment"] or None,
        comment_url=False, discard=False, domain=morsel["domain"], expires=expires,
        path=morsel["path"] or "/", port=None, rest={"HttpOnly": morsel["httponly"]},
        rfc2109=False, secure=bool(morsel["secure"]), version=morsel["version"] or 0)


def cookiejar_from_dict(cookie_dict, cookiejar=None, overwrite=True):
    """A RequestsCookieJar (or ``cookiejar``, filled) holding ``cookie_dict``'s name -> value.

    With ``overwrite=False`` a name the jar already holds keeps its value.
    """
    if cookiejar is None:
        cookiejar = RequestsCookieJar()
    if cookie_dict:
        names = set() if overwrite else {cookie.name for cookie in cookiejar}
        for name, value in cookie_dict.items():
            if name not in names:
                cookiejar.set_cookie(create_cookie(name, value))
    return cookiejar


# ---------------------------------------------------------------------------
# Sending and receiving, for any CookieJar
# ---------------------------------------------------------------------------

def _scheme_netloc(url):
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.rpartition("@")[2]


def cookie_header(jar, url, scheme=None, netloc=None, has_cookie_header=False):
    """The Cookie header value ``jar`` sends with a request to ``url``, or None.

    ``scheme`` and ``netloc`` (host[:port]) spare parsing ``url`` when the
    caller has them. With ``has_cookie_header=True`` (the caller set a
    Cookie header of its own) the jar adds nothing, as in urllib and
    requests. Expired cookies are dropped from ``jar`` on the way.
    """
    if not jar._cookies:
        return None  # the common case, without building a request adapter
    if scheme is None or netloc is None:
        scheme, netloc = _scheme_netloc(url)
    request = CookieRequest(url, scheme, netloc, has_cookie_header)
    jar.add_cookie_header(request)
    return request.cookie_header


def extract_cookies(jar, set_cookie, url, scheme=None, netloc=None, also=(), mirror=()):
    """File in ``jar`` the cookies a response to ``url`` sets; returns the Cookies kept.

    ``set_cookie`` is the response's headers (an object with
    ``get_all(name, default)``) or a list of its Set-Cookie values. The
    headers are parsed once, by ``jar`` and its policy; each cookie the
    policy accepts is also set in every jar of ``also`` (the response's
    own jar, say) and of ``mirror``. A Set-Cookie that expires a cookie
    (Max-Age=0, a past date) removes it from ``jar`` and from the jars of
    ``mirror`` (a per-request copy of the session's jar, say), not from
    those of ``also``.
    """
    if scheme is None or netloc is None:
        scheme, netloc = _scheme_netloc(url)
    request = CookieRequest(url, scheme, netloc)
    response = CookieResponse(set_cookie)
    cookies = jar.make_cookies(response, request)
    policy = jar._policy
    kept = []
    for cookie in cookies:
        if policy.set_ok(cookie, request):
            jar.set_cookie(cookie)
            for other in also:
                other.set_cookie(cookie)
            for other in mirror:
                other.set_cookie(cookie)
            kept.append(cookie)
    for other in mirror:
        # make_cookies deletes what a Set-Cookie expires, in its own jar only.
        other.make_cookies(response, request)
    return kept


# ---------------------------------------------------------------------------
# The jar
# ---------------------------------------------------------------------------

class RequestsCookieJar(http.cookiejar.CookieJar, MutableMapping):
    """A CookieJar that also behaves like a dict of cookie name -> value, as in requests.

    ``jar[name]`` (KeyError when absent, CookieConflictError when several
    cookies of different domains or paths have that name), ``jar[name] =
    value``, ``del jar[name]``, ``name in jar``, ``jar.get(name, default,
    domain=None, path=None)``, ``jar.set(name, value, **attrs)``,
    ``keys()``, ``values()``, ``items()`` (lists), ``get_dict(domain=None,
    path=None)``, ``list_domains()``, ``list_paths()``,
    ``multiple_domains()``, ``update(jar_or_mapping)``, ``copy()``,
    ``clear(domain=None, path=None, name=None)``.  As on every CookieJar,
    iteration yields ``http.cookiejar.Cookie`` objects and ``len()`` counts
    them.

    For HTTP clients: :meth:`cookie_header_for` and :meth:`extract_from`.
    """

    # -- the dict face ---------------------------------------------------------

    def get(self, name, default=None, domain=None, path=None):
        """The value of cookie ``name``, else ``default``.

        ``domain`` and ``path`` narrow the search (exact match). Raises
        CookieConflictError when several cookies still match.
        """
        try:
            return self._find_one(name, domain, path)
        except KeyError:
            return default

    def set(self, name, value, **kwargs):
        """Set cookie ``name`` (an ``http.cookies.Morsel`` value is converted); returns it.

        Keyword arguments are Cookie attributes (see :func:`create_cookie`):
        without ``domain`` the cookie is sent to every host. A None value
        removes the cookies of that name (and ``domain``/``path``, if given).
        """
        if value is None:
            self._remove(name, kwargs.get("domain"), kwargs.get("path"))
            return None
        if isinstance(value, Morsel):
            cookie = morsel_to_cookie(value)
        else:
            cookie = create_cookie(name, value, **kwargs)
        self.set_cookie(cookie)
        return cookie

    def __getitem__(self, name):
        return self._find_one(name, None, None)

    def __setitem__(self, name, value):
        self.set(name, value)

    def __delitem__(self, name):
        if not self._remove(name, None, None):
            raise KeyError(name)

    def __contains__(self, name):
        if isinstance(name, http.cookiejar.Cookie):
            return any(cookie is name for cookie in self)
        try:
            self._find_one(name, None, None)
        except KeyError:
            return False
        except CookieConflictError:
            return True
        return True

    def popitem(self):
        """Remove one cookie and return its (name, value); KeyError when the jar is empty."""
        for cookie in self:
            self.clear(cookie.domain, cookie.path, cookie.name)
            return cookie.name, cookie.value
        raise KeyError("popitem(): the cookie jar is empty")

    def keys(self):
        """The cookie names (a list; a name held for two domains appears twice)."""
        return [cookie.name for cookie in self]

    def values(self):
        """The cookie values (a list, in the order of ``keys()``)."""
        return [cookie.value for cookie in self]

    def items(self):
        """(name, value) pairs (a list, in the order of ``keys()``)."""
        return [(cookie.name, cookie.value) for cookie in self]

    def get_dict(self, domain=None, path=None):
        """{name: value} of the cookies, optionally only of ``domain`` and ``path``."""
        return {cookie.name: cookie.value for cookie in self
                if (domain is None or cookie.domain == domain)
                and (path is None or cookie.path == path)}

    def list_domains(self):
        """The domains the cookies belong to, each once."""
        domains = []
        for cookie in self:
            if cookie.domain not in domains:
                domains.append(cookie.domain)
        return domains

    def list_paths(self):
        """The paths the cookies belong to, each once."""
        paths = []
        for cookie in self:
            if cookie.path not in paths:
                paths.append(cookie.path)
        return paths

    def multiple_domains(self):
        """True when the cookies belong to more than one domain."""
        return len(self.list_domains()) > 1

    def update(self, other=(), **kwargs):
        """Add the cookies of another CookieJar (copies), or name -> value pairs."""
        if isinstance(other, http.cookiejar.CookieJar):
            for cookie in other:
                self.set_cookie(_copy_cookie(cookie))
        else:
            items = other.items() if isinstance(other, Mapping) else other
            for name, value in items:
                self.set(name, value)
        for name, value in kwargs.items():
            self.set(name, value)

    def copy(self):
        """A new jar with the same policy and copies of the cookies."""
        jar = RequestsCookieJar(self._policy)
        jar.update(self)
        return jar

    def get_policy(self):
        """The CookiePolicy the jar applies."""
        return self._policy

    # -- for HTTP clients --------------------------------------------------------

    def cookie_header_for(self, url, scheme=None, netloc=None, has_cookie_header=False):
        """The Cookie header value for a request to ``url``, or None (see :func:`cookie_header`)."""
        return cookie_header(self, url, scheme, netloc, has_cookie_header)

    def extract_from(self, set_cookie, url, scheme=None, netloc=None, also=(), mirror=()):
        """File the cookies a response sets; returns them (see :func:`extract_cookies`)."""
        return extract_cookies(self, set_cookie, url, scheme, netloc, also, mirror)

    # -- helpers -------------------------------------------------------------------

    def _find_one(self, name, domain, path):
        found = None
        for cookie in self:
            if cookie.name == name and (domain is None or cookie.domain == domain) \
                    and (path is None or cookie.path == path):
                if found is not None:
                    raise CookieConflictError("There are multiple cookies with name %r" % (name,))
                found = cookie
        if found is None:
            raise KeyError("name=%r, domain=%r, path=%r" % (name, domain, path))
        return found.value

    def _remove(self, name, domain, path):
        doomed = [(cookie.domain, cookie.path, cookie.name) for cookie in self
                  if cookie.name == name and (domain is None or cookie.domain == domain)
                  and (path is None or cookie.path == path)]
        for key in doomed:
            self.clear(*key)
        return bool(doomed)

    def __repr__(self):
        return "<%s[%s]>" % (type(self).__name__,
                             ", ".join("%s=%s for %s%s" % (c.name, c.value, c.domain or "*",
                                                           c.path) for c in self))


def _copy_cookie(cookie):
    copy = _copy.copy(cookie)
    copy._rest = dict(cookie._rest)  # its own attributes: set_nonstandard_attr writes there
    return copy
