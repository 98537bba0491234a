"""FastHttpSession against misbehaving servers, TLS and nginx (none built on the engine).

Raw socket servers in threads close after each answer, reset, never answer,
drip a body, or send 50 MB; a TLS server uses trustme certificates; nginx
runs on a free port when it is installed.  Every request the target
received must be reported exactly once.
"""

import os
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest

from locust import events
from locust._fasthttp import connection as fast_connection
from locust.contrib.fasthttp import (
    ChunkedEncodingError,
    ConnectionError,
    FastHttpSession,
    ReadTimeout,
    SSLError,
)
from locust.engine import joinall, sleep, spawn
from support import free_port, wait_until
from support.http_target import start_server

# -- helpers ----------------------------------------------------------------------


class Reports(list):
    """("success"|"failure", kwargs) of every request event fired during a test."""

    def kinds(self):
        return [kind for kind, _ in self]


@pytest.fixture
def reports():
    log = Reports()

    def on_success(**kw):
        log.append(("success", kw))

    def on_failure(**kw):
        log.append(("failure", kw))

    events.request_success += on_success
    events.request_failure += on_failure
    yield log
    events.request_success -= on_success
    events.request_failure -= on_failure


class RawServer:
    """A TCP server in threads: ``handler(server, sock)`` runs for each connection.

    ``requests`` counts the request heads that handlers read with
    :meth:`read_request`.
    """

    def __init__(self, handler):
        self.handler = handler
        self.requests = 0
        self.connections = 0
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.url = "http://127.0.0.1:%d" % self.listener.getsockname()[1]
        self.stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped.is_set():
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock):
        try:
            self.handler(self, sock)
        except OSError:
            pass
        finally:
            sock.close()

    def read_request(self, sock):
        """Read one request head (no body); False at the end of the stream."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return False
            data += chunk
        with self.lock:
            self.requests += 1
        return True

    def close(self):
        self.stopped.set()
        self.listener.close()


@pytest.fixture
def raw_server():
    servers = []

    def start(handler):
        server = RawServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def reset(sock):
    """Close with a TCP reset (SO_LINGER 0)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()


# -- connections a server ends ----------------------------------------------------------


def test_a_server_that_closes_after_each_response_unannounced(raw_server, reports):
    def handler(server, sock):
        if server.read_request(sock):
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    server = raw_server(handler)
    session = FastHttpSession(server.url)
    for _ in range(30):
        assert session.get("/").content == b"ok"
    assert reports.kinds() == ["success"] * 30
    assert server.requests == 30


def test_connection_close_and_http_10_answers_are_not_reused(raw_server, reports):
    def handler(server, sock):
        if server.read_request(sock):
            if server.requests % 2:
                # (the header on the last line of the head)
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\na")
            else:
                sock.sendall(b"HTTP/1.0 200 OK\r\n\r\nuntil close")
                sock.shutdown(socket.SHUT_WR)

    server = raw_server(handler)
    session = FastHttpSession(server.url)
    bodies = [session.get("/").content for _ in range(6)]
    assert bodies == [b"a", b"until close"] * 3
    assert server.connections == server.requests == 6
    assert session.pool.idle_count() == 0


def test_an_http_10_keep_alive_answer_is_reused(raw_server, reports):
    def handler(server, sock):
        while server.read_request(sock):
            sock.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: Keep-Alive\r\n\r\nka")

    server = raw_server(handler)
    session = FastHttpSession(server.url)
    assert [session.get("/").content for _ in range(3)] == [b"ka"] * 3
    assert server.connections == 1


def test_an_idle_connection_closed_by_the_server_is_replaced(raw_server, reports, monkeypatch):
    monkeypatch.setattr(fast_connection, "IDLE_CHECK_AFTER", 0.0)

    def handler(server, sock):
        while server.read_request(sock):
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            time.sleep(0.05)
            return  # closed while idle

    server = raw_server(handler)
    session = FastHttpSession(server.url)
    for _ in range(3):
        assert session.get("/").status_code == 200
        sleep(0.2)
    assert server.requests == 3 and server.connections == 3
    assert reports.kinds() == ["success"] * 3


