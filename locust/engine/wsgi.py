"""A WSGI server on the engine: HTTP/1.1 keep-alive, one greenlet per connection.

::

    from locust.engine.wsgi import WSGIServer
    server = WSGIServer(("127.0.0.1", 0), app)
    server.start()               # bind, listen, accept in a greenlet; returns at once
    print(server.server_port)
    ...
    server.stop(timeout=5)       # stop accepting, let requests in flight finish

It serves the dashboard and the bundled demo target, and is benchmarked in
requests per CPU-second, so the request path is plain string work: the
head is found with one ``find(b"\\r\\n\\r\\n")`` over what ``recv``
returned, decoded once (latin-1), split into lines, each header split at
its colon (header names are mapped to environ keys through a small cache of
validated names); no regular expressions, no ``email.parser``: about 15 us
of Python per keep-alive request with six headers.  A response whose body
the application returns as a list (the usual case) is sent, head and body,
in one ``sendall`` with a computed ``Content-Length``; otherwise HTTP/1.1
clients get a chunked body and HTTP/1.0 clients get the body delimited by
closing the connection.

Request bodies may be ``Content-Length`` or chunked; ``wsgi.input`` reads
exactly the body, and whatever the application did not read is drained
before the next request on the connection (up to ``MAX_DRAIN`` bytes,
beyond which the connection is closed instead).  ``Expect: 100-continue``
is answered when the application first reads the body.  Leftover bytes
after a request are the start of the next one, so pipelined requests work.

Malformed requests get ``400`` (request line over the limit: ``414``,
headers over it: ``431``; a protocol other than HTTP/1.x: ``505``; a
transfer coding other than chunked: ``501``) and the connection is closed.
An exception in the application before the response started gets a
``500`` (logged with its traceback); after it started, the connection is
closed.  Sockets are the engine's cooperative ``net.socket``.

Timeouts: rather than a socket timeout (which would arm a hub timer for
every recv and send), one sweeper greenlet per server closes connections
whose current recv or send has not completed for ``timeout`` seconds
(checked every ``timeout`` seconds, so a stuck connection lives between one
and two timeouts).  An application may take as long as it needs.

``BottleServer`` (built on first access, so that importing this module
does not import bottle) runs a bottle app here:
``bottle.run(app, server=BottleServer, host=..., port=...)``.
"""

import errno
import logging
import socket as _socket
import sys
import time
from urllib.parse import unquote_to_bytes

from greenlet import GreenletExit, getcurrent

from . import net
from .greenlets import joinall, killall, sleep, spawn
from .sync import Event

# BottleServer is public too, built on first access (see __getattr__ at the
# end); it is not in __all__ so that ``import *`` does not import bottle.
__all__ = ["WSGIServer"]

logger = logging.getLogger("locust.engine.wsgi")

#: Longest request line accepted (longer: 414).
MAX_REQUEST_LINE = 65536
#: Longest request head (request line and headers) accepted (longer: 431).
MAX_HEADERS_SIZE = 65536
#: Unread request body the server will read and discard to keep a
#: connection alive; a larger leftover closes the connection instead.
MAX_DRAIN = 1 << 20

_RECV_SIZE = 65536
_SMALLEST_LIMIT = min(MAX_REQUEST_LINE, MAX_HEADERS_SIZE)
_SERVER_SOFTWARE = "locust.engine.wsgi"

# Characters allowed in a method or header name (RFC 9110 "token").
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789"
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_HEX = b"0123456789abcdefABCDEF"

_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"))
_HEADER_KEYS = {}  # header name -> environ key; bounded cache of valid names


def _is_token(text):
    return bool(text) and _TOKEN.issuperset(text)


_REASONS = {400: "Bad Request", 414: "URI Too Long", 431: "Request Header Fields Too Large",
            500: "Internal Server Error", 501: "Not Implemented",
            505: "HTTP Version Not Supported"}

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
           "Oct", "Nov", "Dec")
_date_cache = [0, ""]


def _http_date():
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


def _environ_key(name):
    key = _HEADER_KEYS.get(name)
    if key is None:
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        if len(_HEADER_KEYS) < 512:  # clients may send arbitrary names
            _HEADER_KEYS[name] = key
    return key


