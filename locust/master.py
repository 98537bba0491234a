"""The master of a distributed run: drives slaves (the slave is in locust.slave).

The master (:class:`MasterLocustRunner`) runs no users. It binds two ZeroMQ
ROUTER sockets (:class:`locust.endpoint.Endpoint`; the wire:
:mod:`locust.rpc`), splits every hatch exactly over the slaves that are not
missing, merges their statistics and exceptions, and keeps its own state
(ready, hatching, running, stopped) from theirs. A slave
(:class:`locust.slave.SlaveLocustRunner`) runs users with the machinery of
:class:`locust.runners.LocustRunner`, with the per-class counts the master
chose for it.

**Joining.** A node that announces itself (``client_ready``) is only a
*candidate*: it counts for nothing until a heartbeat from it arrives on the
heartbeat port (P+1), which a real slave sends at once and every interval
after. So nodes that send nothing but ``client_ready`` (a flood of them, or
a stray tool) never take a share of the users from the real slaves; a
candidate silent for :data:`locust.rpc.HEARTBEAT_LIVENESS` intervals is
forgotten. At most ``--max-slaves`` nodes (default :data:`MAX_SLAVES`,
candidates included) are known at once; more are refused, with a
rate-limited line.

**Splitting.** ``N`` users are split over the Locust classes by weight
(:func:`locust.runners.weight_split`), then over the ``k`` slaves, sorted by
node id: each slave gets ``N // k`` users and the first ``N % k`` one more
(10 over 3 is 4/3/3), and its per-class counts are chosen so that each
class's total over all slaves is exact too (:func:`split_over_slaves`).
Each slave's hatch rate is its share of the total rate, so all finish
hatching together. A slave that joins (or comes back) while a test runs
triggers a *rebalance*: every slave gets its new share, the surplus users
of the others are removed; ``hatch_complete`` is not fired again for it.
Rebalances are coalesced: at most one per :data:`REBALANCE_INTERVAL`
seconds, whatever the number of slaves that joined meanwhile. A hatch never
completes while no slave is active (they all went missing): it completes
once they are back and have their shares.

**Statistics.** A slave sends the delta of its statistics every
``--report-interval`` seconds (default :data:`locust.rpc.REPORT_INTERVAL`,
with ``user_count`` and whatever the ``report_to_master`` listeners add),
and a final one when it stops and when it quits, before ``client_stopped`` /
``quit``. The master merges each report exactly and fires ``slave_report``;
a report is checked field by field when it is decoded (:mod:`locust.rpc`)
and merged into a scratch copy first, so one bad report is dropped whole and
never breaks the merged statistics. When the master stops it waits (a
bounded time) for every busy slave's ``client_stopped``, so its totals are
the sum of what the slaves measured. Reports from unknown slaves, and
reports measured before the current test or the last reset of the
statistics, are ignored. The request cap (``-n``) is checked by the master
on the merged count: the slaves may overshoot it by the requests in flight
and those made during one report interval.

**Liveness.** Both sides send heartbeats every ``heartbeat_interval``
seconds (default 1). A slave the master has not heard from for
:data:`locust.rpc.HEARTBEAT_LIVENESS` intervals is marked *missing* (logged; its users
no longer count; the test goes on with the others; it is not replaced by
a rebalance). :meth:`MasterLocustRunner.run_notes` lists, for the final
summary, each slave that went missing and when: one that never came back
took the requests of its last report interval with it, and the run exits 1.
A slave that does not hear from its master for as long stops its users and
announces itself (``client_ready``) every few seconds, so it rejoins a
master that comes back; with ``slave_exit_timeout`` it exits (status 1)
after that many silent seconds instead of waiting forever.
"""

import logging
import time

from . import events, rpc
from .endpoint import HEARTBEAT, MAIN, Endpoint
from .engine import Condition, clock, killall, sleep, spawn, spawn_later
from .rpc import MAX_SLAVES
from .runners import (
    MAX_USERS_PER_PROCESS,
    STATE_HATCHING,
    STATE_INIT,
    STATE_MISSING,
    STATE_RUNNING,
    STATE_STOPPED,
    LocustRunner,
    weight_split,
)
from .stats import RequestStats

__all__ = ["MasterLocustRunner", "SlaveNode", "split_over_slaves", "MAX_SLAVES",
           "REBALANCE_INTERVAL"]

logger = logging.getLogger("locust.runners")

