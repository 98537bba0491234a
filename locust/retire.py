"""Removing users without losing a request: what a runner does to retire them.

**Stopping without losing a request.** A user is never killed while one of
its requests is on the wire: the target would have served a request the
statistics never see. A user to be removed is *retired*: it is killed at
once if it is not waiting on a socket (it is between requests, e.g. in its
wait time), otherwise it is ended by the runner's request listener right
after its current request has been logged, and at the latest after
:attr:`locust.runners.LocustRunner.stop_grace` seconds. The kills are done by the hub
callback that finds the user idle, at once (``kill(now=True)``), so
a user judged idle cannot wake up and start a request before it dies; a
user that woke before that callback ran is on the wire and ends after that
one request. So a removed user makes at most one more request. A request
still on the wire when the grace is over is cut (:class:`RequestInterrupted`
thrown in) and counted as a failure, "request interrupted by stop after N
s": the HTTP client reports it as it unwinds, and the runner reports it for
a client that does not. So every request the target may have received is
counted exactly once. The request listener has to run after the
statistics' listener and after the locustfile's listeners; it does, because
it is added when the runner is created, after both were imported.

A pass of the hub removes users for at most :data:`RETIRE_PASS_BUDGET`
seconds (or as long as finding the users on the wire took, which grows with
the sockets open), so a million users are removed over many passes and the
process keeps serving in between.

:class:`Retiring` is a mixin of :class:`locust.runners.LocustRunner`: it
uses the runner's ``_users`` ({user: class}), ``_retiring``
({user: (deadline, grace)}), ``stop_grace`` and its request listener,
which calls :meth:`Retiring._request_logged`.
"""

from collections import deque

from . import events
from .engine import GreenletExit, call_later, clock, io_waiters, joinall, run_callback

__all__ = ["Retiring", "RequestInterrupted", "RETIRE_POLL_INTERVAL", "RETIRE_PASS_BUDGET",
           "join_while_dying"]

#: How often (s) retired users still waiting on a socket are looked at again.
RETIRE_POLL_INTERVAL = 0.1
#: Seconds one pass of the hub may spend removing users (see _retire_pass).
RETIRE_PASS_BUDGET = 0.005


class RequestInterrupted(GreenletExit):
    """Thrown into a user whose request was still on the wire when its stop
    grace ran out. The HTTP client reports that request as a failure with
    this error; for other clients the runner reports it (see
    :meth:`Retiring._interrupt`): the target may have received it."""


class Retiring:
    """The retire machinery of a runner (a mixin; see the module docstring)."""

    def _init_retiring(self):
        self._retiring = {}           # user -> (hard-kill deadline (hub clock), grace)
        self._retire_queue = deque()  # retiring users to look at in this round
        self._retire_later = []       # ... on the wire: looked at again next round
        self._retire_scheduled = False
        self._retire_timer = None
        self._cut = None              # the user being killed on the wire, and whether
        self._cut_reported = False    # its request was reported meanwhile

    def _retire(self, glets, grace=None, waited=0.0):
        """Mark users to be removed; the hub kills them as soon as it is safe.

        ``waited``: seconds the stop already gave them (``--stop-timeout``'s
        task finishing), added to ``grace`` in the error of a cut request.
        """
        grace = self.stop_grace if grace is None else grace
        deadline = clock() + grace
        queue = self._retire_queue
        for glet in glets:
            if glet.dead:
                continue
            old = self._retiring.get(glet)
            if old is None:
                queue.append(glet)
            elif old[0] <= deadline:
                continue
            self._retiring[glet] = (deadline, grace + waited)
        if self._retiring:
            # A shorter grace may concern users that wait for the next round.
            queue.extend(self._retire_later)
            self._retire_later = []
            self._schedule_retire_pass()

    def _schedule_retire_pass(self, delay=0.0):
        if self._retire_timer is not None:
            self._retire_timer.cancel()
            self._retire_timer = None
        if delay:
            self._retire_timer = call_later(delay, self._retire_pass)
        elif not self._retire_scheduled:
            self._retire_scheduled = True
            run_callback(self._retire_pass)

    def _retire_pass(self):
        # Runs in the hub, so a throw here is synchronous: the user is dead
        # before anything else runs (see the module docstring), and the
        # set of users on the wire, taken once at the start, stays exact for
        # the whole pass. A pass kills for at most RETIRE_PASS_BUDGET seconds
        # (or as long as finding the users on the wire took, which grows
        # with the sockets open): a million users are removed over many
        # passes, and the process keeps serving in between.
        self._retire_scheduled = False
        if self._retire_timer is not None:
            self._retire_timer.cancel()
            self._retire_timer = None
        started = clock()
        busy = io_waiters()
        now = clock()
        budget = max(RETIRE_PASS_BUDGET, now - started)
        queue, later = self._retire_queue, self._retire_later
        while queue:
            glet = queue.popleft()
            entry = self._retiring.get(glet)
            if entry is None:
                continue
            if glet.dead:
                self._retiring.pop(glet, None)
                continue
            if glet not in busy:
                glet.kill(block=False, now=True)
            elif now >= entry[0]:
                self._interrupt(glet, entry[1])
            if not glet.dead:
                later.append(glet)  # on the wire (or it survived): next round
            if clock() - now > budget:
                break
        if queue:
            self._schedule_retire_pass()
        elif later:
            queue.extend(later)
            self._retire_later = []
            self._schedule_retire_pass(RETIRE_POLL_INTERVAL)

    def _interrupt(self, glet, grace):
        """Kill a user whose request is still on the wire after ``grace`` s.

        The target may have received that request, so it is counted, as a
        failure with its own error: the HTTP client reports it as the
        RequestInterrupted unwinds it; a client that does not is covered
        here (the request's name unknown: the user's class, method
        "STOPPED").
        """
        exc = RequestInterrupted("request interrupted by stop after %.3g s" % grace)
        self._cut, self._cut_reported = glet, False
        cls = self._users.get(glet)
        try:
            glet.kill(exc or GreenletExit, block=False, now=True)
        finally:
            self._cut = None
        if not self._cut_reported:
            events.request_failure.fire(
                request_type="STOPPED", name=getattr(cls, "__name__", "user"),
                response_time=grace * 1000.0, exception=exc)

    def _request_logged(self, current):
        """From the runner's request listener: True if ``current`` (the
        one that logged a request) is a retiring user to end now."""
        if current is self._cut:
            # The client reported the request that a stop cut short.
            self._cut_reported = True
            return False
        return current in self._retiring


def join_while_dying(glets, timeout):
    """Wait ``timeout`` s for ``glets`` to end, and longer while they keep
    ending (a million users take more than a grace period to remove);
    returns those still alive."""
    left = len(glets)
    while True:
        joinall(glets, timeout=timeout)
        glets = [g for g in glets if not g.dead]
        if not glets or len(glets) >= left:
            return glets
        left = len(glets)
        timeout = 1.0

