"""Connections for ``HttpSession``: urllib3 pools on the engine's cooperative sockets.

urllib3 does the HTTP work (request writing, response parsing, chunked
transfer, gzip/deflate, keep-alive pooling).  What we plug in goes through
urllib3's and http.client's own extension points, without patching either:

- ``ConnectionCls``: connection classes whose ``_new_conn()`` opens a
  cooperative socket with ``locust.engine.net.create_connection`` (keeping
  urllib3's socket options, TCP_NODELAY included);
- ``QueueCls``: the engine's ``LifoQueue``, so a user waiting for a pooled
  connection waits on the hub;
- ``ssl_context``: a context prepared by ``tls.wrap_context`` so that urllib3's
  ``context.wrap_socket(sock)`` returns the engine's cooperative TLS socket;
- ``response_class`` (http.client's): reads the response head without the
  email package (see the comment on :func:`read_head`).

Four overrides in our subclasses use names that are not public, each for a
measured cost (see their docstrings): ``putheader`` keeps the header lines
http.client has checked, ``is_connected`` peeks instead of polling, the
pools' ``_put_conn`` drops http.client's reference to a finished response,
and the ``verify=False`` pool's ``_validate_conn`` warns once per host
instead of once per request.  Their tests in ``tests/test_clients.py`` fail if a urllib3 or Python release
changes what they rely on.

:class:`Pools` keeps one pool per (host, port) (and TLS settings, proxy) for
a session.
"""

import _socket
import http.client
import os
import socket
import ssl
import sys
from email.errors import MissingHeaderBodySeparatorDefect
from http.client import _CS_REQ_STARTED
from urllib.parse import unquote

from urllib3.connection import HTTPConnection, HTTPSConnection, ProxyConfig
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    LocationValueError,
    NameResolutionError,
    NewConnectionError,
)
from urllib3.util.retry import Retry
from urllib3.util.timeout import _DEFAULT_TIMEOUT
from urllib3.util.timeout import Timeout as U3Timeout
from urllib3.util.url import parse_url

from ..engine import LifoQueue, net, tls
from .exceptions import InvalidSchema, InvalidURL

__all__ = ["Pools", "EngineHTTPConnectionPool", "EngineHTTPSConnectionPool",
           "UnverifiedHTTPSConnectionPool", "ssl_context",
           "read_head", "NO_RETRIES", "NO_TIMEOUT", "POOL_MAXSIZE"]

#: Passed to every urlopen: urllib3 must neither retry nor follow redirects,
#: the session does both itself (history, per-hop cookies, locust timing).
#: A prebuilt object also spares urllib3 a ``Retry.from_int`` per request.
NO_RETRIES = Retry.from_int(False, redirect=False)
#: requests' default: no timeout at all.
NO_TIMEOUT = U3Timeout(connect=None, read=None)
#: Connections kept per (scheme, host, port), as requests' pool_maxsize.
POOL_MAXSIZE = 10


# ---------------------------------------------------------------------------
# Connections and pools on engine sockets
# ---------------------------------------------------------------------------

#: Request header lines already checked and encoded, by (name, value).
_header_lines = {}
#: Dynamic values (cookies, lengths) would grow it forever: emptied at this size.
_HEADER_LINES_MAX = 4096


class _EngineConnect:
    """Mixin: open the TCP connection with the engine's cooperative socket;
    remember the request header lines that http.client has checked."""

    def putheader(self, header, *values):
        """urllib3's and http.client's putheader, each distinct line checked once.

        A session sends the same default headers on every request, and the
        two layers of checks and encoding (urllib3's SKIP_HEADER test, then
        http.client's name and value validation) were 9% of the CPU of a
        keep-alive GET.  The line that they produce for a (str, str) pair is
        kept and appended directly next time.

        A request that says ``Connection: close`` marks the connection as not
        reusable: the server will close it, maybe after its answer has been
        read and the connection pooled (http.client only looks at the
        response's headers), and the next request on it would fail.
        """
        if len(header) == 10 and header.lower() == "connection" and values \
                and str(values[0]).strip().lower() == "close":
            self._close_requested = True
        if len(values) == 1 and type(header) is str and type(values[0]) is str:
            key = (header, values[0])
            line = _header_lines.get(key)
            if line is not None and self._HTTPConnection__state == _CS_REQ_STARTED:
                self._buffer.append(line)
                return
            buffered = len(self._buffer)
            super().putheader(header, *values)
            if len(self._buffer) == buffered + 1:  # not a SKIP_HEADER value
                if len(_header_lines) >= _HEADER_LINES_MAX:
                    _header_lines.clear()
                _header_lines[key] = self._buffer[-1]
            return
        super().putheader(header, *values)

    #: True once a request on this connection said "Connection: close".
    _close_requested = False

    def close(self):
        """Close the connection; a new one made on it is reusable again."""
        self._close_requested = False
        super().close()

    def _new_conn(self):
        # The body of urllib3's HTTPConnection._new_conn, with the socket
        # coming from the engine; the same exceptions come out of it.
        timeout = self.timeout
        if timeout is _DEFAULT_TIMEOUT:
            timeout = None
        host = self._dns_host
        if host.startswith("["):
            host = host.strip("[]")
        try:
            sock = net.create_connection((host, self.port), timeout=timeout,
                                         source_address=self.source_address,
                                         socket_options=self.socket_options)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        except TimeoutError as exc:  # socket.timeout is TimeoutError since 3.10
            raise ConnectTimeoutError(
                self, "Connection to %s timed out. (connect timeout=%s)" % (self.host, timeout)
            ) from exc
        except OSError as exc:
            raise NewConnectionError(
                self, "Failed to establish a new connection: %s" % exc) from exc
        sys.audit("http.client.connect", self, self.host, self.port)
        return sock


