"""The requests-compatible ``Response`` that ``HttpSession`` returns, and its errors.

A :class:`Response` wraps one urllib3 ``HTTPResponse`` (``raw``) and offers the
attributes and methods of ``requests.Response`` that locustfiles use:
``status_code``, ``reason``, ``headers``, ``content``, ``text``, ``encoding``,
``json()``, ``url``, ``history``, ``cookies``, ``elapsed``, ``ok``,
``raise_for_status()``, ``iter_content()``, ``iter_lines()``, ``links``,
``request`` ...

It is built on the hot path of every request, so ``__init__`` does almost
nothing: rarely used attributes are class-level defaults, and ``encoding``,
``cookies`` and ``elapsed`` are computed on first access.

The exception classes mirror ``requests.exceptions`` (same names, same
hierarchy: everything derives from :class:`RequestException`, an ``OSError``),
so ``except RequestException`` in a locustfile written for requests still
catches what it should.

One deliberate difference from requests: without a charset in the
Content-Type header (and outside the cases where requests defaults to
ISO-8859-1 or UTF-8), ``apparent_encoding`` does not run chardet (not a
dependency); it answers "utf-8" when the body decodes as UTF-8, else
"ISO-8859-1", which decodes anything.
"""

import codecs
import datetime
import json as _json
import re

from urllib3._collections import HTTPHeaderDict
from urllib3.exceptions import DecodeError as _U3DecodeError
from urllib3.exceptions import ProtocolError as _U3ProtocolError
from urllib3.exceptions import ReadTimeoutError as _U3ReadTimeoutError
from urllib3.exceptions import SSLError as _U3SSLError
from urllib3.util.url import parse_url as _parse_url

from .cookies import RequestsCookieJar
from .exceptions import (
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
    StreamConsumedError,
    Timeout,
    TooManyRedirects,
)
from .structures import CaseInsensitiveDict

__all__ = [
    "Response", "PreparedRequest", "RequestException", "HTTPError",
    "ConnectionError", "ProxyError", "SSLError", "Timeout", "ConnectTimeout",
    "ReadTimeout", "TooManyRedirects", "InvalidURL", "MissingSchema",
    "InvalidSchema", "InvalidHeader", "ChunkedEncodingError",
    "ContentDecodingError", "StreamConsumedError", "InvalidJSONError", "JSONDecodeError",
]

#: Status codes of a redirect that can be followed automatically.
REDIRECT_STATI = frozenset((301, 302, 303, 307, 308))
_PERMANENT_STATI = frozenset((301, 308))
#: Read size when a streamed body is read whole (the same as requests).
CONTENT_CHUNK_SIZE = 10 * 1024


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def _parse_content_type(value):
    """``"text/html; charset=UTF-8"`` -> ("text/html", {"charset": "UTF-8"})."""
    parts = value.split(";")
    params = {}
    for param in parts[1:]:
        key, sep, val = param.strip().partition("=")
        if key:
            params[key.strip(" \"'").lower()] = val.strip(" \"'") if sep else True
    return parts[0].strip(), params


def get_encoding_from_headers(headers):
    """The charset the headers declare; requests' defaults when they declare none.

    ``text/*`` without a charset is ISO-8859-1 (RFC 2616, as requests does);
    ``application/json`` is UTF-8; anything else is None.
    """
    content_type = headers.get("content-type")
    if not content_type:
        return None
    content_type, params = _parse_content_type(content_type)
    charset = params.get("charset")
    if charset and charset is not True:
        return charset
    if "text" in content_type:
        return "ISO-8859-1"
    if "application/json" in content_type:
        return "utf-8"
    return None


def parse_header_links(value):
    """Parse a Link header into a list of dicts (``url`` plus its parameters)."""
    links = []
    strip = " '\""
    value = value.strip(strip)
    if not value:
        return links
    for val in re.split(", *<", value):
        url, _, params = val.partition(";")
        link = {"url": url.strip("<> '\"")}
        for param in params.split(";"):
            key, sep, pval = param.partition("=")
            if not sep:
                break
            link[key.strip(strip)] = pval.strip(strip)
        links.append(link)
    return links