def test_a_reset_before_the_answer_is_a_status_0_failure(raw_server, reports):
    def handler(server, sock):
        if server.read_request(sock):
            reset(sock)

    server = raw_server(handler)
    response = FastHttpSession(server.url).get("/")
    assert response.status_code == 0
    assert isinstance(response.error, ConnectionError)
    assert reports.kinds() == ["failure"]
    assert server.requests == 1


def test_a_reset_in_the_middle_of_the_body_is_a_status_0_failure(raw_server, reports):
    def handler(server, sock):
        if server.read_request(sock):
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial")
            time.sleep(0.05)
            reset(sock)

    server = raw_server(handler)
    session = FastHttpSession(server.url)
    response = session.get("/")
    assert response.status_code == 0
    assert isinstance(response.error, (ConnectionError, ChunkedEncodingError))
    assert reports.kinds() == ["failure"]
    # The broken connection is not reused.
    assert session.pool.idle_count() == 0


def test_a_response_that_is_not_http_is_a_status_0_failure(raw_server, reports):
    def handler(server, sock):
        if server.read_request(sock):
            sock.sendall(b"SSH-2.0-OpenSSH\r\n\r\n")

    response = FastHttpSession(raw_server(handler).url).get("/")
    assert response.status_code == 0
    assert "BadStatusLine" in str(response.error)
    assert reports.kinds() == ["failure"]


def test_informational_and_bodiless_answers(raw_server, reports):
    answers = [b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
               b"HTTP/1.1 204 No Content\r\n\r\n",
               b"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n",
               b"HTTP/1.1 200 OK\r\nX-Folded: a\r\n  b\r\ncontent-length:  3 \r\n\r\nabc"]

    def handler(server, sock):
        while server.read_request(sock):
            sock.sendall(answers[(server.requests - 1) % len(answers)])

    server = raw_server(handler)
    session = FastHttpSession(server.url)
    assert session.get("/").content == b"ok"
    assert session.get("/").status_code == 204
    assert session.get("/").status_code == 304
    response = session.get("/")
    assert response.content == b"abc" and response.headers["x-folded"] == "a b"
    assert server.connections == 1
    assert reports.kinds() == ["success"] * 4


# -- time ---------------------------------------------------------------------------


def test_a_server_that_never_answers_times_out(raw_server, reports):
    release = threading.Event()

    def handler(server, sock):
        server.read_request(sock)
        release.wait(10)

    server = raw_server(handler)
    session = FastHttpSession(server.url, network_timeout=0.3)
    started = time.monotonic()
    response = session.get("/")
    release.set()
    assert 0.25 < time.monotonic() - started < 5
    assert response.status_code == 0
    assert isinstance(response.error, ReadTimeout)
    kind, kw = reports[0]
    assert kind == "failure" and kw["response_time"] >= 250
    assert server.requests == 1


def test_a_per_request_timeout_overrides_the_session_one(raw_server, reports):
    release = threading.Event()

    def handler(server, sock):
        server.read_request(sock)
        release.wait(10)

    session = FastHttpSession(raw_server(handler).url, network_timeout=30)
    response = session.get("/", timeout=0.2)
    release.set()
    assert isinstance(response.error, ReadTimeout)


def drip_handler(interval):
    def handler(server, sock):
        if server.read_request(sock):
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n")
            for byte in (b"a", b"b", b"c"):
                time.sleep(interval)
                sock.sendall(byte)
            sock.recv(1)
    return handler


def test_a_drip_slower_than_the_network_timeout_fails(raw_server, reports):
    session = FastHttpSession(raw_server(drip_handler(0.5)).url, network_timeout=0.2)
    response = session.get("/")
    assert response.status_code == 0
    assert isinstance(response.error, ReadTimeout)
    assert reports.kinds() == ["failure"]


def test_a_drip_within_the_network_timeout_is_read_whole(raw_server, reports):
    # The timeout applies to each read, not to the whole body (as upstream).
    session = FastHttpSession(raw_server(drip_handler(0.3)).url, network_timeout=1.0)
    response = session.get("/")
    assert response.content == b"abc"
    assert reports.kinds() == ["success"]
    assert reports[0][1]["response_time"] >= 800


