"""Cooperative plain sockets (locust.engine.net) against stdlib servers."""

import contextlib
import errno
import gc
import http.client
import http.server
import socket
import sys
import threading
import time

import pytest

from locust.engine import Event, get_hub, joinall, net, sleep, spawn
from support.servers import (
    RendezvousHTTPServer,
    echo_server_process,
    raise_fd_limit,
    serve_in_thread,
)


@pytest.fixture(scope="module")
def echo_server():
    with echo_server_process() as address:
        yield address


@pytest.fixture
def silent_server():
    """A listening stdlib socket that accepts and never answers."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    conns = []
    stop = threading.Event()

    def accept():
        lsock.settimeout(0.05)
        while not stop.is_set():
            with contextlib.suppress(socket.timeout, OSError):
                conns.append(lsock.accept()[0])
    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield lsock.getsockname()
    stop.set()
    thread.join(2)
    for conn in conns:
        conn.close()
    lsock.close()


def ticker(ticks, interval=0.01):
    while True:
        ticks.append(time.monotonic())
        sleep(interval)


def recv_exactly(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(65536, n - len(buf)))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


# -- many connections ---------------------------------------------------------

def test_thousand_concurrent_clients_get_every_byte_back(echo_server):
    raise_fd_limit()
    size = 10 * 1024

    def client(i):
        pattern = (b"%05d:" % i) * (size // 6 + 1)
        payload = pattern[:size]
        sock = net.create_connection(echo_server)
        try:
            # Half send everything at once, half interleave sends and reads.
            if i % 2:
                sock.sendall(payload)
                return recv_exactly(sock, size) == payload
            back = bytearray()
            for start in range(0, size, 1000):
                sock.sendall(payload[start:start + 1000])
                back += recv_exactly(sock, len(payload[start:start + 1000]))
            return bytes(back) == payload
        finally:
            sock.close()

    greenlets = [spawn(client, i) for i in range(1000)]
    joinall(greenlets, timeout=60)
    assert all(g.dead for g in greenlets)
    failures = [g for g in greenlets if not g.successful() or g.value is not True]
    assert not failures, failures[:3]


# -- timeouts -------------------------------------------------------------------

def test_read_timeout_raises_only_in_its_greenlet(echo_server, silent_server):
    ticks = []
    tick = spawn(ticker, ticks)
    worker_rounds = []

    def worker():
        sock = net.create_connection(echo_server)
        for _ in range(40):
            sock.sendall(b"ping")
            assert recv_exactly(sock, 4) == b"ping"
            worker_rounds.append(1)
            sleep(0.005)
        sock.close()

    def waiter():
        sock = net.create_connection(silent_server, timeout=0.3)
        started = time.monotonic()
        try:
            sock.recv(10)
        except TimeoutError as exc:
            return str(exc), time.monotonic() - started
        finally:
            sock.close()

    w = spawn(worker)
    t = spawn(waiter)
    joinall([w, t], timeout=10)
    tick.kill()
    message, elapsed = t.get()
    assert message == "timed out"
    assert elapsed >= 0.25     # not before its time; without a timeout it would never end
    assert w.successful() and len(worker_rounds) == 40
    assert len(ticks) >= 2     # the ticker ran (and slept) during the wait


def test_timeout_is_a_socket_timeout(silent_server):
    sock = net.create_connection(silent_server, timeout=0.05)
    with pytest.raises(socket.timeout):
        sock.recv(1)
    sock.close()


def test_timeout_zero_raises_blocking_io_error_at_once(silent_server):
    sock = net.create_connection(silent_server)
    sock.settimeout(0.0)
    others = []
    spawn(others.append, "ran")      # runs as soon as this greenlet waits
    with pytest.raises(BlockingIOError):
        sock.recv(10)
    with pytest.raises(BlockingIOError):
        sock.recv_into(bytearray(10))
    assert others == []              # at once: it never waited
    sock.close()


def test_timeout_and_blocking_accessors_follow_the_stdlib():
    sock = net.socket()
    try:
        assert sock.gettimeout() is None and sock.getblocking()
        sock.settimeout(2)
        assert sock.gettimeout() == 2.0 and sock.getblocking() and sock.timeout == 2.0
        sock.setblocking(False)
        assert sock.gettimeout() == 0.0 and not sock.getblocking()
        sock.setblocking(True)
        assert sock.gettimeout() is None
        with pytest.raises(ValueError):
            sock.settimeout(-1)
        with pytest.raises(TypeError):
            sock.settimeout("1")
        # The OS socket stays non-blocking whatever the user's timeout.
        assert socket.socket.__mro__[1].gettimeout(sock) == 0.0
        assert "timeout=None" in repr(sock)
    finally:
        sock.close()


def test_default_timeout_applies_to_new_sockets():
    socket.setdefaulttimeout(1.5)
    try:
        sock = net.socket()
        assert sock.gettimeout() == 1.5
        sock.close()
    finally:
        socket.setdefaulttimeout(None)


def test_connect_refused_raises_connection_refused_error():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    address = probe.getsockname()
    probe.close()    # nothing listens there now
    with pytest.raises(ConnectionRefusedError):
        net.create_connection(address)
    sock = net.socket()
    assert sock.connect_ex(address) == errno.ECONNREFUSED
    sock.close()
    if sys.version_info >= (3, 11):
        with pytest.raises(ExceptionGroup):  # noqa: F821
            net.create_connection(address, all_errors=True)


def test_connect_timeout_on_a_full_backlog():
    # Linux drops SYNs for a listener whose accept queue is full, so a
    # connect there waits for the (seconds-long) SYN retry: a connect timeout.
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(0)
    fillers = []
    try:
        for _ in range(8):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(lsock.getsockname())
            fillers.append(filler)
        time.sleep(0.1)
        sock = net.socket()
        sock.settimeout(0.2)
        started = time.monotonic()
        try:
            sock.connect(lsock.getsockname())
        except TimeoutError:
            # Not before its time (the bound for "too late" is: never, which
            # the test's own timeout would catch).
            assert time.monotonic() - started >= 0.15
        else:
            pytest.skip("this kernel accepted the connection despite the full backlog")
        finally:
            sock.close()
    finally:
        for filler in fillers:
            filler.close()
        lsock.close()


# -- close and kill -------------------------------------------------------------

def test_close_from_another_greenlet_wakes_the_reader(silent_server):
    sock = net.create_connection(silent_server)

    def reader():
        try:
            sock.recv(10)
        except OSError as exc:
            return exc
        return None

    r = spawn(reader)
    sleep(0.05)
    sock.close()
    r.join(2)
    assert r.dead and isinstance(r.value, OSError)


def test_kill_unblocks_a_greenlet_blocked_in_recv(silent_server):
    sock = net.create_connection(silent_server)
    r = spawn(sock.recv, 10)
    sleep(0.05)
    r.kill(timeout=60)
    assert r.dead     # the silent server never answers: only the kill ended it
    # The socket is still usable: a new wait on it is accepted.
    sock.settimeout(0.05)
    with pytest.raises(TimeoutError):
        sock.recv(1)
    sock.close()


def test_fd_number_reused_after_a_dropped_socket_still_works(echo_server):
    # A socket dropped without close() must not leave a stale registration
    # that would keep the next socket with the same fd number from waking.
    for _ in range(3):
        sock = net.create_connection(echo_server)
        sock.sendall(b"x")
        assert sock.recv(1) == b"x"
        fd = sock.fileno()
        with pytest.warns(ResourceWarning):
            del sock
            gc.collect()
        again = net.create_connection(echo_server)
        assert again.fileno() == fd
        again.settimeout(5)
        sleep_then_send = spawn(lambda s=again: (sleep(0.02), s.sendall(b"y")))
        assert again.recv(1) == b"y"
        sleep_then_send.join()
        again.close()


# -- the rest of the socket API ----------------------------------------------------

def test_accept_returns_a_cooperative_socket_for_a_stdlib_client():
    lsock = net.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen()
    result = {}

    def client():
        with socket.create_connection(lsock.getsockname()) as c:
            c.sendall(b"hello")
            result["reply"] = recv_exactly(c, 5)

    thread = threading.Thread(target=client)
    thread.start()
    conn, address = lsock.accept()
    assert isinstance(conn, net.socket) and address[0] == "127.0.0.1"
    assert recv_exactly(conn, 5) == b"hello"
    conn.sendall(b"world")
    thread.join(5)
    conn.close()
    lsock.close()
    assert result["reply"] == b"world"


def test_accept_timeout():
    lsock = net.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen()
    lsock.settimeout(0.05)
    with pytest.raises(TimeoutError):
        lsock.accept()
    lsock.close()


def test_makefile_readline_dup_and_detach(echo_server):
    sock = net.create_connection(echo_server)
    sock.sendall(b"line one\nline two\n")
    f = sock.makefile("rb")
    assert f.readline() == b"line one\n"
    assert f.readline() == b"line two\n"
    f.close()
    twin = sock.dup()
    assert isinstance(twin, net.socket) and twin.fileno() != sock.fileno()
    twin.sendall(b"via dup")
    assert recv_exactly(sock, 7) == b"via dup"
    twin.close()
    fd = sock.detach()
    assert sock.fileno() == -1
    again = net.socket(fileno=fd)
    again.sendall(b"re")
    assert recv_exactly(again, 2) == b"re"
    again.close()


def test_sendall_of_a_large_buffer_and_memoryview(echo_server):
    sock = net.create_connection(echo_server)
    payload = bytes(range(256)) * 8192     # 2 MB: more than the socket buffers
    reader = spawn(recv_exactly, sock, len(payload) + 3)
    sock.sendall(memoryview(payload))
    sock.sendall(bytearray(b"end"))
    reader.join(10)
    assert reader.value == payload + b"end"
    sock.close()


def test_sendall_timeout_when_nobody_reads(silent_server):
    sock = net.create_connection(silent_server, timeout=0.2)
    with pytest.raises(TimeoutError):
        sock.sendall(b"x" * (64 * 1024 * 1024))
    sock.close()


def test_udp_sendto_and_recvfrom_with_a_stdlib_peer():
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))

    def bounce():
        data, address = peer.recvfrom(100)
        peer.sendto(data.upper(), address)
    thread = threading.Thread(target=bounce)
    thread.start()
    sock = net.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(5)
    sock.sendto(b"datagram", peer.getsockname())
    data, address = sock.recvfrom(100)
    assert data == b"DATAGRAM" and address == peer.getsockname()
    thread.join(5)
    sock.close()
    peer.close()


def test_socketpair_is_cooperative():
    a, b = net.socketpair()
    got = spawn(b.recv, 10)
    sleep(0.01)
    assert not got.dead
    a.sendall(b"pair")
    got.join(2)
    assert got.value == b"pair"
    a.close()
    b.close()


# -- http.client ----------------------------------------------------------------------

class _RendezvousHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        # The first request of each client meets the others'.
        met = self.server.rendezvous() if self.path.startswith("/item/") else True
        body = ("path=%s" % self.path).encode()
        self.send_response(200 if met else 503)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class EngineHTTPConnection(http.client.HTTPConnection):
    """http.client over engine sockets, through its own extension point."""

    def connect(self):
        self.sock = net.create_connection((self.host, self.port), self.timeout,
                                          self.source_address)


def test_http_client_requests_run_concurrently():
    server = RendezvousHTTPServer(("127.0.0.1", 0), _RendezvousHandler, parties=10)
    with serve_in_thread(server):
        port = server.server_address[1]

        def fetch(i):
            conn = EngineHTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", "/item/%d" % i)
            response = conn.getresponse()
            body = response.read()
            conn.request("GET", "/again/%d" % i)     # keep-alive: same socket
            second = conn.getresponse().read()
            conn.close()
            return response.status, body, second

        greenlets = [spawn(fetch, i) for i in range(10)]
        joinall(greenlets, timeout=60)
    # 200 for all: the ten first requests were at the server together.
    for i, g in enumerate(greenlets):
        assert g.value == (200, b"path=/item/%d" % i, b"path=/again/%d" % i)


# -- name resolution --------------------------------------------------------------------

def test_getaddrinfo_is_cached(monkeypatch):
    calls = []

    def resolver(*args):
        calls.append(args)
        return socket.getaddrinfo(*args)
    monkeypatch.setattr(net, "_resolve_addrinfo", resolver)
    net.clear_dns_cache()
    first = net.getaddrinfo("localhost", 80, 0, socket.SOCK_STREAM)
    second = net.getaddrinfo("localhost", 80, 0, socket.SOCK_STREAM)
    assert first == second == socket.getaddrinfo("localhost", 80, 0, socket.SOCK_STREAM)
    assert len(calls) == 1
    net.getaddrinfo("localhost", 81, 0, socket.SOCK_STREAM)     # another key
    assert len(calls) == 2
    monkeypatch.setattr(net, "DNS_CACHE_TTL", -1.0)               # entries expire
    net.getaddrinfo("localhost", 82)
    net.getaddrinfo("localhost", 82)
    assert len(calls) == 4
    net.clear_dns_cache()


def test_gethostbyname_is_cached(monkeypatch):
    calls = []
    monkeypatch.setattr(net, "_resolve_hostname", lambda name: calls.append(name) or "127.0.0.1")
    net.clear_dns_cache()
    assert net.gethostbyname("some.test") == net.gethostbyname("some.test") == "127.0.0.1"
    assert calls == ["some.test"]
    net.clear_dns_cache()


def test_connect_by_host_name_goes_through_the_cache(echo_server, monkeypatch):
    calls = []

    def resolver(*args):
        calls.append(args)
        return socket.getaddrinfo("127.0.0.1", *args[1:])
    monkeypatch.setattr(net, "_resolve_addrinfo", resolver)
    net.clear_dns_cache()
    for _ in range(3):
        sock = net.create_connection(("echo.test", echo_server[1]))
        sock.sendall(b"n")
        assert sock.recv(1) == b"n"
        sock.close()
        raw = net.socket()
        raw.connect(("echo.test", echo_server[1]))
        raw.close()
    assert [c[0] for c in calls] == ["echo.test", "echo.test"]   # two keys, once each
    net.clear_dns_cache()


def test_unknown_waits_do_not_leak_registrations(echo_server):
    hub = get_hub()
    before = hub._waiting_fds
    done = Event()

    def work():
        sock = net.create_connection(echo_server)
        for _ in range(5):
            sock.sendall(b"a")
            sock.recv(1)
        sock.close()
        done.set()
    spawn(work)
    done.wait(5)
    assert hub._waiting_fds == before
