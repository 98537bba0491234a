"""Cooperative sockets and cached name resolution for the engine.

:class:`socket` is a subclass of the stdlib's ``socket.socket`` and can be
used wherever one is expected (``http.client``, urllib3, ``makefile()``).
The OS socket underneath is always non-blocking (C-level timeout 0); the
timeout the user asked for is kept in Python.  Every operation follows the
same pattern: *try it first*, and only when the kernel says it would block
(``BlockingIOError``) wait for the fd with :meth:`Hub.wait_fd`, then loop.
A timeout of ``None`` waits as long as it takes, ``0.0`` raises
``BlockingIOError`` at once, and ``t > 0`` raises ``TimeoutError`` ("timed
out", the stdlib's ``socket.timeout``) in the waiting greenlet only.

Why a subclass and not a wrapper object: code written for the stdlib checks
``isinstance(sock, socket.socket)``, and the stdlib's own helpers
(``makefile``/``SocketIO``, ``dup``, ``socketpair``, ``ssl``) call methods on
the socket they were given; overriding the methods that can block makes all
of them cooperative without copying any of them.

TLS lives in :mod:`locust.engine.tls` (``SSLSocket``, ``wrap_context``,
``create_default_context``), which builds on this module; this one does not
import it, so plain sockets do not import ``ssl``.

Name resolution: ``getaddrinfo`` has no non-blocking form and we have no
threads to hand it to (gevent uses a thread pool), so :func:`getaddrinfo`
caches results for :data:`DNS_CACHE_TTL` seconds.  The first resolution of a
name blocks the whole process; numeric addresses and ``localhost`` resolve
without network traffic.

Everything the engine needs from the stdlib (``socket.socket``,
``getaddrinfo``, ``select.poll``...) is captured at import time, so
:mod:`locust.engine.monkey` can replace the stdlib's entry points without the
engine ever calling its own replacements.
"""

import errno as _errno
import math as _math
import os as _os
import selectors as _selectors
import socket as _stdsocket
import time as _time

from .hub import get_hub as _get_hub
from .hub import get_hub_if_exists as _get_hub_if_exists

__all__ = [
    "socket", "create_connection", "getaddrinfo", "gethostbyname", "clear_dns_cache",
    "socketpair", "DNS_CACHE_TTL",
]

# -- the originals, captured before anyone can monkey patch them --------------
_StdSocket = _stdsocket.socket
_CSocket = _StdSocket.__mro__[1]                # _socket.socket, the C type
_c_recv = _CSocket.recv
_c_recv_into = _CSocket.recv_into
_c_recvfrom = _CSocket.recvfrom
_c_recvfrom_into = _CSocket.recvfrom_into
_c_send = _CSocket.send
_c_sendto = _CSocket.sendto
_c_connect_ex = _CSocket.connect_ex
_c_accept = _CSocket._accept
_c_settimeout = _CSocket.settimeout
_c_fileno = _CSocket.fileno
_c_close = _CSocket.close
_c_del = _CSocket.__del__
_c_getsockopt = _CSocket.getsockopt
_c_family = _CSocket.family.__get__     # the raw int, without the enum conversion
_c_recvmsg = getattr(_CSocket, "recvmsg", None)
_c_recvmsg_into = getattr(_CSocket, "recvmsg_into", None)
_c_sendmsg = getattr(_CSocket, "sendmsg", None)
_std_socket_init = _StdSocket.__init__
_std_getaddrinfo = _stdsocket.getaddrinfo
_std_gethostbyname = _stdsocket.gethostbyname
_std_socketpair = _stdsocket.socketpair
_getdefaulttimeout = _stdsocket.getdefaulttimeout
_inet_pton = _stdsocket.inet_pton
_GLOBAL_DEFAULT_TIMEOUT = _stdsocket._GLOBAL_DEFAULT_TIMEOUT
_clock = _time.monotonic

_READ = _selectors.EVENT_READ
_WRITE = _selectors.EVENT_WRITE
_CONNECT_PENDING = frozenset((_errno.EINPROGRESS, _errno.EALREADY, _errno.EWOULDBLOCK,
                              _errno.EAGAIN))
