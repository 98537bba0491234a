"""The master of a distributed run: drives slaves (the slave is in locust.slave).

The master (:class:`MasterLocustRunner`) runs no users. It binds two ZeroMQ
ROUTER sockets (see :mod:`locust.rpc` for the wire), splits every hatch
exactly over the slaves that are not missing, merges their statistics and
exceptions, and keeps its own state (ready, hatching, running, stopped)
from theirs. A slave (:class:`SlaveLocustRunner`) runs users with the
machinery of :class:`locust.runners.LocustRunner`, with the per-class
counts the master chose for it.

**Splitting.** ``N`` users are split over the Locust classes by weight
(:func:`locust.runners.weight_split`), then over the ``k`` slaves, sorted by
node id: each slave gets ``N // k`` users and the first ``N % k`` one more
(10 over 3 is 4/3/3), and its per-class counts are chosen so that each
class's total over all slaves is exact too (:func:`split_over_slaves`).
Each slave's hatch rate is its share of the total rate, so all finish
hatching together. A slave that joins (or comes back) while a test runs
triggers a *rebalance*: every slave gets its new share, the surplus users
of the others are removed; ``hatch_complete`` is not fired again for it.

**Statistics.** A slave sends the delta of its statistics every
:data:`locust.rpc.REPORT_INTERVAL` seconds (with ``user_count`` and whatever the
``report_to_master`` listeners add), and a final one when it stops and
when it quits, before ``client_stopped`` / ``quit``. The master merges each
report exactly and fires ``slave_report``; when it stops it waits (a
bounded time) for every busy slave's ``client_stopped``, so its totals are
the sum of what the slaves measured. Reports from unknown slaves are logged
and ignored. The request cap (``-n``) is checked by the master on the
merged count: the slaves may overshoot it by the requests in flight and
those made during one report interval.

**Liveness.** Both sides send heartbeats every ``heartbeat_interval``
seconds (default 1). A slave the master has not heard from for
:data:`locust.rpc.HEARTBEAT_LIVENESS` intervals is marked *missing* (logged; its users
no longer count; the test goes on with the others; it is not replaced by
a rebalance). A slave that does not hear from its master for as long stops
its users and announces itself (``client_ready``) every few seconds, so it
rejoins a master that comes back; with ``slave_exit_timeout`` it exits
(status 1) after that many silent seconds instead of waiting forever.
"""

import logging
import time

from greenlet import getcurrent

from . import events, rpc
from .engine import Event, get_hub, sleep, spawn, zmq
from .runners import (
    STATE_HATCHING,
    STATE_INIT,
    STATE_MISSING,
    STATE_RUNNING,
    STATE_STOPPED,
    LocustRunner,
    weight_split,
)

__all__ = ["MasterLocustRunner", "SlaveNode", "split_over_slaves"]

logger = logging.getLogger("locust.runners")


def split_over_slaves(class_counts, slaves):
    """Split ``{class: users}`` over ``slaves`` slaves: a list of ``{class: users}``.

    Slave ``j`` gets ``total // slaves`` users, plus one for the first
    ``total % slaves``; every class's column sums to its count. Each slave
    takes a proportional cut of what is still unassigned (largest
    remainder), which never exceeds what is left of a class, and the last
    slave takes exactly the rest: both the rows and the columns are exact,
    and every slave runs a mix of the classes.

    >>> split_over_slaves({"A": 8, "B": 2}, 3)
    [{'A': 3, 'B': 1}, {'A': 3, 'B': 0}, {'A': 2, 'B': 1}]
    """
    classes = list(class_counts)
    left = [class_counts[c] for c in classes]
    shares = weight_split(sum(left), [1] * slaves)
    result = []
    for share in shares:
        part = weight_split(share, left) if any(left) else [0] * len(classes)
        left = [a - b for a, b in zip(left, part)]
        result.append(dict(zip(classes, part)))
    return result


class _Notifier:
    """Wakes the greenlets waiting for the slaves' states to change."""

    def __init__(self):
        self._event = Event()

    def notify(self):
        event, self._event = self._event, Event()
        event.set()

    def wait_for(self, condition, timeout):
        """Wait until ``condition()`` is true, at most ``timeout`` s; returns it."""
        hub = get_hub()
        deadline = hub.clock() + timeout
        while not condition():
            remaining = deadline - hub.clock()
            if remaining <= 0:
                return False
            self._event.wait(min(remaining, 0.5))
        return True


def _shown(identity):
    return repr(bytes(identity[:60]))


# ------------------------------------------------------------------ master

