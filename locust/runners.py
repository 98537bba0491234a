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

**Stopping without losing a request**: see :mod:`locust.retire`. A user
to be removed is killed at once if it is between requests, else after the
request it has on the wire is logged, or cut (and counted as a failure,
:class:`RequestInterrupted`) when its grace runs out.

**Large counts.** The start order is produced lazily
(:func:`iter_hatch_order`), a count above :data:`MAX_USERS_PER_PROCESS` is
refused (:class:`UserCountError`), and the loops that start or remove users
let the hub run every :data:`BATCH` users (hatching) or
:data:`locust.retire.RETIRE_PASS_BUDGET` seconds (removing): signals, heartbeats and the
dashboard are served whatever the count.

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

from . import events
from .engine import (
    Event,
    GreenletExit,
    call_later,
    clock,
    getcurrent,
    io_waiters,
    killall,
    sleep,
    spawn,
    spawn_later,
)
from .exception import StopLocust
from .history import StatsHistory
from .retire import RETIRE_POLL_INTERVAL, RequestInterrupted, Retiring, join_while_dying
from .runners_v2 import STATE_STOPPING_USERS, RunnerV2
from .stats import global_stats

__all__ = [
    "STATE_INIT", "STATE_HATCHING", "STATE_RUNNING", "STATE_STOPPED", "STATE_MISSING",
    "MAX_USERS_PER_PROCESS", "UserCountError", "RequestInterrupted",
    "locust_runner", "weight_split", "hatch_order", "iter_hatch_order", "parse_timespan",
    "STATE_SPAWNING", "STATE_STOPPING", "STATE_CLEANUP",
    "LocustRunner", "LocalLocustRunner",
    "Runner", "LocalRunner",
]

logger = logging.getLogger(__name__)

STATE_INIT = "ready"
STATE_HATCHING = "hatching"
STATE_RUNNING = "running"
STATE_STOPPED = "stopped"
#: A slave the master no longer hears from.
STATE_MISSING = "missing"
#: The 2.x names: spawning is hatching; stopping is a stop that lets users
#: finish their tasks (--stop-timeout); cleanup is never entered here.
STATE_SPAWNING = STATE_HATCHING
STATE_STOPPING = STATE_STOPPING_USERS
STATE_CLEANUP = "cleanup"

#: The runner of this process; set by ``locust.main``.
locust_runner = None

#: The most users one process runs (a local runner, each slave; a master
#: runs this many per slave). A user costs 12-16 KB (README, "Benchmarks"),
#: so a million take 15 GB: a larger count is a typing error or a request
#: from anyone who can reach the dashboard, and would only exhaust memory.
MAX_USERS_PER_PROCESS = 1_000_000
#: Users started (or removed) in a row before the hatching loop, or the
#: hub's removal pass, lets the rest of the process run: even a million
#: users at once never keep signals, heartbeats or the dashboard waiting
#: for more than a few milliseconds.
BATCH = 64


class UserCountError(ValueError):
    """A number of users above what the runner could ever run (see
    :data:`MAX_USERS_PER_PROCESS`); ``str()`` says why, in one line."""


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


def iter_hatch_order(counts):
    """The order to start users in, one index at a time: interleaved by counts.

    At every step the index that is furthest behind its share goes next
    (ties to the lower index), so a hatch stopped half-way has the classes
    mixed in proportion. Lazy: a user's class is chosen when its time comes,
    so a count of millions costs nothing up front (O(classes) per user).
    """
    counts = list(counts)
    total = sum(counts)
    done = [0] * len(counts)
    live = [i for i, n in enumerate(counts) if n > 0]
    for step in range(1, total + 1):
        # Deficit of i after `step` users, scaled by total to stay in ints.
        best = max(live, key=lambda i: (counts[i] * step - done[i] * total, -i))
        done[best] += 1
        if done[best] == counts[best]:
            live.remove(best)
        yield best


def hatch_order(counts):
    """:func:`iter_hatch_order` as a list: ``hatch_order([2, 1])`` is ``[0, 1, 0]``."""
    return list(iter_hatch_order(counts))


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


def _import_clients(classes):
    """Import the HTTP client now if a class needs it.

    The first HttpLocust would otherwise import it (urllib3 and ours:
    0.22 s on an idle machine, over a second under load) inside the running
    hub, stalling heartbeats long enough for a slave to be marked missing.
    """
    from .core import HttpLocust
    if any(isinstance(cls, type) and issubclass(cls, HttpLocust) for cls in classes):
        from . import clients  # noqa: F401 - imported for its cost, now


def _exception_key(msg, formatted_tb):
    # A stable key (hash() of a str varies between processes): a master can
    # merge the exceptions its slaves report under the same key.
    raw = "%s\n%s" % (msg, formatted_tb)
    return hashlib.md5(raw.encode("utf-8", "replace"), usedforsecurity=False).hexdigest()


# ----------------------------------------------------------------- runners

