"""Request statistics: entries, histograms, percentiles and errors.

Their CSV files and console tables are in :mod:`locust.stats_report`.

Each request is logged into its :class:`StatsEntry` (keyed by name and
method) and into the "Total" entry of the same :class:`RequestStats`.
Successes (``num_requests``) and failures (``num_failures``) are counted
apart, as in Locust 0.7; only successes carry a response time.

Response times (float ms) go into a :class:`Histogram`, a plain
``{bucket: count}`` dict: 0.1 ms buckets below 9.95 ms, 1% wide buckets
above, so percentiles are within 0.05 ms / 1% of the exact value and
slave histograms merge exactly by adding counts (~1,400 buckets span 0 ms
to an hour). A slave sends :meth:`RequestStats.serialize_and_reset` (a
delta) and the master adds it with :meth:`RequestStats.merge`. The wire
form is str/int/float/None/dict/list; histogram and per-second dicts have
int keys, so unpack with msgpack's ``strict_map_key=False`` (unserialize
also accepts str keys).
"""

import hashlib
import json
import math
import re
import time

from . import events

__all__ = [
    "Histogram", "bucket_of", "bucket_value", "StatsEntry", "StatsError",
    "RequestStats", "global_stats", "on_request_success", "on_request_failure",
    "error_text", "round_half_up", "PERCENTILES_TO_REPORT",
]

#: Percentiles of the console percentile table (the CSV has no 99.9%).
PERCENTILES_TO_REPORT = (0.5, 0.66, 0.75, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 1.0)
#: Seconds of per-second counts an entry keeps; current_rps needs only 12.
PER_SECOND_HISTORY = 60


# --------------------------------------------------------------- histogram

# Below _LINEAR_END the key is the time in tenths of a millisecond, rounded
# half up (bucket k = [k/10 - 0.05, k/10 + 0.05)). From _LINEAR_END on,
# key = 100 + floor(log(ms / 9.95) / log(1.01)): bucket k spans
# [9.95 * 1.01**(k-100), 9.95 * 1.01**(k-99)), so it is 1% wide. The two
# schemes meet at key 100 with no gap and no overlap (9.95 ms is where the
# 0.1 ms steps end and where 0.1 ms is ~1% of the value). Measured: a
# bucket_of call takes ~0.25 us; a math.frexp-based key was ~15% slower.
_LINEAR_END = 9.95
_C = 1.0 / math.log(1.01)
# The 1e-9 keeps 9.95 itself from computing to 99.9999... through rounding
# of the logarithm; it moves every boundary by a billionth of a bucket.
_B = 100.0 - math.log(_LINEAR_END) * _C + 1e-9
_log = math.log


def bucket_of(ms):
    """Return the histogram bucket (an int) of a response time in ms."""
    if ms < _LINEAR_END:
        return int(ms * 10 + 0.5)
    return int(_log(ms) * _C + _B)


_VALUES = {}


def bucket_value(key):
    """Return the value a bucket stands for: the roundest number inside it.

    That is the number in the bucket with the fewest significant digits
    (ties: the nearest to the bucket's centre), so integer times below
    100 ms come back exactly and 700 ms as 700, not 700.6; being inside the
    bucket, it is within 1% (0.05 ms below 9.95 ms) of any time in it.
    """
    value = _VALUES.get(key)
    if value is None:
        value = _VALUES[key] = _roundest(key)
    return value


