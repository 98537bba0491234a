"""The wire between a master and its slaves: messages, their checks, the ports.

A message is msgpack of ``[type, data, node_id]`` (never pickle: a peer
must not be able to run code in us by sending bytes). :func:`encode` makes
one frame; :func:`decode` turns a frame back into a :class:`Message` and
raises :class:`MessageError` for anything that is not exactly that shape:
not msgpack, too big, not a 3-item array, an unknown type, a node id that is
not a short str, or ``data`` whose fields have the wrong types or values
out of range for its type. The endpoints (:mod:`locust.endpoint`) log such
frames (rate-limited, :class:`RateLimitedLog`, naming the sender), drop
them and go on serving.

**Every number is bounded.** A statistics report is checked field by field
(the tables :data:`ENTRY_FIELDS`, :data:`ERROR_FIELDS`,
:data:`STATS_FIELDS`, and the rules between fields, :data:`ENTRY_RULES`):
counts are non-negative ints up to :data:`MAX_COUNT`; response times are
finite, from 0 to :data:`MAX_RESPONSE_TIME` (a day); histogram buckets are
those of :mod:`locust.stats` up to that time (:data:`MAX_BUCKET`) and hold
exactly ``num_requests`` times; sums are at most the count times the
largest value; timestamps are within :data:`MAX_CLOCK_SKEW` (a day) of the
receiver's clock; a report has at most :data:`MAX_ENTRIES_PER_REPORT`
request names, :data:`MAX_ERRORS_PER_REPORT` error rows and
:data:`MAX_BUCKETS_PER_REPORT` histogram buckets (a slave with more splits
them over several reports); user counts are at most
:data:`locust.runners.MAX_USERS_PER_PROCESS`. A report that fails one
check is dropped whole: nothing of it is merged. A new field of a report is
one line in its table.

Sockets (ZeroMQ, :mod:`locust.engine.zmq`; the plumbing both sides share is
:class:`locust.endpoint.Endpoint`). The master uses two ports, as
documented since Locust 0.7: it binds a ROUTER on ``--master-bind-port``
(P) for everything but heartbeats, and a second ROUTER on P+1 for the
heartbeats only, so liveness is never queued behind statistics. Each slave
connects one DEALER to P and one to P+1, both with the ZeroMQ identity
``node_id`` (``hostname_randomhex``): the master addresses every slave
individually (a split like 10 over 3 is exactly 4/3/3), and a frame's
identity must match the node id inside it. A DEALER frame arrives on the
ROUTER as ``[identity, payload]``; any other frame count is dropped.

There is no authentication: anyone who can reach P and P+1 can take part in
a test (join as a slave, send reports). Do not expose these ports beyond a
trusted network.
"""

import logging
import math
import time

import msgpack

from .engine import call_later as engine_call_later
from .runners import MAX_USERS_PER_PROCESS
from .stats import bucket_of

__all__ = [
    "MessageError", "Message", "encode", "decode", "MAX_MESSAGE_SIZE",
    "MASTER_TO_SLAVE", "SLAVE_TO_MASTER", "RateLimitedLog",
    "HEARTBEAT_INTERVAL", "HEARTBEAT_LIVENESS", "REPORT_INTERVAL", "MIN_REPORT_INTERVAL",
    "heartbeat_interval", "report_interval", "MAX_ENTRIES_PER_REPORT", "MAX_ERRORS_PER_REPORT",
    "MAX_BUCKETS_PER_REPORT", "check_stats", "entry_buckets",
    "MAX_RESPONSE_TIME", "MAX_BUCKET", "MAX_COUNT", "MAX_CLOCK_SKEW", "MAX_SLAVES",
]

#: Largest frame accepted (bytes). A statistics report of a few hundred
#: request names with full histograms is a few MB; this leaves room and
#: bounds what one peer can make us buffer. The master also sets ZeroMQ's
#: MAXMSGSIZE to it, so a bigger frame is never even read into memory.
MAX_MESSAGE_SIZE = 32 * 1024 * 1024
#: Most items in one array or map of a message.
MAX_ITEMS = 1_000_000
#: Seconds between two heartbeats, both ways (``--heartbeat-interval``).
HEARTBEAT_INTERVAL = 1.0
#: Heartbeat intervals of silence after which a peer counts as gone.
HEARTBEAT_LIVENESS = 3
#: Seconds between two statistics reports of a slave (``--report-interval``).
REPORT_INTERVAL = 3.0
#: The shortest report interval accepted.
MIN_REPORT_INTERVAL = 0.5
#: Longest node id accepted (a ZeroMQ identity is at most 255 bytes).
MAX_NODE_ID = 255
#: The most nodes a master knows at once, candidates included (the default
#: of ``--max-slaves``).
MAX_SLAVES = 10_000
#: Highest CPU percentage a heartbeat may carry (a process on many cores
#: can pass 100%).
MAX_CPU_PERCENT = 100_000
#: Largest memory a heartbeat may carry, in bytes (1 PiB).
MAX_MEMORY = 2 ** 50
#: Most seconds of window histograms in one stats entry of a report (a
#: slave sends those since its last report: a few).
MAX_WINDOW_SLOTS = 120

