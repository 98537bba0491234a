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

Slow and idle clients: a client must send a complete request head within
``header_timeout`` seconds (default 10) -- counted from the accept for the
first request, from the first byte of the head for the next ones -- or it
gets a ``408`` and the connection is closed (the sweeper looks every second,
so a slow head lives ``header_timeout`` to ``header_timeout + 1`` seconds;
the fast path, a head that comes in one ``recv``, reads no clock).  An idle
keep-alive connection, between requests, is bounded by ``timeout``.  At
most ``max_connections`` (default 1000) connections are open at once; one
accepted beyond that is closed at once, with one warning per
:data:`REFUSED_LOG_PERIOD` seconds that says how many were.  Together they
bound what clients that never finish a request can hold.  (Before them,
3,000 such clients sending a header line a second held 164 MB for as long
as they liked, and 152 MB stayed allocated after they left: each connection
and its empty ``wsgi.input`` referred to each other, a cycle that only a
full garbage collection freed; there is no cycle now.)

Slow and idle clients: a client must send a complete request head within
``header_timeout`` seconds (default 10) -- counted from the accept for the
first request, from the first byte of the head for the next ones -- or it
gets a ``408`` and the connection is closed (the sweeper looks every second
at most, so a slow head lives ``header_timeout`` to ``header_timeout + 1``
seconds; the fast path, a head that comes in one ``recv``, reads no clock).
An idle keep-alive connection, between requests, is bounded by ``timeout``.
At most ``max_connections`` (default 1000) connections are open at once;
one accepted beyond that is closed at once, with one warning per
:data:`REFUSED_LOG_PERIOD` seconds that says how many were.  Together they
bound what clients that never finish a request can hold: before them, 3,000
such clients sending a header line a second held 164 MB for as long as they
liked (and 152 MB stayed allocated after they left, a reference cycle from
each connection to its empty ``wsgi.input`` that only a full garbage
collection freed; there is no cycle now).

``BottleServer`` (built on first access, so that importing this module
does not import bottle) runs a bottle app here:
``bottle.run(app, server=BottleServer, host=..., port=...)``.

