"""urllib3's own PoolManager running over engine sockets, through its extension points.

Connection classes whose ``_new_conn`` calls ``net.create_connection``, the
engine's LifoQueue as the pool queue, and an SSL context passed through
``net.wrap_context``: no patching of urllib3 or of the stdlib.
"""

import http.server
import socket
import ssl
import time

import pytest
import trustme
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.timeout import _DEFAULT_TIMEOUT

from locust.engine import LifoQueue, joinall, net, spawn
from support.servers import serve_in_thread


class _EngineConnectionMixin:
    def _new_conn(self):
        timeout = self.timeout
        if timeout is _DEFAULT_TIMEOUT:
            timeout = socket.getdefaulttimeout()
        try:
            return net.create_connection((self._dns_host, self.port), timeout,
                                         source_address=self.source_address,
                                         socket_options=self.socket_options)
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, "connect timed out") from exc
        except OSError as exc:
            raise NewConnectionError(self, "failed to connect: %s" % exc) from exc


class EngineHTTPConnection(_EngineConnectionMixin, HTTPConnection):
    pass


class EngineHTTPSConnection(_EngineConnectionMixin, HTTPSConnection):
    pass


class EngineHTTPPool(HTTPConnectionPool):
    ConnectionCls = EngineHTTPConnection
    QueueCls = LifoQueue


class EngineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = EngineHTTPSConnection
    QueueCls = LifoQueue


def engine_pool_manager(**kwargs):
    manager = urllib3.PoolManager(**kwargs)
    manager.pool_classes_by_scheme = {"http": EngineHTTPPool, "https": EngineHTTPSPool}
    return manager


class _SlowHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        time.sleep(0.5)
        body = ("you asked for %s" % self.path).encode() * 100
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    request_queue_size = 128    # the default 5 drops SYNs of 50 concurrent clients


def expected(path):
    return ("you asked for %s" % path).encode() * 100


def test_fifty_greenlets_fetch_a_slow_endpoint_concurrently():
    server = _Server(("127.0.0.1", 0), _SlowHandler)
    with serve_in_thread(server):
        base = "http://127.0.0.1:%d" % server.server_address[1]
        manager = engine_pool_manager(maxsize=50)

        def fetch(i):
            response = manager.request("GET", "%s/slow/%d" % (base, i), timeout=10)
            return response.status, response.data

        started = time.monotonic()
        greenlets = [spawn(fetch, i) for i in range(50)]
        joinall(greenlets, timeout=30)
        elapsed = time.monotonic() - started
        # The connections went back to the pool and are reused.
        second = spawn(fetch, 99)
        second.join(10)
        pool = manager.connection_from_url(base)
        manager.clear()
    for i, g in enumerate(greenlets):
        assert g.get() == (200, expected("/slow/%d" % i))
    assert second.get() == (200, expected("/slow/99"))
    assert isinstance(pool, EngineHTTPPool)
    assert elapsed < 3     # one after the other: 25 s


def test_connection_refused_is_urllib3s_error():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    manager = engine_pool_manager()
    with pytest.raises(urllib3.exceptions.MaxRetryError) as info:
        manager.request("GET", "http://127.0.0.1:%d/" % port, retries=0)
    assert isinstance(info.value.reason, NewConnectionError)


class _TLSServer(_Server):
    context = None

    def get_request(self):
        conn, address = super().get_request()
        return self.context.wrap_socket(conn, server_side=True,
                                        do_handshake_on_connect=False), address

    def finish_request(self, request, client_address):
        request.do_handshake()     # in the handler thread, not in accept
        super().finish_request(request, client_address)


def test_https_with_a_context_wrapped_by_net():
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_ctx)
    server = _TLSServer(("127.0.0.1", 0), _SlowHandler)
    server.context = server_ctx
    client_ctx = net.create_default_context()
    ca.configure_trust(client_ctx)
    with serve_in_thread(server):
        base = "https://localhost:%d" % server.server_address[1]
        manager = engine_pool_manager(maxsize=20, ssl_context=client_ctx)
        socks = []

        def fetch(i):
            response = manager.request("GET", "%s/tls/%d" % (base, i), timeout=10,
                                       preload_content=False)
            socks.append(type(response.connection.sock))
            data = response.read()
            response.release_conn()
            return response.status, data

        started = time.monotonic()
        greenlets = [spawn(fetch, i) for i in range(20)]
        joinall(greenlets, timeout=30)
        elapsed = time.monotonic() - started
        manager.clear()
    for i, g in enumerate(greenlets):
        assert g.get() == (200, expected("/tls/%d" % i))
    assert set(socks) == {net.SSLSocket}
    assert elapsed < 3     # one after the other: 10 s
