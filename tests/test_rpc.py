"""The wire of distributed runs (locust/rpc.py): encoding, the checks that
every decoded frame passes, and the rate-limited log of dropped frames."""

import logging
import random
import time

import msgpack
import pytest

from locust import rpc
from locust.stats import RequestStats
from support import wait_until


def stats_report():
    stats = RequestStats()
    stats.log_request("GET", "/", 12.5, 100)
    stats.log_request("GET", "/", 250.0, 80)
    stats.log_error("POST", "/login", "boom")
    stats.log_error("POST", "/login", "boom", response_time=31.5)
    data = stats.serialize_and_reset()
    data["user_count"] = 3
    return data


def test_round_trip_of_every_kind_of_message():
    messages = [
        ("client_ready", None), ("hatching", None), ("client_stopped", None), ("quit", None),
        ("hatch_complete", {"count": 4, "generation": 2}),
        ("exception", {"msg": "ValueError: x", "traceback": "  File ...\n"}),
        ("heartbeat", {"state": "running", "user_count": 3}),
        ("heartbeat", {"state": "running", "user_count": 3, "cpu": 97.5,
                       "memory": 41_000_000}),
        ("stats", stats_report()),
        ("hatch", {"num_clients": 4, "hatch_rate": 2.5, "host": None,
                   "class_counts": {"A": 3, "B": 1}, "generation": 1}),
        ("stop", None),
    ]
    for message_type, data in messages:
        frame = rpc.encode(message_type, data, "host_abc123")
        msg = rpc.decode(frame)
        assert (msg.type, msg.data, msg.node_id) == (message_type, data, "host_abc123")
        assert rpc.Message(message_type, data, "host_abc123").serialize() == frame


def test_stats_histograms_keep_int_keys_and_merge_exactly():
    data = stats_report()
    msg = rpc.decode(rpc.encode("stats", data, "n1"), rpc.SLAVE_TO_MASTER)
    merged = RequestStats()
    merged.merge(msg.data)
    assert merged.num_requests == 2 and merged.num_failures == 2
    entry = merged.entries[("/", "GET")]
    assert all(isinstance(k, int) for k in entry.response_times)
    assert entry.max_response_time == 250.0


def test_direction_is_checked():
    hatch = rpc.encode("hatch", {"num_clients": 1, "hatch_rate": 1, "host": None,
                                 "class_counts": {"A": 1}, "generation": 1}, "master")
    with pytest.raises(rpc.MessageError, match="unknown message type"):
        rpc.decode(hatch, rpc.SLAVE_TO_MASTER)
    ready = rpc.encode("client_ready", None, "n1")
    with pytest.raises(rpc.MessageError):
        rpc.decode(ready, rpc.MASTER_TO_SLAVE)


def test_pickle_is_never_accepted():
    import pickle
    frame = pickle.dumps(("client_ready", None, "n1"))
    with pytest.raises(rpc.MessageError):
        rpc.decode(frame)


@pytest.mark.parametrize("frame, why", [
    (b"", "not msgpack"),
    (b"\xc1", "not msgpack"),                                 # a reserved byte
    (msgpack.packb(["client_ready", None, "n"]) + b"x", "not msgpack"),  # extra data
    (b"\xdd\xff\xff\xff\xff", "not msgpack"),                 # claims 4 billion items
    (msgpack.packb({"type": "client_ready"}), "array"),
    (msgpack.packb(["client_ready", None]), "array"),
    (msgpack.packb(["client_ready", None, "n", 1]), "array"),
    (msgpack.packb(["nope", None, "n"]), "unknown message type"),
    (msgpack.packb([7, None, "n"]), "unknown message type"),
    (msgpack.packb(["client_ready", None, ""]), "node id"),
    (msgpack.packb(["client_ready", None, b"n"]), "node id"),
    (msgpack.packb(["client_ready", None, "n" * 300]), "node id"),
    (msgpack.packb(["client_ready", [1], "n"]), "map"),
    (msgpack.packb(["client_ready", {1: 2}, "n"]), "map"),
    (msgpack.packb(["hatch_complete", None, "n"]), "map"),
    (msgpack.packb(["hatch_complete", {"count": -1}, "n"]), "count"),
    (msgpack.packb(["hatch_complete", {"count": True}, "n"]), "count"),
    (msgpack.packb(["exception", {"msg": "x"}, "n"]), "traceback"),
    (msgpack.packb(["stats", {"stats": "x", "user_count": 1}, "n"]), "list"),
    (msgpack.packb(["stats", {"stats": [], "user_count": "1"}, "n"]), "user_count"),
    (msgpack.packb(["stats", {"stats": [{"name": "x"}], "user_count": 1}, "n"]), "stats entry"),
    (msgpack.packb(["stats", {"stats": [], "errors": {"k": {"name": 1}}, "user_count": 1},
                    "n"]), "error row"),
    (msgpack.packb(["hatch", {"num_clients": 1, "hatch_rate": 0, "host": None,
                              "class_counts": {}, "generation": 1}, "m"]), "hatch_rate"),
    (msgpack.packb(["hatch", {"num_clients": 1, "hatch_rate": float("nan"), "host": None,
                              "class_counts": {}, "generation": 1}, "m"]), "hatch_rate"),
    (msgpack.packb(["hatch", {"num_clients": 1, "hatch_rate": 1, "host": None,
                              "class_counts": {"A": -1}, "generation": 1}, "m"]), "class_counts"),
    (msgpack.packb(["client_ready", msgpack.ExtType(1, b"x"), "n"]), "not msgpack"),
])
def test_malformed_frames_raise_message_error(frame, why):
    with pytest.raises(rpc.MessageError, match=why):
        rpc.decode(frame)


