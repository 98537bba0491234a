"""The fast client's cookie jar: RFC 6265 basics, with requests' dict-like API.

:class:`CookieJar` is an ``http.cookiejar.CookieJar`` (so code that iterates
it, calls ``set_cookie``/``clear``, or hands it to ``urllib`` keeps working)
whose two hot operations are our own, written for RFC 6265 rather than
through the ``urllib.request``-shaped policy machinery of the stdlib:

- :meth:`CookieJar.header_for`: the ``Cookie`` header for a URL (domain,
  path, secure and expiry matching; longest paths first), None at once for
  an empty jar;
- :meth:`CookieJar.extract`: the ``Set-Cookie`` headers of a response
  (``Expires``, ``Max-Age``, ``Domain`` -- refused unless it domain-matches
  the host --, ``Path``, ``Secure``, ``HttpOnly``).

On top, the calls people make on requests' ``RequestsCookieJar``:
``jar["name"]``, ``get``, ``set``, ``get_dict``, ``keys``/``values``/
``items``, ``"name" in jar``, ``del jar["name"]``, ``update``, ``copy``,
``list_domains``, ``list_paths``.  Iterating yields ``Cookie`` objects, as
for both stdlib and requests jars.  Not implemented: the public suffix
list (a server may set a cookie for a whole TLD), ``SameSite`` (a load
generator makes no cross-site requests), ``Port``.
"""

import contextlib
import http.cookiejar
import time
from email.utils import parsedate_to_datetime

__all__ = ["CookieJar", "make_cookie"]

Cookie = http.cookiejar.Cookie


def make_cookie(name, value, domain="", path="/", secure=False, expires=None,
                domain_specified=None, http_only=False, **_ignored):
    """A ``Cookie`` (version 0).  ``domain=""`` sends it to every host, as requests' ``set``."""
    if domain_specified is None:
        domain_specified = bool(domain)
    return Cookie(0, name, value, None, False, domain, domain_specified,
                  domain.startswith("."), path, True, secure, expires, expires is None,
                  None, None, {"HttpOnly": None} if http_only else {}, False)


def _domain_match(host, domain):
    """RFC 6265 5.1.3: ``host`` is ``domain`` or a subdomain of it (not for IP hosts)."""
    if host == domain:
        return True
    return host.endswith("." + domain) and not host.replace(".", "").isdigit() and ":" not in host


def _path_match(request_path, cookie_path):
    """RFC 6265 5.1.4."""
    if request_path == cookie_path:
        return True
    if request_path.startswith(cookie_path):
        return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    return False


def _default_path(path):
    """RFC 6265 5.1.4: the directory of the request path."""
    if not path.startswith("/"):
        return "/"
    cut = path.rfind("/")
    return path[:cut] if cut > 0 else "/"