# socket.timeout is TimeoutError from Python 3.10 on; the hub raises a fresh
# TimeoutError("timed out") when given None.  On 3.9 we make one per wait.
_OWN_TIMEOUT_EXC = _stdsocket.timeout is not TimeoutError
_INET_FAMILIES = (_stdsocket.AF_INET, _stdsocket.AF_INET6)


def _timeout_error():
    return _stdsocket.timeout("timed out")


def _check_timeout(value):
    """Validate a timeout the way the stdlib does; returns a float or None."""
    if value is None:
        return None
    if isinstance(value, float):
        timeout = value
    else:
        # The stdlib accepts ints (anything with __index__) and floats only.
        timeout = float(value.__index__()) if hasattr(value, "__index__") else None
        if timeout is None:
            raise TypeError("'%s' object cannot be interpreted as an integer"
                            % type(value).__name__)
    if _math.isnan(timeout):
        raise ValueError("Invalid value NaN (not a number)")
    if timeout < 0.0:
        raise ValueError("Timeout value out of range")
    return timeout


class _Cooperative:
    """The timeout logic shared by :class:`socket` and ``tls.SSLSocket``.

    ``_timeout`` is what the user asked for (None, 0.0 or > 0); the C-level
    socket always stays at timeout 0 (non-blocking).
    """

    __slots__ = ()

    def settimeout(self, value):
        """Set the timeout like ``socket.settimeout``: None blocks (cooperatively),
        0.0 is non-blocking, > 0 raises TimeoutError after that many seconds.

        Raises ValueError for a negative or NaN value, TypeError for a non-number.
        """
        self._timeout = _check_timeout(value)

    def gettimeout(self):
        """Return the timeout in seconds (float) or None."""
        return self._timeout

    def setblocking(self, flag):
        """``setblocking(True)`` is ``settimeout(None)``, ``False`` is ``settimeout(0.0)``."""
        self._timeout = None if flag else 0.0

    def getblocking(self):
        """True unless the timeout is 0.0, as for the stdlib."""
        return self._timeout != 0.0

    @property
    def timeout(self):
        """The timeout as the stdlib's read-only ``sock.timeout`` attribute shows it."""
        return self._timeout

    def _wait(self, event, timeout):
        """Wait until the fd is ready for ``event``; TimeoutError after ``timeout``."""
        _get_hub().wait_fd(_c_fileno(self), event, timeout,
                           _timeout_error() if _OWN_TIMEOUT_EXC and timeout is not None
                           else None)

    def _retry(self, operation, event, *args):
        """Call ``operation(self, *args)`` until it does not raise BlockingIOError.

        Called after a first attempt would have blocked (and the timeout is
        not 0.0).  The timeout bounds the whole call, as in the stdlib, even
        when the hub wakes us without the fd being really ready.
        """
        timeout = self._timeout
        deadline = None if timeout is None else _clock() + timeout
        while True:
            self._wait(event, timeout)
            try:
                return operation(self, *args)
            except BlockingIOError:
                pass
            if deadline is not None:
                timeout = deadline - _clock()
                if timeout <= 0.0:
                    raise _timeout_error()

    def _real_close(self, _ss=_CSocket):
        fd = _c_fileno(self)
        if fd >= 0:
            # Wake whoever waits on this fd with an error, and drop the
            # registration before the number can be reused by a new socket.
            # Only an existing hub can know the fd: do not create one here.
            hub = _get_hub_if_exists()
            if hub is not None:
                hub.cancel_fd(fd)
        _ss.close(self)

    def __del__(self):
        # A socket dropped without close(): the C finalizer closes the fd, but
        # the hub would keep a stale registration for its number, and a new
        # socket reusing the number would never be registered with epoll.
        try:
            fd = _c_fileno(self)
            hub = _get_hub_if_exists()
            if fd >= 0 and hub is not None:
                hub.cancel_fd(fd)
        except Exception:  # interpreter shutdown: nothing left to clean
            pass
        if _c_del is not None:    # None late in interpreter shutdown
            _c_del(self)


