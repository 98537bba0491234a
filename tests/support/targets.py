"""A stdlib HTTP server (not built on the engine) that counts every request it receives.

Routes, for any method: ``/fail...`` answers 500, ``/missing`` 404, anything
else 200 with a short body.  ``count`` is what the target saw: the side of
every "reported == served" check; ``counts`` the same per path.  Setting
``delay`` (seconds) makes every answer that much slower from then on.
"""

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["CountingServer"]


class _CountingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def _handle(self):
        with self.server.lock:
            self.server.count += 1
            path = self.path.split("?")[0]
            self.server.counts[path] = self.server.counts.get(path, 0) + 1
        if self.server.delay:
            time.sleep(self.server.delay)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path.startswith("/fail"):
            status = 500
        elif self.path.startswith("/missing"):
            status = 404
        else:
            status = 200
        body = b"hello from the counting target"
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _handle


class CountingServer(ThreadingHTTPServer):
    """A stdlib HTTP server in a thread that counts every request it receives."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _CountingHandler)
        self.count = 0
        #: path -> requests received.
        self.counts = {}
        #: Seconds every answer waits before it is sent.
        self.delay = 0.0
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self):
        """``http://127.0.0.1:PORT``."""
        return "http://127.0.0.1:%d" % self.server_address[1]

    def handle_error(self, request, client_address):
        # A generator stopped or killed mid-request resets its connections:
        # expected in these tests, not worth a traceback on stderr.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def close(self):
        """Stop serving and close the listening socket."""
        self.shutdown()
        self.server_close()