This module is the server: listening, accepting, one greenlet per
connection running its requests in turn, the sweeper, stopping, logging.
The protocol work is in two private modules, split so that each reads in
one go: :mod:`._http11` (the connection's bytes: request heads, bodies,
raw writes, error answers) and :mod:`._wsgi_request` (one request: head to
environ, the application call, response framing and keep-alive).
"""

import contextlib
import errno
import logging
import socket as _socket
import sys
import time

from . import net
from ._http11 import (  # noqa: F401 (public)
    MAX_DRAIN,
    MAX_HEADERS_SIZE,
    MAX_REQUEST_LINE,
    BadRequest,
    Connection,
    ConnectionLost,
    http_date,
)
from ._wsgi_request import Request
from .greenlets import GreenletExit, joinall, killall, sleep, spawn
from .hub import call_later, clock, getcurrent
from .sync import Event

# BottleServer is public too, built on first access (see __getattr__ at the
# end); it is not in __all__ so that ``import *`` does not import bottle.
__all__ = ["WSGIServer", "REFUSED_LOG_PERIOD"]

logger = logging.getLogger("locust.engine.wsgi")
_SERVER_SOFTWARE = "locust.engine.wsgi"
#: Seconds between two warnings about connections refused over ``max_connections``.
REFUSED_LOG_PERIOD = 10.0
#: The longest the sweeper sleeps when it enforces ``header_timeout``.
_HEAD_SWEEP = 1.0


class _HeadTimeout(Exception):
    """Thrown into a connection that did not send its request head in time."""


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
    application itself may take as long as it likes.  ``header_timeout``
    is the time a client has to send a complete request head (408 and
    close after it; None: no limit) and ``max_connections`` the number of
    connections open at once (more are closed on accept; None: no limit);
    see the module docstring.  ``environ`` adds keys to every request's
    environ.  Raises ValueError for a ``header_timeout`` or
    ``max_connections`` that is not positive.
    """

    def __init__(self, listener, application, log=None, backlog=1024,
                 error_log=None, timeout=60.0, environ=None, header_timeout=10.0,
                 max_connections=1000):
        if header_timeout is not None and not header_timeout > 0:
            raise ValueError("header_timeout must be more than 0 seconds (or None)")
        if max_connections is not None and max_connections < 1:
            raise ValueError("max_connections must be at least 1 (or None)")
        self.listener = listener
        self.application = application
        self.access_log = log
        self.error_log = error_log or logger
        self.backlog = backlog
        self.timeout = timeout
        self.header_timeout = header_timeout
        self.max_connections = max_connections
        #: Connections closed on accept because max_connections were open.
        self.refused = 0
        #: Connections closed because their request head was late.
        self.head_timeouts = 0
        self._refused_logged = 0   # refusals already counted in a warning
        self._refused_timer = None
        self.extra_environ = dict(environ or {})
        self.socket = None
        #: The bound address after start() (host, port[, ...]).
        self.address = None
        self.base_environ = None
        self._accept_glet = None
        self._sweeper = None
        self._connections = {}  # greenlet -> Connection
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
    def connection_count(self):
        """Connections open now (each runs in its own greenlet)."""
        return len(self._connections)

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
        if self.timeout is not None or self.header_timeout is not None:
            self._sweeper = spawn(self._sweep)

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
        if self._refused_timer is not None:
            self._refused_timer.cancel()
            self._refused_timer = None
        with contextlib.suppress(OSError):
            self.socket.close()
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
            if self.max_connections is not None and \
                    len(self._connections) >= self.max_connections:
                sock.close()
                self._refuse()
                continue
            with contextlib.suppress(OSError):  # AF_UNIX has no TCP_NODELAY
                sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            # No socket timeout: it would arm a timer for every recv and
            # send; the sweeper enforces self.timeout instead.
            sock.settimeout(None)
            conn = Connection(self, sock, address)
            glet = spawn(self._serve_connection, conn)
            self._connections[glet] = conn

    def _refuse(self):
        # One warning per period, saying how many connections were refused:
        # at once for the first, at the end of the period for the others
        # (even if no more come), so that a flood is neither silent nor a
        # line per connection.
        self.refused += 1
        if self._refused_timer is None:
            self._refused_logged = self.refused
            self._log_error("%d connections open (max_connections): closing new ones",
                            len(self._connections))
            self._refused_timer = call_later(REFUSED_LOG_PERIOD, self._refused_period_over)

    def _refused_period_over(self):
        self._refused_timer = None
        more = self.refused - self._refused_logged
        if more:
            self._refused_logged = self.refused
            self._log_error("%d more connections closed in the last %g s (max_connections=%d)",
                            more, REFUSED_LOG_PERIOD, self.max_connections)
            self._refused_timer = call_later(REFUSED_LOG_PERIOD, self._refused_period_over)

    def _sweep(self):
        # One greenlet looking at a few attributes per connection, instead
        # of a timer per recv/send: closes connections whose socket
        # operation has not finished in ``timeout`` to ``2 * timeout``
        # seconds, and those whose request head is over ``header_timeout``.
        timeout, header_timeout = self.timeout, self.header_timeout
        tick = timeout if header_timeout is None else \
            min(_HEAD_SWEEP, header_timeout, timeout or _HEAD_SWEEP)
        next_stuck_check = None if timeout is None else clock() + timeout
        while True:
            sleep(tick)
            now = clock()
            if header_timeout is not None:
                late = now - header_timeout
                for glet, conn in list(self._connections.items()):
                    since = conn.head_since
                    if since is not None and since <= late:
                        conn.head_since = None
                        self.head_timeouts += 1
                        glet.kill(_HeadTimeout, block=False)
            if next_stuck_check is not None and now >= next_stuck_check:
                next_stuck_check = now + timeout
                for glet, conn in list(self._connections.items()):
                    state = (conn.progress, conn.io)
                    if conn.io and conn.swept == state:
                        glet.kill(block=False)
                    conn.swept = state

    def _serve_connection(self, conn):
        # The greenlet of one connection: its requests, one after the other,
        # until the client closes, a response needs the close to end it, a
        # request is refused, or the server stops.
        try:
            while True:
                try:
                    lines = conn.read_head()
                    if lines is None:
                        return
                    keep = Request(conn).run(lines)
                except BadRequest as exc:
                    self.error_log.info("bad request from %s: %s", conn.env["REMOTE_ADDR"], exc)
                    conn.send_error(exc.code, str(exc))
                    return
                if not keep or conn.broken or self._stopping:
                    return
        except (ConnectionLost, GreenletExit):
            pass
        except _HeadTimeout:
            self.error_log.info("closed a connection from %s: no complete request head in %g s",
                                conn.env["REMOTE_ADDR"], self.header_timeout)
            conn.send_error_nowait(408, "no complete request head in %g s" % self.header_timeout)
        except Exception:
            self._log_exception("error serving a connection")
        finally:
            with contextlib.suppress(OSError):
                conn.sock.close()
            conn.buf = b""   # a slow client's partial head, freed now
            self._connections.pop(getcurrent(), None)

    # -- logging -----------------------------------------------------------

    def _log_error(self, msg, *args):
        self.error_log.warning(msg, *args)

    def _log_exception(self, msg, *args):
        self.error_log.error(msg, *args, exc_info=True)

    def _log_access(self, request):
        env = request.env
        line = '%s - - [%s] "%s %s %s" %s %d %.6f' % (
            env.get("REMOTE_ADDR", "-"), http_date(), env.get("REQUEST_METHOD", "-"),
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
