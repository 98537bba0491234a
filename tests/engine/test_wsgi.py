"""The engine's WSGI server, tested with clients that are not built on the engine.

The server runs in the test's hub (main thread); clients are stdlib
http.client or raw sockets in threads, or a subprocess.  The main greenlet
waits for them cooperatively, so the hub keeps serving meanwhile.
"""

import http.client
import io
import json
import logging
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from locust.engine import sleep, spawn
from locust.engine.wsgi import WSGIServer

GUARD = 20  # seconds: upper bound for any client to finish


def wait_for(fn, *args, timeout=GUARD):
    """Run ``fn(*args)`` in a thread while the hub keeps running; return its result."""
    result = {}

    def target():
        try:
            result["value"] = fn(*args)
        except BaseException as exc:  # handed to the test below
            result["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while thread.is_alive():
        if time.monotonic() > deadline:
            raise AssertionError("client thread did not finish in %s s" % timeout)
        sleep(0.002)
    if "error" in result:
        raise result["error"]
    return result["value"]


class Closing:
    """An iterable response that records its close()."""

    closed = []

    def __init__(self, parts, fail=False):
        self.parts = parts
        self.fail = fail

    def __iter__(self):
        yield from self.parts
        if self.fail:
            raise RuntimeError("failed half-way")

    def close(self):
        Closing.closed.append(self.parts)


def app(environ, start_response):
    path = environ["PATH_INFO"]
    inp = environ["wsgi.input"]
    if path == "/echo":
        body = inp.read()
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("X-Len", str(len(body)))])
        return [body]
    if path == "/lines":
        first = inp.readline()
        rest = list(inp)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps([first.decode()] + [line.decode() for line in rest]).encode()]
    if path == "/pieces":
        pieces = []
        while True:
            piece = inp.read(3)
            if not piece:
                break
            pieces.append(piece.decode())
        start_response("200 OK", [])
        return [json.dumps(pieces).encode()]
    if path == "/gen":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return (b"part%d;" % i for i in range(5))
    if path == "/write":
        write = start_response("200 OK", [("Content-Length", "3")])
        write(b"a")
        write(b"b")
        return [b"c"]
    if path == "/closing":
        start_response("200 OK", [])
        return Closing([b"x", b"y"])
    if path == "/boom":
        raise RuntimeError("boom in the app")
    if path == "/boom-late":
        start_response("200 OK", [])
        return Closing([b"first"], fail=True)
    if path == "/exc-info":
        start_response("200 OK", [])
        try:
            raise ValueError("changed my mind")
        except ValueError:
            start_response("503 Service Unavailable", [("X-Recovered", "1")], sys.exc_info())
        return [b"recovered"]
    if path == "/inject":
        start_response("200 OK", [("X-Bad", "a\r\nX-Evil: 1")])
        return [b"no"]
    if path == "/slow":
        sleep(float(environ["QUERY_STRING"]))
        start_response("200 OK", [])
        return [b"slow done"]
    if path == "/id":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [("%s|%s" % (environ["QUERY_STRING"], environ["REMOTE_PORT"])).encode()]
    if path.startswith("/env"):
        keys = [k for k, v in environ.items() if isinstance(v, (str, bool, tuple))]
        data = {k: environ[k] for k in keys}
        data["input_has_read"] = hasattr(inp, "read")
        data["errors_has_write"] = hasattr(environ["wsgi.errors"], "write")
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(data).encode()]
    if path == "/nobody":
        start_response("204 No Content", [])
        return []
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello " + path.encode("latin-1")]


@pytest.fixture
def server():
    srv = WSGIServer(("127.0.0.1", 0), app)
    srv.start()
    Closing.closed = []
    yield srv
    srv.stop(timeout=2)


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=GUARD)


def read_until_close(sock):
    chunks = []
    while True:
        data = sock.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def raw_exchange(port, data, read=read_until_close):
    with connect(port) as sock:
        sock.sendall(data)
        return read(sock)


class Responses:
    """Reads successive responses from one raw socket with http.client's parser.

    One buffered file for the whole connection: a response must not swallow
    the bytes of the next one (pipelining).
    """

    class _File(io.BufferedReader):
        def close(self):  # HTTPResponse closes its file when done: keep ours
            pass

    def __init__(self, sock):
        self.file = self._File(socket.SocketIO(sock, "rb"))

    def makefile(self, *args, **kwargs):  # what HTTPResponse asks its "socket" for
        return self.file

    def next(self, method="GET"):
        resp = http.client.HTTPResponse(self, method=method)
        resp.begin()
        return resp.status, dict(resp.getheaders()), resp.read()