# -- response head parsing ---------------------------------------------------
#
# http.client hands the response head to the email package's feed parser,
# which cost about a quarter of the CPU of a whole keep-alive GET in our
# profiles (0.78 s of 3.0 s for 3,531 requests: ~220 us per response, for
# headers that are "Name: value" lines).  http.client lets a connection pick
# its ``response_class``; ours reads the head with the same limits and fills
# an ``http.client.HTTPMessage`` directly.  Everything after the head (body,
# chunked transfer, gzip) is still http.client's and urllib3's.

_MAXLINE = 65536     # http.client's limits
_MAXHEADERS = 100


class FastHTTPMessage(http.client.HTTPMessage):
    """An HTTPMessage filled without the email parser (a response head has no body).

    Values are str decoded from ISO-8859-1, which never yields surrogates,
    so the compat32 policy's fetch-time processing is a no-op and the
    accessors below skip it.
    """

    def get(self, name, failobj=None):
        """The first value of header ``name`` (any case), else ``failobj``."""
        name = name.lower()
        for key, value in self._headers:
            if key.lower() == name:
                return value
        return failobj

    def __getitem__(self, name):
        return self.get(name)

    def get_all(self, name, failobj=None):
        """Every value of header ``name`` (any case), else ``failobj``."""
        name = name.lower()
        values = [value for key, value in self._headers if key.lower() == name]
        return values or failobj

    def items(self):
        """(name, value) pairs in the order received."""
        return list(self._headers)

    def values(self):
        """The values in the order received."""
        return [value for _, value in self._headers]


def read_head(fp):
    """Read header lines up to the blank line from ``fp``; returns a FastHTTPMessage.

    Raises http.client.LineTooLong / HTTPException past http.client's limits.
    A line that is not ``name: value`` is recorded in ``defects`` (urllib3
    then logs it, as it does for the email parser's defects).
    """
    msg = FastHTTPMessage()
    headers = msg._headers
    count = 0
    while True:
        line = fp.readline(_MAXLINE + 1)
        if len(line) > _MAXLINE:
            raise http.client.LineTooLong("header line")
        if line in (b"\r\n", b"\n", b""):
            return msg
        count += 1
        if count > _MAXHEADERS:
            raise http.client.HTTPException("got more than %d headers" % _MAXHEADERS)
        line = line.decode("iso-8859-1")
        if line[0] in " \t":
            if headers:  # obsolete line folding: the value goes on
                name, value = headers[-1]
                headers[-1] = (name, (value + " " + line.strip()).strip())
            else:
                msg.defects.append(MissingHeaderBodySeparatorDefect(line))
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or " " in name or "\t" in name:
            msg.defects.append(MissingHeaderBodySeparatorDefect(line))
            continue
        headers.append((name, value.strip(" \t\r\n")))


class FastHTTPResponse(http.client.HTTPResponse):
    """http.client's HTTPResponse with the head read by :func:`read_head`."""

    def begin(self):
        """Read the status line and the head (http.client calls it once)."""
        # http.client.HTTPResponse.begin (CPython 3.11) with parse_headers
        # replaced; the rest of the class is unchanged.
        if self.headers is not None:
            return
        while True:
            version, status, reason = self._read_status()
            if status != http.client.CONTINUE:
                break
            read_head(self.fp)  # skip the head of a 100 Continue
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers = self.msg = read_head(self.fp)

        tr_enc = self.headers.get("transfer-encoding")
        if tr_enc and tr_enc.lower() == "chunked":
            self.chunked = True
            self.chunk_left = None
        else:
            self.chunked = False
        self.will_close = self._check_close()
        self.length = None
        length = self.headers.get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                self.length = None
            else:
                if self.length < 0:
                    self.length = None
        if (status == http.client.NO_CONTENT or status == http.client.NOT_MODIFIED
                or 100 <= status < 200 or self._method == "HEAD"):
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True