class LocustRunner(RunnerV2, Retiring):
    """What every runner shares, and the users of this process.

    ``locust_classes`` are the Locust classes to run; ``options`` is the
    command line's argparse Namespace (or any object with its attributes;
    missing ones take their defaults): ``host``, ``num_clients``,
    ``hatch_rate``, ``num_requests``, ``run_time`` (seconds), ``reset_stats``.
    ``stats`` defaults to :data:`locust.stats.global_stats`.

    A host given in the options is set on every class (as the original
    did), so it overrides the classes' own. The 2.x API (``start()``,
    shapes, ``--stop-timeout``, ``--iterations``, ``environment``) comes
    from :class:`locust.runners_v2.RunnerV2`.

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
        stop_timeout = getattr(options, "stop_timeout", None)
        if stop_timeout is not None:
            self.stop_grace = float(stop_timeout)
        self.stats = global_stats if stats is None else stats
        #: key -> {"count", "msg", "traceback", "nodes": set of node ids}
        self.exceptions = {}
        #: The samples of the current test (:class:`locust.history.StatsHistory`).
        self.history = StatsHistory(self, delay=self.history_delay)
        self.state = STATE_INIT
        #: The spawned loop hatching users right now, or None.
        self.hatcher = None
        self._init_v2(options)  # the 2.x state
        #: Why the last test stopped ("time limit", "request cap", ...), or None.
        self.stop_reason = None
        if self.host:
            for cls in self.locust_classes:
                cls.host = self.host

        self._users = {}        # live user (an engine Greenlet) -> its Locust class
        self._init_retiring()
        self._expired = set()   # users retired by their class's stop_timeout
        self._run_timer = None
        self._cap_handled = False
        self._hatch_generation = 0
        self._stopped = Event()
        self._listening = True
        events.request_success += self._on_request
        events.request_failure += self._on_request
        events.locust_error += self._on_locust_error
        _import_clients(self.locust_classes)

    # -- counting ---------------------------------------------------------

    @property
    def max_users(self):
        """The most users this runner can run (:data:`MAX_USERS_PER_PROCESS`)."""
        return MAX_USERS_PER_PROCESS

    def check_user_count(self, count):
        """Raise :class:`UserCountError` if ``count`` is above :attr:`max_users`."""
        limit = self.max_users
        if count > limit:
            shown = "%d" % count if count < 10 ** 15 else "%.3g" % count
            raise UserCountError(
                "cannot run %s users: at most %d per process (%d in all here); "
                "use more processes or slaves" % (shown, MAX_USERS_PER_PROCESS, limit))

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
        """``{class: users}`` for ``count`` users, by the classes' ``weight``
        (classes with a ``fixed_count`` first; only the classes a 2.x
        ``start(user_classes=...)`` chose).

        Raises ValueError as :func:`weight_split` does.
        """
        return self._split_by_class(count, weight_split)

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
        events.test_start.fire(environment=self.environment)
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
        events.reset_stats.fire()

    def finish_stop(self):
        """The test is over: state stopped, :meth:`wait` returns."""
        self.history.stop()
        self.state = STATE_STOPPED
        events.locust_stop_hatching.fire()
        events.test_stop.fire(environment=self.environment)
        self._stopped.set()

    def wait(self, timeout=None):
        """Wait until the test has stopped (at most ``timeout`` s); True if it has."""
        return self._stopped.wait(timeout)

    def run_notes(self):
        """What the final summary must say besides the statistics:
        ``[(one-line text, lost)]``, ``lost`` when the statistics miss
        requests that were made (the run then exits 1). None here; a master
        names its slaves that went missing."""
        return []

    # -- hatching -----------------------------------------------------------

    def start_hatching(self, locust_count=None, hatch_rate=None, wait=False):
        """Start a test with ``locust_count`` users, or change the count of a running one.

        New users start at ``hatch_rate`` per second; surplus users are
        removed at once, spread over the classes by weight, each after the
        request it may have on the wire. ``hatch_complete`` fires once when
        the count is reached. With ``wait`` return only then.

        Raises ValueError for a negative count or a hatch rate <= 0, and
        UserCountError (a ValueError) for more than :attr:`max_users`.
        """
        if locust_count is None:
            locust_count = self.num_clients
        if hatch_rate is None:
            hatch_rate = self.hatch_rate
        if locust_count < 0:
            raise ValueError("the number of users must not be negative (got %r)" % locust_count)
        if not hatch_rate or hatch_rate <= 0:
            raise ValueError("the hatch rate must be more than 0 (got %r)" % hatch_rate)
        self.check_user_count(locust_count)
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
        if sum(deficit):
            logger.info("Hatching and swarming %d users at the rate %g users/s...",
                        sum(deficit), hatch_rate)
        self._hatch_generation += 1
        self.hatcher = spawn(self._hatch, classes, deficit, hatch_rate, self._hatch_generation)
        if wait:
            self.hatcher.join()

    def _hatch(self, classes, deficit, rate, generation):
        start = clock()
        started = 0
        for i, index in enumerate(iter_hatch_order(deficit)):
            # Deadlines from the start, not sleeps after each spawn, so the
            # rate does not drift by the time spawning itself takes.
            delay = start + i / rate - clock()
            if delay > 0:
                sleep(delay)
            elif i % BATCH == BATCH - 1:
                sleep(0)  # behind schedule (a high rate): let the rest run
            if generation != self._hatch_generation or self.state != STATE_HATCHING:
                return
            self._spawn_user(classes[index])
            started += 1
        if generation != self._hatch_generation or self.state != STATE_HATCHING:
            return
        self.hatcher = None
        counts = self.user_counts()
        logger.info("All locusts hatched: %s", ", ".join(
            "%s: %d" % (cls.__name__, n) for cls, n in counts.items()))
        self.hatching_complete(self.user_count)
        if started and not self._users:
            # They all ended on their own while hatching (e.g. each failed
            # to start): nothing will ever end the test otherwise.
            self._all_users_ended()

    def _cancel_hatching(self):
        self._hatch_generation += 1
        glet, self.hatcher = self.hatcher, None
        if glet is not None and glet is not getcurrent():
            glet.kill(block=False)

    def _spawn_user(self, cls):
        glet = spawn(self._run_user, cls)
        self._users[glet] = cls
        glet.link(self._user_ended)
        stop_timeout = getattr(cls, "stop_timeout", None)
        if stop_timeout:
            call_later(stop_timeout, self._user_timed_out, glet)
        return glet

    def _run_user(self, cls):
        try:
            self._run_instance(cls)  # creates the user (2.x: with its environment)
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
        busy = io_waiters()
        chosen = []
        for cls, n in surplus.items():
            mine = [g for g, c in self._users.items() if c is cls and g not in self._retiring]
            mine.reverse()  # newest first
            mine.sort(key=lambda g: g in busy)  # stable: idle ones first
            chosen.extend(mine[:n])
        self._retire(chosen)

    def _on_request(self, **_kwargs):
        # Listener of request_success and request_failure, after the stats'.
        if not self._cap_handled and self.stats.max_requests is not None:
            self.check_request_cap()
        if self._retiring and self._request_logged(getcurrent()):
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
        new request), and the blocking part of :meth:`stop` is spawned.
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
        Called by a user itself, it spawns the stop and returns at once.
        """
        current = getcurrent()
        if current in self._users:
            spawn(self.stop, grace)
            return
        if self.state == STATE_STOPPED and not self._users and self._stopped.is_set():
            return
        started = clock()
        if self._before_stop():  # 2.x: test_stopping, the shape, --stop-timeout
            return
        waited = 0.0
        if grace is None and self.stop_timeout:
            # --stop-timeout is one budget: the time the users took to finish
            # their tasks is spent, what is left is the grace of the requests
            # still on the wire (then they are cut, and counted).
            waited = min(clock() - started, self.stop_timeout)
            grace = self.stop_timeout - waited
        self._cancel_hatching()
        self._cancel_run_timer()
        generation = self._hatch_generation
        self.state = STATE_STOPPED
        users = list(self._users)
        if users:
            self._retire(users, grace, waited)
            limit = (self.stop_grace if grace is None else grace) + 2 * RETIRE_POLL_INTERVAL
            survivors = join_while_dying(users, limit + 1.0)
            if survivors:
                killall(survivors, block=True, timeout=1.0)
            for glet in users:
                # join() returns as soon as a user is dead; its link may not
                # have run yet: forget it here, so the count is right at once.
                if glet.dead:
                    self._users.pop(glet, None)
                    self._retiring.pop(glet, None)
        if generation == self._hatch_generation:
            # Not restarted while the users were finishing.
            self.finish_stop()

    def quit(self):
        """Stop the test and detach the runner from the events (idempotent).

        A runner that never started a test stays "ready" (the summary tells a
        run that started users from one that never did)."""
        if self.state != STATE_INIT or self._users:
            self.stop(grace=0 if self.state == STATE_STOPPED else None)
        self._cancel_run_timer()
        if self._listening:
            self._listening = False
            events.request_success -= self._on_request
            events.request_failure -= self._on_request
            events.locust_error -= self._on_locust_error
        self._after_quit()

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


#: The 2.x names of the runners.
Runner = LocustRunner
LocalRunner = LocalLocustRunner


def __getattr__(name):
    # PEP 562: the distributed runners live in their own modules (locust.master,
    # locust.slave) but keep the original's names here (and the 2.x ones),
    # loaded on first use so that a local run never imports ZeroMQ.
    if name in ("MasterLocustRunner", "MasterRunner"):
        from .master import MasterLocustRunner
        return MasterLocustRunner
    if name in ("SlaveLocustRunner", "WorkerRunner"):
        from .slave import SlaveLocustRunner
        return SlaveLocustRunner
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
