"""The slave of a distributed run: runs the users its master assigns.

A slave is a :class:`locust.runners.LocustRunner` (the same machinery that
hatches, changes and stops users in one process) that takes its orders
from a master over ZeroMQ (wire and ports: :mod:`locust.rpc`; the master
and how it splits: :mod:`locust.master`). It runs exactly the
per-class counts of the last hatch message, reports the delta of its
statistics every ``--report-interval`` seconds (default
:data:`locust.rpc.REPORT_INTERVAL`) and a final report when it stops or
quits, and sends exceptions as they happen. What it measured is never
dropped on its side: a report that cannot be sent is kept for the next
one, a hatch that clears the statistics (after a stop) sends them first,
and a report bigger than the master accepts in one (request names,
buckets, errors: :data:`locust.rpc.MAX_ENTRIES_PER_REPORT`) goes as several.

If it hears nothing from its master for
:data:`locust.rpc.HEARTBEAT_LIVENESS` heartbeat intervals it stops its
users and announces itself again every few seconds, so a master that comes
back finds it; with ``slave_exit_timeout`` it exits (status 1) after that
many silent seconds instead.
"""

import logging
import math
import socket
import uuid

from . import events, rpc, saturation
from .endpoint import HEARTBEAT, MAIN, Endpoint
from .engine import Event, clock, killall, sleep, spawn
from .runners import STATE_STOPPED, LocustRunner
from .stats import StatsEntry

__all__ = ["SlaveLocustRunner"]

logger = logging.getLogger("locust.runners")