# -- the bounds of a statistics report ---------------------------------------
# Every number a slave reports is checked against these before anything is
# merged: a report that fails one check is dropped whole (see decode).
#: Most request names (entries) in one report. A slave with more changed
#: names in one interval sends them in several reports (locust.slave).
MAX_ENTRIES_PER_REPORT = 5_000
#: Most error rows in one report (a slave splits its reports likewise).
MAX_ERRORS_PER_REPORT = 5_000
#: Most histogram buckets in one report, all entries together: what merging
#: one report costs the master (~0.2 us a bucket, so at most ~0.2 s; a slave
#: splits its reports to stay under it). 1,000 names with 200 buckets each
#: are 200,000.
MAX_BUCKETS_PER_REPORT = 1_000_000
#: Longest response time accepted, in ms: a day.
MAX_RESPONSE_TIME = 86_400_000.0
#: The largest histogram bucket (that of MAX_RESPONSE_TIME; locust.stats).
MAX_BUCKET = bucket_of(MAX_RESPONSE_TIME)
#: Largest count in one report (requests, failures, occurrences, per second).
MAX_COUNT = 10 ** 12
#: Largest response accepted, in bytes (1 TiB).
MAX_CONTENT_LENGTH = 2 ** 40
#: Seconds a reported timestamp may be away from the receiver's clock.
MAX_CLOCK_SKEW = 86_400
#: Most seconds in an entry's per-second counts (it keeps 60).
MAX_SECONDS = 3_600
#: Longest request name, method, error text or error key, in characters.
MAX_NAME = 16_384
#: Longest exception message and traceback, in characters.
MAX_TEXT = 1_000_000
#: Most Locust classes in a hatch message.
MAX_CLASSES = 10_000

#: The clock timestamps are checked against (wall clock, like the slaves').
wall_clock = time.time


def heartbeat_interval(options):
    """The heartbeat interval of ``options`` (``--heartbeat-interval``), or the default."""
    return float(getattr(options, "heartbeat_interval", None) or HEARTBEAT_INTERVAL)


def report_interval(options):
    """The report interval of ``options`` (``--report-interval``), or the default."""
    return max(MIN_REPORT_INTERVAL,
               float(getattr(options, "report_interval", None) or REPORT_INTERVAL))


class MessageError(ValueError):
    """A frame that is not a valid message; ``str()`` says why (one line)."""


# -- value checks: each takes a value and returns True if it is acceptable ----

def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_count(value):
    return _is_int(value) and 0 <= value <= MAX_COUNT


def _is_users(value):
    return _is_int(value) and 0 <= value <= MAX_USERS_PER_PROCESS


def _is_number(value):
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _in_range(low, high):
    return lambda value: _is_number(value) and low <= value <= high


_is_ms = _in_range(0, MAX_RESPONSE_TIME)
_is_sum = _in_range(0, MAX_COUNT * MAX_CONTENT_LENGTH)  # checked against the count below


def _is_timestamp(value):
    return _is_number(value) and abs(value - wall_clock()) <= MAX_CLOCK_SKEW


def _optional(check):
    return lambda value: value is None or check(value)


#: Stands for a field that is not in the map.
ABSENT = object()


def _may_be_absent(check):
    return lambda value: value is ABSENT or check(value)


def _text(limit):
    return lambda value: isinstance(value, str) and len(value) <= limit


def _ints_within(values, low, high):
    # At C speed (a histogram may have 1,700 buckets, a frame thousands of
    # them): every item an int (not a bool, whose type is bool), low..high.
    return not values or (set(map(type, values)) == {int}
                          and low <= min(values) and max(values) <= high)


def _is_histogram(value):
    # {bucket: count}: the buckets of locust.stats.Histogram, up to MAX_BUCKET.
    return (isinstance(value, dict) and len(value) <= MAX_BUCKET + 1
            and _ints_within(value.keys(), 0, MAX_BUCKET)
            and _ints_within(value.values(), 0, MAX_COUNT))


