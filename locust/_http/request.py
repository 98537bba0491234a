"""Request building for ``HttpSession``: URLs, headers, auth, bodies, errors.

- :func:`parse_target` validates and splits a URL once (the session caches it);
- :func:`merge_headers`/:func:`put_header` work on the (plain dict, lower-case
  map) pair the session sends, copying the session's cached pair first;
- :func:`encode_params`/:func:`with_query`/:func:`encode_body` turn
  requests-style arguments into a query string or a body (multipart
  through urllib3);
- :func:`map_error` turns urllib3/socket errors into requests-style ones;
- :func:`redirect_request` applies requests' rules for the next hop.
"""

import base64
import json as _json
import os
from collections.abc import Mapping
from urllib.parse import unquote, urlencode, urljoin, urlsplit

from urllib3.exceptions import ConnectTimeoutError as _U3ConnectTimeout
from urllib3.exceptions import DecodeError as _U3DecodeError
from urllib3.exceptions import LocationValueError as _U3LocationValueError
from urllib3.exceptions import NewConnectionError as _U3NewConnectionError
from urllib3.exceptions import ProxyError as _U3ProxyError
from urllib3.exceptions import ReadTimeoutError as _U3ReadTimeout
from urllib3.exceptions import SSLError as _U3SSLError
from urllib3.fields import RequestField
from urllib3.filepost import encode_multipart_formdata

from .exceptions import (
    ConnectionError,
    ConnectTimeout,
    ContentDecodingError,
    InvalidHeader,
    InvalidSchema,
    InvalidURL,
    MissingSchema,
    ProxyError,
    ReadTimeout,
    RequestException,
    SSLError,
)
from .response import PreparedRequest

