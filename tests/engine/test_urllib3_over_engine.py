"""urllib3's own PoolManager running over engine sockets, through its extension points.

The pools are the product's (``locust._http.pool``): connection classes
whose ``_new_conn`` calls ``net.create_connection``, the engine's LifoQueue
as the pool queue, and an SSL context passed through ``tls.wrap_context``;
no patching of urllib3 or of the stdlib.

Concurrency is shown by ordering, not by time: the stdlib server's handlers
wait at a barrier until every request is in, so the requests only succeed
if they were all on the wire at once (one after the other, the first would
wait at the barrier until it gave up).
"""

import http.server
import socket
import ssl

import pytest
import trustme
import urllib3
from urllib3.exceptions import NewConnectionError

from locust._http.pool import EngineHTTPConnectionPool, EngineHTTPSConnectionPool, ssl_context
from locust.engine import joinall, spawn, tls
from support.servers import RendezvousHTTPServer, serve_in_thread


def engine_pool_manager(**kwargs):
    """A plain urllib3 PoolManager whose pools are the product's engine pools."""
    manager = urllib3.PoolManager(**kwargs)
    manager.pool_classes_by_scheme = {"http": EngineHTTPConnectionPool,
                                      "https": EngineHTTPSConnectionPool}
    return manager


class _BarrierHandler(http.server.BaseHTTPRequestHandler):
    """Answers once every expected request is in (503 if they never were)."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        met = True if self.path.startswith("/after") else self.server.rendezvous()
        status = 200 if met else 503
        body = ("you asked for %s" % self.path).encode() * 100
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def expected(path):
    return ("you asked for %s" % path).encode() * 100


def test_fifty_greenlets_fetch_concurrently_over_the_product_pools():
    server = RendezvousHTTPServer(("127.0.0.1", 0), _BarrierHandler, parties=50)
    with serve_in_thread(server):
        base = "http://127.0.0.1:%d" % server.server_address[1]
        manager = engine_pool_manager(maxsize=50)

        def fetch(path):
            response = manager.request("GET", base + path, timeout=60)
            return response.status, response.data

        greenlets = [spawn(fetch, "/slow/%d" % i) for i in range(50)]
        joinall(greenlets, timeout=60)
        # The connections went back to the pool and are reused.
        second = spawn(fetch, "/after")
        second.join(10)
        pool = manager.connection_from_url(base)
        reused = pool.num_connections
        manager.clear()
    for i, g in enumerate(greenlets):
        assert g.get() == (200, expected("/slow/%d" % i))   # all 50 at the barrier at once
    assert second.get() == (200, expected("/after"))
    assert type(pool) is EngineHTTPConnectionPool
    assert reused == 50                                      # no 51st connection


def test_connection_refused_is_urllib3s_error():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    manager = engine_pool_manager()
    with pytest.raises(urllib3.exceptions.MaxRetryError) as info:
        manager.request("GET", "http://127.0.0.1:%d/" % port, retries=0)
    assert isinstance(info.value.reason, NewConnectionError)


class _TLSServer(RendezvousHTTPServer):
    context = None

    def get_request(self):
        conn, address = super().get_request()
        return self.context.wrap_socket(conn, server_side=True,
                                        do_handshake_on_connect=False), address

    def finish_request(self, request, client_address):
        request.do_handshake()     # in the handler thread, not in accept
        super().finish_request(request, client_address)


def test_https_over_the_product_pools_and_context():
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_ctx)
    server = _TLSServer(("127.0.0.1", 0), _BarrierHandler, parties=20)
    server.context = server_ctx
    with ca.cert_pem.tempfile() as ca_file, serve_in_thread(server):
        client_ctx = ssl_context(verify=ca_file)
        base = "https://localhost:%d" % server.server_address[1]
        manager = engine_pool_manager(maxsize=20, ssl_context=client_ctx)
        socks = []

        def fetch(i):
            response = manager.request("GET", "%s/tls/%d" % (base, i), timeout=60,
                                       preload_content=False)
            socks.append(type(response.connection.sock))
            data = response.read()
            response.release_conn()
            return response.status, data

        greenlets = [spawn(fetch, i) for i in range(20)]
        joinall(greenlets, timeout=60)
        manager.clear()
    for i, g in enumerate(greenlets):
        assert g.get() == (200, expected("/tls/%d" % i))   # all 20 at the barrier at once
    assert set(socks) == {tls.SSLSocket}