def _is_per_second(value):
    # {unix second: count}, seconds within MAX_CLOCK_SKEW of now.
    if not isinstance(value, dict) or len(value) > MAX_SECONDS:
        return False
    now = int(wall_clock())
    return (_ints_within(value.keys(), now - MAX_CLOCK_SKEW, now + MAX_CLOCK_SKEW)
            and _ints_within(value.values(), 0, MAX_COUNT))


def _is_window(value):
    # The window: {second: {bucket: count}}, seconds within MAX_CLOCK_SKEW of now.
    if not isinstance(value, dict) or len(value) > MAX_WINDOW_SLOTS:
        return False
    now = int(wall_clock())
    return (_ints_within(value.keys(), now - MAX_CLOCK_SKEW, now + MAX_CLOCK_SKEW)
            and all(_is_histogram(slot) for slot in value.values()))


def _map_of(check_key, check_value, limit):
    return lambda value: isinstance(value, dict) and len(value) <= limit and all(
        check_key(k) and check_value(v) for k, v in value.items())


def _list_of(check, limit):
    return lambda value: isinstance(value, list) and len(value) <= limit and all(
        check(item) for item in value)


def _check_fields(data, fields):
    """The first field of ``fields`` ({name: check}) that fails, or None."""
    for field, check in fields.items():
        if not check(data.get(field, ABSENT)):
            return field
    return None


# -- statistics reports ------------------------------------------------------
# Tables, so that a new field is one line: a field missing from a map is
# ABSENT (wrap its check in _may_be_absent when the field is optional).

#: Fields of one stats entry (locust.stats.StatsEntry.serialize).
ENTRY_FIELDS = {
    "name": _text(MAX_NAME),
    "method": _optional(_text(MAX_NAME)),
    "last_request_timestamp": _optional(_is_timestamp),
    "start_time": _optional(_is_timestamp),
    "num_requests": _is_count,
    "num_failures": _is_count,
    "total_response_time": _in_range(0, MAX_COUNT * MAX_RESPONSE_TIME),
    "max_response_time": _is_ms,
    "min_response_time": _optional(_is_ms),
    "total_content_length": _is_sum,
    "response_times": _is_histogram,
    "num_reqs_per_sec": _is_per_second,
    "num_fail_per_sec": _may_be_absent(_is_per_second),
    # Failures with a response time (locust.stats: the all_* figures) and
    # the rolling window; a report may leave them out (older senders).
    "fail_response_times": _may_be_absent(_is_histogram),
    "total_fail_response_time": _may_be_absent(_in_range(0, MAX_COUNT * MAX_RESPONSE_TIME)),
    "max_fail_response_time": _may_be_absent(_is_ms),
    "min_fail_response_time": _may_be_absent(_optional(_is_ms)),
    "window_times": _may_be_absent(_is_window),
}

#: Rules between the fields of one entry (their fields passed ENTRY_FIELDS).
ENTRY_RULES = (
    ("its histogram does not hold num_requests times",
     lambda e: sum(e["response_times"].values()) == e["num_requests"]),
    ("total_response_time is over num_requests times the longest time",
     lambda e: e["total_response_time"] <= e["num_requests"] * MAX_RESPONSE_TIME),
    ("total_content_length is over num_requests times the largest size",
     lambda e: e["total_content_length"] <= e["num_requests"] * MAX_CONTENT_LENGTH),
    ("min_response_time is over max_response_time",
     lambda e: e["min_response_time"] is None or e["min_response_time"] <= e["max_response_time"]),
    ("its failures' histogram holds more times than num_failures",
     lambda e: sum(e.get("fail_response_times", {}).values()) <= e["num_failures"]),
    ("total_fail_response_time is over num_failures times the longest time",
     lambda e: e.get("total_fail_response_time", 0) <= e["num_failures"] * MAX_RESPONSE_TIME),
    ("its window holds more times than requests",
     lambda e: sum(sum(slot.values()) for slot in e.get("window_times", {}).values())
     <= e["num_requests"] + e["num_failures"]),
)


def entry_buckets(entry):
    """The histogram buckets of an entry: what merging it costs."""
    return (len(entry["response_times"]) + len(entry.get("fail_response_times", ()))
            + sum(len(slot) for slot in entry.get("window_times", {}).values()))


