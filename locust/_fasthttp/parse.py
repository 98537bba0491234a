"""Reading a response: the head with a few bytes operations, the body by its framing.

:func:`read_head` finds the end of the head in the connection's buffer
(``bytearray.find``), copies the head out once and lower-cases it once, then
looks up the only three headers the transfer needs (Content-Length,
Transfer-Encoding, Connection) with ``bytes.find``: no per-line objects, no
header dict.  The headers a locustfile asks for are parsed later, on first
access (:class:`locust._fasthttp.response.Headers`).

Measured on this machine for a typical nginx head (6 headers): 0.98 us per
response for this parse, against 1.11 us for ``httptools`` (llhttp, C) with
the header callbacks needed to see those three headers (0.69 us without
any header callback, which cannot frame the body): the C parser does not
pay for its Python callbacks, so it is not a dependency.

:class:`BodyReader` reads a body framed by Content-Length, chunked transfer
coding or the end of the connection, whole (:meth:`BodyReader.read_all`) or
piece by piece (``stream=True``).  A body that ends early raises
ChunkedEncodingError (requests' name for a broken body).
"""

import contextlib

from .._http.exceptions import ChunkedEncodingError, ConnectionError

__all__ = ["read_head", "BodyReader", "UNTIL_CLOSE"]

#: ``length`` of a body that ends when the server closes the connection.
UNTIL_CLOSE = -1
_NO_BODY_STATI = frozenset((204, 304))


class BadResponse(ConnectionError):
    """The server sent something that is not an HTTP/1.x response."""


def read_head(conn, method):
    """Parse the response head at ``conn.buf[conn.start:]`` (reading more as needed).

    Informational (1xx) heads other than 101 are skipped.  Returns
    ``(status, head, lower, length, chunked, will_close)``: ``head`` is the
    head as bytes without its final blank line, ``lower`` the same
    lower-cased, ``length`` the body length (0: no body, UNTIL_CLOSE: until
    the connection closes).  On return ``conn.start`` points at the body.
    Raises BadResponse, ConnectionError, ReadTimeout.
    """
    while True:
        buf = conn.buf
        start = conn.start
        idx = buf.find(b"\r\n\r\n", start, conn.end)
        while idx < 0:
            if conn.fill() == 0:
                raise BadResponse("RemoteDisconnected: the connection closed in the middle "
                                  "of the response head")
            buf = conn.buf  # fill() may have moved the bytes to another buffer
            start = conn.start
            idx = buf.find(b"\r\n\r\n", start, conn.end)
        head = bytes(buf[start:idx])
        conn.start = idx + 4
        if head[:7] != b"HTTP/1." or head[8:9] != b" ":
            raise BadResponse("BadStatusLine: %r" % head[:40])
        try:
            status = int(head[9:12])
        except ValueError:
            raise BadResponse("BadStatusLine: %r" % head[:40]) from None
        if status >= 200 or status == 101:
            break
    lower = head.lower()
    size = len(lower)

    # Connection: HTTP/1.1 keeps it unless "close"; 1.0 closes unless "keep-alive".
    # (The head has no final CRLF: a header on the last line ends at ``size``.)
    i = lower.find(b"\nconnection:")
    if i < 0:
        will_close = head[7] != 49  # b"1"
    else:
        j = lower.find(b"\n", i + 12)
        if j < 0:
            j = size
        if head[7] == 49:
            will_close = lower.find(b"close", i + 12, j) >= 0
        else:
            will_close = lower.find(b"keep-alive", i + 12, j) < 0

    if method == "HEAD" or status in _NO_BODY_STATI or status < 200:
        return status, head, lower, 0, False, will_close or status == 101

    i = lower.find(b"\ntransfer-encoding:")
    if i >= 0:
        j = lower.find(b"\n", i + 19)
        if lower[i + 19:j if j >= 0 else size].rstrip().endswith(b"chunked"):
            return status, head, lower, 0, True, will_close
        return status, head, lower, UNTIL_CLOSE, False, True
    i = lower.find(b"\ncontent-length:")
    if i >= 0:
        j = lower.find(b"\n", i + 16)
        try:
            length = int(head[i + 16:j if j >= 0 else size])
        except ValueError:
            raise BadResponse("invalid Content-Length in %r" % head[:200]) from None
        if length < 0:
            raise BadResponse("negative Content-Length")
        return status, head, lower, length, False, will_close
    return status, head, lower, UNTIL_CLOSE, False, True


