"""Runners: hatch simulated users, change their number, stop them.

A runner owns the users of one test. :class:`LocustRunner` holds what
every kind of runner shares (state, statistics, the exceptions report, the
request cap, the run-time limit) and the machinery that runs users in this
process; :class:`LocalLocustRunner` is the single-process runner the command
line uses. The distributed runners subclass :class:`LocustRunner` too: a
slave runs users with the same machinery, a master overrides
:meth:`LocustRunner.start_hatching`, :meth:`LocustRunner.stop` and
:attr:`LocustRunner.user_count` and reuses the rest (see "Hooks" below).

Users are split across Locust classes by weight with the largest remainder
method (:func:`weight_split`), so the total is always exact and the split is
deterministic: 10 users over weights 1/1/1 are 4/3/3, never 3/3/3 or 4/4/3.

**Stopping without losing a request.** A user is never killed while one of
its requests is on the wire: the target would have served a request the
statistics never see. A user to be removed is *retired*: it is killed at
once if it is not waiting on a socket (it is between requests, e.g. in its
wait time), otherwise it is ended by the runner's request listener right
after its current request has been logged, and at the latest after
:attr:`LocustRunner.stop_grace` seconds. The kills are done by the hub
callback that finds the user idle, synchronously (``greenlet.throw``), so
a user judged idle cannot wake up and start a request before it dies; a
user that woke before that callback ran is on the wire and ends after that
one request. So a removed user makes at most one more request, and every
request the target received is in the statistics (unless a
``catch_response`` block waits on something else before it decides). The
request listener has to run after the statistics' listener and after the
locustfile's listeners; it does, because it is added when the runner is
created, after both were imported.

Hooks for subclasses: :func:`weight_split` / :meth:`LocustRunner.split_users`
(a master splits a count over slaves with ``weight_split(n, [1] * slaves)``),
:meth:`LocustRunner.begin_test` (a new test starts: clear stats, start the
run-time timer), :meth:`LocustRunner.hatching_complete` (state running, fire
hatch_complete, --reset-stats), :meth:`LocustRunner.finish_stop` (state
stopped, wake :meth:`LocustRunner.wait`), :meth:`LocustRunner.check_request_cap`
and :meth:`LocustRunner.on_request_cap`, :meth:`LocustRunner.log_exception`.
"""

import hashlib
import logging
import re
import traceback
from fractions import Fraction

from greenlet import getcurrent

from . import events
from .engine import Event, GreenletExit, get_hub, joinall, sleep, spawn, spawn_later
from .exception import StopLocust
from .history import StatsHistory
from .stats import global_stats

__all__ = [
    "STATE_INIT", "STATE_HATCHING", "STATE_RUNNING", "STATE_STOPPED", "STATE_MISSING",
    "locust_runner", "weight_split", "hatch_order", "parse_timespan",
    "LocustRunner", "LocalLocustRunner",
]

logger = logging.getLogger(__name__)

STATE_INIT = "ready"
STATE_HATCHING = "hatching"
STATE_RUNNING = "running"
STATE_STOPPED = "stopped"
#: A slave the master no longer hears from.
STATE_MISSING = "missing"

#: The runner of this process; set by ``locust.main``.
locust_runner = None

#: How often (s) retired users still waiting on a socket are looked at again.
RETIRE_POLL_INTERVAL = 0.1


# ------------------------------------------------------------ pure helpers

def weight_split(count, weights):
    """Split ``count`` into integer parts proportional to ``weights``.

    Largest remainder method: each part gets the floor of its exact quota,
    and what is left goes one by one to the parts with the largest
    remainders, ties to the earlier part. The parts always sum to ``count``
    (``round()`` per part would not: 10 over 1/1/1 would give 3/3/3). Exact
    arithmetic (fractions), so float weights cannot round a user away.

    >>> weight_split(10, [1, 1, 1])
    [4, 3, 3]
    >>> weight_split(7, [3, 1])
    [5, 2]

    Raises ValueError for a negative count, a negative weight, or a
    positive count with no positive weight.
    """
    if count < 0:
        raise ValueError("cannot split a negative count (%r)" % count)
    fractions = [Fraction(w) for w in weights]
    if any(w < 0 for w in fractions):
        raise ValueError("weights must not be negative: %r" % (list(weights),))
    total = sum(fractions)
    if not total:
        if count:
            raise ValueError("cannot split %d over weights that are all zero" % count)
        return [0] * len(fractions)
    quotas = [count * w / total for w in fractions]
    parts = [int(q) for q in quotas]  # floor: quotas are >= 0
    left = count - sum(parts)
    order = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def hatch_order(counts):
    """The order to start users in: indexes interleaved by their counts.

    ``hatch_order([2, 1])`` is ``[0, 1, 0]``: at every step the index that
    is furthest behind its share goes next (ties to the lower index), so a
    hatch stopped half-way has the classes mixed in proportion.
    """
    total = sum(counts)
    done = [0] * len(counts)
    order = []
    for step in range(1, total + 1):
        # Deficit of i after `step` users, scaled by total to stay in ints.
        best = max((i for i in range(len(counts)) if done[i] < counts[i]),
                   key=lambda i: (counts[i] * step - done[i] * total, -i))
        done[best] += 1
        order.append(best)
    return order


