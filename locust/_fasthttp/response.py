"""The fast client's response: what requests' and upstream's responses offer, built lazily.

A :class:`FastResponse` is made on the hot path of every request, so it
starts as a handful of attributes (status, the head as bytes, the body as
received); ``headers``, ``reason``, ``cookies``, ``request``, ``text`` and
the decoded ``content`` (gzip/deflate) are computed on first access.
"""

import codecs
import datetime
import json as _json
import zlib
from collections.abc import Mapping

from .._http.exceptions import ContentDecodingError, HTTPError, StreamConsumedError
from ..exception import LocustError
from .request import Request

__all__ = ["Headers", "FastResponse", "REDIRECT_STATI"]

_UNSET = object()
REDIRECT_STATI = frozenset((301, 302, 303, 307, 308))
_EMPTY_HEAD = b""


class Headers(Mapping):
    """Response headers: case-insensitive, in the order received, repeats kept.

    ``headers["name"]`` and ``get`` give repeated headers joined with
    ", " (as requests); ``getlist``/``get_all`` give each value.
    """

    __slots__ = ("_list", "_dict")

    def __init__(self, head=_EMPTY_HEAD):
        pairs = []
        joined = {}
        if head:
            for line in head.decode("latin-1").split("\r\n")[1:]:
                if line[:1] in (" ", "\t") and pairs:  # obsolete line folding
                    name, value = pairs[-1]
                    pairs[-1] = (name, (value + " " + line.strip()).strip())
                    joined[name.lower()] = pairs[-1][1]
                    continue
                name, sep, value = line.partition(":")
                if not sep or not name:
                    continue
                value = value.strip(" \t")
                pairs.append((name, value))
                low = name.lower()
                old = joined.get(low)
                joined[low] = value if old is None else old + ", " + value
        self._list = pairs
        self._dict = joined

    @classmethod
    def from_pairs(cls, pairs):
        """Headers from (name, value) pairs."""
        headers = cls()
        for name, value in pairs:
            headers._list.append((name, value))
            low = name.lower()
            old = headers._dict.get(low)
            headers._dict[low] = value if old is None else old + ", " + value
        return headers

    def __getitem__(self, name):
        return self._dict[name.lower()]

    def get(self, name, default=None):
        """The value of header ``name`` (any case), repeats joined; ``default`` if absent."""
        return self._dict.get(name.lower(), default)

    def __contains__(self, name):
        return isinstance(name, str) and name.lower() in self._dict

    def __iter__(self):
        seen = set()
        for name, _ in self._list:
            low = name.lower()
            if low not in seen:
                seen.add(low)
                yield name

    def __len__(self):
        return len(self._dict)

    def getlist(self, name):
        """Every value of header ``name``, in order (an empty list if absent)."""
        name = name.lower()
        return [value for key, value in self._list if key.lower() == name]

    get_all = getlist

    def pairs(self):
        """(name, value) of every header line, in order."""
        return list(self._list)

    def copy(self):
        """A plain dict of the headers (repeats joined)."""
        return dict(self.items())

    def __repr__(self):
        return repr(dict(self.items()))


def _content_type(headers):
    value = headers.get("content-type")
    if not value:
        return None, {}
    kind, _, rest = value.partition(";")
    params = {}
    for param in rest.split(";"):
        key, sep, val = param.strip().partition("=")
        if sep:
            params[key.strip().lower()] = val.strip(" \"'")
    return kind.strip().lower(), params


def _decoder(encoding):
    encoding = encoding.strip().lower()
    if encoding == "gzip" or encoding == "x-gzip":
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return _Deflate()
    return None


class _Deflate:
    """'deflate' is zlib-wrapped by the standard, raw deflate by some servers: try both."""

    def __init__(self):
        self._obj = None
        self._first = b""

    def decompress(self, data):
        if self._obj is None:
            self._first += data
            try:
                obj = zlib.decompressobj()
                out = obj.decompress(self._first)
            except zlib.error:
                obj = zlib.decompressobj(-zlib.MAX_WBITS)
                out = obj.decompress(self._first)
            self._obj = obj
            return out
        return self._obj.decompress(data)

    def flush(self):
        return self._obj.flush() if self._obj is not None else b""