class SlaveNode:
    """What the master knows of one slave (the dashboard's slaves tab)."""

    def __init__(self, node_id, now):
        self.id = node_id
        self.identity = node_id.encode("utf-8")
        self.state = STATE_INIT
        self.user_count = 0
        #: Wall-clock time (time.time) of the last message from it.
        self.last_heartbeat = time.time()
        #: Hub-clock time of the last message from it (liveness).
        self.last_seen = now
        #: True from a hatch until its client_stopped: its final report is owed.
        self.busy = False
        #: The slave process's CPU use (percent of a core) in its last heartbeat, or None.
        self.cpu_percent = None
        #: Its resident memory (bytes) in its last heartbeat, or None.
        self.memory = None


class MasterLocustRunner(LocustRunner):
    """Drives slaves over ZeroMQ; runs no users itself.

    Binds ``options.master_bind_host`` (default ``*``) ports
    ``options.master_bind_port`` (default 5557) and the next one; port 0
    picks a free pair (see :attr:`master_bind_port` afterwards). Raises
    OSError when it cannot bind. ``clients`` maps node ids to
    :class:`SlaveNode`, missing ones included; ``slave_count`` counts the
    others.
    """

    #: A slave's second is complete once its next report has arrived.
    history_delay = rpc.REPORT_INTERVAL + 1.0

    def __init__(self, locust_classes, options=None, stats=None):
        super().__init__(locust_classes, options, stats)
        self.master_bind_host = getattr(options, "master_bind_host", None) or "*"
        port = getattr(options, "master_bind_port", None)
        self.master_bind_port = 5557 if port is None else port
        self.heartbeat_interval = rpc.heartbeat_interval(options)
        self.clients = {}
        self._generation = 0
        # Bumped by every reset of the statistics: a report measured before
        # the reset (sent, or queued, before the slave heard of it) carries
        # an older epoch and is dropped, so a reset leaves nothing behind.
        self._stats_epoch = 0
        self._pending = set()       # node ids whose hatch_complete is awaited
        self._rebalancing = False   # the current hatch is a rebalance: no event
        self._notifier = _Notifier()
        self._bad = rpc.RateLimitedLog(logger)
        self._closed = False
        self._context = zmq.Context()
        try:
            self._router, self._heartbeats = self._bind()
        except Exception:
            self._context.destroy(linger=0)
            raise
        logger.info("Master listening for slaves on %s:%d and %d", self.master_bind_host,
                    self.master_bind_port, self.master_bind_port + 1)
        self._greenlets = [spawn(self._receive, self._router),
                           spawn(self._receive, self._heartbeats),
                           spawn(self._heartbeat_loop)]

    def _socket(self):
        sock = self._context.socket(zmq.ROUTER)
        sock.setsockopt(zmq.LINGER, 0)
        # libzmq drops a peer that sends a bigger frame before buffering it.
        sock.setsockopt(zmq.MAXMSGSIZE, rpc.MAX_MESSAGE_SIZE)
        return sock

    def _bind(self):
        host = self.master_bind_host
        tries = 50 if self.master_bind_port == 0 else 1
        for _ in range(tries):
            main, beats = self._socket(), self._socket()
            try:
                if self.master_bind_port == 0:
                    port = main.bind_to_random_port("tcp://%s" % host, 1024, 65534)
                else:
                    port = self.master_bind_port
                    main.bind("tcp://%s:%d" % (host, port))
                beats.bind("tcp://%s:%d" % (host, port + 1))
            except zmq.ZMQError as exc:
                main.close()
                beats.close()
                error = exc
                continue
            self.master_bind_port = port
            return main, beats
        raise OSError("could not bind the master ports %s:%s and +1: %s" % (
            host, self.master_bind_port, error))

    # -- counting ---------------------------------------------------------

    def _active(self):
        return sorted((n for n in self.clients.values() if n.state != STATE_MISSING),
                      key=lambda n: n.id)

    @property
    def slave_count(self):
        """Slaves connected and not missing."""
        return len(self._active())

    @property
    def user_count(self):
        """Users on the slaves that are not missing."""
        return sum(n.user_count for n in self._active())

    # -- sending ----------------------------------------------------------

    def _send(self, node, message_type, data=None, sock=None):
        frame = rpc.encode(message_type, data, "master")
        try:
            # A ROUTER never blocks: it drops for an unknown or full peer.
            (sock or self._router).send_multipart([node.identity, frame], flags=zmq.NOBLOCK)
        except zmq.ZMQError as exc:
            logger.debug("Could not send %s to %s: %s", message_type, node.id, exc)

    # -- hatching ---------------------------------------------------------

    def begin_test(self):
        """A new test: as the base class, and ``master_start_hatching`` fires."""
        super().begin_test()
        events.master_start_hatching.fire()

    def finish_stop(self):
        """The test is over: as the base class, and ``master_stop_hatching`` fires."""
        super().finish_stop()
        events.master_stop_hatching.fire()

    def start_hatching(self, locust_count=None, hatch_rate=None, wait=False):
        """Split ``locust_count`` users and ``hatch_rate`` over the slaves and send them.

        Starts a test, or changes the count of a running one. With ``wait``
        returns when every slave reported hatch_complete. Raises ValueError
        for a bad count or rate, or when no slave is connected.
        """
        locust_count = self.num_clients if locust_count is None else locust_count
        hatch_rate = self.hatch_rate if hatch_rate is None else hatch_rate
        if locust_count < 0:
            raise ValueError("the number of users must not be negative (got %r)" % locust_count)
        if not hatch_rate or hatch_rate <= 0:
            raise ValueError("the hatch rate must be more than 0 (got %r)" % hatch_rate)
        target = self.split_users(locust_count)
        if not self._active():
            raise ValueError("no slaves are connected: start some with --slave")
        self.num_clients = locust_count
        self.hatch_rate = hatch_rate
        if self.state in (STATE_INIT, STATE_STOPPED):
            self.begin_test()
        self._rebalancing = False
        self._send_hatch(target)
        if wait:
            self._notifier.wait_for(lambda: self.state != STATE_HATCHING, 3600)

    def _send_hatch(self, target):
        slaves = self._active()
        self.state = STATE_HATCHING
        self._generation += 1
        shares = split_over_slaves(target, len(slaves))
        self._pending = {node.id for node in slaves}
        for node, share in zip(slaves, shares):
            count = sum(share.values())
            rate = (self.hatch_rate * count / self.num_clients if count
                    else self.hatch_rate / len(slaves))
            node.busy = True
            self._send(node, "hatch", {
                "num_clients": count, "hatch_rate": rate, "host": self.host or None,
                "class_counts": {cls.__name__: n for cls, n in share.items()},
                "generation": self._generation, "stats_epoch": self._stats_epoch})
        logger.info("Sent hatch jobs to %d slaves: %s users", len(slaves),
                    "/".join(str(sum(s.values())) for s in shares))
        self._notifier.notify()

    def _rebalance(self):
        """Send new shares to every slave (one joined or came back mid-test)."""
        if self.state not in (STATE_HATCHING, STATE_RUNNING) or not self._active():
            return
        if self.state == STATE_RUNNING:
            self._rebalancing = True
        logger.info("Rebalancing %d users over %d slaves", self.num_clients, self.slave_count)
        self._send_hatch(self.split_users(self.num_clients))

    def _check_hatch_done(self):
        if self.state != STATE_HATCHING or self._pending:
            return
        if self._rebalancing:
            self.state = STATE_RUNNING
        else:
            logger.info("All slaves finished hatching: %d users", self.user_count)
            self.hatching_complete(self.user_count)
        self._notifier.notify()

    # -- stopping -----------------------------------------------------------

    def stop(self, grace=None):
        """Stop every slave's users; returns when each busy slave has sent its
        final report (or went missing), at most about ``grace`` + 5 s."""
        if self.state == STATE_STOPPED and self._stopped.is_set():
            return
        self._cancel_run_timer()
        self._generation += 1
        generation = self._generation
        self._pending = set()
        self.state = STATE_STOPPED
        for node in self._active():
            self._send(node, "stop")
        grace = self.stop_grace if grace is None else grace
        done = self._notifier.wait_for(
            lambda: not any(n.busy for n in self._active()),
            grace + 2.0 + rpc.HEARTBEAT_LIVENESS * self.heartbeat_interval)
        if not done:
            logger.warning("Slaves that did not confirm the stop: %s", ", ".join(
                n.id for n in self._active() if n.busy))
        if generation == self._generation:
            self.finish_stop()

    def quit(self):
        """Stop the test, tell every slave to quit, wait for them (a few s), close."""
        if self._closed:
            return
        self.stop()
        for node in self._active():
            self._send(node, "quit")
        self._notifier.wait_for(lambda: not self._active(),
                                self.stop_grace + rpc.HEARTBEAT_LIVENESS * self.heartbeat_interval)
        self.close()
        super().quit()

    def close(self):
        """Close the sockets (no message is sent)."""
        if self._closed:
            return
        self._closed = True
        current = getcurrent()
        for glet in self._greenlets:
            if glet is not current:
                glet.kill(block=False)
        self._router.close(linger=0)
        self._heartbeats.close(linger=0)
        self._context.term()

    # -- receiving ----------------------------------------------------------

    def _receive(self, sock):
        while True:
            try:
                frames = sock.recv_multipart()
            except zmq.ZMQError:
                return  # closed
            try:
                self._handle(frames)
            except Exception:
                logger.exception("Failed to handle a message from a slave")

    def _handle(self, frames):
        if len(frames) != 2:
            self._bad.warning("Dropped a message of %d frames (expected 2) from %s",
                              len(frames), _shown(frames[0]))
            return
        identity, payload = frames
        try:
            msg = rpc.decode(payload, rpc.SLAVE_TO_MASTER)
        except rpc.MessageError as exc:
            self._bad.warning("Dropped a malformed message from %s: %s", _shown(identity), exc)
            return
        if msg.node_id.encode("utf-8") != identity:
            self._bad.warning("Dropped a %s message: node id %r is not the sender's identity %s",
                              msg.type, msg.node_id[:60], _shown(identity))
            return
        node = self.clients.get(msg.node_id)
        if msg.type == "client_ready":
            self._on_ready(msg.node_id, node)
            return
        if node is None:
            if msg.type != "heartbeat":
                self._bad.warning("Ignored a %s message from unknown slave %s",
                                  msg.type, msg.node_id[:60])
            return
        self._seen(node, msg)
        getattr(self, "_on_" + msg.type)(node, msg.data or {})
        self._notifier.notify()

    def _seen(self, node, msg):
        node.last_seen = get_hub().clock()
        node.last_heartbeat = time.time()
        if node.state == STATE_MISSING and msg.type != "quit":
            data = msg.data or {}
            node.state = data.get("state") or STATE_INIT
            logger.info("Slave %s is back (%s)", node.id, node.state)
            if self.state in (STATE_HATCHING, STATE_RUNNING):
                self._rebalance()
            elif node.state in (STATE_HATCHING, STATE_RUNNING):
                node.busy = True
                self._send(node, "stop")

    def _on_ready(self, node_id, node):
        hub = get_hub()
        if node is None:
            node = self.clients[node_id] = SlaveNode(node_id, hub.clock())
            logger.info("Client %r reported as ready. Currently %d clients ready to swarm.",
                        node_id, self.slave_count)
        else:
            self._seen(node, rpc.Message("client_ready", None, node_id))
            if node.state == STATE_INIT and not node.busy:
                return  # announced itself again before it heard from us
            logger.info("Client %r announced itself again (was %s)", node_id, node.state)
            node.state = STATE_INIT
            node.user_count = 0
            node.busy = False
            self._pending.discard(node_id)
        if self.state in (STATE_HATCHING, STATE_RUNNING):
            self._rebalance()
        self._notifier.notify()

    def _on_hatching(self, node, _data):
        node.state = STATE_HATCHING

    def _on_hatch_complete(self, node, data):
        node.state = STATE_RUNNING
        node.user_count = data["count"]
        if data.get("generation") in (None, self._generation):
            self._pending.discard(node.id)
            self._check_hatch_done()

    def reset_statistics(self):
        """Zero the merged statistics and every slave's unsent measurements."""
        self._stats_epoch += 1
        super().reset_statistics()
        for node in self._active():
            self._send(node, "reset_stats", {"stats_epoch": self._stats_epoch})

    def _on_stats(self, node, data):
        if data.get("stats_epoch", 0) != self._stats_epoch:
            # Measured before the last reset: its user count is still news.
            node.user_count = data["user_count"]
            return
        try:
            self.stats.merge(data)
        except (KeyError, TypeError, ValueError) as exc:
            self._bad.warning("Dropped a stats report of %s: %s", node.id, exc)
            return
        node.user_count = data["user_count"]
        events.slave_report.fire(client_id=node.id, data=data)
        if self.stats.max_requests is not None and self.state in (STATE_HATCHING, STATE_RUNNING):
            self.check_request_cap()

    def _on_exception(self, node, data):
        self.log_exception(node.id, data["msg"], data["traceback"])

    def _on_client_stopped(self, node, _data):
        node.state = STATE_STOPPED
        node.user_count = 0
        node.busy = False
        self._pending.discard(node.id)
        self._check_hatch_done()

    def _on_quit(self, node, _data):
        self.clients.pop(node.id, None)
        self._pending.discard(node.id)
        logger.info("Client %r quit. Currently %d clients connected.", node.id, self.slave_count)
        self._check_hatch_done()

    def _on_heartbeat(self, node, data):
        if data.get("user_count") is not None and node.state != STATE_STOPPED:
            node.user_count = data["user_count"]
        node.cpu_percent = data.get("cpu")
        node.memory = data.get("memory")

    def _heartbeat_loop(self):
        hub = get_hub()
        while True:
            sleep(self.heartbeat_interval)
            now = hub.clock()
            limit = rpc.HEARTBEAT_LIVENESS * self.heartbeat_interval
            for node in list(self.clients.values()):
                if node.state != STATE_MISSING and now - node.last_seen > limit:
                    self._mark_missing(node, now - node.last_seen)
                self._send(node, "heartbeat", None, self._heartbeats)

    def _mark_missing(self, node, silent):
        logger.warning("Slave %s sent nothing for %.1f s: marked missing, its %d users "
                       "are no longer counted", node.id, silent, node.user_count)
        node.state = STATE_MISSING
        node.busy = False
        self._pending.discard(node.id)
        self._check_hatch_done()
        self._notifier.notify()
