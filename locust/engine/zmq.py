"""Cooperative ZeroMQ: pyzmq sockets whose send and receive wait in the hub.

Use it like pyzmq::

    from locust.engine import zmq
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)       # a cooperative Socket
    sock.send_multipart([b"", b"hi"])   # waits (in the hub) only when it must
    reply = sock.recv_multipart(timeout=5)

Every name this module does not define (``ROUTER``, ``Again``, ``ZMQError``,
``Frame``...) is pyzmq's, looked up on first use.

How waiting works, and why it is built this way
-----------------------------------------------
Every operation is first tried with ``NOBLOCK``; only when libzmq answers
``EAGAIN`` does the greenlet wait, and then it retries (gevent's and
pyzmq.green's recipe).  What it waits on is awkward:

* a ZeroMQ socket has one file descriptor (``zmq.FD``) for both
  directions, and it only ever signals *readable*: "something changed,
  ask ``zmq.EVENTS``";
* that FD is edge-triggered: it is re-armed only by ``send``, ``recv`` or
  reading ``zmq.EVENTS``.  A greenlet that sleeps on it while a message is
  already queued sleeps forever, so ``EVENTS`` is read before every wait
  (which also re-arms the FD) and again after every wake-up;
* the hub allows one reader per fd, yet a sender and a receiver (or two
  receivers) may wait on the same socket at once.

So exactly one waiting greenlet, the *watcher*, waits on the FD in the hub
on behalf of everyone; the others wait on a per-socket list (``_others``).
Whenever the watcher's wait ends, for whatever reason (the FD fired, its
timeout, a kill, the socket closed), it wakes every other waiter, and each
re-reads ``EVENTS``: those whose direction is ready go ahead, and the first
one that still has to wait becomes the new watcher.  Nobody is ever left
waiting without a watcher.

A successful ``send``/``recv`` may consume the FD's edge that another waiter
needed (a message that arrived together with the one just received, or room
that appeared in the send queue).  So after each successful operation, if
anybody waits, ``EVENTS`` is read again and, if it shows what a waiter waits
for, the watcher is woken (a plain switch back from ``hub.wait_fd``, which
callers must treat as a possibly spurious return anyway), which in turn
wakes the others.  With nobody waiting this costs nothing: one attribute
test per operation.

Timeouts: ``recv``, ``recv_multipart``, ``recv_into``, ``send`` and
``send_multipart`` accept ``timeout=`` in seconds; without it the socket's
``RCVTIMEO``/``SNDTIMEO`` (milliseconds, -1 = forever) apply, as in pyzmq.
Either way a timeout raises ``zmq.Again``, exactly like blocking pyzmq.
``poll(timeout_ms, flags)`` waits cooperatively as well.

Closing a socket cancels its FD in the hub first, so every greenlet waiting
on it gets ``zmq.ZMQError(ENOTSOCK)`` at once.  ``Context.term()`` still
blocks in C until every socket is closed (close them, or use ``destroy()``).
There is no cooperative ``zmq.Poller`` here; use one greenlet per socket.
"""

import selectors

import zmq as _zmq  # pyzmq: absolute import, this module's own name does not shadow it

from .hub import get_hub, get_hub_if_exists, getcurrent
from .sync import _WaiterList

__all__ = ["Context", "Socket"]

_READ = selectors.EVENT_READ
_POLLIN = _zmq.POLLIN
_POLLOUT = _zmq.POLLOUT
_NOBLOCK = _zmq.NOBLOCK
_EVENTS = _zmq.EVENTS
_Again = _zmq.Again


class _WaitTimedOut(Exception):
    """Thrown by the hub into the watcher when its wait on the FD times out."""


def _deadline(hub, timeout):
    return None if timeout is None else hub.clock() + max(0.0, timeout)