def _entry_problem(entry):
    if not isinstance(entry, dict):
        return "a stats entry is not a map"
    field = _check_fields(entry, ENTRY_FIELDS)
    if field is not None:
        return "stats entry field %r is missing or out of range" % field
    for why, rule in ENTRY_RULES:
        if not rule(entry):
            return "stats entry %r: %s" % (entry["name"][:60], why)
    return None


#: Fields of one error row (locust.stats.StatsError.to_dict).
ERROR_FIELDS = {
    "name": _text(MAX_NAME),
    "method": _optional(_text(MAX_NAME)),
    "error": _text(MAX_NAME),
    "occurences": _is_count,
}


def _is_error_row(item):
    return isinstance(item, dict) and _check_fields(item, ERROR_FIELDS) is None


#: Fields of a ``stats`` message's data (locust.slave sends it). Keys that
#: ``report_to_master`` listeners add are the locustfile's and not checked
#: (the frame size bounds them).
STATS_FIELDS = {
    "stats": _list_of(lambda e: isinstance(e, dict), MAX_ENTRIES_PER_REPORT),
    "stats_total": _may_be_absent(lambda e: isinstance(e, dict)),
    "errors": _may_be_absent(_map_of(_text(MAX_NAME), _is_error_row, MAX_ERRORS_PER_REPORT)),
    "user_count": _is_users,
    "stats_epoch": _may_be_absent(_optional(_is_count)),
}


def check_stats(data):
    """Why a ``stats`` message's data would be refused (one line), or None."""
    field = _check_fields(data, STATS_FIELDS)
    if field is not None:
        if field == "errors":
            return "an error row is malformed, or 'errors' is not a map of at most %d rows" % (
                MAX_ERRORS_PER_REPORT)
        if field == "stats":
            return "'stats' must be a list of at most %d entries" % MAX_ENTRIES_PER_REPORT
        return "field %r is missing or out of range" % field
    buckets = 0
    for entry in data["stats"]:
        problem = _entry_problem(entry)
        if problem:
            return problem
        buckets += entry_buckets(entry)
    if buckets > MAX_BUCKETS_PER_REPORT:
        return "%d histogram buckets, more than %d in one report" % (
            buckets, MAX_BUCKETS_PER_REPORT)
    if "stats_total" in data:
        problem = _entry_problem(data["stats_total"])
        if problem:
            return "stats_total: " + problem
    return None


def _fields(**checks):
    """A data check: ``data`` is a map whose named fields pass their checks."""
    def check(data):
        for field, ok in checks.items():
            if not ok(data.get(field)):  # a missing field is None here
                return "field %r is missing or out of range" % field
        return None
    return check


def _anything(_data):
    return None


_is_generation = _is_count
_is_state = _optional(_text(32))

# type -> check of ``data`` (a map, or nil for the types that carry none).
#: Types a slave may send the master.
SLAVE_TO_MASTER = {
    "client_ready": _anything,
    "hatching": _anything,
    "hatch_complete": _fields(count=_is_users, generation=_optional(_is_generation)),
    "stats": check_stats,
    "exception": _fields(msg=_text(MAX_TEXT), traceback=_text(MAX_TEXT)),
    "client_stopped": _anything,
    "quit": _anything,
    "heartbeat": _fields(state=_is_state, user_count=_optional(_is_users),
                         cpu=_optional(_in_range(0, MAX_CPU_PERCENT)),
                         memory=_optional(lambda v: _is_int(v) and 0 <= v <= MAX_MEMORY)),
}
#: Types a master may send a slave.
MASTER_TO_SLAVE = {
    "hatch": _fields(num_clients=_is_users, hatch_rate=lambda v: _is_number(v) and v > 0,
                     class_counts=_map_of(_text(MAX_NAME), _is_users, MAX_CLASSES),
                     host=_optional(_text(MAX_NAME)),
                     generation=_is_generation, stats_epoch=_optional(_is_count)),
    "reset_stats": _fields(stats_epoch=_is_count),
    "stop": _anything,
    "quit": _anything,
    "heartbeat": _anything,
}


class Message:
    """One message: ``type`` (str), ``data`` (a dict, or None), ``node_id`` (str)."""

    __slots__ = ("type", "data", "node_id")

    def __init__(self, message_type, data, node_id):
        self.type = message_type
        self.data = data
        self.node_id = node_id

    def serialize(self):
        """The frame: msgpack of ``[type, data, node_id]``."""
        return encode(self.type, self.data, self.node_id)

    @classmethod
    def unserialize(cls, frame, allowed=None):
        """Same as :func:`decode`."""
        return decode(frame, allowed)

    def __repr__(self):
        return "Message(%r, %r, %r)" % (self.type, self.data, self.node_id)