class socket(_Cooperative, _StdSocket):
    """A ``socket.socket`` whose blocking operations wait cooperatively.

    Same constructor and methods as the stdlib's.  Blocking operations
    (connect, accept, recv*, send*) raise ``TimeoutError`` after the
    timeout, ``BlockingIOError`` at once when the timeout is 0.0, and
    ``OSError(EBADF)`` if another greenlet closes the socket meanwhile.
    The fd itself always stays non-blocking, also after ``detach()``.
    """

    __slots__ = ("_timeout",)

    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
        _std_socket_init(self, family, type, proto, fileno)
        self._timeout = _getdefaulttimeout()
        _c_settimeout(self, 0.0)

    def __repr__(self):
        text = _StdSocket.__repr__(self)
        return "%s, timeout=%r>" % (text[:-1], self._timeout)

    # -- receiving (the hot path: no allocation unless we must wait) -------

    def recv(self, bufsize, flags=0):
        """Receive up to ``bufsize`` bytes; b'' at end of stream."""
        try:
            return _c_recv(self, bufsize, flags)
        except BlockingIOError:
            if self._timeout == 0.0:
                raise
        return self._retry(_c_recv, _READ, bufsize, flags)

    def recv_into(self, buffer, nbytes=0, flags=0):
        """Receive into ``buffer``; returns the number of bytes (0 at end of stream)."""
        try:
            return _c_recv_into(self, buffer, nbytes, flags)
        except BlockingIOError:
            if self._timeout == 0.0:
                raise
        return self._retry(_c_recv_into, _READ, buffer, nbytes, flags)

    def recvfrom(self, bufsize, flags=0):
        """Receive up to ``bufsize`` bytes; returns ``(data, address)``."""
        try:
            return _c_recvfrom(self, bufsize, flags)
        except BlockingIOError:
            if self._timeout == 0.0:
                raise
        return self._retry(_c_recvfrom, _READ, bufsize, flags)

    def recvfrom_into(self, buffer, nbytes=0, flags=0):
        """Receive into ``buffer``; returns ``(nbytes, address)``."""
        try:
            return _c_recvfrom_into(self, buffer, nbytes, flags)
        except BlockingIOError:
            if self._timeout == 0.0:
                raise
        return self._retry(_c_recvfrom_into, _READ, buffer, nbytes, flags)

    if _c_recvmsg is not None:
        def recvmsg(self, *args):
            """``socket.recvmsg``, cooperatively."""
            try:
                return _c_recvmsg(self, *args)
            except BlockingIOError:
                if self._timeout == 0.0:
                    raise
            return self._retry(_c_recvmsg, _READ, *args)

        def recvmsg_into(self, *args):
            """``socket.recvmsg_into``, cooperatively."""
            try:
                return _c_recvmsg_into(self, *args)
            except BlockingIOError:
                if self._timeout == 0.0:
                    raise
            return self._retry(_c_recvmsg_into, _READ, *args)

        def sendmsg(self, *args):
            """``socket.sendmsg``, cooperatively."""
            try:
                return _c_sendmsg(self, *args)
            except BlockingIOError:
                if self._timeout == 0.0:
                    raise
            return self._retry(_c_sendmsg, _WRITE, *args)

    # -- sending -------------------------------------------------------------

    def send(self, data, flags=0):
        """Send some of ``data``; returns how many bytes were sent."""
        try:
            return _c_send(self, data, flags)
        except BlockingIOError:
            if self._timeout == 0.0:
                raise
        return self._retry(_c_send, _WRITE, data, flags)

    def sendto(self, data, flags_or_addr, addr=None):
        """``sendto(data, address)`` or ``sendto(data, flags, address)``."""
        args = (data, flags_or_addr) if addr is None else (data, flags_or_addr, addr)
        try:
            return _c_sendto(self, *args)
        except BlockingIOError:
            if self._timeout == 0.0:
                raise
        return self._retry(_c_sendto, _WRITE, *args)

    def sendall(self, data, flags=0):
        """Send all of ``data``.  The timeout bounds the whole call.

        Raises TimeoutError (some data may have been sent), BlockingIOError
        if non-blocking and the buffer is full, OSError on errors.
        """
        timeout = self._timeout
        try:
            sent = _c_send(self, data, flags)
        except BlockingIOError:
            if timeout == 0.0:
                raise
            sent = 0
        if sent == len(data) and type(data) is bytes:
            return None
        deadline = None if timeout is None else _clock() + timeout
        with memoryview(data) as view, view.cast("B") as view:
            total = len(view)
            while sent < total:
                try:
                    sent += _c_send(self, view[sent:], flags)
                    continue
                except BlockingIOError:
                    if timeout == 0.0:
                        raise
                if deadline is not None:
                    timeout = deadline - _clock()
                    if timeout <= 0.0:
                        raise _timeout_error()
                self._wait(_WRITE, timeout)
        return None

    def sendfile(self, file, offset=0, count=None):
        """Send a file through ``send()`` (``os.sendfile`` would block the process).

        Raises ValueError on a non-blocking socket, like the stdlib.
        """
        return self._sendfile_use_send(file, offset, count)

    # -- connecting ----------------------------------------------------------

    def connect(self, address):
        """Connect to ``address``; a host name is resolved through the cache.

        Raises ConnectionRefusedError (and the other OSErrors of connect),
        TimeoutError after the timeout, BlockingIOError when non-blocking.
        """
        # Not self.connect_ex: ssl.SSLSocket overrides it to call us back.
        socket._connect(self, address, True)

    def connect_ex(self, address):
        """Like :meth:`connect` but returns an errno (0 on success) instead of raising."""
        return socket._connect(self, address, False)

    def _connect(self, address, _raise):
        address = self._resolve(address)
        err = _c_connect_ex(self, address)
        if not err or err == _errno.EISCONN:
            return 0
        if err not in _CONNECT_PENDING or self._timeout == 0.0:
            return self._fail(err, _raise)
        timeout = self._timeout
        deadline = None if timeout is None else _clock() + timeout
        while True:
            try:
                self._wait(_WRITE, timeout)
            except _stdsocket.timeout:    # TimeoutError from 3.10 on
                if _raise:
                    raise
                return _errno.EWOULDBLOCK
            err = _c_getsockopt(self, _stdsocket.SOL_SOCKET, _stdsocket.SO_ERROR)
            if err:
                return self._fail(err, _raise)
            # Writable and no error: connected.  A spurious wake-up (the hub
            # may return early) shows as ENOTCONN on getpeername.
            try:
                self.getpeername()
                return 0
            except OSError as exc:
                if exc.errno != _errno.ENOTCONN:
                    return self._fail(exc.errno, _raise)
            if deadline is not None:
                timeout = deadline - _clock()
                if timeout <= 0.0:
                    if _raise:
                        raise _timeout_error()
                    return _errno.EWOULDBLOCK

    @staticmethod
    def _fail(err, _raise):
        if _raise:
            # OSError(errno, ...) builds the right subclass
            # (ConnectionRefusedError for ECONNREFUSED, ...).
            raise OSError(err, _os.strerror(err))
        return err

    def _resolve(self, address):
        # connect(("example.com", 80)) would resolve inside the C call,
        # uncached; use our cache instead.  Numeric hosts pass untouched.
        family = _c_family(self)
        if family in _INET_FAMILIES and type(address) is tuple and \
                type(address[0]) is str:
            try:
                _inet_pton(family, address[0])
            except OSError:
                return getaddrinfo(address[0], address[1], family,
                                   self.type, self.proto)[0][4]
        return address

    # -- accepting -----------------------------------------------------------

    def accept(self):
        """Wait for a connection; returns ``(socket, address)`` with a cooperative socket.

        The new socket has the default timeout (``socket.getdefaulttimeout()``).
        """
        try:
            fd, address = _c_accept(self)
        except BlockingIOError:
            if self._timeout == 0.0:
                raise
            fd, address = self._retry(_c_accept, _READ)
        return socket(self.family, self.type, self.proto, fileno=fd), address