def test_a_50_mb_body(raw_server, reports):
    size = 50 * 1024 * 1024
    payload = os.urandom(1024) * (size // 1024)

    def handler(server, sock):
        while server.read_request(sock):
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
            sock.sendall(payload)

    server = raw_server(handler)
    session = FastHttpSession(server.url)
    response = session.get("/big")
    assert len(response.content) == size and response.content == payload
    assert reports[0][1]["response_length"] == size
    # Streamed, in pieces, on the same connection.
    streamed = session.get("/big", stream=True)
    total = sum(len(chunk) for chunk in streamed.iter_content(1 << 20))
    assert total == size
    assert session.get("/big").status_code == 200
    assert server.connections == 1 and server.requests == 3
    assert reports.kinds() == ["success"] * 3


def test_a_large_chunked_body_and_a_head_split_across_reads(raw_server, reports):
    chunk = b"x" * 100000

    def handler(server, sock):
        while server.read_request(sock):
            for piece in (b"HTTP/1.1 200 OK\r\nTransfer-", b"Encoding: chunked\r\n", b"\r\n"):
                sock.sendall(piece)
                time.sleep(0.01)
            for _ in range(5):
                sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            sock.sendall(b"0\r\nTrailer: t\r\n\r\n")

    session = FastHttpSession(raw_server(handler).url)
    assert session.get("/").content == chunk * 5
    assert session.get("/").content == chunk * 5
    assert reports.kinds() == ["success"] * 2


def test_concurrent_answers_in_pieces_do_not_mix(raw_server, reports):
    # Responses are first read into one buffer shared by the process: one
    # that arrives in pieces must move to a buffer of its own before its
    # greenlet waits, or another greenlet's answer would overwrite it.
    def handler(server, sock):
        while True:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                data += chunk
            path = data.split(b" ")[1]
            body = path * 2000
            if path.endswith((b"0", b"2", b"4")):
                head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body)
            else:
                head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                body = b"".join(b"%x\r\n%s\r\n" % (len(path) * 100, path * 100)
                                for _ in range(20)) + b"0\r\n\r\n"
            message = head + body
            for cut in (20, len(head) + 50, len(head) + 3000):
                sock.sendall(message[:cut])
                message = message[cut:]
                time.sleep(0.005)
            sock.sendall(message)

    server = raw_server(handler)

    def user(i):
        session = FastHttpSession(server.url)
        for n in range(5):
            path = "/u%d-%d" % (i, n)
            assert session.get(path).content == path.encode() * 2000
            streamed = session.get(path, stream=True)
            assert b"".join(streamed.iter_content(777)) == path.encode() * 2000

    joinall([spawn(user, i) for i in range(20)], raise_error=True)
    assert reports.kinds() == ["success"] * 200


# -- counting -------------------------------------------------------------------------


def test_every_request_is_counted_exactly_once(counting_target, reports):
    session_count = 10
    per_session = 30
    paths = ["/", "/fail", "/missing"]

    def user(i):
        session = FastHttpSession(counting_target.url)
        for n in range(per_session):
            session.get(paths[(i + n) % 3])

    joinall([spawn(user, i) for i in range(session_count)], raise_error=True)
    assert wait_until(lambda: counting_target.count == session_count * per_session)
    assert len(reports) == counting_target.count
    assert reports.kinds().count("success") == session_count * per_session // 3


# -- TLS ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_ca():
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_server(tls_ca):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls_ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
    server = start_server(ssl_context=ctx)
    yield server
    server.stop()


def test_https_without_verification_keeps_the_connection(tls_server, reports):
    session = FastHttpSession(tls_server.url)  # insecure=True by default
    before = len(tls_server.connections)
    for _ in range(5):
        assert session.get("/ok").content == b"ok"
    assert len(tls_server.connections) - before == 1
    assert session.get("/gzip").status_code == 200
    assert session.get("/lines").content.startswith(b"line one")
    assert reports.kinds() == ["success"] * 7


def test_an_idle_https_connection_is_checked_and_reused(tls_server, monkeypatch):
    # TLS 1.3 servers send session tickets after the handshake: bytes on an
    # idle connection that do not mean it is closed.
    monkeypatch.setattr(fast_connection, "IDLE_CHECK_AFTER", 0.0)
    session = FastHttpSession(tls_server.url)
    before = len(tls_server.connections)
    for _ in range(3):
        assert session.get("/ok").content == b"ok"
        sleep(0.05)
    assert len(tls_server.connections) - before == 1