_TIMESPAN = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_timespan(text):
    """Seconds in a time span: ``"30"``, ``"30s"``, ``"5m"``, ``"1h30m"``, ``"1h2m3s"``.

    A plain number is seconds. Raises ValueError for anything else (empty,
    negative, unknown unit) and for a span of zero seconds.
    """
    value = str(text).strip().lower()
    if value.isdigit():
        seconds = int(value)
    else:
        match = _TIMESPAN.match(value)
        if not value or not match:
            raise ValueError("invalid time span %r: use e.g. 30, 30s, 5m, 1h30m" % (text,))
        hours, minutes, secs = (int(g) if g else 0 for g in match.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    if seconds <= 0:
        raise ValueError("invalid time span %r: it must be more than 0 seconds" % (text,))
    return seconds


def _exception_key(msg, formatted_tb):
    # A stable key (hash() of a str varies between processes): a master can
    # merge the exceptions its slaves report under the same key.
    raw = "%s\n%s" % (msg, formatted_tb)
    return hashlib.md5(raw.encode("utf-8", "replace"), usedforsecurity=False).hexdigest()


# ----------------------------------------------------------------- runners

class LocustRunner:
    """What every runner shares, and the users of this process.

    ``locust_classes`` are the Locust classes to run; ``options`` is the
    command line's argparse Namespace (or any object with its attributes;
    missing ones take their defaults): ``host``, ``num_clients``,
    ``hatch_rate``, ``num_requests``, ``run_time`` (seconds), ``reset_stats``.
    ``stats`` defaults to :data:`locust.stats.global_stats`.

    A host given in the options is set on every class (as the original
    did), so it overrides the classes' own.

    Raises ValueError if ``locust_classes`` is empty.
    """

    #: Seconds a stopped or removed user may use to finish the request it
    #: has on the wire before it is killed anyway.
    stop_grace = 5.0
    #: The id this process reports in the exceptions' "nodes".
    node_id = "local"
    #: This process's CPU use (percent of a core) at the last sample, and the
    #: generator-saturation warning (None until then): see locust.saturation.
    cpu_percent = None
    cpu_warning = None
    #: Whether this runner keeps a history of its tests (:attr:`history`).
    record_history = True
    #: Seconds after which a second's statistics are complete here (the
    #: history writes a sample only then): at once in one process.
    history_delay = 1.0

    def __init__(self, locust_classes, options=None, stats=None):
        if not locust_classes:
            raise ValueError("a runner needs at least one Locust class")
        self.locust_classes = list(locust_classes)
        self.options = options
        self.host = getattr(options, "host", None)
        self.num_clients = getattr(options, "num_clients", None) or 0
        self.hatch_rate = getattr(options, "hatch_rate", None) or 1
        self.num_requests = getattr(options, "num_requests", None)
        self.run_time = getattr(options, "run_time", None)
        self.reset_stats = bool(getattr(options, "reset_stats", False))
        self.stats = global_stats if stats is None else stats
        #: key -> {"count", "msg", "traceback", "nodes": set of node ids}
        self.exceptions = {}
        #: The samples of the current test (:class:`locust.history.StatsHistory`).
        self.history = StatsHistory(self, delay=self.history_delay)
        self.state = STATE_INIT
        #: The greenlet hatching users right now, or None.
        self.greenlet = None
        #: Why the last test stopped ("time limit", "request cap", ...), or None.
        self.stop_reason = None
        if self.host:
            for cls in self.locust_classes:
                cls.host = self.host

        self._users = {}        # live user greenlet -> its Locust class
        self._retiring = {}     # user greenlet -> hard-kill deadline (hub clock)
        self._retire_timer = None
        self._expired = set()   # users retired by their class's stop_timeout
        self._run_timer = None
        self._cap_handled = False
        self._hatch_generation = 0
        self._stopped = Event()
        self._listening = True
        events.request_success += self._on_request
        events.request_failure += self._on_request
        events.locust_error += self._on_locust_error

    # -- counting ---------------------------------------------------------

    @property
    def user_count(self):
        """Users running now and not being removed."""
        return len(self._users) - len(self._retiring)

    def user_counts(self):
        """``{class: number of users}`` running now, not counting removed ones."""
        counts = {cls: 0 for cls in self.locust_classes}
        for glet, cls in self._users.items():
            if glet not in self._retiring:
                counts[cls] = counts.get(cls, 0) + 1
        return counts

    def split_users(self, count):
        """``{class: users}`` for ``count`` users, by the classes' ``weight``.

        Raises ValueError as :func:`weight_split` does.
        """
        weights = [getattr(cls, "weight", 10) for cls in self.locust_classes]
        return dict(zip(self.locust_classes, weight_split(count, weights)))

    # -- test lifecycle hooks ---------------------------------------------

    def begin_test(self):
        """A new test starts (from ready or stopped).

        Clears the statistics and the exceptions, sets the request cap,
        fires ``locust_start_hatching`` and starts the run-time timer.
        """
        self.stats.clear_all()
        self.stats.max_requests = self.num_requests
        self.exceptions = {}
        if self.record_history:
            self.history.start()
        self.stop_reason = None
        self._cap_handled = False
        self._stopped.clear()
        events.locust_start_hatching.fire()
        self._cancel_run_timer()
        if self.run_time:
            self._run_timer = spawn_later(self.run_time, self._time_limit_reached)

    def hatching_complete(self, user_count):
        """Every user of a hatch runs: state running, ``hatch_complete`` fires.

        With ``reset_stats`` the statistics restart here ("Resetting stats");
        without it nothing measured so far is dropped.
        """
        self.state = STATE_RUNNING
        events.hatch_complete.fire(user_count=user_count)
        if self.reset_stats:
            logger.info("Resetting stats")
            self.reset_statistics()

    def reset_statistics(self):
        """Zero the statistics, drop the exceptions and restart the history
        (the dashboard's reset, ``--reset-stats``): nothing measured before
        it is shown after it."""
        self.stats.reset_all()
        self.exceptions = {}
        self.history.clear()

    def finish_stop(self):
        """The test is over: state stopped, :meth:`wait` returns."""
        self.history.stop()
        self.state = STATE_STOPPED
        events.locust_stop_hatching.fire()
        self._stopped.set()

    def wait(self, timeout=None):
        """Wait until the test has stopped (at most ``timeout`` s); True if it has."""
        return self._stopped.wait(timeout)

    # -- hatching -----------------------------------------------------------

    def start_hatching(self, locust_count=None, hatch_rate=None, wait=False):
        """Start a test with ``locust_count`` users, or change the count of a running one.

        New users start at ``hatch_rate`` per second; surplus users are
        removed at once, spread over the classes by weight, each after the
        request it may have on the wire. ``hatch_complete`` fires once when
        the count is reached. With ``wait`` return only then.

        Raises ValueError for a negative count or a hatch rate <= 0.
        """
        if locust_count is None:
            locust_count = self.num_clients
        if hatch_rate is None:
            hatch_rate = self.hatch_rate
        if locust_count < 0:
            raise ValueError("the number of users must not be negative (got %r)" % locust_count)
        if not hatch_rate or hatch_rate <= 0:
            raise ValueError("the hatch rate must be more than 0 (got %r)" % hatch_rate)
        target = self.split_users(locust_count)  # may raise: before any change
        self.num_clients = locust_count
        self.hatch_rate = hatch_rate
        self._cancel_hatching()
        if self.state in (STATE_INIT, STATE_STOPPED):
            self.begin_test()
        self.state = STATE_HATCHING

        current = self.user_counts()
        surplus = {cls: current.get(cls, 0) - n for cls, n in target.items()
                   if current.get(cls, 0) > n}
        if surplus:
            self._remove_users(surplus)
        deficit = [max(0, n - current.get(cls, 0)) for cls, n in target.items()]
        classes = list(target)
        order = [classes[i] for i in hatch_order(deficit)]
        if order:
            logger.info("Hatching and swarming %d users at the rate %g users/s...",
                        len(order), hatch_rate)
        self._hatch_generation += 1
        self.greenlet = spawn(self._hatch, order, hatch_rate, self._hatch_generation)
        if wait:
            self.greenlet.join()

    def _hatch(self, order, rate, generation):
        hub = get_hub()
        start = hub.clock()
        for i, cls in enumerate(order):
            # Deadlines from the start, not sleeps after each spawn, so the
            # rate does not drift by the time spawning itself takes.
            delay = start + i / rate - hub.clock()
            if delay > 0:
                sleep(delay)
            if generation != self._hatch_generation or self.state != STATE_HATCHING:
                return
            self._spawn_user(cls)
        if generation != self._hatch_generation or self.state != STATE_HATCHING:
            return
        self.greenlet = None
        counts = self.user_counts()
        logger.info("All locusts hatched: %s", ", ".join(
            "%s: %d" % (cls.__name__, n) for cls, n in counts.items()))
        self.hatching_complete(self.user_count)
        if order and not self._users:
            # They all ended on their own while hatching (e.g. each failed
            # to start): nothing will ever end the test otherwise.
            self._all_users_ended()

    def _cancel_hatching(self):
        self._hatch_generation += 1
        glet, self.greenlet = self.greenlet, None
        if glet is not None and glet is not getcurrent():
            glet.kill(block=False)

    def _spawn_user(self, cls):
        glet = spawn(self._run_user, cls)
        self._users[glet] = cls
        glet.link(self._user_ended)
        stop_timeout = getattr(cls, "stop_timeout", None)
        if stop_timeout:
            get_hub().call_later(stop_timeout, self._user_timed_out, glet)
        return glet

    def _run_user(self, cls):
        try:
            cls().run()
        except StopLocust:
            pass
        except Exception as exc:
            # Locust.__init__ (e.g. no host) or something TaskSet.run does
            # not catch itself: record it like a task's exception, and log
            # its traceback only the first time it is seen.
            formatted = "".join(traceback.format_tb(exc.__traceback__))
            msg = "%s: %s" % (type(exc).__name__, exc)
            first = _exception_key(msg, formatted) not in self.exceptions
            self.log_exception(self.node_id, msg, formatted)
            if first:
                logger.error("A %s user ended with an exception:\n%s%s",
                             cls.__name__, formatted, msg)

    def _user_ended(self, glet):
        # A link: runs in the hub, must not block.
        cls = self._users.pop(glet, None)
        retired = self._retiring.pop(glet, None) is not None
        if glet in self._expired:  # stop_timeout: it ended on its own
            self._expired.discard(glet)
            retired = False
        if (cls is not None and not retired and not self._users
                and self.state == STATE_RUNNING):
            # Every user ended on its own (StopLocust, stop_timeout): the
            # test is over, as in the original, whose main joined its users.
            spawn(self._all_users_ended)

    def _all_users_ended(self):
        if not self._users and self.state == STATE_RUNNING:
            logger.info("All users have finished")
            self.stop_reason = self.stop_reason or "all users finished"
            self.stop()

    def _user_timed_out(self, glet):
        if not glet.dead and glet not in self._retiring:
            self._expired.add(glet)
            self._retire([glet])

    # -- removing users -------------------------------------------------------

    def _remove_users(self, surplus):
        """Retire ``{class: n}`` users: idle ones first, then the newest."""
        busy = get_hub().io_waiters()
        chosen = []
        for cls, n in surplus.items():
            mine = [g for g, c in self._users.items() if c is cls and g not in self._retiring]
            mine.reverse()  # newest first
            mine.sort(key=lambda g: g in busy)  # stable: idle ones first
            chosen.extend(mine[:n])
        self._retire(chosen)

    def _retire(self, glets, grace=None):
        """Mark users to be removed; the hub kills them as soon as it is safe."""
        hub = get_hub()
        deadline = hub.clock() + (self.stop_grace if grace is None else grace)
        for glet in glets:
            if not glet.dead:
                old = self._retiring.get(glet)
                self._retiring[glet] = deadline if old is None else min(old, deadline)
        if self._retiring:
            hub.run_callback(self._retire_pass)

    def _retire_pass(self):
        # Runs in the hub, so a throw here is synchronous: the user is dead
        # before any other greenlet runs (see the module docstring).
        hub = get_hub()
        if self._retire_timer is not None:
            self._retire_timer.cancel()
            self._retire_timer = None
        busy = hub.io_waiters()
        now = hub.clock()
        for glet, deadline in list(self._retiring.items()):
            if glet.dead:
                self._retiring.pop(glet, None)
            elif glet not in busy or now >= deadline:
                _kill_now(glet)
        if self._retiring:
            self._retire_timer = hub.call_later(RETIRE_POLL_INTERVAL, self._retire_pass)

    def _on_request(self, **_kwargs):
        # Listener of request_success and request_failure, after the stats'.
        if not self._cap_handled and self.stats.max_requests is not None:
            self.check_request_cap()
        if self._retiring and getcurrent() in self._retiring:
            # The request this user was finishing is logged: end it before
            # it can start another one.
            raise GreenletExit()

    # -- request cap and run time ---------------------------------------------

    def check_request_cap(self):
        """Call :meth:`on_request_cap` once the stats reach the cap; True if reached.

        A master calls this after merging a slave's report.
        """
        if self._cap_handled or not self.stats.cap_reached:
            return self._cap_handled
        self._cap_handled = True
        self.on_request_cap()
        return True

    def on_request_cap(self):
        """The request cap (-n) is reached: stop the test.

        Every user is retired at once (from the listener, so none starts a
        new request), and the blocking part of :meth:`stop` runs in its own
        greenlet.
        """
        logger.info("Maximum number of requests reached (%s)", self.stats.max_requests)
        self.stop_reason = "request cap"
        self._cancel_hatching()
        self._retire(list(self._users))
        spawn(self.stop)

    def _time_limit_reached(self):
        self._run_timer = None
        logger.info("Time limit reached. Stopping Locust.")
        self.stop_reason = "time limit"
        self.stop()

    def _cancel_run_timer(self):
        timer, self._run_timer = self._run_timer, None
        if timer is not None and timer is not getcurrent():
            timer.kill(block=False)

    # -- stopping -------------------------------------------------------------

    def stop(self, grace=None):
        """Stop every user and end the test; returns when they are gone.

        Each user may finish the request it has on the wire, for at most
        ``grace`` seconds (default :attr:`stop_grace`); then it is killed.
        Called from a user's own greenlet, it stops in a new greenlet and
        returns at once.
        """
        current = getcurrent()
        if current in self._users:
            spawn(self.stop, grace)
            return
        if self.state == STATE_STOPPED and not self._users and self._stopped.is_set():
            return
        self._cancel_hatching()
        self._cancel_run_timer()
        generation = self._hatch_generation
        self.state = STATE_STOPPED
        users = list(self._users)
        if users:
            self._retire(users, grace)
            limit = (self.stop_grace if grace is None else grace) + 2 * RETIRE_POLL_INTERVAL
            joinall(users, timeout=limit + 1.0)
            for glet in users:
                if not glet.dead:
                    glet.kill(block=True, timeout=1.0)
                # join() returns as soon as a user is dead; its link may not
                # have run yet: forget it here, so the count is right at once.
                if glet.dead:
                    self._users.pop(glet, None)
                    self._retiring.pop(glet, None)
        if generation == self._hatch_generation:
            # Not restarted while the users were finishing.
            self.finish_stop()

    def quit(self):
        """Stop the test and detach the runner from the events (idempotent)."""
        self.stop(grace=0 if self.state == STATE_STOPPED else None)
        self._cancel_run_timer()
        if self._listening:
            self._listening = False
            events.request_success -= self._on_request
            events.request_failure -= self._on_request
            events.locust_error -= self._on_locust_error

    # -- exceptions -------------------------------------------------------------

    def _on_locust_error(self, locust_instance, exception, tb, **_kwargs):  # noqa: ARG002 - fired by keyword
        formatted = "".join(traceback.format_tb(tb)) if tb is not None else ""
        self.log_exception(self.node_id, str(exception), formatted)

    def log_exception(self, node_id, msg, formatted_tb):
        """Count an exception raised in a user, for the exceptions report.

        Exceptions with the same message and traceback share one row:
        ``{"count", "msg", "traceback", "nodes": set of node ids}``.
        """
        key = _exception_key(msg, formatted_tb)
        row = self.exceptions.get(key)
        if row is None:
            row = self.exceptions[key] = {
                "count": 0, "msg": msg, "traceback": formatted_tb, "nodes": set()}
        row["count"] += 1
        row["nodes"].add(node_id)


def _kill_now(glet):
    """Kill a user from the hub, before any other greenlet runs."""
    if glet.gr_frame is None:
        glet.kill(block=False)  # not started yet (or dead): ends without running
    else:
        glet.throw(GreenletExit())


class LocalLocustRunner(LocustRunner):
    """Runs every user in this process: ``locust --no-web`` and the plain web UI.

    ::

        runner = LocalLocustRunner([WebsiteUser], options)
        runner.start_hatching(20, 10)
        runner.wait()            # until -t, -n or stop()

    Everything it does is :class:`LocustRunner`'s; the class exists so that
    the command line picks a runner by name and the distributed ones sit
    beside it.
    """


def __getattr__(name):
    # PEP 562: the distributed runners live in their own modules (locust.master,
    # locust.slave) but keep the original's names here, loaded on first use so
    # that a local run never imports ZeroMQ.
    if name == "MasterLocustRunner":
        from .master import MasterLocustRunner
        return MasterLocustRunner
    if name == "SlaveLocustRunner":
        from .slave import SlaveLocustRunner
        return SlaveLocustRunner
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