class FastResponse:
    """The answer to one request of :class:`~locust.contrib.fasthttp.FastHttpSession`.

    ``status_code`` (0 when the request failed for network reasons: then
    ``error`` holds the exception and ``content`` is None), ``reason``,
    ``headers`` (case-insensitive), ``content`` (bytes, gzip/deflate decoded
    on first access), ``text``, ``json()``, ``url``, ``elapsed``,
    ``request``, ``ok``, ``raise_for_status()``, ``cookies``, ``history``,
    ``encoding``; with ``stream=True``: ``stream``/``raw`` (a file-like
    object), ``iter_content()``, ``iter_lines()``, ``read()``.
    """

    status_code = 0
    error = None
    url = None
    history = ()
    _head = _EMPTY_HEAD
    _body = None                # the body as received (before decoding)
    _reader = None              # BodyReader while streaming
    _content = _UNSET
    _headers = None
    _reason = None
    _encoding = _UNSET
    _cookies = None
    _set_cookies = ()
    _prep = None
    _sent_body = None
    _request = None
    _elapsed = 0.0
    _consumed = False           # a streamed body was read by read()/iter_content
    _unread = None              # what read() has not returned yet (without stream=True)

    @classmethod
    def failed(cls, exc, prep, url=None):
        """The status 0 response of safe mode for ``exc``."""
        response = cls()
        response.error = exc
        response._prep = prep
        response._content = None
        response.url = url if prep is None else prep.target.url
        if getattr(exc, "request", None) is None:
            exc.request = response.request
        return response

    # -- head ------------------------------------------------------------------

    @property
    def headers(self):
        """The response headers (case-insensitive; parsed on first access)."""
        headers = self._headers
        if headers is None:
            headers = self._headers = Headers(self._head)
        return headers

    @headers.setter
    def headers(self, value):
        self._headers = value

    @property
    def reason(self):
        """The reason phrase ("OK"), or the error's class name for a failed request."""
        reason = self._reason
        if reason is None:
            if self.error is not None:
                reason = type(self.error).__name__
            else:
                reason = self._head.partition(b"\r\n")[0][13:].decode("latin-1").strip()
            self._reason = reason
        return reason

    @reason.setter
    def reason(self, value):
        self._reason = value

    @property
    def request(self):
        """The request sent (``method``, ``url``, ``headers``, ``body``)."""
        request = self._request
        if request is None and self._prep is not None:
            prep = self._prep
            # A copy: the prepared request is shared by the requests (and sessions) like it.
            request = self._request = Request(prep.method, prep.target.url, dict(prep.headers),
                                              prep.body)
        return request

    @request.setter
    def request(self, value):
        self._request = value

    @property
    def elapsed(self):
        """Time from sending the request to having read the response head."""
        return datetime.timedelta(seconds=self._elapsed)

    @property
    def cookies(self):
        """A jar of the cookies this response set."""
        jar = self._cookies
        if jar is None:
            from .cookies import CookieJar
            jar = self._cookies = CookieJar()
            for cookie in self._set_cookies:
                jar.set_cookie(cookie)
        return jar

    @property
    def ok(self):
        """False for a 4xx/5xx status or a failed (status 0) request."""
        return self.error is None and not 400 <= self.status_code < 600

    def __bool__(self):
        return self.ok

    @property
    def is_redirect(self):
        """True for a 301/302/303/307/308 with a Location header."""
        return self.status_code in REDIRECT_STATI and "location" in self.headers

    def _http_error(self):
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
        """Raise the error of a failed request, or HTTPError for a 4xx/5xx status."""
        if self.error is not None:
            raise self.error
        error = self._http_error()
        if error is not None:
            raise error

    # -- body ------------------------------------------------------------------

    def _decoder(self):
        encoding = self.headers.get("content-encoding")
        return _decoder(encoding.split(",")[-1]) if encoding else None

    @property
    def content(self):
        """The body as bytes, decoded from gzip/deflate; None after a failed request.

        With ``stream=True``, reads the rest of the body first. Raises
        ContentDecodingError for a body that does not decode, StreamConsumedError
        when ``iter_content`` already read it, and the network errors of reading.
        """
        content = self._content
        if content is _UNSET:
            body = self._body
            if body is None:
                reader = self._reader
                if reader is None:
                    return None
                if self._consumed:
                    raise StreamConsumedError("The content for this response was already consumed")
                body = self._body = reader.read_all()
                self._reader = None
            decoder = self._decoder()
            if decoder is not None and body:
                try:
                    body = decoder.decompress(body) + decoder.flush()
                except zlib.error as exc:
                    raise ContentDecodingError("Received response with content-encoding %s, "
                                               "but failed to decode it: %s"
                                               % (self.headers.get("content-encoding"), exc),
                                               response=self) from exc
            content = self._content = body
        return content

    @property
    def encoding(self):
        """The charset ``text`` uses: the Content-Type's, else requests' defaults; settable.

        Without a charset: ISO-8859-1 for ``text/*``, UTF-8 for JSON, else
        None (``text`` then guesses UTF-8, falling back to ISO-8859-1).
        """
        encoding = self._encoding
        if encoding is _UNSET:
            kind, params = _content_type(self.headers)
            encoding = params.get("charset")
            if not encoding and kind:
                if kind.startswith("text/"):
                    encoding = "ISO-8859-1"
                elif kind == "application/json" or kind.endswith("+json"):
                    encoding = "utf-8"
            self._encoding = encoding = encoding or None
        return encoding

    @encoding.setter
    def encoding(self, value):
        self._encoding = value

    @property
    def apparent_encoding(self):
        """"utf-8" if the body decodes as UTF-8, else "ISO-8859-1" (no chardet)."""
        try:
            (self.content or b"").decode("utf-8")
        except UnicodeDecodeError:
            return "ISO-8859-1"
        return "utf-8"

    @property
    def text(self):
        """The body as str ("" after a failed request)."""
        content = self.content
        if not content:
            return ""
        encoding = self.encoding or self.apparent_encoding
        try:
            return str(content, encoding, errors="replace")
        except LookupError:
            return str(content, "utf-8", errors="replace")

    def json(self, **kwargs):
        """The body parsed as JSON. Raises ``json.JSONDecodeError`` (a ValueError)."""
        content = self.content
        if self._encoding is _UNSET or self._encoding is None:
            return _json.loads(content or b"", **kwargs)
        return _json.loads(self.text, **kwargs)

    # -- streaming ---------------------------------------------------------------

    @property
    def stream(self):
        """The body as a file-like object (``read(n)``) when the request used ``stream=True``."""
        return _Stream(self)

    raw = stream

    def read(self, amt=None):
        """Read up to ``amt`` bytes of a streamed body as received (not decoded)."""
        reader = self._reader
        if reader is None:
            body = self._body if self._unread is None else self._unread
            body = body or b""
            if amt is None or amt >= len(body):
                self._unread = b""
                return body
            self._unread = body[amt:]
            return body[:amt]
        self._consumed = True
        return reader.read(amt)

    def iter_content(self, chunk_size=1024, decode_unicode=False):
        """The body in pieces of up to ``chunk_size`` bytes, decoded from gzip/deflate.

        Streams from the network with ``stream=True``. ``decode_unicode``
        yields str (with ``encoding``, UTF-8 when unknown). Raises
        StreamConsumedError when the streamed body was already read.
        """
        if chunk_size is not None and not isinstance(chunk_size, int):
            raise TypeError("chunk_size must be an int, it is instead a %s." % type(chunk_size))
        chunks = self._chunks(chunk_size)
        if decode_unicode:
            chunks = _decode_text(chunks, self.encoding or "utf-8")
        return chunks

    def _chunks(self, chunk_size):
        reader = self._reader
        if reader is None or self._content is not _UNSET:
            content = self.content or b""
            step = chunk_size or len(content) or 1
            for pos in range(0, len(content), step):
                yield content[pos:pos + step]
            return
        if self._consumed:
            raise StreamConsumedError("The content for this response was already consumed")
        self._consumed = True
        decoder = self._decoder()
        while True:
            data = reader.read(chunk_size)
            if not data:
                break
            if decoder is not None:
                try:
                    data = decoder.decompress(data)
                except zlib.error as exc:
                    raise ContentDecodingError(exc, response=self) from exc
            if data:
                yield data
        if decoder is not None:
            tail = decoder.flush()
            if tail:
                yield tail

    def iter_lines(self, chunk_size=512, decode_unicode=False, delimiter=None):
        """The body line by line (line ends removed); see ``iter_content``."""
        pending = None
        for chunk in self.iter_content(chunk_size, decode_unicode):
            if pending is not None:
                chunk = pending + chunk
            lines = chunk.split(delimiter) if delimiter else chunk.splitlines()
            pending = lines.pop() if lines and lines[-1] and chunk and lines[-1][-1] == chunk[-1] \
                else None
            yield from lines
        if pending is not None:
            yield pending

    def close(self):
        """Give up a streamed body that was not read to its end (its connection is closed)."""
        reader = self._reader
        if reader is not None and not reader.done:
            reader.close()

    def success(self):
        """Only for ``catch_response=True``: raises LocustError here."""
        raise LocustError("If you want to change the state of the request, you must pass "
                          "catch_response=True.")

    def failure(self, exc):  # noqa: ARG002 - the signature of ResponseContextManager.failure
        """Only for ``catch_response=True``: raises LocustError here."""
        raise LocustError("If you want to change the state of the request, you must pass "
                          "catch_response=True.")

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __repr__(self):
        return "<FastResponse [%s]>" % (self.status_code,)


def _decode_text(chunks, encoding):
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    for chunk in chunks:
        text = decoder.decode(chunk)
        if text:
            yield text
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail


class _Stream:
    """A streamed body as a file-like object (``read``, iteration, ``close``)."""

    __slots__ = ("_response",)

    def __init__(self, response):
        self._response = response

    def read(self, amt=None):
        """Up to ``amt`` bytes as received (all the rest when None)."""
        return self._response.read(amt)

    def __iter__(self):
        while True:
            data = self._response.read(8192)
            if not data:
                return
            yield data

    def close(self):
        """Stop reading the body."""
        self._response.close()
