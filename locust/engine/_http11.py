"""HTTP/1.1 on one server connection: buffered reads, request heads and bodies, raw writes.

The wire half of :mod:`locust.engine.wsgi` (which keeps the server and its
accept loop; :mod:`locust.engine._wsgi_request` turns a head into an
environ and runs the application).  Split out because the server module had
grown past what one reads in a sitting.

:class:`Connection` owns the socket and a byte buffer: ``read_head`` returns
the lines of the next request head (one ``find(b"\\r\\n\\r\\n")`` over what
``recv`` returned, one latin-1 decode), ``read_exact``/``read_line`` serve
:class:`RequestBody` (``wsgi.input``: Content-Length or chunked), and
``send_raw``/``send_error`` write.  Its ``io``/``progress`` attributes are
what the server's sweeper watches to close stuck connections.  Errors are
:class:`BadRequest` (answer ``code``, then close), :class:`ConnectionLost`
(the client is gone: nothing to answer) and :class:`BadChunk` (a malformed
chunked body, seen by the application as a ValueError).
"""

import contextlib
import socket as _socket
import sys
import time

from .hub import clock

#: Longest request line accepted (longer: 414).
MAX_REQUEST_LINE = 65536
#: Longest request head (request line and headers) accepted (longer: 431).
MAX_HEADERS_SIZE = 65536
#: Unread request body the server will read and discard to keep a
#: connection alive; a larger leftover closes the connection instead.
MAX_DRAIN = 1 << 20

_RECV_SIZE = 65536
_SMALLEST_LIMIT = min(MAX_REQUEST_LINE, MAX_HEADERS_SIZE)
_HEX = b"0123456789abcdefABCDEF"

_REASONS = {400: "Bad Request", 408: "Request Timeout", 414: "URI Too Long",
            431: "Request Header Fields Too Large",
            500: "Internal Server Error", 501: "Not Implemented",
            505: "HTTP Version Not Supported"}

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
           "Oct", "Nov", "Dec")
_date_cache = [0, ""]


def http_date():
    """The current time as an HTTP date ("Sun, 06 Nov 1994 08:49:37 GMT")."""
    # Formatted once per second: strftime costs more than a whole trivial
    # request otherwise, and %a/%b would follow the locale.
    now = int(time.time())
    if now != _date_cache[0]:
        t = time.gmtime(now)
        _date_cache[1] = "%s, %02d %s %04d %02d:%02d:%02d GMT" % (
            _WEEKDAYS[t.tm_wday], t.tm_mday, _MONTHS[t.tm_mon], t.tm_year,
            t.tm_hour, t.tm_min, t.tm_sec)
        _date_cache[0] = now
    return _date_cache[1]