class _BadRequest(Exception):
    """A request we refuse; ``code`` is the status to answer with."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class _ConnectionLost(Exception):
    """The client went away (or timed out) in the middle of a request."""


class _BadChunk(ValueError):
    """A malformed chunked request body (what wsgi.input raises on one)."""


# ---------------------------------------------------------------------------
# wsgi.input
# ---------------------------------------------------------------------------

class _Input:
    """``wsgi.input``: reads exactly the request body, then returns b"".

    Content-Length bodies count down; chunked bodies are decoded (chunk
    extensions and trailers are read and ignored).  Raises an exception
    (handled by the server) if the client closes the connection before the
    body is complete, and ValueError on a malformed chunked body.
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
            raise _BadChunk("malformed chunked body: chunk size line too long or truncated")
        size = line.split(b";", 1)[0].strip()
        if not size or size.translate(None, _HEX):
            raise _BadChunk("malformed chunked body: bad chunk size %r" % size[:20])
        self._left = int(size, 16)
        if self._left == 0:
            # Trailers, up to the empty line that ends the body.
            total = 0
            while True:
                line = conn.read_line(MAX_HEADERS_SIZE)
                total += len(line)
                if not line.endswith(b"\n") or total > MAX_HEADERS_SIZE:
                    raise _BadChunk("malformed chunked body: trailers")
                if line in (b"\r\n", b"\n"):
                    break
            self._done = True

    def _end_chunk(self):
        if self._conn.read_exact(2) not in (b"\r\n",):
            raise _BadChunk("malformed chunked body: missing CRLF after chunk data")

    def read(self, size=-1):
        """Read up to ``size`` bytes of the body (all of it by default)."""
        if self._done:
            return b""
        if self._continue:
            self._send_continue()
        if size is None or size < 0:
            size = sys.maxsize
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
        if self._done:
            return b""
        if self._continue:
            self._send_continue()
        if size is None or size < 0:
            size = sys.maxsize
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
        except (_BadChunk, _ConnectionLost):
            return False
        return True


# ---------------------------------------------------------------------------
# One connection
# ---------------------------------------------------------------------------

