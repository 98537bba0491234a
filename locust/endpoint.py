"""The plumbing a master and a slave share: one end of the wire.

An :class:`Endpoint` owns a ZeroMQ context and the two sockets of its side
(the wire and its ports: :mod:`locust.rpc`): the *main* socket, for every
message but heartbeats, and the *heartbeat* socket. A master's endpoint
binds two ROUTERs (:meth:`Endpoint.bind`); a slave's connects two DEALERs
with its node id as their identity (:meth:`Endpoint.connect`).

Its receive loops, one spawned loop per socket, check every frame
(:func:`locust.rpc.decode`; on a ROUTER also that the frame count is 2 and
that the sender's identity is the node id inside), log what they drop with
one :class:`locust.rpc.RateLimitedLog` naming the sender, and hand each
valid message to the handler given, as ``handler(message, channel)``
(``channel`` is :data:`MAIN` or :data:`HEARTBEAT`: a master counts a slave
only once it has heard it on the heartbeat port). A loop yields to the hub
every :data:`YIELD_EVERY` frames: a receive returns at once while frames are
queued, so a peer flooding us would otherwise keep everything else
(heartbeats, the dashboard, the signal handlers' work) waiting for as long
as it sends. It also yields after :data:`YIELD_AFTER` seconds of handling:
decoding and merging the largest report accepted takes up to ~0.5 s
(measured: 25 MB, 3,700 names of 1,706 buckets each, before the bucket
limit of :data:`locust.rpc.MAX_BUCKETS_PER_REPORT`).
"""

import logging

from . import rpc
from .engine import clock, sleep, spawn, zmq

__all__ = ["Endpoint", "MAIN", "HEARTBEAT", "YIELD_EVERY", "YIELD_AFTER"]

logger = logging.getLogger("locust.runners")

#: The channel of every message but heartbeats.
MAIN = "main"
#: The channel of heartbeats (port + 1).
HEARTBEAT = "heartbeat"
#: Frames a receive loop handles before it lets the hub run the others...
YIELD_EVERY = 8
#: ... or seconds it spends on them (a large report takes a while to merge).
YIELD_AFTER = 0.01


def _shown(identity):
    return repr(bytes(identity[:60]))