def encode(message_type, data, node_id):
    """The frame of a message. Raises TypeError if ``data`` holds something
    msgpack cannot represent (e.g. a set, or an object from a listener of
    ``report_to_master``)."""
    return msgpack.packb([message_type, data, node_id], use_bin_type=True)


def decode(frame, allowed=None):
    """Decode and check one frame; returns a :class:`Message`.

    ``allowed`` maps the types accepted to their data checks
    (:data:`SLAVE_TO_MASTER` on a master, :data:`MASTER_TO_SLAVE` on a
    slave; default: either). ``data`` of a type with fields must be a map;
    for the others, a map or nil. Raises :class:`MessageError`.
    """
    if allowed is None:
        allowed = {**MASTER_TO_SLAVE, **SLAVE_TO_MASTER}
    if not isinstance(frame, (bytes, bytearray, memoryview)):
        raise MessageError("a frame must be bytes")
    if len(frame) > MAX_MESSAGE_SIZE:
        raise MessageError("frame of %d bytes is over the limit of %d" % (len(frame), MAX_MESSAGE_SIZE))
    try:
        # strict_map_key=False: histograms have int keys. The limits bound
        # what a small frame can make msgpack allocate (a 5-byte array
        # header may claim 4 billion items); ext types are never ours.
        value = msgpack.unpackb(frame, raw=False, strict_map_key=False,
                                max_str_len=MAX_MESSAGE_SIZE, max_bin_len=MAX_MESSAGE_SIZE,
                                max_array_len=MAX_ITEMS, max_map_len=MAX_ITEMS, max_ext_len=0)
    except Exception as exc:
        raise MessageError("not msgpack (%s)" % type(exc).__name__) from None
    if not isinstance(value, list) or len(value) != 3:
        raise MessageError("not a [type, data, node_id] array")
    message_type, data, node_id = value
    if not isinstance(message_type, str) or message_type not in allowed:
        raise MessageError("unknown message type %r" % (str(message_type)[:40],))
    if not isinstance(node_id, str) or not node_id or len(node_id.encode("utf-8")) > MAX_NODE_ID:
        raise MessageError("bad node id in a %r message" % message_type)
    check = allowed[message_type]
    if data is None and check is _anything:
        return Message(message_type, None, node_id)
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise MessageError("data of a %r message must be a map with str keys" % message_type)
    problem = check(data)
    if problem:
        raise MessageError("%s message: %s" % (message_type, problem))
    return Message(message_type, data, node_id)


class RateLimitedLog:
    """Log at most ``burst`` warnings per ``period`` seconds, then a count.

    A peer sending thousands of bad frames must not flood the log (nor
    spend our time formatting lines): beyond the burst, lines are counted
    and one "N more similar warnings were not logged" line is written when
    the period ends, by a timer, even if no warning follows. ``call_later``
    (``(seconds, callback)``; default: the hub's) schedules that timer.
    """

    def __init__(self, logger, burst=10, period=10.0, clock=time.monotonic, call_later=None):
        self.logger = logger
        self.burst = burst
        self.period = period
        self.clock = clock
        self._call_later = call_later
        self._window_start = None
        self._logged = 0
        self._suppressed = 0
        self._timer = None
        self._timed = False   # a timer will write the count

    def warning(self, fmt, *args):
        """Log ``fmt % args`` as a warning unless the burst is used up."""
        now = self.clock()
        if self._window_start is None or now - self._window_start >= self.period:
            self.flush()
            self._window_start = now
            self._logged = 0
        if self._logged < self.burst:
            self._logged += 1
            self.logger.warning(fmt, *args)
            return
        self._suppressed += 1
        if not self._timed:
            self._timed = True
            delay = max(0.0, self._window_start + self.period - now)
            call_later = self._call_later or engine_call_later
            self._timer = call_later(delay, self._period_ended)

    def flush(self):
        """Write the count of the warnings not logged so far, if any."""
        if self._suppressed:
            self.logger.warning("%d more similar warnings were not logged", self._suppressed)
            self._suppressed = 0
        timer, self._timer, self._timed = self._timer, None, False
        if timer is not None and hasattr(timer, "cancel"):
            timer.cancel()

    def _period_ended(self):
        self._timer = None
        self.flush()


#: The logger of the wire (malformed frames).
logger = logging.getLogger(__name__)