def _roundest(key):
    if key < 100:
        return round(key / 10.0, 1)
    lo, hi = math.exp((key - _B) / _C), math.exp((key + 1 - _B) / _C)
    mid = math.sqrt(lo * hi)
    for exp10 in range(int(math.floor(math.log10(hi))), -7, -1):
        step = 10.0 ** exp10
        # Re-checked with bucket_of itself: float error in lo/hi can never
        # yield a value outside the bucket.
        found = [v for v in (round(m * step, max(0, -exp10)) for m in range(
            int(lo // step), int(hi // step) + 2)) if bucket_of(v) == key]
        if found:
            return min(found, key=lambda v: abs(v - mid))
    return mid


class Histogram(dict):
    """A mergeable response-time histogram: a plain dict of bucket -> count."""

    def record(self, ms, count=1):
        """Count ``count`` response times of ``ms`` milliseconds."""
        key = bucket_of(ms)
        self[key] = self.get(key, 0) + count

    def merge(self, other):
        """Add the counts of another histogram (or any bucket -> count dict)."""
        for key, count in other.items():
            key = int(key)
            self[key] = self.get(key, 0) + count

    @property
    def count(self):
        """The number of recorded times."""
        return sum(self.values())

    def value_at_rank(self, rank):
        """The value of the ``rank``-th smallest time (0-based); IndexError
        if there are not that many."""
        if rank >= 0:
            seen = 0
            for key in sorted(self):
                seen += self[key]
                if seen > rank:
                    return bucket_value(key)
        raise IndexError("rank %r out of a histogram of %d" % (rank, self.count))

    def percentile(self, p):
        """The time at percentile ``p`` (0..1), 0 when empty. As in Locust 0.7:
        the value at 0-based position int(n * p) of the sorted times, capped
        at n - 1 (so over 0..99, p=0.5 gives 50)."""
        n = self.count
        return self.value_at_rank(min(int(n * p), n - 1)) if n else 0


def round_half_up(value):
    """Round to an int, halves upward (2.5 -> 3), unlike Python 3's round()."""
    return int(math.floor(value + 0.5))


def _int_keys(data):
    # Accepts int or str keys (JSON), or a list of pairs.
    items = data.items() if isinstance(data, dict) else data
    return {int(k): v for k, v in items}


# ------------------------------------------------------------------ entries

class StatsEntry:
    """The statistics of one request name and method (or of the Total).

    ``stats`` is the owning :class:`RequestStats`, or None for a detached
    entry (e.g. an unserialized one); its clock and its Total's timestamps
    drive :attr:`current_rps` and :attr:`total_rps`.
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
        """Zero every counter; start_time becomes now."""
        self.start_time = self.clock()
        self.num_requests = self.num_failures = 0
        self.total_response_time = self.max_response_time = self.total_content_length = 0
        self.min_response_time = self.last_request_timestamp = self._second = None
        self.response_times = Histogram()
        self.num_reqs_per_sec, self.num_fail_per_sec = {}, {}

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
        self.last_request_timestamp = now

    def _prune(self, second):
        # Called when a new second starts (or after a merge): log() stays
        # cheap and the per-second dicts hold at most PER_SECOND_HISTORY s.
        self._second = second
        oldest = second - PER_SECOND_HISTORY
        for per in (self.num_reqs_per_sec, self.num_fail_per_sec):
            for old in [s for s in per if s < oldest]:
                del per[old]

    def log_error(self, error=None, now=None):  # noqa: ARG002 - the 0.7 signature; errors are grouped by RequestStats
        """Log a failure (no response time; RequestStats groups the errors).
        It moves last_request_timestamp, so rps windows move on meanwhile."""
        if now is None:
            now = self.clock()
        self.num_failures += 1
        second = int(now)
        if second != self._second:
            self._prune(second)
        per = self.num_fail_per_sec
        per[second] = per.get(second, 0) + 1
        self.last_request_timestamp = now

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
        low, high = self.min_response_time, self.max_response_time
        if rank == n - 1:
            return high
        if rank == 0 and low is not None:
            return low
        value = self.response_times.value_at_rank(rank)
        # The exact value lies in [min, max]: clamping can only bring the
        # bucket's value closer to it.
        if low is not None and value < low:
            return low
        return high if value > high else value

    def percentiles(self, ps=PERCENTILES_TO_REPORT):
        """The response times at each percentile of ``ps``, as a list."""
        return [self.get_response_time_percentile(p) for p in ps]

    def _clock_window(self):
        owner = self.stats.total if self.stats is not None else self
        return owner.last_request_timestamp, owner.start_time

    @property
    def current_rps(self):
        """Successes per second over seconds t-12 .. t-3 (0 before any request).

        t = int(the owning stats' last request time), the window cut to start
        no earlier than int(start_time). The last three seconds are left out
        as still incomplete (slaves report every few seconds). As Locust 0.7.
        """
        last, start = self._clock_window()
        if last is None:
            return 0.0
        t = int(last)
        seconds = range(max(t - 12, int(start)), t - 2)
        if not seconds:
            return 0.0
        get = self.num_reqs_per_sec.get
        return sum(get(s, 0) for s in seconds) / len(seconds)

    @property
    def total_rps(self):
        """Successes / seconds between start_time and the last request (>= 1)."""
        last, start = self._clock_window()
        if last is None or start is None:
            return 0.0
        return self.num_requests / max(last - start, 1)

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
        self.start_time = _pick(min, self.start_time, other.start_time)
        self.last_request_timestamp = _pick(
            max, self.last_request_timestamp, other.last_request_timestamp)
        self.response_times.merge(other.response_times)
        for mine, theirs in ((self.num_reqs_per_sec, other.num_reqs_per_sec),
                             (self.num_fail_per_sec, other.num_fail_per_sec)):
            for second, count in theirs.items():
                mine[second] = mine.get(second, 0) + count
        if self.last_request_timestamp is not None:
            self._prune(int(self.last_request_timestamp))

    _FIELDS = ("name", "method", "last_request_timestamp", "start_time", "num_requests",
               "num_failures", "total_response_time", "max_response_time",
               "min_response_time", "total_content_length")

    def serialize(self):
        """This entry as a plain dict (the wire form)."""
        data = {field: getattr(self, field) for field in self._FIELDS}
        data["response_times"] = dict(self.response_times)
        data["num_reqs_per_sec"] = dict(self.num_reqs_per_sec)
        data["num_fail_per_sec"] = dict(self.num_fail_per_sec)
        return data

    @classmethod
    def unserialize(cls, data):
        """A detached entry (stats None) from :meth:`serialize`'s dict;
        KeyError if a field is missing."""
        entry = cls(None, data["name"], data["method"])
        for field in cls._FIELDS[2:]:
            setattr(entry, field, data[field])
        entry.response_times = Histogram(_int_keys(data["response_times"]))
        entry.num_reqs_per_sec = _int_keys(data["num_reqs_per_sec"])
        entry.num_fail_per_sec = _int_keys(data.get("num_fail_per_sec", {}))
        return entry

    def get_stripped_report(self):
        """Serialize, then reset: the delta since the previous call."""
        report = self.serialize()
        self.reset()
        return report


def _pick(fn, a, b):
    return b if a is None else a if b is None else fn(a, b)


# ------------------------------------------------------------------- errors

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def error_text(error):
    """The text errors are grouped by.

    A str as given; an exception as ``Name('str of it')``, e.g.
    ``CatchResponseError('Got wrong response')`` (str, not repr, reads
    better for multi-argument errors). " at 0x..." addresses are removed,
    or every connection error would be a kind of its own.
    """
    if isinstance(error, str):
        text = error
    elif isinstance(error, BaseException):
        text = "%s(%r)" % (type(error).__name__, str(error))
    else:
        text = repr(error)
    return _ADDRESS.sub("", text)


class StatsError:
    """One kind of failure: method, name, error text, ``occurences`` (the
    original's spelling, kept: the web JSON and the wire form use it)."""

    def __init__(self, method, name, error, occurences=0):
        self.method = method
        self.name = name
        self.error = error_text(error)
        self.occurences = occurences

    @classmethod
    def key(cls, method, name, error):
        """The str key errors are grouped by (an md5 of method, name, text)."""
        raw = json.dumps([method, name, error_text(error)])
        return hashlib.md5(raw.encode("utf-8"), usedforsecurity=False).hexdigest()

    def occured(self, count=1):
        """Count ``count`` more occurences."""
        self.occurences += count

    def to_name(self):
        """``"METHOD name: error"``, as the error report shows it."""
        return "%s %s: %s" % (self.method, self.name, self.error)

    def to_dict(self):
        """The wire / JSON form: method, name, error, occurences."""
        return {"method": self.method, "name": self.name, "error": self.error,
                "occurences": self.occurences}

    @classmethod
    def from_dict(cls, data):
        """Inverse of :meth:`to_dict`. Raises KeyError on a missing field."""
        return cls(data["method"], data["name"], data["error"], data["occurences"])


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

    def log_error(self, method, name, error):
        """Log a failure into its entry and the Total, and count the error."""
        now = self.clock()
        self.total.log_error(error, now)
        self.get(name, method).log_error(error, now)
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


def on_request_failure(request_type, name, response_time, exception, **_kwargs):  # noqa: ARG001 - fired by keyword
    """Listener of events.request_failure: logs the failure and its error."""
    global_stats.log_error(request_type, name, exception)


events.request_success += on_request_success
events.request_failure += on_request_failure


def __getattr__(name):
    # PEP 562: the 2.x loops (stats_printer, stats_history) live in
    # locust.stats_loops, imported on first use.
    if name in ("stats_printer", "stats_history", "CONSOLE_STATS_INTERVAL_SEC",
                "HISTORY_STATS_INTERVAL_SEC"):
        from . import stats_loops
        return getattr(stats_loops, name)
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