def test_stats_entry_with_bad_histogram_is_rejected():
    data = stats_report()
    data["stats"][0]["response_times"] = {"12": 1}  # str key: not ours
    with pytest.raises(rpc.MessageError, match="response_times"):
        rpc.decode(rpc.encode("stats", data, "n"))
    data = stats_report()
    data["stats_total"]["num_requests"] = 1.5
    with pytest.raises(rpc.MessageError, match="stats_total"):
        rpc.decode(rpc.encode("stats", data, "n"))


def test_window_and_failure_times_arrive_checked():
    data = stats_report()
    msg = rpc.decode(rpc.encode("stats", data, "n1"), rpc.SLAVE_TO_MASTER)
    merged = RequestStats()
    merged.merge(msg.data)
    login = merged.entries[("/login", "POST")]
    assert login.all_max_response_time == 31.5 and sum(map(len, login.window_times.values())) == 1
    bad_values = [
        ("window_times", {1000: {"12": 1}}),            # str bucket
        ("window_times", {"1000": {12: 1}}),            # str second
        ("window_times", {s: {1: 1} for s in range(rpc.MAX_WINDOW_SLOTS + 1)}),
        ("fail_response_times", {12: -1}),
        ("total_fail_response_time", -5.0),
        ("max_fail_response_time", float("inf")),
        ("min_fail_response_time", "fast"),
    ]
    for field, value in bad_values:
        data = stats_report()
        data["stats"][0][field] = value
        with pytest.raises(rpc.MessageError, match=field):
            rpc.decode(rpc.encode("stats", data, "n"))


@pytest.mark.parametrize("fields", [
    {"cpu": -1.0}, {"cpu": float("nan")}, {"cpu": 1e9},
    {"cpu": "high"}, {"memory": -5}, {"memory": 1.5}, {"memory": True},
])
def test_heartbeat_with_bad_cpu_or_memory_is_rejected(fields):
    frame = rpc.encode("heartbeat", dict({"state": "running", "user_count": 1}, **fields), "n")
    with pytest.raises(rpc.MessageError, match="heartbeat"):
        rpc.decode(frame, rpc.SLAVE_TO_MASTER)


def test_oversized_frame_is_rejected_before_unpacking(monkeypatch):
    monkeypatch.setattr(rpc, "MAX_MESSAGE_SIZE", 100)
    frame = rpc.encode("exception", {"msg": "x" * 200, "traceback": ""}, "n")
    with pytest.raises(rpc.MessageError, match="over the limit"):
        rpc.decode(frame)


def test_random_bytes_never_raise_anything_but_message_error():
    rnd = random.Random(42)
    valid = rpc.encode("stats", stats_report(), "node")
    outcomes = {"decoded": 0, "refused": 0}
    for i in range(3000):
        if i % 2:
            frame = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 64)))
        else:  # a valid frame with a few bytes flipped: msgpack that is nearly right
            frame = bytearray(valid)
            for _ in range(rnd.randrange(1, 4)):
                frame[rnd.randrange(len(frame))] = rnd.getrandbits(8)
            frame = bytes(frame)
        try:
            rpc.decode(frame)
            outcomes["decoded"] += 1
        except rpc.MessageError:
            outcomes["refused"] += 1
    # Nothing else was raised, and the flipped frames were mostly refused.
    assert outcomes["decoded"] + outcomes["refused"] == 3000
    assert outcomes["refused"] > 1500


