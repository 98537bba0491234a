"""Make the stdlib's blocking entry points cooperative, process-wide.

Third-party clients written against the stdlib (``xmlrpc.client``,
``http.client``, ``smtplib``, redis-py...) create ``socket.socket`` objects,
call ``time.sleep`` and ``select.select``.  :func:`patch_all` replaces those
names in the stdlib modules with the engine's cooperative versions, so such
clients run concurrently in greenlets without being changed:

=====================================  ============================================
``socket.socket``                      :class:`locust.engine.net.socket`
``socket.create_connection``,          the engine's (``getaddrinfo`` and
``getaddrinfo``, ``gethostbyname``     ``gethostbyname`` cached: the first look-up
                                       of a name still blocks)
``socket.socketpair``, ``fromfd``      cooperative through ``socket.socket``
``ssl.SSLContext.sslsocket_class``     :class:`locust.engine.tls.SSLSocket`
``time.sleep``                         :func:`locust.engine.sleep`
``select.select``, ``select.poll``     cooperative versions (below)
``selectors.DefaultSelector``          a ``PollSelector`` on the cooperative poll
=====================================  ============================================

Patch before the client library is imported when it does ``from socket import
socket`` (or ``from time import sleep``): a name copied earlier keeps the
original.  Patching is idempotent and cannot be undone.

The engine never calls what it patches: ``hub.py`` and ``net.py`` keep the
originals they captured at import time (this module imports them first).

Only the thread that called :func:`patch_all` cooperates.  The patched
``time.sleep``, ``select.select`` and ``select.poll`` fall back to the
originals in any other OS thread; sockets are not checked per call (that
would cost every operation), so do not use sockets from other threads in a
patched process.

Waiting on several fds at once (``select``/``poll``) uses a private epoll
object whose own fd the hub watches: it becomes readable when any of the fds
is ready, so no helper greenlet is needed and another greenlet may wait on the
same fds meanwhile.  Where there is no epoll, the wait polls with growing
sleeps (1 ms to 50 ms).
"""

import _thread
import contextlib
import errno
import math
import select
import selectors
import socket
import ssl
import time

from . import greenlets, net, tls
from .hub import get_hub

__all__ = ["patch_all", "patch_socket", "patch_ssl", "patch_time", "patch_select",
           "is_patched", "cooperative_select", "CooperativePoll", "CooperativeSelector"]

# The originals, captured when this module is first imported.
_orig_sleep = time.sleep
_orig_select = select.select
_orig_poll = getattr(select, "poll", None)
_orig_epoll = getattr(select, "epoll", None)

_POLLIN = getattr(select, "POLLIN", 1)
_POLLPRI = getattr(select, "POLLPRI", 2)
_POLLOUT = getattr(select, "POLLOUT", 4)
_POLLERR = getattr(select, "POLLERR", 8)
_POLLHUP = getattr(select, "POLLHUP", 16)
_POLLNVAL = getattr(select, "POLLNVAL", 32)

_patched = set()
_patch_thread = None    # the thread whose greenlets cooperate


def _foreign_thread():
    return _patch_thread is not None and _thread.get_ident() != _patch_thread


def _remember_thread():
    global _patch_thread
    if _patch_thread is None:
        _patch_thread = _thread.get_ident()


# -- time ---------------------------------------------------------------------------

def _sleep(secs):
    """Cooperative ``time.sleep``; raises ValueError for a negative duration."""
    if _foreign_thread():
        return _orig_sleep(secs)
    if secs < 0:
        raise ValueError("sleep length must be non-negative")
    greenlets.sleep(secs)
    return None


# -- poll and select -----------------------------------------------------------------

def _fileno(obj):
    if isinstance(obj, int):
        fd = obj
    else:
        try:
            fd = obj.fileno()
        except AttributeError:
            raise TypeError("argument must be an int, or have a fileno() method.") from None
        if not isinstance(fd, int):
            raise TypeError("fileno() returned a non-integer")
    if fd < 0:
        raise ValueError("file descriptor cannot be a negative integer (%d)" % fd)
    return fd


class _Expired(Exception):
    """Private: the timer of a multi-fd wait fired."""


def _wait_any(fdmasks, timeout):
    """Wait until one of ``{fd: poll mask}`` may be ready, or ``timeout`` passes.

    May return early; the caller checks with a zero-timeout poll.
    """
    if _orig_epoll is None:
        greenlets.sleep(0.05 if timeout is None else min(timeout, 0.05))
        return
    ep = _orig_epoll()
    hub = get_hub()
    try:
        for fd, mask in fdmasks.items():
            # POLLIN/POLLPRI/POLLOUT have the values of EPOLLIN/PRI/OUT.  An
            # OSError is e.g. a regular file: the zero-timeout poll reports it.
            with contextlib.suppress(OSError):
                ep.register(fd, mask & (_POLLIN | _POLLPRI | _POLLOUT))
        with contextlib.suppress(_Expired):
            hub.wait_fd(ep.fileno(), selectors.EVENT_READ, timeout, _Expired())
    finally:
        hub.cancel_fd(ep.fileno())
        ep.close()


