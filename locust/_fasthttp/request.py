"""Building requests for the fast client: URLs, header blocks, bodies, redirects.

A request's head is bytes built once per distinct (method, URL, headers)
and kept by the session (:class:`Prepared`); sending the same request again
costs a dict look-up.  The session's own headers are encoded once per change
into one block of lines (:func:`header_block`).
"""

import base64
import json as _json
import os
from collections.abc import Mapping
from urllib.parse import quote, unquote, urlencode, urljoin, urlsplit

from .._http.exceptions import InvalidHeader, InvalidSchema, InvalidURL, MissingSchema

__all__ = ["Target", "parse_target", "Prepared", "HeaderSet", "prepare", "header_block",
           "encode_body",
           "encode_params", "basic_auth", "redirect", "Request"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
#: Characters left as they are in a request target; others are percent-encoded.
_SAFE_PATH = "/?&=%:@!$'()*+,;~[]-._"
_BAD_HEADER_CHARS = ("\r", "\n", "\0")
_BODY_METHODS = frozenset(("POST", "PUT", "PATCH"))


class Target:
    """A parsed, validated absolute URL."""

    __slots__ = ("scheme", "host", "port", "netloc", "origin", "path", "auth", "key", "url")

    def __init__(self, scheme, host, port, netloc, path, auth):
        self.scheme = scheme
        self.host = host
        self.port = port
        self.netloc = netloc
        self.origin = scheme + "://" + netloc
        #: Path and query as sent in the request line (never empty).
        self.path = path
        #: (user, password) from the URL, or None.
        self.auth = auth
        #: The pool key: (scheme, host, port).
        self.key = (scheme, host, port)
        #: The URL without credentials and fragment.
        self.url = self.origin + path


def parse_target(url):
    """Validate an absolute http(s) URL. Raises MissingSchema, InvalidSchema or InvalidURL."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL("Invalid URL %r: %s" % (url, exc)) from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise MissingSchema("Invalid URL %r: No scheme supplied. Perhaps you meant http://%s?"
                            % (url, url))
    if scheme not in _DEFAULT_PORTS:
        raise InvalidSchema("No connection adapters were found for %r" % (url,))
    host = parts.hostname
    if not host:
        raise InvalidURL("Invalid URL %r: No host supplied" % (url,))
    if any(c in host for c in " \t\r\n\\%/") or host.startswith(".") or ".." in host:
        raise InvalidURL("Invalid URL %r: Invalid host" % (url,))
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidURL("Invalid URL %r: URL has an invalid label." % (url,)) from None
    netloc = parts.netloc
    auth = None
    if "@" in netloc:
        netloc = netloc.rpartition("@")[2]
        if parts.username is not None:
            auth = (unquote(parts.username), unquote(parts.password or ""))
    path = parts.path or "/"
    if parts.query:
        path = path + "?" + parts.query
    if not path.isascii() or not path.isprintable() or " " in path:
        path = quote(path, safe=_SAFE_PATH)
    return Target(scheme, host, port or _DEFAULT_PORTS[scheme], netloc, path, auth)


def basic_auth(username, password):
    """The value of an ``Authorization: Basic`` header (latin-1, else UTF-8 credentials)."""
    parts = []
    for part in (username, password):
        if isinstance(part, str):
            try:
                part = part.encode("latin-1")
            except UnicodeEncodeError:
                part = part.encode("utf-8")
        elif not isinstance(part, bytes):
            part = str(part).encode("latin-1")
        parts.append(part)
    return "Basic " + base64.b64encode(b":".join(parts)).decode("ascii")


def _line(name, value):
    if isinstance(name, bytes):
        name = name.decode("latin-1")
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    elif not isinstance(value, str):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        else:
            raise InvalidHeader("Header part (%r) from ('%s', %r) must be of type str or bytes"
                                % (value, name, value))
    if not name or ":" in name or " " in name or any(c in name for c in _BAD_HEADER_CHARS):
        raise InvalidHeader("Invalid header name %r" % (name,))
    if any(c in value for c in _BAD_HEADER_CHARS):
        raise InvalidHeader("Invalid leading whitespace, reserved character(s), or return "
                            "character(s) in header value: %r" % (value,))
    try:
        return (name + ": " + value.strip() + "\r\n").encode("latin-1")
    except UnicodeEncodeError:
        return (name + ": " + value.strip() + "\r\n").encode("utf-8")


def header_block(headers):
    """The header lines (bytes, each ending in CRLF) of a {name: value} dict; None values skipped.

    Raises InvalidHeader for a name or value that cannot be sent.
    """
    return b"".join(_line(name, value) for name, value in headers.items() if value is not None)


class Prepared:
    """A request ready to send: its head as bytes, built once and reused.

    ``head`` is the request line and every header line plus the blank
    line; ``head_open`` the same without the blank line, for a Cookie line
    that changes per request.
    """

    __slots__ = ("method", "target", "head", "head_open", "body", "name", "_headers")

    def __init__(self, method, target, head_open, body):
        self.method = method
        self.target = target
        self.head_open = head_open
        self.head = head_open + b"\r\n"
        self.body = body
        #: The statistics name when the request was made without ``name=``.
        self.name = target.path
        self._headers = None

    @property
    def headers(self):
        """The headers sent, as a dict (parsed from the head on first use)."""
        headers = self._headers
        if headers is None:
            headers = {}
            for line in self.head_open.decode("latin-1").split("\r\n")[1:]:
                name, sep, value = line.partition(":")
                if sep:
                    headers[name] = value.strip()
            self._headers = headers
        return headers


class HeaderSet:
    """A snapshot of a session's headers: the dict, its lower-case names, its encoded lines."""

    __slots__ = ("plain", "lower", "block")

    def __init__(self, headers):
        self.plain = {name: value for name, value in headers.items() if value is not None}
        self.lower = {name.lower(): name for name in self.plain}
        self.block = header_block(self.plain)


def prepare(method, target, defaults, extra_headers, body, content_type, auth, proxied=False):
    """The :class:`Prepared` of one request.

    ``defaults`` is the session's :class:`HeaderSet`, ``extra_headers`` the
    request's own (merged case-insensitively over them; a None value removes
    one), ``content_type`` the type implied by ``json=``/``data=``/``files=``
    (unless a Content-Type is given), ``auth`` a (user, password) pair or
    None; ``proxied``: a plain HTTP request goes to a proxy (the request
    line carries the whole URL).  Raises InvalidHeader.
    """
    lower = defaults.lower
    uri = target.url if proxied and target.scheme == "http" else target.path
    line = ("%s %s HTTP/1.1\r\n" % (method, uri)).encode("ascii")
    has_body = body is not None or method in _BODY_METHODS
    if not extra_headers and auth is None and "host" not in lower and (
            not has_body or ("content-length" not in lower and "transfer-encoding" not in lower)
    ) and (content_type is None or "content-type" not in lower):
        # The common case: the session's lines as they are.
        head = line + _line("Host", target.netloc) + defaults.block
        if content_type is not None:
            head += _line("Content-Type", content_type)
        if has_body:
            head += b"Content-Length: %d\r\n" % (len(body) if body is not None else 0)
        return Prepared(method, target, head, body)

    merged = dict(defaults.plain)
    lower = dict(lower)
    for name, value in (extra_headers.items() if hasattr(extra_headers, "items")
                        else extra_headers or ()):
        if isinstance(name, bytes):
            name = name.decode("latin-1")
        low = name.lower()
        old = lower.pop(low, None)
        if old is not None:
            del merged[old]
        if value is not None:
            merged[name] = value
            lower[low] = name
    if content_type is not None and "content-type" not in lower:
        merged["Content-Type"] = content_type
    if auth is not None:
        old = lower.pop("authorization", None)
        if old is not None:
            del merged[old]
        merged["Authorization"] = basic_auth(*auth)
    if has_body:
        for low in ("content-length", "transfer-encoding"):
            old = lower.pop(low, None)
            if old is not None:
                del merged[old]
        merged["Content-Length"] = str(len(body) if body is not None else 0)
    host = merged.pop(lower["host"]) if "host" in lower else target.netloc
    head = line + _line("Host", host) + header_block(merged)
    return Prepared(method, target, head, body)


# ---------------------------------------------------------------------------
# Query strings and bodies
# ---------------------------------------------------------------------------

def _pairs(value):
    items = value.items() if isinstance(value, Mapping) else value
    for key, vals in items:
        if isinstance(vals, (str, bytes)) or not hasattr(vals, "__iter__"):
            vals = (vals,)
        for val in vals:
            if val is not None:
                yield key, val


def encode_params(params):
    """A query string (or form body) from a dict, a list of pairs, str or bytes."""
    if isinstance(params, str):
        return params
    if isinstance(params, bytes):
        return params.decode("ascii")
    return urlencode([(k.encode("utf-8") if isinstance(k, str) else k,
                       v.encode("utf-8") if isinstance(v, str) else v)
                      for k, v in _pairs(params)])


def _multipart(files, data):
    boundary = os.urandom(16).hex()
    out = []
    for name, value in _pairs(data or {}):
        if isinstance(name, bytes):
            name = name.decode("utf-8")
        if not isinstance(value, bytes):
            value = str(value).encode("utf-8")
        out.append(('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n'
                    % (boundary, name)).encode("utf-8") + value + b"\r\n")
    for name, value in (files.items() if isinstance(files, Mapping) else files):
        ctype = None
        extra = {}
        if isinstance(value, (tuple, list)):
            filename, fobj = value[0], value[1]
            if len(value) > 2:
                ctype = value[2]
            if len(value) > 3:
                extra = value[3] or {}
        else:
            fobj = value
            filename = getattr(value, "name", None)
            filename = os.path.basename(filename) if isinstance(filename, str) \
                and filename[:1] != "<" else name
        if fobj is None:
            continue
        content = fobj.read() if hasattr(fobj, "read") else fobj
        if isinstance(content, str):
            content = content.encode("utf-8")
        disposition = 'form-data; name="%s"' % name
        if filename:
            disposition += '; filename="%s"' % filename
        lines = ["--%s" % boundary, "Content-Disposition: " + disposition]
        if ctype or filename:
            lines.append("Content-Type: " + (ctype or "application/octet-stream"))
        lines.extend("%s: %s" % item for item in extra.items())
        out.append(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + content + b"\r\n")
    out.append(("--%s--\r\n" % boundary).encode("ascii"))
    return b"".join(out), "multipart/form-data; boundary=" + boundary


def encode_body(data, files, json):
    """(body bytes or None, implied Content-Type or None) for ``data``/``files``/``json``.

    As requests: ``files`` -> multipart (``data`` as extra fields); ``json``
    (without data) -> UTF-8 JSON; a dict or list of pairs -> form-urlencoded;
    str -> UTF-8; bytes as they are; a file-like object or another iterable
    is read whole.  Raises ValueError for JSON that cannot be encoded.
    """
    if files:
        if isinstance(data, (str, bytes)):
            raise ValueError("Data must not be a string when files are sent.")
        return _multipart(files, data)
    if data is None or (not data and json is not None):
        if json is None:
            return None, None
        return _json.dumps(json, allow_nan=False).encode("utf-8"), "application/json"
    if isinstance(data, str):
        return data.encode("utf-8"), None
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), None
    if hasattr(data, "read"):
        content = data.read()
        return (content.encode("utf-8") if isinstance(content, str) else content), None
    if isinstance(data, (Mapping, list, tuple)):
        return encode_params(data).encode("ascii"), "application/x-www-form-urlencoded"
    return b"".join(part.encode("utf-8") if isinstance(part, str) else part for part in data), None