class SlaveLocustRunner(LocustRunner):
    """Runs the users the master assigns; reports to it.

    Connects to ``options.master_host`` (default 127.0.0.1) ports
    ``options.master_port`` (default 5557) and the next one. The master
    owns the test's limits: ``-t``, ``-n`` and ``--reset-stats`` given to a
    slave are ignored. ``options.report_interval`` is the seconds between
    two reports (default :data:`locust.rpc.REPORT_INTERVAL`, at least
    :data:`locust.rpc.MIN_REPORT_INTERVAL`). :attr:`quitted` is set when the
    slave is done (the master said quit, or ``slave_exit_timeout`` passed
    without a master); :attr:`exit_code` is then 0, or 1 for a lost master.
    """

    #: Seconds between two statistics reports.
    report_interval = rpc.REPORT_INTERVAL
    #: The master keeps the history of the merged statistics.
    record_history = False

    def __init__(self, locust_classes, options=None, stats=None):
        super().__init__(locust_classes, options, stats)
        self.node_id = "%s_%s" % (socket.gethostname()[:200], uuid.uuid4().hex)
        self.master_host = getattr(options, "master_host", None) or "127.0.0.1"
        port = getattr(options, "master_port", None)
        self.master_port = 5557 if port is None else port
        self.heartbeat_interval = rpc.heartbeat_interval(options)
        if getattr(options, "report_interval", None):
            self.report_interval = rpc.report_interval(options)
        self.slave_exit_timeout = getattr(options, "slave_exit_timeout", None)
        self.run_time = self.num_requests = None
        self.reset_stats = False
        self.exit_code = 0
        self.quitted = Event()
        #: True while the master is heard from.
        self.master_alive = False
        self._assigned = None       # {class: users} of the last hatch message
        self._generation = None
        self._stats_epoch = 0       # the master's count of tests and statistics resets
        self._closed = False
        self._last_master = clock()
        self._last_announce = None
        self._endpoint = Endpoint.connect(self.master_host, self.master_port, self.node_id,
                                          rpc.MASTER_TO_SLAVE, self._handle)
        self._bad = self._endpoint.bad
        self._endpoint.start()
        self._loops = [spawn(self._heartbeat_loop), spawn(self._report_loop)]

    # -- sending ----------------------------------------------------------

    def _send(self, message_type, data=None, channel=MAIN, timeout=None, frame=None):
        """Send now, or within ``timeout`` s; False if it was dropped."""
        if self._closed:
            return False
        if frame is None:
            frame = rpc.encode(message_type, data, self.node_id)
        if self._endpoint.send(frame, channel, timeout=timeout):
            return True
        logger.debug("The master is not reachable: dropped a %s message", message_type)
        return False

    def _send_report(self, timeout=None):
        """Send what was measured since the last report; False if some of it
        could not be sent (it is then kept for the next report)."""
        data = self.stats.serialize_and_reset()
        data["user_count"] = self.user_count
        data["stats_epoch"] = epoch = self._stats_epoch
        own = set(data)
        try:
            events.report_to_master.fire(client_id=self.node_id, data=data)
        except Exception:
            logger.exception("A report_to_master listener failed")
        sent = True
        for part in _split_report(data):
            problem = rpc.check_stats(part)
            if problem:
                # E.g. a custom client that reported a negative or infinite
                # response time: the master would drop it, so say it here.
                self._bad.warning("Dropped a report the master would refuse: %s", problem)
                continue
            try:
                frame = rpc.encode("stats", part, self.node_id)
            except (TypeError, ValueError, OverflowError) as exc:
                self._bad.warning("Data added by report_to_master cannot be sent (%s): "
                                  "sending the statistics without it", exc)
                part = {key: value for key, value in part.items() if key in own}
                frame = rpc.encode("stats", part, self.node_id)
            if not self._send("stats", timeout=timeout, frame=frame):
                sent = False
                if epoch == self._stats_epoch:
                    # Not sent: counted again in the next report, not lost.
                    self.stats.merge(part)
        return sent

    def _final_timeout(self):
        # The last messages of a test may wait a little for room in the
        # queue; without a master there is nobody to wait for.
        return 1.0 if self.master_alive else None

    def _announce(self):
        self._last_announce = clock()
        # May wait (at most an interval each) for the connections to complete;
        # the master counts us once our heartbeat arrives.
        self._send("client_ready", timeout=self.heartbeat_interval)
        self._send("heartbeat", {"state": self.state, "user_count": self.user_count},
                   channel=HEARTBEAT, timeout=self.heartbeat_interval)

    # -- the runner's hooks -------------------------------------------------

    def split_users(self, count):
        """The per-class counts the master sent, else the base class's split."""
        assigned = self._assigned
        if assigned is not None and sum(assigned.values()) == count:
            return dict(assigned)
        return super().split_users(count)

    def begin_test(self):
        """A hatch after a stop: what was measured and not sent yet is sent
        first, then the statistics are cleared (as the base class).

        A slave frozen for a while (SIGSTOP, a paused VM) starts stopping its
        users when it wakes, and the master's rebalance may arrive before
        their last requests were reported: clearing them would lose them.
        """
        total = self.stats.total
        if total.num_requests or total.num_failures or self.stats.errors:
            self._send_report(timeout=self._final_timeout())
        super().begin_test()

    def hatching_complete(self, user_count):
        """Running: report the statistics so far, then hatch_complete."""
        super().hatching_complete(user_count)
        self._send_report()
        self._send("hatch_complete", {"count": user_count, "generation": self._generation})

    def finish_stop(self):
        """Stopped: send the final report, then client_stopped."""
        super().finish_stop()
        self._send_report(timeout=self._final_timeout())
        self._send("client_stopped", timeout=self._final_timeout())

    def log_exception(self, node_id, msg, formatted_tb):
        """Count it (as the base class) and send it to the master."""
        super().log_exception(node_id, msg, formatted_tb)
        self._send("exception", {"msg": msg[:rpc.MAX_TEXT], "traceback": formatted_tb[:rpc.MAX_TEXT]})

    def quit(self):
        """Stop the users, send the last report and ``quit``, close (idempotent)."""
        if self._closed:
            return
        super().quit()
        self._send_report(timeout=self._final_timeout())
        self._send("quit", timeout=self._final_timeout())
        self._closed = True
        # Spawned: quit() may run in one of the loops it kills.
        spawn(killall, self._loops, block=False)
        self._endpoint.close()  # waits (at most LINGER, 1 s) for the last frames to leave
        self.quitted.set()

    # -- receiving ------------------------------------------------------------

    def _handle(self, msg, _channel):
        """A checked message from the master (the endpoint's receive loops)."""
        self._last_master = clock()
        if not self.master_alive:
            self.master_alive = True
            logger.info("Connected to the master at %s:%d", self.master_host, self.master_port)
        if msg.type == "hatch":
            self._on_hatch(msg.data)
        elif msg.type == "reset_stats":
            # What was measured so far belongs to before the reset.
            self._stats_epoch = msg.data["stats_epoch"]
            self.stats.reset_all()
        elif msg.type == "stop":
            spawn(self._on_stop)
        elif msg.type == "quit":
            logger.info("The master asked us to quit")
            spawn(self.quit)

    def _on_hatch(self, data):
        by_name = {cls.__name__: cls for cls in self.locust_classes}
        unknown = [name for name in data["class_counts"] if name not in by_name]
        if unknown:
            logger.error("The master asked for unknown Locust classes %s: is the locustfile "
                         "the same on every machine?", ", ".join(name[:80] for name in unknown[:10]))
        counts = {cls: data["class_counts"].get(name, 0) for name, cls in by_name.items()}
        if data.get("host"):
            self.host = data["host"]
            for cls in self.locust_classes:
                cls.host = data["host"]
        self._assigned = counts
        self._generation = data["generation"]
        if data.get("stats_epoch") is not None and data["stats_epoch"] != self._stats_epoch:
            # A new test, or a reset we missed: start from zero with it.
            self._stats_epoch = data["stats_epoch"]
            self.stats.reset_all()
        self._send("hatching")
        self.start_hatching(sum(counts.values()), data["hatch_rate"])

    def _on_stop(self):
        if self.state == STATE_STOPPED and not self._users and self._stopped.is_set():
            # Nothing to stop: confirm anyway, the master waits for it.
            self._send_report(timeout=self._final_timeout())
            self._send("client_stopped", timeout=self._final_timeout())
        else:
            self.stop()

    # -- periodic ---------------------------------------------------------------

    def _heartbeat_loop(self):
        self._announce()
        while True:
            self._send("heartbeat", {"state": self.state, "user_count": self.user_count,
                                     "cpu": getattr(self, "cpu_percent", None),
                                     "memory": saturation.rss_bytes()},
                       channel=HEARTBEAT)
            now = clock()
            silent = now - self._last_master
            limit = rpc.HEARTBEAT_LIVENESS * self.heartbeat_interval
            if self.master_alive and silent > limit:
                self.master_alive = False
                logger.warning("No message from the master for %.1f s: stopping the users "
                               "and waiting for it", silent)
                if self.state != STATE_STOPPED or self._users:
                    spawn(self.stop)
            if not self.master_alive:
                if self.slave_exit_timeout is not None and silent > self.slave_exit_timeout:
                    logger.error("No master for %.1f s: exiting", silent)
                    self.exit_code = 1
                    spawn(self.quit)
                    return
                if now - self._last_announce >= limit:
                    self._announce()
            sleep(self.heartbeat_interval)

    def _report_loop(self):
        while True:
            sleep(self.report_interval)
            if self.master_alive:
                self._send_report()


