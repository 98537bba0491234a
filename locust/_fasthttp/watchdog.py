"""Network timeouts of the fast client's plain connections, without a timer per wait.

Each wait of a :class:`~locust._fasthttp.connection.Connection` notes when
it began and joins :attr:`Watchdog.waiting`; one hub timer per process ticks
while anything waits and closes the socket of a wait older than its
connection's ``timeout``.  The hub then throws an error into the waiting
greenlet, which the connection turns into ReadTimeout.
"""

import time

__all__ = ["Watchdog", "current", "start"]

_clock = time.monotonic


class Watchdog:
    """Times out the waits of plain connections without a hub timer per wait.

    A timer per read cost 2.4 us of the 13 us a keep-alive GET costs the
    client (measured with the answer already queued).  Instead, each wait
    notes when it began and joins ``waiting``; one timer per process ticks
    (every quarter of the shortest timeout, at most 0.25 s) while anything
    waits, and closes the socket of a wait older than its timeout: the hub
    then throws an error into the waiting greenlet, which turns it into
    ReadTimeout.  A timeout so fires between ``timeout`` and ``timeout +
    tick`` seconds.
    """

    def __init__(self, hub):
        self.hub = hub
        self.waiting = set()
        self.timer = None

    def tick(self):
        """Close the connections whose wait outlived their timeout; tick again if any waits."""
        self.timer = None
        now = _clock()
        shortest = None
        for conn in list(self.waiting):
            since = conn.waiting_since
            if not since or conn.sock is None:
                self.waiting.discard(conn)
                continue
            if now - since >= conn.timeout:
                self.waiting.discard(conn)
                conn.timed_out = True
                conn.close()  # the hub throws EBADF into the waiter
            elif shortest is None or conn.timeout < shortest:
                shortest = conn.timeout
        if shortest is not None:
            self.schedule(shortest)

    def schedule(self, timeout):
        """Tick after a quarter of ``timeout`` (0.25 s at most, 5 ms at least)."""
        self.timer = self.hub.call_later(min(0.25, max(0.005, timeout / 4.0)), self.tick)


#: The watchdog of this process's hub.
current = Watchdog(None)


def start(conn):
    """The watchdog of ``conn``'s hub, ticking; returns it."""
    global current
    if current.hub is not conn.hub:  # a new hub (a forked process): a new watchdog
        current = Watchdog(conn.hub)
    if current.timer is None:
        current.schedule(conn.timeout)
    return current