__all__ = ["Target", "parse_target", "map_error", "redirect_request", "merge_headers",
           "put_header", "basic_auth_header", "encode_params", "with_query", "encode_body"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


# ---------------------------------------------------------------------------
# URLs and errors
# ---------------------------------------------------------------------------

class Target:
    """A parsed, validated URL (cached per URL string by the session)."""

    __slots__ = ("scheme", "host", "port", "netloc", "origin", "path", "auth", "pool_key")

    def __init__(self, scheme, host, port, netloc, path, auth):
        self.scheme = scheme
        self.host = host
        self.port = port
        self.netloc = netloc
        self.origin = scheme + "://" + netloc
        self.path = path          # path and query, never empty
        self.auth = auth          # (user, password) from the URL, or None
        self.pool_key = (host, port)


def parse_target(url):
    """Validate an absolute URL. Raises MissingSchema, InvalidSchema or InvalidURL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL("Invalid URL %r: %s" % (url, exc)) from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise MissingSchema("Invalid URL %r: No scheme supplied. Perhaps you meant https://%s?"
                            % (url, url))
    if scheme not in _DEFAULT_PORTS:
        raise InvalidSchema("No connection adapters were found for %r" % (url,))
    host = parts.hostname
    if not host:
        raise InvalidURL("Invalid URL %r: No host supplied" % (url,))
    if any(c in host for c in " \t\r\n\\%") or host.startswith(".") or ".." in host:
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
    return Target(scheme, host, port or _DEFAULT_PORTS[scheme], netloc, path, auth)


def map_error(exc, request):
    """The requests-style exception for a urllib3 or socket error."""
    if isinstance(exc, _U3NewConnectionError):  # a subclass of ConnectTimeoutError!
        cls = ConnectionError
    elif isinstance(exc, _U3ConnectTimeout):
        cls = ConnectTimeout
    elif isinstance(exc, (_U3ReadTimeout, TimeoutError)):
        cls = ReadTimeout
    elif isinstance(exc, _U3ProxyError):
        cls = ProxyError
    elif isinstance(exc, _U3SSLError):
        cls = SSLError
    elif isinstance(exc, _U3DecodeError):
        cls = ContentDecodingError
    elif isinstance(exc, _U3LocationValueError):
        cls = InvalidURL
    else:
        cls = ConnectionError
    return cls(exc, request=request)


def redirect_request(response, location, prep, target):
    """(PreparedRequest, Target) of the next hop, as requests builds it.

    303, and 302 for anything but HEAD, become GET, and so does a POST
    answered by 301; except after 307/308 the body and its headers are
    dropped; the Cookie header is dropped (the jar makes a new one) and so
    is Authorization when the host (or scheme and port, http:80 ->
    https:443 aside) changes. Raises InvalidSchema/InvalidURL/MissingSchema
    with ``response`` set when the Location cannot be followed.
    """
    if location.startswith("//"):
        location = target.scheme + ":" + location
    try:
        new_target = parse_target(urljoin(response.url, location).partition("#")[0])
    except RequestException as exc:
        exc.response = response
        raise
    method = prep.method
    status = response.status_code
    if (status in (302, 303) and method != "HEAD") or (status == 301 and method == "POST"):
        method = "GET"
    headers = dict(prep._headers)
    lower = {k.lower(): k for k in headers}
    body = prep.body
    drop = ["cookie"]
    if status not in (307, 308):
        body = None
        drop += ["content-length", "content-type", "transfer-encoding"]
    if new_target.host != target.host or (
            (new_target.scheme, new_target.port) != (target.scheme, target.port)
            and not (target.scheme == "http" and target.port == 80
                     and new_target.scheme == "https" and new_target.port == 443)):
        drop.append("authorization")
    for low in drop:
        key = lower.pop(low, None)
        if key is not None:
            del headers[key]
    return PreparedRequest(method, new_target.origin + new_target.path, headers, body), new_target


# ---------------------------------------------------------------------------
# Headers
# ---------------------------------------------------------------------------

def merge_headers(plain, lower, extra):
    """``plain`` (a dict) with ``extra`` merged over it case-insensitively.

    A None value in ``extra`` removes the header. Returns new (dict, lower map).
    """
    headers = plain.copy()
    lower = lower.copy()
    items = extra.items() if hasattr(extra, "items") else extra
    for key, value in items:
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        low = key.lower()
        old = lower.pop(low, None)
        if old is not None:
            del headers[old]
        if value is not None:
            if not isinstance(value, (str, bytes)):
                raise InvalidHeader("Header part (%r) from ('%s', %r) must be of type str or bytes"
                                    % (value, key, value))
            headers[key] = value
            lower[low] = key
    return headers, lower


def put_header(plain, lower, owned, name, value):
    """``plain`` and ``lower`` with header ``name`` set, whatever its spelling there.

    Unless ``owned`` (the caller made them), they are copied first: the
    session's defaults are shared and cached. Returns (dict, lower map).
    """
    if not owned:
        plain, lower = plain.copy(), lower.copy()
    low = name.lower()
    old = lower.pop(low, None)
    if old is not None:
        del plain[old]
    plain[name] = value
    lower[low] = name
    return plain, lower


def basic_auth_header(username, password):
    """The value of an ``Authorization: Basic`` header."""
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


# ---------------------------------------------------------------------------
# Query strings and bodies
# ---------------------------------------------------------------------------

def _pairs(value):
    """(key, value) pairs of a mapping or an iterable of pairs, lists expanded, None dropped."""
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
    if hasattr(params, "__iter__"):
        return urlencode([(k.encode("utf-8") if isinstance(k, str) else k,
                           v.encode("utf-8") if isinstance(v, str) else v)
                          for k, v in _pairs(params)])
    return params


def with_query(path, params, session_params):
    """``path`` with the query of ``params`` and ``session_params`` appended (session's first).

    Either may be a dict, a list of pairs, or (``params`` only) a str or
    bytes query, appended as is.
    """
    if not session_params:
        query = encode_params(params)
    else:
        merged = dict(session_params.items() if hasattr(session_params, "items")
                      else session_params)
        if not params:
            query = encode_params(merged)
        elif isinstance(params, (str, bytes)):
            query = encode_params(merged) + "&" + encode_params(params)
        else:
            merged.update(params.items() if hasattr(params, "items") else params)
            query = encode_params(merged)
    if query:
        path = path + ("&" if "?" in path else "?") + query
    return path


def _encode_files(files, data):
    if isinstance(data, (str, bytes)):
        raise ValueError("Data must not be a string when files are sent.")
    fields = []
    for field, val in _pairs(data or {}):
        if isinstance(field, bytes):
            field = field.decode("utf-8")
        if not isinstance(val, bytes):
            val = str(val).encode("utf-8")
        fields.append((field, val))
    for name, val in (files.items() if isinstance(files, Mapping) else files):
        ctype = fheaders = None
        if isinstance(val, (tuple, list)):
            if len(val) == 2:
                fname, fobj = val
            elif len(val) == 3:
                fname, fobj, ctype = val
            else:
                fname, fobj, ctype, fheaders = val
        else:
            fobj = val
            fname = getattr(val, "name", None)
            fname = os.path.basename(fname) if isinstance(fname, str) and fname[:1] != "<" else name
        if fobj is None:
            continue
        fdata = fobj.read() if hasattr(fobj, "read") else fobj
        field = RequestField(name=name, data=fdata, filename=fname, headers=fheaders)
        field.make_multipart(content_type=ctype)
        fields.append(field)
    return encode_multipart_formdata(fields)


def encode_body(data, files, json):
    """(body, content type or None) for the ``data``, ``files`` and ``json`` arguments.

    Like requests: ``files`` -> multipart (with ``data`` as extra fields);
    ``json`` (when there is no data) -> UTF-8 JSON; a dict or a list/tuple of
    pairs -> form-urlencoded; str/bytes -> as is; a file-like object is read
    whole; any other iterable is sent with chunked transfer encoding.
    Raises ValueError for JSON that cannot be encoded (NaN, cycles).
    """
    if files:
        return _encode_files(files, data)
    if not data and json is not None:
        return _json.dumps(json, allow_nan=False).encode("utf-8"), "application/json"
    if not data:
        return None, None
    if isinstance(data, (str, bytes, bytearray)):
        return data, None
    if hasattr(data, "read"):
        return data.read(), None
    if isinstance(data, (Mapping, list, tuple)):
        return encode_params(data), "application/x-www-form-urlencoded"
    return data, None
