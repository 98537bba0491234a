"""The history of a test, kept on the server: one sample every 2 s from its start.

A dashboard opened late (or reloaded) and the HTML report draw their charts
from it. Each sample describes the ``interval`` seconds that end at its
``time``, read from the Total's per-second counts and window histograms
(:mod:`locust.stats`), so it is exact and, on a master, merged from every
slave:

======================  =============================================================
``time``                end of the interval, Unix seconds (a whole second)
``user_count``          users running at that time
``rps``                 requests per second in the interval (successes and failures)
``fail_per_sec``        failures per second in the interval
``p50``, ``p95``,       response times (ms) of the interval's requests at those
``p99``                 percentiles, failed ones included; None without requests
======================  =============================================================

A second's figures are complete once every process that logs requests has
reported it: at once in a local run, after a slave's report interval on a
master. The recorder samples the user count every second and writes an
interval's sample only when its last second is ``delay`` seconds old; when
the test stops it writes the rest at once (the last interval may be
shorter). So the samples lag the run by ``delay`` at most and never change
once written.

Memory is bounded: the samples live in a ring of :data:`MAX_SAMPLES` (24 h
at 2 s), one array per field (8 bytes for the time, 4 for each other
field: 32 bytes a sample, ~1.4 MB when full); the oldest go first.
"""

import array
import bisect
import math
import time

__all__ = ["StatsHistory", "SAMPLE_FIELDS", "MAX_SAMPLES"]

#: The fields of a sample, in order (see the module docstring).
SAMPLE_FIELDS = ("time", "user_count", "rps", "fail_per_sec", "p50", "p95", "p99")
#: Samples kept: 24 hours at one sample every 2 s.
MAX_SAMPLES = 43_200
_PERCENTILES = (0.5, 0.95, 0.99)
_NAN = float("nan")


class StatsHistory:
    """The samples of one runner's test, and the recorder that takes them.

    ``runner`` is read for ``stats.total`` and ``user_count``. ``interval``
    (whole seconds) is the time a sample covers, ``delay`` how old its last
    second must be before it is written, ``capacity`` how many are kept.
    ``clock`` is time.time or a stand-in.
    """

    def __init__(self, runner, interval=2, delay=1.0, capacity=MAX_SAMPLES, clock=time.time):
        if int(interval) != interval or interval < 1:
            raise ValueError("the history interval must be a whole number of seconds >= 1")
        self.runner = runner
        self.interval = int(interval)
        self.delay = delay
        self.capacity = capacity
        self.clock = clock
        #: Unix time (a whole second) the samples start from, or None.
        self.start_time = None
        self._greenlet = None
        self._reset_storage()

    # -- storage --------------------------------------------------------------

    def _reset_storage(self):
        self._columns = [array.array("d")] + [array.array("f") for _ in SAMPLE_FIELDS[1:]]
        self._head = 0          # where the next sample goes once the ring is full
        self._next = None       # start of the next interval to write
        self._users = {}        # second -> user count seen then

    def clear(self, now=None):
        """Forget every sample; the next ones start at ``now`` (a reset, a new test)."""
        self._reset_storage()
        now = self.clock() if now is None else now
        self.start_time = int(now)
        self._next = self.start_time

    def append(self, *values):
        """Add one sample: the values of :data:`SAMPLE_FIELDS`, in order (None for
        a missing percentile). The oldest sample goes when the ring is full."""
        columns = self._columns
        values = [_NAN if v is None else v for v in values]
        if len(columns[0]) < self.capacity:
            for column, value in zip(columns, values):
                column.append(value)
        else:
            head = self._head
            for column, value in zip(columns, values):
                column[head] = value
            self._head = (head + 1) % self.capacity

    def __len__(self):
        return len(self._columns[0])

    @property
    def nbytes(self):
        """Bytes held by the samples' arrays."""
        return sum(c.buffer_info()[1] * c.itemsize for c in self._columns)

    def _ordered(self, column):
        head = self._head
        return column[head:] + column[:head] if head else column

    def columns(self, since=None):
        """The samples after ``since`` (Unix seconds; all when None), one list per
        field: ``{"time": [...], "user_count": [...], ..., "p99": [...]}``.
        Missing percentiles are None; floats are rounded to 3 decimals."""
        ordered = [self._ordered(c) for c in self._columns]
        first = bisect.bisect_right(ordered[0], since) if since is not None else 0
        result = {"time": list(ordered[0][first:])}
        result["user_count"] = [int(v) for v in ordered[1][first:]]
        for name, column in zip(SAMPLE_FIELDS[2:], ordered[2:]):
            result[name] = [None if math.isnan(v) else round(v, 3) for v in column[first:]]
        return result

    def samples(self, since=None):
        """The samples after ``since`` as a list of dicts (keys: :data:`SAMPLE_FIELDS`)."""
        cols = self.columns(since)
        return [dict(zip(SAMPLE_FIELDS, row)) for row in zip(*(cols[f] for f in SAMPLE_FIELDS))]

    # -- recording ------------------------------------------------------------

    def start(self):
        """A new test: clear, then record every second until :meth:`stop`."""
        from .engine import spawn  # the engine imports no product module
        self._kill()
        self.clear()
        self._greenlet = spawn(self._loop)

    def stop(self):
        """The test stopped: write the samples still owed, stop recording."""
        self._kill()
        if self._next is not None:
            self.flush(self.clock())

    def _kill(self):
        glet, self._greenlet = self._greenlet, None
        if glet is not None:
            glet.kill(block=False)

    @property
    def recording(self):
        """True between :meth:`start` and :meth:`stop`."""
        return self._greenlet is not None

    def _loop(self):
        from .engine import sleep
        while True:
            now = self.clock()
            # Just after each whole second: that second's user count.
            sleep(math.floor(now) + 1.02 - now)
            self.tick(self.clock())

    def tick(self, now):
        """Note the user count at ``now`` and write the intervals that are settled."""
        if self._next is None:
            return
        self._users[int(now)] = self.runner.user_count
        while self._next + self.interval <= now - self.delay:
            self._write(self._next, self._next + self.interval)

    def flush(self, now):
        """Write every interval up to ``now``, the last one possibly shorter."""
        if self._next is None:
            return
        self._users.setdefault(int(now), self.runner.user_count)
        end = math.ceil(now)
        while self._next < end:
            self._write(self._next, min(self._next + self.interval, end))

    def _write(self, start, end):
        total = self.runner.stats.total
        seconds = range(start, end)
        ok, fail = total.num_reqs_per_sec.get, total.num_fail_per_sec.get
        fails = sum(fail(s, 0) for s in seconds)
        count = sum(ok(s, 0) for s in seconds) + fails
        hist = total.window_histogram(seconds)
        percentiles = [hist.percentile(p) if hist else None for p in _PERCENTILES]
        users = self._users_at(end)
        width = end - start
        self.append(end, users, count / width, fails / width, *percentiles)
        self._next = end

    def _users_at(self, second):
        # The count noted at that second, else the latest noted before it.
        users = self._users
        found = users.get(second)
        if found is None:
            earlier = [s for s in users if s <= second]
            found = users[max(earlier)] if earlier else self.runner.user_count
        for old in [s for s in users if s < second]:
            del users[old]
        return found