class Endpoint:
    """One side of the wire: context, main and heartbeat sockets, receive loops.

    Build it with :meth:`bind` (a master) or :meth:`connect` (a slave), then
    :meth:`start` its receive loops. ``allowed`` is the table of message
    types accepted (:data:`locust.rpc.SLAVE_TO_MASTER` on a master);
    ``handler(message, channel)`` is called for each valid message, in the
    receive loop; an exception from it is logged and the loop
    goes on. :attr:`bad` is the rate-limited log of this side.
    """

    def __init__(self, allowed, handler, peer="the master"):
        self.allowed = allowed
        self.handler = handler
        self.peer = peer
        #: Rate-limited warnings about what peers send (dropped frames...).
        self.bad = rpc.RateLimitedLog(logger)
        self.routed = False
        self.closed = False
        self._context = zmq.Context()
        self._sockets = {}

    # -- building ----------------------------------------------------------

    @classmethod
    def bind(cls, host, port, allowed, handler):
        """A master's endpoint: ROUTERs bound on ``host`` ports ``port`` and
        ``port + 1`` (port 0: a free pair; see :attr:`port`). Raises OSError
        when it cannot bind."""
        self = cls(allowed, handler, peer="a slave")
        self.routed = True
        try:
            self.port = self._bind_pair(host, port)
        except Exception:
            self._context.destroy(linger=0)
            raise
        return self

    @classmethod
    def connect(cls, host, port, identity, allowed, handler):
        """A slave's endpoint: DEALERs with ``identity`` connected to ``host``
        ports ``port`` and ``port + 1``. Raises OSError for an address that
        cannot be used."""
        self = cls(allowed, handler)
        self.port = port
        try:
            for channel, number in ((MAIN, port), (HEARTBEAT, port + 1)):
                sock = self._context.socket(zmq.DEALER)
                self._sockets[channel] = sock
                sock.setsockopt(zmq.IDENTITY, identity.encode("utf-8"))
                # Queue nothing for a master that is not connected: a report
                # or an announcement from before it (re)started would only
                # confuse it.
                sock.setsockopt(zmq.IMMEDIATE, 1)
                sock.setsockopt(zmq.LINGER, 1000)
                sock.setsockopt(zmq.MAXMSGSIZE, rpc.MAX_MESSAGE_SIZE)
                sock.connect("tcp://%s:%d" % (host, number))
        except zmq.ZMQError as exc:
            self._context.destroy(linger=0)
            raise OSError("could not connect to the master at %s:%d: %s" % (
                host, port, exc)) from None
        return self

    def _router(self):
        sock = self._context.socket(zmq.ROUTER)
        sock.setsockopt(zmq.LINGER, 0)
        # libzmq drops a peer that sends a bigger frame before buffering it.
        sock.setsockopt(zmq.MAXMSGSIZE, rpc.MAX_MESSAGE_SIZE)
        return sock

    def _bind_pair(self, host, port):
        tries = 50 if port == 0 else 1
        error = None
        for _ in range(tries):
            main, beats = self._router(), self._router()
            try:
                if port == 0:
                    number = main.bind_to_random_port("tcp://%s" % host, 1024, 65534)
                else:
                    number = port
                    main.bind("tcp://%s:%d" % (host, number))
                beats.bind("tcp://%s:%d" % (host, number + 1))
            except zmq.ZMQError as exc:
                main.close()
                beats.close()
                error = exc
                continue
            self._sockets = {MAIN: main, HEARTBEAT: beats}
            return number
        raise OSError("could not bind the master ports %s:%s and +1: %s" % (host, port, error))

    def start(self):
        """Start the receive loops (one spawned loop per socket)."""
        for channel, sock in self._sockets.items():
            spawn(self._receive, sock, channel)

    # -- sending -----------------------------------------------------------

    def send(self, frame, channel=MAIN, identity=None, timeout=None):
        """Send ``frame`` (from :func:`locust.rpc.encode`) on ``channel``.

        On a master ``identity`` names the slave (a ROUTER drops what it
        cannot deliver at once, so this never waits). On a slave it waits up
        to ``timeout`` s for room or a connection (None: not at all).
        Returns False if the frame was dropped.
        """
        if self.closed:
            return False
        sock = self._sockets[channel]
        try:
            if identity is not None:
                sock.send_multipart([identity, frame], flags=zmq.NOBLOCK)
            elif timeout is None:
                sock.send(frame, flags=zmq.NOBLOCK)
            else:
                sock.send(frame, timeout=timeout)
            return True
        except zmq.ZMQError:  # Again: not connected (IMMEDIATE), queue full, or closed
            return False

    # -- receiving ---------------------------------------------------------

    def _receive(self, sock, channel):
        handled, since = 0, clock()
        while True:
            try:
                frames = sock.recv_multipart()
            except zmq.ZMQError:
                return  # closed
            try:
                message = self._decode(frames)
                if message is not None:
                    self.handler(message, channel)
            except Exception:
                logger.exception("Failed to handle a message from %s", self.peer)
            handled += 1
            if handled == YIELD_EVERY or clock() - since > YIELD_AFTER:
                sleep(0)
                handled, since = 0, clock()

    def _decode(self, frames):
        """The message in ``frames``, or None (logged) if it is to be dropped."""
        if self.routed:
            if len(frames) != 2:
                self.bad.warning("Dropped a message of %d frames (expected 2) from %s",
                                 len(frames), _shown(frames[0]))
                return None
            identity, payload = frames
            sender = _shown(identity)
        else:
            if len(frames) != 1:
                self.bad.warning("Dropped a message of %d frames from %s", len(frames), self.peer)
                return None
            identity, payload, sender = None, frames[0], self.peer
        try:
            message = rpc.decode(payload, self.allowed)
        except rpc.MessageError as exc:
            self.bad.warning("Dropped a malformed message from %s: %s", sender, exc)
            return None
        if identity is not None and message.node_id.encode("utf-8") != identity:
            self.bad.warning("Dropped a %s message: node id %r is not the sender's identity %s",
                             message.type, message.node_id[:60], sender)
            return None
        return message

    # -- closing -----------------------------------------------------------

    def close(self, linger=None):
        """Close the sockets (their receive loops end) and the context.

        ``linger`` (ms) overrides the sockets' LINGER (a slave's 1 s lets its
        last frames leave; the context's term waits that long at most).
        Idempotent.
        """
        if self.closed:
            return
        self.closed = True
        self.bad.flush()
        # Closing a socket wakes its receive loop with ZMQError: it returns.
        for sock in self._sockets.values():
            sock.close(linger=linger)
        self._context.term()