def _iter_slices(data, size):
    if size is None or size <= 0 or size >= len(data):
        if data:
            yield data
        return
    for pos in range(0, len(data), size):
        yield data[pos:pos + size]


def _decode_stream(chunks, encoding):
    if encoding is None:
        yield from chunks
        return
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    for chunk in chunks:
        text = decoder.decode(chunk)
        if text:
            yield text
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail


# ---------------------------------------------------------------------------
# PreparedRequest
# ---------------------------------------------------------------------------

class PreparedRequest:
    """What was sent: ``method``, ``url``, ``headers``, ``body`` (requests' name).

    An auth callable receives one of these, may change ``headers`` (a
    case-insensitive dict), ``url`` or ``body``, and must return it.
    """

    __slots__ = ("method", "url", "_headers", "body")

    def __init__(self, method=None, url=None, headers=None, body=None):
        self.method = method
        self.url = url
        self._headers = headers
        self.body = body

    @property
    def headers(self):
        """The request headers (case-insensitive; built on first access)."""
        headers = self._headers
        if not isinstance(headers, CaseInsensitiveDict):
            headers = self._headers = CaseInsensitiveDict(headers or ())
        return headers

    @headers.setter
    def headers(self, value):
        self._headers = value

    @property
    def path_url(self):
        """The path and query of ``url`` (what the request line carried)."""
        parsed = _parse_url(self.url)
        return parsed.request_uri

    def copy(self):
        """A shallow copy (the headers are copied)."""
        return PreparedRequest(self.method, self.url, dict(self.headers.items()), self.body)

    def __repr__(self):
        return "<PreparedRequest [%s]>" % (self.method,)


# ---------------------------------------------------------------------------
# Response
# ---------------------------------------------------------------------------

_UNSET = object()


