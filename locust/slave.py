"""The slave of a distributed run: runs the users its master assigns.

A slave is a :class:`locust.runners.LocustRunner` (the same machinery that
hatches, changes and stops users in one process) that takes its orders
from a master over ZeroMQ (wire and ports: :mod:`locust.rpc`; the master
and how it splits: :mod:`locust.master`). It runs exactly the
per-class counts of the last hatch message, reports the delta of its
statistics every :data:`locust.rpc.REPORT_INTERVAL` seconds and a final
report when it stops or quits, and sends exceptions as they happen.

If it hears nothing from its master for
:data:`locust.rpc.HEARTBEAT_LIVENESS` heartbeat intervals it stops its
users and announces itself again every few seconds, so a master that comes
back finds it; with ``slave_exit_timeout`` it exits (status 1) after that
many silent seconds instead.
"""

import logging
import socket
import uuid

from greenlet import getcurrent

from . import events, rpc, saturation
from .engine import Event, get_hub, sleep, spawn, zmq
from .runners import STATE_STOPPED, LocustRunner

__all__ = ["SlaveLocustRunner"]

logger = logging.getLogger("locust.runners")


class SlaveLocustRunner(LocustRunner):
    """Runs the users the master assigns; reports to it.

    Connects to ``options.master_host`` (default 127.0.0.1) ports
    ``options.master_port`` (default 5557) and the next one. The master
    owns the test's limits: ``-t``, ``-n`` and ``--reset-stats`` given to a
    slave are ignored. :attr:`quitted` is set when the slave is done (the
    master said quit, or ``slave_exit_timeout`` passed without a master);
    :attr:`exit_code` is then 0, or 1 for a lost master.
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
        self.slave_exit_timeout = getattr(options, "slave_exit_timeout", None)
        self.run_time = self.num_requests = None
        self.reset_stats = False
        self.exit_code = 0
        self.quitted = Event()
        #: True while the master is heard from.
        self.master_alive = False
        self._assigned = None       # {class: users} of the last hatch message
        self._generation = None
        self._stats_epoch = 0       # the master's count of statistics resets
        self._closed = False
        self._bad = rpc.RateLimitedLog(logger)
        hub = get_hub()
        self._last_master = hub.clock()
        self._last_announce = None
        self._context = zmq.Context()
        self._main = self._connect(self.master_port)
        self._heartbeats = self._connect(self.master_port + 1)
        self._greenlets = [spawn(self._receive, self._main), spawn(self._receive, self._heartbeats),
                           spawn(self._heartbeat_loop), spawn(self._report_loop)]

    def _connect(self, port):
        sock = self._context.socket(zmq.DEALER)
        sock.setsockopt(zmq.IDENTITY, self.node_id.encode("utf-8"))
        # Queue nothing for a master that is not connected: a report or an
        # announcement from before it (re)started would only confuse it.
        sock.setsockopt(zmq.IMMEDIATE, 1)
        sock.setsockopt(zmq.LINGER, 1000)
        sock.setsockopt(zmq.MAXMSGSIZE, rpc.MAX_MESSAGE_SIZE)
        try:
            sock.connect("tcp://%s:%d" % (self.master_host, port))
        except zmq.ZMQError as exc:
            self._context.destroy(linger=0)
            raise OSError("could not connect to the master at %s:%d: %s" % (
                self.master_host, port, exc)) from None
        return sock

    # -- sending ----------------------------------------------------------

    def _send(self, message_type, data=None, sock=None, timeout=None, frame=None):
        """Send now, or within ``timeout`` s; False if it was dropped."""
        if self._closed:
            return False
        if frame is None:
            frame = rpc.encode(message_type, data, self.node_id)
        sock = sock or self._main
        try:
            if timeout is None:
                sock.send(frame, flags=zmq.NOBLOCK)
            else:
                sock.send(frame, timeout=timeout)
            return True
        except zmq.ZMQError:  # Again: not connected (IMMEDIATE) or queue full
            logger.debug("The master is not reachable: dropped a %s message", message_type)
            return False

    def _send_report(self, timeout=None):
        data = self.stats.serialize_and_reset()
        data["user_count"] = self.user_count
        data["stats_epoch"] = self._stats_epoch
        own = dict(data)
        try:
            events.report_to_master.fire(client_id=self.node_id, data=data)
        except Exception:
            logger.exception("A report_to_master listener failed")
        try:
            frame = rpc.encode("stats", data, self.node_id)
        except (TypeError, ValueError, OverflowError) as exc:
            self._bad.warning("Data added by report_to_master cannot be sent (%s): "
                              "sending the statistics without it", exc)
            frame = rpc.encode("stats", own, self.node_id)
        return self._send("stats", sock=self._main, timeout=timeout, frame=frame)

    def _final_timeout(self):
        # The last messages of a test may wait a little for room in the
        # queue; without a master there is nobody to wait for.
        return 1.0 if self.master_alive else None

    def _announce(self):
        self._last_announce = get_hub().clock()
        # May wait (at most an interval) for the connection to complete.
        self._send("client_ready", timeout=self.heartbeat_interval)

    # -- the runner's hooks -------------------------------------------------

    def split_users(self, count):
        """The per-class counts the master sent, else the base class's split."""
        assigned = self._assigned
        if assigned is not None and sum(assigned.values()) == count:
            return dict(assigned)
        return super().split_users(count)

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
        self._send("exception", {"msg": msg, "traceback": formatted_tb})

    def quit(self):
        """Stop the users, send the last report and ``quit``, close (idempotent)."""
        if self._closed:
            return
        super().quit()
        self._send_report(timeout=self._final_timeout())
        self._send("quit", timeout=self._final_timeout())
        self._closed = True
        current = getcurrent()
        for glet in self._greenlets:
            if glet is not current:
                glet.kill(block=False)
        self._main.close()
        self._heartbeats.close()
        self._context.term()  # waits (at most LINGER) for the last frames to leave
        self.quitted.set()

    # -- receiving ------------------------------------------------------------

    def _receive(self, sock):
        while True:
            try:
                frames = sock.recv_multipart()
            except zmq.ZMQError:
                return
            try:
                self._handle(frames)
            except Exception:
                logger.exception("Failed to handle a message from the master")

    def _handle(self, frames):
        if len(frames) != 1:
            self._bad.warning("Dropped a message of %d frames from the master", len(frames))
            return
        try:
            msg = rpc.decode(frames[0], rpc.MASTER_TO_SLAVE)
        except rpc.MessageError as exc:
            self._bad.warning("Dropped a malformed message from the master: %s", exc)
            return
        self._last_master = get_hub().clock()
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
                         "the same on every machine?", ", ".join(unknown))
        counts = {cls: data["class_counts"].get(name, 0) for name, cls in by_name.items()}
        if data.get("host"):
            self.host = data["host"]
            for cls in self.locust_classes:
                cls.host = data["host"]
        self._assigned = counts
        self._generation = data["generation"]
        if data.get("stats_epoch") is not None and data["stats_epoch"] != self._stats_epoch:
            # A reset we missed (we joined after it): start from zero with it.
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
        hub = get_hub()
        self._announce()
        while True:
            self._send("heartbeat", {"state": self.state, "user_count": self.user_count,
                                     "cpu": getattr(self, "cpu_percent", None),
                                     "memory": saturation.rss_bytes()},
                       sock=self._heartbeats)
            now = hub.clock()
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