_PEEK_NOWAIT = socket.MSG_PEEK | getattr(socket, "MSG_DONTWAIT", 0)


class EngineHTTPConnection(_EngineConnect, HTTPConnection):
    """urllib3's HTTPConnection over a cooperative engine socket."""

    response_class = FastHTTPResponse

    @property
    def is_connected(self):
        """False when the peer closed the connection (or sent what nobody asked for).

        urllib3 asks before it reuses a pooled connection.  Its answer, a
        zero-timeout poll through the ``select`` module, was 8% of the CPU of
        a keep-alive GET in our profiles; one peek at the socket (engine
        sockets are non-blocking underneath) answers the same question:
        nothing to read means the connection is still open.  Plain HTTP
        only: on TLS the raw bytes are not the application's.
        """
        sock = self.sock
        if sock is None or self._close_requested:
            return False
        try:
            # The C method: the stdlib class may be the monkey-patched one.
            _socket.socket.recv(sock, 1, _PEEK_NOWAIT)
        except BlockingIOError:
            return True
        except OSError:
            return False
        return False  # end of file, or unexpected bytes: as urllib3, not reusable


class EngineHTTPSConnection(_EngineConnect, HTTPSConnection):
    """urllib3's HTTPSConnection over a cooperative engine socket.

    Its ``ssl_context`` must come from :func:`ssl_context` so that the TLS
    layer is cooperative too.
    """

    @property
    def is_connected(self):
        """urllib3's answer, and False after a request that said "Connection: close"."""
        return not self._close_requested and super().is_connected

    response_class = FastHTTPResponse


class _ForgetFinishedResponses:
    """Pool mixin: a connection goes back to the pool without its last response.

    http.client keeps the last response of a keep-alive connection until the
    next request on it; with one pool per user, every idle user would hold a
    finished response and its parsed headers (~2 KB) for nothing.
    """

    def _put_conn(self, conn):
        response = getattr(conn, "_HTTPConnection__response", None)
        if response is not None and response.isclosed():
            # What http.client's putrequest() does at the next request anyway.
            conn._HTTPConnection__response = None
        super()._put_conn(conn)


class EngineHTTPConnectionPool(_ForgetFinishedResponses, HTTPConnectionPool):
    """An HTTP keep-alive pool whose connections and queue cooperate with the hub."""

    ConnectionCls = EngineHTTPConnection
    QueueCls = LifoQueue


class EngineHTTPSConnectionPool(_ForgetFinishedResponses, HTTPSConnectionPool):
    """An HTTPS keep-alive pool whose connections and queue cooperate with the hub."""

    ConnectionCls = EngineHTTPSConnection
    QueueCls = LifoQueue


#: Hosts that were warned about an unverified HTTPS request (``verify=False``).
_insecure_warned = set()


class UnverifiedHTTPSConnectionPool(EngineHTTPSConnectionPool):
    """The pool of ``verify=False``: urllib3's InsecureRequestWarning once per host.

    urllib3 warns before every request on an unverified connection and
    makes the warning class "always" shown at import: a load test printed
    one warning per request (11 MB of stderr in 10 s). This pool lets
    urllib3's ``_validate_conn`` warn the first time for a host and, after
    that, does what it does without the warning: connect a closed
    connection early (``conn.is_closed``, ``conn.connect()``; urllib3 2.x's
    body of that method, checked by a test). Verified pools keep urllib3's
    method untouched, so they pay nothing for this.
    """

    def _validate_conn(self, conn):
        if self.host not in _insecure_warned:
            _insecure_warned.add(self.host)
            super()._validate_conn(conn)
            return
        HTTPConnectionPool._validate_conn(self, conn)
        if conn.is_closed:
            conn.connect()


_ssl_contexts = {}


