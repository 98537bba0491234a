"""Connections of the fast client: engine sockets kept alive per (scheme, host, port).

A :class:`Connection` owns one socket; responses are received into one
buffer shared by the process (see :meth:`Connection.detach`).  Plain
HTTP sockets are driven here directly: the C ``send``/``recv_into`` of the
non-blocking socket, and the hub's ``wait_fd`` when the kernel says it
would block.  After a request is sent, the first read *waits first*: the
answer cannot be there yet, and trying first would cost a failing system
call and an exception per request (measured with 50 users: 52,439 requests
per CPU-second reading first, 56,897 waiting first; medians of 3).  TLS
sockets are the engine's cooperative ``SSLSocket`` (``context.wrap_socket``
on an engine socket, see :func:`ssl_context`); they handle their own waits
and timeouts.

:class:`ConnectionPool` keeps a session's idle connections (LIFO per origin)
and bounds how many are busy at once (``concurrency``).  A connection that
sat idle for a while is checked with one non-blocking peek before reuse: a
server that closed it meanwhile would otherwise make the next request
fail; busy connections (a user with no think time) skip that system call.

Errors come out as the requests-style exceptions of
``locust._http.exceptions`` (ConnectionError, ConnectTimeout, ReadTimeout,
SSLError), which safe mode turns into status 0 responses.
"""

import _socket
import contextlib
import selectors
import socket
import ssl
import time

from .._http.exceptions import (
    ConnectionError,
    ConnectTimeout,
    ProxyError,
    ReadTimeout,
    RequestException,
    SSLError,
)
from ..engine import Semaphore, get_hub, net, tls
from . import watchdog as _watchdog

__all__ = ["Connection", "ConnectionPool", "ssl_context", "BUFFER_SIZE", "StaleConnection"]

#: Size of the receive buffers; a response head must fit in one.
BUFFER_SIZE = 65536
# One buffer for the whole process: a response read whole in one recv_into
# (the common case) is copied out of it before the greenlet can switch, so
# connections need no buffer of their own (64 KB per idle user otherwise).
_shared_buf = bytearray(BUFFER_SIZE)
_shared_view = memoryview(_shared_buf)
#: A connection idle for longer than this is peeked at before it is reused.
IDLE_CHECK_AFTER = 0.5

_READ = selectors.EVENT_READ
_WRITE = selectors.EVENT_WRITE
_c_send = _socket.socket.send
_c_recv = _socket.socket.recv
_c_recv_into = _socket.socket.recv_into
_PEEK_NOWAIT = socket.MSG_PEEK | getattr(socket, "MSG_DONTWAIT", 0)
_NODELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
_clock = time.monotonic


class StaleConnection(ConnectionError):
    """A reused keep-alive connection was closed by the server before it answered.

    The server never read the request (it closed the connection first), so
    the session sends it once more on a new connection.
    """