def test_https_through_a_connect_proxy(tls_server, reports):
    from support.http_target import start_proxy
    proxy = start_proxy()
    try:
        session = FastHttpSession(tls_server.url, proxy_host="127.0.0.1",
                                  proxy_port=proxy.server_address[1])
        assert session.get("/ok").content == b"ok"
        assert session.get("/ok").content == b"ok"
        authority = tls_server.url.split("//")[1]
        assert [seen[:2] for seen in proxy.seen] == [("CONNECT", authority)]
    finally:
        proxy.stop()
    assert reports.kinds() == ["success"] * 2


def test_https_verified_with_the_right_ca(tls_server, tls_ca, reports):
    def factory():
        ctx = ssl.create_default_context()
        tls_ca.configure_trust(ctx)
        return ctx

    session = FastHttpSession(tls_server.url, insecure=False, ssl_context_factory=factory)
    assert session.get("/ok").content == b"ok"


def test_https_with_an_unknown_ca_is_a_status_0_failure(tls_server, reports):
    session = FastHttpSession(tls_server.url, insecure=False)
    response = session.get("/ok")
    assert response.status_code == 0
    assert isinstance(response.error, SSLError)
    assert reports.kinds() == ["failure"]


# -- nginx ------------------------------------------------------------------------------

NGINX_CONF = """
{user}
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    gzip on;
    gzip_types text/plain;
    gzip_min_length 1;
    server {{
        listen 127.0.0.1:{port};
        location = /conn {{ default_type text/plain; return 200 "$connection"; }}
        location = /redirect {{ return 302 /conn; }}
        location = /missing {{ return 404; }}
        location = /big {{ default_type text/plain; alias {dir}/big.txt; }}
        location / {{ default_type text/plain; return 200 "ok"; }}
    }}
}}
"""


@pytest.fixture(scope="module")
def nginx(tmp_path_factory):
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx")
                                       else None)
    if binary is None:
        pytest.skip("nginx is not installed")
    directory = tmp_path_factory.mktemp("nginx")
    (directory / "big.txt").write_bytes(b"0123456789abcdef" * 65536)  # 1 MiB, gzipped: chunked
    port = free_port()
    conf = directory / "nginx.conf"
    # As root, nginx's workers would run as nobody, who cannot read pytest's tmp dirs.
    user = "user root;" if os.geteuid() == 0 else ""
    conf.write_text(NGINX_CONF.format(dir=directory, port=port, user=user))
    proc = subprocess.Popen([binary, "-p", str(directory), "-c", str(conf)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = "http://127.0.0.1:%d" % port

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return proc.poll() is not None

    wait_until(up, sleep=time.sleep)
    if proc.poll() is not None:
        pytest.skip("nginx did not start: %s" % proc.stderr.read().decode()[:200])

    def count():
        path = directory / "access.log"
        return len(path.read_text().splitlines()) if path.exists() else 0

    yield url, count
    proc.terminate()
    proc.wait(10)


def test_nginx_keep_alive_gzip_chunked_redirects_and_counts(nginx, reports):
    url, access_count = nginx
    before = access_count()
    session = FastHttpSession(url)
    connections = {session.get("/conn").text for _ in range(10)}
    assert len(connections) == 1  # one kept-alive connection
    big = session.get("/big")
    assert big.headers["content-encoding"] == "gzip"
    assert big.headers["transfer-encoding"] == "chunked"
    assert big.content == b"0123456789abcdef" * 65536
    assert session.get("/redirect").text in connections
    assert session.get("/missing").status_code == 404
    assert session.head("/").status_code == 200
    assert session.get("/", headers={"Accept-Encoding": "identity"}).content == b"ok"
    events_fired = len(reports)
    assert events_fired == 15
    # nginx logs each request, the redirect's two hops included.
    assert wait_until(lambda: access_count() - before == events_fired + 1, sleep=time.sleep)


def test_nginx_many_users_counted_exactly_once(nginx, reports):
    url, access_count = nginx
    before = access_count()

    def user():
        session = FastHttpSession(url)
        for _ in range(50):
            session.get("/")

    joinall([spawn(user) for _ in range(20)], raise_error=True)
    assert reports.kinds() == ["success"] * 1000
    assert wait_until(lambda: access_count() - before == 1000, sleep=time.sleep)
