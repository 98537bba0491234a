"""Cooperative TLS (locust.engine.SSLSocket) against stdlib TLS peers in threads.

Certificates are made at test time with trustme.
"""

import http.client
import http.server
import socket
import ssl
import subprocess
import sys
import threading
import time

import pytest
import trustme

from locust.engine import joinall, net, sleep, spawn
from locust.engine.tls import SSLSocket, create_default_context, wrap_context
from support.servers import RendezvousHTTPServer, serve_in_thread

MB = 1024 * 1024


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture(scope="module")
def server_context(ca):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(ctx)
    return ctx


@pytest.fixture
def client_context(ca):
    ctx = create_default_context()
    ca.configure_trust(ctx)
    return ctx


def recv_exactly(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(65536, n - len(buf)))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def pattern(n, seed):
    block = bytes((seed + i) % 251 for i in range(251))
    return (block * (n // 251 + 1))[:n]


@pytest.fixture
def stdlib_tls_server(server_context):
    """A stdlib TLS server thread: reads 1 MB, answers with another 1 MB, unwraps."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen()
    result = {}

    def serve():
        conn, _ = lsock.accept()
        conn.settimeout(10)
        try:
            tls = server_context.wrap_socket(conn, server_side=True)
            result["received"] = recv_exactly(tls, MB)
            tls.sendall(pattern(MB, 7))
            plain = tls.unwrap()
            result["unwrapped"] = True
            plain.close()
        except Exception as exc:    # reported by the test
            result["error"] = exc
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield lsock.getsockname(), result, thread
    thread.join(5)
    lsock.close()


def ticker(ticks, interval=0):
    while True:
        ticks.append(1)
        sleep(interval)


def test_client_round_trip_of_a_megabyte_each_way(stdlib_tls_server, client_context):
    address, result, thread = stdlib_tls_server
    ticks = []
    tick = spawn(ticker, ticks)

    def client():
        sock = net.create_connection(address, timeout=10)
        tls = client_context.wrap_socket(sock, server_hostname="localhost")
        assert isinstance(tls, SSLSocket) and tls.version()
        sender = spawn(tls.sendall, pattern(MB, 3))
        received = recv_exactly(tls, MB)
        sender.get()
        plain = tls.unwrap()
        plain.close()
        return received

    g = spawn(client)
    g.join(20)
    tick.kill()
    thread.join(5)
    assert "error" not in result, result.get("error")
    assert g.get() == pattern(MB, 7)
    assert result["received"] == pattern(MB, 3)
    assert result["unwrapped"]
    assert len(ticks) >= 2   # others ran while TLS waited


def test_engine_tls_server_accepts_a_stdlib_client(ca, server_context):
    engine_ctx = wrap_context(ssl.create_default_context(ssl.Purpose.CLIENT_AUTH))
    ca.issue_cert("localhost").configure_cert(engine_ctx)
    listener = engine_ctx.wrap_socket(net.socket(), server_side=True)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    replies = {}

    def stdlib_client(i):
        ctx = ssl.create_default_context()
        ca.configure_trust(ctx)
        with socket.create_connection(listener.getsockname(), timeout=10) as raw, \
                ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(pattern(200000, i))
            replies[i] = recv_exactly(tls, 200000)

    threads = [threading.Thread(target=stdlib_client, args=(i,), daemon=True) for i in range(3)]
    for thread in threads:
        thread.start()

    def handle(conn):
        data = recv_exactly(conn, 200000)
        conn.sendall(data[::-1])
        conn.close()

    handlers = []
    for _ in threads:
        conn, _ = listener.accept()     # the handshake happens here, cooperatively
        assert isinstance(conn, SSLSocket)
        handlers.append(spawn(handle, conn))
    joinall(handlers, timeout=20)
    for thread in threads:
        thread.join(5)
    listener.close()
    assert all(h.successful() for h in handlers)
    assert replies == {i: pattern(200000, i)[::-1] for i in range(3)}


def test_handshake_with_a_silent_peer_times_out_without_blocking_others(client_context):
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen()
    ticks = []
    tick = spawn(ticker, ticks, 0.01)
    sock = net.create_connection(lsock.getsockname(), timeout=0.3)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        client_context.wrap_socket(sock, server_hostname="localhost")
    tick.kill()
    assert time.monotonic() - started > 0.25   # not before its time
    assert len(ticks) >= 2   # others ran while the handshake waited
    lsock.close()


def test_read_timeout_and_nonblocking_want_read(stdlib_tls_server, client_context):
    address, result, thread = stdlib_tls_server
    sock = net.create_connection(address)
    tls = client_context.wrap_socket(sock, server_hostname="localhost")
    tls.settimeout(0.0)
    with pytest.raises(ssl.SSLWantReadError):
        tls.recv(10)        # the server waits for our megabyte first
    tls.settimeout(0.1)
    with pytest.raises(TimeoutError):
        tls.recv(10)
    tls.close()


def test_explicit_handshake_and_verification_failure(stdlib_tls_server, client_context):
    address, result, thread = stdlib_tls_server
    sock = net.create_connection(address, timeout=5)
    tls = client_context.wrap_socket(sock, server_hostname="not-the-name.test",
                                     do_handshake_on_connect=False)
    with pytest.raises(ssl.SSLCertVerificationError):
        tls.do_handshake()
    tls.close()


def test_tls_connect_through_the_tls_socket(stdlib_tls_server, client_context):
    address, result, thread = stdlib_tls_server
    tls = client_context.wrap_socket(net.socket(), server_hostname="localhost")
    tls.settimeout(10)
    tls.connect(address)    # cooperative connect, then the handshake
    tls.sendall(pattern(MB, 3))
    assert recv_exactly(tls, MB) == pattern(MB, 7)
    tls.unwrap().close()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        met = self.server.rendezvous()
        body = b"secure " + self.path.encode()
        self.send_response(200 if met else 503)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _TLSServer(RendezvousHTTPServer):
    context = None

    def get_request(self):
        conn, address = super().get_request()
        # The handshake happens in the handler thread, not in accept.
        return self.context.wrap_socket(conn, server_side=True,
                                        do_handshake_on_connect=False), address

    def finish_request(self, request, client_address):
        request.do_handshake()
        super().finish_request(request, client_address)


def test_http_client_https_over_engine_sockets(server_context, client_context):
    server = _TLSServer(("127.0.0.1", 0), _Handler, parties=8)
    server.context = server_context
    with serve_in_thread(server):
        port = server.server_address[1]

        def fetch(i):
            conn = http.client.HTTPSConnection("localhost", port, timeout=60,
                                               context=client_context)
            conn._create_connection = net.create_connection
            conn.request("GET", "/%d" % i)
            assert isinstance(conn.sock, SSLSocket)
            response = conn.getresponse()
            body = response.read()
            conn.close()
            return body

        greenlets = [spawn(fetch, i) for i in range(8)]
        joinall(greenlets, timeout=60)
    # All answered: the 8 requests were at the server together.
    assert [g.get() for g in greenlets] == [b"secure /%d" % i for i in range(8)]


@pytest.mark.parametrize("code", [
    # tls builds on net; net does not import tls (no cycle), so plain
    # sockets do not load ssl.
    "import sys, locust.engine.net; assert 'locust.engine.tls' not in sys.modules; "
    "assert 'ssl' not in sys.modules, 'ssl imported'",
    "import locust.engine.tls as t, locust.engine.net as n; assert issubclass(t.SSLSocket, n.socket)",
    "import locust.engine.net as n; assert not hasattr(n, 'SSLSocket')",
])
def test_tls_and_net_import_in_any_order(code):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