def test_encode_refuses_what_msgpack_cannot_carry():
    with pytest.raises(TypeError):
        rpc.encode("stats", {"custom": {1, 2}}, "n")


def test_rate_limited_log(caplog):
    now = [0.0]
    log = rpc.RateLimitedLog(logging.getLogger("test.rpc"), burst=3, period=10, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="test.rpc"):
        for i in range(100):
            log.warning("bad frame %d", i)
        assert [r.getMessage() for r in caplog.records] == ["bad frame 0", "bad frame 1",
                                                            "bad frame 2"]
        now[0] = 11.0
        log.warning("bad frame %d", 100)
    messages = [r.getMessage() for r in caplog.records]
    assert messages[3:] == ["97 more similar warnings were not logged", "bad frame 100"]


# ------------------------------------------------- bounds of every number

def _entry(name="/", **changes):
    stats = RequestStats()
    stats.log_request("GET", name, 12.5, 100)
    entry = stats.serialize_and_reset()["stats"][0]
    entry.update(changes)
    return entry


def _stats_frame(entries=None, **fields):
    data = {"stats": [_entry()] if entries is None else entries, "errors": {}, "user_count": 1}
    data.update(fields)
    return rpc.encode("stats", data, "n")


HOUR_AGO = time.time() - 3600


@pytest.mark.parametrize("changes, why", [
    # What one correctly typed frame did to a master before these bounds.
    ({"response_times": {10 ** 6: 1}}, "response_times"),          # OverflowError in percentiles
    ({"response_times": {-1: 1}}, "response_times"),
    ({"response_times": {125: 2}}, "histogram does not hold"),      # 2 times, 1 request
    ({"total_response_time": -1e9}, "total_response_time"),         # average -83,780 ms
    ({"total_response_time": 1e308}, "total_response_time"),        # sums to infinity
    ({"total_response_time": 2e8}, "over num_requests times the longest"),
    ({"max_response_time": 1e308}, "max_response_time"),
    ({"max_response_time": float("inf")}, "max_response_time"),
    ({"min_response_time": -5.0}, "min_response_time"),
    ({"min_response_time": 20.0, "max_response_time": 10.0}, "min_response_time is over"),
    ({"total_content_length": -10 ** 9}, "total_content_length"),
    ({"total_content_length": 2 ** 41}, "largest size"),
    ({"num_requests": 10 ** 13}, "num_requests"),
    ({"num_failures": -1}, "num_failures"),
    ({"last_request_timestamp": 1e300}, "last_request_timestamp"),  # a day of now at most
    ({"start_time": 0.0}, "start_time"),
    ({"num_reqs_per_sec": {10 ** 12: 1}}, "num_reqs_per_sec"),
    ({"num_reqs_per_sec": {int(HOUR_AGO): -1}}, "num_reqs_per_sec"),
    ({"num_fail_per_sec": {0: 1}}, "num_fail_per_sec"),
    ({"name": "x" * (rpc.MAX_NAME + 1)}, "name"),
])
def test_every_number_of_a_stats_entry_is_bounded(changes, why):
    with pytest.raises(rpc.MessageError, match=why):
        rpc.decode(_stats_frame([_entry(**changes)]), rpc.SLAVE_TO_MASTER)
    # The same in the Total, which every report carries.
    with pytest.raises(rpc.MessageError, match="stats_total"):
        rpc.decode(_stats_frame(stats_total=_entry(**changes)), rpc.SLAVE_TO_MASTER)


def test_a_plausible_report_passes_the_bounds():
    entry = _entry(last_request_timestamp=HOUR_AGO, num_reqs_per_sec={int(HOUR_AGO): 1})
    msg = rpc.decode(_stats_frame([entry], stats_epoch=3), rpc.SLAVE_TO_MASTER)
    assert msg.data["stats"][0]["last_request_timestamp"] == HOUR_AGO


def test_a_report_has_at_most_so_many_names_and_errors():
    many = [_entry("/n%d" % i) for i in range(rpc.MAX_ENTRIES_PER_REPORT + 1)]
    with pytest.raises(rpc.MessageError, match="at most %d entries" % rpc.MAX_ENTRIES_PER_REPORT):
        rpc.decode(_stats_frame(many), rpc.SLAVE_TO_MASTER)
    rpc.decode(_stats_frame(many[:-1]), rpc.SLAVE_TO_MASTER)  # the limit itself is fine
    row = {"name": "/", "method": "GET", "error": "boom", "occurences": 1}
    errors = {"k%d" % i: row for i in range(rpc.MAX_ERRORS_PER_REPORT + 1)}
    with pytest.raises(rpc.MessageError, match="error row"):
        rpc.decode(_stats_frame(errors=errors), rpc.SLAVE_TO_MASTER)
    with pytest.raises(rpc.MessageError, match="error row"):
        rpc.decode(_stats_frame(errors={"k": dict(row, occurences=-1)}), rpc.SLAVE_TO_MASTER)