def socketpair(family=None, type=_stdsocket.SOCK_STREAM, proto=0):
    """Return a pair of connected cooperative sockets (``socket.socketpair``)."""
    if family is None:
        family = getattr(_stdsocket, "AF_UNIX", _stdsocket.AF_INET)
    a, b = _std_socketpair(family, type, proto)
    return (socket(family, type, proto, a.detach()),
            socket(family, type, proto, b.detach()))


def create_connection(address, timeout=_GLOBAL_DEFAULT_TIMEOUT, source_address=None, *,
                      all_errors=False, socket_options=None):
    """Connect to ``(host, port)`` and return a cooperative :class:`socket`.

    Like ``socket.create_connection``: tries every address ``getaddrinfo``
    returns, in order.  ``timeout`` (seconds or None) is set on the socket
    before connecting; by default the socket keeps the global default.
    ``socket_options`` is a list of ``(level, option, value)`` for
    ``setsockopt``, applied before connecting (as urllib3's does; nothing,
    not even TCP_NODELAY, is set by default).  Raises the first connect
    error (ConnectionRefusedError, TimeoutError, ...; with ``all_errors``
    an ExceptionGroup of all of them, Python 3.11+), or ``socket.gaierror``.
    """
    host, port = address
    if host.startswith("["):
        host = host.strip("[]")
    errors = []
    for family, socktype, proto, _canonname, sockaddr in getaddrinfo(
            host, port, 0, _stdsocket.SOCK_STREAM):
        sock = None
        try:
            sock = socket(family, socktype, proto)
            if socket_options:
                for option in socket_options:
                    sock.setsockopt(*option)
            if timeout is not _GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            errors.append(exc)
            if sock is not None:
                sock.close()
        except BaseException:   # a kill or a Timeout: do not leak the socket
            if sock is not None:
                sock.close()
            raise
    if errors:
        try:
            if all_errors:
                raise ExceptionGroup("create_connection failed", errors)  # noqa: F821
            raise errors[0]
        finally:
            errors = None
    raise OSError("getaddrinfo returns an empty list")