class Socket(_zmq.Socket):
    """A pyzmq ``Socket`` whose blocking operations wait in the hub.

    Created by :meth:`Context.socket`.  ``send``/``recv`` and everything built
    on them (``send_string``, ``recv_pyobj``, ``send_json``, multipart...)
    cooperate.  Raises what pyzmq raises: ``zmq.Again`` on a timeout or when
    ``NOBLOCK`` is given and the operation would block,
    ``zmq.ZMQError(ENOTSOCK)`` when the socket is closed (also in greenlets
    waiting on it at that moment), ``zmq.ContextTerminated``.
    """

    _repr_cls = "locust.engine.zmq.Socket"

    # pyzmq maps unknown attribute assignments to socket options: private
    # state must be declared on the class to be stored as plain attributes.
    #: The socket's edge-triggered ``zmq.FD``; read on the first wait.
    _fd = None
    #: The greenlet waiting on ``_fd`` for every waiter of this socket.
    _watcher = None
    #: Bumped at each watch, so a stale wake-up never switches a later wait.
    _watch_seq = 0
    #: Greenlets waiting for the watcher to report a change.
    _others = None
    #: How many greenlets wait to receive / to send (watcher included).
    _readers = 0
    _writers = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._others = _WaiterList()

    # -- waiting -----------------------------------------------------------

    def _wait(self, mask, deadline):
        """Wait until ``EVENTS`` has a bit of ``mask``; returns the events.

        Raises zmq.Again at ``deadline`` (a hub clock time, or None for
        never) and ZMQError(ENOTSOCK) if the socket is closed.
        """
        hub = get_hub()
        if mask & _POLLIN:
            self._readers += 1
        if mask & _POLLOUT:
            self._writers += 1
        try:
            while True:
                if self.closed:
                    raise _zmq.ZMQError(_zmq.ENOTSOCK)
                # Reading EVENTS processes libzmq's pending commands and
                # re-arms the edge-triggered FD: only after it is it safe
                # to sleep on the FD.
                events = self.get(_EVENTS)
                if events & mask:
                    return events
                remaining = None
                if deadline is not None:
                    remaining = deadline - hub.clock()
                    if remaining <= 0:
                        raise _Again()
                if self._watcher is None:
                    self._watch(hub, remaining)
                else:
                    self._others.wait(remaining)
        finally:
            if mask & _POLLIN:
                self._readers -= 1
            if mask & _POLLOUT:
                self._writers -= 1

    def _watch(self, hub, timeout):
        """Wait on the FD for everybody, once; always hand the turn on."""
        if self._fd is None:
            self._fd = self.get(_zmq.FD)
        self._watcher = getcurrent()
        self._watch_seq += 1
        try:
            hub.wait_fd(self._fd, _READ, timeout, _WaitTimedOut)
        except _WaitTimedOut:
            pass  # the caller's loop checks the deadline (and EVENTS once more)
        finally:
            self._watcher = None
            # Everyone else re-reads EVENTS; one of those that still have to
            # wait becomes the next watcher.
            self._others.wake_all()

    def _wake_watcher(self, seq):
        glet = self._watcher
        if glet is not None and self._watch_seq == seq:
            glet.switch()  # returns from hub.wait_fd, as a spurious wake-up

    def _after_io(self):
        """After a successful operation, wake waiters whose side is now ready.

        The operation may have consumed the FD edge that would have woken
        them (see the module docstring).
        """
        events = self.get(_EVENTS)
        if (events & _POLLIN and self._readers) or (events & _POLLOUT and self._writers):
            if self._watcher is not None:
                get_hub().run_callback(self._wake_watcher, self._watch_seq)
            # Waiters woken by a previous watcher that have not run yet.
            self._others.wake_all()

    def _timeout_for(self, timeout, option):
        """The deadline of a wait: ``timeout`` seconds, else the socket option."""
        hub = get_hub()
        if timeout is None:
            ms = self.get(option)
            if ms < 0:
                return None
            timeout = ms / 1000.0
        return _deadline(hub, timeout)

    # -- operations --------------------------------------------------------

    def _retry(self, attempt, flags, event, timeout, timeout_option):
        """Run ``attempt(flags | NOBLOCK)`` until it does not raise zmq.Again.

        Between tries, wait cooperatively for ``event`` until the deadline of
        ``timeout`` (or the socket option ``timeout_option``); with NOBLOCK in
        ``flags`` the first Again propagates.  The deadline is computed at the
        first Again only, so the common path (ready at once) skips it.
        """
        deadline = False
        while True:
            try:
                result = attempt(flags | _NOBLOCK)
            except _Again:
                if flags & _NOBLOCK:
                    raise
                if deadline is False:
                    deadline = self._timeout_for(timeout, timeout_option)
                self._wait(event, deadline)
                continue
            if self._readers or self._writers:
                self._after_io()
            return result

    def send(self, data, flags=0, copy=True, track=False, routing_id=None,
             group=None, timeout=None):
        """Send one frame, waiting cooperatively while the send queue is full.

        ``timeout`` (seconds) overrides ``SNDTIMEO``.  Raises zmq.Again when
        it expires (or at once with ``NOBLOCK``), ZMQError(ENOTSOCK) if the
        socket is closed meanwhile, and whatever pyzmq's send raises.
        """
        send = super().send
        return self._retry(
            lambda f: send(data, f, copy=copy, track=track, routing_id=routing_id, group=group),
            flags, _POLLOUT, timeout, _zmq.SNDTIMEO)

    def recv(self, flags=0, copy=True, track=False, timeout=None):
        """Receive one frame, waiting cooperatively until one is there.

        ``timeout`` (seconds) overrides ``RCVTIMEO``.  Raises zmq.Again when
        it expires (or at once with ``NOBLOCK``), ZMQError(ENOTSOCK) if the
        socket is closed meanwhile, and whatever pyzmq's recv raises.
        """
        recv = super().recv
        return self._retry(lambda f: recv(f, copy=copy, track=track),
                           flags, _POLLIN, timeout, _zmq.RCVTIMEO)

    def recv_into(self, buffer, /, *, nbytes=0, flags=0, timeout=None):
        """Receive one frame into ``buffer``; returns its full size (see pyzmq).

        Same waiting, timeout and errors as :meth:`recv`.
        """
        recv_into = super().recv_into
        return self._retry(lambda f: recv_into(buffer, nbytes=nbytes, flags=f),
                           flags, _POLLIN, timeout, _zmq.RCVTIMEO)

    def send_multipart(self, msg_parts, flags=0, copy=True, track=False,
                       timeout=None, **kwargs):
        """Send a multipart message; ``timeout`` applies to each part's wait.

        libzmq accepts the remaining parts once the first one is queued, so
        in practice only the first part can wait.  Raises as :meth:`send`.
        """
        if timeout is None:
            return super().send_multipart(msg_parts, flags, copy, track, **kwargs)
        parts = list(msg_parts)
        for part in parts[:-1]:
            self.send(part, _zmq.SNDMORE | flags, copy=copy, track=track, timeout=timeout)
        return self.send(parts[-1], flags, copy=copy, track=track, timeout=timeout)

    def recv_multipart(self, flags=0, copy=True, track=False, timeout=None):
        """Receive every frame of one message as a list.

        Only the first frame can wait (libzmq delivers a message's frames
        together); ``timeout`` applies to it.  Raises as :meth:`recv`.
        """
        parts = [self.recv(flags, copy=copy, track=track, timeout=timeout)]
        while self.get(_zmq.RCVMORE):
            parts.append(self.recv(flags, copy=copy, track=track))
        return parts

    def poll(self, timeout=None, flags=_POLLIN):
        """Wait until the socket is ready for ``flags`` (POLLIN and/or POLLOUT).

        ``timeout`` is in milliseconds as in pyzmq (None or a negative value
        waits forever).  Returns the ready events among ``flags``, 0 on a
        timeout.  Raises ZMQError(ENOTSUP) on a closed socket, like pyzmq.
        """
        if self.closed:
            raise _zmq.ZMQError(_zmq.ENOTSUP)
        hub = get_hub()
        if timeout is not None and timeout < 0:
            timeout = None
        deadline = _deadline(hub, None if timeout is None else timeout / 1000.0)
        try:
            return self._wait(flags, deadline) & flags
        except _Again:
            return 0

    # -- closing -----------------------------------------------------------

    def close(self, linger=None):
        """Close the socket; greenlets waiting on it get ZMQError(ENOTSOCK).

        ``linger`` (ms) sets ``LINGER`` first, as in pyzmq.
        """
        hub = get_hub_if_exists()  # never create a hub here (close may run in __del__)
        if not self.closed and self._fd is not None and hub is not None:
            # Before the close: the fd number may be reused at once, and its
            # new owner must not inherit our registration or our watcher.
            hub.cancel_fd(self._fd, _zmq.ZMQError(_zmq.ENOTSOCK))
        super().close(linger)
        others = self._others
        if others is not None and len(others):
            others.wake_all()


class Context(_zmq.Context):
    """A pyzmq ``Context`` whose :meth:`socket` returns cooperative Sockets.

    ``Context.instance()`` gives a process-wide one, separate from pyzmq's.
    """

    _socket_class = Socket
    # Context.instance() keeps its singleton on the class: ours must not
    # find (or replace) the plain pyzmq one.
    _instance = None
    _instance_pid = None


def __getattr__(name):
    # PEP 562: the rest of pyzmq's namespace (constants, errors, Frame...)
    # so that ``from locust.engine import zmq`` can stand in for ``import zmq``.
    try:
        return getattr(_zmq, name)
    except AttributeError:
        raise AttributeError("module %r has no attribute %r" % (__name__, name)) from None