def read_response(sock):
    """Read one response from a socket on which nothing else is pending."""
    return Responses(sock).next()


# ---------------------------------------------------------------------------


def test_start_returns_at_once_with_an_ephemeral_port(server):
    assert server.server_port > 0
    assert server.address == ("127.0.0.1", server.server_port)

    def get():
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=GUARD)
        conn.request("GET", "/x")
        resp = conn.getresponse()
        return resp.status, resp.read(), resp.getheader("Date")

    status, body, date = wait_for(get)
    assert (status, body) == (200, b"hello /x")
    assert date.endswith(" GMT")


def test_environ_fields(server):
    def get():
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=GUARD)
        conn.request("POST", "/env/%C3%A9%20x%2Fy?a=1&b=%20c",
                     body=b"123", headers={"Content-Type": "text/x-test", "X-Custom-Thing": "v1",
                                           "Cookie": "a=1"})
        resp = conn.getresponse()
        return json.loads(resp.read()), conn.sock.getsockname()[1]

    env, client_port = wait_for(get)
    assert env["REQUEST_METHOD"] == "POST"
    assert env["SCRIPT_NAME"] == ""
    assert env["PATH_INFO"] == "/env/\xc3\xa9 x/y"       # percent-decoded, latin-1
    assert env["QUERY_STRING"] == "a=1&b=%20c"           # left encoded
    assert env["CONTENT_TYPE"] == "text/x-test"
    assert env["CONTENT_LENGTH"] == "3"
    assert env["SERVER_NAME"] == "127.0.0.1"
    assert env["SERVER_PORT"] == str(server.server_port)
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["REMOTE_PORT"] == str(client_port)
    assert env["HTTP_X_CUSTOM_THING"] == "v1"
    assert env["HTTP_HOST"] == "127.0.0.1:%d" % server.server_port
    assert env["HTTP_COOKIE"] == "a=1"
    assert "HTTP_CONTENT_TYPE" not in env and "HTTP_CONTENT_LENGTH" not in env
    assert env["wsgi.version"] == [1, 0]
    assert env["wsgi.url_scheme"] == "http"
    assert env["wsgi.multithread"] is False
    assert env["wsgi.multiprocess"] is False
    assert env["wsgi.run_once"] is False
    assert env["input_has_read"] and env["errors_has_write"]


CONCURRENT_CLIENTS = textwrap.dedent("""
    import http.client, sys, threading
    port, nthreads, nreq = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    barrier = threading.Barrier(nthreads)
    errors, done = [], []
    def client(t):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.connect()
            barrier.wait(30)          # every connection is open at once
            local_port = conn.sock.getsockname()[1]
            for i in range(nreq):
                conn.request("GET", "/id?%d-%d" % (t, i))
                resp = conn.getresponse()
                body = resp.read().decode()
                expected = "%d-%d|%d" % (t, i, local_port)   # same connection each time
                if resp.status != 200 or body != expected:
                    errors.append("%d %r != %r" % (resp.status, body, expected))
                    return
            done.append(t)
        except Exception as exc:
            errors.append(repr(exc))
    threads = [threading.Thread(target=client, args=(t,)) for t in range(nthreads)]
    for th in threads: th.start()
    for th in threads: th.join()
    print(len(done), len(errors), errors[:3])
""")


def test_200_concurrent_keepalive_clients(server):
    proc = subprocess.Popen([sys.executable, "-c", CONCURRENT_CLIENTS,
                             str(server.server_port), "200", "20"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while proc.poll() is None:
        assert time.monotonic() < deadline, "clients did not finish"
        sleep(0.01)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    assert out.split()[:2] == ["200", "0"], out


def test_content_length_body_and_next_request_on_same_connection(server):
    def run():
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=GUARD)
        results = []
        conn.request("POST", "/echo", body=b"x" * 100000)
        resp = conn.getresponse()
        results.append((resp.status, resp.getheader("X-Len"), len(resp.read())))
        conn.request("POST", "/lines", body=b"one\ntwo\nthree")
        results.append(json.loads(conn.getresponse().read()))
        conn.request("POST", "/pieces", body=b"abcdefgh")
        results.append(json.loads(conn.getresponse().read()))
        return results

    assert wait_for(run) == [(200, "100000", 100000), ["one\n", "two\n", "three"],
                             ["abc", "def", "gh"]]


def test_unread_body_is_drained_before_the_next_request(server):
    def run():
        with connect(server.server_port) as sock:
            # the app at "/" never reads the body; it looks like a request
            body = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
                         % (len(body), body))
            first = read_response(sock)
            sock.sendall(b"GET /second HTTP/1.1\r\nHost: x\r\n\r\n")
            second = read_response(sock)
            return first[2], second[2]

    assert wait_for(run) == (b"hello /", b"hello /second")


