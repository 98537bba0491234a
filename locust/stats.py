"""Request statistics: entries, percentiles, the current window and errors.

Their CSV files and console tables are in :mod:`locust.stats_report`; the
histogram they are built on is in :mod:`locust.histogram`.

Each request is logged into its :class:`StatsEntry` (keyed by name and
method) and into the "Total" entry of the same :class:`RequestStats`.
Successes (``num_requests``) and failures (``num_failures``) are counted
apart, as in Locust 0.7, and the success-only figures (response times,
sizes, the CSV columns, the console tables) keep 0.7's meaning. A failed
request is still a real request with a real time: its time goes into a
histogram of its own (``fail_response_times``), and the ``all_*`` figures
(what the dashboard shows) cover both.

**The current window.** Besides the cumulative figures, an entry keeps, per
second, a histogram of every request of that second (successes and
failures; ``window_times``, the last :data:`WINDOW_SLOTS` seconds) next to
its per-second counts. The "current" figures (:meth:`StatsEntry.current`)
read the last :data:`CURRENT_WINDOW` complete seconds: requests and
failures per second and percentiles within the histogram's 1%. Logging a
request adds one dict update to the slot of its second, which is looked up
only when a new second starts; a slave sends the slots of the seconds since
its last report (a delta, like everything else), and the master adds them
up per second, so the merged window is exact.

A slave sends :meth:`RequestStats.serialize_and_reset` (a delta) and the
master adds it with :meth:`RequestStats.merge`. The wire form is
str/int/float/None/dict/list; histogram and per-second dicts have int keys,
so unpack with msgpack's ``strict_map_key=False`` (unserialize also accepts
str keys).
"""

import time

from . import events
from .histogram import _B, _C, _LINEAR_END, Histogram, _log, bucket_of, bucket_value, round_half_up
from .stats_errors import StatsError, error_text

__all__ = [
    "Histogram", "bucket_of", "bucket_value", "StatsEntry", "StatsError",
    "RequestStats", "global_stats", "on_request_success", "on_request_failure",
    "error_text", "round_half_up", "PERCENTILES_TO_REPORT", "CURRENT_WINDOW",
]

#: Percentiles of the console percentile table (the CSV has no 99.9%).
PERCENTILES_TO_REPORT = (0.5, 0.66, 0.75, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 1.0)
#: Seconds of per-second counts an entry keeps; current_rps needs only 12.
PER_SECOND_HISTORY = 60
#: Seconds the "current" figures cover (complete seconds; see StatsEntry.current).
CURRENT_WINDOW = 10
#: Seconds of per-second histograms an entry keeps: the window, the seconds
#: still incomplete on a master (a slave reports every 3 s), and a margin
#: for the history, which reads settled seconds (locust.history).
WINDOW_SLOTS = 16
# The newest seconds left out of the window as still incomplete: slaves
# report every few seconds (as Locust 0.7's current_rps).
_WINDOW_LAG = 2

def _int_keys(data):
    # Accepts int or str keys (JSON), or a list of pairs.
    items = data.items() if isinstance(data, dict) else data
    return {int(k): v for k, v in items}


# ------------------------------------------------------------------ entries