class Connection:
    """One keep-alive connection: its socket, receive buffer and state."""

    __slots__ = ("sock", "fd", "tls", "key", "buf", "view", "start", "end", "timeout",
                 "hub", "idle_since", "reused", "busy", "waiting_since", "timed_out")

    def __init__(self, sock, key, timeout, tls):
        self.sock = sock
        self.fd = sock.fileno()
        self.tls = tls
        self.key = key
        #: The receive buffer: the process's shared one while a response is
        #: read without waiting, one of its own after (see :meth:`detach`).
        self.buf = None
        self.view = None
        #: Unread bytes are buf[start:end].
        self.start = 0
        self.end = 0
        #: Seconds a read or write may wait (None: forever).
        self.timeout = timeout
        self.hub = get_hub()
        self.idle_since = 0.0
        #: True once the connection served a request (a failure may be a stale one).
        self.reused = False
        #: True while a request holds it (see ConnectionPool).
        self.busy = False
        #: When the current wait began (0.0: not waiting); read by the watchdog.
        self.waiting_since = 0.0
        #: Set by the watchdog when it closed the connection for a timeout.
        self.timed_out = False

    def _wait(self, event):
        """Wait until the socket is ready for ``event`` (plain sockets only).

        The timeout is the watchdog's (see :mod:`.watchdog`): no timer
        per wait.  Raises ReadTimeout, or the OSError thrown in when the
        socket is closed meanwhile.
        """
        if self.timeout is None:
            self.hub.wait_fd(self.fd, event)
            return
        self.waiting_since = _clock()
        watchdog = _watchdog.current
        if watchdog.timer is None or watchdog.hub is not self.hub:
            watchdog = _watchdog.start(self)
        watchdog.waiting.add(self)
        try:
            self.hub.wait_fd(self.fd, event)
        except OSError:
            if self.timed_out:
                raise ReadTimeout("no data within %s s (network_timeout)" % self.timeout) from None
            raise
        finally:
            self.waiting_since = 0.0

    # -- sending -----------------------------------------------------------

    def send(self, data):
        """Send all of ``data``; raises ReadTimeout, ConnectionError (StaleConnection)."""
        try:
            if self.tls:
                self.sock.sendall(data)
                return
            sent = _c_send(self.sock, data)
            if sent == len(data):
                return
        except BlockingIOError:
            sent = 0
        except TimeoutError as exc:
            raise ReadTimeout("write timed out after %s s" % self.timeout) from exc
        except OSError as exc:
            raise self._broken(exc, "sending the request") from exc
        self._send_rest(data, sent)

    def _send_rest(self, data, sent):
        with memoryview(data) as view:
            total = len(view)
            while sent < total:
                try:
                    self._wait(_WRITE)
                    sent += _c_send(self.sock, view[sent:])
                except BlockingIOError:
                    continue
                except OSError as exc:
                    raise self._broken(exc, "sending the request") from exc

    # -- receiving -----------------------------------------------------------

    def recv_first(self):
        """Wait for the answer to a request just sent and read it into the buffer.

        Returns the number of bytes now in ``buf[start:end]``.  Raises
        ReadTimeout, ConnectionError (StaleConnection when a reused
        connection turns out to be closed).
        """
        if self.end > self.start:
            return self.end - self.start  # bytes that arrived with the last response
        self.start = self.end = 0
        self.buf = _shared_buf
        self.view = _shared_view
        if self.tls:
            n = self.recv_into(self.buf)
        else:
            # Wait first: right after sending, the answer is not there yet.
            try:
                self._wait(_READ)
                n = _c_recv_into(self.sock, self.buf)
            except BlockingIOError:
                n = self.recv_into(self.buf)
            except ReadTimeout:
                raise
            except OSError as exc:
                raise self._broken(exc, "waiting for the response") from exc
        if n == 0:
            raise self._broken(None, "waiting for the response")
        self.end = n
        return n

    def recv_into(self, view):
        """Read some bytes into ``view``; returns how many (0 at the end of the stream).

        Raises ReadTimeout after ``timeout`` seconds without data,
        ConnectionError on a reset.
        """
        try:
            if self.tls:
                return self.sock.recv_into(view)
            try:
                return _c_recv_into(self.sock, view)
            except BlockingIOError:
                pass
            while True:
                self._wait(_READ)
                try:
                    return _c_recv_into(self.sock, view)
                except BlockingIOError:
                    continue
        except TimeoutError as exc:
            raise ReadTimeout("read timed out after %s s" % self.timeout) from exc
        except ssl.SSLError as exc:
            raise SSLError(exc) from exc
        except ReadTimeout:
            raise
        except OSError as exc:
            raise ConnectionError(exc) from exc

    def detach(self):
        """Move the unread bytes from the shared buffer to one of this connection's own.

        Must happen before anything that can wait (and so let another
        greenlet read into the shared buffer): :meth:`fill` does it, and the
        session before it hands a body reader out.
        """
        if self.buf is _shared_buf:
            own = bytearray(BUFFER_SIZE)
            rest = self.end - self.start
            own[:rest] = _shared_view[self.start:self.end]
            self.buf = own
            self.view = memoryview(own)
            self.start, self.end = 0, rest

    def fill(self):
        """Read more bytes after ``buf[:end]``, compacting first if needed.

        Returns the number read (0 at the end of the stream).  Raises
        ConnectionError when the buffer is full (a head over BUFFER_SIZE).
        """
        if self.buf is _shared_buf:
            self.detach()
        elif self.start:
            rest = self.end - self.start
            self.buf[:rest] = self.view[self.start:self.end]
            self.start, self.end = 0, rest
        if self.end >= BUFFER_SIZE:
            raise ConnectionError("response head larger than %d bytes" % BUFFER_SIZE)
        n = self.recv_into(self.view[self.end:])
        self.end += n
        return n

    def _broken(self, exc, doing):
        """The exception for a connection that failed before any response byte."""
        if isinstance(exc, ssl.SSLError):
            return SSLError(exc)
        if self.reused and (exc is None or isinstance(exc, (ConnectionResetError, BrokenPipeError,
                                                            ConnectionAbortedError))):
            return StaleConnection("the server closed the connection before answering")
        if exc is None:
            return ConnectionError("RemoteDisconnected: the server closed the connection "
                                   "without a response (%s)" % doing)
        return ConnectionError(exc)

    # -- state ---------------------------------------------------------------

    def is_dropped(self):
        """True when the server closed this idle connection (or sent something unasked)."""
        if self.end > self.start:
            return True
        try:
            # At the TCP level: one byte peeked without waiting.
            data = _c_recv(self.sock, 1, _PEEK_NOWAIT)
        except BlockingIOError:
            return False
        except OSError:
            return True
        # Plain HTTP: bytes nobody asked for mean the connection is unusable.
        # TLS: they may be a record the TLS layer consumes by itself (a
        # session ticket); only the end of the stream says the server is gone.
        return not self.tls or not data

    def close(self):
        """Close the socket (waiters on it get an error from the hub)."""
        sock, self.sock = self.sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    @property
    def closed(self):
        """True once :meth:`close` was called."""
        return self.sock is None