def test_chunked_request_body(server):
    def run():
        with connect(server.server_port) as sock:
            sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                         b"5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\n"
                         b"X-Trailer: t\r\n\r\n")
            first = read_response(sock)
            # chunked body left unread by the app: drained as well
            sock.sendall(b"POST /noread HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                         b"3\r\nabc\r\n0\r\n\r\n"
                         b"GET /after HTTP/1.1\r\nHost: x\r\n\r\n")
            reader = Responses(sock)
            second = reader.next()
            third = reader.next()
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=GUARD)
        conn.request("POST", "/lines", body=iter([b"a\nb", b"c\n", b"d"]),
                     headers={"Transfer-Encoding": "chunked"}, encode_chunked=True)
        fourth = json.loads(conn.getresponse().read())
        return first, second[2], third[2], fourth

    first, second, third, fourth = wait_for(run)
    assert first[0] == 200 and first[2] == b"hello 0123456789"
    assert first[1]["X-Len"] == "16"
    assert second == b"hello /noread" and third == b"hello /after"
    assert fourth == ["a\n", "bc\n", "d"]


def test_pipelined_requests(server):
    requests = (b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
                b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody"
                b"GET /gen HTTP/1.1\r\nHost: x\r\n\r\n"
                b"GET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")

    def run():
        with connect(server.server_port) as sock:
            sock.sendall(requests)
            reader = Responses(sock)
            responses = [reader.next() for _ in range(4)]
            assert reader.file.read() == b""  # closed after the last one
            return responses

    responses = wait_for(run)
    assert [r[2] for r in responses] == [b"hello /one", b"body",
                                         b"part0;part1;part2;part3;part4;", b"hello /three"]
    assert responses[2][1].get("Transfer-Encoding") == "chunked"
    assert responses[3][1].get("Connection") == "close"


@pytest.mark.parametrize("request_bytes, status", [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /\r\n\r\n", 400),
    (b"GET / HTTP/1.1 extra\r\n\r\n", 400),
    (b"G(T / HTTP/1.1\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\n folded: x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
    (b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    (b"GET / HTTP/2.0\r\n\r\n", 505),
    (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\n" + b"X-Big: " + b"b" * 70000 + b"\r\n\r\n", 431),
], ids=lambda value: value[:24].decode("latin-1") if isinstance(value, bytes) else str(value))
def test_malformed_request_gets_an_error_and_the_server_goes_on(server, request_bytes, status):
    def run():
        answer = raw_exchange(server.server_port, request_bytes)
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=GUARD)
        conn.request("GET", "/next")
        return answer, conn.getresponse().read()

    answer, following = wait_for(run)
    assert answer.startswith(b"HTTP/1.1 %d " % status), answer[:100]
    assert b"\r\nConnection: close\r\n" in answer
    assert following == b"hello /next"


def test_app_exception_gives_500_and_is_logged(server, caplog):
    def run():
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=GUARD)
        conn.request("GET", "/boom")
        resp = conn.getresponse()
        first = (resp.status, resp.read())
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=GUARD)
        conn.request("GET", "/fine")
        return first, conn.getresponse().read()

    with caplog.at_level(logging.ERROR, logger="locust.engine.wsgi"):
        (status, body), following = wait_for(run)
    assert status == 500 and b"500" in body and b"boom" not in body
    assert following == b"hello /fine"
    records = [r for r in caplog.records if r.exc_info]
    assert records and "boom in the app" in str(records[0].exc_info[1])


def test_failure_after_the_response_started_closes_the_connection(server, caplog):
    def run():
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=GUARD)
        conn.request("GET", "/boom-late")
        resp = conn.getresponse()
        with pytest.raises(http.client.IncompleteRead):
            resp.read()
        return resp.status

    with caplog.at_level(logging.ERROR, logger="locust.engine.wsgi"):
        assert wait_for(run) == 200
    assert Closing.closed == [[b"first"]]  # close() called on failure too