class StatsEntry:
    """The statistics of one request name and method (or of the Total).

    ``stats`` is the owning :class:`RequestStats`, or None for a detached
    entry (e.g. an unserialized one); its clock and its Total's timestamps
    drive the current figures and :attr:`total_rps`.
    """

    #: Seconds like time.time; an owned entry takes its RequestStats' clock.
    clock = staticmethod(time.time)

    def __init__(self, stats, name, method):
        self.stats = stats
        self.name = name
        self.method = method
        if stats is not None:
            self.clock = stats.clock
        self.reset()

    def reset(self):
        """Zero every counter and the window; start_time becomes now."""
        self.start_time = self.clock()
        self.num_requests = self.num_failures = 0
        self.total_response_time = self.max_response_time = self.total_content_length = 0
        self.min_response_time = self.last_request_timestamp = self._second = None
        self.response_times = Histogram()
        self.total_fail_response_time = self.max_fail_response_time = 0
        self.min_fail_response_time = None
        self.fail_response_times = Histogram()
        self.num_reqs_per_sec, self.num_fail_per_sec = {}, {}
        #: second -> {bucket: count} of every request of that second.
        self.window_times = {}
        self._slot = {}

    # Hot path: RequestStats.log_request computes the clock and the bucket
    # once and calls _record on two entries.
    def log(self, response_time, content_length):
        """Log a successful request: its time (ms) and size (bytes)."""
        self._record(self.clock(), response_time, bucket_of(response_time), content_length)

    def _record(self, now, ms, key, content_length):
        self.num_requests += 1
        self.total_response_time += ms
        low = self.min_response_time
        if low is None or ms < low:
            self.min_response_time = ms
        if ms > self.max_response_time:
            self.max_response_time = ms
        if content_length:
            self.total_content_length += content_length
        hist = self.response_times
        hist[key] = hist.get(key, 0) + 1
        second = int(now)
        if second != self._second:
            self._prune(second)
        per = self.num_reqs_per_sec
        per[second] = per.get(second, 0) + 1
        # The window: one more dict update (the slot is found once a second).
        slot = self._slot
        slot[key] = slot.get(key, 0) + 1
        self.last_request_timestamp = now

    def _prune(self, second):
        # Called when a new second starts (or after a merge): log() stays
        # cheap and the per-second dicts hold at most PER_SECOND_HISTORY s,
        # the window's histograms WINDOW_SLOTS s.
        self._second = second
        oldest = second - PER_SECOND_HISTORY
        for per in (self.num_reqs_per_sec, self.num_fail_per_sec):
            for old in [s for s in per if s < oldest]:
                del per[old]
        window = self.window_times
        oldest = second - WINDOW_SLOTS
        for old in [s for s in window if s < oldest]:
            del window[old]
        slot = window.get(second)
        if slot is None:
            slot = window[second] = {}
        self._slot = slot

    def log_error(self, error=None, now=None, response_time=None):  # noqa: ARG002 - the 0.7 signature; errors are grouped by RequestStats
        """Log a failure (RequestStats groups the errors) and, when given,
        its response time (ms), which the ``all_*`` and current figures
        count. It moves last_request_timestamp, so the windows move on."""
        if now is None:
            now = self.clock()
        self.num_failures += 1
        second = int(now)
        if second != self._second:
            self._prune(second)
        per = self.num_fail_per_sec
        per[second] = per.get(second, 0) + 1
        if response_time is not None:
            ms = response_time
            key = bucket_of(ms)
            self.total_fail_response_time += ms
            low = self.min_fail_response_time
            if low is None or ms < low:
                self.min_fail_response_time = ms
            if ms > self.max_fail_response_time:
                self.max_fail_response_time = ms
            hist = self.fail_response_times
            hist[key] = hist.get(key, 0) + 1
            slot = self._slot
            slot[key] = slot.get(key, 0) + 1
        self.last_request_timestamp = now

    # -- cumulative figures of the successes (Locust 0.7's meaning) -----------

    @property
    def fail_ratio(self):
        """Failures / (successes + failures); 0.0 with neither."""
        total = self.num_requests + self.num_failures
        return self.num_failures / total if total else 0.0

    @property
    def avg_response_time(self):
        """Mean response time of the successes in ms (0 when none)."""
        return self.total_response_time / self.num_requests if self.num_requests else 0

    @property
    def avg_content_length(self):
        """Mean content size of the successes in bytes (0 when none)."""
        return self.total_content_length / self.num_requests if self.num_requests else 0

    @property
    def median_response_time(self):
        """The time at 0-based position (n-1)//2 of the sorted times, 0 when
        none (for an even n the lower middle one, as in Locust 0.7)."""
        n = self.response_times.count
        return self._at_rank((n - 1) // 2, n) if n else 0

    def get_response_time_percentile(self, p):
        """The time at percentile ``p`` (0..1), as :meth:`Histogram.percentile`;
        the first and last positions give the exact min and max."""
        n = self.response_times.count
        return self._at_rank(min(int(n * p), n - 1), n) if n else 0

    def _at_rank(self, rank, n):
        return _clamped(self.response_times, rank, n, self.min_response_time,
                        self.max_response_time)

    def percentiles(self, ps=PERCENTILES_TO_REPORT):
        """The response times at each percentile of ``ps``, as a list."""
        return [self.get_response_time_percentile(p) for p in ps]

    # -- cumulative figures of every request, failed ones included ----------

    @property
    def all_response_times(self):
        """The histogram of every request's time (successes and failures)."""
        if not self.fail_response_times:
            return self.response_times
        both = Histogram(self.response_times)
        both.merge(self.fail_response_times)
        return both

    @property
    def all_min_response_time(self):
        """The shortest time of any request, or None."""
        return _pick(min, self.min_response_time, self.min_fail_response_time)

    @property
    def all_max_response_time(self):
        """The longest time of any request (0 when none)."""
        return max(self.max_response_time, self.max_fail_response_time)

    @property
    def all_avg_response_time(self):
        """Mean time of every timed request in ms (0 when none)."""
        n = self.num_requests + self.fail_response_times.count
        return (self.total_response_time + self.total_fail_response_time) / n if n else 0

    @property
    def all_median_response_time(self):
        """The median (lower middle) of every request's time, 0 when none."""
        hist = self.all_response_times
        n = hist.count
        return _clamped(hist, (n - 1) // 2, n, self.all_min_response_time,
                        self.all_max_response_time) if n else 0

    def all_percentiles(self, ps):
        """Percentiles (0..1) of every request's time, failed ones included."""
        hist = self.all_response_times
        n = hist.count
        low, high = self.all_min_response_time, self.all_max_response_time
        return [_clamped(hist, min(int(n * p), n - 1), n, low, high) if n else 0 for p in ps]

    # -- rates and the current window -----------------------------------------

    def _clock_window(self):
        owner = self.stats.total if self.stats is not None else self
        return owner.last_request_timestamp, owner.start_time

    def _window_seconds(self):
        # Seconds t-12 .. t-3 (CURRENT_WINDOW of them), t = int(the owning
        # stats' last request time), cut to start no earlier than start_time.
        last, start = self._clock_window()
        if last is None:
            return range(0)
        t = int(last)
        return range(max(t - _WINDOW_LAG - CURRENT_WINDOW, int(start)), t - _WINDOW_LAG)

    @property
    def current_rps(self):
        """Successes per second over the current window (0 before any request).

        The window is seconds t-12 .. t-3, t = int(the owning stats' last
        request time), cut to start no earlier than int(start_time). The
        last seconds are left out as still incomplete (slaves report every
        few seconds). As Locust 0.7.
        """
        seconds = self._window_seconds()
        if not seconds:
            return 0.0
        get = self.num_reqs_per_sec.get
        return sum(get(s, 0) for s in seconds) / len(seconds)

    @property
    def current_fail_per_sec(self):
        """Failures per second over the same window as :attr:`current_rps`."""
        seconds = self._window_seconds()
        if not seconds:
            return 0.0
        get = self.num_fail_per_sec.get
        return sum(get(s, 0) for s in seconds) / len(seconds)

    def window_histogram(self, seconds):
        """The histogram of every request logged in ``seconds`` (ints)."""
        merged = Histogram()
        window = self.window_times
        for second in seconds:
            slot = window.get(second)
            if slot:
                merged.merge(slot)
        return merged

    def current(self, ps=(0.5, 0.95, 0.99)):
        """The current window: ``{"rps", "fail_per_sec", "percentiles"}``.

        ``rps`` counts every request (successes and failures) per second,
        ``fail_per_sec`` the failures; ``percentiles`` maps each ``p`` of
        ``ps`` to the time (ms) of the window's requests at it, or None
        when the window holds none (within 1%, as the histogram).
        """
        seconds = self._window_seconds()
        hist = self.window_histogram(seconds)
        width = len(seconds) or 1
        get_ok, get_fail = self.num_reqs_per_sec.get, self.num_fail_per_sec.get
        fails = sum(get_fail(s, 0) for s in seconds)
        total = sum(get_ok(s, 0) for s in seconds) + fails
        return {"rps": total / width, "fail_per_sec": fails / width,
                "percentiles": {p: (hist.percentile(p) if hist else None) for p in ps}}

    @property
    def total_rps(self):
        """Successes / seconds between start_time and the last request (>= 1)."""
        last, start = self._clock_window()
        if last is None or start is None:
            return 0.0
        return self.num_requests / max(last - start, 1)

    @property
    def total_all_rps(self):
        """Every request (successes and failures) / the same seconds as total_rps."""
        last, start = self._clock_window()
        if last is None or start is None:
            return 0.0
        return (self.num_requests + self.num_failures) / max(last - start, 1)

    # -- merging and the wire ---------------------------------------------------

    def extend(self, other):
        """Add another entry's counts to this one (exactly, buckets included).

        min/start_time take the smaller, max/last_request_timestamp the
        larger; a None (nothing recorded) never wins over a number.
        """
        self.num_requests += other.num_requests
        self.num_failures += other.num_failures
        self.total_response_time += other.total_response_time
        self.total_content_length += other.total_content_length
        self.max_response_time = max(self.max_response_time, other.max_response_time)
        self.min_response_time = _pick(min, self.min_response_time, other.min_response_time)
        self.total_fail_response_time += other.total_fail_response_time
        self.max_fail_response_time = max(self.max_fail_response_time, other.max_fail_response_time)
        self.min_fail_response_time = _pick(min, self.min_fail_response_time,
                                            other.min_fail_response_time)
        self.start_time = _pick(min, self.start_time, other.start_time)
        self.last_request_timestamp = _pick(
            max, self.last_request_timestamp, other.last_request_timestamp)
        self.response_times.merge(other.response_times)
        self.fail_response_times.merge(other.fail_response_times)
        for mine, theirs in ((self.num_reqs_per_sec, other.num_reqs_per_sec),
                             (self.num_fail_per_sec, other.num_fail_per_sec)):
            for second, count in theirs.items():
                mine[second] = mine.get(second, 0) + count
        window = self.window_times
        for second, slot in other.window_times.items():
            mine = window.get(second)
            if mine is None:
                window[second] = dict(slot)
            else:
                for key, count in slot.items():
                    mine[key] = mine.get(key, 0) + count
        if self.last_request_timestamp is not None:
            self._prune(int(self.last_request_timestamp))

    _FIELDS = ("name", "method", "last_request_timestamp", "start_time", "num_requests",
               "num_failures", "total_response_time", "max_response_time",
               "min_response_time", "total_content_length")
    # Added later: optional on the wire, so a report without them still merges.
    _FAIL_FIELDS = (("total_fail_response_time", 0), ("max_fail_response_time", 0),
                    ("min_fail_response_time", None))

    def serialize(self):
        """This entry as a plain dict (the wire form)."""
        data = {field: getattr(self, field) for field in self._FIELDS}
        data["response_times"] = dict(self.response_times)
        data["num_reqs_per_sec"] = dict(self.num_reqs_per_sec)
        data["num_fail_per_sec"] = dict(self.num_fail_per_sec)
        if self.fail_response_times:
            for field, _ in self._FAIL_FIELDS:
                data[field] = getattr(self, field)
            data["fail_response_times"] = dict(self.fail_response_times)
        data["window_times"] = {s: dict(slot) for s, slot in self.window_times.items() if slot}
        return data

    @classmethod
    def unserialize(cls, data):
        """A detached entry (stats None) from :meth:`serialize`'s dict;
        KeyError if a field is missing."""
        entry = cls(None, data["name"], data["method"])
        for field in cls._FIELDS[2:]:
            setattr(entry, field, data[field])
        for field, default in cls._FAIL_FIELDS:
            setattr(entry, field, data.get(field, default))
        entry.response_times = Histogram(_int_keys(data["response_times"]))
        entry.fail_response_times = Histogram(_int_keys(data.get("fail_response_times", {})))
        entry.num_reqs_per_sec = _int_keys(data["num_reqs_per_sec"])
        entry.num_fail_per_sec = _int_keys(data.get("num_fail_per_sec", {}))
        entry.window_times = {int(s): _int_keys(slot)
                              for s, slot in _int_keys(data.get("window_times", {})).items()}
        return entry

    def get_stripped_report(self):
        """Serialize, then reset: the delta since the previous call."""
        report = self.serialize()
        self.reset()
        return report


def _clamped(hist, rank, n, low, high):
    """The histogram's value at ``rank`` of ``n``, the exact min and max at
    the ends, clamped to [low, high] (the exact value lies there, so
    clamping can only bring the bucket's value closer to it)."""
    if rank == n - 1:
        return high
    if rank == 0 and low is not None:
        return low
    value = hist.value_at_rank(rank)
    if low is not None and value < low:
        return low
    return high if value > high else value


def _pick(fn, a, b):
    return b if a is None else a if b is None else fn(a, b)


# -------------------------------------------------------------- RequestStats

class RequestStats:
    """All entries, errors and the Total of one process. ``clock`` (default
    time.time) goes to every entry, so tests drive time without sleeping."""

    clock = staticmethod(time.time)

    def __init__(self, clock=None):
        if clock is not None:
            self.clock = clock
        #: None, or the request cap (-n): see :attr:`cap_reached`.
        self.max_requests = None
        self.entries = {}
        self.errors = {}
        self.total = StatsEntry(self, "Total", None)

    @property
    def num_requests(self):
        """Successful requests since the last reset."""
        return self.total.num_requests

    @property
    def num_failures(self):
        """Failed requests since the last reset."""
        return self.total.num_failures

    @property
    def start_time(self):
        """When counting started (the Total's start_time)."""
        return self.total.start_time

    @property
    def last_request_timestamp(self):
        """Time of the last request logged or merged, or None."""
        return self.total.last_request_timestamp

    @property
    def cap_reached(self):
        """True once successes + failures reach ``max_requests``. Logging
        never raises: the runner checks this and stops the users."""
        cap = self.max_requests
        return cap is not None and self.total.num_requests + self.total.num_failures >= cap

    def get(self, name, method):
        """The entry of (name, method), created when missing."""
        entry = self.entries.get((name, method))
        if entry is None:
            entry = self.entries[(name, method)] = StatsEntry(self, name, method)
        return entry

    def log_request(self, method, name, response_time, content_length):
        """Log a success into its entry and the Total."""
        now = self.clock()
        ms = response_time
        key = int(ms * 10 + 0.5) if ms < _LINEAR_END else int(_log(ms) * _C + _B)  # = bucket_of
        self.total._record(now, ms, key, content_length)
        entry = self.entries.get((name, method))
        if entry is None:
            entry = self.get(name, method)
        entry._record(now, ms, key, content_length)

    def log_error(self, method, name, error, response_time=None):
        """Log a failure into its entry and the Total, and count the error.

        ``response_time`` (ms; None when the request got no answer worth
        timing) goes into the failures' own histogram and the window."""
        now = self.clock()
        if response_time is not None:
            try:
                response_time = float(response_time)
            except (TypeError, ValueError):
                response_time = None
            else:
                if not response_time >= 0 or response_time == float("inf"):
                    response_time = None
        self.total.log_error(error, now, response_time)
        self.get(name, method).log_error(error, now, response_time)
        key = StatsError.key(method, name, error)
        found = self.errors.get(key)
        if found is None:
            found = self.errors[key] = StatsError(method, name, error)
        found.occured()

    def reset_all(self):
        """Zero the Total and every entry (kept), and drop the errors: their
        counts would contradict the zeroed failures (0.7 kept them)."""
        self.total.reset()
        for entry in self.entries.values():
            entry.reset()
        self.errors = {}

    def clear_all(self):
        """Forget every entry and error and start a new Total."""
        self.entries = {}
        self.errors = {}
        self.total = StatsEntry(self, "Total", None)

    def serialize_errors(self):
        """{key: StatsError.to_dict()} of every error."""
        return {key: err.to_dict() for key, err in self.errors.items()}

    def serialize_and_reset(self):
        """The delta a slave sends, then zero: ``{"stats": [changed entries],
        "stats_total": Total, "errors": {key: error dict}}``."""
        data = {
            "stats": [e.get_stripped_report() for e in self.entries.values()
                      if e.num_requests or e.num_failures],
            "stats_total": self.total.get_stripped_report(),
            "errors": self.serialize_errors(),
        }
        self.errors = {}
        return data

    def merge(self, data):
        """Add a slave's :meth:`serialize_and_reset` delta, exactly. Without
        "stats_total" the Total sums the entries. KeyError if malformed."""
        for item in data.get("stats", ()):
            other = StatsEntry.unserialize(item)
            self.get(other.name, other.method).extend(other)
            if "stats_total" not in data:
                self.total.extend(other)
        if "stats_total" in data:
            self.total.extend(StatsEntry.unserialize(data["stats_total"]))
        for item in data.get("errors", {}).values():
            err = StatsError.from_dict(item)
            key = StatsError.key(err.method, err.name, err.error)
            if key in self.errors:
                self.errors[key].occured(err.occurences)
            else:
                self.errors[key] = err


#: The statistics of this process, fed by the request events.
global_stats = RequestStats()


def on_request_success(request_type, name, response_time, response_length, **_kwargs):
    """Listener of events.request_success: logs into :data:`global_stats`."""
    global_stats.log_request(request_type, name, response_time, response_length)


def on_request_failure(request_type, name, response_time, exception, **_kwargs):
    """Listener of events.request_failure: logs the failure, its time and its error."""
    global_stats.log_error(request_type, name, exception, response_time)


events.request_success += on_request_success
events.request_failure += on_request_failure