# ---------------------------------------------------------------------------
# TLS contexts
# ---------------------------------------------------------------------------

_contexts = {}


def ssl_context(insecure=True, factory=None):
    """The cooperative SSLContext for a session (cached: loading the CAs is slow).

    ``insecure=True`` skips certificate and host name verification (upstream's
    default); ``factory`` is a callable that returns an ``ssl.SSLContext``
    (then ``insecure`` is not applied).  The context is passed through
    ``tls.wrap_context`` so that ``wrap_socket`` returns engine TLS sockets.
    """
    key = (bool(insecure), factory)
    ctx = _contexts.get(key)
    if ctx is None:
        if factory is not None:
            ctx = factory()
        elif insecure:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        else:
            ctx = ssl.create_default_context()
        ctx.set_alpn_protocols(["http/1.1"])
        tls.wrap_context(ctx)
        _contexts[key] = ctx
    return ctx


# ---------------------------------------------------------------------------
# The pool
# ---------------------------------------------------------------------------

class ConnectionPool:
    """A session's connections: idle ones kept per origin, at most ``concurrency`` busy.

    ``connection_timeout`` bounds connecting (and the TLS handshake),
    ``network_timeout`` every later read or write.  With ``proxy`` (host,
    port), connections go to that HTTP proxy: plain HTTP requests are sent
    to it (in absolute form, see the session), HTTPS ones through a
    CONNECT tunnel.  A pool may be shared by several sessions (upstream's
    ``client_pool``).
    """

    def __init__(self, concurrency=10, connection_timeout=60.0, network_timeout=60.0,
                 insecure=True, ssl_context_factory=None, max_idle=None, proxy=None):
        #: (host, port) of an HTTP proxy, or None.
        self.proxy = proxy
        self.connection_timeout = connection_timeout
        self.network_timeout = network_timeout
        self.insecure = insecure
        self.ssl_context_factory = ssl_context_factory
        #: Idle connections kept per origin (default: ``concurrency``).
        self.max_idle = max_idle or max(1, concurrency)
        self._idle = {}
        #: Connections that may still be made busy; waiters queue on _slots
        #: only when there are none (a Semaphore per request cost ~0.4 us).
        self._free = max(1, int(concurrency))
        self._slots = None
        self._waiting = 0

    def acquire(self, key, timeouts=None, fresh=False):
        """A connection to ``key`` = (scheme, host, port), reused or new (``fresh``: new).

        Waits while ``concurrency`` connections are busy.  ``timeouts`` is
        an optional (connect, read) pair for this request.  Raises
        ConnectionError, ConnectTimeout, SSLError; the slot is given back
        on failure.
        """
        if self._free > 0:
            self._free -= 1
        else:
            self._wait_for_slot()
        try:
            conn = None
            idle = None if fresh else self._idle.get(key)
            while idle:
                conn = idle.pop()
                if _clock() - conn.idle_since < IDLE_CHECK_AFTER or not conn.is_dropped():
                    break
                conn.close()
                conn = None
            if conn is None:
                conn = self.connect(key, timeouts)
            conn.timeout = self.network_timeout if timeouts is None else timeouts[1]
            conn.busy = True
            return conn
        except BaseException:
            self._give_slot()
            raise

    def _wait_for_slot(self):
        if self._slots is None:
            self._slots = Semaphore(0)
        self._waiting += 1
        try:
            self._slots.acquire()  # the slot is handed over by _give_slot
        finally:
            self._waiting -= 1

    def _give_slot(self):
        if self._waiting:
            self._slots.release()  # straight to a waiter
        else:
            self._free += 1

    def release(self, conn, reusable=True):
        """Give back a busy connection: kept for reuse if ``reusable``, else closed."""
        if not conn.busy:
            return
        conn.busy = False
        self._give_slot()
        if reusable and conn.sock is not None and conn.end == conn.start:
            idle = self._idle.get(conn.key)
            if idle is None:
                idle = self._idle[conn.key] = []
            if len(idle) < self.max_idle:
                conn.start = conn.end = 0
                conn.buf = conn.view = None  # an idle connection holds no buffer
                conn.reused = True
                conn.idle_since = _clock()
                idle.append(conn)
                return
        conn.close()

    def connect(self, key, timeouts=None):
        """Open a new connection to ``key`` (through ``proxy`` if set).

        Raises ConnectTimeout, ConnectionError, ProxyError, SSLError.
        """
        scheme, host, port = key
        timeout = self.connection_timeout if timeouts is None else timeouts[0]
        address = self.proxy or (host, port)
        try:
            sock = net.create_connection(address, timeout=timeout, socket_options=_NODELAY)
        except TimeoutError as exc:
            raise ConnectTimeout("connecting to %s:%s timed out after %s s"
                                 % (address[0], address[1], timeout)) from exc
        except OSError as exc:
            cls = ProxyError if self.proxy else ConnectionError
            raise cls("Failed to establish a new connection to %s:%s: %s"
                      % (address[0], address[1], exc)) from exc
        read_timeout = self.network_timeout if timeouts is None else timeouts[1]
        if scheme == "https":
            if self.proxy:
                self._tunnel(sock, host, port, read_timeout)
                sock.settimeout(timeout)  # for the TLS handshake
            try:
                ctx = ssl_context(self.insecure, self.ssl_context_factory)
                sock = ctx.wrap_socket(sock, server_hostname=host)
            except TimeoutError as exc:
                sock.close()
                raise ConnectTimeout("TLS handshake with %s:%s timed out after %s s"
                                     % (host, port, timeout)) from exc
            except ssl.SSLError as exc:
                sock.close()
                raise SSLError(exc) from exc
            except OSError as exc:
                sock.close()
                raise ConnectionError(exc) from exc
            sock.settimeout(read_timeout)
            return Connection(sock, key, read_timeout, True)
        sock.settimeout(0.0)  # reads and writes are driven by Connection
        return Connection(sock, key, read_timeout, False)

    @staticmethod
    def _tunnel(sock, host, port, timeout):
        """Ask the proxy for a tunnel to host:port (CONNECT); raises ProxyError."""
        from .parse import read_head
        sock.settimeout(0.0)
        conn = Connection(sock, None, timeout, False)
        authority = "%s:%d" % (host, port)
        try:
            conn.send(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n"
                       % (authority, authority)).encode("idna"))
            conn.recv_first()
            status, head, _, _, _, _ = read_head(conn, "HEAD")
        except RequestException as exc:
            sock.close()
            raise ProxyError("the proxy did not open a tunnel to %s: %s" % (authority, exc)) \
                from exc
        if not 200 <= status < 300 or conn.end > conn.start:
            sock.close()
            raise ProxyError("the proxy refused a tunnel to %s: %s"
                             % (authority, head.partition(b"\r\n")[0].decode("latin-1")))
        conn.sock = None  # the socket goes on, wrapped in TLS

    def close(self):
        """Close every idle connection (busy ones close when released)."""
        idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()

    def idle_count(self, key=None):
        """How many idle connections are kept (for ``key`` only, if given)."""
        if key is not None:
            return len(self._idle.get(key, ()))
        return sum(len(v) for v in self._idle.values())