def ssl_context(verify=True, cert=None):
    """A cooperative SSLContext for ``verify`` and ``cert`` (cached: loading CAs is slow).

    ``verify``: True (the system's CAs, hostname checked), False (no
    verification), or the path of a CA bundle file or directory (only those
    CAs, as requests). ``cert``: a client certificate path, or (cert, key).
    Raises OSError when a path does not exist or cannot be loaded.
    """
    if isinstance(cert, list):
        cert = tuple(cert)
    key = (verify, cert)
    ctx = _ssl_contexts.get(key)
    if ctx is not None:
        return ctx
    if verify is False:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif verify is True or verify is None:
        ctx = ssl.create_default_context()
    else:
        path = os.fspath(verify)
        if not os.path.exists(path):
            raise OSError("Could not find a suitable TLS CA certificate bundle, invalid path: %s"
                          % path)
        if os.path.isdir(path):
            ctx = ssl.create_default_context(capath=path)
        else:
            ctx = ssl.create_default_context(cafile=path)
    if cert:
        certfile, keyfile = (cert, None) if isinstance(cert, (str, os.PathLike)) else cert
        for path in (certfile, keyfile):
            if path and not os.path.exists(path):
                raise OSError("Could not find the TLS certificate file, invalid path: %s" % path)
        ctx.load_cert_chain(certfile, keyfile)
    tls.wrap_context(ctx)
    _ssl_contexts[key] = ctx
    return ctx


def _https_pool_class(verify):
    return UnverifiedHTTPSConnectionPool if verify is False else EngineHTTPSConnectionPool


class Pools:
    """The keep-alive pools of one session, created on first use.

    Plain HTTP pools are keyed by (host, port); HTTPS ones also by the TLS
    settings; proxied ones by the proxy URL.
    """

    def __init__(self):
        self._pools = {}

    def get(self, target, verify, cert, proxy, basic_auth_header):
        """(pool, absolute) for a target; ``absolute``: send the URL in absolute form.

        Raises OSError for a CA bundle or certificate that cannot be loaded,
        InvalidSchema/InvalidURL for a proxy that cannot be used.
        """
        if proxy is not None:
            return self._proxied(target, verify, cert, proxy, basic_auth_header)
        if target.scheme == "http":
            key = target.pool_key
        else:
            if isinstance(cert, list):
                cert = tuple(cert)
            key = (target.host, target.port, verify, cert)
        pool = self._pools.get(key)
        if pool is None:
            if target.scheme == "http":
                pool = EngineHTTPConnectionPool(
                    target.host, target.port, maxsize=POOL_MAXSIZE, timeout=NO_TIMEOUT,
                    retries=NO_RETRIES)
            else:
                pool = _https_pool_class(verify)(
                    target.host, target.port, maxsize=POOL_MAXSIZE, timeout=NO_TIMEOUT,
                    retries=NO_RETRIES, ssl_context=ssl_context(verify, cert),
                    cert_reqs="CERT_NONE" if verify is False else "CERT_REQUIRED")
            self._pools[key] = pool
        return pool, False

    def _proxied(self, target, verify, cert, proxy, basic_auth_header):
        if isinstance(cert, list):
            cert = tuple(cert)
        key = ("proxy", proxy) if target.scheme == "http" else \
            ("tunnel", proxy, target.host, target.port, verify, cert)
        pool = self._pools.get(key)
        if pool is None:
            try:
                purl = parse_url(proxy)
            except LocationValueError as exc:
                raise InvalidURL("Invalid proxy URL %r: %s" % (proxy, exc)) from None
            if purl.scheme not in (None, "http") or not purl.host:
                raise InvalidSchema("Unsupported proxy %r: only http:// proxies are supported"
                                    % (proxy,))
            proxy_headers = {}
            if purl.auth:
                user, _, password = purl.auth.partition(":")
                proxy_headers["Proxy-Authorization"] = basic_auth_header(unquote(user),
                                                                         unquote(password))
            if target.scheme == "http":
                # Plain HTTP goes to the proxy, the URL in absolute form.
                pool = EngineHTTPConnectionPool(purl.host, purl.port or 80, maxsize=POOL_MAXSIZE,
                                                timeout=NO_TIMEOUT, retries=NO_RETRIES,
                                                headers=proxy_headers)
            else:
                # HTTPS goes through a CONNECT tunnel that urllib3 drives.
                purl = purl._replace(scheme="http", port=purl.port or 80)
                pool = _https_pool_class(verify)(
                    target.host, target.port, maxsize=POOL_MAXSIZE, timeout=NO_TIMEOUT,
                    retries=NO_RETRIES, ssl_context=ssl_context(verify, cert),
                    cert_reqs="CERT_NONE" if verify is False else "CERT_REQUIRED",
                    _proxy=purl, _proxy_headers=proxy_headers,
                    _proxy_config=ProxyConfig(None, False, None, None))
            self._pools[key] = pool
        return pool, target.scheme == "http"

    def close(self):
        """Close every pool's connections and forget the pools."""
        pools, self._pools = self._pools, {}
        for pool in pools.values():
            pool.close()
