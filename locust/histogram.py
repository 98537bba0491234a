"""The response-time histogram: buckets of at most 1% of the value.

A :class:`Histogram` is a plain ``{bucket: count}`` dict (msgpack- and
JSON-friendly): 0.1 ms buckets below 9.95 ms, 1% wide buckets above, so
percentiles are within 0.05 ms / 1% of the exact value and histograms of
several processes merge exactly by adding counts (~1,400 buckets span 0 ms
to an hour). :mod:`locust.stats` builds its entries on it.
"""

import math

__all__ = ["Histogram", "bucket_of", "bucket_value", "round_half_up"]

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