def _split_report(data):
    """``data`` as reports the master accepts (it drops bigger ones): each of
    at most MAX_ENTRIES_PER_REPORT entries, MAX_BUCKETS_PER_REPORT histogram
    buckets and MAX_ERRORS_PER_REPORT errors.

    The first part is ``data`` itself (with whatever report_to_master
    listeners added); the others carry an empty Total, so that the master
    adds the Total once.
    """
    entries, errors = data["stats"], data.get("errors") or {}
    groups, group, buckets = [], [], 0
    for entry in entries:
        size = rpc.entry_buckets(entry)
        if group and (len(group) == rpc.MAX_ENTRIES_PER_REPORT
                      or buckets + size > rpc.MAX_BUCKETS_PER_REPORT):
            groups.append(group)
            group, buckets = [], 0
        group.append(entry)
        buckets += size
    groups.append(group)
    per_errors = rpc.MAX_ERRORS_PER_REPORT
    if len(groups) == 1 and len(errors) <= per_errors:
        return [data]
    error_items = list(errors.items())
    count = max(len(groups), math.ceil(len(error_items) / per_errors))
    parts = []
    for i in range(count):
        if i == 0:
            part = dict(data)
        else:
            part = {"user_count": data["user_count"], "stats_epoch": data["stats_epoch"],
                    "stats_total": StatsEntry(None, "Total", None).serialize()}
        part["stats"] = groups[i] if i < len(groups) else []
        part["errors"] = dict(error_items[i * per_errors:(i + 1) * per_errors])
        parts.append(part)
    return parts