class BodyReader:
    """Reads one response body from a connection, then hands the connection back.

    ``length``: the Content-Length, or UNTIL_CLOSE; ``chunked``: chunked
    transfer coding.  ``done(reusable)`` is called once, when the body has
    been read to its end (reusable unless the connection must close) or
    reading failed (not reusable).
    """

    __slots__ = ("conn", "remaining", "chunked", "chunk_left", "done", "_finish", "will_close")

    def __init__(self, conn, length, chunked, will_close, finish):
        self.conn = conn
        self.remaining = length
        self.chunked = chunked
        self.chunk_left = 0
        self.done = False
        self.will_close = will_close
        self._finish = finish
        if not chunked and length == 0:
            self._end(True)

    def _end(self, reusable):
        if not self.done:
            self.done = True
            self._finish(self.conn, reusable and not self.will_close)

    def read_all(self):
        """The rest of the body as bytes. Raises ChunkedEncodingError, ReadTimeout, ConnectionError."""
        if self.done:
            return b""
        if not self.chunked and self.remaining > 0:
            return self.read()
        parts = []
        while True:
            part = self.read()
            if not part:
                return b"".join(parts)
            parts.append(part)

    def read(self, amt=None):
        """Up to ``amt`` bytes of the body (all the rest when None); b"" at its end.

        May return fewer bytes than asked before the end (what has arrived).
        """
        if self.done:
            return b""
        try:
            if self.chunked:
                return self._read_chunked(amt)
            remaining = self.remaining
            if remaining == UNTIL_CLOSE:
                return self._read_until_close(amt)
            if amt is not None and amt < remaining:
                remaining = min(amt, self._available())
            data = self._take(remaining)
            self.remaining -= remaining
            if self.remaining == 0:
                self._end(True)
            return data
        except BaseException:
            self._end(False)
            raise

    def close(self):
        """Stop reading: the connection is closed unless the body was read to its end."""
        self._end(False)

    def __del__(self):
        # A streamed response dropped unread: without this its connection
        # would stay busy, and ``concurrency`` such responses would make the
        # next request wait forever.
        if not self.done:
            with contextlib.suppress(Exception):  # interpreter shutdown
                self._end(False)

    # -- framings ------------------------------------------------------------

    def _available(self):
        """Bytes in the buffer, reading once if it is empty (at least 1; raises at EOF)."""
        conn = self.conn
        if conn.end == conn.start:
            conn.start = conn.end = 0
            if conn.fill() == 0:
                raise ChunkedEncodingError("IncompleteRead: the connection closed before "
                                           "the end of the body")
        return conn.end - conn.start

    def _take(self, size):
        """Exactly ``size`` bytes: from the buffer, then straight from the socket."""
        conn = self.conn
        start = conn.start
        avail = conn.end - start
        if avail >= size:
            conn.start = start + size
            return bytes(conn.view[start:start + size])
        body = bytearray(size)
        body[:avail] = conn.view[start:conn.end]
        conn.start = conn.end = 0
        pos = avail
        with memoryview(body) as view:
            while pos < size:
                n = conn.recv_into(view[pos:])
                if n == 0:
                    raise ChunkedEncodingError(
                        "IncompleteRead: %d bytes read, %d more expected" % (pos, size - pos))
                pos += n
        return bytes(body)

    def _read_until_close(self, amt):
        conn = self.conn
        if conn.end == conn.start:
            conn.start = conn.end = 0
            if conn.fill() == 0:
                self._end(False)
                return b""
        start = conn.start
        n = conn.end - start if amt is None else min(amt, conn.end - start)
        conn.start = start + n
        return bytes(conn.view[start:start + n])

    def _line(self):
        """The next CRLF-terminated line of the buffer, without the CRLF."""
        conn = self.conn
        idx = conn.buf.find(b"\r\n", conn.start, conn.end)
        while idx < 0:
            if conn.end - conn.start > 4096:
                raise ChunkedEncodingError("chunk size line too long")
            if conn.fill() == 0:
                raise ChunkedEncodingError("the connection closed in the middle of a chunked body")
            idx = conn.buf.find(b"\r\n", conn.start, conn.end)
        line = bytes(conn.view[conn.start:idx])
        conn.start = idx + 2
        return line

    def _read_chunked(self, amt):
        if self.chunk_left == 0:
            line = self._line()
            try:
                size = int(line.split(b";", 1)[0], 16)
            except ValueError:
                raise ChunkedEncodingError("invalid chunk size line %r" % line[:40]) from None
            if size < 0:
                raise ChunkedEncodingError("invalid chunk size line %r" % line[:40])
            if size == 0:
                while self._line():  # trailer fields, up to the blank line
                    pass
                self._end(True)
                return b""
            self.chunk_left = size
        size = self.chunk_left
        if amt is not None and amt < size:
            size = min(amt, self._available())
        data = self._take(size)
        self.chunk_left -= size
        if self.chunk_left == 0 and self._line():
            raise ChunkedEncodingError("a chunk is not followed by CRLF")
        return data