def test_start_response_exc_info_replaces_the_headers(server):
    def run():
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=GUARD)
        conn.request("GET", "/exc-info")
        resp = conn.getresponse()
        return resp.status, resp.getheader("X-Recovered"), resp.read()

    assert wait_for(run) == (503, "1", b"recovered")


def test_write_callable_iterable_close_and_204(server):
    def run():
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=GUARD)
        out = []
        for path in ("/write", "/closing", "/nobody", "/after"):
            conn.request("GET", path)
            resp = conn.getresponse()
            out.append((resp.status, resp.read()))
        return out

    assert wait_for(run) == [(200, b"abc"), (200, b"xy"), (204, b""), (200, b"hello /after")]
    assert Closing.closed == [[b"x", b"y"]]


def test_header_injection_is_refused(server, caplog):
    with caplog.at_level(logging.ERROR, logger="locust.engine.wsgi"):
        answer = wait_for(raw_exchange, server.server_port, b"GET /inject HTTP/1.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 500 ")
    assert b"X-Evil" not in answer


def test_head_has_headers_but_no_body(server):
    def run():
        with connect(server.server_port) as sock:
            sock.sendall(b"HEAD /abc HTTP/1.1\r\nHost: x\r\n\r\n"
                         b"HEAD /gen HTTP/1.1\r\nHost: x\r\n\r\n"
                         b"GET /abc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return read_until_close(sock)

    data = wait_for(run)
    heads = data.split(b"HTTP/1.1 ")[1:]
    assert len(heads) == 3
    assert heads[0].endswith(b"\r\n\r\n") and b"Content-Length: 10\r\n" in heads[0]
    assert heads[1].endswith(b"\r\n\r\n") and b"Transfer-Encoding" not in heads[1]
    assert heads[2].endswith(b"\r\n\r\nhello /abc")


def test_http10(server):
    def run():
        plain = raw_exchange(server.server_port, b"GET /a HTTP/1.0\r\n\r\n")
        gen = raw_exchange(server.server_port, b"GET /gen HTTP/1.0\r\n\r\n")
        with connect(server.server_port) as sock:
            sock.sendall(b"GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            status, headers, body = read_response(sock)
            sock.sendall(b"GET /c HTTP/1.0\r\n\r\n")
            rest = read_until_close(sock)
        return plain, gen, (status, headers, body), rest

    plain, gen, kept, rest = wait_for(run)
    assert plain.startswith(b"HTTP/1.1 200 ") and plain.endswith(b"\r\n\r\nhello /a")
    assert b"Connection: close" in plain
    # no length known and no chunking in 1.0: the close delimits the body
    assert b"Transfer-Encoding" not in gen and gen.endswith(b"\r\n\r\npart0;part1;part2;part3;part4;")
    assert kept[0] == 200 and kept[2] == b"hello /b"
    assert kept[1]["Connection"] == "keep-alive"
    assert rest.endswith(b"hello /c")


def test_expect_100_continue(server):
    def run():
        with connect(server.server_port) as sock:
            sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                         b"Expect: 100-continue\r\n\r\n")
            interim = b""
            while not interim.endswith(b"\r\n\r\n"):
                interim += sock.recv(1)
            sock.sendall(b"12345")
            return interim, read_response(sock)

    interim, (status, _, body) = wait_for(run)
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert (status, body) == (200, b"12345")


def test_bare_lf_and_absolute_form_are_accepted(server):
    def run():
        return (raw_exchange(server.server_port, b"GET /lf HTTP/1.1\nConnection: close\n\n"),
                raw_exchange(server.server_port,
                             b"GET http://example.com/abs?q HTTP/1.1\r\nConnection: close\r\n\r\n"))

    lf, absolute = wait_for(run)
    assert lf.endswith(b"hello /lf") and absolute.endswith(b"hello /abs")


def test_stop_finishes_in_flight_closes_idle_and_stops_accepting(server):
    port = server.server_port

    def idle_client():
        with connect(port) as sock:
            sock.sendall(b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
            read_response(sock)
            return sock.recv(10)   # idle keep-alive: must see EOF at stop()

    def slow_client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=GUARD)
        conn.request("GET", "/slow?0.5")
        resp = conn.getresponse()
        return resp.status, resp.getheader("Connection"), resp.read()

    idle = spawn(wait_for, idle_client)
    slow = spawn(wait_for, slow_client)
    sleep(0.2)
    start = time.monotonic()
    server.stop(timeout=10)
    assert time.monotonic() - start < 5
    idle.join(GUARD)
    slow.join(GUARD)
    assert idle.get() == b""
    assert slow.get() == (200, "close", b"slow done")
    with pytest.raises(OSError):
        wait_for(raw_exchange, port, b"GET / HTTP/1.1\r\n\r\n")
    server.stop()  # twice is fine


def test_stop_timeout_kills_requests_that_take_too_long():
    srv = WSGIServer(("127.0.0.1", 0), app)
    srv.start()

    def client():
        try:
            return raw_exchange(srv.server_port, b"GET /slow?60 HTTP/1.1\r\n\r\n")
        except OSError as exc:
            return exc

    glet = spawn(wait_for, client)
    sleep(0.2)
    start = time.monotonic()
    srv.stop(timeout=0.2)
    assert time.monotonic() - start < 3
    glet.join(GUARD)
    assert glet.get() in (b"",) or isinstance(glet.get(), OSError)


def test_serve_forever_returns_after_stop():
    srv = WSGIServer(("127.0.0.1", 0), app)
    spawn(lambda: (sleep(0.1), srv.stop()))
    start = time.monotonic()
    srv.serve_forever()
    assert time.monotonic() - start < 5
    assert srv.server_port > 0


def test_access_log(server):
    lines = []

    class Sink:
        def write(self, text):
            lines.append(text)

    srv = WSGIServer(("127.0.0.1", 0), app, log=Sink())
    srv.start()
    try:
        wait_for(raw_exchange, srv.server_port, b"GET /logged?x HTTP/1.1\r\nConnection: close\r\n\r\n")
    finally:
        srv.stop()
    assert len(lines) == 1 and '"GET /logged?x HTTP/1.1" 200 13' in lines[0]


def test_module_does_not_import_bottle():
    code = "import sys, locust.engine.wsgi; print('bottle' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip() == "False", result.stderr


def test_bottle_server_adapter():
    import bottle

    from locust.engine.wsgi import BottleServer

    assert issubclass(BottleServer, bottle.ServerAdapter)
    bapp = bottle.Bottle()

    @bapp.route("/hello/<name>")
    def hello(name):
        return "hi " + name

    @bapp.post("/form")
    def form():
        return "got " + bottle.request.forms.get("who") + " " + bottle.request.body.read().decode()

    adapter = BottleServer(host="127.0.0.1", port=0)
    glet = spawn(adapter.run, bapp)
    while adapter.server is None or adapter.server.server_port is None:
        sleep(0.01)

    def get():
        conn = http.client.HTTPConnection("127.0.0.1", adapter.server.server_port, timeout=GUARD)
        conn.request("GET", "/hello/bob")
        resp = conn.getresponse()
        first = resp.status, resp.read()
        conn.request("POST", "/form", body=iter([b"who=", b"alice"]),
                     headers={"Transfer-Encoding": "chunked",
                              "Content-Type": "application/x-www-form-urlencoded"},
                     encode_chunked=True)
        return first, conn.getresponse().read()

    try:
        assert wait_for(get) == ((200, b"hi bob"), b"got alice who=alice")
    finally:
        adapter.server.stop()
    glet.join(GUARD)
    assert glet.dead


def test_timeout_closes_stuck_connections_but_not_slow_apps():
    srv = WSGIServer(("127.0.0.1", 0), app, timeout=0.2)
    srv.start()

    def stalled(data):
        with connect(srv.server_port) as sock:
            if data:
                sock.sendall(data)
            start = time.monotonic()
            rest = read_until_close(sock)
            return rest, time.monotonic() - start

    def slow_app():
        conn = http.client.HTTPConnection("127.0.0.1", srv.server_port, timeout=GUARD)
        conn.request("GET", "/slow?0.7")   # longer than 2 x timeout
        return conn.getresponse().read()

    try:
        idle = spawn(wait_for, stalled, b"")
        partial = spawn(wait_for, stalled, b"GET / HTTP/1.1\r\nHost:")
        body = spawn(wait_for, stalled, b"POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
        slow = spawn(wait_for, slow_app)
        for glet in (idle, partial, body, slow):
            glet.join(GUARD)
        for glet in (idle, partial, body):
            rest, elapsed = glet.get()
            assert rest == b"" and 0.1 < elapsed < 5
        assert slow.get() == b"slow done"
    finally:
        srv.stop()
