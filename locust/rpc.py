"""The wire between a master and its slaves: messages, their checks, the ports.

A message is msgpack of ``[type, data, node_id]`` (never pickle: a peer
must not be able to run code in us by sending bytes). :func:`encode` makes
one frame; :func:`decode` turns a frame back into a :class:`Message` and
raises :class:`MessageError` for anything that is not exactly that shape:
not msgpack, too big, not a 3-item array, an unknown type, a node id that is
not a short str, or ``data`` whose fields have the wrong types for its
type. The runners log (rate-limited, :class:`RateLimitedLog`) and drop such
frames and go on serving.

Sockets (ZeroMQ, :mod:`locust.engine.zmq`). The master uses two ports, as
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

__all__ = [
    "MessageError", "Message", "encode", "decode", "MAX_MESSAGE_SIZE",
    "MASTER_TO_SLAVE", "SLAVE_TO_MASTER", "RateLimitedLog",
    "HEARTBEAT_INTERVAL", "HEARTBEAT_LIVENESS", "REPORT_INTERVAL", "heartbeat_interval",
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
#: Seconds between two statistics reports of a slave.
REPORT_INTERVAL = 3.0
#: Highest CPU percentage a heartbeat may carry (a process on many cores
#: can pass 100%).
MAX_CPU_PERCENT = 100_000
#: Longest node id accepted (a ZeroMQ identity is at most 255 bytes).
MAX_NODE_ID = 255
#: Most seconds of window histograms in one stats entry of a report (a
#: slave sends those since its last report: a few).
MAX_WINDOW_SLOTS = 120

_NUMBER = (int, float)


def heartbeat_interval(options):
    """The heartbeat interval of ``options`` (``--heartbeat-interval``), or the default."""
    return float(getattr(options, "heartbeat_interval", None) or HEARTBEAT_INTERVAL)


class MessageError(ValueError):
    """A frame that is not a valid message; ``str()`` says why (one line)."""


def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_number(value):
    return (isinstance(value, _NUMBER) and not isinstance(value, bool)
            and math.isfinite(value))


def _optional(check):
    return lambda value: value is None or check(value)


def _is_str(value):
    return isinstance(value, str)


def _is_int_map(value):
    # Histograms and per-second counts: {int: count}.
    return isinstance(value, dict) and all(
        isinstance(k, int) and not isinstance(k, bool) and _is_count(v) for k, v in value.items())


_ENTRY_FIELDS = {
    "name": _is_str, "method": _optional(_is_str),
    "last_request_timestamp": _optional(_is_number), "start_time": _optional(_is_number),
    "num_requests": _is_count, "num_failures": _is_count,
    "total_response_time": _is_number, "max_response_time": _is_number,
    "min_response_time": _optional(_is_number), "total_content_length": _is_number,
    "response_times": _is_int_map, "num_reqs_per_sec": _is_int_map,
}


def _is_time(value):
    # A response time in ms: finite, not negative.
    return _is_number(value) and value >= 0


def _is_slot_map(value):
    # The window: {second: {bucket: count}}, at most a few dozen seconds.
    return isinstance(value, dict) and len(value) <= MAX_WINDOW_SLOTS and all(
        isinstance(k, int) and not isinstance(k, bool) and _is_int_map(v)
        for k, v in value.items())


# Fields a report may leave out (older senders; failures without times).
_OPTIONAL_ENTRY_FIELDS = {
    "num_fail_per_sec": _is_int_map, "fail_response_times": _is_int_map,
    "total_fail_response_time": _is_time, "max_fail_response_time": _is_time,
    "min_fail_response_time": _optional(_is_time), "window_times": _is_slot_map,
}


def _check_entry(entry):
    if not isinstance(entry, dict):
        return "a stats entry is not a map"
    for field, check in _ENTRY_FIELDS.items():
        if field not in entry or not check(entry[field]):
            return "stats entry field %r is missing or of the wrong type" % field
    for field, check in _OPTIONAL_ENTRY_FIELDS.items():
        if field in entry and not check(entry[field]):
            return "stats entry field %r is of the wrong type" % field
    return None


def _check_error(item):
    if not (isinstance(item, dict) and _is_str(item.get("name"))
            and _optional(_is_str)(item.get("method")) and _is_str(item.get("error"))
            and _is_count(item.get("occurences"))):
        return "an error row is malformed"
    return None


def _check_stats(data):
    if not isinstance(data.get("stats"), list):
        return "'stats' must be a list"
    for entry in data["stats"]:
        problem = _check_entry(entry)
        if problem:
            return problem
    if "stats_total" in data:
        problem = _check_entry(data["stats_total"])
        if problem:
            return "stats_total: " + problem
    errors = data.get("errors", {})
    if not isinstance(errors, dict):
        return "'errors' must be a map"
    for item in errors.values():
        problem = _check_error(item)
        if problem:
            return problem
    if not _is_count(data.get("user_count")):
        return "'user_count' must be a count"
    if not _optional(_is_count)(data.get("stats_epoch")):
        return "'stats_epoch' must be a count"
    return None


def _fields(**checks):
    """A data check: ``data`` is a map whose named fields pass their checks."""
    def check(data):
        for field, ok in checks.items():
            if not ok(data.get(field)):
                return "field %r is missing or of the wrong type" % field
        return None
    return check


def _class_counts(value):
    return isinstance(value, dict) and all(
        _is_str(k) and _is_count(v) for k, v in value.items())


def _anything(_data):
    return None


# type -> check of ``data`` (a map, or nil for the types that carry none).
#: Types a slave may send the master.
SLAVE_TO_MASTER = {
    "client_ready": _anything,
    "hatching": _anything,
    "hatch_complete": _fields(count=_is_count, generation=_optional(_is_count)),
    "stats": _check_stats,
    "exception": _fields(msg=_is_str, traceback=_is_str),
    "client_stopped": _anything,
    "quit": _anything,
    "heartbeat": _fields(state=_optional(_is_str), user_count=_optional(_is_count),
                         cpu=_optional(lambda v: _is_number(v) and 0 <= v <= MAX_CPU_PERCENT),
                         memory=_optional(_is_count)),
}
#: Types a master may send a slave.
MASTER_TO_SLAVE = {
    "hatch": _fields(num_clients=_is_count, hatch_rate=lambda v: _is_number(v) and v > 0,
                     class_counts=_class_counts, host=_optional(_is_str),
                     generation=_is_count, stats_epoch=_optional(_is_count)),
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
    and one "N more ... dropped" line is written when the period ends.
    """

    def __init__(self, logger, burst=10, period=10.0, clock=time.monotonic):
        self.logger = logger
        self.burst = burst
        self.period = period
        self.clock = clock
        self._window_start = None
        self._logged = 0
        self._suppressed = 0

    def warning(self, fmt, *args):
        """Log ``fmt % args`` as a warning unless the burst is used up."""
        now = self.clock()
        if self._window_start is None or now - self._window_start >= self.period:
            if self._suppressed:
                self.logger.warning("%d more similar warnings were not logged", self._suppressed)
            self._window_start = now
            self._logged = 0
            self._suppressed = 0
        if self._logged < self.burst:
            self._logged += 1
            self.logger.warning(fmt, *args)
        else:
            self._suppressed += 1


#: The logger of the wire (malformed frames).
logger = logging.getLogger(__name__)