class _Connection:
    """Reads requests from one client socket and answers them, in turn."""

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
        #: wsgi.input of every request without a body (it holds no state).
        self.no_body = _Input(self, 0)
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
            raise _ConnectionLost(str(exc)) from exc
        finally:
            self.io = False
        self.progress += 1
        return data

    def read_exact(self, n):
        """Return ``n`` bytes of the stream; raises _ConnectionLost at EOF."""
        buf = self.buf
        if len(buf) >= n:
            self.buf = buf[n:]
            return buf[:n]
        pieces = [buf]
        have = len(buf)
        self.buf = b""
        while have < n:
            data = self._recv()
            if not data:
                self.broken = True
                raise _ConnectionLost("connection closed in the middle of a request body")
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
            data = self._recv()
            if not data:
                self.broken = True
                raise _ConnectionLost("connection closed in the middle of a request body")
            buf += data
            self.buf = buf

    def read_head(self):
        """Return the lines of the next request head, or None at a clean EOF.

        Raises _BadRequest for an oversized head, _ConnectionLost when the
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
                return self._lf_lines(buf[:lf])
            if idx >= 0:
                self.buf = buf[idx + 4:]
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
            raise _BadRequest(414, "request line too long")
        if end > MAX_HEADERS_SIZE:
            raise _BadRequest(431, "request headers too large")

    @staticmethod
    def _lf_lines(head):
        # Lines ended by LF or CRLF; a CR anywhere else is refused.
        if b"\r" in head.replace(b"\r\n", b""):
            raise _BadRequest(400, "bare CR in request head")
        return head.decode("latin-1").replace("\r\n", "\n").split("\n")

    # -- writing -----------------------------------------------------------

    def send_raw(self, data):
        """sendall; raises _ConnectionLost if the client is gone."""
        self.io = True
        try:
            self.sock.sendall(data)
        except OSError as exc:
            self.broken = True
            raise _ConnectionLost(str(exc)) from exc
        finally:
            self.io = False
        self.progress += 1

    def send_error(self, code, message):
        """Answer ``code`` with a short text body and ``Connection: close``."""
        body = ("%d %s: %s\n" % (code, _REASONS.get(code, "Error"), message)).encode("latin-1", "replace")
        head = ("HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=latin-1\r\n"
                "Content-Length: %d\r\nDate: %s\r\nConnection: close\r\n\r\n"
                % (code, _REASONS.get(code, "Error"), len(body), _http_date()))
        try:
            self.send_raw(head.encode("latin-1") + body)
            self._linger()
        except _ConnectionLost:
            pass

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

    # -- the loop ----------------------------------------------------------

    def serve(self):
        """Answer requests until the connection closes or must be closed."""
        server = self.server
        try:
            while True:
                try:
                    lines = self.read_head()
                    if lines is None:
                        return
                    keep = _Request(self, lines).run()
                except _BadRequest as exc:
                    server.error_log.info("bad request from %s: %s", self.env["REMOTE_ADDR"], exc)
                    self.send_error(exc.code, str(exc))
                    return
                if not keep or self.broken or server._stopping:
                    return
        except _ConnectionLost:
            return
        finally:
            try:
                self.sock.close()
            except OSError:
                pass


# ---------------------------------------------------------------------------
# One request
# ---------------------------------------------------------------------------

class _Request:
    """Parses one request head, calls the application, writes its response."""

    __slots__ = ("conn", "lines", "env", "keep", "http11", "head_only", "status",
                 "headers", "headers_sent", "chunked", "cl_left", "input", "code",
                 "sent_bytes", "start")

    def __init__(self, conn, lines):
        self.conn = conn
        self.lines = lines
        self.status = None
        self.headers = None
        self.headers_sent = False
        self.chunked = False
        self.cl_left = None
        self.sent_bytes = 0
        self.code = 0

    def parse(self):
        """Build the environ; raises _BadRequest."""
        lines = self.lines
        parts = lines[0].split(" ")
        if len(parts) != 3:
            raise _BadRequest(400, "malformed request line")
        method, target, version = parts
        if version == "HTTP/1.1":
            self.http11 = True
        elif version == "HTTP/1.0":
            self.http11 = False
        elif version[:5] == "HTTP/" and len(version) == 8:
            raise _BadRequest(505, "unsupported protocol %s" % version)
        else:
            raise _BadRequest(400, "malformed request line")
        if method not in _METHODS and not _is_token(method):
            raise _BadRequest(400, "malformed method")
        env = self.conn.env.copy()
        keys = _HEADER_KEYS
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            key = keys.get(name)  # only well-formed names are in the cache
            if key is None:
                if not sep or not _is_token(name):
                    raise _BadRequest(400, "malformed header line")
                key = _environ_key(name)
            value = value.strip(" \t")
            if key in env:
                # Repeated header: one value, comma-joined (RFC 9110 5.3);
                # "; " for cookies, as they are read that way.
                value = env[key] + ("; " if key == "HTTP_COOKIE" else ",") + value
            env[key] = value

        env["REQUEST_METHOD"] = method
        env["SERVER_PROTOCOL"] = version
        env["RAW_URI"] = env["REQUEST_URI"] = target
        path, _, query = target.partition("?")
        if path[:1] != "/":
            if path[:7].lower() == "http://" or path[:8].lower() == "https://":
                # absolute-form (RFC 9112 3.2.2): keep the path only
                slash = path.find("/", path.find("//") + 2)
                path = path[slash:] if slash >= 0 else "/"
            elif path != "*":
                raise _BadRequest(400, "malformed request target")
        if "#" in path:
            path = path.partition("#")[0]
        if "%" in path:
            path = unquote_to_bytes(path.encode("latin-1")).decode("latin-1")
        env["PATH_INFO"] = path
        env["QUERY_STRING"] = query
        self.head_only = method == "HEAD"

        connection = env.get("HTTP_CONNECTION")
        if self.http11:
            self.keep = not (connection and "close" in connection.lower())
        else:
            self.keep = bool(connection) and "keep-alive" in connection.lower()

        te = env.get("HTTP_TRANSFER_ENCODING")
        length = env.get("CONTENT_LENGTH")
        expect = env.get("HTTP_EXPECT")
        expect = expect is not None and self.http11 and expect.lower() == "100-continue"
        if te is not None:
            if length is not None:
                # Both framings at once is how requests are smuggled.
                raise _BadRequest(400, "both Content-Length and Transfer-Encoding")
            if te.strip().lower() != "chunked":
                raise _BadRequest(501, "unsupported transfer coding %r" % te)
            self.input = _Input(self.conn, 0, chunked=True, expect_continue=expect)
        elif length is not None:
            length = length.strip()
            if not (length.isascii() and length.isdigit()):
                raise _BadRequest(400, "malformed Content-Length")
            self.input = _Input(self.conn, int(length), expect_continue=expect)
        else:
            self.input = self.conn.no_body
        env["wsgi.input"] = self.input
        self.env = env

    # -- the application's side -------------------------------------------

    def start_response(self, status, headers, exc_info=None):
        """PEP 3333 start_response; returns the write() callable."""
        if exc_info:
            try:
                if self.headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("start_response called a second time without exc_info")
        if type(status) is not str or len(status) < 4 or status[3] != " " \
                or not status[:3].isdigit():
            raise ValueError("invalid WSGI status %r" % (status,))
        self.status = status
        self.headers = headers
        self.code = int(status[:3])
        return self.write

    def _make_head(self, body_length):
        """The response head as bytes; decides framing and keep-alive."""
        if self.status is None:
            raise AssertionError("the application did not call start_response")
        code = self.code
        if self.conn.server._stopping:
            self.keep = False
        parts = ["HTTP/1.1 ", self.status, "\r\n"]
        nlines = 1  # lines made of what the application gave
        has_length = has_te = has_date = False
        for name, value in self.headers:
            lname = name.lower()
            if lname == "content-length":
                has_length = True
                try:
                    self.cl_left = int(value)
                except ValueError:
                    self.keep = False
            elif lname == "transfer-encoding":
                has_te = True
            elif lname == "connection":
                if "close" in value.lower():
                    self.keep = False
                continue  # we write our own Connection header
            elif lname == "date":
                has_date = True
            parts += (name, ": ", value, "\r\n")
            nlines += 1
        given = "".join(parts)
        # Exactly one CRLF per line of ours: any other CR or LF came from
        # the status, a name or a value and would inject headers (or a
        # whole response).
        if given.count("\n") != nlines or given.count("\r") != nlines:
            raise ValueError("CR or LF in the response status or a header")
        parts = [given]
        if self.head_only or code < 200 or code in (204, 304):
            self.cl_left = None  # no body, whatever the headers say
            if body_length and not has_length and self.head_only:
                parts += ("Content-Length: ", str(body_length), "\r\n")
        elif has_length:
            pass
        elif body_length is not None:
            parts += ("Content-Length: ", str(body_length), "\r\n")
        elif has_te:
            self.keep = False  # the application frames the body itself
        elif self.http11:
            parts.append("Transfer-Encoding: chunked\r\n")
            self.chunked = True
        else:
            self.keep = False  # HTTP/1.0 without a length: the close ends it
        if not has_date:
            parts += ("Date: ", _http_date(), "\r\n")
        if not self.keep:
            parts.append("Connection: close\r\n")
        elif not self.http11:
            parts.append("Connection: keep-alive\r\n")
        parts.append("\r\n")
        head = "".join(parts).encode("latin-1")  # UnicodeEncodeError: a ValueError
        self.headers_sent = True
        return head

    def write(self, data):
        """The write() callable of start_response (and how bodies go out)."""
        if not self.headers_sent:
            head = self._make_head(None)
        else:
            head = b""
        if self.head_only or (self.code < 200 or self.code in (204, 304)):
            if head:
                self.conn.send_raw(head)
            return
        if not data:
            if head:
                self.conn.send_raw(head)
            return
        if self.cl_left is not None:
            if len(data) > self.cl_left:
                self.keep = False
                raise ValueError("the application wrote more than its Content-Length")
            self.cl_left -= len(data)
        self.sent_bytes += len(data)
        if self.chunked:
            self.conn.send_raw(b"".join((head, b"%x\r\n" % len(data), data, b"\r\n")))
        else:
            self.conn.send_raw(head + data if head else data)

    # -- running it --------------------------------------------------------

    def run(self):
        """Serve the request; returns True if the connection may be kept."""
        conn = self.conn
        server = conn.server
        self.parse()
        self.start = time.monotonic() if server.access_log is not None else 0
        result = None
        try:
            result = server.application(self.env, self.start_response)
            if type(result) in (list, tuple) and not self.headers_sent:
                body = b"".join(result)
                head = self._make_head(len(body))
                if self.head_only or self.code < 200 or self.code in (204, 304):
                    body = b""
                elif self.cl_left is not None and self.cl_left != len(body):
                    self.keep = False
                self.sent_bytes = len(body)
                conn.send_raw(head + body)
            else:
                for data in result:
                    if data:
                        self.write(data)
                if not self.headers_sent:
                    self.write(b"")
                if self.chunked:
                    conn.send_raw(b"0\r\n\r\n")
                elif self.cl_left:
                    self.keep = False  # promised more than it gave
        except _ConnectionLost:
            raise
        except Exception as exc:
            if conn.broken:
                raise _ConnectionLost(str(exc)) from exc
            if isinstance(exc, _BadChunk) and not self.headers_sent:
                conn.send_error(400, str(exc))
                self.code = 400
                return False
            server._log_exception("error in WSGI application %r", server.application)
            if not self.headers_sent:
                conn.send_error(500, "the server could not complete the request")
                self.code = 500
            return False
        finally:
            if result is not None and hasattr(result, "close"):
                try:
                    result.close()
                except Exception:
                    server._log_exception("error closing the WSGI response")
            if server.access_log is not None:
                server._log_access(self)
        if self.keep and not self.input._drain():
            return False
        return self.keep


# ---------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------

class WSGIServer:
    """Serve a WSGI ``application`` on ``listener`` with the engine.

    ``listener`` is a ``(host, port)`` tuple (port 0 picks a free port; the
    first resolution of a host name blocks) or an already listening
    ``locust.engine.net.socket``.  ``log`` is the access log: None (none), a
    ``logging.Logger`` or a file-like object.  ``error_log`` is the logger
    for errors (default ``locust.engine.wsgi``).  ``timeout`` closes a
    connection whose recv or send has not completed after ``timeout`` to
    ``2 * timeout`` seconds (idle keep-alive included; None: never).  The
    application itself may take as long as it likes.  ``environ`` adds keys to every request's environ.
    """

    def __init__(self, listener, application, log=None, backlog=1024,
                 error_log=None, timeout=60.0, environ=None):
        self.listener = listener
        self.application = application
        self.access_log = log
        self.error_log = error_log or logger
        self.backlog = backlog
        self.timeout = timeout
        self.extra_environ = dict(environ or {})
        self.socket = None
        #: The bound address after start() (host, port[, ...]).
        self.address = None
        self.base_environ = None
        self._accept_glet = None
        self._sweeper = None
        self._connections = {}  # greenlet -> _Connection
        self._stopping = False
        self._stopped = Event()

    # -- lifecycle ---------------------------------------------------------

    @property
    def server_port(self):
        """The port listened on (after start())."""
        return self.address[1] if self.address else None

    @property
    def server_host(self):
        """The host listened on (after start())."""
        return self.address[0] if self.address else None

    @property
    def started(self):
        """True between start() and stop()."""
        return self._accept_glet is not None and not self._stopping

    def start(self):
        """Bind and listen (if given an address) and start accepting; returns at once.

        Raises OSError if the address cannot be bound, RuntimeError if
        already started.
        """
        if self._accept_glet is not None:
            raise RuntimeError("the server is already started")
        if isinstance(self.listener, tuple):
            self.socket = self._bind(self.listener)
        else:
            self.socket = self.listener
        self.address = self.socket.getsockname()
        host = self.address[0] if isinstance(self.address, tuple) else "localhost"
        env = {
            "SERVER_NAME": host, "SERVER_PORT": str(self.server_port or ""),
            "SCRIPT_NAME": "", "SERVER_SOFTWARE": _SERVER_SOFTWARE,
            "GATEWAY_INTERFACE": "CGI/1.1",
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr, "wsgi.multithread": False,
            "wsgi.multiprocess": False, "wsgi.run_once": False,
            "wsgi.input_terminated": True,
        }
        env.update(self.extra_environ)
        self.base_environ = env
        self._stopping = False
        self._stopped.clear()
        self._accept_glet = spawn(self._accept_loop, self.socket)
        if self.timeout is not None:
            self._sweeper = spawn(self._sweep, self.timeout)

    def _bind(self, address):
        host, port = address[0], address[1]
        infos = net.getaddrinfo(host or None, port, 0, _socket.SOCK_STREAM, 0,
                                    _socket.AI_PASSIVE)
        family, _, _, _, sockaddr = infos[0]
        sock = net.socket(family, _socket.SOCK_STREAM)
        try:
            sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
            sock.bind(sockaddr)
            sock.listen(self.backlog)
        except BaseException:
            sock.close()
            raise
        return sock

    def serve_forever(self):
        """start() (unless started) and wait until stop() is called."""
        if self._accept_glet is None:
            self.start()
        self._stopped.wait()

    def stop(self, timeout=None):
        """Stop accepting, close idle connections, let requests finish.

        Requests in flight get up to ``timeout`` seconds (None: as long as
        they take) and their connections close after the response; what is
        still running then is killed.  Safe to call more than once, and from
        inside a request (that request is not waited for).
        """
        if self._accept_glet is None or self._stopping:
            return
        self._stopping = True
        self._accept_glet.kill(block=False)
        if self._sweeper is not None:
            self._sweeper.kill(block=False)
            self._sweeper = None
        try:
            self.socket.close()
        except OSError:
            pass
        current = getcurrent()
        for glet, conn in list(self._connections.items()):
            if conn.idle and glet is not current:
                glet.kill(block=False)
        busy = [g for g in self._connections if g is not current]
        if busy:
            joinall(busy, timeout)
            left = [g for g in busy if not g.dead]
            if left:
                killall(left, timeout=1)
        self._accept_glet = None
        self._stopped.set()

    close = stop

    def __enter__(self):
        if self._accept_glet is None:
            self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    # -- accepting ---------------------------------------------------------

    def _accept_loop(self, listener):
        while not self._stopping:
            try:
                sock, address = listener.accept()
            except OSError as exc:
                if self._stopping or listener.fileno() < 0:
                    return
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # Out of descriptors: back off instead of spinning.
                    self._log_error("accept failed: %s; retrying in 0.1 s", exc)
                    sleep(0.1)
                continue  # ECONNABORTED and friends: that client only
            try:
                sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            except OSError:
                pass  # AF_UNIX
            # No socket timeout: it would arm a timer for every recv and
            # send; the sweeper enforces self.timeout instead.
            sock.settimeout(None)
            conn = _Connection(self, sock, address)
            glet = spawn(self._serve_connection, conn)
            self._connections[glet] = conn

    def _sweep(self, interval):
        # Closes connections whose socket operation has not finished in
        # ``interval`` to ``2 * interval`` seconds: one greenlet looking at
        # two attributes per connection, instead of a timer per recv/send.
        while True:
            sleep(interval)
            for glet, conn in list(self._connections.items()):
                state = (conn.progress, conn.io)
                if conn.io and conn.swept == state:
                    glet.kill(block=False)
                conn.swept = state

    def _serve_connection(self, conn):
        try:
            conn.serve()
        except GreenletExit:
            pass
        except Exception:
            self._log_exception("error serving a connection")
        finally:
            try:
                conn.sock.close()
            except OSError:
                pass
            self._connections.pop(getcurrent(), None)

    # -- logging -----------------------------------------------------------

    def _log_error(self, msg, *args):
        self.error_log.warning(msg, *args)

    def _log_exception(self, msg, *args):
        self.error_log.error(msg, *args, exc_info=True)

    def _log_access(self, request):
        env = request.env if hasattr(request, "env") else {}
        line = '%s - - [%s] "%s %s %s" %s %d %.6f' % (
            env.get("REMOTE_ADDR", "-"), _http_date(), env.get("REQUEST_METHOD", "-"),
            env.get("RAW_URI", "-"), env.get("SERVER_PROTOCOL", "-"),
            request.code or "-", request.sent_bytes, time.monotonic() - request.start)
        target = self.access_log
        if isinstance(target, logging.Logger):
            target.info(line)
        else:
            target.write(line + "\n")


# ---------------------------------------------------------------------------
# bottle
# ---------------------------------------------------------------------------

def _make_bottle_server():
    import bottle  # only when asked for: the engine does not depend on bottle

    class BottleServer(bottle.ServerAdapter):
        """``bottle.run(app, server=BottleServer, host=..., port=...)`` on the engine.

        Options given to bottle.run are passed to WSGIServer; the running
        server is ``self.server`` (call ``self.server.stop()`` to end run()).
        """

        server = None

        def run(self, handler):
            self.server = WSGIServer((self.host, self.port), _dechunk(handler), **self.options)
            self.server.serve_forever()

    return BottleServer


def _dechunk(app):
    # bottle (0.12, 0.13) decodes a chunked body itself whenever
    # HTTP_TRANSFER_ENCODING says "chunked", ignoring wsgi.input_terminated:
    # give it the decoded body with a Content-Length instead.
    def dechunked(environ, start_response):
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            from io import BytesIO
            body = environ["wsgi.input"].read()
            environ["wsgi.input"] = BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            del environ["HTTP_TRANSFER_ENCODING"]
        return app(environ, start_response)
    return dechunked


def __getattr__(name):
    # PEP 562: BottleServer is built on first access so that importing this
    # module does not import bottle.
    if name == "BottleServer":
        cls = _make_bottle_server()
        globals()["BottleServer"] = cls
        return cls
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