class BadRequest(Exception):
    """A request we refuse; ``code`` is the status to answer with."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class ConnectionLost(Exception):
    """The client went away (or timed out) in the middle of a request."""


class BadChunk(ValueError):
    """A malformed chunked request body (what wsgi.input raises on one)."""


# ---------------------------------------------------------------------------
# wsgi.input
# ---------------------------------------------------------------------------

class RequestBody:
    """``wsgi.input``: reads exactly the request body, then returns b"".

    Content-Length bodies count down; chunked bodies are decoded (chunk
    extensions and trailers are read and ignored).  Raises ConnectionLost
    (handled by the server) if the client closes the connection before the
    body is complete, and BadChunk (a ValueError) on a malformed chunked body.
    """

    __slots__ = ("_conn", "_left", "_chunked", "_done", "_continue")

    def __init__(self, conn, length, chunked=False, expect_continue=False):
        self._conn = conn
        self._chunked = chunked
        self._left = 0 if chunked else length   # bytes left in body / chunk
        self._done = not chunked and length == 0
        self._continue = expect_continue and not self._done

    def _send_continue(self):
        self._continue = False
        self._conn.send_raw(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _next_chunk(self):
        # Sets _left to the next chunk's size, or _done after the last one.
        conn = self._conn
        line = conn.read_line(4096)
        if not line.endswith(b"\n"):
            raise BadChunk("malformed chunked body: chunk size line too long or truncated")
        size = line.split(b";", 1)[0].strip()
        if not size or size.translate(None, _HEX):
            raise BadChunk("malformed chunked body: bad chunk size %r" % size[:20])
        self._left = int(size, 16)
        if self._left == 0:
            # Trailers, up to the empty line that ends the body.
            total = 0
            while True:
                line = conn.read_line(MAX_HEADERS_SIZE)
                total += len(line)
                if not line.endswith(b"\n") or total > MAX_HEADERS_SIZE:
                    raise BadChunk("malformed chunked body: trailers")
                if line in (b"\r\n", b"\n"):
                    break
            self._done = True

    def _end_chunk(self):
        if self._conn.read_exact(2) != b"\r\n":
            raise BadChunk("malformed chunked body: missing CRLF after chunk data")

    def _start_read(self, size):
        """The byte budget of a read: 0 when the body is over (or 0 was asked).

        The first read of a request that asked for ``100-continue`` sends it.
        """
        if self._done:
            return 0
        if self._continue:
            self._send_continue()
        return sys.maxsize if size is None or size < 0 else size

    def read(self, size=-1):
        """Read up to ``size`` bytes of the body (all of it by default)."""
        size = self._start_read(size)
        if not size:
            return b""
        conn = self._conn
        if not self._chunked:
            n = min(size, self._left)
            data = conn.read_exact(n)
            self._left -= n
            if self._left == 0:
                self._done = True
            return data
        pieces = []
        while size > 0 and not self._done:
            if self._left == 0:
                self._next_chunk()
                continue
            n = min(size, self._left)
            pieces.append(conn.read_exact(n))
            self._left -= n
            size -= n
            if self._left == 0:
                self._end_chunk()
        return b"".join(pieces)

    def readline(self, size=-1):
        """Read one line of the body (up to and including b"\\n"), at most ``size`` bytes."""
        size = self._start_read(size)
        if not size:
            return b""
        conn = self._conn
        pieces = []
        while size > 0 and not self._done:
            if self._chunked and self._left == 0:
                self._next_chunk()
                continue
            piece = conn.read_line(min(size, self._left))
            pieces.append(piece)
            self._left -= len(piece)
            size -= len(piece)
            if self._left == 0:
                if self._chunked:
                    self._end_chunk()
                else:
                    self._done = True
            if piece.endswith(b"\n"):
                break
        return b"".join(pieces)

    def readlines(self, hint=-1):
        """Read lines until the end of the body (or ``hint`` bytes)."""
        lines = []
        total = 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                return lines

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def _drain(self):
        """Discard the rest of the body; False if it is too large or broken."""
        if self._done:
            return True
        if self._continue:
            # The client waits for our go-ahead and may never send the
            # body: the connection cannot be reused.
            return False
        if not self._chunked and self._left > MAX_DRAIN:
            return False
        total = 0
        try:
            while not self._done:
                data = self.read(_RECV_SIZE)
                total += len(data)
                if total > MAX_DRAIN:
                    return False
        except (BadChunk, ConnectionLost):
            return False
        return True


#: The wsgi.input of every request without a body (shared: see Connection.no_body).
_NO_BODY = RequestBody(None, 0)


# ---------------------------------------------------------------------------
# One connection
# ---------------------------------------------------------------------------

class Connection:
    """One client socket: buffered reads of request heads and bodies, raw writes."""

    def __init__(self, server, sock, address):
        self.server = server
        self.sock = sock
        self.buf = b""
        #: True while waiting for a request with nothing of it received:
        #: a stopping server may close the connection then.
        self.idle = False
        self.broken = False
        #: True while in a socket operation; ``progress`` counts those done.
        #: The server's sweeper closes connections stuck in one.
        self.io = False
        self.progress = 0
        self.swept = None
        #: Since when (hub clock) a request head is awaited and not complete:
        #: from the accept for the first request, from the first byte of the
        #: head for the next ones; None otherwise (the sweeper enforces
        #: the server's header_timeout on it).
        self.head_since = clock()
        #: wsgi.input of every request without a body: one for all
        #: connections (it holds no state and never reads).  One per
        #: connection would refer back to it, a cycle that keeps a closed
        #: connection's buffers until a full garbage collection.
        self.no_body = _NO_BODY
        env = server.base_environ.copy()
        if isinstance(address, tuple):
            env["REMOTE_ADDR"] = address[0]
            env["REMOTE_PORT"] = str(address[1])
        else:  # AF_UNIX
            env["REMOTE_ADDR"] = ""
            env["REMOTE_PORT"] = ""
        self.env = env

    # -- reading -----------------------------------------------------------

    def _recv(self):
        self.io = True
        try:
            data = self.sock.recv(_RECV_SIZE)
        except OSError as exc:  # reset, closed
            self.broken = True
            raise ConnectionLost(str(exc)) from exc
        finally:
            self.io = False
        self.progress += 1
        return data

    def _recv_more(self):
        # Inside a request body, EOF means the client gave up on it.
        data = self._recv()
        if not data:
            self.broken = True
            raise ConnectionLost("connection closed in the middle of a request body")
        return data

    def read_exact(self, n):
        """Return ``n`` bytes of the stream; raises ConnectionLost at EOF."""
        buf = self.buf
        if len(buf) >= n:
            self.buf = buf[n:]
            return buf[:n]
        pieces = [buf]
        have = len(buf)
        self.buf = b""
        while have < n:
            data = self._recv_more()
            pieces.append(data)
            have += len(data)
        data = b"".join(pieces)
        self.buf = data[n:]
        return data[:n]

    def read_line(self, limit):
        """Return bytes up to and including b"\\n", at most ``limit`` bytes."""
        buf = self.buf
        while True:
            idx = buf.find(b"\n", 0, limit)
            if idx >= 0:
                self.buf = buf[idx + 1:]
                return buf[:idx + 1]
            if len(buf) >= limit:
                self.buf = buf[limit:]
                return buf[:limit]
            buf += self._recv_more()
            self.buf = buf

    def read_head(self):
        """Return the lines of the next request head, or None at a clean EOF.

        Raises BadRequest for an oversized head, ConnectionLost when the
        client disappears half-way.
        """
        buf = self.buf
        searched = 0
        while True:
            if buf[:1] in (b"\r", b"\n"):
                # RFC 9112 2.2: ignore empty lines before a request line
                # (some clients send a CRLF after a POST body).
                buf = buf.lstrip(b"\r\n")
            idx = buf.find(b"\r\n\r\n", searched)
            lf = buf.find(b"\n\n", searched, idx if idx >= 0 else len(buf))
            end = lf if lf >= 0 else idx
            if end > _SMALLEST_LIMIT:
                # The whole head may have come in one go: limits apply anyway.
                self._check_size(buf, end)
            if lf >= 0:
                # Bare-LF line endings (tolerated, as most servers do).
                self.buf = buf[lf + 2:]
                self.head_since = None
                return self._lf_lines(buf[:lf])
            if idx >= 0:
                self.buf = buf[idx + 4:]
                self.head_since = None
                # Parsed as latin-1 text: environ values are str, and one
                # decode of the head is cheaper than one per header.
                head = buf[:idx].decode("latin-1")
                lines = head.split("\r\n")
                # A bare CR or LF inside a line would let a header smuggle
                # another one: the counts must match the line breaks.
                n = len(lines) - 1
                if head.count("\n") != n or head.count("\r") != n:
                    return self._lf_lines(buf[:idx])
                return lines
            if len(buf) > _SMALLEST_LIMIT:
                self._check_size(buf, len(buf))
            searched = max(0, len(buf) - 3)
            self.buf = buf
            if not buf:
                if self.server._stopping:
                    return None
                self.idle = True
            elif self.head_since is None:
                self.head_since = clock()  # a head that did not come in one piece
            try:
                data = self._recv()
            finally:
                self.idle = False
            if not data:
                self.broken = True
                return None  # EOF between requests (or in a partial head: nothing to answer)
            buf = buf + data if buf else data

    @staticmethod
    def _check_size(buf, end):
        if end >= MAX_REQUEST_LINE and buf.find(b"\n", 0, MAX_REQUEST_LINE + 1) < 0:
            raise BadRequest(414, "request line too long")
        if end > MAX_HEADERS_SIZE:
            raise BadRequest(431, "request headers too large")

    @staticmethod
    def _lf_lines(head):
        # Lines ended by LF or CRLF; a CR anywhere else is refused.
        if b"\r" in head.replace(b"\r\n", b""):
            raise BadRequest(400, "bare CR in request head")
        return head.decode("latin-1").replace("\r\n", "\n").split("\n")

    # -- writing -----------------------------------------------------------

    def send_raw(self, data):
        """sendall; raises ConnectionLost if the client is gone."""
        self.io = True
        try:
            self.sock.sendall(data)
        except OSError as exc:
            self.broken = True
            raise ConnectionLost(str(exc)) from exc
        finally:
            self.io = False
        self.progress += 1

    def send_error(self, code, message):
        """Answer ``code`` with a short text body and ``Connection: close``."""
        reason = _REASONS.get(code, "Error")
        body = ("%d %s: %s\n" % (code, reason, message)).encode("latin-1", "replace")
        head = ("HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=latin-1\r\n"
                "Content-Length: %d\r\nDate: %s\r\nConnection: close\r\n\r\n"
                % (code, reason, len(body), http_date()))
        try:
            self.send_raw(head.encode("latin-1") + body)
            self._linger()
        except ConnectionLost:
            pass

    def send_error_nowait(self, code, message):
        """Answer ``code`` like :meth:`send_error` if the socket takes it at once.

        For a client the server gives up on: it never waits, never lingers,
        and ignores every error.
        """
        reason = _REASONS.get(code, "Error")
        body = ("%d %s: %s\n" % (code, reason, message)).encode("latin-1", "replace")
        head = ("HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=latin-1\r\n"
                "Content-Length: %d\r\nConnection: close\r\n\r\n" % (code, reason, len(body)))
        with contextlib.suppress(OSError):
            self.sock.settimeout(0.0)
            self.sock.send(head.encode("latin-1") + body)

    def _linger(self):
        # Closing with unread request bytes in the kernel makes it send a
        # RST, which can destroy our error response before the client has
        # read it: half-close, then read (and drop) what the client still
        # sends, for a moment (nginx's "lingering close").
        sock = self.sock
        try:
            sock.shutdown(_socket.SHUT_WR)
            sock.settimeout(1.0)
            total = 0
            while total < MAX_DRAIN:
                data = sock.recv(_RECV_SIZE)
                if not data:
                    break
                total += len(data)
        except OSError:
            pass