class CooperativePoll:
    """``select.poll()`` whose ``poll(timeout_ms)`` waits cooperatively.

    Same methods as the stdlib's poll object; ``poll`` takes milliseconds
    (None or negative: wait forever) and returns ``[(fd, events)]``.
    """

    def __init__(self):
        self._poll = _orig_poll()
        self._masks = {}

    def register(self, fd, eventmask=_POLLIN | _POLLPRI | _POLLOUT):
        """Watch ``fd`` (an int or an object with ``fileno()``) for ``eventmask``."""
        fd = _fileno(fd)
        self._poll.register(fd, eventmask)
        self._masks[fd] = eventmask

    def modify(self, fd, eventmask):
        """Change the events watched for a registered fd; OSError(ENOENT) if unknown."""
        fd = _fileno(fd)
        self._poll.modify(fd, eventmask)
        self._masks[fd] = eventmask

    def unregister(self, fd):
        """Stop watching ``fd``; KeyError if it is not registered."""
        fd = _fileno(fd)
        self._poll.unregister(fd)
        del self._masks[fd]

    def poll(self, timeout=None):
        """Return the ready ``[(fd, events)]``, waiting at most ``timeout`` ms."""
        if timeout is not None and timeout < 0:
            timeout = None
        if _foreign_thread():
            return self._poll.poll(timeout)
        ready = self._poll.poll(0)    # try first
        if ready or timeout == 0:
            return ready
        seconds = None if timeout is None else math.ceil(timeout) / 1000.0
        deadline = None if seconds is None else net._clock() + seconds
        while True:
            _wait_any(self._masks, seconds)
            ready = self._poll.poll(0)
            if ready:
                return ready
            if deadline is not None:
                seconds = deadline - net._clock()
                if seconds <= 0:
                    return []


def cooperative_select(rlist, wlist, xlist, timeout=None):
    """``select.select`` that waits cooperatively; same arguments and result.

    No FD_SETSIZE limit (it is built on poll).  Raises ValueError for a
    negative timeout, TypeError for objects without ``fileno()``, OSError
    (EBADF) for a closed fd.
    """
    if _foreign_thread():
        return _orig_select(rlist, wlist, xlist, timeout)
    if timeout is not None:
        if timeout < 0:
            raise ValueError("timeout must be non-negative")
        timeout_ms = timeout * 1000.0
    else:
        timeout_ms = None
    rlist, wlist, xlist = list(rlist), list(wlist), list(xlist)
    masks = {}
    for objs, mask in ((rlist, _POLLIN), (wlist, _POLLOUT), (xlist, _POLLPRI)):
        for obj in objs:
            fd = _fileno(obj)
            masks[fd] = masks.get(fd, 0) | mask
    if not masks:
        # select() with nothing to watch is a sleep (forever without a timeout).
        while timeout is None:
            greenlets.sleep(3600)
        greenlets.sleep(timeout)
        return [], [], []
    poller = CooperativePoll()
    for fd, mask in masks.items():
        poller.register(fd, mask)
    events = dict(poller.poll(timeout_ms))
    if any(ev & _POLLNVAL for ev in events.values()):
        raise OSError(errno.EBADF, "Bad file descriptor")

    def ready(objs, mask):
        return [obj for obj in objs if events.get(_fileno(obj), 0) & mask]
    return (ready(rlist, _POLLIN | _POLLHUP | _POLLERR),
            ready(wlist, _POLLOUT | _POLLERR),
            ready(xlist, _POLLPRI))


if _orig_poll is not None:
    class CooperativeSelector(selectors.PollSelector):
        """A ``selectors.PollSelector`` whose ``select()`` waits cooperatively."""

        _selector_cls = CooperativePoll
else:  # pragma: no cover - platforms without poll()
    CooperativeSelector = None


# -- patching ---------------------------------------------------------------------

def patch_socket():
    """Replace ``socket.socket``, ``create_connection``, ``getaddrinfo`` and
    ``gethostbyname`` with the engine's cooperative versions."""
    if "socket" in _patched:
        return
    _remember_thread()
    socket.socket = net.socket
    socket.create_connection = net.create_connection
    socket.getaddrinfo = net.getaddrinfo
    socket.gethostbyname = net.gethostbyname
    # socket.socketpair, fromfd and create_server build their sockets with
    # the module global "socket", so they are cooperative from now on.
    _patched.add("socket")


def patch_ssl():
    """Make every ``SSLContext.wrap_socket`` (and ``ssl.wrap_socket``) return
    cooperative TLS sockets."""
    if "ssl" in _patched:
        return
    _remember_thread()
    ssl.SSLContext.sslsocket_class = tls.SSLSocket
    _patched.add("ssl")


def patch_time():
    """Replace ``time.sleep`` with a cooperative sleep."""
    if "time" in _patched:
        return
    _remember_thread()
    time.sleep = _sleep
    _patched.add("time")


def patch_select():
    """Replace ``select.select``, ``select.poll`` and ``selectors.DefaultSelector``
    with cooperative versions (``select.epoll`` is left alone)."""
    if "select" in _patched:
        return
    _remember_thread()
    select.select = cooperative_select
    if _orig_poll is not None:
        select.poll = CooperativePoll
        selectors.DefaultSelector = CooperativeSelector
    _patched.add("select")


def patch_all():
    """Patch socket, ssl, time and select (see the module docstring). Idempotent."""
    # Make sure the hub exists, created with the original classes.
    get_hub()
    patch_socket()
    patch_ssl()
    patch_time()
    patch_select()


def is_patched(what=None):
    """True if ``what`` ("socket", "ssl", "time", "select") was patched;
    without an argument, True if everything was."""
    if what is None:
        return _patched >= {"socket", "ssl", "time", "select"}
    return what in _patched