#: Shortest time (s) between two rebalances: the joins within it share one.
REBALANCE_INTERVAL = 0.5
#: Nodes looked at (heartbeats sent, liveness checked) before the master's
#: heartbeat loop lets the hub run the rest.
_LOOP_BATCH = 500
#: The most notes about missing slaves in the final summary.
_NOTES = 20


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
    :class:`SlaveNode`, missing ones included (candidates, which have sent
    no heartbeat yet, are not in it); ``slave_count`` counts the others.
    ``options.max_slaves`` bounds the nodes known (default
    :data:`MAX_SLAVES`).
    """

    #: A slave's second is complete once its next report has arrived.
    history_delay = rpc.REPORT_INTERVAL + 1.0

    def __init__(self, locust_classes, options=None, stats=None):
        super().__init__(locust_classes, options, stats)
        self.master_bind_host = getattr(options, "master_bind_host", None) or "*"
        port = getattr(options, "master_bind_port", None)
        self.master_bind_port = 5557 if port is None else port
        self.heartbeat_interval = rpc.heartbeat_interval(options)
        self.max_slaves = int(getattr(options, "max_slaves", None) or MAX_SLAVES)
        self.clients = {}
        #: Each time a slave went missing: {"id", "at" (time.time), "users",
        #: "back" (time.time, or None while it is still missing)}.
        self.missing = []
        self._candidates = {}       # node id -> SlaveNode: announced, no heartbeat yet
        self._generation = 0
        # Bumped by every new test and every reset of the statistics: a
        # report measured before (sent, or queued, before the slave heard of
        # it) carries an older epoch and is dropped, so nothing from before
        # a reset or from an earlier test enters the statistics.
        self._stats_epoch = 0
        self._pending = set()       # node ids whose hatch_complete is awaited
        self._rebalancing = False   # the current hatch is a rebalance: no event
        self._rebalancer = None     # the coalesced rebalance to come (spawned)
        self._last_hatch = None     # hub-clock time of the last hatch sent
        #: Notified whenever a slave's state changes (who waits: hatch, stop).
        self._notifier = Condition()
        self._closed = False
        self._endpoint = Endpoint.bind(self.master_bind_host, self.master_bind_port,
                                       rpc.SLAVE_TO_MASTER, self._handle)
        self.master_bind_port = self._endpoint.port
        self._bad = self._endpoint.bad
        logger.info("Master listening for slaves on %s:%d and %d", self.master_bind_host,
                    self.master_bind_port, self.master_bind_port + 1)
        self._endpoint.start()
        self._loops = [spawn(self._heartbeat_loop)]

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

    @property
    def max_users(self):
        """:data:`locust.runners.MAX_USERS_PER_PROCESS` per active slave."""
        return MAX_USERS_PER_PROCESS * max(1, self.slave_count)

    def run_notes(self):
        """One note per time a slave went missing during a test: ``[(text,
        lost)]``; ``lost`` when it never came back (its last report interval
        is not counted). At most :data:`_NOTES` of them, then a count."""
        notes = []
        for episode in self.missing[:_NOTES]:
            at = time.strftime("%H:%M:%S", time.localtime(episode["at"]))
            if episode["back"] is None:
                notes.append((
                    "Slave %s went missing at %s with %d users and never came back: the "
                    "requests it made in its last report interval are not counted" % (
                        episode["id"], at, episode["users"]), True))
            else:
                notes.append(("Slave %s was missing from %s to %s (it came back; its "
                              "measurements were reported then)" % (
                                  episode["id"], at,
                                  time.strftime("%H:%M:%S", time.localtime(episode["back"]))),
                              False))
        if len(self.missing) > _NOTES:
            rest = self.missing[_NOTES:]
            notes.append(("... and %d more times a slave went missing (see the log)" % len(rest),
                          any(episode["back"] is None for episode in rest)))
        return notes

    # -- sending ----------------------------------------------------------

    def _send(self, node, message_type, data=None, channel=MAIN):
        frame = rpc.encode(message_type, data, "master")
        if not self._endpoint.send(frame, channel, node.identity):
            logger.debug("Could not send %s to %s", message_type, node.id)

    # -- hatching ---------------------------------------------------------

    def begin_test(self):
        """A new test: as the base class (reports of earlier tests are ignored
        from now on), and ``master_start_hatching`` fires."""
        self._stats_epoch += 1
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
        for a bad count or rate, or when no slave is connected, and
        UserCountError (a ValueError) for more than :attr:`max_users`.
        """
        locust_count = self.num_clients if locust_count is None else locust_count
        hatch_rate = self.hatch_rate if hatch_rate is None else hatch_rate
        if locust_count < 0:
            raise ValueError("the number of users must not be negative (got %r)" % locust_count)
        if not hatch_rate or hatch_rate <= 0:
            raise ValueError("the hatch rate must be more than 0 (got %r)" % hatch_rate)
        if not self._active():
            raise ValueError("no slaves are connected: start some with --slave")
        self.check_user_count(locust_count)
        target = self.split_users(locust_count)
        self.num_clients = locust_count
        self.hatch_rate = hatch_rate
        if self.state in (STATE_INIT, STATE_STOPPED):
            self.begin_test()
        self._rebalancing = False
        self._cancel_rebalance()
        self._send_hatch(target)
        if wait:
            self._notifier.wait_for(lambda: self.state != STATE_HATCHING, 3600)

    def _send_hatch(self, target):
        slaves = self._active()
        self.state = STATE_HATCHING
        self._generation += 1
        self._last_hatch = clock()
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
        self._notifier.notify_all()

    def _rebalance_soon(self):
        """Rebalance (a slave joined or came back), at most once per
        REBALANCE_INTERVAL: joins meanwhile share the one to come."""
        if self._rebalancer is not None or self._closed:
            return
        delay = 0.0
        if self._last_hatch is not None:
            delay = max(0.0, self._last_hatch + REBALANCE_INTERVAL - clock())
        self._rebalancer = spawn_later(delay, self._rebalance)

    def _cancel_rebalance(self):
        glet, self._rebalancer = self._rebalancer, None
        if glet is not None and not glet.dead:
            glet.kill(block=False)

    def _rebalance(self):
        """Send new shares to every slave (one joined or came back mid-test)."""
        self._rebalancer = None
        if self.state not in (STATE_HATCHING, STATE_RUNNING) or not self._active():
            return
        if self.state == STATE_RUNNING:
            self._rebalancing = True
        logger.info("Rebalancing %d users over %d slaves", self.num_clients, self.slave_count)
        self._send_hatch(self.split_users(self.num_clients))

    def _check_hatch_done(self):
        if self.state != STATE_HATCHING or self._pending or not self._active():
            # Not done while a slave owes its hatch_complete, nor while every
            # slave is missing: nobody runs the users (their return rebalances).
            return
        if self._rebalancing:
            self.state = STATE_RUNNING
        else:
            logger.info("All slaves finished hatching: %d users", self.user_count)
            self.hatching_complete(self.user_count)
        self._notifier.notify_all()

    # -- stopping -----------------------------------------------------------

    def stop(self, grace=None):
        """Stop every slave's users; returns when each busy slave has sent its
        final report (or went missing), at most about ``grace`` + 5 s."""
        if self.state == STATE_STOPPED and self._stopped.is_set():
            return
        self._cancel_run_timer()
        self._cancel_rebalance()
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
        if self.state != STATE_INIT:
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
        self._cancel_rebalance()
        # Spawned: close() may run in one of the loops it kills.
        spawn(killall, self._loops, block=False)
        self._endpoint.close(linger=0)

    # -- receiving ----------------------------------------------------------

    def _handle(self, msg, channel):
        """A checked message from the endpoint's receive loops."""
        node = self.clients.get(msg.node_id)
        if node is None:
            self._from_candidate(msg, channel)
            return
        self._seen(node, msg)
        if msg.type == "client_ready":
            self._on_ready_again(node)
        else:
            getattr(self, "_on_" + msg.type)(node, msg.data or {})
        self._notifier.notify_all()

    def _from_candidate(self, msg, channel):
        """A message from a node that is not (yet) a slave."""
        node = self._candidates.get(msg.node_id)
        if msg.type == "client_ready":
            if node is not None:
                node.last_seen = clock()
            elif len(self.clients) + len(self._candidates) >= self.max_slaves:
                self._bad.warning("Refused slave %s: %d nodes are known already (--max-slaves)",
                                  msg.node_id[:60], self.max_slaves)
            else:
                self._candidates[msg.node_id] = SlaveNode(msg.node_id, clock())
                logger.debug("Node %r announced itself; waiting for its heartbeat", msg.node_id)
        elif node is None:
            if msg.type != "heartbeat":
                self._bad.warning("Ignored a %s message from unknown slave %s",
                                  msg.type, msg.node_id[:60])
        elif msg.type == "heartbeat" and channel == HEARTBEAT:
            self._admit(node, msg.data or {})
        elif msg.type == "quit":
            self._candidates.pop(node.id, None)
        else:
            self._bad.warning("Ignored a %s message from slave %s, which has sent no "
                              "heartbeat yet", msg.type, msg.node_id[:60])

    def _admit(self, node, data):
        """A candidate's first heartbeat: it is a slave now."""
        self._candidates.pop(node.id, None)
        self.clients[node.id] = node
        node.last_seen = clock()
        node.last_heartbeat = time.time()
        node.state = data.get("state") or STATE_INIT
        logger.info("Client %r reported as ready. Currently %d clients ready to swarm.",
                    node.id, self.slave_count)
        if self.state in (STATE_HATCHING, STATE_RUNNING):
            self._rebalance_soon()
        elif node.state in (STATE_HATCHING, STATE_RUNNING):
            node.busy = True  # users of a test that is over: stop them
            self._send(node, "stop")
        self._notifier.notify_all()

    def _seen(self, node, msg):
        node.last_seen = clock()
        node.last_heartbeat = time.time()
        if node.state == STATE_MISSING and msg.type != "quit":
            data = msg.data or {}
            node.state = data.get("state") or STATE_INIT
            logger.info("Slave %s is back (%s)", node.id, node.state)
            for episode in reversed(self.missing):
                if episode["id"] == node.id and episode["back"] is None:
                    episode["back"] = time.time()
                    break
            if self.state in (STATE_HATCHING, STATE_RUNNING):
                self._rebalance_soon()
            elif node.state in (STATE_HATCHING, STATE_RUNNING):
                node.busy = True
                self._send(node, "stop")

    def _on_ready_again(self, node):
        if node.state == STATE_INIT and not node.busy:
            return  # announced itself again before it heard from us
        logger.info("Client %r announced itself again (was %s)", node.id, node.state)
        node.state = STATE_INIT
        node.user_count = 0
        node.busy = False
        self._pending.discard(node.id)
        if self.state in (STATE_HATCHING, STATE_RUNNING):
            self._rebalance_soon()

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
        node.user_count = data["user_count"]
        epoch = data.get("stats_epoch")
        if epoch is not None and epoch != self._stats_epoch:
            return  # measured before this test or the last reset: only its user count is news
        try:
            # A scratch copy first: a report that cannot be merged is dropped
            # whole and leaves the merged statistics as they were.
            RequestStats().merge(data)
        except Exception as exc:
            self._bad.warning("Dropped a stats report of %s: %s: %s", node.id,
                              type(exc).__name__, exc)
            return
        self.stats.merge(data)
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
        frame = rpc.encode("heartbeat", None, "master")
        while not self._closed:
            sleep(self.heartbeat_interval)
            now = clock()
            limit = rpc.HEARTBEAT_LIVENESS * self.heartbeat_interval
            for i, node in enumerate(list(self.clients.values())):
                if node.state != STATE_MISSING and now - node.last_seen > limit:
                    self._mark_missing(node, now - node.last_seen)
                self._endpoint.send(frame, HEARTBEAT, node.identity)
                if i % _LOOP_BATCH == _LOOP_BATCH - 1:
                    sleep(0)
            silent = [n for n in self._candidates.values() if now - n.last_seen > limit]
            for node in silent:
                self._candidates.pop(node.id, None)
            if silent:
                self._bad.warning("Forgot %d nodes that announced themselves but sent no "
                                  "heartbeat for %.1f s (e.g. %s)", len(silent), limit,
                                  silent[0].id[:60])

    def _mark_missing(self, node, silent):
        logger.warning("Slave %s sent nothing for %.1f s: marked missing, its %d users "
                       "are no longer counted", node.id, silent, node.user_count)
        if self.state in (STATE_HATCHING, STATE_RUNNING) or node.busy:
            # It may have measured requests it never reported (an idle one did not).
            self.missing.append({"id": node.id, "at": node.last_heartbeat,
                                 "users": node.user_count, "back": None})
        node.state = STATE_MISSING
        node.busy = False
        self._pending.discard(node.id)
        self._check_hatch_done()
        self._notifier.notify_all()