class Response:
    """The server's answer to one request, as in requests.

    A response from a request that failed in *safe mode* (connection
    refused, reset, timeout, TLS or protocol error, too many redirects) has
    ``status_code`` 0, ``content`` None, ``text`` "", ``reason`` naming the
    error, the error in ``error``, and ``raise_for_status()`` re-raises it.
    """

    #: Integer status code (0: the request failed before a response came).
    status_code = None
    #: Textual reason, e.g. "Not Found".
    reason = None
    #: Final URL of the response.
    url = None
    #: The urllib3 ``HTTPResponse`` (readable when the request used ``stream=True``).
    raw = None
    #: The :class:`PreparedRequest` this response answers.
    request = None
    #: The exception of a failed (status 0) request, else None.
    error = None
    _content = False            # False: not read yet (streaming)
    _content_consumed = False
    _encoding = _UNSET
    _cookies = None
    _elapsed = 0.0

    def __init__(self, status_code=None, reason=None, headers=None, url=None, request=None,
                 raw=None, elapsed=0.0, content=False, error=None):
        """The one place a Response is built: for each hop of a request, and by ``failed``.

        ``headers`` is a case-insensitive mapping (urllib3's HTTPHeaderDict;
        an empty one when None), ``elapsed`` seconds (float), ``content``
        the body as bytes, or False when it is still to be read from
        ``raw`` (``stream=True``), or None after a failed request; ``error``
        the exception of a failed request. Everything else a requests
        Response has is computed on first access or a class default, which
        keeps this constructor cheap on the request path.
        """
        self.status_code = status_code
        self.reason = reason
        #: Case-insensitive response headers.
        self.headers = HTTPHeaderDict() if headers is None else headers
        self.url = url
        self.request = request
        self.raw = raw
        self._elapsed = elapsed
        #: The redirect responses that led here, oldest first.
        self.history = []
        if content is not False:
            self._content = content
            self._content_consumed = True
        if error is not None:
            self.error = error

    @classmethod
    def failed(cls, exc, request):
        """The status 0 response of safe mode: ``exc`` in ``error``, no content.

        Its ``raise_for_status()`` raises ``exc``.
        """
        if exc.request is None:
            exc.request = request
        return cls(0, type(exc).__name__, None, request.url, request, None, 0.0, None, exc)

    # -- body ---------------------------------------------------------------

    @property
    def content(self):
        """The body as bytes, decoded from gzip/deflate (None after a failed request).

        Reads the rest of a streamed body. Raises RuntimeError if the stream
        was already consumed by ``iter_content``, and ConnectionError /
        ContentDecodingError / ReadTimeout if reading fails.
        """
        content = self._content
        if content is False:
            if self._content_consumed:
                raise RuntimeError("The content for this response was already consumed")
            if self.raw is None or self.status_code == 0:
                content = None
            else:
                content = b"".join(self.iter_content(CONTENT_CHUNK_SIZE))
            self._content = content
            self._content_consumed = True
        return content

    @property
    def text(self):
        """The body as str, decoded with ``encoding`` (or ``apparent_encoding``)."""
        content = self.content
        if not content:
            return ""
        encoding = self.encoding or self.apparent_encoding
        try:
            return str(content, encoding, errors="replace")
        except (LookupError, TypeError):
            # An unknown charset in the header: decode as UTF-8 like requests.
            return str(content, errors="replace")

    @property
    def encoding(self):
        """The encoding ``text`` uses: the Content-Type charset; settable.

        Without a charset: ISO-8859-1 for ``text/*``, UTF-8 for
        ``application/json``, else None (then ``text`` uses ``apparent_encoding``).
        """
        encoding = self._encoding
        if encoding is _UNSET:
            encoding = self._encoding = get_encoding_from_headers(self.headers)
        return encoding

    @encoding.setter
    def encoding(self, value):
        self._encoding = value

    @property
    def apparent_encoding(self):
        """A guess from the body: "utf-8" if it decodes as UTF-8, else "ISO-8859-1".

        (requests asks chardet; this guess needs no dependency and never fails.)
        """
        content = self.content or b""
        if content.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
            return "utf-32"
        if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            return "ISO-8859-1"
        return "utf-8"

    def json(self, **kwargs):
        """The body parsed as JSON; ``kwargs`` go to ``json.loads``.

        Raises :class:`JSONDecodeError` when it is not JSON: a
        ``json.JSONDecodeError`` (a ValueError) and a RequestException, as in
        requests.
        """
        try:
            if self.encoding is None:
                # json.loads detects UTF-8/16/32 on bytes by itself (RFC 8259).
                return _json.loads(self.content or b"", **kwargs)
            return _json.loads(self.text, **kwargs)
        except _json.JSONDecodeError as exc:
            raise JSONDecodeError(exc.msg, exc.doc, exc.pos, response=self) from exc

    def iter_content(self, chunk_size=1, decode_unicode=False):
        """Iterate over the body in chunks of up to ``chunk_size`` bytes.

        With ``stream=True`` the body is read from the network as the
        iteration goes. ``decode_unicode=True`` yields str decoded with
        ``encoding`` (bytes when it is None). Raises StreamConsumedError when
        a streamed body was already read, TypeError for a bad chunk_size, and
        ChunkedEncodingError / ContentDecodingError / ReadTimeout / SSLError
        when reading fails.
        """
        if chunk_size is not None and not isinstance(chunk_size, int):
            raise TypeError("chunk_size must be an int, it is instead a %s." % type(chunk_size))
        if self._content is False and self.raw is not None:
            if self._content_consumed:
                raise StreamConsumedError()
            chunks = self._stream(chunk_size)
        else:
            chunks = _iter_slices(self._content or b"", chunk_size)
        if decode_unicode:
            chunks = _decode_stream(chunks, self.encoding)
        return chunks

    def _stream(self, chunk_size):
        try:
            yield from self.raw.stream(chunk_size, decode_content=True)
        except _U3ProtocolError as exc:
            raise ChunkedEncodingError(exc, response=self) from exc
        except _U3DecodeError as exc:
            raise ContentDecodingError(exc, response=self) from exc
        except _U3ReadTimeoutError as exc:
            raise ReadTimeout(exc, response=self) from exc
        except _U3SSLError as exc:
            raise SSLError(exc, response=self) from exc
        except OSError as exc:
            raise ConnectionError(exc, response=self) from exc
        self._content_consumed = True

    def iter_lines(self, chunk_size=512, decode_unicode=False, delimiter=None):
        """Iterate over the body line by line (see ``iter_content`` for the rest).

        Lines are split by ``str.splitlines`` or at ``delimiter``; the line
        ends are not included. Not reentrant.
        """
        pending = None
        for chunk in self.iter_content(chunk_size=chunk_size, decode_unicode=decode_unicode):
            if pending is not None:
                chunk = pending + chunk
            lines = chunk.split(delimiter) if delimiter else chunk.splitlines()
            pending = lines.pop() if lines and lines[-1] and chunk and lines[-1][-1] == chunk[-1] else None
            yield from lines
        if pending is not None:
            yield pending

    def __iter__(self):
        return self.iter_content(128)

    # -- metadata -------------------------------------------------------------

    @property
    def cookies(self):
        """The cookies this response set (a RequestsCookieJar: ``response.cookies["name"]``)."""
        jar = self._cookies
        if jar is None:
            jar = self._cookies = RequestsCookieJar()
        return jar

    @cookies.setter
    def cookies(self, jar):
        self._cookies = jar

    @property
    def elapsed(self):
        """Time from sending the request to having parsed the response headers."""
        return datetime.timedelta(seconds=self._elapsed)

    @elapsed.setter
    def elapsed(self, value):
        self._elapsed = value.total_seconds()

    @property
    def links(self):
        """The parsed Link header: {rel (or url): {"url": ..., "rel": ..., ...}}."""
        header = self.headers.get("link")
        result = {}
        if header:
            for link in parse_header_links(header):
                result[link.get("rel") or link.get("url")] = link
        return result

    @property
    def is_redirect(self):
        """True for a 301/302/303/307/308 with a Location header."""
        return self.status_code in REDIRECT_STATI and "location" in self.headers

    @property
    def is_permanent_redirect(self):
        """True for a 301/308 with a Location header."""
        return self.status_code in _PERMANENT_STATI and "location" in self.headers

    @property
    def next(self):
        """The next request of a redirect chain that was not followed (always None)."""
        return None

    @property
    def ok(self):
        """False for a 4xx/5xx status or a failed (status 0) request."""
        return self.error is None and not 400 <= self.status_code < 600

    def __bool__(self):
        return self.ok

    def _http_error(self):
        """The HTTPError ``raise_for_status`` raises, or None (internal helper)."""
        code = self.status_code
        if 400 <= code < 500:
            kind = "Client"
        elif 500 <= code < 600:
            kind = "Server"
        else:
            return None
        return HTTPError("%s %s Error: %s for url: %s" % (code, kind, self.reason, self.url),
                         response=self)

    def raise_for_status(self):
        """Raise the stored error of a failed request, or HTTPError for 4xx/5xx."""
        if self.error is not None:
            raise self.error
        error = self._http_error()
        if error is not None:
            raise error

    def close(self):
        """Release the connection of a streamed response (not normally needed)."""
        raw = self.raw
        if raw is None:
            return
        if not self._content_consumed and self._content is False:
            raw.close()
        release = getattr(raw, "release_conn", None)
        if release is not None:
            release()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __repr__(self):
        return "<Response [%s]>" % (self.status_code,)
