"""A stdlib HTTP(S) test server and forward proxy, in threads (not built on our engine).

``start_server()`` returns a running :class:`TargetServer` on 127.0.0.1 (an
ephemeral port); ``ssl_context`` makes it HTTPS. Routes (GET, POST, ... alike):

- ``/ok`` -> 200 "ok";  ``/status/<code>`` -> that status
- ``/echo`` -> JSON {method, path, headers, body (latin-1 text)}
- ``/set_cookie?name=..&value=..[&path=..][&max_age=..]`` -> sets a cookie
- ``/login`` -> sets ``session`` (path /) and ``private`` (path /private)
- ``/redirect/<n>`` -> 302 chain of n hops ending at /echo
- ``/redirect_to?url=..[&status=302]``;  ``/slow_redirect`` -> sleeps 0.3 s, 302 to /ok
- ``/sleep?s=..`` -> sleeps, then 200;  ``/slow_body?s=..`` -> headers, sleep, body
- ``/gated_body?name=..`` -> headers, then the 1000-byte body once the test calls
  ``server.open_gate(name)`` (the connection is closed without it after 30 s)
- ``/rendezvous?group=..&n=..`` -> 200 once ``n`` requests of the group are in at the
  same time (503 if they never were, after 30 s): concurrency shown by ordering
- ``/gzip``, ``/deflate`` -> compressed bodies;  ``/text?charset=..`` -> "héllo wörld"
- ``/json``, ``/links``, ``/lines`` (chunked), ``/reset`` (closes mid-body),
  ``/drop`` (closes at once)
"""

import gzip
import json
import select
import socket
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TEXT = "héllo wörld"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Head and body go out in two writes: without this, Nagle holds the body
    # until the client's delayed ACK (40 ms per keep-alive request).
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status, body=b"", headers=()):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        names = set()
        for name, value in headers:
            self.send_header(name, value)
            names.add(name.lower())
        if "content-length" not in names:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        self.server.requests.append((self.command, self.path))
        body = self._body()
        parts = urlsplit(self.path)
        path = parts.path
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if path == "/ok":
            return self._send(200, "ok", [("Content-Type", "text/plain; charset=utf-8")])
        if path.startswith("/status/"):
            return self._send(int(path.split("/")[2]), "status")
        if path == "/echo" or path.startswith("/private") or path.startswith("/echo/"):
            data = {"method": self.command, "path": self.path,
                    "headers": {k: v for k, v in self.headers.items()},
                    "header_list": [[k, v] for k, v in self.headers.items()],
                    "body": body.decode("latin-1")}
            return self._send(200, json.dumps(data), [("Content-Type", "application/json")])
        if path == "/set_cookie":
            cookie = "%s=%s; Path=%s" % (query["name"], query["value"], query.get("path", "/"))
            if "max_age" in query:
                cookie += "; Max-Age=%s" % query["max_age"]
            if "expires" in query:
                cookie += "; Expires=%s" % query["expires"]
            return self._send(200, "set", [("Set-Cookie", cookie)])
        if path == "/login":
            return self._send(200, "welcome", [("Set-Cookie", "session=abc123; Path=/"),
                                               ("Set-Cookie", "private=p1; Path=/private")])
        if path.startswith("/redirect/"):
            n = int(path.split("/")[2])
            location = "/redirect/%d" % (n - 1) if n > 1 else "/echo"
            return self._send(302, "", [("Location", location)])
        if path == "/redirect_to":
            return self._send(int(query.get("status", 302)), "",
                              [("Location", query["url"])])
        if path == "/set_cookie_redirect":
            return self._send(302, "", [("Location", "/echo"),
                                        ("Set-Cookie", "hop=1; Path=/")])
        if path == "/slow_redirect":
            time.sleep(0.3)
            return self._send(302, "", [("Location", "/ok")])
        if path == "/loop":
            return self._send(302, "", [("Location", "/loop")])
        if path == "/sleep":
            time.sleep(float(query.get("s", 0.3)))
            return self._send(200, "slept")
        if path == "/slow_body":
            payload = b"x" * 1000
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.flush()
            time.sleep(float(query.get("s", 0.3)))
            self.wfile.write(payload)
            return None
        if path == "/gated_body":
            payload = b"x" * 1000
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.flush()
            if self.server.gate(query["name"]).wait(30):
                self.wfile.write(payload)
            else:
                self.close_connection = True
            return None
        if path == "/rendezvous":
            met = self.server.rendezvous(query["group"], int(query["n"]))
            return self._send(200 if met else 503, "met" if met else "alone")
        if path == "/gzip":
            return self._send(200, gzip.compress(TEXT.encode("utf-8") * 100),
                              [("Content-Encoding", "gzip"),
                               ("Content-Type", "text/plain; charset=utf-8")])
        if path == "/deflate":
            return self._send(200, zlib.compress(TEXT.encode("utf-8") * 100),
                              [("Content-Encoding", "deflate"),
                               ("Content-Type", "text/plain; charset=utf-8")])
        if path == "/text":
            charset = query.get("charset")
            ctype = query.get("type", "text/plain")
            if charset:
                ctype += "; charset=" + charset
            return self._send(200, TEXT.encode(charset or query.get("enc", "utf-8")),
                              [("Content-Type", ctype)])
        if path == "/json":
            return self._send(200, json.dumps({"a": [1, 2], "b": TEXT}),
                              [("Content-Type", "application/json")])
        if path == "/links":
            return self._send(200, "links", [(
                "Link", '<https://x.test/page2>; rel="next", <https://x.test/page9>; rel="last"')])
        if path == "/lines":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in (b"line one\nline ", b"two\n", b"line three"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
            return None
        if path == "/reset":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"partial")
            self.wfile.flush()
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       b"\x01\x00\x00\x00\x00\x00\x00\x00")
            return None
        if path == "/drop":
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       b"\x01\x00\x00\x00\x00\x00\x00\x00")
            return None
        return self._send(404, "not found")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle


class TargetServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that holds many concurrent connections and logs requests."""

    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, handler=Handler, ssl_context=None):
        super().__init__(("127.0.0.1", 0), handler)
        self.requests = []
        self.connections = set()
        self.ssl_context = ssl_context
        self.thread = None
        self._lock = threading.Lock()
        self._gates = {}
        self._barriers = {}

    def gate(self, name):
        """The threading.Event that ``/gated_body?name=<name>`` waits for."""
        with self._lock:
            return self._gates.setdefault(name, threading.Event())

    def open_gate(self, name):
        """Let ``/gated_body?name=<name>`` send its body."""
        self.gate(name).set()

    def rendezvous(self, group, parties):
        """Wait until ``parties`` requests of ``group`` are here; False after 30 s."""
        with self._lock:
            barrier = self._barriers.setdefault(group, threading.Barrier(parties, timeout=30))
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return False
        return True

    def finish_request(self, request, client_address):
        # In the connection's own thread: a TLS handshake never stalls accept().
        self.connections.add(client_address)
        if self.ssl_context is not None:
            request.settimeout(10)
            try:
                request = self.ssl_context.wrap_socket(request, server_side=True)
            except (OSError, ValueError):
                return
            request.settimeout(None)
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        pass  # clients that reset on purpose are not errors here

    @property
    def url(self):
        """Base URL (http or https) of the server."""
        scheme = "https" if self.ssl_context else "http"
        return "%s://127.0.0.1:%d" % (scheme, self.server_address[1])

    def stop(self):
        """Stop serving and close the listening socket."""
        self.shutdown()
        self.server_close()
        self.thread.join(5)


def start_server(handler=Handler, ssl_context=None):
    """Start a TargetServer in a daemon thread and return it."""
    server = TargetServer(handler, ssl_context)
    server.thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                     daemon=True)
    server.thread.start()
    return server


class ProxyHandler(BaseHTTPRequestHandler):
    """A tiny forward proxy: absolute-form requests and CONNECT tunnels."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_CONNECT(self):
        self.server.seen.append(("CONNECT", self.path, dict(self.headers.items())))
        host, _, port = self.path.rpartition(":")
        try:
            upstream = socket.create_connection((host, int(port)), timeout=5)
        except OSError:
            self.send_error(502)
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        conns = [self.connection, upstream]
        try:
            while True:
                readable, _, _ = select.select(conns, [], [], 5)
                if not readable:
                    break
                for src in readable:
                    data = src.recv(65536)
                    if not data:
                        return
                    (upstream if src is self.connection else self.connection).sendall(data)
        finally:
            upstream.close()
            self.close_connection = True

    def _forward(self):
        self.server.seen.append((self.command, self.path, dict(self.headers.items())))
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        import http.client
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("proxy-authorization", "proxy-connection")}
        conn.request(self.command, (parts.path or "/") + ("?" + parts.query if parts.query
                                                          else ""), body, headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status, resp.reason)
        for name, value in resp.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Via", "test-proxy")
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = do_HEAD = _forward


def start_proxy():
    """Start the forward proxy; its ``seen`` lists (method, target, headers)."""
    server = start_server(ProxyHandler)
    server.seen = []
    return server