@pytest.mark.parametrize("message_type, data, why", [
    ("stats", {"stats": [], "user_count": 10 ** 9}, "user_count"),
    ("hatch_complete", {"count": rpc.MAX_COUNT}, "count"),
    ("heartbeat", {"state": "running", "user_count": -3}, "user_count"),
    ("heartbeat", {"state": "x" * 100, "user_count": 3}, "state"),
    ("exception", {"msg": "x" * (rpc.MAX_TEXT + 1), "traceback": ""}, "msg"),
])
def test_every_number_of_the_other_messages_is_bounded(message_type, data, why):
    with pytest.raises(rpc.MessageError, match=why):
        rpc.decode(rpc.encode(message_type, data, "n"), rpc.SLAVE_TO_MASTER)


def test_the_checks_are_tables_a_new_field_is_one_line(monkeypatch):
    entry = _entry(rolling={"p95": 3.0})
    rpc.decode(_stats_frame([entry]), rpc.SLAVE_TO_MASTER)  # an unknown field passes
    monkeypatch.setitem(rpc.ENTRY_FIELDS, "rolling", rpc._may_be_absent(
        lambda v: isinstance(v, dict) and all(x >= 0 for x in v.values())))
    rpc.decode(_stats_frame([entry]), rpc.SLAVE_TO_MASTER)
    rpc.decode(_stats_frame([_entry()]), rpc.SLAVE_TO_MASTER)  # optional: may be absent
    with pytest.raises(rpc.MessageError, match="rolling"):
        rpc.decode(_stats_frame([_entry(rolling={"p95": -1.0})]), rpc.SLAVE_TO_MASTER)


def test_rate_limited_log_writes_the_count_when_the_period_ends(caplog):
    now = [0.0]
    timers = []
    log = rpc.RateLimitedLog(logging.getLogger("test.rpc"), burst=2, period=10,
                             clock=lambda: now[0],
                             call_later=lambda delay, fn: timers.append((delay, fn)))
    with caplog.at_level(logging.WARNING, logger="test.rpc"):
        for i in range(50):
            log.warning("bad frame %d", i)
        assert [delay for delay, _ in timers] == [10]  # one timer for the period
        assert "more similar" not in caplog.text
        now[0] = 10.0
        timers[0][1]()  # the period ends; no new warning arrives
    assert [r.getMessage() for r in caplog.records] == [
        "bad frame 0", "bad frame 1", "48 more similar warnings were not logged"]


def test_rate_limited_log_timer_runs_in_the_hub(caplog):
    log = rpc.RateLimitedLog(logging.getLogger("test.rpc"), burst=1, period=0.2)
    with caplog.at_level(logging.WARNING, logger="test.rpc"):
        for i in range(5):
            log.warning("bad frame %d", i)
        assert wait_until(lambda: "4 more similar warnings" in caplog.text, timeout=10)


def test_a_report_has_at_most_so_many_histogram_buckets(monkeypatch):
    monkeypatch.setattr(rpc, "MAX_BUCKETS_PER_REPORT", 6)
    entries = [_entry("/%d" % i) for i in range(4)]  # a bucket each, and one in the window
    with pytest.raises(rpc.MessageError, match="8 histogram buckets, more than 6"):
        rpc.decode(_stats_frame(entries), rpc.SLAVE_TO_MASTER)
    rpc.decode(_stats_frame(entries[:3]), rpc.SLAVE_TO_MASTER)

def test_heartbeat_cpu_field_is_checked():
    for cpu in (None, 0, 57.5, 180.0):
        data = {"state": "running", "user_count": 1, "cpu": cpu}
        assert rpc.decode(rpc.encode("heartbeat", data, "n1"), rpc.SLAVE_TO_MASTER).data == data
    for cpu in (-1, float("nan"), float("inf"), "90", True, rpc.MAX_CPU_PERCENT + 1):
        frame = rpc.encode("heartbeat", {"state": "running", "user_count": 1, "cpu": cpu}, "n1")
        with pytest.raises(rpc.MessageError, match="'cpu'"):
            rpc.decode(frame, rpc.SLAVE_TO_MASTER)