# ---------------------------------------------------------------------------
# Redirects and the request object responses carry
# ---------------------------------------------------------------------------

def redirect(status, location, prep):
    """(method, Target, body, headers) of the hop a redirect leads to, as requests does.

    303, and 302 for anything but HEAD, become GET, and so does a POST
    answered by 301; except after 307/308 the body and its headers are
    dropped; Authorization is dropped when the host (or scheme and port,
    http:80 -> https:443 aside) changes.  Raises InvalidSchema/InvalidURL
    when the Location cannot be followed.
    """
    target = prep.target
    if location.startswith("//"):
        location = target.scheme + ":" + location
    new = parse_target(urljoin(target.url, location).partition("#")[0])
    method = prep.method
    if (status in (302, 303) and method != "HEAD") or (status == 301 and method == "POST"):
        method = "GET"
    headers = dict(prep.headers)
    drop = ["host", "cookie", "content-length"]
    body = prep.body
    if status not in (307, 308):
        body = None
        drop += ["content-type", "transfer-encoding"]
    if new.host != target.host or (
            (new.scheme, new.port) != (target.scheme, target.port)
            and not (target.scheme == "http" and target.port == 80
                     and new.scheme == "https" and new.port == 443)):
        drop.append("authorization")
    for name in [n for n in headers if n.lower() in drop]:
        del headers[name]
    return method, new, body, headers


class Request:
    """What was sent: ``method``, ``url``, ``headers``, ``body`` (``payload`` as upstream)."""

    __slots__ = ("method", "url", "headers", "body")

    def __init__(self, method, url, headers, body):
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body

    @property
    def payload(self):
        """The body (upstream's name)."""
        return self.body

    @property
    def path_url(self):
        """The path and query of ``url``."""
        parts = urlsplit(self.url)
        return (parts.path or "/") + ("?" + parts.query if parts.query else "")

    def __repr__(self):
        return "<Request [%s]>" % (self.method,)
