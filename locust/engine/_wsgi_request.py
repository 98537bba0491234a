"""One HTTP request on the WSGI server: head to environ, the application, the response.

The application half of :mod:`locust.engine.wsgi`: :class:`Request` parses
the lines :meth:`Connection.read_head <locust.engine._http11.Connection.read_head>`
returned into a PEP 3333 environ (request line, headers, target, body
framing, keep-alive), calls the application, implements ``start_response``
and ``write``, and frames the response (``Content-Length`` computed when the
application returns a list, else chunked for HTTP/1.1 or ended by closing
the connection for HTTP/1.0).  ``run()`` says whether the connection may
carry another request.

It uses these attributes of the server: ``application``, ``access_log``,
``_stopping``, ``_log_exception`` and ``_log_access``.
"""

import time
from urllib.parse import unquote_to_bytes

from ._http11 import BadChunk, BadRequest, ConnectionLost, RequestBody, http_date

# Characters allowed in a method or header name (RFC 9110 "token").
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789"
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"))
_HEADER_KEYS = {}  # header name -> environ key; bounded cache of valid names


def _is_token(text):
    return bool(text) and _TOKEN.issuperset(text)


def _environ_key(name):
    key = _HEADER_KEYS.get(name)
    if key is None:
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        if len(_HEADER_KEYS) < 512:  # clients may send arbitrary names
            _HEADER_KEYS[name] = key
    return key


class Request:
    """Parses one request head, calls the application, writes its response.

    ``Request(connection).run(lines)``; what the access log reads of it:
    ``env``, ``code``, ``sent_bytes`` and ``start``.
    """

    __slots__ = ("conn", "env", "keep", "http11", "head_only", "status", "headers",
                 "headers_sent", "bodyless", "chunked", "cl_left", "input", "code",
                 "sent_bytes", "start")

    def __init__(self, conn):
        self.conn = conn
        self.status = None
        self.headers = None
        self.headers_sent = False
        self.chunked = False
        self.cl_left = None
        self.sent_bytes = 0
        self.code = 0

    def parse(self, lines):
        """Build the environ from the lines of the head; raises BadRequest."""
        parts = lines[0].split(" ")
        if len(parts) != 3:
            raise BadRequest(400, "malformed request line")
        method, target, version = parts
        if version == "HTTP/1.1":
            self.http11 = True
        elif version == "HTTP/1.0":
            self.http11 = False
        elif version[:5] == "HTTP/" and len(version) == 8:
            raise BadRequest(505, "unsupported protocol %s" % version)
        else:
            raise BadRequest(400, "malformed request line")
        if method not in _METHODS and not _is_token(method):
            raise BadRequest(400, "malformed method")
        env = self.conn.env.copy()
        keys = _HEADER_KEYS
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            key = keys.get(name)  # only well-formed names are in the cache
            if key is None:
                if not sep or not _is_token(name):
                    raise BadRequest(400, "malformed header line")
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
                raise BadRequest(400, "malformed request target")
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
                raise BadRequest(400, "both Content-Length and Transfer-Encoding")
            if te.strip().lower() != "chunked":
                raise BadRequest(501, "unsupported transfer coding %r" % te)
            self.input = RequestBody(self.conn, 0, chunked=True, expect_continue=expect)
        elif length is not None:
            length = length.strip()
            if not (length.isascii() and length.isdigit()):
                raise BadRequest(400, "malformed Content-Length")
            self.input = RequestBody(self.conn, int(length), expect_continue=expect)
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
        self.bodyless = self.head_only or code < 200 or code in (204, 304)
        if self.bodyless:
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
            parts += ("Date: ", http_date(), "\r\n")
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
        head = self._make_head(None) if not self.headers_sent else b""
        if self.bodyless or not data:
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

    def run(self, lines):
        """Serve the request whose head is ``lines``; returns True if the
        connection may be kept.  Raises BadRequest (nothing answered yet) and
        ConnectionLost."""
        conn = self.conn
        server = conn.server
        self.parse(lines)
        self.start = time.monotonic() if server.access_log is not None else 0
        result = None
        try:
            result = server.application(self.env, self.start_response)
            if type(result) in (list, tuple) and not self.headers_sent:
                body = b"".join(result)
                head = self._make_head(len(body))
                if self.bodyless:
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
        except ConnectionLost:
            raise
        except Exception as exc:
            if conn.broken:
                raise ConnectionLost(str(exc)) from exc
            if isinstance(exc, BadChunk) and not self.headers_sent:
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