# -- name resolution ------------------------------------------------------------

#: Seconds a resolved name stays in the cache.
DNS_CACHE_TTL = 300.0
_DNS_CACHE_MAX = 4096
_dns_cache = {}
#: The real resolvers; tests swap them to count calls.
_resolve_addrinfo = _std_getaddrinfo
_resolve_hostname = _std_gethostbyname


def _cached(key, resolve, args):
    now = _clock()
    entry = _dns_cache.get(key)
    if entry is not None and entry[0] > now:
        return entry[1]
    result = resolve(*args)  # blocks the process: see the module docstring
    if len(_dns_cache) >= _DNS_CACHE_MAX:
        for stale in [k for k, v in _dns_cache.items() if v[0] <= now]:
            del _dns_cache[stale]
        if len(_dns_cache) >= _DNS_CACHE_MAX:
            _dns_cache.clear()
    _dns_cache[key] = (now + DNS_CACHE_TTL, result)
    return result


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    """``socket.getaddrinfo`` with a cache of :data:`DNS_CACHE_TTL` seconds.

    Results are cached per (host, port, family, type, proto, flags).  The
    first resolution of a name BLOCKS THE WHOLE PROCESS (there is no
    non-blocking resolver and no thread to hand it to); numeric addresses
    and names in /etc/hosts such as ``localhost`` are fast.  Failures are
    not cached.  Raises ``socket.gaierror`` like the stdlib.
    """
    key = ("ai", host, port, family, type, proto, flags)
    return list(_cached(key, _resolve_addrinfo, (host, port, family, type, proto, flags)))


def gethostbyname(hostname):
    """``socket.gethostbyname`` through the same cache (the first look-up blocks).

    Raises ``socket.gaierror`` like the stdlib.
    """
    return _cached(("hn", hostname), _resolve_hostname, (hostname,))


def clear_dns_cache():
    """Forget every cached resolution."""
    _dns_cache.clear()
