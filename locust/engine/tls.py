"""Cooperative TLS: an ``ssl.SSLSocket`` that waits in the hub, not in the kernel.

:class:`SSLSocket` derives from both ``ssl.SSLSocket`` and the engine's
:class:`locust.engine.net.socket`, so the plain operations the stdlib's TLS
socket delegates to ``super()`` (connect, accept, recv before the handshake)
are cooperative, and it overrides every method that calls ``self._sslobj``
and can block (``do_handshake``, ``read``, ``write``, ``unwrap``): they retry
on ``SSLWantReadError`` (wait readable) and ``SSLWantWriteError`` (wait
writable) -- a TLS *write* may need a *read* and the other way round.  It is
plugged in through ``SSLContext.sslsocket_class`` (:func:`wrap_context`), so
``ctx.wrap_socket(engine_sock, server_hostname=...)`` returns it.

A module of its own so that plain sockets do not import ``ssl``.  It builds
on :mod:`locust.engine.net` (its public ``socket`` class); that module does
not import this one.
"""

import selectors as _selectors
import socket as _stdsocket
import ssl as _ssl
import time as _time

from .net import socket

_READ = _selectors.EVENT_READ
_WRITE = _selectors.EVENT_WRITE
_clock = _time.monotonic


def _timeout_error():
    return _stdsocket.timeout("timed out")  # TimeoutError from Python 3.10 on

__all__ = ["SSLSocket", "wrap_context", "create_default_context"]

_SSLWantRead = _ssl.SSLWantReadError
_SSLWantWrite = _ssl.SSLWantWriteError


class SSLSocket(_ssl.SSLSocket, socket):
    """A cooperative TLS socket; ``SSLContext.wrap_socket`` makes them once the
    context went through :func:`wrap_context`.

    Client and server side, with or without ``do_handshake_on_connect``.
    Handshake, read, write and unwrap retry on ``SSLWantReadError`` (waiting
    until readable) and ``SSLWantWriteError`` (until writable); data already
    decrypted is returned without waiting.  With a timeout of 0.0 those
    errors are raised, as for the stdlib's non-blocking TLS sockets; a
    timeout raises ``TimeoutError``; other TLS failures raise ``ssl.SSLError``.
    """

    def _ssl_retry(self, operation, *args, timeout=0.0):
        """Run ``operation(*args)`` (a call on the SSL object) until it does not
        want to read or write, honouring ``timeout`` for the whole call."""
        deadline = None
        while True:
            try:
                return operation(*args)
            except _SSLWantRead:
                if timeout == 0.0:
                    raise
                event = _READ
            except _SSLWantWrite:
                if timeout == 0.0:
                    raise
                event = _WRITE
            if timeout is not None:
                if deadline is None:
                    deadline = _clock() + timeout
                    wait = timeout
                else:
                    wait = deadline - _clock()
                    if wait <= 0.0:
                        raise _timeout_error()
            else:
                wait = None
            self._wait(event, wait)

    def do_handshake(self, block=False):
        """Perform the TLS handshake (``block`` waits even when non-blocking).

        Raises ``ssl.SSLError`` (e.g. ``SSLCertVerificationError``),
        TimeoutError, OSError if the peer goes away.
        """
        self._check_connected()
        timeout = self._timeout
        if timeout == 0.0 and block:
            timeout = None
        self._ssl_retry(self._sslobj.do_handshake, timeout=timeout)

    def read(self, len=1024, buffer=None):
        """Read up to ``len`` decrypted bytes (into ``buffer`` if given).

        Returns b'' (or 0) at the end of the stream; a peer that closes
        without a TLS close_notify counts as the end when
        ``suppress_ragged_eofs`` (the default).  Raises ValueError if the
        socket is closed or unwrapped.
        """
        self._checkClosed()
        sslobj = self._sslobj
        if sslobj is None:
            raise ValueError("Read on closed or unwrapped SSL socket.")
        try:
            # Try first: the record may already be decrypted in OpenSSL's buffer.
            try:
                if buffer is not None:
                    return sslobj.read(len, buffer)
                return sslobj.read(len)
            except (_SSLWantRead, _SSLWantWrite):
                if self._timeout == 0.0:
                    raise
            if buffer is not None:
                return self._ssl_retry(sslobj.read, len, buffer, timeout=self._timeout)
            return self._ssl_retry(sslobj.read, len, timeout=self._timeout)
        except _ssl.SSLError as exc:
            if exc.args[0] == _ssl.SSL_ERROR_EOF and self.suppress_ragged_eofs:
                return 0 if buffer is not None else b""
            raise

    def write(self, data):
        """Encrypt and send ``data``; returns the number of bytes written.

        Raises ValueError if the socket is closed or unwrapped, ``ssl.SSLError``.
        """
        self._checkClosed()
        sslobj = self._sslobj
        if sslobj is None:
            raise ValueError("Write on closed or unwrapped SSL socket.")
        # OpenSSL wants a failed write retried with the same data; Python
        # sets SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, so the same bytes at a
        # new address are fine.
        return self._ssl_retry(sslobj.write, data, timeout=self._timeout)

    def send(self, data, flags=0):
        """Send ``data`` over TLS (or in clear before wrapping); returns bytes sent."""
        self._checkClosed()
        if self._sslobj is None:
            return socket.send(self, data, flags)
        if flags != 0:
            raise ValueError("non-zero flags not allowed in calls to send() on %s"
                             % self.__class__)
        return self.write(data)

    def unwrap(self):
        """Shut TLS down (send and wait for close_notify) and return the plain socket.

        Raises ValueError if there is no TLS layer, ``ssl.SSLError``, OSError.
        """
        sslobj = self._sslobj
        if not sslobj:
            raise ValueError("No SSL wrapper around " + str(self))
        result = self._ssl_retry(sslobj.shutdown, timeout=self._timeout)
        self._sslobj = None
        return result

    def dup(self):
        """Not supported on TLS sockets (as in the stdlib): raises NotImplementedError."""
        raise NotImplementedError("Can't dup() %s instances" % self.__class__.__name__)


def wrap_context(context):
    """Make ``context.wrap_socket()`` return cooperative :class:`SSLSocket` objects.

    Sets ``context.sslsocket_class`` on this context only and returns it, so
    it can be given to urllib3 (``ssl_context=``) or ``http.client``.
    """
    context.sslsocket_class = SSLSocket
    return context


def create_default_context(purpose=_ssl.Purpose.SERVER_AUTH, *, cafile=None,
                           capath=None, cadata=None):
    """``ssl.create_default_context(...)`` passed through :func:`wrap_context`."""
    return wrap_context(_ssl.create_default_context(
        purpose, cafile=cafile, capath=capath, cadata=cadata))