def _parse_expires(value):
    try:
        return int(parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    stamp = http.cookiejar.http2time(value)  # lenient formats ("Wdy, DD-Mon-YY ...")
    return None if stamp is None else int(stamp)


class CookieJar(http.cookiejar.CookieJar):
    """A per-user cookie jar: RFC 6265 matching, and requests' ``RequestsCookieJar`` API."""

    # -- the hot path ----------------------------------------------------------

    def header_for(self, scheme, host, path):
        """The value of the Cookie header for a request, or None when nothing matches.

        ``path`` may carry a query (ignored).  Expired cookies are dropped.
        """
        if not self._cookies:
            return None
        path = path.partition("?")[0] or "/"
        secure = scheme == "https"
        now = time.time()
        found = []
        expired = []
        for domain, paths in self._cookies.items():
            for cookie_path, cookies in paths.items():
                if not _path_match(path, cookie_path):
                    continue
                for cookie in cookies.values():
                    if domain and not (
                            _domain_match(host, domain.lstrip(".")) if cookie.domain_specified
                            else host == domain):
                        continue
                    if cookie.secure and not secure:
                        continue
                    if cookie.expires is not None and cookie.expires <= now:
                        expired.append(cookie)
                        continue
                    found.append(cookie)
        for cookie in expired:
            with contextlib.suppress(KeyError):
                self.clear(cookie.domain, cookie.path, cookie.name)
        if not found:
            return None
        if len(found) > 1:
            found.sort(key=lambda c: len(c.path), reverse=True)
        return "; ".join(c.name if c.value is None else c.name + "=" + c.value for c in found)

    def extract(self, host, path, values):
        """Store the cookies of the ``Set-Cookie`` header ``values`` (a list of str).

        ``host`` and ``path`` are the request's.  Returns the cookies stored
        (a cookie set with a past expiry deletes the stored one instead).
        """
        now = time.time()
        stored = []
        for value in values:
            cookie = self._parse(value, host, path, now)
            if cookie is None:
                continue
            if cookie.expires is not None and cookie.expires <= now:
                with contextlib.suppress(KeyError):
                    self.clear(cookie.domain, cookie.path, cookie.name)
                continue
            self.set_cookie(cookie)
            stored.append(cookie)
        return stored

    @staticmethod
    def _parse(value, host, request_path, now):
        parts = value.split(";")
        name, sep, val = parts[0].partition("=")
        name = name.strip()
        if not sep or not name:
            return None  # RFC 6265 5.2: no "=" or no name: ignore the cookie
        val = val.strip()
        expires = max_age = None
        domain = None
        path = None
        secure = http_only = False
        for attr in parts[1:]:
            key, _, attr_value = attr.partition("=")
            key = key.strip().lower()
            attr_value = attr_value.strip()
            if key == "expires":
                expires = _parse_expires(attr_value)
            elif key == "max-age":
                try:
                    max_age = int(attr_value)
                except ValueError:
                    continue
            elif key == "domain":
                if attr_value:
                    domain = attr_value.lstrip(".").lower()
            elif key == "path":
                path = attr_value if attr_value.startswith("/") else None
            elif key == "secure":
                secure = True
            elif key == "httponly":
                http_only = True
        if max_age is not None:
            expires = int(now) + max_age if max_age > 0 else 0
        if path is None:
            path = _default_path(request_path.partition("?")[0])
        if domain is not None:
            if not _domain_match(host, domain):
                return None  # a server may not set cookies for another domain
            stored_domain = "." + domain
            specified = True
        else:
            stored_domain = host
            specified = False
        return make_cookie(name, val, stored_domain, path, secure, expires,
                           domain_specified=specified, http_only=http_only)

    # -- requests' RequestsCookieJar API ------------------------------------

    def _find(self, name, domain=None, path=None):
        for cookie in self:
            if cookie.name == name and (domain is None or cookie.domain == domain) \
                    and (path is None or cookie.path == path):
                yield cookie

    def get(self, name, default=None, domain=None, path=None):
        """The value of the cookie ``name`` (the first found), else ``default``."""
        for cookie in self._find(name, domain, path):
            return cookie.value
        return default

    def set(self, name, value, **kwargs):
        """Set a cookie (sent to every host unless ``domain=`` is given); returns it.

        A None ``value`` removes the cookies named ``name`` instead.
        Keyword arguments: ``domain``, ``path``, ``secure``, ``expires``.
        """
        if value is None:
            self._remove(name, kwargs.get("domain"), kwargs.get("path"))
            return None
        cookie = value if isinstance(value, Cookie) else make_cookie(name, str(value), **kwargs)
        self.set_cookie(cookie)
        return cookie

    def _remove(self, name, domain=None, path=None):
        for cookie in list(self._find(name, domain, path)):
            self.clear(cookie.domain, cookie.path, cookie.name)

    def __getitem__(self, name):
        for cookie in self._find(name):
            return cookie.value
        raise KeyError("name=%r, domain=None, path=None" % (name,))

    def __setitem__(self, name, value):
        self.set(name, value)

    def __delitem__(self, name):
        self._remove(name)

    def __contains__(self, name):
        if isinstance(name, Cookie):
            name = name.name
        return any(True for _ in self._find(name))

    def keys(self):
        """The cookie names (a list)."""
        return [cookie.name for cookie in self]

    def values(self):
        """The cookie values (a list)."""
        return [cookie.value for cookie in self]

    def items(self):
        """(name, value) pairs (a list)."""
        return [(cookie.name, cookie.value) for cookie in self]

    def get_dict(self, domain=None, path=None):
        """{name: value} of the cookies, optionally of one domain and path."""
        return {cookie.name: cookie.value for cookie in self
                if (domain is None or cookie.domain == domain)
                and (path is None or cookie.path == path)}

    def list_domains(self):
        """The domains of the cookies (each once)."""
        return list(dict.fromkeys(cookie.domain for cookie in self))

    def list_paths(self):
        """The paths of the cookies (each once)."""
        return list(dict.fromkeys(cookie.path for cookie in self))

    def multiple_domains(self):
        """True when the cookies belong to more than one domain."""
        return len(self.list_domains()) > 1

    def update(self, other):
        """Add the cookies of another jar, or of a {name: value} mapping."""
        if isinstance(other, http.cookiejar.CookieJar):
            for cookie in other:
                self.set_cookie(cookie)
        else:
            for name, value in other.items():
                self.set(name, value)

    def copy(self):
        """A new jar with the same cookies."""
        jar = CookieJar()
        jar.update(self)
        return jar

    def __repr__(self):
        return "<CookieJar[%s]>" % ", ".join("%s=%s" % (c.name, c.value) for c in self)
